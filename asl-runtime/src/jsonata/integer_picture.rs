//! `$formatInteger(number, picture)` and `$parseInteger(string, picture)`:
//! JSONata's integer picture strings, after XPath F&O 3.1 `format-integer`.
//!
//! A picture is a primary token and an optional `;` modifier (`o` ordinal,
//! `c` cardinal). The primary token is one of:
//! - a decimal digit pattern: mandatory digits of one Unicode digit family
//!   (`0`, `٠`, `０`, ...), optional digits `#` and grouping separators
//!   (any other character). Separators that repeat regularly (`#,##0`) group
//!   every so many digits all the way; others stand where they are written
//!   (`#:###,##0`). With `o`: `1st`, `2nd`, `23rd`, `11th`;
//! - `A` / `a`: letters (`1` is `A`, `27` is `AA`);
//! - `I` / `i`: Roman numerals;
//! - `W` / `w` / `Ww`: English words (`three thousand, seven hundred and
//!   thirty`), with `o` as ordinals (`thirty-first`).
//!
//! Errors: a primary token of another kind is `D3130`, digits of two families
//! in one pattern `D3131`.

/// A picture that cannot be used: its JSONata error code and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PictureError {
    pub code: &'static str,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Case {
    Lower,
    Upper,
    Title,
}

#[derive(Debug)]
enum Primary {
    Decimal(Decimal),
    Letters(Case),
    Roman(Case),
    Words(Case),
}

#[derive(Debug)]
struct Decimal {
    /// The zero of the digit family.
    zero: char,
    /// How many digits are always written.
    mandatory: usize,
    /// Separators by their position counted in digits from the right.
    separators: Vec<(usize, char)>,
    /// `Some(every)` when the separators repeat regularly.
    regular: Option<(usize, char)>,
}

struct Picture {
    primary: Primary,
    ordinal: bool,
}

/// The value of `c` as a decimal digit and the zero of its family.
fn digit(c: char) -> Option<(u32, char)> {
    if c.is_ascii_digit() {
        return Some((c as u32 - '0' as u32, '0'));
    }
    if !c.is_numeric() {
        return None;
    }
    // Unicode lays each decimal digit family out from its zero: find the zero
    // below `c` whose run of ten holds `c`.
    (0..10u32).find_map(|d| {
        let zero = char::from_u32(c as u32 - d)?;
        let run_is_digits = (0..10u32).all(|k| {
            char::from_u32(zero as u32 + k).is_some_and(|x| x.is_numeric() && !x.is_alphabetic())
        });
        let below_is_not = char::from_u32((zero as u32).wrapping_sub(1))
            .is_none_or(|b| !b.is_numeric() || b.is_alphabetic());
        (run_is_digits && below_is_not).then_some((d, zero))
    })
}

fn unsupported(token: &str) -> PictureError {
    PictureError {
        code: "D3130",
        message: format!(
            "Formatting or parsing an integer as a sequence starting with {token} is not supported by this implementation"
        ),
    }
}

fn parse_picture(picture: &str) -> Result<Picture, PictureError> {
    let (primary, modifier) = match picture.rfind(';') {
        Some(i) => (&picture[..i], &picture[i + 1..]),
        None => (picture, ""),
    };
    let ordinal = modifier.starts_with('o');
    let primary = match primary {
        "A" => Primary::Letters(Case::Upper),
        "a" => Primary::Letters(Case::Lower),
        "I" => Primary::Roman(Case::Upper),
        "i" => Primary::Roman(Case::Lower),
        "W" => Primary::Words(Case::Upper),
        "w" => Primary::Words(Case::Lower),
        "Ww" => Primary::Words(Case::Title),
        _ => Primary::Decimal(decimal_pattern(primary)?),
    };
    Ok(Picture { primary, ordinal })
}

fn decimal_pattern(pattern: &str) -> Result<Decimal, PictureError> {
    let mut zero = None;
    let mut mandatory = 0;
    let mut digits_seen = 0;
    let mut separators = Vec::new();
    for c in pattern.chars().rev() {
        if let Some((_, z)) = digit(c) {
            match zero {
                None => zero = Some(z),
                Some(existing) if existing != z => {
                    return Err(PictureError {
                        code: "D3131",
                        message: "In a decimal digit pattern, all digits must be from the same decimal group".into(),
                    });
                }
                Some(_) => {}
            }
            mandatory += 1;
            digits_seen += 1;
        } else if c == '#' {
            digits_seen += 1;
        } else if c.is_alphanumeric() {
            return Err(unsupported(pattern));
        } else {
            separators.push((digits_seen, c));
        }
    }
    let Some(zero) = zero else {
        return Err(unsupported(pattern));
    };
    // Regular: one separator character, at multiples of the first position.
    let regular = match separators.first() {
        Some(&(first, c))
            if first > 0
                && separators
                    .iter()
                    .enumerate()
                    .all(|(i, &(pos, s))| s == c && pos == first * (i + 1)) =>
        {
            Some((first, c))
        }
        _ => None,
    };
    Ok(Decimal {
        zero,
        mandatory,
        separators,
        regular,
    })
}

const FEW: [&str; 20] = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
];
const FEW_ORDINAL: [&str; 20] = [
    "zeroth",
    "first",
    "second",
    "third",
    "fourth",
    "fifth",
    "sixth",
    "seventh",
    "eighth",
    "ninth",
    "tenth",
    "eleventh",
    "twelfth",
    "thirteenth",
    "fourteenth",
    "fifteenth",
    "sixteenth",
    "seventeenth",
    "eighteenth",
    "nineteenth",
];
const DECADES: [&str; 8] = [
    "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
];
const DECADES_ORDINAL: [&str; 8] = [
    "twentieth",
    "thirtieth",
    "fortieth",
    "fiftieth",
    "sixtieth",
    "seventieth",
    "eightieth",
    "ninetieth",
];
const MAGNITUDES: [&str; 4] = ["thousand", "million", "billion", "trillion"];

/// English words for a whole number; above the trillions, scales repeat
/// (`one thousand trillion`), as JSONata writes them.
fn words(n: f64, after: bool, ordinal: bool) -> String {
    if n <= 19.0 {
        let i = n as usize;
        let w = if ordinal { FEW_ORDINAL[i] } else { FEW[i] };
        return format!("{}{w}", if after { " and " } else { "" });
    }
    if n < 100.0 {
        let tens = (n / 10.0).floor() as usize;
        let rest = n % 10.0;
        let w = if ordinal && rest == 0.0 {
            DECADES_ORDINAL[tens - 2]
        } else {
            DECADES[tens - 2]
        };
        let mut out = format!("{}{w}", if after { " and " } else { "" });
        if rest > 0.0 {
            out.push('-');
            out.push_str(&words(rest, false, ordinal));
        }
        return out;
    }
    let (head, scale, factor) = if n < 1000.0 {
        ((n / 100.0).floor(), "hundred", 100.0)
    } else {
        let magnitude = ((n.log10() / 3.0).floor() as usize).clamp(1, MAGNITUDES.len());
        let factor = 10f64.powi(3 * magnitude as i32);
        ((n / factor).floor(), MAGNITUDES[magnitude - 1], factor)
    };
    let rest = n - head * factor;
    let mut out = format!(
        "{}{} {scale}",
        if after { ", " } else { "" },
        words(head, false, false)
    );
    if rest > 0.0 {
        out.push_str(&words(rest, true, ordinal));
    } else if ordinal {
        out.push_str("th");
    }
    out
}

fn with_case(text: &str, case: Case) -> String {
    match case {
        Case::Lower => text.to_string(),
        Case::Upper => text.to_uppercase(),
        Case::Title => {
            let mut out = String::with_capacity(text.len());
            for (i, word) in text.split(' ').enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                if word == "and" {
                    out.push_str(word);
                    continue;
                }
                let parts: Vec<String> = word
                    .split('-')
                    .map(|p| {
                        let mut c = p.chars();
                        c.next()
                            .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                            .unwrap_or_default()
                    })
                    .collect();
                out.push_str(&parts.join("-"));
            }
            out
        }
    }
}

fn roman(mut n: u64) -> String {
    const TABLE: [(u64, &str); 13] = [
        (1000, "m"),
        (900, "cm"),
        (500, "d"),
        (400, "cd"),
        (100, "c"),
        (90, "xc"),
        (50, "l"),
        (40, "xl"),
        (10, "x"),
        (9, "ix"),
        (5, "v"),
        (4, "iv"),
        (1, "i"),
    ];
    let mut out = String::new();
    for (value, letters) in TABLE {
        while n >= value {
            out.push_str(letters);
            n -= value;
        }
    }
    out
}

fn letters(mut n: u64) -> String {
    let mut out = Vec::new();
    while n > 0 {
        n -= 1;
        out.push((b'a' + (n % 26) as u8) as char);
        n /= 26;
    }
    out.iter().rev().collect()
}

fn ordinal_suffix(n: u64) -> &'static str {
    match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    }
}

fn decimal(n: f64, pattern: &Decimal, ordinal: bool) -> String {
    let negative = n < 0.0;
    let magnitude = n.abs();
    let mut ascii = format!("{magnitude:.0}");
    while ascii.len() < pattern.mandatory {
        ascii.insert(0, '0');
    }
    let mut out = Vec::new();
    for (i, d) in ascii.bytes().rev().enumerate() {
        if i > 0 {
            let separator = match pattern.regular {
                Some((every, c)) => (i % every == 0).then_some(c),
                None => pattern
                    .separators
                    .iter()
                    .find(|(pos, _)| *pos == i)
                    .map(|(_, c)| *c),
            };
            if let Some(c) = separator {
                out.push(c);
            }
        }
        out.push(char::from_u32(pattern.zero as u32 + u32::from(d - b'0')).unwrap_or('?'));
    }
    let mut text: String = out.into_iter().rev().collect();
    if ordinal {
        text.push_str(ordinal_suffix(magnitude as u64));
    }
    if negative {
        text.insert(0, '-');
    }
    text
}

/// `$formatInteger`: `value` (rounded down to an integer) written per `picture`.
pub fn format_integer(value: f64, picture: &str) -> Result<String, PictureError> {
    let picture = parse_picture(picture)?;
    let n = value.floor();
    Ok(match &picture.primary {
        Primary::Decimal(d) => decimal(n, d, picture.ordinal),
        Primary::Letters(case) => with_case(&letters(n.max(0.0) as u64), *case),
        Primary::Roman(case) => with_case(&roman(n.max(0.0) as u64), *case),
        Primary::Words(case) => {
            let text = words(n.abs(), false, picture.ordinal);
            let text = if n < 0.0 {
                format!("minus {text}")
            } else {
                text
            };
            with_case(&text, *case)
        }
    })
}

/// The value of one English number word, cardinal or ordinal.
fn word_value(word: &str) -> Option<f64> {
    if let Some(i) = FEW.iter().position(|w| *w == word) {
        return Some(i as f64);
    }
    if let Some(i) = FEW_ORDINAL.iter().position(|w| *w == word) {
        return Some(i as f64);
    }
    if let Some(i) = DECADES
        .iter()
        .position(|w| *w == word)
        .or_else(|| DECADES_ORDINAL.iter().position(|w| *w == word))
    {
        return Some(((i + 2) * 10) as f64);
    }
    if word == "hundred" || word == "hundredth" {
        return Some(100.0);
    }
    MAGNITUDES
        .iter()
        .position(|m| *m == word || word.strip_suffix("th") == Some(m))
        .map(|i| 10f64.powi(3 * (i as i32 + 1)))
}

fn parse_words(text: &str) -> Option<f64> {
    let lower = text.to_lowercase().replace(',', " ");
    let (mut total, mut group, mut current) = (0.0f64, 0.0f64, 0.0f64);
    let mut last_was_magnitude = false;
    for token in lower
        .split([' ', '-'])
        .filter(|t| !t.is_empty() && *t != "and")
    {
        let v = word_value(token)?;
        if v == 100.0 {
            current = current.max(1.0) * 100.0;
            last_was_magnitude = false;
        } else if v >= 1000.0 {
            if last_was_magnitude && current == 0.0 {
                group *= v;
            } else {
                total += group;
                group = current.max(1.0) * v;
                current = 0.0;
            }
            last_was_magnitude = true;
        } else {
            current += v;
            last_was_magnitude = false;
        }
    }
    Some(total + group + current)
}

fn parse_roman(text: &str) -> Option<f64> {
    let value = |c: char| match c.to_ascii_lowercase() {
        'i' => Some(1.0),
        'v' => Some(5.0),
        'x' => Some(10.0),
        'l' => Some(50.0),
        'c' => Some(100.0),
        'd' => Some(500.0),
        'm' => Some(1000.0),
        _ => None,
    };
    let values: Vec<f64> = text.chars().map(value).collect::<Option<_>>()?;
    let mut total = 0.0;
    for (i, v) in values.iter().enumerate() {
        if values.get(i + 1).is_some_and(|next| next > v) {
            total -= v;
        } else {
            total += v;
        }
    }
    Some(total)
}

fn parse_letters(text: &str) -> Option<f64> {
    text.chars().try_fold(0.0, |acc, c| {
        c.is_ascii_alphabetic()
            .then(|| acc * 26.0 + f64::from(c.to_ascii_lowercase() as u8 - b'a' + 1))
    })
}

fn parse_decimal(text: &str, pattern: &Decimal, ordinal: bool) -> Option<f64> {
    let text = if ordinal {
        ["st", "nd", "rd", "th"]
            .iter()
            .find_map(|s| text.strip_suffix(s))
            .unwrap_or(text)
    } else {
        text
    };
    let (negative, text) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let mut n = 0.0;
    let mut any = false;
    for c in text.chars() {
        match digit(c) {
            Some((d, zero)) if zero == pattern.zero => {
                n = n * 10.0 + f64::from(d);
                any = true;
            }
            Some(_) => return None,
            None if pattern.separators.iter().any(|(_, s)| *s == c) => {}
            None => return None,
        }
    }
    any.then_some(if negative { -n } else { n })
}

/// `$parseInteger`: the integer `text` writes per `picture`; `None` when
/// `text` does not follow it.
pub fn parse_integer(text: &str, picture: &str) -> Result<Option<f64>, PictureError> {
    let picture = parse_picture(picture)?;
    Ok(match &picture.primary {
        Primary::Decimal(d) => parse_decimal(text, d, picture.ordinal),
        Primary::Letters(_) => parse_letters(text),
        Primary::Roman(_) => parse_roman(text),
        Primary::Words(_) => parse_words(text),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_the_picture_kinds() {
        let f = |n: f64, p: &str| format_integer(n, p).unwrap();
        assert_eq!(f(-3.0, "0000"), "-0003");
        assert_eq!(f(1234567890.0, "#,##0"), "1,234,567,890");
        assert_eq!(f(1234567890.0, "#:###,##0"), "1234:567,890");
        assert_eq!(f(1234567890.0, "##,##,##0"), "12345,67,890");
        assert_eq!(f(12340.0, "###١"), "١٢٣٤٠");
        assert_eq!(f(123.0, "000;o"), "123rd");
        assert_eq!(f(1984.0, "I"), "MCMLXXXIV");
        assert_eq!(f(300.0, "A"), "KN");
        assert_eq!(f(555.0, "Ww"), "Five Hundred and Fifty-Five");
        assert_eq!(f(1e46, "w"), "ten billion trillion trillion trillion");
        assert_eq!(f(1000000000001.0, "w;o"), "one trillion and first");
        assert_eq!(format_integer(1.0, "##0０").unwrap_err().code, "D3131");
        assert_eq!(format_integer(1.0, "α").unwrap_err().code, "D3130");
    }

    #[test]
    fn parses_what_it_formats() {
        for (n, p) in [
            (4327732.0, "w;o"),
            (1e46, "w"),
            (1000000000000000.0, "w"),
            (1234567890.0, "#:###,##0"),
            (123456.0, "A"),
            (99.0, "i"),
            (28.0, "#0;o"),
        ] {
            let text = format_integer(n, p).unwrap();
            assert_eq!(parse_integer(&text, p).unwrap(), Some(n), "{text}");
        }
        assert_eq!(parse_integer("", "I").unwrap(), Some(0.0));
    }
}
