//! How long `asl!` takes to expand a workflow (load, check, generate tokens),
//! and to format it as the build.rs route does: the EKS sample and a generated
//! 1,000-state workflow (`cargo bench -p asl-tests --bench expansion`).

use asl_build::codegen::{Options, compile};
use criterion::{Criterion, criterion_group, criterion_main};

/// 1,000 states: Pass states with a Parameters template and an intrinsic, and
/// every tenth a Choice that may skip ahead, ending in a Succeed.
pub fn thousand_states() -> String {
    let mut states = Vec::new();
    for i in 0..999 {
        let next = format!("S{}", i + 1);
        if i % 10 == 9 {
            let skip = format!("S{}", (i + 2).min(999));
            states.push(format!(
                r#""S{i}": {{"Type": "Choice", "Choices": [{{"Variable": "$.count", "NumericGreaterThan": {i}, "Next": "{skip}"}}], "Default": "{next}"}}"#
            ));
        } else {
            states.push(format!(
                r#""S{i}": {{"Type": "Pass", "Parameters": {{"count.$": "States.MathAdd($.count, 1)", "label.$": "States.Format('step {{}}', $.count)", "step": {i}}}, "ResultPath": "$.last", "OutputPath": "$.last", "Next": "{next}"}}"#
            ));
        }
    }
    states.push(r#""S999": {"Type": "Succeed"}"#.to_string());
    format!(
        "{{\"StartAt\": \"S0\", \"States\": {{\n{}\n}}}}",
        states.join(",\n")
    )
}

fn benches(c: &mut Criterion) {
    let eks = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/manage-eks-cluster.asl.json"
    ))
    .unwrap();
    let thousand = thousand_states();
    let options = Options::default();
    assert!(compile(thousand.as_bytes(), "thousand.asl.json", &options).is_ok());
    let mut group = c.benchmark_group("expansion");
    group.sample_size(20);
    group.bench_function("EKS sample: load+check+generate", |b| {
        b.iter(|| compile(&eks, "manage-eks-cluster.asl.json", &options).unwrap())
    });
    group.bench_function("1,000 states: load+check only (front end)", |b| {
        b.iter(|| asl_build::load(thousand.as_bytes(), "thousand.asl.json").unwrap())
    });
    group.bench_function("1,000 states: load+check+generate", |b| {
        b.iter(|| compile(thousand.as_bytes(), "thousand.asl.json", &options).unwrap())
    });
    group.bench_function("1,000 states: generate+format (build.rs route)", |b| {
        b.iter(|| {
            asl_build::builder::generate_file(thousand.as_bytes(), "thousand.asl.json", &options)
                .unwrap()
        })
    });
    group.finish();
}

criterion_group!(expansion_benches, benches);
criterion_main!(expansion_benches);
