//! One evaluation: values into jsonata-rs's arena and back (with member order
//! kept as AWS keeps it), limits of depth and time.

use super::*;
use crate::limits::MAX_DATA_DEPTH;

/// Where output objects get their member order from (see the module doc).
pub(super) struct Order<'s> {
    /// Objects and arrays converted from the input or a variable, by address in the
    /// arena.
    originals: HashMap<usize, &'s Value>,
    /// Whether an original may be handed back as it was (see `Prepared::transform`).
    reuse: bool,
    /// Every JSON value handed to the evaluator, in order, for ranking names.
    roots: Vec<&'s Value>,
    source: &'s str,
    rank: Option<HashMap<String, usize>>,
}

impl<'s> Order<'s> {
    pub(super) fn rank(&mut self) -> &HashMap<String, usize> {
        let (source, roots) = (self.source, &self.roots);
        self.rank.get_or_insert_with(|| {
            let mut rank = HashMap::new();
            for word in asl_lang::jsonata::lex(source).words {
                let next = rank.len();
                rank.entry(word).or_insert(next);
            }
            let mut stack: Vec<&Value> = roots.iter().rev().copied().collect();
            while let Some(value) = stack.pop() {
                match value {
                    Value::Object(map) => {
                        for key in map.keys() {
                            let next = rank.len();
                            rank.entry(key.clone()).or_insert(next);
                        }
                        stack.extend(map.values().rev());
                    }
                    Value::Array(items) => stack.extend(items.iter().rev()),
                    _ => {}
                }
            }
            rank
        })
    }
}

thread_local! {
    /// While an expression that lists members runs: the member order of each object
    /// converted from JSON, by its address in the arena.
    static KEY_ORDER: std::cell::RefCell<Option<HashMap<usize, Vec<String>>>> =
        const { std::cell::RefCell::new(None) };
}

/// Clears [`KEY_ORDER`] when the evaluation ends, even by unwinding.
pub(super) struct KeyOrderGuard;

impl Drop for KeyOrderGuard {
    fn drop(&mut self) {
        KEY_ORDER.with(|k| k.borrow_mut().take());
    }
}

/// The members of an object in their original order when it came from JSON, else
/// by name.
pub(super) fn ordered_entries<'a>(object: &'a JValue<'a>) -> Vec<(&'a str, &'a JValue<'a>)> {
    let JValue::Object(map) = object else {
        return Vec::new();
    };
    let address = object as *const JValue<'a> as usize;
    let known = KEY_ORDER.with(|k| {
        k.borrow()
            .as_ref()
            .and_then(|orders| orders.get(&address).cloned())
    });
    let mut entries: Vec<(&'a str, &'a JValue<'a>)> =
        map.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    match known {
        Some(keys) => entries.sort_by_key(|(k, _)| keys.iter().position(|x| x == k)),
        None => entries.sort_by(|a, b| a.0.cmp(b.0)),
    }
    entries
}

pub(super) fn evaluate_in<'s>(
    arena: &Bump,
    prepared: &Prepared,
    source: &'s str,
    scope: &JsonataScope<'s>,
) -> Result<Option<Value>, Failure> {
    let jsonata = JsonAta::new(&prepared.text, arena).map_err(|e| Failure::from_jsonata(&e))?;
    register_functions(&jsonata, &prepared.variables);

    let mut order = Order {
        originals: HashMap::new(),
        reuse: !prepared.transform,
        roots: Vec::new(),
        source,
        rank: None,
    };
    if prepared.variables.iter().any(|v| v == "states") {
        let states = JValue::object_with_capacity(arena, 4);
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
                    let partial = JValue::object_with_capacity(arena, keys.len());
                    for key in keys {
                        if let Some(member) = map.get(key) {
                            partial.insert(key, to_jsonata(arena, member, &mut order.originals));
                        }
                    }
                    partial
                }
                _ => to_jsonata(arena, value, &mut order.originals),
            };
            states.insert(name, converted);
            order.roots.push(value);
        }
        jsonata.assign_var("states", states);
    }
    if let Some(variables) = scope.variables {
        for name in &prepared.variables {
            if name == "states" {
                continue;
            }
            if let Some(value) = variables.get(name) {
                let converted = to_jsonata(arena, value, &mut order.originals);
                jsonata.assign_var(name, converted);
                order.roots.push(value);
            }
        }
    }

    let _guard = KeyOrderGuard;
    if prepared.needs_key_order {
        let orders = order
            .originals
            .iter()
            .filter_map(|(address, value)| {
                let map = value.as_object()?;
                Some((*address, map.keys().cloned().collect()))
            })
            .collect();
        KEY_ORDER.with(|k| *k.borrow_mut() = Some(orders));
    }
    // JSONata's test suite only: the evaluator takes the context item as text.
    let item = scope.context_item.map(Value::to_string);
    let result = jsonata
        .evaluate_timeboxed(item.as_deref(), Some(MAX_DEPTH), Some(TIME_LIMIT_MS))
        .map_err(|e| Failure::from_jsonata(&e))?;
    if result.is_undefined() {
        return Ok(None);
    }
    from_jsonata(result, &mut order, MAX_DATA_DEPTH).map(Some)
}

pub(super) fn to_jsonata<'a, 's>(
    arena: &'a Bump,
    value: &'s Value,
    originals: &mut HashMap<usize, &'s Value>,
) -> &'a JValue<'a> {
    match value {
        Value::Null => JValue::null(arena),
        Value::Bool(b) => JValue::bool(*b),
        Value::Number(n) => {
            let f = n.as_f64().unwrap_or(f64::NAN);
            let number: &'a JValue<'a> = JValue::number(arena, f);
            // An integer f64 cannot hold exactly is remembered, to be handed back
            // exact when it passes through unchanged.
            if inexact_in_f64(n) {
                originals.insert(number as *const JValue<'a> as usize, value);
            }
            number
        }
        Value::String(s) => JValue::string(arena, s),
        Value::Array(items) => {
            let array = JValue::array_with_capacity(arena, items.len(), ArrayFlags::empty());
            for item in items {
                array.push(to_jsonata(arena, item, originals));
            }
            let array: &'a JValue<'a> = array;
            originals.insert(array as *const JValue<'a> as usize, value);
            array
        }
        Value::Object(map) => {
            let object = JValue::object_with_capacity(arena, map.len());
            for (key, item) in map {
                object.insert(key, to_jsonata(arena, item, originals));
            }
            let object: &'a JValue<'a> = object;
            originals.insert(object as *const JValue<'a> as usize, value);
            object
        }
    }
}

/// The members of an array or range, or the value itself as a one-member sequence.
pub(super) fn members_of<'a>(value: &'a JValue<'a>) -> Vec<&'a JValue<'a>> {
    match value {
        JValue::Array(..) | JValue::Range(..) => value.members().collect(),
        _ => vec![value],
    }
}

/// Converts a result out of the arena into JSON, at most `budget` levels deep: an
/// expression can build data of any depth (`$reduce` nesting an object per item),
/// and the conversion's recursion must stay bounded.
pub(super) fn from_jsonata<'a>(
    value: &'a JValue<'a>,
    order: &mut Order<'_>,
    budget: usize,
) -> Result<Value, Failure> {
    if budget == 0
        && matches!(
            value,
            JValue::Array(..) | JValue::Range(..) | JValue::Object(_)
        )
    {
        return Err(Failure::Threw {
            code: "U1001".into(),
            message: format!(
                "The result nests arrays and objects more than {MAX_DATA_DEPTH} levels deep, the most a payload may have"
            ),
        });
    }
    let address = value as *const JValue<'a> as usize;
    let original = order.originals.get(&address).copied();
    if order.reuse
        && let Some(original) = original
    {
        // Handed back unchanged: the JSON it came from, exact (order, integers).
        return Ok(original.clone());
    }
    Ok(match value {
        JValue::Undefined | JValue::Null => Value::Null,
        JValue::Bool(b) => Value::Bool(*b),
        JValue::Number(n) => number(*n),
        JValue::String(s) => Value::String(s.to_string()),
        JValue::Array(..) | JValue::Range(..) => {
            let mut items = Vec::new();
            for member in value.members() {
                if member.is_undefined() {
                    continue;
                }
                items.push(from_jsonata(member, order, budget - 1)?);
            }
            Value::Array(items)
        }
        JValue::Object(map) => {
            let mut out = Map::with_capacity(map.len());
            if let Some(Value::Object(original)) = original {
                for key in original.keys() {
                    if let Some(member) = map.get(key.as_str())
                        && !member.is_undefined()
                    {
                        out.insert(key.clone(), from_jsonata(member, order, budget - 1)?);
                    }
                }
            }
            if out.len() < map.len() {
                let mut keys: Vec<&str> = map
                    .keys()
                    .map(|k| k.as_str())
                    .filter(|k| !out.contains_key(*k))
                    .collect();
                if keys.len() > 1 {
                    let rank = order.rank();
                    keys.sort_by(|a, b| {
                        let ra = rank.get(*a).copied().unwrap_or(usize::MAX);
                        let rb = rank.get(*b).copied().unwrap_or(usize::MAX);
                        ra.cmp(&rb).then_with(|| a.cmp(b))
                    });
                }
                for key in keys {
                    let member = map.get(key).copied().unwrap_or(JValue::undefined());
                    if member.is_undefined() {
                        continue;
                    }
                    out.insert(key.to_owned(), from_jsonata(member, order, budget - 1)?);
                }
            }
            Value::Object(out)
        }
        JValue::Regex(_)
        | JValue::Lambda { .. }
        | JValue::NativeFn { .. }
        | JValue::Transformer { .. } => return Err(Failure::UnsupportedResult),
    })
}

/// Whether `n` is an integer past 2^53, which an `f64` (JSONata's number) cannot
/// hold exactly.
pub(super) fn inexact_in_f64(n: &Number) -> bool {
    n.as_i64().is_some_and(|i| i.unsigned_abs() > 1 << 53)
        || n.as_u64().is_some_and(|u| u > 1 << 53)
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
