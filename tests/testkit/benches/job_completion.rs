//! How fast the stand-in's Job controller makes completion visible to a watcher.
//!
//! - `exit_to_complete_seen`: from the container's process exiting (it prints its own
//!   exit time, a real `perl`) to a watcher receiving the Job's Complete condition.
//! - `create_to_complete_seen`: from POSTing a Job whose container is not run
//!   (annotations choose its log and exit code) to the watcher seeing Complete; this is
//!   the controller's whole overhead with a zero pod start delay.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use asl_testkit::http::HttpClient;
use asl_testkit::kube::{Config, KubeStandIn};
use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::{Value, json};

const JOBS: &str = "/apis/batch/v1/namespaces/default/jobs";

fn complete(job: &Value) -> bool {
    job.pointer("/status/conditions")
        .and_then(Value::as_array)
        .is_some_and(|cs| cs.iter().any(|c| c["type"] == "Complete"))
}

/// Creates the Job, watches it until Complete, returns when that was seen.
async fn run_to_complete(client: &HttpClient, job: &Value) -> SystemTime {
    let name = job["metadata"]["name"].as_str().unwrap_or_default();
    let created = client.json("POST", JOBS, Some(job)).await.expect("create");
    assert_eq!(created.status, 201, "{}", created.text());
    let rv = created.json().expect("json")["metadata"]["resourceVersion"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let path =
        format!("{JOBS}?watch=true&resourceVersion={rv}&fieldSelector=metadata.name%3D{name}");
    let mut stream = client.stream(&path).await.expect("watch");
    while let Some(ev) = stream.next_json().await {
        if complete(&ev.expect("event")["object"]) {
            return SystemTime::now();
        }
    }
    panic!("watch ended before {name} completed");
}

fn benches(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let (standin, client) = rt.block_on(async {
        let standin = KubeStandIn::start(Config {
            pod_start_delay: Duration::ZERO,
            ..Config::default()
        })
        .await
        .expect("stand-in");
        let client = HttpClient::new(standin.endpoint(), Some(standin.ca_pem()))
            .expect("client")
            .with_bearer(standin.token().unwrap_or_default());
        (standin, client)
    });
    let mut n = 0u64;
    let mut group = c.benchmark_group("job_completion");
    group.sample_size(10);

    group.bench_function("exit_to_complete_seen", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                n += 1;
                let job = json!({"apiVersion": "batch/v1", "kind": "Job",
                    "metadata": {"name": format!("exit-{n}")},
                    "spec": {"backoffLimit": 0, "template": {"spec": {"restartPolicy": "Never",
                        "containers": [{"name": "c", "image": "perl",
                            "command": ["perl", "-MTime::HiRes=time", "-e", "printf(qq(%.6f\\n), time)"]}]}}}});
                let seen = rt.block_on(run_to_complete(&client, &job));
                let pods = rt
                    .block_on(client.json(
                        "GET",
                        &format!("/api/v1/namespaces/default/pods?labelSelector=job-name%3Dexit-{n}"),
                        None,
                    ))
                    .expect("pods")
                    .json()
                    .expect("json");
                let pod = pods["items"][0]["metadata"]["name"].as_str().unwrap_or_default().to_string();
                let log = rt
                    .block_on(client.request("GET", &format!("/api/v1/namespaces/default/pods/{pod}/log"), None, Vec::new()))
                    .expect("log")
                    .text();
                let exited: f64 = log.trim().parse().expect("the container printed its exit time");
                let seen = seen.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs_f64();
                total += Duration::from_secs_f64((seen - exited).max(0.0));
            }
            total
        })
    });

    group.bench_function("create_to_complete_seen", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                n += 1;
                let job = json!({"apiVersion": "batch/v1", "kind": "Job",
                    "metadata": {"name": format!("quick-{n}")},
                    "spec": {"backoffLimit": 0, "template": {
                        "metadata": {"annotations": {"asl-testkit/exit-code": "0", "asl-testkit/log": "ok\n"}},
                        "spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "none"}]}}}});
                let start = Instant::now();
                rt.block_on(run_to_complete(&client, &job));
                total += start.elapsed();
            }
            total
        })
    });
    group.finish();
    drop(standin);
}

criterion_group!(job_completion, benches);
criterion_main!(job_completion);
