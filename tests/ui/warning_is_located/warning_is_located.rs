// Without `deny_warnings` the macro's warning is a rustc warning located at
// the definition's path (here made an error by the crate's own lint level,
// so that trybuild shows it).
#![deny(deprecated)]

asl::asl!(Flow = "flow.asl.json");

fn main() {
    let _ = Flow::run;
}
