//! Serving: starting, claiming and driving executions, the loops that keep
//! leases renewed, wake parked executions and purge old ones.

use super::*;
pub(super) enum Started {
    /// Stored, and registered here to be driven (with its stop signal and
    /// its slot).
    New(Box<Execution>, Value, Arc<Notify>, OwnedSemaphorePermit),
    /// Stored unowned: no slot was free here (a serving loop claims it).
    Queued(String, OffsetDateTime),
    Existing(Box<ExecutionRecord>),
}

/// Stores a new execution (StartExecution's rules).
pub(super) async fn start(
    runtime: &Runtime,
    flow: Flow,
    input: Value,
    options: ExecutionOptions,
    may_park: bool,
) -> Result<Started, ApiError> {
    let durability = runtime.durability()?;
    // Deliveries (SendTaskSuccess, an activity taken) reach its waiting
    // points, also when it runs here without a serving loop (`run`).
    super::suspend::ensure_waking(durability);
    let settings = &durability.settings;
    let info = flow.info;
    // A slot to drive it here: a background start without one stores the
    // execution unowned for a serving loop; `run` waits for one.
    let slot = if durability.released.load(Ordering::Acquire) {
        None
    } else if may_park {
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
pub(super) async fn claim_and_run(
    runtime: &Runtime,
    flow: Flow,
    durability: &Arc<Durability>,
) -> Result<Resumed, ApiError> {
    let settings = &durability.settings;
    // Exclusive: no start of this process is between registering and
    // storing an execution, so `skip` holds everything this process runs.
    let claiming = durability.claiming.write().await;
    if durability.released.load(Ordering::Acquire) {
        return Ok(Resumed::default());
    }
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
                owner: Some(settings.owner.clone()),
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
pub(super) async fn drive(
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

/// Retention: while the runtime serves workflows, deletes hourly the
/// executions that stopped longer ago than the retention period.
pub(super) fn ensure_purging(durability: &Arc<Durability>) {
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
