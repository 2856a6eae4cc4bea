//! `asl check` and `asl!` accept and refuse the same definitions, with the same
//! rule names: every definition of the conformance corpus (executions, choice,
//! validation), the reference examples, this repository's examples and test
//! workflows goes through the checker (the library call `asl check` makes, and
//! the `asl` binary itself for the files on disk) and through code generation
//! (what `asl!` runs), both with no resource declared and with every Task
//! resource declared.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use asl_build::CheckOptions;
use asl_build::codegen::{self, Options};
use serde_json::Value;

/// Rule names of a refusal, or `None` for acceptance.
type Verdict = Option<BTreeSet<&'static str>>;

fn checker(source: &[u8], resources: &[String]) -> Verdict {
    let options = CheckOptions::declaring(resources.iter().cloned());
    asl_build::load_with(source, "d.asl.json", &options)
        .err()
        .map(|d| d.iter().map(|x| x.rule.name()).collect())
}

fn macro_path(source: &[u8], resources: &[String]) -> Verdict {
    let options = Options {
        resources: resources.to_vec(),
        ..Options::default()
    };
    codegen::compile(source, "d.asl.json", &options)
        .err()
        .map(|d| d.iter().map(|x| x.rule.name()).collect())
}

/// Every `Resource` string in a definition (declared, they need no handler check).
fn resources(source: &[u8]) -> Vec<String> {
    fn walk(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(map) => {
                if let Some(Value::String(r)) = map.get("Resource") {
                    out.push(r.clone());
                }
                map.values().for_each(|v| walk(v, out));
            }
            Value::Array(items) => items.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    if let Ok(v) = serde_json::from_slice::<Value>(source) {
        walk(&v, &mut out);
    }
    out
}

fn definitions() -> Vec<(String, Vec<u8>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut out = Vec::new();
    let mut files: Vec<PathBuf> = Vec::new();
    for dir in [
        "examples",
        "tests/workflows",
        "../shared/reference/examples",
    ] {
        if let Ok(entries) = std::fs::read_dir(root.join(dir)) {
            files.extend(
                entries
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.extension().is_some_and(|x| x == "json")),
            );
        }
    }
    files.push(root.join("../shared/reference/manage-eks-cluster.asl.json"));
    for f in files {
        if let Ok(bytes) = std::fs::read(&f) {
            out.push((f.display().to_string(), bytes));
        }
    }
    let corpus = std::env::var_os("ASL_CONFORMANCE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("../shared/conformance"));
    for kind in ["executions", "choice", "validation"] {
        let Ok(entries) = std::fs::read_dir(corpus.join(kind)) else {
            continue;
        };
        for p in entries.filter_map(|e| e.ok().map(|e| e.path())) {
            let Ok(text) = std::fs::read_to_string(&p) else {
                continue;
            };
            let Ok(case) = serde_json::from_str::<Value>(&text) else {
                continue;
            };
            let source = match case.get("definition_text").and_then(Value::as_str) {
                Some(text) => text.as_bytes().to_vec(),
                None => serde_json::to_vec_pretty(&case["definition"]).unwrap(),
            };
            out.push((p.display().to_string(), source));
        }
    }
    out
}

#[test]
fn checker_and_code_generation_agree_on_every_definition() {
    let all = definitions();
    assert!(all.len() > 20, "found only {} definitions", all.len());
    let mut refused = 0;
    for (name, source) in &all {
        for declared in [Vec::new(), resources(source)] {
            let checked = checker(source, &declared);
            let generated = macro_path(source, &declared);
            assert_eq!(
                checked, generated,
                "{name} (declared {declared:?}): asl check says {checked:?}, asl! says {generated:?}"
            );
            refused += usize::from(checked.is_some());
        }
    }
    println!(
        "parity: {} definitions, {refused} refusals agreed",
        all.len()
    );
}

/// The `asl` binary itself, on the files of this repository and the reference:
/// exit status 0 exactly when code generation succeeds, 1 when it refuses, and
/// the same rule names in its JSON report.
#[test]
fn the_asl_binary_agrees_with_code_generation() {
    let exe = env!("CARGO_BIN_EXE_asl");
    for (name, source) in definitions()
        .iter()
        .filter(|(n, _)| !n.contains("conformance"))
    {
        let declared = resources(source);
        let mut cmd = Command::new(exe);
        cmd.args(["check", "--format", "json", name]);
        for r in &declared {
            cmd.args(["--resource", r]);
        }
        let out = cmd.output().expect("run asl");
        let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "{name}: not JSON ({e}): {}",
                String::from_utf8_lossy(&out.stdout)
            )
        });
        let rules: BTreeSet<String> = report["files"][0]["diagnostics"]
            .as_array()
            .into_iter()
            .flatten()
            // Warnings do not refuse (the expectation file lists them).
            .filter(|d| d["severity"] != "warning")
            .filter_map(|d| d["rule"].as_str().map(str::to_owned))
            .collect();
        let generated: BTreeSet<String> = macro_path(source, &declared)
            .unwrap_or_default()
            .into_iter()
            .map(str::to_owned)
            .collect();
        assert_eq!(rules, generated, "{name}");
        assert_eq!(
            out.status.code(),
            Some(if rules.is_empty() { 0 } else { 1 }),
            "{name}"
        );
    }
}
