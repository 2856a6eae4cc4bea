// A Task Resource that is neither a built-in integration nor declared with
// `resources = [...]` is a compile error.
asl::asl!(Flow = "flow.asl.json");

fn main() {
    let _ = Flow::run;
}
