//! The Amazon EKS control-plane integrations: create and delete clusters, node groups
//! and Fargate profiles, plain or `.sync`.
//!
//! Requests go through aws-sdk-eks (endpoint resolution, SigV4, retries, error
//! parsing). Step Functions accepts the whole EKS request in PascalCase, so the
//! request body is the task's `Parameters` with every key camel-cased, after a check
//! against the API's request shape below (an unknown field is `States.Runtime`); the
//! SDK's own body is replaced just before signing. The result is the service's JSON
//! answer with every key Pascal-cased, taken from the wire, so it carries every field
//! EKS returns and timestamps exactly as EKS's JSON has them (epoch seconds). Keys of
//! the user maps `tags` and `labels` are left as they are.

use std::sync::Arc;

use aws_sdk_eks::error::{ProvideErrorMetadata, SdkError};
use serde_json::{Map, Value, json};

use asl_lang::integrations::{self as catalogue, Api, Field, Shape};

use super::Inner;
use super::params::{Params, kind, unsupported};
use super::wire::{WireJson, sdk_error, send_wire};
use crate::error::{Error, names};
use crate::task::{BoxFuture, TaskContext};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum EksOp {
    CreateCluster,
    DeleteCluster,
    CreateNodegroup,
    DeleteNodegroup,
    CreateFargateProfile,
    DeleteFargateProfile,
}

impl EksOp {
    /// The control-plane operation of a catalogue API.
    fn of(api: Api) -> Result<Self, Error> {
        Ok(match api {
            Api::EksCreateCluster => EksOp::CreateCluster,
            Api::EksDeleteCluster => EksOp::DeleteCluster,
            Api::EksCreateNodegroup => EksOp::CreateNodegroup,
            Api::EksDeleteNodegroup => EksOp::DeleteNodegroup,
            Api::EksCreateFargateProfile => EksOp::CreateFargateProfile,
            Api::EksDeleteFargateProfile => EksOp::DeleteFargateProfile,
            other => {
                return Err(Error::runtime(format!(
                    "internal error: {} is not an EKS control-plane API",
                    other.resource_name()
                )));
            }
        })
    }

    fn is_delete(self) -> bool {
        matches!(
            self,
            EksOp::DeleteCluster | EksOp::DeleteNodegroup | EksOp::DeleteFargateProfile
        )
    }

    /// The key of the described object in the answer: `cluster`, `nodegroup`, ...
    fn object_key(self) -> &'static str {
        match self {
            EksOp::CreateCluster | EksOp::DeleteCluster => "cluster",
            EksOp::CreateNodegroup | EksOp::DeleteNodegroup => "nodegroup",
            EksOp::CreateFargateProfile | EksOp::DeleteFargateProfile => "fargateProfile",
        }
    }
}

/// `Name` → `name`, `Ec2SshKey` → `ec2SshKey`.
fn camel(key: &str) -> String {
    let mut chars = key.chars();
    match chars.next() {
        Some(first) => first.to_ascii_lowercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

/// `createdAt` → `CreatedAt`.
fn pascal(key: &str) -> String {
    let mut chars = key.chars();
    match chars.next() {
        Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

/// Checks one value against its shape and camel-cases its keys.
fn to_request(resource: &str, path: &str, value: Value, shape: Shape) -> Result<Value, Error> {
    match (shape, value) {
        (Shape::Value(_) | Shape::Map, v) => Ok(v),
        (Shape::Object(fields), Value::Object(map)) => {
            to_request_object(resource, path, map, fields)
        }
        (Shape::List(fields), Value::Array(items)) => items
            .into_iter()
            .enumerate()
            .map(|(i, item)| match item {
                Value::Object(map) => {
                    to_request_object(resource, &format!("{path}[{i}]"), map, fields)
                }
                other => Err(Error::runtime(format!(
                    "The field '{path}[{i}]' of {resource} must be an object, got {}",
                    kind(&other)
                ))),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array),
        (Shape::Open, v) => Ok(camel_all(v)),
        (Shape::Object(_), other) => Err(Error::runtime(format!(
            "The field '{path}' of {resource} must be an object, got {}",
            kind(&other)
        ))),
        (Shape::List(_), other) => Err(Error::runtime(format!(
            "The field '{path}' of {resource} must be a list, got {}",
            kind(&other)
        ))),
    }
}

fn to_request_object(
    resource: &str,
    path: &str,
    map: Map<String, Value>,
    fields: &'static [Field],
) -> Result<Value, Error> {
    let mut out = Map::with_capacity(map.len());
    for (key, value) in map {
        let full = if path.is_empty() {
            key.clone()
        } else {
            format!("{path}.{key}")
        };
        let Some(field) = fields.iter().find(|f| f.name == key) else {
            return Err(unsupported(resource, &full));
        };
        if value.is_null() {
            continue;
        }
        out.insert(
            camel(&key),
            to_request(resource, &full, value, field.shape)?,
        );
    }
    Ok(Value::Object(out))
}

fn camel_all(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (camel(&k), camel_all(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(camel_all).collect()),
        v => v,
    }
}

/// EKS's JSON answer as Step Functions returns it: keys Pascal-cased, user maps kept.
pub(crate) fn to_result(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| {
                    let v = if k == "tags" || k == "labels" {
                        v
                    } else {
                        to_result(v)
                    };
                    (pascal(&k), v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(to_result).collect()),
        v => v,
    }
}

fn eks_error<E, R>(err: SdkError<E, R>) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    sdk_error("EKS", err)
}

/// EKS's JSON answer, Pascal-cased.
fn take_answer(slot: &std::sync::Mutex<Option<Vec<u8>>>) -> Result<Value, Error> {
    super::wire::take_answer("EKS", slot).map(to_result)
}

/// The names that identify the object, for Describe* while waiting.
struct Ids {
    cluster: String,
    object: Option<String>,
}

pub(crate) async fn run(
    inner: &Inner,
    task: &TaskContext<'_>,
    resource: &str,
    api: Api,
    sync: bool,
    parameters: Value,
) -> Result<Value, Error> {
    let op = EksOp::of(api)?;
    let params = Params::new(resource, parameters)?;
    let fields = params.into_rest();
    // The request's fields come from the shared catalogue (the compiler checks
    // literal parameters against the same table).
    let mut body = match to_request_object(resource, "", fields, api.spec().request)? {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    // The SDK would fill in the idempotency token of a create; its body is replaced,
    // so fill it here, once, so that the SDK's own retries stay idempotent. Inside
    // an execution the token is derived from the execution, the state entry and
    // the attempt: the same attempt run again after a crash sends the same
    // token, and EKS creates nothing twice.
    if !op.is_delete() && !body.contains_key("clientRequestToken") {
        let token = task
            .idempotency_token()
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        body.insert("clientRequestToken".into(), Value::String(token));
    }
    let text = |key: &str| -> Result<String, Error> {
        match body.get(key) {
            Some(Value::String(s)) => Ok(s.clone()),
            Some(other) => Err(Error::runtime(format!(
                "The field '{}' of {resource} must be a string, got {}",
                pascal(key),
                kind(other)
            ))),
            None => Err(Error::runtime(format!(
                "The field '{}' is required by {resource} but is missing",
                pascal(key)
            ))),
        }
    };
    let ids = match op {
        EksOp::CreateCluster | EksOp::DeleteCluster => Ids {
            cluster: text("name")?,
            object: None,
        },
        EksOp::CreateNodegroup | EksOp::DeleteNodegroup => Ids {
            cluster: text("clusterName")?,
            object: Some(text("nodegroupName")?),
        },
        EksOp::CreateFargateProfile | EksOp::DeleteFargateProfile => Ids {
            cluster: text("clusterName")?,
            object: Some(text("fargateProfileName")?),
        },
    };
    // A create sends the whole request (a node group's or Fargate profile's
    // clusterName goes in the URL path, not the body); a delete sends none.
    let wire = if op.is_delete() {
        None
    } else {
        if ids.object.is_some() {
            body.remove("clusterName");
        }
        Some(serde_json::to_string(&body).map_err(|e| Error::runtime(e.to_string()))?)
    };
    let (icpt, answer) = WireJson::sending(wire);
    let (client, cluster, object) = (&inner.eks, &ids.cluster, ids.object.as_deref());
    let object = object.unwrap_or_default();
    macro_rules! send {
        ($operation:expr) => {
            send_wire!($operation, icpt, eks_error)
        };
    }
    let sent = match op {
        EksOp::CreateCluster => send!(client.create_cluster().name(cluster)),
        EksOp::DeleteCluster => send!(client.delete_cluster().name(cluster)),
        EksOp::CreateNodegroup => send!(
            client
                .create_nodegroup()
                .cluster_name(cluster)
                .nodegroup_name(object)
        ),
        EksOp::DeleteNodegroup => send!(
            client
                .delete_nodegroup()
                .cluster_name(cluster)
                .nodegroup_name(object)
        ),
        EksOp::CreateFargateProfile => send!(
            client
                .create_fargate_profile()
                .cluster_name(cluster)
                .fargate_profile_name(object)
        ),
        EksOp::DeleteFargateProfile => send!(
            client
                .delete_fargate_profile()
                .cluster_name(cluster)
                .fargate_profile_name(object)
        ),
    };
    let first = match sent {
        Ok(()) => {
            let first = take_answer(&answer)?;
            if let Some((kind, id)) = created(op, &ids) {
                task.created(kind, id).await?;
            }
            first
        }
        // A create that this execution already made (it ran this state before a
        // crash, and recorded the object): the object is this execution's own,
        // so the task goes on with it instead of failing.
        Err(e) if e.name() == "EKS.ResourceInUseException" => match created(op, &ids) {
            Some((kind, id)) if task.was_created(kind, &id).await => {
                describe(inner, op, &ids).await?
            }
            _ => return Err(e),
        },
        Err(e) => return Err(e),
    };
    if !sync {
        return Ok(first);
    }
    wait(inner, task, op, &ids, first).await
}

/// What a create makes, as cleanup records it: its kind and the delete
/// request's parameters.
fn created(op: EksOp, ids: &Ids) -> Option<(&'static str, Value)> {
    let object = ids.object.clone().unwrap_or_default();
    Some(match op {
        EksOp::CreateCluster => (CLUSTER, json!({"Name": ids.cluster})),
        EksOp::CreateNodegroup => (
            NODEGROUP,
            json!({"ClusterName": ids.cluster, "NodegroupName": object}),
        ),
        EksOp::CreateFargateProfile => (
            FARGATE_PROFILE,
            json!({"ClusterName": ids.cluster, "FargateProfileName": object}),
        ),
        _ => return None,
    })
}

/// The kinds of resources EKS creates, as recorded for cleanup.
pub(crate) const CLUSTER: &str = "eks:cluster";
pub(crate) const NODEGROUP: &str = "eks:nodegroup";
pub(crate) const FARGATE_PROFILE: &str = "eks:fargateProfile";

/// Deletes an EKS object an execution created, waiting until it is gone.
pub(crate) struct Cleaner {
    pub(crate) inner: Arc<Inner>,
    pub(crate) api: Api,
}

impl crate::exec::Cleaner for Cleaner {
    fn delete<'a>(&'a self, id: &'a Value) -> BoxFuture<'a, Result<bool, Error>> {
        Box::pin(async move {
            let resource = catalogue::Integration {
                api: self.api,
                pattern: catalogue::Pattern::Sync,
                partition: catalogue::Partition::Aws,
            }
            .arn();
            let task = TaskContext::new(&resource, "cleanup");
            match run(&self.inner, &task, &resource, self.api, true, id.clone()).await {
                Ok(_) => Ok(true),
                Err(e) if e.name() == "EKS.ResourceNotFoundException" => Ok(false),
                Err(e) => Err(e),
            }
        })
    }
}

/// Polls Describe* on the schedule until the object is ACTIVE (create) or gone
/// (delete). Returns the last description (create) or the delete's own answer.
async fn wait(
    inner: &Inner,
    task: &TaskContext<'_>,
    op: EksOp,
    ids: &Ids,
    first: Value,
) -> Result<Value, Error> {
    let mut last = first;
    let mut delay = inner.wait.initial;
    loop {
        match verdict(op, &last) {
            Verdict::Done => return Ok(last),
            Verdict::Failed => return Err(Error::new(names::TASK_FAILED, last.to_string())),
            Verdict::Pending => {}
        }
        tokio::time::sleep(delay).await;
        delay = inner.wait.next(delay);
        // Every poll is progress: it restarts the state's HeartbeatSeconds clock.
        task.send_heartbeat();
        match describe(inner, op, ids).await {
            Ok(description) if op.is_delete() => {
                // The delete's own answer stays the result; only a failure matters.
                if verdict(op, &description) == Verdict::Failed {
                    return Err(Error::new(names::TASK_FAILED, description.to_string()));
                }
            }
            Ok(description) => last = description,
            Err(e) if op.is_delete() && e.name() == "EKS.ResourceNotFoundException" => {
                return Ok(last);
            }
            Err(e) => return Err(e),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Verdict {
    Done,
    Failed,
    Pending,
}

/// What a description means for a `.sync` task. A create is done at `ACTIVE` and has
/// failed at `FAILED`/`CREATE_FAILED` (or a node group's `DEGRADED`, which never turns
/// `ACTIVE` by itself); a delete is done only when Describe answers
/// `ResourceNotFoundException`, and has failed at `DELETE_FAILED` (or a cluster's
/// `FAILED`).
fn verdict(op: EksOp, description: &Value) -> Verdict {
    let status = description
        .get(pascal(op.object_key()))
        .and_then(|o| o.get("Status"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    match (op.is_delete(), status) {
        (false, "ACTIVE") => Verdict::Done,
        (false, "FAILED" | "CREATE_FAILED" | "DEGRADED") => Verdict::Failed,
        (true, "FAILED" | "DELETE_FAILED") => Verdict::Failed,
        _ => Verdict::Pending,
    }
}

async fn describe(inner: &Inner, op: EksOp, ids: &Ids) -> Result<Value, Error> {
    let client = &inner.eks;
    let (icpt, answer) = WireJson::sending(None);
    let object = ids.object.clone().unwrap_or_default();
    match op {
        EksOp::CreateCluster | EksOp::DeleteCluster => {
            send_wire!(
                client.describe_cluster().name(&ids.cluster),
                icpt,
                eks_error
            )?;
        }
        EksOp::CreateNodegroup | EksOp::DeleteNodegroup => {
            send_wire!(
                client
                    .describe_nodegroup()
                    .cluster_name(&ids.cluster)
                    .nodegroup_name(object),
                icpt,
                eks_error
            )?;
        }
        EksOp::CreateFargateProfile | EksOp::DeleteFargateProfile => {
            send_wire!(
                client
                    .describe_fargate_profile()
                    .cluster_name(&ids.cluster)
                    .fargate_profile_name(object),
                icpt,
                eks_error
            )?;
        }
    }
    take_answer(&answer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parameters_are_checked_and_camel_cased() {
        let params = json!({
            "Name": "c", "RoleArn": "r",
            "ResourcesVpcConfig": {"SubnetIds": ["s1"], "EndpointPublicAccess": true},
            "Tags": {"Team": "x"},
            "EncryptionConfig": [{"Resources": ["secrets"], "Provider": {"KeyArn": "k"}}]
        });
        let Value::Object(map) = params else {
            unreachable!()
        };
        let out = to_request_object("r", "", map, Api::EksCreateCluster.spec().request).unwrap();
        assert_eq!(
            out,
            json!({"name": "c", "roleArn": "r",
                "resourcesVpcConfig": {"subnetIds": ["s1"], "endpointPublicAccess": true},
                "tags": {"Team": "x"},
                "encryptionConfig": [{"resources": ["secrets"], "provider": {"keyArn": "k"}}]})
        );
    }

    #[test]
    fn unknown_nested_fields_are_runtime_errors() {
        let Value::Object(map) = json!({"Name": "c", "ResourcesVpcConfig": {"SubnetId": ["s"]}})
        else {
            unreachable!()
        };
        let err = to_request_object(
            "eks:createCluster",
            "",
            map,
            Api::EksCreateCluster.spec().request,
        )
        .unwrap_err();
        assert_eq!(err.name(), "States.Runtime");
        assert!(
            err.cause().unwrap().contains("ResourcesVpcConfig.SubnetId"),
            "{err}"
        );
        let Value::Object(map) = json!({"Taints": {"Key": "k"}}) else {
            unreachable!()
        };
        assert!(
            to_request_object("r", "", map, Api::EksCreateNodegroup.spec().request)
                .unwrap_err()
                .cause()
                .unwrap()
                .contains("a list")
        );
    }

    #[test]
    fn sync_verdicts_follow_the_status() {
        let c = |s: &str| json!({"Cluster": {"Status": s}});
        let n = |s: &str| json!({"Nodegroup": {"Status": s}});
        assert_eq!(
            verdict(EksOp::CreateCluster, &c("CREATING")),
            Verdict::Pending
        );
        assert_eq!(verdict(EksOp::CreateCluster, &c("ACTIVE")), Verdict::Done);
        assert_eq!(verdict(EksOp::CreateCluster, &c("FAILED")), Verdict::Failed);
        assert_eq!(
            verdict(EksOp::CreateNodegroup, &n("CREATE_FAILED")),
            Verdict::Failed
        );
        assert_eq!(
            verdict(EksOp::CreateNodegroup, &n("DEGRADED")),
            Verdict::Failed
        );
        assert_eq!(
            verdict(EksOp::CreateNodegroup, &c("ACTIVE")),
            Verdict::Pending,
            "wrong object"
        );
        let f = json!({"FargateProfile": {"Status": "ACTIVE"}});
        assert_eq!(verdict(EksOp::CreateFargateProfile, &f), Verdict::Done);
        // Deletes finish only at NotFound; deleting a failed node group is fine.
        assert_eq!(
            verdict(EksOp::DeleteCluster, &c("DELETING")),
            Verdict::Pending
        );
        assert_eq!(
            verdict(EksOp::DeleteCluster, &c("ACTIVE")),
            Verdict::Pending
        );
        assert_eq!(
            verdict(EksOp::DeleteNodegroup, &n("CREATE_FAILED")),
            Verdict::Pending
        );
        assert_eq!(
            verdict(EksOp::DeleteNodegroup, &n("DELETE_FAILED")),
            Verdict::Failed
        );
    }

    #[test]
    fn results_are_pascal_cased_but_user_maps_are_kept() {
        let answer = json!({"nodegroup": {"nodegroupName": "n", "createdAt": 1.7e9,
            "labels": {"app.kubernetes.io/name": "x"}, "tags": {"team": "y"},
            "taints": [{"key": "k", "effect": "NO_SCHEDULE"}]}});
        assert_eq!(
            to_result(answer),
            json!({"Nodegroup": {"NodegroupName": "n", "CreatedAt": 1.7e9,
                "Labels": {"app.kubernetes.io/name": "x"}, "Tags": {"team": "y"},
                "Taints": [{"Key": "k", "Effect": "NO_SCHEDULE"}]}})
        );
    }
}
