//! Lambda, DynamoDB, S3, SQS, EventBridge and Step Functions over the wire:
//! each operation through the real SDK crates against moto's server, checking
//! AWS's result shape and an AWS error name for each family. (moto's simple
//! Lambda backend answers with results queued through `/moto-api/`; moto runs
//! the state machines it is given when told to.)

use asl_runtime::integrations::{FunctionError, Integrations, WaitSchedule, lambda_fn};
use asl_testkit::moto::MotoServer;
use serde_json::{Value, json};

use super::run;
use std::time::Duration;

async fn sdk_config(moto: &MotoServer) -> aws_config::SdkConfig {
    let s = moto.aws();
    aws_config::defaults(aws_config::BehaviorVersion::latest())
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
        .await
}

async fn integrations(moto: &MotoServer) -> Integrations {
    let sdk = sdk_config(moto).await;
    Integrations::builder(&sdk)
        .endpoint_url(moto.endpoint())
        .wait_schedule(WaitSchedule {
            initial: Duration::from_millis(20),
            max: Duration::from_millis(200),
            multiplier: 2,
        })
        .map_resource("TableName", "Orders", "orders-test")
        .lambda_function(
            "in-process",
            lambda_fn(|event| async move {
                match event["n"].as_i64() {
                    Some(n) => Ok(json!({"doubled": n * 2})),
                    None => Err(FunctionError::new("InvalidInput", "n is missing")),
                }
            }),
        )
        .build()
}

async fn start() -> MotoServer {
    let moto = MotoServer::start()
        .await
        .expect("moto_server (run `bash scripts/setup-moto`)");
    moto.configure(&json!({
        "lambda": {"use_docker": false},
        "stepfunctions": {"execute_state_machine": true}
    }))
    .await
    .unwrap();
    moto
}

/// An empty zip archive: all moto's simple backend needs as function code.
const EMPTY_ZIP: &[u8] = b"PK\x05\x06\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lambda_against_moto_and_in_process() {
    let moto = start().await;
    let sdk = sdk_config(&moto).await;
    let role = moto.create_role("lambda-role").await.unwrap();
    aws_sdk_lambda::Client::new(&sdk)
        .create_function()
        .function_name("echo")
        .runtime(aws_sdk_lambda::types::Runtime::Python312)
        .role(role)
        .handler("index.handler")
        .code(
            aws_sdk_lambda::types::FunctionCode::builder()
                .zip_file(aws_sdk_lambda::primitives::Blob::new(EMPTY_ZIP))
                .build(),
        )
        .send()
        .await
        .expect("CreateFunction");
    let lambda = integrations(&moto).await;

    // lambda:invoke: the wrapper with StatusCode, ExecutedVersion and the payload
    // as JSON (the simple backend answers with its queued result).
    moto.queue_lambda_results(&[r#"{"greeting": "hello"}"#])
        .await
        .unwrap();
    let out = run(
        &lambda,
        "arn:aws:states:::lambda:invoke",
        json!({"FunctionName": "echo", "Payload": {"name": "asl"}}),
    )
    .await
    .unwrap();
    assert_eq!(out["StatusCode"], 200, "{out}");
    assert_eq!(out["ExecutedVersion"], "$LATEST", "{out}");
    assert_eq!(out["Payload"], json!({"greeting": "hello"}), "{out}");

    // A function ARN: the result is the payload itself (here, the event echoed).
    let arn = "arn:aws:lambda:us-east-1:123456789012:function:echo";
    let out = run(&lambda, arn, json!({"name": "asl"})).await.unwrap();
    assert_eq!(out, json!({"name": "asl"}));

    // InvocationType Event: 202 and an empty payload.
    let out = run(
        &lambda,
        "arn:aws:states:::lambda:invoke",
        json!({"FunctionName": "echo", "InvocationType": "Event", "Payload": {}}),
    )
    .await
    .unwrap();
    assert_eq!(out["StatusCode"], 202, "{out}");
    assert_eq!(out["Payload"], "", "{out}");

    // (moto's simple backend answers any function name, so Lambda's own
    // exceptions are not reachable here; a function's error is, below.)

    // The same shapes for a Rust function of this program.
    let out = run(
        &lambda,
        "arn:aws:states:::lambda:invoke",
        json!({"FunctionName": "arn:aws:lambda:us-east-1:123456789012:function:in-process", "Payload": {"n": 21}}),
    )
    .await
    .unwrap();
    assert_eq!(out["Payload"], json!({"doubled": 42}), "{out}");
    assert_eq!(out["StatusCode"], 200);
    let err = run(
        &lambda,
        "arn:aws:lambda:us-east-1:123456789012:function:in-process",
        json!({}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.name(), "InvalidInput");
    let cause: Value = serde_json::from_str(err.cause().unwrap()).unwrap();
    assert_eq!(cause["errorMessage"], "n is missing");
    assert_eq!(cause["errorType"], "InvalidInput");

    // An InvocationType the API does not have is refused before any call.
    let err = run(
        &lambda,
        "arn:aws:states:::lambda:invoke",
        json!({"FunctionName": "echo", "InvocationType": "Later"}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.name(), "States.Runtime");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dynamodb_against_moto() {
    let moto = start().await;
    let sdk = sdk_config(&moto).await;
    use aws_sdk_dynamodb::types::{
        AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
    };
    aws_sdk_dynamodb::Client::new(&sdk)
        .create_table()
        .table_name("orders-test")
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("id")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("id")
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("CreateTable");
    let ddb = integrations(&moto).await;
    let arn = |api: &str| format!("arn:aws:states:::dynamodb:{api}");
    let sdk_arn = |api: &str| format!("arn:aws:states:::aws-sdk:dynamodb:{api}");

    // putItem on "Orders", which the runtime maps to "orders-test".
    let out = run(
        &ddb,
        &arn("putItem"),
        json!({"TableName": "Orders", "Item": {"id": {"S": "o-1"}, "qty": {"N": "2"}}}),
    )
    .await
    .unwrap();
    assert!(out.is_object(), "{out}");
    let out = run(
        &ddb,
        &arn("getItem"),
        json!({"TableName": "Orders", "Key": {"id": {"S": "o-1"}}}),
    )
    .await
    .unwrap();
    assert_eq!(
        out["Item"],
        json!({"id": {"S": "o-1"}, "qty": {"N": "2"}}),
        "{out}"
    );
    let out = run(
        &ddb,
        &arn("updateItem"),
        json!({
            "TableName": "Orders",
            "Key": {"id": {"S": "o-1"}},
            "UpdateExpression": "SET qty = :q",
            "ExpressionAttributeValues": {":q": {"N": "5"}},
            "ReturnValues": "ALL_NEW"
        }),
    )
    .await
    .unwrap();
    assert_eq!(out["Attributes"]["qty"], json!({"N": "5"}), "{out}");

    // A failed condition: the exception's name as Step Functions gives it.
    let err = run(
        &ddb,
        &arn("putItem"),
        json!({
            "TableName": "Orders",
            "Item": {"id": {"S": "o-1"}},
            "ConditionExpression": "attribute_not_exists(id)"
        }),
    )
    .await
    .unwrap_err();
    assert_eq!(
        err.name(),
        "DynamoDB.ConditionalCheckFailedException",
        "{err}"
    );

    // The SDK integrations: query, scan, batch and transaction APIs.
    let out = run(
        &ddb,
        &sdk_arn("batchWriteItem"),
        json!({"RequestItems": {"Orders": [
            {"PutRequest": {"Item": {"id": {"S": "o-2"}}}},
            {"PutRequest": {"Item": {"id": {"S": "o-3"}}}}
        ]}}),
    )
    .await
    .unwrap();
    assert!(out["UnprocessedItems"].is_object(), "{out}");
    let out = run(
        &ddb,
        &sdk_arn("query"),
        json!({
            "TableName": "Orders",
            "KeyConditionExpression": "id = :id",
            "ExpressionAttributeValues": {":id": {"S": "o-2"}}
        }),
    )
    .await
    .unwrap();
    assert_eq!(out["Count"], 1, "{out}");
    assert_eq!(out["Items"][0]["id"], json!({"S": "o-2"}), "{out}");
    let out = run(&ddb, &sdk_arn("scan"), json!({"TableName": "Orders"}))
        .await
        .unwrap();
    assert_eq!(out["Count"], 3, "{out}");
    let out = run(
        &ddb,
        &sdk_arn("batchGetItem"),
        json!({"RequestItems": {"Orders": {"Keys": [{"id": {"S": "o-3"}}]}}}),
    )
    .await
    .unwrap();
    assert_eq!(
        out["Responses"]["orders-test"][0]["id"],
        json!({"S": "o-3"}),
        "{out}"
    );
    run(
        &ddb,
        &sdk_arn("transactWriteItems"),
        json!({"TransactItems": [
            {"Put": {"TableName": "Orders", "Item": {"id": {"S": "o-4"}}}},
            {"Delete": {"TableName": "Orders", "Key": {"id": {"S": "o-3"}}}}
        ]}),
    )
    .await
    .unwrap();
    let out = run(
        &ddb,
        &arn("deleteItem"),
        json!({"TableName": "Orders", "Key": {"id": {"S": "o-4"}}, "ReturnValues": "ALL_OLD"}),
    )
    .await
    .unwrap();
    assert_eq!(out["Attributes"]["id"], json!({"S": "o-4"}), "{out}");
    let err = run(&ddb, &sdk_arn("scan"), json!({"TableName": "Nope"}))
        .await
        .unwrap_err();
    assert_eq!(err.name(), "DynamoDb.ResourceNotFoundException", "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_against_moto() {
    let moto = start().await;
    let sdk = sdk_config(&moto).await;
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&sdk)
            .force_path_style(true)
            .build(),
    );
    s3.create_bucket().bucket("docs").send().await.unwrap();
    let it = integrations(&moto).await;
    let arn = |api: &str| format!("arn:aws:states:::aws-sdk:s3:{api}");

    // putObject with a JSON body: stored as its JSON text.
    let out = run(
        &it,
        &arn("putObject"),
        json!({"Bucket": "docs", "Key": "a.json", "Body": {"x": 1}, "ContentType": "application/json"}),
    )
    .await
    .unwrap();
    assert!(out["ETag"].as_str().unwrap().starts_with('"'), "{out}");
    let out = run(
        &it,
        &arn("getObject"),
        json!({"Bucket": "docs", "Key": "a.json"}),
    )
    .await
    .unwrap();
    assert_eq!(out["Body"], "{\"x\":1}", "{out}");
    assert_eq!(out["ContentLength"], 7, "{out}");
    assert_eq!(out["ContentType"], "application/json", "{out}");
    assert!(
        out["LastModified"].as_str().unwrap().ends_with('Z'),
        "{out}"
    );
    let out = run(
        &it,
        &arn("headObject"),
        json!({"Bucket": "docs", "Key": "a.json"}),
    )
    .await
    .unwrap();
    assert_eq!(out["ContentLength"], 7, "{out}");
    let out = run(
        &it,
        &arn("copyObject"),
        json!({"Bucket": "docs", "Key": "b.json", "CopySource": "docs/a.json"}),
    )
    .await
    .unwrap();
    assert!(out["CopyObjectResult"]["ETag"].is_string(), "{out}");
    let out = run(&it, &arn("listObjectsV2"), json!({"Bucket": "docs"}))
        .await
        .unwrap();
    assert_eq!(out["KeyCount"], 2, "{out}");
    assert_eq!(out["Contents"][1]["Key"], "b.json", "{out}");
    assert_eq!(out["Name"], "docs", "{out}");
    run(
        &it,
        &arn("deleteObject"),
        json!({"Bucket": "docs", "Key": "b.json"}),
    )
    .await
    .unwrap();
    let err = run(
        &it,
        &arn("getObject"),
        json!({"Bucket": "docs", "Key": "b.json"}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.name(), "S3.NoSuchKeyException", "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqs_events_and_nested_executions_against_moto() {
    let moto = start().await;
    let sdk = sdk_config(&moto).await;
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let queue = sqs
        .create_queue()
        .queue_name("jobs")
        .send()
        .await
        .unwrap()
        .queue_url()
        .unwrap()
        .to_string();
    let it = integrations(&moto).await;

    // sqs:sendMessage: an object body is sent as its JSON text.
    let out = run(
        &it,
        "arn:aws:states:::sqs:sendMessage",
        json!({"QueueUrl": queue, "MessageBody": {"job": 7}}),
    )
    .await
    .unwrap();
    assert!(out["MessageId"].is_string(), "{out}");
    assert_eq!(
        out["MD5OfMessageBody"],
        format!("{:x}", <md5::Md5 as md5::Digest>::digest(b"{\"job\":7}")),
        "{out}"
    );
    let received = sqs
        .receive_message()
        .queue_url(&queue)
        .send()
        .await
        .unwrap();
    assert_eq!(received.messages()[0].body(), Some("{\"job\":7}"));
    let err = run(
        &it,
        "arn:aws:states:::sqs:sendMessage",
        json!({"QueueUrl": format!("{}/123456789012/none", moto.endpoint()), "MessageBody": "x"}),
    )
    .await
    .unwrap_err();
    assert!(err.name().starts_with("SQS."), "{err}");
    assert!(err.name().ends_with("Exception"), "{err}");

    // events:putEvents: the entries' ids.
    let out = run(
        &it,
        "arn:aws:states:::events:putEvents",
        json!({"Entries": [{"Source": "asl.test", "DetailType": "Order", "Detail": {"id": 1}}]}),
    )
    .await
    .unwrap();
    assert_eq!(out["FailedEntryCount"], 0, "{out}");
    assert!(out["Entries"][0]["EventId"].is_string(), "{out}");
    let err = run(
        &it,
        "arn:aws:states:::events:putEvents",
        json!({"Entries": [{"Source": "asl.test", "DetailType": "Order", "Detail": {"id": 1}, "EventBusName": "no-such-bus"}]}),
    )
    .await;
    // moto answers an unknown bus with a failed entry or a service error; both
    // are EventBridge's names.
    if let Err(err) = err {
        assert!(err.name().starts_with("EventBridge."), "{err}");
    }

    // states:startExecution against Step Functions (moto runs the machine).
    let machine = aws_sdk_sfn::Client::new(&sdk)
        .create_state_machine()
        .name("Child")
        .role_arn("arn:aws:iam::123456789012:role/sfn")
        .definition(r#"{"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": {"done": true}, "End": true}}}"#)
        .send()
        .await
        .unwrap()
        .state_machine_arn()
        .to_string();
    let out = run(
        &it,
        "arn:aws:states:::states:startExecution",
        json!({"StateMachineArn": machine, "Input": {"n": 1}}),
    )
    .await
    .unwrap();
    assert!(
        out["ExecutionArn"]
            .as_str()
            .unwrap()
            .contains(":execution:Child:"),
        "{out}"
    );
    assert!(out["StartDate"].is_i64(), "{out}");
    for (resource, output) in [
        (
            "arn:aws:states:::states:startExecution.sync",
            json!("{\"done\":true}"),
        ),
        (
            "arn:aws:states:::states:startExecution.sync:2",
            json!({"done": true}),
        ),
    ] {
        let out = run(
            &it,
            resource,
            json!({"StateMachineArn": machine, "Input": {"n": 1}}),
        )
        .await
        .unwrap();
        assert_eq!(out["Status"], "SUCCEEDED", "{out}");
        assert_eq!(out["Output"], output, "{resource}: {out}");
    }
    let err = run(
        &it,
        "arn:aws:states:::states:startExecution",
        json!({"StateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:None"}),
    )
    .await
    .unwrap_err();
    assert_eq!(
        err.name(),
        "StepFunctions.StateMachineDoesNotExistException",
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_invoke_against_a_local_https_server() {
    use asl_runtime::integrations::{HttpAuth, Secret};
    let server = asl_testkit::https::HttpsEcho::start().await.unwrap();
    let sdk = aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .build();
    let connection = "arn:aws:events:us-east-1:123456789012:connection/Api/1";
    let it = Integrations::builder(&sdk)
        .http_connection(
            connection,
            HttpAuth::ApiKey {
                name: "x-api-key".into(),
                value: Secret::new("k-123"),
            },
        )
        .http_root_certificate(server.ca_pem().as_bytes())
        .unwrap()
        .build();
    let resource = "arn:aws:states:::http:invoke";
    let out = run(
        &it,
        resource,
        json!({
            "ApiEndpoint": format!("{}/orders", server.endpoint()),
            "Method": "POST",
            "Authentication": {"ConnectionArn": connection},
            "Headers": {"x-trace": "t-1"},
            "QueryParameters": {"page": "2"},
            "RequestBody": {"id": 7}
        }),
    )
    .await
    .unwrap();
    assert_eq!(out["StatusCode"], "200", "{out}");
    assert_eq!(out["StatusText"], "OK", "{out}");
    assert_eq!(out["Headers"]["x-echo"], json!(["asl"]), "{out}");
    let echoed = &out["ResponseBody"];
    assert_eq!(echoed["method"], "POST", "{out}");
    assert_eq!(echoed["path"], "/orders");
    assert_eq!(echoed["query"], "page=2");
    assert_eq!(echoed["headers"]["x-api-key"], "k-123");
    assert_eq!(echoed["headers"]["x-trace"], "t-1");
    assert_eq!(echoed["headers"]["content-type"], "application/json");
    assert_eq!(echoed["body"], "{\"id\":7}");

    // URL-encoded form body, arrays repeated.
    let out = run(
        &it,
        resource,
        json!({
            "ApiEndpoint": format!("{}/form", server.endpoint()),
            "Method": "PUT",
            "Authentication": {"ConnectionArn": connection},
            "RequestBody": {"tags": ["a", "b"]},
            "Transform": {"RequestBodyEncoding": "URL_ENCODED", "RequestEncodingOptions": {"ArrayFormat": "REPEAT"}}
        }),
    )
    .await
    .unwrap();
    assert_eq!(out["ResponseBody"]["body"], "tags=a&tags=b", "{out}");
    assert_eq!(
        out["ResponseBody"]["headers"]["content-type"],
        "application/x-www-form-urlencoded"
    );

    // A text answer stays text.
    let out = run(
        &it,
        resource,
        json!({"ApiEndpoint": format!("{}/text", server.endpoint()), "Method": "GET", "Authentication": {"ConnectionArn": connection}}),
    )
    .await
    .unwrap();
    assert_eq!(out["ResponseBody"], "plain text", "{out}");

    // Outside 2xx: States.Http.StatusCode.<code>, the response as cause.
    let err = run(
        &it,
        resource,
        json!({"ApiEndpoint": format!("{}/status/404", server.endpoint()), "Method": "GET", "Authentication": {"ConnectionArn": connection}}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.name(), "States.Http.StatusCode.404", "{err}");
    let cause: Value = serde_json::from_str(err.cause().unwrap()).unwrap();
    assert_eq!(cause["ResponseBody"]["message"], "status 404");

    // A connection nobody configured, and a server that is not there.
    let err = run(
        &it,
        resource,
        json!({"ApiEndpoint": server.endpoint(), "Method": "GET", "Authentication": {"ConnectionArn": "arn:aws:events:us-east-1:1:connection/Other/2"}}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.name(), "States.Runtime", "{err}");
    let err = run(
        &it,
        resource,
        json!({"ApiEndpoint": "https://127.0.0.1:1/x", "Method": "GET", "Authentication": {"ConnectionArn": connection}}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.name(), "States.Http.Socket", "{err}");
    // Plain HTTP is refused, as Step Functions refuses it.
    let err = run(
        &it,
        resource,
        json!({"ApiEndpoint": "http://127.0.0.1:1/x", "Method": "GET", "Authentication": {"ConnectionArn": connection}}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.name(), "States.Runtime", "{err}");
    assert_eq!(server.requests().len(), 4);
}
