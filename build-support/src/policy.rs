//! The least-privilege IAM policy for a state machine's role (`asl policy`),
//! as Step Functions' console generates it: per Task, the statements the
//! shared catalogue ([`asl_lang::integrations::Iam`]) gives its integration,
//! with resources narrowed to what the definition names and `*` only where a
//! value is known only at run time (AWS's "IAM Policies for integrated
//! services": static resources are listed, dynamic ones are `*`).
//!
//! In: a checked [`StateMachine`] and where it runs ([`Target`]). Out: a
//! [`Policy`] (statements merged by action list, resources in definition
//! order) and the Task resources it does not cover (handlers the program
//! registers for resources the catalogue does not describe), so a caller can
//! say so.
//!
//! An `aws-sdk:<service>:<action>` that the catalogue does not describe (and
//! an optimized integration served from AWS's models) gets its IAM action
//! from AWS's model ([`asl_lang::sdk::iam_action`]: the signing name and the
//! operation, `s3:ListBucket` for `listObjectsV2`, `states:` for `sfn`; with
//! `.sync`, the action it polls too, and the one a `*ByName` integration
//! looks its name up with), on the service's own ARNs its required
//! `...Arn` members give as literals, else `*`.
//!
//! Lambda functions named directly (`arn:aws:lambda:...:function:NAME`) get
//! `lambda:InvokeFunction` on the function and its versions and aliases
//! (`NAME:*`), as the console writes it.
//!
//! A Task with `Credentials` runs its call as the role they name: the state
//! machine's role gets `sts:AssumeRole` on that role (`*` when the ARN is known
//! only at run time). The Task's own statements stay in the policy: they are
//! what the assumed role needs, and what the state machine's role needs when
//! the same definition runs without `Credentials`.

use serde_json::{Map, Value, json};

use crate::model::{StateKind, StateMachine, Task, Template, TemplateNode};
use asl_lang::integrations::apigateway;
use asl_lang::integrations::arn::{TaskArn, in_region_and_account, task_arn};

/// Where the state machine runs: fills `{partition}`, `{region}`, `{account}`.
#[derive(Clone, Debug)]
pub struct Target {
    pub partition: String,
    pub region: String,
    pub account: String,
}

impl Default for Target {
    fn default() -> Self {
        Target {
            partition: "aws".into(),
            region: "us-east-1".into(),
            account: "123456789012".into(),
        }
    }
}

/// One statement of the policy.
#[derive(Clone, Debug, PartialEq)]
pub struct Statement {
    pub actions: Vec<String>,
    pub resources: Vec<String>,
    /// `iam:PassedToService` for an `iam:PassRole` statement.
    pub passed_to_service: Option<String>,
}

/// A policy, and what it leaves out.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Policy {
    pub statements: Vec<Statement>,
    /// `(state, resource)` of Tasks whose resource the catalogue does not
    /// describe: their permissions are the program's to grant.
    pub not_covered: Vec<(String, String)>,
}

impl Policy {
    /// The IAM policy document (`Version` 2012-10-17).
    pub fn to_json(&self) -> Value {
        let statements: Vec<Value> = self
            .statements
            .iter()
            .map(|s| {
                let mut m = Map::new();
                m.insert("Effect".into(), json!("Allow"));
                m.insert("Action".into(), json!(s.actions));
                m.insert("Resource".into(), json!(s.resources));
                if let Some(service) = &s.passed_to_service {
                    m.insert(
                        "Condition".into(),
                        json!({"StringEquals": {"iam:PassedToService": service}}),
                    );
                }
                Value::Object(m)
            })
            .collect();
        json!({"Version": "2012-10-17", "Statement": statements})
    }
}

/// The policy for `machine` and the machines nested in it.
pub fn policy(machine: &StateMachine, target: &Target) -> Policy {
    let mut p = Policy::default();
    collect(machine, target, &mut p);
    p
}

fn collect(machine: &StateMachine, target: &Target, p: &mut Policy) {
    for state in &machine.states {
        match &state.kind {
            StateKind::Task(task) => task_statements(task, &state.name.value, target, p),
            StateKind::Parallel(par) => par.branches.iter().for_each(|b| collect(b, target, p)),
            StateKind::Map(m) => collect(&m.item_processor, target, p),
            _ => {}
        }
    }
}

/// What a request field holds, for resource narrowing.
enum FieldValue<'a> {
    Absent,
    Literal(&'a str),
    /// `Field.$`, JSONata, or not a string: known only at run time.
    Dynamic,
}

fn field<'a>(task: &'a Task, name: &str) -> FieldValue<'a> {
    let template = task.io.parameters.as_ref().or(task.io.arguments.as_ref());
    let Some(Template {
        node: TemplateNode::Object(fields),
        ..
    }) = template
    else {
        // No parameters, or an expression computing all of them.
        return match template {
            None => FieldValue::Absent,
            Some(_) => FieldValue::Dynamic,
        };
    };
    match fields.iter().find(|f| f.name.value == name) {
        None => FieldValue::Absent,
        Some(f) => match &f.value.node {
            TemplateNode::Literal(Value::String(s)) if !f.dynamic => FieldValue::Literal(s),
            _ => FieldValue::Dynamic,
        },
    }
}

/// What a template does with a field it cannot know.
#[derive(Clone, Copy)]
enum Unknown {
    /// `{Field}`: absent, the template does not apply; dynamic, the
    /// resource is `*`.
    AnyResource,
    /// `{Field*}`: `*` in its place.
    Wildcard,
    /// `{Field?}`: the template does not apply.
    Skips,
}

/// `template` filled in, `Some("*")` when a field it names is dynamic, `None`
/// when one is absent; a field written `{Field*}` is `*` in place when it is
/// absent, dynamic or its modifier finds nothing, one written `{Field?}`
/// makes the template not apply then (see [`asl_lang::integrations::iam`]).
fn fill(template: &str, task: &Task, target: &Target) -> Option<String> {
    let mut out = String::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let close = rest[open..].find('}').map(|c| open + c)?;
        let inner = &rest[open + 1..close];
        let (inner, unknown) = match (inner.strip_suffix('*'), inner.strip_suffix('?')) {
            (Some(i), _) => (i, Unknown::Wildcard),
            (_, Some(i)) => (i, Unknown::Skips),
            _ => (inner, Unknown::AnyResource),
        };
        let (name, modifier) = match inner.split_once('#') {
            Some((n, m)) => (n, Some(m)),
            None => (inner, None),
        };
        match name {
            "partition" => out.push_str(&target.partition),
            "region" => out.push_str(&target.region),
            "account" => out.push_str(&target.account),
            _ => match (field(task, name), unknown) {
                (FieldValue::Literal(v), Unknown::Wildcard) => {
                    out.push_str(&modify(v, modifier, target).unwrap_or_else(|| "*".into()))
                }
                (FieldValue::Literal(v), _) => out.push_str(&modify(v, modifier, target)?),
                (_, Unknown::Wildcard) => out.push('*'),
                (FieldValue::Dynamic, Unknown::AnyResource) => return Some("*".into()),
                (_, _) => return None,
            },
        }
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    Some(out)
}

/// A field's value through a template modifier (see
/// [`asl_lang::integrations::iam`]); `None` when the modified value does not
/// exist (a qualified function has no `:*`).
fn modify(value: &str, modifier: Option<&str>, target: &Target) -> Option<String> {
    let function_arn = || {
        if value.starts_with("arn:") {
            value.to_string()
        } else {
            format!(
                "arn:{}:lambda:{}:{}:function:{value}",
                target.partition, target.region, target.account
            )
        }
    };
    Some(match modifier {
        None => value.to_string(),
        Some("execution") if value.contains(":stateMachine:") => {
            value.replacen(":stateMachine:", ":execution:", 1)
        }
        Some("execution") => "*".to_string(),
        Some("lambda") => function_arn(),
        Some("lambda-versions") => return versions_of(&function_arn()),
        Some("sqs") => return queue_arn(value, target),
        Some("api-id") => return apigateway::endpoint_api_id(value).map(str::to_string),
        Some("api-region") => return apigateway::endpoint_region(value).map(str::to_string),
        Some("path") => value.trim_start_matches('/').to_string(),
        Some(_) => value.to_string(),
    })
}

/// The ARN of the queue a queue URL names
/// (`https://sqs.<region>.amazonaws.com/<account>/<name>`); `None` for
/// anything else.
fn queue_arn(url: &str, target: &Target) -> Option<String> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let mut parts = rest.split('/');
    let host = parts.next()?;
    let (account, name) = (parts.next()?, parts.next()?);
    if parts.next().is_some() || account.is_empty() || name.is_empty() {
        return None;
    }
    let region = match host.split('.').collect::<Vec<_>>().as_slice() {
        ["sqs", region, ..] => region.to_string(),
        [region, "queue", ..] => region.to_string(),
        _ => target.region.clone(),
    };
    Some(format!(
        "arn:{}:sqs:{region}:{account}:{name}",
        target.partition
    ))
}

/// The versions and aliases of an unqualified Lambda function ARN
/// (`arn:partition:lambda:region:account:function:NAME`): `ARN:*`. `None`
/// for a qualified one (`...:NAME:prod`), which names one version already.
fn versions_of(function_arn: &str) -> Option<String> {
    (function_arn.split(':').count() <= 7).then(|| format!("{function_arn}:*"))
}

fn task_statements(task: &Task, state: &str, target: &Target, p: &mut Policy) {
    if let Some(credentials) = &task.credentials {
        add(
            p,
            &["sts:AssumeRole"],
            vec![assumed_role(credentials)],
            None,
        );
    }
    let arn = &task.resource.value.arn;
    // Integrations asl does not run yet, whose IAM the catalogue knows.
    if task.integration().is_none()
        && let Some((iam, pattern)) = asl_lang::integrations::iam::lookup(arn)
    {
        statements(iam, pattern, task, target, p);
        return;
    }
    // An SDK action of AWS's models (or an optimized integration on one):
    // its IAM action, on the resources its Parameters name ([`sdk_resources`]).
    if task.integration().is_none()
        && let Some((service, action)) = crate::check::sdk::resolve(arn)
        && let Some(op) = service.operation(&action)
    {
        let iam = asl_lang::sdk::iam_action(
            service.signing_name(),
            service.arn_name(),
            &action,
            op.name(),
        );
        let resources = sdk_resources(&service, op, task);
        add(p, &[iam.as_str()], resources.clone(), None);
        // `.sync` also calls the action it polls, and EMR's `*ByName` the
        // one that looks the name up, on the same resources.
        if let Some((entry, pattern)) = asl_lang::sdk::optimized::optimized(arn) {
            let polled = entry.sync.as_ref().filter(|_| pattern.waits());
            let also = polled
                .map(|sync| sync.poll)
                .into_iter()
                .chain(entry.reshape.lookup.as_ref().map(|l| l.action));
            for action in also {
                if let Some(op) = service.operation(action) {
                    let iam = asl_lang::sdk::iam_action(
                        service.signing_name(),
                        service.arn_name(),
                        action,
                        op.name(),
                    );
                    add(p, &[iam.as_str()], resources.clone(), None);
                }
            }
        }
        return;
    }
    let Some(integration) = task.integration() else {
        match task_arn(arn) {
            Ok(TaskArn::LambdaFunction { .. }) => {
                // The function as written (in the target's region and account
                // when it leaves them out), and (unqualified) its versions and
                // aliases.
                let arn = in_region_and_account(arn, &target.region, &target.account)
                    .unwrap_or_else(|| arn.clone());
                let mut resources = vec![arn.clone()];
                resources.extend(versions_of(&arn));
                add(p, &["lambda:InvokeFunction"], resources, None);
            }
            _ => p.not_covered.push((state.to_string(), arn.clone())),
        }
        return;
    };
    statements(
        &integration.api.spec().iam,
        integration.pattern,
        task,
        target,
        p,
    );
}

/// The resources an SDK action acts on, as its Parameters name them: the
/// literal ARNs of the service's own resources (`arn:<partition>:<signing
/// name>:...`) given in the required members the model names `...Arn`
/// (`ExecutionArn`, `TopicArn`); `*` when one is known only at run time or
/// the action has no such member (the models say no more about resources).
fn sdk_resources(
    service: &asl_lang::sdk::models::Service,
    op: asl_lang::sdk::models::Operation<'_>,
    task: &Task,
) -> Vec<String> {
    let any = || vec!["*".to_string()];
    let Some(input) = op.input() else {
        return any();
    };
    let mut resources = Vec::new();
    for m in service.members(input) {
        let names_arn = m.member.ends_with("Arn") || m.member.ends_with("ARN");
        if !m.required || !names_arn {
            continue;
        }
        match field(task, &m.field) {
            FieldValue::Literal(arn) if same_service(arn, service.signing_name()) => {
                resources.push(arn.to_string());
            }
            FieldValue::Literal(_) | FieldValue::Absent => {}
            FieldValue::Dynamic => return any(),
        }
    }
    if resources.is_empty() {
        any()
    } else {
        resources
    }
}

/// Is `arn` an ARN of the service that signs as `signing_name`?
fn same_service(arn: &str, signing_name: &str) -> bool {
    let mut parts = arn.split(':');
    parts.next() == Some("arn") && parts.nth(1) == Some(signing_name)
}

/// The role a Task's `Credentials` name: its literal `RoleArn`, or `*` when a
/// path or an expression computes it.
fn assumed_role(credentials: &Template) -> String {
    if let TemplateNode::Object(fields) = &credentials.node
        && let Some(f) = fields.iter().find(|f| f.name.value == "RoleArn")
        && let TemplateNode::Literal(Value::String(role)) = &f.value.node
        && !f.dynamic
    {
        return role.clone();
    }
    "*".into()
}

/// The statements of `iam` for a Task called with `pattern`.
fn statements(
    iam: &asl_lang::integrations::Iam,
    pattern: asl_lang::integrations::Pattern,
    task: &Task,
    target: &Target,
    p: &mut Policy,
) {
    for statement in iam.statements {
        if !statement.patterns.is_empty() && !statement.patterns.contains(&pattern) {
            continue;
        }
        // The first alternative that applies; none: the statement does not
        // apply (a qualified function has no versions to grant).
        let Some(resource) = statement
            .resource
            .iter()
            .find_map(|t| fill(t, task, target))
        else {
            continue;
        };
        add(p, statement.actions, vec![resource], None);
    }
    if let Some(service) = iam.passed_to_service {
        for name in iam.pass_role_fields {
            let role = match field(task, name) {
                FieldValue::Literal(v) => v.to_string(),
                FieldValue::Dynamic => "*".into(),
                FieldValue::Absent => continue,
            };
            add(p, &["iam:PassRole"], vec![role], Some(service));
        }
    }
}

/// Adds `resources` to the statement with the same actions and condition, or
/// a new one; `*` absorbs every other resource of its statement.
fn add(p: &mut Policy, actions: &[&str], resources: Vec<String>, service: Option<&str>) {
    let actions: Vec<String> = actions.iter().map(|a| a.to_string()).collect();
    let service = service.map(str::to_string);
    let statement = match p
        .statements
        .iter_mut()
        .find(|s| s.actions == actions && s.passed_to_service == service)
    {
        Some(s) => s,
        None => {
            p.statements.push(Statement {
                actions,
                resources: Vec::new(),
                passed_to_service: service,
            });
            p.statements.last_mut().expect("just pushed")
        }
    };
    for r in resources {
        if !statement.resources.contains(&r) {
            statement.resources.push(r);
        }
    }
    if statement.resources.iter().any(|r| r == "*") {
        statement.resources = vec!["*".into()];
    }
}
