//! Micro-benchmarks of the data-flow hot path: what a generated state does per
//! transition. Run: `cargo bench -p asl-runtime --bench dataflow`.
//!
//! Paths are `const` data and templates are built with the calls generated code
//! makes, so the numbers include no parsing: a reference-path read, a
//! `ResultPath` write, a 3-level payload template with paths and an intrinsic,
//! `States.Format`, a precompiled indefinite JSONPath query, a Choice comparison
//! and the input/output chain of a state.

use std::hint::black_box;

// What generated code calls, reached as generated code reaches it.
use asl_runtime::__private::{Cmp, JsonPathQuery, ReferencePath, Root, Segment, choice, field};
use asl_runtime::intrinsics;
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use serde_json::{Map, Value, json};

const DEEP: ReferencePath = ReferencePath::from_static(
    Root::Input,
    &[
        Segment::Field("cluster"),
        Segment::Field("nodegroups"),
        Segment::Index(2),
        Segment::Field("status"),
    ],
    "$.cluster.nodegroups[2].status",
);

const RESULT_AT: ReferencePath = ReferencePath::from_static(
    Root::Input,
    &[Segment::Field("results"), Segment::Field("describe")],
    "$.results.describe",
);

const NAME: ReferencePath = ReferencePath::from_static(
    Root::Input,
    &[Segment::Field("cluster"), Segment::Field("name")],
    "$.cluster.name",
);
const EXEC_ID: ReferencePath = ReferencePath::from_static(
    Root::Context,
    &[Segment::Field("Execution"), Segment::Field("Id")],
    "$$.Execution.Id",
);
const VERSION: ReferencePath = ReferencePath::from_static(
    Root::Input,
    &[Segment::Field("cluster"), Segment::Field("version")],
    "$.cluster.version",
);

const CLUSTER: ReferencePath =
    ReferencePath::from_static(Root::Input, &[Segment::Field("cluster")], "$.cluster");
const JUST_NAME: ReferencePath =
    ReferencePath::from_static(Root::Input, &[Segment::Field("name")], "$.name");
const STATUS: ReferencePath =
    ReferencePath::from_static(Root::Input, &[Segment::Field("status")], "$.status");

/// Three levels, `{ClusterName, ExecutionId, Job: {Label, Spec: {...}}}`, with
/// paths, `$$` and `States.Format`, built as generated code builds it.
fn template(input: &Value, context: &Value) -> Result<Value, asl_runtime::Error> {
    let mut spec = Map::with_capacity(3);
    spec.insert("BackoffLimit".into(), Value::from(0));
    spec.insert("Version".into(), field("Version", &VERSION, input)?);
    spec.insert("Containers".into(), json!(["busybox", "sleep"]));
    let mut job = Map::with_capacity(2);
    let label = intrinsics::format(
        &["cluster ", " (", ")"],
        &[
            field("Label", &NAME, input)?,
            field("Label", &VERSION, input)?,
        ],
    )?;
    job.insert("Label".into(), Value::String(label));
    job.insert("Spec".into(), Value::Object(spec));
    let mut top = Map::with_capacity(3);
    top.insert("ClusterName".into(), field("ClusterName", &NAME, input)?);
    top.insert(
        "ExecutionId".into(),
        field("ExecutionId", &EXEC_ID, context)?,
    );
    top.insert("Job".into(), Value::Object(job));
    Ok(Value::Object(top))
}

static STATUSES: JsonPathQuery = JsonPathQuery::new("$.cluster.nodegroups[*].status");

fn input() -> Value {
    json!({
        "cluster": {
            "name": "eks-demo",
            "version": "1.31",
            "nodegroups": [
                {"name": "a", "status": "ACTIVE", "size": 2},
                {"name": "b", "status": "CREATING", "size": 3},
                {"name": "c", "status": "ACTIVE", "size": 1}
            ]
        },
        "results": {"create": {"ok": true}}
    })
}

fn benches(c: &mut Criterion) {
    let input = input();
    let context =
        json!({"Execution": {"Id": "arn:aws:states:us-east-1:111111111111:execution:sm:run-1"}});

    c.bench_function("reference_path_read", |b| {
        b.iter(|| black_box(DEEP.get(black_box(&input))))
    });

    c.bench_function("result_path_write", |b| {
        b.iter_batched(
            || (input.clone(), json!({"status": "ACTIVE"})),
            |(raw, result)| black_box(RESULT_AT.apply_result(raw, result)),
            BatchSize::SmallInput,
        )
    });

    c.bench_function("payload_template_3_levels", |b| {
        b.iter(|| black_box(template(black_box(&input), black_box(&context))))
    });

    c.bench_function("states_format", |b| {
        let args = [json!("eks-demo"), json!(1.31)];
        b.iter(|| {
            black_box(intrinsics::format(
                black_box(&["cluster ", " (", ")"]),
                black_box(&args),
            ))
        })
    });

    c.bench_function("choice_numeric_less_than_path", |b| {
        let v = json!({"i": 41, "n": 50_000});
        b.iter(|| {
            black_box(choice::numeric(
                black_box(&v["i"]),
                Cmp::Lt,
                black_box(&v["n"]),
            ))
        })
    });

    c.bench_function("dataflow_chain", |b| {
        b.iter_batched(
            || {
                (
                    input.clone(),
                    json!({"status": "ACTIVE", "arn": "arn:aws:eks:us-east-1:1:cluster/x"}),
                )
            },
            |(raw, result)| {
                // InputPath → Parameters → ResultSelector → ResultPath, one level
                // each, with the calls generated code makes.
                let run = || -> Result<Value, asl_runtime::Error> {
                    let effective = CLUSTER.select(&raw)?;
                    let mut params = Map::with_capacity(1);
                    params.insert("Name".into(), field("Name", &JUST_NAME, effective)?);
                    let mut selected = Map::with_capacity(1);
                    selected.insert("Status".into(), field("Status", &STATUS, &result)?);
                    RESULT_AT.apply_result(raw.clone(), Value::Object(selected))
                };
                black_box(run())
            },
            BatchSize::SmallInput,
        )
    });

    c.bench_function("jsonpath_query_wildcard", |b| {
        b.iter(|| black_box(STATUSES.query(black_box(&input))))
    });
}

criterion_group!(dataflow, benches);
criterion_main!(dataflow);
