//! One evaluation by the full evaluator (jsonata-core): values into its
//! `JValue` and back, each direction bounded by the data depth limit so the
//! conversion's recursion stays small however deep the data is, and the
//! evaluator's failures as JSONata's codes.

use super::*;
use crate::limits::MAX_DATA_DEPTH;
use indexmap::IndexMap;
use jsonata_core::evaluator::{Context, Evaluator, EvaluatorError, EvaluatorOptions};
use jsonata_core::value::JValue;

/// The error of data nested past [`MAX_DATA_DEPTH`], in or out.
fn too_deep() -> Failure {
    Failure::threw(
        "U1001",
        format!(
            "The value nests arrays and objects more than {MAX_DATA_DEPTH} levels deep, the most a payload may have"
        ),
    )
}

pub(super) fn evaluate_in(
    prepared: &Prepared,
    scope: &JsonataScope<'_>,
) -> Result<Option<Value>, Failure> {
    let options = EvaluatorOptions {
        timeout_ms: Some(TIME_LIMIT_MS as u64),
        max_stack_depth: Some(MAX_DEPTH),
        ..EvaluatorOptions::default()
    };
    let mut context = Context::new();
    if prepared.variables.iter().any(|v| v == "states") {
        let mut states = IndexMap::with_capacity(4);
        let members = [
            ("input", Some(scope.input)),
            ("result", scope.result),
            ("errorOutput", scope.error_output),
            ("context", Some(scope.context)),
        ];
        for (name, value) in members {
            let Some(value) = value else { continue };
            let reads = match &prepared.states_members {
                None => None,
                Some(uses) => match uses.iter().find(|u| u.member == name) {
                    Some(used) => used.reads.as_deref(),
                    None => continue,
                },
            };
            let converted = match (reads, value) {
                // Only `$states.<name>.<key>` paths: the other keys cannot be seen.
                (Some(keys), Value::Object(map)) => {
                    let mut partial = IndexMap::with_capacity(keys.len());
                    for key in keys {
                        if let Some(member) = map.get(key) {
                            partial.insert(key.clone(), to_core(member, MAX_DATA_DEPTH)?);
                        }
                    }
                    JValue::object(partial)
                }
                _ => to_core(value, MAX_DATA_DEPTH)?,
            };
            states.insert(name.to_owned(), converted);
        }
        context.bind("states".to_owned(), JValue::object(states));
    }
    if let Some(variables) = scope.variables {
        for name in &prepared.variables {
            if name == "states" {
                continue;
            }
            if let Some(value) = variables.get(name) {
                context.bind(name.clone(), to_core(value, MAX_DATA_DEPTH)?);
            }
        }
    }
    let mut evaluator = Evaluator::with_options(context, options);
    register_functions(&mut evaluator, &prepared.variables);
    // JSONata's test suite only: Step Functions binds no context item.
    let item = match scope.context_item {
        Some(item) => to_core(item, MAX_DATA_DEPTH)?,
        None => JValue::Undefined,
    };
    let result = evaluator
        .evaluate(&prepared.ast, &item)
        .map_err(|e| Failure::from_core(&e))?;
    if result.is_undefined() {
        return Ok(None);
    }
    from_core(&result, MAX_DATA_DEPTH).map(Some)
}

/// JSON into the evaluator's values, at most `budget` levels of arrays and
/// objects deep.
pub(super) fn to_core(value: &Value, budget: usize) -> Result<JValue, Failure> {
    Ok(match value {
        Value::Null => JValue::Null,
        Value::Bool(b) => JValue::Bool(*b),
        Value::Number(n) => JValue::Number(n.as_f64().unwrap_or(f64::NAN)),
        Value::String(s) => JValue::string(s.as_str()),
        Value::Array(items) => {
            let budget = budget.checked_sub(1).ok_or_else(too_deep)?;
            JValue::array(
                items
                    .iter()
                    .map(|item| to_core(item, budget))
                    .collect::<Result<_, _>>()?,
            )
        }
        Value::Object(map) => {
            let budget = budget.checked_sub(1).ok_or_else(too_deep)?;
            let mut out = IndexMap::with_capacity(map.len());
            for (key, item) in map {
                out.insert(key.clone(), to_core(item, budget)?);
            }
            JValue::object(out)
        }
    })
}

/// A result out of the evaluator into JSON, at most `budget` levels deep: an
/// expression can build data of any depth (`$reduce` nesting an object per
/// item), and the conversion's recursion must stay bounded.
pub(super) fn from_core(value: &JValue, budget: usize) -> Result<Value, Failure> {
    Ok(match value {
        JValue::Undefined | JValue::Null => Value::Null,
        JValue::Bool(b) => Value::Bool(*b),
        JValue::Number(n) => number(*n),
        JValue::String(s) => Value::String(s.to_string()),
        JValue::Array(items) => {
            let budget = budget.checked_sub(1).ok_or_else(too_deep)?;
            let mut out = Vec::with_capacity(items.len());
            for item in items.iter() {
                if item.is_undefined() {
                    continue;
                }
                out.push(from_core(item, budget)?);
            }
            Value::Array(out)
        }
        JValue::Object(map) => {
            let budget = budget.checked_sub(1).ok_or_else(too_deep)?;
            let mut out = Map::with_capacity(map.len());
            for (key, item) in map.iter() {
                if item.is_undefined() {
                    continue;
                }
                out.insert(key.clone(), from_core(item, budget)?);
            }
            Value::Object(out)
        }
        JValue::Lambda(_) | JValue::Builtin { .. } | JValue::Regex { .. } => {
            return Err(Failure::UnsupportedResult);
        }
    })
}

impl Failure {
    /// The evaluator's error as JSONata's code and message: its messages start
    /// with the code (`T1006: Attempted to invoke a non-function`); its own
    /// limits (D1011 depth, D1012 time) are jsonata-js's U1001, worded as
    /// jsonata-js words them.
    pub(super) fn from_core(error: &EvaluatorError) -> Self {
        coded_message(error.message())
    }

    pub(super) fn from_parser(error: &jsonata_core::parser::ParserError) -> Self {
        coded_message(&error.to_string())
    }
}

fn coded_message(text: &str) -> Failure {
    // The code leads the message, or follows the parser's own prefix
    // (`Invalid syntax: S0201: ...`).
    let found = text.char_indices().find_map(|(at, _)| {
        jsonata_core::evaluator::error_code_prefix(&text[at..]).map(|code| (at, code))
    });
    let Some((at, code)) = found else {
        // The parser's one uncoded message is jsonata-js's S0106.
        if text.contains("Unclosed comment") {
            return Failure::threw("S0106", "Comment has no closing tag");
        }
        // A built-in called with too few or too many arguments
        // (`sift() requires 1 or 2 arguments`): jsonata-js's signature error.
        if let Some((function, _)) = text.split_once("() requires") {
            return Failure::threw(
                "T0410",
                format!(
                    "Argument 1 of function \"{}\" does not match function signature",
                    function.trim()
                ),
            );
        }
        // Any other uncoded message is an internal error of the evaluator.
        return Failure::threw("U1002", text.trim());
    };
    let message = text[at + code.len() + 1..].trim();
    match code {
        "D1011" => Failure::threw(
            "U1001",
            "Stack overflow error: Check for non-terminating recursive function.  Consider rewriting as tail-recursive.",
        ),
        "D1012" => Failure::threw(
            "U1001",
            "Expression evaluation timeout: Check for infinite loop",
        ),
        // The evaluator names the callee after the message; jsonata-js does not.
        "T1006" => Failure::threw(code, "Attempted to invoke a non-function"),
        _ => match js_wording(code, message) {
            Some(js) => Failure::threw(code, js),
            None => Failure::threw(code, message),
        },
    }
}

/// jsonata-js's message for an error of the evaluator whose code matches but
/// whose words do not (a workflow's cause quotes it, as AWS does), where the
/// evaluator's message holds what jsonata-js's needs: its fixed texts, and
/// the operator, token or value it inserts (quoted as jsonata-js quotes them,
/// as JSON). `None` keeps the evaluator's words: those already jsonata-js's,
/// and those missing what jsonata-js's would insert (the function name of
/// `T0410`-`T0412`, the values of `T2009`/`T2010`, `D1002`, `T2011`/`T2012`).
fn js_wording(code: &str, message: &str) -> Option<String> {
    let quoted = |s: &str| Value::String(s.to_owned()).to_string();
    let fixed = match code {
        "T2003" => "The left side of the range operator (..) must evaluate to an integer",
        "T2004" => "The right side of the range operator (..) must evaluate to an integer",
        "D3001" => "Attempting to invoke string function on Infinity or NaN",
        "D3020" => "Third argument of split function must evaluate to a positive number",
        // The picture-string codes: number_picture words them as jsonata-js does.
        c if super::number_picture::is_picture_code(c) => super::number_picture::message(c),
        "D3131" => "In a decimal digit pattern, all digits must be from the same decimal group",
        "D3134" => "The timezone integer format specifier cannot have more than four digits",
        "D3135" => "No matching closing bracket ']' in date/time picture string",
        "D3136" => {
            "The date/time picture string is missing specifiers required to parse the timestamp"
        }
        "D3138" => {
            "The $single() function expected exactly 1 matching result.  Instead it matched more."
        }
        _ => "",
    };
    if !fixed.is_empty() {
        return Some(fixed.to_owned());
    }
    let after = |prefix: &str| message.strip_prefix(prefix).map(str::trim);
    Some(match code {
        // `The left side of the - operator ...`: jsonata-js quotes the operator.
        "T2001" | "T2002" => {
            let (side, rest) = message.split_once(" side of the ")?;
            let (operator, _) = rest.split_once(" operator")?;
            format!(
                "{side} side of the {} operator must evaluate to a number",
                quoted(operator)
            )
        }
        "D3030" => {
            let value = after("Cannot convert '")?.strip_suffix("' to number")?;
            format!("Unable to cast value to a number: {}", quoted(value))
        }
        "D3100" => format!(
            "The radix of the formatBase function must be between 2 and 36.  It was given {}",
            after("Radix must be between 2 and 36, got")?
        ),
        // The evaluator's message is the value alone.
        "D3130" => format!(
            "Formatting or parsing an integer as a sequence starting with {} is not supported by this implementation",
            quoted(message)
        ),
        "D3132" => format!(
            "Unknown component specifier {} in date/time picture string",
            quoted(message)
        ),
        "D3133" => format!(
            "The 'name' modifier can only be applied to months and days in the date/time picture string, not {}",
            quoted(message)
        ),
        // Only a non-finite number is out of range, which JSON writes as null.
        "D1001" if message.starts_with("Number out of range") => {
            "Number out of range: null".to_owned()
        }
        "T1010" => {
            let function = after("The matcher function argument passed to function")?
                .split_once(' ')?
                .0
                .trim_start_matches('$');
            format!(
                "The matcher function argument passed to function {} does not return the correct object structure",
                quoted(function)
            )
        }
        "S0102" => format!(
            "Number out of range: {}",
            quoted(after("Number out of range:")?)
        ),
        // jsonata-js quotes the character after its backslash.
        "S0103" => format!(
            "Unsupported escape sequence: \\{}",
            quoted(after("Unsupported escape sequence: \\")?)
        ),
        "S0204" => format!("Unknown operator: {}", quoted(after("Unknown operator:")?)),
        "S0214" => format!(
            "The right side of {} must be a variable name (start with $)",
            quoted(after("Expected a variable reference after")?)
        ),
        "S0201" => format!("Syntax error: {}", token(after("Syntax error:")?)?),
        "S0202" => {
            let (expected, got) = after("Expected")?.split_once(", got ")?;
            format!("Expected {}, got {}", token(expected)?, token(got)?)
        }
        "S0203" => format!(
            "Expected {} before end of expression",
            token(after("Expected")?.strip_suffix(" before end of expression")?)?
        ),
        "S0211" => {
            let symbol =
                after("The symbol")?.strip_suffix(" cannot be used as a unary operator")?;
            format!(
                "The symbol {} cannot be used as a unary operator",
                token(symbol)?
            )
        }
        _ => return None,
    })
}

/// A token as the parser names it (`RightParen`, `Identifier("a")`) as
/// jsonata-js shows it (`")"`, `"a"`); `None` for one it shows otherwise.
fn token(name: &str) -> Option<String> {
    let quoted = |s: &str| Value::String(s.to_owned()).to_string();
    if let Some(inner) = name
        .strip_prefix("Identifier(")
        .and_then(|rest| rest.strip_suffix(')'))
    {
        let name: String = serde_json::from_str(inner).ok()?;
        return Some(quoted(&name));
    }
    let symbol = match name.trim() {
        "Plus" => "+",
        "Minus" => "-",
        "Star" => "*",
        "StarStar" => "**",
        "Slash" => "/",
        "Percent" => "%",
        "Equal" => "=",
        "NotEqual" => "!=",
        "LessThan" => "<",
        "LessThanOrEqual" => "<=",
        "GreaterThan" => ">",
        "GreaterThanOrEqual" => ">=",
        "And" => "and",
        "Or" => "or",
        "In" => "in",
        "Ampersand" => "&",
        "Dot" => ".",
        "DotDot" => "..",
        "Question" => "?",
        "Colon" => ":",
        "ColonEqual" => ":=",
        "TildeArrow" => "~>",
        "LeftParen" => "(",
        "RightParen" => ")",
        "LeftBracket" => "[",
        "RightBracket" => "]",
        "LeftBrace" => "{",
        "RightBrace" => "}",
        "Comma" => ",",
        "Semicolon" => ";",
        "Caret" => "^",
        "Pipe" => "|",
        "Hash" => "#",
        "At" => "@",
        _ => return None,
    };
    Some(quoted(symbol))
}

/// A JSONata number as JSON: whole numbers as integers, non-finite numbers as the
/// strings AWS writes (`"Infinity"`, `"-Infinity"`, `"NaN"`).
#[inline]
pub(super) fn number(n: f64) -> Value {
    if n.is_nan() {
        Value::String("NaN".into())
    } else if n.is_infinite() {
        Value::String(if n > 0.0 { "Infinity" } else { "-Infinity" }.into())
    } else if n.abs() < 9.0e15 && (n as i64) as f64 == n {
        // (A whole-number check without `fract`, a library call on x86-64.)
        Value::from(n as i64)
    } else if n.fract() == 0.0 && (0.0..1.8e19).contains(&n) {
        Value::from(n as u64)
    } else {
        Number::from_f64(n).map_or(Value::Null, Value::Number)
    }
}

/// Whether `n` is an integer past 2^53, which an `f64` (JSONata's number) cannot
/// hold exactly.
pub(super) fn inexact_in_f64(n: &Number) -> bool {
    n.as_i64().is_some_and(|i| i.unsigned_abs() > 1 << 53)
        || n.as_u64().is_some_and(|u| u > 1 << 53)
}
