//! Rule `asl::distributed-map`: a distributed Map's `ItemReader` and
//! `ResultWriter` are complete and consistent (AWS's "ItemReader (Map)" and
//! "ResultWriter (Map)"). That asl runs them in a `DISTRIBUTED` Map only is
//! `asl::unsupported` ([`super::support`]). Values of enumerated fields (`InputType`,
//! `CSVDelimiter`, `OutputType`, ...) are `asl::unknown-value`.
//!
//! ```json
//! "ItemReader": {
//!   "Resource": "arn:aws:states:::s3:getObject",
//!   "ReaderConfig": {"InputType": "CSV", "CSVHeaderLocation": "GIVEN"},
//!   "Parameters": {"Bucket": "b", "Key": "k.csv"}
//! }
//! ```
//! is refused: `GIVEN` needs `CSVHeaders`.

use asl_lang::distributed::{self as facts, InputType, ReaderResource};
use serde_json::Value;

use crate::diagnostics::{Diagnostic, Sink};
use crate::model::{
    ItemReader, Map, Origin, ResultWriter, StateKind, StateMachine, Template, TemplateNode,
};
use crate::rules::Rule;

/// Runs the rule on every Map of `machine`, nested ones included.
pub fn check_distributed(machine: &StateMachine, diags: &mut Sink) {
    for state in &machine.states {
        match &state.kind {
            StateKind::Parallel(p) => p.branches.iter().for_each(|b| check_distributed(b, diags)),
            StateKind::Map(m) => {
                check_map(m, diags);
                check_distributed(&m.item_processor, diags);
            }
            _ => {}
        }
    }
}

fn refuse(diags: &mut Sink, origin: &Origin, message: String, help: &str) {
    let mut d = Diagnostic::new(Rule::DistributedMap, message, origin.clone());
    if !help.is_empty() {
        d = d.with_help(help.to_string());
    }
    diags.push(d);
}

fn unknown_value(diags: &mut Sink, origin: &Origin, field: &str, value: &Value, allowed: &[&str]) {
    diags.push(
        Diagnostic::new(
            Rule::UnknownValue,
            format!("{field} is {value}: expected one of {}", allowed.join(", ")),
            origin.clone(),
        )
        .with_help(format!("use one of {}", allowed.join(", "))),
    );
}

fn check_map(m: &Map, diags: &mut Sink) {
    if let Some(r) = &m.item_reader {
        item_reader(r, diags);
    }
    if let Some(w) = &m.result_writer {
        result_writer(w, diags);
    }
}

/// The member names of a literal template object (`Bucket`, `Bucket.$` both
/// give `Bucket`); `None` when the template is computed as a whole.
fn member_names(t: &Template) -> Option<Vec<&str>> {
    match &t.node {
        TemplateNode::Object(fields) => {
            Some(fields.iter().map(|f| f.name.value.as_str()).collect())
        }
        TemplateNode::Literal(Value::Object(m)) => Some(m.keys().map(String::as_str).collect()),
        _ => None,
    }
}

/// The `Parameters`/`Arguments` of a reader or writer hold `required` and
/// nothing outside `allowed`.
fn parameters(
    t: Option<&Template>,
    owner: &Origin,
    what: &str,
    required: &[&str],
    allowed: &[&str],
    diags: &mut Sink,
) {
    let Some(t) = t else {
        refuse(
            diags,
            owner,
            format!(
                "{what} needs Parameters (JSONPath) or Arguments (JSONata) with {}",
                required.join(" and ")
            ),
            "",
        );
        return;
    };
    let Some(names) = member_names(t) else {
        return;
    };
    for r in required {
        if !names.contains(r) {
            refuse(
                diags,
                &t.origin,
                format!("the Parameters of {what} need `{r}`"),
                "",
            );
        }
    }
    for n in names {
        if !allowed.contains(&n) {
            diags.push(
                Diagnostic::new(
                    Rule::UnknownField,
                    format!(
                        "`{n}` is not a parameter of {what}: it takes {}",
                        allowed.join(", ")
                    ),
                    t.origin.clone(),
                )
                .with_help(format!("remove `{n}`")),
            );
        }
    }
}

fn item_reader(r: &ItemReader, diags: &mut Sink) {
    let what = "the ItemReader";
    let resource = &r.resource;
    if resource.value.is_empty() {
        return; // asl::missing-field already said so.
    }
    let Some(kind) = ReaderResource::of(&resource.value) else {
        refuse(
            diags,
            &resource.origin,
            format!(
                "`{}` is not an ItemReader resource: arn:aws:states:::s3:getObject or arn:aws:states:::s3:listObjectsV2",
                resource.value
            ),
            "",
        );
        return;
    };
    let empty = serde_json::Map::new();
    let (config, config_origin) = match &r.reader_config {
        Some(c) => (c.value.as_object().unwrap_or(&empty), &c.origin),
        None => (&empty, &r.origin),
    };
    let text = |name: &str| config.get(name);
    match kind {
        ReaderResource::ListObjectsV2 => {
            parameters(
                r.parameters.as_ref(),
                &r.origin,
                what,
                &["Bucket"],
                &["Bucket", "Prefix", "Delimiter", "StartAfter", "MaxKeys"],
                diags,
            );
            for k in config.keys() {
                if k != facts::MAX_ITEMS && k != facts::MAX_ITEMS_PATH {
                    refuse(
                        diags,
                        config_origin,
                        format!(
                            "ReaderConfig `{k}` does not apply to s3:listObjectsV2, which lists objects"
                        ),
                        "only MaxItems or MaxItemsPath",
                    );
                }
            }
        }
        ReaderResource::GetObject => {
            parameters(
                r.parameters.as_ref(),
                &r.origin,
                what,
                &["Bucket", "Key"],
                &["Bucket", "Key", "VersionId"],
                diags,
            );
            let input = match text(facts::INPUT_TYPE) {
                None => {
                    refuse(
                        diags,
                        config_origin,
                        "an s3:getObject ItemReader needs ReaderConfig.InputType".into(),
                        "JSON, JSONL, CSV, MANIFEST or PARQUET",
                    );
                    None
                }
                Some(v) => {
                    let parsed = v.as_str().and_then(InputType::parse);
                    if parsed.is_none() {
                        let names: Vec<&str> = InputType::ALL.iter().map(|(n, _)| *n).collect();
                        unknown_value(diags, config_origin, "InputType", v, &names);
                    }
                    parsed
                }
            };
            let csv = input == Some(InputType::Csv);
            let only = |field: &str, with: &str, applies: bool, diags: &mut Sink| {
                if !applies && config.contains_key(field) {
                    refuse(
                        diags,
                        config_origin,
                        format!("ReaderConfig `{field}` applies only to InputType {with}"),
                        "",
                    );
                }
            };
            only(facts::CSV_HEADER_LOCATION, "CSV", csv, diags);
            only(facts::CSV_DELIMITER, "CSV", csv, diags);
            only(facts::CSV_HEADERS, "CSV", csv, diags);
            only(
                facts::MANIFEST_TYPE,
                "MANIFEST",
                input == Some(InputType::Manifest),
                diags,
            );
            if let Some(v) = text(facts::CSV_DELIMITER)
                && v.as_str().and_then(facts::csv_delimiter).is_none()
            {
                let names: Vec<&str> = facts::CSV_DELIMITERS.iter().map(|(n, _)| *n).collect();
                unknown_value(diags, config_origin, "CSVDelimiter", v, &names);
            }
            if let Some(v) = text(facts::MANIFEST_TYPE)
                && !v
                    .as_str()
                    .is_some_and(|s| facts::MANIFEST_TYPES.contains(&s))
            {
                unknown_value(
                    diags,
                    config_origin,
                    "ManifestType",
                    v,
                    &facts::MANIFEST_TYPES,
                );
            }
            if csv {
                csv_headers(config, config_origin, diags);
            }
        }
    }
}

/// `CSVHeaderLocation` is given; `GIVEN` comes with `CSVHeaders`, a list of
/// distinct strings, and only `GIVEN` does.
fn csv_headers(config: &serde_json::Map<String, Value>, origin: &Origin, diags: &mut Sink) {
    let location = config.get(facts::CSV_HEADER_LOCATION);
    let given = match location {
        None => {
            refuse(
                diags,
                origin,
                "a CSV ItemReader needs ReaderConfig.CSVHeaderLocation".into(),
                "FIRST_ROW (the first line is the header) or GIVEN (with CSVHeaders)",
            );
            return;
        }
        Some(Value::String(s)) if facts::CSV_HEADER_LOCATIONS.contains(&s.as_str()) => s == "GIVEN",
        Some(v) => {
            unknown_value(
                diags,
                origin,
                "CSVHeaderLocation",
                v,
                &facts::CSV_HEADER_LOCATIONS,
            );
            return;
        }
    };
    match (given, config.get(facts::CSV_HEADERS)) {
        (true, None) => refuse(
            diags,
            origin,
            "CSVHeaderLocation GIVEN needs CSVHeaders, the column names".into(),
            "\"CSVHeaders\": [\"id\", \"name\"]",
        ),
        (false, Some(_)) => refuse(
            diags,
            origin,
            "CSVHeaders are read only with CSVHeaderLocation GIVEN".into(),
            "",
        ),
        (true, Some(headers)) => {
            let names: Option<Vec<&str>> = headers
                .as_array()
                .map(|a| a.iter().map(Value::as_str).collect::<Option<Vec<_>>>())
                .unwrap_or(None);
            match names {
                Some(names) if !names.is_empty() => {
                    let mut seen = std::collections::HashSet::new();
                    if let Some(dup) = names.iter().find(|n| !seen.insert(**n)) {
                        refuse(
                            diags,
                            origin,
                            format!(
                                "CSVHeaders name `{dup}` twice: CSV headers cannot contain duplicates"
                            ),
                            "",
                        );
                    }
                }
                _ => refuse(
                    diags,
                    origin,
                    "CSVHeaders must be a non-empty list of strings".into(),
                    "",
                ),
            }
        }
        (false, None) => {}
    }
}

fn result_writer(w: &ResultWriter, diags: &mut Sink) {
    let what = "the ResultWriter";
    match &w.resource {
        Some(r) if !facts::is_writer_resource(&r.value) => refuse(
            diags,
            &r.origin,
            format!(
                "`{}` is not a ResultWriter resource: arn:aws:states:::s3:putObject",
                r.value
            ),
            "",
        ),
        Some(_) => parameters(
            w.parameters.as_ref(),
            &w.origin,
            what,
            &["Bucket"],
            &["Bucket", "Prefix"],
            diags,
        ),
        None if w.parameters.is_some() => refuse(
            diags,
            &w.origin,
            "the ResultWriter has Parameters but no Resource".into(),
            "add \"Resource\": \"arn:aws:states:::s3:putObject\"",
        ),
        None if w.writer_config.is_none() => refuse(
            diags,
            &w.origin,
            "the ResultWriter needs Resource and Parameters, WriterConfig, or all three".into(),
            "",
        ),
        None => {}
    }
    if let Some(c) = &w.writer_config {
        let Some(config) = c.value.as_object() else {
            diags.push(Diagnostic::new(
                Rule::WrongType,
                "WriterConfig must be an object",
                c.origin.clone(),
            ));
            return;
        };
        for (k, v) in config {
            let allowed: &[&str] = match k.as_str() {
                facts::OUTPUT_TYPE => &facts::OUTPUT_TYPES,
                facts::TRANSFORMATION => &facts::TRANSFORMATIONS,
                _ => {
                    diags.push(
                        Diagnostic::new(
                            Rule::UnknownField,
                            format!(
                                "`{k}` is not a field of WriterConfig: OutputType, Transformation"
                            ),
                            c.origin.clone(),
                        )
                        .with_help(format!("remove `{k}`")),
                    );
                    continue;
                }
            };
            if !v.as_str().is_some_and(|s| allowed.contains(&s)) {
                unknown_value(diags, &c.origin, k, v, allowed);
            }
        }
    }
}
