//! A state's input and output processing, step by step in AWS's order:
//! `InputPath` → `Parameters` → (the state's work) → `ResultSelector` →
//! `ResultPath` → `OutputPath`.
//!
//! In: the state's raw input (owned, so `$` paths move instead of copying), the
//! fields as compiled by build-support ([`PathField`], [`crate::template::Template`])
//! and the context object. Out: the effective input, then the state output, or
//! AWS's error:
//! - `InputPath`/`OutputPath` selecting nothing: `States.Runtime`,
//!   `Invalid path '$.x' : No results for path: $['x']`;
//! - a `.$` template field selecting nothing: `States.Runtime` (see
//!   [`crate::template`]);
//! - `ResultPath` through a non-object: `States.ResultPathMatchFailure`.
//!
//! The engine adds the state prefix with [`Error::in_state`].

use serde_json::{Map, Value};

use crate::error::Error;
use crate::jsonpath::{JsonPathQuery, QueryResult};
use crate::path::{ReferencePath, Root};
use crate::template::{Scope, Template};

/// An `InputPath`, `OutputPath` or `ItemsPath` field.
#[derive(Debug)]
pub enum PathField {
    /// Field absent: `$`, the whole value.
    Absent,
    /// `null`: AWS passes `{}`.
    Null,
    /// A reference path.
    Path(ReferencePath),
    /// A JSONPath that is not a reference path (`$.items[*]`): its matches as an array.
    Query(&'static JsonPathQuery),
}

/// A `ResultPath` field.
#[derive(Debug)]
pub enum ResultPathField {
    /// Field absent: `$`, the result replaces the input.
    Absent,
    /// `null`: the result is discarded, the input passes through.
    Null,
    /// Where to put the result inside the input.
    Path(ReferencePath),
}

/// Applies an `InputPath`/`OutputPath` to `value`. `context` serves `$$` paths.
pub fn apply_path(field: &PathField, value: Value, context: &Value) -> Result<Value, Error> {
    match field {
        PathField::Absent => Ok(value),
        PathField::Null => Ok(Value::Object(Map::new())),
        PathField::Path(path) => select_owned(path, value, context),
        PathField::Query(query) => {
            let root = if query.is_context() { context } else { &value };
            match query.query(root) {
                QueryResult::Found(v) => Ok(v),
                QueryResult::NotFound => Err(Error::runtime(format!(
                    "Invalid path '{0}' : No results for path: {0}",
                    query.text()
                ))),
            }
        }
    }
}

/// The value at `path` in `value`, moved out rather than cloned where possible.
fn select_owned(path: &ReferencePath, value: Value, context: &Value) -> Result<Value, Error> {
    match path.root {
        Root::Input if path.is_root() => Ok(value),
        Root::Input => {
            let mut value = value;
            take_at(path, &mut value).ok_or_else(|| path.no_results_error())
        }
        Root::Context => path.select(context).cloned(),
        // Variables are not visible to InputPath/OutputPath in JSONPath states.
        Root::Variable(_) => Err(path.no_results_error()),
    }
}

/// Moves the value at `path` out of `value` (which is consumed by the caller).
fn take_at(path: &ReferencePath, value: &mut Value) -> Option<Value> {
    use crate::path::Segment;
    let mut current = value;
    for segment in path.segments.iter() {
        current = match (segment, current) {
            (Segment::Field(name), Value::Object(map)) => map.get_mut(name.as_ref())?,
            (Segment::Index(i), Value::Array(items)) => items.get_mut(*i)?,
            _ => return None,
        };
    }
    Some(current.take())
}

/// `InputPath`: the part of the raw input the state works on.
pub fn input_path(field: &PathField, raw_input: Value, context: &Value) -> Result<Value, Error> {
    apply_path(field, raw_input, context)
}

/// `Parameters` / `ItemSelector`: the template evaluated over the input after
/// `InputPath`; no template: that input unchanged.
pub fn parameters(
    template: Option<&Template>,
    input: Value,
    scope_context: &Value,
    variables: Option<&Map<String, Value>>,
) -> Result<Value, Error> {
    match template {
        None => Ok(input),
        Some(t) => t.eval(&Scope {
            input: &input,
            context: scope_context,
            variables,
        }),
    }
}

/// `ResultSelector`: the template evaluated over the raw result (`$` is the result).
pub fn result_selector(
    template: Option<&Template>,
    result: Value,
    context: &Value,
    variables: Option<&Map<String, Value>>,
) -> Result<Value, Error> {
    parameters(template, result, context, variables)
}

/// `ResultPath`: places `result` into the state's *raw* input (before `InputPath`).
pub fn result_path(
    field: &ResultPathField,
    raw_input: Value,
    result: Value,
) -> Result<Value, Error> {
    match field {
        ResultPathField::Absent => Ok(result),
        ResultPathField::Null => Ok(raw_input),
        ResultPathField::Path(path) => path.apply_result(raw_input, result),
    }
}

/// `OutputPath`: the part of the combined value the state passes on.
pub fn output_path(field: &PathField, value: Value, context: &Value) -> Result<Value, Error> {
    apply_path(field, value, context)
}

/// All of a state's data-flow fields, for states that use the whole chain (Task,
/// Parallel, Map; Pass uses `Result`/`Parameters` as its result).
#[derive(Debug)]
pub struct DataFlow {
    /// `InputPath`
    pub input_path: PathField,
    /// `Parameters` (or `ItemSelector`)
    pub parameters: Option<Template>,
    /// `ResultSelector`
    pub result_selector: Option<Template>,
    /// `ResultPath`
    pub result_path: ResultPathField,
    /// `OutputPath`
    pub output_path: PathField,
}

impl DataFlow {
    /// No field set: input in, result out.
    pub const DEFAULT: DataFlow = DataFlow {
        input_path: PathField::Absent,
        parameters: None,
        result_selector: None,
        result_path: ResultPathField::Absent,
        output_path: PathField::Absent,
    };

    /// `InputPath` then `Parameters`: what the state's work receives. `raw_input`
    /// is borrowed because `ResultPath` needs it again afterwards.
    pub fn effective_input(
        &self,
        raw_input: &Value,
        context: &Value,
        variables: Option<&Map<String, Value>>,
    ) -> Result<Value, Error> {
        match (&self.input_path, &self.parameters) {
            // Parameters reads the selected input in place: no copy of the input.
            (PathField::Absent, Some(t)) => t.eval(&Scope {
                input: raw_input,
                context,
                variables,
            }),
            (PathField::Path(p), Some(t)) if matches!(p.root, Root::Input) => {
                let selected = p.select(raw_input)?;
                t.eval(&Scope {
                    input: selected,
                    context,
                    variables,
                })
            }
            _ => {
                let selected = input_path(&self.input_path, raw_input.clone(), context)?;
                parameters(self.parameters.as_ref(), selected, context, variables)
            }
        }
    }

    /// `ResultSelector`, `ResultPath`, `OutputPath`: the state output from its
    /// raw input and the result of its work.
    pub fn output(
        &self,
        raw_input: Value,
        result: Value,
        context: &Value,
        variables: Option<&Map<String, Value>>,
    ) -> Result<Value, Error> {
        let result = result_selector(self.result_selector.as_ref(), result, context, variables)?;
        let combined = result_path(&self.result_path, raw_input, result)?;
        output_path(&self.output_path, combined, context)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::names;
    use crate::path::Segment;
    use serde_json::json;
    use std::borrow::Cow;

    #[test]
    fn null_paths_give_empty_object_or_discard() {
        let ctx = Value::Null;
        assert_eq!(
            input_path(&PathField::Null, json!({"a": 1}), &ctx).unwrap(),
            json!({})
        );
        assert_eq!(
            output_path(&PathField::Null, json!({"a": 1}), &ctx).unwrap(),
            json!({})
        );
        assert_eq!(
            input_path(&PathField::Absent, json!([1]), &ctx).unwrap(),
            json!([1])
        );
        assert_eq!(
            result_path(&ResultPathField::Null, json!({"a": 1}), json!(2)).unwrap(),
            json!({"a": 1})
        );
        assert_eq!(
            result_path(&ResultPathField::Absent, json!({"a": 1}), json!(2)).unwrap(),
            json!(2)
        );
    }

    #[test]
    fn missing_input_path_is_runtime_error_with_aws_cause() {
        let p = PathField::Path(ReferencePath::from_static(
            Root::Input,
            &[Segment::Field(Cow::Borrowed("NoSuchInputPath"))],
            "$.NoSuchInputPath",
        ));
        let e = input_path(&p, json!({}), &Value::Null)
            .unwrap_err()
            .in_state("pass", 2);
        assert_eq!(e.name(), names::RUNTIME);
        assert_eq!(
            e.cause(),
            Some(
                "An error occurred while executing the state 'pass' (entered at the event id #2). Invalid path '$.NoSuchInputPath' : No results for path: $['NoSuchInputPath']"
            )
        );
    }

    #[test]
    fn query_paths_and_context_paths() {
        static ALL_N: JsonPathQuery = JsonPathQuery::new("$.items[*].n");
        let out = apply_path(
            &PathField::Query(&ALL_N),
            json!({"items": [{"n": 1}, {"n": 2}]}),
            &Value::Null,
        )
        .unwrap();
        assert_eq!(out, json!([1, 2]));
        let ctx = json!({"Execution": {"Input": {"k": 1}}});
        let p = PathField::Path(ReferencePath::from_static(
            Root::Context,
            &[
                Segment::Field(Cow::Borrowed("Execution")),
                Segment::Field(Cow::Borrowed("Input")),
            ],
            "$$.Execution.Input",
        ));
        assert_eq!(apply_path(&p, json!({}), &ctx).unwrap(), json!({"k": 1}));
    }

    #[test]
    fn full_chain_in_aws_order() {
        static FLOW: DataFlow = DataFlow {
            input_path: PathField::Path(ReferencePath::from_static(
                Root::Input,
                &[Segment::Field(Cow::Borrowed("job"))],
                "$.job",
            )),
            parameters: Some(Template::Object(&[(
                "name",
                Template::Path(ReferencePath::from_static(
                    Root::Input,
                    &[Segment::Field(Cow::Borrowed("name"))],
                    "$.name",
                )),
            )])),
            result_selector: Some(Template::Object(&[(
                "status",
                Template::Path(ReferencePath::from_static(
                    Root::Input,
                    &[Segment::Field(Cow::Borrowed("Status"))],
                    "$.Status",
                )),
            )])),
            result_path: ResultPathField::Path(ReferencePath::from_static(
                Root::Input,
                &[Segment::Field(Cow::Borrowed("result"))],
                "$.result",
            )),
            output_path: PathField::Path(ReferencePath::from_static(
                Root::Input,
                &[Segment::Field(Cow::Borrowed("result"))],
                "$.result",
            )),
        };
        let raw = json!({"job": {"name": "j1"}, "other": true});
        assert_eq!(
            FLOW.effective_input(&raw, &Value::Null, None).unwrap(),
            json!({"name": "j1"})
        );
        let out = FLOW
            .output(
                raw,
                json!({"Status": "DONE", "Noise": 1}),
                &Value::Null,
                None,
            )
            .unwrap();
        assert_eq!(out, json!({"status": "DONE"}));
        assert_eq!(
            DataFlow::DEFAULT
                .output(json!({"a": 1}), json!(5), &Value::Null, None)
                .unwrap(),
            json!(5)
        );
        let e = FLOW
            .effective_input(&json!({}), &Value::Null, None)
            .unwrap_err();
        assert_eq!(
            e.cause(),
            Some("Invalid path '$.job' : No results for path: $['job']")
        );
    }

    #[test]
    fn result_path_merges_into_raw_input() {
        let rp = ResultPathField::Path(ReferencePath::from_static(
            Root::Input,
            &[
                Segment::Field(Cow::Borrowed("a")),
                Segment::Field(Cow::Borrowed("b")),
            ],
            "$.a.b",
        ));
        assert_eq!(
            result_path(&rp, json!({"x": 1}), json!(2)).unwrap(),
            json!({"x": 1, "a": {"b": 2}})
        );
        let e = result_path(&rp, json!({"a": 3}), json!(2)).unwrap_err();
        assert_eq!(e.name(), names::RESULT_PATH_MATCH_FAILURE);
    }
}
