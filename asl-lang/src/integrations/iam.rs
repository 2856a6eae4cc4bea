//! The IAM statements of integrations asl does not run itself yet (a program
//! serves them with its own handlers), so `asl policy` covers them too, as
//! AWS's "IAM policies for integrated services" pages give them.
//!
//! Templates as in [`super::IamStatement`], with modifiers on a field:
//! `{Field#execution}` is the execution ARN prefix of a state machine ARN
//! (`arn:aws:states:r:a:stateMachine:Name` gives
//! `arn:aws:states:r:a:execution:Name`); `{Field#lambda}` is a function's ARN
//! (a bare name is completed with the state machine's partition, region and
//! account); `{Field#lambda-versions}` is that ARN with `:*` (its versions and
//! aliases), absent when the field names a qualified function.

use super::{Iam, IamStatement, Pattern};

/// The IAM of one integration ARN this table knows.
#[derive(Debug)]
pub struct PolicyOnly {
    /// `service:action` after `arn:<partition>:states:::`.
    pub name: &'static str,
    pub iam: Iam,
}

const SYNC: &[Pattern] = &[Pattern::Sync];

/// AWS's "IAM policies for AWS Step Functions" (nested executions): the
/// `.sync` forms also describe and stop the execution and listen for its
/// end through the EventBridge managed rule.
static START_EXECUTION: PolicyOnly = PolicyOnly {
    name: "states:startExecution",
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

/// AWS's "IAM policies for AWS Lambda": the function and its versions and
/// aliases.
static LAMBDA_INVOKE: PolicyOnly = PolicyOnly {
    name: "lambda:invoke",
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

/// AWS's "IAM policies for Amazon DynamoDB": the action on the table.
macro_rules! dynamodb {
    ($static:ident, $name:literal, $action:literal) => {
        static $static: PolicyOnly = PolicyOnly {
            name: $name,
            iam: Iam {
                statements: &[IamStatement {
                    actions: &[$action],
                    resource: &["arn:{partition}:dynamodb:{region}:{account}:table/{TableName}"],
                    patterns: &[],
                }],
                pass_role_fields: &[],
                passed_to_service: None,
            },
        };
    };
}
dynamodb!(DYNAMODB_GET, "dynamodb:getItem", "dynamodb:GetItem");
dynamodb!(DYNAMODB_PUT, "dynamodb:putItem", "dynamodb:PutItem");
dynamodb!(
    DYNAMODB_UPDATE,
    "dynamodb:updateItem",
    "dynamodb:UpdateItem"
);
dynamodb!(
    DYNAMODB_DELETE,
    "dynamodb:deleteItem",
    "dynamodb:DeleteItem"
);

/// Every entry.
pub static ALL: &[&PolicyOnly] = &[
    &START_EXECUTION,
    &LAMBDA_INVOKE,
    &DYNAMODB_GET,
    &DYNAMODB_PUT,
    &DYNAMODB_UPDATE,
    &DYNAMODB_DELETE,
];

/// The entry for `arn:<partition>:states:::<service>:<action>[<pattern>]`,
/// with the pattern (`.sync:2` counts as `.sync`).
pub fn lookup(arn: &str) -> Option<(&'static PolicyOnly, Pattern)> {
    let rest = arn.strip_prefix("arn:")?.split_once(":states:")?.1;
    // `::service:action...` or `region:account:service:action...`.
    let mut parts = rest.splitn(3, ':');
    let (_, _, name) = (parts.next()?, parts.next()?, parts.next()?);
    let (name, suffix) = match name.find('.') {
        Some(dot) => name.split_at(dot),
        None => (name, ""),
    };
    let pattern = match suffix {
        "" => Pattern::RequestResponse,
        ".sync" | ".sync:2" => Pattern::Sync,
        ".waitForTaskToken" => Pattern::WaitForTaskToken,
        _ => return None,
    };
    ALL.iter().find(|p| p.name == name).map(|p| (*p, pattern))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups() {
        let (p, pattern) = lookup("arn:aws:states:::states:startExecution.sync:2").unwrap();
        assert_eq!((p.name, pattern), ("states:startExecution", Pattern::Sync));
        let (p, pattern) = lookup("arn:aws-cn:states:::lambda:invoke.waitForTaskToken").unwrap();
        assert_eq!(
            (p.name, pattern),
            ("lambda:invoke", Pattern::WaitForTaskToken)
        );
        assert!(lookup("arn:aws:states:::sns:publish").is_none());
        assert!(lookup("arn:aws:lambda:us-east-1:1:function:f").is_none());
    }
}
