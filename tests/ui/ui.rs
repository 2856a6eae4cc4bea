//! Compile-fail tests for invalid workflows, one folder per class of error
//! (`<class>/`), each with the definition, the program and the expected
//! compiler output. `TRYBUILD=overwrite` rewrites the `.stderr` files after a
//! deliberate change of wording.
//!
//! There are only compile-fail cases here: then trybuild type-checks (`cargo
//! check`) and generates no code for its copies of the dependencies. Valid
//! workflows, declared `resources` among them, compile and run in
//! `tests/workflows.rs` and `tests/compiled_snapshots.rs`.
//!
//! This is a package of its own so that trybuild, which builds every
//! dependency of the package under test again, builds only `asl` without
//! integrations: not the other workspace tests' criterion, tokio runtime and
//! compiler library, nor their build script.

#[test]
fn ui() {
    // trybuild builds every dependency again in its own project, which does not
    // take the workspace's `[profile.dev]`: without this, those copies carry full
    // debug info (1.4 GB of target where a CI machine's disk may be short).
    if std::env::var_os("CARGO_PROFILE_DEV_DEBUG").is_none() {
        // SAFETY: this test binary holds this one test, so no other thread reads
        // or writes the environment while it is changed.
        unsafe { std::env::set_var("CARGO_PROFILE_DEV_DEBUG", "false") };
    }
    let t = trybuild::TestCases::new();
    for class in [
        "unknown_next_state",
        "unreachable_state",
        "bad_path",
        "bad_intrinsic",
        "missing_integration_parameter",
        "invalid_json",
        "undeclared_resource",
        "disabled_feature",
        "missing_file",
        "unsubstituted_placeholder",
        "bad_jsonata_expression",
        "path_never_present",
        "deny_warnings",
        "warning_is_located",
    ] {
        t.compile_fail(format!("{class}/*.rs"));
    }
}
