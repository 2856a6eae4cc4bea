//! Every other AWS action (`arn:aws:states:::aws-sdk:<service>:<action>`),
//! called from the compact table of AWS's model that the compiler writes into
//! the program ([`crate::task::TaskContext::sdk_action`], built by
//! `asl_lang::sdk::models::Operation::table`): one table-driven caller per
//! wire protocol, on `serde_json::Value`, signed with `aws-sigv4`.
//!
//! The request is the task's parameters with Step Functions' names
//! ([`asl_lang::sdk::field_name`]: `DbInstanceIdentifier`, `Filters`) turned
//! into the model's wire names, strings given any JSON as its text (as Step
//! Functions sends it), timestamps as the protocol wants them and idempotency
//! tokens filled in; the result is the answer with Step Functions' names,
//! timestamps as ISO 8601 text. A service error is `<Service>.<Exception>`
//! ([`asl_lang::sdk::error_name`]: `Ssm.ParameterNotFoundException`); one the
//! model does not list is the service's base exception (`Ssm.SsmException`);
//! no answer (no connection, a timeout) is `States.TaskFailed`.
//!
//! Protocols: JSON 1.0 and 1.1 (SSM, Glue, Athena, DynamoDB, ...), Query
//! (IAM, SNS, SQS's older API, CloudFormation, RDS) and EC2's Query, whose XML
//! answers are read with the model's shapes, REST-JSON and REST-XML
//! ([`rest`]: Lambda, Scheduler, S3, ...). Optimized integrations
//! (`athena:startQueryExecution.sync`, `bedrock:invokeModel`) are the
//! same calls with their page's additions ([`optimized`]). The
//! compiler only hands out tables of services whose protocol this speaks
//! ([`asl_lang::sdk::Protocol::served`]).
//!
//! Endpoints: [`super::IntegrationsBuilder::service_endpoint`] by the ARN's
//! service name (`ssm`), else [`super::IntegrationsBuilder::endpoint_url`],
//! else AWS's regional endpoint. Timeouts: [`super::Timeouts`]'s connect,
//! read and AWS operation limits. Task `Credentials`: the assumed role's.

use std::collections::HashMap;
use std::sync::Arc;

use aws_sigv4::http_request::SigningSettings;
use serde_json::{Map, Value};

use asl_lang::sdk;

use super::Inner;
use super::params::kind;
use super::signed::{self, Caller};
use crate::error::{Error, names};
use crate::task::{BoxFuture, TaskContext, TaskHandler};

mod optimized;
mod rest;

/// The handler of every SDK action a program has a table for
/// ([`crate::task::ANY_AWS_SDK`]).
pub(crate) struct SdkHandler {
    pub(crate) inner: Arc<Inner>,
}

impl TaskHandler for SdkHandler {
    fn invoke<'a>(
        &'a self,
        task: &'a TaskContext<'a>,
        parameters: Value,
    ) -> BoxFuture<'a, Result<Value, Error>> {
        Box::pin(async move {
            let resource = task.resource;
            let table = task.sdk_action.ok_or_else(|| {
                Error::runtime(format!(
                    "{resource} is not an AWS SDK action this program was compiled to call"
                ))
            })?;
            let table: Value = serde_json::from_str(table).map_err(|e| {
                Error::runtime(format!("internal error: the table of {resource}: {e}"))
            })?;
            let parameters = self.inner.mappings.apply(parameters);
            let inner = self.inner.for_task(task).await?;
            if table["metadata"]["optimized"].is_string() {
                return optimized::call(&inner, task, &table, parameters).await;
            }
            call(&inner.signed, resource, &table, parameters).await
        })
    }
}

/// One call of the action `table` describes.
async fn call(
    caller: &Caller,
    resource: &str,
    table: &Value,
    parameters: Value,
) -> Result<Value, Error> {
    let action = Action::new(table);
    let protocol = action.meta_str("protocol");
    let wire = sdk::Protocol::from_name(protocol);
    let (url, custom) = action.endpoint(caller)?;
    // AWS's own endpoint takes the operation's host prefix (`{AccountId}.`);
    // the program's endpoint (moto, LocalStack) is used as it is.
    let url = match (custom, action.host_prefix(&parameters)) {
        (false, Some(prefix)) => url.replacen("://", &format!("://{prefix}"), 1),
        _ => url,
    };
    let (url, request) = match wire {
        Some(sdk::Protocol::Json) => (url, action.json_request(resource, parameters)?),
        Some(p @ (sdk::Protocol::Query | sdk::Protocol::Ec2)) => (
            url,
            action.query_request(resource, parameters, p == sdk::Protocol::Ec2)?,
        ),
        Some(p @ (sdk::Protocol::RestJson | sdk::Protocol::RestXml)) => action.rest_request(
            resource,
            parameters,
            p == sdk::Protocol::RestXml,
            &url,
            custom,
        )?,
        _ => {
            return Err(Error::runtime(format!(
                "{resource}: asl does not speak the {protocol} protocol of {}",
                action.service
            )));
        }
    };
    let answer = send(caller, &action, &url, request).await?;
    let ok = (200..300).contains(&answer.status);
    match (wire, ok) {
        (Some(sdk::Protocol::Json), true) => action.json_result(&answer.body),
        (Some(sdk::Protocol::Json | sdk::Protocol::RestJson), false) => {
            Err(action.json_error(&answer))
        }
        (Some(sdk::Protocol::RestJson), true) => action.rest_result(&answer, false),
        (Some(sdk::Protocol::RestXml), true) => action.rest_result(&answer, true),
        (Some(sdk::Protocol::RestXml), false) => Err(action.rest_xml_error(&answer)),
        (_, true) => action.xml_result(&answer.body),
        (_, false) => Err(action.xml_error(&answer)),
    }
}

/// A request before signing: method, path and query, headers, body.
#[derive(Debug)]
struct Request {
    method: String,
    path_and_query: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

struct Answer {
    status: u16,
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

/// A table, read.
struct Action<'t> {
    meta: &'t Value,
    operation: &'t Value,
    shapes: &'t Value,
    service: &'t str,
}

impl<'t> Action<'t> {
    fn new(table: &'t Value) -> Self {
        Action {
            meta: &table["metadata"],
            operation: &table["operation"],
            shapes: &table["shapes"],
            service: table["metadata"]["service"].as_str().unwrap_or_default(),
        }
    }

    fn meta_str(&self, key: &str) -> &'t str {
        self.meta[key].as_str().unwrap_or_default()
    }

    fn shape(&self, name: &str) -> &'t Value {
        &self.shapes[name]
    }

    /// Where to send it: the program's endpoint for the service, or every
    /// service's, or AWS's regional one; and whether it is the program's.
    fn endpoint(&self, caller: &Caller) -> Result<(String, bool), Error> {
        let names = [self.meta_str("arnName"), self.meta_str("endpointPrefix")];
        if let Some(url) = caller.endpoint_for(&names) {
            return Ok((url, true));
        }
        let region = self.region(caller)?;
        let suffix = if region.starts_with("cn-") {
            "amazonaws.com.cn"
        } else {
            "amazonaws.com"
        };
        Ok((
            format!(
                "https://{}.{region}.{suffix}",
                self.meta_str("endpointPrefix")
            ),
            false,
        ))
    }

    /// The operation's `endpoint.hostPrefix` with its labels filled from the
    /// request's `hostLabel` members (S3 Control's `{AccountId}.`), if it has
    /// one and every label has a value.
    fn host_prefix(&self, parameters: &Value) -> Option<String> {
        let mut prefix = self.operation["endpoint"]["hostPrefix"]
            .as_str()?
            .to_string();
        let input = self.shape(
            self.operation["input"]["shape"]
                .as_str()
                .unwrap_or_default(),
        );
        for (member, m) in input["members"].as_object().into_iter().flatten() {
            let label = format!("{{{member}}}");
            if m["hostLabel"].as_bool() == Some(true) && prefix.contains(&label) {
                let value = parameters.get(sdk::field_name(member))?.as_str()?;
                prefix = prefix.replace(&label, value);
            }
        }
        (!prefix.contains('{')).then_some(prefix)
    }

    fn region(&self, caller: &Caller) -> Result<String, Error> {
        caller.region.clone().ok_or_else(|| {
            Error::new(
                names::TASK_FAILED,
                format!(
                    "No AWS region is configured, so {} cannot be called",
                    self.service
                ),
            )
        })
    }

    /// JSON 1.0/1.1: `POST /` with the operation in `X-Amz-Target`.
    fn json_request(&self, resource: &str, parameters: Value) -> Result<Request, Error> {
        let body = match self.operation["input"]["shape"].as_str() {
            Some(input) => self.to_wire(resource, input, parameters, "")?,
            None if is_empty(&parameters) => Value::Object(Map::new()),
            None => {
                return Err(Error::runtime(format!(
                    "{resource} takes no parameters, got {parameters}"
                )));
            }
        };
        let target = match self.meta_str("targetPrefix") {
            "" => self.operation["name"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            prefix => format!(
                "{prefix}.{}",
                self.operation["name"].as_str().unwrap_or_default()
            ),
        };
        Ok(Request {
            method: "POST".into(),
            path_and_query: "/".into(),
            headers: vec![
                (
                    "content-type".into(),
                    format!(
                        "application/x-amz-json-{}",
                        match self.meta_str("jsonVersion") {
                            "" => "1.0",
                            v => v,
                        }
                    ),
                ),
                ("x-amz-target".into(), target),
            ],
            body: body.to_string().into_bytes(),
        })
    }

    /// Query and EC2: `POST /`, form-encoded `Action`, `Version` and the
    /// parameters flattened by the model (`Filter.1.Name`, EC2's
    /// `InstanceId.1`, Query's `Tags.member.1.Key`).
    fn query_request(
        &self,
        resource: &str,
        parameters: Value,
        ec2: bool,
    ) -> Result<Request, Error> {
        let mut pairs = vec![
            (
                "Action".to_string(),
                self.operation["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            ),
            (
                "Version".to_string(),
                self.meta_str("apiVersion").to_string(),
            ),
        ];
        match self.operation["input"]["shape"].as_str() {
            Some(input) => {
                // Names and types first, as for JSON; then flattened.
                let wire = self.to_wire(resource, input, parameters, "")?;
                self.query_pairs(input, &wire, "", ec2, &mut pairs);
            }
            None if is_empty(&parameters) => {}
            None => {
                return Err(Error::runtime(format!(
                    "{resource} takes no parameters, got {parameters}"
                )));
            }
        }
        let body: Vec<String> = pairs
            .iter()
            .map(|(k, v)| format!("{}={}", form_encode(k), form_encode(v)))
            .collect();
        Ok(Request {
            method: "POST".into(),
            path_and_query: "/".into(),
            headers: vec![(
                "content-type".into(),
                "application/x-www-form-urlencoded; charset=utf-8".into(),
            )],
            body: body.join("&").into_bytes(),
        })
    }

    /// The form pairs of `value` (wire names, from [`Self::to_wire`]) of shape `name`.
    fn query_pairs(
        &self,
        name: &str,
        value: &Value,
        prefix: &str,
        ec2: bool,
        out: &mut Vec<(String, String)>,
    ) {
        let shape = self.shape(name);
        let key = |k: &str| {
            if prefix.is_empty() {
                k.to_string()
            } else {
                format!("{prefix}.{k}")
            }
        };
        match (shape["type"].as_str().unwrap_or_default(), value) {
            ("structure", Value::Object(fields)) => {
                let members = shape["members"].as_object();
                for (wire, v) in fields {
                    let Some((member, m)) = members
                        .into_iter()
                        .flatten()
                        .find(|(member, m)| m["locationName"].as_str().unwrap_or(member) == wire)
                    else {
                        continue;
                    };
                    let target = m["shape"].as_str().unwrap_or_default();
                    let written = if ec2 {
                        m["queryName"]
                            .as_str()
                            .map(str::to_string)
                            .unwrap_or_else(|| {
                                m["locationName"]
                                    .as_str()
                                    .map_or_else(|| member.clone(), capitalize)
                            })
                    } else {
                        m["locationName"].as_str().unwrap_or(member).to_string()
                    };
                    // A flattened list written on the member.
                    let flattened = m["flattened"].as_bool() == Some(true);
                    if flattened && let Value::Array(items) = v {
                        let item = self.shape(target)["member"]["shape"]
                            .as_str()
                            .unwrap_or_default();
                        for (i, it) in items.iter().enumerate() {
                            self.query_pairs(
                                item,
                                it,
                                &format!("{}.{}", key(&written), i + 1),
                                ec2,
                                out,
                            );
                        }
                        continue;
                    }
                    self.query_pairs(target, v, &key(&written), ec2, out);
                }
            }
            ("list", Value::Array(items)) => {
                if items.is_empty() {
                    out.push((prefix.to_string(), String::new()));
                    return;
                }
                let member = &shape["member"];
                let item = member["shape"].as_str().unwrap_or_default();
                let list_prefix = if ec2 || shape["flattened"].as_bool() == Some(true) {
                    prefix.to_string()
                } else {
                    format!(
                        "{prefix}.{}",
                        member["locationName"].as_str().unwrap_or("member")
                    )
                };
                for (i, it) in items.iter().enumerate() {
                    self.query_pairs(item, it, &format!("{list_prefix}.{}", i + 1), ec2, out);
                }
            }
            ("map", Value::Object(entries)) => {
                let entry = if shape["flattened"].as_bool() == Some(true) {
                    prefix.to_string()
                } else {
                    format!("{prefix}.entry")
                };
                let k = shape["key"]["locationName"].as_str().unwrap_or("key");
                let v = shape["value"]["locationName"].as_str().unwrap_or("value");
                let to = shape["value"]["shape"].as_str().unwrap_or_default();
                for (i, (name, value)) in entries.iter().enumerate() {
                    out.push((format!("{entry}.{}.{k}", i + 1), name.clone()));
                    self.query_pairs(to, value, &format!("{entry}.{}.{v}", i + 1), ec2, out);
                }
            }
            ("timestamp", Value::Number(n)) => {
                let text = n
                    .as_f64()
                    .and_then(format_epoch)
                    .unwrap_or_else(|| n.to_string());
                out.push((prefix.to_string(), text));
            }
            (_, Value::String(s)) => out.push((prefix.to_string(), s.clone())),
            (_, Value::Null) => {}
            (_, other) => out.push((prefix.to_string(), other.to_string())),
        }
    }

    /// A Query or EC2 answer (XML) → the result in Step Functions' names,
    /// read with the model's shapes (lists, flattened lists, maps, numbers,
    /// booleans); Query's answer is inside the operation's result wrapper.
    fn xml_result(&self, body: &[u8]) -> Result<Value, Error> {
        let Some(output) = self.operation["output"]["shape"].as_str() else {
            return Ok(Value::Object(Map::new()));
        };
        let text = String::from_utf8_lossy(body);
        let doc = roxmltree::Document::parse(&text).map_err(|e| {
            Error::new(
                names::TASK_FAILED,
                format!("{} answered with a body that is not XML: {e}", self.service),
            )
        })?;
        let root = doc.root_element();
        let node = match self.operation["output"]["resultWrapper"].as_str() {
            Some(wrapper) => child(root, wrapper).unwrap_or(root),
            None => root,
        };
        Ok(self.read_xml(output, node))
    }

    fn read_xml(&self, name: &str, node: roxmltree::Node<'_, '_>) -> Value {
        let shape = self.shape(name);
        match shape["type"].as_str().unwrap_or_default() {
            "structure" => {
                let mut out = Map::new();
                for (member, m) in shape["members"].as_object().into_iter().flatten() {
                    let target = m["shape"].as_str().unwrap_or_default();
                    let xml_name = m["locationName"].as_str().unwrap_or(member);
                    let target_shape = self.shape(target);
                    let flattened = m["flattened"].as_bool() == Some(true)
                        || target_shape["flattened"].as_bool() == Some(true);
                    let value = if flattened && target_shape["type"] == "list" {
                        let item = target_shape["member"]["shape"].as_str().unwrap_or_default();
                        let items: Vec<Value> = node
                            .children()
                            .filter(|c| c.is_element() && c.tag_name().name() == xml_name)
                            .map(|c| self.read_xml(item, c))
                            .collect();
                        if items.is_empty() {
                            continue;
                        }
                        Value::Array(items)
                    } else {
                        match child(node, xml_name) {
                            Some(c) => self.read_xml(target, c),
                            None => continue,
                        }
                    };
                    out.insert(sdk::field_name(member), value);
                }
                Value::Object(out)
            }
            "list" => {
                let member = &shape["member"];
                let item = member["shape"].as_str().unwrap_or_default();
                let tag = member["locationName"].as_str().unwrap_or("member");
                Value::Array(
                    node.children()
                        .filter(|c| c.is_element() && c.tag_name().name() == tag)
                        .map(|c| self.read_xml(item, c))
                        .collect(),
                )
            }
            "map" => {
                let k = shape["key"]["locationName"].as_str().unwrap_or("key");
                let v = shape["value"]["locationName"].as_str().unwrap_or("value");
                let to = shape["value"]["shape"].as_str().unwrap_or_default();
                let entries = node.children().filter(|c| c.is_element());
                let mut out = Map::new();
                for entry in entries {
                    if let (Some(key), Some(value)) = (child(entry, k), child(entry, v)) {
                        out.insert(text_of_node(key), self.read_xml(to, value));
                    }
                }
                Value::Object(out)
            }
            kind => {
                let text = text_of_node(node);
                match kind {
                    "integer" | "long" => text
                        .trim()
                        .parse::<i64>()
                        .map_or(Value::String(text), Value::from),
                    "float" | "double" => text
                        .trim()
                        .parse::<f64>()
                        .ok()
                        .and_then(serde_json::Number::from_f64)
                        .map_or(Value::String(text), Value::Number),
                    "boolean" => Value::Bool(text.trim() == "true"),
                    _ => Value::String(text),
                }
            }
        }
    }

    /// A Query or EC2 error (`<Error><Code>...</Code><Message>...`).
    fn xml_error(&self, answer: &Answer) -> Error {
        let text = String::from_utf8_lossy(&answer.body);
        let found = |tag: &str| {
            roxmltree::Document::parse(&text).ok().and_then(|doc| {
                doc.descendants()
                    .find(|n| n.is_element() && n.tag_name().name() == tag)
                    .map(text_of_node)
            })
        };
        let code = found("Code").unwrap_or_default();
        let message = found("Message").unwrap_or_else(|| text.clone().into_owned());
        Error::new(self.error_name(&code), message)
    }

    /// A value of shape `name` in Step Functions' names → the JSON wire form.
    fn to_wire(
        &self,
        resource: &str,
        name: &str,
        value: Value,
        path: &str,
    ) -> Result<Value, Error> {
        let shape = self.shape(name);
        let wrong = |want: &str, value: &Value| {
            Error::runtime(format!(
                "The field '{path}' of {resource} must be {want}, got {}",
                kind(value)
            ))
        };
        match shape["type"].as_str().unwrap_or_default() {
            "structure" => {
                let Value::Object(fields) = value else {
                    if path.is_empty() && value.is_null() {
                        return Ok(Value::Object(Map::new()));
                    }
                    return Err(if path.is_empty() {
                        Error::runtime(format!(
                            "The Parameters of {resource} must be a JSON object, got {}",
                            kind(&value)
                        ))
                    } else {
                        wrong("an object", &value)
                    });
                };
                let members = shape["members"].as_object();
                let mut out = Map::new();
                for (field, v) in fields {
                    if v.is_null() {
                        continue;
                    }
                    let Some((member, m)) = members
                        .into_iter()
                        .flatten()
                        .find(|(member, _)| sdk::field_name(member) == field)
                    else {
                        return Err(super::params::unsupported(resource, &join(path, &field)));
                    };
                    let wire = m["locationName"].as_str().unwrap_or(member);
                    let target = m["shape"].as_str().unwrap_or_default();
                    out.insert(
                        wire.to_string(),
                        self.to_wire(resource, target, v, &join(path, &field))?,
                    );
                }
                // The SDK fills in idempotency tokens; so does this.
                for (member, m) in members.into_iter().flatten() {
                    let wire = m["locationName"].as_str().unwrap_or(member);
                    if m["idempotencyToken"].as_bool() == Some(true) && !out.contains_key(wire) {
                        out.insert(
                            wire.to_string(),
                            Value::String(uuid::Uuid::new_v4().to_string()),
                        );
                    }
                }
                // A required member left out is the service's to refuse, as it
                // would be for any SDK caller; the compiler already checked
                // the literal ones.
                Ok(Value::Object(out))
            }
            "list" => {
                let Value::Array(items) = value else {
                    return Err(wrong("a list", &value));
                };
                let member = shape["member"]["shape"].as_str().unwrap_or_default();
                items
                    .into_iter()
                    .enumerate()
                    .map(|(i, v)| self.to_wire(resource, member, v, &format!("{path}[{i}]")))
                    .collect::<Result<_, _>>()
                    .map(Value::Array)
            }
            "map" => {
                let Value::Object(entries) = value else {
                    return Err(wrong("an object", &value));
                };
                let to = shape["value"]["shape"].as_str().unwrap_or_default();
                let mut out = Map::new();
                for (k, v) in entries {
                    let inner = self.to_wire(resource, to, v, &join(path, &k))?;
                    out.insert(k, inner);
                }
                Ok(Value::Object(out))
            }
            // Any other JSON goes as its text, as Step Functions sends it.
            "string" => Ok(Value::String(super::wire::text_of(value))),
            "timestamp" => match value {
                Value::String(s) => parse_timestamp(&s)
                    .map(|t| Value::from(t.unix_timestamp()))
                    .ok_or_else(|| wrong("an ISO 8601 timestamp", &Value::String(s))),
                n @ Value::Number(_) => Ok(n),
                other => Err(wrong("a timestamp", &other)),
            },
            _ => Ok(value),
        }
    }

    /// A JSON answer → the result in Step Functions' names.
    fn json_result(&self, body: &[u8]) -> Result<Value, Error> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Value::Object(Map::new()));
        }
        let answer: Value = serde_json::from_slice(body).map_err(|e| {
            Error::new(
                names::TASK_FAILED,
                format!(
                    "{} answered with a body that is not JSON: {e}",
                    self.service
                ),
            )
        })?;
        Ok(match self.operation["output"]["shape"].as_str() {
            Some(output) => self.read_wire(output, answer),
            None => Value::Object(Map::new()),
        })
    }

    /// A value of shape `name` in wire form → Step Functions' names.
    fn read_wire(&self, name: &str, value: Value) -> Value {
        let shape = self.shape(name);
        match (shape["type"].as_str().unwrap_or_default(), value) {
            ("structure", Value::Object(fields)) => {
                let members = shape["members"].as_object();
                let mut out = Map::new();
                for (wire, v) in fields {
                    match members
                        .into_iter()
                        .flatten()
                        .find(|(member, m)| m["locationName"].as_str().unwrap_or(member) == wire)
                    {
                        Some((member, m)) => {
                            let target = m["shape"].as_str().unwrap_or_default();
                            out.insert(sdk::field_name(member), self.read_wire(target, v));
                        }
                        // Newer than the model: kept as it came.
                        None => {
                            out.insert(wire, v);
                        }
                    }
                }
                Value::Object(out)
            }
            ("list", Value::Array(items)) => {
                let member = shape["member"]["shape"].as_str().unwrap_or_default();
                Value::Array(
                    items
                        .into_iter()
                        .map(|v| self.read_wire(member, v))
                        .collect(),
                )
            }
            ("map", Value::Object(entries)) => {
                let to = shape["value"]["shape"].as_str().unwrap_or_default();
                Value::Object(
                    entries
                        .into_iter()
                        .map(|(k, v)| (k, self.read_wire(to, v)))
                        .collect(),
                )
            }
            ("timestamp", Value::Number(n)) => n
                .as_f64()
                .and_then(format_epoch)
                .map_or(Value::Number(n), Value::String),
            (_, v) => v,
        }
    }

    /// A JSON protocol error: `__type` (or `X-Amzn-ErrorType`), without its
    /// namespace, named by the model's error shape.
    fn json_error(&self, answer: &Answer) -> Error {
        let body: Value = serde_json::from_slice(&answer.body).unwrap_or(Value::Null);
        let code = answer
            .headers
            .get("x-amzn-errortype")
            .map(String::as_str)
            .or_else(|| body["__type"].as_str())
            .or_else(|| body["code"].as_str())
            .unwrap_or_default();
        let code = code.split(':').next().unwrap_or(code);
        let code = code.rsplit('#').next().unwrap_or(code);
        let message = ["message", "Message", "errorMessage"]
            .iter()
            .find_map(|k| body[*k].as_str())
            .map(str::to_string)
            .unwrap_or_else(|| String::from_utf8_lossy(&answer.body).into_owned());
        Error::new(self.error_name(code), message)
    }

    /// The error name of a service error code: the model's error shape with
    /// that code (or name), else the service's base exception.
    fn error_name(&self, code: &str) -> String {
        let shapes = self.shapes.as_object().into_iter().flatten();
        let modeled = shapes
            .filter(|(_, s)| s["exception"].as_bool() == Some(true))
            .find(|(name, s)| s["error"]["code"].as_str() == Some(code) || name.as_str() == code);
        // Else any the service names (`Name` or `code=Name`).
        let named = modeled.map(|(name, _)| name.as_str()).or_else(|| {
            self.meta_str("exceptions")
                .split_whitespace()
                .find_map(|e| match e.split_once('=') {
                    Some((c, name)) => (c == code || name == code).then_some(name),
                    None => (e == code).then_some(e),
                })
        });
        match named {
            Some(name) if !code.is_empty() => sdk::error_name(self.service, name),
            _ => sdk::fallback_error(self.service),
        }
    }
}

/// The first child element named `name`.
fn child<'a, 'i>(node: roxmltree::Node<'a, 'i>, name: &str) -> Option<roxmltree::Node<'a, 'i>> {
    node.children()
        .find(|c| c.is_element() && c.tag_name().name() == name)
}

fn text_of_node(node: roxmltree::Node<'_, '_>) -> String {
    node.text().unwrap_or_default().to_string()
}

fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// `application/x-www-form-urlencoded`, as AWS's Query protocol takes it.
fn form_encode(s: &str) -> String {
    super::params::percent_encode(s)
}

fn join(path: &str, field: &str) -> String {
    if path.is_empty() {
        field.to_string()
    } else {
        format!("{path}.{field}")
    }
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Object(m) => m.is_empty(),
        _ => false,
    }
}

fn parse_timestamp(s: &str) -> Option<time::OffsetDateTime> {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
}

/// Epoch seconds as ISO 8601 text (`2024-05-01T12:00:00Z`, fractions kept).
fn format_epoch(seconds: f64) -> Option<String> {
    let nanos = (seconds * 1e9).round() as i128;
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(nanos).ok()?;
    t.format(&time::format_description::well_known::Rfc3339)
        .ok()
}

/// SigV4 as the service wants it: S3 signs its path as sent, neither
/// normalized nor encoded twice (its `x-amz-content-sha256` header is set
/// by the request).
fn signing_settings(action: &Action<'_>) -> SigningSettings {
    let mut settings = SigningSettings::default();
    if action.meta_str("arnName") == "s3" {
        settings.percent_encoding_mode = aws_sigv4::http_request::PercentEncodingMode::Single;
        settings.uri_path_normalization_mode =
            aws_sigv4::http_request::UriPathNormalizationMode::Disabled;
    }
    settings
}

/// Signs `request` (SigV4, the model's signing name, the caller's region and
/// credentials) and sends it, within the AWS operation timeout.
async fn send(
    caller: &Caller,
    action: &Action<'_>,
    url: &str,
    request: Request,
) -> Result<Answer, Error> {
    let region = action.region(caller)?;
    let signing_name = match action.meta_str("signingName") {
        "" => action.meta_str("endpointPrefix"),
        name => name,
    };
    let signing = signed::Signing {
        name: signing_name,
        region: &region,
        settings: signing_settings(action),
    };
    let outgoing = signed::Outgoing {
        method: request.method,
        uri: format!("{url}{}", request.path_and_query),
        headers: request.headers,
        body: request.body,
    };
    let received = signed::send(caller, action.service, Some(signing), outgoing)
        .await
        .map_err(|failure| match failure {
            signed::Failure::Invalid(message) => Error::runtime(message),
            signed::Failure::Credentials(message)
            | signed::Failure::Connect(message)
            | signed::Failure::Io(message)
            | signed::Failure::Timeout(message) => Error::new(names::TASK_FAILED, message),
        })?;
    let headers = received
        .headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_ascii_lowercase(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    Ok(Answer {
        status: received.status.as_u16(),
        headers,
        body: received.body.to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A table as the compiler writes it: SSM's PutParameter, trimmed.
    fn table() -> Value {
        json!({
            "metadata": {"service": "Ssm", "arnName": "ssm", "protocol": "json", "jsonVersion": "1.1",
                         "targetPrefix": "AmazonSSM", "endpointPrefix": "ssm", "signingName": "ssm"},
            "operation": {"name": "PutParameter", "input": {"shape": "Req"}, "output": {"shape": "Res"},
                          "errors": [{"shape": "ParameterAlreadyExists"}]},
            "shapes": {
                "Req": {"type": "structure", "required": ["Name"], "members": {
                    "Name": {"shape": "S"}, "Value": {"shape": "S"}, "Tags": {"shape": "Tags"},
                    "DBInstanceIdentifier": {"shape": "S"}, "When": {"shape": "T"},
                    "Token": {"shape": "S", "idempotencyToken": true}}},
                "Tags": {"type": "list", "member": {"shape": "Tag"}},
                "Tag": {"type": "structure", "members": {"Key": {"shape": "S"}, "Value": {"shape": "S"}}},
                "Res": {"type": "structure", "members": {"Version": {"shape": "L"}, "At": {"shape": "T"}}},
                "S": {"type": "string"}, "L": {"type": "long"}, "T": {"type": "timestamp"},
                "ParameterAlreadyExists": {"type": "structure", "exception": true, "members": {}}
            }
        })
    }

    #[test]
    fn requests_take_wire_names_and_text() {
        let t = table();
        let a = Action::new(&t);
        let r = a
            .json_request(
                "r",
                json!({"Name": "n", "Value": {"a": 1}, "Tags": [{"Key": "k", "Value": "v"}],
                       "DbInstanceIdentifier": "db", "When": "2024-05-01T12:00:00Z"}),
            )
            .unwrap();
        let body: Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(body["Value"], "{\"a\":1}");
        assert_eq!(body["DBInstanceIdentifier"], "db");
        assert_eq!(body["When"], 1714564800);
        assert_eq!(body["Tags"][0]["Key"], "k");
        assert!(body["Token"].as_str().is_some_and(|t| t.len() == 36));
        assert!(
            r.headers
                .contains(&("x-amz-target".into(), "AmazonSSM.PutParameter".into()))
        );
        assert!(
            r.headers
                .contains(&("content-type".into(), "application/x-amz-json-1.1".into()))
        );
        let err = a.json_request("r", json!({"Nam": "n"})).unwrap_err();
        assert_eq!(err.name(), "States.Runtime");
        let err = a
            .json_request("r", json!({"Tags": {"Key": "k"}}))
            .unwrap_err();
        assert!(err.cause().unwrap().contains("'Tags'"), "{err}");
    }

    #[test]
    fn host_prefixes_take_their_labels() {
        let mut t = table();
        t["operation"]["endpoint"] = json!({"hostPrefix": "{Name}.data."});
        t["shapes"]["Req"]["members"]["Name"]["hostLabel"] = json!(true);
        let a = Action::new(&t);
        assert_eq!(
            a.host_prefix(&json!({"Name": "acct1"})).as_deref(),
            Some("acct1.data.")
        );
        assert_eq!(a.host_prefix(&json!({})), None);
        let plain = table();
        assert_eq!(Action::new(&plain).host_prefix(&json!({"Name": "x"})), None);
    }

    #[test]
    fn results_and_errors_take_step_functions_names() {
        let t = table();
        let a = Action::new(&t);
        let r = a
            .json_result(br#"{"Version": 3, "At": 1714564800.5, "New": 1}"#)
            .unwrap();
        assert_eq!(
            r,
            json!({"Version": 3, "At": "2024-05-01T12:00:00.5Z", "New": 1})
        );
        let answer = |body: &str| Answer {
            status: 400,
            headers: HashMap::new(),
            body: body.as_bytes().to_vec(),
        };
        let e = a.json_error(&answer(
            r#"{"__type": "com.amazonaws.ssm#ParameterAlreadyExists", "message": "exists"}"#,
        ));
        assert_eq!(e.name(), "Ssm.ParameterAlreadyExistsException");
        assert_eq!(e.cause(), Some("exists"));
        let e = a.json_error(&answer(
            r#"{"__type": "ThrottlingException", "message": "slow"}"#,
        ));
        assert_eq!(e.name(), "Ssm.SsmException");
    }
}
