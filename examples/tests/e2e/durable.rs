//! Durable executions on a real store: an execution survives the loss of the
//! process that ran it (its tokio runtime shut down mid-Task, as a crash leaves
//! it), StartExecution's name rules, StopExecution, RedriveExecution keeping
//! what succeeded, long Waits parked in the store, and a changed definition
//! refused. SQLite always; PostgreSQL when `ASL_POSTGRES_URL` is set (by
//! `scripts/test`, which starts a server; required under `CI=true`).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use asl::runtime::exec::{ExecutionOptions, Runtime};
use asl::runtime::store::{
    ExecutionRecord, ExecutionStatus, ExecutionStore, ListFilter, PageRequest, PostgresStore,
    SqliteStore, StoredEvent, SuspensionKind,
};
use asl::runtime::task::handler_fn;
use asl::runtime::{Error, Value};
use serde_json::json;
use tokio::sync::Notify;

use crate::common::{StoreFactory, postgres_url, sqlite, sqlite_path, tokio_runtime};

asl::asl!(
    Durable = "tests/fixtures/durable.asl.json",
    resources = [
        "arn:aws:lambda:us-east-1:123456789012:function:work",
        "arn:aws:lambda:us-east-1:123456789012:function:item",
        "arn:aws:lambda:us-east-1:123456789012:function:branch"
    ]
);

asl::asl!(Wake = "tests/fixtures/wake.asl.json");

asl::asl!(
    NestedWait = "tests/fixtures/nested-wait.asl.json",
    resources = ["arn:aws:lambda:us-east-1:123456789012:function:item"]
);

asl::asl!(
    NestedRetry = "tests/fixtures/nested-retry.asl.json",
    resources = ["arn:aws:lambda:us-east-1:123456789012:function:item"]
);

asl::asl!(
    DistributedRetry = "tests/fixtures/distributed-retry.asl.json",
    resources = ["arn:aws:lambda:us-east-1:123456789012:function:item"]
);

const WORK: &str = "arn:aws:lambda:us-east-1:123456789012:function:work";
const ITEM: &str = "arn:aws:lambda:us-east-1:123456789012:function:item";
const BRANCH: &str = "arn:aws:lambda:us-east-1:123456789012:function:branch";

/// What the test's Task handlers do, and what they saw.
#[derive(Default)]
struct Controls {
    calls: Mutex<Vec<String>>,
    /// `work` never returns while set (the process is "crashed" meanwhile).
    hold_work: AtomicBool,
    work_entered: Notify,
    /// The item that fails with `ItemFailed`.
    fail_item: Mutex<Option<i64>>,
    /// How many more calls of `item` fail with `ItemFailed`.
    flaky_items: std::sync::atomic::AtomicU32,
    /// The item whose call never returns (the process is "crashed" meanwhile).
    hold_item: Mutex<Option<i64>>,
    item_entered: Notify,
    /// How many more calls of `work` fail with `Flaky`.
    flaky_work: std::sync::atomic::AtomicU32,
    /// `$$.State.EnteredTime` as each call of `work` saw it.
    work_entered_times: Mutex<Vec<String>>,
    /// When set, `work` waits for one of its permits.
    work_gate: Mutex<Option<Arc<tokio::sync::Semaphore>>>,
    /// Calls of `work` in progress, and the most at once.
    work_running: std::sync::atomic::AtomicUsize,
    work_most: std::sync::atomic::AtomicUsize,
}

impl Controls {
    fn calls(&self, prefix: &str) -> usize {
        let calls = self.calls.lock().unwrap();
        calls.iter().filter(|c| c.starts_with(prefix)).count()
    }

    fn note(&self, call: String) {
        self.calls.lock().unwrap().push(call);
    }
}

fn runtime(store: Arc<dyn ExecutionStore>, controls: &Arc<Controls>, owner: &str) -> Runtime {
    runtime_polling(store, controls, owner, Duration::from_millis(50))
}

fn runtime_polling(
    store: Arc<dyn ExecutionStore>,
    controls: &Arc<Controls>,
    owner: &str,
    poll: Duration,
) -> Runtime {
    builder(store, controls, owner, poll).build()
}

fn builder(
    store: Arc<dyn ExecutionStore>,
    controls: &Arc<Controls>,
    owner: &str,
    poll: Duration,
) -> asl::runtime::exec::RuntimeBuilder {
    let (work, item, branch) = (controls.clone(), controls.clone(), controls.clone());
    Runtime::builder()
        .shared_store(store)
        .owner(owner)
        .lease(Duration::from_millis(600))
        .poll_interval(poll)
        .park_waits_longer_than(Duration::from_millis(500))
        .workflow::<Durable>()
        .handler(
            WORK,
            handler_fn(move |_task, params| {
                let c = work.clone();
                async move {
                    c.note("work".into());
                    c.work_entered_times
                        .lock()
                        .unwrap()
                        .push(params["entered"].as_str().unwrap_or_default().to_string());
                    let flaky =
                        c.flaky_work
                            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1));
                    if flaky.is_ok() {
                        return Err(Error::new("Flaky", "try again"));
                    }
                    let gate = c.work_gate.lock().unwrap().clone();
                    if let Some(gate) = gate {
                        let now = c.work_running.fetch_add(1, Ordering::SeqCst) + 1;
                        c.work_most.fetch_max(now, Ordering::SeqCst);
                        let _ = gate.acquire().await.map(|p| p.forget());
                        c.work_running.fetch_sub(1, Ordering::SeqCst);
                    }
                    if c.hold_work.load(Ordering::SeqCst) {
                        c.work_entered.notify_one();
                        std::future::pending::<()>().await;
                    }
                    Ok(json!({"done": "work", "redrives": params["redrives"]}))
                }
            }),
        )
        .handler(
            ITEM,
            handler_fn(move |_task, params| {
                let c = item.clone();
                async move {
                    let n = params.as_i64().unwrap_or_default();
                    c.note(format!("item:{n}"));
                    let flaky =
                        c.flaky_items
                            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1));
                    if *c.fail_item.lock().unwrap() == Some(n) || flaky.is_ok() {
                        return Err(Error::new("ItemFailed", format!("item {n} failed")));
                    }
                    let hold = *c.hold_item.lock().unwrap() == Some(n);
                    if hold {
                        c.item_entered.notify_one();
                        std::future::pending::<()>().await;
                    }
                    Ok(json!({"item": n}))
                }
            }),
        )
        .handler(
            BRANCH,
            handler_fn(move |_task, params| {
                let c = branch.clone();
                async move {
                    c.note(format!("branch:{}", params["side"]));
                    Ok(json!({"side": params["side"]}))
                }
            }),
        )
}

fn expected_output(redrives: u64) -> Value {
    json!({
        "marker": "m",
        "work": {"done": "work", "redrives": 0},
        "each": [{"item": 1}, {"item": 2}, {"item": 3}],
        "both": [{"side": "left"}, {"side": "right"}],
        "redrives": redrives
    })
}

fn count(events: &[StoredEvent], event_type: &str, state: Option<&str>) -> usize {
    events
        .iter()
        .filter(|e| e.event_type == event_type && (state.is_none() || e.state.as_deref() == state))
        .count()
}

/// Resumes the executions of `W` in the store (taken over once their
/// owner's lease ran out) and waits, 30 seconds at most, for `arn` to end.
async fn resume_to_end<W: asl::runtime::Workflow>(rt: &Runtime, arn: &str) -> ExecutionRecord {
    rt.resume::<W>().await.unwrap();
    tokio::time::timeout(Duration::from_secs(30), rt.wait_for_execution(arn))
        .await
        .expect("the execution finishes")
        .unwrap()
}

fn assert_ids_in_order(events: &[StoredEvent]) {
    let ids: Vec<u64> = events.iter().map(|e| e.id).collect();
    let expected: Vec<u64> = (1..=events.len() as u64).collect();
    assert_eq!(ids, expected, "event ids are 1..n without gaps or repeats");
}

/// Starts an execution on a first process, "crashes" it while `Work` runs (its
/// tokio runtime shut down: every task gone, nothing written on the way out),
/// and lets a second process on the same store finish it.
fn crash_and_resume(store: StoreFactory, name: &str) {
    let controls = Arc::new(Controls::default());
    controls.hold_work.store(true, Ordering::SeqCst);
    let first = tokio_runtime();
    let arn = first.block_on(async {
        let rt = runtime(store().await, &controls, "replica-a");
        let started = rt
            .start_execution::<Durable>(
                json!({"marker": "m", "pause": 0}),
                ExecutionOptions::default().name(name),
            )
            .await
            .expect("StartExecution");
        controls.work_entered.notified().await;
        started.execution_arn
    });
    first.shutdown_background();
    controls.hold_work.store(false, Ordering::SeqCst);

    let second = tokio_runtime();
    second.block_on(async {
        let rt = runtime(store().await, &controls, "replica-b");
        let before = rt.describe_execution(&arn).await.unwrap();
        assert_eq!(before.status, ExecutionStatus::Running);
        assert_eq!(before.owner.as_deref(), Some("replica-a"));
        assert_eq!(before.position.as_ref().unwrap().state, "Work");
        // Nothing to take over until the first owner's lease runs out; the
        // serving loop `resume` starts claims it then.
        let record = resume_to_end::<Durable>(&rt, &arn).await;
        assert_eq!(record.status, ExecutionStatus::Succeeded, "{record:?}");
        assert_eq!(record.output, Some(expected_output(0)));
        let history = rt.get_execution_history(&arn).await.unwrap();
        assert_ids_in_order(&history);
        assert_eq!(count(&history, "ExecutionStarted", None), 1);
        assert_eq!(count(&history, "PassStateEntered", Some("Prepare")), 1);
        // The state was entered once; its Task ran again (at least once).
        assert_eq!(count(&history, "TaskStateEntered", Some("Work")), 1);
        assert_eq!(count(&history, "TaskScheduled", Some("Work")), 2);
        assert_eq!(count(&history, "ExecutionSucceeded", None), 1);
        assert_eq!(controls.calls("work"), 2);
        assert_eq!(controls.calls("item:"), 3);
    });
    second.shutdown_background();
}

#[test]
fn sqlite_a_crash_mid_task_loses_nothing() {
    // Each process opens the file itself.
    let path = sqlite_path("crash");
    crash_and_resume(
        Box::new(move || {
            let path = path.clone();
            Box::pin(async move {
                Arc::new(SqliteStore::open(&path).expect("the store opens"))
                    as Arc<dyn ExecutionStore>
            })
        }),
        "crash",
    );
}

/// `release_all` (a graceful shutdown or a redeploy): the Task in flight is
/// stopped and the execution released, so the other runtime takes it over at
/// once, long before the lease would run out; the released runtime claims
/// nothing more and leaves new executions to the other.
#[test]
fn a_released_execution_is_taken_over_at_once() {
    let store = sqlite("release");
    let controls = Arc::new(Controls::default());
    controls.hold_work.store(true, Ordering::SeqCst);
    tokio_runtime().block_on(async {
        let long_lease = |owner: &str| {
            builder(store.clone(), &controls, owner, Duration::from_millis(50))
                .lease(Duration::from_secs(120))
                .build()
        };
        let a = long_lease("a");
        let started = a
            .start_execution::<Durable>(
                json!({"marker": "m", "pause": 0}),
                ExecutionOptions::default().name("released"),
            )
            .await
            .unwrap();
        let arn = started.execution_arn;
        controls.work_entered.notified().await;
        let b = long_lease("b");
        b.resume::<Durable>().await.unwrap();
        assert_eq!(
            b.describe_execution(&arn).await.unwrap().owner.as_deref(),
            Some("a")
        );
        controls.hold_work.store(false, Ordering::SeqCst);
        let released = a.release_all(Duration::from_secs(5)).await.unwrap();
        assert_eq!(released, std::slice::from_ref(&arn));
        let record = tokio::time::timeout(Duration::from_secs(20), b.wait_for_execution(&arn))
            .await
            .expect("taken over before the 120 s lease")
            .unwrap();
        assert_eq!(record.status, ExecutionStatus::Succeeded, "{record:?}");
        assert_eq!(record.owner, None);
        let history = b.get_execution_history(&arn).await.unwrap();
        assert_ids_in_order(&history);
        assert_eq!(count(&history, "TaskStateEntered", Some("Work")), 1);
        // Interrupted by the release, the Task ran again on its new owner.
        assert_eq!(controls.calls("work"), 2);
        assert_eq!(count(&history, "ExecutionSucceeded", None), 1);

        // A start on the released runtime is stored for the other one.
        let later = a
            .start_execution::<Durable>(
                json!({"marker": "m", "pause": 0}),
                ExecutionOptions::default().name("after-release"),
            )
            .await
            .unwrap();
        let record = tokio::time::timeout(
            Duration::from_secs(20),
            b.wait_for_execution(&later.execution_arn),
        )
        .await
        .expect("run by the other runtime")
        .unwrap();
        assert_eq!(record.status, ExecutionStatus::Succeeded);
        assert_eq!(controls.calls("work"), 3);
    });
}

#[test]
fn postgres_the_other_replica_takes_over_after_the_lease() {
    let Some(url) = postgres_url("postgres_the_other_replica_takes_over_after_the_lease") else {
        return;
    };
    // Each process connects on its own, as two replicas would; the first
    // one's connection dies with it.
    let name = format!("takeover-{}", uuid::Uuid::new_v4());
    crash_and_resume(
        Box::new(move || {
            let url = url.clone();
            Box::pin(async move {
                Arc::new(
                    PostgresStore::connect(&url)
                        .await
                        .expect("PostgreSQL answers"),
                ) as Arc<dyn ExecutionStore>
            })
        }),
        &name,
    );
}

#[test]
fn start_execution_keeps_names_as_aws_does() {
    let store = sqlite("names");
    let controls = Arc::new(Controls::default());
    tokio_runtime().block_on(async {
        let rt = runtime(store, &controls, "a");
        let input = json!({"marker": "m", "pause": 0});
        let options = || ExecutionOptions::default().name("nightly");
        let first = rt
            .start_execution::<Durable>(input.clone(), options())
            .await
            .unwrap();
        let again = rt
            .start_execution::<Durable>(input.clone(), options())
            .await
            .unwrap();
        assert_eq!(
            first, again,
            "the same name and input is the same execution"
        );
        let e = rt
            .start_execution::<Durable>(json!({"marker": "other", "pause": 0}), options())
            .await
            .unwrap_err();
        assert_eq!(e.name, "ExecutionAlreadyExists", "{e}");
        let record = rt.wait_for_execution(&first.execution_arn).await.unwrap();
        assert_eq!(record.status, ExecutionStatus::Succeeded);
        // `run_with` is StartExecution too: the stored output, not a second run.
        let output = Durable::run_with(&rt, input, options()).await.unwrap();
        assert_eq!(output, expected_output(0));
        assert_eq!(controls.calls("work"), 1);
        let listed = rt
            .list_executions(&ListFilter {
                workflow: Some("Durable".into()),
                status: Some(ExecutionStatus::Succeeded),
            })
            .await
            .unwrap();
        assert_eq!(listed.len(), 1);
        let e = rt
            .describe_execution("arn:aws:states:us-east-1:123456789012:execution:Durable:none")
            .await
            .unwrap_err();
        assert_eq!(e.name, "ExecutionDoesNotExist");
    });
}

/// The execution API by ARN, without the workflow's Rust type (what a
/// server needs): StartExecution by state machine ARN, ListExecutions and
/// GetExecutionHistory a page at a time with AWS's tokens, RedriveExecution
/// by execution ARN, and AWS's error names.
#[test]
fn the_execution_api_takes_arns_and_pages() {
    let store = sqlite("by-arn");
    let controls = Arc::new(Controls::default());
    tokio_runtime().block_on(async {
        let rt = runtime(store, &controls, "a");
        let machine = rt.state_machine_arn("Durable");
        let mut arns = Vec::new();
        for i in 0..5 {
            let started = rt
                .start_execution_of(
                    &machine,
                    json!({"marker": i, "pause": 0}),
                    ExecutionOptions::default().name(format!("paged-{i}")),
                )
                .await
                .unwrap();
            arns.push(started.execution_arn);
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        for arn in &arns {
            let r = rt.wait_for_execution(arn).await.unwrap();
            assert_eq!(r.status, ExecutionStatus::Succeeded);
        }
        let unknown = rt
            .start_execution_of(
                &rt.state_machine_arn("Nope"),
                json!({}),
                ExecutionOptions::default(),
            )
            .await
            .unwrap_err();
        assert_eq!(unknown.name, "StateMachineDoesNotExist");

        // Newest first, two at a time.
        let filter = ListFilter {
            workflow: Some("Durable".into()),
            status: None,
        };
        let mut listed = Vec::new();
        let mut page = PageRequest {
            max_results: 2,
            next_token: None,
        };
        loop {
            let got = rt.list_executions_page(&filter, &page).await.unwrap();
            assert!(got.items.len() <= 2);
            listed.extend(got.items.into_iter().map(|r| r.arn));
            match got.next_token {
                Some(token) => page.next_token = Some(token),
                None => break,
            }
        }
        let newest_first: Vec<String> = arns.iter().rev().cloned().collect();
        assert_eq!(listed, newest_first);
        let bad = PageRequest {
            max_results: 2,
            next_token: Some("not-a-token".into()),
        };
        let e = rt.list_executions_page(&filter, &bad).await.unwrap_err();
        assert_eq!(e.name, "InvalidToken");
        let big = PageRequest {
            max_results: 1001,
            next_token: None,
        };
        let e = rt.list_executions_page(&filter, &big).await.unwrap_err();
        assert_eq!(e.name, "ValidationException");

        // The history in pages of three, either way.
        let whole = rt.get_execution_history(&arns[0]).await.unwrap();
        for reverse in [false, true] {
            let mut events = Vec::new();
            let mut page = PageRequest {
                max_results: 3,
                next_token: None,
            };
            loop {
                let got = rt
                    .get_execution_history_page(&arns[0], &page, reverse)
                    .await
                    .unwrap();
                events.extend(got.items);
                match got.next_token {
                    Some(token) => page.next_token = Some(token),
                    None => break,
                }
            }
            let mut expected = whole.clone();
            if reverse {
                expected.reverse();
            }
            assert_eq!(events, expected, "reverse: {reverse}");
        }
        // A token of one listing is not one of another.
        let first = rt
            .get_execution_history_page(
                &arns[0],
                &PageRequest {
                    max_results: 1,
                    next_token: None,
                },
                false,
            )
            .await
            .unwrap();
        let e = rt
            .get_execution_history_page(
                &arns[1],
                &PageRequest {
                    max_results: 1,
                    next_token: first.next_token,
                },
                false,
            )
            .await
            .unwrap_err();
        assert_eq!(e.name, "InvalidToken");

        // Redrive by ARN alone finds the workflow from the store.
        let e = rt.redrive(&arns[0]).await.unwrap_err();
        assert_eq!(e.name, "ExecutionNotRedrivable");
        let e = rt
            .redrive(&rt.execution_arn_for("Durable", "never-started"))
            .await
            .unwrap_err();
        assert_eq!(e.name, "ExecutionDoesNotExist");
        assert!(rt.resume_all().await.unwrap().resumed.is_empty());
    });
}

/// Every stored event names the one before it in its line (AWS's
/// `previousEventId`): the top level is one line; each Map iteration and each
/// Parallel branch is its own, starting after the event that started it; the
/// runtime renders the history in AWS's GetExecutionHistory shape.
#[test]
fn history_events_carry_previous_event_ids_and_aws_shapes() {
    let store = sqlite("previous");
    let controls = Arc::new(Controls::default());
    tokio_runtime().block_on(async {
        let rt = runtime(store, &controls, "a");
        let arn = rt
            .start_execution::<Durable>(
                json!({"marker": "m", "pause": 0}),
                ExecutionOptions::default(),
            )
            .await
            .unwrap()
            .execution_arn;
        rt.wait_for_execution(&arn).await.unwrap();
        let history = rt.get_execution_history(&arn).await.unwrap();
        assert_eq!(history[0].previous_event_id, 0);
        for e in &history[1..] {
            assert!(
                e.previous_event_id >= 1 && e.previous_event_id < e.id,
                "{e:?}"
            );
        }
        let id_of = |t: &str| {
            history
                .iter()
                .filter(|e| e.event_type == t)
                .map(|e| e.id)
                .collect::<Vec<_>>()
        };
        let parallel = id_of("ParallelStateStarted")[0];
        let branch_starts: Vec<u64> = history
            .iter()
            .filter(|e| {
                e.event_type == "TaskStateEntered"
                    && matches!(e.state.as_deref(), Some("Left" | "Right"))
            })
            .map(|e| e.previous_event_id)
            .collect();
        assert_eq!(
            branch_starts,
            [parallel, parallel],
            "each branch follows ParallelStateStarted"
        );
        let iterations = id_of("MapIterationStarted");
        let item_starts: Vec<u64> = history
            .iter()
            .filter(|e| e.event_type == "TaskStateEntered" && e.state.as_deref() == Some("Item"))
            .map(|e| e.previous_event_id)
            .collect();
        assert_eq!(item_starts.len(), 3);
        for previous in &item_starts {
            assert!(
                iterations.contains(previous),
                "an iteration follows its start: {previous}"
            );
        }
        let aws = asl::runtime::exec::aws_history(&history, "us-east-1");
        let first = &aws["events"][0];
        assert_eq!(first["type"], "ExecutionStarted");
        assert_eq!(first["previousEventId"], 0);
        assert!(first["executionStartedEventDetails"]["input"].is_string());
        let entered = aws["events"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["type"] == "TaskStateEntered")
            .unwrap();
        assert_eq!(entered["stateEnteredEventDetails"]["name"], "Work");
    });
}

#[test]
fn stop_execution_aborts_it_with_error_and_cause() {
    let store = sqlite("stop");
    let controls = Arc::new(Controls::default());
    controls.hold_work.store(true, Ordering::SeqCst);
    tokio_runtime().block_on(async {
        let rt = runtime(store, &controls, "a");
        let started = rt
            .start_execution::<Durable>(
                json!({"marker": "m", "pause": 0}),
                ExecutionOptions::default(),
            )
            .await
            .unwrap();
        controls.work_entered.notified().await;
        rt.stop_execution(
            &started.execution_arn,
            Some("Operator"),
            Some("no longer needed"),
        )
        .await
        .unwrap();
        let record = rt.wait_for_execution(&started.execution_arn).await.unwrap();
        assert_eq!(record.status, ExecutionStatus::Aborted);
        assert_eq!(record.error.as_deref(), Some("Operator"));
        assert_eq!(record.cause.as_deref(), Some("no longer needed"));
        assert!(record.stop_date.is_some());
        // StopExecution returned at once; its runner stops in the background.
        rt.stopped(&started.execution_arn).await;
        // The stopped execution stays stopped: its runner noticed and wrote nothing more.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let history = rt
            .get_execution_history(&started.execution_arn)
            .await
            .unwrap();
        assert_eq!(history.last().unwrap().event_type, "ExecutionAborted");
        assert_ids_in_order(&history);
        // A stopped execution can be redriven; a running or succeeded one cannot.
        controls.hold_work.store(false, Ordering::SeqCst);
        rt.redrive_execution::<Durable>(&started.execution_arn)
            .await
            .unwrap();
        let record = rt.wait_for_execution(&started.execution_arn).await.unwrap();
        assert_eq!(record.status, ExecutionStatus::Succeeded);
        assert_eq!(record.redrive_count, 1);
        let e = rt
            .redrive_execution::<Durable>(&started.execution_arn)
            .await
            .unwrap_err();
        assert_eq!(e.name, "ExecutionNotRedrivable");
    });
}

#[test]
fn redrive_keeps_what_succeeded() {
    let store = sqlite("redrive");
    let controls = Arc::new(Controls::default());
    *controls.fail_item.lock().unwrap() = Some(2);
    tokio_runtime().block_on(async {
        let rt = runtime(store, &controls, "a");
        let failed = Durable::run_with(
            &rt,
            json!({"marker": "m", "pause": 0}),
            ExecutionOptions::default().name("redriven"),
        )
        .await
        .unwrap_err();
        assert_eq!(failed.error(), Some("ItemFailed"));
        let arn = rt.execution_arn::<Durable>("redriven");
        let record = rt.describe_execution(&arn).await.unwrap();
        assert_eq!(record.status, ExecutionStatus::Failed);
        assert_eq!(record.position.as_ref().unwrap().state, "Each");

        *controls.fail_item.lock().unwrap() = None;
        rt.redrive_execution::<Durable>(&arn).await.unwrap();
        let record = rt.wait_for_execution(&arn).await.unwrap();
        assert_eq!(record.status, ExecutionStatus::Succeeded, "{record:?}");
        assert_eq!(record.redrive_count, 1);
        // `$$.Execution.RedriveCount` is 1 in the states that ran after the redrive.
        assert_eq!(record.output, Some(expected_output(1)));
        // Work succeeded before: not run again. Item 1 succeeded: kept.
        assert_eq!(controls.calls("work"), 1);
        assert_eq!(controls.calls("item:1"), 1);
        assert_eq!(controls.calls("item:2"), 2);
        let history = rt.get_execution_history(&arn).await.unwrap();
        assert_ids_in_order(&history);
        assert_eq!(count(&history, "ExecutionFailed", None), 1);
        assert_eq!(count(&history, "ExecutionRedriven", None), 1);
        assert_eq!(count(&history, "PassStateEntered", Some("Prepare")), 1);
        assert_eq!(count(&history, "MapStateEntered", Some("Each")), 2);
    });
}

/// A `Retry` on a distributed Map state runs a new Map Run for each attempt;
/// after a redrive, the first attempt runs the failed Map Run again and a
/// retry of it starts a new one (it does not redrive the failed one again,
/// nor take the first attempt's failure as its own).
#[test]
fn a_retry_of_a_distributed_map_starts_a_new_map_run() {
    let store = sqlite("dmap-retry");
    let controls = Arc::new(Controls::default());
    // Item 1 fails three times: the first two attempts, then the redriven one.
    controls.flaky_items.store(3, Ordering::SeqCst);
    tokio_runtime().block_on(async {
        let rt = builder(store, &controls, "a", Duration::from_millis(50))
            .workflow::<DistributedRetry>()
            .build();
        let failed = DistributedRetry::run_with(
            &rt,
            json!({"items": [1, 2]}),
            ExecutionOptions::default().name("retried"),
        )
        .await
        .unwrap_err();
        assert_eq!(
            failed.error(),
            Some("States.ExceedToleratedFailureThreshold")
        );
        let arn = rt.execution_arn::<DistributedRetry>("retried");
        let page = PageRequest::default();
        let runs = rt.list_map_runs(&arn, &page).await.unwrap().items;
        assert_eq!(runs.len(), 2, "the attempt and its retry: {runs:?}");
        assert!(runs.iter().all(|r| r.status == ExecutionStatus::Failed));
        assert_eq!(controls.calls("item:1"), 2);

        rt.redrive_execution::<DistributedRetry>(&arn)
            .await
            .unwrap();
        let record = rt.wait_for_execution(&arn).await.unwrap();
        assert_eq!(record.status, ExecutionStatus::Succeeded, "{record:?}");
        assert_eq!(record.output, Some(json!([{"item": 1}, {"item": 2}])));
        let runs = rt.list_map_runs(&arn, &page).await.unwrap().items;
        assert_eq!(runs.len(), 3, "a new Map Run for the retry: {runs:?}");
        let redriven: Vec<_> = runs.iter().filter(|r| r.redrive_count == 1).collect();
        assert_eq!(redriven.len(), 1, "{runs:?}");
        assert_eq!(redriven[0].status, ExecutionStatus::Failed);
        let newest = &runs[0];
        assert_eq!(newest.status, ExecutionStatus::Succeeded, "{runs:?}");
        assert_eq!(newest.redrive_count, 0);
        let history = rt.get_execution_history(&arn).await.unwrap();
        assert_eq!(count(&history, "MapRunStarted", Some("Each")), 3);
        assert_eq!(count(&history, "MapRunRedriven", Some("Each")), 1);
        assert_eq!(count(&history, "MapRunFailed", Some("Each")), 3);
        assert_eq!(count(&history, "MapRunSucceeded", Some("Each")), 1);
        assert_eq!(controls.calls("item:1"), 4);
        assert_eq!(controls.calls("item:2"), 1);
    });
}

/// A crash after a Map Run's end was written (its row ended, its
/// `MapRunSucceeded` and `MapStateSucceeded` in the history) but before its
/// suspension closed: the execution resumed goes on from there without
/// recording those events again. The store is driven to that point
/// directly: a process crashes while the last child runs, then the child's
/// end and the Map Run's end are written as that write would have.
#[test]
fn a_crash_after_a_map_runs_end_does_not_record_it_twice() {
    let path = sqlite_path("dmap-end");
    let controls = Arc::new(Controls::default());
    *controls.hold_item.lock().unwrap() = Some(2);
    let open = |path: &std::path::Path| {
        Arc::new(SqliteStore::open(path).expect("the store opens")) as Arc<dyn ExecutionStore>
    };
    let first = tokio_runtime();
    let arn = first.block_on(async {
        let rt = builder(open(&path), &controls, "a", Duration::from_millis(50))
            .workflow::<DistributedRetry>()
            .build();
        let started = rt
            .start_execution::<DistributedRetry>(
                json!({"items": [1, 2]}),
                ExecutionOptions::default().name("ended"),
            )
            .await
            .expect("StartExecution");
        controls.item_entered.notified().await;
        started.execution_arn
    });
    first.shutdown_background();
    *controls.hold_item.lock().unwrap() = None;

    // What the Map Run's end write leaves: the child ended, the Map Run
    // SUCCEEDED, its two events after the parent's last one.
    let db = rusqlite::Connection::open(&path).unwrap();
    db.busy_timeout(Duration::from_secs(5)).unwrap();
    let (exec_id, next): (i64, i64) = db
        .query_row(
            "SELECT exec_id, next_event_id FROM asl_executions WHERE arn = ?1",
            [&arn],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let map_run: String = db
        .query_row(
            "SELECT arn FROM asl_map_runs WHERE execution_arn = ?1",
            [&arn],
            |r| r.get(0),
        )
        .unwrap();
    let ended = db
        .execute(
            "UPDATE asl_executions SET status = 'SUCCEEDED', output = '{\"item\":2}', \
             stop_date = start_date WHERE map_run_arn = ?1 AND status = 'RUNNING'",
            [&map_run],
        )
        .unwrap();
    assert_eq!(ended, 1, "the held child");
    db.execute(
        "UPDATE asl_map_runs SET status = 'SUCCEEDED', stop_date = start_date, \
         total_items = 2, total_children = 2 WHERE arn = ?1",
        [&map_run],
    )
    .unwrap();
    for (i, event) in ["MapRunSucceeded", "MapStateSucceeded"].iter().enumerate() {
        let id = next + i as i64;
        db.execute(
            "INSERT INTO asl_events (exec_id, id, timestamp, type, state, details, \
             previous_event_id) VALUES (?1, ?2, 0, ?3, 'Each', 'null', ?4)",
            rusqlite::params![exec_id, id, event, id - 1],
        )
        .unwrap();
    }
    db.execute(
        "UPDATE asl_executions SET next_event_id = ?2 WHERE arn = ?1",
        rusqlite::params![arn, next + 2],
    )
    .unwrap();
    let open_suspensions: i64 = db
        .query_row(
            "SELECT COUNT(*) FROM asl_suspensions WHERE arn = ?1 AND kind = 'MAP_RUN' \
             AND outcome IS NULL",
            [&arn],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(open_suspensions, 1, "the crash came before it closed");
    drop(db);

    let second = tokio_runtime();
    second.block_on(async {
        let rt = builder(open(&path), &controls, "b", Duration::from_millis(50))
            .workflow::<DistributedRetry>()
            .build();
        let record = resume_to_end::<DistributedRetry>(&rt, &arn).await;
        assert_eq!(record.status, ExecutionStatus::Succeeded, "{record:?}");
        assert_eq!(record.output, Some(json!([{"item": 1}, {"item": 2}])));
        let history = rt.get_execution_history(&arn).await.unwrap();
        assert_ids_in_order(&history);
        assert_eq!(count(&history, "MapRunStarted", Some("Each")), 1);
        assert_eq!(count(&history, "MapRunSucceeded", Some("Each")), 1);
        assert_eq!(count(&history, "MapStateSucceeded", Some("Each")), 1);
        assert_eq!(count(&history, "MapStateExited", Some("Each")), 1);
        assert_eq!(count(&history, "ExecutionSucceeded", None), 1);
        let run = rt.describe_map_run(&map_run).await.unwrap();
        assert_eq!(run.status, ExecutionStatus::Succeeded);
        // No child ran again: each item was called once.
        assert_eq!(controls.calls("item:1"), 1);
        assert_eq!(controls.calls("item:2"), 1);
    });
    second.shutdown_background();
}

#[test]
fn a_long_wait_is_parked_in_the_store() {
    let store = sqlite("park");
    let controls = Arc::new(Controls::default());
    tokio_runtime().block_on(async {
        let rt = runtime(store.clone(), &controls, "a");
        let started = rt
            .start_execution::<Durable>(
                json!({"marker": "m", "pause": 2}),
                ExecutionOptions::default(),
            )
            .await
            .unwrap();
        let arn = started.execution_arn;
        // Parked: nobody owns it, it wakes when due.
        let parked = loop {
            let r = rt.describe_execution(&arn).await.unwrap();
            if r.wake_at.is_some() {
                break r;
            }
            assert_eq!(r.status, ExecutionStatus::Running);
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        assert_eq!(parked.owner, None);
        let position = parked.position.unwrap();
        assert_eq!(position.state, "Pause");
        // What it waits on is a suspension, due when the execution wakes.
        let entered = position.entered_event_id.unwrap();
        let wait = store
            .suspension(&arn, &format!("Pause@{entered}"))
            .await
            .unwrap()
            .expect("the Wait's suspension");
        assert_eq!(wait.kind, SuspensionKind::Wait);
        assert_eq!(wait.deadline, parked.wake_at);
        let record = rt.wait_for_execution(&arn).await.unwrap();
        assert_eq!(record.status, ExecutionStatus::Succeeded);
        assert!(record.stop_date.unwrap() >= wait.deadline.unwrap());
        let history = rt.get_execution_history(&arn).await.unwrap();
        assert_ids_in_order(&history);
        assert_eq!(count(&history, "WaitStateEntered", Some("Pause")), 1);
        assert_eq!(count(&history, "WaitStateExited", Some("Pause")), 1);
    });
}

/// A parked Wait is woken when it is due, by the runtime that knows the
/// next due time, not by polling (its own workflow: the PostgreSQL tests share
/// one database, and these runtimes must not claim the others' executions): with an hour between polls, the execution
/// still ends; on PostgreSQL the runtime that wakes it is another process's
/// (the one that parked it is gone), which learns the due time from the store.
fn a_parked_wait_wakes_when_due_without_polling(store: StoreFactory) {
    let controls = Arc::new(Controls::default());
    let hour = Duration::from_secs(3600);
    tokio_runtime().block_on(async {
        let parker = runtime_polling(store().await, &controls, "parker", hour);
        let arn = parker
            .start_execution::<Wake>(json!({"pause": 2}), ExecutionOptions::default())
            .await
            .unwrap()
            .execution_arn;
        loop {
            let r = parker.describe_execution(&arn).await.unwrap();
            if r.wake_at.is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        drop(parker);
        let waker = runtime_polling(store().await, &controls, "waker", hour);
        let resumed = waker.resume::<Wake>().await.unwrap();
        assert!(resumed.resumed.is_empty(), "not due yet: {resumed:?}");
        let record = tokio::time::timeout(Duration::from_secs(60), waker.wait_for_execution(&arn))
            .await
            .expect("woken when due, not at the next poll an hour later")
            .unwrap();
        assert_eq!(record.status, ExecutionStatus::Succeeded);
        let history = waker.get_execution_history(&arn).await.unwrap();
        assert_ids_in_order(&history);
        assert_eq!(count(&history, "WaitStateExited", Some("Pause")), 1);
    });
}

#[test]
fn sqlite_a_parked_wait_wakes_when_due_without_polling() {
    let path = sqlite_path("wake");
    a_parked_wait_wakes_when_due_without_polling(Box::new(move || {
        let store: Arc<dyn ExecutionStore> =
            Arc::new(SqliteStore::open(&path).expect("the store opens"));
        Box::pin(async move { store })
    }));
}

#[test]
fn postgres_a_parked_wait_wakes_when_due_without_polling() {
    let Some(url) = postgres_url("durable_wake") else {
        return;
    };
    a_parked_wait_wakes_when_due_without_polling(Box::new(move || {
        let url = url.clone();
        Box::pin(async move {
            Arc::new(
                PostgresStore::connect(&url)
                    .await
                    .expect("PostgreSQL answers"),
            ) as Arc<dyn ExecutionStore>
        })
    }));
}

/// A Wait inside Map iterations is a suspension too: a process killed while
/// the iterations wait leaves each one's due time in the store, and the
/// process that resumes the execution finds the same suspensions (one per
/// iteration, same deadlines) instead of starting the waits over.
#[test]
fn a_wait_inside_a_map_keeps_its_due_time_across_a_crash() {
    let path = sqlite_path("nested-wait");
    let controls = Arc::new(Controls::default());
    // The Map is the first state entered (event 2).
    let ids = ["2:Each/0/Hold@v1", "2:Each/1/Hold@v1"];
    let first = tokio_runtime();
    let (arn, before) = first.block_on(async {
        let store: Arc<dyn ExecutionStore> = Arc::new(SqliteStore::open(&path).unwrap());
        let rt = runtime(store.clone(), &controls, "a");
        let arn = rt
            .start_execution::<NestedWait>(
                json!({"items": [1, 2], "pause": 2}),
                ExecutionOptions::default(),
            )
            .await
            .unwrap()
            .execution_arn;
        let mut before = Vec::new();
        for id in ids {
            loop {
                if let Some(s) = store.suspension(&arn, id).await.unwrap() {
                    before.push(s);
                    break;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
        (arn, before)
    });
    first.shutdown_background();
    assert_eq!(
        controls.calls("item:"),
        0,
        "killed while the iterations wait"
    );

    let second = tokio_runtime();
    second.block_on(async {
        let store: Arc<dyn ExecutionStore> = Arc::new(SqliteStore::open(&path).unwrap());
        let rt = runtime(store.clone(), &controls, "b");
        let record = resume_to_end::<NestedWait>(&rt, &arn).await;
        assert_eq!(record.status, ExecutionStatus::Succeeded, "{record:?}");
        assert_eq!(record.output, Some(json!([{"item": 1}, {"item": 2}])));
        for (id, before) in ids.iter().zip(&before) {
            let after = store.suspension(&arn, id).await.unwrap().unwrap();
            assert_eq!(after.deadline, before.deadline, "{id} kept its due time");
        }
        let rows: i64 = rusqlite::Connection::open(&path)
            .unwrap()
            .query_row(
                "SELECT COUNT(*) FROM asl_suspensions WHERE arn = ?1",
                [&arn],
                |row| row.get(0),
            )
            .unwrap();
        assert_eq!(rows, 2, "one suspension per iteration, none started over");
        assert!(record.stop_date.unwrap() >= before[0].deadline.unwrap());
        assert_eq!(controls.calls("item:"), 2);
    });
    second.shutdown_background();
}

/// A Retry's backoff is a suspension: a process killed while a Task waits to
/// retry leaves the backoff's due time in the store, and the process that
/// resumes waits out the rest of it before the next attempt (not a new
/// backoff, not none); `$$.State.EnteredTime` stays the first entry's.
#[test]
fn a_retry_backoff_survives_a_crash() {
    let path = sqlite_path("backoff");
    let controls = Arc::new(Controls::default());
    controls.flaky_work.store(1, Ordering::SeqCst);
    let first = tokio_runtime();
    let (arn, backoff_id, backoff) = first.block_on(async {
        let store: Arc<dyn ExecutionStore> = Arc::new(SqliteStore::open(&path).unwrap());
        let rt = runtime(store.clone(), &controls, "a");
        let arn = rt
            .start_execution::<Durable>(
                json!({"marker": "m", "pause": 0}),
                ExecutionOptions::default(),
            )
            .await
            .unwrap()
            .execution_arn;
        // Work failed once and waits 1 s to retry (IntervalSeconds 1).
        loop {
            let r = store.describe(&arn).await.unwrap();
            let p = r.position.unwrap();
            if p.state == "Work" && p.retries.iter().sum::<u32>() == 1 {
                let id = format!("Work@{}#1/backoff", p.entered_event_id.unwrap());
                if let Some(s) = store.suspension(&arn, &id).await.unwrap() {
                    break (arn, id, s);
                }
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    });
    first.shutdown_background();
    assert_eq!(controls.calls("work"), 1);
    assert_eq!(backoff.kind, SuspensionKind::Wait);

    let second = tokio_runtime();
    second.block_on(async {
        let store: Arc<dyn ExecutionStore> = Arc::new(SqliteStore::open(&path).unwrap());
        let rt = runtime(store.clone(), &controls, "b");
        let record = resume_to_end::<Durable>(&rt, &arn).await;
        assert_eq!(record.status, ExecutionStatus::Succeeded, "{record:?}");
        assert_eq!(controls.calls("work"), 2, "one failure, one retry");
        let after = store.suspension(&arn, &backoff_id).await.unwrap().unwrap();
        assert_eq!(after.deadline, backoff.deadline, "the same backoff");
        let history = rt.get_execution_history(&arn).await.unwrap();
        assert_ids_in_order(&history);
        assert_eq!(count(&history, "TaskStateEntered", Some("Work")), 1);
        assert_eq!(count(&history, "TaskFailed", Some("Work")), 1);
        assert_eq!(count(&history, "TaskScheduled", Some("Work")), 2);
        // The retry came after the backoff's due time.
        let scheduled: Vec<_> = history
            .iter()
            .filter(|e| e.event_type == "TaskScheduled")
            .collect();
        let due = backoff.deadline.unwrap();
        assert!(
            scheduled[1].timestamp >= due - Duration::from_millis(1),
            "retried at {} before its backoff ended at {due}",
            scheduled[1].timestamp
        );
        let times = controls.work_entered_times.lock().unwrap().clone();
        assert_eq!(times.len(), 2);
        assert_eq!(
            times[0], times[1],
            "$$.State.EnteredTime is the first entry's"
        );
    });
    second.shutdown_background();
}

/// A Retry inside a Map iteration keeps its attempts, its backoff's due time
/// and the state's entry time across a crash: the iteration that runs again
/// finds the backoff it stored, waits out the rest of it, and goes on with
/// the retries it has left (here none: `MaxAttempts` 1, so the second failure
/// is final, where a state that forgot its first failure would retry again).
#[test]
fn a_retry_inside_a_map_keeps_its_attempts_across_a_crash() {
    let path = sqlite_path("nested-retry");
    let controls = Arc::new(Controls::default());
    controls.flaky_items.store(2, Ordering::SeqCst);
    // The Map is the first state entered (event 2); its only iteration's
    // Task, first visit, first retry.
    let id = "2:Each/0/Item@v1#1/backoff";
    let first = tokio_runtime();
    let (arn, backoff) = first.block_on(async {
        let store: Arc<dyn ExecutionStore> = Arc::new(SqliteStore::open(&path).unwrap());
        let rt = builder(store.clone(), &controls, "a", Duration::from_millis(50))
            .workflow::<NestedRetry>()
            .build();
        let arn = rt
            .start_execution::<NestedRetry>(json!({"items": [1]}), ExecutionOptions::default())
            .await
            .unwrap()
            .execution_arn;
        loop {
            if let Some(s) = store.suspension(&arn, id).await.unwrap() {
                break (arn, s);
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    });
    first.shutdown_background();
    assert_eq!(controls.calls("item:"), 1, "killed during the backoff");
    assert_eq!(backoff.details["retries"], json!([1]));
    assert!(backoff.details["entered"].is_string(), "{backoff:?}");

    let second = tokio_runtime();
    second.block_on(async {
        let store: Arc<dyn ExecutionStore> = Arc::new(SqliteStore::open(&path).unwrap());
        let rt = builder(store.clone(), &controls, "b", Duration::from_millis(50))
            .workflow::<NestedRetry>()
            .build();
        let record = resume_to_end::<NestedRetry>(&rt, &arn).await;
        assert_eq!(record.status, ExecutionStatus::Failed, "{record:?}");
        assert_eq!(record.error.as_deref(), Some("ItemFailed"));
        assert_eq!(controls.calls("item:"), 2, "one retry in all, not two");
        let after = store.suspension(&arn, id).await.unwrap().unwrap();
        assert_eq!(after.deadline, backoff.deadline, "the same backoff");
        let history = rt.get_execution_history(&arn).await.unwrap();
        assert_ids_in_order(&history);
        let scheduled: Vec<_> = history
            .iter()
            .filter(|e| e.event_type == "TaskScheduled")
            .collect();
        let due = backoff.deadline.unwrap();
        let last = scheduled.last().unwrap();
        assert!(
            last.timestamp >= due - Duration::from_millis(1),
            "retried at {} before its backoff ended at {due}",
            last.timestamp
        );
    });
    second.shutdown_background();
}

/// A runtime drives at most `max_executions` at once: StartExecution past
/// the cap answers at once with the execution stored unowned, and it starts
/// when a slot frees; nothing is lost and the cap is never exceeded.
#[test]
fn executions_past_the_cap_wait_in_the_store() {
    let store = sqlite("cap");
    let controls = Arc::new(Controls::default());
    let gate = Arc::new(tokio::sync::Semaphore::new(0));
    *controls.work_gate.lock().unwrap() = Some(gate.clone());
    tokio_runtime().block_on(async {
        let rt = builder(store, &controls, "capped", Duration::from_millis(50))
            .max_executions(2)
            .build();
        let mut arns = Vec::new();
        for i in 0..5 {
            let started = rt
                .start_execution::<Durable>(
                    json!({"marker": i, "pause": 0}),
                    ExecutionOptions::default().name(format!("capped-{i}")),
                )
                .await
                .unwrap();
            arns.push(started.execution_arn);
        }
        // Two run (blocked in `work`); three wait in the store, unowned.
        while controls.work_running.load(Ordering::SeqCst) < 2 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let mut unowned = 0;
        for arn in &arns {
            let r = rt.describe_execution(arn).await.unwrap();
            assert_eq!(r.status, ExecutionStatus::Running);
            unowned += usize::from(r.owner.is_none());
        }
        assert_eq!(unowned, 3);
        gate.add_permits(100);
        for arn in &arns {
            let r = tokio::time::timeout(Duration::from_secs(30), rt.wait_for_execution(arn))
                .await
                .expect("every execution ends")
                .unwrap();
            assert_eq!(r.status, ExecutionStatus::Succeeded, "{r:?}");
        }
        assert_eq!(controls.calls("work"), 5);
        assert!(
            controls.work_most.load(Ordering::SeqCst) <= 2,
            "never more than the cap at once"
        );
    });
}

#[test]
fn an_execution_of_another_definition_is_refused_unless_accepted() {
    let store = sqlite("definition");
    let controls = Arc::new(Controls::default());
    tokio_runtime().block_on(async {
        // An execution stored by a program compiled from another definition.
        let arn = "arn:aws:states:us-east-1:123456789012:execution:Durable:older";
        let now = time::OffsetDateTime::now_utc();
        let record = asl::runtime::store::ExecutionRecord::started(
            arn,
            "older",
            "Durable",
            "0000",
            json!({"marker": "m", "pause": 0}),
            now,
            asl::runtime::store::Position::at(
                "Prepare",
                json!({"marker": "m", "pause": 0}),
                json!({}),
            ),
        );
        store.insert(&record, &[]).await.unwrap();
        let rt = runtime(store.clone(), &controls, "a");
        let resumed = rt.resume::<Durable>().await.unwrap();
        assert!(resumed.resumed.is_empty());
        let (refused, why) = &resumed.refused[0];
        assert_eq!(refused, arn);
        assert!(
            why.contains("different definition") && why.contains("0000"),
            "{why}"
        );
        assert_ne!(<Durable as asl::Workflow>::DEFINITION_HASH, "0000");

        // Opting in continues it with this definition.
        let accepting = Runtime::builder()
            .shared_store(store)
            .owner("b")
            .accept_changed_definitions(true)
            .handler(
                WORK,
                handler_fn(|_, _| async { Ok(json!({"done": "work", "redrives": 0})) }),
            )
            .handler(
                ITEM,
                handler_fn(|_, p| async move { Ok(json!({"item": p})) }),
            )
            .handler(
                BRANCH,
                handler_fn(|_, p| async move { Ok(json!({"side": p["side"]})) }),
            )
            .build();
        let resumed = accepting.resume::<Durable>().await.unwrap();
        assert_eq!(resumed.resumed, [arn]);
        let record = accepting.wait_for_execution(arn).await.unwrap();
        assert_eq!(record.status, ExecutionStatus::Succeeded);
        assert_eq!(record.output, Some(expected_output(0)));
    });
}

/// Twenty unowned executions, two runtimes claiming at once on their own
/// connections: each execution runs exactly once.
async fn claims_are_exclusive(a: Arc<dyn ExecutionStore>, b: Arc<dyn ExecutionStore>, tag: &str) {
    let controls = Arc::new(Controls::default());
    let input = json!({"marker": "m", "pause": 0});
    let mut arns = Vec::new();
    for i in 0..20 {
        let name = format!("{tag}-{i}");
        let arn = format!("arn:aws:states:us-east-1:123456789012:execution:Durable:{name}");
        let now = time::OffsetDateTime::now_utc();
        let record = asl::runtime::store::ExecutionRecord::started(
            arn.clone(),
            name,
            "Durable",
            <Durable as asl::Workflow>::DEFINITION_HASH,
            input.clone(),
            now,
            asl::runtime::store::Position::at("Prepare", input.clone(), json!({})),
        );
        a.insert(&record, &[]).await.unwrap();
        arns.push(arn);
    }
    let first = runtime(a, &controls, &format!("{tag}-a"));
    let second = runtime(b, &controls, &format!("{tag}-b"));
    let (x, y) = tokio::join!(first.resume::<Durable>(), second.resume::<Durable>());
    let (x, y) = (x.unwrap().resumed, y.unwrap().resumed);
    assert!(
        x.iter().all(|arn| !y.contains(arn)),
        "claimed twice: {x:?} {y:?}"
    );
    for arn in &arns {
        let record = first.wait_for_execution(arn).await.unwrap();
        assert_eq!(record.status, ExecutionStatus::Succeeded, "{record:?}");
        let history = first.get_execution_history(arn).await.unwrap();
        assert_eq!(count(&history, "TaskScheduled", Some("Work")), 1, "{arn}");
    }
    assert_eq!(controls.calls("work"), 20);
}

#[test]
fn sqlite_two_runtimes_never_claim_the_same_execution() {
    let path = sqlite_path("exclusive");
    tokio_runtime().block_on(async {
        let a: Arc<dyn ExecutionStore> = Arc::new(SqliteStore::open(&path).unwrap());
        let b: Arc<dyn ExecutionStore> = Arc::new(SqliteStore::open(&path).unwrap());
        claims_are_exclusive(a, b, "sqlite").await;
    });
}

#[test]
fn postgres_two_replicas_never_claim_the_same_execution() {
    let Some(url) = postgres_url("postgres_two_replicas_never_claim_the_same_execution") else {
        return;
    };
    tokio_runtime().block_on(async {
        let a: Arc<dyn ExecutionStore> = Arc::new(PostgresStore::connect(&url).await.unwrap());
        let b: Arc<dyn ExecutionStore> = Arc::new(PostgresStore::connect(&url).await.unwrap());
        let tag = format!("pg-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
        claims_are_exclusive(a, b, &tag).await;
    });
}

/// A service starts executions and calls `resume` at boot, in one process:
/// a claim running while an execution is being started never takes it, so
/// no execution gets two drivers and no Task runs twice.
#[test]
fn a_start_racing_a_resume_in_one_process_runs_each_task_once() {
    let store = sqlite("once");
    let controls = Arc::new(Controls::default());
    tokio_runtime().block_on(async {
        let rt = runtime(store, &controls, "one");
        let input = json!({"marker": "m", "pause": 0});
        let mut arns = Vec::new();
        for i in 0..20 {
            let options = ExecutionOptions::default().name(format!("once-{i}"));
            let (started, resumed) = tokio::join!(
                rt.start_execution::<Durable>(input.clone(), options),
                rt.resume::<Durable>()
            );
            resumed.unwrap();
            arns.push(started.unwrap().execution_arn);
        }
        for arn in &arns {
            let record = rt.wait_for_execution(arn).await.unwrap();
            assert_eq!(record.status, ExecutionStatus::Succeeded, "{record:?}");
        }
        assert_eq!(controls.calls("work"), 20);
        assert_eq!(controls.calls("item:"), 60);
        assert_eq!(controls.calls("branch:"), 40);
    });
}
