//! Field names of the language and its numeric limits, in one place (house style).
//!
//! The compiler's allowed-field tables and diagnostics are built from these names;
//! the runtime's limits ([`MAX_PAYLOAD_BYTES`]) come from here too.

/// The longest state name Step Functions accepts.
pub const MAX_STATE_NAME_CHARS: usize = 80;
/// The longest Map `Label` Step Functions accepts.
pub const MAX_LABEL_CHARS: usize = 40;
/// Upper bound of `IntervalSeconds`, `MaxAttempts` and many other integers.
pub const MAX_INTEGER_FIELD: u64 = 99_999_999;
/// Upper bound of `MaxDelaySeconds` (one year).
pub const MAX_DELAY_SECONDS: u64 = 31_622_400;

/// Field names, in one place (house style).
pub mod fields {
    pub const TYPE: &str = "Type";
    pub const COMMENT: &str = "Comment";
    pub const QUERY_LANGUAGE: &str = "QueryLanguage";
    pub const START_AT: &str = "StartAt";
    pub const STATES: &str = "States";
    pub const VERSION: &str = "Version";
    pub const TIMEOUT_SECONDS: &str = "TimeoutSeconds";
    pub const TIMEOUT_SECONDS_PATH: &str = "TimeoutSecondsPath";
    pub const HEARTBEAT_SECONDS: &str = "HeartbeatSeconds";
    pub const HEARTBEAT_SECONDS_PATH: &str = "HeartbeatSecondsPath";
    pub const NEXT: &str = "Next";
    pub const END: &str = "End";
    pub const RESOURCE: &str = "Resource";
    pub const INPUT_PATH: &str = "InputPath";
    pub const OUTPUT_PATH: &str = "OutputPath";
    pub const RESULT_PATH: &str = "ResultPath";
    pub const PARAMETERS: &str = "Parameters";
    pub const RESULT_SELECTOR: &str = "ResultSelector";
    pub const RESULT: &str = "Result";
    pub const ARGUMENTS: &str = "Arguments";
    pub const OUTPUT: &str = "Output";
    pub const ASSIGN: &str = "Assign";
    pub const CREDENTIALS: &str = "Credentials";
    pub const RETRY: &str = "Retry";
    pub const CATCH: &str = "Catch";
    pub const ERROR_EQUALS: &str = "ErrorEquals";
    pub const CHOICES: &str = "Choices";
    pub const DEFAULT: &str = "Default";
    pub const CONDITION: &str = "Condition";
    pub const VARIABLE: &str = "Variable";
    pub const SECONDS: &str = "Seconds";
    pub const SECONDS_PATH: &str = "SecondsPath";
    pub const TIMESTAMP: &str = "Timestamp";
    pub const TIMESTAMP_PATH: &str = "TimestampPath";
    pub const ERROR: &str = "Error";
    pub const ERROR_PATH: &str = "ErrorPath";
    pub const CAUSE: &str = "Cause";
    pub const CAUSE_PATH: &str = "CausePath";
    pub const BRANCHES: &str = "Branches";
    pub const ITEM_PROCESSOR: &str = "ItemProcessor";
    pub const ITERATOR: &str = "Iterator";
    pub const PROCESSOR_CONFIG: &str = "ProcessorConfig";
    pub const ITEMS_PATH: &str = "ItemsPath";
    pub const ITEMS: &str = "Items";
    pub const ITEM_SELECTOR: &str = "ItemSelector";
    pub const ITEM_READER: &str = "ItemReader";
    pub const ITEM_BATCHER: &str = "ItemBatcher";
    pub const RESULT_WRITER: &str = "ResultWriter";
    pub const MAX_CONCURRENCY: &str = "MaxConcurrency";
    pub const MAX_CONCURRENCY_PATH: &str = "MaxConcurrencyPath";
    pub const TOLERATED_FAILURE_PERCENTAGE: &str = "ToleratedFailurePercentage";
    pub const TOLERATED_FAILURE_PERCENTAGE_PATH: &str = "ToleratedFailurePercentagePath";
    pub const TOLERATED_FAILURE_COUNT: &str = "ToleratedFailureCount";
    pub const TOLERATED_FAILURE_COUNT_PATH: &str = "ToleratedFailureCountPath";
    pub const LABEL: &str = "Label";
}
/// The largest payload (state input, output, task result), in bytes of UTF-8 JSON:
/// 256 KiB, Step Functions' quota.
pub const MAX_PAYLOAD_BYTES: usize = 256 * 1024;

/// AWS's hard quota of events in a Standard execution's history: event number
/// 25,000 must be `ExecutionSucceeded`, or the execution fails with
/// `States.Runtime` ("bp-history-limit" in the developer guide).
pub const MAX_HISTORY_EVENTS: u64 = 25_000;

/// The deepest nesting of arrays and objects a payload may have: the depth
/// serde_json's parser accepts, so everything a workflow holds can be written as
/// JSON text and read back. Deeper data is refused where it enters (execution
/// input, task results) and where it is built (state results), so no recursion
/// over a value (clone, drop, serialization) can exhaust a thread's stack.
pub const MAX_DATA_DEPTH: usize = 128;

/// The eight state types, as written in `Type`.
pub const STATE_TYPES: [&str; 8] = [
    "Pass", "Task", "Choice", "Wait", "Succeed", "Fail", "Parallel", "Map",
];
