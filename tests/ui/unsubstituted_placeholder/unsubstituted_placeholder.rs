// A template definition (YAML here) with a placeholder the macro gives no value:
// one error naming it, located in the YAML file; the substituted one is fine.
asl::asl!(
    Flow = "flow.asl.yaml",
    substitutions = { "Seconds" => 5 }
);

fn main() {
    let _ = Flow::run;
}
