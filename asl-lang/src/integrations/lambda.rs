//! AWS Lambda: `lambda:invoke` (the optimized integration, result wrapped with
//! `Payload`, `StatusCode`, `ExecutedVersion`). A plain function ARN
//! (`arn:aws:lambda:…:function:NAME[:QUALIFIER]`) is not a catalogue entry but
//! runs through the same Invoke call, its result the payload itself
//! ([`super::is_lambda_function`]).

use super::{Iam, IamStatement, Pattern, Shape, Spec, Type, opt, req};

const S: Shape = Shape::Value(Type::String);

pub(super) static INVOKE: Spec = Spec {
    name: "lambda:invoke",
    feature: "lambda",
    patterns: &[Pattern::RequestResponse, Pattern::WaitForTaskToken],
    request: &[
        req("FunctionName", S),
        opt("Payload", Shape::Value(Type::Any)),
        opt(
            "InvocationType",
            Shape::Value(Type::Enum(&["RequestResponse", "Event", "DryRun"])),
        ),
        opt("Qualifier", S),
        opt("ClientContext", S),
        opt("LogType", Shape::Value(Type::Enum(&["None", "Tail"]))),
    ],
    one_of: &[],
    result: "`{\"ExecutedVersion\": \"$LATEST\", \"Payload\": <the function's JSON answer>, \"StatusCode\": 200}` (`LogResult` with `LogType: Tail`; `Payload` is `\"\"` for `Event` and `DryRun`)",
    error_prefix: "Lambda",
    errors: &[
        "Lambda.ServiceException",
        "Lambda.AWSLambdaException",
        "Lambda.SdkClientException",
        "Lambda.TooManyRequestsException",
        "Lambda.Unknown",
        "States.TaskFailed",
    ],
    // AWS's "IAM policies for AWS Lambda": the function and its versions and
    // aliases.
    iam: Iam {
        statements: &[
            IamStatement {
                actions: &["lambda:InvokeFunction"],
                resource: &["{FunctionName#lambda}"],
                patterns: &[],
            },
            IamStatement {
                actions: &["lambda:InvokeFunction"],
                resource: &["{FunctionName#lambda-versions}"],
                patterns: &[],
            },
        ],
        pass_role_fields: &[],
        passed_to_service: None,
    },
};
