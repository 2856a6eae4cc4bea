// JSONata runs, but a Catch's `Output`/`Assign` (with `$states.errorOutput`)
// cannot be generated yet: the build fails with the front end's diagnostic,
// located in the JSON file.
asl::asl!(Flow = "flow.asl.json");

fn main() {
    // The skeleton keeps the public API, so this still type-checks.
    let _ = Flow::run;
}
