//! One running execution: its identity (name, ARN, start time), `$$.Execution`
//! and `$$.StateMachine`, its clock, history and the payload limit, and how it
//! ends. Generated code starts one with [`Execution::start`] and hands it to every
//! state function.

use std::sync::Mutex;

use super::durable::Durable;
use super::*;
use crate::store::{CreatedResource, End, ExecutionRecord, ExecutionStatus};

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
    /// The top-level states, in definition order (the driver's state indices).
    pub states: &'static [&'static str],
    /// The index of `StartAt` in `states`.
    pub start: usize,
    /// A hash of the definition: a stored execution started by another
    /// definition is not continued unless the runtime accepts that.
    pub definition_hash: &'static str,
    /// The definition's JSON text as deployed (DescribeStateMachine's
    /// `definition`).
    pub definition: &'static str,
    /// Each `aws-sdk:<service>:<action>` resource the workflow calls that is
    /// served from AWS's model, with the action's compact table (JSON text).
    pub sdk_actions: &'static [(&'static str, &'static str)],
}

/// One running execution of a workflow: its identity, `$$.Execution`, clock and
/// history. Generated state functions receive `&Execution`.
pub struct Execution {
    /// Why the execution fails before its first state (an input over a limit).
    start_error: Option<Error>,
    pub(crate) runtime: Runtime,
    pub(super) info: &'static WorkflowInfo,
    express: bool,
    pub(super) name: String,
    pub(super) arn: String,
    state_machine_arn: String,
    input: Value,
    pub(super) start_time: OffsetDateTime,
    wall_anchor: OffsetDateTime,
    instant_anchor: tokio::time::Instant,
    pub(super) recorder: history::Recorder,
    context_execution: OnceLock<Value>,
    context_state_machine: OnceLock<Value>,
    /// `$$.Execution.RedriveCount`.
    redrive_count: u32,
    /// The store's side of a durable execution (`None`: in memory).
    pub(super) durable: Option<Box<Durable>>,
    /// Delete what the execution created when it fails, times out or is stopped.
    pub(super) cleanup: bool,
    /// Resources this execution's Tasks created here (a durable execution
    /// also keeps them in the store).
    pub(super) created: Mutex<Vec<CreatedResource>>,
    /// Set when the execution runs one state for TestState
    /// ([`super::test_state`]): what the state did is reported there.
    pub(super) probe: Option<Arc<super::test_state::Probe>>,
}

impl fmt::Debug for Execution {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Execution")
            .field("arn", &self.arn)
            .finish_non_exhaustive()
    }
}

impl Execution {
    /// The compact table of an `aws-sdk` resource the workflow serves from
    /// AWS's model ([`WorkflowInfo::sdk_actions`]).
    pub(crate) fn sdk_action(&self, resource: &str) -> Option<&'static str> {
        self.info
            .sdk_actions
            .iter()
            .find(|(r, _)| *r == resource)
            .map(|(_, table)| *table)
    }

    /// Starts an execution: names it, records `ExecutionStarted`. Returns the
    /// execution and the input for the first state.
    pub fn start(
        runtime: &Runtime,
        info: &'static WorkflowInfo,
        input: Value,
        options: ExecutionOptions,
    ) -> (Execution, Value) {
        Self::begin(
            runtime,
            info,
            input,
            options,
            None::<fn(&Value, usize) -> Durable>,
        )
    }

    /// [`Self::start`] for a durable execution: `durable` makes its store side
    /// from the checked input and the start state's index.
    pub(crate) fn start_with(
        runtime: &Runtime,
        info: &'static WorkflowInfo,
        input: Value,
        options: ExecutionOptions,
        durable: impl FnOnce(&Value, usize) -> Durable,
    ) -> (Execution, Value) {
        Self::begin(runtime, info, input, options, Some(durable))
    }

    fn begin(
        runtime: &Runtime,
        info: &'static WorkflowInfo,
        input: Value,
        options: ExecutionOptions,
        durable: Option<impl FnOnce(&Value, usize) -> Durable>,
    ) -> (Execution, Value) {
        let name = options
            .name
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        let rt = &runtime.inner;
        let arn = if options.express {
            let id = options
                .express_id
                .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
            runtime.express_execution_arn(info.name, &name, &id)
        } else {
            runtime.execution_arn_for(info.name, &name)
        };
        let history = options.history.unwrap_or_else(|| rt.history.clone());
        // The input enters here: one too deep or too large fails the execution
        // before any state runs (and before anything walks it).
        let (input, start_error) = match rt.data_limit.check_execution_input(input) {
            Ok(input) => (input, None),
            Err(e) => (Value::Object(Map::new()), Some(e)),
        };
        let durable = durable.map(|make| Box::new(make(&input, info.start)));
        let recorder = match &durable {
            Some(_) => history::Recorder::capturing(history, Arc::from(name.as_str()), 1),
            None => history::Recorder::new(history, Arc::from(name.as_str())),
        }
        .limited(if options.express {
            None
        } else {
            rt.history_limit
        });
        let execution = Execution {
            express: options.express,
            start_error,
            durable,
            cleanup: options.cleanup.unwrap_or(rt.cleanup),
            ..Execution::fresh(
                runtime,
                info,
                recorder,
                runtime.state_machine_arn(info.name),
                name,
                arn,
                &input,
            )
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

    /// A new execution's parts, started now: its clock (dates are kept to
    /// the millisecond, as AWS and the stores keep them), `$$.Execution.Input`
    /// (kept only for workflows that can read it), nothing created, never
    /// redriven, in memory. A top-level execution and a STANDARD Map Run's
    /// child both begin here.
    #[inline]
    fn fresh(
        runtime: &Runtime,
        info: &'static WorkflowInfo,
        recorder: history::Recorder,
        state_machine_arn: String,
        name: String,
        arn: String,
        input: &Value,
    ) -> Execution {
        let now = OffsetDateTime::now_utc();
        let wall_anchor = now
            .replace_nanosecond(now.millisecond() as u32 * 1_000_000)
            .unwrap_or(now);
        Execution {
            runtime: runtime.clone(),
            info,
            express: false,
            recorder,
            state_machine_arn,
            name,
            arn,
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
            start_error: None,
            redrive_count: 0,
            durable: None,
            cleanup: false,
            created: Mutex::new(Vec::new()),
            probe: None,
        }
    }

    /// An execution continued from its stored `record` (after a crash, a park
    /// or a redrive): the same identity, its events numbered on.
    pub(crate) fn restored(
        runtime: &Runtime,
        info: &'static WorkflowInfo,
        record: &ExecutionRecord,
        durable: Durable,
    ) -> Execution {
        let rt = &runtime.inner;
        let wall_anchor = OffsetDateTime::now_utc();
        Execution {
            runtime: runtime.clone(),
            info,
            express: false,
            recorder: history::Recorder::capturing(
                rt.history.clone(),
                Arc::from(record.name.as_str()),
                record.next_event_id,
            )
            .limited(rt.history_limit),
            state_machine_arn: runtime.state_machine_arn(info.name),
            name: record.name.clone(),
            arn: record.arn.clone(),
            input: if info.reads_execution_input {
                record.input.clone()
            } else {
                Value::Null
            },
            start_time: record.start_date,
            wall_anchor,
            instant_anchor: tokio::time::Instant::now(),
            context_execution: OnceLock::new(),
            context_state_machine: OnceLock::new(),
            start_error: None,
            redrive_count: record.redrive_count,
            durable: Some(Box::new(durable)),
            cleanup: record.cleanup,
            created: Mutex::new(Vec::new()),
            probe: None,
        }
    }

    /// Runs the workflow's driver to its end under the state machine's
    /// `TimeoutSeconds` (counted from the execution's start, also when it was
    /// resumed), and records how the execution ended.
    pub async fn finish<F>(&self, driver: F) -> Result<Value, ExecutionError>
    where
        F: Future<Output = Result<Value, Error>>,
    {
        let result = match (&self.start_error, self.info.timeout_seconds) {
            (Some(e), _) => Err((e.clone(), false)),
            (None, Some(seconds)) => {
                let deadline = self.start_time + Duration::from_secs(seconds);
                let left = (deadline - self.now()).max(time::Duration::ZERO);
                match tokio::time::timeout(left.unsigned_abs(), driver).await {
                    Ok(r) => r.map_err(|e| (e, false)),
                    Err(_) => Err((
                        Error::new(
                            names::TIMEOUT,
                            "The execution timed out (TimeoutSeconds of the state machine).",
                        ),
                        true,
                    )),
                }
            }
            (None, None) => driver.await.map_err(|e| (e, false)),
        };
        let (result, end) = match result {
            Err((error, _)) if let Some(kind) = error.interruption() => {
                return Err(ExecutionError::interruption(
                    kind,
                    error.cause.as_deref().unwrap_or_default(),
                ));
            }
            Ok(output) => {
                if self.recorder.enabled() {
                    self.record(
                        EventType::ExecutionSucceeded,
                        None,
                        details_one("output", output.clone()),
                    );
                }
                let end = self.durable.is_some().then(|| End {
                    status: ExecutionStatus::Succeeded,
                    output: Some(output.clone()),
                    error: None,
                    cause: None,
                    date: self.now(),
                });
                (Ok(output), end)
            }
            Err((error, timed_out)) => {
                let error = error.into_reported(
                    self.runtime
                        .inner
                        .history_limit
                        .unwrap_or(asl_lang::keywords::MAX_HISTORY_EVENTS),
                );
                // In memory, cleanup's events come before the end. A durable
                // execution records FAILED first: a crash during cleanup then
                // leaves a failed execution with what it did not delete yet,
                // not a state that runs again with its resources gone.
                if self.cleanup && self.durable.is_none() {
                    self.clean_up().await;
                }
                if self.recorder.enabled() {
                    let event = if timed_out {
                        EventType::ExecutionTimedOut
                    } else {
                        EventType::ExecutionFailed
                    };
                    self.record(event, None, error_details(&error));
                }
                let error = ExecutionError::from_error(error, timed_out);
                let end = self.durable.is_some().then(|| End {
                    status: if timed_out {
                        ExecutionStatus::TimedOut
                    } else {
                        ExecutionStatus::Failed
                    },
                    output: None,
                    error: error.error.clone(),
                    cause: error.cause.clone(),
                    date: self.now(),
                });
                (Err(error), end)
            }
        };
        if let Some(end) = end {
            if let Err(e) = self.write_end(end).await {
                return Err(ExecutionError::interruption(
                    e.interruption().unwrap_or(crate::error::Interruption::Lost),
                    e.cause.as_deref().unwrap_or_default(),
                ));
            }
            if self.cleanup && result.is_err() {
                super::durable::clean_up_stored(&self.runtime, &self.arn).await;
            }
        }
        result
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
            start_error: None,
            redrive_count: self.redrive_count,
            durable: None,
            cleanup: false,
            created: Mutex::new(Vec::new()),
            probe: None,
        }
    }

    /// A child of a STANDARD Map Run as an execution of its own: its name,
    /// ARN, state machine (`<machine>/<label>`) and input, its clock started
    /// now, `ExecutionStarted` recorded; its events are kept for the store.
    pub(crate) fn map_run_child_named(
        &self,
        name: &str,
        arn: String,
        state_machine_arn: String,
        input: &Value,
    ) -> Execution {
        let child = Execution::fresh(
            &self.runtime,
            self.info,
            history::Recorder::capturing(History::None, Arc::from(name), 1),
            state_machine_arn,
            name.to_string(),
            arn,
            input,
        );
        let mut details = Map::new();
        details.insert("input".into(), input.clone());
        details.insert(
            "roleArn".into(),
            Value::String(self.runtime.role_arn().to_string()),
        );
        child.record(EventType::ExecutionStarted, None, Value::Object(details));
        child
    }

    /// A child of a STANDARD Map Run that ended, run again by a redrive of
    /// the Map Run: its history goes on at `next_event_id` with
    /// `ExecutionRedriven`, its redrive count `redrive_count`.
    pub(crate) fn map_run_child_redriven(
        &self,
        name: &str,
        arn: String,
        state_machine_arn: String,
        input: &Value,
        next_event_id: u64,
        redrive_count: u32,
    ) -> Execution {
        let mut child = Execution::fresh(
            &self.runtime,
            self.info,
            history::Recorder::capturing(History::None, Arc::from(name), next_event_id),
            state_machine_arn,
            name.to_string(),
            arn,
            input,
        );
        child.redrive_count = redrive_count;
        child.record(
            EventType::ExecutionRedriven,
            None,
            history::redriven_details(redrive_count),
        );
        child
    }

    /// The events recorded since the last call, as the store keeps them,
    /// and the id the next one gets.
    pub(crate) fn take_events(&self) -> (Vec<crate::store::StoredEvent>, u64) {
        let events = self
            .recorder
            .take_captured()
            .into_iter()
            .map(super::durable::stored_event)
            .collect();
        (events, self.recorder.next_id())
    }

    /// `$$.Execution.RedriveCount`.
    pub(crate) fn redrive_count(&self) -> u32 {
        self.redrive_count
    }

    /// The execution input (`$$.Execution.Input`), kept when the workflow reads
    /// `$$` (`null` otherwise).
    pub fn input(&self) -> &Value {
        &self.input
    }

    /// The state machine's ARN.
    pub(crate) fn state_machine_arn(&self) -> &str {
        &self.state_machine_arn
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

    /// The execution runs one state for TestState and reports to `probe`.
    pub(crate) fn probed(mut self, probe: Arc<super::test_state::Probe>) -> Execution {
        self.probe = Some(probe);
        self
    }

    /// The TestState probe, when the execution runs one state.
    #[inline]
    pub(crate) fn probe(&self) -> Option<&super::test_state::Probe> {
        self.probe.as_deref()
    }

    /// Called by the driver of a durable or TestState run after each
    /// top-level transition, with the next state's index and input: `true`
    /// ends the run there (TestState runs one state); a durable execution
    /// commits the transition before the next state runs.
    pub async fn transition(
        &self,
        next: usize,
        input: &Value,
        variables: &super::variables::Variables<'_>,
    ) -> Result<bool, Error> {
        if self.single_step(next) {
            return Ok(true);
        }
        if self.durable() {
            self.checkpoint(next, input, variables).await?;
        }
        Ok(false)
    }

    /// [`Self::transition`]'s TestState part: `true` ends the run at `next`.
    #[inline]
    pub(crate) fn single_step(&self, next: usize) -> bool {
        match &self.probe {
            None => false,
            Some(p) => {
                p.stepped(next);
                true
            }
        }
    }

    /// `Err` once the history is full: the execution stops at its next step.
    #[inline]
    pub(crate) fn check_history(&self) -> Result<(), Error> {
        if self.recorder.is_full() {
            Err(Error::history_limit())
        } else {
            Ok(())
        }
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
                e.insert("RedriveCount".into(), Value::from(self.redrive_count));
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
