// `asl::jsonata!` checks its expression while the program builds, as `asl!`
// checks the expressions of a definition: a syntax error is a compile error at
// the literal.
fn main() {
    let _total = asl::jsonata!("$states.input.qty * ");
    let _partial = asl::jsonata!("$substring(?, 1)");
}
