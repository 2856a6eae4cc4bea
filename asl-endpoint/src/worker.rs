//! The worker side of `asl serve`: the `main` of a program `asl serve` builds
//! around a set of definitions. It serves the endpoint on a loopback port the
//! supervisor (`asl serve`) forwards connections to, and talks to the
//! supervisor over its standard input and output, one JSON object per line:
//!
//! - worker → supervisor: `{"ready": "127.0.0.1:PORT"}` once it listens;
//!   `{"id": N, "deploy": {"stateMachines": [...]}}` when CreateStateMachine,
//!   UpdateStateMachine or DeleteStateMachine needs a new set built;
//! - supervisor → worker: `{"id": N, "ok": true}` once a worker serving that
//!   set takes the connections (or `{"id": N, "error": "..."}`); then
//!   `{"retire": true}` (an `ok` alone retires it already): the worker stops
//!   accepting, closes idle connections, lets the requests in flight finish
//!   (their answers close their connections), hands its executions over through the store
//!   ([`Runtime::release_all`](asl_runtime::Runtime::release_all)) and exits. The end of its input (the
//!   supervisor is gone) retires it too.
//!
//! The environment names the rest: `ASL_SERVE_REGISTRY` (the file of the
//! state machines this program was built with: type, role, dates),
//! `ASL_ENDPOINT_ACCESS_KEY_ID` and `ASL_ENDPOINT_SECRET_ACCESS_KEY` (what
//! clients sign with).

use std::collections::HashMap;
use std::io::{BufRead as _, Write as _};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use asl_runtime::RuntimeBuilder;
use serde_json::{Value, json};
use tokio::sync::{oneshot, watch};

use crate::deploy::{DeployFuture, Deployer, Machine, registry_from_json, registry_to_json};
use crate::{Config, Endpoint};

/// How long a retiring worker waits for requests in flight and then for its
/// executions to stop, each.
const RETIRE_GRACE: Duration = Duration::from_secs(10);

type Pending = Arc<Mutex<HashMap<u64, oneshot::Sender<Result<(), String>>>>>;

/// Asks the supervisor, over standard output, for each new set.
struct StdioDeployer {
    next: AtomicU64,
    pending: Pending,
}

impl Deployer for StdioDeployer {
    fn deploy(&self, machines: Vec<Machine>) -> DeployFuture<'_> {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        self.pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id, tx);
        let registry: Value =
            serde_json::from_str(&registry_to_json(&machines)).unwrap_or_default();
        let sent = say(&json!({ "id": id, "deploy": registry }));
        Box::pin(async move {
            sent.map_err(|e| format!("cannot reach the supervisor: {e}"))?;
            rx.await
                .unwrap_or_else(|_| Err("the supervisor went away".into()))
        })
    }
}

fn say(message: &Value) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{message}")?;
    out.flush()
}

/// Serves `builder`'s workflows (its store and handlers set) as `asl serve`'s
/// worker until the supervisor retires it. Its exit status: 0 when retired,
/// 2 when it could not start.
pub async fn run(builder: RuntimeBuilder) -> ExitCode {
    match serve(builder).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("asl serve worker: {e}");
            ExitCode::from(2)
        }
    }
}

async fn serve(builder: RuntimeBuilder) -> Result<(), String> {
    let env = |name: &str| std::env::var(name).map_err(|_| format!("{name} is not set"));
    let registry_path = env("ASL_SERVE_REGISTRY")?;
    let text =
        std::fs::read_to_string(&registry_path).map_err(|e| format!("{registry_path}: {e}"))?;
    let machines = registry_from_json(&text).map_err(|e| format!("{registry_path}: {e}"))?;
    // An update moves the executions running under the previous definition
    // here: they continue from the state they are in.
    let runtime = builder.accept_changed_definitions(true).build();
    if !runtime.is_durable() {
        return Err("the runtime has no store".into());
    }
    let pending: Pending = Arc::default();
    let config = Config::new()
        .credential(
            env("ASL_ENDPOINT_ACCESS_KEY_ID")?,
            env("ASL_ENDPOINT_SECRET_ACCESS_KEY")?,
        )
        .deployments(
            machines,
            StdioDeployer {
                next: AtomicU64::new(1),
                pending: pending.clone(),
            },
        );
    let (retire_tx, mut retire) = watch::channel(false);
    // Standard input on a thread of its own: replies and the retirement.
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            let Ok(line) = line else { break };
            let Ok(message) = serde_json::from_str::<Value>(&line) else {
                continue;
            };
            if message["retire"] == true {
                break;
            }
            let Some(id) = message["id"].as_u64() else {
                continue;
            };
            let answer = match message["error"].as_str() {
                Some(why) => Err(why.to_string()),
                None => {
                    // Another worker serves the new set now: this one stops
                    // taking requests before it answers (its answer closes
                    // the connection), so no client's next request, on a
                    // connection it keeps, reaches the old set.
                    let _ = retire_tx.send(true);
                    Ok(())
                }
            };
            let waiting = pending
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .remove(&id);
            if let Some(tx) = waiting {
                let _ = tx.send(answer);
            }
        }
        let _ = retire_tx.send(true);
    });
    if let Err(e) = runtime.resume_all().await {
        eprintln!("asl serve worker: cannot resume executions: {e}");
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| format!("cannot listen on loopback: {e}"))?;
    let address = listener
        .local_addr()
        .map_err(|e| format!("cannot listen on loopback: {e}"))?;
    say(&json!({ "ready": address.to_string() })).map_err(|e| e.to_string())?;
    let endpoint = Endpoint::new(runtime.clone(), config);
    let shutdown = async move {
        let _ = retire.wait_for(|r| *r).await;
    };
    endpoint
        .serve_until(listener, shutdown, RETIRE_GRACE)
        .await
        .map_err(|e| e.to_string())?;
    match runtime.release_all(RETIRE_GRACE).await {
        Ok(released) if !released.is_empty() => {
            eprintln!(
                "asl serve worker: handed over {} running executions",
                released.len()
            );
        }
        Ok(_) => {}
        Err(e) => eprintln!("asl serve worker: cannot hand executions over: {e}"),
    }
    Ok(())
}
