//! `$formatNumber(number, picture, options)`: XPath F&O 3.1 `format-number`
//! pictures as JSONata implements them (its `formatNumber`, including the corners
//! where it departs from the specification, since that is what Step Functions
//! runs): sub-pictures for positive and negative numbers, optional and mandatory
//! digits, grouping (regular or at given positions), percent and per-mille,
//! exponents, another decimal digit family (`zero-digit`), and the symbols an
//! `options` object renames. Errors are JSONata's D3080–D3093.
//!
//! Indices below count characters; JSONata counts UTF-16 code units, which is the
//! same for every character of the Basic Multilingual Plane.

/// A picture that cannot be used: its JSONata error code and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PictureError {
    pub code: &'static str,
    pub message: String,
}

/// The symbols of a picture, as `options` may rename them.
struct Symbols {
    decimal: Vec<char>,
    grouping: Vec<char>,
    exponent: Vec<char>,
    minus: Vec<char>,
    percent: Vec<char>,
    per_mille: Vec<char>,
    zero: char,
    digit: Vec<char>,
    pattern: Vec<char>,
    family: Vec<char>,
}

impl Symbols {
    fn new(options: &[(String, String)]) -> Symbols {
        let get = |key: &str, default: &str| -> Vec<char> {
            options
                .iter()
                .rev()
                .find(|(k, _)| k == key)
                .map_or(default, |(_, v)| v.as_str())
                .chars()
                .collect()
        };
        let zero = get("zero-digit", "0").first().copied().unwrap_or('0');
        let family = (0..10)
            .filter_map(|i| char::from_u32(zero as u32 + i))
            .collect();
        Symbols {
            decimal: get("decimal-separator", "."),
            grouping: get("grouping-separator", ","),
            exponent: get("exponent-separator", "e"),
            minus: get("minus-sign", "-"),
            percent: get("percent", "%"),
            per_mille: get("per-mille", "\u{2030}"),
            zero,
            digit: get("digit", "#"),
            pattern: get("pattern-separator", ";"),
            family,
        }
    }

    fn in_family(&self, c: char) -> bool {
        self.family.contains(&c)
    }

    /// A character of the active part: a digit of the family, or one of the
    /// decimal, exponent, grouping, optional-digit and pattern symbols.
    fn active(&self, c: char) -> bool {
        self.in_family(c)
            || [
                &self.decimal,
                &self.exponent,
                &self.grouping,
                &self.digit,
                &self.pattern,
            ]
            .iter()
            .any(|s| is(c, s))
    }
}

/// Whether `c` is the one-character symbol `symbol`.
fn is(c: char, symbol: &[char]) -> bool {
    symbol.len() == 1 && symbol[0] == c
}

fn index_of(hay: &[char], needle: &[char], from: usize) -> Option<usize> {
    if from > hay.len() {
        return None;
    }
    if needle.is_empty() {
        return Some(from);
    }
    (from..=hay.len().saturating_sub(needle.len()))
        .find(|&i| i + needle.len() <= hay.len() && hay[i..i + needle.len()] == *needle)
}

fn last_index_of(hay: &[char], needle: &[char]) -> Option<usize> {
    if needle.is_empty() {
        return Some(hay.len());
    }
    (0..=hay.len().checked_sub(needle.len())?)
        .rev()
        .find(|&i| hay[i..i + needle.len()] == *needle)
}

/// JavaScript's `substring(start, end)`: clamped, and swapped when reversed.
fn substring(s: &[char], start: usize, end: usize) -> Vec<char> {
    let (a, b) = (start.min(s.len()), end.min(s.len()));
    let (a, b) = if a > b { (b, a) } else { (a, b) };
    s[a..b].to_vec()
}

/// JavaScript's `slice(start, end)` on a position that may be negative.
fn slice(s: &[char], start: i64, end: i64) -> Vec<char> {
    let at = |i: i64| -> usize {
        if i < 0 {
            (s.len() as i64 + i).max(0) as usize
        } else {
            (i as usize).min(s.len())
        }
    };
    let (a, b) = (at(start), at(end));
    if a >= b { Vec::new() } else { s[a..b].to_vec() }
}

/// Inserts `what` at `position` (JavaScript `slice` positions).
fn insert_at(s: &[char], position: i64, what: &[char]) -> Vec<char> {
    let mut out = slice(s, 0, position);
    out.extend_from_slice(what);
    out.extend(slice(s, position, s.len() as i64));
    out
}

struct Parts {
    prefix: Vec<char>,
    suffix: Vec<char>,
    active: Vec<char>,
    mantissa: Vec<char>,
    exponent: Option<Vec<char>>,
    integer: Vec<char>,
    fractional: Vec<char>,
    picture: Vec<char>,
}

fn split_parts(sub: &[char], sym: &Symbols) -> Parts {
    let counts = |c: char| sym.active(c) && !is(c, &sym.exponent);
    let prefix = sub
        .iter()
        .position(|&c| counts(c))
        .map_or(Vec::new(), |i| sub[..i].to_vec());
    let suffix = sub
        .iter()
        .rposition(|&c| counts(c))
        .map_or(Vec::new(), |i| sub[i + 1..].to_vec());
    let active = substring(sub, prefix.len(), sub.len().saturating_sub(suffix.len()));
    let exponent_at = index_of(sub, &sym.exponent, prefix.len())
        .filter(|&p| p <= sub.len().saturating_sub(suffix.len()));
    // JSONata takes the exponent's position in the sub-picture as a position in
    // the active part.
    let (mantissa, exponent) = match exponent_at {
        None => (active.clone(), None),
        Some(p) => (
            substring(&active, 0, p),
            Some(substring(&active, p + 1, active.len())),
        ),
    };
    let (integer, fractional) = match index_of(&mantissa, &sym.decimal, 0) {
        None => (mantissa.clone(), suffix.clone()),
        Some(d) => (
            substring(&mantissa, 0, d),
            substring(&mantissa, d + 1, mantissa.len()),
        ),
    };
    Parts {
        prefix,
        suffix,
        active,
        mantissa,
        exponent,
        integer,
        fractional,
        picture: sub.to_vec(),
    }
}

/// Whether `code` is one of `$formatNumber`'s picture-string errors
/// (D3080-D3093), which [`message`] words.
pub(super) fn is_picture_code(code: &str) -> bool {
    code.strip_prefix("D30")
        .and_then(|n| n.parse::<u8>().ok())
        .is_some_and(|n| (80..=93).contains(&n))
}

/// jsonata-js's message for the picture-string error `code` (D3080-D3093).
pub(super) fn message(code: &str) -> &'static str {
    match code {
        "D3080" => "The picture string must only contain a maximum of two sub-pictures",
        "D3081" => {
            "The sub-picture must not contain more than one instance of the 'decimal-separator' character"
        }
        "D3082" => {
            "The sub-picture must not contain more than one instance of the 'percent' character"
        }
        "D3083" => {
            "The sub-picture must not contain more than one instance of the 'per-mille' character"
        }
        "D3084" => "The sub-picture must not contain both a 'percent' and a 'per-mille' character",
        "D3085" => {
            "The mantissa part of a sub-picture must contain at least one character that is either an 'optional digit character' or a member of the 'decimal digit family'"
        }
        "D3086" => {
            "The sub-picture must not contain a passive character that is preceded by an active character and that is followed by another active character"
        }
        "D3087" => {
            "The sub-picture must not contain a 'grouping-separator' character that appears adjacent to a 'decimal-separator' character"
        }
        "D3088" => {
            "The sub-picture must not contain a 'grouping-separator' at the end of the integer part"
        }
        "D3089" => {
            "The sub-picture must not contain two adjacent instances of the 'grouping-separator' character"
        }
        "D3090" => {
            "The integer part of the sub-picture must not contain a member of the 'decimal digit family' that is followed by an instance of the 'optional digit character'"
        }
        "D3091" => {
            "The fractional part of the sub-picture must not contain an instance of the 'optional digit character' that is followed by a member of the 'decimal digit family'"
        }
        "D3092" => {
            "A sub-picture that contains a 'percent' or 'per-mille' character must not contain a character treated as an 'exponent-separator'"
        }
        _ => {
            "The exponent part of the sub-picture must comprise only of one or more characters that are members of the 'decimal digit family'"
        }
    }
}

fn error(code: &'static str) -> PictureError {
    PictureError {
        code,
        message: message(code).to_owned(),
    }
}

/// The checks of F&O 4.7.3, in JSONata's order: the last one that fails is
/// reported.
fn validate(parts: &Parts, sym: &Symbols) -> Result<(), PictureError> {
    let sub = &parts.picture;
    let mut failed = None;
    let decimal_at = index_of(sub, &sym.decimal, 0);
    if decimal_at != last_index_of(sub, &sym.decimal) {
        failed = Some("D3081");
    }
    if index_of(sub, &sym.percent, 0) != last_index_of(sub, &sym.percent) {
        failed = Some("D3082");
    }
    if index_of(sub, &sym.per_mille, 0) != last_index_of(sub, &sym.per_mille) {
        failed = Some("D3083");
    }
    let has_percent = index_of(sub, &sym.percent, 0).is_some();
    let has_per_mille = index_of(sub, &sym.per_mille, 0).is_some();
    if has_percent && has_per_mille {
        failed = Some("D3084");
    }
    if !parts
        .mantissa
        .iter()
        .any(|&c| sym.in_family(c) || is(c, &sym.digit))
    {
        failed = Some("D3085");
    }
    if parts.active.iter().any(|&c| !sym.active(c)) {
        failed = Some("D3086");
    }
    match decimal_at {
        Some(d) => {
            let before = d.checked_sub(1).and_then(|i| sub.get(i));
            let after = sub.get(d + 1);
            if before.is_some_and(|&c| is(c, &sym.grouping))
                || after.is_some_and(|&c| is(c, &sym.grouping))
            {
                failed = Some("D3087");
            }
        }
        None => {
            if parts.integer.last().is_some_and(|&c| is(c, &sym.grouping)) {
                failed = Some("D3088");
            }
        }
    }
    let mut double = sym.grouping.clone();
    double.extend_from_slice(&sym.grouping);
    if index_of(sub, &double, 0).is_some() {
        failed = Some("D3089");
    }
    if let Some(p) = index_of(&parts.integer, &sym.digit, 0)
        && parts.integer[..p].iter().any(|&c| sym.in_family(c))
    {
        failed = Some("D3090");
    }
    if let Some(p) = last_index_of(&parts.fractional, &sym.digit)
        && parts.fractional[p.min(parts.fractional.len())..]
            .iter()
            .any(|&c| sym.in_family(c))
    {
        failed = Some("D3091");
    }
    if let Some(exponent) = &parts.exponent {
        if !exponent.is_empty() && (has_percent || has_per_mille) {
            failed = Some("D3092");
        }
        if exponent.is_empty() || exponent.iter().any(|&c| !sym.in_family(c)) {
            failed = Some("D3093");
        }
    }
    match failed {
        Some(code) => Err(error(code)),
        None => Ok(()),
    }
}

/// What F&O 4.7.4 derives from a sub-picture.
#[derive(Clone)]
struct Analysis {
    integer_grouping: Vec<usize>,
    regular_grouping: usize,
    min_integer: usize,
    scaling: usize,
    prefix: Vec<char>,
    fractional_grouping: Vec<usize>,
    min_fraction: usize,
    max_fraction: usize,
    min_exponent: usize,
    suffix: Vec<char>,
    picture: Vec<char>,
}

fn analyse(parts: &Parts, sym: &Symbols) -> Analysis {
    let digitish = |c: &char| sym.in_family(*c) || is(*c, &sym.digit);
    let grouping_positions = |part: &[char], to_left: bool| -> Vec<usize> {
        let mut positions = Vec::new();
        let mut at = index_of(part, &sym.grouping, 0);
        while let Some(p) = at {
            let side = if to_left {
                &part[..p.min(part.len())]
            } else {
                &part[p.min(part.len())..]
            };
            positions.push(side.iter().filter(|c| digitish(c)).count());
            // JSONata looks for the next separator in the integer part, whichever
            // part it is reading.
            at = index_of(&parts.integer, &sym.grouping, p + 1);
        }
        positions
    };
    let integer_grouping = grouping_positions(&parts.integer, false);
    let regular_grouping = regular(&integer_grouping);
    let fractional_grouping = grouping_positions(&parts.fractional, true);
    let mut min_integer = parts.integer.iter().filter(|c| sym.in_family(**c)).count();
    let scaling = min_integer;
    let mut min_fraction = parts
        .fractional
        .iter()
        .filter(|c| sym.in_family(**c))
        .count();
    let mut max_fraction = parts.fractional.iter().filter(|c| digitish(c)).count();
    let exponent_present = parts.exponent.is_some();
    if min_integer == 0 && max_fraction == 0 {
        if exponent_present {
            min_fraction = 1;
            max_fraction = 1;
        } else {
            min_integer = 1;
        }
    }
    if exponent_present && min_integer == 0 && index_of(&parts.integer, &sym.digit, 0).is_some() {
        min_integer = 1;
    }
    if min_integer == 0 && min_fraction == 0 {
        min_fraction = 1;
    }
    let min_exponent = parts
        .exponent
        .as_ref()
        .map_or(0, |e| e.iter().filter(|c| sym.in_family(**c)).count());
    Analysis {
        integer_grouping,
        regular_grouping,
        min_integer,
        scaling,
        prefix: parts.prefix.clone(),
        fractional_grouping,
        min_fraction,
        max_fraction,
        min_exponent,
        suffix: parts.suffix.clone(),
        picture: parts.picture.clone(),
    }
}

/// The grouping size when the separators are evenly spaced, else 0.
fn regular(positions: &[usize]) -> usize {
    fn gcd(a: usize, b: usize) -> usize {
        if b == 0 { a } else { gcd(b, a % b) }
    }
    let Some(&first) = positions.first() else {
        return 0;
    };
    let factor = positions[1..].iter().fold(first, |a, &b| gcd(a, b));
    if (1..=positions.len()).all(|i| positions.contains(&(i * factor))) {
        factor
    } else {
        0
    }
}

/// `$formatNumber(value, picture, options)`: `options` are the renamed symbols
/// (`decimal-separator`, `zero-digit`, ...). `value` is finite.
pub fn format_number(
    value: f64,
    picture: &str,
    options: &[(String, String)],
) -> Result<String, PictureError> {
    let sym = Symbols::new(options);
    let picture: Vec<char> = picture.chars().collect();
    let mut subs: Vec<Vec<char>> = Vec::new();
    let mut rest = &picture[..];
    while let Some(p) = index_of(rest, &sym.pattern, 0).filter(|_| !sym.pattern.is_empty()) {
        subs.push(rest[..p].to_vec());
        rest = &rest[p + sym.pattern.len()..];
    }
    subs.push(rest.to_vec());
    if subs.len() > 2 {
        return Err(error("D3080"));
    }
    let parts: Vec<Parts> = subs.iter().map(|s| split_parts(s, &sym)).collect();
    for p in &parts {
        validate(p, &sym)?;
    }
    let mut pictures: Vec<Analysis> = parts.iter().map(|p| analyse(p, &sym)).collect();
    if pictures.len() == 1 {
        let mut negative = pictures[0].clone();
        let mut prefix = sym.minus.clone();
        prefix.extend_from_slice(&negative.prefix);
        negative.prefix = prefix;
        pictures.push(negative);
    }
    let pic = if value >= 0.0 {
        &pictures[0]
    } else {
        &pictures[1]
    };
    let adjusted = if index_of(&pic.picture, &sym.percent, 0).is_some() {
        value * 100.0
    } else if index_of(&pic.picture, &sym.per_mille, 0).is_some() {
        value * 1000.0
    } else {
        value
    };
    let (mantissa, exponent) = if pic.min_exponent == 0 {
        (adjusted, None)
    } else {
        let max = 10f64.powi(pic.scaling as i32);
        let min = 10f64.powi(pic.scaling as i32 - 1);
        let (mut m, mut e) = (adjusted, 0i64);
        if m != 0.0 {
            while m.abs() < min {
                m *= 10.0;
                e -= 1;
            }
            while m.abs() > max {
                m /= 10.0;
                e += 1;
            }
        }
        (m, Some(e))
    };
    let rounded = super::compiled::jsonata_round(mantissa, pic.max_fraction as i64);
    let digits_of = |v: f64, places: usize| -> Vec<char> {
        let text = if v.abs() >= 1e21 {
            super::compiled::number_text(v.abs())
        } else {
            format!("{:.*}", places, v.abs())
        };
        text.chars()
            .map(|c| match c.to_digit(10) {
                Some(d) => sym.family.get(d as usize).copied().unwrap_or(c),
                None => c,
            })
            .collect()
    };
    let mut s = digits_of(rounded, pic.max_fraction);
    match s.iter().position(|&c| c == '.') {
        None => s.extend_from_slice(&sym.decimal),
        Some(p) => {
            s.splice(p..=p, sym.decimal.iter().copied());
        }
    }
    while s.first() == Some(&sym.zero) {
        s.remove(0);
    }
    while s.last() == Some(&sym.zero) {
        s.pop();
    }
    let decimal_at = index_of(&s, &sym.decimal, 0).map_or(-1, |p| p as i64);
    let pad_left = pic.min_integer as i64 - decimal_at;
    let pad_right = pic.min_fraction as i64 - (s.len() as i64 - decimal_at - 1);
    if pad_left > 0 {
        let mut padded = vec![sym.zero; pad_left as usize];
        padded.extend(s);
        s = padded;
    }
    if pad_right > 0 {
        s.extend(std::iter::repeat_n(sym.zero, pad_right as usize));
    }
    let mut decimal_at = index_of(&s, &sym.decimal, 0).map_or(-1, |p| p as i64);
    if pic.regular_grouping > 0 {
        let size = pic.regular_grouping as i64;
        let groups = (decimal_at - 1).div_euclid(size);
        for group in 1..=groups {
            s = insert_at(&s, decimal_at - group * size, &sym.grouping);
        }
    } else {
        for &position in &pic.integer_grouping {
            s = insert_at(&s, decimal_at - position as i64, &sym.grouping);
            decimal_at += 1;
        }
    }
    let decimal_at = index_of(&s, &sym.decimal, 0).map_or(-1, |p| p as i64);
    for &position in &pic.fractional_grouping {
        s = insert_at(&s, position as i64 + decimal_at + 1, &sym.grouping);
    }
    let decimal_at = index_of(&s, &sym.decimal, 0).map_or(-1, |p| p as i64);
    if index_of(&pic.picture, &sym.decimal, 0).is_none() || decimal_at == s.len() as i64 - 1 {
        s.pop();
    }
    if let Some(e) = exponent {
        let mut text = digits_of(e as f64, 0);
        let pad = pic.min_exponent as i64 - text.len() as i64;
        if pad > 0 {
            let mut padded = vec![sym.zero; pad as usize];
            padded.extend(text);
            text = padded;
        }
        s.extend_from_slice(&sym.exponent);
        if e < 0 {
            s.extend_from_slice(&sym.minus);
        }
        s.extend(text);
    }
    let mut out: String = pic.prefix.iter().collect();
    out.extend(s);
    out.extend(pic.suffix.iter());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(value: f64, picture: &str) -> String {
        format_number(value, picture, &[]).unwrap()
    }

    #[test]
    fn formats_as_jsonata_does() {
        assert_eq!(f(12345.6, "#,###.00"), "12,345.60");
        assert_eq!(f(1234.5678, "00.000e000"), "12.346e002");
        assert_eq!(f(0.234, "0.0e0"), "2.3e-1");
        assert_eq!(f(0.14, "01%"), "14%");
        assert_eq!(f(-6.0, "000"), "-006");
        assert_eq!(f(1234.5, "#;(#)"), "1234");
        assert_eq!(f(-1234.5, "#;(#)"), "(1234)");
        assert_eq!(
            format_number(
                1234.5678,
                "①①.①①①e①",
                &[("zero-digit".into(), "\u{245f}".into())]
            )
            .unwrap(),
            "①②.③④⑥e②"
        );
        assert_eq!(format_number(1.0, "#;#;#", &[]).unwrap_err().code, "D3080");
        assert_eq!(format_number(1.0, "#.#.#", &[]).unwrap_err().code, "D3081");
    }
}
