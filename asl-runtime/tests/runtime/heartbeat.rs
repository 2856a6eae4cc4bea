//! `HeartbeatSeconds` as AWS enforces it, on tokio's paused clock: a task that
//! sends heartbeats runs as long as it needs; one that goes silent for a whole
//! period fails with `States.HeartbeatTimeout`, which Retry and Catch see like any
//! task error; `TimeoutSeconds` still bounds the task whatever its heartbeats.
//!
//! The engine is driven here as generated code drives it: `Execution::start`,
//! `StateRun::enter`, `retrying` around `task`, then `finish`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use asl_runtime::error::names;
// The engine's internals, as generated code reaches them.
use asl_runtime::__private::{
    Catcher, Execution, ReferencePath, Retrier, Root, Segment, StateInfo, StateRun, Transition,
    WorkflowInfo,
};
use asl_runtime::exec::{
    EventType, ExecutionError, ExecutionOptions, History, HistoryEvent, Runtime,
};
use asl_runtime::task::{BoxFuture, HeartbeatSignal, TaskContext, TaskHandler};
use asl_runtime::{Error, Value};
use serde_json::json;
use tokio::time::{Instant, sleep};

const RESOURCE: &str = "arn:aws:states:::test:work";

/// Works in steps of `interval`, sending a heartbeat after each of its `beats`
/// steps, then stays silent for `tail` and returns how many beats it sent.
struct Worker {
    interval: Duration,
    beats: u32,
    tail: Duration,
    calls: AtomicU32,
}

impl Worker {
    fn new(interval_secs: u64, beats: u32, tail_secs: u64) -> Arc<Self> {
        Arc::new(Worker {
            interval: Duration::from_secs(interval_secs),
            beats,
            tail: Duration::from_secs(tail_secs),
            calls: AtomicU32::new(0),
        })
    }

    fn calls(&self) -> u32 {
        self.calls.load(Ordering::SeqCst)
    }
}

impl TaskHandler for Worker {
    fn invoke<'a>(
        &'a self,
        task: &'a TaskContext<'a>,
        _parameters: Value,
    ) -> BoxFuture<'a, Result<Value, Error>> {
        Box::pin(async move {
            self.calls.fetch_add(1, Ordering::SeqCst);
            for _ in 0..self.beats {
                sleep(self.interval).await;
                task.send_heartbeat();
            }
            sleep(self.tail).await;
            Ok(json!({"beats": self.beats}))
        })
    }
}

static WORKFLOW: WorkflowInfo = WorkflowInfo {
    name: "Heartbeat",
    timeout_seconds: None,
    reads_execution_input: false,
    states: &["Work"],
    start: 0,
    definition_hash: "",
    // Written by hand, not compiled from a definition.
    definition: "",
    sdk_actions: &[],
};

static WORK: StateInfo = StateInfo::task("Work");

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Next {
    Caught,
}

/// `"ResultPath": "$.error"`.
const fn error_path() -> ReferencePath {
    ReferencePath::from_static(Root::Input, &[Segment::Field("error")], "$.error")
}

/// What one execution of the one-Task workflow did.
struct Outcome {
    result: Result<Value, ExecutionError>,
    elapsed: Duration,
    events: Vec<HistoryEvent>,
}

impl Outcome {
    fn count(&self, event: EventType) -> usize {
        self.events.iter().filter(|e| e.event_type == event).count()
    }
}

/// Runs the state `Work` (Task on `worker`) with the given timeouts, Retry and
/// Catch; a caught error ends the execution with `{"caught": <output>}`.
async fn run(
    worker: &Arc<Worker>,
    timeout: Option<u64>,
    heartbeat: Option<u64>,
    retriers: &[Retrier],
    catchers: &'static [Catcher<Next>],
) -> Outcome {
    let runtime = Runtime::builder()
        .handler(RESOURCE, worker.clone() as Arc<dyn TaskHandler>)
        .build();
    let (history, events) = History::memory();
    let started = Instant::now();
    let (exec, input) = Execution::start(
        &runtime,
        &WORKFLOW,
        json!({"x": 1}),
        ExecutionOptions::default().history(history),
    );
    let timeout = timeout.map(Duration::from_secs);
    let heartbeat = heartbeat.map(Duration::from_secs);
    let result = exec
        .finish(async {
            let st = StateRun::enter(&exec, &WORK, &input);
            let result = st
                .retrying(retriers, || {
                    st.task_timed(RESOURCE, input.clone(), timeout, heartbeat)
                })
                .await;
            match st.finish(result, None, catchers, input.clone())? {
                Transition::End(output) => Ok(output),
                Transition::Next(Next::Caught, output) => Ok(json!({"caught": output})),
            }
        })
        .await;
    let elapsed = started.elapsed();
    let events = events.lock().unwrap().clone();
    Outcome {
        result,
        elapsed,
        events,
    }
}

#[tokio::test(start_paused = true)]
async fn a_task_that_heartbeats_runs_past_heartbeat_seconds() {
    // A beat every 5 s for 50 s, then 5 s more: 55 s in all against a 10 s period.
    let worker = Worker::new(5, 10, 5);
    let outcome = run(&worker, None, Some(10), &[], &[]).await;
    assert_eq!(outcome.result, Ok(json!({"beats": 10})));
    assert_eq!(outcome.elapsed, Duration::from_secs(55));
    assert_eq!(outcome.count(EventType::TaskSucceeded), 1);
    assert_eq!(outcome.count(EventType::TaskTimedOut), 0);
}

#[tokio::test(start_paused = true)]
async fn a_task_shorter_than_heartbeat_seconds_needs_no_heartbeat() {
    let worker = Worker::new(1, 0, 9);
    let outcome = run(&worker, None, Some(10), &[], &[]).await;
    assert_eq!(outcome.result, Ok(json!({"beats": 0})));
    assert_eq!(outcome.elapsed, Duration::from_secs(9));
}

#[tokio::test(start_paused = true)]
async fn a_task_that_stops_heartbeating_fails_with_heartbeat_timeout() {
    // Beats at 5 s and 10 s, then silence: the period that starts at the last beat
    // runs out at 20 s (at 10 s had the beats not restarted the clock).
    let worker = Worker::new(5, 2, 3600);
    let outcome = run(&worker, Some(600), Some(10), &[], &[]).await;
    let err = outcome.result.as_ref().unwrap_err();
    assert_eq!(err.error(), Some(names::HEARTBEAT_TIMEOUT));
    assert_eq!(outcome.elapsed, Duration::from_secs(20));
    let timed_out: Vec<&HistoryEvent> = outcome
        .events
        .iter()
        .filter(|e| e.event_type == EventType::TaskTimedOut)
        .collect();
    assert_eq!(timed_out.len(), 1);
    assert_eq!(timed_out[0].state_name.as_deref(), Some("Work"));
    assert_eq!(outcome.count(EventType::TaskFailed), 0);
    assert_eq!(outcome.count(EventType::TaskSucceeded), 0);
    assert_eq!(
        outcome.events.last().map(|e| e.event_type),
        Some(EventType::ExecutionFailed)
    );
}

#[tokio::test(start_paused = true)]
async fn a_heartbeat_timeout_is_retried() {
    static RETRY: [Retrier; 1] = [Retrier {
        max_attempts: 2,
        ..Retrier::new(&[names::HEARTBEAT_TIMEOUT])
    }];
    let worker = Worker::new(1, 0, 3600);
    let outcome = run(&worker, None, Some(10), &RETRY, &[]).await;
    assert_eq!(worker.calls(), 3, "one attempt and two retries");
    assert_eq!(
        outcome.result.as_ref().unwrap_err().error(),
        Some(names::HEARTBEAT_TIMEOUT)
    );
    // Three 10 s periods and retry delays of 1 s and 2 s.
    assert_eq!(outcome.elapsed, Duration::from_secs(33));
    assert_eq!(outcome.count(EventType::TaskTimedOut), 3);
}

#[tokio::test(start_paused = true)]
async fn states_all_retries_a_heartbeat_timeout() {
    static RETRY: [Retrier; 1] = [Retrier::new(&[names::ALL])];
    // Each attempt beats at 8 s and 16 s, then is silent: it never succeeds, so
    // every attempt fails at 26 s; States.ALL retries it 3 times.
    let worker = Worker::new(8, 2, 3600);
    let outcome = run(&worker, None, Some(10), &RETRY, &[]).await;
    assert_eq!(worker.calls(), 4);
    assert_eq!(outcome.elapsed, Duration::from_secs(4 * 26 + 1 + 2 + 4));
}

#[tokio::test(start_paused = true)]
async fn a_heartbeat_timeout_is_caught_by_states_task_failed() {
    static CATCH: [Catcher<Next>; 1] = [Catcher {
        error_equals: &[names::TASK_FAILED],
        result_path: Some(error_path()),
        next: Next::Caught,
    }];
    let worker = Worker::new(1, 0, 3600);
    let outcome = run(&worker, None, Some(10), &[], &CATCH).await;
    let out = outcome.result.unwrap();
    assert_eq!(out["caught"]["x"], json!(1));
    assert_eq!(
        out["caught"]["error"]["Error"],
        json!(names::HEARTBEAT_TIMEOUT)
    );
    assert_eq!(outcome.elapsed, Duration::from_secs(10));
}

#[tokio::test(start_paused = true)]
async fn a_heartbeat_timeout_is_caught_by_name() {
    static CATCH: [Catcher<Next>; 2] = [
        Catcher {
            error_equals: &[names::TIMEOUT],
            result_path: None,
            next: Next::Caught,
        },
        Catcher {
            error_equals: &[names::HEARTBEAT_TIMEOUT],
            result_path: Some(error_path()),
            next: Next::Caught,
        },
    ];
    let worker = Worker::new(1, 0, 3600);
    let outcome = run(&worker, None, Some(10), &[], &CATCH).await;
    let out = outcome.result.unwrap();
    // The second catcher took it: States.Timeout does not match a heartbeat timeout.
    assert_eq!(
        out["caught"]["error"]["Error"],
        json!(names::HEARTBEAT_TIMEOUT)
    );
}

#[tokio::test(start_paused = true)]
async fn a_shorter_timeout_seconds_wins_over_heartbeats() {
    // Beats every 5 s for 500 s against a 10 s period, but TimeoutSeconds is 15.
    let worker = Worker::new(5, 100, 0);
    let outcome = run(&worker, Some(15), Some(10), &[], &[]).await;
    assert_eq!(
        outcome.result.as_ref().unwrap_err().error(),
        Some(names::TIMEOUT)
    );
    assert_eq!(outcome.elapsed, Duration::from_secs(15));
    assert_eq!(outcome.count(EventType::TaskTimedOut), 1);
}

#[tokio::test(start_paused = true)]
async fn a_shorter_heartbeat_wins_over_timeout_seconds() {
    let worker = Worker::new(1, 0, 3600);
    let outcome = run(&worker, Some(15), Some(10), &[], &[]).await;
    assert_eq!(
        outcome.result.as_ref().unwrap_err().error(),
        Some(names::HEARTBEAT_TIMEOUT)
    );
    assert_eq!(outcome.elapsed, Duration::from_secs(10));
}

#[tokio::test(start_paused = true)]
async fn without_heartbeat_seconds_a_silent_task_is_not_interrupted() {
    let worker = Worker::new(1, 0, 3600);
    let outcome = run(&worker, None, None, &[], &[]).await;
    assert_eq!(outcome.result, Ok(json!({"beats": 0})));
    assert_eq!(outcome.elapsed, Duration::from_secs(3600));
}

#[tokio::test(start_paused = true)]
async fn a_heartbeat_sent_while_nobody_waits_is_kept() {
    let signal = HeartbeatSignal::new();
    let task = TaskContext::new(RESOURCE, "Work").with_heartbeat_signal(&signal);
    task.send_heartbeat();
    tokio::time::timeout(Duration::from_secs(1), signal.next_beat())
        .await
        .expect("the beat sent before the wait is seen");
    // A context without a signal (a handler tested on its own) ignores beats.
    TaskContext::new(RESOURCE, "Work").send_heartbeat();
}
