//! `asl test` and `asl test-state`: a definition on the command line, built
//! into a program by `asl!` (the first run builds it), run with a Step
//! Functions Local MockConfigFile test case, or one state as TestState does.

use std::path::PathBuf;
use std::process::Command;

use serde_json::{Value, json};

fn workflows() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/workflows")
}

fn asl(args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_asl"))
        .args(args)
        .output()
        .expect("run asl");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn asl_test_runs_a_mock_config_test_case() {
    let flow = workflows().join("mocked.asl.json");
    let mocks = workflows().join("mock/MockConfigFile.json");
    let (flow, mocks) = (flow.to_str().unwrap(), mocks.to_str().unwrap());
    // The state machine's name defaults to the file's: here it is `Mocked`.
    let run = |case: &str| {
        asl(&[
            "test",
            flow,
            "--mock-config",
            mocks,
            "--test-case",
            case,
            "--state-machine",
            "Mocked",
            "--input",
            r#"{"order": 7}"#,
            "--no-retry-delays",
        ])
    };
    let (code, stdout, stderr) = run("RetryPath");
    assert_eq!(code, Some(0), "{stderr}");
    let output: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        output,
        json!({"order": 7, "charge": {"status": "paid late"}, "notify": {"notified": "sent"}})
    );
    assert!(
        stderr.contains("enter  Charge\nenter  Notify\n"),
        "{stderr}"
    );
    let (code, stdout, _) = run("CatchPath");
    assert_eq!(code, Some(0));
    assert_eq!(
        serde_json::from_str::<Value>(&stdout).unwrap()["refund"],
        json!("refunded")
    );
    // Notify unmocked, and no handler on the command line: the execution
    // fails, with AWS's error and cause, exit 1.
    let (code, _, stderr) = run("HybridPath");
    assert_eq!(code, Some(1));
    assert!(
        stderr.contains("error: States.Runtime") && stderr.contains("No task handler"),
        "{stderr}"
    );
    // A test case the file does not have.
    let (code, _, stderr) = run("Nope");
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("no test case `Nope`"), "{stderr}");
}

#[test]
fn asl_test_state_prints_teststate_response() {
    let flow = workflows().join("mocked.asl.json");
    let flow = flow.to_str().unwrap();
    let (code, stdout, stderr) = asl(&[
        "test-state",
        flow,
        "--state",
        "Charge",
        "--input",
        r#"{"order": 7}"#,
        "--mock-result",
        r#"{"StatusCode": 200, "Payload": {"status": "paid"}}"#,
    ]);
    assert_eq!(code, Some(0), "{stderr}");
    let r: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(r["status"], "SUCCEEDED");
    assert_eq!(r["nextState"], "Notify");
    assert_eq!(
        serde_json::from_str::<Value>(r["output"].as_str().unwrap()).unwrap(),
        json!({"order": 7, "charge": {"status": "paid"}})
    );
    assert_eq!(
        r["inspectionData"]["afterResultSelector"],
        r#"{"status":"paid"}"#
    );
    let (_, stdout, _) = asl(&[
        "test-state",
        flow,
        "--state",
        "Charge",
        "--mock-error",
        "Lambda.TooManyRequestsException",
        "--mock-cause",
        "Rate exceeded",
    ]);
    let r: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        (r["status"].as_str(), r["error"].as_str()),
        (Some("RETRIABLE"), Some("Lambda.TooManyRequestsException"))
    );
    let (code, _, stderr) = asl(&["test-state", flow, "--state", "Nope"]);
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("`Nope` is not a top-level state"),
        "{stderr}"
    );
}

#[test]
fn asl_run_runs_a_definition_once() {
    let flow = workflows().join("counter.asl.json");
    let flow = flow.to_str().unwrap();
    // No Task: nothing to mock, no integration to build in.
    let (code, stdout, stderr) = asl(&["run", flow, "--input", r#"{"n": 2}"#]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(
        serde_json::from_str::<Value>(&stdout).unwrap(),
        json!({"count": 2, "n": 2})
    );
    // Progress as it happens, on stderr: entered and exited, around the loop.
    assert!(
        stderr.contains(
            "enter  Init\nexit   Init\nenter  Increment\nexit   Increment\nenter  More?\nexit   More?\n\
             enter  Increment\nexit   Increment\nenter  More?\nexit   More?\nenter  Done\nexit   Done\n"
        ),
        "{stderr}"
    );
    // The input from a file.
    let dir = std::env::temp_dir().join(format!("asl-run-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let input = dir.join("input.json");
    std::fs::write(&input, r#"{"n": 1}"#).unwrap();
    let (code, stdout, stderr) = asl(&["run", flow, "--input", &format!("@{}", input.display())]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(
        serde_json::from_str::<Value>(&stdout).unwrap(),
        json!({"count": 1, "n": 1})
    );
    // A failing execution: AWS's error and cause, exit 1, nothing on stdout.
    let (code, stdout, stderr) = asl(&["run", flow, "--input", "{}"]);
    assert_eq!(code, Some(1), "{stderr}");
    assert_eq!(stdout, "");
    assert!(
        stderr.contains("enter  Init\n")
            && stderr.contains("error: States.Runtime\ncause: ")
            && stderr.contains("$.n"),
        "{stderr}"
    );
    // Input that is not JSON, a missing input file: usage errors (exit 2)
    // before anything runs.
    let (code, _, stderr) = asl(&["run", flow, "--input", "{n"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("--input is not JSON"), "{stderr}");
    let (code, _, stderr) = asl(&["run", flow, "--input", "@/nonexistent/input.json"]);
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("--input: cannot read /nonexistent/input.json"),
        "{stderr}"
    );
    // A definition that does not check: its problems, located; exit 1.
    let bad = dir.join("bad.asl.json");
    std::fs::write(
        &bad,
        "{\n  \"StartAt\": \"A\",\n  \"States\": {\n    \"A\": {\"Type\": \"Pass\", \"Next\": \"B\"}\n  }\n}\n",
    )
    .unwrap();
    let (code, stdout, _) = asl(&["run", bad.to_str().unwrap()]);
    assert_eq!(code, Some(1));
    assert!(
        stdout.contains("bad.asl.json:4:") && stdout.contains("asl::unknown-next-state"),
        "{stdout}"
    );
    let (code, _, stderr) = asl(&["run", "/nonexistent/flow.asl.json"]);
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("cannot read /nonexistent/flow.asl.json"),
        "{stderr}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn asl_run_with_a_mock_test_case() {
    // The same program as `asl test` builds for the definition.
    let flow = workflows().join("mocked.asl.json");
    let mocks = workflows().join("mock/MockConfigFile.json");
    let (flow, mocks) = (flow.to_str().unwrap(), mocks.to_str().unwrap());
    let run = |case: &str| {
        asl(&[
            "run",
            flow,
            "--mock-config",
            mocks,
            "--test-case",
            case,
            "--state-machine",
            "Mocked",
            "--input",
            r#"{"order": 7}"#,
        ])
    };
    let (code, stdout, stderr) = run("HappyPath");
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(
        serde_json::from_str::<Value>(&stdout).unwrap(),
        json!({"order": 7, "charge": {"status": "paid"}, "notify": {"notified": "sent"}})
    );
    assert!(
        stderr.contains("enter  Charge\nexit   Charge\nenter  Notify\nexit   Notify\n"),
        "{stderr}"
    );
    // Notify unmocked: the execution fails with AWS's error and cause, exit 1.
    let (code, stdout, stderr) = run("HybridPath");
    assert_eq!(code, Some(1), "{stderr}");
    assert_eq!(stdout, "");
    assert!(
        stderr.contains("enter  Notify\n")
            && stderr.contains("error: States.Runtime\ncause: ")
            && stderr.contains("No task handler"),
        "{stderr}"
    );
    // A test case needs its mock config, and the other way round.
    let (code, _, stderr) = asl(&["run", flow, "--test-case", "HappyPath"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("--mock-config"), "{stderr}");
}

#[test]
fn asl_expand_prints_the_generated_code() {
    // The code `asl!` generates, formatted as the snapshots are: the
    // stored snapshot of the same definition is exactly it.
    let flow = workflows().join("counter.asl.json");
    let (code, stdout, stderr) = asl(&["expand", flow.to_str().unwrap(), "--name", "Counter"]);
    assert_eq!(code, Some(0), "{stderr}");
    let snapshot = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/snapshots/counter.rs"),
    )
    .unwrap();
    assert_eq!(stdout, snapshot);
    // The type is named after the file by default.
    let (code, stdout, _) = asl(&["expand", flow.to_str().unwrap()]);
    assert_eq!(code, Some(0));
    assert!(stdout.contains("pub struct Counter;"), "{stdout}");
    // A declared resource is the program's to serve: no feature gate for it.
    let flow = workflows().join("jsonpath-catch-assign.asl.json");
    let flow = flow.to_str().unwrap();
    let (code, stdout, _) = asl(&["expand", flow]);
    assert_eq!(code, Some(0));
    assert!(stdout.contains("require_feature!"), "{stdout}");
    let (code, stdout, stderr) = asl(&[
        "expand",
        flow,
        "--resource",
        "arn:aws:lambda:us-east-1:123456789012:function:charge",
        "--name",
        "JsonPathCatchAssign",
    ]);
    assert_eq!(code, Some(0), "{stderr}");
    let snapshot = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../tests/snapshots/json_path_catch_assign.rs"),
    )
    .unwrap();
    assert_eq!(stdout, snapshot);
    // A type name that is not Rust.
    let (code, stdout, stderr) = asl(&["expand", flow, "--name", "my-flow"]);
    assert_eq!((code, stdout.as_str()), (Some(1), ""));
    assert!(stderr.contains("asl::invalid-type-name"), "{stderr}");
    // A definition that does not check: its problems, located, on stderr.
    let dir = std::env::temp_dir().join(format!("asl-expand-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.asl.json");
    std::fs::write(
        &bad,
        "{\n  \"StartAt\": \"A\",\n  \"States\": {\n    \"A\": {\"Type\": \"Task\", \"Resource\": \"arn:aws:states:::nope:thing\", \"End\": true}\n  }\n}\n",
    )
    .unwrap();
    let (code, stdout, stderr) = asl(&["expand", bad.to_str().unwrap()]);
    assert_eq!((code, stdout.as_str()), (Some(1), ""));
    assert!(stderr.contains("bad.asl.json:4:"), "{stderr}");
    std::fs::remove_dir_all(&dir).unwrap();
}
