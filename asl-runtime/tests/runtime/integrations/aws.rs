//! The EKS control-plane and SNS integrations over the wire, against moto's server
//! (started and stopped by `asl_testkit::moto::MotoServer`; `bash scripts/setup-moto`
//! installs it).

use std::time::Duration;

use asl_runtime::integrations::{Integrations, WaitSchedule};
use asl_testkit::moto::MotoServer;
use serde_json::{Value, json};

use super::run;

const FAST: WaitSchedule = WaitSchedule {
    initial: Duration::from_millis(5),
    max: Duration::from_millis(50),
    multiplier: 2,
};

async fn integrations(moto: &MotoServer) -> Integrations {
    let s = moto.aws();
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(s.region.clone()))
        .credentials_provider(aws_credential_types::Credentials::new(
            &s.access_key_id,
            &s.secret_access_key,
            None,
            None,
            "asl-test",
        ))
        .load()
        .await;
    Integrations::builder(&sdk)
        .eks_endpoint(moto.endpoint())
        .sns_endpoint(moto.endpoint())
        .wait_schedule(FAST)
        .build()
}

fn arn(op: &str) -> String {
    format!("arn:aws:states:::eks:{op}")
}

fn cluster_params(name: &str) -> Value {
    json!({
        "Name": name,
        "ResourcesVpcConfig": {"SubnetIds": ["subnet-053e7c47012341234", "subnet-027cfea4b12341234"]},
        "RoleArn": "arn:aws:iam::123456789012:role/MyEKSClusterRole",
        "Tags": {"team": "asl"}
    })
}

fn nodegroup_params(cluster: &str, name: &str) -> Value {
    json!({
        "ClusterName": cluster,
        "NodegroupName": name,
        "NodeRole": "arn:aws:iam::123456789012:role/MyNodeInstanceRole",
        "Subnets": ["subnet-09fb51df01234", "subnet-027cfea4b1234"],
        "ScalingConfig": {"MinSize": 1, "MaxSize": 2, "DesiredSize": 1},
        "Labels": {"app.kubernetes.io/part-of": "asl"}
    })
}

fn fargate_params(cluster: &str, name: &str) -> Value {
    json!({
        "ClusterName": cluster,
        "FargateProfileName": name,
        "PodExecutionRoleArn": "arn:aws:iam::123456789012:role/MyFargatePodExecutionRole",
        "Selectors": [{"Namespace": "my-namespace", "Labels": {"my-label": "my-value"}}]
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eks_control_plane_against_moto() {
    let moto = MotoServer::start()
        .await
        .expect("moto_server (run `bash scripts/setup-moto`)");
    let eks = integrations(&moto).await;

    // createCluster (plain): the EKS answer, PascalCase, as the sample reads it.
    let created = run(&eks, &arn("createCluster"), cluster_params("plain"))
        .await
        .unwrap();
    let cluster = &created["Cluster"];
    assert_eq!(cluster["Name"], "plain");
    assert!(
        cluster["Arn"].as_str().unwrap().ends_with(":cluster/plain"),
        "{created}"
    );
    assert!(
        cluster["Endpoint"]
            .as_str()
            .unwrap()
            .starts_with("https://"),
        "{created}"
    );
    assert!(
        cluster["CertificateAuthority"]["Data"].is_string(),
        "{created}"
    );
    assert!(cluster["Status"].is_string(), "{created}");
    assert!(
        cluster["CreatedAt"].is_number(),
        "timestamps as EKS's JSON has them: {created}"
    );
    assert_eq!(
        cluster["Tags"],
        json!({"team": "asl"}),
        "user map keys kept"
    );
    assert_eq!(
        cluster["ResourcesVpcConfig"]["SubnetIds"][0],
        "subnet-053e7c47012341234"
    );
    assert!(cluster.get("name").is_none());
    assert!(
        cluster["ClientRequestToken"].is_string(),
        "an idempotency token: {created}"
    );

    // The same name again is a service error with EKS's exception name.
    let err = run(&eks, &arn("createCluster"), cluster_params("plain"))
        .await
        .unwrap_err();
    assert_eq!(err.name(), "EKS.ResourceInUseException", "{err}");
    assert!(err.cause().is_some_and(|c| !c.is_empty()));

    // createCluster.sync waits for ACTIVE and returns the description.
    let synced = run(&eks, &arn("createCluster.sync"), cluster_params("synced"))
        .await
        .unwrap();
    assert_eq!(synced["Cluster"]["Status"], "ACTIVE", "{synced}");

    // Node groups and Fargate profiles, plain and .sync.
    let ng = run(
        &eks,
        &arn("createNodegroup"),
        nodegroup_params("synced", "ng-plain"),
    )
    .await
    .unwrap();
    assert_eq!(ng["Nodegroup"]["NodegroupName"], "ng-plain", "{ng}");
    assert_eq!(ng["Nodegroup"]["ScalingConfig"]["DesiredSize"], 1, "{ng}");
    assert_eq!(
        ng["Nodegroup"]["Labels"],
        json!({"app.kubernetes.io/part-of": "asl"}),
        "{ng}"
    );
    let ng = run(
        &eks,
        &arn("createNodegroup.sync"),
        nodegroup_params("synced", "ng-sync"),
    )
    .await
    .unwrap();
    assert_eq!(ng["Nodegroup"]["Status"], "ACTIVE", "{ng}");
    let fp = run(
        &eks,
        &arn("createFargateProfile"),
        fargate_params("synced", "fp-plain"),
    )
    .await
    .unwrap();
    assert_eq!(
        fp["FargateProfile"]["FargateProfileName"], "fp-plain",
        "{fp}"
    );
    assert_eq!(
        fp["FargateProfile"]["Selectors"][0]["Labels"],
        json!({"my-label": "my-value"}),
        "{fp}"
    );
    let fp = run(
        &eks,
        &arn("createFargateProfile.sync"),
        fargate_params("synced", "fp-sync"),
    )
    .await
    .unwrap();
    assert_eq!(fp["FargateProfile"]["Status"], "ACTIVE", "{fp}");

    // A cluster with node groups cannot be deleted.
    let err = run(&eks, &arn("deleteCluster.sync"), json!({"Name": "synced"}))
        .await
        .unwrap_err();
    assert_eq!(err.name(), "EKS.ResourceInUseException", "{err}");

    // Deletes: plain returns the answer; .sync returns once Describe says it is gone.
    let del = run(
        &eks,
        &arn("deleteNodegroup"),
        json!({"ClusterName": "synced", "NodegroupName": "ng-plain"}),
    )
    .await
    .unwrap();
    assert_eq!(del["Nodegroup"]["NodegroupName"], "ng-plain", "{del}");
    let del = run(
        &eks,
        &arn("deleteNodegroup.sync"),
        json!({"ClusterName": "synced", "NodegroupName": "ng-sync"}),
    )
    .await
    .unwrap();
    assert_eq!(del["Nodegroup"]["NodegroupName"], "ng-sync", "{del}");
    run(
        &eks,
        &arn("deleteFargateProfile"),
        json!({"ClusterName": "synced", "FargateProfileName": "fp-plain"}),
    )
    .await
    .unwrap();
    let del = run(
        &eks,
        &arn("deleteFargateProfile.sync"),
        json!({"ClusterName": "synced", "FargateProfileName": "fp-sync"}),
    )
    .await
    .unwrap();
    assert_eq!(
        del["FargateProfile"]["FargateProfileName"], "fp-sync",
        "{del}"
    );
    let del = run(&eks, &arn("deleteCluster.sync"), json!({"Name": "synced"}))
        .await
        .unwrap();
    assert_eq!(del["Cluster"]["Name"], "synced", "{del}");
    let del = run(&eks, &arn("deleteCluster"), json!({"Name": "plain"}))
        .await
        .unwrap();
    assert_eq!(del["Cluster"]["Name"], "plain", "{del}");

    // Gone is gone.
    let err = run(&eks, &arn("deleteCluster"), json!({"Name": "synced"}))
        .await
        .unwrap_err();
    assert_eq!(err.name(), "EKS.ResourceNotFoundException", "{err}");
    let err = run(
        &eks,
        &arn("deleteNodegroup.sync"),
        json!({"ClusterName": "synced", "NodegroupName": "ng-sync"}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.name(), "EKS.ResourceNotFoundException", "{err}");

    // Bad parameters never reach the service.
    let mut bad = cluster_params("bad");
    bad["ResourcesVpcConfig"]["SubnetId"] = json!(["s"]);
    let err = run(&eks, &arn("createCluster"), bad).await.unwrap_err();
    assert_eq!(err.name(), "States.Runtime", "{err}");
    let err = run(&eks, &arn("deleteCluster"), json!({}))
        .await
        .unwrap_err();
    assert_eq!(err.name(), "States.Runtime", "{err}");
    let err = run(&eks, &arn("deleteCluster"), json!({"Name": "bad"}))
        .await
        .unwrap_err();
    assert_eq!(
        err.name(),
        "EKS.ResourceNotFoundException",
        "the cluster 'bad' was never created: {err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sns_publish_against_moto() {
    let moto = MotoServer::start()
        .await
        .expect("moto_server (run `bash scripts/setup-moto`)");
    let integrations = integrations(&moto).await;
    let s = moto.aws();
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(s.region.clone()))
        .credentials_provider(aws_credential_types::Credentials::new(
            &s.access_key_id,
            &s.secret_access_key,
            None,
            None,
            "asl-test",
        ))
        .endpoint_url(moto.endpoint())
        .load()
        .await;
    let sns = aws_sdk_sns::Client::new(&sdk);
    let topic = sns
        .create_topic()
        .name("asl-topic")
        .send()
        .await
        .unwrap()
        .topic_arn()
        .unwrap()
        .to_owned();
    let fifo = sns
        .create_topic()
        .name("asl-topic.fifo")
        .attributes("FifoTopic", "true")
        .send()
        .await
        .unwrap()
        .topic_arn()
        .unwrap()
        .to_owned();
    let publish = "arn:aws:states:::sns:publish";

    let out = run(
        &integrations,
        publish,
        json!({
            "TopicArn": topic,
            "Message": "The job ran: pi is 3.14159",
            "Subject": "asl",
            "MessageAttributes": {
                "kind": {"DataType": "String", "StringValue": "expected"},
                "blob": {"DataType": "Binary", "BinaryValue": "AAEC"}
            }
        }),
    )
    .await
    .unwrap();
    let id = out["MessageId"].as_str().unwrap().to_owned();
    assert!(out.get("SequenceNumber").is_none(), "{out}");

    // A JSON message is sent as its JSON text.
    run(
        &integrations,
        publish,
        json!({"TopicArn": topic, "Message": {"pi": 2.5, "ok": true}}),
    )
    .await
    .unwrap();

    let fifo_out = run(
        &integrations,
        publish,
        json!({"TopicArn": fifo, "Message": "m", "MessageGroupId": "g", "MessageDeduplicationId": "d1"}),
    )
    .await
    .unwrap();
    assert!(fifo_out["MessageId"].is_string(), "{fifo_out}");
    // SNS returns SequenceNumber for FIFO topics; moto leaves it out. When present it
    // must be passed on as a string.
    assert!(
        fifo_out.get("SequenceNumber").is_none_or(Value::is_string),
        "{fifo_out}"
    );

    let messages = moto.sns_messages().await.unwrap();
    let first = messages
        .iter()
        .find(|m| m["MessageId"] == json!(id))
        .unwrap_or_else(|| panic!("{messages:?}"));
    assert_eq!(first["Message"], "The job ran: pi is 3.14159");
    assert_eq!(first["Subject"], "asl");
    assert!(
        first["MessageAttributes"].to_string().contains("expected"),
        "{first}"
    );
    let json_text = messages
        .iter()
        .find(|m| m["Message"].as_str().is_some_and(|t| t.contains("\"pi\"")))
        .unwrap();
    let parsed: Value = serde_json::from_str(json_text["Message"].as_str().unwrap()).unwrap();
    assert_eq!(parsed, json!({"pi": 2.5, "ok": true}));
    assert!(
        messages.iter().any(|m| m["MessageGroupId"] == "g"),
        "{messages:?}"
    );

    // Errors: the service's, and ours for unknown fields.
    let err = run(
        &integrations,
        publish,
        json!({"TopicArn": "arn:aws:sns:us-east-1:123456789012:missing", "Message": "m"}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.name(), "SNS.NotFoundException", "{err}");
    let err = run(
        &integrations,
        publish,
        json!({"TopicArn": topic, "Message": "m", "Topic": "x"}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.name(), "States.Runtime", "{err}");
    let err = run(&integrations, publish, json!({"TopicArn": topic}))
        .await
        .unwrap_err();
    assert_eq!(err.name(), "States.Runtime", "{err}");
}

/// Issue 10: an AWS endpoint that accepts connections and never answers fails the
/// task with `States.TaskFailed` within the configured timeouts instead of
/// hanging (the sample's `createCluster.sync` sat there indefinitely).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_aws_endpoint_fails_the_task_in_time() {
    use asl_runtime::integrations::Timeouts;
    use std::time::{Duration, Instant};
    let silent = asl_testkit::silent::SilentPeer::start().await.unwrap();
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_credential_types::Credentials::new(
            "AKIDEXAMPLE",
            "secret",
            None,
            None,
            "asl-test",
        ))
        .load()
        .await;
    let integrations = Integrations::builder(&sdk)
        .eks_endpoint(silent.http_url())
        .sns_endpoint(silent.http_url())
        .timeouts(Timeouts::all(Duration::from_secs(1)))
        .build();
    for (resource, parameters) in [
        (
            "arn:aws:states:::eks:createCluster.sync",
            serde_json::json!({"Name": "c", "RoleArn": "arn:aws:iam::1:role/r", "ResourcesVpcConfig": {"SubnetIds": ["s"]}}),
        ),
        (
            "arn:aws:states:::sns:publish",
            serde_json::json!({"TopicArn": "arn:aws:sns:us-east-1:1:t", "Message": "m"}),
        ),
    ] {
        let started = Instant::now();
        let err = run(&integrations, resource, parameters).await.unwrap_err();
        let took = started.elapsed();
        println!("{resource} against a silent endpoint failed after {took:?}: {err}");
        assert_eq!(err.name(), "States.TaskFailed", "{err}");
        assert!(took < Duration::from_secs(10), "{resource}: {took:?}");
    }
}
