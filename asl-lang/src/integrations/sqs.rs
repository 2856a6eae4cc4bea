//! Amazon SQS: `sqs:sendMessage`, SQS SendMessage in PascalCase. A
//! `MessageBody` that is not a string is sent as its JSON text, as Step
//! Functions does.

use super::{Iam, IamStatement, Pattern, Shape, Spec, Type, opt, req};

const S: Shape = Shape::Value(Type::String);

pub(super) static SEND_MESSAGE: Spec = Spec {
    name: "sqs:sendMessage",
    feature: "sqs",
    patterns: &[Pattern::RequestResponse, Pattern::WaitForTaskToken],
    request: &[
        req("QueueUrl", S),
        req("MessageBody", Shape::Value(Type::Any)),
        opt("DelaySeconds", Shape::Value(Type::Number)),
        opt("MessageAttributes", Shape::Map),
        opt("MessageSystemAttributes", Shape::Map),
        opt("MessageDeduplicationId", S),
        opt("MessageGroupId", S),
    ],
    one_of: &[],
    result: "`{\"MD5OfMessageBody\": \"...\", \"MessageId\": \"...\"}` (`SequenceNumber` for FIFO queues, `MD5OfMessageAttributes` with attributes)",
    error_prefix: "SQS",
    errors: &[
        "SQS.QueueDoesNotExistException",
        "SQS.InvalidMessageContentsException",
        "SQS.UnsupportedOperationException",
        "SQS.AmazonSQSException",
        "States.TaskFailed",
    ],
    // AWS's "IAM policies for Amazon SQS": SendMessage on the queue.
    iam: Iam {
        statements: &[IamStatement {
            actions: &["sqs:SendMessage"],
            resource: &["{QueueUrl#sqs}", "*"],
            patterns: &[],
        }],
        pass_role_fields: &[],
        passed_to_service: None,
    },
};
