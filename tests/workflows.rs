//! Small workflows run end to end through `asl!`: the engine's mechanics that
//! the conformance corpus cannot show (it has no Task states): Task dispatch,
//! TimeoutSeconds with Retry and Catch, the state machine's TimeoutSeconds,
//! history events, all on a paused clock.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use asl::runtime::exec::{EventType, ExecutionOptions, History, Runtime};
use asl::runtime::task::{BoxFuture, TaskContext, TaskHandler};
use asl::runtime::{Error, Value};
use serde_json::json;

asl::asl!(Counter = "workflows/counter.asl.json");
asl::asl!(
    Timeouts = "workflows/timeouts.asl.json",
    resources = ["arn:aws:lambda:us-east-1:123456789012:function:slow"]
);
asl::asl!(MachineTimeout = "workflows/machine-timeout.asl.json");
asl::asl!(LongChain = "workflows/long-chain.asl.json");
asl::asl!(
    Jsonata = "workflows/jsonata.asl.json",
    resources = ["arn:aws:lambda:us-east-1:123456789012:function:echo"]
);
asl::asl!(JsonataCatch = "workflows/jsonata-catch.asl.json");
/// Its catch-all Catch reaches `Declined` without assigning the variables
/// `Declined` reads: three `asl::variable-maybe-unassigned` warnings (listed in
/// `expected-warnings.txt`); the tests take the Card.Declined edge, which does.
mod catch_assign {
    #![allow(deprecated)]
    asl::asl!(
        pub JsonPathCatchAssign = "workflows/jsonpath-catch-assign.asl.json",
        resources = ["arn:aws:lambda:us-east-1:123456789012:function:charge"]
    );
}
use catch_assign::JsonPathCatchAssign;
// A declared input: `TypedInput`, `TypedOutput` and `Typed::run_typed`.
asl::asl!(
    Typed = "workflows/typed.asl.json",
    input = "workflows/typed.input.schema.json"
);
// A handler's declared result: `QuoteOutput` takes its types from the
// result schema of the program's own `price` handler.
asl::asl!(
    Quote = "workflows/quote.asl.json",
    input = "workflows/quote.input.schema.json",
    resources = [
        "arn:aws:lambda:us-east-1:123456789012:function:price" => "workflows/quote.result.schema.json"
    ]
);
asl::asl!(
    RetrySettings = "workflows/retry-settings.asl.json",
    resources = ["arn:aws:lambda:us-east-1:123456789012:function:flaky"]
);
asl::asl!(FormatEscapes = "workflows/format-escapes.asl.json");
asl::asl!(FormatLoneBrace = "workflows/format-lone-brace.asl.json");
asl::asl!(JsonPathEscapedName = "workflows/jsonpath-escaped-name.asl.json");
asl::asl!(Batcher = "workflows/batcher.asl.json");
asl::asl!(
    Mocked = "workflows/mocked.asl.json",
    resources = ["arn:aws:states:::lambda:invoke"]
);
asl::asl!(
    Templated = "workflows/templated.asl.yaml",
    substitutions = { "WaitSeconds" => 90, "Table" => "orders" }
);
asl::asl!(
    TestStateMap = "workflows/test-state-map.asl.json",
    resources = ["arn:aws:states:::lambda:invoke"]
);
asl::asl!(
    MapTasks = "workflows/map-tasks.asl.json",
    resources = ["arn:aws:lambda:us-east-1:123456789012:function:sleep"]
);

#[tokio::test]
async fn run_typed_takes_the_declared_input_and_gives_the_inferred_output() {
    let runtime = Runtime::new();
    let tags = serde_json::Map::from_iter([("team".to_string(), json!("compilers"))]);
    let output: TypedOutput = Typed::run_typed(
        &runtime,
        TypedInput {
            name: "Ada".into(),
            count: 2.into(),
            scores: vec![7.into(), 9.into()],
            tags: Some(tags.clone()),
        },
    )
    .await
    .unwrap();
    // Every key the definition gives the output is a typed field.
    let TypedOutput {
        message,
        count,
        first,
        tags: out_tags,
    } = output;
    assert_eq!(message, "Hello, Ada!");
    assert_eq!(count, serde_json::Number::from(2));
    assert_eq!(first, serde_json::Number::from(7));
    assert_eq!(out_tags, tags);
    // The same execution through the untyped API gives the same JSON.
    let untyped = Typed::run(
        &runtime,
        json!({"name": "Ada", "count": 2, "scores": [7, 9], "tags": {"team": "compilers"}}),
    )
    .await
    .unwrap();
    assert_eq!(
        untyped,
        json!({"message": "Hello, Ada!", "count": 2, "first": 7, "tags": {"team": "compilers"}})
    );
    // An input the schema allows without `tags` fails where the definition
    // reads it, as the untyped run would: an ASL error, not a panic.
    let err = Typed::run_typed(
        &runtime,
        TypedInput {
            name: "Ada".into(),
            count: 2.into(),
            scores: vec![7.into()],
            tags: None,
        },
    )
    .await
    .unwrap_err();
    assert_eq!(err.error(), Some("States.Runtime"), "{err}");
}

#[tokio::test]
async fn a_typed_handler_with_a_declared_result_types_the_output() {
    use asl::runtime::task::typed_handler_fn;
    #[derive(serde::Deserialize)]
    struct Order {
        sku: String,
        quantity: u32,
    }
    #[derive(serde::Serialize)]
    struct Line {
        sku: String,
        amount: f64,
    }
    #[derive(serde::Serialize)]
    struct Priced {
        total: f64,
        currency: &'static str,
        lines: Vec<Line>,
    }
    let price = typed_handler_fn(|_task, order: Order| async move {
        let amount = 2.5 * f64::from(order.quantity);
        Ok(Priced {
            total: amount,
            currency: "EUR",
            lines: vec![Line {
                sku: order.sku,
                amount,
            }],
        })
    });
    let runtime = Runtime::builder()
        .handler(
            "arn:aws:lambda:us-east-1:123456789012:function:price",
            price,
        )
        .build();
    let output = Quote::run_typed(
        &runtime,
        QuoteInput {
            sku: "A-1".into(),
            quantity: 3.into(),
        },
    )
    .await
    .unwrap();
    // Every field is typed from the handler's result schema: a number, a
    // string, and an array of objects with their own fields.
    let QuoteOutput {
        sku,
        total,
        currency,
        lines,
    } = output;
    assert_eq!(sku, "A-1");
    assert_eq!(total.as_f64(), Some(7.5));
    assert_eq!(currency, "EUR");
    assert_eq!(lines.len(), 1);
    assert_eq!(
        (lines[0].sku.as_str(), lines[0].amount.as_f64()),
        ("A-1", Some(7.5))
    );
    // Parameters that do not fit the handler's type fail the task with
    // States.TaskFailed, which the workflow's Catch takes.
    let err = Quote::run_typed(
        &runtime,
        QuoteInput {
            sku: "A-1".into(),
            quantity: (-1).into(),
        },
    )
    .await
    .unwrap_err();
    assert_eq!(err.error(), Some("Quote.Refused"), "{err}");
    let cause = err.cause().unwrap_or_default();
    assert!(
        cause.contains("the parameters of state 'Price' do not fit `Order`")
            && cause.contains("invalid value: integer `-1`"),
        "{cause}"
    );
}

#[tokio::test(start_paused = true)]
async fn retry_settings_cap_the_backoff_and_jitter_it() {
    use asl::runtime::task::handler_fn;
    let calls = Arc::new(AtomicU32::new(0));
    let seen = calls.clone();
    let flaky = handler_fn(move |_task, params| {
        let call = seen.fetch_add(1, Ordering::SeqCst);
        async move {
            match (params["error"].as_str(), call) {
                (Some(error), 0..=2) => Err(Error::new(error.to_string(), "try again")),
                _ => Ok(json!({"call": call})),
            }
        }
    });
    let runtime = Runtime::builder()
        .handler(
            "arn:aws:lambda:us-east-1:123456789012:function:flaky",
            flaky,
        )
        .build();
    // 10 s, then 30 and 90 capped at MaxDelaySeconds 20.
    let started = tokio::time::Instant::now();
    let out = RetrySettings::run(&runtime, json!({"error": "Flaky.Busy"}))
        .await
        .unwrap();
    assert_eq!(out, json!({"call": 3}));
    assert_eq!(started.elapsed().as_secs(), 50);
    // Full jitter: one retry, after a random part of 8 s.
    calls.store(2, Ordering::SeqCst);
    let started = tokio::time::Instant::now();
    let out = RetrySettings::run(&runtime, json!({"error": "Flaky.Jitter"}))
        .await
        .unwrap();
    assert_eq!(out, json!({"call": 3}));
    assert!(
        started.elapsed() <= Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn counter_counts_to_n() {
    let runtime = Runtime::new();
    let out = Counter::run(&runtime, json!({"n": 5})).await.unwrap();
    assert_eq!(out, json!({"count": 5, "n": 5}));
    // A bad input is an ASL error the workflow reports, not a panic.
    let err = Counter::run(&runtime, json!({"m": 5})).await.unwrap_err();
    assert_eq!(err.error(), Some("States.Runtime"));
    assert!(err.cause().unwrap().contains("'Init'"), "{err}");
}

/// AWS's history quota (bp-history-limit): event number 25,000 of a Standard
/// execution must be `ExecutionSucceeded`, or that event is `ExecutionFailed`
/// with `States.Runtime`. The counter makes 4n + 6 events.
#[tokio::test]
async fn the_history_quota_fails_standard_executions_as_aws_does() {
    let run = |limit: Option<u64>, n: u64, express: bool| async move {
        let (history, events) = History::memory();
        let runtime = Runtime::builder()
            .history(history)
            .history_limit(limit)
            .build();
        let options = ExecutionOptions::default().express(express);
        let result = Counter::run_with(&runtime, json!({"n": n}), options).await;
        let events = events.lock().unwrap().clone();
        (result, events)
    };
    // Event 26 of 26 is ExecutionSucceeded: the execution succeeds.
    let (result, events) = run(Some(26), 5, false).await;
    assert_eq!(result.unwrap(), json!({"count": 5, "n": 5}));
    assert_eq!(events.len(), 26);
    // One more iteration: event 26 is ExecutionFailed, nothing runs after it.
    let (result, events) = run(Some(26), 6, false).await;
    let err = result.unwrap_err();
    assert_eq!(err.error(), Some("States.Runtime"));
    assert_eq!(
        err.cause(),
        Some("The execution reached the maximum number of history events (26).")
    );
    assert_eq!(events.len(), 26);
    let last = events.last().unwrap();
    assert_eq!((last.id, last.event_type), (26, EventType::ExecutionFailed));
    // AWS's default, 25,000: the issue's 30,000-iteration loop fails there.
    let (result, events) = run(Some(asl::runtime::exec::MAX_HISTORY_EVENTS), 30_000, false).await;
    assert_eq!(
        result.unwrap_err().cause(),
        Some("The execution reached the maximum number of history events (25000).")
    );
    assert_eq!(events.len(), 25_000);
    // Lifted, or Express: it runs to the end.
    let (result, events) = run(None, 30_000, false).await;
    assert_eq!(result.unwrap()["count"], json!(30_000));
    assert_eq!(events.len(), 4 * 30_000 + 6);
    let (result, _) = run(Some(26), 30, true).await;
    assert_eq!(result.unwrap()["count"], json!(30));
}

/// A Step Functions Local MockConfigFile, unchanged: each test case answers its
/// mocked states by invocation, `Throw` goes through Retry and Catch, Retry
/// waits its real delays (or not, when told), unmocked states run their handler.
#[tokio::test(start_paused = true)]
async fn a_mock_config_file_answers_mocked_states() {
    let file = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/workflows/mock/MockConfigFile.json"
    );
    let run = |case: &'static str, delays: bool| async move {
        let (history, events) = History::memory();
        let runtime = Runtime::builder()
            .history(history)
            .mock_config(file, "Mocked", case)
            .unwrap()
            .mock_retry_delays(delays)
            .handler(
                "arn:aws:states:::lambda:invoke",
                Arc::new(PayloadEcho) as Arc<dyn TaskHandler>,
            )
            .build();
        let started = tokio::time::Instant::now();
        let out = Mocked::run(&runtime, json!({"order": 7})).await;
        let events = events.lock().unwrap().clone();
        (out, started.elapsed(), events)
    };
    let (out, _, _) = run("HappyPath", true).await;
    assert_eq!(
        out.unwrap(),
        json!({"order": 7, "charge": {"status": "paid"}, "notify": {"notified": "sent"}})
    );
    // Two throttles, retried after the definition's 10 s each, then paid.
    let (out, elapsed, events) = run("RetryPath", true).await;
    assert_eq!(out.unwrap()["charge"], json!({"status": "paid late"}));
    assert_eq!(elapsed, Duration::from_secs(20));
    let failures = events
        .iter()
        .filter(|e| e.event_type == EventType::TaskFailed)
        .count();
    assert_eq!(failures, 2);
    // The same without the delays.
    let (out, elapsed, _) = run("RetryPath", false).await;
    assert_eq!(out.unwrap()["charge"], json!({"status": "paid late"}));
    assert_eq!(elapsed, Duration::ZERO);
    // A mocked error no Retry takes: the Catch does.
    let (out, _, _) = run("CatchPath", true).await;
    let out = out.unwrap();
    assert_eq!(
        out["error"],
        json!({"Error": "Card.Declined", "Cause": "insufficient funds"})
    );
    assert_eq!(out["refund"], json!("refunded"));
    // Notify is not mocked in HybridPath: its real handler (an echo) answers.
    let (out, _, _) = run("HybridPath", true).await;
    assert_eq!(out.unwrap()["notify"]["notified"]["order"], json!(7));
    // A test case the file does not have is a clear error.
    let Err(err) = Runtime::builder().mock_config(file, "Mocked", "NoSuchCase") else {
        panic!("an unknown test case was accepted");
    };
    assert!(err.contains("no test case `NoSuchCase`"), "{err}");
}

/// One state run alone, as AWS's TestState API runs it: status, next state,
/// output and the data after each step; Retry is reported, not run; Catch
/// gives CAUGHT_ERROR with its Next.
#[tokio::test(start_paused = true)]
async fn test_state_runs_one_state_as_aws_teststate_does() {
    use asl::runtime::exec::{TestStateRequest, TestStatus};
    let runtime = Runtime::builder()
        .handler(
            "arn:aws:states:::lambda:invoke",
            Arc::new(PayloadEcho) as Arc<dyn TaskHandler>,
        )
        .build();
    let input = json!({"order": 7});
    // A mocked result: through ResultSelector and ResultPath, to Notify.
    let r = Mocked::test_state(
        &runtime,
        TestStateRequest::new("Charge", input.clone())
            .mock_result(json!({"StatusCode": 200, "Payload": {"status": "paid"}})),
    )
    .await
    .unwrap();
    assert_eq!(r.status, TestStatus::Succeeded);
    assert_eq!(r.next_state.as_deref(), Some("Notify"));
    assert_eq!(
        r.output,
        Some(json!({"order": 7, "charge": {"status": "paid"}}))
    );
    let i = &r.inspection_data;
    assert_eq!(i["input"], input);
    assert_eq!(i["afterInputPath"], input);
    assert_eq!(
        i["afterParameters"],
        json!({"FunctionName": "charge", "Payload": {"order": 7}})
    );
    assert_eq!(
        i["result"],
        json!({"StatusCode": 200, "Payload": {"status": "paid"}})
    );
    assert_eq!(i["afterResultSelector"], json!({"status": "paid"}));
    assert_eq!(
        i["afterResultPath"],
        json!({"order": 7, "charge": {"status": "paid"}})
    );
    // TestState's JSON: output and inspection data as JSON text.
    let doc = r.to_json();
    assert_eq!(doc["status"], "SUCCEEDED");
    assert_eq!(doc["nextState"], "Notify");
    assert_eq!(
        doc["inspectionData"]["afterResultSelector"],
        "{\"status\":\"paid\"}"
    );
    // An error a Retry would retry: RETRIABLE, nothing retried.
    let r = Mocked::test_state(
        &runtime,
        TestStateRequest::new("Charge", input.clone())
            .mock_error("Lambda.TooManyRequestsException", "Rate exceeded"),
    )
    .await
    .unwrap();
    assert_eq!(r.status, TestStatus::Retriable);
    assert_eq!(r.error.as_deref(), Some("Lambda.TooManyRequestsException"));
    assert_eq!(r.cause.as_deref(), Some("Rate exceeded"));
    assert_eq!((r.next_state, r.output), (None, None));
    // One the Catch takes: CAUGHT_ERROR, the catcher's Next and output.
    let r = Mocked::test_state(
        &runtime,
        TestStateRequest::new("Charge", input.clone()).mock_error("Card.Declined", "no funds"),
    )
    .await
    .unwrap();
    assert_eq!(r.status, TestStatus::CaughtError);
    assert_eq!(r.next_state.as_deref(), Some("Refund"));
    assert_eq!(
        r.output,
        Some(json!({"order": 7, "error": {"Error": "Card.Declined", "Cause": "no funds"}}))
    );
    // No mock: the real handler answers; the last state has no next state.
    let r = Mocked::test_state(&runtime, TestStateRequest::new("Notify", input.clone()))
        .await
        .unwrap();
    assert_eq!(r.status, TestStatus::Succeeded);
    assert_eq!(r.output.unwrap()["notify"]["notified"], json!({"order": 7}));
    assert_eq!(r.next_state, None);
    // A Choice: where it goes. A state that fails: FAILED with AWS's cause.
    let r = Counter::test_state(
        &runtime,
        TestStateRequest::new("More?", json!({"count": 1, "n": 3})),
    )
    .await
    .unwrap();
    assert_eq!(
        (r.status, r.next_state.as_deref()),
        (TestStatus::Succeeded, Some("Increment"))
    );
    let r = Counter::test_state(&runtime, TestStateRequest::new("Init", json!({"m": 1})))
        .await
        .unwrap();
    assert_eq!(
        (r.status, r.error.as_deref()),
        (TestStatus::Failed, Some("States.Runtime"))
    );
    // A state the workflow does not have.
    let err = Counter::test_state(&runtime, TestStateRequest::new("Nope", json!({})))
        .await
        .unwrap_err();
    assert!(
        err.contains("`Nope` is not a top-level state of Counter"),
        "{err}"
    );
}

/// TestState of a Map or Parallel reports the tested state's own data, as
/// AWS's does: the states it runs report nothing, and their Retry and Catch
/// are theirs (a failure an iteration's Retry retries is not RETRIABLE, one
/// its Catch takes is not CAUGHT_ERROR). Before, the nested states' reports
/// overwrote the Map's (`afterInputPath` was the last iteration's).
#[tokio::test(start_paused = true)]
async fn test_state_of_a_map_or_parallel_reports_its_own_data() {
    use asl::runtime::exec::{TestStateRequest, TestStatus};
    use asl::runtime::task::handler_fn;
    let calls = Arc::new(AtomicU32::new(0));
    let counted = calls.clone();
    let check = handler_fn(move |_, params: Value| {
        counted.fetch_add(1, Ordering::SeqCst);
        async move {
            match params["Payload"].as_i64() {
                Some(n) if n < 0 => Err(Error::new("Negative", "below zero")),
                _ => Ok(json!({"Payload": params["Payload"].clone()})),
            }
        }
    });
    let runtime = Runtime::builder()
        .handler("arn:aws:states:::lambda:invoke", check)
        .build();
    let steps = |r: &asl::runtime::exec::TestStateResponse| {
        let mut keys: Vec<String> = r.inspection_data.keys().cloned().collect();
        keys.sort();
        keys
    };
    let input = json!({"items": [1, -2]});
    let r = TestStateMap::test_state(&runtime, TestStateRequest::new("Check all", input.clone()))
        .await
        .unwrap();
    let output = json!({"items": [1, -2], "checked": [{"checked": 1}, "refused"]});
    assert_eq!(
        (r.status, r.error.as_deref(), r.next_state.as_deref()),
        (TestStatus::Succeeded, None, Some("Both"))
    );
    assert_eq!(r.output.as_ref(), Some(&output));
    // The negative item ran again once, as its iteration's Retry says.
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    assert_eq!(steps(&r), ["afterInputPath", "afterResultPath", "input"]);
    assert_eq!(r.inspection_data["input"], input);
    assert_eq!(r.inspection_data["afterInputPath"], input);
    assert_eq!(r.inspection_data["afterResultPath"], output);

    let r = TestStateMap::test_state(&runtime, TestStateRequest::new("Both", input.clone()))
        .await
        .unwrap();
    let output = json!({"items": [1, -2], "first": [1]});
    assert_eq!(
        (r.status, r.next_state.as_deref()),
        (TestStatus::Succeeded, None)
    );
    assert_eq!(r.output.as_ref(), Some(&output));
    assert_eq!(steps(&r), ["afterInputPath", "afterResultPath", "input"]);
    assert_eq!(r.inspection_data["afterInputPath"], input);
    assert_eq!(r.inspection_data["afterResultPath"], output);
}

/// Answers `lambda:invoke` with `{"Payload": <its parameters' Payload>}`.
struct PayloadEcho;

impl TaskHandler for PayloadEcho {
    fn invoke<'a>(
        &'a self,
        _task: &'a TaskContext<'a>,
        parameters: Value,
    ) -> BoxFuture<'a, Result<Value, Error>> {
        Box::pin(
            async move { Ok(json!({"StatusCode": 200, "Payload": parameters["Payload"].clone()})) },
        )
    }
}

/// ItemBatcher (AWS's "ItemBatcher (Map)"): the ItemSelector applies to each
/// item, then items go into batches of `{"BatchInput", "Items"}` of at most
/// MaxItemsPerBatch items and MaxInputBytesPerBatch bytes.
#[tokio::test]
async fn item_batcher_cuts_selected_items_into_batches() {
    let runtime = Runtime::new();
    let orders: Vec<Value> = (0..7)
        .map(|i| json!({"id": format!("o{i}"), "noise": "x"}))
        .collect();
    // By count: 3 + 3 + 1 (each batch's text stays under 120 bytes).
    let out = Batcher::run(
        &runtime,
        json!({"orders": orders, "perBatch": 3, "region": "eu"}),
    )
    .await
    .unwrap();
    assert_eq!(
        out,
        json!([
            {"n": 3, "region": "eu", "first": "o0"},
            {"n": 3, "region": "eu", "first": "o3"},
            {"n": 1, "region": "eu", "first": "o6"}
        ])
    );
    // By size: `{"BatchInput":{"region":"eu"},"Items":[...]}` is 40 bytes, each
    // selected item `{"id":"oN","at":N}` 18 (+1 for the comma): 4 fit in 120.
    let out = Batcher::run(
        &runtime,
        json!({"orders": orders, "perBatch": 100, "region": "eu"}),
    )
    .await
    .unwrap();
    let sizes: Vec<&Value> = out.as_array().unwrap().iter().map(|b| &b["n"]).collect();
    assert_eq!(sizes, [&json!(4), &json!(3)]);
    // A MaxItemsPerBatchPath that is not a positive integer is the state's error.
    let err = Batcher::run(
        &runtime,
        json!({"orders": orders, "perBatch": 0, "region": "eu"}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.error(), Some("States.Runtime"));
    assert!(
        err.cause().unwrap().contains("MaxItemsPerBatchPath"),
        "{err}"
    );
}

/// A YAML template definition, substituted by the macro: the unquoted number
/// waits, the quoted text lands in its strings.
#[tokio::test(start_paused = true)]
async fn yaml_template_definitions_run_substituted() {
    let runtime = Runtime::new();
    let started = tokio::time::Instant::now();
    let out = Templated::run(&runtime, json!({"id": 7})).await.unwrap();
    assert_eq!(
        out,
        json!({"table": "orders", "arn": "arn:aws:dynamodb:us-east-1:123456789012:table/orders", "id": 7})
    );
    assert_eq!(started.elapsed(), Duration::from_secs(90));
}

/// Sleeps for `delay` (paused-clock time) and counts its calls.
struct Sleeper {
    delay: Duration,
    calls: AtomicU32,
}

impl TaskHandler for Sleeper {
    fn invoke<'a>(
        &'a self,
        task: &'a TaskContext<'a>,
        parameters: Value,
    ) -> BoxFuture<'a, Result<Value, Error>> {
        Box::pin(async move {
            self.calls.fetch_add(1, Ordering::SeqCst);
            assert_eq!(task.timeout, Some(Duration::from_secs(5)));
            tokio::time::sleep(self.delay).await;
            Ok(parameters)
        })
    }
}

fn runtime_with(sleeper: &Arc<Sleeper>) -> Runtime {
    Runtime::builder()
        .handler(
            "arn:aws:lambda:us-east-1:123456789012:function:slow",
            sleeper.clone() as Arc<dyn TaskHandler>,
        )
        .build()
}

#[tokio::test(start_paused = true)]
async fn task_timeout_is_retried_then_caught() {
    let sleeper = Arc::new(Sleeper {
        delay: Duration::from_secs(60),
        calls: AtomicU32::new(0),
    });
    let runtime = runtime_with(&sleeper);
    let (history, events) = History::memory();
    let started = tokio::time::Instant::now();
    let out = Timeouts::run_with(
        &runtime,
        json!({"x": 1}),
        ExecutionOptions::default().history(history),
    )
    .await
    .unwrap();
    assert_eq!(out, json!({"x": 1, "timeout": {"Error": "States.Timeout"}}));
    assert_eq!(
        sleeper.calls.load(Ordering::SeqCst),
        2,
        "one attempt and one retry"
    );
    // Two 5 s timeouts and a 1 s retry interval, on the paused clock.
    assert_eq!(started.elapsed().as_secs(), 11);
    let types: Vec<EventType> = events
        .lock()
        .unwrap()
        .iter()
        .map(|e| e.event_type)
        .collect();
    assert_eq!(
        types
            .iter()
            .filter(|t| **t == EventType::TaskTimedOut)
            .count(),
        2
    );
    assert_eq!(types.first(), Some(&EventType::ExecutionStarted));
    assert_eq!(types.last(), Some(&EventType::ExecutionSucceeded));
    // Event ids count up from 1 in order.
    let ids: Vec<u64> = events.lock().unwrap().iter().map(|e| e.id).collect();
    assert_eq!(ids, (1..=ids.len() as u64).collect::<Vec<_>>());
}

#[tokio::test(start_paused = true)]
async fn a_fast_task_passes_its_result_through() {
    let sleeper = Arc::new(Sleeper {
        delay: Duration::from_secs(1),
        calls: AtomicU32::new(0),
    });
    let out = Timeouts::run(&runtime_with(&sleeper), json!({"x": 2}))
        .await
        .unwrap();
    assert_eq!(out, json!({"x": 2}));
}

#[tokio::test]
async fn a_missing_handler_is_a_runtime_error() {
    let err = Timeouts::run(&Runtime::new(), json!({})).await.unwrap_err();
    assert_eq!(err.error(), Some("States.Runtime"));
    assert!(err.cause().unwrap().contains("No task handler"), "{err}");
}

#[tokio::test(start_paused = true)]
async fn state_machine_timeout_ends_the_execution() {
    let err = MachineTimeout::run(&Runtime::new(), json!({}))
        .await
        .unwrap_err();
    assert!(err.timed_out());
    assert_eq!(err.error(), Some("States.Timeout"));
}

#[tokio::test]
async fn a_large_machine_runs_across_its_dispatch_parts() {
    // 72 states: the driver dispatches through parts of 32 states each, and the
    // loop goes back from the last part to the first.
    let out = LongChain::run(&Runtime::new(), json!({"count": 0, "rounds": 140}))
        .await
        .unwrap();
    assert_eq!(out, json!({"count": 140, "rounds": 140}));
}

/// Executions can be spawned on a multi-threaded runtime: their futures are `Send`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn executions_are_send_and_spawnable() {
    fn assert_send<T: Send>(t: T) -> T {
        t
    }
    let runtime = Runtime::new();
    let sleeper = Arc::new(Sleeper {
        delay: Duration::from_millis(1),
        calls: AtomicU32::new(0),
    });
    let with_task = runtime_with(&sleeper);
    drop(assert_send(Timeouts::run(&with_task, json!({}))));
    drop(assert_send(MachineTimeout::run(&runtime, json!({}))));
    let handle = tokio::spawn(async move {
        let runtime = Runtime::new();
        assert_send(Counter::run(&runtime, json!({"n": 3}))).await
    });
    assert_eq!(handle.await.unwrap().unwrap(), json!({"count": 3, "n": 3}));
}

/// Returns its parameters; checks the JSONata `TimeoutSeconds` reached it.
struct Echo;

impl TaskHandler for Echo {
    fn invoke<'a>(
        &'a self,
        task: &'a TaskContext<'a>,
        parameters: Value,
    ) -> BoxFuture<'a, Result<Value, Error>> {
        Box::pin(async move {
            if task.timeout != Some(Duration::from_secs(5)) {
                return Err(Error::new("Echo.BadTimeout", format!("{:?}", task.timeout)));
            }
            Ok(parameters)
        })
    }
}

#[tokio::test]
async fn a_jsonata_workflow_runs_end_to_end() {
    let runtime = Runtime::builder()
        .handler(
            "arn:aws:lambda:us-east-1:123456789012:function:echo",
            Arc::new(Echo) as Arc<dyn TaskHandler>,
        )
        .build();
    // Swap's Output reads a = 1, b = 2 (its own Assign applies after); the Task
    // then sees a = 2, b = 1: sum 3; the Map multiplies [1, 2] by it; the
    // Choice's own Assign applies beside its rule's Output.
    let out = Jsonata::run(&runtime, json!({"start": 1})).await.unwrap();
    assert_eq!(out, json!({"values": [3, 6], "checked": 2}));
    // An expression that yields nothing is an error the workflow reports.
    let err = Jsonata::run(&runtime, json!({})).await.unwrap_err();
    assert_eq!(err.error(), Some("States.QueryEvaluationError"));
    assert!(
        err.cause().unwrap().contains("'Assign/a' returned nothing"),
        "{err}"
    );
}

#[tokio::test]
async fn a_jsonata_catch_shapes_the_output_and_assigns() {
    let runtime = Runtime::new();
    let out = JsonataCatch::run(&runtime, json!({"x": "1"}))
        .await
        .unwrap();
    assert_eq!(
        out,
        json!({"seen": "Boom", "out": {"error": "Boom", "cause": "bad 1", "x": "1"}})
    );
}

/// A JSONPath Catch with `Assign`: `$` is the error output, `$$` the state's
/// context, every value reads the variables as they were before it (`seen` is
/// the old `attempt`), and the next state reads what it assigned; the output is
/// the input with the error output at the catcher's `ResultPath`. The Task's
/// `Credentials` reach its handler evaluated.
#[tokio::test]
async fn a_jsonpath_catch_assigns_from_the_error_output() {
    use asl::runtime::task::handler_fn;
    let runtime = Runtime::builder()
        .handler(
            "arn:aws:lambda:us-east-1:123456789012:function:charge",
            handler_fn(|task, params| async move {
                let role = task.credentials.expect("the Task has Credentials")["RoleArn"].clone();
                match params["amount"].as_i64() {
                    Some(n) if n <= 100 => Ok(json!({"charged": n, "as": role})),
                    _ => Err(Error::new("Card.Declined", "insufficient funds")),
                }
            }),
        )
        .build();
    let declined =
        JsonPathCatchAssign::run(&runtime, json!({"amount": 500, "account": "111122223333"}))
            .await
            .unwrap();
    assert_eq!(
        declined,
        json!({
            "reason": "insufficient funds",
            "caughtIn": "Charge",
            "seen": 1,
            "attempt": 2,
            "error": "Card.Declined",
            "amount": 500
        })
    );
    let charged =
        JsonPathCatchAssign::run(&runtime, json!({"amount": 50, "account": "111122223333"}))
            .await
            .unwrap();
    assert_eq!(
        charged,
        json!({"charged": 50, "as": "arn:aws:iam::111122223333:role/Payments"})
    );
    // No account: the Credentials cannot be evaluated, which is States.Runtime
    // (no catcher takes it, States.ALL included, as on AWS).
    let err = JsonPathCatchAssign::run(&runtime, json!({"amount": 500}))
        .await
        .unwrap_err();
    assert_eq!(err.error(), Some("States.Runtime"), "{err:?}");
    let cause = err.cause().unwrap();
    assert!(
        cause.contains("'Charge'") && cause.contains("'RoleArn.$'"),
        "{cause}"
    );
}

#[tokio::test]
async fn format_templates_keep_escaped_braces_literal() {
    let out = FormatEscapes::run(&Runtime::new(), json!({"name": "x"}))
        .await
        .unwrap();
    assert_eq!(out, json!({"text": r"{} x \ it's"}));
}

#[tokio::test]
async fn a_lone_brace_in_a_format_template_fails_as_on_aws() {
    let err = FormatLoneBrace::run(&Runtime::new(), json!({"name": "x"}))
        .await
        .unwrap_err();
    assert_eq!(err.error(), Some("States.Runtime"));
    assert!(
        err.cause()
            .unwrap()
            .ends_with("Invalid arguments in States.Format"),
        "{err}"
    );
}

#[tokio::test]
async fn a_full_jsonpath_reads_a_field_name_with_an_escaped_dot() {
    let input = json!({"by.id": [{"id": 1}, {"id": 2}]});
    let out = JsonPathEscapedName::run(&Runtime::new(), input)
        .await
        .unwrap();
    assert_eq!(out, json!({"ids": [1, 2]}));
}

/// Sleeps `seconds` (paused-clock time) and returns `seconds * 10`; a negative
/// number of seconds fails the task.
struct SleepSeconds;

impl TaskHandler for SleepSeconds {
    fn invoke<'a>(
        &'a self,
        _task: &'a TaskContext<'a>,
        parameters: Value,
    ) -> BoxFuture<'a, Result<Value, Error>> {
        Box::pin(async move {
            let seconds = parameters["seconds"].as_i64().unwrap_or(0);
            if seconds < 0 {
                return Err(Error::new("Negative", format!("{seconds} seconds")));
            }
            tokio::time::sleep(Duration::from_secs(seconds as u64)).await;
            Ok(json!(seconds * 10))
        })
    }
}

#[tokio::test(start_paused = true)]
async fn map_iterations_that_wait_finish_out_of_order_and_keep_item_order() {
    let runtime = Runtime::builder()
        .handler(
            "arn:aws:lambda:us-east-1:123456789012:function:sleep",
            Arc::new(SleepSeconds) as Arc<dyn TaskHandler>,
        )
        .build();
    let (history, events) = History::memory();
    let started = tokio::time::Instant::now();
    let out = MapTasks::run_with(
        &runtime,
        json!({"items": [3, 1, -1, 2]}),
        ExecutionOptions::default().history(history),
    )
    .await
    .unwrap();
    // Outputs in item order, the tolerated failure in its place.
    assert_eq!(
        out,
        json!([30, 10, {"Error": "Negative", "Cause": "-1 seconds"}, 20])
    );
    // The iterations ran side by side: 3 s in all, not 6.
    assert_eq!(started.elapsed().as_secs(), 3);
    // They finished in the order of their sleeps: items 2 (failed at once), 1,
    // 3, then 0.
    let finished: Vec<(EventType, u64)> = events
        .lock()
        .unwrap()
        .iter()
        .filter(|e| {
            matches!(
                e.event_type,
                EventType::MapIterationSucceeded | EventType::MapIterationFailed
            )
        })
        .map(|e| (e.event_type, e.details["index"].as_u64().unwrap()))
        .collect();
    assert_eq!(
        finished,
        [
            (EventType::MapIterationFailed, 2),
            (EventType::MapIterationSucceeded, 1),
            (EventType::MapIterationSucceeded, 3),
            (EventType::MapIterationSucceeded, 0),
        ]
    );
    // A second failure is over the tolerance.
    let err = MapTasks::run(&runtime, json!({"items": [1, -1, -2]}))
        .await
        .unwrap_err();
    assert_eq!(err.error(), Some("States.ExceedToleratedFailureThreshold"));
}

/// Generated types implement `asl::Workflow`: a program can be generic over its
/// workflows, run them through the trait (on a multi-threaded runtime: the
/// futures are `Send`), and check at start that every resource has a handler;
/// a closure registers through `handler_fn`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workflows_are_generic_and_say_which_handlers_they_need() {
    use asl::Workflow;
    use asl::runtime::task::handler_fn;

    const SLOW: &str = "arn:aws:lambda:us-east-1:123456789012:function:slow";
    assert_eq!(Counter::NAME, "Counter");
    assert!(Counter::RESOURCES.is_empty());
    assert_eq!(Timeouts::RESOURCES, [SLOW]);
    assert_eq!(Timeouts::DECLARED_RESOURCES, [SLOW]);
    assert_eq!(Runtime::new().missing_handlers::<Timeouts>(), [SLOW]);

    async fn run_any<W: Workflow>(runtime: Runtime, input: Value) -> Value {
        tokio::spawn(async move { W::run(&runtime, input).await })
            .await
            .unwrap()
            .unwrap()
    }
    assert_eq!(
        run_any::<Counter>(Runtime::new(), json!({"n": 2})).await,
        json!({"count": 2, "n": 2})
    );

    let runtime = asl::Runtime::builder()
        .handler(
            SLOW,
            handler_fn(|task, params| async move {
                assert_eq!(task.state_name, "Slow");
                assert_eq!(task.timeout, Some(Duration::from_secs(5)));
                Ok(json!({"echo": params}))
            }),
        )
        .build();
    assert!(runtime.missing_handlers::<Timeouts>().is_empty());
    let out = run_any::<Timeouts>(runtime, json!({"x": 1})).await;
    assert_eq!(out, json!({"echo": {"x": 1}}));
}

asl::asl!(
    LambdaOwnRegion = "workflows/lambda-own-region.asl.json",
    resources = ["arn:aws:lambda:::function:resize"]
);

/// Issue 27: `"Resource": "arn:aws:lambda:::function:NAME"` compiles (Step
/// Functions accepts it: a deployed public sample uses it) and calls the
/// function in the runtime's own region and account: the handler registered
/// for that full ARN runs, sees it as its resource, and the history records it.
#[tokio::test]
async fn a_lambda_arn_without_region_and_account_calls_the_runtimes_own() {
    use asl::Workflow;
    use asl::runtime::task::handler_fn;

    const OWN: &str = "arn:aws:lambda:eu-west-1:111122223333:function:resize";
    const ELSEWHERE: &str = "arn:aws:lambda:us-east-1:444455556666:function:resize";
    assert_eq!(
        LambdaOwnRegion::RESOURCES,
        ["arn:aws:lambda:::function:resize"]
    );
    let (history, events) = History::memory();
    let runtime = Runtime::builder()
        .region("eu-west-1")
        .account("111122223333")
        .history(history)
        .handler(
            OWN,
            handler_fn(|task, params| async move {
                assert_eq!(task.resource, OWN);
                Ok(json!({"resized": params}))
            }),
        )
        .handler(
            ELSEWHERE,
            handler_fn(|_, _| async { Err(Error::new("Wrong", "another account's function")) }),
        )
        .build();
    assert!(runtime.missing_handlers::<LambdaOwnRegion>().is_empty());
    let out = LambdaOwnRegion::run(&runtime, json!({"w": 1}))
        .await
        .unwrap();
    assert_eq!(out, json!({"resized": {"w": 1}}));
    let scheduled = events
        .lock()
        .unwrap()
        .iter()
        .find(|e| e.event_type == EventType::TaskScheduled)
        .map(|e| e.details["resource"].clone());
    assert_eq!(scheduled, Some(json!(OWN)));
    // A runtime of another account has no handler for its own function.
    let other = Runtime::builder()
        .account("444455556666")
        .handler(OWN, handler_fn(|_, p| async move { Ok(p) }))
        .build();
    assert_eq!(
        other.missing_handlers::<LambdaOwnRegion>(),
        ["arn:aws:lambda:::function:resize"]
    );
}

asl::asl!(DeepNest = "workflows/deep-nest.asl.json");
asl::asl!(JsonataDeep = "workflows/jsonata-deep.asl.json");
asl::asl!(DeepVariable = "workflows/deep-variable.asl.json");
asl::asl!(pub r#Weird = "workflows/counter.asl.json");

/// `[[[...0...]]]`, `depth` levels, built without recursion.
fn nested(depth: usize) -> Value {
    let mut v = json!(0);
    for _ in 0..depth {
        v = Value::Array(vec![v]);
    }
    v
}

/// Issue 10: data nested without bound aborted the process (a recursive clone,
/// drop or size check overflowed the stack). Each reproducer now fails its own
/// execution with an ASL error, on a test thread's ordinary stack.
#[tokio::test]
async fn data_nested_too_deep_fails_the_execution_not_the_process() {
    let runtime = Runtime::new();
    // A loop that nests its data one level per iteration, 10,000 times.
    let err = DeepNest::run(&runtime, json!({"n": 10_000, "x": 0}))
        .await
        .unwrap_err();
    assert_eq!(err.error(), Some("States.DataLimitExceeded"), "{err}");
    assert!(err.cause().unwrap().contains("'Nest'"), "{err}");
    // Shallow enough: it runs.
    let out = DeepNest::run(&runtime, json!({"n": 3, "x": 0}))
        .await
        .unwrap();
    assert_eq!(out, json!({"n": 0, "x": {"x": {"x": {"x": 0}}}}));

    // A JSONata expression that builds 5,000 levels.
    let err = JsonataDeep::run(&runtime, json!({"n": 5000}))
        .await
        .unwrap_err();
    assert_eq!(err.error(), Some("States.QueryEvaluationError"), "{err}");
    assert!(err.cause().unwrap().contains("128 levels"), "{err}");
    let out = JsonataDeep::run(&runtime, json!({"n": 2})).await.unwrap();
    assert_eq!(out, json!({"x": {"x": 0}}));

    // A variable nested one level per iteration, never part of a state's output.
    let err = DeepVariable::run(&runtime, json!({"n": 10_000}))
        .await
        .unwrap_err();
    assert_eq!(err.error(), Some("States.DataLimitExceeded"), "{err}");
    assert!(err.cause().unwrap().contains("variable 'v'"), "{err}");
    let out = DeepVariable::run(&runtime, json!({"n": 2})).await.unwrap();
    assert_eq!(out, json!({"v": {"v": {"v": 0}}}));

    // An input 10,000 (and 1,000,000) levels deep, handed to `run`.
    for depth in [10_000, 1_000_000] {
        let err = Counter::run(&runtime, nested(depth)).await.unwrap_err();
        assert_eq!(err.error(), Some("States.DataLimitExceeded"), "{err}");
        assert!(
            err.cause()
                .unwrap()
                .starts_with("The execution input nests"),
            "{err}"
        );
    }
}

/// Issue 10: AWS refuses an execution input over 256 KiB; so does the runtime
/// (liftable with `PayloadLimit`, like the state limit).
#[tokio::test]
async fn an_input_over_256_kib_is_refused() {
    use asl::runtime::limits::PayloadLimit;
    let big = json!({"n": 1, "pad": "x".repeat(256 * 1024)});
    let err = Counter::run(&Runtime::new(), big.clone())
        .await
        .unwrap_err();
    assert_eq!(err.error(), Some("States.DataLimitExceeded"), "{err}");
    assert!(err.cause().unwrap().contains("execution input"), "{err}");
    let unlimited = Runtime::builder()
        .data_limit(PayloadLimit::UNLIMITED)
        .build();
    assert!(Counter::run(&unlimited, big).await.is_ok());
}

/// Issue 10: `asl!(pub r#Weird = …)` panicked the proc macro; a raw identifier
/// names the type (and the state machine) without its `r#`.
#[tokio::test]
async fn a_raw_identifier_names_the_workflow() {
    use asl::Workflow;
    assert_eq!(Weird::NAME, "Weird");
    let out = Weird::run(&Runtime::new(), json!({"n": 1})).await.unwrap();
    assert_eq!(out, json!({"count": 1, "n": 1}));
}
