// A definition that may be wrong on one path only compiles with a warning;
// `deny_warnings` makes that warning an error, and the build fails.
asl::asl!(Flow = "flow.asl.json", deny_warnings);

fn main() {
    let _ = Flow::run;
}
