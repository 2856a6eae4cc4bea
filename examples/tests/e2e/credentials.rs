//! Task `Credentials` in a compiled workflow against moto: the order is written
//! as another account's role (moto serves a call from the account of the keys
//! that signed it, and an assumed role's keys are the role's account's), and
//! when the program may not assume the role, the task fails with
//! `States.TaskFailed`, a JSONPath Catch takes it, and its `Assign` keeps the
//! cause for the next state.
//!
//! Needs moto (`bash scripts/setup-moto`); prints a skip line without it, unless
//! `CI=true`.

use asl::asl;
use asl::runtime::exec::Runtime;
use asl::runtime::integrations::Integrations;
use asl_testkit::moto::MotoServer;
use serde_json::json;

asl!(CrossAccount = "tests/fixtures/cross-account.asl.json");

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

fn runtime(sdk: &aws_config::SdkConfig, moto: &MotoServer) -> Runtime {
    let integrations = Integrations::builder(sdk)
        .endpoint_url(moto.endpoint())
        .build();
    Runtime::builder().handlers(integrations.handlers()).build()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_workflow_writes_as_another_role_and_catches_a_refused_one() {
    if let Err(e) = asl_testkit::moto::find_moto_server() {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("moto is required under CI=true: {e}");
        }
        eprintln!("skipped cross_account: {e}");
        return;
    }
    let moto = MotoServer::start().await.expect("moto starts");
    let s = moto.aws();
    let sdk = sdk_config(&moto, (&s.access_key_id, &s.secret_access_key)).await;
    // The table exists in the role's account only.
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
    use aws_sdk_dynamodb::types::{
        AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
        ScalarAttributeType,
    };
    role_dynamodb
        .create_table()
        .table_name("orders")
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("id")
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("id")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .expect("CreateTable in the role's account");

    let out = CrossAccount::run(&runtime(&sdk, &moto), json!({"role": ROLE, "id": "o-1"}))
        .await
        .expect("the order is written");
    assert_eq!(out, json!({"written": "o-1"}));
    let stored = role_dynamodb
        .get_item()
        .table_name("orders")
        .key("id", AttributeValue::S("o-1".into()))
        .send()
        .await
        .unwrap();
    assert!(stored.item().is_some(), "the item is in the role's account");

    // Now moto enforces IAM, and the program's identity may not assume roles.
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
    let out = CrossAccount::run(&runtime(&sdk, &moto), json!({"role": ROLE, "id": "o-2"}))
        .await
        .expect("the refusal is caught");
    assert_eq!(out["refused"], "Write order", "{out}");
    assert_eq!(out["error"], "States.TaskFailed", "{out}");
    let why = out["why"].as_str().unwrap();
    assert!(
        why.starts_with(&format!(
            "Cannot assume the role '{ROLE}' for the task: STS answered"
        )),
        "{why}"
    );
    assert!(
        why.contains("User: arn:aws:iam::123456789012:user/workflow is not authorized to perform: sts:AssumeRole"),
        "{why}"
    );
}
