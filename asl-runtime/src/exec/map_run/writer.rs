//! `ResultWriter`: a Map Run's child executions written to S3 as AWS writes
//! them: `<Prefix>/<map run id>/SUCCEEDED_<n>.json`, `FAILED_<n>.json` and
//! `PENDING_<n>.json` (one record per child execution, files of one status
//! numbered from 0), then `manifest.json` naming them
//! (`{"DestinationBucket", "MapRunArn", "ResultFiles": {"FAILED": [{"Key",
//! "Size"}], "PENDING": [], "SUCCEEDED": [...]}}`); the state's output is
//! `{"MapRunArn", "ResultWriterDetails": {"Bucket", "Key"}}`, the manifest's
//! place.
//!
//! Records are streamed: a file is uploaded in parts of [`PART_BYTES`] as it
//! grows (S3 multipart upload), so memory does not grow with the number of
//! children; a file that would pass [`MAX_FILE_BYTES`] (AWS's 5 GB) is closed
//! and the next one of its status begins. Every failure is
//! `States.ResultWriterFailed`.

use std::sync::Arc;

use asl_lang::distributed as facts;
use serde_json::{Map, Value};

use super::storage::ObjectStorage;
use crate::error::{Error, names};

/// The size of each uploaded part of a result file (S3's minimum part is 5 MiB).
pub const PART_BYTES: usize = 8 * 1024 * 1024;
/// The largest result file; the next records go to the next file.
pub const MAX_FILE_BYTES: u64 = 5 * 1000 * 1000 * 1000;

fn failed(cause: impl Into<String>) -> Error {
    Error::new(names::RESULT_WRITER_FAILED, cause)
}

/// A `ResultWriter` as the state evaluated it.
#[derive(Clone, Debug, Default)]
pub struct ResultWriterSpec {
    /// `Parameters`/`Arguments` evaluated (`{"Bucket", "Prefix"}`); `None`
    /// without `Resource` (a `WriterConfig` alone shapes the output only).
    pub parameters: Option<Value>,
    /// `WriterConfig` as written (checked at build time), as JSON text.
    pub config: Option<&'static str>,
}

/// `WriterConfig.Transformation`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transformation {
    /// Each child's record: ARNs, input, output, status and dates.
    None,
    /// Each child's output only.
    Compact,
    /// Each child's output, arrays flattened into their elements.
    Flatten,
}

/// The config's `(Transformation, JSONL?)`; the default transformation is
/// NONE when results go to S3, COMPACT when they do not.
pub fn writer_config(spec: Option<&ResultWriterSpec>) -> (Transformation, bool) {
    let config: Map<String, Value> = spec
        .and_then(|s| s.config)
        .and_then(|c| serde_json::from_str(c).ok())
        .unwrap_or_default();
    let to_s3 = spec.is_some_and(|s| s.parameters.is_some());
    let transformation = match config.get(facts::TRANSFORMATION).and_then(Value::as_str) {
        Some("NONE") => Transformation::None,
        Some("FLATTEN") => Transformation::Flatten,
        Some("COMPACT") => Transformation::Compact,
        _ if to_s3 => Transformation::None,
        _ => Transformation::Compact,
    };
    let jsonl = config.get(facts::OUTPUT_TYPE).and_then(Value::as_str) == Some("JSONL");
    (transformation, jsonl)
}

/// The status of a child execution, as a result file names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Succeeded,
    Failed,
    Pending,
}

impl Status {
    fn name(self) -> &'static str {
        match self {
            Status::Succeeded => "SUCCEEDED",
            Status::Failed => "FAILED",
            Status::Pending => "PENDING",
        }
    }
}

/// The writer of one Map Run.
pub struct ResultWriter {
    storage: Arc<dyn ObjectStorage>,
    bucket: String,
    /// `<Prefix>/<map run id>/`.
    base: String,
    map_run_arn: String,
    jsonl: bool,
    files: [StatusFiles; 3],
}

#[derive(Default)]
struct StatusFiles {
    /// Files closed so far: (key, size).
    closed: Vec<(String, u64)>,
    open: Option<OpenFile>,
}

struct OpenFile {
    key: String,
    buf: Vec<u8>,
    size: u64,
    records: u64,
    upload: Option<(String, Vec<String>)>,
}

impl ResultWriter {
    pub fn new(
        storage: Option<Arc<dyn ObjectStorage>>,
        parameters: &Value,
        map_run_arn: &str,
        jsonl: bool,
    ) -> Result<ResultWriter, Error> {
        let storage = storage.ok_or_else(|| {
            failed("ResultWriter needs S3: this program registers no object storage (RuntimeBuilder::object_storage, from Integrations with the `s3` feature)")
        })?;
        let text = |name: &str| match parameters.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(failed(format!(
                "the ResultWriter's {name} must be a string, not {other}"
            ))),
        };
        if let Some(Value::Object(m)) = Some(parameters)
            && let Some(k) = m.keys().find(|k| *k != "Bucket" && *k != "Prefix")
        {
            return Err(failed(format!(
                "the ResultWriter's Parameters have an unknown field {k}"
            )));
        }
        let bucket =
            text("Bucket")?.ok_or_else(|| failed("the ResultWriter's Parameters need Bucket"))?;
        let mut prefix = text("Prefix")?.unwrap_or_default();
        if !prefix.is_empty() && !prefix.ends_with('/') {
            prefix.push('/');
        }
        let id = map_run_arn.rsplit(':').next().unwrap_or_default();
        Ok(ResultWriter {
            storage,
            bucket,
            base: format!("{prefix}{id}/"),
            map_run_arn: map_run_arn.to_string(),
            jsonl,
            files: Default::default(),
        })
    }

    /// Adds one child execution's record to its status's file.
    pub async fn add(&mut self, status: Status, record: &Value) -> Result<(), Error> {
        let text = serde_json::to_vec(record).map_err(|e| failed(e.to_string()))?;
        let slot = status as usize;
        let too_big = self.files[slot]
            .open
            .as_ref()
            .is_some_and(|f| f.size + text.len() as u64 + 2 > MAX_FILE_BYTES);
        if too_big {
            self.close(slot).await?;
        }
        let files = &mut self.files[slot];
        let open = files.open.get_or_insert_with(|| OpenFile {
            key: format!("{}{}_{}.json", self.base, status.name(), files.closed.len()),
            buf: Vec::new(),
            size: 0,
            records: 0,
            upload: None,
        });
        let separator: &[u8] = match (self.jsonl, open.records) {
            (true, 0) => b"",
            (true, _) => b"\n",
            (false, 0) => b"[",
            (false, _) => b",",
        };
        open.buf.extend_from_slice(separator);
        open.buf.extend_from_slice(&text);
        open.size += (separator.len() + text.len()) as u64;
        open.records += 1;
        if open.buf.len() >= PART_BYTES {
            let (bucket, storage) = (&self.bucket, &self.storage);
            let part = std::mem::take(&mut open.buf);
            if open.upload.is_none() {
                let id = storage
                    .create_upload(bucket, &open.key)
                    .await
                    .map_err(|e| failed(format!("s3://{bucket}/{}: {e}", open.key)))?;
                open.upload = Some((id, Vec::new()));
            }
            let (id, parts) = open.upload.as_mut().expect("started");
            let etag = storage
                .upload_part(bucket, &open.key, id, parts.len() as i32 + 1, part)
                .await
                .map_err(|e| failed(format!("s3://{bucket}/{}: {e}", open.key)))?;
            parts.push(etag);
        }
        Ok(())
    }

    async fn close(&mut self, slot: usize) -> Result<(), Error> {
        let Some(mut open) = self.files[slot].open.take() else {
            return Ok(());
        };
        if !self.jsonl {
            open.buf.push(b']');
            open.size += 1;
        }
        let (bucket, storage) = (&self.bucket, &self.storage);
        let err = |e: String| failed(format!("s3://{bucket}/{}: {e}", open.key));
        match open.upload.take() {
            None => storage
                .put(bucket, &open.key, open.buf)
                .await
                .map_err(err)?,
            Some((id, mut parts)) => {
                let etag = storage
                    .upload_part(bucket, &open.key, &id, parts.len() as i32 + 1, open.buf)
                    .await
                    .map_err(err)?;
                parts.push(etag);
                storage
                    .complete_upload(bucket, &open.key, &id, parts)
                    .await
                    .map_err(err)?;
            }
        }
        self.files[slot].closed.push((open.key, open.size));
        Ok(())
    }

    /// Closes every file, writes `manifest.json`; the state's output.
    pub async fn finish(mut self) -> Result<Value, Error> {
        for slot in 0..self.files.len() {
            self.close(slot).await?;
        }
        let list = |files: &StatusFiles| {
            Value::Array(
                files
                    .closed
                    .iter()
                    .map(|(key, size)| serde_json::json!({"Key": key, "Size": size}))
                    .collect(),
            )
        };
        let manifest = serde_json::json!({
            "DestinationBucket": self.bucket,
            "MapRunArn": self.map_run_arn,
            "ResultFiles": {
                "FAILED": list(&self.files[Status::Failed as usize]),
                "PENDING": list(&self.files[Status::Pending as usize]),
                "SUCCEEDED": list(&self.files[Status::Succeeded as usize]),
            }
        });
        let key = format!("{}manifest.json", self.base);
        let body = serde_json::to_vec(&manifest).map_err(|e| failed(e.to_string()))?;
        self.storage
            .put(&self.bucket, &key, body)
            .await
            .map_err(|e| failed(format!("s3://{}/{key}: {e}", self.bucket)))?;
        Ok(serde_json::json!({
            "MapRunArn": self.map_run_arn,
            "ResultWriterDetails": {"Bucket": self.bucket, "Key": key}
        }))
    }
}
