//! Wait states: `Seconds`, `Timestamp` and their `...Path` forms, on tokio's
//! (pausable) clock.

use super::*;

impl StateRun<'_> {
    /// `Seconds`.
    pub async fn wait_seconds(&self, seconds: u64) -> Result<(), Error> {
        let seconds = i64::try_from(seconds).unwrap_or(i64::MAX);
        let due = self
            .exec
            .now()
            .checked_add(time::Duration::seconds(seconds))
            .unwrap_or(OffsetDateTime::new_utc(
                time::Date::MAX,
                time::Time::MIDNIGHT,
            ));
        self.wait_until(due).await
    }

    /// `SecondsPath`: the value must be a non-negative integer.
    pub async fn wait_seconds_path(&self, value: Option<&Value>, path: &str) -> Result<(), Error> {
        let Some(value) = value else {
            return Err(Error::runtime(format!(
                "The SecondsPath parameter does not reference an input value: {path}"
            )));
        };
        let seconds = value
            .as_u64()
            .or_else(|| value.as_i64().map(|s| s.max(0) as u64));
        let Some(seconds) = seconds else {
            return Err(Error::runtime(format!(
                "The SecondsPath parameter cannot be parsed as a long value: {path} == {}",
                display_raw(value)
            )));
        };
        self.wait_seconds(seconds).await
    }

    /// `Timestamp`: waits until the instant (no wait if it has passed).
    ///
    /// In a durable execution a top-level Wait stores its due time first (a
    /// resumed Wait waits only the time left), and one due later than the
    /// runtime's park threshold releases the execution until then.
    pub async fn wait_until(&self, timestamp: OffsetDateTime) -> Result<(), Error> {
        // A full history fails the execution now, not after the wait.
        self.exec.check_history()?;
        let due = self
            .resumed
            .as_ref()
            .and_then(|p| p.wait_until)
            .unwrap_or(timestamp);
        let remaining = due - self.exec.now();
        if self.exec.durable() && self.exec.at_top().is_some() {
            let park = self
                .exec
                .park_after()
                .is_some_and(|after| remaining > after);
            self.exec.waiting(due, park).await?;
        }
        if remaining.is_positive() {
            tokio::time::sleep(remaining.unsigned_abs()).await;
        }
        Ok(())
    }

    /// `TimestampPath`: the value must be an RFC 3339 timestamp string.
    pub async fn wait_timestamp_path(
        &self,
        value: Option<&Value>,
        path: &str,
    ) -> Result<(), Error> {
        let Some(value) = value else {
            return Err(Error::runtime(format!(
                "The TimestampPath parameter does not reference an input value: {path}"
            )));
        };
        let Some(timestamp) = value.as_str().and_then(parse_timestamp) else {
            return Err(Error::runtime(format!(
                "The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: {path} == {}",
                display_raw(value)
            )));
        };
        self.wait_until(timestamp).await
    }
}
