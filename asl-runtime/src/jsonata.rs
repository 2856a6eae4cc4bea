//! JSONata evaluation as Step Functions does it: `"{% expr %}"` strings in `Arguments`,
//! `Output`, `Assign`, `Condition`, `Items`, `ItemSelector`, `TimeoutSeconds`,
//! `Seconds`/`Timestamp`, `Error`/`Cause`, `MaxConcurrency`, `ToleratedFailure*`...
//!
//! In: a [`JsonataExpr`] (the text between `{%` and `%}`, held as `static` data by
//! generated code) or a [`JsonataTemplate`] (a JSON value with such strings at any
//! depth), and a [`JsonataScope`]: `$states` (`input`, `result`, `errorOutput`,
//! `context`) and the workflow variables the state can see. Out: a JSON value, or
//! `States.QueryEvaluationError` with AWS's cause text:
//!
//! - nothing (undefined): `The JSONata expression '$x' specified for the field
//!   'Output/result' returned nothing (undefined).`
//! - an error while evaluating: `... threw an error during evaluation. T1006:
//!   Attempted to invoke a non-function` (JSONata's code and message, without the
//!   character position);
//! - a function as the result: `... returned an unsupported result type.`
//! - the wrong type where a field needs one (`Items`, `Condition`, ...):
//!   `... returned an unexpected result type. Expected 'array', but was 'boolean'
//!   for value: true`.
//!
//! The field name is relative to the state: `Output`, `Output/a/b[0]`, `Assign/x`,
//! `Items`, `Choices[1]/Condition`; [`JsonataTemplate::eval`] extends the name it is
//! given as it descends. The state prefix (`An error occurred while executing the
//! state ...`) is added by [`Error::in_state`], as for every data-flow error.
//!
//! As on AWS there is no context item: `$` is undefined, the input is
//! `$states.input`, a variable is `$name`. Beside JSONata's functions, Step Functions'
//! own: `$partition`, `$range`, `$hash`, `$random` (with an optional seed), `$uuid`,
//! `$parse`; `$eval` does not exist (`T1006`), as on AWS.
//!
//! # From generated code
//!
//! One `static` [`JsonataExpr`] per `{% %}` string (the text between the markers,
//! trimmed: [`expression_of`]), one `static` [`JsonataTemplate`] per JSON-valued field
//! that holds expressions below its top, and per field the helper that checks the
//! type the field needs:
//!
//! | field | call |
//! |---|---|
//! | `Output`, `Arguments`, `Assign/<name>`, `ItemSelector` | [`JsonataTemplate::eval`] with `"Output"`, `"Arguments"`, `"Assign/<name>"`, `"ItemSelector"`; a bare `"{% %}"` value: [`JsonataExpr::value`] |
//! | `Condition` of rule *i* | [`JsonataExpr::boolean`] with `"Choices[i]/Condition"` |
//! | `Items` | [`JsonataExpr::array`] with `"Items"` |
//! | `Error`, `Cause`, `Timestamp` | [`JsonataExpr::string`] |
//! | `Seconds`, `TimeoutSeconds`, `HeartbeatSeconds`, `MaxConcurrency`, `ToleratedFailureCount`, `ToleratedFailurePercentage` | [`JsonataExpr::number`], then the field's own range check |
//!
//! Errors come back without the state prefix: add it with [`Error::in_state`].
//!
//! ```
//! use asl_runtime::jsonata::{JsonataExpr, JsonataScope, JsonataTemplate};
//! use serde_json::{json, Map};
//!
//! static TOTAL: JsonataExpr = JsonataExpr::new("$sum($states.input.values) + $bonus");
//! static OUTPUT: JsonataTemplate = JsonataTemplate::Object(&[
//!     ("total", JsonataTemplate::Expr(&TOTAL)),
//!     ("source", JsonataTemplate::Str("$.not.evaluated")),
//! ]);
//!
//! let input = json!({"values": [1, 2, 3]});
//! let context = json!({"State": {"Name": "Sum"}});
//! let mut variables = Map::new();
//! variables.insert("bonus".to_owned(), json!(10));
//! let scope = JsonataScope::new(&input, &context).with_variables(&variables);
//! let output = OUTPUT.eval(&scope, "Output")?;
//! assert_eq!(output, json!({"total": 16, "source": "$.not.evaluated"}));
//! # Ok::<(), asl_runtime::Error>(())
//! ```
//!
//! # The evaluator: jsonata-rs, wrapped
//!
//! Evaluation is done by the `jsonata-rs` crate (Stedi, Apache-2.0, version 0.3.4),
//! the only JSONata implementation in Rust. It was measured before it was chosen
//! (see `tests/jsonata.rs`): it evaluates every expression of the shared conformance
//! corpus, but it is incomplete and has sharp edges, which this module covers:
//!
//! - It panics on a few constructs it does not implement (the parent operator `%`
//!   aborts in its parser). Those are rejected here before they reach it, with an
//!   error that names the construct; a `catch_unwind` around the call is kept as the
//!   last line of defence and turns any other panic into `States.QueryEvaluationError`.
//! - It has no default limits: an endless recursion runs until the stack overflows.
//!   Every evaluation here runs with a depth limit ([`MAX_DEPTH`]) and a time limit
//!   ([`TIME_LIMIT_MS`]); the nesting of brackets in the text is checked before
//!   parsing ([`MAX_NESTING`]) so the recursive-descent parser cannot overflow either.
//! - Its objects are hash maps: member order is lost. Output objects are put back in
//!   order here: an object that came from the input or a variable keeps its original
//!   order exactly; an object the expression built orders its members by where their
//!   names first appear in the expression text, then in the input, then by name.
//! - It lacks some JSONata 2.0 functions. `$type`, `$average`, `$spread`, `$sift`,
//!   `$shuffle`, `$formatBase`, `$encodeUrl(Component)` and `$decodeUrl(Component)`
//!   are provided here; `$formatNumber`, `$formatInteger` and `$parseInteger` are
//!   missing (they fail with `T1006`). Its `$substring` (byte slicing: a panic inside
//!   a character), `$pad` (an abort on a huge width), `$keys` and `$each` (hash
//!   order) are replaced by this module's; `$round` and `$now` (panics on a missing
//!   or non-string argument) are called only after this module checks arguments,
//!   and `$string` writes large numbers as AWS does (`1e+21`).
//! - It writes non-finite numbers as `null`; AWS writes `"Infinity"`, `"-Infinity"`
//!   and `"NaN"`, and so does this module.
//! - Known differences left: the transform operator (`~> |path|update|`) copies only
//!   the top level, so a nested object it updates is changed in place for the rest of
//!   that evaluation; a number from 1e21 up inside `$string` of an object or array
//!   is written `1e21` where AWS writes `1e+21` (`$string(1e21)` itself is right); a
//!   call of anything but a name or variable (`function($x){$x}(1)`, `$f(1)(2)`,
//!   `'s'()`) and partial application (`$f(?, 1)`) reach panics in its parser, so
//!   they are refused here.
//!
//! # Cost
//!
//! jsonata-rs parses the expression on every evaluation (it ties a parsed expression
//! to the arena of one evaluation and does not expose its syntax tree) and binds its
//! ~50 functions each time: about 12 µs per evaluation in a release build on this
//! project's 2-core machine, 14–30 µs for typical conditions, filters and object
//! constructors. This module keeps the rest small: what can be done once (the checks
//! above, the names the expression reads) is cached per [`JsonataExpr`]; only the
//! `$states` members and variables the expression names are converted, and of
//! `$states.input` only the members it reads (`$states.input.a` converts `a`, not a
//! 1,000-item list beside it: 14 µs either way); JSON literals and plain paths
//! (`$states.input.a.b`, `$items`) are answered without jsonata-rs (0.03 µs), as is
//! every literal leaf of a [`JsonataTemplate`].

use std::borrow::Cow;
use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::OnceLock;

use bumpalo::Bump;
use jsonata_rs::{ArrayFlags, FunctionContext, JsonAta, Value as JValue};
use serde_json::{Map, Number, Value};

use crate::error::{Error, names};

/// The deepest nesting of evaluation the evaluator allows (JSONata's own stack).
pub const MAX_DEPTH: usize = 100;
/// How long one evaluation may run, in milliseconds.
pub const TIME_LIMIT_MS: usize = 5000;
/// The longest string a function of this module builds (AWS bounds a value an
/// expression builds at 6,990,256 bytes).
pub const MAX_STRING_CHARS: usize = 6_990_256;
/// The deepest nesting of `(`, `[` and `{` the expression text may have.
pub use asl_lang::jsonata::MAX_NESTING;

pub use asl_lang::jsonata::expression_of;

/// What `$states` and the variables are while an expression runs.
#[derive(Clone, Copy, Debug)]
pub struct JsonataScope<'a> {
    /// `$states.input`: the state's input.
    pub input: &'a Value,
    /// `$states.result`: the task's (or Map's, Parallel's) result, where it exists
    /// (`Output`, `Assign` after the work is done).
    pub result: Option<&'a Value>,
    /// `$states.errorOutput`: `{"Error", "Cause"}` in a `Catch`'s `Output`/`Assign`.
    pub error_output: Option<&'a Value>,
    /// `$states.context`: the context object.
    pub context: &'a Value,
    /// `$name`: the workflow variables visible to the state.
    pub variables: Option<&'a Map<String, Value>>,
}

impl<'a> JsonataScope<'a> {
    /// A scope with `$states.input` and `$states.context` only.
    pub fn new(input: &'a Value, context: &'a Value) -> Self {
        JsonataScope {
            input,
            result: None,
            error_output: None,
            context,
            variables: None,
        }
    }

    /// The same scope with `$states.result`.
    pub fn with_result(mut self, result: &'a Value) -> Self {
        self.result = Some(result);
        self
    }

    /// The same scope with `$states.errorOutput`.
    pub fn with_error_output(mut self, error_output: &'a Value) -> Self {
        self.error_output = Some(error_output);
        self
    }

    /// The same scope with workflow variables.
    pub fn with_variables(mut self, variables: &'a Map<String, Value>) -> Self {
        self.variables = Some(variables);
        self
    }
}

/// Why an expression gave no value. [`Failure::cause`] words it as AWS does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// The expression threw: a JSONata error code (`T1006`, `S0201`, `U1001`, ...)
    /// and its message. Codes of this module: `U1001` for the depth, time and
    /// nesting limits, `S0217` for a construct this evaluator refuses (the parent
    /// operator `%`, partial application), `U1002` when jsonata-rs panicked (caught).
    Threw {
        /// JSONata's error code.
        code: String,
        /// The message, without JSONata's character position.
        message: String,
    },
    /// The result (or a part of it) is a function, which JSON cannot hold.
    UnsupportedResult,
}

impl Failure {
    /// AWS's cause for this failure of `expression` in `field`.
    pub fn cause(&self, expression: &str, field: &str) -> String {
        match self {
            Failure::Threw { code, message } => format!(
                "The JSONata expression '{expression}' specified for the field '{field}' threw an error during evaluation. {code}: {message}"
            ),
            Failure::UnsupportedResult => format!(
                "The JSONata expression '{expression}' specified for the field '{field}' returned an unsupported result type."
            ),
        }
    }

    fn from_jsonata(error: &jsonata_rs::Error) -> Self {
        let code = error.code().to_owned();
        // Display is "<code> @ <position>: <message>" or "<code> @ <message>".
        let text = error.to_string();
        let rest = text
            .strip_prefix(code.as_str())
            .and_then(|r| r.strip_prefix(" @ "))
            .unwrap_or(&text);
        let message = match rest.split_once(": ") {
            Some((position, message)) if position.bytes().all(|b| b.is_ascii_digit()) => message,
            _ => rest,
        };
        Failure::Threw {
            code,
            message: message.to_owned(),
        }
    }

    fn threw(code: &str, message: impl Into<String>) -> Self {
        Failure::Threw {
            code: code.to_owned(),
            message: message.into(),
        }
    }
}

/// The JSON type names AWS uses in `Expected 'array', but was 'object'`.
pub fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// One JSONata expression, the text between `{%` and `%}` (trimmed), checked once
/// and evaluated many times.
///
/// ```
/// use asl_runtime::jsonata::{JsonataExpr, JsonataScope};
/// use serde_json::json;
///
/// static NEXT: JsonataExpr = JsonataExpr::new("$states.input.a + 1");
/// let input = json!({"a": 41});
/// let scope = JsonataScope::new(&input, &serde_json::Value::Null);
/// assert_eq!(NEXT.value(&scope, "Output").unwrap(), json!(42));
/// ```
#[derive(Debug)]
pub struct JsonataExpr {
    source: Cow<'static, str>,
    prepared: OnceLock<Result<Prepared, Failure>>,
}

#[derive(Debug)]
struct Prepared {
    /// What is handed to the evaluator (the source, with Step Functions' `$random`
    /// bound over JSONata's when the source mentions it).
    text: String,
    /// The variable names the source mentions (`$name`), to bind only those.
    variables: Vec<String>,
    /// A shortcut for the simplest expressions.
    direct: Option<Direct>,
    /// The `$states` members to hand over and how much of each (`None`: all of
    /// them, whole).
    states_members: Option<Vec<asl_lang::jsonata::StatesUse>>,
    /// Whether the transform operator occurs (it updates nested objects in place
    /// in jsonata-rs, so unchanged-looking input objects are converted, not reused).
    transform: bool,
    /// Whether functions that list an object's members run (`$keys`, `$each`,
    /// `$spread`, `$sift`): they need the members' original order.
    needs_key_order: bool,
}

impl JsonataExpr {
    /// An expression from `static` text (what generated code uses).
    pub const fn new(source: &'static str) -> Self {
        JsonataExpr {
            source: Cow::Borrowed(source),
            prepared: OnceLock::new(),
        }
    }

    /// An expression from text known only at run time.
    pub fn owned(source: impl Into<String>) -> Self {
        JsonataExpr {
            source: Cow::Owned(source.into()),
            prepared: OnceLock::new(),
        }
    }

    /// The expression text, as AWS quotes it in causes.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Checks the expression without evaluating it: the errors a parser reports
    /// (`S0201: Syntax error ...`) and constructs this evaluator does not support.
    /// Build-support can call it to reject a definition at compile time.
    pub fn check(&self) -> Result<(), Failure> {
        self.prepared().map(|_| ())
    }

    fn prepared(&self) -> Result<&Prepared, Failure> {
        self.prepared
            .get_or_init(|| prepare(&self.source))
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Evaluates the expression: `Ok(None)` when it yields nothing (undefined).
    pub fn evaluate(&self, scope: &JsonataScope<'_>) -> Result<Option<Value>, Failure> {
        let prepared = self.prepared()?;
        if let Some(answer) = prepared.direct.as_ref().and_then(|d| d.evaluate(scope)) {
            return Ok(answer);
        }
        self.evaluate_with_jsonata(prepared, scope)
    }

    /// Evaluates with jsonata-rs, never through [`Direct`]; for tests that compare
    /// the two.
    #[doc(hidden)]
    pub fn evaluate_without_shortcut(
        &self,
        scope: &JsonataScope<'_>,
    ) -> Result<Option<Value>, Failure> {
        let prepared = self.prepared()?;
        self.evaluate_with_jsonata(prepared, scope)
    }

    fn evaluate_with_jsonata(
        &self,
        prepared: &Prepared,
        scope: &JsonataScope<'_>,
    ) -> Result<Option<Value>, Failure> {
        let run = catch_unwind(AssertUnwindSafe(|| {
            let arena = Bump::new();
            evaluate_in(&arena, prepared, &self.source, scope)
        }));
        match run {
            Ok(result) => result,
            Err(_) => Err(Failure::threw(
                "U1002",
                "The JSONata evaluator failed on this expression (internal error)",
            )),
        }
    }

    /// The value of the expression in `field`; nothing (undefined) or a failure is
    /// `States.QueryEvaluationError` with AWS's cause.
    pub fn value(&self, scope: &JsonataScope<'_>, field: &str) -> Result<Value, Error> {
        match self.evaluate(scope) {
            Ok(Some(value)) => Ok(value),
            Ok(None) => Err(self.undefined_error(field)),
            Err(failure) => Err(self.failure_error(&failure, field)),
        }
    }

    /// The value of the expression where `field` needs an array (`Items`).
    pub fn array(&self, scope: &JsonataScope<'_>, field: &str) -> Result<Vec<Value>, Error> {
        match self.value(scope, field)? {
            Value::Array(items) => Ok(items),
            other => Err(self.type_error(field, "array", &other)),
        }
    }

    /// The value of the expression where `field` needs a boolean (`Condition`).
    pub fn boolean(&self, scope: &JsonataScope<'_>, field: &str) -> Result<bool, Error> {
        match self.value(scope, field)? {
            Value::Bool(b) => Ok(b),
            other => Err(self.type_error(field, "boolean", &other)),
        }
    }

    /// The value of the expression where `field` needs a string (`Error`, `Cause`,
    /// `Timestamp`).
    pub fn string(&self, scope: &JsonataScope<'_>, field: &str) -> Result<String, Error> {
        match self.value(scope, field)? {
            Value::String(s) => Ok(s),
            other => Err(self.type_error(field, "string", &other)),
        }
    }

    /// The value of the expression where `field` needs a number (`Seconds`,
    /// `TimeoutSeconds`, `MaxConcurrency`, `ToleratedFailure*`). Range checks and
    /// integer checks are the caller's: their causes differ by field.
    pub fn number(&self, scope: &JsonataScope<'_>, field: &str) -> Result<Number, Error> {
        match self.value(scope, field)? {
            Value::Number(n) => Ok(n),
            other => Err(self.type_error(field, "number", &other)),
        }
    }

    /// `States.QueryEvaluationError`: the expression in `field` gave nothing.
    pub fn undefined_error(&self, field: &str) -> Error {
        Error::new(
            names::QUERY_EVALUATION_ERROR,
            format!(
                "The JSONata expression '{}' specified for the field '{field}' returned nothing (undefined).",
                self.source
            ),
        )
    }

    /// `States.QueryEvaluationError` for a [`Failure`] in `field`.
    pub fn failure_error(&self, failure: &Failure, field: &str) -> Error {
        Error::new(
            names::QUERY_EVALUATION_ERROR,
            failure.cause(&self.source, field),
        )
    }

    /// `States.QueryEvaluationError`: `field` needs `expected` but got `value`.
    pub fn type_error(&self, field: &str, expected: &str, value: &Value) -> Error {
        Error::new(
            names::QUERY_EVALUATION_ERROR,
            format!(
                "The JSONata expression '{}' specified for the field '{field}' returned an unexpected result type. Expected '{expected}', but was '{}' for value: {value}",
                self.source,
                type_name(value)
            ),
        )
    }
}

/// A JSON value whose strings may be `{% ... %}` expressions, at any depth
/// (`Arguments`, `Output`, `Assign`, `ItemSelector`), as `static` data.
///
/// Each expression leaf is evaluated; every other string is literal, even one that
/// looks like a path (`"$.a"`, `"$var"`). Members keep template order. A leaf that
/// yields nothing fails the whole template with `States.QueryEvaluationError`, as on
/// AWS (`... specified for the field 'Output/result' returned nothing (undefined).`).
#[derive(Debug)]
pub enum JsonataTemplate {
    /// `null`
    Null,
    /// `true` / `false`
    Bool(bool),
    /// An integer literal that fits `i64`.
    Int(i64),
    /// An integer literal above `i64::MAX`.
    UInt(u64),
    /// A number literal with a fraction or exponent.
    Float(f64),
    /// A literal string.
    Str(&'static str),
    /// An array.
    Array(&'static [JsonataTemplate]),
    /// Members in template order.
    Object(&'static [(&'static str, JsonataTemplate)]),
    /// A `"{% ... %}"` string.
    Expr(&'static JsonataExpr),
}

impl JsonataTemplate {
    /// Evaluates the template written in `field` (`"Output"`, `"Arguments"`,
    /// `"Assign"`...). A leaf's field is named as AWS names it: `Output/a/b[0]`.
    pub fn eval(&self, scope: &JsonataScope<'_>, field: &str) -> Result<Value, Error> {
        Ok(match self {
            JsonataTemplate::Null => Value::Null,
            JsonataTemplate::Bool(b) => Value::Bool(*b),
            JsonataTemplate::Int(i) => Value::from(*i),
            JsonataTemplate::UInt(u) => Value::from(*u),
            JsonataTemplate::Float(f) => Value::from(*f),
            JsonataTemplate::Str(s) => Value::String((*s).to_owned()),
            JsonataTemplate::Array(items) => Value::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, t)| t.eval(scope, &format!("{field}[{i}]")))
                    .collect::<Result<_, _>>()?,
            ),
            JsonataTemplate::Object(members) => {
                let mut map = Map::with_capacity(members.len());
                for (key, t) in members.iter() {
                    map.insert((*key).to_owned(), t.eval(scope, &format!("{field}/{key}"))?);
                }
                Value::Object(map)
            }
            JsonataTemplate::Expr(expr) => expr.value(scope, field)?,
        })
    }
}

/// Evaluates a template given as plain JSON (parsing its `{% %}` strings on each
/// call): for interpreters and tests. Generated code uses [`JsonataTemplate`].
pub fn eval_json_template(
    template: &Value,
    scope: &JsonataScope<'_>,
    field: &str,
) -> Result<Value, Error> {
    Ok(match template {
        Value::String(s) => match expression_of(s) {
            Some(expr) => JsonataExpr::owned(expr).value(scope, field)?,
            None => template.clone(),
        },
        Value::Array(items) => Value::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, t)| eval_json_template(t, scope, &format!("{field}[{i}]")))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(members) => {
            let mut map = Map::with_capacity(members.len());
            for (key, t) in members {
                map.insert(
                    key.clone(),
                    eval_json_template(t, scope, &format!("{field}/{key}"))?,
                );
            }
            Value::Object(map)
        }
        other => other.clone(),
    })
}

// ---------------------------------------------------------------------------
// Checking an expression once.

fn prepare(source: &str) -> Result<Prepared, Failure> {
    // What this evaluator cannot run is refused by the language's one guard, the
    // same one the compiler applies at build time.
    let lexed = asl_lang::jsonata::guard(source)
        .map_err(|refusal| Failure::threw(refusal.code, refusal.message))?;
    // Parse once now so a syntax error is reported by `check`, before any run.
    let parsed = catch_unwind(|| {
        let arena = Bump::new();
        JsonAta::new(source, &arena)
            .map(|_| ())
            .map_err(|e| Failure::from_jsonata(&e))
    });
    match parsed {
        Ok(Ok(())) => {}
        Ok(Err(failure)) => return Err(failure),
        Err(_) => {
            return Err(Failure::threw(
                "S0201",
                "The JSONata parser failed on this expression (internal error)",
            ));
        }
    }
    // JSONata's `$random`, `$keys` and `$each` are bound by the evaluator after our
    // functions, so ours are rebound in a block around the expression (which has
    // parsed on its own above).
    let mut rebinds = String::new();
    for (name, ours) in REBOUND {
        if lexed.variables.iter().any(|v| v == name) {
            rebinds.push_str(&format!("${name} := ${ours};\n"));
        }
    }
    for name in GUARDED {
        if lexed.variables.iter().any(|v| v == name) {
            rebinds.push_str(&format!(
                "$__asl_jsonata_{name} := ${name};\n${name} := $__asl_{name};\n"
            ));
        }
    }
    let text = if rebinds.is_empty() {
        source.to_owned()
    } else {
        format!("({rebinds}{source}\n)")
    };
    let needs_key_order = lexed
        .variables
        .iter()
        .any(|v| ["keys", "each", "spread", "sift"].contains(&v.as_str()));
    Ok(Prepared {
        direct: Direct::of(source),
        text,
        states_members: lexed.states_members,
        transform: lexed.transform,
        variables: lexed.variables,
        needs_key_order,
    })
}

/// Expressions simple enough to answer without the evaluator, with the same result:
/// a JSON literal (`true`, `null`, `1`, `"s"`, `[]`), or a path of plain names from
/// `$states.<member>` or a variable (`$states.input.a.b`, `$items`). Evaluating one
/// with jsonata-rs costs a parse and a conversion of the whole input into its
/// values (tens of microseconds, more for a large input); this costs a lookup.
#[derive(Debug)]
enum Direct {
    Literal(Value),
    /// `$states.<member>.<steps>`.
    States(String, Vec<String>),
    /// `$<variable>.<steps>`.
    Variable(String, Vec<String>),
}

impl Direct {
    fn of(source: &str) -> Option<Direct> {
        if !source.starts_with('$') {
            return match serde_json::from_str::<Value>(source) {
                // A JSON text means the same in JSONata, but for numbers JSONata
                // reads as f64 (large integers) — those go to the evaluator.
                Ok(value) if !has_exact_integer(&value) => Some(Direct::Literal(value)),
                _ => None,
            };
        }
        let mut names = source[1..].split('.');
        let first = names.next()?;
        let steps: Vec<String> = names.map(str::to_owned).collect();
        let plain = |name: &str| {
            let mut chars = name.chars();
            chars
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
                && !matches!(
                    name,
                    "and" | "or" | "in" | "true" | "false" | "null" | "function"
                )
        };
        if !plain(first) || !steps.iter().all(|s| plain(s)) {
            return None;
        }
        if first == "states" {
            let (member, rest) = steps.split_first()?;
            if !["input", "result", "errorOutput", "context"].contains(&member.as_str()) {
                return None;
            }
            return Some(Direct::States(member.clone(), rest.to_vec()));
        }
        Some(Direct::Variable(first.to_owned(), steps))
    }

    /// `Some(answer)`, or `None` when the evaluator must decide (a path through an
    /// array maps over it; an unknown variable may be a function).
    fn evaluate(&self, scope: &JsonataScope<'_>) -> Option<Option<Value>> {
        let (root, steps) = match self {
            Direct::Literal(value) => return Some(Some(value.clone())),
            Direct::States(member, steps) => {
                let root = match member.as_str() {
                    "input" => Some(scope.input),
                    "result" => scope.result,
                    "errorOutput" => scope.error_output,
                    _ => Some(scope.context),
                };
                (root, steps)
            }
            Direct::Variable(name, steps) => (Some(scope.variables?.get(name)?), steps),
        };
        let mut value = match root {
            Some(value) => value,
            None => return Some(None),
        };
        for step in steps {
            value = match value {
                Value::Object(map) => match map.get(step) {
                    Some(member) => member,
                    None => return Some(None),
                },
                Value::Array(_) => return None,
                _ => return Some(None),
            };
        }
        Some(Some(value.clone()))
    }
}

fn has_exact_integer(value: &Value) -> bool {
    match value {
        Value::Number(n) => {
            n.as_i64().is_some_and(|i| i.unsigned_abs() > 1 << 53)
                || n.as_u64().is_some_and(|u| u > 1 << 53)
        }
        Value::Array(items) => items.iter().any(has_exact_integer),
        Value::Object(map) => map.values().any(has_exact_integer),
        _ => false,
    }
}

/// JSONata functions replaced by ours: (JSONata's name, ours).
const REBOUND: &[(&str, &str)] = &[
    ("random", "__asl_random"),
    ("keys", "__asl_keys"),
    ("each", "__asl_each"),
    // jsonata-rs slices by bytes (a panic inside a character or past the end).
    ("substring", "__asl_substring"),
    // jsonata-rs allocates any width at once (an abort past the memory).
    ("pad", "__asl_pad"),
];

/// JSONata functions that panic on some arguments in jsonata-rs (`$round()` indexes
/// a missing argument, `$now(1)` reads a number as a string): ours check the
/// arguments and call the original, kept as `$__asl_jsonata_<name>`.
const GUARDED: &[&str] = &["round", "now", "string"];

// ---------------------------------------------------------------------------
// One evaluation.

/// Where output objects get their member order from (see the module doc).
struct Order<'s> {
    /// Objects and arrays converted from the input or a variable, by address in the
    /// arena.
    originals: HashMap<usize, &'s Value>,
    /// Whether an original may be handed back as it was (see `Prepared::transform`).
    reuse: bool,
    /// Every JSON value handed to the evaluator, in order, for ranking names.
    roots: Vec<&'s Value>,
    source: &'s str,
    rank: Option<HashMap<String, usize>>,
}

impl<'s> Order<'s> {
    fn rank(&mut self) -> &HashMap<String, usize> {
        let (source, roots) = (self.source, &self.roots);
        self.rank.get_or_insert_with(|| {
            let mut rank = HashMap::new();
            for word in asl_lang::jsonata::lex(source).words {
                let next = rank.len();
                rank.entry(word).or_insert(next);
            }
            let mut stack: Vec<&Value> = roots.iter().rev().copied().collect();
            while let Some(value) = stack.pop() {
                match value {
                    Value::Object(map) => {
                        for key in map.keys() {
                            let next = rank.len();
                            rank.entry(key.clone()).or_insert(next);
                        }
                        stack.extend(map.values().rev());
                    }
                    Value::Array(items) => stack.extend(items.iter().rev()),
                    _ => {}
                }
            }
            rank
        })
    }
}

thread_local! {
    /// While an expression that lists members runs: the member order of each object
    /// converted from JSON, by its address in the arena.
    static KEY_ORDER: std::cell::RefCell<Option<HashMap<usize, Vec<String>>>> =
        const { std::cell::RefCell::new(None) };
}

/// Clears [`KEY_ORDER`] when the evaluation ends, even by unwinding.
struct KeyOrderGuard;

impl Drop for KeyOrderGuard {
    fn drop(&mut self) {
        KEY_ORDER.with(|k| k.borrow_mut().take());
    }
}

/// The members of an object in their original order when it came from JSON, else
/// by name.
fn ordered_entries<'a>(object: &'a JValue<'a>) -> Vec<(&'a str, &'a JValue<'a>)> {
    let JValue::Object(map) = object else {
        return Vec::new();
    };
    let address = object as *const JValue<'a> as usize;
    let known = KEY_ORDER.with(|k| {
        k.borrow()
            .as_ref()
            .and_then(|orders| orders.get(&address).cloned())
    });
    let mut entries: Vec<(&'a str, &'a JValue<'a>)> =
        map.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    match known {
        Some(keys) => entries.sort_by_key(|(k, _)| keys.iter().position(|x| x == k)),
        None => entries.sort_by(|a, b| a.0.cmp(b.0)),
    }
    entries
}

fn evaluate_in<'s>(
    arena: &Bump,
    prepared: &Prepared,
    source: &'s str,
    scope: &JsonataScope<'s>,
) -> Result<Option<Value>, Failure> {
    let jsonata = JsonAta::new(&prepared.text, arena).map_err(|e| Failure::from_jsonata(&e))?;
    register_functions(&jsonata, &prepared.variables);

    let mut order = Order {
        originals: HashMap::new(),
        reuse: !prepared.transform,
        roots: Vec::new(),
        source,
        rank: None,
    };
    if prepared.variables.iter().any(|v| v == "states") {
        let states = JValue::object_with_capacity(arena, 4);
        let members = [
            ("input", Some(scope.input)),
            ("result", scope.result),
            ("errorOutput", scope.error_output),
            ("context", Some(scope.context)),
        ];
        for (name, value) in members {
            let Some(value) = value else { continue };
            let reads = match &prepared.states_members {
                None => None,
                Some(uses) => match uses.iter().find(|u| u.member == name) {
                    Some(used) => used.reads.as_deref(),
                    None => continue,
                },
            };
            let converted = match (reads, value) {
                // Only `$states.<name>.<key>` paths: the other keys cannot be seen.
                (Some(keys), Value::Object(map)) => {
                    let partial = JValue::object_with_capacity(arena, keys.len());
                    for key in keys {
                        if let Some(member) = map.get(key) {
                            partial.insert(key, to_jsonata(arena, member, &mut order.originals));
                        }
                    }
                    partial
                }
                _ => to_jsonata(arena, value, &mut order.originals),
            };
            states.insert(name, converted);
            order.roots.push(value);
        }
        jsonata.assign_var("states", states);
    }
    if let Some(variables) = scope.variables {
        for name in &prepared.variables {
            if name == "states" {
                continue;
            }
            if let Some(value) = variables.get(name) {
                let converted = to_jsonata(arena, value, &mut order.originals);
                jsonata.assign_var(name, converted);
                order.roots.push(value);
            }
        }
    }

    let _guard = KeyOrderGuard;
    if prepared.needs_key_order {
        let orders = order
            .originals
            .iter()
            .filter_map(|(address, value)| {
                let map = value.as_object()?;
                Some((*address, map.keys().cloned().collect()))
            })
            .collect();
        KEY_ORDER.with(|k| *k.borrow_mut() = Some(orders));
    }
    let result = jsonata
        .evaluate_timeboxed(None, Some(MAX_DEPTH), Some(TIME_LIMIT_MS))
        .map_err(|e| Failure::from_jsonata(&e))?;
    if result.is_undefined() {
        return Ok(None);
    }
    from_jsonata(result, &mut order).map(Some)
}

fn to_jsonata<'a, 's>(
    arena: &'a Bump,
    value: &'s Value,
    originals: &mut HashMap<usize, &'s Value>,
) -> &'a JValue<'a> {
    match value {
        Value::Null => JValue::null(arena),
        Value::Bool(b) => JValue::bool(*b),
        Value::Number(n) => {
            let f = n.as_f64().unwrap_or(f64::NAN);
            let number: &'a JValue<'a> = JValue::number(arena, f);
            // An integer f64 cannot hold exactly is remembered, to be handed back
            // exact when it passes through unchanged.
            let inexact = n
                .as_i64()
                .is_some_and(|i| f as i64 != i || i.unsigned_abs() > 1 << 53)
                || n.as_u64().is_some_and(|u| u > 1 << 53);
            if inexact {
                originals.insert(number as *const JValue<'a> as usize, value);
            }
            number
        }
        Value::String(s) => JValue::string(arena, s),
        Value::Array(items) => {
            let array = JValue::array_with_capacity(arena, items.len(), ArrayFlags::empty());
            for item in items {
                array.push(to_jsonata(arena, item, originals));
            }
            let array: &'a JValue<'a> = array;
            originals.insert(array as *const JValue<'a> as usize, value);
            array
        }
        Value::Object(map) => {
            let object = JValue::object_with_capacity(arena, map.len());
            for (key, item) in map {
                object.insert(key, to_jsonata(arena, item, originals));
            }
            let object: &'a JValue<'a> = object;
            originals.insert(object as *const JValue<'a> as usize, value);
            object
        }
    }
}

/// The members of an array or range, or the value itself as a one-member sequence.
fn members_of<'a>(value: &'a JValue<'a>) -> Vec<&'a JValue<'a>> {
    match value {
        JValue::Array(..) | JValue::Range(..) => value.members().collect(),
        _ => vec![value],
    }
}

fn from_jsonata<'a>(value: &'a JValue<'a>, order: &mut Order<'_>) -> Result<Value, Failure> {
    let address = value as *const JValue<'a> as usize;
    let original = order.originals.get(&address).copied();
    if order.reuse
        && let Some(original) = original
    {
        // Handed back unchanged: the JSON it came from, exact (order, integers).
        return Ok(original.clone());
    }
    Ok(match value {
        JValue::Undefined | JValue::Null => Value::Null,
        JValue::Bool(b) => Value::Bool(*b),
        JValue::Number(n) => number(*n),
        JValue::String(s) => Value::String(s.to_string()),
        JValue::Array(..) | JValue::Range(..) => {
            let mut items = Vec::new();
            for member in value.members() {
                if member.is_undefined() {
                    continue;
                }
                items.push(from_jsonata(member, order)?);
            }
            Value::Array(items)
        }
        JValue::Object(map) => {
            let mut out = Map::with_capacity(map.len());
            if let Some(Value::Object(original)) = original {
                for key in original.keys() {
                    if let Some(member) = map.get(key.as_str())
                        && !member.is_undefined()
                    {
                        out.insert(key.clone(), from_jsonata(member, order)?);
                    }
                }
            }
            if out.len() < map.len() {
                let mut keys: Vec<&str> = map
                    .keys()
                    .map(|k| k.as_str())
                    .filter(|k| !out.contains_key(*k))
                    .collect();
                if keys.len() > 1 {
                    let rank = order.rank();
                    keys.sort_by(|a, b| {
                        let ra = rank.get(*a).copied().unwrap_or(usize::MAX);
                        let rb = rank.get(*b).copied().unwrap_or(usize::MAX);
                        ra.cmp(&rb).then_with(|| a.cmp(b))
                    });
                }
                for key in keys {
                    let member = map.get(key).copied().unwrap_or(JValue::undefined());
                    if member.is_undefined() {
                        continue;
                    }
                    out.insert(key.to_owned(), from_jsonata(member, order)?);
                }
            }
            Value::Object(out)
        }
        JValue::Regex(_)
        | JValue::Lambda { .. }
        | JValue::NativeFn { .. }
        | JValue::Transformer { .. } => return Err(Failure::UnsupportedResult),
    })
}

/// A JSONata number as JSON: whole numbers as integers, non-finite numbers as the
/// strings AWS writes (`"Infinity"`, `"-Infinity"`, `"NaN"`).
fn number(n: f64) -> Value {
    if n.is_nan() {
        Value::String("NaN".into())
    } else if n.is_infinite() {
        Value::String(if n > 0.0 { "Infinity" } else { "-Infinity" }.into())
    } else if n.fract() == 0.0 && n.abs() < 9.0e15 {
        Value::from(n as i64)
    } else if n.fract() == 0.0 && (0.0..1.8e19).contains(&n) {
        Value::from(n as u64)
    } else {
        Number::from_f64(n).map_or(Value::Null, Value::Number)
    }
}

// ---------------------------------------------------------------------------
// Functions: Step Functions' own, and JSONata 2.0's that jsonata-rs lacks.

type Native = for<'a, 'e> fn(
    FunctionContext<'a, 'e>,
    &[&'a JValue<'a>],
) -> jsonata_rs::Result<&'a JValue<'a>>;

/// Registers the functions the expression names (`mentioned`: its `$names`); a
/// function passed around by name is named too, so none is missed.
fn register_functions(jsonata: &JsonAta<'_>, mentioned: &[String]) {
    const FUNCTIONS: &[(&str, usize, Native)] = &[
        ("partition", 2, sfn::partition),
        ("range", 3, sfn::range),
        ("hash", 2, sfn::hash),
        ("__asl_random", 1, sfn::random),
        ("__asl_keys", 1, std_fns::keys),
        ("__asl_each", 2, std_fns::each),
        ("__asl_substring", 3, std_fns::substring),
        ("__asl_pad", 3, std_fns::pad),
        ("__asl_round", 2, std_fns::round),
        ("__asl_now", 2, std_fns::now),
        ("__asl_string", 2, std_fns::string),
        ("parse", 1, sfn::parse),
        ("type", 1, std_fns::type_of),
        ("average", 1, std_fns::average),
        ("spread", 1, std_fns::spread),
        ("sift", 2, std_fns::sift),
        ("shuffle", 1, std_fns::shuffle),
        ("formatBase", 2, std_fns::format_base),
        ("encodeUrlComponent", 1, std_fns::encode_url_component),
        ("encodeUrl", 1, std_fns::encode_url),
        ("decodeUrlComponent", 1, std_fns::decode_url),
        ("decodeUrl", 1, std_fns::decode_url),
    ];
    for (name, arity, function) in FUNCTIONS {
        let plain = name.strip_prefix("__asl_").unwrap_or(name);
        if mentioned.iter().any(|m| m == plain) {
            jsonata.register_function(name, *arity, *function);
        }
    }
}

fn bad_argument(ctx: &FunctionContext<'_, '_>, index: usize) -> jsonata_rs::Error {
    jsonata_rs::Error::T0410ArgumentNotValid(ctx.char_index, index, ctx.name.to_string())
}

/// An argument as an integer, truncated towards zero as AWS does.
fn integer_arg(
    ctx: &FunctionContext<'_, '_>,
    args: &[&JValue<'_>],
    index: usize,
) -> jsonata_rs::Result<Option<f64>> {
    match args.get(index) {
        None => Ok(None),
        Some(v) if v.is_undefined() => Ok(None),
        Some(v) if v.is_number() && v.as_f64().is_finite() => Ok(Some(v.as_f64().trunc())),
        Some(_) => Err(bad_argument(ctx, index + 1)),
    }
}

mod sfn {
    use super::*;

    /// The most elements `$range` builds (AWS refuses one more).
    pub const MAX_RANGE: f64 = 360_145.0;

    /// `$partition(array, size)`: chunks of `size`, the last one shorter.
    pub fn partition<'a>(
        ctx: FunctionContext<'a, '_>,
        args: &[&'a JValue<'a>],
    ) -> jsonata_rs::Result<&'a JValue<'a>> {
        let Some(array) = args.first().copied().filter(|v| !v.is_undefined()) else {
            return Ok(JValue::undefined());
        };
        let Some(size) = integer_arg(&ctx, args, 1)? else {
            return Ok(JValue::undefined());
        };
        let items = members_of(array);
        if size < 1.0 || items.is_empty() {
            return Ok(JValue::undefined());
        }
        let size = size.min(items.len() as f64) as usize;
        let out =
            JValue::array_with_capacity(ctx.arena, items.len().div_ceil(size), ArrayFlags::empty());
        for chunk in items.chunks(size) {
            let part = JValue::array_with_capacity(ctx.arena, chunk.len(), ArrayFlags::empty());
            for item in chunk {
                part.push(item);
            }
            out.push(part);
        }
        Ok(out)
    }

    /// `$range(start, end, step)`: `start`, `start + step`, ... up to `end`
    /// inclusive; a single value is returned bare, as on AWS.
    pub fn range<'a>(
        ctx: FunctionContext<'a, '_>,
        args: &[&'a JValue<'a>],
    ) -> jsonata_rs::Result<&'a JValue<'a>> {
        let (Some(start), Some(end), Some(step)) = (
            integer_arg(&ctx, args, 0)?,
            integer_arg(&ctx, args, 1)?,
            integer_arg(&ctx, args, 2)?,
        ) else {
            return Ok(JValue::undefined());
        };
        if step == 0.0 || (end - start) * step < 0.0 {
            return Ok(JValue::undefined());
        }
        let count = ((end - start) / step).floor() + 1.0;
        if count > MAX_RANGE {
            return Err(jsonata_rs::Error::D2014RangeOutOfBounds(
                ctx.char_index,
                count as isize,
            ));
        }
        if count == 1.0 {
            return Ok(JValue::number(ctx.arena, start));
        }
        let out = JValue::array_with_capacity(ctx.arena, count as usize, ArrayFlags::empty());
        for i in 0..count as usize {
            out.push(JValue::number(ctx.arena, start + step * i as f64));
        }
        Ok(out)
    }

    /// `$hash(data, algorithm)`: the lowercase hex digest.
    pub fn hash<'a>(
        ctx: FunctionContext<'a, '_>,
        args: &[&'a JValue<'a>],
    ) -> jsonata_rs::Result<&'a JValue<'a>> {
        use md5::Digest as _;
        let (Some(data), Some(algorithm)) = (
            args.first().copied().filter(|v| !v.is_undefined()),
            args.get(1).copied().filter(|v| !v.is_undefined()),
        ) else {
            return Ok(JValue::undefined());
        };
        if !data.is_string() {
            return Err(bad_argument(&ctx, 1));
        }
        if !algorithm.is_string() {
            return Err(bad_argument(&ctx, 2));
        }
        let data = data.as_str();
        let bytes = data.as_bytes();
        let digest: Vec<u8> = match &*algorithm.as_str() {
            "MD5" => md5::Md5::digest(bytes).to_vec(),
            "SHA-1" => sha1::Sha1::digest(bytes).to_vec(),
            "SHA-256" => sha2::Sha256::digest(bytes).to_vec(),
            "SHA-384" => sha2::Sha384::digest(bytes).to_vec(),
            "SHA-512" => sha2::Sha512::digest(bytes).to_vec(),
            _ => return Err(bad_argument(&ctx, 2)),
        };
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        Ok(JValue::string(ctx.arena, &hex))
    }

    /// `$random([seed])`: a number in `[0, 1)`; the same for the same seed.
    pub fn random<'a>(
        ctx: FunctionContext<'a, '_>,
        args: &[&'a JValue<'a>],
    ) -> jsonata_rs::Result<&'a JValue<'a>> {
        use rand::{Rng, SeedableRng};
        let value: f64 = match integer_arg(&ctx, args, 0)? {
            Some(seed) => rand::rngs::StdRng::seed_from_u64(seed as i64 as u64).random(),
            None => rand::rng().random(),
        };
        Ok(JValue::number(ctx.arena, value))
    }

    /// `$parse(text)`: the JSON value `text` holds.
    pub fn parse<'a>(
        ctx: FunctionContext<'a, '_>,
        args: &[&'a JValue<'a>],
    ) -> jsonata_rs::Result<&'a JValue<'a>> {
        let Some(text) = args.first().copied().filter(|v| !v.is_undefined()) else {
            return Ok(JValue::undefined());
        };
        if !text.is_string() {
            return Err(bad_argument(&ctx, 1));
        }
        match serde_json::from_str::<Value>(&text.as_str()) {
            Ok(value) => {
                let mut originals = HashMap::new();
                Ok(to_jsonata(ctx.arena, &value, &mut originals))
            }
            Err(e) => Err(jsonata_rs::Error::D3137Error(format!(
                "The argument of $parse is not valid JSON: {e}"
            ))),
        }
    }
}

mod std_fns {
    use super::*;

    fn first<'a>(args: &[&'a JValue<'a>]) -> Option<&'a JValue<'a>> {
        args.first().copied().filter(|v| !v.is_undefined())
    }

    /// `$type(value)`: `"null"`, `"number"`, `"string"`, `"boolean"`, `"array"`,
    /// `"object"` or `"function"`; undefined for undefined.
    pub fn type_of<'a>(
        ctx: FunctionContext<'a, '_>,
        args: &[&'a JValue<'a>],
    ) -> jsonata_rs::Result<&'a JValue<'a>> {
        let Some(value) = first(args) else {
            return Ok(JValue::undefined());
        };
        let name = match value {
            JValue::Null => "null",
            JValue::Number(_) => "number",
            JValue::String(_) => "string",
            JValue::Bool(_) => "boolean",
            JValue::Array(..) | JValue::Range(..) => "array",
            JValue::Object(_) | JValue::Regex(_) => "object",
            _ => "function",
        };
        Ok(JValue::string(ctx.arena, name))
    }

    /// `$average(array)`: the mean of an array of numbers; undefined when empty.
    pub fn average<'a>(
        ctx: FunctionContext<'a, '_>,
        args: &[&'a JValue<'a>],
    ) -> jsonata_rs::Result<&'a JValue<'a>> {
        let Some(value) = first(args) else {
            return Ok(JValue::undefined());
        };
        let mut sum = 0.0;
        let mut count = 0usize;
        let members = members_of(value);
        for member in members {
            if !member.is_number() {
                return Err(jsonata_rs::Error::T0412ArgumentMustBeArrayOfType(
                    ctx.char_index,
                    1,
                    ctx.name.to_string(),
                    "number".to_string(),
                ));
            }
            sum += member.as_f64();
            count += 1;
        }
        if count == 0 {
            return Ok(JValue::undefined());
        }
        Ok(JValue::number(ctx.arena, sum / count as f64))
    }

    /// `$spread(object)`: an array of one-member objects.
    pub fn spread<'a>(
        ctx: FunctionContext<'a, '_>,
        args: &[&'a JValue<'a>],
    ) -> jsonata_rs::Result<&'a JValue<'a>> {
        let Some(value) = first(args) else {
            return Ok(JValue::undefined());
        };
        let out = JValue::array(ctx.arena, ArrayFlags::SEQUENCE);
        let members = members_of(value);
        for member in members {
            match member {
                JValue::Object(_) => {
                    for (key, item) in ordered_entries(member) {
                        let one = JValue::object_with_capacity(ctx.arena, 1);
                        one.insert(key, item);
                        out.push(one);
                    }
                }
                other => out.push(other),
            }
        }
        Ok(out)
    }

    /// `$sift(object, function($v, $k, $o))`: the members the function accepts.
    pub fn sift<'a>(
        ctx: FunctionContext<'a, '_>,
        args: &[&'a JValue<'a>],
    ) -> jsonata_rs::Result<&'a JValue<'a>> {
        let Some(object) = first(args) else {
            return Ok(JValue::undefined());
        };
        let function = args.get(1).copied().unwrap_or(JValue::undefined());
        if !function.is_function() {
            return Err(bad_argument(&ctx, 2));
        }
        if !object.is_object() {
            return Err(bad_argument(&ctx, 1));
        }
        let arity = function.arity();
        let out = JValue::object(ctx.arena);
        let mut kept = 0;
        for (key, item) in ordered_entries(object) {
            let key_value: &'a JValue<'a> = JValue::string(ctx.arena, key);
            let call_args: Vec<&'a JValue<'a>> = [item, key_value, object]
                .into_iter()
                .take(arity.clamp(1, 3))
                .collect();
            let keep = ctx.evaluate_function(function, &call_args)?;
            if keep.is_truthy() {
                out.insert(key, item);
                kept += 1;
            }
        }
        if kept == 0 {
            return Ok(JValue::undefined());
        }
        Ok(out)
    }

    /// `$keys(object)`: member names in order; for an array of objects, the distinct
    /// names of all of them.
    pub fn keys<'a>(
        ctx: FunctionContext<'a, '_>,
        args: &[&'a JValue<'a>],
    ) -> jsonata_rs::Result<&'a JValue<'a>> {
        let Some(value) = first(args) else {
            return Ok(JValue::undefined());
        };
        let mut names: Vec<&'a str> = Vec::new();
        for member in members_of(value) {
            if member.is_object() {
                for (key, _) in ordered_entries(member) {
                    if !names.contains(&key) {
                        names.push(key);
                    }
                }
            }
        }
        if names.is_empty() {
            return Ok(JValue::undefined());
        }
        if names.len() == 1 {
            return Ok(JValue::string(ctx.arena, names[0]));
        }
        let out = JValue::array_with_capacity(ctx.arena, names.len(), ArrayFlags::empty());
        for name in names {
            out.push(JValue::string(ctx.arena, name));
        }
        Ok(out)
    }

    /// `$each(object, function($v, $k, $o))`: the function's results, in member order.
    pub fn each<'a>(
        ctx: FunctionContext<'a, '_>,
        args: &[&'a JValue<'a>],
    ) -> jsonata_rs::Result<&'a JValue<'a>> {
        let Some(object) = first(args) else {
            return Ok(JValue::undefined());
        };
        let function = args.get(1).copied().unwrap_or(JValue::undefined());
        if !function.is_function() {
            return Err(bad_argument(&ctx, 2));
        }
        if !object.is_object() {
            return Err(bad_argument(&ctx, 1));
        }
        let arity = function.arity();
        let out = JValue::array(ctx.arena, ArrayFlags::SEQUENCE);
        for (key, item) in ordered_entries(object) {
            let key_value: &'a JValue<'a> = JValue::string(ctx.arena, key);
            let call_args: Vec<&'a JValue<'a>> = [item, key_value, object]
                .into_iter()
                .take(arity.clamp(1, 3))
                .collect();
            let result = ctx.evaluate_function(function, &call_args)?;
            if !result.is_undefined() {
                out.push(result);
            }
        }
        Ok(out)
    }

    /// `$substring(text, start[, length])`, by characters; a negative `start`
    /// counts from the end.
    pub fn substring<'a>(
        ctx: FunctionContext<'a, '_>,
        args: &[&'a JValue<'a>],
    ) -> jsonata_rs::Result<&'a JValue<'a>> {
        let Some(text) = first(args) else {
            return Ok(JValue::undefined());
        };
        if !text.is_string() {
            return Err(bad_argument(&ctx, 1));
        }
        let chars: Vec<char> = text.as_str().chars().collect();
        let len = chars.len() as f64;
        let start = match args.get(1) {
            Some(v) if v.is_number() && !v.as_f64().is_nan() => v.as_f64().trunc(),
            _ => return Err(bad_argument(&ctx, 2)),
        };
        let start = if start < 0.0 {
            (len + start).max(0.0)
        } else {
            start.min(len)
        };
        let end = match args.get(2).filter(|v| !v.is_undefined()) {
            None => len,
            Some(v) if v.is_number() && !v.as_f64().is_nan() => {
                (start + v.as_f64().trunc().max(0.0)).min(len)
            }
            Some(_) => return Err(bad_argument(&ctx, 3)),
        };
        let piece: String = chars[start as usize..(end as usize).max(start as usize)]
            .iter()
            .collect();
        Ok(JValue::string(ctx.arena, &piece))
    }

    /// `$pad(text, width[, char])`: padded to `|width|` characters, on the right
    /// for a positive width, on the left for a negative one.
    pub fn pad<'a>(
        ctx: FunctionContext<'a, '_>,
        args: &[&'a JValue<'a>],
    ) -> jsonata_rs::Result<&'a JValue<'a>> {
        let Some(text) = first(args) else {
            return Ok(JValue::undefined());
        };
        if !text.is_string() {
            return Err(bad_argument(&ctx, 1));
        }
        let width = match args.get(1) {
            Some(v) if v.is_number() && v.as_f64().is_finite() => v.as_f64().trunc(),
            _ => return Err(bad_argument(&ctx, 2)),
        };
        let fill: String = match args.get(2).filter(|v| !v.is_undefined()) {
            None => " ".to_owned(),
            Some(v) if v.is_string() && !v.as_str().is_empty() => v.as_str().into_owned(),
            Some(_) => return Err(bad_argument(&ctx, 3)),
        };
        if width.abs() > MAX_STRING_CHARS as f64 {
            return Err(memory_limit());
        }
        let text = text.as_str();
        let missing = (width.abs() as usize).saturating_sub(text.chars().count());
        let padding: String = fill.chars().cycle().take(missing).collect();
        let padded = if width < 0.0 {
            format!("{padding}{text}")
        } else {
            format!("{text}{padding}")
        };
        Ok(JValue::string(ctx.arena, &padded))
    }

    /// The original of a guarded function (see `GUARDED`).
    fn original<'a>(
        ctx: &FunctionContext<'a, '_>,
        name: &str,
    ) -> jsonata_rs::Result<&'a JValue<'a>> {
        ctx.frame
            .lookup(&format!("__asl_jsonata_{name}"))
            .filter(|f| f.is_function())
            .ok_or(jsonata_rs::Error::T1006InvokedNonFunction(ctx.char_index))
    }

    /// `$round(number[, precision])`, checked, then JSONata's.
    pub fn round<'a>(
        ctx: FunctionContext<'a, '_>,
        args: &[&'a JValue<'a>],
    ) -> jsonata_rs::Result<&'a JValue<'a>> {
        // Without arguments, the context item is the number (`items.$round()`).
        let number = if args.is_empty() { ctx.input } else { args[0] };
        if number.is_undefined() {
            return Ok(JValue::undefined());
        }
        if !number.is_number() {
            return Err(bad_argument(&ctx, 1));
        }
        let mut call = vec![number];
        if let Some(precision) = args.get(1).copied().filter(|v| !v.is_undefined()) {
            if !precision.is_integer() {
                return Err(bad_argument(&ctx, 2));
            }
            call.push(precision);
        }
        if args.len() > 2 {
            return Err(bad_argument(&ctx, 3));
        }
        let function = original(&ctx, "round")?;
        ctx.evaluate_function(function, &call)
    }

    /// `$now([picture[, timezone]])`, checked, then JSONata's.
    pub fn now<'a>(
        ctx: FunctionContext<'a, '_>,
        args: &[&'a JValue<'a>],
    ) -> jsonata_rs::Result<&'a JValue<'a>> {
        if args.len() > 2 {
            return Err(bad_argument(&ctx, 3));
        }
        let mut call: Vec<&'a JValue<'a>> = Vec::new();
        for (index, arg) in args.iter().enumerate() {
            if !arg.is_undefined() && !arg.is_string() {
                return Err(bad_argument(&ctx, index + 1));
            }
        }
        let defined = |i: usize| args.get(i).copied().filter(|v| !v.is_undefined());
        match (defined(0), defined(1)) {
            (None, None) => {}
            (Some(picture), None) => call.push(picture),
            (picture, Some(timezone)) => {
                call.push(picture.unwrap_or_else(|| JValue::string(ctx.arena, "")));
                call.push(timezone);
            }
        }
        let function = original(&ctx, "now")?;
        ctx.evaluate_function(function, &call)
    }

    /// `$string(value[, pretty])`: JSONata's, but a number from 1e21 up is written
    /// as JavaScript (and AWS) write it, `1e+21`, where jsonata-rs writes `1e21`.
    pub fn string<'a>(
        ctx: FunctionContext<'a, '_>,
        args: &[&'a JValue<'a>],
    ) -> jsonata_rs::Result<&'a JValue<'a>> {
        if let Some(number) = first(args).filter(|v| v.is_number())
            && number.as_f64().is_finite()
            && number.as_f64().abs() >= 1e21
        {
            let text = format!("{:e}", number.as_f64()).replace("e", "e+");
            return Ok(JValue::string(ctx.arena, &text));
        }
        let function = original(&ctx, "string")?;
        ctx.evaluate_function(function, args)
    }

    /// `$shuffle(array)`: the members in random order.
    pub fn shuffle<'a>(
        ctx: FunctionContext<'a, '_>,
        args: &[&'a JValue<'a>],
    ) -> jsonata_rs::Result<&'a JValue<'a>> {
        use rand::seq::SliceRandom;
        let Some(value) = first(args) else {
            return Ok(JValue::undefined());
        };
        let mut members = members_of(value);
        members.shuffle(&mut rand::rng());
        let out = JValue::array_with_capacity(ctx.arena, members.len(), ArrayFlags::empty());
        for member in members {
            out.push(member);
        }
        Ok(out)
    }

    /// `$formatBase(number, radix)`: the number (rounded) in base 2..36.
    pub fn format_base<'a>(
        ctx: FunctionContext<'a, '_>,
        args: &[&'a JValue<'a>],
    ) -> jsonata_rs::Result<&'a JValue<'a>> {
        let Some(value) = first(args) else {
            return Ok(JValue::undefined());
        };
        if !value.is_number() || !value.as_f64().is_finite() {
            return Err(bad_argument(&ctx, 1));
        }
        let radix = match args.get(1).filter(|v| !v.is_undefined()) {
            None => 10.0,
            Some(r) if r.is_number() => r.as_f64(),
            Some(_) => return Err(bad_argument(&ctx, 2)),
        };
        if !(2.0..=36.0).contains(&radix) {
            return Err(jsonata_rs::Error::D3137Error(format!(
                "The radix of the formatBase function must be between 2 and 36.  It was given {radix}"
            )));
        }
        let radix = radix as u32;
        let n = value.as_f64().round();
        let negative = n < 0.0;
        let mut magnitude = n.abs();
        let mut digits = Vec::new();
        loop {
            let digit = (magnitude % radix as f64) as u32;
            digits.push(std::char::from_digit(digit, radix).unwrap_or('0'));
            magnitude = (magnitude / radix as f64).floor();
            if magnitude < 1.0 {
                break;
            }
        }
        if negative {
            digits.push('-');
        }
        let text: String = digits.into_iter().rev().collect();
        Ok(JValue::string(ctx.arena, &text))
    }

    fn encode<'a>(
        ctx: FunctionContext<'a, '_>,
        args: &[&'a JValue<'a>],
        keep: &str,
    ) -> jsonata_rs::Result<&'a JValue<'a>> {
        let Some(value) = first(args) else {
            return Ok(JValue::undefined());
        };
        if !value.is_string() {
            return Err(bad_argument(&ctx, 1));
        }
        let mut out = String::new();
        for byte in value.as_str().bytes() {
            if byte.is_ascii_alphanumeric() || keep.as_bytes().contains(&byte) {
                out.push(byte as char);
            } else {
                out.push_str(&format!("%{byte:02X}"));
            }
        }
        Ok(JValue::string(ctx.arena, &out))
    }

    /// `$encodeUrlComponent(text)`, as JavaScript's `encodeURIComponent`.
    pub fn encode_url_component<'a>(
        ctx: FunctionContext<'a, '_>,
        args: &[&'a JValue<'a>],
    ) -> jsonata_rs::Result<&'a JValue<'a>> {
        encode(ctx, args, "-_.!~*'()")
    }

    /// `$encodeUrl(text)`, as JavaScript's `encodeURI`.
    pub fn encode_url<'a>(
        ctx: FunctionContext<'a, '_>,
        args: &[&'a JValue<'a>],
    ) -> jsonata_rs::Result<&'a JValue<'a>> {
        encode(ctx, args, "-_.!~*'();/?:@&=+$,#")
    }

    /// `$decodeUrl(text)` and `$decodeUrlComponent(text)`: `%XX` escapes decoded as
    /// UTF-8; a malformed escape is an error, as in JavaScript.
    pub fn decode_url<'a>(
        ctx: FunctionContext<'a, '_>,
        args: &[&'a JValue<'a>],
    ) -> jsonata_rs::Result<&'a JValue<'a>> {
        let Some(value) = first(args) else {
            return Ok(JValue::undefined());
        };
        if !value.is_string() {
            return Err(bad_argument(&ctx, 1));
        }
        let text = value.as_str();
        let bytes = text.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'%' {
                let hex = text
                    .get(i + 1..i + 3)
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(byte) => {
                        out.push(byte);
                        i += 3;
                        continue;
                    }
                    None => return Err(malformed_uri()),
                }
            }
            out.push(bytes[i]);
            i += 1;
        }
        match String::from_utf8(out) {
            Ok(decoded) => Ok(JValue::string(ctx.arena, &decoded)),
            Err(_) => Err(malformed_uri()),
        }
    }

    fn memory_limit() -> jsonata_rs::Error {
        jsonata_rs::Error::D3137Error("Expression evaluation memory limit exceeded".to_string())
    }

    fn malformed_uri() -> jsonata_rs::Error {
        jsonata_rs::Error::D3137Error("URI malformed".to_string())
    }
}
