//! CreateStateMachine, UpdateStateMachine and DeleteStateMachine, and what the
//! other actions read from the registry of an endpoint that takes them (type,
//! role, dates, a machine being deleted). See [`crate::deploy`].

use asl_runtime::store::{ExecutionStatus, ListFilter, PageRequest};
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::actions::{Api, Deployments, MAX_DEFINITION, check_arn};
use crate::deploy::Machine;
use crate::wire::{Failure, Request, epoch};

impl Api {
    fn deployments(&self) -> Result<&Deployments, Failure> {
        self.deployments
            .as_ref()
            .ok_or_else(|| Failure::validation("this endpoint serves compiled workflows only"))
    }

    /// The registry's record of the machine `arn` names, when this endpoint
    /// keeps one; a machine being deleted whose executions have all ended is
    /// gone (`StateMachineDoesNotExist`).
    pub(crate) async fn record(&self, arn: &str) -> Result<Option<Machine>, Failure> {
        let Some(deployments) = &self.deployments else {
            return Ok(None);
        };
        check_arn(arn, "stateMachine", 7)?;
        let found = deployments
            .get(name_of(arn))
            .filter(|m| self.runtime.state_machine_arn(&m.name) == arn);
        match found {
            Some(m) if m.deleting && !self.has_running(&m.name).await? => Err(does_not_exist(arn)),
            Some(m) => Ok(Some(m)),
            None => Err(does_not_exist(arn)),
        }
    }

    /// StartExecution and StartSyncExecution's refusals for a registered
    /// machine: being deleted; and StartSyncExecution of a STANDARD one.
    pub(crate) async fn check_startable(&self, arn: &str, sync: bool) -> Result<(), Failure> {
        if let Some(m) = self.record(arn).await? {
            if m.deleting {
                return Err(Failure::client(
                    "StateMachineDeleting",
                    format!("State Machine is being deleted: '{arn}'"),
                ));
            }
            if sync && m.kind != "EXPRESS" {
                return Err(Failure::client(
                    "StateMachineTypeNotSupported",
                    "This operation is not supported by this type of state machine",
                ));
            }
        }
        Ok(())
    }

    async fn has_running(&self, name: &str) -> Result<bool, Failure> {
        let filter = ListFilter {
            workflow: Some(name.to_string()),
            status: Some(ExecutionStatus::Running),
        };
        let page = PageRequest {
            max_results: 1,
            next_token: None,
        };
        Ok(!self
            .runtime
            .list_executions_page(&filter, &page)
            .await?
            .items
            .is_empty())
    }

    pub(crate) async fn create_state_machine(&self, r: &Request<'_>) -> Result<Value, Failure> {
        let deployments = self.deployments()?;
        let name = r.required("name")?;
        if !asl_lang::names::is_valid_name(name) {
            return Err(Failure::client(
                "InvalidName",
                format!("Invalid Name: '{name}'"),
            ));
        }
        let definition = definition(r, true)?.unwrap_or_default();
        let role_arn = role_arn(r, true)?.unwrap_or_default();
        let kind = r
            .one_of("type", &["STANDARD", "EXPRESS"])?
            .unwrap_or("STANDARD")
            .to_string();
        if r.boolean("publish")? == Some(true) {
            return Err(Failure::validation(
                "publish is not available: this endpoint keeps no state machine versions",
            ));
        }
        let arn = self.runtime.state_machine_arn(name);
        let _one = deployments.changing.lock().await;
        if let Some(existing) = deployments.get(name) {
            // Idempotent, as AWS is: the same definition, role and type
            // answer the machine that exists.
            if !existing.deleting
                && existing.definition == definition
                && existing.role_arn == role_arn
                && existing.kind == kind
            {
                return Ok(json!({
                    "stateMachineArn": arn,
                    "creationDate": epoch(existing.created),
                }));
            }
            return Err(Failure::client(
                "StateMachineAlreadyExists",
                format!("State Machine Already Exists: '{arn}'"),
            ));
        }
        check_definition(&definition)?;
        let now = OffsetDateTime::now_utc();
        let machine = Machine {
            name: name.to_string(),
            definition,
            kind,
            role_arn,
            created: now,
            updated: now,
            deleting: false,
        };
        let mut next = self.live(deployments).await?;
        next.push(machine);
        next.sort_by(|a, b| a.name.cmp(&b.name));
        deploy(deployments, next).await?;
        Ok(json!({ "stateMachineArn": arn, "creationDate": epoch(now) }))
    }

    pub(crate) async fn update_state_machine(&self, r: &Request<'_>) -> Result<Value, Failure> {
        let deployments = self.deployments()?;
        let arn = r.arn("stateMachineArn")?;
        let definition = definition(r, false)?;
        let role_arn = role_arn(r, false)?;
        if r.boolean("publish")? == Some(true) {
            return Err(Failure::validation(
                "publish is not available: this endpoint keeps no state machine versions",
            ));
        }
        let logging = r.members.contains_key("loggingConfiguration")
            || r.members.contains_key("tracingConfiguration");
        if definition.is_none() && role_arn.is_none() && !logging {
            return Err(Failure::client(
                "MissingRequiredParameter",
                "Either the definition, the roleArn, the loggingConfiguration or the tracingConfiguration must be specified",
            ));
        }
        let _one = deployments.changing.lock().await;
        let Some(current) = self.record(arn).await? else {
            return Err(does_not_exist(arn));
        };
        if current.deleting {
            return Err(Failure::client(
                "StateMachineDeleting",
                format!("State Machine is being deleted: '{arn}'"),
            ));
        }
        if let Some(definition) = &definition {
            check_definition(definition)?;
        }
        let now = OffsetDateTime::now_utc();
        let updated = Machine {
            definition: definition.unwrap_or(current.definition.clone()),
            role_arn: role_arn.unwrap_or(current.role_arn.clone()),
            updated: now,
            ..current.clone()
        };
        let revision = updated.revision_id();
        let mut next = self.live(deployments).await?;
        for m in &mut next {
            if m.name == updated.name {
                *m = updated.clone();
            }
        }
        // A new role alone builds nothing: the program is the one cached.
        deploy(deployments, next).await?;
        Ok(json!({ "updateDate": epoch(now), "revisionId": revision }))
    }

    pub(crate) async fn delete_state_machine(&self, r: &Request<'_>) -> Result<Value, Failure> {
        let deployments = self.deployments()?;
        let arn = r.arn("stateMachineArn")?;
        check_arn(arn, "stateMachine", 7)?;
        let _one = deployments.changing.lock().await;
        let name = name_of(arn);
        let Some(current) = deployments
            .get(name)
            .filter(|m| self.runtime.state_machine_arn(&m.name) == arn)
        else {
            // AWS answers a machine that does not exist as deleted.
            return Ok(json!({}));
        };
        let mut next = self.live(deployments).await?;
        if self.has_running(name).await? {
            // Its executions run to their end; no new one starts.
            for m in &mut next {
                if m.name == current.name {
                    m.deleting = true;
                }
            }
        } else {
            next.retain(|m| m.name != current.name);
        }
        deploy(deployments, next).await?;
        Ok(json!({}))
    }

    /// The registry without the machines whose deletion finished (no
    /// execution of theirs runs any more).
    async fn live(&self, deployments: &Deployments) -> Result<Vec<Machine>, Failure> {
        let mut out = Vec::new();
        for m in deployments.all() {
            if m.deleting && !self.has_running(&m.name).await? {
                continue;
            }
            out.push(m);
        }
        Ok(out)
    }

    /// The DescribeStateMachine members the registry knows.
    pub(crate) fn describe_record(&self, m: &Machine, out: &mut Value) {
        out["status"] = json!(if m.deleting { "DELETING" } else { "ACTIVE" });
        out["type"] = json!(m.kind);
        out["roleArn"] = json!(m.role_arn);
        out["creationDate"] = epoch(m.created);
    }
}

/// Deploys `next` and keeps it as the registry once it runs (nothing to do
/// when it is the set served: a repeated delete, an update to the same text).
async fn deploy(deployments: &Deployments, next: Vec<Machine>) -> Result<(), Failure> {
    if next == deployments.all() {
        return Ok(());
    }
    deployments
        .deployer
        .deploy(next.clone())
        .await
        .map_err(|why| {
            Failure::server(format!("the state machines could not be deployed: {why}"))
        })?;
    deployments.set(next);
    Ok(())
}

fn name_of(arn: &str) -> &str {
    arn.rsplit_once(':').map_or(arn, |(_, name)| name)
}

fn does_not_exist(arn: &str) -> Failure {
    Failure::client(
        "StateMachineDoesNotExist",
        format!("State Machine Does Not Exist: '{arn}'"),
    )
}

fn definition(r: &Request<'_>, required: bool) -> Result<Option<String>, Failure> {
    let text = if required {
        Some(r.required("definition")?)
    } else {
        r.string("definition")?
    };
    if let Some(text) = text
        && text.len() > MAX_DEFINITION
    {
        return Err(Failure::validation(format!(
            "Value at 'definition' failed to satisfy constraint: Member must have length less than or equal to {MAX_DEFINITION}"
        )));
    }
    Ok(text.map(str::to_string))
}

fn role_arn(r: &Request<'_>, required: bool) -> Result<Option<String>, Failure> {
    let text = if required {
        Some(r.required("roleArn")?)
    } else {
        r.string("roleArn")?
    };
    if let Some(text) = text
        && (text.len() > 256 || !text.starts_with("arn:"))
    {
        return Err(Failure::client(
            "InvalidArn",
            format!("Invalid Arn: '{text}'"),
        ));
    }
    Ok(text.map(str::to_string))
}

/// What `asl!` would refuse, as AWS's InvalidDefinition: every diagnostic,
/// with its rule, its location (JSON pointer, line and column) and its help.
fn check_definition(text: &str) -> Result<(), Failure> {
    match asl_build::load_with(
        text.as_bytes(),
        "definition",
        &asl_build::CheckOptions::default(),
    ) {
        Ok(_) => Ok(()),
        Err(found) => {
            let problems: Vec<String> = found
                .iter()
                .map(|d| {
                    let mut text = format!(
                        "{}: {} at {} (line {}, column {})",
                        d.rule.name(),
                        d.message,
                        if d.origin.pointer.is_empty() {
                            "/"
                        } else {
                            &d.origin.pointer
                        },
                        d.origin.line,
                        d.origin.column
                    );
                    if let Some(help) = &d.help {
                        text.push_str(&format!("; {help}"));
                    }
                    text
                })
                .collect();
            Err(Failure::client(
                "InvalidDefinition",
                format!(
                    "Invalid State Machine Definition: '{}'",
                    problems.join(", ")
                ),
            ))
        }
    }
}
