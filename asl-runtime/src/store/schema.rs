//! What both backends share: the tables, the columns of an execution, how a row
//! becomes an [`ExecutionRecord`], and the execution API's rules (name reuse,
//! redrive), so SQLite and PostgreSQL cannot disagree on them. Statements are
//! written with PostgreSQL's `$n` placeholders; [`sqlite`] turns them into
//! SQLite's `?n`.

use serde_json::Value;
use time::{Duration, OffsetDateTime};

use super::*;

/// The schema version this code writes. A database of an older version is
/// migrated forward when a store opens it ([`MIGRATIONS`]); one of a newer
/// version is refused.
pub(crate) const SCHEMA_VERSION: i64 = 7;

/// The tables and indexes of [`SCHEMA_VERSION`], for both backends (types both
/// accept: `BIGINT`, `TEXT`, `BOOLEAN`), one statement each.
pub(crate) const TABLES: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS asl_executions (
    arn TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    workflow TEXT NOT NULL,
    definition_hash TEXT NOT NULL,
    status TEXT NOT NULL,
    input TEXT NOT NULL,
    output TEXT,
    error TEXT,
    cause TEXT,
    start_date BIGINT NOT NULL,
    stop_date BIGINT,
    redrive_count BIGINT NOT NULL,
    redrive_date BIGINT,
    state TEXT,
    state_input TEXT,
    variables TEXT,
    retries TEXT,
    entered_event_id BIGINT,
    next_event_id BIGINT NOT NULL,
    owner TEXT,
    lease_until BIGINT,
    wake_at BIGINT,
    cleanup BOOLEAN NOT NULL,
    epoch BIGINT NOT NULL DEFAULT 0,
    entered_time BIGINT,
    exec_id BIGINT,
    map_run_arn TEXT,
    map_run_index BIGINT,
    map_run_items BIGINT
)",
    EVENTS,
    MAP_RUNS,
    "CREATE TABLE IF NOT EXISTS asl_progress (
    arn TEXT NOT NULL,
    state TEXT NOT NULL,
    idx BIGINT NOT NULL,
    output TEXT NOT NULL,
    PRIMARY KEY (arn, state, idx)
)",
    SUSPENSIONS,
    ACTIVITIES,
    "CREATE TABLE IF NOT EXISTS asl_resources (
    arn TEXT NOT NULL,
    seq BIGINT NOT NULL,
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    deleted BOOLEAN NOT NULL,
    PRIMARY KEY (arn, seq)
)",
];

/// The histories: an execution's events under its `exec_id`, a small number
/// given in order of creation. Keyed by the ARN, the index held a long text
/// per event, and every group commit dirtied one index page per execution it
/// wrote (a page of WAL each on SQLite); by `exec_id`, the executions running
/// together share a few pages.
const EVENTS: &str = "CREATE TABLE IF NOT EXISTS asl_events (
    exec_id BIGINT NOT NULL,
    id BIGINT NOT NULL,
    timestamp BIGINT NOT NULL,
    type TEXT NOT NULL,
    state TEXT,
    details TEXT NOT NULL,
    previous_event_id BIGINT,
    PRIMARY KEY (exec_id, id)
)";

/// What executions wait on (see [`Suspension`]): at most one row per waiting
/// point (`id`), closed by the first outcome. An activity task names its
/// activity, and the worker that took it (GetActivityTask) and when.
const SUSPENSIONS: &str = "CREATE TABLE IF NOT EXISTS asl_suspensions (
    arn TEXT NOT NULL,
    id TEXT NOT NULL,
    kind TEXT NOT NULL,
    token TEXT,
    deadline BIGINT,
    heartbeat_seconds BIGINT,
    heartbeat_deadline BIGINT,
    details TEXT NOT NULL,
    created BIGINT NOT NULL,
    outcome TEXT,
    closed BIGINT,
    activity TEXT,
    worker TEXT,
    started BIGINT,
    PRIMARY KEY (arn, id)
)";

/// The suspensions table as version 3 made it (what migration 2 -> 3 creates).
const SUSPENSIONS_V3: &str = "CREATE TABLE IF NOT EXISTS asl_suspensions (
    arn TEXT NOT NULL,
    id TEXT NOT NULL,
    kind TEXT NOT NULL,
    token TEXT,
    deadline BIGINT,
    heartbeat_seconds BIGINT,
    heartbeat_deadline BIGINT,
    details TEXT NOT NULL,
    created BIGINT NOT NULL,
    outcome TEXT,
    closed BIGINT,
    PRIMARY KEY (arn, id)
)";

/// The Map Runs of distributed Maps (DescribeMapRun): their settings, which
/// UpdateMapRun changes while they run, and their totals (from the start when
/// the items are given whole, else those read so far, written as the run
/// goes). A STANDARD Map Run's children are executions (`map_run_arn`,
/// `map_run_index`: the child's place in the run, `map_run_items`: the items
/// it processes); an EXPRESS one (`express`) keeps its children's and items'
/// counts by status in `counts` (`[[children], [items]]`, each as
/// [`MapRunCounts::to_json`]).
const MAP_RUNS: &str = "CREATE TABLE IF NOT EXISTS asl_map_runs (
    arn TEXT PRIMARY KEY,
    execution_arn TEXT NOT NULL,
    status TEXT NOT NULL,
    max_concurrency BIGINT NOT NULL,
    tolerated_failure_count BIGINT NOT NULL,
    tolerated_failure_percentage TEXT NOT NULL,
    start_date BIGINT NOT NULL,
    stop_date BIGINT,
    redrive_count BIGINT NOT NULL,
    redrive_date BIGINT,
    total_items BIGINT,
    total_children BIGINT,
    result_writer BOOLEAN NOT NULL,
    express BOOLEAN NOT NULL DEFAULT FALSE,
    counts TEXT
)";

/// The Map Runs table as version 6 made it (what migration 6 -> 7 changes; a
/// database of an older version gets it there first).
const MAP_RUNS_V6: &str = "CREATE TABLE IF NOT EXISTS asl_map_runs (
    arn TEXT PRIMARY KEY,
    execution_arn TEXT NOT NULL,
    status TEXT NOT NULL,
    max_concurrency BIGINT NOT NULL,
    tolerated_failure_count BIGINT NOT NULL,
    tolerated_failure_percentage TEXT NOT NULL,
    start_date BIGINT NOT NULL,
    stop_date BIGINT,
    redrive_count BIGINT NOT NULL,
    redrive_date BIGINT,
    total_items BIGINT,
    total_children BIGINT,
    result_writer BOOLEAN NOT NULL
)";

/// The activities (CreateActivity): workers take their tasks with
/// GetActivityTask.
const ACTIVITIES: &str = "CREATE TABLE IF NOT EXISTS asl_activities (
    arn TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    created BIGINT NOT NULL
)";

/// The indexes of every query the engine and the API run: claims and the
/// next due wakeup (running executions of a workflow, by due time), listing
/// (by workflow, status and start date), retention (by stop date), deliveries
/// (a suspension by its token).
pub(crate) const INDEXES: &[&str] = &[
    "CREATE INDEX IF NOT EXISTS asl_executions_claimable ON asl_executions (workflow, wake_at) \
     WHERE status = 'RUNNING'",
    "CREATE INDEX IF NOT EXISTS asl_executions_listed ON asl_executions (workflow, status, start_date)",
    "CREATE INDEX IF NOT EXISTS asl_executions_started ON asl_executions (start_date)",
    "CREATE INDEX IF NOT EXISTS asl_executions_stopped ON asl_executions (stop_date) \
     WHERE stop_date IS NOT NULL",
    "CREATE UNIQUE INDEX IF NOT EXISTS asl_suspensions_token ON asl_suspensions (token) \
     WHERE token IS NOT NULL",
    "CREATE UNIQUE INDEX IF NOT EXISTS asl_executions_exec_id ON asl_executions (exec_id)",
    "CREATE INDEX IF NOT EXISTS asl_suspensions_waiting ON asl_suspensions (activity, created) \
     WHERE activity IS NOT NULL AND worker IS NULL AND outcome IS NULL",
    "CREATE INDEX IF NOT EXISTS asl_executions_map_run ON asl_executions \
     (map_run_arn, map_run_index) WHERE map_run_arn IS NOT NULL",
    "CREATE INDEX IF NOT EXISTS asl_map_runs_execution ON asl_map_runs (execution_arn, start_date)",
];

/// Forward migrations: `MIGRATIONS[v - 1]` takes a database of version `v` to
/// `v + 1`. Version 1 (no `asl_schema` table) had no fencing epoch and one
/// index on (status, workflow); version 2 kept a top-level Wait's due time in
/// the execution (`wait_until`), where version 3 has a suspension, and did not
/// keep when the current state was entered; version 3 keyed events by ARN
/// (version 4: by `exec_id`, numbered in order of start); version 4 had no
/// activities; version 5 no Map Runs (its children were not executions);
/// version 6 recorded no EXPRESS Map Run.
pub(crate) const MIGRATIONS: &[&[&str]] = &[
    &[
        "ALTER TABLE asl_executions ADD COLUMN epoch BIGINT NOT NULL DEFAULT 0",
        "DROP INDEX IF EXISTS asl_executions_by_status",
    ],
    &[
        SUSPENSIONS_V3,
        "INSERT INTO asl_suspensions (arn, id, kind, deadline, details, created) \
         SELECT arn, state || '@' || CAST(entered_event_id AS TEXT), 'WAIT', wait_until, 'null', \
         start_date FROM asl_executions \
         WHERE status = 'RUNNING' AND wait_until IS NOT NULL AND entered_event_id IS NOT NULL",
        "ALTER TABLE asl_executions DROP COLUMN wait_until",
        "ALTER TABLE asl_executions ADD COLUMN entered_time BIGINT",
        "ALTER TABLE asl_events ADD COLUMN previous_event_id BIGINT",
    ],
    &[
        "ALTER TABLE asl_executions ADD COLUMN exec_id BIGINT",
        "UPDATE asl_executions SET exec_id = r.n FROM (SELECT arn, \
         ROW_NUMBER() OVER (ORDER BY start_date, arn) AS n FROM asl_executions) AS r \
         WHERE asl_executions.arn = r.arn",
        "CREATE TABLE asl_events_v4 (exec_id BIGINT NOT NULL, id BIGINT NOT NULL, \
         timestamp BIGINT NOT NULL, type TEXT NOT NULL, state TEXT, details TEXT NOT NULL, \
         previous_event_id BIGINT, PRIMARY KEY (exec_id, id))",
        "INSERT INTO asl_events_v4 SELECT e.exec_id, v.id, v.timestamp, v.type, v.state, \
         v.details, v.previous_event_id FROM asl_events v JOIN asl_executions e ON e.arn = v.arn",
        "DROP TABLE asl_events",
        "ALTER TABLE asl_events_v4 RENAME TO asl_events",
    ],
    &[
        "ALTER TABLE asl_suspensions ADD COLUMN activity TEXT",
        "ALTER TABLE asl_suspensions ADD COLUMN worker TEXT",
        "ALTER TABLE asl_suspensions ADD COLUMN started BIGINT",
    ],
    &[
        "ALTER TABLE asl_executions ADD COLUMN map_run_arn TEXT",
        "ALTER TABLE asl_executions ADD COLUMN map_run_index BIGINT",
        "ALTER TABLE asl_executions ADD COLUMN map_run_items BIGINT",
    ],
    &[
        MAP_RUNS_V6,
        "ALTER TABLE asl_map_runs ADD COLUMN express BOOLEAN NOT NULL DEFAULT FALSE",
        "ALTER TABLE asl_map_runs ADD COLUMN counts TEXT",
    ],
];

pub(crate) const SCHEMA_TABLE: &str =
    "CREATE TABLE IF NOT EXISTS asl_schema (version BIGINT NOT NULL)";
pub(crate) const SCHEMA_READ: &str = "SELECT version FROM asl_schema";
pub(crate) const SCHEMA_CLEAR: &str = "DELETE FROM asl_schema";
pub(crate) const SCHEMA_SET: &str = "INSERT INTO asl_schema (version) VALUES ($1)";

/// The columns [`decode`] reads, in its order.
pub(crate) const COLUMNS: &str = "arn, name, workflow, definition_hash, status, input, output, \
    error, cause, start_date, stop_date, redrive_count, redrive_date, state, state_input, \
    variables, retries, entered_event_id, next_event_id, owner, lease_until, wake_at, cleanup, \
    epoch, entered_time";

/// `$15`: the lease in milliseconds, counted from the database's clock
/// (`{now}`); `{exec_id}`: the next execution number ([`Dialect::next_exec_id`]).
pub(crate) const INSERT: &str = "INSERT INTO asl_executions (arn, name, workflow, \
    definition_hash, status, input, start_date, redrive_count, state, state_input, variables, \
    retries, next_event_id, owner, lease_until, cleanup, epoch, exec_id) \
    VALUES ($1, $2, $3, $4, 'RUNNING', $5, $6, 0, $7, $8, $9, $10, $11, $12, {now} + $13, $14, 1, \
    {exec_id}) ON CONFLICT (arn) DO NOTHING RETURNING exec_id";

/// One event of the execution numbered `$1` (its `exec_id`, which the
/// write's fence returned).
pub(crate) const INSERT_EVENT: &str = "INSERT INTO asl_events (exec_id, id, timestamp, type, \
    state, details, previous_event_id) VALUES ($1, $2, $3, $4, $5, $6, $7)";

/// [`INSERT_EVENT`] without its rows: a tuple per event follows.
pub(crate) const INSERT_EVENT_ROWS: &str = "INSERT INTO asl_events (exec_id, id, timestamp, \
    type, state, details, previous_event_id) VALUES";

/// The fence every write of the engine passes first: one statement that
/// checks owner, epoch and RUNNING and (on PostgreSQL) locks the row until the
/// write commits, so no stop or claim slips in between.
pub(crate) const FENCE: &str = "UPDATE asl_executions SET next_event_id = $4 \
    WHERE arn = $1 AND owner = $2 AND epoch = $3 AND status = 'RUNNING' RETURNING exec_id";

/// [`FENCE`] that also moves the position: a transition is one UPDATE of the
/// execution's row, not two.
pub(crate) const FENCE_AT: &str = "UPDATE asl_executions SET next_event_id = $4, state = $5, \
    state_input = $6, variables = $7, retries = $8, entered_event_id = $9, entered_time = $10 \
    WHERE arn = $1 AND owner = $2 AND epoch = $3 AND status = 'RUNNING' RETURNING exec_id";

/// [`FENCE_AT`] for many executions in one statement (PostgreSQL, arrays in
/// the order of `v`'s columns; `moved` false keeps a row's position): the
/// rows it returns are the writes that passed their fence.
#[cfg_attr(not(feature = "postgres"), allow(dead_code))]
pub(crate) const FENCE_MANY: &str = "UPDATE asl_executions AS e SET \
    next_event_id = v.next_event_id, \
    state = CASE WHEN v.moved THEN v.state ELSE e.state END, \
    state_input = CASE WHEN v.moved THEN v.state_input ELSE e.state_input END, \
    variables = CASE WHEN v.moved THEN v.variables ELSE e.variables END, \
    retries = CASE WHEN v.moved THEN v.retries ELSE e.retries END, \
    entered_event_id = CASE WHEN v.moved THEN v.entered_event_id ELSE e.entered_event_id END, \
    entered_time = CASE WHEN v.moved THEN v.entered_time ELSE e.entered_time END \
    FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::boolean[], $6::text[], \
    $7::text[], $8::text[], $9::text[], $10::bigint[], $11::bigint[]) \
    AS v(arn, owner, epoch, next_event_id, moved, state, state_input, variables, retries, \
    entered_event_id, entered_time) \
    WHERE e.arn = v.arn AND e.owner = v.owner AND e.epoch = v.epoch AND e.status = 'RUNNING' \
    RETURNING e.arn, e.exec_id";

/// Many events, of one execution or several, in one statement (PostgreSQL,
/// one array per column of [`INSERT_EVENT`]).
pub(crate) const INSERT_EVENTS_MANY: &str = "INSERT INTO asl_events (exec_id, id, timestamp, \
    type, state, details, previous_event_id) SELECT * FROM unnest($1::bigint[], $2::bigint[], \
    $3::bigint[], $4::text[], $5::text[], $6::text[], $7::bigint[])";

/// A write after the end (cleanup): the execution only has to exist.
pub(crate) const UNFENCED: &str =
    "UPDATE asl_executions SET next_event_id = $2 WHERE arn = $1 RETURNING exec_id";

pub(crate) const SET_POSITION: &str = "UPDATE asl_executions SET state = $2, state_input = $3, \
    variables = $4, retries = $5, entered_event_id = $6, entered_time = $7 WHERE arn = $1";

pub(crate) const SET_END: &str = "UPDATE asl_executions SET status = $2, output = $3, error = $4, \
    cause = $5, stop_date = $6, owner = NULL, lease_until = NULL, wake_at = NULL WHERE arn = $1";

/// Releases the execution until `$2`, or until `{now}` when the suspension
/// `$3` it waits on has its outcome already (delivered while it was held).
pub(crate) const PARK: &str = "UPDATE asl_executions SET owner = NULL, lease_until = NULL, \
    wake_at = CASE WHEN EXISTS (SELECT 1 FROM asl_suspensions \
    WHERE arn = $1 AND id = $3 AND outcome IS NOT NULL) THEN {now} ELSE $2 END WHERE arn = $1";

/// The columns [`decode_suspension`] reads, in its order.
pub(crate) const SUSPENSION_COLUMNS: &str = "arn, id, kind, token, deadline, heartbeat_seconds, \
    heartbeat_deadline, details, created, outcome, closed, activity, worker, started";

pub(crate) const INSERT_SUSPENSION: &str = "INSERT INTO asl_suspensions (arn, id, kind, token, \
    deadline, heartbeat_seconds, heartbeat_deadline, details, created, activity) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (arn, id) DO NOTHING";

/// Sets the details of the suspension `$2` of `$1`.
pub(crate) const ANNOTATE_SUSPENSION: &str =
    "UPDATE asl_suspensions SET details = $3 WHERE arn = $1 AND id = $2";

/// The oldest task of activity `$1` no worker has taken, of a running execution.
pub(crate) const WAITING_ACTIVITY_TASK: &str = "SELECT s.arn, s.id FROM asl_suspensions s \
    JOIN asl_executions e ON e.arn = s.arn \
    WHERE s.activity = $1 AND s.worker IS NULL AND s.outcome IS NULL AND e.status = 'RUNNING' \
    ORDER BY s.created, s.arn, s.id LIMIT 1";

/// Worker `$3` takes activity task `$2` of `$1` at `$4` (its heartbeat clock
/// starts then, `$5`), unless another took it first.
pub(crate) const TAKE_ACTIVITY_TASK: &str = "UPDATE asl_suspensions SET worker = $3, started = $4, \
    heartbeat_deadline = $5 WHERE arn = $1 AND id = $2 AND worker IS NULL AND outcome IS NULL";

pub(crate) const INSERT_ACTIVITY: &str = "INSERT INTO asl_activities (arn, name, created) VALUES ($1, $2, $3) ON CONFLICT (arn) DO NOTHING";
pub(crate) const ACTIVITY: &str = "SELECT arn, name, created FROM asl_activities WHERE arn = $1";
pub(crate) const DELETE_ACTIVITY: &str = "DELETE FROM asl_activities WHERE arn = $1";
/// A page of activities by ARN after `$1` (`''`: from the first), `$2` at most.
pub(crate) const LIST_ACTIVITIES: &str =
    "SELECT arn, name, created FROM asl_activities WHERE arn > $1 ORDER BY arn LIMIT $2";

/// Closes a suspension with outcome `$3` at `$4`, unless it has one.
pub(crate) const CLOSE_SUSPENSION: &str = "UPDATE asl_suspensions SET outcome = $3, closed = $4 \
    WHERE arn = $1 AND id = $2 AND outcome IS NULL";

pub(crate) const HEARTBEAT: &str = "UPDATE asl_suspensions SET heartbeat_deadline = $3 \
    WHERE arn = $1 AND id = $2 AND outcome IS NULL";

/// A delivery makes its execution due: now when it is parked (unowned); its
/// owner, when held, is woken by the notification. Locks the row either way,
/// so a park of the owner cannot miss the outcome. No row: not RUNNING.
pub(crate) const MAKE_DUE: &str = "UPDATE asl_executions \
    SET wake_at = CASE WHEN owner IS NULL THEN {now} ELSE wake_at END \
    WHERE arn = $1 AND status = 'RUNNING'";

/// PostgreSQL: tells every listening process (at commit) that `$1` has news.
pub(crate) const NOTIFY: &str = "SELECT pg_notify('asl_wake', $1)";

/// The channel [`NOTIFY`] sends on.
#[cfg_attr(not(feature = "postgres"), allow(dead_code))]
pub(crate) const WAKE_CHANNEL: &str = "asl_wake";

pub(crate) const INSERT_PROGRESS: &str = "INSERT INTO asl_progress (arn, state, idx, output) \
    VALUES ($1, $2, $3, $4) ON CONFLICT (arn, state, idx) DO UPDATE SET output = excluded.output";

pub(crate) const CLEAR_PROGRESS: &str = "DELETE FROM asl_progress WHERE arn = $1";

pub(crate) const MARK_DELETED: &str =
    "UPDATE asl_resources SET deleted = TRUE WHERE arn = $1 AND seq = $2";

pub(crate) const NEXT_RESOURCE: &str =
    "SELECT COALESCE(MAX(seq), 0) + 1 FROM asl_resources WHERE arn = $1";

pub(crate) const INSERT_RESOURCE: &str =
    "INSERT INTO asl_resources (arn, seq, kind, id, deleted) VALUES ($1, $2, $3, $4, FALSE)";

/// Takes one execution for `$2` for `$3` ms of the database's clock (`{now}`),
/// fencing out the previous owner.
pub(crate) const CLAIM: &str = "UPDATE asl_executions SET owner = $2, lease_until = {now} + $3, \
    wake_at = NULL, epoch = epoch + 1 WHERE arn = $1 RETURNING epoch, lease_until";

pub(crate) const RENEW: &str = "UPDATE asl_executions SET lease_until = {now} + $4 \
    WHERE arn = $1 AND owner = $2 AND epoch = $3 AND status = 'RUNNING'";

/// The history of the execution `$1` (its events under its `exec_id`).
pub(crate) const HISTORY: &str = "SELECT id, timestamp, type, state, details, previous_event_id \
    FROM asl_events WHERE exec_id = (SELECT exec_id FROM asl_executions WHERE arn = $1) \
    ORDER BY id";

pub(crate) const PROGRESS: &str =
    "SELECT state, idx, output FROM asl_progress WHERE arn = $1 ORDER BY state, idx";

pub(crate) const CREATED: &str =
    "SELECT seq, kind, id, deleted FROM asl_resources WHERE arn = $1 ORDER BY seq";

pub(crate) const STOP: &str = "UPDATE asl_executions SET status = 'ABORTED', error = $2, \
    cause = $3, stop_date = $4, wake_at = NULL, next_event_id = $5 \
    WHERE arn = $1 AND status = 'RUNNING' RETURNING exec_id";

pub(crate) const REDRIVE: &str = "UPDATE asl_executions SET status = 'RUNNING', output = NULL, \
    error = NULL, cause = NULL, stop_date = NULL, redrive_count = redrive_count + 1, \
    redrive_date = $2, owner = NULL, lease_until = NULL, wake_at = NULL, retries = '[]', \
    entered_event_id = NULL, entered_time = NULL, next_event_id = $3 WHERE arn = $1 \
    RETURNING exec_id";

pub(crate) const FORGET: [&str; 6] = [
    "DELETE FROM asl_map_runs WHERE execution_arn = $1",
    "DELETE FROM asl_events WHERE exec_id = (SELECT exec_id FROM asl_executions WHERE arn = $1)",
    "DELETE FROM asl_suspensions WHERE arn = $1",
    "DELETE FROM asl_progress WHERE arn = $1",
    "DELETE FROM asl_resources WHERE arn = $1",
    "DELETE FROM asl_executions WHERE arn = $1",
];

/// Retention: the executions that stopped before `$1`, at most `$2` a time.
pub(crate) const EXPIRED: &str = "SELECT arn FROM asl_executions \
    WHERE stop_date IS NOT NULL AND stop_date < $1 AND status <> 'RUNNING' LIMIT $2";

/// `SELECT <columns> FROM asl_executions WHERE <filter>`.
pub(crate) fn select(filter: &str) -> String {
    format!("SELECT {COLUMNS} FROM asl_executions WHERE {filter}")
}

/// The statement that lists the executions claimable by `$1` at the
/// database's time `now`, at most `$2`, of the workflows `$3...`.
pub(crate) fn claimable(workflows: usize, now: &str, suffix: &str) -> String {
    let list = (0..workflows)
        .map(|i| format!("${}", i + 3))
        .collect::<Vec<_>>()
        .join(", ");
    let list = if list.is_empty() {
        "NULL".to_string()
    } else {
        list
    };
    format!(
        "SELECT {COLUMNS} FROM asl_executions WHERE status = 'RUNNING' AND workflow IN ({list}) \
         AND (owner IS NULL OR owner = $1 OR lease_until < {now}) \
         AND (wake_at IS NULL OR wake_at <= {now}) \
         ORDER BY COALESCE(wake_at, start_date) LIMIT $2 {suffix}"
    )
}

/// The earliest due time of a parked execution of the workflows `$1...`.
pub(crate) fn next_due(workflows: usize) -> String {
    let list = (0..workflows)
        .map(|i| format!("${}", i + 1))
        .collect::<Vec<_>>()
        .join(", ");
    let list = if list.is_empty() { "NULL".into() } else { list };
    format!(
        "SELECT MIN(wake_at) FROM asl_executions WHERE status = 'RUNNING' \
         AND workflow IN ({list}) AND wake_at IS NOT NULL"
    )
}

/// `SELECT <suspension columns> FROM asl_suspensions WHERE <filter>`.
pub(crate) fn select_suspension(filter: &str) -> String {
    format!("SELECT {SUSPENSION_COLUMNS} FROM asl_suspensions WHERE {filter}")
}

/// ListExecutions' statement for `filter` (parameters: workflow, then status,
/// as present; then with `after`, the start date and ARN the previous page
/// ended at; with `limit`, at most that many rows).
pub(crate) fn list(filter: &ListFilter, after: bool, limit: Option<usize>) -> String {
    let mut conditions = vec!["TRUE".to_string()];
    let mut n = 0;
    if filter.workflow.is_some() {
        n += 1;
        conditions.push(format!("workflow = ${n}"));
    }
    if filter.status.is_some() {
        n += 1;
        conditions.push(format!("status = ${n}"));
    }
    if after {
        conditions.push(after_page(n));
    }
    let limit = limit.map(|l| format!(" LIMIT {l}")).unwrap_or_default();
    format!(
        "{} ORDER BY start_date DESC, arn{limit}",
        select(&conditions.join(" AND "))
    )
}

/// Rows after the start date `$n+1` and ARN `$n+2` a previous page (newest
/// first) ended at.
fn after_page(n: usize) -> String {
    format!(
        "(start_date < ${} OR (start_date = ${} AND arn > ${}))",
        n + 1,
        n + 1,
        n + 2
    )
}

/// One page of a history: events after (or, reversed, before) `$2`, at most `$3`.
pub(crate) const HISTORY_PAGE: &str = "SELECT id, timestamp, type, state, details, \
    previous_event_id FROM asl_events \
    WHERE exec_id = (SELECT exec_id FROM asl_executions WHERE arn = $1) \
    AND id > $2 ORDER BY id LIMIT $3";
pub(crate) const HISTORY_PAGE_REVERSED: &str = "SELECT id, timestamp, type, state, details, \
    previous_event_id FROM asl_events \
    WHERE exec_id = (SELECT exec_id FROM asl_executions WHERE arn = $1) \
    AND id < $2 ORDER BY id DESC LIMIT $3";

/// A `nextToken`: what a page ended at, tagged with the listing it belongs
/// to, hex-encoded (opaque to clients, as AWS's are).
pub(crate) fn token(kind: &str, key: &str) -> String {
    format!("{kind}:{key}")
        .bytes()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The key of a `nextToken` of listing `kind`; `InvalidToken` otherwise.
pub(crate) fn untoken(kind: &str, token: &str) -> Result<String, StoreError> {
    let invalid = || StoreError::InvalidToken(format!("Invalid Token: '{token}'"));
    if !token.len().is_multiple_of(2) {
        return Err(invalid());
    }
    let bytes = (0..token.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(token.get(i..i + 2).unwrap_or("zz"), 16))
        .collect::<Result<Vec<u8>, _>>()
        .map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    text.strip_prefix(kind)
        .and_then(|rest| rest.strip_prefix(':'))
        .map(str::to_string)
        .ok_or_else(invalid)
}

/// Read access to a row, whichever the backend.
pub(crate) trait Row {
    fn text(&self, i: usize) -> Result<Option<String>, StoreError>;
    fn int(&self, i: usize) -> Result<Option<i64>, StoreError>;
    fn boolean(&self, i: usize) -> Result<bool, StoreError>;
}

fn required<T>(value: Option<T>, column: &str) -> Result<T, StoreError> {
    value.ok_or_else(|| StoreError::Backend(format!("column {column} is NULL")))
}

pub(crate) fn json(text: Option<String>, column: &str) -> Result<Option<Value>, StoreError> {
    text.map(|t| {
        serde_json::from_str(&t)
            .map_err(|e| StoreError::Backend(format!("column {column} is not JSON: {e}")))
    })
    .transpose()
}

/// An [`ExecutionRecord`] from a row of [`COLUMNS`].
pub(crate) fn decode(row: &impl Row) -> Result<ExecutionRecord, StoreError> {
    let status_text = required(row.text(4)?, "status")?;
    let status = ExecutionStatus::parse(&status_text)
        .ok_or_else(|| StoreError::Backend(format!("unknown status {status_text}")))?;
    let position = match row.text(13)? {
        None => None,
        Some(state) => Some(Position {
            state,
            input: json(row.text(14)?, "state_input")?.unwrap_or(Value::Null),
            variables: json(row.text(15)?, "variables")?
                .unwrap_or_else(|| Value::Object(Default::default())),
            retries: json(row.text(16)?, "retries")?
                .and_then(|v| serde_json::from_value(v).ok())
                .unwrap_or_default(),
            entered_event_id: row.int(17)?.map(|n| n as u64),
            entered_time: row.int(24)?.map(from_millis),
        }),
    };
    Ok(ExecutionRecord {
        arn: required(row.text(0)?, "arn")?,
        name: required(row.text(1)?, "name")?,
        workflow: required(row.text(2)?, "workflow")?,
        definition_hash: required(row.text(3)?, "definition_hash")?,
        status,
        input: json(row.text(5)?, "input")?.unwrap_or(Value::Null),
        output: json(row.text(6)?, "output")?,
        error: row.text(7)?,
        cause: row.text(8)?,
        start_date: from_millis(required(row.int(9)?, "start_date")?),
        stop_date: row.int(10)?.map(from_millis),
        redrive_count: row.int(11)?.unwrap_or(0) as u32,
        redrive_date: row.int(12)?.map(from_millis),
        position,
        next_event_id: required(row.int(18)?, "next_event_id")? as u64,
        owner: row.text(19)?,
        lease_until: row.int(20)?.map(from_millis),
        wake_at: row.int(21)?.map(from_millis),
        cleanup: row.boolean(22)?,
        epoch: row.int(23)?.unwrap_or(0) as u64,
    })
}

/// A [`Suspension`] from a row of [`SUSPENSION_COLUMNS`].
pub(crate) fn decode_suspension(row: &impl Row) -> Result<Suspension, StoreError> {
    let kind_text = required(row.text(2)?, "kind")?;
    let kind = SuspensionKind::parse(&kind_text)
        .ok_or_else(|| StoreError::Backend(format!("unknown suspension kind {kind_text}")))?;
    let outcome = match json(row.text(9)?, "outcome")? {
        None => None,
        Some(v) => Some(
            Outcome::from_json(&v)
                .ok_or_else(|| StoreError::Backend(format!("unknown outcome {v}")))?,
        ),
    };
    Ok(Suspension {
        arn: required(row.text(0)?, "arn")?,
        id: required(row.text(1)?, "id")?,
        kind,
        token: row.text(3)?,
        deadline: row.int(4)?.map(from_millis),
        heartbeat_seconds: row.int(5)?.map(|n| n as u64),
        heartbeat_deadline: row.int(6)?.map(from_millis),
        details: json(row.text(7)?, "details")?.unwrap_or(Value::Null),
        created: from_millis(required(row.int(8)?, "created")?),
        outcome,
        closed: row.int(10)?.map(from_millis),
        activity: row.text(11)?,
        worker: row.text(12)?,
        started: row.int(13)?.map(from_millis),
    })
}

/// A stored event from a row of [`HISTORY`].
pub(crate) fn decode_event(row: &impl Row) -> Result<StoredEvent, StoreError> {
    Ok(StoredEvent {
        id: required(row.int(0)?, "id")? as u64,
        timestamp: from_millis(required(row.int(1)?, "timestamp")?),
        event_type: required(row.text(2)?, "type")?,
        state: row.text(3)?,
        previous_event_id: row.int(5)?.unwrap_or(0) as u64,
        details: json(row.text(4)?, "details")?.unwrap_or(Value::Null),
    })
}

/// A created resource from a row of [`CREATED`].
pub(crate) fn decode_resource(row: &impl Row) -> Result<CreatedResource, StoreError> {
    Ok(CreatedResource {
        seq: required(row.int(0)?, "seq")? as u64,
        kind: required(row.text(1)?, "kind")?,
        id: json(row.text(2)?, "id")?.unwrap_or(Value::Null),
        deleted: row.boolean(3)?,
    })
}

/// What StartExecution does about an execution already stored under the ARN.
pub(crate) enum Existing {
    /// None, or one older than [`NAME_REUSE_DAYS`] (forget it, then insert).
    Insert { forget: bool },
    /// The same input: return it.
    Same(Box<ExecutionRecord>),
}

pub(crate) fn existing(
    found: Option<ExecutionRecord>,
    input: &Value,
    now: OffsetDateTime,
) -> Result<Existing, StoreError> {
    let Some(found) = found else {
        return Ok(Existing::Insert { forget: false });
    };
    let reserved = found.status == ExecutionStatus::Running
        || now - found.start_date < Duration::days(NAME_REUSE_DAYS);
    if !reserved {
        return Ok(Existing::Insert { forget: true });
    }
    if &found.input == input {
        Ok(Existing::Same(Box::new(found)))
    } else {
        Err(StoreError::ExecutionAlreadyExists(found.arn))
    }
}

/// RedriveExecution's rules (AWS): only a FAILED, TIMED_OUT or ABORTED
/// execution, stopped less than [`REDRIVE_DAYS`] ago, that got past its start.
pub(crate) fn check_redrive(
    record: &ExecutionRecord,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    if !record.status.is_redrivable() {
        return Err(StoreError::ExecutionNotRedrivable(format!(
            "execution {} is {}; only FAILED, TIMED_OUT or ABORTED executions can be redriven",
            record.arn, record.status
        )));
    }
    if let Some(stopped) = record.stop_date
        && now - stopped > Duration::days(REDRIVE_DAYS)
    {
        return Err(StoreError::ExecutionNotRedrivable(format!(
            "execution {} stopped more than {REDRIVE_DAYS} days ago",
            record.arn
        )));
    }
    if record.position.is_none() {
        return Err(StoreError::ExecutionNotRedrivable(format!(
            "execution {} failed before its first state",
            record.arn
        )));
    }
    Ok(())
}

/// The `ExecutionAborted` event StopExecution records.
pub(crate) fn aborted_event(
    id: u64,
    error: Option<&str>,
    cause: Option<&str>,
    now: OffsetDateTime,
) -> StoredEvent {
    let mut details = serde_json::Map::new();
    if let Some(e) = error {
        details.insert("error".into(), Value::String(e.into()));
    }
    if let Some(c) = cause {
        details.insert("cause".into(), Value::String(c.into()));
    }
    StoredEvent {
        id,
        timestamp: now,
        event_type: "ExecutionAborted".into(),
        state: None,
        previous_event_id: id.saturating_sub(1),
        details: Value::Object(details),
    }
}

/// The `ExecutionRedriven` event RedriveExecution records.
pub(crate) fn redriven_event(id: u64, redrive_count: u32, now: OffsetDateTime) -> StoredEvent {
    StoredEvent {
        id,
        timestamp: now,
        event_type: "ExecutionRedriven".into(),
        state: None,
        previous_event_id: id.saturating_sub(1),
        details: crate::exec::history::redriven_details(redrive_count),
    }
}

/// Text of a JSON value as stored.
pub(crate) fn text(value: &Value) -> String {
    value.to_string()
}

/// An event's id, time (milliseconds) and details as `INSERT_EVENT` stores
/// them (its type and state go as they are).
pub(crate) fn event_row(e: &StoredEvent) -> (i64, i64, String) {
    (e.id as i64, to_millis(e.timestamp), text(&e.details))
}

/// The columns [`decode_map_run`] reads, in its order.
pub(crate) const MAP_RUN_COLUMNS: &str = "arn, execution_arn, status, max_concurrency, \
    tolerated_failure_count, tolerated_failure_percentage, start_date, stop_date, redrive_count, \
    redrive_date, total_items, total_children, result_writer, express, counts";

pub(crate) const INSERT_MAP_RUN: &str = "INSERT INTO asl_map_runs (arn, execution_arn, status, \
    max_concurrency, tolerated_failure_count, tolerated_failure_percentage, start_date, \
    redrive_count, result_writer, total_items, total_children, express) \
    VALUES ($1, $2, 'RUNNING', $3, $4, $5, $6, 0, $7, $8, $9, $10) ON CONFLICT (arn) DO NOTHING";

/// A Map Run ends: its totals when given (`$4`, `$5`), its counts when an
/// EXPRESS one's (`$6`).
pub(crate) const END_MAP_RUN: &str = "UPDATE asl_map_runs SET status = $2, stop_date = $3, \
    total_items = COALESCE($4, total_items), total_children = COALESCE($5, total_children), \
    counts = COALESCE($6, counts) WHERE arn = $1";

/// A RUNNING Map Run's progress: the items (`$2`) and children (`$3`) read
/// so far, never fewer than stored (a parent resumed after a crash reads
/// them again from the start), and an EXPRESS one's counts (`$4`).
pub(crate) const MAP_RUN_PROGRESS: &str = "UPDATE asl_map_runs SET \
    total_items = CASE WHEN total_items IS NULL OR total_items < $2 THEN $2 ELSE total_items END, \
    total_children = CASE WHEN total_children IS NULL OR total_children < $3 THEN $3 \
    ELSE total_children END, counts = COALESCE($4, counts) WHERE arn = $1 AND status = 'RUNNING'";

/// The children of Map Run `$1` still RUNNING when it failed: their history
/// ends with `ExecutionAborted` at `$2` ([`ABORT_CHILDREN`] then stops them).
pub(crate) const ABORTED_CHILDREN_EVENTS: &str = "INSERT INTO asl_events (exec_id, id, \
    timestamp, type, state, details, previous_event_id) \
    SELECT exec_id, next_event_id, $2, 'ExecutionAborted', NULL, '{}', next_event_id - 1 \
    FROM asl_executions WHERE map_run_arn = $1 AND status = 'RUNNING'";

/// The children of Map Run `$1` still RUNNING when it failed: ABORTED at `$2`.
pub(crate) const ABORT_CHILDREN: &str = "UPDATE asl_executions SET status = 'ABORTED', \
    stop_date = $2, next_event_id = next_event_id + 1 \
    WHERE map_run_arn = $1 AND status = 'RUNNING'";

pub(crate) const UPDATE_MAP_RUN: &str = "UPDATE asl_map_runs SET max_concurrency = $2, \
    tolerated_failure_count = $3, tolerated_failure_percentage = $4 WHERE arn = $1";

/// A STANDARD Map Run's children and their items, by status, and by
/// whether each ran before the Map Run's last redrive (its redrive count
/// under the Map Run's, `$2`) and stopped before `$3` (more than
/// [`REDRIVE_DAYS`] ago: a redrive would not run it again).
pub(crate) const MAP_RUN_COUNTS: &str = "SELECT status, \
    CAST(CASE WHEN redrive_count < $2 THEN 1 ELSE 0 END AS BIGINT), \
    CAST(CASE WHEN stop_date < $3 THEN 1 ELSE 0 END AS BIGINT), COUNT(*), \
    CAST(COALESCE(SUM(map_run_items), 0) AS BIGINT) FROM asl_executions \
    WHERE map_run_arn = $1 GROUP BY 1, 2, 3";

/// A page of the Map Runs of execution `$1`, newest first, after the start
/// date `$2` and ARN `$3` a previous page ended at, `$4` at most.
pub(crate) fn map_runs_page() -> String {
    format!(
        "SELECT {MAP_RUN_COLUMNS} FROM asl_map_runs WHERE execution_arn = $1 \
         AND (start_date < $2 OR (start_date = $2 AND arn > $3)) \
         ORDER BY start_date DESC, arn LIMIT $4"
    )
}

/// A child of a Map Run: `{exec_id}` as [`INSERT`]; no owner, no position
/// (its parent drives it).
pub(crate) const INSERT_CHILD: &str = "INSERT INTO asl_executions (arn, name, workflow, \
    definition_hash, status, input, start_date, redrive_count, next_event_id, cleanup, epoch, \
    exec_id, map_run_arn, map_run_index, map_run_items) \
    VALUES ($1, $2, $3, $4, 'RUNNING', $5, $6, $11, $7, FALSE, 0, {exec_id}, $8, $9, $10) \
    RETURNING exec_id";

/// A child of a Map Run redriven (`$1`): RUNNING again, its redrive count
/// `$2` and date `$3`, its next event `$4`; its history is kept.
pub(crate) const CONTINUE_CHILD: &str = "UPDATE asl_executions SET status = 'RUNNING', \
    output = NULL, error = NULL, cause = NULL, stop_date = NULL, redrive_count = $2, \
    redrive_date = $3, next_event_id = $4 WHERE arn = $1 AND status <> 'RUNNING' \
    RETURNING exec_id";

/// A redrive runs a Map Run that ended again (once per redrive).
pub(crate) const REDRIVE_MAP_RUN: &str = "UPDATE asl_map_runs SET status = 'RUNNING', \
    stop_date = NULL, redrive_count = redrive_count + 1, redrive_date = $2 \
    WHERE arn = $1 AND status <> 'RUNNING'";

pub(crate) const END_CHILD: &str = "UPDATE asl_executions SET status = $2, output = $3, \
    error = $4, cause = $5, stop_date = $6, next_event_id = $7 WHERE arn = $1 RETURNING exec_id";

pub(crate) const PARENT_MAP_RUN: &str = "SELECT map_run_arn FROM asl_executions WHERE arn = $1";

/// The children of Map Run `$1` that ended, with their index.
pub(crate) fn ended_children() -> String {
    format!(
        "SELECT {COLUMNS}, map_run_index FROM asl_executions \
         WHERE map_run_arn = $1 AND status <> 'RUNNING' ORDER BY map_run_index"
    )
}

/// A page of the children of Map Run `$1` (with `status`: of status `$2`),
/// newest first, after the start date and ARN a previous page ended at; each
/// with the number of items it processes last.
pub(crate) fn map_run_executions(status: bool, after: bool, limit: usize) -> String {
    let mut conditions = vec!["map_run_arn = $1".to_string()];
    let mut n = 1;
    if status {
        n += 1;
        conditions.push(format!("status = ${n}"));
    }
    if after {
        conditions.push(after_page(n));
    }
    format!(
        "SELECT {COLUMNS}, map_run_items FROM asl_executions WHERE {} \
         ORDER BY start_date DESC, arn LIMIT {limit}",
        conditions.join(" AND ")
    )
}

/// A [`MapRunRecord`] from a row of [`MAP_RUN_COLUMNS`] (nothing counted).
pub(crate) fn decode_map_run(row: &impl Row) -> Result<MapRunRecord, StoreError> {
    let status_text = required(row.text(2)?, "status")?;
    let status = ExecutionStatus::parse(&status_text)
        .ok_or_else(|| StoreError::Backend(format!("unknown status {status_text}")))?;
    Ok(MapRunRecord {
        arn: required(row.text(0)?, "arn")?,
        execution_arn: required(row.text(1)?, "execution_arn")?,
        status,
        max_concurrency: row.int(3)?.unwrap_or(0) as u32,
        tolerated_failure_count: row.int(4)?.unwrap_or(0) as u64,
        tolerated_failure_percentage: row.text(5)?.and_then(|t| t.parse().ok()).unwrap_or(0.0),
        start_date: from_millis(required(row.int(6)?, "start_date")?),
        stop_date: row.int(7)?.map(from_millis),
        redrive_count: row.int(8)?.unwrap_or(0) as u32,
        redrive_date: row.int(9)?.map(from_millis),
        total_items: row.int(10)?.map(|n| n as u64),
        total_children: row.int(11)?.map(|n| n as u64),
        result_writer: row.boolean(12)?,
        express: row.boolean(13)?,
        children: MapRunCounts::default(),
        items: MapRunCounts::default(),
    })
}

/// An EXPRESS Map Run's counts as [`MAP_RUN_COLUMNS`] holds them (`None`
/// for a STANDARD one).
pub(crate) fn decode_map_run_counts(
    row: &impl Row,
) -> Result<Option<(MapRunCounts, MapRunCounts)>, StoreError> {
    let Some(counts) = json(row.text(14)?, "counts")? else {
        return Ok(None);
    };
    let pair = counts.as_array().and_then(|pair| match &pair[..] {
        [children, items] => Some((
            MapRunCounts::from_json(children)?,
            MapRunCounts::from_json(items)?,
        )),
        _ => None,
    });
    pair.map(Some)
        .ok_or_else(|| StoreError::Backend(format!("a Map Run's counts are {counts}")))
}

/// An EXPRESS Map Run's counts as [`MAP_RUN_COLUMNS`] keeps them.
pub(crate) fn map_run_counts_text(counts: &(MapRunCounts, MapRunCounts)) -> String {
    Value::Array(vec![counts.0.to_json(), counts.1.to_json()]).to_string()
}
