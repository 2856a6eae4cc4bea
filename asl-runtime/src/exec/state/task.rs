//! Task states: dispatch to the handler registered for the `Resource`, under
//! `TimeoutSeconds` and `HeartbeatSeconds`.

use super::*;

impl StateRun<'_> {
    /// Runs a Task: looks up the handler for `resource`, records the task events,
    /// and applies `TimeoutSeconds` (`States.Timeout`) and `HeartbeatSeconds`
    /// (`States.HeartbeatTimeout` when the handler sends no heartbeat for that
    /// long), each recorded as `TaskTimedOut`.
    pub async fn task(&self, resource: &'static str, parameters: Value) -> Result<Value, Error> {
        self.task_timed(resource, parameters, None, None).await
    }

    /// Which run of this state's body this is: 0, then one more per retry.
    fn attempt(&self) -> u32 {
        self.retry_count.load(Ordering::Relaxed)
    }

    /// [`Self::task`] under `TimeoutSeconds` / `HeartbeatSeconds`.
    pub async fn task_timed(
        &self,
        resource: &'static str,
        parameters: Value,
        timeout: Option<Duration>,
        heartbeat: Option<Duration>,
    ) -> Result<Value, Error> {
        self.run_task(resource, parameters, timeout, heartbeat, None)
            .await
    }

    /// [`Self::task_timed`] for a state with `Credentials`: `credentials` (their
    /// evaluated value, `{"RoleArn": ...}`) reach the handler as
    /// [`TaskContext::credentials`], and the built-in integrations call as that role.
    pub async fn task_as(
        &self,
        resource: &'static str,
        parameters: Value,
        credentials: Value,
        timeout: Option<Duration>,
        heartbeat: Option<Duration>,
    ) -> Result<Value, Error> {
        self.run_task(resource, parameters, timeout, heartbeat, Some(&credentials))
            .await
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
        // Who answers: the runtime's mock config, when it mocks this state
        // (then nothing is called), else the resource's handler.
        enum Answer<'h> {
            Mocked(crate::mock::MockResponse),
            Handler(&'h std::sync::Arc<dyn crate::task::TaskHandler>),
        }
        let answer = match runtime
            .mocks()
            .and_then(|m| m.answer(self.exec.arn(), self.info.name))
        {
            Some(mocked) => Answer::Mocked(mocked),
            None => match runtime.handler(resource) {
                Some(handler) => Answer::Handler(handler),
                None => {
                    return Err(Error::runtime(format!(
                        "No task handler is registered for resource '{resource}'."
                    )));
                }
            },
        };
        let signal = HeartbeatSignal::new();
        let mut task = TaskContext::new(resource, self.info.name);
        task.timeout = timeout;
        task.heartbeat = heartbeat;
        task.credentials = credentials;
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
        let invocation = watch_heartbeats(call, heartbeat, &signal);
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
