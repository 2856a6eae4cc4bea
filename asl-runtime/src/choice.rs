//! Choice rule operators, evaluated as AWS evaluates them.
//!
//! build-support compiles each rule to a Rust condition over these functions, e.g.
//! `NumericLessThanPath` becomes
//! `choice::numeric(variable(&V, input)?, Cmp::Lt, choice::operand(&P, input)?)`.
//! In: the `Variable`'s value, found by [`variable`] (a missing variable is
//! `States.Runtime`), and the operand: a literal (`f64`, `&str`, `bool`, a
//! [`Timestamp`] parsed at build time) or, for the `...Path` forms, the value at the
//! operand path. Out: `bool`.
//!
//! Type mismatches are not errors: a comparison whose variable (or path operand)
//! has the wrong type is false (`NumericEquals: 0` on `"0"`, `null` or `[]`), so a
//! `Not` around it is true. The `Is*` tests return whether the type matches; a rule
//! `"IsNull": false` compiles to `!is_null(v)`.

use std::cmp::Ordering;

use serde_json::Value;
use time::OffsetDateTime;

use crate::error::Error;
use crate::path::ReferencePath;

/// The comparison of a `...Equals`/`...LessThan`/... operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cmp {
    /// `...Equals`
    Eq,
    /// `...LessThan`
    Lt,
    /// `...LessThanEquals`
    Le,
    /// `...GreaterThan`
    Gt,
    /// `...GreaterThanEquals`
    Ge,
}

impl Cmp {
    /// Does `ordering` (variable compared to operand) satisfy this comparison?
    pub fn holds(self, ordering: Ordering) -> bool {
        match self {
            Cmp::Eq => ordering == Ordering::Equal,
            Cmp::Lt => ordering == Ordering::Less,
            Cmp::Le => ordering != Ordering::Greater,
            Cmp::Gt => ordering == Ordering::Greater,
            Cmp::Ge => ordering != Ordering::Less,
        }
    }
}

/// The value of a rule's `Variable` in `root` (the input for `$`, the context
/// object for `$$`). A missing value is `States.Runtime` with AWS's cause
/// `Invalid path '$.x': The choice state's condition path references an invalid value.`
/// (only `IsPresent` tolerates a missing variable: use `path.get(root).is_some()`).
pub fn variable<'v>(path: &ReferencePath, root: &'v Value) -> Result<&'v Value, Error> {
    path.get(root).ok_or_else(|| {
        Error::runtime(format!(
            "Invalid path '{}': The choice state's condition path references an invalid value.",
            path.text
        ))
    })
}

/// The value at a `...Path` operand. Missing is `States.Runtime`, as for [`variable`].
pub fn operand<'v>(path: &ReferencePath, root: &'v Value) -> Result<&'v Value, Error> {
    variable(path, root)
}

/// No rule matched and the Choice state has no `Default`. The language names this
/// `States.NoChoiceMatched`, but AWS reports (verified on AWS by public emulator
/// test suites) `States.Runtime` with the cause `Failed to transition out of the
/// state. The state does not point to a next state.`, which the engine prefixes
/// with the state ([`Error::in_state`]).
pub fn no_choice_matched() -> Error {
    Error::runtime(NO_NEXT_STATE_CAUSE)
}

/// AWS's cause when a Choice state finds no next state.
pub const NO_NEXT_STATE_CAUSE: &str =
    "Failed to transition out of the state. The state does not point to a next state.";

// ---------------------------------------------------------------- numbers

/// `NumericEquals`/`NumericLessThan`/... with a literal operand: false unless `v` is
/// a number. Integers compare exactly, otherwise as IEEE doubles (`1` equals `1.0`).
pub fn numeric_lit(v: &Value, cmp: Cmp, operand: f64) -> bool {
    match v {
        Value::Number(n) => n
            .as_f64()
            .and_then(|x| x.partial_cmp(&operand))
            .is_some_and(|o| cmp.holds(o)),
        _ => false,
    }
}

/// `NumericEquals`/... with a JSON operand (the `...Path` forms): false unless both
/// are numbers.
pub fn numeric(v: &Value, cmp: Cmp, operand: &Value) -> bool {
    match (v, operand) {
        (Value::Number(a), Value::Number(b)) => {
            let ordering = match (a.as_i64(), b.as_i64()) {
                (Some(x), Some(y)) => Some(x.cmp(&y)),
                _ => a
                    .as_f64()
                    .zip(b.as_f64())
                    .and_then(|(x, y)| x.partial_cmp(&y)),
            };
            ordering.is_some_and(|o| cmp.holds(o))
        }
        _ => false,
    }
}

// ---------------------------------------------------------------- strings

/// Orders strings as AWS (Java) does: by UTF-16 code units.
pub fn compare_strings(a: &str, b: &str) -> Ordering {
    if a.is_ascii() && b.is_ascii() {
        return a.cmp(b);
    }
    a.encode_utf16().cmp(b.encode_utf16())
}

/// `StringEquals`/`StringLessThan`/... with a literal operand: false unless `v` is
/// a string. Exact comparison (whitespace and case count).
pub fn string_lit(v: &Value, cmp: Cmp, operand: &str) -> bool {
    match v {
        Value::String(s) => cmp.holds(compare_strings(s, operand)),
        _ => false,
    }
}

/// The `String...Path` forms: false unless both are strings.
pub fn string(v: &Value, cmp: Cmp, operand: &Value) -> bool {
    match operand {
        Value::String(o) => string_lit(v, cmp, o),
        _ => false,
    }
}

/// `StringMatches`: `*` matches any run of characters (also none); `\*` is a
/// literal `*` and `\\` a literal backslash. False unless `v` is a string. The
/// pattern is walked in place: nothing is compiled or allocated.
pub fn string_matches(v: &Value, pattern: &str) -> bool {
    match v {
        Value::String(s) => glob_match(s, pattern),
        _ => false,
    }
}

#[derive(PartialEq)]
enum Token {
    Star,
    Char(char),
}

/// The pattern token at byte `i` and the index after it.
fn token_at(pattern: &str, i: usize) -> Option<(Token, usize)> {
    let mut chars = pattern[i..].chars();
    let c = chars.next()?;
    match c {
        '*' => Some((Token::Star, i + 1)),
        '\\' => match chars.next() {
            Some(escaped @ ('*' | '\\')) => Some((Token::Char(escaped), i + 2)),
            _ => Some((Token::Char('\\'), i + 1)),
        },
        other => Some((Token::Char(other), i + other.len_utf8())),
    }
}

/// Greedy wildcard matching with one backtrack point (linear for one `*`,
/// O(n·m) worst case).
fn glob_match(text: &str, pattern: &str) -> bool {
    let (mut t, mut p) = (0usize, 0usize);
    let mut backtrack: Option<(usize, usize)> = None; // (pattern after `*`, text position)
    loop {
        let text_char = text[t..].chars().next();
        match (token_at(pattern, p), text_char) {
            (Some((Token::Star, next_p)), _) => {
                backtrack = Some((next_p, t));
                p = next_p;
                continue;
            }
            (Some((Token::Char(pc), next_p)), Some(tc)) if pc == tc => {
                p = next_p;
                t += tc.len_utf8();
                continue;
            }
            (None, None) => return true,
            _ => {}
        }
        // Mismatch: let the last `*` swallow one more character.
        match backtrack {
            Some((star_p, star_t)) => match text[star_t..].chars().next() {
                Some(c) => {
                    let resumed = star_t + c.len_utf8();
                    backtrack = Some((star_p, resumed));
                    p = star_p;
                    t = resumed;
                }
                None => return false,
            },
            None => return false,
        }
    }
}

// ---------------------------------------------------------------- booleans

/// `BooleanEquals` with a literal: false unless `v` is a boolean.
pub fn boolean_lit(v: &Value, operand: bool) -> bool {
    v.as_bool() == Some(operand)
}

/// `BooleanEqualsPath`: false unless both are booleans.
pub fn boolean(v: &Value, operand: &Value) -> bool {
    operand.as_bool().is_some_and(|o| boolean_lit(v, o))
}

// ---------------------------------------------------------------- timestamps

/// An instant parsed from an ASL timestamp, comparable across offsets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp {
    /// Nanoseconds since the Unix epoch (UTC).
    pub unix_nanos: i128,
}

impl Timestamp {
    /// A timestamp build-support has already parsed (`unix_nanos` from
    /// [`parse_timestamp`]), for `const` operands.
    pub const fn from_unix_nanos(unix_nanos: i128) -> Self {
        Timestamp { unix_nanos }
    }
}

/// Parses a timestamp as AWS accepts it: RFC 3339 (ISO 8601 profile) with an
/// uppercase `T` between date and time, optional fractional seconds and a time zone
/// that is an uppercase `Z` or `±hh:mm` (`2016-03-14T01:59:00Z`,
/// `2012-10-09T19:00:55+01:00`). A missing zone, a space instead of `T`, lowercase
/// `t`/`z` or an impossible date is `None`.
pub fn parse_timestamp(s: &str) -> Option<Timestamp> {
    parse_date_time(s).map(|dt| Timestamp {
        unix_nanos: dt.unix_timestamp_nanos(),
    })
}

/// [`parse_timestamp`] returning the date-time itself (for `Wait` states): the
/// language's one timestamp parser, [`asl_lang::timestamp::parse`].
pub fn parse_date_time(s: &str) -> Option<OffsetDateTime> {
    asl_lang::timestamp::parse(s)
}

/// A timestamp literal of a Choice rule, parsed once on first use, for generated
/// code that holds the literal text: `static T: TimestampLiteral =
/// TimestampLiteral::new("2016-03-14T01:59:00Z");` then
/// `choice::timestamp_literal(v, Cmp::Lt, &T)`. (build-support rejects an invalid
/// literal; should one reach here, no value compares to it.)
#[derive(Debug)]
pub struct TimestampLiteral {
    text: &'static str,
    parsed: std::sync::OnceLock<Option<Timestamp>>,
}

impl TimestampLiteral {
    /// The literal as written in the definition.
    pub const fn new(text: &'static str) -> Self {
        TimestampLiteral {
            text,
            parsed: std::sync::OnceLock::new(),
        }
    }

    /// The instant, or `None` if the text is not a timestamp AWS accepts.
    pub fn get(&self) -> Option<Timestamp> {
        *self.parsed.get_or_init(|| parse_timestamp(self.text))
    }
}

/// `TimestampEquals`/... with a literal held as a [`TimestampLiteral`].
pub fn timestamp_literal(v: &Value, cmp: Cmp, operand: &TimestampLiteral) -> bool {
    operand.get().is_some_and(|t| timestamp_lit(v, cmp, t))
}

/// `TimestampEquals`/... with a literal operand: false unless `v` is a string
/// holding a valid timestamp.
pub fn timestamp_lit(v: &Value, cmp: Cmp, operand: Timestamp) -> bool {
    v.as_str()
        .and_then(parse_timestamp)
        .is_some_and(|t| cmp.holds(t.cmp(&operand)))
}

/// The `Timestamp...Path` forms: false unless both are valid timestamp strings.
pub fn timestamp(v: &Value, cmp: Cmp, operand: &Value) -> bool {
    operand
        .as_str()
        .and_then(parse_timestamp)
        .is_some_and(|o| timestamp_lit(v, cmp, o))
}

// ---------------------------------------------------------------- type tests

/// `IsPresent`: does the variable's path select a value (even `null`)?
pub fn is_present(v: Option<&Value>) -> bool {
    v.is_some()
}

/// `IsNull`
pub fn is_null(v: &Value) -> bool {
    v.is_null()
}

/// `IsNumeric`: a JSON number (a numeric string is not).
pub fn is_numeric(v: &Value) -> bool {
    v.is_number()
}

/// `IsString`
pub fn is_string(v: &Value) -> bool {
    v.is_string()
}

/// `IsBoolean`
pub fn is_boolean(v: &Value) -> bool {
    v.is_boolean()
}

/// `IsTimestamp`: a string that [`parse_timestamp`] accepts.
pub fn is_timestamp(v: &Value) -> bool {
    v.as_str().and_then(parse_timestamp).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::names;
    use crate::path::{Root, Segment};
    use serde_json::json;

    #[test]
    fn numeric_compares_by_value_and_rejects_other_types() {
        assert!(numeric_lit(&json!(1), Cmp::Eq, 1.0));
        assert!(numeric_lit(&json!(0.0), Cmp::Eq, 0.0));
        assert!(!numeric_lit(&json!(1.1), Cmp::Eq, 1.0));
        assert!(numeric_lit(&json!(0), Cmp::Lt, 1.0));
        assert!(numeric_lit(&json!(1), Cmp::Ge, 1.0));
        assert!(!numeric_lit(&json!(1), Cmp::Gt, 1.0));
        assert!(numeric_lit(&json!(0), Cmp::Le, 0.0));
        for v in [json!(null), json!("0"), json!(true), json!([]), json!({})] {
            assert!(!numeric_lit(&v, Cmp::Eq, 0.0));
            assert!(!numeric(&v, Cmp::Le, &json!(0)));
        }
        assert!(numeric(&json!(1), Cmp::Eq, &json!(1.0)));
        assert!(!numeric(&json!(1), Cmp::Eq, &json!("1")));
        assert!(numeric(&json!(i64::MAX), Cmp::Gt, &json!(i64::MAX - 1)));
    }

    #[test]
    fn strings_compare_exactly() {
        assert!(!string_lit(&json!("\t\n"), Cmp::Eq, "\t\r\n"));
        assert!(string_lit(&json!("A"), Cmp::Lt, "AB"));
        assert!(!string_lit(&json!(""), Cmp::Lt, ""));
        assert!(string_lit(&json!(""), Cmp::Le, ""));
        assert!(string_lit(&json!("AB"), Cmp::Ge, "A"));
        assert!(!string_lit(&json!(1), Cmp::Eq, "1"));
        assert!(string(&json!("Hello"), Cmp::Eq, &json!("Hello")));
        assert!(!string(&json!("Hello"), Cmp::Eq, &json!(null)));
        // UTF-16 order: U+FF61 sorts after U+1F600's surrogates in Java.
        assert_eq!(compare_strings("\u{FF61}", "\u{1F600}"), Ordering::Greater);
    }

    #[test]
    fn string_matches_wildcards_and_escapes() {
        let m = |s: &str, p: &str| string_matches(&json!(s), p);
        assert!(m("log-2024.txt", "log-*.txt"));
        assert!(m("", "*"));
        assert!(m("abc", "a*b*c"));
        assert!(m("aXbYc", "a*b*c"));
        assert!(!m("abd", "a*c"));
        assert!(m("a*c", r"a\*c"));
        assert!(!m("abc", r"a\*c"));
        assert!(m(r"a\c", r"a\\c"));
        assert!(m("mississippi", "*sip*"));
        assert!(m("héllo wörld", "h*w*d"));
        assert!(!string_matches(&json!(5), "*"));
    }

    #[test]
    fn booleans() {
        assert!(boolean_lit(&json!(true), true));
        assert!(!boolean_lit(&json!(null), false));
        assert!(!boolean_lit(&json!(0), false));
        assert!(boolean(&json!(false), &json!(false)));
        assert!(!boolean(&json!(false), &json!(0)));
    }

    #[test]
    fn timestamps_follow_aws_profile() {
        let t = |s| parse_timestamp(s).unwrap();
        assert!(t("2012-10-09T19:00:55Z") < t("2012-10-09T19:00:56Z"));
        assert_eq!(t("2012-10-09T19:00:55+01:00"), t("2012-10-09T18:00:55Z"));
        assert!(parse_timestamp("2012-10-09T19:00:55.123Z").is_some());
        for bad in [
            "2012-10-09T19:00:55",
            "2023-02-24",
            "2016-12-05 21:29:29Z",
            "2016-13-05T21:29:29Z",
            "2016-12-05T25:29:29Z",
            "05-12-2016T21:29:29Z",
            "2012-10-09t19:00:55z",
            "",
        ] {
            assert!(parse_timestamp(bad).is_none(), "{bad}");
        }
        let op = t("2012-10-09T19:00:55Z");
        assert!(timestamp_lit(&json!("2012-10-09T19:00:55Z"), Cmp::Eq, op));
        assert!(timestamp_lit(&json!("2012-10-09T19:00:56Z"), Cmp::Gt, op));
        assert!(!timestamp_lit(&json!(0), Cmp::Eq, op));
        assert!(!timestamp_lit(&json!("x"), Cmp::Le, op));
        assert!(timestamp(
            &json!("2012-10-09T19:00:55Z"),
            Cmp::Le,
            &json!("2012-10-09T19:00:56Z")
        ));
        assert!(!timestamp(
            &json!("2012-10-09T19:00:55Z"),
            Cmp::Le,
            &json!(5)
        ));
        assert_eq!(Timestamp::from_unix_nanos(op.unix_nanos), op);
        static LIT: TimestampLiteral = TimestampLiteral::new("2012-10-09T19:00:55Z");
        static BAD: TimestampLiteral = TimestampLiteral::new("2012-10-09");
        assert_eq!(LIT.get(), Some(op));
        assert!(timestamp_literal(
            &json!("2012-10-09T19:00:56Z"),
            Cmp::Gt,
            &LIT
        ));
        assert!(!timestamp_literal(
            &json!("2012-10-09T19:00:54Z"),
            Cmp::Gt,
            &LIT
        ));
        assert!(!timestamp_literal(
            &json!("2012-10-09T19:00:55Z"),
            Cmp::Eq,
            &BAD
        ));
    }

    #[test]
    fn type_tests() {
        assert!(is_null(&json!(null)) && !is_null(&json!("")));
        assert!(is_numeric(&json!(1.1)) && !is_numeric(&json!("1")));
        assert!(is_string(&json!("")) && !is_string(&json!(null)));
        assert!(is_boolean(&json!(false)) && !is_boolean(&json!(0)));
        assert!(
            is_timestamp(&json!("2012-10-09T19:00:55Z"))
                && !is_timestamp(&json!("2012-10-09T19:00:55"))
        );
        assert!(is_present(Some(&json!(null))) && !is_present(None));
    }

    #[test]
    fn missing_variable_is_runtime_error() {
        const X: ReferencePath =
            ReferencePath::from_static(Root::Input, &[Segment::Field("x")], "$.x");
        let e = variable(&X, &json!({})).unwrap_err();
        assert_eq!(e.name(), names::RUNTIME);
        assert_eq!(
            e.cause(),
            Some(
                "Invalid path '$.x': The choice state's condition path references an invalid value."
            )
        );
        assert_eq!(variable(&X, &json!({"x": 1})).unwrap(), &json!(1));
        let e = no_choice_matched().in_state("Check", 2);
        assert_eq!(e.name(), names::RUNTIME);
        assert_eq!(
            e.cause(),
            Some(
                "An error occurred while executing the state 'Check' (entered at the event id #2). Failed to transition out of the state. The state does not point to a next state."
            )
        );
    }
}
