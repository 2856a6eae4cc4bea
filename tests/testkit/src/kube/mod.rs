//! A Kubernetes API server stand-in, in process, over TLS on 127.0.0.1.
//!
//! In: a [`Config`] (accepted bearer tokens, the Job controller's timing, whether
//! containers' commands may run). Out: a running server with [`KubeStandIn::endpoint`]
//! (`https://127.0.0.1:PORT`), its own CA ([`KubeStandIn::ca_pem`], and
//! [`KubeStandIn::ca_base64`], which is what a workflow passes as `CertificateAuthority`,
//! like EKS's `certificateAuthority.data`) and a token ([`KubeStandIn::token`]).
//!
//! It serves what the `kube` crate's client and raw REST calls need: discovery
//! (`/version`, `/api`, `/apis`, `/api/v1`, `/apis/batch/v1`), namespaces (get, list),
//! `batch/v1` Jobs and core `v1` ConfigMaps (create, get, list, watch, replace, patch,
//! delete), Pods (get, list, watch, replace, patch, delete, `log`). Errors are `Status`
//! objects with Kubernetes' reasons and codes. HEAD works on every GET path.
//!
//! The Job controller: after `pod_start_delay`, it creates a pod per attempt (named
//! `<job>-<5 letters>`, labelled `job-name`, `controller-uid` and their
//! `batch.kubernetes.io/` forms, owned by the Job) and runs its containers:
//! - if the pod template sets the annotation `asl-testkit/exit-code` or `asl-testkit/log`,
//!   nothing runs: each container exits with that code (default 0) and that log (default
//!   a line saying so);
//! - else if the container's `command[0]` is a program on this machine (e.g. `perl`),
//!   it really runs with the container's `args` and `env` (value only), stdout and stderr
//!   together become the container's log, and its exit code is the container's; the
//!   container status message says which program ran;
//! - else the container exits 0 and its log is one line saying the stand-in could not
//!   run the image's command.
//!
//! Then the pod becomes Succeeded or Failed, and the Job gets `succeeded`/`failed`
//! counts and, at the end, `SuccessCriteriaMet` + `Complete` or `FailureTarget` +
//! `Failed` (reason `BackoffLimitExceeded` after `backoffLimit + 1` failed pods, or
//! `DeadlineExceeded` past `activeDeadlineSeconds`). Simplifications: pods run one at a
//! time until `completions` succeed (`parallelism` is not used), `restartPolicy:
//! OnFailure` retries with a new pod as `Never` does, init containers are not run, and
//! a container's `env` takes only literal `value`s. Every change is a watch event at
//! once.
//! The annotation `asl-testkit/log-error: "true"` on the pod template makes reading
//! that pod's logs answer 500, for tests of best-effort log retrieval.

mod api;
mod auth;
mod controller;
mod logs;
mod patch;
mod selector;
mod store;
pub mod tls;
mod validate;
mod watches;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::{Notify, watch};
use tokio_rustls::TlsAcceptor;

pub use auth::{TokenPolicy, check_eks_token};

use crate::Error;
use store::Store;

/// How the stand-in behaves.
#[derive(Debug, Clone)]
pub struct Config {
    /// Which bearer tokens are accepted. The default accepts one fresh random token.
    pub tokens: TokenPolicy,
    /// EKS tokens signed with these access key ids may only read (writes answer 403
    /// Forbidden), like an IAM identity the cluster's RBAC lets only view.
    pub read_only_access_keys: Vec<String>,
    /// From a Job's creation (or a failed attempt's end) to its next pod.
    pub pod_start_delay: Duration,
    /// Whether a container whose `command[0]` exists on this machine really runs.
    pub run_commands: bool,
    /// A running container is killed after this long (exit code 137).
    pub command_timeout: Duration,
    /// Answer every watch with this status (`Some(500)`: a broken API server), to
    /// test how clients bound their retries.
    pub fail_watches_with: Option<u16>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            tokens: TokenPolicy {
                tokens: vec![format!("asl-testkit-{}", uuid::Uuid::new_v4().simple())],
                read_only_tokens: Vec::new(),
                no_watch_tokens: vec![],
                accept_eks_tokens: false,
            },
            read_only_access_keys: Vec::new(),
            pod_start_delay: Duration::from_millis(100),
            run_commands: true,
            command_timeout: Duration::from_secs(120),
            fail_watches_with: None,
        }
    }
}

/// State shared by the connections, the watchers and the Job controller.
pub(crate) struct Shared {
    pub store: Mutex<Store>,
    /// Woken on every write, for watchers and followed logs.
    pub changed: Notify,
    pub config: Config,
    pub shutdown: watch::Receiver<bool>,
}

impl Shared {
    /// The store; a panic elsewhere while holding the lock must not stop the server.
    pub fn store(&self) -> std::sync::MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A running stand-in; stops serving when dropped.
pub struct KubeStandIn {
    endpoint: String,
    ca_pem: String,
    token: Option<String>,
    shutdown: watch::Sender<bool>,
    shared: Arc<Shared>,
}

impl KubeStandIn {
    /// How many Jobs were ever created here (deleted ones included).
    pub fn jobs_created(&self) -> usize {
        self.shared.store().created(store::Kind::Job)
    }

    /// The Jobs that exist now.
    pub fn jobs(&self) -> Vec<serde_json::Value> {
        let store = self.shared.store();
        store
            .list(store::Kind::Job, None)
            .into_iter()
            .cloned()
            .collect()
    }

    /// Makes a CA and server certificate, binds 127.0.0.1:0 and serves in the background
    /// of the current tokio runtime.
    pub async fn start(config: Config) -> Result<KubeStandIn, Error> {
        let pki = tls::make_pki()?;
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| Error::new(format!("binding 127.0.0.1:0: {e}")))?;
        let port = listener
            .local_addr()
            .map_err(|e| Error::new(format!("reading the bound port: {e}")))?
            .port();
        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        let token = config.tokens.tokens.first().cloned();
        let shared = Arc::new(Shared {
            store: Mutex::new(Store::new()),
            changed: Notify::new(),
            config,
            shutdown: shutdown_rx.clone(),
        });
        let acceptor = TlsAcceptor::from(pki.server_config);
        tokio::spawn(accept_loop(listener, acceptor, shared.clone(), shutdown_rx));
        Ok(KubeStandIn {
            endpoint: format!("https://127.0.0.1:{port}"),
            ca_pem: pki.ca_pem,
            token,
            shutdown: shutdown_tx,
            shared,
        })
    }

    /// `https://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The CA certificate in PEM.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// Base64 of the CA's PEM, as EKS gives `certificateAuthority.data`.
    pub fn ca_base64(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.ca_pem.as_bytes())
    }

    /// The first accepted token with every right, if the policy lists one.
    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    /// Stops accepting connections and ends open watches.
    pub fn stop(&self) {
        let _ = self.shutdown.send(true);
    }
}

impl Drop for KubeStandIn {
    fn drop(&mut self) {
        self.stop();
    }
}

async fn accept_loop(
    listener: TcpListener,
    acceptor: TlsAcceptor,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = shutdown.changed() => return,
        };
        let Ok((tcp, _)) = accepted else {
            // Out of file descriptors and the like: back off instead of spinning.
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let _ = tcp.set_nodelay(true);
        let acceptor = acceptor.clone();
        let shared = shared.clone();
        let mut shutdown = shutdown.clone();
        tokio::spawn(async move {
            let handshake =
                tokio::time::timeout(Duration::from_secs(10), acceptor.accept(tcp)).await;
            let Ok(Ok(tls)) = handshake else { return };
            let service = service_fn(move |req| {
                let shared = shared.clone();
                async move { Ok::<_, std::convert::Infallible>(api::handle(shared, req).await) }
            });
            let conn = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(tls), service);
            tokio::select! {
                _ = conn => {}
                _ = shutdown.changed() => {}
            }
        });
    }
}
