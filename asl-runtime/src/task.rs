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

/// What a handler knows about the task it runs, besides its parameters.
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
}

/// Runs the work of a Task state: effective parameters in, result out.
///
/// An `Err` is a task failure with AWS's error name and cause, which the state's
/// `Retry` and `Catch` see.
pub trait TaskHandler: Send + Sync + 'static {
    fn invoke<'a>(&'a self, task: &'a TaskContext<'a>, parameters: Value) -> BoxFuture<'a, Result<Value, Error>>;
}
