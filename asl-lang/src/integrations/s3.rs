//! Amazon S3 through the SDK integrations `aws-sdk:s3:getObject`, `putObject`,
//! `headObject`, `listObjectsV2`, `copyObject`, `deleteObject`. Errors are
//! `S3.<Code>Exception`: AWS's rule for SDK integrations adds the suffix where
//! S3's own code lacks it (`NoSuchKey` → `S3.NoSuchKeyException`).

use super::{Iam, IamStatement, Pattern, Shape, Spec, Type, opt, req};

const S: Shape = Shape::Value(Type::String);
const N: Shape = Shape::Value(Type::Number);

const ERRORS: &[&str] = &[
    "S3.NoSuchKeyException",
    "S3.NoSuchBucketException",
    "S3.AccessDeniedException",
    "S3.S3Exception",
    "States.TaskFailed",
];

macro_rules! s3_api {
    ($static:ident, $name:literal, $result:literal, [$($field:expr),+ $(,)?], $action:literal, $resource:literal) => {
        pub(super) static $static: Spec = Spec {
            name: $name,
            feature: "s3",
            patterns: &[Pattern::RequestResponse],
            request: &[$($field),+],
            one_of: &[],
            result: $result,
            error_prefix: "S3",
            errors: ERRORS,
            // AWS's "IAM policies" for the S3 SDK actions: the object (or bucket).
            iam: Iam {
                statements: &[IamStatement {
                    actions: &[$action],
                    resource: &[$resource, "*"],
                    patterns: &[],
                }],
                pass_role_fields: &[],
                passed_to_service: None,
            },
        };
    };
}

s3_api!(
    GET_OBJECT,
    "aws-sdk:s3:getObject",
    "`{\"Body\": \"<the object as text>\", \"ContentLength\": n, \"ContentType\": \"...\", \"ETag\": \"\\\"...\\\"\", \"LastModified\": \"...\", \"Metadata\": {}}`",
    [
        req("Bucket", S),
        req("Key", S),
        opt("Range", S),
        opt("VersionId", S),
        opt("IfMatch", S),
        opt("IfNoneMatch", S),
        opt("PartNumber", N),
        opt("ExpectedBucketOwner", S),
        opt("ResponseContentType", S),
    ],
    "s3:GetObject",
    "arn:{partition}:s3:::{Bucket}/*"
);

s3_api!(
    PUT_OBJECT,
    "aws-sdk:s3:putObject",
    "`{\"ETag\": \"\\\"...\\\"\", \"VersionId\": \"...\"}`",
    [
        req("Bucket", S),
        req("Key", S),
        opt("Body", Shape::Value(Type::Any)),
        opt("ContentType", S),
        opt("ContentEncoding", S),
        opt("ContentDisposition", S),
        opt("CacheControl", S),
        opt("Metadata", Shape::Map),
        opt("StorageClass", S),
        opt("ServerSideEncryption", S),
        opt("SseKmsKeyId", S),
        opt("Tagging", S),
        opt("ExpectedBucketOwner", S),
    ],
    "s3:PutObject",
    "arn:{partition}:s3:::{Bucket}/*"
);

s3_api!(
    HEAD_OBJECT,
    "aws-sdk:s3:headObject",
    "`{\"ContentLength\": n, \"ContentType\": \"...\", \"ETag\": \"\\\"...\\\"\", \"LastModified\": \"...\", \"Metadata\": {}}`",
    [
        req("Bucket", S),
        req("Key", S),
        opt("VersionId", S),
        opt("Range", S),
        opt("IfMatch", S),
        opt("IfNoneMatch", S),
        opt("PartNumber", N),
        opt("ExpectedBucketOwner", S),
    ],
    "s3:GetObject",
    "arn:{partition}:s3:::{Bucket}/*"
);

s3_api!(
    LIST_OBJECTS_V2,
    "aws-sdk:s3:listObjectsV2",
    "`{\"Contents\": [{\"Key\": ..., \"Size\": n, \"ETag\": ..., \"LastModified\": ..., \"StorageClass\": ...}], \"IsTruncated\": false, \"KeyCount\": n, \"MaxKeys\": n, \"Name\": \"bucket\", \"Prefix\": \"...\"}`",
    [
        req("Bucket", S),
        opt("Prefix", S),
        opt("Delimiter", S),
        opt("MaxKeys", N),
        opt("ContinuationToken", S),
        opt("StartAfter", S),
        opt("FetchOwner", Shape::Value(Type::Boolean)),
        opt("EncodingType", Shape::Value(Type::Enum(&["url"]))),
        opt("ExpectedBucketOwner", S),
    ],
    "s3:ListBucket",
    "arn:{partition}:s3:::{Bucket}"
);

s3_api!(
    COPY_OBJECT,
    "aws-sdk:s3:copyObject",
    "`{\"CopyObjectResult\": {\"ETag\": \"\\\"...\\\"\", \"LastModified\": \"...\"}}`",
    [
        req("Bucket", S),
        req("Key", S),
        req("CopySource", S),
        opt(
            "MetadataDirective",
            Shape::Value(Type::Enum(&["COPY", "REPLACE"]))
        ),
        opt("Metadata", Shape::Map),
        opt("ContentType", S),
        opt("StorageClass", S),
        opt(
            "TaggingDirective",
            Shape::Value(Type::Enum(&["COPY", "REPLACE"]))
        ),
        opt("Tagging", S),
        opt("ServerSideEncryption", S),
        opt("ExpectedBucketOwner", S),
    ],
    "s3:PutObject",
    "arn:{partition}:s3:::{Bucket}/*"
);

s3_api!(
    DELETE_OBJECT,
    "aws-sdk:s3:deleteObject",
    "`{}` (`DeleteMarker`, `VersionId` in a versioned bucket)",
    [
        req("Bucket", S),
        req("Key", S),
        opt("VersionId", S),
        opt("ExpectedBucketOwner", S),
        opt("BypassGovernanceRetention", Shape::Value(Type::Boolean)),
    ],
    "s3:DeleteObject",
    "arn:{partition}:s3:::{Bucket}/*"
);
