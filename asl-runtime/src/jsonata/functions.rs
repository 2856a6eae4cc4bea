//! Step Functions' own functions (`$partition`, `$range`, `$hash`, `$random`
//! with a seed, `$uuid`, `$parse`), registered with the full evaluator, and
//! `$eval` taken away, as on AWS.

use jsonata_core::evaluator::{Evaluator, EvaluatorError, HostFnResult};
use jsonata_core::value::JValue;

/// The most elements `$range` builds (AWS refuses one more).
pub(super) const MAX_RANGE: f64 = 360_145.0;

/// Registers the functions the expression names (`mentioned`: its `$names`); a
/// function passed around by name is named too, so none is missed.
pub(super) fn register_functions(evaluator: &mut Evaluator, mentioned: &[String]) {
    type Host = fn(&[JValue]) -> HostFnResult;
    const OWN: &[(&str, Host)] = &[
        ("partition", partition),
        ("range", range),
        ("hash", hash),
        ("uuid", uuid),
        ("parse", parse),
    ];
    // Built-ins replaced: `$random` takes a seed on AWS; `$eval` does not exist;
    // the evaluator's `$encodeUrl` leaves spaces and non-ASCII text unescaped,
    // where JavaScript's `encodeURI` escapes them; its `$base64decode` fails on
    // bytes that are not UTF-8, where jsonata-js reads them as Latin-1.
    const OVERRIDDEN: &[(&str, Host)] = &[
        ("random", random),
        ("eval", no_eval),
        ("encodeUrl", encode_url),
        ("base64decode", base64decode),
    ];
    for name in mentioned {
        if let Some((name, function)) = OWN.iter().find(|(n, _)| n == name) {
            // None of these names is a JSONata built-in: registering cannot fail.
            let _ = evaluator.register_fn(*name, *function);
        } else if let Some((name, function)) = OVERRIDDEN.iter().find(|(n, _)| n == name) {
            let _ = evaluator.register_fn_override(*name, *function);
        }
    }
}

/// An error with a JSONata code (the evaluator reads the code off the message).
fn coded(code: &str, message: impl std::fmt::Display) -> EvaluatorError {
    EvaluatorError::EvaluationError(format!("{code}: {message}"))
}

fn bad_argument(index: usize, function: &str) -> EvaluatorError {
    coded(
        "T0410",
        format!("Argument {index} of function \"{function}\" does not match function signature"),
    )
}

/// Argument `index` (0-based), `None` when missing or undefined.
fn arg(args: &[JValue], index: usize) -> Option<&JValue> {
    args.get(index).filter(|v| !v.is_undefined())
}

/// Argument `index` as an integer, truncated towards zero as AWS does.
fn integer_arg(
    args: &[JValue],
    index: usize,
    function: &str,
) -> Result<Option<f64>, EvaluatorError> {
    match arg(args, index) {
        None => Ok(None),
        Some(JValue::Number(n)) if n.is_finite() => Ok(Some(n.trunc())),
        Some(_) => Err(bad_argument(index + 1, function)),
    }
}

/// Argument `index` as a string.
fn string_arg<'a>(
    args: &'a [JValue],
    index: usize,
    function: &str,
) -> Result<Option<&'a str>, EvaluatorError> {
    match arg(args, index) {
        None => Ok(None),
        Some(v) => v
            .as_str()
            .map(Some)
            .ok_or_else(|| bad_argument(index + 1, function)),
    }
}

/// `$partition(array, size)`: chunks of `size`, the last one shorter.
fn partition(args: &[JValue]) -> HostFnResult {
    let Some(array) = arg(args, 0) else {
        return Ok(JValue::Undefined);
    };
    let Some(size) = integer_arg(args, 1, "partition")? else {
        return Ok(JValue::Undefined);
    };
    let items: Vec<JValue> = match array.as_array() {
        Some(items) => items.to_vec(),
        None => vec![array.clone()],
    };
    if size < 1.0 || items.is_empty() {
        return Ok(JValue::Undefined);
    }
    let size = size.min(items.len() as f64) as usize;
    Ok(JValue::array(
        items
            .chunks(size)
            .map(|c| JValue::array(c.to_vec()))
            .collect(),
    ))
}

/// `$range(start, end, step)`: `start`, `start + step`, ... up to `end`
/// inclusive; a single value is returned bare, as on AWS.
fn range(args: &[JValue]) -> HostFnResult {
    let (Some(start), Some(end), Some(step)) = (
        integer_arg(args, 0, "range")?,
        integer_arg(args, 1, "range")?,
        integer_arg(args, 2, "range")?,
    ) else {
        return Ok(JValue::Undefined);
    };
    if step == 0.0 || (end - start) * step < 0.0 {
        return Ok(JValue::Undefined);
    }
    let count = ((end - start) / step).floor() + 1.0;
    if count > MAX_RANGE {
        return Err(coded(
            "D2014",
            format!(
                "The size of the sequence allocated by the range operator (..) must not exceed 1e7.  Attempted to allocate {count}."
            ),
        ));
    }
    if count == 1.0 {
        return Ok(JValue::Number(start));
    }
    Ok(JValue::array(
        (0..count as usize)
            .map(|i| JValue::Number(start + step * i as f64))
            .collect(),
    ))
}

/// `$hash(data, algorithm)`: the lowercase hex digest.
fn hash(args: &[JValue]) -> HostFnResult {
    let (Some(data), Some(algorithm)) =
        (string_arg(args, 0, "hash")?, string_arg(args, 1, "hash")?)
    else {
        return Ok(JValue::Undefined);
    };
    match digest(data, algorithm) {
        Some(hex) => Ok(JValue::string(hex)),
        None => Err(bad_argument(2, "hash")),
    }
}

/// `$random([seed])`: a number in `[0, 1)`; the same for the same seed.
fn random(args: &[JValue]) -> HostFnResult {
    use rand::{Rng, SeedableRng};
    let value: f64 = match integer_arg(args, 0, "random")? {
        Some(seed) => rand::rngs::StdRng::seed_from_u64(seed as i64 as u64).random(),
        None => rand::rng().random(),
    };
    Ok(JValue::Number(value))
}

/// `$uuid()`: a version 4 UUID.
fn uuid(_: &[JValue]) -> HostFnResult {
    Ok(JValue::string(uuid::Uuid::new_v4().to_string()))
}

/// `$parse(text)`: the JSON value `text` holds.
fn parse(args: &[JValue]) -> HostFnResult {
    let Some(text) = string_arg(args, 0, "parse")? else {
        return Ok(JValue::Undefined);
    };
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| {
        coded(
            "D3137",
            format!("The argument of $parse is not valid JSON: {e}"),
        )
    })?;
    super::convert::to_core(&value, crate::limits::MAX_DATA_DEPTH).map_err(
        |failure| match failure {
            super::Failure::Threw { code, message } => coded(&code, message),
            super::Failure::UnsupportedResult => coded("U1002", "unsupported value"),
        },
    )
}

/// `$encodeUrl(text)`, as JavaScript's `encodeURI`: every byte of the UTF-8
/// text escaped but letters, digits and `-_.!~*'();/?:@&=+$,#`.
fn encode_url(args: &[JValue]) -> HostFnResult {
    const KEEP: &[u8] = b"-_.!~*'();/?:@&=+$,#";
    let Some(text) = string_arg(args, 0, "encodeUrl")? else {
        return Ok(JValue::Undefined);
    };
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || KEEP.contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    Ok(JValue::string(out))
}

/// `$base64decode(text)`: the bytes base64 text holds (`=` ends it, characters
/// outside the alphabet are skipped, both alphabets read), as UTF-8 text, or
/// as Latin-1 when they are not UTF-8, as jsonata-js reads them.
fn base64decode(args: &[JValue]) -> HostFnResult {
    let Some(text) = string_arg(args, 0, "base64decode")? else {
        return Ok(JValue::Undefined);
    };
    let mut bytes = Vec::with_capacity(text.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in text.chars() {
        let sextet = match c {
            '=' => break,
            'A'..='Z' => c as u32 - 'A' as u32,
            'a'..='z' => c as u32 - 'a' as u32 + 26,
            '0'..='9' => c as u32 - '0' as u32 + 52,
            '+' | '-' => 62,
            '/' | '_' => 63,
            _ => continue,
        };
        acc = (acc << 6 | sextet) & 0xff_ffff;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            bytes.push((acc >> bits) as u8);
        }
    }
    Ok(JValue::string(match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => e.into_bytes().into_iter().map(char::from).collect(),
    }))
}

/// `$eval` does not exist in Step Functions: calling it is calling a
/// non-function.
fn no_eval(_: &[JValue]) -> HostFnResult {
    Err(coded("T1006", "Attempted to invoke a non-function"))
}

/// The lowercase hex digest of `data` by one of Step Functions' `$hash`
/// algorithms (as `States.Hash` computes it); `None` for another name.
pub(super) fn digest(data: &str, algorithm: &str) -> Option<String> {
    crate::intrinsics::hex_digest(data, algorithm)
}
