//! Shape inference through the graph, and rules `asl::path-never-present` and
//! `asl::type-never-matches`.
//!
//! In: a checked [`StateMachine`] and the resources the program serves. Out:
//! the JSON shape of every state's input and output ([`infer`], which `asl
//! types` prints), and a diagnostic for every path that can never select
//! anything, whatever the execution input, and for every value that always
//! has a type its use never accepts ([`check_types`]).
//!
//! The execution input is unknown: nothing is reported about data nobody
//! described. What is known comes from the definition itself (a Pass
//! `Result`, a payload template's keys, `ResultPath` placing a result, `null`
//! paths, a Catch's `{Error, Cause}`, Map's array, Parallel's array), from the
//! context object, from a Choice rule that matched (its value has the type
//! it compares, on that branch), and from the integration catalogue's result
//! shapes (`asl_lang::integrations::results`; a resource the program serves
//! with its own handler returns what that handler returns: unknown, or the
//! shape of the JSON Schema declared for it, see [`Handlers`]). A state's
//! input is the join of what every edge into it brings, computed to a fixed
//! point over loops, states taken in reverse postorder; shapes are widened to
//! unknown past a depth, a union past a size, an object past 64 keys, and a
//! state whose input keeps growing.
//!
//! An error is reported only where every edge agrees the path is absent (a
//! closed object without the key, or a value of another kind), so a loop or a
//! second edge never makes a false error. A Choice's rules are checked up to
//! the first that may be a guard (an `Is*` test, `And`/`Or`/`Not`): the rules
//! after it run only where it failed. A JSONata state's `Output`, Catch
//! output, Choice rule output and `Assign` values have the compiled JSONata
//! subset's types (literals, object and array constructors, operators, the
//! functions whose result kind is fixed, paths through objects from
//! `$states.input`/`result`/`errorOutput`/`context` and variables; an
//! expression outside the subset, a path through an array, a JSONata Map or
//! Parallel: unknown); JSONata expressions themselves and full JSONPath
//! queries are not checked. A variable has the join of every value the
//! definition's `Assign`s give it, so `$order.id` is checked as `$.order.id`
//! is. Where a path is absent on some edges into its state only, the warning
//! `asl::path-maybe-absent` says which edge.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use asl_lang::integrations::results::{ResultShape, result_shape};

use crate::diagnostics::{Diagnostic, Sink};
use crate::expr::{Arg, Call, Expression, Function, Path, ReferencePath, Root, Segment};
use crate::model::{
    Catcher, ConditionKind, Dynamic, Io, Nullable, Operand, OperandType, Operator, Origin,
    QueryLanguage, StateKind, StateMachine, Template, TemplateNode, Transition, WaitDuration,
};
use crate::rules::Rule;

/// Objects nest at most this deep in an inferred shape; deeper is unknown.
const MAX_DEPTH: usize = 12;
/// A union of more kinds than this is unknown.
const MAX_UNION: usize = 6;
/// A state's input may grow this many times before it is widened to unknown.
const MAX_UPDATES: u32 = 8;
/// An object of more keys than this is unknown (a state's data is copied
/// from state to state: this bounds the work on long chains that keep
/// adding results).
const MAX_FIELDS: usize = 64;

/// The JSON shape of a value, as far as the definition tells.
#[derive(Clone, Debug, PartialEq)]
pub enum Shape {
    /// Any value: nothing is known.
    Unknown,
    Null,
    Bool,
    Number,
    String,
    /// An array of elements of this shape (of any length).
    Array(Box<Shape>),
    Object(Object),
    /// One of these (each of a different kind; never `Unknown` or a union).
    Union(Vec<Shape>),
}

/// An object's known keys.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Object {
    pub fields: BTreeMap<String, Field>,
    /// May have keys besides `fields`.
    pub open: bool,
}

/// One key of an object.
#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    pub shape: Shape,
    /// Present in every value (otherwise: in some).
    pub required: bool,
}

impl Shape {
    /// A closed object with these required fields.
    pub fn object<I: IntoIterator<Item = (String, Shape)>>(fields: I) -> Shape {
        Shape::Object(Object {
            fields: fields
                .into_iter()
                .map(|(k, shape)| {
                    (
                        k,
                        Field {
                            shape,
                            required: true,
                        },
                    )
                })
                .collect(),
            open: false,
        })
    }

    /// The shape of a literal JSON value.
    pub fn of_value(value: &serde_json::Value) -> Shape {
        Shape::of_value_at(value, 0)
    }

    fn of_value_at(value: &serde_json::Value, depth: usize) -> Shape {
        use serde_json::Value;
        if depth > MAX_DEPTH {
            return Shape::Unknown;
        }
        match value {
            Value::Null => Shape::Null,
            Value::Bool(_) => Shape::Bool,
            Value::Number(_) => Shape::Number,
            Value::String(_) => Shape::String,
            Value::Array(items) => Shape::Array(Box::new(
                items
                    .iter()
                    .map(|v| Shape::of_value_at(v, depth + 1))
                    .reduce(|a, b| a.join(&b))
                    .unwrap_or(Shape::Unknown),
            )),
            Value::Object(map) if map.len() > MAX_FIELDS => Shape::Unknown,
            Value::Object(map) => Shape::object(
                map.iter()
                    .map(|(k, v)| (k.clone(), Shape::of_value_at(v, depth + 1))),
            ),
        }
    }

    /// The shape of the values a JSON Schema accepts, as far as it says:
    /// `type` (one or a list), `properties` with `required`, objects closed
    /// by `additionalProperties: false` (open otherwise), `items`, `const`
    /// and `enum`, `anyOf`/`oneOf` (joined), `allOf` of one schema, `$ref`
    /// into the same document (`#/$defs/...`, `#/definitions/...`). Anything
    /// else is unknown, so a schema never makes a path an error that the
    /// schema would accept.
    ///
    /// ```
    /// use asl_build::check::types::Shape;
    /// let schema = serde_json::json!({
    ///     "type": "object",
    ///     "properties": {"cluster": {"type": "string"}},
    ///     "required": ["cluster"],
    ///     "additionalProperties": false
    /// });
    /// assert_eq!(Shape::of_schema(&schema).to_string(), "{cluster: string}");
    /// ```
    pub fn of_schema(schema: &serde_json::Value) -> Shape {
        Shape::of_schema_at(schema, schema, 0)
    }

    fn of_schema_at(schema: &serde_json::Value, root: &serde_json::Value, depth: usize) -> Shape {
        use serde_json::Value;
        if depth > MAX_DEPTH {
            return Shape::Unknown;
        }
        let Value::Object(s) = schema else {
            return Shape::Unknown;
        };
        let joined = |schemas: &Vec<Value>| {
            schemas
                .iter()
                .map(|x| Shape::of_schema_at(x, root, depth + 1))
                .reduce(|a, b| a.join(&b))
                .unwrap_or(Shape::Unknown)
        };
        if let Some(Value::String(r)) = s.get("$ref") {
            return match r.strip_prefix('#').and_then(|p| root.pointer(p)) {
                Some(target) => Shape::of_schema_at(target, root, depth + 1),
                None => Shape::Unknown,
            };
        }
        if let Some(c) = s.get("const") {
            return Shape::of_value(c);
        }
        if let Some(Value::Array(values)) = s.get("enum") {
            return values
                .iter()
                .map(Shape::of_value)
                .reduce(|a, b| a.join(&b))
                .unwrap_or(Shape::Unknown);
        }
        for key in ["anyOf", "oneOf"] {
            if let Some(Value::Array(options)) = s.get(key) {
                return joined(options);
            }
        }
        if let Some(Value::Array(all)) = s.get("allOf") {
            return match all.as_slice() {
                [one] if s.get("type").is_none() => Shape::of_schema_at(one, root, depth + 1),
                _ => Shape::Unknown,
            };
        }
        let types: Vec<&str> = match s.get("type") {
            Some(Value::String(t)) => vec![t.as_str()],
            Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
            None if s.contains_key("properties") => vec!["object"],
            None if s.contains_key("items") => vec!["array"],
            _ => return Shape::Unknown,
        };
        let one = |t: &str| match t {
            "null" => Shape::Null,
            "boolean" => Shape::Bool,
            "integer" | "number" => Shape::Number,
            "string" => Shape::String,
            "array" => Shape::Array(Box::new(match s.get("items") {
                Some(Value::Array(tuple)) => joined(tuple),
                Some(items) => Shape::of_schema_at(items, root, depth + 1),
                None => Shape::Unknown,
            })),
            "object" => {
                let required: Vec<&str> = s
                    .get("required")
                    .and_then(Value::as_array)
                    .map(|r| r.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                let properties = s.get("properties").and_then(Value::as_object);
                if properties.is_some_and(|p| p.len() > MAX_FIELDS) {
                    return Shape::Unknown;
                }
                let closed = s.get("additionalProperties") == Some(&Value::Bool(false))
                    && !s.contains_key("patternProperties");
                Shape::Object(Object {
                    fields: properties
                        .into_iter()
                        .flatten()
                        .map(|(k, v)| {
                            (
                                k.clone(),
                                Field {
                                    shape: Shape::of_schema_at(v, root, depth + 1),
                                    required: required.contains(&k.as_str()),
                                },
                            )
                        })
                        .collect(),
                    open: !closed,
                })
            }
            _ => Shape::Unknown,
        };
        types
            .into_iter()
            .map(one)
            .reduce(|a, b| a.join(&b))
            .unwrap_or(Shape::Unknown)
    }

    /// The shape of a catalogue result.
    pub fn of_result(result: &ResultShape) -> Shape {
        let fields = |fields: &[asl_lang::integrations::results::ResultField], open| {
            Shape::Object(Object {
                fields: fields
                    .iter()
                    .map(|f| {
                        (
                            f.name.to_string(),
                            Field {
                                shape: Shape::of_result(&f.shape),
                                required: f.required,
                            },
                        )
                    })
                    .collect(),
                open,
            })
        };
        match result {
            ResultShape::Any => Shape::Unknown,
            ResultShape::String => Shape::String,
            ResultShape::Number => Shape::Number,
            ResultShape::Boolean => Shape::Bool,
            ResultShape::Object(f) => fields(f, false),
            ResultShape::OpenObject(f) => fields(f, true),
            ResultShape::List(item) => Shape::Array(Box::new(Shape::of_result(item))),
            ResultShape::Map => Shape::Object(Object {
                fields: BTreeMap::new(),
                open: true,
            }),
        }
    }

    /// The least shape that holds every value of `self` and of `other`.
    pub fn join(&self, other: &Shape) -> Shape {
        self.join_at(other, 0)
    }

    fn join_at(&self, other: &Shape, depth: usize) -> Shape {
        if depth > MAX_DEPTH {
            return Shape::Unknown;
        }
        match (self, other) {
            (Shape::Unknown, _) | (_, Shape::Unknown) => Shape::Unknown,
            (a, b) if a == b => a.clone(),
            (Shape::Array(a), Shape::Array(b)) => Shape::Array(Box::new(a.join_at(b, depth + 1))),
            (Shape::Object(a), Shape::Object(b)) => {
                let joined = a.join(b, depth);
                if joined.fields.len() > MAX_FIELDS {
                    Shape::Unknown
                } else {
                    Shape::Object(joined)
                }
            }
            _ => {
                let mut members: Vec<Shape> = Vec::new();
                for m in self.members().chain(other.members()) {
                    match members.iter_mut().find(|x| same_kind(x, m)) {
                        Some(x) => *x = x.join_at(m, depth),
                        None => members.push(m.clone()),
                    }
                }
                if members.len() > MAX_UNION || members.contains(&Shape::Unknown) {
                    Shape::Unknown
                } else if members.len() == 1 {
                    members.pop().unwrap_or(Shape::Unknown)
                } else {
                    Shape::Union(members)
                }
            }
        }
    }

    fn members(&self) -> Box<dyn Iterator<Item = &Shape> + '_> {
        match self {
            Shape::Union(m) => Box::new(m.iter()),
            other => Box::new(std::iter::once(other)),
        }
    }

    /// What one step of a reference path selects: `Ok` with the shape it may
    /// select, or `Err` with why it can never select anything.
    fn step(&self, segment: &Segment) -> Result<Shape, Absent> {
        match (self, segment) {
            (Shape::Unknown, _) => Ok(Shape::Unknown),
            (Shape::Object(o), Segment::Field(name)) => match o.fields.get(name) {
                Some(f) => Ok(f.shape.clone()),
                None if o.open => Ok(Shape::Unknown),
                None => Err(Absent::NoField(o.fields.keys().cloned().collect())),
            },
            (Shape::Array(item), Segment::Index(_)) => Ok((**item).clone()),
            (Shape::Union(members), _) => {
                let mut found: Option<Shape> = None;
                let mut why = None;
                for m in members {
                    match m.step(segment) {
                        Ok(s) => found = Some(found.map_or(s.clone(), |f| f.join(&s))),
                        Err(e) => why = why.or(Some(e)),
                    }
                }
                match (found, why) {
                    (Some(s), _) => Ok(s),
                    (None, Some(why)) => Err(why),
                    (None, None) => Ok(Shape::Unknown),
                }
            }
            (other, _) => Err(Absent::Kind(other.kind())),
        }
    }

    /// What kind of value this is, for messages: "a string", "an array".
    fn kind(&self) -> &'static str {
        match self {
            Shape::Unknown => "any value",
            Shape::Null => "null",
            Shape::Bool => "a boolean",
            Shape::Number => "a number",
            Shape::String => "a string",
            Shape::Array(_) => "an array",
            Shape::Object(_) => "an object",
            Shape::Union(_) => "one of several kinds",
        }
    }

    /// `self` with `value` written at `segments` (ResultPath), as the runtime
    /// writes it: objects created on the way.
    fn with(&self, segments: &[Segment], value: Shape, depth: usize) -> Shape {
        let Some((first, rest)) = segments.split_first() else {
            return value;
        };
        if depth > MAX_DEPTH {
            return Shape::Unknown;
        }
        match (self, first) {
            (Shape::Object(o), Segment::Field(name)) => {
                let mut o = o.clone();
                let inner = o
                    .fields
                    .get(name)
                    .map_or(Shape::Object(Object::default()), |f| f.shape.clone());
                o.fields.insert(
                    name.clone(),
                    Field {
                        shape: inner.with(rest, value, depth + 1),
                        required: true,
                    },
                );
                if o.fields.len() > MAX_FIELDS {
                    return Shape::Unknown;
                }
                Shape::Object(o)
            }
            // An input nothing is known of: if the write succeeds, it was an
            // object (or null at the root, which the runtime refuses).
            (Shape::Unknown, Segment::Field(name)) => Shape::Object(Object {
                fields: BTreeMap::from([(
                    name.clone(),
                    Field {
                        shape: Shape::Unknown.with(rest, value, depth + 1),
                        required: true,
                    },
                )]),
                open: true,
            }),
            (Shape::Array(item), Segment::Index(_)) => {
                Shape::Array(Box::new(item.join(&item.with(rest, value, depth + 1))))
            }
            // Anything else: the write fails at run time, or it is beyond what
            // is tracked.
            _ => Shape::Unknown,
        }
    }
}

fn same_kind(a: &Shape, b: &Shape) -> bool {
    std::mem::discriminant(a) == std::mem::discriminant(b)
}

/// A JSON type a use requires.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    String,
    Number,
    Bool,
    Array,
    Object,
}

impl Kind {
    fn plural(self) -> &'static str {
        match self {
            Kind::String => "strings",
            Kind::Number => "numbers",
            Kind::Bool => "booleans",
            Kind::Array => "arrays",
            Kind::Object => "objects",
        }
    }

    fn article(self) -> &'static str {
        match self {
            Kind::String => "a string",
            Kind::Number => "a number",
            Kind::Bool => "a boolean",
            Kind::Array => "an array",
            Kind::Object => "an object",
        }
    }
}

impl Shape {
    /// True when no value of this shape is of `kind` (never for unknown).
    fn never(&self, kind: Kind) -> bool {
        match self {
            Shape::Unknown => false,
            Shape::Union(members) => members.iter().all(|m| m.never(kind)),
            Shape::String => kind != Kind::String,
            Shape::Number => kind != Kind::Number,
            Shape::Bool => kind != Kind::Bool,
            Shape::Array(_) => kind != Kind::Array,
            Shape::Object(_) => kind != Kind::Object,
            Shape::Null => true,
        }
    }
}

impl Object {
    fn join(&self, other: &Object, depth: usize) -> Object {
        let mut fields = BTreeMap::new();
        for (k, f) in &self.fields {
            match other.fields.get(k) {
                Some(g) => {
                    fields.insert(
                        k.clone(),
                        Field {
                            shape: f.shape.join_at(&g.shape, depth + 1),
                            required: f.required && g.required,
                        },
                    );
                }
                None => {
                    // Absent from a closed object, or unknown in an open one.
                    let shape = if other.open {
                        Shape::Unknown
                    } else {
                        f.shape.clone()
                    };
                    fields.insert(
                        k.clone(),
                        Field {
                            shape,
                            required: false,
                        },
                    );
                }
            }
        }
        for (k, g) in &other.fields {
            if !self.fields.contains_key(k) {
                let shape = if self.open {
                    Shape::Unknown
                } else {
                    g.shape.clone()
                };
                fields.insert(
                    k.clone(),
                    Field {
                        shape,
                        required: false,
                    },
                );
            }
        }
        Object {
            fields,
            open: self.open || other.open,
        }
    }
}

/// Why a path step can never select anything.
enum Absent {
    /// A closed object without the key; its keys.
    NoField(Vec<String>),
    /// A value of this kind.
    Kind(&'static str),
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Shape::Unknown => f.write_str("any"),
            Shape::Null => f.write_str("null"),
            Shape::Bool => f.write_str("boolean"),
            Shape::Number => f.write_str("number"),
            Shape::String => f.write_str("string"),
            Shape::Array(item) => write!(f, "[{item}]"),
            Shape::Object(o) => {
                f.write_str("{")?;
                for (i, (k, field)) in o.fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    let q = if field.required { "" } else { "?" };
                    write!(f, "{k}{q}: {}", field.shape)?;
                }
                if o.open {
                    f.write_str(if o.fields.is_empty() { "..." } else { ", ..." })?;
                }
                f.write_str("}")
            }
            Shape::Union(members) => {
                for (i, m) in members.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" | ")?;
                    }
                    write!(f, "{m}")?;
                }
                Ok(())
            }
        }
    }
}

/// The input and output shape of one state.
#[derive(Clone, Debug, PartialEq)]
pub struct StateShapes {
    pub state: String,
    pub input: Shape,
    /// `None` for a `Fail` state (no output).
    pub output: Option<Shape>,
}

/// What a program says about the Task handlers it registers itself: the
/// resources it serves (`asl!(…, resources = [...])`), whose results are
/// unknown unless it also declares their shape as a JSON Schema
/// (`resources = ["arn:…" => "result.schema.json"]`). Every other Task's
/// result is the integration catalogue's, or for an SDK action AWS's model's
/// (see [`super::sdk::result_shape`]).
#[derive(Clone, Debug, Default)]
pub struct Handlers {
    resources: Vec<String>,
    results: Vec<(String, Shape)>,
    /// The result shapes of SDK actions read from AWS's models, once each.
    sdk_results: std::cell::RefCell<HashMap<String, Shape>>,
}

impl Handlers {
    /// `resources` served by the program, and those of `result_schemas`,
    /// whose handler returns what the schema accepts (see
    /// [`Shape::of_schema`]): a resource with a schema is served too.
    pub fn new(resources: &[String], result_schemas: &[(String, serde_json::Value)]) -> Self {
        Handlers {
            resources: resources.to_vec(),
            results: result_schemas
                .iter()
                .map(|(arn, schema)| (arn.clone(), Shape::of_schema(schema)))
                .collect(),
            sdk_results: Default::default(),
        }
    }

    /// The result of Task `t` before `ResultSelector`.
    fn result_of(&self, t: &crate::model::Task) -> Shape {
        let arn = &t.resource.value.arn;
        if let Some((_, shape)) = self.results.iter().find(|(r, _)| r == arn) {
            return shape.clone();
        }
        if self.resources.contains(arn) {
            return Shape::Unknown;
        }
        match t.integration() {
            Some(i) => Shape::of_result(&result_shape(i.api, i.pattern)),
            // An SDK action served from AWS's model returns its output shape.
            None => self
                .sdk_results
                .borrow_mut()
                .entry(arn.clone())
                .or_insert_with(|| super::sdk::result_shape(arn).unwrap_or(Shape::Unknown))
                .clone(),
        }
    }
}

/// The shapes of every state reached (nested ones included, after the state
/// that holds them), in the order of the definition.
pub fn infer(machine: &StateMachine, handlers: &Handlers) -> Vec<StateShapes> {
    infer_from(machine, handlers, &Shape::Unknown)
}

/// [`infer`] from a declared execution input (see [`Shape::of_schema`]).
pub fn infer_from(machine: &StateMachine, handlers: &Handlers, input: &Shape) -> Vec<StateShapes> {
    let mut cx = Cx::new(handlers, input);
    cx.prepare_vars(machine, input);
    cx.record = true;
    cx.machine(machine, input.clone(), &cx.context(Shape::Unknown));
    cx.table
}

/// The shape of what an execution that succeeds ends with, from a declared
/// execution input (`Shape::Unknown` when nothing is declared).
pub fn execution_output(machine: &StateMachine, handlers: &Handlers, input: &Shape) -> Shape {
    let mut cx = Cx::new(handlers, input);
    cx.prepare_vars(machine, input);
    cx.machine(machine, input.clone(), &cx.context(Shape::Unknown))
}

/// How many of a definition's JSONPath paths select a value whose shape is
/// known (something the definition, the context object or the catalogue
/// describes), or can never select anything (reported), and how many select
/// unknown data (from the execution input, a handler's result, a variable);
/// full JSONPath queries count as unknown. JSONata is not counted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Coverage {
    pub known: usize,
    pub unknown: usize,
}

/// The [`Coverage`] of `machine`'s JSONPath paths.
pub fn coverage(machine: &StateMachine, handlers: &Handlers) -> Coverage {
    let mut cx = Cx::new(handlers, &Shape::Unknown);
    cx.prepare_vars(machine, &Shape::Unknown);
    cx.report = true;
    cx.machine(machine, Shape::Unknown, &cx.context(Shape::Unknown));
    cx.coverage
}

/// Rule `asl::path-never-present`: a path that no value flowing into its
/// state can ever have. In the reference sample, `"Endpoint.$":
/// "$.eks.Cluster.Endpont"` after `eks:createCluster.sync` with `ResultPath:
/// $.eks` (whose result is `{"Cluster": {..., "Endpoint", ...}}`).
pub fn check_types(machine: &StateMachine, handlers: &Handlers, diags: &mut Sink) {
    check_types_from(machine, handlers, &Shape::Unknown, diags)
}

/// [`check_types`] from a declared execution input: paths into the input
/// are checked against it too.
pub fn check_types_from(
    machine: &StateMachine,
    handlers: &Handlers,
    input: &Shape,
    diags: &mut Sink,
) {
    let mut cx = Cx::new(handlers, input);
    cx.prepare_vars(machine, input);
    cx.report = true;
    cx.machine(machine, input.clone(), &cx.context(Shape::Unknown));
    diags.extend(cx.diags);
}

/// The context object (`$$`), with `Map.Item.Value` of the Map it is in and
/// the execution's input.
fn context(item: Shape, execution_input: Shape) -> Shape {
    let s = |k: &str, v: Shape| (k.to_string(), v);
    let open = |fields: Vec<(String, Shape)>| {
        let Shape::Object(mut o) = Shape::object(fields) else {
            return Shape::Unknown;
        };
        o.open = true;
        Shape::Object(o)
    };
    Shape::object([
        s(
            "Execution",
            open(vec![
                s("Id", Shape::String),
                s("Input", execution_input),
                s("Name", Shape::String),
                s("RoleArn", Shape::String),
                s("StartTime", Shape::String),
            ]),
        ),
        s(
            "State",
            open(vec![
                s("EnteredTime", Shape::String),
                s("Name", Shape::String),
                s("RetryCount", Shape::Number),
            ]),
        ),
        s(
            "StateMachine",
            open(vec![s("Id", Shape::String), s("Name", Shape::String)]),
        ),
        s("Task", open(vec![])),
        s(
            "Map",
            open(vec![s(
                "Item",
                open(vec![s("Index", Shape::Number), s("Value", item)]),
            )]),
        ),
    ])
}

/// The error output a Catch hands on (JSONPath).
fn error_output() -> Shape {
    Shape::object([
        ("Error".to_string(), Shape::String),
        ("Cause".to_string(), Shape::String),
    ])
}

struct Cx<'r> {
    handlers: &'r Handlers,
    /// The execution input, for `$$.Execution.Input`.
    execution_input: Shape,
    /// What `$` is where paths are being read, for messages.
    root: &'static str,
    report: bool,
    record: bool,
    diags: Vec<Diagnostic>,
    table: Vec<StateShapes>,
    /// What a nested machine ends with, per machine and input (it is run
    /// again each time the state that holds it is, until a fixed point).
    memo: HashMap<*const StateMachine, Vec<(Shape, Shape, Shape)>>,
    /// Paths read in the reporting pass.
    coverage: Coverage,
    /// Probing one edge into a state: paths that can never select anything
    /// on it are collected in `probed` instead of reported.
    probing: bool,
    probed: Vec<Probed>,
    /// The shape of each variable: the join of every value the definition
    /// assigns it anywhere (a read may follow any of them); a name not here
    /// is unknown.
    vars: HashMap<String, Shape>,
    /// Collecting `vars`: what each `Assign` assigns, joined per name.
    collecting: bool,
    assigned: HashMap<String, Shape>,
    /// An `Assign` whose names are not known (one JSONata expression) was
    /// seen: any variable may hold anything.
    assigned_unknown: bool,
    /// Each JSONata expression parsed once (`None`: outside the subset).
    jsonata_parsed: HashMap<String, Option<asl_lang::jsonata::ast::Expr>>,
}

/// What a JSONata expression of a state can read.
struct JsonataEnv {
    input: Shape,
    /// `$states.result` where the state has one.
    result: Option<Shape>,
    /// `$states.errorOutput` in a Catch.
    error_output: Option<Shape>,
    context: Shape,
}

/// A path that selects nothing on the edge being probed.
struct Probed {
    origin: Origin,
    text: String,
    reason: String,
    help: String,
}

/// What a state hands to the states after it.
struct Out {
    /// On `Next`, a Choice's `Default`, and at the end.
    output: Option<Shape>,
    /// Per `Catch` entry.
    caught: Vec<Shape>,
    /// Per Choice rule: the output where the rule matched (narrowed by it).
    branches: Vec<Shape>,
}

impl<'r> Cx<'r> {
    fn new(handlers: &'r Handlers, execution_input: &Shape) -> Self {
        Cx {
            handlers,
            execution_input: execution_input.clone(),
            root: "the input",
            report: false,
            record: false,
            diags: Vec::new(),
            table: Vec::new(),
            memo: HashMap::new(),
            coverage: Coverage::default(),
            probing: false,
            probed: Vec::new(),
            vars: HashMap::new(),
            collecting: false,
            assigned: HashMap::new(),
            assigned_unknown: false,
            jsonata_parsed: HashMap::new(),
        }
    }

    /// Runs `machine` once to collect what its `Assign`s give each variable
    /// (only when it has one: most definitions have none), so that `$x.a`
    /// is checked against the shape of `$x`. Flow-insensitive: a variable's
    /// shape is the join of all its assignments, which holds wherever it is
    /// read.
    fn prepare_vars(&mut self, machine: &StateMachine, input: &Shape) {
        if !has_assign(machine) {
            return;
        }
        let (report, record) = (self.report, self.record);
        self.report = false;
        self.record = false;
        self.collecting = true;
        let ctx = self.context(Shape::Unknown);
        self.machine(machine, input.clone(), &ctx);
        self.collecting = false;
        self.report = report;
        self.record = record;
        // Collected with the nested machines' results memoized under no
        // variables: start the real run afresh.
        self.memo.clear();
        self.vars = if self.assigned_unknown {
            HashMap::new()
        } else {
            std::mem::take(&mut self.assigned)
        };
    }

    /// An `Assign` whose `$` is `dollar`: its paths checked, and (while
    /// collecting) what it gives each variable recorded.
    fn assign(
        &mut self,
        assign: Option<&Template>,
        dollar: &Shape,
        root: &'static str,
        ctx: &Shape,
    ) {
        let Some(t) = assign else {
            return;
        };
        match &t.node {
            TemplateNode::Object(fields) => {
                let outer = std::mem::replace(&mut self.root, root);
                for f in fields {
                    let shape = self.template(&f.value, dollar, ctx);
                    self.record_var(&f.name.value, shape);
                }
                self.root = outer;
            }
            TemplateNode::Literal(serde_json::Value::Object(map)) => {
                for (name, value) in map {
                    self.record_var(name, Shape::of_value(value));
                }
            }
            _ => self.assigned_unknown = true,
        }
    }

    fn record_var(&mut self, name: &str, shape: Shape) {
        if !self.collecting {
            return;
        }
        let joined = match self.assigned.get(name) {
            Some(old) => old.join(&shape),
            None => shape,
        };
        self.assigned.insert(name.to_string(), joined);
    }

    /// A JSONata state's `Assign`: each name gets its value's shape (see
    /// [`Self::jsonata_shape`]); a whole-expression `Assign` any name anything.
    fn jsonata_assign(&mut self, assign: Option<&Template>, env: &JsonataEnv) {
        match assign.map(|t| &t.node) {
            None => {}
            Some(TemplateNode::Object(fields)) => {
                for f in fields {
                    let (shape, _) = self.jsonata_template(&f.value, env);
                    self.record_var(&f.name.value, shape);
                }
            }
            Some(TemplateNode::Literal(serde_json::Value::Object(map))) => {
                for (name, value) in map {
                    self.record_var(name, Shape::of_value(value));
                }
            }
            Some(_) => self.assigned_unknown = true,
        }
    }

    /// A JSONata state's transfer: its `Output` (or what it hands on without
    /// one: a Task's result, the input otherwise), its Catch entries' outputs,
    /// its Choice rules', from the compiled JSONata subset's types. Map and
    /// Parallel states (their items and branches in JSONata) stay unknown.
    fn jsonata_state(&mut self, kind: &StateKind, input: &Shape, ctx: &Shape) -> Out {
        let env = |result: Option<Shape>, error_output: Option<Shape>| JsonataEnv {
            input: input.clone(),
            result,
            error_output,
            context: ctx.clone(),
        };
        let output_of = |cx: &mut Self, io: &Io, env: &JsonataEnv, default: Shape| match &io.output
        {
            Some(t) => cx.jsonata_template(t, env).0,
            None => default,
        };
        let caught = |cx: &mut Self, catchers: &[Catcher]| -> Vec<Shape> {
            catchers
                .iter()
                .map(|c| {
                    let env = env(None, Some(error_output()));
                    cx.jsonata_assign(c.assign.as_ref(), &env);
                    match &c.output {
                        Some(t) => cx.jsonata_template(t, &env).0,
                        None => error_output(),
                    }
                })
                .collect()
        };
        match kind {
            StateKind::Task(t) => {
                let result = self.handlers.result_of(t);
                let env = env(Some(result.clone()), None);
                self.jsonata_assign(t.io.assign.as_ref(), &env);
                let output = output_of(self, &t.io, &env, result);
                Out {
                    output: Some(output),
                    caught: caught(self, &t.catch),
                    branches: Vec::new(),
                }
            }
            StateKind::Parallel(p) => {
                self.jsonata_assign(p.io.assign.as_ref(), &env(Some(Shape::Unknown), None));
                Out {
                    output: Some(Shape::Unknown),
                    caught: caught(self, &p.catch),
                    branches: Vec::new(),
                }
            }
            StateKind::Map(m) => {
                self.jsonata_assign(m.io.assign.as_ref(), &env(Some(Shape::Unknown), None));
                Out {
                    output: Some(Shape::Unknown),
                    caught: caught(self, &m.catch),
                    branches: Vec::new(),
                }
            }
            StateKind::Pass(p) => {
                let env = env(None, None);
                self.jsonata_assign(p.io.assign.as_ref(), &env);
                Out {
                    output: Some(output_of(self, &p.io, &env, input.clone())),
                    caught: Vec::new(),
                    branches: Vec::new(),
                }
            }
            StateKind::Wait(w) => {
                let env = env(None, None);
                self.jsonata_assign(w.io.assign.as_ref(), &env);
                Out {
                    output: Some(output_of(self, &w.io, &env, input.clone())),
                    caught: Vec::new(),
                    branches: Vec::new(),
                }
            }
            StateKind::Succeed(s) => {
                let env = env(None, None);
                Out {
                    output: Some(output_of(self, &s.io, &env, input.clone())),
                    caught: Vec::new(),
                    branches: Vec::new(),
                }
            }
            StateKind::Choice(c) => {
                let env = env(None, None);
                self.jsonata_assign(c.io.assign.as_ref(), &env);
                let default = output_of(self, &c.io, &env, input.clone());
                let branches = c
                    .choices
                    .iter()
                    .map(|rule| {
                        self.jsonata_assign(rule.assign.as_ref(), &env);
                        match &rule.output {
                            Some(t) => self.jsonata_template(t, &env).0,
                            None => default.clone(),
                        }
                    })
                    .collect();
                Out {
                    output: Some(default),
                    caught: Vec::new(),
                    branches,
                }
            }
            StateKind::Fail(_) => Out {
                output: None,
                caught: Vec::new(),
                branches: Vec::new(),
            },
        }
    }

    /// A JSONata state's template (`Output`, an `Assign` value): its shape,
    /// and whether it always has a value (an expression can be undefined,
    /// and a key whose value is undefined is left out of its object).
    fn jsonata_template(&mut self, t: &Template, env: &JsonataEnv) -> (Shape, bool) {
        match &t.node {
            TemplateNode::Object(fields) => {
                let mut object = Object::default();
                for f in fields {
                    let (shape, defined) = self.jsonata_template(&f.value, env);
                    object.fields.insert(
                        f.name.value.clone(),
                        Field {
                            shape,
                            required: defined,
                        },
                    );
                }
                if object.fields.len() > MAX_FIELDS {
                    return (Shape::Unknown, true);
                }
                (Shape::Object(object), true)
            }
            TemplateNode::Array(items) => {
                // An undefined item is left out; an array item is kept whole.
                let item = items
                    .iter()
                    .map(|i| self.jsonata_template(i, env).0)
                    .reduce(|a, b| a.join(&b))
                    .unwrap_or(Shape::Unknown);
                (Shape::Array(Box::new(item)), true)
            }
            TemplateNode::Literal(v) => (Shape::of_value(v), true),
            TemplateNode::Jsonata(j) => {
                let parsed = match self.jsonata_parsed.get(&j.expression) {
                    Some(p) => p.clone(),
                    None => {
                        let p = asl_lang::jsonata::ast::parse(&j.expression).ok();
                        self.jsonata_parsed.insert(j.expression.clone(), p.clone());
                        p
                    }
                };
                match parsed {
                    Some(expr) => self.jsonata_shape(&expr, env, 0),
                    // Outside the subset: evaluated by the full evaluator.
                    None => (Shape::Unknown, false),
                }
            }
            TemplateNode::Expression(_) => (Shape::Unknown, false),
        }
    }

    /// The shape of a compiled-subset JSONata expression's value, and whether
    /// it always has one. Conservative where JSONata's sequences make a value's
    /// kind depend on the data (a path through an array, a singleton array
    /// unwrapped): unknown there.
    fn jsonata_shape(
        &mut self,
        expr: &asl_lang::jsonata::ast::Expr,
        env: &JsonataEnv,
        depth: usize,
    ) -> (Shape, bool) {
        use asl_lang::jsonata::ast::{BinaryOp as B, Expr, Function as F, Root as R, StatesMember};
        if depth > MAX_DEPTH * 4 {
            return (Shape::Unknown, false);
        }
        let number_if = |defined: bool| (Shape::Number, defined);
        match expr {
            Expr::Null => (Shape::Null, true),
            Expr::Bool(_) => (Shape::Bool, true),
            Expr::Number(_) => (Shape::Number, true),
            Expr::String(_) => (Shape::String, true),
            Expr::Path {
                root,
                root_index,
                steps,
            } => {
                let base = match root {
                    R::States(StatesMember::Input) => env.input.clone(),
                    R::States(StatesMember::Result) => env.result.clone().unwrap_or(Shape::Unknown),
                    R::States(StatesMember::ErrorOutput) => {
                        env.error_output.clone().unwrap_or(Shape::Unknown)
                    }
                    R::States(StatesMember::Context) => env.context.clone(),
                    R::Variable(name) => self.vars.get(name).cloned().unwrap_or(Shape::Unknown),
                    R::Local(_) => Shape::Unknown,
                };
                if root_index.is_some() {
                    return (Shape::Unknown, false);
                }
                let mut current = base;
                let mut defined = true;
                for step in steps {
                    if step.index.is_some() {
                        return (Shape::Unknown, false);
                    }
                    // Only through objects: a step over an array maps over
                    // it (and a singleton result is unwrapped).
                    let Shape::Object(o) = &current else {
                        return (Shape::Unknown, false);
                    };
                    match o.fields.get(&step.name) {
                        Some(f) => {
                            defined &= f.required;
                            current = f.shape.clone();
                        }
                        None => return (Shape::Unknown, false),
                    }
                }
                (current, defined)
            }
            Expr::Index(..) | Expr::Lambda(..) => (Shape::Unknown, false),
            Expr::Array(items) => {
                // An array value among the items is spread into the array.
                let mut item: Option<Shape> = None;
                for i in items {
                    let (shape, _) = self.jsonata_shape(i, env, depth + 1);
                    if !matches!(
                        shape,
                        Shape::Null
                            | Shape::Bool
                            | Shape::Number
                            | Shape::String
                            | Shape::Object(_)
                    ) {
                        return (Shape::Array(Box::new(Shape::Unknown)), true);
                    }
                    item = Some(item.map_or(shape.clone(), |i| i.join(&shape)));
                }
                (Shape::Array(Box::new(item.unwrap_or(Shape::Unknown))), true)
            }
            Expr::Object(pairs) => {
                let mut object = Object::default();
                for (key, value) in pairs {
                    let (shape, defined) = self.jsonata_shape(value, env, depth + 1);
                    object.fields.insert(
                        key.clone(),
                        Field {
                            shape,
                            required: defined,
                        },
                    );
                }
                if object.fields.len() > MAX_FIELDS {
                    return (Shape::Unknown, true);
                }
                (Shape::Object(object), true)
            }
            Expr::Negate(e) => number_if(self.jsonata_shape(e, env, depth + 1).1),
            Expr::Binary(op, a, b) => {
                let (_, da) = self.jsonata_shape(a, env, depth + 1);
                let (_, db) = self.jsonata_shape(b, env, depth + 1);
                match op {
                    B::Add | B::Subtract | B::Multiply | B::Divide | B::Modulo => {
                        number_if(da && db)
                    }
                    B::Equal
                    | B::NotEqual
                    | B::Less
                    | B::LessOrEqual
                    | B::Greater
                    | B::GreaterOrEqual
                    | B::And
                    | B::Or => (Shape::Bool, true),
                    B::Concat => (Shape::String, true),
                }
            }
            Expr::Condition(_, then, otherwise) => {
                let (a, da) = self.jsonata_shape(then, env, depth + 1);
                match otherwise {
                    Some(o) => {
                        let (b, db) = self.jsonata_shape(o, env, depth + 1);
                        (a.join(&b), da && db)
                    }
                    None => (a, false),
                }
            }
            Expr::Call(f, args) => {
                let defined = args.iter().all(|a| self.jsonata_shape(a, env, depth + 1).1);
                match f {
                    F::String
                    | F::Join
                    | F::Uppercase
                    | F::Lowercase
                    | F::Trim
                    | F::Substring
                    | F::SubstringBefore
                    | F::SubstringAfter
                    | F::FormatNumber
                    | F::Hash => (Shape::String, defined),
                    F::Now | F::Uuid => (Shape::String, true),
                    F::Number | F::Round | F::Floor | F::Ceil | F::Abs | F::Sum | F::Length => {
                        (Shape::Number, defined)
                    }
                    F::Count | F::Millis | F::Random => (Shape::Number, true),
                    // Of an empty array: undefined.
                    F::Max | F::Min | F::Average => (Shape::Number, false),
                    F::Boolean | F::Not | F::Contains => (Shape::Bool, defined),
                    F::Exists => (Shape::Bool, true),
                    _ => (Shape::Unknown, false),
                }
            }
        }
    }

    /// The context object where the Map item (if any) is `item`.
    fn context(&self, item: Shape) -> Shape {
        context(item, self.execution_input.clone())
    }

    /// Runs `machine` on `input` to a fixed point; returns the join of what it
    /// can end with. With `report`/`record` set, a last pass over the fixed
    /// point reports and records (nested machines too).
    fn machine(&mut self, machine: &StateMachine, input: Shape, ctx: &Shape) -> Shape {
        let key = machine as *const StateMachine;
        let quiet = !self.report && !self.record;
        if quiet
            && let Some((_, _, end)) = self
                .memo
                .get(&key)
                .and_then(|seen| seen.iter().find(|(i, c, _)| *i == input && c == ctx))
        {
            return end.clone();
        }
        let end = self.run_machine(machine, input.clone(), ctx);
        if quiet {
            self.memo
                .entry(key)
                .or_default()
                .push((input, ctx.clone(), end.clone()));
        }
        end
    }

    fn run_machine(&mut self, machine: &StateMachine, input: Shape, ctx: &Shape) -> Shape {
        let index: HashMap<&str, usize> = machine
            .states
            .iter()
            .enumerate()
            .map(|(i, s)| (s.name.value.as_str(), i))
            .collect();
        let mut inputs: Vec<Option<Shape>> = vec![None; machine.states.len()];
        let mut updates = vec![0u32; machine.states.len()];
        let Some(&start) = index.get(machine.start_at.value.as_str()) else {
            return Shape::Unknown;
        };
        inputs[start] = Some(input.clone());
        // States in reverse postorder: each after its predecessors (loops
        // aside), so a chain of diamonds is not walked once per path.
        let order = super::reverse_postorder(machine);
        let mut queue = std::collections::BTreeSet::from([(order[start], start)]);
        let (report, record, probing) = (self.report, self.record, self.probing);
        self.report = false;
        self.record = false;
        self.probing = false;
        while let Some((_, i)) = queue.pop_first() {
            let Some(shape) = inputs[i].clone() else {
                continue;
            };
            let state = &machine.states[i];
            let out = self.state(&state.kind, state.query_language, &shape, ctx);
            for (target, edge, _) in edges(&state.kind, &out) {
                let Some(&t) = index.get(target) else {
                    continue;
                };
                let joined = match &inputs[t] {
                    None => edge,
                    Some(old) => old.join(&edge),
                };
                if inputs[t].as_ref() != Some(&joined) {
                    updates[t] += 1;
                    inputs[t] = Some(if updates[t] > MAX_UPDATES {
                        Shape::Unknown
                    } else {
                        joined
                    });
                    queue.insert((order[t], t));
                }
            }
        }
        self.report = report;
        self.record = record;
        // The edges into each state, named, with what they bring (for the
        // warnings of the reporting pass); the start's machine input first.
        let mut incoming: Vec<Vec<(Option<&str>, Via, Shape)>> = vec![Vec::new(); inputs.len()];
        // How many edges enter each state (the machine's input counted for
        // the start): only states entered more than one way are probed, so
        // only their edges' shapes are kept.
        let mut in_degree = vec![0usize; inputs.len()];
        if report {
            in_degree[start] += 1;
            for state in &machine.states {
                for (target, _) in super::successors(&state.kind) {
                    if let Some(&t) = index.get(target) {
                        in_degree[t] += 1;
                    }
                }
            }
            if in_degree[start] > 1 {
                incoming[start].push((None, Via::Next, input));
            }
        }
        // Where each state's diagnostics start in `self.diags`.
        let mut reported = vec![(0, 0); inputs.len()];
        // The last pass: what the machine ends with, and (when asked) the
        // diagnostics and the table, from the fixed point.
        let mut end: Option<Shape> = None;
        for (i, state) in machine.states.iter().enumerate() {
            let Some(input) = &inputs[i] else {
                continue;
            };
            let position = self.table.len();
            let first = self.diags.len();
            let out = self.state(&state.kind, state.query_language, input, ctx);
            reported[i] = (first, self.diags.len());
            if report
                && edges_of(&state.kind).any(|t| index.get(t).is_some_and(|&t| in_degree[t] > 1))
            {
                for (target, edge, via) in edges(&state.kind, &out) {
                    if let Some(&t) = index.get(target)
                        && in_degree[t] > 1
                    {
                        incoming[t].push((Some(state.name.value.as_str()), via, edge));
                    }
                }
            }
            if self.record {
                self.table.insert(
                    position,
                    StateShapes {
                        state: state.name.value.clone(),
                        input: input.clone(),
                        output: out.output.clone(),
                    },
                );
            }
            if ends(&state.kind)
                && let Some(o) = &out.output
            {
                end = Some(end.map_or(o.clone(), |e| e.join(o)));
            }
        }
        if report {
            for (i, state) in machine.states.iter().enumerate() {
                let (first, last) = reported[i];
                let reported_here: Vec<usize> = self.diags[first..last]
                    .iter()
                    .map(|d| d.origin.start)
                    .collect();
                self.maybe_absent(state, &incoming[i], &reported_here, ctx);
            }
        }
        self.probing = probing;
        end.unwrap_or(Shape::Unknown)
    }

    /// Rule `asl::path-maybe-absent` (a warning): a path of `state` that
    /// selects something on some edges into it but can never select anything
    /// on another (`$.job.Id` read where a Catch also leads, whose edge holds
    /// `{Error, Cause}` in place of the input): each edge's shape is run
    /// through the state alone; a path already reported for every edge
    /// (`reported_here`, by start offset) is not warned about again.
    fn maybe_absent(
        &mut self,
        state: &crate::model::State,
        incoming: &[(Option<&str>, Via, Shape)],
        reported_here: &[usize],
        ctx: &Shape,
    ) {
        // One probe per distinct shape (many edges bring the same); past a
        // few, shapes are not compared (a state many Catch entries lead to
        // would cost a comparison per pair), each edge is probed.
        const COMPARED: usize = 8;
        let mut distinct: Vec<(&Shape, Vec<String>)> = Vec::new();
        for (from, via, shape) in incoming {
            let same = if distinct.len() < COMPARED {
                distinct.iter_mut().find(|(s, _)| *s == shape)
            } else {
                None
            };
            match same {
                Some((_, names)) => names.push(edge_name(*from, *via)),
                None => distinct.push((shape, vec![edge_name(*from, *via)])),
            }
        }
        if distinct.len() < 2 {
            return;
        }
        let (report, record) = (self.report, self.record);
        self.report = false;
        self.record = false;
        self.probing = true;
        let mut warned: Vec<(usize, String)> = Vec::new();
        for (shape, names) in &distinct {
            self.probed.clear();
            self.state(&state.kind, state.query_language, shape, ctx);
            for p in std::mem::take(&mut self.probed) {
                if reported_here.contains(&p.origin.start)
                    || warned
                        .iter()
                        .any(|(s, t)| *s == p.origin.start && *t == p.text)
                {
                    continue;
                }
                warned.push((p.origin.start, p.text.clone()));
                let from = match names.len() {
                    1 => names[0].clone(),
                    n => format!("{} (and {} more edges)", names[0], n - 1),
                };
                self.diags.push(
                    Diagnostic::new(
                        Rule::PathMaybeAbsent,
                        format!(
                            "`{}` is absent when state \"{}\" is entered from {from}: {}",
                            p.text, state.name.value, p.reason
                        ),
                        p.origin,
                    )
                    .with_help(format!(
                        "{}; on the other edges into \"{}\" it may be present. Guard it with a Choice (`IsPresent`), or make every edge bring it",
                        p.help, state.name.value
                    )),
                );
            }
        }
        self.probing = false;
        self.report = report;
        self.record = record;
    }

    /// One state's transfer: its output from its input.
    fn state(&mut self, kind: &StateKind, lang: QueryLanguage, input: &Shape, ctx: &Shape) -> Out {
        if lang == QueryLanguage::Jsonata {
            return self.jsonata_state(kind, input, ctx);
        }
        match kind {
            StateKind::Pass(p) => {
                let effective = self.input_path(&p.io, input, ctx);
                let result = match (&p.result, &p.io.parameters) {
                    (Some(r), _) => Shape::of_value(&r.value),
                    (None, Some(t)) => self.template(t, &effective, ctx),
                    (None, None) => effective,
                };
                self.assign(p.io.assign.as_ref(), &result, "the result", ctx);
                let output = self.result_and_output(&p.io, input, result, ctx);
                Out {
                    output: Some(output),
                    caught: Vec::new(),
                    branches: Vec::new(),
                }
            }
            StateKind::Task(t) => {
                let effective = self.input_path(&t.io, input, ctx);
                if let Some(params) = &t.io.parameters {
                    self.template(params, &effective, ctx);
                }
                if let Some(c) = &t.credentials {
                    self.template(c, &effective, ctx);
                }
                for d in [&t.timeout_seconds, &t.heartbeat_seconds]
                    .into_iter()
                    .flatten()
                {
                    self.dynamic(d, &effective, ctx);
                }
                let result = self.handlers.result_of(t);
                let result = self.result_selector(&t.io, result, ctx);
                self.assign(t.io.assign.as_ref(), &result, "the result", ctx);
                let output = self.result_and_output(&t.io, input, result, ctx);
                Out {
                    output: Some(output),
                    caught: self.catches(&t.catch, input, ctx),
                    branches: Vec::new(),
                }
            }
            StateKind::Choice(c) => {
                let effective = self.input_path(&c.io, input, ctx);
                // Rules run in order until one matches: the rules after one
                // that may be a guard run only where it failed: not checked.
                for cmp in super::unguarded_comparisons(&c.choices) {
                    let value =
                        self.path(&cmp.variable.value, &cmp.variable.origin, &effective, ctx);
                    // A value of another type never matches (the rule is false).
                    let kind = match cmp.operator.value.operand_type() {
                        OperandType::String | OperandType::Timestamp => Kind::String,
                        OperandType::Number => Kind::Number,
                        OperandType::Bool => Kind::Bool,
                    };
                    if self.report && value.never(kind) {
                        self.diags.push(
                            Diagnostic::new(
                                Rule::TypeNeverMatches,
                                format!(
                                    "`{}` is never {}, so `{}` never matches: it compares {}",
                                    cmp.variable.value.text(),
                                    kind.article(),
                                    cmp.operator.value.name(),
                                    kind.plural()
                                ),
                                cmp.variable.origin.clone(),
                            )
                            .with_help(format!(
                                "`{}` is {}",
                                cmp.variable.value.text(),
                                shorten_shape(&value)
                            )),
                        );
                    }
                    if let Operand::Path(p) = &cmp.operand.value {
                        self.path(p, &cmp.operand.origin, &effective, ctx);
                    }
                }
                self.assign(c.io.assign.as_ref(), &effective, "the input", ctx);
                // Where a rule matched, its value has the type it compares
                // (Choice narrowing); its OutputPath is reported once, below.
                let report = std::mem::replace(&mut self.report, false);
                // A rule's Assign runs only where the rule matched: its
                // shapes are collected, its paths not reported.
                for rule in &c.choices {
                    self.assign(rule.assign.as_ref(), &effective, "the input", ctx);
                }
                let branches = c
                    .choices
                    .iter()
                    .map(|rule| {
                        let narrowed = match &rule.condition.kind {
                            ConditionKind::Compare(cmp) => narrow(&effective, cmp),
                            _ => effective.clone(),
                        };
                        self.output_path(&c.io, narrowed, ctx)
                    })
                    .collect();
                self.report = report;
                let output = self.output_path(&c.io, effective, ctx);
                Out {
                    output: Some(output),
                    caught: Vec::new(),
                    branches,
                }
            }
            StateKind::Wait(w) => {
                let effective = self.input_path(&w.io, input, ctx);
                match &w.duration {
                    WaitDuration::Seconds(d) => self.dynamic(d, &effective, ctx),
                    WaitDuration::Timestamp(d) => self.dynamic(d, &effective, ctx),
                }
                self.assign(w.io.assign.as_ref(), &effective, "the input", ctx);
                Out {
                    output: Some(self.output_path(&w.io, effective, ctx)),
                    caught: Vec::new(),
                    branches: Vec::new(),
                }
            }
            StateKind::Succeed(s) => {
                let effective = self.input_path(&s.io, input, ctx);
                Out {
                    output: Some(self.output_path(&s.io, effective, ctx)),
                    caught: Vec::new(),
                    branches: Vec::new(),
                }
            }
            StateKind::Fail(f) => {
                for d in [&f.error, &f.cause].into_iter().flatten() {
                    self.dynamic(d, input, ctx);
                }
                Out {
                    output: None,
                    caught: Vec::new(),
                    branches: Vec::new(),
                }
            }
            StateKind::Parallel(p) => {
                let effective = self.input_path(&p.io, input, ctx);
                let mut result: Option<Shape> = None;
                for branch in &p.branches {
                    let out =
                        self.machine(branch, effective.clone(), &self.context(Shape::Unknown));
                    result = Some(result.map_or(out.clone(), |r| r.join(&out)));
                }
                let result = Shape::Array(Box::new(result.unwrap_or(Shape::Unknown)));
                let result = self.result_selector(&p.io, result, ctx);
                self.assign(p.io.assign.as_ref(), &result, "the result", ctx);
                let output = self.result_and_output(&p.io, input, result, ctx);
                Out {
                    output: Some(output),
                    caught: self.catches(&p.catch, input, ctx),
                    branches: Vec::new(),
                }
            }
            StateKind::Map(m) => {
                let effective = self.input_path(&m.io, input, ctx);
                let items = match &m.items_path {
                    Some(p) => self.path(&p.value, &p.origin, &effective, ctx),
                    None => effective.clone(),
                };
                if self.report && m.item_reader.is_none() && items.never(Kind::Array) {
                    let (text, origin) = match &m.items_path {
                        Some(p) => (p.value.text().to_string(), p.origin.clone()),
                        None => ("$".to_string(), m.item_processor.origin.clone()),
                    };
                    self.diags.push(
                        Diagnostic::new(
                            Rule::TypeNeverMatches,
                            format!(
                                "ItemsPath `{text}` is never an array: every execution fails here (States.Runtime)"
                            ),
                            origin,
                        )
                        .with_help(format!("`{text}` is {}", shorten_shape(&items))),
                    );
                }
                // Items read from elsewhere (ItemReader) are not known.
                let item = match items {
                    Shape::Array(item) if m.item_reader.is_none() => *item,
                    _ => Shape::Unknown,
                };
                let selected = match &m.item_selector {
                    Some(sel) => self.template(sel, &effective, &self.context(item)),
                    None => item,
                };
                // Batched: `{"Items": [...], "BatchInput": ...}`.
                let item_input = match &m.item_batcher {
                    None => selected,
                    Some(b) => {
                        let mut fields =
                            vec![("Items".to_string(), Shape::Array(Box::new(selected)))];
                        if let Some(t) = &b.batch_input {
                            fields.push((
                                "BatchInput".to_string(),
                                self.template(t, &effective, ctx),
                            ));
                        }
                        Shape::object(fields)
                    }
                };
                let processor_ctx = self.context(Shape::Unknown);
                let out = self.machine(&m.item_processor, item_input, &processor_ctx);
                let result = if m.result_writer.is_none() {
                    Shape::Array(Box::new(out))
                } else {
                    Shape::Unknown
                };
                let result = self.result_selector(&m.io, result, ctx);
                self.assign(m.io.assign.as_ref(), &result, "the result", ctx);
                let output = self.result_and_output(&m.io, input, result, ctx);
                Out {
                    output: Some(output),
                    caught: self.catches(&m.catch, input, ctx),
                    branches: Vec::new(),
                }
            }
        }
    }

    fn catches(&mut self, catchers: &[Catcher], input: &Shape, ctx: &Shape) -> Vec<Shape> {
        for c in catchers {
            self.assign(c.assign.as_ref(), &error_output(), "the error output", ctx);
        }
        if self.probing {
            return vec![Shape::Unknown; catchers.len()];
        }
        catchers
            .iter()
            .map(|c| match &c.result_path {
                None => error_output(),
                Some(Nullable { value: None, .. }) => input.clone(),
                Some(Nullable { value: Some(p), .. }) => input.with(&p.segments, error_output(), 0),
            })
            .collect()
    }

    /// `InputPath`: the effective input.
    fn input_path(&mut self, io: &Io, input: &Shape, ctx: &Shape) -> Shape {
        match &io.input_path {
            None => input.clone(),
            Some(Nullable { value: None, .. }) => Shape::object([]),
            Some(Nullable {
                value: Some(p),
                origin,
            }) => self.path(p, origin, input, ctx),
        }
    }

    /// `ResultPath` then `OutputPath`.
    fn result_and_output(&mut self, io: &Io, input: &Shape, result: Shape, ctx: &Shape) -> Shape {
        // A probe looks for paths only: an output no path reads is not built.
        if self.probing && io.output_path.is_none() {
            return Shape::Unknown;
        }
        let output = match &io.result_path {
            None => result,
            Some(Nullable { value: None, .. }) => input.clone(),
            Some(Nullable { value: Some(p), .. }) => input.with(&p.segments, result, 0),
        };
        self.output_path(io, output, ctx)
    }

    fn output_path(&mut self, io: &Io, output: Shape, ctx: &Shape) -> Shape {
        match &io.output_path {
            None => output,
            Some(Nullable { value: None, .. }) => Shape::object([]),
            Some(Nullable {
                value: Some(p),
                origin,
            }) => {
                self.root = "the output";
                let shape = self.path(p, origin, &output, ctx);
                self.root = "the input";
                shape
            }
        }
    }

    /// `ResultSelector`, whose `$` is the result.
    fn result_selector(&mut self, io: &Io, result: Shape, ctx: &Shape) -> Shape {
        match &io.result_selector {
            Some(sel) => {
                self.root = "the result";
                let shape = self.template(sel, &result, ctx);
                self.root = "the input";
                shape
            }
            None => result,
        }
    }

    /// A payload template's shape, its paths checked against `input`.
    fn template(&mut self, t: &Template, input: &Shape, ctx: &Shape) -> Shape {
        match &t.node {
            TemplateNode::Object(fields) => Shape::object(
                fields
                    .iter()
                    .map(|f| (f.name.value.clone(), self.template(&f.value, input, ctx)))
                    .collect::<Vec<_>>(),
            ),
            TemplateNode::Array(items) => Shape::Array(Box::new(
                items
                    .iter()
                    .map(|i| self.template(i, input, ctx))
                    .reduce(|a, b| a.join(&b))
                    .unwrap_or(Shape::Unknown),
            )),
            TemplateNode::Literal(v) => Shape::of_value(v),
            TemplateNode::Expression(e) => self.expression(e, &t.origin, input, ctx),
            TemplateNode::Jsonata(_) => Shape::Unknown,
        }
    }

    fn dynamic<T>(&mut self, d: &Dynamic<T>, input: &Shape, ctx: &Shape) {
        if let Dynamic::Path(e) = d {
            self.expression(&e.value, &e.origin, input, ctx);
        }
    }

    fn expression(&mut self, e: &Expression, origin: &Origin, input: &Shape, ctx: &Shape) -> Shape {
        match e {
            Expression::Path(p) => self.path(p, origin, input, ctx),
            Expression::Intrinsic(call) => self.call(call, origin, input, ctx),
        }
    }

    /// An intrinsic call's result shape; its path arguments checked.
    fn call(&mut self, call: &Call, origin: &Origin, input: &Shape, ctx: &Shape) -> Shape {
        let mut args = Vec::new();
        for (i, a) in call.args.iter().enumerate() {
            let (shape, text) = match a {
                Arg::Path(p) => (self.path(p, origin, input, ctx), p.text()),
                Arg::Call(c) => (self.call(c, origin, input, ctx), c.text.as_str()),
                // Literals are checked where the call is parsed.
                Arg::String(_) => (Shape::String, ""),
                Arg::Number(_) => (Shape::Number, ""),
                Arg::Bool(_) => (Shape::Bool, ""),
                Arg::Null => (Shape::Null, ""),
            };
            if self.report
                && !text.is_empty()
                && let Some(kind) = argument_kind(call.function, i)
                && shape.never(kind)
            {
                self.diags.push(
                    Diagnostic::new(
                        Rule::TypeNeverMatches,
                        format!(
                            "argument {} of {} (`{text}`) is never {}: every execution fails here (States.IntrinsicFailure)",
                            i + 1,
                            call.function.name(),
                            kind.article()
                        ),
                        origin.clone(),
                    )
                    .with_help(format!("`{text}` is {}", shorten_shape(&shape))),
                );
            }
            args.push(shape);
        }
        match call.function {
            Function::Format
            | Function::JsonToString
            | Function::Base64Encode
            | Function::Base64Decode
            | Function::Hash
            | Function::Uuid => Shape::String,
            Function::ArrayContains => Shape::Bool,
            Function::ArrayLength | Function::MathRandom | Function::MathAdd => Shape::Number,
            Function::ArrayRange => Shape::Array(Box::new(Shape::Number)),
            Function::StringSplit => Shape::Array(Box::new(Shape::String)),
            Function::Array => Shape::Array(Box::new(
                args.into_iter()
                    .reduce(|a, b| a.join(&b))
                    .unwrap_or(Shape::Unknown),
            )),
            Function::ArrayPartition => {
                Shape::Array(Box::new(Shape::Array(Box::new(Shape::Unknown))))
            }
            Function::ArrayUnique => Shape::Array(Box::new(Shape::Unknown)),
            Function::StringToJson | Function::ArrayGetItem | Function::JsonMerge => Shape::Unknown,
        }
    }

    /// What `path` selects from `input` (or the context object); reports a
    /// path that can never select anything.
    fn path(&mut self, path: &Path, origin: &Origin, input: &Shape, ctx: &Shape) -> Shape {
        let selected = self.select(path, origin, input, ctx);
        if self.report {
            // Checked against a known shape: it selects something known, or
            // (reported) nothing at all.
            match selected {
                Some(Shape::Unknown) => self.coverage.unknown += 1,
                _ => self.coverage.known += 1,
            }
        }
        selected.unwrap_or(Shape::Unknown)
    }

    /// [`Self::path`]'s walk: `None` when the path can never select anything.
    fn select(
        &mut self,
        path: &Path,
        origin: &Origin,
        input: &Shape,
        ctx: &Shape,
    ) -> Option<Shape> {
        let variable;
        let (root, what) = match (path, path.root()) {
            (Path::Reference(r), Root::Input) => (input, (r, self.root)),
            (Path::Reference(r), Root::Context) => (ctx, (r, "the context object")),
            (Path::Reference(r), Root::Variable(name)) => match self.vars.get(name) {
                Some(shape) => {
                    variable = format!("`${name}`");
                    (shape, (r, variable.as_str()))
                }
                None => return Some(Shape::Unknown),
            },
            // A full JSONPath query: its result is not tracked.
            _ => return Some(Shape::Unknown),
        };
        let (r, what) = what;
        let mut current = root.clone();
        for (i, segment) in r.segments.iter().enumerate() {
            match current.step(segment) {
                Ok(next) => current = next,
                Err(why) => {
                    if self.report {
                        self.diags
                            .push(never_present(r, i, what, &current, why, origin));
                    } else if self.probing {
                        // No "did you mean": the key is another edge's, not a typo.
                        let (reason, help) = absence(r, i, what, &current, why, false);
                        self.probed.push(Probed {
                            origin: origin.clone(),
                            text: r.text.clone(),
                            reason,
                            help,
                        });
                    }
                    return None;
                }
            }
        }
        Some(current)
    }
}

/// Whether any state of `machine` (nested ones included) assigns variables.
fn has_assign(machine: &StateMachine) -> bool {
    machine.states.iter().any(|state| {
        let (io, catch): (&Io, &[Catcher]) = match &state.kind {
            StateKind::Task(t) => (&t.io, &t.catch),
            StateKind::Parallel(p) => {
                if p.branches.iter().any(has_assign) {
                    return true;
                }
                (&p.io, &p.catch)
            }
            StateKind::Map(m) => {
                if has_assign(&m.item_processor) {
                    return true;
                }
                (&m.io, &m.catch)
            }
            StateKind::Choice(c) => {
                if c.choices.iter().any(|r| r.assign.is_some()) {
                    return true;
                }
                (&c.io, &[])
            }
            StateKind::Pass(p) => (&p.io, &[]),
            StateKind::Wait(w) => (&w.io, &[]),
            StateKind::Succeed(s) => (&s.io, &[]),
            StateKind::Fail(_) => return false,
        };
        io.assign.is_some() || catch.iter().any(|c| c.assign.is_some())
    })
}

/// The type an intrinsic function's argument must have, where the runtime
/// refuses any other (as AWS does).
fn argument_kind(function: Function, index: usize) -> Option<Kind> {
    use asl_lang::intrinsics::ArgKind;
    match (function, function.arg_kind(index)) {
        (_, ArgKind::Number) => Some(Kind::Number),
        (_, ArgKind::String) => Some(Kind::String),
        (_, ArgKind::Bool) => Some(Kind::Bool),
        (Function::JsonMerge, ArgKind::Value) => Some(Kind::Object),
        (_, ArgKind::Value) => Some(Kind::Array),
        (_, ArgKind::Any) => None,
    }
}

/// Which of a state's transitions an edge is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Via {
    Next,
    /// The Catch entry at this index.
    Catch(usize),
    /// The Choice rule at this index.
    Rule(usize),
    Default,
}

/// The states each edge of a state leads to, with what it carries.
fn edges<'a>(kind: &'a StateKind, out: &Out) -> Vec<(&'a str, Shape, Via)> {
    let mut edges = Vec::new();
    let output = out.output.clone().unwrap_or(Shape::Unknown);
    let next = |t: &'a Transition| match t {
        Transition::Next(n) => Some(n.value.as_str()),
        Transition::End(_) => None,
    };
    let catches = |c: &'a [Catcher], edges: &mut Vec<(&'a str, Shape, Via)>| {
        for (i, (c, shape)) in c.iter().zip(&out.caught).enumerate() {
            edges.push((c.next.value.as_str(), shape.clone(), Via::Catch(i)));
        }
    };
    match kind {
        StateKind::Task(t) => {
            edges.extend(next(&t.transition).map(|n| (n, output.clone(), Via::Next)));
            catches(&t.catch, &mut edges);
        }
        StateKind::Parallel(p) => {
            edges.extend(next(&p.transition).map(|n| (n, output.clone(), Via::Next)));
            catches(&p.catch, &mut edges);
        }
        StateKind::Map(m) => {
            edges.extend(next(&m.transition).map(|n| (n, output.clone(), Via::Next)));
            catches(&m.catch, &mut edges);
        }
        StateKind::Pass(p) => {
            edges.extend(next(&p.transition).map(|n| (n, output.clone(), Via::Next)))
        }
        StateKind::Wait(w) => {
            edges.extend(next(&w.transition).map(|n| (n, output.clone(), Via::Next)))
        }
        StateKind::Choice(c) => {
            for (i, rule) in c.choices.iter().enumerate() {
                let shape = out.branches.get(i).unwrap_or(&output);
                edges.push((rule.next.value.as_str(), shape.clone(), Via::Rule(i)));
            }
            if let Some(d) = &c.default {
                edges.push((d.value.as_str(), output.clone(), Via::Default));
            }
        }
        StateKind::Succeed(_) | StateKind::Fail(_) => {}
    }
    edges
}

/// The states a state's edges lead to (without their shapes).
fn edges_of(kind: &StateKind) -> impl Iterator<Item = &str> {
    super::successors(kind).into_iter().map(|(t, _)| t)
}

/// How a warning names an edge into a state.
fn edge_name(from: Option<&str>, via: Via) -> String {
    let Some(from) = from else {
        return "StartAt (with the machine's input)".to_string();
    };
    match via {
        Via::Next => format!("\"{from}\""),
        Via::Catch(i) => format!("\"{from}\" through its Catch #{}", i + 1),
        Via::Rule(i) => format!("\"{from}\" through its Choice rule #{}", i + 1),
        Via::Default => format!("\"{from}\" through its Default"),
    }
}

/// `input` where a comparison matched: its value has the type it compares
/// (`IsString: true` a string, `NumericEquals` a number, ...).
fn narrow(input: &Shape, cmp: &crate::model::Comparison) -> Shape {
    let Path::Reference(r) = &cmp.variable.value else {
        return input.clone();
    };
    if r.root != Root::Input {
        return input.clone();
    }
    let is = matches!(cmp.operand.value, Operand::Bool(true));
    let kind = match cmp.operator.value {
        Operator::IsString | Operator::IsTimestamp if is => Shape::String,
        Operator::IsNumeric if is => Shape::Number,
        Operator::IsBoolean if is => Shape::Bool,
        Operator::IsNull if is => Shape::Null,
        Operator::IsNull
        | Operator::IsPresent
        | Operator::IsNumeric
        | Operator::IsString
        | Operator::IsBoolean
        | Operator::IsTimestamp => return input.clone(),
        op => match op.operand_type() {
            OperandType::String | OperandType::Timestamp => Shape::String,
            OperandType::Number => Shape::Number,
            OperandType::Bool => Shape::Bool,
        },
    };
    // What the path selects now, without reporting (done by the rule's check).
    let mut current = input.clone();
    for segment in &r.segments {
        match current.step(segment) {
            Ok(next) => current = next,
            Err(_) => return input.clone(),
        }
    }
    let narrowed = match current {
        Shape::Unknown => kind,
        Shape::Union(members) => match members.into_iter().find(|m| same_kind(m, &kind)) {
            Some(m) => m,
            None => return input.clone(),
        },
        same if same_kind(&same, &kind) => same,
        // Never matches (reported as asl::type-never-matches).
        _ => return input.clone(),
    };
    input.with(&r.segments, narrowed, 0)
}

/// Does the state end its machine with an output?
fn ends(kind: &StateKind) -> bool {
    let end = |t: &Transition| matches!(t, Transition::End(_));
    match kind {
        StateKind::Succeed(_) => true,
        StateKind::Task(t) => end(&t.transition),
        StateKind::Pass(p) => end(&p.transition),
        StateKind::Wait(w) => end(&w.transition),
        StateKind::Parallel(p) => end(&p.transition),
        StateKind::Map(m) => end(&m.transition),
        StateKind::Choice(_) | StateKind::Fail(_) => false,
    }
}

/// The diagnostic for `path`, whose step `at` finds nothing in `parent`.
fn never_present(
    path: &ReferencePath,
    at: usize,
    root: &str,
    parent: &Shape,
    why: Absent,
    origin: &Origin,
) -> Diagnostic {
    let (reason, help) = absence(path, at, root, parent, why, true);
    Diagnostic::new(
        Rule::PathNeverPresent,
        format!("`{}` can never be present: {reason}", path.text),
        origin.clone(),
    )
    .with_help(help)
}

/// Why `path`'s step `at` finds nothing in `parent`, and the help that
/// shows `parent`'s shape.
fn absence(
    path: &ReferencePath,
    at: usize,
    root: &str,
    parent: &Shape,
    why: Absent,
    suggest: bool,
) -> (String, String) {
    // What the parent is called: its own key, or the path up to it.
    let parent_name = match at.checked_sub(1).map(|i| &path.segments[i]) {
        None => root.to_string(),
        Some(Segment::Field(name)) => name.clone(),
        Some(Segment::Index(_)) => format!("`{}`", prefix_text(path, at)),
    };
    let step = match &path.segments[at] {
        Segment::Field(name) => name.clone(),
        Segment::Index(i) => format!("[{i}]"),
    };
    let (reason, help) = match why {
        Absent::NoField(keys) => {
            let mut reason = format!("{parent_name} has no field {step}");
            let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
            if let Some(s) = crate::lower::suggest(&step, &[&keys]).filter(|_| suggest) {
                reason.push_str(&format!("; did you mean {s}?"));
            }
            (
                reason,
                format!("{parent_name} is {}", shorten_shape(parent)),
            )
        }
        Absent::Kind(kind) => (
            format!("{parent_name} is {kind}, which has no {step}"),
            format!("{parent_name} is {}", shorten_shape(parent)),
        ),
    };
    (reason, help)
}

/// The text of `path` up to (not including) segment `at`.
fn prefix_text(path: &ReferencePath, at: usize) -> String {
    let mut out = match &path.root {
        Root::Input => "$".to_string(),
        Root::Context => "$$".to_string(),
        Root::Variable(v) => format!("${v}"),
    };
    for s in &path.segments[..at] {
        match s {
            Segment::Field(n) => {
                out.push('.');
                out.push_str(n);
            }
            Segment::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

fn shorten_shape(shape: &Shape) -> String {
    crate::diagnostics::shorten(&shape.to_string(), 400).into_owned()
}
