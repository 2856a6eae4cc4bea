//! `asl-fuzz TARGET [--seconds N] [--seed S] [--inputs N] [--replay ITERATION]`
//!
//! TARGET is `front-end`, `runtime` or `jsonata`. Runs until the time (default 60 s) or the
//! number of inputs is spent, prints `inputs`, crashes, slow inputs and the
//! slowest input's time, and exits 1 on any finding. The input being run is kept
//! in `target/fuzz-last-input-TARGET`, so a crash that kills the process (a stack
//! overflow aborts) leaves it behind; `--replay ITERATION` with the same seed
//! reruns one input.
//!
//! A long run: `cargo run --release -p asl-fuzz -- front-end --seconds 1800`.
//! `jsonata` is what issue 26 asks of the JSONata evaluator:
//! `nice -n 10 cargo run --release -p asl-fuzz -- jsonata --seconds 1800`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use asl_fuzz::{corpus, front_end, jsonata, runtime};

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(target) = args.next() else {
        eprintln!(
            "usage: asl-fuzz front-end|runtime|jsonata [--seconds N] [--seed S] [--inputs N] [--replay I]"
        );
        return ExitCode::from(2);
    };
    let (mut seconds, mut seed, mut inputs, mut replay) = (60u64, 1u64, u64::MAX, None);
    while let Some(flag) = args.next() {
        let value: Option<u64> = args.next().and_then(|v| v.parse().ok());
        match (flag.as_str(), value) {
            ("--seconds", Some(v)) => seconds = v,
            ("--seed", Some(v)) => seed = v,
            ("--inputs", Some(v)) => inputs = v,
            ("--replay", Some(v)) => replay = Some(v),
            _ => {
                eprintln!("asl-fuzz: bad argument {flag}");
                return ExitCode::from(2);
            }
        }
    }
    let corpus = corpus::load();
    let paths = runtime::Paths::new(&corpus);
    let seeds = jsonata::seeds(&corpus);
    let last = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../target")
        .join(format!("fuzz-last-input-{target}"));
    let mut one: Box<asl_fuzz::Target<'_>> = match target.as_str() {
        "front-end" => Box::new(|rng, last| front_end::one(&corpus, rng, last)),
        "runtime" => Box::new(|rng, last| runtime::one(&corpus, &paths, rng, last)),
        "jsonata" => Box::new(|rng, last| jsonata::one(&seeds, rng, last)),
        other => {
            eprintln!("asl-fuzz: unknown target {other}");
            return ExitCode::from(2);
        }
    };
    if let Some(iteration) = replay {
        let mut rng = asl_fuzz::input_rng(seed, iteration);
        let began = std::time::Instant::now();
        one(&mut rng, Some(&last));
        println!("took {:?}", began.elapsed());
        println!("replayed {target} seed {seed} iteration {iteration}: no panic");
        return ExitCode::SUCCESS;
    }
    eprintln!(
        "asl-fuzz {target}: seed {seed}, {} definitions, {} expressions ({} more for jsonata, {} of them from JSONata's suite), {} paths, {seconds} s",
        corpus.definitions.len(),
        corpus.expressions.len(),
        seeds.expressions.len() - corpus.expressions.len(),
        seeds.from_suite,
        corpus.paths.len()
    );
    let slow = asl_fuzz::slow_for(&target);
    let report = asl_fuzz::run_with_limit(
        &target,
        seed,
        Duration::from_secs(seconds),
        inputs,
        Some(&last),
        slow,
        &mut *one,
    );
    println!(
        "asl-fuzz {target}: {} inputs, {} crashes, {} over {:?}, slowest {:?}",
        report.inputs,
        report.crashes.len(),
        report.slow.len(),
        slow,
        report.slowest
    );
    for finding in report.crashes.iter().chain(&report.slow) {
        println!("  {finding}");
    }
    if report.crashes.is_empty() && report.slow.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
