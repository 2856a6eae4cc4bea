//! Every store operation, written once for both backends.
//!
//! An operation ([`Op`]) runs inside a transaction the backend opened ([`Tx`]):
//! SQLite's connection on its writer thread, or PostgreSQL's writing
//! connection, whose statements sent together are pipelined. [`apply`] is the
//! only place the execution API's rules and the engine's writes meet SQL; the
//! backends decide only how operations are grouped into transactions and
//! answered once their transaction committed. [`Backend`] gives every backend
//! the same [`ExecutionStore`].
//!
//! Rule for every operation: it either fails before writing anything (a
//! refusal such as [`StoreError::NotOwner`], which leaves its transaction
//! usable), or with a [`StoreError::Backend`] error, after which the backend
//! rolls back whatever the transaction did.

use std::borrow::Cow;
use std::future::Future;

use futures_util::future::try_join_all;
use serde_json::Value;
use time::OffsetDateTime;

use super::schema::{self, Row};
use super::*;

/// A value bound to a statement or read from a row.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Sql {
    Null,
    Int(i64),
    Text(String),
    Bool(bool),
    /// Arrays, for statements that take many rows at once (PostgreSQL's
    /// `unnest`; SQLite has none and refuses them).
    Texts(Vec<Option<String>>),
    Ints(Vec<Option<i64>>),
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    Bools(Vec<bool>),
}

impl From<i64> for Sql {
    fn from(n: i64) -> Sql {
        Sql::Int(n)
    }
}

impl From<u64> for Sql {
    fn from(n: u64) -> Sql {
        Sql::Int(n as i64)
    }
}

impl From<String> for Sql {
    fn from(s: String) -> Sql {
        Sql::Text(s)
    }
}

impl From<&str> for Sql {
    fn from(s: &str) -> Sql {
        Sql::Text(s.to_string())
    }
}

impl From<&String> for Sql {
    fn from(s: &String) -> Sql {
        Sql::Text(s.clone())
    }
}

impl From<bool> for Sql {
    fn from(b: bool) -> Sql {
        Sql::Bool(b)
    }
}

impl<T: Into<Sql>> From<Option<T>> for Sql {
    fn from(v: Option<T>) -> Sql {
        v.map_or(Sql::Null, Into::into)
    }
}

/// A row read by [`Tx::query`].
pub(crate) type SqlRow = Vec<Sql>;

impl Row for SqlRow {
    fn text(&self, i: usize) -> Result<Option<String>, StoreError> {
        match self.get(i) {
            Some(Sql::Text(s)) => Ok(Some(s.clone())),
            Some(Sql::Null) | None => Ok(None),
            Some(other) => Err(StoreError::Backend(format!(
                "column {i} holds {other:?} where text was expected"
            ))),
        }
    }

    fn int(&self, i: usize) -> Result<Option<i64>, StoreError> {
        match self.get(i) {
            Some(Sql::Int(n)) => Ok(Some(*n)),
            Some(Sql::Bool(b)) => Ok(Some(i64::from(*b))),
            Some(Sql::Null) | None => Ok(None),
            Some(other) => Err(StoreError::Backend(format!(
                "column {i} holds {other:?} where an integer was expected"
            ))),
        }
    }

    fn boolean(&self, i: usize) -> Result<bool, StoreError> {
        match self.get(i) {
            Some(Sql::Bool(b)) => Ok(*b),
            Some(Sql::Int(n)) => Ok(*n != 0),
            other => Err(StoreError::Backend(format!(
                "column {i} holds {other:?} where a boolean was expected"
            ))),
        }
    }
}

/// Which SQL a backend speaks, where the two differ.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dialect {
    #[cfg_attr(not(feature = "sqlite"), allow(dead_code))]
    Sqlite,
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    Postgres,
}

impl Dialect {
    /// Now, in milliseconds since the epoch, on the database's clock: leases
    /// are compared on one clock, whichever process writes them.
    pub(crate) fn now(self) -> &'static str {
        match self {
            Dialect::Sqlite => "CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)",
            Dialect::Postgres => "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)",
        }
    }

    /// The `exec_id` of a new execution: one more than the largest on SQLite
    /// (whose writers take turns), the next of a sequence on PostgreSQL
    /// (where replicas insert at once).
    pub(crate) fn next_exec_id(self) -> &'static str {
        match self {
            Dialect::Sqlite => "(SELECT COALESCE(MAX(exec_id), 0) + 1 FROM asl_executions)",
            Dialect::Postgres => "nextval('asl_exec_ids')",
        }
    }

    /// What locks the rows a claim selects, so two replicas never take the
    /// same execution and neither waits for the other (SQLite serialises
    /// writers on the whole database instead).
    fn skip_locked(self) -> &'static str {
        match self {
            Dialect::Sqlite => "",
            Dialect::Postgres => "FOR UPDATE SKIP LOCKED",
        }
    }

    /// What locks the one row a stop or redrive reads before it writes.
    fn for_update(self) -> &'static str {
        match self {
            Dialect::Sqlite => "",
            Dialect::Postgres => "FOR UPDATE",
        }
    }

    /// Does a table named `$1` exist (in the connection's schema)?
    fn table_exists(self) -> &'static str {
        match self {
            Dialect::Sqlite => {
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = $1"
            }
            Dialect::Postgres => {
                "SELECT COUNT(*) FROM information_schema.tables \
                 WHERE table_name = $1 AND table_schema = current_schema()"
            }
        }
    }
}

/// An open transaction of a backend. Statements use `$n` placeholders and the
/// types both backends share (`BIGINT`, `TEXT`, `BOOLEAN`).
pub(crate) trait Tx {
    fn dialect(&self) -> Dialect;

    /// The rows of a statement.
    fn query(
        &self,
        sql: &str,
        params: Vec<Sql>,
    ) -> impl Future<Output = Result<Vec<SqlRow>, StoreError>>;

    /// Runs a statement; how many rows it changed.
    fn execute(&self, sql: &str, params: Vec<Sql>)
    -> impl Future<Output = Result<u64, StoreError>>;
}

/// One operation of the [`ExecutionStore`] API, as data: a backend can queue
/// it, group it with others, and run it again in a transaction of its own when
/// another operation of its group failed.
#[derive(Clone, Debug)]
pub(crate) enum Op {
    Insert(Box<ExecutionRecord>, Vec<StoredEvent>),
    Write(Box<Write>),
    Created {
        arn: String,
        kind: String,
        id: String,
    },
    Claim {
        owner: String,
        workflows: Vec<String>,
        lease_ms: i64,
        limit: usize,
        skip: Vec<String>,
    },
    Renew {
        owner: String,
        held: Vec<(String, u64)>,
        lease_ms: i64,
    },
    Describe(String),
    List(ListFilter, Option<PageRequest>),
    History(String, Option<(PageRequest, bool)>),
    Progress(String),
    Resources(String),
    Stop {
        arn: String,
        error: Option<String>,
        cause: Option<String>,
        now: OffsetDateTime,
    },
    Redrive(String, OffsetDateTime),
    Purge(OffsetDateTime),
    Suspend(Box<Write>, Box<Suspension>),
    Suspension {
        arn: String,
        id: String,
    },
    Deliver {
        token: String,
        outcome: Outcome,
        now: OffsetDateTime,
    },
    Heartbeat {
        token: String,
        now: OffsetDateTime,
    },
    Resolve {
        arn: String,
        id: String,
        outcome: Outcome,
        now: OffsetDateTime,
    },
    NextDue(Vec<String>),
    Annotate(Box<Write>, String, Value),
    CreateActivity {
        arn: String,
        name: String,
        now: OffsetDateTime,
    },
    Activity(String),
    ListActivities(PageRequest),
    DeleteActivity(String),
    TakeActivityTask {
        activity: String,
        worker: String,
        now: OffsetDateTime,
    },
    StartMapRun(Box<Write>, Box<MapRunRecord>),
    RedriveMapRun(Box<Write>, String, OffsetDateTime),
    StartChild(Box<Write>, Box<ChildStart>),
    EndChild(Box<Write>, Box<ChildEnd>),
    EndMapRun {
        write: Box<Write>,
        arn: String,
        status: ExecutionStatus,
        date: OffsetDateTime,
        progress: Box<MapRunProgress>,
    },
    MapRunProgress(Box<Write>, String, Box<MapRunProgress>),
    MapRun(String),
    MapRuns(String, PageRequest),
    UpdateMapRun(String, MapRunUpdate),
    MapRunChildren(String),
    MapRunExecutions(String, Option<ExecutionStatus>, PageRequest),
    ParentMapRun(String),
}

impl Op {
    /// The one execution the operation reads or writes (`None`: claims,
    /// renewals, lists and purges touch many). PostgreSQL's writers route by it.
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    pub(crate) fn arn(&self) -> Option<&str> {
        match self {
            Op::Insert(record, _) => Some(&record.arn),
            Op::Write(write) => Some(&write.arn),
            Op::Created { arn, .. }
            | Op::Describe(arn)
            | Op::History(arn, _)
            | Op::Progress(arn)
            | Op::Resources(arn)
            | Op::Stop { arn, .. }
            | Op::Redrive(arn, _)
            | Op::Suspension { arn, .. }
            | Op::Resolve { arn, .. } => Some(arn),
            Op::Suspend(write, _)
            | Op::Annotate(write, ..)
            | Op::StartMapRun(write, _)
            | Op::RedriveMapRun(write, ..)
            | Op::StartChild(write, _)
            | Op::EndChild(write, _)
            | Op::EndMapRun { write, .. }
            | Op::MapRunProgress(write, ..) => Some(&write.arn),
            Op::ParentMapRun(arn) => Some(arn),
            Op::MapRun(_)
            | Op::MapRuns(..)
            | Op::UpdateMapRun(..)
            | Op::MapRunChildren(_)
            | Op::MapRunExecutions(..) => None,
            // By token: which execution is known only once read.
            Op::Deliver { .. } | Op::Heartbeat { .. } => None,
            Op::Claim { .. } | Op::Renew { .. } | Op::List(..) | Op::Purge(_) | Op::NextDue(_) => {
                None
            }
            // Activities are no execution's; a task taken is known once read.
            Op::CreateActivity { .. }
            | Op::Activity(_)
            | Op::ListActivities(_)
            | Op::DeleteActivity(_)
            | Op::TakeActivityTask { .. } => None,
        }
    }
}

/// What an operation answers.
#[derive(Debug)]
pub(crate) enum Answer {
    Inserted(Inserted),
    Done,
    Seq(u64),
    Records(Vec<ExecutionRecord>),
    Lost(Vec<(String, u64)>),
    Record(Box<ExecutionRecord>),
    Events(Vec<StoredEvent>),
    RecordPage(Page<ExecutionRecord>),
    EventPage(Page<StoredEvent>),
    Progress(Vec<Progress>),
    Resources(Vec<CreatedResource>),
    Date(OffsetDateTime),
    Count(u64),
    Suspension(Box<Suspension>),
    MaybeSuspension(Option<Box<Suspension>>),
    Outcome(Outcome),
    Due(Option<OffsetDateTime>),
    Activity(Option<ActivityRecord>),
    Activities(Page<ActivityRecord>),
    MapRun(Box<MapRunRecord>),
    MapRuns(Page<MapRunRecord>),
    Children(Vec<(u64, ExecutionRecord)>),
    ChildPage(Page<(ExecutionRecord, u64)>),
    Text(Option<String>),
}

/// Runs `op` in `t`.
pub(crate) async fn apply<T: Tx>(t: &T, op: &Op) -> Result<Answer, StoreError> {
    match op {
        Op::Insert(record, events) => insert(t, record, events).await.map(Answer::Inserted),
        Op::Write(write) => apply_write(t, write).await.map(|()| Answer::Done),
        Op::Created { arn, kind, id } => {
            let rows = t.query(schema::NEXT_RESOURCE, vec![arn.into()]).await?;
            let seq = rows.first().map(|r| r.int(0)).transpose()?.flatten();
            let seq = seq.unwrap_or(1);
            t.execute(
                schema::INSERT_RESOURCE,
                vec![arn.into(), seq.into(), kind.into(), id.into()],
            )
            .await?;
            Ok(Answer::Seq(seq as u64))
        }
        Op::Claim {
            owner,
            workflows,
            lease_ms,
            limit,
            skip,
        } => claim(t, owner, workflows, *lease_ms, *limit, skip)
            .await
            .map(Answer::Records),
        Op::Renew {
            owner,
            held,
            lease_ms,
        } => {
            let statement = schema::RENEW.replace("{now}", t.dialect().now());
            // Sent together: one round trip on PostgreSQL.
            let renewals = held.iter().map(|(arn, epoch)| {
                let statement = &statement;
                async move {
                    let n = t
                        .execute(
                            statement,
                            vec![
                                arn.into(),
                                owner.into(),
                                (*epoch).into(),
                                (*lease_ms).into(),
                            ],
                        )
                        .await?;
                    Ok::<_, StoreError>((n == 0).then(|| (arn.clone(), *epoch)))
                }
            });
            let lost = try_join_all(renewals).await?;
            Ok(Answer::Lost(lost.into_iter().flatten().collect()))
        }
        Op::Describe(arn) => get(t, arn, "").await.map(|r| Answer::Record(Box::new(r))),
        Op::List(filter, None) => {
            let rows = t
                .query(&schema::list(filter, false, None), list_params(filter))
                .await?;
            rows.iter()
                .map(schema::decode)
                .collect::<Result<_, _>>()
                .map(Answer::Records)
        }
        Op::List(filter, Some(page)) => list_page(t, filter, page).await.map(Answer::RecordPage),
        Op::History(arn, None) => {
            get(t, arn, "").await?;
            let rows = t.query(schema::HISTORY, vec![arn.into()]).await?;
            rows.iter()
                .map(schema::decode_event)
                .collect::<Result<_, _>>()
                .map(Answer::Events)
        }
        Op::History(arn, Some((page, reverse))) => history_page(t, arn, page, *reverse)
            .await
            .map(Answer::EventPage),
        Op::Progress(arn) => {
            let rows = t.query(schema::PROGRESS, vec![arn.into()]).await?;
            rows.iter()
                .map(|row| {
                    let frame = row.text(0)?.unwrap_or_default();
                    let index = row.int(1)?.unwrap_or_default() as u64;
                    let output = schema::json(row.text(2)?, "output")?.unwrap_or(Value::Null);
                    Ok((frame, index, output))
                })
                .collect::<Result<_, _>>()
                .map(Answer::Progress)
        }
        Op::Resources(arn) => {
            let rows = t.query(schema::CREATED, vec![arn.into()]).await?;
            rows.iter()
                .map(schema::decode_resource)
                .collect::<Result<_, _>>()
                .map(Answer::Resources)
        }
        Op::Stop {
            arn,
            error,
            cause,
            now,
        } => stop(t, arn, error.as_deref(), cause.as_deref(), *now)
            .await
            .map(Answer::Date),
        Op::Redrive(arn, now) => redrive(t, arn, *now)
            .await
            .map(|r| Answer::Record(Box::new(r))),
        Op::Purge(before) => purge(t, *before).await.map(Answer::Count),
        Op::Suspend(write, suspension) => suspend(t, write, suspension)
            .await
            .map(|s| Answer::Suspension(Box::new(s))),
        Op::Suspension { arn, id } => find_suspension(t, arn, id, "")
            .await
            .map(|s| Answer::MaybeSuspension(s.map(Box::new))),
        Op::Deliver {
            token,
            outcome,
            now,
        } => deliver(t, token, Some(outcome), *now)
            .await
            .map(|s| Answer::Suspension(Box::new(s))),
        Op::Heartbeat { token, now } => deliver(t, token, None, *now)
            .await
            .map(|s| Answer::Suspension(Box::new(s))),
        Op::Resolve {
            arn,
            id,
            outcome,
            now,
        } => resolve(t, arn, id, outcome, *now)
            .await
            .map(Answer::Outcome),
        Op::Annotate(write, id, details) => {
            let annotate = (
                schema::ANNOTATE_SUSPENSION,
                vec![
                    write.arn.as_str().into(),
                    id.as_str().into(),
                    schema::text(details).into(),
                ],
            );
            apply_write_with(t, write, Some(annotate))
                .await
                .map(|()| Answer::Done)
        }
        Op::CreateActivity { arn, name, now } => {
            t.execute(
                schema::INSERT_ACTIVITY,
                vec![arn.into(), name.into(), to_millis(*now).into()],
            )
            .await?;
            find_activity(t, arn).await.map(Answer::Activity)
        }
        Op::Activity(arn) => find_activity(t, arn).await.map(Answer::Activity),
        Op::ListActivities(page) => list_activities(t, page).await.map(Answer::Activities),
        Op::DeleteActivity(arn) => {
            t.execute(schema::DELETE_ACTIVITY, vec![arn.into()]).await?;
            Ok(Answer::Done)
        }
        Op::TakeActivityTask {
            activity,
            worker,
            now,
        } => take_activity_task(t, activity, worker, *now)
            .await
            .map(|s| Answer::MaybeSuspension(s.map(Box::new))),
        Op::StartMapRun(write, run) => {
            let insert = (
                schema::INSERT_MAP_RUN,
                vec![
                    run.arn.as_str().into(),
                    run.execution_arn.as_str().into(),
                    i64::from(run.max_concurrency).into(),
                    run.tolerated_failure_count.into(),
                    run.tolerated_failure_percentage.to_string().into(),
                    to_millis(run.start_date).into(),
                    run.result_writer.into(),
                    run.total_items.into(),
                    run.total_children.into(),
                    run.express.into(),
                ],
            );
            apply_write_with(t, write, Some(insert)).await?;
            map_run(t, &run.arn)
                .await
                .map(|r| Answer::MapRun(Box::new(r)))
        }
        Op::RedriveMapRun(write, arn, now) => {
            let redrive = (
                schema::REDRIVE_MAP_RUN,
                vec![arn.into(), to_millis(*now).into()],
            );
            apply_write_with(t, write, Some(redrive)).await?;
            map_run(t, arn).await.map(|r| Answer::MapRun(Box::new(r)))
        }
        Op::StartChild(write, child) => {
            apply_write(t, write).await?;
            start_child(t, child).await.map(|()| Answer::Done)
        }
        Op::EndChild(write, child) => {
            apply_write(t, write).await?;
            let e = &child.end;
            let ended = t
                .query(
                    schema::END_CHILD,
                    vec![
                        child.arn.as_str().into(),
                        e.status.as_str().into(),
                        e.output.as_ref().map(schema::text).into(),
                        e.error.clone().into(),
                        e.cause.clone().into(),
                        to_millis(e.date).into(),
                        child.next_event_id.into(),
                    ],
                )
                .await?;
            let exec = exec_id(&ended, &child.arn)?;
            let events: Vec<_> = child.events.iter().map(|e| (exec, e)).collect();
            insert_events(t, &events).await?;
            Ok(Answer::Done)
        }
        Op::EndMapRun {
            write,
            arn,
            status,
            date,
            progress,
        } => {
            let end = (
                schema::END_MAP_RUN,
                vec![
                    arn.into(),
                    status.as_str().into(),
                    to_millis(*date).into(),
                    progress.totals.map(|t| t.0).into(),
                    progress.totals.map(|t| t.1).into(),
                    progress
                        .counts
                        .as_ref()
                        .map(schema::map_run_counts_text)
                        .into(),
                ],
            );
            apply_write_with(t, write, Some(end)).await?;
            if *status != ExecutionStatus::Succeeded {
                for statement in [schema::ABORTED_CHILDREN_EVENTS, schema::ABORT_CHILDREN] {
                    t.execute(statement, vec![arn.into(), to_millis(*date).into()])
                        .await?;
                }
            }
            Ok(Answer::Done)
        }
        Op::MapRunProgress(write, arn, progress) => {
            let (items, children) = progress.totals.unzip();
            let update = (
                schema::MAP_RUN_PROGRESS,
                vec![
                    arn.into(),
                    items.into(),
                    children.into(),
                    progress
                        .counts
                        .as_ref()
                        .map(schema::map_run_counts_text)
                        .into(),
                ],
            );
            apply_write_with(t, write, Some(update)).await?;
            Ok(Answer::Done)
        }
        Op::MapRun(arn) => map_run(t, arn).await.map(|r| Answer::MapRun(Box::new(r))),
        Op::MapRuns(execution, page) => map_runs(t, execution, page).await.map(Answer::MapRuns),
        Op::UpdateMapRun(arn, update) => {
            let run = map_run(t, arn).await?;
            t.execute(
                schema::UPDATE_MAP_RUN,
                vec![
                    arn.into(),
                    i64::from(update.max_concurrency.unwrap_or(run.max_concurrency)).into(),
                    update
                        .tolerated_failure_count
                        .unwrap_or(run.tolerated_failure_count)
                        .into(),
                    update
                        .tolerated_failure_percentage
                        .unwrap_or(run.tolerated_failure_percentage)
                        .to_string()
                        .into(),
                ],
            )
            .await?;
            map_run(t, arn).await.map(|r| Answer::MapRun(Box::new(r)))
        }
        Op::MapRunChildren(arn) => {
            let rows = t.query(&schema::ended_children(), vec![arn.into()]).await?;
            rows.iter()
                .map(|row| Ok((row.int(25)?.unwrap_or(0) as u64, schema::decode(row)?)))
                .collect::<Result<_, StoreError>>()
                .map(Answer::Children)
        }
        Op::MapRunExecutions(arn, status, page) => map_run_executions(t, arn, *status, page)
            .await
            .map(Answer::ChildPage),
        Op::ParentMapRun(arn) => {
            let rows = t.query(schema::PARENT_MAP_RUN, vec![arn.into()]).await?;
            let Some(row) = rows.first() else {
                return Err(StoreError::ExecutionDoesNotExist(arn.clone()));
            };
            Ok(Answer::Text(row.text(0)?))
        }
        Op::NextDue(workflows) => {
            let params = workflows.iter().map(Sql::from).collect();
            let rows = t.query(&schema::next_due(workflows.len()), params).await?;
            let due = rows.first().map(|r| r.int(0)).transpose()?.flatten();
            Ok(Answer::Due(due.map(from_millis)))
        }
    }
}

fn list_params(filter: &ListFilter) -> Vec<Sql> {
    let mut params = Vec::new();
    if let Some(w) = &filter.workflow {
        params.push(w.into());
    }
    if let Some(s) = filter.status {
        params.push(s.as_str().into());
    }
    params
}

/// Where a page of a listing by start date (newest first) ended: the start
/// date and ARN of its last item, from a `nextToken` of listing `kind`.
fn page_after(kind: &str, page: &PageRequest) -> Result<Option<(i64, String)>, StoreError> {
    let Some(token) = &page.next_token else {
        return Ok(None);
    };
    let key = schema::untoken(kind, token)?;
    key.split_once(':')
        .and_then(|(ms, arn)| Some((ms.parse::<i64>().ok()?, arn.to_string())))
        .map(Some)
        .ok_or_else(|| StoreError::InvalidToken(format!("Invalid Token: '{token}'")))
}

/// A page of `size` from `items` (one more than asked says there is a
/// next), with the `nextToken` of listing `kind` after its last item.
fn cut_page<I>(
    kind: &str,
    mut items: Vec<I>,
    size: usize,
    key: impl Fn(&I) -> (OffsetDateTime, &str),
) -> Page<I> {
    let next_token = (items.len() > size).then(|| {
        items.truncate(size);
        let (date, arn) = key(&items[size - 1]);
        schema::token(kind, &format!("{}:{arn}", to_millis(date)))
    });
    Page { items, next_token }
}

/// One page of ListExecutions: one row more than asked says there is a next.
async fn list_page<T: Tx>(
    t: &T,
    filter: &ListFilter,
    page: &PageRequest,
) -> Result<Page<ExecutionRecord>, StoreError> {
    let size = page.size()?;
    let mut params = list_params(filter);
    let after = page_after("executions", page)?;
    if let Some((ms, arn)) = &after {
        params.push((*ms).into());
        params.push(arn.into());
    }
    let statement = schema::list(filter, after.is_some(), Some(size + 1));
    let rows = t.query(&statement, params).await?;
    let items = rows
        .iter()
        .map(schema::decode)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(cut_page("executions", items, size, |e| {
        (e.start_date, e.arn.as_str())
    }))
}

/// One page of GetExecutionHistory.
async fn history_page<T: Tx>(
    t: &T,
    arn: &str,
    page: &PageRequest,
    reverse: bool,
) -> Result<Page<StoredEvent>, StoreError> {
    let size = page.size()?;
    let kind = if reverse {
        "history-reversed"
    } else {
        "history"
    };
    let after = match &page.next_token {
        None if reverse => i64::MAX,
        None => 0,
        Some(token) => schema::untoken(kind, token)?
            .strip_prefix(&format!("{arn}:"))
            .and_then(|id| id.parse::<i64>().ok())
            .ok_or_else(|| StoreError::InvalidToken(format!("Invalid Token: '{token}'")))?,
    };
    get(t, arn, "").await?;
    let statement = if reverse {
        schema::HISTORY_PAGE_REVERSED
    } else {
        schema::HISTORY_PAGE
    };
    let rows = t
        .query(
            statement,
            vec![arn.into(), after.into(), ((size + 1) as i64).into()],
        )
        .await?;
    let mut items = rows
        .iter()
        .map(schema::decode_event)
        .collect::<Result<Vec<_>, _>>()?;
    let next_token = (items.len() > size).then(|| {
        items.truncate(size);
        schema::token(kind, &format!("{arn}:{}", items[size - 1].id))
    });
    Ok(Page { items, next_token })
}

async fn find_suspension<T: Tx>(
    t: &T,
    arn: &str,
    id: &str,
    lock: &str,
) -> Result<Option<Suspension>, StoreError> {
    let statement = format!(
        "{} {lock}",
        schema::select_suspension("arn = $1 AND id = $2")
    );
    let rows = t.query(&statement, vec![arn.into(), id.into()]).await?;
    rows.first().map(schema::decode_suspension).transpose()
}

/// The engine's waiting point: the write (fenced), then the suspension unless
/// one with its id is stored, then what is stored.
async fn suspend<T: Tx>(
    t: &T,
    write: &Write,
    suspension: &Suspension,
) -> Result<Suspension, StoreError> {
    let s = suspension;
    let insert = (
        schema::INSERT_SUSPENSION,
        vec![
            s.arn.as_str().into(),
            s.id.as_str().into(),
            s.kind.as_str().into(),
            s.token.clone().into(),
            s.deadline.map(to_millis).into(),
            s.heartbeat_seconds.into(),
            s.heartbeat_deadline.map(to_millis).into(),
            schema::text(&s.details).into(),
            to_millis(s.created).into(),
            s.activity.clone().into(),
        ],
    );
    apply_write_with(t, write, Some(insert)).await?;
    find_suspension(t, &s.arn, &s.id, "")
        .await?
        .ok_or_else(|| StoreError::Backend(format!("suspension {} of {} vanished", s.id, s.arn)))
}

/// A delivery (`outcome`) or a heartbeat (`None`) to the suspension holding
/// `token`: refused before anything is written when the token is unknown or
/// its task closed.
async fn deliver<T: Tx>(
    t: &T,
    token: &str,
    outcome: Option<&Outcome>,
    now: OffsetDateTime,
) -> Result<Suspension, StoreError> {
    let dialect = t.dialect();
    let statement = format!(
        "{} {}",
        schema::select_suspension("token = $1"),
        dialect.for_update()
    );
    let rows = t.query(&statement, vec![token.into()]).await?;
    let Some(mut s) = rows.first().map(schema::decode_suspension).transpose()? else {
        return Err(StoreError::TaskDoesNotExist(
            "no task has this token".to_string(),
        ));
    };
    let closed = || {
        StoreError::TaskTimedOut(format!(
            "the task of this token (execution {}) is closed",
            s.arn
        ))
    };
    if s.outcome.is_some() || s.expired(now).is_some() {
        return Err(closed());
    }
    let arn = s.arn.clone();
    let running = match outcome {
        // Locks the execution's row; none when it no longer runs.
        Some(_) => {
            t.execute(
                &schema::MAKE_DUE.replace("{now}", dialect.now()),
                vec![arn.as_str().into()],
            )
            .await?
                > 0
        }
        None => find(t, &arn, "")
            .await?
            .is_some_and(|r| r.status == ExecutionStatus::Running),
    };
    if !running {
        return Err(closed());
    }
    match outcome {
        Some(outcome) => {
            t.execute(
                schema::CLOSE_SUSPENSION,
                vec![
                    arn.as_str().into(),
                    s.id.as_str().into(),
                    schema::text(&outcome.to_json()).into(),
                    to_millis(now).into(),
                ],
            )
            .await?;
            s.outcome = Some(outcome.clone());
            s.closed = Some(now);
        }
        None => {
            if let Some(seconds) = s.heartbeat_seconds {
                let until = now + time::Duration::seconds(seconds as i64);
                t.execute(
                    schema::HEARTBEAT,
                    vec![
                        arn.as_str().into(),
                        s.id.as_str().into(),
                        to_millis(until).into(),
                    ],
                )
                .await?;
                s.heartbeat_deadline = Some(until);
            }
        }
    }
    if outcome.is_some() && dialect == Dialect::Postgres {
        t.execute(schema::NOTIFY, vec![arn.as_str().into()]).await?;
    }
    Ok(s)
}

/// The engine closes a suspension (a deadline passed, a Wait came due)
/// unless a delivery closed it first: the outcome that stands.
async fn resolve<T: Tx>(
    t: &T,
    arn: &str,
    id: &str,
    outcome: &Outcome,
    now: OffsetDateTime,
) -> Result<Outcome, StoreError> {
    let closed = t
        .execute(
            schema::CLOSE_SUSPENSION,
            vec![
                arn.into(),
                id.into(),
                schema::text(&outcome.to_json()).into(),
                to_millis(now).into(),
            ],
        )
        .await?;
    if closed > 0 {
        return Ok(outcome.clone());
    }
    match find_suspension(t, arn, id, "").await? {
        Some(Suspension {
            outcome: Some(stands),
            ..
        }) => Ok(stands),
        _ => Err(StoreError::Backend(format!(
            "execution {arn} has no suspension {id}"
        ))),
    }
}

fn decode_activity(row: &SqlRow) -> Result<ActivityRecord, StoreError> {
    Ok(ActivityRecord {
        arn: row.text(0)?.unwrap_or_default(),
        name: row.text(1)?.unwrap_or_default(),
        creation_date: from_millis(row.int(2)?.unwrap_or_default()),
    })
}

async fn find_activity<T: Tx>(t: &T, arn: &str) -> Result<Option<ActivityRecord>, StoreError> {
    let rows = t.query(schema::ACTIVITY, vec![arn.into()]).await?;
    rows.first().map(decode_activity).transpose()
}

async fn list_activities<T: Tx>(
    t: &T,
    page: &PageRequest,
) -> Result<Page<ActivityRecord>, StoreError> {
    const KIND: &str = "activities";
    let size = page.size()?;
    let after = match &page.next_token {
        Some(token) => schema::untoken(KIND, token)?,
        None => String::new(),
    };
    let rows = t
        .query(
            schema::LIST_ACTIVITIES,
            vec![after.into(), (size as i64 + 1).into()],
        )
        .await?;
    let mut items = rows
        .iter()
        .map(decode_activity)
        .collect::<Result<Vec<_>, _>>()?;
    let next_token = (items.len() > size).then(|| {
        items.truncate(size);
        schema::token(KIND, &items[size - 1].arn)
    });
    Ok(Page { items, next_token })
}

/// The oldest untaken task of `activity`, taken by `worker`; another worker
/// taking it between the read and the update makes this one try the next.
async fn take_activity_task<T: Tx>(
    t: &T,
    activity: &str,
    worker: &str,
    now: OffsetDateTime,
) -> Result<Option<Suspension>, StoreError> {
    loop {
        let rows = t
            .query(schema::WAITING_ACTIVITY_TASK, vec![activity.into()])
            .await?;
        let Some(row) = rows.first() else {
            return Ok(None);
        };
        let (arn, id) = (
            row.text(0)?.unwrap_or_default(),
            row.text(1)?.unwrap_or_default(),
        );
        let Some(waiting) = find_suspension(t, &arn, &id, "").await? else {
            continue;
        };
        let heartbeat = waiting
            .heartbeat_seconds
            .map(|s| to_millis(now + time::Duration::seconds(s as i64)));
        let taken = t
            .execute(
                schema::TAKE_ACTIVITY_TASK,
                vec![
                    arn.as_str().into(),
                    id.as_str().into(),
                    worker.into(),
                    to_millis(now).into(),
                    heartbeat.into(),
                ],
            )
            .await?;
        if taken == 0 {
            continue;
        }
        if t.dialect() == Dialect::Postgres {
            t.execute(schema::NOTIFY, vec![arn.as_str().into()]).await?;
        }
        return find_suspension(t, &arn, &id, "").await;
    }
}

/// A Map Run with its children counted ([`StoreError::ResourceNotFound`]
/// when there is none).
async fn map_run<T: Tx>(t: &T, arn: &str) -> Result<MapRunRecord, StoreError> {
    let statement = format!(
        "SELECT {} FROM asl_map_runs WHERE arn = $1",
        schema::MAP_RUN_COLUMNS
    );
    let rows = t.query(&statement, vec![arn.into()]).await?;
    let Some(row) = rows.first() else {
        return Err(StoreError::ResourceNotFound(format!(
            "Map Run Does Not Exist: {arn}"
        )));
    };
    let mut run = schema::decode_map_run(row)?;
    if let Some((children, items)) = schema::decode_map_run_counts(row)? {
        // EXPRESS: counted as it ran; its children can always run again.
        (run.children, run.items) = (children, items);
        return Ok(run);
    }
    let not_redrivable_before =
        OffsetDateTime::now_utc() - time::Duration::days(super::REDRIVE_DAYS);
    let counts = t
        .query(
            schema::MAP_RUN_COUNTS,
            vec![
                arn.into(),
                i64::from(run.redrive_count).into(),
                to_millis(not_redrivable_before).into(),
            ],
        )
        .await?;
    let running = run.status == ExecutionStatus::Running;
    for row in &counts {
        let Some(status) = row.text(0)?.as_deref().and_then(ExecutionStatus::parse) else {
            continue;
        };
        let before_redrive = row.int(1)? == Some(1);
        let too_old = row.int(2)? == Some(1);
        let children = row.int(3)?.unwrap_or(0).max(0) as u64;
        let items = row.int(4)?.unwrap_or(0).max(0) as u64;
        let unsuccessful = status.is_redrivable();
        for (counts, n) in [(&mut run.children, children), (&mut run.items, items)] {
            if unsuccessful && too_old {
                counts.failures_not_redrivable += n;
            }
            // A redriven Map Run runs its unsuccessful children again: until
            // then they wait (AWS's "pending redrive"), not counted as failed.
            if running && before_redrive && unsuccessful && !too_old {
                counts.pending_redrive += n;
            } else {
                counts.add(status, n);
            }
        }
    }
    Ok(run)
}

/// One page of ListMapRuns: one row more than asked says there is a next.
async fn map_runs<T: Tx>(
    t: &T,
    execution: &str,
    page: &PageRequest,
) -> Result<Page<MapRunRecord>, StoreError> {
    let size = page.size()?;
    let (date, after) = page_after("maprun", page)?.unwrap_or((i64::MAX, String::new()));
    let rows = t
        .query(
            &schema::map_runs_page(),
            vec![
                execution.into(),
                date.into(),
                after.into(),
                (size as i64 + 1).into(),
            ],
        )
        .await?;
    let mut items = Vec::with_capacity(rows.len());
    for row in &rows {
        let run = schema::decode_map_run(row)?;
        items.push(map_run(t, &run.arn).await?);
    }
    Ok(cut_page("maprun", items, size, |r| {
        (r.start_date, r.arn.as_str())
    }))
}

/// One page of the children of a Map Run.
async fn map_run_executions<T: Tx>(
    t: &T,
    arn: &str,
    status: Option<ExecutionStatus>,
    page: &PageRequest,
) -> Result<Page<(ExecutionRecord, u64)>, StoreError> {
    let size = page.size()?;
    let mut params: Vec<Sql> = vec![arn.into()];
    if let Some(s) = status {
        params.push(s.as_str().into());
    }
    let after = page_after("children", page)?;
    if let Some((date, last)) = &after {
        params.push((*date).into());
        params.push(last.into());
    }
    let statement = schema::map_run_executions(status.is_some(), after.is_some(), size + 1);
    let rows = t.query(&statement, params).await?;
    let items = rows
        .iter()
        .map(|row| {
            Ok((
                schema::decode(row)?,
                row.int(25)?.unwrap_or(1).max(0) as u64,
            ))
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok(cut_page("children", items, size, |(e, _)| {
        (e.start_date, e.arn.as_str())
    }))
}

/// A child of a Map Run, stored as it starts: one left RUNNING by a crash
/// (its parent runs it again) is forgotten first.
async fn start_child<T: Tx>(t: &T, child: &ChildStart) -> Result<(), StoreError> {
    let r = &child.record;
    if child.continued {
        let continued = t
            .query(
                schema::CONTINUE_CHILD,
                vec![
                    r.arn.as_str().into(),
                    i64::from(r.redrive_count).into(),
                    to_millis(r.redrive_date.unwrap_or(r.start_date)).into(),
                    r.next_event_id.into(),
                ],
            )
            .await?;
        // None ended under that ARN (a crash came after it ran again):
        // stored anew, as a child in flight at a crash.
        if !continued.is_empty() {
            let exec = exec_id(&continued, &r.arn)?;
            let events: Vec<_> = child.events.iter().map(|e| (exec, e)).collect();
            return insert_events(t, &events).await;
        }
    }
    for statement in schema::FORGET {
        t.execute(statement, vec![r.arn.as_str().into()]).await?;
    }
    let statement = schema::INSERT_CHILD.replace("{exec_id}", t.dialect().next_exec_id());
    let inserted = t
        .query(
            &statement,
            vec![
                r.arn.as_str().into(),
                r.name.as_str().into(),
                r.workflow.as_str().into(),
                r.definition_hash.as_str().into(),
                schema::text(&r.input).into(),
                to_millis(r.start_date).into(),
                r.next_event_id.into(),
                child.map_run_arn.as_str().into(),
                child.index.into(),
                child.items.into(),
                i64::from(r.redrive_count).into(),
            ],
        )
        .await?;
    let exec = exec_id(&inserted, &r.arn)?;
    let events: Vec<_> = child.events.iter().map(|e| (exec, e)).collect();
    insert_events(t, &events).await
}

async fn find<T: Tx>(t: &T, arn: &str, lock: &str) -> Result<Option<ExecutionRecord>, StoreError> {
    let statement = format!("{} {lock}", schema::select("arn = $1"));
    let rows = t.query(&statement, vec![arn.into()]).await?;
    rows.first().map(schema::decode).transpose()
}

async fn get<T: Tx>(t: &T, arn: &str, lock: &str) -> Result<ExecutionRecord, StoreError> {
    find(t, arn, lock)
        .await?
        .ok_or_else(|| StoreError::ExecutionDoesNotExist(arn.to_string()))
}

/// Appends `events` (of one execution or several, by `exec_id`) to their
/// histories in one statement: PostgreSQL binds a column as an array, SQLite
/// lists the rows.
async fn insert_events<T: Tx>(t: &T, events: &[(i64, &StoredEvent)]) -> Result<(), StoreError> {
    match events {
        [] => Ok(()),
        [(exec, e)] => t
            .execute(schema::INSERT_EVENT, event_params(*exec, e))
            .await
            .map(drop),
        _ if t.dialect() == Dialect::Postgres => {
            let n = events.len();
            let (mut execs, mut ids, mut ats, mut types, mut states, mut details, mut previous) = (
                Vec::with_capacity(n),
                Vec::with_capacity(n),
                Vec::with_capacity(n),
                Vec::with_capacity(n),
                Vec::with_capacity(n),
                Vec::with_capacity(n),
                Vec::with_capacity(n),
            );
            for (exec, e) in events {
                let (id, at, text) = schema::event_row(e);
                execs.push(Some(*exec));
                ids.push(Some(id));
                ats.push(Some(at));
                types.push(Some(e.event_type.as_str().to_string()));
                states.push(e.state.clone());
                details.push(Some(text));
                previous.push(Some(e.previous_event_id as i64));
            }
            let params = vec![
                Sql::Ints(execs),
                Sql::Ints(ids),
                Sql::Ints(ats),
                Sql::Texts(types),
                Sql::Texts(states),
                Sql::Texts(details),
                Sql::Ints(previous),
            ];
            t.execute(schema::INSERT_EVENTS_MANY, params)
                .await
                .map(drop)
        }
        _ => {
            let mut statement = String::from(schema::INSERT_EVENT_ROWS);
            let mut params = Vec::with_capacity(events.len() * 7);
            for (i, (exec, e)) in events.iter().enumerate() {
                let b = i * 7;
                statement.push_str(if i == 0 { " " } else { ", " });
                statement.push_str(&format!(
                    "(${}, ${}, ${}, ${}, ${}, ${}, ${})",
                    b + 1,
                    b + 2,
                    b + 3,
                    b + 4,
                    b + 5,
                    b + 6,
                    b + 7
                ));
                params.extend(event_params(*exec, e));
            }
            t.execute(&statement, params).await.map(drop)
        }
    }
}

/// The parameters of [`schema::INSERT_EVENT`].
fn event_params(exec: i64, e: &StoredEvent) -> Vec<Sql> {
    let (id, at, details) = schema::event_row(e);
    vec![
        exec.into(),
        id.into(),
        at.into(),
        e.event_type.as_str().into(),
        e.state.clone().into(),
        details.into(),
        e.previous_event_id.into(),
    ]
}

/// The `exec_id` a statement returned in its first column.
fn exec_id(rows: &[SqlRow], arn: &str) -> Result<i64, StoreError> {
    rows.first()
        .map(|r| r.int(0))
        .transpose()?
        .flatten()
        .ok_or_else(|| StoreError::Backend(format!("execution {arn} has no exec_id")))
}

async fn insert<T: Tx>(
    t: &T,
    record: &ExecutionRecord,
    events: &[StoredEvent],
) -> Result<Inserted, StoreError> {
    let found = find(t, &record.arn, "").await?;
    match schema::existing(found, &record.input, record.start_date)? {
        schema::Existing::Same(found) => return Ok(Inserted::Existing(found)),
        schema::Existing::Insert { forget: true } => {
            for statement in schema::FORGET {
                t.execute(statement, vec![record.arn.as_str().into()])
                    .await?;
            }
        }
        schema::Existing::Insert { forget: false } => {}
    }
    let p = record.position.as_ref();
    let lease_ms = record
        .lease_until
        .map(|until| (until - record.start_date).whole_milliseconds() as i64);
    let statement = schema::INSERT
        .replace("{now}", t.dialect().now())
        .replace("{exec_id}", t.dialect().next_exec_id());
    let inserted = t
        .query(
            &statement,
            vec![
                record.arn.as_str().into(),
                record.name.as_str().into(),
                record.workflow.as_str().into(),
                record.definition_hash.as_str().into(),
                schema::text(&record.input).into(),
                to_millis(record.start_date).into(),
                p.map(|p| p.state.clone()).into(),
                p.map(|p| schema::text(&p.input)).into(),
                p.map(|p| schema::text(&p.variables)).into(),
                "[]".into(),
                record.next_event_id.into(),
                record.owner.clone().into(),
                lease_ms.into(),
                record.cleanup.into(),
            ],
        )
        .await?;
    if inserted.is_empty() {
        // Another process started the same name at the same moment (its
        // transaction committed while this one waited on the row): its rules
        // decide, as if it had come first.
        let found = find(t, &record.arn, "").await?;
        return match schema::existing(found, &record.input, record.start_date)? {
            schema::Existing::Same(found) => Ok(Inserted::Existing(found)),
            schema::Existing::Insert { .. } => Err(StoreError::Backend(format!(
                "execution {} was inserted and removed concurrently",
                record.arn
            ))),
        };
    }
    let exec = exec_id(&inserted, &record.arn)?;
    let events: Vec<_> = events.iter().map(|e| (exec, e)).collect();
    insert_events(t, &events).await?;
    Ok(Inserted::Created)
}

/// One write of the engine: the fence first, alone (moving the position in the
/// same statement), then everything else sent at once (one round trip on
/// PostgreSQL), all under the row lock the fence took.
async fn apply_write<T: Tx>(t: &T, write: &Write) -> Result<(), StoreError> {
    apply_write_with(t, write, None).await
}

/// [`apply_write`] with one more statement, run first after the fence.
async fn apply_write_with<T: Tx>(
    t: &T,
    write: &Write,
    first: Option<(&str, Vec<Sql>)>,
) -> Result<(), StoreError> {
    let arn = write.arn.as_str();
    let mut statements: Vec<(Cow<'static, str>, Vec<Sql>)> = Vec::new();
    let fenced = match (&write.owner, &write.position) {
        (None, _) => {
            if let Some(p) = &write.position {
                statements.push((schema::SET_POSITION.into(), position_params(arn, p)));
            }
            t.query(
                schema::UNFENCED,
                vec![arn.into(), write.next_event_id.into()],
            )
            .await?
        }
        (Some(owner), None) => {
            t.query(
                schema::FENCE,
                vec![
                    arn.into(),
                    owner.as_str().into(),
                    write.epoch.into(),
                    write.next_event_id.into(),
                ],
            )
            .await?
        }
        (Some(owner), Some(p)) => {
            let mut params = vec![
                arn.into(),
                owner.as_str().into(),
                write.epoch.into(),
                write.next_event_id.into(),
            ];
            params.extend(position_params(arn, p).into_iter().skip(1));
            t.query(schema::FENCE_AT, params).await?
        }
    };
    if fenced.is_empty() {
        return Err(StoreError::NotOwner(write.arn.clone()));
    }
    let exec = exec_id(&fenced, arn)?;
    let first = first.map(|(sql, params)| (Cow::Owned(sql.to_string()), params));
    let statements: Vec<_> = first
        .into_iter()
        .chain(statements)
        .chain(after_fence(t.dialect(), write))
        .collect();
    let events: Vec<_> = write.events.iter().map(|e| (exec, e)).collect();
    after_fence_run(t, &events, statements).await?;
    Ok(())
}

/// A position as the columns store it: state, input, variables, retries
/// (text), entry event id and entry time (integers).
struct PositionRow {
    texts: [String; 4],
    entered_event_id: Option<i64>,
    entered_time: Option<i64>,
}

impl PositionRow {
    fn of(p: &Position) -> PositionRow {
        PositionRow {
            texts: [
                p.state.clone(),
                schema::text(&p.input),
                schema::text(&p.variables),
                serde_json::to_string(&p.retries).unwrap_or_else(|_| "[]".into()),
            ],
            entered_event_id: p.entered_event_id.map(|id| id as i64),
            entered_time: p.entered_time.map(to_millis),
        }
    }
}

/// The parameters of [`schema::SET_POSITION`]: `arn`, then the position.
fn position_params(arn: &str, p: &Position) -> Vec<Sql> {
    let row = PositionRow::of(p);
    let mut params = vec![arn.into()];
    params.extend(row.texts.map(Sql::Text));
    params.push(row.entered_event_id.into());
    params.push(row.entered_time.into());
    params
}

/// What a fenced write does after its fence, sent at once: its `events` (by
/// `exec_id`) and the other `statements`.
async fn after_fence_run<T: Tx>(
    t: &T,
    events: &[(i64, &StoredEvent)],
    statements: Vec<(Cow<'static, str>, Vec<Sql>)>,
) -> Result<(), StoreError> {
    let rest = try_join_all(
        statements
            .into_iter()
            .map(|(sql, params)| async move { t.execute(&sql, params).await }),
    );
    futures_util::future::try_join(insert_events(t, events), rest).await?;
    Ok(())
}

/// What a write changes once its fence passed, but its events and position:
/// progress (cleared first), deleted resources, its end or its park.
fn after_fence(dialect: Dialect, write: &Write) -> Vec<(Cow<'static, str>, Vec<Sql>)> {
    let arn = write.arn.as_str();
    let mut statements: Vec<(Cow<'static, str>, Vec<Sql>)> = Vec::new();
    if write.clear_progress {
        statements.push((schema::CLEAR_PROGRESS.into(), vec![arn.into()]));
    }
    for (frame, index, output) in &write.progress {
        statements.push((
            schema::INSERT_PROGRESS.into(),
            vec![
                arn.into(),
                frame.as_str().into(),
                (*index).into(),
                schema::text(output).into(),
            ],
        ));
    }
    for seq in &write.deleted {
        statements.push((schema::MARK_DELETED.into(), vec![arn.into(), (*seq).into()]));
    }
    if let Some(end) = &write.end {
        statements.push((
            schema::SET_END.into(),
            vec![
                arn.into(),
                end.status.as_str().into(),
                end.output.as_ref().map(schema::text).into(),
                end.error.clone().into(),
                end.cause.clone().into(),
                to_millis(end.date).into(),
            ],
        ));
    }
    // Built only for a write that parks: not on every transition's write.
    if let (None, Some(until)) = (&write.end, write.park_until) {
        statements.push((
            schema::PARK.replace("{now}", dialect.now()).into(),
            vec![
                arn.into(),
                to_millis(until).into(),
                write.park_on.clone().into(),
            ],
        ));
    }
    statements
}

/// Runs `ops`, each on a different execution, side by side in one
/// transaction. On PostgreSQL the engine's fenced writes among them go as one
/// batch: one statement fences them all and moves their positions, one
/// appends all their events, so a group of a hundred transitions costs a few
/// statements instead of hundreds. A [`StoreError::Backend`] answer means the
/// transaction must be rolled back.
#[cfg_attr(not(feature = "postgres"), allow(dead_code))]
pub(crate) async fn apply_independent<T: Tx>(t: &T, ops: &[Op]) -> Vec<Result<Answer, StoreError>> {
    let batched = |op: &Op| matches!(op, Op::Write(w) if w.owner.is_some());
    let writes: Vec<&Write> = ops
        .iter()
        .filter_map(|op| match op {
            Op::Write(w) if batched(op) => Some(&**w),
            _ => None,
        })
        .collect();
    if t.dialect() != Dialect::Postgres || writes.len() < 2 {
        return futures_util::future::join_all(ops.iter().map(|op| apply(t, op))).await;
    }
    let others =
        futures_util::future::join_all(ops.iter().filter(|op| !batched(op)).map(|op| apply(t, op)));
    let (others, written) = futures_util::future::join(others, apply_writes(t, &writes)).await;
    let mut others = others.into_iter();
    let mut written = match written {
        Ok(results) => results.into_iter(),
        Err(e) => vec![Err(e); writes.len()].into_iter(),
    };
    ops.iter()
        .map(|op| {
            let next = if batched(op) {
                written.next().map(|r| r.map(|()| Answer::Done))
            } else {
                others.next()
            };
            next.unwrap_or_else(|| Err(StoreError::backend("a grouped operation went unanswered")))
        })
        .collect()
}

/// Fenced writes of different executions in one batch (PostgreSQL): each
/// passes or fails its own fence, as [`apply_write`] alone would.
#[cfg_attr(not(feature = "postgres"), allow(dead_code))]
async fn apply_writes<T: Tx>(
    t: &T,
    writes: &[&Write],
) -> Result<Vec<Result<(), StoreError>>, StoreError> {
    let n = writes.len();
    // One array per column of FENCE_MANY's `v`.
    let (mut arns, mut owners, mut epochs, mut next_ids, mut moved) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    let mut texts: [Vec<Option<String>>; 4] = Default::default();
    let (mut entered_ids, mut entered_times) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for w in writes {
        arns.push(Some(w.arn.clone()));
        owners.push(w.owner.clone());
        epochs.push(Some(w.epoch as i64));
        next_ids.push(Some(w.next_event_id as i64));
        moved.push(w.position.is_some());
        let row = w.position.as_ref().map(PositionRow::of);
        match row {
            Some(row) => {
                for (column, text) in texts.iter_mut().zip(row.texts) {
                    column.push(Some(text));
                }
                entered_ids.push(row.entered_event_id);
                entered_times.push(row.entered_time);
            }
            None => {
                texts.iter_mut().for_each(|column| column.push(None));
                entered_ids.push(None);
                entered_times.push(None);
            }
        }
    }
    let [states, inputs, variables, retries] = texts;
    let params = vec![
        Sql::Texts(arns),
        Sql::Texts(owners),
        Sql::Ints(epochs),
        Sql::Ints(next_ids),
        Sql::Bools(moved),
        Sql::Texts(states),
        Sql::Texts(inputs),
        Sql::Texts(variables),
        Sql::Texts(retries),
        Sql::Ints(entered_ids),
        Sql::Ints(entered_times),
    ];
    let rows = t.query(schema::FENCE_MANY, params).await?;
    let mut passed = std::collections::HashMap::with_capacity(rows.len());
    for row in &rows {
        if let (Some(arn), Some(exec)) = (row.text(0)?, row.int(1)?) {
            passed.insert(arn, exec);
        }
    }
    let fenced: Vec<(&Write, i64)> = writes
        .iter()
        .filter_map(|w| passed.get(&w.arn).map(|exec| (*w, *exec)))
        .collect();
    let events: Vec<_> = fenced
        .iter()
        .flat_map(|(w, exec)| w.events.iter().map(|e| (*exec, e)))
        .collect();
    let statements: Vec<_> = fenced
        .iter()
        .flat_map(|(w, _)| after_fence(t.dialect(), w))
        .collect();
    after_fence_run(t, &events, statements).await?;
    Ok(writes
        .iter()
        .map(|w| {
            if passed.contains_key(&w.arn) {
                Ok(())
            } else {
                Err(StoreError::NotOwner(w.arn.clone()))
            }
        })
        .collect())
}

async fn claim<T: Tx>(
    t: &T,
    owner: &str,
    workflows: &[String],
    lease_ms: i64,
    limit: usize,
    skip: &[String],
) -> Result<Vec<ExecutionRecord>, StoreError> {
    let dialect = t.dialect();
    let statement = schema::claimable(workflows.len(), dialect.now(), dialect.skip_locked());
    let mut params: Vec<Sql> = vec![owner.into(), ((limit + skip.len()) as i64).into()];
    params.extend(workflows.iter().map(Sql::from));
    let rows = t.query(&statement, params).await?;
    let mut claimed = Vec::new();
    for row in &rows {
        let record = schema::decode(row)?;
        if claimed.len() < limit && !skip.contains(&record.arn) {
            claimed.push(record);
        }
    }
    let take = schema::CLAIM.replace("{now}", dialect.now());
    let taken = claimed.iter().map(|record| {
        t.query(
            &take,
            vec![record.arn.as_str().into(), owner.into(), lease_ms.into()],
        )
    });
    let taken = try_join_all(taken).await?;
    for (record, rows) in claimed.iter_mut().zip(taken) {
        let row = rows.first();
        record.owner = Some(owner.to_string());
        record.epoch = row.map(|r| r.int(0)).transpose()?.flatten().unwrap_or(0) as u64;
        record.lease_until = row
            .map(|r| r.int(1))
            .transpose()?
            .flatten()
            .map(from_millis);
        record.wake_at = None;
    }
    Ok(claimed)
}

async fn stop<T: Tx>(
    t: &T,
    arn: &str,
    error: Option<&str>,
    cause: Option<&str>,
    now: OffsetDateTime,
) -> Result<OffsetDateTime, StoreError> {
    // Locked: the owner's next write waits for this one, then finds the
    // execution ABORTED and is refused.
    let record = get(t, arn, t.dialect().for_update()).await?;
    if record.status != ExecutionStatus::Running {
        return Ok(record.stop_date.unwrap_or(now));
    }
    let event = schema::aborted_event(record.next_event_id, error, cause, now);
    let stopped = t
        .query(
            schema::STOP,
            vec![
                arn.into(),
                error.into(),
                cause.into(),
                to_millis(now).into(),
                (record.next_event_id + 1).into(),
            ],
        )
        .await?;
    insert_events(t, &[(exec_id(&stopped, arn)?, &event)]).await?;
    Ok(now)
}

async fn redrive<T: Tx>(
    t: &T,
    arn: &str,
    now: OffsetDateTime,
) -> Result<ExecutionRecord, StoreError> {
    let record = get(t, arn, t.dialect().for_update()).await?;
    schema::check_redrive(&record, now)?;
    let event = schema::redriven_event(record.next_event_id, record.redrive_count + 1, now);
    let redriven = t
        .query(
            schema::REDRIVE,
            vec![
                arn.into(),
                to_millis(now).into(),
                (record.next_event_id + 1).into(),
            ],
        )
        .await?;
    insert_events(t, &[(exec_id(&redriven, arn)?, &event)]).await?;
    get(t, arn, "").await
}

/// Deletes up to 1,000 executions that stopped before `before` per call.
async fn purge<T: Tx>(t: &T, before: OffsetDateTime) -> Result<u64, StoreError> {
    let rows = t
        .query(
            schema::EXPIRED,
            vec![to_millis(before).into(), 1000i64.into()],
        )
        .await?;
    let mut purged = 0;
    for row in &rows {
        let Some(arn) = row.text(0)? else { continue };
        for statement in schema::FORGET {
            t.execute(statement, vec![arn.as_str().into()]).await?;
        }
        purged += 1;
    }
    Ok(purged)
}

/// Creates the tables of a new database, or migrates an older one forward;
/// refuses one written by a newer version.
pub(crate) async fn migrate<T: Tx>(t: &T) -> Result<(), StoreError> {
    t.execute(schema::SCHEMA_TABLE, Vec::new()).await?;
    let rows = t.query(schema::SCHEMA_READ, Vec::new()).await?;
    let version = match rows.first().map(|r| r.int(0)).transpose()?.flatten() {
        Some(v) => v,
        None => {
            let rows = t
                .query(t.dialect().table_exists(), vec!["asl_executions".into()])
                .await?;
            let exists = rows.first().map(|r| r.int(0)).transpose()?.flatten();
            // Version 1 had no schema table.
            if exists.unwrap_or(0) > 0 { 1 } else { 0 }
        }
    };
    if version > schema::SCHEMA_VERSION {
        return Err(StoreError::Backend(format!(
            "the database has schema version {version}, written by a newer asl; \
             this program knows versions up to {}",
            schema::SCHEMA_VERSION
        )));
    }
    if version > 0 {
        for migration in &schema::MIGRATIONS[(version - 1) as usize..] {
            for statement in *migration {
                t.execute(statement, Vec::new()).await?;
            }
        }
    }
    for statement in schema::TABLES.iter().chain(schema::INDEXES) {
        t.execute(statement, Vec::new()).await?;
    }
    if t.dialect() == Dialect::Postgres {
        t.execute("CREATE SEQUENCE IF NOT EXISTS asl_exec_ids", Vec::new())
            .await?;
        if (1..4).contains(&version) {
            // Numbers after those the migration gave the executions there were.
            t.execute(
                "SELECT setval('asl_exec_ids', \
                 (SELECT COALESCE(MAX(exec_id), 0) + 1 FROM asl_executions), false)",
                Vec::new(),
            )
            .await?;
        }
    }
    t.execute(schema::SCHEMA_CLEAR, Vec::new()).await?;
    t.execute(schema::SCHEMA_SET, vec![schema::SCHEMA_VERSION.into()])
        .await?;
    Ok(())
}

pub(crate) fn unexpected(answer: Answer) -> StoreError {
    StoreError::Backend(format!("the store answered {answer:?} unexpectedly"))
}

macro_rules! answer {
    ($future:expr, Done) => {{
        let future = $future;
        Box::pin(async move {
            match future.await? {
                $crate::store::ops::Answer::Done => Ok(()),
                other => Err($crate::store::ops::unexpected(other)),
            }
        })
    }};
    ($future:expr, $variant:ident) => {{
        let future = $future;
        Box::pin(async move {
            match future.await? {
                $crate::store::ops::Answer::$variant(v) => Ok(v),
                other => Err($crate::store::ops::unexpected(other)),
            }
        })
    }};
}
pub(crate) use answer;

/// `impl ExecutionStore for $store` over its `fn submit(&self, Op) ->
/// StoreFuture<'static, Answer>`: every backend answers the API the same way.
macro_rules! execution_store {
    ($store:ty) => {
        impl ExecutionStore for $store {
            fn insert<'a>(
                &'a self,
                record: &'a ExecutionRecord,
                events: &'a [StoredEvent],
            ) -> StoreFuture<'a, Inserted> {
                $crate::store::ops::answer!(
                    self.submit($crate::store::ops::Op::Insert(
                        Box::new(record.clone()),
                        events.to_vec()
                    )),
                    Inserted
                )
            }

            fn write<'a>(&'a self, write: Write) -> StoreFuture<'a, ()> {
                let parked = write.park_until.is_some().then(|| write.arn.clone());
                let future = self.submit($crate::store::ops::Op::Write(Box::new(write)));
                Box::pin(async move {
                    match future.await? {
                        $crate::store::ops::Answer::Done => {
                            if let Some(arn) = parked {
                                let _ = self.wakes.send(arn);
                            }
                            Ok(())
                        }
                        other => Err($crate::store::ops::unexpected(other)),
                    }
                })
            }

            fn record_created<'a>(
                &'a self,
                arn: &'a str,
                kind: &'a str,
                id: &'a ::serde_json::Value,
            ) -> StoreFuture<'a, u64> {
                $crate::store::ops::answer!(
                    self.submit($crate::store::ops::Op::Created {
                        arn: arn.to_string(),
                        kind: kind.to_string(),
                        id: $crate::store::schema::text(id),
                    }),
                    Seq
                )
            }

            fn claim<'a>(
                &'a self,
                owner: &'a str,
                workflows: &'a [&'a str],
                lease: ::std::time::Duration,
                limit: usize,
                skip: &'a [String],
            ) -> StoreFuture<'a, Vec<ExecutionRecord>> {
                $crate::store::ops::answer!(
                    self.submit($crate::store::ops::Op::Claim {
                        owner: owner.to_string(),
                        workflows: workflows.iter().map(|w| w.to_string()).collect(),
                        lease_ms: lease.as_millis() as i64,
                        limit,
                        skip: skip.to_vec(),
                    }),
                    Records
                )
            }

            fn renew<'a>(
                &'a self,
                owner: &'a str,
                held: &'a [(String, u64)],
                lease: ::std::time::Duration,
            ) -> StoreFuture<'a, Vec<(String, u64)>> {
                $crate::store::ops::answer!(
                    self.submit($crate::store::ops::Op::Renew {
                        owner: owner.to_string(),
                        held: held.to_vec(),
                        lease_ms: lease.as_millis() as i64,
                    }),
                    Lost
                )
            }

            fn describe<'a>(&'a self, arn: &'a str) -> StoreFuture<'a, ExecutionRecord> {
                let future = self.submit($crate::store::ops::Op::Describe(arn.to_string()));
                Box::pin(async move {
                    match future.await? {
                        $crate::store::ops::Answer::Record(r) => Ok(*r),
                        other => Err($crate::store::ops::unexpected(other)),
                    }
                })
            }

            fn list<'a>(&'a self, filter: &'a ListFilter) -> StoreFuture<'a, Vec<ExecutionRecord>> {
                $crate::store::ops::answer!(
                    self.submit($crate::store::ops::Op::List(filter.clone(), None)),
                    Records
                )
            }

            fn history<'a>(&'a self, arn: &'a str) -> StoreFuture<'a, Vec<StoredEvent>> {
                $crate::store::ops::answer!(
                    self.submit($crate::store::ops::Op::History(arn.to_string(), None)),
                    Events
                )
            }

            fn list_page<'a>(
                &'a self,
                filter: &'a ListFilter,
                page: &'a PageRequest,
            ) -> StoreFuture<'a, Page<ExecutionRecord>> {
                $crate::store::ops::answer!(
                    self.submit($crate::store::ops::Op::List(
                        filter.clone(),
                        Some(page.clone())
                    )),
                    RecordPage
                )
            }

            fn history_page<'a>(
                &'a self,
                arn: &'a str,
                page: &'a PageRequest,
                reverse_order: bool,
            ) -> StoreFuture<'a, Page<StoredEvent>> {
                $crate::store::ops::answer!(
                    self.submit($crate::store::ops::Op::History(
                        arn.to_string(),
                        Some((page.clone(), reverse_order))
                    )),
                    EventPage
                )
            }

            fn progress<'a>(&'a self, arn: &'a str) -> StoreFuture<'a, Vec<Progress>> {
                $crate::store::ops::answer!(
                    self.submit($crate::store::ops::Op::Progress(arn.to_string())),
                    Progress
                )
            }

            fn created<'a>(&'a self, arn: &'a str) -> StoreFuture<'a, Vec<CreatedResource>> {
                $crate::store::ops::answer!(
                    self.submit($crate::store::ops::Op::Resources(arn.to_string())),
                    Resources
                )
            }

            fn stop<'a>(
                &'a self,
                arn: &'a str,
                error: Option<&'a str>,
                cause: Option<&'a str>,
                now: OffsetDateTime,
            ) -> StoreFuture<'a, OffsetDateTime> {
                $crate::store::ops::answer!(
                    self.submit($crate::store::ops::Op::Stop {
                        arn: arn.to_string(),
                        error: error.map(str::to_string),
                        cause: cause.map(str::to_string),
                        now,
                    }),
                    Date
                )
            }

            fn redrive<'a>(
                &'a self,
                arn: &'a str,
                now: OffsetDateTime,
            ) -> StoreFuture<'a, ExecutionRecord> {
                let future = self.submit($crate::store::ops::Op::Redrive(arn.to_string(), now));
                Box::pin(async move {
                    match future.await? {
                        $crate::store::ops::Answer::Record(r) => Ok(*r),
                        other => Err($crate::store::ops::unexpected(other)),
                    }
                })
            }

            fn purge<'a>(&'a self, stopped_before: OffsetDateTime) -> StoreFuture<'a, u64> {
                $crate::store::ops::answer!(
                    self.submit($crate::store::ops::Op::Purge(stopped_before)),
                    Count
                )
            }

            fn suspend<'a>(
                &'a self,
                write: Write,
                suspension: Suspension,
            ) -> StoreFuture<'a, Suspension> {
                let parked = write.park_until.is_some().then(|| write.arn.clone());
                let future = self.submit($crate::store::ops::Op::Suspend(
                    Box::new(write),
                    Box::new(suspension),
                ));
                Box::pin(async move {
                    match future.await? {
                        $crate::store::ops::Answer::Suspension(s) => {
                            if let Some(arn) = parked {
                                let _ = self.wakes.send(arn);
                            }
                            Ok(*s)
                        }
                        other => Err($crate::store::ops::unexpected(other)),
                    }
                })
            }

            fn suspension<'a>(
                &'a self,
                arn: &'a str,
                id: &'a str,
            ) -> StoreFuture<'a, Option<Suspension>> {
                let future = self.submit($crate::store::ops::Op::Suspension {
                    arn: arn.to_string(),
                    id: id.to_string(),
                });
                Box::pin(async move {
                    match future.await? {
                        $crate::store::ops::Answer::MaybeSuspension(s) => Ok(s.map(|s| *s)),
                        other => Err($crate::store::ops::unexpected(other)),
                    }
                })
            }

            fn deliver<'a>(
                &'a self,
                token: &'a str,
                outcome: Outcome,
                now: OffsetDateTime,
            ) -> StoreFuture<'a, Suspension> {
                let future = self.submit($crate::store::ops::Op::Deliver {
                    token: token.to_string(),
                    outcome,
                    now,
                });
                Box::pin(async move {
                    match future.await? {
                        $crate::store::ops::Answer::Suspension(s) => {
                            let _ = self.wakes.send(s.arn.clone());
                            Ok(*s)
                        }
                        other => Err($crate::store::ops::unexpected(other)),
                    }
                })
            }

            fn heartbeat<'a>(
                &'a self,
                token: &'a str,
                now: OffsetDateTime,
            ) -> StoreFuture<'a, Suspension> {
                let future = self.submit($crate::store::ops::Op::Heartbeat {
                    token: token.to_string(),
                    now,
                });
                Box::pin(async move {
                    match future.await? {
                        $crate::store::ops::Answer::Suspension(s) => Ok(*s),
                        other => Err($crate::store::ops::unexpected(other)),
                    }
                })
            }

            fn resolve<'a>(
                &'a self,
                arn: &'a str,
                id: &'a str,
                outcome: Outcome,
                now: OffsetDateTime,
            ) -> StoreFuture<'a, Outcome> {
                $crate::store::ops::answer!(
                    self.submit($crate::store::ops::Op::Resolve {
                        arn: arn.to_string(),
                        id: id.to_string(),
                        outcome,
                        now,
                    }),
                    Outcome
                )
            }

            fn next_due<'a>(
                &'a self,
                workflows: &'a [&'a str],
            ) -> StoreFuture<'a, Option<OffsetDateTime>> {
                $crate::store::ops::answer!(
                    self.submit($crate::store::ops::Op::NextDue(
                        workflows.iter().map(|w| w.to_string()).collect()
                    )),
                    Due
                )
            }

            fn annotate<'a>(
                &'a self,
                write: Write,
                id: &'a str,
                details: &'a ::serde_json::Value,
            ) -> StoreFuture<'a, ()> {
                $crate::store::ops::answer!(
                    self.submit($crate::store::ops::Op::Annotate(
                        Box::new(write),
                        id.to_string(),
                        details.clone()
                    )),
                    Done
                )
            }

            fn create_activity<'a>(
                &'a self,
                arn: &'a str,
                name: &'a str,
                now: OffsetDateTime,
            ) -> StoreFuture<'a, $crate::store::ActivityRecord> {
                let future = self.submit($crate::store::ops::Op::CreateActivity {
                    arn: arn.to_string(),
                    name: name.to_string(),
                    now,
                });
                Box::pin(async move {
                    match future.await? {
                        $crate::store::ops::Answer::Activity(Some(a)) => Ok(a),
                        other => Err($crate::store::ops::unexpected(other)),
                    }
                })
            }

            fn activity<'a>(
                &'a self,
                arn: &'a str,
            ) -> StoreFuture<'a, Option<$crate::store::ActivityRecord>> {
                $crate::store::ops::answer!(
                    self.submit($crate::store::ops::Op::Activity(arn.to_string())),
                    Activity
                )
            }

            fn list_activities<'a>(
                &'a self,
                page: &'a PageRequest,
            ) -> StoreFuture<'a, Page<$crate::store::ActivityRecord>> {
                $crate::store::ops::answer!(
                    self.submit($crate::store::ops::Op::ListActivities(page.clone())),
                    Activities
                )
            }

            fn delete_activity<'a>(&'a self, arn: &'a str) -> StoreFuture<'a, ()> {
                $crate::store::ops::answer!(
                    self.submit($crate::store::ops::Op::DeleteActivity(arn.to_string())),
                    Done
                )
            }

            fn take_activity_task<'a>(
                &'a self,
                activity: &'a str,
                worker: &'a str,
                now: OffsetDateTime,
            ) -> StoreFuture<'a, Option<Suspension>> {
                let future = self.submit($crate::store::ops::Op::TakeActivityTask {
                    activity: activity.to_string(),
                    worker: worker.to_string(),
                    now,
                });
                Box::pin(async move {
                    match future.await? {
                        $crate::store::ops::Answer::MaybeSuspension(s) => {
                            if let Some(s) = &s {
                                let _ = self.wakes.send(s.arn.clone());
                            }
                            Ok(s.map(|s| *s))
                        }
                        other => Err($crate::store::ops::unexpected(other)),
                    }
                })
            }

            fn start_map_run<'a>(
                &'a self,
                write: Write,
                run: &'a MapRunRecord,
            ) -> StoreFuture<'a, MapRunRecord> {
                let future = self.submit($crate::store::ops::Op::StartMapRun(
                    Box::new(write),
                    Box::new(run.clone()),
                ));
                Box::pin(async move {
                    match future.await? {
                        $crate::store::ops::Answer::MapRun(r) => Ok(*r),
                        other => Err($crate::store::ops::unexpected(other)),
                    }
                })
            }

            fn redrive_map_run<'a>(
                &'a self,
                write: Write,
                arn: &'a str,
                now: ::time::OffsetDateTime,
            ) -> StoreFuture<'a, MapRunRecord> {
                let future = self.submit($crate::store::ops::Op::RedriveMapRun(
                    Box::new(write),
                    arn.to_string(),
                    now,
                ));
                Box::pin(async move {
                    match future.await? {
                        $crate::store::ops::Answer::MapRun(r) => Ok(*r),
                        other => Err($crate::store::ops::unexpected(other)),
                    }
                })
            }

            fn start_child<'a>(
                &'a self,
                write: Write,
                child: &'a ChildStart,
            ) -> StoreFuture<'a, ()> {
                $crate::store::ops::answer!(
                    self.submit($crate::store::ops::Op::StartChild(
                        Box::new(write),
                        Box::new(child.clone())
                    )),
                    Done
                )
            }

            fn end_child<'a>(&'a self, write: Write, child: &'a ChildEnd) -> StoreFuture<'a, ()> {
                $crate::store::ops::answer!(
                    self.submit($crate::store::ops::Op::EndChild(
                        Box::new(write),
                        Box::new(child.clone())
                    )),
                    Done
                )
            }

            fn end_map_run<'a>(
                &'a self,
                write: Write,
                arn: &'a str,
                status: ExecutionStatus,
                date: ::time::OffsetDateTime,
                progress: &'a $crate::store::MapRunProgress,
            ) -> StoreFuture<'a, ()> {
                $crate::store::ops::answer!(
                    self.submit($crate::store::ops::Op::EndMapRun {
                        write: Box::new(write),
                        arn: arn.to_string(),
                        status,
                        date,
                        progress: Box::new(progress.clone()),
                    }),
                    Done
                )
            }

            fn map_run_progress<'a>(
                &'a self,
                write: Write,
                arn: &'a str,
                progress: &'a $crate::store::MapRunProgress,
            ) -> StoreFuture<'a, ()> {
                $crate::store::ops::answer!(
                    self.submit($crate::store::ops::Op::MapRunProgress(
                        Box::new(write),
                        arn.to_string(),
                        Box::new(progress.clone())
                    )),
                    Done
                )
            }

            fn map_run<'a>(&'a self, arn: &'a str) -> StoreFuture<'a, MapRunRecord> {
                let future = self.submit($crate::store::ops::Op::MapRun(arn.to_string()));
                Box::pin(async move {
                    match future.await? {
                        $crate::store::ops::Answer::MapRun(r) => Ok(*r),
                        other => Err($crate::store::ops::unexpected(other)),
                    }
                })
            }

            fn map_runs<'a>(
                &'a self,
                execution_arn: &'a str,
                page: &'a PageRequest,
            ) -> StoreFuture<'a, Page<MapRunRecord>> {
                $crate::store::ops::answer!(
                    self.submit($crate::store::ops::Op::MapRuns(
                        execution_arn.to_string(),
                        page.clone()
                    )),
                    MapRuns
                )
            }

            fn update_map_run<'a>(
                &'a self,
                arn: &'a str,
                update: &'a MapRunUpdate,
            ) -> StoreFuture<'a, MapRunRecord> {
                let future = self.submit($crate::store::ops::Op::UpdateMapRun(
                    arn.to_string(),
                    update.clone(),
                ));
                Box::pin(async move {
                    match future.await? {
                        $crate::store::ops::Answer::MapRun(r) => Ok(*r),
                        other => Err($crate::store::ops::unexpected(other)),
                    }
                })
            }

            fn map_run_children<'a>(
                &'a self,
                arn: &'a str,
            ) -> StoreFuture<'a, Vec<(u64, ExecutionRecord)>> {
                $crate::store::ops::answer!(
                    self.submit($crate::store::ops::Op::MapRunChildren(arn.to_string())),
                    Children
                )
            }

            fn map_run_executions<'a>(
                &'a self,
                arn: &'a str,
                status: Option<ExecutionStatus>,
                page: &'a PageRequest,
            ) -> StoreFuture<'a, Page<(ExecutionRecord, u64)>> {
                $crate::store::ops::answer!(
                    self.submit($crate::store::ops::Op::MapRunExecutions(
                        arn.to_string(),
                        status,
                        page.clone()
                    )),
                    ChildPage
                )
            }

            fn parent_map_run<'a>(&'a self, arn: &'a str) -> StoreFuture<'a, Option<String>> {
                $crate::store::ops::answer!(
                    self.submit($crate::store::ops::Op::ParentMapRun(arn.to_string())),
                    Text
                )
            }

            fn wakeups(&self) -> ::tokio::sync::broadcast::Receiver<String> {
                self.wakes.subscribe()
            }
        }
    };
}
pub(crate) use execution_store;
