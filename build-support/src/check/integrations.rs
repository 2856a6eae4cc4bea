//! Rules for the built-in service integrations, read from the shared catalogue
//! ([`asl_lang::integrations`]): the same table the runtime checks requests with
//! and registers its handlers from.
//!
//! In: Task states whose `Resource` names a catalogue API, in any partition. Out:
//! diagnostics for missing required parameters, unknown parameters (at any depth
//! the catalogue describes), literals of the wrong type, and patterns the API does
//! not have. A parameter written as `Name.$` counts as `Name`; its value is known
//! only at run time, where the runtime checks it against the same table.

use crate::rules::Rule;
use asl_lang::integrations::{Field, Pattern, Resource, Shape, Type, parse_resource};

use crate::diagnostics::{Diagnostic, Sink};
use crate::model::{
    Integration, IntegrationApi, Origin, StateKind, StateMachine, Task, Template, TemplateField,
    TemplateNode,
};

/// Runs the integration rules on every Task of `machine`, nested ones included.
pub fn check_integrations(machine: &StateMachine, diags: &mut Sink) {
    for state in &machine.states {
        match &state.kind {
            StateKind::Task(task) => check_task(task, &state.name.value, &state.origin, diags),
            StateKind::Parallel(p) => p.branches.iter().for_each(|b| check_integrations(b, diags)),
            StateKind::Map(m) => check_integrations(&m.item_processor, diags),
            _ => {}
        }
    }
}

fn check_task(task: &Task, name: &str, state_origin: &Origin, diags: &mut Sink) {
    if let Resource::UnsupportedPattern(api, pattern) = parse_resource(&task.resource.value.arn) {
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
                Rule::IntegrationMissingParameter,
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
    one_of_parameters(integration, name, fields, at, diags);
    let spec = integration.api.spec();
    fields_match(spec.name, "", spec.request, fields, diags);
    log_options_need_sync(integration, fields, diags);
    if integration.api == IntegrationApi::ApiGatewayInvoke {
        api_gateway_request(fields, diags);
    }
}

/// Rule `asl::integration-pattern`: the integration has no such pattern.
/// `arn:aws:states:::eks:call.sync` (eks:call only answers once).
fn unsupported_pattern(api: IntegrationApi, pattern: Pattern, origin: &Origin, diags: &mut Sink) {
    let spec = api.spec();
    let have: Vec<String> = spec
        .patterns
        .iter()
        .map(|p| format!("arn:aws:states:::{}{}", spec.name, p.suffix()))
        .collect();
    diags.push(
        Diagnostic::new(
            Rule::IntegrationPattern,
            format!(
                "{} does not support the {} pattern",
                spec.name,
                pattern.suffix()
            ),
            origin.clone(),
        )
        .with_help(format!("use {}", have.join(" or "))),
    );
}

/// Rule `asl::integration-missing-parameter`: every required parameter is
/// given, literally or as `Name.$`. runJob without `Job`.
fn missing_parameters(
    integration: Integration,
    name: &str,
    fields: &[TemplateField],
    at: &Origin,
    diags: &mut Sink,
) {
    for field in integration.api.spec().required() {
        if !fields.iter().any(|f| f.name.value == field) {
            diags.push(
                Diagnostic::new(
                    Rule::IntegrationMissingParameter,
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

/// Rule `asl::integration-missing-parameter` (one of several): sns:publish sends
/// to a `TopicArn`, a `TargetArn` or a `PhoneNumber`; one of them is required.
fn one_of_parameters(
    integration: Integration,
    name: &str,
    fields: &[TemplateField],
    at: &Origin,
    diags: &mut Sink,
) {
    let spec = integration.api.spec();
    for group in spec.one_of {
        if !fields
            .iter()
            .any(|f| group.contains(&f.name.value.as_str()))
        {
            let quoted: Vec<String> = group.iter().map(|g| format!("\"{g}\"")).collect();
            diags.push(
                Diagnostic::new(
                    Rule::IntegrationMissingParameter,
                    format!(
                        "state \"{name}\" calls {} without a destination: one of {} is required",
                        spec.name,
                        quoted.join(", ")
                    ),
                    at.clone(),
                )
                .with_help(format!("add \"{0}\" (or \"{0}.$\")", group[0])),
            );
        }
    }
}

/// Rules `asl::integration-unknown-parameter` and `asl::integration-invalid-value`:
/// each field of an object the catalogue describes is one it has, and a literal
/// value has its type. `"Namespce": "default"`; `"LogOptions": {"RetrieveLogs": "yes"}`.
fn fields_match(
    api: &str,
    path: &str,
    shape: &'static [Field],
    fields: &[TemplateField],
    diags: &mut Sink,
) {
    for f in fields {
        let full = if path.is_empty() {
            f.name.value.clone()
        } else {
            format!("{path}.{}", f.name.value)
        };
        let Some(field) = shape.iter().find(|s| s.name == f.name.value) else {
            let names: Vec<&str> = shape.iter().map(|s| s.name).collect();
            let what = if path.is_empty() {
                format!("{api} has no parameter \"{}\"", f.name.value)
            } else {
                format!("{api} {path} has no field \"{}\"", f.name.value)
            };
            let its = format!(
                "its {} are {}",
                if path.is_empty() {
                    "parameters"
                } else {
                    "fields"
                },
                names.join(", ")
            );
            let help = match crate::check::sdk::nearest(&f.name.value, &names) {
                Some(near) => format!("did you mean \"{near}\"? ({its})"),
                None => its,
            };
            diags.push(
                Diagnostic::new(
                    Rule::IntegrationUnknownParameter,
                    what,
                    f.name.origin.clone(),
                )
                .with_help(help),
            );
            continue;
        };
        value_matches(api, &full, field.shape, &f.value, diags);
    }
}

fn value_matches(api: &str, path: &str, shape: Shape, value: &Template, diags: &mut Sink) {
    let found = literal_type(value);
    let mismatch = |want: &str, diags: &mut Sink| {
        if let Some(found) = found {
            diags.push(invalid_value(
                &value.origin,
                format!("{api} \"{path}\" must be {want}, found {found}"),
            ));
        }
    };
    match shape {
        Shape::Map | Shape::Open | Shape::Value(Type::Any) => {}
        Shape::Object(fields) => match &value.node {
            TemplateNode::Object(entries) => fields_match(api, path, fields, entries, diags),
            _ if found != Some("object") => mismatch("an object", diags),
            _ => {}
        },
        Shape::List(fields) => match &value.node {
            TemplateNode::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    value_matches(
                        api,
                        &format!("{path}[{i}]"),
                        Shape::Object(fields),
                        item,
                        diags,
                    );
                }
            }
            _ if found != Some("array") => mismatch("a list", diags),
            _ => {}
        },
        Shape::Value(ty) => {
            let ok = match (ty, found) {
                (_, None) => true,
                (Type::String, Some(k)) => k == "string",
                (Type::Number, Some(k)) => k == "number",
                (Type::Boolean, Some(k)) => k == "boolean",
                (Type::ObjectOrString, Some(k)) => k == "object" || k == "string",
                (Type::StringList, Some(_)) => is_string_list(value),
                (Type::StringListMap, Some(_)) => return string_list_map(api, path, value, diags),
                (Type::Any, _) => true,
                (Type::Enum(values), Some(_)) => {
                    let ok = matches!(&value.node, TemplateNode::Literal(serde_json::Value::String(v)) if values.contains(&v.as_str()));
                    if !ok {
                        diags.push(invalid_value(
                            &value.origin,
                            format!("{api} \"{path}\" must be one of {}", values.join(", ")),
                        ));
                    }
                    return;
                }
            };
            if !ok {
                mismatch(ty.describe(), diags);
            }
        }
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

fn is_string_list(t: &Template) -> bool {
    match &t.node {
        TemplateNode::Array(items) => items
            .iter()
            .all(|i| matches!(literal_type(i), None | Some("string"))),
        TemplateNode::Literal(serde_json::Value::Array(items)) => {
            items.iter().all(serde_json::Value::is_string)
        }
        _ => literal_type(t).is_none(),
    }
}

fn invalid_value(origin: &Origin, message: String) -> Diagnostic {
    Diagnostic::new(Rule::IntegrationInvalidValue, message, origin.clone())
}

/// A literal "map of string to list of strings" (`QueryParameters`,
/// `LogParameters`): every value is an array of strings. `{"labelSelector": "a=b"}`
fn string_list_map(api: &str, path: &str, t: &Template, diags: &mut Sink) {
    let TemplateNode::Object(entries) = &t.node else {
        if let Some(found) = literal_type(t).filter(|k| *k != "object") {
            diags.push(
                invalid_value(
                    &t.origin,
                    format!("{api} \"{path}\" must be an object of string lists, found {found}"),
                )
                .with_help("e.g. {\"tailLines\": [\"6\"]}"),
            );
        }
        return;
    };
    for e in entries {
        if !is_string_list(&e.value) {
            diags.push(
                invalid_value(
                    &e.value.origin,
                    format!(
                        "{api} \"{path}\" entry \"{}\" must be a list of strings",
                        e.name.value
                    ),
                )
                .with_help("each parameter takes a list, e.g. [\"6\"]"),
            );
        }
    }
}

/// Rule `asl::integration-invalid-value` for `apigateway:invoke`: a literal
/// `ApiEndpoint` is the API's host name, not a URL
/// (`"https://abc.execute-api.us-east-1.amazonaws.com/prod"`), and no literal
/// header is one Step Functions does not send (`Authorization`, `Host`,
/// `X-Amz-*`, ...).
fn api_gateway_request(fields: &[TemplateField], diags: &mut Sink) {
    use asl_lang::integrations::apigateway as page;
    for f in fields {
        match (f.name.value.as_str(), &f.value.node) {
            ("ApiEndpoint", TemplateNode::Literal(serde_json::Value::String(endpoint))) => {
                if let Some(problem) = page::endpoint_problem(endpoint) {
                    diags.push(
                        invalid_value(
                            &f.value.origin,
                            format!("apigateway:invoke \"ApiEndpoint\" {problem}: \"{endpoint}\""),
                        )
                        .with_help("write the API's host name, <api-id>.execute-api.<region>.amazonaws.com, and the rest in \"Stage\", \"Path\" and \"QueryParameters\""),
                    );
                }
            }
            ("Headers", TemplateNode::Object(headers)) => {
                for h in headers
                    .iter()
                    .filter(|h| page::forbidden_header(&h.name.value))
                {
                    diags.push(
                        invalid_value(
                            &h.name.origin,
                            format!(
                                "apigateway:invoke does not send the header \"{}\"",
                                h.name.value
                            ),
                        )
                        .with_help("Step Functions refuses Authorization, Connection, Content-md5, Expect, Host, Max-Forwards, Proxy-Authenticate, Server, TE, Transfer-Encoding, Trailer, Upgrade, Via, Www-Authenticate and names starting X-Forwarded, X-Amz or X-Amzn; AuthType IAM_ROLE signs the request itself"),
                    );
                }
            }
            _ => {}
        }
    }
}

/// Rule `asl::log-options-without-sync`: `LogOptions` of `eks:runJob` only take
/// effect when the task waits for the job (`eks:runJob.sync`).
fn log_options_need_sync(integration: Integration, fields: &[TemplateField], diags: &mut Sink) {
    if integration.api != IntegrationApi::EksRunJob || integration.pattern.waits() {
        return;
    }
    if let Some(f) = fields.iter().find(|f| f.name.value == "LogOptions") {
        diags.push(
            Diagnostic::new(
                Rule::LogOptionsWithoutSync,
                "\"LogOptions\" only apply to arn:aws:states:::eks:runJob.sync: without .sync the task does not wait for the job, so there are no logs to fetch",
                f.name.origin.clone(),
            )
            .with_help("use the Resource arn:aws:states:::eks:runJob.sync, or remove LogOptions"),
        );
    }
}
