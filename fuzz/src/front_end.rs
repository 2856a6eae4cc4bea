//! The front end as `asl!` and `asl check` run it: load (parse, lower, every
//! check), render the diagnostics as text and JSON, and for a valid definition
//! generate the code and format it as the Builder does. A panic anywhere is a
//! finding; generated code that does not parse is one too.

use asl_build::CheckOptions;
use asl_build::codegen::{self, Options};
use rand::Rng;
use rand::rngs::StdRng;

use crate::corpus::Corpus;
use crate::mutate;

/// One input: a seed definition, mutated 1 to 8 times.
pub fn one(corpus: &Corpus, rng: &mut StdRng, last_input: Option<&std::path::Path>) {
    let seed = &corpus.definitions[rng.random_range(0..corpus.definitions.len())];
    let donors: Vec<&[u8]> = (0..3)
        .map(|_| corpus.definitions[rng.random_range(0..corpus.definitions.len())].as_bytes())
        .collect();
    let mut input = seed.as_bytes().to_vec();
    let count = rng.random_range(1..=8);
    mutate::many(rng, &mut input, &donors, count);
    crate::remember(last_input, &input);
    check(&input);
}

/// Runs `source` through everything the front end does.
pub fn check(source: &[u8]) {
    match asl_build::load_with(
        source,
        "fuzz.asl.json",
        &CheckOptions::allowing_undeclared(),
    ) {
        Err(diagnostics) => {
            let text = diagnostics.to_string();
            assert!(!diagnostics.is_empty() && !text.is_empty());
            let json = diagnostics.to_json();
            assert!(
                json.as_array()
                    .is_some_and(|a| a.len() == diagnostics.len())
            );
            for d in diagnostics.iter() {
                assert!(
                    d.origin.line >= 1 && d.origin.column >= 1,
                    "unlocated: {d:?}"
                );
            }
        }
        Ok(machine) => {
            let options = Options {
                resources: machine.task_resources(),
                ..Options::default()
            };
            let tokens = codegen::generate(&machine, &options)
                .unwrap_or_else(|d| panic!("a checked definition did not generate: {d:?}"));
            asl_build::builder::format_file(tokens, "fuzz.asl.json")
                .unwrap_or_else(|e| panic!("generated code does not format: {e}"));
        }
    }
}
