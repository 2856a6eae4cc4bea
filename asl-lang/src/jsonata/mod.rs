//! JSONata in Step Functions: which strings are expressions (`{% ... %}`), a
//! syntax check that needs no evaluator, and the guard that refuses what the
//! runtime's evaluator cannot run.
//!
//! The compiler runs [`check_syntax`] and [`guard`] on every expression at build
//! time; the runtime runs the same [`guard`] before it prepares an expression, so
//! an expression the build accepts is one the run accepts.

pub mod ast;

/// The deepest nesting of `(`, `[` and `{` an expression's text may have.
/// jsonata-rs parses and evaluates by recursion: 100 levels of predicates
/// overflowed a 2 MiB thread stack in a debug build (found by `asl-fuzz`); 64
/// leaves room on every build.
pub const MAX_NESTING: usize = 64;

/// The expression of a string that is exactly one `{% ... %}`: `Some(inner)`
/// (trimmed) when `text` starts with `{%` and ends with `%}`, else `None` (a
/// literal string).
///
/// ```
/// use asl_lang::jsonata::expression_of;
/// assert_eq!(expression_of("{% $states.input %}"), Some("$states.input"));
/// assert_eq!(expression_of("$states.input"), None);
/// assert_eq!(expression_of("a {% 1 %}"), None);
/// ```
pub fn expression_of(text: &str) -> Option<&str> {
    let inner = text.strip_prefix("{%")?.strip_suffix("%}")?;
    Some(inner.trim())
}

/// Whether `c` continues a name or a `$variable`: JSONata (and jsonata-rs, the
/// runtime's evaluator) reads a name up to whitespace or an operator character,
/// so quotes and other punctuation are part of it. The guard must read names
/// the same way, or it would count brackets the evaluator's parser recurses into
/// as if they were inside a string.
fn name_char(c: char) -> bool {
    !matches!(
        c,
        '\t' | '\n'
            | '\u{000B}'
            | '\u{000C}'
            | '\r'
            | ' '
            | '.'
            | '['
            | ']'
            | '{'
            | '}'
            | '('
            | ')'
            | ','
            | '@'
            | '#'
            | ';'
            | ':'
            | '?'
            | '+'
            | '-'
            | '*'
            | '/'
            | '%'
            | '|'
            | '='
            | '<'
            | '>'
            | '^'
            | '&'
            | '!'
            | '~'
    )
}

/// Why [`guard`] refuses an expression: JSONata's error code and a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// `U1001` (nesting too deep) or `S0217` (a construct the evaluator lacks).
    pub code: &'static str,
    pub message: String,
}

/// Refuses what AWS accepts but the runtime's evaluator (jsonata-rs) cannot run,
/// and nesting past [`MAX_NESTING`]; otherwise returns what [`lex`] found.
///
/// ```
/// use asl_lang::jsonata::guard;
/// assert!(guard("$states.input.a + 1").is_ok());
/// assert_eq!(guard("a.%.b").unwrap_err().code, "S0217");
/// assert_eq!(guard("$f(?, 1)").unwrap_err().code, "S0217");
/// ```
pub fn guard(source: &str) -> Result<Lexed, Refusal> {
    let lexed = lex(source);
    let refuse = |code, message: String| Err(Refusal { code, message });
    if lexed.max_nesting > MAX_NESTING {
        return refuse(
            "U1001",
            format!(
                "The expression nests brackets {} deep; at most {MAX_NESTING} are supported",
                lexed.max_nesting
            ),
        );
    }
    if lexed.parent_operator {
        return refuse(
            "S0217",
            "The parent operator '%' is not supported by this evaluator".into(),
        );
    }
    if lexed.uncallable_call {
        // jsonata-rs's parser reaches an `unreachable!` on a call whose callee is
        // not a name or a variable.
        return refuse(
            "S0217",
            "Only a function name or a variable can be called here (not a literal, a lambda where it is defined, or a call's or index's result); bind it to a variable first".into(),
        );
    }
    if lexed.partial_application {
        // jsonata-rs's parser reaches an `unreachable!` on the placeholder.
        return refuse(
            "S0217",
            "Partial function application ('?' as an argument) is not supported by this evaluator"
                .into(),
        );
    }
    Ok(lexed)
}

/// Checks the syntax of a JSONata expression without evaluating it: tokens are
/// well formed, brackets balance, and operands and operators alternate (an
/// infix operator such as `?`, `=` or `~>` needs an operand on each side).
/// `{% $.a[?(@.b < 10)] %}` fails: `?` right after `[` has no left operand.
/// Not a full JSONata parser; the runtime's evaluator reports what remains.
pub fn check_syntax(expression: &str) -> Result<(), String> {
    let e = expression.trim();
    if e.is_empty() {
        return Err("the JSONata expression between `{%` and `%}` is empty".into());
    }
    let chars: Vec<char> = e.chars().collect();
    let mut i = 0;
    // Open brackets, and whether we are waiting for an operand.
    let mut stack: Vec<char> = Vec::new();
    let mut want_operand = true;
    let mut just_opened = false;
    let err = |what: String, at: usize| {
        Err(format!(
            "JSONata syntax error at character {}: {what}",
            at + 1
        ))
    };
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        let opened = just_opened;
        just_opened = false;
        if c.is_whitespace() {
            i += 1;
            just_opened = opened;
            continue;
        }
        if c == '/' && chars.get(i + 1) == Some(&'*') {
            match e[char_offset(&chars, i + 2)..].find("*/") {
                Some(end) => {
                    i = chars
                        .len()
                        .min(i + 2 + e[char_offset(&chars, i + 2)..][..end].chars().count() + 2)
                }
                None => return err("unterminated comment".into(), start),
            }
            just_opened = opened;
            continue;
        }
        if want_operand {
            match c {
                '"' | '\'' | '`' => {
                    i = skip_quoted(&chars, i).ok_or_else(|| {
                        format!(
                            "JSONata syntax error: unterminated {c}-quoted text at character {}",
                            start + 1
                        )
                    })?
                }
                '0'..='9' => {
                    while i < chars.len()
                        && (chars[i].is_ascii_alphanumeric()
                            || chars[i] == '.'
                                && chars.get(i + 1).is_some_and(char::is_ascii_digit))
                    {
                        i += 1;
                    }
                }
                '$' => {
                    i += 1;
                    while i < chars.len() && name_char(chars[i]) {
                        i += 1;
                    }
                }
                '/' => {
                    // A regular expression literal.
                    i += 1;
                    while i < chars.len() && chars[i] != '/' {
                        if chars[i] == '\\' {
                            i += 1;
                        }
                        i += 1;
                    }
                    if i >= chars.len() {
                        return err("unterminated regular expression".into(), start);
                    }
                    i += 1;
                    while i < chars.len() && chars[i].is_ascii_alphabetic() {
                        i += 1;
                    }
                }
                '(' | '[' | '{' => {
                    stack.push(c);
                    i += 1;
                    just_opened = true;
                    continue;
                }
                ')' | ']' | '}' if opened => {
                    close(&mut stack, c).map_err(|m| {
                        format!("JSONata syntax error at character {}: {m}", start + 1)
                    })?;
                    i += 1;
                    want_operand = false;
                    continue;
                }
                '-' | '+' => {
                    // Unary sign: still waiting for the operand.
                    i += 1;
                    continue;
                }
                '*' | '%' => {
                    // Wildcard, descendant `**`, parent `%`.
                    i += 1;
                    if c == '*' && chars.get(i) == Some(&'*') {
                        i += 1;
                    }
                }
                c if c.is_alphabetic() || c == '_' || c == 'λ' => {
                    while i < chars.len() && name_char(chars[i]) {
                        i += 1;
                    }
                }
                '|' => {
                    // A transform `| location | update |` starts here.
                    stack.push('|');
                    i += 1;
                    continue;
                }
                '?' if chars[i + 1..]
                    .iter()
                    .find(|c| !c.is_whitespace())
                    .is_some_and(|&n| n == ',' || n == ')') =>
                {
                    // The placeholder of a partial application: `$f(?, 2)`.
                    i += 1;
                }
                other => return err(format!("expected an operand, found `{other}`"), start),
            }
            want_operand = false;
            continue;
        }
        // After an operand: an operator, a postfix bracket, or a closer.
        let two: String = chars[i..chars.len().min(i + 2)].iter().collect();
        match c {
            '(' | '[' | '{' => {
                stack.push(c);
                i += 1;
                want_operand = true;
                just_opened = true;
            }
            ')' | ']' | '}' => {
                close(&mut stack, c)
                    .map_err(|m| format!("JSONata syntax error at character {}: {m}", start + 1))?;
                i += 1;
            }
            _ if ["!=", "<=", ">=", "~>", ":=", "..", "?:", "??", "**"].contains(&two.as_str()) => {
                i += 2;
                want_operand = true;
            }
            '^' if chars.get(i + 1) == Some(&'(') => {
                stack.push('(');
                i += 2;
                want_operand = true;
            }
            '|' => {
                // The middle and the closing bar of a transform.
                match stack.last() {
                    Some('|') => {
                        stack.pop();
                        stack.push(TRANSFORM_UPDATE);
                        want_operand = true;
                    }
                    Some(&TRANSFORM_UPDATE) => {
                        stack.pop();
                    }
                    _ => {
                        return err(
                            "`|` outside a transform `| location | update |`".into(),
                            start,
                        );
                    }
                }
                i += 1;
            }
            '.' | '+' | '-' | '*' | '/' | '%' | '=' | '<' | '>' | '&' | '?' | ':' | ',' | ';'
            | '@' | '#' => {
                i += 1;
                want_operand = true;
            }
            c if c.is_alphabetic() => {
                let word_end = (i..chars.len())
                    .find(|&k| !chars[k].is_alphanumeric())
                    .unwrap_or(chars.len());
                let word: String = chars[i..word_end].iter().collect();
                if !["and", "or", "in"].contains(&word.as_str()) {
                    return err(format!("expected an operator, found `{word}`"), start);
                }
                i = word_end;
                want_operand = true;
            }
            other => return err(format!("expected an operator, found `{other}`"), start),
        }
    }
    if let Some(&open) = stack.last() {
        let open = if open == TRANSFORM_UPDATE { '|' } else { open };
        return Err(format!("JSONata syntax error: unclosed `{open}`"));
    }
    if want_operand {
        return Err(
            "JSONata syntax error: the expression ends where an operand is expected".into(),
        );
    }
    Ok(())
}

/// Marks a transform whose update part is being read (after its second `|`).
const TRANSFORM_UPDATE: char = '¦';

fn char_offset(chars: &[char], i: usize) -> usize {
    chars[..i.min(chars.len())]
        .iter()
        .map(|c| c.len_utf8())
        .sum()
}

/// Index just after the quoted text starting at `i` (a `'`, `"` or backquote),
/// or `None` when it is unterminated.
pub fn skip_quoted(chars: &[char], i: usize) -> Option<usize> {
    let q = chars[i];
    let mut k = i + 1;
    while k < chars.len() {
        match chars[k] {
            '\\' if q != '`' => k += 2,
            c if c == q => return Some(k + 1),
            _ => k += 1,
        }
    }
    None
}

fn close(stack: &mut Vec<char>, c: char) -> Result<(), String> {
    let open = match c {
        ')' => '(',
        ']' => '[',
        _ => '{',
    };
    if stack.pop() == Some(open) {
        Ok(())
    } else {
        Err(format!("unbalanced `{c}`"))
    }
}

/// What [`lex`] found in an expression.
#[derive(Debug)]
pub struct Lexed {
    pub max_nesting: usize,
    pub parent_operator: bool,
    /// The transform operator `| ... | ... |` (or any `|`) occurs.
    pub transform: bool,
    /// `?` where an operand belongs: a partial application placeholder.
    pub partial_application: bool,
    /// A call of something that is not a name or a variable: a lambda where it is
    /// written (`function($x){...}(1)`), a literal, `$f(1)(2)`, `$fns[0](1)`.
    pub uncallable_call: bool,
    pub variables: Vec<String>,
    /// The members of `$states` read as `$states.name`; `None` when `$states` is
    /// used otherwise (as a whole).
    pub states_members: Option<Vec<StatesUse>>,
    /// Names and string literals in order of appearance (for member order).
    pub words: Vec<String>,
}

/// `.name` after optional whitespace at `from`: the name and where it ends.
fn dotted_name(chars: &[char], from: usize) -> Option<(String, usize)> {
    let skip = |mut i: usize| {
        while i < chars.len() && chars[i].is_whitespace() {
            i += 1;
        }
        i
    };
    let dot = skip(from);
    if chars.get(dot) != Some(&'.') {
        return None;
    }
    let start = skip(dot + 1);
    let mut end = start;
    while end < chars.len() && (chars[end].is_alphanumeric() || chars[end] == '_') {
        end += 1;
    }
    let name: String = chars[start..end].iter().collect();
    let plain = chars
        .get(start)
        .is_some_and(|c| c.is_alphabetic() || *c == '_')
        && !matches!(
            name.as_str(),
            "and" | "or" | "in" | "true" | "false" | "null" | "function"
        );
    plain.then_some((name, end))
}

/// Records one use of `$states` ending at `end`: which member, and which of that
/// member's own members it goes on to read (`$states.input.a` reads `a` only).
fn note_states_use(chars: &[char], end: usize, uses: &mut Option<Vec<StatesUse>>) {
    let Some(members) = uses else { return };
    let Some((member, after)) = dotted_name(chars, end) else {
        *uses = None;
        return;
    };
    let step = dotted_name(chars, after).map(|(name, _)| name);
    let entry = match members.iter_mut().find(|u| u.member == member) {
        Some(entry) => entry,
        None => {
            members.push(StatesUse {
                member,
                reads: Some(Vec::new()),
            });
            let last = members.len() - 1;
            &mut members[last]
        }
    };
    match (step, &mut entry.reads) {
        (Some(step), Some(reads)) => {
            if !reads.contains(&step) {
                reads.push(step);
            }
        }
        (None, reads) => *reads = None,
        (Some(_), None) => {}
    }
}

/// How an expression uses one member of `$states`.
#[derive(Debug)]
pub struct StatesUse {
    /// `input`, `result`, `errorOutput`, `context`.
    pub member: String,
    /// The member's own members it reads (`$states.input.a` reads `a`); `None`
    /// when the member is used otherwise (as a whole, indexed, ...).
    pub reads: Option<Vec<String>>,
}

/// A light scan of the expression text: bracket nesting, `$names`, the parent
/// operator, and the names and strings in order (string literals, comments and
/// regular expressions are skipped as JSONata's tokenizer does).
pub fn lex(source: &str) -> Lexed {
    let chars: Vec<char> = source.chars().collect();
    let mut out = Lexed {
        max_nesting: 0,
        parent_operator: false,
        transform: false,
        partial_application: false,
        uncallable_call: false,
        variables: Vec::new(),
        states_members: Some(Vec::new()),
        words: Vec::new(),
    };
    let mut depth = 0usize;
    // Whether an operand is expected next (so `%` is the parent operator and `/`
    // starts a regular expression).
    let mut operand_expected = true;
    // Whether the last token can be called: a `$name` or a name (`function`).
    let mut callable = false;
    // After `#` or `@`: the `$name` that follows binds, it is not a value to call.
    let mut binding = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let was_callable = std::mem::take(&mut callable);
        let was_binding = std::mem::take(&mut binding);
        if c == '(' && !operand_expected && !was_callable {
            out.uncallable_call = true;
        }
        match c {
            '"' | '\'' | '`' => {
                let mut text = String::new();
                i += 1;
                while i < chars.len() && chars[i] != c {
                    if chars[i] == '\\' && i + 1 < chars.len() {
                        i += 1;
                    }
                    text.push(chars[i]);
                    i += 1;
                }
                i += 1;
                out.words.push(text);
                operand_expected = false;
                continue;
            }
            '/' if i + 1 < chars.len() && chars[i + 1] == '*' => {
                i += 2;
                while i + 1 < chars.len() && !(chars[i] == '*' && chars[i + 1] == '/') {
                    i += 1;
                }
                i += 2;
                continue;
            }
            '/' if operand_expected => {
                i += 1;
                while i < chars.len() && chars[i] != '/' {
                    if chars[i] == '\\' {
                        i += 1;
                    }
                    i += 1;
                }
                i += 1;
                while i < chars.len() && chars[i].is_ascii_alphabetic() {
                    i += 1;
                }
                operand_expected = false;
                continue;
            }
            '(' | '[' | '{' => {
                depth += 1;
                out.max_nesting = out.max_nesting.max(depth);
                operand_expected = true;
            }
            ')' | ']' | '}' => {
                depth = depth.saturating_sub(1);
                operand_expected = false;
            }
            '*' if operand_expected => {
                // The wildcard `*` or descendants `**`: an operand, not an operator.
                i += if chars.get(i + 1) == Some(&'*') { 2 } else { 1 };
                operand_expected = false;
                continue;
            }
            '#' | '@' => {
                binding = true;
                operand_expected = true;
            }
            '?' => {
                if operand_expected {
                    out.partial_application = true;
                }
                operand_expected = true;
            }
            '|' => {
                out.transform = true;
                operand_expected = true;
            }
            '%' => {
                if operand_expected {
                    out.parent_operator = true;
                }
                operand_expected = true;
            }
            '$' => {
                let start = i + 1;
                let mut end = start;
                while end < chars.len() && name_char(chars[end]) {
                    end += 1;
                }
                if end > start {
                    let name: String = chars[start..end].iter().collect();
                    if name == "states" {
                        note_states_use(&chars, end, &mut out.states_members);
                    }
                    if !out.variables.contains(&name) {
                        out.variables.push(name);
                    }
                }
                i = end.max(start);
                operand_expected = false;
                callable = !was_binding;
                continue;
            }
            c if c.is_alphanumeric() || c == '_' => {
                let start = i;
                // A name runs to whitespace or an operator, as jsonata-rs reads it
                // (quotes included: `ts'x` is one name); a number is alphanumeric.
                let in_token = |c: char| {
                    if start < chars.len() && chars[start].is_ascii_digit() {
                        c.is_alphanumeric() || c == '_'
                    } else {
                        name_char(c)
                    }
                };
                while i < chars.len() && in_token(chars[i]) {
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect();
                // `and`, `or`, `in` are operators only where an operator belongs.
                let keyword = !operand_expected && matches!(word.as_str(), "and" | "or" | "in");
                callable = !keyword
                    && !word.starts_with(|c: char| c.is_ascii_digit())
                    && !matches!(word.as_str(), "true" | "false" | "null");
                operand_expected = keyword;
                out.words.push(word);
                continue;
            }
            '.' if i + 1 < chars.len() && chars[i + 1] == '.' => {
                i += 2;
                operand_expected = true;
                continue;
            }
            _ => operand_expected = true,
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax() {
        for bad in [
            "(1",
            "  ",
            "$.a[?(@.b < 10)].c",
            "$ ~> |a|{}",
            "a | b",
            "1 +",
            "'x",
            "a b",
        ] {
            assert!(check_syntax(bad).is_err(), "{bad}");
        }
        for good in [
            "1+2",
            "$states.input.data.items",
            "$x > 1 ? 'a' : \"b\"",
            "$map([1,2], function($v){ $v * 2 })",
            "{'a': [], 'b': {}}",
            "$.a[b > 1].c",
            "$string(-1) & `x y`",
            "$contains($s, /ab+c/i) and true",
            "( $a := 1; $a )",
            "a.**.b[0]",
            "$ ~> |Account.Order|{'Total': Price * Qty}, ['Price']|",
            "$substring(?, 0, 2)",
        ] {
            assert!(check_syntax(good).is_ok(), "{good}");
        }
    }

    #[test]
    fn guard_refuses_what_the_evaluator_cannot_run() {
        for refused in [
            // A name runs through a quote: the brackets after it are code.
            &format!("ts'{}1{}'", "{\"a\":".repeat(200), "}".repeat(200)),
            &format!("$x'{}1{}'", "[".repeat(200), "]".repeat(200)),
            "a.%.b",
            "$substring(?, 0, 2)",
            "function($x){$x}(1)",
            "$f(1)(2)",
            &format!("{}1{}", "(".repeat(65), ")".repeat(65)),
        ] {
            assert!(guard(refused).is_err(), "{refused}");
        }
        for ok in ["10 % 3", "$f(1)", "$states.input.a ? 1 : 2", "$x.y[0]"] {
            assert!(guard(ok).is_ok(), "{ok}");
        }
    }
}
