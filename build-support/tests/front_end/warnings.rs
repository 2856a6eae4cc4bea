//! Warnings: what may be wrong on some path only (`asl::path-maybe-absent`,
//! `asl::variable-maybe-unassigned`), one case that must be warned about and
//! one that must not per rule; how `asl check`, the Builder and `asl!` show
//! them, and `deny_warnings` / `--deny warnings` making them errors.

use asl_build::{CheckOptions, Severity, load_reporting};

fn def(states: &str) -> String {
    format!(r#"{{"StartAt": "A", "States": {{{states}}}}}"#)
}

/// The warnings of a definition that must load: (rule, pointer, message).
#[track_caller]
fn warnings(src: &str) -> Vec<(String, String, String)> {
    match load_reporting(
        src.as_bytes(),
        "t.asl.json",
        &CheckOptions::allowing_undeclared(),
    ) {
        Ok(loaded) => {
            assert!(loaded.warnings.iter().all(|d| d.is_warning()));
            loaded
                .warnings
                .iter()
                .map(|d| {
                    (
                        d.rule.name().to_string(),
                        d.origin.pointer.clone(),
                        d.message.clone(),
                    )
                })
                .collect()
        }
        Err(d) => panic!("expected the definition to load, got:\n{d}\n{src}"),
    }
}

#[track_caller]
fn assert_one_warning(src: &str, rule: &str, pointer: &str, text: &str) {
    let found = warnings(src);
    assert_eq!(found.len(), 1, "{found:?}\n{src}");
    assert_eq!(found[0].0, rule, "{found:?}");
    assert_eq!(found[0].1, pointer, "{found:?}");
    assert!(found[0].2.contains(text), "{found:?}");
}

#[track_caller]
fn assert_no_warning(src: &str) {
    let found = warnings(src);
    assert!(found.is_empty(), "{found:?}\n{src}");
}

/// A Task whose Catch leads to `target` (its `{Error, Cause}` in place of the
/// input), and whose success keeps the input (`ResultPath: null`).
fn caught_into(target: &str, catch_result_path: &str) -> String {
    format!(
        r#""Call": {{"Type": "Task", "Resource": "arn:aws:states:::sns:publish",
            "Parameters": {{"TopicArn": "arn:aws:sns:us-east-1:123456789012:t", "Message": "m"}},
            "ResultPath": null, "Next": "{target}",
            "Catch": [{{"ErrorEquals": ["States.ALL"], "Next": "{target}"{catch_result_path}}}]}}"#
    )
}

#[test]
fn a_path_absent_on_one_edge_is_a_warning() {
    let src = |catch_result_path: &str, path: &str| {
        def(&format!(
            r#""A": {{"Type": "Pass", "Result": {{"order": {{"id": 7}}}}, "Next": "Call"}},
               {},
               "B": {{"Type": "Pass", "Parameters": {{"x.$": "{path}"}}, "End": true}}"#,
            caught_into("B", catch_result_path)
        ))
    };
    // The Catch replaces the input with {Error, Cause}: `$.order` is there
    // from "Call"'s Next, not from its Catch.
    assert_one_warning(
        &src("", "$.order.id"),
        "asl::path-maybe-absent",
        "/States/B/Parameters/x.$",
        "`$.order.id` is absent when state \"B\" is entered from \"Call\" through its Catch #1: the input has no field order",
    );
    // With `ResultPath: "$.error"` the Catch keeps the input: no warning.
    assert_no_warning(&src(r#", "ResultPath": "$.error""#, "$.order.id"));
    // Read where every edge has it: no warning (`$.Error` on the Catch's
    // edge is an `Error` no input of the Next edge lacks for certain).
    assert_no_warning(&src(r#", "ResultPath": "$.error""#, "$.order"));
    // Absent on every edge: an error, not a warning.
    let err = load_reporting(
        src("", "$.nothing").as_bytes(),
        "t.asl.json",
        &CheckOptions::allowing_undeclared(),
    )
    .unwrap_err();
    assert!(
        err.iter()
            .all(|d| d.rule == "asl::path-never-present" && !d.is_warning()),
        "{err}"
    );
}

#[test]
fn unknown_data_on_the_other_edge_is_no_warning() {
    // From the execution input (unknown) and from a Pass that has `id`:
    // nobody described the input, so nothing is said about it.
    assert_no_warning(&def(
        r#""A": {"Type": "Choice", "Choices": [{"Variable": "$.go", "BooleanEquals": true, "Next": "P"}], "Default": "B"},
           "P": {"Type": "Pass", "Result": {"id": 1}, "Next": "B"},
           "B": {"Type": "Pass", "Parameters": {"x.$": "$.id"}, "End": true}"#,
    ));
    // Two known shapes, one without the key: a Choice's branches.
    assert_one_warning(
        &def(
            r#""A": {"Type": "Pass", "Result": {"kind": "a"}, "Next": "C"},
               "C": {"Type": "Choice", "Choices": [{"Variable": "$.kind", "StringEquals": "a", "Next": "P"}], "Default": "B"},
               "P": {"Type": "Pass", "Result": {"id": 1}, "Next": "B"},
               "B": {"Type": "Pass", "Parameters": {"x.$": "$.id"}, "End": true}"#,
        ),
        "asl::path-maybe-absent",
        "/States/B/Parameters/x.$",
        "entered from \"C\" through its Default",
    );
}

#[test]
fn warnings_inside_a_map_iteration() {
    // The iteration's own states are checked edge by edge too.
    assert_one_warning(
        &def(r#""A": {"Type": "Pass", "Result": [1, 2], "Next": "M"},
               "M": {"Type": "Map", "ItemProcessor": {"StartAt": "I", "States": {
                   "I": {"Type": "Pass", "Result": {"n": 1}, "Next": "C"},
                   "C": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericEquals": 1, "Next": "J"}], "Default": "K"},
                   "J": {"Type": "Pass", "Result": {"m": 2}, "Next": "K"},
                   "K": {"Type": "Pass", "InputPath": "$.m", "End": true}}},
                 "End": true}"#),
        "asl::path-maybe-absent",
        "/States/M/ItemProcessor/States/K/InputPath",
        "entered from \"C\" through its Default",
    );
}

#[test]
fn a_variable_assigned_on_some_paths_is_a_warning() {
    // Assigned by the Choice rule taken to "S" only.
    let choice = |default_assign: &str| {
        def(&format!(
            r#""A": {{"Type": "Choice", "Choices": [{{"Variable": "$.a", "NumericEquals": 1, "Next": "S", "Assign": {{"v": 1}}}}], "Default": "B"{default_assign}}},
               "S": {{"Type": "Pass", "Next": "B"}},
               "B": {{"Type": "Pass", "Parameters": {{"x.$": "$v"}}, "End": true}}"#
        ))
    };
    assert_one_warning(
        &choice(""),
        "asl::variable-maybe-unassigned",
        "/States/B/Parameters/x.$",
        "`$v` reads the variable `v`, which is not assigned when state \"B\" is entered from \"A\" through its Default",
    );
    // The Choice's own Assign is made when its Default is taken.
    assert_no_warning(&choice(r#", "Assign": {"v": 0}"#));
    // A Task's own Assign is not made when it fails and a Catch takes over.
    let task = |catch_assign: &str| {
        def(&format!(
            r#""A": {{"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {{"FunctionName": "f"}},
                     "Assign": {{"status": "ok"}}, "Next": "B",
                     "Catch": [{{"ErrorEquals": ["States.ALL"], "Next": "B"{catch_assign}}}]}},
               "B": {{"Type": "Pass", "Parameters": {{"s.$": "$status"}}, "End": true}}"#
        ))
    };
    assert_one_warning(
        &task(""),
        "asl::variable-maybe-unassigned",
        "/States/B/Parameters/s.$",
        "entered from \"A\" through its Catch #1",
    );
    assert_no_warning(&task(r#", "Assign": {"status": "failed"}"#));
}

#[test]
fn variables_assigned_on_every_path_are_no_warning() {
    // Assigned before the paths part, read after they meet.
    assert_no_warning(&def(
        r#""A": {"Type": "Pass", "Assign": {"v": 1}, "Next": "C"},
           "C": {"Type": "Choice", "Choices": [{"Variable": "$.a", "NumericEquals": 1, "Next": "S"}], "Default": "B"},
           "S": {"Type": "Pass", "Assign": {"v": 2}, "Next": "B"},
           "B": {"Type": "Pass", "Parameters": {"x.$": "$v"}, "End": true}"#,
    ));
    // A loop whose first entry already has it.
    assert_no_warning(&def(
        r#""A": {"Type": "Pass", "Assign": {"n": 0}, "Next": "L"},
           "L": {"Type": "Pass", "Parameters": {"n.$": "$n"}, "Assign": {"n": 1}, "Next": "C"},
           "C": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericLessThan": 3, "Next": "L"}], "Default": "D"},
           "D": {"Type": "Succeed"}"#,
    ));
    // A Map iteration sees what every path to the Map assigned.
    assert_no_warning(&def(
        r#""A": {"Type": "Pass", "Assign": {"outer": 1}, "Result": [1], "Next": "M"},
           "M": {"Type": "Map", "ItemProcessor": {"StartAt": "I", "States": {
                "I": {"Type": "Pass", "Parameters": {"o.$": "$outer"}, "End": true}}}, "End": true}"#,
    ));
    // An Assign JSONata computes may assign anything: nothing to say after it.
    assert_no_warning(&def(
        r#""A": {"Type": "Choice", "Choices": [{"Variable": "$.a", "NumericEquals": 1, "Next": "S", "Assign": {"v": 1}}], "Default": "J"},
           "J": {"Type": "Pass", "QueryLanguage": "JSONata", "Assign": "{% {'v': 2} %}", "Next": "B"},
           "S": {"Type": "Pass", "Next": "B"},
           "B": {"Type": "Pass", "Parameters": {"x.$": "$v"}, "End": true}"#,
    ));
}

#[test]
fn deny_warnings_makes_them_errors() {
    let src = def(&format!(
        r#""A": {{"Type": "Pass", "Result": {{"id": 1}}, "Next": "Call"}},
           {},
           "B": {{"Type": "Pass", "InputPath": "$.id", "End": true}}"#,
        caught_into("B", "")
    ));
    let mut options = CheckOptions::allowing_undeclared();
    let loaded = load_reporting(src.as_bytes(), "t.asl.json", &options).unwrap();
    assert_eq!(loaded.warnings.len(), 1);
    // `load` and `load_with` accept it: a warning does not refuse.
    assert!(asl_build::load(src.as_bytes(), "t.asl.json").is_ok());
    options.deny_warnings = true;
    let err = load_reporting(src.as_bytes(), "t.asl.json", &options).unwrap_err();
    assert_eq!(err.len(), 1);
    assert_eq!(err.items[0].severity, Severity::Error);
    assert!(err.to_string().starts_with("error[asl::path-maybe-absent]"));
    assert!(
        loaded
            .warnings
            .to_string()
            .starts_with("warning[asl::path-maybe-absent]: `$.id` is absent"),
        "{}",
        loaded.warnings
    );
    assert_eq!(loaded.warnings.to_json()[0]["severity"], "warning");
}

/// A definition with one warning, in a temporary folder: (folder, file).
fn warning_file(name: &str) -> (std::path::PathBuf, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("asl-warnings-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("flow.asl.json");
    let src = def(&format!(
        r#""A": {{"Type": "Pass", "Result": {{"id": 1}}, "Next": "Call"}},
           {},
           "B": {{"Type": "Pass", "InputPath": "$.id", "End": true}}"#,
        caught_into("B", "")
    ));
    std::fs::write(&file, src).unwrap();
    (dir, file)
}

#[test]
fn asl_check_prints_warnings_and_passes_unless_denied() {
    let (dir, file) = warning_file("cli");
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_asl"))
            .arg("check")
            .args(args)
            .arg(&file)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (code, out) = run(&[]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("warning[asl::path-maybe-absent]"), "{out}");
    assert!(out.contains("ok (1 warning)"), "{out}");
    let (code, out) = run(&["--deny", "warnings"]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("error[asl::path-maybe-absent]"), "{out}");
    let (code, out) = run(&["--format", "json"]);
    assert_eq!(code, Some(0), "{out}");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["valid"], true);
    assert_eq!(doc["files"][0]["diagnostics"][0]["severity"], "warning");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_builder_reports_warnings_and_denies_them_when_asked() {
    let (dir, file) = warning_file("builder");
    let mut builder = asl_build::Builder::new();
    builder
        .workflow("Flow", &file)
        .out_dir(dir.join("out"))
        .emit_rerun_if_changed(false);
    let (written, warnings) = builder.compile_reporting().unwrap();
    assert_eq!(written.len(), 1);
    assert_eq!(warnings.len(), 1);
    let lines = asl_build::builder::cargo_warnings(&warnings[0]);
    assert_eq!(lines.len(), 1);
    assert!(
        lines[0].contains("flow.asl.json:")
            && lines[0].contains(": asl::path-maybe-absent: `$.id` is absent")
            && !lines[0].contains('\n'),
        "{lines:?}"
    );
    builder.deny_warnings(true);
    let err = builder.compile_reporting().unwrap_err();
    assert_eq!(err.diagnostics().len(), 1);
    assert_eq!(err.diagnostics()[0].items[0].rule, "asl::path-maybe-absent");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_macro_warns_at_the_path_and_denies_when_asked() {
    let (dir, file) = warning_file("macro");
    let path = file.display().to_string();
    let expand = |extra: &str| {
        let input: proc_macro2::TokenStream = format!("Flow = {path:?}{extra}").parse().unwrap();
        asl_build::codegen::input::expand(input, None).to_string()
    };
    let warned = expand("");
    // A used deprecated item per warning, its note the rendered warning.
    assert!(warned.contains("deprecated"), "{warned}");
    assert!(
        warned.contains("asl::path-maybe-absent: `$.id` is absent"),
        "{warned}"
    );
    assert!(!warned.contains("compile_error"), "{warned}");
    let denied = expand(", deny_warnings");
    assert!(denied.contains("compile_error"), "{denied}");
    assert!(denied.contains("asl::path-maybe-absent"), "{denied}");
    std::fs::remove_dir_all(&dir).unwrap();
}
