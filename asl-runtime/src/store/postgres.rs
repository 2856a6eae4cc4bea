//! The shared store: PostgreSQL, for several processes (or machines) running
//! the same program over the same executions.
//!
//! Claims lock the rows they take with `FOR UPDATE SKIP LOCKED`, so two
//! replicas never claim the same execution and neither waits for the other;
//! ownership is a lease in the row, renewed by its owner. Like the SQLite
//! store, one task owns the writing connection and commits every operation
//! waiting at once in one transaction (each under its own savepoint).

use std::collections::HashMap;
use std::sync::Mutex;

use futures_util::future::try_join_all;
use tokio::sync::{mpsc, oneshot};
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, NoTls, Statement, Transaction};

use super::schema::{self, Row};
use super::*;

/// The most operations one transaction carries.
const MAX_GROUP: usize = 1024;

type Reply<T> = oneshot::Sender<Result<T, StoreError>>;

/// What answers an operation once its group's transaction committed (`None`)
/// or failed.
type Finisher = Box<dyn FnOnce(Option<&StoreError>) + Send>;

/// One operation for the writer task, with where its answer goes.
enum Op {
    Insert(Box<ExecutionRecord>, Vec<StoredEvent>, Reply<Inserted>),
    Write(Box<Write>, Reply<()>),
    Created(String, String, String, Reply<u64>),
    Claim(Claim, Reply<Vec<ExecutionRecord>>),
    Renew(String, Vec<String>, i64, Reply<Vec<String>>),
    Describe(String, Reply<ExecutionRecord>),
    List(ListFilter, Reply<Vec<ExecutionRecord>>),
    History(String, Reply<Vec<StoredEvent>>),
    Progress(String, String, Reply<Vec<(u64, Value)>>),
    Resources(String, Reply<Vec<CreatedResource>>),
    Stop(
        String,
        Option<String>,
        Option<String>,
        OffsetDateTime,
        Reply<OffsetDateTime>,
    ),
    Redrive(String, OffsetDateTime, Reply<ExecutionRecord>),
}

struct Claim {
    owner: String,
    workflows: Vec<String>,
    now: i64,
    lease_until: i64,
    limit: usize,
    skip: Vec<String>,
}

/// An [`ExecutionStore`] in a PostgreSQL database.
///
/// ```no_run
/// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
/// let store = asl_runtime::store::PostgresStore::connect("postgres://asl@127.0.0.1/asl").await?;
/// let runtime = asl_runtime::Runtime::builder().store(store).owner("replica-a").build();
/// # Ok(()) }
/// ```
pub struct PostgresStore {
    ops: mpsc::UnboundedSender<Op>,
}

impl fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PostgresStore")
    }
}

async fn open(url: &str) -> Result<Client, StoreError> {
    let (client, connection) = tokio_postgres::connect(url, NoTls)
        .await
        .map_err(|e| StoreError::Backend(format!("cannot connect to PostgreSQL: {e}")))?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::warn!(target: "asl::store", "PostgreSQL connection closed: {e}");
        }
    });
    Ok(client)
}

impl PostgresStore {
    /// Connects to `url` (`postgres://user@host:port/database`, or key=value
    /// form) and creates the tables if they are missing. Loopback and private
    /// networks only: the connection is not encrypted.
    pub async fn connect(url: &str) -> Result<PostgresStore, StoreError> {
        let client = open(url).await?;
        // Several replicas may start at once: creating the tables is serialised
        // by an advisory lock held for that transaction only.
        client
            .batch_execute(&format!(
                "BEGIN; SELECT pg_advisory_xact_lock(7283910); {} COMMIT;",
                schema::TABLES
            ))
            .await
            .map_err(|e| StoreError::Backend(format!("cannot create the tables: {e}")))?;
        let (ops, queue) = mpsc::unbounded_channel();
        tokio::spawn(writer(client, url.to_string(), queue));
        Ok(PostgresStore { ops })
    }

    fn send<T>(&self, make: impl FnOnce(Reply<T>) -> Op) -> StoreFuture<'static, T>
    where
        T: Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let sent = self.ops.send(make(reply));
        Box::pin(async move {
            if sent.is_err() {
                return Err(StoreError::backend("the store's writer has stopped"));
            }
            answer
                .await
                .unwrap_or_else(|_| Err(StoreError::backend("the store's writer has stopped")))
        })
    }
}

/// The writer task: group after group until every handle is gone.
async fn writer(mut client: Client, url: String, mut queue: mpsc::UnboundedReceiver<Op>) {
    // Statements are prepared once per connection: a statement by text costs a
    // round trip to prepare it before the one that runs it.
    let mut cache = Cache::default();
    while let Some(first) = queue.recv().await {
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match queue.try_recv() {
                Ok(op) => group.push(op),
                Err(_) => break,
            }
        }
        if client.is_closed() {
            match open(&url).await {
                Ok(c) => {
                    client = c;
                    cache = Cache::default();
                }
                Err(e) => {
                    for op in group {
                        fail(op, &e);
                    }
                    continue;
                }
            }
        }
        let mut tx = match client.transaction().await {
            Ok(tx) => tx,
            Err(e) => {
                let e = StoreError::Backend(format!("cannot start a transaction: {e}"));
                for op in group {
                    fail(op, &e);
                }
                continue;
            }
        };
        // One operation alone needs no savepoint: its failure rolls back the
        // transaction instead. Operations on different executions are sent
        // together (pipelined on the connection), without savepoints: each
        // checks before it writes, so only a database error can leave a write
        // half done, and that rolls back the whole group. Anything else (two
        // operations on one execution, claims) runs one by one, each under a
        // savepoint.
        let (finishers, failed) = if group.len() == 1 || independent(&group) {
            let alone = group.len() == 1;
            let outcomes =
                futures_util::future::join_all(group.into_iter().map(|op| apply(&tx, &cache, op)))
                    .await;
            let failed = outcomes
                .iter()
                .any(|o| o.database_error || (alone && !o.ok));
            (
                outcomes.into_iter().map(|o| o.finish).collect::<Vec<_>>(),
                failed,
            )
        } else {
            let mut finishers = Vec::new();
            for op in group {
                finishers.push(apply_saved(&mut tx, &cache, op).await);
            }
            (finishers, false)
        };
        let committed = if failed {
            tx.rollback()
                .await
                .map_err(|e| StoreError::Backend(format!("rollback failed: {e}")))
        } else {
            tx.commit()
                .await
                .map_err(|e| StoreError::Backend(format!("commit failed: {e}")))
        };
        for finish in finishers {
            finish(committed.as_ref().err());
        }
    }
}

fn fail(op: Op, error: &StoreError) {
    fn e<T>(error: &StoreError) -> Result<T, StoreError> {
        Err(error.clone())
    }
    let _ = match op {
        Op::Insert(_, _, r) => r.send(e(error)).map_err(|_| ()),
        Op::Write(_, r) => r.send(e(error)).map_err(|_| ()),
        Op::Created(_, _, _, r) => r.send(e(error)).map_err(|_| ()),
        Op::Claim(_, r) => r.send(e(error)).map_err(|_| ()),
        Op::Renew(_, _, _, r) => r.send(e(error)).map_err(|_| ()),
        Op::Describe(_, r) => r.send(e(error)).map_err(|_| ()),
        Op::List(_, r) => r.send(e(error)).map_err(|_| ()),
        Op::History(_, r) => r.send(e(error)).map_err(|_| ()),
        Op::Progress(_, _, r) => r.send(e(error)).map_err(|_| ()),
        Op::Resources(_, r) => r.send(e(error)).map_err(|_| ()),
        Op::Stop(_, _, _, _, r) => r.send(e(error)).map_err(|_| ()),
        Op::Redrive(_, _, r) => r.send(e(error)).map_err(|_| ()),
    };
}

/// Prepared statements of one connection, by their text.
#[derive(Default)]
struct Cache(Mutex<HashMap<String, Statement>>);

/// A transaction and the connection's prepared statements: `execute` and
/// `query` by statement text, prepared on first use.
struct Tx<'a> {
    t: &'a Transaction<'a>,
    cache: &'a Cache,
}

type Params<'p> = [&'p (dyn ToSql + Sync)];

impl Tx<'_> {
    async fn statement(&self, sql: &str) -> Result<Statement, tokio_postgres::Error> {
        let cached = self
            .cache
            .0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(sql)
            .cloned();
        if let Some(statement) = cached {
            return Ok(statement);
        }
        let statement = self.t.prepare(sql).await?;
        self.cache
            .0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(sql.to_string(), statement.clone());
        Ok(statement)
    }

    async fn execute(&self, sql: &str, params: &Params<'_>) -> Result<u64, tokio_postgres::Error> {
        let statement = self.statement(sql).await?;
        self.t.execute(&statement, params).await
    }

    async fn query(
        &self,
        sql: &str,
        params: &Params<'_>,
    ) -> Result<Vec<tokio_postgres::Row>, tokio_postgres::Error> {
        let statement = self.statement(sql).await?;
        self.t.query(&statement, params).await
    }

    async fn query_one(
        &self,
        sql: &str,
        params: &Params<'_>,
    ) -> Result<tokio_postgres::Row, tokio_postgres::Error> {
        let statement = self.statement(sql).await?;
        self.t.query_one(&statement, params).await
    }
}

/// Do the operations concern different executions, each one only?
fn independent(group: &[Op]) -> bool {
    let mut seen = std::collections::HashSet::new();
    group
        .iter()
        .all(|op| op.arn().is_some_and(|arn| seen.insert(arn)))
}

impl Op {
    /// The one execution the operation reads or writes (`None`: claims,
    /// renewals and lists touch many).
    fn arn(&self) -> Option<&str> {
        match self {
            Op::Insert(record, _, _) => Some(&record.arn),
            Op::Write(write, _) => Some(&write.arn),
            Op::Created(arn, _, _, _)
            | Op::Describe(arn, _)
            | Op::History(arn, _)
            | Op::Progress(arn, _, _)
            | Op::Resources(arn, _)
            | Op::Stop(arn, _, _, _, _)
            | Op::Redrive(arn, _, _) => Some(arn),
            Op::Claim(..) | Op::Renew(..) | Op::List(..) => None,
        }
    }
}

/// How one operation went, and what answers it once its group's transaction
/// committed (or failed).
struct Outcome {
    finish: Finisher,
    ok: bool,
    /// The database failed (the transaction may be aborted).
    database_error: bool,
}

/// Runs one operation in `tx`.
async fn apply(tx: &Transaction<'_>, cache: &Cache, op: Op) -> Outcome {
    macro_rules! run {
        ($reply:expr, $body:expr) => {{
            let reply = $reply;
            let result = $body(&Tx { t: tx, cache }).await;
            let ok = result.is_ok();
            let database_error = matches!(result, Err(StoreError::Backend(_)));
            let finish = Box::new(move |failed: Option<&StoreError>| {
                let _ = reply.send(match failed {
                    // A group rolled back: an operation that had succeeded
                    // reports why; one that failed reports its own error.
                    Some(e) if ok => Err(e.clone()),
                    _ => result,
                });
            }) as Finisher;
            Outcome {
                finish,
                ok,
                database_error,
            }
        }};
    }
    match op {
        Op::Insert(record, events, reply) => run!(reply, |t| insert(t, *record, events)),
        Op::Write(write, reply) => run!(reply, |t| apply_write(t, *write)),
        Op::Created(arn, kind, id, reply) => run!(reply, |t| created(t, arn, kind, id)),
        Op::Claim(claim, reply) => run!(reply, |t| claim_rows(t, claim)),
        Op::Renew(owner, arns, until, reply) => run!(reply, |t| renew(t, owner, arns, until)),
        Op::Describe(arn, reply) => run!(reply, |t| get_owned(t, arn)),
        Op::List(filter, reply) => run!(reply, |t| list(t, filter)),
        Op::History(arn, reply) => run!(reply, |t| history(t, arn)),
        Op::Progress(arn, state, reply) => run!(reply, |t| progress(t, arn, state)),
        Op::Resources(arn, reply) => run!(reply, |t| resources(t, arn)),
        Op::Stop(arn, error, cause, now, reply) => {
            run!(reply, |t| stop(t, arn, error, cause, now))
        }
        Op::Redrive(arn, now, reply) => run!(reply, |t| redrive(t, arn, now)),
    }
}

/// [`apply`] under a savepoint: a failure undoes this operation only.
async fn apply_saved(tx: &mut Transaction<'_>, cache: &Cache, op: Op) -> Finisher {
    let sp = match tx.savepoint("op").await {
        Ok(sp) => sp,
        Err(e) => {
            fail(op, &StoreError::backend(e));
            return Box::new(|_| {});
        }
    };
    let outcome = apply(&sp, cache, op).await;
    let ended = if outcome.ok {
        sp.commit().await
    } else {
        sp.rollback().await
    };
    match ended {
        Ok(()) => outcome.finish,
        Err(e) => {
            let e = StoreError::backend(e);
            Box::new(move |_| (outcome.finish)(Some(&e)))
        }
    }
}

fn db(e: tokio_postgres::Error) -> StoreError {
    StoreError::backend(e)
}

impl Row for tokio_postgres::Row {
    fn text(&self, i: usize) -> Result<Option<String>, StoreError> {
        self.try_get(i).map_err(db)
    }
    fn int(&self, i: usize) -> Result<Option<i64>, StoreError> {
        self.try_get(i).map_err(db)
    }
    fn boolean(&self, i: usize) -> Result<bool, StoreError> {
        self.try_get(i).map_err(db)
    }
}

async fn find(t: &Tx<'_>, arn: &str) -> Result<Option<ExecutionRecord>, StoreError> {
    let rows = t
        .query(&schema::select("arn = $1"), &[&arn])
        .await
        .map_err(db)?;
    rows.first().map(schema::decode).transpose()
}

async fn get(t: &Tx<'_>, arn: &str) -> Result<ExecutionRecord, StoreError> {
    find(t, arn)
        .await?
        .ok_or_else(|| StoreError::ExecutionDoesNotExist(arn.to_string()))
}

async fn get_owned(t: &Tx<'_>, arn: String) -> Result<ExecutionRecord, StoreError> {
    get(t, &arn).await
}

async fn insert_events(t: &Tx<'_>, arn: &str, events: &[StoredEvent]) -> Result<(), StoreError> {
    // Sent together: tokio-postgres pipelines the statements of one connection.
    let rows: Vec<(i64, i64, String)> = events.iter().map(schema::event_row).collect();
    let inserts = events
        .iter()
        .zip(&rows)
        .map(|(e, (id, at, details))| async move {
            t.execute(
                schema::INSERT_EVENT,
                &[&arn, id, at, &e.event_type, &e.state, details],
            )
            .await
        });
    try_join_all(inserts).await.map_err(db)?;
    Ok(())
}

async fn insert(
    t: &Tx<'_>,
    record: ExecutionRecord,
    events: Vec<StoredEvent>,
) -> Result<Inserted, StoreError> {
    let found = find(t, &record.arn).await?;
    match schema::existing(found, &record.input, record.start_date)? {
        schema::Existing::Same(found) => return Ok(Inserted::Existing(found)),
        schema::Existing::Insert { forget: true } => {
            for statement in schema::FORGET {
                t.execute(statement, &[&record.arn]).await.map_err(db)?;
            }
        }
        schema::Existing::Insert { forget: false } => {}
    }
    let p = record.position.as_ref();
    let input = schema::text(&record.input);
    let state = p.map(|p| p.state.clone());
    let state_input = p.map(|p| schema::text(&p.input));
    let variables = p.map(|p| schema::text(&p.variables));
    let lease = record.lease_until.map(to_millis);
    t.execute(
        schema::INSERT,
        &[
            &record.arn,
            &record.name,
            &record.workflow,
            &record.definition_hash,
            &input,
            &to_millis(record.start_date),
            &state,
            &state_input,
            &variables,
            &"[]",
            &(record.next_event_id as i64),
            &record.owner,
            &lease,
            &record.cleanup,
        ],
    )
    .await
    .map_err(db)?;
    insert_events(t, &record.arn, &events).await?;
    Ok(Inserted::Created)
}

async fn apply_write(t: &Tx<'_>, write: Write) -> Result<(), StoreError> {
    let arn = &write.arn;
    let exists = if write.owner.is_empty() {
        find(t, arn).await?.is_some()
    } else {
        !t.query(schema::OWNED, &[arn, &write.owner])
            .await
            .map_err(db)?
            .is_empty()
    };
    if !exists {
        return Err(StoreError::NotOwner(arn.clone()));
    }
    // Everything below is sent at once (tokio-postgres pipelines one
    // connection's statements, in order): one round trip, not one per statement.
    let next_event_id = write.next_event_id as i64;
    let position = write.position.as_ref().map(|p| {
        (
            p,
            schema::text(&p.input),
            schema::text(&p.variables),
            serde_json::to_string(&p.retries).unwrap_or_else(|_| "[]".into()),
            p.entered_event_id.map(|n| n as i64),
            p.wait_until.map(to_millis),
        )
    });
    let events: Vec<(i64, i64, String)> = write.events.iter().map(schema::event_row).collect();
    let progress: Vec<(i64, String)> = write
        .progress
        .iter()
        .map(|(_, index, output)| (*index as i64, schema::text(output)))
        .collect();
    let deleted: Vec<i64> = write.deleted.iter().map(|s| *s as i64).collect();
    let end = write.end.as_ref().map(|end| {
        (
            end,
            end.status.as_str(),
            end.output.as_ref().map(schema::text),
            to_millis(end.date),
        )
    });
    let park = write.park_until.map(to_millis);

    type Pending<'f> = std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<u64, tokio_postgres::Error>> + Send + 'f>,
    >;
    let mut pending: Vec<Pending<'_>> = Vec::new();
    pending.push(Box::pin(async {
        t.execute(schema::SET_NEXT_EVENT, &[arn, &next_event_id])
            .await
    }));
    if write.clear_progress {
        pending.push(Box::pin(async {
            t.execute(schema::CLEAR_PROGRESS, &[arn]).await
        }));
    }
    if let Some((p, input, variables, retries, entered, wait)) = &position {
        pending.push(Box::pin(async move {
            t.execute(
                schema::SET_POSITION,
                &[arn, &p.state, input, variables, retries, entered, wait],
            )
            .await
        }));
    }
    for (e, (id, at, details)) in write.events.iter().zip(&events) {
        pending.push(Box::pin(async move {
            t.execute(
                schema::INSERT_EVENT,
                &[arn, id, at, &e.event_type, &e.state, details],
            )
            .await
        }));
    }
    for ((state, _, _), (index, output)) in write.progress.iter().zip(&progress) {
        pending.push(Box::pin(async move {
            t.execute(schema::INSERT_PROGRESS, &[arn, state, index, output])
                .await
        }));
    }
    for seq in &deleted {
        pending.push(Box::pin(async move {
            t.execute(schema::MARK_DELETED, &[arn, seq]).await
        }));
    }
    if let Some((end, status, output, date)) = &end {
        pending.push(Box::pin(async move {
            t.execute(
                schema::SET_END,
                &[arn, status, output, &end.error, &end.cause, date],
            )
            .await
        }));
    } else if let Some(until) = &park {
        pending.push(Box::pin(async move {
            t.execute(schema::PARK, &[arn, until]).await
        }));
    }
    try_join_all(pending).await.map_err(db)?;
    Ok(())
}

async fn created(t: &Tx<'_>, arn: String, kind: String, id: String) -> Result<u64, StoreError> {
    let row = t
        .query_one(schema::NEXT_RESOURCE, &[&arn])
        .await
        .map_err(db)?;
    let seq: i64 = row.try_get(0).map_err(db)?;
    t.execute(schema::INSERT_RESOURCE, &[&arn, &seq, &kind, &id])
        .await
        .map_err(db)?;
    Ok(seq as u64)
}

async fn claim_rows(t: &Tx<'_>, c: Claim) -> Result<Vec<ExecutionRecord>, StoreError> {
    let statement = schema::claimable(c.workflows.len(), "FOR UPDATE SKIP LOCKED");
    let limit = (c.limit + c.skip.len()) as i64;
    let mut params: Vec<&(dyn ToSql + Sync)> = vec![&c.owner, &c.now, &limit];
    for w in &c.workflows {
        params.push(w);
    }
    let rows = t.query(&statement, &params).await.map_err(db)?;
    let mut claimed = Vec::new();
    for row in &rows {
        let record = schema::decode(row)?;
        if claimed.len() < c.limit && !c.skip.contains(&record.arn) {
            claimed.push(record);
        }
    }
    for record in &mut claimed {
        t.execute(schema::CLAIM, &[&record.arn, &c.owner, &c.lease_until])
            .await
            .map_err(db)?;
        record.owner = Some(c.owner.clone());
        record.lease_until = Some(from_millis(c.lease_until));
        record.wake_at = None;
    }
    Ok(claimed)
}

async fn renew(
    t: &Tx<'_>,
    owner: String,
    arns: Vec<String>,
    until: i64,
) -> Result<Vec<String>, StoreError> {
    let mut lost = Vec::new();
    for arn in arns {
        let n = t
            .execute(schema::RENEW, &[&arn, &owner, &until])
            .await
            .map_err(db)?;
        if n == 0 {
            lost.push(arn);
        }
    }
    Ok(lost)
}

async fn list(t: &Tx<'_>, filter: ListFilter) -> Result<Vec<ExecutionRecord>, StoreError> {
    let status = filter.status.map(|s| s.as_str().to_string());
    let mut params: Vec<&(dyn ToSql + Sync)> = Vec::new();
    if let Some(w) = &filter.workflow {
        params.push(w);
    }
    if let Some(s) = &status {
        params.push(s);
    }
    let rows = t.query(&schema::list(&filter), &params).await.map_err(db)?;
    rows.iter().map(schema::decode).collect()
}

async fn history(t: &Tx<'_>, arn: String) -> Result<Vec<StoredEvent>, StoreError> {
    get(t, &arn).await?;
    let rows = t.query(schema::HISTORY, &[&arn]).await.map_err(db)?;
    rows.iter().map(schema::decode_event).collect()
}

async fn progress(t: &Tx<'_>, arn: String, state: String) -> Result<Vec<(u64, Value)>, StoreError> {
    let rows = t
        .query(schema::PROGRESS, &[&arn, &state])
        .await
        .map_err(db)?;
    rows.iter()
        .map(|row| {
            let index: i64 = row.try_get(0).map_err(db)?;
            let output = schema::json(row.try_get(1).map_err(db)?, "output")?;
            Ok((index as u64, output.unwrap_or(Value::Null)))
        })
        .collect()
}

async fn resources(t: &Tx<'_>, arn: String) -> Result<Vec<CreatedResource>, StoreError> {
    let rows = t.query(schema::CREATED, &[&arn]).await.map_err(db)?;
    rows.iter().map(schema::decode_resource).collect()
}

async fn stop(
    t: &Tx<'_>,
    arn: String,
    error: Option<String>,
    cause: Option<String>,
    now: OffsetDateTime,
) -> Result<OffsetDateTime, StoreError> {
    let record = get(t, &arn).await?;
    if record.status != ExecutionStatus::Running {
        return Ok(record.stop_date.unwrap_or(now));
    }
    let event = schema::aborted_event(
        record.next_event_id,
        error.as_deref(),
        cause.as_deref(),
        now,
    );
    t.execute(
        schema::STOP,
        &[
            &arn,
            &error,
            &cause,
            &to_millis(now),
            &((record.next_event_id + 1) as i64),
        ],
    )
    .await
    .map_err(db)?;
    insert_events(t, &arn, &[event]).await?;
    Ok(now)
}

async fn redrive(
    t: &Tx<'_>,
    arn: String,
    now: OffsetDateTime,
) -> Result<ExecutionRecord, StoreError> {
    let record = get(t, &arn).await?;
    schema::check_redrive(&record, now)?;
    let event = schema::redriven_event(record.next_event_id, record.redrive_count + 1, now);
    t.execute(
        schema::REDRIVE,
        &[&arn, &to_millis(now), &((record.next_event_id + 1) as i64)],
    )
    .await
    .map_err(db)?;
    insert_events(t, &arn, &[event]).await?;
    get(t, &arn).await
}

impl ExecutionStore for PostgresStore {
    fn insert<'a>(
        &'a self,
        record: &'a ExecutionRecord,
        events: &'a [StoredEvent],
    ) -> StoreFuture<'a, Inserted> {
        let (record, events) = (Box::new(record.clone()), events.to_vec());
        self.send(|r| Op::Insert(record, events, r))
    }

    fn write<'a>(&'a self, write: Write) -> StoreFuture<'a, ()> {
        self.send(|r| Op::Write(Box::new(write), r))
    }

    fn record_created<'a>(
        &'a self,
        arn: &'a str,
        kind: &'a str,
        id: &'a Value,
    ) -> StoreFuture<'a, u64> {
        let (arn, kind, id) = (arn.to_string(), kind.to_string(), schema::text(id));
        self.send(|r| Op::Created(arn, kind, id, r))
    }

    fn claim<'a>(
        &'a self,
        owner: &'a str,
        workflows: &'a [&'a str],
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        limit: usize,
        skip: &'a [String],
    ) -> StoreFuture<'a, Vec<ExecutionRecord>> {
        let claim = Claim {
            owner: owner.to_string(),
            workflows: workflows.iter().map(|w| w.to_string()).collect(),
            now: to_millis(now),
            lease_until: to_millis(lease_until),
            limit,
            skip: skip.to_vec(),
        };
        self.send(|r| Op::Claim(claim, r))
    }

    fn renew<'a>(
        &'a self,
        owner: &'a str,
        arns: &'a [String],
        lease_until: OffsetDateTime,
    ) -> StoreFuture<'a, Vec<String>> {
        let (owner, arns) = (owner.to_string(), arns.to_vec());
        self.send(|r| Op::Renew(owner, arns, to_millis(lease_until), r))
    }

    fn describe<'a>(&'a self, arn: &'a str) -> StoreFuture<'a, ExecutionRecord> {
        let arn = arn.to_string();
        self.send(|r| Op::Describe(arn, r))
    }

    fn list<'a>(&'a self, filter: &'a ListFilter) -> StoreFuture<'a, Vec<ExecutionRecord>> {
        let filter = filter.clone();
        self.send(|r| Op::List(filter, r))
    }

    fn history<'a>(&'a self, arn: &'a str) -> StoreFuture<'a, Vec<StoredEvent>> {
        let arn = arn.to_string();
        self.send(|r| Op::History(arn, r))
    }

    fn progress<'a>(&'a self, arn: &'a str, state: &'a str) -> StoreFuture<'a, Vec<(u64, Value)>> {
        let (arn, state) = (arn.to_string(), state.to_string());
        self.send(|r| Op::Progress(arn, state, r))
    }

    fn created<'a>(&'a self, arn: &'a str) -> StoreFuture<'a, Vec<CreatedResource>> {
        let arn = arn.to_string();
        self.send(|r| Op::Resources(arn, r))
    }

    fn stop<'a>(
        &'a self,
        arn: &'a str,
        error: Option<&'a str>,
        cause: Option<&'a str>,
        now: OffsetDateTime,
    ) -> StoreFuture<'a, OffsetDateTime> {
        let arn = arn.to_string();
        let (error, cause) = (error.map(str::to_string), cause.map(str::to_string));
        self.send(|r| Op::Stop(arn, error, cause, now, r))
    }

    fn redrive<'a>(
        &'a self,
        arn: &'a str,
        now: OffsetDateTime,
    ) -> StoreFuture<'a, ExecutionRecord> {
        let arn = arn.to_string();
        self.send(|r| Op::Redrive(arn, now, r))
    }
}
