//! Diagnostics: what went wrong, where, and what to do about it.
//!
//! In: rule name, message, help and a byte range of the source (via
//! [`LineIndex`]). Out: [`Diagnostics`], which renders every problem of a file
//! rustc-style (`error[asl::unknown-next-state]: ...`, `--> file:line:col`, the
//! source line with a caret underline, the JSON pointer, the help) or as JSON for
//! editors and CI (`asl check --format json`).

use std::fmt;

use crate::model::Origin;
use crate::rules::{Rule, Severity};

/// Maps byte offsets of one source text to 1-based line and column.
#[derive(Clone, Debug)]
pub struct LineIndex {
    text: Box<str>,
    line_starts: Box<[usize]>,
    /// Per line: whether it is all ASCII (then a column is a byte difference).
    ascii_lines: Box<[bool]>,
    /// When the parsed text was made from this one (substitution, YAML): the
    /// maps from parsed offsets back to this text, applied in order.
    /// (Boxed slices keep `Diagnostics`, returned in every `Err`, small.)
    maps: Box<[crate::source::SourceMap]>,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let mut line_starts = vec![0];
        line_starts.extend(
            text.bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| i + 1),
        );
        let ascii_lines = line_starts
            .iter()
            .enumerate()
            .map(|(i, &start)| {
                let end = line_starts.get(i + 1).copied().unwrap_or(text.len());
                text.as_bytes()[start..end].is_ascii()
            })
            .collect();
        LineIndex {
            text: text.into(),
            line_starts: line_starts.into_boxed_slice(),
            ascii_lines,
            maps: Box::default(),
        }
    }

    /// Diagnostics will be given offsets of a text made from this one; `map`
    /// takes them back (the last transformation's map first).
    pub fn mapped_through(mut self, map: crate::source::SourceMap) -> LineIndex {
        let mut maps = std::mem::take(&mut self.maps).into_vec();
        maps.push(map);
        self.maps = maps.into_boxed_slice();
        self
    }

    /// An offset of the parsed text as an offset of this one.
    fn unmap(&self, offset: usize) -> usize {
        self.maps.iter().fold(offset, |o, map| map.map(o))
    }

    /// 1-based line and column (in characters) of byte `offset`.
    pub fn line_col(&self, offset: usize) -> (u32, u32) {
        let offset = offset.min(self.text.len());
        let line = self
            .line_starts
            .partition_point(|&s| s <= offset)
            .saturating_sub(1);
        let start = self.line_starts[line];
        let column = if self.ascii_lines[line] {
            offset - start
        } else {
            self.text
                .get(start..offset)
                .map_or(offset - start, |s| s.chars().count())
        };
        (line as u32 + 1, column as u32 + 1)
    }

    /// The origin of bytes `start..end` at `pointer`.
    pub fn origin(&self, start: usize, end: usize, pointer: String) -> Origin {
        let (start, end) = if self.maps.is_empty() {
            (start, end)
        } else {
            let from = self.unmap(start).min(self.text.len());
            let to = self.unmap(end).max(from + 1).min(self.text.len());
            (from, to.max(from))
        };
        let (line, column) = self.line_col(start);
        Origin {
            pointer,
            line,
            column,
            start,
            end: end.max(start),
        }
    }

    /// A diagnostic covering bytes `start..end`.
    pub fn diagnostic_at(
        &self,
        rule: Rule,
        message: String,
        start: usize,
        end: usize,
        pointer: String,
    ) -> Diagnostic {
        Diagnostic::new(rule, message, self.origin(start, end, pointer))
    }

    /// Byte offset where 1-based `line` starts.
    pub fn line_start(&self, line: u32) -> usize {
        let i = (line as usize).saturating_sub(1);
        self.line_starts.get(i).copied().unwrap_or(self.text.len())
    }

    /// Text of 1-based `line`, without its line break.
    pub fn line_text(&self, line: u32) -> &str {
        let i = (line as usize).saturating_sub(1);
        let Some(&start) = self.line_starts.get(i) else {
            return "";
        };
        let end = self.line_starts.get(i + 1).map_or(self.text.len(), |&e| e);
        self.text
            .get(start..end)
            .unwrap_or("")
            .trim_end_matches(['\n', '\r'])
    }
}

/// Longest part of a source line shown under a diagnostic.
const MAX_SHOWN_CHARS: usize = 120;

/// How many diagnostics of one rule are rendered in full as text; the rest of
/// that rule are counted in one line (a minified file with 20,000 duplicate keys
/// stays readable, and rendering stays linear).
pub const MAX_RENDERED_PER_RULE: usize = 50;

/// `text` cut to `max_chars` characters with `…` when longer: names and keys in
/// messages stay short however long they are in the file.
pub fn shorten(text: &str, max_chars: usize) -> std::borrow::Cow<'_, str> {
    match text.char_indices().nth(max_chars) {
        None => std::borrow::Cow::Borrowed(text),
        Some((cut, _)) => std::borrow::Cow::Owned(format!("{}…", &text[..cut])),
    }
}

/// One problem, located.
#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    /// The rule broken; its name (`asl::unknown-next-state`) is stable.
    pub rule: Rule,
    /// The rule's [`severity`](Rule::severity), or `Error` for a warning
    /// when warnings are denied.
    pub severity: Severity,
    pub message: String,
    pub help: Option<String>,
    pub origin: Origin,
}

impl Diagnostic {
    pub fn new(rule: Rule, message: impl Into<String>, origin: Origin) -> Diagnostic {
        Diagnostic {
            rule,
            severity: rule.severity(),
            message: message.into(),
            help: None,
            origin,
        }
    }

    /// Is this a warning (the build goes on)?
    pub fn is_warning(&self) -> bool {
        self.severity == Severity::Warning
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }
}

/// Where every stage reports its problems: the JSON parser, lowering, the checks
/// and code generation all push into the one sink of a compilation, which
/// collects them (never stopping at the first) and is turned into
/// [`Diagnostics`] once, at the end: serde_derive's `Ctxt`, without its panic on
/// an unchecked drop.
#[derive(Debug, Default)]
pub struct Sink {
    items: Vec<Diagnostic>,
}

impl Sink {
    pub fn new() -> Sink {
        Sink::default()
    }

    /// Reports one problem.
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.items.push(diagnostic);
    }

    /// Reports several.
    pub fn extend(&mut self, diagnostics: impl IntoIterator<Item = Diagnostic>) {
        self.items.extend(diagnostics);
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Whether an error (not only warnings) was reported.
    pub fn has_errors(&self) -> bool {
        self.items.iter().any(|d| !d.is_warning())
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Ends the compilation's reporting: every problem, in the order reported.
    pub fn finish(self) -> Vec<Diagnostic> {
        self.items
    }
}

/// What [`Diagnostics::render`] shows of a source line.
struct Window {
    /// The shown text, `...` where the line is cut.
    text: String,
    /// What goes under the text up to the diagnostic's column.
    indent: String,
    /// The diagnostic's column within `text`, in characters.
    column: usize,
}

/// Every diagnostic of one file, with what is needed to render them.
#[derive(Clone, Debug)]
pub struct Diagnostics {
    pub file_name: String,
    pub items: Vec<Diagnostic>,
    index: LineIndex,
}

impl Diagnostics {
    pub fn new(file_name: &str, index: LineIndex, mut items: Vec<Diagnostic>) -> Diagnostics {
        // Source order reads best, and keeps output stable.
        items.sort_by(|a, b| (a.origin.start, a.rule.name()).cmp(&(b.origin.start, b.rule.name())));
        Diagnostics {
            file_name: file_name.to_string(),
            items,
            index,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn iter(&self) -> std::slice::Iter<'_, Diagnostic> {
        self.items.iter()
    }

    /// How many of the diagnostics are warnings.
    pub fn warning_count(&self) -> usize {
        self.items.iter().filter(|d| d.is_warning()).count()
    }

    /// Whether any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.items.iter().any(|d| !d.is_warning())
    }

    /// The source line a diagnostic points at.
    pub fn source_line(&self, d: &Diagnostic) -> &str {
        self.index.line_text(d.origin.line)
    }

    /// The part of a diagnostic's source line that is shown: a window of at most
    /// `MAX_SHOWN_CHARS` characters around its column (a minified file is one
    /// long line), with `...` where it is cut. Costs the window, not the line.
    fn window(&self, d: &Diagnostic) -> Window {
        self.window_of(d, MAX_SHOWN_CHARS)
    }

    /// The diagnostic's source line and the byte, within it, where it starts.
    fn line_and_offset(&self, d: &Diagnostic) -> (&str, usize) {
        let line = self.source_line(d);
        let line_start = self.index.line_start(d.origin.line);
        let at = d.origin.start.saturating_sub(line_start).min(line.len());
        let at = (0..=at)
            .rev()
            .find(|&i| line.is_char_boundary(i))
            .unwrap_or(0);
        (line, at)
    }

    /// [`Self::window`] with `max` characters; a line that fits is shown whole,
    /// a longer one from up to `max / 3` characters before the column.
    fn window_of(&self, d: &Diagnostic, max: usize) -> Window {
        let (line, at) = self.line_and_offset(d);
        let start = if line.chars().nth(max).is_none() {
            0
        } else {
            line[..at]
                .char_indices()
                .rev()
                .take(max / 3)
                .last()
                .map_or(at, |(i, _)| i)
        };
        let lead = if start > 0 { "..." } else { "" };
        let before = &line[start..at];
        let mut after = line[at..].chars();
        let shown_after: String = after.by_ref().take(max - before.chars().count()).collect();
        let trail = if after.next().is_some() { "..." } else { "" };
        Window {
            text: format!("{lead}{before}{shown_after}{trail}"),
            // Under `...` spaces; under the line, its tabs stay tabs.
            indent: " "
                .repeat(lead.len())
                .chars()
                .chain(before.chars().map(|c| if c == '\t' { '\t' } else { ' ' }))
                .collect(),
            column: lead.len() + before.chars().count(),
        }
    }

    /// Renders one diagnostic rustc-style.
    pub fn render(&self, d: &Diagnostic) -> String {
        let gutter = d.origin.line.to_string();
        let pad = " ".repeat(gutter.len());
        let window = self.window(d);
        let shown_len = window.text.chars().count();
        // Underline the value, but not past the end of what is shown.
        let width = self
            .index
            .text
            .get(d.origin.start..d.origin.end)
            .map_or(1, |s| {
                s.split('\n')
                    .next()
                    .unwrap_or("")
                    .chars()
                    .take(MAX_SHOWN_CHARS)
                    .count()
            })
            .min(shown_len.saturating_sub(window.column))
            .max(1);
        let (line_text, prefix) = (&window.text, &window.indent);
        let mut out = format!("{}[{}]: {}\n", d.severity, d.rule, d.message);
        out += &format!(
            "{pad}--> {}:{}:{}\n",
            self.file_name, d.origin.line, d.origin.column
        );
        out += &format!(
            "{pad} |\n{gutter} | {line_text}\n{pad} | {prefix}{}\n",
            "^".repeat(width)
        );
        if !d.origin.pointer.is_empty() {
            out += &format!("{pad} = at: {}\n", d.origin.pointer);
        }
        if let Some(help) = &d.help {
            out += &format!("{pad} = help: {help}\n");
        }
        out
    }

    /// The JSON form: one object per diagnostic.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::Value::Array(
            self.items
                .iter()
                .map(|d| {
                    serde_json::json!({
                        "rule": d.rule.name(),
                        "severity": d.severity.name(),
                        "message": d.message,
                        "help": d.help,
                        "file": self.file_name,
                        "line": d.origin.line,
                        "column": d.origin.column,
                        "pointer": d.origin.pointer,
                        // The line, or a window of 300 characters around
                        // the column when it is longer (a minified file).
                        "source_line": self.window_of(d, 300).text,
                    })
                })
                .collect(),
        )
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rendered: std::collections::HashMap<Rule, usize> = std::collections::HashMap::new();
        let mut first = true;
        for d in &self.items {
            let n = rendered.entry(d.rule).or_default();
            *n += 1;
            if *n > MAX_RENDERED_PER_RULE {
                continue;
            }
            if !first {
                writeln!(f)?;
            }
            first = false;
            f.write_str(&self.render(d))?;
        }
        let mut more: Vec<(Rule, usize)> = rendered
            .into_iter()
            .filter(|(_, n)| *n > MAX_RENDERED_PER_RULE)
            .map(|(r, n)| (r, n - MAX_RENDERED_PER_RULE))
            .collect();
        more.sort();
        for (rule, n) in more {
            write!(
                f,
                "\n{}[{rule}]: {n} more problems of this rule in {} (the first {MAX_RENDERED_PER_RULE} are shown; `--format json` lists all)\n",
                rule.severity(),
                self.file_name
            )?;
        }
        if self.items.len() > 1 {
            let warnings = self.warning_count();
            let errors = self.items.len() - warnings;
            let summary = match (errors, warnings) {
                (_, 0) => format!("error: {errors} problems"),
                (0, _) => format!("warning: {warnings} warnings"),
                _ => format!("error: {errors} errors and {warnings} warnings"),
            };
            write!(f, "\n{summary} in {}", self.file_name)?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostics {}
