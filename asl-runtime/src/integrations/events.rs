//! Amazon EventBridge: `events:putEvents`. The request is the checked
//! `Parameters` in EventBridge's own JSON, an entry's object `Detail` turned
//! into its JSON text (as Step Functions sends it), through
//! aws-sdk-eventbridge; the result is EventBridge's answer (`Entries` with
//! each `EventId`, `FailedEntryCount`). An entry EventBridge refuses fails the
//! task with `EventBridge.FailedEntry` and the answer as cause, as Step
//! Functions does; service errors are `EventBridge.<Exception>`.

use serde_json::Value;

use super::Inner;
use super::params::{Params, kind};
use super::wire::{WireJson, send_wire, service_error, take_answer, text_of};
use crate::error::Error;

pub(crate) async fn put_events(
    inner: &Inner,
    resource: &str,
    parameters: Value,
) -> Result<Value, Error> {
    let mut p = Params::new(resource, parameters)?;
    let entries = match p.required("Entries")? {
        Value::Array(entries) => entries,
        other => return Err(p.wrong_type("Entries", "a list", &other)),
    };
    p.finish()?;
    let mut sent = Vec::with_capacity(entries.len());
    for (i, entry) in entries.into_iter().enumerate() {
        let Value::Object(mut entry) = entry else {
            return Err(Error::runtime(format!(
                "The field 'Entries[{i}]' of {resource} must be an object, got {}",
                kind(&entry)
            )));
        };
        if let Some(detail) = entry.remove("Detail") {
            entry.insert("Detail".into(), Value::String(text_of(detail)));
        }
        sent.push(Value::Object(entry));
    }
    let body = serde_json::json!({ "Entries": sent }).to_string();
    let (icpt, answer) = WireJson::sending(Some(body));
    send_wire!(inner.events.put_events(), icpt, |e| service_error(
        "EventBridge",
        e
    ))?;
    let result = take_answer("EventBridge", &answer)?;
    if result["FailedEntryCount"].as_u64().is_some_and(|n| n > 0) {
        return Err(Error::new("EventBridge.FailedEntry", result.to_string()));
    }
    Ok(result)
}
