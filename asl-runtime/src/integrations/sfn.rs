//! Nested executions: `states:startExecution`, `.sync` and `.sync:2`.
//!
//! A `StateMachineArn` whose name is a workflow registered with
//! [`crate::RuntimeBuilder::workflow`] runs that workflow here, in this process
//! (on a runtime with a store, the child is stored like any execution); any
//! other goes to Step Functions through aws-sdk-sfn. Either way:
//!
//! - plain: the child starts and the task goes on at once with
//!   `{"ExecutionArn", "StartDate"}` (epoch milliseconds, as Step Functions
//!   returns dates to a workflow);
//! - `.sync`: the task waits for the child and returns its DescribeExecution
//!   (`ExecutionArn`, `Input`, `InputDetails`, `Name`, `Output`,
//!   `OutputDetails`, `StartDate`, `StateMachineArn`, `Status`, `StopDate`)
//!   with `Input` and `Output` as JSON text; `.sync:2` returns them as JSON;
//! - a child that fails, times out or is aborted fails the task with
//!   `States.TaskFailed`, the child's description (with its `Error` and
//!   `Cause`) as cause.
//!
//! Without a `Name`, the child's name is derived from the parent's execution,
//! state entry and attempt: a parent resumed after a crash starts no second
//! child (Step Functions treats a repeated name with the same input as the same
//! execution; in process, a durable runtime does).
//!
//! The child's input is `Input` (an object, or its JSON text; `{}` when
//! absent): a parent links itself the way AWS documents, by passing
//! `"AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$": "$$.Execution.Id"` in it,
//! which the child then sees in `$$.Execution.Input`.

use serde_json::{Map, Value, json};
use time::OffsetDateTime;

use asl_lang::integrations::Pattern;

use super::Inner;
use super::params::Params;
use super::wire::{service_error, text_of};
use crate::error::{Error, names};
use crate::exec::{ExecutionError, ExecutionOptions};
use crate::task::TaskContext;

const PREFIX: &str = "StepFunctions";

/// The name of the state machine an ARN names
/// (`arn:aws:states:r:a:stateMachine:NAME[:version or alias]`).
fn machine_name(arn: &str) -> Option<&str> {
    let rest = arn.split_once(":stateMachine:")?.1;
    Some(rest.split(':').next().unwrap_or(rest))
}

fn millis(t: OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

/// What a finished child looks like to its parent.
struct Described {
    arn: String,
    name: String,
    machine_arn: String,
    input: Value,
    start: i64,
    stop: i64,
    /// `Ok(output)`, or `(status, error, cause)`.
    outcome: Result<Value, (String, Option<String>, Option<String>)>,
}

impl Described {
    fn into_result(self, pattern: Pattern) -> Result<Value, Error> {
        let as_json = pattern == Pattern::Sync2;
        let data = |v: Value| {
            if as_json {
                v
            } else {
                Value::String(v.to_string())
            }
        };
        let mut d = Map::new();
        d.insert("ExecutionArn".into(), Value::String(self.arn));
        d.insert("Input".into(), data(self.input));
        d.insert("InputDetails".into(), json!({"Included": true}));
        d.insert("Name".into(), Value::String(self.name));
        let failed = self.outcome.is_err();
        match self.outcome {
            Ok(output) => {
                d.insert("Output".into(), data(output));
                d.insert("OutputDetails".into(), json!({"Included": true}));
            }
            Err((status, error, cause)) => {
                if let Some(e) = error {
                    d.insert("Error".into(), Value::String(e));
                }
                if let Some(c) = cause {
                    d.insert("Cause".into(), Value::String(c));
                }
                d.insert("Status".into(), Value::String(status));
            }
        }
        d.insert("RedriveCount".into(), Value::from(0));
        d.insert("StartDate".into(), Value::from(self.start));
        d.insert("StateMachineArn".into(), Value::String(self.machine_arn));
        d.entry("Status")
            .or_insert_with(|| Value::String("SUCCEEDED".into()));
        d.insert("StopDate".into(), Value::from(self.stop));
        let described = Value::Object(d);
        if failed {
            Err(Error::new(names::TASK_FAILED, described.to_string()))
        } else {
            Ok(described)
        }
    }
}

pub(crate) async fn start_execution(
    inner: &Inner,
    task: &TaskContext<'_>,
    resource: &str,
    pattern: Pattern,
    parameters: Value,
) -> Result<Value, Error> {
    let mut p = Params::new(resource, parameters)?;
    let machine_arn = p.required_str("StateMachineArn")?;
    let input = match p.take("Input") {
        None => json!({}),
        Some(Value::String(text)) => serde_json::from_str(&text).map_err(|e| {
            Error::new(
                format!("{PREFIX}.InvalidExecutionInputException"),
                format!("Invalid State Machine Execution Input: '{e}'"),
            )
        })?,
        Some(v) => v,
    };
    // Without a Name, one derived from this very attempt (the same after a
    // crash and resume, so the child is not started twice: StartExecution
    // with a name already used and the same input is that execution), else a
    // UUID, as Step Functions makes.
    let name = p
        .opt_str("Name")?
        .or_else(|| task.idempotency_token())
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let trace_header = p.opt_str("TraceHeader")?;
    p.finish()?;
    let Some(machine) = machine_name(&machine_arn) else {
        return Err(Error::new(
            format!("{PREFIX}.InvalidArnException"),
            format!("Invalid Arn: 'Resource type not valid in this context: {machine_arn}'"),
        ));
    };
    if let Some(runtime) = task.runtime()
        && let Some(child) = runtime.child_workflow(machine)
    {
        let arn = runtime.execution_arn_for(machine, &name);
        let start = millis(OffsetDateTime::now_utc());
        let options = ExecutionOptions::default().name(name.clone());
        if !pattern.waits() {
            let runtime = runtime.clone();
            tokio::spawn(async move {
                if let Err(e) = child.run(&runtime, input, options).await {
                    tracing::info!(
                        error = e.error().unwrap_or_default(),
                        "nested execution ended without success"
                    );
                }
            });
            return Ok(json!({"ExecutionArn": arn, "StartDate": start}));
        }
        let mut ended = child.run(runtime, input.clone(), options).await;
        // A child parked in the store (a long Wait) or continued by another
        // process has not ended: this runtime serves it from the store, and
        // the task waits for its end there.
        if let Err(e) = &ended
            && e.interrupted()
            && runtime.is_durable()
        {
            child.serve(runtime).await;
            ended = match runtime.wait_for_execution(&arn).await {
                Ok(record) => ExecutionError::outcome_of(&record),
                Err(e) => {
                    return Err(Error::new(
                        names::TASK_FAILED,
                        format!("waiting for the nested execution {arn} failed: {e}"),
                    ));
                }
            };
        }
        let outcome = ended.map_err(|e| {
            let status = if e.timed_out() {
                "TIMED_OUT"
            } else if e.aborted() {
                "ABORTED"
            } else {
                "FAILED"
            };
            (
                status.to_string(),
                e.error().map(str::to_string),
                e.cause().map(str::to_string),
            )
        });
        let described = Described {
            arn,
            name,
            machine_arn: runtime.state_machine_arn(machine),
            input,
            start,
            stop: millis(OffsetDateTime::now_utc()),
            outcome,
        };
        return described.into_result(pattern);
    }
    // Not compiled into this program: Step Functions runs it.
    let started = inner
        .sfn
        .start_execution()
        .state_machine_arn(&machine_arn)
        .input(text_of(input))
        .name(name)
        .set_trace_header(trace_header)
        .send()
        .await
        .map_err(|e| service_error(PREFIX, e))?;
    let execution_arn = started.execution_arn().to_string();
    if !pattern.waits() {
        return Ok(json!({
            "ExecutionArn": execution_arn,
            "StartDate": started.start_date().to_millis().unwrap_or_default(),
        }));
    }
    let mut delay = inner.wait.initial;
    loop {
        tokio::time::sleep(delay).await;
        delay = inner.wait.next(delay);
        let d = inner
            .sfn
            .describe_execution()
            .execution_arn(&execution_arn)
            .send()
            .await
            .map_err(|e| service_error(PREFIX, e))?;
        use aws_sdk_sfn::types::ExecutionStatus as S;
        let status = d.status();
        if matches!(status, S::Running | S::PendingRedrive) {
            continue;
        }
        let parse = |text: Option<&str>| {
            text.map(|t| serde_json::from_str(t).unwrap_or_else(|_| Value::String(t.into())))
                .unwrap_or(Value::Null)
        };
        let outcome = if *status == S::Succeeded {
            Ok(parse(d.output()))
        } else {
            Err((
                status.as_str().to_string(),
                d.error().map(str::to_string),
                d.cause().map(str::to_string),
            ))
        };
        let described = Described {
            arn: execution_arn,
            name: d.name().unwrap_or_default().to_string(),
            machine_arn: d.state_machine_arn().to_string(),
            input: parse(d.input()),
            start: d.start_date().to_millis().unwrap_or_default(),
            stop: d
                .stop_date()
                .and_then(|t| t.to_millis().ok())
                .unwrap_or_default(),
            outcome,
        };
        return described.into_result(pattern);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn machine_names() {
        assert_eq!(
            machine_name("arn:aws:states:us-east-1:1:stateMachine:Child"),
            Some("Child")
        );
        assert_eq!(
            machine_name("arn:aws:states:us-east-1:1:stateMachine:Child:prod"),
            Some("Child")
        );
        assert_eq!(machine_name("arn:aws:states:us-east-1:1:activity:A"), None);
    }

    #[test]
    fn sync_gives_text_and_sync2_json() {
        let d = || Described {
            arn: "arn:x".into(),
            name: "n".into(),
            machine_arn: "arn:m".into(),
            input: json!({"a": 1}),
            start: 1,
            stop: 2,
            outcome: Ok(json!({"b": 2})),
        };
        let text = d().into_result(Pattern::Sync).unwrap();
        assert_eq!(text["Output"], "{\"b\":2}");
        assert_eq!(text["Status"], "SUCCEEDED");
        let as_json = d().into_result(Pattern::Sync2).unwrap();
        assert_eq!(as_json["Output"], json!({"b": 2}));
        let failed = Described {
            outcome: Err(("FAILED".into(), Some("Boom".into()), Some("why".into()))),
            ..d()
        }
        .into_result(Pattern::Sync2)
        .unwrap_err();
        assert_eq!(failed.name(), "States.TaskFailed");
        let cause: Value = serde_json::from_str(failed.cause().unwrap()).unwrap();
        assert_eq!(cause["Error"], "Boom");
        assert_eq!(cause["Status"], "FAILED");
    }
}
