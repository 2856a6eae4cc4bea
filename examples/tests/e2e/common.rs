//! What the end-to-end tests share: starting the sandbox, or skipping when moto is
//! not installed (outside CI; under `CI=true` a missing moto is a failure).

use asl::runtime::exec::{EventType, HistoryEvent};
use std::process::Stdio;

use asl_examples::sandbox::{ACCESS_KEY_ID, SECRET_ACCESS_KEY, Sandbox};

/// The states the sample enters when the Job prints pi.
pub const EXPECTED_PATH: [&str; 8] = [
    "Create an EKS cluster",
    "Create a node group",
    "Run a job on EKS",
    "Examine output",
    "Send expected result",
    "Delete job",
    "Delete node group",
    "Delete cluster",
];

/// The sandbox, or `None` (after printing a skip line) when moto is missing and CI
/// is not set.
pub async fn sandbox_or_skip(test: &str) -> Option<Sandbox> {
    if let Err(e) = asl_testkit::moto::find_moto_server() {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("{test}: moto is required under CI=true: {e}");
        }
        eprintln!("skipped {test}: {e}");
        return None;
    }
    Some(Sandbox::start().await.expect("the sandbox starts"))
}

/// The names of the states entered, in order.
pub fn states_entered(events: &[HistoryEvent]) -> Vec<String> {
    events
        .iter()
        .filter(|e| e.event_type.is_state_entered())
        .filter_map(|e| e.state_name.clone())
        .collect()
}

/// The output recorded when `state` was left.
pub fn state_output<'e>(events: &'e [HistoryEvent], state: &str) -> &'e serde_json::Value {
    events
        .iter()
        .find(|e| {
            e.event_type.as_str().ends_with("StateExited") && e.state_name.as_deref() == Some(state)
        })
        .map(|e| &e.details["output"])
        .unwrap_or_else(|| panic!("state {state} was not left"))
}

pub fn has_event(events: &[HistoryEvent], t: EventType) -> bool {
    events.iter().any(|e| e.event_type == t)
}

/// How the sample is told where moto is.
#[derive(Clone, Copy)]
pub enum Endpoint {
    /// `--aws-endpoint URL`
    Flag,
    /// `AWS_ENDPOINT_URL`, which aws-config reads itself.
    Env,
}

/// `manage-eks-cluster` against the sandbox's moto: dummy credentials, sa-east-1,
/// nothing of the user's AWS setup, stdin closed. The caller adds the cluster mapping.
pub fn sample_against(sandbox: &Sandbox, endpoint: Endpoint) -> tokio::process::Command {
    let mut c = tokio::process::Command::new(env!("CARGO_BIN_EXE_manage-eks-cluster"));
    match endpoint {
        Endpoint::Flag => {
            c.args(["--aws-endpoint", sandbox.aws_endpoint()])
                .env_remove("AWS_ENDPOINT_URL");
        }
        Endpoint::Env => {
            c.env("AWS_ENDPOINT_URL", sandbox.aws_endpoint());
        }
    }
    c.args(["--region", "sa-east-1"])
        .args(["--poll-interval", "0.05"])
        .env("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/nonexistent/asl-examples/config")
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/asl-examples/credentials",
        )
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_SESSION_TOKEN")
        .stdin(Stdio::null());
    c
}

/// The PostgreSQL store, from `ASL_POSTGRES_URL`, in a fresh schema of this
/// test's own (tests run at once in one database: a runtime serving a
/// workflow would claim another test's executions of it); `None` (after a
/// skip line) without it, unless `CI=true`.
pub fn postgres_url(test: &str) -> Option<String> {
    match std::env::var("ASL_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => Some(fresh_schema(&url, test)),
        _ => {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!(
                    "{test}: ASL_POSTGRES_URL is required under CI=true (scripts/test starts PostgreSQL)"
                );
            }
            eprintln!(
                "skipped {test}: ASL_POSTGRES_URL is not set (scripts/test starts PostgreSQL)"
            );
            None
        }
    }
}

/// `url` with a new, empty schema first on its search path. Created on a
/// thread of its own: callers may or may not be inside a Tokio runtime.
fn fresh_schema(url: &str, test: &str) -> String {
    let tag: String = test
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .take(40)
        .collect();
    let schema = format!(
        "t_{tag}_{}",
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    );
    let create = {
        let (url, schema) = (url.to_string(), schema.clone());
        std::thread::spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap()
                .block_on(async {
                    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
                        .await
                        .expect("PostgreSQL answers");
                    let conn = tokio::spawn(connection);
                    client
                        .batch_execute(&format!("CREATE SCHEMA {schema}"))
                        .await
                        .expect("a schema of the test's own");
                    drop(client);
                    let _ = conn.await;
                })
        })
    };
    create.join().expect("the schema is created");
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}options=-csearch_path%3D{schema}")
}

/// A fresh SQLite file for `test` (a name unique among the tests of this
/// binary: they run side by side in one process).
pub fn sqlite_path(test: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("asl-e2e-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("executions.db")
}

/// A store on a fresh SQLite file for `test`.
pub fn sqlite(test: &str) -> std::sync::Arc<dyn asl::runtime::store::ExecutionStore> {
    std::sync::Arc::new(
        asl::runtime::store::SqliteStore::open(sqlite_path(test)).expect("the store opens"),
    )
}

/// Makes a store: each "process" of a test (a tokio runtime of its own)
/// opens or connects its own, as two processes would; a store made in a
/// runtime that was dropped has stopped.
pub type StoreFactory = Box<
    dyn Fn() -> futures_util::future::BoxFuture<
        'static,
        std::sync::Arc<dyn asl::runtime::store::ExecutionStore>,
    >,
>;

/// A tokio runtime standing for one process.
pub fn tokio_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// An AWS configuration with fixed keys and a region, and no endpoint of its
/// own (the integrations get theirs from their builder).
pub async fn static_sdk_config(region: &str, key_id: &str, secret: &str) -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(region.to_string()))
        .credentials_provider(aws_credential_types::Credentials::new(
            key_id, secret, None, None, "asl-test",
        ))
        .load()
        .await
}

/// The workspace's root (where `scripts/` is).
pub fn workspace() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A PostgreSQL server of a test's own (`scripts/setup-postgres`), for the
/// tests that restart it: stopped and deleted on drop.
pub struct OwnServer {
    pub url: String,
    dir: String,
}

impl OwnServer {
    pub fn start() -> OwnServer {
        let out = std::process::Command::new("bash")
            .args(["scripts/setup-postgres", "start"])
            .current_dir(workspace())
            .stderr(Stdio::inherit())
            .output()
            .expect("scripts/setup-postgres runs");
        assert!(out.status.success(), "scripts/setup-postgres start");
        let text = String::from_utf8(out.stdout).unwrap();
        let (url, dir) = text.trim().split_once(' ').expect("<url> <dir>");
        OwnServer {
            url: url.to_string(),
            dir: dir.to_string(),
        }
    }

    /// Stops the server as a crash would (an immediate shutdown: what was
    /// committed but not yet flushed to the disk is lost) and starts it
    /// again (crash recovery runs).
    pub fn crash_and_restart(&self) {
        let status = std::process::Command::new("bash")
            .args(["scripts/setup-postgres", "restart", &self.dir, "immediate"])
            .current_dir(workspace())
            .status()
            .unwrap();
        assert!(status.success(), "PostgreSQL restarts");
    }
}

impl Drop for OwnServer {
    fn drop(&mut self) {
        let _ = std::process::Command::new("bash")
            .args(["scripts/setup-postgres", "stop", &self.dir])
            .current_dir(workspace())
            .status();
    }
}
