//! `DefinitionSubstitutions` read from a SAM or CloudFormation template, so a
//! definition can be checked with the values its stack gives it
//! (`asl check --template template.yaml`, [`crate::Builder::template`]).
//!
//! In: the template (YAML with short-form tags such as `!GetAtt`, or JSON) and
//! the definition file being checked. Out: [`Substitutions`].
//!
//! CloudFormation resolves intrinsics when it deploys; for checking, each
//! resolves to a stand-in of the right shape, in region `us-east-1` (or the
//! one given) and account `123456789012`: `!GetAtt Fn.Arn` of a function is
//! `arn:aws:lambda:us-east-1:123456789012:function:Fn`, `!Ref` of a topic is
//! its ARN, of a queue its URL, of a table or function its name. `!Sub`,
//! `!Join`, `!Select`, `!Split` and `!FindInMap` are evaluated; a value built
//! another way (`!If`, `!ImportValue`, ...) is left out, so its placeholder is
//! reported as having no value, and [`FromTemplate::unresolved`] says why.

use std::path::Path;

use serde_json::{Map, Value};

use crate::source::Substitutions;

/// Where the stand-in ARNs live.
#[derive(Clone, Debug)]
pub struct Stack {
    pub partition: String,
    pub region: String,
    pub account: String,
}

impl Default for Stack {
    fn default() -> Self {
        Stack {
            partition: "aws".into(),
            region: "us-east-1".into(),
            account: "123456789012".into(),
        }
    }
}

/// What a template gives a definition.
#[derive(Debug, Default)]
pub struct FromTemplate {
    pub substitutions: Substitutions,
    /// Placeholders the template names but whose value cannot be worked out
    /// before deployment, each with the reason.
    pub unresolved: Vec<(String, String)>,
    /// The state machine resource whose substitutions these are (its logical
    /// id), or `None` when they are every state machine's, merged.
    pub state_machine: Option<String>,
}

/// Reads `template` (its text; `template_path` locates `DefinitionUri`s) and
/// returns the `DefinitionSubstitutions` of the state machine whose
/// `DefinitionUri` is `definition` (or of the only one; or, when several
/// exist and none names the file, all of them merged).
pub fn substitutions(
    template: &str,
    template_path: &Path,
    definition: Option<&Path>,
    stack: &Stack,
) -> Result<FromTemplate, String> {
    let doc = parse(template, template_path)?;
    let resources = doc
        .get("Resources")
        .and_then(Value::as_object)
        .ok_or("the template has no `Resources`")?;
    let machines: Vec<(&String, &Map<String, Value>)> = resources
        .iter()
        .filter(|(_, r)| {
            matches!(
                r.get("Type").and_then(Value::as_str),
                Some("AWS::StepFunctions::StateMachine" | "AWS::Serverless::StateMachine")
            )
        })
        .filter_map(|(id, r)| Some((id, r.get("Properties")?.as_object()?)))
        .collect();
    if machines.is_empty() {
        return Err("the template has no state machine (AWS::StepFunctions::StateMachine or AWS::Serverless::StateMachine)".into());
    }
    let names_file = |props: &Map<String, Value>| -> bool {
        let (Some(definition), Some(uri)) = (
            definition,
            props
                .get("DefinitionUri")
                .or_else(|| props.get("DefinitionS3Location"))
                .and_then(Value::as_str),
        ) else {
            return false;
        };
        let base = template_path.parent().unwrap_or(Path::new("."));
        let written = base.join(uri);
        match (written.canonicalize(), definition.canonicalize()) {
            (Ok(a), Ok(b)) => a == b,
            _ => written.file_name() == definition.file_name(),
        }
    };
    let chosen: Vec<_> = match machines.iter().find(|(_, p)| names_file(p)) {
        Some(one) => vec![*one],
        None => machines.clone(),
    };
    let resolver = Resolver {
        resources,
        parameters: doc.get("Parameters").and_then(Value::as_object),
        mappings: doc.get("Mappings").and_then(Value::as_object),
        stack,
    };
    let mut out = FromTemplate {
        state_machine: (chosen.len() == 1).then(|| chosen[0].0.clone()),
        ..FromTemplate::default()
    };
    for (_, props) in chosen {
        let Some(subs) = props
            .get("DefinitionSubstitutions")
            .and_then(Value::as_object)
        else {
            continue;
        };
        for (name, value) in subs {
            if out.substitutions.get(name).is_some() {
                continue;
            }
            match resolver.resolve(value) {
                Ok(text) => out.substitutions.insert(name.clone(), text),
                Err(why) => out.unresolved.push((name.clone(), why)),
            }
        }
    }
    Ok(out)
}

/// The template as JSON: YAML (with CloudFormation's short-form tags turned
/// into their long forms) or JSON.
fn parse(text: &str, path: &Path) -> Result<Value, String> {
    let json = if text.trim_start().starts_with('{') {
        text.to_string()
    } else {
        crate::source::yaml_to_json(text, true)
            .map_err(|e| {
                let line = text[..e.offset.min(text.len())].matches('\n').count() + 1;
                format!("{}:{line}: invalid YAML: {}", path.display(), e.message)
            })?
            .0
    };
    serde_json::from_str(&json).map_err(|e| format!("{}: {e}", path.display()))
}

struct Resolver<'a> {
    resources: &'a Map<String, Value>,
    parameters: Option<&'a Map<String, Value>>,
    mappings: Option<&'a Map<String, Value>>,
    stack: &'a Stack,
}

impl Resolver<'_> {
    fn resolve(&self, value: &Value) -> Result<String, String> {
        match self.value(value)? {
            Value::String(s) => Ok(s),
            Value::Array(_) => Err("it is a list, not a text".into()),
            other => Ok(other.to_string()),
        }
    }

    /// Evaluates the intrinsics CloudFormation would.
    fn value(&self, value: &Value) -> Result<Value, String> {
        let Value::Object(map) = value else {
            return Ok(value.clone());
        };
        let Some((function, arg)) = map.iter().next().filter(|_| map.len() == 1) else {
            return Err("an object is not a substitution value".into());
        };
        let text = |v: &Value| -> Result<String, String> {
            match self.value(v)? {
                Value::String(s) => Ok(s),
                other => Ok(other.to_string()),
            }
        };
        match function.as_str() {
            "Ref" => Ok(Value::String(self.reference(&text(arg)?)?)),
            "Fn::GetAtt" => {
                let (id, attribute) = match arg {
                    Value::String(s) => {
                        s.split_once('.').ok_or("`!GetAtt` needs `Id.Attribute`")?
                    }
                    Value::Array(parts) if parts.len() == 2 => (
                        parts[0].as_str().ok_or("`!GetAtt` needs names")?,
                        parts[1].as_str().ok_or("`!GetAtt` needs names")?,
                    ),
                    _ => return Err("`!GetAtt` needs `Id.Attribute`".into()),
                };
                Ok(Value::String(self.attribute(id, attribute)?))
            }
            "Fn::Sub" => {
                let (template, vars) = match arg {
                    Value::String(s) => (s.as_str(), None),
                    Value::Array(parts) if parts.len() == 2 => (
                        parts[0].as_str().ok_or("`!Sub` needs a text")?,
                        parts[1].as_object(),
                    ),
                    _ => return Err("`!Sub` needs a text".into()),
                };
                Ok(Value::String(self.sub(template, vars)?))
            }
            "Fn::Join" => {
                let parts = arg
                    .as_array()
                    .filter(|p| p.len() == 2)
                    .ok_or("`!Join` needs [separator, list]")?;
                let separator = text(&parts[0])?;
                let list = match self.value(&parts[1])? {
                    Value::Array(items) => items,
                    _ => return Err("`!Join` needs a list".into()),
                };
                let items: Result<Vec<String>, String> = list.iter().map(text).collect();
                Ok(Value::String(items?.join(&separator)))
            }
            "Fn::Split" => {
                let parts = arg
                    .as_array()
                    .filter(|p| p.len() == 2)
                    .ok_or("`!Split` needs [separator, text]")?;
                let separator = text(&parts[0])?;
                let whole = text(&parts[1])?;
                Ok(Value::Array(
                    whole
                        .split(separator.as_str())
                        .map(|s| Value::String(s.into()))
                        .collect(),
                ))
            }
            "Fn::Select" => {
                let parts = arg
                    .as_array()
                    .filter(|p| p.len() == 2)
                    .ok_or("`!Select` needs [index, list]")?;
                let index: usize = text(&parts[0])?
                    .parse()
                    .map_err(|_| "`!Select` needs an index")?;
                match self.value(&parts[1])? {
                    Value::Array(items) => items
                        .get(index)
                        .cloned()
                        .ok_or_else(|| "`!Select` index out of range".into()),
                    _ => Err("`!Select` needs a list".into()),
                }
            }
            "Fn::FindInMap" => {
                let parts = arg
                    .as_array()
                    .filter(|p| p.len() == 3)
                    .ok_or("`!FindInMap` needs [map, key, key]")?;
                let (map, first, second) = (text(&parts[0])?, text(&parts[1])?, text(&parts[2])?);
                self.mappings
                    .and_then(|m| m.get(&map)?.get(&first)?.get(&second))
                    .cloned()
                    .ok_or_else(|| format!("`!FindInMap` finds nothing at {map}.{first}.{second}"))
            }
            other => Err(format!(
                "`{other}` is only resolved when the stack is deployed"
            )),
        }
    }

    /// `!Sub`: `${Name}` is a variable of the `!Sub`, or a `!Ref`, or (with a
    /// dot) a `!GetAtt`; `${!Name}` is the text `${Name}`.
    fn sub(&self, template: &str, vars: Option<&Map<String, Value>>) -> Result<String, String> {
        let mut out = String::new();
        let mut rest = template;
        while let Some(at) = rest.find("${") {
            out.push_str(&rest[..at]);
            let after = &rest[at + 2..];
            let Some(end) = after.find('}') else {
                out.push_str(&rest[at..]);
                return Ok(out);
            };
            let name = &after[..end];
            if let Some(literal) = name.strip_prefix('!') {
                out.push_str("${");
                out.push_str(literal);
                out.push('}');
            } else if let Some(value) = vars.and_then(|v| v.get(name)) {
                out.push_str(&self.resolve(value)?);
            } else if let Some((id, attribute)) = name.split_once('.') {
                out.push_str(&self.attribute(id, attribute)?);
            } else {
                out.push_str(&self.reference(name)?);
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }

    fn resource_type(&self, id: &str) -> Option<&str> {
        self.resources.get(id)?.get("Type")?.as_str()
    }

    /// `!Ref id`: a pseudo parameter, a parameter (its default) or a resource.
    fn reference(&self, id: &str) -> Result<String, String> {
        let s = self.stack;
        match id {
            "AWS::Region" => return Ok(s.region.clone()),
            "AWS::AccountId" => return Ok(s.account.clone()),
            "AWS::Partition" => return Ok(s.partition.clone()),
            "AWS::URLSuffix" => return Ok("amazonaws.com".into()),
            "AWS::StackName" => return Ok("stack".into()),
            "AWS::StackId" => {
                return Ok(format!(
                    "arn:{}:cloudformation:{}:{}:stack/stack/00000000-0000-0000-0000-000000000000",
                    s.partition, s.region, s.account
                ));
            }
            _ => {}
        }
        if let Some(parameter) = self.parameters.and_then(|p| p.get(id)) {
            return match parameter.get("Default") {
                Some(Value::String(d)) => Ok(d.clone()),
                Some(other) => Ok(other.to_string()),
                None => Err(format!(
                    "parameter `{id}` has no default; its value is given when the stack is deployed"
                )),
            };
        }
        let kind = self.resource_type(id).ok_or_else(|| {
            format!("`{id}` is neither a parameter nor a resource of the template")
        })?;
        let (p, r, a) = (&s.partition, &s.region, &s.account);
        Ok(match kind {
            "AWS::SNS::Topic" => format!("arn:{p}:sns:{r}:{a}:{id}"),
            "AWS::SQS::Queue" => format!("https://sqs.{r}.amazonaws.com/{a}/{id}"),
            "AWS::StepFunctions::StateMachine" | "AWS::Serverless::StateMachine" => {
                format!("arn:{p}:states:{r}:{a}:stateMachine:{id}")
            }
            "AWS::StepFunctions::Activity" => format!("arn:{p}:states:{r}:{a}:activity:{id}"),
            "AWS::S3::Bucket" => id.to_ascii_lowercase(),
            "AWS::Lambda::Version" | "AWS::Lambda::Alias" => {
                format!("arn:{p}:lambda:{r}:{a}:function:{id}:1")
            }
            _ => id.to_string(),
        })
    }

    /// `!GetAtt id.attribute`.
    fn attribute(&self, id: &str, attribute: &str) -> Result<String, String> {
        let kind = self
            .resource_type(id)
            .ok_or_else(|| format!("`{id}` is not a resource of the template"))?;
        let s = self.stack;
        let (p, r, a) = (&s.partition, &s.region, &s.account);
        Ok(match (kind, attribute) {
            ("AWS::Serverless::Function" | "AWS::Lambda::Function", "Arn") => {
                format!("arn:{p}:lambda:{r}:{a}:function:{id}")
            }
            ("AWS::DynamoDB::Table" | "AWS::Serverless::SimpleTable", "Arn") => {
                format!("arn:{p}:dynamodb:{r}:{a}:table/{id}")
            }
            ("AWS::DynamoDB::Table", "StreamArn") => {
                format!("arn:{p}:dynamodb:{r}:{a}:table/{id}/stream/1970-01-01T00:00:00.000")
            }
            ("AWS::SQS::Queue", "Arn") => format!("arn:{p}:sqs:{r}:{a}:{id}"),
            ("AWS::SQS::Queue", "QueueUrl") => format!("https://sqs.{r}.amazonaws.com/{a}/{id}"),
            ("AWS::SNS::Topic", "TopicArn") => format!("arn:{p}:sns:{r}:{a}:{id}"),
            ("AWS::S3::Bucket", "Arn") => format!("arn:{p}:s3:::{}", id.to_ascii_lowercase()),
            ("AWS::S3::Bucket", "DomainName") => {
                format!("{}.s3.amazonaws.com", id.to_ascii_lowercase())
            }
            ("AWS::Events::EventBus", "Arn") => format!("arn:{p}:events:{r}:{a}:event-bus/{id}"),
            ("AWS::Events::Connection", "Arn") => format!(
                "arn:{p}:events:{r}:{a}:connection/{id}/00000000-0000-0000-0000-000000000000"
            ),
            ("AWS::IAM::Role", "Arn") => format!("arn:{p}:iam::{a}:role/{id}"),
            ("AWS::StepFunctions::StateMachine" | "AWS::Serverless::StateMachine", "Arn") => {
                format!("arn:{p}:states:{r}:{a}:stateMachine:{id}")
            }
            ("AWS::StepFunctions::Activity", "Arn") => {
                format!("arn:{p}:states:{r}:{a}:activity:{id}")
            }
            (_, "Name" | "QueueName" | "TopicName" | "FunctionName" | "TableName") => {
                id.to_string()
            }
            (kind, "Arn") => {
                // `AWS::Glue::Job` -> `glue`: a stand-in of the service's shape.
                let service = kind
                    .split("::")
                    .nth(1)
                    .unwrap_or("service")
                    .to_ascii_lowercase();
                format!("arn:{p}:{service}:{r}:{a}:{id}")
            }
            (kind, attribute) => {
                return Err(format!(
                    "`!GetAtt {id}.{attribute}` of a {kind} is only known once the stack is deployed"
                ));
            }
        })
    }
}
