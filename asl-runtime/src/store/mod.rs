//! Execution stores: where a durable execution keeps every transition, so that a
//! crash, a deploy or a Ctrl-C loses nothing and another process can finish it.
//!
//! In: writes from the execution engine, one per transition (the new current
//! state and its input, the variables in scope, retry counters, Map and Parallel
//! progress, the history events since the last write, the resources a Task
//! created), and the execution API's calls (StartExecution, StopExecution,
//! RedriveExecution, ...). Out: the stored executions, their histories, and the
//! executions a runtime may claim (its own after a restart, or any whose owner
//! stopped renewing its lease).
//!
//! Two backends implement [`ExecutionStore`]: [`SqliteStore`] (feature `sqlite`,
//! one file in WAL mode, nothing to start) and [`PostgresStore`] (feature
//! `postgres`, for replicas sharing executions; claims lock rows with `FOR
//! UPDATE SKIP LOCKED`). Every operation is written once (`ops`), over a
//! transaction either backend provides; each backend only moves operations to
//! its connection and commits concurrent ones in groups: one transaction
//! carries every operation waiting when the previous one committed, and an
//! operation is answered only with what its own commit did.
//!
//! Ownership is fenced: a claim bumps the execution's `epoch`, and every write
//! of the engine is one statement that checks owner, epoch and RUNNING before
//! anything else of it is written. Leases are counted on the database's clock.
//! Without a store a runtime runs executions in memory, as Express workflows.

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use serde_json::Value;
use time::OffsetDateTime;

#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod ops;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod schema;
#[cfg(feature = "sqlite")]
mod sqlite;

#[cfg(feature = "postgres")]
pub use postgres::PostgresStore;
#[cfg(feature = "sqlite")]
pub use sqlite::SqliteStore;

/// An execution's status, with AWS's names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ExecutionStatus {
    Running,
    Succeeded,
    Failed,
    TimedOut,
    Aborted,
}

impl ExecutionStatus {
    pub const ALL: [ExecutionStatus; 5] = [
        ExecutionStatus::Running,
        ExecutionStatus::Succeeded,
        ExecutionStatus::Failed,
        ExecutionStatus::TimedOut,
        ExecutionStatus::Aborted,
    ];

    /// `RUNNING`, `SUCCEEDED`, `FAILED`, `TIMED_OUT`, `ABORTED`.
    pub fn as_str(self) -> &'static str {
        match self {
            ExecutionStatus::Running => "RUNNING",
            ExecutionStatus::Succeeded => "SUCCEEDED",
            ExecutionStatus::Failed => "FAILED",
            ExecutionStatus::TimedOut => "TIMED_OUT",
            ExecutionStatus::Aborted => "ABORTED",
        }
    }

    /// The status called `name` (AWS's spelling).
    pub fn parse(name: &str) -> Option<ExecutionStatus> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// Can an execution in this status be redriven (AWS: FAILED, TIMED_OUT, ABORTED)?
    pub fn is_redrivable(self) -> bool {
        matches!(
            self,
            ExecutionStatus::Failed | ExecutionStatus::TimedOut | ExecutionStatus::Aborted
        )
    }
}

impl fmt::Display for ExecutionStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where an execution stands: the top-level state it is in (entered or about to
/// be), with what it needs to continue from there after a crash.
#[derive(Clone, Debug, PartialEq)]
pub struct Position {
    /// The current top-level state.
    pub state: String,
    /// Its input (the previous state's output).
    pub input: Value,
    /// The top-level workflow variables, as an object.
    pub variables: Value,
    /// Retries used so far, per `Retry` entry of the current state.
    pub retries: Vec<u32>,
    /// The id of the current state's `...StateEntered` event, once entered.
    pub entered_event_id: Option<u64>,
    /// When the current state was entered (`$$.State.EnteredTime`, the same
    /// after a resume).
    pub entered_time: Option<OffsetDateTime>,
}

impl Position {
    /// About to enter `state` with `input` and `variables` (no retries used, not
    /// entered yet).
    pub fn at(state: impl Into<String>, input: Value, variables: Value) -> Position {
        Position {
            state: state.into(),
            input,
            variables,
            retries: Vec::new(),
            entered_event_id: None,
            entered_time: None,
        }
    }
}

/// One stored history event.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredEvent {
    /// 1-based, in order, per execution.
    pub id: u64,
    pub timestamp: OffsetDateTime,
    /// AWS's event type name (`TaskStateEntered`, `ExecutionRedriven`, ...).
    pub event_type: String,
    pub state: Option<String>,
    /// AWS's `previousEventId` (see [`crate::exec::HistoryEvent::previous_event_id`]).
    pub previous_event_id: u64,
    /// The event's details (`{"input": ...}`, `{"error": ..., "cause": ...}`).
    pub details: Value,
}

/// A resource a Task created for this execution (an EKS cluster, a node group, a
/// Kubernetes Job), recorded as it is created so cleanup can delete it.
#[derive(Clone, Debug, PartialEq)]
pub struct CreatedResource {
    /// Creation order within the execution.
    pub seq: u64,
    /// What it is, e.g. `eks:cluster`, `eks:nodegroup`, `kubernetes:job`.
    pub kind: String,
    /// What identifies it to the service, e.g. `{"name": "ExampleCluster"}`.
    pub id: Value,
    /// Whether cleanup (or the workflow itself) already deleted it.
    pub deleted: bool,
}

/// One stored execution: what DescribeExecution shows, and where it stands.
#[derive(Clone, Debug, PartialEq)]
pub struct ExecutionRecord {
    pub arn: String,
    pub name: String,
    /// The state machine's name.
    pub workflow: String,
    /// The hash of the definition it runs (`Workflow::DEFINITION_HASH`).
    pub definition_hash: String,
    pub status: ExecutionStatus,
    pub input: Value,
    pub output: Option<Value>,
    pub error: Option<String>,
    pub cause: Option<String>,
    pub start_date: OffsetDateTime,
    pub stop_date: Option<OffsetDateTime>,
    /// How many times it was redriven (`$$.Execution.RedriveCount`).
    pub redrive_count: u32,
    pub redrive_date: Option<OffsetDateTime>,
    /// The state it runs (or ran last), `None` only before the first state.
    pub position: Option<Position>,
    /// The id the next history event gets.
    pub next_event_id: u64,
    /// The runtime that runs it, while one does.
    pub owner: Option<String>,
    /// Until when the owner's claim holds unless renewed.
    pub lease_until: Option<OffsetDateTime>,
    /// Parked: no runtime holds it in memory until then (the earliest
    /// deadline of what it waits on; now, once an outcome was delivered).
    pub wake_at: Option<OffsetDateTime>,
    /// Delete what it created when it stops, fails or times out.
    pub cleanup: bool,
    /// The ownership epoch: one more at every claim. A write names the epoch
    /// its writer claimed, and is refused once another claim took over.
    pub epoch: u64,
}

impl ExecutionRecord {
    /// A new RUNNING execution about to enter `position`, unowned, not
    /// redriven, cleanup off, its next event id 1 (set what differs).
    pub fn started(
        arn: impl Into<String>,
        name: impl Into<String>,
        workflow: impl Into<String>,
        definition_hash: impl Into<String>,
        input: Value,
        start_date: OffsetDateTime,
        position: Position,
    ) -> ExecutionRecord {
        ExecutionRecord {
            arn: arn.into(),
            name: name.into(),
            workflow: workflow.into(),
            definition_hash: definition_hash.into(),
            status: ExecutionStatus::Running,
            input,
            output: None,
            error: None,
            cause: None,
            start_date,
            stop_date: None,
            redrive_count: 0,
            redrive_date: None,
            position: Some(position),
            next_event_id: 1,
            owner: None,
            lease_until: None,
            wake_at: None,
            cleanup: false,
            epoch: 1,
        }
    }
}

/// A write of the engine, committed as one transaction: it applies only while
/// `owner` still owns the execution and it is RUNNING (else
/// [`StoreError::NotOwner`]).
#[derive(Clone, Debug, Default)]
pub struct Write {
    pub arn: String,
    /// The writer; `None`: a write after the end (cleanup), which needs no
    /// ownership.
    pub owner: Option<String>,
    /// The epoch of the writer's claim ([`ExecutionRecord::epoch`]).
    pub epoch: u64,
    /// The new position, if it changed.
    pub position: Option<Position>,
    /// Events recorded since the last write.
    pub events: Vec<StoredEvent>,
    pub next_event_id: u64,
    /// Finished Map iterations and Parallel branches of the current top-level
    /// state, at any depth: `(frame, index, output)`, where the frame names the
    /// Map or Parallel (see [`Progress`]).
    pub progress: Vec<(String, u64, Value)>,
    /// The current state was left: its progress no longer matters.
    pub clear_progress: bool,
    /// Resources deleted (by cleanup), by `seq`.
    pub deleted: Vec<u64>,
    /// The execution ended.
    pub end: Option<End>,
    /// Release the execution until this instant (a long Wait or callback).
    pub park_until: Option<OffsetDateTime>,
    /// The suspension (its id) the parked execution waits on: when it already
    /// has an outcome, the execution is due at once instead.
    pub park_on: Option<String>,
}

/// How an execution ended.
#[derive(Clone, Debug, PartialEq)]
pub struct End {
    pub status: ExecutionStatus,
    pub output: Option<Value>,
    pub error: Option<String>,
    pub cause: Option<String>,
    pub date: OffsetDateTime,
}

/// One finished Map iteration or Parallel branch: the frame of its Map or
/// Parallel state (the top-level state's name, or for one nested in another
/// Map or Parallel, the path to it: `Outer/2/Inner`), its index, its output.
pub type Progress = (String, u64, Value);

/// What a suspension waits on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SuspensionKind {
    /// A Wait state (its deadline is when it is due).
    Wait,
    /// A task token (`.waitForTaskToken`): SendTaskSuccess, SendTaskFailure.
    TaskToken,
    /// An activity task, until a worker reports on it.
    Activity,
    /// A child execution (`states:startExecution.sync`).
    ChildExecution,
    /// A Distributed Map's Map Run.
    MapRun,
}

impl SuspensionKind {
    pub const ALL: [SuspensionKind; 5] = [
        SuspensionKind::Wait,
        SuspensionKind::TaskToken,
        SuspensionKind::Activity,
        SuspensionKind::ChildExecution,
        SuspensionKind::MapRun,
    ];

    /// How the store names it.
    pub fn as_str(self) -> &'static str {
        match self {
            SuspensionKind::Wait => "WAIT",
            SuspensionKind::TaskToken => "TASK_TOKEN",
            SuspensionKind::Activity => "ACTIVITY",
            SuspensionKind::ChildExecution => "CHILD_EXECUTION",
            SuspensionKind::MapRun => "MAP_RUN",
        }
    }

    /// The kind named `name`.
    pub fn parse(name: &str) -> Option<SuspensionKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

/// How a suspension ended.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// A result: SendTaskSuccess's output, a child's output; `null` for a
    /// Wait that came due.
    Succeeded(Value),
    /// SendTaskFailure's (or a child's) error and cause.
    Failed {
        error: Option<String>,
        cause: Option<String>,
    },
    /// Its deadline passed (`States.Timeout`).
    TimedOut,
    /// No heartbeat came in time (`States.HeartbeatTimeout`).
    HeartbeatTimedOut,
}

impl Outcome {
    /// As the store keeps it.
    pub fn to_json(&self) -> Value {
        match self {
            Outcome::Succeeded(v) => serde_json::json!({ "succeeded": v }),
            Outcome::Failed { error, cause } => {
                serde_json::json!({ "failed": { "error": error, "cause": cause } })
            }
            Outcome::TimedOut => serde_json::json!({ "timedOut": true }),
            Outcome::HeartbeatTimedOut => serde_json::json!({ "heartbeatTimedOut": true }),
        }
    }

    /// Read back from [`Outcome::to_json`]'s form.
    pub fn from_json(value: &Value) -> Option<Outcome> {
        let text = |v: &Value, key: &str| v.get(key).and_then(Value::as_str).map(str::to_string);
        if let Some(v) = value.get("succeeded") {
            return Some(Outcome::Succeeded(v.clone()));
        }
        if let Some(f) = value.get("failed") {
            return Some(Outcome::Failed {
                error: text(f, "error"),
                cause: text(f, "cause"),
            });
        }
        if value.get("timedOut").is_some() {
            return Some(Outcome::TimedOut);
        }
        value
            .get("heartbeatTimedOut")
            .map(|_| Outcome::HeartbeatTimedOut)
    }
}

/// Something an execution waits on, durably: a Wait, a task token, an
/// activity task, a child execution, a Map Run. A suspended execution may be
/// parked (held by no runtime, no memory); delivering an outcome makes it due
/// in the same transaction.
#[derive(Clone, Debug, PartialEq)]
pub struct Suspension {
    pub arn: String,
    /// Which waiting point of the execution (stable across a crash: the same
    /// state, visit and attempt give the same id).
    pub id: String,
    pub kind: SuspensionKind,
    /// What a client reports with (a task token), unique in the store.
    pub token: Option<String>,
    /// When it times out (a Wait: when it is due).
    pub deadline: Option<OffsetDateTime>,
    /// `HeartbeatSeconds`: each heartbeat extends [`Self::heartbeat_deadline`] by it.
    pub heartbeat_seconds: Option<u64>,
    pub heartbeat_deadline: Option<OffsetDateTime>,
    /// What it is about (an activity's ARN and input, a child's ARN, ...).
    pub details: Value,
    pub created: OffsetDateTime,
    /// Set once, by whichever comes first: a delivery or a deadline.
    pub outcome: Option<Outcome>,
    pub closed: Option<OffsetDateTime>,
    /// An activity task: the activity's ARN (workers take its tasks).
    pub activity: Option<String>,
    /// An activity task: the worker that took it (GetActivityTask's
    /// `workerName`, or `""`), once taken.
    pub worker: Option<String>,
    /// An activity task: when a worker took it.
    pub started: Option<OffsetDateTime>,
}

impl Suspension {
    /// A new open suspension.
    pub fn new(
        arn: impl Into<String>,
        id: impl Into<String>,
        kind: SuspensionKind,
        created: OffsetDateTime,
    ) -> Suspension {
        Suspension {
            arn: arn.into(),
            id: id.into(),
            kind,
            token: None,
            deadline: None,
            heartbeat_seconds: None,
            heartbeat_deadline: None,
            details: Value::Null,
            created,
            outcome: None,
            closed: None,
            activity: None,
            worker: None,
            started: None,
        }
    }

    /// When it must be looked at again without a delivery: the earlier of
    /// its deadline and its heartbeat deadline.
    pub fn due(&self) -> Option<OffsetDateTime> {
        match (self.deadline, self.heartbeat_deadline) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The outcome its deadlines give at `now`, if one passed.
    pub fn expired(&self, now: OffsetDateTime) -> Option<Outcome> {
        if self.deadline.is_some_and(|d| d <= now) {
            return Some(Outcome::TimedOut);
        }
        if self.heartbeat_deadline.is_some_and(|d| d <= now) {
            return Some(Outcome::HeartbeatTimedOut);
        }
        None
    }
}

/// An activity (CreateActivity): its tasks wait in the store until a worker
/// takes one (GetActivityTask).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActivityRecord {
    pub arn: String,
    pub name: String,
    pub creation_date: OffsetDateTime,
}

/// A distributed Map's Map Run (DescribeMapRun), with its children counted
/// by status when read.
#[derive(Clone, Debug, PartialEq)]
pub struct MapRunRecord {
    pub arn: String,
    /// The execution whose Map state started it.
    pub execution_arn: String,
    /// `RUNNING`, `SUCCEEDED`, `FAILED` or `ABORTED`.
    pub status: ExecutionStatus,
    pub max_concurrency: u32,
    pub tolerated_failure_count: u64,
    pub tolerated_failure_percentage: f64,
    pub start_date: OffsetDateTime,
    pub stop_date: Option<OffsetDateTime>,
    pub redrive_count: u32,
    pub redrive_date: Option<OffsetDateTime>,
    /// Items and children in all: from the start when the items are given
    /// whole, else once the reader was exhausted (or the Map Run failed).
    pub total_items: Option<u64>,
    pub total_children: Option<u64>,
    /// It writes its children's results with a `ResultWriter`.
    pub result_writer: bool,
    /// Its children are `EXPRESS` executions: they run in memory, none is an
    /// execution of the store, and the Map Run's counts are kept with it
    /// (written as it runs); `STANDARD` children are counted from the store.
    pub express: bool,
    /// The children, by status: the executions of the store, or an
    /// `EXPRESS` Map Run's counts.
    pub children: MapRunCounts,
    /// The items of those children, by status.
    pub items: MapRunCounts,
}

impl MapRunRecord {
    /// A new RUNNING Map Run of `execution_arn` (nothing counted yet).
    pub fn started(
        arn: impl Into<String>,
        execution_arn: impl Into<String>,
        start_date: OffsetDateTime,
    ) -> MapRunRecord {
        MapRunRecord {
            arn: arn.into(),
            execution_arn: execution_arn.into(),
            status: ExecutionStatus::Running,
            max_concurrency: 0,
            tolerated_failure_count: 0,
            tolerated_failure_percentage: 0.0,
            start_date,
            stop_date: None,
            redrive_count: 0,
            redrive_date: None,
            total_items: None,
            total_children: None,
            result_writer: false,
            express: false,
            children: MapRunCounts::default(),
            items: MapRunCounts::default(),
        }
    }
}

/// What a running Map Run has done so far, as [`ExecutionStore::map_run_progress`]
/// and [`ExecutionStore::end_map_run`] store it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MapRunProgress {
    /// Items and children read so far (at its end: in all); `None` when the
    /// totals were known from the start (the items given whole).
    pub totals: Option<(u64, u64)>,
    /// An `EXPRESS` Map Run's children and items by status (`None` for a
    /// `STANDARD` one, whose children the store counts).
    pub counts: Option<(MapRunCounts, MapRunCounts)>,
}

/// Children (or their items) of a Map Run by status, as DescribeMapRun
/// counts them (AWS's `MapRunExecutionCounts` and `MapRunItemCounts`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MapRunCounts {
    pub running: u64,
    pub succeeded: u64,
    pub failed: u64,
    pub timed_out: u64,
    pub aborted: u64,
    /// Unsuccessful children of a redriven Map Run still RUNNING, waiting to
    /// run again (counted here, not under their old status); 0 once the Map
    /// Run ended.
    pub pending_redrive: u64,
    /// Of `failed`, `timed_out` and `aborted`: those a redrive would not run
    /// again (a child stopped more than [`REDRIVE_DAYS`] ago).
    pub failures_not_redrivable: u64,
}

impl MapRunCounts {
    /// Those started, whatever their status (not those waiting for a redrive).
    pub fn stored(&self) -> u64 {
        self.running + self.succeeded + self.failed + self.timed_out + self.aborted
    }

    /// Those of `status` one more by `n` (or fewer, with a negative `n`).
    pub fn change(&mut self, status: ExecutionStatus, n: i64) {
        let slot = self.slot(status);
        *slot = slot.saturating_add_signed(n);
    }

    /// The counts as a Map Run row keeps them.
    pub fn to_json(&self) -> Value {
        serde_json::json!([
            self.running,
            self.succeeded,
            self.failed,
            self.timed_out,
            self.aborted
        ])
    }

    /// The counts from [`Self::to_json`]'s form (`None` if it is not).
    pub fn from_json(value: &Value) -> Option<MapRunCounts> {
        let n: Vec<u64> = value
            .as_array()?
            .iter()
            .map(Value::as_u64)
            .collect::<Option<_>>()?;
        match n[..] {
            [running, succeeded, failed, timed_out, aborted] => Some(MapRunCounts {
                running,
                succeeded,
                failed,
                timed_out,
                aborted,
                ..MapRunCounts::default()
            }),
            _ => None,
        }
    }

    fn slot(&mut self, status: ExecutionStatus) -> &mut u64 {
        match status {
            ExecutionStatus::Running => &mut self.running,
            ExecutionStatus::Succeeded => &mut self.succeeded,
            ExecutionStatus::Failed => &mut self.failed,
            ExecutionStatus::TimedOut => &mut self.timed_out,
            ExecutionStatus::Aborted => &mut self.aborted,
        }
    }

    /// Counts `n` more children in `status` (the stores' count query).
    #[cfg(any(feature = "sqlite", feature = "postgres"))]
    pub(crate) fn add(&mut self, status: ExecutionStatus, n: u64) {
        *self.slot(status) += n;
    }
}

/// A child of a Map Run starting, as [`ExecutionStore::start_child`] stores it.
#[derive(Clone, Debug)]
pub struct ChildStart {
    /// The child execution (its workflow is `<parent machine>/<label>`, which
    /// no runtime claims: its parent drives it).
    pub record: ExecutionRecord,
    pub map_run_arn: String,
    /// Its place in the Map Run (item, or batch, index).
    pub index: u64,
    /// How many items it processes (1, or its batch's size).
    pub items: u64,
    /// Its first events (`ExecutionStarted`; continued: `ExecutionRedriven`).
    pub events: Vec<StoredEvent>,
    /// A child that ended is run again by a redrive of its Map Run: its row
    /// and history are kept (RUNNING again, its redrive count and date,
    /// `events` after its old ones), as RedriveExecution keeps them.
    pub continued: bool,
}

/// A child of a Map Run ending, as [`ExecutionStore::end_child`] stores it.
#[derive(Clone, Debug)]
pub struct ChildEnd {
    pub arn: String,
    pub end: End,
    /// Its events after those stored at its start.
    pub events: Vec<StoredEvent>,
    pub next_event_id: u64,
}

/// What UpdateMapRun changes (`None`: unchanged).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MapRunUpdate {
    pub max_concurrency: Option<u32>,
    pub tolerated_failure_count: Option<u64>,
    pub tolerated_failure_percentage: Option<f64>,
}

/// What ListExecutions filters on.
#[derive(Clone, Debug, Default)]
pub struct ListFilter {
    pub workflow: Option<String>,
    pub status: Option<ExecutionStatus>,
}

/// Which page of a listing (ListExecutions, GetExecutionHistory), as AWS's
/// `maxResults` and `nextToken`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PageRequest {
    /// At most this many (1 to 1,000; 0: AWS's default, 100).
    pub max_results: usize,
    /// Where the previous page ended ([`Page::next_token`]).
    pub next_token: Option<String>,
}

impl PageRequest {
    /// AWS's default page size.
    pub const DEFAULT: usize = 100;
    /// AWS's largest page.
    pub const MAX: usize = 1000;

    /// The page size asked for, within AWS's bounds.
    pub fn size(&self) -> Result<usize, StoreError> {
        match self.max_results {
            0 => Ok(Self::DEFAULT),
            n if n <= Self::MAX => Ok(n),
            n => Err(StoreError::InvalidArgument(format!(
                "maxResults {n} is more than {}",
                Self::MAX
            ))),
        }
    }
}

/// One page of a listing.
#[derive(Clone, Debug, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// What asks for the next page; `None` on the last one.
    pub next_token: Option<String>,
}

/// What [`ExecutionStore::insert`] did.
#[derive(Clone, Debug, PartialEq)]
pub enum Inserted {
    /// A new execution.
    Created,
    /// The same name and input were started before (StartExecution is
    /// idempotent for 90 days): this is that execution.
    Existing(Box<ExecutionRecord>),
}

/// A store's failure, with the AWS error name where the execution API has one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreError {
    /// `ExecutionAlreadyExists`: the name is taken by an execution with another input.
    ExecutionAlreadyExists(String),
    /// `ExecutionDoesNotExist`.
    ExecutionDoesNotExist(String),
    /// `ExecutionNotRedrivable`, with why.
    ExecutionNotRedrivable(String),
    /// `InvalidToken`: a `nextToken` this listing did not give.
    InvalidToken(String),
    /// `InvalidArgument` (AWS answers ValidationException for some).
    InvalidArgument(String),
    /// `TaskDoesNotExist`: no suspension holds this token.
    TaskDoesNotExist(String),
    /// `TaskTimedOut`: the task of this token already closed (it timed out,
    /// or an outcome was delivered before).
    TaskTimedOut(String),
    /// `ResourceNotFound`: no Map Run has this ARN.
    ResourceNotFound(String),
    /// The writer no longer owns the execution (its lease was taken over, or the
    /// execution was stopped).
    NotOwner(String),
    /// The database failed (I/O, a closed connection, a constraint, a
    /// serialization failure, a corrupt file), with what it said.
    Backend(String),
}

impl StoreError {
    /// AWS's error name for this failure.
    pub fn name(&self) -> &'static str {
        match self {
            StoreError::ExecutionAlreadyExists(_) => "ExecutionAlreadyExists",
            StoreError::ExecutionDoesNotExist(_) => "ExecutionDoesNotExist",
            StoreError::ExecutionNotRedrivable(_) => "ExecutionNotRedrivable",
            StoreError::InvalidToken(_) => "InvalidToken",
            StoreError::InvalidArgument(_) => "ValidationException",
            StoreError::TaskDoesNotExist(_) => "TaskDoesNotExist",
            StoreError::TaskTimedOut(_) => "TaskTimedOut",
            StoreError::ResourceNotFound(_) => "ResourceNotFound",
            StoreError::NotOwner(_) => "ExecutionNotOwned",
            StoreError::Backend(_) => "StoreFailure",
        }
    }

    #[cfg(any(feature = "sqlite", feature = "postgres"))]
    pub(crate) fn backend(e: impl fmt::Display) -> StoreError {
        StoreError::Backend(e.to_string())
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::ExecutionAlreadyExists(arn) => write!(
                f,
                "ExecutionAlreadyExists: an execution named {arn} already exists with a different input"
            ),
            StoreError::ExecutionDoesNotExist(arn) => {
                write!(f, "ExecutionDoesNotExist: no execution {arn}")
            }
            StoreError::ExecutionNotRedrivable(why) => write!(f, "ExecutionNotRedrivable: {why}"),
            StoreError::InvalidToken(why) => write!(f, "InvalidToken: {why}"),
            StoreError::InvalidArgument(why) => write!(f, "ValidationException: {why}"),
            StoreError::TaskDoesNotExist(why) => write!(f, "TaskDoesNotExist: {why}"),
            StoreError::TaskTimedOut(why) => write!(f, "TaskTimedOut: {why}"),
            StoreError::ResourceNotFound(why) => write!(f, "ResourceNotFound: {why}"),
            StoreError::NotOwner(arn) => write!(
                f,
                "this runtime no longer owns execution {arn} (stopped, or its lease was taken over)"
            ),
            StoreError::Backend(e) => write!(f, "execution store: {e}"),
        }
    }
}

impl std::error::Error for StoreError {}

/// A boxed future of a store operation.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// AWS keeps an execution name reserved for 90 days.
pub const NAME_REUSE_DAYS: i64 = 90;
/// AWS redrives executions that stopped at most 14 days ago.
pub const REDRIVE_DAYS: i64 = 14;

/// Where durable executions live. Every method is one transaction.
pub trait ExecutionStore: Send + Sync + 'static {
    /// StartExecution: a new RUNNING execution owned by `record.owner`. A name in
    /// use (within [`NAME_REUSE_DAYS`]) with the same input gives
    /// [`Inserted::Existing`]; with another input,
    /// [`StoreError::ExecutionAlreadyExists`].
    fn insert<'a>(
        &'a self,
        record: &'a ExecutionRecord,
        events: &'a [StoredEvent],
    ) -> StoreFuture<'a, Inserted>;

    /// Applies one write of the engine (see [`Write`]).
    fn write<'a>(&'a self, write: Write) -> StoreFuture<'a, ()>;

    /// Records a resource a Task just created (before the Task finishes, so a
    /// crash while it is being created still leaves it known); returns its `seq`.
    fn record_created<'a>(
        &'a self,
        arn: &'a str,
        kind: &'a str,
        id: &'a Value,
    ) -> StoreFuture<'a, u64>;

    /// Claims up to `limit` RUNNING executions of `workflows` that `owner` may
    /// run now: its own (after a restart), unowned ones (new, redriven, or
    /// parked and due), and those whose lease expired, except those in `skip`
    /// (what this process runs already). Each claim bumps the execution's epoch
    /// (fencing out a previous owner's writes) and holds for `lease` on the
    /// database's clock.
    fn claim<'a>(
        &'a self,
        owner: &'a str,
        workflows: &'a [&'a str],
        lease: std::time::Duration,
        limit: usize,
        skip: &'a [String],
    ) -> StoreFuture<'a, Vec<ExecutionRecord>>;

    /// Extends by `lease` (on the database's clock) `owner`'s claims among
    /// `held` (ARN and epoch); returns those of `held` it no longer holds
    /// (taken over, or no longer RUNNING).
    fn renew<'a>(
        &'a self,
        owner: &'a str,
        held: &'a [(String, u64)],
        lease: std::time::Duration,
    ) -> StoreFuture<'a, Vec<(String, u64)>>;

    /// DescribeExecution.
    fn describe<'a>(&'a self, arn: &'a str) -> StoreFuture<'a, ExecutionRecord>;

    /// ListExecutions, newest first.
    fn list<'a>(&'a self, filter: &'a ListFilter) -> StoreFuture<'a, Vec<ExecutionRecord>>;

    /// GetExecutionHistory, oldest first.
    fn history<'a>(&'a self, arn: &'a str) -> StoreFuture<'a, Vec<StoredEvent>>;

    /// One page of ListExecutions, newest first.
    fn list_page<'a>(
        &'a self,
        filter: &'a ListFilter,
        page: &'a PageRequest,
    ) -> StoreFuture<'a, Page<ExecutionRecord>>;

    /// One page of GetExecutionHistory: oldest first, or newest first with
    /// `reverse_order`.
    fn history_page<'a>(
        &'a self,
        arn: &'a str,
        page: &'a PageRequest,
        reverse_order: bool,
    ) -> StoreFuture<'a, Page<StoredEvent>>;

    /// The Map/Parallel progress stored for the current top-level state, at
    /// every depth.
    fn progress<'a>(&'a self, arn: &'a str) -> StoreFuture<'a, Vec<Progress>>;

    /// The resources the execution created, in creation order.
    fn created<'a>(&'a self, arn: &'a str) -> StoreFuture<'a, Vec<CreatedResource>>;

    /// StopExecution: a RUNNING execution becomes ABORTED with `error` and
    /// `cause` (recorded as `ExecutionAborted`); its owner notices at its next
    /// write or lease renewal. Returns the stop date. Stopping an execution
    /// that already ended changes nothing.
    fn stop<'a>(
        &'a self,
        arn: &'a str,
        error: Option<&'a str>,
        cause: Option<&'a str>,
        now: OffsetDateTime,
    ) -> StoreFuture<'a, OffsetDateTime>;

    /// RedriveExecution: a FAILED, TIMED_OUT or ABORTED execution that stopped
    /// less than [`REDRIVE_DAYS`] ago is RUNNING again, unowned, from the state
    /// it stopped in, its redrive count one more (`ExecutionRedriven`).
    fn redrive<'a>(&'a self, arn: &'a str, now: OffsetDateTime)
    -> StoreFuture<'a, ExecutionRecord>;

    /// Retention: deletes the executions that stopped before `stopped_before`
    /// (with their history, progress, resources and suspensions); how many.
    fn purge<'a>(&'a self, stopped_before: OffsetDateTime) -> StoreFuture<'a, u64>;

    /// A waiting point of the engine: stores `suspension` with `write` (one
    /// fenced write, as [`Self::write`]), unless one with its ARN and id is
    /// stored already (the execution resumed there after a crash or park):
    /// then that one, unchanged. Returns what is stored. With
    /// [`Write::park_until`], the execution is released until then, or due at
    /// once when the suspension named by [`Write::park_on`] has an outcome.
    fn suspend<'a>(&'a self, write: Write, suspension: Suspension) -> StoreFuture<'a, Suspension>;

    /// The suspension `id` of execution `arn`, if stored.
    fn suspension<'a>(&'a self, arn: &'a str, id: &'a str) -> StoreFuture<'a, Option<Suspension>>;

    /// Delivers `outcome` to the open suspension holding `token`
    /// (SendTaskSuccess, SendTaskFailure); in the same transaction its
    /// execution becomes due, and its ARN goes to every [`Self::wakeups`]
    /// receiver (of every process sharing the store) once committed. Returns
    /// the suspension. [`StoreError::TaskDoesNotExist`] for a token no
    /// suspension holds, [`StoreError::TaskTimedOut`] for one already closed.
    fn deliver<'a>(
        &'a self,
        token: &'a str,
        outcome: Outcome,
        now: OffsetDateTime,
    ) -> StoreFuture<'a, Suspension>;

    /// SendTaskHeartbeat: the open suspension holding `token` gets its
    /// heartbeat deadline moved to `now` plus its heartbeat seconds. The same
    /// errors as [`Self::deliver`].
    fn heartbeat<'a>(&'a self, token: &'a str, now: OffsetDateTime) -> StoreFuture<'a, Suspension>;

    /// Closes suspension `id` of `arn` with `outcome` (its deadline passed, a
    /// Wait came due) unless an outcome was delivered first: returns the one
    /// that stands.
    fn resolve<'a>(
        &'a self,
        arn: &'a str,
        id: &'a str,
        outcome: Outcome,
        now: OffsetDateTime,
    ) -> StoreFuture<'a, Outcome>;

    /// Sets the details of the open suspension `id` of `write`'s execution
    /// with `write` (one fenced write, as [`Self::write`]): a callback Task
    /// marks its request sent (`TaskSubmitted`), so a resumed execution does
    /// not send it again.
    fn annotate<'a>(&'a self, write: Write, id: &'a str, details: &'a Value)
    -> StoreFuture<'a, ()>;

    /// CreateActivity: the activity `arn` named `name`, created at `now`
    /// unless it exists (then that one, unchanged).
    fn create_activity<'a>(
        &'a self,
        arn: &'a str,
        name: &'a str,
        now: OffsetDateTime,
    ) -> StoreFuture<'a, ActivityRecord>;

    /// DescribeActivity: `None` when there is none.
    fn activity<'a>(&'a self, arn: &'a str) -> StoreFuture<'a, Option<ActivityRecord>>;

    /// ListActivities, by ARN.
    fn list_activities<'a>(
        &'a self,
        page: &'a PageRequest,
    ) -> StoreFuture<'a, Page<ActivityRecord>>;

    /// DeleteActivity (its waiting tasks stay, and nobody takes them).
    fn delete_activity<'a>(&'a self, arn: &'a str) -> StoreFuture<'a, ()>;

    /// GetActivityTask: the oldest task of `activity` no worker has taken,
    /// now taken by `worker` (its heartbeat deadline starts at `now`); in
    /// the same transaction its execution's ARN goes to every
    /// [`Self::wakeups`] receiver (its owner records `ActivityStarted`).
    /// `None` when no task waits. Two workers never take the same task.
    fn take_activity_task<'a>(
        &'a self,
        activity: &'a str,
        worker: &'a str,
        now: OffsetDateTime,
    ) -> StoreFuture<'a, Option<Suspension>>;

    /// A distributed Map's Map Run starts: `run` is stored with `write` (one
    /// fenced write of the parent, as [`Self::write`]) unless one with its
    /// ARN is (the parent resumed it after a crash): returns what is stored.
    fn start_map_run<'a>(
        &'a self,
        write: Write,
        run: &'a MapRunRecord,
    ) -> StoreFuture<'a, MapRunRecord>;

    /// RedriveExecution reached a Map Run that ended: it is RUNNING again,
    /// its redrive count one more (once: a Map Run already RUNNING is left
    /// as it is); with `write` (fenced on the parent). Returns it.
    fn redrive_map_run<'a>(
        &'a self,
        write: Write,
        arn: &'a str,
        now: OffsetDateTime,
    ) -> StoreFuture<'a, MapRunRecord>;

    /// A child of a Map Run starts: stored with `write` (fenced on the
    /// parent), replacing a child of the same ARN left RUNNING by a crash.
    fn start_child<'a>(&'a self, write: Write, child: &'a ChildStart) -> StoreFuture<'a, ()>;

    /// A child of a Map Run ended: its end and events, with `write` (fenced
    /// on the parent).
    fn end_child<'a>(&'a self, write: Write, child: &'a ChildEnd) -> StoreFuture<'a, ()>;

    /// A Map Run ended with `status` at `date`, with its totals (and an
    /// `EXPRESS` one's counts); with `write` (fenced on the parent). A Map
    /// Run that did not succeed leaves no child RUNNING: those are ABORTED.
    fn end_map_run<'a>(
        &'a self,
        write: Write,
        arn: &'a str,
        status: ExecutionStatus,
        date: OffsetDateTime,
        progress: &'a MapRunProgress,
    ) -> StoreFuture<'a, ()>;

    /// A RUNNING Map Run's progress: the items and children read so far
    /// (never fewer than stored), an `EXPRESS` one's counts; with `write`
    /// (fenced on the parent).
    fn map_run_progress<'a>(
        &'a self,
        write: Write,
        arn: &'a str,
        progress: &'a MapRunProgress,
    ) -> StoreFuture<'a, ()>;

    /// DescribeMapRun ([`StoreError::ResourceNotFound`] when there is none).
    fn map_run<'a>(&'a self, arn: &'a str) -> StoreFuture<'a, MapRunRecord>;

    /// ListMapRuns: the Map Runs `execution_arn` started, newest first.
    fn map_runs<'a>(
        &'a self,
        execution_arn: &'a str,
        page: &'a PageRequest,
    ) -> StoreFuture<'a, Page<MapRunRecord>>;

    /// UpdateMapRun: returns the Map Run as changed.
    fn update_map_run<'a>(
        &'a self,
        arn: &'a str,
        update: &'a MapRunUpdate,
    ) -> StoreFuture<'a, MapRunRecord>;

    /// The children of Map Run `arn` that ended, by index.
    fn map_run_children<'a>(&'a self, arn: &'a str)
    -> StoreFuture<'a, Vec<(u64, ExecutionRecord)>>;

    /// ListExecutions of a Map Run's children (`mapRunArn`), newest first,
    /// optionally of one status, each with the number of items it processes.
    fn map_run_executions<'a>(
        &'a self,
        arn: &'a str,
        status: Option<ExecutionStatus>,
        page: &'a PageRequest,
    ) -> StoreFuture<'a, Page<(ExecutionRecord, u64)>>;

    /// The Map Run that started execution `arn`, if a Map Run did.
    fn parent_map_run<'a>(&'a self, arn: &'a str) -> StoreFuture<'a, Option<String>>;

    /// When the next parked execution of `workflows` becomes due (`None`:
    /// none is parked).
    fn next_due<'a>(&'a self, workflows: &'a [&'a str]) -> StoreFuture<'a, Option<OffsetDateTime>>;

    /// The ARNs of executions that became due or got an outcome, as their
    /// transaction commits: this process's deliveries and parks; with a shared
    /// database, other processes' deliveries too (PostgreSQL's NOTIFY). An
    /// empty ARN, or a lagging receiver, means some may have been missed: look
    /// at every execution waiting.
    fn wakeups(&self) -> tokio::sync::broadcast::Receiver<String>;
}

/// AWS keeps a closed execution for 90 days (see [`RuntimeBuilder::retention`](crate::exec::RuntimeBuilder::retention)).
pub const RETENTION_DAYS: i64 = 90;

/// Milliseconds since the Unix epoch: how stores keep dates.
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub(crate) fn to_millis(t: OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub(crate) fn from_millis(ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(ms as i128 * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}
