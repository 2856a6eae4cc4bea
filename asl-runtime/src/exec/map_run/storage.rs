//! Where a distributed Map reads its items and writes its results: Amazon S3,
//! behind a small trait so the engine does not depend on an SDK. The built-in
//! integrations provide it (`Integrations::object_storage`, feature `s3`) over
//! their S3 client, endpoint and bucket mappings; a program registers it with
//! [`crate::RuntimeBuilder::object_storage`].

use crate::task::BoxFuture;

/// An S3 failure, as text for the cause of `States.ItemReaderFailed` or
/// `States.ResultWriterFailed`.
pub type StorageError = String;

/// One `ListObjectsV2` request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListRequest {
    pub bucket: String,
    pub prefix: Option<String>,
    pub delimiter: Option<String>,
    pub start_after: Option<String>,
    pub max_keys: Option<i32>,
    pub continuation_token: Option<String>,
}

/// One listed object, with what AWS hands a Map Run of it.
#[derive(Clone, Debug, PartialEq)]
pub struct ListedObject {
    pub key: String,
    pub e_tag: Option<String>,
    /// Seconds since the epoch.
    pub last_modified: Option<i64>,
    pub size: Option<i64>,
    pub storage_class: Option<String>,
}

/// One page of a listing.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ListPage {
    pub objects: Vec<ListedObject>,
    /// Where the next page starts; `None` on the last page.
    pub next_continuation_token: Option<String>,
}

/// An object being read, chunk by chunk.
pub trait ObjectBody: Send {
    /// The next chunk of bytes; `None` at the end.
    fn next_chunk(&mut self) -> BoxFuture<'_, Result<Option<Vec<u8>>, StorageError>>;
}

/// The S3 operations a Map Run uses.
pub trait ObjectStorage: Send + Sync + 'static {
    fn list<'a>(&'a self, request: ListRequest) -> BoxFuture<'a, Result<ListPage, StorageError>>;

    fn get<'a>(
        &'a self,
        bucket: &'a str,
        key: &'a str,
        version_id: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Box<dyn ObjectBody>, StorageError>>;

    fn put<'a>(
        &'a self,
        bucket: &'a str,
        key: &'a str,
        body: Vec<u8>,
    ) -> BoxFuture<'a, Result<(), StorageError>>;

    /// Starts a multipart upload; its id.
    fn create_upload<'a>(
        &'a self,
        bucket: &'a str,
        key: &'a str,
    ) -> BoxFuture<'a, Result<String, StorageError>>;

    /// Uploads part `number` (from 1); its ETag.
    fn upload_part<'a>(
        &'a self,
        bucket: &'a str,
        key: &'a str,
        upload_id: &'a str,
        number: i32,
        body: Vec<u8>,
    ) -> BoxFuture<'a, Result<String, StorageError>>;

    /// Completes an upload from its parts' ETags, in order.
    fn complete_upload<'a>(
        &'a self,
        bucket: &'a str,
        key: &'a str,
        upload_id: &'a str,
        parts: Vec<String>,
    ) -> BoxFuture<'a, Result<(), StorageError>>;
}
