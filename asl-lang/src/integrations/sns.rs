//! Amazon SNS: `sns:publish`, the SNS Publish API in PascalCase.

use super::{Iam, IamStatement, Pattern, Shape, Spec, Type, opt, req};

const S: Shape = Shape::Value(Type::String);

pub(super) static PUBLISH: Spec = Spec {
    name: "sns:publish",
    feature: "sns",
    patterns: &[Pattern::RequestResponse, Pattern::WaitForTaskToken],
    request: &[
        req("Message", Shape::Value(Type::Any)),
        opt("TopicArn", S),
        opt("TargetArn", S),
        opt("PhoneNumber", S),
        opt("Subject", S),
        opt("MessageStructure", S),
        opt("MessageAttributes", Shape::Map),
        opt("MessageDeduplicationId", S),
        opt("MessageGroupId", S),
    ],
    one_of: &[&["TopicArn", "TargetArn", "PhoneNumber"]],
    result: "`{\"MessageId\": \"...\", \"SequenceNumber\": \"...\"}` (SequenceNumber for FIFO topics), plus `SdkHttpMetadata`/`SdkResponseMetadata`",
    error_prefix: "SNS",
    errors: &["States.TaskFailed", "States.Runtime"],
    // AWS's "IAM policies for Amazon SNS": Publish on the topic (or target);
    // a phone number or a topic known only at run time is `*`.
    iam: Iam {
        statements: &[IamStatement {
            actions: &["sns:Publish"],
            resource: &["{TopicArn}", "{TargetArn}", "*"],
            patterns: &[],
        }],
        pass_role_fields: &[],
        passed_to_service: None,
    },
};
