//! The IAM statements of integration ARNs the catalogue knows, for any of
//! their patterns (a pattern the built-in integration lacks is served by the
//! program's own handler), so `asl policy` covers them too, as AWS's "IAM
//! policies for integrated services" pages give them.
//!
//! Templates as in [`super::IamStatement`], with modifiers on a field:
//! `{Field#execution}` is the execution ARN prefix of a state machine ARN
//! (`arn:aws:states:r:a:stateMachine:Name` gives
//! `arn:aws:states:r:a:execution:Name`); `{Field#lambda}` is a function's ARN
//! (a bare name is completed with the state machine's partition, region and
//! account); `{Field#lambda-versions}` is that ARN with `:*` (its versions and
//! aliases), absent when the field names a qualified function; `{Field#sqs}`
//! is the ARN of the queue a queue URL names; `{Field#api-id}` and
//! `{Field#api-region}` are the API id and region of an API Gateway host
//! name (none for another name); `{Field#path}` is a path without its
//! leading `/`. A field written `{Field*}` is `*` where its value is absent,
//! known only at run time or has no such part; one written `{Field?}`
//! makes the template not apply then (the next alternative does).

use super::{Api, Iam, Pattern};

/// The IAM of `arn:<partition>:states:::<service>:<action>[<pattern>]`, with
/// the pattern, for any pattern of a catalogue API.
pub fn lookup(arn: &str) -> Option<(&'static Iam, Pattern)> {
    let rest = arn.strip_prefix("arn:")?.split_once(":states:")?.1;
    // `::service:action...` or `region:account:service:action...`.
    let mut parts = rest.splitn(3, ':');
    let (_, _, name) = (parts.next()?, parts.next()?, parts.next()?);
    let (name, suffix) = match name.find('.') {
        Some(dot) => name.split_at(dot),
        None => (name, ""),
    };
    let pattern = Pattern::ALL.into_iter().find(|p| p.suffix() == suffix)?;
    Api::ALL
        .into_iter()
        .find(|a| a.resource_name() == name)
        .map(|a| (&a.spec().iam, pattern))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups() {
        let (iam, pattern) = lookup("arn:aws:states:::states:startExecution.sync:2").unwrap();
        assert_eq!(pattern, Pattern::Sync2);
        assert_eq!(iam.statements[0].actions, ["states:StartExecution"]);
        let (iam, pattern) = lookup("arn:aws-cn:states:::lambda:invoke.waitForTaskToken").unwrap();
        assert_eq!(pattern, Pattern::WaitForTaskToken);
        assert_eq!(iam.statements[0].actions, ["lambda:InvokeFunction"]);
        assert!(lookup("arn:aws:states:::sns:publishh").is_none());
        assert!(lookup("arn:aws:lambda:us-east-1:1:function:f").is_none());
    }
}
