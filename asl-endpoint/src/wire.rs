//! AWS's JSON 1.0 protocol as Step Functions speaks it: members read from the
//! request object with the model's constraints (AWS's `ValidationException`
//! and `SerializationException` wording), dates written as epoch seconds, and
//! errors as `{"__type": NAME, "message": ...}` with their HTTP status.

use asl_runtime::exec::ApiError;
use serde_json::{Map, Value};
use time::OffsetDateTime;

/// A refused or failed call: AWS's error name, its message and HTTP status.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Failure {
    pub(crate) status: u16,
    pub(crate) name: String,
    pub(crate) message: String,
}

impl Failure {
    /// A 400: the caller's mistake.
    pub(crate) fn client(name: &str, message: impl Into<String>) -> Failure {
        Failure {
            status: 400,
            name: name.to_string(),
            message: message.into(),
        }
    }

    /// `ValidationException` for one member, as AWS words a model constraint.
    pub(crate) fn validation(message: impl Into<String>) -> Failure {
        Failure::client(
            "ValidationException",
            format!("1 validation error detected: {}", message.into()),
        )
    }

    /// A 500: ours (`InternalFailure`), with what went wrong.
    pub(crate) fn server(message: impl Into<String>) -> Failure {
        Failure {
            status: 500,
            name: "InternalFailure".into(),
            message: message.into(),
        }
    }

    /// The JSON body AWS answers an error with.
    pub(crate) fn body(&self) -> Value {
        serde_json::json!({"__type": self.name, "message": self.message})
    }
}

/// The runtime's API errors are AWS's, by name; a failure of the store or of
/// this runtime's setup is ours (500).
impl From<ApiError> for Failure {
    fn from(e: ApiError) -> Failure {
        let status = match e.name.as_str() {
            "StoreFailure" | "NoStore" | "ExecutionNotOwned" => 500,
            _ => 400,
        };
        Failure {
            status,
            name: e.name,
            message: e.message,
        }
    }
}

/// A timestamp as the JSON protocols write one: epoch seconds, to the
/// millisecond.
pub(crate) fn epoch(t: OffsetDateTime) -> Value {
    let ms = t.unix_timestamp_nanos() / 1_000_000;
    Value::from(ms as f64 / 1000.0)
}

/// The members of one request.
pub(crate) struct Request<'a> {
    pub(crate) members: &'a Map<String, Value>,
}

impl Request<'_> {
    /// A string member, when present (`null` counts as absent, as in the SDKs).
    pub(crate) fn string(&self, name: &str) -> Result<Option<&str>, Failure> {
        match self.members.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(other) => Err(Failure::client(
                "SerializationException",
                format!("'{name}' must be a string, not {}", kind_of(other)),
            )),
        }
    }

    /// A required string member.
    pub(crate) fn required(&self, name: &str) -> Result<&str, Failure> {
        self.string(name)?.ok_or_else(|| {
            Failure::validation(format!(
                "Value null at '{name}' failed to satisfy constraint: Member must not be null"
            ))
        })
    }

    /// A string member of at most `max` characters (at least 1).
    pub(crate) fn bounded(&self, name: &str, max: usize) -> Result<Option<&str>, Failure> {
        let value = self.string(name)?;
        if let Some(v) = value {
            let len = v.chars().count();
            if len == 0 {
                return Err(Failure::validation(format!(
                    "Value '' at '{name}' failed to satisfy constraint: Member must have length greater than or equal to 1"
                )));
            }
            if len > max {
                return Err(Failure::validation(format!(
                    "Value at '{name}' failed to satisfy constraint: Member must have length less than or equal to {max}"
                )));
            }
        }
        Ok(value)
    }

    /// A required ARN (1 to 256 characters).
    pub(crate) fn arn(&self, name: &str) -> Result<&str, Failure> {
        self.required(name)?;
        Ok(self.bounded(name, 256)?.unwrap_or_default())
    }

    /// Sensitive data (an execution's input, a task's output): at most
    /// 262,144 bytes, AWS's payload limit; the value is not repeated in the
    /// message.
    pub(crate) fn data(&self, name: &str) -> Result<Option<&str>, Failure> {
        let value = self.string(name)?;
        if let Some(v) = value
            && v.len() > asl_runtime::limits::DEFAULT_MAX_PAYLOAD_BYTES
        {
            return Err(Failure::validation(format!(
                "Value at '{name}' failed to satisfy constraint: Member must have length less than or equal to {}",
                asl_runtime::limits::DEFAULT_MAX_PAYLOAD_BYTES
            )));
        }
        Ok(value)
    }

    /// A boolean member.
    pub(crate) fn boolean(&self, name: &str) -> Result<Option<bool>, Failure> {
        match self.members.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(other) => Err(Failure::client(
                "SerializationException",
                format!("'{name}' must be a boolean, not {}", kind_of(other)),
            )),
        }
    }

    /// An integer member within `min..=max`.
    pub(crate) fn integer(&self, name: &str, min: i64, max: i64) -> Result<Option<i64>, Failure> {
        let value = match self.members.get(name) {
            None | Some(Value::Null) => return Ok(None),
            Some(Value::Number(n)) => n.as_i64().ok_or_else(|| {
                Failure::client(
                    "SerializationException",
                    format!("'{name}' must be an integer, not {n}"),
                )
            })?,
            Some(other) => {
                return Err(Failure::client(
                    "SerializationException",
                    format!("'{name}' must be an integer, not {}", kind_of(other)),
                ));
            }
        };
        if value < min {
            return Err(Failure::validation(format!(
                "Value '{value}' at '{name}' failed to satisfy constraint: Member must have value greater than or equal to {min}"
            )));
        }
        if value > max {
            return Err(Failure::validation(format!(
                "Value '{value}' at '{name}' failed to satisfy constraint: Member must have value less than or equal to {max}"
            )));
        }
        Ok(Some(value))
    }

    /// A member whose value is one of `allowed`.
    pub(crate) fn one_of(&self, name: &str, allowed: &[&str]) -> Result<Option<&str>, Failure> {
        let value = self.string(name)?;
        match value {
            Some(v) if !allowed.contains(&v) => Err(Failure::validation(format!(
                "Value '{v}' at '{name}' failed to satisfy constraint: Member must satisfy enum value set: [{}]",
                allowed.join(", ")
            ))),
            _ => Ok(value),
        }
    }
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn dates_are_epoch_seconds_to_the_millisecond() {
        let t = OffsetDateTime::from_unix_timestamp_nanos(1_765_000_000_123_456_789).unwrap();
        assert_eq!(epoch(t).to_string(), "1765000000.123");
    }

    #[test]
    fn members_are_checked_as_the_model_constrains_them() {
        let members = json!({"name": "", "maxResults": 1001, "flag": "yes", "status": "DONE"});
        let request = Request {
            members: members.as_object().unwrap(),
        };
        assert_eq!(
            request.required("absent").unwrap_err().name,
            "ValidationException"
        );
        assert_eq!(
            request.bounded("name", 80).unwrap_err().name,
            "ValidationException"
        );
        let e = request.integer("maxResults", 0, 1000).unwrap_err();
        assert!(
            e.message.contains("less than or equal to 1000"),
            "{}",
            e.message
        );
        assert_eq!(
            request.boolean("flag").unwrap_err().name,
            "SerializationException"
        );
        let e = request.one_of("status", &["RUNNING"]).unwrap_err();
        assert!(
            e.message.contains("enum value set: [RUNNING]"),
            "{}",
            e.message
        );
    }
}
