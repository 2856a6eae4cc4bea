//! The chaos suite: durability proven by fault injection.
//!
//! `chaos-worker` serves `chaos/chaos.asl.json` (a Map nested in a Parallel,
//! Retry, a loop of Tasks; every Task call leaves `begin`/`end` lines in an
//! effects file). Each case runs workers against one store, kills them with
//! SIGKILL at random moments (seeded: `ASL_CHAOS_SEED` replays a run), races two
//! replicas on PostgreSQL, crashes PostgreSQL itself (an immediate shutdown,
//! which loses what was committed but not flushed) and starts it again, and
//! then checks:
//!
//! - every execution SUCCEEDED with the right output (nothing acknowledged is
//!   lost);
//! - its history's ids are 1..n, with one `ExecutionStarted` and one
//!   `ExecutionSucceeded`;
//! - every Task's side effect happened at least once;
//! - a Task (a step and attempt) ran again only after a run of it that a crash
//!   interrupted: the process running it was killed, or PostgreSQL restarted
//!   between the two runs; so with no kill, no Task runs twice, with one
//!   replica or two.
//!
//! Bounded: a few executions, a few dozen kills at most, each case under a
//! minute or two; the numbers are printed.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use asl::runtime::store::{ExecutionStatus, ExecutionStore, PostgresStore, SqliteStore};
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use tokio::process::{Child, Command};

use crate::common::{OwnServer, postgres_url};

const WORKER: &str = env!("CARGO_BIN_EXE_chaos-worker");

struct Plan {
    executions: usize,
    items: usize,
    rounds: u64,
}

const PLAN: Plan = Plan {
    executions: 4,
    items: 40,
    rounds: 10,
};

fn seed() -> u64 {
    std::env::var("ASL_CHAOS_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            time::OffsetDateTime::now_utc().unix_timestamp_nanos() as u64
                ^ std::process::id() as u64
        })
}

fn now_ms() -> i64 {
    (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

fn temp_dir(case: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("asl-chaos-{case}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn worker(store: &str, owner: &str, effects: &Path) -> Child {
    Command::new(WORKER)
        .args(["--store", store, "--owner", owner, "--effects"])
        .arg(effects)
        .args([
            "--executions",
            &PLAN.executions.to_string(),
            "--items",
            &PLAN.items.to_string(),
            "--rounds",
            &PLAN.rounds.to_string(),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("chaos-worker starts")
}

/// What the harness did to the workers and the database.
#[derive(Default)]
struct Faults {
    /// Processes killed with SIGKILL.
    killed: HashSet<u32>,
    /// When PostgreSQL was restarted (unix ms, from before the restart began
    /// to after it ended).
    db_restarts: Vec<(i64, i64)>,
}

async fn kill(child: &mut Child, faults: &mut Faults) {
    if let Some(pid) = child.id() {
        faults.killed.insert(pid);
    }
    // SIGKILL: nothing runs on the way out.
    let _ = child.start_kill();
    let _ = child.wait().await;
}

async fn finish(mut child: Child, within: Duration) {
    let status = tokio::time::timeout(within, child.wait())
        .await
        .expect("the worker finishes every execution in time")
        .unwrap();
    assert!(status.success(), "chaos-worker exited with {status}");
}

/// One Task call as the effects file shows it.
struct Run {
    pid: u32,
    began: i64,
    ended: bool,
}

/// Checks the invariants; prints and returns (runs, repeats).
async fn check(
    store: &dyn ExecutionStore,
    effects: &Path,
    faults: &Faults,
    case: &str,
) -> (usize, usize) {
    let items: Vec<usize> = (0..PLAN.items).collect();
    let mut expected_steps = Vec::new();
    for i in 0..PLAN.executions {
        let name = format!("chaos-{i}");
        let arn = format!("arn:aws:states:us-east-1:123456789012:execution:Chaos:{name}");
        let record = store.describe(&arn).await.expect("the execution is stored");
        assert_eq!(
            record.status,
            ExecutionStatus::Succeeded,
            "{case}: {record:?}"
        );
        let item_outputs: Vec<Value> = items
            .iter()
            .map(|n| json!({"step": format!("{name}/item/{n}")}))
            .collect();
        let expected = json!({
            "items": items,
            "rounds": PLAN.rounds,
            "fan": {"items": item_outputs, "side": {"step": format!("{name}/side")}},
            "round": PLAN.rounds,
            "last": {"step": format!("{name}/loop/{}", PLAN.rounds - 1)},
            "next": {"value": PLAN.rounds},
        });
        assert_eq!(
            record.output.as_ref(),
            Some(&expected),
            "{case}: output of {name}"
        );
        let history = store.history(&arn).await.unwrap();
        let ids: Vec<u64> = history.iter().map(|e| e.id).collect();
        let contiguous: Vec<u64> = (1..=history.len() as u64).collect();
        assert_eq!(ids, contiguous, "{case}: {name}'s history ids are 1..n");
        let count = |t: &str| history.iter().filter(|e| e.event_type == t).count();
        assert_eq!(count("ExecutionStarted"), 1, "{case}: {name}");
        assert_eq!(count("ExecutionSucceeded"), 1, "{case}: {name}");
        for n in 0..PLAN.items {
            expected_steps.push(format!("{name}/item/{n}"));
        }
        expected_steps.push(format!("{name}/side"));
        for r in 0..PLAN.rounds {
            expected_steps.push(format!("{name}/loop/{r}"));
        }
    }

    // (step, attempt) -> its runs, in the order they began.
    let text = std::fs::read_to_string(effects).unwrap();
    let mut runs: BTreeMap<(String, u64), Vec<Run>> = BTreeMap::new();
    for line in text.lines() {
        let f: Vec<&str> = line.split(' ').collect();
        assert_eq!(f.len(), 5, "{case}: a torn effects line: {line:?}");
        let key = (f[1].to_string(), f[2].parse().unwrap());
        let pid: u32 = f[3].parse().unwrap();
        let at: i64 = f[4].parse().unwrap();
        let list = runs.entry(key).or_default();
        match f[0] {
            "begin" => list.push(Run {
                pid,
                began: at,
                ended: false,
            }),
            "end" => {
                let run = list
                    .iter_mut()
                    .rev()
                    .find(|r| r.pid == pid && !r.ended)
                    .unwrap_or_else(|| panic!("{case}: an end without a begin: {line}"));
                run.ended = true;
            }
            other => panic!("{case}: unknown effect {other}"),
        }
    }
    let ended: HashSet<&str> = runs
        .iter()
        .filter(|(_, list)| list.iter().any(|r| r.ended))
        .map(|((step, _), _)| step.as_str())
        .collect();
    for step in &expected_steps {
        assert!(
            ended.contains(step.as_str()),
            "{case}: {step} never ran to its end"
        );
    }
    let mut total = 0;
    let mut repeats = 0;
    for ((step, attempt), list) in &runs {
        total += list.len();
        for pair in list.windows(2) {
            repeats += 1;
            let (earlier, later) = (&pair[0], &pair[1]);
            let killed = faults.killed.contains(&earlier.pid);
            let restarted = faults
                .db_restarts
                .iter()
                .any(|(from, to)| *to >= earlier.began && *from <= later.began);
            assert!(
                killed || restarted,
                "{case}: {step} (attempt {attempt}) ran twice without a crash: by {} at {} and by {} at {}",
                earlier.pid,
                earlier.began,
                later.pid,
                later.began
            );
        }
    }
    // A crash repeats at most what was in flight: per execution, the Map's
    // MaxConcurrency (4) plus the other branch's Task, in every process.
    let in_flight = PLAN.executions * 5;
    let crashes = faults.killed.len() + faults.db_restarts.len() * 2;
    assert!(
        repeats <= crashes * in_flight,
        "{case}: {repeats} Task runs repeated after {crashes} crashes, more than {in_flight} in flight each"
    );
    eprintln!(
        "chaos {case}: {} executions, {total} Task runs, {repeats} repeated after a crash, {} kills, {} database restarts",
        PLAN.executions,
        faults.killed.len(),
        faults.db_restarts.len()
    );
    (total, repeats)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_one_process_no_kill_runs_each_task_once() {
    let dir = temp_dir("sqlite-calm");
    let (db, effects) = (dir.join("executions.db"), dir.join("effects.log"));
    let spec = format!("sqlite:{}", db.display());
    finish(worker(&spec, "calm", &effects), Duration::from_secs(120)).await;
    let store = SqliteStore::open(&db).unwrap();
    check(&store, &effects, &Faults::default(), "sqlite, no kill").await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_random_sigkills_lose_nothing() {
    let seed = seed();
    eprintln!("chaos sqlite: seed {seed} (ASL_CHAOS_SEED={seed} replays the kill times)");
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let dir = temp_dir("sqlite-kills");
    let (db, effects) = (dir.join("executions.db"), dir.join("effects.log"));
    let spec = format!("sqlite:{}", db.display());
    let mut faults = Faults::default();
    let started = Instant::now();
    for _ in 0..15 {
        let mut child = worker(&spec, "worker", &effects);
        let wait = Duration::from_millis(rng.random_range(150..1200));
        tokio::select! {
            _ = tokio::time::sleep(wait) => kill(&mut child, &mut faults).await,
            status = child.wait() => {
                // Everything ended before this kill.
                assert!(status.unwrap().success());
                break;
            }
        }
    }
    finish(worker(&spec, "worker", &effects), Duration::from_secs(120)).await;
    eprintln!("chaos sqlite: {:?} with kills", started.elapsed());
    let store = SqliteStore::open(&db).unwrap();
    check(&store, &effects, &faults, "sqlite, random SIGKILLs").await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_two_replicas_no_kill_run_each_task_once() {
    let Some(url) = postgres_url("calm") else {
        return;
    };
    let dir = temp_dir("pg-calm");
    let effects = dir.join("effects.log");
    let spec = format!("postgres:{url}");
    // Both start the same execution names at once, then serve.
    let a = worker(&spec, "replica-a", &effects);
    let b = worker(&spec, "replica-b", &effects);
    tokio::join!(
        finish(a, Duration::from_secs(120)),
        finish(b, Duration::from_secs(120))
    );
    let store = PostgresStore::connect(&url).await.unwrap();
    check(
        &store,
        &effects,
        &Faults::default(),
        "postgres, two replicas, no kill",
    )
    .await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_two_replicas_killed_and_the_database_restarted_lose_nothing() {
    // Like every PostgreSQL case: only where scripts/test provides a server
    // (required under CI=true); this one then starts a server of its own.
    if postgres_url("postgres_two_replicas_killed_and_the_database_restarted_lose_nothing")
        .is_none()
    {
        return;
    }
    let server = OwnServer::start();
    let url = server.url.clone();
    let seed = seed();
    eprintln!("chaos postgres: seed {seed} (ASL_CHAOS_SEED={seed} replays the kill times)");
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let dir = temp_dir("pg-kills");
    let effects = dir.join("effects.log");
    let spec = format!("postgres:{url}");
    let mut faults = Faults::default();
    let mut a = worker(&spec, "replica-a", &effects);
    let mut b = worker(&spec, "replica-b", &effects);
    let restart_at = rng.random_range(3..8);
    for round in 0..12 {
        tokio::time::sleep(Duration::from_millis(rng.random_range(200..1000))).await;
        if round == restart_at {
            let from = now_ms();
            server.crash_and_restart();
            // Until every driver has noticed (its lease renewal failed).
            faults.db_restarts.push((from, now_ms() + 3000));
            continue;
        }
        // Kill one replica at random and start it again at once.
        let (victim, owner) = if rng.random_bool(0.5) {
            (&mut a, "replica-a")
        } else {
            (&mut b, "replica-b")
        };
        if victim.try_wait().ok().flatten().is_none() {
            kill(victim, &mut faults).await;
        }
        *victim = worker(&spec, owner, &effects);
    }
    tokio::join!(
        finish(a, Duration::from_secs(180)),
        finish(b, Duration::from_secs(180))
    );
    let store = PostgresStore::connect(&url).await.unwrap();
    check(
        &store,
        &effects,
        &faults,
        "postgres, two replicas, SIGKILLs, database restart",
    )
    .await;
    let _ = std::fs::remove_dir_all(&dir);
}

const DMAP_WORKER: &str = env!("CARGO_BIN_EXE_dmap-worker");
const DMAP_ITEMS: usize = 200;

fn dmap_worker(db: &Path, effects: &Path) -> Child {
    Command::new(DMAP_WORKER)
        .arg("--store")
        .arg(db)
        .args(["--owner", "dmap", "--effects"])
        .arg(effects)
        .args(["--items", &DMAP_ITEMS.to_string()])
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("dmap-worker starts")
}

/// The `end` lines of the effects file so far.
fn ended_children(effects: &Path) -> usize {
    std::fs::read_to_string(effects)
        .unwrap_or_default()
        .lines()
        .filter(|l| l.starts_with("end "))
        .count()
}

/// A distributed Map of STANDARD children on SQLite, its serving process
/// killed with SIGKILL twice in the middle of the Map Run: the parent
/// SUCCEEDED with every item's output in order, every child is an execution
/// of the store that SUCCEEDED once, and a child's Task ran again only when
/// a killed process had begun it (it was in flight: at most `MaxConcurrency`
/// per kill); the children that ended before a kill were not run again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_standard_children_survive_sigkill() {
    let dir = temp_dir("dmap-kills");
    let (db, effects) = (dir.join("executions.db"), dir.join("effects.log"));
    let mut faults = Faults::default();
    let started = Instant::now();
    for kill_after in [40, 110] {
        let mut child = dmap_worker(&db, &effects);
        let deadline = Instant::now() + Duration::from_secs(60);
        while ended_children(&effects) < kill_after {
            assert!(Instant::now() < deadline, "the Map Run makes progress");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        kill(&mut child, &mut faults).await;
    }
    finish(dmap_worker(&db, &effects), Duration::from_secs(60)).await;
    eprintln!("dmap sqlite: {:?} with 2 kills", started.elapsed());

    // The parent, its output in item order.
    let store = SqliteStore::open(&db).unwrap();
    let arn = "arn:aws:states:us-east-1:123456789012:execution:Distributed:dmap";
    let parent = store.describe(arn).await.unwrap();
    assert_eq!(parent.status, ExecutionStatus::Succeeded, "{parent:?}");
    let output = parent.output.unwrap();
    assert_eq!(output["count"], json!(DMAP_ITEMS));
    let ids: Vec<Value> = (0..DMAP_ITEMS).map(|i| json!({"id": i})).collect();
    assert_eq!(output["items"], Value::Array(ids));
    // One Map Run, its children all SUCCEEDED, each once, with its history.
    let history = store.history(arn).await.unwrap();
    let started_runs: Vec<_> = history
        .iter()
        .filter(|e| e.event_type == "MapRunStarted")
        .collect();
    assert_eq!(started_runs.len(), 1, "one MapRunStarted across the kills");
    let map_run = started_runs[0].details["mapRunArn"].as_str().unwrap();
    assert!(
        map_run.starts_with("arn:aws:states:us-east-1:123456789012:mapRun:Distributed/Items:"),
        "{map_run}"
    );
    let run = store.map_run(map_run).await.unwrap();
    assert_eq!(run.status, ExecutionStatus::Succeeded);
    assert_eq!(run.children.succeeded, DMAP_ITEMS as u64);
    assert_eq!(run.children.stored(), DMAP_ITEMS as u64);
    assert_eq!(run.total_items, Some(DMAP_ITEMS as u64));
    let children = store.map_run_children(map_run).await.unwrap();
    assert_eq!(children.len(), DMAP_ITEMS);
    for (index, child) in &children {
        assert_eq!(child.status, ExecutionStatus::Succeeded);
        assert_eq!(child.output, Some(json!({"id": index})));
        assert!(
            child
                .arn
                .starts_with("arn:aws:states:us-east-1:123456789012:execution:Distributed/Items:"),
            "{}",
            child.arn
        );
        assert_eq!(
            store.parent_map_run(&child.arn).await.unwrap().as_deref(),
            Some(map_run)
        );
        let events: Vec<String> = store
            .history(&child.arn)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.event_type)
            .collect();
        assert_eq!(events.first().map(String::as_str), Some("ExecutionStarted"));
        assert_eq!(
            events.last().map(String::as_str),
            Some("ExecutionSucceeded")
        );
        assert!(events.iter().any(|e| e == "TaskSucceeded"), "{events:?}");
    }
    // Side effects: every child's Task ran; one ran again only after a run
    // that a killed process began.
    let text = std::fs::read_to_string(&effects).unwrap();
    let mut begun: BTreeMap<u64, Vec<u32>> = BTreeMap::new();
    for line in text.lines() {
        let parts: Vec<&str> = line.split(' ').collect();
        if let ["begin", index, pid] = parts[..] {
            begun
                .entry(index.parse().unwrap())
                .or_default()
                .push(pid.parse().unwrap());
        }
    }
    assert_eq!(begun.len(), DMAP_ITEMS, "every child's Task ran");
    let mut repeated = 0;
    for (index, pids) in &begun {
        for earlier in &pids[..pids.len() - 1] {
            assert!(
                faults.killed.contains(earlier),
                "child {index} ran again after a run in process {earlier}, which was not killed"
            );
            repeated += 1;
        }
    }
    // In flight at a kill: at most MaxConcurrency (8) children per kill.
    assert!(repeated <= 2 * 8, "{repeated} Task runs repeated");
    eprintln!("dmap sqlite: {repeated} of {DMAP_ITEMS} children ran again (in flight at a kill)");
    let _ = std::fs::remove_dir_all(&dir);
}
