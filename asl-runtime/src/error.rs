//! The ASL error model: an error is a name (`States.Runtime`, `EKS.401`, ...) and a
//! cause, exactly what AWS reports as `error` and `cause` of a failed execution or
//! hands to a `Catch` as `{"Error": ..., "Cause": ...}`.

use std::borrow::Cow;
use std::fmt;

/// The predefined error names of the language (defined in `asl-lang`).
pub use asl_lang::errors as names;

/// Why the engine stopped driving an execution without it ending (see
/// [`Error::interruption`]): not a failure of the workflow, so no `Retry` or
/// `Catch` sees it and it is not recorded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Interruption {
    /// StopExecution, or a TestState run that ends at a retriable failure.
    Stopped,
    /// Parked at a long suspension (a Wait): the store holds it until due.
    Parked,
    /// This runtime no longer owns it (taken over, or the store refused or
    /// failed a write): another runtime continues it.
    Lost,
}

impl Interruption {
    const ALL: [Interruption; 3] = [
        Interruption::Stopped,
        Interruption::Parked,
        Interruption::Lost,
    ];

    /// The engine's own error name for it. It starts with a NUL character,
    /// which no error name of a real workflow has.
    const fn name(self) -> &'static str {
        match self {
            Interruption::Stopped => "\0asl.interrupted.stopped",
            Interruption::Parked => "\0asl.interrupted.parked",
            Interruption::Lost => "\0asl.interrupted.lost",
        }
    }
}

/// The engine's own name for "the history is full" (see
/// [`Error::history_limit`]): terminal, and never matched by any `Retry` or
/// `Catch`; the execution reports it as `States.Runtime`.
const HISTORY_FULL: &str = "\0asl.history-full";

/// `err`, then each of its sources, joined by `: `, each text once (client
/// libraries' messages often repeat their source's): how a transport failure
/// (TLS, DNS, a refused connection) is told whole in a cause or a message.
pub fn chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        let part = s.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = s.source();
    }
    text
}

/// A value as AWS prints it in causes: strings without quotes, anything else
/// as JSON text.
pub(crate) fn display_raw(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A failure inside a workflow: what a `Retry`/`Catch` matches on and what a failed
/// execution reports.
#[derive(Clone, PartialEq, Eq)]
pub struct Error {
    /// The error name, e.g. `States.Runtime` or `EKS.ResourceInUseException`.
    pub error: Cow<'static, str>,
    /// The human-readable cause; `None` when AWS would report none.
    pub cause: Option<String>,
}

impl Error {
    /// An error `error` with cause `cause`.
    pub fn new(error: impl Into<Cow<'static, str>>, cause: impl Into<String>) -> Self {
        Error {
            error: error.into(),
            cause: Some(cause.into()),
        }
    }

    /// An error without a cause (AWS reports none, e.g. a `Fail` state without `Cause`).
    pub fn without_cause(error: impl Into<Cow<'static, str>>) -> Self {
        Error {
            error: error.into(),
            cause: None,
        }
    }

    /// `States.Runtime` with `cause`.
    pub fn runtime(cause: impl Into<String>) -> Self {
        Self::new(names::RUNTIME, cause)
    }

    /// A `...Path` field whose value is not of the kind the field takes, in
    /// AWS's words: `The MaxConcurrencyPath field refers to value "x" which is
    /// not a valid integer: $.path` (the value as raw text in quotes).
    pub fn path_value(
        field: &str,
        value: Option<&serde_json::Value>,
        kind: &str,
        path: &str,
    ) -> Self {
        let raw = value.map_or_else(|| "null".to_string(), display_raw);
        Self::runtime(format!(
            "The {field} field refers to value \"{raw}\" which is not a valid {kind}: {path}"
        ))
    }

    /// The integer a `...Path` field's value stands for, read as Step
    /// Functions reads it: the value's text (a JSON number, or a string holding
    /// one, so a variable assigned `"2"` is 2) parsed as an integer; a
    /// fraction, an object or other text is [`Self::path_value`]'s error,
    /// `... which is not a valid integer: $.path`. Counts and sizes
    /// (`MaxConcurrencyPath`, `ToleratedFailureCountPath`, the ItemBatcher's
    /// limits) are integers, as AWS's causes name them.
    pub fn path_integer(
        field: &str,
        value: Option<&serde_json::Value>,
        path: &str,
    ) -> Result<i64, Self> {
        value
            .and_then(|v| display_raw(v).parse::<i64>().ok())
            .ok_or_else(|| Self::path_value(field, value, "integer", path))
    }

    /// [`Self::path_integer`] for a field that takes a float
    /// (`ToleratedFailurePercentagePath`): `... which is not a valid float:
    /// $.path` otherwise.
    pub fn path_float(
        field: &str,
        value: Option<&serde_json::Value>,
        path: &str,
    ) -> Result<f64, Self> {
        value
            .and_then(|v| {
                let text = display_raw(v);
                // Digits, a sign, a point and an exponent: not Rust's `inf`/`nan`.
                let numeric = text
                    .chars()
                    .all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | '.' | 'e' | 'E'));
                numeric.then(|| text.parse::<f64>().ok()).flatten()
            })
            .ok_or_else(|| Self::path_value(field, value, "float", path))
    }

    /// `States.IntrinsicFailure` with `cause`.
    pub fn intrinsic(cause: impl Into<String>) -> Self {
        Self::new(names::INTRINSIC_FAILURE, cause)
    }

    /// The error name.
    pub fn name(&self) -> &str {
        &self.error
    }

    /// The cause, if any.
    pub fn cause(&self) -> Option<&str> {
        self.cause.as_deref()
    }

    /// Terminal errors end the execution whatever `Retry`/`Catch` say.
    pub fn is_terminal(&self) -> bool {
        self.error == names::DATA_LIMIT_EXCEEDED
            || self.is_interruption()
            || self.error == HISTORY_FULL
    }

    /// The engine stopped driving the execution here, for `kind`'s reason:
    /// not a failure of the workflow, so no `Retry` or `Catch` sees it and it
    /// is not recorded.
    pub(crate) fn interrupted(kind: Interruption, why: impl Into<String>) -> Self {
        Self::new(kind.name(), why)
    }

    /// Parked at a long suspension until it is due.
    pub(crate) fn parked() -> Self {
        Self::interrupted(Interruption::Parked, "parked until what it waits on is due")
    }

    /// The execution's history reached its quota (25,000 events by default)
    /// with an event other than `ExecutionSucceeded`: the whole execution
    /// fails, whatever `Retry` and `Catch` say.
    pub(crate) fn history_limit() -> Self {
        Self::without_cause(HISTORY_FULL)
    }

    /// The error the execution reports for this one: AWS's own for a full
    /// history, itself otherwise.
    pub(crate) fn into_reported(self, history_limit: u64) -> Self {
        if self.error == HISTORY_FULL {
            Self::runtime(format!(
                "The execution reached the maximum number of history events ({history_limit})."
            ))
        } else {
            self
        }
    }

    /// Did the engine stop driving the execution here (stopped, parked in a
    /// long Wait, or taken over by another runtime) rather than the workflow fail?
    pub fn is_interruption(&self) -> bool {
        self.interruption().is_some()
    }

    /// Why the engine stopped driving the execution here, if it did.
    pub fn interruption(&self) -> Option<Interruption> {
        if !self.error.starts_with('\0') {
            return None;
        }
        Interruption::ALL
            .into_iter()
            .find(|kind| self.error == kind.name())
    }

    /// Does one `ErrorEquals` entry match this error?
    ///
    /// `States.ALL` matches every error but the terminal `States.DataLimitExceeded`
    /// and `States.Runtime`; `States.TaskFailed` matches every error but
    /// `States.Timeout` (and the same unmatchable pair). Any other entry matches by
    /// exact name.
    pub fn matches(&self, error_equals: &str) -> bool {
        if self.is_interruption() || self.error == HISTORY_FULL {
            return false;
        }
        let name: &str = &self.error;
        match error_equals {
            names::ALL => !self.is_terminal() && name != names::RUNTIME,
            names::TASK_FAILED => {
                name == names::TASK_FAILED
                    || (!self.is_terminal() && name != names::RUNTIME && name != names::TIMEOUT)
            }
            other => other == name,
        }
    }

    /// Does any entry of a `Retry`/`Catch` `ErrorEquals` list match this error?
    pub fn matches_any(&self, error_equals: &[&str]) -> bool {
        error_equals.iter().any(|e| self.matches(e))
    }

    /// Prefixes the cause the way AWS reports errors raised while a state processes
    /// its data: `An error occurred while executing the state 'pass' (entered at the
    /// event id #2). ` followed by the cause the data-flow functions give
    /// (`Invalid path '$.x' : No results for path: $['x']`, ...).
    ///
    /// Applies to `States.Runtime`, `States.IntrinsicFailure` and
    /// `States.QueryEvaluationError`; other errors (task errors, `Fail` states,
    /// `States.DataLimitExceeded`, `States.ResultPathMatchFailure`) keep their cause
    /// as it is. `entered_event_id` is the id of the state's `*StateEntered` history
    /// event.
    pub fn in_state(mut self, state_name: &str, entered_event_id: u64) -> Self {
        let prefixed = matches!(
            &*self.error,
            names::RUNTIME | names::INTRINSIC_FAILURE | names::QUERY_EVALUATION_ERROR
        );
        if prefixed {
            let cause = self.cause.take().unwrap_or_default();
            self.cause = Some(format!(
                "An error occurred while executing the state '{state_name}' (entered at the event id #{entered_event_id}). {cause}"
            ));
        }
        self
    }

    /// The value a `Catch` hands on: `{"Error": ..., "Cause": ...}`.
    pub fn to_catch_output(&self) -> serde_json::Value {
        let mut map = serde_json::Map::with_capacity(2);
        map.insert(
            "Error".into(),
            serde_json::Value::String(self.error.to_string()),
        );
        if let Some(cause) = &self.cause {
            map.insert("Cause".into(), serde_json::Value::String(cause.clone()));
        }
        serde_json::Value::Object(map)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("error", &self.error)
            .field("cause", &self.cause)
            .finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.cause {
            Some(cause) => write!(f, "{}: {}", self.error, cause),
            None => f.write_str(&self.error),
        }
    }
}

impl std::error::Error for Error {}

/// A result whose error is an ASL [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 27: a `...Path` field's number is read from the value's text, as
    /// an integer for counts and a float for percentages, and a value that is
    /// neither says which in AWS's words. Recorded on AWS (LocalStack's
    /// aws.validated snapshots): `The ToleratedFailureCountPath field refers to
    /// value "NoNumber" which is not a valid integer: $.ToleratedFailureCount`,
    /// the MaxConcurrencyPath one for `{}`; a variable holding `"1"` is a
    /// tolerated failure count and percentage of 1
    /// (MAP_STATE_REFERENCE_IN_TOLERATED_FAILURE_PATH).
    #[test]
    fn path_numbers_are_read_from_their_text() {
        use serde_json::json;
        let int = |v: serde_json::Value| Error::path_integer("MaxConcurrencyPath", Some(&v), "$.n");
        let float = |v: serde_json::Value| {
            Error::path_float("ToleratedFailurePercentagePath", Some(&v), "$.p")
        };
        assert_eq!(int(json!(3)), Ok(3));
        assert_eq!(int(json!("3")), Ok(3));
        assert_eq!(int(json!(-1)), Ok(-1));
        for bad in [json!(1.5), json!("1.5"), json!({}), json!(true), json!("x")] {
            let e = int(bad.clone()).unwrap_err();
            assert_eq!(e.name(), names::RUNTIME);
            assert_eq!(
                e.cause().unwrap(),
                format!(
                    "The MaxConcurrencyPath field refers to value \"{}\" which is not a valid integer: $.n",
                    display_raw(&bad)
                )
            );
        }
        assert_eq!(float(json!(1)), Ok(1.0));
        assert_eq!(float(json!("1.5")), Ok(1.5));
        assert_eq!(float(json!(-1.1)), Ok(-1.1));
        for bad in [
            json!("lots"),
            json!({}),
            json!("inf"),
            json!("NaN"),
            json!(null),
        ] {
            let e = float(bad.clone()).unwrap_err();
            assert_eq!(
                e.cause().unwrap(),
                format!(
                    "The ToleratedFailurePercentagePath field refers to value \"{}\" which is not a valid float: $.p",
                    display_raw(&bad)
                )
            );
        }
    }

    #[test]
    fn states_all_matches_everything_but_terminal_and_runtime() {
        assert!(Error::without_cause("Custom.Error").matches(names::ALL));
        assert!(Error::without_cause(names::TIMEOUT).matches(names::ALL));
        assert!(Error::without_cause(names::INTRINSIC_FAILURE).matches(names::ALL));
        assert!(!Error::without_cause(names::RUNTIME).matches(names::ALL));
        assert!(!Error::without_cause(names::DATA_LIMIT_EXCEEDED).matches(names::ALL));
        // A typo is an ordinary name, not a wildcard.
        assert!(!Error::without_cause("HandleItemFailError").matches("State.ALL"));
    }

    #[test]
    fn task_failed_matches_all_but_timeout() {
        assert!(Error::without_cause("Lambda.Unknown").matches(names::TASK_FAILED));
        assert!(Error::without_cause(names::TASK_FAILED).matches(names::TASK_FAILED));
        assert!(!Error::without_cause(names::TIMEOUT).matches(names::TASK_FAILED));
        assert!(!Error::without_cause(names::RUNTIME).matches(names::TASK_FAILED));
        assert!(Error::without_cause("X").matches_any(&["Y", "X"]));
        assert!(!Error::without_cause("X").matches_any(&["Y"]));
    }

    #[test]
    fn in_state_prefixes_runtime_causes_only() {
        let e =
            Error::runtime("Invalid path '$.a' : No results for path: $['a']").in_state("pass", 2);
        assert_eq!(
            e.cause(),
            Some(
                "An error occurred while executing the state 'pass' (entered at the event id #2). Invalid path '$.a' : No results for path: $['a']"
            )
        );
        let e = Error::new("SomeFailure", "c").in_state("pass", 2);
        assert_eq!(e.cause(), Some("c"));
    }

    #[test]
    fn catch_output_has_error_and_cause() {
        assert_eq!(
            Error::new("E", "C").to_catch_output(),
            serde_json::json!({"Error": "E", "Cause": "C"})
        );
        assert_eq!(
            Error::without_cause("E").to_catch_output(),
            serde_json::json!({"Error": "E"})
        );
    }
}
