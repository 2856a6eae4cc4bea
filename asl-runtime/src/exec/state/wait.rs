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

    /// `SecondsPath`: the value must be a non-negative integer. A fraction or
    /// anything else cannot be parsed as a long; a negative integer fails the
    /// state too (AWS, recorded for LocalStack's aws.validated
    /// `test_base_wait_seconds_path[-1]`), it is not a wait of 0.
    pub async fn wait_seconds_path(&self, value: Option<&Value>, path: &str) -> Result<(), Error> {
        let Some(value) = value else {
            return Err(Error::runtime(format!(
                "The SecondsPath parameter does not reference an input value: {path}"
            )));
        };
        let seconds = match value.as_i64() {
            Some(s) if s < 0 => {
                return Err(Error::runtime(format!(
                    "The SecondsPath parameter references a negative value: {path} == {s}"
                )));
            }
            Some(s) => Some(s as u64),
            None => value.as_u64(),
        };
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
    /// In a durable execution the wait is a suspension: its due time is
    /// stored first (a resumed Wait, at any depth, waits only the time left),
    /// and a top-level one due later than the runtime's park threshold
    /// releases the execution until then.
    pub async fn wait_until(&self, timestamp: OffsetDateTime) -> Result<(), Error> {
        // A full history fails the execution now, not after the wait.
        self.exec.check_history()?;
        let remaining = timestamp - self.exec.now();
        // A Wait already due needs no suspension: one stored before a crash
        // was due no later (the same instant, or `Seconds: 0` from earlier).
        if self.exec.durable() && remaining.is_positive() {
            let id = self.exec.suspension_id(self.name(), self.entered_id, 0);
            let mut wait = crate::store::Suspension::new(
                self.exec.arn.as_str(),
                id,
                crate::store::SuspensionKind::Wait,
                self.exec.now(),
            );
            wait.deadline = Some(timestamp);
            self.exec.suspend(wait, true).await?;
            return Ok(());
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
