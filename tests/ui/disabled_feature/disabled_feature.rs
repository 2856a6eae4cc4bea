// A built-in integration whose Cargo feature is off (here `lambda`: UI tests
// build asl without integrations) is a compile error naming the feature.
asl::asl!(Flow = "flow.asl.json");

fn main() {
    let _ = Flow::run;
}
