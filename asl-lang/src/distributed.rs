//! The distributed Map's facts, shared by the checks and the runtime: the
//! `ItemReader` and `ResultWriter` resources, the values `ReaderConfig` and
//! `WriterConfig` take, and their limits (AWS's "ItemReader (Map)",
//! "ResultWriter (Map)" and "Distributed Map state" pages).

/// `ReaderConfig` and its members.
pub const READER_CONFIG: &str = "ReaderConfig";
pub const INPUT_TYPE: &str = "InputType";
pub const CSV_HEADER_LOCATION: &str = "CSVHeaderLocation";
pub const CSV_HEADERS: &str = "CSVHeaders";
pub const CSV_DELIMITER: &str = "CSVDelimiter";
pub const MAX_ITEMS: &str = "MaxItems";
pub const MAX_ITEMS_PATH: &str = "MaxItemsPath";
pub const MANIFEST_TYPE: &str = "ManifestType";
/// `WriterConfig` and its members.
pub const WRITER_CONFIG: &str = "WriterConfig";
pub const OUTPUT_TYPE: &str = "OutputType";
pub const TRANSFORMATION: &str = "Transformation";

/// The most items a reader hands to a Map Run (`MaxItems` at most this; 0 or
/// absent means no limit other than this one).
pub const MAX_ITEMS_LIMIT: u64 = 100_000_000;
/// The longest CSV header row Step Functions reads (10 KiB).
pub const MAX_CSV_HEADER_BYTES: usize = 10 * 1024;
/// How many child executions a Map Run runs at a time when `MaxConcurrency`
/// is absent or 0 (AWS: "up to 10,000 parallel child workflow executions").
pub const DEFAULT_MAX_CONCURRENCY: usize = 10_000;

/// What an `ItemReader`'s `Resource` reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReaderResource {
    /// `arn:aws:states:::s3:getObject`: one object (JSON, JSONL, CSV or a manifest).
    GetObject,
    /// `arn:aws:states:::s3:listObjectsV2`: the objects under a prefix.
    ListObjectsV2,
}

impl ReaderResource {
    /// The resource of an `ItemReader`, in any partition
    /// (`arn:aws:states:::s3:getObject`, `arn:aws-cn:states:::s3:getObject`).
    pub fn of(resource: &str) -> Option<ReaderResource> {
        match s3_action(resource)? {
            "getObject" => Some(ReaderResource::GetObject),
            "listObjectsV2" => Some(ReaderResource::ListObjectsV2),
            _ => None,
        }
    }
}

/// Is `resource` the `ResultWriter`'s `arn:aws:states:::s3:putObject` (any partition)?
pub fn is_writer_resource(resource: &str) -> bool {
    s3_action(resource) == Some("putObject")
}

/// `arn:<partition>:states:::s3:<action>` → `action`.
fn s3_action(resource: &str) -> Option<&str> {
    let rest = resource.strip_prefix("arn:")?;
    let (partition, rest) = rest.split_once(':')?;
    if partition.is_empty() {
        return None;
    }
    rest.strip_prefix("states:::s3:")
}

/// `ReaderConfig.InputType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputType {
    Json,
    Jsonl,
    Csv,
    Manifest,
    Parquet,
}

impl InputType {
    pub const ALL: [(&'static str, InputType); 5] = [
        ("JSON", InputType::Json),
        ("JSONL", InputType::Jsonl),
        ("CSV", InputType::Csv),
        ("MANIFEST", InputType::Manifest),
        ("PARQUET", InputType::Parquet),
    ];

    pub fn parse(s: &str) -> Option<InputType> {
        Self::ALL.iter().find(|(n, _)| *n == s).map(|(_, t)| *t)
    }
}

/// `ReaderConfig.CSVHeaderLocation`: `FIRST_ROW` or `GIVEN`.
pub const CSV_HEADER_LOCATIONS: [&str; 2] = ["FIRST_ROW", "GIVEN"];

/// `ReaderConfig.CSVDelimiter` and the byte each names (default `COMMA`).
pub const CSV_DELIMITERS: [(&str, u8); 5] = [
    ("COMMA", b','),
    ("PIPE", b'|'),
    ("SEMICOLON", b';'),
    ("SPACE", b' '),
    ("TAB", b'\t'),
];

/// The byte a `CSVDelimiter` names.
pub fn csv_delimiter(name: &str) -> Option<u8> {
    CSV_DELIMITERS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, b)| *b)
}

/// `ReaderConfig.ManifestType`: an S3 inventory (the default) or an Athena
/// data manifest.
pub const MANIFEST_TYPES: [&str; 2] = ["S3_INVENTORY", "ATHENA_DATA"];

/// `WriterConfig.OutputType`.
pub const OUTPUT_TYPES: [&str; 2] = ["JSON", "JSONL"];
/// `WriterConfig.Transformation`.
pub const TRANSFORMATIONS: [&str; 3] = ["NONE", "COMPACT", "FLATTEN"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resources_in_any_partition() {
        assert_eq!(
            ReaderResource::of("arn:aws:states:::s3:getObject"),
            Some(ReaderResource::GetObject)
        );
        assert_eq!(
            ReaderResource::of("arn:aws-cn:states:::s3:listObjectsV2"),
            Some(ReaderResource::ListObjectsV2)
        );
        assert_eq!(ReaderResource::of("arn:aws:states:::s3:putObject"), None);
        assert_eq!(ReaderResource::of("arn::states:::s3:getObject"), None);
        assert!(is_writer_resource("arn:aws-us-gov:states:::s3:putObject"));
        assert!(!is_writer_resource("arn:aws:states:::aws-sdk:s3:putObject"));
        assert_eq!(csv_delimiter("PIPE"), Some(b'|'));
        assert_eq!(InputType::parse("JSONL"), Some(InputType::Jsonl));
    }
}
