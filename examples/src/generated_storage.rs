//! An in-process [`ObjectStorage`] for distributed Maps: every object it is
//! asked for is the JSON Lines text of `items` items (`{"id":i,"name":"item-i"}`),
//! made as it is read, so a Map Run over millions of items needs no S3 and
//! no file; what is written is counted, not kept. The distributed Map's
//! benchmarks and the worker the STANDARD children's crash test kills use it.

use std::sync::atomic::{AtomicU64, Ordering};

use asl::runtime::exec::{ListPage, ListRequest, ObjectBody, ObjectStorage, StorageError};
use asl::runtime::task::BoxFuture;

/// The JSON Lines text of items `from..to`.
pub fn lines(from: usize, to: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity((to - from) * 40);
    for i in from..to {
        out.extend_from_slice(format!("{{\"id\":{i},\"name\":\"item-{i}\"}}\n").as_bytes());
    }
    out
}

/// An in-process object store of generated objects: `get` returns `items` lines in chunks of 64 KiB
/// worth of lines; writes are counted, not kept.
pub struct GeneratedStorage {
    pub items: usize,
    /// Bytes written (results), counted.
    pub written: AtomicU64,
}

struct Generated {
    next: usize,
    items: usize,
}

impl ObjectBody for Generated {
    fn next_chunk(&mut self) -> BoxFuture<'_, Result<Option<Vec<u8>>, StorageError>> {
        Box::pin(async move {
            if self.next >= self.items {
                return Ok(None);
            }
            let to = (self.next + 2000).min(self.items);
            let chunk = lines(self.next, to);
            self.next = to;
            Ok(Some(chunk))
        })
    }
}

impl ObjectStorage for GeneratedStorage {
    fn list<'a>(&'a self, _: ListRequest) -> BoxFuture<'a, Result<ListPage, StorageError>> {
        Box::pin(async { Ok(ListPage::default()) })
    }
    fn get<'a>(
        &'a self,
        _: &'a str,
        _: &'a str,
        _: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Box<dyn ObjectBody>, StorageError>> {
        Box::pin(async move {
            Ok(Box::new(Generated {
                next: 0,
                items: self.items,
            }) as Box<dyn ObjectBody>)
        })
    }
    fn put<'a>(
        &'a self,
        _: &'a str,
        _: &'a str,
        body: Vec<u8>,
    ) -> BoxFuture<'a, Result<(), StorageError>> {
        self.written.fetch_add(body.len() as u64, Ordering::Relaxed);
        Box::pin(async { Ok(()) })
    }
    fn create_upload<'a>(
        &'a self,
        _: &'a str,
        _: &'a str,
    ) -> BoxFuture<'a, Result<String, StorageError>> {
        Box::pin(async { Ok("upload".to_string()) })
    }
    fn upload_part<'a>(
        &'a self,
        _: &'a str,
        _: &'a str,
        _: &'a str,
        n: i32,
        body: Vec<u8>,
    ) -> BoxFuture<'a, Result<String, StorageError>> {
        self.written.fetch_add(body.len() as u64, Ordering::Relaxed);
        Box::pin(async move { Ok(format!("etag-{n}")) })
    }
    fn complete_upload<'a>(
        &'a self,
        _: &'a str,
        _: &'a str,
        _: &'a str,
        _: Vec<String>,
    ) -> BoxFuture<'a, Result<(), StorageError>> {
        Box::pin(async { Ok(()) })
    }
}
