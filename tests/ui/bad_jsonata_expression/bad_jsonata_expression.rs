// `asl::jsonata!` checks its expression while the program builds, as `asl!`
// checks the expressions of a definition: a syntax error, or an operator Step
// Functions' JSONata 2.0.6 does not have, is a compile error at the literal.
fn main() {
    let _total = asl::jsonata!("$states.input.qty * ");
    let _coalescing = asl::jsonata!("$states.input.a ?? 1");
}
