//! The stored snapshots (`snapshots/*.rs`) compiled and run: a snapshot that
//! stops compiling, or generated code that behaves differently, fails here. They
//! compile under `deny(warnings)`: dead or sloppy generated code shows up as an
//! error here instead of hiding behind an `allow`.
//!
//! The EKS sample runs against scripted task handlers registered on the
//! `Runtime` (the seam every integration plugs into): they check the parameters
//! generated code builds and answer with the shapes the services return. The real
//! integrations run against moto and the Kubernetes stand-in in their own tests.

use std::sync::{Arc, Mutex};

use asl::runtime::exec::{ExecutionOptions, History, Runtime};
use asl::runtime::task::{BoxFuture, TaskContext, TaskHandler};
use asl::runtime::{Error, Value};
use serde_json::json;

#[deny(warnings)]
mod counter {
    include!("snapshots/counter.rs");
}
#[deny(warnings)]
mod label_items {
    include!("snapshots/label_items.rs");
}
#[deny(warnings)]
mod fan_out {
    include!("snapshots/fan_out.rs");
}
#[deny(warnings)]
mod jsonata_catch {
    include!("snapshots/jsonata_catch.rs");
}
#[deny(warnings)]
mod json_path_catch_assign {
    include!("snapshots/json_path_catch_assign.rs");
}
#[deny(warnings)]
mod manage_eks_cluster {
    include!("snapshots/manage_eks_cluster.rs");
}

#[tokio::test]
async fn counter_snapshot_counts() {
    let out = counter::Counter::run(&Runtime::new(), json!({"n": 1000}))
        .await
        .unwrap();
    assert_eq!(out, json!({"count": 1000, "n": 1000}));
}

#[tokio::test]
async fn map_snapshot_labels_items_in_order() {
    let input = json!({"prefix": "item", "items": [5, 150, 7]});
    let out = label_items::LabelItems::run(&Runtime::new(), input)
        .await
        .unwrap();
    assert_eq!(
        out,
        json!([
            {"label": "item-0", "value": 5, "size": "small"},
            {"label": "item-1", "value": 150, "size": "big"},
            {"label": "item-2", "value": 7, "size": "small"}
        ])
    );
    let err = label_items::LabelItems::run(&Runtime::new(), json!({"prefix": "x", "items": {}}))
        .await
        .unwrap_err();
    assert_eq!(err.error(), Some("States.Runtime"));
}

#[tokio::test(start_paused = true)]
async fn parallel_snapshot_joins_branches_and_catches() {
    let runtime = Runtime::new();
    let started = tokio::time::Instant::now();
    let out = fan_out::FanOut::run(&runtime, json!({"n": 4}))
        .await
        .unwrap();
    assert_eq!(out, json!({"doubled": 8, "text": "n is 4"}));
    // The Wait branch waited 60 s of (paused) time.
    assert!(started.elapsed() >= std::time::Duration::from_secs(60));

    let (history, events) = History::memory();
    let options = ExecutionOptions::default()
        .name("negative")
        .history(history);
    let out = fan_out::FanOut::run_with(&runtime, json!({"n": -1}), options)
        .await
        .unwrap();
    assert_eq!(
        out,
        json!({"n": -1, "error": {"Error": "Negative", "Cause": "n must not be negative"}})
    );
    let entered: Vec<String> = events
        .lock()
        .unwrap()
        .iter()
        .filter(|e| e.event_type.is_state_entered())
        .filter_map(|e| e.state_name.clone())
        .collect();
    // One retry: every branch ran twice, then the Catch went to `Failed`.
    assert_eq!(entered.iter().filter(|n| *n == "Check").count(), 2);
    assert_eq!(entered.first().map(String::as_str), Some("Fan out"));
    assert_eq!(entered.last().map(String::as_str), Some("Failed"));
}

/// Answers each EKS/SNS call with the service's response shape and records the
/// parameters; fails the first createCluster call to exercise the Retry.
struct Scripted {
    calls: Mutex<Vec<(String, Value)>>,
    fail_first_create: Mutex<bool>,
}

impl TaskHandler for Scripted {
    fn invoke<'a>(
        &'a self,
        task: &'a TaskContext<'a>,
        parameters: Value,
    ) -> BoxFuture<'a, Result<Value, Error>> {
        Box::pin(async move {
            self.calls
                .lock()
                .unwrap()
                .push((task.resource.to_string(), parameters.clone()));
            let api = task.resource.trim_start_matches("arn:aws:states:::");
            match api {
                "eks:createCluster.sync" => {
                    let mut fail = self.fail_first_create.lock().unwrap();
                    if *fail {
                        *fail = false;
                        return Err(Error::new("EKS.ServiceUnavailableException", "try again"));
                    }
                    Ok(
                        json!({"Cluster": {"Name": parameters["Name"], "Status": "ACTIVE",
                        "Endpoint": "https://127.0.0.1:6443", "CertificateAuthority": {"Data": "Q0E="}}}),
                    )
                }
                "eks:runJob.sync" => Ok(json!({"status": {"succeeded": 1},
                    "logs": {"pods": {"example-job-abc": {"containers": {"pi-20": {"log": "{ \"pi\": 3.1415926535897932385 }", "pi": std::f64::consts::PI}}}}}})),
                "sns:publish" => Ok(json!({"MessageId": "m-1"})),
                "eks:call" => Ok(json!({"ResponseBody": {"status": "Success"}})),
                _ => Ok(json!({"ok": api})),
            }
        })
    }
}

#[tokio::test(start_paused = true)]
async fn eks_sample_snapshot_runs_end_to_end_on_scripted_handlers() {
    let scripted = Arc::new(Scripted {
        calls: Mutex::new(Vec::new()),
        fail_first_create: Mutex::new(true),
    });
    let resources = [
        "eks:createCluster.sync",
        "eks:createNodegroup.sync",
        "eks:runJob.sync",
        "sns:publish",
        "eks:call",
        "eks:deleteNodegroup.sync",
        "eks:deleteCluster.sync",
    ];
    let runtime = Runtime::builder()
        .handlers(resources.map(|r| {
            (
                format!("arn:aws:states:::{r}"),
                scripted.clone() as Arc<dyn TaskHandler>,
            )
        }))
        .build();
    manage_eks_cluster::ManageEksCluster::run(&runtime, json!({}))
        .await
        .unwrap();
    let calls = scripted.calls.lock().unwrap();
    let apis: Vec<&str> = calls
        .iter()
        .map(|(r, _)| r.trim_start_matches("arn:aws:states:::"))
        .collect();
    assert_eq!(
        apis,
        [
            "eks:createCluster.sync",
            "eks:createCluster.sync",
            "eks:createNodegroup.sync",
            "eks:runJob.sync",
            "sns:publish",
            "eks:call",
            "eks:deleteNodegroup.sync",
            "eks:deleteCluster.sync"
        ]
    );
    // The job ran with the endpoint and CA the cluster reported.
    assert_eq!(calls[3].1["Endpoint"], "https://127.0.0.1:6443");
    assert_eq!(calls[3].1["CertificateAuthority"], "Q0E=");
    // pi was in range, so the expected-result message went out.
    assert_eq!(
        calls[4].1["Message"]["Input"],
        "Saw expected value for pi: 3.141592653589793"
    );
}

#[test]
fn map_and_parallel_executions_are_send() {
    fn assert_send<T: Send>(_: &T) {}
    let runtime = Runtime::new();
    assert_send(&label_items::LabelItems::run(&runtime, json!({})));
    assert_send(&fan_out::FanOut::run(&runtime, json!({})));
    assert_send(&jsonata_catch::JsonataCatch::run(&runtime, json!({})));
    assert_send(&manage_eks_cluster::ManageEksCluster::run(
        &runtime,
        json!({}),
    ));
}

#[tokio::test]
async fn jsonpath_snapshot_assigns_in_its_catch() {
    let runtime = Runtime::builder()
        .handler(
            "arn:aws:lambda:us-east-1:123456789012:function:charge",
            asl::runtime::task::handler_fn(|task, _| async move {
                Err(Error::new(
                    "Card.Declined",
                    task.credentials.unwrap()["RoleArn"].as_str().unwrap(),
                ))
            }),
        )
        .build();
    let out = json_path_catch_assign::JsonPathCatchAssign::run(
        &runtime,
        json!({"amount": 1, "account": "1"}),
    )
    .await
    .unwrap();
    assert_eq!(out["reason"], "arn:aws:iam::1:role/Payments");
    assert_eq!((&out["seen"], &out["attempt"]), (&json!(1), &json!(2)));
}

#[tokio::test]
async fn jsonata_snapshot_catches_with_output_and_assign() {
    let out = jsonata_catch::JsonataCatch::run(&Runtime::new(), json!({"x": "2"}))
        .await
        .unwrap();
    assert_eq!(
        out,
        json!({"seen": "Boom", "out": {"error": "Boom", "cause": "bad 2", "x": "2"}})
    );
}
