//! Amazon S3 through the SDK integrations `aws-sdk:s3:getObject`, `putObject`,
//! `headObject`, `listObjectsV2`, `copyObject`, `deleteObject`, with
//! aws-sdk-s3 (S3 speaks XML; requests and results are built field by field).
//!
//! Results are S3's answer in Step Functions' PascalCase: `getObject` returns
//! the object's `Body` as text (as AWS does; an object that is not UTF-8 fails
//! with `States.Runtime`), `ContentLength`, `ContentType`, `ETag`,
//! `LastModified` (ISO 8601), `Metadata`, ...; a `putObject` `Body` that is not
//! a string is stored as its JSON text. Errors are `S3.<Code>Exception`
//! (`S3.NoSuchKeyException`, `S3.NoSuchBucketException`).

use std::collections::HashMap;

use aws_sdk_s3::primitives::{ByteStream, DateTime, DateTimeFormat};
use serde_json::{Map, Value};

use asl_lang::integrations::Api;

use super::Inner;
use super::params::Params;
use super::wire::{service_error, text_of};
use crate::error::Error;

const PREFIX: &str = "S3";

/// Builds a result object from optional fields.
#[derive(Default)]
struct Out(Map<String, Value>);

impl Out {
    fn str(&mut self, name: &str, value: Option<&str>) -> &mut Self {
        if let Some(v) = value {
            self.0.insert(name.into(), Value::String(v.to_string()));
        }
        self
    }

    fn num(&mut self, name: &str, value: Option<i64>) -> &mut Self {
        if let Some(v) = value {
            self.0.insert(name.into(), Value::from(v));
        }
        self
    }

    fn bool(&mut self, name: &str, value: Option<bool>) -> &mut Self {
        if let Some(v) = value {
            self.0.insert(name.into(), Value::Bool(v));
        }
        self
    }

    fn time(&mut self, name: &str, value: Option<&DateTime>) -> &mut Self {
        if let Some(t) = value.and_then(|t| t.fmt(DateTimeFormat::DateTime).ok()) {
            self.0.insert(name.into(), Value::String(t));
        }
        self
    }

    fn map(&mut self, name: &str, value: Option<&HashMap<String, String>>) -> &mut Self {
        let mut m = Map::new();
        if let Some(value) = value {
            let mut entries: Vec<_> = value.iter().collect();
            entries.sort();
            for (k, v) in entries {
                m.insert(k.clone(), Value::String(v.clone()));
            }
        }
        self.0.insert(name.into(), Value::Object(m));
        self
    }

    fn done(&mut self) -> Value {
        Value::Object(std::mem::take(&mut self.0))
    }
}

fn opt_i32(p: &mut Params<'_>, name: &str) -> Result<Option<i32>, Error> {
    match p.take(name) {
        None => Ok(None),
        Some(v) => v
            .as_i64()
            .and_then(|n| i32::try_from(n).ok())
            .map(Some)
            .ok_or_else(|| p.wrong_type(name, "an integer", &v)),
    }
}

fn metadata(p: &mut Params<'_>) -> Result<Option<HashMap<String, String>>, Error> {
    let Some(map) = p.opt_object("Metadata")? else {
        return Ok(None);
    };
    map.into_iter()
        .map(|(k, v)| match v {
            Value::String(s) => Ok((k, s)),
            other => Err(p.wrong_type(&format!("Metadata.{k}"), "a string", &other)),
        })
        .collect::<Result<_, _>>()
        .map(Some)
}

pub(crate) async fn call(
    inner: &Inner,
    resource: &str,
    api: Api,
    parameters: Value,
) -> Result<Value, Error> {
    let s3 = &inner.s3;
    let mut p = Params::new(resource, parameters)?;
    let bucket = p.required_str("Bucket")?;
    let mut out = Out::default();
    match api {
        Api::S3GetObject => {
            let request = s3
                .get_object()
                .bucket(bucket)
                .key(p.required_str("Key")?)
                .set_range(p.opt_str("Range")?)
                .set_version_id(p.opt_str("VersionId")?)
                .set_if_match(p.opt_str("IfMatch")?)
                .set_if_none_match(p.opt_str("IfNoneMatch")?)
                .set_part_number(opt_i32(&mut p, "PartNumber")?)
                .set_expected_bucket_owner(p.opt_str("ExpectedBucketOwner")?)
                .set_response_content_type(p.opt_str("ResponseContentType")?);
            p.finish()?;
            let o = request.send().await.map_err(|e| service_error(PREFIX, e))?;
            out.str("AcceptRanges", o.accept_ranges())
                .num("ContentLength", o.content_length())
                .str("ContentType", o.content_type())
                .str("ContentEncoding", o.content_encoding())
                .str("ContentRange", o.content_range())
                .str("ETag", o.e_tag())
                .time("LastModified", o.last_modified())
                .map("Metadata", o.metadata())
                .str("VersionId", o.version_id())
                .str(
                    "ServerSideEncryption",
                    o.server_side_encryption().map(|s| s.as_str()),
                )
                .str("StorageClass", o.storage_class().map(|s| s.as_str()));
            let bytes = o
                .body
                .collect()
                .await
                .map_err(|e| {
                    Error::new(
                        crate::error::names::TASK_FAILED,
                        format!("{resource}: reading the object failed: {e}"),
                    )
                })?
                .into_bytes();
            let body = String::from_utf8(bytes.to_vec()).map_err(|_| {
                Error::runtime(format!(
                    "{resource}: the object is not UTF-8 text, which is all Step Functions returns as a Body"
                ))
            })?;
            out.0.insert("Body".into(), Value::String(body));
        }
        Api::S3PutObject => {
            let body = p.take("Body").map(text_of).unwrap_or_default();
            let request = s3
                .put_object()
                .bucket(bucket)
                .key(p.required_str("Key")?)
                .body(ByteStream::from(body.into_bytes()))
                .set_content_type(p.opt_str("ContentType")?)
                .set_content_encoding(p.opt_str("ContentEncoding")?)
                .set_content_disposition(p.opt_str("ContentDisposition")?)
                .set_cache_control(p.opt_str("CacheControl")?)
                .set_metadata(metadata(&mut p)?)
                .set_storage_class(p.opt_str("StorageClass")?.map(|s| s.as_str().into()))
                .set_server_side_encryption(
                    p.opt_str("ServerSideEncryption")?
                        .map(|s| s.as_str().into()),
                )
                .set_ssekms_key_id(p.opt_str("SseKmsKeyId")?)
                .set_tagging(p.opt_str("Tagging")?)
                .set_expected_bucket_owner(p.opt_str("ExpectedBucketOwner")?);
            p.finish()?;
            let o = request.send().await.map_err(|e| service_error(PREFIX, e))?;
            out.str("ETag", o.e_tag())
                .str("VersionId", o.version_id())
                .str(
                    "ServerSideEncryption",
                    o.server_side_encryption().map(|s| s.as_str()),
                );
        }
        Api::S3HeadObject => {
            let request = s3
                .head_object()
                .bucket(bucket)
                .key(p.required_str("Key")?)
                .set_version_id(p.opt_str("VersionId")?)
                .set_range(p.opt_str("Range")?)
                .set_if_match(p.opt_str("IfMatch")?)
                .set_if_none_match(p.opt_str("IfNoneMatch")?)
                .set_part_number(opt_i32(&mut p, "PartNumber")?)
                .set_expected_bucket_owner(p.opt_str("ExpectedBucketOwner")?);
            p.finish()?;
            let o = request.send().await.map_err(|e| service_error(PREFIX, e))?;
            out.str("AcceptRanges", o.accept_ranges())
                .num("ContentLength", o.content_length())
                .str("ContentType", o.content_type())
                .str("ETag", o.e_tag())
                .time("LastModified", o.last_modified())
                .map("Metadata", o.metadata())
                .str("VersionId", o.version_id())
                .str("StorageClass", o.storage_class().map(|s| s.as_str()));
        }
        Api::S3ListObjectsV2 => {
            let request = s3
                .list_objects_v2()
                .bucket(bucket)
                .set_prefix(p.opt_str("Prefix")?)
                .set_delimiter(p.opt_str("Delimiter")?)
                .set_max_keys(opt_i32(&mut p, "MaxKeys")?)
                .set_continuation_token(p.opt_str("ContinuationToken")?)
                .set_start_after(p.opt_str("StartAfter")?)
                .set_fetch_owner(p.opt_bool("FetchOwner")?)
                .set_encoding_type(p.opt_str("EncodingType")?.map(|s| s.as_str().into()))
                .set_expected_bucket_owner(p.opt_str("ExpectedBucketOwner")?);
            p.finish()?;
            let o = request.send().await.map_err(|e| service_error(PREFIX, e))?;
            let contents: Vec<Value> = o
                .contents()
                .iter()
                .map(|c| {
                    let mut item = Out::default();
                    item.str("Key", c.key())
                        .time("LastModified", c.last_modified())
                        .str("ETag", c.e_tag())
                        .num("Size", c.size())
                        .str("StorageClass", c.storage_class().map(|s| s.as_str()));
                    if let Some(owner) = c.owner() {
                        let mut o = Out::default();
                        o.str("DisplayName", owner.display_name())
                            .str("ID", owner.id());
                        item.0.insert("Owner".into(), o.done());
                    }
                    item.done()
                })
                .collect();
            out.0.insert("Contents".into(), Value::Array(contents));
            let prefixes: Vec<Value> = o
                .common_prefixes()
                .iter()
                .map(|c| {
                    let mut item = Out::default();
                    item.str("Prefix", c.prefix());
                    item.done()
                })
                .collect();
            if !prefixes.is_empty() {
                out.0
                    .insert("CommonPrefixes".into(), Value::Array(prefixes));
            }
            out.str("ContinuationToken", o.continuation_token())
                .str("Delimiter", o.delimiter())
                .bool("IsTruncated", o.is_truncated())
                .num("KeyCount", o.key_count().map(i64::from))
                .num("MaxKeys", o.max_keys().map(i64::from))
                .str("Name", o.name())
                .str("NextContinuationToken", o.next_continuation_token())
                .str("Prefix", o.prefix())
                .str("StartAfter", o.start_after());
        }
        Api::S3CopyObject => {
            let request = s3
                .copy_object()
                .bucket(bucket)
                .key(p.required_str("Key")?)
                .copy_source(p.required_str("CopySource")?)
                .set_metadata_directive(p.opt_str("MetadataDirective")?.map(|s| s.as_str().into()))
                .set_metadata(metadata(&mut p)?)
                .set_content_type(p.opt_str("ContentType")?)
                .set_storage_class(p.opt_str("StorageClass")?.map(|s| s.as_str().into()))
                .set_tagging_directive(p.opt_str("TaggingDirective")?.map(|s| s.as_str().into()))
                .set_tagging(p.opt_str("Tagging")?)
                .set_server_side_encryption(
                    p.opt_str("ServerSideEncryption")?
                        .map(|s| s.as_str().into()),
                )
                .set_expected_bucket_owner(p.opt_str("ExpectedBucketOwner")?);
            p.finish()?;
            let o = request.send().await.map_err(|e| service_error(PREFIX, e))?;
            if let Some(r) = o.copy_object_result() {
                let mut c = Out::default();
                c.str("ETag", r.e_tag())
                    .time("LastModified", r.last_modified());
                out.0.insert("CopyObjectResult".into(), c.done());
            }
            out.str("VersionId", o.version_id())
                .str("CopySourceVersionId", o.copy_source_version_id());
        }
        Api::S3DeleteObject => {
            let request = s3
                .delete_object()
                .bucket(bucket)
                .key(p.required_str("Key")?)
                .set_version_id(p.opt_str("VersionId")?)
                .set_expected_bucket_owner(p.opt_str("ExpectedBucketOwner")?)
                .set_bypass_governance_retention(p.opt_bool("BypassGovernanceRetention")?);
            p.finish()?;
            let o = request.send().await.map_err(|e| service_error(PREFIX, e))?;
            out.bool("DeleteMarker", o.delete_marker())
                .str("VersionId", o.version_id());
        }
        other => {
            return Err(Error::runtime(format!(
                "internal error: {} is not an S3 API",
                other.resource_name()
            )));
        }
    }
    Ok(out.done())
}
