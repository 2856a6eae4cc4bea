//! End to end, in process: the sample compiled by `asl!` runs against moto and the
//! Kubernetes API stand-in, as `run-sample` does, and takes the branch the Job's
//! output decides.
//!
//! Needs moto (`bash scripts/setup-moto`); prints a skip line without it, unless
//! `CI=true`.

use std::time::Duration;

use asl::asl;
use asl::runtime::exec::{EventType, History, HistoryEvent, Runtime};
use asl_examples::app::build_runtime;
use asl_examples::cli::Args;
use asl_examples::sandbox::Sandbox;
use serde_json::{Value, json};

use crate::common::{EXPECTED_PATH, has_event, sandbox_or_skip, state_output, states_entered};

// With its input declared: `ManageEksClusterInput`, `ManageEksClusterOutput`
// (DeleteCluster's `{"Cluster": {...}}`, inferred) and `run_typed`.
asl!(
    ManageEksCluster = "manage-eks-cluster.asl.json",
    input = "manage-eks-cluster.input.schema.json"
);
// The same definition with a Job that prints 3.1 (`bpi(2)`) instead of pi to 20 digits.
asl!(OtherPi = "tests/fixtures/manage-eks-cluster-other-pi.asl.json");

const SAMPLE: &str = include_str!("../../manage-eks-cluster.asl.json");
const TOPIC: &str = "arn:aws:sns:sa-east-1:111122223333:StepFunctionsSample-EKSClusterManagement123456789012-SNSTopic-ANPAJ2UCCR6DPCEXAMPLE";

async fn runtime(
    sandbox: &Sandbox,
) -> (Runtime, std::sync::Arc<std::sync::Mutex<Vec<HistoryEvent>>>) {
    let created = sandbox.create_topics(SAMPLE).await.expect("topic created");
    assert_eq!(created, vec![TOPIC.to_string()]);
    let (history, events) = History::memory();
    let args = Args {
        clusters: vec![sandbox.cluster_mapping("ExampleCluster")],
        poll_interval: Some(Duration::from_millis(50)),
        ..Args::default()
    };
    let runtime = build_runtime(&sandbox.aws_config("sa-east-1"), &args, history)
        .await
        .expect("runtime");
    (runtime, events)
}

/// The published messages' `Input` texts (the sample publishes `{"Input": "..."}`).
async fn published(sandbox: &Sandbox) -> Vec<String> {
    sandbox
        .sns_messages()
        .await
        .expect("messages read back")
        .iter()
        .map(|m| {
            assert_eq!(m["TopicArn"], TOPIC);
            let body: Value = serde_json::from_str(m["Message"].as_str().expect("text"))
                .expect("the message is the JSON of the Message parameter");
            body["Input"].as_str().expect("Input").to_string()
        })
        .collect()
}

/// The Delete steps ran: the Job is gone from the API server, the node group and the
/// cluster from EKS.
async fn assert_cleaned_up(sandbox: &Sandbox, events: &[HistoryEvent], output: &Value) {
    // `$.ResponseBody.status` of the DELETE: the deleted Job's status (the API server
    // answers with the object while its finalizers run) or "Success" (a Status).
    let deleted = &state_output(events, "Delete job")["DeleteJobResult"];
    assert!(
        deleted["status"].is_object() || deleted["status"] == "Success",
        "{deleted}"
    );
    let ng = state_output(events, "Delete node group");
    assert_eq!(ng["Nodegroup"]["NodegroupName"], "ExampleNodegroup");
    assert_eq!(output["Cluster"]["Name"], "ExampleCluster");

    let kube = sandbox.kube();
    let client = asl_testkit::http::HttpClient::new(kube.endpoint(), Some(kube.ca_pem()))
        .expect("client")
        .with_bearer(kube.token().expect("token"));
    let job = client
        .json(
            "GET",
            "/apis/batch/v1/namespaces/default/jobs/example-job",
            None,
        )
        .await
        .expect("GET job");
    assert_eq!(job.status, 404, "the Job was deleted: {}", job.text());

    let eks = aws_sdk_eks::Client::new(&sandbox.aws_config("sa-east-1"));
    let clusters = eks.list_clusters().send().await.expect("list clusters");
    assert!(clusters.clusters().is_empty(), "{:?}", clusters.clusters());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pi_from_the_job_takes_the_expected_branch() {
    let Some(sandbox) = sandbox_or_skip("pi_from_the_job_takes_the_expected_branch").await else {
        return;
    };
    let (runtime, events) = runtime(&sandbox).await;
    let typed = ManageEksCluster::run_typed(&runtime, ManageEksClusterInput {})
        .await
        .unwrap_or_else(|e| panic!("the sample failed: {e}"));
    // The output as typed: the deleted cluster, its keys fields.
    assert_eq!(typed.cluster.name.as_deref(), Some("ExampleCluster"));
    assert!(
        typed
            .cluster
            .arn
            .as_deref()
            .is_some_and(|arn| arn.ends_with(":cluster/ExampleCluster")),
        "{typed:?}"
    );
    let output = serde_json::to_value(&typed).expect("the output serializes");
    let events = events.lock().unwrap().clone();
    // What the last state left is what run_typed read, field for field.
    assert_eq!(
        serde_json::from_value::<ManageEksClusterOutput>(
            state_output(&events, "Delete cluster").clone()
        )
        .expect("it fits the inferred type"),
        typed
    );

    assert_eq!(states_entered(&events), EXPECTED_PATH);
    assert!(has_event(&events, EventType::ExecutionSucceeded));

    // The log `{ "pi": 3.1415926535897932385 }` is parsed as JSON (a double), and
    // `$.logs..pi` collects it.
    let job = state_output(&events, "Run a job on EKS");
    let pi = job["RunJobResult"]["logs"][0]
        .as_f64()
        .expect("pi as a number");
    assert!((pi - std::f64::consts::PI).abs() < 1e-15, "{pi}");
    assert_eq!(job["RunJobResult"]["status"]["succeeded"], 1);

    let messages = published(&sandbox).await;
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert!(
        messages[0].starts_with("Saw expected value for pi: 3.14159265358979"),
        "{messages:?}"
    );
    assert_cleaned_up(&sandbox, &events, &output).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_number_takes_the_unexpected_branch() {
    let Some(sandbox) = sandbox_or_skip("another_number_takes_the_unexpected_branch").await else {
        return;
    };
    let (runtime, events) = runtime(&sandbox).await;
    let output = OtherPi::run(&runtime, json!({}))
        .await
        .unwrap_or_else(|e| panic!("the workflow failed: {e}"));
    let events = events.lock().unwrap().clone();

    let entered = states_entered(&events);
    assert!(
        entered.iter().any(|s| s == "Send unexpected result"),
        "{entered:?}"
    );
    assert!(
        !entered.iter().any(|s| s == "Send expected result"),
        "{entered:?}"
    );
    assert_eq!(
        state_output(&events, "Run a job on EKS")["RunJobResult"]["logs"],
        json!([3.1])
    );
    assert_eq!(
        published(&sandbox).await,
        ["Saw unexpected value for pi: 3.1"]
    );
    assert_cleaned_up(&sandbox, &events, &output).await;
}
