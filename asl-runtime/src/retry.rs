//! `Retry` arithmetic: which retrier applies to an error, and how long to wait.
//!
//! Pure functions: nothing here sleeps or reads a clock. In: the state's retriers
//! (built by generated code as `const` [`Retrier`]s), the error, the per-state
//! [`RetryCounters`] and a random number for `JitterStrategy: FULL`. Out: a
//! [`RetryDecision`]: wait this long and run the state again, or give up (then the
//! state's `Catch` or the execution sees the error). The caller's clock does the
//! waiting, so tests run on a paused clock.

use std::time::Duration;

use crate::error::Error;

/// `JitterStrategy`
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Jitter {
    /// `NONE` (the default): wait exactly the computed delay.
    None,
    /// `FULL`: wait a uniformly random time in `[0, computed delay]`.
    Full,
}

/// One entry of a state's `Retry` list, with AWS's defaults.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Retrier {
    /// `ErrorEquals`: the names this retrier handles (`States.ALL` alone, last).
    pub error_equals: &'static [&'static str],
    /// `IntervalSeconds`: delay before the first retry (default 1).
    pub interval_seconds: f64,
    /// `MaxAttempts`: retries allowed (default 3; 0 means never retry).
    pub max_attempts: u32,
    /// `BackoffRate`: multiplier per retry (default 2.0).
    pub backoff_rate: f64,
    /// `MaxDelaySeconds`: cap on any one delay, if set.
    pub max_delay_seconds: Option<f64>,
    /// `JitterStrategy` (default `NONE`).
    pub jitter: Jitter,
}

impl Retrier {
    /// A retrier for `error_equals` with AWS's defaults: 1 s, 3 attempts, rate 2.0,
    /// no cap, no jitter. Override fields with struct update syntax.
    pub const fn new(error_equals: &'static [&'static str]) -> Self {
        Retrier {
            error_equals,
            interval_seconds: 1.0,
            max_attempts: 3,
            backoff_rate: 2.0,
            max_delay_seconds: None,
            jitter: Jitter::None,
        }
    }

    /// Does this retrier's `ErrorEquals` match `error`?
    pub fn matches(&self, error: &Error) -> bool {
        error.matches_any(self.error_equals)
    }

    /// The delay before retry number `retry` (0 for the first retry):
    /// `IntervalSeconds × BackoffRate^retry`, capped by `MaxDelaySeconds`; with FULL
    /// jitter, scaled by `random` (a number in `[0, 1]`, clamped).
    pub fn delay(&self, retry: u32, random: f64) -> Duration {
        let exponent = i32::try_from(retry).unwrap_or(i32::MAX);
        let mut seconds = self.interval_seconds * self.backoff_rate.powi(exponent);
        if let Some(cap) = self.max_delay_seconds {
            seconds = seconds.min(cap);
        }
        if self.jitter == Jitter::Full {
            seconds *= random.clamp(0.0, 1.0);
        }
        // Huge backoffs overflow to infinity; a Duration cannot hold that.
        Duration::try_from_secs_f64(seconds.max(0.0)).unwrap_or(Duration::MAX)
    }
}

/// What to do after a state failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RetryDecision {
    /// Wait, then run the state again.
    Retry(Duration),
    /// No retrier matched, or the matching one is out of attempts.
    GiveUp,
}

/// How many retries each retrier of one state has used. AWS keeps one counter per
/// retrier for the whole time the state runs: a retry under one retrier does not
/// reset another's.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RetryCounters {
    used: Vec<u32>,
}

impl RetryCounters {
    /// No retry used yet (a state just entered).
    #[cfg(test)]
    pub fn new() -> Self {
        Self::default()
    }

    /// Counters that go on from `used` (a resumed state's retries).
    pub fn from_used(used: Vec<u32>) -> Self {
        RetryCounters { used }
    }

    /// Retries used so far, per retrier.
    pub fn used_all(&self) -> &[u32] {
        &self.used
    }

    /// Retries used so far under retrier `index`.
    pub fn used(&self, index: usize) -> u32 {
        self.used.get(index).copied().unwrap_or(0)
    }

    /// Total retries so far (`$$.State.RetryCount`).
    pub fn total(&self) -> u32 {
        self.used.iter().sum()
    }

    /// Decides on a retry after `error`: the *first* retrier whose `ErrorEquals`
    /// matches applies (later ones are not consulted even if it is exhausted). A
    /// terminal error (`States.DataLimitExceeded`) is never retried. `random` feeds
    /// FULL jitter and is called only when that retrier uses it.
    pub fn next(
        &mut self,
        retriers: &[Retrier],
        error: &Error,
        random: impl FnOnce() -> f64,
    ) -> RetryDecision {
        if error.is_terminal() {
            return RetryDecision::GiveUp;
        }
        let Some((index, retrier)) = retriers.iter().enumerate().find(|(_, r)| r.matches(error))
        else {
            return RetryDecision::GiveUp;
        };
        let used = self.used(index);
        if used >= retrier.max_attempts {
            return RetryDecision::GiveUp;
        }
        if self.used.len() <= index {
            self.used.resize(index + 1, 0);
        }
        self.used[index] = used + 1;
        let random = if retrier.jitter == Jitter::Full {
            random()
        } else {
            1.0
        };
        RetryDecision::Retry(retrier.delay(used, random))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::names;

    const ALL: Retrier = Retrier {
        interval_seconds: 2.0,
        backoff_rate: 3.0,
        ..Retrier::new(&[names::ALL])
    };

    #[test]
    fn delay_grows_by_backoff_and_is_capped() {
        assert_eq!(ALL.delay(0, 1.0), Duration::from_secs(2));
        assert_eq!(ALL.delay(1, 1.0), Duration::from_secs(6));
        assert_eq!(ALL.delay(2, 1.0), Duration::from_secs(18));
        let capped = Retrier {
            max_delay_seconds: Some(10.0),
            ..ALL
        };
        assert_eq!(capped.delay(2, 1.0), Duration::from_secs(10));
        let huge = Retrier {
            backoff_rate: 1e300,
            ..ALL
        };
        assert_eq!(huge.delay(5, 1.0), Duration::MAX);
    }

    #[test]
    fn full_jitter_scales_within_zero_and_delay() {
        let jittered = Retrier {
            jitter: Jitter::Full,
            ..ALL
        };
        assert_eq!(jittered.delay(1, 0.5), Duration::from_secs(3));
        assert_eq!(jittered.delay(1, 0.0), Duration::ZERO);
        assert_eq!(jittered.delay(1, 7.0), Duration::from_secs(6));
        // Without jitter the random number is ignored.
        assert_eq!(ALL.delay(1, 0.0), Duration::from_secs(6));
    }

    #[test]
    fn counters_follow_first_matching_retrier() {
        let retriers = [
            Retrier {
                max_attempts: 1,
                ..Retrier::new(&["NoSuchError"])
            },
            Retrier {
                max_attempts: 2,
                ..Retrier::new(&["E"])
            },
            Retrier {
                max_attempts: 5,
                ..Retrier::new(&[names::ALL])
            },
        ];
        let e = Error::new("E", "c");
        let mut counters = RetryCounters::new();
        assert_eq!(
            counters.next(&retriers, &e, || 0.5),
            RetryDecision::Retry(Duration::from_secs(1))
        );
        assert_eq!(
            counters.next(&retriers, &e, || 0.5),
            RetryDecision::Retry(Duration::from_secs(2))
        );
        // Exhausted: the later States.ALL retrier does not take over.
        assert_eq!(counters.next(&retriers, &e, || 0.5), RetryDecision::GiveUp);
        assert_eq!(counters.used(1), 2);
        assert_eq!(
            counters.next(&retriers, &Error::new("Other", "c"), || 0.5),
            RetryDecision::Retry(Duration::from_secs(1))
        );
        assert_eq!(counters.total(), 3);
    }

    #[test]
    fn max_attempts_zero_and_terminal_errors_never_retry() {
        let never = [Retrier {
            max_attempts: 0,
            ..Retrier::new(&[names::ALL])
        }];
        assert_eq!(
            RetryCounters::new().next(&never, &Error::new("E", "c"), || 0.5),
            RetryDecision::GiveUp
        );
        let all = [Retrier::new(&[names::ALL])];
        let limit = Error::without_cause(names::DATA_LIMIT_EXCEEDED);
        assert_eq!(
            RetryCounters::new().next(&all, &limit, || 0.5),
            RetryDecision::GiveUp
        );
        assert_eq!(
            RetryCounters::new().next(&all, &Error::runtime("x"), || 0.5),
            RetryDecision::GiveUp
        );
        let explicit = [Retrier::new(&[names::DATA_LIMIT_EXCEEDED])];
        assert_eq!(
            RetryCounters::new().next(&explicit, &limit, || 0.5),
            RetryDecision::GiveUp
        );
    }
}
