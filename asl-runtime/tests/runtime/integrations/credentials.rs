//! Task `Credentials` over the wire: the role is assumed through moto's STS,
//! and the task's call is made with the assumed role's keys. moto serves each
//! call from the account of the keys it was signed with, and an assumed role's
//! keys belong to the role's account: a table that exists only in the role's
//! account is found with the role's keys and not with the program's own.

use asl_runtime::integrations::Integrations;
use asl_testkit::moto::MotoServer;
use serde_json::{Value, json};

use super::{run, run_as};

const ROLE: &str = "arn:aws:iam::222222222222:role/Writer";

async fn sdk_config(moto: &MotoServer, key: (&str, &str)) -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(moto.aws().region))
        .credentials_provider(aws_credential_types::Credentials::new(
            key.0, key.1, None, None, "asl-test",
        ))
        .endpoint_url(moto.endpoint())
        .load()
        .await
}

/// How many times asl assumed `role` (its sessions are named `asl-task`), as
/// moto recorded them.
async fn assumed(moto: &MotoServer, role: &str) -> usize {
    let data = moto.data().await.unwrap();
    data.pointer("/sts/AssumedRole")
        .and_then(Value::as_array)
        .map_or(0, |roles| {
            roles
                .iter()
                .filter(|r| r["role_arn"] == role && r["session_name"] == "asl-task")
                .count()
        })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_with_credentials_calls_as_the_assumed_role() {
    let moto = MotoServer::start()
        .await
        .expect("moto_server (run `bash scripts/setup-moto`)");
    let s = moto.aws();
    let sdk = sdk_config(&moto, (&s.access_key_id, &s.secret_access_key)).await;
    // The table exists in the role's account (222222222222) only: made by the
    // test with keys of its own for the role.
    let as_role = aws_config::sts::AssumeRoleProvider::builder(ROLE)
        .configure(&sdk)
        .session_name("test-setup")
        .build()
        .await;
    let role_dynamodb = aws_sdk_dynamodb::Client::from_conf(
        aws_sdk_dynamodb::config::Builder::from(&sdk)
            .credentials_provider(as_role)
            .build(),
    );
    role_dynamodb
        .create_table()
        .table_name("orders")
        .key_schema(
            aws_sdk_dynamodb::types::KeySchemaElement::builder()
                .attribute_name("id")
                .key_type(aws_sdk_dynamodb::types::KeyType::Hash)
                .build()
                .unwrap(),
        )
        .attribute_definitions(
            aws_sdk_dynamodb::types::AttributeDefinition::builder()
                .attribute_name("id")
                .attribute_type(aws_sdk_dynamodb::types::ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .billing_mode(aws_sdk_dynamodb::types::BillingMode::PayPerRequest)
        .send()
        .await
        .expect("CreateTable in the role's account");

    let integrations = Integrations::builder(&sdk)
        .endpoint_url(moto.endpoint())
        .build();
    let role = json!({"RoleArn": ROLE});
    let item = json!({"TableName": "orders", "Item": {"id": {"S": "o-1"}, "total": {"N": "42"}}});

    // As the role: the item lands in the role's account.
    run_as(
        &integrations,
        "arn:aws:states:::dynamodb:putItem",
        &role,
        item.clone(),
    )
    .await
    .expect("putItem as the role");
    let stored = role_dynamodb
        .get_item()
        .table_name("orders")
        .key(
            "id",
            aws_sdk_dynamodb::types::AttributeValue::S("o-1".into()),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        stored.item().and_then(|i| i.get("total")),
        Some(&aws_sdk_dynamodb::types::AttributeValue::N("42".into()))
    );
    // As the program itself: no such table in its own account.
    let err = run(&integrations, "arn:aws:states:::dynamodb:putItem", item)
        .await
        .unwrap_err();
    assert_eq!(err.name(), "DynamoDB.ResourceNotFoundException", "{err}");

    // A second task as the same role reads the item back, with the credentials
    // assumed for the first: one AssumeRole for both.
    let out = run_as(
        &integrations,
        "arn:aws:states:::dynamodb:getItem",
        &role,
        json!({"TableName": "orders", "Key": {"id": {"S": "o-1"}}}),
    )
    .await
    .expect("getItem as the role");
    assert_eq!(out["Item"]["total"], json!({"N": "42"}), "{out}");
    assert_eq!(assumed(&moto, ROLE).await, 1);
}

/// A role the program may not assume: STS refuses (moto checks IAM policies once
/// told to), and the task fails with `States.TaskFailed`, naming the role and
/// STS's answer, before anything is called.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_role_that_cannot_be_assumed_fails_the_task() {
    let moto = MotoServer::start()
        .await
        .expect("moto_server (run `bash scripts/setup-moto`)");
    // The program's identity may use DynamoDB, but not sts:AssumeRole.
    let key = moto
        .create_user(
            "workflow",
            &json!({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"}
            ]}),
        )
        .await
        .unwrap();
    moto.enforce_iam().await.unwrap();
    let sdk = sdk_config(&moto, (&key.0, &key.1)).await;
    let integrations = Integrations::builder(&sdk)
        .endpoint_url(moto.endpoint())
        .build();
    let err = run_as(
        &integrations,
        "arn:aws:states:::dynamodb:putItem",
        &json!({"RoleArn": ROLE}),
        json!({"TableName": "orders", "Item": {"id": {"S": "o-1"}}}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.name(), "States.TaskFailed", "{err}");
    // moto writes its error in EC2's dialect (`<Errors><Error>`), which STS's
    // parser does not read, so the cause quotes the answer itself.
    let cause = err.cause().unwrap();
    let expected = format!("Cannot assume the role '{ROLE}' for the task: STS answered HTTP 403: ");
    assert!(cause.starts_with(&expected), "{cause}");
    assert!(cause.contains("<Code>AccessDenied</Code>"), "{cause}");
    assert!(
        cause.contains(
            "User: arn:aws:iam::123456789012:user/workflow is not authorized to perform: sts:AssumeRole"
        ),
        "{cause}"
    );
    assert!(!err.cause().unwrap().contains(&key.1));
    // Without Credentials the same identity reaches DynamoDB (which has no
    // such table): the refusal above was STS's, not DynamoDB's.
    let err = run(
        &integrations,
        "arn:aws:states:::dynamodb:putItem",
        json!({"TableName": "orders", "Item": {"id": {"S": "o-1"}}}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.name(), "DynamoDB.ResourceNotFoundException", "{err}");
}
