// A definition that does not exist: one error, and the skeleton still compiles.
asl::asl!(pub Flow = "no-such-workflow.asl.json");

fn main() {
    let _ = Flow::run;
}
