//! Rules for AWS SDK integrations (`arn:aws:states:::aws-sdk:<service>:<action>`)
//! that no catalogue entry serves, read from AWS's own service models
//! ([`asl_lang::sdk::models`]) with Step Functions' naming rules
//! ([`asl_lang::sdk`]).
//!
//! In: Task states whose `Resource` is an SDK integration. Out: diagnostics for
//! an unknown service or action (with the nearest name), an action Step
//! Functions does not run (event streams, the ones AWS lists), the `.sync`
//! pattern (SDK integrations have none), and, in the Parameters, unknown fields
//! at any depth (with the nearest name), missing required ones, literals of the
//! wrong JSON type and strings outside an enum. A field written `Name.$`
//! counts as `Name`; its value is known only at run time.

use asl_lang::sdk::{self, models};
use serde_json::Value;

use crate::diagnostics::{Diagnostic, Sink};
use crate::lower::edit_distance;
use crate::model::{Origin, StateKind, StateMachine, Task, Template, TemplateField, TemplateNode};
use crate::rules::Rule;

/// Runs the SDK integration rules on every Task of `machine`, nested ones included.
pub fn check_sdk_integrations(machine: &StateMachine, diags: &mut Sink) {
    for state in &machine.states {
        match &state.kind {
            StateKind::Task(task) => check_task(task, &state.name.value, &state.origin, diags),
            StateKind::Parallel(p) => p
                .branches
                .iter()
                .for_each(|b| check_sdk_integrations(b, diags)),
            StateKind::Map(m) => check_sdk_integrations(&m.item_processor, diags),
            _ => {}
        }
    }
}

/// The model's service and action of an SDK integration resource that no
/// catalogue entry serves; `None` for any other resource, or one the checks
/// refuse.
pub fn resolve(arn: &str) -> Option<(std::sync::Arc<models::Service>, String)> {
    if asl_lang::integrations::integration(arn).is_some() {
        return None;
    }
    let (service, action) = sdk::sdk_resource(arn)
        .or_else(|| sdk::optimized::optimized(arn).map(|(o, _)| (o.service, o.action)))?;
    let model = models::service(service)?;
    let op = model.operation(action)?;
    if op.streams_events() || sdk::is_unsupported_action(service, action) {
        return None;
    }
    Some((model.clone(), action.to_string()))
}

/// The shape of what an SDK action returns, read from its output structure
/// in AWS's model with Step Functions' field names: every member may be
/// absent (a service leaves out what it has no value for), a structure has
/// no key its model lacks, timestamps and blobs are text (as the caller
/// gives them), a map's keys are open, and past a few levels it is unknown.
/// `None` for a resource the model does not serve (or with a pattern suffix:
/// SDK integrations have none); an action without output returns `{}`.
pub fn result_shape(arn: &str) -> Option<crate::check::types::Shape> {
    use crate::check::types::{Object, Shape};
    // An optimized integration's result is its page's, not the model's.
    if !sdk::pattern_suffix(arn).is_empty() || sdk::optimized::named(arn).is_some() {
        return None;
    }
    let (service, action) = resolve(arn)?;
    let operation = service.operation(&action)?;
    let Some(output) = operation.output() else {
        return Some(Shape::object([]));
    };
    fn shape(service: &models::Service, name: &str, depth: usize) -> Shape {
        const MAX_DEPTH: usize = 8;
        if depth > MAX_DEPTH {
            return Shape::Unknown;
        }
        match service.kind(name) {
            models::Kind::Structure => Shape::Object(Object {
                fields: service
                    .members(name)
                    .into_iter()
                    .map(|m| {
                        let field = crate::check::types::Field {
                            shape: shape(service, m.shape, depth + 1),
                            required: false,
                        };
                        (m.field, field)
                    })
                    .collect(),
                open: false,
            }),
            models::Kind::List(item) => Shape::Array(Box::new(shape(service, item, depth + 1))),
            models::Kind::Map(_) => Shape::Object(Object {
                fields: Default::default(),
                open: true,
            }),
            models::Kind::String(_) | models::Kind::Timestamp | models::Kind::Blob => Shape::String,
            models::Kind::Integer | models::Kind::Float => Shape::Number,
            models::Kind::Boolean => Shape::Bool,
            models::Kind::Any => Shape::Unknown,
        }
    }
    Some(shape(&service, output, 0))
}

/// The compact table ([`models::Operation::table`]) of an SDK integration
/// resource the runtime's generic caller serves (feature `aws-sdk`): a valid
/// action of a service whose protocol it speaks.
pub fn served_table(arn: &str) -> Option<String> {
    let (service, action) = resolve(arn)?;
    if !service.protocol()?.served() {
        return None;
    }
    let table = service.operation(&action)?.table();
    let Some((entry, pattern)) = sdk::optimized::optimized(arn) else {
        return Some(table);
    };
    // An optimized integration: its name and pattern, the table of the
    // action `.sync` polls and that of the action that looks a name up
    // (EMR's `*ByName`).
    let mut table: Value = serde_json::from_str(&table).ok()?;
    table["metadata"]["optimized"] = Value::String(entry.name.to_string());
    table["metadata"]["pattern"] = Value::String(pattern.suffix().to_string());
    if let (true, Some(sync)) = (pattern.waits(), &entry.sync) {
        let poll = service.operation(sync.poll)?.table();
        table["poll"] = serde_json::from_str(&poll).ok()?;
    }
    if let Some(lookup) = &entry.reshape.lookup {
        let list = service.operation(lookup.action)?.table();
        table["lookup"] = serde_json::from_str(&list).ok()?;
    }
    Some(table.to_string())
}

/// The Cargo feature of `asl` that serves `arn` as a built-in integration: a
/// catalogue entry's family, `lambda` for a function ARN, `aws-sdk` for an SDK
/// action [`served_table`] serves.
pub fn resource_feature(arn: &str) -> Option<&'static str> {
    asl_lang::integrations::feature_of(arn).or_else(|| {
        let (service, _) = resolve(arn)?;
        service.protocol()?.served().then_some(sdk::FEATURE)
    })
}

fn check_task(task: &Task, name: &str, state_origin: &Origin, diags: &mut Sink) {
    let arn = &task.resource.value.arn;
    // Catalogue entries (S3, DynamoDB) have their own rules.
    if task.integration().is_some()
        || !matches!(
            asl_lang::integrations::parse_resource(arn),
            asl_lang::integrations::Resource::Other
        )
    {
        return;
    }
    let optimized = sdk::optimized::named(arn);
    let Some((service_name, action)) =
        sdk::sdk_resource(arn).or_else(|| optimized.map(|(o, _)| (o.service, o.action)))
    else {
        return;
    };
    let at = &task.resource.origin;
    if let Some((entry, pattern)) = optimized
        && !entry.patterns.contains(&pattern)
    {
        let has: Vec<&str> = entry
            .patterns
            .iter()
            .map(|p| match p.suffix() {
                "" => "request-response",
                s => s,
            })
            .collect();
        diags.push(
            Diagnostic::new(
                Rule::IntegrationPattern,
                format!(
                    "state \"{name}\" calls {} with the {} pattern, which it does not have",
                    entry.name,
                    pattern.suffix()
                ),
                at.clone(),
            )
            .with_help(format!("{} has: {}", entry.name, has.join(", "))),
        );
        return;
    }
    let Some(service) = models::service(service_name) else {
        let names = models::service_names();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let help = match nearest(service_name, &names) {
            Some(s) => format!("did you mean `aws-sdk:{s}`? (services are named as in AWS's list of SDK integrations, lowercase: `ec2`, `cloudwatchlogs`, `sfn`)"),
            None => "services are named as in AWS's list of SDK integrations, lowercase: `ec2`, `cloudwatchlogs`, `sfn`".to_string(),
        };
        diags.push(
            Diagnostic::new(
                Rule::SdkUnknownService,
                format!("state \"{name}\" calls `aws-sdk:{service_name}`, which is not an AWS service (AWS's models, botocore {})", models::BOTOCORE_RELEASE),
                at.clone(),
            )
            .with_help(help),
        );
        return;
    };
    let Some(op) = service.operation(action) else {
        let actions: Vec<&str> = service.actions().collect();
        let help = match nearest(action, &actions) {
            Some(s) => {
                format!("did you mean `{s}`? (actions are the API's operations in camelCase)")
            }
            None => "actions are the API's operations in camelCase, e.g. `describeInstances`"
                .to_string(),
        };
        diags.push(
            Diagnostic::new(
                Rule::SdkUnknownAction,
                format!("state \"{name}\" calls `aws-sdk:{service_name}:{action}`, which is not an action of {}", service.name()),
                at.clone(),
            )
            .with_help(help),
        );
        return;
    };
    if op.streams_events() || sdk::is_unsupported_action(service_name, action) {
        let why = if op.streams_events() {
            "it streams events, which a Task cannot"
        } else {
            "AWS lists it among the unsupported API actions of SDK integrations"
        };
        diags.push(
            Diagnostic::new(
                Rule::SdkUnsupportedAction,
                format!("Step Functions does not run `aws-sdk:{service_name}:{action}`: {why}"),
                at.clone(),
            )
            .with_help("call it from a Lambda function, or use another action"),
        );
        return;
    }
    let suffix = sdk::pattern_suffix(arn);
    if optimized.is_none() && (suffix == ".sync" || suffix == ".sync:2") {
        diags.push(
            Diagnostic::new(
                Rule::IntegrationPattern,
                format!("aws-sdk:{service_name}:{action} does not support the {suffix} pattern: SDK integrations answer once (or wait for a task token)"),
                at.clone(),
            )
            .with_help(format!("use arn:aws:states:::aws-sdk:{service_name}:{action} (or an optimized integration that waits for the job)")),
        );
    }
    let template = task.io.parameters.as_ref().or(task.io.arguments.as_ref());
    let fields: &[TemplateField] = match template.map(|t| &t.node) {
        Some(TemplateNode::Object(fields)) => fields,
        Some(TemplateNode::Literal(Value::Object(empty))) if empty.is_empty() => &[],
        Some(TemplateNode::Expression(_) | TemplateNode::Jsonata(_)) => return,
        Some(_) => {
            let t = template.expect("matched Some");
            diags.push(Diagnostic::new(
                Rule::IntegrationMissingParameter,
                format!("state \"{name}\" calls aws-sdk:{service_name}:{action}, whose parameters must be an object"),
                t.origin.clone(),
            ));
            return;
        }
        None => &[],
    };
    let at = template.map_or(state_origin, |t| &t.origin);
    let check = Check {
        service: &service,
        api: match optimized {
            Some((entry, _)) => entry.name.to_string(),
            None => format!("aws-sdk:{service_name}:{action}"),
        },
        optimized: optimized.map(|(entry, _)| entry),
        diags,
    };
    let mut check = check;
    match op.input() {
        Some(input) => check.structure(name, "", input, fields, at),
        None => {
            for f in fields {
                check.diags.push(Diagnostic::new(
                    Rule::IntegrationUnknownParameter,
                    format!(
                        "{} takes no parameters, not \"{}\"",
                        check.api, f.name.value
                    ),
                    f.name.origin.clone(),
                ));
            }
        }
    }
}

struct Check<'a, 'd> {
    service: &'a models::Service,
    api: String,
    /// The optimized integration checked, whose page changes a few fields.
    optimized: Option<&'static sdk::optimized::Optimized>,
    diags: &'d mut Sink,
}

impl<'a> Check<'a, '_> {
    /// Rules `asl::integration-missing-parameter`, `asl::integration-unknown-parameter`:
    /// the fields of a structure. `"InstanceIdz": [...]` for describeInstances.
    fn structure(
        &mut self,
        state: &str,
        path: &str,
        shape: &str,
        fields: &[TemplateField],
        at: &Origin,
    ) {
        let members = self.members(path, shape);
        for m in members.iter().filter(|m| m.required) {
            if !fields.iter().any(|f| f.name.value == m.field) {
                let what = if path.is_empty() {
                    format!(
                        "state \"{state}\" calls {} without the required parameter \"{}\"",
                        self.api, m.field
                    )
                } else {
                    format!(
                        "{} {path} lacks the required field \"{}\"",
                        self.api, m.field
                    )
                };
                self.diags.push(
                    Diagnostic::new(Rule::IntegrationMissingParameter, what, at.clone()).with_help(
                        format!(
                            "add \"{0}\" (or \"{0}.$\" to take it from the input)",
                            m.field
                        ),
                    ),
                );
            }
        }
        for f in fields {
            let full = if path.is_empty() {
                f.name.value.clone()
            } else {
                format!("{path}.{}", f.name.value)
            };
            if let Some(entry) = self.optimized {
                let reshape = &entry.reshape;
                if reshape.refused.contains(&full.as_str()) {
                    self.diags.push(
                        Diagnostic::new(
                            Rule::IntegrationUnknownParameter,
                            format!("{} does not take \"{full}\"", self.api),
                            f.name.origin.clone(),
                        )
                        .with_help(format!(
                            "AWS's page of {} leaves it out{}",
                            entry.name,
                            match reshape.lookup.as_ref().filter(|l| l.into == full) {
                                Some(l) => format!(": it is looked up by \"{}\"", l.by),
                                None => String::new(),
                            }
                        )),
                    );
                    continue;
                }
                if reshape.must_be_true.contains(&full.as_str())
                    && let TemplateNode::Literal(v) = &f.value.node
                    && v != &Value::Bool(true)
                {
                    self.diags.push(
                        Diagnostic::new(
                            Rule::IntegrationInvalidValue,
                            format!("{} \"{full}\" must be true, not {v}", self.api),
                            f.value.origin.clone(),
                        )
                        .with_help(format!("AWS's page of {} requires it", entry.name)),
                    );
                    continue;
                }
            }
            if let Some(entry) = self.optimized.filter(|_| path.is_empty()) {
                // Valid, but asl cannot serve it yet: `check_support`'s.
                if entry.unserved_fields.contains(&f.name.value.as_str()) {
                    continue;
                }
                // Any JSON, sent as its text (Bedrock's model request).
                if entry.json_body && f.name.value == "Body" {
                    continue;
                }
            }
            let Some(m) = members.iter().find(|m| m.field == f.name.value) else {
                let names: Vec<&str> = members.iter().map(|m| m.field.as_str()).collect();
                let what = if path.is_empty() {
                    format!("{} has no parameter \"{}\"", self.api, f.name.value)
                } else {
                    format!("{} {path} has no field \"{}\"", self.api, f.name.value)
                };
                let help = match nearest(&f.name.value, &names) {
                    Some(s) => format!(
                        "did you mean \"{s}\"? (fields are AWS's member names as the Java SDK spells them, PascalCase)"
                    ),
                    None if names.is_empty() => "it has no fields".to_string(),
                    None => format!("its fields are {}", names.join(", ")),
                };
                self.diags.push(
                    Diagnostic::new(
                        Rule::IntegrationUnknownParameter,
                        what,
                        f.name.origin.clone(),
                    )
                    .with_help(help),
                );
                continue;
            };
            self.value(state, &full, m.shape, &f.value);
        }
    }

    /// The fields of `shape` at `path` as the integration takes them: the
    /// model's, reshaped by an optimized integration's page
    /// ([`sdk::optimized::Reshape`]: renamed, a list's one item, added,
    /// left out, required).
    fn members(&self, path: &str, shape: &str) -> Vec<models::Member<'a>> {
        let mut members = self.service.members(shape);
        let Some(entry) = self.optimized else {
            return members;
        };
        let reshape = &entry.reshape;
        let at = |field: &str| {
            if path.is_empty() {
                field.to_string()
            } else {
                format!("{path}.{field}")
            }
        };
        if path.is_empty() {
            for renamed in reshape.request {
                let Some(m) = members.iter_mut().find(|m| m.field == renamed.action_field) else {
                    continue;
                };
                m.field = renamed.field.to_string();
                if let (true, models::Kind::List(item)) = (renamed.list, self.service.kind(m.shape))
                {
                    m.shape = item;
                }
            }
        }
        members.retain(|m| !reshape.refused.contains(&at(&m.field).as_str()));
        for m in &mut members {
            if reshape.must_be_true.contains(&at(&m.field).as_str()) {
                m.required = true;
            }
        }
        if path.is_empty() {
            members.extend(reshape.added.iter().map(|&(field, shape)| models::Member {
                field: field.to_string(),
                member: field,
                shape,
                required: true,
            }));
        }
        members
    }

    /// Rule `asl::integration-invalid-value`: a literal has the member's JSON
    /// type (any JSON goes where a string is due: Step Functions sends its
    /// text), and a string of an enum is one of its values.
    fn value(&mut self, state: &str, path: &str, shape: &str, value: &Template) {
        use models::Kind;
        match (&value.node, self.service.kind(shape)) {
            (TemplateNode::Expression(_) | TemplateNode::Jsonata(_), _) => {}
            (TemplateNode::Object(fields), Kind::Structure) => {
                self.structure(state, path, shape, fields, &value.origin)
            }
            (TemplateNode::Object(fields), Kind::Map(to)) => {
                for f in fields {
                    self.value(state, &format!("{path}.{}", f.name.value), to, &f.value);
                }
            }
            (TemplateNode::Array(items), Kind::List(of)) => {
                for (i, item) in items.iter().enumerate() {
                    self.value(state, &format!("{path}[{i}]"), of, item);
                }
            }
            // Step Functions sends any other JSON as its text where a string is
            // due (EventBridge `Detail`, Step Functions `Input`).
            (TemplateNode::Object(_) | TemplateNode::Array(_), Kind::String(_)) => {}
            (TemplateNode::Literal(v), kind) => self.literal(path, v, &kind, shape, &value.origin),
            (TemplateNode::Object(_), kind) => {
                self.mismatch(path, &kind, "an object", &value.origin)
            }
            (TemplateNode::Array(_), kind) => self.mismatch(path, &kind, "an array", &value.origin),
        }
    }

    fn literal(
        &mut self,
        path: &str,
        v: &Value,
        kind: &models::Kind<'_>,
        shape: &str,
        at: &Origin,
    ) {
        use models::Kind;
        let ok = match (kind, v) {
            (_, Value::Null) | (Kind::Any, _) => true,
            (Kind::String(values), Value::String(s)) => {
                if !values.is_empty() && !values.contains(&s.as_str()) {
                    let help = match nearest(s, values) {
                        Some(near) => format!("did you mean \"{near}\"?"),
                        None => format!("one of {}", values.join(", ")),
                    };
                    self.diags.push(
                        Diagnostic::new(
                            Rule::IntegrationInvalidValue,
                            format!(
                                "{} \"{path}\" must be one of the values of {shape}, not \"{s}\"",
                                self.api
                            ),
                            at.clone(),
                        )
                        .with_help(help),
                    );
                }
                true
            }
            (Kind::String(_), _) => true,
            (Kind::Structure | Kind::Map(_), Value::Object(_)) => true,
            (Kind::List(_), Value::Array(_)) => true,
            (Kind::Integer, Value::Number(n)) => n.is_i64() || n.is_u64(),
            (Kind::Float, Value::Number(_)) => true,
            (Kind::Boolean, Value::Bool(_)) => true,
            (Kind::Timestamp, Value::String(_) | Value::Number(_)) => true,
            (Kind::Blob, Value::String(_)) => true,
            _ => false,
        };
        if !ok {
            let found = match v {
                Value::Object(_) => "an object",
                Value::Array(_) => "an array",
                Value::String(_) => "a string",
                Value::Number(_) => "a number",
                Value::Bool(_) => "a boolean",
                Value::Null => "null",
            };
            self.mismatch(path, kind, found, at);
        }
    }

    fn mismatch(&mut self, path: &str, kind: &models::Kind<'_>, found: &str, at: &Origin) {
        use models::Kind;
        let want = match kind {
            Kind::Structure => "an object",
            Kind::List(_) => "a list",
            Kind::Map(_) => "an object (a map)",
            Kind::String(_) => "a string",
            Kind::Integer => "an integer",
            Kind::Float => "a number",
            Kind::Boolean => "a boolean",
            Kind::Timestamp => "a timestamp (ISO 8601 text or epoch seconds)",
            Kind::Blob => "a string",
            Kind::Any => return,
        };
        self.diags.push(Diagnostic::new(
            Rule::IntegrationInvalidValue,
            format!("{} \"{path}\" must be {want}, found {found}", self.api),
            at.clone(),
        ));
    }
}

/// The name `written` most likely meant, among the hundreds of a model: the
/// same in another case (`DescribeInstances`), else the nearest within three
/// edits (`describeInstance`), else one that contains it or that it contains.
pub(crate) fn nearest<'a>(written: &str, names: &[&'a str]) -> Option<&'a str> {
    let lower = written.to_ascii_lowercase();
    if let Some(same) = names.iter().find(|n| n.to_ascii_lowercase() == lower) {
        return Some(same);
    }
    let closest = names
        .iter()
        .map(|n| (edit_distance(&lower, &n.to_ascii_lowercase()), *n))
        .filter(|(d, _)| *d <= 3)
        .min_by_key(|(d, _)| *d)
        .map(|(_, n)| n);
    closest.or_else(|| {
        names.iter().copied().find(|n| {
            let n = n.to_ascii_lowercase();
            lower.len() > 4 && (n.contains(&lower) || lower.contains(&n))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use asl_lang::sdk::optimized::OPTIMIZED;

    /// The shape at `path` (the integration's field names) of `structure`;
    /// at the top, a renamed field is the action's (a list's item).
    fn shape_at<'s>(
        service: &'s models::Service,
        entry: &sdk::optimized::Optimized,
        structure: &'s str,
        path: &str,
    ) -> Option<&'s str> {
        let mut shape = structure;
        for (depth, step) in path.split('.').enumerate() {
            // A map takes any key.
            if let models::Kind::Map(value) = service.kind(shape) {
                shape = value;
                continue;
            }
            let renamed = entry
                .reshape
                .request
                .iter()
                .find(|r| depth == 0 && r.field == step);
            let field = renamed.map_or(step, |r| r.action_field);
            let member = service
                .members(shape)
                .into_iter()
                .find(|m| m.field == field)?;
            shape = match (renamed.is_some_and(|r| r.list), service.kind(member.shape)) {
                (true, models::Kind::List(item)) => item,
                (true, _) => return None,
                (false, _) => member.shape,
            };
        }
        Some(shape)
    }

    /// Every optimized integration names actions, fields and shapes that
    /// AWS's models have, so its reshaping means what its page says.
    #[test]
    fn the_catalogue_names_what_the_models_have() {
        for entry in OPTIMIZED {
            let name = entry.name;
            let service = models::service(entry.service)
                .unwrap_or_else(|| panic!("{name}: no service {}", entry.service));
            let op = service
                .operation(entry.action)
                .unwrap_or_else(|| panic!("{name}: no action {}", entry.action));
            if let Some(sync) = &entry.sync {
                let poll = service
                    .operation(sync.poll)
                    .unwrap_or_else(|| panic!("{name}: no action {}", sync.poll));
                let takes = service.members(poll.input().unwrap_or_default());
                for (field, _) in sync.request {
                    assert!(takes.iter().any(|m| m.field == *field), "{name}: {field}");
                }
                let answers = service.members(poll.output().unwrap_or_default());
                let first = sync.status.split('.').next().unwrap_or_default();
                assert!(
                    answers.iter().any(|m| m.field == first),
                    "{name}: {}",
                    sync.status
                );
            }
            let reshape = &entry.reshape;
            let input = op.input().unwrap_or_default();
            for renamed in reshape.request {
                assert!(
                    shape_at(&service, entry, input, renamed.field).is_some(),
                    "{name}: {} is not the action's {}",
                    renamed.field,
                    renamed.action_field
                );
            }
            let set = reshape.sets.iter().map(|(path, _)| path);
            for path in reshape
                .refused
                .iter()
                .chain(reshape.must_be_true)
                .chain(set)
            {
                assert!(
                    shape_at(&service, entry, input, path).is_some(),
                    "{name}: the action has no {path}"
                );
            }
            for (field, shape) in reshape.added {
                assert!(
                    matches!(service.kind(shape), models::Kind::String(_)),
                    "{name}: {field}'s shape {shape}"
                );
            }
            let output = op.output().unwrap_or_default();
            let result = service.members(output);
            for renamed in reshape.result {
                let m = result.iter().find(|m| m.field == renamed.action_field);
                let is_list = m.map(|m| matches!(service.kind(m.shape), models::Kind::List(_)));
                assert_eq!(
                    is_list,
                    Some(renamed.list),
                    "{name}: result {}",
                    renamed.field
                );
            }
            if let Some(lookup) = &reshape.lookup {
                let list = service
                    .operation(lookup.action)
                    .and_then(|op| op.output())
                    .map(|out| service.members(out))
                    .unwrap_or_else(|| panic!("{name}: no action {}", lookup.action));
                let items = list.iter().find(|m| m.field == lookup.list);
                let item = match items.map(|m| service.kind(m.shape)) {
                    Some(models::Kind::List(item)) => item,
                    _ => panic!("{name}: {} lists no {}", lookup.action, lookup.list),
                };
                let fields: Vec<String> =
                    service.members(item).into_iter().map(|m| m.field).collect();
                assert!(
                    fields.iter().any(|f| f == lookup.key),
                    "{name}: {}",
                    lookup.key
                );
                assert!(
                    fields.iter().any(|f| f == lookup.id),
                    "{name}: {}",
                    lookup.id
                );
                assert!(reshape.added.iter().any(|(f, _)| *f == lookup.by), "{name}");
                assert!(reshape.refused.contains(&lookup.into), "{name}");
                let paged = |structure: Option<&str>| {
                    structure.is_some_and(|s| {
                        service.members(s).iter().any(|m| m.field == lookup.marker)
                    })
                };
                let list_op = service.operation(lookup.action).unwrap();
                assert!(paged(list_op.input()) && paged(list_op.output()), "{name}");
            }
        }
    }
}
