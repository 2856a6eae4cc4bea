//! Checking an expression once, before its first run: the language's guard
//! ([`asl_lang::jsonata::guard`], the same one the compiler applies) and the
//! full evaluator's parse, kept for every evaluation.

use super::*;

pub(super) fn prepare(source: &str) -> Result<Prepared, Failure> {
    // What Step Functions refuses (JSONata 2.1's `??` and `?:`) and nesting past
    // the limit are refused by the language's one guard, the same one the
    // compiler applies at build time.
    let lexed = asl_lang::jsonata::guard(source)
        .map_err(|refusal| Failure::threw(refusal.code, refusal.message))?;
    // Built-ins of the evaluator that depart from JSONata are rebound around
    // the expression, which parses on its own first so its errors are its own.
    let prelude: String = PRELUDE
        .iter()
        .filter(|(name, _)| lexed.variables.iter().any(|v| v == name))
        .map(|(_, binding)| *binding)
        .collect();
    let ast = if prelude.is_empty() {
        parse(source)?
    } else {
        parse(source)?;
        parse(&format!("({prelude}\n{source}\n)"))?
    };
    Ok(Prepared {
        ast,
        states_members: lexed.states_members,
        variables: lexed.variables,
    })
}

/// (name, binding): the JSONata that replaces a built-in when an expression
/// names it.
const PRELUDE: &[(&str, &str)] = &[
    // jsonata-core's `$now` takes no arguments; JSONata's takes a picture and a
    // time zone, as `$fromMillis` does.
    (
        "now",
        "$now := function($picture, $timezone) { $fromMillis($millis(), $picture, $timezone) };",
    ),
    // jsonata-core's `$pad` allocates any width at once: past the longest string
    // a value may hold it fails as AWS does instead of exhausting memory.
    (
        "pad",
        "$__asl_pad := $pad; $pad := function($s, $w, $c)<s-ns?:s> { $abs($w) > 6990256 ? $error('Expression evaluation memory limit exceeded') : $__asl_pad($s, $w, $c) };",
    ),
];

/// The evaluator's parse; a panic is caught, as a last line of defence (the
/// evaluator refuses deep nesting itself).
fn parse(source: &str) -> Result<jsonata_core::ast::AstNode, Failure> {
    cache::count_parse();
    let parsed = catch_unwind(|| jsonata_core::parser::parse(source));
    match parsed {
        Ok(Ok(ast)) => Ok(ast),
        Ok(Err(error)) => Err(Failure::from_parser(&error)),
        Err(_) => Err(Failure::threw(
            "S0201",
            "The JSONata parser failed on this expression (internal error)",
        )),
    }
}
