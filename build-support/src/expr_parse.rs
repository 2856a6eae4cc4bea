//! Parsers for the expressions written inside JSON strings.
//!
//! In: the text of a path field, a `.$` template value, or a `{% %}` string.
//! Out: the [`crate::expr`] model, or a message saying what is wrong and at which
//! character (the caller locates it at the JSON value).
//!
//! Paths follow the JSONPath dialect Step Functions evaluates with, Jayway
//! JsonPath (its `PathCompiler`): the path is trimmed of surrounding whitespace;
//! a dot name runs to the next `.`, `[` or `(` and may hold any other character
//! but a space (`$.a-b`, `$.a*b`); `.[` reads as `[` (`$.[0]`, `$.a.['b c']`);
//! a bare name may follow a bracket (`$['a']b`); `name(...)` is a path function;
//! bracket names are quoted with `'` or `"`; plus `..`, `*`, unions, slices and
//! `[?(...)]` filters. Two additions Jayway does not make: `\` escapes the next
//! character of a dot name (`$.a\.b` is the field `a.b`), and a slice may have a
//! step. Roots are `$` (input), `$$` (context object) and `$name` (a variable).

use crate::expr::{
    Arg, Call, Expression, Function, JsonPath, Jsonata, Path, ReferencePath, Root, Step,
};

/// Parses any JSONPath. A path with only fields and non-negative indexes comes
/// back as [`Path::Reference`].
pub fn parse_path(text: &str) -> Result<Path, String> {
    let json_path = parse_json_path(text)?;
    Ok(match json_path.to_reference() {
        Some(reference) => Path::Reference(reference),
        None => Path::Query(json_path),
    })
}

/// Parses a Reference Path: `$`, `$$` or `$var` followed by fields and indexes
/// only (no `..`, `*`, filters, slices or unions).
pub fn parse_reference_path(text: &str) -> Result<ReferencePath, String> {
    let json_path = parse_json_path(text)?;
    json_path.to_reference().ok_or_else(|| {
        format!("`{text}` is not a reference path: only `.field`, `['field']` and `[index]` steps are allowed here (no `..`, `*`, filters, slices, unions or negative indexes)")
    })
}

/// Parses the value of a `.$` template key (or `ErrorPath`-like field): a path or
/// an intrinsic function call.
pub fn parse_expression(text: &str) -> Result<Expression, String> {
    if text.starts_with('$') {
        parse_path(text).map(Expression::Path)
    } else if text.starts_with("States.") {
        parse_intrinsic(text).map(Expression::Intrinsic)
    } else {
        Err(format!(
            "`{text}` is not a JSONPath or intrinsic function expression: it must start with `$` or `States.`"
        ))
    }
}

/// Recognises a JSONata string: `{%` at the very start and `%}` at the very end.
/// Returns `None` for any other string (a literal).
pub fn jsonata(text: &str) -> Option<Jsonata> {
    // The runtime recognises JSONata strings with the same function.
    asl_lang::jsonata::expression_of(text)?;
    Some(Jsonata {
        expression: text[2..text.len() - 2].to_string(),
    })
}

/// Checks the syntax of a JSONata expression without evaluating it: the
/// language's one check, [`asl_lang::jsonata::check_syntax`].
pub fn check_jsonata(j: &Jsonata) -> Result<(), String> {
    asl_lang::jsonata::check_syntax(&j.expression)
}

/// Parses a JSONata expression with the runtime's full evaluator's parser
/// (`jsonata-core`, the one version the workspace pins for both sides), so an
/// expression the build accepts is one the runtime parses: its
/// `JsonataExpr` parses the same text with the same parser on first use.
/// [`check_jsonata`] runs first (its messages point at a character); this
/// catches whatever it lets through that the evaluator refuses. Call it after
/// [`asl_lang::jsonata::guard`], whose refusals have a rule of their own.
pub fn parse_as_runtime(expression: &str) -> Result<(), String> {
    let expression = expression.trim();
    match std::panic::catch_unwind(|| jsonata_core::parser::parse(expression)) {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(format!("JSONata syntax error: {e}")),
        Err(_) => Err("the JSONata parser failed on this expression (internal error)".into()),
    }
}

use asl_lang::jsonata::skip_quoted;

// ------------------------------------------------------------------ JSONPath

/// Parses a JSONPath into its root and steps.
pub fn parse_json_path(text: &str) -> Result<JsonPath, String> {
    // Jayway trims the path before it compiles it: `"$$.Execution.Name "` (a
    // deployed definition writes it so) is `$$.Execution.Name`.
    let text = text.trim_matches([' ', '\t', '\n', '\r']);
    let mut p = PathParser {
        chars: text.chars().collect(),
        pos: 0,
        text,
    };
    let root = p.root()?;
    let mut steps = Vec::new();
    while p.pos < p.chars.len() {
        steps.push(p.step()?);
    }
    let query = render_query(&steps);
    Ok(JsonPath {
        root,
        steps,
        text: text.to_string(),
        query,
    })
}

struct PathParser<'a> {
    chars: Vec<char>,
    pos: usize,
    text: &'a str,
}

impl PathParser<'_> {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn err(&self, what: &str) -> String {
        match self.peek() {
            Some(c) => format!(
                "invalid path `{}`: {what}, found `{c}` at character {}",
                self.text,
                self.pos + 1
            ),
            None => format!(
                "invalid path `{}`: {what}, found the end of the path",
                self.text
            ),
        }
    }

    fn root(&mut self) -> Result<Root, String> {
        if self.peek() != Some('$') {
            return Err(self.err("a path must start with `$`"));
        }
        self.pos += 1;
        match self.peek() {
            Some('$') => {
                self.pos += 1;
                match self.peek() {
                    None | Some('.' | '[') => Ok(Root::Context),
                    _ => Err(self.err("expected `.` or `[` after `$$`")),
                }
            }
            Some(c) if c.is_ascii_alphabetic() || c == '_' => {
                let start = self.pos;
                while let Some(c) = self.peek() {
                    if c.is_ascii_alphanumeric() || c == '_' {
                        self.pos += 1;
                    } else {
                        break;
                    }
                }
                let name: String = self.chars[start..self.pos].iter().collect();
                match self.peek() {
                    None | Some('.' | '[') => Ok(Root::Variable(name)),
                    _ => Err(self.err("a variable name has only letters, digits and `_`")),
                }
            }
            None | Some('.' | '[') => Ok(Root::Input),
            _ => Err(self.err("expected `.` or `[` after `$`")),
        }
    }

    fn step(&mut self) -> Result<Step, String> {
        match self.peek() {
            Some('.') => {
                self.pos += 1;
                match self.peek() {
                    Some('.') => {
                        self.pos += 1;
                        let inner = match self.peek() {
                            Some('*') => {
                                self.pos += 1;
                                Step::Wildcard
                            }
                            Some('[') => self.bracket()?,
                            _ => Step::Field(self.dot_name()?),
                        };
                        Ok(Step::Descendant(Box::new(inner)))
                    }
                    Some('*') => {
                        self.pos += 1;
                        Ok(Step::Wildcard)
                    }
                    // Jayway JsonPath, which Step Functions evaluates paths with,
                    // reads `.[` as `[`: `$.[0]`, `$.a.['b c']`, `$.[?(@.x > 0)]`
                    // (AWS's own paths page writes it so).
                    Some('[') => self.bracket(),
                    _ => self.dot_name_or_function(),
                }
            }
            Some('[') => self.bracket(),
            // Jayway reads a name straight after a bracket as the next field:
            // `$['a']b` is `$.a.b`.
            Some(c) if c != ' ' && self.pos > 0 && self.chars[self.pos - 1] == ']' => {
                self.dot_name_or_function()
            }
            _ => Err(self.err("expected `.` or `[`")),
        }
    }

    /// A dot name, or a path function `name(...)` (Jayway's
    /// `readPropertyOrFunctionToken`).
    fn dot_name_or_function(&mut self) -> Result<Step, String> {
        let name = self.dot_name()?;
        if self.peek() != Some('(') {
            return Ok(Step::Field(name));
        }
        let args = self.balanced_parens()?;
        Ok(Step::Function(format!("{name}({args})")))
    }

    /// A name after `.`: up to the next unescaped `.`, `[` or `(`. As in Jayway,
    /// a space is the one character it cannot hold (quote it instead).
    fn dot_name(&mut self) -> Result<String, String> {
        let mut name = String::new();
        while let Some(c) = self.peek() {
            match c {
                '.' | '[' | '(' => break,
                '\\' => {
                    self.pos += 1;
                    match self.peek() {
                        Some(next) => name.push(next),
                        None => return Err(self.err("expected a character after `\\`")),
                    }
                    self.pos += 1;
                }
                ' ' => {
                    return Err(self.err("unexpected space in a field name (quote it: `['name']`)"));
                }
                c => {
                    name.push(c);
                    self.pos += 1;
                }
            }
        }
        if name.is_empty() {
            return Err(self.err("expected a field name"));
        }
        Ok(name)
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
    }

    fn expect(&mut self, c: char) -> Result<(), String> {
        self.skip_ws();
        if self.peek() == Some(c) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.err(&format!("expected `{c}`")))
        }
    }

    /// `[...]` starting at `[`.
    fn bracket(&mut self) -> Result<Step, String> {
        self.pos += 1;
        self.skip_ws();
        let step = match self.peek() {
            Some('*') => {
                self.pos += 1;
                Step::Wildcard
            }
            Some('?') => {
                self.pos += 1;
                self.skip_ws();
                if self.peek() != Some('(') {
                    return Err(self.err("expected `(` after `?` in a filter"));
                }
                Step::Filter(self.balanced_parens()?)
            }
            Some('(') => Step::Script(self.balanced_parens()?),
            Some('\'' | '"') => {
                let mut names = vec![self.quoted()?];
                self.skip_ws();
                while self.peek() == Some(',') {
                    self.pos += 1;
                    self.skip_ws();
                    names.push(self.quoted()?);
                    self.skip_ws();
                }
                if names.len() == 1 {
                    Step::Field(names.remove(0))
                } else {
                    Step::Union(names.into_iter().map(Step::Field).collect())
                }
            }
            Some('-' | '0'..='9' | ':') => self.index_or_slice()?,
            _ => {
                return Err(self
                    .err("expected an index, a quoted name, `*`, a slice or a filter inside `[`"));
            }
        };
        self.expect(']')?;
        Ok(step)
    }

    /// `(...)` with nested parentheses and quotes; returns the text inside.
    fn balanced_parens(&mut self) -> Result<String, String> {
        let start = self.pos;
        let mut depth = 0usize;
        let mut quote: Option<char> = None;
        while let Some(c) = self.peek() {
            self.pos += 1;
            match (quote, c) {
                (Some(_), '\\') => self.pos += 1,
                (Some(q), c) if c == q => quote = None,
                (Some(_), _) => {}
                (None, '\'' | '"') => quote = Some(c),
                (None, '(') => depth += 1,
                (None, ')') => {
                    depth -= 1;
                    if depth == 0 {
                        return Ok(self.chars[start + 1..self.pos - 1].iter().collect());
                    }
                }
                _ => {}
            }
        }
        Err(self.err("unclosed `(`"))
    }

    fn quoted(&mut self) -> Result<String, String> {
        let q = match self.peek() {
            Some(c @ ('\'' | '"')) => c,
            _ => return Err(self.err("expected a quoted name")),
        };
        self.pos += 1;
        let mut name = String::new();
        loop {
            match self.peek() {
                None => return Err(self.err(&format!("unterminated name, missing `{q}`"))),
                // AWS reads a bracketed name verbatim: `$['a\"b']` is the key `a\"b`.
                // A backslash only keeps the next character from closing the quote.
                Some('\\') => {
                    name.push('\\');
                    self.pos += 1;
                    match self.peek() {
                        Some(c) => name.push(c),
                        None => return Err(self.err("expected a character after `\\`")),
                    }
                    self.pos += 1;
                }
                Some(c) if c == q => {
                    self.pos += 1;
                    return Ok(name);
                }
                Some(c) => {
                    name.push(c);
                    self.pos += 1;
                }
            }
        }
    }

    fn integer(&mut self) -> Result<Option<i64>, String> {
        self.skip_ws();
        let start = self.pos;
        if self.peek() == Some('-') {
            self.pos += 1;
        }
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.pos += 1;
        }
        let text: String = self.chars[start..self.pos].iter().collect();
        if text.is_empty() {
            return Ok(None);
        }
        let value = text
            .parse::<i64>()
            .map_err(|_| self.err("expected an integer"))?;
        self.skip_ws();
        Ok(Some(value))
    }

    fn index_or_slice(&mut self) -> Result<Step, String> {
        let first = self.integer()?;
        match self.peek() {
            Some(':') => {
                self.pos += 1;
                let end = self.integer()?;
                let step = if self.peek() == Some(':') {
                    self.pos += 1;
                    self.integer()?
                } else {
                    None
                };
                Ok(Step::Slice {
                    start: first,
                    end,
                    step,
                })
            }
            Some(',') => {
                let mut items = vec![Step::Index(
                    first.ok_or_else(|| self.err("expected an index"))?,
                )];
                while self.peek() == Some(',') {
                    self.pos += 1;
                    let next = self
                        .integer()?
                        .ok_or_else(|| self.err("expected an index"))?;
                    items.push(Step::Index(next));
                }
                Ok(Step::Union(items))
            }
            _ => Ok(Step::Index(
                first.ok_or_else(|| self.err("expected an index"))?,
            )),
        }
    }
}

/// The query text for jsonpath-rust: rooted at `$` (the runtime picks the root
/// value: input, context object or variable) with every name in bracket form, so
/// escaped dots and unusual characters need no escaping rules of their own.
fn render_query(steps: &[Step]) -> String {
    let mut out = String::from("$");
    for step in steps {
        render_step(step, &mut out);
    }
    out
}

fn render_step(step: &Step, out: &mut String) {
    match step {
        Step::Field(name) => {
            out.push_str("['");
            out.push_str(&name.replace('\\', "\\\\").replace('\'', "\\'"));
            out.push_str("']");
        }
        Step::Index(i) => out.push_str(&format!("[{i}]")),
        Step::Wildcard => out.push_str("[*]"),
        Step::Descendant(inner) => {
            out.push_str("..");
            render_step(inner, out);
        }
        Step::Slice { start, end, step } => {
            let part = |v: &Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
            out.push_str(&format!("[{}:{}", part(start), part(end)));
            if step.is_some() {
                out.push_str(&format!(":{}", part(step)));
            }
            out.push(']');
        }
        Step::Union(items) => {
            let parts: Vec<String> = items
                .iter()
                .map(|s| {
                    let mut one = String::new();
                    render_step(s, &mut one);
                    one.trim_start_matches('[')
                        .trim_end_matches(']')
                        .to_string()
                })
                .collect();
            out.push_str(&format!("[{}]", parts.join(",")));
        }
        Step::Filter(text) => out.push_str(&format!("[?({})]", quote_bare_words(text))),
        Step::Script(text) => out.push_str(&format!("[({text})]")),
        // Looked up as a field of that name: Step Functions does not evaluate
        // path functions (see [`Step::Function`]).
        Step::Function(call) => render_step(&Step::Field(call.clone()), out),
    }
}

/// In a filter, Jayway-style JSONPath (which Step Functions and the linters
/// accept) lets a comparison name a string without quotes: `@.key == FooBar`.
/// RFC 9535 evaluators such as jsonpath-rust need `'FooBar'`; quote such bare
/// words, leaving paths (`@.a`, `$.b`), numbers, `true`/`false`/`null`, function
/// names (`length(...)`) and quoted strings as they are.
fn quote_bare_words(filter: &str) -> String {
    let chars: Vec<char> = filter.chars().collect();
    let mut out = String::with_capacity(filter.len() + 8);
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\'' | '"' => {
                let end = skip_quoted(&chars, i).unwrap_or(chars.len());
                out.extend(&chars[i..end]);
                i = end;
            }
            '@' | '$' => {
                let end = (i..chars.len())
                    .find(|&k| chars[k].is_whitespace() || "=!<>&|(),".contains(chars[k]))
                    .unwrap_or(chars.len());
                out.extend(&chars[i..end]);
                i = end;
            }
            c if c.is_alphabetic() || c == '_' => {
                let end = (i..chars.len())
                    .find(|&k| !(chars[k].is_alphanumeric() || chars[k] == '_' || chars[k] == '-'))
                    .unwrap_or(chars.len());
                let word: String = chars[i..end].iter().collect();
                let next = chars[end..].iter().find(|c| !c.is_whitespace());
                if matches!(word.as_str(), "true" | "false" | "null") || next == Some(&'(') {
                    out.push_str(&word);
                } else {
                    out.push('\'');
                    out.push_str(&word);
                    out.push('\'');
                }
                i = end;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

// ------------------------------------------------------------------ intrinsics

/// Parses an intrinsic function call, nested calls included, and checks its
/// argument count and literal argument types.
pub fn parse_intrinsic(text: &str) -> Result<Call, String> {
    let mut p = CallParser {
        text,
        pos: 0,
        depth: 0,
    };
    let call = p.call()?;
    p.skip_ws();
    if p.pos < text.len() {
        return Err(format!(
            "unexpected text `{}` after the intrinsic function call",
            &text[p.pos..]
        ));
    }
    Ok(call)
}

struct CallParser<'a> {
    text: &'a str,
    pos: usize,
    /// Calls open around the one being read.
    depth: usize,
}

impl CallParser<'_> {
    fn rest(&self) -> &str {
        &self.text[self.pos..]
    }

    fn skip_ws(&mut self) {
        let trimmed = self.rest().trim_start();
        self.pos = self.text.len() - trimmed.len();
    }

    fn call(&mut self) -> Result<Call, String> {
        let start = self.pos;
        let name_len = self
            .rest()
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '_'))
            .unwrap_or(self.rest().len());
        let name = self.rest()[..name_len].to_string();
        let function = Function::from_name(&name).ok_or_else(|| {
            if name.starts_with("States.") {
                format!("`{}` is not a JSONPath or intrinsic function expression: there is no intrinsic function `{name}`", self.text)
            } else {
                format!(
                    "`{}` is not a JSONPath or intrinsic function expression",
                    self.text
                )
            }
        })?;
        self.pos += name_len;
        if !self.rest().starts_with('(') {
            return Err(format!("expected `(` after `{name}`"));
        }
        self.pos += 1;
        let mut args = Vec::new();
        let mut raw_first: Option<String> = None;
        self.skip_ws();
        if self.rest().starts_with(')') {
            self.pos += 1;
        } else {
            loop {
                self.skip_ws();
                let arg_start = self.pos;
                let arg = self.arg()?;
                if args.is_empty() && matches!(arg, Arg::String(_)) {
                    // Between the quotes, escapes kept.
                    raw_first = Some(self.text[arg_start + 1..self.pos - 1].to_string());
                }
                args.push(arg);
                self.skip_ws();
                match self.rest().chars().next() {
                    Some(',') => self.pos += 1,
                    Some(')') => {
                        self.pos += 1;
                        break;
                    }
                    Some(c) => {
                        return Err(format!(
                            "expected `,` or `)` in the arguments of `{name}`, found `{c}`"
                        ));
                    }
                    None => return Err(format!("missing `)` at the end of `{name}(...)`")),
                }
            }
        }
        let call = Call {
            function,
            args,
            text: self.text[start..self.pos].to_string(),
            format_template: if function == Function::Format {
                raw_first
            } else {
                None
            },
        };
        check_arguments(&call)?;
        Ok(call)
    }

    fn arg(&mut self) -> Result<Arg, String> {
        let rest = self.rest();
        match rest.chars().next() {
            Some('\'') => self.string(),
            Some('$') => {
                let len = path_arg_len(rest);
                let path_text = rest[..len].trim_end();
                let path = parse_path(path_text)?;
                self.pos += len;
                Ok(Arg::Path(path))
            }
            Some('S') if rest.starts_with("States.") => {
                // Bounded before recursing: a 28 KB field of nested calls must
                // not take the parser (or the code it leads to) down.
                // The call about to be read is level `depth + 2` (the outermost is 1).
                if self.depth + 2 > asl_lang::intrinsics::MAX_NESTING {
                    return Err(format!(
                        "more than {0} intrinsic calls are nested here; asl accepts at most {0} levels",
                        asl_lang::intrinsics::MAX_NESTING
                    ));
                }
                self.depth += 1;
                let call = self.call();
                self.depth -= 1;
                Ok(Arg::Call(call?))
            }
            Some('-' | '0'..='9') => {
                let len = rest
                    .find(|c: char| {
                        !(c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | 'e' | 'E'))
                    })
                    .unwrap_or(rest.len());
                let number = serde_json::from_str::<serde_json::Number>(&rest[..len])
                    .map_err(|_| format!("invalid number `{}`", &rest[..len]))?;
                self.pos += len;
                Ok(Arg::Number(number))
            }
            _ => {
                for (word, arg) in [
                    ("true", Arg::Bool(true)),
                    ("false", Arg::Bool(false)),
                    ("null", Arg::Null),
                ] {
                    if rest.starts_with(word) {
                        self.pos += word.len();
                        return Ok(arg);
                    }
                }
                let found = rest
                    .chars()
                    .next()
                    .map_or("the end".to_string(), |c| format!("`{c}`"));
                Err(format!(
                    "expected an argument (a 'string', a number, true, false, null, a path or an intrinsic call), found {found}"
                ))
            }
        }
    }

    /// `'...'` with the escapes `\'`, `\{`, `\}` and `\\`.
    fn string(&mut self) -> Result<Arg, String> {
        self.pos += 1;
        let mut out = String::new();
        let mut chars = self.rest().char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some((_, e @ ('\'' | '{' | '}' | '\\'))) => out.push(e),
                    Some((_, other)) => {
                        out.push('\\');
                        out.push(other);
                    }
                    None => break,
                },
                '\'' => {
                    self.pos += i + 1;
                    return Ok(Arg::String(out));
                }
                c => out.push(c),
            }
        }
        Err("unterminated string argument: missing `'`".into())
    }
}

/// Length of a path argument: up to the `,` or `)` that ends it at top level.
fn path_arg_len(text: &str) -> usize {
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match (quote, c) {
            (_, '\\') => escaped = true,
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '[' | '(') => depth += 1,
            (None, ']') => depth -= 1,
            (None, ')') if depth > 0 => depth -= 1,
            (None, ',' | ')') if depth == 0 => return i,
            _ => {}
        }
    }
    text.len()
}

use asl_lang::intrinsics::ArgKind as Want;

/// Rule `asl::invalid-intrinsic` (argument part): the argument count matches the
/// function, and a literal argument has the type the function needs
/// (`States.MathAdd(1, '-1')` is rejected: MathAdd adds numbers).
fn check_arguments(call: &Call) -> Result<(), String> {
    let n = call.args.len();
    if !call.function.accepts_count(n) {
        let expected = call.function.expected_arguments();
        return Err(format!(
            "`{}` takes {expected} argument{}, but {n} {} given",
            call.function.name(),
            if expected == "1" { "" } else { "s" },
            if n == 1 { "was" } else { "were" }
        ));
    }
    for (i, arg) in call.args.iter().enumerate() {
        let want = call.function.arg_kind(i);
        let ok = match arg {
            Arg::Path(_) | Arg::Call(_) => true,
            Arg::Null => want == Want::Any,
            Arg::String(_) => matches!(want, Want::Any | Want::String),
            Arg::Number(_) => matches!(want, Want::Any | Want::Number),
            Arg::Bool(_) => matches!(want, Want::Any | Want::Bool),
        };
        if !ok {
            let what = match want {
                Want::Number => "a number",
                Want::String => "a string",
                Want::Bool => "a boolean",
                Want::Value | Want::Any => "a path or an intrinsic call",
            };
            return Err(format!(
                "argument {} of `{}` must be {what} (or a path)",
                i + 1,
                call.function.name()
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::Segment;

    #[test]
    fn reference_paths_map_to_segments() {
        let r = parse_reference_path("$.a['b c'][0]").unwrap();
        assert_eq!(r.root, Root::Input);
        assert_eq!(
            r.segments,
            vec![
                Segment::Field("a".into()),
                Segment::Field("b c".into()),
                Segment::Index(0)
            ]
        );
        let r = parse_reference_path("$$.Execution.Id").unwrap();
        assert_eq!(r.root, Root::Context);
        let r = parse_reference_path("$var[1].x").unwrap();
        assert_eq!(r.root, Root::Variable("var".into()));
        let r = parse_reference_path("$.store\\.book").unwrap();
        assert_eq!(r.segments, vec![Segment::Field("store.book".into())]);
    }

    #[test]
    fn bracketed_names_are_read_verbatim() {
        // Recorded against AWS: `$['Test\""Name"']` reads the key `Test\""Name"`.
        let r = parse_reference_path(r#"$['Test\""Name"']"#).unwrap();
        assert_eq!(r.segments, vec![Segment::Field(r#"Test\""Name""#.into())]);
        // The backslash still keeps the quote from closing the name.
        let r = parse_reference_path(r"$['it\'s']").unwrap();
        assert_eq!(r.segments, vec![Segment::Field(r"it\'s".into())]);
    }

    #[test]
    fn non_definite_paths_are_not_reference_paths() {
        for p in [
            "$.logs..pi",
            "$.a[*]",
            "$.a[0:2]",
            "$.a[?(@.b > 1)]",
            "$.a[0,1]",
            "$.a[-1]",
        ] {
            assert!(parse_path(p).is_ok(), "{p}");
            assert!(parse_reference_path(p).is_err(), "{p}");
        }
    }

    #[test]
    fn bad_paths_are_rejected() {
        for p in [
            ".guid", "..guid", "()", "$...", "$$23", "$.", "$.a[", "$.a b", "23", "$['x",
        ] {
            assert!(parse_path(p).is_err(), "{p}");
        }
    }

    #[test]
    fn query_text_is_bracketed() {
        let Path::Query(q) = parse_path("$.logs..pi").unwrap() else {
            panic!()
        };
        assert_eq!(q.query, "$['logs']..['pi']");
    }

    #[test]
    fn intrinsic_calls_nest_and_unescape() {
        let c = parse_intrinsic(
            "States.Format('Welcome to {} {}\\'s playlist.', $.firstName, States.UUID())",
        )
        .unwrap();
        assert_eq!(c.function, Function::Format);
        assert_eq!(c.args.len(), 3);
        assert_eq!(
            c.args[0],
            Arg::String("Welcome to {} {}'s playlist.".into())
        );
        assert_eq!(
            c.format_template.as_deref(),
            Some("Welcome to {} {}\\'s playlist.")
        );
        assert!(matches!(c.args[2], Arg::Call(_)));
        let c = parse_intrinsic("States.ArrayGetItem($.R[?(@.K == FooBar)].V, 0)").unwrap();
        assert!(matches!(&c.args[0], Arg::Path(Path::Query(_))));
    }

    #[test]
    fn intrinsic_argument_rules() {
        assert!(parse_intrinsic("States.MathAdd('-1', 'abc')").is_err());
        assert!(parse_intrinsic("States.MathAdd(1, -1)").is_ok());
        assert!(parse_intrinsic("States.UUID(1)").is_err());
        assert!(parse_intrinsic("States.Nope(1)").is_err());
        assert!(parse_expression("leftpad($.a)").is_err());
        assert!(parse_intrinsic("States.Format('a'").is_err());
    }

    #[test]
    fn jsonata_strings() {
        assert!(jsonata("{% 1+2 %}").is_some());
        assert!(jsonata("10 %}").is_none());
        for bad in [
            "{% (1 %}",
            "{%  %}",
            "{% $.a[?(@.b < 10)].c %}",
            "{% $ ~> |a|{} %}",
            "{% a | b %}",
            "{% 1 + %}",
            "{% 'x %}",
            "{% a b %}",
        ] {
            assert!(check_jsonata(&jsonata(bad).unwrap()).is_err(), "{bad}");
        }
        for good in [
            "{% 1+2 %}",
            "{% $states.input.data.items %}",
            "{% $x > 1 ? 'a' : \"b\" %}",
            "{% $map([1,2], function($v){ $v * 2 }) %}",
            "{% {'a': [], 'b': {}} %}",
            "{% $.a[b > 1].c %}",
            "{% $string(-1) & `x y` %}",
            "{% $contains($s, /ab+c/i) and true %}",
            "{% ( $a := 1; $a ) %}",
            "{% a.**.b[0] %}",
            "{% $ ~> |Account.Order|{'Total': Price * Qty}, ['Price']| %}",
            "{% $substring(?, 0, 2) %}",
        ] {
            assert!(check_jsonata(&jsonata(good).unwrap()).is_ok(), "{good}");
            let expression = jsonata(good).unwrap().expression;
            assert_eq!(parse_as_runtime(&expression), Ok(()), "{good}");
        }
        // The compiler's own check lets these through; the runtime's parser
        // does not, and says why with JSONata's code.
        for (text, code) in [("$.7", "S0213"), ("\"\\u12\"", "S0104"), ("2(3)", "T1006")] {
            assert_eq!(asl_lang::jsonata::check_syntax(text), Ok(()), "{text}");
            let refused = parse_as_runtime(text).unwrap_err();
            assert!(refused.contains(code), "{text}: {refused}");
        }
    }
}
