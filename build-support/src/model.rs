//! The typed model of an Amazon States Language definition.
//!
//! In: built by [`crate::load`] from a positioned JSON document (never by hand in
//! production code). Out: what code generation reads. The model is the definition
//! after every field-level rule has passed: a field the state type or query
//! language does not allow is reported during loading and is absent here, numbers
//! are in range, paths are parsed. Graph-level rules ([`crate::check`]) run on the
//! model afterwards; code is generated only from a model with no diagnostics.
//!
//! Every node carries an [`Origin`]: the JSON pointer of the value it came from
//! (`/States/Run a job on EKS/Parameters/Job`) and its line:column.

use crate::expr::{Call, Expression, Jsonata, Path, ReferencePath};

/// Where a model node came from in the source.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Origin {
    /// RFC 6901 JSON pointer of the value (`~` and `/` escaped), `""` for the root.
    pub pointer: String,
    /// 1-based line of the value's first byte.
    pub line: u32,
    /// 1-based column (in characters) of the value's first byte.
    pub column: u32,
    /// Byte range of the value in the source.
    pub start: usize,
    pub end: usize,
}

/// A value with its origin.
#[derive(Clone, Debug, PartialEq)]
pub struct Spanned<T> {
    pub value: T,
    pub origin: Origin,
}

impl<T> std::ops::Deref for Spanned<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

/// `QueryLanguage`: how the strings of a state are evaluated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum QueryLanguage {
    #[default]
    JsonPath,
    Jsonata,
}

/// A state machine: the top-level definition, a `Parallel` branch, or a `Map`
/// `ItemProcessor`/`Iterator`. Top-level-only fields (`Version`, `TimeoutSeconds`)
/// are `None` in nested machines.
#[derive(Clone, Debug, PartialEq)]
pub struct StateMachine {
    pub comment: Option<Spanned<String>>,
    pub start_at: Spanned<String>,
    /// States in definition order.
    pub states: Vec<State>,
    pub version: Option<Spanned<String>>,
    pub timeout_seconds: Option<Spanned<u64>>,
    /// The `QueryLanguage` field as written, if any.
    pub query_language_field: Option<Spanned<QueryLanguage>>,
    /// The language in effect for states that do not set their own.
    pub query_language: QueryLanguage,
    pub origin: Origin,
}

impl StateMachine {
    /// The state called `name` in this machine (not in nested ones).
    pub fn state(&self, name: &str) -> Option<&State> {
        self.states.iter().find(|s| s.name.value == name)
    }

    /// Every distinct Task `Resource` of this machine and its nested machines,
    /// in order of first appearance (`Workflow::RESOURCES`).
    pub fn task_resources(&self) -> Vec<String> {
        fn walk(machine: &StateMachine, out: &mut Vec<String>) {
            for state in &machine.states {
                match &state.kind {
                    StateKind::Task(t) if !out.contains(&t.resource.value.arn) => {
                        out.push(t.resource.value.arn.clone());
                    }
                    StateKind::Parallel(p) => p.branches.iter().for_each(|b| walk(b, out)),
                    StateKind::Map(m) => walk(&m.item_processor, out),
                    _ => {}
                }
            }
        }
        let mut out = Vec::new();
        walk(self, &mut out);
        out
    }
}

impl StateMachine {
    /// Does a distributed Map (at any depth) read or write S3 through an
    /// `ItemReader` or a `ResultWriter`'s `Resource`?
    pub fn uses_map_run_s3(&self) -> bool {
        self.states.iter().any(|state| match &state.kind {
            StateKind::Parallel(p) => p.branches.iter().any(StateMachine::uses_map_run_s3),
            StateKind::Map(m) => {
                m.item_reader.is_some()
                    || m.result_writer
                        .as_ref()
                        .is_some_and(|w| w.resource.is_some())
                    || m.item_processor.uses_map_run_s3()
            }
            _ => false,
        })
    }
}

/// One named state.
#[derive(Clone, Debug, PartialEq)]
pub struct State {
    /// The state's name; its origin is the member key in `States`.
    pub name: Spanned<String>,
    pub comment: Option<Spanned<String>>,
    /// The `QueryLanguage` field as written on the state, if any.
    pub query_language_field: Option<Spanned<QueryLanguage>>,
    /// The language in effect for this state (its own or inherited).
    pub query_language: QueryLanguage,
    pub kind: StateKind,
    /// The state's object.
    pub origin: Origin,
}

// Built once per compilation and matched everywhere by code generation: plain
// variants read better than boxed ones, and the size costs nothing measurable.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq)]
pub enum StateKind {
    Task(Task),
    Pass(Pass),
    Choice(Choice),
    Wait(Wait),
    Succeed(Succeed),
    Fail(Fail),
    Parallel(Parallel),
    Map(Map),
}

impl StateKind {
    /// The `Type` as written.
    pub fn type_name(&self) -> &'static str {
        match self {
            StateKind::Task(_) => "Task",
            StateKind::Pass(_) => "Pass",
            StateKind::Choice(_) => "Choice",
            StateKind::Wait(_) => "Wait",
            StateKind::Succeed(_) => "Succeed",
            StateKind::Fail(_) => "Fail",
            StateKind::Parallel(_) => "Parallel",
            StateKind::Map(_) => "Map",
        }
    }
}

/// Where a state goes when it is done.
#[derive(Clone, Debug, PartialEq)]
pub enum Transition {
    Next(Spanned<String>),
    /// `"End": true`; the origin is the `End` value.
    End(Origin),
}

/// The input/output processing fields. A field the state's type or query
/// language does not allow is always `None`.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Io {
    /// `InputPath`; `Some(None)` is `"InputPath": null` (the input becomes `{}`).
    pub input_path: Option<Nullable<Path>>,
    /// `Parameters` (JSONPath) as a payload template.
    pub parameters: Option<Template>,
    /// `ResultSelector`.
    pub result_selector: Option<Template>,
    /// `ResultPath`; `Some(None)` is `"ResultPath": null` (discard the result).
    pub result_path: Option<Nullable<ReferencePath>>,
    /// `OutputPath`; `Some(None)` is `"OutputPath": null` (the output becomes `{}`).
    pub output_path: Option<Nullable<Path>>,
    /// `Arguments` (JSONata).
    pub arguments: Option<Template>,
    /// `Output` (JSONata).
    pub output: Option<Template>,
    /// `Assign` (both languages).
    pub assign: Option<Template>,
}

/// A path field that may be JSON `null`.
#[derive(Clone, Debug, PartialEq)]
pub struct Nullable<T> {
    pub value: Option<T>,
    pub origin: Origin,
}

/// A field given literally, through its `...Path` twin, or as a JSONata string
/// (`TimeoutSeconds` / `TimeoutSecondsPath` / `"{% ... %}"`).
#[derive(Clone, Debug, PartialEq)]
pub enum Dynamic<T> {
    Literal(Spanned<T>),
    /// The `...Path` field: a reference path (or, for `ErrorPath`/`CausePath`,
    /// an intrinsic function call).
    Path(Spanned<Expression>),
    Jsonata(Spanned<Jsonata>),
}

impl<T> Dynamic<T> {
    pub fn origin(&self) -> &Origin {
        match self {
            Dynamic::Literal(s) => &s.origin,
            Dynamic::Path(s) => &s.origin,
            Dynamic::Jsonata(s) => &s.origin,
        }
    }
}

/// A payload template (`Parameters`, `ResultSelector`, `ItemSelector`,
/// `Arguments`, `Output`, `Assign`, `Credentials`, ...): a JSON tree whose leaves
/// are literal JSON or expressions, in the order written.
#[derive(Clone, Debug, PartialEq)]
pub struct Template {
    pub node: TemplateNode,
    pub origin: Origin,
}

#[derive(Clone, Debug, PartialEq)]
pub enum TemplateNode {
    /// An object: members in the order written.
    Object(Vec<TemplateField>),
    Array(Vec<Template>),
    /// A literal scalar (or an empty object/array).
    Literal(serde_json::Value),
    /// The value of a `key.$` member (JSONPath): a path or an intrinsic call.
    Expression(Expression),
    /// A `"{% ... %}"` string (JSONata).
    Jsonata(Jsonata),
}

/// One member of a template object.
#[derive(Clone, Debug, PartialEq)]
pub struct TemplateField {
    /// The output key: the written key without its `.$` suffix.
    pub name: Spanned<String>,
    /// True when the key was written with `.$` (the value is an expression).
    pub dynamic: bool,
    pub value: Template,
}

/// `Task`.
#[derive(Clone, Debug, PartialEq)]
pub struct Task {
    /// `Resource`: an ARN string, or a JSONata string (rare; kept as text).
    pub resource: Spanned<Resource>,
    pub io: Io,
    pub transition: Transition,
    pub retry: Vec<Retrier>,
    pub catch: Vec<Catcher>,
    pub timeout_seconds: Option<Dynamic<u64>>,
    pub heartbeat_seconds: Option<Dynamic<u64>>,
    /// `Credentials` (a template with `RoleArn` / `RoleArn.$`).
    pub credentials: Option<Template>,
}

impl Task {
    /// The built-in integration this task calls, if its Resource is one.
    pub fn integration(&self) -> Option<Integration> {
        self.resource.value.integration
    }
}

/// A parsed `Resource` ARN.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resource {
    /// The ARN as written.
    pub arn: String,
    /// `Some` when the ARN is one of the integrations `asl` implements.
    pub integration: Option<Integration>,
}

/// The built-in integrations and their patterns, from the shared catalogue.
pub use asl_lang::integrations::{Api as IntegrationApi, Integration, Pattern};

/// One `Retry` entry.
#[derive(Clone, Debug, PartialEq)]
pub struct Retrier {
    pub error_equals: Vec<Spanned<String>>,
    /// Seconds before the first retry (default 1).
    pub interval_seconds: Option<Spanned<u64>>,
    /// Retries after the first attempt (default 3; 0 = never retry).
    pub max_attempts: Option<Spanned<u64>>,
    /// Multiplier of the interval per attempt (default 2.0, at least 1.0).
    pub backoff_rate: Option<Spanned<f64>>,
    /// Cap on the interval.
    pub max_delay_seconds: Option<Spanned<u64>>,
    pub jitter_strategy: Option<Spanned<JitterStrategy>>,
    pub comment: Option<Spanned<String>>,
    pub origin: Origin,
}

/// `JitterStrategy`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JitterStrategy {
    Full,
    None,
}

/// One `Catch` entry.
#[derive(Clone, Debug, PartialEq)]
pub struct Catcher {
    pub error_equals: Vec<Spanned<String>>,
    pub next: Spanned<String>,
    /// `ResultPath` (JSONPath); `Some(None)` is `null`.
    pub result_path: Option<Nullable<ReferencePath>>,
    /// `Output` (JSONata).
    pub output: Option<Template>,
    pub assign: Option<Template>,
    pub comment: Option<Spanned<String>>,
    pub origin: Origin,
}

/// `Pass`.
#[derive(Clone, Debug, PartialEq)]
pub struct Pass {
    pub io: Io,
    pub transition: Transition,
    /// `Result`: literal JSON (its `.$` keys are not evaluated).
    pub result: Option<Spanned<serde_json::Value>>,
}

/// `Choice`.
#[derive(Clone, Debug, PartialEq)]
pub struct Choice {
    pub io: Io,
    pub choices: Vec<ChoiceRule>,
    pub default: Option<Spanned<String>>,
}

/// One element of `Choices`: a condition and where to go when it holds.
#[derive(Clone, Debug, PartialEq)]
pub struct ChoiceRule {
    pub condition: Condition,
    pub next: Spanned<String>,
    pub comment: Option<Spanned<String>>,
    /// `Assign` and `Output` of a choice rule (taken when it matches).
    pub assign: Option<Template>,
    pub output: Option<Template>,
    pub origin: Origin,
}

/// A Boolean expression of a choice rule.
#[derive(Clone, Debug, PartialEq)]
pub struct Condition {
    pub kind: ConditionKind,
    pub origin: Origin,
}

#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq)]
pub enum ConditionKind {
    And(Vec<Condition>),
    Or(Vec<Condition>),
    Not(Box<Condition>),
    Compare(Comparison),
    /// `Condition: "{% ... %}"` (JSONata).
    Jsonata(Jsonata),
    /// `Condition: true` / `false` (JSONata): a JSON boolean, taken as it is.
    Literal(bool),
}

/// `{"Variable": "$.x", "NumericGreaterThan": 3}` and its `...Path` form.
#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    /// `Variable`: a path (may select nothing; `IsPresent` tests that).
    pub variable: Spanned<Path>,
    pub operator: Spanned<Operator>,
    pub operand: Spanned<Operand>,
}

/// The right-hand side of a comparison.
#[derive(Clone, Debug, PartialEq)]
pub enum Operand {
    String(String),
    Number(serde_json::Number),
    Bool(bool),
    /// The `...Path` form: compare with the value at this path.
    Path(Path),
}

/// Every comparison operator, without its `Path` suffix (see [`Operand::Path`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Operator {
    StringEquals,
    StringLessThan,
    StringGreaterThan,
    StringLessThanEquals,
    StringGreaterThanEquals,
    StringMatches,
    NumericEquals,
    NumericLessThan,
    NumericGreaterThan,
    NumericLessThanEquals,
    NumericGreaterThanEquals,
    BooleanEquals,
    TimestampEquals,
    TimestampLessThan,
    TimestampGreaterThan,
    TimestampLessThanEquals,
    TimestampGreaterThanEquals,
    IsNull,
    IsPresent,
    IsNumeric,
    IsString,
    IsBoolean,
    IsTimestamp,
}

/// What kind of literal an operator compares with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OperandType {
    String,
    Number,
    Bool,
    Timestamp,
}

impl Operator {
    pub const ALL: [Operator; 23] = [
        Operator::StringEquals,
        Operator::StringLessThan,
        Operator::StringGreaterThan,
        Operator::StringLessThanEquals,
        Operator::StringGreaterThanEquals,
        Operator::StringMatches,
        Operator::NumericEquals,
        Operator::NumericLessThan,
        Operator::NumericGreaterThan,
        Operator::NumericLessThanEquals,
        Operator::NumericGreaterThanEquals,
        Operator::BooleanEquals,
        Operator::TimestampEquals,
        Operator::TimestampLessThan,
        Operator::TimestampGreaterThan,
        Operator::TimestampLessThanEquals,
        Operator::TimestampGreaterThanEquals,
        Operator::IsNull,
        Operator::IsPresent,
        Operator::IsNumeric,
        Operator::IsString,
        Operator::IsBoolean,
        Operator::IsTimestamp,
    ];

    /// The field name as written (without `Path`).
    pub fn name(self) -> &'static str {
        match self {
            Operator::StringEquals => "StringEquals",
            Operator::StringLessThan => "StringLessThan",
            Operator::StringGreaterThan => "StringGreaterThan",
            Operator::StringLessThanEquals => "StringLessThanEquals",
            Operator::StringGreaterThanEquals => "StringGreaterThanEquals",
            Operator::StringMatches => "StringMatches",
            Operator::NumericEquals => "NumericEquals",
            Operator::NumericLessThan => "NumericLessThan",
            Operator::NumericGreaterThan => "NumericGreaterThan",
            Operator::NumericLessThanEquals => "NumericLessThanEquals",
            Operator::NumericGreaterThanEquals => "NumericGreaterThanEquals",
            Operator::BooleanEquals => "BooleanEquals",
            Operator::TimestampEquals => "TimestampEquals",
            Operator::TimestampLessThan => "TimestampLessThan",
            Operator::TimestampGreaterThan => "TimestampGreaterThan",
            Operator::TimestampLessThanEquals => "TimestampLessThanEquals",
            Operator::TimestampGreaterThanEquals => "TimestampGreaterThanEquals",
            Operator::IsNull => "IsNull",
            Operator::IsPresent => "IsPresent",
            Operator::IsNumeric => "IsNumeric",
            Operator::IsString => "IsString",
            Operator::IsBoolean => "IsBoolean",
            Operator::IsTimestamp => "IsTimestamp",
        }
    }

    /// The literal the operator takes.
    pub fn operand_type(self) -> OperandType {
        use Operator::*;
        match self {
            StringEquals
            | StringLessThan
            | StringGreaterThan
            | StringLessThanEquals
            | StringGreaterThanEquals
            | StringMatches => OperandType::String,
            NumericEquals
            | NumericLessThan
            | NumericGreaterThan
            | NumericLessThanEquals
            | NumericGreaterThanEquals => OperandType::Number,
            TimestampEquals
            | TimestampLessThan
            | TimestampGreaterThan
            | TimestampLessThanEquals
            | TimestampGreaterThanEquals => OperandType::Timestamp,
            BooleanEquals | IsNull | IsPresent | IsNumeric | IsString | IsBoolean | IsTimestamp => {
                OperandType::Bool
            }
        }
    }

    /// Whether a `...Path` form exists (`Is*` and `StringMatches` have none).
    pub fn has_path_form(self) -> bool {
        !matches!(
            self,
            Operator::StringMatches
                | Operator::IsNull
                | Operator::IsPresent
                | Operator::IsNumeric
                | Operator::IsString
                | Operator::IsBoolean
                | Operator::IsTimestamp
        )
    }

    /// Parses a field name, `Path` forms included: `("NumericEqualsPath")` →
    /// `(NumericEquals, true)`.
    pub fn from_field(name: &str) -> Option<(Operator, bool)> {
        if let Some(op) = Operator::ALL.into_iter().find(|o| o.name() == name) {
            return Some((op, false));
        }
        let base = name.strip_suffix("Path")?;
        Operator::ALL
            .into_iter()
            .find(|o| o.has_path_form() && o.name() == base)
            .map(|o| (o, true))
    }
}

/// `Wait`: exactly one of its four forms (or a JSONata `Seconds`/`Timestamp`).
#[derive(Clone, Debug, PartialEq)]
pub struct Wait {
    pub io: Io,
    pub transition: Transition,
    pub duration: WaitDuration,
}

#[derive(Clone, Debug, PartialEq)]
pub enum WaitDuration {
    /// `Seconds` / `SecondsPath` / JSONata `Seconds`.
    Seconds(Dynamic<u64>),
    /// `Timestamp` / `TimestampPath` / JSONata `Timestamp` (RFC 3339 text).
    Timestamp(Dynamic<String>),
}

/// `Succeed`.
#[derive(Clone, Debug, PartialEq)]
pub struct Succeed {
    pub io: Io,
}

/// `Fail`.
#[derive(Clone, Debug, PartialEq)]
pub struct Fail {
    /// `Error` / `ErrorPath` (path or intrinsic) / JSONata `Error`.
    pub error: Option<Dynamic<String>>,
    /// `Cause` / `CausePath` / JSONata `Cause`.
    pub cause: Option<Dynamic<String>>,
}

/// `Parallel`.
#[derive(Clone, Debug, PartialEq)]
pub struct Parallel {
    pub io: Io,
    pub transition: Transition,
    pub retry: Vec<Retrier>,
    pub catch: Vec<Catcher>,
    pub branches: Vec<StateMachine>,
}

/// `Map`, inline or distributed.
#[derive(Clone, Debug, PartialEq)]
pub struct Map {
    pub io: Io,
    pub transition: Transition,
    pub retry: Vec<Retrier>,
    pub catch: Vec<Catcher>,
    /// `ItemProcessor` (or the legacy `Iterator`).
    pub item_processor: Box<StateMachine>,
    pub processor_config: ProcessorConfig,
    /// `ItemsPath` (JSONPath).
    pub items_path: Option<Spanned<Path>>,
    /// `Items` (JSONata: an array or a `{% %}` string).
    pub items: Option<Template>,
    /// `ItemSelector` (or the legacy `Parameters` of a Map).
    pub item_selector: Option<Template>,
    pub max_concurrency: Option<Dynamic<u64>>,
    pub tolerated_failure_percentage: Option<Dynamic<f64>>,
    pub tolerated_failure_count: Option<Dynamic<u64>>,
    pub item_reader: Option<ItemReader>,
    pub item_batcher: Option<ItemBatcher>,
    pub result_writer: Option<ResultWriter>,
    pub label: Option<Spanned<String>>,
}

/// `ProcessorConfig` of a Map's `ItemProcessor`.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct ProcessorConfig {
    pub mode: ProcessorMode,
    /// `ExecutionType` (distributed only).
    pub execution_type: Option<Spanned<ExecutionType>>,
    pub origin: Option<Origin>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ProcessorMode {
    #[default]
    Inline,
    Distributed,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExecutionType {
    Standard,
    Express,
}

/// `ItemReader` (distributed Map): where items come from, kept as structure.
#[derive(Clone, Debug, PartialEq)]
pub struct ItemReader {
    pub resource: Spanned<String>,
    /// `Parameters` (JSONPath) or `Arguments` (JSONata).
    pub parameters: Option<Template>,
    /// `ReaderConfig`, as literal JSON.
    pub reader_config: Option<Spanned<serde_json::Value>>,
    /// `ReaderConfig.MaxItems` or `MaxItemsPath`.
    pub max_items: Option<Dynamic<u64>>,
    pub origin: Origin,
}

/// `ItemBatcher`.
#[derive(Clone, Debug, PartialEq)]
pub struct ItemBatcher {
    pub max_items_per_batch: Option<Dynamic<u64>>,
    pub max_input_bytes_per_batch: Option<Dynamic<u64>>,
    pub batch_input: Option<Template>,
    pub origin: Origin,
}

/// `ResultWriter`.
#[derive(Clone, Debug, PartialEq)]
pub struct ResultWriter {
    pub resource: Option<Spanned<String>>,
    /// `Parameters` (JSONPath) or `Arguments` (JSONata).
    pub parameters: Option<Template>,
    /// `WriterConfig`, as literal JSON.
    pub writer_config: Option<Spanned<serde_json::Value>>,
    pub origin: Origin,
}

/// Re-exported for code generation: the expression types the model uses.
pub use crate::expr::{Arg, Function, JsonPath, Root, Segment, Step};

/// Makes `Call` nameable through `model` as well.
pub type IntrinsicCall = Call;
