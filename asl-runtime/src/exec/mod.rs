//! The execution engine: what runs a compiled workflow.
//!
//! In: a [`Runtime`] (task handlers by `Resource` ARN, history sink, account and
//! region for ARNs), built once by the program; a workflow's generated code; an
//! input. Out: the execution's output, or an [`ExecutionError`] carrying AWS's
//! `error` and `cause`.
//!
//! Generated code owns the workflow's logic (which state follows which, which paths,
//! which rules); this module owns the mechanics every workflow shares, once:
//! execution identity and the context object `$$` (`context`, `execution`), history
//! events ([`History`]), the clock, the per-state Retry/Catch loop, Task dispatch
//! and timeouts, Wait, Map and Parallel (`state`). Only [`Runtime`], the options,
//! errors and history of an execution are public; generated code reaches the rest
//! through `__private`.
//!
//! Time comes from tokio: a test that starts its runtime paused
//! (`#[tokio::test(start_paused = true)]`) runs Wait states and retry delays
//! without sleeping, and `$$.State.EnteredTime` advances with the paused clock.

mod aws_history;
pub(crate) mod callbacks;
pub(crate) mod context;
pub(crate) mod durable;
pub(crate) mod execution;
pub(crate) mod history;
pub(crate) mod map_run;
pub(crate) mod state;
pub mod test_state;
pub(crate) mod variables;

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use serde_json::{Map, Value};
use time::OffsetDateTime;

use crate::error::{Error, names};
use crate::limits::PayloadLimit;
use crate::store::ExecutionStore;
use crate::task::TaskHandler;

/// AWS's quota of events in a Standard execution's history (see
/// [`RuntimeBuilder::history_limit`]).
pub use asl_lang::keywords::MAX_HISTORY_EVENTS;
pub use aws_history::aws_history;
pub use durable::{ActivityTask, ApiError, Cleaner, Driver, Resumed, StartedExecution};
pub use history::{EventType, History, HistoryEvent};
pub use map_run::storage::{
    ListPage, ListRequest, ListedObject, ObjectBody, ObjectStorage, StorageError,
};
pub use test_state::{TestStateRequest, TestStateResponse, TestStatus};

use context::Context;
use execution::Execution;

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

#[derive(Clone)]
struct RuntimeInner {
    handlers: HashMap<String, Arc<dyn TaskHandler>>,
    workflows: HashMap<String, ChildWorkflow>,
    history: History,
    region: String,
    partition: String,
    account: String,
    role_arn: String,
    data_limit: PayloadLimit,
    history_limit: Option<u64>,
    mocks: Option<Arc<crate::mock::Mocks>>,
    durability: Option<Arc<durable::Durability>>,
    cleaners: HashMap<String, Arc<dyn Cleaner>>,
    cleanup: bool,
    /// The task tokens of executions in memory.
    callbacks: Arc<callbacks::Callbacks>,
    /// How long GetActivityTask waits for a task.
    activity_poll: Duration,
    /// S3, for distributed Maps' ItemReader and ResultWriter.
    object_storage: Option<Arc<dyn ObjectStorage>>,
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
            .field("store", &self.inner.durability)
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

    /// The mocked states of the test case given to
    /// [`RuntimeBuilder::mock_config`], if any.
    pub fn mocks(&self) -> Option<&crate::mock::Mocks> {
        self.inner.mocks.as_deref()
    }

    /// This runtime with `mocks` instead of its own, and no store (TestState
    /// runs one state and keeps nothing).
    pub(crate) fn with_mocks(&self, mocks: crate::mock::Mocks) -> Runtime {
        let mut inner = (*self.inner).clone();
        inner.mocks = Some(Arc::new(mocks));
        inner.durability = None;
        Runtime {
            inner: Arc::new(inner),
        }
    }

    /// The ARN a Task's `Resource` stands for in this runtime: a Lambda
    /// function ARN that leaves out its region and account
    /// (`arn:aws:lambda:::function:NAME`, which Step Functions accepts) is the
    /// function in this runtime's region and account; any other is itself.
    ///
    /// ```
    /// let rt = asl_runtime::Runtime::builder().region("eu-west-1").account("111122223333").build();
    /// assert_eq!(
    ///     rt.resource_arn("arn:aws:lambda:::function:resize"),
    ///     "arn:aws:lambda:eu-west-1:111122223333:function:resize",
    /// );
    /// assert_eq!(rt.resource_arn("arn:aws:states:::sns:publish"), "arn:aws:states:::sns:publish");
    /// ```
    pub fn resource_arn<'r>(&self, resource: &'r str) -> std::borrow::Cow<'r, str> {
        match asl_lang::integrations::arn::in_region_and_account(
            resource,
            &self.inner.region,
            &self.inner.account,
        ) {
            Some(located) => std::borrow::Cow::Owned(located),
            None => std::borrow::Cow::Borrowed(resource),
        }
    }

    /// The task tokens of this runtime's executions in memory.
    pub(crate) fn callbacks(&self) -> &callbacks::Callbacks {
        &self.inner.callbacks
    }

    /// The handler registered for a `Resource` ARN: the one registered for
    /// exactly that ARN, else, for a Lambda function ARN, the one registered
    /// for every function ([`crate::task::ANY_LAMBDA_FUNCTION`]), for an SDK
    /// integration the one for every action ([`crate::task::ANY_AWS_SDK`]).
    pub fn handler(&self, resource: &str) -> Option<&Arc<dyn TaskHandler>> {
        self.inner.handlers.get(resource).or_else(|| {
            // Written with a region and an account: served as the short form.
            if let Some(short) = asl_lang::integrations::integration(resource)
                .map(|i| i.arn())
                .or_else(|| asl_lang::sdk::optimized::short_form(resource))
                .filter(|short| short != resource)
            {
                return self.inner.handlers.get(&short);
            }
            let any = if asl_lang::integrations::is_lambda_function(resource) {
                crate::task::ANY_LAMBDA_FUNCTION
            } else if asl_lang::sdk::sdk_resource(resource).is_some() {
                crate::task::ANY_AWS_SDK
            } else {
                return None;
            };
            self.inner.handlers.get(any)
        })
    }

    /// The workflow registered with [`RuntimeBuilder::workflow`] under the
    /// state machine name `name`, for nested executions.
    pub fn child_workflow(&self, name: &str) -> Option<ChildWorkflow> {
        self.inner.workflows.get(name).copied()
    }

    /// Every workflow registered with [`RuntimeBuilder::workflow`], by name:
    /// the state machines this runtime serves (ListStateMachines).
    pub fn workflows(&self) -> Vec<ChildWorkflow> {
        let mut all: Vec<ChildWorkflow> = self.inner.workflows.values().copied().collect();
        all.sort_by_key(|w| w.name);
        all
    }

    /// The ARN of a state machine named `name` in this runtime's partition,
    /// region and account.
    pub fn state_machine_arn(&self, name: &str) -> String {
        let rt = &self.inner;
        format!(
            "arn:{}:states:{}:{}:stateMachine:{name}",
            rt.partition, rt.region, rt.account
        )
    }

    /// The ARN of the Standard execution `name` of the state machine
    /// `machine` in this runtime's partition, region and account.
    pub fn execution_arn_for(&self, machine: &str, name: &str) -> String {
        let rt = &self.inner;
        format!(
            "arn:{}:states:{}:{}:execution:{machine}:{name}",
            rt.partition, rt.region, rt.account
        )
    }

    /// The ARN of the Express execution `name` of the state machine `machine`
    /// (`id`: the UUID that ends it) in this runtime's partition, region and
    /// account.
    pub fn express_execution_arn(&self, machine: &str, name: &str, id: &str) -> String {
        let rt = &self.inner;
        format!(
            "arn:{}:states:{}:{}:express:{machine}:{name}:{id}",
            rt.partition, rt.region, rt.account
        )
    }

    pub fn region(&self) -> &str {
        &self.inner.region
    }

    pub fn account(&self) -> &str {
        &self.inner.account
    }

    /// The role ARN executions run as (`$$`, DescribeStateMachine's `roleArn`).
    pub fn role_arn(&self) -> &str {
        &self.inner.role_arn
    }

    /// Does this runtime keep executions in a store?
    /// S3 for distributed Maps ([`RuntimeBuilder::object_storage`]).
    pub(crate) fn object_storage(&self) -> Option<Arc<dyn ObjectStorage>> {
        self.inner.object_storage.clone()
    }

    pub fn is_durable(&self) -> bool {
        self.inner.durability.is_some()
    }
}

/// Builds a [`Runtime`].
pub struct RuntimeBuilder {
    handlers: HashMap<String, Arc<dyn TaskHandler>>,
    workflows: HashMap<String, ChildWorkflow>,
    history: History,
    region: String,
    partition: String,
    account: String,
    role_arn: Option<String>,
    data_limit: PayloadLimit,
    history_limit: Option<u64>,
    mocks: Option<crate::mock::Mocks>,
    mock_retry_delays: bool,
    store: Option<Arc<dyn ExecutionStore>>,
    owner: Option<String>,
    lease: Duration,
    park_after: Duration,
    poll: Duration,
    activity_poll: Duration,
    retention: Option<Duration>,
    max_executions: usize,
    accept_changed_definitions: bool,
    cleaners: HashMap<String, Arc<dyn Cleaner>>,
    cleanup: bool,
    object_storage: Option<Arc<dyn ObjectStorage>>,
}

impl Default for RuntimeBuilder {
    fn default() -> Self {
        RuntimeBuilder {
            handlers: HashMap::new(),
            workflows: HashMap::new(),
            history: History::None,
            region: "us-east-1".into(),
            partition: "aws".into(),
            account: "123456789012".into(),
            role_arn: None,
            data_limit: PayloadLimit::AWS,
            history_limit: Some(asl_lang::keywords::MAX_HISTORY_EVENTS),
            mocks: None,
            mock_retry_delays: true,
            store: None,
            owner: None,
            lease: Duration::from_secs(30),
            park_after: Duration::from_secs(60),
            poll: Duration::from_secs(1),
            activity_poll: Duration::from_secs(60),
            max_executions: 10_000,
            retention: Some(Duration::from_secs(
                crate::store::RETENTION_DAYS as u64 * 24 * 3600,
            )),
            accept_changed_definitions: false,
            cleaners: HashMap::new(),
            cleanup: false,
            object_storage: None,
        }
    }
}

impl RuntimeBuilder {
    /// Runs Task states whose `Resource` is `resource` with `handler`.
    ///
    /// A closure works through [`crate::task::handler_fn`]; a type of your own
    /// implements [`TaskHandler`].
    ///
    /// ```
    /// use asl_runtime::task::handler_fn;
    ///
    /// let rt = asl_runtime::Runtime::builder()
    ///     .handler(
    ///         "arn:aws:lambda:us-east-1:123456789012:function:echo",
    ///         handler_fn(|_task, params| async move { Ok(params) }),
    ///     )
    ///     .build();
    /// assert!(rt.handler("arn:aws:lambda:us-east-1:123456789012:function:echo").is_some());
    /// ```
    pub fn handler(mut self, resource: impl Into<String>, handler: impl TaskHandler) -> Self {
        self.handlers.insert(resource.into(), Arc::new(handler));
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

    /// Registers `W` by name: nested executions (`states:startExecution`)
    /// whose `StateMachineArn` names `W::NAME` run `W` here, in this process,
    /// instead of calling Step Functions; and the execution API takes its
    /// state machine ARN ([`Runtime::start_execution_of`], [`Runtime::redrive`],
    /// [`Runtime::resume_all`]) without the Rust type.
    pub fn workflow<W: crate::Workflow + 'static>(mut self) -> Self {
        self.workflows
            .insert(W::NAME.to_string(), ChildWorkflow::of::<W>());
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

    /// Answers the Task states that test case `test_case` of `state_machine`
    /// mocks in an AWS Step Functions Local `MockConfigFile` (see
    /// [`crate::mock`]); the others run their handlers. Retry waits its delays
    /// after a mocked failure, as Step Functions Local does, unless
    /// [`Self::mock_retry_delays`] says otherwise.
    ///
    /// ```no_run
    /// let runtime = asl_runtime::exec::Runtime::builder()
    ///     .mock_config("MockConfigFile.json", "Orders", "RetryPath")?
    ///     .build();
    /// # Ok::<(), String>(())
    /// ```
    pub fn mock_config(
        self,
        path: impl AsRef<std::path::Path>,
        state_machine: &str,
        test_case: &str,
    ) -> Result<Self, String> {
        let mocks = crate::mock::Mocks::from_file(path, state_machine, test_case)?;
        Ok(self.mocks(mocks))
    }

    /// [`Self::mock_config`] from mocks already read ([`crate::mock::Mocks::parse`]).
    pub fn mocks(mut self, mocks: crate::mock::Mocks) -> Self {
        self.mocks = Some(mocks);
        self
    }

    /// Whether Retry waits its delays after a mocked failure (default true).
    pub fn mock_retry_delays(mut self, wait: bool) -> Self {
        self.mock_retry_delays = wait;
        self
    }

    /// The most events a Standard execution's history may hold: 25,000 by
    /// default, as in AWS, where event 25,000 must be `ExecutionSucceeded` or the
    /// execution fails with `States.Runtime` ("The execution reached the maximum
    /// number of history events (25000)."), which no `Retry` or `Catch` sees.
    /// `None` lifts it. Express executions have no such limit.
    ///
    /// ```
    /// let runtime = asl_runtime::exec::Runtime::builder().history_limit(None).build();
    /// # let _ = runtime;
    /// ```
    pub fn history_limit(mut self, limit: Option<u64>) -> Self {
        self.history_limit = limit;
        self
    }

    /// Keeps every execution in `store`: each transition is committed before the
    /// next state runs, and a runtime on the same store continues executions
    /// after a crash ([`Runtime::resume`]). Without a store, executions live in
    /// memory only (as Express workflows do), the fastest mode.
    pub fn store(mut self, store: impl ExecutionStore) -> Self {
        self.store = Some(Arc::new(store));
        self
    }

    /// [`Self::store`] for a store shared with other runtimes.
    pub fn shared_store(mut self, store: Arc<dyn ExecutionStore>) -> Self {
        self.store = Some(store);
        self
    }

    /// Who this runtime is to the store: a name unique among the processes on
    /// the store (default: host name, process id and a random part).
    pub fn owner(mut self, owner: impl Into<String>) -> Self {
        self.owner = Some(owner.into());
        self
    }

    /// How long a claim on an execution holds without renewal (default 30 s):
    /// after a crash, another runtime takes the execution over this long after
    /// the last renewal. Leases are renewed every third of it.
    pub fn lease(mut self, lease: Duration) -> Self {
        self.lease = lease.max(Duration::from_millis(30));
        self
    }

    /// Wait states longer than this (default 60 s) release a background
    /// execution from memory until they are due ([`Runtime::start_execution`]).
    pub fn park_waits_longer_than(mut self, threshold: Duration) -> Self {
        self.park_after = threshold;
        self
    }

    /// How often a runtime serving a workflow looks for executions to claim
    /// (default 1 s).
    pub fn poll_interval(mut self, poll: Duration) -> Self {
        self.poll = poll.max(Duration::from_millis(1));
        self
    }

    /// How long GetActivityTask waits for a task before it answers that none
    /// came (AWS: 60 s, the default).
    pub fn activity_poll(mut self, wait: Duration) -> Self {
        self.activity_poll = wait;
        self
    }

    /// The most executions this runtime drives at once (default 10,000). A
    /// background StartExecution past it is stored unowned and starts when a
    /// slot frees (here, or on another replica); claims take no more than
    /// the free slots; `run` waits for a slot.
    pub fn max_executions(mut self, max: usize) -> Self {
        self.max_executions = max.max(1);
        self
    }

    /// How long a closed execution stays in the store after it stopped
    /// (default 90 days, as AWS keeps them; `None`: forever). A runtime
    /// serving workflows deletes older ones, with their history, hourly.
    pub fn retention(mut self, retention: Option<Duration>) -> Self {
        self.retention = retention;
        self
    }

    /// Continue stored executions started by a different definition of a
    /// workflow (default: refused, with the two definition hashes).
    pub fn accept_changed_definitions(mut self, accept: bool) -> Self {
        self.accept_changed_definitions = accept;
        self
    }

    /// Deletes resources of `kind` (as a Task reported them with
    /// [`crate::task::TaskContext::created`]) when an execution is cleaned up.
    pub fn cleaner(mut self, kind: impl Into<String>, cleaner: impl Cleaner) -> Self {
        self.cleaners.insert(kind.into(), Arc::new(cleaner));
        self
    }

    /// Registers many cleaners at once, e.g. `Integrations::cleaners()`.
    pub fn cleaners<K: Into<String>>(
        mut self,
        cleaners: impl IntoIterator<Item = (K, Arc<dyn Cleaner>)>,
    ) -> Self {
        for (kind, cleaner) in cleaners {
            self.cleaners.insert(kind.into(), cleaner);
        }
        self
    }

    /// Where distributed Maps read items (`ItemReader`) and write results
    /// (`ResultWriter`): S3, e.g. `Integrations::object_storage()` (feature
    /// `s3`); `None` leaves it unset, and such a Map fails with
    /// `States.ItemReaderFailed` or `States.ResultWriterFailed`.
    pub fn object_storage(mut self, storage: Option<Arc<dyn ObjectStorage>>) -> Self {
        if storage.is_some() {
            self.object_storage = storage;
        }
        self
    }

    /// When an execution fails, times out or is stopped, delete the resources
    /// it created and that still exist, newest first (default: off; an
    /// execution's options can say otherwise).
    pub fn cleanup_on_failure(mut self, cleanup: bool) -> Self {
        self.cleanup = cleanup;
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
                workflows: self.workflows,
                history: self.history,
                region: self.region,
                partition: self.partition,
                account: self.account,
                role_arn,
                data_limit: self.data_limit,
                history_limit: self.history_limit,
                mocks: self.mocks.map(|mut m| {
                    m.retry_delays = self.mock_retry_delays;
                    Arc::new(m)
                }),
                durability: self.store.map(|store| {
                    Arc::new(durable::Durability::new(durable::DurableSettings {
                        store,
                        owner: self.owner.unwrap_or_else(default_owner),
                        lease: self.lease,
                        park_after: self.park_after,
                        poll: self.poll,
                        retention: self.retention,
                        max_executions: self.max_executions,
                        accept_changed_definitions: self.accept_changed_definitions,
                    }))
                }),
                cleaners: self.cleaners,
                cleanup: self.cleanup,
                callbacks: Arc::default(),
                activity_poll: self.activity_poll,
                object_storage: self.object_storage,
            }),
        }
    }
}

/// A compiled workflow that nested executions can start in this process
/// ([`RuntimeBuilder::workflow`]).
#[derive(Clone, Copy)]
pub struct ChildWorkflow {
    /// The state machine's name.
    pub name: &'static str,
    start: for<'a> fn(
        &'a Runtime,
        Value,
        ExecutionOptions,
    ) -> crate::task::BoxFuture<'a, Result<Value, ExecutionError>>,
    serve: for<'a> fn(&'a Runtime) -> crate::task::BoxFuture<'a, ()>,
    pub(crate) flow: durable::Flow,
}

impl ChildWorkflow {
    fn of<W: crate::Workflow + 'static>() -> Self {
        fn start<'a, W: crate::Workflow + 'static>(
            runtime: &'a Runtime,
            input: Value,
            options: ExecutionOptions,
        ) -> crate::task::BoxFuture<'a, Result<Value, ExecutionError>> {
            Box::pin(W::run_with(runtime, input, options))
        }
        fn serve<'a, W: crate::Workflow + 'static>(
            runtime: &'a Runtime,
        ) -> crate::task::BoxFuture<'a, ()> {
            Box::pin(async move {
                if let Err(e) = runtime.resume::<W>().await {
                    tracing::warn!(target: "asl::store", "cannot serve {}: {e}", W::NAME);
                }
            })
        }
        ChildWorkflow {
            name: W::NAME,
            start: start::<W>,
            serve: serve::<W>,
            flow: durable::Flow::of::<W>(),
        }
    }

    /// On a runtime with a store: continues this workflow's executions that
    /// wait there (a parked Wait that is due), now and every poll interval
    /// ([`Runtime::resume`]).
    pub fn serve<'a>(&self, runtime: &'a Runtime) -> crate::task::BoxFuture<'a, ()> {
        (self.serve)(runtime)
    }

    /// The definition's JSON text as deployed ([`crate::Workflow::DEFINITION`]).
    pub fn definition(&self) -> &'static str {
        self.flow.info.definition
    }

    /// The hash of the definition ([`crate::Workflow::DEFINITION_HASH`]).
    pub fn definition_hash(&self) -> &'static str {
        self.flow.info.definition_hash
    }

    /// Runs one execution of the workflow to its end.
    pub fn run<'a>(
        &self,
        runtime: &'a Runtime,
        input: Value,
        options: ExecutionOptions,
    ) -> crate::task::BoxFuture<'a, Result<Value, ExecutionError>> {
        (self.start)(runtime, input, options)
    }
}

impl fmt::Debug for ChildWorkflow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChildWorkflow")
            .field("name", &self.name)
            .finish()
    }
}

/// `host/pid/random`: unique among live processes, readable in the store.
fn default_owner() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "localhost".into());
    let random = uuid::Uuid::new_v4().simple().to_string();
    format!("{host}/{}/{}", std::process::id(), &random[..8])
}

/// How to start one execution; `Default` gives a fresh UUID name and the
/// runtime's history sink.
///
/// ```
/// use asl_runtime::exec::ExecutionOptions;
/// let options = ExecutionOptions::default().name("nightly-2026-11-30").express(true);
/// assert_eq!(options.execution_name(), Some("nightly-2026-11-30"));
/// ```
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct ExecutionOptions {
    /// The execution name (default: a random UUID, as AWS does).
    name: Option<String>,
    /// A history sink for this execution only, instead of the runtime's.
    history: Option<History>,
    /// Run as an Express workflow execution: `$$.Execution.Id` is
    /// `arn:...:express:<state machine>:<name>:<uuid>` and there is no
    /// `RedriveCount` (Express executions cannot be redriven).
    express: bool,
    /// Clean up after a failure, timeout or stop (default: the runtime's setting).
    cleanup: Option<bool>,
    /// The UUID that ends an Express execution's ARN (default: a random one).
    express_id: Option<String>,
}

impl ExecutionOptions {
    /// The execution name given with [`Self::name`].
    pub fn execution_name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// Whether the execution runs as an Express workflow.
    pub fn is_express(&self) -> bool {
        self.express
    }

    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    pub fn history(mut self, history: History) -> Self {
        self.history = Some(history);
        self
    }

    /// Runs the execution as an Express workflow (see [`Self::express`]).
    /// Express executions are never stored, even on a runtime with a store.
    pub fn express(mut self, express: bool) -> Self {
        self.express = express;
        self
    }

    /// The UUID that ends an Express execution's ARN
    /// ([`Runtime::express_execution_arn`]), for a caller that answers with
    /// the ARN before the execution ends (StartSyncExecution); default: a
    /// random UUID.
    pub fn express_id(mut self, id: impl Into<String>) -> Self {
        self.express_id = Some(id.into());
        self
    }

    /// Whether to delete what this execution created when it fails, times out
    /// or is stopped (see [`RuntimeBuilder::cleanup_on_failure`]).
    pub fn cleanup_on_failure(mut self, cleanup: bool) -> Self {
        self.cleanup = Some(cleanup);
        self
    }
}

/// A failed execution: AWS's `error` and `cause` (either may be absent, as when a
/// `Fail` state names neither).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ExecutionError {
    error: Option<String>,
    cause: Option<String>,
    timed_out: bool,
    aborted: bool,
    /// This runtime stopped driving the execution without it ending here
    /// (parked in a long Wait, or taken over by another runtime), and why.
    pub(crate) interrupted: Option<crate::error::Interruption>,
}

impl ExecutionError {
    /// AWS's `error` (`States.TaskFailed`, `EKS.401`, a Fail state's `Error`).
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    /// AWS's `cause`.
    pub fn cause(&self) -> Option<&str> {
        self.cause.as_deref()
    }

    /// True when the state machine's `TimeoutSeconds` ran out (AWS:
    /// `ExecutionTimedOut`, error `States.Timeout`).
    pub fn timed_out(&self) -> bool {
        self.timed_out
    }

    /// True when the execution was stopped (StopExecution: ABORTED).
    pub fn aborted(&self) -> bool {
        self.aborted
    }

    /// True when this runtime stopped driving the execution but it did not end:
    /// it waits in the store (a long Wait) or another runtime continues it.
    pub fn interrupted(&self) -> bool {
        self.interrupted.is_some()
    }

    /// Why this runtime stopped driving the execution, when it did.
    pub fn interruption_kind(&self) -> Option<crate::error::Interruption> {
        self.interrupted
    }

    pub(crate) fn interruption(kind: crate::error::Interruption, why: &str) -> Self {
        ExecutionError {
            error: None,
            cause: Some(why.to_string()),
            timed_out: false,
            aborted: false,
            interrupted: Some(kind),
        }
    }

    pub(crate) fn stopped(error: Option<String>, cause: Option<String>) -> Self {
        ExecutionError {
            error,
            cause,
            timed_out: false,
            aborted: true,
            interrupted: None,
        }
    }

    /// `States.Runtime` with `cause`: the typed API's input or output did
    /// not convert (see [`crate::workflow::run_typed`]).
    pub(crate) fn runtime(cause: String) -> Self {
        ExecutionError {
            error: Some(crate::error::names::RUNTIME.to_string()),
            cause: Some(cause),
            timed_out: false,
            aborted: false,
            interrupted: None,
        }
    }

    /// An execution API call failed before the execution ran.
    pub(crate) fn api(e: ApiError) -> Self {
        ExecutionError {
            error: Some(e.name),
            cause: Some(e.message),
            timed_out: false,
            aborted: false,
            interrupted: None,
        }
    }

    /// How a stored execution came out: its output, or its error (aborted,
    /// timed out, failed; [`Self::interrupted`] while it still runs).
    pub fn outcome_of(record: &crate::store::ExecutionRecord) -> Result<Value, Self> {
        use crate::store::ExecutionStatus as S;
        let mut e = ExecutionError {
            error: record.error.clone(),
            cause: record.cause.clone(),
            timed_out: false,
            aborted: false,
            interrupted: None,
        };
        match record.status {
            S::Succeeded => return Ok(record.output.clone().unwrap_or(Value::Null)),
            S::TimedOut => e.timed_out = true,
            S::Aborted => e.aborted = true,
            S::Running => e.interrupted = Some(crate::error::Interruption::Lost),
            S::Failed => {}
        }
        Err(e)
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
            aborted: false,
            interrupted: None,
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
