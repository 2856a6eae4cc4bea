//! Optimized integrations on the generic caller
//! ([`asl_lang::sdk::optimized`]): the model's action, then what the
//! integration's page adds: its own request and result fields turned into
//! the action's and back (EMR's `ClusterId` is `JobFlowIds: [..]`, an
//! instance group's id looked up by its name), Bedrock's `Body` as JSON,
//! and `.sync`, which polls the action the catalogue names (on the
//! integrations' wait schedule, each poll a heartbeat) until the job
//! succeeds or fails.

use serde_json::{Map, Value};

use asl_lang::sdk::optimized::{self as catalogue, Lookup, Renamed, Reshape, SyncOutput, SyncRule};

use super::super::Inner;
use crate::error::{Error, names};
use crate::task::TaskContext;

pub(super) async fn call(
    inner: &Inner,
    task: &TaskContext<'_>,
    table: &Value,
    mut parameters: Value,
) -> Result<Value, Error> {
    let resource = task.resource;
    let name = table["metadata"]["optimized"].as_str().unwrap_or_default();
    let Some(entry) = catalogue::OPTIMIZED.iter().find(|o| o.name == name) else {
        return Err(Error::runtime(format!(
            "internal error: {resource} names no optimized integration"
        )));
    };
    // The task's own fields, which `.sync` and the echo read.
    let request = parameters.clone();
    if let Some(lookup) = &entry.reshape.lookup {
        let id = look_up(inner, task, lookup, &table["lookup"], &request).await?;
        set_at(&mut parameters, lookup.into, id);
    }
    for (path, text) in entry.reshape.sets {
        set_at(&mut parameters, path, Value::String(text.to_string()));
    }
    let parameters = reshape_request(&entry.reshape, parameters);
    let result = super::call(&inner.signed, resource, table, parameters).await?;
    let result = reshape_result(entry.reshape.result, result);
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

/// The integration's request as the action takes it: the fields only the
/// integration has left out, the renamed ones under the action's name (the
/// one item of a list where it takes a list).
fn reshape_request(reshape: &Reshape, mut request: Value) -> Value {
    if let Some(fields) = request.as_object_mut() {
        for (added, _) in reshape.added {
            fields.remove(*added);
        }
        for renamed in reshape.request {
            if let Some(value) = fields.remove(renamed.field) {
                let value = if renamed.list {
                    Value::Array(vec![value])
                } else {
                    value
                };
                fields.insert(renamed.action_field.to_string(), value);
            }
        }
    }
    request
}

/// The action's result as the integration returns it: the renamed fields
/// under the integration's name (a list's first item where it is one).
fn reshape_result(renamed: &[Renamed], mut result: Value) -> Value {
    if let Some(fields) = result.as_object_mut() {
        for r in renamed {
            if let Some(value) = fields.remove(r.action_field) {
                let value = match (r.list, value) {
                    (true, Value::Array(items)) => items.into_iter().next().unwrap_or(Value::Null),
                    (_, value) => value,
                };
                fields.insert(r.field.to_string(), value);
            }
        }
    }
    result
}

/// `value` set at `path` (field names) in `target`, objects made on the way.
fn set_at(target: &mut Value, path: &str, value: Value) {
    let mut at = target;
    for step in path.split('.') {
        if !at.is_object() {
            *at = Value::Object(Map::new());
        }
        // An object: indexing inserts the field (null) when it lacks it.
        at = &mut at[step];
    }
    *at = value;
}

/// The id of the item the request names (EMR's `*ByName`): the lookup
/// action's list, page by page, searched for the name.
async fn look_up(
    inner: &Inner,
    task: &TaskContext<'_>,
    lookup: &Lookup,
    lookup_table: &Value,
    request: &Value,
) -> Result<Value, Error> {
    const MAX_PAGES: usize = 100;
    if !lookup_table.is_object() {
        return Err(Error::runtime(format!(
            "internal error: {} was compiled without the table of {}",
            task.resource, lookup.action
        )));
    }
    let Some(name) = request.get(lookup.by).filter(|n| !n.is_null()) else {
        return Err(Error::new(
            names::TASK_FAILED,
            format!("{} needs \"{}\"", task.resource, lookup.by),
        ));
    };
    let mut list_request = fields_from(lookup.request, request, &Value::Null)?;
    for _ in 0..MAX_PAGES {
        let answer = super::call(
            &inner.signed,
            task.resource,
            lookup_table,
            list_request.clone(),
        )
        .await?;
        let items = answer[lookup.list].as_array().into_iter().flatten();
        if let Some(found) = items
            .filter(|item| item.get(lookup.key) == Some(name))
            .find_map(|item| item.get(lookup.id))
        {
            return Ok(found.clone());
        }
        match answer.get(lookup.marker).filter(|m| !m.is_null()) {
            Some(marker) => list_request[lookup.marker] = marker.clone(),
            None => break,
        }
    }
    // Unconfirmed: the page does not say how a name that matches nothing fails.
    Err(Error::new(
        names::TASK_FAILED,
        format!(
            "{}: no item of {} has the {} {name}",
            task.resource, lookup.list, lookup.key
        ),
    ))
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
    fields_from(rule.request, request, result)
}

/// A request of `(field, source)`s, each source `request.Path` (the task's
/// Parameters) or `result.Path` (the first call's result), `[]` after it
/// for a list of that one value.
fn fields_from(fields: &[(&str, &str)], request: &Value, result: &Value) -> Result<Value, Error> {
    let mut out = Map::new();
    for (field, source) in fields {
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
                format!("cannot call the service: the {source} it needs is missing"),
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
                return Ok(match rule.output {
                    SyncOutput::Polled { path, wrap } => {
                        let done = at(&answer, path).cloned().unwrap_or(answer);
                        match wrap {
                            Some(field) => {
                                Value::Object(Map::from_iter([(field.to_string(), done)]))
                            }
                            None => done,
                        }
                    }
                    SyncOutput::Started => result.clone(),
                });
            }
            Some(s) if rule.failed.contains(&s) => {
                let job = match rule.output {
                    SyncOutput::Polled { path, .. } => at(&answer, path).unwrap_or(&answer),
                    SyncOutput::Started => &answer,
                };
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

    fn entry(name: &str) -> &'static catalogue::Optimized {
        catalogue::OPTIMIZED
            .iter()
            .find(|o| o.name == name)
            .expect("in the catalogue")
    }

    #[test]
    fn emr_requests_and_results_are_reshaped_as_its_page_says() {
        let add_step = entry("elasticmapreduce:addStep");
        let step = json!({"Name": "s", "HadoopJarStep": {"Jar": "command-runner.jar"}});
        let sent = reshape_request(
            &add_step.reshape,
            json!({"ClusterId": "j-1", "Step": step, "ExecutionRoleArn": "arn:r"}),
        );
        assert_eq!(
            sent,
            json!({"JobFlowId": "j-1", "Steps": [step], "ExecutionRoleArn": "arn:r"})
        );
        let result = reshape_result(add_step.reshape.result, json!({"StepIds": ["s-1"]}));
        assert_eq!(result, json!({"StepId": "s-1"}));

        let terminate = entry("elasticmapreduce:terminateCluster");
        let sent = reshape_request(&terminate.reshape, json!({"ClusterId": "j-1"}));
        assert_eq!(sent, json!({"JobFlowIds": ["j-1"]}));

        let create = entry("elasticmapreduce:createCluster");
        let result = reshape_result(
            create.reshape.result,
            json!({"JobFlowId": "j-1", "ClusterArn": "arn:c"}),
        );
        assert_eq!(result, json!({"ClusterId": "j-1", "ClusterArn": "arn:c"}));

        let cancel = entry("elasticmapreduce:cancelStep");
        let result = reshape_result(
            cancel.reshape.result,
            json!({"CancelStepsInfoList": [{"StepId": "s-1", "Status": "SUBMITTED"}]}),
        );
        assert_eq!(
            result,
            json!({"CancelStepsInfo": {"StepId": "s-1", "Status": "SUBMITTED"}})
        );

        // The name is read, not sent; the id it found goes where the page says.
        let by_name = entry("elasticmapreduce:modifyInstanceGroupByName");
        let mut request = json!({
            "ClusterId": "j-1",
            "InstanceGroupName": "core",
            "InstanceGroup": {"InstanceCount": 3}
        });
        set_at(
            &mut request,
            by_name.reshape.lookup.as_ref().unwrap().into,
            json!("ig-1"),
        );
        assert_eq!(
            reshape_request(&by_name.reshape, request),
            json!({
                "ClusterId": "j-1",
                "InstanceGroups": [{"InstanceCount": 3, "InstanceGroupId": "ig-1"}]
            })
        );
        // MediaConvert's jobs carry Step Functions' tag, beside the task's own.
        let media = entry("mediaconvert:createJob");
        let mut request = json!({"Role": "r", "Settings": {}, "Tags": {"team": "video"}});
        for (path, text) in media.reshape.sets {
            set_at(&mut request, path, json!(text));
        }
        assert_eq!(
            request["Tags"],
            json!({"team": "video", "ManagedByService": "AWSStepFunctions"})
        );
        let mut empty = json!({});
        set_at(&mut empty, "InstanceFleet.InstanceFleetId", json!("if-1"));
        assert_eq!(empty, json!({"InstanceFleet": {"InstanceFleetId": "if-1"}}));
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
