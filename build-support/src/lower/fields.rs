//! Which fields each state type allows, and which belong to one query language.

use super::*;

pub(super) const COMMON: &[&str] = &[TYPE, COMMENT, QUERY_LANGUAGE];
pub(super) const TASK_FIELDS: &[&str] = &[
    RESOURCE,
    PARAMETERS,
    ARGUMENTS,
    CREDENTIALS,
    RESULT_SELECTOR,
    RETRY,
    CATCH,
    TIMEOUT_SECONDS,
    TIMEOUT_SECONDS_PATH,
    HEARTBEAT_SECONDS,
    HEARTBEAT_SECONDS_PATH,
    INPUT_PATH,
    OUTPUT_PATH,
    RESULT_PATH,
    OUTPUT,
    ASSIGN,
    NEXT,
    END,
];
pub(super) const PASS_FIELDS: &[&str] = &[
    INPUT_PATH,
    OUTPUT_PATH,
    RESULT_PATH,
    PARAMETERS,
    RESULT,
    OUTPUT,
    ASSIGN,
    NEXT,
    END,
];
pub(super) const CHOICE_FIELDS: &[&str] =
    &[CHOICES, DEFAULT, INPUT_PATH, OUTPUT_PATH, OUTPUT, ASSIGN];
pub(super) const WAIT_FIELDS: &[&str] = &[
    SECONDS,
    TIMESTAMP,
    SECONDS_PATH,
    TIMESTAMP_PATH,
    INPUT_PATH,
    OUTPUT_PATH,
    OUTPUT,
    ASSIGN,
    NEXT,
    END,
];
pub(super) const SUCCEED_FIELDS: &[&str] = &[INPUT_PATH, OUTPUT_PATH, OUTPUT];
pub(super) const FAIL_FIELDS: &[&str] = &[ERROR, ERROR_PATH, CAUSE, CAUSE_PATH];
pub(super) const PARALLEL_FIELDS: &[&str] = &[
    BRANCHES,
    INPUT_PATH,
    OUTPUT_PATH,
    RESULT_PATH,
    PARAMETERS,
    ARGUMENTS,
    RESULT_SELECTOR,
    RETRY,
    CATCH,
    OUTPUT,
    ASSIGN,
    NEXT,
    END,
];
pub(super) const MAP_FIELDS: &[&str] = &[
    ITEM_PROCESSOR,
    ITERATOR,
    ITEMS_PATH,
    ITEMS,
    ITEM_SELECTOR,
    PARAMETERS,
    ITEM_READER,
    ITEM_BATCHER,
    RESULT_WRITER,
    MAX_CONCURRENCY,
    MAX_CONCURRENCY_PATH,
    TOLERATED_FAILURE_PERCENTAGE,
    TOLERATED_FAILURE_PERCENTAGE_PATH,
    TOLERATED_FAILURE_COUNT,
    TOLERATED_FAILURE_COUNT_PATH,
    LABEL,
    INPUT_PATH,
    OUTPUT_PATH,
    RESULT_PATH,
    RESULT_SELECTOR,
    RETRY,
    CATCH,
    OUTPUT,
    ASSIGN,
    NEXT,
    END,
];

/// Fields that exist only in JSONPath states, with the JSONata replacement.
pub(super) const JSONPATH_ONLY: &[(&str, &str)] = &[
    (INPUT_PATH, "`Arguments` or `Output` with `$states.input`"),
    (OUTPUT_PATH, "`Output`"),
    (RESULT_PATH, "`Output` or `Assign`"),
    (PARAMETERS, "`Arguments` (or `ItemSelector` in a Map)"),
    (RESULT_SELECTOR, "`Output`"),
    (RESULT, "`Output`"),
    (ITEMS_PATH, "`Items`"),
    (ITERATOR, "`ItemProcessor`"),
    (
        TIMEOUT_SECONDS_PATH,
        "`TimeoutSeconds` with a JSONata expression",
    ),
    (
        HEARTBEAT_SECONDS_PATH,
        "`HeartbeatSeconds` with a JSONata expression",
    ),
    (SECONDS_PATH, "`Seconds` with a JSONata expression"),
    (TIMESTAMP_PATH, "`Timestamp` with a JSONata expression"),
    (ERROR_PATH, "`Error` with a JSONata expression"),
    (CAUSE_PATH, "`Cause` with a JSONata expression"),
    (
        MAX_CONCURRENCY_PATH,
        "`MaxConcurrency` with a JSONata expression",
    ),
    (
        TOLERATED_FAILURE_PERCENTAGE_PATH,
        "`ToleratedFailurePercentage` with a JSONata expression",
    ),
    (
        TOLERATED_FAILURE_COUNT_PATH,
        "`ToleratedFailureCount` with a JSONata expression",
    ),
    // In `ItemBatcher` and `ItemReader.ReaderConfig`.
    (
        "MaxItemsPerBatchPath",
        "`MaxItemsPerBatch` with a JSONata expression",
    ),
    (
        "MaxInputBytesPerBatchPath",
        "`MaxInputBytesPerBatch` with a JSONata expression",
    ),
    ("MaxItemsPath", "`MaxItems` with a JSONata expression"),
];
/// Fields that exist only in JSONata states.
pub(super) const JSONATA_ONLY: &[(&str, &str)] = &[
    (ARGUMENTS, "`Parameters`"),
    (OUTPUT, "`ResultSelector`/`OutputPath`"),
    (ITEMS, "`ItemsPath`"),
    (
        CONDITION,
        "a comparison such as `Variable` + `StringEquals`",
    ),
];
