//! The front end from the outside, in one test binary:
//!
//! - `conformance`: the corpus's `validation/` and `paths/` cases;
//! - `expected_warnings`: every warning of the corpora, listed with why it is right;
//! - `input_schema`: a declared execution input, its checks and typed API;
//! - `graph`: `asl graph` formats, history colours, the page in headless Chromium;
//! - `mutation`: mutated definitions never panic the checker and stay located;
//! - `numbers`: every numeric field's accepted and refused values;
//! - `paths`: Jayway JsonPath corners, parsed and evaluated;
//! - `parity`: `asl check` and `asl!` accept and refuse the same definitions;
//! - `policy`: `asl policy` against the policies AWS publishes;
//! - `realworld`: the real-world corpus, substituted and checked;
//! - `result_schema`: a handler's declared result (`"arn" => "schema.json"`), checked and typed;
//! - `reference`: the definitions in `../shared/reference/` check clean;
//! - `serve`: `asl serve`, driven by aws-sdk-sfn: files, Create/Update/DeleteStateMachine;
//! - `substitutions`: `${Name}` substitution, YAML definitions, templates;
//! - `testing`: `asl test` and `asl test-state`;
//! - `types`: shape inference through the graph, `asl::path-never-present`;
//! - `warnings`: what may be wrong on some path, in `asl check`, the Builder and `asl!`;
//! - `rules`: every named rule, fired and located; the compiler/runtime agreement cases.

mod conformance;
mod executions;
mod expected_warnings;
mod graph;
mod input_schema;
mod mutation;
mod numbers;
mod parity;
mod paths;
mod policy;
mod realworld;
mod reference;
mod result_schema;
mod rules;
mod serve;
mod substitutions;
mod testing;
mod types;
mod warnings;

/// A folder of `../shared/` (beside the workspace), or where `env` points: the
/// folder when it holds `marker`, else `None` with a printed skip, or a panic
/// under `CI=true`, where a missing corpus is a failure.
pub fn shared_dir(env: &str, name: &str, marker: &str) -> Option<std::path::PathBuf> {
    let dir = std::env::var_os(env)
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../../shared")
                .join(name)
        });
    if dir.join(marker).exists() {
        return Some(dir);
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!(
            "{name} not found at {} (CI=true: this is a failure)",
            dir.display()
        );
    }
    println!("skip: {name} not found at {}", dir.display());
    None
}

/// Runs the `asl` binary with `args`: its exit code, standard output and
/// standard error.
pub fn asl_cli(args: &[&str]) -> (Option<i32>, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_asl"))
        .args(args)
        .output()
        .expect("asl runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
