//! Micro-benchmarks of the data-flow hot path: what a generated state does per
//! transition. Run: `cargo bench -p asl-runtime --bench dataflow`.
//!
//! Everything is built as `static`/`const` data, as generated code holds it, so
//! the numbers include no parsing: a reference-path read, a `ResultPath` write, a
//! 3-level payload template with paths and an intrinsic, `States.Format`, and a
//! precompiled indefinite JSONPath query, a Choice comparison and the whole
//! input/output chain of a state.

use std::borrow::Cow;
use std::hint::black_box;

use asl_runtime::choice::{self, Cmp};
use asl_runtime::dataflow::{DataFlow, PathField, ResultPathField};
use asl_runtime::intrinsics::{self, Intrinsic};
use asl_runtime::jsonpath::JsonPathQuery;
use asl_runtime::path::{ReferencePath, Root, Segment};
use asl_runtime::template::{Arg, Call, Scope, Template};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use serde_json::{Value, json};

const DEEP: ReferencePath = ReferencePath::from_static(
    Root::Input,
    &[
        Segment::Field(Cow::Borrowed("cluster")),
        Segment::Field(Cow::Borrowed("nodegroups")),
        Segment::Index(2),
        Segment::Field(Cow::Borrowed("status")),
    ],
    "$.cluster.nodegroups[2].status",
);

const RESULT_AT: ReferencePath = ReferencePath::from_static(
    Root::Input,
    &[
        Segment::Field(Cow::Borrowed("results")),
        Segment::Field(Cow::Borrowed("describe")),
    ],
    "$.results.describe",
);

const NAME: ReferencePath = ReferencePath::from_static(
    Root::Input,
    &[
        Segment::Field(Cow::Borrowed("cluster")),
        Segment::Field(Cow::Borrowed("name")),
    ],
    "$.cluster.name",
);
const EXEC_ID: ReferencePath = ReferencePath::from_static(
    Root::Context,
    &[
        Segment::Field(Cow::Borrowed("Execution")),
        Segment::Field(Cow::Borrowed("Id")),
    ],
    "$$.Execution.Id",
);
const VERSION: ReferencePath = ReferencePath::from_static(
    Root::Input,
    &[
        Segment::Field(Cow::Borrowed("cluster")),
        Segment::Field(Cow::Borrowed("version")),
    ],
    "$.cluster.version",
);

static LABEL: Call = Call {
    function: Intrinsic::Format,
    args: &[Arg::Path(NAME), Arg::Path(VERSION)],
    format_pieces: Some(&["cluster ", " (", ")"]),
};

/// Three levels: `{ Job: { Spec: { Containers: [...] } } }` with paths, `$$` and an intrinsic.
static TEMPLATE: Template = Template::Object(&[
    ("ClusterName", Template::Path(NAME)),
    ("ExecutionId", Template::Path(EXEC_ID)),
    (
        "Job",
        Template::Object(&[
            ("Label", Template::Call(&LABEL)),
            (
                "Spec",
                Template::Object(&[
                    ("BackoffLimit", Template::Int(0)),
                    ("Version", Template::Path(VERSION)),
                    (
                        "Containers",
                        Template::Array(&[Template::Str("busybox"), Template::Str("sleep")]),
                    ),
                ]),
            ),
        ]),
    ),
]);

/// InputPath → Parameters → ResultSelector → ResultPath → OutputPath, one level each.
static FLOW: DataFlow = DataFlow {
    input_path: PathField::Path(ReferencePath::from_static(
        Root::Input,
        &[Segment::Field(Cow::Borrowed("cluster"))],
        "$.cluster",
    )),
    parameters: Some(Template::Object(&[(
        "Name",
        Template::Path(ReferencePath::from_static(
            Root::Input,
            &[Segment::Field(Cow::Borrowed("name"))],
            "$.name",
        )),
    )])),
    result_selector: Some(Template::Object(&[(
        "Status",
        Template::Path(ReferencePath::from_static(
            Root::Input,
            &[Segment::Field(Cow::Borrowed("status"))],
            "$.status",
        )),
    )])),
    result_path: ResultPathField::Path(RESULT_AT),
    output_path: PathField::Absent,
};

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
        let scope = Scope {
            input: &input,
            context: &context,
            variables: None,
        };
        b.iter(|| black_box(TEMPLATE.eval(black_box(&scope))))
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
                let effective = FLOW.effective_input(&raw, &Value::Null, None);
                black_box((effective, FLOW.output(raw, result, &Value::Null, None)))
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
