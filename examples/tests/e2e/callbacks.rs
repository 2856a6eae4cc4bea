//! Task tokens: `.waitForTaskToken` Tasks completed, failed, timed out and
//! heartbeated through the runtime's SendTaskSuccess / SendTaskFailure /
//! SendTaskHeartbeat, in memory and durably (a crash and a park in the
//! middle change nothing, the request is not sent again), and activities:
//! workers take tasks with GetActivityTask, never the same one twice. AWS's
//! answers for a malformed, unknown or closed token.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use asl::runtime::Value;
use asl::runtime::exec::{EventType, ExecutionOptions, History, Runtime};
use asl::runtime::store::{ExecutionStatus, ExecutionStore, PostgresStore, SqliteStore};
use asl::runtime::task::handler_fn;
use serde_json::json;
use tokio::sync::mpsc;

use crate::common::{StoreFactory, postgres_url, sqlite, sqlite_path, tokio_runtime};

asl::asl!(
    Callback = "tests/fixtures/callback.asl.json",
    resources = ["arn:aws:states:::apigateway:invoke.waitForTaskToken"]
);

asl::asl!(Review = "tests/fixtures/activity.asl.json");

asl::asl!(
    CallbackEach = "tests/fixtures/callback-each.asl.json",
    resources = ["arn:aws:states:::apigateway:invoke.waitForTaskToken"]
);

const ASK: &str = "arn:aws:states:::apigateway:invoke.waitForTaskToken";
const REVIEW: &str = "arn:aws:states:us-east-1:123456789012:activity:Review";

/// What the handler of `Ask` saw: the token in its context and the one in
/// its parameters (`$$.Task.Token`), per call.
type Sent = mpsc::UnboundedReceiver<(String, Value)>;

fn builder(calls: Arc<Mutex<u32>>) -> (asl::runtime::exec::RuntimeBuilder, Sent) {
    let (tx, rx) = mpsc::unbounded_channel();
    let builder = Runtime::builder().workflow::<Callback>().handler(
        ASK,
        handler_fn(move |task, params| {
            let (tx, calls) = (tx.clone(), calls.clone());
            async move {
                *calls.lock().unwrap() += 1;
                let token = task.task_token.clone().expect("the handler gets the token");
                assert_eq!(params["RequestBody"]["token"], json!(token));
                let _ = tx.send((token, params));
                Ok(json!({"accepted": true}))
            }
        }),
    );
    (builder, rx)
}

fn input(heartbeat: u64) -> Value {
    json!({"question": "ship it?", "timeout": 60, "heartbeat": heartbeat})
}

fn types(events: &[asl::runtime::exec::HistoryEvent]) -> Vec<&'static str> {
    events
        .iter()
        .filter(|e| {
            let t = e.event_type.as_str();
            t.starts_with("Task") && !t.starts_with("TaskState")
        })
        .map(|e| e.event_type.as_str())
        .collect()
}

#[tokio::test]
async fn a_callback_completes_in_memory_with_aws_answers_for_bad_tokens() {
    let calls = Arc::new(Mutex::new(0));
    let (history, events) = History::memory();
    let (builder, mut sent) = builder(calls.clone());
    let rt = builder.history(history).build();
    let run = tokio::spawn({
        let rt = rt.clone();
        async move { Callback::run(&rt, input(30)).await }
    });
    let (token, params) = sent.recv().await.unwrap();
    assert_eq!(params["RequestBody"]["question"], "ship it?");
    // Opaque, long, not the execution's name.
    assert!(token.len() >= 43, "{token}");

    // Malformed, unknown, then the right one; then it is closed.
    assert_eq!(
        rt.send_task_success("guess", "{}").await.unwrap_err().name,
        "InvalidToken"
    );
    let unknown = {
        let mut t = token.clone().into_bytes();
        let last = t.len() - 1;
        t[last] = if t[last] == b'A' { b'B' } else { b'A' };
        String::from_utf8(t).unwrap()
    };
    assert_eq!(
        rt.send_task_success(&unknown, "{}").await.unwrap_err().name,
        "TaskDoesNotExist"
    );
    assert_eq!(
        rt.send_task_success(&token, "not json")
            .await
            .unwrap_err()
            .name,
        "InvalidOutput"
    );
    rt.send_task_heartbeat(&token).await.unwrap();
    rt.send_task_success(&token, r#"{"approved": true}"#)
        .await
        .unwrap();
    let output = run.await.unwrap().unwrap();
    assert_eq!(output["answer"], json!({"approved": true}));
    for again in [
        rt.send_task_success(&token, "{}").await,
        rt.send_task_failure(&token, Some("E"), None).await,
        rt.send_task_heartbeat(&token).await,
    ] {
        assert_eq!(again.unwrap_err().name, "TaskTimedOut");
    }
    assert_eq!(*calls.lock().unwrap(), 1);
    let events = events.lock().unwrap();
    assert_eq!(
        types(&events),
        [
            "TaskScheduled",
            "TaskStarted",
            "TaskSubmitted",
            "TaskSucceeded"
        ]
    );
    let submitted = events
        .iter()
        .find(|e| e.event_type == EventType::TaskSubmitted)
        .unwrap();
    assert_eq!(submitted.details["output"], json!({"accepted": true}));
}

#[tokio::test]
async fn send_task_failure_is_retried_with_a_new_token_then_caught() {
    let calls = Arc::new(Mutex::new(0));
    let (builder, mut sent) = builder(calls.clone());
    let rt = builder.build();
    let run = tokio::spawn({
        let rt = rt.clone();
        async move { Callback::run(&rt, input(30)).await }
    });
    let (first, _) = sent.recv().await.unwrap();
    rt.send_task_failure(&first, Some("Flaky"), Some("try again"))
        .await
        .unwrap();
    // The retry is a new attempt: a new token; the first is closed.
    let (second, _) = sent.recv().await.unwrap();
    assert_ne!(first, second);
    assert_eq!(
        rt.send_task_heartbeat(&first).await.unwrap_err().name,
        "TaskTimedOut"
    );
    rt.send_task_failure(&second, Some("Rejected"), Some("not today"))
        .await
        .unwrap();
    let output = run.await.unwrap().unwrap();
    assert_eq!(
        output["rejected"],
        json!({"Error": "Rejected", "Cause": "not today"})
    );
    assert_eq!(*calls.lock().unwrap(), 2);
}

#[tokio::test]
async fn heartbeats_keep_a_callback_alive_until_they_stop() {
    let calls = Arc::new(Mutex::new(0));
    let (builder, mut sent) = builder(calls);
    let rt = builder.build();
    let run = tokio::spawn({
        let rt = rt.clone();
        async move { Callback::run(&rt, input(1)).await }
    });
    let (token, _) = sent.recv().await.unwrap();
    // Four beats 600 ms apart: 2.4 s alive with a 1 s heartbeat.
    for _ in 0..4 {
        tokio::time::sleep(Duration::from_millis(600)).await;
        rt.send_task_heartbeat(&token).await.unwrap();
    }
    let started = tokio::time::Instant::now();
    let output = run.await.unwrap().unwrap();
    assert_eq!(output["lapsed"]["Error"], "States.HeartbeatTimeout");
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "it lapsed late, not at once"
    );
    assert_eq!(
        rt.send_task_success(&token, "{}").await.unwrap_err().name,
        "TaskTimedOut"
    );
}

/// A durable callback: the process waiting on it is lost (its tokio runtime
/// shut down), a second process resumes the execution, which parks (its
/// wait is long); SendTaskSuccess with the first token wakes it, and the
/// request was sent once.
fn a_durable_callback_survives_a_crash_and_a_park(store: StoreFactory, tag: &str) {
    let calls = Arc::new(Mutex::new(0));
    let first = tokio_runtime();
    let (arn, token) = first.block_on(async {
        let (builder, mut sent) = builder(calls.clone());
        let rt = builder
            .shared_store(store().await)
            .owner(format!("{tag}-a"))
            .lease(Duration::from_millis(600))
            .poll_interval(Duration::from_millis(50))
            .build();
        let started = rt
            .start_execution::<Callback>(input(3600), ExecutionOptions::default())
            .await
            .unwrap();
        let (token, _) = sent.recv().await.unwrap();
        // Wait until the request is marked sent.
        loop {
            let history = rt
                .get_execution_history(&started.execution_arn)
                .await
                .unwrap();
            if history.iter().any(|e| e.event_type == "TaskSubmitted") {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        (started.execution_arn, token)
    });
    first.shutdown_background();

    let second = tokio_runtime();
    second.block_on(async {
        let (builder, _sent) = builder(calls.clone());
        let rt = builder
            .shared_store(store().await)
            .owner(format!("{tag}-b"))
            .lease(Duration::from_millis(600))
            .poll_interval(Duration::from_millis(50))
            .park_waits_longer_than(Duration::from_millis(200))
            .build();
        rt.resume::<Callback>().await.unwrap();
        // Taken over after the lease, then parked: nobody holds it.
        let parked = tokio::time::timeout(Duration::from_secs(20), async {
            loop {
                let r = rt.describe_execution(&arn).await.unwrap();
                if r.owner.is_none() && r.wake_at.is_some() {
                    break r;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await
        .expect("the callback's wait parks");
        assert_eq!(parked.status, ExecutionStatus::Running);
        rt.send_task_success(&token, r#"{"approved": "yes"}"#)
            .await
            .unwrap();
        let record = tokio::time::timeout(Duration::from_secs(20), rt.wait_for_execution(&arn))
            .await
            .expect("the delivery wakes the parked execution")
            .unwrap();
        assert_eq!(record.status, ExecutionStatus::Succeeded, "{record:?}");
        assert_eq!(record.output.unwrap()["answer"], json!({"approved": "yes"}));
        assert_eq!(*calls.lock().unwrap(), 1, "the request went out once");
        let history = rt.get_execution_history(&arn).await.unwrap();
        let count = |t: &str| history.iter().filter(|e| e.event_type == t).count();
        assert_eq!(count("TaskScheduled"), 1);
        assert_eq!(count("TaskSubmitted"), 1);
        assert_eq!(count("TaskSucceeded"), 1);
        assert_eq!(
            rt.send_task_success(&token, "{}").await.unwrap_err().name,
            "TaskTimedOut"
        );
    });
    second.shutdown_background();
}

#[test]
fn sqlite_a_durable_callback_survives_a_crash_and_a_park() {
    // Each process opens the file itself.
    let path = sqlite_path("callback-crash");
    a_durable_callback_survives_a_crash_and_a_park(
        Box::new(move || {
            let store: Arc<dyn ExecutionStore> =
                Arc::new(SqliteStore::open(&path).expect("the store opens"));
            Box::pin(async move { store })
        }),
        "sqlite",
    );
}

#[test]
fn postgres_a_durable_callback_survives_a_crash_and_a_park() {
    let Some(url) = postgres_url("callbacks_crash") else {
        return;
    };
    // Each process connects on its own (the connection's tasks run on its
    // tokio runtime).
    a_durable_callback_survives_a_crash_and_a_park(
        Box::new(move || {
            let url = url.clone();
            Box::pin(async move {
                let store: Arc<dyn ExecutionStore> =
                    Arc::new(PostgresStore::connect(&url).await.unwrap());
                store
            })
        }),
        "postgres",
    );
}

#[test]
fn a_durable_callback_times_out() {
    let store = sqlite("callback-timeout");
    tokio_runtime().block_on(async {
        let (builder, mut sent) = builder(Arc::default());
        let rt = builder.shared_store(store).build();
        let arn = rt
            .start_execution::<Callback>(
                json!({"question": "q", "timeout": 1, "heartbeat": 60}),
                ExecutionOptions::default(),
            )
            .await
            .unwrap()
            .execution_arn;
        let (token, _) = sent.recv().await.unwrap();
        let record = rt.wait_for_execution(&arn).await.unwrap();
        assert_eq!(record.status, ExecutionStatus::Succeeded);
        assert_eq!(record.output.unwrap()["lapsed"]["Error"], "States.Timeout");
        assert_eq!(
            rt.send_task_success(&token, "{}").await.unwrap_err().name,
            "TaskTimedOut"
        );
        let history = rt.get_execution_history(&arn).await.unwrap();
        assert!(history.iter().any(|e| e.event_type == "TaskTimedOut"));
    });
}

/// Activities: two workers poll at once; one gets the task, the other none
/// (after the poll time); the task's heartbeat and success reach the
/// execution, whose history has AWS's activity events.
#[test]
fn activity_workers_each_get_their_own_tasks() {
    let store = sqlite("callback-activity");
    tokio_runtime().block_on(async {
        let rt = Runtime::builder()
            .shared_store(store)
            .workflow::<Review>()
            .activity_poll(Duration::from_millis(700))
            .build();
        // No such activity yet.
        assert_eq!(
            rt.get_activity_task(REVIEW, Some("w0"))
                .await
                .unwrap_err()
                .name,
            "ActivityDoesNotExist"
        );
        assert_eq!(
            rt.describe_activity("arn:aws:states:us-east-1:123456789012:stateMachine:Review")
                .await
                .unwrap_err()
                .name,
            "InvalidArn"
        );
        let created = rt.create_activity("Review").await.unwrap();
        assert_eq!(created.arn, REVIEW);
        // Idempotent.
        assert_eq!(rt.create_activity("Review").await.unwrap(), created);
        assert_eq!(rt.describe_activity(REVIEW).await.unwrap(), created);
        let listed = rt.list_activities(&Default::default()).await.unwrap();
        assert_eq!(listed.items, vec![created.clone()]);

        let arn = rt
            .start_execution::<Review>(
                json!({"document": "d1", "timeout": 120, "heartbeat": 30}),
                ExecutionOptions::default(),
            )
            .await
            .unwrap()
            .execution_arn;
        let (a, b) = tokio::join!(
            rt.get_activity_task(REVIEW, Some("worker-a")),
            rt.get_activity_task(REVIEW, Some("worker-b"))
        );
        let (a, b) = (a.unwrap(), b.unwrap());
        assert!(
            a.is_some() != b.is_some(),
            "exactly one worker gets the task: {a:?} {b:?}"
        );
        let (task, worker) = match (a, b) {
            (Some(t), None) => (t, "worker-a"),
            (None, Some(t)) => (t, "worker-b"),
            _ => unreachable!(),
        };
        assert_eq!(
            serde_json::from_str::<Value>(&task.input).unwrap(),
            json!({"document": "d1"})
        );
        rt.send_task_heartbeat(&task.task_token).await.unwrap();
        rt.send_task_success(&task.task_token, r#"{"verdict": "ok"}"#)
            .await
            .unwrap();
        let record = rt.wait_for_execution(&arn).await.unwrap();
        assert_eq!(record.status, ExecutionStatus::Succeeded, "{record:?}");
        assert_eq!(record.output.unwrap()["review"], json!({"verdict": "ok"}));
        let history = rt.get_execution_history(&arn).await.unwrap();
        let activity: Vec<&str> = history
            .iter()
            .map(|e| e.event_type.as_str())
            .filter(|t| t.starts_with("Activity"))
            .collect();
        assert_eq!(
            activity,
            ["ActivityScheduled", "ActivityStarted", "ActivitySucceeded"]
        );
        let started = history
            .iter()
            .find(|e| e.event_type == "ActivityStarted")
            .unwrap();
        assert_eq!(started.details["workerName"], worker);
        // Nothing left for anyone.
        assert!(rt.get_activity_task(REVIEW, None).await.unwrap().is_none());
        // A failure reaches the Catch.
        let arn = rt
            .start_execution::<Review>(
                json!({"document": "d2", "timeout": 120, "heartbeat": 30}),
                ExecutionOptions::default(),
            )
            .await
            .unwrap()
            .execution_arn;
        let task = rt.get_activity_task(REVIEW, None).await.unwrap().unwrap();
        rt.send_task_failure(&task.task_token, Some("Unreadable"), Some("blank page"))
            .await
            .unwrap();
        let record = rt.wait_for_execution(&arn).await.unwrap();
        assert_eq!(
            record.output.unwrap()["failed"],
            json!({"Error": "Unreadable", "Cause": "blank page"})
        );
        rt.delete_activity(REVIEW).await.unwrap();
        assert_eq!(
            rt.describe_activity(REVIEW).await.unwrap_err().name,
            "ActivityDoesNotExist"
        );
    });
}

/// Without a store there is nowhere for workers to take the task from: the
/// execution fails with `States.Runtime` (which no Catch takes), saying why.
#[tokio::test]
async fn an_activity_needs_a_store() {
    let rt = Runtime::builder().build();
    let error = Review::run(
        &rt,
        json!({"document": "d", "timeout": 60, "heartbeat": 60}),
    )
    .await
    .unwrap_err();
    assert_eq!(error.error(), Some("States.Runtime"));
    assert!(
        error
            .cause()
            .unwrap_or_default()
            .contains("execution store"),
        "{error:?}"
    );
}

/// An activity task's heartbeat clock starts when a worker takes it: a
/// worker that goes quiet lets it lapse (`ActivityTimedOut`,
/// `States.HeartbeatTimeout`), and its late answer gets `TaskTimedOut`.
#[test]
fn a_quiet_activity_worker_lets_the_heartbeat_lapse() {
    let store = sqlite("callback-activity-lapse");
    tokio_runtime().block_on(async {
        let rt = Runtime::builder()
            .shared_store(store)
            .workflow::<Review>()
            .activity_poll(Duration::from_millis(500))
            .build();
        rt.create_activity("Review").await.unwrap();
        let arn = rt
            .start_execution::<Review>(
                json!({"document": "d3", "timeout": 60, "heartbeat": 1}),
                ExecutionOptions::default(),
            )
            .await
            .unwrap()
            .execution_arn;
        // Not taken for longer than the heartbeat: nothing lapses yet.
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let task = rt
            .get_activity_task(REVIEW, Some("quiet"))
            .await
            .unwrap()
            .expect("the task waits for a worker");
        let record = tokio::time::timeout(Duration::from_secs(20), rt.wait_for_execution(&arn))
            .await
            .expect("the heartbeat lapses")
            .unwrap();
        assert_eq!(
            record.output.unwrap()["failed"]["Error"],
            "States.HeartbeatTimeout"
        );
        assert_eq!(
            rt.send_task_success(&task.task_token, "{}")
                .await
                .unwrap_err()
                .name,
            "TaskTimedOut"
        );
        let history = rt.get_execution_history(&arn).await.unwrap();
        let activity: Vec<&str> = history
            .iter()
            .map(|e| e.event_type.as_str())
            .filter(|t| t.starts_with("Activity"))
            .collect();
        assert_eq!(
            activity,
            ["ActivityScheduled", "ActivityStarted", "ActivityTimedOut"]
        );
    });
}

/// A callback Task without Retry or Catch, once per Map item: each
/// iteration gets its own token (in memory and durably, where each is its
/// own suspension), and each answer reaches its iteration.
#[test]
fn each_map_iteration_waits_for_its_own_token() {
    let store = sqlite("callback-each");
    tokio_runtime().block_on(async {
        for durable in [false, true] {
            let (builder, mut sent) = builder(Arc::default());
            let builder = builder.workflow::<CallbackEach>();
            let rt = if durable {
                builder.shared_store(store.clone()).build()
            } else {
                builder.build()
            };
            let run = tokio::spawn({
                let rt = rt.clone();
                async move {
                    let options = ExecutionOptions::default();
                    CallbackEach::run_with(&rt, json!({"items": [1, 2, 3]}), options).await
                }
            });
            let mut tokens = Vec::new();
            for i in 0..3 {
                let got = tokio::time::timeout(Duration::from_secs(5), sent.recv()).await;
                let Ok(Some((token, params))) = got else {
                    panic!("durable: {durable}: call {i} did not come");
                };
                tokens.push((token, params["RequestBody"]["item"].clone()));
            }
            let distinct: std::collections::HashSet<_> = tokens.iter().map(|t| &t.0).collect();
            assert_eq!(distinct.len(), 3, "one token per iteration");
            for (token, item) in tokens.iter().rev() {
                let answer = json!({"answered": item}).to_string();
                rt.send_task_success(token, &answer).await.unwrap();
            }
            let output = run.await.unwrap().unwrap();
            assert_eq!(
                output,
                json!([{"answered": 1}, {"answered": 2}, {"answered": 3}]),
                "durable: {durable}"
            );
        }
    });
}
