//! The integrations over the wire:
//!
//! - `aws`: EKS control plane and SNS through the real SDK crates against moto;
//! - `kubernetes`: `eks:runJob(.sync)` and `eks:call` through kube against the
//!   project's Kubernetes API stand-in;
//! - `token`: the EKS bearer token, its SigV4 signature recomputed by hand;
//! - `credentials`: Task `Credentials`, a role assumed through moto's STS.

mod aws;
mod credentials;
mod kubernetes;
mod services;
mod token;

use asl_runtime::Error;
use asl_runtime::integrations::Integrations;
use asl_runtime::task::TaskContext;
use serde_json::Value;

/// Runs one task of `resource` with `parameters` through the integrations'
/// handler for it, outside any execution.
async fn run(
    integrations: &Integrations,
    resource: &str,
    parameters: Value,
) -> Result<Value, Error> {
    let handler = integrations
        .handler(resource)
        .unwrap_or_else(|| panic!("no handler for {resource}"));
    let task = TaskContext::new(resource, "Test");
    handler.invoke(&task, parameters).await
}

/// [`run`] for a task whose `Credentials` are `credentials`.
async fn run_as(
    integrations: &Integrations,
    resource: &str,
    credentials: &Value,
    parameters: Value,
) -> Result<Value, Error> {
    let handler = integrations
        .handler(resource)
        .unwrap_or_else(|| panic!("no handler for {resource}"));
    let mut task = TaskContext::new(resource, "Test");
    task.credentials = Some(credentials);
    handler.invoke(&task, parameters).await
}
