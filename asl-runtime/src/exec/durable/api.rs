//! The execution API over the store: StartExecution, DescribeExecution,
//! ListExecutions, GetExecutionHistory, StopExecution, RedriveExecution, by
//! the workflow's type or by ARN.

use super::cleanup::stop_here;
use super::serve::{Started, claim_and_run, drive, ensure_purging, start};
use super::*;

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
            | StoreError::TaskTimedOut(_)
            | StoreError::ResourceNotFound(_) => e
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
    pub(super) fn durability(&self) -> Result<&Arc<Durability>, ApiError> {
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

    /// Hands this runtime's executions to the other runtimes sharing its store,
    /// for a graceful shutdown or a redeploy: from now on it claims nothing
    /// and drives no new execution (a background start is stored unowned, for
    /// another runtime to claim); every execution it drives is stopped where
    /// it is, as a crash would stop it (a Task interrupted runs again on its
    /// new owner), and released, so another runtime takes it over at once
    /// instead of after the lease. Returns the executions released.
    ///
    /// Waits up to `grace` for the drivers to stop; an execution whose driver
    /// did not stop in time keeps its lease, which runs out.
    pub async fn release_all(&self, grace: Duration) -> Result<Vec<String>, ApiError> {
        let durability = self.durability()?.clone();
        durability.released.store(true, Ordering::Release);
        // Under the claim lock: no claim or start is half done.
        let claiming = durability.claiming.write().await;
        let held = durability.held();
        durability.stop_all();
        drop(claiming);
        let deadline = tokio::time::Instant::now() + grace;
        while !durability.is_idle() && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let owner = &durability.settings.owner;
        let mut released = Vec::new();
        for (arn, epoch) in held {
            if lock(&durability.running).contains_key(&arn) {
                continue;
            }
            let record = durability.store().describe(&arn).await?;
            if record.status != ExecutionStatus::Running
                || record.owner.as_deref() != Some(owner.as_str())
                || record.epoch != epoch
            {
                continue;
            }
            let release = Write {
                arn: arn.clone(),
                owner: Some(owner.clone()),
                epoch,
                next_event_id: record.next_event_id,
                park_until: Some(OffsetDateTime::now_utc()),
                ..Write::default()
            };
            match durability.store().write(release).await {
                Ok(_) => released.push(arn),
                // Taken over or stopped meanwhile: no longer ours to release.
                Err(StoreError::NotOwner(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(released)
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
