//! What generated payload templates (`Parameters`, `ResultSelector`,
//! `ItemSelector`, the legacy Map `Parameters`) call at run time: the scope their
//! paths read from, and AWS's errors for a `.$` path that selects nothing.
//!
//! The templates themselves are generated code (one `Map` insert per member,
//! intrinsics as direct calls); this module holds what they share. A `.$` path
//! that selects nothing is `States.Runtime`, cause
//! `The JSONPath '$.x' specified for the field 'x.$' could not be found in the input '<input JSON>'`.

use serde_json::{Map, Value};

use crate::error::Error;
use crate::jsonpath::{JsonPathQuery, QueryResult};
use crate::path::{ReferencePath, Root};

/// What paths in a template can read.
#[derive(Clone, Copy, Debug)]
pub struct Scope<'a> {
    /// `$`: the effective input (Parameters, ItemSelector) or the task result
    /// (ResultSelector).
    pub input: &'a Value,
    /// `$$`: the context object. Generated code may pass `&Value::Null` when the
    /// template has no `$$` path (build-support knows).
    pub context: &'a Value,
    /// `$name`: workflow variables, if the workflow has any.
    pub variables: Option<&'a Map<String, Value>>,
}

impl<'a> Scope<'a> {
    /// A scope with only an input (no `$$`, no variables).
    pub fn input(input: &'a Value) -> Self {
        Scope {
            input,
            context: &Value::Null,
            variables: None,
        }
    }

    /// The value a path's root stands for; `None` for an unknown variable.
    pub fn root(&self, root: &Root) -> Option<&'a Value> {
        match root {
            Root::Input => Some(self.input),
            Root::Context => Some(self.context),
            Root::Variable(name) => self.variables.and_then(|v| v.get(name.as_ref())),
        }
    }

    /// Reads a reference path in this scope.
    pub fn get(&self, path: &ReferencePath) -> Option<&'a Value> {
        self.root(&path.root).and_then(|root| path.get(root))
    }

    /// Runs a JSONPath query on its root: the input, `$$`, or a variable (an
    /// unknown variable matches nothing).
    pub fn query(&self, query: &JsonPathQuery) -> QueryResult {
        let root = if query.is_context() {
            self.context
        } else if let Some(name) = query.variable() {
            match self.variables.and_then(|v| v.get(name)) {
                Some(value) => value,
                None => return QueryResult::NotFound,
            }
        } else {
            self.input
        };
        query.query(root)
    }
}

/// `States.Runtime` for a field whose path selected nothing. `field` is named
/// as AWS names it: with its `.$` in a payload template (`"size.$"`), as
/// written for a field that takes a path by its name (`"ErrorPath"`,
/// `"CausePath"`).
pub fn path_not_found(field: &str, path_text: &str, input: &Value) -> Error {
    Error::runtime(format!(
        "The JSONPath '{path_text}' specified for the field '{field}' could not be found in the input '{input}'"
    ))
}

/// The value of a `"field.$": "<JSONPath>"` member: the value for a definite path,
/// an array of matches for an indefinite one.
pub fn eval_query(field: &str, query: &JsonPathQuery, scope: &Scope<'_>) -> Result<Value, Error> {
    match scope.query(query) {
        QueryResult::Found(v) => Ok(v),
        QueryResult::NotFound => Err(path_not_found(field, query.text(), scope.input)),
    }
}
