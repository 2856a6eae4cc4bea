//! Execution history: the events AWS records for an execution, under AWS's names
//! (`ExecutionStarted`, `PassStateEntered`, `TaskScheduled`, `MapIterationStarted`,
//! ...), sent to a sink the caller chooses.
//!
//! In: calls from the execution engine as states run. Out: [`HistoryEvent`]s handed
//! to a [`History`] sink: dropped ([`History::None`], the default, which also skips
//! building them), kept in memory ([`History::memory`]), logged through `tracing`
//! ([`History::Tracing`]), or given to a function ([`History::custom`]).

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::Value;
use time::OffsetDateTime;

/// The type of a history event, named as AWS names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EventType {
    ExecutionStarted,
    ExecutionSucceeded,
    ExecutionFailed,
    ExecutionTimedOut,
    ExecutionAborted,
    ExecutionRedriven,
    PassStateEntered,
    PassStateExited,
    TaskStateEntered,
    TaskStateExited,
    ChoiceStateEntered,
    ChoiceStateExited,
    WaitStateEntered,
    WaitStateExited,
    SucceedStateEntered,
    SucceedStateExited,
    FailStateEntered,
    ParallelStateEntered,
    ParallelStateExited,
    ParallelStateStarted,
    ParallelStateSucceeded,
    ParallelStateFailed,
    MapStateEntered,
    MapStateExited,
    MapStateStarted,
    MapStateSucceeded,
    MapStateFailed,
    MapIterationStarted,
    MapIterationSucceeded,
    MapIterationFailed,
    /// A distributed Map started its Map Run (`{"mapRunArn"}`).
    MapRunStarted,
    MapRunSucceeded,
    /// `{"error", "cause"}`.
    MapRunFailed,
    /// A redriven execution ran its failed Map Run again (`{"mapRunArn",
    /// "redriveCount"}`).
    MapRunRedriven,
    TaskScheduled,
    TaskStarted,
    TaskSucceeded,
    TaskFailed,
    TaskTimedOut,
    /// A `.waitForTaskToken` Task's request was sent; it waits for the callback.
    TaskSubmitted,
    ActivityScheduled,
    ActivityStarted,
    ActivitySucceeded,
    ActivityFailed,
    ActivityTimedOut,
    /// Cleanup deleted a resource the execution created (not an AWS event:
    /// Step Functions does not clean up).
    ResourceDeleted,
    /// Cleanup could not delete a resource the execution created.
    ResourceDeletionFailed,
}

impl EventType {
    /// Every event type.
    pub const ALL: [EventType; 47] = [
        EventType::ExecutionStarted,
        EventType::ExecutionSucceeded,
        EventType::ExecutionFailed,
        EventType::ExecutionTimedOut,
        EventType::ExecutionAborted,
        EventType::ExecutionRedriven,
        EventType::PassStateEntered,
        EventType::PassStateExited,
        EventType::TaskStateEntered,
        EventType::TaskStateExited,
        EventType::ChoiceStateEntered,
        EventType::ChoiceStateExited,
        EventType::WaitStateEntered,
        EventType::WaitStateExited,
        EventType::SucceedStateEntered,
        EventType::SucceedStateExited,
        EventType::FailStateEntered,
        EventType::ParallelStateEntered,
        EventType::ParallelStateExited,
        EventType::ParallelStateStarted,
        EventType::ParallelStateSucceeded,
        EventType::ParallelStateFailed,
        EventType::MapStateEntered,
        EventType::MapStateExited,
        EventType::MapStateStarted,
        EventType::MapStateSucceeded,
        EventType::MapStateFailed,
        EventType::MapIterationStarted,
        EventType::MapIterationSucceeded,
        EventType::MapIterationFailed,
        EventType::MapRunStarted,
        EventType::MapRunSucceeded,
        EventType::MapRunFailed,
        EventType::MapRunRedriven,
        EventType::TaskScheduled,
        EventType::TaskStarted,
        EventType::TaskSucceeded,
        EventType::TaskFailed,
        EventType::TaskTimedOut,
        EventType::TaskSubmitted,
        EventType::ActivityScheduled,
        EventType::ActivityStarted,
        EventType::ActivitySucceeded,
        EventType::ActivityFailed,
        EventType::ActivityTimedOut,
        EventType::ResourceDeleted,
        EventType::ResourceDeletionFailed,
    ];

    /// The event type called `name` (as [`Self::as_str`] gives it), e.g. from a store.
    pub fn parse(name: &str) -> Option<EventType> {
        Self::ALL.into_iter().find(|t| t.as_str() == name)
    }

    /// The name AWS gives this event type, e.g. `PassStateEntered`.
    pub fn as_str(self) -> &'static str {
        use EventType::*;
        match self {
            ExecutionStarted => "ExecutionStarted",
            ExecutionSucceeded => "ExecutionSucceeded",
            ExecutionFailed => "ExecutionFailed",
            ExecutionTimedOut => "ExecutionTimedOut",
            ExecutionAborted => "ExecutionAborted",
            ExecutionRedriven => "ExecutionRedriven",
            PassStateEntered => "PassStateEntered",
            PassStateExited => "PassStateExited",
            TaskStateEntered => "TaskStateEntered",
            TaskStateExited => "TaskStateExited",
            ChoiceStateEntered => "ChoiceStateEntered",
            ChoiceStateExited => "ChoiceStateExited",
            WaitStateEntered => "WaitStateEntered",
            WaitStateExited => "WaitStateExited",
            SucceedStateEntered => "SucceedStateEntered",
            SucceedStateExited => "SucceedStateExited",
            FailStateEntered => "FailStateEntered",
            ParallelStateEntered => "ParallelStateEntered",
            ParallelStateExited => "ParallelStateExited",
            ParallelStateStarted => "ParallelStateStarted",
            ParallelStateSucceeded => "ParallelStateSucceeded",
            ParallelStateFailed => "ParallelStateFailed",
            MapStateEntered => "MapStateEntered",
            MapStateExited => "MapStateExited",
            MapStateStarted => "MapStateStarted",
            MapStateSucceeded => "MapStateSucceeded",
            MapStateFailed => "MapStateFailed",
            MapIterationStarted => "MapIterationStarted",
            MapIterationSucceeded => "MapIterationSucceeded",
            MapIterationFailed => "MapIterationFailed",
            MapRunStarted => "MapRunStarted",
            MapRunSucceeded => "MapRunSucceeded",
            MapRunFailed => "MapRunFailed",
            MapRunRedriven => "MapRunRedriven",
            TaskScheduled => "TaskScheduled",
            TaskStarted => "TaskStarted",
            TaskSucceeded => "TaskSucceeded",
            TaskFailed => "TaskFailed",
            TaskTimedOut => "TaskTimedOut",
            TaskSubmitted => "TaskSubmitted",
            ActivityScheduled => "ActivityScheduled",
            ActivityStarted => "ActivityStarted",
            ActivitySucceeded => "ActivitySucceeded",
            ActivityFailed => "ActivityFailed",
            ActivityTimedOut => "ActivityTimedOut",
            ResourceDeleted => "ResourceDeleted",
            ResourceDeletionFailed => "ResourceDeletionFailed",
        }
    }

    /// Is this one of the `*StateEntered` events (what the conformance corpus lists
    /// as `states_entered`)?
    pub fn is_state_entered(self) -> bool {
        self.as_str().ends_with("StateEntered")
    }

    /// Is this one of the `*StateExited` events?
    pub fn is_state_exited(self) -> bool {
        self.as_str().ends_with("StateExited")
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One event of an execution's history.
#[derive(Clone, Debug, PartialEq)]
pub struct HistoryEvent {
    /// 1-based, in the order the events happened in this execution.
    pub id: u64,
    pub timestamp: OffsetDateTime,
    pub event_type: EventType,
    /// The execution (its name) the event belongs to.
    pub execution: Arc<str>,
    /// The state the event is about, if any.
    pub state_name: Option<String>,
    /// The event before it in its line of events (AWS's `previousEventId`):
    /// the previous event at the top level, or in the same Map iteration or
    /// Parallel branch, whose first event follows the one that started it; 0
    /// for `ExecutionStarted`.
    pub previous_event_id: u64,
    /// Input/output/error details, shaped like AWS's `*EventDetails`
    /// (`{"input": ...}`, `{"output": ...}`, `{"error": ..., "cause": ...}`,
    /// `{"index": n}`, `{"resource": ...}`).
    pub details: Value,
}

/// Where an execution's history events go.
#[derive(Clone, Default)]
pub enum History {
    /// Nowhere; the engine does not even build them.
    #[default]
    None,
    /// Appended to a shared list, e.g. for tests ([`History::memory`]).
    Memory(Arc<Mutex<Vec<HistoryEvent>>>),
    /// Logged as `tracing` events at INFO level, target `asl::history`.
    Tracing,
    /// Handed to a function.
    Custom(Arc<dyn Fn(HistoryEvent) + Send + Sync>),
}

impl History {
    /// An in-memory sink and the list it fills.
    ///
    /// ```
    /// let (history, events) = asl_runtime::exec::History::memory();
    /// # let _ = history;
    /// assert!(events.lock().unwrap().is_empty());
    /// ```
    pub fn memory() -> (History, Arc<Mutex<Vec<HistoryEvent>>>) {
        let events = Arc::new(Mutex::new(Vec::new()));
        (History::Memory(events.clone()), events)
    }

    /// A sink that calls `f` with every event.
    pub fn custom(f: impl Fn(HistoryEvent) + Send + Sync + 'static) -> History {
        History::Custom(Arc::new(f))
    }

    pub fn is_none(&self) -> bool {
        matches!(self, History::None)
    }
}

impl fmt::Debug for History {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            History::None => f.write_str("History::None"),
            History::Memory(_) => f.write_str("History::Memory"),
            History::Tracing => f.write_str("History::Tracing"),
            History::Custom(_) => f.write_str("History::Custom"),
        }
    }
}

/// Numbers events and sends them to the sink of one execution (and, for a
/// durable execution, keeps them until the engine writes them to the store).
pub(crate) struct Recorder {
    sink: History,
    next_id: AtomicU64,
    execution: Arc<str>,
    captured: Option<Mutex<Vec<HistoryEvent>>>,
    /// The id no event but `ExecutionSucceeded` (or the `ExecutionFailed` that
    /// reports the full history) may have; `u64::MAX` for no limit.
    limit: u64,
    /// An event was refused for want of room: the execution must fail.
    full: AtomicBool,
    /// The last event recorded at the top level (outside any [`in_lane`]).
    top_lane: AtomicU64,
}

tokio::task_local! {
    /// The last event recorded in the Map iteration or Parallel branch a
    /// future runs in.
    static LANE: std::cell::Cell<u64>;
}

/// Runs `future` as its own line of events (a Map iteration, a Parallel
/// branch) that follows event `start` (what started it): the first event it
/// records has `start` as its `previous_event_id`.
pub(crate) fn in_lane<F: std::future::Future>(
    start: u64,
    future: F,
) -> tokio::task::futures::TaskLocalFuture<std::cell::Cell<u64>, F> {
    LANE.scope(std::cell::Cell::new(start), future)
}

impl Recorder {
    pub(crate) fn new(sink: History, execution: Arc<str>) -> Self {
        Recorder {
            sink,
            next_id: AtomicU64::new(1),
            execution,
            captured: None,
            limit: u64::MAX,
            full: AtomicBool::new(false),
            top_lane: AtomicU64::new(0),
        }
    }

    /// At most `limit` events (`None`: no limit).
    pub(crate) fn limited(mut self, limit: Option<u64>) -> Self {
        self.limit = limit.unwrap_or(u64::MAX);
        self
    }

    /// Was an event refused because the history is full?
    #[inline]
    pub(crate) fn is_full(&self) -> bool {
        self.full.load(Ordering::Relaxed)
    }

    /// A recorder whose events are also kept for the store, numbered from `next_id`.
    pub(crate) fn capturing(sink: History, execution: Arc<str>, next_id: u64) -> Self {
        Recorder {
            sink,
            next_id: AtomicU64::new(next_id),
            execution,
            captured: Some(Mutex::new(Vec::new())),
            limit: u64::MAX,
            full: AtomicBool::new(false),
            // A resumed execution goes on after its last stored event.
            top_lane: AtomicU64::new(next_id.saturating_sub(1)),
        }
    }

    /// True when events are wanted; callers skip building details otherwise.
    #[inline]
    pub(crate) fn enabled(&self) -> bool {
        !self.sink.is_none() || self.captured.is_some()
    }

    /// The id the next event gets.
    pub(crate) fn next_id(&self) -> u64 {
        self.next_id.load(Ordering::Relaxed)
    }

    /// The events kept since the last call.
    pub(crate) fn take_captured(&self) -> Vec<HistoryEvent> {
        match &self.captured {
            Some(list) => std::mem::take(&mut *list.lock().unwrap_or_else(|p| p.into_inner())),
            None => Vec::new(),
        }
    }

    /// Numbers the event (always: AWS's error causes cite event ids) and, when a
    /// sink wants it, sends it there. Returns the event's id.
    #[inline]
    pub(crate) fn record(
        &self,
        timestamp: OffsetDateTime,
        event_type: EventType,
        state_name: Option<&str>,
        details: Value,
    ) -> u64 {
        // One execution is driven by one task (Map iterations and Parallel
        // branches are polled by it, never by another thread), so its events
        // are never recorded at the same time: a plain load and store keep the
        // ids exact without the cost of a locked read-modify-write on every
        // state entry and exit.
        let id = self.next_id.load(Ordering::Relaxed);
        // The last event a full history has room for ends the execution: only
        // `ExecutionSucceeded` may take it; anything else is refused, and the
        // execution fails at its next step with `ExecutionFailed` in that place.
        if id >= self.limit
            && !matches!(
                event_type,
                EventType::ExecutionSucceeded
                    | EventType::ExecutionFailed
                    | EventType::ExecutionTimedOut
                    | EventType::ExecutionAborted
            )
        {
            self.full.store(true, Ordering::Relaxed);
            return id;
        }
        self.next_id.store(id + 1, Ordering::Relaxed);
        if !self.enabled() {
            return id;
        }
        let previous_event_id = LANE
            .try_with(|last| last.replace(id))
            .unwrap_or_else(|_| self.top_lane.swap(id, Ordering::Relaxed));
        let event = HistoryEvent {
            id,
            timestamp,
            event_type,
            execution: self.execution.clone(),
            state_name: state_name.map(str::to_owned),
            previous_event_id,
            details,
        };
        if let Some(list) = &self.captured {
            let kept = if self.sink.is_none() {
                event
            } else {
                let kept = event.clone();
                self.send(event);
                kept
            };
            list.lock().unwrap_or_else(|p| p.into_inner()).push(kept);
            return id;
        }
        self.send(event);
        id
    }

    fn send(&self, event: HistoryEvent) {
        match &self.sink {
            History::None => {}
            // A poisoned lock only means another thread panicked while pushing;
            // the list itself is still a list.
            History::Memory(list) => list.lock().unwrap_or_else(|p| p.into_inner()).push(event),
            History::Tracing => tracing::info!(
                target: "asl::history",
                execution = %event.execution,
                id = event.id,
                event_type = event.event_type.as_str(),
                state = event.state_name.as_deref().unwrap_or(""),
                details = %event.details,
            ),
            History::Custom(f) => f(event),
        }
    }
}

/// The details of an `ExecutionRedriven` event (`executionRedrivenEventDetails`),
/// for a top-level execution and a Map Run's child alike.
pub(crate) fn redriven_details(redrive_count: u32) -> serde_json::Value {
    let mut details = serde_json::Map::new();
    details.insert(
        "redriveCount".into(),
        serde_json::Value::from(redrive_count),
    );
    serde_json::Value::Object(details)
}
