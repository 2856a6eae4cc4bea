//! Durable executions: an execution whose every transition is committed to an
//! [`ExecutionStore`], so a crash, a deploy or a Ctrl-C loses nothing, and the
//! execution API over that store (StartExecution, DescribeExecution,
//! ListExecutions, GetExecutionHistory, StopExecution, RedriveExecution).
//!
//! In: a runtime given a store ([`RuntimeBuilder::store`]), a compiled
//! workflow's driver, which reports each top-level transition here
//! ([`Execution::checkpoint`]). Out: executions that another process (or this
//! one after a restart) continues where they stood.
//!
//! What a write carries: the new top-level state and its input, the top-level
//! variables, the history events since the last write, finished Map iterations
//! and Parallel branches of the current state. Writes happen at every
//! transition, when a top-level Task starts (so its events are visible while it
//! runs), before a retry waits, when the execution starts waiting (a
//! suspension: a Wait's due time, so a resumed Wait waits only the time left),
//! and at the end.
//!
//! Ownership: the runtime that starts or claims an execution owns it under a
//! lease it renews while it runs; every write is refused once it no longer owns
//! the execution (stopped, or taken over after its lease expired). A top-level
//! suspension longer than the park threshold releases the execution (no memory
//! held); any runtime serving the workflow wakes it when it is due or gets its
//! outcome ([`suspend`]).

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use tokio::sync::{Notify, OnceCell, OwnedSemaphorePermit, RwLock, Semaphore, watch};

use std::pin::Pin;

use super::execution::WorkflowInfo;
use super::history::HistoryEvent;
use super::state::BranchFuture;
use super::variables::Variables;
use super::*;
use crate::error::Interruption;
use crate::store::{
    CreatedResource, End, ExecutionRecord, ExecutionStatus, ExecutionStore, Inserted, ListFilter,
    Page, PageRequest, Position, StoreError, StoredEvent, SuspensionKind, Write,
};
use crate::workflow::Workflow;

mod suspend;

tokio::task_local! {
    /// The Map iteration or Parallel branch a durable execution's future runs
    /// in, as a frame path (`Outer/2`): nested Maps and Parallels key what
    /// they store by it.
    static FRAME: Arc<str>;
}

/// Runs `future` inside frame `frame` (`None`: an execution in memory, which
/// keeps no frames).
pub(crate) fn in_frame<F: Future>(
    frame: Option<String>,
    future: F,
) -> futures_util::future::Either<tokio::task::futures::TaskLocalFuture<Arc<str>, F>, F> {
    match frame {
        Some(frame) => futures_util::future::Either::Left(FRAME.scope(Arc::from(frame), future)),
        None => futures_util::future::Either::Right(future),
    }
}

/// A compiled workflow's top-level driver: runs from state `from` (an index
/// into [`WorkflowInfo::states`]; `None`: `StartAt`) with `input`.
pub type Driver =
    for<'a> fn(&'a Execution, &'a Variables<'a>, Option<usize>, Value) -> BranchFuture<'a>;

/// A compiled workflow as the durable core runs it, without its Rust type:
/// what lets the execution API and a server take state machine ARNs.
#[derive(Clone, Copy)]
pub(crate) struct Flow {
    pub(crate) info: &'static WorkflowInfo,
    pub(crate) driver: Driver,
}

impl Flow {
    pub(crate) fn of<W: Workflow>() -> Flow {
        Flow {
            info: W::__INFO,
            driver: W::__DRIVER,
        }
    }
}

/// Deletes resources of one kind that an execution created (see
/// [`crate::task::TaskContext::created`]), for cleanup on stop or failure.
pub trait Cleaner: Send + Sync + 'static {
    /// Deletes the resource `id` and waits until it is gone. `Ok(false)` when it
    /// was already gone.
    fn delete<'a>(
        &'a self,
        id: &'a Value,
    ) -> Pin<Box<dyn Future<Output = Result<bool, Error>> + Send + 'a>>;
}

/// The settings of a runtime's store (see [`RuntimeBuilder::store`]).
#[derive(Clone)]
pub(crate) struct DurableSettings {
    pub(crate) store: Arc<dyn ExecutionStore>,
    pub(crate) owner: String,
    pub(crate) lease: Duration,
    pub(crate) park_after: Duration,
    pub(crate) poll: Duration,
    pub(crate) retention: Option<Duration>,
    pub(crate) max_executions: usize,
    pub(crate) accept_changed_definitions: bool,
}

/// An execution this runtime drives: its claim's epoch and what stops it.
struct Held {
    epoch: u64,
    stop: Arc<Notify>,
    /// Wakes the execution's waiting point (a delivery came).
    wake: Arc<Notify>,
}

/// A runtime's store and the executions this runtime holds.
pub(crate) struct Durability {
    pub(crate) settings: DurableSettings,
    /// Executions running in this process, with the signal that stops each.
    running: Mutex<HashMap<String, Held>>,
    /// Claims take it exclusively, starts shared: a claim sees every
    /// execution this process started, so it never takes one it runs.
    claiming: RwLock<()>,
    /// Executions refused here (their definition changed).
    refused: Mutex<HashSet<String>>,
    /// Workflows a serving loop claims executions for.
    served: Mutex<HashSet<&'static str>>,
    /// Stops in progress here, until their driver ended and cleanup ran.
    stopping: Mutex<HashMap<String, watch::Receiver<bool>>>,
    renewing: AtomicBool,
    purging: AtomicBool,
    waking: AtomicBool,
    /// Bumped when a parked execution may have become due (a delivery, a
    /// park), or a slot freed while executions waited for one: serving loops
    /// look again at once.
    due: watch::Sender<u64>,
    /// One permit per execution this runtime may drive
    /// ([`DurableSettings::max_executions`]).
    slots: Arc<Semaphore>,
    /// Executions wait for a slot (stored unowned, or left unclaimed).
    saturated: AtomicBool,
}

impl Durability {
    pub(crate) fn new(settings: DurableSettings) -> Self {
        Durability {
            running: Mutex::new(HashMap::new()),
            claiming: RwLock::new(()),
            refused: Mutex::new(HashSet::new()),
            served: Mutex::new(HashSet::new()),
            stopping: Mutex::new(HashMap::new()),
            renewing: AtomicBool::new(false),
            purging: AtomicBool::new(false),
            waking: AtomicBool::new(false),
            due: watch::Sender::new(0),
            slots: Arc::new(Semaphore::new(settings.max_executions)),
            saturated: AtomicBool::new(false),
            settings,
        }
    }

    fn store(&self) -> &dyn ExecutionStore {
        &*self.settings.store
    }

    fn running_arns(&self) -> Vec<String> {
        lock(&self.running).keys().cloned().collect()
    }

    /// What this runtime holds, with each claim's epoch (for renewals); not
    /// what it is still starting (epoch 0: not stored yet).
    fn held(&self) -> Vec<(String, u64)> {
        lock(&self.running)
            .iter()
            .filter(|(_, held)| held.epoch != 0)
            .map(|(arn, held)| (arn.clone(), held.epoch))
            .collect()
    }

    /// The execution being started under `arn` is stored, under `epoch`.
    fn stored(&self, arn: &str, epoch: u64) {
        if let Some(held) = lock(&self.running).get_mut(arn) {
            held.epoch = epoch;
        }
    }

    /// Marks `arn` driven here under `epoch` (0: being started, not stored
    /// yet): its stop signal, or `None` when this process drives it already
    /// (one execution never gets two drivers).
    fn register(&self, arn: &str, epoch: u64, wake: Arc<Notify>) -> Option<Arc<Notify>> {
        let mut running = lock(&self.running);
        if running.contains_key(arn) {
            return None;
        }
        let stop = Arc::new(Notify::new());
        running.insert(
            arn.to_string(),
            Held {
                epoch,
                stop: stop.clone(),
                wake,
            },
        );
        Some(stop)
    }

    fn unregister(&self, arn: &str) {
        lock(&self.running).remove(arn);
    }

    fn signal_stop(&self, arn: &str) {
        if let Some(held) = lock(&self.running).get(arn) {
            held.stop.notify_one();
        }
    }

    /// Stops `arn` if this runtime still drives it under the claim of `epoch`
    /// (a renewal's answer may come after the execution was claimed again).
    fn lost(&self, arn: &str, epoch: u64) {
        if let Some(held) = lock(&self.running).get(arn)
            && held.epoch == epoch
        {
            held.stop.notify_one();
        }
    }

    /// Stops every execution driven here (the store cannot be reached to
    /// renew their leases: another runtime may take them over).
    fn stop_all(&self) {
        for held in lock(&self.running).values() {
            held.stop.notify_one();
        }
    }
}

impl fmt::Debug for Durability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Durability")
            .field("owner", &self.settings.owner)
            .field("lease", &self.settings.lease)
            .finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The durable side of one execution.
pub(crate) struct Durable {
    store: Arc<dyn ExecutionStore>,
    owner: String,
    /// The epoch of this runtime's claim: every write names it.
    epoch: u64,
    /// The current top-level state, as the next write stores it.
    position: Mutex<Position>,
    /// `position` changed since it was last written.
    dirty: AtomicBool,
    /// The stored position to continue from, taken by the first state entered.
    resume: Mutex<Option<Position>>,
    /// The state the execution was resumed or redriven in (whose stored Map
    /// or Parallel progress counts).
    resumed_state: Option<String>,
    /// Map iterations and Parallel branches running (0: at the top level).
    depth: AtomicU32,
    /// Finished iterations and branches not yet written.
    progress: Mutex<Vec<(String, u64, Value)>>,
    /// What a resumed execution had stored of its current state's Map
    /// iterations and Parallel branches, by frame, read once when first needed.
    stored: OnceCell<Mutex<HashMap<String, HashMap<u64, Value>>>>,
    /// Long suspensions release the execution (only when a runtime serves it).
    park_after: Option<Duration>,
    /// Resources cleanup deleted, not yet written.
    deleted: Mutex<Vec<u64>>,
    /// Wakes a waiting point of this execution (an outcome was delivered).
    wake: Arc<Notify>,
    /// Visits of each state of a nested frame, for suspension ids.
    visits: Mutex<HashMap<String, u32>>,
}

impl Durable {
    fn new(
        settings: &DurableSettings,
        epoch: u64,
        position: Position,
        resumed: bool,
        park_after: Option<Duration>,
    ) -> Durable {
        Durable {
            store: settings.store.clone(),
            owner: settings.owner.clone(),
            epoch,
            resumed_state: resumed.then(|| position.state.clone()),
            resume: Mutex::new(resumed.then(|| position.clone())),
            position: Mutex::new(position),
            dirty: AtomicBool::new(false),
            depth: AtomicU32::new(0),
            progress: Mutex::new(Vec::new()),
            stored: OnceCell::new(),
            park_after,
            deleted: Mutex::new(Vec::new()),
            wake: Arc::new(Notify::new()),
            visits: Mutex::new(HashMap::new()),
        }
    }
}

/// While alive, the execution runs nested states (Map iterations, Parallel branches).
pub(crate) struct Nested<'e>(Option<&'e Durable>);

impl Drop for Nested<'_> {
    fn drop(&mut self) {
        if let Some(d) = self.0 {
            d.depth.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

fn stored_event(e: HistoryEvent) -> StoredEvent {
    StoredEvent {
        id: e.id,
        timestamp: e.timestamp,
        event_type: e.event_type.as_str().to_string(),
        state: e.state_name,
        details: e.details,
    }
}

fn store_error(e: StoreError) -> Error {
    match e {
        StoreError::NotOwner(arn) => Error::interrupted(
            Interruption::Lost,
            format!("execution {arn} was stopped or taken over by another runtime"),
        ),
        other => Error::interrupted(Interruption::Lost, other.to_string()),
    }
}

impl Execution {
    /// Does this execution keep its transitions in a store?
    #[inline]
    pub fn durable(&self) -> bool {
        self.durable.is_some()
    }

    /// The durable side when states run at the top level (not inside a Map
    /// iteration or Parallel branch).
    pub(crate) fn at_top(&self) -> Option<&Durable> {
        self.durable
            .as_deref()
            .filter(|d| d.depth.load(Ordering::Relaxed) == 0)
    }

    /// Marks nested states running until the guard drops.
    pub(crate) fn nested(&self) -> Nested<'_> {
        let d = self.durable.as_deref();
        if let Some(d) = d {
            d.depth.fetch_add(1, Ordering::Relaxed);
        }
        Nested(d)
    }

    /// The driver moved to top-level state `state` with `input`: one write with
    /// the new position, the variables and the events since the last write.
    pub async fn checkpoint(
        &self,
        state: usize,
        input: &Value,
        variables: &Variables<'_>,
    ) -> Result<(), Error> {
        let name = self.info.states.get(state).copied().unwrap_or_default();
        let position = Position::at(name, input.clone(), variables.own_object());
        self.write_position(|p| *p = position, None, true).await
    }

    /// A write of the events recorded so far and the progress not yet written.
    fn write_base(&self, d: &Durable) -> Write {
        Write {
            arn: self.arn.clone(),
            owner: d.owner.clone(),
            epoch: d.epoch,
            events: self
                .recorder
                .take_captured()
                .into_iter()
                .map(stored_event)
                .collect(),
            next_event_id: self.recorder.next_id(),
            progress: std::mem::take(&mut *lock(&d.progress)),
            deleted: std::mem::take(&mut *lock(&d.deleted)),
            ..Write::default()
        }
    }

    /// Changes the top-level position without writing it: the next write
    /// carries it.
    pub(crate) fn change_position(&self, change: impl FnOnce(&mut Position)) {
        if let Some(d) = self.at_top() {
            change(&mut lock(&d.position));
            d.dirty.store(true, Ordering::Relaxed);
        }
    }

    /// A suspension this execution stored under `id`, if any.
    pub(crate) async fn stored_suspension(
        &self,
        id: &str,
    ) -> Result<Option<crate::store::Suspension>, Error> {
        match self.durable.as_deref() {
            Some(d) => d.store.suspension(&self.arn, id).await.map_err(store_error),
            None => Ok(None),
        }
    }

    /// Writes the events and progress so far, and the position after `change`.
    pub(crate) async fn flush(&self, change: impl FnOnce(&mut Position)) -> Result<(), Error> {
        self.write_position(change, None, false).await
    }

    /// Writes the events and progress so far (the position is unchanged: a
    /// Map's input is not written again per iteration).
    pub(crate) async fn flush_events(&self) -> Result<(), Error> {
        let Some(d) = self.durable.as_deref() else {
            return Ok(());
        };
        let position = d
            .dirty
            .swap(false, Ordering::Relaxed)
            .then(|| lock(&d.position).clone());
        let write = Write {
            position,
            ..self.write_base(d)
        };
        d.store.write(write).await.map_err(store_error)
    }

    /// One write: the position after `change`, the events and progress so far;
    /// releasing the execution until `park_until`; with `left_state`, the
    /// position is a new state, and the old one's progress is dropped.
    async fn write_position(
        &self,
        change: impl FnOnce(&mut Position),
        park_until: Option<OffsetDateTime>,
        left_state: bool,
    ) -> Result<(), Error> {
        let Some(d) = self.durable.as_deref() else {
            return Ok(());
        };
        let position = {
            let mut p = lock(&d.position);
            change(&mut p);
            p.clone()
        };
        if left_state {
            lock(&d.progress).clear();
        }
        d.dirty.store(false, Ordering::Relaxed);
        let write = Write {
            position: Some(position),
            park_until,
            clear_progress: left_state,
            ..self.write_base(d)
        };
        d.store.write(write).await.map_err(store_error)
    }

    /// The first top-level state entered after a resume takes the stored
    /// position when it is that state.
    pub(crate) fn resumed_entry(&self, state: &str) -> Option<Position> {
        let d = self.at_top()?;
        let mut resume = lock(&d.resume);
        match resume.take() {
            Some(p) if p.state == state => Some(p),
            _ => None,
        }
    }

    /// A top-level state was entered (event `id`, at `time`).
    pub(crate) fn entered_at_top(&self, id: u64, time: OffsetDateTime) {
        if let Some(d) = self.at_top() {
            let mut p = lock(&d.position);
            p.entered_event_id = Some(id);
            p.entered_time = Some(time);
            p.retries.clear();
            d.dirty.store(true, Ordering::Relaxed);
        }
    }

    /// The frame of a Map or Parallel state named `state` in attempt
    /// `attempt`: at the top level its name; nested in another Map iteration
    /// or Parallel branch, the path to it (`Outer/2/Inner`, with `#n` for a
    /// retried attempt, so a retry does not reuse what an earlier one did).
    pub(crate) fn frame_of(&self, state: &str, attempt: u32) -> Option<Arc<str>> {
        self.durable.as_deref()?;
        let parent = FRAME.try_with(|f| f.clone()).ok();
        Some(match parent {
            None => Arc::from(state),
            Some(parent) if attempt == 0 => Arc::from(format!("{parent}/{state}")),
            Some(parent) => Arc::from(format!("{parent}/{state}#{attempt}")),
        })
    }

    /// The outputs of the Map iterations / Parallel branches of `frame` that
    /// finished before a crash or redrive, when the execution was resumed in
    /// the top-level state they belong to. Taken once.
    pub(crate) async fn stored_progress(&self, frame: &str) -> HashMap<u64, Value> {
        let Some(d) = self.durable.as_deref() else {
            return HashMap::new();
        };
        let resumed_here = d.resumed_state.as_deref() == Some(lock(&d.position).state.as_str());
        if !resumed_here {
            return HashMap::new();
        }
        let stored = d
            .stored
            .get_or_init(|| async {
                let mut frames: HashMap<String, HashMap<u64, Value>> = HashMap::new();
                match d.store.progress(&self.arn).await {
                    Ok(list) => {
                        for (frame, index, output) in list {
                            frames.entry(frame).or_default().insert(index, output);
                        }
                    }
                    Err(e) => {
                        tracing::warn!(target: "asl::store", execution = %self.arn, "cannot read the stored progress: {e}");
                    }
                }
                Mutex::new(frames)
            })
            .await;
        lock(stored).remove(frame).unwrap_or_default()
    }

    /// A Map iteration or Parallel branch `index` of `frame` finished.
    pub(crate) fn finished_part(&self, frame: &str, index: usize, output: &Value) {
        if let Some(d) = self.durable.as_deref() {
            lock(&d.progress).push((frame.to_string(), index as u64, output.clone()));
        }
    }

    /// Records a resource a Task created (see [`crate::task::TaskContext::created`]):
    /// in the store first for a durable execution (its `seq` is the store's),
    /// and in this execution's own list.
    pub(crate) async fn created(&self, kind: &str, id: Value) -> Result<(), Error> {
        let stored = match self.durable.as_deref() {
            Some(d) => Some(
                d.store
                    .record_created(&self.arn, kind, &id)
                    .await
                    .map_err(store_error)?,
            ),
            None => None,
        };
        let mut created = lock(&self.created);
        let seq = stored.unwrap_or(created.len() as u64 + 1);
        created.push(CreatedResource {
            seq,
            kind: kind.to_string(),
            id,
            deleted: false,
        });
        Ok(())
    }

    /// What the execution created: the store's list for a durable execution
    /// (it includes what a process before this one created), this execution's
    /// own list otherwise or when the store cannot be read.
    async fn created_resources(&self) -> Vec<CreatedResource> {
        if let Some(d) = self.durable.as_deref()
            && let Ok(list) = d.store.created(&self.arn).await
        {
            return list;
        }
        lock(&self.created).clone()
    }

    /// Did this execution record resource `kind`/`id` as created?
    pub(crate) async fn was_created(&self, kind: &str, id: &Value) -> bool {
        self.created_resources()
            .await
            .iter()
            .any(|r| r.kind == kind && &r.id == id)
    }

    /// The End write: how the execution ended, with its last events.
    pub(crate) async fn write_end(&self, end: End) -> Result<(), Error> {
        let Some(d) = self.durable.as_deref() else {
            return Ok(());
        };
        let write = Write {
            end: Some(end),
            ..self.write_base(d)
        };
        d.store.write(write).await.map_err(store_error)
    }

    /// Deletes what the execution created and still exists, newest first, each
    /// waited for; records `ResourceDeleted` / `ResourceDeletionFailed` (a
    /// durable execution writes them, and which resources are gone, with its
    /// next write). Returns what was deleted.
    pub async fn clean_up(&self) -> Vec<CreatedResource> {
        let resources = self.created_resources().await;
        let (events, deleted) = delete_created(&self.runtime, resources).await;
        for (event, details) in events {
            self.record(event, None, details);
        }
        if let Some(d) = self.durable.as_deref() {
            lock(&d.deleted).extend(deleted.iter().map(|r| r.seq));
        }
        deleted
    }
}

/// Deletes `resources` that are not deleted yet, newest first: the events to
/// record and what was deleted.
async fn delete_created(
    runtime: &Runtime,
    mut resources: Vec<CreatedResource>,
) -> (Vec<(EventType, Value)>, Vec<CreatedResource>) {
    resources.retain(|r| !r.deleted);
    resources.reverse();
    let mut events = Vec::new();
    let mut deleted = Vec::new();
    for resource in resources {
        let result = match runtime.inner.cleaners.get(&resource.kind) {
            Some(cleaner) => cleaner.delete(&resource.id).await,
            None => Err(Error::new(
                "asl.NoCleaner",
                format!("no cleaner is registered for {}", resource.kind),
            )),
        };
        match result {
            Ok(_) => {
                events.push((
                    EventType::ResourceDeleted,
                    resource_details(&resource, None),
                ));
                deleted.push(resource);
            }
            Err(e) => events.push((
                EventType::ResourceDeletionFailed,
                resource_details(&resource, Some(&e)),
            )),
        }
    }
    (events, deleted)
}

fn resource_details(resource: &CreatedResource, error: Option<&Error>) -> Value {
    let mut d = Map::new();
    d.insert("kind".into(), Value::String(resource.kind.clone()));
    d.insert("id".into(), resource.id.clone());
    if let Some(e) = error {
        d.insert("error".into(), Value::String(e.error.to_string()));
        if let Some(c) = &e.cause {
            d.insert("cause".into(), Value::String(c.clone()));
        }
    }
    Value::Object(d)
}

/// What StartExecution returns.
#[derive(Clone, Debug, PartialEq)]
pub struct StartedExecution {
    pub execution_arn: String,
    pub start_date: OffsetDateTime,
}

/// What [`Runtime::resume`] did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Resumed {
    /// Executions now running in this runtime.
    pub resumed: Vec<String>,
    /// Executions it refused, and why (their definition changed).
    pub refused: Vec<(String, String)>,
}

/// An execution API call that failed: AWS's error name and a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    pub name: String,
    pub message: String,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.name, self.message)
    }
}

impl std::error::Error for ApiError {}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        let message = match &e {
            StoreError::ExecutionAlreadyExists(_)
            | StoreError::ExecutionDoesNotExist(_)
            | StoreError::ExecutionNotRedrivable(_)
            | StoreError::InvalidToken(_)
            | StoreError::InvalidArgument(_)
            | StoreError::TaskDoesNotExist(_)
            | StoreError::TaskTimedOut(_) => e
                .to_string()
                .split_once(": ")
                .map(|(_, m)| m.to_string())
                .unwrap_or_default(),
            _ => e.to_string(),
        };
        ApiError {
            name: e.name().to_string(),
            message,
        }
    }
}

fn no_store() -> ApiError {
    ApiError {
        name: "NoStore".into(),
        message: "this runtime has no execution store (RuntimeBuilder::store)".into(),
    }
}

impl Runtime {
    fn durability(&self) -> Result<&Arc<Durability>, ApiError> {
        self.inner.durability.as_ref().ok_or_else(no_store)
    }

    /// The registered workflow a state machine ARN (of this runtime's
    /// partition, region and account) or name stands for.
    fn flow(&self, state_machine: &str) -> Result<Flow, ApiError> {
        let name = match state_machine.strip_prefix("arn:") {
            Some(_) => state_machine
                .rsplit_once(':')
                .map(|(_, name)| name)
                .filter(|name| self.state_machine_arn(name) == state_machine),
            None => Some(state_machine),
        };
        name.and_then(|name| self.inner.workflows.get(name))
            .map(|w| w.flow)
            .ok_or_else(|| ApiError {
                name: "StateMachineDoesNotExist".into(),
                message: format!(
                    "State Machine Does Not Exist: '{state_machine}' (this runtime serves {})",
                    self.registered_names().join(", ")
                ),
            })
    }

    fn registered_flows(&self) -> Vec<Flow> {
        let mut flows: Vec<Flow> = self.inner.workflows.values().map(|w| w.flow).collect();
        flows.sort_by_key(|f| f.info.name);
        flows
    }

    fn registered_names(&self) -> Vec<&'static str> {
        self.registered_flows()
            .iter()
            .map(|f| f.info.name)
            .collect()
    }

    /// The ARN of execution `name` of workflow `W`.
    pub fn execution_arn<W: Workflow>(&self, name: &str) -> String {
        self.execution_arn_for(W::NAME, name)
    }

    /// StartExecution: stores a new execution of `W` and runs it in the
    /// background (a runtime serving `W` continues it after a crash). A name
    /// already used with the same input returns that execution; with another
    /// input, `ExecutionAlreadyExists`.
    pub async fn start_execution<W: Workflow>(
        &self,
        input: Value,
        options: ExecutionOptions,
    ) -> Result<StartedExecution, ApiError> {
        self.start_flow(Flow::of::<W>(), input, options).await
    }

    /// StartExecution by the state machine's ARN (or name), for a workflow
    /// registered with [`RuntimeBuilder::workflow`]:
    /// `StateMachineDoesNotExist` for any other.
    pub async fn start_execution_of(
        &self,
        state_machine: &str,
        input: Value,
        options: ExecutionOptions,
    ) -> Result<StartedExecution, ApiError> {
        let flow = self.flow(state_machine)?;
        self.start_flow(flow, input, options).await
    }

    async fn start_flow(
        &self,
        flow: Flow,
        input: Value,
        options: ExecutionOptions,
    ) -> Result<StartedExecution, ApiError> {
        let durability = self.durability()?.clone();
        let started = start(self, flow, input, options, true).await?;
        self.ensure_serving(flow, &durability);
        match started {
            Started::Existing(record) => Ok(StartedExecution {
                execution_arn: record.arn,
                start_date: record.start_date,
            }),
            Started::Queued(execution_arn, start_date) => Ok(StartedExecution {
                execution_arn,
                start_date,
            }),
            Started::New(execution, input, stop, slot) => {
                let started = StartedExecution {
                    execution_arn: execution.arn.clone(),
                    start_date: execution.start_time,
                };
                tokio::spawn(async move {
                    let _ = drive(flow, *execution, None, input, durability, stop, slot).await;
                });
                Ok(started)
            }
        }
    }

    /// Claims every execution of `W` this runtime may continue now (its own,
    /// unowned, or whose lease expired) and runs each in the background.
    pub async fn resume<W: Workflow>(&self) -> Result<Resumed, ApiError> {
        self.resume_flow(Flow::of::<W>()).await
    }

    /// [`Self::resume`] for every workflow registered with
    /// [`RuntimeBuilder::workflow`]: what a service calls at boot.
    pub async fn resume_all(&self) -> Result<Resumed, ApiError> {
        let mut all = Resumed::default();
        for flow in self.registered_flows() {
            let resumed = self.resume_flow(flow).await?;
            all.resumed.extend(resumed.resumed);
            all.refused.extend(resumed.refused);
        }
        Ok(all)
    }

    async fn resume_flow(&self, flow: Flow) -> Result<Resumed, ApiError> {
        let durability = self.durability()?.clone();
        let resumed = claim_and_run(self, flow, &durability).await?;
        self.ensure_serving(flow, &durability);
        Ok(resumed)
    }

    /// Keeps claiming executions of `W` (new ones started elsewhere, parked
    /// Waits that are due, executions whose owner stopped renewing its lease)
    /// every poll interval, for as long as the runtime lives.
    fn ensure_serving(&self, flow: Flow, durability: &Arc<Durability>) {
        if !lock(&durability.served).insert(flow.info.name) {
            return;
        }
        let weak = Arc::downgrade(&self.inner);
        let poll = durability.settings.poll;
        ensure_purging(durability);
        suspend::ensure_waking(durability);
        let mut due = durability.due.subscribe();
        let store = durability.settings.store.clone();
        tokio::spawn(async move {
            // A due time a claim already found nothing at (an execution
            // refused here, or one another runtime holds): not again before
            // the next poll.
            let mut passed: Option<OffsetDateTime> = None;
            loop {
                // Until the next parked execution is due (a little after,
                // so the database's clock has passed it too), a delivery or
                // a park here, or the poll interval (executions started or
                // abandoned by other processes).
                let due_at = match store.next_due(&[flow.info.name]).await {
                    Ok(Some(at)) if passed != Some(at) => Some(at),
                    _ => None,
                };
                let next = due_at.map_or(poll, |at| {
                    let left = at - OffsetDateTime::now_utc() + time::Duration::milliseconds(2);
                    poll.min(left.try_into().unwrap_or(Duration::ZERO))
                });
                tokio::select! {
                    () = tokio::time::sleep(next) => {}
                    changed = due.changed() => {
                        if changed.is_err() {
                            return;
                        }
                    }
                }
                let Some(inner) = weak.upgrade() else { return };
                let runtime = Runtime { inner };
                let Some(durability) = runtime.inner.durability.clone() else {
                    return;
                };
                let now = OffsetDateTime::now_utc();
                match claim_and_run(&runtime, flow, &durability).await {
                    Ok(resumed) if resumed.resumed.is_empty() => {
                        passed = due_at.filter(|at| *at <= now);
                    }
                    Ok(_) => passed = None,
                    Err(e) => {
                        tracing::warn!(target: "asl::store", "cannot claim executions of {}: {e}", flow.info.name);
                    }
                }
            }
        });
    }

    /// Waits until execution `arn` is no longer RUNNING; its record.
    pub async fn wait_for_execution(&self, arn: &str) -> Result<ExecutionRecord, ApiError> {
        let durability = self.durability()?;
        let mut delay = Duration::from_millis(5);
        loop {
            let record = durability.store().describe(arn).await?;
            if record.status != ExecutionStatus::Running {
                return Ok(record);
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_millis(250));
        }
    }

    /// DescribeExecution.
    pub async fn describe_execution(&self, arn: &str) -> Result<ExecutionRecord, ApiError> {
        Ok(self.durability()?.store().describe(arn).await?)
    }

    /// ListExecutions (newest first), by workflow and status.
    pub async fn list_executions(
        &self,
        filter: &ListFilter,
    ) -> Result<Vec<ExecutionRecord>, ApiError> {
        Ok(self.durability()?.store().list(filter).await?)
    }

    /// GetExecutionHistory, oldest event first.
    pub async fn get_execution_history(&self, arn: &str) -> Result<Vec<StoredEvent>, ApiError> {
        Ok(self.durability()?.store().history(arn).await?)
    }

    /// ListExecutions, one page at a time (AWS's `maxResults` and
    /// `nextToken`), newest first.
    pub async fn list_executions_page(
        &self,
        filter: &ListFilter,
        page: &PageRequest,
    ) -> Result<Page<ExecutionRecord>, ApiError> {
        Ok(self.durability()?.store().list_page(filter, page).await?)
    }

    /// GetExecutionHistory, one page at a time: oldest first, or newest first
    /// with `reverse_order`.
    pub async fn get_execution_history_page(
        &self,
        arn: &str,
        page: &PageRequest,
        reverse_order: bool,
    ) -> Result<Page<StoredEvent>, ApiError> {
        Ok(self
            .durability()?
            .store()
            .history_page(arn, page, reverse_order)
            .await?)
    }

    /// StopExecution: the execution becomes ABORTED with `error` and `cause`
    /// and the stop date is returned at once, as AWS does. The runtime
    /// running it stops it and cleans up when it should, in the background,
    /// recording what it deleted in the history; [`Self::stopped`] waits for
    /// that in this process.
    pub async fn stop_execution(
        &self,
        arn: &str,
        error: Option<&str>,
        cause: Option<&str>,
    ) -> Result<OffsetDateTime, ApiError> {
        let durability = self.durability()?.clone();
        let date = durability
            .store()
            .stop(arn, error, cause, OffsetDateTime::now_utc())
            .await?;
        let (done, waiter) = watch::channel(false);
        lock(&durability.stopping).insert(arn.to_string(), waiter);
        let runtime = self.clone();
        let arn = arn.to_string();
        tokio::spawn(async move {
            let durability = runtime.durability().ok().cloned();
            if let Some(durability) = durability {
                stop_here(&runtime, &durability, &arn).await;
                lock(&durability.stopping).remove(&arn);
            }
            let _ = done.send(true);
        });
        Ok(date)
    }

    /// Waits until the stop of `arn` asked of this runtime is through: its
    /// driver here ended and its cleanup (when it should) is recorded.
    pub async fn stopped(&self, arn: &str) {
        let Ok(durability) = self.durability() else {
            return;
        };
        let waiter = lock(&durability.stopping).get(arn).cloned();
        if let Some(mut waiter) = waiter {
            let _ = waiter.wait_for(|done| *done).await;
        }
    }

    /// Deletes what execution `arn` created and that still exists (see
    /// [`RuntimeBuilder::cleanup_on_failure`]), newest first, and records it in
    /// its history. For an execution that ended; returns what was deleted.
    pub async fn clean_up_execution(&self, arn: &str) -> Result<Vec<CreatedResource>, ApiError> {
        let record = self.durability()?.store().describe(arn).await?;
        if record.status == ExecutionStatus::Running {
            return Err(ApiError {
                name: "ExecutionRunning".into(),
                message: format!("execution {arn} is still running: stop it first"),
            });
        }
        Ok(clean_up_stored(self, arn).await)
    }

    /// RedriveExecution: restarts a FAILED, TIMED_OUT or ABORTED execution of
    /// `W` (stopped less than 14 days ago) from the state that did not succeed,
    /// keeping the results of the states, iterations and branches that did.
    pub async fn redrive_execution<W: Workflow>(
        &self,
        arn: &str,
    ) -> Result<OffsetDateTime, ApiError> {
        self.redrive_flow(Flow::of::<W>(), arn).await
    }

    /// RedriveExecution by ARN alone, for an execution of a workflow
    /// registered with [`RuntimeBuilder::workflow`].
    pub async fn redrive(&self, arn: &str) -> Result<OffsetDateTime, ApiError> {
        let record = self.durability()?.store().describe(arn).await?;
        let flow = self.flow(&record.workflow)?;
        self.redrive_flow(flow, arn).await
    }

    async fn redrive_flow(&self, flow: Flow, arn: &str) -> Result<OffsetDateTime, ApiError> {
        let durability = self.durability()?.clone();
        let record = durability
            .store()
            .redrive(arn, OffsetDateTime::now_utc())
            .await?;
        claim_and_run(self, flow, &durability).await?;
        self.ensure_serving(flow, &durability);
        Ok(record.redrive_date.unwrap_or_else(OffsetDateTime::now_utc))
    }
}

enum Started {
    /// Stored, and registered here to be driven (with its stop signal and
    /// its slot).
    New(Box<Execution>, Value, Arc<Notify>, OwnedSemaphorePermit),
    /// Stored unowned: no slot was free here (a serving loop claims it).
    Queued(String, OffsetDateTime),
    Existing(Box<ExecutionRecord>),
}

/// Stores a new execution (StartExecution's rules).
async fn start(
    runtime: &Runtime,
    flow: Flow,
    input: Value,
    options: ExecutionOptions,
    may_park: bool,
) -> Result<Started, ApiError> {
    let durability = runtime.durability()?;
    let settings = &durability.settings;
    let info = flow.info;
    // A slot to drive it here: a background start without one stores the
    // execution unowned for a serving loop; `run` waits for one.
    let slot = if may_park {
        durability.slots.clone().try_acquire_owned().ok()
    } else {
        durability.slots.clone().acquire_owned().await.ok()
    };
    let cleanup = options.cleanup.unwrap_or(runtime.inner.cleanup);
    let (mut execution, input) =
        Execution::start_with(runtime, info, input, options, |input, start_index| {
            let state = info.states.get(start_index).copied().unwrap_or_default();
            let position = Position::at(state, input.clone(), Value::Object(Map::new()));
            Durable::new(
                settings,
                1,
                position,
                false,
                may_park.then_some(settings.park_after),
            )
        });
    execution.cleanup = cleanup;
    let now = execution.start_time;
    let d = execution.durable.as_deref().expect("a durable execution");
    let record = ExecutionRecord {
        next_event_id: execution.recorder.next_id(),
        owner: slot.as_ref().map(|_| settings.owner.clone()),
        lease_until: slot.as_ref().map(|_| now + settings.lease),
        cleanup,
        ..ExecutionRecord::started(
            execution.arn.clone(),
            execution.name.clone(),
            info.name,
            info.definition_hash,
            input.clone(),
            now,
            lock(&d.position).clone(),
        )
    };
    let events: Vec<StoredEvent> = execution
        .recorder
        .take_captured()
        .into_iter()
        .map(stored_event)
        .collect();
    let Some(slot) = slot else {
        durability.saturated.store(true, Ordering::Release);
        return match settings.store.insert(&record, &events).await? {
            Inserted::Created => Ok(Started::Queued(record.arn, record.start_date)),
            Inserted::Existing(found) => Ok(Started::Existing(found)),
        };
    };
    // Registered before it is stored, under the shared side of the claim
    // lock: a claim running meanwhile sees it and leaves it alone.
    let starting = durability.claiming.read().await;
    let Some(stop) = durability.register(&record.arn, 0, d.wake.clone()) else {
        // The same name is being started or run here already.
        drop(starting);
        return existing_here(durability, &record.arn, &record.input).await;
    };
    match settings.store.insert(&record, &events).await {
        Ok(Inserted::Created) => {
            durability.stored(&record.arn, record.epoch);
            Ok(Started::New(Box::new(execution), input, stop, slot))
        }
        Ok(Inserted::Existing(found)) => {
            durability.unregister(&record.arn);
            Ok(Started::Existing(found))
        }
        Err(e) => {
            durability.unregister(&record.arn);
            Err(e.into())
        }
    }
}

/// An execution another caller of this process is starting or running: its
/// stored record, once it is stored.
async fn existing_here(
    durability: &Durability,
    arn: &str,
    input: &Value,
) -> Result<Started, ApiError> {
    let mut delay = Duration::from_millis(1);
    for _ in 0..100 {
        match durability.store().describe(arn).await {
            Ok(record) if &record.input != input => {
                return Err(StoreError::ExecutionAlreadyExists(record.arn).into());
            }
            Ok(record) => return Ok(Started::Existing(Box::new(record))),
            Err(StoreError::ExecutionDoesNotExist(_)) => {
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_millis(100));
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(ApiError {
        name: "ExecutionAlreadyExists".into(),
        message: format!("execution {arn} is being started by another caller"),
    })
}

/// Claims what `W` may run now and spawns each.
async fn claim_and_run(
    runtime: &Runtime,
    flow: Flow,
    durability: &Arc<Durability>,
) -> Result<Resumed, ApiError> {
    let settings = &durability.settings;
    // Exclusive: no start of this process is between registering and
    // storing an execution, so `skip` holds everything this process runs.
    let claiming = durability.claiming.write().await;
    // No more than the free slots (backpressure: the rest stays in the store).
    let free = durability.slots.available_permits().min(256);
    let Some(mut slots) = (free > 0)
        .then(|| {
            durability
                .slots
                .clone()
                .try_acquire_many_owned(free as u32)
                .ok()
        })
        .flatten()
    else {
        durability.saturated.store(true, Ordering::Release);
        return Ok(Resumed::default());
    };
    let mut skip = durability.running_arns();
    skip.extend(lock(&durability.refused).iter().cloned());
    let now = OffsetDateTime::now_utc();
    let claimed = settings
        .store
        .claim(
            &settings.owner,
            &[flow.info.name],
            settings.lease,
            free,
            &skip,
        )
        .await?;
    let mut resumed = Resumed::default();
    let mut to_drive = Vec::new();
    for record in claimed {
        if record.definition_hash != flow.info.definition_hash
            && !settings.accept_changed_definitions
        {
            let why = format!(
                "execution {} was started by a different definition of {} (stored definition hash {}, this program's {}); \
                 opt in with RuntimeBuilder::accept_changed_definitions(true) to continue it with this one",
                record.arn, flow.info.name, record.definition_hash, flow.info.definition_hash
            );
            tracing::error!(target: "asl::store", "{why}");
            // Released at once: a runtime with the execution's own definition
            // may take it without waiting for this one's lease to run out.
            let release = Write {
                arn: record.arn.clone(),
                owner: settings.owner.clone(),
                epoch: record.epoch,
                next_event_id: record.next_event_id,
                park_until: Some(now),
                ..Write::default()
            };
            if let Err(e) = settings.store.write(release).await {
                tracing::warn!(target: "asl::store", "cannot release {}: {e}", record.arn);
            }
            lock(&durability.refused).insert(record.arn.clone());
            resumed.refused.push((record.arn, why));
            continue;
        }
        match Execution::resume(runtime, flow.info, &record, durability) {
            Ok((execution, from, input)) => {
                let wake = match execution.durable.as_deref() {
                    Some(d) => d.wake.clone(),
                    None => continue,
                };
                let Some(stop) = durability.register(&record.arn, record.epoch, wake) else {
                    // Cannot happen: `skip` held what runs here, under the lock.
                    continue;
                };
                resumed.resumed.push(record.arn.clone());
                to_drive.push((execution, from, input, record, stop));
            }
            Err(why) => {
                lock(&durability.refused).insert(record.arn.clone());
                resumed.refused.push((record.arn, why));
            }
        }
    }
    drop(claiming);
    if to_drive.len() + resumed.refused.len() >= free {
        // There may be more than the free slots took.
        durability.saturated.store(true, Ordering::Release);
    }
    for (execution, from, input, record, stop) in to_drive {
        let durability = durability.clone();
        let Some(slot) = slots.split(1) else { break };
        tokio::spawn(async move {
            let _ = drive(
                flow,
                execution,
                Some((from, record)),
                input,
                durability,
                stop,
                slot,
            )
            .await;
        });
    }
    // The slots nothing claimed go back with `slots`.
    Ok(resumed)
}

/// Runs one durable execution to its end (or until it is stopped, parked or
/// taken over), renewing its lease while it runs.
async fn drive(
    flow: Flow,
    execution: Execution,
    resumed: Option<(usize, ExecutionRecord)>,
    input: Value,
    durability: Arc<Durability>,
    stop: Arc<Notify>,
    slot: OwnedSemaphorePermit,
) -> Result<Value, ExecutionError> {
    let arn = execution.arn.clone();
    ensure_renewing(&durability);
    let variables = Variables::root();
    let from = match &resumed {
        Some((from, record)) => {
            if let Some(p) = &record.position {
                let _ = variables.assign(p.variables.clone());
            }
            Some(*from)
        }
        None => None,
    };
    let driver = flow.driver;
    let run = execution.finish(driver(&execution, &variables, from, input));
    let result = tokio::select! {
        r = run => r,
        () = stop.notified() => Err(ExecutionError::interruption(Interruption::Stopped, "stopped")),
    };
    let result = match result {
        Err(e) if e.interrupted.is_some_and(|i| i != Interruption::Parked) => {
            // Stopped by StopExecution (or lost to another runtime): what the store says.
            match durability.store().describe(&arn).await {
                Ok(record) if record.status == ExecutionStatus::Aborted => {
                    if record.cleanup {
                        clean_up_stored(&execution.runtime, &arn).await;
                    }
                    Err(ExecutionError::stopped(record.error, record.cause))
                }
                _ => Err(e),
            }
        }
        other => other,
    };
    // Only now: StopExecution waits for this, cleanup included.
    durability.unregister(&arn);
    drop(slot);
    if durability.saturated.swap(false, Ordering::AcqRel) {
        // Executions wait for the slot this one freed.
        durability.due.send_modify(|n| *n = n.wrapping_add(1));
    }
    result
}

/// What StopExecution does after the stop is stored: a driver here stops
/// (and cleans up itself); an execution not running anywhere (parked, or its
/// owner is gone) is cleaned up here. An owner elsewhere still renewing its
/// lease notices the stop and cleans up itself.
async fn stop_here(runtime: &Runtime, durability: &Arc<Durability>, arn: &str) {
    if lock(&durability.running).contains_key(arn) {
        durability.signal_stop(arn);
        while lock(&durability.running).contains_key(arn) {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        return;
    }
    let record = match durability.store().describe(arn).await {
        Ok(record) => record,
        Err(e) => {
            tracing::warn!(target: "asl::store", execution = %arn, "after the stop: {e}");
            return;
        }
    };
    let owner_gone = record
        .lease_until
        .is_none_or(|until| until < OffsetDateTime::now_utc());
    if record.cleanup && owner_gone {
        clean_up_stored(runtime, arn).await;
    }
}

/// Cleanup of an execution that ended (stopped): deletes what it created and
/// appends the events after its last one. Returns what was deleted.
pub(crate) async fn clean_up_stored(runtime: &Runtime, arn: &str) -> Vec<CreatedResource> {
    let Some(durability) = runtime.inner.durability.as_ref() else {
        return Vec::new();
    };
    let store = durability.store();
    let resources = match store.created(arn).await {
        Ok(list) => list,
        Err(e) => {
            tracing::warn!(target: "asl::store", execution = %arn, "cannot read what the execution created: {e}");
            return Vec::new();
        }
    };
    if resources.iter().all(|r| r.deleted) {
        return Vec::new();
    }
    let (events, deleted) = delete_created(runtime, resources).await;
    // Numbered after the last stored event (StopExecution added one).
    let next = match store.describe(arn).await {
        Ok(record) => record.next_event_id,
        Err(_) => return deleted,
    };
    let events: Vec<StoredEvent> = events
        .into_iter()
        .zip(next..)
        .map(|((event, details), id)| StoredEvent {
            id,
            timestamp: OffsetDateTime::now_utc(),
            event_type: event.as_str().to_string(),
            state: None,
            details,
        })
        .collect();
    let write = Write {
        arn: arn.to_string(),
        // After the end: the write needs no ownership.
        owner: String::new(),
        next_event_id: next + events.len() as u64,
        events,
        deleted: deleted.iter().map(|r| r.seq).collect(),
        ..Write::default()
    };
    if let Err(e) = store.write(write).await {
        tracing::warn!(target: "asl::store", execution = %arn, "cannot record the cleanup: {e}");
    }
    deleted
}

/// Retention: while the runtime serves workflows, deletes hourly the
/// executions that stopped longer ago than the retention period.
fn ensure_purging(durability: &Arc<Durability>) {
    let Some(retention) = durability.settings.retention else {
        return;
    };
    if durability.purging.swap(true, Ordering::AcqRel) {
        return;
    }
    let weak = Arc::downgrade(durability);
    tokio::spawn(async move {
        loop {
            let Some(d) = weak.upgrade() else { return };
            let before = OffsetDateTime::now_utc() - retention;
            loop {
                match d.store().purge(before).await {
                    Ok(0) => break,
                    Ok(n) => {
                        tracing::info!(target: "asl::store", "retention: deleted {n} executions closed before {before}");
                    }
                    Err(e) => {
                        tracing::warn!(target: "asl::store", "retention: {e}");
                        break;
                    }
                }
            }
            drop(d);
            tokio::time::sleep(Duration::from_secs(3600)).await;
        }
    });
}

/// Renews this runtime's leases every third of the lease, and stops the
/// executions it no longer owns.
fn ensure_renewing(durability: &Arc<Durability>) {
    if durability.renewing.swap(true, Ordering::AcqRel) {
        return;
    }
    let weak = Arc::downgrade(durability);
    let every = durability.settings.lease / 3;
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(every).await;
            let Some(d) = weak.upgrade() else { return };
            let held = d.held();
            if held.is_empty() {
                continue;
            }
            match d
                .store()
                .renew(&d.settings.owner, &held, d.settings.lease)
                .await
            {
                Ok(lost) => {
                    for (arn, epoch) in lost {
                        d.lost(&arn, epoch);
                    }
                }
                Err(e) => {
                    // A lease not renewed may be taken over: stop at once
                    // rather than run on beside a new owner. The serving loop
                    // claims them again once the store answers.
                    tracing::warn!(target: "asl::store", "cannot renew leases, stopping this runtime's executions: {e}");
                    d.stop_all();
                }
            }
        }
    });
}

/// `run_with` on a runtime with a store: StartExecution, then the execution
/// runs here until it ends.
#[doc(hidden)]
pub async fn run_stored<W: Workflow>(
    runtime: &Runtime,
    input: Value,
    options: ExecutionOptions,
) -> Result<Value, ExecutionError> {
    let durability = match runtime.durability() {
        Ok(d) => d.clone(),
        Err(e) => return Err(ExecutionError::api(e)),
    };
    let flow = Flow::of::<W>();
    match start(runtime, flow, input, options, false).await {
        Err(e) => Err(ExecutionError::api(e)),
        Ok(Started::New(execution, input, stop, slot)) => {
            drive(flow, *execution, None, input, durability, stop, slot).await
        }
        // `run` waits for a slot: never queued.
        Ok(Started::Queued(arn, _)) => Err(ExecutionError::api(ApiError {
            name: "StoreFailure".into(),
            message: format!("execution {arn} was queued instead of run"),
        })),
        Ok(Started::Existing(record)) => {
            let record = if record.status == ExecutionStatus::Running {
                // Whoever ran it may be gone (a parent resumed after a crash
                // waits on its child): this runtime serves the workflow too.
                if let Err(e) = runtime.resume::<W>().await {
                    return Err(ExecutionError::api(e));
                }
                match runtime.wait_for_execution(&record.arn).await {
                    Ok(r) => r,
                    Err(e) => return Err(ExecutionError::api(e)),
                }
            } else {
                *record
            };
            ExecutionError::outcome_of(&record)
        }
    }
}

impl Execution {
    /// An execution continued from its stored `record`: its identity, events
    /// numbered on, and the state to start from with that state's input.
    fn resume(
        runtime: &Runtime,
        info: &'static WorkflowInfo,
        record: &ExecutionRecord,
        durability: &Durability,
    ) -> Result<(Execution, usize, Value), String> {
        let settings = &durability.settings;
        let Some(position) = record.position.clone() else {
            return Err(format!("execution {} has no stored state", record.arn));
        };
        let Some(from) = info.states.iter().position(|s| *s == position.state) else {
            return Err(format!(
                "execution {} stands in state {:?}, which {} does not have",
                record.arn, position.state, info.name
            ));
        };
        let input = position.input.clone();
        let durable = Durable::new(
            settings,
            record.epoch,
            position,
            true,
            Some(settings.park_after),
        );
        let execution = Execution::restored(runtime, info, record, durable);
        Ok((execution, from, input))
    }
}
