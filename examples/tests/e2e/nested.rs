//! The integrations beyond EKS inside compiled workflows: a parent starts a child
//! workflow compiled into the same program (`states:startExecution` `.sync:2`,
//! `.sync`, fire and forget, and a failing child caught as `States.TaskFailed`),
//! the child calls a Lambda function written in Rust and served in process, a
//! function error reaches a Catch by its `errorType`, and a DynamoDB error from
//! moto reaches a Catch by AWS's name.
//!
//! Needs moto (`bash scripts/setup-moto`); prints a skip line without it, unless
//! `CI=true`.

use asl::asl;
use asl::runtime::exec::{ExecutionOptions, Runtime};
use asl::runtime::integrations::{FunctionError, Integrations, lambda_fn};
use serde_json::{Value, json};

use crate::common::sandbox_or_skip;

asl!(OrderChild = "tests/fixtures/order-child.asl.json");
asl!(OrderParent = "tests/fixtures/order-parent.asl.json");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nested_executions_lambda_functions_and_service_errors_in_workflows() {
    let Some(sandbox) = sandbox_or_skip("nested_executions").await else {
        return;
    };
    let sdk = sandbox.aws_config("us-east-1");
    let integrations = Integrations::builder(&sdk)
        .endpoint_url(sandbox.aws_endpoint())
        .lambda_function(
            "double",
            lambda_fn(|event| async move {
                match event["n"].as_i64() {
                    Some(n) => Ok(json!({"doubled": n * 2})),
                    None => Err(FunctionError::new("InvalidInput", "n is missing")),
                }
            }),
        )
        .build();
    let runtime = Runtime::builder()
        .handlers(integrations.handlers())
        .workflow::<OrderChild>()
        .build();
    assert!(runtime.missing_handlers::<OrderParent>().is_empty());
    assert!(runtime.missing_handlers::<OrderChild>().is_empty());

    let output = OrderParent::run_with(
        &runtime,
        json!({"n": 21}),
        ExecutionOptions::default().name("parent-1"),
    )
    .await
    .expect("the parent succeeds");
    let parent_arn = "arn:aws:states:us-east-1:123456789012:execution:OrderParent:parent-1";

    // .sync:2: the child's output as JSON; the child saw its parent's id.
    assert_eq!(
        output["child"],
        json!({"doubled": 42, "parent": parent_arn, "status": "SUCCEEDED"})
    );
    // .sync: the same as JSON text, under the execution name given.
    let text: Value =
        serde_json::from_str(output["text"]["output"].as_str().expect("JSON text")).unwrap();
    assert_eq!(text["doubled"], 2);
    assert_eq!(
        output["text"]["arn"],
        "arn:aws:states:us-east-1:123456789012:execution:OrderChild:child-as-text"
    );
    // Fire and forget: the ARN and start date at once.
    assert!(
        output["started"]["arn"]
            .as_str()
            .unwrap()
            .starts_with("arn:aws:states:us-east-1:123456789012:execution:OrderChild:")
    );
    assert!(output["started"]["start"].is_i64());
    // A failing child: States.TaskFailed, its description (with the child's
    // own error) as cause.
    assert_eq!(output["failure"]["Error"], "States.TaskFailed");
    let described: Value =
        serde_json::from_str(output["failure"]["Cause"].as_str().unwrap()).unwrap();
    assert_eq!(described["Status"], "FAILED");
    assert_eq!(described["Error"], "Negative");
    // The function's errorType, caught by name, its payload as cause.
    assert_eq!(output["lambdaError"]["Error"], "InvalidInput");
    assert!(
        output["lambdaError"]["Cause"]
            .as_str()
            .unwrap()
            .contains("n is missing")
    );
    // DynamoDB's own exception name from moto, caught.
    assert_eq!(
        output["dynamoError"]["Error"],
        "DynamoDB.ResourceNotFoundException"
    );
}

asl!(SlowChild = "tests/fixtures/slow-child.asl.json");
asl!(SlowParent = "tests/fixtures/slow-parent.asl.json");

/// On a runtime with a store, a child whose Wait outlasts what the runtime
/// keeps in memory is parked there; the parent's `.sync` task serves it from
/// the store and waits for its end.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_parked_child_is_continued_from_the_store_and_awaited() {
    let dir = std::env::temp_dir().join(format!("asl-nested-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let store = asl::runtime::store::SqliteStore::open(dir.join("executions.db")).unwrap();
    let sdk = aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .build();
    let runtime = Runtime::builder()
        .handlers(Integrations::new(&sdk).handlers())
        .workflow::<SlowChild>()
        .store(store)
        .park_waits_longer_than(std::time::Duration::ZERO)
        .poll_interval(std::time::Duration::from_millis(50))
        .build();
    let output = SlowParent::run_with(
        &runtime,
        json!({"n": 5}),
        ExecutionOptions::default().name("slow-parent"),
    )
    .await
    .expect("the parent succeeds");
    assert_eq!(output, json!({"waited": 5}));
    let _ = std::fs::remove_dir_all(&dir);
}
