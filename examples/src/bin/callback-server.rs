//! `callback-server`: a workflow that sends its task token to an SQS queue and
//! waits for SendTaskSuccess (`tests/fixtures/queue-callback.asl.json`), served
//! over AWS Step Functions' HTTP API (`asl::endpoint`) on a SQLite store. The
//! end-to-end tests kill it with SIGKILL while an execution waits, start it
//! again, and answer the callback through the new process.
//!
//! ```text
//! callback-server --listen 127.0.0.1:8083 --store executions.db [--lease SECONDS]
//! ```
//!
//! AWS (SQS) is configured the standard way (`AWS_ENDPOINT_URL` for moto);
//! clients sign with `ASL_ENDPOINT_ACCESS_KEY_ID` and
//! `ASL_ENDPOINT_SECRET_ACCESS_KEY`. The address it serves on is printed on
//! stderr (`listening on http://ADDRESS`).

use std::process::ExitCode;
use std::time::Duration;

use asl::asl;
use asl::runtime::Runtime;
use asl::runtime::store::SqliteStore;

asl!(QueueCallback = "tests/fixtures/queue-callback.asl.json");

const USAGE: &str = "usage: callback-server --listen ADDRESS --store PATH [--lease SECONDS]";

#[tokio::main]
async fn main() -> ExitCode {
    match serve().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("callback-server: {e}");
            ExitCode::from(asl_examples::app::EXIT_SETUP)
        }
    }
}

async fn serve() -> Result<(), String> {
    let (mut listen, mut store, mut lease) = (None, None, None);
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args
            .next()
            .ok_or_else(|| format!("{flag} needs a value; {USAGE}"))?;
        match flag.as_str() {
            "--listen" => listen = Some(value),
            "--store" => store = Some(value),
            "--lease" => {
                let seconds: f64 = value
                    .parse()
                    .map_err(|_| format!("--lease {value}: expected seconds"))?;
                lease = Some(Duration::from_secs_f64(seconds.clamp(0.1, 86_400.0)));
            }
            _ => return Err(format!("unknown argument `{flag}`; {USAGE}")),
        }
    }
    let (Some(listen), Some(store)) = (listen, store) else {
        return Err(USAGE.to_string());
    };
    let env = |name: &str| std::env::var(name).map_err(|_| format!("{name} is not set"));
    let config = asl::endpoint::Config::new().credential(
        env("ASL_ENDPOINT_ACCESS_KEY_ID")?,
        env("ASL_ENDPOINT_SECRET_ACCESS_KEY")?,
    );
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .load()
        .await;
    let integrations = asl_examples::app::integrations(&sdk, &asl_examples::cli::Args::default())
        .await
        .map_err(|e| e.to_string())?;
    let mut runtime = Runtime::builder()
        .handlers(integrations.handlers())
        .store(SqliteStore::open(&store).map_err(|e| format!("--store {store}: {e}"))?)
        .workflow::<QueueCallback>();
    if let Some(region) = sdk.region() {
        runtime = runtime.region(region.as_ref());
    }
    if let Some(lease) = lease {
        runtime = runtime.lease(lease);
    }
    let listener = tokio::net::TcpListener::bind(&listen)
        .await
        .map_err(|e| format!("--listen {listen}: {e}"))?;
    let address = listener.local_addr().map_err(|e| e.to_string())?;
    eprintln!("callback-server: listening on http://{address}");
    asl::endpoint::serve(runtime.build(), config, listener)
        .await
        .map_err(|e| format!("serving {address}: {e}"))
}
