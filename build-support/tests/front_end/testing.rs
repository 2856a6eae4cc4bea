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
