//! JSONata's official test suite (`$ASL_JSONATA_SUITE_DIR`, default
//! `../shared/jsonata-test-suite` beside the workspace), run through the
//! evaluator generated code uses ([`asl_runtime::jsonata::JsonataExpr`]), with
//! each case's data as the context item `$` (which Step Functions itself never
//! binds) and its `bindings` as variables.
//!
//! Prints `jsonata-suite: N passed, M failed, K skipped, U unstable` and every
//! failure with why. A case whose wrong value might come from randomness
//! (`$random`, `$shuffle`, `$now`) is run again up to twelve times when its
//! first outcome disagrees with the list, and counted as unstable when the
//! runs disagree (none is today). Fails on a failure not listed in `tests/jsonata-suite-expected-failures.txt`
//! (each listed with its reason) and on a listed case that passes, so the list
//! only shrinks. A skipped group names the Step Functions documentation that
//! says the feature is not offered. A missing suite fails under `CI=true`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use asl_runtime::jsonata::{Failure, JsonataExpr, JsonataScope};
use serde_json::{Map, Value};

/// Groups Step Functions does not offer, and where it says so.
const SKIPPED_GROUPS: &[(&str, &str)] = &[
    (
        "function-eval",
        "Step Functions' \"Transforming data with JSONata\": `$eval` is not supported",
    ),
    (
        "coalescing-operator",
        "`??` is a JSONata 2.1 addition; Step Functions implements JSONata 2.0.6 (\"Transforming data with JSONata\"), and asl refuses it as AWS does",
    ),
    (
        "default-operator",
        "`?:` is a JSONata 2.1 addition; Step Functions implements JSONata 2.0.6 (\"Transforming data with JSONata\"), and asl refuses it as AWS does",
    ),
];

fn suite_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("ASL_JSONATA_SUITE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/jsonata-test-suite")
        });
    if dir.join("groups").is_dir() {
        return Some(dir);
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        eprintln!(
            "jsonata-suite: not found at {} (CI=true: this is a failure)",
            dir.display()
        );
        std::process::exit(1);
    }
    println!("jsonata-suite: skipped, not found at {}", dir.display());
    None
}

/// One case: its id (`group/caseNNN` or `group/caseNNN#i`) and its JSON.
fn cases(dir: &Path) -> Vec<(String, PathBuf, Value)> {
    let mut out = Vec::new();
    let mut groups: Vec<PathBuf> = std::fs::read_dir(dir.join("groups"))
        .expect("groups/")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    groups.sort();
    for group in groups {
        let name = group.file_name().unwrap().to_string_lossy().into_owned();
        let mut files: Vec<PathBuf> = std::fs::read_dir(&group)
            .expect("group")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        for file in files {
            let stem = file.file_stem().unwrap().to_string_lossy().into_owned();
            // A case file JSON allows but Rust strings cannot hold (a lone
            // UTF-16 surrogate) becomes a case that fails with that reason.
            let value: Value = match serde_json::from_slice(&std::fs::read(&file).unwrap()) {
                Ok(v) => v,
                Err(e) => serde_json::json!({"unreadable": e.to_string()}),
            };
            match value {
                Value::Array(items) => {
                    for (i, item) in items.into_iter().enumerate() {
                        out.push((format!("{name}/{stem}#{i}"), group.clone(), item));
                    }
                }
                other => out.push((format!("{name}/{stem}"), group.clone(), other)),
            }
        }
    }
    out
}

/// Numbers equal as JSONata's (JavaScript's) doubles.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (
                x.as_f64().unwrap_or(f64::NAN),
                y.as_f64().unwrap_or(f64::NAN),
            );
            x == y || (x - y).abs() <= 1e-12 * x.abs().max(y.abs())
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

/// Runs one case: `Ok(())` or why it failed.
fn run(dir: &Path, group: &Path, case: &Value) -> Result<(), String> {
    if let Some(Value::String(why)) = case.get("unreadable") {
        return Err(format!("the case file cannot be read as UTF-8 JSON: {why}"));
    }
    let expr = match (case.get("expr"), case.get("expr-file")) {
        (Some(Value::String(e)), _) => e.clone(),
        (_, Some(Value::String(f))) => {
            std::fs::read_to_string(group.join(f)).map_err(|e| format!("cannot read {f}: {e}"))?
        }
        _ => return Err("the case has no expression".into()),
    };
    let data = match (case.get("data"), case.get("dataset")) {
        (Some(d), _) => Some(d.clone()),
        (None, Some(Value::String(name))) => Some(
            serde_json::from_slice(
                &std::fs::read(dir.join("datasets").join(format!("{name}.json")))
                    .map_err(|e| format!("dataset {name}: {e}"))?,
            )
            .map_err(|e| format!("dataset {name}: {e}"))?,
        ),
        _ => None,
    };
    let bindings: Map<String, Value> = case
        .get("bindings")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let null = Value::Null;
    let mut scope = JsonataScope::new(&null, &null).with_variables(&bindings);
    if let Some(d) = &data {
        scope = scope.with_context_item(d);
    }
    let got = JsonataExpr::owned(expr.trim()).evaluate(&scope);
    // The expected error code: `code`, or `error.code` in newer cases.
    let code = case
        .get("code")
        .or_else(|| case.get("error").and_then(|e| e.get("code")));
    match (code, case.get("result"), &got) {
        (Some(code), _, Err(Failure::Threw { code: c, .. })) if code == c.as_str() => Ok(()),
        (Some(code), _, Err(Failure::Threw { code: c, message })) => {
            Err(format!("threw {c} ({message}) instead of {code}"))
        }
        (Some(code), _, other) => Err(format!("expected error {code}, got {other:?}")),
        (None, Some(expected), Ok(Some(v))) if same(expected, v) => Ok(()),
        (None, Some(expected), Ok(Some(v))) => Err(format!("result {v} instead of {expected}")),
        (None, Some(expected), Ok(None)) => Err(format!("undefined instead of {expected}")),
        (None, None, Ok(None)) => Ok(()),
        (None, None, Ok(Some(v))) => Err(format!("result {v} instead of undefined")),
        (None, _, Err(Failure::Threw { code, message })) => Err(format!("threw {code}: {message}")),
        (None, _, Err(Failure::UnsupportedResult)) => Err("a function as the result".into()),
    }
}

/// `group/case  # reason` per line (two spaces before the `#`).
fn expected_failures() -> BTreeMap<String, String> {
    let text = include_str!("jsonata-suite-expected-failures.txt");
    let mut out = BTreeMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        // Ids of cases in an array file hold `#` (`group/case001#2`): the
        // reason follows `  # `.
        let (id, reason) = line
            .split_once("  # ")
            .map(|(a, b)| (a.trim(), b.trim()))
            .unwrap_or((line, ""));
        assert!(
            !reason.is_empty(),
            "jsonata-suite-expected-failures.txt: `{line}` gives no reason"
        );
        out.insert(id.to_string(), reason.to_string());
    }
    out
}

fn main() {
    let Some(dir) = suite_dir() else { return };
    let listed = expected_failures();
    let (mut passed, mut failed, mut skipped, mut unstable) = (0usize, 0usize, 0usize, 0usize);
    // Cases whose expression lies in the native subset (`jsonata::compiled`).
    let mut native = 0usize;
    let mut unexpected = Vec::new();
    let mut fixed = Vec::new();
    let mut by_group: BTreeMap<String, usize> = BTreeMap::new();
    for (id, group, case) in cases(&dir) {
        let group_name = id.split('/').next().unwrap_or("").to_string();
        if SKIPPED_GROUPS.iter().any(|(g, _)| *g == group_name) {
            skipped += 1;
            continue;
        }
        if case
            .get("expr")
            .and_then(Value::as_str)
            .is_some_and(|e| JsonataExpr::owned(e.trim()).is_native())
        {
            native += 1;
        }
        let first = run(&dir, &group, &case);
        // Only a wrong value (not an error code or a time limit) can come
        // from randomness: run such a case again before trusting it.
        let doubtful = match &first {
            Ok(()) => listed.contains_key(&id),
            Err(why) => why.starts_with("result "),
        };
        if doubtful && (0..12).any(|_| run(&dir, &group, &case).is_ok() != first.is_ok()) {
            unstable += 1;
            println!("UNSTABLE {id}: the outcome changes from run to run");
            continue;
        }
        match first {
            Ok(()) => {
                passed += 1;
                if listed.contains_key(&id) {
                    fixed.push(id);
                }
            }
            Err(why) => {
                failed += 1;
                *by_group.entry(group_name).or_insert(0) += 1;
                if !listed.contains_key(&id) {
                    println!("FAIL {id}: {why}");
                    unexpected.push(id);
                }
            }
        }
    }
    for (group, why) in SKIPPED_GROUPS {
        println!("jsonata-suite: skipped group {group}: {why}");
    }
    println!("jsonata-suite: failures by group: {by_group:?}");
    println!(
        "jsonata-suite: {passed} passed, {failed} failed, {skipped} skipped, {unstable} unstable"
    );
    println!(
        "jsonata-suite: {native} cases ran natively (the rest read the context item `$` or use constructs past the native subset)"
    );
    let mut bad = false;
    if !unexpected.is_empty() {
        println!(
            "{} failing case(s) not listed in tests/jsonata-suite-expected-failures.txt",
            unexpected.len()
        );
        bad = true;
    }
    if !fixed.is_empty() {
        println!(
            "listed case(s) now pass; remove them from tests/jsonata-suite-expected-failures.txt:"
        );
        for f in &fixed {
            println!("  {f}");
        }
        bad = true;
    }
    if bad {
        std::process::exit(1);
    }
}
