//! The conformance corpus's `validation/` and `paths/` cases against the front end.
//!
//! In: `$ASL_CONFORMANCE_DIR` (default `../shared/conformance` beside the workspace).
//! Out: one failure line per case whose verdict disagrees, and, where the corpus
//! expects a message substring or a problem count, the same from our diagnostics.
//! A missing corpus fails under `CI=true` and is a printed skip elsewhere.
//!
//! The corpus's validation and path expectations come from linters, not from AWS.
//! Where we side with AWS against a linter, the case is listed in
//! [`DISAGREEMENTS`] with the reason; the test asserts we still disagree, so the
//! list cannot go stale silently.

use asl_build::Rule;
use std::path::PathBuf;

use asl_build::expr::Root;
use asl_build::expr_parse;
use serde_json::Value;

/// Cases where the linter's expectation is not what Step Functions does.
const DISAGREEMENTS: &[(&str, &str)] = &[
    (
        "asl-validator:valid-cfn-definition-substitutions.json",
        "`${lambdaArn}` is a CloudFormation DefinitionSubstitutions placeholder; Step Functions itself rejects it as a Resource, and asl compiles the file as written, so it is an invalid ARN here",
    ),
    (
        "asl-validator:valid-task-intrisic-function.json",
        "its Resource is a CloudFormation `Fn::GetAtt`/`Ref` object; Step Functions only accepts a string, and asl compiles the file as written",
    ),
    (
        "asl-validator:invalid-json-surround-syntax-extra-spaces.json",
        "whitespace inside `{% ... %}` is ordinary JSONata whitespace; Step Functions evaluates `{% \\n10   %}` as 10",
    ),
    (
        "asl-validator:invalid-jsonata-surround-syntax-no-open.json",
        "`\"10 %}\"` does not start with `{%`, so it is no JSONata expression: Step Functions takes it as a literal string and returns it as written (\"JSONata syntax: {% <JSONata expression> %}\", transforming-data)",
    ),
    (
        "statelint:test/succeed-with-comment-in-catcher.json",
        "it calls arn:aws:states:::lambda:invoke without Parameters; Step Functions refuses an optimized integration without its required fields (\"The field 'FunctionName' is required but was missing\"), and so does asl now that lambda:invoke is built in",
    ),
    (
        "statelint:test/parallel-with-resultselector.json",
        "statelint checks the syntax only: the ResultSelector reads `$.y` from the Parallel's result, which is always an array, and `$$.z`, which the context object never has; every execution fails there with States.Runtime (\"could not be found\"), which asl reports at compile time (asl::path-never-present)",
    ),
    (
        "statelint:test/map-with-itemspath-context-object.json",
        "statelint checks the syntax only: `$$.mapItems` is not in the context object (Execution, State, StateMachine, Task, Map), so every execution fails at ItemsPath with States.Runtime; asl reports it at compile time (asl::path-never-present)",
    ),
];

/// Rules statelint's graph checker covers (for `expect_graph_problem_count`).
const GRAPH_RULES: &[&str] = &[
    "asl::unknown-start-state",
    "asl::unknown-next-state",
    "asl::transition-across-machines",
    "asl::unreachable-state",
    "asl::no-terminal-state",
    "asl::duplicate-state-name",
];

fn corpus_dir() -> Option<PathBuf> {
    crate::shared_dir("ASL_CONFORMANCE_DIR", "conformance", ".")
}

fn cases(dir: &std::path::Path, kind: &str) -> Vec<(String, Value)> {
    let mut files: Vec<_> = std::fs::read_dir(dir.join(kind))
        .unwrap_or_else(|e| panic!("cannot read {kind}/: {e}"))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                serde_json::from_str(&text).unwrap(),
            )
        })
        .collect()
}

#[test]
fn validation_cases_agree() {
    let Some(dir) = corpus_dir() else { return };
    let mut failures = Vec::new();
    let mut agreed = 0;
    let all = cases(&dir, "validation");
    assert!(
        all.len() >= 100,
        "expected the whole validation corpus, found {}",
        all.len()
    );
    for (file, case) in &all {
        let id = case["id"].as_str().unwrap_or(file);
        let source = match case.get("definition_text").and_then(Value::as_str) {
            Some(text) => text.to_string(),
            None => serde_json::to_string_pretty(&case["definition"]).unwrap(),
        };
        // The corpus judges the language; `asl::unsupported` says asl cannot run a
        // construct yet (ItemReader, Credentials), not that the definition is invalid.
        let result = match asl_build::load(source.as_bytes(), file) {
            Err(d) if d.iter().all(|x| x.rule == Rule::Unsupported) => Ok(()),
            Err(mut d) => {
                d.items.retain(|x| x.rule != Rule::Unsupported);
                Err(d)
            }
            Ok(_) => Ok(()),
        };
        let expected_valid = case["expected"] == "valid";
        let disagreement = DISAGREEMENTS.iter().find(|(d, _)| *d == id);
        if let Some((_, reason)) = disagreement {
            if result.is_ok() == expected_valid {
                failures.push(format!("{id}: listed as a disagreement ({reason}) but now agrees: remove it from the list"));
            }
            continue;
        }
        match (&result, expected_valid) {
            (Ok(_), true) => {}
            (Err(d), true) => failures.push(format!("{id}: expected valid, got:\n{d}")),
            (Ok(_), false) => failures.push(format!("{id}: expected invalid, got valid")),
            (Err(d), false) => {
                let messages: Vec<String> = d
                    .iter()
                    .map(|x| format!("{} {}", x.rule, x.message))
                    .collect();
                for want in case["expect_messages"].as_array().into_iter().flatten() {
                    let want = want.as_str().unwrap();
                    if !messages.iter().any(|m| m.contains(want)) && !same_location(want, d) {
                        failures.push(format!("{id}: no diagnostic mentions {want:?}; got:\n{d}"));
                    }
                }
                if let Some(n) = case["expect_problem_count"].as_u64()
                    && d.len() as u64 != n
                {
                    failures.push(format!(
                        "{id}: expected {n} problems, got {}:\n{d}",
                        d.len()
                    ));
                }
                if let Some(n) = case["expect_graph_problem_count"].as_u64() {
                    let graph = d
                        .iter()
                        .filter(|x| GRAPH_RULES.contains(&x.rule.name()))
                        .count() as u64;
                    if graph != n {
                        failures.push(format!(
                            "{id}: expected {n} graph problems, got {graph}:\n{d}"
                        ));
                    }
                }
            }
        }
        if failures.last().is_none_or(|f| !f.starts_with(id)) {
            agreed += 1;
        }
    }
    println!(
        "validation: {agreed} agree, {} disagreements listed, {} failures",
        DISAGREEMENTS.len(),
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} validation cases disagree:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

/// asl-validator's messages are its JSON-schema errors, `<pointer> is invalid.
/// <schema wording>`: the equivalent diagnostic is ours at (or inside) that pointer.
fn same_location(want: &str, d: &asl_build::Diagnostics) -> bool {
    let Some((pointer, _)) = want.split_once(" is invalid.") else {
        return false;
    };
    pointer.starts_with('/')
        && d.iter().any(|x| {
            x.origin.pointer == pointer || x.origin.pointer.starts_with(&format!("{pointer}/"))
        })
}

/// Whether `text` is valid in one of the corpus's path contexts.
fn valid_in(context: &str, text: &str) -> bool {
    match context {
        "reference_path" => expr_parse::parse_reference_path(text).is_ok(),
        "result_path" => {
            expr_parse::parse_reference_path(text).is_ok_and(|r| r.root == Root::Input)
        }
        "path" => expr_parse::parse_path(text).is_ok(),
        "payload_template" => expr_parse::parse_expression(text).is_ok(),
        other => panic!("unknown context {other}"),
    }
}

#[test]
fn path_cases_agree() {
    let Some(dir) = corpus_dir() else { return };
    let all = cases(&dir, "paths");
    assert!(
        all.len() >= 50,
        "expected the whole paths corpus, found {}",
        all.len()
    );
    let mut failures = Vec::new();
    for (file, case) in &all {
        let text = case["path"].as_str().unwrap();
        let valid: Vec<&str> = case["contexts"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
        for context in case["all_contexts"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
        {
            let expected = valid.contains(&context);
            if valid_in(context, text) != expected {
                failures.push(format!(
                    "{file}: `{text}` in {context}: expected {}",
                    if expected { "valid" } else { "invalid" }
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} path verdicts disagree:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Every definition of `executions/` and `choice/` was accepted and run by AWS
/// Step Functions, so the front end must accept it too: this is the AWS-backed
/// counterweight to the linter expectations above.
#[test]
fn definitions_aws_ran_are_valid() {
    let Some(dir) = corpus_dir() else { return };
    let mut failures = Vec::new();
    let mut count = 0;
    for kind in ["executions", "choice"] {
        for (file, case) in cases(&dir, kind) {
            count += 1;
            let source = serde_json::to_string_pretty(&case["definition"]).unwrap();
            if let Err(d) = asl_build::load(source.as_bytes(), &file) {
                failures.push(format!("{kind}/{file}:\n{d}"));
            }
        }
    }
    assert!(
        count >= 600,
        "expected the executions and choice corpus, found {count} cases"
    );
    assert!(
        failures.is_empty(),
        "{} definitions AWS ran are rejected:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

/// The normalised text (`JsonPath::query`) of every full JSONPath in the corpus
/// parses with jsonpath-rust, the runtime's evaluator; prints those it cannot.
#[test]
fn normalised_queries_parse_with_the_runtime_evaluator() {
    let Some(dir) = corpus_dir() else { return };
    let mut texts: Vec<String> = cases(&dir, "paths")
        .iter()
        .map(|(_, c)| c["path"].as_str().unwrap().to_string())
        .collect();
    texts.extend(
        [
            "$.logs..pi",
            "$.a\\.b[*]",
            "$['x y'][0:2]",
            "$..*",
            "$.a[?(@.b > 1)].c",
            "$.a[0,1]",
            "$.a[-1]",
        ]
        .map(String::from),
    );
    let mut rejected = Vec::new();
    let mut checked = 0;
    for text in &texts {
        let Ok(asl_build::expr::Path::Query(q)) = expr_parse::parse_path(text) else {
            continue;
        };
        checked += 1;
        if let Err(e) = jsonpath_rust::parser::parse_json_path(&q.query) {
            rejected.push(format!("{text} → {} : {e}", q.query));
        }
    }
    println!(
        "{checked} queries checked; jsonpath-rust rejects:\n{}",
        rejected.join("\n")
    );
    assert!(checked >= 20);
    assert!(
        rejected.is_empty(),
        "jsonpath-rust rejects {} normalised queries:\n{}",
        rejected.len(),
        rejected.join("\n")
    );
}
