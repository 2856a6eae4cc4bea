//! ASL intrinsic functions (`States.Format(...)`, `States.MathAdd(...)`, ...).
//!
//! build-support parses an intrinsic expression at compile time and generates a
//! direct call of one function below per `States.X` call, nested calls first; every
//! argument arrives already evaluated as a `Value` (a literal, a path's value, or an
//! inner call's result). [`Intrinsic`] + [`call`] dispatch by name for callers that
//! prefer one entry point.
//!
//! Out: the function's value, or, when an argument has the wrong type or breaks one
//! of AWS's limits (argument count, ArrayRange ≤ 1000 items, Hash and Base64 inputs
//! ≤ 10,000 characters, MathAdd in the 32-bit integer range, ...), the error real
//! AWS reports: `States.Runtime` (not `States.IntrinsicFailure`) with the cause
//! `Invalid arguments in States.X`, which the engine prefixes with the state
//! ([`crate::Error::in_state`]). The precise reason is logged with `tracing` at
//! debug level, since AWS's cause does not carry it.
//!
//! Numbers: MathAdd rounds its operands to the nearest integer (AWS, recorded in
//! the conformance corpus: `1.5` → 2, `-1.5` → -1); ArrayRange, ArrayPartition and
//! MathRandom truncate toward zero (AWS observed: `ArrayPartition(a, 2.6)` uses 2,
//! `MathRandom(1.4, 1.6)` is rejected as the empty range `[1, 1)`).

use base64::Engine as _;
use rand::{Rng, SeedableRng};
use serde_json::{Map, Number, Value};

use crate::error::Error;

pub use asl_lang::intrinsics::{ARRAY_RANGE_MAX_ITEMS, Intrinsic, MAX_STRING_INPUT_CHARS};

/// Calls `function` with evaluated `args`; checks the argument count first.
/// `States.Format` takes its template as the first argument, in the raw form
/// [`format_template`] describes.
pub fn call(function: Intrinsic, args: &[Value]) -> Result<Value, Error> {
    if !function.accepts_count(args.len()) {
        return Err(invalid(
            function,
            format!(
                "expected {} arguments but got {}",
                function.expected_arguments(),
                args.len()
            ),
        ));
    }
    match function {
        Intrinsic::Format => {
            let template = string_arg(function, &args[0], "template")?;
            Ok(Value::String(format_template(template, &args[1..])?))
        }
        Intrinsic::StringToJson => string_to_json(&args[0]),
        Intrinsic::JsonToString => Ok(json_to_string(&args[0])),
        Intrinsic::Array => Ok(array(args.to_vec())),
        Intrinsic::ArrayPartition => array_partition(&args[0], &args[1]),
        Intrinsic::ArrayContains => array_contains(&args[0], &args[1]),
        Intrinsic::ArrayRange => array_range(&args[0], &args[1], &args[2]),
        Intrinsic::ArrayGetItem => array_get_item(&args[0], &args[1]),
        Intrinsic::ArrayLength => array_length(&args[0]),
        Intrinsic::ArrayUnique => array_unique(&args[0]),
        Intrinsic::Base64Encode => base64_encode(&args[0]),
        Intrinsic::Base64Decode => base64_decode(&args[0]),
        Intrinsic::Hash => hash(&args[0], &args[1]),
        Intrinsic::JsonMerge => json_merge(&args[0], &args[1], &args[2]),
        Intrinsic::MathRandom => math_random(&args[0], &args[1], args.get(2)),
        Intrinsic::MathAdd => math_add(&args[0], &args[1]),
        Intrinsic::StringSplit => string_split(&args[0], &args[1]),
        Intrinsic::Uuid => Ok(uuid()),
    }
}

/// AWS's error for bad intrinsic arguments; `why` goes to the debug log only.
fn invalid(function: Intrinsic, why: impl std::fmt::Display) -> Error {
    tracing::debug!(function = function.name(), reason = %why, "intrinsic rejected its arguments");
    Error::runtime(format!("Invalid arguments in {}", function.name()))
}

use crate::jsonata::type_name;

fn string_arg<'a>(function: Intrinsic, v: &'a Value, what: &str) -> Result<&'a str, Error> {
    v.as_str().ok_or_else(|| {
        invalid(
            function,
            format!("the {what} must be a string but was {} {v}", type_name(v)),
        )
    })
}

fn array_arg<'a>(function: Intrinsic, v: &'a Value, what: &str) -> Result<&'a Vec<Value>, Error> {
    v.as_array().ok_or_else(|| {
        invalid(
            function,
            format!("the {what} must be an array but was {} {v}", type_name(v)),
        )
    })
}

/// A number argument AWS truncates toward zero (Java's `(int)` cast: `2.6` → 2,
/// `-0.6` → 0): ArrayRange, ArrayPartition, MathRandom. Must fit in 32 bits.
fn truncated_arg(function: Intrinsic, v: &Value, what: &str) -> Result<i64, Error> {
    if let Some(i) = v.as_i64() {
        if i < i32::MIN as i64 || i > i32::MAX as i64 {
            return Err(out_of_range(function, what, v));
        }
        return Ok(i);
    }
    let t = number_arg(function, v, what)?.trunc();
    if !(i32::MIN as f64..=i32::MAX as f64).contains(&t) {
        return Err(out_of_range(function, what, v));
    }
    Ok(t as i64)
}

/// A number argument AWS rounds to the nearest integer (ties toward positive
/// infinity, as Java's `Math.round`: `1.5` → 2, `-1.5` → -1): MathAdd. Must fit in
/// 32 bits.
fn rounded_arg(function: Intrinsic, v: &Value, what: &str) -> Result<i64, Error> {
    if let Some(i) = v.as_i64() {
        if i < i32::MIN as i64 || i > i32::MAX as i64 {
            return Err(out_of_range(function, what, v));
        }
        return Ok(i);
    }
    let x = number_arg(function, v, what)?;
    let r = (x + 0.5).floor();
    if !(i32::MIN as f64..=i32::MAX as f64).contains(&r) {
        return Err(out_of_range(function, what, v));
    }
    Ok(r as i64)
}

fn out_of_range(function: Intrinsic, what: &str, v: &Value) -> Error {
    invalid(
        function,
        format!("the {what} {v} is outside the range -2147483648 to 2147483647"),
    )
}

fn number_arg(function: Intrinsic, v: &Value, what: &str) -> Result<f64, Error> {
    v.as_f64().ok_or_else(|| {
        invalid(
            function,
            format!("the {what} must be a number but was {} {v}", type_name(v)),
        )
    })
}

// ---------------------------------------------------------------- States.Format

/// `States.Format` with a template compiled at build time: `pieces` are the literal
/// texts around the `{}` placeholders, escapes already resolved (`'a {} b \{c\}'` →
/// `["a ", " b {c}"]`), so `pieces.len()` must be `args.len() + 1`.
///
/// Each argument is printed as AWS prints it: a string as is, `null`, numbers and
/// booleans as JSON, an object as `{k=v, k2=v2}` and an array as `[a, b]` (Java's
/// `toString`, which AWS uses). A count mismatch is `States.IntrinsicFailure`.
pub fn format(pieces: &[&str], args: &[Value]) -> Result<String, Error> {
    if pieces.len() != args.len() + 1 {
        return Err(invalid(
            Intrinsic::Format,
            format!(
                "the template has {} placeholders but {} arguments were given",
                pieces.len().saturating_sub(1),
                args.len()
            ),
        ));
    }
    let mut out =
        String::with_capacity(pieces.iter().map(|p| p.len()).sum::<usize>() + 16 * args.len());
    out.push_str(pieces[0]);
    for (arg, piece) in args.iter().zip(&pieces[1..]) {
        write_format_arg(&mut out, arg);
        out.push_str(piece);
    }
    Ok(out)
}

/// `States.Format` with a template known only at run time (e.g.
/// `States.Format($.template, $.name)`): `{}` is a placeholder, and `\{`, `\}`,
/// `\'`, `\\` stand for the character after the backslash. The template must be
/// well formed (see [`split_format_template`]) and have as many placeholders as
/// there are arguments.
pub fn format_template(template: &str, args: &[Value]) -> Result<String, Error> {
    let pieces = split_format_template(template)?;
    let pieces: Vec<&str> = pieces.iter().map(String::as_str).collect();
    format(&pieces, args)
}

/// Splits a `States.Format` template (as written inside the intrinsic's quotes,
/// after JSON unescaping) into the literal pieces around its `{}` placeholders,
/// resolving `\{`, `\}`, `\'` and `\\`. build-support can call this at compile time
/// and generate a [`format()`] call with the pieces as `&'static str`s.
///
/// A `{` not followed by `}`, or a `}` not preceded by `{`, is an error, as on AWS
/// (`'Hello {'`, `'Hello {{}}'` and `'}'` fail with `Invalid arguments in
/// States.Format`).
pub fn split_format_template(template: &str) -> Result<Vec<String>, Error> {
    let mut pieces = vec![String::new()];
    let mut chars = template.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.peek() {
                Some(&next @ ('{' | '}' | '\'' | '\\')) => {
                    chars.next();
                    push(&mut pieces, next);
                }
                _ => push(&mut pieces, '\\'),
            },
            '{' if chars.peek() == Some(&'}') => {
                chars.next();
                pieces.push(String::new());
            }
            '{' | '}' => {
                return Err(invalid(
                    Intrinsic::Format,
                    format!("unescaped '{c}' in the template {template:?}"),
                ));
            }
            other => push(&mut pieces, other),
        }
    }
    Ok(pieces)
}

/// Appends to the piece being built (there is always one).
fn push(pieces: &mut [String], c: char) {
    if let Some(last) = pieces.last_mut() {
        last.push(c);
    }
}

fn write_format_arg(out: &mut String, v: &Value) {
    match v {
        Value::String(s) => out.push_str(s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_format_arg(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (k, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(k);
                out.push('=');
                write_format_arg(out, item);
            }
            out.push('}');
        }
        other => {
            use std::fmt::Write as _;
            let _ = write!(out, "{other}");
        }
    }
}

// ---------------------------------------------------------------- JSON

/// `States.StringToJson(s)`: parses the string `s` as JSON (`"-0"` is `0`; an
/// empty string is `null`, as AWS answers). A non-string or invalid JSON fails.
pub fn string_to_json(s: &Value) -> Result<Value, Error> {
    let f = Intrinsic::StringToJson;
    let text = string_arg(f, s, "argument")?;
    if text.trim().is_empty() {
        return Ok(Value::Null);
    }
    let parsed: Value = serde_json::from_str(text)
        .map_err(|e| invalid(f, format!("the string is not valid JSON ({e}): {text}")))?;
    // serde_json keeps `-0` as a float -0.0; AWS answers 0.
    Ok(match parsed {
        Value::Number(n)
            if n.as_f64() == Some(0.0) && !n.is_u64() && !n.is_i64() && text.trim() == "-0" =>
        {
            Value::from(0)
        }
        other => other,
    })
}

/// `States.JsonToString(v)`: `v` as compact JSON text.
pub fn json_to_string(v: &Value) -> Value {
    Value::String(v.to_string())
}

/// `States.JsonMerge(a, b, false)`: the members of object `b` merged over those of
/// object `a` (shallow: a member of `b` replaces `a`'s whole value). AWS supports
/// only shallow mode: a deep flag `true` is rejected; any other value (even the
/// string `"false"`) merges shallowly, as AWS was observed to do.
pub fn json_merge(a: &Value, b: &Value, deep: &Value) -> Result<Value, Error> {
    let f = Intrinsic::JsonMerge;
    let (Value::Object(left), Value::Object(right)) = (a, b) else {
        let bad = if a.is_object() { b } else { a };
        return Err(invalid(
            f,
            format!(
                "both JSON arguments must be objects but one was {} {bad}",
                type_name(bad)
            ),
        ));
    };
    if deep == &Value::Bool(true) {
        return Err(invalid(
            f,
            "deep merge is not supported; the third argument must be false",
        ));
    }
    let mut merged: Map<String, Value> = left.clone();
    for (k, v) in right {
        merged.insert(k.clone(), v.clone());
    }
    Ok(Value::Object(merged))
}

// ---------------------------------------------------------------- arrays

/// `States.Array(a, b, ...)`: the arguments as an array.
pub fn array(args: Vec<Value>) -> Value {
    Value::Array(args)
}

/// `States.ArrayPartition(array, size)`: `array` cut into chunks of `size` items
/// (the last may be shorter). `size` is truncated to an integer and must be positive.
pub fn array_partition(array: &Value, size: &Value) -> Result<Value, Error> {
    let f = Intrinsic::ArrayPartition;
    let items = array_arg(f, array, "first argument")?;
    let size = truncated_arg(f, size, "chunk size")?;
    if size <= 0 {
        return Err(invalid(
            f,
            format!("the chunk size must be greater than 0 but was {size}"),
        ));
    }
    let size = usize::try_from(size).unwrap_or(usize::MAX);
    Ok(Value::Array(
        items
            .chunks(size)
            .map(|c| Value::Array(c.to_vec()))
            .collect(),
    ))
}

/// `States.ArrayContains(array, value)`: is `value` an item of `array`?
///
/// Compared as AWS was observed to compare: by text, a string as its characters
/// and anything else as its compact JSON. So `true` is found in `["true"]` and
/// `9007199254740991` in `["9007199254740991"]`, but `false` is not found in `[0]`
/// and `{"b":2,"a":1}` is not found in `[{"a":1,"b":2}]` (member order counts).
pub fn array_contains(array: &Value, value: &Value) -> Result<Value, Error> {
    let items = array_arg(Intrinsic::ArrayContains, array, "first argument")?;
    let wanted = comparison_text(value);
    Ok(Value::Bool(
        items.iter().any(|item| comparison_text(item) == wanted),
    ))
}

/// A string's characters, or any other value's compact JSON text.
fn comparison_text(v: &Value) -> std::borrow::Cow<'_, str> {
    match v {
        Value::String(s) => std::borrow::Cow::Borrowed(s),
        other => std::borrow::Cow::Owned(other.to_string()),
    }
}

/// `States.ArrayRange(start, end, step)`: `start, start+step, ...` up to and
/// including `end`. Arguments are truncated to integers; `step` must not be 0; at
/// most [`ARRAY_RANGE_MAX_ITEMS`] items.
pub fn array_range(start: &Value, end: &Value, step: &Value) -> Result<Value, Error> {
    let f = Intrinsic::ArrayRange;
    let start = truncated_arg(f, start, "start")?;
    let end = truncated_arg(f, end, "end")?;
    let step = truncated_arg(f, step, "step")?;
    if step == 0 {
        return Err(invalid(f, "the step must not be 0"));
    }
    let count = if (step > 0 && end < start) || (step < 0 && end > start) {
        0
    } else {
        (end as i128 - start as i128) / step as i128 + 1
    };
    if count > ARRAY_RANGE_MAX_ITEMS as i128 {
        return Err(invalid(
            f,
            format!(
                "the range would have {count} items, more than the maximum of {ARRAY_RANGE_MAX_ITEMS}"
            ),
        ));
    }
    Ok(Value::Array(
        (0..count as i64)
            .map(|i| Value::from(start + i * step))
            .collect(),
    ))
}

/// `States.ArrayGetItem(array, index)`: the item at a zero-based `index`
/// (a fraction is truncated: `1.2` reads item 1). An index out of bounds fails,
/// except that AWS answers `null` for any index into an empty array.
pub fn array_get_item(array: &Value, index: &Value) -> Result<Value, Error> {
    let f = Intrinsic::ArrayGetItem;
    let items = array_arg(f, array, "first argument")?;
    let index = truncated_arg(f, index, "index")?;
    if items.is_empty() && index >= 0 {
        return Ok(Value::Null);
    }
    usize::try_from(index)
        .ok()
        .and_then(|i| items.get(i))
        .cloned()
        .ok_or_else(|| {
            invalid(
                f,
                format!(
                    "the index {index} is out of bounds for an array of {} items",
                    items.len()
                ),
            )
        })
}

/// `States.ArrayLength(array)`: the number of items.
pub fn array_length(array: &Value) -> Result<Value, Error> {
    Ok(Value::from(
        array_arg(Intrinsic::ArrayLength, array, "argument")?.len(),
    ))
}

/// `States.ArrayUnique(array)`: the items without duplicates, first occurrence
/// kept, order preserved.
pub fn array_unique(array: &Value) -> Result<Value, Error> {
    let items = array_arg(Intrinsic::ArrayUnique, array, "argument")?;
    let mut unique: Vec<Value> = Vec::with_capacity(items.len());
    for item in items {
        if !unique.iter().any(|u| json_equal(u, item)) {
            unique.push(item.clone());
        }
    }
    Ok(Value::Array(unique))
}

/// JSON equality with numbers compared by value (`1` equals `1.0`).
pub fn json_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => numbers_equal(x, y),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| json_equal(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_equal(v, w)))
        }
        _ => a == b,
    }
}

fn numbers_equal(x: &Number, y: &Number) -> bool {
    match (x.as_i64(), y.as_i64()) {
        (Some(a), Some(b)) => a == b,
        _ => match (x.as_u64(), y.as_u64()) {
            (Some(a), Some(b)) => a == b,
            _ => x.as_f64() == y.as_f64(),
        },
    }
}

// ---------------------------------------------------------------- encoding, hashing

fn limited_string(f: Intrinsic, v: &Value) -> Result<&str, Error> {
    let s = string_arg(f, v, "input")?;
    let chars = s.chars().count();
    if chars > MAX_STRING_INPUT_CHARS {
        return Err(invalid(
            f,
            format!(
                "the input has {chars} characters, more than the maximum of {MAX_STRING_INPUT_CHARS}"
            ),
        ));
    }
    Ok(s)
}

/// `States.Base64Encode(s)`: standard Base64 (with padding) of the UTF-8 bytes of
/// `s`, which may have at most 10,000 characters.
pub fn base64_encode(s: &Value) -> Result<Value, Error> {
    let s = limited_string(Intrinsic::Base64Encode, s)?;
    Ok(Value::String(
        base64::engine::general_purpose::STANDARD.encode(s.as_bytes()),
    ))
}

/// `States.Base64Decode(s)`: the text whose Base64 is `s` (at most 10,000
/// characters), decoded as leniently as AWS was observed to decode (the rules of
/// Java's MIME decoder): characters outside the Base64 alphabet are skipped,
/// decoding stops at the first `=`, a final group of 2 or 3 characters needs no
/// padding (`"abc"` decodes); only a final lone character fails. Bytes that are not
/// UTF-8 become U+FFFD.
pub fn base64_decode(s: &Value) -> Result<Value, Error> {
    let f = Intrinsic::Base64Decode;
    let s = limited_string(f, s)?;
    let mut bytes = Vec::with_capacity(s.len() / 4 * 3 + 2);
    let (mut bits, mut count) = (0u32, 0u8);
    for c in s.bytes() {
        let sextet = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => break,
            _ => continue,
        };
        bits = (bits << 6) | u32::from(sextet);
        count += 1;
        if count == 4 {
            bytes.extend_from_slice(&bits.to_be_bytes()[1..]);
            (bits, count) = (0, 0);
        }
    }
    match count {
        0 => {}
        2 => bytes.push((bits >> 4) as u8),
        3 => bytes.extend_from_slice(&((bits >> 2) as u16).to_be_bytes()),
        _ => return Err(invalid(f, "the last Base64 unit has a single character")),
    }
    Ok(Value::String(String::from_utf8_lossy(&bytes).into_owned()))
}

/// `States.Hash(data, algorithm)`: lowercase hex digest of the UTF-8 bytes of
/// `data` (at most 10,000 characters) with `MD5`, `SHA-1`, `SHA-256`, `SHA-384` or
/// `SHA-512` (exact spelling). Like AWS, `data` that is not a string is hashed as
/// its JSON text (`123` → `"123"`).
pub fn hash(data: &Value, algorithm: &Value) -> Result<Value, Error> {
    let f = Intrinsic::Hash;
    let text: std::borrow::Cow<'_, str> = match data {
        Value::String(s) => std::borrow::Cow::Borrowed(s),
        other => std::borrow::Cow::Owned(other.to_string()),
    };
    if text.chars().count() > MAX_STRING_INPUT_CHARS {
        return Err(invalid(
            f,
            format!("the input has more than {MAX_STRING_INPUT_CHARS} characters"),
        ));
    }
    let algorithm = string_arg(f, algorithm, "algorithm")?;
    match hex_digest(&text, algorithm) {
        Some(hex) => Ok(Value::String(hex)),
        None => Err(invalid(
            f,
            format!(
                "the hash algorithm {algorithm} is not supported; use one of MD5, SHA-1, SHA-256, SHA-384, SHA-512"
            ),
        )),
    }
}

/// The lowercase hex digest of the UTF-8 bytes of `data` by one of Step
/// Functions' hash algorithms (`States.Hash`, JSONata's `$hash`): `MD5`,
/// `SHA-1`, `SHA-256`, `SHA-384`, `SHA-512`; `None` for another name.
pub(crate) fn hex_digest(data: &str, algorithm: &str) -> Option<String> {
    use sha2::Digest as _;
    let data = data.as_bytes();
    let digest: Vec<u8> = match algorithm {
        "MD5" => md5::Md5::digest(data).to_vec(),
        "SHA-1" => sha1::Sha1::digest(data).to_vec(),
        "SHA-256" => sha2::Sha256::digest(data).to_vec(),
        "SHA-384" => sha2::Sha384::digest(data).to_vec(),
        "SHA-512" => sha2::Sha512::digest(data).to_vec(),
        _ => return None,
    };
    let mut hex = String::with_capacity(digest.len() * 2);
    for byte in digest {
        use std::fmt::Write as _;
        let _ = write!(hex, "{byte:02x}");
    }
    Some(hex)
}

// ---------------------------------------------------------------- math, strings, ids

/// `States.MathRandom(start, end[, seed])`: a random integer in `[start, end)`.
/// Bounds and seed are truncated to integers; `start` must be below `end`. With a
/// `seed` the result is the same for the same arguments.
pub fn math_random(start: &Value, end: &Value, seed: Option<&Value>) -> Result<Value, Error> {
    let f = Intrinsic::MathRandom;
    let start = truncated_arg(f, start, "start")?;
    let end = truncated_arg(f, end, "end")?;
    if start >= end {
        return Err(invalid(
            f,
            format!("the start {start} must be less than the end {end}"),
        ));
    }
    let value = match seed {
        Some(seed) => {
            let seed = match seed.as_i64() {
                Some(i) => i,
                None => number_arg(f, seed, "seed")?.trunc() as i64,
            };
            rand::rngs::StdRng::seed_from_u64(seed as u64).random_range(start..end)
        }
        None => rand::rng().random_range(start..end),
    };
    Ok(Value::from(value))
}

/// `States.MathAdd(a, b)`: `a + b` after rounding each to the nearest integer, ties
/// toward positive infinity (AWS: `1.5` → 2, `-1.5` → -1, `-0.5` → 0). Operands and
/// result must lie in the 32-bit signed range.
pub fn math_add(a: &Value, b: &Value) -> Result<Value, Error> {
    let f = Intrinsic::MathAdd;
    let sum = rounded_arg(f, a, "first operand")? + rounded_arg(f, b, "second operand")?;
    if sum < i32::MIN as i64 || sum > i32::MAX as i64 {
        return Err(invalid(
            f,
            format!("the sum {sum} is outside the range -2147483648 to 2147483647"),
        ));
    }
    Ok(Value::from(sum))
}

/// `States.StringSplit(s, delimiters)`: `s` split at every character that occurs in
/// `delimiters`, empty pieces dropped (`"a,,b"`, `","` → `["a", "b"]`).
pub fn string_split(s: &Value, delimiters: &Value) -> Result<Value, Error> {
    let f = Intrinsic::StringSplit;
    let s = string_arg(f, s, "input")?;
    let delimiters = string_arg(f, delimiters, "delimiter")?;
    if delimiters.is_empty() {
        return Ok(Value::Array(if s.is_empty() {
            vec![]
        } else {
            vec![Value::String(s.to_owned())]
        }));
    }
    Ok(Value::Array(
        s.split(|c| delimiters.contains(c))
            .filter(|p| !p.is_empty())
            .map(|p| Value::String(p.to_owned()))
            .collect(),
    ))
}

/// `States.UUID()`: a random version 4 UUID, lowercase hyphenated.
pub fn uuid() -> Value {
    Value::String(uuid::Uuid::new_v4().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Asserts AWS's error for bad arguments of `function`.
    #[track_caller]
    fn rejected(r: Result<Value, Error>, function: Intrinsic) {
        let e = r.unwrap_err();
        assert_eq!(e.name(), "States.Runtime");
        assert_eq!(
            e.cause(),
            Some(format!("Invalid arguments in {}", function.name()).as_str())
        );
    }

    #[test]
    fn format_prints_like_aws() {
        assert_eq!(
            format(&["Formatting argument ", "."], &[json!(null)]).unwrap(),
            "Formatting argument null."
        );
        assert_eq!(format(&["", ""], &[json!(1.1)]).unwrap(), "1.1");
        assert_eq!(
            format(&["x=", ""], &[json!({"Arg1": 1, "Arg2": []})]).unwrap(),
            "x={Arg1=1, Arg2=[]}"
        );
        assert_eq!(
            format(&["", ""], &[json!(["a", 2, true])]).unwrap(),
            "[a, 2, true]"
        );
        rejected(
            format(&["a ", " b"], &[]).map(Value::String),
            Intrinsic::Format,
        );
    }

    #[test]
    fn format_template_handles_escapes() {
        assert_eq!(
            split_format_template(r"a {} b \{c\} \' \\ \{").unwrap(),
            vec!["a ", r" b {c} ' \ {"]
        );
        assert_eq!(split_format_template("").unwrap(), vec![""]);
        assert_eq!(split_format_template("{}{}").unwrap(), vec!["", "", ""]);
        for bad in ["Hello {", "Hello {{}}", "}", "a } b {}"] {
            rejected(
                split_format_template(bad).map(|_| Value::Null),
                Intrinsic::Format,
            );
        }
        assert_eq!(
            format_template("It's {}!", &[json!("Pikachu")]).unwrap(),
            "It's Pikachu!"
        );
        rejected(
            format_template("{} {}", &[json!(1)]).map(Value::String),
            Intrinsic::Format,
        );
        assert_eq!(
            call(Intrinsic::Format, &[json!("{}-{}"), json!(1), json!("b")]).unwrap(),
            json!("1-b")
        );
        rejected(call(Intrinsic::Format, &[json!(1)]), Intrinsic::Format);
    }

    #[test]
    fn json_functions() {
        assert_eq!(
            string_to_json(&json!("{\"Arg1\": 1, \"Arg2\": []}")).unwrap(),
            json!({"Arg1": 1, "Arg2": []})
        );
        assert_eq!(string_to_json(&json!("-0")).unwrap().to_string(), "0");
        assert_eq!(string_to_json(&json!("null")).unwrap(), Value::Null);
        rejected(string_to_json(&json!("{")), Intrinsic::StringToJson);
        rejected(
            string_to_json(&json!("{bad json}")),
            Intrinsic::StringToJson,
        );
        rejected(string_to_json(&json!("undefined")), Intrinsic::StringToJson);
        assert_eq!(string_to_json(&json!("")).unwrap(), Value::Null);
        assert_eq!(
            string_to_json(&json!(" {\"a\":1} ")).unwrap(),
            json!({"a": 1})
        );
        rejected(string_to_json(&json!(1)), Intrinsic::StringToJson);
        assert_eq!(
            json_to_string(&json!({"Arg1": 1, "Arg2": []})),
            json!("{\"Arg1\":1,\"Arg2\":[]}")
        );
        assert_eq!(json_to_string(&json!(null)), json!("null"));
        let merged = json_merge(
            &json!({"a": 1, "b": {"x": 1}}),
            &json!({"b": {"y": 2}, "c": 3}),
            &json!(false),
        );
        assert_eq!(merged.unwrap(), json!({"a": 1, "b": {"y": 2}, "c": 3}));
        rejected(
            json_merge(&json!({}), &json!({}), &json!(true)),
            Intrinsic::JsonMerge,
        );
        rejected(
            json_merge(&json!([]), &json!({}), &json!(false)),
            Intrinsic::JsonMerge,
        );
        rejected(
            json_merge(&json!(null), &json!({}), &json!(false)),
            Intrinsic::JsonMerge,
        );
        rejected(
            json_merge(&json!({}), &json!("x"), &json!(false)),
            Intrinsic::JsonMerge,
        );
        // AWS merges shallowly whatever a non-`true` flag is.
        let merged = json_merge(&json!({"a": 1}), &json!({"b": 2}), &json!("false"));
        assert_eq!(merged.unwrap(), json!({"a": 1, "b": 2}));
    }

    #[test]
    fn array_partition_truncates_chunk_size() {
        let part = |a: Value, n: Value| array_partition(&a, &n);
        assert_eq!(
            part(json!([0, 1, 2, 3]), json!(3)).unwrap(),
            json!([[0, 1, 2], [3]])
        );
        assert_eq!(part(json!([]), json!(3)).unwrap(), json!([]));
        assert_eq!(
            part(json!([1, 2, 3]), json!(2147483647)).unwrap(),
            json!([[1, 2, 3]])
        );
        // AWS observed: 2.6 partitions by 2, 0.6 is rejected like 0.
        assert_eq!(
            part(json!([1, 2, 3, 4, 5]), json!(2.6)).unwrap(),
            json!([[1, 2], [3, 4], [5]])
        );
        for bad in [
            json!(0),
            json!(0.6),
            json!(-0.6),
            json!(-1),
            json!("2"),
            json!(null),
        ] {
            rejected(part(json!([1, 2, 3]), bad), Intrinsic::ArrayPartition);
        }
        rejected(part(json!("x"), json!(1)), Intrinsic::ArrayPartition);
    }

    #[test]
    fn array_range_truncates_and_caps_at_1000() {
        let range = |a: Value, b: Value, c: Value| array_range(&a, &b, &c);
        assert_eq!(
            range(json!(0), json!(10), json!(3)).unwrap(),
            json!([0, 3, 6, 9])
        );
        assert_eq!(range(json!(1), json!(9), json!(9)).unwrap(), json!([1]));
        assert_eq!(
            range(json!(5), json!(1), json!(-2)).unwrap(),
            json!([5, 3, 1])
        );
        assert_eq!(range(json!(5), json!(1), json!(2)).unwrap(), json!([]));
        assert_eq!(range(json!(3), json!(3), json!(-1)).unwrap(), json!([3]));
        // AWS observed: (1.6, 1.4, 1) is [1]; (5.4, -0.6, -2.4) stops at 1.
        assert_eq!(range(json!(1.6), json!(1.4), json!(1)).unwrap(), json!([1]));
        assert_eq!(
            range(json!(5.4), json!(-0.6), json!(-2.4)).unwrap(),
            json!([5, 3, 1])
        );
        assert_eq!(
            range(json!(1), json!(1000), json!(1))
                .unwrap()
                .as_array()
                .unwrap()
                .len(),
            1000
        );
        assert_eq!(
            range(json!(1000), json!(1), json!(-1))
                .unwrap()
                .as_array()
                .unwrap()
                .len(),
            1000
        );
        rejected(
            range(json!(1), json!(1001), json!(1)),
            Intrinsic::ArrayRange,
        );
        rejected(
            range(json!(1001), json!(1), json!(-1)),
            Intrinsic::ArrayRange,
        );
        rejected(range(json!(1), json!(10), json!(0)), Intrinsic::ArrayRange);
        rejected(
            range(json!(1), json!(10), json!(0.49)),
            Intrinsic::ArrayRange,
        );
        rejected(range(json!("a"), json!(5), json!(1)), Intrinsic::ArrayRange);
        rejected(
            range(json!(0), json!(1e10), json!(1)),
            Intrinsic::ArrayRange,
        );
    }

    #[test]
    fn other_array_functions() {
        assert_eq!(array(vec![json!(1), json!(null)]), json!([1, null]));
        assert_eq!(
            array_contains(&json!([true, false]), &json!(false)).unwrap(),
            json!(true)
        );
        assert_eq!(
            array_contains(&json!([[1, 2, 3], 2]), &json!(null)).unwrap(),
            json!(false)
        );
        rejected(
            array_contains(&json!({}), &json!(1)),
            Intrinsic::ArrayContains,
        );
        let contains = |a: Value, v: Value| array_contains(&a, &v).unwrap();
        assert_eq!(contains(json!([1, null, 3]), json!(null)), json!(true));
        assert_eq!(
            contains(json!([{"a": 1}, {"b": 2}]), json!({"a": 1})),
            json!(true)
        );
        assert_eq!(
            contains(json!([[1, 2], [3, 4]]), json!([1, 2])),
            json!(true)
        );
        assert_eq!(
            contains(json!([{"a": 1}]), json!({"a": 1, "extra": null})),
            json!(false)
        );
        assert_eq!(contains(json!([]), json!(1)), json!(false));
        // AWS observed: text comparison.
        assert_eq!(contains(json!(["true", "maybe"]), json!(true)), json!(true));
        assert_eq!(
            contains(json!(["9007199254740991"]), json!(9007199254740991i64)),
            json!(true)
        );
        assert_eq!(
            contains(json!([0, 1, -1, -1.5]), json!(false)),
            json!(false)
        );
        assert_eq!(
            contains(json!([{"a": 1, "b": 2}]), json!({"b": 2, "a": 1})),
            json!(false)
        );
        assert_eq!(
            array_get_item(&json!([1, 2, 3, 4, 5, 6]), &json!(5)).unwrap(),
            json!(6)
        );
        rejected(
            array_get_item(&json!([1]), &json!(1)),
            Intrinsic::ArrayGetItem,
        );
        rejected(
            array_get_item(&json!([1]), &json!(-1)),
            Intrinsic::ArrayGetItem,
        );
        // AWS observed: a fractional index is truncated, an empty array answers null.
        assert_eq!(
            array_get_item(&json!([10, 20, 30]), &json!(1.2)).unwrap(),
            json!(20)
        );
        assert_eq!(
            array_get_item(&json!([]), &json!(999)).unwrap(),
            Value::Null
        );
        rejected(
            array_get_item(&json!([10, 20, 30]), &json!(3)),
            Intrinsic::ArrayGetItem,
        );
        rejected(
            array_get_item(&json!("not-array"), &json!(0)),
            Intrinsic::ArrayGetItem,
        );
        rejected(
            array_get_item(&json!([1]), &json!("0")),
            Intrinsic::ArrayGetItem,
        );
        assert_eq!(array_length(&json!([1, 2])).unwrap(), json!(2));
        rejected(array_length(&json!({})), Intrinsic::ArrayLength);
        let unique = array_unique(&json!([1, 2, 1.0, "a", "a", {"k": 1}, {"k": 1}])).unwrap();
        assert_eq!(unique, json!([1, 2, "a", {"k": 1}]));
        rejected(array_unique(&json!("x")), Intrinsic::ArrayUnique);
    }

    #[test]
    fn encoding_and_hashing() {
        assert_eq!(
            base64_encode(&json!("Data to encode")).unwrap(),
            json!("RGF0YSB0byBlbmNvZGU=")
        );
        assert_eq!(
            base64_decode(&json!("SGVsbG8gV29ybGQ=")).unwrap(),
            json!("Hello World")
        );
        assert_eq!(base64_decode(&json!("")).unwrap(), json!(""));
        let decode = |t: &str| base64_decode(&json!(t)).unwrap();
        assert_eq!(decode("4pyT"), json!("✓"));
        assert_eq!(decode("YWJjAGRlZg=="), json!("abc\u{0}def"));
        // AWS observed: lenient decoding.
        assert_eq!(decode(" YWJjZA== "), json!("abcd"));
        assert_eq!(decode("!!!"), json!(""));
        assert_eq!(decode("ab==cd"), json!("i"));
        assert_eq!(decode("abc"), json!("i\u{FFFD}"));
        assert_eq!(decode("/w=="), json!("\u{FFFD}"));
        rejected(base64_decode(&json!("a")), Intrinsic::Base64Decode);
        rejected(base64_decode(&json!(null)), Intrinsic::Base64Decode);
        rejected(base64_encode(&json!(1)), Intrinsic::Base64Encode);
        let at_limit = json!("a".repeat(10_000));
        let long = json!("a".repeat(10_001));
        assert!(base64_encode(&at_limit).is_ok());
        rejected(base64_encode(&long), Intrinsic::Base64Encode);
        assert!(hash(&at_limit, &json!("SHA-256")).is_ok());
        rejected(hash(&long, &json!("MD5")), Intrinsic::Hash);
        let h = |d: Value, a: &str| hash(&d, &json!(a)).unwrap();
        assert_eq!(
            h(json!("input data"), "MD5"),
            json!("812f45842bc6d66ee14572ce20db8e86")
        );
        assert_eq!(
            h(json!("input data"), "SHA-1"),
            json!("aaff4a450a104cd177d28d18d74485e8cae074b7")
        );
        assert_eq!(
            h(json!("input data"), "SHA-384"),
            json!(
                "d28a7d5cf25a74f11a50a18452b75e04bb3d70c9dd0510d6123aa008c756511b87525bdc835ebb27e1fb9e9374a15562"
            )
        );
        assert_eq!(
            h(json!(""), "SHA-256"),
            json!("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        );
        assert_eq!(h(json!("a"), "SHA-512").as_str().unwrap().len(), 128);
        // AWS hashes non-string data as its JSON text.
        assert_eq!(h(json!(123), "MD5"), h(json!("123"), "MD5"));
        assert_eq!(h(json!({}), "MD5"), h(json!("{}"), "MD5"));
        for bad in ["SHA-3", "sha-256", "SHA256", "", "MD-5"] {
            rejected(hash(&json!("a"), &json!(bad)), Intrinsic::Hash);
        }
        rejected(hash(&json!("a"), &json!(5)), Intrinsic::Hash);
    }

    #[test]
    fn math_add_rounds_and_stays_in_32_bits() {
        let add = |a: Value, b: Value| math_add(&a, &b);
        assert_eq!(add(json!(-0.5), json!(0.5)).unwrap(), json!(1));
        assert_eq!(add(json!(-1.5), json!(0)).unwrap(), json!(-1));
        assert_eq!(add(json!(-2.5), json!(0)).unwrap(), json!(-2));
        assert_eq!(add(json!(-1.49), json!(-1.5)).unwrap(), json!(-2));
        assert_eq!(add(json!(1.5), json!(1.51)).unwrap(), json!(4));
        assert_eq!(add(json!(-9), json!(3)).unwrap(), json!(-6));
        assert_eq!(add(json!(2147483646), json!(1)).unwrap(), json!(2147483647));
        assert_eq!(
            add(json!(-2147483647), json!(-1)).unwrap(),
            json!(-2147483648i64)
        );
        rejected(add(json!(2147483647), json!(1)), Intrinsic::MathAdd);
        rejected(add(json!(-2147483648i64), json!(-1)), Intrinsic::MathAdd);
        rejected(add(json!(3000000000i64), json!(1)), Intrinsic::MathAdd);
        for bad in [json!("1"), json!(null), json!(true), json!([1])] {
            rejected(add(bad, json!(1)), Intrinsic::MathAdd);
        }
    }

    #[test]
    fn math_random_truncates_bounds() {
        for _ in 0..50 {
            let r = math_random(&json!(12.5), &json!(44.51), None)
                .unwrap()
                .as_i64()
                .unwrap();
            assert!((12..44).contains(&r), "{r}");
            let r = math_random(&json!(1.6), &json!(5.4), None)
                .unwrap()
                .as_i64()
                .unwrap();
            assert!((1..5).contains(&r), "{r}");
        }
        let seeded = |s: Value| math_random(&json!(0), &json!(1_000_000), Some(&s)).unwrap();
        assert_eq!(seeded(json!(7)), seeded(json!(7)));
        assert_eq!(seeded(json!(-10)), seeded(json!(-10)));
        assert_eq!(seeded(json!(2.6)), seeded(json!(2)));
        // AWS observed: (1.4, 1.6) is the empty range [1, 1).
        rejected(
            math_random(&json!(1.4), &json!(1.6), None),
            Intrinsic::MathRandom,
        );
        rejected(
            math_random(&json!(5), &json!(5), None),
            Intrinsic::MathRandom,
        );
        rejected(
            math_random(&json!(10), &json!(5), None),
            Intrinsic::MathRandom,
        );
        rejected(
            math_random(&json!("1"), &json!(5), None),
            Intrinsic::MathRandom,
        );
        rejected(
            math_random(&json!(1), &json!(null), None),
            Intrinsic::MathRandom,
        );
        rejected(
            math_random(&json!(1), &json!(5), Some(&json!("s"))),
            Intrinsic::MathRandom,
        );
        rejected(
            math_random(&json!(1), &json!(5), Some(&json!(null))),
            Intrinsic::MathRandom,
        );
    }

    #[test]
    fn strings_and_ids() {
        let split = |s: &str, d: &str| string_split(&json!(s), &json!(d)).unwrap();
        assert_eq!(
            split("This.is+a,test=string", ".+,="),
            json!(["This", "is", "a", "test", "string"])
        );
        assert_eq!(split(" , ", ","), json!([" ", " "]));
        assert_eq!(
            split("split on T and \nnew line", "T\n"),
            json!(["split on ", " and ", "new line"])
        );
        assert_eq!(split("", ""), json!([]));
        assert_eq!(split("ab", ""), json!(["ab"]));
        rejected(string_split(&json!(1), &json!(",")), Intrinsic::StringSplit);
        rejected(string_split(&json!("a"), &json!(1)), Intrinsic::StringSplit);
        let id = uuid();
        assert_eq!(
            uuid::Uuid::parse_str(id.as_str().unwrap())
                .unwrap()
                .get_version_num(),
            4
        );
    }

    #[test]
    fn dispatcher_checks_arity_and_names() {
        assert_eq!(Intrinsic::from_name("States.UUID"), Some(Intrinsic::Uuid));
        assert_eq!(Intrinsic::from_name("States.Nope"), None);
        rejected(call(Intrinsic::MathAdd, &[json!(1)]), Intrinsic::MathAdd);
        rejected(
            call(Intrinsic::MathRandom, &[json!(1)]),
            Intrinsic::MathRandom,
        );
        rejected(
            call(Intrinsic::JsonMerge, &[json!({}), json!({})]),
            Intrinsic::JsonMerge,
        );
        rejected(call(Intrinsic::Uuid, &[json!(1)]), Intrinsic::Uuid);
        assert_eq!(
            call(Intrinsic::ArrayLength, &[json!([1])]).unwrap(),
            json!(1)
        );
        assert_eq!(call(Intrinsic::Array, &[]).unwrap(), json!([]));
        for f in Intrinsic::ALL {
            assert_eq!(Intrinsic::from_name(f.name()), Some(f));
        }
    }
}
