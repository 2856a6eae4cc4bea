//! The execution engine: what runs a compiled workflow.
//!
//! In: a [`Runtime`] (task handlers by `Resource` ARN, history sink, account and
//! region for ARNs), built once by the program; a workflow's generated code; an
//! input. Out: the execution's output, or an [`ExecutionError`] carrying AWS's
//! `error` and `cause`.
//!
//! Generated code owns the workflow's logic (which state follows which, which paths,
//! which rules); this module owns the mechanics every workflow shares, once:
//! execution identity and the context object `$$` ([`context`]), history events
//! ([`history`]), the clock, the per-state Retry/Catch loop, Task dispatch and
//! timeouts, Wait, Map and Parallel ([`state`]).
//!
//! Time comes from tokio: a test that starts its runtime paused
//! (`#[tokio::test(start_paused = true)]`) runs Wait states and retry delays
//! without sleeping, and `$$.State.EnteredTime` advances with the paused clock.

pub mod context;
pub mod history;
pub mod state;
pub mod variables;

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use serde_json::{Map, Value};
use time::OffsetDateTime;

use crate::error::{Error, names};
use crate::limits::PayloadLimit;
use crate::task::TaskHandler;

pub use context::Context;
pub use history::{EventType, History, HistoryEvent};
pub use state::{Catcher, Jitter, Retrier, StateInfo, StateKind, StateRun, Transition};
pub use variables::Variables;

/// What a program configures once and shares between executions: the task
/// handlers by `Resource`, where history goes, and the account, region and role
/// that appear in ARNs and in `$$`.
///
/// ```
/// use asl_runtime::exec::{History, Runtime};
///
/// let runtime = Runtime::builder().region("eu-west-1").history(History::Tracing).build();
/// assert_eq!(runtime.region(), "eu-west-1");
/// ```
#[derive(Clone)]
pub struct Runtime {
    inner: Arc<RuntimeInner>,
}

struct RuntimeInner {
    handlers: HashMap<String, Arc<dyn TaskHandler>>,
    history: History,
    region: String,
    partition: String,
    account: String,
    role_arn: String,
    data_limit: PayloadLimit,
}

impl Default for Runtime {
    fn default() -> Self {
        Runtime::builder().build()
    }
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut resources: Vec<&str> = self.inner.handlers.keys().map(String::as_str).collect();
        resources.sort_unstable();
        f.debug_struct("Runtime")
            .field("handlers", &resources)
            .field("history", &self.inner.history)
            .field("region", &self.inner.region)
            .field("account", &self.inner.account)
            .finish()
    }
}

impl Runtime {
    /// A runtime with no task handlers, no history, region `us-east-1`.
    pub fn new() -> Runtime {
        Runtime::default()
    }

    pub fn builder() -> RuntimeBuilder {
        RuntimeBuilder::default()
    }

    /// The handler registered for a `Resource` ARN.
    pub fn handler(&self, resource: &str) -> Option<&Arc<dyn TaskHandler>> {
        self.inner.handlers.get(resource)
    }

    pub fn region(&self) -> &str {
        &self.inner.region
    }

    pub fn account(&self) -> &str {
        &self.inner.account
    }
}

/// Builds a [`Runtime`].
pub struct RuntimeBuilder {
    handlers: HashMap<String, Arc<dyn TaskHandler>>,
    history: History,
    region: String,
    partition: String,
    account: String,
    role_arn: Option<String>,
    data_limit: PayloadLimit,
}

impl Default for RuntimeBuilder {
    fn default() -> Self {
        RuntimeBuilder {
            handlers: HashMap::new(),
            history: History::None,
            region: "us-east-1".into(),
            partition: "aws".into(),
            account: "123456789012".into(),
            role_arn: None,
            data_limit: PayloadLimit::AWS,
        }
    }
}

impl RuntimeBuilder {
    /// Runs Task states whose `Resource` is `resource` with `handler`.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use asl_runtime::task::{BoxFuture, TaskContext, TaskHandler};
    /// use asl_runtime::{Error, Value};
    ///
    /// struct Echo;
    /// impl TaskHandler for Echo {
    ///     fn invoke<'a>(&'a self, _: &'a TaskContext<'a>, p: Value) -> BoxFuture<'a, Result<Value, Error>> {
    ///         Box::pin(async move { Ok(p) })
    ///     }
    /// }
    /// let rt = asl_runtime::exec::Runtime::builder()
    ///     .handler("arn:aws:lambda:us-east-1:123456789012:function:echo", Arc::new(Echo))
    ///     .build();
    /// assert!(rt.handler("arn:aws:lambda:us-east-1:123456789012:function:echo").is_some());
    /// ```
    pub fn handler(mut self, resource: impl Into<String>, handler: Arc<dyn TaskHandler>) -> Self {
        self.handlers.insert(resource.into(), handler);
        self
    }

    /// Registers many handlers at once, e.g. `Integrations::handlers()`.
    pub fn handlers<R: Into<String>>(
        mut self,
        handlers: impl IntoIterator<Item = (R, Arc<dyn TaskHandler>)>,
    ) -> Self {
        for (resource, handler) in handlers {
            self.handlers.insert(resource.into(), handler);
        }
        self
    }

    /// Where history events go (default: nowhere).
    pub fn history(mut self, history: History) -> Self {
        self.history = history;
        self
    }

    /// The region in execution and state machine ARNs (default `us-east-1`).
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = region.into();
        self
    }

    /// The partition in ARNs (default `aws`).
    pub fn partition(mut self, partition: impl Into<String>) -> Self {
        self.partition = partition.into();
        self
    }

    /// The account id in ARNs (default `123456789012`).
    pub fn account(mut self, account: impl Into<String>) -> Self {
        self.account = account.into();
        self
    }

    /// `$$.Execution.RoleArn` (default `arn:aws:iam::<account>:role/asl-execution`).
    pub fn role_arn(mut self, role_arn: impl Into<String>) -> Self {
        self.role_arn = Some(role_arn.into());
        self
    }

    /// The largest state output in bytes of JSON: 256 KiB as in AWS by default
    /// (`States.DataLimitExceeded`); [`PayloadLimit::UNLIMITED`] lifts it.
    pub fn data_limit(mut self, limit: PayloadLimit) -> Self {
        self.data_limit = limit;
        self
    }

    pub fn build(self) -> Runtime {
        let role_arn = self.role_arn.unwrap_or_else(|| {
            format!(
                "arn:{}:iam::{}:role/asl-execution",
                self.partition, self.account
            )
        });
        Runtime {
            inner: Arc::new(RuntimeInner {
                handlers: self.handlers,
                history: self.history,
                region: self.region,
                partition: self.partition,
                account: self.account,
                role_arn,
                data_limit: self.data_limit,
            }),
        }
    }
}

/// What generated code knows about its workflow, as a `static`.
#[derive(Debug)]
pub struct WorkflowInfo {
    /// The state machine name (last part of its ARN, `$$.StateMachine.Name`).
    pub name: &'static str,
    /// The state machine's `TimeoutSeconds`.
    pub timeout_seconds: Option<u64>,
    /// Can any state read `$$.Execution.Input` (through `$$` whole,
    /// `$$.Execution`, a full JSONPath over `$$` or JSONata's
    /// `$states.context`)? Only then does the execution keep a copy of its input.
    pub reads_execution_input: bool,
}

/// How to start one execution; `Default` gives a fresh UUID name and the
/// runtime's history sink.
#[derive(Clone, Debug, Default)]
pub struct ExecutionOptions {
    /// The execution name (default: a random UUID, as AWS does).
    pub name: Option<String>,
    /// A history sink for this execution only, instead of the runtime's.
    pub history: Option<History>,
    /// Run as an Express workflow execution: `$$.Execution.Id` is
    /// `arn:...:express:<state machine>:<name>:<uuid>` and there is no
    /// `RedriveCount` (Express executions cannot be redriven).
    pub express: bool,
}

impl ExecutionOptions {
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    pub fn history(mut self, history: History) -> Self {
        self.history = Some(history);
        self
    }

    /// Runs the execution as an Express workflow (see [`Self::express`]).
    pub fn express(mut self, express: bool) -> Self {
        self.express = express;
        self
    }
}

/// A failed execution: AWS's `error` and `cause` (either may be absent, as when a
/// `Fail` state names neither).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExecutionError {
    pub error: Option<String>,
    pub cause: Option<String>,
    /// True when the state machine's `TimeoutSeconds` ran out (AWS:
    /// `ExecutionTimedOut`, error `States.Timeout`).
    pub timed_out: bool,
}

impl ExecutionError {
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    pub fn cause(&self) -> Option<&str> {
        self.cause.as_deref()
    }

    fn from_error(e: Error, timed_out: bool) -> Self {
        // A Fail state without `Error` fails with no error name; inside the engine
        // that is the empty name.
        let error = if e.error.is_empty() {
            None
        } else {
            Some(e.error.into_owned())
        };
        ExecutionError {
            error,
            cause: e.cause,
            timed_out,
        }
    }
}

impl fmt::Display for ExecutionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("execution failed")?;
        if let Some(e) = &self.error {
            write!(f, ": {e}")?;
        }
        if let Some(c) = &self.cause {
            write!(f, ": {c}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ExecutionError {}

/// One running execution of a workflow: its identity, `$$.Execution`, clock and
/// history. Generated state functions receive `&Execution`.
pub struct Execution {
    runtime: Runtime,
    info: &'static WorkflowInfo,
    express: bool,
    name: String,
    arn: String,
    state_machine_arn: String,
    input: Value,
    start_time: OffsetDateTime,
    wall_anchor: OffsetDateTime,
    instant_anchor: tokio::time::Instant,
    recorder: history::Recorder,
    context_execution: OnceLock<Value>,
    context_state_machine: OnceLock<Value>,
}

impl fmt::Debug for Execution {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Execution")
            .field("arn", &self.arn)
            .finish_non_exhaustive()
    }
}

impl Execution {
    /// Starts an execution: names it, records `ExecutionStarted`. Returns the
    /// execution and the input for the first state.
    pub fn start(
        runtime: &Runtime,
        info: &'static WorkflowInfo,
        input: Value,
        options: ExecutionOptions,
    ) -> (Execution, Value) {
        let name = options
            .name
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        let rt = &runtime.inner;
        let arn = if options.express {
            format!(
                "arn:{}:states:{}:{}:express:{}:{}:{}",
                rt.partition,
                rt.region,
                rt.account,
                info.name,
                name,
                uuid::Uuid::new_v4()
            )
        } else {
            format!(
                "arn:{}:states:{}:{}:execution:{}:{}",
                rt.partition, rt.region, rt.account, info.name, name
            )
        };
        let state_machine_arn = format!(
            "arn:{}:states:{}:{}:stateMachine:{}",
            rt.partition, rt.region, rt.account, info.name
        );
        let history = options.history.unwrap_or_else(|| rt.history.clone());
        let wall_anchor = OffsetDateTime::now_utc();
        let execution = Execution {
            runtime: runtime.clone(),
            info,
            express: options.express,
            recorder: history::Recorder::new(history, Arc::from(name.as_str())),
            name,
            arn,
            state_machine_arn,
            // `$$.Execution.Input` is kept only for workflows that can read it.
            input: if info.reads_execution_input {
                input.clone()
            } else {
                Value::Null
            },
            start_time: wall_anchor,
            wall_anchor,
            instant_anchor: tokio::time::Instant::now(),
            context_execution: OnceLock::new(),
            context_state_machine: OnceLock::new(),
        };
        let details = if execution.recorder.enabled() {
            let mut d = Map::new();
            d.insert("input".into(), input.clone());
            d.insert("roleArn".into(), Value::String(rt.role_arn.clone()));
            Value::Object(d)
        } else {
            Value::Null
        };
        execution.record(EventType::ExecutionStarted, None, details);
        (execution, input)
    }

    /// Runs the workflow's driver to its end under the state machine's
    /// `TimeoutSeconds`, and records how the execution ended.
    pub async fn finish<F>(&self, driver: F) -> Result<Value, ExecutionError>
    where
        F: Future<Output = Result<Value, Error>>,
    {
        let result = match self.info.timeout_seconds {
            Some(seconds) => match tokio::time::timeout(Duration::from_secs(seconds), driver).await
            {
                Ok(r) => r.map_err(|e| (e, false)),
                Err(_) => Err((
                    Error::new(
                        names::TIMEOUT,
                        "The execution timed out (TimeoutSeconds of the state machine).",
                    ),
                    true,
                )),
            },
            None => driver.await.map_err(|e| (e, false)),
        };
        match result {
            Ok(output) => {
                if self.recorder.enabled() {
                    self.record(
                        EventType::ExecutionSucceeded,
                        None,
                        details_one("output", output.clone()),
                    );
                }
                Ok(output)
            }
            Err((error, timed_out)) => {
                if self.recorder.enabled() {
                    let event = if timed_out {
                        EventType::ExecutionTimedOut
                    } else {
                        EventType::ExecutionFailed
                    };
                    self.record(event, None, error_details(&error));
                }
                Err(ExecutionError::from_error(error, timed_out))
            }
        }
    }

    /// The child execution that runs one iteration of a distributed Map: the same
    /// identity, input and clock, but its states' events stay out of this
    /// execution's history (AWS records them in the child's own history).
    pub fn map_run_child(&self) -> Execution {
        Execution {
            runtime: self.runtime.clone(),
            info: self.info,
            express: self.express,
            name: self.name.clone(),
            arn: self.arn.clone(),
            state_machine_arn: self.state_machine_arn.clone(),
            input: self.input.clone(),
            start_time: self.start_time,
            wall_anchor: self.wall_anchor,
            instant_anchor: self.instant_anchor,
            recorder: history::Recorder::new(History::None, Arc::from(self.name.as_str())),
            context_execution: OnceLock::new(),
            context_state_machine: OnceLock::new(),
        }
    }

    /// The execution input (`$$.Execution.Input`), kept when the workflow reads
    /// `$$` (`null` otherwise).
    pub fn input(&self) -> &Value {
        &self.input
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The execution ARN (`$$.Execution.Id`).
    pub fn arn(&self) -> &str {
        &self.arn
    }

    pub fn runtime(&self) -> &Runtime {
        &self.runtime
    }

    pub fn start_time(&self) -> OffsetDateTime {
        self.start_time
    }

    /// Now, on the execution's clock: wall time at start plus tokio time elapsed,
    /// so paused tokio time pauses it too.
    pub fn now(&self) -> OffsetDateTime {
        self.wall_anchor + (tokio::time::Instant::now() - self.instant_anchor)
    }

    pub(crate) fn data_limit(&self) -> PayloadLimit {
        self.runtime.inner.data_limit
    }

    /// Records an event; returns its id (ids are counted even when no sink wants
    /// the events, because AWS's error causes cite them).
    #[inline]
    pub(crate) fn record(&self, event: EventType, state: Option<&str>, details: Value) -> u64 {
        let now = if self.recorder.enabled() {
            self.now()
        } else {
            self.wall_anchor
        };
        self.recorder.record(now, event, state, details)
    }

    pub(crate) fn recording(&self) -> bool {
        self.recorder.enabled()
    }

    /// `$$.Execution`, built on first use.
    pub(crate) fn context_execution(&self) -> &Value {
        self.context_execution.get_or_init(|| {
            let mut e = Map::with_capacity(6);
            e.insert("Id".into(), Value::String(self.arn.clone()));
            e.insert("Input".into(), self.input.clone());
            e.insert(
                "StartTime".into(),
                Value::String(format_timestamp(self.start_time)),
            );
            e.insert("Name".into(), Value::String(self.name.clone()));
            e.insert(
                "RoleArn".into(),
                Value::String(self.runtime.inner.role_arn.clone()),
            );
            if !self.express {
                e.insert("RedriveCount".into(), Value::from(0));
            }
            Value::Object(e)
        })
    }

    /// `$$.StateMachine`, built on first use.
    pub(crate) fn context_state_machine(&self) -> &Value {
        self.context_state_machine.get_or_init(|| {
            let mut m = Map::with_capacity(2);
            m.insert("Id".into(), Value::String(self.state_machine_arn.clone()));
            m.insert("Name".into(), Value::String(self.info.name.to_owned()));
            Value::Object(m)
        })
    }
}

/// AWS's timestamp form in `$$`: `2024-01-02T03:04:05.678Z`.
pub fn format_timestamp(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

pub(crate) fn details_one(key: &str, value: Value) -> Value {
    let mut d = Map::with_capacity(1);
    d.insert(key.into(), value);
    Value::Object(d)
}

pub(crate) fn error_details(error: &Error) -> Value {
    let mut d = Map::with_capacity(2);
    if !error.error.is_empty() {
        d.insert("error".into(), Value::String(error.error.to_string()));
    }
    if let Some(c) = &error.cause {
        d.insert("cause".into(), Value::String(c.clone()));
    }
    Value::Object(d)
}
