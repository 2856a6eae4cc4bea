//! The `asl` compiler as a plain library (no `proc_macro`): it reads an Amazon
//! States Language definition and either reports every problem in it, located, or
//! turns it into Rust tokens.
//!
//! Stages, each a module whose input and output can be printed in a test:
//! source text → positioned JSON → typed model → checks → code generation.

pub mod builder;
pub mod check;
pub mod codegen;
pub mod diagnostics;
pub mod expr;
pub mod expr_parse;
pub mod graph;
pub mod json;
pub mod lower;
pub mod model;
pub mod policy;
pub mod program;
pub mod rules;
pub mod source;
pub mod template;

pub use builder::{BuildError, Builder};
pub use check::support::CheckOptions;
pub use diagnostics::{Diagnostic, Diagnostics, Sink};
pub use rules::{Rule, Severity};
pub use source::Substitutions;

/// Reads a definition: parses `source` (the file's bytes), builds the typed
/// model and runs every check, accepting any Task `Resource` (see [`load_with`]
/// to refuse undeclared ones, as `asl!` and `asl check` do). `file_name` is only
/// used in diagnostics.
///
/// Returns the model when the definition is valid, or every problem found, each
/// located (rule, message, `file:line:col`, JSON pointer, source line). Never
/// panics, whatever the bytes.
///
/// ```
/// let src = br#"{"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}}}"#;
/// let err = asl_build::load(src, "flow.asl.json").unwrap_err();
/// assert!(err.iter().any(|d| d.rule == asl_build::Rule::UnknownNextState));
/// println!("{err}"); // error[asl::unknown-next-state]: state "A" has Next "B", ...
/// ```
pub fn load(source: &[u8], file_name: &str) -> Result<model::StateMachine, Diagnostics> {
    load_with(source, file_name, &CheckOptions::allowing_undeclared())
}

/// [`load`] with the resources the program declares: what `asl!` and `asl check`
/// run, so both accept and refuse exactly the same definitions. Every refusal is
/// made here; code generation of a model this returns never fails.
///
/// ```
/// use asl_build::{CheckOptions, Rule};
/// let src = br#"{"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "arn:aws:states:::glue:startCrawler.sync", "End": true}}}"#;
/// let err = asl_build::load_with(src, "f.asl.json", &CheckOptions::default()).unwrap_err();
/// assert_eq!(err.items[0].rule, Rule::UndeclaredResource);
/// let declared = CheckOptions::declaring(["arn:aws:states:::glue:startCrawler.sync"]);
/// assert!(asl_build::load_with(src, "f.asl.json", &declared).is_ok());
/// ```
pub fn load_with(
    source: &[u8],
    file_name: &str,
    options: &CheckOptions,
) -> Result<model::StateMachine, Diagnostics> {
    load_reporting(source, file_name, options).map(|loaded| loaded.machine)
}

/// A definition that loaded: its model and the warnings it got (what may be
/// wrong on some path only: `asl::path-maybe-absent`, ...).
#[derive(Debug)]
pub struct Loaded {
    pub machine: model::StateMachine,
    /// Every warning, located; empty when there is none.
    pub warnings: Diagnostics,
}

/// [`load_with`], also returning the warnings of a definition that loads.
/// With [`CheckOptions::deny_warnings`] a warning is an error: the definition
/// is refused with it.
///
/// ```
/// use asl_build::{CheckOptions, Rule};
/// // `$.id` is there when "A" is entered from "Start", not from the Catch.
/// let src = br#"{"StartAt": "Start", "States": {
///   "Start": {"Type": "Pass", "Result": {"id": 1}, "Next": "Call"},
///   "Call": {"Type": "Task", "Resource": "arn:aws:states:::sns:publish",
///            "Parameters": {"TopicArn": "arn:aws:sns:us-east-1:1:t", "Message": "m"},
///            "ResultPath": null, "Next": "A",
///            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "A"}]},
///   "A": {"Type": "Pass", "InputPath": "$.id", "End": true}}}"#;
/// let loaded = asl_build::load_reporting(src, "f.asl.json", &CheckOptions::default()).unwrap();
/// assert_eq!(loaded.warnings.items[0].rule, Rule::PathMaybeAbsent);
/// let mut deny = CheckOptions::default();
/// deny.deny_warnings = true;
/// assert!(asl_build::load_reporting(src, "f.asl.json", &deny).is_err());
/// ```
pub fn load_reporting(
    source: &[u8],
    file_name: &str,
    options: &CheckOptions,
) -> Result<Loaded, Diagnostics> {
    let text = match std::str::from_utf8(source) {
        Ok(text) => text,
        Err(e) => return Err(invalid_utf8(source, &e, file_name)),
    };
    let prepared = source::prepare(text, file_name, &options.substitutions)?;
    let index = prepared.index;
    // One sink for every stage: parsing, lowering, the checks.
    let mut sink = diagnostics::Sink::new();
    let parsed = json::parse(&prepared.json, &index);
    sink.extend(parsed.diagnostics);
    let Some(json) = parsed.json else {
        return Err(Diagnostics::new(file_name, index, sink.finish()));
    };
    let machine = lower::lower(&json, &index, &mut sink);
    if let Some(machine) = &machine {
        check::check(machine, &mut sink);
        check::support::check_support(machine, options, &mut sink);
        // The data flow is inferred on a definition whose structure holds.
        if !sink.has_errors() {
            let input = options
                .input_schema
                .as_ref()
                .map_or(check::types::Shape::Unknown, check::types::Shape::of_schema);
            check::types::check_types_from(machine, &options.handlers(), &input, &mut sink);
            check::variables::check_variables(machine, &mut sink);
            check::states_members::check_states_members(machine, &mut sink);
        }
    }
    if !prepared.unsubstituted.is_empty() {
        // Nothing can be checked about a value not known yet: one diagnostic
        // per placeholder, none about the values that hold one.
        let mut items = sink.finish();
        let (found, unknown) =
            source::placeholder_diagnostics(&json, &prepared.unsubstituted, &index);
        items.retain(|d| !unknown.iter().any(|p| within(&d.origin.pointer, p)));
        items.extend(found);
        return Err(Diagnostics::new(file_name, index, items));
    }
    let mut items = sink.finish();
    if options.deny_warnings {
        for d in &mut items {
            d.severity = Severity::Error;
        }
    }
    match machine {
        Some(machine) if items.iter().all(Diagnostic::is_warning) => Ok(Loaded {
            machine,
            warnings: Diagnostics::new(file_name, index, items),
        }),
        _ => Err(Diagnostics::new(file_name, index, items)),
    }
}

/// Is JSON pointer `pointer` at or under `parent`?
fn within(pointer: &str, parent: &str) -> bool {
    pointer == parent
        || pointer
            .strip_prefix(parent)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// Rule `asl::invalid-utf8`: a definition is UTF-8 text. Located at the first
/// bad byte (the text before it decodes unchanged, so line and column hold).
fn invalid_utf8(source: &[u8], e: &std::str::Utf8Error, file_name: &str) -> Diagnostics {
    let at = e.valid_up_to();
    let text = String::from_utf8_lossy(source);
    let index = diagnostics::LineIndex::new(&text);
    let d = index.diagnostic_at(
        rules::Rule::InvalidUtf8,
        format!(
            "the file is not valid UTF-8: invalid byte 0x{:02X} at byte offset {at}",
            source[at]
        ),
        at,
        at + 1,
        String::new(),
    );
    Diagnostics::new(
        file_name,
        index,
        vec![d.with_help("save the file as UTF-8")],
    )
}
