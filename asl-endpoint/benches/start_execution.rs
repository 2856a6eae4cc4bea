//! StartExecution throughput through the endpoint: `aws-sdk-sfn` calls against
//! an in-process endpoint on a SQLite store (each call signs, is verified,
//! stores a new execution and answers; the executions run in the background),
//! one caller at a time and 8 at once. Then the same with boto3 from the venv
//! (`scripts/setup-moto`), printed as calls per second.
//!
//! `cargo bench -p asl-endpoint --bench start_execution`

use std::time::Duration;

use asl_endpoint::{Config, Endpoint};
use asl_runtime::Runtime;
use asl_runtime::store::SqliteStore;
use criterion::{Criterion, Throughput};

asl_macro::asl!(pub Orders = "tests/workflows/orders.asl.json", runtime = asl_runtime::__private);

const KEY_ID: &str = "AKIDBENCH";
const SECRET: &str = "bench-secret";
const REGION: &str = "us-east-1";
const INPUT: &str = r#"{"qty": 1, "extra": 2, "fail": false}"#;

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = std::env::temp_dir().join(format!("asl-endpoint-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = rt.block_on(async {
        let runtime = Runtime::builder()
            .region(REGION)
            .store(SqliteStore::open(dir.join("executions.db")).unwrap())
            .workflow::<Orders>()
            .build();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(
            Endpoint::new(runtime, Config::new().credential(KEY_ID, SECRET)).serve(listener),
        );
        url
    });
    let machine = format!("arn:aws:states:{REGION}:123456789012:stateMachine:Orders");
    let client = aws_sdk_sfn::Client::from_conf(
        aws_sdk_sfn::Config::builder()
            .behavior_version(aws_sdk_sfn::config::BehaviorVersion::latest())
            .region(aws_sdk_sfn::config::Region::new(REGION))
            .credentials_provider(aws_credential_types::Credentials::new(
                KEY_ID, SECRET, None, None, "bench",
            ))
            .endpoint_url(&url)
            .build(),
    );

    let mut c = Criterion::default()
        .configure_from_args()
        .measurement_time(Duration::from_secs(10));
    let mut group = c.benchmark_group("start_execution");
    group.throughput(Throughput::Elements(1));
    group.bench_function("aws-sdk-sfn, one caller", |b| {
        b.to_async(&rt).iter(|| async {
            client
                .start_execution()
                .state_machine_arn(&machine)
                .input(INPUT)
                .send()
                .await
                .unwrap()
        })
    });
    group.throughput(Throughput::Elements(8));
    group.bench_function("aws-sdk-sfn, 8 callers", |b| {
        b.to_async(&rt).iter(|| async {
            let calls = (0..8).map(|_| {
                client
                    .start_execution()
                    .state_machine_arn(&machine)
                    .input(INPUT)
                    .send()
            });
            for r in futures_util::future::join_all(calls).await {
                r.unwrap();
            }
        })
    });
    group.finish();
    c.final_summary();

    boto3_rate(&url, &machine);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The boto3 rate, printed (criterion cannot time another process's loop).
fn boto3_rate(url: &str, machine: &str) {
    let Ok(server) = asl_testkit::moto::find_moto_server() else {
        println!("boto3: skipped (no venv: run `bash scripts/setup-moto`)");
        return;
    };
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/boto3_rate.py");
    let out = std::process::Command::new(server.parent().unwrap().join("python"))
        .arg(script)
        .env("ASL_ENDPOINT", url)
        .env("ASL_REGION", REGION)
        .env("ASL_KEY_ID", KEY_ID)
        .env("ASL_SECRET", SECRET)
        .env("ASL_MACHINE", machine)
        .env("AWS_CONFIG_FILE", "/nonexistent")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
        .output()
        .expect("python runs");
    if out.status.success() {
        println!(
            "start_execution/boto3, one caller: {}",
            String::from_utf8_lossy(&out.stdout).trim()
        );
    } else {
        println!("boto3: failed: {}", String::from_utf8_lossy(&out.stderr));
    }
}
