//! Mocked Task states from an AWS Step Functions Local `MockConfigFile`, so a
//! team's existing file works unchanged
//! ([`RuntimeBuilder::mock_config`](crate::exec::RuntimeBuilder::mock_config)).
//!
//! The file (AWS's "Configuration file for mocked service integrations"):
//!
//! ```json
//! {
//!   "StateMachines": {
//!     "Orders": {"TestCases": {"RetryPath": {"Charge": "ChargeFailsTwice"}}}
//!   },
//!   "MockedResponses": {
//!     "ChargeFailsTwice": {
//!       "0-1": {"Throw": {"Error": "Lambda.TooManyRequestsException", "Cause": "slow down"}},
//!       "2": {"Return": {"StatusCode": 200, "Payload": {"ok": true}}}
//!     }
//!   }
//! }
//! ```
//!
//! A test case maps state names to mocked responses; a mocked response maps
//! invocation numbers (`"0"`, or a range `"1-2"`) to `Return` (the task's
//! result) or `Throw` (`Error`, `Cause`). Invocations of a state are counted
//! per execution, from 0: each retry, each loop back to the state and each Map
//! iteration is one more. Past the last number given, the last response
//! answers again. A mocked Task calls nothing; a state the test case does not
//! name runs its real handler.

use std::collections::HashMap;
use std::sync::Mutex;

use serde_json::Value;

use crate::error::Error;

/// One answer of a mocked state.
#[derive(Clone, Debug, PartialEq)]
pub enum MockResponse {
    Return(Value),
    Throw {
        error: String,
        cause: Option<String>,
    },
}

impl MockResponse {
    pub(crate) fn to_result(&self) -> Result<Value, Error> {
        match self {
            MockResponse::Return(v) => Ok(v.clone()),
            MockResponse::Throw { error, cause } => Err(Error {
                error: error.clone().into(),
                cause: cause.clone(),
            }),
        }
    }
}

/// The mocked states of one test case.
#[derive(Debug, Default)]
pub struct Mocks {
    /// State name -> (first invocation, last invocation, response), by first.
    states: HashMap<String, Vec<(u32, u32, MockResponse)>>,
    /// Invocations so far, per execution and state.
    counts: Mutex<HashMap<(String, String), u32>>,
    /// Whether Retry waits its delays after a mocked failure (default: yes,
    /// as Step Functions Local does).
    pub(crate) retry_delays: bool,
}

impl Mocks {
    /// Reads `test_case` of `state_machine` from a MockConfigFile's text.
    pub fn parse(text: &str, state_machine: &str, test_case: &str) -> Result<Mocks, String> {
        let doc: Value =
            serde_json::from_str(text).map_err(|e| format!("the mock config is not JSON: {e}"))?;
        let case = doc
            .pointer(&format!(
                "/StateMachines/{}/TestCases/{}",
                pointer_part(state_machine),
                pointer_part(test_case)
            ))
            .and_then(Value::as_object)
            .ok_or_else(|| {
                format!("the mock config has no test case `{test_case}` for state machine `{state_machine}` (StateMachines.{state_machine}.TestCases.{test_case})")
            })?;
        let responses = doc
            .get("MockedResponses")
            .and_then(Value::as_object)
            .ok_or("the mock config has no `MockedResponses` object")?;
        let mut states = HashMap::new();
        for (state, response_name) in case {
            let name = response_name.as_str().ok_or_else(|| {
                format!("test case `{test_case}`: state `{state}` must name a mocked response")
            })?;
            let response = responses
                .get(name)
                .and_then(Value::as_object)
                .ok_or_else(|| format!("state `{state}` names the mocked response `{name}`, which MockedResponses does not have"))?;
            let mut entries = Vec::new();
            for (key, answer) in response {
                let (first, last) = parse_range(key)
                    .ok_or_else(|| format!("mocked response `{name}`: `{key}` is not an invocation number or range such as \"0\" or \"1-2\""))?;
                entries.push((
                    first,
                    last,
                    parse_answer(answer)
                        .map_err(|e| format!("mocked response `{name}`, `{key}`: {e}"))?,
                ));
            }
            if entries.is_empty() {
                return Err(format!("mocked response `{name}` has no answer"));
            }
            entries.sort_by_key(|e| e.0);
            states.insert(state.clone(), entries);
        }
        Ok(Mocks {
            states,
            counts: Mutex::new(HashMap::new()),
            retry_delays: true,
        })
    }

    /// Reads a MockConfigFile.
    pub fn from_file(
        path: impl AsRef<std::path::Path>,
        state_machine: &str,
        test_case: &str,
    ) -> Result<Mocks, String> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        Mocks::parse(&text, state_machine, test_case)
            .map_err(|e| format!("{}: {e}", path.display()))
    }

    /// One state answering `answer` every time (TestState's mock).
    pub fn single(state: &str, answer: MockResponse) -> Mocks {
        Mocks {
            states: HashMap::from([(state.to_string(), vec![(0, 0, answer)])]),
            counts: Mutex::new(HashMap::new()),
            retry_delays: true,
        }
    }

    /// Is `state` mocked?
    pub fn mocks(&self, state: &str) -> bool {
        self.states.contains_key(state)
    }

    /// The next answer of `state` in `execution`, if the state is mocked.
    pub(crate) fn answer(&self, execution: &str, state: &str) -> Option<MockResponse> {
        let entries = self.states.get(state)?;
        let n = {
            let mut counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
            let n = counts
                .entry((execution.to_string(), state.to_string()))
                .or_insert(0);
            let this = *n;
            *n += 1;
            this
        };
        let chosen = entries
            .iter()
            .find(|(first, last, _)| (*first..=*last).contains(&n))
            .or_else(|| entries.iter().rfind(|(first, _, _)| *first <= n))
            .or(entries.last())?;
        Some(chosen.2.clone())
    }
}

fn pointer_part(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

/// `"3"` or `"1-2"`.
fn parse_range(key: &str) -> Option<(u32, u32)> {
    match key.split_once('-') {
        Some((a, b)) => {
            let (a, b) = (a.trim().parse().ok()?, b.trim().parse().ok()?);
            (a <= b).then_some((a, b))
        }
        None => {
            let n = key.trim().parse().ok()?;
            Some((n, n))
        }
    }
}

fn parse_answer(answer: &Value) -> Result<MockResponse, String> {
    let obj = answer
        .as_object()
        .ok_or("an answer is {\"Return\": ...} or {\"Throw\": ...}")?;
    match (obj.get("Return"), obj.get("Throw")) {
        (Some(v), None) => Ok(MockResponse::Return(v.clone())),
        (None, Some(t)) => {
            let error = t
                .get("Error")
                .and_then(Value::as_str)
                .ok_or("`Throw` needs an `Error` string")?;
            Ok(MockResponse::Throw {
                error: error.to_string(),
                cause: t.get("Cause").and_then(Value::as_str).map(str::to_string),
            })
        }
        _ => Err("an answer is exactly one of {\"Return\": ...} and {\"Throw\": ...}".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const FILE: &str = r#"{
      "StateMachines": {"Orders": {"TestCases": {
        "Retry": {"Charge": "FailsTwice", "Ship": "Shipped"},
        "Bad": {"Charge": "Missing"}
      }}},
      "MockedResponses": {
        "FailsTwice": {
          "0-1": {"Throw": {"Error": "Lambda.TooManyRequestsException", "Cause": "slow down"}},
          "2": {"Return": {"StatusCode": 200}}
        },
        "Shipped": {"0": {"Return": "ok"}}
      }
    }"#;

    #[test]
    fn answers_by_invocation_number_then_repeats_the_last() {
        let m = Mocks::parse(FILE, "Orders", "Retry").unwrap();
        let answers: Vec<MockResponse> =
            (0..4).map(|_| m.answer("e1", "Charge").unwrap()).collect();
        let throw = MockResponse::Throw {
            error: "Lambda.TooManyRequestsException".into(),
            cause: Some("slow down".into()),
        };
        assert_eq!(answers[0], throw);
        assert_eq!(answers[1], throw);
        assert_eq!(answers[2], MockResponse::Return(json!({"StatusCode": 200})));
        assert_eq!(answers[3], answers[2]);
        // Another execution counts from 0 again; unmocked states are None.
        assert_eq!(m.answer("e2", "Charge").unwrap(), throw);
        assert_eq!(m.answer("e1", "Pay"), None);
        assert!(m.mocks("Ship") && !m.mocks("Pay"));
    }

    #[test]
    fn a_bad_file_is_a_clear_error() {
        for (text, sm, case, says) in [
            ("{", "Orders", "Retry", "not JSON"),
            (FILE, "Orders", "Nope", "no test case `Nope`"),
            (FILE, "Other", "Retry", "for state machine `Other`"),
            (
                FILE,
                "Orders",
                "Bad",
                "`Missing`, which MockedResponses does not have",
            ),
            (
                r#"{"StateMachines": {"S": {"TestCases": {"T": {"A": "R"}}}}, "MockedResponses": {"R": {"x": {"Return": 1}}}}"#,
                "S",
                "T",
                "not an invocation number",
            ),
            (
                r#"{"StateMachines": {"S": {"TestCases": {"T": {"A": "R"}}}}, "MockedResponses": {"R": {"0": {"Throw": {}}}}}"#,
                "S",
                "T",
                "needs an `Error`",
            ),
        ] {
            let err = Mocks::parse(text, sm, case).unwrap_err();
            assert!(err.contains(says), "{err}");
        }
    }
}
