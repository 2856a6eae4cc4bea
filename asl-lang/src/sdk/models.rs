//! AWS's service models, as botocore publishes them (Apache-2.0), vendored in
//! `asl-lang/aws-models/` by `scripts/update-aws-models` from one release
//! ([`BOTOCORE_RELEASE`]), stripped of documentation and gzipped: what the
//! compiler checks `aws-sdk:<service>:<action>` Tasks against, and where each
//! action's compact table ([`Operation::table`]) comes from.
//!
//! ```
//! use asl_lang::sdk::models;
//! let ssm = models::service("ssm").unwrap();
//! assert_eq!(ssm.name(), "Ssm");
//! let get = ssm.operation("getParameter").unwrap();
//! let input = get.input().unwrap();
//! let name = ssm.members(input).into_iter().find(|m| m.field == "Name").unwrap();
//! assert!(name.required);
//! assert!(models::service("ssmm").is_none());
//! ```

use std::collections::{BTreeMap, HashMap};
use std::io::Read as _;
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::{Map, Value};

use super::{Protocol, action_name, arn_service, field_name, service_name};

#[allow(clippy::all)]
#[path = "../../aws-models/models.rs"]
mod vendored;

pub use vendored::BOTOCORE_RELEASE;

/// Every vendored service as the ARN names it (`acmpca`, `cloudwatchlogs`), sorted.
pub fn service_names() -> Vec<String> {
    let mut names: Vec<String> = vendored::MODELS
        .iter()
        .map(|(_, id, _)| arn_service(id))
        .collect();
    names.sort();
    names.dedup();
    names
}

/// The service an SDK integration ARN names (`ec2`, `cloudwatchlogs`), its
/// model read once per process.
pub fn service(arn_name: &str) -> Option<Arc<Service>> {
    static CACHE: OnceLock<Mutex<HashMap<String, Arc<Service>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(s) = cache.lock().ok()?.get(arn_name) {
        return Some(s.clone());
    }
    let (_, service_id, data) = vendored::MODELS
        .iter()
        .find(|(_, id, _)| arn_service(id) == arn_name)?;
    let mut text = Vec::new();
    flate2::read::GzDecoder::new(*data)
        .read_to_end(&mut text)
        .ok()?;
    let model: Value = serde_json::from_slice(&text).ok()?;
    let operations = model["operations"]
        .as_object()
        .map(|ops| ops.keys().map(|op| (action_name(op), op.clone())).collect())
        .unwrap_or_default();
    let service = Arc::new(Service {
        arn: arn_name.to_string(),
        name: service_name(service_id),
        operations,
        model,
    });
    cache
        .lock()
        .ok()?
        .insert(arn_name.to_string(), service.clone());
    Some(service)
}

/// One service's model.
#[derive(Debug)]
pub struct Service {
    arn: String,
    name: String,
    /// Action name → operation name.
    operations: BTreeMap<String, String>,
    model: Value,
}

/// A member of a structure, as Step Functions names it.
#[derive(Clone, Debug)]
pub struct Member<'a> {
    /// The field name in Parameters and results ([`super::field_name`]).
    pub field: String,
    /// The member's name in the model.
    pub member: &'a str,
    /// The name of its shape.
    pub shape: &'a str,
    /// Required, and not filled in by the SDK (an idempotency token is).
    pub required: bool,
}

/// What a shape is, for checking a value against it.
#[derive(Clone, Debug)]
pub enum Kind<'a> {
    Structure,
    /// A list of this shape.
    List(&'a str),
    /// A map to this shape.
    Map(&'a str),
    /// A string, one of these values when the list is not empty.
    String(Vec<&'a str>),
    Integer,
    Float,
    Boolean,
    /// A timestamp: a string (ISO 8601) or a number (epoch seconds).
    Timestamp,
    /// Bytes: a string (base64, or the text itself for a payload).
    Blob,
    /// Anything (a `document`).
    Any,
}

impl Service {
    /// The service as the ARN names it (`ec2`).
    pub fn arn_name(&self) -> &str {
        &self.arn
    }

    /// Its name in error names (`Ec2`, `AcmPca`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The wire protocol to speak.
    pub fn protocol(&self) -> Option<Protocol> {
        let meta = &self.model["metadata"];
        match meta["protocols"].as_array() {
            Some(list) => Protocol::choose(list.iter().filter_map(Value::as_str)),
            None => meta["protocol"].as_str().and_then(Protocol::from_name),
        }
    }

    /// The name requests are signed with, which is also IAM's prefix for
    /// the service's actions (`states` for `sfn`, `logs` for `cloudwatchlogs`).
    pub fn signing_name(&self) -> &str {
        let meta = &self.model["metadata"];
        meta["signingName"]
            .as_str()
            .or_else(|| meta["endpointPrefix"].as_str())
            .unwrap_or(&self.arn)
    }

    /// Every action, as the ARN names it, sorted.
    pub fn actions(&self) -> impl Iterator<Item = &str> {
        self.operations.keys().map(String::as_str)
    }

    /// The operation an action names (`describeInstances`).
    pub fn operation(&self, action: &str) -> Option<Operation<'_>> {
        let name = self.operations.get(action)?;
        Some(Operation {
            service: self,
            name,
            json: &self.model["operations"][name.as_str()],
        })
    }

    fn shape_json(&self, name: &str) -> &Value {
        &self.model["shapes"][name]
    }

    /// What the shape `name` is.
    pub fn kind(&self, name: &str) -> Kind<'_> {
        let shape = self.shape_json(name);
        let target = |key: &str| shape[key]["shape"].as_str().unwrap_or_default();
        match shape["type"].as_str().unwrap_or_default() {
            "structure" => Kind::Structure,
            "list" => Kind::List(target("member")),
            "map" => Kind::Map(target("value")),
            "string" => Kind::String(
                shape["enum"]
                    .as_array()
                    .map(|e| e.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default(),
            ),
            "integer" | "long" => Kind::Integer,
            "float" | "double" | "bigdecimal" | "biginteger" => Kind::Float,
            "boolean" => Kind::Boolean,
            "timestamp" => Kind::Timestamp,
            "blob" => Kind::Blob,
            _ => Kind::Any,
        }
    }

    /// The members of a structure, in the model's order.
    pub fn members<'a>(&'a self, structure: &str) -> Vec<Member<'a>> {
        let shape = self.shape_json(structure);
        let required: Vec<&str> = shape["required"]
            .as_array()
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let Some(members) = shape["members"].as_object() else {
            return Vec::new();
        };
        members
            .iter()
            .map(|(name, m)| Member {
                field: field_name(name),
                member: name,
                shape: m["shape"].as_str().unwrap_or_default(),
                required: required.contains(&name.as_str())
                    && m["idempotencyToken"].as_bool() != Some(true),
            })
            .collect()
    }

    /// Does the shape stream events (`eventstream`)?
    fn is_event_stream(&self, name: &str) -> bool {
        self.shape_json(name)["eventstream"].as_bool() == Some(true)
    }
}

/// One operation of a service.
#[derive(Clone, Copy, Debug)]
pub struct Operation<'a> {
    service: &'a Service,
    name: &'a str,
    json: &'a Value,
}

impl<'a> Operation<'a> {
    /// The model's name (`DescribeInstances`).
    pub fn name(&self) -> &'a str {
        self.name
    }

    /// The input structure, if the operation takes one.
    pub fn input(&self) -> Option<&'a str> {
        self.json["input"]["shape"].as_str()
    }

    /// The output structure, if the operation returns one.
    pub fn output(&self) -> Option<&'a str> {
        self.json["output"]["shape"].as_str()
    }

    /// Does the request or the answer stream events (Kinesis
    /// `SubscribeToShard`, Transcribe streaming, Bedrock's
    /// `InvokeModelWithResponseStream`)? Step Functions has no such actions.
    pub fn streams_events(&self) -> bool {
        [self.input(), self.output()]
            .into_iter()
            .flatten()
            .any(|s| {
                self.service
                    .members(s)
                    .iter()
                    .any(|m| self.service.is_event_stream(m.shape))
            })
    }

    /// The compact table a program's runtime calls the action with: the
    /// service's metadata (with its error prefix as `service`), the operation,
    /// and only the shapes its input, output and errors reach, as JSON text.
    pub fn table(&self) -> String {
        let model = &self.service.model;
        let mut metadata = model["metadata"].as_object().cloned().unwrap_or_default();
        metadata.insert("service".into(), Value::String(self.service.name.clone()));
        metadata.insert("arnName".into(), Value::String(self.service.arn.clone()));
        if let Some(p) = self.service.protocol() {
            metadata.insert("protocol".into(), Value::String(p.name().into()));
        }
        metadata.remove("protocols");
        // Every error the service names, by its code: an answer may carry
        // one the operation does not list (S3's `NoSuchBucket`), and the
        // Java SDK Step Functions runs names it all the same.
        // One string, `Name` or `code=Name` where they differ, to keep
        // the table small.
        let exceptions: Vec<String> = model["shapes"]
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(_, s)| s["exception"].as_bool() == Some(true))
            .map(|(name, s)| match s["error"]["code"].as_str() {
                Some(code) if code != name => format!("{code}={name}"),
                _ => name.clone(),
            })
            .collect();
        metadata.insert("exceptions".into(), Value::String(exceptions.join(" ")));
        let mut shapes = Map::new();
        let mut todo: Vec<&str> = [self.input(), self.output()]
            .into_iter()
            .flatten()
            .collect();
        todo.extend(
            self.json["errors"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|e| e["shape"].as_str()),
        );
        while let Some(name) = todo.pop() {
            if shapes.contains_key(name) {
                continue;
            }
            let shape = &model["shapes"][name];
            shapes.insert(name.to_string(), shape.clone());
            for key in ["member", "key", "value"] {
                todo.extend(shape[key]["shape"].as_str());
            }
            todo.extend(
                shape["members"]
                    .as_object()
                    .into_iter()
                    .flat_map(|m| m.values())
                    .filter_map(|m| m["shape"].as_str()),
            );
        }
        let mut table = Map::new();
        table.insert("metadata".into(), Value::Object(metadata));
        table.insert("operation".into(), self.json.clone());
        table.insert("shapes".into(), Value::Object(shapes));
        Value::Object(table).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_model_reads_and_names_a_service_once() {
        let names = service_names();
        assert_eq!(
            names.len(),
            vendored::MODELS.len(),
            "two models share an ARN name"
        );
        for name in [
            "ec2",
            "s3",
            "sfn",
            "ssm",
            "cloudwatchlogs",
            "acmpca",
            "dynamodb",
            "iam",
            "sqs",
        ] {
            assert!(names.iter().any(|n| n == name), "{name}");
        }
    }

    #[test]
    fn protocols_and_operations() {
        let ec2 = service("ec2").unwrap();
        assert_eq!(ec2.protocol(), Some(Protocol::Ec2));
        let op = ec2.operation("describeInstances").unwrap();
        assert_eq!(op.name(), "DescribeInstances");
        let filters = ec2
            .members(op.input().unwrap())
            .into_iter()
            .find(|m| m.member == "Filters")
            .unwrap();
        assert!(matches!(ec2.kind(filters.shape), Kind::List(_)));
        assert!(ec2.operation("DescribeInstances").is_none());
        assert_eq!(service("ssm").unwrap().protocol(), Some(Protocol::Json));
        assert_eq!(service("s3").unwrap().protocol(), Some(Protocol::RestXml));
        assert_eq!(service("iam").unwrap().protocol(), Some(Protocol::Query));
        assert_eq!(
            service("lambda").unwrap().protocol(),
            Some(Protocol::RestJson)
        );
        // RDS names the identifier as Java does.
        let rds = service("rds").unwrap();
        let op = rds.operation("describeDBInstances").unwrap();
        assert!(
            rds.members(op.input().unwrap())
                .iter()
                .any(|m| m.field == "DbInstanceIdentifier")
        );
    }

    #[test]
    fn event_streams_are_seen() {
        let kinesis = service("kinesis").unwrap();
        assert!(
            kinesis
                .operation("subscribeToShard")
                .unwrap()
                .streams_events()
        );
        assert!(!kinesis.operation("putRecord").unwrap().streams_events());
    }

    #[test]
    fn a_table_holds_only_what_the_action_reaches() {
        let ssm = service("ssm").unwrap();
        let table = ssm.operation("getParameter").unwrap().table();
        let t: Value = serde_json::from_str(&table).unwrap();
        assert_eq!(t["metadata"]["service"], "Ssm");
        assert_eq!(t["metadata"]["targetPrefix"], "AmazonSSM");
        assert!(t["shapes"]["GetParameterRequest"].is_object());
        assert!(t["shapes"]["ParameterNotFound"].is_object());
        assert!(t["shapes"]["PutParameterRequest"].is_null());
        // SSM names 140 errors (3.9 KB of the table); the rest is the action's.
        assert!(
            t["metadata"]["exceptions"]
                .as_str()
                .is_some_and(|e| e.split(' ').any(|n| n == "ParameterNotFound"))
        );
        assert!(table.len() < 11_000, "{}", table.len());
    }
}
