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
