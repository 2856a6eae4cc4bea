//! The catalogue of service integrations `asl` runs: for each API, the resource
//! ARNs that name it (every pattern it has, in every partition), the request it
//! takes (required and optional fields, their shapes and types), what it returns,
//! the error names it raises, and the IAM actions the state machine's role needs.
//!
//! Everything that needs one of these facts reads it here:
//! - the checker (`asl-build`): which `Resource` is built in, which parameters are
//!   required, unknown or of the wrong type, which patterns exist;
//! - the runtime (`asl-runtime`): which handlers to register (one per
//!   [`resources`] entry), how to check and camel-case a request;
//! - policy generation: [`Spec::iam`].
//!
//! ```
//! use asl_lang::integrations::{Api, Partition, Pattern, Resource, parse_resource};
//! let Resource::Integration(i) = parse_resource("arn:aws-cn:states:::eks:runJob.sync") else {
//!     panic!()
//! };
//! assert_eq!((i.api, i.pattern, i.partition), (Api::EksRunJob, Pattern::Sync, Partition::AwsCn));
//! assert!(i.api.spec().field("Job").is_some_and(|f| f.required));
//! ```

pub mod apigateway;
pub mod arn;
mod dynamodb;
mod eks;
mod events;
mod http;
pub mod iam;
mod lambda;
pub mod results;
mod s3;
mod sfn;
mod sns;
mod sqs;
pub use eks::CALL_METHODS as EKS_CALL_METHODS;
pub use http::METHODS as HTTP_METHODS;

/// The Cargo features of `asl` (and `asl-runtime`) that each bring one family
/// of integrations, as [`Spec::feature`] names them.
pub const FEATURES: &[&str] = &[
    "eks",
    "sns",
    "lambda",
    "dynamodb",
    "s3",
    "sqs",
    "events",
    "sfn",
    "http",
    "apigateway",
    "aws-sdk",
];

/// The feature that serves plain Lambda function ARNs
/// (`arn:aws:lambda:…:function:NAME`).
pub const LAMBDA_FUNCTION_FEATURE: &str = "lambda";

/// Is `arn` a Lambda function ARN, which runs as a built-in integration (the
/// Invoke API, the result being the payload)?
pub fn is_lambda_function(arn: &str) -> bool {
    matches!(arn::task_arn(arn), Ok(arn::TaskArn::LambdaFunction { .. }))
}

/// Is `arn` an activity (`arn:<partition>:states:<region>:<account>:activity:<name>`),
/// whose tasks workers take with GetActivityTask?
pub fn is_activity(arn: &str) -> bool {
    matches!(arn::task_arn(arn), Ok(arn::TaskArn::Activity { .. }))
}

/// Does a Task with this `Resource` get a task token (`$$.Task.Token`) and
/// wait for SendTaskSuccess or SendTaskFailure: a `.waitForTaskToken`
/// integration, or an activity?
pub fn takes_task_token(arn: &str) -> bool {
    arn.ends_with(Pattern::WaitForTaskToken.suffix()) || is_activity(arn)
}

/// An AWS partition: the second field of an ARN.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Partition {
    Aws,
    AwsCn,
    AwsUsGov,
}

impl Partition {
    pub const ALL: [Partition; 3] = [Partition::Aws, Partition::AwsCn, Partition::AwsUsGov];

    /// `aws`, `aws-cn`, `aws-us-gov`.
    pub const fn name(self) -> &'static str {
        match self {
            Partition::Aws => "aws",
            Partition::AwsCn => "aws-cn",
            Partition::AwsUsGov => "aws-us-gov",
        }
    }

    pub fn from_name(name: &str) -> Option<Partition> {
        Partition::ALL.into_iter().find(|p| p.name() == name)
    }
}

/// How Step Functions waits for an integration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Pattern {
    /// No suffix: call and continue with the response.
    RequestResponse,
    /// `.sync`: wait until the job or resource is done.
    Sync,
    /// `.sync:2`: `.sync` whose output is JSON instead of JSON text (nested
    /// executions: `Output` parsed).
    Sync2,
    /// `.waitForTaskToken`: wait for a callback with `$$.Task.Token`.
    WaitForTaskToken,
}

impl Pattern {
    pub const ALL: [Pattern; 4] = [
        Pattern::RequestResponse,
        Pattern::Sync,
        Pattern::Sync2,
        Pattern::WaitForTaskToken,
    ];

    /// What the pattern appends to the resource ARN: ``, `.sync`, `.sync:2`,
    /// `.waitForTaskToken`.
    pub const fn suffix(self) -> &'static str {
        match self {
            Pattern::RequestResponse => "",
            Pattern::Sync => ".sync",
            Pattern::Sync2 => ".sync:2",
            Pattern::WaitForTaskToken => ".waitForTaskToken",
        }
    }

    /// `.sync` or `.sync:2`: the task waits for the job to end.
    pub const fn waits(self) -> bool {
        matches!(self, Pattern::Sync | Pattern::Sync2)
    }

    fn from_suffix(suffix: &str) -> Option<Pattern> {
        Pattern::ALL.into_iter().find(|p| p.suffix() == suffix)
    }
}

/// Every API of the catalogue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Api {
    EksCreateCluster,
    EksDeleteCluster,
    EksCreateNodegroup,
    EksDeleteNodegroup,
    EksCreateFargateProfile,
    EksDeleteFargateProfile,
    EksRunJob,
    EksCall,
    SnsPublish,
    LambdaInvoke,
    DynamoDbGetItem,
    DynamoDbPutItem,
    DynamoDbUpdateItem,
    DynamoDbDeleteItem,
    DynamoDbQuery,
    DynamoDbScan,
    DynamoDbBatchGetItem,
    DynamoDbBatchWriteItem,
    DynamoDbTransactWriteItems,
    S3GetObject,
    S3PutObject,
    S3HeadObject,
    S3ListObjectsV2,
    S3CopyObject,
    S3DeleteObject,
    SqsSendMessage,
    EventsPutEvents,
    StatesStartExecution,
    HttpInvoke,
    ApiGatewayInvoke,
}

impl Api {
    pub const ALL: [Api; 30] = [
        Api::EksCreateCluster,
        Api::EksDeleteCluster,
        Api::EksCreateNodegroup,
        Api::EksDeleteNodegroup,
        Api::EksCreateFargateProfile,
        Api::EksDeleteFargateProfile,
        Api::EksRunJob,
        Api::EksCall,
        Api::SnsPublish,
        Api::LambdaInvoke,
        Api::DynamoDbGetItem,
        Api::DynamoDbPutItem,
        Api::DynamoDbUpdateItem,
        Api::DynamoDbDeleteItem,
        Api::DynamoDbQuery,
        Api::DynamoDbScan,
        Api::DynamoDbBatchGetItem,
        Api::DynamoDbBatchWriteItem,
        Api::DynamoDbTransactWriteItems,
        Api::S3GetObject,
        Api::S3PutObject,
        Api::S3HeadObject,
        Api::S3ListObjectsV2,
        Api::S3CopyObject,
        Api::S3DeleteObject,
        Api::SqsSendMessage,
        Api::EventsPutEvents,
        Api::StatesStartExecution,
        Api::HttpInvoke,
        Api::ApiGatewayInvoke,
    ];

    /// Everything the catalogue knows about this API.
    pub fn spec(self) -> &'static Spec {
        match self {
            Api::EksCreateCluster => &eks::CREATE_CLUSTER,
            Api::EksDeleteCluster => &eks::DELETE_CLUSTER,
            Api::EksCreateNodegroup => &eks::CREATE_NODEGROUP,
            Api::EksDeleteNodegroup => &eks::DELETE_NODEGROUP,
            Api::EksCreateFargateProfile => &eks::CREATE_FARGATE_PROFILE,
            Api::EksDeleteFargateProfile => &eks::DELETE_FARGATE_PROFILE,
            Api::EksRunJob => &eks::RUN_JOB,
            Api::EksCall => &eks::CALL,
            Api::SnsPublish => &sns::PUBLISH,
            Api::LambdaInvoke => &lambda::INVOKE,
            Api::DynamoDbGetItem => &dynamodb::GET_ITEM,
            Api::DynamoDbPutItem => &dynamodb::PUT_ITEM,
            Api::DynamoDbUpdateItem => &dynamodb::UPDATE_ITEM,
            Api::DynamoDbDeleteItem => &dynamodb::DELETE_ITEM,
            Api::DynamoDbQuery => &dynamodb::QUERY,
            Api::DynamoDbScan => &dynamodb::SCAN,
            Api::DynamoDbBatchGetItem => &dynamodb::BATCH_GET_ITEM,
            Api::DynamoDbBatchWriteItem => &dynamodb::BATCH_WRITE_ITEM,
            Api::DynamoDbTransactWriteItems => &dynamodb::TRANSACT_WRITE_ITEMS,
            Api::S3GetObject => &s3::GET_OBJECT,
            Api::S3PutObject => &s3::PUT_OBJECT,
            Api::S3HeadObject => &s3::HEAD_OBJECT,
            Api::S3ListObjectsV2 => &s3::LIST_OBJECTS_V2,
            Api::S3CopyObject => &s3::COPY_OBJECT,
            Api::S3DeleteObject => &s3::DELETE_OBJECT,
            Api::SqsSendMessage => &sqs::SEND_MESSAGE,
            Api::EventsPutEvents => &events::PUT_EVENTS,
            Api::StatesStartExecution => &sfn::START_EXECUTION,
            Api::HttpInvoke => &http::INVOKE,
            Api::ApiGatewayInvoke => &apigateway::INVOKE,
        }
    }

    /// `service:action` as it appears after `arn:<partition>:states:::`.
    pub fn resource_name(self) -> &'static str {
        self.spec().name
    }

    /// Whether the API has `pattern`.
    pub fn supports(self, pattern: Pattern) -> bool {
        self.spec().patterns.contains(&pattern)
    }
}

/// What the catalogue knows about one API.
#[derive(Debug)]
pub struct Spec {
    /// `service:action`, e.g. `eks:createCluster`, `aws-sdk:s3:getObject`.
    pub name: &'static str,
    /// The Cargo feature that brings it, one of [`FEATURES`].
    pub feature: &'static str,
    /// The patterns the built-in integration runs; the first is the plain
    /// request-response one where it exists.
    pub patterns: &'static [Pattern],
    /// The request's top-level fields (`Parameters` / `Arguments`), PascalCase.
    pub request: &'static [Field],
    /// Groups of fields of which at least one must be given (sns:publish needs a
    /// `TopicArn`, `TargetArn` or `PhoneNumber`).
    pub one_of: &'static [&'static [&'static str]],
    /// The result, as the state sees it before `ResultSelector`.
    pub result: &'static str,
    /// The prefix of the service's error names: a service exception `X` is
    /// `<prefix>.X` (`EKS.ResourceInUseException`).
    pub error_prefix: &'static str,
    /// Error names this integration raises besides `<prefix>.<Exception>`.
    pub errors: &'static [&'static str],
    /// The IAM actions the state machine's role needs.
    pub iam: Iam,
}

impl Spec {
    /// The top-level request field `name`.
    pub fn field(&self, name: &str) -> Option<&'static Field> {
        self.request.iter().find(|f| f.name == name)
    }

    /// Names of the required request fields.
    pub fn required(&self) -> impl Iterator<Item = &'static str> {
        self.request.iter().filter(|f| f.required).map(|f| f.name)
    }
}

/// What the state machine's role needs to call an integration: the
/// statements Step Functions' console generates for it (AWS's "IAM policies
/// for integrated services" pages), as templates.
#[derive(Debug)]
pub struct Iam {
    pub statements: &'static [IamStatement],
    /// Request fields that name IAM roles the call passes to the service
    /// (`iam:PassRole` with `iam:PassedToService` = [`Iam::passed_to_service`]).
    pub pass_role_fields: &'static [&'static str],
    pub passed_to_service: Option<&'static str>,
}

/// One statement: `actions` allowed on `resource`.
#[derive(Debug)]
pub struct IamStatement {
    pub actions: &'static [&'static str],
    /// Alternatives, the first that applies: `*`, or an ARN template in which
    /// `{partition}`, `{region}` and `{account}` are the state machine's and
    /// `{Field}` is the literal value of a top-level request field. A template
    /// whose field is absent is skipped (when none applies, neither does the
    /// statement); one whose field is known only at run time (`Field.$`,
    /// JSONata) makes the resource `*`.
    pub resource: &'static [&'static str],
    /// Only with these patterns (empty: every pattern).
    pub patterns: &'static [Pattern],
}

/// A required field (for the catalogue's tables).
const fn req(name: &'static str, shape: Shape) -> Field {
    Field {
        name,
        required: true,
        shape,
    }
}

/// An optional field.
const fn opt(name: &'static str, shape: Shape) -> Field {
    Field {
        name,
        required: false,
        shape,
    }
}

/// One field of a request.
#[derive(Clone, Copy, Debug)]
pub struct Field {
    /// PascalCase, as Step Functions takes it.
    pub name: &'static str,
    pub required: bool,
    pub shape: Shape,
}

/// The shape of a request field's value.
#[derive(Clone, Copy, Debug)]
pub enum Shape {
    /// A scalar or a list of scalars of this type.
    Value(Type),
    /// A structure with these fields.
    Object(&'static [Field]),
    /// A list of structures with these fields.
    List(&'static [Field]),
    /// A user map (tags, labels): keys kept as they are.
    Map,
    /// A structure the service added recently: keys camel-cased all the way down,
    /// checked by the service.
    Open,
}

/// The JSON type of a scalar field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Type {
    String,
    Number,
    Boolean,
    /// An array of strings.
    StringList,
    /// A map of string to list of strings (Kubernetes query parameters).
    StringListMap,
    /// An object, or its JSON text (a Kubernetes manifest).
    ObjectOrString,
    /// Any JSON value.
    Any,
    /// A string, one of these values.
    Enum(&'static [&'static str]),
}

impl Type {
    /// The JSON type name a literal of this type has, for messages.
    pub fn describe(self) -> &'static str {
        match self {
            Type::String => "a string",
            Type::Number => "a number",
            Type::Boolean => "a boolean",
            Type::StringList => "a list of strings",
            Type::StringListMap => "an object of string lists",
            Type::ObjectOrString => "an object or its JSON text",
            Type::Any => "any value",
            Type::Enum(_) => "one of the documented values",
        }
    }
}

/// The Cargo feature that serves `arn`, if it is built in (an integration of
/// the catalogue, or a Lambda function ARN).
pub fn feature_of(arn: &str) -> Option<&'static str> {
    match integration(arn) {
        Some(i) => Some(i.api.spec().feature),
        None => is_lambda_function(arn).then_some(LAMBDA_FUNCTION_FEATURE),
    }
}

/// A built-in integration, as a `Resource` names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Integration {
    pub api: Api,
    pub pattern: Pattern,
    pub partition: Partition,
}

impl Integration {
    /// The resource ARN: `arn:<partition>:states:::<service>:<action><suffix>`.
    pub fn arn(self) -> String {
        format!(
            "arn:{}:states:::{}{}",
            self.partition.name(),
            self.api.resource_name(),
            self.pattern.suffix()
        )
    }
}

/// What a `Resource` ARN names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resource {
    /// A built-in integration with a pattern it has.
    Integration(Integration),
    /// A built-in API with a pattern Step Functions does not have for it
    /// (`eks:call.sync`).
    UnsupportedPattern(Api, Pattern),
    /// Anything else: an activity, a Lambda function, an integration `asl` does
    /// not build in, or a pattern of a built-in API that only AWS runs (each
    /// served by a handler the program registers).
    Other,
}

/// Reads `arn:<partition>:states:::<service>:<action>[.<pattern>]`, or the
/// same with a region and an account
/// (`arn:aws:states:us-east-1:123456789012:sns:publish`), which Step Functions
/// serves as the short form.
pub fn parse_resource(arn: &str) -> Resource {
    let Some((partition, rest)) = arn
        .strip_prefix("arn:")
        .and_then(|r| r.split_once(":states:"))
    else {
        return Resource::Other;
    };
    let mut parts = rest.splitn(3, ':');
    let (Some(region), Some(account), Some(rest)) = (parts.next(), parts.next(), parts.next())
    else {
        return Resource::Other;
    };
    let located = arn::is_region(region) && arn::is_account(account);
    if !(located || region.is_empty() && account.is_empty()) {
        return Resource::Other;
    }
    let Some(partition) = Partition::from_name(partition) else {
        return Resource::Other;
    };
    let (name, suffix) = match rest.find('.') {
        Some(dot) => rest.split_at(dot),
        None => (rest, ""),
    };
    let (Some(api), Some(pattern)) = (
        Api::ALL.into_iter().find(|a| a.resource_name() == name),
        Pattern::from_suffix(suffix),
    ) else {
        return Resource::Other;
    };
    if api.supports(pattern) {
        Resource::Integration(Integration {
            api,
            pattern,
            partition,
        })
    } else {
        Resource::UnsupportedPattern(api, pattern)
    }
}

/// The built-in integration `arn` names, if any.
pub fn integration(arn: &str) -> Option<Integration> {
    match parse_resource(arn) {
        Resource::Integration(i) => Some(i),
        _ => None,
    }
}

/// Every resource ARN of the catalogue: each API × its patterns × each partition.
pub fn resources() -> impl Iterator<Item = Integration> {
    Api::ALL.into_iter().flat_map(|api| {
        api.spec().patterns.iter().flat_map(move |&pattern| {
            Partition::ALL
                .into_iter()
                .map(move |partition| Integration {
                    api,
                    pattern,
                    partition,
                })
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_resource_parses_back_to_itself() {
        let all: Vec<Integration> = resources().collect();
        // EKS control plane 6×2, runJob 2, call 1, SNS 2, Lambda 2, DynamoDB 9,
        // S3 6, SQS 2, EventBridge 2, nested executions 4, HTTP 1, API Gateway
        // 2 (SNS, Lambda, SQS, EventBridge, nested executions and API Gateway
        // with `.waitForTaskToken`); 3 partitions.
        assert_eq!(
            all.len(),
            3 * (6 * 2 + 2 + 1 + 2 + 2 + 9 + 6 + 2 + 2 + 4 + 1 + 2)
        );
        for i in all {
            assert_eq!(
                parse_resource(&i.arn()),
                Resource::Integration(i),
                "{}",
                i.arn()
            );
        }
    }

    #[test]
    fn other_resources_and_patterns() {
        assert_eq!(
            parse_resource("arn:aws:states:::eks:call.sync"),
            Resource::UnsupportedPattern(Api::EksCall, Pattern::Sync)
        );
        // The built-in integration makes the call; the engine waits for the callback.
        assert!(matches!(
            parse_resource("arn:aws:states:::sns:publish.waitForTaskToken"),
            Resource::Integration(Integration {
                api: Api::SnsPublish,
                pattern: Pattern::WaitForTaskToken,
                ..
            })
        ));
        assert_eq!(
            parse_resource("arn:aws:states:::dynamodb:putItem.waitForTaskToken"),
            Resource::UnsupportedPattern(Api::DynamoDbPutItem, Pattern::WaitForTaskToken)
        );
        assert!(takes_task_token(
            "arn:aws:states:::lambda:invoke.waitForTaskToken"
        ));
        assert!(takes_task_token(
            "arn:aws:states:::ecs:runTask.waitForTaskToken"
        ));
        assert!(takes_task_token(
            "arn:aws:states:us-east-1:123456789012:activity:Review"
        ));
        assert!(!takes_task_token("arn:aws:states:::lambda:invoke"));
        assert!(matches!(
            parse_resource("arn:aws:states:::states:startExecution.sync:2"),
            Resource::Integration(Integration {
                api: Api::StatesStartExecution,
                pattern: Pattern::Sync2,
                ..
            })
        ));
        assert_eq!(
            feature_of("arn:aws:lambda:us-east-1:1:function:f"),
            Some("lambda")
        );
        assert_eq!(
            feature_of("arn:aws:states:::aws-sdk:s3:getObject"),
            Some("s3")
        );
        for other in [
            "arn:aws:states:::glue:startJobRun.sync",
            "arn:aws:states:::aws-sdk:s3:createBucket",
            "arn:aws:lambda:us-east-1:1:function:f",
            "arn:aws-xx:states:::eks:call",
            "arn:aws:states:::eks:call.syncc",
            "arn:aws:states:us-east-1:1:activity:a",
            "arn:aws:states:us-east-1::sns:publish",
        ] {
            assert_eq!(parse_resource(other), Resource::Other, "{other}");
        }
        // With a region and an account: the short form's integration.
        let long = integration("arn:aws:states:us-east-1:123456789012:sns:publish").unwrap();
        assert_eq!(long.arn(), "arn:aws:states:::sns:publish");
    }

    #[test]
    fn required_fields_are_fields() {
        for api in Api::ALL {
            let spec = api.spec();
            assert!(FEATURES.contains(&spec.feature), "{}", spec.name);
            assert!(spec.patterns.contains(&Pattern::RequestResponse) || spec.patterns.is_empty());
            for group in spec.one_of {
                for name in *group {
                    assert!(spec.field(name).is_some(), "{}: {name}", spec.name);
                }
            }
            for name in spec.iam.pass_role_fields {
                assert!(spec.field(name).is_some(), "{}: {name}", spec.name);
            }
            // Every `{Field}` of a resource template is a request field.
            for statement in spec.iam.statements {
                for template in statement.resource {
                    for part in template.split('{').skip(1) {
                        let name = part.split('}').next().unwrap_or_default();
                        let name = name.split('#').next().unwrap_or_default();
                        // `{Field*}`, `{Field?}`: what is unknown is `*`, or skips.
                        let name = name.trim_end_matches(['*', '?']);
                        if !matches!(name, "partition" | "region" | "account") {
                            assert!(spec.field(name).is_some(), "{}: {{{name}}}", spec.name);
                        }
                    }
                }
            }
        }
    }
}
