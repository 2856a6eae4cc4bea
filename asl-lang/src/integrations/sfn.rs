//! AWS Step Functions: nested executions, `states:startExecution`: plain (the
//! child's ARN and start date), `.sync` (the child's DescribeExecution, its
//! `Input` and `Output` JSON text) and `.sync:2` (the same with `Input` and
//! `Output` as JSON).

use super::{Iam, IamStatement, Pattern, Shape, Spec, Type, opt, req};

const S: Shape = Shape::Value(Type::String);
const SYNC: &[Pattern] = &[Pattern::Sync, Pattern::Sync2];

pub(super) static START_EXECUTION: Spec = Spec {
    name: "states:startExecution",
    feature: "sfn",
    patterns: &[
        Pattern::RequestResponse,
        Pattern::Sync,
        Pattern::Sync2,
        Pattern::WaitForTaskToken,
    ],
    request: &[
        req("StateMachineArn", S),
        opt("Input", Shape::Value(Type::Any)),
        opt("Name", S),
        opt("TraceHeader", S),
    ],
    one_of: &[],
    result: "plain: `{\"ExecutionArn\": \"...\", \"StartDate\": <epoch ms>}`; `.sync`: DescribeExecution (`ExecutionArn`, `Input`, `Name`, `Output`, `StartDate`, `StateMachineArn`, `Status`, `StopDate`) with `Input`/`Output` as JSON text; `.sync:2`: the same with JSON",
    error_prefix: "StepFunctions",
    errors: &[
        "StepFunctions.ExecutionAlreadyExistsException",
        "StepFunctions.ExecutionLimitExceededException",
        "StepFunctions.InvalidArnException",
        "StepFunctions.InvalidExecutionInputException",
        "StepFunctions.InvalidNameException",
        "StepFunctions.StateMachineDoesNotExistException",
        "States.TaskFailed",
    ],
    // AWS's "IAM policies for AWS Step Functions": the `.sync` forms also
    // describe and stop the execution and listen for its end through the
    // EventBridge managed rule.
    iam: Iam {
        statements: &[
            IamStatement {
                actions: &["states:StartExecution"],
                resource: &["{StateMachineArn}"],
                patterns: &[],
            },
            IamStatement {
                actions: &["states:DescribeExecution", "states:StopExecution"],
                resource: &["{StateMachineArn#execution}:*"],
                patterns: SYNC,
            },
            IamStatement {
                actions: &["events:PutTargets", "events:PutRule", "events:DescribeRule"],
                resource: &[
                    "arn:{partition}:events:{region}:{account}:rule/StepFunctionsGetEventsForStepFunctionsExecutionRule",
                ],
                patterns: SYNC,
            },
        ],
        pass_role_fields: &[],
        passed_to_service: None,
    },
};
