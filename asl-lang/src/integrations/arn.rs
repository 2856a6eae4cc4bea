//! What a Task `Resource` ARN may be, service by service: Step Functions
//! accepts exactly three kinds of ARN there.
//!
//! - a service integration: `arn:<partition>:states:[<region>]:[<account>]:<service>:<action>[<pattern>]`
//!   (`arn:aws:states:::sns:publish`, `arn:aws:states:::aws-sdk:s3:getObject`,
//!   `arn:aws:states:::states:startExecution.sync:2`); region and account are
//!   usually empty, and when written must be a region and an account;
//! - an activity: `arn:<partition>:states:<region>:<account>:activity:<name>`;
//! - a Lambda function: `arn:<partition>:lambda:[<region>]:[<account>]:function:<name>[:<qualifier>]`,
//!   the qualifier `$LATEST`, a version number or an alias. Region and account
//!   may both be left out (`arn:aws:lambda:::function:NAME`): Step Functions
//!   accepts it, and the function is the one in the state machine's own region
//!   and account ([`in_region_and_account`]).
//!
//! Names follow the services' own rules: Lambda's `[a-zA-Z0-9-_]{1,64}` function
//! names and `[a-zA-Z0-9-_]{1,128}` aliases, Step Functions' 1-80 character
//! activity names without whitespace, brackets, wildcards or
//! `" # % \ ^ | ~ ` $ & , ; : /`.
//!
//! Where AWS's own check is not documented, this one stays as lenient as the
//! linters Step Functions users run: a region is lowercase letters, digits and
//! `-`, an account is digits, and an ARN of another service is checked for its
//! shape only ([`TaskArn::Other`]).

/// Every AWS partition.
pub const PARTITIONS: &[&str] = &[
    "aws",
    "aws-cn",
    "aws-us-gov",
    "aws-iso",
    "aws-iso-b",
    "aws-iso-e",
    "aws-iso-f",
    "aws-eusc",
];

/// The patterns a service integration ARN may end with.
pub const PATTERN_SUFFIXES: &[&str] = &[".sync", ".sync:2", ".waitForTaskToken"];

/// What a Task `Resource` ARN names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TaskArn<'a> {
    /// `arn:aws:states:::<service>:<action><pattern>` (`service` may be
    /// `aws-sdk:<service>`).
    Integration {
        service: &'a str,
        action: &'a str,
        pattern: &'a str,
    },
    Activity {
        name: &'a str,
    },
    LambdaFunction {
        name: &'a str,
        qualifier: Option<&'a str>,
    },
    /// An ARN of another service, well formed.
    Other {
        service: &'a str,
    },
}

/// Reads `arn` as a Task resource ARN, or says what is wrong with it.
pub fn task_arn(arn: &str) -> Result<TaskArn<'_>, String> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    if parts.len() < 6 || parts[0] != "arn" {
        return Err("an ARN has the form `arn:partition:service:region:account:resource`".into());
    }
    let (partition, service, region, account, resource) =
        (parts[1], parts[2], parts[3], parts[4], parts[5]);
    if !PARTITIONS.contains(&partition) {
        return Err(format!(
            "unknown partition `{partition}` (one of {})",
            PARTITIONS.join(", ")
        ));
    }
    let located = |what: &str| -> Result<(), String> {
        if !is_region(region) {
            return Err(format!(
                "{what} needs a region such as `us-east-1`, not `{region}`"
            ));
        }
        if !is_account(account) {
            return Err(format!(
                "{what} needs an account id such as `123456789012`, not `{account}`"
            ));
        }
        Ok(())
    };
    match service {
        "states" => {
            if let Some(name) = resource.strip_prefix("activity:") {
                located("an activity ARN")?;
                check_activity_name(name)?;
                return Ok(TaskArn::Activity { name });
            }
            // A service integration: region and account are empty, or both valid.
            if !(region.is_empty() && account.is_empty()) {
                located("a service integration ARN with a region")?;
            }
            integration(resource)
        }
        "lambda" => {
            // Both left out: the function of the state machine's own region
            // and account (a deployed public sample writes it so).
            if !(region.is_empty() && account.is_empty()) {
                located("a Lambda function ARN")?;
            }
            let Some(rest) = resource.strip_prefix("function:") else {
                return Err(
                    "a Lambda ARN in a Task names a function: `function:NAME[:QUALIFIER]`".into(),
                );
            };
            let (name, qualifier) = match rest.split_once(':') {
                Some((name, q)) => (name, Some(q)),
                None => (rest, None),
            };
            check_function_name(name)?;
            if let Some(q) = qualifier {
                check_qualifier(q)?;
            }
            Ok(TaskArn::LambdaFunction { name, qualifier })
        }
        other => {
            if !is_service_name(other) {
                return Err(format!("`{other}` is not a service name"));
            }
            if resource.is_empty() {
                return Err("the resource part is empty".into());
            }
            if let Some(c) = resource
                .chars()
                .find(|c| c.is_whitespace() || c.is_control() || "${}#*^\"<>|\\`".contains(*c))
            {
                return Err(format!("the character `{c}` cannot appear in an ARN"));
            }
            Ok(TaskArn::Other { service: other })
        }
    }
}

/// A Lambda function ARN that leaves out its region and account
/// (`arn:aws:lambda:::function:NAME`) written out with `region` and `account`,
/// the ones the state machine runs in; `None` for any other ARN, which names
/// its function already.
///
/// ```
/// use asl_lang::integrations::arn::in_region_and_account;
/// assert_eq!(
///     in_region_and_account("arn:aws:lambda:::function:resize:prod", "eu-west-1", "123456789012").as_deref(),
///     Some("arn:aws:lambda:eu-west-1:123456789012:function:resize:prod"),
/// );
/// assert_eq!(in_region_and_account("arn:aws:lambda:us-east-1:1:function:f", "eu-west-1", "2"), None);
/// ```
pub fn in_region_and_account(arn: &str, region: &str, account: &str) -> Option<String> {
    if !matches!(task_arn(arn), Ok(TaskArn::LambdaFunction { .. })) {
        return None;
    }
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [scheme, partition, service, "", "", resource] = parts.as_slice() else {
        return None;
    };
    Some(format!(
        "{scheme}:{partition}:{service}:{region}:{account}:{resource}"
    ))
}

/// `<service>:<action>[<pattern>]` or `aws-sdk:<service>:<action>[<pattern>]`.
fn integration(resource: &str) -> Result<TaskArn<'_>, String> {
    let (name, pattern) = match resource.find('.') {
        Some(dot) => resource.split_at(dot),
        None => (resource, ""),
    };
    if !pattern.is_empty() && !PATTERN_SUFFIXES.contains(&pattern) {
        return Err(format!(
            "`{pattern}` is not an integration pattern (one of {})",
            PATTERN_SUFFIXES.join(", ")
        ));
    }
    let (service, action) = match name.rsplit_once(':') {
        Some(pair) => pair,
        None => {
            return Err(format!(
                "a service integration names `service:action`, not `{name}`"
            ));
        }
    };
    let service_ok = match service.strip_prefix("aws-sdk:") {
        Some(sdk) => is_service_name(sdk),
        None => is_service_name(service),
    };
    if !service_ok {
        return Err(format!("`{service}` is not a service name"));
    }
    if action.is_empty() || !action.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(format!("`{action}` is not an API action name"));
    }
    Ok(TaskArn::Integration {
        service,
        action,
        pattern,
    })
}

fn is_service_name(s: &str) -> bool {
    !s.is_empty()
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
}

/// A region's characters: `us-east-1`, `us-gov-west-1`, `eusc-de-east-1`.
pub fn is_region(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// An account id: digits (AWS's are 12).
pub fn is_account(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

fn check_function_name(name: &str) -> Result<(), String> {
    let ok = (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{name}` is not a Lambda function name (1 to 64 letters, digits, `-` and `_`)"
        ))
    }
}

fn check_qualifier(q: &str) -> Result<(), String> {
    if q == "$LATEST" {
        return Ok(());
    }
    let digits = !q.is_empty() && q.bytes().all(|b| b.is_ascii_digit());
    let alias = (1..=128).contains(&q.len())
        && q.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if digits || alias {
        Ok(())
    } else if q.is_empty() {
        Err("the resource part ends with `:` (an empty alias or version)".into())
    } else {
        Err(format!(
            "`{q}` is not a Lambda qualifier (`$LATEST`, a version number, or an alias of letters, digits, `-` and `_`)"
        ))
    }
}

fn check_activity_name(name: &str) -> Result<(), String> {
    let bad = name
        .chars()
        .find(|&c| c.is_whitespace() || c.is_control() || "<>{}[]?*\"#%\\^|~`$&,;:/".contains(c));
    match bad {
        _ if !(1..=80).contains(&name.chars().count()) => Err(format!(
            "`{name}` is not an activity name (1 to 80 characters)"
        )),
        Some(c) => Err(format!("an activity name cannot hold `{c}`")),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_arns_by_service() {
        let ok = [
            // Other services' ARNs: their shape only.
            "arn:aws:swf:us-east-1:123456789012:task:X",
            "arn:aws:lambda:region-1:1234567890:function:FUNCTION_NAME",
            "arn:aws:states:::sns:publish",
            "arn:aws:states:::sns:publish.waitForTaskToken",
            "arn:aws:states:::states:startExecution.sync:2",
            "arn:aws:states:::aws-sdk:s3:getObject",
            "arn:aws:states:::aws-sdk:sfn:startExecution",
            "arn:aws:states:::bedrock:invokeModel",
            "arn:aws:states:::http:invoke",
            "arn:aws:states:us-east-1:123456789012:athena:startQueryExecution.sync",
            "arn:aws-cn:states:::eks:runJob.sync",
            "arn:aws-us-gov:states:::ecs:runTask.waitForTaskToken",
            "arn:aws-iso-b:states:::lambda:invoke",
            "arn:aws:states:us-east-1:123456789012:activity:my-activity_1",
            "arn:aws:states:eu-central-2:123456789012:activity:a.b",
            "arn:aws:lambda:us-east-1:123456789012:function:resize",
            "arn:aws:lambda:us-east-1:123456789012:function:resize:$LATEST",
            "arn:aws:lambda:us-east-1:123456789012:function:resize:7",
            "arn:aws:lambda:us-gov-west-1:123456789012:function:resize:prod-2",
            "arn:aws-cn:lambda:cn-north-1:123456789012:function:f",
            // Region and account left out: the state machine's own.
            "arn:aws:lambda:::function:resize",
            "arn:aws:lambda:::function:resize:$LATEST",
        ];
        for arn in ok {
            assert!(task_arn(arn).is_ok(), "{arn}: {:?}", task_arn(arn));
        }
        let bad = [
            (
                "arn:aws:sqs:us-east-1:123456789012:queue:${Name}",
                "cannot appear",
            ),
            ("arn:aws:S3:::bucket", "not a service name"),
            ("arn:aws-xx:states:::sns:publish", "unknown partition"),
            (
                "arn:aws:states:::sns:publish.syncc",
                "not an integration pattern",
            ),
            (
                "arn:aws:states:::sns:publish.sync:3",
                "not an integration pattern",
            ),
            ("arn:aws:states:::publish", "service:action"),
            ("arn:aws:states:::SNS:publish", "not a service name"),
            ("arn:aws:states:::sns:pub-lish", "not an API action"),
            ("arn:aws:states:us-east-1::sns:publish", "account id"),
            ("arn:aws:states:::activity:a", "needs a region"),
            (
                "arn:aws:states:us-east-1:123456789012:activity:a b",
                "cannot hold",
            ),
            (
                "arn:aws:lambda:us-east-1:123456789012:function:f:",
                "empty alias",
            ),
            (
                "arn:aws:lambda:us-east-1:123456789012:function:f:$LATES",
                "not a Lambda qualifier",
            ),
            (
                "arn:aws:lambda:us-east-1:123456789012:function:f.g",
                "not a Lambda function name",
            ),
            (
                "arn:aws:lambda:us-east-1:123456789012:layer:l",
                "names a function",
            ),
            (
                "arn:aws:lambda:US-EAST-1:123456789012:function:f",
                "needs a region",
            ),
            ("arn:aws:lambda:us-east-1:12a4:function:f", "account id"),
            // One of the two left out is neither form.
            ("arn:aws:lambda:us-east-1::function:f", "account id"),
            ("arn:aws:lambda::123456789012:function:f", "needs a region"),
            ("arn:aws:lambda:::layer:l", "names a function"),
            ("arn:aws:states", "the form"),
        ];
        for (arn, why) in bad {
            match task_arn(arn) {
                Ok(a) => panic!("{arn} accepted as {a:?}"),
                Err(e) => assert!(e.contains(why), "{arn}: {e}"),
            }
        }
    }

    #[test]
    fn every_catalogue_resource_is_a_task_arn() {
        for i in super::super::resources() {
            assert!(task_arn(&i.arn()).is_ok(), "{}", i.arn());
        }
    }
}
