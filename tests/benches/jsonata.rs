//! JSONata at native speed (`cargo bench -p asl-tests --bench jsonata`, or
//! `scripts/bench-jsonata` to compare with jsonata-js in the same run):
//!
//! - the workload: `{'sku': ..., 'total': $round(qty * price * 1.2, 2), 'tags':
//!   $uppercase($join(tags, ','))}` per item of 10,000, as one compiled
//!   expression (`asl::jsonata!`), as the same work written by hand over
//!   serde_json, through the full evaluator (jsonata-core, the expression parsed
//!   once), and as a whole JSONata Map workflow compiled with `asl!`;
//! - one expression per shape the compiler turns into Rust, the same three ways.
//!
//! Criterion reports time per iteration; the workload's iteration is all 10,000
//! items (its throughput line gives the time per item). The expressions and inputs
//! are those of `jsonata-shapes.json`, which the Node script
//! (`jsonata-js/bench.mjs`) reads: this bench checks that its copies match it, and
//! that each compiled expression gives the hand-written value.

use std::hint::black_box;
use std::time::Duration;

use asl::runtime::exec::Runtime;
use asl::runtime::jsonata::{JsonataExpr, JsonataScope};
use asl::runtime::limits::PayloadLimit;
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use serde_json::{Map, Value, json};

asl::asl!(PriceLines = "workflows/jsonata-map.asl.json");

const ITEMS: usize = 10_000;

/// The workload's items, as `bench.mjs` builds them.
fn items(n: usize) -> Vec<Value> {
    let tags = ["red", "large", "sale", "new"];
    (0..n)
        .map(|i| {
            json!({
                "sku": format!("SKU-{i}"),
                "qty": (i % 7) + 1,
                "price": (i % 100) as f64 + 0.99,
                "tags": tags[..(i % 4) + 1],
            })
        })
        .collect()
}

/// A number as JSON output writes it: whole numbers as integers.
fn num(n: f64) -> Value {
    if n.fract() == 0.0 && n.abs() < 9e15 {
        Value::from(n as i64)
    } else {
        Value::from(n)
    }
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap()
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// The workload by hand.
fn line_by_hand(item: &Value) -> Value {
    let mut out = Map::with_capacity(3);
    out.insert("sku".into(), item["sku"].clone());
    out.insert(
        "total".into(),
        num(round2(f(&item["qty"]) * f(&item["price"]) * 1.2)),
    );
    let tags: Vec<&str> = item["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    out.insert("tags".into(), Value::String(tags.join(",").to_uppercase()));
    Value::Object(out)
}

struct Shape {
    name: &'static str,
    text: &'static str,
    native: &'static JsonataExpr,
    by_hand: fn(&Value) -> Value,
}

macro_rules! shape {
    ($name:literal, $text:literal, $by_hand:expr) => {
        Shape {
            name: $name,
            text: $text,
            native: asl::jsonata!($text),
            by_hand: $by_hand,
        }
    };
}

fn shapes() -> Vec<Shape> {
    vec![
        shape!("path", "$states.input.customer.address.city", |v| {
            v["customer"]["address"]["city"].clone()
        }),
        shape!("path over an array", "$states.input.lines.amount", |v| {
            Value::Array(
                v["lines"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|l| l["amount"].clone())
                    .collect(),
            )
        }),
        shape!(
            "arithmetic",
            "$states.input.qty * $states.input.price * 1.2 - 5",
            |v| num(f(&v["qty"]) * f(&v["price"]) * 1.2 - 5.0)
        ),
        shape!(
            "comparison",
            "$states.input.qty > 3 and $states.input.sku != 'X'",
            |v| Value::Bool(f(&v["qty"]) > 3.0 && v["sku"] != "X")
        ),
        shape!(
            "concatenation",
            "$states.input.sku & '-' & $states.input.qty",
            |v| Value::String(format!("{}-{}", v["sku"].as_str().unwrap(), v["qty"]))
        ),
        shape!(
            "object constructor",
            "{'id': $states.input.sku, 'n': $states.input.qty, 'ok': true}",
            |v| {
                let mut m = Map::with_capacity(3);
                m.insert("id".into(), v["sku"].clone());
                m.insert("n".into(), v["qty"].clone());
                m.insert("ok".into(), Value::Bool(true));
                Value::Object(m)
            }
        ),
        shape!(
            "array constructor",
            "[$states.input.sku, $states.input.qty, $states.input.tags]",
            |v| {
                let mut a = vec![v["sku"].clone(), v["qty"].clone()];
                a.extend(v["tags"].as_array().unwrap().iter().cloned());
                Value::Array(a)
            }
        ),
        shape!(
            "condition",
            "$states.input.qty > 3 ? 'bulk' : 'single'",
            |v| Value::String(if f(&v["qty"]) > 3.0 { "bulk" } else { "single" }.into())
        ),
        shape!(
            "string functions",
            "$uppercase($join($states.input.tags, ','))",
            |v| {
                let tags: Vec<&str> = v["tags"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|t| t.as_str().unwrap())
                    .collect();
                Value::String(tags.join(",").to_uppercase())
            }
        ),
        shape!(
            "numeric functions",
            "$round($sum($states.input.lines.amount) * 1.2, 2)",
            |v| {
                let sum: f64 = v["lines"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|l| f(&l["amount"]))
                    .sum();
                num(round2(sum * 1.2))
            }
        ),
        shape!(
            "$map with a lambda",
            "$map($states.input.lines, function($l) { $l.amount * 2 })",
            |v| Value::Array(
                v["lines"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|l| num(f(&l["amount"]) * 2.0))
                    .collect()
            )
        ),
        shape!(
            "$filter with a lambda",
            "$filter($states.input.lines, function($l) { $l.amount > 10 })",
            |v| Value::Array(
                v["lines"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|l| f(&l["amount"]) > 10.0)
                    .cloned()
                    .collect()
            )
        ),
        shape!(
            "$reduce with a lambda",
            "$reduce($states.input.lines, function($acc, $l) { $acc + $l.amount }, 0)",
            |v| num(v["lines"]
                .as_array()
                .unwrap()
                .iter()
                .fold(0.0, |acc, l| acc + f(&l["amount"])))
        ),
    ]
}

fn benches(c: &mut Criterion) {
    let spec: Value = serde_json::from_str(include_str!("jsonata-shapes.json")).unwrap();
    let workload = asl::jsonata!(
        "{'sku': $states.input.sku, 'total': $round($states.input.qty * $states.input.price * 1.2, 2), 'tags': $uppercase($join($states.input.tags, ','))}"
    );
    assert_eq!(spec["workload"], workload.source());
    assert!(workload.is_native());
    let null = Value::Null;
    let evaluate = |expr: &JsonataExpr, input: &Value| {
        expr.evaluate(&JsonataScope::new(input, &null))
            .unwrap()
            .unwrap()
    };

    // The workload, per item of 10,000.
    let lines = items(ITEMS);
    let full = JsonataExpr::owned(workload.source());
    for item in &lines {
        assert_eq!(evaluate(workload, item), line_by_hand(item), "{item}");
    }
    let mut group = c.benchmark_group("jsonata workload (10,000 items)");
    group.throughput(Throughput::Elements(ITEMS as u64));
    group.sample_size(20);
    group.bench_function("compiled expression", |b| {
        b.iter(|| {
            for item in &lines {
                black_box(evaluate(workload, item));
            }
        })
    });
    group.bench_function("hand-written serde_json", |b| {
        b.iter(|| {
            for item in &lines {
                black_box(line_by_hand(item));
            }
        })
    });
    group.bench_function("full evaluator", |b| {
        b.iter(|| {
            for item in &lines {
                black_box(
                    full.evaluate_without_shortcut(&JsonataScope::new(item, &null))
                        .unwrap(),
                );
            }
        })
    });
    // The whole workflow: a JSONata Map with the expression in a Pass.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    // 10,000 lines are over AWS's 256 KiB output limit; lifted for the measurement.
    let runtime = Runtime::builder()
        .data_limit(PayloadLimit::UNLIMITED)
        .history_limit(None)
        .build();
    let map_input = json!({"items": lines});
    let expected = Value::Array(lines.iter().map(line_by_hand).collect());
    assert_eq!(
        rt.block_on(PriceLines::run(&runtime, map_input.clone()))
            .unwrap(),
        expected
    );
    group.bench_function("compiled Map workflow", |b| {
        b.iter_batched(
            || map_input.clone(),
            |input| {
                drop(black_box(
                    rt.block_on(PriceLines::run(&runtime, input)).unwrap(),
                ))
            },
            BatchSize::SmallInput,
        )
    });
    group.bench_function("hand-written Map", |b| {
        b.iter(|| {
            black_box(Value::Array(
                map_input["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(line_by_hand)
                    .collect(),
            ))
        })
    });
    group.finish();

    // One expression per compiled shape.
    let item = &spec["item"];
    for shape in shapes() {
        assert_eq!(
            spec["shapes"][shape.name], shape.text,
            "jsonata-shapes.json and this bench disagree on {}",
            shape.name
        );
        assert!(shape.native.is_native(), "{} is not compiled", shape.name);
        assert_eq!(
            evaluate(shape.native, item),
            (shape.by_hand)(item),
            "{}",
            shape.name
        );
        let full = JsonataExpr::owned(shape.text);
        let mut group = c.benchmark_group(format!("jsonata shape: {}", shape.name));
        group.warm_up_time(Duration::from_millis(500));
        group.measurement_time(Duration::from_secs(2));
        group.bench_function("compiled expression", |b| {
            b.iter(|| black_box(evaluate(shape.native, item)))
        });
        group.bench_function("hand-written serde_json", |b| {
            b.iter(|| black_box((shape.by_hand)(item)))
        });
        group.bench_function("full evaluator", |b| {
            b.iter(|| {
                black_box(
                    full.evaluate_without_shortcut(&JsonataScope::new(item, &null))
                        .unwrap(),
                )
            })
        });
        group.finish();
    }
    let names: Vec<&str> = shapes().iter().map(|s| s.name).collect();
    let listed = spec["shapes"].as_object().unwrap();
    assert_eq!(
        listed.len(),
        names.len(),
        "jsonata-shapes.json lists other shapes"
    );
}

criterion_group!(jsonata_benches, benches);
criterion_main!(jsonata_benches);
