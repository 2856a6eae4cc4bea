//! The conformance runner: every `executions/` and `choice/` case of the shared
//! corpus, compiled by `build.rs` through asl-build, run on a paused clock and
//! compared with what AWS recorded, by the corpus README's rules (placeholders,
//! normalisation, `1 == 1.0`, `states_entered` exact or as a multiset).
//!
//! Prints one line per failing case and `conformance: N passed, M failed`; fails
//! on any failure not listed, with a reason, in
//! `tests/conformance/expected-failures.txt`, and on any listed case that now
//! passes (so the list only shrinks). Without a corpus it prints a skip, or
//! fails when `CI=true`.
//!
//! Then the project's own cases (`tests/conformance/cases/`, written from AWS's
//! documentation where the corpus is silent), which must all pass:
//! `conformance (own cases): N passed, M failed`.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::pin::Pin;

use asl::runtime::exec::{ExecutionError, ExecutionOptions, History, Runtime};
use serde_json::Value;

pub type RunFuture<'a> = Pin<Box<dyn Future<Output = Result<Value, ExecutionError>> + 'a>>;

pub struct Case {
    pub file: &'static str,
    pub run: Option<fn(&Runtime, Value, ExecutionOptions) -> RunFuture<'_>>,
    pub compile_error: Option<&'static str>,
}

include!(concat!(env!("OUT_DIR"), "/conformance_cases.rs"));

fn main() {
    // Every case runs on this paused clock.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("tokio runtime");
    let own_ok = run_own_cases(&rt);
    let Some(corpus) = CORPUS else {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            eprintln!("conformance: corpus missing (set ASL_CONFORMANCE_DIR) and CI=true");
            std::process::exit(1);
        }
        println!(
            "conformance: skipped, no corpus (set ASL_CONFORMANCE_DIR or place it at ../shared/conformance)"
        );
        if !own_ok {
            std::process::exit(1);
        }
        return;
    };
    let expected_failures = load_expected_failures();
    let filter: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let (mut passed, mut failed, mut status_only) = (0usize, 0usize, 0usize);
    let mut unexpected = Vec::new();
    let mut fixed = Vec::new();
    for case in CASES {
        let name = case.file.rsplit('/').next().unwrap_or(case.file);
        if filter.as_deref().is_some_and(|f| !name.contains(f)) {
            continue;
        }
        let outcome = rt.block_on(run_case(case));
        let listed = expected_failures.get(name);
        match outcome {
            Ok(()) => {
                passed += 1;
                if listed.is_some() {
                    fixed.push(name.to_string());
                }
            }
            Err(failure) => {
                failed += 1;
                if failure.status_and_error_agree {
                    status_only += 1;
                }
                let reason = failure.reason.replace('\n', "\n      ");
                println!("FAIL {name}: {reason}");
                if listed.is_none() {
                    unexpected.push(name.to_string());
                }
            }
        }
    }
    println!(
        "conformance ({corpus}): status and error name agree but output/cause differ in {status_only} of the failures"
    );
    println!("conformance: {passed} passed, {failed} failed");
    let mut bad = false;
    if !unexpected.is_empty() {
        println!(
            "{} failing case(s) not listed in tests/conformance/expected-failures.txt:",
            unexpected.len()
        );
        for u in &unexpected {
            println!("  {u}");
        }
        bad = true;
    }
    if !fixed.is_empty() && filter.is_none() {
        println!(
            "{} listed case(s) now pass; remove them from tests/conformance/expected-failures.txt:",
            fixed.len()
        );
        for f in &fixed {
            println!("  {f}");
        }
        bad = true;
    }
    if bad || !own_ok {
        std::process::exit(1);
    }
}

/// The project's own cases: every one must pass.
fn run_own_cases(rt: &tokio::runtime::Runtime) -> bool {
    let (mut passed, mut failed) = (0usize, 0usize);
    for case in OWN_CASES {
        let name = case.file.rsplit('/').next().unwrap_or(case.file);
        match rt.block_on(run_case(case)) {
            Ok(()) => passed += 1,
            Err(failure) => {
                failed += 1;
                println!(
                    "FAIL (own case) {name}: {}",
                    failure.reason.replace('\n', "\n      ")
                );
            }
        }
    }
    println!("conformance (own cases): {passed} passed, {failed} failed");
    failed == 0
}

/// `file-name.json  # reason` per line; `#` lines and blank lines ignored. A
/// line without a reason is rejected: every listed failure says why.
fn load_expected_failures() -> HashMap<String, String> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/conformance/expected-failures.txt"
    );
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let mut map = HashMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (name, reason) = line.split_once('#').unwrap_or((line, ""));
        assert!(
            !reason.trim().is_empty(),
            "expected-failures.txt: `{line}` gives no reason"
        );
        map.insert(name.trim().to_string(), reason.trim().to_string());
    }
    map
}

struct Failure {
    reason: String,
    status_and_error_agree: bool,
}

fn fail(reason: impl Into<String>) -> Failure {
    Failure {
        reason: reason.into(),
        status_and_error_agree: false,
    }
}

async fn run_case(case: &Case) -> Result<(), Failure> {
    let text =
        std::fs::read_to_string(case.file).map_err(|e| fail(format!("cannot read case: {e}")))?;
    let spec: Value =
        serde_json::from_str(&text).map_err(|e| fail(format!("invalid case JSON: {e}")))?;
    let Some(run) = case.run else {
        let first = case
            .compile_error
            .unwrap_or("")
            .lines()
            .next()
            .unwrap_or("")
            .to_string();
        return Err(fail(format!("does not compile: {first}")));
    };
    let runtime = Runtime::builder().account("111111111111").build();
    let (history, events) = History::memory();
    let input = spec
        .get("input")
        .cloned()
        .unwrap_or_else(|| Value::Object(Default::default()));
    let express = spec["features"]
        .as_array()
        .is_some_and(|f| f.iter().any(|x| x == "StateMachine:EXPRESS"));
    let options = ExecutionOptions::default()
        .history(history)
        .express(express);
    let result = run(&runtime, input, options).await;
    let expected = &spec["expected"];
    let mut placeholders: Vec<String> = ["111111111111", "snf_role_arn", "sfn_role_arn"]
        .map(String::from)
        .to_vec();
    // `placeholders` maps each token to what it stands for (a list is accepted too).
    match spec.get("placeholders") {
        Some(Value::Object(map)) => placeholders.extend(map.keys().cloned()),
        Some(Value::Array(list)) => {
            placeholders.extend(list.iter().filter_map(|p| p.as_str().map(String::from)))
        }
        _ => {}
    }
    let mut bindings = BTreeMap::new();
    let status = if result.is_ok() {
        "SUCCEEDED"
    } else {
        "FAILED"
    };
    if expected["status"] != status {
        let got = match &result {
            Ok(v) => format!("output {v}"),
            Err(e) => format!("error {:?} cause {:?}", e.error(), e.cause()),
        };
        return Err(fail(format!(
            "status {status}, expected {} ({got})",
            expected["status"]
        )));
    }
    match &result {
        Ok(output) => {
            let actual = normalise(output.clone(), spec.get("normalise"));
            if !matches(&expected["output"], &actual, &placeholders, &mut bindings) {
                return Err(Failure {
                    reason: format!("output {actual}\n expected {}", expected["output"]),
                    status_and_error_agree: true,
                });
            }
        }
        Err(e) => {
            let error = e.error().map(replace_dates);
            let cause = e.cause().map(replace_dates);
            let error_ok = match expected.get("error") {
                Some(Value::String(x)) => error
                    .as_deref()
                    .is_some_and(|a| match_str(x, a, &placeholders, &mut bindings)),
                _ => error.is_none(),
            };
            if !error_ok {
                return Err(fail(format!(
                    "error {error:?}, expected {:?}",
                    expected.get("error")
                )));
            }
            let cause_ok = match expected.get("cause") {
                Some(Value::String(x)) => cause
                    .as_deref()
                    .is_some_and(|a| match_str(x, a, &placeholders, &mut bindings)),
                _ => cause.as_deref().is_none_or(str::is_empty),
            };
            if !cause_ok {
                return Err(Failure {
                    reason: format!("cause {cause:?}\n expected {:?}", expected.get("cause")),
                    status_and_error_agree: true,
                });
            }
        }
    }
    if let Some(Value::Array(want)) = spec.get("states_entered") {
        let got: Vec<String> = events
            .lock()
            .unwrap()
            .iter()
            .filter(|e| e.event_type.is_state_entered())
            .filter_map(|e| e.state_name.clone())
            .collect();
        let mut want: Vec<String> = want
            .iter()
            .filter_map(|v| v.as_str().map(String::from))
            .collect();
        let mut got_cmp = got.clone();
        if spec.get("states_entered_order").and_then(Value::as_str) == Some("multiset") {
            want.sort();
            got_cmp.sort();
        }
        if want != got_cmp {
            return Err(Failure {
                reason: format!("states entered {got:?}\n expected {want:?}"),
                status_and_error_agree: true,
            });
        }
    }
    Ok(())
}

/// The recorder's normalisation of an actual output (README, "Comparing").
fn normalise(output: Value, rules: Option<&Value>) -> Value {
    let mut value = output;
    if value.is_object() {
        timestamp_members(&mut value);
        if let Some(Value::Array(rules)) = rules {
            for rule in rules {
                if let (Some(key), Some(replacement)) =
                    (rule["key"].as_str(), rule.get("replacement"))
                {
                    replace_member(&mut value, key, replacement);
                }
            }
        }
    }
    let text = replace_dates(&value.to_string());
    serde_json::from_str(&text).unwrap_or(value)
}

fn timestamp_members(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                let named = k.to_ascii_lowercase().contains("timestamp")
                    || k == "creationTime"
                    || k == "ingestionTime";
                let iso = v
                    .as_str()
                    .is_some_and(|s| iso_prefix_len(s.as_bytes()).is_some());
                if named && !iso {
                    *v = Value::String("timestamp".into());
                } else {
                    timestamp_members(v);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(timestamp_members),
        _ => {}
    }
}

fn replace_member(value: &mut Value, key: &str, replacement: &Value) {
    match value {
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                if k == key {
                    *v = replacement.clone();
                } else {
                    replace_member(v, key, replacement);
                }
            }
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|v| replace_member(v, key, replacement)),
        _ => {}
    }
}

/// Replaces every ISO-8601 date-time with a time zone by `date`
/// (`2024-01-02T03:04:05.678Z`, `...+00:00`).
fn replace_dates(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        if let Some(len) = iso_prefix_len(&bytes[i..]) {
            out.push_str("date");
            i += len;
        } else {
            let ch = text[i..].chars().next().unwrap_or(' ');
            out.push(ch);
            i += ch.len_utf8();
        }
    }
    out
}

/// Length of an ISO-8601 date-time with zone at the start of `b`, if any.
fn iso_prefix_len(b: &[u8]) -> Option<usize> {
    let digits = |from: usize, n: usize| {
        b.len() >= from + n && b[from..from + n].iter().all(u8::is_ascii_digit)
    };
    // Two digits at `from` within `lo..=hi` (the recorder's pattern checks ranges).
    let field = |from: usize, lo: u8, hi: u8| {
        digits(from, 2)
            && ((b[from] - b'0') * 10 + (b[from + 1] - b'0')).clamp(lo, hi)
                == (b[from] - b'0') * 10 + (b[from + 1] - b'0')
    };
    if !(digits(0, 4)
        && b.get(4) == Some(&b'-')
        && field(5, 1, 12)
        && b.get(7) == Some(&b'-')
        && field(8, 1, 31))
    {
        return None;
    }
    if !(b.get(10) == Some(&b'T')
        && field(11, 0, 23)
        && b.get(13) == Some(&b':')
        && field(14, 0, 59))
    {
        return None;
    }
    let mut i = 16;
    if b.get(i) == Some(&b':') && field(i + 1, 0, 60) {
        i += 3;
    }
    if b.get(i) == Some(&b'.') {
        let start = i + 1;
        i = start;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start {
            return None;
        }
    }
    match b.get(i) {
        Some(b'Z') => Some(i + 1),
        Some(b'+' | b'-') if digits(i + 1, 2) => {
            if b.get(i + 3) == Some(&b':') && digits(i + 4, 2) {
                Some(i + 6)
            } else if digits(i + 3, 2) {
                Some(i + 5)
            } else {
                Some(i + 3)
            }
        }
        _ => None,
    }
}

/// JSON equality with placeholders: objects by key set, arrays in order, numbers
/// by value, strings exactly except for tokens.
fn matches(
    expected: &Value,
    actual: &Value,
    placeholders: &[String],
    bindings: &mut BTreeMap<String, String>,
) -> bool {
    match (expected, actual) {
        (Value::String(x), Value::String(a)) => match_str(x, a, placeholders, bindings),
        // A string that is one token may stand for a non-string value.
        (Value::String(x), other) if is_single_token(x, placeholders) => {
            let text = other.to_string();
            bind(x, &text, bindings)
        }
        (Value::Number(x), Value::Number(a)) => match (x.as_i64(), a.as_i64()) {
            (Some(x), Some(a)) => x == a,
            _ => x.as_f64() == a.as_f64(),
        },
        (Value::Array(x), Value::Array(a)) => {
            x.len() == a.len()
                && x.iter()
                    .zip(a)
                    .all(|(x, a)| matches(x, a, placeholders, bindings))
        }
        (Value::Object(x), Value::Object(a)) => {
            x.len() == a.len()
                && x.iter().all(|(k, v)| {
                    a.get(k)
                        .is_some_and(|av| matches(v, av, placeholders, bindings))
                })
        }
        (x, a) => x == a,
    }
}

fn bind(token: &str, value: &str, bindings: &mut BTreeMap<String, String>) -> bool {
    match bindings.get(token) {
        Some(bound) => bound == value,
        None => {
            bindings.insert(token.to_string(), value.to_string());
            true
        }
    }
}

#[derive(Debug)]
enum Piece<'a> {
    Text(&'a str),
    Token(&'a str),
}

/// Splits an expected string into literal text and placeholder tokens.
fn pieces<'a>(x: &'a str, placeholders: &[String]) -> Vec<Piece<'a>> {
    let mut out = Vec::new();
    let mut rest = x;
    let mut text_start = 0;
    let mut i = 0;
    while i < rest.len() {
        let tail = &rest[i..];
        let token_len = if tail.starts_with('<') {
            tail.find('>')
                .filter(|&end| end > 1 && !tail[1..end].contains(['<', ' ', '"']))
                .map(|end| end + 1)
        } else {
            None
        }
        .or_else(|| {
            placeholders
                .iter()
                .filter(|p| tail.starts_with(p.as_str()))
                .map(String::len)
                .max()
        });
        match token_len {
            Some(len) => {
                if i > text_start {
                    out.push(Piece::Text(&rest[text_start..i]));
                }
                out.push(Piece::Token(&rest[i..i + len]));
                rest = &rest[i + len..];
                i = 0;
                text_start = 0;
            }
            None => i += tail.chars().next().map_or(1, char::len_utf8),
        }
    }
    if text_start < rest.len() {
        out.push(Piece::Text(&rest[text_start..]));
    }
    out
}

fn is_single_token(x: &str, placeholders: &[String]) -> bool {
    matches!(pieces(x, placeholders).as_slice(), [Piece::Token(_)])
}

fn match_str(
    x: &str,
    a: &str,
    placeholders: &[String],
    bindings: &mut BTreeMap<String, String>,
) -> bool {
    let pieces = pieces(x, placeholders);
    match_pieces(&pieces, a, bindings)
}

/// Backtracking match: each token takes a non-empty substring; equal tokens
/// must take equal substrings.
fn match_pieces(pieces: &[Piece<'_>], a: &str, bindings: &mut BTreeMap<String, String>) -> bool {
    match pieces.split_first() {
        None => a.is_empty(),
        Some((Piece::Text(t), rest)) => a
            .strip_prefix(t)
            .is_some_and(|a| match_pieces(rest, a, bindings)),
        Some((Piece::Token(token), rest)) => {
            if let Some(bound) = bindings.get(*token).cloned() {
                return a
                    .strip_prefix(bound.as_str())
                    .is_some_and(|a| match_pieces(rest, a, bindings));
            }
            let ends: Vec<usize> = a.char_indices().map(|(i, c)| i + c.len_utf8()).collect();
            for end in ends {
                let mut attempt = bindings.clone();
                attempt.insert(token.to_string(), a[..end].to_string());
                if match_pieces(rest, &a[end..], &mut attempt) {
                    *bindings = attempt;
                    return true;
                }
            }
            false
        }
    }
}
