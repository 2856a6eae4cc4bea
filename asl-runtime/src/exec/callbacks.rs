//! Task tokens: the callback pattern (`.waitForTaskToken`) and activities.
//!
//! Each attempt of a Task that waits for a callback or runs an activity gets a
//! task token before its parameters are evaluated (`$$.Task.Token`): 256
//! random bits from a cryptographic generator seeded by the operating system
//! (`rand`'s thread generator), opaque, unrelated to the execution's name. A durable execution keeps it on the attempt's
//! suspension (a resumed execution finds the same token, and waits days
//! across restarts); an execution in memory keeps it in the runtime's
//! registry here. SendTaskSuccess, SendTaskFailure and SendTaskHeartbeat find
//! the task by its token in either.
//!
//! AWS's answers: a token that is not one Step Functions could have made is
//! `InvalidToken`; one no task holds, `TaskDoesNotExist`; one whose task
//! already ended (timed out, or answered before), `TaskTimedOut`.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use serde_json::Value;
use time::OffsetDateTime;
use tokio::sync::Notify;

use super::Runtime;
use super::durable::ApiError;
use crate::store::{Outcome, StoreError};
use crate::task::HeartbeatSignal;

/// The first byte of every token this runtime makes (its format's version).
const TOKEN_VERSION: u8 = 1;
/// Random bytes in a token.
const TOKEN_RANDOM: usize = 32;
/// AWS's bounds on a `taskToken` (the API model's 1 to 2,048 characters).
pub(crate) const MAX_TOKEN_LENGTH: usize = 2048;
/// SendTaskSuccess's `output`: at most 256 KiB, as an execution's input.
pub(crate) const MAX_OUTPUT_BYTES: usize = 262_144;
/// SendTaskFailure's `error` and `cause`, as the API model bounds them.
pub(crate) const MAX_ERROR_LENGTH: usize = 256;
pub(crate) const MAX_CAUSE_LENGTH: usize = 32_768;

/// A new task token.
pub(crate) fn new_token() -> String {
    let mut bytes = [0u8; 1 + TOKEN_RANDOM];
    bytes[0] = TOKEN_VERSION;
    rand::Rng::fill(&mut rand::rng(), &mut bytes[1..]);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Is `token` one this runtime could have made? AWS's `InvalidToken` when not.
pub(crate) fn check_token(token: &str) -> Result<(), ApiError> {
    if token.is_empty() || token.len() > MAX_TOKEN_LENGTH {
        return Err(api_error(
            "ValidationException",
            format!(
                "1 validation error detected: Value at 'taskToken' failed to satisfy constraint: Member must have length between 1 and {MAX_TOKEN_LENGTH}"
            ),
        ));
    }
    let decoded = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(token);
    match decoded {
        Ok(bytes) if bytes.len() == 1 + TOKEN_RANDOM && bytes[0] == TOKEN_VERSION => Ok(()),
        _ => Err(api_error("InvalidToken", "Invalid Token: 'Invalid token'")),
    }
}

fn api_error(name: &str, message: impl Into<String>) -> ApiError {
    ApiError {
        name: name.to_string(),
        message: message.into(),
    }
}

/// A task of an execution in memory waiting for its callback.
#[derive(Debug, Default)]
pub(crate) struct Waiting {
    outcome: Mutex<Option<Outcome>>,
    arrived: Notify,
    /// Where SendTaskHeartbeat reports.
    pub(crate) beat: HeartbeatSignal,
}

impl Waiting {
    /// The outcome, once delivered.
    pub(crate) async fn outcome(&self) -> Outcome {
        loop {
            let notified = self.arrived.notified();
            if let Some(o) = lock(&self.outcome).clone() {
                return o;
            }
            notified.await;
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// How many closed tokens the registry remembers (to answer `TaskTimedOut`
/// rather than `TaskDoesNotExist` for them).
const CLOSED_KEPT: usize = 100_000;

/// The tokens of executions in memory (durable executions keep theirs in the
/// store).
#[derive(Debug, Default)]
pub(crate) struct Callbacks {
    open: Mutex<HashMap<String, Arc<Waiting>>>,
    closed: Mutex<(HashSet<String>, VecDeque<String>)>,
    /// An activity task was stored here (workers waiting in
    /// GetActivityTask look at once).
    scheduled: Notify,
}

impl Callbacks {
    /// Completes when this process next stores an activity task.
    pub(crate) fn activity_scheduled(
        &self,
    ) -> std::pin::Pin<Box<tokio::sync::futures::Notified<'_>>> {
        let mut notified = Box::pin(self.scheduled.notified());
        // Registered now: a task stored before the caller awaits counts.
        notified.as_mut().enable();
        notified
    }

    /// This process stored an activity task.
    pub(crate) fn scheduled_activity(&self) {
        self.scheduled.notify_waiters();
    }

    /// A task starts waiting on `token`.
    pub(crate) fn open(&self, token: &str) -> Arc<Waiting> {
        let waiting = Arc::new(Waiting::default());
        lock(&self.open).insert(token.to_string(), waiting.clone());
        waiting
    }

    /// The task of `token` ended: later answers get `TaskTimedOut`.
    pub(crate) fn close(&self, token: &str) {
        if lock(&self.open).remove(token).is_none() {
            return;
        }
        let mut closed = lock(&self.closed);
        let (set, order) = &mut *closed;
        if set.insert(token.to_string()) {
            order.push_back(token.to_string());
        }
        while order.len() > CLOSED_KEPT {
            if let Some(old) = order.pop_front() {
                set.remove(&old);
            }
        }
    }

    /// Delivers `outcome` (or a heartbeat, `None`) to the task of `token`:
    /// `None` when no task in memory has it.
    fn answer(&self, token: &str, outcome: Option<Outcome>) -> Option<Result<(), ApiError>> {
        let waiting = lock(&self.open).get(token).cloned();
        match waiting {
            Some(w) => {
                match outcome {
                    Some(o) => {
                        let mut slot = lock(&w.outcome);
                        if slot.is_some() {
                            return Some(Err(timed_out()));
                        }
                        *slot = Some(o);
                        drop(slot);
                        // Reaches `outcome`'s future: it exists before the check.
                        w.arrived.notify_waiters();
                    }
                    None => w.beat.beat(),
                }
                Some(Ok(()))
            }
            None if lock(&self.closed).0.contains(token) => Some(Err(timed_out())),
            None => None,
        }
    }
}

fn timed_out() -> ApiError {
    api_error(
        "TaskTimedOut",
        "Task Timed Out: 'Provided task does not exist anymore'",
    )
}

fn does_not_exist() -> ApiError {
    api_error("TaskDoesNotExist", "Task does not exist")
}

impl Runtime {
    /// SendTaskSuccess: the task waiting on `task_token` (a `.waitForTaskToken`
    /// Task or an activity task) succeeds with `output` (JSON text).
    pub async fn send_task_success(&self, task_token: &str, output: &str) -> Result<(), ApiError> {
        check_token(task_token)?;
        if output.len() > MAX_OUTPUT_BYTES {
            return Err(api_error(
                "ValidationException",
                format!(
                    "1 validation error detected: Value at 'output' failed to satisfy constraint: Member must have length less than or equal to {MAX_OUTPUT_BYTES}"
                ),
            ));
        }
        let output: Value = serde_json::from_str(output).map_err(|e| {
            api_error(
                "InvalidOutput",
                format!("Invalid Output: 'The output is not valid JSON: {e}'"),
            )
        })?;
        self.answer_task(task_token, Some(Outcome::Succeeded(output)))
            .await
    }

    /// SendTaskFailure: the task waiting on `task_token` fails with `error`
    /// and `cause` (its Retry and Catch see them).
    pub async fn send_task_failure(
        &self,
        task_token: &str,
        error: Option<&str>,
        cause: Option<&str>,
    ) -> Result<(), ApiError> {
        check_token(task_token)?;
        for (field, value, max) in [
            ("error", error, MAX_ERROR_LENGTH),
            ("cause", cause, MAX_CAUSE_LENGTH),
        ] {
            if value.is_some_and(|v| v.chars().count() > max) {
                return Err(api_error(
                    "ValidationException",
                    format!(
                        "1 validation error detected: Value at '{field}' failed to satisfy constraint: Member must have length less than or equal to {max}"
                    ),
                ));
            }
        }
        let outcome = Outcome::Failed {
            error: error.map(str::to_string),
            cause: cause.map(str::to_string),
        };
        self.answer_task(task_token, Some(outcome)).await
    }

    /// SendTaskHeartbeat: the task waiting on `task_token` is alive; its
    /// `HeartbeatSeconds` start again.
    pub async fn send_task_heartbeat(&self, task_token: &str) -> Result<(), ApiError> {
        check_token(task_token)?;
        self.answer_task(task_token, None).await
    }

    async fn answer_task(&self, token: &str, outcome: Option<Outcome>) -> Result<(), ApiError> {
        if let Some(answered) = self.inner.callbacks.answer(token, outcome.clone()) {
            return answered;
        }
        let Some(durability) = self.inner.durability.as_ref() else {
            return Err(does_not_exist());
        };
        let store = durability.store();
        let now = OffsetDateTime::now_utc();
        let answered = match outcome {
            Some(outcome) => store.deliver(token, outcome, now).await,
            None => store.heartbeat(token, now).await,
        };
        match answered {
            Ok(_) => Ok(()),
            Err(StoreError::TaskDoesNotExist(_)) => Err(does_not_exist()),
            Err(StoreError::TaskTimedOut(_)) => Err(timed_out()),
            Err(e) => Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_checked() {
        let a = new_token();
        let b = new_token();
        assert_ne!(a, b);
        assert_eq!(a.len(), 44);
        check_token(&a).unwrap();
        assert_eq!(check_token("guess").unwrap_err().name, "InvalidToken");
        assert_eq!(check_token("").unwrap_err().name, "ValidationException");
        // A token of the right length but another version is not ours.
        let mut other = a.clone().into_bytes();
        other[0] = b'B';
        assert_eq!(
            check_token(std::str::from_utf8(&other).unwrap())
                .unwrap_err()
                .name,
            "InvalidToken"
        );
    }

    #[tokio::test]
    async fn the_registry_answers_as_aws() {
        let callbacks = Callbacks::default();
        let token = new_token();
        assert!(callbacks.answer(&token, None).is_none());
        let waiting = callbacks.open(&token);
        callbacks.answer(&token, None).unwrap().unwrap();
        callbacks
            .answer(&token, Some(Outcome::Succeeded(Value::from(1))))
            .unwrap()
            .unwrap();
        assert_eq!(waiting.outcome().await, Outcome::Succeeded(Value::from(1)));
        // A second answer before the task closed, and any after.
        assert_eq!(
            callbacks
                .answer(&token, Some(Outcome::Succeeded(Value::Null)))
                .unwrap()
                .unwrap_err()
                .name,
            "TaskTimedOut"
        );
        callbacks.close(&token);
        assert_eq!(
            callbacks.answer(&token, None).unwrap().unwrap_err().name,
            "TaskTimedOut"
        );
    }
}
