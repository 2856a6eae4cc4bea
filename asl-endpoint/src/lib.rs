//! AWS Step Functions' HTTP API over an `asl` [`Runtime`], so the clients a
//! team already uses (boto3, the AWS CLI, the AWS SDKs, their test suites)
//! start and inspect compiled workflows.
//!
//! In: a [`Runtime`] with a store and its workflows registered
//! ([`RuntimeBuilder::workflow`](asl_runtime::RuntimeBuilder::workflow)), and
//! a [`Config`] naming the credentials it accepts. Out: AWS's JSON 1.0
//! protocol as the SDKs speak it: `POST /` with
//! `X-Amz-Target: AWSStepFunctions.<Action>` and
//! `Content-Type: application/x-amz-json-1.0`, every request signed with
//! Signature Version 4 (service `states`) by one of the configured access
//! keys; members named as AWS's API model names them, dates as epoch seconds,
//! errors as `{"__type": NAME, "message": ...}` with HTTP 400 (the caller's)
//! or 500 (ours).
//!
//! Each registered workflow is a state machine named after it
//! (`arn:aws:states:REGION:ACCOUNT:stateMachine:NAME`, from the runtime's
//! partition, region and account), of type `STANDARD`, created when the
//! endpoint was. The actions:
//!
//! | action | answered by |
//! |---|---|
//! | StartExecution | [`Runtime::start_execution_of`] |
//! | StartSyncExecution | an Express execution run to its end (any registered workflow) |
//! | DescribeExecution, ListExecutions, GetExecutionHistory | the store, paged with `maxResults`/`nextToken` |
//! | StopExecution, RedriveExecution | [`Runtime::stop_execution`], [`Runtime::redrive`] |
//! | DescribeStateMachine, DescribeStateMachineForExecution, ListStateMachines | the registered workflows and their [`Workflow::DEFINITION`](asl_runtime::Workflow::DEFINITION) |
//! | ValidateStateMachineDefinition | the compiler's checks (`asl_build`), as AWS's `diagnostics` |
//! | SendTaskSuccess, SendTaskFailure, SendTaskHeartbeat | [`Runtime::send_task_success`] and the others: a `.waitForTaskToken` or activity Task's outcome |
//! | CreateActivity, DescribeActivity, ListActivities, DeleteActivity | the store's activities |
//! | GetActivityTask | a long poll ([`Runtime::get_activity_task`], AWS's 60 s): a task no other worker gets, or no `taskToken` |
//!
//! CreateStateMachine, UpdateStateMachine and DeleteStateMachine need a
//! [`deploy::Deployer`] ([`Config::deployments`]) that builds a definition
//! into a program and switches to it; `asl serve` runs its [`worker`]s that
//! way. Without one they are refused with a `ValidationException` that says
//! this endpoint serves compiled workflows only. Any other operation of the
//! model is refused with `UnsupportedOperation`, and a name that is none with
//! `UnknownOperationException`.
//!
//! Refusals before any action runs: a request with no signature
//! (`MissingAuthenticationTokenException`), an access key not configured
//! (`UnrecognizedClientException`), a signature that does not match the
//! request (`InvalidSignatureException`), a date more than 5 minutes from
//! the server's clock (`InvalidSignatureException`, "Signature expired"), a
//! body that is not a JSON object (`SerializationException`).
//!
//! # Serving
//!
//! [`serve`] listens and answers until the process ends; [`Endpoint`] is the
//! same service for a program that runs its own server (it implements
//! hyper's `Service`, and [`Endpoint::handle`] answers one request):
//!
//! ```no_run
//! # async fn example(runtime: asl_runtime::Runtime) -> std::io::Result<()> {
//! let config = asl_endpoint::Config::new().credential("AKIDLOCAL", "local-secret");
//! let listener = tokio::net::TcpListener::bind(asl_endpoint::DEFAULT_ADDRESS).await?;
//! asl_endpoint::serve(runtime, config, listener).await
//! # }
//! ```
//!
//! and then, from any client:
//!
//! ```text
//! AWS_ACCESS_KEY_ID=AKIDLOCAL AWS_SECRET_ACCESS_KEY=local-secret \
//!   aws stepfunctions list-state-machines --endpoint-url http://127.0.0.1:8083 --region us-east-1
//! ```
//!
//! StartSyncExecution is sent by the SDKs to the host `sync-` + the
//! endpoint's host; against a local address turn that off (boto3:
//! `Config(inject_host_prefix=False)`; the Rust SDK: `disable_host_prefix`).

mod actions;
pub mod deploy;
mod machines;
mod sigv4;
mod wire;
pub mod worker;

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use asl_runtime::Runtime;
use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use serde_json::Value;
use time::OffsetDateTime;
use tokio::net::TcpListener;

use crate::wire::Failure;

/// Where [`serve`] listens unless told otherwise: loopback, the port Step
/// Functions Local used.
pub const DEFAULT_ADDRESS: &str = "127.0.0.1:8083";

/// The largest request body read (a definition is at most 1 MiB of text;
/// an execution input 256 KiB).
const MAX_BODY: usize = 2 * 1024 * 1024;

/// How long a client may take to send a request's head.
const HEADER_TIMEOUT: Duration = Duration::from_secs(30);

/// What the endpoint accepts: the access keys (id and secret) requests may
/// be signed with, and the region they sign for (default: the runtime's).
///
/// ```
/// let config = asl_endpoint::Config::new()
///     .credential("AKIDLOCAL", "local-secret")
///     .region("eu-west-1");
/// # let _ = config;
/// ```
#[derive(Clone, Default)]
pub struct Config {
    credentials: HashMap<String, String>,
    region: Option<String>,
    deployments: Option<(Vec<deploy::Machine>, Arc<dyn deploy::Deployer>)>,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The secrets stay out of logs.
        let mut keys: Vec<&str> = self.credentials.keys().map(String::as_str).collect();
        keys.sort_unstable();
        f.debug_struct("Config")
            .field("access_key_ids", &keys)
            .field("region", &self.region)
            .finish()
    }
}

impl Config {
    /// No credentials yet: every request is refused until one is added.
    pub fn new() -> Config {
        Config::default()
    }

    /// Accepts requests signed with `access_key_id` and `secret_access_key`.
    pub fn credential(
        mut self,
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<String>,
    ) -> Config {
        self.credentials
            .insert(access_key_id.into(), secret_access_key.into());
        self
    }

    /// The region requests must be signed for (default: the runtime's).
    pub fn region(mut self, region: impl Into<String>) -> Config {
        self.region = Some(region.into());
        self
    }

    /// Takes CreateStateMachine, UpdateStateMachine and DeleteStateMachine:
    /// `machines` are the state machines served now (each also registered
    /// with the runtime), and `deployer` switches to a program serving a new
    /// set (see [`deploy`]).
    pub fn deployments(
        mut self,
        machines: Vec<deploy::Machine>,
        deployer: impl deploy::Deployer,
    ) -> Config {
        self.deployments = Some((machines, Arc::new(deployer)));
        self
    }
}

/// The Step Functions API of one runtime, as a service: cheap to clone.
#[derive(Clone)]
pub struct Endpoint {
    inner: Arc<Inner>,
}

struct Inner {
    api: actions::Api,
    verifier: sigv4::Verifier,
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoint")
            .field("runtime", &self.inner.api.runtime)
            .field("region", &self.inner.verifier.region)
            .finish()
    }
}

impl Endpoint {
    /// The API of `runtime`, accepting what `config` says.
    pub fn new(runtime: Runtime, config: Config) -> Endpoint {
        let region = config
            .region
            .unwrap_or_else(|| runtime.region().to_string());
        Endpoint {
            inner: Arc::new(Inner {
                api: actions::Api {
                    runtime,
                    created: OffsetDateTime::now_utc(),
                    deployments: config.deployments.map(|(machines, deployer)| {
                        actions::Deployments {
                            deployer,
                            machines: std::sync::Mutex::new(machines),
                            changing: tokio::sync::Mutex::new(()),
                        }
                    }),
                },
                verifier: sigv4::Verifier {
                    credentials: config.credentials,
                    region,
                },
            }),
        }
    }

    /// Answers one request whose body has been read.
    pub async fn handle(&self, request: Request<Bytes>) -> Response<Full<Bytes>> {
        let (head, body) = request.into_parts();
        let request_id = uuid::Uuid::new_v4().to_string();
        let (status, answer) = match self.answer(&head, &body).await {
            Ok(output) => (200, output),
            Err(failure) => {
                if failure.status >= 500 {
                    tracing::warn!(target: "asl::endpoint", "{}: {}", failure.name, failure.message);
                }
                (failure.status, failure.body())
            }
        };
        Response::builder()
            .status(StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
            .header(http::header::CONTENT_TYPE, "application/x-amz-json-1.0")
            .header("x-amzn-RequestId", request_id)
            .body(Full::new(Bytes::from(answer.to_string())))
            .unwrap_or_else(|_| Response::new(Full::new(Bytes::new())))
    }

    async fn answer(&self, head: &http::request::Parts, body: &[u8]) -> Result<Value, Failure> {
        self.inner
            .verifier
            .verify(head, body, OffsetDateTime::now_utc())?;
        if head.method != http::Method::POST || head.uri.path() != "/" {
            return Err(actions::unknown_operation());
        }
        let action = head
            .headers
            .get("x-amz-target")
            .and_then(|t| t.to_str().ok())
            .and_then(|t| t.strip_prefix("AWSStepFunctions."))
            .ok_or_else(actions::unknown_operation)?;
        let members = if body.iter().all(u8::is_ascii_whitespace) {
            serde_json::Map::new()
        } else {
            match serde_json::from_slice::<Value>(body) {
                Ok(Value::Object(members)) => members,
                Ok(_) => {
                    return Err(Failure::client(
                        "SerializationException",
                        "the request body is not a JSON object",
                    ));
                }
                Err(e) => {
                    return Err(Failure::client(
                        "SerializationException",
                        format!("the request body is not JSON: {e}"),
                    ));
                }
            }
        };
        self.inner.api.call(action, &members).await
    }

    /// Reads `request`'s body (up to 2 MiB) and answers it.
    pub async fn handle_body<B>(&self, request: Request<B>) -> Response<Full<Bytes>>
    where
        B: hyper::body::Body,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let (head, body) = request.into_parts();
        match Limited::new(body, MAX_BODY).collect().await {
            Ok(collected) => {
                self.handle(Request::from_parts(head, collected.to_bytes()))
                    .await
            }
            Err(e) => {
                let failure = Failure {
                    status: 413,
                    name: "RequestEntityTooLargeException".into(),
                    message: format!(
                        "the request body could not be read within {MAX_BODY} bytes: {e}"
                    ),
                };
                Response::builder()
                    .status(StatusCode::PAYLOAD_TOO_LARGE)
                    .header(http::header::CONTENT_TYPE, "application/x-amz-json-1.0")
                    .body(Full::new(Bytes::from(failure.body().to_string())))
                    .unwrap_or_else(|_| Response::new(Full::new(Bytes::new())))
            }
        }
    }

    /// Accepts connections on `listener` and serves each (HTTP/1.1, keep-alive)
    /// until the process ends; an error only when accepting fails.
    pub async fn serve(self, listener: TcpListener) -> std::io::Result<()> {
        self.serve_until(listener, std::future::pending(), Duration::ZERO)
            .await
    }

    /// [`Endpoint::serve`] until `shutdown` completes: then no connection is
    /// accepted any more, idle connections are closed, and the requests in
    /// flight get up to `grace` to be answered.
    pub async fn serve_until(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()>,
        grace: Duration,
    ) -> std::io::Result<()> {
        let (stopping, stop) = tokio::sync::watch::channel(false);
        let mut connections = tokio::task::JoinSet::new();
        let mut shutdown = std::pin::pin!(shutdown);
        loop {
            let accepted = tokio::select! {
                accepted = listener.accept() => accepted,
                () = &mut shutdown => break,
                // Finished connections are let go as they end.
                Some(_) = connections.join_next(), if !connections.is_empty() => continue,
            };
            let (stream, _) = match accepted {
                Ok(accepted) => accepted,
                // Out of file descriptors and the like: wait, then accept again.
                Err(e) if is_transient(&e) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
                Err(e) => return Err(e),
            };
            let _ = stream.set_nodelay(true);
            let service = self.clone();
            let mut stop = stop.clone();
            connections.spawn(async move {
                let connection = hyper::server::conn::http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(HEADER_TIMEOUT)
                    .serve_connection(TokioIo::new(stream), service);
                let mut connection = std::pin::pin!(connection);
                let ended = tokio::select! {
                    ended = connection.as_mut() => Some(ended),
                    _ = stop.wait_for(|s| *s) => None,
                };
                let ended = match ended {
                    Some(ended) => ended,
                    None => {
                        connection.as_mut().graceful_shutdown();
                        connection.await
                    }
                };
                if let Err(e) = ended {
                    tracing::debug!(target: "asl::endpoint", "connection ended: {e}");
                }
            });
        }
        drop(listener);
        let _ = stopping.send(true);
        let _ = tokio::time::timeout(grace, async {
            while connections.join_next().await.is_some() {}
        })
        .await;
        connections.abort_all();
        Ok(())
    }
}

fn is_transient(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::*;
    matches!(
        e.kind(),
        ConnectionAborted | ConnectionReset | Interrupted | WouldBlock
    ) || e
        .raw_os_error()
        .is_some_and(|code| code == 23 || code == 24)
}

impl hyper::service::Service<Request<Incoming>> for Endpoint {
    type Response = Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn call(&self, request: Request<Incoming>) -> Self::Future {
        let endpoint = self.clone();
        Box::pin(async move { Ok(endpoint.handle_body(request).await) })
    }
}

/// Serves `runtime`'s Step Functions API on `listener` (bind it to
/// [`DEFAULT_ADDRESS`] or another loopback address) until the process ends.
/// Executions left running by an earlier process are resumed first
/// ([`Runtime::resume_all`]).
pub async fn serve(runtime: Runtime, config: Config, listener: TcpListener) -> std::io::Result<()> {
    if runtime.is_durable()
        && let Err(e) = runtime.resume_all().await
    {
        tracing::warn!(target: "asl::endpoint", "cannot resume executions: {e}");
    }
    Endpoint::new(runtime, config).serve(listener).await
}
