//! Every numeric field, with the values Step Functions accepts and refuses
//! (AWS's pages for each state and for Retry, Map, ItemBatcher and ItemReader):
//! its range, and that a number of the wrong kind or a non-number is refused.
//! In a JSONata state each also takes a `{% %}` expression; its `...Path` twin
//! exists in JSONPath states only.

use asl_build::{CheckOptions, Diagnostics};

/// Checks as Step Functions does (an ItemReader is valid ASL even though asl
/// does not run one yet).
fn load(src: &[u8], file: &str) -> Result<(), Diagnostics> {
    let mut options = CheckOptions::allowing_undeclared();
    options.language_only = true;
    asl_build::load_with(src, file, &options).map(|_| ())
}

/// A one-state definition with `field` set to `value` (JSON text) in the place
/// `template` marks with `@`.
fn with(template: &str, value: &str, jsonata: bool) -> String {
    let state = template.replace('@', value);
    let language = if jsonata {
        r#""QueryLanguage": "JSONata", "#
    } else {
        ""
    };
    format!(r#"{{{language}"StartAt": "A", "States": {{"A": {state}}}}}"#)
}

const PROCESSOR: &str = r#""ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}, "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}"#;

#[test]
fn numeric_fields_accept_what_aws_accepts() {
    let task = r#"{"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:f", @, "End": true}"#;
    let retry = r#"{"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:f", "Retry": [{"ErrorEquals": ["States.ALL"], @}], "End": true}"#;
    let map = format!(r#"{{"Type": "Map", @, {PROCESSOR}, "End": true}}"#);
    let batcher = format!(r#"{{"Type": "Map", "ItemBatcher": {{@}}, {PROCESSOR}, "End": true}}"#);
    let reader = format!(
        r#"{{"Type": "Map", "ItemReader": {{"Resource": "arn:aws:states:::s3:getObject", "Parameters": {{"Bucket": "b", "Key": "k"}}, "ReaderConfig": {{"InputType": "JSON", @}}}}, {PROCESSOR}, "End": true}}"#
    );
    let wait = r#"{"Type": "Wait", @, "End": true}"#;
    // (where, field, accepted, refused)
    let cases: &[(&str, &str, &[&str], &[&str])] = &[
        (
            task,
            "TimeoutSeconds",
            &["1", "99999999"],
            &["0", "-1", "1.5", "100000000", "\"5\"", "null"],
        ),
        (
            task,
            "HeartbeatSeconds",
            &["1", "99999999"],
            &["0", "-1", "2.5", "\"5\""],
        ),
        (
            wait,
            "Seconds",
            &["0", "1", "99999999"],
            &["-1", "1.5", "\"10\"", "100000000"],
        ),
        (
            retry,
            "IntervalSeconds",
            &["1", "99999999"],
            &["0", "-1", "1.5", "\"1\""],
        ),
        (
            retry,
            "MaxAttempts",
            &["0", "3", "99999999"],
            &["-1", "1.5", "100000000"],
        ),
        (
            retry,
            "BackoffRate",
            &["1", "1.0", "2.5", "1000"],
            &["0.5", "0", "-2", "\"2\""],
        ),
        (
            retry,
            "MaxDelaySeconds",
            &["1", "31622400"],
            &["0", "31622401", "1.5"],
        ),
        (
            &map,
            "MaxConcurrency",
            &["0", "1", "10000"],
            &["-1", "1.5", "\"2\""],
        ),
        (
            &map,
            "ToleratedFailurePercentage",
            &["0", "5.5", "100"],
            &["-1", "100.1", "\"5\""],
        ),
        (&map, "ToleratedFailureCount", &["0", "7"], &["-1", "1.5"]),
        (
            &batcher,
            "MaxItemsPerBatch",
            &["1", "1000"],
            &["-1", "1.5", "\"5\""],
        ),
        (
            &batcher,
            "MaxInputBytesPerBatch",
            &["1", "262144"],
            &["262145", "-1", "1.5"],
        ),
        (
            &reader,
            "MaxItems",
            &["1", "100000000"],
            &["100000001", "-1", "1.5"],
        ),
    ];
    let mut failures = Vec::new();
    for (template, field, accepted, refused) in cases {
        for v in *accepted {
            let src = with(template, &format!("\"{field}\": {v}"), false);
            if let Err(e) = load(src.as_bytes(), "n.asl.json") {
                failures.push(format!("{field} = {v} refused:\n{e}"));
            }
            // JSONata: the literal, and an expression, both accepted.
            let src = with(
                &template.replace("\"Parameters\"", "\"Arguments\""),
                &format!("\"{field}\": {v}"),
                true,
            );
            if let Err(e) = load(src.as_bytes(), "n.asl.json") {
                failures.push(format!("{field} = {v} refused in JSONata:\n{e}"));
            }
        }
        for v in *refused {
            let src = with(template, &format!("\"{field}\": {v}"), false);
            if load(src.as_bytes(), "n.asl.json").is_ok() {
                failures.push(format!("{field} = {v} accepted"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn dynamic_twins_by_query_language() {
    let map = format!(r#"{{"Type": "Map", @, {PROCESSOR}, "End": true}}"#);
    let task = r#"{"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:f", @, "End": true}"#;
    let wait = r#"{"Type": "Wait", @, "End": true}"#;
    let batcher = format!(r#"{{"Type": "Map", "ItemBatcher": {{@}}, {PROCESSOR}, "End": true}}"#);
    for (template, field) in [
        (task, "TimeoutSeconds"),
        (task, "HeartbeatSeconds"),
        (wait, "Seconds"),
        (map.as_str(), "MaxConcurrency"),
        (map.as_str(), "ToleratedFailurePercentage"),
        (map.as_str(), "ToleratedFailureCount"),
        (batcher.as_str(), "MaxItemsPerBatch"),
        (batcher.as_str(), "MaxInputBytesPerBatch"),
    ] {
        // JSONPath: the `...Path` twin takes a reference path; a `{% %}` string
        // is not a number.
        let path = with(template, &format!("\"{field}Path\": \"$.n\""), false);
        assert!(
            load(path.as_bytes(), "n.asl.json").is_ok(),
            "{field}Path refused"
        );
        let expr = with(template, &format!("\"{field}\": \"{{% 3 %}}\""), false);
        assert!(
            load(expr.as_bytes(), "n.asl.json").is_err(),
            "{field} = {{% %}} accepted in JSONPath"
        );
        // JSONata: the expression; no `...Path` twin.
        let expr = with(
            template,
            &format!("\"{field}\": \"{{% $states.input.n %}}\""),
            true,
        );
        if let Err(e) = load(expr.as_bytes(), "n.asl.json") {
            panic!("{field} = {{% %}} refused in JSONata:\n{e}");
        }
        let path = with(template, &format!("\"{field}Path\": \"$.n\""), true);
        let err = load(path.as_bytes(), "n.asl.json").expect_err(field);
        assert!(
            err.iter()
                .any(|d| d.rule.name() == "asl::field-not-in-query-language"),
            "{field}Path in JSONata: {err}"
        );
    }
}
