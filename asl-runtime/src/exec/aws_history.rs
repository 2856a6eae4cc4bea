//! The execution history as JSON, shaped like AWS's `GetExecutionHistory` answer.
//!
//! In: the [`StoredEvent`]s of one execution, in order (a page of them, or
//! [`HistoryEvent`]s converted). Out: `{"events": [...]}` where each event has
//! `id`, `previousEventId`, `timestamp`, `type` and, as AWS names them, its
//! details object:
//! `executionStartedEventDetails`, `stateEnteredEventDetails` (`name`, `input`),
//! `stateExitedEventDetails` (`name`, `output`), `taskScheduledEventDetails`
//! (`resourceType`, `resource`, `region`, `parameters`), `taskFailedEventDetails`
//! (`error`, `cause`), `mapIterationStartedEventDetails` (`name`, `index`), ...
//!
//! `previousEventId` is the event before it in its line of events (the top
//! level, or one Map iteration or Parallel branch). As in AWS's answer, `input`, `output` and `parameters` are JSON text (strings), so
//! the file can be compared with `aws stepfunctions get-execution-history`. The
//! events carry what the workflow saw and produced; no credential or token ever
//! reaches them (the integrations keep those out of parameters and results).

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use super::history::{EventType, HistoryEvent};
use crate::exec::format_timestamp;
use crate::store::StoredEvent;

impl From<&HistoryEvent> for StoredEvent {
    fn from(e: &HistoryEvent) -> StoredEvent {
        StoredEvent {
            id: e.id,
            timestamp: e.timestamp,
            event_type: e.event_type.as_str().to_string(),
            state: e.state_name.clone(),
            previous_event_id: e.previous_event_id,
            details: e.details.clone(),
        }
    }
}

/// Renders a history (or a page of one). `region` fills
/// `taskScheduledEventDetails.region`; an event type the runtime does not know
/// keeps its name and its details as they are.
pub fn aws_history(events: &[StoredEvent], region: &str) -> Value {
    // Task events after TaskScheduled do not repeat the resource; AWS's do.
    let mut resources: HashMap<&str, (String, String)> = HashMap::new();
    let mut out = Vec::with_capacity(events.len());
    for e in events {
        let state = e.state.as_deref().unwrap_or("");
        let mut item = Map::new();
        item.insert("id".into(), json!(e.id));
        item.insert("previousEventId".into(), json!(e.previous_event_id));
        item.insert("timestamp".into(), json!(format_timestamp(e.timestamp)));
        item.insert("type".into(), json!(e.event_type));
        let details = e.details.as_object();
        let get = |k: &str| details.and_then(|d| d.get(k)).cloned();
        let mut d = Map::new();
        let Some(t) = EventType::parse(&e.event_type) else {
            if let Some(details) = details {
                let mut first = e.event_type.chars();
                let key = first
                    .next()
                    .map(|c| c.to_ascii_lowercase().to_string() + first.as_str())
                    .unwrap_or_default();
                item.insert(format!("{key}EventDetails"), Value::Object(details.clone()));
            }
            out.push(Value::Object(item));
            continue;
        };
        let key = if t.is_state_entered() {
            d.insert("name".into(), json!(state));
            put_text(&mut d, "input", get("input"));
            "stateEnteredEventDetails".to_string()
        } else if t.as_str().ends_with("StateExited") {
            d.insert("name".into(), json!(state));
            put_text(&mut d, "output", get("output"));
            "stateExitedEventDetails".to_string()
        } else {
            match t {
                EventType::TaskScheduled => {
                    let resource = get("resource")
                        .and_then(|r| r.as_str().map(str::to_string))
                        .unwrap_or_default();
                    let split = split_resource(&resource);
                    d.insert("resourceType".into(), json!(split.0));
                    d.insert("resource".into(), json!(split.1));
                    d.insert("region".into(), json!(region));
                    put_text(&mut d, "parameters", get("parameters"));
                    resources.insert(state, split);
                }
                EventType::TaskStarted
                | EventType::TaskSubmitted
                | EventType::TaskSucceeded
                | EventType::TaskFailed
                | EventType::TaskTimedOut => {
                    if let Some((kind, resource)) = resources.get(state) {
                        d.insert("resourceType".into(), json!(kind));
                        d.insert("resource".into(), json!(resource));
                    }
                    put_text(&mut d, "output", get("output"));
                    copy(&mut d, details, &["error", "cause"]);
                }
                EventType::ExecutionStarted => {
                    put_text(&mut d, "input", get("input"));
                    copy(&mut d, details, &["roleArn"]);
                }
                EventType::ExecutionSucceeded => put_text(&mut d, "output", get("output")),
                EventType::MapIterationStarted
                | EventType::MapIterationSucceeded
                | EventType::MapIterationFailed => {
                    d.insert("name".into(), json!(state));
                    copy(&mut d, details, &["index"]);
                }
                _ => {
                    // Other events: their details as the runtime gives them, with
                    // input/output as text like everywhere else.
                    if let Some(details) = details {
                        for (k, v) in details {
                            if k == "input" || k == "output" {
                                put_text(&mut d, k, Some(v.clone()));
                            } else {
                                d.insert(k.clone(), v.clone());
                            }
                        }
                    }
                }
            }
            details_key(t)
        };
        if !d.is_empty() {
            item.insert(key, Value::Object(d));
        }
        out.push(Value::Object(item));
    }
    json!({ "events": out })
}

/// `TaskFailed` → `taskFailedEventDetails`.
fn details_key(t: EventType) -> String {
    let name = t.as_str();
    let mut chars = name.chars();
    let first = chars
        .next()
        .map(|c| c.to_ascii_lowercase())
        .unwrap_or_default();
    format!("{first}{}EventDetails", chars.as_str())
}

/// `arn:aws:states:::eks:runJob.sync` → (`eks`, `runJob.sync`), as AWS reports
/// optimized integrations; any other ARN → (its service, the whole ARN).
fn split_resource(resource: &str) -> (String, String) {
    let parts: Vec<&str> = resource.splitn(6, ':').collect();
    if parts.len() == 6
        && parts[2] == "states"
        && parts[3].is_empty()
        && parts[4].is_empty()
        && let Some((kind, rest)) = parts[5].split_once(':')
    {
        return (kind.to_string(), rest.to_string());
    }
    let service = parts.get(2).copied().unwrap_or("");
    (service.to_string(), resource.to_string())
}

fn put_text(d: &mut Map<String, Value>, key: &str, value: Option<Value>) {
    if let Some(v) = value {
        d.insert(key.into(), Value::String(v.to_string()));
    }
}

fn copy(d: &mut Map<String, Value>, from: Option<&Map<String, Value>>, keys: &[&str]) {
    for k in keys {
        if let Some(v) = from.and_then(|f| f.get(*k)) {
            d.insert((*k).into(), v.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use time::OffsetDateTime;

    fn ev(id: u64, t: EventType, state: Option<&str>, details: Value) -> HistoryEvent {
        HistoryEvent {
            previous_event_id: id - 1,
            id,
            timestamp: OffsetDateTime::UNIX_EPOCH + time::Duration::milliseconds(id as i64),
            event_type: t,
            execution: Arc::from("run-1"),
            state_name: state.map(str::to_string),
            details,
        }
    }

    #[test]
    fn events_take_aws_names_and_shapes() {
        use EventType::*;
        let s = Some("Delete job");
        let events = [
            ev(
                1,
                ExecutionStarted,
                None,
                json!({"input": {"a": 1}, "roleArn": "arn:r"}),
            ),
            ev(2, TaskStateEntered, s, json!({"input": {"a": 1}})),
            ev(
                3,
                TaskScheduled,
                s,
                json!({"resource": "arn:aws:states:::eks:call", "parameters": {"Method": "DELETE"}}),
            ),
            ev(
                4,
                TaskStarted,
                s,
                json!({"resource": "arn:aws:states:::eks:call"}),
            ),
            ev(
                5,
                TaskFailed,
                s,
                json!({"error": "EKS.404", "cause": "gone"}),
            ),
            ev(
                6,
                ExecutionFailed,
                None,
                json!({"error": "EKS.404", "cause": "gone"}),
            ),
        ];
        let stored: Vec<StoredEvent> = events.iter().map(StoredEvent::from).collect();
        let v = aws_history(&stored, "sa-east-1");
        assert_eq!(v["events"][3]["previousEventId"], 3);
        let e = v["events"].as_array().unwrap();
        assert_eq!(e.len(), 6);
        assert_eq!(e[0]["type"], "ExecutionStarted");
        assert_eq!(e[0]["timestamp"], "1970-01-01T00:00:00.001Z");
        assert_eq!(e[0]["executionStartedEventDetails"]["input"], r#"{"a":1}"#);
        assert_eq!(e[0]["executionStartedEventDetails"]["roleArn"], "arn:r");
        assert_eq!(e[1]["stateEnteredEventDetails"]["name"], "Delete job");
        let sched = &e[2]["taskScheduledEventDetails"];
        assert_eq!(sched["resourceType"], "eks");
        assert_eq!(sched["resource"], "call");
        assert_eq!(sched["region"], "sa-east-1");
        assert_eq!(sched["parameters"], r#"{"Method":"DELETE"}"#);
        assert_eq!(e[3]["taskStartedEventDetails"]["resource"], "call");
        assert_eq!(e[4]["taskFailedEventDetails"]["error"], "EKS.404");
        assert_eq!(e[4]["taskFailedEventDetails"]["resourceType"], "eks");
        assert_eq!(e[5]["executionFailedEventDetails"]["cause"], "gone");
    }

    #[test]
    fn resources_split_like_aws() {
        assert_eq!(
            split_resource("arn:aws:states:::eks:runJob.sync"),
            ("eks".into(), "runJob.sync".into())
        );
        assert_eq!(
            split_resource("arn:aws:lambda:us-east-1:123456789012:function:f"),
            (
                "lambda".into(),
                "arn:aws:lambda:us-east-1:123456789012:function:f".into()
            )
        );
        assert_eq!(split_resource("weird"), ("".into(), "weird".into()));
        assert_eq!(
            details_key(EventType::MapIterationStarted),
            "mapIterationStartedEventDetails"
        );
    }
}
