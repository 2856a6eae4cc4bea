//! `dmap-worker`: the process the STANDARD children's crash test
//! (`tests/e2e/chaos.rs`) kills.
//!
//! It serves `chaos/distributed.asl.json` (a distributed Map whose children
//! are STANDARD executions, items from an in-process object store) from a
//! SQLite store: it starts the execution `dmap` (StartExecution is
//! idempotent: a restarted worker gets the same execution), calls `resume`
//! at boot, and serves until it ended; then it exits 0.
//!
//! Every child's Task leaves `begin <index> <pid>` and `end <index> <pid>`
//! lines in the effects file, each written with one `write` on a file opened
//! for appending.
//!
//! ```text
//! dmap-worker --store PATH --owner NAME --effects FILE [--items N]
//! ```

use std::io::Write as _;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use asl::runtime::Value;
use asl::runtime::exec::{ExecutionOptions, ObjectStorage, Runtime};
use asl::runtime::store::{ExecutionStatus, SqliteStore};
use asl::runtime::task::handler_fn;
use asl_examples::generated_storage::GeneratedStorage;
use serde_json::json;

asl::asl!(
    pub Distributed = "chaos/distributed.asl.json",
    resources = ["arn:aws:lambda:us-east-1:123456789012:function:work"]
);

const WORK: &str = "arn:aws:lambda:us-east-1:123456789012:function:work";

fn effect(file: &std::fs::File, what: &str, index: u64) {
    let line = format!("{what} {index} {}\n", std::process::id());
    // One write per line, to a file opened for appending.
    let _ = (&*file).write_all(line.as_bytes());
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> ExitCode {
    let (mut store, mut owner, mut effects, mut items) = (None, None, None, 200usize);
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next();
        match (flag.as_str(), value) {
            ("--store", Some(v)) => store = Some(v),
            ("--owner", Some(v)) => owner = Some(v),
            ("--effects", Some(v)) => effects = Some(v),
            ("--items", Some(v)) => items = v.parse().unwrap_or(items),
            (other, _) => {
                eprintln!("dmap-worker: unknown or incomplete argument {other}");
                return ExitCode::from(2);
            }
        }
    }
    let (Some(store), Some(owner), Some(effects)) = (store, owner, effects) else {
        eprintln!("dmap-worker: --store, --owner and --effects are required");
        return ExitCode::from(2);
    };
    let effects = match std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&effects)
    {
        Ok(f) => Arc::new(f),
        Err(e) => {
            eprintln!("dmap-worker: {effects}: {e}");
            return ExitCode::from(2);
        }
    };
    let store = match SqliteStore::open(&store) {
        Ok(s) => Arc::new(s),
        Err(e) => {
            eprintln!("dmap-worker: {e}");
            return ExitCode::from(2);
        }
    };
    let storage: Arc<dyn ObjectStorage> = Arc::new(GeneratedStorage {
        items,
        written: AtomicU64::new(0),
    });
    let runtime = Runtime::builder()
        .shared_store(store)
        .owner(owner)
        .lease(Duration::from_millis(1500))
        .poll_interval(Duration::from_millis(50))
        .object_storage(Some(storage))
        .handler(
            WORK,
            handler_fn(move |_task, input: Value| {
                let effects = effects.clone();
                async move {
                    let index = input["index"].as_u64().unwrap_or(u64::MAX);
                    effect(&effects, "begin", index);
                    tokio::time::sleep(Duration::from_millis(5 + index % 7)).await;
                    effect(&effects, "end", index);
                    Ok(json!({"id": input["id"]}))
                }
            }),
        )
        .build();
    let arn = match runtime
        .start_execution::<Distributed>(json!({}), ExecutionOptions::default().name("dmap"))
        .await
    {
        Ok(started) => started.execution_arn,
        Err(e) => {
            eprintln!("dmap-worker: StartExecution: {e}");
            return ExitCode::FAILURE;
        }
    };
    // As a service does at boot: continue whatever this owner had.
    if let Err(e) = runtime.resume::<Distributed>().await {
        eprintln!("dmap-worker: resume: {e}");
        return ExitCode::FAILURE;
    }
    loop {
        match runtime.describe_execution(&arn).await {
            Ok(r) if r.status != ExecutionStatus::Running => {
                println!("ended {}", r.status);
                return ExitCode::SUCCESS;
            }
            _ => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}
