//! Step Functions' AWS SDK integrations (`arn:aws:states:::aws-sdk:<service>:<action>`):
//! the naming rules that turn AWS's service models into what a state machine
//! writes and reads, and the actions AWS refuses.
//!
//! Step Functions runs these calls through AWS's Java SDK (v2) and names
//! everything as that SDK's code generator does (`DefaultNamingStrategy`,
//! `CodegenNamingUtils` in `aws-sdk-java-v2`):
//!
//! - the service ([`service_name`]): the model's `serviceId` in PascalCase by
//!   words, without a leading `Amazon`/`Aws` or a trailing `Service`
//!   (`ACM PCA` → `AcmPca`, `CloudWatch Logs` → `CloudWatchLogs`); lowercased
//!   in the ARN ([`arn_service`]: `acmpca`, `cloudwatchlogs`, `sfn`);
//! - the action ([`action_name`]): the operation with its leading capitals
//!   lowercased (`DescribeDBInstances` → `describeDBInstances`);
//! - request and result fields ([`field_name`]): the member's Java name with
//!   its first letter capitalized (`DBInstanceIdentifier` →
//!   `DbInstanceIdentifier`, `SSEKMSKeyId` → `SsekmsKeyId`), names Java
//!   reserves suffixed `Value` (`Equals` → `EqualsValue`); members, not wire
//!   names, so EC2's lists are plural (`Filters`, not `Filter.N`);
//! - errors ([`error_name`]): `<Service>.<Exception>`, the error shape's name in
//!   PascalCase by words with `Exception` added where it lacks it
//!   (`S3.NoSuchKeyException`, `AcmPca.ResourceNotFoundException`); an error
//!   the model does not list is the service's base exception
//!   ([`fallback_error`]: `Ec2.Ec2Exception`).
//!
//! ```
//! use asl_lang::sdk::{action_name, arn_service, error_name, field_name, service_name};
//! assert_eq!(service_name("ACM PCA"), "AcmPca");
//! assert_eq!(arn_service("CloudWatch Logs"), "cloudwatchlogs");
//! assert_eq!(action_name("DescribeDBInstances"), "describeDBInstances");
//! assert_eq!(field_name("DBInstanceIdentifier"), "DbInstanceIdentifier");
//! assert_eq!(error_name("S3", "NoSuchKey"), "S3.NoSuchKeyException");
//! ```
//!
//! With the `aws-models` feature, `models` reads AWS's own service models
//! (botocore's, vendored) for the compiler.

#[cfg(feature = "aws-models")]
pub mod models;
pub mod optimized;

/// The Cargo feature of `asl` (and `asl-runtime`) that calls SDK integrations.
pub const FEATURE: &str = "aws-sdk";

/// The prefix `aws-sdk:` in a resource: `arn:<partition>:states:::aws-sdk:<service>:<action>`.
pub const SDK_PREFIX: &str = "aws-sdk:";

/// `(service, action)` of an SDK integration resource
/// (`arn:aws:states:::aws-sdk:ec2:describeInstances`, any partition, region
/// and account, any pattern suffix), as written.
///
/// ```
/// use asl_lang::sdk::sdk_resource;
/// assert_eq!(sdk_resource("arn:aws:states:::aws-sdk:ec2:describeInstances"), Some(("ec2", "describeInstances")));
/// assert_eq!(sdk_resource("arn:aws-cn:states:cn-north-1:123456789012:aws-sdk:s3:listBuckets.waitForTaskToken"), Some(("s3", "listBuckets")));
/// assert_eq!(sdk_resource("arn:aws:states:::sns:publish"), None);
/// ```
pub fn sdk_resource(arn: &str) -> Option<(&str, &str)> {
    let rest = arn.strip_prefix("arn:")?;
    let (_partition, rest) = rest.split_once(":states:")?;
    // `::aws-sdk:...` or `region:account:aws-sdk:...`.
    let mut parts = rest.splitn(3, ':');
    let (_region, _account, name) = (parts.next()?, parts.next()?, parts.next()?);
    let name = name.strip_prefix(SDK_PREFIX)?;
    let name = name.split('.').next()?;
    let (service, action) = name.split_once(':')?;
    (!service.is_empty() && !action.is_empty()).then_some((service, action))
}

/// The pattern suffix of an integration resource (`.sync`, `.waitForTaskToken`), or `""`.
pub fn pattern_suffix(arn: &str) -> &str {
    let name = arn.find(SDK_PREFIX).unwrap_or(0);
    arn[name..].find('.').map_or("", |dot| &arn[name + dot..])
}

/// The wire protocols of AWS's service models.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Protocol {
    /// `json`: JSON 1.0 or 1.1 over `POST /` with `X-Amz-Target` (SSM, DynamoDB, Glue).
    Json,
    /// `rest-json`: JSON bodies, members in the URI, query and headers (Lambda, EKS).
    RestJson,
    /// `rest-xml`: XML bodies, members in the URI, query and headers (S3, Route 53).
    RestXml,
    /// `query`: form-encoded `Action=...`, XML answers (IAM, SNS, STS).
    Query,
    /// `ec2`: EC2's dialect of `query`.
    Ec2,
    /// `smithy-rpc-v2-cbor`: CBOR bodies.
    Cbor,
}

impl Protocol {
    /// The preference Step Functions' Java SDK has when a model lists several.
    const ALL: [Protocol; 6] = [
        Protocol::Json,
        Protocol::RestJson,
        Protocol::RestXml,
        Protocol::Query,
        Protocol::Ec2,
        Protocol::Cbor,
    ];

    /// The model's name for it (`metadata.protocol`, `metadata.protocols`).
    pub const fn name(self) -> &'static str {
        match self {
            Protocol::Json => "json",
            Protocol::RestJson => "rest-json",
            Protocol::RestXml => "rest-xml",
            Protocol::Query => "query",
            Protocol::Ec2 => "ec2",
            Protocol::Cbor => "smithy-rpc-v2-cbor",
        }
    }

    /// Does the runtime's generic caller (feature [`FEATURE`]) speak it? A
    /// service whose protocol it does not speak needs a handler of the
    /// program's own.
    pub const fn served(self) -> bool {
        !matches!(self, Protocol::Cbor)
    }

    pub fn from_name(name: &str) -> Option<Protocol> {
        Protocol::ALL.into_iter().find(|p| p.name() == name)
    }

    /// The protocol to speak, of those a model lists: the first of
    /// JSON, REST-JSON, REST-XML, Query, EC2 it has, CBOR only when it has
    /// nothing else.
    pub fn choose<'a>(listed: impl IntoIterator<Item = &'a str>) -> Option<Protocol> {
        let listed: Vec<Protocol> = listed.into_iter().filter_map(Protocol::from_name).collect();
        Protocol::ALL.into_iter().find(|p| listed.contains(p))
    }
}

/// Actions of supported services that AWS's "AWS SDK service integrations"
/// page lists as unsupported, as `(service, action)` in the ARN's spelling.
/// Besides these, every operation that streams events (an `eventstream`
/// input or output) is unsupported (`models` checks that from the model).
pub const UNSUPPORTED_ACTIONS: &[(&str, &str)] = &[
    ("comprehendmedical", "detectEntities"),
    ("efs", "createTags"),
    ("elastictranscoder", "testRole"),
    ("emr", "describeJobFlows"),
    ("iotdeviceadvisor", "listTestCases"),
    ("kinesis", "subscribeToShard"),
    ("lambda", "invokeAsync"),
    ("lexruntimev2", "startConversation"),
    ("mediapackage", "rotateChannelCredentials"),
    ("rdsdata", "executeSql"),
    ("s3", "selectObjectContent"),
    ("s3control", "selectObjectContent"),
    ("shield", "deleteSubscription"),
];

/// Is `service:action` one AWS refuses ([`UNSUPPORTED_ACTIONS`])?
pub fn is_unsupported_action(service: &str, action: &str) -> bool {
    UNSUPPORTED_ACTIONS
        .iter()
        .any(|(s, a)| *s == service && *a == action)
}

/// SDK actions whose IAM action is not the API's own name, as AWS's service
/// authorization reference gives them: `(service, action, IAM action)`.
pub const IAM_ACTION_EXCEPTIONS: &[(&str, &str, &str)] = &[
    ("s3", "listObjectsV2", "s3:ListBucket"),
    ("s3", "listObjects", "s3:ListBucket"),
    ("s3", "headBucket", "s3:ListBucket"),
    ("s3", "headObject", "s3:GetObject"),
    ("s3", "listObjectVersions", "s3:ListBucketVersions"),
    ("s3", "listBuckets", "s3:ListAllMyBuckets"),
    ("s3", "deleteObjects", "s3:DeleteObject"),
    ("s3", "copyObject", "s3:PutObject"),
    ("lambda", "invoke", "lambda:InvokeFunction"),
];

/// The IAM action an SDK action needs: the service's signing name (`sfn` signs
/// as `states`, `cloudwatchlogs` as `logs`) and the operation, or AWS's
/// exception ([`IAM_ACTION_EXCEPTIONS`]).
///
/// ```
/// use asl_lang::sdk::iam_action;
/// assert_eq!(iam_action("states", "sfn", "startExecution", "StartExecution"), "states:StartExecution");
/// assert_eq!(iam_action("s3", "s3", "listObjectsV2", "ListObjectsV2"), "s3:ListBucket");
/// ```
pub fn iam_action(signing_name: &str, service: &str, action: &str, operation: &str) -> String {
    match IAM_ACTION_EXCEPTIONS
        .iter()
        .find(|(s, a, _)| *s == service && *a == action)
    {
        Some((_, _, iam)) => iam.to_string(),
        None => format!("{signing_name}:{operation}"),
    }
}

/// The service's name in error names and Java's client: the `serviceId` in
/// PascalCase by words, without a leading `Amazon` or `Aws` and a trailing
/// `Service`.
pub fn service_name(service_id: &str) -> String {
    let name = pascal_case(service_id);
    let name = name.strip_prefix("Amazon").unwrap_or(&name);
    let name = name.strip_prefix("Aws").unwrap_or(name);
    let name = name.strip_suffix("Service").unwrap_or(name);
    name.to_string()
}

/// The service as an SDK integration ARN names it: [`service_name`] in lowercase.
pub fn arn_service(service_id: &str) -> String {
    service_name(service_id).to_ascii_lowercase()
}

/// The action as the ARN names it: the operation with its leading capitals
/// lowercased, as Java names the method.
pub fn action_name(operation: &str) -> String {
    un_capitalize(operation)
}

/// The name Step Functions gives a member of a request or result structure.
pub fn field_name(member: &str) -> String {
    let mut name = un_capitalize(member);
    if is_java_keyword(&name) || RESERVED_STRUCTURE_METHODS.contains(&name.as_str()) {
        name = un_capitalize(&format!("{name}Value"));
    }
    capitalize(&name)
}

/// `<Service>.<Exception>` for the error shape `shape` of the service whose
/// [`service_name`] is `service`.
pub fn error_name(service: &str, shape: &str) -> String {
    format!("{service}.{}", exception_name(shape))
}

/// The error of a service answer the model does not list: the service's base
/// exception (`Ec2.Ec2Exception`).
pub fn fallback_error(service: &str) -> String {
    format!("{service}.{service}Exception")
}

/// Java's exception class name for an error shape: `...Fault` becomes
/// `...Exception`, and `Exception` is added where missing.
pub fn exception_name(shape: &str) -> String {
    if let Some(base) = shape.strip_suffix("Fault") {
        format!("{}Exception", pascal_case(base))
    } else if shape.ends_with("Exception") {
        pascal_case(shape)
    } else {
        format!("{}Exception", pascal_case(shape))
    }
}

/// Java's reserved words (a member named one gets `Value`).
const JAVA_KEYWORDS: &[&str] = &[
    "abstract",
    "assert",
    "boolean",
    "break",
    "byte",
    "case",
    "catch",
    "char",
    "class",
    "const",
    "continue",
    "default",
    "do",
    "double",
    "else",
    "enum",
    "extends",
    "false",
    "final",
    "finally",
    "float",
    "for",
    "goto",
    "if",
    "implements",
    "import",
    "instanceof",
    "int",
    "interface",
    "long",
    "native",
    "new",
    "null",
    "package",
    "private",
    "protected",
    "public",
    "return",
    "short",
    "static",
    "strictfp",
    "super",
    "switch",
    "synchronized",
    "this",
    "throw",
    "throws",
    "transient",
    "true",
    "try",
    "void",
    "volatile",
    "while",
];

/// Methods every Java SDK structure has, which a member may not shadow.
const RESERVED_STRUCTURE_METHODS: &[&str] = &[
    "equals",
    "finalize",
    "getClass",
    "hashCode",
    "notify",
    "notifyAll",
    "toString",
    "wait",
    "builder",
    "sdkFields",
    "toBuilder",
    "overrideConfiguration",
    "sdkHttpResponse",
];

fn is_java_keyword(word: &str) -> bool {
    JAVA_KEYWORDS.contains(&word) || JAVA_KEYWORDS.contains(&word.to_ascii_lowercase().as_str())
}

/// Java's `Utils.unCapitalize`: the first letter, and the capitals after it
/// that are not the start of the next word, in lowercase (`DBInstance` →
/// `dbInstance`, `SSEKMSKeyId` → `ssekmsKeyId`, `ARN` → `arn`).
fn un_capitalize(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len());
    let mut i = 0;
    while let Some(c) = chars.get(i) {
        out.extend(c.to_lowercase());
        i += 1;
        // Go on while the next is a capital not starting the next word.
        let next_upper = chars.get(i).is_some_and(|c| c.is_uppercase());
        let then_lower = chars.get(i + 1).is_some_and(|c| c.is_lowercase());
        if !next_upper || then_lower {
            break;
        }
    }
    out.extend(chars.iter().skip(i));
    out
}

fn capitalize(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Java's `CodegenNamingUtils.pascalCase`: the words of `text`
/// ([`split_words`]), each lowercased and capitalized, joined.
pub fn pascal_case(text: &str) -> String {
    split_words(text)
        .iter()
        .map(|w| capitalize(&w.to_lowercase()))
        .collect()
}

/// Java's `CodegenNamingUtils.splitOnWordBoundaries`: anything but letters and
/// digits separates; a version (`v2`, `V2`) after two other characters is a
/// word; a capital after a lowercase letter starts a word (when a letter or
/// digit follows it); the last capital of an acronym before a lowercase
/// letter starts a word; a letter after a digit starts a word.
pub fn split_words(text: &str) -> Vec<String> {
    // Non-alphanumerics are spaces.
    let mut s: Vec<char> = Vec::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            s.push(c);
        } else if s.last() != Some(&' ') {
            s.push(' ');
        }
    }
    // `([^a-z]{2,})v([0-9]+)` → `$1 v$2 `, then `([^A-Z]{2,})V([0-9]+)` → `$1 V$2 `.
    for (v, other) in [('v', 'a'..='z'), ('V', 'A'..='Z')] {
        let mut out = Vec::with_capacity(s.len() + 4);
        let mut from = 0; // where the next match may begin
        let mut i = 0;
        while i < s.len() {
            let digits = s[i + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
            if s[i] == v
                && digits > 0
                && i >= from + 2
                && !other.contains(&s[i - 1])
                && !other.contains(&s[i - 2])
            {
                out.push(' ');
                out.extend_from_slice(&s[i..=i + digits]);
                out.push(' ');
                i += digits + 1;
                from = i;
            } else {
                out.push(s[i]);
                i += 1;
            }
        }
        s = out;
    }
    // A space between camel-cased words: `(?<=[a-z])(?=[A-Z]([a-zA-Z]|[0-9]))`.
    let mut out = Vec::with_capacity(s.len() + 8);
    for i in 0..s.len() {
        if i > 0
            && s[i - 1].is_ascii_lowercase()
            && s[i].is_ascii_uppercase()
            && s.get(i + 1).is_some_and(|c| c.is_ascii_alphanumeric())
        {
            out.push(' ');
        }
        out.push(s[i]);
    }
    // After an acronym: `([A-Z]+)([A-Z][a-z])` → `$1 $2`.
    let s = out;
    let mut out = Vec::with_capacity(s.len() + 8);
    let mut i = 0;
    while i < s.len() {
        // A run of capitals; its last one starts a word when a lowercase follows.
        if s[i].is_ascii_uppercase() {
            let run = s[i..].iter().take_while(|c| c.is_ascii_uppercase()).count();
            let end = i + run;
            if run >= 2 && s.get(end).is_some_and(|c| c.is_ascii_lowercase()) {
                out.extend_from_slice(&s[i..end - 1]);
                out.push(' ');
                out.push(s[end - 1]);
                out.push(s[end]);
                i = end + 1;
                continue;
            }
            out.extend_from_slice(&s[i..end]);
            i = end;
            continue;
        }
        out.push(s[i]);
        i += 1;
    }
    // A letter after a digit: `([0-9])([a-zA-Z])` → `$1 $2`.
    let s = out;
    let mut out = String::with_capacity(s.len() + 8);
    for i in 0..s.len() {
        if i > 0 && s[i - 1].is_ascii_digit() && s[i].is_ascii_alphabetic() {
            out.push(' ');
        }
        out.push(s[i]);
    }
    out.split(' ')
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// AWS's "AWS SDK service integrations" page: the service as the ARN
    /// names it and the prefix of its errors, from the model's `serviceId`.
    #[test]
    fn service_names_as_aws_lists_them() {
        for (service_id, arn, prefix) in [
            ("ACM PCA", "acmpca", "AcmPca"),
            ("ACM", "acm", "Acm"),
            ("CloudWatch Logs", "cloudwatchlogs", "CloudWatchLogs"),
            ("SFN", "sfn", "Sfn"),
            ("DynamoDB", "dynamodb", "DynamoDb"),
            ("DynamoDB Streams", "dynamodbstreams", "DynamoDbStreams"),
            ("EC2", "ec2", "Ec2"),
            ("S3", "s3", "S3"),
            ("EventBridge", "eventbridge", "EventBridge"),
            (
                "Elastic Load Balancing v2",
                "elasticloadbalancingv2",
                "ElasticLoadBalancingV2",
            ),
            (
                "Database Migration Service",
                "databasemigration",
                "DatabaseMigration",
            ),
            (
                "Application Discovery Service",
                "applicationdiscovery",
                "ApplicationDiscovery",
            ),
            (
                "Cost and Usage Report Service",
                "costandusagereport",
                "CostAndUsageReport",
            ),
            (
                "Lex Model Building Service",
                "lexmodelbuilding",
                "LexModelBuilding",
            ),
            ("Lex Runtime Service", "lexruntime", "LexRuntime"),
            ("Lex Runtime V2", "lexruntimev2", "LexRuntimeV2"),
            (
                "SageMaker A2I Runtime",
                "sagemakera2iruntime",
                "SageMakerA2IRuntime",
            ),
            ("IoTAnalytics", "iotanalytics", "IoTAnalytics"),
            (
                "IoTSecureTunneling",
                "iotsecuretunneling",
                "IoTSecureTunneling",
            ),
            (
                "IoT 1Click Projects",
                "iot1clickprojects",
                "Iot1ClickProjects",
            ),
            (
                "codestar notifications",
                "codestarnotifications",
                "CodestarNotifications",
            ),
            ("CloudHSM", "cloudhsm", "CloudHsm"),
            ("CloudHSM V2", "cloudhsmv2", "CloudHsmV2"),
            ("OpsWorksCM", "opsworkscm", "OpsWorksCm"),
            ("SSO OIDC", "ssooidc", "SsoOidc"),
            ("WAFV2", "wafv2", "Wafv2"),
            ("FSx", "fsx", "FSx"),
            ("MTurk", "mturk", "MTurk"),
            ("XRay", "xray", "XRay"),
            ("RDS Data", "rdsdata", "RdsData"),
            ("DocDB", "docdb", "DocDb"),
            (
                "Service Catalog AppRegistry",
                "servicecatalogappregistry",
                "ServiceCatalogAppRegistry",
            ),
            ("AmplifyUIBuilder", "amplifyuibuilder", "AmplifyUiBuilder"),
            ("Elasticsearch Service", "elasticsearch", "Elasticsearch"),
            ("Auto Scaling", "autoscaling", "AutoScaling"),
            ("Directory Service", "directory", "Directory"),
        ] {
            assert_eq!(service_name(service_id), prefix, "{service_id}");
            assert_eq!(arn_service(service_id), arn, "{service_id}");
        }
    }

    #[test]
    fn actions_are_lower_camel() {
        assert_eq!(action_name("DescribeInstances"), "describeInstances");
        assert_eq!(action_name("DescribeDBInstances"), "describeDBInstances");
        assert_eq!(action_name("ListObjectsV2"), "listObjectsV2");
        assert_eq!(action_name("StartSyncExecution"), "startSyncExecution");
    }

    /// Java SDK v2 member names, capitalized: the names AWS's pages and
    /// samples use (`DbInstanceIdentifier` for RDS, `EqualsValue`, EC2's
    /// `Filters`).
    #[test]
    fn fields_are_java_member_names() {
        for (member, field) in [
            ("DBInstanceIdentifier", "DbInstanceIdentifier"),
            ("StateMachineArn", "StateMachineArn"),
            ("SSEKMSKeyId", "SsekmsKeyId"),
            ("ARN", "Arn"),
            ("Filters", "Filters"),
            ("Equals", "EqualsValue"),
            ("Default", "DefaultValue"),
            ("Class", "ClassValue"),
            ("Type", "Type"),
            ("ETag", "ETag"),
            ("IOPS", "Iops"),
            ("VPCId", "VpcId"),
            ("maxResults", "MaxResults"),
            ("nextToken", "NextToken"),
        ] {
            assert_eq!(field_name(member), field, "{member}");
        }
    }

    #[test]
    fn errors_get_the_exception_suffix() {
        assert_eq!(error_name("S3", "NoSuchKey"), "S3.NoSuchKeyException");
        assert_eq!(
            error_name("S3", "BucketAlreadyExists"),
            "S3.BucketAlreadyExistsException"
        );
        assert_eq!(
            error_name("AcmPca", "ResourceNotFoundException"),
            "AcmPca.ResourceNotFoundException"
        );
        assert_eq!(
            error_name("Iam", "NoSuchEntityException"),
            "Iam.NoSuchEntityException"
        );
        assert_eq!(
            error_name("Rds", "DBInstanceNotFoundFault"),
            "Rds.DbInstanceNotFoundException"
        );
        assert_eq!(
            error_name("Sfn", "KMSAccessDeniedException"),
            "Sfn.KmsAccessDeniedException"
        );
        assert_eq!(fallback_error("Ec2"), "Ec2.Ec2Exception");
    }

    #[test]
    fn resources_and_unsupported_actions() {
        assert_eq!(
            sdk_resource("arn:aws:states:::aws-sdk:s3:selectObjectContent"),
            Some(("s3", "selectObjectContent"))
        );
        assert!(is_unsupported_action("lambda", "invokeAsync"));
        assert!(!is_unsupported_action("lambda", "invoke"));
        assert_eq!(
            pattern_suffix("arn:aws:states:::aws-sdk:s3:listBuckets"),
            ""
        );
        assert_eq!(
            pattern_suffix("arn:aws:states:::aws-sdk:glue:startJobRun.sync"),
            ".sync"
        );
        assert_eq!(
            pattern_suffix("arn:aws:states:::aws-sdk:sfn:startExecution.sync:2"),
            ".sync:2"
        );
        assert_eq!(
            Protocol::choose(["smithy-rpc-v2-cbor", "json"]),
            Some(Protocol::Json)
        );
        assert_eq!(
            Protocol::choose(["smithy-rpc-v2-cbor"]),
            Some(Protocol::Cbor)
        );
    }
}
