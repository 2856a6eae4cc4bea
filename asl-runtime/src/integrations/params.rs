//! Reading a Task state's effective `Parameters`: required and optional fields with
//! their JSON types, and a check that no field is left over, so a misspelt parameter
//! fails the task with `States.Runtime` instead of being silently dropped.

use serde_json::{Map, Value};

use crate::error::Error;

/// The parameters of one task, consumed field by field.
pub(crate) struct Params<'r> {
    resource: &'r str,
    fields: Map<String, Value>,
}

impl<'r> Params<'r> {
    pub(crate) fn new(resource: &'r str, parameters: Value) -> Result<Self, Error> {
        match parameters {
            Value::Object(fields) => Ok(Params { resource, fields }),
            Value::Null => Ok(Params {
                resource,
                fields: Map::new(),
            }),
            other => Err(Error::runtime(format!(
                "The Parameters of {resource} must be a JSON object, got {}",
                kind(&other)
            ))),
        }
    }

    pub(crate) fn take(&mut self, name: &str) -> Option<Value> {
        self.fields.remove(name).filter(|v| !v.is_null())
    }

    pub(crate) fn required(&mut self, name: &str) -> Result<Value, Error> {
        self.take(name).ok_or_else(|| {
            Error::runtime(format!(
                "The field '{name}' is required by {} but is missing",
                self.resource
            ))
        })
    }

    pub(crate) fn required_str(&mut self, name: &str) -> Result<String, Error> {
        let value = self.required(name)?;
        self.as_string(name, value)
    }

    pub(crate) fn opt_str(&mut self, name: &str) -> Result<Option<String>, Error> {
        match self.take(name) {
            None => Ok(None),
            Some(value) => self.as_string(name, value).map(Some),
        }
    }

    pub(crate) fn opt_bool(&mut self, name: &str) -> Result<Option<bool>, Error> {
        match self.take(name) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(b)),
            Some(other) => Err(self.wrong_type(name, "a boolean", &other)),
        }
    }

    pub(crate) fn opt_object(&mut self, name: &str) -> Result<Option<Map<String, Value>>, Error> {
        match self.take(name) {
            None => Ok(None),
            Some(Value::Object(map)) => Ok(Some(map)),
            Some(other) => Err(self.wrong_type(name, "an object", &other)),
        }
    }

    fn as_string(&self, name: &str, value: Value) -> Result<String, Error> {
        match value {
            Value::String(s) => Ok(s),
            other => Err(self.wrong_type(name, "a string", &other)),
        }
    }

    pub(crate) fn wrong_type(&self, name: &str, expected: &str, got: &Value) -> Error {
        Error::runtime(format!(
            "The field '{name}' of {} must be {expected}, got {}",
            self.resource,
            kind(got)
        ))
    }

    /// Fails on the first field nobody took.
    pub(crate) fn finish(self) -> Result<(), Error> {
        match self.fields.keys().next() {
            None => Ok(()),
            Some(name) => Err(unsupported(self.resource, name)),
        }
    }

    pub(crate) fn into_rest(self) -> Map<String, Value> {
        self.fields
    }
}

pub(crate) fn unsupported(resource: &str, field: &str) -> Error {
    Error::runtime(format!(
        "The field '{field}' is not supported by Step Functions for {resource}"
    ))
}

pub(crate) fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A map of string to list of strings (`QueryParameters`, `LogParameters`) as
/// `(name, value)` pairs in order.
pub(crate) fn string_list_map(
    resource: &str,
    field: &str,
    map: Map<String, Value>,
) -> Result<Vec<(String, String)>, Error> {
    let mut pairs = Vec::new();
    for (name, values) in map {
        let Value::Array(values) = values else {
            return Err(Error::runtime(format!(
                "Each entry of '{field}' of {resource} must be a list of strings; '{name}' is {}",
                kind(&values)
            )));
        };
        for value in values {
            match value {
                Value::String(s) => pairs.push((name.clone(), s)),
                other => {
                    return Err(Error::runtime(format!(
                        "Each entry of '{field}' of {resource} must be a list of strings; '{name}' holds {}",
                        kind(&other)
                    )));
                }
            }
        }
    }
    Ok(pairs)
}

/// Percent-encodes one query component (RFC 3986 unreserved characters stay).
pub(crate) fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn leftover_field_is_a_runtime_error() {
        let mut p = Params::new("arn:x", json!({"Name": "a", "Nmae": "b"})).unwrap();
        assert_eq!(p.required_str("Name").unwrap(), "a");
        let err = p.finish().unwrap_err();
        assert_eq!(err.name(), "States.Runtime");
        assert!(err.cause().unwrap().contains("'Nmae'"));
    }

    #[test]
    fn wrong_types_and_missing_fields_are_reported() {
        let mut p = Params::new("arn:x", json!({"Name": 3})).unwrap();
        assert!(
            p.required_str("Name")
                .unwrap_err()
                .cause()
                .unwrap()
                .contains("must be a string")
        );
        assert!(
            p.required_str("Other")
                .unwrap_err()
                .cause()
                .unwrap()
                .contains("missing")
        );
        assert!(Params::new("arn:x", json!([1])).is_err());
    }

    #[test]
    fn string_list_maps_flatten_in_order() {
        let map = json!({"a": ["1", "2"], "b": ["x y"]})
            .as_object()
            .unwrap()
            .clone();
        let pairs = string_list_map("r", "Q", map).unwrap();
        assert_eq!(
            pairs,
            vec![
                ("a".into(), "1".into()),
                ("a".into(), "2".into()),
                ("b".into(), "x y".into())
            ]
        );
        let bad = json!({"a": "1"}).as_object().unwrap().clone();
        assert!(string_list_map("r", "Q", bad).is_err());
        assert_eq!(
            percent_encode("job-name=a b/č"),
            "job-name%3Da%20b%2F%C4%8D"
        );
    }
}
