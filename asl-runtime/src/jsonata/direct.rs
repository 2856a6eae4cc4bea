//! Expressions answered without the evaluator: JSON literals and plain paths
//! over `$states` or a variable.

use super::*;

/// Expressions simple enough to answer without the evaluator, with the same result:
/// a JSON literal (`true`, `null`, `1`, `"s"`, `[]`), or a path of plain names from
/// `$states.<member>` or a variable (`$states.input.a.b`, `$items`). Evaluating one
/// with jsonata-rs costs a parse and a conversion of the whole input into its
/// values (tens of microseconds, more for a large input); this costs a lookup.
#[derive(Debug)]
pub(super) enum Direct {
    Literal(Value),
    /// `$states.<member>.<steps>`.
    States(String, Vec<String>),
    /// `$<variable>.<steps>`.
    Variable(String, Vec<String>),
}

impl Direct {
    pub(super) fn of(source: &str) -> Option<Direct> {
        if !source.starts_with('$') {
            return match serde_json::from_str::<Value>(source) {
                // A JSON text means the same in JSONata, but for numbers JSONata
                // reads as f64 (large integers) — those go to the evaluator.
                Ok(value) if !has_exact_integer(&value) => Some(Direct::Literal(value)),
                _ => None,
            };
        }
        let mut names = source[1..].split('.');
        let first = names.next()?;
        let steps: Vec<String> = names.map(str::to_owned).collect();
        let plain = |name: &str| {
            let mut chars = name.chars();
            chars
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
                && !matches!(
                    name,
                    "and" | "or" | "in" | "true" | "false" | "null" | "function"
                )
        };
        if !plain(first) || !steps.iter().all(|s| plain(s)) {
            return None;
        }
        if first == "states" {
            let (member, rest) = steps.split_first()?;
            if !["input", "result", "errorOutput", "context"].contains(&member.as_str()) {
                return None;
            }
            return Some(Direct::States(member.clone(), rest.to_vec()));
        }
        Some(Direct::Variable(first.to_owned(), steps))
    }

    /// `Some(answer)`, or `None` when the evaluator must decide (a path through an
    /// array maps over it; an unknown variable may be a function).
    pub(super) fn evaluate(&self, scope: &JsonataScope<'_>) -> Option<Option<Value>> {
        let (root, steps) = match self {
            Direct::Literal(value) => return Some(Some(value.clone())),
            Direct::States(member, steps) => {
                let root = match member.as_str() {
                    "input" => Some(scope.input),
                    "result" => scope.result,
                    "errorOutput" => scope.error_output,
                    _ => Some(scope.context),
                };
                (root, steps)
            }
            Direct::Variable(name, steps) => (Some(scope.variables?.get(name)?), steps),
        };
        let mut value = match root {
            Some(value) => value,
            None => return Some(None),
        };
        for step in steps {
            value = match value {
                Value::Object(map) => match map.get(step) {
                    Some(member) => member,
                    None => return Some(None),
                },
                Value::Array(_) => return None,
                _ => return Some(None),
            };
        }
        Some(Some(value.clone()))
    }
}

pub(super) fn has_exact_integer(value: &Value) -> bool {
    match value {
        Value::Number(n) => {
            n.as_i64().is_some_and(|i| i.unsigned_abs() > 1 << 53)
                || n.as_u64().is_some_and(|u| u > 1 << 53)
        }
        Value::Array(items) => items.iter().any(has_exact_integer),
        Value::Object(map) => map.values().any(has_exact_integer),
        _ => false,
    }
}
