//! State machines created, updated and deleted over the API.
//!
//! A compiled program cannot load new code, so an endpoint that takes
//! CreateStateMachine needs someone to build a program holding the new set of
//! definitions and switch to it: a [`Deployer`] (`asl serve` is one: it builds
//! the definitions into a worker program, as `asl test` builds its programs,
//! starts it, moves new connections to it and retires the old worker, whose
//! executions the new one takes over through the store). The endpoint checks
//! every request first (a definition `asl!` would refuse is AWS's
//! `InvalidDefinition`, with every diagnostic), keeps the [`Machine`] records
//! (name, type, role, dates, status) and answers once the deployer says the new
//! set can run.

use std::future::Future;
use std::pin::Pin;

use serde_json::{Map, Value, json};
use time::OffsetDateTime;

/// A state machine as the registry keeps it.
#[derive(Clone, Debug, PartialEq)]
pub struct Machine {
    /// Its name (the last part of its ARN).
    pub name: String,
    /// The definition's text, as created or last updated.
    pub definition: String,
    /// `STANDARD` or `EXPRESS`.
    pub kind: String,
    /// The role it was created with (reported, never assumed).
    pub role_arn: String,
    pub created: OffsetDateTime,
    pub updated: OffsetDateTime,
    /// DeleteStateMachine was called while executions of it ran: no new
    /// execution starts; it is gone once they have ended.
    pub deleting: bool,
}

impl Machine {
    /// The record as JSON (the registry file's form).
    pub fn to_json(&self) -> Value {
        json!({
            "name": self.name,
            "definition": self.definition,
            "type": self.kind,
            "roleArn": self.role_arn,
            "creationDate": millis(self.created),
            "updateDate": millis(self.updated),
            "status": if self.deleting { "DELETING" } else { "ACTIVE" },
        })
    }

    /// A record read back from [`Machine::to_json`]'s form.
    pub fn from_json(v: &Value) -> Result<Machine, String> {
        let text = |k: &str| {
            v.get(k)
                .and_then(Value::as_str)
                .map(str::to_string)
                .ok_or_else(|| format!("a state machine record has no \"{k}\""))
        };
        let date = |k: &str| {
            v.get(k)
                .and_then(Value::as_i64)
                .and_then(|ms| {
                    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).ok()
                })
                .ok_or_else(|| format!("a state machine record has no \"{k}\" date"))
        };
        Ok(Machine {
            name: text("name")?,
            definition: text("definition")?,
            kind: text("type")?,
            role_arn: text("roleArn")?,
            created: date("creationDate")?,
            updated: date("updateDate")?,
            deleting: v.get("status").and_then(Value::as_str) == Some("DELETING"),
        })
    }

    /// The revision id DescribeStateMachine reports: the definition's hash,
    /// which is also the hash executions record.
    pub fn revision_id(&self) -> String {
        asl_build::codegen::definition_hash(self.definition.as_bytes()).unwrap_or_default()
    }
}

fn millis(t: OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

/// A registry file's text: `{"stateMachines": [...]}`.
pub fn registry_to_json(machines: &[Machine]) -> String {
    let list: Vec<Value> = machines.iter().map(Machine::to_json).collect();
    let mut out = Map::new();
    out.insert("stateMachines".into(), Value::Array(list));
    serde_json::to_string_pretty(&Value::Object(out)).unwrap_or_default()
}

/// Reads a registry file's text.
pub fn registry_from_json(text: &str) -> Result<Vec<Machine>, String> {
    let v: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    v.get("stateMachines")
        .and_then(Value::as_array)
        .ok_or_else(|| "no \"stateMachines\" list".to_string())?
        .iter()
        .map(Machine::from_json)
        .collect()
}

/// What a deployment returns: nothing once the set runs, or why it cannot.
pub type DeployFuture<'a> = Pin<Box<dyn Future<Output = Result<(), String>> + Send + 'a>>;

/// Builds and switches to a program serving a new set of state machines.
pub trait Deployer: Send + Sync + 'static {
    /// Makes `machines` (every state machine, not only the changed one) the set
    /// served; resolves once requests reach a program that runs them, or with
    /// why that cannot be (the build failed). Called one at a time.
    fn deploy(&self, machines: Vec<Machine>) -> DeployFuture<'_>;
}
