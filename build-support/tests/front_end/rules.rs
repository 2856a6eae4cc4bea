//! One test per rule: a small definition that breaks it, the rule name and the
//! JSON pointer the diagnostic must carry, and (where useful) the nearest valid
//! variant, which must load.

use asl_build::{CheckOptions, Rule, load, load_with};

/// Wraps `states` (the members of `States`) into a definition starting at `A`.
fn def(states: &str) -> String {
    format!(r#"{{"StartAt": "A", "States": {{{states}}}}}"#)
}

/// Loads `src` and asserts `rule` is reported at `pointer`.
#[track_caller]
fn assert_rule(src: &str, rule: &str, pointer: &str) {
    let err = match load(src.as_bytes(), "t.asl.json") {
        Ok(_) => panic!("expected {rule} at {pointer}, but the definition is valid:\n{src}"),
        Err(e) => e,
    };
    assert!(
        err.iter()
            .any(|d| d.rule == rule && d.origin.pointer == pointer),
        "expected {rule} at {pointer}, got:\n{err}"
    );
    for d in err.iter() {
        assert!(
            d.origin.line >= 1 && d.origin.column >= 1,
            "unlocated: {d:?}"
        );
    }
}

#[track_caller]
fn assert_valid(src: &str) {
    if let Err(e) = load(src.as_bytes(), "t.asl.json") {
        panic!("expected valid, got:\n{e}\n{src}");
    }
}

#[test]
fn json_syntax_and_duplicate_keys() {
    assert_rule(r#"{"StartAt": "A",, }"#, "asl::json-syntax", "");
    assert_rule(
        r#"{"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true,}}}"#,
        "asl::json-syntax",
        "/States/A",
    );
    assert_rule("{\"StartAt\": \"A\" // comment\n}", "asl::json-syntax", "");
    assert_rule(
        &def(r#""A": {"Type": "Pass", "End": true, "End": true}"#),
        "asl::duplicate-key",
        "/States/A/End",
    );
    let bytes = b"{\"StartAt\": \"\xff\"}";
    let err = load(bytes, "t.json").unwrap_err();
    assert_eq!(err.items[0].rule, "asl::invalid-utf8");
    assert_eq!(
        (err.items[0].origin.line, err.items[0].origin.column),
        (1, 14)
    );
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let src = "[".repeat(100_000);
    let err = load(src.as_bytes(), "deep.json").unwrap_err();
    assert_eq!(err.items[0].rule, "asl::json-too-deep");
}

#[test]
fn start_and_next_states_exist() {
    assert_rule(
        r#"{"StartAt": "X", "States": {"A": {"Type": "Succeed"}}}"#,
        "asl::unknown-start-state",
        "/StartAt",
    );
    assert_rule(
        &def(r#""A": {"Type": "Pass", "Next": "B"}, "C": {"Type": "Succeed"}"#),
        "asl::unknown-next-state",
        "/States/A/Next",
    );
    assert_rule(
        &def(
            r#""A": {"Type": "Choice", "Choices": [{"Variable": "$.x", "IsNull": true, "Next": "A"}], "Default": "Nope"}"#,
        ),
        "asl::unknown-next-state",
        "/States/A/Default",
    );
    assert_rule(
        &def(
            r#""A": {"Type": "Task", "Resource": "arn:aws:states:::sns:publish", "Parameters": {"Message": "m"}, "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Z"}], "End": true}"#,
        ),
        "asl::unknown-next-state",
        "/States/A/Catch/0/Next",
    );
}

#[test]
fn end_or_next() {
    assert_rule(
        &def(r#""A": {"Type": "Pass"}"#),
        "asl::end-or-next",
        "/States/A",
    );
    assert_rule(
        &def(r#""A": {"Type": "Pass", "Next": "B", "End": true}, "B": {"Type": "Succeed"}"#),
        "asl::end-or-next",
        "/States/A/End",
    );
    assert_valid(&def(
        r#""A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Succeed"}"#,
    ));
}

#[test]
fn reachability_and_terminal_states() {
    // B and C point at each other but nothing leads to them from A.
    let src = def(
        r#""A": {"Type": "Succeed"}, "B": {"Type": "Pass", "Next": "C"}, "C": {"Type": "Pass", "Next": "B"}"#,
    );
    assert_rule(&src, "asl::unreachable-state", "/States/B");
    assert_rule(&src, "asl::unreachable-state", "/States/C");
    assert_rule(
        &def(r#""A": {"Type": "Pass", "Next": "A"}"#),
        "asl::no-terminal-state",
        "",
    );
}

#[test]
fn transitions_stay_inside_branches() {
    let src = def(
        r#""A": {"Type": "Parallel", "Branches": [{"StartAt": "B1", "States": {"B1": {"Type": "Pass", "Next": "Z"}}}], "Next": "Z"},
           "Z": {"Type": "Succeed"}"#,
    );
    assert_rule(
        &src,
        "asl::transition-across-machines",
        "/States/A/Branches/0/States/B1/Next",
    );
    let src = def(
        r#""A": {"Type": "Map", "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Succeed"}}}, "Next": "P"}"#,
    );
    assert_rule(&src, "asl::transition-across-machines", "/States/A/Next");
}

#[test]
fn state_names_are_unique_across_nested_machines() {
    let src = def(
        r#""A": {"Type": "Parallel", "Branches": [{"StartAt": "A", "States": {"A": {"Type": "Succeed"}}}], "End": true}"#,
    );
    assert_rule(
        &src,
        "asl::duplicate-state-name",
        "/States/A/Branches/0/States/A",
    );
}

#[test]
fn unknown_fields_get_a_suggestion() {
    let err = load(
        def(r#""A": {"Type": "Pass", "Nxt": "B"}, "B": {"Type": "Succeed"}"#).as_bytes(),
        "t.json",
    )
    .unwrap_err();
    let d = err.iter().find(|d| d.rule == "asl::unknown-field").unwrap();
    assert_eq!(d.help.as_deref(), Some("did you mean \"Next\"?"));
    let err = load(
        def(r#""A": {"Type": "Task", "Resouce": "x", "End": true}"#).as_bytes(),
        "t.json",
    )
    .unwrap_err();
    let d = err.iter().find(|d| d.rule == "asl::unknown-field").unwrap();
    assert_eq!(d.help.as_deref(), Some("did you mean \"Resource\"?"));
}

#[test]
fn fields_allowed_per_state_type_and_language() {
    assert_rule(
        &def(r#""A": {"Type": "Pass", "ResultSelector": {}, "End": true}"#),
        "asl::unknown-field",
        "/States/A/ResultSelector",
    );
    assert_rule(
        &def(r#""A": {"Type": "Succeed", "Nxt": "B"}"#),
        "asl::unknown-field",
        "/States/A/Nxt",
    );
    assert_rule(
        &def(r#""A": {"Type": "Pass", "QueryLanguage": "JSONata", "Parameters": {}, "End": true}"#),
        "asl::field-not-in-query-language",
        "/States/A/Parameters",
    );
    assert_rule(
        &def(r#""A": {"Type": "Pass", "Output": {}, "End": true}"#),
        "asl::field-not-in-query-language",
        "/States/A/Output",
    );
    assert_rule(
        &def(r#""A": {"Type": "Task", "End": true}"#),
        "asl::missing-field",
        "/States/A",
    );
    assert_rule(
        &def(r#""A": {"Type": "Sleep", "End": true}"#),
        "asl::unknown-state-type",
        "/States/A/Type",
    );
    assert_rule(
        &def(r#""A": {"Type": "Pass", "Next": 3}"#),
        "asl::wrong-type",
        "/States/A/Next",
    );
}

#[test]
fn mutually_exclusive_fields() {
    let task = |extra: &str| {
        def(&format!(
            r#""A": {{"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:1:function:f", {extra} "End": true}}"#
        ))
    };
    assert_rule(
        &task(r#""TimeoutSeconds": 5, "TimeoutSecondsPath": "$.t","#),
        "asl::mutually-exclusive-fields",
        "/States/A/TimeoutSecondsPath",
    );
    assert_rule(
        &task(r#""HeartbeatSeconds": 5, "HeartbeatSecondsPath": "$.t","#),
        "asl::mutually-exclusive-fields",
        "/States/A/HeartbeatSecondsPath",
    );
    assert_rule(
        &task(r#""TimeoutSeconds": 5, "HeartbeatSeconds": 5,"#),
        "asl::heartbeat-not-below-timeout",
        "/States/A/HeartbeatSeconds",
    );
    assert_valid(&task(r#""TimeoutSeconds": 5, "HeartbeatSeconds": 4,"#));
    assert_rule(
        &def(r#""A": {"Type": "Fail", "Error": "E", "ErrorPath": "$.e"}"#),
        "asl::mutually-exclusive-fields",
        "/States/A/ErrorPath",
    );
    assert_rule(
        &def(
            r#""A": {"Type": "Map", "ItemSelector": {}, "Parameters": {}, "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Succeed"}}}, "End": true}"#,
        ),
        "asl::mutually-exclusive-fields",
        "/States/A/Parameters",
    );
    assert_rule(
        &def(
            r#""A": {"Type": "Wait", "Seconds": 1, "Timestamp": "2020-01-01T00:00:00Z", "End": true}"#,
        ),
        "asl::wait-duration",
        "/States/A/Timestamp",
    );
    assert_rule(
        &def(r#""A": {"Type": "Wait", "End": true}"#),
        "asl::wait-duration",
        "/States/A",
    );
    assert_rule(
        &def(r#""A": {"Type": "Wait", "Timestamp": "2020-01-01 00:00:00", "End": true}"#),
        "asl::invalid-timestamp",
        "/States/A/Timestamp",
    );
}

#[test]
fn retry_and_catch_rules() {
    let retry = |r: &str| {
        def(&format!(
            r#""A": {{"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:1:function:f", "Retry": [{r}], "End": true}}"#
        ))
    };
    assert_rule(
        &retry(r#"{"ErrorEquals": []}"#),
        "asl::error-equals",
        "/States/A/Retry/0/ErrorEquals",
    );
    assert_rule(
        &retry(r#"{"ErrorEquals": ["States.ALL", "X"]}"#),
        "asl::states-all-position",
        "/States/A/Retry/0/ErrorEquals/0",
    );
    assert_rule(
        &retry(r#"{"ErrorEquals": ["States.ALL"]}, {"ErrorEquals": ["X"]}"#),
        "asl::states-all-position",
        "/States/A/Retry/0/ErrorEquals/0",
    );
    assert_rule(
        &retry(r#"{"ErrorEquals": ["X"], "MaxAttempts": -1}"#),
        "asl::value-range",
        "/States/A/Retry/0/MaxAttempts",
    );
    assert_rule(
        &retry(r#"{"ErrorEquals": ["X"], "BackoffRate": 0.5}"#),
        "asl::value-range",
        "/States/A/Retry/0/BackoffRate",
    );
    assert_rule(
        &retry(r#"{"ErrorEquals": ["X"], "IntervalSeconds": 0}"#),
        "asl::value-range",
        "/States/A/Retry/0/IntervalSeconds",
    );
    assert_rule(
        &retry(r#"{"ErrorEquals": ["X"], "JitterStrategy": "SOME"}"#),
        "asl::unknown-value",
        "/States/A/Retry/0/JitterStrategy",
    );
    assert_valid(&retry(
        r#"{"ErrorEquals": ["X"], "MaxAttempts": 0, "BackoffRate": 1.5, "JitterStrategy": "FULL"}, {"ErrorEquals": ["States.ALL"]}"#,
    ));
}

#[test]
fn paths_in_their_contexts() {
    let pass = |extra: &str| def(&format!(r#""A": {{"Type": "Pass", {extra} "End": true}}"#));
    assert_rule(
        &pass(r#""ResultPath": "$.a[*]","#),
        "asl::invalid-path",
        "/States/A/ResultPath",
    );
    assert_rule(
        &pass(r#""ResultPath": "$$.Execution","#),
        "asl::invalid-path",
        "/States/A/ResultPath",
    );
    assert_rule(
        &pass(r#""InputPath": "States.Array($.a)","#),
        "asl::invalid-path",
        "/States/A/InputPath",
    );
    assert_valid(&pass(
        r#""InputPath": "$.a[?(@.b > 1)]", "ResultPath": "$.x['y z'][0]", "OutputPath": null,"#,
    ));
    assert_rule(
        &pass(r#""Parameters": {"a.$": "$$23"},"#),
        "asl::invalid-payload-template",
        "/States/A/Parameters/a.$",
    );
    assert_rule(
        &pass(r#""Parameters": {"a.$": 3},"#),
        "asl::invalid-payload-template",
        "/States/A/Parameters/a.$",
    );
    assert_rule(
        &pass(r#""Parameters": {"a.$": "States.MathAdd(1, 'x')"},"#),
        "asl::invalid-intrinsic",
        "/States/A/Parameters/a.$",
    );
    assert_rule(
        &pass(r#""Parameters": {"a": 1, "a.$": "$.x"},"#),
        "asl::duplicate-template-field",
        "/States/A/Parameters/a.$",
    );
    assert_valid(&pass(
        r#""Parameters": {"a.$": "States.Format('{} \\'x\\' \\{\\}', $.y)", "b": [{"c.$": "$$.Execution.Id"}]},"#,
    ));
    let choice = |rule: &str| {
        def(&format!(
            r#""A": {{"Type": "Choice", "Choices": [{rule}], "Default": "B"}}, "B": {{"Type": "Succeed"}}"#
        ))
    };
    assert_rule(
        &choice(r#"{"Variable": "States.ArrayLength($.a)", "NumericEquals": 1, "Next": "B"}"#),
        "asl::invalid-path",
        "/States/A/Choices/0/Variable",
    );
    assert_rule(
        &choice(r#"{"Variable": "$.a[*]", "IsNull": true, "Next": "B"}"#),
        "asl::invalid-path",
        "/States/A/Choices/0/Variable",
    );
    assert_rule(
        &choice(r#"{"Variable": "$.a", "Next": "B"}"#),
        "asl::choice-rule",
        "/States/A/Choices/0",
    );
    assert_rule(
        &choice(r#"{"Variable": "$.a", "NumericEquals": "1", "Next": "B"}"#),
        "asl::wrong-type",
        "/States/A/Choices/0/NumericEquals",
    );
    assert_valid(&choice(
        r#"{"Not": {"Or": [{"Variable": "$.a", "NumericEqualsPath": "$.b"}, {"Variable": "$.c", "IsPresent": false}]}, "Next": "B"}"#,
    ));
}

#[test]
fn query_language_mixing_and_variables() {
    assert_rule(
        r#"{"QueryLanguage": "JSONata", "StartAt": "A", "States": {"A": {"Type": "Pass", "QueryLanguage": "JSONPath", "End": true}}}"#,
        "asl::jsonpath-in-jsonata-machine",
        "/States/A/QueryLanguage",
    );
    assert_valid(
        r#"{"StartAt": "A", "States": {"A": {"Type": "Pass", "QueryLanguage": "JSONata", "Output": "{% 1 %}", "End": true}}}"#,
    );
    assert_rule(
        &def(r#""A": {"Type": "Pass", "Assign": {"my-var": 1}, "End": true}"#),
        "asl::invalid-variable-name",
        "/States/A/Assign/my-var",
    );
    assert_rule(
        &def(r#""A": {"Type": "Pass", "Assign": {"states": 1}, "End": true}"#),
        "asl::invalid-variable-name",
        "/States/A/Assign/states",
    );
    assert_valid(&def(
        r#""A": {"Type": "Pass", "Assign": {"count": 0, "first.$": "$.items[0]", "_x": {"y.$": "$$.Execution.Id"}}, "End": true}"#,
    ));
}

#[test]
fn jsonata_strings() {
    let pass = |output: &str| {
        def(&format!(
            r#""A": {{"Type": "Pass", "QueryLanguage": "JSONata", "Output": {output}, "End": true}}"#
        ))
    };
    assert_rule(
        &pass(r#""{% $.a[?(@.b < 1)] %}""#),
        "asl::jsonata-syntax",
        "/States/A/Output",
    );
    assert_valid(&pass(
        r#"{"x": "{% $states.input.a + 1 %}", "y": [1, "{% $now() %}"]}"#,
    ));
    // Well formed to the compiler's own check, refused by the runtime's
    // evaluator when it parses: the build runs that parser too, so none of
    // these reaches a run (JSONata's suite expects each error).
    for (text, code) in [
        (r#"$states.input.7"#, "S0213"),
        (r#"'\\y'"#, "S0103"),
        ("10e1000", "S0102"),
        ("[1:2]", "S0202"),
        ("function(x){ $x }(3)", "S0208"),
        ("$.%", "S0217"),
        ("$states.input@o.x", "S0214"),
    ] {
        let definition = pass(&format!(r#""{{% {text} %}}""#));
        assert_rule(&definition, "asl::jsonata-syntax", "/States/A/Output");
        let err = load(definition.as_bytes(), "t.asl.json").unwrap_err();
        assert!(
            err.iter().any(|d| d.message.contains(code)),
            "{text}: {err}"
        );
    }
    // Valid JSONata the compiler's own check once refused.
    assert_valid(&pass(
        r#"{"x": "{% $states.input.items^(>price, <name) %}", "y": "{% ($a := 1; $a;) %}"}"#,
    ));
}

/// Issue 27: a JSONata expression is a string that starts with `{%` and ends
/// with `%}`; Step Functions takes any other string as a literal and returns it
/// as written, one that only resembles an expression included ("JSONata
/// syntax: \"{% <JSONata expression> %}\"",
/// https://docs.aws.amazon.com/step-functions/latest/dg/transforming-data.html).
/// Such strings load as literals; the own case
/// `jsonata-text-outside-delimiters.json` runs one.
#[test]
fn text_that_only_resembles_jsonata_is_a_literal() {
    let pass = |output: &str| {
        format!(
            r#"{{"QueryLanguage": "JSONata", "StartAt": "A", "States": {{"A": {{"Type": "Pass", "Output": {output}, "End": true}}}}}}"#
        )
    };
    for literal in [
        r#"" {% states.input %} ""#,
        r#""{% $states.input %} ""#,
        r#"" {% $states.input %}""#,
        r#""10 %}""#,
        r#""{% 10""#,
    ] {
        let machine = asl_build::load(pass(literal).as_bytes(), "t.asl.json")
            .unwrap_or_else(|e| panic!("{literal}: {e}"));
        let asl_build::model::StateKind::Pass(p) = &machine.states[0].kind else {
            panic!("a Pass state");
        };
        let output = p.io.output.as_ref().expect("Output");
        assert!(
            matches!(output.node, asl_build::model::TemplateNode::Literal(_)),
            "{literal}: {output:?}"
        );
    }
}

#[test]
fn resources_and_names() {
    let task = |r: &str| {
        def(&format!(
            r#""A": {{"Type": "Task", "Resource": "{r}", "End": true}}"#
        ))
    };
    // A deploy-time placeholder left in the Resource: one error naming it,
    // and nothing about the ARN it will become.
    assert_rule(
        &task("${lambdaArn}"),
        "asl::unsubstituted-placeholder",
        "/States/A/Resource",
    );
    assert_rule(
        &task("arn:aws:lambda:us-east-1:1:function:f:"),
        "asl::invalid-arn",
        "/States/A/Resource",
    );
    assert_valid(&task("arn:aws:lambda:us-east-1:123456789012:function:f"));
    let long = "N".repeat(81);
    assert_rule(
        &format!(r#"{{"StartAt": "{long}", "States": {{"{long}": {{"Type": "Succeed"}}}}}}"#),
        "asl::state-name-too-long",
        &format!("/States/{long}"),
    );
}

#[test]
fn integrations() {
    let task = |resource: &str, params: &str| {
        def(&format!(
            r#""A": {{"Type": "Task", "Resource": "arn:aws:states:::{resource}", "Parameters": {params}, "End": true}}"#
        ))
    };
    let auth = r#""ClusterName": "c", "CertificateAuthority.$": "$.ca", "Endpoint": "https://e""#;
    assert_rule(
        &task("eks:runJob.sync", &format!("{{{auth}}}")),
        "asl::integration-missing-parameter",
        "/States/A/Parameters",
    );
    assert_valid(&task(
        "eks:runJob.sync",
        &format!(r#"{{{auth}, "Job.$": "$.job", "LogOptions": {{"RetrieveLogs": true}}}}"#),
    ));
    assert_rule(
        &task(
            "eks:runJob",
            &format!(r#"{{{auth}, "Job": {{}}, "LogOptions": {{"RetrieveLogs": true}}}}"#),
        ),
        "asl::log-options-without-sync",
        "/States/A/Parameters/LogOptions",
    );
    assert_rule(
        &task(
            "eks:runJob.sync",
            &format!(r#"{{{auth}, "Job": {{}}, "Namespce": "x"}}"#),
        ),
        "asl::integration-unknown-parameter",
        "/States/A/Parameters/Namespce",
    );
    assert_rule(
        &task(
            "eks:call",
            &format!(r#"{{{auth}, "Method": "FETCH", "Path": "/"}}"#),
        ),
        "asl::integration-invalid-value",
        "/States/A/Parameters/Method",
    );
    assert_valid(&task(
        "eks:call",
        &format!(r#"{{{auth}, "Method": "PATCH", "Path": "/", "RequestBody": "x"}}"#),
    ));
    assert_rule(
        &task(
            "eks:call.sync",
            &format!(r#"{{{auth}, "Method": "GET", "Path": "/"}}"#),
        ),
        "asl::integration-pattern",
        "/States/A/Resource",
    );
    assert_rule(
        &task(
            "sns:publish",
            r#"{"TopicArn": "arn:aws:sns:us-east-1:1:t"}"#,
        ),
        "asl::integration-missing-parameter",
        "/States/A/Parameters",
    );
    assert_rule(
        &def(
            r#""A": {"Type": "Task", "Resource": "arn:aws:states:::eks:deleteCluster", "End": true}"#,
        ),
        "asl::integration-missing-parameter",
        "/States/A",
    );
}

#[test]
fn integration_parameter_values() {
    let task = |resource: &str, params: &str| {
        def(&format!(
            r#""A": {{"Type": "Task", "Resource": "arn:aws:states:::{resource}", "Parameters": {params}, "End": true}}"#
        ))
    };
    let auth = r#""ClusterName": "c", "CertificateAuthority": "ca", "Endpoint": "https://e""#;
    let run_job = |extra: &str| {
        task(
            "eks:runJob.sync",
            &format!(r#"{{{auth}, "Job": {{"kind": "Job"}}{extra}}}"#),
        )
    };
    assert_rule(
        &run_job(r#", "LogOptions": {"RetrieveLog": true}"#),
        "asl::integration-unknown-parameter",
        "/States/A/Parameters/LogOptions/RetrieveLog",
    );
    assert_rule(
        &run_job(r#", "LogOptions": {"RawLogs": "yes"}"#),
        "asl::integration-invalid-value",
        "/States/A/Parameters/LogOptions/RawLogs",
    );
    assert_rule(
        &run_job(r#", "LogOptions": {"LogParameters": {"tailLines": 6}}"#),
        "asl::integration-invalid-value",
        "/States/A/Parameters/LogOptions/LogParameters/tailLines",
    );
    assert_valid(&run_job(
        r#", "LogOptions": {"RetrieveLogs": true, "RawLogs.$": "$.raw", "LogParameters": {"tailLines": ["6"]}}"#,
    ));
    assert_rule(
        &task("eks:runJob", &format!(r#"{{{auth}, "Job": 3}}"#)),
        "asl::integration-invalid-value",
        "/States/A/Parameters/Job",
    );
    assert_rule(
        &task(
            "eks:call",
            &format!(
                r#"{{{auth}, "Method": "GET", "Path": "/", "QueryParameters": {{"labelSelector": "a=b"}}}}"#
            ),
        ),
        "asl::integration-invalid-value",
        "/States/A/Parameters/QueryParameters/labelSelector",
    );
    assert_rule(
        &task("sns:publish", r#"{"Message": "m"}"#),
        "asl::integration-missing-parameter",
        "/States/A/Parameters",
    );
    assert_valid(&task(
        "sns:publish",
        r#"{"Message": "m", "PhoneNumber.$": "$.phone"}"#,
    ));
}

#[test]
fn every_problem_is_reported_at_once() {
    let src = def(
        r#""A": {"Type": "Pass", "Next": "Nope", "ResultPath": "$.a[*]"}, "B": {"Type": "Wait", "End": true}"#,
    );
    let err = load(src.as_bytes(), "t.json").unwrap_err();
    let rules: Vec<&str> = err.iter().map(|d| d.rule.name()).collect();
    for r in [
        "asl::unknown-next-state",
        "asl::invalid-path",
        "asl::wait-duration",
        "asl::unreachable-state",
    ] {
        assert!(rules.contains(&r), "{r} missing from {rules:?}");
    }
}

#[test]
fn long_lines_are_shown_as_a_window() {
    let filler = format!(r#""Comment": "{}", "#, "x".repeat(500));
    let src = format!(
        r#"{{{filler}"StartAt": "A", "States": {{"A": {{"Type": "Pass", "Next": "Nope"}}}}}}"#
    );
    let err = load(src.as_bytes(), "min.json").unwrap_err();
    let d = err
        .iter()
        .find(|d| d.rule == "asl::unknown-next-state")
        .unwrap();
    let text = err.render(d);
    let lines: Vec<&str> = text.lines().collect();
    let source = lines.iter().find(|l| l.starts_with("1 | ")).unwrap();
    let carets = lines.iter().find(|l| l.contains('^')).unwrap();
    assert!(
        source.len() < 140 && source.contains("...") && source.contains(r#""Next": "Nope""#),
        "{text}"
    );
    let at = carets.find('^').unwrap();
    assert_eq!(&source[at..at + 6], r#""Nope""#, "{text}");
}

#[test]
fn map_labels() {
    let map = |label: &str| {
        def(&format!(
            r#""A": {{"Type": "Map", "Label": "{label}", "ItemProcessor": {{"ProcessorConfig": {{"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}}, "StartAt": "P", "States": {{"P": {{"Type": "Succeed"}}}}}}, "End": true}}"#
        ))
    };
    assert_valid(&map("Items"));
    assert_rule(&map("has space"), "asl::map-label", "/States/A/Label");
}

/// A `*.asl.yaml` definition is YAML: a syntax error, a second document or a
/// tag (`!Ref`: substitute the template first) is located in the YAML file.
#[test]
fn yaml_definitions_are_checked_as_written() {
    for (text, line) in [
        ("StartAt: A\nStates: {A: {Type: Pass, End: true}\n", 3),
        ("StartAt: A\n---\nStates: {}\n", 2),
        ("StartAt: !Ref First\nStates: {}\n", 1),
        ("? [a, b]\n: c\n", 1),
    ] {
        let err = asl_build::load(text.as_bytes(), "t.asl.yaml").unwrap_err();
        let d = &err.items[0];
        assert_eq!(
            (d.rule.name(), d.origin.line),
            ("asl::yaml-syntax", line),
            "{text}: {err}"
        );
    }
    // Valid YAML, checked as the JSON it maps to.
    let err = asl_build::load(
        b"StartAt: A\nStates:\n  A: {Type: Pass, Next: B}\n",
        "t.asl.yml",
    )
    .unwrap_err();
    let found: Vec<_> = err
        .iter()
        .map(|d| (d.rule.name(), d.origin.line, d.origin.column))
        .collect();
    assert!(found.contains(&("asl::unknown-next-state", 3, 25)), "{err}");
    assert!(found.contains(&("asl::no-terminal-state", 1, 1)), "{err}");
}

#[test]
fn data_flow() {
    // The states before it never produce `b` (more in `types.rs`).
    assert_rule(
        &def(
            r#""A": {"Type": "Pass", "Result": {"a": 1}, "Next": "B"}, "B": {"Type": "Pass", "InputPath": "$.b", "End": true}"#,
        ),
        "asl::path-never-present",
        "/States/B/InputPath",
    );
    assert_valid(&def(
        r#""A": {"Type": "Pass", "Result": {"a": 1}, "Next": "B"}, "B": {"Type": "Pass", "InputPath": "$.a", "End": true}"#,
    ));
    // `a` is always a number: the rule never matches.
    assert_rule(
        &def(
            r#""A": {"Type": "Pass", "Result": {"a": 1}, "Next": "C"}, "C": {"Type": "Choice", "Choices": [{"Variable": "$.a", "StringEquals": "1", "Next": "D"}], "Default": "D"}, "D": {"Type": "Succeed"}"#,
        ),
        "asl::type-never-matches",
        "/States/C/Choices/0/Variable",
    );
    // No state before B assigns `$v`.
    assert_rule(
        &def(
            r#""A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Pass", "Parameters": {"x.$": "$v"}, "End": true}"#,
        ),
        "asl::unassigned-variable",
        "/States/B/Parameters/x.$",
    );
    // Warnings (more in `warnings.rs`): the Catch's edge into B has no `a`;
    // the Default's edge into D no `$v`.
    let warned = |src: &str| -> Vec<(String, String)> {
        let loaded = asl_build::load_reporting(
            src.as_bytes(),
            "t.asl.json",
            &asl_build::CheckOptions::allowing_undeclared(),
        )
        .unwrap();
        loaded
            .warnings
            .iter()
            .map(|d| (d.rule.name().to_string(), d.origin.pointer.clone()))
            .collect()
    };
    assert_eq!(
        warned(&def(
            r#""A": {"Type": "Pass", "Result": {"a": 1}, "Next": "T"},
               "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "f"}, "ResultPath": null, "Next": "B",
                     "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "B"}]},
               "B": {"Type": "Pass", "InputPath": "$.a", "End": true}"#,
        )),
        [(
            "asl::path-maybe-absent".to_string(),
            "/States/B/InputPath".to_string()
        )]
    );
    assert_eq!(
        warned(&def(
            r#""A": {"Type": "Choice", "Choices": [{"Variable": "$.a", "NumericEquals": 1, "Next": "D", "Assign": {"v": 1}}], "Default": "D"},
               "D": {"Type": "Pass", "Parameters": {"x.$": "$v"}, "End": true}"#,
        )),
        [(
            "asl::variable-maybe-unassigned".to_string(),
            "/States/D/Parameters/x.$".to_string()
        )]
    );
    // A Pass has no result.
    assert_rule(
        r#"{"QueryLanguage": "JSONata", "StartAt": "A", "States": {"A": {"Type": "Pass", "Output": "{% $states.result %}", "End": true}}}"#,
        "asl::states-member-unavailable",
        "/States/A/Output",
    );
}

/// The help of the first `rule` diagnostic `src` gets.
#[track_caller]
fn help_of(src: &str, rule: &str) -> String {
    let err = load(src.as_bytes(), "t.asl.json").unwrap_err();
    let d = err
        .iter()
        .find(|d| d.rule == rule)
        .unwrap_or_else(|| panic!("{err}"));
    d.help.clone().unwrap_or_default()
}

/// `aws-sdk:<service>:<action>` against AWS's service models: unknown
/// services, actions and fields with the nearest name, required fields, JSON
/// types and enums, actions Step Functions refuses, and no `.sync`.
#[test]
fn sdk_integrations_are_checked_against_aws_models() {
    let task = |resource: &str, params: &str| {
        def(&format!(
            r#""A": {{"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:{resource}", "Parameters": {params}, "End": true}}"#
        ))
    };
    // EC2's list is `Filters` (the member), its items' fields `Name` and `Values`.
    let valid = task(
        "ec2:describeInstances",
        r#"{"Filters": [{"Name": "instance-state-name", "Values": ["running"]}], "MaxResults": 5, "InstanceIds.$": "$.ids"}"#,
    );
    assert_valid(&valid);
    let misspelled = task(
        "ec2:describeInstances",
        r#"{"Filter": [{"Name": "n", "Values": ["v"]}]}"#,
    );
    assert_rule(
        &misspelled,
        "asl::integration-unknown-parameter",
        "/States/A/Parameters/Filter",
    );
    assert!(
        help_of(&misspelled, "asl::integration-unknown-parameter")
            .contains("did you mean \"Filters\"")
    );
    assert_rule(
        &task("ec2:describeInstances", r#"{"Filters": [{"Nme": "n"}]}"#),
        "asl::integration-unknown-parameter",
        "/States/A/Parameters/Filters/0/Nme",
    );
    assert_rule(
        &task("ec2:describeInstances", r#"{"MaxResults": "5"}"#),
        "asl::integration-invalid-value",
        "/States/A/Parameters/MaxResults",
    );
    assert_rule(
        &task("ec2:describeInstances", r#"{"Filters": {"Name": "n"}}"#),
        "asl::integration-invalid-value",
        "/States/A/Parameters/Filters",
    );
    // Required, in Java's spelling (RDS's DBInstanceIdentifier).
    assert_rule(
        &task("ssm:getParameter", r#"{"WithDecryption": true}"#),
        "asl::integration-missing-parameter",
        "/States/A/Parameters",
    );
    assert_valid(&task(
        "rds:describeDBInstances",
        r#"{"DbInstanceIdentifier": "db-1"}"#,
    ));
    assert!(
        help_of(
            &task(
                "rds:describeDBInstances",
                r#"{"DBInstanceIdentifier": "db-1"}"#
            ),
            "asl::integration-unknown-parameter"
        )
        .contains("did you mean \"DbInstanceIdentifier\"")
    );
    // An enum's values.
    assert_rule(
        &task(
            "ssm:putParameter",
            r#"{"Name": "n", "Value": "v", "Type": "Text"}"#,
        ),
        "asl::integration-invalid-value",
        "/States/A/Parameters/Type",
    );
    assert_valid(&task(
        "ssm:putParameter",
        r#"{"Name": "n", "Value": "v", "Type": "SecureString"}"#,
    ));
    // Unknown service and action, with the nearest names.
    let service = task("ecc2:describeInstances", "{}");
    assert_rule(&service, "asl::sdk-unknown-service", "/States/A/Resource");
    assert!(help_of(&service, "asl::sdk-unknown-service").contains("`aws-sdk:ec2`"));
    let action = task("ec2:describeInstance", "{}");
    assert_rule(&action, "asl::sdk-unknown-action", "/States/A/Resource");
    assert!(help_of(&action, "asl::sdk-unknown-action").contains("`describeInstances`"));
    let pascal = task("ec2:DescribeInstances", "{}");
    assert!(help_of(&pascal, "asl::sdk-unknown-action").contains("`describeInstances`"));
    // What AWS refuses: listed actions and event streams.
    assert_rule(
        &task("s3:selectObjectContent", "{}"),
        "asl::sdk-unsupported-action",
        "/States/A/Resource",
    );
    assert_rule(
        &task("lambda:invokeAsync", "{}"),
        "asl::sdk-unsupported-action",
        "/States/A/Resource",
    );
    assert_rule(
        &task("kinesis:subscribeToShard", "{}"),
        "asl::sdk-unsupported-action",
        "/States/A/Resource",
    );
    assert_rule(
        &task("glue:startJobRun.sync", r#"{"JobName": "j"}"#),
        "asl::integration-pattern",
        "/States/A/Resource",
    );
    assert_valid(&task(
        "glue:startJobRun.waitForTaskToken",
        r#"{"JobName": "j"}"#,
    ));
    // Built-in catalogue entries keep their own rules.
    assert_valid(&task("s3:getObject", r#"{"Bucket": "b", "Key": "k"}"#));
    // In any partition, with a region and account.
    assert_rule(
        &def(
            r#""A": {"Type": "Task", "Resource": "arn:aws-cn:states:cn-north-1:123456789012:aws-sdk:ec2:describeInstancez", "End": true}"#,
        ),
        "asl::sdk-unknown-action",
        "/States/A/Resource",
    );
}

/// Optimized integrations served from AWS's models (Athena, Glue, Batch,
/// ECS, Bedrock) are checked against the model's action, with the patterns
/// their pages list, and Bedrock's `Body` any JSON.
#[test]
fn optimized_integrations_are_checked_against_the_model() {
    let task = |resource: &str, parameters: &str| {
        def(&format!(
            r#""A": {{"Type": "Task", "Resource": "arn:aws:states:::{resource}", "Parameters": {parameters}, "End": true}}"#
        ))
    };
    assert_valid(&task(
        "athena:startQueryExecution.sync",
        r#"{"QueryString": "SELECT 1", "WorkGroup": "primary"}"#,
    ));
    let misspelled = task(
        "athena:startQueryExecution.sync",
        r#"{"QueryStrin": "SELECT 1"}"#,
    );
    assert_rule(
        &misspelled,
        "asl::integration-unknown-parameter",
        "/States/A/Parameters/QueryStrin",
    );
    assert!(
        help_of(&misspelled, "asl::integration-unknown-parameter")
            .contains("did you mean \"QueryString\"")
    );
    assert_rule(
        &task("glue:startJobRun.sync", "{}"),
        "asl::integration-missing-parameter",
        "/States/A/Parameters",
    );
    assert_rule(
        &task(
            "athena:getQueryResults.sync",
            r#"{"QueryExecutionId": "q"}"#,
        ),
        "asl::integration-pattern",
        "/States/A/Resource",
    );
    assert_valid(&task(
        "bedrock:invokeModel",
        r#"{"ModelId": "anthropic.claude-v2", "Body": {"prompt.$": "$.prompt", "max_tokens": 200}}"#,
    ));
    assert_valid(&def(
        r#""A": {"Type": "Task", "Resource": "arn:aws:states:us-east-1:123456789012:athena:getQueryResults", "Parameters": {"QueryExecutionId": "q"}, "End": true}"#,
    ));
    // Bedrock's Input and Output in S3: valid, not served by the built-in
    // caller yet; a handler of the program's own may serve them.
    let s3_input = task(
        "bedrock:invokeModel",
        r#"{"ModelId": "m", "Input": {"S3Uri": "s3://b/k"}}"#,
    );
    let err = load_with(s3_input.as_bytes(), "t.asl.json", &CheckOptions::default()).unwrap_err();
    assert!(
        err.iter()
            .any(|d| d.rule == "asl::unsupported"
                && d.origin.pointer == "/States/A/Parameters/Input"),
        "{err}"
    );
    let declared = CheckOptions::declaring(["arn:aws:states:::bedrock:invokeModel"]);
    assert!(load_with(s3_input.as_bytes(), "t.asl.json", &declared).is_ok());
}

/// Every rule of [`Rule::ALL`] (the one list: a diagnostic can only name one of
/// them) is exercised by a test in this file.
#[test]
fn every_rule_is_tested() {
    let this_file = include_str!("rules.rs");
    for rule in Rule::ALL {
        assert!(
            this_file.contains(&format!("\"{}\"", rule.name())),
            "{rule} has no test in tests/front_end/rules.rs"
        );
    }
}

#[test]
fn rendering_is_rustc_style() {
    let src = "{\n  \"StartAt\": \"Foo\",\n  \"States\": {\n    \"Foo\": {\n      \"Type\": \"Pass\",\n      \"Next\": \"Bar\"\n    }\n  }\n}\n";
    let err = load(src.as_bytes(), "workflow.asl.json").unwrap_err();
    let d = err
        .iter()
        .find(|d| d.rule == "asl::unknown-next-state")
        .unwrap();
    let text = err.render(d);
    let expected = "error[asl::unknown-next-state]: state \"Foo\" has Next \"Bar\", but there is no state \"Bar\"\n \
                    --> workflow.asl.json:6:15\n  |\n6 |       \"Next\": \"Bar\"\n  |               ^^^^^\n  = at: /States/Foo/Next\n";
    assert!(text.starts_with(expected), "{text}");
    assert!(text.contains("= help: "), "{text}");
}

/// `asl::undeclared-resource`: a Task whose Resource is neither built in nor
/// declared is refused by the checker itself (before, only code generation did,
/// so `asl check` passed what `asl!` refused).
#[test]
fn undeclared_resources_are_refused_before_code_generation() {
    let src = def(
        r#""A": {"Type": "Task", "Resource": "arn:aws:states:::glue:startCrawler.sync", "End": true}"#,
    );
    let err = load_with(src.as_bytes(), "t.asl.json", &CheckOptions::default()).unwrap_err();
    assert_eq!(err.items.len(), 1, "{err}");
    assert_eq!(err.items[0].rule, "asl::undeclared-resource");
    assert_eq!(err.items[0].origin.pointer, "/States/A/Resource");
    let declared = CheckOptions::declaring(["arn:aws:states:::glue:startCrawler.sync"]);
    assert!(load_with(src.as_bytes(), "t.asl.json", &declared).is_ok());
    assert!(
        load_with(
            src.as_bytes(),
            "t.asl.json",
            &CheckOptions::allowing_undeclared()
        )
        .is_ok()
    );
    // Activities are served by the runtime (workers take their tasks from
    // its store): nothing to declare.
    let activity = def(
        r#""A": {"Type": "Task", "Resource": "arn:aws:states:us-east-1:123456789012:activity:f", "End": true}"#,
    );
    assert!(load_with(activity.as_bytes(), "t.asl.json", &CheckOptions::default()).is_ok());
    // Built-in integrations need no declaration, in every partition.
    let builtin = def(
        r#""A": {"Type": "Task", "Resource": "arn:aws-cn:states:::sns:publish", "Parameters": {"TopicArn": "t", "Message": "m"}, "End": true}"#,
    );
    assert!(load_with(builtin.as_bytes(), "t.asl.json", &CheckOptions::default()).is_ok());
}

/// Task `Credentials` (a literal role, a path, a variable, an intrinsic, JSONata)
/// and `Assign` in a Catch of a JSONPath state are run, not refused.
#[test]
fn credentials_and_jsonpath_catch_assign_are_accepted() {
    for role in [
        r#"{"RoleArn": "arn:aws:iam::222222222222:role/Writer"}"#,
        r#"{"RoleArn.$": "$.role"}"#,
        r#"{"RoleArn.$": "$$.Execution.Input.role"}"#,
        r#"{"RoleArn.$": "$role"}"#,
        r#"{"RoleArn.$": "States.Format('arn:aws:iam::{}:role/Writer', $.account)"}"#,
    ] {
        // `$role` is assigned before (a variable no path assigns is
        // `asl::unassigned-variable`).
        assert_valid(&format!(
            r#"{{"StartAt": "S", "States": {{"S": {{"Type": "Pass", "Assign": {{"role": "arn:aws:iam::222222222222:role/Writer"}}, "Next": "A"}},
               "A": {{"Type": "Task", "Resource": "arn:aws:states:::sns:publish", "Credentials": {role}, "Parameters": {{"TopicArn": "t", "Message": "m"}}, "End": true}}}}}}"#
        ));
    }
    assert_valid(
        r#"{"QueryLanguage": "JSONata", "StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "arn:aws:states:::sns:publish", "Credentials": {"RoleArn": "{% $states.input.role %}"}, "Arguments": {"TopicArn": "t", "Message": "m"}, "End": true}}}"#,
    );
    assert_valid(&def(
        r#""A": {"Type": "Task", "Resource": "arn:aws:states:::sns:publish", "Parameters": {"TopicArn": "t", "Message": "m"}, "Catch": [{"ErrorEquals": ["States.ALL"], "Assign": {"failure.$": "$", "cause.$": "$.Cause", "state.$": "$$.State.Name"}, "ResultPath": "$.error", "Next": "B"}], "End": true},
           "B": {"Type": "Pass", "Parameters": {"why.$": "$failure.Error"}, "End": true}"#,
    ));
    // What the template rules refuse elsewhere, they refuse in these fields too.
    assert_rule(
        &def(
            r#""A": {"Type": "Task", "Resource": "arn:aws:states:::sns:publish", "Parameters": {"TopicArn": "t", "Message": "m"}, "Catch": [{"ErrorEquals": ["States.ALL"], "Assign": {"x.$": "$seen[?(@.a)]"}, "Next": "B"}], "End": true},
               "B": {"Type": "Pass", "End": true}"#,
        ),
        "asl::unsupported",
        "/States/A/Catch/0/Assign/x.$",
    );
}

/// `asl::unsupported`: constructs AWS runs that asl cannot run yet are refused by
/// the checker (`load`), not first discovered by code generation.
#[test]
fn unsupported_constructs_are_refused_by_the_checker() {
    assert_rule(
        &def(
            r#""A": {"Type": "Map", "ItemReader": {"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": {"InputType": "PARQUET"}, "Parameters": {"Bucket": "b", "Key": "k"}}, "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}, "StartAt": "P", "States": {"P": {"Type": "Succeed"}}}, "End": true}"#,
        ),
        "asl::unsupported",
        "/States/A/ItemReader/ReaderConfig",
    );
    // What Step Functions' JSONata 2.0.6 does not have (`??`, `?:`) and regular
    // expressions the runtime's evaluator cannot run: the runtime refuses them
    // with the same guard, so the build must refuse them too.
    for (expr, what) in [
        ("$states.input.a ?? 1", "coalescing"),
        ("$states.input.a ?: 1", "default"),
        ("$match($states.input.s, /a(?=b)/)", "lookahead"),
    ] {
        let src = format!(
            r#"{{"QueryLanguage": "JSONata", "StartAt": "A", "States": {{"A": {{"Type": "Pass", "Output": "{{% {expr} %}}", "End": true}}}}}}"#
        );
        let err = load(src.as_bytes(), "t.asl.json").unwrap_err();
        assert!(
            err.iter()
                .any(|d| d.rule == Rule::Unsupported && d.origin.pointer == "/States/A/Output"),
            "{what}: {err}"
        );
    }
    // The parent operator and partial application run (jsonata-rs, the evaluator
    // before, could not).
    for expr in ["$states.input.a.%.b", "$substring(?, 1)($states.input.s)"] {
        let src = format!(
            r#"{{"QueryLanguage": "JSONata", "StartAt": "A", "States": {{"A": {{"Type": "Pass", "Output": "{{% {expr} %}}", "End": true}}}}}}"#
        );
        assert!(load(src.as_bytes(), "t.asl.json").is_ok(), "{expr}");
    }
}

/// `asl::invalid-type-name`: the name given to the generated type must be a Rust
/// identifier; a bad one is a located error, not a panic.
#[test]
fn type_names_are_rust_identifiers() {
    let src = def(r#""A": {"Type": "Pass", "End": true}"#);
    for bad in ["my-flow", "", "1st", "Hello World", "self", "r#"] {
        let options = asl_build::codegen::Options {
            type_name: bad.into(),
            ..Default::default()
        };
        let err = asl_build::codegen::compile(src.as_bytes(), "t.asl.json", &options).unwrap_err();
        assert_eq!(err.items[0].rule, "asl::invalid-type-name", "{bad}: {err}");
    }
}

/// Each of the disagreements between the compiler and the runtime that issue 9
/// found, pinned: the compiler now reads the facts the runtime reads.
mod agreement {
    use super::*;

    /// EKS fields the runtime sends (from the catalogue) are accepted at compile
    /// time: they were refused as `asl::integration-unknown-parameter`.
    #[test]
    fn eks_parameters_the_runtime_knows_compile() {
        for (api, field) in [
            ("createCluster", "ControlPlaneScalingConfig"),
            ("createCluster", "KubeApiServerConfig"),
            ("createNodegroup", "WarmPoolConfig"),
        ] {
            let params = match api {
                "createCluster" => format!(
                    r#"{{"Name": "c", "RoleArn": "r", "ResourcesVpcConfig": {{}}, "{field}": {{}}}}"#
                ),
                _ => format!(
                    r#"{{"ClusterName": "c", "NodegroupName": "n", "NodeRole": "r", "Subnets": ["s"], "{field}": {{}}}}"#
                ),
            };
            let src = def(&format!(
                r#""A": {{"Type": "Task", "Resource": "arn:aws:states:::eks:{api}", "Parameters": {params}, "End": true}}"#
            ));
            load(src.as_bytes(), "t.asl.json").unwrap_or_else(|e| panic!("{field}: {e}"));
        }
    }

    /// An impossible date is not a timestamp: the checker accepted
    /// `2024-02-31T00:00:00Z`, which the runtime's parser refuses (a Wait on it
    /// was skipped at run time, a Choice against it always false).
    #[test]
    fn impossible_dates_are_refused() {
        assert_rule(
            &def(r#""A": {"Type": "Wait", "Timestamp": "2024-02-31T00:00:00Z", "End": true}"#),
            "asl::invalid-timestamp",
            "/States/A/Timestamp",
        );
        super::assert_valid(&def(
            r#""A": {"Type": "Wait", "Timestamp": "2024-02-29T00:00:00Z", "End": true}"#,
        ));
    }
}

/// Issue 10: a 28 KB field of 2,000 nested intrinsic calls crashed rustc inside
/// the proc macro (and `asl check` at 8,000). Nesting is bounded before the
/// parser recurses: a located `asl::invalid-intrinsic`; 32 levels still compile
/// and format.
#[test]
fn deeply_nested_intrinsics_are_a_located_error() {
    let nested = |n: usize| format!("{}1{}", "States.Array(".repeat(n), ")".repeat(n));
    for n in [33, 2_000, 20_000] {
        let src = def(&format!(
            r#""A": {{"Type": "Pass", "Parameters": {{"x.$": "{}"}}, "End": true}}"#,
            nested(n)
        ));
        let err = load(src.as_bytes(), "t.asl.json").unwrap_err();
        assert_eq!(err.len(), 1, "{n}");
        assert_eq!(err.items[0].rule, "asl::invalid-intrinsic");
        assert_eq!(err.items[0].origin.pointer, "/States/A/Parameters/x.$");
        assert!(err.items[0].message.contains("at most 32"), "{err}");
    }
    let src = def(&format!(
        r#""A": {{"Type": "Pass", "Parameters": {{"x.$": "{}"}}, "End": true}}"#,
        nested(32)
    ));
    let options = asl_build::codegen::Options::default();
    let file = asl_build::builder::generate_file(src.as_bytes(), "t.asl.json", &options)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        file.contains("intrinsics::array"),
        "32 nested calls generate"
    );
}

/// Issue 10: `Builder::workflow("my-flow", ...)` panicked in `Ident::new`; it is
/// now a structured error naming the rule.
#[test]
fn the_builder_refuses_a_type_name_that_is_not_rust() {
    let dir = std::env::temp_dir().join(format!("asl-builder-names-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("flow.asl.json");
    std::fs::write(&file, def(r#""A": {"Type": "Pass", "End": true}"#)).unwrap();
    for bad in ["my-flow", "", "1st", "Hello World"] {
        let err = asl_build::Builder::new()
            .workflow(bad, &file)
            .out_dir(&dir)
            .emit_rerun_if_changed(false)
            .compile()
            .unwrap_err();
        let rules: Vec<&str> = err
            .diagnostics()
            .iter()
            .flat_map(|d| d.iter().map(|x| x.rule.name()))
            .collect();
        assert_eq!(rules, ["asl::invalid-type-name"], "{bad}: {err}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// Issue 10: checks and rendering stay linear: 100,000 Parameters keys load, and
/// 20,000 duplicate keys on one 120 KB line render as text (the first 50 of the
/// rule in full, then a count) and as JSON without copying the line per
/// diagnostic. (Timings are in the `check` benchmark, not asserted here.)
#[test]
fn large_inputs_stay_linear() {
    let keys: Vec<String> = (0..100_000).map(|i| format!(r#""k{i}": {i}"#)).collect();
    let src = def(&format!(
        r#""A": {{"Type": "Pass", "Parameters": {{{}}}, "End": true}}"#,
        keys.join(",")
    ));
    load(src.as_bytes(), "big.asl.json").unwrap();

    let dups = vec![r#""a": 1"#; 20_000].join(",");
    let src = format!(
        r#"{{"StartAt": "A", "States": {{"A": {{"Type": "Pass", "Result": {{{dups}}}, "End": true}}}}, "Comment": "{}"}}"#,
        "x".repeat(100_000)
    );
    let err = load(src.as_bytes(), "dups.asl.json").unwrap_err();
    assert_eq!(err.len(), 19_999);
    let text = err.to_string();
    assert_eq!(
        text.matches("error[asl::duplicate-key]").count(),
        51,
        "50 in full and one count"
    );
    assert!(
        text.contains("19949 more problems of this rule"),
        "{}",
        &text[text.len() - 300..]
    );
    assert!(text.len() < 200_000, "{}", text.len());
    let json = serde_json::to_string(&err.to_json()).unwrap();
    // Each entry carries at most a 1,000-character window of the line.
    assert!(json.len() < 20_000 * 2_000, "{}", json.len());
}

/// Issue 12 (in part): Lambda's `$LATEST` qualifier is a valid ARN; a `$`
/// anywhere else is still refused.
#[test]
fn lambda_latest_qualifier_is_an_arn() {
    let task = |arn: &str| {
        def(&format!(
            r#""A": {{"Type": "Task", "Resource": "{arn}", "End": true}}"#
        ))
    };
    for ok in [
        "arn:aws:lambda:us-east-1:123456789012:function:resize:$LATEST",
        "arn:aws:lambda:us-east-1:123456789012:function:resize:7",
        "arn:aws:lambda:us-east-1:123456789012:function:resize:prod",
    ] {
        assert_valid(&task(ok));
    }
    for bad in [
        "arn:aws:lambda:us-east-1:123456789012:function:resize:$LATES",
        "arn:aws:sqs:us-east-1:123456789012:queue:$LATEST",
    ] {
        assert_rule(&task(bad), "asl::invalid-arn", "/States/A/Resource");
    }
}

/// Issue 27: Step Functions accepts a Lambda function ARN without region and
/// account, `arn:aws:lambda:::function:NAME` (a deployed public sample and the
/// asl-validator schema, whose Task `Resource` pattern lets both be empty, take
/// it); the function is the one in the state machine's own region and account.
/// Leaving out only one of the two is still refused.
#[test]
fn lambda_arn_without_region_and_account() {
    let task = |arn: &str| {
        def(&format!(
            r#""A": {{"Type": "Task", "Resource": "{arn}", "End": true}}"#
        ))
    };
    assert_valid(&task("arn:aws:lambda:::function:publish-to-slack"));
    assert_valid(&task("arn:aws:lambda:::function:publish-to-slack:$LATEST"));
    for bad in [
        "arn:aws:lambda:us-east-1::function:f",
        "arn:aws:lambda::123456789012:function:f",
        "arn:aws:lambda:::function:",
    ] {
        assert_rule(&task(bad), "asl::invalid-arn", "/States/A/Resource");
    }
}

/// The integrations beyond EKS are checked from the same catalogue: required
/// parameters, unknown ones, literal types and documented values.
#[test]
fn every_family_is_checked_from_the_catalogue() {
    let task = |resource: &str, parameters: &str| {
        def(&format!(
            r#""A": {{"Type": "Task", "Resource": "{resource}", "Parameters": {parameters}, "End": true}}"#
        ))
    };
    assert_rule(
        &task("arn:aws:states:::lambda:invoke", r#"{"Payload": {}}"#),
        "asl::integration-missing-parameter",
        "/States/A/Parameters",
    );
    assert_rule(
        &task(
            "arn:aws:states:::lambda:invoke",
            r#"{"FunctionName": "f", "InvocationType": "Later"}"#,
        ),
        "asl::integration-invalid-value",
        "/States/A/Parameters/InvocationType",
    );
    assert_rule(
        &task(
            "arn:aws:states:::dynamodb:getItem",
            r#"{"TableName": "t", "Key": {}, "Keys": {}}"#,
        ),
        "asl::integration-unknown-parameter",
        "/States/A/Parameters/Keys",
    );
    assert_rule(
        &task(
            "arn:aws:states:::aws-sdk:s3:listObjectsV2",
            r#"{"Bucket": "b", "MaxKeys": "10"}"#,
        ),
        "asl::integration-invalid-value",
        "/States/A/Parameters/MaxKeys",
    );
    assert_rule(
        &task(
            "arn:aws:states:::events:putEvents",
            r#"{"Entries": [{"Source": "s", "Detial": {}}]}"#,
        ),
        "asl::integration-unknown-parameter",
        "/States/A/Parameters/Entries/0/Detial",
    );
    assert_rule(
        &task(
            "arn:aws:states:::http:invoke",
            r#"{"ApiEndpoint": "https://x", "Method": "GET"}"#,
        ),
        "asl::integration-missing-parameter",
        "/States/A/Parameters",
    );
    assert_rule(
        &task(
            "arn:aws:states:::states:startExecution.sync:2",
            r#"{"Input": {}}"#,
        ),
        "asl::integration-missing-parameter",
        "/States/A/Parameters",
    );
    // A pattern the API does not have.
    assert_rule(
        &task(
            "arn:aws:states:::dynamodb:getItem.sync",
            r#"{"TableName": "t", "Key": {}}"#,
        ),
        "asl::integration-pattern",
        "/States/A/Resource",
    );
    // Valid ones load, `Name.$` counting as `Name`.
    for (resource, parameters) in [
        (
            "arn:aws:states:::sqs:sendMessage",
            r#"{"QueueUrl.$": "$.q", "MessageBody.$": "$"}"#,
        ),
        (
            "arn:aws:states:::aws-sdk:dynamodb:transactWriteItems",
            r#"{"TransactItems": []}"#,
        ),
        (
            "arn:aws:states:::states:startExecution.sync",
            r#"{"StateMachineArn": "arn:aws:states:us-east-1:1:stateMachine:C"}"#,
        ),
    ] {
        let src = task(resource, parameters);
        if let Err(e) = load(src.as_bytes(), "t.asl.json") {
            panic!("{resource}: {e}");
        }
    }
}

/// Issue 27: in a JSONata Choice rule, `Condition` may be a JSON boolean as
/// well as a `{% %}` expression; Step Functions accepts `"Condition": true`
/// and evaluates it (the own case `choice-condition-literal-boolean.json`
/// runs one; https://docs.aws.amazon.com/step-functions/latest/dg/state-choice.html).
/// Any other JSON value is still the wrong type.
#[test]
fn a_choice_condition_may_be_a_boolean() {
    let choice = |condition: &str| {
        format!(
            r#"{{"QueryLanguage": "JSONata", "StartAt": "C", "States": {{"C": {{"Type": "Choice", "Choices": [{{"Condition": {condition}, "Next": "D"}}], "Default": "D"}}, "D": {{"Type": "Succeed"}}}}}}"#
        )
    };
    for ok in ["true", "false", r#""{% true %}""#] {
        let machine = asl_build::load(choice(ok).as_bytes(), "t.asl.json")
            .unwrap_or_else(|e| panic!("{ok}: {e}"));
        let asl_build::model::StateKind::Choice(c) = &machine.states[0].kind else {
            panic!("a Choice state");
        };
        if let Ok(b) = ok.parse::<bool>() {
            assert_eq!(
                c.choices[0].condition.kind,
                asl_build::model::ConditionKind::Literal(b)
            );
        }
    }
    assert_rule(
        &choice("1"),
        "asl::wrong-type",
        "/States/C/Choices/0/Condition",
    );
    assert_rule(
        &choice(r#""true""#),
        "asl::jsonata-syntax",
        "/States/C/Choices/0/Condition",
    );
}

/// A distributed Map's ItemReader and ResultWriter are complete, consistent
/// and in a DISTRIBUTED Map only (`asl::distributed-map`); enumerated values
/// are `asl::unknown-value`; what asl does not read yet is `asl::unsupported`.
#[test]
fn distributed_map_readers_and_writers() {
    let map = |mode: &str, fields: &str| {
        def(&format!(
            r#""A": {{"Type": "Map", {fields}, "ItemProcessor": {{"ProcessorConfig": {{"Mode": "{mode}"}}, "StartAt": "P", "States": {{"P": {{"Type": "Succeed"}}}}}}, "End": true}}"#
        ))
    };
    let reader = |config: &str, params: &str| {
        format!(
            r#""ItemReader": {{"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": {config}, "Parameters": {params}}}"#
        )
    };
    let ok = reader(
        r#"{"InputType": "CSV", "CSVHeaderLocation": "GIVEN", "CSVHeaders": ["a", "b"], "CSVDelimiter": "PIPE", "MaxItemsPath": "$.n"}"#,
        r#"{"Bucket": "b", "Key.$": "$.key"}"#,
    );
    assert_valid(&map("DISTRIBUTED", &ok));
    assert_valid(&map(
        "DISTRIBUTED",
        r#""ItemReader": {"Resource": "arn:aws:states:::s3:listObjectsV2", "Parameters": {"Bucket": "b", "Prefix": "p/"}}, "ResultWriter": {"Resource": "arn:aws:states:::s3:putObject", "Parameters": {"Bucket": "b", "Prefix": "out"}, "WriterConfig": {"OutputType": "JSONL", "Transformation": "COMPACT"}}"#,
    ));
    // asl runs a reader in a distributed Map only.
    assert_rule(
        &map("INLINE", &ok),
        "asl::unsupported",
        "/States/A/ItemReader",
    );
    for (config, params, rule) in [
        // GIVEN without CSVHeaders, CSVHeaders twice the same, FIRST_ROW with CSVHeaders.
        (
            r#"{"InputType": "CSV", "CSVHeaderLocation": "GIVEN"}"#,
            r#"{"Bucket": "b", "Key": "k"}"#,
            "asl::distributed-map",
        ),
        (
            r#"{"InputType": "CSV", "CSVHeaderLocation": "GIVEN", "CSVHeaders": ["a", "a"]}"#,
            r#"{"Bucket": "b", "Key": "k"}"#,
            "asl::distributed-map",
        ),
        (
            r#"{"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW", "CSVHeaders": ["a"]}"#,
            r#"{"Bucket": "b", "Key": "k"}"#,
            "asl::distributed-map",
        ),
        // CSV fields with JSON; no InputType for getObject.
        (
            r#"{"InputType": "JSON", "CSVDelimiter": "PIPE"}"#,
            r#"{"Bucket": "b", "Key": "k"}"#,
            "asl::distributed-map",
        ),
        (
            r#"{"MaxItems": 3}"#,
            r#"{"Bucket": "b", "Key": "k"}"#,
            "asl::distributed-map",
        ),
        // Values outside their sets.
        (
            r#"{"InputType": "XML"}"#,
            r#"{"Bucket": "b", "Key": "k"}"#,
            "asl::unknown-value",
        ),
        (
            r#"{"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW", "CSVDelimiter": "COLON"}"#,
            r#"{"Bucket": "b", "Key": "k"}"#,
            "asl::unknown-value",
        ),
    ] {
        assert_rule(
            &map("DISTRIBUTED", &reader(config, params)),
            rule,
            "/States/A/ItemReader/ReaderConfig",
        );
    }
    // The object's Key is required, unknown parameters refused.
    assert_rule(
        &map(
            "DISTRIBUTED",
            &reader(r#"{"InputType": "JSON"}"#, r#"{"Bucket": "b"}"#),
        ),
        "asl::distributed-map",
        "/States/A/ItemReader/Parameters",
    );
    assert_rule(
        &map(
            "DISTRIBUTED",
            &reader(
                r#"{"InputType": "JSON"}"#,
                r#"{"Bucket": "b", "Key": "k", "Range": "x"}"#,
            ),
        ),
        "asl::unknown-field",
        "/States/A/ItemReader/Parameters",
    );
    // A reader resource that is not one; a writer that is not putObject.
    assert_rule(
        &map(
            "DISTRIBUTED",
            r#""ItemReader": {"Resource": "arn:aws:states:::s3:putObject", "Parameters": {"Bucket": "b"}}"#,
        ),
        "asl::distributed-map",
        "/States/A/ItemReader/Resource",
    );
    assert_rule(
        &map(
            "DISTRIBUTED",
            r#""ResultWriter": {"Resource": "arn:aws:states:::s3:getObject", "Parameters": {"Bucket": "b"}}"#,
        ),
        "asl::distributed-map",
        "/States/A/ResultWriter/Resource",
    );
    assert_rule(
        &map(
            "DISTRIBUTED",
            r#""ResultWriter": {"WriterConfig": {"Transformation": "SQUASH"}}"#,
        ),
        "asl::unknown-value",
        "/States/A/ResultWriter/WriterConfig",
    );
}

/// Issue 23: `apigateway:invoke` is checked as AWS's page gives it: its nine
/// parameters (a misspelt one with the nearest name), `Method` and
/// `AuthType` among their values, `Headers` and `QueryParameters` as lists
/// of strings, `ApiEndpoint` a host name (not a URL), and no header Step
/// Functions refuses to send; `.sync` is not one of its patterns.
#[test]
fn api_gateway_invoke_is_checked_as_aws_documents_it() {
    let task = |resource: &str, parameters: &str| {
        def(&format!(
            r#""A": {{"Type": "Task", "Resource": "{resource}", "Parameters": {parameters}, "End": true}}"#
        ))
    };
    let invoke = "arn:aws:states:::apigateway:invoke";
    let endpoint = r#""ApiEndpoint": "abc123.execute-api.us-east-1.amazonaws.com""#;
    let ok = task(
        invoke,
        &format!(
            r#"{{{endpoint}, "Method": "POST", "Stage": "prod", "Path.$": "$.path", "Headers": {{"TaskToken.$": "States.Array($$.Task.Token)"}}, "QueryParameters": {{"id": ["1", "2"]}}, "RequestBody": {{"a": null}}, "AllowNullValues": true, "AuthType": "IAM_ROLE"}}"#
        ),
    );
    load(ok.as_bytes(), "t.asl.json").unwrap_or_else(|e| panic!("{e}"));
    let src = task(
        invoke,
        &format!(r#"{{{endpoint}, "Method": "GET", "QueryParameter": {{}}}}"#),
    );
    assert_rule(
        &src,
        "asl::integration-unknown-parameter",
        "/States/A/Parameters/QueryParameter",
    );
    assert!(
        help_of(&src, "asl::integration-unknown-parameter")
            .starts_with("did you mean \"QueryParameters\"?"),
        "{}",
        help_of(&src, "asl::integration-unknown-parameter")
    );
    assert_rule(
        &task(invoke, &format!(r#"{{{endpoint}, "Method": "FETCH"}}"#)),
        "asl::integration-invalid-value",
        "/States/A/Parameters/Method",
    );
    assert_rule(
        &task(
            invoke,
            &format!(r#"{{{endpoint}, "Method": "GET", "AuthType": "IAM"}}"#),
        ),
        "asl::integration-invalid-value",
        "/States/A/Parameters/AuthType",
    );
    assert_rule(
        &task(
            invoke,
            &format!(r#"{{{endpoint}, "Method": "GET", "Headers": {{"X-Id": "1"}}}}"#),
        ),
        "asl::integration-invalid-value",
        "/States/A/Parameters/Headers/X-Id",
    );
    assert_rule(
        &task(
            invoke,
            &format!(r#"{{{endpoint}, "Method": "GET", "AllowNullValues": "yes"}}"#),
        ),
        "asl::integration-invalid-value",
        "/States/A/Parameters/AllowNullValues",
    );
    assert_rule(
        &task(
            invoke,
            r#"{"ApiEndpoint": "https://abc123.execute-api.us-east-1.amazonaws.com/prod", "Method": "GET"}"#,
        ),
        "asl::integration-invalid-value",
        "/States/A/Parameters/ApiEndpoint",
    );
    assert_rule(
        &task(
            invoke,
            &format!(r#"{{{endpoint}, "Method": "GET", "Headers": {{"Authorization": ["x"]}}}}"#),
        ),
        "asl::integration-invalid-value",
        "/States/A/Parameters/Headers/Authorization",
    );
    assert_rule(
        &task(invoke, r#"{"Method": "GET"}"#),
        "asl::integration-missing-parameter",
        "/States/A/Parameters",
    );
    assert_rule(
        &task(
            "arn:aws:states:::apigateway:invoke.sync",
            &format!(r#"{{{endpoint}, "Method": "GET"}}"#),
        ),
        "asl::integration-pattern",
        "/States/A/Resource",
    );
}

/// EMR's optimized integrations are checked against the fields their page
/// documents, not EMR's: `addStep` takes `ClusterId` and one `Step`, the
/// `*ByName` ones a name and no id, `createCluster` no `Steps` and a
/// cluster kept alive.
#[test]
fn emr_integrations_are_checked_against_their_own_fields() {
    let task = |resource: &str, parameters: &str| {
        def(&format!(
            r#""A": {{"Type": "Task", "Resource": "arn:aws:states:::elasticmapreduce:{resource}", "Parameters": {parameters}, "End": true}}"#
        ))
    };
    let step = r#"{"Name": "s", "ActionOnFailure": "CONTINUE", "HadoopJarStep": {"Jar": "command-runner.jar", "Args": ["true"]}}"#;
    assert_valid(&task(
        "addStep.sync",
        &format!(r#"{{"ClusterId.$": "$.ClusterId", "Step": {step}}}"#),
    ));
    // The action's own names are not the integration's.
    let emr_names = task(
        "addStep",
        &format!(r#"{{"JobFlowId": "j-1", "Steps": [{step}]}}"#),
    );
    assert_rule(
        &emr_names,
        "asl::integration-unknown-parameter",
        "/States/A/Parameters/JobFlowId",
    );
    assert_rule(
        &emr_names,
        "asl::integration-missing-parameter",
        "/States/A/Parameters",
    );
    // The step is checked as EMR's StepConfig.
    assert_rule(
        &task(
            "addStep",
            r#"{"ClusterId": "j-1", "Step": {"Name": "s", "ActionOnFailure": "GO_ON", "HadoopJarStep": {"Jar": "j"}}}"#,
        ),
        "asl::integration-invalid-value",
        "/States/A/Parameters/Step/ActionOnFailure",
    );
    assert_valid(&task("terminateCluster.sync", r#"{"ClusterId": "j-1"}"#));
    assert_valid(&task(
        "setClusterTerminationProtection",
        r#"{"ClusterId": "j-1", "TerminationProtected": true}"#,
    ));
    assert_valid(&task(
        "cancelStep",
        r#"{"ClusterId": "j-1", "StepId": "s-1"}"#,
    ));
    assert_rule(
        &task(
            "cancelStep.sync",
            r#"{"ClusterId": "j-1", "StepId": "s-1"}"#,
        ),
        "asl::integration-pattern",
        "/States/A/Resource",
    );
    // createCluster: no Steps, KeepJobFlowAliveWhenNoSteps true.
    let cluster = |instances: &str, more: &str| {
        task(
            "createCluster.sync",
            &format!(
                r#"{{"Name": "c", "ReleaseLabel": "emr-6.15.0", "Instances": {instances}{more}}}"#
            ),
        )
    };
    let alive = r#"{"KeepJobFlowAliveWhenNoSteps": true, "InstanceCount": 1, "MasterInstanceType": "m5.xlarge"}"#;
    assert_valid(&cluster(alive, ""));
    assert_rule(
        &cluster(alive, &format!(r#", "Steps": [{step}]"#)),
        "asl::integration-unknown-parameter",
        "/States/A/Parameters/Steps",
    );
    assert_rule(
        &cluster(r#"{"KeepJobFlowAliveWhenNoSteps": false}"#, ""),
        "asl::integration-invalid-value",
        "/States/A/Parameters/Instances/KeepJobFlowAliveWhenNoSteps",
    );
    assert_rule(
        &cluster(r#"{"InstanceCount": 1}"#, ""),
        "asl::integration-missing-parameter",
        "/States/A/Parameters/Instances",
    );
    // The *ByName ones: a name, and the id left to the lookup.
    assert_valid(&task(
        "modifyInstanceGroupByName",
        r#"{"ClusterId": "j-1", "InstanceGroupName": "core", "InstanceGroup": {"InstanceCount": 8}}"#,
    ));
    assert_valid(&task(
        "modifyInstanceFleetByName",
        r#"{"ClusterId": "j-1", "InstanceFleetName": "core", "InstanceFleet": {"TargetOnDemandCapacity": 8, "TargetSpotCapacity": 0}}"#,
    ));
    let with_id = task(
        "modifyInstanceFleetByName",
        r#"{"ClusterId": "j-1", "InstanceFleetName": "core", "InstanceFleet": {"InstanceFleetId": "if-1"}}"#,
    );
    assert_rule(
        &with_id,
        "asl::integration-unknown-parameter",
        "/States/A/Parameters/InstanceFleet/InstanceFleetId",
    );
    assert!(help_of(&with_id, "asl::integration-unknown-parameter").contains("InstanceFleetName"));
    assert_rule(
        &task(
            "modifyInstanceGroupByName",
            r#"{"ClusterId": "j-1", "InstanceGroup": {"InstanceCount": 8}}"#,
        ),
        "asl::integration-missing-parameter",
        "/States/A/Parameters",
    );
}

/// EMR Serverless and EMR on EKS: their actions' own fields, and only the
/// patterns their pages list (no callback; createVirtualCluster answers once).
#[test]
fn emr_serverless_and_emr_on_eks_have_their_pages_patterns() {
    let task = |resource: &str, parameters: &str| {
        def(&format!(
            r#""A": {{"Type": "Task", "Resource": "arn:aws:states:::{resource}", "Parameters": {parameters}, "End": true}}"#
        ))
    };
    assert_valid(&task(
        "emr-serverless:createApplication.sync",
        r#"{"Name": "a", "ReleaseLabel": "emr-6.9.0", "Type": "SPARK"}"#,
    ));
    assert_valid(&task(
        "emr-serverless:startJobRun.sync",
        r#"{"ApplicationId": "a", "ExecutionRoleArn": "arn:aws:iam::123456789012:role/r", "JobDriver": {"SparkSubmit": {"EntryPoint": "s3://b/j.py"}}}"#,
    ));
    assert_rule(
        &task(
            "emr-serverless:startApplication.waitForTaskToken",
            r#"{"ApplicationId": "a"}"#,
        ),
        "asl::integration-pattern",
        "/States/A/Resource",
    );
    assert_rule(
        &task("emr-serverless:stopApplication.sync", "{}"),
        "asl::integration-missing-parameter",
        "/States/A/Parameters",
    );
    assert_valid(&task(
        "emr-containers:deleteVirtualCluster.sync",
        r#"{"Id": "vc-1"}"#,
    ));
    assert_rule(
        &task(
            "emr-containers:createVirtualCluster.sync",
            r#"{"Name": "v", "ContainerProvider": {"Id": "eks", "Type": "EKS"}}"#,
        ),
        "asl::integration-pattern",
        "/States/A/Resource",
    );
}

/// Glue DataBrew and MediaConvert: their actions' fields and their pages'
/// patterns.
#[test]
fn databrew_and_mediaconvert_are_checked_against_the_model() {
    let task = |resource: &str, parameters: &str| {
        def(&format!(
            r#""A": {{"Type": "Task", "Resource": "arn:aws:states:::{resource}", "Parameters": {parameters}, "End": true}}"#
        ))
    };
    assert_valid(&task("databrew:startJobRun.sync", r#"{"Name": "clean"}"#));
    assert_rule(
        &task(
            "databrew:startJobRun.waitForTaskToken",
            r#"{"Name": "clean"}"#,
        ),
        "asl::integration-pattern",
        "/States/A/Resource",
    );
    assert_rule(
        &task("databrew:startJobRun", r#"{"JobName": "clean"}"#),
        "asl::integration-unknown-parameter",
        "/States/A/Parameters/JobName",
    );
    assert_valid(&task(
        "mediaconvert:createJob.sync",
        r#"{"Role": "arn:aws:iam::123456789012:role/mc", "Settings": {"Inputs": [{"FileInput": "s3://b/in.mp4"}]}, "Tags": {"team": "video"}}"#,
    ));
    assert_rule(
        &task("mediaconvert:createJob", r#"{"Settings": {}}"#),
        "asl::integration-missing-parameter",
        "/States/A/Parameters",
    );
}
