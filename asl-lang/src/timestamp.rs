//! Timestamps as Step Functions accepts them (a Wait's `Timestamp`, Choice
//! `Timestamp*` operators, `TimestampPath` values): RFC 3339 (the ISO 8601 profile)
//! with an uppercase `T` between date and time, optional fractional seconds, and a
//! zone that is an uppercase `Z` or `±hh:mm`: `2016-03-14T01:59:00Z`,
//! `2012-10-09T19:00:55.5+01:00`.
//!
//! The compiler refuses a literal that [`parse`] refuses, and the runtime parses
//! with the same function, so a literal the build accepts is one the run can use.

pub use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// The instant `text` names, or `None` when Step Functions would not accept it: a
/// missing zone, a space or lowercase `t` instead of `T`, a lowercase `z`, or an
/// impossible date (`2024-02-31T00:00:00Z`).
pub fn parse(text: &str) -> Option<OffsetDateTime> {
    let bytes = text.as_bytes();
    // `time` also accepts `t`, `z` and a space as separators; AWS does not.
    if bytes.len() < 20 || bytes.get(10) != Some(&b'T') || text.contains(['t', 'z', ' ']) {
        return None;
    }
    OffsetDateTime::parse(text, &Rfc3339).ok()
}

/// Whether [`parse`] accepts `text`.
pub fn is_valid(text: &str) -> bool {
    parse(text).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_what_aws_accepts_and_nothing_else() {
        for ok in [
            "2016-03-14T01:59:00Z",
            "2012-10-09T19:00:55+01:00",
            "2012-10-09T19:00:55.123456789-08:30",
            "2024-02-29T00:00:00Z",
        ] {
            assert!(is_valid(ok), "{ok}");
        }
        for bad in [
            "2024-02-31T00:00:00Z",
            "2023-02-29T00:00:00Z",
            "2016-03-14 01:59:00Z",
            "2016-03-14t01:59:00Z",
            "2016-03-14T01:59:00z",
            "2016-03-14T01:59:00",
            "2016-13-14T01:59:00Z",
            "2016-03-14T24:00:00Z",
            "",
        ] {
            assert!(!is_valid(bad), "{bad}");
        }
    }
}
