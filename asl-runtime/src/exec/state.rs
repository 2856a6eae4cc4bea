//! What every state shares at run time: entering and leaving it (history events,
//! `$$.State`), the Retry/Catch loop, Task dispatch with timeouts, Wait, Map and
//! Parallel.
//!
//! In: calls from a generated state function, which holds the state's logic
//! (paths, templates, rules) and hands its body to [`StateRun::retrying`]. Out: a
//! [`Transition`] to the next state, or the error the execution fails with.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU32, Ordering};
use std::task::Poll;
use std::time::Duration;

use futures_util::stream::{FuturesUnordered, StreamExt};
use serde_json::{Map, Value};
use time::OffsetDateTime;

use crate::error::{Error, names};
use crate::path::ReferencePath;
pub use crate::retry::{Jitter, Retrier};
use crate::retry::{RetryCounters, RetryDecision};
use crate::task::{HeartbeatSignal, TaskContext};

use super::history::EventType;
use super::{Context, Execution, details_one, error_details};

/// Where a state goes next.
#[derive(Debug)]
pub enum Transition<S> {
    Next(S, Value),
    End(Value),
}

/// The eight state types.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StateKind {
    Pass,
    Task,
    Choice,
    Wait,
    Succeed,
    Fail,
    Parallel,
    Map,
}

impl StateKind {
    fn entered(self) -> EventType {
        match self {
            StateKind::Pass => EventType::PassStateEntered,
            StateKind::Task => EventType::TaskStateEntered,
            StateKind::Choice => EventType::ChoiceStateEntered,
            StateKind::Wait => EventType::WaitStateEntered,
            StateKind::Succeed => EventType::SucceedStateEntered,
            StateKind::Fail => EventType::FailStateEntered,
            StateKind::Parallel => EventType::ParallelStateEntered,
            StateKind::Map => EventType::MapStateEntered,
        }
    }

    fn exited(self) -> Option<EventType> {
        Some(match self {
            StateKind::Pass => EventType::PassStateExited,
            StateKind::Task => EventType::TaskStateExited,
            StateKind::Choice => EventType::ChoiceStateExited,
            StateKind::Wait => EventType::WaitStateExited,
            StateKind::Succeed => EventType::SucceedStateExited,
            StateKind::Fail => return None,
            StateKind::Parallel => EventType::ParallelStateExited,
            StateKind::Map => EventType::MapStateExited,
        })
    }
}

/// A state as generated code declares it, in a `static`.
#[derive(Debug)]
pub struct StateInfo {
    pub name: &'static str,
    pub kind: StateKind,
    /// Does the state read `$$`? Then its entered time is taken on entry.
    pub reads_context: bool,
}

impl StateInfo {
    /// A state that does not read `$$`.
    pub const fn new(name: &'static str, kind: StateKind) -> Self {
        StateInfo {
            name,
            kind,
            reads_context: false,
        }
    }

    pub const fn pass(name: &'static str) -> Self {
        Self::new(name, StateKind::Pass)
    }

    pub const fn task(name: &'static str) -> Self {
        Self::new(name, StateKind::Task)
    }

    pub const fn choice(name: &'static str) -> Self {
        Self::new(name, StateKind::Choice)
    }

    pub const fn wait(name: &'static str) -> Self {
        Self::new(name, StateKind::Wait)
    }

    pub const fn succeed(name: &'static str) -> Self {
        Self::new(name, StateKind::Succeed)
    }

    pub const fn fail(name: &'static str) -> Self {
        Self::new(name, StateKind::Fail)
    }

    pub const fn parallel(name: &'static str) -> Self {
        Self::new(name, StateKind::Parallel)
    }

    pub const fn map(name: &'static str) -> Self {
        Self::new(name, StateKind::Map)
    }

    /// The same state, reading `$$`.
    pub const fn reading_context(mut self) -> Self {
        self.reads_context = true;
        self
    }
}

/// One `Catch` entry; `S` is the generated enum of states.
#[derive(Debug)]
pub struct Catcher<S: 'static> {
    pub error_equals: &'static [&'static str],
    /// `None` for `"ResultPath": null` (keep the input, drop the error output).
    pub result_path: Option<ReferencePath>,
    pub next: S,
}

/// Tolerated failures of a Map state.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Tolerance {
    pub count: Option<u64>,
    pub percentage: Option<f64>,
}

impl Tolerance {
    fn exceeded(&self, failures: usize, total: usize) -> bool {
        if self.count.is_none() && self.percentage.is_none() {
            return failures > 0;
        }
        let over_count = self.count.is_none_or(|c| failures as u64 > c);
        let over_percentage = self
            .percentage
            .is_none_or(|p| total == 0 || (failures as f64) * 100.0 / (total as f64) > p);
        over_count && over_percentage
    }
}

/// A boxed future of one Parallel branch; one box per branch per run, not per
/// transition.
pub type BranchFuture<'a> = Pin<Box<dyn Future<Output = Result<Value, Error>> + Send + 'a>>;

/// A state while it runs: generated code enters it, runs its body through
/// [`Self::retrying`] and leaves through [`Self::finish`] or [`Self::choose`].
pub struct StateRun<'e> {
    pub exec: &'e Execution,
    info: &'static StateInfo,
    entered_id: u64,
    entered_time: Option<String>,
    retry_count: AtomicU32,
}

impl<'e> StateRun<'e> {
    /// Enters a state: records `<Type>StateEntered`.
    #[inline]
    pub fn enter(exec: &'e Execution, info: &'static StateInfo, input: &Value) -> Self {
        let details = if exec.recording() {
            details_one("input", input.clone())
        } else {
            Value::Null
        };
        let entered_id = exec.record(info.kind.entered(), Some(info.name), details);
        let entered_time =
            (info.reads_context || exec.recording()).then(|| super::format_timestamp(exec.now()));
        StateRun {
            exec,
            info,
            entered_id,
            entered_time,
            retry_count: AtomicU32::new(0),
        }
    }

    pub fn name(&self) -> &'static str {
        self.info.name
    }

    /// `$$` for this state.
    pub fn context(&self) -> Context<'_> {
        Context {
            execution: self.exec,
            state_name: self.info.name,
            entered_time: self.entered_time.as_deref(),
            retry_count: match self.retry_count.load(Ordering::Relaxed) {
                0 => None,
                n => Some(n),
            },
            task_token: None,
            map_item: None,
        }
    }

    /// Prefixes a `States.Runtime` error with the state it happened in, as AWS
    /// does: `An error occurred while executing the state 'X' (entered at the
    /// event id #2). ...`. Errors that already name their state pass unchanged.
    pub fn locate(&self, error: Error) -> Error {
        const PREFIX: &str = "An error occurred while executing the state";
        if error
            .cause
            .as_deref()
            .is_some_and(|c| c.starts_with(PREFIX))
        {
            return error;
        }
        error.in_state(self.info.name, self.entered_id)
    }

    /// Runs a state's body, again after an error as its `Retry` entries allow.
    ///
    /// Each entry keeps its own attempt count for this state entry; the first
    /// entry whose `ErrorEquals` matches decides. `$$.State.RetryCount` counts all
    /// retries.
    // `body` is a closure returning a future, not an async closure: the futures
    // of async closures lose `Send` (a higher-ranked lifetime rustc cannot
    // prove), and an execution must be spawnable on a multi-threaded runtime.
    pub async fn retrying<T, F, Fut>(&self, retriers: &[Retrier], mut body: F) -> Result<T, Error>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, Error>>,
    {
        if retriers.is_empty() {
            return body().await.map_err(|e| self.locate(e));
        }
        let mut counters = RetryCounters::new();
        loop {
            let error = match body().await {
                Ok(v) => return Ok(v),
                Err(e) => self.locate(e),
            };
            match counters.next(retriers, &error, rand::random::<f64>) {
                RetryDecision::GiveUp => return Err(error),
                RetryDecision::Retry(delay) => {
                    self.retry_count.store(counters.total(), Ordering::Relaxed);
                    tokio::time::sleep(delay).await;
                }
            }
        }
    }

    /// Leaves the state with its result: checks the data limit, records
    /// `<Type>StateExited`, and goes to `next` (or ends). An error goes to the
    /// first matching `Catch` entry, whose `ResultPath` places
    /// `{"Error", "Cause"}` into the state's raw `input`.
    /// [`Self::finish`] for a state without `Catch`.
    pub fn done<S: Copy + 'static>(
        &self,
        result: Result<Value, Error>,
        next: Option<S>,
    ) -> Result<Transition<S>, Error> {
        self.finish(result, next, &[], Value::Null)
    }

    pub fn finish<S: Copy>(
        &self,
        result: Result<Value, Error>,
        next: Option<S>,
        catchers: &'static [Catcher<S>],
        input: Value,
    ) -> Result<Transition<S>, Error> {
        let result = result.and_then(|v| self.check_size(v));
        match result {
            Ok(output) => {
                self.exited(&output);
                Ok(match next {
                    Some(s) => Transition::Next(s, output),
                    None => Transition::End(output),
                })
            }
            Err(error) => self.catch(error, catchers, input),
        }
    }

    /// [`Self::finish`] for a JSONata state whose `Catch` entries have
    /// `Output`/`Assign`: when catcher `i` takes the error, `caught(i,
    /// error_output, input)` gives the state's output (and makes its assignments),
    /// with `error_output` = `{"Error", "Cause"}` (`$states.errorOutput`).
    pub fn finish_caught<S: Copy>(
        &self,
        result: Result<Value, Error>,
        next: Option<S>,
        catchers: &'static [Catcher<S>],
        input: Value,
        caught: impl FnOnce(usize, &Value, Value) -> Result<Value, Error>,
    ) -> Result<Transition<S>, Error> {
        let error = match result.and_then(|v| self.check_size(v)) {
            Ok(output) => return self.finish(Ok(output), next, catchers, input),
            Err(error) => self.locate(error),
        };
        if error.is_terminal() {
            return Err(error);
        }
        let Some(i) = catchers
            .iter()
            .position(|c| c.error_equals.iter().any(|e| error.matches(e)))
        else {
            return Err(error);
        };
        let output = caught(i, &error.to_catch_output(), input).map_err(|e| self.locate(e))?;
        self.exited(&output);
        Ok(Transition::Next(catchers[i].next, output))
    }

    /// Leaves a Choice state for the branch its rules chose.
    pub fn choose<S: Copy>(
        &self,
        result: Result<(S, Value), Error>,
    ) -> Result<Transition<S>, Error> {
        let (next, output) = result.map_err(|e| self.locate(e))?;
        let output = self.check_size(output)?;
        self.exited(&output);
        Ok(Transition::Next(next, output))
    }

    fn catch<S: Copy>(
        &self,
        error: Error,
        catchers: &'static [Catcher<S>],
        input: Value,
    ) -> Result<Transition<S>, Error> {
        let error = self.locate(error);
        if error.is_terminal() {
            return Err(error);
        }
        let Some(catcher) = catchers
            .iter()
            .find(|c| c.error_equals.iter().any(|e| error.matches(e)))
        else {
            return Err(error);
        };
        let output = match &catcher.result_path {
            None => input,
            Some(path) => path
                .apply_result(input, error.to_catch_output())
                .map_err(|e| self.locate(e))?,
        };
        self.exited(&output);
        Ok(Transition::Next(catcher.next, output))
    }

    fn exited(&self, output: &Value) {
        if let Some(event) = self.info.kind.exited() {
            let details = if self.exec.recording() {
                details_one("output", output.clone())
            } else {
                Value::Null
            };
            self.exec.record(event, Some(self.info.name), details);
        }
    }

    /// `States.DataLimitExceeded` when a state's output is over the runtime's limit.
    fn check_size(&self, output: Value) -> Result<Value, Error> {
        let limit = self.exec.data_limit();
        // Most outputs are far below the limit: a structural upper bound (no
        // formatting) settles those; only a large one is measured exactly.
        if let Some(max) = limit.max_bytes
            && size_upper_bound(&output, max) <= max
        {
            return Ok(output);
        }
        limit.check_output(self.info.name, &output)?;
        Ok(output)
    }

    /// A `Fail` state: the error (possibly without a name) the execution fails with.
    pub fn fail(&self, error: Option<String>, cause: Option<String>) -> Error {
        Error {
            error: error.map(Into::into).unwrap_or_default(),
            cause,
        }
    }

    /// Runs a Task: looks up the handler for `resource`, records the task events,
    /// and applies `TimeoutSeconds` (`States.Timeout`) and `HeartbeatSeconds`
    /// (`States.HeartbeatTimeout` when the handler sends no heartbeat for that
    /// long), each recorded as `TaskTimedOut`.
    pub async fn task(&self, resource: &'static str, parameters: Value) -> Result<Value, Error> {
        self.task_timed(resource, parameters, None, None).await
    }

    /// [`Self::task`] under `TimeoutSeconds` / `HeartbeatSeconds`.
    pub async fn task_timed(
        &self,
        resource: &'static str,
        parameters: Value,
        timeout: Option<Duration>,
        heartbeat: Option<Duration>,
    ) -> Result<Value, Error> {
        let name = Some(self.info.name);
        if self.exec.recording() {
            let mut d = Map::with_capacity(2);
            d.insert("resource".into(), Value::String(resource.to_owned()));
            d.insert("parameters".into(), parameters.clone());
            self.exec
                .record(EventType::TaskScheduled, name, Value::Object(d));
        } else {
            self.exec
                .record(EventType::TaskScheduled, name, Value::Null);
        }
        let Some(handler) = self.exec.runtime().handler(resource) else {
            return Err(Error::runtime(format!(
                "No task handler is registered for resource '{resource}'."
            )));
        };
        let signal = HeartbeatSignal::new();
        let mut task = TaskContext::new(resource, self.info.name);
        task.timeout = timeout;
        task.heartbeat = heartbeat;
        let task = task.with_heartbeat_signal(&signal);
        self.exec.record(
            EventType::TaskStarted,
            name,
            details_one("resource", Value::String(resource.to_owned())),
        );
        let invocation = watch_heartbeats(handler.invoke(&task, parameters), heartbeat, &signal);
        // TimeoutSeconds bounds the whole task whatever its heartbeats; whichever
        // of the two runs out first ends it.
        let watched = match timeout {
            Some(t) => match tokio::time::timeout(t, invocation).await {
                Ok(r) => r,
                Err(_) => Err(Error::without_cause(names::TIMEOUT)),
            },
            None => invocation.await,
        };
        let result = match watched {
            Ok(r) => r,
            Err(error) => {
                self.exec
                    .record(EventType::TaskTimedOut, name, error_details(&error));
                return Err(error);
            }
        };
        match &result {
            Ok(output) if self.exec.recording() => {
                self.exec.record(
                    EventType::TaskSucceeded,
                    name,
                    details_one("output", output.clone()),
                );
            }
            Ok(_) => {
                self.exec
                    .record(EventType::TaskSucceeded, name, Value::Null);
            }
            Err(e) => {
                self.exec
                    .record(EventType::TaskFailed, name, error_details(e));
            }
        }
        result
    }

    /// `Seconds`.
    pub async fn wait_seconds(&self, seconds: u64) {
        tokio::time::sleep(Duration::from_secs(seconds)).await;
    }

    /// `SecondsPath`: the value must be a non-negative integer.
    pub async fn wait_seconds_path(&self, value: Option<&Value>, path: &str) -> Result<(), Error> {
        let Some(value) = value else {
            return Err(Error::runtime(format!(
                "The SecondsPath parameter does not reference an input value: {path}"
            )));
        };
        let seconds = value
            .as_u64()
            .or_else(|| value.as_i64().map(|s| s.max(0) as u64));
        let Some(seconds) = seconds else {
            return Err(Error::runtime(format!(
                "The SecondsPath parameter cannot be parsed as a long value: {path} == {}",
                display_raw(value)
            )));
        };
        self.wait_seconds(seconds).await;
        Ok(())
    }

    /// `Timestamp`: waits until the instant (no wait if it has passed).
    pub async fn wait_until(&self, timestamp: OffsetDateTime) {
        let remaining = timestamp - self.exec.now();
        if remaining.is_positive() {
            tokio::time::sleep(remaining.unsigned_abs()).await;
        }
    }

    /// `TimestampPath`: the value must be an RFC 3339 timestamp string.
    pub async fn wait_timestamp_path(
        &self,
        value: Option<&Value>,
        path: &str,
    ) -> Result<(), Error> {
        let Some(value) = value else {
            return Err(Error::runtime(format!(
                "The TimestampPath parameter does not reference an input value: {path}"
            )));
        };
        let Some(timestamp) = value.as_str().and_then(parse_timestamp) else {
            return Err(Error::runtime(format!(
                "The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: {path} == {}",
                display_raw(value)
            )));
        };
        self.wait_until(timestamp).await;
        Ok(())
    }

    /// `MaxConcurrencyPath`: a non-negative integer (0: no limit).
    pub fn max_concurrency_path(&self, value: Option<&Value>, path: &str) -> Result<usize, Error> {
        // AWS also takes an integer written as a string ("1").
        let n = value.and_then(|v| {
            v.as_u64()
                .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
        });
        match n {
            Some(n) => Ok(usize::try_from(n).unwrap_or(usize::MAX)),
            None => Err(Error::runtime(format!(
                "The MaxConcurrencyPath field refers to value \"{}\" which is not a valid integer: {path}",
                value.map(display_raw).unwrap_or_else(|| "null".into())
            ))),
        }
    }

    /// `ToleratedFailureCountPath`.
    pub fn tolerated_failure_count_path(
        &self,
        value: Option<&Value>,
        path: &str,
    ) -> Result<u64, Error> {
        match value.and_then(Value::as_i64) {
            Some(n) if n < 0 => Err(Error::runtime("ToleratedFailureCount cannot be negative.")),
            Some(n) => Ok(n as u64),
            None => Err(Error::runtime(format!(
                "The ToleratedFailureCountPath field refers to value \"{}\" which is not a valid integer: {path}",
                value.map(display_raw).unwrap_or_else(|| "null".into())
            ))),
        }
    }

    /// `ToleratedFailurePercentagePath`.
    pub fn tolerated_failure_percentage_path(
        &self,
        value: Option<&Value>,
        path: &str,
    ) -> Result<f64, Error> {
        match value.and_then(Value::as_f64) {
            Some(p) if (0.0..=100.0).contains(&p) => Ok(p),
            Some(_) => Err(Error::runtime(
                "ToleratedFailurePercentage must be between 0 and 100.",
            )),
            None => Err(Error::runtime(format!(
                "The ToleratedFailurePercentagePath field refers to value \"{}\" which is not a valid number: {path}",
                value.map(display_raw).unwrap_or_else(|| "null".into())
            ))),
        }
    }

    /// The items of a Map state: `ItemsPath`'s value must be an array.
    pub fn map_items(&self, value: Value, path: &str) -> Result<Vec<Value>, Error> {
        match value {
            Value::Array(items) => Ok(items),
            other => Err(not_an_array(&other, path)),
        }
    }

    /// [`Self::map_items`] for items that stay where they are in the state's
    /// input: iterations read them in place, without a copy of the array.
    pub fn map_items_ref<'v>(&self, value: &'v Value, path: &str) -> Result<&'v [Value], Error> {
        match value {
            Value::Array(items) => Ok(items),
            other => Err(not_an_array(other, path)),
        }
    }

    /// Runs a Map state's iterations, at most `max_concurrency` at a time (0: no
    /// limit), and returns their outputs in item order. An iteration that fails
    /// ends the Map with its error unless the `tolerance` allows it; then its
    /// output is `{"Error", "Cause"}`.
    pub async fn map<'i, F, Fut>(
        &self,
        items: &'i [Value],
        max_concurrency: usize,
        tolerance: Tolerance,
        never_waits: bool,
        iteration: F,
    ) -> Result<Value, Error>
    where
        F: Fn(usize, &'i Value) -> Fut,
        Fut: Future<Output = Result<Value, Error>>,
    {
        let mut run = MapRun::start(self, items.len(), tolerance);
        let limit = if max_concurrency == 0 {
            usize::MAX
        } else {
            max_concurrency
        };
        let iteration = &iteration;
        let start = |index: usize, item: &'i Value| async move {
            MapRun::iteration_started(self, index);
            (index, iteration(index, item).await)
        };
        // When the item processor has no state that can wait (no Task, no Wait:
        // build-support knows), every iteration finishes in its first poll, so
        // running them one after another is indistinguishable from running them
        // side by side, and needs no allocation per item.
        if never_waits {
            for (index, item) in items.iter().enumerate() {
                let (i, result) = start(index, item).await;
                run.settle(i, result)?;
            }
            return Ok(run.succeeded());
        }
        let mut running = FuturesUnordered::new();
        for (index, item) in items.iter().enumerate() {
            while running.len() >= limit {
                let Some((i, result)) = running.next().await else {
                    break;
                };
                run.settle(i, result)?;
            }
            // Each iteration is polled once as it starts: one that finishes
            // without waiting (most do) never joins the set of running ones, so
            // 10,000 items do not mean 10,000 live futures.
            let mut iteration_future = Box::pin(start(index, item));
            match std::future::poll_fn(|cx| Poll::Ready(iteration_future.as_mut().poll(cx))).await {
                Poll::Ready((i, result)) => run.settle(i, result)?,
                Poll::Pending => running.push(iteration_future),
            }
        }
        while let Some((i, result)) = running.next().await {
            run.settle(i, result)?;
        }
        Ok(run.succeeded())
    }

    /// [`Self::map`] for an item processor made only of states that never wait
    /// (Pass, Choice, Succeed, Fail): each iteration is a plain function call,
    /// run one after another, which is indistinguishable from running them side
    /// by side (none could yield to another), so `MaxConcurrency` has nothing to
    /// limit.
    pub fn map_sync<'i, F>(
        &self,
        items: &'i [Value],
        tolerance: Tolerance,
        mut iteration: F,
    ) -> Result<Value, Error>
    where
        F: FnMut(usize, &'i Value) -> Result<Value, Error>,
    {
        let mut run = MapRun::start(self, items.len(), tolerance);
        for (index, item) in items.iter().enumerate() {
            MapRun::iteration_started(self, index);
            let result = iteration(index, item);
            run.settle(index, result)?;
        }
        Ok(run.succeeded())
    }

    /// Runs a Parallel state's branches concurrently; the output is their outputs
    /// in branch order. The first branch to fail cancels the others and fails the
    /// state with its error.
    pub async fn parallel(&self, branches: Vec<BranchFuture<'_>>) -> Result<Value, Error> {
        let name = Some(self.info.name);
        self.exec
            .record(EventType::ParallelStateStarted, name, Value::Null);
        match futures_util::future::try_join_all(branches).await {
            Ok(outputs) => {
                self.exec
                    .record(EventType::ParallelStateSucceeded, name, Value::Null);
                Ok(Value::Array(outputs))
            }
            Err(error) => {
                self.exec
                    .record(EventType::ParallelStateFailed, name, error_details(&error));
                Err(error)
            }
        }
    }
}

/// One run of a Map state: its history events, the outputs in item order and
/// the failures counted against the tolerance.
struct MapRun<'s, 'e> {
    state: &'s StateRun<'e>,
    tolerance: Tolerance,
    total: usize,
    /// Outputs by item index; filled in order as iterations finish in order
    /// (always, for iterations that never wait), with gaps of `null` while
    /// earlier ones still run.
    results: Vec<Value>,
    failures: usize,
}

impl<'s, 'e> MapRun<'s, 'e> {
    fn start(state: &'s StateRun<'e>, total: usize, tolerance: Tolerance) -> Self {
        let length = if state.exec.recording() {
            details_one("length", Value::from(total))
        } else {
            Value::Null
        };
        state
            .exec
            .record(EventType::MapStateStarted, Some(state.info.name), length);
        MapRun {
            state,
            tolerance,
            total,
            results: Vec::with_capacity(total),
            failures: 0,
        }
    }

    fn place(&mut self, index: usize, output: Value) {
        if index == self.results.len() {
            self.results.push(output);
        } else {
            if index > self.results.len() {
                self.results.resize(index + 1, Value::Null);
            }
            self.results[index] = output;
        }
    }

    fn index_details(state: &StateRun<'_>, index: usize) -> Value {
        if state.exec.recording() {
            details_one("index", Value::from(index))
        } else {
            Value::Null
        }
    }

    fn record(&self, event: EventType, details: Value) {
        self.state
            .exec
            .record(event, Some(self.state.info.name), details);
    }

    /// Records `MapIterationStarted` (a function of the state alone, so running
    /// iterations need not borrow the run).
    fn iteration_started(state: &StateRun<'_>, index: usize) {
        state.exec.record(
            EventType::MapIterationStarted,
            Some(state.info.name),
            Self::index_details(state, index),
        );
    }

    /// Records one finished iteration; `Err` ends the Map (the tolerance is
    /// exceeded).
    fn settle(&mut self, index: usize, result: Result<Value, Error>) -> Result<(), Error> {
        match result {
            Ok(output) => {
                self.record(
                    EventType::MapIterationSucceeded,
                    Self::index_details(self.state, index),
                );
                self.place(index, output);
                Ok(())
            }
            Err(error) => {
                self.record(
                    EventType::MapIterationFailed,
                    Self::index_details(self.state, index),
                );
                self.failures += 1;
                if self.tolerance.exceeded(self.failures, self.total) {
                    self.record(EventType::MapStateFailed, Value::Null);
                    if self.tolerance == Tolerance::default() {
                        return Err(error);
                    }
                    return Err(Error::new(
                        names::EXCEED_TOLERATED_FAILURE_THRESHOLD,
                        "The specified tolerated failure threshold was exceeded",
                    ));
                }
                let output = error.to_catch_output();
                self.place(index, output);
                Ok(())
            }
        }
    }

    fn succeeded(mut self) -> Value {
        self.record(EventType::MapStateSucceeded, Value::Null);
        debug_assert_eq!(self.results.len(), self.total);
        self.results.resize(self.total, Value::Null);
        Value::Array(self.results)
    }
}

/// Awaits a task's invocation while enforcing `HeartbeatSeconds`: with a
/// `heartbeat` period, a task that lets a whole period pass without a heartbeat on
/// `signal` is abandoned with `States.HeartbeatTimeout`. `Err` is that timeout;
/// `Ok` is the task's own outcome.
async fn watch_heartbeats<F>(
    invocation: F,
    heartbeat: Option<Duration>,
    signal: &HeartbeatSignal,
) -> Result<Result<Value, Error>, Error>
where
    F: Future<Output = Result<Value, Error>>,
{
    let Some(period) = heartbeat else {
        return Ok(invocation.await);
    };
    let mut invocation = std::pin::pin!(invocation);
    loop {
        tokio::select! {
            biased;
            outcome = &mut invocation => return Ok(outcome),
            () = signal.next_beat() => {}
            () = tokio::time::sleep(period) => {
                return Err(Error::without_cause(names::HEARTBEAT_TIMEOUT));
            }
        }
    }
}

/// An RFC 3339 timestamp as ASL accepts it (`2016-03-14T01:59:00Z`,
/// `...+01:00`, fractional seconds).
pub fn parse_timestamp(text: &str) -> Option<OffsetDateTime> {
    crate::choice::parse_date_time(text)
}

/// A value as AWS prints it after `==` in causes: strings without quotes.
fn display_raw(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn not_an_array(value: &Value, path: &str) -> Error {
    Error::runtime(format!(
        "Map state input must be an array but was: {} (ItemsPath {path})",
        json_type_name(value)
    ))
}

fn json_type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// An upper bound of the compact JSON size of `value` (every string character
/// counted as a 6-byte escape, every number as 24 bytes), stopping once past
/// `cap`.
fn size_upper_bound(value: &Value, cap: usize) -> usize {
    fn walk(value: &Value, total: &mut usize, cap: usize) {
        if *total > cap {
            return;
        }
        match value {
            Value::Null | Value::Bool(_) => *total += 5,
            Value::Number(_) => *total += 24,
            Value::String(s) => *total += 6 * s.len() + 2,
            Value::Array(items) => {
                *total += 2 + items.len();
                for item in items {
                    walk(item, total, cap);
                }
            }
            Value::Object(map) => {
                *total += 2 + map.len();
                for (k, v) in map {
                    *total += 6 * k.len() + 3;
                    walk(v, total, cap);
                }
            }
        }
    }
    let mut total = 0;
    walk(value, &mut total, cap);
    total
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn size_bound_is_never_below_the_real_size() {
        for v in [
            json!(null),
            json!(-1.5e300),
            json!("a\"\u{1}é"),
            json!({"k\n": [1, true, {"x": "y"}], "": {}}),
            json!([[], [[]], u64::MAX, i64::MIN]),
        ] {
            assert!(
                size_upper_bound(&v, usize::MAX) >= serde_json::to_string(&v).unwrap().len(),
                "{v}"
            );
        }
    }
}
