//! The model of the expressions that live inside JSON strings: paths, intrinsic
//! function calls and JSONata `{% ... %}` strings.
//!
//! In: nothing (these are plain data types; [`crate::expr_parse`] builds them from
//! text). Out: [`ReferencePath`] maps 1:1 onto `asl_runtime::path::ReferencePath`
//! (root `$`/`$$`/`$name`, segments field/index), so code generation can emit it as
//! a `const`. A [`JsonPath`] that is not a reference path (`..`, `*`, filters,
//! slices, unions) keeps its normalised text for jsonpath-rust at run time and its
//! parsed steps for checks (is it definite? is it valid here?).

/// Where a path starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Root {
    /// `$`: the state's (effective) input.
    Input,
    /// `$$`: the context object.
    Context,
    /// `$name`: a workflow variable (set by `Assign`).
    Variable(String),
}

/// One step of a reference path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Segment {
    /// `.name` or `['name']`
    Field(String),
    /// `[n]`
    Index(usize),
}

/// A definite path (at most one value, and a place a value can be written to):
/// `$.a['b c'][0]`, `$$.Execution.Id`, `$var.x`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReferencePath {
    pub root: Root,
    pub segments: Vec<Segment>,
    /// The path as written in the definition.
    pub text: String,
}

/// One step of a full JSONPath.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    /// `.name` / `['name']`
    Field(String),
    /// `[n]`, possibly negative (from the end).
    Index(i64),
    /// `.*` / `[*]`
    Wildcard,
    /// `..name`, `..*`, `..[0]`: the step applied at every depth.
    Descendant(Box<Step>),
    /// `[start:end:step]`
    Slice {
        start: Option<i64>,
        end: Option<i64>,
        step: Option<i64>,
    },
    /// `['a','b']` / `[0,1]`
    Union(Vec<Step>),
    /// `[?(...)]`: the filter expression text, checked only for balanced syntax.
    Filter(String),
    /// `[(...)]`: a script index expression, kept as text.
    Script(String),
    /// `.name(...)`: a Jayway path function (`length()`, `sum()`, ...), as
    /// written. Step Functions accepts the syntax but does not evaluate path
    /// functions: `$.Jobs.sum()` fails with "could not be found in the input"
    /// (re:Post, "AWS StepFunctions: sum() function returns error about not
    /// finding path"). The runtime looks it up as a field of that name, which
    /// finds nothing in any real input. Not allowed in a reference path
    /// (AWS's paths page: "Functions such as length() aren't supported").
    Function(String),
}

/// Any JSONPath, definite or not: `$.logs..pi`, `$.a[?(@.b > 1)]`, `$.x[*]`.
#[derive(Clone, Debug, PartialEq)]
pub struct JsonPath {
    pub root: Root,
    pub steps: Vec<Step>,
    /// The path as written.
    pub text: String,
    /// The text as jsonpath-rust accepts it (variables and `$$` rewritten to `$`:
    /// the runtime selects the root value itself and queries it with this text).
    pub query: String,
}

impl JsonPath {
    /// True when the path selects at most one value (only fields and indexes).
    pub fn is_definite(&self) -> bool {
        self.steps
            .iter()
            .all(|s| matches!(s, Step::Field(_) | Step::Index(_) | Step::Function(_)))
    }

    /// The reference-path form of a definite path, if it has one.
    pub fn to_reference(&self) -> Option<ReferencePath> {
        let mut segments = Vec::with_capacity(self.steps.len());
        for step in &self.steps {
            match step {
                Step::Field(name) => segments.push(Segment::Field(name.clone())),
                Step::Index(i) if *i >= 0 => segments.push(Segment::Index(*i as usize)),
                _ => return None,
            }
        }
        Some(ReferencePath {
            root: self.root.clone(),
            segments,
            text: self.text.clone(),
        })
    }
}

/// A path as it appears in a field: either a reference path (compiled ahead of
/// time) or a full JSONPath query (evaluated by jsonpath-rust at run time).
#[derive(Clone, Debug, PartialEq)]
pub enum Path {
    Reference(ReferencePath),
    Query(JsonPath),
}

impl Path {
    /// The path as written in the definition.
    pub fn text(&self) -> &str {
        match self {
            Path::Reference(r) => &r.text,
            Path::Query(q) => &q.text,
        }
    }

    pub fn root(&self) -> &Root {
        match self {
            Path::Reference(r) => &r.root,
            Path::Query(q) => &q.root,
        }
    }
}

/// The intrinsic functions of the language (defined in `asl-lang`).
pub use asl_lang::intrinsics::Intrinsic as Function;

/// An intrinsic function call: `States.Format('{} {}', $.a, States.UUID())`.
#[derive(Clone, Debug, PartialEq)]
pub struct Call {
    pub function: Function,
    pub args: Vec<Arg>,
    /// The call as written.
    pub text: String,
    /// For `States.Format` with a string-literal template: the template as written
    /// between the quotes, escapes kept (`a {} \{b\}`), because `\{` (literal
    /// brace) and `{}` (placeholder) differ only there. This is the form
    /// `asl_runtime::intrinsics::split_format_template` takes.
    pub format_template: Option<String>,
}

/// One argument of an intrinsic call.
#[derive(Clone, Debug, PartialEq)]
pub enum Arg {
    /// `'text'`, with `\'`, `\{`, `\}`, `\\` unescaped.
    String(String),
    /// A number literal (kept as JSON so integers stay integers).
    Number(serde_json::Number),
    Bool(bool),
    Null,
    Path(Path),
    Call(Call),
}

/// A JSONata expression, the text between `{%` and `%}` (trimmed of nothing: the
/// runtime's JSONata evaluator receives it as written).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Jsonata {
    pub expression: String,
}

/// What a `.$` payload-template value, or a field such as `ErrorPath` that takes
/// "a path or an intrinsic function", evaluates.
#[derive(Clone, Debug, PartialEq)]
pub enum Expression {
    Path(Path),
    Intrinsic(Call),
}

impl Expression {
    /// The expression as written.
    pub fn text(&self) -> &str {
        match self {
            Expression::Path(p) => p.text(),
            Expression::Intrinsic(c) => &c.text,
        }
    }
}
