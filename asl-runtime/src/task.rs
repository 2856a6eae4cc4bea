//! The seam between a `Task` state and whatever does the work.
//!
//! Generated code never calls a service directly: it asks the [`crate::exec`]
//! runtime for the [`TaskHandler`] registered for the state's `Resource` and awaits
//! it. The built-in integrations (Amazon EKS and the Kubernetes API, SNS, Lambda,
//! DynamoDB, S3, SQS, EventBridge, nested executions, HTTPS) are handlers like any
//! other, so a test or a program can replace each one.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use serde_json::Value;

use crate::error::Error;
use crate::exec::execution::Execution;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The key under which a handler serves every Lambda function ARN
/// (`arn:<partition>:lambda:<region>:<account>:function:<name>[:<qualifier>]`)
/// that has no handler of its own: `RuntimeBuilder::handler(ANY_LAMBDA_FUNCTION, h)`.
/// The built-in Lambda integration registers itself here.
pub const ANY_LAMBDA_FUNCTION: &str = "arn:*:lambda:*:*:function:*";

/// The key under which a handler serves every `aws-sdk:<service>:<action>`
/// resource the program has a table for ([`TaskContext::sdk_action`]).
pub const ANY_AWS_SDK: &str = "arn:*:states:*:*:aws-sdk:*";

/// Where a running task's heartbeats go: the engine waits on it to enforce
/// `HeartbeatSeconds`; a handler reaches it through [`TaskContext::send_heartbeat`].
///
/// A heartbeat sent while nobody waits is kept (one, not counted), so a beat is
/// never lost between two checks of the engine.
#[derive(Debug, Default)]
pub struct HeartbeatSignal {
    notify: tokio::sync::Notify,
}

impl HeartbeatSignal {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records one heartbeat (AWS: `SendTaskHeartbeat`).
    pub fn beat(&self) {
        self.notify.notify_one();
    }

    /// Completes at the next heartbeat (or at once for one sent since the last wait).
    pub async fn next_beat(&self) {
        self.notify.notified().await;
    }
}

/// What a handler knows about the task it runs, besides its parameters.
///
/// Build one with [`TaskContext::new`] and set the public fields that apply; the
/// engine also attaches the [`HeartbeatSignal`] it watches.
#[derive(Clone, Debug)]
pub struct TaskContext<'a> {
    /// The state's `Resource`, e.g. `arn:aws:states:::eks:runJob.sync`.
    pub resource: &'a str,
    /// The Task state's name.
    pub state_name: &'a str,
    /// `TimeoutSeconds` / `TimeoutSecondsPath` in effect, if any.
    pub timeout: Option<Duration>,
    /// `HeartbeatSeconds` / `HeartbeatSecondsPath` in effect, if any.
    pub heartbeat: Option<Duration>,
    /// The task token (`$$.Task.Token`) for `.waitForTaskToken` resources.
    pub task_token: Option<&'a str>,
    /// `Credentials` after evaluation (a role to assume), if the state has them.
    pub credentials: Option<&'a Value>,
    /// For an `aws-sdk:<service>:<action>` resource the program serves from
    /// AWS's model: the action's compact table (JSON text, written by the
    /// compiler), which the generic SDK caller calls it with.
    pub sdk_action: Option<&'a str>,
    /// Where [`TaskContext::send_heartbeat`] reports; `None` outside the engine.
    heartbeat_signal: Option<&'a HeartbeatSignal>,
    /// The execution the task runs in, its state entry and attempt; `None`
    /// outside the engine.
    execution: Option<(&'a Execution, u64, u32)>,
}

impl<'a> TaskContext<'a> {
    /// A context for `resource` in state `state_name`, without timeouts, token,
    /// credentials or heartbeat signal.
    pub fn new(resource: &'a str, state_name: &'a str) -> Self {
        TaskContext {
            resource,
            state_name,
            timeout: None,
            heartbeat: None,
            task_token: None,
            credentials: None,
            sdk_action: None,
            heartbeat_signal: None,
            execution: None,
        }
    }

    /// Runs the task in `execution`, in the state entered at event
    /// `entered_event_id`, as attempt `attempt` (0 first, then one per retry).
    pub(crate) fn with_execution(
        mut self,
        execution: &'a Execution,
        entered_event_id: u64,
        attempt: u32,
    ) -> Self {
        self.execution = Some((execution, entered_event_id, attempt));
        self
    }

    /// The runtime the task runs in, inside the engine (nested executions
    /// start their child there).
    pub fn runtime(&self) -> Option<&crate::Runtime> {
        self.execution.map(|(e, _, _)| &e.runtime)
    }

    /// The execution's ARN (`$$.Execution.Id`), inside the engine.
    pub fn execution_arn(&self) -> Option<&str> {
        self.execution.map(|(e, _, _)| e.arn())
    }

    /// Which attempt of the state this is: 0, then one more per retry.
    pub fn attempt(&self) -> u32 {
        self.execution.map_or(0, |(_, _, a)| a)
    }

    /// A token that is the same when this very attempt runs again after a
    /// crash (same execution, same state entry, same attempt) and different
    /// otherwise: what an API's idempotency token (EKS's
    /// `clientRequestToken`) should be, so a repeated call does not act twice.
    /// 32 hexadecimal characters; `None` outside the engine.
    pub fn idempotency_token(&self) -> Option<String> {
        use sha2::Digest as _;
        let (execution, entered, attempt) = self.execution?;
        let mut hash = sha2::Sha256::new();
        hash.update(execution.arn().as_bytes());
        hash.update([0]);
        hash.update(self.state_name.as_bytes());
        hash.update(entered.to_be_bytes());
        hash.update(attempt.to_be_bytes());
        let digest = hash.finalize();
        Some(digest[..16].iter().map(|b| format!("{b:02x}")).collect())
    }

    /// Did this execution record a resource of `kind` identified by `id`
    /// (through [`Self::created`], before a crash or in an earlier state)?
    pub async fn was_created(&self, kind: &str, id: &Value) -> bool {
        match self.execution {
            Some((execution, _, _)) => execution.was_created(kind, id).await,
            None => false,
        }
    }

    /// Reports a resource this task created for the execution (kind such as
    /// `eks:cluster`, and what identifies it), so that cleanup after a stop or
    /// failure can delete it. A durable execution stores it at once. Call it as
    /// soon as the service has accepted the creation, before waiting for it.
    pub async fn created(&self, kind: &str, id: Value) -> Result<(), Error> {
        match self.execution {
            Some((execution, _, _)) => execution.created(kind, id).await,
            None => Ok(()),
        }
    }

    /// Sends this task's heartbeats to `signal`.
    pub fn with_heartbeat_signal(mut self, signal: &'a HeartbeatSignal) -> Self {
        self.heartbeat_signal = Some(signal);
        self
    }

    /// Reports that the task is still making progress (AWS: `SendTaskHeartbeat`),
    /// which restarts the `HeartbeatSeconds` clock. Long-running handlers call it
    /// on every poll or event; without a signal attached it does nothing.
    pub fn send_heartbeat(&self) {
        if let Some(signal) = self.heartbeat_signal {
            signal.beat();
        }
    }
}

/// Runs the work of a Task state: effective parameters in, result out.
///
/// An `Err` is a task failure with AWS's error name and cause, which the state's
/// `Retry` and `Catch` see.
pub trait TaskHandler: Send + Sync + 'static {
    fn invoke<'a>(
        &'a self,
        task: &'a TaskContext<'a>,
        parameters: Value,
    ) -> BoxFuture<'a, Result<Value, Error>>;
}

/// A shared handler is a handler (so `Integrations::handlers()` and your own
/// `Arc`s register like any other).
impl<T: TaskHandler + ?Sized> TaskHandler for std::sync::Arc<T> {
    fn invoke<'a>(
        &'a self,
        task: &'a TaskContext<'a>,
        parameters: Value,
    ) -> BoxFuture<'a, Result<Value, Error>> {
        (**self).invoke(task, parameters)
    }
}

/// What a [`handler_fn`] closure knows about its task, owned so that the
/// closure's future may keep it.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct TaskRequest {
    /// The state's `Resource`.
    pub resource: String,
    /// The Task state's name.
    pub state_name: String,
    /// `TimeoutSeconds` in effect, if any.
    pub timeout: Option<Duration>,
    /// `HeartbeatSeconds` in effect, if any.
    pub heartbeat: Option<Duration>,
    /// The task token (`$$.Task.Token`) for `.waitForTaskToken` resources.
    pub task_token: Option<String>,
    /// `Credentials` after evaluation, if the state has them.
    pub credentials: Option<Value>,
    /// Which attempt of the state this is: 0, then one more per retry
    /// ([`TaskContext::attempt`]).
    pub attempt: u32,
}

impl From<&TaskContext<'_>> for TaskRequest {
    fn from(task: &TaskContext<'_>) -> Self {
        TaskRequest {
            resource: task.resource.to_owned(),
            state_name: task.state_name.to_owned(),
            timeout: task.timeout,
            heartbeat: task.heartbeat,
            task_token: task.task_token.map(str::to_owned),
            credentials: task.credentials.cloned(),
            attempt: task.attempt(),
        }
    }
}

/// A [`TaskHandler`] made of a closure: `handler_fn(|task, params| async move { ... })`.
///
/// The closure gets the task's [`TaskRequest`] and its effective parameters, and
/// returns the result or an [`Error`] (AWS's error name and cause, which the
/// state's Retry and Catch see). A handler that must send heartbeats while it
/// works implements [`TaskHandler`] itself (see [`TaskContext::send_heartbeat`]).
///
/// ```
/// use asl_runtime::{Error, Runtime, task::handler_fn};
/// use serde_json::json;
///
/// let resize = handler_fn(|task, params| async move {
///     match params["width"].as_u64() {
///         Some(w) => Ok(json!({"width": w / 2, "state": task.state_name})),
///         None => Err(Error::new("Resize.BadInput", "width is missing")),
///     }
/// });
/// let runtime = Runtime::builder()
///     .handler("arn:aws:lambda:us-east-1:123456789012:function:resize", resize)
///     .build();
/// # let _ = runtime;
/// ```
pub fn handler_fn<F, Fut>(f: F) -> HandlerFn<F>
where
    F: Fn(TaskRequest, Value) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Value, Error>> + Send + 'static,
{
    HandlerFn(f)
}

/// The handler [`handler_fn`] makes.
pub struct HandlerFn<F>(F);

impl<F> std::fmt::Debug for HandlerFn<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HandlerFn")
    }
}

impl<F, Fut> TaskHandler for HandlerFn<F>
where
    F: Fn(TaskRequest, Value) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Value, Error>> + Send + 'static,
{
    fn invoke<'a>(
        &'a self,
        task: &'a TaskContext<'a>,
        parameters: Value,
    ) -> BoxFuture<'a, Result<Value, Error>> {
        Box::pin((self.0)(TaskRequest::from(task), parameters))
    }
}

/// A [`TaskHandler`] over Rust types: `typed_handler_fn(|task, input: In| async move { ... })`
/// where `In` is what the parameters deserialize to and the closure returns
/// an `Out` that serializes to the result.
///
/// Parameters that do not fit `In` fail the task with `States.TaskFailed`
/// (a Retry or Catch sees it, as it would see a Lambda function refusing its
/// event), the cause naming the type and serde's message. Declare the result's
/// shape to the compiler with a JSON Schema of `Out`
/// (`asl!(…, resources = ["arn:…" => "out.schema.json"])`) so paths into the
/// result are checked and the typed API's output takes its types.
///
/// ```
/// use asl_runtime::{Error, Runtime, task::typed_handler_fn};
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Deserialize)]
/// struct Sku { sku: String }
/// #[derive(Serialize)]
/// struct Quote { price: u32, currency: &'static str }
///
/// let price = typed_handler_fn(|_task, input: Sku| async move {
///     match input.sku.as_str() {
///         "" => Err(Error::new("Price.UnknownSku", "no SKU")),
///         _ => Ok(Quote { price: 42, currency: "EUR" }),
///     }
/// });
/// let runtime = Runtime::builder()
///     .handler("arn:aws:lambda:us-east-1:123456789012:function:price", price)
///     .build();
/// # let _ = runtime;
/// ```
pub fn typed_handler_fn<F, Fut, In, Out>(f: F) -> TypedHandlerFn<F, In>
where
    F: Fn(TaskRequest, In) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Out, Error>> + Send + 'static,
    In: serde::de::DeserializeOwned + Send + 'static,
    Out: serde::Serialize + Send + 'static,
{
    TypedHandlerFn(f, std::marker::PhantomData)
}

/// The handler [`typed_handler_fn`] makes.
pub struct TypedHandlerFn<F, In>(F, std::marker::PhantomData<fn() -> In>);

impl<F, In> std::fmt::Debug for TypedHandlerFn<F, In> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TypedHandlerFn")
    }
}

/// The last segment of a type's name, for messages.
fn short_type_name<T>() -> &'static str {
    let name = std::any::type_name::<T>();
    name.rsplit("::").next().unwrap_or(name)
}

impl<F, Fut, In, Out> TaskHandler for TypedHandlerFn<F, In>
where
    F: Fn(TaskRequest, In) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Out, Error>> + Send + 'static,
    In: serde::de::DeserializeOwned + Send + 'static,
    Out: serde::Serialize + Send + 'static,
{
    fn invoke<'a>(
        &'a self,
        task: &'a TaskContext<'a>,
        parameters: Value,
    ) -> BoxFuture<'a, Result<Value, Error>> {
        let failed = |what: String| Error::new(crate::error::names::TASK_FAILED, what);
        let input = match serde_json::from_value::<In>(parameters) {
            Ok(input) => input,
            Err(e) => {
                let cause = format!(
                    "the parameters of state '{}' do not fit `{}`: {e}",
                    task.state_name,
                    short_type_name::<In>()
                );
                return Box::pin(std::future::ready(Err(failed(cause))));
            }
        };
        let future = (self.0)(TaskRequest::from(task), input);
        Box::pin(async move {
            let out = future.await?;
            serde_json::to_value(out).map_err(|e| {
                failed(format!(
                    "the result `{}` does not serialize to JSON: {e}",
                    short_type_name::<Out>()
                ))
            })
        })
    }
}
