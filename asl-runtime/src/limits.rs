//! The payload limits: AWS fails a state whose input or output, as UTF-8 JSON
//! text, is larger than 256 KiB, with the terminal error
//! `States.DataLimitExceeded` (no `Retry`/`Catch` on `States.ALL` sees it). Data
//! nested deeper than [`MAX_DATA_DEPTH`] fails the same way, whatever the size
//! limit: every walk over a value (clone, drop, serialization) recurses, and this
//! bound keeps that recursion far from the end of a thread's stack. A value that
//! is too deep is taken apart without recursion ([`dismantle`]).
//!
//! In: a `Value` and the state's name. Out: `Ok` or the error with AWS's cause.
//! The size is counted by serializing into a counter that stops at the limit, so a
//! check never allocates the JSON text. On by default, as in AWS; a program may
//! raise or disable it ([`PayloadLimit::UNLIMITED`]).

use std::io;

use serde_json::Value;

use crate::error::{Error, names};

pub use asl_lang::keywords::MAX_DATA_DEPTH;

/// AWS's quota: 256 KiB.
pub const DEFAULT_MAX_PAYLOAD_BYTES: usize = asl_lang::keywords::MAX_PAYLOAD_BYTES;

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

    /// Is `value`'s compact JSON text within the limit? (`value` must be no deeper
    /// than [`MAX_DATA_DEPTH`]: see [`depth_exceeds`].)
    pub fn fits(&self, value: &Value) -> bool {
        match self.max_bytes {
            None => true,
            Some(max) => json_size_up_to(value, max) <= max,
        }
    }

    /// Checks a value that enters or leaves a state: too deep, or over the size
    /// limit, is `States.DataLimitExceeded` with `what` in the cause; a value too
    /// deep is taken apart without recursion. `what` completes "The state/task
    /// 'NAME' ...", e.g. "returned a result".
    pub fn check(&self, state_name: &str, what: &str, value: Value) -> Result<Value, Error> {
        let value = within_depth(value, || {
            format!("The state/task '{state_name}' {what} that")
        })?;
        if self.fits(&value) {
            return Ok(value);
        }
        Err(Error::new(
            names::DATA_LIMIT_EXCEEDED,
            format!(
                "The state/task '{state_name}' {what} with a size exceeding the maximum number of bytes service limit."
            ),
        ))
    }

    /// Checks an execution's input before any state runs: nested deeper than
    /// [`MAX_DATA_DEPTH`] or larger than the size limit (AWS refuses such an
    /// input at StartExecution) is `States.DataLimitExceeded`.
    pub fn check_execution_input(&self, value: Value) -> Result<Value, Error> {
        let value = within_depth(value, || "The execution input".to_owned())?;
        if self.fits(&value) {
            return Ok(value);
        }
        let max = self.max_bytes.unwrap_or_default();
        Err(Error::new(
            names::DATA_LIMIT_EXCEEDED,
            format!(
                "The execution input is larger than {max} bytes (the size limit of an execution's input)."
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

/// `value` back when it nests no deeper than [`MAX_DATA_DEPTH`]; otherwise it is
/// taken apart without recursion and the error says that `subject` ("The
/// execution input", "The state/task 'X' returned a result that") nests too deep.
/// The one gate every place where data enters or is built goes through.
pub fn within_depth(value: Value, subject: impl FnOnce() -> String) -> Result<Value, Error> {
    if depth_exceeds(&value, MAX_DATA_DEPTH) {
        dismantle(value);
        return Err(too_deep(&subject()));
    }
    Ok(value)
}

/// `States.DataLimitExceeded`: `subject` nests deeper than [`MAX_DATA_DEPTH`].
pub fn too_deep(subject: &str) -> Error {
    Error::new(
        names::DATA_LIMIT_EXCEEDED,
        format!(
            "{subject} nests arrays and objects more than {MAX_DATA_DEPTH} levels deep, the most a payload may have."
        ),
    )
}

/// Whether `value` nests arrays and objects deeper than `max` levels (a scalar
/// is level 0, `[1]` level 1). Looks no deeper than `max + 1` levels, so its own
/// recursion is bounded whatever the value.
pub fn depth_exceeds(value: &Value, max: usize) -> bool {
    // Only containers are visited: a scalar member costs no call (this runs
    // on every state's output).
    fn walk(value: &Value, budget: usize) -> bool {
        let deeper =
            |v: &Value| matches!(v, Value::Array(_) | Value::Object(_)) && walk(v, budget - 1);
        match value {
            Value::Array(items) => budget == 0 || items.iter().any(deeper),
            Value::Object(map) => budget == 0 || map.values().any(deeper),
            _ => false,
        }
    }
    walk(value, max)
}

/// Drops `value` without recursion: a value nested deeper than the stack allows
/// (which serde_json's own `Drop` would recurse through) is taken apart level by
/// level on the heap.
pub fn dismantle(value: Value) {
    let mut stack = vec![value];
    while let Some(mut v) = stack.pop() {
        match &mut v {
            Value::Array(items) => stack.extend(std::mem::take(items)),
            Value::Object(map) => {
                stack.extend(std::mem::take(map).into_iter().map(|(_, v)| v));
            }
            _ => {}
        }
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

    /// `[[[...0...]]]`, `depth` levels, built and taken apart without recursion.
    fn nested(depth: usize) -> Value {
        let mut v = json!(0);
        for _ in 0..depth {
            v = Value::Array(vec![v]);
        }
        v
    }

    #[test]
    fn depth_is_bounded_and_deep_values_are_dismantled_without_recursion() {
        assert!(!depth_exceeds(&nested(MAX_DATA_DEPTH), MAX_DATA_DEPTH));
        assert!(depth_exceeds(&nested(MAX_DATA_DEPTH + 1), MAX_DATA_DEPTH));
        // A million levels: checking stops early, dropping needs no stack.
        let deep = nested(1_000_000);
        assert!(depth_exceeds(&deep, MAX_DATA_DEPTH));
        let e = PayloadLimit::UNLIMITED
            .check("Build", "returned a result", deep)
            .unwrap_err();
        assert_eq!(e.name(), names::DATA_LIMIT_EXCEEDED);
        assert!(e.cause().unwrap().contains("128 levels"), "{e}");
        let e = PayloadLimit::AWS
            .check_execution_input(nested(1_000_000))
            .unwrap_err();
        assert!(e.cause().unwrap().starts_with("The execution input"), "{e}");
        let big = json!("x".repeat(DEFAULT_MAX_PAYLOAD_BYTES));
        let e = PayloadLimit::AWS.check_execution_input(big).unwrap_err();
        assert!(e.cause().unwrap().contains("262144 bytes"), "{e}");
        assert!(PayloadLimit::AWS.check_execution_input(nested(10)).is_ok());
    }

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
        assert!(
            limit
                .check("State_1", "returned a result", at_limit)
                .is_ok()
        );
        let e = limit
            .check("State_1", "returned a result", over.clone())
            .unwrap_err();
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
        assert!(
            PayloadLimit::UNLIMITED
                .check("S", "returned a result", over)
                .is_ok()
        );
        assert!(
            PayloadLimit::bytes(4)
                .check("S", "returned a result", json!("abc"))
                .is_err()
        );
    }
}
