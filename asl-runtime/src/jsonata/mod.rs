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
//! # Native evaluation first
//!
//! Most expressions workflows write never reach an interpreter: the compiler parses
//! each one at build time and, when it lies in the native subset (paths over
//! `$states` and variables, constructors, arithmetic, comparisons, conditions, the
//! frequent functions, inline lambdas in `$map`/`$filter`/`$reduce`), generates
//! Rust for it; see [`compiled`] for the subset, where its line is and why. An
//! expression given as text at run time ([`JsonataExpr::owned`]) is parsed once into
//! the same tree and walked. Everything else, and every value native code does not
//! handle (it then gives the expression back: errors keep JSONata's codes and
//! messages), goes to the full evaluator below.
//!
//! # The full evaluator: jsonata-core
//!
//! Evaluation past the native subset is done by the `jsonata-core` crate (MIT,
//! pinned at exactly 2.2.13 without its `simd` feature: breaking changes have
//! shipped in its patch releases). It passes JSONata's own test suite (see
//! `tests/jsonata_suite.rs`); it was compared with jsonata-rs, which it replaces
//! (1,440 of the suite's 1,686 cases, re-parsing on every evaluation), and with
//! the other complete Rust engine on the registry, seuil 0.1.1: run through
//! one simple runner over the 1,640 cases Step Functions offers, seuil passed
//! 1,278 and jsonata-core 1,630. This module
//! wraps it so that what reaches a workflow is what Step Functions does:
//!
//! - Each expression is parsed once, never per evaluation: text known at build
//!   time (a `static` [`JsonataExpr`] of generated code) on its first use, its
//!   tree kept in the static; text given at run time ([`JsonataExpr::owned`],
//!   [`eval_json_template`]) once per distinct text, its trees shared by every
//!   expression and thread through a bounded cache ([`cache`]). An evaluation
//!   makes a fresh evaluator (well under a microsecond) and binds `$states` and
//!   the variables the expression names.
//! - The build parses every expression with this same parser (`jsonata-core` at
//!   the version the workspace pins for both sides, after the same guard):
//!   `asl_build::expr_parse::parse_as_runtime`, under the rule
//!   `asl::jsonata-syntax`. So a text the build accepts parses here; what the
//!   build cannot do is hand the tree over. jsonata-core's tree is owned data
//!   (`String`, `Vec`, `Box` all through it), which Rust cannot write as a
//!   `static` constant; emitting it serialized would need a deserialization on
//!   first use that costs what the parse costs. The native subset is the part
//!   the build does hand over: it becomes Rust code ([`compiled`]).
//! - Step Functions' JSONata is 2.0.6: the 2.1 operators `??` and `?:` are refused
//!   by [`asl_lang::jsonata::guard`] (at build time too); `$eval` is a
//!   non-function (`T1006`); `$partition`, `$range`, `$hash`, `$random(seed)`,
//!   `$uuid` and `$parse` are Step Functions' own (`functions`).
//! - Regular expressions run on the `regex` crate, which has no lookaround and no
//!   backreferences: a literal that uses them is refused by the same guard, with a
//!   rule, rather than failing at run time.
//! - Limits: every evaluation runs with a depth limit ([`MAX_DEPTH`]) and a time
//!   limit ([`TIME_LIMIT_MS`]), both reported as jsonata-js reports them (`U1001`);
//!   data goes in and comes out through conversions bounded by the 128-level data
//!   depth (`crate::limits::MAX_DATA_DEPTH`), so no depth of data can overflow the
//!   stack; a panic inside the evaluator is caught and becomes `U1002`, a
//!   `States.QueryEvaluationError` like any other failure.
//! - Error codes are jsonata-js's (all 276 error cases of the suite agree).
//!   Messages are jsonata-js's where the evaluator's hold what jsonata-js's
//!   need (152 of the 276 word for word), without the position, with its own
//!   limit codes (D1011, D1012) and uncoded parser messages mapped too; the
//!   signature errors (`T0410`-`T0412`) keep the evaluator's words, which lack
//!   the function name jsonata-js inserts.
//! - Objects keep their members in order (the evaluator's maps are ordered), so
//!   no reordering is needed; numbers are doubles, as in JavaScript (an integer
//!   past 2^53 that goes through the full evaluator comes back as its double).
//! - Non-finite numbers are written as AWS writes them: `"Infinity"`,
//!   `"-Infinity"` and `"NaN"`.
//!
//! # Cost
//!
//! Measured by `scripts/bench-jsonata` (criterion, release build, this project's
//! 2-core machine): a compiled expression costs what the same work written by hand
//! over serde_json costs, within about 2× (0.57 µs against 0.47 µs for the
//! benchmark's object of a path, a rounded product and a joined, upper-cased list),
//! and 20–100× less than jsonata-js evaluating an expression it has already parsed.
//!
//! The full evaluator, for the rest, parses an expression once (jsonata-rs,
//! before it, parsed on every evaluation). Measured here (criterion, the 13
//! shapes of `tests/benches/jsonata-shapes.json`, the build before the switch
//! and after, one after the other on a machine loaded by other builds): 1.5–8.1
//! µs per evaluation against 15.6–36.1 µs, 3.9–12.8× faster (7.4× median);
//! the 10× issue 26 asked for is met by two shapes of the 13. This
//! module keeps the rest small: what can be done once (the checks above, the
//! parse, the names the expression reads) is cached per [`JsonataExpr`]; only
//! the `$states` members and variables the expression names are converted, and
//! of `$states.input` only the members it reads (`$states.input.a` converts `a`,
//! not a 1,000-item list beside it); every literal leaf of a [`JsonataTemplate`]
//! is answered without it.

use std::borrow::Cow;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, OnceLock};

use serde_json::{Map, Number, Value};

use crate::error::{Error, names};

pub mod cache;
pub mod compiled;
mod convert;
mod functions;
mod number_picture;
mod prepare;

use convert::*;
use functions::*;
use prepare::*;

/// The deepest nesting of evaluation the full evaluator allows, counted as
/// jsonata-js counts its `stack` option (a non-tail-recursive call takes about
/// three levels: JSONata's own suite runs `$factorial(99)` within 302). The
/// evaluator grows its stack on the heap, so this bounds memory and time, not
/// the thread's stack.
pub const MAX_DEPTH: usize = 1_000;
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
    /// The context item `$`: always `None` in a workflow (Step Functions
    /// binds none); JSONata's own test suite sets it to run its cases.
    #[doc(hidden)]
    pub context_item: Option<&'a Value>,
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
            context_item: None,
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

    /// The same scope with a context item `$` (for JSONata's test suite only:
    /// Step Functions binds none).
    #[doc(hidden)]
    pub fn with_context_item(mut self, item: &'a Value) -> Self {
        self.context_item = Some(item);
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
    /// nesting limits, `S0201` for JSONata 2.1's `??` and `?:`, `S0217` for a
    /// regular expression the evaluator cannot run, `U1002` when the evaluator
    /// failed inside (a panic, caught).
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
    /// The Rust the compiler generated for it, when it lies in the native subset.
    compiled: Option<compiled::Compiled>,
    /// What parsing the text gives, on first use: the expression's own for
    /// `static` text, shared through [`cache`] by every expression of the same
    /// text given at run time.
    parsed: OnceLock<Arc<Parsed>>,
}

/// The parses of one text, each made on first use and kept for every
/// evaluation (and, for text given at run time, every [`JsonataExpr`] of it).
#[derive(Debug, Default)]
pub(crate) struct Parsed {
    /// Its tree, when it lies in the native subset.
    tree: OnceLock<Option<asl_lang::jsonata::ast::Expr>>,
    /// The full evaluator's preparation.
    prepared: OnceLock<Result<Prepared, Failure>>,
}

struct Prepared {
    /// The expression as the full evaluator parsed it (once).
    ast: jsonata_core::ast::AstNode,
    /// The variable names the source mentions (`$name`), to bind only those.
    variables: Vec<String>,
    /// The `$states` members to hand over and how much of each (`None`: all of
    /// them, whole).
    states_members: Option<Vec<asl_lang::jsonata::StatesUse>>,
}

impl std::fmt::Debug for Prepared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prepared")
            .field("variables", &self.variables)
            .finish_non_exhaustive()
    }
}

impl JsonataExpr {
    /// An expression from `static` text (what generated code uses).
    pub const fn new(source: &'static str) -> Self {
        JsonataExpr {
            source: Cow::Borrowed(source),
            compiled: None,
            parsed: OnceLock::new(),
        }
    }

    /// An expression from text known only at run time. Its parses are shared
    /// with every other expression of the same text through a bounded cache
    /// ([`cache`]), so text evaluated again and again (a template given as
    /// JSON, a definition interpreted at run time) is parsed once, not per
    /// evaluation.
    pub fn owned(source: impl Into<String>) -> Self {
        JsonataExpr {
            source: Cow::Owned(source.into()),
            compiled: None,
            parsed: OnceLock::new(),
        }
    }

    /// The parses of this expression's text: its own for `static` text, the
    /// cache's for text given at run time.
    pub(crate) fn parsed(&self) -> &Parsed {
        self.parsed.get_or_init(|| match &self.source {
            Cow::Borrowed(_) => Arc::default(),
            Cow::Owned(text) => cache::parsed(text),
        })
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
        self.parsed()
            .prepared
            .get_or_init(|| prepare(&self.source))
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Evaluates the expression: `Ok(None)` when it yields nothing (undefined).
    /// Natively when it can ([`compiled`]), else with the full evaluator.
    #[inline]
    pub fn evaluate(&self, scope: &JsonataScope<'_>) -> Result<Option<Value>, Failure> {
        // Compiled code first, inlined into the caller; the rest out of line.
        if let Some(function) = self.compiled
            && let Ok(answer) = function(&compiled::Cx::new(*scope))
        {
            return Ok(answer);
        }
        self.evaluate_otherwise(scope)
    }

    /// [`JsonataExpr::evaluate`] past compiled code: the tree walker for an
    /// expression given as text, then the full evaluator.
    fn evaluate_otherwise(&self, scope: &JsonataScope<'_>) -> Result<Option<Value>, Failure> {
        if self.compiled.is_none()
            && let Some(answer) = self.evaluate_tree(scope)
        {
            return Ok(answer);
        }
        let prepared = self.prepared()?;
        self.evaluate_with_jsonata(prepared, scope)
    }

    /// Evaluates with the full evaluator (jsonata-core), never natively; for tests
    /// that compare the two.
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
        let run = catch_unwind(AssertUnwindSafe(|| evaluate_in(prepared, scope)));
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
        self.eval_at(scope, &Field::Named(field))
    }

    fn eval_at(&self, scope: &JsonataScope<'_>, field: &Field<'_>) -> Result<Value, Error> {
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
                    .map(|(i, t)| t.eval_at(scope, &Field::Index(field, i)))
                    .collect::<Result<_, _>>()?,
            ),
            JsonataTemplate::Object(members) => {
                let mut map = Map::with_capacity(members.len());
                for (key, t) in members.iter() {
                    map.insert(
                        (*key).to_owned(),
                        t.eval_at(scope, &Field::Member(field, key))?,
                    );
                }
                Value::Object(map)
            }
            // The leaf's field name is spelled out only for an error.
            JsonataTemplate::Expr(expr) => match expr.evaluate(scope) {
                Ok(Some(value)) => value,
                Ok(None) => return Err(expr.undefined_error(&field.to_string())),
                Err(failure) => return Err(expr.failure_error(&failure, &field.to_string())),
            },
        })
    }
}

/// Where a template leaf is, as AWS names it (`Output/a/b[0]`): built as the
/// template is walked without allocating, written out only for an error.
enum Field<'a> {
    Named(&'a str),
    Member(&'a Field<'a>, &'a str),
    Index(&'a Field<'a>, usize),
}

impl std::fmt::Display for Field<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Field::Named(name) => f.write_str(name),
            Field::Member(parent, key) => write!(f, "{parent}/{key}"),
            Field::Index(parent, i) => write!(f, "{parent}[{i}]"),
        }
    }
}

/// Evaluates a template given as plain JSON: for interpreters and tests.
/// Generated code uses [`JsonataTemplate`]. Each `{% %}` string is parsed once
/// per distinct text, not per call: its parses come from the run-time
/// [`cache`].
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
