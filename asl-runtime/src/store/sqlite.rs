//! The embedded store: one SQLite file in WAL mode, nothing to start.
//!
//! One thread owns the connection. Operations queue to it; it runs every
//! operation waiting at once in one transaction (each under its own savepoint,
//! so one failing operation does not undo the others) and commits once: under
//! load, one fsync serves many executions' transitions (group commit), in the
//! order they arrived. An operation is answered only once its transaction
//! committed, with the commit's error if it did not.
//!
//! The file holds execution inputs, outputs and task results, which can be
//! secrets: a new file is created readable and writable by its owner only
//! (SQLite gives its `-wal` and `-shm` files the same mode).

use std::future::Future;
use std::sync::mpsc;
use std::task::{Context, Poll};

use rusqlite::Connection;
use rusqlite::types::ValueRef;
use tokio::sync::oneshot;

use super::ops::{self, Answer, Dialect, Op, Sql, SqlRow, Tx};
use super::*;

/// One operation for the writer thread, with where its answer goes.
type Job = (Op, oneshot::Sender<Result<Answer, StoreError>>);

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
    /// This process's deliveries and parks (one process owns the file's
    /// executions at a time, so nothing comes from elsewhere but claims).
    wakes: tokio::sync::broadcast::Sender<String>,
}

impl fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish()
    }
}

impl SqliteStore {
    /// Opens (creating if needed, readable by its owner only) the store at
    /// `path`; migrates a database of an older schema forward.
    pub fn open(path: impl AsRef<std::path::Path>) -> Result<SqliteStore, StoreError> {
        let path = path.as_ref();
        let shown = path.display().to_string();
        create_private(path)
            .map_err(|e| StoreError::Backend(format!("cannot open {shown}: {e}")))?;
        let conn = Connection::open(path)
            .map_err(|e| StoreError::Backend(format!("cannot open {shown}: {e}")))?;
        // WAL: readers never block the writer; FULL: every commit is fsynced,
        // so a committed transition survives a power loss too. Group commit
        // pays that fsync once for every write waiting.
        conn.pragma_update(None, "journal_mode", "WAL")
            .and_then(|_| conn.pragma_update(None, "synchronous", "FULL"))
            .and_then(|_| conn.busy_timeout(std::time::Duration::from_secs(10)))
            .map_err(|e| StoreError::Backend(format!("cannot set up {shown}: {e}")))?;
        in_transaction(&conn, |conn| run_now(ops::migrate(&SqliteTx(conn))))
            .map_err(|e| StoreError::Backend(format!("cannot set up {shown}: {e}")))?;
        let (jobs, queue) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("asl-sqlite".into())
            .spawn(move || writer(conn, queue))
            .map_err(|e| StoreError::Backend(format!("cannot start the store's thread: {e}")))?;
        let (wakes, _) = tokio::sync::broadcast::channel(4096);
        Ok(SqliteStore {
            jobs,
            path: shown,
            wakes,
        })
    }

    /// Queues `op` for the writer thread.
    fn submit(&self, op: Op) -> StoreFuture<'static, Answer> {
        let (reply, answer) = oneshot::channel();
        let sent = self.jobs.send((op, reply));
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

ops::execution_store!(SqliteStore);

/// Creates `path` with mode 0600 when it does not exist yet (an existing file
/// keeps its mode).
fn create_private(path: &std::path::Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

/// Runs a future made of SQLite statements, which never waits: every
/// statement of [`SqliteTx`] completes when it is called.
fn run_now<T>(future: impl Future<Output = Result<T, StoreError>>) -> Result<T, StoreError> {
    let mut future = std::pin::pin!(future);
    let mut cx = Context::from_waker(std::task::Waker::noop());
    match future.as_mut().poll(&mut cx) {
        Poll::Ready(result) => result,
        Poll::Pending => Err(StoreError::backend(
            "a SQLite operation did not complete at once",
        )),
    }
}

/// `op` in a transaction of its own (`BEGIN IMMEDIATE`: the write lock first,
/// so two processes on one file queue instead of failing to upgrade).
fn in_transaction<T>(
    conn: &Connection,
    op: impl FnOnce(&Connection) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    conn.execute_batch("BEGIN IMMEDIATE").map_err(db)?;
    let result = op(conn);
    let end = if result.is_ok() { "COMMIT" } else { "ROLLBACK" };
    match conn.execute_batch(end) {
        Ok(()) => result,
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err(db(e))
        }
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
            let e = StoreError::Backend(format!("cannot start a transaction: {e}"));
            for (_, reply) in group {
                let _ = reply.send(Err(e.clone()));
            }
            continue;
        }
        let mut results = Vec::with_capacity(group.len());
        for (op, reply) in group {
            // Each under its savepoint: one that fails undoes only itself.
            let result = match conn.execute_batch("SAVEPOINT op") {
                Ok(()) => {
                    let result = run_now(ops::apply(&SqliteTx(&conn), &op));
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
                Err(e) => Err(db(e)),
            };
            results.push((result, reply));
        }
        let committed = conn.execute_batch("COMMIT").map_err(|e| {
            let _ = conn.execute_batch("ROLLBACK");
            StoreError::Backend(format!("commit failed: {e}"))
        });
        for (result, reply) in results {
            let _ = reply.send(match &committed {
                Ok(()) => result,
                // Nothing of the group was kept: no operation succeeded.
                Err(e) => Err(e.clone()),
            });
        }
    }
}

fn sql(statement: &str) -> String {
    statement.replace('$', "?")
}

fn db(e: rusqlite::Error) -> StoreError {
    StoreError::Backend(format!("SQLite: {e}"))
}

/// The writer thread's connection, inside its transaction.
struct SqliteTx<'c>(&'c Connection);

fn bind(params: &[Sql]) -> Vec<rusqlite::types::Value> {
    params
        .iter()
        .map(|p| match p {
            Sql::Null => rusqlite::types::Value::Null,
            Sql::Int(n) => rusqlite::types::Value::Integer(*n),
            Sql::Text(s) => rusqlite::types::Value::Text(s.clone()),
            Sql::Bool(b) => rusqlite::types::Value::Integer(i64::from(*b)),
        })
        .collect()
}

impl SqliteTx<'_> {
    fn rows(&self, statement: &str, params: Vec<Sql>) -> Result<Vec<SqlRow>, StoreError> {
        let mut stmt = self.0.prepare_cached(&sql(statement)).map_err(db)?;
        let columns = stmt.column_count();
        let mut rows = stmt
            .query(rusqlite::params_from_iter(bind(&params)))
            .map_err(db)?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(db)? {
            let mut values = Vec::with_capacity(columns);
            for i in 0..columns {
                values.push(match row.get_ref(i).map_err(db)? {
                    ValueRef::Null => Sql::Null,
                    ValueRef::Integer(n) => Sql::Int(n),
                    ValueRef::Real(f) => Sql::Int(f as i64),
                    ValueRef::Text(t) | ValueRef::Blob(t) => {
                        Sql::Text(String::from_utf8_lossy(t).into_owned())
                    }
                });
            }
            out.push(values);
        }
        Ok(out)
    }
}

impl Tx for SqliteTx<'_> {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn query(
        &self,
        statement: &str,
        params: Vec<Sql>,
    ) -> impl Future<Output = Result<Vec<SqlRow>, StoreError>> {
        std::future::ready(self.rows(statement, params))
    }

    fn execute(
        &self,
        statement: &str,
        params: Vec<Sql>,
    ) -> impl Future<Output = Result<u64, StoreError>> {
        let result = self
            .0
            .prepare_cached(&sql(statement))
            .and_then(|mut stmt| stmt.execute(rusqlite::params_from_iter(bind(&params))))
            .map(|n| n as u64)
            .map_err(db);
        std::future::ready(result)
    }
}
