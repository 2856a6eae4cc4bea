//! What every state shares at run time: entering and leaving it (history events,
//! `$$.State`), the Retry/Catch loop and Choice/Fail exits, here; Task dispatch
//! with timeouts and heartbeats in [`task`], Wait in [`wait`], Map and Parallel in
//! [`map`].
//!
//! In: calls from a generated state function, which holds the state's logic
//! (paths, templates, rules) and hands its body to [`StateRun::retrying`]. Out: a
//! [`Transition`] to the next state, or the error the execution fails with.
//!
//! A top-level state runs as a [`TopStateRun`], generic over its driver's
//! `HOOKS` (a durable or TestState run, or a plain one): only it reports its
//! steps to a TestState run, and a plain run's states are compiled without
//! any report (another monomorphization, not a check per state). A state
//! nested in a Map or Parallel is a plain [`StateRun`] and reports nothing:
//! TestState inspects the tested state's own data.

use std::future::Future;
use std::ops::Deref;
use std::pin::Pin;
use std::sync::atomic::{AtomicU32, Ordering};
use std::task::Poll;
use std::time::Duration;

use futures_util::stream::{FuturesUnordered, StreamExt};
use serde_json::{Map, Value};
use time::OffsetDateTime;

use crate::error::{Error, display_raw, names};
use crate::limits::MAX_DATA_DEPTH;
use crate::path::ReferencePath;
use crate::retry::Retrier;
use crate::retry::{RetryCounters, RetryDecision};
use crate::task::{HeartbeatSignal, TaskContext};

use super::history::EventType;
use super::{Context, Execution, details_one, error_details};

mod map;
mod task;
mod wait;

pub use map::{BranchFuture, Tolerance};

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
    /// A Task that waits for a callback (`.waitForTaskToken`) or runs an
    /// activity: each attempt gets a task token (`$$.Task.Token`).
    pub task_token: bool,
    /// A JSONPath state with a result (Pass, Task, Map, Parallel, Wait,
    /// Succeed) without `InputPath` and `OutputPath`: its input is its data
    /// after `InputPath` and its output its data after `ResultPath`, which
    /// the engine reports to a TestState run. Other states report the data
    /// of their steps from their own code, if any.
    pub plain_io: bool,
}

impl StateInfo {
    /// A state that does not read `$$`.
    pub const fn new(name: &'static str, kind: StateKind) -> Self {
        StateInfo {
            name,
            kind,
            reads_context: false,
            task_token: false,
            plain_io: !matches!(kind, StateKind::Choice | StateKind::Fail),
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

    /// The same Task, with a task token for each attempt (a callback or an
    /// activity).
    pub const fn with_task_token(mut self) -> Self {
        self.task_token = true;
        self
    }

    /// The same state with `InputPath` or `OutputPath`, or in JSONata: its
    /// code reports what TestState inspects (see [`StateInfo::plain_io`]).
    pub const fn reporting_its_own_io(mut self) -> Self {
        self.plain_io = false;
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

impl<S> Catcher<S> {
    /// The state's output when this entry takes an error (JSONPath): the
    /// state's input with `error_output` (`{"Error", "Cause"}`) at `ResultPath`.
    pub fn output(&self, input: Value, error_output: Value) -> Result<Value, Error> {
        match &self.result_path {
            None => Ok(input),
            Some(path) => path.apply_result(input, error_output),
        }
    }
}

/// A state while it runs: generated code enters it, runs its body through
/// [`Self::retrying`] and leaves through [`Self::finish`] or [`Self::choose`].
pub struct StateRun<'e> {
    pub exec: &'e Execution,
    info: &'static StateInfo,
    entered_id: u64,
    entered_time: Option<String>,
    retry_count: AtomicU32,
    /// A state resumed from the store: its retries used (boxed: a state that
    /// was not resumed carries one null pointer).
    resumed: Option<Box<crate::store::Position>>,
    /// What only a durable run or a callback Task needs, made on first use:
    /// every other state entry carries one empty cell, cheap to make, move
    /// and drop on each transition.
    seldom: std::sync::OnceLock<Box<Seldom>>,
}

/// The parts of a [`StateRun`] most state entries never use.
#[derive(Default)]
struct Seldom {
    /// A state in a Map iteration or Parallel branch that ran again after a
    /// crash, in the middle of its retries: its first entry's time.
    first_entered: std::sync::OnceLock<String>,
    /// The id its waiting points derive from (durable executions), made once.
    waiting_base: std::sync::OnceLock<String>,
    /// A callback or activity Task: the current attempt's task token.
    token: std::sync::Mutex<Option<std::sync::Arc<task::Prepared>>>,
}

impl<'e> StateRun<'e> {
    /// Enters a state: records `<Type>StateEntered`.
    ///
    /// A durable execution resumed in this state, which it had entered before,
    /// does not enter it twice: the state continues under its first
    /// `...StateEntered` event and entry time, with its retries.
    #[inline]
    pub fn enter(exec: &'e Execution, info: &'static StateInfo, input: &Value) -> Self {
        // One clock reading: `$$.State.EnteredTime` and, in a durable
        // execution, the entry time a resume goes on with.
        let durable = exec.durable();
        let now = (durable || info.reads_context || exec.recording()).then(|| exec.now());
        let entered_time = now
            .filter(|_| info.reads_context || exec.recording())
            .map(super::format_timestamp);
        let mut run = StateRun {
            exec,
            info,
            entered_id: 0,
            entered_time,
            retry_count: AtomicU32::new(0),
            resumed: None,
            seldom: std::sync::OnceLock::new(),
        };
        if durable
            && let Some(p) = exec.resumed_entry(info.name)
            && let Some(id) = p.entered_event_id
        {
            // `$$.State.EnteredTime` stays the first entry's.
            let entered = p.entered_time.or(now).unwrap_or_else(|| exec.now());
            if run.entered_time.is_some() {
                run.entered_time = Some(super::format_timestamp(entered));
            }
            run.entered_id = id;
            run.retry_count = AtomicU32::new(p.retries.iter().sum());
            run.resumed = Some(Box::new(p));
            exec.entered_at_top(id, entered);
            return run;
        }
        let details = if exec.recording() {
            details_one("input", input.clone())
        } else {
            Value::Null
        };
        run.entered_id = exec.record(info.kind.entered(), Some(info.name), details);
        if let Some(now) = now.filter(|_| durable) {
            exec.entered_at_top(run.entered_id, now);
        }
        run
    }

    pub fn name(&self) -> &'static str {
        self.info.name
    }

    /// The retries of this state entry so far (`$$.State.RetryCount`).
    pub(crate) fn retries(&self) -> u32 {
        self.retry_count.load(Ordering::Relaxed)
    }

    fn seldom(&self) -> &Seldom {
        self.seldom.get_or_init(Box::default)
    }

    /// `$$.State.EnteredTime`: the first entry's, for a state that ran again
    /// after a crash in the middle of its retries.
    fn first_entered(&self) -> Option<&String> {
        self.seldom
            .get()
            .and_then(|s| s.first_entered.get())
            .or(self.entered_time.as_ref())
    }

    /// The TestState run this state reports to: only a top-level state
    /// under a driver with hooks (`REPORTS`) has one; for any other, this is
    /// `None` at compile time.
    #[inline(always)]
    fn probe<const REPORTS: bool>(&self) -> Option<&super::test_state::Probe> {
        if REPORTS { self.exec.probe() } else { None }
    }

    /// Reports the data after one step of input/output processing to a
    /// TestState run (`afterInputPath`, ...), when `REPORTS`.
    #[inline(always)]
    fn report<const REPORTS: bool>(&self, step: &str, value: &Value) {
        if let Some(p) = self.probe::<REPORTS>() {
            p.inspect(step, value);
        }
    }

    /// `$$` for this state.
    pub fn context(&self) -> Context<'_> {
        Context {
            execution: self.exec,
            state_name: self.info.name,
            entered_time: self.first_entered().map(String::as_str),
            retry_count: match self.retry_count.load(Ordering::Relaxed) {
                0 => None,
                n => Some(n),
            },
            task_token: self.prepared_token().map(|p| p.token.clone()),
            map_item: None,
        }
    }

    /// The id this state entry's waiting points derive from (its retries'
    /// backoffs, its task tokens): `State@entered` at the top level; in a
    /// Map iteration or Parallel branch, its frame and visit (counted once
    /// per entry, so a frame that runs again after a crash names its visits
    /// as the first run did).
    pub(crate) fn waiting_base(&self) -> &str {
        self.seldom()
            .waiting_base
            .get_or_init(|| self.exec.suspension_id(self.info.name, self.entered_id, 0))
    }

    /// Runs one attempt of the state's body; a callback or activity Task
    /// gets its attempt's task token first.
    async fn run_attempt<T, Fut: Future<Output = Result<T, Error>>>(
        &self,
        body: impl FnOnce() -> Fut,
    ) -> Result<T, Error> {
        if self.info.task_token {
            self.prepare_token().await?;
        }
        body().await
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
    #[inline]
    pub fn retrying<T, F, Fut>(
        &self,
        retriers: &[Retrier],
        body: F,
    ) -> impl Future<Output = Result<T, Error>>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, Error>>,
    {
        self.retrying_as::<false, T, F, Fut>(retriers, body)
    }

    /// [`Self::retrying`]; with `REPORTS`, a failure a `Retry` would retry is
    /// reported to a TestState run and not retried.
    async fn retrying_as<const REPORTS: bool, T, F, Fut>(
        &self,
        retriers: &[Retrier],
        mut body: F,
    ) -> Result<T, Error>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, Error>>,
    {
        // Nothing runs once the history is full (a Task's call included):
        // checked before every attempt.
        if retriers.is_empty() {
            self.exec.check_history()?;
            return self
                .run_attempt(&mut body)
                .await
                .map_err(|e| self.locate(e));
        }
        let mut counters = RetryCounters::from_used(
            self.resumed
                .as_ref()
                .map(|p| p.retries.clone())
                .unwrap_or_default(),
        );
        // The waiting point of this entry's backoffs: `State@entered` at the
        // top level; in a Map iteration or Parallel branch, its frame and
        // visit (counted on every entry, so a frame that runs again after a
        // crash names its visits as the first run did).
        let base = self.exec.durable().then(|| self.waiting_base().to_string());
        let backoff_id = |retry: u32| {
            base.as_deref()
                .map(|base| format!("{base}#{retry}/backoff"))
                .unwrap_or_default()
        };
        // Resumed during a retry's backoff: the rest of it first.
        if self.resumed.is_some() && counters.total() > 0 {
            if let Some(backoff) = self
                .exec
                .stored_suspension(&backoff_id(counters.total()))
                .await?
            {
                self.exec.suspend(backoff, true).await?;
            }
        } else if base.is_some() && self.exec.at_top().is_none() && self.exec.resumed_here() {
            // A nested state that ran again after a crash: the retries its
            // backoffs stored, the entry time, and the rest of the last one.
            let mut last = None;
            let mut retry = 1;
            while let Some(backoff) = self.exec.stored_suspension(&backoff_id(retry)).await? {
                last = Some(backoff);
                retry += 1;
            }
            if let Some(backoff) = last {
                let used = backoff
                    .details
                    .get("retries")
                    .and_then(|r| serde_json::from_value::<Vec<u32>>(r.clone()).ok())
                    .unwrap_or_default();
                counters = RetryCounters::from_used(used);
                self.retry_count.store(counters.total(), Ordering::Relaxed);
                if let Some(at) = backoff.details.get("entered").and_then(Value::as_str) {
                    let _ = self.seldom().first_entered.set(at.to_string());
                }
                self.exec.suspend(backoff, false).await?;
            }
        }
        loop {
            self.exec.check_history()?;
            let error = match self.run_attempt(&mut body).await {
                Ok(v) => return Ok(v),
                Err(e) => self.locate(e),
            };
            match counters.next(retriers, &error, rand::random::<f64>) {
                RetryDecision::GiveUp => return Err(error),
                RetryDecision::Retry(delay) => {
                    // TestState does not retry: it says the failure is retriable.
                    if let Some(p) = self.probe::<REPORTS>() {
                        p.retriable(&error);
                        return Err(Error::interrupted(
                            crate::error::Interruption::Stopped,
                            "TestState: retriable",
                        ));
                    }
                    self.retry_count.store(counters.total(), Ordering::Relaxed);
                    // A mocked failure retries at once when the mock config
                    // says not to wait.
                    let skip = self
                        .exec
                        .runtime()
                        .mocks()
                        .is_some_and(|m| !m.retry_delays && m.mocks(self.info.name));
                    let used = counters.used_all().to_vec();
                    // A durable execution keeps its retry counts and the
                    // backoff's due time (a suspension, which parks a long
                    // one at the top level): after a crash the state goes on
                    // with the retries it has left, once the backoff is over.
                    // Nested in a Map or Parallel, the suspension carries the
                    // counts and the entry time.
                    let top = self.exec.at_top().is_some();
                    if top && skip {
                        self.exec.flush(|p| p.retries = used).await?;
                    } else if base.is_some() && !skip {
                        let mut wait = crate::store::Suspension::new(
                            self.exec.arn.as_str(),
                            backoff_id(counters.total()),
                            crate::store::SuspensionKind::Wait,
                            self.exec.now(),
                        );
                        wait.deadline = Some(self.exec.now() + delay);
                        if top {
                            self.exec.change_position(|p| p.retries = used);
                        } else {
                            let entered = self.first_entered();
                            wait.details = serde_json::json!({
                                "retries": used,
                                "entered": entered,
                            });
                        }
                        self.exec.suspend(wait, top).await?;
                    } else if !skip {
                        tokio::time::sleep(delay).await;
                    }
                }
            }
        }
    }

    /// [`Self::finish`] for a state without `Catch`.
    #[inline]
    pub fn done<S: Copy + 'static>(
        &self,
        result: Result<Value, Error>,
        next: Option<S>,
    ) -> Result<Transition<S>, Error> {
        self.finish_as::<false, S>(result, next, &[], Value::Null)
    }

    /// Leaves the state with its result: checks the data limit, records
    /// `<Type>StateExited`, and goes to `next` (or ends). An error goes to the
    /// first matching `Catch` entry, whose `ResultPath` places
    /// `{"Error", "Cause"}` into the state's raw `input`.
    pub fn finish<S: Copy>(
        &self,
        result: Result<Value, Error>,
        next: Option<S>,
        catchers: &'static [Catcher<S>],
        input: Value,
    ) -> Result<Transition<S>, Error> {
        self.finish_as::<false, S>(result, next, catchers, input)
    }

    /// [`Self::finish`], reporting to a TestState run when `REPORTS`.
    #[inline]
    fn finish_as<const REPORTS: bool, S: Copy>(
        &self,
        result: Result<Value, Error>,
        next: Option<S>,
        catchers: &'static [Catcher<S>],
        input: Value,
    ) -> Result<Transition<S>, Error> {
        self.report_output::<REPORTS>(&result);
        self.finish_reported::<REPORTS, S>(result, next, catchers, input)
    }

    /// A state with plain input and output ([`StateInfo::plain_io`]) reports
    /// its output to a TestState run as its data after `ResultPath`.
    #[inline(always)]
    fn report_output<const REPORTS: bool>(&self, result: &Result<Value, Error>) {
        if REPORTS
            && self.info.plain_io
            && let Ok(output) = result
        {
            self.report::<REPORTS>("afterResultPath", output);
        }
    }

    /// [`Self::finish`] once the output is reported.
    fn finish_reported<const REPORTS: bool, S: Copy>(
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
            Err(error) => self.catch::<REPORTS, S>(error, catchers, input),
        }
    }

    /// [`Self::finish`] for a state whose `Catch` entries have `Assign` (or, in
    /// JSONata, `Output`): when catcher `i` takes the error, `caught(i,
    /// error_output, input)` makes its assignments and gives the state's output,
    /// with `error_output` = `{"Error", "Cause"}` (`$` of a JSONPath catcher,
    /// `$states.errorOutput` of a JSONata one).
    pub fn finish_caught<S: Copy>(
        &self,
        result: Result<Value, Error>,
        next: Option<S>,
        catchers: &'static [Catcher<S>],
        input: Value,
        caught: impl FnOnce(usize, &Value, Value) -> Result<Value, Error>,
    ) -> Result<Transition<S>, Error> {
        self.finish_caught_as::<false, S, _>(result, next, catchers, input, caught)
    }

    /// [`Self::finish_caught`], reporting to a TestState run when `REPORTS`.
    fn finish_caught_as<const REPORTS: bool, S: Copy, C>(
        &self,
        result: Result<Value, Error>,
        next: Option<S>,
        catchers: &'static [Catcher<S>],
        input: Value,
        caught: C,
    ) -> Result<Transition<S>, Error>
    where
        C: FnOnce(usize, &Value, Value) -> Result<Value, Error>,
    {
        self.report_output::<REPORTS>(&result);
        let error = match result.and_then(|v| self.check_size(v)) {
            Ok(output) => {
                return self.finish_reported::<REPORTS, S>(Ok(output), next, catchers, input);
            }
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
        if let Some(p) = self.probe::<REPORTS>() {
            p.caught(&error);
        }
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

    fn catch<const REPORTS: bool, S: Copy>(
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
        let output = catcher
            .output(input, error.to_catch_output())
            .map_err(|e| self.locate(e))?;
        if let Some(p) = self.probe::<REPORTS>() {
            p.caught(&error);
        }
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
        // Every state leaves through here: a full history ends the execution.
        self.exec.check_history()?;
        let limit = self.exec.data_limit();
        // Most outputs are far below the limit and shallow: a structural upper
        // bound (no formatting, depth-bounded) settles those; only a large or
        // deep one is measured exactly.
        let settled = match limit.max_bytes {
            Some(max) => size_upper_bound(&output, max).is_some_and(|n| n <= max),
            // No size limit: only the depth is checked, in place.
            None => !crate::limits::depth_exceeds(&output, MAX_DATA_DEPTH),
        };
        if settled {
            return Ok(output);
        }
        limit.check(self.info.name, "returned a result", output)
    }

    /// A `Fail` state: the error (possibly without a name) the execution fails with.
    pub fn fail(&self, error: Option<String>, cause: Option<String>) -> Error {
        Error {
            error: error.map(Into::into).unwrap_or_default(),
            cause,
        }
    }
}

/// The execution as a top-level state function receives it from its
/// workflow's driver, which passes its own `HOOKS` on: `true` in a durable or
/// TestState run, `false` in a plain one. A top-level state function is
/// generic over it (inferred from this argument), so a plain run's states are
/// compiled without their TestState reports.
#[derive(Clone, Copy, Debug)]
pub struct TopLevel<'e, const HOOKS: bool>(pub &'e Execution);

impl<const HOOKS: bool> Deref for TopLevel<'_, HOOKS> {
    type Target = Execution;

    #[inline]
    fn deref(&self) -> &Execution {
        self.0
    }
}

/// A top-level state while it runs: a [`StateRun`] (which it dereferences
/// to) that, under a driver with hooks, reports its steps to a TestState run:
/// its data after each step of input and output processing, and whether a
/// `Retry` or `Catch` took its failure. Under a plain run's driver
/// (`HOOKS = false`) every report compiles to nothing. A state nested in a
/// Map or Parallel is a plain [`StateRun`]: TestState inspects the tested
/// state's own data, not that of the states it runs.
pub struct TopStateRun<'e, const HOOKS: bool>(StateRun<'e>);

impl<'e, const HOOKS: bool> Deref for TopStateRun<'e, HOOKS> {
    type Target = StateRun<'e>;

    #[inline]
    fn deref(&self) -> &StateRun<'e> {
        &self.0
    }
}

impl<'e, const HOOKS: bool> TopStateRun<'e, HOOKS> {
    /// [`StateRun::enter`]; a state with plain input and output
    /// ([`StateInfo::plain_io`]) reports its input as its data after
    /// `InputPath`.
    #[inline]
    pub fn enter(exec: TopLevel<'e, HOOKS>, info: &'static StateInfo, input: &Value) -> Self {
        let run = StateRun::enter(exec.0, info, input);
        if HOOKS && info.plain_io {
            run.report::<HOOKS>("afterInputPath", input);
        }
        TopStateRun(run)
    }

    /// Reports the data after one step of input/output processing to a
    /// TestState run (`afterInputPath`, ...); nothing otherwise.
    #[inline(always)]
    pub fn inspect(&self, step: &str, value: &Value) {
        self.0.report::<HOOKS>(step, value);
    }

    /// [`Self::inspect`] on a value passing through: `let __params =
    /// __st.inspected("afterParameters", ...);`.
    #[inline(always)]
    pub fn inspected(&self, step: &str, value: Value) -> Value {
        self.inspect(step, &value);
        value
    }

    /// [`StateRun::retrying`]; in a TestState run a failure a `Retry` would
    /// retry is reported as such and not retried.
    #[inline]
    pub fn retrying<T, F, Fut>(
        &self,
        retriers: &[Retrier],
        body: F,
    ) -> impl Future<Output = Result<T, Error>>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, Error>>,
    {
        self.0.retrying_as::<HOOKS, T, F, Fut>(retriers, body)
    }

    /// [`StateRun::done`], reporting the output.
    #[inline]
    pub fn done<S: Copy + 'static>(
        &self,
        result: Result<Value, Error>,
        next: Option<S>,
    ) -> Result<Transition<S>, Error> {
        self.0.finish_as::<HOOKS, S>(result, next, &[], Value::Null)
    }

    /// [`StateRun::finish`], reporting the output, or the `Catch` that took
    /// the failure.
    #[inline]
    pub fn finish<S: Copy>(
        &self,
        result: Result<Value, Error>,
        next: Option<S>,
        catchers: &'static [Catcher<S>],
        input: Value,
    ) -> Result<Transition<S>, Error> {
        self.0.finish_as::<HOOKS, S>(result, next, catchers, input)
    }

    /// [`StateRun::finish_caught`], reporting as [`Self::finish`] does.
    #[inline]
    pub fn finish_caught<S: Copy>(
        &self,
        result: Result<Value, Error>,
        next: Option<S>,
        catchers: &'static [Catcher<S>],
        input: Value,
        caught: impl FnOnce(usize, &Value, Value) -> Result<Value, Error>,
    ) -> Result<Transition<S>, Error> {
        self.0
            .finish_caught_as::<HOOKS, S, _>(result, next, catchers, input, caught)
    }

    /// [`StateRun::task`], reporting the parameters and the result.
    #[inline]
    pub fn task(
        &self,
        resource: &'static str,
        parameters: Value,
    ) -> impl Future<Output = Result<Value, Error>> {
        self.0
            .task_reported::<HOOKS>(resource, parameters, None, None)
    }

    /// [`StateRun::task_timed`], reporting the parameters and the result.
    #[inline]
    pub fn task_timed(
        &self,
        resource: &'static str,
        parameters: Value,
        timeout: Option<Duration>,
        heartbeat: Option<Duration>,
    ) -> impl Future<Output = Result<Value, Error>> {
        self.0
            .task_reported::<HOOKS>(resource, parameters, timeout, heartbeat)
    }

    /// [`StateRun::task_as`], reporting the result (the state's code reports
    /// the parameters before it evaluates the credentials).
    #[inline]
    pub fn task_as(
        &self,
        resource: &'static str,
        parameters: Value,
        credentials: Value,
        timeout: Option<Duration>,
        heartbeat: Option<Duration>,
    ) -> impl Future<Output = Result<Value, Error>> {
        self.0
            .task_as_reported::<HOOKS>(resource, parameters, credentials, timeout, heartbeat)
    }
}

/// An RFC 3339 timestamp as ASL accepts it (`2016-03-14T01:59:00Z`,
/// `...+01:00`, fractional seconds).
pub fn parse_timestamp(text: &str) -> Option<OffsetDateTime> {
    crate::choice::parse_date_time(text)
}

/// An upper bound of the compact JSON size of `value` (every string character
/// counted as a 6-byte escape, every number as 24 bytes), stopping once past
/// `cap`; `None` when the value nests deeper than [`MAX_DATA_DEPTH`] (the walk
/// goes no deeper than that).
fn size_upper_bound(value: &Value, cap: usize) -> Option<usize> {
    fn walk(value: &Value, total: &mut usize, cap: usize, budget: usize) -> bool {
        if *total > cap {
            return true;
        }
        match value {
            Value::Null | Value::Bool(_) => *total += 5,
            Value::Number(_) => *total += 24,
            Value::String(s) => *total += 6 * s.len() + 2,
            Value::Array(items) => {
                if budget == 0 {
                    return false;
                }
                *total += 2 + items.len();
                for item in items {
                    if !walk(item, total, cap, budget - 1) {
                        return false;
                    }
                }
            }
            Value::Object(map) => {
                if budget == 0 {
                    return false;
                }
                *total += 2 + map.len();
                for (k, v) in map {
                    *total += 6 * k.len() + 3;
                    if !walk(v, total, cap, budget - 1) {
                        return false;
                    }
                }
            }
        }
        true
    }
    let mut total = 0;
    walk(value, &mut total, cap, MAX_DATA_DEPTH).then_some(total)
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
                size_upper_bound(&v, usize::MAX).unwrap()
                    >= serde_json::to_string(&v).unwrap().len(),
                "{v}"
            );
        }
    }
}
