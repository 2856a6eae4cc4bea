//! Checking an expression once, before its first run: the language's guard
//! ([`asl_lang::jsonata::guard`], the same one the compiler applies), a parse,
//! and the rebinding of the functions this module replaces.

use super::*;

pub(super) fn prepare(source: &str) -> Result<Prepared, Failure> {
    // What this evaluator cannot run is refused by the language's one guard, the
    // same one the compiler applies at build time.
    let lexed = asl_lang::jsonata::guard(source)
        .map_err(|refusal| Failure::threw(refusal.code, refusal.message))?;
    // Parse once now so a syntax error is reported by `check`, before any run.
    let parsed = catch_unwind(|| {
        let arena = Bump::new();
        JsonAta::new(source, &arena)
            .map(|_| ())
            .map_err(|e| Failure::from_jsonata(&e))
    });
    match parsed {
        Ok(Ok(())) => {}
        Ok(Err(failure)) => return Err(failure),
        Err(_) => {
            return Err(Failure::threw(
                "S0201",
                "The JSONata parser failed on this expression (internal error)",
            ));
        }
    }
    // JSONata's `$random`, `$keys` and `$each` are bound by the evaluator after our
    // functions, so ours are rebound in a block around the expression (which has
    // parsed on its own above).
    let mut rebinds = String::new();
    for (name, ours) in REBOUND {
        if lexed.variables.iter().any(|v| v == name) {
            rebinds.push_str(&format!("${name} := ${ours};\n"));
        }
    }
    for name in GUARDED {
        if lexed.variables.iter().any(|v| v == name) {
            rebinds.push_str(&format!(
                "$__asl_jsonata_{name} := ${name};\n${name} := $__asl_{name};\n"
            ));
        }
    }
    let text = if rebinds.is_empty() {
        source.to_owned()
    } else {
        format!("({rebinds}{source}\n)")
    };
    let needs_key_order = lexed
        .variables
        .iter()
        .any(|v| ["keys", "each", "spread", "sift"].contains(&v.as_str()));
    Ok(Prepared {
        text,
        states_members: lexed.states_members,
        transform: lexed.transform,
        variables: lexed.variables,
        needs_key_order,
    })
}

/// JSONata functions replaced by ours: (JSONata's name, ours).
pub(super) const REBOUND: &[(&str, &str)] = &[
    ("random", "__asl_random"),
    ("keys", "__asl_keys"),
    ("each", "__asl_each"),
    // jsonata-rs slices by bytes (a panic inside a character or past the end).
    ("substring", "__asl_substring"),
    // jsonata-rs allocates any width at once (an abort past the memory).
    ("pad", "__asl_pad"),
];

/// JSONata functions that panic on some arguments in jsonata-rs (`$round()` indexes
/// a missing argument, `$now(1)` reads a number as a string): ours check the
/// arguments and call the original, kept as `$__asl_jsonata_<name>`.
pub(super) const GUARDED: &[&str] = &["round", "now", "string"];
