//! The programs as a user runs them: `run-sample` (the one command of the README,
//! minus the build) and `manage-eks-cluster` with its flags, their exit status,
//! stdout, stderr and `--history` file.
//!
//! Needs moto (`bash scripts/setup-moto`); prints a skip line without it, unless
//! `CI=true`.

use std::process::Stdio;

use serde_json::Value;

use asl_examples::sandbox::{ACCESS_KEY_ID, SECRET_ACCESS_KEY};

use crate::common::{EXPECTED_PATH, Endpoint, sample_against, sandbox_or_skip};

fn temp_path(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("asl-examples-{}-{name}", uuid::Uuid::new_v4()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_sample_shows_progress_the_message_and_the_history() {
    if asl_testkit::moto::find_moto_server().is_err() {
        // Same rule as the other tests (skip line, or failure under CI).
        let _ = sandbox_or_skip("run_sample_shows_progress_the_message_and_the_history").await;
        return;
    }
    let history = temp_path("history.json");
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_run-sample"))
        .args(["--progress", "plain", "--history"])
        .arg(&history)
        .env("ASL_SAMPLE_BIN", env!("CARGO_BIN_EXE_manage-eks-cluster"))
        .stdin(Stdio::null())
        .output()
        .await
        .expect("run-sample runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "exit {:?}\n{stdout}\n{stderr}",
        out.status
    );

    // Progress: every state of the expected path entered and left, in plain lines.
    for state in EXPECTED_PATH {
        assert!(
            stderr.contains(&format!("enter  {state}\n")),
            "{state}:\n{stderr}"
        );
        assert!(
            stderr.contains(&format!("leave  {state}  ")),
            "{state}:\n{stderr}"
        );
    }
    assert!(!stderr.contains("Send unexpected result"), "{stderr}");
    // The message read back from moto, after the execution's output JSON.
    assert!(
        stdout.contains("\nSaw expected value for pi: 3.14159"),
        "{stdout}"
    );
    let json_end = stdout.rfind("}\n").expect("output JSON");
    let output: Value = serde_json::from_str(&stdout[..json_end + 1]).expect("output is JSON");
    assert_eq!(output["Cluster"]["Name"], "ExampleCluster");
    // The stand-in's tokens start with this; none may be printed.
    assert!(!stdout.contains("asl-testkit-") && !stderr.contains("asl-testkit-"));

    let text = std::fs::read_to_string(&history).expect("history written");
    let _ = std::fs::remove_file(&history);
    let h: Value = serde_json::from_str(&text).expect("history is JSON");
    let events = h["events"].as_array().expect("events");
    assert_eq!(events[0]["type"], "ExecutionStarted");
    assert_eq!(events.last().unwrap()["type"], "ExecutionSucceeded");
    let scheduled: Vec<&str> = events
        .iter()
        .filter(|e| e["type"] == "TaskScheduled")
        .map(|e| e["taskScheduledEventDetails"]["resource"].as_str().unwrap())
        .collect();
    assert_eq!(
        scheduled,
        [
            "createCluster.sync",
            "createNodegroup.sync",
            "runJob.sync",
            "publish",
            "call",
            "deleteNodegroup.sync",
            "deleteCluster.sync"
        ]
    );
    assert!(!text.contains("asl-testkit-"), "no token in the history");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_token_fails_with_error_and_cause_and_status_1() {
    let Some(sandbox) =
        sandbox_or_skip("a_rejected_token_fails_with_error_and_cause_and_status_1").await
    else {
        return;
    };
    let wrong = temp_path("wrong-token");
    let wrong_token = format!("not-the-token-{}", uuid::Uuid::new_v4().simple());
    std::fs::write(&wrong, &wrong_token).unwrap();
    let out = sample_against(&sandbox, Endpoint::Flag)
        .args([
            "--cluster",
            &format!("ExampleCluster={}", sandbox.kube_endpoint()),
            "--cluster-ca-file",
        ])
        .arg(sandbox.ca_file())
        .arg("--cluster-token-file")
        .arg(&wrong)
        .args(["--progress", "plain", "{}"])
        .output()
        .await
        .expect("manage-eks-cluster runs");
    let _ = std::fs::remove_file(&wrong);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(stdout.is_empty(), "no output JSON on failure: {stdout}");
    assert!(stderr.contains("fail   Run a job on EKS"), "{stderr}");
    assert!(stderr.contains("  error: EKS.401\n"), "{stderr}");
    assert!(
        stderr.contains("  cause: ") && stderr.contains("Unauthorized"),
        "{stderr}"
    );
    assert!(
        !stderr.contains(&wrong_token),
        "the token must not be printed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kubeconfig_context_can_stand_for_the_cluster() {
    // Also: moto's URL comes from AWS_ENDPOINT_URL here, not --aws-endpoint.
    let Some(sandbox) = sandbox_or_skip("a_kubeconfig_context_can_stand_for_the_cluster").await
    else {
        return;
    };
    sandbox
        .create_topics(include_str!("../../manage-eks-cluster.asl.json"))
        .await
        .expect("topic");
    let kube = sandbox.kube();
    let kubeconfig = temp_path("kubeconfig");
    let yaml = format!(
        "apiVersion: v1\nkind: Config\ncurrent-context: elsewhere\n\
         clusters:\n- name: standin\n  cluster:\n    server: {}\n    certificate-authority-data: {}\n\
         users:\n- name: standin-user\n  user:\n    token: {}\n\
         contexts:\n- name: asl-standin\n  context:\n    cluster: standin\n    user: standin-user\n\
         - name: elsewhere\n  context:\n    cluster: standin\n    user: nobody\n",
        kube.endpoint(),
        kube.ca_base64(),
        kube.token().expect("token")
    );
    std::fs::write(&kubeconfig, yaml).unwrap();
    let out = sample_against(&sandbox, Endpoint::Env)
        .args(["--kube-context", "ExampleCluster=asl-standin"])
        .args(["--progress", "none"])
        .env("KUBECONFIG", &kubeconfig)
        .output()
        .await
        .expect("manage-eks-cluster runs");
    let _ = std::fs::remove_file(&kubeconfig);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.is_empty(),
        "--progress none prints nothing: {stderr}"
    );
    let messages = sandbox.sns_messages().await.expect("messages");
    assert_eq!(messages.len(), 1);
    assert!(
        messages[0]["Message"]
            .as_str()
            .unwrap()
            .contains("Saw expected value for pi: 3.14159")
    );
}

#[tokio::test]
async fn setup_errors_exit_2_with_a_message() {
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_manage-eks-cluster"))
            .args(args)
            .env("AWS_REGION", "sa-east-1")
            .stdin(Stdio::null())
            .output()
            .expect("runs")
    };
    let out = run(&["{not json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("the input argument is not valid JSON"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(&["--cluster", "ExampleCluster=https://127.0.0.1:1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("needs the API server's CA"));
    // A store that cannot be opened, or a server that does not answer: said at
    // once, with where.
    let with_credentials = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_manage-eks-cluster"))
            .args(args)
            .env("AWS_REGION", "sa-east-1")
            .env("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID)
            .env("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY)
            .stdin(Stdio::null())
            .output()
            .expect("runs")
    };
    let out = with_credentials(&["--store", "/nonexistent/asl/executions.db", "{}"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("--store /nonexistent/asl/executions.db: execution store: cannot open"),
        "{stderr}"
    );
    let out = with_credentials(&["--store", "postgres://asl@127.0.0.1:1/asl", "{}"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("cannot connect to PostgreSQL"), "{stderr}");
    // No credentials anywhere: a setup error at once, not a task failing and retrying.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_manage-eks-cluster"))
        .arg("{}")
        .env("AWS_REGION", "sa-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/nonexistent/asl-examples/config")
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/asl-examples/credentials",
        )
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_WEB_IDENTITY_TOKEN_FILE")
        .env_remove("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")
        .env_remove("AWS_CONTAINER_CREDENTIALS_FULL_URI")
        .stdin(Stdio::null())
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no usable AWS credentials"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(&["--help"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("Usage: manage-eks-cluster"));
}

#[test]
fn hello_greets_and_fails_without_a_name() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_hello"))
        .arg(r#"{"name": "world"}"#)
        .output()
        .expect("hello runs");
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(
        v,
        serde_json::json!({"name": "world", "greeting": "Hello, world!", "gesture": "wave"})
    );
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_hello"))
        .arg(r#"{"name": "Ada"}"#)
        .output()
        .expect("hello runs");
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["gesture"], "nod");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_hello"))
        .arg("{}")
        .output()
        .expect("hello runs");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "hello: Hello.NoName: The input has no `name` field.\n"
    );
}
