//! The runtime's data paths with adversarial values: reference paths (read and
//! `ResultPath` write) and full JSONPath from the corpus, every intrinsic
//! function, JSONata expressions (from the corpus, mutated), the payload and
//! depth limits (with values nested up to 100,000 levels), Choice's
//! `StringMatches` and timestamps. Values handed to the engine's walks stay within
//! what the engine admits (the depth limit plus a template's depth), as they do
//! in a run; the limits see deeper ones.

use std::collections::HashMap;

use asl_runtime::__private::{JsonPathQuery, ReferencePath};
use asl_runtime::intrinsics::{self, Intrinsic};
use asl_runtime::jsonata::{JsonataExpr, JsonataScope};
use asl_runtime::limits::PayloadLimit;
use rand::Rng;
use rand::rngs::StdRng;
use serde_json::{Map, Value, json};

use crate::corpus::Corpus;
use crate::mutate;

/// Compiled forms of the corpus's paths, built once (the runtime holds paths
/// as `'static` data, as generated code does).
pub struct Paths {
    references: Vec<ReferencePath>,
    queries: Vec<&'static JsonPathQuery>,
}

impl Paths {
    pub fn new(corpus: &Corpus) -> Self {
        let mut references = Vec::new();
        let mut queries = Vec::new();
        let mut seen = HashMap::new();
        for text in &corpus.paths {
            if seen.insert(text.clone(), ()).is_some() {
                continue;
            }
            match asl_build::expr_parse::parse_path(text) {
                Ok(asl_build::expr::Path::Reference(r)) => {
                    references.push(reference(&r));
                }
                Ok(asl_build::expr::Path::Query(q)) => {
                    let text: &'static str = Box::leak(q.query.clone().into_boxed_str());
                    queries.push(&*Box::leak(Box::new(JsonPathQuery::new(text))));
                }
                Err(_) => {}
            }
        }
        Paths {
            references,
            queries,
        }
    }
}

fn reference(r: &asl_build::expr::ReferencePath) -> ReferencePath {
    use asl_build::expr::{Root, Segment};
    let segments: Vec<asl_runtime::__private::Segment> = r
        .segments
        .iter()
        .map(|s| match s {
            Segment::Field(name) => {
                asl_runtime::__private::Segment::Field(Box::leak(name.clone().into_boxed_str()))
            }
            Segment::Index(i) => asl_runtime::__private::Segment::Index(*i),
        })
        .collect();
    let segments: &'static [asl_runtime::__private::Segment] =
        Box::leak(segments.into_boxed_slice());
    let text: &'static str = Box::leak(r.text.clone().into_boxed_str());
    match &r.root {
        Root::Input => ReferencePath::input(segments, text),
        Root::Context => ReferencePath::context(segments, text),
        Root::Variable(name) => {
            ReferencePath::variable(Box::leak(name.clone().into_boxed_str()), segments, text)
        }
    }
}

/// A random value: deep, wide, long strings, odd numbers, at most `depth` levels
/// and about 2,000 nodes.
pub fn value(rng: &mut StdRng, depth: usize) -> Value {
    let mut budget = 2_000usize;
    grow(rng, depth, &mut budget)
}

fn grow(rng: &mut StdRng, depth: usize, budget: &mut usize) -> Value {
    let leaf = |rng: &mut StdRng| -> Value {
        match rng.random_range(0..10) {
            0 => Value::Null,
            1 => Value::Bool(rng.random()),
            2 => json!(rng.random::<i64>()),
            3 => json!(u64::MAX),
            4 => json!(rng.random::<f64>() * 1e300),
            5 => json!(-0.0),
            6 => json!("x".repeat(rng.random_range(0..5_000))),
            7 => json!("é\u{0}\"\\{}\u{1F600}"),
            8 => json!("2016-03-14T01:59:00Z"),
            _ => json!(rng.random_range(-10i64..10)),
        }
    };
    if depth == 0 || *budget == 0 || rng.random_bool(0.35) {
        return leaf(rng);
    }
    *budget -= 1;
    match rng.random_range(0..5) {
        0 => {
            // A chain: one long path down.
            let mut v = leaf(rng);
            for _ in 0..rng.random_range(1..=depth) {
                v = if rng.random_bool(0.5) {
                    Value::Array(vec![v])
                } else {
                    object_a(v)
                };
            }
            v
        }
        1 | 2 => {
            let n = rng.random_range(0..6);
            Value::Array((0..n).map(|_| grow(rng, depth - 1, budget)).collect())
        }
        _ => {
            let n = rng.random_range(0..6);
            let mut map = Map::new();
            for i in 0..n {
                let key = ["a", "b", "items", "x", "Data", "pi", ""][i % 7].to_owned();
                map.insert(key, grow(rng, depth - 1, budget));
            }
            Value::Object(map)
        }
    }
}

/// `{"a": v}`, moving `v` in (`json!` would serialize it: a recursion over `v`).
fn object_a(v: Value) -> Value {
    let mut map = Map::with_capacity(1);
    map.insert("a".into(), v);
    Value::Object(map)
}

/// `[[...]]` or `{"a": {...}}` nested `depth` levels, without recursion.
pub fn chain(depth: usize) -> Value {
    let mut v = json!(0);
    for i in 0..depth {
        v = if i % 2 == 0 {
            Value::Array(vec![v])
        } else {
            object_a(v)
        };
    }
    v
}

/// One input: one operation of the runtime on adversarial values.
pub fn one(corpus: &Corpus, paths: &Paths, rng: &mut StdRng, last_input: Option<&std::path::Path>) {
    let input = value(rng, 150);
    match rng.random_range(0..7) {
        0 => {
            let mut text = corpus.expressions[rng.random_range(0..corpus.expressions.len())]
                .as_bytes()
                .to_vec();
            let count = rng.random_range(0..4);
            mutate::many(rng, &mut text, &[], count);
            // No definition holds an expression over 1 MB (AWS's definition limit).
            text.truncate(1 << 20);
            let text = String::from_utf8_lossy(&text).into_owned();
            crate::remember(last_input, text.as_bytes());
            let context = json!({"Execution": {"Id": "x"}, "State": {"Name": "S"}});
            let mut variables = Map::new();
            variables.insert("x".into(), value(rng, 20));
            let scope = JsonataScope::new(&input, &context).with_variables(&variables);
            let _ = JsonataExpr::owned(text).evaluate(&scope);
        }
        1 => {
            let function = Intrinsic::ALL[rng.random_range(0..Intrinsic::ALL.len())];
            let n = rng.random_range(0..5);
            let mut args: Vec<Value> = (0..n).map(|_| value(rng, 40)).collect();
            if function == Intrinsic::Format && !args.is_empty() && rng.random_bool(0.8) {
                args[0] = json!(["{}", "\\{}", "{} {}", "{", "\\\\{}"][rng.random_range(0..5)]);
            }
            crate::remember(last_input, format!("{function:?} {args:?}").as_bytes());
            let _ = intrinsics::call(function, &args);
        }
        2 if !paths.references.is_empty() => {
            let path = &paths.references[rng.random_range(0..paths.references.len())];
            crate::remember(last_input, path.text.as_bytes());
            let _ = path.get(&input);
            let _ = path.apply_result(input.clone(), value(rng, 20));
        }
        3 if !paths.queries.is_empty() => {
            let query = paths.queries[rng.random_range(0..paths.queries.len())];
            crate::remember(last_input, query.text().as_bytes());
            let _ = query.query(&input);
        }
        4 => {
            // The limits meet values of any depth: they must bound their own walk
            // and take a too-deep value apart without recursion.
            let depth = [10, 128, 129, 1_000, 100_000][rng.random_range(0..5)];
            crate::remember(last_input, format!("chain {depth}").as_bytes());
            let limit = [PayloadLimit::AWS, PayloadLimit::UNLIMITED][rng.random_range(0..2)];
            let _ = limit.check("S", "returned a result", chain(depth));
            let _ = limit.check_execution_input(chain(depth));
        }
        5 => {
            let pattern = ["*", "\\*", "a*b*c*d*e*f*g*h*", "**********x", "é*", "\\"]
                [rng.random_range(0..6)]
            .repeat(rng.random_range(1..50));
            let text = json!("a".repeat(rng.random_range(0..2_000)));
            crate::remember(last_input, pattern.as_bytes());
            let _ = asl_runtime::__private::choice::string_matches(&text, &pattern);
        }
        _ => {
            let mut text = b"2016-03-14T01:59:00.123456789+01:00".to_vec();
            let count = rng.random_range(1..4);
            mutate::many(rng, &mut text, &[], count);
            let text = String::from_utf8_lossy(&text).into_owned();
            crate::remember(last_input, text.as_bytes());
            let _ = asl_lang::timestamp::parse(&text);
        }
    }
    asl_runtime::limits::dismantle(input);
}
