//! The embedded store: one SQLite file in WAL mode, nothing to start.
//!
//! One thread owns the connection. Operations queue to it; it runs every
//! operation waiting at once in one transaction and commits once (group
//! commit), in the order they arrived. One failing operation does not undo the
//! others: each runs under a savepoint of its own, but the engine's writes,
//! which refuse before changing anything; when the database fails one of
//! those, the group is rolled back and each operation runs again in a
//! transaction of its own.
//!
//! An operation is answered only once its transaction is committed *and*
//! flushed to the disk, with the commit's (or the flush's) error if it was
//! not. The flush is pipelined: a second thread fsyncs the write-ahead log
//! while the writer already runs the next group, and one fsync covers every
//! group committed before it started. So the disk's flush latency is paid
//! alongside the next group's work, not before it; nothing is answered (not
//! even a read, which could show what a later power loss would take back)
//! before it is durable.
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

/// One operation for the writer thread, with where its answer goes (the
/// operation goes back with it).
type Job = (Op, oneshot::Sender<(Result<Answer, StoreError>, Op)>);

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
        // WAL: readers never block the writer. NORMAL: a commit only appends
        // to the WAL (checkpoints are still synced); the flusher thread fsyncs
        // the WAL before anything committed is answered, so a committed and
        // answered transition survives a power loss too.
        conn.pragma_update(None, "journal_mode", "WAL")
            .and_then(|_| conn.pragma_update(None, "synchronous", "NORMAL"))
            .and_then(|_| conn.busy_timeout(std::time::Duration::from_secs(10)))
            // Checkpoints run on a thread of their own (below), not in the
            // writer's commits.
            .and_then(|_| conn.pragma_update(None, "wal_autocheckpoint", 0))
            .map_err(|e| StoreError::Backend(format!("cannot set up {shown}: {e}")))?;
        conn.set_prepared_statement_cache_capacity(64);
        let checkpoints = checkpointer(path)
            .map_err(|e| StoreError::Backend(format!("cannot set up {shown}: {e}")))?;
        in_transaction(&conn, |conn| run_now(ops::migrate(&SqliteTx(conn))))
            .map_err(|e| StoreError::Backend(format!("cannot set up {shown}: {e}")))?;
        let flushes = flusher(path)
            .map_err(|e| StoreError::Backend(format!("cannot set up {shown}: {e}")))?;
        let (jobs, queue) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("asl-sqlite".into())
            .spawn(move || writer(conn, queue, checkpoints, flushes))
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
            match answer.await {
                Ok((answer, _op)) => answer,
                Err(_) => Err(StoreError::backend("the store's thread has stopped")),
            }
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

/// Commits between two checkpoints: about as many WAL pages as SQLite's own
/// automatic checkpoint lets accumulate, under load.
const COMMITS_PER_CHECKPOINT: u32 = 16;

/// A thread with a connection of its own that copies the WAL back into the
/// database when the writer asks (a `PASSIVE` checkpoint, which never blocks
/// the writer): the writer's commits only append to the WAL, and the copying
/// runs on another core. The thread ends with the writer.
fn checkpointer(path: &std::path::Path) -> Result<mpsc::SyncSender<()>, String> {
    let conn = Connection::open(path).map_err(|e| e.to_string())?;
    conn.busy_timeout(std::time::Duration::from_secs(10))
        .map_err(|e| e.to_string())?;
    let (ask, asked) = mpsc::sync_channel::<()>(1);
    std::thread::Builder::new()
        .name("asl-sqlite-checkpoint".into())
        .spawn(move || {
            while asked.recv().is_ok() {
                if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
                    tracing::warn!(target: "asl::store", "SQLite checkpoint failed: {e}");
                }
            }
        })
        .map_err(|e| e.to_string())?;
    Ok(ask)
}

/// Answers of committed operations, waiting for the flush that makes them
/// durable.
type Answers = Vec<(
    Result<Answer, StoreError>,
    oneshot::Sender<(Result<Answer, StoreError>, Op)>,
    Op,
)>;

/// The flusher thread: takes every group of answers the writer committed
/// since its last fsync, fsyncs the WAL once (all of them are in it), then
/// answers them, while the writer already runs the next group. When the
/// fsync fails, each answer becomes that failure: what it wrote may not be
/// on the disk. The thread ends with the writer.
fn flusher(path: &std::path::Path) -> Result<mpsc::Sender<Answers>, String> {
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    // The migration's transaction has created the WAL: make its directory
    // entry durable once, then flush the file itself.
    let wal = std::fs::OpenOptions::new()
        .read(true)
        .open(&wal)
        .map_err(|e| format!("cannot open the write-ahead log: {e}"))?;
    #[cfg(unix)]
    if let Some(dir) = path.parent() {
        let dir = if dir.as_os_str().is_empty() {
            std::path::Path::new(".")
        } else {
            dir
        };
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| format!("cannot flush the store's directory: {e}"))?;
    }
    let (send, answers) = mpsc::channel::<Answers>();
    std::thread::Builder::new()
        .name("asl-sqlite-flush".into())
        .spawn(move || {
            while let Ok(mut waiting) = answers.recv() {
                while let Ok(more) = answers.try_recv() {
                    waiting.extend(more);
                }
                let flushed = wal.sync_data().map_err(|e| {
                    StoreError::Backend(format!("cannot flush the write-ahead log: {e}"))
                });
                for (result, reply, op) in waiting {
                    let result = match &flushed {
                        Ok(()) => result,
                        Err(e) => Err(e.clone()),
                    };
                    let _ = reply.send((result, op));
                }
            }
        })
        .map_err(|e| e.to_string())?;
    Ok(send)
}

/// The writer thread: group after group until every [`SqliteStore`] handle is
/// gone. Answers go to the flusher ([`flusher`]), operations back to their
/// callers with their answers, so freeing them is not this thread's work.
fn writer(
    conn: Connection,
    queue: mpsc::Receiver<Job>,
    checkpoints: mpsc::SyncSender<()>,
    flushes: mpsc::Sender<Answers>,
) {
    let answer = |answers: Answers| {
        if let Err(mpsc::SendError(answers)) = flushes.send(answers) {
            for (_, reply, op) in answers {
                let e = StoreError::backend("the store's flushing thread has stopped");
                let _ = reply.send((Err(e), op));
            }
        }
    };
    let mut commits = 0u32;
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
            for (op, reply) in group {
                let _ = reply.send((Err(e.clone()), op));
            }
            continue;
        }
        let (ops, replies): (Vec<Op>, Vec<_>) = group.into_iter().unzip();
        let mut results = Vec::with_capacity(ops.len());
        let mut poisoned = false;
        for op in &ops {
            results.push(if matches!(op, Op::Write(_)) {
                // An engine write refuses (not its owner) before it changes
                // anything, so it needs no savepoint of its own; when the
                // database fails it halfway, the group runs again below.
                let result = run_now(ops::apply(&SqliteTx(&conn), op));
                poisoned |= matches!(result, Err(StoreError::Backend(_)));
                result
            } else {
                savepointed(&conn, op)
            });
        }
        if poisoned {
            // Undo the group and give each operation a transaction of its
            // own, so none is answered with another's failure.
            let _ = conn.execute_batch("ROLLBACK");
            let answers = ops
                .into_iter()
                .zip(replies)
                .map(|(op, reply)| {
                    let result =
                        in_transaction(&conn, |conn| run_now(ops::apply(&SqliteTx(conn), &op)));
                    (result, reply, op)
                })
                .collect();
            answer(answers);
            continue;
        }
        let committed = conn.execute_batch("COMMIT").map_err(|e| {
            let _ = conn.execute_batch("ROLLBACK");
            StoreError::Backend(format!("commit failed: {e}"))
        });
        commits += 1;
        if commits >= COMMITS_PER_CHECKPOINT {
            commits = 0;
            // Full: a checkpoint is running and will see this commit's pages.
            let _ = checkpoints.try_send(());
        }
        let answers = results
            .into_iter()
            .zip(replies)
            .zip(ops)
            .map(|((result, reply), op)| {
                let result = match &committed {
                    Ok(()) => result,
                    // Nothing of the group was kept: no operation succeeded.
                    Err(e) => Err(e.clone()),
                };
                (result, reply, op)
            })
            .collect();
        answer(answers);
    }
}

/// `op` under a savepoint of the group's transaction: when it fails, only
/// what it did is undone.
fn savepointed(conn: &Connection, op: &Op) -> Result<Answer, StoreError> {
    conn.execute_batch("SAVEPOINT op").map_err(db)?;
    let result = run_now(ops::apply(&SqliteTx(conn), op));
    let end = if result.is_ok() {
        "RELEASE op"
    } else {
        "ROLLBACK TO op; RELEASE op"
    };
    conn.execute_batch(end).map_err(db)?;
    result
}

fn sql(statement: &str) -> String {
    statement.replace('$', "?")
}

fn db(e: rusqlite::Error) -> StoreError {
    StoreError::Backend(format!("SQLite: {e}"))
}

/// The writer thread's connection, inside its transaction.
struct SqliteTx<'c>(&'c Connection);

fn bind(params: Vec<Sql>) -> Result<Vec<rusqlite::types::Value>, StoreError> {
    params
        .into_iter()
        .map(|p| match p {
            Sql::Null => Ok(rusqlite::types::Value::Null),
            Sql::Int(n) => Ok(rusqlite::types::Value::Integer(n)),
            Sql::Text(s) => Ok(rusqlite::types::Value::Text(s)),
            Sql::Bool(b) => Ok(rusqlite::types::Value::Integer(i64::from(b))),
            Sql::Texts(_) | Sql::Ints(_) | Sql::Bools(_) => Err(StoreError::backend(
                "SQLite has no arrays: a statement for PostgreSQL was sent to SQLite",
            )),
        })
        .collect()
}

impl SqliteTx<'_> {
    fn rows(&self, statement: &str, params: Vec<Sql>) -> Result<Vec<SqlRow>, StoreError> {
        let mut stmt = self.0.prepare_cached(&sql(statement)).map_err(db)?;
        let columns = stmt.column_count();
        let mut rows = stmt
            .query(rusqlite::params_from_iter(bind(params)?))
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
        let result = bind(params).and_then(|values| {
            self.0
                .prepare_cached(&sql(statement))
                .and_then(|mut stmt| stmt.execute(rusqlite::params_from_iter(values)))
                .map(|n| n as u64)
                .map_err(db)
        });
        std::future::ready(result)
    }
}
