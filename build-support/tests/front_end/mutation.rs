//! Mutation test: the checker never panics and always locates its errors.
//!
//! In: the reference definitions and the conformance corpus's definitions (when
//! present; otherwise a few built-in ones), mutated with a fixed-seed generator:
//! a member dropped, a value retyped, the text cut at many points, bytes
//! replaced. Out: for every mutant, `load` returns (no panic), each diagnostic's
//! line:column lies inside the text, its pointer is empty or starts with `/`, and
//! rendering works. Also a 10 MB definition and 100k-deep nesting.

use std::path::PathBuf;

use serde_json::Value;

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

const BUILT_IN: &[&str] = &[
    r#"{"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "arn:aws:states:::eks:call", "Parameters": {"ClusterName": "c", "CertificateAuthority.$": "$.ca", "Endpoint": "https://e", "Method": "GET", "Path": "/"}, "Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 2}], "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "F"}], "Next": "C"}, "C": {"Type": "Choice", "Choices": [{"And": [{"Variable": "$.a", "NumericGreaterThan": 1}, {"Not": {"Variable": "$.b", "IsPresent": true}}], "Next": "M"}], "Default": "F"}, "M": {"Type": "Map", "ItemsPath": "$.items", "ItemSelector": {"v.$": "$$.Map.Item.Value"}, "ItemProcessor": {"StartAt": "W", "States": {"W": {"Type": "Wait", "SecondsPath": "$.s", "End": true}}}, "Next": "P"}, "P": {"Type": "Parallel", "Branches": [{"StartAt": "X", "States": {"X": {"Type": "Pass", "Parameters": {"f.$": "States.Format('{}', $.a)"}, "End": true}}}], "End": true}, "F": {"Type": "Fail", "ErrorPath": "$.e", "Cause": "c"}}}"#,
    r#"{"QueryLanguage": "JSONata", "StartAt": "A", "States": {"A": {"Type": "Pass", "Output": {"x": "{% $states.input.a %}"}, "Assign": {"v": "{% 1 %}"}, "Next": "C"}, "C": {"Type": "Choice", "Choices": [{"Condition": "{% $v = 1 %}", "Next": "S"}], "Default": "S"}, "S": {"Type": "Succeed"}}}"#,
];

fn sources() -> Vec<String> {
    let mut out: Vec<String> = BUILT_IN.iter().map(|s| s.to_string()).collect();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared");
    if let Ok(entries) = std::fs::read_dir(root.join("reference/examples")) {
        for e in entries.flatten() {
            out.extend(std::fs::read_to_string(e.path()));
        }
    }
    let corpus = std::env::var_os("ASL_CONFORMANCE_DIR")
        .map(PathBuf::from)
        .unwrap_or(root.join("conformance"));
    for kind in ["validation", "executions"] {
        let Ok(entries) = std::fs::read_dir(corpus.join(kind)) else {
            continue;
        };
        let mut files: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        files.sort();
        // Every 4th file keeps the run short while covering every feature family.
        for f in files.iter().step_by(4) {
            let Ok(case) = serde_json::from_str::<Value>(&std::fs::read_to_string(f).unwrap())
            else {
                continue;
            };
            match case.get("definition_text").and_then(Value::as_str) {
                Some(t) => out.push(t.to_string()),
                None => out.push(serde_json::to_string_pretty(&case["definition"]).unwrap()),
            }
        }
    }
    out
}

/// Loads `bytes` and checks every diagnostic is located inside the text.
fn check_located(bytes: &[u8], what: &str) {
    let result = std::panic::catch_unwind(|| asl_build::load(bytes, "mutant.json"));
    let Ok(result) = result else {
        panic!(
            "load panicked on {what}:\n{}",
            String::from_utf8_lossy(bytes)
        );
    };
    let Err(diags) = result else { return };
    assert!(!diags.is_empty(), "{what}: an error without diagnostics");
    let text = String::from_utf8_lossy(bytes);
    let lines = text.split('\n').count() as u32;
    for d in diags.iter() {
        let o = &d.origin;
        assert!(
            o.line >= 1 && o.line <= lines,
            "{what}: line {} outside 1..={lines}: {d:?}",
            o.line
        );
        assert!(o.column >= 1, "{what}: column 0: {d:?}");
        assert!(
            o.start <= bytes.len() && o.end <= bytes.len().max(o.start),
            "{what}: range outside the text: {d:?}"
        );
        assert!(
            o.pointer.is_empty() || o.pointer.starts_with('/'),
            "{what}: bad pointer: {d:?}"
        );
        assert!(!d.message.is_empty());
        let rendered = diags.render(d);
        assert!(
            rendered.contains(&format!("mutant.json:{}:{}", o.line, o.column)),
            "{rendered}"
        );
    }
}

/// Every object member / array element of `v`, as a path of keys and indexes.
fn positions(v: &Value, path: &mut Vec<PathStep>, out: &mut Vec<Vec<PathStep>>) {
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                path.push(PathStep::Key(k.clone()));
                out.push(path.clone());
                positions(child, path, out);
                path.pop();
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                path.push(PathStep::Index(i));
                out.push(path.clone());
                positions(child, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

#[derive(Clone)]
enum PathStep {
    Key(String),
    Index(usize),
}

fn parent_mut<'a>(v: &'a mut Value, path: &[PathStep]) -> Option<&'a mut Value> {
    let mut cur = v;
    for step in path {
        cur = match step {
            PathStep::Key(k) => cur.get_mut(k.as_str())?,
            PathStep::Index(i) => cur.get_mut(*i)?,
        };
    }
    Some(cur)
}

fn retyped(v: &Value, rng: &mut Rng) -> Value {
    let options = [
        Value::Null,
        Value::Bool(true),
        serde_json::json!(-1),
        serde_json::json!(1.5),
        serde_json::json!(""),
        serde_json::json!("$.x"),
        serde_json::json!("States.Nope("),
        serde_json::json!("{% %}"),
        serde_json::json!([]),
        serde_json::json!({}),
        serde_json::json!([1, "a"]),
    ];
    loop {
        let candidate = options[rng.below(options.len())].clone();
        if candidate != *v {
            return candidate;
        }
    }
}

#[test]
fn mutants_never_panic_and_are_located() {
    let mut rng = Rng(0x0005_EED0_A510_u64);
    let sources = sources();
    let mut mutants = 0usize;
    for (n, src) in sources.iter().enumerate() {
        let bytes = src.as_bytes();
        check_located(bytes, &format!("source {n}"));
        // Cut the text at many points (not only at character boundaries).
        for _ in 0..12 {
            let cut = rng.below(bytes.len() + 1);
            check_located(&bytes[..cut], &format!("source {n} cut at {cut}"));
            mutants += 1;
        }
        // Replace a byte with one that often breaks JSON, UTF-8 or a path.
        for _ in 0..6 {
            let mut b = bytes.to_vec();
            if b.is_empty() {
                break;
            }
            let at = rng.below(b.len());
            b[at] = [b'"', b'{', b']', b',', 0xFF, b'\\', b'$', 0][rng.below(8)];
            check_located(&b, &format!("source {n} byte {at} replaced"));
            mutants += 1;
        }
        let Ok(value) = serde_json::from_str::<Value>(src) else {
            continue;
        };
        let mut all = Vec::new();
        positions(&value, &mut Vec::new(), &mut all);
        if all.is_empty() {
            continue;
        }
        for _ in 0..10 {
            let target = &all[rng.below(all.len())];
            let mut v = value.clone();
            let (last, parent) = target.split_last().unwrap();
            let drop = rng.below(2) == 0;
            if let Some(p) = parent_mut(&mut v, parent) {
                match (last, p, drop) {
                    (PathStep::Key(k), Value::Object(m), true) => {
                        m.shift_remove(k);
                    }
                    (PathStep::Index(i), Value::Array(items), true) if *i < items.len() => {
                        items.remove(*i);
                    }
                    (PathStep::Key(k), Value::Object(m), false) => {
                        let new = retyped(&m[k], &mut rng);
                        m[k] = new;
                    }
                    (PathStep::Index(i), Value::Array(items), false) if *i < items.len() => {
                        let new = retyped(&items[*i], &mut rng);
                        items[*i] = new;
                    }
                    _ => continue,
                }
            }
            let text = serde_json::to_string_pretty(&v).unwrap();
            check_located(
                text.as_bytes(),
                &format!("source {n} {} mutant", if drop { "drop" } else { "retype" }),
            );
            mutants += 1;
        }
    }
    println!("{mutants} mutants of {} sources checked", sources.len());
    assert!(mutants > 100);
}

#[test]
fn huge_definition_loads() {
    // About 10 MB: a Pass state with a large literal Result, and many states.
    let mut states = Vec::new();
    let blob = "x".repeat(1000);
    for i in 0..10_000 {
        let next = if i + 1 < 10_000 {
            format!(r#""Next": "S{}""#, i + 1)
        } else {
            r#""End": true"#.to_string()
        };
        states.push(format!(
            r#""S{i}": {{"Type": "Pass", "Result": {{"data": "{blob}"}}, {next}}}"#
        ));
    }
    let src = format!(
        r#"{{"StartAt": "S0", "States": {{{}}}}}"#,
        states.join(",\n")
    );
    assert!(src.len() > 10_000_000);
    let machine = asl_build::load(src.as_bytes(), "huge.json").unwrap();
    assert_eq!(machine.states.len(), 10_000);
    // The same with one broken transition is rejected at the right line.
    let broken = src.replace(r#""Next": "S5000""#, r#""Next": "Nowhere""#);
    let err = asl_build::load(broken.as_bytes(), "huge.json").unwrap_err();
    let d = err
        .iter()
        .find(|d| d.rule == "asl::unknown-next-state")
        .unwrap();
    assert_eq!(d.origin.line, 5000);
}

/// Just under the depth limit, every stage (parser, templates, conditions,
/// checks) recurses without overflowing a test thread's stack.
#[test]
fn deepest_accepted_nesting_loads() {
    let depth = asl_build::json::MAX_DEPTH - 8;
    let template = format!(
        "{}{}",
        r#"{"a": "#.repeat(depth),
        "1".to_string() + &"}".repeat(depth)
    );
    let src = format!(
        r#"{{"StartAt": "A", "States": {{"A": {{"Type": "Pass", "Parameters": {template}, "End": true}}}}}}"#
    );
    asl_build::load(src.as_bytes(), "deep.json").unwrap_or_else(|d| panic!("{d}"));
    let condition = format!(
        "{}{}{}",
        r#"{"Not": "#.repeat(depth - 8),
        r#"{"Variable": "$.x", "IsNull": true}"#,
        "}".repeat(depth - 8)
    );
    let src = format!(
        r#"{{"StartAt": "C", "States": {{"C": {{"Type": "Choice", "Choices": [{{"Not": {condition}, "Next": "S"}}], "Default": "S"}}, "S": {{"Type": "Succeed"}}}}}}"#
    );
    asl_build::load(src.as_bytes(), "deep.json").unwrap_or_else(|d| panic!("{d}"));
}

#[test]
fn deep_nesting_everywhere_is_capped() {
    for open in [
        "[",
        "{\"a\":",
        "{\"StartAt\": \"A\", \"States\": {\"A\": {\"Type\": \"Pass\", \"Result\": ",
    ] {
        let src = open.repeat(100_000);
        check_located(src.as_bytes(), "deep nesting");
    }
}
