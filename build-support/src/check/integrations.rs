//! Rules for the built-in service integrations (`../shared/reference/README.md`).
//!
//! In: Task states whose `Resource` is one of Amazon EKS (`eks:createCluster`,
//! ..., `eks:runJob`, `eks:call`) or Amazon SNS (`sns:publish`). Out: diagnostics
//! for missing required parameters, unknown parameters, bad literal values and
//! patterns the integration does not have. A parameter written as `Name.$` counts
//! as `Name`. Also [`known_resource`], which code generation uses to tell a
//! built-in integration from any other Resource.

use crate::diagnostics::Diagnostic;
use crate::model::{
    Integration, IntegrationApi, Origin, Pattern, StateKind, StateMachine, Task, Template,
    TemplateField, TemplateNode,
};

/// The partitions whose `arn:<partition>:states:::` prefix names an integration.
const PARTITIONS: [&str; 3] = ["aws", "aws-cn", "aws-us-gov"];

/// The built-in integration a Resource ARN names, if any:
/// `arn:aws:states:::eks:runJob.sync` → `EksRunJob` with `Pattern::Sync`.
/// An ARN whose pattern the API does not have (`eks:call.sync`) is not one.
pub fn known_resource(arn: &str) -> Option<Integration> {
    let (api, pattern) = parse_integration(arn)?;
    let supported = match pattern {
        Pattern::RequestResponse => true,
        Pattern::Sync => api.supports_sync(),
        Pattern::WaitForTaskToken => api == IntegrationApi::SnsPublish,
    };
    supported.then_some(Integration { api, pattern })
}

/// Splits `arn:<partition>:states:::<service>:<api>[.<pattern>]`.
fn parse_integration(arn: &str) -> Option<(IntegrationApi, Pattern)> {
    let rest = PARTITIONS.iter().find_map(|p| {
        arn.strip_prefix("arn:")?
            .strip_prefix(p)?
            .strip_prefix(":states:::")
    })?;
    let (name, pattern) = match rest.split_once('.') {
        None => (rest, Pattern::RequestResponse),
        Some((name, "sync")) => (name, Pattern::Sync),
        Some((name, "waitForTaskToken")) => (name, Pattern::WaitForTaskToken),
        Some(_) => return None,
    };
    let api = IntegrationApi::ALL
        .into_iter()
        .find(|a| a.resource_name() == name)?;
    Some((api, pattern))
}

/// Required and optional parameter names of each API (PascalCase, as Step
/// Functions passes them to the EKS/SNS API or the Kubernetes call).
fn parameters(api: IntegrationApi) -> (&'static [&'static str], &'static [&'static str]) {
    match api {
        IntegrationApi::EksCreateCluster => (
            &["Name", "ResourcesVpcConfig", "RoleArn"],
            &[
                "Version",
                "KubernetesNetworkConfig",
                "Logging",
                "ClientRequestToken",
                "Tags",
                "EncryptionConfig",
                "OutpostConfig",
                "AccessConfig",
                "BootstrapSelfManagedAddons",
                "UpgradePolicy",
                "ZonalShiftConfig",
                "RemoteNetworkConfig",
                "ComputeConfig",
                "StorageConfig",
                "DeletionProtection",
            ],
        ),
        IntegrationApi::EksDeleteCluster => (&["Name"], &[]),
        IntegrationApi::EksCreateNodegroup => (
            &["ClusterName", "NodegroupName", "NodeRole", "Subnets"],
            &[
                "ScalingConfig",
                "DiskSize",
                "InstanceTypes",
                "AmiType",
                "RemoteAccess",
                "Labels",
                "Taints",
                "Tags",
                "ClientRequestToken",
                "LaunchTemplate",
                "UpdateConfig",
                "NodeRepairConfig",
                "CapacityType",
                "Version",
                "ReleaseVersion",
            ],
        ),
        IntegrationApi::EksDeleteNodegroup => (&["ClusterName", "NodegroupName"], &[]),
        IntegrationApi::EksCreateFargateProfile => (
            &["ClusterName", "FargateProfileName", "PodExecutionRoleArn"],
            &["Subnets", "Selectors", "ClientRequestToken", "Tags"],
        ),
        IntegrationApi::EksDeleteFargateProfile => (&["ClusterName", "FargateProfileName"], &[]),
        IntegrationApi::EksRunJob => (
            &["ClusterName", "CertificateAuthority", "Endpoint", "Job"],
            &["Namespace", "LogOptions"],
        ),
        IntegrationApi::EksCall => (
            &[
                "ClusterName",
                "CertificateAuthority",
                "Endpoint",
                "Method",
                "Path",
            ],
            &["QueryParameters", "RequestBody"],
        ),
        IntegrationApi::SnsPublish => (
            &["Message"],
            &[
                "TopicArn",
                "TargetArn",
                "PhoneNumber",
                "Subject",
                "MessageStructure",
                "MessageAttributes",
                "MessageDeduplicationId",
                "MessageGroupId",
            ],
        ),
    }
}

/// The HTTP methods `eks:call` accepts.
pub const EKS_CALL_METHODS: [&str; 6] = ["GET", "POST", "PUT", "DELETE", "HEAD", "PATCH"];

/// Runs the integration rules on every Task of `machine`, nested ones included.
pub fn check_integrations(machine: &StateMachine, diags: &mut Vec<Diagnostic>) {
    for state in &machine.states {
        match &state.kind {
            StateKind::Task(task) => check_task(task, &state.name.value, &state.origin, diags),
            StateKind::Parallel(p) => p.branches.iter().for_each(|b| check_integrations(b, diags)),
            StateKind::Map(m) => check_integrations(&m.item_processor, diags),
            _ => {}
        }
    }
}

fn check_task(task: &Task, name: &str, state_origin: &Origin, diags: &mut Vec<Diagnostic>) {
    let arn = &task.resource.value.arn;
    if let Some((api, pattern)) = parse_integration(arn)
        && known_resource(arn).is_none()
    {
        unsupported_pattern(api, pattern, &task.resource.origin, diags);
        return;
    }
    let Some(integration) = task.integration() else {
        return;
    };
    let template = task.io.parameters.as_ref().or(task.io.arguments.as_ref());
    let fields: &[TemplateField] = match template.map(|t| &t.node) {
        Some(TemplateNode::Object(fields)) => fields,
        // An expression computes the whole object at run time: nothing to check here.
        Some(TemplateNode::Expression(_) | TemplateNode::Jsonata(_)) => return,
        Some(_) => {
            let t = template.expect("matched Some");
            diags.push(Diagnostic::new(
                "asl::integration-missing-parameter",
                format!(
                    "state \"{name}\" calls {}, whose parameters must be an object",
                    integration.api.resource_name()
                ),
                t.origin.clone(),
            ));
            return;
        }
        None => &[],
    };
    let at = template.map_or(state_origin, |t| &t.origin);
    missing_parameters(integration, name, fields, at, diags);
    unknown_parameters(integration, fields, diags);
    log_options_need_sync(integration, fields, diags);
    eks_call_method(integration, fields, diags);
    run_job_fields(integration, fields, diags);
    eks_call_query_parameters(integration, fields, diags);
    sns_publish_target(integration, name, fields, at, diags);
}

/// Rule `asl::integration-pattern`: the integration has no such pattern.
/// `arn:aws:states:::eks:call.sync` (eks:call only answers once).
fn unsupported_pattern(
    api: IntegrationApi,
    pattern: Pattern,
    origin: &Origin,
    diags: &mut Vec<Diagnostic>,
) {
    let suffix = match pattern {
        Pattern::Sync => ".sync",
        Pattern::WaitForTaskToken => ".waitForTaskToken",
        Pattern::RequestResponse => "",
    };
    diags.push(
        Diagnostic::new(
            "asl::integration-pattern",
            format!(
                "{} does not support the {suffix} pattern",
                api.resource_name()
            ),
            origin.clone(),
        )
        .with_help(format!("use arn:aws:states:::{}", api.resource_name())),
    );
}

/// Rule `asl::integration-missing-parameter`: every required parameter is
/// given, literally or as `Name.$`. runJob without `Job`.
fn missing_parameters(
    integration: Integration,
    name: &str,
    fields: &[TemplateField],
    at: &Origin,
    diags: &mut Vec<Diagnostic>,
) {
    let (required, _) = parameters(integration.api);
    for field in required {
        if !fields.iter().any(|f| f.name.value == *field) {
            diags.push(
                Diagnostic::new(
                    "asl::integration-missing-parameter",
                    format!(
                        "state \"{name}\" calls {} without the required parameter \"{field}\"",
                        integration.api.resource_name()
                    ),
                    at.clone(),
                )
                .with_help(format!(
                    "add \"{field}\" (or \"{field}.$\" to take it from the input)"
                )),
            );
        }
    }
}

/// Rule `asl::integration-unknown-parameter`: a parameter the API does not
/// have (a typo, or a field of another API). `"Namespce": "default"`
fn unknown_parameters(
    integration: Integration,
    fields: &[TemplateField],
    diags: &mut Vec<Diagnostic>,
) {
    let (required, optional) = parameters(integration.api);
    for f in fields {
        let known =
            required.contains(&f.name.value.as_str()) || optional.contains(&f.name.value.as_str());
        if !known {
            let all: Vec<&str> = required.iter().chain(optional).copied().collect();
            diags.push(
                Diagnostic::new(
                    "asl::integration-unknown-parameter",
                    format!(
                        "{} has no parameter \"{}\"",
                        integration.api.resource_name(),
                        f.name.value
                    ),
                    f.name.origin.clone(),
                )
                .with_help(format!("its parameters are {}", all.join(", "))),
            );
        }
    }
}

/// Rule `asl::log-options-without-sync`: `LogOptions` of `eks:runJob` only take
/// effect when the task waits for the job (`eks:runJob.sync`).
fn log_options_need_sync(
    integration: Integration,
    fields: &[TemplateField],
    diags: &mut Vec<Diagnostic>,
) {
    if integration.api != IntegrationApi::EksRunJob || integration.pattern == Pattern::Sync {
        return;
    }
    if let Some(f) = fields.iter().find(|f| f.name.value == "LogOptions") {
        diags.push(
            Diagnostic::new(
                "asl::log-options-without-sync",
                "\"LogOptions\" only apply to arn:aws:states:::eks:runJob.sync: without .sync the task does not wait for the job, so there are no logs to fetch",
                f.name.origin.clone(),
            )
            .with_help("use the Resource arn:aws:states:::eks:runJob.sync, or remove LogOptions"),
        );
    }
}

/// Rule `asl::integration-invalid-value`: the literal `Method` of `eks:call` is
/// one of GET, POST, PUT, DELETE, HEAD, PATCH. `"Method": "FETCH"`
fn eks_call_method(
    integration: Integration,
    fields: &[TemplateField],
    diags: &mut Vec<Diagnostic>,
) {
    if integration.api != IntegrationApi::EksCall {
        return;
    }
    let Some(f) = fields
        .iter()
        .find(|f| f.name.value == "Method" && !f.dynamic)
    else {
        return;
    };
    let ok = matches!(&f.value.node, TemplateNode::Literal(serde_json::Value::String(m)) if EKS_CALL_METHODS.contains(&m.as_str()));
    if !ok {
        diags.push(
            Diagnostic::new(
                "asl::integration-invalid-value",
                format!(
                    "eks:call \"Method\" must be one of {}",
                    EKS_CALL_METHODS.join(", ")
                ),
                f.value.origin.clone(),
            )
            .with_help("methods are upper case, e.g. \"GET\""),
        );
    }
}

/// The JSON type of a template node when it is known at compile time (a literal
/// or a literal structure); `None` for an expression.
fn literal_type(t: &Template) -> Option<&'static str> {
    match &t.node {
        TemplateNode::Object(_) | TemplateNode::Literal(serde_json::Value::Object(_)) => {
            Some("object")
        }
        TemplateNode::Array(_) | TemplateNode::Literal(serde_json::Value::Array(_)) => {
            Some("array")
        }
        TemplateNode::Literal(serde_json::Value::String(_)) => Some("string"),
        TemplateNode::Literal(serde_json::Value::Bool(_)) => Some("boolean"),
        TemplateNode::Literal(serde_json::Value::Number(_)) => Some("number"),
        TemplateNode::Literal(serde_json::Value::Null) => Some("null"),
        TemplateNode::Expression(_) | TemplateNode::Jsonata(_) => None,
    }
}

fn invalid_value(origin: &Origin, message: String, help: &str) -> Diagnostic {
    Diagnostic::new("asl::integration-invalid-value", message, origin.clone()).with_help(help)
}

/// Checks a literal "map of string to list of strings" (`QueryParameters`,
/// `LogParameters`): every value is an array of strings.
fn string_list_map(t: &Template, field: &str, diags: &mut Vec<Diagnostic>) {
    let TemplateNode::Object(entries) = &t.node else {
        if let Some(found) = literal_type(t).filter(|k| *k != "object") {
            diags.push(invalid_value(
                &t.origin,
                format!("\"{field}\" must be an object of string lists, found {found}"),
                "e.g. {\"tailLines\": [\"6\"]}",
            ));
        }
        return;
    };
    for e in entries {
        let ok = match &e.value.node {
            TemplateNode::Array(items) => items
                .iter()
                .all(|i| matches!(literal_type(i), None | Some("string"))),
            TemplateNode::Literal(serde_json::Value::Array(items)) => {
                items.iter().all(serde_json::Value::is_string)
            }
            _ => literal_type(&e.value).is_none(),
        };
        if !ok {
            diags.push(invalid_value(
                &e.value.origin,
                format!(
                    "\"{field}\" entry \"{}\" must be a list of strings",
                    e.name.value
                ),
                "each parameter takes a list, e.g. [\"6\"]",
            ));
        }
    }
}

/// Rule `asl::integration-invalid-value` (runJob): `Job` is a Job object (or
/// its JSON text), and `LogOptions` has only `RetrieveLogs` and `RawLogs`
/// (booleans) and `LogParameters` (string lists). `"LogOptions": {"RetrieveLog": true}`
fn run_job_fields(integration: Integration, fields: &[TemplateField], diags: &mut Vec<Diagnostic>) {
    if integration.api != IntegrationApi::EksRunJob {
        return;
    }
    let job = fields.iter().find(|f| f.name.value == "Job");
    if let Some(job) = job
        && let Some(found) = literal_type(&job.value).filter(|k| !matches!(*k, "object" | "string"))
    {
        diags.push(invalid_value(
            &job.value.origin,
            format!("\"Job\" must be a Job object or its JSON text, found {found}"),
            "give the batch/v1 Job manifest",
        ));
    }
    let Some(options) = fields.iter().find(|f| f.name.value == "LogOptions") else {
        return;
    };
    let TemplateNode::Object(entries) = &options.value.node else {
        if let Some(found) = literal_type(&options.value).filter(|k| *k != "object") {
            diags.push(invalid_value(
                &options.value.origin,
                format!("\"LogOptions\" must be an object, found {found}"),
                "",
            ));
        }
        return;
    };
    for e in entries {
        match e.name.value.as_str() {
            "RetrieveLogs" | "RawLogs" => {
                if let Some(found) = literal_type(&e.value).filter(|k| *k != "boolean") {
                    diags.push(invalid_value(
                        &e.value.origin,
                        format!(
                            "\"LogOptions.{}\" must be a boolean, found {found}",
                            e.name.value
                        ),
                        "",
                    ));
                }
            }
            "LogParameters" => string_list_map(&e.value, "LogParameters", diags),
            other => diags.push(
                Diagnostic::new(
                    "asl::integration-unknown-parameter",
                    format!("eks:runJob LogOptions has no field \"{other}\""),
                    e.name.origin.clone(),
                )
                .with_help("its fields are RetrieveLogs, RawLogs, LogParameters"),
            ),
        }
    }
}

/// Rule `asl::integration-invalid-value` (eks:call): `QueryParameters` maps
/// names to lists of strings. `"QueryParameters": {"labelSelector": "a=b"}`
fn eks_call_query_parameters(
    integration: Integration,
    fields: &[TemplateField],
    diags: &mut Vec<Diagnostic>,
) {
    if integration.api != IntegrationApi::EksCall {
        return;
    }
    if let Some(q) = fields.iter().find(|f| f.name.value == "QueryParameters") {
        string_list_map(&q.value, "QueryParameters", diags);
    }
}

/// Rule `asl::integration-missing-parameter` (sns:publish): a message goes to a
/// `TopicArn`, a `TargetArn` or a `PhoneNumber`; one of them is required.
fn sns_publish_target(
    integration: Integration,
    name: &str,
    fields: &[TemplateField],
    at: &Origin,
    diags: &mut Vec<Diagnostic>,
) {
    if integration.api != IntegrationApi::SnsPublish {
        return;
    }
    let targets = ["TopicArn", "TargetArn", "PhoneNumber"];
    if !fields
        .iter()
        .any(|f| targets.contains(&f.name.value.as_str()))
    {
        diags.push(
            Diagnostic::new(
                "asl::integration-missing-parameter",
                format!("state \"{name}\" calls sns:publish without a destination: one of \"TopicArn\", \"TargetArn\" or \"PhoneNumber\" is required"),
                at.clone(),
            )
            .with_help("add \"TopicArn\" (or \"TopicArn.$\")"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_resources() {
        let i = known_resource("arn:aws:states:::eks:runJob.sync").unwrap();
        assert_eq!(
            (i.api, i.pattern),
            (IntegrationApi::EksRunJob, Pattern::Sync)
        );
        assert_eq!(
            known_resource("arn:aws:states:::sns:publish").unwrap().api,
            IntegrationApi::SnsPublish
        );
        assert!(known_resource("arn:aws:states:::eks:call.sync").is_none());
        assert!(known_resource("arn:aws:states:::lambda:invoke").is_none());
        assert!(known_resource("arn:aws:lambda:us-east-1:1:function:f").is_none());
        for api in IntegrationApi::ALL {
            let arn = format!("arn:aws:states:::{}", api.resource_name());
            assert_eq!(known_resource(&arn).map(|i| i.api), Some(api));
        }
    }
}
