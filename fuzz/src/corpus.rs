//! Seeds: every definition of the shared corpora (conformance executions and
//! validation cases, the real-world collection, the reference examples) and of
//! this repository, and the JSONata expressions and paths they hold.

use std::path::{Path, PathBuf};

use serde_json::Value;

/// The seeds of a run.
#[derive(Debug, Default)]
pub struct Corpus {
    /// Definitions as JSON text.
    pub definitions: Vec<String>,
    /// JSONata expressions (the text between `{%` and `%}`).
    pub expressions: Vec<String>,
    /// Path strings (`$.a[0]`, `$$.Execution.Id`, ...) and intrinsic calls.
    pub paths: Vec<String>,
}

/// Reads the corpora next to the workspace (`../shared/...`, or
/// `ASL_CONFORMANCE_DIR` for the conformance corpus).
pub fn load() -> Corpus {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let shared = root.join("../shared");
    let conformance = std::env::var_os("ASL_CONFORMANCE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| shared.join("conformance"));
    let mut corpus = Corpus::default();
    for dir in [
        conformance.join("executions"),
        conformance.join("validation"),
        conformance.join("choice"),
    ] {
        for file in json_files(&dir) {
            let Ok(case) = read_json(&file) else { continue };
            if let Some(text) = case.get("definition_text").and_then(Value::as_str) {
                corpus.definitions.push(text.to_owned());
            } else if let Some(def) = case.get("definition") {
                corpus.definitions.push(def.to_string());
            }
        }
    }
    for dir in [
        shared.join("realworld/defs"),
        shared.join("reference/examples"),
        root.join("tests/workflows"),
        root.join("examples"),
    ] {
        for file in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = file.path();
            if path.extension().is_some_and(|x| x == "json")
                && let Ok(text) = std::fs::read_to_string(&path)
            {
                corpus.definitions.push(text);
            }
        }
    }
    let definitions = std::mem::take(&mut corpus.definitions);
    for text in &definitions {
        if let Ok(v) = serde_json::from_str::<Value>(text) {
            collect_strings(&v, &mut corpus);
        }
    }
    corpus.definitions = definitions;
    corpus.expressions.sort();
    corpus.expressions.dedup();
    corpus.paths.sort();
    corpus.paths.dedup();
    if corpus.definitions.is_empty() {
        // No corpus here: a minimal seed keeps the fuzzer useful.
        corpus.definitions.push(
            r#"{"StartAt": "A", "States": {"A": {"Type": "Pass", "Parameters": {"x.$": "$.a"}, "End": true}}}"#.into(),
        );
    }
    if corpus.expressions.is_empty() {
        corpus.expressions.push("$states.input.a + 1".into());
    }
    if corpus.paths.is_empty() {
        corpus.paths.push("$.a[0].b".into());
    }
    corpus
}

fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
}

fn read_json(path: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    serde_json::from_str(&text).map_err(|e| e.to_string())
}

fn collect_strings(v: &Value, corpus: &mut Corpus) {
    match v {
        Value::String(s) => {
            if let Some(e) = asl_lang::jsonata::expression_of(s) {
                corpus.expressions.push(e.to_owned());
            } else if s.starts_with('$') || s.starts_with("States.") {
                corpus.paths.push(s.clone());
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_strings(v, corpus)),
        Value::Object(map) => map.values().for_each(|v| collect_strings(v, corpus)),
        _ => {}
    }
}
