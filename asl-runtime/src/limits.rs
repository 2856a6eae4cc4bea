//! The payload size limit: AWS fails a state whose input or output, as UTF-8 JSON
//! text, is larger than 256 KiB, with the terminal error
//! `States.DataLimitExceeded` (no `Retry`/`Catch` on `States.ALL` sees it).
//!
//! In: a `Value` and the state's name. Out: `Ok` or the error with AWS's cause.
//! The size is counted by serializing into a counter that stops at the limit, so a
//! check never allocates the JSON text. On by default, as in AWS; a program may
//! raise or disable it ([`PayloadLimit::UNLIMITED`]).

use std::io;

use serde_json::Value;

use crate::error::{Error, names};

/// AWS's quota: 256 KiB.
pub const DEFAULT_MAX_PAYLOAD_BYTES: usize = 256 * 1024;

/// The size limit in force for an execution.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PayloadLimit {
    /// Largest allowed size in bytes of the compact JSON text; `None`: no limit.
    pub max_bytes: Option<usize>,
}

impl Default for PayloadLimit {
    fn default() -> Self {
        PayloadLimit::AWS
    }
}

impl PayloadLimit {
    /// AWS's limit, 256 KiB.
    pub const AWS: PayloadLimit = PayloadLimit {
        max_bytes: Some(DEFAULT_MAX_PAYLOAD_BYTES),
    };
    /// No limit.
    pub const UNLIMITED: PayloadLimit = PayloadLimit { max_bytes: None };

    /// A limit of `max_bytes`.
    pub const fn bytes(max_bytes: usize) -> Self {
        PayloadLimit {
            max_bytes: Some(max_bytes),
        }
    }

    /// Is `value`'s compact JSON text within the limit?
    pub fn fits(&self, value: &Value) -> bool {
        match self.max_bytes {
            None => true,
            Some(max) => json_size_up_to(value, max) <= max,
        }
    }

    /// Checks a state's result/output. Too large: `States.DataLimitExceeded` with
    /// cause `The state/task 'NAME' returned a result with a size exceeding the
    /// maximum number of bytes service limit.`
    pub fn check_output(&self, state_name: &str, value: &Value) -> Result<(), Error> {
        if self.fits(value) {
            return Ok(());
        }
        Err(Error::new(
            names::DATA_LIMIT_EXCEEDED,
            format!(
                "The state/task '{state_name}' returned a result with a size exceeding the maximum number of bytes service limit."
            ),
        ))
    }

    /// Checks a state's effective input (after `Parameters`). Too large:
    /// `States.DataLimitExceeded` with cause `The state/task 'NAME' has an input
    /// with a size exceeding the maximum number of bytes service limit.`
    pub fn check_input(&self, state_name: &str, value: &Value) -> Result<(), Error> {
        if self.fits(value) {
            return Ok(());
        }
        Err(Error::new(
            names::DATA_LIMIT_EXCEEDED,
            format!(
                "The state/task '{state_name}' has an input with a size exceeding the maximum number of bytes service limit."
            ),
        ))
    }
}

/// The size of `value`'s compact JSON text in bytes, counting stopped just past
/// `cap` (a result `> cap` means "larger than cap").
pub fn json_size_up_to(value: &Value, cap: usize) -> usize {
    let mut counter = Counter { bytes: 0, cap };
    // The writer fails on purpose once past `cap`; the count so far is the answer.
    let _ = serde_json::to_writer(&mut counter, value);
    counter.bytes
}

struct Counter {
    bytes: usize,
    cap: usize,
}

impl io::Write for Counter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.bytes += buf.len();
        if self.bytes > self.cap {
            return Err(io::Error::other("payload limit exceeded"));
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn counts_utf8_bytes_of_compact_json() {
        assert_eq!(
            json_size_up_to(&json!({"a": [1, "é"]}), 1000),
            r#"{"a":[1,"é"]}"#.len()
        );
        assert!(json_size_up_to(&json!("x".repeat(100)), 10) > 10);
    }

    #[test]
    fn limit_at_256_kib_with_aws_cause() {
        let limit = PayloadLimit::default();
        // A string of n chars is n + 2 bytes of JSON.
        let at_limit = json!("a".repeat(DEFAULT_MAX_PAYLOAD_BYTES - 2));
        let over = json!("a".repeat(DEFAULT_MAX_PAYLOAD_BYTES - 1));
        assert!(limit.check_output("State_1", &at_limit).is_ok());
        let e = limit.check_output("State_1", &over).unwrap_err();
        assert_eq!(e.name(), names::DATA_LIMIT_EXCEEDED);
        assert_eq!(
            e.cause(),
            Some(
                "The state/task 'State_1' returned a result with a size exceeding the maximum number of bytes service limit."
            )
        );
        assert!(e.is_terminal());
        assert!(
            limit
                .check_input("S", &over)
                .unwrap_err()
                .cause()
                .unwrap()
                .contains("has an input")
        );
        assert!(PayloadLimit::UNLIMITED.check_output("S", &over).is_ok());
        assert!(
            PayloadLimit::bytes(4)
                .check_output("S", &json!("abc"))
                .is_err()
        );
    }
}
