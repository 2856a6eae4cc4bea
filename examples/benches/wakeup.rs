//! How soon a suspension that became due continues
//! (`cargo bench -p asl-examples --bench wakeup`), on SQLite and on
//! PostgreSQL (`ASL_POSTGRES_URL`, e.g. from `scripts/setup-postgres start`).
//! Each iteration's time is a latency, not a run time:
//! - `wakeup/<store>/parked-wait`: an execution parked in a Wait until an
//!   instant 50 ms ahead (held by no runtime, polling once an hour): from that
//!   instant to its `WaitStateExited` event, as the history records it.
//! - `wakeup/<store>/delivery`: SendTaskSuccess's store operation in one
//!   process until another process sharing the store hears of it (PostgreSQL:
//!   two connections, NOTIFY; SQLite: the store's own broadcast).
//! - `wakeup/<store>/callback`: the callback round trip of a durable
//!   `.waitForTaskToken` Task held in memory: from `Runtime::send_task_success`
//!   to the next state's `PassStateEntered`, as the history records it;
//!   `callback-parked`: the same Task parked in the store (held by no
//!   runtime) until the delivery makes it due. Each also prints its median
//!   and 99th percentile over every sample.

use std::sync::Arc;
use std::time::{Duration, Instant};

use asl::runtime::exec::{ExecutionOptions, Runtime};
use asl::runtime::store::{
    ExecutionRecord, ExecutionStore, Outcome, Position, PostgresStore, SqliteStore, Suspension,
    SuspensionKind, Write,
};
use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::json;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

asl::asl!(Wakeup = "benches/wakeup.asl.json");
asl::asl!(
    Callback = "benches/callback.asl.json",
    resources = ["arn:aws:states:::apigateway:invoke.waitForTaskToken"]
);

const ASK: &str = "arn:aws:states:::apigateway:invoke.waitForTaskToken";

/// A runtime serving `Callback` whose handler hands each token to `tokens`.
fn callback_runtime(
    store: Arc<dyn ExecutionStore>,
    park_after: Duration,
) -> (Runtime, tokio::sync::mpsc::UnboundedReceiver<String>) {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let runtime = Runtime::builder()
        .shared_store(store)
        .park_waits_longer_than(park_after)
        .poll_interval(Duration::from_secs(3600))
        .workflow::<Callback>()
        .handler(
            ASK,
            asl::runtime::task::handler_fn(move |task, _params| {
                let tx = tx.clone();
                async move {
                    let _ = tx.send(task.task_token.unwrap_or_default());
                    Ok(json!({}))
                }
            }),
        )
        .build();
    (runtime, rx)
}

/// One callback round trip: from SendTaskSuccess to the next state entered.
async fn callback(
    runtime: &Runtime,
    tokens: &mut tokio::sync::mpsc::UnboundedReceiver<String>,
    parked: bool,
) -> Duration {
    let options = ExecutionOptions::default().name(uuid::Uuid::new_v4().to_string());
    let arn = runtime
        .start_execution::<Callback>(json!({}), options)
        .await
        .unwrap()
        .execution_arn;
    let token = tokens
        .recv()
        .await
        .expect("the callback's handler was called");
    // Waiting: parked in the store, or held with its request marked sent.
    loop {
        let r = runtime.describe_execution(&arn).await.unwrap();
        let history = runtime.get_execution_history(&arn).await.unwrap();
        let ready = if parked {
            r.owner.is_none()
        } else {
            history.iter().any(|e| e.event_type == "TaskSubmitted")
        };
        if ready {
            break;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let sent = OffsetDateTime::now_utc();
    runtime.send_task_success(&token, "{}").await.unwrap();
    runtime.wait_for_execution(&arn).await.unwrap();
    let history = runtime.get_execution_history(&arn).await.unwrap();
    let entered = history
        .iter()
        .find(|e| e.event_type == "PassStateEntered")
        .expect("the next state was entered")
        .timestamp;
    (entered - sent).try_into().unwrap_or(Duration::ZERO)
}

/// Prints the median and 99th percentile of `samples`.
fn percentiles(label: &str, samples: &mut [Duration]) {
    if samples.is_empty() {
        return;
    }
    samples.sort();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    eprintln!(
        "{label}: median {:.2} ms, p99 {:.2} ms over {} round trips",
        at(0.5).as_secs_f64() * 1e3,
        at(0.99).as_secs_f64() * 1e3,
        samples.len()
    );
}

fn tokio() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// One parked Wait: how late after its instant the execution went on.
async fn parked_wait(runtime: &Runtime) -> Duration {
    let at = OffsetDateTime::now_utc() + Duration::from_millis(50);
    let at = at.replace_millisecond(at.millisecond()).unwrap();
    let options = ExecutionOptions::default().name(uuid::Uuid::new_v4().to_string());
    let arn = runtime
        .start_execution::<Wakeup>(json!({"at": at.format(&Rfc3339).unwrap()}), options)
        .await
        .unwrap()
        .execution_arn;
    runtime.wait_for_execution(&arn).await.unwrap();
    let history = runtime.get_execution_history(&arn).await.unwrap();
    let exited = history
        .iter()
        .find(|e| e.event_type == "WaitStateExited")
        .expect("the Wait ended")
        .timestamp;
    (exited - at).try_into().unwrap_or(Duration::ZERO)
}

/// One delivery: from SendTaskSuccess's store call in `from` until `to`'s
/// wakeups name the execution.
async fn delivery(from: &dyn ExecutionStore, to: &dyn ExecutionStore, n: u64) -> Duration {
    let now = OffsetDateTime::now_utc();
    let name = uuid::Uuid::new_v4().to_string();
    let record = ExecutionRecord {
        owner: Some("bench".into()),
        lease_until: Some(now + Duration::from_secs(60)),
        ..ExecutionRecord::started(
            format!("arn:aws:states:us-east-1:123456789012:execution:Bench:{name}"),
            &name,
            "Bench",
            "hash",
            json!({}),
            now,
            Position::at("Call", json!({}), json!({})),
        )
    };
    from.insert(&record, &[]).await.unwrap();
    let token = format!("token-{name}-{n}");
    let mut waiting = Suspension::new(&record.arn, "Call@1", SuspensionKind::TaskToken, now);
    waiting.token = Some(token.clone());
    let park = Write {
        arn: record.arn.clone(),
        owner: Some("bench".into()),
        epoch: 1,
        next_event_id: 1,
        park_until: Some(now + Duration::from_secs(3600)),
        park_on: Some(waiting.id.clone()),
        ..Write::default()
    };
    from.suspend(park, waiting).await.unwrap();
    let mut heard = to.wakeups();
    let started = Instant::now();
    from.deliver(&token, Outcome::Succeeded(json!({})), now)
        .await
        .unwrap();
    loop {
        if heard.recv().await.unwrap() == record.arn {
            return started.elapsed();
        }
    }
}

fn bench_store(
    c: &mut Criterion,
    label: &str,
    rt: &tokio::runtime::Runtime,
    from: Arc<dyn ExecutionStore>,
    to: Arc<dyn ExecutionStore>,
) {
    let runtime = rt.block_on(async {
        Runtime::builder()
            .shared_store(from.clone())
            .park_waits_longer_than(Duration::ZERO)
            .poll_interval(Duration::from_secs(3600))
            .build()
    });
    // The listening side is up once a delivery reaches it.
    rt.block_on(async {
        for n in 0.. {
            let heard = tokio::time::timeout(Duration::from_secs(1), delivery(&*from, &*to, n));
            if heard.await.is_ok() {
                break;
            }
        }
    });
    let mut group = c.benchmark_group(format!("wakeup/{label}"));
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(5));
    group.bench_function("parked-wait", |b| {
        b.to_async(rt).iter_custom(|iters| {
            let runtime = &runtime;
            async move {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    total += parked_wait(runtime).await;
                }
                total
            }
        })
    });
    group.bench_function("delivery", |b| {
        b.to_async(rt).iter_custom(|iters| {
            let (from, to) = (from.clone(), to.clone());
            async move {
                let mut total = Duration::ZERO;
                for n in 0..iters {
                    total += delivery(&*from, &*to, n).await;
                }
                total
            }
        })
    });
    for (name, park_after) in [
        ("callback", Duration::from_secs(3600)),
        ("callback-parked", Duration::ZERO),
    ] {
        let (runtime, tokens) = rt.block_on(async { callback_runtime(from.clone(), park_after) });
        let tokens = tokio::sync::Mutex::new(tokens);
        let samples = std::sync::Mutex::new(Vec::new());
        group.bench_function(name, |b| {
            b.to_async(rt).iter_custom(|iters| {
                let (runtime, tokens, samples) = (&runtime, &tokens, &samples);
                async move {
                    let mut total = Duration::ZERO;
                    let mut rx = tokens.lock().await;
                    for _ in 0..iters {
                        let one = callback(runtime, &mut rx, park_after.is_zero()).await;
                        samples.lock().unwrap().push(one);
                        total += one;
                    }
                    total
                }
            })
        });
        percentiles(
            &format!("wakeup/{label}/{name}"),
            &mut samples.lock().unwrap(),
        );
    }
    group.finish();
}

fn wakeup(c: &mut Criterion) {
    let rt = tokio();
    let dir = std::env::temp_dir().join(format!("asl-bench-wakeup-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let sqlite: Arc<dyn ExecutionStore> =
        Arc::new(SqliteStore::open(dir.join("executions.db")).unwrap());
    bench_store(c, "sqlite", &rt, sqlite.clone(), sqlite);

    match std::env::var("ASL_POSTGRES_URL") {
        Ok(url) => {
            let connect = || -> Arc<dyn ExecutionStore> {
                Arc::new(rt.block_on(PostgresStore::connect(&url)).unwrap())
            };
            let (from, to) = (connect(), connect());
            bench_store(c, "postgres", &rt, from, to);
        }
        Err(_) => eprintln!("wakeup/postgres: skipped (ASL_POSTGRES_URL is not set)"),
    }
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, wakeup);
criterion_main!(benches);
