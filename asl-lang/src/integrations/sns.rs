//! Amazon SNS: `sns:publish`, the SNS Publish API in PascalCase.

use super::{Iam, Pattern, Shape, Spec, Type, opt, req};

const S: Shape = Shape::Value(Type::String);

pub(super) static PUBLISH: Spec = Spec {
    name: "sns:publish",
    patterns: &[Pattern::RequestResponse],
    // AWS: "Request Response" and "Wait for Callback" (the human-approval
    // pattern publishes `$$.Task.Token` and waits for SendTaskSuccess).
    served_elsewhere: &[Pattern::WaitForTaskToken],
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
    iam: Iam {
        actions: &["sns:Publish"],
        sync_actions: &[],
        pass_role_fields: &[],
        passed_to_service: None,
    },
};
