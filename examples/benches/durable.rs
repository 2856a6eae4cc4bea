//! What durability costs (`cargo bench -p asl-examples --bench durable`): the
//! counter workflow (a Pass and a Choice per round, 50 rounds: 102 states
//! entered, 101 transitions, each committed before the next state runs) in
//! memory, on SQLite (a file in the temporary directory, WAL, every commit
//! fsynced) and on PostgreSQL (`ASL_POSTGRES_URL`, e.g. from
//! `scripts/setup-postgres start`), one execution at a time and 100 at once.
//! Throughput is in states entered per second ("elements").

use std::sync::Arc;
use std::time::Duration;

use asl::runtime::exec::{ExecutionOptions, Runtime};
use asl::runtime::store::{ExecutionStore, PostgresStore, SqliteStore};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use serde_json::json;

asl::asl!(Counter = "../tests/workflows/counter.asl.json");

const ROUNDS: i64 = 50;
/// States entered per execution: Init, 50 x (Increment, More?), Done.
const STATES: u64 = 2 * ROUNDS as u64 + 2;

fn tokio() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

async fn run_many(runtime: &Runtime, n: usize) {
    let runs = (0..n).map(|_| {
        let options = ExecutionOptions::default().name(uuid::Uuid::new_v4().to_string());
        Counter::run_with(runtime, json!({"n": ROUNDS}), options)
    });
    for r in futures_util::future::join_all(runs).await {
        r.expect("the counter succeeds");
    }
}

fn bench_store(c: &mut Criterion, label: &str, runtime: &Runtime, rt: &tokio::runtime::Runtime) {
    let mut group = c.benchmark_group(format!("transitions/{label}"));
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(10));
    for concurrent in [1usize, 100] {
        group.throughput(Throughput::Elements(STATES * concurrent as u64));
        group.bench_function(format!("{concurrent}"), |b| {
            b.to_async(rt).iter(|| run_many(runtime, concurrent))
        });
    }
    group.finish();
}

fn durable(c: &mut Criterion) {
    let rt = tokio();
    bench_store(c, "memory", &Runtime::new(), &rt);

    let dir = std::env::temp_dir().join(format!("asl-bench-durable-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let sqlite: Arc<dyn ExecutionStore> =
        Arc::new(SqliteStore::open(dir.join("executions.db")).unwrap());
    let runtime = Runtime::builder().shared_store(sqlite).build();
    bench_store(c, "sqlite", &runtime, &rt);

    match std::env::var("ASL_POSTGRES_URL") {
        Ok(url) => {
            let store: Arc<dyn ExecutionStore> =
                Arc::new(rt.block_on(PostgresStore::connect(&url)).unwrap());
            let runtime = rt.block_on(async { Runtime::builder().shared_store(store).build() });
            bench_store(c, "postgres", &runtime, &rt);
        }
        Err(_) => eprintln!("transitions/postgres: skipped (ASL_POSTGRES_URL is not set)"),
    }
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, durable);
criterion_main!(benches);
