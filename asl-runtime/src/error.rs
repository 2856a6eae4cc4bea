//! The ASL error model: an error is a name (`States.Runtime`, `EKS.401`, ...) and a
//! cause, exactly what AWS reports as `error` and `cause` of a failed execution or
//! hands to a `Catch` as `{"Error": ..., "Cause": ...}`.

use std::borrow::Cow;
use std::fmt;

/// The predefined error names of the language.
pub mod names {
    pub const ALL: &str = "States.ALL";
    pub const TASK_FAILED: &str = "States.TaskFailed";
    pub const TIMEOUT: &str = "States.Timeout";
    pub const HEARTBEAT_TIMEOUT: &str = "States.HeartbeatTimeout";
    pub const RUNTIME: &str = "States.Runtime";
    pub const PERMISSIONS: &str = "States.Permissions";
    pub const RESULT_PATH_MATCH_FAILURE: &str = "States.ResultPathMatchFailure";
    pub const PARAMETER_PATH_FAILURE: &str = "States.ParameterPathFailure";
    pub const INTRINSIC_FAILURE: &str = "States.IntrinsicFailure";
    pub const BRANCH_FAILED: &str = "States.BranchFailed";
    pub const NO_CHOICE_MATCHED: &str = "States.NoChoiceMatched";
    pub const EXCEED_TOLERATED_FAILURE_THRESHOLD: &str = "States.ExceedToleratedFailureThreshold";
    pub const DATA_LIMIT_EXCEEDED: &str = "States.DataLimitExceeded";
    pub const QUERY_EVALUATION_ERROR: &str = "States.QueryEvaluationError";
    pub const ITEM_READER_FAILED: &str = "States.ItemReaderFailed";
    pub const RESULT_WRITER_FAILED: &str = "States.ResultWriterFailed";
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
    pub fn new(error: impl Into<Cow<'static, str>>, cause: impl Into<String>) -> Self {
        Error { error: error.into(), cause: Some(cause.into()) }
    }

    pub fn without_cause(error: impl Into<Cow<'static, str>>) -> Self {
        Error { error: error.into(), cause: None }
    }

    pub fn runtime(cause: impl Into<String>) -> Self {
        Self::new(names::RUNTIME, cause)
    }

    pub fn intrinsic(cause: impl Into<String>) -> Self {
        Self::new(names::INTRINSIC_FAILURE, cause)
    }

    pub fn name(&self) -> &str {
        &self.error
    }

    pub fn cause(&self) -> Option<&str> {
        self.cause.as_deref()
    }

    /// Terminal errors end the execution whatever `Retry`/`Catch` say.
    pub fn is_terminal(&self) -> bool {
        self.error == names::DATA_LIMIT_EXCEEDED
    }

    /// Does one `ErrorEquals` entry match this error?
    ///
    /// `States.ALL` matches every error but the terminal `States.DataLimitExceeded`
    /// and `States.Runtime`; `States.TaskFailed` matches every error but
    /// `States.Timeout` (and the same unmatchable pair). Any other entry matches by
    /// exact name.
    pub fn matches(&self, error_equals: &str) -> bool {
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

    /// The value a `Catch` hands on: `{"Error": ..., "Cause": ...}`.
    pub fn to_catch_output(&self) -> serde_json::Value {
        let mut map = serde_json::Map::with_capacity(2);
        map.insert("Error".into(), serde_json::Value::String(self.error.to_string()));
        if let Some(cause) = &self.cause {
            map.insert("Cause".into(), serde_json::Value::String(cause.clone()));
        }
        serde_json::Value::Object(map)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error").field("error", &self.error).field("cause", &self.cause).finish()
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

pub type Result<T, E = Error> = std::result::Result<T, E>;
