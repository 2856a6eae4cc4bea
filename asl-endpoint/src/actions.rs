//! The actions: each reads its members as the API model names them, calls the
//! runtime's execution API, and answers the model's output shape.

use asl_runtime::exec::{ExecutionOptions, aws_history};
use asl_runtime::store::{
    ExecutionRecord, ExecutionStatus, ListFilter, MapRunCounts, MapRunUpdate, PageRequest,
};
use asl_runtime::{ExecutionError, Runtime};
use base64::Engine as _;
use serde_json::{Map, Value, json};
use time::OffsetDateTime;

use crate::deploy::{Deployer, Machine};
use crate::wire::{Failure, Request, epoch};

/// Every operation of AWS Step Functions' API model (2016-11-23): a name
/// here that this endpoint does not serve is refused as not served, any other
/// name as `UnknownOperationException`.
const OPERATIONS: &[&str] = &[
    "CreateActivity",
    "CreateStateMachine",
    "CreateStateMachineAlias",
    "DeleteActivity",
    "DeleteStateMachine",
    "DeleteStateMachineAlias",
    "DeleteStateMachineVersion",
    "DescribeActivity",
    "DescribeExecution",
    "DescribeMapRun",
    "DescribeStateMachine",
    "DescribeStateMachineAlias",
    "DescribeStateMachineForExecution",
    "GetActivityTask",
    "GetExecutionHistory",
    "ListActivities",
    "ListExecutions",
    "ListMapRuns",
    "ListStateMachineAliases",
    "ListStateMachineVersions",
    "ListStateMachines",
    "ListTagsForResource",
    "PublishStateMachineVersion",
    "RedriveExecution",
    "SendTaskFailure",
    "SendTaskHeartbeat",
    "SendTaskSuccess",
    "StartExecution",
    "StartSyncExecution",
    "StopExecution",
    "TagResource",
    "TestState",
    "UntagResource",
    "UpdateMapRun",
    "UpdateStateMachine",
    "UpdateStateMachineAlias",
    "ValidateStateMachineDefinition",
];

/// The largest definition AWS accepts (1 MiB of text).
pub(crate) const MAX_DEFINITION: usize = 1_048_576;

/// What the actions answer from: the runtime and when this endpoint began
/// serving its state machines (their `creationDate`).
pub(crate) struct Api {
    pub(crate) runtime: Runtime,
    pub(crate) created: OffsetDateTime,
    /// State machines created over the API: their records and who builds them.
    pub(crate) deployments: Option<Deployments>,
}

/// The registry of state machines of an endpoint that takes
/// CreateStateMachine, UpdateStateMachine and DeleteStateMachine.
pub(crate) struct Deployments {
    pub(crate) deployer: std::sync::Arc<dyn Deployer>,
    pub(crate) machines: std::sync::Mutex<Vec<Machine>>,
    /// One change at a time: each deploys the set the previous one left.
    pub(crate) changing: tokio::sync::Mutex<()>,
}

impl Deployments {
    pub(crate) fn get(&self, name: &str) -> Option<Machine> {
        self.all().into_iter().find(|m| m.name == name)
    }

    pub(crate) fn all(&self) -> Vec<Machine> {
        self.machines
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    pub(crate) fn set(&self, machines: Vec<Machine>) {
        *self
            .machines
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = machines;
    }
}

impl Api {
    /// Runs action `action` with the request's members: the output object.
    pub(crate) async fn call(
        &self,
        action: &str,
        members: &Map<String, Value>,
    ) -> Result<Value, Failure> {
        let r = Request { members };
        match action {
            "StartExecution" => self.start_execution(&r).await,
            "StartSyncExecution" => self.start_sync_execution(&r).await,
            "DescribeExecution" => self.describe_execution(&r).await,
            "ListExecutions" => self.list_executions(&r).await,
            "GetExecutionHistory" => self.get_execution_history(&r).await,
            "StopExecution" => self.stop_execution(&r).await,
            "RedriveExecution" => self.redrive_execution(&r).await,
            "DescribeMapRun" => self.describe_map_run(&r).await,
            "ListMapRuns" => self.list_map_runs(&r).await,
            "UpdateMapRun" => self.update_map_run(&r).await,
            "DescribeStateMachine" => self.describe_state_machine(&r).await,
            "DescribeStateMachineForExecution" => {
                self.describe_state_machine_for_execution(&r).await
            }
            "ListStateMachines" => self.list_state_machines(&r),
            "ValidateStateMachineDefinition" => validate_state_machine_definition(&r),
            "SendTaskSuccess" => self.send_task_success(&r).await,
            "SendTaskFailure" => self.send_task_failure(&r).await,
            "SendTaskHeartbeat" => self.send_task_heartbeat(&r).await,
            "CreateActivity" => self.create_activity(&r).await,
            "DescribeActivity" => self.describe_activity(&r).await,
            "ListActivities" => self.list_activities(&r).await,
            "DeleteActivity" => self.delete_activity(&r).await,
            "GetActivityTask" => self.get_activity_task(&r).await,
            "CreateStateMachine" | "UpdateStateMachine" | "DeleteStateMachine"
                if self.deployments.is_none() =>
            {
                Err(Failure::validation(format!(
                    "{action} is not available: this endpoint serves compiled workflows only \
                     (compile the definition with asl! and register it with \
                     RuntimeBuilder::workflow, or serve definition files with `asl serve`)"
                )))
            }
            "CreateStateMachine" => self.create_state_machine(&r).await,
            "UpdateStateMachine" => self.update_state_machine(&r).await,
            "DeleteStateMachine" => self.delete_state_machine(&r).await,
            _ if OPERATIONS.contains(&action) => Err(Failure::client(
                "UnsupportedOperation",
                format!("{action} is not served by this endpoint"),
            )),
            _ => Err(unknown_operation()),
        }
    }

    async fn start_execution(&self, r: &Request<'_>) -> Result<Value, Failure> {
        let (arn, input, options) = self.start_request(r)?;
        self.check_startable(arn, false).await?;
        let started = self.runtime.start_execution_of(arn, input, options).await?;
        Ok(json!({
            "executionArn": started.execution_arn,
            "startDate": epoch(started.start_date),
        }))
    }

    /// The members StartExecution and StartSyncExecution share, checked.
    fn start_request<'r>(
        &self,
        r: &'r Request<'_>,
    ) -> Result<(&'r str, Value, ExecutionOptions), Failure> {
        let arn = r.arn("stateMachineArn")?;
        let name = r.bounded("name", 80)?;
        let input = r.data("input")?;
        r.bounded("traceHeader", 256)?;
        self.state_machine(arn)?;
        let mut options = ExecutionOptions::default();
        if let Some(name) = name {
            check_name(name)?;
            options = options.name(name);
        }
        let input = match input {
            None => Value::Object(Map::new()),
            Some(text) => serde_json::from_str(text).map_err(|e| {
                Failure::client(
                    "InvalidExecutionInput",
                    format!("Invalid State Machine Execution Input: '{e}'"),
                )
            })?,
        };
        Ok((arn, input, options))
    }

    async fn start_sync_execution(&self, r: &Request<'_>) -> Result<Value, Failure> {
        let (arn, input, options) = self.start_request(r)?;
        self.check_startable(arn, true).await?;
        let metadata_only = included_data(r)?;
        let machine = self.state_machine(arn)?;
        let name = options
            .execution_name()
            .map(str::to_string)
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        let id = uuid::Uuid::new_v4().to_string();
        let execution_arn = self.runtime.express_execution_arn(machine.name, &name, &id);
        let input_text = input.to_string();
        let start = OffsetDateTime::now_utc();
        let outcome = machine
            .run(
                &self.runtime,
                input,
                options.name(name.clone()).express(true).express_id(id),
            )
            .await;
        let stop = OffsetDateTime::now_utc();
        let mut out = json!({
            "executionArn": execution_arn,
            "stateMachineArn": arn,
            "name": name,
            "startDate": epoch(start),
            "stopDate": epoch(stop),
        });
        let o = out.as_object_mut().expect("an object");
        data(o, "input", Some(input_text), metadata_only);
        match outcome {
            Ok(output) => {
                o.insert("status".into(), json!("SUCCEEDED"));
                data(o, "output", Some(output.to_string()), metadata_only);
            }
            Err(e) => {
                let status = if e.timed_out() { "TIMED_OUT" } else { "FAILED" };
                o.insert("status".into(), json!(status));
                put_error(o, &e);
            }
        }
        Ok(out)
    }

    async fn describe_execution(&self, r: &Request<'_>) -> Result<Value, Failure> {
        let arn = execution_arn(r)?;
        let metadata_only = included_data(r)?;
        let record = self.runtime.describe_execution(arn).await?;
        let mut out = self.execution_description(&record, metadata_only);
        if let Some(map_run) = self.runtime.execution_map_run(arn).await? {
            out["mapRunArn"] = json!(map_run);
        }
        Ok(out)
    }

    fn execution_description(&self, record: &ExecutionRecord, metadata_only: bool) -> Value {
        let mut out = Map::new();
        out.insert("executionArn".into(), json!(record.arn));
        out.insert(
            "stateMachineArn".into(),
            json!(self.runtime.state_machine_arn(&record.workflow)),
        );
        out.insert("name".into(), json!(record.name));
        out.insert("status".into(), json!(record.status.as_str()));
        out.insert("startDate".into(), epoch(record.start_date));
        if let Some(stop) = record.stop_date {
            out.insert("stopDate".into(), epoch(stop));
        }
        data(
            &mut out,
            "input",
            Some(record.input.to_string()),
            metadata_only,
        );
        if record.status == ExecutionStatus::Succeeded {
            let output = record.output.as_ref().unwrap_or(&Value::Null).to_string();
            data(&mut out, "output", Some(output), metadata_only);
        }
        if let Some(error) = &record.error {
            out.insert("error".into(), json!(error));
        }
        if let Some(cause) = &record.cause {
            out.insert("cause".into(), json!(cause));
        }
        out.insert("redriveCount".into(), json!(record.redrive_count));
        if let Some(date) = record.redrive_date {
            out.insert("redriveDate".into(), epoch(date));
        }
        if record.status.is_redrivable() {
            out.insert("redriveStatus".into(), json!("REDRIVABLE"));
        } else {
            out.insert("redriveStatus".into(), json!("NOT_REDRIVABLE"));
            out.insert(
                "redriveStatusReason".into(),
                json!(format!(
                    "Execution is {} and cannot be redriven",
                    record.status.as_str()
                )),
            );
        }
        Value::Object(out)
    }

    async fn list_executions(&self, r: &Request<'_>) -> Result<Value, Failure> {
        let arn = r.bounded("stateMachineArn", 256)?;
        let map_run = r.bounded("mapRunArn", 2000)?;
        let statuses: Vec<&str> = ExecutionStatus::ALL.iter().map(|s| s.as_str()).collect();
        let status = r.one_of("statusFilter", &statuses)?;
        let redrive = r.one_of("redriveFilter", &["REDRIVEN", "NOT_REDRIVEN"])?;
        let page = page_request(r, "nextToken", 3096)?;
        let status = status.and_then(ExecutionStatus::parse);
        let (listed, next_token, machine_arn): (Vec<(ExecutionRecord, Option<u64>)>, _, _) =
            match (arn, map_run) {
                (Some(arn), None) => {
                    let machine = self.state_machine(arn)?;
                    let filter = ListFilter {
                        workflow: Some(machine.name.to_string()),
                        status,
                    };
                    let listed = self.runtime.list_executions_page(&filter, &page).await?;
                    let items = listed.items.into_iter().map(|e| (e, None)).collect();
                    (items, listed.next_token, None)
                }
                (None, Some(map_run)) => {
                    check_arn(map_run, "mapRun", 8)?;
                    let listed = self
                        .runtime
                        .list_map_run_executions(map_run, status, &page)
                        .await?;
                    let items = listed
                        .items
                        .into_iter()
                        .map(|(e, items)| (e, Some(items)))
                        .collect::<Vec<_>>();
                    (items, listed.next_token, Some(map_run))
                }
                _ => {
                    return Err(Failure::validation(
                        "Must provide a StateMachine ARN or a MapRun ARN, not both",
                    ));
                }
            };
        let executions: Vec<Value> = listed
            .iter()
            .filter(|(e, _)| match redrive {
                Some("REDRIVEN") => e.redrive_count > 0,
                Some("NOT_REDRIVEN") => e.redrive_count == 0,
                _ => true,
            })
            .map(|(e, item_count)| {
                let mut item = json!({
                    "executionArn": e.arn,
                    "stateMachineArn": self.runtime.state_machine_arn(&e.workflow),
                    "name": e.name,
                    "status": e.status.as_str(),
                    "startDate": epoch(e.start_date),
                    "redriveCount": e.redrive_count,
                });
                let o = item.as_object_mut().expect("an object");
                if let Some(stop) = e.stop_date {
                    o.insert("stopDate".into(), epoch(stop));
                }
                if let Some(date) = e.redrive_date {
                    o.insert("redriveDate".into(), epoch(date));
                }
                // Only when listed by Map Run, as AWS returns them.
                if let Some(map_run) = machine_arn {
                    o.insert("mapRunArn".into(), json!(map_run));
                }
                if let Some(n) = item_count {
                    o.insert("itemCount".into(), json!(n));
                }
                item
            })
            .collect();
        let mut out = json!({ "executions": executions });
        if let Some(token) = next_token {
            out["nextToken"] = json!(token);
        }
        Ok(out)
    }

    async fn get_execution_history(&self, r: &Request<'_>) -> Result<Value, Failure> {
        let arn = execution_arn(r)?;
        let reverse = r.boolean("reverseOrder")?.unwrap_or(false);
        let with_data = r.boolean("includeExecutionData")?.unwrap_or(true);
        let page = page_request(r, "nextToken", 1024)?;
        let listed = self
            .runtime
            .get_execution_history_page(arn, &page, reverse)
            .await?;
        let mut rendered = aws_history(&listed.items, self.runtime.region());
        if let Some(events) = rendered.get_mut("events").and_then(Value::as_array_mut) {
            for (event, stored) in events.iter_mut().zip(&listed.items) {
                let Some(event) = event.as_object_mut() else {
                    continue;
                };
                event.insert("timestamp".into(), epoch(stored.timestamp));
                if !with_data {
                    for (key, details) in event.iter_mut() {
                        if let (true, Some(details)) =
                            (key.ends_with("EventDetails"), details.as_object_mut())
                        {
                            details.remove("input");
                            details.remove("output");
                        }
                    }
                }
            }
        }
        let mut out = json!({ "events": rendered.get("events").cloned().unwrap_or(json!([])) });
        if let Some(token) = listed.next_token {
            out["nextToken"] = json!(token);
        }
        Ok(out)
    }

    async fn stop_execution(&self, r: &Request<'_>) -> Result<Value, Failure> {
        let arn = execution_arn(r)?;
        let error = r.bounded("error", 256)?;
        let cause = r.bounded("cause", 32768)?;
        let date = self.runtime.stop_execution(arn, error, cause).await?;
        Ok(json!({ "stopDate": epoch(date) }))
    }

    async fn redrive_execution(&self, r: &Request<'_>) -> Result<Value, Failure> {
        let arn = execution_arn(r)?;
        r.bounded("clientToken", 64)?;
        let date = self.runtime.redrive(arn).await?;
        Ok(json!({ "redriveDate": epoch(date) }))
    }

    async fn describe_map_run(&self, r: &Request<'_>) -> Result<Value, Failure> {
        let arn = map_run_arn(r)?;
        let run = self.runtime.describe_map_run(arn).await?;
        let mut out = json!({
            "mapRunArn": run.arn,
            "executionArn": run.execution_arn,
            "status": run.status.as_str(),
            "startDate": epoch(run.start_date),
            "maxConcurrency": run.max_concurrency,
            "toleratedFailurePercentage": run.tolerated_failure_percentage,
            "toleratedFailureCount": run.tolerated_failure_count,
            "itemCounts": map_run_counts(&run.items, run.total_items, run.result_writer),
            "executionCounts": map_run_counts(&run.children, run.total_children, run.result_writer),
            "redriveCount": run.redrive_count,
        });
        if let Some(stop) = run.stop_date {
            out["stopDate"] = epoch(stop);
        }
        if let Some(date) = run.redrive_date {
            out["redriveDate"] = epoch(date);
        }
        Ok(out)
    }

    async fn list_map_runs(&self, r: &Request<'_>) -> Result<Value, Failure> {
        let arn = execution_arn(r)?;
        let page = page_request(r, "nextToken", 1024)?;
        let listed = self.runtime.list_map_runs(arn, &page).await?;
        let machine = self.runtime.describe_execution(arn).await?.workflow;
        let machine_arn = self.runtime.state_machine_arn(&machine);
        let runs: Vec<Value> = listed
            .items
            .iter()
            .map(|run| {
                let mut item = json!({
                    "executionArn": run.execution_arn,
                    "mapRunArn": run.arn,
                    "stateMachineArn": machine_arn,
                    "startDate": epoch(run.start_date),
                });
                if let Some(stop) = run.stop_date {
                    item["stopDate"] = epoch(stop);
                }
                item
            })
            .collect();
        let mut out = json!({ "mapRuns": runs });
        if let Some(token) = listed.next_token {
            out["nextToken"] = json!(token);
        }
        Ok(out)
    }

    async fn update_map_run(&self, r: &Request<'_>) -> Result<Value, Failure> {
        let arn = map_run_arn(r)?;
        let max_concurrency = r.integer("maxConcurrency", 0, i64::from(i32::MAX))?;
        let count = r.integer("toleratedFailureCount", 0, i64::MAX)?;
        let percentage = match r.members.get("toleratedFailurePercentage") {
            None | Some(Value::Null) => None,
            Some(Value::Number(n)) => match n.as_f64() {
                Some(p) if (0.0..=100.0).contains(&p) => Some(p),
                _ => {
                    return Err(Failure::validation(format!(
                        "1 validation error detected: Value '{n}' at 'toleratedFailurePercentage' failed to satisfy constraint: Member must have value between 0 and 100"
                    )));
                }
            },
            Some(other) => {
                return Err(Failure::client(
                    "SerializationException",
                    format!("toleratedFailurePercentage must be a number, not {other}"),
                ));
            }
        };
        let update = MapRunUpdate {
            max_concurrency: max_concurrency.map(|n| n as u32),
            tolerated_failure_count: count.map(|n| n as u64),
            tolerated_failure_percentage: percentage,
        };
        self.runtime.update_map_run(arn, &update).await?;
        Ok(json!({}))
    }

    async fn describe_state_machine(&self, r: &Request<'_>) -> Result<Value, Failure> {
        let arn = r.arn("stateMachineArn")?;
        included_data(r)?;
        let record = self.record(arn).await?;
        let machine = self.state_machine(arn)?;
        let mut out = json!({
            "stateMachineArn": arn,
            "name": machine.name,
            "status": "ACTIVE",
            "definition": machine.definition(),
            "roleArn": self.runtime.role_arn(),
            "type": "STANDARD",
            "creationDate": epoch(self.created),
            "revisionId": machine.definition_hash(),
        });
        if let Some(m) = &record {
            self.describe_record(m, &mut out);
        }
        Ok(out)
    }

    async fn describe_state_machine_for_execution(
        &self,
        r: &Request<'_>,
    ) -> Result<Value, Failure> {
        let arn = execution_arn(r)?;
        included_data(r)?;
        let record = self.runtime.describe_execution(arn).await?;
        let machine_arn = self.runtime.state_machine_arn(&record.workflow);
        let machine = self.state_machine(&machine_arn)?;
        let mut out = json!({
            "stateMachineArn": machine_arn,
            "name": machine.name,
            "definition": machine.definition(),
            "roleArn": self.runtime.role_arn(),
            "updateDate": epoch(self.created),
            "revisionId": record.definition_hash,
        });
        let known = self
            .deployments
            .as_ref()
            .and_then(|d| d.all().into_iter().find(|m| m.name == machine.name));
        if let Some(m) = known {
            out["roleArn"] = json!(m.role_arn);
            out["updateDate"] = epoch(m.updated);
        }
        Ok(out)
    }

    fn list_state_machines(&self, r: &Request<'_>) -> Result<Value, Failure> {
        let page = page_request(r, "nextToken", 1024)?;
        let size = page
            .size()
            .map_err(|e| Failure::validation(e.to_string()))?;
        let after = match &page.next_token {
            None => None,
            Some(token) => Some(
                base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .decode(token)
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok())
                    .ok_or_else(|| {
                        Failure::client("InvalidToken", format!("Invalid Token: '{token}'"))
                    })?,
            ),
        };
        let records = self.deployments.as_ref().map(|d| d.all());
        let record = |name: &str| {
            records
                .as_ref()
                .and_then(|all| all.iter().find(|m| m.name == name))
        };
        let machines: Vec<_> = self
            .runtime
            .workflows()
            .into_iter()
            .filter(|w| after.as_deref().is_none_or(|after| w.name > after))
            // A machine being deleted is listed no more.
            .filter(|w| records.is_none() || record(w.name).is_some_and(|m| !m.deleting))
            .collect();
        let items: Vec<Value> = machines
            .iter()
            .take(size)
            .map(|w| {
                let (kind, created) = record(w.name)
                    .map_or(("STANDARD", self.created), |m| (m.kind.as_str(), m.created));
                json!({
                    "stateMachineArn": self.runtime.state_machine_arn(w.name),
                    "name": w.name,
                    "type": kind,
                    "creationDate": epoch(created),
                })
            })
            .collect();
        let mut out = json!({ "stateMachines": items });
        if machines.len() > size {
            let last = machines[size - 1].name;
            out["nextToken"] = json!(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(last));
        }
        Ok(out)
    }

    async fn send_task_success(&self, r: &Request<'_>) -> Result<Value, Failure> {
        let token = task_token(r)?;
        r.required("output")?;
        let output = r.data("output")?.unwrap_or_default();
        self.runtime.send_task_success(token, output).await?;
        Ok(json!({}))
    }

    async fn send_task_failure(&self, r: &Request<'_>) -> Result<Value, Failure> {
        let token = task_token(r)?;
        let error = r.bounded("error", 256)?;
        let cause = r.bounded("cause", 32768)?;
        self.runtime.send_task_failure(token, error, cause).await?;
        Ok(json!({}))
    }

    async fn send_task_heartbeat(&self, r: &Request<'_>) -> Result<Value, Failure> {
        let token = task_token(r)?;
        self.runtime.send_task_heartbeat(token).await?;
        Ok(json!({}))
    }

    async fn create_activity(&self, r: &Request<'_>) -> Result<Value, Failure> {
        r.required("name")?;
        let name = r.bounded("name", 80)?.unwrap_or_default();
        check_name(name)?;
        let activity = self.runtime.create_activity(name).await?;
        Ok(json!({
            "activityArn": activity.arn,
            "creationDate": epoch(activity.creation_date),
        }))
    }

    async fn describe_activity(&self, r: &Request<'_>) -> Result<Value, Failure> {
        let arn = activity_arn(r)?;
        let activity = self.runtime.describe_activity(arn).await?;
        Ok(json!({
            "activityArn": activity.arn,
            "name": activity.name,
            "creationDate": epoch(activity.creation_date),
        }))
    }

    async fn list_activities(&self, r: &Request<'_>) -> Result<Value, Failure> {
        let page = page_request(r, "nextToken", 1024)?;
        let listed = self.runtime.list_activities(&page).await?;
        let activities: Vec<Value> = listed
            .items
            .iter()
            .map(|a| {
                json!({
                    "activityArn": a.arn,
                    "name": a.name,
                    "creationDate": epoch(a.creation_date),
                })
            })
            .collect();
        let mut out = json!({ "activities": activities });
        if let Some(token) = listed.next_token {
            out["nextToken"] = json!(token);
        }
        Ok(out)
    }

    async fn delete_activity(&self, r: &Request<'_>) -> Result<Value, Failure> {
        let arn = activity_arn(r)?;
        self.runtime.delete_activity(arn).await?;
        Ok(json!({}))
    }

    /// A long poll (up to the runtime's activity poll time, AWS's 60 s): a
    /// task's token and input, or no members when none came.
    async fn get_activity_task(&self, r: &Request<'_>) -> Result<Value, Failure> {
        let arn = activity_arn(r)?;
        let worker = r.bounded("workerName", 80)?;
        match self.runtime.get_activity_task(arn, worker).await? {
            Some(task) => Ok(json!({"taskToken": task.task_token, "input": task.input})),
            None => Ok(json!({})),
        }
    }

    /// The registered workflow state machine ARN `arn` names.
    fn state_machine(&self, arn: &str) -> Result<asl_runtime::exec::ChildWorkflow, Failure> {
        check_arn(arn, "stateMachine", 7)?;
        self.runtime
            .workflows()
            .into_iter()
            .find(|w| self.runtime.state_machine_arn(w.name) == arn)
            .ok_or_else(|| {
                Failure::client(
                    "StateMachineDoesNotExist",
                    format!("State Machine Does Not Exist: '{arn}'"),
                )
            })
    }
}

pub(crate) fn unknown_operation() -> Failure {
    Failure::client("UnknownOperationException", "")
}

/// `includedData`: `true` for `METADATA_ONLY`.
fn included_data(r: &Request<'_>) -> Result<bool, Failure> {
    Ok(r.one_of("includedData", &["ALL_DATA", "METADATA_ONLY"])? == Some("METADATA_ONLY"))
}

/// `input`/`output` with its `*Details` (`included`).
fn data(out: &mut Map<String, Value>, key: &str, text: Option<String>, metadata_only: bool) {
    if metadata_only {
        out.insert(format!("{key}Details"), json!({"included": false}));
    } else if let Some(text) = text {
        out.insert(key.into(), json!(text));
        out.insert(format!("{key}Details"), json!({"included": true}));
    }
}

fn put_error(out: &mut Map<String, Value>, e: &ExecutionError) {
    if let Some(error) = e.error() {
        out.insert("error".into(), json!(error));
    }
    if let Some(cause) = e.cause() {
        out.insert("cause".into(), json!(cause));
    }
}

/// `maxResults` and the token member `token` (at most `max_token` long).
fn page_request(r: &Request<'_>, token: &str, max_token: usize) -> Result<PageRequest, Failure> {
    let max_results = r.integer("maxResults", 0, 1000)?.unwrap_or(0);
    let next_token = r.bounded(token, max_token)?.map(str::to_string);
    Ok(PageRequest {
        max_results: max_results as usize,
        next_token,
    })
}

/// The request's `taskToken` (1 to 2,048 characters, as the model bounds it).
fn task_token<'r>(r: &'r Request<'_>) -> Result<&'r str, Failure> {
    r.required("taskToken")?;
    Ok(r.bounded("taskToken", 2048)?.unwrap_or_default())
}

/// The request's `activityArn`.
fn activity_arn<'r>(r: &'r Request<'_>) -> Result<&'r str, Failure> {
    let arn = r.arn("activityArn")?;
    check_arn(arn, "activity", 7)?;
    Ok(arn)
}

/// The request's `mapRunArn` (`arn:...:mapRun:<machine>/<label>:<id>`).
fn map_run_arn<'r>(r: &'r Request<'_>) -> Result<&'r str, Failure> {
    r.required("mapRunArn")?;
    let arn = r.bounded("mapRunArn", 2000)?.unwrap_or_default();
    check_arn(arn, "mapRun", 8)?;
    Ok(arn)
}

/// `itemCounts` / `executionCounts` of DescribeMapRun: `total` from the
/// start when the items were given whole, else those read so far (at least
/// those started); `pending` those read and not started (yet, or ever when
/// the Map Run failed first), without those waiting to run again after a
/// redrive (`pendingRedrive`); `failuresNotRedrivable` the unsuccessful ones
/// a redrive would not run again. With a `ResultWriter`, each ended child's
/// result is written as it ends.
fn map_run_counts(counts: &MapRunCounts, total: Option<u64>, result_writer: bool) -> Value {
    let stored = counts.stored() + counts.pending_redrive;
    let total = total.unwrap_or(stored).max(stored);
    let ended = counts.succeeded + counts.failed + counts.timed_out + counts.aborted;
    json!({
        "pending": total - stored,
        "running": counts.running,
        "succeeded": counts.succeeded,
        "failed": counts.failed,
        "timedOut": counts.timed_out,
        "aborted": counts.aborted,
        "total": total,
        "resultsWritten": if result_writer { ended } else { 0 },
        "failuresNotRedrivable": counts.failures_not_redrivable,
        "pendingRedrive": counts.pending_redrive,
    })
}

/// The request's `executionArn`, which must be a Standard execution's.
fn execution_arn<'r>(r: &'r Request<'_>) -> Result<&'r str, Failure> {
    let arn = r.arn("executionArn")?;
    check_arn(arn, "execution", 8)?;
    Ok(arn)
}

/// `arn:PARTITION:states:REGION:ACCOUNT:TYPE:...` with `parts` parts, else
/// AWS's `InvalidArn`.
pub(crate) fn check_arn(arn: &str, resource_type: &str, parts: usize) -> Result<(), Failure> {
    let invalid = |why: String| Failure::client("InvalidArn", format!("Invalid Arn: '{why}'"));
    let split: Vec<&str> = arn.split(':').collect();
    if split.len() < 6 || split[0] != "arn" || split[2] != "states" {
        return Err(invalid(format!("Invalid ARN prefix: {arn}")));
    }
    if split[5] != resource_type {
        return Err(invalid(format!(
            "Resource type not valid in this context: {}",
            split[5]
        )));
    }
    if split.len() != parts || split[6..].iter().any(|p| p.is_empty()) {
        return Err(invalid(format!("Invalid Arn resource id: {arn}")));
    }
    Ok(())
}

/// AWS's rule for execution names: no whitespace, brackets, wildcards,
/// special or control characters.
fn check_name(name: &str) -> Result<(), Failure> {
    let bad = name.chars().any(asl_lang::names::is_refused);
    if bad {
        return Err(Failure::client(
            "InvalidName",
            format!("Invalid Name: '{name}'"),
        ));
    }
    Ok(())
}

/// ValidateStateMachineDefinition, answered by the compiler's checks: every
/// problem as an `ERROR` diagnostic with the rule as its code and the JSON
/// pointer as its location.
fn validate_state_machine_definition(r: &Request<'_>) -> Result<Value, Failure> {
    let definition = r.required("definition")?;
    if definition.len() > MAX_DEFINITION {
        return Err(Failure::validation(format!(
            "Value at 'definition' failed to satisfy constraint: Member must have length less than or equal to {MAX_DEFINITION}"
        )));
    }
    r.one_of("type", &["STANDARD", "EXPRESS"])?;
    r.one_of("severity", &["ERROR", "WARNING"])?;
    let max = r
        .integer("maxResults", 0, 100)?
        .filter(|n| *n > 0)
        .unwrap_or(100) as usize;
    let diagnostics: Vec<Value> = match asl_build::load(definition.as_bytes(), "definition") {
        Ok(_) => Vec::new(),
        Err(found) => found
            .iter()
            .map(|d| {
                let mut message = d.message.clone();
                if let Some(help) = &d.help {
                    message = format!("{message} ({help})");
                }
                json!({
                    "severity": "ERROR",
                    "code": d.rule.name(),
                    "message": message,
                    "location": d.origin.pointer,
                })
            })
            .collect(),
    };
    let result = if diagnostics.is_empty() { "OK" } else { "FAIL" };
    let truncated = diagnostics.len() > max;
    let diagnostics: Vec<Value> = diagnostics.into_iter().take(max).collect();
    Ok(json!({
        "result": result,
        "diagnostics": diagnostics,
        "truncated": truncated,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns_are_checked_as_aws_does() {
        let ok = "arn:aws:states:us-east-1:123456789012:stateMachine:Flow";
        assert!(check_arn(ok, "stateMachine", 7).is_ok());
        let e = check_arn("Flow", "stateMachine", 7).unwrap_err();
        assert_eq!(e.name, "InvalidArn");
        assert!(e.message.contains("Invalid ARN prefix"), "{}", e.message);
        let e = check_arn(ok, "execution", 8).unwrap_err();
        assert!(
            e.message.contains("Resource type not valid"),
            "{}",
            e.message
        );
        assert!(
            check_arn(
                "arn:aws:states:us-east-1:1:stateMachine:",
                "stateMachine",
                7
            )
            .is_err()
        );
    }

    #[test]
    fn execution_names_refuse_what_aws_refuses() {
        assert!(check_name("nightly-2026_12.07").is_ok());
        for bad in ["a b", "a/b", "a:b", "a*", "tab\there"] {
            assert_eq!(check_name(bad).unwrap_err().name, "InvalidName", "{bad}");
        }
    }

    #[test]
    fn validation_reports_every_problem_located() {
        let members = json!({
            "definition": r#"{"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}}}"#
        });
        let out = validate_state_machine_definition(&Request {
            members: members.as_object().unwrap(),
        })
        .unwrap();
        assert_eq!(out["result"], "FAIL");
        let next = out["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["code"] == "asl::unknown-next-state")
            .unwrap();
        assert_eq!(next["severity"], "ERROR");
        assert_eq!(next["location"], "/States/A/Next");
    }
}
