//! Payload templates (`Parameters`, `ResultSelector`, `ItemSelector`, the legacy
//! Map `Parameters`) and intrinsic calls, in a form generated code holds as
//! `static`/`const` data.
//!
//! In: a [`Template`] tree built by build-support (keys already stripped of `.$`,
//! literal values as Rust literals, `.$` values as a compiled [`ReferencePath`], a
//! [`JsonPathQuery`] or an intrinsic [`Call`]) and a [`Scope`] (the value `$` means,
//! the context object `$$`, the variables). Out: the JSON value, members in template
//! order, or AWS's error:
//! - a `.$` path that selects nothing: `States.Runtime`, cause
//!   `The JSONPath '$.x' specified for the field 'x.$' could not be found in the input '<input JSON>'`;
//! - a failing intrinsic: `States.Runtime`, `Invalid arguments in States.X` (see
//!   [`crate::intrinsics`]).
//!
//! Nothing is parsed while evaluating: paths are segment lists, JSONPath queries
//! are compiled once per process, `States.Format` templates are split at build time.

use serde_json::{Map, Value};

use crate::error::Error;
use crate::intrinsics::{self, Intrinsic};
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

/// `States.Runtime` for a `.$` field whose path selected nothing.
pub fn path_not_found(field: &str, path_text: &str, input: &Value) -> Error {
    Error::runtime(format!(
        "The JSONPath '{path_text}' specified for the field '{field}.$' could not be found in the input '{input}'"
    ))
}

/// The value of a `"field.$": "<reference path>"` member.
pub fn eval_path(field: &str, path: &ReferencePath, scope: &Scope<'_>) -> Result<Value, Error> {
    scope
        .get(path)
        .cloned()
        .ok_or_else(|| path_not_found(field, &path.text, scope.input))
}

/// The value of a `"field.$": "<JSONPath>"` member: the value for a definite path,
/// an array of matches for an indefinite one.
pub fn eval_query(field: &str, query: &JsonPathQuery, scope: &Scope<'_>) -> Result<Value, Error> {
    match scope.query(query) {
        QueryResult::Found(v) => Ok(v),
        QueryResult::NotFound => Err(path_not_found(field, query.text(), scope.input)),
    }
}

/// A payload template node.
#[derive(Debug)]
pub enum Template {
    /// `null`
    Null,
    /// `true` / `false`
    Bool(bool),
    /// A negative or small integer literal.
    Int(i64),
    /// An integer literal above `i64::MAX`.
    UInt(u64),
    /// A number literal with a fraction or exponent.
    Float(f64),
    /// A string literal (a key without `.$`: never evaluated, even if it looks like a path).
    Str(&'static str),
    /// An array; `.$` members of objects inside it are evaluated too.
    Array(&'static [Template]),
    /// Members in template order; keys as they appear in the output (`"x.$"` → `x`).
    Object(&'static [(&'static str, Template)]),
    /// `"x.$": "$.a.b"` (also `$$...` and `$var...`).
    Path(ReferencePath),
    /// `"x.$": "$.a[*].b"`: a JSONPath that is not a reference path.
    Query(&'static JsonPathQuery),
    /// `"x.$": "States.Format(...)"`.
    Call(&'static Call),
}

impl Template {
    /// Evaluates the template. A `.$` value directly under an object key uses that
    /// key in its error cause; elsewhere (inside arrays) the nearest key.
    pub fn eval(&self, scope: &Scope<'_>) -> Result<Value, Error> {
        self.eval_in("", scope)
    }

    fn eval_in(&self, field: &str, scope: &Scope<'_>) -> Result<Value, Error> {
        Ok(match self {
            Template::Null => Value::Null,
            Template::Bool(b) => Value::Bool(*b),
            Template::Int(i) => Value::from(*i),
            Template::UInt(u) => Value::from(*u),
            Template::Float(f) => Value::from(*f),
            Template::Str(s) => Value::String((*s).to_owned()),
            Template::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|t| t.eval_in(field, scope))
                    .collect::<Result<_, _>>()?,
            ),
            Template::Object(members) => {
                let mut map = Map::with_capacity(members.len());
                for (key, t) in members.iter() {
                    map.insert((*key).to_owned(), t.eval_in(key, scope)?);
                }
                Value::Object(map)
            }
            Template::Path(path) => eval_path(field, path, scope)?,
            Template::Query(query) => eval_query(field, query, scope)?,
            Template::Call(call) => call.eval_in(field, scope)?,
        })
    }
}

/// One argument of an intrinsic call.
#[derive(Debug)]
pub enum Arg {
    /// `null`
    Null,
    /// `true` / `false`
    Bool(bool),
    /// An integer literal.
    Int(i64),
    /// A number literal with a fraction or exponent.
    Float(f64),
    /// `'text'`, escapes resolved.
    Str(&'static str),
    /// `$.a.b`, `$$.Execution.Id`, `$var`
    Path(ReferencePath),
    /// A JSONPath that is not a reference path: the array of its matches.
    Query(&'static JsonPathQuery),
    /// A nested call, evaluated first.
    Call(&'static Call),
}

/// An intrinsic call as data: `States.MathAdd($.n, 1)`.
#[derive(Debug)]
pub struct Call {
    /// Which `States.X`.
    pub function: Intrinsic,
    /// The arguments in order.
    pub args: &'static [Arg],
    /// For `States.Format` with a literal template: the pieces around `{}` from
    /// [`intrinsics::split_format_template`]; `args` then holds only the values.
    pub format_pieces: Option<&'static [&'static str]>,
}

impl Call {
    /// Evaluates the arguments (inner calls first), then the function.
    pub fn eval(&self, scope: &Scope<'_>) -> Result<Value, Error> {
        self.eval_in("", scope)
    }

    fn eval_in(&self, field: &str, scope: &Scope<'_>) -> Result<Value, Error> {
        let mut values = Vec::with_capacity(self.args.len());
        for arg in self.args {
            values.push(match arg {
                Arg::Null => Value::Null,
                Arg::Bool(b) => Value::Bool(*b),
                Arg::Int(i) => Value::from(*i),
                Arg::Float(f) => Value::from(*f),
                Arg::Str(s) => Value::String((*s).to_owned()),
                Arg::Path(path) => eval_path(field, path, scope)?,
                Arg::Query(query) => eval_query(field, query, scope)?,
                Arg::Call(call) => call.eval_in(field, scope)?,
            });
        }
        match (self.function, self.format_pieces) {
            (Intrinsic::Format, Some(pieces)) => {
                intrinsics::format(pieces, &values).map(Value::String)
            }
            (function, _) => intrinsics::call(function, &values),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::names;
    use crate::path::Segment;
    use serde_json::json;
    use std::borrow::Cow;

    static NAMES: JsonPathQuery = JsonPathQuery::new("$.items[*].name");
    static GREETING: Call = Call {
        function: Intrinsic::Format,
        args: &[Arg::Path(ReferencePath::from_static(
            Root::Input,
            &[Segment::Field(Cow::Borrowed("who"))],
            "$.who",
        ))],
        format_pieces: Some(&["Hello, ", "!"]),
    };
    static LENGTH: Call = Call {
        function: Intrinsic::ArrayLength,
        args: &[Arg::Call(&SPLIT)],
        format_pieces: None,
    };
    static SPLIT: Call = Call {
        function: Intrinsic::StringSplit,
        args: &[Arg::Str("a,b,c"), Arg::Str(",")],
        format_pieces: None,
    };
    static TEMPLATE: Template = Template::Object(&[
        ("z", Template::Str("literal")),
        (
            "who",
            Template::Path(ReferencePath::from_static(
                Root::Input,
                &[Segment::Field(Cow::Borrowed("who"))],
                "$.who",
            )),
        ),
        (
            "exec",
            Template::Path(ReferencePath::from_static(
                Root::Context,
                &[
                    Segment::Field(Cow::Borrowed("Execution")),
                    Segment::Field(Cow::Borrowed("Name")),
                ],
                "$$.Execution.Name",
            )),
        ),
        ("names", Template::Query(&NAMES)),
        ("greeting", Template::Call(&GREETING)),
        ("count", Template::Call(&LENGTH)),
        (
            "nested",
            Template::Object(&[(
                "list",
                Template::Array(&[
                    Template::Int(1),
                    Template::Float(1.5),
                    Template::Null,
                    Template::Bool(true),
                ]),
            )]),
        ),
    ]);

    #[test]
    fn evaluates_in_template_order() {
        let input = json!({"who": "Ann", "items": [{"name": "a"}, {"name": "b"}]});
        let context = json!({"Execution": {"Name": "run-1"}});
        let scope = Scope {
            input: &input,
            context: &context,
            variables: None,
        };
        let out = TEMPLATE.eval(&scope).unwrap();
        assert_eq!(
            out.to_string(),
            r#"{"z":"literal","who":"Ann","exec":"run-1","names":["a","b"],"greeting":"Hello, Ann!","count":3,"nested":{"list":[1,1.5,null,true]}}"#
        );
    }

    #[test]
    fn missing_path_names_field_and_input() {
        let input = json!({"x": 1});
        let err = TEMPLATE.eval(&Scope::input(&input)).unwrap_err();
        assert_eq!(err.name(), names::RUNTIME);
        assert_eq!(
            err.cause(),
            Some(
                r#"The JSONPath '$.who' specified for the field 'who.$' could not be found in the input '{"x":1}'"#
            )
        );
    }

    #[test]
    fn variables_and_failing_intrinsics() {
        static BAD: Call = Call {
            function: Intrinsic::ArrayGetItem,
            args: &[Arg::Str("x"), Arg::Int(0)],
            format_pieces: None,
        };
        let input = json!({});
        let e = BAD.eval(&Scope::input(&input)).unwrap_err();
        assert_eq!(e.name(), names::RUNTIME);
        assert_eq!(e.cause(), Some("Invalid arguments in States.ArrayGetItem"));
        let mut vars = Map::new();
        vars.insert("v".into(), json!({"a": 2}));
        let scope = Scope {
            input: &input,
            context: &Value::Null,
            variables: Some(&vars),
        };
        let p = ReferencePath::from_static(
            Root::Variable(Cow::Borrowed("v")),
            &[Segment::Field(Cow::Borrowed("a"))],
            "$v.a",
        );
        assert_eq!(eval_path("k", &p, &scope).unwrap(), json!(2));
        let unknown = ReferencePath::from_static(Root::Variable(Cow::Borrowed("w")), &[], "$w");
        assert!(eval_path("k", &unknown, &scope).is_err());
        static VAR_QUERY: JsonPathQuery = JsonPathQuery::new("$v.*");
        assert_eq!(eval_query("k", &VAR_QUERY, &scope).unwrap(), json!([2]));
        static UNKNOWN_QUERY: JsonPathQuery = JsonPathQuery::new("$w.a");
        assert_eq!(
            eval_query("k", &UNKNOWN_QUERY, &scope).unwrap_err().cause(),
            Some(
                "The JSONPath '$w.a' specified for the field 'k.$' could not be found in the input '{}'"
            )
        );
    }
}
