//! Compiled workflows against hand-written Rust doing the same serde_json work,
//! in one run (`cargo bench -p asl-tests --bench workflows`):
//!
//! - the counter loop: a Pass with `States.MathAdd` and a Choice with
//!   `NumericLessThanPath`, two transitions per iteration, n = 50,000;
//! - an inline Map over 10,000 items: an ItemSelector reading `$$.Map.Item`, a
//!   Pass with `States.Format` and a Choice per item.
//!
//! The hand-written versions build the same JSON values state by state (new
//! objects in template order, the same intrinsic functions), so the difference
//! is what the compiled workflow adds: its engine (history ids, Retry/Catch
//! plumbing, the 256 KiB output check, the state loop).
//!
//! Both sides are timed from input to a dropped output. A workflow takes its
//! input by value, so the copy of the input it is given is made outside the
//! timed routine (`iter_batched`), as a caller that owns its input makes none;
//! the hand-written code only borrows it.

use asl::runtime::exec::Runtime;
use asl::runtime::intrinsics;
use asl::runtime::limits::PayloadLimit;
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use serde_json::{Map, Value, json};
use std::hint::black_box;

asl::asl!(Counter = "workflows/counter.asl.json");
asl::asl!(LabelItems = "workflows/map.asl.json");

const N: i64 = 50_000;
const ITEMS: usize = 10_000;

/// The counter workflow by hand: each Pass builds a new object, the Choice
/// compares two members.
fn counter_by_hand(input: &Value) -> Value {
    let n = input["n"].clone();
    let mut state = {
        let mut m = Map::with_capacity(2);
        m.insert("count".into(), Value::from(0));
        m.insert("n".into(), n);
        Value::Object(m)
    };
    loop {
        let mut m = Map::with_capacity(2);
        m.insert(
            "count".into(),
            intrinsics::math_add(&state["count"], &Value::from(1)).unwrap(),
        );
        m.insert("n".into(), state["n"].clone());
        state = Value::Object(m);
        let more = match (state["count"].as_f64(), state["n"].as_f64()) {
            (Some(c), Some(n)) => c < n,
            _ => false,
        };
        if !more {
            return state;
        }
    }
}

/// The Map workflow by hand: per item, the ItemSelector object, the formatted
/// label, the size chosen by the rule, in the same member order.
fn label_items_by_hand(input: &Value) -> Value {
    let prefix = &input["prefix"];
    let items = input["items"].as_array().unwrap();
    let mut out = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        let mut selected = Map::with_capacity(3);
        selected.insert("index".into(), Value::from(index));
        selected.insert("value".into(), item.clone());
        selected.insert("prefix".into(), prefix.clone());
        let selected = Value::Object(selected);
        let mut labelled = Map::with_capacity(3);
        let label = intrinsics::format(
            &["", "-", ""],
            &[selected["prefix"].clone(), selected["index"].clone()],
        )
        .unwrap();
        labelled.insert("label".into(), Value::String(label));
        labelled.insert("value".into(), selected["value"].clone());
        let big = labelled["value"].as_f64().is_some_and(|v| v >= 100.0);
        labelled.insert(
            "size".into(),
            Value::String(if big { "big" } else { "small" }.into()),
        );
        out.push(Value::Object(labelled));
    }
    Value::Array(out)
}

fn benches(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    // 10,000 labelled items are over AWS's 256 KiB output limit (the execution
    // would fail with States.DataLimitExceeded there, as it does here with the
    // default limit), so the runtime lifts it for this measurement; and the
    // 50,000-round counter writes 200,006 history events, over AWS's 25,000.
    let runtime = Runtime::builder()
        .data_limit(PayloadLimit::UNLIMITED)
        .history_limit(None)
        .build();

    let counter_input = json!({"n": N});
    assert_eq!(
        rt.block_on(Counter::run(&runtime, counter_input.clone()))
            .unwrap(),
        counter_by_hand(&counter_input)
    );
    let mut group = c.benchmark_group("counter loop (n = 50,000)");
    group.sample_size(20);
    group.bench_function("compiled workflow", |b| {
        b.iter_batched(
            || counter_input.clone(),
            |input| {
                drop(black_box(
                    rt.block_on(Counter::run(&runtime, input)).unwrap(),
                ))
            },
            BatchSize::SmallInput,
        )
    });
    group.bench_function("hand-written serde_json", |b| {
        b.iter(|| counter_by_hand(&counter_input))
    });
    group.finish();

    let items: Vec<Value> = (0..ITEMS).map(|i| Value::from((i * 37) % 200)).collect();
    let map_input = json!({"prefix": "item", "items": items});
    assert_eq!(
        rt.block_on(LabelItems::run(&runtime, map_input.clone()))
            .unwrap(),
        label_items_by_hand(&map_input)
    );
    let mut group = c.benchmark_group("inline Map (10,000 items)");
    group.sample_size(20);
    group.bench_function("compiled workflow", |b| {
        b.iter_batched(
            || map_input.clone(),
            |input| {
                drop(black_box(
                    rt.block_on(LabelItems::run(&runtime, input)).unwrap(),
                ))
            },
            BatchSize::SmallInput,
        )
    });
    group.bench_function("hand-written serde_json", |b| {
        b.iter(|| label_items_by_hand(&map_input))
    });
    group.finish();
}

criterion_group!(workflow_benches, benches);
criterion_main!(workflow_benches);
