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
    Integration, IntegrationApi, Origin, Pattern, StateKind, StateMachine, Task, TemplateField,
    TemplateNode,
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
