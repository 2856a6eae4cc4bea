//! The memory of open executions parked in a long Wait
//! (`cargo bench -p asl-examples --bench parked`; `ASL_PARKED=N` executions,
//! default 1,000,000): each is started with `Runtime::start_execution` on a
//! SQLite store, enters a Wait of a day and is released from memory. Prints the
//! process's resident memory before and after, per execution, the store's size
//! on disk, and how long starting them took. A measurement, not a criterion
//! timing: the number that matters is bytes, once.

use std::time::{Duration, Instant};

use asl::runtime::exec::{ExecutionOptions, Runtime};
use asl::runtime::store::{ExecutionStatus, ListFilter, PageRequest, SqliteStore};
use serde_json::json;

asl::asl!(Park = "benches/park.asl.json");

fn resident_bytes() -> u64 {
    asl_examples::status_kib("VmRSS:") * 1024
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing useful.
    let n: usize = std::env::var("ASL_PARKED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let dir = std::env::temp_dir().join(format!("asl-bench-parked-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("executions.db");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let runtime = Runtime::builder()
            .store(SqliteStore::open(&path).unwrap())
            .park_waits_longer_than(Duration::ZERO)
            .poll_interval(Duration::from_secs(3600))
            .build();
        let before = resident_bytes();
        let started = Instant::now();
        // Started in waves: StartExecution answers once stored, the Wait then
        // parks each in the background.
        const WAVE: usize = 5_000;
        let mut done = 0;
        while done < n {
            let wave = WAVE.min(n - done);
            let starts = (0..wave).map(|i| {
                let options = ExecutionOptions::default().name(format!("parked-{}", done + i));
                runtime.start_execution::<Park>(json!({}), options)
            });
            for r in futures_util::future::join_all(starts).await {
                r.expect("StartExecution");
            }
            done += wave;
        }
        // Until every execution has parked (none holds memory any more),
        // counted a page at a time (the count itself holds no list of them).
        let filter = ListFilter {
            workflow: Some("Park".into()),
            status: Some(ExecutionStatus::Running),
        };
        loop {
            let mut parked = 0;
            let mut page = PageRequest {
                max_results: PageRequest::MAX,
                next_token: None,
            };
            loop {
                let got = runtime.list_executions_page(&filter, &page).await.unwrap();
                parked += got.items.iter().filter(|r| r.wake_at.is_some()).count();
                match got.next_token {
                    Some(token) => page.next_token = Some(token),
                    None => break,
                }
            }
            if parked == n {
                break;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        let elapsed = started.elapsed();
        let after = resident_bytes();
        let disk: u64 = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| e.ok()?.metadata().ok())
            .map(|m| m.len())
            .sum();
        println!(
            "parked: {n} open executions in {:.1} s ({:.0} started and parked per second)",
            elapsed.as_secs_f64(),
            n as f64 / elapsed.as_secs_f64()
        );
        println!(
            "parked: resident memory {:.1} MiB before, {:.1} MiB after ({:.0} bytes per open execution)",
            before as f64 / 1048576.0,
            after as f64 / 1048576.0,
            after.saturating_sub(before) as f64 / n as f64
        );
        println!(
            "parked: store on disk {:.1} MiB ({:.0} bytes per execution)",
            disk as f64 / 1048576.0,
            disk as f64 / n as f64
        );
    });
    let _ = std::fs::remove_dir_all(&dir);
}
