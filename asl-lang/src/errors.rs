//! The predefined error names of the language: what `ErrorEquals` lists, what a
//! failed execution reports as `error`, and what the checker knows as reserved.

/// Wildcard in `ErrorEquals`: every error but `States.DataLimitExceeded` and
/// `States.Runtime`.
pub const ALL: &str = "States.ALL";
/// A Task failed; in `ErrorEquals`, every error but `States.Timeout` (and the
/// two `States.ALL` cannot match).
pub const TASK_FAILED: &str = "States.TaskFailed";
/// A Task ran longer than `TimeoutSeconds` or missed `HeartbeatSeconds`.
pub const TIMEOUT: &str = "States.Timeout";
/// A Task sent no heartbeat for longer than `HeartbeatSeconds`.
pub const HEARTBEAT_TIMEOUT: &str = "States.HeartbeatTimeout";
/// The state could not process its data (a path matched nothing, ...); never
/// caught by `States.ALL`.
pub const RUNTIME: &str = "States.Runtime";
/// A Task lacked the privileges to run.
pub const PERMISSIONS: &str = "States.Permissions";
/// `ResultPath` cannot be applied to the state's input.
pub const RESULT_PATH_MATCH_FAILURE: &str = "States.ResultPathMatchFailure";
/// A `.$` field of `Parameters` could not be resolved.
pub const PARAMETER_PATH_FAILURE: &str = "States.ParameterPathFailure";
/// Named by the language for a failing intrinsic; AWS itself reports bad
/// intrinsic arguments as `States.Runtime` (`Invalid arguments in States.X`).
pub const INTRINSIC_FAILURE: &str = "States.IntrinsicFailure";
/// A branch of a Parallel state failed.
pub const BRANCH_FAILED: &str = "States.BranchFailed";
/// No Choice rule matched and the state has no `Default`.
pub const NO_CHOICE_MATCHED: &str = "States.NoChoiceMatched";
/// A Map state had more failed items than it tolerates.
pub const EXCEED_TOLERATED_FAILURE_THRESHOLD: &str = "States.ExceedToleratedFailureThreshold";
/// A payload over the size limit; terminal, never caught by `States.ALL`.
pub const DATA_LIMIT_EXCEEDED: &str = "States.DataLimitExceeded";
/// A JSONata expression failed.
pub const QUERY_EVALUATION_ERROR: &str = "States.QueryEvaluationError";
/// A distributed Map's `ItemReader` failed.
pub const ITEM_READER_FAILED: &str = "States.ItemReaderFailed";
/// A distributed Map's `ResultWriter` failed.
pub const RESULT_WRITER_FAILED: &str = "States.ResultWriterFailed";
