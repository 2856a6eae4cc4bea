//! The distributed Map's S3 ([`crate::exec::ObjectStorage`]) over the
//! integrations' S3 client: the same endpoint, credentials and timeouts as
//! `aws-sdk:s3:*` tasks, and buckets mapped as `Bucket`
//! ([`super::IntegrationsBuilder::map_resource`]).

use std::sync::Arc;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};

use super::Inner;
use crate::exec::{ListPage, ListRequest, ListedObject, ObjectBody, ObjectStorage, StorageError};
use crate::task::BoxFuture;

pub(crate) struct S3Storage {
    pub(crate) inner: Arc<Inner>,
}

impl S3Storage {
    fn bucket<'a>(&'a self, bucket: &'a str) -> &'a str {
        self.inner.mappings.get("Bucket", bucket).unwrap_or(bucket)
    }
}

/// An SDK error as text: the service's code and message where it has them.
fn text<E>(e: aws_sdk_s3::error::SdkError<E>) -> StorageError
where
    E: std::error::Error + aws_sdk_s3::error::ProvideErrorMetadata + 'static,
{
    use aws_sdk_s3::error::ProvideErrorMetadata as _;
    let code = e.code().map(str::to_string);
    let message = e.message().map(str::to_string);
    match (code, message) {
        (Some(c), Some(m)) => format!("{c}: {m}"),
        (Some(c), None) => c,
        _ => crate::error::chain(&e),
    }
}

struct Body(ByteStream);

impl ObjectBody for Body {
    fn next_chunk(&mut self) -> BoxFuture<'_, Result<Option<Vec<u8>>, StorageError>> {
        Box::pin(async move {
            match self.0.next().await {
                None => Ok(None),
                Some(Ok(bytes)) => Ok(Some(bytes.to_vec())),
                Some(Err(e)) => Err(crate::error::chain(&e)),
            }
        })
    }
}

impl ObjectStorage for S3Storage {
    fn list<'a>(&'a self, r: ListRequest) -> BoxFuture<'a, Result<ListPage, StorageError>> {
        Box::pin(async move {
            let o = self
                .inner
                .s3
                .list_objects_v2()
                .bucket(self.bucket(&r.bucket))
                .set_prefix(r.prefix)
                .set_delimiter(r.delimiter)
                .set_start_after(r.start_after)
                .set_max_keys(r.max_keys)
                .set_continuation_token(r.continuation_token)
                .send()
                .await
                .map_err(text)?;
            let objects = o
                .contents()
                .iter()
                .map(|c| ListedObject {
                    key: c.key().unwrap_or_default().to_string(),
                    e_tag: c.e_tag().map(str::to_string),
                    last_modified: c.last_modified().map(|t| t.secs()),
                    size: c.size(),
                    storage_class: c.storage_class().map(|s| s.as_str().to_string()),
                })
                .collect();
            let next = match o.is_truncated() {
                Some(true) => o.next_continuation_token().map(str::to_string),
                _ => None,
            };
            Ok(ListPage {
                objects,
                next_continuation_token: next,
            })
        })
    }

    fn get<'a>(
        &'a self,
        bucket: &'a str,
        key: &'a str,
        version_id: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Box<dyn ObjectBody>, StorageError>> {
        Box::pin(async move {
            let o = self
                .inner
                .s3
                .get_object()
                .bucket(self.bucket(bucket))
                .key(key)
                .set_version_id(version_id.map(str::to_string))
                .send()
                .await
                .map_err(text)?;
            Ok(Box::new(Body(o.body)) as Box<dyn ObjectBody>)
        })
    }

    fn put<'a>(
        &'a self,
        bucket: &'a str,
        key: &'a str,
        body: Vec<u8>,
    ) -> BoxFuture<'a, Result<(), StorageError>> {
        Box::pin(async move {
            self.inner
                .s3
                .put_object()
                .bucket(self.bucket(bucket))
                .key(key)
                .content_type("application/json")
                .body(ByteStream::from(body))
                .send()
                .await
                .map_err(text)?;
            Ok(())
        })
    }

    fn create_upload<'a>(
        &'a self,
        bucket: &'a str,
        key: &'a str,
    ) -> BoxFuture<'a, Result<String, StorageError>> {
        Box::pin(async move {
            let o = self
                .inner
                .s3
                .create_multipart_upload()
                .bucket(self.bucket(bucket))
                .key(key)
                .content_type("application/json")
                .send()
                .await
                .map_err(text)?;
            o.upload_id()
                .map(str::to_string)
                .ok_or_else(|| "CreateMultipartUpload returned no UploadId".to_string())
        })
    }

    fn upload_part<'a>(
        &'a self,
        bucket: &'a str,
        key: &'a str,
        upload_id: &'a str,
        number: i32,
        body: Vec<u8>,
    ) -> BoxFuture<'a, Result<String, StorageError>> {
        Box::pin(async move {
            let o = self
                .inner
                .s3
                .upload_part()
                .bucket(self.bucket(bucket))
                .key(key)
                .upload_id(upload_id)
                .part_number(number)
                .body(ByteStream::from(body))
                .send()
                .await
                .map_err(text)?;
            Ok(o.e_tag().unwrap_or_default().to_string())
        })
    }

    fn complete_upload<'a>(
        &'a self,
        bucket: &'a str,
        key: &'a str,
        upload_id: &'a str,
        parts: Vec<String>,
    ) -> BoxFuture<'a, Result<(), StorageError>> {
        Box::pin(async move {
            let parts = parts
                .into_iter()
                .enumerate()
                .map(|(i, etag)| {
                    CompletedPart::builder()
                        .e_tag(etag)
                        .part_number(i as i32 + 1)
                        .build()
                })
                .collect();
            self.inner
                .s3
                .complete_multipart_upload()
                .bucket(self.bucket(bucket))
                .key(key)
                .upload_id(upload_id)
                .multipart_upload(
                    CompletedMultipartUpload::builder()
                        .set_parts(Some(parts))
                        .build(),
                )
                .send()
                .await
                .map_err(text)?;
            Ok(())
        })
    }
}
