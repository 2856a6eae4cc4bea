//! Shape inference through the graph (`check::types`) and its rule
//! `asl::path-never-present`: one case that must be reported and one that
//! must not, per inference rule.

use asl_build::check::types::{Shape, infer};
use asl_build::{CheckOptions, load, load_with};

/// The data-flow diagnostics of `src` (`asl::path-never-present`,
/// `asl::type-never-matches`): (pointer, message).
fn never_present(src: &str) -> Vec<(String, String)> {
    never_present_with(src, &CheckOptions::allowing_undeclared())
}

fn never_present_with(src: &str, options: &CheckOptions) -> Vec<(String, String)> {
    match load_with(src.as_bytes(), "t.asl.json", options) {
        Ok(_) => Vec::new(),
        Err(d) => {
            let others: Vec<_> = d
                .iter()
                .filter(|d| {
                    d.rule != "asl::path-never-present" && d.rule != "asl::type-never-matches"
                })
                .collect();
            assert!(others.is_empty(), "other problems: {d}");
            d.iter()
                .map(|d| (d.origin.pointer.clone(), d.message.clone()))
                .collect()
        }
    }
}

/// Asserts exactly one diagnostic, at `pointer`, whose message contains `text`.
#[track_caller]
fn assert_one(src: &str, pointer: &str, text: &str) {
    let found = never_present(src);
    assert_eq!(found.len(), 1, "{found:?}\n{src}");
    assert_eq!(found[0].0, pointer, "{found:?}");
    assert!(found[0].1.contains(text), "{found:?}");
}

#[track_caller]
fn assert_none(src: &str) {
    let found = never_present(src);
    assert!(found.is_empty(), "{found:?}\n{src}");
}

fn def(states: &str) -> String {
    format!(r#"{{"StartAt": "A", "States": {{{states}}}}}"#)
}

#[test]
fn the_reference_sample_with_endpont() {
    let sample = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/manage-eks-cluster.asl.json"
    ))
    .unwrap();
    assert!(load(sample.as_bytes(), "sample.asl.json").is_ok());
    let typo = sample.replacen("$.eks.Cluster.Endpoint", "$.eks.Cluster.Endpont", 1);
    let err = load(typo.as_bytes(), "sample.asl.json").unwrap_err();
    assert_eq!(err.len(), 1, "{err}");
    let d = &err.items[0];
    assert_eq!(d.rule, "asl::path-never-present");
    assert_eq!(
        d.origin.pointer,
        "/States/Run a job on EKS/Parameters/Endpoint.$"
    );
    assert!(
        d.message
            .contains("Cluster has no field Endpont; did you mean Endpoint?"),
        "{err}"
    );
    // The inferred shape is in the help.
    let help = d.help.as_deref().unwrap_or_default();
    assert!(
        help.contains("Cluster is {") && help.contains("Endpoint?: string"),
        "{err}"
    );
    // Served by the program's own handler, the result is the handler's: unknown.
    let declared = CheckOptions::declaring(["arn:aws:states:::eks:createCluster.sync"]);
    let mut options = declared;
    options.allow_undeclared = true;
    assert!(never_present_with(&typo, &options).is_empty());
}

#[test]
fn the_execution_input_is_unknown() {
    assert_none(&def(
        r#""A": {"Type": "Pass", "Parameters": {"x.$": "$.anything.at[3].all"}, "End": true}"#,
    ));
}

#[test]
fn pass_result_is_known() {
    let src = |path: &str| {
        def(&format!(
            r#""A": {{"Type": "Pass", "Result": {{"order": {{"id": 7}}}}, "Next": "B"}},
               "B": {{"Type": "Pass", "Parameters": {{"x.$": "{path}"}}, "End": true}}"#
        ))
    };
    assert_none(&src("$.order.id"));
    assert_one(
        &src("$.order.ids"),
        "/States/B/Parameters/x.$",
        "order has no field ids; did you mean id?",
    );
    // A value of another kind.
    assert_one(
        &src("$.order.id.value"),
        "/States/B/Parameters/x.$",
        "id is a number, which has no value",
    );
}

#[test]
fn templates_make_closed_objects() {
    let src = |path: &str| {
        def(&format!(
            r#""A": {{"Type": "Pass", "Parameters": {{"name.$": "$.who", "tags": ["a"]}}, "Next": "B"}},
               "B": {{"Type": "Pass", "Parameters": {{"x.$": "{path}"}}, "End": true}}"#
        ))
    };
    assert_none(&src("$.name"));
    assert_none(&src("$.tags[0]"));
    assert_one(
        &src("$.who"),
        "/States/B/Parameters/x.$",
        "the input has no field who",
    );
    assert_one(
        &src("$.tags.a"),
        "/States/B/Parameters/x.$",
        "tags is an array",
    );
}

#[test]
fn result_path_merges_into_the_input() {
    let src = |result_path: &str, path: &str| {
        def(&format!(
            r#""A": {{"Type": "Pass", "Result": {{"ok": true}}, "ResultPath": {result_path}, "Next": "B"}},
               "B": {{"Type": "Pass", "Parameters": {{"x.$": "{path}"}}, "End": true}}"#
        ))
    };
    // The input is unknown: the rest of it stays unknown, the result is known.
    assert_none(&src(r#""$.r""#, "$.r.ok"));
    assert_none(&src(r#""$.r""#, "$.other"));
    assert_one(
        &src(r#""$.r""#, "$.r.ko"),
        "/States/B/Parameters/x.$",
        "r has no field ko",
    );
    // ResultPath null keeps the input (unknown).
    assert_none(&src("null", "$.ko"));
    // Default `$`: the result alone.
    assert_one(
        &src(r#""$""#, "$.ko"),
        "/States/B/Parameters/x.$",
        "the input has no field ko",
    );
}

#[test]
fn input_path_and_output_path() {
    let src = |io: &str, path: &str| {
        def(&format!(
            r#""A": {{"Type": "Pass", "Result": {{"a": {{"b": 1}}, "c": 2}}, "Next": "B"}},
               "B": {{"Type": "Pass", {io}, "Next": "C"}},
               "C": {{"Type": "Pass", "Parameters": {{"x.$": "{path}"}}, "End": true}}"#
        ))
    };
    assert_none(&src(r#""InputPath": "$.a""#, "$.b"));
    assert_one(
        &src(r#""InputPath": "$.a""#, "$.c"),
        "/States/C/Parameters/x.$",
        "the input has no field c",
    );
    // InputPath null: `{}`.
    assert_one(
        &src(r#""InputPath": null"#, "$.a"),
        "/States/C/Parameters/x.$",
        "the input has no field a",
    );
    assert_none(&src(r#""OutputPath": "$.a""#, "$.b"));
    assert_one(
        &src(r#""OutputPath": "$.a""#, "$.a"),
        "/States/C/Parameters/x.$",
        "the input has no field a",
    );
    // The paths themselves are checked.
    assert_one(
        &src(r#""InputPath": "$.z""#, "$.b"),
        "/States/B/InputPath",
        "the input has no field z",
    );
    assert_one(
        &src(r#""OutputPath": "$.z""#, "$.b"),
        "/States/B/OutputPath",
        "the output has no field z",
    );
}

#[test]
fn the_context_object_is_known() {
    let src = |path: &str| {
        def(&format!(
            r#""A": {{"Type": "Pass", "Parameters": {{"x.$": "{path}"}}, "End": true}}"#
        ))
    };
    assert_none(&src("$$.Execution.Id"));
    assert_none(&src("$$.Execution.Input.anything"));
    assert_one(
        &src("$$.Executon.Id"),
        "/States/A/Parameters/x.$",
        "did you mean Execution?",
    );
}

#[test]
fn a_catch_hands_on_error_and_cause() {
    let src = |result_path: &str, path: &str| {
        def(&format!(
            r#""A": {{"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {{"FunctionName": "f"}},
                     "Catch": [{{"ErrorEquals": ["States.ALL"], {result_path} "Next": "B"}}], "End": true}},
               "B": {{"Type": "Pass", "Parameters": {{"x.$": "{path}"}}, "End": true}}"#
        ))
    };
    assert_none(&src("", "$.Cause"));
    assert_one(
        &src("", "$.Eror"),
        "/States/B/Parameters/x.$",
        "did you mean Error?",
    );
    assert_none(&src(r#""ResultPath": "$.err","#, "$.err.Error"));
    assert_none(&src(r#""ResultPath": "$.err","#, "$.input"));
    assert_one(
        &src(r#""ResultPath": "$.err","#, "$.err.Message"),
        "/States/B/Parameters/x.$",
        "err has no field Message",
    );
}

#[test]
fn map_items_and_output() {
    let src = |inner: &str, after: &str| {
        def(&format!(
            r#""A": {{"Type": "Pass", "Result": {{"items": [{{"k": 1}}, {{"k": 2}}]}}, "Next": "M"}},
               "M": {{"Type": "Map", "ItemsPath": "$.items",
                     "ItemProcessor": {{"StartAt": "I", "States": {{
                        "I": {{"Type": "Pass", "Parameters": {{"v.$": "{inner}"}}, "End": true}}}}}},
                     "Next": "B"}},
               "B": {{"Type": "Pass", "Parameters": {{"x.$": "{after}"}}, "End": true}}"#
        ))
    };
    assert_none(&src("$.k", "$[0].v"));
    assert_one(
        &src("$.j", "$[0].v"),
        "/States/M/ItemProcessor/States/I/Parameters/v.$",
        "the input has no field j; did you mean k?",
    );
    assert_one(
        &src("$.k", "$.v"),
        "/States/B/Parameters/x.$",
        "the input is an array, which has no v",
    );
    // ItemSelector and `$$.Map.Item.Value`.
    let selected = def(
        r#""A": {"Type": "Pass", "Result": {"items": [{"k": 1}]}, "Next": "M"},
           "M": {"Type": "Map", "ItemsPath": "$.items", "ItemSelector": {"key.$": "$$.Map.Item.Value.kk"},
                 "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": true}}}, "End": true}"#,
    );
    let found = never_present(&selected);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0]
            .1
            .contains("Value has no field kk; did you mean k?"),
        "{found:?}"
    );
    // ItemsPath itself.
    assert_one(
        &src("$.k", "$[0].v").replace("\"$.items\"", "\"$.itemz\""),
        "/States/M/ItemsPath",
        "did you mean items?",
    );
}

#[test]
fn parallel_output_is_an_array_of_branch_outputs() {
    let src = |path: &str| {
        def(&format!(
            r#""A": {{"Type": "Parallel", "Branches": [
                  {{"StartAt": "X", "States": {{"X": {{"Type": "Pass", "Result": {{"a": 1}}, "End": true}}}}}},
                  {{"StartAt": "Y", "States": {{"Y": {{"Type": "Pass", "Result": {{"b": 2}}, "End": true}}}}}}],
                 "Next": "B"}},
               "B": {{"Type": "Pass", "Parameters": {{"x.$": "{path}"}}, "End": true}}"#
        ))
    };
    assert_none(&src("$[1].b"));
    assert_one(&src("$[0].c"), "/States/B/Parameters/x.$", "has no field c");
    assert_one(
        &src("$.a"),
        "/States/B/Parameters/x.$",
        "the input is an array",
    );
}

#[test]
fn loops_reach_a_fixed_point() {
    // The loop head gets `{n}` from A and `{n, m}` from the back edge: `m` is
    // present on one edge only (no error), `z` on none.
    let src = |path: &str| {
        def(&format!(
            r#""A": {{"Type": "Pass", "Result": {{"n": 0}}, "Next": "Head"}},
               "Head": {{"Type": "Pass", "Parameters": {{"n.$": "$.n", "seen.$": "{path}"}}, "Next": "Body"}},
               "Body": {{"Type": "Pass", "Parameters": {{"n.$": "$.n", "m": 1}}, "Next": "More"}},
               "More": {{"Type": "Choice", "Choices": [{{"Variable": "$.n", "NumericLessThan": 3, "Next": "Head"}}], "Default": "Done"}},
               "Done": {{"Type": "Succeed"}}"#
        ))
    };
    assert_none(&src("$.n"));
    assert_none(&src("$.m"));
    assert_one(
        &src("$.z"),
        "/States/Head/Parameters/seen.$",
        "the input has no field z",
    );
    // A loop that nests its input deeper each time is widened, not followed
    // for ever.
    let src = r#"{"StartAt": "S", "States": {
           "S": {"Type": "Pass", "Result": {"y": 1}, "Next": "A"},
           "A": {"Type": "Pass", "Parameters": {"x.$": "$"}, "Next": "C"},
           "C": {"Type": "Choice", "Choices": [{"Variable": "$.x.x", "IsPresent": true, "Next": "A"}], "Default": "D"},
           "D": {"Type": "Succeed"}}}"#;
    assert_none(src);
    let machine = load(src.as_bytes(), "t.asl.json").unwrap();
    let table = infer(&machine, &Default::default());
    assert!(table.iter().any(|s| s.state == "C"), "{table:?}");
}

#[test]
fn integration_results_from_the_catalogue() {
    let src = |resource: &str, params: &str, path: &str| {
        def(&format!(
            r#""A": {{"Type": "Task", "Resource": "{resource}", "Parameters": {params}, "Next": "B"}},
               "B": {{"Type": "Pass", "Parameters": {{"x.$": "{path}"}}, "End": true}}"#
        ))
    };
    let sns = |p| {
        src(
            "arn:aws:states:::sns:publish",
            r#"{"TopicArn": "arn:aws:sns:us-east-1:123456789012:t", "Message": "m"}"#,
            p,
        )
    };
    assert_none(&sns("$.MessageId"));
    assert_one(
        &sns("$.MessageID"),
        "/States/B/Parameters/x.$",
        "did you mean MessageId?",
    );
    let lambda = |p| {
        src(
            "arn:aws:states:::lambda:invoke",
            r#"{"FunctionName": "f"}"#,
            p,
        )
    };
    assert_none(&lambda("$.Payload.anything.the.function.returns"));
    assert_one(
        &lambda("$.payload"),
        "/States/B/Parameters/x.$",
        "did you mean Payload?",
    );
    // A Lambda function ARN returns the function's payload: unknown.
    assert_none(&src(
        "arn:aws:lambda:us-east-1:123456789012:function:f",
        "{}",
        "$.anything",
    ));
    // DynamoDB's answer as it comes; the item's attributes are the table's.
    let get_item = |p| {
        src(
            "arn:aws:states:::dynamodb:getItem",
            r#"{"TableName": "t", "Key": {"id": {"S": "1"}}}"#,
            p,
        )
    };
    assert_none(&get_item("$.Item.id.S"));
    assert_one(
        &get_item("$.Items"),
        "/States/B/Parameters/x.$",
        "did you mean Item?",
    );
    // A nested execution: its output is JSON text with .sync, JSON with .sync:2.
    let nested = |resource, p| {
        src(
            resource,
            r#"{"StateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:child"}"#,
            p,
        )
    };
    assert_none(&nested(
        "arn:aws:states:::states:startExecution.sync:2",
        "$.Output.anything",
    ));
    assert_one(
        &nested(
            "arn:aws:states:::states:startExecution.sync",
            "$.Output.anything",
        ),
        "/States/B/Parameters/x.$",
        "Output is a string, which has no anything",
    );
    assert_one(
        &nested("arn:aws:states:::states:startExecution", "$.Output"),
        "/States/B/Parameters/x.$",
        "the input has no field Output",
    );
    // ResultSelector reads the result.
    let selected = def(
        r#""A": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "f"},
                 "ResultSelector": {"p.$": "$.Paylod"}, "End": true}"#,
    );
    let found = never_present(&selected);
    assert!(
        found.len() == 1
            && found[0]
                .1
                .contains("the result has no field Paylod; did you mean Payload?"),
        "{found:?}"
    );
}

/// S3, EKS's Kubernetes calls and http:invoke, as the built-ins return them:
/// one path that must be accepted and one that must be refused per API.
#[test]
fn s3_kubernetes_and_http_results() {
    let src = |resource: &str, params: &str, path: &str| {
        def(&format!(
            r#""A": {{"Type": "Task", "Resource": "arn:aws:states:::{resource}", "Parameters": {params}, "Next": "B"}},
               "B": {{"Type": "Pass", "Parameters": {{"x.$": "{path}"}}, "End": true}}"#
        ))
    };
    let cluster = r#""ClusterName": "c", "CertificateAuthority": "ca", "Endpoint": "https://e""#;
    let call = |p| {
        src(
            "eks:call",
            &format!(r#"{{{cluster}, "Method": "GET", "Path": "/api/v1/pods"}}"#),
            p,
        )
    };
    assert_none(&call("$.ResponseBody.items[0].metadata.name"));
    assert_none(&call("$.Headers.content-type[0]"));
    assert_one(
        &call("$.StatusCod"),
        "/States/B/Parameters/x.$",
        "did you mean StatusCode?",
    );
    let job = |resource, p| {
        src(
            resource,
            &format!(r#"{{{cluster}, "Namespace": "default", "Job": {{"kind": "Job"}}}}"#),
            p,
        )
    };
    // A Job: open (Kubernetes adds fields), its known ones typed.
    assert_none(&job("eks:runJob.sync", "$.status.succeeded"));
    assert_none(&job("eks:runJob.sync", "$.status.newFieldOfTomorrow"));
    assert_one(
        &job("eks:runJob.sync", "$.status.succeeded.count"),
        "/States/B/Parameters/x.$",
        "succeeded is a number, which has no count",
    );
    let http = |p| {
        src(
            "http:invoke",
            r#"{"ApiEndpoint": "https://example.com", "Method": "GET", "Authentication": {"ConnectionArn": "arn:aws:events:us-east-1:123456789012:connection/c/1"}}"#,
            p,
        )
    };
    assert_none(&http("$.ResponseBody.anything"));
    assert_one(
        &http("$.Body"),
        "/States/B/Parameters/x.$",
        "the input has no field Body",
    );
    // The status code is text (`"200"`): a numeric comparison never matches.
    let status = def(
        r#""A": {"Type": "Task", "Resource": "arn:aws:states:::http:invoke",
                 "Parameters": {"ApiEndpoint": "https://example.com", "Method": "GET", "Authentication": {"ConnectionArn": "arn:aws:events:us-east-1:123456789012:connection/c/1"}},
                 "Next": "C"},
           "C": {"Type": "Choice", "Choices": [{"Variable": "$.StatusCode", "NumericEquals": 200, "Next": "D"}], "Default": "D"},
           "D": {"Type": "Succeed"}"#,
    );
    assert_one(
        &status,
        "/States/C/Choices/0/Variable",
        "`$.StatusCode` is never a number",
    );
    // S3: open objects (AWS adds keys the built-in does not), known keys typed.
    let list = |p| src("aws-sdk:s3:listObjectsV2", r#"{"Bucket": "b"}"#, p);
    assert_none(&list("$.Contents[0].Key"));
    assert_none(&list("$.RequestCharged"));
    assert_one(
        &list("$.Contents.Key"),
        "/States/B/Parameters/x.$",
        "Contents is an array, which has no Key",
    );
    let get = |p| src("aws-sdk:s3:getObject", r#"{"Bucket": "b", "Key": "k"}"#, p);
    assert_none(&get("$.Metadata.owner"));
    assert_one(
        &get("$.Body.text"),
        "/States/B/Parameters/x.$",
        "Body is a string, which has no text",
    );
    // ItemsPath over the listing: an array of objects with a Key.
    let items = def(
        r#""A": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:listObjectsV2", "Parameters": {"Bucket": "b"}, "Next": "M"},
           "M": {"Type": "Map", "ItemsPath": "$.Contents", "ItemSelector": {"key.$": "$$.Map.Item.Value.Key"},
                 "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "InputPath": "$.ky", "End": true}}}, "End": true}"#,
    );
    assert_one(
        &items,
        "/States/M/ItemProcessor/States/I/InputPath",
        "the input has no field ky; did you mean key?",
    );
    let put = |p| {
        src(
            "aws-sdk:s3:putObject",
            r#"{"Bucket": "b", "Key": "k", "Body": "x"}"#,
            p,
        )
    };
    assert_none(&put("$.ETag"));
    assert_one(
        &put("$.ETag[0]"),
        "/States/B/Parameters/x.$",
        "ETag is a string, which has no [0]",
    );
}

#[test]
fn choice_rules() {
    let src = |rule: &str| {
        def(&format!(
            r#""A": {{"Type": "Pass", "Result": {{"n": 1}}, "Next": "C"}},
               "C": {{"Type": "Choice", "Choices": [{rule}], "Default": "D"}},
               "D": {{"Type": "Succeed"}}"#
        ))
    };
    assert_none(&src(
        r#"{"Variable": "$.n", "NumericEquals": 1, "Next": "D"}"#,
    ));
    assert_one(
        &src(r#"{"Variable": "$.m", "NumericEquals": 1, "Next": "D"}"#),
        "/States/C/Choices/0/Variable",
        "the input has no field m; did you mean n?",
    );
    assert_one(
        &src(r#"{"Variable": "$.n", "NumericEqualsPath": "$.k", "Next": "D"}"#),
        "/States/C/Choices/0/NumericEqualsPath",
        "the input has no field k",
    );
    // Guards are what they are for.
    assert_none(&src(
        r#"{"Variable": "$.m", "IsPresent": true, "Next": "D"}"#,
    ));
    assert_none(&src(
        r#"{"And": [{"Variable": "$.m", "IsPresent": true}, {"Variable": "$.m", "NumericEquals": 1}], "Next": "D"}"#,
    ));
    // A rule after a guard runs only where the guard failed.
    assert_none(&src(
        r#"{"Variable": "$.m", "IsPresent": false, "Next": "D"}, {"Variable": "$.m", "NumericEquals": 1, "Next": "D"}"#,
    ));
    assert_one(
        &src(
            r#"{"Variable": "$.n", "NumericEquals": 2, "Next": "D"}, {"Variable": "$.m", "NumericEquals": 1, "Next": "D"}"#,
        ),
        "/States/C/Choices/1/Variable",
        "the input has no field m",
    );
}

#[test]
fn comparisons_of_a_type_the_value_never_has() {
    let src = |rule: &str| {
        def(&format!(
            r#""A": {{"Type": "Pass", "Result": {{"n": 1, "s": "x", "t": "2024-01-01T00:00:00Z"}}, "Next": "C"}},
               "C": {{"Type": "Choice", "Choices": [{rule}], "Default": "D"}},
               "D": {{"Type": "Succeed"}}"#
        ))
    };
    assert_none(&src(
        r#"{"Variable": "$.n", "NumericGreaterThan": 0, "Next": "D"}"#,
    ));
    assert_none(&src(
        r#"{"Variable": "$.t", "TimestampLessThan": "2025-01-01T00:00:00Z", "Next": "D"}"#,
    ));
    assert_one(
        &src(r#"{"Variable": "$.s", "NumericGreaterThan": 0, "Next": "D"}"#),
        "/States/C/Choices/0/Variable",
        "`$.s` is never a number, so `NumericGreaterThan` never matches",
    );
    assert_one(
        &src(r#"{"Variable": "$.n", "StringEquals": "1", "Next": "D"}"#),
        "/States/C/Choices/0/Variable",
        "is never a string",
    );
    // Either kind on different edges: it may match.
    assert_none(&def(
        r#""A": {"Type": "Choice", "Choices": [{"Variable": "$.x", "IsPresent": true, "Next": "N"}], "Default": "S"},
           "N": {"Type": "Pass", "Result": {"v": 1}, "Next": "C"},
           "S": {"Type": "Pass", "Result": {"v": "1"}, "Next": "C"},
           "C": {"Type": "Choice", "Choices": [{"Variable": "$.v", "NumericEquals": 1, "Next": "D"}], "Default": "D"},
           "D": {"Type": "Succeed"}"#,
    ));
}

#[test]
fn intrinsic_arguments_of_a_type_they_never_have() {
    let src = |call: &str| {
        def(&format!(
            r#""A": {{"Type": "Pass", "Result": {{"n": 1, "s": "x", "list": [1, 2], "o": {{}}}}, "Next": "B"}},
               "B": {{"Type": "Pass", "Parameters": {{"x.$": "{call}"}}, "End": true}}"#
        ))
    };
    assert_none(&src("States.MathAdd($.n, 1)"));
    assert_none(&src("States.ArrayLength($.list)"));
    assert_none(&src("States.JsonMerge($.o, $.o, false)"));
    assert_one(
        &src("States.MathAdd($.s, 1)"),
        "/States/B/Parameters/x.$",
        "argument 1 of States.MathAdd (`$.s`) is never a number",
    );
    assert_one(
        &src("States.ArrayLength($.o)"),
        "/States/B/Parameters/x.$",
        "argument 1 of States.ArrayLength (`$.o`) is never an array",
    );
    assert_one(
        &src("States.JsonMerge($.o, $.list, false)"),
        "/States/B/Parameters/x.$",
        "argument 2 of States.JsonMerge (`$.list`) is never an object",
    );
    // A nested call's result has its type too.
    assert_one(
        &src("States.Base64Encode(States.MathAdd($.n, 1))"),
        "/States/B/Parameters/x.$",
        "argument 1 of States.Base64Encode (`States.MathAdd($.n, 1)`) is never a string",
    );
}

#[test]
fn items_path_that_is_never_an_array() {
    let src = |items: &str| {
        def(&format!(
            r#""A": {{"Type": "Pass", "Result": {{"list": [1], "one": {{"k": 1}}}}, "Next": "M"}},
               "M": {{"Type": "Map", "ItemsPath": "{items}",
                     "ItemProcessor": {{"StartAt": "I", "States": {{"I": {{"Type": "Pass", "End": true}}}}}}, "End": true}}"#
        ))
    };
    assert_none(&src("$.list"));
    assert_one(
        &src("$.one"),
        "/States/M/ItemsPath",
        "ItemsPath `$.one` is never an array",
    );
}

#[test]
fn jsonata_outside_the_subset_stays_unknown() {
    // `$sort` is not in the compiled subset: its value is not typed.
    assert_none(&def(
        r#""A": {"Type": "Pass", "Output": "{% $sort([3, 1]) %}", "QueryLanguage": "JSONata", "Next": "B"},
           "B": {"Type": "Pass", "Parameters": {"x.$": "$.zzz"}, "End": true}"#,
    ));
    assert_none(&def(
        r#""A": {"Type": "Pass", "QueryLanguage": "JSONata", "Assign": {"v": "{% $sort([3, 1]) %}"}, "Next": "B"},
           "B": {"Type": "Pass", "Parameters": {"x.$": "$v.anything"}, "End": true}"#,
    ));
}

#[test]
fn infer_gives_every_state_its_shapes() {
    let src = def(
        r#""A": {"Type": "Pass", "Result": {"a": [1, 2]}, "ResultPath": "$.r", "Next": "B"},
           "B": {"Type": "Fail", "Error": "E"}"#,
    );
    let machine = load(src.as_bytes(), "t.asl.json").unwrap();
    let table = infer(&machine, &Default::default());
    let names: Vec<_> = table.iter().map(|s| s.state.as_str()).collect();
    assert_eq!(names, ["A", "B"]);
    assert_eq!(table[0].input, Shape::Unknown);
    assert_eq!(
        table[0].output.as_ref().unwrap().to_string(),
        "{r: {a: [number]}, ...}"
    );
    assert_eq!(table[1].input.to_string(), "{r: {a: [number]}, ...}");
    assert_eq!(table[1].output, None);
}

#[test]
fn asl_types_prints_every_state() {
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_asl"))
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let sample = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/manage-eks-cluster.asl.json"
    );
    let (code, stdout) = run(&["types", sample]);
    assert_eq!(code, Some(0), "{stdout}");
    // The first state's input is the execution's: unknown.
    assert!(
        stdout.starts_with("Create an EKS cluster\n  input:  any\n  output: {eks: {Cluster: {"),
        "{stdout}"
    );
    // The job sees the cluster and the node group.
    let job = stdout
        .split("Run a job on EKS\n")
        .nth(1)
        .and_then(|rest| rest.lines().next())
        .unwrap();
    assert!(
        job.starts_with("  input:  {eks: {Cluster: {") && job.contains("nodegroup: {Nodegroup: {"),
        "{job}"
    );
    // A served resource's result is unknown.
    let (_, stdout) = run(&[
        "types",
        sample,
        "--resource",
        "arn:aws:states:::eks:createCluster.sync",
    ]);
    assert!(
        stdout.starts_with("Create an EKS cluster\n  input:  any\n  output: {eks: any, ...}"),
        "{stdout}"
    );
    // A definition that does not check: its problems, exit 1.
    let dir = std::env::temp_dir().join(format!("asl-types-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.asl.json");
    std::fs::write(
        &bad,
        def(r#""A": {"Type": "Pass", "Result": {"a": 1}, "OutputPath": "$.b", "End": true}"#),
    )
    .unwrap();
    let (code, stdout) = run(&["types", bad.to_str().unwrap()]);
    assert_eq!(code, Some(1));
    assert!(stdout.contains("asl::path-never-present"), "{stdout}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The `asl::unassigned-variable` diagnostics of `src`: (pointer, message).
fn unassigned(src: &str) -> Vec<(String, String)> {
    match load(src.as_bytes(), "t.asl.json") {
        Ok(_) => Vec::new(),
        Err(d) => {
            assert!(
                d.iter().all(|d| d.rule == "asl::unassigned-variable"),
                "other problems: {d}"
            );
            d.iter()
                .map(|d| (d.origin.pointer.clone(), d.message.clone()))
                .collect()
        }
    }
}

#[test]
fn variables_are_read_only_where_a_path_assigns_them() {
    let src = |assign: &str, path: &str| {
        def(&format!(
            r#""A": {{"Type": "Pass", "Assign": {assign}, "Next": "B"}},
               "B": {{"Type": "Pass", "Parameters": {{"x.$": "{path}"}}, "End": true}}"#
        ))
    };
    assert!(unassigned(&src(r#"{"total": 1}"#, "$total")).is_empty());
    assert!(unassigned(&src(r#"{"total.$": "$.n"}"#, "$total.anything")).is_empty());
    let found = unassigned(&src(r#"{"total": 1}"#, "$totl"));
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "/States/B/Parameters/x.$");
    assert!(
        found[0]
            .1
            .contains("`$totl` reads the variable `totl`, which no path to state \"B\" assigns; did you mean `$total`?"),
        "{found:?}"
    );
    // A state's own Assign is seen by the states after it, not by itself.
    let own = def(
        r#""A": {"Type": "Pass", "Assign": {"v": 1}, "Parameters": {"x.$": "$v"}, "End": true}"#,
    );
    assert_eq!(unassigned(&own).len(), 1);
    // One branch of a Choice is enough (a may-analysis: no false error).
    assert!(
        unassigned(&def(
            r#""A": {"Type": "Choice", "Choices": [{"Variable": "$.a", "NumericEquals": 1, "Next": "S", "Assign": {"v": 1}}], "Default": "B"},
               "S": {"Type": "Pass", "Next": "B"},
               "B": {"Type": "Pass", "Parameters": {"x.$": "$v"}, "End": true}"#,
        ))
        .is_empty()
    );
    // A Catch's Assign, on its edge.
    assert!(
        unassigned(&def(
            r#""A": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "f"},
                     "Catch": [{"ErrorEquals": ["States.ALL"], "Assign": {"failed": true}, "Next": "B"}], "End": true},
               "B": {"Type": "Pass", "Parameters": {"x.$": "$failed"}, "End": true}"#,
        ))
        .is_empty()
    );
    // An iteration sees the variables of the state holding it; what it
    // assigns stays inside.
    let map = |after: &str| {
        def(&format!(
            r#""A": {{"Type": "Pass", "Assign": {{"outer": 1}}, "Next": "M"}},
               "M": {{"Type": "Map", "ItemProcessor": {{"StartAt": "I", "States": {{
                    "I": {{"Type": "Pass", "Parameters": {{"o.$": "$outer"}}, "Assign": {{"inner": 1}}, "End": true}}}}}},
                    "Next": "B"}},
               "B": {{"Type": "Pass", "Parameters": {{"x.$": "{after}"}}, "End": true}}"#
        ))
    };
    assert!(unassigned(&map("$outer")).is_empty());
    let found = unassigned(&map("$inner"));
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "/States/B/Parameters/x.$");
    // An Assign whose names JSONata computes may assign anything.
    assert!(
        unassigned(&def(
            r#""A": {"Type": "Pass", "QueryLanguage": "JSONata", "Assign": "{% {'v': 1} %}", "Next": "B"},
               "B": {"Type": "Pass", "Parameters": {"x.$": "$v"}, "End": true}"#,
        ))
        .is_empty()
    );
}

#[test]
fn states_members_where_the_state_has_them() {
    let rules = |src: &str| -> Vec<(String, String)> {
        match load(src.as_bytes(), "t.asl.json") {
            Ok(_) => Vec::new(),
            Err(d) => d
                .iter()
                .map(|d| (d.rule.name().to_string(), d.origin.pointer.clone()))
                .collect(),
        }
    };
    let task = |output: &str, catch_output: &str| {
        format!(
            r#"{{"QueryLanguage": "JSONata", "StartAt": "A", "States": {{
                "A": {{"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Arguments": {{"FunctionName": "f"}},
                      "Output": "{output}",
                      "Catch": [{{"ErrorEquals": ["States.ALL"], "Output": "{catch_output}", "Next": "B"}}], "End": true}},
                "B": {{"Type": "Succeed"}}}}}}"#
        )
    };
    assert!(
        rules(&task(
            "{% $states.result.Payload %}",
            "{% $states.errorOutput %}"
        ))
        .is_empty()
    );
    assert_eq!(
        rules(&task("{% $states.errorOutput %}", "{% $states.input %}")),
        [(
            "asl::states-member-unavailable".to_string(),
            "/States/A/Output".to_string()
        )]
    );
    assert_eq!(
        rules(&task("{% $states.result %}", "{% $states.result %}")),
        [(
            "asl::states-member-unavailable".to_string(),
            "/States/A/Catch/0/Output".to_string()
        )]
    );
    // A Pass has no result; Arguments run before the work.
    let pass = r#"{"QueryLanguage": "JSONata", "StartAt": "A", "States": {"A": {"Type": "Pass", "Output": "{% $states.result %}", "End": true}}}"#;
    assert_eq!(rules(pass).len(), 1);
    let arguments = task("{% $states.result %}", "{% $states.input %}").replace(
        r#""FunctionName": "f""#,
        r#""FunctionName": "f", "Payload": "{% $states.result %}""#,
    );
    assert_eq!(
        rules(&arguments),
        [(
            "asl::states-member-unavailable".to_string(),
            "/States/A/Arguments/Payload".to_string()
        )]
    );
}

#[test]
fn coverage_of_the_conformance_corpus() {
    let Some(dir) = crate::shared_dir("ASL_CONFORMANCE_DIR", "conformance", "executions") else {
        return;
    };
    let mut options = CheckOptions::allowing_undeclared();
    options.language_only = true;
    let (mut known, mut unknown, mut definitions) = (0, 0, 0);
    for kind in ["executions", "choice"] {
        for entry in std::fs::read_dir(dir.join(kind)).unwrap() {
            let path = entry.unwrap().path();
            let case: serde_json::Value =
                serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
            let text = match &case["definition"] {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            // Every one checks clean of the data-flow rules (the conformance
            // runner compiles and runs them all).
            let machine = match load_with(text.as_bytes(), "case.asl.json", &options) {
                Ok(m) => m,
                Err(d) => {
                    assert!(
                        d.iter().all(|d| !matches!(
                            d.rule.name(),
                            "asl::path-never-present"
                                | "asl::type-never-matches"
                                | "asl::unassigned-variable"
                                | "asl::states-member-unavailable"
                        )),
                        "{}: {d}",
                        path.display()
                    );
                    continue;
                }
            };
            definitions += 1;
            let c = asl_build::check::types::coverage(&machine, &Default::default());
            known += c.known;
            unknown += c.unknown;
        }
    }
    println!(
        "conformance: {definitions} definitions; {known} paths read data of a known shape, {unknown} unknown data"
    );
    assert!(definitions > 600 && known > 0);
}

#[test]
fn choice_narrows_the_branch_it_guards() {
    let src = |rule: &str, path: &str| {
        def(&format!(
            r#""A": {{"Type": "Choice", "Choices": [{rule}], "Default": "D"}},
               "S": {{"Type": "Pass", "Parameters": {{"x.$": "{path}"}}, "End": true}},
               "D": {{"Type": "Pass", "Parameters": {{"x.$": "{path}"}}, "End": true}}"#
        ))
    };
    // Unknown input; on the matched branch `$.kind` is a string.
    let string = r#"{"Variable": "$.kind", "StringEquals": "a", "Next": "S"}"#;
    assert_none(&src(string, "$.kind"));
    assert_one(
        &src(string, "$.kind.name"),
        "/States/S/Parameters/x.$",
        "kind is a string, which has no name",
    );
    // An `Is*` test narrows where it holds only.
    let numeric = r#"{"Variable": "$.n", "IsNumeric": true, "Next": "S"}"#;
    assert_one(
        &src(numeric, "States.Base64Encode($.n)"),
        "/States/S/Parameters/x.$",
        "argument 1 of States.Base64Encode (`$.n`) is never a string",
    );
    let not_numeric = r#"{"Variable": "$.n", "IsNumeric": false, "Next": "S"}"#;
    assert_none(&src(not_numeric, "States.Base64Encode($.n)"));
    // The states' shapes show it.
    let machine = load(src(string, "$.kind").as_bytes(), "t.asl.json").unwrap();
    let table = infer(&machine, &Default::default());
    let s = table.iter().find(|s| s.state == "S").unwrap();
    assert_eq!(s.input.to_string(), "{kind: string, ...}");
    let d = table.iter().find(|s| s.state == "D").unwrap();
    assert_eq!(d.input, Shape::Unknown);
}

/// A variable's shape is the join of what every `Assign` gives it, so
/// `$x.field` is checked like a path.
#[test]
fn variables_have_the_shape_of_their_assignments() {
    let src = |path: &str| {
        def(&format!(
            r#""A": {{"Type": "Pass", "Result": {{"order": {{"id": 7}}}}, "Assign": {{"order.$": "$.order", "n": 3}}, "Next": "B"}},
               "B": {{"Type": "Pass", "Parameters": {{"x.$": "{path}"}}, "End": true}}"#
        ))
    };
    assert_none(&src("$order.id"));
    assert_one(
        &src("$order.ids"),
        "/States/B/Parameters/x.$",
        "`$order.ids` can never be present: `$order` has no field ids; did you mean id?",
    );
    assert_one(
        &src("$n.value"),
        "/States/B/Parameters/x.$",
        "`$n` is a number, which has no value",
    );
    // Two assignments: either may be what is read.
    let two = def(
        r#""A": {"Type": "Choice", "Choices": [{"Variable": "$.a", "NumericEquals": 1, "Next": "P", "Assign": {"v": {"id": 1}}}], "Default": "Q"},
           "P": {"Type": "Pass", "Next": "B"},
           "Q": {"Type": "Pass", "Assign": {"v": {"name": "x"}}, "Next": "B"},
           "B": {"Type": "Pass", "Parameters": {"i.$": "$v.id", "n.$": "$v.name"}, "End": true}"#,
    );
    assert_none(&two);
    // Assigned from data nobody described, or by JSONata: unknown.
    assert_none(&def(
        r#""A": {"Type": "Pass", "Assign": {"v.$": "$.input"}, "Next": "B"},
           "B": {"Type": "Pass", "Parameters": {"x.$": "$v.anything"}, "End": true}"#,
    ));
    assert_none(&def(
        r#""A": {"Type": "Pass", "Assign": {"v": 1}, "Next": "J"},
           "J": {"Type": "Pass", "QueryLanguage": "JSONata", "Assign": "{% {'v': {'deep': 1}} %}", "Next": "B"},
           "B": {"Type": "Pass", "Parameters": {"x.$": "$v.deep"}, "End": true}"#,
    ));
    // A Task's Assign reads its result; a Catch's the error output.
    let task = |assign_path: &str| {
        def(&format!(
            r#""A": {{"Type": "Task", "Resource": "arn:aws:states:::sns:publish",
                     "Parameters": {{"TopicArn": "arn:aws:sns:us-east-1:123456789012:t", "Message": "m"}},
                     "Assign": {{"id.$": "{assign_path}"}}, "Next": "B",
                     "Catch": [{{"ErrorEquals": ["States.ALL"], "Assign": {{"why.$": "$.Cause"}}, "Next": "B"}}]}},
               "B": {{"Type": "Pass", "End": true}}"#
        ))
    };
    assert_none(&task("$.MessageId"));
    assert_one(
        &task("$.MessageID"),
        "/States/A/Assign/id.$",
        "the result has no field MessageID; did you mean MessageId?",
    );
}

/// The compiled JSONata subset's types: a JSONata state's `Output` (and its
/// Task result, Catch output, Choice rule output, `Assign`) has a shape that
/// the states after it are checked against.
#[test]
fn jsonata_outputs_have_the_subsets_types() {
    let after = |output: &str, path: &str| {
        def(&format!(
            r#""A": {{"Type": "Pass", "QueryLanguage": "JSONata", "Output": {output}, "Next": "B"}},
               "B": {{"Type": "Pass", "Parameters": {{"x.$": "{path}"}}, "End": true}}"#
        ))
    };
    let object = r#""{% {'total': 1 + 2, 'name': 'a' & 'b', 'ok': true} %}""#;
    assert_none(&after(object, "$.total"));
    assert_one(
        &after(object, "$.totl"),
        "/States/B/Parameters/x.$",
        "the input has no field totl; did you mean total?",
    );
    assert_one(
        &after(object, "$.name.first"),
        "/States/B/Parameters/x.$",
        "name is a string, which has no first",
    );
    // A template object of JSONata values.
    let fields = r#"{"count": "{% $count($states.input.items) %}", "first": "{% $states.input.items[0] %}"}"#;
    assert_none(&after(fields, "$.first.anything"));
    assert_one(
        &after(fields, "$.count.n"),
        "/States/B/Parameters/x.$",
        "count is a number, which has no n",
    );
    // Data nobody described stays unknown: `$states.input.x` of an unknown input.
    assert_none(&after(r#""{% $states.input.x %}""#, "$.anything"));
    // `$states.result` of a Task is its catalogue result.
    let task = |output: &str, path: &str| {
        format!(
            r#"{{"StartAt": "A", "States": {{
                "A": {{"Type": "Task", "QueryLanguage": "JSONata", "Resource": "arn:aws:states:::sns:publish",
                      "Arguments": {{"TopicArn": "arn:aws:sns:us-east-1:123456789012:t", "Message": "m"}},
                      "Output": {output}, "Next": "B"}},
                "B": {{"Type": "Pass", "Parameters": {{"x.$": "{path}"}}, "End": true}}}}}}"#
        )
    };
    let id = r#"{"id": "{% $states.result.MessageId %}"}"#;
    assert_none(&task(id, "$.id"));
    assert_one(
        &task(id, "$.id.value"),
        "/States/B/Parameters/x.$",
        "id is a string, which has no value",
    );
    // A variable a JSONata Assign gives a known value.
    assert_one(
        &def(
            r#""A": {"Type": "Pass", "QueryLanguage": "JSONata", "Assign": {"n": "{% 1 + 1 %}"}, "Next": "B"},
               "B": {"Type": "Pass", "Parameters": {"x.$": "$n.value"}, "End": true}"#,
        ),
        "/States/B/Parameters/x.$",
        "`$n` is a number, which has no value",
    );
}

#[test]
fn an_sdk_action_returns_its_shape_in_aws_model() {
    let def = |path: &str| {
        format!(
            r#"{{"StartAt": "Describe", "States": {{
                "Describe": {{"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:ec2:describeInstances",
                    "Parameters": {{"Filters": [{{"Name": "tag:team", "Values": ["asl"]}}]}},
                    "ResultPath": "$.found", "Next": "Use"}},
                "Use": {{"Type": "Pass", "Parameters": {{"id.$": "{path}"}}, "End": true}}}}}}"#
        )
    };
    // Step Functions' names for the model's members.
    let good = def("$.found.Reservations[0].Instances[0].InstanceId");
    assert!(asl_build::load(good.as_bytes(), "sdk.asl.json").is_ok());
    let typo = def("$.found.Reservations[0].Instances[0].InstanceIdd");
    let err = asl_build::load(typo.as_bytes(), "sdk.asl.json").unwrap_err();
    assert_eq!(err.len(), 1, "{err}");
    assert_eq!(err.items[0].rule, "asl::path-never-present", "{err}");
    assert!(
        err.items[0].message.contains("did you mean InstanceId?"),
        "{err}"
    );
    // The program's own handler for the same ARN returns what it returns.
    let declared =
        asl_build::CheckOptions::declaring(["arn:aws:states:::aws-sdk:ec2:describeInstances"]);
    assert!(asl_build::load_with(typo.as_bytes(), "sdk.asl.json", &declared).is_ok());
}
