//! The sample as a durable execution, against moto and the Kubernetes API
//! stand-in: SIGKILLed while its Job runs and resumed by a new process (SQLite,
//! and two processes on PostgreSQL), stopped with cleanup, and redriven after a
//! failure at the SNS step. What moto and the stand-in saw is counted: one
//! cluster, one node group, one Job, one SNS message.

use std::process::Stdio;
use std::time::Duration;

use asl::asl;
use asl::runtime::exec::History;
use asl::runtime::store::{ExecutionStatus, ExecutionStore, SqliteStore};
use asl_examples::app::build_runtime;
use asl_examples::cli::Args;
use asl_examples::sandbox::{Sandbox, Tally};
use serde_json::{Value, json};

use crate::common::{EXPECTED_PATH, Endpoint, sample_against, sandbox_or_skip};

asl!(ManageEksCluster = "manage-eks-cluster.asl.json");

const SAMPLE: &str = include_str!("../../manage-eks-cluster.asl.json");
const ARN_PREFIX: &str = "arn:aws:states:sa-east-1:123456789012:execution:ManageEksCluster:";

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "asl-sample-durable-{name}-{}",
        uuid::Uuid::new_v4()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `manage-eks-cluster` against the sandbox, on `store`.
fn sample(sandbox: &Sandbox, store: &str, args: &[&str]) -> tokio::process::Command {
    let mut c = sample_against(sandbox, Endpoint::Flag);
    c.args(sandbox.cluster_args("ExampleCluster"))
        .args(["--progress", "none", "--lease", "1"])
        .args(["--store", store])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    c
}

/// Waits until the stand-in has a Job (the sample is in "Run a job on EKS").
async fn until_the_job_runs(sandbox: &Sandbox, child: &mut tokio::process::Child) {
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    while sandbox.kube().jobs().is_empty() {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("the sample ended ({status}) before its Job ran");
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no Job within 2 minutes"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn output_of(out: &std::process::Output) -> Value {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "exit {:?}\n{stdout}\n{stderr}",
        out.status
    );
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

/// Runs the sample on `store`, SIGKILLs it while its Job runs, and finishes the
/// execution with `--resume` in a new process.
async fn kill_and_resume(
    sandbox: &Sandbox,
    store: &str,
    name: &str,
    resume_args: &[&str],
) -> Value {
    sandbox.create_topics(SAMPLE).await.expect("topic");
    let mut first = sample(sandbox, store, &["--name", name]).spawn().unwrap();
    until_the_job_runs(sandbox, &mut first).await;
    first.start_kill().unwrap();
    let _ = first.wait().await;

    let mut args = vec!["--resume", "--name", name];
    args.extend_from_slice(resume_args);
    let out = sample(sandbox, store, &args).output().await.unwrap();
    let output = output_of(&out);
    assert_eq!(output["Cluster"]["Name"], "ExampleCluster");
    assert_eq!(
        sandbox.tally().await.unwrap(),
        Tally {
            clusters_created: 1,
            clusters_deleted: 1,
            nodegroups_created: 1,
            nodegroups_deleted: 1,
            jobs_created: 1,
            jobs_remaining: 0,
            sns_messages: 1,
        }
    );
    output
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_the_sample_killed_mid_job_finishes_on_resume() {
    let Some(sandbox) =
        sandbox_or_skip("sqlite_the_sample_killed_mid_job_finishes_on_resume").await
    else {
        return;
    };
    let dir = temp_dir("kill");
    let store = dir.join("executions.db");
    let store_text = store.display().to_string();
    let history = dir.join("history.json");
    let history_text = history.display().to_string();
    let output = kill_and_resume(
        &sandbox,
        &store_text,
        "killed",
        &["--history", &history_text],
    )
    .await;
    // `--history` of the resuming process holds the whole execution's history,
    // the killed process's events included.
    let h: Value = serde_json::from_str(&std::fs::read_to_string(&history).unwrap()).unwrap();
    let events = h["events"].as_array().unwrap();
    assert_eq!(events[0]["type"], "ExecutionStarted");
    assert_eq!(events.last().unwrap()["type"], "ExecutionSucceeded");
    assert_eq!(
        events
            .iter()
            .filter(|e| e["type"] == "TaskStateEntered")
            .count(),
        7,
        "each of the 7 Task states entered once"
    );

    // The same execution, entered each state once, as an uninterrupted run.
    let store = SqliteStore::open(&store).unwrap();
    let arn = format!("{ARN_PREFIX}killed");
    let record = store.describe(&arn).await.unwrap();
    assert_eq!(record.status, ExecutionStatus::Succeeded);
    assert_eq!(record.output.as_ref(), Some(&output));
    let history = store.history(&arn).await.unwrap();
    let entered: Vec<&str> = history
        .iter()
        .filter(|e| e.event_type.ends_with("StateEntered"))
        .filter_map(|e| e.state.as_deref())
        .collect();
    assert_eq!(entered, EXPECTED_PATH);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_another_process_takes_over_the_killed_sample() {
    let Ok(url) = std::env::var("ASL_POSTGRES_URL") else {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("ASL_POSTGRES_URL is required under CI=true (scripts/test starts PostgreSQL)");
        }
        eprintln!(
            "skipped postgres_another_process_takes_over_the_killed_sample: ASL_POSTGRES_URL is not set"
        );
        return;
    };
    let Some(sandbox) =
        sandbox_or_skip("postgres_another_process_takes_over_the_killed_sample").await
    else {
        return;
    };
    let name = format!("pg-{}", uuid::Uuid::new_v4());
    kill_and_resume(&sandbox, &url, &name, &[]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopping_with_cleanup_deletes_what_the_execution_created_only() {
    let Some(sandbox) =
        sandbox_or_skip("stopping_with_cleanup_deletes_what_the_execution_created_only").await
    else {
        return;
    };
    sandbox.create_topics(SAMPLE).await.expect("topic");
    // A cluster the execution did not create.
    let eks = aws_sdk_eks::Client::new(&sandbox.aws_config("sa-east-1"));
    eks.create_cluster()
        .name("SomeoneElsesCluster")
        .role_arn("arn:aws:iam::123456789012:role/other")
        .resources_vpc_config(
            aws_sdk_eks::types::VpcConfigRequest::builder()
                .subnet_ids("subnet-1")
                .build(),
        )
        .send()
        .await
        .expect("the other cluster");

    let dir = temp_dir("stop");
    let store = dir.join("executions.db").display().to_string();
    let mut child = sample(
        &sandbox,
        &store,
        &["--name", "stopped", "--cleanup-on-failure"],
    )
    .spawn()
    .unwrap();
    until_the_job_runs(&sandbox, &mut child).await;
    // Ctrl-C.
    let pid = child.id().expect("pid").to_string();
    let status = std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().await.unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("stopped (ABORTED)"), "{stderr}");

    let clusters = eks.list_clusters().send().await.unwrap();
    assert_eq!(clusters.clusters(), ["SomeoneElsesCluster"]);
    assert!(sandbox.kube().jobs().is_empty());
    let tally = sandbox.tally().await.unwrap();
    assert_eq!(
        (tally.clusters_deleted, tally.nodegroups_deleted),
        (1, 1),
        "{tally}"
    );

    let store = SqliteStore::open(&store).unwrap();
    let arn = format!("{ARN_PREFIX}stopped");
    let record = store.describe(&arn).await.unwrap();
    assert_eq!(record.status, ExecutionStatus::Aborted);
    assert_eq!(record.error.as_deref(), Some("Interrupted"));
    let history = store.history(&arn).await.unwrap();
    let deleted: Vec<&str> = history
        .iter()
        .filter(|e| e.event_type == "ResourceDeleted")
        .map(|e| e.details["kind"].as_str().unwrap())
        .collect();
    // Newest first.
    assert_eq!(deleted, ["kubernetes:job", "eks:nodegroup", "eks:cluster"]);
    assert!(store.created(&arn).await.unwrap().iter().all(|r| r.deleted));
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sample_failed_at_sns_is_redriven_without_a_second_cluster() {
    let Some(sandbox) =
        sandbox_or_skip("a_sample_failed_at_sns_is_redriven_without_a_second_cluster").await
    else {
        return;
    };
    let dir = temp_dir("redrive");
    let args = Args {
        clusters: vec![sandbox.cluster_mapping("ExampleCluster")],
        poll_interval: Some(Duration::from_millis(50)),
        store: Some(dir.join("executions.db").display().to_string()),
        ..Args::default()
    };
    let runtime = build_runtime(&sandbox.aws_config("sa-east-1"), &args, History::None)
        .await
        .expect("runtime");
    // No topic yet: the SNS step fails.
    let options = asl::ExecutionOptions::default().name("redriven");
    let failed = ManageEksCluster::run_with(&runtime, json!({}), options)
        .await
        .unwrap_err();
    assert!(
        failed.error().unwrap_or_default().starts_with("SNS."),
        "{failed}"
    );
    let arn = runtime.execution_arn::<ManageEksCluster>("redriven");
    let record = runtime.describe_execution(&arn).await.unwrap();
    assert_eq!(record.status, ExecutionStatus::Failed);
    assert_eq!(record.position.unwrap().state, "Send expected result");

    sandbox.create_topics(SAMPLE).await.expect("topic");
    runtime
        .redrive_execution::<ManageEksCluster>(&arn)
        .await
        .unwrap();
    let record = runtime.wait_for_execution(&arn).await.unwrap();
    assert_eq!(record.status, ExecutionStatus::Succeeded, "{record:?}");
    assert_eq!(record.redrive_count, 1);
    let tally = sandbox.tally().await.unwrap();
    assert_eq!(tally.clusters_created, 1, "{tally}");
    assert_eq!(tally.nodegroups_created, 1, "{tally}");
    assert_eq!(tally.jobs_created, 1, "{tally}");
    assert_eq!(tally.sns_messages, 1, "{tally}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_memory_cleanup_on_failure_deletes_what_the_run_created() {
    let Some(sandbox) =
        sandbox_or_skip("in_memory_cleanup_on_failure_deletes_what_the_run_created").await
    else {
        return;
    };
    let args = Args {
        clusters: vec![sandbox.cluster_mapping("ExampleCluster")],
        poll_interval: Some(Duration::from_millis(50)),
        cleanup_on_failure: true,
        ..Args::default()
    };
    let (history, events) = History::memory();
    let runtime = build_runtime(&sandbox.aws_config("sa-east-1"), &args, history)
        .await
        .expect("runtime");
    // No topic: the SNS step fails after the cluster, node group and Job exist.
    let failed = ManageEksCluster::run(&runtime, json!({}))
        .await
        .unwrap_err();
    assert!(
        failed.error().unwrap_or_default().starts_with("SNS."),
        "{failed}"
    );
    let eks = aws_sdk_eks::Client::new(&sandbox.aws_config("sa-east-1"));
    assert!(
        eks.list_clusters()
            .send()
            .await
            .unwrap()
            .clusters()
            .is_empty()
    );
    assert!(sandbox.kube().jobs().is_empty());
    let events = events.lock().unwrap();
    let deleted: Vec<&str> = events
        .iter()
        .filter(|e| e.event_type == asl::runtime::exec::EventType::ResourceDeleted)
        .map(|e| e.details["kind"].as_str().unwrap())
        .collect();
    assert_eq!(deleted, ["kubernetes:job", "eks:nodegroup", "eks:cluster"]);
    // Before the execution's end, as its last events.
    assert_eq!(
        events.last().unwrap().event_type.as_str(),
        "ExecutionFailed"
    );
}
