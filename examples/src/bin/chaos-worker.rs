//! `chaos-worker`: the process the chaos suite (`tests/e2e/chaos.rs`) kills.
//!
//! It serves `chaos/chaos.asl.json` (a Map nested in a Parallel, Retry, a loop
//! of Tasks) from a durable store, as a service would: it starts executions
//! `chaos-0` .. `chaos-N-1` (StartExecution is idempotent: a restarted worker
//! starting them again gets the same executions), calls `resume` at boot, and
//! serves until every one of them has ended; then it exits 0.
//!
//! Every Task call leaves its side effect in the effects file, one line per
//! event, each written with one `write` on a file opened for appending (so two
//! processes never interleave within a line):
//!
//! ```text
//! begin <step> <attempt> <pid> <unix ms>
//! end <step> <attempt> <pid> <unix ms>
//! ```
//!
//! ```text
//! chaos-worker --store sqlite:PATH|postgres:URL --owner NAME --effects FILE
//!              [--executions N] [--items M] [--rounds R]
//! ```

use std::io::Write as _;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use asl::runtime::exec::{ExecutionOptions, Runtime};
use asl::runtime::store::{ExecutionStatus, ExecutionStore, PostgresStore, SqliteStore};
use asl::runtime::task::handler_fn;
use asl::runtime::{Error, Value};
use serde_json::json;

asl::asl!(
    pub Chaos = "chaos/chaos.asl.json",
    resources = ["arn:aws:lambda:us-east-1:123456789012:function:step"]
);

const STEP: &str = "arn:aws:lambda:us-east-1:123456789012:function:step";

struct Args {
    store: String,
    owner: String,
    effects: String,
    executions: usize,
    items: usize,
    rounds: u64,
}

fn args() -> Result<Args, String> {
    let mut a = Args {
        store: String::new(),
        owner: String::new(),
        effects: String::new(),
        executions: 4,
        items: 40,
        rounds: 10,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--store" => a.store = value()?,
            "--owner" => a.owner = value()?,
            "--effects" => a.effects = value()?,
            "--executions" => a.executions = value()?.parse().map_err(|e| format!("{e}"))?,
            "--items" => a.items = value()?.parse().map_err(|e| format!("{e}"))?,
            "--rounds" => a.rounds = value()?.parse().map_err(|e| format!("{e}"))?,
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if a.store.is_empty() || a.owner.is_empty() || a.effects.is_empty() {
        return Err("--store, --owner and --effects are required".into());
    }
    Ok(a)
}

/// Deterministic: about one step in five fails its first attempt.
fn flaky(step: &str) -> bool {
    step.bytes().map(u64::from).sum::<u64>() % 5 == 0
}

fn effect(file: &std::fs::File, what: &str, step: &str, attempt: u64) {
    let ms = time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000;
    let line = format!("{what} {step} {attempt} {} {ms}\n", std::process::id());
    // One write per line, to a file opened for appending.
    let _ = (&*file).write_all(line.as_bytes());
}

async fn store(spec: &str) -> Result<Arc<dyn ExecutionStore>, String> {
    if let Some(path) = spec.strip_prefix("sqlite:") {
        return SqliteStore::open(path)
            .map(|s| Arc::new(s) as Arc<dyn ExecutionStore>)
            .map_err(|e| e.to_string());
    }
    if let Some(url) = spec.strip_prefix("postgres:") {
        // PostgreSQL may be restarting: keep trying for a while.
        let mut last = String::new();
        for _ in 0..100 {
            match PostgresStore::connect(url).await {
                Ok(s) => return Ok(Arc::new(s)),
                Err(e) => last = e.to_string(),
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        return Err(last);
    }
    Err(format!(
        "--store {spec}: expected sqlite:PATH or postgres:URL"
    ))
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> ExitCode {
    let args = match args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("chaos-worker: {e}");
            return ExitCode::from(2);
        }
    };
    let effects = match std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&args.effects)
    {
        Ok(f) => Arc::new(f),
        Err(e) => {
            eprintln!("chaos-worker: {}: {e}", args.effects);
            return ExitCode::from(2);
        }
    };
    let store = match store(&args.store).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("chaos-worker: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = Runtime::builder()
        .shared_store(store)
        .owner(args.owner.clone())
        .lease(Duration::from_millis(1500))
        .poll_interval(Duration::from_millis(50))
        .handler(
            STEP,
            handler_fn(move |task, params: Value| {
                let effects = effects.clone();
                let attempt = u64::from(task.attempt);
                async move {
                    let step = params["step"].as_str().unwrap_or_default().to_string();
                    effect(&effects, "begin", &step, attempt);
                    let pause = 5 + step.len() as u64 * 7 % 25;
                    tokio::time::sleep(Duration::from_millis(pause)).await;
                    effect(&effects, "end", &step, attempt);
                    if attempt == 0 && flaky(&step) {
                        return Err(Error::new("Flaky", format!("{step} fails once")));
                    }
                    Ok(json!({"step": step}))
                }
            }),
        )
        .build();
    let items: Vec<usize> = (0..args.items).collect();
    let input = json!({"items": items, "rounds": args.rounds});
    let mut arns = Vec::new();
    for i in 0..args.executions {
        let name = format!("chaos-{i}");
        loop {
            match runtime
                .start_execution::<Chaos>(input.clone(), ExecutionOptions::default().name(&name))
                .await
            {
                Ok(started) => {
                    println!("started {}", started.execution_arn);
                    arns.push(started.execution_arn);
                    break;
                }
                // The store may be restarting: StartExecution again.
                Err(e) if e.name == "StoreFailure" => {
                    eprintln!("chaos-worker: StartExecution {name}: {e}");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(e) => {
                    eprintln!("chaos-worker: StartExecution {name}: {e}");
                    return ExitCode::FAILURE;
                }
            }
        }
    }
    // As a service does at boot: continue whatever this owner had.
    while let Err(e) = runtime.resume::<Chaos>().await {
        eprintln!("chaos-worker: resume: {e}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    loop {
        let mut open = 0;
        for arn in &arns {
            match runtime.describe_execution(arn).await {
                Ok(r) if r.status == ExecutionStatus::Running => open += 1,
                Ok(_) => {}
                Err(_) => open += 1,
            }
        }
        if open == 0 {
            println!("all ended");
            return ExitCode::SUCCESS;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
