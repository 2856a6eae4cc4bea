//! `ItemReader`: the items of a distributed Map read from S3, one at a time,
//! as the Map Run asks for them.
//!
//! Nothing here holds more than one page of a listing, one chunk of an object
//! and the item being parsed: a JSON Lines or CSV object (or an S3 inventory's
//! CSV files, gzipped or not) is split as its bytes arrive, and a JSON array is
//! cut into its elements the same way, each parsed on its own. One item (a
//! line, a record, an element) may be at most [`MAX_ITEM_BYTES`]; the memory a
//! reader uses does not grow with the number of items. Every failure is
//! `States.ItemReaderFailed`, with the cause AWS gives where it is known.

use std::collections::VecDeque;
use std::io::Write as _;

use asl_lang::distributed::{self as facts, InputType, ReaderResource};
use serde_json::{Map, Value};

use super::storage::{ListRequest, ObjectBody, ObjectStorage};
use crate::error::{Error, names};

/// The longest item a reader parses: a JSON Lines line, a CSV record or a
/// JSON array element (AWS's items are at most 256 KiB once selected; this
/// leaves room for what an `ItemSelector` drops).
pub const MAX_ITEM_BYTES: usize = 8 * 1024 * 1024;
/// The largest S3 inventory `manifest.json` read.
const MAX_MANIFEST_BYTES: usize = 16 * 1024 * 1024;

fn failed(cause: impl Into<String>) -> Error {
    Error::new(names::ITEM_READER_FAILED, cause)
}

/// An `ItemReader` as the state evaluated it.
#[derive(Clone, Debug)]
pub struct ItemReaderSpec {
    /// `Resource`.
    pub resource: &'static str,
    /// `Parameters` (JSONPath) or `Arguments` (JSONata), evaluated.
    pub parameters: Value,
    /// `ReaderConfig` as written (checked at build time), as JSON text.
    pub config: &'static str,
    /// `MaxItems`, `MaxItemsPath` or a JSONata `MaxItems`, evaluated.
    pub max_items: Option<i64>,
}

/// The items of one reader.
pub struct Items {
    source: Source,
    /// Items still to hand out (`MaxItems`).
    left: u64,
}

enum Source {
    List {
        storage: std::sync::Arc<dyn ObjectStorage>,
        request: ListRequest,
        page: VecDeque<Value>,
        done: bool,
    },
    Json(JsonArray),
    Lines(Bytes),
    Csv(Csv),
    Manifest {
        storage: std::sync::Arc<dyn ObjectStorage>,
        bucket: String,
        files: VecDeque<String>,
        headers: Vec<String>,
        current: Option<Csv>,
    },
}

impl Items {
    /// Opens the reader: checks its parameters and configuration, and starts
    /// reading (the first page or object).
    pub async fn open(
        storage: Option<std::sync::Arc<dyn ObjectStorage>>,
        spec: &ItemReaderSpec,
    ) -> Result<Items, Error> {
        let storage = storage.ok_or_else(|| {
            failed(format!(
                "{} needs S3: this program registers no object storage (RuntimeBuilder::object_storage, from Integrations with the `s3` feature)",
                spec.resource
            ))
        })?;
        let config: Map<String, Value> = match serde_json::from_str(spec.config) {
            Ok(Value::Object(m)) => m,
            _ => Map::new(),
        };
        let text = |name: &str| config.get(name).and_then(Value::as_str);
        let left = match spec.max_items {
            None | Some(0) => facts::MAX_ITEMS_LIMIT,
            Some(n) if n < 0 => return Err(failed("field MaxItems must be positive")),
            Some(n) => (n as u64).min(facts::MAX_ITEMS_LIMIT),
        };
        let mut params = Params::new(&spec.parameters)?;
        let bucket = params.required("Bucket")?;
        let resource = ReaderResource::of(spec.resource)
            .ok_or_else(|| failed(format!("unknown ItemReader resource {}", spec.resource)))?;
        let source = match resource {
            ReaderResource::ListObjectsV2 => {
                let request = ListRequest {
                    prefix: params.optional("Prefix")?,
                    delimiter: params.optional("Delimiter")?,
                    start_after: params.optional("StartAfter")?,
                    max_keys: params.optional_int("MaxKeys")?,
                    continuation_token: None,
                    bucket,
                };
                params.finish()?;
                Source::List {
                    storage,
                    request,
                    page: VecDeque::new(),
                    done: false,
                }
            }
            ReaderResource::GetObject => {
                let key = params.required("Key")?;
                let version = params.optional("VersionId")?;
                params.finish()?;
                let input = text(facts::INPUT_TYPE)
                    .and_then(InputType::parse)
                    .ok_or_else(|| failed("ReaderConfig.InputType is required for s3:getObject"))?;
                let body = storage
                    .get(&bucket, &key, version.as_deref())
                    .await
                    .map_err(|e| failed(format!("s3:getObject s3://{bucket}/{key}: {e}")))?;
                let bytes = Bytes::new(body, false);
                match input {
                    InputType::Json => Source::Json(JsonArray::new(bytes)),
                    InputType::Jsonl => Source::Lines(bytes),
                    InputType::Csv => {
                        let delimiter = text(facts::CSV_DELIMITER)
                            .map_or(Some(b','), facts::csv_delimiter)
                            .ok_or_else(|| failed("unknown CSVDelimiter"))?;
                        let headers = match text(facts::CSV_HEADER_LOCATION) {
                            Some("GIVEN") => Some(
                                config
                                    .get(facts::CSV_HEADERS)
                                    .and_then(Value::as_array)
                                    .map(|h| {
                                        h.iter()
                                            .map(|v| v.as_str().unwrap_or_default().to_string())
                                            .collect::<Vec<_>>()
                                    })
                                    .ok_or_else(|| {
                                        failed(
                                            "CSVHeaders are required with CSVHeaderLocation GIVEN",
                                        )
                                    })?,
                            ),
                            _ => None,
                        };
                        let mut csv = Csv::new(bytes, delimiter, headers);
                        csv.read_headers().await?;
                        Source::Csv(csv)
                    }
                    InputType::Manifest => {
                        if text(facts::MANIFEST_TYPE).is_some_and(|t| t != "S3_INVENTORY") {
                            return Err(failed("only S3_INVENTORY manifests are read"));
                        }
                        let manifest = bytes.read_all(MAX_MANIFEST_BYTES).await?;
                        let manifest: Value = serde_json::from_slice(&manifest).map_err(|e| {
                            failed(format!(
                                "s3://{bucket}/{key} is not an S3 inventory manifest: {e}"
                            ))
                        })?;
                        inventory(storage, &bucket, &manifest)?
                    }
                    InputType::Parquet => {
                        return Err(failed("InputType PARQUET is not read by asl"));
                    }
                }
            }
        };
        Ok(Items { source, left })
    }

    /// Items read and not handed out yet: the rest of a listing's page
    /// (within `MaxItems`). Objects' items are read one by one.
    pub fn buffered(&self) -> usize {
        match &self.source {
            Source::List { page, .. } => page
                .len()
                .min(usize::try_from(self.left).unwrap_or(usize::MAX)),
            _ => 0,
        }
    }

    /// The next item, `None` after the last one.
    pub async fn next(&mut self) -> Result<Option<Value>, Error> {
        if self.left == 0 {
            return Ok(None);
        }
        let item = match &mut self.source {
            Source::List {
                storage,
                request,
                page,
                done,
            } => loop {
                if let Some(item) = page.pop_front() {
                    break Some(item);
                }
                if *done {
                    break None;
                }
                let listed = storage.list(request.clone()).await.map_err(|e| {
                    failed(format!("s3:listObjectsV2 s3://{}: {e}", request.bucket))
                })?;
                page.extend(listed.objects.into_iter().map(|o| {
                    let mut m = Map::with_capacity(5);
                    m.insert("Etag".into(), o.e_tag.map_or(Value::Null, Value::String));
                    m.insert("Key".into(), Value::String(o.key));
                    m.insert(
                        "LastModified".into(),
                        o.last_modified.map_or(Value::Null, Value::from),
                    );
                    m.insert("Size".into(), o.size.map_or(Value::Null, Value::from));
                    m.insert(
                        "StorageClass".into(),
                        o.storage_class.map_or(Value::Null, Value::String),
                    );
                    Value::Object(m)
                }));
                match listed.next_continuation_token {
                    Some(token) => request.continuation_token = Some(token),
                    None => *done = true,
                }
            },
            Source::Json(array) => array.next().await?,
            Source::Lines(bytes) => loop {
                let Some(line) = bytes.line().await? else {
                    break None;
                };
                if line.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                break Some(
                    serde_json::from_slice(line)
                        .map_err(|e| failed(format!("a JSON Lines line is not JSON: {e}")))?,
                );
            },
            Source::Csv(csv) => csv.item().await?,
            Source::Manifest {
                storage,
                bucket,
                files,
                headers,
                current,
            } => loop {
                if let Some(csv) = current
                    && let Some(item) = csv.item().await?
                {
                    break Some(item);
                }
                let Some(key) = files.pop_front() else {
                    break None;
                };
                let body = storage
                    .get(bucket, &key, None)
                    .await
                    .map_err(|e| failed(format!("s3:getObject s3://{bucket}/{key}: {e}")))?;
                let bytes = Bytes::new(body, key.ends_with(".gz"));
                *current = Some(Csv::new(bytes, b',', Some(headers.clone())));
            },
        };
        if item.is_some() {
            self.left -= 1;
        }
        Ok(item)
    }
}

/// An S3 inventory's `manifest.json`: its CSV files, with the columns its
/// `fileSchema` names (`"Bucket, Key, Size, LastModifiedDate"`); each row is an
/// item of those fields, as text.
fn inventory(
    storage: std::sync::Arc<dyn ObjectStorage>,
    manifest_bucket: &str,
    manifest: &Value,
) -> Result<Source, Error> {
    let format = manifest.get("fileFormat").and_then(Value::as_str);
    if format != Some("CSV") {
        return Err(failed(format!(
            "the S3 inventory's fileFormat is {}: only CSV inventories are read",
            format.unwrap_or("missing")
        )));
    }
    let headers: Vec<String> = manifest
        .get("fileSchema")
        .and_then(Value::as_str)
        .ok_or_else(|| failed("the S3 inventory manifest has no fileSchema"))?
        .split(',')
        .map(|h| h.trim().to_string())
        .collect();
    // The inventory's files are in its destination bucket (`arn:aws:s3:::name`).
    let bucket = manifest
        .get("destinationBucket")
        .and_then(Value::as_str)
        .map(|arn| arn.rsplit(':').next().unwrap_or(arn).to_string())
        .unwrap_or_else(|| manifest_bucket.to_string());
    let files = manifest
        .get("files")
        .and_then(Value::as_array)
        .ok_or_else(|| failed("the S3 inventory manifest has no files"))?
        .iter()
        .map(|f| {
            f.get("key")
                .and_then(Value::as_str)
                .map(str::to_string)
                .ok_or_else(|| failed("an S3 inventory file has no key"))
        })
        .collect::<Result<VecDeque<_>, _>>()?;
    Ok(Source::Manifest {
        storage,
        bucket,
        files,
        headers,
        current: None,
    })
}

/// The reader's `Parameters`: strings, every one known.
struct Params(Map<String, Value>);

impl Params {
    fn new(v: &Value) -> Result<Params, Error> {
        match v {
            Value::Object(m) => Ok(Params(m.clone())),
            Value::Null => Ok(Params(Map::new())),
            _ => Err(failed("the ItemReader's Parameters must be an object")),
        }
    }

    fn optional(&mut self, name: &str) -> Result<Option<String>, Error> {
        match self.0.remove(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(other) => Err(failed(format!(
                "the ItemReader's {name} must be a string, not {other}"
            ))),
        }
    }

    fn optional_int(&mut self, name: &str) -> Result<Option<i32>, Error> {
        match self.0.remove(name) {
            None => Ok(None),
            Some(v) => v
                .as_i64()
                .and_then(|n| i32::try_from(n).ok())
                .map(Some)
                .ok_or_else(|| failed(format!("the ItemReader's {name} must be an integer"))),
        }
    }

    fn required(&mut self, name: &str) -> Result<String, Error> {
        self.optional(name)?
            .ok_or_else(|| failed(format!("the ItemReader's Parameters need {name}")))
    }

    fn finish(self) -> Result<(), Error> {
        match self.0.keys().next() {
            None => Ok(()),
            Some(k) => Err(failed(format!(
                "the ItemReader's Parameters have an unknown field {k}"
            ))),
        }
    }
}

/// An object's bytes, in a buffer refilled chunk by chunk (and gunzipped
/// on the way in when the object is a `.gz`).
struct Bytes {
    body: Box<dyn ObjectBody>,
    gunzip: Option<flate2::write::GzDecoder<Vec<u8>>>,
    buf: Vec<u8>,
    pos: usize,
    eof: bool,
}

impl Bytes {
    fn new(body: Box<dyn ObjectBody>, gzipped: bool) -> Bytes {
        Bytes {
            body,
            gunzip: gzipped.then(|| flate2::write::GzDecoder::new(Vec::new())),
            buf: Vec::new(),
            pos: 0,
            eof: false,
        }
    }

    fn rest(&self) -> &[u8] {
        &self.buf[self.pos..]
    }

    /// Reads more: false at the end of the object.
    async fn fill(&mut self) -> Result<bool, Error> {
        if self.eof {
            return Ok(false);
        }
        self.buf.drain(..self.pos);
        self.pos = 0;
        loop {
            let chunk = self
                .body
                .next_chunk()
                .await
                .map_err(|e| failed(format!("reading the object failed: {e}")))?;
            let Some(chunk) = chunk else {
                if let Some(mut z) = self.gunzip.take() {
                    z.try_finish()
                        .map_err(|e| failed(format!("the object is not valid gzip: {e}")))?;
                    self.buf.append(z.get_mut());
                }
                self.eof = true;
                return Ok(false);
            };
            match &mut self.gunzip {
                Some(z) => {
                    z.write_all(&chunk)
                        .map_err(|e| failed(format!("the object is not valid gzip: {e}")))?;
                    let out = z.get_mut();
                    if out.is_empty() {
                        continue;
                    }
                    self.buf.append(out);
                }
                None if chunk.is_empty() => continue,
                None => self.buf.extend_from_slice(&chunk),
            }
            return Ok(true);
        }
    }

    /// The whole (rest of the) object, at most `max` bytes.
    async fn read_all(mut self, max: usize) -> Result<Vec<u8>, Error> {
        while self.fill().await? {
            if self.buf.len() > max {
                return Err(failed(format!("the object is larger than {max} bytes")));
            }
        }
        Ok(self.buf.split_off(self.pos))
    }

    /// The next line (without its `\n` or `\r\n`), `None` at the end.
    async fn line(&mut self) -> Result<Option<&[u8]>, Error> {
        let mut scanned = 0;
        loop {
            if let Some(i) = self.rest()[scanned..].iter().position(|b| *b == b'\n') {
                let start = self.pos;
                let end = start + scanned + i;
                self.pos = end + 1;
                let line = &self.buf[start..end];
                return Ok(Some(line.strip_suffix(b"\r").unwrap_or(line)));
            }
            scanned = self.rest().len();
            if scanned > MAX_ITEM_BYTES {
                return Err(failed(format!(
                    "a line is longer than {MAX_ITEM_BYTES} bytes"
                )));
            }
            if !self.fill().await? {
                if self.rest().is_empty() {
                    return Ok(None);
                }
                let start = self.pos;
                self.pos = self.buf.len();
                return Ok(Some(&self.buf[start..]));
            }
        }
    }
}

/// A JSON document that must be an array, cut into its elements as its
/// bytes arrive (each element parsed on its own).
struct JsonArray {
    bytes: Bytes,
    started: bool,
    done: bool,
}

impl JsonArray {
    fn new(bytes: Bytes) -> JsonArray {
        JsonArray {
            bytes,
            started: false,
            done: false,
        }
    }

    /// The next byte that is not white space, without taking it.
    async fn peek(&mut self) -> Result<Option<u8>, Error> {
        loop {
            let b = &mut self.bytes;
            while b.pos < b.buf.len() && b.buf[b.pos].is_ascii_whitespace() {
                b.pos += 1;
            }
            if let Some(c) = b.rest().first() {
                return Ok(Some(*c));
            }
            if !b.fill().await? {
                return Ok(None);
            }
        }
    }

    async fn next(&mut self) -> Result<Option<Value>, Error> {
        if self.done {
            return Ok(None);
        }
        if !self.started {
            // AWS's cause for a document that is not an array.
            if self.peek().await? != Some(b'[') {
                return Err(failed("Attempting to map over non-iterable node."));
            }
            self.bytes.pos += 1;
            self.started = true;
            if self.peek().await? == Some(b']') {
                self.done = true;
                return Ok(None);
            }
        }
        // The element ends at the first `,` or `]` outside strings and
        // nested arrays or objects.
        let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
        let mut scanned = 0;
        loop {
            let rest = self.bytes.rest();
            let mut end = None;
            for (i, &c) in rest.iter().enumerate().skip(scanned) {
                if in_string {
                    match c {
                        _ if escaped => escaped = false,
                        b'\\' => escaped = true,
                        b'"' => in_string = false,
                        _ => {}
                    }
                    continue;
                }
                match c {
                    b'"' => in_string = true,
                    b'[' | b'{' => depth += 1,
                    b']' | b'}' if depth > 0 => depth -= 1,
                    b',' | b']' if depth == 0 => {
                        end = Some(i);
                        break;
                    }
                    _ => {}
                }
            }
            if let Some(i) = end {
                let element = &rest[..i];
                let closing = rest[i] == b']';
                let value = serde_json::from_slice(element)
                    .map_err(|e| failed(format!("the JSON array's element is not JSON: {e}")))?;
                self.bytes.pos += i + 1;
                if closing {
                    self.done = true;
                }
                return Ok(Some(value));
            }
            scanned = rest.len();
            if scanned > MAX_ITEM_BYTES {
                return Err(failed(format!(
                    "an element of the JSON array is longer than {MAX_ITEM_BYTES} bytes"
                )));
            }
            if !self.bytes.fill().await? {
                return Err(failed("the JSON array ends before its closing ]"));
            }
        }
    }
}

/// CSV records read with csv-core as the bytes arrive; each record is an
/// object of its fields under the headers.
struct Csv {
    bytes: Bytes,
    reader: csv_core::Reader,
    headers: Option<Vec<String>>,
    out: Vec<u8>,
    ends: Vec<usize>,
}

impl Csv {
    fn new(bytes: Bytes, delimiter: u8, headers: Option<Vec<String>>) -> Csv {
        Csv {
            bytes,
            reader: csv_core::ReaderBuilder::new().delimiter(delimiter).build(),
            headers,
            out: vec![0; 4096],
            ends: vec![0; 64],
        }
    }

    /// `CSVHeaderLocation` FIRST_ROW: the first record is the header row.
    async fn read_headers(&mut self) -> Result<(), Error> {
        if self.headers.is_none() {
            let headers = self
                .record(facts::MAX_CSV_HEADER_BYTES)
                .await?
                .unwrap_or_default();
            self.headers = Some(headers);
        }
        let headers = self.headers.as_deref().unwrap_or_default();
        let mut seen = std::collections::HashSet::new();
        if !headers.iter().all(|h| seen.insert(h)) {
            return Err(failed("CSV headers cannot contain duplicates."));
        }
        Ok(())
    }

    async fn item(&mut self) -> Result<Option<Value>, Error> {
        let Some(fields) = self.record(MAX_ITEM_BYTES).await? else {
            return Ok(None);
        };
        let headers = self.headers.as_deref().unwrap_or_default();
        let mut fields = fields.into_iter();
        let item = headers
            .iter()
            .map(|h| (h.clone(), Value::String(fields.next().unwrap_or_default())))
            .collect();
        Ok(Some(Value::Object(item)))
    }

    /// The next record's fields; `None` at the end.
    async fn record(&mut self, max: usize) -> Result<Option<Vec<String>>, Error> {
        let (mut nout, mut nends) = (0, 0);
        loop {
            // An empty input tells csv-core the object ended: read more first.
            if self.bytes.rest().is_empty() && !self.bytes.eof {
                self.bytes.fill().await?;
                continue;
            }
            let input = self.bytes.rest();
            let (result, nin, o, e) =
                self.reader
                    .read_record(input, &mut self.out[nout..], &mut self.ends[nends..]);
            self.bytes.pos += nin;
            nout += o;
            nends += e;
            match result {
                csv_core::ReadRecordResult::InputEmpty => {}
                csv_core::ReadRecordResult::OutputFull => {
                    if self.out.len() > max {
                        return Err(failed(format!("a CSV record is longer than {max} bytes")));
                    }
                    let len = self.out.len() * 2;
                    self.out.resize(len, 0);
                }
                csv_core::ReadRecordResult::OutputEndsFull => {
                    let len = self.ends.len() * 2;
                    self.ends.resize(len, 0);
                }
                csv_core::ReadRecordResult::Record => {
                    let mut start = 0;
                    let mut fields = Vec::with_capacity(nends);
                    for &end in &self.ends[..nends] {
                        let field = std::str::from_utf8(&self.out[start..end])
                            .map_err(|_| failed("a CSV field is not UTF-8 text"))?;
                        fields.push(field.to_string());
                        start = end;
                    }
                    return Ok(Some(fields));
                }
                csv_core::ReadRecordResult::End => return Ok(None),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::task::BoxFuture;

    /// An object served in chunks of `size` bytes.
    struct Chunks(VecDeque<Vec<u8>>);

    impl ObjectBody for Chunks {
        fn next_chunk(&mut self) -> BoxFuture<'_, Result<Option<Vec<u8>>, String>> {
            Box::pin(async move { Ok(self.0.pop_front()) })
        }
    }

    fn bytes(text: &[u8], size: usize, gzipped: bool) -> Bytes {
        Bytes::new(
            Box::new(Chunks(text.chunks(size).map(<[u8]>::to_vec).collect())),
            gzipped,
        )
    }

    async fn all(mut next: impl AsyncFnMut() -> Result<Option<Value>, Error>) -> Vec<Value> {
        let mut out = Vec::new();
        while let Some(v) = next().await.unwrap() {
            out.push(v);
        }
        out
    }

    #[tokio::test]
    async fn json_arrays_are_cut_into_elements_across_chunks() {
        let text = br#" [ {"a": "x,]\"y", "b": [1, {"c": 2}]}, 3 , "s" ,[] ] "#;
        for size in [1, 2, 5, 100] {
            let mut a = JsonArray::new(bytes(text, size, false));
            let items = all(async || a.next().await).await;
            assert_eq!(
                items,
                vec![
                    serde_json::json!({"a": "x,]\"y", "b": [1, {"c": 2}]}),
                    serde_json::json!(3),
                    serde_json::json!("s"),
                    serde_json::json!([])
                ],
                "chunks of {size}"
            );
        }
        let mut empty = JsonArray::new(bytes(b"[]", 1, false));
        assert_eq!(empty.next().await.unwrap(), None);
        let mut object = JsonArray::new(bytes(br#"{"a": 1}"#, 3, false));
        assert_eq!(
            object.next().await.unwrap_err().cause(),
            Some("Attempting to map over non-iterable node.")
        );
        let mut cut = JsonArray::new(bytes(b"[1, 2", 3, false));
        assert_eq!(cut.next().await.unwrap(), Some(serde_json::json!(1)));
        assert!(cut.next().await.is_err());
    }

    #[tokio::test]
    async fn lines_and_csv_records_across_chunks_and_gzip() {
        let text = b"{\"a\":1}\r\n\n{\"a\":2}\n{\"a\":3}";
        let mut b = bytes(text, 3, false);
        let mut lines = Vec::new();
        while let Some(l) = b.line().await.unwrap() {
            lines.push(String::from_utf8(l.to_vec()).unwrap());
        }
        assert_eq!(lines, ["{\"a\":1}", "", "{\"a\":2}", "{\"a\":3}"]);

        let csv_text = b"id|name\n1|\"a|b\"\n2|c\n3\n";
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(csv_text).unwrap();
        let gz = gz.finish().unwrap();
        for (text, gzipped) in [(csv_text.to_vec(), false), (gz, true)] {
            let mut csv = Csv::new(bytes(&text, 4, gzipped), b'|', None);
            csv.read_headers().await.unwrap();
            let items = all(async || csv.item().await).await;
            assert_eq!(
                items,
                vec![
                    serde_json::json!({"id": "1", "name": "a|b"}),
                    serde_json::json!({"id": "2", "name": "c"}),
                    serde_json::json!({"id": "3", "name": ""}),
                ]
            );
        }
        let mut dup = Csv::new(bytes(b"a,a\n1,2\n", 2, false), b',', None);
        assert_eq!(
            dup.read_headers().await.unwrap_err().cause(),
            Some("CSV headers cannot contain duplicates.")
        );
    }
}
