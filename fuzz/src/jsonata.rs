//! JSONata alone, harder than the runtime target does it: expressions from
//! JSONata's own test suite (`$ASL_JSONATA_SUITE_DIR`, default
//! `../shared/jsonata-test-suite`) and the corpora's `{% %}` strings, mutated
//! and spliced, plus expressions that build or walk deep data and text nested
//! 100,000 levels deep; evaluated over random data, data nested [`DEEP`] levels
//! (directly into the full evaluator, whose conversion must bound itself; as a
//! JSON string for `$parse`; and through the engine's depth check, as a run
//! hands data over), on a thread with the stack a Tokio worker has (2 MiB).
//!
//! A finding is what the fuzzer counts as one: a panic, an abort (a stack
//! overflow), or an input over a second.

use std::path::{Path, PathBuf};

use asl_runtime::jsonata::{JsonataExpr, JsonataScope, eval_json_template};
use asl_runtime::limits::PayloadLimit;
use rand::Rng;
use rand::rngs::StdRng;
use serde_json::{Map, Value, json};

use crate::corpus::Corpus;
use crate::mutate;
use crate::runtime::{chain, value};

/// How deep the deep data and text go.
pub const DEEP: usize = 100_000;

/// The stack a Tokio worker thread has, where workflows evaluate expressions.
const WORKER_STACK: usize = 2 << 20;

/// The seeds of the JSONata target.
pub struct Seeds {
    /// Expressions: the suite's, the corpora's and the deep ones below.
    pub expressions: Vec<String>,
    /// How many of them come from JSONata's test suite.
    pub from_suite: usize,
    /// `[[[...0...]]]` and `{"a":{"a":...}}` as JSON text, [`DEEP`] levels.
    deep_text: [String; 2],
}

/// Expressions that build data of any depth, walk the data they are given
/// through every function that recurses over a value, or nest deep themselves.
fn deep_expressions() -> Vec<String> {
    let mut out: Vec<String> = [
        "$parse($deep)",
        "$string($parse($deep))",
        "$count($parse($deep))",
        "$parse($deep) = $parse($deep)",
        "$distinct([$parse($deep), $parse($deep)])",
        "$reduce([1..100000], function($acc, $v) { [$acc] }, 0)",
        "$reduce([1..100000], function($acc, $v) { {'a': $acc} }, {})",
        "$string($reduce([1..100000], function($acc, $v) { [$acc] }, 0))",
        "($d := $reduce([1..100000], function($acc, $v) { {'a': $acc} }, {}); $d = $d)",
        "$reduce([1..100000], function($acc, $v) { [$acc] }, 0) ~> $count()",
        "$states.input",
        "$states.input.**",
        "$states.input.**.a",
        "$states.input.a.a.a",
        "$string($states.input)",
        "$states.input = $x",
        "$states.input in [$x]",
        "$keys($states.input)",
        "$lookup($states.input, 'a')",
        "$spread($states.input)",
        "$merge([$states.input, $x])",
        "$sift($states.input, function($v) { true })",
        "$each($states.input, function($v, $k) { $v })",
        "$distinct([$states.input, $states.input])",
        "$sort([$states.input, $x])",
        "$states.input ~> |$|{'b': 1}|",
        "{'in': $states.input}",
        "[$states.input]",
        "$x",
        "$string($x)",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    // Text nested deep: brackets the guard counts, and chains of operators
    // that a recursive parser would recurse through without a bracket.
    let n = DEEP;
    out.push(format!("{}1{}", "(".repeat(n), ")".repeat(n)));
    out.push(format!("{}1{}", "[".repeat(n), "]".repeat(n)));
    out.push(format!("{}1{}", "{'a':".repeat(n), "}".repeat(n)));
    out.push(format!("{}1{}", "$string(".repeat(n), ")".repeat(n)));
    out.push(format!("{}1", "-".repeat(n)));
    out.push(format!("{}1", "- ".repeat(n)));
    out.push(format!("1{}", " + 1".repeat(n)));
    out.push(format!("{}1", "true ? 1 : ".repeat(n)));
    out.push(format!("{}1", "$a := ".repeat(n)));
    out.push(format!("$x{}", ".a".repeat(n)));
    out.push(format!("$x{}", "[0]".repeat(n)));
    out.push(format!("1{}", " ~> $string".repeat(n)));
    out.push(format!("{}$x{}", "function($v){".repeat(8), "}".repeat(8)));
    out.push(format!("'{}'", "\\".repeat(n)));
    out.push(format!("/{}/", "(".repeat(n)));
    out.push(format!(
        "$match('a', /{}a{}/)",
        "(".repeat(n),
        ")".repeat(n)
    ));
    out
}

/// Loads the seeds.
pub fn seeds(corpus: &Corpus) -> Seeds {
    let mut expressions = suite_expressions();
    let from_suite = expressions.len();
    expressions.extend(corpus.expressions.iter().cloned());
    expressions.extend(deep_expressions());
    let arrays = format!("{}0{}", "[".repeat(DEEP), "]".repeat(DEEP));
    let objects = format!("{}0{}", r#"{"a":"#.repeat(DEEP), "}".repeat(DEEP));
    Seeds {
        expressions,
        from_suite,
        deep_text: [arrays, objects],
    }
}

fn suite_dir() -> PathBuf {
    std::env::var_os("ASL_JSONATA_SUITE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/jsonata-test-suite")
        })
}

/// Every `expr` of the suite's cases (none when the suite is not there).
fn suite_expressions() -> Vec<String> {
    let mut out = Vec::new();
    let groups = suite_dir().join("groups");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&groups)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .collect();
    dirs.sort();
    for dir in dirs {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        for file in files {
            let Ok(text) = std::fs::read_to_string(&file) else {
                continue;
            };
            let Ok(case) = serde_json::from_str::<Value>(&text) else {
                continue;
            };
            let cases = match case {
                Value::Array(cases) => cases,
                one => vec![one],
            };
            for case in cases {
                if let Some(expr) = case.get("expr").and_then(Value::as_str) {
                    out.push(expr.to_owned());
                }
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// One input, on a thread with a worker's stack; a panic there is this input's.
pub fn one(seeds: &Seeds, rng: &mut StdRng, last_input: Option<&Path>) {
    let outcome = std::thread::scope(|scope| {
        std::thread::Builder::new()
            .stack_size(WORKER_STACK)
            .spawn_scoped(scope, || evaluate_one(seeds, rng, last_input))
            .expect("a fuzzing thread")
            .join()
    });
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

fn evaluate_one(seeds: &Seeds, rng: &mut StdRng, last_input: Option<&Path>) {
    let pick = |rng: &mut StdRng| &seeds.expressions[rng.random_range(0..seeds.expressions.len())];
    let mut text = pick(rng).as_bytes().to_vec();
    if rng.random_bool(0.8) {
        let donor = pick(rng).as_bytes().to_vec();
        let count = rng.random_range(1..5);
        mutate::many(rng, &mut text, &[&donor], count);
    }
    // No definition holds an expression over 1 MB (AWS's definition limit).
    text.truncate(1 << 20);
    let text = String::from_utf8_lossy(&text).into_owned();

    let shape = rng.random_range(0..4);
    let (input, x) = match shape {
        // Deep data handed to the evaluator directly.
        0 => (chain(DEEP), chain(DEEP - 1)),
        // Deep data as a run hands it over: refused past the depth limit.
        1 => (
            chain(rng.random_range(120..140)),
            chain(rng.random_range(1..DEEP)),
        ),
        _ => (value(rng, 150), value(rng, 20)),
    };
    crate::remember(last_input, format!("shape {shape}\n{text}").as_bytes());
    let deep = &seeds.deep_text[rng.random_range(0..2)];
    let context = json!({"Execution": {"Id": "x"}, "State": {"Name": "S"}});
    let mut variables = Map::new();
    variables.insert("x".into(), x);
    variables.insert("deep".into(), Value::String(deep.clone()));
    let expr = JsonataExpr::owned(text.clone());
    match shape {
        0 => {
            let scope = JsonataScope::new(&input, &context).with_variables(&variables);
            let _ = expr.evaluate_without_shortcut(&scope);
        }
        1 => {
            let admitted = PayloadLimit::AWS.check("S", "returned a result", input);
            let x = variables.remove("x").unwrap_or(Value::Null);
            match PayloadLimit::AWS.check("S", "returned a result", x) {
                Ok(x) => {
                    variables.insert("x".into(), x);
                }
                Err(_) => {
                    variables.insert("x".into(), Value::Null);
                }
            }
            if let Ok(input) = admitted {
                let scope = JsonataScope::new(&input, &context).with_variables(&variables);
                let _ = expr.evaluate(&scope);
                asl_runtime::limits::dismantle(input);
            }
            dismantle_all(variables);
            return;
        }
        _ => {
            let scope = JsonataScope::new(&input, &context).with_variables(&variables);
            let _ = expr.evaluate(&scope);
            if rng.random_bool(0.2) {
                // The same text inside a template given as JSON.
                let template = json!({"a": [format!("{{% {text} %}}")], "b": 1});
                let _ = eval_json_template(&template, &scope, "Output");
            }
        }
    }
    asl_runtime::limits::dismantle(input);
    dismantle_all(variables);
}

fn dismantle_all(variables: Map<String, Value>) {
    for (_, v) in variables {
        asl_runtime::limits::dismantle(v);
    }
}
