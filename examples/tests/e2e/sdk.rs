//! AWS SDK integrations served from AWS's models (`aws-sdk:<service>:<action>`
//! with no handler of the program's own), in a compiled workflow against moto:
//! SSM over JSON 1.1 and DynamoDB over JSON 1.0, EC2 and IAM over Query,
//! Lambda and EventBridge Scheduler over REST-JSON, S3 over REST-XML; the results in Step Functions'
//! names (`Parameter.Arn`, `LastModifiedDate` as ISO 8601 text), and service
//! errors reaching a Catch by the names Step Functions gives them
//! (`Ssm.ParameterNotFoundException`, `DynamoDb.ResourceNotFoundException`).
//!
//! Needs moto (`bash scripts/setup-moto`); prints a skip line without it, unless
//! `CI=true`.

use asl::asl;
use asl::runtime::exec::Runtime;
use asl::runtime::integrations::Integrations;
use asl_testkit::moto::MotoServer;
use serde_json::json;

asl!(SdkJson = "tests/fixtures/sdk-json.asl.json");
asl!(SdkQuery = "tests/fixtures/sdk-query.asl.json");
asl!(SdkRest = "tests/fixtures/sdk-rest.asl.json");
asl!(SdkOptimized = "tests/fixtures/sdk-optimized.asl.json");
asl!(SdkSyncJobs = "tests/fixtures/sdk-sync-jobs.asl.json");
asl!(SdkEmr = "tests/fixtures/sdk-emr.asl.json");
asl!(SdkEmrServerless = "tests/fixtures/sdk-emr-serverless.asl.json");
asl!(SdkBedrock = "tests/fixtures/sdk-bedrock.asl.json");

/// moto, and a runtime whose integrations call it; `None` (a skip) without moto.
async fn moto_runtime() -> Option<(MotoServer, Runtime)> {
    if let Err(e) = asl_testkit::moto::find_moto_server() {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("moto is required under CI=true: {e}");
        }
        eprintln!("skipped sdk: {e}");
        return None;
    }
    let moto = MotoServer::start().await.expect("moto starts");
    let s = moto.aws();
    let sdk =
        crate::common::static_sdk_config(&s.region, &s.access_key_id, &s.secret_access_key).await;
    let integrations = Integrations::builder(&sdk)
        .endpoint_url(moto.endpoint())
        .build();
    let runtime = Runtime::builder().handlers(integrations.handlers()).build();
    Some((moto, runtime))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_protocol_actions_run_from_the_model() {
    let Some((_moto, runtime)) = moto_runtime().await else {
        return;
    };
    let out = SdkJson::run(
        &runtime,
        json!({"name": "/asl/greeting", "value": {"hello": "world"}}),
    )
    .await
    .expect("the workflow succeeds");

    assert_eq!(out["put"]["Version"], 1, "{out}");
    let parameter = &out["got"]["Parameter"];
    assert_eq!(parameter["Name"], "/asl/greeting", "{out}");
    // An object where a string is due goes as its JSON text.
    assert_eq!(parameter["Value"], "{\"hello\":\"world\"}", "{out}");
    assert_eq!(parameter["Type"], "String", "{out}");
    // SSM's `ARN` is `Arn`, as the Java SDK names it.
    assert!(
        parameter["Arn"].as_str().is_some_and(
            |a| a.starts_with("arn:aws:ssm:") && a.ends_with("parameter/asl/greeting")
        ),
        "{out}"
    );
    assert!(parameter.get("ARN").is_none(), "{out}");
    let modified = parameter["LastModifiedDate"].as_str().unwrap_or_default();
    assert!(
        time::OffsetDateTime::parse(modified, &time::format_description::well_known::Rfc3339)
            .is_ok(),
        "{out}"
    );
    assert_eq!(
        out["missing"]["Error"], "Ssm.ParameterNotFoundException",
        "{out}"
    );
    assert!(out["tables"]["TableNames"].is_array(), "{out}");
    assert_eq!(
        out["noTable"]["Error"], "DynamoDb.ResourceNotFoundException",
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn query_protocol_actions_run_from_the_model() {
    let Some((_moto, runtime)) = moto_runtime().await else {
        return;
    };
    let out = SdkQuery::run(&runtime, json!({"user": "asl-user"}))
        .await
        .expect("the workflow succeeds");
    // EC2: `reservationSet`/`instancesSet` items are `Reservations`/`Instances`.
    let reservations = out["described"]["Reservations"]
        .as_array()
        .expect("Reservations");
    assert_eq!(reservations.len(), 1, "{out}");
    let instance = &reservations[0]["Instances"][0];
    assert_eq!(instance["InstanceId"], out["run"]["InstanceId"], "{out}");
    assert_eq!(instance["InstanceType"], "t3.micro", "{out}");
    assert_eq!(
        instance["Tags"][0],
        json!({"Key": "team", "Value": "asl"}),
        "{out}"
    );
    assert!(instance["State"]["Code"].is_i64(), "{out}");
    // EC2's errors are not in its model: the service's base exception.
    assert_eq!(out["noInstance"]["Error"], "Ec2.Ec2Exception", "{out}");
    assert!(
        out["noInstance"]["Cause"]
            .as_str()
            .is_some_and(|c| c.contains("i-0123456789abcdef0")),
        "{out}"
    );
    // IAM (Query): the result inside `CreateUserResult`, `Arn` as Java names it.
    let user = &out["created"]["User"];
    assert_eq!(user["UserName"], "asl-user", "{out}");
    assert!(
        user["Arn"]
            .as_str()
            .is_some_and(|a| a.ends_with(":user/asl-user")),
        "{out}"
    );
    assert_eq!(out["noUser"]["Error"], "Iam.NoSuchEntityException", "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rest_protocol_actions_run_from_the_model() {
    let Some((_moto, runtime)) = moto_runtime().await else {
        return;
    };
    let out = SdkRest::run(
        &runtime,
        json!({"schedule": "asl-hourly", "bucket": "asl-rest-bucket"}),
    )
    .await
    .expect("the workflow succeeds");
    // Lambda (REST-JSON): a GET with a query string, errors by header.
    assert!(out["functions"]["Functions"].is_array(), "{out}");
    assert_eq!(
        out["noFunction"]["Error"], "Lambda.ResourceNotFoundException",
        "{out}"
    );
    // Scheduler: the name in the URI, the rest in a JSON body, the
    // idempotency token filled in; timestamps read back as ISO 8601.
    assert!(
        out["created"]["ScheduleArn"]
            .as_str()
            .is_some_and(|a| a.ends_with("schedule/default/asl-hourly")),
        "{out}"
    );
    let schedule = &out["schedule"];
    assert_eq!(schedule["Name"], "asl-hourly", "{out}");
    assert_eq!(schedule["FlexibleTimeWindow"]["Mode"], "OFF", "{out}");
    assert_eq!(
        schedule["Target"]["Input"], "{\"hello\":\"world\"}",
        "{out}"
    );
    let created = schedule["CreationDate"].as_str().unwrap_or_default();
    assert!(
        time::OffsetDateTime::parse(created, &time::format_description::well_known::Rfc3339)
            .is_ok(),
        "{out}"
    );
    // S3 (REST-XML): the bucket in the path (an endpoint is set), the
    // `Location` header, an XML payload written and read back.
    assert_eq!(
        out["bucketCreated"]["Location"], "/asl-rest-bucket",
        "{out}"
    );
    assert_eq!(
        out["tags"]["TagSet"],
        json!([{"Key": "team", "Value": "asl"}, {"Key": "tier", "Value": "a&b"}]),
        "{out}"
    );
    let buckets = out["buckets"]["Buckets"].as_array().expect("Buckets");
    assert!(
        buckets.iter().any(|b| b["Name"] == "asl-rest-bucket"
            && b["CreationDate"].as_str().is_some_and(|d| d.contains('T'))),
        "{out}"
    );
    // S3's codes with `Exception` added, whether the operation lists them or not.
    assert_eq!(out["noKey"]["Error"], "S3.NoSuchKeyException", "{out}");
    assert_eq!(
        out["noBucket"]["Error"], "S3.NoSuchBucketException",
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn optimized_integrations_run_on_the_same_caller() {
    let Some((_moto, runtime)) = moto_runtime().await else {
        return;
    };
    let out = SdkOptimized::run(&runtime, json!({}))
        .await
        .expect("the workflow succeeds");
    // glue:startJobRun.sync: the JobRun, once it has ended.
    let run = &out["jobRun"];
    assert_eq!(run["JobName"], "asl-etl", "{out}");
    assert_eq!(run["JobRunState"], "SUCCEEDED", "{out}");
    assert!(run["Id"].is_string(), "{out}");
    assert_eq!(
        out["noJob"]["Error"], "Glue.EntityNotFoundException",
        "{out}"
    );
    // Not tested here: Athena (botocore's model speaks REST-JSON, which moto
    // does not serve for Athena: it serves JSON 1.1 at `POST /`), ECS's
    // runTask (moto answers 500 without container instances), Batch (moto
    // runs jobs in Docker), Bedrock (moto has no bedrock-runtime).
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn codebuild_and_sagemaker_jobs_are_waited_for() {
    let Some((_moto, runtime)) = moto_runtime().await else {
        return;
    };
    let out = SdkSyncJobs::run(&runtime, json!({}))
        .await
        .expect("the workflow succeeds");
    // codebuild:startBuild.sync: BatchGetBuilds' build, as `Build`, once it ended.
    let build = &out["build"]["Build"];
    assert_eq!(build["BuildStatus"], "SUCCEEDED", "{out}");
    assert_eq!(build["ProjectName"], "asl-build", "{out}");
    assert!(
        build["Id"]
            .as_str()
            .is_some_and(|id| id.starts_with("asl-build:")),
        "{out}"
    );
    // sagemaker:createTrainingJob.sync: DescribeTrainingJob's answer once Completed.
    let training = &out["training"];
    assert_eq!(training["TrainingJobName"], "asl-train", "{out}");
    assert_eq!(training["TrainingJobStatus"], "Completed", "{out}");
    assert!(training["TrainingJobArn"].is_string(), "{out}");
    // moto answers ValidationException, which SageMaker's model does not list.
    assert_eq!(
        out["noJob"]["Error"], "SageMaker.SageMakerException",
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn emr_integrations_speak_their_own_fields() {
    let Some((_moto, runtime)) = moto_runtime().await else {
        return;
    };
    let out = SdkEmr::run(&runtime, json!({"keepAlive": false}))
        .await
        .expect("the workflow succeeds");
    // createCluster.sync: RunJobFlow's JobFlowId as ClusterId, once WAITING.
    let cluster = out["cluster"]["ClusterId"].as_str().unwrap_or_default();
    assert!(cluster.starts_with("j-"), "{out}");
    assert!(out["cluster"].get("JobFlowId").is_none(), "{out}");
    assert_eq!(out["described"]["State"], "WAITING", "{out}");
    // setClusterTerminationProtection: ClusterId sent as JobFlowIds.
    assert_eq!(out["described"]["TerminationProtected"], true, "{out}");
    // modifyInstanceGroupByName: the group named Core, found by its name.
    let groups = out["groups"]["Groups"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let core = groups.iter().find(|g| g["Name"] == "Core");
    assert_eq!(
        core.map(|g| &g["RequestedInstanceCount"]),
        Some(&json!(3)),
        "{out}"
    );
    assert!(
        out["noGroup"]["Cause"]
            .as_str()
            .is_some_and(|c| c.contains("Task")),
        "{out}"
    );
    // addStep.sync: one Step sent as Steps; still RUNNING (moto never ends
    // a step) when the state's timeout cuts the wait.
    assert_eq!(out["stepWait"]["Error"], "States.Timeout", "{out}");
    let steps = out["steps"]["Steps"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(steps.len(), 1, "{out}");
    assert_eq!(steps[0]["Name"], "asl-step", "{out}");
    assert_eq!(steps[0]["Status"]["State"], "RUNNING", "{out}");
    // terminateCluster.sync: returns once TERMINATED, with TerminateJobFlows' (empty) answer.
    assert_eq!(out["terminated"], json!({}), "{out}");
    // A cluster that terminates instead of WAITING fails createCluster.sync.
    assert_eq!(out["ended"]["Error"], "States.TaskFailed", "{out}");
    assert!(
        out["ended"]["Cause"]
            .as_str()
            .is_some_and(|c| c.contains("TERMINATED")),
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn emr_serverless_and_emr_on_eks_wait_for_their_states() {
    let Some((_moto, runtime)) = moto_runtime().await else {
        return;
    };
    let out = SdkEmrServerless::run(&runtime, json!({}))
        .await
        .expect("the workflow succeeds");
    let app = out["app"]["ApplicationId"].as_str().unwrap_or_default();
    assert!(!app.is_empty(), "{out}");
    assert_eq!(out["app"]["Name"], "asl-app", "{out}");
    // EMR Serverless answers nothing to these; the integration returns the
    // application they were given, once it reached the state waited for.
    for done in ["stopped", "started", "deleted"] {
        assert_eq!(out[done], json!({"ApplicationId": app}), "{done}: {out}");
    }
    // startJobRun.sync: the run moto ends at once (SUCCESS); cancelJobRun.sync
    // once it is CANCELLED.
    assert!(out["job"]["JobRunId"].is_string(), "{out}");
    assert_eq!(
        out["cancelled"]["JobRunId"], out["job"]["JobRunId"],
        "{out}"
    );
    assert_eq!(
        out["jobRead"],
        json!({"State": "CANCELLED", "Name": "asl-job"}),
        "{out}"
    );
    // EMR on EKS: moto never ends a job run, so the wait is cut by the
    // state's timeout; the virtual cluster is deleted once TERMINATED.
    let virtual_cluster = &out["virtual"]["Id"];
    assert!(virtual_cluster.is_string(), "{out}");
    assert_eq!(out["eksJobWait"]["Error"], "States.Timeout", "{out}");
    assert_eq!(out["virtualDeleted"]["Id"], *virtual_cluster, "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bedrock_model_customization_is_waited_for() {
    let Some((_moto, runtime)) = moto_runtime().await else {
        return;
    };
    let out = SdkBedrock::run(&runtime, json!({}))
        .await
        .expect("the workflow succeeds");
    // Request-response: CreateModelCustomizationJob's answer.
    assert!(
        out["once"]["JobArn"]
            .as_str()
            .is_some_and(|a| a.ends_with(":model-customization-job/asl-tune-once")),
        "{out}"
    );
    // .sync: still waiting when the other branch stopped the job, then
    // failed by its Stopped state, the job as the cause.
    let failed = &out["branches"][0];
    assert_eq!(failed["Error"], "States.TaskFailed", "{out}");
    assert!(
        failed["Cause"]
            .as_str()
            .is_some_and(|c| c.contains("Stopped") && c.contains("asl-tune")),
        "{out}"
    );
    assert_eq!(out["read"]["Status"], "Stopped", "{out}");
}
