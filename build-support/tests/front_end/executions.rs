//! `asl executions` against a real SQLite store: StartExecution's name rules,
//! DescribeExecution, ListExecutions, GetExecutionHistory, StopExecution and
//! RedriveExecution, as JSON with AWS's field names.

use std::process::Command;

use serde_json::Value;

fn asl(store: &std::path::Path, args: &[&str]) -> (bool, Value, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_asl"))
        .arg("executions")
        .arg("--store")
        .arg(store)
        .args(args)
        .output()
        .expect("asl runs");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let json = serde_json::from_str(&stdout).unwrap_or(Value::Null);
    (out.status.success(), json, stderr)
}

#[test]
fn the_execution_api_over_a_store() {
    let dir = std::env::temp_dir().join(format!("asl-cli-executions-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let store = dir.join("executions.db");
    let definition = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/hello.asl.json");

    // Describing a store that does not exist says so.
    let (ok, _, stderr) = asl(&store, &["list"]);
    assert!(!ok && stderr.contains("no store at"), "{stderr}");
    // Create it, as a program given --store does.
    asl_runtime::store::SqliteStore::open(&store).unwrap();

    let start = |input: &str| {
        asl(
            &store,
            &[
                "start",
                "--definition",
                definition,
                "--workflow",
                "Hello",
                "--name",
                "first",
                "--input",
                input,
            ],
        )
    };
    let (ok, started, stderr) = start(r#"{"name": "Ada"}"#);
    assert!(ok, "{stderr}");
    let arn = started["executionArn"].as_str().unwrap().to_string();
    assert_eq!(
        arn,
        "arn:aws:states:us-east-1:123456789012:execution:Hello:first"
    );
    // The same name and input: the same execution; another input: refused.
    let (ok, again, _) = start(r#"{"name":"Ada"}"#);
    assert!(ok);
    assert_eq!(again, started);
    let (ok, _, stderr) = start(r#"{"name": "Grace"}"#);
    assert!(!ok && stderr.contains("ExecutionAlreadyExists"), "{stderr}");

    let (ok, described, _) = asl(&store, &["describe", &arn]);
    assert!(ok);
    assert_eq!(described["status"], "RUNNING");
    assert_eq!(described["input"], r#"{"name":"Ada"}"#);
    assert_eq!(described["currentState"], "Has a name?");
    assert_eq!(
        described["stateMachineArn"],
        "arn:aws:states:us-east-1:123456789012:stateMachine:Hello"
    );
    let (_, listed, _) = asl(&store, &["list", "--status", "RUNNING"]);
    assert_eq!(listed["executions"].as_array().unwrap().len(), 1);

    // Redrive is only for executions that stopped.
    let (ok, _, stderr) = asl(&store, &["redrive", &arn]);
    assert!(!ok && stderr.contains("ExecutionNotRedrivable"), "{stderr}");
    let (ok, _, _) = asl(
        &store,
        &["stop", &arn, "--error", "Operator", "--cause", "test"],
    );
    assert!(ok);
    let (_, described, _) = asl(&store, &["describe", &arn]);
    assert_eq!(described["status"], "ABORTED");
    assert_eq!(described["error"], "Operator");
    let (ok, _, _) = asl(&store, &["redrive", &arn]);
    assert!(ok);
    let (_, described, _) = asl(&store, &["describe", &arn]);
    assert_eq!(described["status"], "RUNNING");
    assert_eq!(described["redriveCount"], 1);
    let (_, history, _) = asl(&store, &["history", &arn]);
    let types: Vec<&str> = history["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        ["ExecutionStarted", "ExecutionAborted", "ExecutionRedriven"]
    );
    // AWS's shape: previousEventId and the *EventDetails objects.
    let events = history["events"].as_array().unwrap();
    let previous: Vec<u64> = events
        .iter()
        .map(|e| e["previousEventId"].as_u64().unwrap())
        .collect();
    assert_eq!(previous, [0, 1, 2]);
    assert_eq!(
        events[1]["executionAbortedEventDetails"]["error"],
        "Operator"
    );
    assert!(events[0]["executionStartedEventDetails"]["input"].is_string());
    let (ok, _, stderr) = asl(
        &store,
        &[
            "describe",
            "arn:aws:states:us-east-1:1:execution:Hello:none",
        ],
    );
    assert!(!ok && stderr.contains("ExecutionDoesNotExist"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}
