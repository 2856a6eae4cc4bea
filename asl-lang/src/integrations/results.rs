//! What each integration's result looks like, as far as AWS's service models
//! say (the state sees it before `ResultSelector`): the checker infers the
//! data flowing through a workflow from it (`asl-build`'s `check::types`).
//!
//! Only what the models fix is written down: an object whose keys the model
//! lists is closed (a path to any other key can never be present), and
//! anything else (a service answer asl passes through unread, a user's
//! payload) is [`ResultShape::Any`]. The EKS structures are the
//! `aws-sdk-eks` 1.160 model's, with the PascalCase keys the integration
//! returns.

use super::{Api, Pattern};

/// The JSON shape of (part of) a result.
#[derive(Clone, Copy, Debug)]
pub enum ResultShape {
    /// Nothing known.
    Any,
    String,
    Number,
    Boolean,
    /// An object with exactly these keys (each present or not).
    Object(&'static [ResultField]),
    /// An object with these keys, and possibly others.
    OpenObject(&'static [ResultField]),
    /// An array of this.
    List(&'static ResultShape),
    /// A user map (tags, labels): any keys, string values.
    Map,
}

/// One key of a result object.
#[derive(Clone, Copy, Debug)]
pub struct ResultField {
    pub name: &'static str,
    /// Always present (otherwise: present in some answers).
    pub required: bool,
    pub shape: ResultShape,
}

const fn always(name: &'static str, shape: ResultShape) -> ResultField {
    ResultField {
        name,
        required: true,
        shape,
    }
}

const fn maybe(name: &'static str, shape: ResultShape) -> ResultField {
    ResultField {
        name,
        required: false,
        shape,
    }
}

use ResultShape::{Any, Boolean as B, Map as M, Number as N, String as S};

const STRINGS: ResultShape = ResultShape::List(&S);

/// What the AWS SDK for Java adds to a request-response answer
/// (`SdkHttpMetadata`, `SdkResponseMetadata`): present in AWS's results,
/// never read by workflows in practice.
const SDK_METADATA: [ResultField; 2] = [
    maybe("SdkHttpMetadata", Any),
    maybe("SdkResponseMetadata", Any),
];

/// EKS `Cluster` (DescribeCluster, CreateCluster, DeleteCluster).
const CLUSTER: ResultShape = ResultShape::Object(&[
    maybe("Name", S),
    maybe("Arn", S),
    maybe("CreatedAt", Any),
    maybe("Version", S),
    maybe("Endpoint", S),
    maybe("RoleArn", S),
    maybe(
        "ResourcesVpcConfig",
        ResultShape::Object(&[
            maybe("SubnetIds", STRINGS),
            maybe("SecurityGroupIds", STRINGS),
            maybe("ClusterSecurityGroupId", S),
            maybe("VpcId", S),
            maybe("EndpointPublicAccess", B),
            maybe("EndpointPrivateAccess", B),
            maybe("PublicAccessCidrs", STRINGS),
            maybe("ControlPlaneEgressMode", S),
        ]),
    ),
    maybe("KubernetesNetworkConfig", Any),
    maybe("Logging", Any),
    maybe("Identity", ResultShape::Object(&[maybe("Oidc", Any)])),
    maybe("Status", S),
    maybe(
        "CertificateAuthority",
        ResultShape::Object(&[maybe("Data", S), maybe("Active", Any)]),
    ),
    maybe("ClientRequestToken", S),
    maybe("PlatformVersion", S),
    maybe("Tags", M),
    maybe("EncryptionConfig", Any),
    maybe("ConnectorConfig", Any),
    maybe("Id", S),
    maybe("Health", Any),
    maybe("OutpostConfig", Any),
    maybe("AccessConfig", Any),
    maybe("UpgradePolicy", Any),
    maybe("ZonalShiftConfig", Any),
    maybe("RemoteNetworkConfig", Any),
    maybe("ComputeConfig", Any),
    maybe("StorageConfig", Any),
    maybe("DeletionProtection", B),
    maybe("ControlPlaneScalingConfig", Any),
    maybe("KubeApiServerConfig", Any),
    maybe("KubeSchedulerConfig", Any),
    maybe("KubeControllerManagerConfig", Any),
]);

/// EKS `Nodegroup`.
const NODEGROUP: ResultShape = ResultShape::Object(&[
    maybe("NodegroupName", S),
    maybe("NodegroupArn", S),
    maybe("ClusterName", S),
    maybe("Version", S),
    maybe("ReleaseVersion", S),
    maybe("CreatedAt", Any),
    maybe("ModifiedAt", Any),
    maybe("Status", S),
    maybe("CapacityType", S),
    maybe("ScalingConfig", Any),
    maybe("InstanceTypes", STRINGS),
    maybe("Subnets", STRINGS),
    maybe("RemoteAccess", Any),
    maybe("AmiType", S),
    maybe("NodeRole", S),
    maybe("Labels", M),
    maybe("Taints", Any),
    maybe("Resources", Any),
    maybe("DiskSize", N),
    maybe("Health", Any),
    maybe("UpdateConfig", Any),
    maybe("NodeRepairConfig", Any),
    maybe("LaunchTemplate", Any),
    maybe("Tags", M),
    maybe("WarmPoolConfig", Any),
]);

/// EKS `FargateProfile`.
const FARGATE_PROFILE: ResultShape = ResultShape::Object(&[
    maybe("FargateProfileName", S),
    maybe("FargateProfileArn", S),
    maybe("ClusterName", S),
    maybe("CreatedAt", Any),
    maybe("PodExecutionRoleArn", S),
    maybe("Subnets", STRINGS),
    maybe("Selectors", Any),
    maybe("Status", S),
    maybe("Tags", M),
    maybe("Health", Any),
]);

const CLUSTER_RESULT: ResultShape = ResultShape::Object(&[always("Cluster", CLUSTER)]);
const NODEGROUP_RESULT: ResultShape = ResultShape::Object(&[always("Nodegroup", NODEGROUP)]);
const FARGATE_PROFILE_RESULT: ResultShape =
    ResultShape::Object(&[always("FargateProfile", FARGATE_PROFILE)]);

/// sns:publish.
const PUBLISH_RESULT: ResultShape = ResultShape::Object(&[
    always("MessageId", S),
    maybe("SequenceNumber", S),
    SDK_METADATA[0],
    SDK_METADATA[1],
]);

/// lambda:invoke: the optimized integration's envelope; the payload is the
/// function's.
const INVOKE_RESULT: ResultShape = ResultShape::Object(&[
    maybe("ExecutedVersion", S),
    maybe("Payload", Any),
    always("StatusCode", N),
    maybe("LogResult", S),
    maybe("FunctionError", S),
    SDK_METADATA[0],
    SDK_METADATA[1],
]);

/// Any keys, values unknown: DynamoDB items and keys (attribute name to
/// attribute value).
const ANY_KEYS: ResultShape = ResultShape::OpenObject(&[]);

/// DynamoDB's single-item writes (PutItem, UpdateItem, DeleteItem).
const DYNAMODB_WRITE: ResultShape = ResultShape::Object(&[
    maybe("Attributes", ANY_KEYS),
    maybe("ConsumedCapacity", Any),
    maybe("ItemCollectionMetrics", Any),
    SDK_METADATA[0],
    SDK_METADATA[1],
]);

/// DynamoDB Query and Scan.
const DYNAMODB_READ_MANY: ResultShape = ResultShape::Object(&[
    maybe("Items", ResultShape::List(&ANY_KEYS)),
    maybe("Count", N),
    maybe("ScannedCount", N),
    maybe("LastEvaluatedKey", ANY_KEYS),
    maybe("ConsumedCapacity", Any),
    SDK_METADATA[0],
    SDK_METADATA[1],
]);

/// The answer of the awsJson services as it comes (aws-sdk-dynamodb 1.136,
/// aws-sdk-sqs 1.119, aws-sdk-eventbridge 1.127 output structures).
const DYNAMODB_GET_ITEM: ResultShape = ResultShape::Object(&[
    maybe("Item", ANY_KEYS),
    maybe("ConsumedCapacity", Any),
    SDK_METADATA[0],
    SDK_METADATA[1],
]);
const DYNAMODB_BATCH_GET_ITEM: ResultShape = ResultShape::Object(&[
    maybe("Responses", ANY_KEYS),
    maybe("UnprocessedKeys", ANY_KEYS),
    maybe("ConsumedCapacity", Any),
    SDK_METADATA[0],
    SDK_METADATA[1],
]);
const DYNAMODB_BATCH_WRITE_ITEM: ResultShape = ResultShape::Object(&[
    maybe("UnprocessedItems", ANY_KEYS),
    maybe("ItemCollectionMetrics", Any),
    maybe("ConsumedCapacity", Any),
    SDK_METADATA[0],
    SDK_METADATA[1],
]);
const DYNAMODB_TRANSACT_WRITE_ITEMS: ResultShape = ResultShape::Object(&[
    maybe("ConsumedCapacity", Any),
    maybe("ItemCollectionMetrics", Any),
    SDK_METADATA[0],
    SDK_METADATA[1],
]);
const SQS_SEND_MESSAGE: ResultShape = ResultShape::Object(&[
    maybe("MD5OfMessageBody", S),
    maybe("MD5OfMessageAttributes", S),
    maybe("MD5OfMessageSystemAttributes", S),
    always("MessageId", S),
    maybe("SequenceNumber", S),
    SDK_METADATA[0],
    SDK_METADATA[1],
]);
const EVENTS_PUT_EVENTS: ResultShape = ResultShape::Object(&[
    maybe("FailedEntryCount", N),
    maybe("Entries", ResultShape::List(&Any)),
    SDK_METADATA[0],
    SDK_METADATA[1],
]);

/// states:startExecution without waiting (aws-sdk-sfn 1.125's StartExecution).
const SFN_STARTED: ResultShape = ResultShape::Object(&[
    always("ExecutionArn", S),
    always("StartDate", Any),
    SDK_METADATA[0],
    SDK_METADATA[1],
]);

/// states:startExecution.sync and .sync:2: DescribeExecution's answer once
/// the child succeeded; `Input` and `Output` are JSON text with `.sync`, JSON
/// with `.sync:2`.
const fn sfn_described(data: ResultShape) -> ResultShape {
    match data {
        ResultShape::String => SFN_DESCRIBED_TEXT,
        _ => SFN_DESCRIBED_JSON,
    }
}
const SFN_DESCRIBED_TEXT: ResultShape = ResultShape::Object(&sfn_described_fields(S));
const SFN_DESCRIBED_JSON: ResultShape = ResultShape::Object(&sfn_described_fields(Any));
const fn sfn_described_fields(data: ResultShape) -> [ResultField; 22] {
    [
        always("ExecutionArn", S),
        maybe("StateMachineArn", S),
        maybe("Name", S),
        maybe("Status", S),
        maybe("StartDate", Any),
        maybe("StopDate", Any),
        maybe("Input", data),
        maybe("InputDetails", Any),
        maybe("Output", data),
        maybe("OutputDetails", Any),
        maybe("TraceHeader", S),
        maybe("MapRunArn", S),
        maybe("Error", S),
        maybe("Cause", S),
        maybe("StateMachineVersionArn", S),
        maybe("StateMachineAliasArn", S),
        maybe("RedriveCount", N),
        maybe("RedriveDate", Any),
        maybe("RedriveStatus", S),
        maybe("RedriveStatusReason", S),
        SDK_METADATA[0],
        SDK_METADATA[1],
    ]
}

/// An S3 object's `LastModified`, `Metadata`, ... as the built-in returns
/// them. S3 answers are reshaped from XML and AWS adds keys the built-in does
/// not (`Expiration`, `ChecksumCRC32`, ...), so each object is open: the keys
/// listed have their types, any other may be there.
const S3_GET_OBJECT: ResultShape = ResultShape::OpenObject(&[
    maybe("Body", S),
    maybe("AcceptRanges", S),
    maybe("ContentLength", N),
    maybe("ContentType", S),
    maybe("ContentEncoding", S),
    maybe("ContentRange", S),
    maybe("ETag", S),
    maybe("LastModified", S),
    maybe("Metadata", M),
    maybe("VersionId", S),
    maybe("ServerSideEncryption", S),
    maybe("StorageClass", S),
]);

const S3_HEAD_OBJECT: ResultShape = ResultShape::OpenObject(&[
    maybe("AcceptRanges", S),
    maybe("ContentLength", N),
    maybe("ContentType", S),
    maybe("ETag", S),
    maybe("LastModified", S),
    maybe("Metadata", M),
    maybe("VersionId", S),
    maybe("StorageClass", S),
]);

const S3_PUT_OBJECT: ResultShape = ResultShape::OpenObject(&[
    maybe("ETag", S),
    maybe("VersionId", S),
    maybe("ServerSideEncryption", S),
]);

/// One `Contents` entry of listObjectsV2.
const S3_OBJECT: ResultShape = ResultShape::OpenObject(&[
    maybe("Key", S),
    maybe("LastModified", S),
    maybe("ETag", S),
    maybe("Size", N),
    maybe("StorageClass", S),
    maybe(
        "Owner",
        ResultShape::OpenObject(&[maybe("DisplayName", S), maybe("ID", S)]),
    ),
]);

const S3_LIST_OBJECTS_V2: ResultShape = ResultShape::OpenObject(&[
    // Always written by the built-in (empty when nothing matched).
    always("Contents", ResultShape::List(&S3_OBJECT)),
    maybe(
        "CommonPrefixes",
        ResultShape::List(&ResultShape::OpenObject(&[maybe("Prefix", S)])),
    ),
    maybe("ContinuationToken", S),
    maybe("Delimiter", S),
    maybe("IsTruncated", B),
    maybe("KeyCount", N),
    maybe("MaxKeys", N),
    maybe("Name", S),
    maybe("NextContinuationToken", S),
    maybe("Prefix", S),
    maybe("StartAfter", S),
]);

const S3_COPY_OBJECT: ResultShape = ResultShape::OpenObject(&[
    maybe(
        "CopyObjectResult",
        ResultShape::OpenObject(&[maybe("ETag", S), maybe("LastModified", S)]),
    ),
    maybe("VersionId", S),
    maybe("CopySourceVersionId", S),
]);

const S3_DELETE_OBJECT: ResultShape =
    ResultShape::OpenObject(&[maybe("DeleteMarker", B), maybe("VersionId", S)]);

/// A Kubernetes object's `metadata` (open: the API server adds fields).
const K8S_METADATA: ResultShape = ResultShape::OpenObject(&[
    maybe("name", S),
    maybe("namespace", S),
    maybe("uid", S),
    maybe("resourceVersion", S),
    maybe("creationTimestamp", S),
    maybe("labels", M),
    maybe("annotations", M),
]);

/// `eks:runJob`: the Job the API server returns (created, or with `.sync`
/// finished), with `logs` added when `LogOptions` asks for them. Open at
/// every level: Kubernetes objects gain fields with every version.
const EKS_RUN_JOB: ResultShape = ResultShape::OpenObject(&[
    maybe("apiVersion", S),
    maybe("kind", S),
    maybe("metadata", K8S_METADATA),
    maybe("spec", Any),
    maybe(
        "status",
        ResultShape::OpenObject(&[
            maybe("active", N),
            maybe("succeeded", N),
            maybe("failed", N),
            maybe("ready", N),
            maybe("startTime", S),
            maybe("completionTime", S),
            maybe(
                "conditions",
                ResultShape::List(&ResultShape::OpenObject(&[
                    maybe("type", S),
                    maybe("status", S),
                    maybe("reason", S),
                    maybe("message", S),
                    maybe("lastProbeTime", S),
                    maybe("lastTransitionTime", S),
                ])),
            ),
        ]),
    ),
    // `{"pods": {"<pod>": {"containers": {"<container>": {"log": ...}}}}}`.
    maybe(
        "logs",
        ResultShape::OpenObject(&[maybe("pods", ResultShape::OpenObject(&[]))]),
    ),
]);

/// `eks:call`: the API server's answer as Step Functions documents it
/// (`ResponseBody` absent when the answer has no body; `Headers` maps a
/// lower-case name to its values).
const EKS_CALL: ResultShape = ResultShape::Object(&[
    maybe("ResponseBody", Any),
    always("StatusCode", N),
    always("StatusText", S),
    always("Headers", ResultShape::OpenObject(&[])),
]);

/// `http:invoke`: the answer as Step Functions' HTTP Task returns it, the
/// status code as text (`"200"`).
const HTTP_INVOKE: ResultShape = ResultShape::Object(&[
    always("Headers", ResultShape::OpenObject(&[])),
    always("ResponseBody", Any),
    always("StatusCode", S),
    always("StatusText", S),
]);

/// API Gateway's answer: `StatusCode` is a number (HTTP Tasks give text).
const APIGATEWAY_INVOKE: ResultShape = ResultShape::Object(&[
    always("Headers", ResultShape::OpenObject(&[])),
    always("ResponseBody", Any),
    always("StatusCode", N),
    always("StatusText", S),
]);

/// The result of calling `api` with `pattern`, as far as it is known.
pub fn result_shape(api: Api, pattern: Pattern) -> ResultShape {
    if pattern == Pattern::WaitForTaskToken {
        // Whatever the callback sends.
        return Any;
    }
    match api {
        // `{"Cluster": {...}}`: the create's answer, or with .sync the last
        // description (create) or the delete's own answer (delete).
        Api::EksCreateCluster | Api::EksDeleteCluster => CLUSTER_RESULT,
        Api::EksCreateNodegroup | Api::EksDeleteNodegroup => NODEGROUP_RESULT,
        Api::EksCreateFargateProfile | Api::EksDeleteFargateProfile => FARGATE_PROFILE_RESULT,
        Api::SnsPublish => PUBLISH_RESULT,
        Api::LambdaInvoke => INVOKE_RESULT,
        Api::DynamoDbGetItem => DYNAMODB_GET_ITEM,
        Api::DynamoDbPutItem | Api::DynamoDbUpdateItem | Api::DynamoDbDeleteItem => DYNAMODB_WRITE,
        Api::DynamoDbQuery | Api::DynamoDbScan => DYNAMODB_READ_MANY,
        Api::DynamoDbBatchGetItem => DYNAMODB_BATCH_GET_ITEM,
        Api::DynamoDbBatchWriteItem => DYNAMODB_BATCH_WRITE_ITEM,
        Api::DynamoDbTransactWriteItems => DYNAMODB_TRANSACT_WRITE_ITEMS,
        Api::SqsSendMessage => SQS_SEND_MESSAGE,
        Api::EventsPutEvents => EVENTS_PUT_EVENTS,
        Api::StatesStartExecution => match pattern {
            Pattern::Sync => sfn_described(S),
            Pattern::Sync2 => sfn_described(Any),
            _ => SFN_STARTED,
        },
        Api::S3GetObject => S3_GET_OBJECT,
        Api::S3HeadObject => S3_HEAD_OBJECT,
        Api::S3PutObject => S3_PUT_OBJECT,
        Api::S3ListObjectsV2 => S3_LIST_OBJECTS_V2,
        Api::S3CopyObject => S3_COPY_OBJECT,
        Api::S3DeleteObject => S3_DELETE_OBJECT,
        Api::EksRunJob => EKS_RUN_JOB,
        Api::EksCall => EKS_CALL,
        Api::HttpInvoke => HTTP_INVOKE,
        Api::ApiGatewayInvoke => APIGATEWAY_INVOKE,
    }
}
