//! A seeded mutation fuzzer that runs on stable Rust (no nightly, no libFuzzer):
//! inputs are mutated from the shared corpora, every step is reproducible from
//! its seed, and a finding is a panic, an abort (the process dies: the input being
//! run is in `fuzz-last-input`), or an input that takes over a second.
//!
//! Targets:
//! - [`front_end`]: a definition (JSON text, mutated bytes and grammar-aware
//!   edits: deep nesting, nested intrinsic calls, duplicate keys, long keys)
//!   through load, check, code generation, formatting and diagnostic rendering
//!   (text and JSON);
//! - [`runtime`]: adversarial values (deep, wide, huge strings, odd numbers)
//!   and mutated expressions through reference paths and `ResultPath` writes,
//!   the intrinsic functions, JSONata, the payload and depth limits, Choice
//!   operators and timestamps;
//! - [`jsonata`]: JSONata alone: the suite's and the corpora's expressions,
//!   mutated, and expressions that build or walk deep data, over random data
//!   and data nested 100,000 levels deep, on a worker thread's stack.
//!
//! `cargo run --release -p asl-fuzz -- front-end --seconds 1800` runs one
//! target for 30 minutes; `tests/bounded.rs` runs each briefly in every CI run.

pub mod corpus;
pub mod front_end;
pub mod jsonata;
pub mod mutate;
pub mod runtime;

use std::time::{Duration, Instant};

use rand::SeedableRng;
use rand::rngs::StdRng;

/// One fuzz target: runs one input drawn from the generator, writing it to the
/// path (when given) before it runs.
pub type Target<'a> = dyn FnMut(&mut StdRng, Option<&std::path::Path>) + 'a;

/// What a run found.
#[derive(Debug, Default)]
pub struct Report {
    pub inputs: u64,
    /// Panics caught, with the seed and iteration that reproduce each.
    pub crashes: Vec<String>,
    /// Inputs that took longer than [`SLOW`] (or the target's limit).
    pub slow: Vec<String>,
    /// The slowest input's time.
    pub slowest: Duration,
}

/// An input taking longer than this is a finding.
pub const SLOW: Duration = Duration::from_secs(1);

/// Runs `one` on inputs drawn from `seed` until `budget` is spent (time or
/// count, whichever ends first). `one` gets a generator seeded for that input
/// alone (`seed` and the iteration), so any finding replays with
/// [`replay`].
pub fn run(
    name: &str,
    seed: u64,
    budget: Duration,
    max_inputs: u64,
    last_input: Option<&std::path::Path>,
    one: &mut Target<'_>,
) -> Report {
    run_with_limit(name, seed, budget, max_inputs, last_input, SLOW, one)
}

/// The time an input of `target` may take: [`SLOW`], or for `jsonata` the
/// evaluator's own time limit and a second more (an expression that loops
/// forever is stopped by that limit, as a workflow's would be: that is not a
/// finding; running past it is).
pub fn slow_for(target: &str) -> Duration {
    match target {
        "jsonata" => {
            Duration::from_millis(asl_runtime::jsonata::TIME_LIMIT_MS as u64)
                + Duration::from_secs(1)
        }
        _ => SLOW,
    }
}

/// [`run`] with `slow` as the time past which an input is a finding.
pub fn run_with_limit(
    name: &str,
    seed: u64,
    budget: Duration,
    max_inputs: u64,
    last_input: Option<&std::path::Path>,
    slow: Duration,
    one: &mut Target<'_>,
) -> Report {
    let mut report = Report::default();
    let start = Instant::now();
    while start.elapsed() < budget && report.inputs < max_inputs {
        let iteration = report.inputs;
        let mut rng = input_rng(seed, iteration);
        let began = Instant::now();
        let outcome =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| one(&mut rng, last_input)));
        let took = began.elapsed();
        report.slowest = report.slowest.max(took);
        if let Err(panic) = outcome {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            report.crashes.push(format!(
                "{name}: seed {seed} iteration {iteration}: panic: {message}"
            ));
        }
        if took > slow {
            report.slow.push(format!(
                "{name}: seed {seed} iteration {iteration}: {took:?}"
            ));
        }
        report.inputs += 1;
    }
    report
}

/// The generator of input `iteration` of a run seeded with `seed`.
pub fn input_rng(seed: u64, iteration: u64) -> StdRng {
    StdRng::seed_from_u64(seed ^ iteration.wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

/// Reruns one input of a run (for a finding).
pub fn replay(
    seed: u64,
    iteration: u64,
    one: &mut dyn FnMut(&mut StdRng, Option<&std::path::Path>),
) {
    one(&mut input_rng(seed, iteration), None)
}

/// Writes the input about to run, so a crash that kills the process (a stack
/// overflow aborts; it cannot be caught) leaves it behind.
pub fn remember(last_input: Option<&std::path::Path>, bytes: &[u8]) {
    if let Some(path) = last_input {
        let _ = std::fs::write(path, bytes);
    }
}
