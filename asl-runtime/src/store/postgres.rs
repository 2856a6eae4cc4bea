//! The shared store: PostgreSQL, for several processes (or machines) running
//! the same program over the same executions.
//!
//! Claims lock the rows they take with `FOR UPDATE SKIP LOCKED`, so two
//! replicas never claim the same execution and neither waits for the other;
//! ownership is a lease in the row, renewed by its owner and fenced by an
//! epoch. Like the SQLite store, a writing task owns a connection and commits
//! every operation waiting for it at once in one transaction: operations on
//! different executions are sent together (pipelined on the connection; the
//! engine's writes batched into a few statements); anything else runs one by
//! one, each under a savepoint. There are two such connections, each with
//! its share of the executions (by ARN), so one's transaction runs while the
//! other's commit is flushed. When the database
//! fails one operation of a pipelined group, the group is rolled back and
//! every operation of it runs again in a transaction of its own, so each is
//! answered with what its own commit did.
//!
//! The connection is not encrypted: loopback and private networks only. Its
//! password is never printed (errors, logs, `Debug`), and can come from
//! `PGPASSWORD` instead of the URL.

use std::collections::HashMap;
use std::error::Error as _;
use std::sync::Mutex;

use futures_util::StreamExt;
use tokio::sync::{broadcast, mpsc, oneshot};
use tokio_postgres::types::{IsNull, ToSql, Type, to_sql_checked};
use tokio_postgres::{AsyncMessage, Client, Config, NoTls, Statement, Transaction};

use super::ops::{self, Answer, Dialect, Op, Sql, SqlRow, Tx};
use super::*;

/// The most operations one transaction carries.
const MAX_GROUP: usize = 1024;

/// Writing connections. An execution's operations all go to one of them (by
/// its ARN), in order, so each connection is like a replica of its own: while
/// one waits for its commit to be flushed, the other's transaction runs, and
/// PostgreSQL flushes both commits at once.
const WRITERS: usize = 2;

/// One operation for the writer task, with where its answer goes.
type Job = (Op, oneshot::Sender<Result<Answer, StoreError>>);

/// An [`ExecutionStore`] in a PostgreSQL database.
///
/// ```no_run
/// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
/// let store = asl_runtime::store::PostgresStore::connect("postgres://asl@127.0.0.1/asl").await?;
/// let runtime = asl_runtime::Runtime::builder().store(store).owner("replica-a").build();
/// # Ok(()) }
/// ```
pub struct PostgresStore {
    /// One queue per writing connection ([`WRITERS`]).
    lanes: Vec<mpsc::UnboundedSender<Job>>,
    /// Deliveries of this process and (through LISTEN) of every other.
    wakes: broadcast::Sender<String>,
    /// The LISTEN connection's task, which ends with the store.
    listener: tokio::task::JoinHandle<()>,
}

impl Drop for PostgresStore {
    fn drop(&mut self) {
        self.listener.abort();
    }
}

impl fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PostgresStore")
    }
}

/// What PostgreSQL said, without the connection's settings (no password).
fn pg(e: tokio_postgres::Error) -> StoreError {
    StoreError::Backend(describe(&e))
}

fn describe(e: &tokio_postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        let mut text = format!(
            "PostgreSQL {} ({}): {}",
            db.severity(),
            db.code().code(),
            db.message()
        );
        if let Some(detail) = db.detail() {
            text.push_str(&format!("; {detail}"));
        }
        if let Some(constraint) = db.constraint() {
            text.push_str(&format!(" (constraint {constraint})"));
        }
        return text;
    }
    let mut text = format!("PostgreSQL: {e}");
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(&format!(": {s}"));
        source = s.source();
    }
    text
}

async fn open(config: &Config) -> Result<Client, StoreError> {
    let (client, connection) = config.connect(NoTls).await.map_err(|e| {
        StoreError::Backend(format!("cannot connect to PostgreSQL: {}", describe(&e)))
    })?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::warn!(target: "asl::store", "PostgreSQL connection closed: {}", describe(&e));
        }
    });
    Ok(client)
}

impl PostgresStore {
    /// Connects to `url` (`postgres://user@host:port/database`, or key=value
    /// form; without a password in it, `PGPASSWORD` gives one), and creates
    /// the tables if they are missing or migrates older ones forward.
    /// Loopback and private networks only: the connection is not encrypted.
    pub async fn connect(url: &str) -> Result<PostgresStore, StoreError> {
        let mut config: Config = url.parse().map_err(|e: tokio_postgres::Error| {
            StoreError::Backend(format!("the PostgreSQL URL is not valid: {}", describe(&e)))
        })?;
        if config.get_password().is_none()
            && let Ok(password) = std::env::var("PGPASSWORD")
        {
            config.password(password);
        }
        let mut client = open(&config).await?;
        // Several replicas may start at once: creating or migrating the tables
        // is serialised by an advisory lock held for that transaction only.
        let cache = Cache::default();
        let tx = client.transaction().await.map_err(pg)?;
        tx.execute("SELECT pg_advisory_xact_lock(7283910)", &[])
            .await
            .map_err(pg)?;
        ops::migrate(&PgTx {
            t: &tx,
            cache: &cache,
        })
        .await
        .map_err(|e| StoreError::Backend(format!("cannot create the tables: {e}")))?;
        tx.commit().await.map_err(pg)?;
        let mut lanes = Vec::with_capacity(WRITERS);
        let mut client = Some(client);
        for _ in 0..WRITERS {
            let client = match client.take() {
                Some(client) => client,
                None => open(&config).await?,
            };
            let (jobs, queue) = mpsc::unbounded_channel();
            tokio::spawn(writer(client, config.clone(), queue));
            lanes.push(jobs);
        }
        let (wakes, _) = broadcast::channel(4096);
        let listener = tokio::spawn(listen(config.clone(), wakes.clone()));
        Ok(PostgresStore {
            lanes,
            wakes,
            listener,
        })
    }

    /// The writing connection of the execution `arn`.
    fn lane(&self, arn: &str) -> usize {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::hash::DefaultHasher::new();
        arn.hash(&mut hasher);
        (hasher.finish() % self.lanes.len() as u64) as usize
    }

    /// Queues `op` on its execution's connection (the first for operations
    /// on no one execution). A renewal is split by connection, so no
    /// connection ever locks another's executions.
    fn submit(&self, op: Op) -> StoreFuture<'static, Answer> {
        if self.lanes.len() > 1
            && let Op::Renew {
                owner,
                held,
                lease_ms,
            } = op
        {
            let mut parts = vec![Vec::new(); self.lanes.len()];
            for h in held {
                parts[self.lane(&h.0)].push(h);
            }
            let renewals: Vec<_> = parts
                .into_iter()
                .enumerate()
                .filter(|(_, held)| !held.is_empty())
                .map(|(lane, held)| {
                    let op = Op::Renew {
                        owner: owner.clone(),
                        held,
                        lease_ms,
                    };
                    self.send(lane, op)
                })
                .collect();
            return Box::pin(async move {
                let mut lost = Vec::new();
                for renewal in renewals {
                    match renewal.await? {
                        Answer::Lost(l) => lost.extend(l),
                        other => return Err(ops::unexpected(other)),
                    }
                }
                Ok(Answer::Lost(lost))
            });
        }
        let lane = op.arn().map_or(0, |arn| self.lane(arn));
        self.send(lane, op)
    }

    fn send(&self, lane: usize, op: Op) -> StoreFuture<'static, Answer> {
        let (reply, answer) = oneshot::channel();
        let sent = self.lanes[lane].send((op, reply));
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

ops::execution_store!(PostgresStore);

/// The LISTEN connection: every notification on the wake channel (an ARN,
/// sent at commit by a delivery in any process) goes to the store's
/// [`ExecutionStore::wakeups`] receivers. When the connection drops, it is
/// opened again, and an empty ARN tells receivers that they may have missed
/// some.
async fn listen(config: Config, wakes: broadcast::Sender<String>) {
    let mut backoff = std::time::Duration::from_millis(100);
    loop {
        match config.connect(NoTls).await {
            Ok((client, mut connection)) => {
                let forward = wakes.clone();
                let messages = tokio::spawn(async move {
                    let mut messages =
                        futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
                    while let Some(message) = messages.next().await {
                        match message {
                            Ok(AsyncMessage::Notification(n)) => {
                                let _ = forward.send(n.payload().to_string());
                            }
                            Ok(_) => {}
                            Err(e) => {
                                tracing::warn!(target: "asl::store", "PostgreSQL LISTEN connection: {}", describe(&e));
                                break;
                            }
                        }
                    }
                });
                let listening = client
                    .batch_execute(&format!("LISTEN {}", super::schema::WAKE_CHANNEL))
                    .await;
                match listening {
                    Ok(()) => {
                        backoff = std::time::Duration::from_millis(100);
                        // Whatever was sent while no connection listened.
                        let _ = wakes.send(String::new());
                        let _ = messages.await;
                    }
                    Err(e) => {
                        tracing::warn!(target: "asl::store", "cannot LISTEN: {}", describe(&e));
                        messages.abort();
                    }
                }
                drop(client);
            }
            Err(e) => {
                tracing::debug!(target: "asl::store", "cannot open the LISTEN connection: {}", describe(&e));
            }
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(std::time::Duration::from_secs(5));
    }
}

/// The writer task: group after group until every handle is gone.
async fn writer(mut client: Client, config: Config, mut queue: mpsc::UnboundedReceiver<Job>) {
    // Statements are prepared once per connection: a statement by text costs a
    // round trip to prepare it before the one that runs it.
    let mut cache = Cache::default();
    while let Some(first) = queue.recv().await {
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match queue.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        if client.is_closed() {
            match open(&config).await {
                Ok(c) => {
                    client = c;
                    cache = Cache::default();
                }
                Err(e) => {
                    for (_, reply) in group {
                        let _ = reply.send(Err(e.clone()));
                    }
                    continue;
                }
            }
        }
        let (ops, replies): (Vec<Op>, Vec<_>) = group.into_iter().unzip();
        let results = if ops.len() == 1 || independent(&ops) {
            match pipelined(&mut client, &cache, &ops).await {
                Some(results) => results,
                // The database failed one of them: each alone, so none is
                // answered with another's failure, nor acknowledged unwritten.
                None => {
                    let mut results = Vec::with_capacity(ops.len());
                    for op in &ops {
                        results.push(alone(&mut client, &cache, op).await);
                    }
                    results
                }
            }
        } else {
            one_by_one(&mut client, &cache, &ops).await
        };
        for (result, reply) in results.into_iter().zip(replies) {
            let _ = reply.send(result);
        }
    }
}

/// Do the operations concern different executions, each one only?
fn independent(ops: &[Op]) -> bool {
    let mut seen = std::collections::HashSet::new();
    ops.iter()
        .all(|op| op.arn().is_some_and(|arn| seen.insert(arn)))
}

/// Runs `ops` side by side in one transaction and commits it: their answers,
/// or `None` when the database failed any of them (then nothing was kept).
async fn pipelined(
    client: &mut Client,
    cache: &Cache,
    ops: &[Op],
) -> Option<Vec<Result<Answer, StoreError>>> {
    let tx = match client.transaction().await {
        Ok(tx) => tx,
        Err(e) => {
            let e = StoreError::Backend(format!("cannot start a transaction: {}", describe(&e)));
            return Some(ops.iter().map(|_| Err(e.clone())).collect());
        }
    };
    let t = PgTx { t: &tx, cache };
    let results = ops::apply_independent(&t, ops).await;
    let failed = results
        .iter()
        .any(|r| matches!(r, Err(StoreError::Backend(_))));
    if failed {
        let _ = tx.rollback().await;
        return if ops.len() == 1 { Some(results) } else { None };
    }
    match tx.commit().await {
        Ok(()) => Some(results),
        Err(e) => {
            let e = StoreError::Backend(format!("commit failed: {}", describe(&e)));
            Some(ops.iter().map(|_| Err(e.clone())).collect())
        }
    }
}

/// `op` in a transaction of its own.
async fn alone(client: &mut Client, cache: &Cache, op: &Op) -> Result<Answer, StoreError> {
    let tx = client.transaction().await.map_err(pg)?;
    let result = ops::apply(&PgTx { t: &tx, cache }, op).await;
    if matches!(result, Err(StoreError::Backend(_))) {
        let _ = tx.rollback().await;
        return result;
    }
    tx.commit()
        .await
        .map_err(|e| StoreError::Backend(format!("commit failed: {}", describe(&e))))?;
    result
}

/// `ops` one after another in one transaction, each under a savepoint (a
/// failure undoes that operation only).
async fn one_by_one(
    client: &mut Client,
    cache: &Cache,
    ops: &[Op],
) -> Vec<Result<Answer, StoreError>> {
    let mut tx = match client.transaction().await {
        Ok(tx) => tx,
        Err(e) => {
            let e = StoreError::Backend(format!("cannot start a transaction: {}", describe(&e)));
            return ops.iter().map(|_| Err(e.clone())).collect();
        }
    };
    let mut results = Vec::with_capacity(ops.len());
    for op in ops {
        let result = match tx.savepoint("op").await {
            Ok(sp) => {
                let result = ops::apply(&PgTx { t: &sp, cache }, op).await;
                let ended = if result.is_ok() {
                    sp.commit().await
                } else {
                    sp.rollback().await
                };
                match ended {
                    Ok(()) => result,
                    Err(e) => Err(pg(e)),
                }
            }
            Err(e) => Err(pg(e)),
        };
        results.push(result);
    }
    if let Err(e) = tx.commit().await {
        let e = StoreError::Backend(format!("commit failed: {}", describe(&e)));
        return ops.iter().map(|_| Err(e.clone())).collect();
    }
    results
}

/// Prepared statements of one connection, by their text.
#[derive(Default)]
struct Cache(Mutex<HashMap<String, Statement>>);

/// A transaction and the connection's prepared statements.
struct PgTx<'a> {
    t: &'a Transaction<'a>,
    cache: &'a Cache,
}

impl PgTx<'_> {
    async fn statement(&self, sql: &str) -> Result<Statement, StoreError> {
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
        let statement = self.t.prepare(sql).await.map_err(pg)?;
        self.cache
            .0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(sql.to_string(), statement.clone());
        Ok(statement)
    }
}

impl Tx for PgTx<'_> {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    async fn query(&self, sql: &str, params: Vec<Sql>) -> Result<Vec<SqlRow>, StoreError> {
        let statement = self.statement(sql).await?;
        let refs: Vec<&(dyn ToSql + Sync)> =
            params.iter().map(|p| p as &(dyn ToSql + Sync)).collect();
        let rows = self.t.query(&statement, &refs).await.map_err(pg)?;
        rows.iter().map(row).collect()
    }

    async fn execute(&self, sql: &str, params: Vec<Sql>) -> Result<u64, StoreError> {
        let statement = self.statement(sql).await?;
        let refs: Vec<&(dyn ToSql + Sync)> =
            params.iter().map(|p| p as &(dyn ToSql + Sync)).collect();
        self.t.execute(&statement, &refs).await.map_err(pg)
    }
}

/// A row as [`Sql`] values, by each column's type.
fn row(r: &tokio_postgres::Row) -> Result<SqlRow, StoreError> {
    let mut values = Vec::with_capacity(r.len());
    for (i, column) in r.columns().iter().enumerate() {
        let ty = column.type_();
        let value = if *ty == Type::INT8 {
            r.try_get::<_, Option<i64>>(i).map_err(pg)?.map(Sql::Int)
        } else if *ty == Type::INT4 {
            r.try_get::<_, Option<i32>>(i)
                .map_err(pg)?
                .map(|n| Sql::Int(n.into()))
        } else if *ty == Type::BOOL {
            r.try_get::<_, Option<bool>>(i).map_err(pg)?.map(Sql::Bool)
        } else {
            r.try_get::<_, Option<String>>(i)
                .map_err(pg)?
                .map(Sql::Text)
        };
        values.push(value.unwrap_or(Sql::Null));
    }
    Ok(values)
}

impl ToSql for Sql {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut bytes::BytesMut,
    ) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match self {
            Sql::Null => Ok(IsNull::Yes),
            Sql::Int(n) => {
                if *ty == Type::INT4 {
                    i32::try_from(*n)?.to_sql(ty, out)
                } else {
                    n.to_sql(ty, out)
                }
            }
            Sql::Text(s) => s.to_sql(ty, out),
            Sql::Bool(b) => b.to_sql(ty, out),
            Sql::Texts(v) => v.to_sql(ty, out),
            Sql::Ints(v) => v.to_sql(ty, out),
            Sql::Bools(v) => v.to_sql(ty, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}
