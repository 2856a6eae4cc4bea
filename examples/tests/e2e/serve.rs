//! `manage-eks-cluster --serve`: the sample's workflow served over AWS Step
//! Functions' API, driven by the `aws-sdk-sfn` crate as a team's own tooling
//! would drive Step Functions: list, describe, start, wait, page the history.

use std::process::Stdio;
use std::time::Duration;

use aws_sdk_sfn::types::{ExecutionStatus, HistoryEventType};
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::common::{Endpoint, sample_against, sandbox_or_skip};

const SAMPLE: &str = include_str!("../../manage-eks-cluster.asl.json");
const KEY_ID: &str = "AKIDSAMPLESERVE";
const SECRET: &str = "sample-serve-secret";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn manage_eks_cluster_serves_its_workflow_to_aws_sdk_sfn() {
    let Some(sandbox) =
        sandbox_or_skip("manage_eks_cluster_serves_its_workflow_to_aws_sdk_sfn").await
    else {
        return;
    };
    sandbox.create_topics(SAMPLE).await.expect("topic");
    let dir = std::env::temp_dir().join(format!("asl-serve-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let secret_file = dir.join("secret");
    std::fs::write(&secret_file, format!("{SECRET}\n")).unwrap();
    let mut child = sample_against(&sandbox, Endpoint::Flag)
        .args(sandbox.cluster_args("ExampleCluster"))
        .args(["--serve", "127.0.0.1:0", "--store"])
        .arg(dir.join("executions.db"))
        .args(["--serve-key-id", KEY_ID, "--serve-secret-file"])
        .arg(&secret_file)
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("manage-eks-cluster starts");
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut url = None;
    while let Ok(Some(line)) = lines.next_line().await {
        if let Some((_, rest)) = line.split_once(" on http://") {
            url = rest
                .split_whitespace()
                .next()
                .map(|a| format!("http://{a}"));
            assert!(
                !line.contains(SECRET),
                "the secret is never printed: {line}"
            );
            break;
        }
    }
    let url = url.expect("the program says where it serves");
    let config = aws_sdk_sfn::Config::builder()
        .behavior_version(aws_sdk_sfn::config::BehaviorVersion::latest())
        .region(aws_sdk_sfn::config::Region::new("sa-east-1"))
        .credentials_provider(aws_sdk_sfn::config::Credentials::new(
            KEY_ID, SECRET, None, None, "test",
        ))
        .endpoint_url(&url)
        .build();
    let sfn = aws_sdk_sfn::Client::from_conf(config);

    let machines = sfn
        .list_state_machines()
        .send()
        .await
        .unwrap()
        .state_machines;
    assert_eq!(machines.len(), 1);
    assert_eq!(machines[0].name, "ManageEksCluster");
    let arn = machines[0].state_machine_arn.clone();
    let described = sfn
        .describe_state_machine()
        .state_machine_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(described.definition, SAMPLE);

    let started = sfn
        .start_execution()
        .state_machine_arn(&arn)
        .name("served-sample")
        .send()
        .await
        .unwrap();
    let execution = started.execution_arn;
    let mut status = ExecutionStatus::Running;
    for _ in 0..1200 {
        let d = sfn
            .describe_execution()
            .execution_arn(&execution)
            .send()
            .await
            .unwrap();
        status = d.status;
        if status != ExecutionStatus::Running {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(status, ExecutionStatus::Succeeded);

    let mut events = Vec::new();
    let mut token = None;
    loop {
        let page = sfn
            .get_execution_history()
            .execution_arn(&execution)
            .max_results(10)
            .set_next_token(token)
            .send()
            .await
            .unwrap();
        events.extend(page.events);
        token = page.next_token;
        if token.is_none() {
            break;
        }
    }
    assert_eq!(events[0].r#type, HistoryEventType::ExecutionStarted);
    assert_eq!(
        events.last().unwrap().r#type,
        HistoryEventType::ExecutionSucceeded
    );
    let resources: Vec<&str> = events
        .iter()
        .filter_map(|e| e.task_scheduled_event_details.as_ref())
        .map(|d| d.resource.as_str())
        .collect();
    assert_eq!(resources[0], "createCluster.sync");
    let messages = sandbox.sns_messages().await.expect("messages");
    assert!(
        messages.iter().any(|m| m["Message"]
            .as_str()
            .is_some_and(|t| t.contains("Saw expected value for pi: 3.14159"))),
        "{messages:?}"
    );
    child.kill().await.unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

/// `callback-server` with `args`, against the sandbox's moto, signing key
/// `KEY_ID`/`SECRET`; its endpoint URL once it listens.
async fn callback_server(
    sandbox: &asl_examples::sandbox::Sandbox,
    store: &std::path::Path,
) -> (tokio::process::Child, String) {
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_callback-server"))
        .args(["--listen", "127.0.0.1:0", "--lease", "1", "--store"])
        .arg(store)
        .env("AWS_ENDPOINT_URL", sandbox.aws_endpoint())
        .env("AWS_REGION", "sa-east-1")
        .env("AWS_ACCESS_KEY_ID", asl_examples::sandbox::ACCESS_KEY_ID)
        .env(
            "AWS_SECRET_ACCESS_KEY",
            asl_examples::sandbox::SECRET_ACCESS_KEY,
        )
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/nonexistent/asl-examples/config")
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/asl-examples/credentials",
        )
        .env_remove("AWS_PROFILE")
        .env("ASL_ENDPOINT_ACCESS_KEY_ID", KEY_ID)
        .env("ASL_ENDPOINT_SECRET_ACCESS_KEY", SECRET)
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("callback-server starts");
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        if let Some((_, address)) = line.split_once("listening on ") {
            let url = address.trim().to_string();
            // Keep reading stderr so the process never blocks on a full pipe.
            tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
            return (child, url);
        }
    }
    panic!("callback-server did not say where it listens");
}

fn sfn_client(url: &str) -> aws_sdk_sfn::Client {
    aws_sdk_sfn::Client::from_conf(
        aws_sdk_sfn::Config::builder()
            .behavior_version(aws_sdk_sfn::config::BehaviorVersion::latest())
            .region(aws_sdk_sfn::config::Region::new("sa-east-1"))
            .credentials_provider(aws_sdk_sfn::config::Credentials::new(
                KEY_ID, SECRET, None, None, "test",
            ))
            .endpoint_url(url)
            .build(),
    )
}

/// A workflow waits on `sqs:sendMessage.waitForTaskToken`; its serving
/// process is killed with SIGKILL; the token is read from moto's queue; a new
/// process answers SendTaskSuccess over the endpoint, and the execution ends
/// with the sent output, its message sent once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_callback_waits_across_a_sigkill_of_the_server() {
    let Some(sandbox) = sandbox_or_skip("a_callback_waits_across_a_sigkill_of_the_server").await
    else {
        return;
    };
    let sqs = aws_sdk_sqs::Client::new(&sandbox.aws_config("sa-east-1"));
    let queue = sqs
        .create_queue()
        .queue_name(format!("approvals-{}", uuid::Uuid::new_v4().simple()))
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let dir = std::env::temp_dir().join(format!("asl-callback-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let store = dir.join("executions.db");

    let (mut first, url) = callback_server(&sandbox, &store).await;
    let sfn = sfn_client(&url);
    let machine = sfn
        .list_state_machines()
        .send()
        .await
        .unwrap()
        .state_machines[0]
        .state_machine_arn
        .clone();
    let execution = sfn
        .start_execution()
        .state_machine_arn(&machine)
        .input(serde_json::json!({"queue": queue, "question": "ship it?"}).to_string())
        .send()
        .await
        .unwrap()
        .execution_arn;
    let received = sqs
        .receive_message()
        .queue_url(&queue)
        .wait_time_seconds(10)
        .send()
        .await
        .unwrap();
    let body: serde_json::Value =
        serde_json::from_str(received.messages()[0].body().unwrap()).unwrap();
    assert_eq!(body["question"], "ship it?");
    let token = body["token"].as_str().unwrap().to_string();
    first.kill().await.unwrap();

    let (_second, url) = callback_server(&sandbox, &store).await;
    let sfn = sfn_client(&url);
    let d = sfn
        .describe_execution()
        .execution_arn(&execution)
        .send()
        .await
        .unwrap();
    assert_eq!(d.status, ExecutionStatus::Running);
    sfn.send_task_success()
        .task_token(&token)
        .output(r#"{"shipped": true}"#)
        .send()
        .await
        .unwrap();
    let mut done = d;
    for _ in 0..300 {
        done = sfn
            .describe_execution()
            .execution_arn(&execution)
            .send()
            .await
            .unwrap();
        if done.status != ExecutionStatus::Running {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(done.status, ExecutionStatus::Succeeded, "{:?}", done.cause);
    let output: serde_json::Value = serde_json::from_str(done.output.as_deref().unwrap()).unwrap();
    assert_eq!(output["answer"], serde_json::json!({"shipped": true}));
    // The request went out once: the message read above is still invisible
    // (30 s), so any message now is a second send.
    let again = sqs
        .receive_message()
        .queue_url(&queue)
        .send()
        .await
        .unwrap();
    assert!(again.messages().is_empty(), "a second message: {again:?}");
    // The token is spent.
    let refused = sfn
        .send_task_success()
        .task_token(&token)
        .output("{}")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        aws_sdk_sfn::error::ProvideErrorMetadata::code(&refused),
        Some("TaskTimedOut")
    );
    let _ = std::fs::remove_dir_all(&dir);
}
