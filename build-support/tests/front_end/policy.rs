//! `asl policy` against the policies AWS publishes (`../shared/reference/iam/`):
//! compared by meaning, as sets of (action, resource, condition) grants, so
//! statement grouping, order and `"Resource": "x"` vs `["x"]` do not matter.

use std::collections::BTreeSet;
use std::path::Path;

use asl_build::policy::{Target, policy};
use serde_json::Value;

/// Every (action, resource, condition) a policy document grants.
fn grants(doc: &Value) -> BTreeSet<(String, String, String)> {
    let list = |v: &Value| -> Vec<String> {
        match v {
            Value::String(s) => vec![s.clone()],
            Value::Array(items) => items
                .iter()
                .filter_map(|i| i.as_str().map(String::from))
                .collect(),
            _ => Vec::new(),
        }
    };
    let mut out = BTreeSet::new();
    for s in doc["Statement"].as_array().expect("Statement") {
        assert_eq!(s["Effect"], "Allow");
        let condition = s.get("Condition").map(Value::to_string).unwrap_or_default();
        for action in list(&s["Action"]) {
            for resource in list(&s["Resource"]) {
                out.insert((action.to_ascii_lowercase(), resource, condition.clone()));
            }
        }
    }
    out
}

fn published(dir: &Path, name: &str) -> BTreeSet<(String, String, String)> {
    let text = std::fs::read(dir.join("iam").join(name)).expect("policy file");
    grants(&serde_json::from_slice(&text).expect("policy JSON"))
}

fn generated(definition: &str, region: &str, account: &str) -> BTreeSet<(String, String, String)> {
    let machine =
        asl_build::load(definition.as_bytes(), "p.asl.json").unwrap_or_else(|d| panic!("{d}"));
    let target = Target {
        partition: "aws".into(),
        region: region.into(),
        account: account.into(),
    };
    grants(&policy(&machine, &target).to_json())
}

fn one_task(resource: &str, parameters: &str) -> String {
    format!(
        r#"{{"StartAt": "T", "States": {{"T": {{"Type": "Task", "Resource": "{resource}", "Parameters": {parameters}, "End": true}}}}}}"#
    )
}

/// AWS's "IAM policies for Amazon EKS": each API's policy, exactly.
#[test]
fn each_eks_api_gets_the_policy_aws_documents() {
    let Some(dir) = crate::shared_dir("ASL_REFERENCE_DIR", "reference", "iam") else {
        return;
    };
    let (region, account) = ("sa-east-1", "444455556666");
    let cases = [
        (
            "create-cluster.policy.json",
            one_task(
                "arn:aws:states:::eks:createCluster.sync",
                r#"{"Name": "ExampleCluster", "ResourcesVpcConfig": {"SubnetIds": ["subnet-1"]}, "RoleArn": "arn:aws:iam::444455556666:role/StepFunctionsSample-EKSClusterManag-EKSServiceRole-ANPAJ2UCCR6DPCEXAMPLE"}"#,
            ),
        ),
        (
            "create-nodegroup.policy.json",
            one_task(
                "arn:aws:states:::eks:createNodegroup.sync",
                r#"{"ClusterName": "ExampleCluster", "NodegroupName": "ExampleNodegroup", "NodeRole": "arn:aws:iam::444455556666:role/StepFunctionsSample-EKSClusterMan-NodeInstanceRole-ANPAJ2UCCR6DPCEXAMPLE", "Subnets": ["subnet-1"]}"#,
            ),
        ),
        (
            "delete-cluster.policy.json",
            one_task(
                "arn:aws:states:::eks:deleteCluster.sync",
                r#"{"Name": "ExampleCluster"}"#,
            ),
        ),
        (
            "delete-nodegroup.policy.json",
            one_task(
                "arn:aws:states:::eks:deleteNodegroup.sync",
                r#"{"ClusterName": "ExampleCluster", "NodegroupName": "ExampleNodegroup"}"#,
            ),
        ),
    ];
    for (file, definition) in cases {
        assert_eq!(
            generated(&definition, region, account),
            published(&dir, file),
            "{file}"
        );
    }
}

/// The sample needs every grant AWS publishes for it (its EKS cluster and its
/// SNS topic), and nothing on a resource it does not name.
#[test]
fn the_sample_policy_holds_the_published_ones() {
    let Some(dir) = crate::shared_dir("ASL_REFERENCE_DIR", "reference", "iam") else {
        return;
    };
    let sample = std::fs::read_to_string(dir.join("manage-eks-cluster.asl.json")).unwrap();
    let ours = generated(&sample, "sa-east-1", "111122223333");
    let theirs: BTreeSet<_> = published(&dir, "manage-eks-cluster.eks.policy.json")
        .union(&published(&dir, "manage-eks-cluster.sns.policy.json"))
        .cloned()
        .collect();
    let missing: Vec<_> = theirs.difference(&ours).collect();
    assert!(
        missing.is_empty(),
        "grants AWS publishes that asl policy lacks: {missing:?}"
    );
    // Beyond them: the node group's create and delete, the cluster's delete
    // (each as AWS documents it), and no other account or region.
    for (action, resource, _) in ours.difference(&theirs) {
        assert!(
            resource == "*" || resource.contains(":111122223333:"),
            "{action} on {resource}"
        );
        assert!(
            [
                "ec2:describesubnets",
                "eks:createnodegroup",
                "eks:describenodegroup",
                "eks:deletenodegroup",
                "iam:getrole",
                "iam:listattachedrolepolicies",
                "iam:passrole",
                "eks:deletecluster",
                "eks:describecluster"
            ]
            .contains(&action.as_str()),
            "unexpected {action} on {resource}"
        );
    }
}

/// A resource known only at run time is `*`; a phone number has no ARN.
#[test]
fn dynamic_resources_are_a_wildcard() {
    let t = ("us-east-1", "123456789012");
    let g = generated(
        &one_task(
            "arn:aws:states:::eks:deleteCluster",
            r#"{"Name.$": "$.cluster"}"#,
        ),
        t.0,
        t.1,
    );
    assert!(g.iter().all(|(_, r, _)| r == "*"), "{g:?}");
    let g = generated(
        &one_task(
            "arn:aws:states:::sns:publish",
            r#"{"PhoneNumber": "+15555550100", "Message": "hi"}"#,
        ),
        t.0,
        t.1,
    );
    assert_eq!(g.into_iter().map(|g| g.1).collect::<Vec<_>>(), ["*"]);
    let g = generated(
        &one_task(
            "arn:aws:states:::eks:createCluster",
            r#"{"Name": "c", "ResourcesVpcConfig": {"SubnetIds": ["s"]}, "RoleArn.$": "$.role"}"#,
        ),
        t.0,
        t.1,
    );
    assert!(
        g.contains(&(
            "iam:passrole".into(),
            "*".into(),
            r#"{"StringEquals":{"iam:PassedToService":"eks.amazonaws.com"}}"#.into()
        )),
        "{g:?}"
    );
    // A Lambda function named directly: the function and its versions/aliases.
    let g = generated(
        r#"{"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:f", "End": true}}}"#,
        t.0,
        t.1,
    );
    let resources: Vec<_> = g.into_iter().map(|g| (g.0, g.1)).collect();
    assert_eq!(
        resources,
        [
            (
                "lambda:invokefunction".to_string(),
                "arn:aws:lambda:us-east-1:123456789012:function:f".to_string()
            ),
            (
                "lambda:invokefunction".to_string(),
                "arn:aws:lambda:us-east-1:123456789012:function:f:*".to_string()
            ),
        ]
    );
}

/// A Task with `Credentials`: `sts:AssumeRole` on each role named, `*` when one
/// is known only at run time; the Task's own statements stay (the assumed
/// role needs them).
#[test]
fn task_credentials_grant_assume_role() {
    let t = ("us-east-1", "123456789012");
    let put = |credentials: &str| {
        format!(
            r#""Type": "Task", "Resource": "arn:aws:states:::dynamodb:putItem", "Credentials": {credentials}, "Parameters": {{"TableName": "orders", "Item": {{}}}}"#
        )
    };
    let two_roles = format!(
        r#"{{"StartAt": "A", "States": {{"A": {{{}, "Next": "B"}}, "B": {{{}, "End": true}}}}}}"#,
        put(r#"{"RoleArn": "arn:aws:iam::222222222222:role/Writer"}"#),
        put(r#"{"RoleArn": "arn:aws:iam::333333333333:role/Writer"}"#),
    );
    let g = generated(&two_roles, t.0, t.1);
    let assume: Vec<_> = g
        .iter()
        .filter(|g| g.0 == "sts:assumerole")
        .map(|g| g.1.as_str())
        .collect();
    assert_eq!(
        assume,
        [
            "arn:aws:iam::222222222222:role/Writer",
            "arn:aws:iam::333333333333:role/Writer"
        ]
    );
    assert!(
        g.contains(&(
            "dynamodb:putitem".into(),
            "arn:aws:dynamodb:us-east-1:123456789012:table/orders".into(),
            String::new()
        )),
        "{g:?}"
    );
    for dynamic in [
        r#"{"RoleArn.$": "$.role"}"#,
        r#"{"RoleArn.$": "States.Format('arn:aws:iam::{}:role/Writer', $.account)"}"#,
    ] {
        let one = format!(
            r#"{{"StartAt": "A", "States": {{"A": {{{}, "End": true}}}}}}"#,
            put(dynamic)
        );
        let g = generated(&one, t.0, t.1);
        assert!(
            g.contains(&("sts:assumerole".into(), "*".into(), String::new())),
            "{dynamic}: {g:?}"
        );
    }
    let jsonata = r#"{"QueryLanguage": "JSONata", "StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "arn:aws:states:::sns:publish", "Credentials": {"RoleArn": "{% $states.input.role %}"}, "Arguments": {"TopicArn": "t", "Message": "m"}, "End": true}}}"#;
    let g = generated(jsonata, t.0, t.1);
    assert!(
        g.contains(&("sts:assumerole".into(), "*".into(), String::new())),
        "{g:?}"
    );
    // Without Credentials, no AssumeRole.
    let g = generated(
        &one_task(
            "arn:aws:states:::sns:publish",
            r#"{"TopicArn": "t", "Message": "m"}"#,
        ),
        t.0,
        t.1,
    );
    assert!(g.iter().all(|g| g.0 != "sts:assumerole"), "{g:?}");
}

/// Integrations asl does not run yet still get AWS's statements: a nested
/// execution (`.sync` adds describe, stop and the EventBridge managed rule),
/// Lambda (the function and its versions), DynamoDB (the table).
#[test]
fn integrations_served_elsewhere_get_aws_statements() {
    let (r, a) = ("us-east-1", "123456789012");
    let g = generated(
        &one_task(
            "arn:aws:states:::states:startExecution.sync:2",
            r#"{"StateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:Child", "Input": {}}"#,
        ),
        r,
        a,
    );
    let expected: BTreeSet<(String, String, String)> = [
        ("states:startexecution", "arn:aws:states:us-east-1:123456789012:stateMachine:Child"),
        ("states:describeexecution", "arn:aws:states:us-east-1:123456789012:execution:Child:*"),
        ("states:stopexecution", "arn:aws:states:us-east-1:123456789012:execution:Child:*"),
        ("events:puttargets", "arn:aws:events:us-east-1:123456789012:rule/StepFunctionsGetEventsForStepFunctionsExecutionRule"),
        ("events:putrule", "arn:aws:events:us-east-1:123456789012:rule/StepFunctionsGetEventsForStepFunctionsExecutionRule"),
        ("events:describerule", "arn:aws:events:us-east-1:123456789012:rule/StepFunctionsGetEventsForStepFunctionsExecutionRule"),
    ]
    .into_iter()
    .map(|(x, y)| (x.to_string(), y.to_string(), String::new()))
    .collect();
    assert_eq!(g, expected);
    // Request-response: only the start.
    let g = generated(
        &one_task(
            "arn:aws:states:::states:startExecution",
            r#"{"StateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:Child"}"#,
        ),
        r,
        a,
    );
    assert_eq!(g.len(), 1, "{g:?}");
    // Lambda by name: the function's ARN and its versions; qualified: itself.
    let g = generated(
        &one_task(
            "arn:aws:states:::lambda:invoke",
            r#"{"FunctionName": "charge"}"#,
        ),
        r,
        a,
    );
    let resources: Vec<String> = g.into_iter().map(|g| g.1).collect();
    assert_eq!(
        resources,
        [
            "arn:aws:lambda:us-east-1:123456789012:function:charge",
            "arn:aws:lambda:us-east-1:123456789012:function:charge:*"
        ]
    );
    let g = generated(
        &one_task(
            "arn:aws:states:::lambda:invoke",
            r#"{"FunctionName": "arn:aws:lambda:us-east-1:123456789012:function:charge:prod"}"#,
        ),
        r,
        a,
    );
    assert_eq!(g.len(), 1, "{g:?}");
    let g = generated(
        &one_task(
            "arn:aws:states:::dynamodb:putItem",
            r#"{"TableName": "orders", "Item": {}}"#,
        ),
        r,
        a,
    );
    assert!(
        g.contains(&(
            "dynamodb:putitem".into(),
            "arn:aws:dynamodb:us-east-1:123456789012:table/orders".into(),
            String::new()
        )),
        "{g:?}"
    );
}

#[test]
fn asl_policy_prints_the_document() {
    let Some(dir) = crate::shared_dir("ASL_REFERENCE_DIR", "reference", "iam") else {
        return;
    };
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_asl"))
        .args([
            "policy",
            "--region",
            "sa-east-1",
            "--account",
            "111122223333",
        ])
        .arg(dir.join("manage-eks-cluster.asl.json"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["Version"], "2012-10-17");
    assert!(grants(&doc).contains(&(
        "sns:publish".into(),
        "arn:aws:sns:sa-east-1:111122223333:StepFunctionsSample-EKSClusterManagement123456789012-SNSTopic-ANPAJ2UCCR6DPCEXAMPLE".into(),
        String::new()
    )));
}

/// The integrations beyond EKS: each grants its action on the resource the task
/// names (a queue URL becomes the queue's ARN), `*` when it is known only at
/// run time.
#[test]
fn every_family_grants_its_action_on_the_named_resource() {
    let grant = |action: &str, resource: &str| {
        (
            action.to_ascii_lowercase(),
            resource.to_string(),
            String::new(),
        )
    };
    let g = generated(
        &one_task(
            "arn:aws:states:::dynamodb:putItem",
            r#"{"TableName": "Orders", "Item": {"id": {"S": "1"}}}"#,
        ),
        "eu-west-1",
        "111122223333",
    );
    assert!(g.contains(&grant(
        "dynamodb:PutItem",
        "arn:aws:dynamodb:eu-west-1:111122223333:table/Orders"
    )));
    let g = generated(
        &one_task(
            "arn:aws:states:::sqs:sendMessage",
            r#"{"QueueUrl": "https://sqs.us-east-2.amazonaws.com/444455556666/jobs", "MessageBody": "x"}"#,
        ),
        "eu-west-1",
        "111122223333",
    );
    assert!(g.contains(&grant(
        "sqs:SendMessage",
        "arn:aws:sqs:us-east-2:444455556666:jobs"
    )));
    let g = generated(
        &one_task(
            "arn:aws:states:::aws-sdk:s3:getObject",
            r#"{"Bucket": "docs", "Key.$": "$.key"}"#,
        ),
        "eu-west-1",
        "111122223333",
    );
    assert!(
        g.contains(&grant("s3:GetObject", "arn:aws:s3:::docs/*")),
        "{g:?}"
    );
    let g = generated(
        &one_task(
            "arn:aws:states:::dynamodb:getItem",
            r#"{"TableName.$": "$.table", "Key": {}}"#,
        ),
        "eu-west-1",
        "111122223333",
    );
    assert!(g.contains(&grant("dynamodb:GetItem", "*")), "{g:?}");
    let g = generated(
        &one_task(
            "arn:aws:states:::http:invoke",
            r#"{"ApiEndpoint": "https://api.example.com", "Method": "GET", "Authentication": {"ConnectionArn": "arn:aws:events:eu-west-1:111122223333:connection/A/1"}}"#,
        ),
        "eu-west-1",
        "111122223333",
    );
    assert!(g.contains(&grant(
        "states:InvokeHTTPEndpoint",
        "arn:aws:states:eu-west-1:111122223333:stateMachine:*"
    )));
    assert!(g.contains(&grant(
        "events:RetrieveConnectionCredentials",
        "arn:aws:events:eu-west-1:111122223333:connection/*"
    )));
}

/// Issue 27: a Lambda function ARN without region and account
/// (`arn:aws:lambda:::function:NAME`, which Step Functions accepts) is the
/// function in the state machine's own region and account, so that is the one
/// the role may invoke.
#[test]
fn a_lambda_arn_without_region_and_account_is_granted_in_the_target() {
    let definition = r#"{"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:lambda:::function:resize", "End": true}}}"#;
    let g = generated(definition, "eu-west-1", "111122223333");
    let invoke = |resource: &str| {
        (
            "lambda:invokefunction".to_string(),
            resource.to_string(),
            String::new(),
        )
    };
    assert!(
        g.contains(&invoke(
            "arn:aws:lambda:eu-west-1:111122223333:function:resize"
        )),
        "{g:?}"
    );
    assert!(
        g.contains(&invoke(
            "arn:aws:lambda:eu-west-1:111122223333:function:resize:*"
        )),
        "{g:?}"
    );
}

/// An SDK action of AWS's models gets its IAM action: the signing name and
/// the operation (`states:` for `sfn`, `logs:` for `cloudwatchlogs`), with
/// AWS's exceptions (`s3:listObjectsV2` needs `s3:ListBucket`).
#[test]
fn sdk_actions_get_their_iam_actions() {
    for (resource, parameters, action) in [
        (
            "arn:aws:states:::aws-sdk:ssm:getParameter",
            r#"{"Name": "n"}"#,
            "ssm:getparameter",
        ),
        (
            "arn:aws:states:::aws-sdk:sfn:describeExecution",
            r#"{"ExecutionArn": "e"}"#,
            "states:describeexecution",
        ),
        (
            "arn:aws:states:::aws-sdk:cloudwatchlogs:describeLogGroups",
            "{}",
            "logs:describeloggroups",
        ),
        (
            "arn:aws:states:::aws-sdk:ec2:describeInstances",
            "{}",
            "ec2:describeinstances",
        ),
        (
            "arn:aws:states:::aws-sdk:s3:listBuckets",
            "{}",
            "s3:listallmybuckets",
        ),
        (
            "arn:aws:states:::aws-sdk:rds:describeDBInstances",
            "{}",
            "rds:describedbinstances",
        ),
    ] {
        let g = generated(&one_task(resource, parameters), "us-east-1", "123456789012");
        let expected: BTreeSet<(String, String, String)> =
            [(action.to_string(), "*".to_string(), String::new())].into();
        assert_eq!(g, expected, "{resource}");
    }
}

/// An SDK action is narrowed to the ARNs of the service's own resources its
/// required `...Arn` members name as literals; a path keeps `*`, and an
/// optimized `.sync` integration also gets the action it polls.
#[test]
fn sdk_actions_are_narrowed_to_the_arns_they_name() {
    let execution = "arn:aws:states:us-east-1:123456789012:execution:flow:run-1";
    let g = generated(
        &one_task(
            "arn:aws:states:::aws-sdk:sfn:describeExecution",
            &format!(r#"{{"ExecutionArn": "{execution}"}}"#),
        ),
        "us-east-1",
        "123456789012",
    );
    let expected: BTreeSet<(String, String, String)> = [(
        "states:describeexecution".to_string(),
        execution.to_string(),
        String::new(),
    )]
    .into();
    assert_eq!(g, expected);
    let g = generated(
        &one_task(
            "arn:aws:states:::aws-sdk:sfn:describeExecution",
            r#"{"ExecutionArn.$": "$.arn"}"#,
        ),
        "us-east-1",
        "123456789012",
    );
    assert!(
        g.contains(&(
            "states:describeexecution".to_string(),
            "*".to_string(),
            String::new()
        )),
        "{g:?}"
    );
    let g = generated(
        &one_task(
            "arn:aws:states:::glue:startJobRun.sync",
            r#"{"JobName": "etl"}"#,
        ),
        "us-east-1",
        "123456789012",
    );
    for action in ["glue:startjobrun", "glue:getjobrun"] {
        assert!(
            g.contains(&(action.to_string(), "*".to_string(), String::new())),
            "{g:?}"
        );
    }
}

/// EMR's optimized integrations get the EMR actions they call: the one
/// behind the page's API, the one `.sync` polls, and the one a `*ByName`
/// integration looks its name up with.
#[test]
fn emr_integrations_get_every_action_they_call() {
    let grants_of = |resource: &str, parameters: &str| {
        let g = generated(&one_task(resource, parameters), "us-east-1", "123456789012");
        g.into_iter()
            .map(|(action, _, _)| action)
            .collect::<BTreeSet<_>>()
    };
    let expected = |actions: &[&str]| actions.iter().map(|a| a.to_string()).collect();
    assert_eq!(
        grants_of(
            "arn:aws:states:::elasticmapreduce:createCluster.sync",
            r#"{"Name": "c", "Instances": {"KeepJobFlowAliveWhenNoSteps": true}}"#
        ),
        expected(&[
            "elasticmapreduce:runjobflow",
            "elasticmapreduce:describecluster"
        ])
    );
    assert_eq!(
        grants_of(
            "arn:aws:states:::elasticmapreduce:addStep",
            r#"{"ClusterId": "j-1", "Step": {"Name": "s", "HadoopJarStep": {"Jar": "j"}}}"#
        ),
        expected(&["elasticmapreduce:addjobflowsteps"])
    );
    assert_eq!(
        grants_of(
            "arn:aws:states:::elasticmapreduce:modifyInstanceGroupByName",
            r#"{"ClusterId": "j-1", "InstanceGroupName": "core", "InstanceGroup": {"InstanceCount": 2}}"#
        ),
        expected(&[
            "elasticmapreduce:modifyinstancegroups",
            "elasticmapreduce:listinstancegroups"
        ])
    );
}

/// apigateway:invoke gets execute-api:Invoke on the API, stage, method and
/// path it calls, as AWS's page writes the ARN, each part known only at run
/// time `*`; an endpoint that is not an API's own host name (a custom
/// domain), or one known only at run time, keeps the account's APIs.
#[test]
fn apigateway_invoke_is_narrowed_to_the_api_stage_method_and_path() {
    let resource_of = |parameters: &str| {
        let g = generated(
            &one_task("arn:aws:states:::apigateway:invoke", parameters),
            "us-east-1",
            "123456789012",
        );
        let invoke: Vec<String> = g
            .into_iter()
            .filter(|(action, _, _)| action == "execute-api:invoke")
            .map(|(_, resource, _)| resource)
            .collect();
        assert_eq!(invoke.len(), 1, "{invoke:?}");
        invoke[0].clone()
    };
    let endpoint = r#""ApiEndpoint": "abc123.execute-api.eu-west-1.amazonaws.com""#;
    assert_eq!(
        resource_of(&format!(
            r#"{{{endpoint}, "Method": "GET", "Stage": "prod", "Path": "/pets/7"}}"#
        )),
        "arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/GET/pets/7"
    );
    assert_eq!(
        resource_of(&format!(
            r#"{{{endpoint}, "Method": "POST", "Stage.$": "$.stage", "Path.$": "$.path"}}"#
        )),
        "arn:aws:execute-api:eu-west-1:123456789012:abc123/*/POST/*"
    );
    assert_eq!(
        resource_of(&format!(r#"{{{endpoint}, "Method": "GET"}}"#)),
        "arn:aws:execute-api:eu-west-1:123456789012:abc123/*/GET/*"
    );
    assert_eq!(
        resource_of(r#"{"ApiEndpoint": "api.example.com", "Method": "GET", "Stage": "prod"}"#),
        "arn:aws:execute-api:us-east-1:123456789012:*"
    );
    assert_eq!(
        resource_of(r#"{"ApiEndpoint.$": "$.endpoint", "Method": "GET", "Stage": "prod"}"#),
        "arn:aws:execute-api:us-east-1:123456789012:*"
    );
}
