//! The embedded store: one SQLite file in WAL mode, nothing to start.
//!
//! One thread owns the connection. Operations queue to it; it runs every
//! operation waiting at once in one transaction (each under its own savepoint,
//! so one failing operation does not undo the others) and commits once: under
//! load, one fsync serves many executions' transitions (group commit), in the
//! order they arrived.

use std::sync::mpsc;

use rusqlite::{Connection, OptionalExtension, params, params_from_iter};
use serde_json::Value;
use time::OffsetDateTime;
use tokio::sync::oneshot;

use super::schema::{self, Row};
use super::*;

/// What the writer thread runs: an operation on the open transaction, giving
/// back what to do once the transaction committed (or failed).
/// `Err` when no transaction could be opened (the operation then fails unrun).
type Job = Box<
    dyn FnOnce(Result<&Connection, String>) -> Box<dyn FnOnce(Result<(), String>) + Send> + Send,
>;

/// The most operations one transaction carries.
const MAX_GROUP: usize = 1024;

/// An [`ExecutionStore`] in one SQLite file.
///
/// ```no_run
/// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
/// let store = asl_runtime::store::SqliteStore::open("executions.db")?;
/// let runtime = asl_runtime::Runtime::builder().store(store).build();
/// # Ok(()) }
/// ```
pub struct SqliteStore {
    jobs: mpsc::Sender<Job>,
    path: String,
}

impl fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish()
    }
}

impl SqliteStore {
    /// Opens (creating if needed) the store at `path`.
    pub fn open(path: impl AsRef<std::path::Path>) -> Result<SqliteStore, StoreError> {
        let path = path.as_ref();
        let shown = path.display().to_string();
        let conn = Connection::open(path)
            .map_err(|e| StoreError::Backend(format!("cannot open {shown}: {e}")))?;
        // WAL: readers never block the writer; FULL: every commit is fsynced,
        // so a committed transition survives a power loss too. Group commit
        // pays that fsync once for every write waiting.
        conn.pragma_update(None, "journal_mode", "WAL")
            .and_then(|_| conn.pragma_update(None, "synchronous", "FULL"))
            .and_then(|_| conn.busy_timeout(std::time::Duration::from_secs(10)))
            .and_then(|_| conn.execute_batch(schema::TABLES))
            .map_err(|e| StoreError::Backend(format!("cannot set up {shown}: {e}")))?;
        let (jobs, queue) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("asl-sqlite".into())
            .spawn(move || writer(conn, queue))
            .map_err(|e| StoreError::Backend(format!("cannot start the store's thread: {e}")))?;
        Ok(SqliteStore { jobs, path: shown })
    }

    /// Queues `op` for the writer thread.
    fn run<T: Send + 'static>(
        &self,
        op: impl FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> StoreFuture<'static, T> {
        let (reply, answer) = oneshot::channel();
        let job: Job = Box::new(move |conn| {
            let result = match conn {
                Ok(conn) => op(conn),
                Err(e) => Err(StoreError::Backend(e)),
            };
            Box::new(move |committed: Result<(), String>| {
                let result = match committed {
                    Ok(()) => result,
                    Err(e) => Err(StoreError::Backend(e)),
                };
                let _ = reply.send(result);
            })
        });
        let sent = self.jobs.send(job);
        Box::pin(async move {
            if sent.is_err() {
                return Err(StoreError::backend("the store's thread has stopped"));
            }
            answer
                .await
                .unwrap_or_else(|_| Err(StoreError::backend("the store's thread has stopped")))
        })
    }
}

/// The writer thread: group after group until every [`SqliteStore`] handle is gone.
fn writer(conn: Connection, queue: mpsc::Receiver<Job>) {
    while let Ok(first) = queue.recv() {
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match queue.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
            let e = format!("cannot start a transaction: {e}");
            for job in group {
                job(Err(e.clone()))(Err(e.clone()));
            }
            continue;
        }
        let mut finishers = Vec::with_capacity(group.len());
        for job in group {
            let finish = match conn.execute_batch("SAVEPOINT op") {
                Ok(()) => job(Ok(&conn)),
                Err(e) => job(Err(e.to_string())),
            };
            finishers.push(finish);
        }
        let committed = conn.execute_batch("COMMIT").map_err(|e| e.to_string());
        if committed.is_err() {
            let _ = conn.execute_batch("ROLLBACK");
        }
        for finish in finishers {
            finish(committed.clone());
        }
    }
}

fn sql(statement: &str) -> String {
    statement.replace('$', "?")
}

fn db(e: rusqlite::Error) -> StoreError {
    StoreError::backend(e)
}

/// Runs `op` under the savepoint the writer opened: released when it succeeds,
/// rolled back when it fails.
fn atomically<T>(
    conn: &Connection,
    op: impl FnOnce(&Connection) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    let result = op(conn);
    let end = if result.is_ok() {
        "RELEASE op"
    } else {
        "ROLLBACK TO op; RELEASE op"
    };
    match conn.execute_batch(end) {
        Ok(()) => result,
        Err(e) => Err(db(e)),
    }
}

impl Row for rusqlite::Row<'_> {
    fn text(&self, i: usize) -> Result<Option<String>, StoreError> {
        self.get(i).map_err(db)
    }
    fn int(&self, i: usize) -> Result<Option<i64>, StoreError> {
        self.get(i).map_err(db)
    }
    fn boolean(&self, i: usize) -> Result<bool, StoreError> {
        self.get::<_, i64>(i).map(|n| n != 0).map_err(db)
    }
}

fn find(conn: &Connection, arn: &str) -> Result<Option<ExecutionRecord>, StoreError> {
    let mut stmt = conn
        .prepare_cached(&sql(&schema::select("arn = $1")))
        .map_err(db)?;
    let mut rows = stmt.query(params![arn]).map_err(db)?;
    match rows.next().map_err(db)? {
        Some(row) => schema::decode(row).map(Some),
        None => Ok(None),
    }
}

fn get(conn: &Connection, arn: &str) -> Result<ExecutionRecord, StoreError> {
    find(conn, arn)?.ok_or_else(|| StoreError::ExecutionDoesNotExist(arn.to_string()))
}

fn insert_events(conn: &Connection, arn: &str, events: &[StoredEvent]) -> Result<(), StoreError> {
    let mut stmt = conn
        .prepare_cached(&sql(schema::INSERT_EVENT))
        .map_err(db)?;
    for e in events {
        let (id, at, details) = schema::event_row(e);
        stmt.execute(params![arn, id, at, e.event_type, e.state, details])
            .map_err(db)?;
    }
    Ok(())
}

fn set_position(conn: &Connection, arn: &str, p: &Position) -> Result<(), StoreError> {
    conn.prepare_cached(&sql(schema::SET_POSITION))
        .and_then(|mut s| {
            s.execute(params![
                arn,
                p.state,
                schema::text(&p.input),
                schema::text(&p.variables),
                serde_json::to_string(&p.retries).unwrap_or_else(|_| "[]".into()),
                p.entered_event_id.map(|n| n as i64),
                p.wait_until.map(to_millis),
            ])
        })
        .map(|_| ())
        .map_err(db)
}

impl ExecutionStore for SqliteStore {
    fn insert<'a>(
        &'a self,
        record: &'a ExecutionRecord,
        events: &'a [StoredEvent],
    ) -> StoreFuture<'a, Inserted> {
        let record = record.clone();
        let events = events.to_vec();
        self.run(move |conn| {
            atomically(conn, |conn| {
                let now = record.start_date;
                match schema::existing(find(conn, &record.arn)?, &record.input, now)? {
                    schema::Existing::Same(found) => return Ok(Inserted::Existing(found)),
                    schema::Existing::Insert { forget: true } => {
                        for statement in schema::FORGET {
                            conn.execute(&sql(statement), params![record.arn])
                                .map_err(db)?;
                        }
                    }
                    schema::Existing::Insert { forget: false } => {}
                }
                let p = record.position.as_ref();
                conn.execute(
                    &sql(schema::INSERT),
                    params![
                        record.arn,
                        record.name,
                        record.workflow,
                        record.definition_hash,
                        schema::text(&record.input),
                        to_millis(record.start_date),
                        p.map(|p| p.state.clone()),
                        p.map(|p| schema::text(&p.input)),
                        p.map(|p| schema::text(&p.variables)),
                        "[]",
                        record.next_event_id as i64,
                        record.owner,
                        record.lease_until.map(to_millis),
                        record.cleanup,
                    ],
                )
                .map_err(db)?;
                insert_events(conn, &record.arn, &events)?;
                Ok(Inserted::Created)
            })
        })
    }

    fn write<'a>(&'a self, write: Write) -> StoreFuture<'a, ()> {
        self.run(move |conn| {
            atomically(conn, |conn| {
                // No owner: a write after the end (cleanup), which only needs
                // the execution to exist.
                let exists = if write.owner.is_empty() {
                    find(conn, &write.arn)?.is_some()
                } else {
                    conn.query_row(&sql(schema::OWNED), params![write.arn, write.owner], |r| {
                        r.get::<_, i64>(0)
                    })
                    .optional()
                    .map_err(db)?
                    .is_some()
                };
                if !exists {
                    return Err(StoreError::NotOwner(write.arn.clone()));
                }
                let arn = &write.arn;
                conn.prepare_cached(&sql(schema::SET_NEXT_EVENT))
                    .and_then(|mut s| s.execute(params![arn, write.next_event_id as i64]))
                    .map_err(db)?;
                if write.clear_progress {
                    conn.prepare_cached(&sql(schema::CLEAR_PROGRESS))
                        .and_then(|mut s| s.execute(params![arn]))
                        .map_err(db)?;
                }
                if let Some(p) = &write.position {
                    set_position(conn, arn, p)?;
                }
                insert_events(conn, arn, &write.events)?;
                for (state, index, output) in &write.progress {
                    conn.prepare_cached(&sql(schema::INSERT_PROGRESS))
                        .and_then(|mut s| {
                            s.execute(params![arn, state, *index as i64, schema::text(output)])
                        })
                        .map_err(db)?;
                }
                for seq in &write.deleted {
                    conn.execute(&sql(schema::MARK_DELETED), params![arn, *seq as i64])
                        .map_err(db)?;
                }
                if let Some(end) = &write.end {
                    conn.execute(
                        &sql(schema::SET_END),
                        params![
                            arn,
                            end.status.as_str(),
                            end.output.as_ref().map(schema::text),
                            end.error,
                            end.cause,
                            to_millis(end.date),
                        ],
                    )
                    .map_err(db)?;
                } else if let Some(until) = write.park_until {
                    conn.execute(&sql(schema::PARK), params![arn, to_millis(until)])
                        .map_err(db)?;
                }
                Ok(())
            })
        })
    }

    fn record_created<'a>(
        &'a self,
        arn: &'a str,
        kind: &'a str,
        id: &'a Value,
    ) -> StoreFuture<'a, u64> {
        let (arn, kind, id) = (arn.to_string(), kind.to_string(), schema::text(id));
        self.run(move |conn| {
            atomically(conn, |conn| {
                let seq: i64 = conn
                    .query_row(&sql(schema::NEXT_RESOURCE), params![arn], |r| r.get(0))
                    .map_err(db)?;
                conn.execute(&sql(schema::INSERT_RESOURCE), params![arn, seq, kind, id])
                    .map_err(db)?;
                Ok(seq as u64)
            })
        })
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
        let owner = owner.to_string();
        let workflows: Vec<String> = workflows.iter().map(|w| w.to_string()).collect();
        let skip = skip.to_vec();
        self.run(move |conn| {
            atomically(conn, |conn| {
                let statement = sql(&schema::claimable(workflows.len(), ""));
                let mut stmt = conn.prepare_cached(&statement).map_err(db)?;
                let mut values: Vec<rusqlite::types::Value> = vec![
                    owner.clone().into(),
                    to_millis(now).into(),
                    ((limit + skip.len()) as i64).into(),
                ];
                values.extend(workflows.iter().map(|w| w.clone().into()));
                let mut rows = stmt.query(params_from_iter(values)).map_err(db)?;
                let mut claimed = Vec::new();
                while let Some(row) = rows.next().map_err(db)? {
                    let record = schema::decode(row)?;
                    if claimed.len() < limit && !skip.contains(&record.arn) {
                        claimed.push(record);
                    }
                }
                drop(rows);
                for record in &mut claimed {
                    conn.execute(
                        &sql(schema::CLAIM),
                        params![record.arn, owner, to_millis(lease_until)],
                    )
                    .map_err(db)?;
                    record.owner = Some(owner.clone());
                    record.lease_until = Some(lease_until);
                    record.wake_at = None;
                }
                Ok(claimed)
            })
        })
    }

    fn renew<'a>(
        &'a self,
        owner: &'a str,
        arns: &'a [String],
        lease_until: OffsetDateTime,
    ) -> StoreFuture<'a, Vec<String>> {
        let owner = owner.to_string();
        let arns = arns.to_vec();
        self.run(move |conn| {
            atomically(conn, |conn| {
                let mut lost = Vec::new();
                let mut stmt = conn.prepare_cached(&sql(schema::RENEW)).map_err(db)?;
                for arn in arns {
                    let n = stmt
                        .execute(params![arn, owner, to_millis(lease_until)])
                        .map_err(db)?;
                    if n == 0 {
                        lost.push(arn);
                    }
                }
                Ok(lost)
            })
        })
    }

    fn describe<'a>(&'a self, arn: &'a str) -> StoreFuture<'a, ExecutionRecord> {
        let arn = arn.to_string();
        self.run(move |conn| atomically(conn, |conn| get(conn, &arn)))
    }

    fn list<'a>(&'a self, filter: &'a ListFilter) -> StoreFuture<'a, Vec<ExecutionRecord>> {
        let filter = filter.clone();
        self.run(move |conn| {
            atomically(conn, |conn| {
                let mut values: Vec<String> = Vec::new();
                if let Some(w) = &filter.workflow {
                    values.push(w.clone());
                }
                if let Some(s) = filter.status {
                    values.push(s.as_str().to_string());
                }
                let mut stmt = conn.prepare(&sql(&schema::list(&filter))).map_err(db)?;
                let mut rows = stmt.query(params_from_iter(values)).map_err(db)?;
                let mut out = Vec::new();
                while let Some(row) = rows.next().map_err(db)? {
                    out.push(schema::decode(row)?);
                }
                Ok(out)
            })
        })
    }

    fn history<'a>(&'a self, arn: &'a str) -> StoreFuture<'a, Vec<StoredEvent>> {
        let arn = arn.to_string();
        self.run(move |conn| {
            atomically(conn, |conn| {
                get(conn, &arn)?;
                let mut stmt = conn.prepare_cached(&sql(schema::HISTORY)).map_err(db)?;
                let mut rows = stmt.query(params![arn]).map_err(db)?;
                let mut out = Vec::new();
                while let Some(row) = rows.next().map_err(db)? {
                    out.push(schema::decode_event(row)?);
                }
                Ok(out)
            })
        })
    }

    fn progress<'a>(&'a self, arn: &'a str, state: &'a str) -> StoreFuture<'a, Vec<(u64, Value)>> {
        let (arn, state) = (arn.to_string(), state.to_string());
        self.run(move |conn| {
            atomically(conn, |conn| {
                let mut stmt = conn.prepare_cached(&sql(schema::PROGRESS)).map_err(db)?;
                let mut rows = stmt.query(params![arn, state]).map_err(db)?;
                let mut out = Vec::new();
                while let Some(row) = rows.next().map_err(db)? {
                    let index: i64 = row.get(0).map_err(db)?;
                    let output = schema::json(row.get(1).map_err(db)?, "output")?;
                    out.push((index as u64, output.unwrap_or(Value::Null)));
                }
                Ok(out)
            })
        })
    }

    fn created<'a>(&'a self, arn: &'a str) -> StoreFuture<'a, Vec<CreatedResource>> {
        let arn = arn.to_string();
        self.run(move |conn| {
            atomically(conn, |conn| {
                let mut stmt = conn.prepare_cached(&sql(schema::CREATED)).map_err(db)?;
                let mut rows = stmt.query(params![arn]).map_err(db)?;
                let mut out = Vec::new();
                while let Some(row) = rows.next().map_err(db)? {
                    out.push(schema::decode_resource(row)?);
                }
                Ok(out)
            })
        })
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
        self.run(move |conn| {
            atomically(conn, |conn| {
                let record = get(conn, &arn)?;
                if record.status != ExecutionStatus::Running {
                    return Ok(record.stop_date.unwrap_or(now));
                }
                let event = schema::aborted_event(
                    record.next_event_id,
                    error.as_deref(),
                    cause.as_deref(),
                    now,
                );
                conn.execute(
                    &sql(schema::STOP),
                    params![
                        arn,
                        error,
                        cause,
                        to_millis(now),
                        (record.next_event_id + 1) as i64
                    ],
                )
                .map_err(db)?;
                insert_events(conn, &arn, &[event])?;
                Ok(now)
            })
        })
    }

    fn redrive<'a>(
        &'a self,
        arn: &'a str,
        now: OffsetDateTime,
    ) -> StoreFuture<'a, ExecutionRecord> {
        let arn = arn.to_string();
        self.run(move |conn| {
            atomically(conn, |conn| {
                let record = get(conn, &arn)?;
                schema::check_redrive(&record, now)?;
                let event =
                    schema::redriven_event(record.next_event_id, record.redrive_count + 1, now);
                conn.execute(
                    &sql(schema::REDRIVE),
                    params![arn, to_millis(now), (record.next_event_id + 1) as i64],
                )
                .map_err(db)?;
                insert_events(conn, &arn, &[event])?;
                get(conn, &arn)
            })
        })
    }
}
