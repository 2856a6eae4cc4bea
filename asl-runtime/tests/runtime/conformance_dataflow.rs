//! Runs the shared conformance corpus against the data-flow core directly, before
//! (and independently of) code generation:
//! - every `choice/` case: the case's Choice rules are walked here and evaluated
//!   with `asl_runtime::choice`; the chosen branch must be the one AWS took;
//! - the JSONPath `executions/` cases made only of Pass, Choice, Succeed and Fail
//!   states without intrinsics, `$$` or variables, run by a small loop over
//!   `asl_runtime::dataflow` / `template` (the engine proper is code generation's).
//!
//! The corpus is `$ASL_CONFORMANCE_DIR`, default `../shared/conformance` from the
//! workspace root. Missing corpus: a failure under `CI=true`, else a printed skip.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use asl_runtime::Error;
use asl_runtime::choice::{self, Cmp};
use asl_runtime::dataflow::{self, PathField, ResultPathField};
use asl_runtime::error::names;
use asl_runtime::jsonpath::JsonPathQuery;
use asl_runtime::path::{ReferencePath, Root, Segment};
use asl_runtime::template::{Scope, Template};
use serde_json::{Map, Value};

fn corpus_dir() -> Option<PathBuf> {
    let dir = match std::env::var_os("ASL_CONFORMANCE_DIR") {
        Some(d) => PathBuf::from(d),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/conformance"),
    };
    if dir.is_dir() {
        return Some(dir);
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!(
            "conformance corpus not found at {} (set ASL_CONFORMANCE_DIR)",
            dir.display()
        );
    }
    eprintln!(
        "skipping: conformance corpus not found at {}",
        dir.display()
    );
    None
}

fn cases(dir: &Path, kind: &str) -> Vec<(String, Value)> {
    let mut files: Vec<_> = std::fs::read_dir(dir.join(kind))
        .unwrap_or_else(|e| panic!("reading {kind}/: {e}"))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            let case: Value =
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            (case["id"].as_str().unwrap_or_default().to_owned(), case)
        })
        .collect()
}

// ------------------------------------------------------------------ paths
// build-support parses paths at compile time; this test parses the few shapes the
// corpus uses so it can hand the runtime the same compiled forms.

fn leak<T>(v: T) -> &'static T {
    Box::leak(Box::new(v))
}

fn leak_str(s: &str) -> &'static str {
    Box::leak(s.to_owned().into_boxed_str())
}

/// A reference path (`$.a['b'][0]`, `$$.x`), or `None` for anything else.
fn reference_path(text: &str) -> Option<ReferencePath> {
    let (root, mut rest) = if let Some(r) = text.strip_prefix("$$") {
        (Root::Context, r)
    } else {
        (Root::Input, text.strip_prefix('$')?)
    };
    let mut segments = Vec::new();
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix("['") {
            let end = r.find("']")?;
            segments.push(Segment::Field(Cow::Owned(r[..end].to_owned())));
            rest = &r[end + 2..];
        } else if let Some(r) = rest.strip_prefix('[') {
            let end = r.find(']')?;
            segments.push(Segment::Index(r[..end].parse().ok()?));
            rest = &r[end + 1..];
        } else if let Some(r) = rest.strip_prefix('.') {
            let end = r.find(['.', '[']).unwrap_or(r.len());
            let name = &r[..end];
            if name.is_empty() || name.contains(['*', '?', '(', ')', '@', ' ']) {
                return None;
            }
            segments.push(Segment::Field(Cow::Owned(name.to_owned())));
            rest = &r[end..];
        } else {
            return None;
        }
    }
    Some(ReferencePath {
        root,
        segments: Cow::Owned(segments),
        text: Cow::Owned(text.to_owned()),
    })
}

fn path_field(v: Option<&Value>) -> PathField {
    match v {
        None => PathField::Absent,
        Some(Value::Null) => PathField::Null,
        Some(Value::String(s)) => match reference_path(s) {
            Some(p) => PathField::Path(p),
            None => PathField::Query(leak(JsonPathQuery::new(leak_str(s)))),
        },
        Some(other) => panic!("unsupported path field {other}"),
    }
}

/// A payload template built from the definition's JSON, as build-support would.
fn template(v: &Value) -> Template {
    match v {
        Value::Null => Template::Null,
        Value::Bool(b) => Template::Bool(*b),
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => Template::Int(i),
            (_, Some(u)) => Template::UInt(u),
            _ => Template::Float(n.as_f64().unwrap()),
        },
        Value::String(s) => Template::Str(leak_str(s)),
        Value::Array(items) => Template::Array(Box::leak(
            items
                .iter()
                .map(template)
                .collect::<Vec<_>>()
                .into_boxed_slice(),
        )),
        Value::Object(map) => {
            let members: Vec<(&'static str, Template)> = map
                .iter()
                .map(|(k, v)| match (k.strip_suffix(".$"), v) {
                    (Some(key), Value::String(path)) => {
                        let t = match reference_path(path) {
                            Some(p) => Template::Path(p),
                            None => Template::Query(leak(JsonPathQuery::new(leak_str(path)))),
                        };
                        (leak_str(key), t)
                    }
                    _ => (leak_str(k), template(v)),
                })
                .collect();
            Template::Object(Box::leak(members.into_boxed_slice()))
        }
    }
}

// ------------------------------------------------------------------ Choice rules

/// Evaluates one Choice rule (`Variable` + operator, or `And`/`Or`/`Not`).
fn rule(r: &Value, input: &Value) -> Result<bool, Error> {
    let obj = r.as_object().expect("rule object");
    if let Some(all) = obj.get("And").and_then(Value::as_array) {
        for sub in all {
            if !rule(sub, input)? {
                return Ok(false);
            }
        }
        return Ok(true);
    }
    if let Some(any) = obj.get("Or").and_then(Value::as_array) {
        for sub in any {
            if rule(sub, input)? {
                return Ok(true);
            }
        }
        return Ok(false);
    }
    if let Some(not) = obj.get("Not") {
        return Ok(!rule(not, input)?);
    }
    let var_path =
        reference_path(obj["Variable"].as_str().expect("Variable")).expect("reference path");
    let (op, operand) = obj
        .iter()
        .find(|(k, _)| !matches!(k.as_str(), "Variable" | "Next" | "Comment"))
        .expect("operator");
    if op == "IsPresent" {
        return Ok(choice::is_present(var_path.get(input)) == operand.as_bool().unwrap());
    }
    let v = choice::variable(&var_path, input)?;
    if let Some(kind) = op.strip_prefix("Is") {
        let is = match kind {
            "Null" => choice::is_null(v),
            "Numeric" => choice::is_numeric(v),
            "String" => choice::is_string(v),
            "Boolean" => choice::is_boolean(v),
            "Timestamp" => choice::is_timestamp(v),
            other => panic!("unknown Is{other}"),
        };
        return Ok(is == operand.as_bool().unwrap());
    }
    if op == "StringMatches" {
        return Ok(choice::string_matches(v, operand.as_str().unwrap()));
    }
    let (base, is_path) = match op.strip_suffix("Path") {
        Some(base) => (base, true),
        None => (op.as_str(), false),
    };
    let (family, cmp) = [
        ("GreaterThanEquals", Cmp::Ge),
        ("LessThanEquals", Cmp::Le),
        ("GreaterThan", Cmp::Gt),
        ("LessThan", Cmp::Lt),
        ("Equals", Cmp::Eq),
    ]
    .iter()
    .find_map(|(suffix, cmp)| base.strip_suffix(suffix).map(|f| (f, *cmp)))
    .unwrap_or_else(|| panic!("unknown operator {op}"));
    if is_path {
        let other = choice::operand(&reference_path(operand.as_str().unwrap()).unwrap(), input)?;
        return Ok(match family {
            "Numeric" => choice::numeric(v, cmp, other),
            "String" => choice::string(v, cmp, other),
            "Boolean" => choice::boolean(v, other),
            "Timestamp" => choice::timestamp(v, cmp, other),
            f => panic!("unknown family {f}"),
        });
    }
    Ok(match family {
        "Numeric" => choice::numeric_lit(v, cmp, operand.as_f64().unwrap()),
        "String" => choice::string_lit(v, cmp, operand.as_str().unwrap()),
        "Boolean" => choice::boolean_lit(v, operand.as_bool().unwrap()),
        // build-support parses a literal timestamp at compile time; a bad one there is a
        // compile error.
        "Timestamp" => choice::timestamp_lit(
            v,
            cmp,
            choice::parse_timestamp(operand.as_str().unwrap()).expect("literal timestamp"),
        ),
        f => panic!("unknown family {f}"),
    })
}

/// The next state of a Choice state, or the error AWS reports when there is none.
fn choose(state: &Value, input: &Value) -> Result<String, Error> {
    for r in state["Choices"].as_array().expect("Choices") {
        if rule(r, input)? {
            return Ok(r["Next"].as_str().unwrap().to_owned());
        }
    }
    state["Default"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(choice::no_choice_matched)
}

// ------------------------------------------------------------------ a tiny engine

#[derive(Debug)]
enum Outcome {
    Succeeded(Value),
    Failed(Error),
}

/// Runs Pass/Choice/Succeed/Fail states with the data-flow functions.
fn run(definition: &Value, input: Value) -> Outcome {
    let states = definition["States"].as_object().expect("States");
    let mut name = definition["StartAt"].as_str().unwrap().to_owned();
    let mut value = input;
    let mut event_id = 2u64;
    for _ in 0..1000 {
        let state = &states[&name];
        let step = (|| -> Result<Option<(Option<String>, Value)>, Error> {
            let next = state.get("Next").and_then(Value::as_str).map(str::to_owned);
            match state["Type"].as_str().unwrap() {
                "Pass" => {
                    let raw = value.clone();
                    let effective = dataflow::input_path(
                        &path_field(state.get("InputPath")),
                        value.clone(),
                        &Value::Null,
                    )?;
                    let result = match (state.get("Result"), state.get("Parameters")) {
                        (Some(r), _) => r.clone(),
                        (None, Some(p)) => template(p).eval(&Scope::input(&effective))?,
                        (None, None) => effective,
                    };
                    let rp = match state.get("ResultPath") {
                        None => ResultPathField::Absent,
                        Some(Value::Null) => ResultPathField::Null,
                        Some(Value::String(s)) => {
                            ResultPathField::Path(reference_path(s).expect("ResultPath"))
                        }
                        Some(other) => panic!("ResultPath {other}"),
                    };
                    let combined = dataflow::result_path(&rp, raw, result)?;
                    let out = dataflow::output_path(
                        &path_field(state.get("OutputPath")),
                        combined,
                        &Value::Null,
                    )?;
                    Ok(Some((next, out)))
                }
                "Choice" => {
                    let effective = dataflow::input_path(
                        &path_field(state.get("InputPath")),
                        value.clone(),
                        &Value::Null,
                    )?;
                    let next = choose(state, &effective)?;
                    let out = dataflow::output_path(
                        &path_field(state.get("OutputPath")),
                        value.clone(),
                        &Value::Null,
                    )?;
                    Ok(Some((Some(next), out)))
                }
                "Succeed" => {
                    let effective = dataflow::input_path(
                        &path_field(state.get("InputPath")),
                        value.clone(),
                        &Value::Null,
                    )?;
                    Ok(Some((
                        None,
                        dataflow::output_path(
                            &path_field(state.get("OutputPath")),
                            effective,
                            &Value::Null,
                        )?,
                    )))
                }
                "Fail" => {
                    let read = |field: &str, path_field: &str| -> Option<String> {
                        if let Some(s) = state.get(field).and_then(Value::as_str) {
                            return Some(s.to_owned());
                        }
                        let p = reference_path(state.get(path_field)?.as_str()?)?;
                        p.get(&value).and_then(Value::as_str).map(str::to_owned)
                    };
                    let error = read("Error", "ErrorPath");
                    let cause = read("Cause", "CausePath");
                    Err(Error {
                        error: Cow::Owned(error.unwrap_or_default()),
                        cause,
                    })
                }
                other => panic!("state type {other} is not run here"),
            }
        })();
        match step {
            Ok(Some((next, out))) => {
                if let Err(e) =
                    asl_runtime::limits::PayloadLimit::default().check_output(&name, &out)
                {
                    return Outcome::Failed(e);
                }
                match next {
                    Some(n) if state.get("End") != Some(&Value::Bool(true)) => {
                        name = n;
                        value = out;
                        event_id += 3;
                    }
                    _ => return Outcome::Succeeded(out),
                }
            }
            Ok(None) => unreachable!(),
            Err(e) => return Outcome::Failed(e.in_state(&name, event_id)),
        }
    }
    panic!("no end after 1000 transitions")
}

/// JSON equality after the corpus's placeholder rules (a `<...>` token matches any
/// string), numbers by value.
fn matches(expected: &Value, actual: &Value) -> bool {
    match (expected, actual) {
        (Value::String(e), _) if e.starts_with('<') && e.ends_with('>') => true,
        (Value::String(e), Value::String(a)) => e == a,
        (Value::Number(e), Value::Number(a)) => e.as_f64() == a.as_f64(),
        (Value::Array(e), Value::Array(a)) => {
            e.len() == a.len() && e.iter().zip(a).all(|(e, a)| matches(e, a))
        }
        (Value::Object(e), Value::Object(a)) => {
            e.len() == a.len()
                && e.iter()
                    .all(|(k, v)| a.get(k).is_some_and(|w| matches(v, w)))
        }
        _ => expected == actual,
    }
}

#[test]
fn choice_cases() {
    let Some(dir) = corpus_dir() else { return };
    let (mut passed, mut failed) = (0, 0);
    for (id, case) in cases(&dir, "choice") {
        let state = &case["definition"]["States"]["CheckValues"];
        let expected_next = case["expected"]["output"]["TestResult.$"]
            .as_str()
            .unwrap_or_default();
        let outcome = choose(state, &case["input"]);
        match outcome {
            Ok(next) if next == expected_next => passed += 1,
            other => {
                failed += 1;
                println!(
                    "FAIL {id}: rule {} on {} gave {other:?}, AWS: {expected_next}",
                    state["Choices"][0], case["input"]
                );
            }
        }
    }
    println!("choice: {passed} passed, {failed} failed");
    assert!(passed > 0, "no choice cases found");
    assert_eq!(failed, 0);
}

/// Cases this test's small engine can run: only Pass/Choice/Succeed/Fail, JSONPath,
/// no intrinsics, context object or variables.
fn runnable(case: &Value) -> bool {
    let features: Vec<&str> = case["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    case["query_language"] == "JSONPath"
        && !features.iter().any(|f| {
            f.starts_with("intrinsic:")
                || [
                    "Map",
                    "Parallel",
                    "Wait",
                    "Task",
                    "Assign",
                    "variables",
                    "jsonata_expression",
                    "QueryLanguage:mixed",
                    "Output",
                    "context_object",
                    "Catch",
                    "Retry",
                    "StateMachine:EXPRESS",
                ]
                .contains(f)
        })
}

#[test]
fn jsonpath_execution_cases() {
    let Some(dir) = corpus_dir() else { return };
    let (mut passed, mut failed) = (0, 0);
    for (id, case) in cases(&dir, "executions") {
        if !runnable(&case) {
            continue;
        }
        let expected = &case["expected"];
        let outcome = run(&case["definition"], case["input"].clone());
        let ok = match (&outcome, expected["status"].as_str()) {
            (Outcome::Succeeded(out), Some("SUCCEEDED")) => matches(&expected["output"], out),
            (Outcome::Failed(e), Some("FAILED")) => {
                let name_ok = expected
                    .get("error")
                    .and_then(Value::as_str)
                    .is_none_or(|n| n == e.name());
                let cause_ok = match expected.get("cause").and_then(Value::as_str) {
                    Some(c) => e.cause().is_some_and(|a| {
                        matches(&Value::String(c.to_owned()), &Value::String(a.to_owned()))
                            || a == c
                    }),
                    None => e.cause().is_none() || e.cause() == Some(""),
                };
                name_ok && cause_ok
            }
            _ => false,
        };
        if ok {
            passed += 1;
        } else {
            failed += 1;
            println!("FAIL {id}: got {outcome:?}, AWS: {expected}");
        }
    }
    println!(
        "jsonpath executions (Pass/Choice/Succeed/Fail subset): {passed} passed, {failed} failed"
    );
    assert!(passed > 0, "no runnable execution cases found");
    assert_eq!(failed, 0);
}

#[test]
fn no_choice_matched_without_default() {
    let state =
        serde_json::json!({"Choices": [{"Variable": "$.a", "NumericEquals": 1, "Next": "X"}]});
    let e = choose(&state, &serde_json::json!({"a": 2})).unwrap_err();
    // AWS reports a Choice without a match and without Default as States.Runtime.
    assert_eq!(e.name(), names::RUNTIME);
    assert_eq!(e.cause(), Some(choice::NO_NEXT_STATE_CAUSE));
    let e = choose(&state, &serde_json::json!({})).unwrap_err();
    assert_eq!(e.name(), names::RUNTIME);
    let _ = Map::<String, Value>::new();
}
