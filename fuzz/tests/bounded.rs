//! A short, seeded run of both fuzz targets in every CI run (a fixed number of
//! inputs, so it costs the same every time); the long run is `asl-fuzz` (see the
//! crate's docs).

use std::time::Duration;

use asl_fuzz::{corpus, front_end, jsonata, runtime};

/// Where the input being run is kept (a crash that aborts leaves it there).
fn last_input(target: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../target")
        .join(format!("fuzz-last-input-bounded-{target}"))
}

#[test]
fn front_end_survives_mutated_definitions() {
    let corpus = corpus::load();
    let report = asl_fuzz::run(
        "front-end",
        7,
        Duration::from_secs(120),
        1_500,
        Some(&last_input("front-end")),
        &mut |rng, last| front_end::one(&corpus, rng, last),
    );
    assert!(report.crashes.is_empty(), "{:#?}", report.crashes);
    println!(
        "front-end: {} inputs, slowest {:?}",
        report.inputs, report.slowest
    );
}

#[test]
fn runtime_survives_adversarial_values() {
    let corpus = corpus::load();
    let paths = runtime::Paths::new(&corpus);
    let report = asl_fuzz::run(
        "runtime",
        7,
        Duration::from_secs(120),
        // About 20 s in a debug build on a quiet 2-core machine (3,000 inputs
        // took 120 s at a load of 9, most of it the debug build's allocator and
        // random number generator); the long run is `asl-fuzz runtime`.
        1_000,
        Some(&last_input("runtime")),
        &mut |rng, last| runtime::one(&corpus, &paths, rng, last),
    );
    assert!(report.crashes.is_empty(), "{:#?}", report.crashes);
    println!(
        "runtime: {} inputs, slowest {:?}",
        report.inputs, report.slowest
    );
}

#[test]
fn jsonata_survives_mutated_expressions_and_deep_data() {
    let corpus = corpus::load();
    let seeds = jsonata::seeds(&corpus);
    let report = asl_fuzz::run(
        "jsonata",
        7,
        Duration::from_secs(90),
        // About 40 s in a debug build on a loaded 2-core machine (185 inputs
        // took 60 s at a load of 12): deep data and text cost.
        150,
        Some(&last_input("jsonata")),
        &mut |rng, last| jsonata::one(&seeds, rng, last),
    );
    assert!(report.crashes.is_empty(), "{:#?}", report.crashes);
    println!(
        "jsonata: {} inputs, slowest {:?}",
        report.inputs, report.slowest
    );
}
