//! Native JSONata: the expressions workflows write most, run as Rust.
//!
//! # What runs natively
//!
//! The compiler parses every `{% %}` expression at build time
//! ([`asl_lang::jsonata::ast::parse`]). When the expression lies in the subset below,
//! it generates a Rust function for it, made of calls to the helpers of this module,
//! and the state's `static` [`JsonataExpr`] holds that function
//! ([`JsonataExpr::compiled`]). An expression built from text at run time
//! ([`JsonataExpr::owned`], `eval_json_template`) is parsed the same way once, on
//! first use, and its tree is walked by [`eval_tree`], which calls the same helpers
//! in the same order as the generated code.
//!
//! The subset:
//!
//! - literals (`1.5`, `'text'`, `true`, `null`);
//! - paths of names from `$states.input`, `$states.result`, `$states.errorOutput`,
//!   `$states.context`, a variable or a lambda parameter, with JSONata's sequence
//!   rules: a path through an array maps over it and flattens, an empty result is
//!   nothing (undefined), a single result is that value ([`path`]);
//! - array constructors (an array value is spread into the array, as JSONata does)
//!   and object constructors with literal keys (a member whose value is nothing is
//!   left out);
//! - `-x`, `+ - * / %`, `= != < <= > >=`, `and`/`or` (short-circuit, on JSONata's
//!   truthiness), `&`, `cond ? a : b`;
//! - calls of `$string`, `$number`, `$boolean`, `$not`, `$exists`, `$round`,
//!   `$floor`, `$ceil`, `$abs`, `$sum`, `$max`, `$min`, `$average`, `$count`,
//!   `$append`, `$join`, `$length`, `$uppercase`, `$lowercase`, `$trim`,
//!   `$substring`, `$substringBefore`, `$substringAfter`, `$contains`, `$split`
//!   (with a string separator), `$formatNumber`, `$keys`, `$merge`, `$map`/`$filter`/`$reduce` with an
//!   inline `function($v, $i, $a) {...}`, `$now()`, `$millis()`, and Step Functions'
//!   `$partition`, `$range`, `$hash`, `$random`, `$uuid`, `$parse`.
//!
//! # Where the line is, and why
//!
//! The subset is what the shared conformance corpus and the real-world workflows
//! write: reading the input, computing a value, building the next state's
//! arguments. Past it are constructs whose meaning depends on JSONata's context
//! item and tuple streams (predicates `a[b > 1]`, `a.(expr)`, `%`, `@`, `#`, sorting
//! and grouping), on functions as values (`~>`, `$f := function...`, partial
//! application, recursion), on regular expressions, and the rest of the standard
//! library (dates with pictures, `$formatInteger`, `$replace`, ...). Those run in the
//! full evaluator, as before; their cost is jsonata-core's.
//!
//! Native code also never reports an error of its own. When a value is not what the
//! happy path expects (a string where `*` needs a number, `$sum` of a non-number, a
//! result out of range, an unknown `$hash` algorithm), a helper returns [`Bail`] and
//! the whole expression is evaluated again by the full evaluator, which reports the
//! error with JSONata's code and message. Expressions have no side effects, so
//! evaluating one twice changes nothing but the time an error takes
//! (`$random()`, `$uuid()` and `$now()` are drawn again).
//!
//! Nothing here recurses over data: paths, equality and truthiness walk arrays with
//! an explicit stack; `$string` of nested data stops (and leaves the value to the
//! evaluator) past [`MAX_DATA_DEPTH`] levels. The generated code nests only as
//! deep as the expression, which the parser bounds.

use std::borrow::Cow;
use std::cell::Cell;

pub use asl_lang::jsonata::ast::{BinaryOp, StatesMember};
use asl_lang::jsonata::ast::{Expr, Function, Root};
use serde_json::{Map, Value};

use super::{JsonataExpr, JsonataScope};
use crate::limits::MAX_DATA_DEPTH;

/// A value or nothing (JSONata's undefined), borrowed from the scope where it can be.
pub type J<'v> = Option<Cow<'v, Value>>;

/// "Let the full evaluator decide": the value is not what native code handles.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bail;

/// The outcome of one native step.
pub type Step<'v> = Result<J<'v>, Bail>;

/// A compiled expression, as generated code defines it.
pub type Compiled = for<'a> fn(&Cx<'a>) -> Result<Option<Value>, Bail>;

/// What a native evaluation reads: the scope, and the instant `$now()` and
/// `$millis()` give (the same for every call in one evaluation, as in JSONata).
#[derive(Debug)]
pub struct Cx<'a> {
    scope: JsonataScope<'a>,
    now: Cell<Option<time::OffsetDateTime>>,
}

impl<'a> Cx<'a> {
    /// A context over `scope`.
    #[inline]
    pub fn new(scope: JsonataScope<'a>) -> Self {
        Cx {
            scope,
            now: Cell::new(None),
        }
    }

    /// `$states.<member>`, when the state has it.
    #[inline]
    pub fn states(&self, member: StatesMember) -> Option<&'a Value> {
        match member {
            StatesMember::Input => Some(self.scope.input),
            StatesMember::Result => self.scope.result,
            StatesMember::ErrorOutput => self.scope.error_output,
            StatesMember::Context => Some(self.scope.context),
        }
    }

    /// The workflow variable `name`, when it is set.
    #[inline]
    pub fn variable(&self, name: &str) -> Option<&'a Value> {
        self.scope.variables?.get(name)
    }

    fn now(&self) -> time::OffsetDateTime {
        match self.now.get() {
            Some(now) => now,
            None => {
                let now = time::OffsetDateTime::now_utc();
                self.now.set(Some(now));
                now
            }
        }
    }
}

/// The value of a top-level step, owned.
#[inline]
pub fn finish(value: J<'_>) -> Result<Option<Value>, Bail> {
    Ok(value.map(Cow::into_owned))
}

/// `null`
#[inline]
pub fn null() -> J<'static> {
    Some(Cow::Owned(Value::Null))
}

/// `true` / `false`
#[inline]
pub fn boolean(b: bool) -> J<'static> {
    Some(Cow::Owned(Value::Bool(b)))
}

/// A number, written as JSONata writes it (whole numbers as integers).
#[inline]
pub fn number(n: f64) -> J<'static> {
    Some(Cow::Owned(super::convert::number(n)))
}

/// A string literal.
pub fn string(s: &str) -> J<'static> {
    Some(Cow::Owned(Value::String(s.to_owned())))
}

/// A literal generated code keeps in a `static` (made once, never copied).
#[inline]
pub fn literal(value: &'static std::sync::LazyLock<Value>) -> J<'static> {
    Some(Cow::Borrowed(value))
}

fn owned(value: Value) -> Step<'static> {
    Ok(Some(Cow::Owned(value)))
}

/// A finite number from a step, or [`Bail`].
fn finite(n: f64) -> Step<'static> {
    if n.is_finite() {
        Ok(number(n))
    } else {
        Err(Bail)
    }
}

/// A step read as a number: nothing stays nothing; anything but a number bails.
fn number_of(value: &J<'_>) -> Result<Option<f64>, Bail> {
    match value.as_deref() {
        None => Ok(None),
        Some(v) => as_number(v).map(Some).ok_or(Bail),
    }
}

/// The JSONata number a value is, if it is one.
fn as_number(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        _ => None,
    }
}

/// `root.steps...` with JSONata's path rules: each step looks the name up in every
/// value of the sequence so far; arrays met on the way are mapped over and
/// flattened one level; the result is nothing, one value, or an array of the
/// values. An array that is the single value of the last step is returned whole.
#[inline]
pub fn path<'v>(root: Option<&'v Value>, steps: &[&str]) -> J<'v> {
    let mut value = root?;
    let mut done = 0;
    // The common case: objects all the way down.
    while done < steps.len() {
        match value {
            Value::Object(map) => value = map.get(steps[done])?,
            Value::Array(_) => break,
            _ => return None,
        }
        done += 1;
    }
    if done == steps.len() {
        return Some(Cow::Borrowed(value));
    }
    path_through_array(value, steps, done)
}

/// The rest of [`path`] from `value`, an array met after `done` steps.
fn path_through_array<'v>(value: &'v Value, steps: &[&str], done: usize) -> J<'v> {
    let Value::Array(items) = value else {
        return None;
    };
    let rest = &steps[done..];
    let (first, later) = rest.split_first()?;
    let mut sequence = match step_over(items.iter(), items.len(), first, later.is_empty()) {
        Ok(values) => values,
        Err(whole) => return Some(Cow::Borrowed(whole)),
    };
    for (k, step) in later.iter().enumerate() {
        let last = k + 1 == later.len();
        sequence = match step_over(sequence.iter().copied(), sequence.len(), step, last) {
            Ok(values) => values,
            Err(whole) => return Some(Cow::Borrowed(whole)),
        };
    }
    from_sequence(sequence)
}

/// One step of [`path_through_array`] over the values so far: the values it
/// finds, flattened; or `Err(array)` when it is the last step and its one value
/// is an array member, returned whole.
fn step_over<'v>(
    values: impl Iterator<Item = &'v Value>,
    len: usize,
    step: &str,
    last: bool,
) -> Result<Vec<&'v Value>, &'v Value> {
    // Only whether the step found exactly one member, and which, matters
    // beyond the flattened values.
    let (mut members, mut first_member): (usize, Option<&'v Value>) = (0, None);
    let mut flattened: Vec<&'v Value> = Vec::with_capacity(len);
    let mut from_arrays = false;
    for item in values {
        match item {
            Value::Object(map) => {
                if let Some(member) = map.get(step) {
                    members += 1;
                    first_member.get_or_insert(member);
                    match member {
                        Value::Array(inner) => flattened.extend(inner.iter()),
                        other => flattened.push(other),
                    }
                }
            }
            Value::Array(_) => {
                from_arrays = true;
                lookup_all(item, step, &mut flattened);
            }
            _ => {}
        }
    }
    match first_member {
        Some(array @ Value::Array(_)) if last && !from_arrays && members == 1 => Err(array),
        _ => Ok(flattened),
    }
}

/// Where JSONata's numeric predicate `[n]` points in `len` values: `n` rounded
/// down, from the end when negative; `None` past either end.
fn position(n: f64, len: usize) -> Option<usize> {
    let k = n.floor();
    let k = if k < 0.0 { len as f64 + k } else { k };
    (k >= 0.0 && k < len as f64).then_some(k as usize)
}

/// A path's values as its result: nothing, one value, or an array of them.
fn from_sequence(sequence: Vec<&Value>) -> J<'_> {
    match sequence.len() {
        0 => None,
        1 => Some(Cow::Borrowed(sequence[0])),
        _ => Some(Cow::Owned(Value::Array(
            sequence.into_iter().cloned().collect(),
        ))),
    }
}

/// The `n`th value of `value` taken as an array (from the end when negative):
/// JSONata's numeric predicate, `value[n]`.
pub fn index(value: J<'_>, n: f64) -> J<'_> {
    let at = |len: usize| position(n, len);
    match value? {
        Cow::Borrowed(v) => {
            let items = members(v);
            at(items.len()).map(|i| Cow::Borrowed(&items[i]))
        }
        Cow::Owned(Value::Array(mut items)) => {
            let i = at(items.len())?;
            Some(Cow::Owned(items.swap_remove(i)))
        }
        Cow::Owned(v) => at(1).map(|_| Cow::Owned(v)),
    }
}

/// One step's result for one value of the sequence: a member's value as it is,
/// or a sequence JSONata builds (from an array, or by a predicate).
enum Found<'v> {
    Member(&'v Value),
    Sequence(Vec<&'v Value>),
}

/// [`path`] with indexes: `root[root_index].steps[index]...`. Each step's index
/// applies to the member's value in each value the step reads.
pub fn indexed_path<'v>(
    root: Option<&'v Value>,
    root_index: Option<f64>,
    steps: &[(&str, Option<f64>)],
) -> J<'v> {
    let mut value = root?;
    if let Some(n) = root_index {
        value = match index(Some(Cow::Borrowed(value)), n)? {
            Cow::Borrowed(v) => v,
            Cow::Owned(_) => return None,
        };
    }
    if steps.is_empty() {
        return Some(Cow::Borrowed(value));
    }
    let mut sequence: Vec<&'v Value> = members(value).iter().collect();
    for (k, (name, n)) in steps.iter().enumerate() {
        let last = k + 1 == steps.len();
        let mut found: Vec<Found<'v>> = Vec::new();
        for item in &sequence {
            let mut result = match item {
                Value::Object(map) => match map.get(*name) {
                    Some(member) => Found::Member(member),
                    None => continue,
                },
                Value::Array(_) => {
                    let mut values = Vec::new();
                    lookup_all(item, name, &mut values);
                    Found::Sequence(values)
                }
                _ => continue,
            };
            if let Some(n) = *n {
                let picked = match &result {
                    Found::Member(Value::Array(items)) => {
                        position(n, items.len()).map(|i| &items[i])
                    }
                    Found::Member(v) => position(n, 1).map(|_| *v),
                    Found::Sequence(values) => position(n, values.len()).map(|i| values[i]),
                };
                result = match picked {
                    Some(v @ Value::Array(_)) => Found::Member(v),
                    Some(v) => Found::Sequence(vec![v]),
                    None => Found::Sequence(Vec::new()),
                };
            }
            found.push(result);
        }
        if last && let [Found::Member(array @ Value::Array(_))] = found.as_slice() {
            return Some(Cow::Borrowed(*array));
        }
        sequence = Vec::new();
        for result in found {
            match result {
                Found::Member(Value::Array(items)) => sequence.extend(items.iter()),
                Found::Member(v) => sequence.push(v),
                Found::Sequence(values) => sequence.extend(values),
            }
        }
    }
    from_sequence(sequence)
}

/// JSONata's `lookup` of `key` in the array `array`: the member of each object in
/// it, at any depth of nested arrays, array members flattened one level.
fn lookup_all<'v>(array: &'v Value, key: &str, out: &mut Vec<&'v Value>) {
    let Value::Array(items) = array else { return };
    let mut stack = vec![items.iter()];
    while let Some(top) = stack.last_mut() {
        match top.next() {
            None => {
                stack.pop();
            }
            Some(Value::Array(inner)) => stack.push(inner.iter()),
            Some(Value::Object(map)) => match map.get(key) {
                Some(Value::Array(members)) => out.extend(members.iter()),
                Some(member) => out.push(member),
                None => {}
            },
            Some(_) => {}
        }
    }
}

/// `-x`
pub fn negate(value: J<'_>) -> Step<'static> {
    Ok(typed::from_number(typed::negate(typed::to_number(value)?)?))
}

/// `+ - * / %`: nothing when either side is nothing; numbers only.
#[inline]
pub fn arithmetic(op: BinaryOp, lhs: J<'_>, rhs: J<'_>) -> Step<'static> {
    let (l, r) = (typed::to_number(lhs)?, typed::to_number(rhs)?);
    Ok(typed::from_number(typed::arithmetic(op, l, r)?))
}

/// `=` / `!=`: deep equality; `false` when either side is nothing.
#[inline]
pub fn equality(op: BinaryOp, lhs: J<'_>, rhs: J<'_>) -> J<'static> {
    boolean(match (lhs, rhs) {
        (Some(l), Some(r)) => deep_equal(&l, &r) == (op == BinaryOp::Equal),
        _ => false,
    })
}

fn deep_equal(a: &Value, b: &Value) -> bool {
    let mut stack = vec![(a, b)];
    while let Some((a, b)) = stack.pop() {
        match (a, b) {
            (Value::Number(x), Value::Number(y)) => {
                if x.as_f64() != y.as_f64() {
                    return false;
                }
            }
            (Value::Array(x), Value::Array(y)) => {
                if x.len() != y.len() {
                    return false;
                }
                stack.extend(x.iter().zip(y));
            }
            (Value::Object(x), Value::Object(y)) => {
                if x.len() != y.len() {
                    return false;
                }
                for (key, value) in x {
                    match y.get(key) {
                        Some(other) => stack.push((value, other)),
                        None => return false,
                    }
                }
            }
            (x, y) => {
                if x != y {
                    return false;
                }
            }
        }
    }
    true
}

/// `< <= > >=`: two numbers or two strings (compared as JavaScript does, by UTF-16
/// code units); nothing when either side is nothing.
#[inline]
pub fn compare(op: BinaryOp, lhs: J<'_>, rhs: J<'_>) -> Step<'static> {
    let comparable = |v: &J<'_>| {
        v.as_deref()
            .is_none_or(|v| matches!(v, Value::Number(_) | Value::String(_)))
    };
    if !comparable(&lhs) || !comparable(&rhs) {
        return Err(Bail);
    }
    let (Some(l), Some(r)) = (lhs.as_deref(), rhs.as_deref()) else {
        return Ok(None);
    };
    let order = match (l, r) {
        (Value::Number(a), Value::Number(b)) => a.as_f64().partial_cmp(&b.as_f64()).ok_or(Bail)?,
        (Value::String(a), Value::String(b)) => a.encode_utf16().cmp(b.encode_utf16()),
        _ => return Err(Bail),
    };
    use std::cmp::Ordering::*;
    Ok(boolean(match op {
        BinaryOp::Less => order == Less,
        BinaryOp::LessOrEqual => order != Greater,
        BinaryOp::Greater => order == Greater,
        BinaryOp::GreaterOrEqual => order != Less,
        _ => return Err(Bail),
    }))
}

/// JSONata's truthiness (`$boolean`), nothing being false: an array is true when
/// any value in it (at any depth) is.
#[inline]
pub fn truthy(value: &J<'_>) -> bool {
    value.as_deref().is_some_and(truthy_value)
}

fn truthy_value(value: &Value) -> bool {
    let mut stack = vec![value];
    while let Some(value) = stack.pop() {
        let true_here = match value {
            Value::Array(items) => {
                stack.extend(items.iter());
                false
            }
            Value::String(s) => !s.is_empty(),
            Value::Number(n) => n.as_f64().is_some_and(|n| n != 0.0),
            Value::Object(map) => !map.is_empty(),
            Value::Bool(b) => *b,
            Value::Null => false,
        };
        if true_here {
            return true;
        }
    }
    false
}

/// `a & b`: both as strings (`$string`), nothing as `""`.
pub fn concat(lhs: J<'_>, rhs: J<'_>) -> Step<'static> {
    // A string the left side built already is the buffer (`a & b & c`).
    let mut text = match lhs {
        Some(Cow::Owned(Value::String(s))) => s,
        Some(v) => {
            let mut text = String::new();
            stringify_into(&v, false, &mut text).ok_or(Bail)?;
            text
        }
        None => String::new(),
    };
    if let Some(v) = rhs {
        stringify_into(&v, false, &mut text).ok_or(Bail)?;
    }
    owned(Value::String(text))
}

/// Adds an array constructor's item: nothing adds nothing; an array value is
/// spread.
#[inline]
pub fn push(array: &mut Vec<Value>, item: J<'_>) {
    match item {
        None => {}
        Some(Cow::Borrowed(Value::Array(items))) => array.extend(items.iter().cloned()),
        Some(Cow::Owned(Value::Array(items))) => array.extend(items),
        Some(value) => array.push(value.into_owned()),
    }
}

/// Adds an item that is itself an array constructor: kept as one array.
#[inline]
pub fn push_array(array: &mut Vec<Value>, item: J<'_>) {
    if let Some(value) = item {
        array.push(value.into_owned());
    }
}

/// Sets an object constructor's member, unless its value is nothing.
#[inline]
pub fn put(object: &mut Map<String, Value>, key: &str, value: J<'_>) {
    if let Some(value) = value {
        object.insert(key.to_owned(), value.into_owned());
    }
}

/// An array value as a step.
#[inline]
pub fn array(items: Vec<Value>) -> J<'static> {
    Some(Cow::Owned(Value::Array(items)))
}

/// An object value as a step.
#[inline]
pub fn object(members: Map<String, Value>) -> J<'static> {
    Some(Cow::Owned(Value::Object(members)))
}

/// JSONata's result of a function that builds a sequence (`$map`, `$filter`,
/// `$keys`): nothing, one value, or an array. A call in the tail position of a
/// `$map` lambda (its body, or a branch of a condition that is its body) hands
/// its sequence back as it is, an array even when empty or of one value: JSONata
/// evaluates such a call as a tail call, without the step that unwraps
/// sequences, and `$map` keeps it as one value (`$map([1], function($v) {
/// $map([$v], function($w) { $w }) })` is `[1]`). Where JSONata would unwrap
/// it again (a condition's branch, parentheses), the parser leaves the
/// expression to the full evaluator (`ast::tail_sequence`).
fn sequence(mut values: Vec<Value>, tail: bool) -> J<'static> {
    if tail {
        return Some(Cow::Owned(Value::Array(values)));
    }
    match values.len() {
        0 => None,
        1 => values.pop().map(Cow::Owned),
        _ => Some(Cow::Owned(Value::Array(values))),
    }
}

/// The values of an argument JSONata wraps into an array when it is not one.
fn members(value: &Value) -> &[Value] {
    match value {
        Value::Array(items) => items,
        other => std::slice::from_ref(other),
    }
}

/// A finite number's shortest round-trip digits (no leading or trailing zeros)
/// and the position of the decimal point in them (JavaScript's `n`: the value is
/// `0.digits × 10^n`), from its absolute value.
fn shortest_digits(x: f64) -> (String, i64) {
    let mut buffer = ryu::Buffer::new();
    let text = buffer.format_finite(x.abs());
    let (mantissa, exponent) = text.split_once('e').unwrap_or((text, "0"));
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let mut point = int.len() as i64 + exponent.parse::<i64>().unwrap_or(0);
    let all = format!("{int}{frac}");
    let trimmed = all.trim_start_matches('0');
    point -= (all.len() - trimmed.len()) as i64;
    (trimmed.trim_end_matches('0').to_owned(), point)
}

/// A number as JSONata's `$string` writes it: 15 significant digits, then
/// JavaScript's shortest form (`1e+21`, `1.5e-7`, `0.000001`).
pub fn number_text(n: f64) -> String {
    if n == 0.0 {
        return "0".into();
    }
    if n.fract() == 0.0 && n.abs() < 1e15 {
        return (n as i64).to_string();
    }
    let (mut digits, mut point) = shortest_digits(n);
    if digits.len() > 15 {
        let rounded: f64 = format!("{:.14e}", n.abs()).parse().unwrap_or(n.abs());
        (digits, point) = shortest_digits(rounded);
    }
    let k = digits.len() as i64;
    let mut out = String::with_capacity(24);
    if n < 0.0 {
        out.push('-');
    }
    if k <= point && point <= 21 {
        out.push_str(&digits);
        out.extend(std::iter::repeat_n('0', (point - k) as usize));
    } else if 0 < point && point <= 21 {
        out.push_str(&digits[..point as usize]);
        out.push('.');
        out.push_str(&digits[point as usize..]);
    } else if -6 < point && point <= 0 {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', (-point) as usize));
        out.push_str(&digits);
    } else {
        out.push_str(&digits[..1]);
        if k > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push('e');
        out.push(if point - 1 < 0 { '-' } else { '+' });
        out.push_str(&(point - 1).abs().to_string());
    }
    out
}

/// `$string(value, prettify)`: a string as it is; anything else as JSON with
/// JSONata's numbers. `None` for a non-finite number or data nested too deep.
fn stringify(value: &Value, pretty: bool) -> Option<String> {
    let mut out = String::new();
    stringify_into(value, pretty, &mut out)?;
    Some(out)
}

/// [`stringify`], appended to `out`.
fn stringify_into(value: &Value, pretty: bool, out: &mut String) -> Option<()> {
    match value {
        Value::String(s) => out.push_str(s),
        Value::Number(n) => {
            let n = n.as_f64().filter(|n| n.is_finite())?;
            out.push_str(&number_text(n));
        }
        other => write_json(other, pretty, 0, out)?,
    }
    Some(())
}

fn write_json(value: &Value, pretty: bool, depth: usize, out: &mut String) -> Option<()> {
    if depth > MAX_DATA_DEPTH {
        return None;
    }
    let newline = |out: &mut String, level: usize| {
        if pretty {
            out.push('\n');
            out.extend(std::iter::repeat_n(' ', 2 * level));
        }
    };
    match value {
        Value::Number(n) => {
            let n = n.as_f64()?;
            if !n.is_finite() {
                return None;
            }
            out.push_str(&number_text(n));
        }
        Value::String(s) => out.push_str(&serde_json::to_string(s).ok()?),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, depth + 1);
                write_json(item, pretty, depth + 1, out)?;
            }
            if !items.is_empty() {
                newline(out, depth);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (key, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, depth + 1);
                out.push_str(&serde_json::to_string(key).ok()?);
                out.push_str(if pretty { ": " } else { ":" });
                write_json(item, pretty, depth + 1, out)?;
            }
            if !map.is_empty() {
                newline(out, depth);
            }
            out.push('}');
        }
        other => out.push_str(&other.to_string()),
    }
    Some(())
}

/// The functions, one helper each, in JSONata's names (snake case). Optional
/// arguments a call leaves out are passed as nothing.
pub mod functions {
    use super::*;

    fn text<'a>(value: &'a J<'_>) -> Result<Option<&'a str>, Bail> {
        match value.as_deref() {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(Bail),
        }
    }

    /// A number argument, truncated towards zero.
    fn integer(value: &J<'_>) -> Result<Option<f64>, Bail> {
        Ok(number_of(value)?.map(f64::trunc))
    }

    fn numbers(value: &J<'_>) -> Result<Option<Vec<f64>>, Bail> {
        match value.as_deref() {
            None => Ok(None),
            Some(v) => members(v)
                .iter()
                .map(|m| as_number(m).ok_or(Bail))
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
        }
    }

    fn text_value(s: String) -> Step<'static> {
        owned(Value::String(s))
    }

    pub fn string(value: J<'_>, prettify: J<'_>) -> Step<'static> {
        let pretty = match prettify.as_deref() {
            None => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => return Err(Bail),
        };
        match value {
            None => Ok(None),
            Some(v) => text_value(stringify(&v, pretty).ok_or(Bail)?),
        }
    }

    pub fn number(value: J<'_>) -> Step<'static> {
        let Some(value) = value else { return Ok(None) };
        match &*value {
            Value::Number(n) => finite(n.as_f64().ok_or(Bail)?),
            Value::Bool(b) => Ok(super::number(if *b { 1.0 } else { 0.0 })),
            Value::String(s) if decimal(s) => finite(s.parse::<f64>().map_err(|_| Bail)?),
            _ => Err(Bail),
        }
    }

    /// JSONata's `$number` grammar for decimal strings:
    /// `-?[0-9]+(\.[0-9]+)?([Ee][-+]?[0-9]+)?`.
    fn decimal(s: &str) -> bool {
        let b = s.as_bytes();
        let mut i = usize::from(b.first() == Some(&b'-'));
        let digits = |i: &mut usize| {
            let start = *i;
            while b.get(*i).is_some_and(u8::is_ascii_digit) {
                *i += 1;
            }
            *i > start
        };
        if !digits(&mut i) {
            return false;
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            if !digits(&mut i) {
                return false;
            }
        }
        if matches!(b.get(i), Some(b'e' | b'E')) {
            i += 1;
            if matches!(b.get(i), Some(b'+' | b'-')) {
                i += 1;
            }
            if !digits(&mut i) {
                return false;
            }
        }
        i == b.len()
    }

    pub fn boolean(value: J<'_>) -> Step<'static> {
        Ok(value
            .is_some()
            .then(|| super::boolean(truthy(&value)))
            .flatten())
    }

    pub fn not(value: J<'_>) -> Step<'static> {
        Ok(value
            .is_some()
            .then(|| super::boolean(!truthy(&value)))
            .flatten())
    }

    pub fn exists(value: J<'_>) -> Step<'static> {
        Ok(super::boolean(value.is_some()))
    }

    /// `$round`: half to even, at `precision` decimal places (negative: tens,
    /// hundreds...), shifting the decimal point in the number's shortest text as
    /// JSONata does.
    pub fn round(value: J<'_>, precision: J<'_>) -> Step<'static> {
        let Some(x) = number_of(&value)? else {
            return Ok(None);
        };
        let precision = integer(&precision)?.unwrap_or(0.0) as i64;
        finite(jsonata_round(x, precision))
    }

    pub fn floor(value: J<'_>) -> Step<'static> {
        number_of(&value)?.map_or(Ok(None), |x| finite(x.floor()))
    }

    pub fn ceil(value: J<'_>) -> Step<'static> {
        number_of(&value)?.map_or(Ok(None), |x| finite(x.ceil()))
    }

    pub fn abs(value: J<'_>) -> Step<'static> {
        number_of(&value)?.map_or(Ok(None), |x| finite(x.abs()))
    }

    pub fn sum(value: J<'_>) -> Step<'static> {
        numbers(&value)?.map_or(Ok(None), |ns| finite(ns.iter().fold(0.0, |a, b| a + b)))
    }

    pub fn max(value: J<'_>) -> Step<'static> {
        match numbers(&value)? {
            Some(ns) if !ns.is_empty() => finite(ns.into_iter().fold(f64::MIN, f64::max)),
            _ => Ok(None),
        }
    }

    pub fn min(value: J<'_>) -> Step<'static> {
        match numbers(&value)? {
            Some(ns) if !ns.is_empty() => finite(ns.into_iter().fold(f64::MAX, f64::min)),
            _ => Ok(None),
        }
    }

    pub fn average(value: J<'_>) -> Step<'static> {
        match numbers(&value)? {
            Some(ns) if !ns.is_empty() => {
                finite(ns.iter().fold(0.0, |a, b| a + b) / ns.len() as f64)
            }
            _ => Ok(None),
        }
    }

    pub fn count(value: J<'_>) -> Step<'static> {
        Ok(super::number(match value.as_deref() {
            None => 0.0,
            Some(Value::Array(items)) => items.len() as f64,
            Some(_) => 1.0,
        }))
    }

    pub fn append(first: J<'_>, second: J<'_>) -> Step<'static> {
        Ok(match (first, second) {
            (None, other) | (other, None) => other.map(|v| Cow::Owned(v.into_owned())),
            (Some(a), Some(b)) => {
                let mut items = members(&a).to_vec();
                items.extend_from_slice(members(&b));
                array(items)
            }
        })
    }

    pub fn join(value: J<'_>, separator: J<'_>) -> Step<'static> {
        let separator = text(&separator)?.unwrap_or("");
        let Some(value) = value else { return Ok(None) };
        let parts = members(&value)
            .iter()
            .map(|m| m.as_str().ok_or(Bail))
            .collect::<Result<Vec<_>, _>>()?;
        text_value(parts.join(separator))
    }

    pub fn length(value: J<'_>) -> Step<'static> {
        Ok(text(&value)?.and_then(|s| super::number(s.chars().count() as f64)))
    }

    pub fn uppercase(value: J<'_>) -> Step<'static> {
        text(&value)?.map_or(Ok(None), |s| text_value(s.to_uppercase()))
    }

    pub fn lowercase(value: J<'_>) -> Step<'static> {
        text(&value)?.map_or(Ok(None), |s| text_value(s.to_lowercase()))
    }

    /// `$trim`: runs of spaces, tabs and line breaks become one space; none at
    /// either end.
    pub fn trim(value: J<'_>) -> Step<'static> {
        let Some(s) = text(&value)? else {
            return Ok(None);
        };
        let mut out = String::with_capacity(s.len());
        let mut gap = false;
        for c in s.chars() {
            if matches!(c, ' ' | '\t' | '\n' | '\r') {
                gap = true;
            } else {
                if gap && !out.is_empty() {
                    out.push(' ');
                }
                gap = false;
                out.push(c);
            }
        }
        text_value(out)
    }

    /// `$substring(s, start, length)` over characters; a negative start counts
    /// from the end.
    pub fn substring(value: J<'_>, start: J<'_>, length: J<'_>) -> Step<'static> {
        let Some(s) = text(&value)? else {
            return Ok(None);
        };
        let start = integer(&start)?.ok_or(Bail)?;
        let length = integer(&length)?;
        let chars: Vec<char> = s.chars().collect();
        let len = chars.len() as f64;
        let start = if len + start < 0.0 { 0.0 } else { start };
        let from = if start < 0.0 {
            (len + start).max(0.0)
        } else {
            start.min(len)
        };
        let to = match length {
            Some(l) if l <= 0.0 => return text_value(String::new()),
            Some(l) => (from + l).min(len),
            None => len,
        };
        text_value(
            chars[from as usize..(to.max(from)) as usize]
                .iter()
                .collect(),
        )
    }

    pub fn substring_before(value: J<'_>, chars: J<'_>) -> Step<'static> {
        let (Some(s), chars) = (text(&value)?, text(&chars)?.ok_or(Bail)?) else {
            return Ok(None);
        };
        text_value(s.find(chars).map_or(s, |at| &s[..at]).to_owned())
    }

    pub fn substring_after(value: J<'_>, chars: J<'_>) -> Step<'static> {
        let (Some(s), chars) = (text(&value)?, text(&chars)?.ok_or(Bail)?) else {
            return Ok(None);
        };
        text_value(
            s.find(chars)
                .map_or(s, |at| &s[at + chars.len()..])
                .to_owned(),
        )
    }

    pub fn contains(value: J<'_>, token: J<'_>) -> Step<'static> {
        let (Some(s), token) = (text(&value)?, text(&token)?.ok_or(Bail)?) else {
            return Ok(None);
        };
        Ok(super::boolean(s.contains(token)))
    }

    pub fn split(value: J<'_>, separator: J<'_>, limit: J<'_>) -> Step<'static> {
        let (Some(s), separator) = (text(&value)?, text(&separator)?.ok_or(Bail)?) else {
            return Ok(None);
        };
        let limit = match number_of(&limit)? {
            Some(l) if l < 0.0 => return Err(Bail),
            Some(l) => l as usize,
            None => usize::MAX,
        };
        let parts: Vec<Value> = if separator.is_empty() {
            // JavaScript splits into UTF-16 code units.
            if s.chars().any(|c| c as u32 > 0xFFFF) {
                return Err(Bail);
            }
            s.chars().map(|c| Value::String(c.to_string())).collect()
        } else {
            s.split(separator)
                .map(|p| Value::String(p.to_owned()))
                .collect()
        };
        owned(Value::Array(parts.into_iter().take(limit).collect()))
    }

    /// `$formatNumber(number, picture, options)`; a picture error bails (the
    /// evaluator reports its D30xx code).
    pub fn format_number(value: J<'_>, picture: J<'_>, options: J<'_>) -> Step<'static> {
        let Some(n) = number_of(&value)? else {
            return Ok(None);
        };
        let picture = text(&picture)?.ok_or(Bail)?;
        let options = match options.as_deref() {
            None => Vec::new(),
            Some(Value::Object(map)) => map
                .iter()
                .map(|(k, v)| Ok((k.clone(), v.as_str().ok_or(Bail)?.to_owned())))
                .collect::<Result<Vec<_>, Bail>>()?,
            Some(_) => return Err(Bail),
        };
        if !n.is_finite() {
            return Err(Bail);
        }
        let formatted =
            super::super::number_picture::format_number(n, picture, &options).map_err(|_| Bail)?;
        text_value(formatted)
    }

    /// `$keys`: an object's member names, or the distinct names of the objects
    /// in an array, as a sequence.
    pub fn keys(value: J<'_>, tail: bool) -> Step<'static> {
        let Some(value) = value else { return Ok(None) };
        let mut names: Vec<Value> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for member in members(&value) {
            if let Value::Object(map) = member {
                for key in map.keys() {
                    if seen.insert(key.as_str()) {
                        names.push(Value::String(key.clone()));
                    }
                }
            }
        }
        Ok(sequence(names, tail))
    }

    pub fn merge(value: J<'_>) -> Step<'static> {
        let Some(value) = value else { return Ok(None) };
        let mut out = Map::new();
        for member in members(&value) {
            let Value::Object(map) = member else {
                return Err(Bail);
            };
            for (key, v) in map {
                out.insert(key.clone(), v.clone());
            }
        }
        Ok(object(out))
    }

    /// `$map(array, function($v, $i, $a) {...})`: the lambda's defined results, as
    /// a sequence.
    pub fn map(
        value: J<'_>,
        mut f: impl FnMut(&Value, usize, &Value) -> Result<Option<Value>, Bail>,
        tail: bool,
    ) -> Step<'static> {
        let Some(whole) = value.map(wrap) else {
            return Ok(None);
        };
        let mut out = Vec::with_capacity(members(&whole).len());
        for (i, item) in members(&whole).iter().enumerate() {
            if let Some(v) = f(item, i, &whole)? {
                out.push(v);
            }
        }
        Ok(sequence(out, tail))
    }

    /// `$filter(array, function($v, $i, $a) {...})`: the values the lambda finds
    /// truthy, as a sequence.
    pub fn filter(
        value: J<'_>,
        mut f: impl FnMut(&Value, usize, &Value) -> Result<Option<Value>, Bail>,
        tail: bool,
    ) -> Step<'static> {
        let Some(whole) = value.map(wrap) else {
            return Ok(None);
        };
        let mut out = Vec::new();
        for (i, item) in members(&whole).iter().enumerate() {
            let keep = f(item, i, &whole)?;
            if keep.as_ref().is_some_and(truthy_value) {
                out.push(item.clone());
            }
        }
        Ok(sequence(out, tail))
    }

    /// `$reduce(array, function($acc, $v, $i, $a) {...}, init)`: without an
    /// initial value the first member starts.
    pub fn reduce(
        value: J<'_>,
        mut f: impl FnMut(Option<&Value>, &Value, usize, &Value) -> Result<Option<Value>, Bail>,
        init: J<'_>,
    ) -> Step<'static> {
        let Some(whole) = value.map(wrap) else {
            return Ok(None);
        };
        let items = members(&whole);
        let (mut acc, start) = match init {
            None if !items.is_empty() => (Some(items[0].clone()), 1),
            init => (init.map(Cow::into_owned), 0),
        };
        for (i, item) in items.iter().enumerate().skip(start) {
            acc = f(acc.as_ref(), item, i, &whole)?;
        }
        Ok(acc.map(Cow::Owned))
    }

    /// The value as an array (JSONata wraps a single value).
    fn wrap(value: Cow<'_, Value>) -> Cow<'_, Value> {
        if value.is_array() {
            value
        } else {
            Cow::Owned(Value::Array(vec![value.into_owned()]))
        }
    }

    /// `$now()`: the evaluation's instant, ISO 8601 with milliseconds.
    pub fn now(cx: &Cx<'_>) -> Step<'static> {
        let now = cx.now();
        let text = format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
            now.year(),
            u8::from(now.month()),
            now.day(),
            now.hour(),
            now.minute(),
            now.second(),
            now.millisecond()
        );
        text_value(text)
    }

    /// `$millis()`: the evaluation's instant in milliseconds since the epoch.
    pub fn millis(cx: &Cx<'_>) -> Step<'static> {
        Ok(super::number(
            (cx.now().unix_timestamp_nanos() / 1_000_000) as f64,
        ))
    }

    /// `$partition(array, size)`.
    pub fn partition(value: J<'_>, size: J<'_>) -> Step<'static> {
        let Some(value) = value else { return Ok(None) };
        let Some(size) = integer(&size)? else {
            return Ok(None);
        };
        let items = members(&value);
        if size < 1.0 || items.is_empty() {
            return Ok(None);
        }
        let size = size.min(items.len() as f64) as usize;
        Ok(array(
            items
                .chunks(size)
                .map(|chunk| Value::Array(chunk.to_vec()))
                .collect(),
        ))
    }

    /// `$range(start, end, step)`.
    pub fn range(start: J<'_>, end: J<'_>, step: J<'_>) -> Step<'static> {
        let (Some(start), Some(end), Some(step)) =
            (integer(&start)?, integer(&end)?, integer(&step)?)
        else {
            return Ok(None);
        };
        if step == 0.0 || (end - start) * step < 0.0 {
            return Ok(None);
        }
        let count = ((end - start) / step).floor() + 1.0;
        if count > super::super::functions::MAX_RANGE {
            return Err(Bail);
        }
        if count == 1.0 {
            return Ok(super::number(start));
        }
        Ok(array(
            (0..count as usize)
                .map(|i| super::super::convert::number(start + step * i as f64))
                .collect(),
        ))
    }

    /// `$hash(data, algorithm)`.
    pub fn hash(data: J<'_>, algorithm: J<'_>) -> Step<'static> {
        let (Some(data), Some(algorithm)) = (text(&data)?, text(&algorithm)?) else {
            return Ok(None);
        };
        text_value(super::super::functions::digest(data, algorithm).ok_or(Bail)?)
    }

    /// `$random(seed)`.
    pub fn random(seed: J<'_>) -> Step<'static> {
        use rand::{Rng, SeedableRng};
        let value: f64 = match integer(&seed)? {
            Some(seed) => rand::rngs::StdRng::seed_from_u64(seed as i64 as u64).random(),
            None => rand::rng().random(),
        };
        Ok(super::number(value))
    }

    /// `$uuid()`: a version 4 UUID.
    pub fn uuid() -> Step<'static> {
        text_value(uuid::Uuid::new_v4().to_string())
    }

    /// `$parse(text)`: the JSON value, numbers as JSONata reads them.
    pub fn parse(value: J<'_>) -> Step<'static> {
        let Some(s) = text(&value)? else {
            return Ok(None);
        };
        let parsed: Value = serde_json::from_str(s).map_err(|_| Bail)?;
        if has_exact_integer(&parsed) {
            return Err(Bail);
        }
        owned(renumber(parsed))
    }

    /// Numbers as JSONata writes them (`1.0` is `1`), without recursion.
    fn renumber(mut value: Value) -> Value {
        let mut stack = vec![&mut value];
        while let Some(v) = stack.pop() {
            match v {
                Value::Number(n) => {
                    if let Some(f) = n.as_f64() {
                        *v = super::super::convert::number(f);
                    }
                }
                Value::Array(items) => stack.extend(items.iter_mut()),
                Value::Object(map) => stack.extend(map.values_mut()),
                _ => {}
            }
        }
        value
    }
}

/// Whether a value holds an integer JSONata cannot hold exactly (past 2^53).
fn has_exact_integer(value: &Value) -> bool {
    let mut stack = vec![value];
    while let Some(value) = stack.pop() {
        match value {
            Value::Number(n) if super::convert::inexact_in_f64(n) => return true,
            Value::Array(items) => stack.extend(items.iter()),
            Value::Object(map) => stack.extend(map.values()),
            _ => {}
        }
    }
    false
}

/// JSONata's `round(x, precision)` (what `$round` and `$formatNumber` use).
pub(super) fn jsonata_round(x: f64, precision: i64) -> f64 {
    let result = round_fast(x, precision).unwrap_or_else(|| round_by_text(x, precision));
    if result == 0.0 { 0.0 } else { result }
}

/// `$round(x, precision)` as JSONata computes it: the decimal point moved in the
/// number's text, half to even, moved back.
fn round_by_text(x: f64, precision: i64) -> f64 {
    let x = if precision != 0 {
        shift_decimal(x, precision)
    } else {
        x
    };
    let floor = x.floor();
    let mut result = if x - floor >= 0.5 { floor + 1.0 } else { floor };
    if (result - x).abs() == 0.5 && (result % 2.0).abs() == 1.0 {
        result -= 1.0;
    }
    if precision != 0 {
        result = shift_decimal(result, -precision);
    }
    result
}

/// `$round(x, precision)` without text, when that is sure to give JSONata's
/// answer: `x * 10^p` differs from the decimal shift of `x`'s shortest text by a
/// few units in the last place, so when it is not that close to a half, both
/// round to the same whole number `r`; and `r / 10^p` (exact powers of ten, `r`
/// below 2^53) is the correctly rounded value JSONata's shift back parses.
fn round_fast(x: f64, precision: i64) -> Option<f64> {
    const POWERS: [f64; 16] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
    ];
    let power = *POWERS.get(precision.unsigned_abs() as usize)?;
    let y = if precision >= 0 { x * power } else { x / power };
    if y.is_nan() || y.abs() >= 4_503_599_627_370_496.0 {
        return None;
    }
    let floor = y.floor();
    let fraction = y - floor;
    let margin = y.abs().max(1.0) * 1e-12;
    if (fraction - 0.5).abs() <= margin {
        return None;
    }
    let r = if fraction > 0.5 { floor + 1.0 } else { floor };
    Some(if precision >= 0 { r / power } else { r * power })
}

/// `x` with its decimal point moved `by` places right, as JSONata's `$round` does
/// it: in the number's shortest text (`1.005` by 2 is `100.5`, not
/// `1.005 * 100`), without a heap allocation.
fn shift_decimal(x: f64, by: i64) -> f64 {
    use std::io::Write as _;
    let mut buffer = ryu::Buffer::new();
    let text = buffer.format_finite(x);
    let (mantissa, exponent) = text.split_once('e').unwrap_or((text, "0"));
    let exponent = exponent.parse::<i64>().unwrap_or(0) + by;
    let mut out = [0u8; 64];
    let mut cursor = &mut out[..];
    if write!(cursor, "{mantissa}e{exponent}").is_err() {
        return f64::NAN;
    }
    let written = 64 - cursor.len();
    std::str::from_utf8(&out[..written])
        .ok()
        .and_then(|t| t.parse().ok())
        .unwrap_or(f64::NAN)
}

/// Typed steps: generated code keeps a subtree that can only be a number (a
/// literal, arithmetic, `-x`) as `Option<f64>` and a comparison as
/// `Option<bool>`, making a JSON value only where one is needed. Each gives the
/// same answer as the value helpers above.
pub mod typed {
    use super::*;

    /// A value read as a number operand: nothing stays nothing; anything but a
    /// number bails (JSONata's T2001/T2002, T2009/T2010).
    #[inline]
    pub fn to_number(value: J<'_>) -> Result<Option<f64>, Bail> {
        number_of(&value)
    }

    /// [`super::arithmetic`] on numbers.
    #[inline]
    pub fn arithmetic(op: BinaryOp, l: Option<f64>, r: Option<f64>) -> Result<Option<f64>, Bail> {
        let (Some(l), Some(r)) = (l, r) else {
            return Ok(None);
        };
        let n = match op {
            BinaryOp::Add => l + r,
            BinaryOp::Subtract => l - r,
            BinaryOp::Multiply => l * r,
            BinaryOp::Divide => l / r,
            BinaryOp::Modulo => l % r,
            _ => return Err(Bail),
        };
        if n.is_finite() {
            Ok(Some(n))
        } else {
            Err(Bail)
        }
    }

    /// [`super::negate`] on a number.
    #[inline]
    pub fn negate(x: Option<f64>) -> Result<Option<f64>, Bail> {
        Ok(x.map(|x| -x))
    }

    /// [`super::compare`] on numbers: nothing when either side is nothing.
    #[inline]
    pub fn compare(op: BinaryOp, l: Option<f64>, r: Option<f64>) -> Result<Option<bool>, Bail> {
        let (Some(l), Some(r)) = (l, r) else {
            return Ok(None);
        };
        Ok(Some(match op {
            BinaryOp::Less => l < r,
            BinaryOp::LessOrEqual => l <= r,
            BinaryOp::Greater => l > r,
            BinaryOp::GreaterOrEqual => l >= r,
            _ => return Err(Bail),
        }))
    }

    /// A typed number back as a step.
    #[inline]
    pub fn from_number(n: Option<f64>) -> J<'static> {
        n.and_then(number)
    }

    /// A typed boolean back as a step.
    #[inline]
    pub fn from_bool(b: Option<bool>) -> J<'static> {
        b.and_then(boolean)
    }

    /// JSONata's truthiness of a number (nothing is false).
    #[inline]
    pub fn number_truthy(n: Option<f64>) -> bool {
        n.is_some_and(|n| n != 0.0)
    }
}

/// Locals of the tree walker: the lambda parameters in scope, innermost first.
struct Locals<'p> {
    names: &'p [String],
    values: [Option<&'p Value>; 4],
    parent: Option<&'p Locals<'p>>,
}

impl<'p> Locals<'p> {
    fn get(&self, name: &str) -> Option<&'p Value> {
        let mut frame = Some(self);
        while let Some(f) = frame {
            if let Some(i) = f.names.iter().position(|n| n == name) {
                return f.values[i];
            }
            frame = f.parent;
        }
        None
    }
}

/// Walks a parsed expression: what generated code does for the same tree, for
/// expressions only known at run time.
pub fn eval_tree(tree: &Expr, scope: &JsonataScope<'_>) -> Result<Option<Value>, Bail> {
    let cx = Cx::new(*scope);
    finish(eval(tree, &cx, None)?)
}

/// `$map(array, lambda)` or `$filter(array, lambda)`; `tail` as in `sequence`.
fn map_or_filter<'v>(
    function: Function,
    args: &[Expr],
    cx: &Cx<'v>,
    locals: Option<&Locals<'v>>,
    tail: bool,
) -> Step<'v> {
    let (Some(array), Some(Expr::Lambda(params, body))) = (args.first(), args.get(1)) else {
        return Err(Bail);
    };
    let lambda = |item: &Value, i: usize, whole: &Value| {
        let index = Value::from(i);
        let frame = Locals {
            names: params,
            values: [Some(item), Some(&index), Some(whole), None],
            parent: locals,
        };
        // Only `$map` keeps what its lambda hands back; `$filter` reads its truth.
        finish(if function == Function::Map {
            eval_tail(body, cx, Some(&frame))?
        } else {
            eval(body, cx, Some(&frame))?
        })
    };
    let array = eval(array, cx, locals)?;
    if function == Function::Map {
        functions::map(array, lambda, tail)
    } else {
        functions::filter(array, lambda, tail)
    }
}

/// `test ? then : otherwise`, the chosen branch evaluated by `branch` (`eval`, or
/// `eval_tail` in a lambda's tail position).
fn condition<'v>(
    test: &Expr,
    then: &Expr,
    otherwise: Option<&Expr>,
    cx: &Cx<'v>,
    locals: Option<&Locals<'v>>,
    branch: fn(&Expr, &Cx<'v>, Option<&Locals<'v>>) -> Step<'v>,
) -> Step<'v> {
    if truthy(&eval(test, cx, locals)?) {
        branch(then, cx, locals)
    } else {
        otherwise.map_or(Ok(None), |o| branch(o, cx, locals))
    }
}

/// A lambda's body: a `$map`, `$filter` or `$keys` call in tail position keeps
/// its sequence as it is (see `sequence`).
fn eval_tail<'v>(e: &Expr, cx: &Cx<'v>, locals: Option<&Locals<'v>>) -> Step<'v> {
    match e {
        Expr::Condition(test, then, otherwise) => {
            condition(test, then, otherwise.as_deref(), cx, locals, eval_tail)
        }
        Expr::Call(Function::Keys, args) => match args.first() {
            Some(a) => functions::keys(eval(a, cx, locals)?, true),
            None => Ok(None),
        },
        Expr::Call(function @ (Function::Map | Function::Filter), args) => {
            map_or_filter(*function, args, cx, locals, true)
        }
        other => eval(other, cx, locals),
    }
}

fn eval<'v>(e: &Expr, cx: &Cx<'v>, locals: Option<&Locals<'v>>) -> Step<'v> {
    use functions as f;
    let arg = |i: usize, args: &[Expr]| -> Step<'v> {
        match args.get(i) {
            Some(a) => eval(a, cx, locals),
            None => Ok(None),
        }
    };
    Ok(match e {
        Expr::Null => null(),
        Expr::Bool(b) => boolean(*b),
        Expr::Number(n) => number(*n),
        Expr::String(s) => string(s),
        Expr::Path {
            root,
            root_index,
            steps,
        } => {
            let root = match root {
                Root::States(member) => cx.states(*member),
                Root::Variable(name) => cx.variable(name),
                Root::Local(name) => locals.and_then(|l| l.get(name)),
            };
            if root_index.is_none() && steps.iter().all(|s| s.index.is_none()) {
                let steps: Vec<&str> = steps.iter().map(|s| s.name.as_str()).collect();
                path(root, &steps)
            } else {
                let steps: Vec<(&str, Option<f64>)> =
                    steps.iter().map(|s| (s.name.as_str(), s.index)).collect();
                indexed_path(root, *root_index, &steps)
            }
        }
        Expr::Index(inner, n) => index(eval(inner, cx, locals)?, *n),
        Expr::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                let value = eval(item, cx, locals)?;
                if matches!(item, Expr::Array(_)) {
                    push_array(&mut out, value);
                } else {
                    push(&mut out, value);
                }
            }
            array(out)
        }
        Expr::Object(members) => {
            let mut out = Map::with_capacity(members.len());
            for (key, value) in members {
                put(&mut out, key, eval(value, cx, locals)?);
            }
            object(out)
        }
        Expr::Negate(x) => negate(eval(x, cx, locals)?)?,
        Expr::Binary(op, l, r) => match op {
            BinaryOp::And => {
                boolean(truthy(&eval(l, cx, locals)?) && truthy(&eval(r, cx, locals)?))
            }
            BinaryOp::Or => boolean(truthy(&eval(l, cx, locals)?) || truthy(&eval(r, cx, locals)?)),
            BinaryOp::Equal | BinaryOp::NotEqual => {
                equality(*op, eval(l, cx, locals)?, eval(r, cx, locals)?)
            }
            BinaryOp::Less
            | BinaryOp::LessOrEqual
            | BinaryOp::Greater
            | BinaryOp::GreaterOrEqual => compare(*op, eval(l, cx, locals)?, eval(r, cx, locals)?)?,
            BinaryOp::Concat => concat(eval(l, cx, locals)?, eval(r, cx, locals)?)?,
            _ => arithmetic(*op, eval(l, cx, locals)?, eval(r, cx, locals)?)?,
        },
        Expr::Condition(test, then, otherwise) => {
            condition(test, then, otherwise.as_deref(), cx, locals, eval)?
        }
        Expr::Call(function, args) => match function {
            Function::Map | Function::Filter => map_or_filter(*function, args, cx, locals, false)?,
            Function::Reduce => {
                let Some(Expr::Lambda(params, body)) = args.get(1) else {
                    return Err(Bail);
                };
                let lambda = |acc: Option<&Value>, item: &Value, i: usize, whole: &Value| {
                    let index = Value::from(i);
                    let frame = Locals {
                        names: params,
                        values: [acc, Some(item), Some(&index), Some(whole)],
                        parent: locals,
                    };
                    // JSONata unwraps the accumulator wherever it is read, and the
                    // result: a tail call's sequence changes nothing here.
                    finish(eval(body, cx, Some(&frame))?)
                };
                f::reduce(arg(0, args)?, lambda, arg(2, args)?)?
            }
            Function::Now => f::now(cx)?,
            Function::Millis => f::millis(cx)?,
            Function::Uuid => f::uuid()?,
            other => {
                let (a, b, c) = (arg(0, args)?, arg(1, args)?, arg(2, args)?);
                call(*other, a, b, c)?
            }
        },
        Expr::Lambda(..) => return Err(Bail),
    })
}

/// The helper of a function that takes values only (all but `$map`, `$filter`,
/// `$reduce`, `$now`, `$millis` and `$uuid`), with up to three arguments.
fn call(function: Function, a: J<'_>, b: J<'_>, c: J<'_>) -> Step<'static> {
    use functions as f;
    match function {
        Function::String => f::string(a, b),
        Function::Number => f::number(a),
        Function::Boolean => f::boolean(a),
        Function::Not => f::not(a),
        Function::Exists => f::exists(a),
        Function::Round => f::round(a, b),
        Function::Floor => f::floor(a),
        Function::Ceil => f::ceil(a),
        Function::Abs => f::abs(a),
        Function::Sum => f::sum(a),
        Function::Max => f::max(a),
        Function::Min => f::min(a),
        Function::Average => f::average(a),
        Function::Count => f::count(a),
        Function::Append => f::append(a, b),
        Function::Join => f::join(a, b),
        Function::Length => f::length(a),
        Function::Uppercase => f::uppercase(a),
        Function::Lowercase => f::lowercase(a),
        Function::Trim => f::trim(a),
        Function::Substring => f::substring(a, b, c),
        Function::SubstringBefore => f::substring_before(a, b),
        Function::SubstringAfter => f::substring_after(a, b),
        Function::Contains => f::contains(a, b),
        Function::Split => f::split(a, b, c),
        Function::Keys => f::keys(a, false),
        Function::FormatNumber => f::format_number(a, b, c),
        Function::Merge => f::merge(a),
        Function::Partition => f::partition(a, b),
        Function::Range => f::range(a, b, c),
        Function::Hash => f::hash(a, b),
        Function::Random => f::random(a),
        Function::Parse => f::parse(a),
        Function::Map
        | Function::Filter
        | Function::Reduce
        | Function::Now
        | Function::Millis
        | Function::Uuid => Err(Bail),
    }
}

impl JsonataExpr {
    /// An expression the compiler turned into Rust: `function` evaluates it, and
    /// the full evaluator takes over when it bails (see the module docs).
    pub const fn compiled(source: &'static str, function: Compiled) -> Self {
        JsonataExpr {
            source: Cow::Borrowed(source),
            compiled: Some(function),
            parsed: std::sync::OnceLock::new(),
        }
    }

    /// Whether this expression runs natively (compiled, or a tree of the subset).
    pub fn is_native(&self) -> bool {
        self.compiled.is_some() || self.tree().is_some()
    }

    pub(super) fn tree(&self) -> Option<&Expr> {
        self.parsed()
            .tree
            .get_or_init(|| {
                super::cache::count_parse();
                asl_lang::jsonata::ast::parse(&self.source).ok()
            })
            .as_ref()
    }

    /// The tree walker's answer for an expression given as text, when it is in
    /// the native subset and does not bail.
    pub(super) fn evaluate_tree(&self, scope: &JsonataScope<'_>) -> Option<Option<Value>> {
        eval_tree(self.tree()?, scope).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths_follow_jsonata_sequences() {
        let data = json!({
            "a": [{"b": 1}, {"b": [2, 3]}, {"c": 4}, [{"b": 5}]],
            "one": [{"b": [7]}],
            "o": {"list": [1]},
        });
        let p = |steps: &[&str]| path(Some(&data), steps).map(Cow::into_owned);
        assert_eq!(p(&["a", "b"]), Some(json!([1, 2, 3, 5])));
        assert_eq!(p(&["a", "c"]), Some(json!(4)));
        assert_eq!(p(&["a", "x"]), None);
        // An array that is the last step's only value stays whole.
        assert_eq!(p(&["one", "b"]), Some(json!([7])));
        assert_eq!(p(&["o", "list"]), Some(json!([1])));
        assert_eq!(p(&["o", "list", "x"]), None);
        let q = |root_index: Option<f64>, steps: &[(&str, Option<f64>)]| {
            indexed_path(Some(&data), root_index, steps).map(Cow::into_owned)
        };
        assert_eq!(q(None, &[("a", Some(0.0))]), Some(json!({"b": 1})));
        assert_eq!(q(None, &[("a", Some(-1.0)), ("b", None)]), Some(json!(5)));
        // The index applies to each `b`: the first of `[2, 3]` and the lone 1 and 5.
        assert_eq!(
            q(None, &[("a", None), ("b", Some(0.0))]),
            Some(json!([1, 2, 5]))
        );
        assert_eq!(
            q(None, &[("one", Some(0.0)), ("b", None)]),
            Some(json!([7]))
        );
        assert_eq!(q(None, &[("a", Some(9.0))]), None);
        assert_eq!(
            index(Some(Cow::Owned(json!(["x", "y"]))), -1.0),
            Some(Cow::Owned(json!("y")))
        );
        assert_eq!(
            index(Some(Cow::Owned(json!("x"))), 0.0),
            Some(Cow::Owned(json!("x")))
        );
        assert_eq!(index(Some(Cow::Owned(json!("x"))), 1.0), None);
    }

    #[test]
    fn numbers_are_written_as_javascript_does() {
        for (n, text) in [
            (1.0, "1"),
            (-2.5, "-2.5"),
            (1e21, "1e+21"),
            (1e20, "100000000000000000000"),
            (0.000001, "0.000001"),
            (1.5e-7, "1.5e-7"),
            (0.1 + 0.2, "0.3"),
            (123456789012345680.0, "123456789012346000"),
        ] {
            assert_eq!(number_text(n), text);
        }
    }

    #[test]
    fn rounding_without_text_agrees_with_rounding_by_text() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(15);
        let mut fast = 0;
        for i in 0..200_000 {
            let x: f64 = match i % 4 {
                0 => rng.random_range(-1e6..1e6),
                1 => (rng.random_range(-100_000i64..100_000) as f64) / 1000.0 + 0.0005,
                2 => rng.random_range(-10.0..10.0),
                _ => (rng.random_range(0..10_000) as f64) * 0.005,
            };
            let precision = rng.random_range(-3..=6);
            if let Some(quick) = round_fast(x, precision) {
                fast += 1;
                assert_eq!(
                    quick,
                    round_by_text(x, precision),
                    "$round({x}, {precision})"
                );
            }
        }
        assert!(fast > 150_000, "the fast path ran {fast} times");
    }

    #[test]
    fn round_is_half_to_even() {
        let r = |x: f64, p: Option<f64>| {
            functions::round(number(x), p.and_then(number))
                .unwrap()
                .map(Cow::into_owned)
        };
        assert_eq!(r(2.5, None), Some(json!(2)));
        assert_eq!(r(3.5, None), Some(json!(4)));
        assert_eq!(r(-2.5, None), Some(json!(-2)));
        assert_eq!(r(1.005, Some(2.0)), Some(json!(1)));
        assert_eq!(r(12.345, Some(2.0)), Some(json!(12.34)));
        assert_eq!(r(1250.0, Some(-2.0)), Some(json!(1200)));
    }
}
