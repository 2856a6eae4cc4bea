//! Amazon EventBridge: `events:putEvents`, PutEvents in PascalCase. An entry's
//! `Detail` may be an object (sent as its JSON text, as Step Functions does);
//! an entry EventBridge refuses fails the task with `EventBridge.FailedEntry`.

use super::{Iam, IamStatement, Pattern, Shape, Spec, Type, opt, req};

const S: Shape = Shape::Value(Type::String);

pub(super) static PUT_EVENTS: Spec = Spec {
    name: "events:putEvents",
    feature: "events",
    patterns: &[Pattern::RequestResponse, Pattern::WaitForTaskToken],
    request: &[req(
        "Entries",
        Shape::List(&[
            opt("Detail", Shape::Value(Type::ObjectOrString)),
            opt("DetailType", S),
            opt("EventBusName", S),
            opt("Resources", Shape::Value(Type::StringList)),
            opt("Source", S),
            opt("Time", S),
            opt("TraceHeader", S),
        ]),
    )],
    one_of: &[],
    result: "`{\"Entries\": [{\"EventId\": \"...\"}], \"FailedEntryCount\": 0}`",
    error_prefix: "EventBridge",
    errors: &[
        "EventBridge.FailedEntry",
        "EventBridge.InternalException",
        "EventBridge.AmazonEventBridgeException",
        "States.TaskFailed",
    ],
    // AWS's "IAM policies for Amazon EventBridge": PutEvents on the buses.
    iam: Iam {
        statements: &[IamStatement {
            actions: &["events:PutEvents"],
            resource: &["arn:{partition}:events:{region}:{account}:event-bus/*"],
            patterns: &[],
        }],
        pass_role_fields: &[],
        passed_to_service: None,
    },
};
