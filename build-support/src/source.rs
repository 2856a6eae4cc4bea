//! What a definition file becomes before the JSON parser reads it.
//!
//! In: the file's text, its name and the deploy-time substitutions. Out: JSON
//! text for [`crate::json::parse`], with a [`SourceMap`] per step back to the
//! file, so every diagnostic still points at the file's own line and column.
//!
//! Two steps, in the order the deploy tools take them:
//!
//! 1. **Substitution.** Real definitions are templates: CloudFormation/SAM
//!    `DefinitionSubstitutions`, CDK `definitionSubstitutions`, Terraform
//!    `templatefile()` all replace `${Name}` in the definition's *text* before
//!    anything parses it. So does [`substitute`]: an unquoted `${Seconds}`
//!    becomes a number once substituted, a quoted one stays in its string.
//!    `${!Name}` is CloudFormation's escape for the literal text `${Name}`.
//! 2. **YAML.** A `*.asl.yaml` / `*.asl.yml` file is read as YAML 1.2 (core
//!    schema: only `true`/`false` are booleans, as the JavaScript deploy tools
//!    read it) and written as JSON; each token maps back to where the YAML
//!    wrote it.
//!
//! A placeholder with no value is reported once per name by
//! [`crate::load_with`] (rule `asl::unsubstituted-placeholder`), at its first
//! use, and the other diagnostics about a value that holds one are dropped:
//! nothing can be checked about a value not yet known.

use std::collections::BTreeMap;

/// Deploy-time values for the `${Name}` placeholders of a definition, as
/// CloudFormation's `DefinitionSubstitutions` gives them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Substitutions {
    values: BTreeMap<String, String>,
}

impl Substitutions {
    pub fn new() -> Self {
        Substitutions::default()
    }

    /// Sets `${name}` to `value` (the text put in its place).
    pub fn insert(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.values.insert(name.into(), value.into());
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.values.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Reads `NAME=VALUE` (`asl check --sub`); the value may hold `=`.
    pub fn parse_assignment(text: &str) -> Result<(String, String), String> {
        match text.split_once('=') {
            Some((name, value)) if is_placeholder_name(name) => {
                Ok((name.to_string(), value.to_string()))
            }
            Some((name, _)) => Err(format!(
                "`{name}` is not a placeholder name (letters, digits and `_ . : - [ ]`)"
            )),
            None => Err(format!("`{text}` is not NAME=VALUE")),
        }
    }
}

impl<K: Into<String>, V: Into<String>> Extend<(K, V)> for Substitutions {
    fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, iter: I) {
        for (k, v) in iter {
            self.insert(k, v);
        }
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for Substitutions {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut s = Substitutions::new();
        for (k, v) in iter {
            s.insert(k, v);
        }
        s
    }
}

/// The characters of a placeholder's name: CloudFormation's logical ids,
/// attributes and pseudo parameters (`Fn.Arn`, `AWS::Region`) and Terraform's
/// references (`var.name`, `aws_sfn_activity.a[0].id`).
fn is_placeholder_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.:-[]".contains(c))
}

/// One `${Name}` left without a value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placeholder {
    pub name: String,
    /// Where it is in the prepared (JSON) text, before any YAML conversion:
    /// byte range in the text [`substitute`] returns.
    pub start: usize,
    pub end: usize,
    /// Written outside any JSON string (`"MaxConcurrency": ${n}`): put in
    /// place as `null` so the rest of the file still parses.
    pub unquoted: bool,
}

/// Maps byte offsets of a produced text back to the text it was made from:
/// a sorted list of pieces, each either copied (offsets move one for one) or
/// produced (every offset in it maps to the start of what it was made from).
#[derive(Clone, Debug, Default)]
pub struct SourceMap {
    pieces: Vec<Piece>,
}

#[derive(Clone, Copy, Debug)]
struct Piece {
    out: usize,
    from: usize,
    copied: bool,
}

impl SourceMap {
    fn copied(&mut self, out: usize, from: usize) {
        self.pieces.push(Piece {
            out,
            from,
            copied: true,
        });
    }

    fn produced(&mut self, out: usize, from: usize) {
        self.pieces.push(Piece {
            out,
            from,
            copied: false,
        });
    }

    /// Is it the identity (nothing was replaced)?
    pub fn is_identity(&self) -> bool {
        self.pieces.iter().all(|p| p.copied && p.out == p.from)
    }

    /// The offset in the source text of `offset` in the produced text.
    pub fn map(&self, offset: usize) -> usize {
        let i = self.pieces.partition_point(|p| p.out <= offset);
        match i.checked_sub(1).map(|i| self.pieces[i]) {
            None => offset,
            Some(p) if p.copied => p.from + (offset - p.out),
            Some(p) => p.from,
        }
    }
}

/// Replaces each `${Name}` that `subs` gives a value for, as text. Returns the
/// new text, the map back, and the placeholders left (located in the new
/// text; an unquoted one is replaced by `null` when `json` is set).
pub fn substitute(
    text: &str,
    subs: &Substitutions,
    json: bool,
) -> (String, SourceMap, Vec<Placeholder>) {
    let mut out = String::with_capacity(text.len());
    let mut map = SourceMap::default();
    let mut left = Vec::new();
    let bytes = text.as_bytes();
    let mut copied_from = 0;
    let mut in_string = false;
    let mut i = 0;
    map.copied(0, 0);
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if json && in_string => {
                i += 2;
                continue;
            }
            b'"' if json => in_string = !in_string,
            b'$' if bytes.get(i + 1) == Some(&b'{') => {
                let Some(close) = text[i + 2..].find('}').map(|k| i + 2 + k) else {
                    i += 1;
                    continue;
                };
                let inner = &text[i + 2..close];
                let escaped = inner.starts_with('!') && is_placeholder_name(&inner[1..]);
                if !escaped && !is_placeholder_name(inner) {
                    i += 1;
                    continue;
                }
                out.push_str(&text[copied_from..i]);
                let at = out.len();
                map.produced(at, i);
                let unquoted = json && !in_string;
                if escaped {
                    out.push_str("${");
                    out.push_str(&inner[1..]);
                    out.push('}');
                } else if let Some(value) = subs.get(inner) {
                    out.push_str(value);
                } else {
                    // Left as written, or as `null` outside a JSON string.
                    out.push_str(if unquoted { "null" } else { &text[i..=close] });
                    left.push(Placeholder {
                        name: inner.to_string(),
                        start: at,
                        end: out.len(),
                        unquoted,
                    });
                }
                i = close + 1;
                copied_from = i;
                map.copied(out.len(), i);
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    out.push_str(&text[copied_from.min(text.len())..]);
    (out, map, left)
}

/// Is `file_name` a YAML definition (`*.yaml`, `*.yml`)?
pub fn is_yaml(file_name: &str) -> bool {
    let lower = file_name.to_ascii_lowercase();
    lower.ends_with(".yaml") || lower.ends_with(".yml")
}

/// A YAML syntax error: message and byte offset in the YAML text.
#[derive(Debug)]
pub struct YamlError {
    pub message: String,
    pub offset: usize,
}

/// Converts a YAML document to JSON text, with the map back to the YAML.
/// `cloudformation`: a CloudFormation short-form tag becomes its long form
/// (`!Ref X` is `{"Ref": "X"}`, `!GetAtt X.Arn` is `{"Fn::GetAtt": "X.Arn"}`);
/// otherwise a tag other than `!!str` is an error.
pub fn yaml_to_json(text: &str, cloudformation: bool) -> Result<(String, SourceMap), YamlError> {
    use yaml_rust2::parser::{Event, Parser};
    let line_starts: Vec<usize> = std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    // yaml-rust2 counts characters; the map works in bytes.
    let offset_of = |mark: &yaml_rust2::scanner::Marker| -> usize {
        let line = mark.line().saturating_sub(1);
        let start = line_starts.get(line).copied().unwrap_or(text.len());
        let rest = &text[start..];
        start
            + rest
                .char_indices()
                .nth(mark.col())
                .map_or(rest.len(), |(i, _)| i)
    };
    let mut out = String::with_capacity(text.len() + text.len() / 4);
    let mut map = SourceMap::default();
    // Per open collection: is it a mapping, how many entries so far, and, in
    // a mapping, whether the next scalar is a key.
    struct Open {
        mapping: bool,
        entries: usize,
        anchor: usize,
        start: usize,
        /// Inside `{"Fn::X": ` (a tagged collection).
        wrapped: bool,
    }
    let long_form = |tag: &yaml_rust2::parser::Tag| -> Option<String> {
        (cloudformation && tag.handle == "!").then(|| match tag.suffix.as_str() {
            "Ref" | "Condition" => format!("{{\"{}\":", tag.suffix),
            other => format!("{{\"Fn::{other}\":"),
        })
    };
    let mut stack: Vec<Open> = Vec::new();
    let mut anchors: BTreeMap<usize, String> = BTreeMap::new();
    let mut documents = 0;
    let mut parser = Parser::new_from_str(text);
    // Where the last key was written: a block collection's own mark is where
    // the parser recognised it, past its first key; a diagnostic about the
    // collection is better placed at the key that names it.
    let mut last_key_at = 0;
    loop {
        let (event, mark) = parser.next_token().map_err(|e| YamlError {
            message: e.info().to_string(),
            offset: offset_of(e.marker()),
        })?;
        let mut at = offset_of(&mark);
        // In a mapping, entries alternate key, value: where this node stands.
        let (is_key, in_value_position) = match stack.last() {
            Some(o) if o.mapping => (o.entries % 2 == 0, o.entries % 2 == 1),
            _ => (false, false),
        };
        match event {
            Event::Scalar(..) if is_key => {
                last_key_at = at;
            }
            Event::MappingStart(..) | Event::SequenceStart(..) if in_value_position => {
                at = last_key_at;
            }
            // A block collection at the top or in a sequence: where its line's
            // content starts (past `- `), not where the parser saw its first `:`.
            Event::MappingStart(..) | Event::SequenceStart(..)
                if !matches!(text.as_bytes().get(at), Some(b'{' | b'[')) =>
            {
                let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
                let content = text[line_start..at]
                    .trim_start_matches([' ', '\t', '-'])
                    .len();
                at -= content;
            }
            _ => {}
        }
        let is_mapping = matches!(event, Event::MappingStart(..));
        let is_value_start = matches!(
            event,
            Event::Scalar(..)
                | Event::SequenceStart(..)
                | Event::MappingStart(..)
                | Event::Alias(_)
        );
        if is_value_start {
            // Separators before this node: `,` between entries, `:` after a key.
            if let Some(open) = stack.last_mut() {
                let position = open.entries;
                open.entries += 1;
                if open.mapping {
                    if position % 2 == 1 {
                        out.push(':');
                    } else if position > 0 {
                        out.push(',');
                    }
                } else if position > 0 {
                    out.push(',');
                }
            }
            map.produced(out.len(), at);
        }
        match event {
            Event::StreamEnd => break,
            Event::DocumentStart => {
                documents += 1;
                if documents > 1 {
                    return Err(YamlError {
                        message: "a definition file holds one YAML document".into(),
                        offset: at,
                    });
                }
            }
            Event::Scalar(value, style, anchor, tag) => {
                let start = out.len();
                let wrap = tag.as_ref().and_then(long_form);
                let tag = if wrap.is_some() { None } else { tag };
                let json = scalar_json(&value, style, tag.as_ref(), is_key || wrap.is_some())
                    .map_err(|message| YamlError {
                        message,
                        offset: at,
                    })?;
                match wrap {
                    Some(open) => {
                        out.push_str(&open);
                        out.push_str(&json);
                        out.push('}');
                    }
                    None => out.push_str(&json),
                }
                if anchor > 0 {
                    anchors.insert(anchor, out[start..].to_string());
                }
            }
            Event::Alias(anchor) => match anchors.get(&anchor) {
                Some(json) if !is_key => out.push_str(json),
                _ => {
                    return Err(YamlError {
                        message: "an alias must name an anchored value (and cannot be a key)"
                            .into(),
                        offset: at,
                    });
                }
            },
            Event::SequenceStart(anchor, tag) | Event::MappingStart(anchor, tag) => {
                if is_key {
                    return Err(YamlError {
                        message: "a key must be a scalar to be a JSON member name".into(),
                        offset: at,
                    });
                }
                let wrap = tag.as_ref().and_then(long_form);
                if let (Some(tag), None) = (&tag, &wrap) {
                    return Err(YamlError {
                        message: format!(
                            "the tag `{}{}` has no meaning in a definition (substitute it first)",
                            tag.handle, tag.suffix
                        ),
                        offset: at,
                    });
                }
                let start = out.len();
                if let Some(open) = &wrap {
                    out.push_str(open);
                }
                stack.push(Open {
                    mapping: is_mapping,
                    entries: 0,
                    anchor,
                    start,
                    wrapped: wrap.is_some(),
                });
                out.push(if is_mapping { '{' } else { '[' });
            }
            Event::SequenceEnd | Event::MappingEnd => {
                if let Some(open) = stack.pop() {
                    out.push(if open.mapping { '}' } else { ']' });
                    if open.wrapped {
                        out.push('}');
                    }
                    if open.anchor > 0 {
                        anchors.insert(open.anchor, out[open.start..].to_string());
                    }
                }
            }
            Event::Nothing | Event::StreamStart | Event::DocumentEnd => {}
        }
    }
    if out.is_empty() {
        return Err(YamlError {
            message: "the file holds no YAML document".into(),
            offset: 0,
        });
    }
    Ok((out, map))
}

/// A YAML scalar as JSON, by YAML 1.2's core schema: a plain scalar may be
/// null, a boolean (`true`/`false` only) or a number; a quoted or block one is
/// a string. A key is always a string.
fn scalar_json(
    value: &str,
    style: yaml_rust2::scanner::TScalarStyle,
    tag: Option<&yaml_rust2::parser::Tag>,
    is_key: bool,
) -> Result<String, String> {
    use yaml_rust2::scanner::TScalarStyle;
    let string = || serde_json::Value::String(value.to_string()).to_string();
    if let Some(tag) = tag {
        return match (tag.handle.as_str(), tag.suffix.as_str()) {
            ("!!", "str") | ("tag:yaml.org,2002:", "str") => Ok(string()),
            _ => Err(format!(
                "the tag `{}{}` has no meaning in a definition (substitute it first)",
                tag.handle, tag.suffix
            )),
        };
    }
    if is_key || style != TScalarStyle::Plain {
        return Ok(string());
    }
    Ok(match value {
        "" | "~" | "null" | "Null" | "NULL" => "null".into(),
        "true" | "True" | "TRUE" => "true".into(),
        "false" | "False" | "FALSE" => "false".into(),
        _ => match yaml_number(value) {
            Some(number) => number,
            None => string(),
        },
    })
}

/// A YAML 1.2 core-schema number as JSON text, if `value` is one: decimal
/// integers and floats (`-1`, `2.5`, `1e3`), `0o17`, `0x1F`.
fn yaml_number(value: &str) -> Option<String> {
    if let Some(octal) = value.strip_prefix("0o") {
        return i64::from_str_radix(octal, 8).ok().map(|n| n.to_string());
    }
    if let Some(hex) = value.strip_prefix("0x") {
        return i64::from_str_radix(hex, 16).ok().map(|n| n.to_string());
    }
    let unsigned = value.strip_prefix(['-', '+']).unwrap_or(value);
    let integer = !unsigned.is_empty() && unsigned.bytes().all(|b| b.is_ascii_digit());
    if integer {
        // JSON has no leading `+`; keep the digits as written.
        return Some(value.trim_start_matches('+').to_string());
    }
    // `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(e) => (&unsigned[..e], Some(&unsigned[e + 1..])),
        None => (unsigned, None),
    };
    let (whole, fraction) = mantissa.split_once('.')?;
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && digits(e)
    });
    let mantissa_ok =
        digits(whole) && digits(fraction) && (!whole.is_empty() || !fraction.is_empty());
    if !mantissa_ok || !exponent_ok {
        return None;
    }
    let number: f64 = value.parse().ok()?;
    serde_json::Number::from_f64(number).map(|n| n.to_string())
}

/// A definition ready for the JSON parser.
pub struct Prepared {
    /// The JSON text.
    pub json: String,
    /// Locates offsets of `json` in the file as written.
    pub index: crate::diagnostics::LineIndex,
    /// Placeholders no value was given for.
    pub unsubstituted: Vec<Placeholder>,
}

/// Substitutes, and converts YAML (by `file_name`) to JSON. A YAML syntax error
/// is the one diagnostic.
pub fn prepare(
    text: &str,
    file_name: &str,
    subs: &Substitutions,
) -> Result<Prepared, crate::Diagnostics> {
    use crate::diagnostics::LineIndex;
    let yaml = is_yaml(file_name);
    let (substituted, map, unsubstituted) = substitute(text, subs, !yaml);
    let mut index = LineIndex::new(text);
    let json = if yaml {
        match yaml_to_json(&substituted, false) {
            Ok((json, yaml_map)) => {
                index = index.mapped_through(yaml_map);
                json
            }
            Err(e) => {
                let index = LineIndex::new(text).mapped_through(map);
                let d = index.diagnostic_at(
                    crate::Rule::YamlSyntax,
                    format!("invalid YAML: {}", e.message),
                    e.offset,
                    e.offset + 1,
                    String::new(),
                );
                return Err(crate::Diagnostics::new(file_name, index, vec![d]));
            }
        }
    } else {
        substituted
    };
    if !map.is_identity() {
        index = index.mapped_through(map);
    }
    Ok(Prepared {
        json,
        index,
        unsubstituted,
    })
}

/// The diagnostics for placeholders left without a value (one per name, at
/// its first use, counting the others), and the JSON pointers of every value
/// that holds one.
pub fn placeholder_diagnostics(
    json: &crate::json::Json,
    left: &[Placeholder],
    index: &crate::diagnostics::LineIndex,
) -> (Vec<crate::Diagnostic>, Vec<String>) {
    use crate::json::{Json, JsonValue, escape_pointer};
    // Every value holding a placeholder: a string with `${Name}` in it, or
    // the `null` an unquoted one became.
    let names: std::collections::BTreeSet<&str> = left.iter().map(|p| p.name.as_str()).collect();
    let unquoted: Vec<usize> = left
        .iter()
        .filter(|p| p.unquoted)
        .map(|p| p.start)
        .collect();
    // (name, pointer, start, end) of each use.
    type Use = (String, String, usize, usize);
    let mut uses: Vec<Use> = Vec::new();
    let mut stack: Vec<(&Json, String)> = vec![(json, String::new())];
    while let Some((node, pointer)) = stack.pop() {
        match &node.value {
            JsonValue::Object(members) => {
                for m in members.iter().rev() {
                    for name in placeholders_in(&m.key).filter(|n| names.contains(n)) {
                        uses.push((name.to_string(), pointer.clone(), m.key_start, m.key_end));
                    }
                    stack.push((&m.value, format!("{pointer}/{}", escape_pointer(&m.key))));
                }
            }
            JsonValue::Array(items) => {
                for (i, item) in items.iter().enumerate().rev() {
                    stack.push((item, format!("{pointer}/{i}")));
                }
            }
            JsonValue::String(s) => {
                for name in placeholders_in(s).filter(|n| names.contains(n)) {
                    uses.push((name.to_string(), pointer.clone(), node.start, node.end));
                }
            }
            JsonValue::Null if unquoted.contains(&node.start) => {
                if let Some(p) = left.iter().find(|p| p.start == node.start) {
                    uses.push((p.name.clone(), pointer.clone(), node.start, node.end));
                }
            }
            _ => {}
        }
    }
    let mut diagnostics = Vec::new();
    let mut first: BTreeMap<&str, (usize, &Use)> = BTreeMap::new();
    for u in &uses {
        first.entry(u.0.as_str()).or_insert((0, u)).0 += 1;
    }
    for (name, (count, (_, pointer, start, end))) in first {
        let more = match count - 1 {
            0 => String::new(),
            1 => " (and 1 more use)".to_string(),
            n => format!(" (and {n} more uses)"),
        };
        diagnostics.push(
            index
                .diagnostic_at(
                    crate::Rule::UnsubstitutedPlaceholder,
                    format!("the placeholder `${{{name}}}` has no value{more}: it is substituted when the definition is deployed, so nothing that depends on it can be checked"),
                    *start,
                    *end,
                    pointer.clone(),
                )
                .with_help(format!("give its value: `substitutions = {{ \"{name}\" => \"...\" }}` in `asl!`, `.substitute(\"{name}\", \"...\")` on the Builder, or `asl check --sub {name}=VALUE` (or `--template template.yaml`)")),
        );
    }
    let pointers = uses.into_iter().map(|u| u.1).collect();
    (diagnostics, pointers)
}

/// The names of the `${Name}` placeholders in `text` (not `${!Name}`).
fn placeholders_in(text: &str) -> impl Iterator<Item = &str> {
    text.match_indices("${").filter_map(move |(i, _)| {
        let rest = &text[i + 2..];
        let name = &rest[..rest.find('}')?];
        is_placeholder_name(name).then_some(name)
    })
}
