//! One state of a compiled workflow, run alone, as AWS's TestState API runs
//! it: given an input (and optionally variables and a mocked result or
//! error), the state runs once, and the answer says what happened with the
//! fields TestState returns (`output`, `error`, `cause`, `nextState`,
//! `status`, `inspectionData`). Generated workflows expose it as
//! `Workflow::test_state(&runtime, request)`.
//!
//! As TestState does: a failure a `Retry` would retry is `RETRIABLE` (the
//! state is not run again); one a `Catch` takes is `CAUGHT_ERROR`, with the
//! catcher's `Next` and output; any other is `FAILED`. A Task without a mock
//! calls its real handler. The inspection data of a JSONPath state holds the
//! data after each step: `input`, `afterInputPath`, `afterParameters` and
//! `result`, `afterResultSelector` (Tasks), `afterResultPath`, and the
//! `variables` after the state's `Assign`.

use std::sync::Mutex;

use serde_json::{Map, Value};

use crate::error::Error;
use crate::exec::{ExecutionOptions, Runtime};
use crate::mock::{MockResponse, Mocks};
use crate::workflow::Workflow;

/// What to test (TestState's request, for one state of a compiled workflow).
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct TestStateRequest {
    /// The state's name (a top-level state of the workflow).
    pub state: String,
    pub input: Value,
    /// Variables visible to the state (`$name`).
    pub variables: Map<String, Value>,
    /// A mocked result or error for a Task, instead of calling its handler.
    pub mock: Option<MockResponse>,
}

impl TestStateRequest {
    pub fn new(state: impl Into<String>, input: Value) -> Self {
        TestStateRequest {
            state: state.into(),
            input,
            ..Default::default()
        }
    }

    pub fn variables(mut self, variables: Map<String, Value>) -> Self {
        self.variables = variables;
        self
    }

    /// The Task answers `result` (TestState's `mock.result`).
    pub fn mock_result(mut self, result: Value) -> Self {
        self.mock = Some(MockResponse::Return(result));
        self
    }

    /// The Task fails with `error` and `cause` (TestState's `mock.errorOutput`).
    pub fn mock_error(mut self, error: impl Into<String>, cause: impl Into<String>) -> Self {
        self.mock = Some(MockResponse::Throw {
            error: error.into(),
            cause: Some(cause.into()),
        });
        self
    }
}

/// How the state ended (TestState's `status`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TestStatus {
    Succeeded,
    Failed,
    /// A `Retry` would have retried the failure.
    Retriable,
    /// A `Catch` took the failure.
    CaughtError,
}

impl TestStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TestStatus::Succeeded => "SUCCEEDED",
            TestStatus::Failed => "FAILED",
            TestStatus::Retriable => "RETRIABLE",
            TestStatus::CaughtError => "CAUGHT_ERROR",
        }
    }
}

/// TestState's answer.
#[derive(Clone, Debug, PartialEq)]
pub struct TestStateResponse {
    pub status: TestStatus,
    pub output: Option<Value>,
    pub error: Option<String>,
    pub cause: Option<String>,
    pub next_state: Option<String>,
    /// `input`, `afterInputPath`, ... as the state produced them.
    pub inspection_data: Map<String, Value>,
}

impl TestStateResponse {
    /// The response as TestState's JSON (`output` as JSON text, as AWS gives it).
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        if let Some(o) = &self.output {
            m.insert("output".into(), Value::String(o.to_string()));
        }
        if let Some(e) = &self.error {
            m.insert("error".into(), Value::String(e.clone()));
        }
        if let Some(c) = &self.cause {
            m.insert("cause".into(), Value::String(c.clone()));
        }
        if let Some(n) = &self.next_state {
            m.insert("nextState".into(), Value::String(n.clone()));
        }
        m.insert("status".into(), Value::String(self.status.as_str().into()));
        // Each step's data as JSON text, as TestState gives it.
        let inspection: Map<String, Value> = self
            .inspection_data
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.to_string())))
            .collect();
        m.insert("inspectionData".into(), Value::Object(inspection));
        Value::Object(m)
    }
}

/// What a state run in test mode reports back to [`run`].
#[derive(Debug, Default)]
pub(crate) struct Probe {
    inspection: Mutex<Map<String, Value>>,
    next: Mutex<Option<usize>>,
    retriable: Mutex<Option<Error>>,
    caught: Mutex<Option<Error>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Probe {
    pub(crate) fn inspect(&self, key: &str, value: &Value) {
        lock(&self.inspection).insert(key.to_string(), value.clone());
    }

    pub(crate) fn stepped(&self, next: usize) {
        *lock(&self.next) = Some(next);
    }

    pub(crate) fn retriable(&self, error: &Error) {
        *lock(&self.retriable) = Some(error.clone());
    }

    pub(crate) fn caught(&self, error: &Error) {
        *lock(&self.caught) = Some(error.clone());
    }
}

/// Runs state `request.state` of `W` once. `Err` when `W` has no such
/// top-level state.
pub async fn run<W: Workflow>(
    runtime: &Runtime,
    request: TestStateRequest,
) -> Result<TestStateResponse, String> {
    let info = W::__INFO;
    let Some(index) = info.states.iter().position(|s| *s == request.state) else {
        return Err(format!(
            "`{}` is not a top-level state of {} (its states: {})",
            request.state,
            W::NAME,
            info.states.join(", ")
        ));
    };
    // A mocked answer is this runtime's mock config for that one state.
    let runtime = match &request.mock {
        Some(answer) => runtime.with_mocks(Mocks::single(&request.state, answer.clone())),
        None => runtime.clone(),
    };
    let probe = std::sync::Arc::new(Probe::default());
    let (execution, input) = crate::__private::Execution::start(
        &runtime,
        info,
        request.input.clone(),
        ExecutionOptions::default(),
    );
    let execution = execution.probed(probe.clone());
    let variables = crate::__private::Variables::root();
    if !request.variables.is_empty() {
        variables
            .assign(Value::Object(request.variables.clone()))
            .map_err(|e| format!("variables: {e}"))?;
    }
    probe.inspect("input", &input);
    let result = (W::__DRIVER)(&execution, &variables, Some(index), input).await;
    let mut inspection = std::mem::take(&mut *lock(&probe.inspection));
    let visible = variables.visible();
    if !visible.is_empty() {
        inspection.insert("variables".into(), Value::Object(visible));
    }
    let next_state = lock(&probe.next)
        .and_then(|i| info.states.get(i))
        .map(|s| s.to_string());
    let caught = lock(&probe.caught).take();
    let retriable = lock(&probe.retriable).take();
    // RETRIABLE and CAUGHT_ERROR are what the state's Retry and Catch made of
    // a failure; only a run that ended with an output goes on to a next state.
    let (status, output, error) = match (result, retriable, caught) {
        (Err(_), Some(error), _) => (TestStatus::Retriable, None, Some(error)),
        (Ok(output), _, Some(error)) => (TestStatus::CaughtError, Some(output), Some(error)),
        (Ok(output), _, None) => (TestStatus::Succeeded, Some(output), None),
        (Err(error), None, _) => (TestStatus::Failed, None, Some(error)),
    };
    Ok(TestStateResponse {
        status,
        next_state: next_state.filter(|_| output.is_some()),
        output,
        error: error.as_ref().map(|e| e.error.to_string()),
        cause: error.and_then(|e| e.cause),
        inspection_data: inspection,
    })
}
