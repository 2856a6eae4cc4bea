//! The store's own guarantees, one regression test per defect the durable
//! core had: a rolled-back group acknowledged, a write after a lost lease, a
//! stop racing an End write, a start racing a claim in one process; and its
//! housekeeping: schema migration, file mode, database errors that say what
//! the database said. SQLite always; PostgreSQL when `ASL_POSTGRES_URL` is set.

use std::sync::Arc;
use std::time::Duration;

use asl::runtime::store::{
    ChildEnd, ChildStart, End, ExecutionRecord, ExecutionStatus, ExecutionStore, Inserted,
    MapRunCounts, MapRunProgress, MapRunRecord, Outcome, Position, PostgresStore, SqliteStore,
    StoreError, StoredEvent, Suspension, SuspensionKind, Write,
};
use serde_json::json;
use time::OffsetDateTime;

use crate::common::{OwnServer, postgres_url};

fn temp_db(test: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("asl-store-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("executions.db")
}

fn millis(t: OffsetDateTime) -> OffsetDateTime {
    t.replace_nanosecond(t.millisecond() as u32 * 1_000_000)
        .unwrap()
}

/// A RUNNING execution owned by `owner` whose lease runs for `lease`.
fn record(name: &str, owner: &str, lease: Duration) -> ExecutionRecord {
    let now = millis(OffsetDateTime::now_utc());
    let input = json!({"n": name});
    ExecutionRecord {
        owner: Some(owner.to_string()),
        lease_until: Some(now + lease),
        next_event_id: 2,
        ..ExecutionRecord::started(
            format!("arn:aws:states:us-east-1:123456789012:execution:Flow:{name}"),
            name,
            "Flow",
            "hash",
            input.clone(),
            now,
            Position::at("Start", input, json!({})),
        )
    }
}

fn event(id: u64, event_type: &str) -> StoredEvent {
    StoredEvent {
        id,
        timestamp: millis(OffsetDateTime::now_utc()),
        event_type: event_type.into(),
        state: None,
        previous_event_id: id - 1,
        details: json!({}),
    }
}

fn write(r: &ExecutionRecord, owner: &str, epoch: u64, events: Vec<StoredEvent>) -> Write {
    Write {
        arn: r.arn.clone(),
        owner: Some(owner.into()),
        epoch,
        next_event_id: events.last().map_or(r.next_event_id, |e| e.id + 1),
        events,
        ..Write::default()
    }
}

fn unique(tag: &str) -> String {
    format!("{tag}-{}", &uuid::Uuid::new_v4().simple().to_string()[..8])
}

/// One operation of a group fails in the database (a duplicate event id):
/// the other, sent with it, is committed and answered as such, and the
/// failure says which constraint.
async fn a_failed_operation_does_not_take_its_group_down(store: &dyn ExecutionStore) {
    let a = record(&unique("group-a"), "me", Duration::from_secs(30));
    let b = record(&unique("group-b"), "me", Duration::from_secs(30));
    assert_eq!(
        store
            .insert(&a, &[event(1, "ExecutionStarted")])
            .await
            .unwrap(),
        Inserted::Created
    );
    // Both sent before either is awaited: they travel in one group.
    let bad = store.write(write(&a, "me", 1, vec![event(1, "PassStateEntered")]));
    let started = [event(1, "ExecutionStarted")];
    let good = store.insert(&b, &started);
    let (bad, good) = tokio::join!(bad, good);
    let e = bad.unwrap_err();
    assert!(matches!(e, StoreError::Backend(_)), "{e}");
    let text = e.to_string();
    assert!(
        text.contains("asl_events") || text.contains("UNIQUE") || text.contains("unique"),
        "the error says what the database said: {text}"
    );
    assert_eq!(good.unwrap(), Inserted::Created);
    assert_eq!(
        store.history(&b.arn).await.unwrap().len(),
        1,
        "acknowledged, so stored"
    );
    assert_eq!(
        store.history(&a.arn).await.unwrap().len(),
        1,
        "the failed write left nothing"
    );
}

/// The owner lost its lease and another runtime claimed the execution: the
/// old owner's writes are refused (fenced by the epoch), the new one's pass.
async fn a_lost_lease_fences_the_old_owner_out(store: &dyn ExecutionStore) {
    let r = record(&unique("fence"), "old", Duration::ZERO);
    store
        .insert(&r, &[event(1, "ExecutionStarted")])
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(20)).await;
    let claimed = store
        .claim("new", &["Flow"], Duration::from_secs(30), 1000, &[])
        .await
        .unwrap();
    let mine = claimed
        .iter()
        .find(|c| c.arn == r.arn)
        .expect("the expired lease is claimed");
    assert_eq!(mine.epoch, 2);
    let old = store
        .write(write(&r, "old", 1, vec![event(2, "PassStateEntered")]))
        .await;
    assert!(matches!(old, Err(StoreError::NotOwner(_))), "{old:?}");
    store
        .write(write(&r, "new", 2, vec![event(2, "PassStateEntered")]))
        .await
        .unwrap();
    // A renewal names the epoch too: the old owner's reports the loss.
    let lost = store
        .renew("new", &[(r.arn.clone(), 1)], Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(lost, [(r.arn.clone(), 1)]);
    let kept = store
        .renew("new", &[(r.arn.clone(), 2)], Duration::from_secs(30))
        .await
        .unwrap();
    assert!(kept.is_empty());
}

/// StopExecution and the owner's End write race: whichever comes second
/// finds the other's result; an ABORTED execution is never overwritten.
async fn a_stop_is_never_overwritten_by_an_end(store: &dyn ExecutionStore) {
    let r = record(&unique("stop"), "me", Duration::from_secs(30));
    store
        .insert(&r, &[event(1, "ExecutionStarted")])
        .await
        .unwrap();
    let now = OffsetDateTime::now_utc();
    let mut end = write(&r, "me", 1, vec![event(2, "ExecutionSucceeded")]);
    end.end = Some(End {
        status: ExecutionStatus::Succeeded,
        output: Some(json!({})),
        error: None,
        cause: None,
        date: now,
    });
    let (stopped, ended) = tokio::join!(
        store.stop(&r.arn, Some("E"), Some("C"), now),
        store.write(end)
    );
    stopped.unwrap();
    let described = store.describe(&r.arn).await.unwrap();
    match ended {
        Ok(()) => panic!("the End write passed after the stop: {described:?}"),
        Err(StoreError::NotOwner(_)) => assert_eq!(described.status, ExecutionStatus::Aborted),
        Err(e) => panic!("{e}"),
    }
    let history = store.history(&r.arn).await.unwrap();
    let ids: Vec<u64> = history.iter().map(|e| e.id).collect();
    assert_eq!(ids, [1, 2]);
}

fn token_wait(r: &ExecutionRecord, id: &str, token: &str) -> Suspension {
    let now = millis(OffsetDateTime::now_utc());
    let mut s = Suspension::new(r.arn.clone(), id, SuspensionKind::TaskToken, now);
    s.token = Some(token.to_string());
    s.deadline = Some(now + Duration::from_secs(3600));
    s.heartbeat_seconds = Some(60);
    s.heartbeat_deadline = Some(now + Duration::from_secs(60));
    s.details = json!({"resource": "arn:aws:states:::lambda:invoke.waitForTaskToken"});
    s
}

/// A suspension is stored once per waiting point: a second suspend of the
/// same id (a resumed execution) gets the first one back, token included; a
/// suspend is a fenced write like any other.
async fn a_suspension_is_stored_once_per_waiting_point(store: &dyn ExecutionStore) {
    let r = record(&unique("suspend"), "me", Duration::from_secs(30));
    store
        .insert(&r, &[event(1, "ExecutionStarted")])
        .await
        .unwrap();
    let first = token_wait(&r, "Call@2", &unique("token-a"));
    let stored = store
        .suspend(
            write(&r, "me", 1, vec![event(2, "TaskStateEntered")]),
            first.clone(),
        )
        .await
        .unwrap();
    assert_eq!(stored, first);
    let again = store
        .suspend(
            write(&r, "me", 1, Vec::new()),
            token_wait(&r, "Call@2", "other"),
        )
        .await
        .unwrap();
    assert_eq!(again.token, first.token, "the stored token stands");
    let stranger = store
        .suspend(
            write(&r, "stranger", 1, Vec::new()),
            token_wait(&r, "X@9", "x"),
        )
        .await;
    assert!(
        matches!(stranger, Err(StoreError::NotOwner(_))),
        "{stranger:?}"
    );
    assert_eq!(store.suspension(&r.arn, "X@9").await.unwrap(), None);
    assert_eq!(store.history(&r.arn).await.unwrap().len(), 2);
}

/// Delivering to a token: the first outcome closes the task and makes a
/// parked execution due at once, in the same transaction; a second delivery
/// gets TaskTimedOut, an unknown token TaskDoesNotExist; a heartbeat moves
/// the heartbeat deadline; the engine's own close (a deadline) does not
/// overwrite a delivered outcome.
async fn a_delivery_closes_the_task_and_wakes_the_execution(store: &dyn ExecutionStore) {
    let mut wakeups = store.wakeups();
    let r = record(&unique("deliver"), "me", Duration::from_secs(30));
    store
        .insert(&r, &[event(1, "ExecutionStarted")])
        .await
        .unwrap();
    let token = unique("token");
    let waiting = token_wait(&r, "Call@2", &token);
    let mut park = write(&r, "me", 1, Vec::new());
    park.park_until = waiting.deadline;
    park.park_on = Some(waiting.id.clone());
    store.suspend(park, waiting.clone()).await.unwrap();
    let parked = store.describe(&r.arn).await.unwrap();
    assert_eq!(parked.owner, None);
    assert_eq!(parked.wake_at, waiting.deadline);
    assert_eq!(
        store
            .next_due(&["Flow"])
            .await
            .unwrap()
            .map(|d| d <= waiting.deadline.unwrap()),
        Some(true)
    );

    let later = OffsetDateTime::now_utc() + Duration::from_secs(5);
    let beat = store.heartbeat(&token, later).await.unwrap();
    assert_eq!(
        beat.heartbeat_deadline.map(|d| d.unix_timestamp()),
        Some((later + Duration::from_secs(60)).unix_timestamp())
    );

    let now = OffsetDateTime::now_utc();
    let delivered = store
        .deliver(&token, Outcome::Succeeded(json!({"ok": 1})), now)
        .await
        .unwrap();
    assert_eq!(delivered.arn, r.arn);
    assert_eq!(
        delivered.outcome,
        Some(Outcome::Succeeded(json!({"ok": 1})))
    );
    let due = store.describe(&r.arn).await.unwrap();
    assert!(
        due.wake_at
            .is_some_and(|w| w <= OffsetDateTime::now_utc() + Duration::from_secs(1)),
        "due at once: {:?}",
        due.wake_at
    );
    let woken = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if wakeups.recv().await.unwrap() == r.arn {
                break;
            }
        }
    })
    .await;
    assert!(woken.is_ok(), "the delivery is announced");
    let claimed = store
        .claim("next", &["Flow"], Duration::from_secs(30), 1000, &[])
        .await
        .unwrap();
    assert!(claimed.iter().any(|c| c.arn == r.arn), "claimable once due");

    let twice = store
        .deliver(
            &token,
            Outcome::Failed {
                error: Some("E".into()),
                cause: None,
            },
            now,
        )
        .await;
    assert!(
        matches!(twice, Err(StoreError::TaskTimedOut(_))),
        "{twice:?}"
    );
    let unknown = store.deliver("no-such-token", Outcome::TimedOut, now).await;
    assert!(
        matches!(unknown, Err(StoreError::TaskDoesNotExist(_))),
        "{unknown:?}"
    );
    let stands = store
        .resolve(&r.arn, "Call@2", Outcome::TimedOut, now)
        .await
        .unwrap();
    assert_eq!(stands, Outcome::Succeeded(json!({"ok": 1})));
}

/// A delivery while the owner still holds the execution and is about to
/// park on it: the park finds the outcome and leaves the execution due, so
/// nothing waits for a deadline that no longer matters. A delivery to an
/// execution that stopped is refused.
async fn a_park_after_a_delivery_is_due_at_once(store: &dyn ExecutionStore) {
    let r = record(&unique("park-late"), "me", Duration::from_secs(30));
    store
        .insert(&r, &[event(1, "ExecutionStarted")])
        .await
        .unwrap();
    let token = unique("token");
    let waiting = token_wait(&r, "Call@2", &token);
    store
        .suspend(write(&r, "me", 1, Vec::new()), waiting.clone())
        .await
        .unwrap();
    let now = OffsetDateTime::now_utc();
    store
        .deliver(&token, Outcome::Succeeded(json!(1)), now)
        .await
        .unwrap();
    assert_eq!(
        store.describe(&r.arn).await.unwrap().wake_at,
        None,
        "held: its owner is told, nothing parks"
    );
    let mut park = write(&r, "me", 1, Vec::new());
    park.park_until = waiting.deadline;
    park.park_on = Some(waiting.id.clone());
    store.write(park).await.unwrap();
    let parked = store.describe(&r.arn).await.unwrap();
    assert!(
        parked
            .wake_at
            .is_some_and(|w| w < waiting.deadline.unwrap()),
        "due at once, not at the deadline: {:?}",
        parked.wake_at
    );

    let other = record(&unique("stopped"), "me", Duration::from_secs(30));
    store
        .insert(&other, &[event(1, "ExecutionStarted")])
        .await
        .unwrap();
    let token = unique("token");
    store
        .suspend(
            write(&other, "me", 1, Vec::new()),
            token_wait(&other, "Call@2", &token),
        )
        .await
        .unwrap();
    store.stop(&other.arn, None, None, now).await.unwrap();
    let late = store
        .deliver(&token, Outcome::Succeeded(json!(1)), now)
        .await;
    assert!(matches!(late, Err(StoreError::TaskTimedOut(_))), "{late:?}");
}

/// A child of Map Run `map_run` of `parent`, stored as it starts (fenced on
/// the parent) and, with `end`, as it ends then (status and stop date).
async fn child(
    store: &dyn ExecutionStore,
    parent: &ExecutionRecord,
    map_run: &str,
    index: u64,
    end: Option<(ExecutionStatus, OffsetDateTime)>,
) {
    let arn = format!("{}/Each:{index}", parent.arn);
    let mut record = record(&unique("child"), "me", Duration::from_secs(30));
    record.arn = arn.clone();
    record.owner = None;
    record.lease_until = None;
    let start = ChildStart {
        record,
        map_run_arn: map_run.to_string(),
        index,
        items: 2,
        events: vec![event(1, "ExecutionStarted")],
        continued: false,
    };
    store
        .start_child(write(parent, "me", 1, Vec::new()), &start)
        .await
        .unwrap();
    if let Some((status, date)) = end {
        let end = ChildEnd {
            arn,
            end: End {
                status,
                output: None,
                error: Some("Boom".into()),
                cause: None,
                date,
            },
            events: vec![event(2, "ExecutionFailed")],
            next_event_id: 3,
        };
        store
            .end_child(write(parent, "me", 1, Vec::new()), &end)
            .await
            .unwrap();
    }
}

/// DescribeMapRun's counts as AWS defines them: a child stopped more than
/// 14 days ago is a failure a redrive does not run again
/// (`failuresNotRedrivable`, still counted as failed); once the Map Run is
/// redriven, its other unsuccessful children wait to run again
/// (`pendingRedrive`, no longer counted as failed or aborted) until they run
/// or the Map Run ends. An EXPRESS Map Run's counts are the ones it wrote.
async fn a_map_run_counts_its_children_as_aws_does(store: &dyn ExecutionStore) {
    let parent = record(&unique("parent"), "me", Duration::from_secs(30));
    store
        .insert(&parent, &[event(1, "ExecutionStarted")])
        .await
        .unwrap();
    let now = millis(OffsetDateTime::now_utc());
    let map_run = format!(
        "arn:aws:states:us-east-1:123456789012:mapRun:Flow/Each:{}",
        unique("run")
    );
    let run = MapRunRecord::started(&map_run, &parent.arn, now);
    store
        .start_map_run(write(&parent, "me", 1, Vec::new()), &run)
        .await
        .unwrap();
    let old = now - time::Duration::days(15);
    let ends = [
        (ExecutionStatus::Failed, old),
        (ExecutionStatus::Failed, now),
        (ExecutionStatus::Aborted, now),
        (ExecutionStatus::Succeeded, now),
    ];
    for (index, end) in ends.into_iter().enumerate() {
        child(store, &parent, &map_run, index as u64, Some(end)).await;
    }
    let progress = MapRunProgress {
        totals: Some((8, 4)),
        counts: None,
    };
    store
        .end_map_run(
            write(&parent, "me", 1, Vec::new()),
            &map_run,
            ExecutionStatus::Failed,
            now,
            &progress,
        )
        .await
        .unwrap();
    let failed = store.map_run(&map_run).await.unwrap();
    let counts = |failed, aborted, not_redrivable, pending_redrive, running| MapRunCounts {
        running,
        succeeded: 1,
        failed,
        timed_out: 0,
        aborted,
        pending_redrive,
        failures_not_redrivable: not_redrivable,
    };
    assert_eq!(failed.children, counts(2, 1, 1, 0, 0));
    let twice = |c: MapRunCounts| MapRunCounts {
        running: c.running * 2,
        succeeded: c.succeeded * 2,
        failed: c.failed * 2,
        timed_out: 0,
        aborted: c.aborted * 2,
        pending_redrive: c.pending_redrive * 2,
        failures_not_redrivable: c.failures_not_redrivable * 2,
    };
    assert_eq!(failed.items, twice(counts(2, 1, 1, 0, 0)));
    assert_eq!(
        (failed.total_items, failed.total_children),
        (Some(8), Some(4))
    );
    assert!(!failed.express);

    // Redriven: the failed and aborted children wait, but the old one.
    let redriven = store
        .redrive_map_run(write(&parent, "me", 1, Vec::new()), &map_run, now)
        .await
        .unwrap();
    assert_eq!(redriven.redrive_count, 1);
    assert_eq!(redriven.children, counts(1, 0, 1, 2, 0));
    // One runs again (its redrive count one more): no longer waiting.
    let mut again = record(&unique("again"), "me", Duration::from_secs(30));
    again.arn = format!("{}/Each:1", parent.arn);
    again.owner = None;
    again.lease_until = None;
    again.redrive_count = 1;
    again.redrive_date = Some(now);
    again.next_event_id = 4;
    let start = ChildStart {
        record: again,
        map_run_arn: map_run.clone(),
        index: 1,
        items: 2,
        events: vec![event(3, "ExecutionRedriven")],
        continued: true,
    };
    store
        .start_child(write(&parent, "me", 1, Vec::new()), &start)
        .await
        .unwrap();
    // Its history goes on, as RedriveExecution keeps it.
    let child_arn = format!("{}/Each:1", parent.arn);
    let history: Vec<String> = store
        .history(&child_arn)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.event_type)
        .collect();
    assert_eq!(
        history,
        ["ExecutionStarted", "ExecutionFailed", "ExecutionRedriven"]
    );
    let continued = store.describe(&child_arn).await.unwrap();
    assert_eq!(continued.status, ExecutionStatus::Running);
    assert_eq!(
        (continued.redrive_count, continued.redrive_date),
        (1, Some(now))
    );
    assert_eq!(continued.error, None);
    assert_eq!(
        store.map_run(&map_run).await.unwrap().children,
        counts(1, 0, 1, 1, 1)
    );
    // Ended: nothing waits any more.
    store
        .end_map_run(
            write(&parent, "me", 1, Vec::new()),
            &map_run,
            ExecutionStatus::Failed,
            now,
            &progress,
        )
        .await
        .unwrap();
    assert_eq!(
        store.map_run(&map_run).await.unwrap().children,
        counts(1, 2, 1, 0, 0),
        "those that waited count under their status again; the one that ran again was \
         left running: aborted"
    );

    // EXPRESS: the counts it writes, and its totals read so far (never
    // fewer than written before).
    let express_arn = format!("{map_run}-express");
    let mut express = MapRunRecord::started(&express_arn, &parent.arn, now);
    express.express = true;
    store
        .start_map_run(write(&parent, "me", 1, Vec::new()), &express)
        .await
        .unwrap();
    let written = MapRunCounts {
        running: 2,
        succeeded: 3,
        failed: 1,
        ..MapRunCounts::default()
    };
    for totals in [(9, 9), (7, 7)] {
        let progress = MapRunProgress {
            totals: Some(totals),
            counts: Some((written, twice(written))),
        };
        store
            .map_run_progress(write(&parent, "me", 1, Vec::new()), &express_arn, &progress)
            .await
            .unwrap();
    }
    let read = store.map_run(&express_arn).await.unwrap();
    assert!(read.express);
    assert_eq!((read.children, read.items), (written, twice(written)));
    assert_eq!((read.total_items, read.total_children), (Some(9), Some(9)));
    // Its progress is fenced like every write of the parent.
    let stranger = store
        .map_run_progress(
            write(&parent, "stranger", 1, Vec::new()),
            &express_arn,
            &MapRunProgress::default(),
        )
        .await;
    assert!(
        matches!(stranger, Err(StoreError::NotOwner(_))),
        "{stranger:?}"
    );
}

async fn all(store: Arc<dyn ExecutionStore>) {
    a_failed_operation_does_not_take_its_group_down(&*store).await;
    a_lost_lease_fences_the_old_owner_out(&*store).await;
    a_stop_is_never_overwritten_by_an_end(&*store).await;
    a_suspension_is_stored_once_per_waiting_point(&*store).await;
    a_delivery_closes_the_task_and_wakes_the_execution(&*store).await;
    a_park_after_a_delivery_is_due_at_once(&*store).await;
    a_map_run_counts_its_children_as_aws_does(&*store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_store_guarantees() {
    let path = temp_db("guarantees");
    all(Arc::new(SqliteStore::open(&path).unwrap())).await;
    // Inputs, outputs and task results can be secrets.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the database is its owner's only");
        let wal = path.with_extension("db-wal");
        if let Ok(meta) = std::fs::metadata(&wal) {
            assert_eq!(meta.permissions().mode() & 0o777, 0o600, "so is its WAL");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_store_guarantees() {
    let Some(url) = postgres_url("postgres_store_guarantees") else {
        return;
    };
    all(Arc::new(PostgresStore::connect(&url).await.unwrap())).await;
}

/// An answered write is on the disk. PostgreSQL is crashed right after the
/// answers (an immediate shutdown, which loses what was committed but not yet
/// flushed) and started again: every insert and write answered before is
/// there. The WAL writer is slowed down so that a commit answered before its
/// flush (`synchronous_commit = off` on the store's connections) would be lost:
/// checked to fail that way.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_answered_writes_survive_the_database_crashing() {
    if postgres_url("postgres_answered_writes_survive_the_database_crashing").is_none() {
        return;
    }
    let server = OwnServer::start();
    {
        // The WAL writer flushes what was committed without waiting only
        // every 10 s here (200 ms by default), so what is answered early is
        // lost in the crash.
        let (client, connection) = tokio_postgres::connect(&server.url, tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(connection);
        for setting in [
            "ALTER SYSTEM SET wal_writer_delay = '10s'",
            "SELECT pg_reload_conf()",
        ] {
            client.batch_execute(setting).await.unwrap();
        }
    }
    for round in 0..3 {
        let store = PostgresStore::connect(&server.url).await.unwrap();
        let records: Vec<_> = (0..100)
            .map(|i| record(&format!("crash-{round}-{i}"), "me", Duration::from_secs(30)))
            .collect();
        let started = [event(1, "ExecutionStarted")];
        let inserted =
            futures_util::future::join_all(records.iter().map(|r| store.insert(r, &started))).await;
        assert!(inserted.iter().all(Result::is_ok), "{inserted:?}");
        let written = futures_util::future::join_all(
            records
                .iter()
                .map(|r| store.write(write(r, "me", 1, vec![event(2, "PassStateEntered")]))),
        )
        .await;
        assert!(written.iter().all(Result::is_ok), "{written:?}");
        server.crash_and_restart();
        drop(store);
        let store = PostgresStore::connect(&server.url).await.unwrap();
        for r in &records {
            let history = store.history(&r.arn).await.unwrap();
            assert_eq!(
                history.iter().map(|e| e.id).collect::<Vec<_>>(),
                [1, 2],
                "round {round}: {} keeps what was answered",
                r.arn
            );
        }
    }
}

/// The schema before version 2 (no `asl_schema` table, no fencing epoch), as
/// an older release created it (in SQL both backends run): one execution at its start, one parked in a
/// Wait (version 2 kept its due time in `wait_until` too).
const SCHEMA_V1: &str = "
CREATE TABLE asl_executions (
    arn TEXT PRIMARY KEY, name TEXT NOT NULL, workflow TEXT NOT NULL,
    definition_hash TEXT NOT NULL, status TEXT NOT NULL, input TEXT NOT NULL,
    output TEXT, error TEXT, cause TEXT, start_date BIGINT NOT NULL, stop_date BIGINT,
    redrive_count BIGINT NOT NULL, redrive_date BIGINT, state TEXT, state_input TEXT,
    variables TEXT, retries TEXT, entered_event_id BIGINT, wait_until BIGINT,
    next_event_id BIGINT NOT NULL, owner TEXT, lease_until BIGINT, wake_at BIGINT,
    cleanup BOOLEAN NOT NULL
);
CREATE INDEX asl_executions_by_status ON asl_executions (status, workflow);
CREATE TABLE asl_events (arn TEXT NOT NULL, id BIGINT NOT NULL, timestamp BIGINT NOT NULL,
    type TEXT NOT NULL, state TEXT, details TEXT NOT NULL, PRIMARY KEY (arn, id));
CREATE TABLE asl_progress (arn TEXT NOT NULL, state TEXT NOT NULL, idx BIGINT NOT NULL,
    output TEXT NOT NULL, PRIMARY KEY (arn, state, idx));
CREATE TABLE asl_resources (arn TEXT NOT NULL, seq BIGINT NOT NULL, kind TEXT NOT NULL,
    id TEXT NOT NULL, deleted BOOLEAN NOT NULL, PRIMARY KEY (arn, seq));
INSERT INTO asl_executions VALUES ('arn:aws:states:us-east-1:123456789012:execution:Flow:old',
    'old', 'Flow', 'hash', 'RUNNING', '{}', NULL, NULL, NULL, 1765000000000, NULL, 0, NULL,
    'Start', '{}', '{}', '[]', NULL, NULL, 2, NULL, NULL, NULL, FALSE);
INSERT INTO asl_events VALUES ('arn:aws:states:us-east-1:123456789012:execution:Flow:old', 1,
    1765000000000, 'ExecutionStarted', NULL, '{}');
INSERT INTO asl_executions VALUES ('arn:aws:states:us-east-1:123456789012:execution:Flow:waits',
    'waits', 'Flow', 'hash', 'RUNNING', '{}', NULL, NULL, NULL, 1765000000000, NULL, 0, NULL,
    'Pause', '{}', '{}', '[]', 3, 4102444800000, 4, NULL, NULL, 4102444800000, FALSE);
";

/// What a store opened on [`SCHEMA_V1`] must show: its executions, their
/// histories (which version 4 keys by execution number), new events after
/// them, fencing from the first claim on, the parked Wait as a suspension.
async fn migrated(store: &dyn ExecutionStore) {
    let arn = "arn:aws:states:us-east-1:123456789012:execution:Flow:old";
    let old = store.describe(arn).await.unwrap();
    assert_eq!(old.status, ExecutionStatus::Running);
    assert_eq!(old.epoch, 0);
    // Claimable, and fenced from then on.
    // (The parked one is not due before 2100.)
    let claimed = store
        .claim("new", &["Flow"], Duration::from_secs(30), 10, &[])
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].epoch, 1);
    assert_eq!(store.history(arn).await.unwrap().len(), 1);
    store
        .write(write(
            &claimed[0],
            "new",
            1,
            vec![event(2, "PassStateEntered")],
        ))
        .await
        .unwrap();
    let history = store.history(arn).await.unwrap();
    assert_eq!(
        history.iter().map(|e| e.id).collect::<Vec<_>>(),
        vec![1, 2],
        "the old history, then the new event"
    );
    // A new execution gets a number of its own after the migrated ones.
    let fresh = record(&unique("after-migration"), "new", Duration::from_secs(30));
    store
        .insert(&fresh, &[event(1, "ExecutionStarted")])
        .await
        .unwrap();
    assert_eq!(store.history(&fresh.arn).await.unwrap().len(), 1);
    assert_eq!(store.history(arn).await.unwrap().len(), 2);
    // The parked Wait's due time became its suspension, under the id the
    // engine gives a top-level Wait entered as event 3.
    let waits = "arn:aws:states:us-east-1:123456789012:execution:Flow:waits";
    let wait = store
        .suspension(waits, "Pause@3")
        .await
        .unwrap()
        .expect("migrated");
    assert_eq!(wait.kind, SuspensionKind::Wait);
    assert_eq!(
        wait.deadline.map(|d| d.unix_timestamp()),
        Some(4_102_444_800)
    );
    assert_eq!(store.describe(waits).await.unwrap().wake_at, wait.deadline);
    // Version 6: Map Runs and their children (none yet).
    assert_eq!(store.parent_map_run(arn).await.unwrap(), None);
    let runs = store.map_runs(arn, &Default::default()).await.unwrap();
    assert!(runs.items.is_empty());
    let map_run = "arn:aws:states:us-east-1:123456789012:mapRun:Flow/Each:x";
    assert!(store.map_run_children(map_run).await.unwrap().is_empty());
    assert!(matches!(
        store.map_run(map_run).await,
        Err(StoreError::ResourceNotFound(_))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_of_the_previous_schema_is_migrated() {
    let path = temp_db("migrate");
    {
        let conn = rusqlite_open(&path);
        conn.execute_batch(SCHEMA_V1).unwrap();
    }
    let store = SqliteStore::open(&path).expect("migrated");
    migrated(&store).await;
    drop(store);
    // Opening it again changes nothing; a newer schema is refused.
    SqliteStore::open(&path).expect("opens again");
    {
        let conn = rusqlite_open(&path);
        conn.execute_batch("UPDATE asl_schema SET version = 99")
            .unwrap();
    }
    let e = SqliteStore::open(&path).unwrap_err();
    assert!(e.to_string().contains("schema version 99"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_database_of_the_previous_schema_is_migrated() {
    let Some(url) = postgres_url("postgres_migrate") else {
        return;
    };
    postgres_fixture(&url, SCHEMA_V1).await;
    let store = PostgresStore::connect(&url).await.expect("migrated");
    migrated(&store).await;
    drop(store);
    PostgresStore::connect(&url).await.expect("opens again");
}

/// A database of version 6 (before EXPRESS Map Runs were recorded), as that
/// release wrote it: a Map Run that failed.
const SCHEMA_V6: &str = "
CREATE TABLE asl_schema (version BIGINT NOT NULL);
INSERT INTO asl_schema (version) VALUES (6);
CREATE TABLE asl_map_runs (
    arn TEXT PRIMARY KEY, execution_arn TEXT NOT NULL, status TEXT NOT NULL,
    max_concurrency BIGINT NOT NULL, tolerated_failure_count BIGINT NOT NULL,
    tolerated_failure_percentage TEXT NOT NULL, start_date BIGINT NOT NULL, stop_date BIGINT,
    redrive_count BIGINT NOT NULL, redrive_date BIGINT, total_items BIGINT,
    total_children BIGINT, result_writer BOOLEAN NOT NULL
);
INSERT INTO asl_map_runs VALUES ('arn:aws:states:us-east-1:123456789012:mapRun:Flow/Each:v6',
    'arn:aws:states:us-east-1:123456789012:execution:Flow:v6', 'FAILED', 10, 0, '0', 1765000000000,
    1765000001000, 0, NULL, 12, 6, TRUE);
";

/// What a store opened on [`SCHEMA_V6`] must show: the Map Run as it was, a
/// STANDARD one (counted from its children: none).
async fn migrated_v6(store: &dyn ExecutionStore) {
    let run = store
        .map_run("arn:aws:states:us-east-1:123456789012:mapRun:Flow/Each:v6")
        .await
        .unwrap();
    assert_eq!(run.status, ExecutionStatus::Failed);
    assert_eq!(run.max_concurrency, 10);
    assert_eq!((run.total_items, run.total_children), (Some(12), Some(6)));
    assert!(run.result_writer);
    assert!(!run.express, "version 6 recorded STANDARD Map Runs only");
    assert_eq!(run.children, MapRunCounts::default());
    assert_eq!(
        store
            .map_runs(&run.execution_arn, &Default::default())
            .await
            .unwrap()
            .items,
        vec![run]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_of_version_6_is_migrated() {
    let path = temp_db("migrate-v6");
    {
        let conn = rusqlite_open(&path);
        conn.execute_batch(SCHEMA_V6).unwrap();
    }
    migrated_v6(&SqliteStore::open(&path).expect("migrated")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_database_of_version_6_is_migrated() {
    let Some(url) = postgres_url("postgres_migrate_v6") else {
        return;
    };
    postgres_fixture(&url, SCHEMA_V6).await;
    migrated_v6(&PostgresStore::connect(&url).await.expect("migrated")).await;
}

/// Runs `sql` on the PostgreSQL database at `url` (a fixture of an older schema).
async fn postgres_fixture(url: &str, sql: &str) {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .expect("PostgreSQL answers");
    let conn = tokio::spawn(connection);
    client.batch_execute(sql).await.unwrap();
    drop(client);
    let _ = conn.await;
}

fn rusqlite_open(path: &std::path::Path) -> rusqlite::Connection {
    rusqlite::Connection::open(path).unwrap()
}
