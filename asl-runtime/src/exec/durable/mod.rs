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
//!
//! Here: the durable side of an execution and the runtime's store settings;
//! `checkpoint` (what an execution writes and reads back), `suspend` (what it
//! waits on), `serve` (starting, claiming, driving, the lease, wakeup and
//! retention loops), `api` (the execution API), `cleanup` (deleting what an
//! execution created).

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
    MapRunRecord, MapRunUpdate, Page, PageRequest, Position, StoreError, StoredEvent,
    SuspensionKind, Write,
};
use crate::workflow::Workflow;

mod activities;
mod api;
mod checkpoint;
mod cleanup;
mod map_run;
mod serve;
mod suspend;

pub use activities::ActivityTask;
pub use api::{ApiError, Resumed, StartedExecution};
pub(crate) use cleanup::clean_up_stored;
pub(crate) use map_run::LiveMapRun;
pub use serve::run_stored;

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
    /// [`Runtime::release_all`] was called: this runtime claims nothing more
    /// and drives no new execution; starts are stored for another runtime.
    pub(crate) released: AtomicBool,
    /// The Map Runs running here: UpdateMapRun's changes reach them at once.
    pub(crate) map_runs: Mutex<HashMap<String, watch::Sender<MapRunUpdate>>>,
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
            released: AtomicBool::new(false),
            map_runs: Mutex::new(HashMap::new()),
            settings,
        }
    }

    pub(crate) fn store(&self) -> &dyn ExecutionStore {
        &*self.settings.store
    }

    fn is_idle(&self) -> bool {
        lock(&self.running).is_empty()
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

pub(crate) fn stored_event(e: HistoryEvent) -> StoredEvent {
    StoredEvent {
        id: e.id,
        timestamp: e.timestamp,
        event_type: e.event_type.as_str().to_string(),
        state: e.state_name,
        previous_event_id: e.previous_event_id,
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
