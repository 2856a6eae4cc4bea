//! `asl executions ...`: the execution API over a store, as the AWS CLI's
//! `aws stepfunctions` commands are over Step Functions: start, describe, list,
//! history, stop, redrive. The store is a SQLite file or a `postgres://` URL,
//! the one the program that runs the workflow was given (`--store`).
//!
//! The CLI does not run workflows: a started or redriven execution waits in the
//! store, unowned, until a runtime serving that workflow claims it
//! (`Runtime::resume`/`start_execution` keep claiming). Output is JSON with AWS's
//! field names.

use std::sync::Arc;

use asl_runtime::store::{
    ExecutionRecord, ExecutionStatus, ExecutionStore, Inserted, ListFilter, Position,
    PostgresStore, SqliteStore, StoredEvent,
};
use serde_json::{Map, Value, json};
use time::OffsetDateTime;

#[derive(clap::Args)]
pub struct ExecutionsArgs {
    /// The store: a SQLite file, or a postgres://user@host:port/db URL.
    #[arg(long, global = true, value_name = "LOCATION")]
    store: Option<String>,
    #[command(subcommand)]
    command: ExecutionsCommand,
}

#[derive(clap::Subcommand)]
enum ExecutionsCommand {
    /// StartExecution: store a new execution for a runtime serving the workflow to run.
    Start {
        /// The definition the program was compiled from (its StartAt and hash).
        #[arg(long, value_name = "FILE")]
        definition: String,
        /// The workflow's name: the generated type's (`asl!(Name = ...)`).
        #[arg(long)]
        workflow: String,
        /// The execution name (default: a random UUID).
        #[arg(long)]
        name: Option<String>,
        /// The execution input, as JSON.
        #[arg(long, default_value = "{}")]
        input: String,
        #[command(flatten)]
        location: super::Location,
    },
    /// DescribeExecution.
    Describe { execution_arn: String },
    /// ListExecutions, newest first.
    List {
        /// Only this workflow's executions.
        #[arg(long)]
        workflow: Option<String>,
        /// RUNNING, SUCCEEDED, FAILED, TIMED_OUT or ABORTED.
        #[arg(long)]
        status: Option<String>,
    },
    /// GetExecutionHistory.
    History { execution_arn: String },
    /// StopExecution: ABORTED with an error and cause.
    Stop {
        execution_arn: String,
        #[arg(long)]
        error: Option<String>,
        #[arg(long)]
        cause: Option<String>,
    },
    /// RedriveExecution: restart a FAILED, TIMED_OUT or ABORTED execution from the
    /// state that did not succeed.
    Redrive { execution_arn: String },
}

/// Runs one `asl executions` command; prints its JSON answer.
pub fn run(args: ExecutionsArgs) -> Result<(), String> {
    let Some(location) = args.store.clone() else {
        return Err("--store LOCATION is required (a SQLite file or a postgres:// URL)".into());
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start: {e}"))?;
    runtime.block_on(async move {
        let store = open(&location).await?;
        let answer = command(&*store, args.command).await?;
        println!(
            "{}",
            serde_json::to_string_pretty(&answer).unwrap_or_default()
        );
        Ok(())
    })
}

async fn open(location: &str) -> Result<Arc<dyn ExecutionStore>, String> {
    if location.starts_with("postgres://") || location.starts_with("postgresql://") {
        let store = PostgresStore::connect(location)
            .await
            .map_err(|e| e.to_string())?;
        Ok(Arc::new(store))
    } else {
        if !std::path::Path::new(location).exists() {
            return Err(format!("no store at {location}"));
        }
        Ok(Arc::new(
            SqliteStore::open(location).map_err(|e| e.to_string())?,
        ))
    }
}

fn api(e: asl_runtime::store::StoreError) -> String {
    e.to_string()
}

async fn command(store: &dyn ExecutionStore, command: ExecutionsCommand) -> Result<Value, String> {
    let now = OffsetDateTime::now_utc();
    match command {
        ExecutionsCommand::Describe { execution_arn } => {
            let record = store.describe(&execution_arn).await.map_err(api)?;
            Ok(describe(&record))
        }
        ExecutionsCommand::List { workflow, status } => {
            let status = match status {
                Some(s) => Some(ExecutionStatus::parse(&s).ok_or_else(|| {
                    format!(
                        "--status {s}: expected RUNNING, SUCCEEDED, FAILED, TIMED_OUT or ABORTED"
                    )
                })?),
                None => None,
            };
            let list = store
                .list(&ListFilter { workflow, status })
                .await
                .map_err(api)?;
            let executions: Vec<Value> = list
                .iter()
                .map(|r| {
                    json!({
                        "executionArn": r.arn,
                        "stateMachineArn": state_machine_arn(&r.arn, &r.workflow),
                        "name": r.name,
                        "status": r.status.as_str(),
                        "startDate": date(r.start_date),
                        "stopDate": r.stop_date.map(date),
                        "redriveCount": r.redrive_count,
                    })
                })
                .collect();
            Ok(json!({"executions": executions}))
        }
        ExecutionsCommand::History { execution_arn } => {
            let events = store.history(&execution_arn).await.map_err(api)?;
            // AWS's GetExecutionHistory shape, as the runtime renders it.
            let region = execution_arn.split(':').nth(3).unwrap_or_default();
            Ok(asl_runtime::exec::aws_history(&events, region))
        }
        ExecutionsCommand::Stop {
            execution_arn,
            error,
            cause,
        } => {
            let stopped = store
                .stop(&execution_arn, error.as_deref(), cause.as_deref(), now)
                .await
                .map_err(api)?;
            Ok(json!({"stopDate": date(stopped)}))
        }
        ExecutionsCommand::Redrive { execution_arn } => {
            let record = store.redrive(&execution_arn, now).await.map_err(api)?;
            Ok(json!({"redriveDate": record.redrive_date.map(date)}))
        }
        ExecutionsCommand::Start {
            definition,
            workflow,
            name,
            input,
            location:
                super::Location {
                    region,
                    account,
                    partition,
                },
        } => {
            let bytes =
                std::fs::read(&definition).map_err(|e| format!("cannot read {definition}: {e}"))?;
            let machine = asl_build::load(&bytes, &definition).map_err(|d| d.to_string())?;
            // The hash of the definition as compiled: JSON (a YAML file converted).
            let hash = std::str::from_utf8(&bytes)
                .ok()
                .and_then(|text| {
                    asl_build::source::prepare(text, &definition, &Default::default()).ok()
                })
                .and_then(|p| asl_build::codegen::definition_hash(p.json.as_bytes()))
                .unwrap_or_default();
            let input: Value =
                serde_json::from_str(&input).map_err(|e| format!("--input is not JSON: {e}"))?;
            let name = name.unwrap_or_else(|| uuid_like(now));
            let arn =
                format!("arn:{partition}:states:{region}:{account}:execution:{workflow}:{name}");
            let now = now
                .replace_nanosecond(now.millisecond() as u32 * 1_000_000)
                .unwrap_or(now);
            // Unowned: the first runtime serving the workflow claims it.
            let record = ExecutionRecord {
                next_event_id: 2,
                ..ExecutionRecord::started(
                    arn.clone(),
                    name,
                    workflow,
                    hash,
                    input.clone(),
                    now,
                    Position::at(
                        machine.start_at.value.clone(),
                        input.clone(),
                        Value::Object(Map::new()),
                    ),
                )
            };
            let started = StoredEvent {
                id: 1,
                timestamp: now,
                event_type: "ExecutionStarted".into(),
                state: None,
                previous_event_id: 0,
                details: json!({"input": input}),
            };
            let start_date = match store.insert(&record, &[started]).await.map_err(api)? {
                Inserted::Created => now,
                Inserted::Existing(found) => found.start_date,
            };
            Ok(json!({"executionArn": arn, "startDate": date(start_date)}))
        }
    }
}

/// A name for an execution started without one: unique enough, readable.
fn uuid_like(now: OffsetDateTime) -> String {
    let nanos = now.unix_timestamp_nanos();
    format!(
        "{:08x}-{:04x}-{:04x}",
        (nanos >> 32) as u32,
        (nanos >> 16) as u16,
        std::process::id() as u16
    )
}

fn state_machine_arn(execution_arn: &str, workflow: &str) -> String {
    // arn:<partition>:states:<region>:<account>:execution:<machine>:<name>
    let parts: Vec<&str> = execution_arn.splitn(8, ':').collect();
    if parts.len() == 8 {
        format!(
            "arn:{}:states:{}:{}:stateMachine:{workflow}",
            parts[1], parts[3], parts[4]
        )
    } else {
        String::new()
    }
}

fn date(t: OffsetDateTime) -> String {
    asl_runtime::exec::format_timestamp(t)
}

fn describe(r: &ExecutionRecord) -> Value {
    let mut d = Map::new();
    d.insert("executionArn".into(), json!(r.arn));
    d.insert(
        "stateMachineArn".into(),
        json!(state_machine_arn(&r.arn, &r.workflow)),
    );
    d.insert("name".into(), json!(r.name));
    d.insert("status".into(), json!(r.status.as_str()));
    d.insert("startDate".into(), json!(date(r.start_date)));
    if let Some(t) = r.stop_date {
        d.insert("stopDate".into(), json!(date(t)));
    }
    // AWS hands input and output as JSON text.
    d.insert("input".into(), json!(r.input.to_string()));
    if let Some(o) = &r.output {
        d.insert("output".into(), json!(o.to_string()));
    }
    if let Some(e) = &r.error {
        d.insert("error".into(), json!(e));
    }
    if let Some(c) = &r.cause {
        d.insert("cause".into(), json!(c));
    }
    d.insert("redriveCount".into(), json!(r.redrive_count));
    if let Some(t) = r.redrive_date {
        d.insert("redriveDate".into(), json!(date(t)));
    }
    // Not AWS's: where the execution stands, and who runs it.
    if let Some(p) = &r.position {
        d.insert("currentState".into(), json!(p.state));
    }
    if let Some(o) = &r.owner {
        d.insert("owner".into(), json!(o));
    }
    if let Some(t) = r.lease_until {
        d.insert("leaseUntil".into(), json!(date(t)));
    }
    if let Some(t) = r.wake_at {
        d.insert("wakeAt".into(), json!(date(t)));
    }
    Value::Object(d)
}
