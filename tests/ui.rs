//! Compile-fail tests for invalid workflows, one folder per class of error
//! (`ui/<class>/`), each with the definition, the program and the expected
//! compiler output; `ui/pass/` must compile. `TRYBUILD=overwrite` rewrites
//! the `.stderr` files after a deliberate change of wording.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    for class in [
        "unknown_next_state",
        "unreachable_state",
        "bad_path",
        "bad_intrinsic",
        "missing_integration_parameter",
        "invalid_json",
        "undeclared_resource",
        "missing_file",
    ] {
        t.compile_fail(format!("ui/{class}/*.rs"));
    }
    t.pass("ui/pass/*.rs");
}
