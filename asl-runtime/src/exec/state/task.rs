//! Task states: dispatch to the handler registered for the `Resource`, under
//! `TimeoutSeconds` and `HeartbeatSeconds`.

use super::*;
use crate::exec::callbacks;
use crate::store::{Outcome, Suspension, SuspensionKind};

/// A callback or activity Task's attempt: its task token and, in a durable
/// execution, its waiting point (what the store had for it when the attempt
/// began: a resumed attempt finds its token, and whether its request went out).
#[derive(Debug)]
pub(crate) struct Prepared {
    pub(crate) token: std::sync::Arc<str>,
    /// The suspension's id (durable executions).
    id: Option<String>,
    stored: Option<Suspension>,
}

/// The details of a callback Task's suspension once its request was sent.
const SUBMITTED: &str = "submitted";
/// The details of an activity task once `ActivityStarted` is recorded.
const STARTED_RECORDED: &str = "startedRecorded";

impl StateRun<'_> {
    /// The current attempt's token, if the state takes one.
    pub(super) fn prepared_token(&self) -> Option<std::sync::Arc<Prepared>> {
        let seldom = self.seldom.get()?;
        seldom
            .token
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Gives the attempt about to run its task token: the one its waiting
    /// point stored (an execution resumed in this attempt), or a new one.
    pub(super) async fn prepare_token(&self) -> Result<(), Error> {
        let attempt = self.attempt();
        let prepared = if self.exec.durable() {
            let retry = if attempt > 0 {
                format!("#{attempt}")
            } else {
                String::new()
            };
            let id = format!("{}{retry}/token", self.waiting_base());
            let stored = self.exec.stored_suspension(&id).await?;
            let token = stored
                .as_ref()
                .and_then(|s| s.token.clone())
                .unwrap_or_else(callbacks::new_token);
            Prepared {
                token: token.into(),
                id: Some(id),
                stored,
            }
        } else {
            Prepared {
                token: callbacks::new_token().into(),
                id: None,
                stored: None,
            }
        };
        *self
            .seldom()
            .token
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = Some(std::sync::Arc::new(prepared));
        Ok(())
    }

    /// Runs a Task: looks up the handler for `resource`, records the task events,
    /// and applies `TimeoutSeconds` (`States.Timeout`) and `HeartbeatSeconds`
    /// (`States.HeartbeatTimeout` when the handler sends no heartbeat for that
    /// long), each recorded as `TaskTimedOut`. (A top-level state's
    /// [`TopStateRun::task`] also reports `parameters` as `afterParameters`
    /// and the handler's answer as `result` to a TestState run.)
    #[inline]
    pub fn task(
        &self,
        resource: &'static str,
        parameters: Value,
    ) -> impl Future<Output = Result<Value, Error>> {
        self.task_reported::<false>(resource, parameters, None, None)
    }

    /// Which run of this state's body this is: 0, then one more per retry.
    fn attempt(&self) -> u32 {
        self.retry_count.load(Ordering::Relaxed)
    }

    /// [`Self::task`] under `TimeoutSeconds` / `HeartbeatSeconds`.
    #[inline]
    pub fn task_timed(
        &self,
        resource: &'static str,
        parameters: Value,
        timeout: Option<Duration>,
        heartbeat: Option<Duration>,
    ) -> impl Future<Output = Result<Value, Error>> {
        self.task_reported::<false>(resource, parameters, timeout, heartbeat)
    }

    /// [`Self::task_timed`], reporting to a TestState run when `REPORTS`.
    pub(super) async fn task_reported<const REPORTS: bool>(
        &self,
        resource: &'static str,
        parameters: Value,
        timeout: Option<Duration>,
        heartbeat: Option<Duration>,
    ) -> Result<Value, Error> {
        self.report::<REPORTS>("afterParameters", &parameters);
        let result = self
            .run_task(resource, parameters, timeout, heartbeat, None)
            .await?;
        self.report::<REPORTS>("result", &result);
        Ok(result)
    }

    /// [`Self::task_timed`] for a state with `Credentials`: `credentials` (their
    /// evaluated value, `{"RoleArn": ...}`) reach the handler as
    /// [`TaskContext::credentials`], and the built-in integrations call as that role.
    /// (The parameters were reported before the credentials were evaluated.)
    #[inline]
    pub fn task_as(
        &self,
        resource: &'static str,
        parameters: Value,
        credentials: Value,
        timeout: Option<Duration>,
        heartbeat: Option<Duration>,
    ) -> impl Future<Output = Result<Value, Error>> {
        self.task_as_reported::<false>(resource, parameters, credentials, timeout, heartbeat)
    }

    /// [`Self::task_as`], reporting to a TestState run when `REPORTS`.
    pub(super) async fn task_as_reported<const REPORTS: bool>(
        &self,
        resource: &'static str,
        parameters: Value,
        credentials: Value,
        timeout: Option<Duration>,
        heartbeat: Option<Duration>,
    ) -> Result<Value, Error> {
        let result = self
            .run_task(resource, parameters, timeout, heartbeat, Some(&credentials))
            .await?;
        self.report::<REPORTS>("result", &result);
        Ok(result)
    }

    async fn run_task(
        &self,
        resource: &'static str,
        parameters: Value,
        timeout: Option<Duration>,
        heartbeat: Option<Duration>,
        credentials: Option<&Value>,
    ) -> Result<Value, Error> {
        let name = Some(self.info.name);
        let runtime = self.exec.runtime();
        // The ARN as this runtime resolves it (a Lambda function's region and
        // account left out are the runtime's own): what the handler is looked
        // up by, receives and the history records.
        let resource = runtime.resource_arn(resource);
        let resource: &str = &resource;
        // The runtime's mock config, when it mocks this state, answers (then
        // nothing is called and no callback is awaited).
        let mocked = runtime
            .mocks()
            .and_then(|m| m.answer(self.exec.arn(), self.info.name));
        if mocked.is_none()
            && let Some(prepared) = self.prepared_token()
        {
            return self
                .run_with_token(
                    resource,
                    parameters,
                    timeout,
                    heartbeat,
                    credentials,
                    &prepared,
                )
                .await;
        }
        self.record_scheduled(resource, &parameters, credentials);
        // Who answers: the mock, else the resource's handler.
        enum Answer<'h> {
            Mocked(crate::mock::MockResponse),
            Handler(&'h std::sync::Arc<dyn crate::task::TaskHandler>),
        }
        let answer = match mocked {
            Some(mocked) => Answer::Mocked(mocked),
            None => Answer::Handler(self.handler_for(resource)?),
        };
        let signal = HeartbeatSignal::new();
        let mut task = TaskContext::new(resource, self.info.name);
        task.timeout = timeout;
        task.heartbeat = heartbeat;
        task.credentials = credentials;
        // (Only Lambda function ARNs are resolved: an SDK resource is as written.)
        task.sdk_action = self.exec.sdk_action(resource);
        let task = task.with_heartbeat_signal(&signal);
        self.exec.record(
            EventType::TaskStarted,
            name,
            details_one("resource", Value::String(resource.to_owned())),
        );
        // A durable execution stores the task's start before it runs (a Task
        // may run for minutes: its history is visible meanwhile).
        // At every depth: every attempt a crash interrupts is in the history.
        if self.exec.durable() {
            self.exec.flush_events().await?;
        }
        let task = task.with_execution(self.exec, self.entered_id, self.attempt());
        let call: crate::task::BoxFuture<'_, Result<Value, Error>> = match answer {
            Answer::Mocked(mocked) => Box::pin(std::future::ready(mocked.to_result())),
            Answer::Handler(handler) => handler.invoke(&task, parameters),
        };
        let invocation = async {
            watch_heartbeats(call, heartbeat, &signal)
                .await
                .ok_or_else(|| Error::without_cause(names::HEARTBEAT_TIMEOUT))
        };
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
            // A handler's result enters the workflow here: one nested too deep for
            // the engine to walk safely fails the task (a size over the limit
            // is for the state's output check, as on AWS).
            Ok(Ok(output)) => crate::limits::within_depth(output, || {
                format!("The state/task '{}' returned a result that", self.info.name)
            }),
            Ok(Err(e)) => Err(e),
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
}

impl StateRun<'_> {
    /// Records `TaskScheduled`.
    fn record_scheduled(&self, resource: &str, parameters: &Value, credentials: Option<&Value>) {
        let name = Some(self.info.name);
        if self.exec.recording() {
            let mut d = Map::with_capacity(3);
            d.insert("resource".into(), Value::String(resource.to_owned()));
            d.insert("parameters".into(), parameters.clone());
            // The role, as AWS's TaskScheduled event carries it (`taskCredentials`).
            if let Some(role) = credentials.and_then(|c| c.get("RoleArn")) {
                let mut task_credentials = Map::with_capacity(1);
                task_credentials.insert("roleArn".into(), role.clone());
                d.insert("taskCredentials".into(), Value::Object(task_credentials));
            }
            self.exec
                .record(EventType::TaskScheduled, name, Value::Object(d));
        } else {
            self.exec
                .record(EventType::TaskScheduled, name, Value::Null);
        }
    }

    /// The handler registered for `resource`. A `.waitForTaskToken`
    /// resource without a handler of its own is served by its
    /// request-response one (what sends the token).
    fn handler_for(
        &self,
        resource: &str,
    ) -> Result<&std::sync::Arc<dyn crate::task::TaskHandler>, Error> {
        let runtime = self.exec.runtime();
        runtime
            .handler(resource)
            .or_else(|| {
                resource
                    .strip_suffix(asl_lang::integrations::Pattern::WaitForTaskToken.suffix())
                    .and_then(|plain| runtime.handler(plain))
            })
            .ok_or_else(|| {
                Error::runtime(format!(
                    "No task handler is registered for resource '{resource}'."
                ))
            })
    }

    /// A Task that waits on its task token: a `.waitForTaskToken` call
    /// (the handler sends the token; then SendTaskSuccess or
    /// SendTaskFailure ends it) or an activity task (a worker takes it with
    /// GetActivityTask). `TimeoutSeconds` bounds the whole task;
    /// `HeartbeatSeconds` the time between heartbeats (for an activity, from
    /// when a worker took it).
    ///
    /// In a durable execution the task waits on a suspension, stored before
    /// the request goes out (a callback that comes at once finds it) and
    /// marked when the request went out (`TaskSubmitted`): an execution
    /// resumed after a crash or a park waits with the same token and does
    /// not send it again, unless the crash came before it was sent.
    async fn run_with_token(
        &self,
        resource: &str,
        parameters: Value,
        timeout: Option<Duration>,
        heartbeat: Option<Duration>,
        credentials: Option<&Value>,
        prepared: &Prepared,
    ) -> Result<Value, Error> {
        let name = Some(self.info.name);
        let exec = self.exec;
        let activity = asl_lang::integrations::is_activity(resource);
        let (succeeded, failed, timed_out) = if activity {
            (
                EventType::ActivitySucceeded,
                EventType::ActivityFailed,
                EventType::ActivityTimedOut,
            )
        } else {
            (
                EventType::TaskSucceeded,
                EventType::TaskFailed,
                EventType::TaskTimedOut,
            )
        };
        if activity && !exec.durable() {
            return Err(Error::runtime(format!(
                "The activity '{resource}' needs an execution store: its workers take tasks from it (RuntimeBuilder::store)."
            )));
        }
        let token: &str = &prepared.token;
        let sent = prepared.stored.as_ref().is_some_and(|s| {
            activity || s.outcome.is_some() || s.details.get(SUBMITTED) == Some(&Value::Bool(true))
        });
        let mut stored = prepared.stored.clone();
        let mut in_memory = None;
        let started = tokio::time::Instant::now();
        if !sent {
            let handler = if activity {
                let mut d = Map::with_capacity(4);
                d.insert("resource".into(), Value::String(resource.to_owned()));
                if exec.recording() {
                    d.insert("input".into(), parameters.clone());
                }
                if let Some(t) = timeout {
                    d.insert("timeoutInSeconds".into(), Value::from(t.as_secs()));
                }
                if let Some(h) = heartbeat {
                    d.insert("heartbeatInSeconds".into(), Value::from(h.as_secs()));
                }
                exec.record(EventType::ActivityScheduled, name, Value::Object(d));
                None
            } else {
                self.record_scheduled(resource, &parameters, credentials);
                let handler = self.handler_for(resource)?;
                exec.record(
                    EventType::TaskStarted,
                    name,
                    details_one("resource", Value::String(resource.to_owned())),
                );
                Some(handler)
            };
            if let Some(id) = &prepared.id {
                let now = exec.now();
                let kind = if activity {
                    SuspensionKind::Activity
                } else {
                    SuspensionKind::TaskToken
                };
                let mut s = Suspension::new(exec.arn.as_str(), id.as_str(), kind, now);
                s.token = Some(token.to_string());
                s.deadline = timeout.map(|t| now + t);
                s.heartbeat_seconds = heartbeat.map(|h| h.as_secs().max(1));
                if activity {
                    s.activity = Some(resource.to_string());
                    s.details = serde_json::json!({ "input": parameters });
                } else {
                    s.heartbeat_deadline = heartbeat.map(|h| now + h);
                    s.details = serde_json::json!({ SUBMITTED: false });
                }
                stored = Some(exec.store_suspension(s).await?);
                if activity {
                    exec.runtime().callbacks().scheduled_activity();
                }
            } else {
                in_memory = Some(exec.runtime().callbacks().open(token));
            }
            if let Some(handler) = handler {
                let signal = HeartbeatSignal::new();
                let mut task = TaskContext::new(resource, self.info.name);
                task.timeout = timeout;
                task.heartbeat = heartbeat;
                task.credentials = credentials;
                task.sdk_action = exec.sdk_action(resource);
                task.task_token = Some(token);
                let task = task.with_heartbeat_signal(&signal).with_execution(
                    exec,
                    self.entered_id,
                    self.attempt(),
                );
                let call = handler.invoke(&task, parameters);
                let called = match timeout {
                    Some(t) => tokio::time::timeout(t, call)
                        .await
                        .unwrap_or_else(|_| Err(Error::without_cause(names::TIMEOUT))),
                    None => call.await,
                };
                match called {
                    Ok(output) => {
                        let details = if exec.recording() {
                            let mut d = Map::with_capacity(2);
                            d.insert("resource".into(), Value::String(resource.to_owned()));
                            d.insert("output".into(), output);
                            Value::Object(d)
                        } else {
                            Value::Null
                        };
                        exec.record(EventType::TaskSubmitted, name, details);
                        if let Some(id) = &prepared.id {
                            exec.annotate_suspension(id, &serde_json::json!({ SUBMITTED: true }))
                                .await?;
                        }
                    }
                    Err(error) => {
                        match &prepared.id {
                            Some(id) => {
                                let outcome = Outcome::Failed {
                                    error: Some(error.error.to_string()),
                                    cause: error.cause.clone(),
                                };
                                exec.close_suspension(id, outcome).await?;
                            }
                            None => exec.runtime().callbacks().close(token),
                        }
                        let event = if error.error == names::TIMEOUT {
                            EventType::TaskTimedOut
                        } else {
                            EventType::TaskFailed
                        };
                        exec.record(event, name, error_details(&error));
                        return Err(error);
                    }
                }
            }
        }
        let outcome = match (stored, in_memory) {
            (Some(stored), _) => {
                let on_read = |s: &Suspension| -> Option<Value> {
                    let recorded = s.details.get(STARTED_RECORDED) == Some(&Value::Bool(true));
                    let worker = s.worker.as_deref().filter(|_| !recorded)?;
                    exec.record(
                        EventType::ActivityStarted,
                        name,
                        details_one("workerName", Value::String(worker.to_string())),
                    );
                    let mut details = s.details.clone();
                    if let Some(d) = details.as_object_mut() {
                        d.insert(STARTED_RECORDED.into(), Value::Bool(true));
                    }
                    Some(details)
                };
                exec.await_suspension(stored, true, |s| if activity { on_read(s) } else { None })
                    .await?
            }
            (None, Some(waiting)) => {
                let watched = async {
                    watch_heartbeats(waiting.outcome(), heartbeat, &waiting.beat)
                        .await
                        .unwrap_or(Outcome::HeartbeatTimedOut)
                };
                let outcome = match timeout {
                    Some(t) => tokio::time::timeout_at(started + t, watched)
                        .await
                        .unwrap_or(Outcome::TimedOut),
                    None => watched.await,
                };
                exec.runtime().callbacks().close(token);
                outcome
            }
            (None, None) => {
                return Err(Error::runtime(format!(
                    "the task token of state '{}' has no waiting point",
                    self.info.name
                )));
            }
        };
        match outcome {
            Outcome::Succeeded(output) => {
                let output = crate::limits::within_depth(output, || {
                    format!("The state/task '{}' returned a result that", self.info.name)
                });
                match output {
                    Ok(output) => {
                        let details = if exec.recording() {
                            let mut d = Map::with_capacity(2);
                            if !activity {
                                d.insert("resource".into(), Value::String(resource.to_owned()));
                            }
                            d.insert("output".into(), output.clone());
                            Value::Object(d)
                        } else {
                            Value::Null
                        };
                        exec.record(succeeded, name, details);
                        Ok(output)
                    }
                    Err(e) => {
                        exec.record(failed, name, error_details(&e));
                        Err(e)
                    }
                }
            }
            Outcome::Failed { error, cause } => {
                let error = Error {
                    error: error.unwrap_or_default().into(),
                    cause,
                };
                exec.record(failed, name, error_details(&error));
                Err(error)
            }
            Outcome::TimedOut | Outcome::HeartbeatTimedOut => {
                let error = Error::without_cause(if outcome == Outcome::TimedOut {
                    names::TIMEOUT
                } else {
                    names::HEARTBEAT_TIMEOUT
                });
                exec.record(timed_out, name, error_details(&error));
                Err(error)
            }
        }
    }
}

/// Awaits a task (its handler's call, or a callback's outcome) while enforcing
/// `HeartbeatSeconds`: with a `heartbeat` period, a task that lets a whole
/// period pass without a heartbeat on `signal` is abandoned. `None` is that
/// heartbeat timeout; `Some` the task's own outcome.
async fn watch_heartbeats<F: Future>(
    invocation: F,
    heartbeat: Option<Duration>,
    signal: &HeartbeatSignal,
) -> Option<F::Output> {
    let Some(period) = heartbeat else {
        return Some(invocation.await);
    };
    let mut invocation = std::pin::pin!(invocation);
    loop {
        tokio::select! {
            biased;
            outcome = &mut invocation => return Some(outcome),
            () = signal.next_beat() => {}
            () = tokio::time::sleep(period) => return None,
        }
    }
}
