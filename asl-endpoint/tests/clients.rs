//! The endpoint driven by real, unmodified clients: the `aws-sdk-sfn` crate,
//! boto3 and the AWS CLI (both from the venv `scripts/setup-moto` makes), and
//! raw HTTP for the requests no client would send (unsigned, signed for
//! another body, expired, malformed). Each test serves compiled workflows
//! from a SQLite store in a temporary directory on a free port of 127.0.0.1.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use asl_endpoint::{Config, Endpoint};
use asl_runtime::Runtime;
use asl_runtime::store::SqliteStore;
use aws_sdk_sfn::types::{ExecutionStatus, HistoryEventType};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

asl_macro::asl!(pub Orders = "tests/workflows/orders.asl.json", runtime = asl_runtime::__private);
asl_macro::asl!(pub Sleeper = "tests/workflows/sleeper.asl.json", runtime = asl_runtime::__private);
asl_macro::asl!(
    pub Approval = "tests/workflows/approval.asl.json",
    runtime = asl_runtime::__private,
    resources = ["arn:aws:states:::apigateway:invoke.waitForTaskToken"]
);
asl_macro::asl!(pub Review = "tests/workflows/review.asl.json", runtime = asl_runtime::__private);
asl_macro::asl!(
    pub Batches = "tests/workflows/batches.asl.json",
    runtime = asl_runtime::__private,
    resources = ["arn:aws:lambda:eu-west-1:111122223333:function:work"]
);
asl_macro::asl!(
    pub Swarm = "tests/workflows/swarm.asl.json",
    runtime = asl_runtime::__private,
    resources = ["arn:aws:lambda:eu-west-1:111122223333:function:work"]
);
asl_macro::asl!(
    pub Listing = "tests/workflows/listing.asl.json",
    runtime = asl_runtime::__private,
    resources = ["arn:aws:lambda:eu-west-1:111122223333:function:work"]
);

/// The children's Task of `Batches`: steered by files of the test's
/// directory (see `tests/clients/boto3_map_runs.py`).
const WORK: &str = "arn:aws:lambda:eu-west-1:111122223333:function:work";

/// The callback resource of `Approval`; its handler here leaves each task
/// token in a file named after the execution, where every client reads it
/// (as a real approver would read it from a queue or an e-mail).
const ASK: &str = "arn:aws:states:::apigateway:invoke.waitForTaskToken";

const KEY_ID: &str = "AKIDASLENDPOINTTEST";
const SECRET: &str = "endpoint-test-secret";
const REGION: &str = "eu-west-1";
const ACCOUNT: &str = "111122223333";

/// A served runtime: its address, removed with its store when dropped.
struct Served {
    address: std::net::SocketAddr,
    dir: PathBuf,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Served {
    fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    fn machine_arn(&self, name: &str) -> String {
        format!("arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{name}")
    }

    /// The task token `Approval`'s execution `execution` was handed.
    async fn token(&self, execution: &str) -> String {
        let path = self.dir.join(format!("{execution}.token"));
        for _ in 0..500 {
            if let Ok(token) = std::fs::read_to_string(&path) {
                return token;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("no task token for {execution} after 10 s");
    }
}

async fn serve() -> Served {
    serve_with(false, None).await
}

/// [`serve`], with the distributed Maps (`Batches`, `Swarm`, `Listing`) and
/// their children's handler when `batches` (the other tests list exactly
/// the four machines they serve), reading S3 from `moto`'s when given.
async fn serve_with(batches: bool, moto: Option<&asl_testkit::moto::MotoServer>) -> Served {
    let dir = std::env::temp_dir().join(format!("asl-endpoint-{}", uuid_like()));
    std::fs::create_dir_all(&dir).unwrap();
    let store = SqliteStore::open(dir.join("executions.db")).unwrap();
    let tokens = dir.clone();
    let runtime = Runtime::builder()
        .region(REGION)
        .account(ACCOUNT)
        .store(store)
        .workflow::<Orders>()
        .workflow::<Sleeper>()
        .workflow::<Approval>()
        .workflow::<Review>()
        .activity_poll(Duration::from_secs(1))
        .handler(
            ASK,
            asl_runtime::task::handler_fn(move |task, params| {
                let tokens = tokens.clone();
                async move {
                    let token = task.task_token.clone().unwrap_or_default();
                    assert_eq!(params["RequestBody"]["token"], json!(token));
                    let execution = params["RequestBody"]["execution"].as_str().unwrap_or("");
                    // Written whole, then renamed: a reader never sees half a token.
                    let part = tokens.join(format!("{execution}.part"));
                    std::fs::write(&part, &token).unwrap();
                    std::fs::rename(&part, tokens.join(format!("{execution}.token"))).unwrap();
                    Ok(json!({"accepted": true}))
                }
            }),
        );
    let runtime = match moto {
        Some(moto) => runtime.object_storage(moto_storage(moto)),
        None => runtime,
    };
    let runtime = match batches {
        true => {
            let dir = dir.clone();
            runtime
                .workflow::<Batches>()
                .workflow::<Swarm>()
                .workflow::<Listing>()
                .handler(
                    WORK,
                    asl_runtime::task::handler_fn(move |_task, item: Value| {
                        let dir = dir.clone();
                        async move { work(&dir, &item).await }
                    }),
                )
        }
        false => runtime,
    }
    .build();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let endpoint = Endpoint::new(runtime, Config::new().credential(KEY_ID, SECRET));
    tokio::spawn(endpoint.serve(listener));
    Served { address, dir }
}

/// S3 as moto serves it, for the distributed Maps' readers.
fn moto_storage(
    moto: &asl_testkit::moto::MotoServer,
) -> Option<std::sync::Arc<dyn asl_runtime::exec::ObjectStorage>> {
    let aws = moto.aws();
    let sdk = aws_config::SdkConfig::builder()
        .region(aws_config::Region::new(aws.region.clone()))
        .endpoint_url(aws.endpoint.clone())
        .credentials_provider(
            aws_credential_types::provider::SharedCredentialsProvider::new(
                aws_credential_types::Credentials::new(
                    aws.access_key_id.clone(),
                    aws.secret_access_key.clone(),
                    None,
                    None,
                    "moto",
                ),
            ),
        )
        .behavior_version(aws_config::BehaviorVersion::latest())
        .build();
    asl_runtime::integrations::Integrations::builder(&sdk)
        .build()
        .object_storage()
}

/// One child of `Batches`: logs the call in `<run>.calls`, waits for
/// `<run>.open` when the item is held, fails while `<run>.broken` exists
/// when it is flaky.
async fn work(dir: &std::path::Path, item: &Value) -> Result<Value, asl_runtime::Error> {
    use std::io::Write as _;
    let run = item["run"].as_str().unwrap_or("run");
    let n = item["n"].as_u64().unwrap_or(0);
    let mut calls = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join(format!("{run}.calls")))
        .unwrap();
    calls.write_all(format!("{n}\n").as_bytes()).unwrap();
    if item["hold"] == json!(true) {
        for _ in 0..1500 {
            if dir.join(format!("{run}.open")).exists() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    if item["flaky"] == json!(true) && dir.join(format!("{run}.broken")).exists() {
        return Err(asl_runtime::Error::new("Flaky", format!("item {n} fails")));
    }
    Ok(json!({ "n": n }))
}

fn uuid_like() -> String {
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{}-{nanos}", std::process::id())
}

fn sdk(served: &Served, key_id: &str, secret: &str) -> aws_sdk_sfn::Client {
    let config = aws_sdk_sfn::Config::builder()
        .behavior_version(aws_sdk_sfn::config::BehaviorVersion::latest())
        .region(aws_sdk_sfn::config::Region::new(REGION))
        .credentials_provider(aws_credential_types::Credentials::new(
            key_id, secret, None, None, "test",
        ))
        .endpoint_url(served.url())
        .retry_config(aws_sdk_sfn::config::retry::RetryConfig::disabled())
        .build();
    aws_sdk_sfn::Client::from_conf(config)
}

/// The AWS error code and message of a failed SDK call.
fn code<E, R>(
    result: Result<R, aws_sdk_sfn::error::SdkError<E, aws_sdk_sfn::config::http::HttpResponse>>,
) -> (String, String)
where
    E: aws_sdk_sfn::error::ProvideErrorMetadata + std::fmt::Debug,
    R: std::fmt::Debug,
{
    use aws_sdk_sfn::error::ProvideErrorMetadata as _;
    let e = result.expect_err("the call must be refused");
    (
        e.code().unwrap_or_default().to_string(),
        e.message().unwrap_or_default().to_string(),
    )
}

async fn wait_until_done(
    client: &aws_sdk_sfn::Client,
    arn: &str,
) -> aws_sdk_sfn::operation::describe_execution::DescribeExecutionOutput {
    for _ in 0..500 {
        let d = client
            .describe_execution()
            .execution_arn(arn)
            .send()
            .await
            .unwrap();
        if d.status != ExecutionStatus::Running {
            return d;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{arn} still runs after 10 s");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sdk_lists_starts_describes_and_pages_history() {
    let served = serve().await;
    let client = sdk(&served, KEY_ID, SECRET);

    let listed = client.list_state_machines().send().await.unwrap();
    let names: Vec<&str> = listed
        .state_machines
        .iter()
        .map(|m| m.name.as_str())
        .collect();
    assert_eq!(names, ["Approval", "Orders", "Review", "Sleeper"]);
    assert!(listed.next_token.is_none());
    // Three, then the rest: the token leads to the last one.
    let first = client
        .list_state_machines()
        .max_results(3)
        .send()
        .await
        .unwrap();
    assert_eq!(first.state_machines.len(), 3);
    let second = client
        .list_state_machines()
        .max_results(3)
        .next_token(first.next_token.unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(second.state_machines.len(), 1);
    assert_eq!(second.state_machines[0].name, "Sleeper");
    assert!(second.next_token.is_none());

    let arn = served.machine_arn("Orders");
    let machine = client
        .describe_state_machine()
        .state_machine_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(
        machine.definition,
        <Orders as asl_runtime::Workflow>::DEFINITION
    );
    assert_eq!(
        machine.r#type,
        aws_sdk_sfn::types::StateMachineType::Standard
    );

    let started = client
        .start_execution()
        .state_machine_arn(&arn)
        .name("sdk-order")
        .input(r#"{"qty": 2, "extra": 3, "fail": false}"#)
        .send()
        .await
        .unwrap();
    let execution = started.execution_arn;
    assert_eq!(
        execution,
        format!("arn:aws:states:{REGION}:{ACCOUNT}:execution:Orders:sdk-order")
    );
    let done = wait_until_done(&client, &execution).await;
    assert_eq!(done.status, ExecutionStatus::Succeeded);
    let output: Value = serde_json::from_str(done.output.as_deref().unwrap()).unwrap();
    assert_eq!(output, json!({"total": 5}));
    assert!(done.stop_date.unwrap() >= done.start_date);

    // Pages of 3, following nextToken, are the whole history in order.
    let whole = client
        .get_execution_history()
        .execution_arn(&execution)
        .send()
        .await
        .unwrap();
    let mut paged = Vec::new();
    let mut token = None;
    let mut pages = 0;
    loop {
        let page = client
            .get_execution_history()
            .execution_arn(&execution)
            .max_results(3)
            .set_next_token(token)
            .send()
            .await
            .unwrap();
        pages += 1;
        paged.extend(page.events);
        token = page.next_token;
        if token.is_none() {
            break;
        }
    }
    assert_eq!(paged, whole.events);
    assert_eq!(pages, whole.events.len().div_ceil(3));
    let types: Vec<&HistoryEventType> = paged.iter().map(|e| &e.r#type).collect();
    assert_eq!(types.first(), Some(&&HistoryEventType::ExecutionStarted));
    assert_eq!(types.last(), Some(&&HistoryEventType::ExecutionSucceeded));
    assert!(types.contains(&&HistoryEventType::WaitStateEntered));
    let ids: Vec<i64> = paged.iter().map(|e| e.id).collect();
    assert_eq!(ids, (1..=paged.len() as i64).collect::<Vec<_>>());
    let entered = paged
        .iter()
        .find_map(|e| e.state_entered_event_details.as_ref())
        .unwrap();
    assert_eq!(entered.name, "Price");
    assert!(entered.input.is_some());

    let newest_first = client
        .get_execution_history()
        .execution_arn(&execution)
        .reverse_order(true)
        .include_execution_data(false)
        .max_results(2)
        .send()
        .await
        .unwrap();
    assert_eq!(
        newest_first.events[0].r#type,
        HistoryEventType::ExecutionSucceeded
    );
    let exited = newest_first
        .events
        .iter()
        .find_map(|e| e.state_exited_event_details.as_ref())
        .unwrap();
    assert_eq!(exited.name, "Done");
    assert!(
        exited.output.is_none(),
        "includeExecutionData=false leaves data out"
    );

    let for_execution = client
        .describe_state_machine_for_execution()
        .execution_arn(&execution)
        .send()
        .await
        .unwrap();
    assert_eq!(for_execution.state_machine_arn, arn);
    assert_eq!(for_execution.definition, machine.definition);

    // A failing execution, and the listing by status.
    let failing = client
        .start_execution()
        .state_machine_arn(&arn)
        .input(r#"{"qty": 1, "extra": 1, "fail": true}"#)
        .send()
        .await
        .unwrap();
    let failed = wait_until_done(&client, &failing.execution_arn).await;
    assert_eq!(failed.status, ExecutionStatus::Failed);
    assert_eq!(failed.error.as_deref(), Some("Order.Refused"));
    assert_eq!(
        failed.redrive_status,
        Some(aws_sdk_sfn::types::ExecutionRedriveStatus::Redrivable)
    );
    let succeeded = client
        .list_executions()
        .state_machine_arn(&arn)
        .status_filter(ExecutionStatus::Succeeded)
        .send()
        .await
        .unwrap();
    let arns: Vec<&str> = succeeded
        .executions
        .iter()
        .map(|e| e.execution_arn.as_str())
        .collect();
    assert_eq!(arns, [execution.as_str()]);
    let all = client
        .list_executions()
        .state_machine_arn(&arn)
        .max_results(1)
        .send()
        .await
        .unwrap();
    assert_eq!(all.executions.len(), 1);
    let rest = client
        .list_executions()
        .state_machine_arn(&arn)
        .max_results(1)
        .next_token(all.next_token.unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(rest.executions.len(), 1);
    assert_ne!(
        rest.executions[0].execution_arn,
        all.executions[0].execution_arn
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sdk_stops_and_redrives() {
    let served = serve().await;
    let client = sdk(&served, KEY_ID, SECRET);
    let arn = served.machine_arn("Sleeper");
    let started = client
        .start_execution()
        .state_machine_arn(&arn)
        .send()
        .await
        .unwrap();
    let execution = started.execution_arn;
    let stopped = client
        .stop_execution()
        .execution_arn(&execution)
        .error("Operator.Stop")
        .cause("stopped from the test")
        .send()
        .await
        .unwrap();
    assert!(stopped.stop_date >= started.start_date);
    let d = wait_until_done(&client, &execution).await;
    assert_eq!(d.status, ExecutionStatus::Aborted);
    assert_eq!(d.error.as_deref(), Some("Operator.Stop"));

    let redriven = client
        .redrive_execution()
        .execution_arn(&execution)
        .send()
        .await
        .unwrap();
    let d = client
        .describe_execution()
        .execution_arn(&execution)
        .send()
        .await
        .unwrap();
    assert_eq!(d.status, ExecutionStatus::Running);
    assert_eq!(d.redrive_count, Some(1));
    assert_eq!(d.redrive_date, Some(redriven.redrive_date));
    client
        .stop_execution()
        .execution_arn(&execution)
        .send()
        .await
        .unwrap();
    // An execution that does not exist cannot be redriven.
    let (code, _) = code(
        client
            .redrive_execution()
            .execution_arn(format!("{execution}x"))
            .send()
            .await,
    );
    assert_eq!(code, "ExecutionDoesNotExist");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sdk_gets_aws_errors_for_bad_calls() {
    let served = serve().await;
    let client = sdk(&served, KEY_ID, SECRET);
    let arn = served.machine_arn("Orders");

    let (c, m) = code(
        client
            .start_execution()
            .state_machine_arn(&arn)
            .input("{not json")
            .send()
            .await,
    );
    assert_eq!(c, "InvalidExecutionInput");
    assert!(
        m.starts_with("Invalid State Machine Execution Input"),
        "{m}"
    );
    let big = json!({"pad": "x".repeat(256 * 1024)}).to_string();
    let (c, m) = code(
        client
            .start_execution()
            .state_machine_arn(&arn)
            .input(big)
            .send()
            .await,
    );
    assert_eq!(c, "ValidationException");
    assert!(m.contains("'input'") && m.contains("262144"), "{m}");
    let (c, _) = code(
        client
            .start_execution()
            .state_machine_arn("Orders")
            .send()
            .await,
    );
    assert_eq!(c, "InvalidArn");
    let (c, m) = code(
        client
            .start_execution()
            .state_machine_arn(served.machine_arn("Nope"))
            .send()
            .await,
    );
    assert_eq!(c, "StateMachineDoesNotExist");
    assert!(m.contains("Nope"), "{m}");
    let (c, _) = code(
        client
            .start_execution()
            .state_machine_arn(&arn)
            .name("has space")
            .send()
            .await,
    );
    assert_eq!(c, "InvalidName");
    let (c, _) = code(
        client
            .describe_execution()
            .execution_arn(format!(
                "arn:aws:states:{REGION}:{ACCOUNT}:execution:Orders:none"
            ))
            .send()
            .await,
    );
    assert_eq!(c, "ExecutionDoesNotExist");
    let (c, _) = code(client.describe_execution().execution_arn(&arn).send().await);
    assert_eq!(c, "InvalidArn");
    let (c, _) = code(
        client
            .list_executions()
            .state_machine_arn(&arn)
            .next_token("forged")
            .send()
            .await,
    );
    assert_eq!(c, "InvalidToken");
    let (c, m) = code(
        client
            .create_state_machine()
            .name("New")
            .definition("{}")
            .role_arn("arn:aws:iam::111122223333:role/r")
            .send()
            .await,
    );
    assert_eq!(c, "ValidationException");
    assert!(m.contains("compiled workflows only"), "{m}");

    // Credentials: an unknown key, a wrong secret.
    let (c, _) = code(
        sdk(&served, "AKIDNOBODY", SECRET)
            .list_state_machines()
            .send()
            .await,
    );
    assert_eq!(c, "UnrecognizedClientException");
    let (c, m) = code(
        sdk(&served, KEY_ID, "wrong")
            .list_state_machines()
            .send()
            .await,
    );
    assert_eq!(c, "InvalidSignatureException");
    assert!(m.contains("does not match"), "{m}");

    // ValidateStateMachineDefinition: our checker, in AWS's shape.
    let ok = client
        .validate_state_machine_definition()
        .definition(<Orders as asl_runtime::Workflow>::DEFINITION)
        .send()
        .await
        .unwrap();
    assert_eq!(
        ok.result,
        aws_sdk_sfn::types::ValidateStateMachineDefinitionResultCode::Ok
    );
    assert!(ok.diagnostics.is_empty());
    let bad = client
        .validate_state_machine_definition()
        .definition(r#"{"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}}}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(
        bad.result,
        aws_sdk_sfn::types::ValidateStateMachineDefinitionResultCode::Fail
    );
    let next = bad
        .diagnostics
        .iter()
        .find(|d| d.code == "asl::unknown-next-state")
        .unwrap();
    assert_eq!(
        next.severity,
        aws_sdk_sfn::types::ValidateStateMachineDefinitionSeverity::Error
    );
    assert_eq!(next.location.as_deref(), Some("/States/A/Next"));
}

/// One HTTP/1.1 request, written by hand: the status and the JSON answer.
async fn raw(served: &Served, headers: &[(String, String)], body: &[u8]) -> (u16, Value) {
    let mut stream = tokio::net::TcpStream::connect(served.address)
        .await
        .unwrap();
    let mut request = format!(
        "POST / HTTP/1.1\r\ncontent-length: {}\r\nconnection: close\r\n",
        body.len()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    stream.write_all(body).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    let text = String::from_utf8(answer).unwrap();
    let status: u16 = text[9..12].parse().unwrap();
    let (_, body) = text.split_once("\r\n\r\n").unwrap();
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

/// The headers of a request for `target` signed as the SDKs sign, at `time`,
/// over `body`.
fn signed(
    served: &Served,
    target: &str,
    body: &[u8],
    secret: &str,
    time: SystemTime,
) -> Vec<(String, String)> {
    use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
    let identity =
        aws_credential_types::Credentials::new(KEY_ID, secret, None, None, "test").into();
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region(REGION)
        .name("states")
        .time(time)
        .settings(SigningSettings::default())
        .build()
        .unwrap()
        .into();
    let host = served.address.to_string();
    let mut headers = vec![
        ("host".to_string(), host),
        (
            "content-type".to_string(),
            "application/x-amz-json-1.0".to_string(),
        ),
        (
            "x-amz-target".to_string(),
            format!("AWSStepFunctions.{target}"),
        ),
    ];
    let signable = SignableRequest::new(
        "POST",
        format!("{}/", served.url()),
        headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        SignableBody::Bytes(body),
    )
    .unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    for (name, value) in instructions.headers() {
        headers.push((name.to_string(), value.to_string()));
    }
    headers
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refuses_what_no_client_would_send() {
    let served = serve().await;
    let now = SystemTime::now();
    let body = br#"{"maxResults": 1}"#;

    // Signed as an SDK signs: answered.
    let (status, answer) = raw(
        &served,
        &signed(&served, "ListStateMachines", body, SECRET, now),
        body,
    )
    .await;
    assert_eq!(
        (status, answer["stateMachines"][0]["name"].as_str()),
        (200, Some("Approval"))
    );

    // No signature at all.
    let unsigned = vec![(
        "x-amz-target".to_string(),
        "AWSStepFunctions.ListStateMachines".to_string(),
    )];
    let (status, answer) = raw(&served, &unsigned, body).await;
    assert_eq!(
        (status, answer["__type"].as_str()),
        (400, Some("MissingAuthenticationTokenException"))
    );

    // A signature for another body.
    let (status, answer) = raw(
        &served,
        &signed(&served, "ListStateMachines", body, SECRET, now),
        br#"{"maxResults": 2}"#,
    )
    .await;
    assert_eq!(
        (status, answer["__type"].as_str()),
        (400, Some("InvalidSignatureException"))
    );

    // A signature made ten minutes ago, replayed.
    let old = now - Duration::from_secs(600);
    let (status, answer) = raw(
        &served,
        &signed(&served, "ListStateMachines", body, SECRET, old),
        body,
    )
    .await;
    assert_eq!(
        (status, answer["__type"].as_str()),
        (400, Some("InvalidSignatureException"))
    );
    assert!(
        answer["message"]
            .as_str()
            .unwrap()
            .starts_with("Signature expired: "),
        "{answer}"
    );
    // And one dated ten minutes ahead.
    let ahead = now + Duration::from_secs(600);
    let (_, answer) = raw(
        &served,
        &signed(&served, "ListStateMachines", body, SECRET, ahead),
        body,
    )
    .await;
    assert!(
        answer["message"]
            .as_str()
            .unwrap()
            .starts_with("Signature not yet current: "),
        "{answer}"
    );

    // An action the API does not have; one it has that is not served here.
    let (status, answer) = raw(
        &served,
        &signed(&served, "LaunchRockets", body, SECRET, now),
        body,
    )
    .await;
    assert_eq!(
        (status, answer["__type"].as_str()),
        (400, Some("UnknownOperationException"))
    );
    let (_, answer) = raw(
        &served,
        &signed(&served, "TagResource", body, SECRET, now),
        body,
    )
    .await;
    assert_eq!(answer["__type"], "UnsupportedOperation");

    // A body that is not JSON, one that is not an object.
    let broken = b"{\"maxResults\": ";
    let (status, answer) = raw(
        &served,
        &signed(&served, "ListStateMachines", broken, SECRET, now),
        broken,
    )
    .await;
    assert_eq!(
        (status, answer["__type"].as_str()),
        (400, Some("SerializationException"))
    );
    let list = b"[1]";
    let (_, answer) = raw(
        &served,
        &signed(&served, "ListStateMachines", list, SECRET, now),
        list,
    )
    .await;
    assert_eq!(answer["__type"], "SerializationException");

    // A required member missing, and one of the wrong type.
    let empty = b"{}";
    let (_, answer) = raw(
        &served,
        &signed(&served, "StartExecution", empty, SECRET, now),
        empty,
    )
    .await;
    assert_eq!(answer["__type"], "ValidationException");
    assert!(
        answer["message"]
            .as_str()
            .unwrap()
            .contains("'stateMachineArn'"),
        "{answer}"
    );
    let typed = br#"{"stateMachineArn": 7}"#;
    let (_, answer) = raw(
        &served,
        &signed(&served, "StartExecution", typed, SECRET, now),
        typed,
    )
    .await;
    assert_eq!(answer["__type"], "SerializationException");
}

/// The venv's programs (`scripts/setup-moto` installs boto3 and the AWS CLI
/// next to moto's server).
fn venv_program(name: &str) -> PathBuf {
    let server = asl_testkit::moto::find_moto_server()
        .unwrap_or_else(|e| panic!("the venv with boto3 and the AWS CLI: {e}"));
    let program = server.parent().unwrap().join(name);
    assert!(
        program.is_file(),
        "{} is missing: run `bash scripts/setup-moto`",
        program.display()
    );
    program
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn boto3_drives_a_compiled_workflow() {
    let served = serve().await;
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/clients/boto3_flow.py");
    let out = tokio::process::Command::new(venv_program("python"))
        .arg(script)
        .env("ASL_ENDPOINT", served.url())
        .env("ASL_REGION", REGION)
        .env("ASL_KEY_ID", KEY_ID)
        .env("ASL_SECRET", SECRET)
        .env("AWS_CONFIG_FILE", "/nonexistent")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        r["machines"],
        json!(["Approval", "Orders", "Review", "Sleeper"])
    );
    assert_eq!(r["status"], "SUCCEEDED");
    assert_eq!(r["output"], json!({"total": 42}));
    let types = r["event_types"].as_array().unwrap();
    assert_eq!(types.first().unwrap(), "ExecutionStarted");
    assert_eq!(types.last().unwrap(), "ExecutionSucceeded");
    assert_eq!(r["pages"], json!(types.len().div_ceil(2)));
    assert_eq!(r["paginated"], json!(types.len()));
    assert_eq!(r["event_ids"], json!((1..=types.len()).collect::<Vec<_>>()));
    assert_eq!(r["dates"], true);
    assert_eq!(r["sync"]["status"], "SUCCEEDED");
    assert_eq!(r["sync"]["output"], json!({"total": 2}));
    assert!(
        r["sync"]["arn"].as_str().unwrap().starts_with(&format!(
            "arn:aws:states:{REGION}:{ACCOUNT}:express:Orders:"
        )),
        "{}",
        r["sync"]
    );
    let e = &r["errors"];
    assert_eq!(e["unsigned"][0], "MissingAuthenticationTokenException");
    assert_eq!(e["wrong_secret"][0], "InvalidSignatureException");
    assert_eq!(e["unknown_key"][0], "UnrecognizedClientException");
    assert_eq!(e["unknown_machine"][0], "StateMachineDoesNotExist");
    assert_eq!(e["bad_arn"][0], "InvalidArn");
    assert_eq!(e["bad_input"][0], "InvalidExecutionInput");
    assert_eq!(e["oversized"][0], "ValidationException");
    for refusal in e.as_object().unwrap().values() {
        assert_eq!(refusal[2], 400, "{refusal}");
    }
}

/// Runs `aws stepfunctions ARGS` against the endpoint: stdout, or stderr on failure.
async fn aws_cli(served: &Served, args: &[&str]) -> Result<Value, String> {
    let out = tokio::process::Command::new(venv_program("aws"))
        .args([
            "--endpoint-url",
            &served.url(),
            "--output",
            "json",
            "stepfunctions",
        ])
        .args(args)
        .env("AWS_ACCESS_KEY_ID", KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", SECRET)
        .env("AWS_DEFAULT_REGION", REGION)
        .env("AWS_CONFIG_FILE", "/nonexistent")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
        .env("AWS_PAGER", "")
        .output()
        .await
        .unwrap();
    if out.status.success() {
        // SendTask* answer an empty object, which the CLI prints as nothing.
        if out.stdout.iter().all(u8::is_ascii_whitespace) {
            return Ok(Value::Null);
        }
        Ok(serde_json::from_slice(&out.stdout).unwrap())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aws_cli_drives_a_compiled_workflow() {
    let served = serve().await;
    let listed = aws_cli(&served, &["list-state-machines"]).await.unwrap();
    assert_eq!(listed["stateMachines"][3]["name"], "Sleeper");
    let arn = served.machine_arn("Orders");
    let started = aws_cli(
        &served,
        &[
            "start-execution",
            "--state-machine-arn",
            &arn,
            "--name",
            "cli-order",
            "--input",
            r#"{"qty": 5, "extra": 5, "fail": false}"#,
        ],
    )
    .await
    .unwrap();
    let execution = started["executionArn"].as_str().unwrap().to_string();
    let mut described = Value::Null;
    for _ in 0..100 {
        described = aws_cli(
            &served,
            &["describe-execution", "--execution-arn", &execution],
        )
        .await
        .unwrap();
        if described["status"] != "RUNNING" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(described["status"], "SUCCEEDED");
    assert_eq!(described["output"], r#"{"total":10}"#);
    // The CLI follows nextToken itself, two events a page.
    let history = aws_cli(
        &served,
        &[
            "get-execution-history",
            "--execution-arn",
            &execution,
            "--page-size",
            "2",
        ],
    )
    .await
    .unwrap();
    let events = history["events"].as_array().unwrap();
    assert!(events.len() > 2, "{history}");
    assert_eq!(events[0]["type"], "ExecutionStarted");
    assert_eq!(events.last().unwrap()["type"], "ExecutionSucceeded");
    let refused = aws_cli(
        &served,
        &[
            "describe-execution",
            "--execution-arn",
            &format!("{execution}-none"),
        ],
    )
    .await
    .unwrap_err();
    assert!(refused.contains("ExecutionDoesNotExist"), "{refused}");
}

/// The Rust SDK sends StartSyncExecution to `sync-` + the endpoint's host and
/// has no switch for it: this puts the host back before the request is signed.
#[derive(Debug)]
struct NoHostPrefix;

impl aws_sdk_sfn::config::Intercept for NoHostPrefix {
    fn name(&self) -> &'static str {
        "NoHostPrefix"
    }

    fn modify_before_signing(
        &self,
        context: &mut aws_sdk_sfn::config::interceptors::BeforeTransmitInterceptorContextMut<'_>,
        _: &aws_sdk_sfn::config::RuntimeComponents,
        _: &mut aws_sdk_sfn::config::ConfigBag,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        let request = context.request_mut();
        let uri = request.uri().replace("://sync-", "://");
        request.set_uri(uri)?;
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sdk_runs_a_sync_execution_to_its_end() {
    let served = serve().await;
    let config = aws_sdk_sfn::Config::builder()
        .behavior_version(aws_sdk_sfn::config::BehaviorVersion::latest())
        .region(aws_sdk_sfn::config::Region::new(REGION))
        .credentials_provider(aws_credential_types::Credentials::new(
            KEY_ID, SECRET, None, None, "test",
        ))
        .endpoint_url(served.url())
        .interceptor(NoHostPrefix)
        .build();
    let client = aws_sdk_sfn::Client::from_conf(config);
    let arn = served.machine_arn("Orders");
    let done = client
        .start_sync_execution()
        .state_machine_arn(&arn)
        .name("sync-order")
        .input(r#"{"qty": 20, "extra": 22, "fail": false}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(
        done.status,
        aws_sdk_sfn::types::SyncExecutionStatus::Succeeded
    );
    assert_eq!(done.output.as_deref(), Some(r#"{"total":42}"#));
    assert_eq!(done.name.as_deref(), Some("sync-order"));
    assert!(
        done.execution_arn.starts_with(&format!(
            "arn:aws:states:{REGION}:{ACCOUNT}:express:Orders:sync-order:"
        )),
        "{}",
        done.execution_arn
    );
    assert!(done.stop_date >= done.start_date);
    let failed = client
        .start_sync_execution()
        .state_machine_arn(&arn)
        .input(r#"{"qty": 1, "extra": 1, "fail": true}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(
        failed.status,
        aws_sdk_sfn::types::SyncExecutionStatus::Failed
    );
    assert_eq!(failed.error.as_deref(), Some("Order.Refused"));
    assert_eq!(
        failed.cause.as_deref(),
        Some("the input asked for a refusal")
    );
    // Express executions are not stored: DescribeExecution does not know them.
    let (c, _) = code(
        client
            .describe_execution()
            .execution_arn(&done.execution_arn)
            .send()
            .await,
    );
    assert_eq!(c, "InvalidArn");
}

/// The output of a finished execution, as JSON.
fn output_of(d: &aws_sdk_sfn::operation::describe_execution::DescribeExecutionOutput) -> Value {
    serde_json::from_str(d.output.as_deref().unwrap_or("null")).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sdk_completes_fails_and_lets_callbacks_lapse() {
    let served = serve().await;
    let client = sdk(&served, KEY_ID, SECRET);
    let arn = served.machine_arn("Approval");
    let start = |name: &'static str, heartbeat: u64| {
        client
            .start_execution()
            .state_machine_arn(&arn)
            .name(name)
            .input(json!({"heartbeat": heartbeat}).to_string())
            .send()
    };

    // SendTaskSuccess, after a heartbeat: the Task's result.
    let approve = start("sdk-approve", 30).await.unwrap().execution_arn;
    let token = served.token("sdk-approve").await;
    client
        .send_task_heartbeat()
        .task_token(&token)
        .send()
        .await
        .unwrap();
    client
        .send_task_success()
        .task_token(&token)
        .output(r#"{"approved": true}"#)
        .send()
        .await
        .unwrap();
    let done = wait_until_done(&client, &approve).await;
    assert_eq!(done.status, ExecutionStatus::Succeeded);
    assert_eq!(output_of(&done)["answer"], json!({"approved": true}));
    // The same token again, a guessed one, one that cannot be ours.
    let (c, _) = code(
        client
            .send_task_success()
            .task_token(&token)
            .output("{}")
            .send()
            .await,
    );
    assert_eq!(c, "TaskTimedOut");
    let mut guessed = token.clone().into_bytes();
    guessed[20] = if guessed[20] == b'B' { b'C' } else { b'B' };
    let guessed = String::from_utf8(guessed).unwrap();
    let (c, _) = code(
        client
            .send_task_success()
            .task_token(&guessed)
            .output("{}")
            .send()
            .await,
    );
    assert_eq!(c, "TaskDoesNotExist");
    let (c, _) = code(client.send_task_failure().task_token("guess").send().await);
    assert_eq!(c, "InvalidToken");

    // SendTaskFailure: the workflow's Catch takes the error.
    let reject = start("sdk-reject", 30).await.unwrap().execution_arn;
    let token = served.token("sdk-reject").await;
    let (c, _) = code(
        client
            .send_task_success()
            .task_token(&token)
            .output("{not json")
            .send()
            .await,
    );
    assert_eq!(c, "InvalidOutput");
    client
        .send_task_failure()
        .task_token(&token)
        .error("Rejected")
        .cause("not today")
        .send()
        .await
        .unwrap();
    let done = wait_until_done(&client, &reject).await;
    assert_eq!(done.status, ExecutionStatus::Succeeded);
    let out = output_of(&done);
    assert_eq!(out["outcome"], "rejected");
    assert_eq!(
        out["rejected"],
        json!({"Error": "Rejected", "Cause": "not today"})
    );

    // No heartbeat within HeartbeatSeconds: States.HeartbeatTimeout, caught.
    let lapse = start("sdk-lapse", 1).await.unwrap().execution_arn;
    let token = served.token("sdk-lapse").await;
    let done = wait_until_done(&client, &lapse).await;
    let out = output_of(&done);
    assert_eq!(out["outcome"], "lapsed");
    assert_eq!(out["lapsed"]["Error"], "States.HeartbeatTimeout");
    let (c, _) = code(client.send_task_heartbeat().task_token(&token).send().await);
    assert_eq!(c, "TaskTimedOut");
    let history = client
        .get_execution_history()
        .execution_arn(&lapse)
        .send()
        .await
        .unwrap();
    let timed_out = history
        .events
        .iter()
        .find_map(|e| e.task_timed_out_event_details.as_ref())
        .expect("a TaskTimedOut event");
    assert_eq!(timed_out.error.as_deref(), Some("States.HeartbeatTimeout"));
}

/// Runs a Python script of `tests/clients/` against the endpoint with `env`.
async fn python(served: &Served, script: &str, env: Vec<(&'static str, String)>) -> Value {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/clients")
        .join(script);
    let mut command = tokio::process::Command::new(venv_program("python"));
    command
        .arg(script)
        .env("ASL_ENDPOINT", served.url())
        .env("ASL_REGION", REGION)
        .env("ASL_KEY_ID", KEY_ID)
        .env("ASL_SECRET", SECRET)
        .env("AWS_CONFIG_FILE", "/nonexistent")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent");
    for (k, v) in env {
        command.env(k, v);
    }
    let out = command.output().await.unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn boto3_answers_callbacks() {
    let served = serve().await;
    let r = python(
        &served,
        "boto3_callbacks.py",
        vec![
            ("ASL_MACHINE", served.machine_arn("Approval")),
            ("ASL_TOKENS", served.dir.display().to_string()),
        ],
    )
    .await;
    assert_eq!(r["approved"]["status"], "SUCCEEDED");
    assert_eq!(r["approved"]["output"]["answer"], json!({"approved": true}));
    assert_eq!(r["reused"], "TaskTimedOut");
    assert_eq!(r["guessed"], "TaskDoesNotExist");
    assert_eq!(r["malformed"], "InvalidToken");
    assert_eq!(r["rejected"]["output"]["outcome"], "rejected");
    assert_eq!(r["rejected"]["output"]["rejected"]["Error"], "Rejected");
    assert_eq!(r["lapsed"]["output"]["outcome"], "lapsed");
    assert_eq!(
        r["lapsed"]["output"]["lapsed"]["Error"],
        "States.HeartbeatTimeout"
    );
    assert_eq!(r["late"], "TaskTimedOut");
    let types = r["lapse_events"].as_array().unwrap();
    assert!(types.contains(&json!("TaskTimedOut")), "{types:?}");
    assert_eq!(types.last().unwrap(), "ExecutionSucceeded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn boto3_activity_workers_share_the_tasks_without_overlap() {
    let served = serve().await;
    let client = sdk(&served, KEY_ID, SECRET);
    let created = client
        .create_activity()
        .name("Review")
        .send()
        .await
        .unwrap();
    let activity = created.activity_arn;
    assert_eq!(
        activity,
        format!("arn:aws:states:{REGION}:{ACCOUNT}:activity:Review")
    );
    let described = client
        .describe_activity()
        .activity_arn(&activity)
        .send()
        .await
        .unwrap();
    assert_eq!(described.name, "Review");
    let listed = client.list_activities().send().await.unwrap();
    assert_eq!(listed.activities.len(), 1);

    let arn = served.machine_arn("Review");
    let mut executions = Vec::new();
    for i in 0..6 {
        let started = client
            .start_execution()
            .state_machine_arn(&arn)
            .input(json!({"document": format!("doc-{i}")}).to_string())
            .send()
            .await
            .unwrap();
        executions.push(started.execution_arn);
    }
    // Every task is waiting before the workers start (each stops at its
    // first empty poll).
    for execution in &executions {
        for attempt in 0.. {
            let history = client
                .get_execution_history()
                .execution_arn(execution)
                .send()
                .await
                .unwrap();
            if history
                .events
                .iter()
                .any(|e| e.r#type == HistoryEventType::ActivityScheduled)
            {
                break;
            }
            assert!(attempt < 500, "{execution} scheduled no activity task");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    let worker = |name: &str| {
        python(
            &served,
            "boto3_activity_worker.py",
            vec![
                ("ASL_ACTIVITY", activity.clone()),
                ("ASL_WORKER", name.to_string()),
            ],
        )
    };
    let (first, second) = tokio::join!(worker("worker-1"), worker("worker-2"));
    let mut documents: Vec<String> = Vec::new();
    let mut tokens: Vec<String> = Vec::new();
    for w in [&first, &second] {
        documents.extend(
            w["documents"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d.as_str().unwrap().to_string()),
        );
        tokens.extend(
            w["tokens"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t.as_str().unwrap().to_string()),
        );
    }
    documents.sort();
    assert_eq!(
        documents,
        (0..6).map(|i| format!("doc-{i}")).collect::<Vec<_>>(),
        "{first} {second}"
    );
    let mut unique = tokens.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(
        unique.len(),
        6,
        "no task went to both workers: {first} {second}"
    );
    for execution in &executions {
        let done = wait_until_done(&client, execution).await;
        assert_eq!(done.status, ExecutionStatus::Succeeded);
        let out = output_of(&done);
        let by = out["review"]["by"].as_str().unwrap();
        let worker = if by == "worker-1" { &first } else { &second };
        assert!(
            worker["documents"]
                .as_array()
                .unwrap()
                .contains(&out["document"]),
            "{out} was answered by {by}"
        );
    }

    client
        .delete_activity()
        .activity_arn(&activity)
        .send()
        .await
        .unwrap();
    let (c, _) = code(
        client
            .describe_activity()
            .activity_arn(&activity)
            .send()
            .await,
    );
    assert_eq!(c, "ActivityDoesNotExist");
    let (c, _) = code(
        client
            .get_activity_task()
            .activity_arn(&activity)
            .send()
            .await,
    );
    assert_eq!(c, "ActivityDoesNotExist");
    let (c, _) = code(client.create_activity().name("no good").send().await);
    assert_eq!(c, "InvalidName");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aws_cli_answers_callbacks() {
    let served = serve().await;
    let client = sdk(&served, KEY_ID, SECRET);
    let arn = served.machine_arn("Approval");
    let mut started = Vec::new();
    for (name, heartbeat) in [("cli-approve", 30), ("cli-reject", 30), ("cli-lapse", 1)] {
        let out = aws_cli(
            &served,
            &[
                "start-execution",
                "--state-machine-arn",
                &arn,
                "--name",
                name,
                "--input",
                &json!({"heartbeat": heartbeat}).to_string(),
            ],
        )
        .await
        .unwrap();
        started.push(out["executionArn"].as_str().unwrap().to_string());
    }
    // A heartbeat, then the answer.
    let token = served.token("cli-approve").await;
    aws_cli(&served, &["send-task-heartbeat", "--task-token", &token])
        .await
        .unwrap();
    aws_cli(
        &served,
        &[
            "send-task-success",
            "--task-token",
            &token,
            "--task-output",
            r#"{"approved": true}"#,
        ],
    )
    .await
    .unwrap();
    let token = served.token("cli-reject").await;
    aws_cli(
        &served,
        &[
            "send-task-failure",
            "--task-token",
            &token,
            "--error",
            "Rejected",
            "--cause",
            "no",
        ],
    )
    .await
    .unwrap();
    // No heartbeat within a second: the Task lapses, and a late one is refused.
    let lapse_token = served.token("cli-lapse").await;

    let approved = wait_until_done(&client, &started[0]).await;
    assert_eq!(output_of(&approved)["answer"], json!({"approved": true}));
    let rejected = wait_until_done(&client, &started[1]).await;
    assert_eq!(output_of(&rejected)["rejected"]["Error"], "Rejected");
    let lapsed = wait_until_done(&client, &started[2]).await;
    assert_eq!(
        output_of(&lapsed)["lapsed"]["Error"],
        "States.HeartbeatTimeout"
    );
    let refused = aws_cli(
        &served,
        &["send-task-heartbeat", "--task-token", &lapse_token],
    )
    .await
    .unwrap_err();
    assert!(refused.contains("TaskTimedOut"), "{refused}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn boto3_describes_updates_and_redrives_map_runs() {
    let served = serve_with(true, None).await;
    let r = python(
        &served,
        "boto3_map_runs.py",
        vec![
            ("ASL_MACHINE", served.machine_arn("Batches")),
            ("ASL_DIR", served.dir.display().to_string()),
        ],
    )
    .await;
    let live = format!("arn:aws:states:{REGION}:{ACCOUNT}:execution:Batches:live");
    let map_run = r["listed"]["mapRunArn"].as_str().unwrap();
    assert!(
        map_run.starts_with(&format!(
            "arn:aws:states:{REGION}:{ACCOUNT}:mapRun:Batches/Batch:"
        )),
        "{map_run}"
    );
    assert_eq!(r["listed"]["executionArn"], json!(live));
    assert_eq!(
        r["listed"]["stateMachineArn"],
        json!(served.machine_arn("Batches"))
    );
    // Held at MaxConcurrency 1: one child runs, five wait (pending: the
    // items were given whole, so their total is known from the start).
    assert_eq!(r["held"]["status"], "RUNNING");
    assert_eq!(r["held"]["maxConcurrency"], 1);
    let held = json!({"pending": 5, "running": 1, "succeeded": 0, "failed": 0, "total": 6, "resultsWritten": 0});
    assert_eq!(r["held"]["executions"], held);
    assert_eq!(r["held"]["items"], held);
    // UpdateMapRun reached the running Map Run: six at once.
    assert_eq!(r["raised"]["maxConcurrency"], 6);
    assert_eq!(r["raised"]["toleratedFailureCount"], 2);
    assert_eq!(r["raised"]["executions"]["running"], 6);
    assert_eq!(r["live"], "SUCCEEDED");
    assert_eq!(r["done"]["status"], "SUCCEEDED");
    assert_eq!(r["done"]["stopped"], true);
    let all_done = json!({"pending": 0, "running": 0, "succeeded": 6, "failed": 0, "total": 6, "resultsWritten": 0});
    assert_eq!(r["done"]["executions"], all_done);
    assert_eq!(r["done"]["items"], all_done);
    // The children, listed by Map Run over two pages.
    let child_machine = served.machine_arn("Batches/Batch");
    assert_eq!(r["children"]["count"], 6);
    assert_eq!(r["children"]["distinct"], 6);
    assert_eq!(r["children"]["statuses"], json!(["SUCCEEDED"]));
    assert_eq!(r["children"]["mapRunArns"], json!([map_run]));
    assert_eq!(r["children"]["machines"], json!([child_machine]));
    // Each child processes one item; listed by state machine, no itemCount.
    assert_eq!(r["children"]["itemCounts"], json!([1]));
    let keys = r["listed_by_machine"].as_array().unwrap();
    assert!(!keys.contains(&json!("itemCount")), "{keys:?}");
    assert!(!keys.contains(&json!("mapRunArn")), "{keys:?}");
    assert_eq!(r["child"]["mapRunArn"], json!(map_run));
    assert_eq!(r["child"]["stateMachineArn"], json!(child_machine));
    let child_events = r["child_events"].as_array().unwrap();
    assert_eq!(child_events.first().unwrap(), "ExecutionStarted");
    assert!(
        child_events.contains(&json!("TaskStateEntered")),
        "{child_events:?}"
    );
    assert_eq!(child_events.last().unwrap(), "ExecutionSucceeded");
    let parent_events = r["parent_events"].as_array().unwrap();
    for t in [
        "MapStateStarted",
        "MapRunStarted",
        "MapRunSucceeded",
        "MapStateSucceeded",
    ] {
        assert!(parent_events.contains(&json!(t)), "{t}: {parent_events:?}");
    }
    assert!(
        !parent_events.contains(&json!("TaskStateEntered")),
        "{parent_events:?}"
    );
    assert_eq!(
        r["errors"],
        json!({
            "unknown": "ResourceNotFound",
            "invalid": "InvalidArn",
            "percentage": "ValidationException",
            "no_execution": "ExecutionDoesNotExist",
            "both": "ValidationException",
        })
    );
    // The failed Map Run and its redrive: only what did not succeed ran again.
    assert_eq!(r["failed"]["status"], "FAILED");
    assert_eq!(
        r["failed"]["error"],
        "States.ExceedToleratedFailureThreshold"
    );
    assert_eq!(r["failed"]["map_run"], "FAILED");
    assert_eq!(r["failed"]["redriveCount"], 0);
    // All six counted after the failure: those never started are pending.
    for counts in [&r["failed"]["executions"], &r["failed"]["items"]] {
        assert_eq!(counts["total"], 6, "{counts}");
        let sum: u64 = [
            "pending",
            "running",
            "succeeded",
            "failed",
            "timedOut",
            "aborted",
        ]
        .iter()
        .map(|k| counts[k].as_u64().unwrap())
        .sum();
        assert_eq!(sum, 6, "{counts}");
        assert_eq!(counts["running"], 0, "{counts}");
    }
    let statuses = r["redriven"]["statuses_before"].as_array().unwrap();
    assert!(statuses.contains(&json!("FAILED")), "{statuses:?}");
    assert!(
        !statuses.contains(&json!("RUNNING")),
        "none left running: {statuses:?}"
    );
    assert_eq!(r["redriven"]["status"], "SUCCEEDED");
    let outputs: Vec<Value> = (0..6).map(|n| json!({ "n": n })).collect();
    assert_eq!(r["redriven"]["output"], Value::Array(outputs));
    assert_eq!(r["redriven"]["map_runs"], 1, "the same Map Run, redriven");
    assert_eq!(r["redriven"]["map_run"], "SUCCEEDED");
    assert_eq!(r["redriven"]["redriveCount"], 1);
    assert_eq!(r["redriven"]["redriveDate"], true);
    assert_eq!(r["redriven"]["executions"]["succeeded"], 6);
    assert_eq!(r["redriven"]["executions"]["total"], 6);
    let events = r["redriven"]["events"].as_array().unwrap();
    assert!(events.contains(&json!("MapRunRedriven")), "{events:?}");
    // A child run again keeps its ARN and its history, which goes on with
    // ExecutionRedriven (as RedriveExecution's), its redrive count 1.
    let child = &r["redriven"]["child"];
    assert_eq!(child["status"], "SUCCEEDED");
    assert_eq!(child["redriveCount"], 1);
    assert_eq!(child["redriveDate"], true);
    let types: Vec<&str> = child["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    assert_eq!(types.first(), Some(&"ExecutionStarted"), "{types:?}");
    assert_eq!(types.last(), Some(&"ExecutionSucceeded"), "{types:?}");
    let redriven_at = types
        .iter()
        .position(|t| *t == "ExecutionRedriven")
        .expect("ExecutionRedriven");
    assert!(
        types[..redriven_at].contains(&"ExecutionFailed")
            || types[..redriven_at].contains(&"ExecutionAborted"),
        "the old attempt's end stays in the history: {types:?}"
    );
    assert_eq!(
        types.iter().filter(|t| **t == "ExecutionStarted").count(),
        1
    );
    let ids: Vec<u64> = child["ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_u64().unwrap())
        .collect();
    assert_eq!(
        ids,
        (1..=ids.len() as u64).collect::<Vec<_>>(),
        "one history"
    );
    assert_eq!(child["redriven_details"], json!([{"redriveCount": 1}]));
    // A child that succeeded before the redrive did not run again; the
    // others (failed, aborted, never started) ran, each once more.
    let ints = |v: &Value| -> Vec<u64> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|n| n.as_u64().unwrap())
            .collect()
    };
    let succeeded_before = ints(&r["redriven"]["succeeded_before"]);
    let before = ints(&r["redriven"]["calls_before"]);
    let after = ints(&r["redriven"]["calls_after"]);
    let mut again = after.clone();
    for n in &before {
        let i = again.iter().position(|m| m == n).unwrap();
        again.remove(i);
    }
    for n in 0..6u64 {
        let ran_again = again.contains(&n);
        assert_eq!(
            ran_again,
            !succeeded_before.contains(&n),
            "item {n}: succeeded before {succeeded_before:?}, calls before {before:?}, after {after:?}"
        );
    }
    // A child that ended without success is redriven (its redriveCount 1);
    // the others were never redriven.
    let redriven_children = ints(&r["redriven"]["children_redriven"]);
    let unsuccessful = statuses
        .iter()
        .filter(|s| **s != json!("SUCCEEDED"))
        .count();
    assert_eq!(
        redriven_children.iter().filter(|c| **c == 1).count(),
        unsuccessful,
        "{redriven_children:?} {statuses:?}"
    );
    // All four failed (or were aborted with the Map Run); redriven one at a
    // time, three wait to run again while the first runs.
    let failed = &r["again_failed"];
    assert_eq!(failed["total"], 4, "{failed}");
    assert_eq!(
        failed["failed"].as_u64().unwrap() + failed["aborted"].as_u64().unwrap(),
        4,
        "{failed}"
    );
    let waiting = map_run_counts(&[("running", 1), ("pendingRedrive", 3), ("total", 4)]);
    assert_eq!(r["again_waiting"]["executions"], waiting);
    let items = map_run_counts(&[("running", 1), ("pendingRedrive", 3), ("total", 4)]);
    assert_eq!(r["again_waiting"]["items"], items);
    assert_eq!(r["again"], "SUCCEEDED");
    assert_eq!(
        r["again_done"],
        map_run_counts(&[("succeeded", 4), ("total", 4)])
    );
}

/// DescribeMapRun's counts as boto3 reads them: every field, by name.
fn map_run_counts(pairs: &[(&str, u64)]) -> Value {
    let mut counts = json!({
        "pending": 0, "running": 0, "succeeded": 0, "failed": 0, "timedOut": 0,
        "aborted": 0, "total": 0, "resultsWritten": 0, "failuresNotRedrivable": 0,
        "pendingRedrive": 0,
    });
    for (k, n) in pairs {
        counts[*k] = json!(n);
    }
    counts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn boto3_describes_express_map_runs() {
    let served = serve_with(true, None).await;
    let r = python(
        &served,
        "boto3_express_map_runs.py",
        vec![
            ("ASL_MACHINE", served.machine_arn("Swarm")),
            ("ASL_DIR", served.dir.display().to_string()),
        ],
    )
    .await;
    let fast = format!("arn:aws:states:{REGION}:{ACCOUNT}:execution:Swarm:fast");
    let map_run = r["listed"]["mapRunArn"].as_str().unwrap();
    assert!(
        map_run.starts_with(&format!(
            "arn:aws:states:{REGION}:{ACCOUNT}:mapRun:Swarm/Swarm:"
        )),
        "{map_run}"
    );
    assert_eq!(r["listed"]["executionArn"], json!(fast));
    assert_eq!(
        r["listed"]["stateMachineArn"],
        json!(served.machine_arn("Swarm"))
    );
    // Two of five run, three wait (the items were given whole).
    let held = map_run_counts(&[("pending", 3), ("running", 2), ("total", 5)]);
    assert_eq!(r["held"]["status"], "RUNNING");
    assert_eq!(r["held"]["stopped"], false);
    assert_eq!(r["held"]["maxConcurrency"], 2);
    assert_eq!(r["held"]["executions"], held);
    assert_eq!(r["held"]["items"], held);
    // EXPRESS children are no executions ListExecutions lists.
    assert_eq!(r["list_children"], "StateMachineTypeNotSupported");
    assert_eq!(r["fast"], "SUCCEEDED");
    let done = map_run_counts(&[("succeeded", 5), ("total", 5)]);
    assert_eq!(r["done"]["status"], "SUCCEEDED");
    assert_eq!(r["done"]["stopped"], true);
    assert_eq!(r["done"]["executions"], done);
    assert_eq!(r["done"]["items"], done);
    // All four fail: the Map Run fails at the first; those still running
    // are abandoned (aborted), none is left running or pending.
    assert_eq!(r["lost"]["status"], "FAILED");
    assert_eq!(r["lost"]["error"], "States.ExceedToleratedFailureThreshold");
    let lost = &r["lost"]["map_run"];
    assert_eq!(lost["status"], "FAILED");
    assert_eq!(lost["stopped"], true);
    for counts in [&lost["executions"], &lost["items"]] {
        assert_eq!(counts["total"], 4, "{counts}");
        assert_eq!(counts["running"], 0, "{counts}");
        assert_eq!(counts["pending"], 0, "{counts}");
        let failed = counts["failed"].as_u64().unwrap();
        assert!(failed >= 1, "{counts}");
        assert_eq!(failed + counts["aborted"].as_u64().unwrap(), 4, "{counts}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn boto3_counts_the_items_a_map_run_has_read() {
    let moto = asl_testkit::moto::MotoServer::start()
        .await
        .expect("moto starts");
    let served = serve_with(true, Some(&moto)).await;
    let r = python(
        &served,
        "boto3_reader_map_runs.py",
        vec![
            ("ASL_MACHINE", served.machine_arn("Listing")),
            ("ASL_DIR", served.dir.display().to_string()),
            ("ASL_S3", moto.endpoint().to_string()),
        ],
    )
    .await;
    for kind in ["express", "standard"] {
        let r = &r[kind];
        assert_eq!(r["status"], "SUCCEEDED", "{kind}: {r}");
        // The listing's page is read: all eight items counted, six of them
        // waiting for the two running.
        let held = map_run_counts(&[("pending", 6), ("running", 2), ("total", 8)]);
        assert_eq!(r["held"]["executions"], held, "{kind}");
        assert_eq!(r["held"]["items"], held, "{kind}");
        let done = map_run_counts(&[("succeeded", 8), ("total", 8)]);
        assert_eq!(r["done"]["status"], "SUCCEEDED", "{kind}");
        assert_eq!(r["done"]["executions"], done, "{kind}");
        assert_eq!(r["done"]["items"], done, "{kind}");
    }
}
