//! Optimized integrations on the generic caller
//! ([`asl_lang::sdk::optimized`]): the model's action, then what the
//! integration's page adds: Bedrock's `Body` as JSON, and `.sync`, which
//! polls the action the catalogue names (on the integrations' wait
//! schedule, each poll a heartbeat) until the job succeeds or fails.

use serde_json::{Map, Value};

use asl_lang::sdk::optimized::{self as catalogue, SyncRule};

use super::super::Inner;
use crate::error::{Error, names};
use crate::task::TaskContext;

pub(super) async fn call(
    inner: &Inner,
    task: &TaskContext<'_>,
    table: &Value,
    parameters: Value,
) -> Result<Value, Error> {
    let resource = task.resource;
    let name = table["metadata"]["optimized"].as_str().unwrap_or_default();
    let Some(entry) = catalogue::OPTIMIZED.iter().find(|o| o.name == name) else {
        return Err(Error::runtime(format!(
            "internal error: {resource} names no optimized integration"
        )));
    };
    let request = parameters.clone();
    let result = super::call(&inner.signed, resource, table, parameters).await?;
    let mut result = if entry.json_body {
        json_body(result)
    } else {
        result
    };
    echo(entry.echoed, &request, &mut result);
    let pattern = table["metadata"]["pattern"].as_str().unwrap_or_default();
    if let Some(failed) = failures(entry.failures, pattern, &result) {
        return Err(failed);
    }
    let waits = pattern.starts_with(".sync");
    match (&entry.sync, waits) {
        (Some(rule), true) => wait(inner, task, rule, &table["poll"], &request, &result).await,
        _ => Ok(result),
    }
}

/// The value at `path` (`Jobs.0.Status`: field names and list indexes) in
/// `value`; `""` is all of it.
fn at<'v>(value: &'v Value, path: &str) -> Option<&'v Value> {
    if path.is_empty() {
        return Some(value);
    }
    path.split('.')
        .try_fold(value, |v, step| match (v, step.parse::<usize>()) {
            (Value::Array(items), Ok(i)) => items.get(i),
            _ => v.get(step),
        })
}

/// ECS: the answer's non-empty `Failures` list fails a task that waits
/// (`.sync`, `.waitForTaskToken`); request-response returns it as it is.
fn failures(
    rule: Option<(&'static str, &'static str)>,
    pattern: &str,
    result: &Value,
) -> Option<Error> {
    let (field, error) = rule?;
    let listed = result[field].as_array().is_some_and(|f| !f.is_empty());
    (listed && !pattern.is_empty()).then(|| Error::new(error, result[field].to_string()))
}

/// The request's `fields` copied into the result where it lacks them.
fn echo(fields: &[&str], request: &Value, result: &mut Value) {
    for field in fields {
        if let (Some(value), Some(out)) = (request.get(*field), result.as_object_mut())
            && !out.contains_key(*field)
        {
            out.insert(field.to_string(), value.clone());
        }
    }
}

/// Bedrock: the answer's `Body` is the model's JSON (text when it is not JSON).
fn json_body(mut result: Value) -> Value {
    if let Some(body) = result.get_mut("Body")
        && let Some(text) = body.as_str()
        && let Ok(parsed) = serde_json::from_str::<Value>(text)
    {
        *body = parsed;
    }
    result
}

/// The poll's request: each field from the task's request or the first
/// call's result.
fn poll_request(rule: &SyncRule, request: &Value, result: &Value) -> Result<Value, Error> {
    let mut out = Map::new();
    for (field, source) in rule.request {
        let (path, list) = match source.strip_suffix("[]") {
            Some(p) => (p, true),
            None => (*source, false),
        };
        let (from, path) = match path.split_once('.') {
            Some(("request", p)) => (request, p),
            Some(("result", p)) => (result, p),
            _ => (result, path),
        };
        let Some(value) = at(from, path).filter(|v| !v.is_null()) else {
            return Err(Error::new(
                names::TASK_FAILED,
                format!("cannot wait for the job: the {source} it is known by is missing"),
            ));
        };
        let value = if list {
            Value::Array(vec![value.clone()])
        } else {
            value.clone()
        };
        out.insert(field.to_string(), value);
    }
    Ok(Value::Object(out))
}

async fn wait(
    inner: &Inner,
    task: &TaskContext<'_>,
    rule: &SyncRule,
    poll_table: &Value,
    request: &Value,
    result: &Value,
) -> Result<Value, Error> {
    if !poll_table.is_object() {
        return Err(Error::runtime(format!(
            "internal error: {} was compiled without the table of {}",
            task.resource, rule.poll
        )));
    }
    let poll = poll_request(rule, request, result)?;
    let mut delay = inner.wait.initial;
    loop {
        let answer = super::call(&inner.signed, task.resource, poll_table, poll.clone()).await?;
        let status = at(&answer, rule.status).and_then(Value::as_str);
        match status {
            Some(s) if rule.succeeded.contains(&s) => {
                let done = at(&answer, rule.output).cloned().unwrap_or(answer);
                return Ok(match rule.wrap {
                    Some(field) => Value::Object(Map::from_iter([(field.to_string(), done)])),
                    None => done,
                });
            }
            Some(s) if rule.failed.contains(&s) => {
                let job = at(&answer, rule.output).unwrap_or(&answer);
                return Err(Error::new(names::TASK_FAILED, job.to_string()));
            }
            _ => {}
        }
        tokio::time::sleep(delay).await;
        delay = inner.wait.next(delay);
        // Every poll is progress: it restarts the state's HeartbeatSeconds clock.
        task.send_heartbeat();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ecs_failures_fail_a_task_that_waits_only() {
        let rule = Some(("Failures", "AmazonECS.Unknown"));
        let answer = json!({"Tasks": [], "Failures": [{"Reason": "MISSING", "Arn": "a"}]});
        let failed = failures(rule, ".sync", &answer).expect("a .sync task fails");
        assert_eq!(failed.name(), "AmazonECS.Unknown");
        assert!(
            failed.cause().is_some_and(|c| c.contains("MISSING")),
            "{failed:?}"
        );
        assert!(failures(rule, ".waitForTaskToken", &answer).is_some());
        assert!(
            failures(rule, "", &answer).is_none(),
            "request-response returns it"
        );
        let fine = json!({"Tasks": [{}], "Failures": []});
        assert!(failures(rule, ".sync", &fine).is_none());
    }

    #[test]
    fn glue_answers_name_the_job_they_started() {
        let mut result = json!({"JobRunId": "jr_1"});
        echo(
            &["JobName"],
            &json!({"JobName": "etl", "Arguments": {}}),
            &mut result,
        );
        assert_eq!(result, json!({"JobRunId": "jr_1", "JobName": "etl"}));
        let mut named = json!({"JobRunId": "jr_1", "JobName": "kept"});
        echo(&["JobName"], &json!({"JobName": "etl"}), &mut named);
        assert_eq!(named["JobName"], "kept");
    }

    #[test]
    fn poll_requests_come_from_the_request_and_the_result() {
        let glue = catalogue::OPTIMIZED
            .iter()
            .find(|o| o.name == "glue:startJobRun")
            .unwrap();
        let rule = glue.sync.as_ref().unwrap();
        let poll = poll_request(
            rule,
            &json!({"JobName": "etl"}),
            &json!({"JobRunId": "jr_1"}),
        )
        .unwrap();
        assert_eq!(poll, json!({"JobName": "etl", "RunId": "jr_1"}));
        let batch = catalogue::OPTIMIZED
            .iter()
            .find(|o| o.name == "batch:submitJob")
            .unwrap();
        let poll = poll_request(
            batch.sync.as_ref().unwrap(),
            &json!({}),
            &json!({"JobId": "j"}),
        )
        .unwrap();
        assert_eq!(poll, json!({"Jobs": ["j"]}));
        let err = poll_request(rule, &json!({}), &json!({"JobRunId": "jr_1"})).unwrap_err();
        assert_eq!(err.name(), "States.TaskFailed");
        let v = json!({"Jobs": [{"Status": "RUNNING"}]});
        assert_eq!(at(&v, "Jobs.0.Status").unwrap(), "RUNNING");
        assert_eq!(at(&v, "").unwrap(), &v);
    }

    #[test]
    fn bedrock_bodies_are_json() {
        assert_eq!(
            json_body(json!({"Body": "{\"a\":1}", "ContentType": "application/json"})),
            json!({"Body": {"a": 1}, "ContentType": "application/json"})
        );
        assert_eq!(
            json_body(json!({"Body": "plain"})),
            json!({"Body": "plain"})
        );
    }
}
