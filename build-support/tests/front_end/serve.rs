//! `asl serve`: definition files and state machines created over the API,
//! driven by the Rust SDK (`aws-sdk-sfn`) as a team's code drives Step
//! Functions. The first test run builds the worker programs (a minute or
//! more); a set of definitions built once starts at once.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_sdk_sfn::error::ProvideErrorMetadata as _;
use serde_json::{Value, json};

const KEY_ID: &str = "AKIDSERVETEST";
const SECRET: &str = "serve-test-secret";

/// A running `asl serve` and where it listens; killed when dropped.
struct Served {
    child: Child,
    url: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Served {
    fn start(state_dir: &Path, files: &[&Path]) -> Served {
        let mut command = Command::new(env!("CARGO_BIN_EXE_asl"));
        command
            .arg("serve")
            .args(files)
            .args(["--listen", "127.0.0.1:0", "--state-dir"])
            .arg(state_dir)
            .env("ASL_ENDPOINT_ACCESS_KEY_ID", KEY_ID)
            .env("ASL_ENDPOINT_SECRET_ACCESS_KEY", SECRET)
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("run asl serve");
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut sent = false;
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                eprintln!("[asl serve] {line}");
                if !sent && let Some(url) = line.strip_prefix("asl serve: listening on ") {
                    let _ = tx.send(url.to_string());
                    sent = true;
                }
            }
        });
        let url = rx
            .recv_timeout(Duration::from_secs(900))
            .expect("asl serve listens");
        Served { child, url }
    }

    fn client(&self) -> aws_sdk_sfn::Client {
        let config = aws_sdk_sfn::Config::builder()
            .behavior_version(aws_sdk_sfn::config::BehaviorVersion::latest())
            .region(aws_sdk_sfn::config::Region::new("us-east-1"))
            .credentials_provider(aws_credential_types::Credentials::new(
                KEY_ID, SECRET, None, None, "test",
            ))
            .endpoint_url(&self.url)
            .build();
        aws_sdk_sfn::Client::from_conf(config)
    }

    /// SIGTERM, as a service manager stops it: the worker hands over and exits.
    fn terminate(mut self) {
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("asl serve did not stop on SIGTERM");
    }
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("asl-serve-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

async fn finished(client: &aws_sdk_sfn::Client, arn: &str) -> (String, Value) {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let d = client
            .describe_execution()
            .execution_arn(arn)
            .send()
            .await
            .expect("DescribeExecution");
        if d.status().as_str() != "RUNNING" {
            let output = d
                .output()
                .map(|o| serde_json::from_str(o).unwrap())
                .unwrap_or(Value::Null);
            return (d.status().as_str().to_string(), output);
        }
        assert!(Instant::now() < deadline, "{arn} still RUNNING");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn start(client: &aws_sdk_sfn::Client, machine: &str, input: Value) -> String {
    client
        .start_execution()
        .state_machine_arn(machine)
        .input(input.to_string())
        .send()
        .await
        .expect("StartExecution")
        .execution_arn()
        .to_string()
}

/// Takes the activity task waiting on `activity` and completes it.
async fn complete(client: &aws_sdk_sfn::Client, activity: &str) {
    let task = client
        .get_activity_task()
        .activity_arn(activity)
        .worker_name("test")
        .send()
        .await
        .expect("GetActivityTask");
    let token = task.task_token().expect("a task is waiting");
    client
        .send_task_success()
        .task_token(token)
        .output("{}")
        .send()
        .await
        .expect("SendTaskSuccess");
}

const HELLO: &str = r#"{"StartAt": "Greet", "States": {"Greet": {"Type": "Pass",
    "Parameters": {"greeting.$": "States.Format('hello {}', $.name)"}, "End": true}}}"#;

/// A definition file served, a state machine created, updated and deleted
/// over the API, an execution that waits across two redeploys, and a restart
/// that keeps what was created.
#[test]
fn serves_files_and_creates_updates_deletes_state_machines() {
    let dir = temp_dir("lifecycle");
    let hello = dir.join("hello.asl.json");
    std::fs::write(&hello, HELLO).unwrap();
    let state = dir.join("state");
    let served = Served::start(&state, &[&hello]);
    let client = served.client();
    let hello_arn = "arn:aws:states:us-east-1:123456789012:stateMachine:hello";
    let (waiter_arn, gate) = runtime().block_on(async {
        // The file's state machine, named after the file.
        let listed = client.list_state_machines().send().await.unwrap();
        let names: Vec<&str> = listed.state_machines().iter().map(|m| m.name()).collect();
        assert_eq!(names, ["hello"]);
        let run = start(&client, hello_arn, json!({"name": "world"})).await;
        assert_eq!(
            finished(&client, &run).await,
            ("SUCCEEDED".into(), json!({"greeting": "hello world"}))
        );

        // A definition asl! refuses is AWS's InvalidDefinition, located.
        let bad = client
            .create_state_machine()
            .name("broken")
            .role_arn("arn:aws:iam::123456789012:role/r")
            .definition(r#"{"StartAt": "Nowhere", "States": {"A": {"Type": "Pass", "End": true}}}"#)
            .send()
            .await
            .unwrap_err();
        assert_eq!(bad.code(), Some("InvalidDefinition"), "{bad:?}");
        assert!(bad.message().unwrap().contains("Nowhere"), "{bad:?}");

        // Created: it runs once the answer comes.
        // It waits on an activity task, which the test completes only
        // after two redeploys.
        let gate = client
            .create_activity()
            .name("gate")
            .send()
            .await
            .expect("CreateActivity")
            .activity_arn()
            .to_string();
        let waiter_def = r#"{"StartAt": "Hold", "States": {
            "Hold": {"Type": "Task", "Resource": "arn:aws:states:us-east-1:123456789012:activity:gate", "Next": "Done"},
            "Done": {"Type": "Pass", "Result": "v1", "End": true}}}"#;
        let created = client
            .create_state_machine()
            .name("waiter")
            .role_arn("arn:aws:iam::123456789012:role/waiter")
            .definition(waiter_def)
            .send()
            .await
            .expect("CreateStateMachine");
        let waiter_arn = created.state_machine_arn().to_string();
        assert_eq!(
            waiter_arn,
            "arn:aws:states:us-east-1:123456789012:stateMachine:waiter"
        );
        // The same request again is the same machine, at once.
        let again_started = Instant::now();
        let again = client
            .create_state_machine()
            .name("waiter")
            .role_arn("arn:aws:iam::123456789012:role/waiter")
            .definition(waiter_def)
            .send()
            .await
            .expect("CreateStateMachine again");
        assert_eq!(again.state_machine_arn(), waiter_arn);
        assert_eq!(again.creation_date(), created.creation_date());
        assert!(again_started.elapsed() < Duration::from_secs(5));
        // Another definition under the same name is refused.
        let clash = client
            .create_state_machine()
            .name("waiter")
            .role_arn("arn:aws:iam::123456789012:role/waiter")
            .definition(HELLO)
            .send()
            .await
            .unwrap_err();
        assert_eq!(clash.code(), Some("StateMachineAlreadyExists"));

        // An execution that waits while the endpoint is redeployed twice
        // (an update, then the creation of another machine): handed from
        // worker to worker through the store, it ends once.
        let waiting = start(&client, &waiter_arn, json!({})).await;
        let updated = client
            .update_state_machine()
            .state_machine_arn(&waiter_arn)
            .definition(waiter_def.replace("v1", "v2"))
            .send()
            .await
            .expect("UpdateStateMachine");
        assert!(!updated.revision_id().unwrap_or_default().is_empty());
        client
            .create_state_machine()
            .name("second")
            .role_arn("arn:aws:iam::123456789012:role/r")
            .definition(HELLO)
            .send()
            .await
            .expect("CreateStateMachine second");
        complete(&client, &gate).await;
        let (status, output) = finished(&client, &waiting).await;
        assert_eq!(status, "SUCCEEDED");
        assert_eq!(output, json!("v2"), "continued on the updated definition");
        let history = client
            .get_execution_history()
            .execution_arn(&waiting)
            .send()
            .await
            .unwrap();
        let ids: Vec<i64> = history.events().iter().map(|e| e.id()).collect();
        assert_eq!(ids, (1..=ids.len() as i64).collect::<Vec<_>>());
        let ends = history
            .events()
            .iter()
            .filter(|e| e.r#type().as_str() == "ExecutionSucceeded")
            .count();
        assert_eq!(ends, 1);

        let described = client
            .describe_state_machine()
            .state_machine_arn(&waiter_arn)
            .send()
            .await
            .unwrap();
        assert!(described.definition().contains("v2"));
        assert_eq!(
            described.role_arn(),
            "arn:aws:iam::123456789012:role/waiter"
        );
        assert_eq!(described.r#type().as_str(), "STANDARD");

        // Deleted: gone from the list and from Describe.
        client
            .delete_state_machine()
            .state_machine_arn("arn:aws:states:us-east-1:123456789012:stateMachine:second")
            .send()
            .await
            .expect("DeleteStateMachine");
        let gone = client
            .describe_state_machine()
            .state_machine_arn("arn:aws:states:us-east-1:123456789012:stateMachine:second")
            .send()
            .await
            .unwrap_err();
        assert_eq!(gone.code(), Some("StateMachineDoesNotExist"));
        (waiter_arn, gate)
    });
    served.terminate();

    // Started again without files: what was created is still served, and
    // the executions are in the store.
    let served = Served::start(&state, &[]);
    let client = served.client();
    runtime().block_on(async {
        let listed = client.list_state_machines().send().await.unwrap();
        let mut names: Vec<&str> = listed.state_machines().iter().map(|m| m.name()).collect();
        names.sort_unstable();
        assert_eq!(names, ["hello", "waiter"]);
        let run = start(&client, &waiter_arn, json!({})).await;
        complete(&client, &gate).await;
        assert_eq!(
            finished(&client, &run).await,
            ("SUCCEEDED".into(), json!("v2"))
        );
        let executions = client
            .list_executions()
            .state_machine_arn(&waiter_arn)
            .send()
            .await
            .unwrap();
        assert_eq!(executions.executions().len(), 2);
    });
    served.terminate();
    let _ = std::fs::remove_dir_all(&dir);
}
