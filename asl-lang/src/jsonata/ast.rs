//! The syntax tree of the JSONata expressions `asl` evaluates natively, and its
//! parser.
//!
//! The compiler parses every `{% %}` expression with [`parse`] at build time and,
//! when it succeeds, generates Rust for the tree; the runtime parses an expression
//! it is given as text (`JsonataExpr::owned`) the same way, once, and walks the
//! tree. An expression outside this subset is [`Unsupported`]: it is still valid
//! JSONata (or a syntax error the evaluator reports), and goes to the full
//! evaluator.
//!
//! The subset is what Step Functions workflows write (see the runtime's
//! `jsonata::compiled` module for why the line is where it is):
//!
//! - literals: numbers, strings, `true`, `false`, `null`;
//! - paths of plain or backquoted names from `$states.input`, `$states.result`,
//!   `$states.errorOutput`, `$states.context`, a workflow variable or a lambda
//!   parameter (`$states.input.order.items`, `$total`, `` $x.`first name` ``),
//!   with literal indexes (`$states.input.items[0]`, `$split($s, '/')[-1]`);
//! - array constructors `[a, b]` and object constructors with literal keys
//!   `{'sku': $x.sku}`;
//! - `-x`, `+ - * / %`, `=` `!=` `<` `<=` `>` `>=`, `and`, `or`, `&`,
//!   `cond ? a : b`, parentheses around one expression;
//! - calls of the standard and Step Functions functions listed in [`Function`],
//!   with `function($v, $i, $a) { ... }` lambdas as the function argument of
//!   `$map`, `$filter` and `$reduce`.
//!
//! Nothing here recurses deeper than the tree: the parser refuses a tree deeper
//! than [`super::MAX_NESTING`] levels (`- - - ... 1` is as deep as brackets,
//! and so is a chain of operators, `1 + 1 + ... + 1`).

use super::MAX_NESTING;

/// A parsed expression.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    /// `null`
    Null,
    /// `true`, `false`
    Bool(bool),
    /// A number literal.
    Number(f64),
    /// A string literal.
    String(String),
    /// A path: a root and the names that follow it (none for a bare `$x`), each
    /// possibly with an index (`$x[0].items[-1]`).
    Path {
        /// Where the path starts.
        root: Root,
        /// `[n]` right after the root: the `n`th value of the root's value.
        root_index: Option<f64>,
        /// The member names, in order.
        steps: Vec<Step>,
    },
    /// `value[n]` on anything but a path step: the `n`th value (from the end
    /// when negative) of the value taken as an array.
    Index(Box<Expr>, f64),
    /// `[a, b, ...]`: each item's value is added to the array; an array value is
    /// spread into it unless the item is itself an array constructor.
    Array(Vec<Expr>),
    /// `{'key': value, ...}` with literal, distinct keys, in written order.
    Object(Vec<(String, Expr)>),
    /// `-x`
    Negate(Box<Expr>),
    /// A binary operator.
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    /// `test ? then : otherwise`
    Condition(Box<Expr>, Box<Expr>, Option<Box<Expr>>),
    /// A call of a known function.
    Call(Function, Vec<Expr>),
    /// `function($a, $b) { body }`: only as the function argument of `$map`,
    /// `$filter` and `$reduce`.
    Lambda(Vec<String>, Box<Expr>),
}

/// One step of a path: a member name, and an index applied to the member's value
/// in each object the step reads (`items[0]` is the first item of every `items`).
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    /// The member name.
    pub name: String,
    /// `[n]` after it.
    pub index: Option<f64>,
}

impl Step {
    /// A step without an index.
    pub fn name(name: impl Into<String>) -> Step {
        Step {
            name: name.into(),
            index: None,
        }
    }
}

/// Where a path starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Root {
    /// `$states.input`, `$states.result`, `$states.errorOutput`, `$states.context`.
    States(StatesMember),
    /// A workflow variable (`$name`).
    Variable(String),
    /// A parameter of an enclosing lambda.
    Local(String),
}

/// A member of `$states`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatesMember {
    /// `$states.input`
    Input,
    /// `$states.result`
    Result,
    /// `$states.errorOutput`
    ErrorOutput,
    /// `$states.context`
    Context,
}

/// A binary operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryOp {
    Add,
    Subtract,
    Multiply,
    Divide,
    Modulo,
    Equal,
    NotEqual,
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
    And,
    Or,
    /// `&`
    Concat,
}

macro_rules! functions {
    ($($variant:ident $name:literal $min:literal $max:literal,)*) => {
        /// A function the native evaluator has: JSONata's standard functions
        /// workflows use most, and Step Functions' own.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Function {
            $(
                #[doc = concat!("`$", $name, "`")]
                $variant,
            )*
        }

        impl Function {
            /// Every function, in declaration order.
            pub const ALL: &[Function] = &[$(Function::$variant),*];

            /// The name, without `$`.
            pub fn name(self) -> &'static str {
                match self {
                    $(Function::$variant => $name,)*
                }
            }

            /// How many arguments a call may pass: the fewest and the most.
            pub fn arity(self) -> (usize, usize) {
                match self {
                    $(Function::$variant => ($min, $max),)*
                }
            }

            /// The function named `name` (without `$`).
            pub fn from_name(name: &str) -> Option<Function> {
                match name {
                    $($name => Some(Function::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

functions! {
    String "string" 1 2,
    Number "number" 1 1,
    Boolean "boolean" 1 1,
    Not "not" 1 1,
    Exists "exists" 1 1,
    Round "round" 1 2,
    Floor "floor" 1 1,
    Ceil "ceil" 1 1,
    Abs "abs" 1 1,
    Sum "sum" 1 1,
    Max "max" 1 1,
    Min "min" 1 1,
    Average "average" 1 1,
    Count "count" 1 1,
    Append "append" 2 2,
    Join "join" 1 2,
    Length "length" 1 1,
    Uppercase "uppercase" 1 1,
    Lowercase "lowercase" 1 1,
    Trim "trim" 1 1,
    Substring "substring" 2 3,
    SubstringBefore "substringBefore" 2 2,
    SubstringAfter "substringAfter" 2 2,
    Contains "contains" 2 2,
    Split "split" 2 3,
    FormatNumber "formatNumber" 2 3,
    Keys "keys" 1 1,
    Merge "merge" 1 1,
    Map "map" 2 2,
    Filter "filter" 2 2,
    Reduce "reduce" 2 3,
    Now "now" 0 0,
    Millis "millis" 0 0,
    Partition "partition" 2 2,
    Range "range" 3 3,
    Hash "hash" 2 2,
    Random "random" 0 1,
    Uuid "uuid" 0 0,
    Parse "parse" 1 1,
}

/// Every function name JSONata and Step Functions bind: a variable with one of
/// these names used as a value is the function, which the native evaluator does
/// not handle.
const BOUND_NAMES: &[&str] = &[
    "abs",
    "append",
    "assert",
    "average",
    "base64decode",
    "base64encode",
    "boolean",
    "ceil",
    "contains",
    "count",
    "decodeUrl",
    "decodeUrlComponent",
    "distinct",
    "each",
    "encodeUrl",
    "encodeUrlComponent",
    "error",
    "eval",
    "exists",
    "filter",
    "floor",
    "formatBase",
    "formatInteger",
    "formatNumber",
    "fromMillis",
    "hash",
    "join",
    "keys",
    "length",
    "lookup",
    "lowercase",
    "map",
    "match",
    "max",
    "merge",
    "millis",
    "min",
    "not",
    "now",
    "number",
    "pad",
    "parse",
    "parseInteger",
    "partition",
    "power",
    "random",
    "range",
    "reduce",
    "replace",
    "reverse",
    "round",
    "shuffle",
    "sift",
    "single",
    "sort",
    "split",
    "spread",
    "sqrt",
    "string",
    "substring",
    "substringAfter",
    "substringBefore",
    "sum",
    "toMillis",
    "trim",
    "type",
    "uppercase",
    "uuid",
    "zip",
    "clone",
];

/// Why [`parse`] gave no tree: the expression uses something outside the subset,
/// or is not valid JSONata. Either way the full evaluator takes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unsupported(pub String);

type Parsed<T> = Result<T, Unsupported>;

fn unsupported<T>(what: impl Into<String>) -> Parsed<T> {
    Err(Unsupported(what.into()))
}

/// Parses `source` into the native subset.
///
/// ```
/// use asl_lang::jsonata::ast::{parse, Expr, Root, StatesMember, Step};
/// let tree = parse("$states.input.sku").unwrap();
/// assert_eq!(
///     tree,
///     Expr::Path {
///         root: Root::States(StatesMember::Input),
///         root_index: None,
///         steps: vec![Step::name("sku")],
///     }
/// );
/// assert!(parse("$states.input.items[price > 10]").is_err());
/// ```
pub fn parse(source: &str) -> Result<Expr, Unsupported> {
    let tokens = tokenize(source)?;
    let mut parser = Parser {
        tokens,
        pos: 0,
        depth: 0,
    };
    let expr = parser.expression(0)?;
    if parser.pos != parser.tokens.len() {
        return unsupported(format!(
            "{:?} after the expression",
            parser.tokens[parser.pos]
        ));
    }
    resolve(expr, &mut Vec::new())
}

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Number(f64),
    String(String),
    /// A plain name (`and`, `true` and `function` included).
    Name(String),
    /// A backquoted name.
    Quoted(String),
    /// `$name` (the name only).
    Variable(String),
    Op(&'static str),
}

const OPERATORS: &[&str] = &[
    "..", ":=", "!=", ">=", "<=", "**", "~>", "?:", "??", ".", "[", "]", "{", "}", "(", ")", ",",
    "@", "#", ";", ":", "?", "+", "-", "*", "/", "%", "|", "=", "<", ">", "^", "&", "!", "~",
];

fn is_name_char(c: char) -> bool {
    !c.is_whitespace()
        && !OPERATORS
            .iter()
            .any(|op| op.len() == 1 && op.starts_with(c))
}

fn tokenize(source: &str) -> Parsed<Vec<Token>> {
    let chars: Vec<char> = source.chars().collect();
    let mut tokens: Vec<Token> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if c == '/' && chars.get(i + 1) == Some(&'*') {
            let mut k = i + 2;
            while k + 1 < chars.len() && !(chars[k] == '*' && chars[k + 1] == '/') {
                k += 1;
            }
            if k + 1 >= chars.len() {
                return unsupported("an unterminated comment");
            }
            i = k + 2;
            continue;
        }
        if c == '/' {
            let operand_before = matches!(
                tokens.last(),
                Some(
                    Token::Number(_)
                        | Token::String(_)
                        | Token::Name(_)
                        | Token::Quoted(_)
                        | Token::Variable(_)
                        | Token::Op(")" | "]" | "}")
                )
            );
            if !operand_before {
                return unsupported("a regular expression");
            }
        }
        if c == '"' || c == '\'' {
            let (text, end) = string_literal(&chars, i)?;
            tokens.push(Token::String(text));
            i = end;
            continue;
        }
        if c == '`' {
            let end = chars[i + 1..]
                .iter()
                .position(|&x| x == '`')
                .map(|p| i + 1 + p)
                .ok_or_else(|| Unsupported("an unterminated name".into()))?;
            tokens.push(Token::Quoted(chars[i + 1..end].iter().collect()));
            i = end + 1;
            continue;
        }
        if c.is_ascii_digit() {
            let (number, end) = number_literal(&chars, i)?;
            tokens.push(Token::Number(number));
            i = end;
            continue;
        }
        if let Some(op) = OPERATORS.iter().find(|op| {
            let op: Vec<char> = op.chars().collect();
            chars[i..].starts_with(&op)
        }) {
            tokens.push(Token::Op(op));
            i += op.chars().count();
            continue;
        }
        let dollar = c == '$';
        let start = if dollar { i + 1 } else { i };
        let mut end = start;
        while end < chars.len() && is_name_char(chars[end]) && !(end > start && chars[end] == '$') {
            end += 1;
        }
        let name: String = chars[start..end].iter().collect();
        if dollar {
            if name.is_empty() || name.starts_with('$') {
                return unsupported("the context variable `$` or `$$`");
            }
            tokens.push(Token::Variable(name));
        } else {
            if name.is_empty() {
                return unsupported(format!("the character {c:?}"));
            }
            tokens.push(Token::Name(name));
        }
        i = end;
    }
    Ok(tokens)
}

/// A JSONata string literal at `start` (its quote): the text and the index after it.
fn string_literal(chars: &[char], start: usize) -> Parsed<(String, usize)> {
    let quote = chars[start];
    let mut text = String::new();
    let mut i = start + 1;
    while i < chars.len() {
        let c = chars[i];
        if c == quote {
            return Ok((text, i + 1));
        }
        if c == '\\' {
            let Some(&escape) = chars.get(i + 1) else {
                break;
            };
            match escape {
                '"' => text.push('"'),
                '\\' => text.push('\\'),
                '/' => text.push('/'),
                'b' => text.push('\u{8}'),
                'f' => text.push('\u{c}'),
                'n' => text.push('\n'),
                'r' => text.push('\r'),
                't' => text.push('\t'),
                'u' => {
                    let hex: String = chars.get(i + 2..i + 6).unwrap_or(&[]).iter().collect();
                    let code = u32::from_str_radix(&hex, 16)
                        .ok()
                        .filter(|_| hex.len() == 4)
                        .ok_or_else(|| Unsupported("a bad \\u escape".into()))?;
                    // A surrogate pair is two escapes; a lone surrogate has no
                    // Rust string form.
                    let decoded = if (0xD800..0xDC00).contains(&code) {
                        let low: String = chars.get(i + 8..i + 12).unwrap_or(&[]).iter().collect();
                        let low = (chars.get(i + 6) == Some(&'\\')
                            && chars.get(i + 7) == Some(&'u'))
                        .then(|| u32::from_str_radix(&low, 16).ok())
                        .flatten()
                        .filter(|l| (0xDC00..0xE000).contains(l))
                        .ok_or_else(|| Unsupported("a lone surrogate".into()))?;
                        i += 6;
                        char::from_u32(0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00))
                    } else {
                        char::from_u32(code)
                    };
                    text.push(decoded.ok_or_else(|| Unsupported("a lone surrogate".into()))?);
                    i += 4;
                }
                _ => return unsupported("an unknown escape"),
            }
            i += 2;
            continue;
        }
        text.push(c);
        i += 1;
    }
    unsupported("an unterminated string")
}

/// A number literal (JSON's grammar without the sign) at `start`.
fn number_literal(chars: &[char], start: usize) -> Parsed<(f64, usize)> {
    let digits = |mut i: usize| {
        while i < chars.len() && chars[i].is_ascii_digit() {
            i += 1;
        }
        i
    };
    let mut end = if chars[start] == '0' {
        start + 1
    } else {
        digits(start)
    };
    if chars.get(end) == Some(&'.') && chars.get(end + 1).is_some_and(char::is_ascii_digit) {
        end = digits(end + 1);
    }
    if matches!(chars.get(end), Some('e' | 'E')) {
        let mut k = end + 1;
        if matches!(chars.get(k), Some('+' | '-')) {
            k += 1;
        }
        if chars.get(k).is_some_and(char::is_ascii_digit) {
            end = digits(k);
        }
    }
    let text: String = chars[start..end].iter().collect();
    let number: f64 = text
        .parse()
        .map_err(|_| Unsupported(format!("the number {text}")))?;
    if !number.is_finite() {
        return unsupported("a number out of range");
    }
    if chars.get(end).is_some_and(|&c| is_name_char(c) && c != '$') {
        return unsupported("a name right after a number");
    }
    Ok((number, end))
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    depth: usize,
}

/// JSONata's binding powers of infix tokens (its parser's `operators` table).
fn binding_power(token: Option<&Token>) -> u8 {
    match token {
        Some(Token::Op(op)) => match *op {
            "." => 75,
            "[" | "(" | "@" | "#" => 80,
            "{" => 70,
            "*" | "/" | "%" | "**" => 60,
            "+" | "-" | "&" => 50,
            "=" | "!=" | "<" | "<=" | ">" | ">=" | "~>" | "??" | "?:" | "^" => 40,
            "?" | "|" | ".." => 20,
            ":=" => 10,
            _ => 0,
        },
        Some(Token::Name(name)) => match name.as_str() {
            "and" => 30,
            "or" => 25,
            "in" => 40,
            _ => 0,
        },
        _ => 0,
    }
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn next(&mut self) -> Parsed<Token> {
        let token = self
            .tokens
            .get(self.pos)
            .cloned()
            .ok_or_else(|| Unsupported("the end of the expression".into()))?;
        self.pos += 1;
        Ok(token)
    }

    fn expect(&mut self, op: &str) -> Parsed<()> {
        match self.next()? {
            Token::Op(found) if found == op => Ok(()),
            other => unsupported(format!("{other:?} where `{op}` belongs")),
        }
    }

    fn at(&self, op: &str) -> bool {
        matches!(self.peek(), Some(Token::Op(found)) if *found == op)
    }

    fn expression(&mut self, rbp: u8) -> Parsed<Expr> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return unsupported("nesting deeper than the native evaluator goes");
        }
        let mut left = self.prefix()?;
        // Each operator of a chain (`1 + 1 + ...`) wraps the tree so far one
        // level deeper without recursing here: it counts as a level too, or a
        // long chain would build a tree deeper than anything walking it can go.
        let levels = self.depth;
        while rbp < binding_power(self.peek()) {
            self.depth += 1;
            if self.depth > MAX_NESTING {
                return unsupported("a chain of operators longer than the native evaluator goes");
            }
            left = self.infix(left)?;
        }
        self.depth = levels - 1;
        Ok(left)
    }

    fn prefix(&mut self) -> Parsed<Expr> {
        match self.next()? {
            Token::Number(n) => Ok(Expr::Number(n)),
            Token::String(s) => Ok(Expr::String(s)),
            Token::Name(name) => match name.as_str() {
                "true" => Ok(Expr::Bool(true)),
                "false" => Ok(Expr::Bool(false)),
                "null" => Ok(Expr::Null),
                "function" | "λ" if self.at("(") => self.lambda(),
                _ => unsupported(format!("the name `{name}` (a path from the context item)")),
            },
            Token::Quoted(name) => {
                unsupported(format!("the name `{name}` (a path from the context item)"))
            }
            Token::Variable(name) => Ok(Expr::Path {
                root: Root::Variable(name),
                root_index: None,
                steps: Vec::new(),
            }),
            Token::Op("-") => Ok(Expr::Negate(Box::new(self.expression(70)?))),
            Token::Op("(") => {
                let inner = self.expression(0)?;
                self.expect(")")?;
                if keeps_inner_sequence(&inner) {
                    return unsupported("a `$map` of tail-call sequences in parentheses");
                }
                // `(path)[n]` indexes the path's whole result, unlike `path[n]`.
                if matches!(inner, Expr::Path { .. }) && self.at("[") {
                    self.pos += 1;
                    let n = self.index()?;
                    return Ok(Expr::Index(Box::new(inner), n));
                }
                if matches!(inner, Expr::Path { .. }) && self.at(".") {
                    return unsupported("a path continued after parentheses");
                }
                Ok(inner)
            }
            Token::Op("[") => Ok(Expr::Array(self.list("]")?)),
            Token::Op("{") => {
                let mut members: Vec<(String, Expr)> = Vec::new();
                if !self.at("}") {
                    loop {
                        let key = match self.next()? {
                            Token::String(key) => key,
                            other => return unsupported(format!("the object key {other:?}")),
                        };
                        if members.iter().any(|(k, _)| *k == key) {
                            return unsupported("a repeated object key");
                        }
                        self.expect(":")?;
                        members.push((key, self.expression(0)?));
                        if self.at(",") {
                            self.pos += 1;
                        } else {
                            break;
                        }
                    }
                }
                self.expect("}")?;
                Ok(Expr::Object(members))
            }
            other => unsupported(format!("{other:?}")),
        }
    }

    /// Expressions separated by commas, up to and with `close` (the opening
    /// bracket is read): array items, call arguments.
    fn list(&mut self, close: &str) -> Parsed<Vec<Expr>> {
        let mut items = Vec::new();
        if !self.at(close) {
            loop {
                items.push(self.expression(0)?);
                if self.at(",") {
                    self.pos += 1;
                } else {
                    break;
                }
            }
        }
        self.expect(close)?;
        Ok(items)
    }

    /// A literal index and the `]` after it (the `[` is read): `0`, `-1`.
    fn index(&mut self) -> Parsed<f64> {
        let n = match self.next()? {
            Token::Number(n) => n,
            Token::Op("-") => match self.next()? {
                Token::Number(n) => -n,
                other => return unsupported(format!("the predicate {other:?}")),
            },
            other => return unsupported(format!("the predicate {other:?} (a filter)")),
        };
        self.expect("]")?;
        Ok(n)
    }

    /// `function($a, $b) { body }`, after the name.
    fn lambda(&mut self) -> Parsed<Expr> {
        self.expect("(")?;
        let mut params = Vec::new();
        if !self.at(")") {
            loop {
                match self.next()? {
                    Token::Variable(name) if !params.contains(&name) => params.push(name),
                    other => return unsupported(format!("the parameter {other:?}")),
                }
                if self.at(",") {
                    self.pos += 1;
                } else {
                    break;
                }
            }
        }
        self.expect(")")?;
        self.expect("{")?;
        let body = self.expression(0)?;
        self.expect("}")?;
        Ok(Expr::Lambda(params, Box::new(body)))
    }

    fn infix(&mut self, left: Expr) -> Parsed<Expr> {
        let token = self.next()?;
        if let Some((op, power)) = binary_operator(&token) {
            let right = self.expression(power)?;
            return Ok(Expr::Binary(op, Box::new(left), Box::new(right)));
        }
        match token {
            Token::Op(".") => {
                let name = match self.next()? {
                    Token::Name(name) | Token::Quoted(name) => name,
                    other => return unsupported(format!("the path step {other:?}")),
                };
                match left {
                    Expr::Path {
                        root,
                        root_index,
                        mut steps,
                    } => {
                        steps.push(Step::name(name));
                        Ok(Expr::Path {
                            root,
                            root_index,
                            steps,
                        })
                    }
                    _ => unsupported("a path from a computed value"),
                }
            }
            Token::Op("[") => {
                let n = self.index()?;
                match left {
                    Expr::Path {
                        root,
                        root_index: None,
                        steps,
                    } if steps.is_empty() => Ok(Expr::Path {
                        root,
                        root_index: Some(n),
                        steps,
                    }),
                    Expr::Path {
                        root,
                        root_index,
                        mut steps,
                    } if steps.last().is_some_and(|s| s.index.is_none()) => {
                        if let Some(last) = steps.last_mut() {
                            last.index = Some(n);
                        }
                        Ok(Expr::Path {
                            root,
                            root_index,
                            steps,
                        })
                    }
                    Expr::Path { .. } => unsupported("a second predicate on one step"),
                    other => Ok(Expr::Index(Box::new(other), n)),
                }
            }
            Token::Op("(") => {
                let function = match &left {
                    Expr::Path {
                        root: Root::Variable(name),
                        root_index: None,
                        steps,
                    } if steps.is_empty() => Function::from_name(name)
                        .ok_or_else(|| Unsupported(format!("a call of `${name}`")))?,
                    _ => return unsupported("a call of a computed value"),
                };
                let args = self.list(")")?;
                let (min, max) = function.arity();
                if args.len() < min || args.len() > max {
                    return unsupported(format!(
                        "`${}` with {} arguments",
                        function.name(),
                        args.len()
                    ));
                }
                Ok(Expr::Call(function, args))
            }
            Token::Op("?") => {
                let then = self.expression(0)?;
                let otherwise = if self.at(":") {
                    self.pos += 1;
                    Some(Box::new(self.expression(0)?))
                } else {
                    None
                };
                if keeps_inner_sequence(&then)
                    || otherwise.as_deref().is_some_and(keeps_inner_sequence)
                {
                    return unsupported("a `$map` of tail-call sequences as a branch");
                }
                Ok(Expr::Condition(Box::new(left), Box::new(then), otherwise))
            }
            other => unsupported(format!("{other:?}")),
        }
    }
}

/// Whether a lambda body ends in a call that hands back a sequence as it is
/// (JSONata's tail call of `$map`, `$filter` or `$keys`, in the body or a branch
/// of a condition that is the body).
pub fn tail_sequence(body: &Expr) -> bool {
    match body {
        Expr::Call(Function::Map | Function::Filter | Function::Keys, _) => true,
        Expr::Condition(_, then, otherwise) => {
            tail_sequence(then) || otherwise.as_deref().is_some_and(tail_sequence)
        }
        _ => false,
    }
}

/// A `$map` whose lambda hands back sequences: its one value may be such a
/// sequence, which JSONata unwraps again where a condition or parentheses pass it
/// on. The native evaluator does not track that, so it leaves those places to
/// the full evaluator.
fn keeps_inner_sequence(e: &Expr) -> bool {
    matches!(e, Expr::Call(Function::Map, args)
        if matches!(args.get(1), Some(Expr::Lambda(_, body)) if tail_sequence(body)))
}

/// The binary operator `token` is, with its binding power.
fn binary_operator(token: &Token) -> Option<(BinaryOp, u8)> {
    Some(match token {
        Token::Op("+") => (BinaryOp::Add, 50),
        Token::Op("-") => (BinaryOp::Subtract, 50),
        Token::Op("&") => (BinaryOp::Concat, 50),
        Token::Op("*") => (BinaryOp::Multiply, 60),
        Token::Op("/") => (BinaryOp::Divide, 60),
        Token::Op("%") => (BinaryOp::Modulo, 60),
        Token::Op("=") => (BinaryOp::Equal, 40),
        Token::Op("!=") => (BinaryOp::NotEqual, 40),
        Token::Op("<") => (BinaryOp::Less, 40),
        Token::Op("<=") => (BinaryOp::LessOrEqual, 40),
        Token::Op(">") => (BinaryOp::Greater, 40),
        Token::Op(">=") => (BinaryOp::GreaterOrEqual, 40),
        Token::Name(name) if name == "and" => (BinaryOp::And, 30),
        Token::Name(name) if name == "or" => (BinaryOp::Or, 25),
        _ => return None,
    })
}

/// Gives each path its root (`$states.<member>`, a lambda parameter or a
/// variable), and refuses what the native evaluator does not take: `$states`
/// whole, a function used as a value, a lambda anywhere but where it is called.
fn resolve(expr: Expr, locals: &mut Vec<String>) -> Parsed<Expr> {
    let go = resolve;
    Ok(match expr {
        Expr::Path {
            root: Root::Variable(name),
            root_index,
            steps,
        } => {
            if locals.contains(&name) {
                Expr::Path {
                    root: Root::Local(name),
                    root_index,
                    steps,
                }
            } else if name == "states" {
                if root_index.is_some() {
                    return unsupported("`$states` indexed");
                }
                let (member, rest) = steps
                    .split_first()
                    .ok_or_else(|| Unsupported("`$states` as a whole".into()))?;
                let root = match member.name.as_str() {
                    "input" => StatesMember::Input,
                    "result" => StatesMember::Result,
                    "errorOutput" => StatesMember::ErrorOutput,
                    "context" => StatesMember::Context,
                    other => return unsupported(format!("`$states.{other}`")),
                };
                Expr::Path {
                    root: Root::States(root),
                    root_index: member.index,
                    steps: rest.to_vec(),
                }
            } else if BOUND_NAMES.contains(&name.as_str()) {
                return unsupported(format!("the function `${name}` as a value"));
            } else {
                Expr::Path {
                    root: Root::Variable(name),
                    root_index,
                    steps,
                }
            }
        }
        Expr::Index(inner, n) => Expr::Index(Box::new(go(*inner, locals)?), n),
        Expr::Array(items) => Expr::Array(
            items
                .into_iter()
                .map(|i| go(i, locals))
                .collect::<Parsed<_>>()?,
        ),
        Expr::Object(members) => Expr::Object(
            members
                .into_iter()
                .map(|(k, v)| Ok((k, go(v, locals)?)))
                .collect::<Parsed<_>>()?,
        ),
        Expr::Negate(e) => Expr::Negate(Box::new(go(*e, locals)?)),
        Expr::Binary(op, l, r) => {
            Expr::Binary(op, Box::new(go(*l, locals)?), Box::new(go(*r, locals)?))
        }
        Expr::Condition(t, a, b) => Expr::Condition(
            Box::new(go(*t, locals)?),
            Box::new(go(*a, locals)?),
            match b {
                Some(b) => Some(Box::new(go(*b, locals)?)),
                None => None,
            },
        ),
        Expr::Call(function, args) => {
            let takes_lambda = matches!(
                function,
                Function::Map | Function::Filter | Function::Reduce
            );
            let mut out = Vec::with_capacity(args.len());
            for (i, arg) in args.into_iter().enumerate() {
                match arg {
                    Expr::Lambda(params, body) if takes_lambda && i == 1 => {
                        let arity = if function == Function::Reduce {
                            2..=4
                        } else {
                            1..=3
                        };
                        if !arity.contains(&params.len()) {
                            return unsupported("a lambda with an unusual number of parameters");
                        }
                        let before = locals.len();
                        locals.extend(params.iter().cloned());
                        let body = go(*body, locals);
                        locals.truncate(before);
                        out.push(Expr::Lambda(params, Box::new(body?)));
                    }
                    Expr::Lambda(..) => {
                        return unsupported("a lambda outside $map, $filter, $reduce");
                    }
                    other if takes_lambda && i == 1 => {
                        let _ = other;
                        return unsupported("a function argument that is not a lambda");
                    }
                    other => out.push(go(other, locals)?),
                }
            }
            Expr::Call(function, out)
        }
        Expr::Lambda(..) => return unsupported("a lambda outside $map, $filter, $reduce"),
        leaf => leaf,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(root: Root, steps: &[&str]) -> Expr {
        Expr::Path {
            root,
            root_index: None,
            steps: steps.iter().map(|s| Step::name(*s)).collect(),
        }
    }

    #[test]
    fn parses_the_subset() {
        let input = |steps: &[&str]| path(Root::States(StatesMember::Input), steps);
        assert_eq!(
            parse("{'sku': $states.input.sku, 'n': -$x.`a b` * 2}").unwrap(),
            Expr::Object(vec![
                ("sku".into(), input(&["sku"])),
                (
                    "n".into(),
                    Expr::Binary(
                        BinaryOp::Multiply,
                        Box::new(Expr::Negate(Box::new(path(
                            Root::Variable("x".into()),
                            &["a b"]
                        )))),
                        Box::new(Expr::Number(2.0))
                    )
                ),
            ])
        );
        // `and` binds tighter than `or`; `?:` after both.
        assert_eq!(
            parse("1 or 2 and 3 ? 'y' : 'n'").unwrap(),
            Expr::Condition(
                Box::new(Expr::Binary(
                    BinaryOp::Or,
                    Box::new(Expr::Number(1.0)),
                    Box::new(Expr::Binary(
                        BinaryOp::And,
                        Box::new(Expr::Number(2.0)),
                        Box::new(Expr::Number(3.0))
                    ))
                )),
                Box::new(Expr::String("y".into())),
                Some(Box::new(Expr::String("n".into())))
            )
        );
        assert_eq!(
            parse("$map($xs, function($v, $i) { $v.a + $i + $y })").unwrap(),
            Expr::Call(
                Function::Map,
                vec![
                    path(Root::Variable("xs".into()), &[]),
                    Expr::Lambda(
                        vec!["v".into(), "i".into()],
                        Box::new(Expr::Binary(
                            BinaryOp::Add,
                            Box::new(Expr::Binary(
                                BinaryOp::Add,
                                Box::new(path(Root::Local("v".into()), &["a"])),
                                Box::new(path(Root::Local("i".into()), &[]))
                            )),
                            Box::new(path(Root::Variable("y".into()), &[]))
                        ))
                    )
                ]
            )
        );
        assert_eq!(
            parse("\"a\\u00e9\\n\"").unwrap(),
            Expr::String("aé\n".into())
        );
        assert_eq!(parse("1.5e3 /* c */").unwrap(), Expr::Number(1500.0));
    }

    #[test]
    fn parses_literal_indexes() {
        assert_eq!(
            parse("$states.input[0].items[-1]").unwrap(),
            Expr::Path {
                root: Root::States(StatesMember::Input),
                root_index: Some(0.0),
                steps: vec![Step {
                    name: "items".into(),
                    index: Some(-1.0)
                }],
            }
        );
        assert_eq!(
            parse("($x.a)[1]").unwrap(),
            Expr::Index(Box::new(path(Root::Variable("x".into()), &["a"])), 1.0)
        );
        assert!(matches!(
            parse("$split($s, '/')[-1]").unwrap(),
            Expr::Index(_, n) if n == -1.0
        ));
    }

    #[test]
    fn leaves_the_rest_to_the_evaluator() {
        for source in [
            "$states",
            "$states.other",
            "a.b",
            "$x[a]",
            "$c ? $map($a, function($v) { $map($v, function($w) { $w }) }) : 1",
            "($map($a, function($v) { $filter($v, function($w) { $w }) }))",
            "$x[0][1]",
            "($x).a",
            "$x.(a)",
            "$string",
            "$f(1)",
            "$map($x, $string)",
            "function($x){$x}",
            "$x := 1",
            "($x := 1; $x)",
            "/ab/",
            "[1..3]",
            "{'a': 1, 'a': 2}",
            "{'a': 1,}",
            "[1,]",
            "$x ~> $string",
            "$x in [1]",
            "$round()",
            "$now('[Y]')",
            "1 +",
            "'unterminated",
            "$x ?? 1",
        ] {
            assert!(parse(source).is_err(), "{source} should not parse natively");
        }
        let deep = format!("{}1", "-".repeat(MAX_NESTING + 1));
        assert!(parse(&deep).is_err());
        let deep = format!("{}1{}", "(".repeat(200), ")".repeat(200));
        assert!(parse(&deep).is_err());
        // A chain of operators nests its tree as deep as brackets do (found
        // by asl-fuzz's jsonata target: `1 + 1 + ...` 100,000 times overflowed
        // the stack of a worker thread when the tree was resolved). Short
        // chains stay native; long ones go to the full evaluator.
        for operator in [" + ", " & ", " and ", " = ", " ~> $string", "."] {
            let chain = |n: usize| {
                format!("1{}", format!("{operator}1").repeat(n)).replace("$string1", "$string")
            };
            if [" + ", " & ", " and ", " = "].contains(&operator) {
                assert!(parse(&chain(MAX_NESTING - 2)).is_ok(), "{operator}");
            }
            let long = chain(10_000);
            let refused = std::thread::scope(|threads| {
                std::thread::Builder::new()
                    .stack_size(2 << 20)
                    .spawn_scoped(threads, || parse(&long).is_err())
                    .unwrap()
                    .join()
                    .unwrap()
            });
            assert!(refused, "{operator}");
        }
    }
}
