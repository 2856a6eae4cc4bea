//! STANDARD children on SQLite (`cargo bench -p asl-examples --bench
//! standard_children`): a durable execution's distributed Map over
//! `ASL_DMAP_ITEMS` items (default 100,000, JSON Lines from the in-process
//! [`GeneratedStorage`]), `MaxConcurrency` 1,000, each child an execution of
//! the store (stored as it starts and as it ends, with its history), its
//! output written back with a `ResultWriter` (COMPACT, JSONL; counted, not
//! kept). Prints children per second and the process's peak resident memory
//! (VmHWM). A measurement, not a criterion timing.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Instant;

use asl::runtime::exec::{ExecutionOptions, ObjectStorage, Runtime};
use asl::runtime::store::{ExecutionStatus, SqliteStore};
use asl::runtime::task::handler_fn;
use asl_examples::generated_storage::GeneratedStorage;
use serde_json::json;

asl::asl!(
    StandardChildren = "benches/standard-children.asl.json",
    resources = ["arn:aws:lambda:us-east-1:123456789012:function:work"]
);

fn main() {
    let items: usize = std::env::var("ASL_DMAP_ITEMS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let dir = std::env::temp_dir().join(format!("asl-bench-standard-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let storage = Arc::new(GeneratedStorage {
            items,
            written: AtomicU64::new(0),
        });
        let shared: Arc<dyn ObjectStorage> = storage.clone();
        let runtime = Runtime::builder()
            .store(SqliteStore::open(dir.join("executions.db")).unwrap())
            .object_storage(Some(shared))
            .handler(
                "arn:aws:lambda:us-east-1:123456789012:function:work",
                handler_fn(|_task, input: serde_json::Value| async move {
                    tokio::task::yield_now().await;
                    Ok(json!({"id": input["item"]["id"], "index": input["index"]}))
                }),
            )
            .build();
        let before_kib = asl_examples::status_kib("VmRSS:");
        let started = Instant::now();
        let execution = runtime
            .start_execution::<StandardChildren>(
                json!({"bucket": "bench", "key": "items.jsonl"}),
                ExecutionOptions::default().name("bench"),
            )
            .await
            .expect("started");
        let record = runtime
            .wait_for_execution(&execution.execution_arn)
            .await
            .expect("ended");
        let elapsed = started.elapsed();
        assert_eq!(record.status, ExecutionStatus::Succeeded, "{record:?}");
        let map_run = runtime
            .list_map_runs(&execution.execution_arn, &Default::default())
            .await
            .unwrap()
            .items
            .remove(0);
        let run = runtime.describe_map_run(&map_run.arn).await.unwrap();
        println!(
            "STANDARD children on SQLite: {} children in {:.2} s: {:.0} children/s; resident memory before {} MiB, peak (VmHWM) {} MiB; database {} MiB",
            run.children.succeeded,
            elapsed.as_secs_f64(),
            run.children.succeeded as f64 / elapsed.as_secs_f64(),
            before_kib / 1024,
            asl_examples::status_kib("VmHWM:") / 1024,
            std::fs::metadata(dir.join("executions.db")).map_or(0, |m| m.len()) / (1 << 20),
        );
    });
    let _ = std::fs::remove_dir_all(&dir);
}
