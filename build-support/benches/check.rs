//! How long the front end takes to load and check a definition (parse, model,
//! every rule): the EKS sample, and a generated 1,000-state definition that uses
//! every state type, Retry/Catch, templates with paths and intrinsics, and Choice
//! rules; and the data-flow inference alone (`check::types`) on both.
//! `cargo bench -p asl-build --bench check`.

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

const EKS_SAMPLE: &[u8] = include_bytes!("../../examples/manage-eks-cluster.asl.json");

/// A valid definition of `n` states (n a multiple of 5) in a chain of
/// Task → Choice → Pass → Wait → Map blocks, with one Parallel at the end.
fn generated(n: usize) -> String {
    let mut states = Vec::with_capacity(n);
    let blocks = n / 5;
    for b in 0..blocks {
        let next = |k: usize| format!("S{}", b * 5 + k);
        let after = if b + 1 < blocks {
            format!("S{}", (b + 1) * 5)
        } else {
            "Done".to_string()
        };
        states.push(format!(
            r#""{}": {{"Type": "Task", "Resource": "arn:aws:states:::eks:call", "Parameters": {{"ClusterName": "c", "CertificateAuthority.$": "$.eks.Cluster.CertificateAuthority.Data", "Endpoint.$": "$.eks.Cluster.Endpoint", "Method": "GET", "Path": "/api/v1/namespaces/default/pods", "QueryParameters": {{"labelSelector": ["job-name=j{b}"]}}}}, "ResultSelector": {{"status.$": "$.ResponseBody.status"}}, "ResultPath": "$.r{b}", "Retry": [{{"ErrorEquals": ["EKS.401"], "MaxAttempts": 2, "BackoffRate": 2}}, {{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 3}}], "Catch": [{{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Failed"}}], "Next": "{}"}}"#,
            next(0),
            next(1)
        ));
        states.push(format!(
            r#""{}": {{"Type": "Choice", "Choices": [{{"And": [{{"Variable": "$.r{b}.status", "IsPresent": true}}, {{"Variable": "$.r{b}.status", "StringEquals": "Success"}}], "Next": "{}"}}, {{"Not": {{"Variable": "$.count", "NumericGreaterThanEqualsPath": "$.limit"}}, "Next": "{}"}}], "Default": "{}"}}"#,
            next(1),
            next(2),
            next(3),
            next(2)
        ));
        states.push(format!(
            r#""{}": {{"Type": "Pass", "Parameters": {{"message.$": "States.Format('block {{}} saw {{}}', $.n, $.r{b}.status)", "list.$": "States.Array($.a, $.b)", "nested": {{"id.$": "$$.Execution.Id", "items.$": "$.items[*].id"}}}}, "ResultPath": "$.p{b}", "Next": "{}"}}"#,
            next(2),
            next(3)
        ));
        states.push(format!(
            r#""{}": {{"Type": "Wait", "SecondsPath": "$.delay", "Next": "{}"}}"#,
            next(3),
            next(4)
        ));
        states.push(format!(
            r#""{}": {{"Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 4, "ItemSelector": {{"value.$": "$$.Map.Item.Value"}}, "ItemProcessor": {{"StartAt": "Item{b}", "States": {{"Item{b}": {{"Type": "Pass", "End": true}}}}}}, "ResultPath": "$.m{b}", "Next": "{after}"}}"#,
            next(4)
        ));
    }
    states.push(r#""Done": {"Type": "Parallel", "Branches": [{"StartAt": "Ok", "States": {"Ok": {"Type": "Succeed"}}}], "End": true}"#.to_string());
    states.push(
        r#""Failed": {"Type": "Fail", "Error": "Block.Failed", "CausePath": "$.error.Cause"}"#
            .to_string(),
    );
    format!(
        "{{\"Comment\": \"generated\", \"StartAt\": \"S0\", \"States\": {{\n{}\n}}}}",
        states.join(",\n")
    )
}

fn bench(c: &mut Criterion) {
    asl_build::load(EKS_SAMPLE, "manage-eks-cluster.asl.json").expect("the sample is valid");
    c.bench_function("check EKS sample", |b| {
        b.iter(|| asl_build::load(black_box(EKS_SAMPLE), "manage-eks-cluster.asl.json"))
    });

    let big = generated(1000);
    let machine =
        asl_build::load(big.as_bytes(), "generated.asl.json").unwrap_or_else(|d| panic!("{d}"));
    assert_eq!(machine.states.len(), 1002);
    c.bench_function("check generated 1,000-state definition", |b| {
        b.iter(|| asl_build::load(black_box(big.as_bytes()), "generated.asl.json"))
    });

    // The shape inference and its rules, on a loaded definition.
    let sample = asl_build::load(EKS_SAMPLE, "manage-eks-cluster.asl.json").expect("valid");
    let infer = |machine: &asl_build::model::StateMachine| {
        let mut sink = asl_build::Sink::new();
        asl_build::check::types::check_types(black_box(machine), &Default::default(), &mut sink);
        sink.is_empty()
    };
    assert!(infer(&sample) && infer(&machine));
    c.bench_function("infer the data flow of the EKS sample", |b| {
        b.iter(|| infer(&sample))
    });
    c.bench_function("infer the data flow of the 1,000-state definition", |b| {
        b.iter(|| infer(&machine))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
