//! Deploy-time substitutions and YAML definitions: `${Name}` replaced in the
//! text as CloudFormation's `DefinitionSubstitutions` do it (JSON and YAML,
//! quoted and unquoted), placeholders left without a value, and the values a
//! SAM/CloudFormation template gives (`asl check --template`).

use std::process::Command;

use asl_build::source::prepare;
use asl_build::template::{Stack, substitutions};
use asl_build::{CheckOptions, Rule, Substitutions};
use serde_json::{Value, json};

/// A fresh directory for one test.
fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("asl-substitutions-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("statemachine")).unwrap();
    dir
}

fn subs(pairs: &[(&str, &str)]) -> Substitutions {
    pairs.iter().copied().collect()
}

/// The definition as deployed (substituted, as JSON), at `pointer`.
fn deployed(file: &str, text: &str, pairs: &[(&str, &str)], pointer: &str) -> Value {
    let prepared = prepare(text, file, &subs(pairs)).unwrap_or_else(|d| panic!("{d}"));
    let value: Value = serde_json::from_str(&prepared.json).expect("prepared text is JSON");
    value.pointer(pointer).cloned().unwrap_or(Value::Null)
}

#[test]
fn substitution_is_textual_as_the_deploy_tools_do_it() {
    let wait_json = r#"{"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": ${Seconds}, "Comment": "${Seconds}s", "End": true}}}"#;
    let wait_yaml = "StartAt: W\nStates:\n  W:\n    Type: Wait\n    Seconds: ${Seconds}\n    Comment: \"${Seconds}\"\n    End: true\n";
    // (file name, text, substitutions, pointer, value there once deployed)
    type Case<'a> = (&'a str, &'a str, &'a [(&'a str, &'a str)], &'a str, Value);
    let cases: &[Case] = &[
        // Unquoted in JSON: the value's text is JSON, a number stays a number.
        (
            "f.asl.json",
            wait_json,
            &[("Seconds", "30")],
            "/States/W/Seconds",
            json!(30),
        ),
        // Quoted: the value lands inside the string.
        (
            "f.asl.json",
            wait_json,
            &[("Seconds", "30")],
            "/States/W/Comment",
            json!("30s"),
        ),
        // Unquoted in YAML: the substituted text is read as YAML, so a number.
        (
            "f.asl.yaml",
            wait_yaml,
            &[("Seconds", "30")],
            "/States/W/Seconds",
            json!(30),
        ),
        // Quoted in YAML: a string, whatever it holds.
        (
            "f.asl.yaml",
            wait_yaml,
            &[("Seconds", "30")],
            "/States/W/Comment",
            json!("30"),
        ),
        // A value with the characters of an ARN, in a plain YAML scalar.
        (
            "f.asl.yml",
            "StartAt: T\nStates:\n  T:\n    Type: Task\n    Resource: ${Fn}\n    End: true\n",
            &[(
                "Fn",
                "arn:aws:lambda:us-east-1:123456789012:function:f:$LATEST",
            )],
            "/States/T/Resource",
            json!("arn:aws:lambda:us-east-1:123456789012:function:f:$LATEST"),
        ),
        // CloudFormation's and Terraform's names.
        (
            "f.asl.json",
            r#"{"A": "arn:${AWS::Partition}:states:::${var.x}:${aws_sfn_activity.a[0].id}"}"#,
            &[
                ("AWS::Partition", "aws"),
                ("var.x", "sqs"),
                ("aws_sfn_activity.a[0].id", "y"),
            ],
            "/A",
            json!("arn:aws:states:::sqs:y"),
        ),
        // `${!Name}` is the text `${Name}`; `${ not a name}` is left alone.
        (
            "f.asl.json",
            r#"{"A": "${!Keep} ${not a name}"}"#,
            &[("Keep", "no")],
            "/A",
            json!("${Keep} ${not a name}"),
        ),
        // YAML 1.2: only true/false are booleans; `yes` is a string.
        (
            "f.asl.yaml",
            "A: yes\nB: true\nC: 0x1F\nD: 1.5e3\nE: ~\nF: '007'\n",
            &[],
            "/A",
            json!("yes"),
        ),
        (
            "f.asl.yaml",
            "A: yes\nB: true\nC: 0x1F\nD: 1.5e3\nE: ~\nF: '007'\n",
            &[],
            "/B",
            json!(true),
        ),
        (
            "f.asl.yaml",
            "A: yes\nB: true\nC: 0x1F\nD: 1.5e3\nE: ~\nF: '007'\n",
            &[],
            "/C",
            json!(31),
        ),
        (
            "f.asl.yaml",
            "A: yes\nB: true\nC: 0x1F\nD: 1.5e3\nE: ~\nF: '007'\n",
            &[],
            "/D",
            json!(1500.0),
        ),
        (
            "f.asl.yaml",
            "A: yes\nB: true\nC: 0x1F\nD: 1.5e3\nE: ~\nF: '007'\n",
            &[],
            "/F",
            json!("007"),
        ),
        // Anchors and aliases.
        (
            "f.asl.yaml",
            "A: &r {X: [1, 2]}\nB: *r\n",
            &[],
            "/B",
            json!({"X": [1, 2]}),
        ),
    ];
    for (file, text, pairs, pointer, expected) in cases {
        assert_eq!(
            &deployed(file, text, pairs, pointer),
            expected,
            "{file} {pointer} with {pairs:?}"
        );
    }
}

fn check(
    file: &str,
    text: &str,
    pairs: &[(&str, &str)],
) -> Result<(), Vec<(Rule, String, u32, u32)>> {
    let mut options = CheckOptions::allowing_undeclared();
    options.substitutions = subs(pairs);
    match asl_build::load_with(text.as_bytes(), file, &options) {
        Ok(_) => Ok(()),
        Err(d) => Err(d
            .iter()
            .map(|d| (d.rule, d.message.clone(), d.origin.line, d.origin.column))
            .collect()),
    }
}

#[test]
fn diagnostics_point_into_the_file_as_written() {
    // JSON: a substitution before the error on the same line moves nothing.
    let json_text = "{\"StartAt\": \"W\", \"States\": {\"W\": {\"Type\": \"Wait\",\n  \"Comment\": \"${Long}\", \"Seconds\": \"x\", \"End\": true}}}";
    let errors = check(
        "f.asl.json",
        json_text,
        &[("Long", "a very long value indeed")],
    )
    .unwrap_err();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(
        (errors[0].0, errors[0].2, errors[0].3),
        (Rule::WrongType, 2, 36)
    );
    // YAML: at the key or value as written.
    let yaml_text =
        "StartAt: W\nStates:\n  W:\n    Type: Wait\n    Seconds: ${S}\n    Nxt: X\n    End: true\n";
    let errors = check("f.asl.yaml", yaml_text, &[("S", "ten")]).unwrap_err();
    let found: Vec<_> = errors.iter().map(|e| (e.0, e.2, e.3)).collect();
    assert_eq!(
        found,
        [(Rule::WrongType, 5, 14), (Rule::UnknownField, 6, 5)],
        "{errors:?}"
    );
    // A YAML syntax error is located too.
    let errors = check("f.asl.yaml", "StartAt: W\nStates: [\n", &[]).unwrap_err();
    assert_eq!(errors[0].0, Rule::YamlSyntax, "{errors:?}");
    assert_eq!(errors[0].2, 3, "{errors:?}");
    // A tag means nothing in a definition.
    let errors = check("f.asl.yaml", "StartAt: !Ref X\nStates: {}\n", &[]).unwrap_err();
    assert_eq!(errors[0].0, Rule::YamlSyntax, "{errors:?}");
    assert!(errors[0].1.contains("`!Ref`"), "{errors:?}");
}

#[test]
fn a_placeholder_without_a_value_is_one_error_naming_it() {
    let text = r#"{"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:lambda:${AWS::Region}:123456789012:function:${Fn}", "TimeoutSeconds": ${Timeout}, "Parameters": {"a": "${Fn}"}, "End": true}}}"#;
    let errors = check("f.asl.json", text, &[("AWS::Region", "us-east-1")]).unwrap_err();
    let rules: Vec<_> = errors
        .iter()
        .map(|e| (e.0, e.1.split(':').next().unwrap().to_string()))
        .collect();
    // Only the placeholders: nothing about the Resource or the timeout, whose
    // values are not known yet.
    assert_eq!(
        rules,
        [
            (
                Rule::UnsubstitutedPlaceholder,
                "the placeholder `${Fn}` has no value (and 1 more use)".to_string()
            ),
            (
                Rule::UnsubstitutedPlaceholder,
                "the placeholder `${Timeout}` has no value".to_string()
            ),
        ],
        "{errors:?}"
    );
    // With the values, the definition checks clean, and an unquoted number is
    // checked as one.
    check(
        "f.asl.json",
        text,
        &[("AWS::Region", "us-east-1"), ("Fn", "f"), ("Timeout", "30")],
    )
    .unwrap();
    let errors = check(
        "f.asl.json",
        text,
        &[("AWS::Region", "us-east-1"), ("Fn", "f"), ("Timeout", "0")],
    )
    .unwrap_err();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].1.contains("TimeoutSeconds"), "{errors:?}");
}

const TEMPLATE: &str = r#"
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Parameters:
  Stage:
    Type: String
    Default: prod
Mappings:
  Sizes:
    prod: {Batch: 25}
Resources:
  Orders:
    Type: AWS::Serverless::StateMachine
    Properties:
      DefinitionUri: statemachine/orders.asl.json
      DefinitionSubstitutions:
        FnArn: !GetAtt Charge.Arn
        FnName: !Ref Charge
        Table: !Ref OrdersTable
        TableArn: !GetAtt OrdersTable.Arn
        Topic: !Ref Alerts
        Queue: !Ref Work
        QueueArn: !GetAtt Work.Arn
        Bucket: !Ref Data
        Child: !Ref Child
        Stage: !Ref Stage
        Sub: !Sub "arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:stateMachine:${Child.Name}-${Stage}"
        Joined: !Join ["-", [!Ref Stage, "x"]]
        Picked: !Select [1, !Split [":", "a:b:c"]]
        Batch: !FindInMap [Sizes, !Ref Stage, Batch]
        Literal: 42
        Later: !ImportValue other-stack-output
  Other:
    Type: AWS::StepFunctions::StateMachine
    Properties:
      DefinitionS3Location: other.asl.json
      DefinitionSubstitutions:
        FnArn: wrong
  Charge: {Type: AWS::Serverless::Function}
  OrdersTable: {Type: AWS::DynamoDB::Table}
  Alerts: {Type: AWS::SNS::Topic}
  Work: {Type: AWS::SQS::Queue}
  Data: {Type: AWS::S3::Bucket}
  Child: {Type: AWS::StepFunctions::StateMachine}
"#;

#[test]
fn a_template_gives_its_state_machines_substitutions() {
    let dir = scratch("template");
    let definition = dir.join("statemachine/orders.asl.json");
    std::fs::write(&definition, "{}").unwrap();
    let template = dir.join("template.yaml");
    let from = substitutions(TEMPLATE, &template, Some(&definition), &Stack::default()).unwrap();
    assert_eq!(from.state_machine.as_deref(), Some("Orders"));
    let expected = [
        (
            "FnArn",
            "arn:aws:lambda:us-east-1:123456789012:function:Charge",
        ),
        ("FnName", "Charge"),
        ("Table", "OrdersTable"),
        (
            "TableArn",
            "arn:aws:dynamodb:us-east-1:123456789012:table/OrdersTable",
        ),
        ("Topic", "arn:aws:sns:us-east-1:123456789012:Alerts"),
        (
            "Queue",
            "https://sqs.us-east-1.amazonaws.com/123456789012/Work",
        ),
        ("QueueArn", "arn:aws:sqs:us-east-1:123456789012:Work"),
        ("Bucket", "data"),
        (
            "Child",
            "arn:aws:states:us-east-1:123456789012:stateMachine:Child",
        ),
        ("Stage", "prod"),
        (
            "Sub",
            "arn:aws:states:us-east-1:123456789012:stateMachine:Child-prod",
        ),
        ("Joined", "prod-x"),
        ("Picked", "b"),
        ("Batch", "25"),
        ("Literal", "42"),
    ];
    for (name, value) in expected {
        assert_eq!(from.substitutions.get(name), Some(value), "{name}");
    }
    assert_eq!(from.unresolved.len(), 1, "{:?}", from.unresolved);
    assert_eq!(from.unresolved[0].0, "Later");
    // Another region and account for the stand-ins.
    let stack = Stack {
        region: "eu-west-1".into(),
        account: "999999999999".into(),
        ..Stack::default()
    };
    let from = substitutions(TEMPLATE, &template, Some(&definition), &stack).unwrap();
    assert_eq!(
        from.substitutions.get("FnArn"),
        Some("arn:aws:lambda:eu-west-1:999999999999:function:Charge")
    );
}

#[test]
fn asl_check_takes_sub_and_template() {
    let dir = scratch("cli");
    let definition = dir.join("statemachine/orders.asl.json");
    std::fs::write(
        &definition,
        r#"{"StartAt": "Charge", "States": {
            "Charge": {"Type": "Task", "Resource": "${FnArn}", "Next": "Wait"},
            "Wait": {"Type": "Wait", "Seconds": ${Pause}, "End": true}}}"#,
    )
    .unwrap();
    let template = dir.join("template.yaml");
    std::fs::write(&template, TEMPLATE).unwrap();
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_asl"))
            .arg("check")
            .arg("--allow-undeclared")
            .args(args)
            .arg(&definition)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).to_string(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    // Neither: both placeholders are reported, by name.
    let (code, stdout, _) = run(&[]);
    assert_eq!(code, Some(1));
    assert!(
        stdout.contains("`${FnArn}` has no value") && stdout.contains("`${Pause}` has no value"),
        "{stdout}"
    );
    // The template gives FnArn (and notes what it cannot resolve); --sub gives Pause.
    let template_arg = template.to_str().unwrap();
    let (code, stdout, stderr) = run(&["--template", template_arg, "--sub", "Pause=10"]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(
        stderr.contains("`${Later}` is left without a value"),
        "{stderr}"
    );
    // A substituted value is checked like any written one.
    let (code, stdout, _) = run(&["--template", template_arg, "--sub", "Pause=-1"]);
    assert_eq!(code, Some(1));
    assert!(stdout.contains("Seconds"), "{stdout}");
    // --sub wins over the template.
    let (code, stdout, _) = run(&[
        "--template",
        template_arg,
        "--sub",
        "Pause=1",
        "--sub",
        "FnArn=not an arn",
    ]);
    assert_eq!(code, Some(1));
    assert!(stdout.contains("asl::invalid-arn"), "{stdout}");
    // A malformed --sub is a usage error.
    let (code, _, stderr) = run(&["--sub", "Pause"]);
    assert_eq!(code, Some(2), "{stderr}");
}
