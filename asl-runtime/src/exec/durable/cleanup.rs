//! Cleanup: deleting what an execution created when it is stopped or fails,
//! recorded in its history, and what StopExecution does after the stop.

use super::*;
/// Deletes `resources` that are not deleted yet, newest first: the events to
/// record and what was deleted.
pub(super) async fn delete_created(
    runtime: &Runtime,
    mut resources: Vec<CreatedResource>,
) -> (Vec<(EventType, Value)>, Vec<CreatedResource>) {
    resources.retain(|r| !r.deleted);
    resources.reverse();
    let mut events = Vec::new();
    let mut deleted = Vec::new();
    for resource in resources {
        let result = match runtime.inner.cleaners.get(&resource.kind) {
            Some(cleaner) => cleaner.delete(&resource.id).await,
            None => Err(Error::new(
                "asl.NoCleaner",
                format!("no cleaner is registered for {}", resource.kind),
            )),
        };
        match result {
            Ok(_) => {
                events.push((
                    EventType::ResourceDeleted,
                    resource_details(&resource, None),
                ));
                deleted.push(resource);
            }
            Err(e) => events.push((
                EventType::ResourceDeletionFailed,
                resource_details(&resource, Some(&e)),
            )),
        }
    }
    (events, deleted)
}

fn resource_details(resource: &CreatedResource, error: Option<&Error>) -> Value {
    let mut d = Map::new();
    d.insert("kind".into(), Value::String(resource.kind.clone()));
    d.insert("id".into(), resource.id.clone());
    if let Some(e) = error {
        d.insert("error".into(), Value::String(e.error.to_string()));
        if let Some(c) = &e.cause {
            d.insert("cause".into(), Value::String(c.clone()));
        }
    }
    Value::Object(d)
}

/// What StopExecution does after the stop is stored: a driver here stops
/// (and cleans up itself); an execution not running anywhere (parked, or its
/// owner is gone) is cleaned up here. An owner elsewhere still renewing its
/// lease notices the stop and cleans up itself.
pub(super) async fn stop_here(runtime: &Runtime, durability: &Arc<Durability>, arn: &str) {
    if lock(&durability.running).contains_key(arn) {
        durability.signal_stop(arn);
        while lock(&durability.running).contains_key(arn) {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        return;
    }
    let record = match durability.store().describe(arn).await {
        Ok(record) => record,
        Err(e) => {
            tracing::warn!(target: "asl::store", execution = %arn, "after the stop: {e}");
            return;
        }
    };
    let owner_gone = record
        .lease_until
        .is_none_or(|until| until < OffsetDateTime::now_utc());
    if record.cleanup && owner_gone {
        clean_up_stored(runtime, arn).await;
    }
}

/// Cleanup of an execution that ended (stopped): deletes what it created and
/// appends the events after its last one. Returns what was deleted.
pub(crate) async fn clean_up_stored(runtime: &Runtime, arn: &str) -> Vec<CreatedResource> {
    let Some(durability) = runtime.inner.durability.as_ref() else {
        return Vec::new();
    };
    let store = durability.store();
    let resources = match store.created(arn).await {
        Ok(list) => list,
        Err(e) => {
            tracing::warn!(target: "asl::store", execution = %arn, "cannot read what the execution created: {e}");
            return Vec::new();
        }
    };
    if resources.iter().all(|r| r.deleted) {
        return Vec::new();
    }
    let (events, deleted) = delete_created(runtime, resources).await;
    // Numbered after the last stored event (StopExecution added one).
    let next = match store.describe(arn).await {
        Ok(record) => record.next_event_id,
        Err(_) => return deleted,
    };
    let events: Vec<StoredEvent> = events
        .into_iter()
        .zip(next..)
        .map(|((event, details), id)| StoredEvent {
            id,
            timestamp: OffsetDateTime::now_utc(),
            event_type: event.as_str().to_string(),
            state: None,
            previous_event_id: id - 1,
            details,
        })
        .collect();
    let write = Write {
        arn: arn.to_string(),
        // After the end: the write needs no ownership.
        owner: None,
        next_event_id: next + events.len() as u64,
        events,
        deleted: deleted.iter().map(|r| r.seq).collect(),
        ..Write::default()
    };
    if let Err(e) = store.write(write).await {
        tracing::warn!(target: "asl::store", execution = %arn, "cannot record the cleanup: {e}");
    }
    deleted
}
