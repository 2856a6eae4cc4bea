//! JSONata evaluation (`asl_runtime::jsonata`) against AWS's recorded behaviour.
//!
//! - Every `{% ... %}` expression in the JSONata cases of the shared corpus
//!   (`query_language: JSONata` or feature `jsonata_expression`) must check and
//!   evaluate without an internal failure of the evaluator.
//! - The cases made of `Pass`, `Choice`, `Fail`, `Succeed` and inline `Map` (over a
//!   `Pass`) states run through a small loop built on this module's API (the engine
//!   proper is code generation's); their output, or error and cause, must be AWS's.
//! - Unit tests: Step Functions' functions, causes, member order, limits.
//!
//! The corpus is `$ASL_CONFORMANCE_DIR`, default `../shared/conformance` from the
//! workspace root. Missing corpus: a failure under `CI=true`, else a printed skip.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use asl_runtime::Error;
use asl_runtime::error::names;
use asl_runtime::jsonata::{
    Failure, JsonataExpr, JsonataScope, JsonataTemplate, eval_json_template, expression_of,
};
use serde_json::{Map, Value, json};

// ------------------------------------------------------------------ corpus

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

/// The JSONata cases of `executions/`, sorted by file name.
fn jsonata_cases(dir: &Path) -> Vec<Value> {
    let mut files: Vec<_> = std::fs::read_dir(dir.join("executions"))
        .expect("reading executions/")
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).expect("reading a case");
            serde_json::from_str::<Value>(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        })
        .filter(|case| {
            case["query_language"] == "JSONata"
                || case["features"]
                    .as_array()
                    .is_some_and(|f| f.iter().any(|x| x == "jsonata_expression"))
        })
        .collect()
}

fn collect_expressions(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => {
            if let Some(expr) = expression_of(s) {
                out.push(expr.to_owned());
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_expressions(v, out)),
        Value::Object(map) => map.values().for_each(|v| collect_expressions(v, out)),
        _ => {}
    }
}

#[test]
fn every_corpus_expression_checks_and_evaluates_without_internal_failure() {
    let Some(dir) = corpus_dir() else { return };
    let cases = jsonata_cases(&dir);
    assert!(
        cases.len() >= 60,
        "expected the ~70 JSONata cases, found {}",
        cases.len()
    );
    let mut evaluated = 0;
    for case in &cases {
        let mut expressions = Vec::new();
        collect_expressions(&case["definition"], &mut expressions);
        let context = json!({"Execution": {"Input": case["input"].clone()}});
        let variables = Map::new();
        let scope = JsonataScope::new(&case["input"], &context).with_variables(&variables);
        for text in expressions {
            let expr = JsonataExpr::owned(text.clone());
            // AWS accepted every one of these definitions, so each expression parses.
            expr.check()
                .unwrap_or_else(|f| panic!("{}: '{text}' does not check: {f:?}", case["id"]));
            let started = Instant::now();
            if let Err(Failure::Threw { code, message }) = expr.evaluate(&scope) {
                assert_ne!(
                    code, "U1002",
                    "{}: the evaluator failed internally on '{text}': {message}",
                    case["id"]
                );
            }
            assert!(started.elapsed() < Duration::from_secs(5));
            evaluated += 1;
        }
    }
    assert!(evaluated >= 80, "only {evaluated} expressions found");
    println!("jsonata corpus expressions: {evaluated} evaluated");
}

/// The outcome of running a definition: output, or error (with cause).
type Outcome = Result<Value, Error>;

/// A small loop over Pass/Choice/Fail/Succeed/Map(Pass) states in JSONata mode, with
/// literal `Assign` in JSONPath-mode states; `None` for a definition it cannot run.
struct Runner {
    variables: Map<String, Value>,
    /// The id of the last history event (ExecutionStarted is 1).
    event: u64,
}

fn state_is_jsonata(definition: &Value, state: &Value) -> bool {
    let language = state["QueryLanguage"]
        .as_str()
        .or(definition["QueryLanguage"].as_str())
        .unwrap_or("JSONPath");
    language == "JSONata"
}

impl Runner {
    fn supported(definition: &Value) -> bool {
        let Some(states) = definition["States"].as_object() else {
            return false;
        };
        states.values().all(|s| {
            let jsonata = state_is_jsonata(definition, s);
            match s["Type"].as_str() {
                Some("Pass") if jsonata => true,
                // A JSONPath Pass that only assigns literals (no `.$`, no paths).
                Some("Pass") => {
                    let keys_ok = s.as_object().is_some_and(|m| {
                        m.keys().all(|k| {
                            ["Type", "Next", "End", "Assign", "QueryLanguage", "Comment"]
                                .contains(&k.as_str())
                        })
                    });
                    keys_ok && !s["Assign"].to_string().contains(".$")
                }
                Some("Choice") => jsonata,
                Some("Succeed") => true,
                Some("Fail") => {
                    jsonata || (s.get("ErrorPath").is_none() && s.get("CausePath").is_none())
                }
                Some("Map") => {
                    jsonata
                        && s["ItemProcessor"]["States"].as_object().is_some_and(|m| {
                            m.len() == 1
                                && m.values().all(|p| {
                                    p["Type"] == "Pass"
                                        && p.get("Output").is_none()
                                        && p.get("Assign").is_none()
                                })
                        })
                }
                _ => false,
            }
        })
    }

    fn run(&mut self, definition: &Value, input: Value) -> Outcome {
        let context = json!({});
        let mut name = definition["StartAt"].as_str().expect("StartAt").to_owned();
        let mut input = input;
        loop {
            let state = &definition["States"][&name];
            self.event += 1;
            let entered = self.event;
            let jsonata = state_is_jsonata(definition, state);
            let in_state = |e: Error| e.in_state(&name, entered);
            let vars = self.variables.clone();
            let scope = JsonataScope::new(&input, &context).with_variables(&vars);
            let mut next = state["Next"].as_str().map(str::to_owned);
            let mut assign = state.get("Assign");
            let mut output = None;
            match state["Type"].as_str().expect("Type") {
                "Pass" => {
                    if jsonata && let Some(template) = state.get("Output") {
                        output =
                            Some(eval_json_template(template, &scope, "Output").map_err(in_state)?);
                    }
                }
                "Succeed" => {}
                "Fail" => {
                    let field = |key: &str| -> Result<Option<String>, Error> {
                        match state.get(key) {
                            Some(Value::String(s)) => match expression_of(s).filter(|_| jsonata) {
                                Some(e) => JsonataExpr::owned(e).string(&scope, key).map(Some),
                                None => Ok(Some(s.clone())),
                            },
                            _ => Ok(None),
                        }
                    };
                    let error = field("Error").map_err(in_state)?;
                    let cause = field("Cause").map_err(in_state)?;
                    return Err(Error {
                        error: error.unwrap_or_default().into(),
                        cause,
                    });
                }
                "Choice" => {
                    next = None;
                    for (i, rule) in state["Choices"]
                        .as_array()
                        .expect("Choices")
                        .iter()
                        .enumerate()
                    {
                        let text = expression_of(rule["Condition"].as_str().expect("Condition"))
                            .expect("a {% %} Condition");
                        let field = format!("Choices[{i}]/Condition");
                        if JsonataExpr::owned(text)
                            .boolean(&scope, &field)
                            .map_err(in_state)?
                        {
                            next = rule["Next"].as_str().map(str::to_owned);
                            assign = rule.get("Assign");
                            break;
                        }
                    }
                    if next.is_none() {
                        next = state["Default"].as_str().map(str::to_owned);
                        if next.is_none() {
                            return Err(
                                Error::new(names::NO_CHOICE_MATCHED, "").in_state(&name, entered)
                            );
                        }
                    }
                }
                "Map" => {
                    let items = match state.get("Items") {
                        Some(Value::String(s)) if expression_of(s).is_some() => {
                            let expr = JsonataExpr::owned(expression_of(s).unwrap_or_default());
                            expr.array(&scope, "Items").map_err(in_state)?
                        }
                        Some(Value::Array(_)) => {
                            match eval_json_template(&state["Items"], &scope, "Items")
                                .map_err(in_state)?
                            {
                                Value::Array(items) => items,
                                _ => unreachable!("an array template gives an array"),
                            }
                        }
                        Some(_) => return Err(Error::runtime("unsupported Items")),
                        None => match &input {
                            Value::Array(items) => items.clone(),
                            other => {
                                return Err(in_state(Error::new(
                                    names::QUERY_EVALUATION_ERROR,
                                    format!("Map state input must be an array but was: {other}"),
                                )));
                            }
                        },
                    };
                    if let Some(Value::String(s)) = state.get("MaxConcurrency")
                        && let Some(e) = expression_of(s)
                    {
                        JsonataExpr::owned(e)
                            .number(&scope, "MaxConcurrency")
                            .map_err(in_state)?;
                    }
                    let mut results = Vec::with_capacity(items.len());
                    for (index, item) in items.into_iter().enumerate() {
                        let value = match state.get("ItemSelector") {
                            Some(selector) => {
                                let context =
                                    json!({"Map": {"Item": {"Index": index, "Value": item}}});
                                let scope =
                                    JsonataScope::new(&input, &context).with_variables(&vars);
                                eval_json_template(selector, &scope, "ItemSelector")
                                    .map_err(in_state)?
                            }
                            None => item,
                        };
                        // MapIterationStarted, PassStateEntered/Exited, MapIterationSucceeded.
                        self.event += 4;
                        results.push(value);
                    }
                    self.event += 2; // MapStateStarted, MapStateSucceeded
                    output = Some(Value::Array(results));
                }
                other => panic!("unsupported state type {other}"),
            }
            if let Some(Value::Object(assign)) = assign {
                let mut assigned = Map::new();
                for (key, template) in assign {
                    let value = if jsonata {
                        eval_json_template(template, &scope, &format!("Assign/{key}"))
                            .map_err(in_state)?
                    } else {
                        template.clone()
                    };
                    assigned.insert(key.clone(), value);
                }
                self.variables.extend(assigned);
            }
            if let Some(output) = output {
                input = output;
            }
            self.event += 1; // *StateExited
            match next {
                Some(n) if state["End"] != true => name = n,
                _ => return Ok(input),
            }
        }
    }
}

/// JSON equality with numbers compared by value (`1` equals `1.0`).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

#[test]
fn corpus_cases_of_pass_choice_fail_and_map_states_match_aws() {
    let Some(dir) = corpus_dir() else { return };
    let cases = jsonata_cases(&dir);
    let mut ran = 0;
    let mut skipped = Vec::new();
    let mut failures = Vec::new();
    for case in &cases {
        let definition = &case["definition"];
        // `$states.context` (but for `Map.Item`, which the loop provides) and Wait
        // need the engine's context object and clock.
        let text = definition.to_string();
        let needs_context = text
            .replace("$states.context.Map.Item", "")
            .contains("$states.context");
        if !Runner::supported(definition) || needs_context {
            skipped.push(case["id"].as_str().unwrap_or_default().to_owned());
            continue;
        }
        ran += 1;
        let mut runner = Runner {
            variables: Map::new(),
            event: 1,
        };
        let outcome = runner.run(definition, case["input"].clone());
        let expected = &case["expected"];
        let ok = match (&outcome, expected["status"].as_str()) {
            (Ok(output), Some("SUCCEEDED")) => same(output, &expected["output"]),
            (Err(e), Some("FAILED")) => {
                expected.get("error").is_none_or(|x| x == e.name())
                    && expected
                        .get("cause")
                        .is_none_or(|x| Some(x.as_str().unwrap_or_default()) == e.cause())
            }
            _ => false,
        };
        if !ok {
            failures.push(format!(
                "{}\n  got {outcome:?}\n  expected {expected}",
                case["id"]
            ));
        }
    }
    println!(
        "jsonata corpus cases run: {ran}, failed: {}, left to the engine: {skipped:#?}",
        failures.len()
    );
    assert!(ran >= 50, "only {ran} cases could run");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// ------------------------------------------------------------------ unit tests

fn eval(text: &str, input: Value) -> Result<Option<Value>, Failure> {
    let context = json!({"Execution": {"Name": "e"}});
    JsonataExpr::owned(text).evaluate(&JsonataScope::new(&input, &context))
}

fn value(text: &str, input: Value) -> Value {
    eval(text, input)
        .unwrap_or_else(|f| panic!("'{text}' failed: {f:?}"))
        .unwrap_or_else(|| panic!("'{text}' gave nothing"))
}

fn threw(text: &str) -> (String, String) {
    match eval(text, json!({})) {
        Err(Failure::Threw { code, message }) => (code, message),
        other => panic!("'{text}' did not throw: {other:?}"),
    }
}

#[test]
fn template_strings_are_exactly_one_expression() {
    assert_eq!(expression_of("{% 1 + 1 %}"), Some("1 + 1"));
    assert_eq!(expression_of("{%1%}"), Some("1"));
    assert_eq!(expression_of("{% $x %} "), None);
    assert_eq!(expression_of(" {% $x %}"), None);
    assert_eq!(expression_of("$.a"), None);
    assert_eq!(expression_of("{%"), None);
}

#[test]
fn states_input_context_result_error_output_and_variables() {
    let input = json!({"a": 41, "s": "x"});
    let context = json!({"State": {"Name": "S"}});
    let result = json!({"r": true});
    let error_output = json!({"Error": "E", "Cause": "C"});
    let mut variables = Map::new();
    variables.insert("n".into(), json!(2));
    let scope = JsonataScope::new(&input, &context)
        .with_result(&result)
        .with_error_output(&error_output)
        .with_variables(&variables);
    let v = |text: &str| JsonataExpr::owned(text).value(&scope, "Output").unwrap();
    assert_eq!(v("$states.input.a + 1"), json!(42));
    assert_eq!(v("$states.context.State.Name"), json!("S"));
    assert_eq!(v("$states.result.r"), json!(true));
    assert_eq!(
        v("$states.errorOutput.Error & $states.errorOutput.Cause"),
        json!("EC")
    );
    assert_eq!(v("$n * $states.input.a"), json!(82));
    // No context item: `$` and bare names read nothing.
    assert!(JsonataExpr::owned("a").evaluate(&scope).unwrap().is_none());
}

#[test]
fn numbers_print_as_integers_when_whole() {
    let v = value("$states.input.a / 2", json!({"a": 4}));
    assert_eq!(v, json!(2));
    assert!(v.is_i64());
    assert_eq!(value("0.5 + 0.25", json!({})), json!(0.75));
    assert_eq!(value("1/0", json!({})), json!("Infinity"));
    assert_eq!(value("-1/0", json!({})), json!("-Infinity"));
    assert_eq!(value("[1/0]", json!({})), json!(["Infinity"]));
}

#[test]
fn undefined_is_a_query_evaluation_error_with_aws_cause() {
    static E: JsonataExpr = JsonataExpr::new("$doesNotExist");
    let input = json!({});
    let scope = JsonataScope::new(&input, &Value::Null);
    let e = E.value(&scope, "Output/result").unwrap_err();
    assert_eq!(e.name(), names::QUERY_EVALUATION_ERROR);
    assert_eq!(
        e.cause(),
        Some(
            "The JSONata expression '$doesNotExist' specified for the field 'Output/result' returned nothing (undefined)."
        )
    );
    // With the state prefix, as in the corpus (BASE_UNDEFINED_OUTPUT).
    assert_eq!(
        e.in_state("State2", 6).cause(),
        Some(
            "An error occurred while executing the state 'State2' (entered at the event id #6). The JSONata expression '$doesNotExist' specified for the field 'Output/result' returned nothing (undefined)."
        )
    );
}

#[test]
fn evaluation_errors_carry_jsonata_code_and_message() {
    let input = json!({"FunctionInput": {"fst": "fst"}});
    let scope = JsonataScope::new(&input, &Value::Null);
    let e = JsonataExpr::owned("$randomSeeded($states.input.FunctionInput.fst)")
        .value(&scope, "Output/FunctionResult")
        .unwrap_err();
    assert_eq!(
        e.cause(),
        Some(
            "The JSONata expression '$randomSeeded($states.input.FunctionInput.fst)' specified for the field 'Output/FunctionResult' threw an error during evaluation. T1006: Attempted to invoke a non-function"
        )
    );
    // `$eval` is not available on Step Functions.
    assert_eq!(threw("$eval('1')").0, "T1006");
    assert_eq!(threw("\"a\" < 1").0, "T2009");
    assert_eq!(threw("$error('boom')"), ("D3137".into(), "boom".into()));
    // A syntax error is caught by `check` (build-support can reject it early).
    let bad = JsonataExpr::owned("a[1,2)");
    assert!(matches!(bad.check(), Err(Failure::Threw { ref code, .. }) if code.starts_with('S')));
}

/// Where the evaluator's words differ from jsonata-js's, the cause carries
/// jsonata-js's (what Step Functions shows). Each expected message is what
/// jsonata-js 2 says for the expression (JSONata's own suite cases).
#[test]
fn error_messages_are_worded_as_jsonata_js_words_them() {
    for (text, code, message) in [
        (
            "\"s\" - 1",
            "T2001",
            r#"The left side of the "-" operator must evaluate to a number"#,
        ),
        (
            "1 + null",
            "T2002",
            r#"The right side of the "+" operator must evaluate to a number"#,
        ),
        (
            "[1.1 .. 5]",
            "T2003",
            "The left side of the range operator (..) must evaluate to an integer",
        ),
        (
            "[1..false]",
            "T2004",
            "The right side of the range operator (..) must evaluate to an integer",
        ),
        (
            "$number(\"1/2\")",
            "D3030",
            r#"Unable to cast value to a number: "1/2""#,
        ),
        (
            "$string(1/0)",
            "D3001",
            "Attempting to invoke string function on Infinity or NaN",
        ),
        ("1/(10e300 * 10e100)", "D1001", "Number out of range: null"),
        (
            "$formatBase(100, 37)",
            "D3100",
            "The radix of the formatBase function must be between 2 and 36.  It was given 37",
        ),
        (
            "$formatNumber(20,\"#;#;#\")",
            "D3080",
            "The picture string must only contain a maximum of two sub-pictures",
        ),
        (
            "$formatNumber(20,\"0,,0\")",
            "D3089",
            "The sub-picture must not contain two adjacent instances of the 'grouping-separator' character",
        ),
        (
            "$formatInteger(123456, 'α')",
            "D3130",
            r#"Formatting or parsing an integer as a sequence starting with "α" is not supported by this implementation"#,
        ),
        (
            "$toMillis('2018-05-22', '[Y]-[M]-[q]')",
            "D3132",
            r#"Unknown component specifier "q" in date/time picture string"#,
        ),
        (
            "$toMillis('2018-22', '[Y]-[D]')",
            "D3136",
            "The date/time picture string is missing specifiers required to parse the timestamp",
        ),
        (
            "$single([0, 1, 2])",
            "D3138",
            "The $single() function expected exactly 1 matching result.  Instead it matched more.",
        ),
        (
            "$split('some text', $uppercase)",
            "T1010",
            r#"The matcher function argument passed to function "split" does not return the correct object structure"#,
        ),
        ("[1,2)", "S0202", r#"Expected "]", got ")""#),
        (
            "$lowercase(\"x\"",
            "S0203",
            r#"Expected ")" before end of expression"#,
        ),
        ("[1!2]", "S0204", r#"Unknown operator: "!""#),
        (
            "@ bar",
            "S0211",
            r#"The symbol "@" cannot be used as a unary operator"#,
        ),
        ("$states.input;", "S0201", r#"Syntax error: ";""#),
        ("$.7a", "S0201", r#"Syntax error: "a""#),
        ("10e1000", "S0102", r#"Number out of range: "10e1000""#),
        ("\"\\y\"", "S0103", r#"Unsupported escape sequence: \"y""#),
        (
            "$states.input@o.x",
            "S0214",
            r#"The right side of "@" must be a variable name (start with $)"#,
        ),
    ] {
        assert_eq!(threw(text), (code.to_owned(), message.to_owned()), "{text}");
    }
}

#[test]
fn typed_fields_report_the_type_they_got() {
    let input = json!({});
    let scope = JsonataScope::new(&input, &Value::Null);
    let items = |text: &str| {
        JsonataExpr::owned(text)
            .array(&scope, "Items")
            .unwrap_err()
            .cause()
            .map(str::to_owned)
            .unwrap_or_default()
    };
    // Causes recorded by AWS (test_map_state_items_eval_jsonata_fail).
    assert_eq!(
        items("true"),
        "The JSONata expression 'true' specified for the field 'Items' returned an unexpected result type. Expected 'array', but was 'boolean' for value: true"
    );
    assert_eq!(
        items("null"),
        "The JSONata expression 'null' specified for the field 'Items' returned an unexpected result type. Expected 'array', but was 'null' for value: null"
    );
    assert_eq!(
        items("{'foo': 'bar'}"),
        "The JSONata expression '{'foo': 'bar'}' specified for the field 'Items' returned an unexpected result type. Expected 'array', but was 'object' for value: {\"foo\":\"bar\"}"
    );
    assert_eq!(
        items("'string'"),
        "The JSONata expression ''string'' specified for the field 'Items' returned an unexpected result type. Expected 'array', but was 'string' for value: \"string\""
    );
    assert_eq!(
        items("$fn := function($x){$x}"),
        "The JSONata expression '$fn := function($x){$x}' specified for the field 'Items' returned an unsupported result type."
    );
    assert_eq!(
        JsonataExpr::owned("[1, 2]").array(&scope, "Items").unwrap(),
        vec![json!(1), json!(2)]
    );
    assert!(
        JsonataExpr::owned("1 = 1")
            .boolean(&scope, "Condition")
            .unwrap()
    );
    assert!(
        JsonataExpr::owned("1")
            .boolean(&scope, "Condition")
            .is_err()
    );
    assert_eq!(
        JsonataExpr::owned("'E'").string(&scope, "Error").unwrap(),
        "E"
    );
    assert_eq!(
        JsonataExpr::owned("$variable := 1")
            .number(&scope, "MaxConcurrency")
            .unwrap()
            .as_i64(),
        Some(1)
    );
}

#[test]
fn templates_evaluate_leaves_and_name_fields_as_aws() {
    static A: JsonataExpr = JsonataExpr::new("$states.input.a");
    static MISSING: JsonataExpr = JsonataExpr::new("$states.input.nope");
    static T: JsonataTemplate = JsonataTemplate::Object(&[
        ("z", JsonataTemplate::Expr(&A)),
        ("lit", JsonataTemplate::Str("$.not.a.path")),
        (
            "list",
            JsonataTemplate::Array(&[
                JsonataTemplate::Int(1),
                JsonataTemplate::Expr(&A),
                JsonataTemplate::Null,
            ]),
        ),
        ("b", JsonataTemplate::Bool(true)),
    ]);
    static BAD: JsonataTemplate = JsonataTemplate::Object(&[(
        "a",
        JsonataTemplate::Object(&[(
            "b",
            JsonataTemplate::Array(&[JsonataTemplate::Expr(&MISSING)]),
        )]),
    )]);
    let input = json!({"a": "A"});
    let scope = JsonataScope::new(&input, &Value::Null);
    let out = T.eval(&scope, "Output").unwrap();
    assert_eq!(
        out.to_string(),
        r#"{"z":"A","lit":"$.not.a.path","list":[1,"A",null],"b":true}"#
    );
    let e = BAD.eval(&scope, "Output").unwrap_err();
    assert_eq!(
        e.cause(),
        Some(
            "The JSONata expression '$states.input.nope' specified for the field 'Output/a/b[0]' returned nothing (undefined)."
        )
    );
    // The same from plain JSON (corpus LIST_RICH).
    let template = json!([null, 0, 0.1, true, "string", [], "$nosuchvar", "$.no.such.path", "{% $states.input %}", {"key": "{% true %}"}]);
    assert_eq!(
        eval_json_template(&template, &scope, "Output").unwrap(),
        json!([null, 0, 0.1, true, "string", [], "$nosuchvar", "$.no.such.path", {"a": "A"}, {"key": true}])
    );
}

#[test]
fn objects_keep_member_order() {
    let input: Value =
        serde_json::from_str(r#"{"z": 1, "a": 2, "m": {"y": 1, "b": 2, "k": 3}}"#).unwrap();
    assert_eq!(
        value("$states.input", input.clone()).to_string(),
        input.to_string()
    );
    assert_eq!(
        value("$states.input.m", input.clone()).to_string(),
        r#"{"y":1,"b":2,"k":3}"#
    );
    assert_eq!(
        value("{'b': 1, 'a': 2, 'c': 3}", json!({})).to_string(),
        r#"{"b":1,"a":2,"c":3}"#
    );
    assert_eq!(
        value(
            "$merge([$states.input.p1, $states.input.p2])",
            json!({"p1": {"hello": "world"}, "p2": {"foo": "bar"}})
        )
        .to_string(),
        r#"{"hello":"world","foo":"bar"}"#
    );
    assert_eq!(
        value("{'x': $states.input}", input.clone()).to_string(),
        format!(r#"{{"x":{input}}}"#)
    );
}

#[test]
fn values_handed_back_unchanged_stay_exact() {
    // JSONata computes in f64; a value passed through is the input's own JSON.
    let input = json!({"big": 9007199254740993u64, "list": [9007199254740993u64, 0.1]});
    assert_eq!(
        value("$states.input.big", input.clone()),
        json!(9007199254740993u64)
    );
    assert_eq!(value("$states.input", input.clone()), input);
    assert_eq!(
        value("$states.input.list", input.clone()),
        json!([9007199254740993u64, 0.1])
    );
    // Computed values are f64, as on AWS past the `long` range.
    assert_eq!(
        value("$states.input.big + 0", input.clone()),
        json!(9007199254740992u64)
    );
    // `$states` as a whole holds every member the scope has. It goes through the
    // full evaluator, whose numbers are doubles, as in JavaScript.
    let context = json!({"c": 1});
    let whole = JsonataExpr::owned("$states")
        .evaluate(&JsonataScope::new(&input, &context))
        .unwrap()
        .unwrap();
    assert_eq!(
        whole["input"],
        json!({"big": 9007199254740992u64, "list": [9007199254740992u64, 0.1]})
    );
    assert_eq!(whole["context"], context);
    assert!(whole.get("result").is_none());
}

#[test]
fn partition_as_aws() {
    let p = |a: Value, n: Value| {
        eval(
            "$partition($states.input.a, $states.input.n)",
            json!({"a": a, "n": n}),
        )
        .unwrap()
    };
    assert_eq!(p(json!([0, 1, 2]), json!(2)), Some(json!([[0, 1], [2]])));
    assert_eq!(
        p(json!([0, 1, 2, 3]), json!(4)),
        Some(json!([[0, 1, 2, 3]]))
    );
    assert_eq!(p(json!([0]), json!(5)), Some(json!([[0]])));
    assert_eq!(p(json!([0, 1, 2]), json!(2.9)), Some(json!([[0, 1], [2]])));
    assert_eq!(p(json!([0, 1]), json!(0)), None);
    assert_eq!(p(json!([]), json!(2)), None);
    assert_eq!(threw("$partition([1], 'x')").0, "T0410");
}

#[test]
fn range_as_aws() {
    assert_eq!(value("$range(0, 9, 3)", json!({})), json!([0, 3, 6, 9]));
    assert_eq!(value("$range(0, 10, 3)", json!({})), json!([0, 3, 6, 9]));
    assert_eq!(value("$range(1, 9, 9)", json!({})), json!(1));
    assert_eq!(value("$range(5, 1, -2)", json!({})), json!([5, 3, 1]));
    assert_eq!(value("$range(-1.7, 2, 1)", json!({})), json!([-1, 0, 1, 2]));
    assert_eq!(eval("$range(1, 5, -1)", json!({})).unwrap(), None);
    assert_eq!(eval("$range(1, 5)", json!({})).unwrap(), None);
    assert_eq!(eval("$range(1, 5, 0)", json!({})).unwrap(), None);
    assert!(eval("$range(1, 360145, 1)", json!({})).is_ok());
    assert!(eval("$range(1, 360146, 1)", json!({})).is_err());
}

#[test]
fn hash_random_uuid_parse_as_aws() {
    assert_eq!(
        value("$hash('abc', 'MD5')", json!({})),
        json!("900150983cd24fb0d6963f7d28e17f72")
    );
    assert_eq!(
        value("$hash('abc', 'SHA-1')", json!({})),
        json!("a9993e364706816aba3e25717850c26c9cd0d89d")
    );
    assert_eq!(
        value("$hash('abc', 'SHA-256')", json!({})),
        json!("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    );
    assert_eq!(
        value("$length($hash('abc', 'SHA-384'))", json!({})),
        json!(96)
    );
    assert_eq!(
        value("$length($hash('abc', 'SHA-512'))", json!({})),
        json!(128)
    );
    assert_eq!(threw("$hash('abc', 'sha-256')").0, "T0410");
    assert_eq!(eval("$hash('abc')", json!({})).unwrap(), None);

    let seeded = value("$random(7)", json!({}));
    assert_eq!(seeded, value("$random(7)", json!({})));
    assert_ne!(seeded, value("$random(8)", json!({})));
    for text in ["$random()", "$random(7)", "$random(-3)"] {
        let r = value(text, json!({})).as_f64().unwrap();
        assert!((0.0..1.0).contains(&r), "{text} gave {r}");
    }
    // `$random` is rebound only where it is used; the block keeps results intact.
    assert_eq!(value("[$random(1), 2][1]", json!({})), json!(2));

    let uuid = value("$uuid()", json!({}));
    let uuid = uuid.as_str().unwrap();
    assert_eq!(uuid.len(), 36);
    assert_eq!(&uuid[14..15], "4");

    let parse = |text: &str| value("$parse($states.input.t)", json!({"t": text}));
    assert_eq!(parse("1"), json!(1));
    assert_eq!(parse("true"), json!(true));
    assert_eq!(parse("\"HelloWorld\""), json!("HelloWorld"));
    assert_eq!(parse("[1, 2, \"HelloWorld\"]"), json!([1, 2, "HelloWorld"]));
    assert_eq!(
        parse("{\"Arg1\": 1, \"Arg2\": []}").to_string(),
        r#"{"Arg1":1,"Arg2":[]}"#
    );
    assert!(eval("$parse('{')", json!({})).is_err());
}

#[test]
fn jsonata_functions_the_crate_lacks_are_provided() {
    assert_eq!(value("$type(1)", json!({})), json!("number"));
    assert_eq!(value("$type(null)", json!({})), json!("null"));
    assert_eq!(value("$type([])", json!({})), json!("array"));
    assert_eq!(value("$type(function(){1})", json!({})), json!("function"));
    assert_eq!(value("$average([1, 2, 6])", json!({})), json!(3));
    assert_eq!(
        value("$spread({'a': 1, 'b': 2})", json!({})),
        json!([{"a": 1}, {"b": 2}])
    );
    // Member order from the input: `$keys`, `$each`, `$spread` list members as given.
    let input: Value = serde_json::from_str(r#"{"o": {"z": 1, "a": 2, "m": 3}}"#).unwrap();
    assert_eq!(
        value("$keys($states.input.o)", input.clone()),
        json!(["z", "a", "m"])
    );
    assert_eq!(
        value(
            "$each($states.input.o, function($v, $k){$k & $v})",
            input.clone()
        ),
        json!(["z1", "a2", "m3"])
    );
    assert_eq!(
        value("$spread($states.input.o)", input.clone()).to_string(),
        r#"[{"z":1},{"a":2},{"m":3}]"#
    );
    // An object the expression builds lists its members in written order, as
    // jsonata-js does.
    assert_eq!(
        value("$keys({'b': 1, 'a': 2})", json!({})),
        json!(["b", "a"])
    );
    assert_eq!(
        value("$sift({'a': 1, 'b': -1}, function($v){$v > 0})", json!({})),
        json!({"a": 1})
    );
    assert_eq!(value("$count($shuffle([1, 2, 3]))", json!({})), json!(3));
    assert_eq!(value("$formatBase(255, 16)", json!({})), json!("ff"));
    assert_eq!(value("$formatBase(-5, 2)", json!({})), json!("-101"));
    assert_eq!(
        value("$encodeUrlComponent('a b/c?')", json!({})),
        json!("a%20b%2Fc%3F")
    );
    assert_eq!(
        value("$encodeUrl('https://x.org/a b?q=1')", json!({})),
        json!("https://x.org/a%20b?q=1")
    );
    assert_eq!(
        value("$decodeUrlComponent('a%20b%2Fc')", json!({})),
        json!("a b/c")
    );
    assert_eq!(threw("$decodeUrl('%E0%A4%A')").0, "D3140");
    // jsonata-rs's `$round` and `$now` panic on these; the guards answer first.
    assert_eq!(eval("$round()", json!({})).unwrap(), None);
    assert_eq!(threw("$round('x')").0, "T0410");
    assert_eq!(value("$round(2.5)", json!({})), json!(2));
    assert_eq!(value("$round(2.71828, 2)", json!({})), json!(2.72));
    // Numbers as AWS writes them: in full below 1e21, with an exponent from there.
    assert_eq!(
        value("$string(1e20)", json!({})),
        json!("100000000000000000000")
    );
    assert_eq!(value("$string(1e21)", json!({})), json!("1e+21"));
    assert_eq!(value("$string(-1.5e22)", json!({})), json!("-1.5e+22"));
    assert_eq!(value("$string(12)", json!({})), json!("12"));
    assert_eq!(
        value("$states.input.items.$string()", json!({"items": [1, 2]})),
        json!(["1", "2"])
    );
    assert_eq!(
        value("$states.input.items.$round()", json!({"items": [1.5, 2.5]})),
        json!([2, 2])
    );
    assert_eq!(value("$string('a')", json!({})), json!("a"));
    assert_eq!(
        value("$string({'a': 1}, true)", json!({})),
        json!("{\n  \"a\": 1\n}")
    );
    assert_eq!(threw("$now(1)").0, "T0410");
    assert_eq!(threw("$now('[Y]', true)").0, "T0410");
    assert_eq!(value("$length($now()) > 20", json!({})), json!(true));
    assert_eq!(
        value(
            "$now('[Y0001]', '+0000') = $fromMillis($millis(), '[Y0001]')",
            json!({})
        ),
        json!(true)
    );
    // jsonata-rs's own `$substring` and `$pad` panic or abort on these.
    assert_eq!(value("$substring('😀ab', 1)", json!({})), json!("ab"));
    assert_eq!(value("$substring('abc', 99)", json!({})), json!(""));
    assert_eq!(value("$substring('abcdef', -3, 2)", json!({})), json!("de"));
    assert_eq!(value("$substring('abc', 1, -1)", json!({})), json!(""));
    assert_eq!(value("$substring('hello', 1, 2)", json!({})), json!("el"));
    assert_eq!(value("$pad('x', 3, '#')", json!({})), json!("x##"));
    assert_eq!(value("$pad('😀', -3, 'ab')", json!({})), json!("ab😀"));
    assert_eq!(value("$pad('abc', 2)", json!({})), json!("abc"));
    assert_eq!(
        threw("$pad('x', 99999999999)"),
        (
            "D3137".into(),
            "Expression evaluation memory limit exceeded".into()
        )
    );
}

#[test]
fn jsonata_semantics_through_the_crate() {
    let input = json!({"items": [1, 2, 3], "o": {"k": "v"}, "people": [{"n": "a", "age": 30}, {"n": "b", "age": 20}]});
    let v = |text: &str| value(text, input.clone());
    assert_eq!(v("$states.input.items[$ > 1]"), json!([2, 3]));
    assert_eq!(v("$states.input.items.($ * 2)"), json!([2, 4, 6]));
    assert_eq!(v("$sum($states.input.items)"), json!(6));
    assert_eq!(v("$states.input.people[age > 25].n"), json!("a"));
    assert_eq!(v("$states.input.people^(age).n"), json!(["b", "a"]));
    assert_eq!(v("$contains('hello$world', /^hello\\$/)"), json!(true));
    assert_eq!(v("$number('2')"), json!(2));
    assert_eq!(v("$not($states.input.o.k = 'v')"), json!(false));
    assert_eq!(v("$states.input.items ~> $count()"), json!(3));
    assert_eq!(
        v("($f := function($n){$n <= 1 ? 1 : $n * $f($n - 1)}; $f(5))"),
        json!(120)
    );
    assert_eq!(
        v("$join($map($states.input.people, function($p){$p.n}), ',')"),
        json!("a,b")
    );
    assert_eq!(
        v("$states.input.o ~> |$|{'n': 1}|"),
        json!({"k": "v", "n": 1})
    );
}

#[test]
fn hostile_expressions_fail_cleanly() {
    // The parent operator, partial application and calls of anything callable
    // run as in JSONata (jsonata-rs, the evaluator before, refused them).
    assert_eq!(
        value("$states.input.o.a.%.b", json!({"o": {"a": 1, "b": 2}})),
        json!(2)
    );
    assert_eq!(value("$substring(?, 1)('abc')", json!({})), json!("bc"));
    assert_eq!(value("function($x){$x}(1)", json!({})), json!(1));
    assert_eq!(value("λ($x){$x} (2)", json!({})), json!(2));
    // Calling what is not a function fails cleanly, with JSONata's code.
    for text in [
        "'x'(1)",
        "true ()",
        "2.5(1)",
        "{}()",
        "$f(1)(2)",
        "$fns[0](1)",
        "($f)(1)",
    ] {
        assert_eq!(threw(text).0, "T1006", "{text}");
    }
    for text in ["*()", "**(1)", "1 #$i ()", "/a/ @$o ()"] {
        assert!(
            !matches!(eval(text, json!({})), Err(Failure::Threw { ref code, .. }) if code == "U1002"),
            "{text}"
        );
    }
    // Calls of names and variables, and grouping after operators, still parse.
    assert_eq!(value("$sum([1]) + ($count([1, 2]))", json!({})), json!(3));
    assert_eq!(
        value(
            "$states.input.a and ($states.input.a or false)",
            json!({"a": true})
        ),
        json!(true)
    );
    assert_eq!(
        value("$states.input.items.($ * 2)", json!({"items": [1]})),
        json!(2)
    );
    assert_eq!(
        value("$states.input.o.* * 2", json!({"o": {"a": 3}})),
        json!(6)
    );
    assert_eq!(
        value("$states.input.**.a", json!({"o": {"a": 3}})),
        json!(3)
    );
    assert_eq!(
        value("$states.input.items#$i[$i > 0]", json!({"items": [1, 2]})),
        json!(2)
    );
    assert_eq!(value("$states.input.in", json!({"in": 1})), json!(1));
    // A lambda passed or bound is fine, and so are objects and blocks called on.
    assert_eq!(
        value("($f := function($x){$x * 2}; $f(2))", json!({})),
        json!(4)
    );
    assert_eq!(
        value("$map([1, 2], function($x){ {'v': $x} })", json!({})),
        json!([{"v": 1}, {"v": 2}])
    );
    // The conditional operator's `?` is not a placeholder.
    assert_eq!(
        value("$states.input.a > 1 ? 'big' : 'small'", json!({"a": 2})),
        json!("big")
    );
    // Nesting that would overflow the parser's stack.
    let deep = format!("{}1{}", "(".repeat(5000), ")".repeat(5000));
    assert_eq!(threw(&deep).0, "U1001");
    // `%` as the remainder operator still works.
    assert_eq!(value("$states.input.a % 4", json!({"a": 10})), json!(2));
    for text in [
        "",
        "   ",
        "$",
        "$$",
        "$states.",
        "(",
        "[1,",
        "{'a'",
        "'unterminated",
        "/regex",
        "1 +",
        "$f(",
        "function($x",
        "a..b",
        "[1..]",
        "$[",
        "@",
        "#",
        "^(a)",
        "~>",
        "|$|{}|",
    ] {
        match JsonataExpr::owned(text).evaluate(&JsonataScope::new(&json!({}), &Value::Null)) {
            Err(Failure::Threw { code, .. }) => {
                assert_ne!(code, "U1002", "internal failure on '{text}'")
            }
            Err(Failure::UnsupportedResult) | Ok(_) => {}
        }
    }
}

#[test]
fn endless_recursion_and_long_loops_stop_without_overflowing_a_task_stack() {
    // A 2 MiB stack, as a Tokio worker thread has.
    let handle = std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(|| {
            let started = Instant::now();
            let endless = eval("($f := function($n){$n + $f($n + 1)}; $f(0))", json!({}));
            let elapsed = started.elapsed();
            (endless, elapsed)
        })
        .unwrap();
    let (endless, elapsed) = handle.join().expect("no stack overflow");
    assert!(
        matches!(endless, Err(Failure::Threw { ref code, .. }) if code == "U1001"),
        "{endless:?}"
    );
    assert!(elapsed < Duration::from_secs(10));
    // AWS accepts a sum of 100 terms.
    let sum = vec!["1"; 100].join("+");
    assert_eq!(value(&sum, json!({})), json!(100));
}

#[test]
fn the_shortcut_for_literals_and_plain_paths_agrees_with_the_evaluator() {
    let input = json!({
        "a": {"b": {"c": 1}}, "arr": [[1, 2], [3]], "one": [0], "empty": [], "n": null,
        "s": "text", "objs": [{"x": 1}, {"x": 2}], "f": 0.5, "t": true
    });
    let context = json!({"Map": {"Item": {"Index": 0, "Value": {"k": "v"}}}});
    let result = json!({"Payload": {"ok": [1]}});
    let mut variables = Map::new();
    variables.insert("ItemsVar".into(), json!(["Item1", "Item2"]));
    variables.insert("obj".into(), json!({"q": [1]}));
    variables.insert("nothing".into(), Value::Null);
    let scope = JsonataScope::new(&input, &context)
        .with_result(&result)
        .with_variables(&variables);
    let expressions = [
        "true",
        "false",
        "null",
        "1",
        "0.1",
        "-2",
        "\"s\"",
        "[]",
        "[1, [2]]",
        "{\"a\": [1, {\"b\": null}]}",
        "$states.input",
        "$states.input.a.b.c",
        "$states.input.a.b.c.d",
        "$states.input.arr",
        "$states.input.one",
        "$states.input.empty",
        "$states.input.n",
        "$states.input.n.x",
        "$states.input.s",
        "$states.input.s.x",
        "$states.input.objs",
        "$states.input.objs.x",
        "$states.input.f",
        "$states.input.t",
        "$states.input.missing",
        "$states.result.Payload.ok",
        "$states.errorOutput",
        "$states.context.Map.Item.Value",
        "$states.context.Map.Item.Index",
        "$ItemsVar",
        "$obj.q",
        "$nothing",
        "$missingVar",
        "$sum",
    ];
    for text in expressions {
        let expr = JsonataExpr::owned(text);
        assert_eq!(
            expr.evaluate(&scope),
            expr.evaluate_without_shortcut(&scope),
            "'{text}' differs between the shortcut and the evaluator"
        );
    }
}

#[test]
fn only_the_input_members_an_expression_names_are_converted_and_answers_do_not_change() {
    let input: Value = serde_json::from_str(
        r#"{"z": 0, "a": 5, "items": [{"v": 1}, {"v": 2}], "o": {"k": "v"}, "other": [1, 2, 3]}"#,
    )
    .unwrap();
    let v = |text: &str| value(text, input.clone());
    assert_eq!(v("$states.input.a + $count($states.input.items)"), json!(7));
    assert_eq!(v("$states.input . a * 2"), json!(10));
    assert_eq!(v("$states.input.items[1].v"), json!(2));
    assert_eq!(v("$states.input.items.v"), json!([1, 2]));
    assert_eq!(v("$exists($states.input.nope.deeper)"), json!(false));
    // A use of the whole input next to a member read converts the whole input.
    assert_eq!(
        v("[$states.input.a, $count($keys($states.input))]"),
        json!([5, 5])
    );
    assert_eq!(
        v("$keys($states.input)"),
        json!(["z", "a", "items", "o", "other"])
    );
    assert_eq!(
        v("$states.input.o ~> |$|{'n': 1}|"),
        json!({"k": "v", "n": 1})
    );
    assert_eq!(v("$sum($states.input.other[$ > 1])"), json!(5));
    let array_input = json!([{"a": 1}, {"a": 2}]);
    assert_eq!(value("$states.input.a", array_input.clone()), json!([1, 2]));
    assert_eq!(value("$states.input[1].a", array_input), json!(2));
    let context = json!({"Execution": {"Input": {"x": 3}}, "State": {"Name": "S"}});
    let scope = JsonataScope::new(&input, &context);
    assert_eq!(
        JsonataExpr::owned("$states.context.Execution.Input.x + $states.input.a")
            .value(&scope, "Output")
            .unwrap(),
        json!(8)
    );
}

/// Random token strings (a fixed xorshift sequence, so a failure reproduces): no
/// expression may reach a panic inside jsonata-rs (`U1002`, caught) — each shape
/// that did (`$round()`, `$now(1)`, `'x'()`, `*()`, ...) is refused or guarded.
#[test]
fn token_soup_never_reaches_a_panic_in_the_evaluator() {
    let tokens = [
        "$states.input",
        ".",
        "a",
        "items",
        "[",
        "]",
        "(",
        ")",
        "{",
        "}",
        "'x'",
        "\"y\"",
        "1",
        "0",
        "-1",
        "2.5",
        "+",
        "-",
        "*",
        "/",
        "%",
        "&",
        "=",
        "!=",
        "<",
        ">",
        "<=",
        ">=",
        "and",
        "or",
        "in",
        "?",
        ":",
        ";",
        ",",
        "$x",
        ":=",
        "~>",
        "|",
        "^(",
        "#$i",
        "@$o",
        "*",
        "**",
        "..",
        "true",
        "null",
        "function($v){",
        "$v",
        "$sum(",
        "$count(",
        "$string(",
        "$substring(",
        "$split(",
        "$join(",
        "$map(",
        "$filter(",
        "$reduce(",
        "$keys(",
        "$merge(",
        "$lookup(",
        "$each(",
        "$sort(",
        "$number(",
        "$replace(",
        "$match(",
        "/a+/",
        "$partition(",
        "$range(",
        "$hash(",
        "$parse(",
        "$zip(",
        "$append(",
        "$distinct(",
        "$single(",
        "$spread(",
        "$sift(",
        "$round(",
        "$power(",
        "$sqrt(",
        "$formatBase(",
        "$pad(",
        "$trim(",
        "$contains(",
        "$exists(",
        "$boolean(",
        "$not(",
        "$abs(",
        "$floor(",
        "$max(",
        "$min(",
        "$average(",
        "$type(",
        "$fromMillis(",
        "$toMillis(",
        "$now(",
        "$base64decode(",
        "$decodeUrl(",
        "$encodeUrl(",
        "$uppercase(",
        "$lowercase(",
        "$length(",
        "$reverse(",
        "$shuffle(",
        "$error(",
        "$assert(",
        "$substringBefore(",
        "$substringAfter(",
        "`b`",
        "[]",
        "{}",
        "'😀'",
        "1e308",
        "-0",
        "$states.input.items",
        "$states.input.o",
    ];
    let input =
        json!({"a": 1, "items": [1, "s", {"b": [2]}, null], "o": {"k": [1, 2], "z": "😀x"}});
    let scope = JsonataScope::new(&input, &Value::Null);
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    let mut internal = Vec::new();
    for _ in 0..20_000 {
        let mut text = String::new();
        for _ in 0..1 + next(8) {
            text.push_str(tokens[next(tokens.len())]);
            text.push(' ');
        }
        if next(2) == 0 {
            for c in text.clone().chars().rev() {
                match c {
                    '(' => text.push(')'),
                    '[' => text.push(']'),
                    '{' => text.push('}'),
                    _ => {}
                }
            }
        }
        let expr = JsonataExpr::owned(text.clone());
        let parser_panicked = matches!(expr.check(), Err(Failure::Threw { ref message, .. }) if message.contains("internal error"));
        let evaluator_panicked = matches!(expr.evaluate(&scope), Err(Failure::Threw { ref code, .. }) if code == "U1002");
        if parser_panicked || evaluator_panicked {
            internal.push(text);
        }
    }
    assert!(
        internal.is_empty(),
        "the evaluator panicked on: {internal:#?}"
    );
}

/// The native subset (`jsonata::compiled`) against the full evaluator: the same
/// value, or both nothing, for each expression of the subset; where native code
/// bails, the evaluator's error comes back unchanged.
#[test]
fn native_evaluation_agrees_with_the_evaluator() {
    let input = json!({
        "sku": "A-1", "qty": 3, "price": 9.99, "tags": ["red", "big"],
        "items": [{"n": 1, "tags": ["a"]}, {"n": 2, "tags": ["b", "c"]}, {"m": 3}],
        "nested": [[{"n": 4}], [{"n": 5}]],
        "one": [{"n": [7]}], "o": {"z": 1, "a": 2}, "text": "  Hello   World ",
        "s": "a,b,,c", "big": 1e300, "neg": -2.5, "empty": [], "t": true, "nul": null,
        "json": "{\"a\": [1, 2.0]}"
    });
    let mut variables = Map::new();
    variables.insert("bonus".into(), json!(10));
    variables.insert("list".into(), json!([3, 1, 2]));
    let context = json!({"Execution": {"Name": "run-1"}});
    let scope = JsonataScope::new(&input, &context).with_variables(&variables);
    let cases = [
        "$states.input.sku",
        "$states.input.items.n",
        "$states.input.items.tags",
        "$states.input.nested.n",
        "$states.input.one.n",
        "$states.input.items.missing",
        "$states.context.Execution.Name",
        "$bonus + $states.input.qty * 2",
        "$states.input.qty / 4 - 1 % 3",
        "-$states.input.neg",
        "$states.input.qty = 3 and $states.input.sku != 'B'",
        "$states.input.missing = 1 or $states.input.t",
        "$states.input.qty > 2 ? 'many' : 'few'",
        "$states.input.qty < 2 ? 'few'",
        "'a' < 'b' and 'b' >= 'b'",
        "$states.input.items = [{'n': 1, 'tags': ['a']}]",
        "{'x': 1} = {'x': 1.0}",
        "$states.input.sku & '-' & $states.input.qty & $states.input.missing",
        "'v' & $states.input.tags & true & null & {'k': 1}",
        "[$states.input.tags, [1, 2], $states.input.missing, 3]",
        "{'sku': $states.input.sku, 'total': $round($states.input.qty * $states.input.price * 1.2, 2), 'tags': $uppercase($join($states.input.tags, ','))}",
        "{'a': $states.input.missing, 'b': null}",
        "$string($states.input.price * 3)",
        "$string($states.input.big)",
        "$string(1e21) & $string(0.0000001) & $string(123.456e5)",
        "$number('12.5e1') + $number(true)",
        "$boolean($states.input.empty) or $boolean([0, ''])",
        "$not($states.input.text)",
        "$exists($states.input.nul) and $exists($states.input.missing) = false",
        "[$round(2.5), $round(3.5), $round(-2.5), $round(1.005, 2), $round(1250, -2)]",
        "[$floor(-1.5), $ceil(1.2), $abs(-3)]",
        "[$sum($list), $max($list), $min($list), $average($list), $count($list), $count(5), $count($states.input.missing)]",
        "$sum($states.input.empty)",
        "$max($states.input.empty)",
        "$append($list, 4)",
        "$append($states.input.missing, [1])",
        "$join($states.input.tags)",
        "$length('héllo') + $length('')",
        "$lowercase('ÀB') & $uppercase('straße')",
        "$trim($states.input.text)",
        "[$substring('hello', 1, 3), $substring('hello', -3), $substring('hello', -10, 2), $substring('hello', 2, 0), $substring('héllo', 1)]",
        "$substringBefore('a-b-c', '-') & $substringAfter('a-b-c', '-') & $substringAfter('abc', 'x')",
        "$contains($states.input.sku, '-')",
        "[$split($states.input.s, ','), $split('abc', ''), $split($states.input.s, ',', 2)]",
        "$split('a', ',')",
        "$keys($states.input.o)",
        "$keys({'only': 1})",
        "$keys($states.input.items)",
        "$merge([$states.input.o, {'a': 5, 'b': 6}])",
        "$map($states.input.items, function($v, $i) { $v.n ? $v.n * 10 + $i : $i })",
        "$map([1], function($v) { [$v] })",
        "$map($states.input.missing, function($v) { $v })",
        "$filter($states.input.items, function($v) { $v.n > 1 })",
        "$filter($list, function($v, $i, $a) { $i < $count($a) - 1 })",
        "$reduce($list, function($acc, $v) { $acc + $v })",
        "$reduce($list, function($acc, $v, $i) { $acc & $i }, 'x')",
        "$partition($list, 2)",
        "$range(0, 10, 3)",
        "$range(5, 5, 1)",
        "$hash('abc', 'SHA-256')",
        "$random(7)",
        "$parse($states.input.json)",
        "$count($uuid()) = 1",
        "$states.input.items[0]",
        "$states.input.items[-1].m",
        "$states.input.items.tags[0]",
        "$states.input.items[5]",
        "$states.input.tags[1]",
        "$split($states.input.s, ',')[-1]",
        "($states.input.items.n)[1]",
        "$list[0] + $list[-1]",
        "$states.input.nested[1].n",
        // What native code bails on: the evaluator's error.
        "$states.input.sku * 2",
        "$sum($states.input.tags)",
        "$states.input.qty / 0",
        "$uppercase($states.input.qty)",
        "$hash('a', 'SHA-3')",
        "$states.input.t > 1",
        "$parse('{')",
    ];
    let mut differ = Vec::new();
    for text in cases {
        let expr = JsonataExpr::owned(text);
        assert!(expr.is_native(), "{text} should be in the native subset");
        let native = expr.evaluate(&scope);
        let evaluator = JsonataExpr::owned(text).evaluate_without_shortcut(&scope);
        if native != evaluator {
            differ.push(format!(
                "{text}\n  native:    {native:?}\n  evaluator: {evaluator:?}"
            ));
        }
    }
    assert!(differ.is_empty(), "{}", differ.join("\n"));
    // Where the full evaluator departs from JSONata (jsonata-js, what AWS runs),
    // native code gives JSONata's answer.
    let known = [
        // jsonata-core 2.2.13 gives `null` for `$reduce` of an empty array with
        // no initial value; jsonata-js gives undefined.
        (
            "$reduce($states.input.empty, function($a, $b) { $a + $b }) = null",
            json!(false),
        ),
        ("$string($states.input.o)", json!("{\"z\":1,\"a\":2}")),
        (
            "$string($states.input.o, true)",
            json!("{\n  \"z\": 1,\n  \"a\": 2\n}"),
        ),
        // A `$map` or `$filter` in a `$map` lambda's tail position is a tail
        // call: its sequence is kept as it is, even of one value or none
        // (checked against jsonata-js 2).
        (
            "$map($states.input.items, function($item) { $map($item.tags, function($t) { $t & $item.n }) })",
            json!([["a1"], ["b2", "c2"]]),
        ),
        (
            "$map([1], function($v) { $map([$v], function($w) { $w }) })",
            json!([1]),
        ),
        (
            "$map([1, 2], function($v) { $filter('a', function($x) { true }) }) & 'E'",
            json!("[[\"a\"],[\"a\"]]E"),
        ),
        (
            "$map(true, function($x) { $bonus > 0 ? $filter('', function($y) { true }) : 0 })",
            json!([""]),
        ),
    ];
    for (text, expected) in known {
        let expr = JsonataExpr::owned(text);
        assert!(expr.is_native(), "{text} should be in the native subset");
        assert_eq!(expr.evaluate(&scope), Ok(Some(expected)), "{text}");
    }
}

/// Data 100,000 levels deep, in a variable and in `$states.input`, and built by
/// an expression, fails the evaluation cleanly (the conversions stop at the
/// 128-level data depth) instead of overflowing the stack. The test itself builds
/// and drops the deep JSON on a thread with room for serde_json's recursion.
#[test]
fn data_100_000_levels_deep_fails_cleanly() {
    std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(|| {
            // (Not `json!`: it copies a value it is given, which is quadratic here.)
            let mut deep = json!(1);
            for _ in 0..100_000 {
                let mut member = serde_json::Map::new();
                member.insert("a".to_owned(), Value::Array(vec![deep]));
                deep = Value::Object(member);
            }
            let mut variables = serde_json::Map::new();
            variables.insert("deep".to_owned(), deep.clone());
            let context = json!({});
            let scope = JsonataScope::new(&deep, &context).with_variables(&variables);
            for text in [
                "$deep ~> $type()",
                "$states.input ~> $type()",
                "$string($states.input)",
                "$reduce([1..1000], function($acc, $i) { {'a': $acc} }, {})",
            ] {
                let got = JsonataExpr::owned(text).evaluate_without_shortcut(&scope);
                assert!(
                    matches!(got, Err(Failure::Threw { ref code, .. }) if code == "U1001"),
                    "{text}: {got:?}"
                );
            }
            drop(variables);
            // serde_json drops by recursion: unwind the nesting by hand.
            let mut stack = vec![deep];
            while let Some(value) = stack.pop() {
                match value {
                    Value::Object(map) => stack.extend(map.into_iter().map(|(_, v)| v)),
                    Value::Array(items) => stack.extend(items),
                    _ => {}
                }
            }
        })
        .unwrap()
        .join()
        .unwrap();
}
