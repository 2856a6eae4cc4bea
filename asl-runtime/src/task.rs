//! The seam between a `Task` state and whatever does the work.
//!
//! Generated code never calls a service directly: it asks the [`crate::exec`]
//! runtime for the [`TaskHandler`] registered for the state's `Resource` and awaits
//! it. The built-in integrations (Amazon EKS, the Kubernetes API, Amazon SNS) are
//! handlers like any other, so a test or a program can replace each one.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use serde_json::Value;

use crate::error::Error;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Where a running task's heartbeats go: the engine waits on it to enforce
/// `HeartbeatSeconds`; a handler reaches it through [`TaskContext::send_heartbeat`].
///
/// A heartbeat sent while nobody waits is kept (one, not counted), so a beat is
/// never lost between two checks of the engine.
#[derive(Debug, Default)]
pub struct HeartbeatSignal {
    notify: tokio::sync::Notify,
}

impl HeartbeatSignal {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records one heartbeat (AWS: `SendTaskHeartbeat`).
    pub fn beat(&self) {
        self.notify.notify_one();
    }

    /// Completes at the next heartbeat (or at once for one sent since the last wait).
    pub async fn next_beat(&self) {
        self.notify.notified().await;
    }
}

/// What a handler knows about the task it runs, besides its parameters.
///
/// Build one with [`TaskContext::new`] and set the public fields that apply; the
/// engine also attaches the [`HeartbeatSignal`] it watches.
#[derive(Clone, Debug)]
pub struct TaskContext<'a> {
    /// The state's `Resource`, e.g. `arn:aws:states:::eks:runJob.sync`.
    pub resource: &'a str,
    /// The Task state's name.
    pub state_name: &'a str,
    /// `TimeoutSeconds` / `TimeoutSecondsPath` in effect, if any.
    pub timeout: Option<Duration>,
    /// `HeartbeatSeconds` / `HeartbeatSecondsPath` in effect, if any.
    pub heartbeat: Option<Duration>,
    /// The task token (`$$.Task.Token`) for `.waitForTaskToken` resources.
    pub task_token: Option<&'a str>,
    /// `Credentials` after evaluation (a role to assume), if the state has them.
    pub credentials: Option<&'a Value>,
    /// Where [`TaskContext::send_heartbeat`] reports; `None` outside the engine.
    heartbeat_signal: Option<&'a HeartbeatSignal>,
}

impl<'a> TaskContext<'a> {
    /// A context for `resource` in state `state_name`, without timeouts, token,
    /// credentials or heartbeat signal.
    pub fn new(resource: &'a str, state_name: &'a str) -> Self {
        TaskContext {
            resource,
            state_name,
            timeout: None,
            heartbeat: None,
            task_token: None,
            credentials: None,
            heartbeat_signal: None,
        }
    }

    /// Sends this task's heartbeats to `signal`.
    pub fn with_heartbeat_signal(mut self, signal: &'a HeartbeatSignal) -> Self {
        self.heartbeat_signal = Some(signal);
        self
    }

    /// Reports that the task is still making progress (AWS: `SendTaskHeartbeat`),
    /// which restarts the `HeartbeatSeconds` clock. Long-running handlers call it
    /// on every poll or event; without a signal attached it does nothing.
    pub fn send_heartbeat(&self) {
        if let Some(signal) = self.heartbeat_signal {
            signal.beat();
        }
    }
}

/// Runs the work of a Task state: effective parameters in, result out.
///
/// An `Err` is a task failure with AWS's error name and cause, which the state's
/// `Retry` and `Catch` see.
pub trait TaskHandler: Send + Sync + 'static {
    fn invoke<'a>(
        &'a self,
        task: &'a TaskContext<'a>,
        parameters: Value,
    ) -> BoxFuture<'a, Result<Value, Error>>;
}
