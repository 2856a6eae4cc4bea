//! JSONata in Step Functions: which strings are expressions (`{% ... %}`), a
//! syntax check that needs no evaluator, and the guard that refuses what Step
//! Functions' JSONata (2.0.6) does not have and what the runtime's evaluator
//! cannot run.
//!
//! The compiler runs [`check_syntax`] and [`guard`] on every expression at build
//! time; the runtime runs the same [`guard`] before it prepares an expression, so
//! an expression the build accepts is one the run accepts.

pub mod ast;

/// The deepest nesting of `(`, `[` and `{` an expression's text may have.
/// The compiler's own tree and the native evaluator walk an expression by
/// recursion; 64 levels leave room on a 2 MiB thread stack in every build.
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

/// Whether `c` continues a name or a `$variable`: JSONata reads a name up to whitespace or an operator character,
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

/// Why [`guard`] refuses an expression: JSONata's error code, a message, and
/// what to do about it (with the statement of AWS's that the refusal follows).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// `U1001` (nesting too deep), `S0201` (an operator Step Functions' JSONata
    /// does not have) or `S0217` (a regular expression the evaluator cannot run).
    pub code: &'static str,
    pub message: String,
    /// What to do instead, and why.
    pub help: &'static str,
}

/// Refuses what Step Functions' JSONata does not have (JSONata 2.1's `??` and
/// `?:`), regular expressions the runtime's evaluator (the `regex` crate: no
/// lookaround, no backreferences) cannot run, and nesting past
/// [`MAX_NESTING`]; otherwise returns what [`lex`] found.
///
/// ```
/// use asl_lang::jsonata::guard;
/// assert!(guard("$states.input.a + 1").is_ok());
/// assert!(guard("a.%.b").is_ok());
/// assert!(guard("$f(?, 1)").is_ok());
/// assert_eq!(guard("$x ?? 1").unwrap_err().code, "S0201");
/// assert_eq!(guard("$x ?: 1").unwrap_err().code, "S0201");
/// assert_eq!(guard("$match($x, /a(?=b)/)").unwrap_err().code, "S0217");
/// ```
pub fn guard(source: &str) -> Result<Lexed, Refusal> {
    let lexed = lex(source);
    if lexed.max_nesting > MAX_NESTING {
        return Err(Refusal {
            code: "U1001",
            message: format!(
                "The expression nests brackets {} deep; at most {MAX_NESTING} are supported",
                lexed.max_nesting
            ),
            help: "split the expression: bind inner parts to variables with `:=` or `Assign`",
        });
    }
    if let Some(operator) = lexed.newer_operator {
        return Err(Refusal {
            code: "S0201",
            message: format!(
                "The operator `{operator}` is not part of JSONata 2.0.6, the version Step Functions runs"
            ),
            help: "write `$exists(a) ? a : b` for `a ?? b` and `a ? a : b` for `a ?: b` (AWS Step Functions Developer Guide, \"Transforming data with JSONata in Step Functions\": Step Functions implements JSONata 2.0.6; `??` and `?:` came with JSONata 2.1)",
        });
    }
    for pattern in &lexed.regexes {
        if let Some(what) = unsupported_regex(pattern) {
            return Err(Refusal {
                code: "S0217",
                message: format!(
                    "The regular expression /{pattern}/ uses {what}, which asl's JSONata evaluator cannot run"
                ),
                help: "rewrite the regular expression without lookaround (`(?=`, `(?!`, `(?<=`, `(?<!`) or backreferences (`\\1`, `\\k<name>`), or do that part of the work in a Task",
            });
        }
    }
    Ok(lexed)
}

/// What a regular expression literal uses that the `regex` crate (the runtime
/// evaluator's) does not have, if anything: lookaround or a backreference.
pub fn unsupported_regex(pattern: &str) -> Option<&'static str> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut in_class = false;
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '\\' => {
                match chars.get(i + 1) {
                    Some('1'..='9') if !in_class => return Some("a backreference"),
                    Some('k') if !in_class && chars.get(i + 2) == Some(&'<') => {
                        return Some("a backreference");
                    }
                    _ => {}
                }
                i += 2;
                continue;
            }
            '[' => in_class = true,
            ']' => in_class = false,
            '(' if !in_class && chars.get(i + 1) == Some(&'?') => {
                let next: String = chars[i + 2..].iter().take(2).collect();
                if next.starts_with('=') || next.starts_with('!') || next == "<=" || next == "<!" {
                    return Some("lookaround");
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
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
    // A sort term may start here (`^(` or a sort's `,` was just read), or a
    // block's `;` was.
    let mut sort_term = false;
    let mut after_semicolon = false;
    // `function`/`λ` was just read; the depths of the lambdas' parameter lists.
    let mut lambda_next = false;
    let mut lambda_lists: Vec<usize> = Vec::new();
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
        let sorting = std::mem::take(&mut sort_term);
        let semicolon = std::mem::take(&mut after_semicolon);
        // Only the token right after `function` opens its parameter list.
        let lambda_open = std::mem::take(&mut lambda_next);
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
                '<' | '>' if sorting => {
                    // The direction of a sort term: `^(>price, <name)`.
                    i += 1;
                    continue;
                }
                ')' | ']' | '}' if opened || (c == ')' && semicolon) => {
                    let depth = stack.len();
                    close(&mut stack, c).map_err(|m| {
                        format!("JSONata syntax error at character {}: {m}", start + 1)
                    })?;
                    i += 1;
                    if c == ')' && lambda_lists.last() == Some(&depth) {
                        lambda_lists.pop();
                        i = skip_signature(&chars, i);
                    }
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
                    let word: String = chars[start..i].iter().collect();
                    if matches!(word.as_str(), "function" | "λ") {
                        want_operand = false;
                        lambda_next = true;
                        continue;
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
                if lambda_open && c == '(' {
                    lambda_lists.push(stack.len());
                }
                i += 1;
                want_operand = true;
                just_opened = true;
            }
            ')' | ']' | '}' => {
                let depth = stack.len();
                close(&mut stack, c)
                    .map_err(|m| format!("JSONata syntax error at character {}: {m}", start + 1))?;
                i += 1;
                if c == ')' && lambda_lists.last() == Some(&depth) {
                    lambda_lists.pop();
                    i = skip_signature(&chars, i);
                }
            }
            _ if ["!=", "<=", ">=", "~>", ":=", "..", "?:", "??", "**"].contains(&two.as_str()) => {
                i += 2;
                want_operand = true;
            }
            '^' if chars.get(i + 1) == Some(&'(') => {
                stack.push(SORT_OPEN);
                i += 2;
                want_operand = true;
                sort_term = true;
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
                // A sort's next term may start with `<` or `>`; a block's last
                // expression may be followed by `;` (`(1; 2;)`).
                sort_term = c == ',' && stack.last() == Some(&SORT_OPEN);
                after_semicolon = c == ';' && stack.last() == Some(&'(');
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

/// Past a lambda's signature (`<n?:n>`, `<a<n>:n>`) when one starts at `i`
/// (after whitespace): a signature is not an expression.
fn skip_signature(chars: &[char], mut i: usize) -> usize {
    let mut j = i;
    while j < chars.len() && chars[j].is_whitespace() {
        j += 1;
    }
    if chars.get(j) != Some(&'<') {
        return i;
    }
    let mut open = 0usize;
    while j < chars.len() {
        match chars[j] {
            '<' => open += 1,
            '>' => {
                open -= 1;
                if open == 0 {
                    i = j + 1;
                    break;
                }
            }
            _ => {}
        }
        j += 1;
    }
    if open > 0 { chars.len() } else { i }
}

/// Marks a transform whose update part is being read (after its second `|`).
const TRANSFORM_UPDATE: char = '¦';
/// The bracket of a sort `^( ... )`, whose terms may start with `<` or `>`.
const SORT_OPEN: char = '^';

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
    let top = stack.pop();
    if top == Some(open) || (c == ')' && top == Some(SORT_OPEN)) {
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
    /// A JSONata 2.1 operator Step Functions does not have: `??` or `?:`.
    pub newer_operator: Option<&'static str>,
    /// The regular expression literals, without their slashes and flags.
    pub regexes: Vec<String>,
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
        newer_operator: None,
        regexes: Vec::new(),
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
    // A lambda's parameter list: `function` (or `λ`) was read, its `(` is
    // awaited; the depths of the lists open; whether a `<signature>` may follow.
    let mut lambda_next = false;
    let mut lambda_lists: Vec<usize> = Vec::new();
    let mut signature_next = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if std::mem::take(&mut signature_next) && c == '<' {
            // A signature (`<n?:n>`, `<a<n>:n>`) is not an expression: skip it.
            let mut open = 0usize;
            while i < chars.len() {
                match chars[i] {
                    '<' => open += 1,
                    '>' => {
                        open -= 1;
                        if open == 0 {
                            break;
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
            i += 1;
            continue;
        }
        if std::mem::take(&mut lambda_next) && c == '(' {
            lambda_lists.push(depth + 1);
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
                let start = i;
                while i < chars.len() && chars[i] != '/' {
                    if chars[i] == '\\' {
                        i += 1;
                    }
                    i += 1;
                }
                out.regexes
                    .push(chars[start..i.min(chars.len())].iter().collect());
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
                if c == ')' && lambda_lists.last() == Some(&depth) {
                    lambda_lists.pop();
                    signature_next = true;
                }
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
                match chars.get(i + 1) {
                    Some('?') => {
                        out.newer_operator.get_or_insert("??");
                        i += 1;
                    }
                    Some(':') => {
                        out.newer_operator.get_or_insert("?:");
                        i += 1;
                    }
                    _ if operand_expected => out.partial_application = true,
                    _ => {}
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
                // A name runs to whitespace or an operator, as JSONata reads it
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
                lambda_next = matches!(word.as_str(), "function" | "λ");
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
            "(1;;)",
            "[1;]",
            "a^(>)",
            "a < > b",
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
            // Sort terms with a direction, and a block's trailing `;` (JSONata's
            // suite runs both).
            "Account.Order.Product.Price^(>$)",
            "Product^(Quantity, >Description.Colour).Description",
            "$#$pos[$pos<3]^( < $)",
            "(1; 2; 3;)",
        ] {
            assert!(check_syntax(good).is_ok(), "{good}");
        }
    }

    #[test]
    fn guard_refuses_what_step_functions_and_the_evaluator_do_not_have() {
        for refused in [
            // A name runs through a quote: the brackets after it are code.
            &format!("ts'{}1{}'", "{\"a\":".repeat(200), "}".repeat(200)),
            &format!("$x'{}1{}'", "[".repeat(200), "]".repeat(200)),
            &format!("{}1{}", "(".repeat(65), ")".repeat(65)),
            // JSONata 2.1, which Step Functions does not run.
            "$x ?? 1",
            "$x?:1",
            "$f($x ?? 1)",
            // What the `regex` crate cannot run.
            "$match($x, /(a)\\1/)",
            "$match($x, /a(?=b)/)",
            "$replace($x, /(?<!a)b/, 'c')",
            "$contains($x, /(?<n>a)\\k<n>/)",
        ] {
            assert!(guard(refused).is_err(), "{refused}");
        }
        for ok in [
            "10 % 3",
            "$f(1)",
            "$states.input.a ? 1 : 2",
            "$x.y[0]",
            "a.%.b",
            "$substring(?, 0, 2)",
            "function($x){$x}(1)",
            "$f(1)(2)",
            // `?:` inside a lambda's signature is an optional argument.
            "function($a, $b)<n?:n>{$a}",
            "λ($a)<a<n>?:n>{$a}",
            // Lookaround-looking text in a class or escaped is literal.
            "$match($x, /[(?=]\\(?=/)",
            "'a ?? b'",
            "$match($x, /\\d+(?:x)/)",
        ] {
            assert!(guard(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn syntax_accepts_what_the_evaluator_runs() {
        for ok in [
            "a.%.b",
            "$f(?, 1)",
            "$substring(?, 1)('abc')",
            "function($x){$x}(1)",
            "function($a, $b)<n?:n>{$a}",
            "λ($a)<a<n>:n>{$a}",
            "$x ~> |a|{'b': 1}|",
            "$x.function + $f(1) < 2",
        ] {
            assert_eq!(check_syntax(ok), Ok(()), "{ok}");
        }
    }
}
