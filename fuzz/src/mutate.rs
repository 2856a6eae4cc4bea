//! Mutations: byte-level (flip, insert, delete, splice, truncate) and
//! grammar-aware (tokens of the language, deep nesting, repeated keys).

use rand::Rng;
use rand::rngs::StdRng;

/// Tokens that reach the corners of ASL, paths, intrinsics and JSONata.
const TOKENS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    "\"",
    "\\",
    "\\u0000",
    "\\ud800",
    "null",
    "true",
    "-0",
    "1e999",
    "-1e-999",
    "18446744073709551616",
    "9007199254740993",
    "\"$\"",
    "\"$$\"",
    "\"$.a\"",
    "\"$..a\"",
    "\"$.a[*]\"",
    "\"$.a[?(@.b > 1)]\"",
    "\"$.a[-1:]\"",
    "\"States.Array(\"",
    "States.Format('{}', $.a)",
    "States.ArrayRange(0, 1000000, 1)",
    "States.StringToJson($.s)",
    "States.Hash($.a, 'SHA-512')",
    "\"{% %}\"",
    "\"{% $states.input %}\"",
    "\"{% $reduce([1..99999], function($a,$v){[$a]}, []) %}\"",
    "\"Type\"",
    "\"Pass\"",
    "\"Task\"",
    "\"Choice\"",
    "\"Map\"",
    "\"Parallel\"",
    "\"Wait\"",
    "\"Next\"",
    "\"End\"",
    "\"Parameters\"",
    "\"ResultPath\"",
    "\"InputPath\"",
    "\"Assign\"",
    "\"Retry\"",
    "\"Catch\"",
    "\"ErrorEquals\"",
    "\"States.ALL\"",
    "\"Resource\"",
    "\"arn:aws:states:::eks:runJob.sync\"",
    "\"arn:aws-cn:states:::sns:publish\"",
    "\"QueryLanguage\"",
    "\"JSONata\"",
    "\"Arguments\"",
    "\"Output\"",
    "\"ItemProcessor\"",
    "\"Iterator\"",
    "\"Branches\"",
    "\"Choices\"",
    "\"Variable\"",
    "\"StringMatches\"",
    "\"*\\\\*\"",
    "\"TimestampEquals\"",
    "\"2024-02-31T00:00:00Z\"",
    "\"Seconds\"",
    "99999999999",
    "\"x.$\"",
    "\"é\u{1F600}\"",
];

/// One mutation of `input`, in place.
pub fn bytes(rng: &mut StdRng, input: &mut Vec<u8>, donors: &[&[u8]]) {
    let len = input.len();
    match rng.random_range(0..9) {
        0 if len > 0 => {
            let i = rng.random_range(0..len);
            input[i] ^= 1 << rng.random_range(0..8);
        }
        1 => {
            let at = rng.random_range(0..=len);
            let token = TOKENS[rng.random_range(0..TOKENS.len())];
            input.splice(at..at, token.bytes());
        }
        2 if len > 0 => {
            let a = rng.random_range(0..len);
            let b = (a + rng.random_range(1..=16)).min(len);
            input.drain(a..b);
        }
        3 if !donors.is_empty() => {
            // Splice a piece of another seed in.
            let donor = donors[rng.random_range(0..donors.len())];
            if !donor.is_empty() {
                let a = rng.random_range(0..donor.len());
                let b = (a + rng.random_range(1..=200)).min(donor.len());
                let at = rng.random_range(0..=len);
                input.splice(at..at, donor[a..b].iter().copied());
            }
        }
        4 if len > 0 => input.truncate(rng.random_range(0..len)),
        5 => {
            // Deep nesting at a random place.
            let depth = [10, 100, 255, 256, 300, 5_000][rng.random_range(0..6)];
            let at = rng.random_range(0..=len);
            let (open, close) = if rng.random_bool(0.5) {
                ("[", "]")
            } else {
                ("{\"a\":", "}")
            };
            let mut piece = open.repeat(depth);
            piece.push('1');
            piece.push_str(&close.repeat(depth));
            input.splice(at..at, piece.into_bytes());
        }
        6 => {
            // Nested intrinsic calls inside a string.
            let depth = [2, 31, 32, 33, 1_000][rng.random_range(0..5)];
            let piece = format!(
                "\"x.$\": \"{}1{}\",",
                "States.Array(".repeat(depth),
                ")".repeat(depth)
            );
            let at = rng.random_range(0..=len);
            input.splice(at..at, piece.into_bytes());
        }
        7 => {
            // Repeated (duplicate) and very long keys.
            // At most about 1 MB: AWS's largest state machine definition.
            let key = "k".repeat([1, 80, 1_000][rng.random_range(0..3)]);
            let n = [2, 100, 1_000][rng.random_range(0..3)];
            let piece = format!("\"{key}\": 1,").repeat(n);
            let at = rng.random_range(0..=len);
            input.splice(at..at, piece.into_bytes());
        }
        _ if len > 1 => {
            // Swap two ranges' worth of bytes: reorders fields and states.
            let a = rng.random_range(0..len);
            let b = rng.random_range(0..len);
            input.swap(a, b);
        }
        _ => input.push(b'}'),
    }
}

/// `count` mutations.
pub fn many(rng: &mut StdRng, input: &mut Vec<u8>, donors: &[&[u8]], count: usize) {
    for _ in 0..count {
        bytes(rng, input, donors);
    }
}
