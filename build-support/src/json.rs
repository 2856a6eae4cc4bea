//! A positioned JSON parser.
//!
//! In: the raw bytes of a definition. Out: a [`Json`] tree whose every value and
//! object key carries its byte range, plus the duplicate-key diagnostics found on
//! the way; or the first syntax error, located.
//!
//! Hand-written recursive descent rather than `serde_json` or `jsonc-parser`:
//! serde_json keeps no positions and silently keeps the last of duplicate keys;
//! jsonc-parser accepts comments and trailing commas that Step Functions rejects.
//! Here the error points at the exact byte where the text stops being JSON
//! (RFC 8259), nesting is capped at [`MAX_DEPTH`] so no input can overflow the
//! stack, and no input can make it panic.

use crate::diagnostics::{Diagnostic, LineIndex};
use crate::rules::Rule;

/// Deepest nesting of arrays/objects accepted. Real definitions stay far below;
/// the cap keeps recursion bounded whatever the input.
pub const MAX_DEPTH: usize = 256;

/// A JSON value with its byte range in the source.
#[derive(Clone, Debug, PartialEq)]
pub struct Json {
    pub value: JsonValue,
    pub start: usize,
    pub end: usize,
}

#[derive(Clone, Debug, PartialEq)]
pub enum JsonValue {
    Null,
    Bool(bool),
    /// A number, kept as written (so `1` and `1.0` and big integers survive).
    Number(String),
    String(String),
    Array(Vec<Json>),
    /// Members in the order written; a duplicated key keeps only its first value.
    Object(Vec<Member>),
}

/// One `"key": value` member.
#[derive(Clone, Debug, PartialEq)]
pub struct Member {
    pub key: String,
    pub key_start: usize,
    pub key_end: usize,
    pub value: Json,
}

impl Json {
    /// The member called `key`, if this is an object that has it.
    pub fn get(&self, key: &str) -> Option<&Member> {
        match &self.value {
            JsonValue::Object(members) => members.iter().find(|m| m.key == key),
            _ => None,
        }
    }

    /// Short name of the JSON type, for messages.
    pub fn type_name(&self) -> &'static str {
        match self.value {
            JsonValue::Null => "null",
            JsonValue::Bool(_) => "a boolean",
            JsonValue::Number(_) => "a number",
            JsonValue::String(_) => "a string",
            JsonValue::Array(_) => "an array",
            JsonValue::Object(_) => "an object",
        }
    }

    /// Converts to a `serde_json::Value` (positions dropped, order kept).
    pub fn to_serde(&self) -> serde_json::Value {
        match &self.value {
            JsonValue::Null => serde_json::Value::Null,
            JsonValue::Bool(b) => serde_json::Value::Bool(*b),
            JsonValue::Number(text) => number_to_serde(text),
            JsonValue::String(s) => serde_json::Value::String(s.clone()),
            JsonValue::Array(items) => {
                serde_json::Value::Array(items.iter().map(Json::to_serde).collect())
            }
            JsonValue::Object(members) => serde_json::Value::Object(
                members
                    .iter()
                    .map(|m| (m.key.clone(), m.value.to_serde()))
                    .collect(),
            ),
        }
    }
}

/// A number's text as a serde_json number; the grammar was checked, so only an
/// out-of-range float can fail, which JSON parsers map to the nearest value.
pub fn number_to_serde(text: &str) -> serde_json::Value {
    match serde_json::from_str::<serde_json::Number>(text) {
        Ok(n) => serde_json::Value::Number(n),
        Err(_) => {
            let f: f64 = text.parse().unwrap_or(0.0);
            serde_json::Number::from_f64(if f.is_finite() {
                f
            } else {
                f64::MAX.copysign(f)
            })
            .map(serde_json::Value::Number)
            .unwrap_or(serde_json::Value::Null)
        }
    }
}

/// The outcome of parsing: the tree (when the syntax is valid) and every
/// diagnostic found (duplicate keys, or the one syntax error).
pub struct Parsed {
    pub json: Option<Json>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Parses `source`. `index` must be built from the same text (see
/// [`LineIndex::new`]) and is used to locate diagnostics.
pub fn parse(source: &str, index: &LineIndex) -> Parsed {
    let mut parser = Parser {
        text: source,
        bytes: source.as_bytes(),
        pos: 0,
        index,
        diagnostics: Vec::new(),
        path: Vec::new(),
    };
    // A UTF-8 byte order mark is not JSON, but editors write it; skip it.
    if parser.bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        parser.pos = 3;
    }
    let result = parser.document();
    let mut diagnostics = parser.diagnostics;
    match result {
        Ok(json) => Parsed {
            json: Some(json),
            diagnostics,
        },
        Err(e) => {
            diagnostics.push(e);
            Parsed {
                json: None,
                diagnostics,
            }
        }
    }
}

struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    index: &'a LineIndex,
    diagnostics: Vec<Diagnostic>,
    /// Where the parser is: member keys (by the byte offset of their opening
    /// quote, decoded only when an error needs the pointer) and array indexes.
    path: Vec<Seg>,
}

type Result<T> = std::result::Result<T, Diagnostic>;

/// One step of the parser's position in the document.
enum Seg {
    /// A member value, by the byte offset of its key's opening quote.
    Key(usize),
    Index(usize),
}

impl Parser<'_> {
    /// The JSON pointer of where the parser is, built only for diagnostics.
    fn pointer(&self) -> String {
        let mut out = String::new();
        for seg in &self.path {
            out.push('/');
            match *seg {
                Seg::Index(i) => out.push_str(&i.to_string()),
                Seg::Key(at) => {
                    let mut p = Parser {
                        text: self.text,
                        bytes: self.bytes,
                        pos: at,
                        index: self.index,
                        diagnostics: Vec::new(),
                        path: Vec::new(),
                    };
                    // The key parsed once already, so this cannot fail.
                    out.push_str(&escape_pointer(&p.string().unwrap_or_default()));
                }
            }
        }
        out
    }

    fn document(&mut self) -> Result<Json> {
        self.skip_ws();
        if self.pos >= self.bytes.len() {
            return Err(self.syntax_error(
                "the file is empty: expected a JSON object",
                "a definition is one JSON object with `StartAt` and `States`",
            ));
        }
        let value = self.value(0)?;
        self.skip_ws();
        if self.pos < self.bytes.len() {
            return Err(self.syntax_error(
                "unexpected text after the end of the JSON document",
                "remove it, or check for an extra closing brace",
            ));
        }
        Ok(value)
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes.get(self.pos) {
            self.pos += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    /// An error at the current position covering one character. At the end of
    /// the file it points just after the last character written, which is where
    /// the reader looks for the missing piece.
    fn syntax_error(&self, message: &str, help: &str) -> Diagnostic {
        let at = if self.pos >= self.bytes.len() {
            self.text.trim_end().len()
        } else {
            self.pos
        };
        let end = (at + self.char_len_at(at)).min(self.bytes.len()).max(at);
        self.index
            .diagnostic_at(
                Rule::JsonSyntax,
                message.to_string(),
                at,
                end,
                self.pointer(),
            )
            .with_help(help)
    }

    /// Help for a container that is not closed: where it was opened.
    fn unclosed_help(&self, what: &str, close: char, start: usize) -> String {
        let (line, column) = self.index.line_col(start);
        format!(
            "a `{close}` may be missing here, closing the {what} opened at line {line}, column {column}"
        )
    }

    fn char_len_at(&self, pos: usize) -> usize {
        self.text
            .get(pos..)
            .and_then(|s| s.chars().next())
            .map_or(1, char::len_utf8)
    }

    /// What is at the current position, for messages.
    fn found(&self) -> String {
        match self.text.get(self.pos..).and_then(|s| s.chars().next()) {
            None => "the end of the file".to_string(),
            Some('/') => "`/` (comments are not allowed in JSON)".to_string(),
            Some(c) if c.is_control() => format!("control character U+{:04X}", c as u32),
            Some(c) => format!("`{c}`"),
        }
    }

    fn value(&mut self, depth: usize) -> Result<Json> {
        let start = self.pos;
        match self.peek() {
            Some(b'{') => self.object(depth),
            Some(b'[') => self.array(depth),
            Some(b'"') => {
                let s = self.string()?;
                Ok(Json {
                    value: JsonValue::String(s),
                    start,
                    end: self.pos,
                })
            }
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b't') => self.literal("true", JsonValue::Bool(true)),
            Some(b'f') => self.literal("false", JsonValue::Bool(false)),
            Some(b'n') => self.literal("null", JsonValue::Null),
            _ => {
                let msg = format!("expected a JSON value, found {}", self.found());
                Err(self.syntax_error(
                    &msg,
                    "a value is an object, array, string, number, true, false or null",
                ))
            }
        }
    }

    fn literal(&mut self, word: &str, value: JsonValue) -> Result<Json> {
        let start = self.pos;
        if self.bytes[self.pos..].starts_with(word.as_bytes()) {
            self.pos += word.len();
            Ok(Json {
                value,
                start,
                end: self.pos,
            })
        } else {
            let msg = format!("expected a JSON value, found {}", self.found());
            Err(self.syntax_error(
                &msg,
                "literals are lowercase `true`, `false` and `null`; strings need double quotes",
            ))
        }
    }

    fn too_deep(&self, depth: usize) -> Result<()> {
        if depth >= MAX_DEPTH {
            let end = self.pos + 1;
            return Err(self
                .index
                .diagnostic_at(
                    Rule::JsonTooDeep,
                    format!("JSON nested deeper than {MAX_DEPTH} levels"),
                    self.pos,
                    end,
                    self.pointer(),
                )
                .with_help("flatten the document; no state machine needs this depth"));
        }
        Ok(())
    }

    fn object(&mut self, depth: usize) -> Result<Json> {
        self.too_deep(depth)?;
        let start = self.pos;
        self.pos += 1;
        let mut members: Vec<Member> = Vec::new();
        let mut index: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Json {
                value: JsonValue::Object(members),
                start,
                end: self.pos,
            });
        }
        loop {
            self.skip_ws();
            if self.peek() != Some(b'"') {
                let msg = format!(
                    "expected a member name in double quotes, found {}",
                    self.found()
                );
                let help = if self.peek() == Some(b'}') {
                    "remove the trailing comma"
                } else {
                    "object keys are strings in double quotes"
                };
                return Err(self.syntax_error(&msg, help));
            }
            let key_start = self.pos;
            let key = self.string()?;
            let key_end = self.pos;
            self.skip_ws();
            if self.peek() != Some(b':') {
                let msg = format!("expected `:` after the member name, found {}", self.found());
                return Err(self.syntax_error(&msg, "write members as \"name\": value"));
            }
            self.pos += 1;
            self.skip_ws();
            self.path.push(Seg::Key(key_start));
            let value = self.value(depth + 1)?;
            self.path.pop();
            // Small objects: a scan; large ones (a big `States`): an index.
            let first = if members.len() < 16 {
                members.iter().position(|m| m.key == key)
            } else {
                if index.len() < members.len() {
                    index.extend(
                        members
                            .iter()
                            .enumerate()
                            .skip(index.len())
                            .map(|(i, m)| (m.key.clone(), i)),
                    );
                }
                index.get(&key).copied()
            };
            if let Some(first) = first {
                let first = &members[first];
                // A key may be huge (200 KB): the diagnostic keeps a short form.
                let shown = crate::diagnostics::shorten(&key, 80);
                let child = format!("{}/{}", self.pointer(), escape_pointer(&shown));
                self.diagnostics.push(duplicate_key(
                    self.index, &key, first, key_start, key_end, &child,
                ));
            } else {
                members.push(Member {
                    key,
                    key_start,
                    key_end,
                    value,
                });
            }
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Json {
                        value: JsonValue::Object(members),
                        start,
                        end: self.pos,
                    });
                }
                _ => {
                    let msg = format!(
                        "expected `,` or `}}` after the member value, found {}",
                        self.found()
                    );
                    let help = self.unclosed_help("object", '}', start);
                    return Err(self.syntax_error(&msg, &help));
                }
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<Json> {
        self.too_deep(depth)?;
        let start = self.pos;
        self.pos += 1;
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Json {
                value: JsonValue::Array(items),
                start,
                end: self.pos,
            });
        }
        loop {
            self.skip_ws();
            if self.peek() == Some(b']') {
                return Err(self.syntax_error(
                    "expected a JSON value, found `]`",
                    "remove the trailing comma",
                ));
            }
            self.path.push(Seg::Index(items.len()));
            items.push(self.value(depth + 1)?);
            self.path.pop();
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Json {
                        value: JsonValue::Array(items),
                        start,
                        end: self.pos,
                    });
                }
                _ => {
                    let msg = format!(
                        "expected `,` or `]` after the array element, found {}",
                        self.found()
                    );
                    let help = self.unclosed_help("array", ']', start);
                    return Err(self.syntax_error(&msg, &help));
                }
            }
        }
    }

    fn number(&mut self) -> Result<Json> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => self.digits(),
            _ => {
                return Err(self.syntax_error(
                    &format!("expected a digit, found {}", self.found()),
                    "numbers are written like -1, 0.5 or 2e3",
                ));
            }
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.syntax_error(
                    &format!("expected a digit after `.`, found {}", self.found()),
                    "numbers are written like 0.5",
                ));
            }
            self.digits();
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.syntax_error(
                    &format!("expected a digit in the exponent, found {}", self.found()),
                    "numbers are written like 2e3",
                ));
            }
            self.digits();
        }
        Ok(Json {
            value: JsonValue::Number(self.text[start..self.pos].to_string()),
            start,
            end: self.pos,
        })
    }

    fn digits(&mut self) {
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
    }

    /// Parses a string starting at the opening quote.
    fn string(&mut self) -> Result<String> {
        let open = self.pos;
        self.pos += 1;
        let mut out = String::new();
        loop {
            let run_start = self.pos;
            while let Some(b) = self.peek() {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            out.push_str(&self.text[run_start..self.pos]);
            match self.peek() {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => self.escape(&mut out)?,
                Some(_) => {
                    let msg = format!("{} inside a string", self.found());
                    return Err(
                        self.syntax_error(&msg, "write control characters as escapes, e.g. \\n")
                    );
                }
                None => {
                    let end = (open + 1).min(self.bytes.len());
                    return Err(self
                        .index
                        .diagnostic_at(
                            Rule::JsonSyntax,
                            "unterminated string".to_string(),
                            open,
                            end,
                            self.pointer(),
                        )
                        .with_help("the closing `\"` of this string is missing"));
                }
            }
        }
    }

    fn escape(&mut self, out: &mut String) -> Result<()> {
        self.pos += 1;
        let c = match self.peek() {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                self.pos += 1;
                let first = self.hex4()?;
                let c = if (0xD800..0xDC00).contains(&first)
                    && self.bytes[self.pos..].starts_with(b"\\u")
                {
                    let save = self.pos;
                    self.pos += 2;
                    let second = self.hex4()?;
                    if (0xDC00..0xE000).contains(&second) {
                        char::from_u32(0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00))
                    } else {
                        self.pos = save;
                        None
                    }
                } else {
                    char::from_u32(first)
                };
                // A lone surrogate has no UTF-8 form; keep the replacement character.
                out.push(c.unwrap_or('\u{FFFD}'));
                return Ok(());
            }
            _ => {
                let msg = format!("invalid escape {}", self.found());
                return Err(self.syntax_error(
                    &msg,
                    "valid escapes are \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX",
                ));
            }
        };
        out.push(c);
        self.pos += 1;
        Ok(())
    }

    fn hex4(&mut self) -> Result<u32> {
        let mut v = 0u32;
        for _ in 0..4 {
            let d = match self.peek() {
                Some(b @ b'0'..=b'9') => b - b'0',
                Some(b @ b'a'..=b'f') => b - b'a' + 10,
                Some(b @ b'A'..=b'F') => b - b'A' + 10,
                _ => {
                    return Err(self.syntax_error(
                        &format!("expected a hex digit, found {}", self.found()),
                        "\\u takes four hex digits",
                    ));
                }
            };
            v = v * 16 + u32::from(d);
            self.pos += 1;
        }
        Ok(v)
    }
}

/// Rule `asl::duplicate-key`: a key written twice in one object. Step Functions
/// keeps one of them silently; the other is almost always a copy-paste mistake.
///
/// `{"Next": "A", "Next": "B"}`
fn duplicate_key(
    index: &LineIndex,
    key: &str,
    first: &Member,
    start: usize,
    end: usize,
    pointer: &str,
) -> Diagnostic {
    let (line, _) = index.line_col(first.key_start);
    let key = crate::diagnostics::shorten(key, 80);
    index
        .diagnostic_at(
            Rule::DuplicateKey,
            format!("duplicate key \"{key}\" (first written on line {line})"),
            start,
            end,
            pointer.to_string(),
        )
        .with_help("remove one of the two members")
}

/// Escapes a key for a JSON pointer (RFC 6901: `~` → `~0`, `/` → `~1`).
pub fn escape_pointer(key: &str) -> String {
    if key.contains(['~', '/']) {
        key.replace('~', "~0").replace('/', "~1")
    } else {
        key.to_string()
    }
}
