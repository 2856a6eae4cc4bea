//! The runtime's tests from the outside, in one test binary (each test binary links
//! the runtime with the AWS SDK and kube again: one binary saves link time and disk):
//!
//! - `heartbeat`: HeartbeatSeconds enforced through `TaskContext::send_heartbeat`;
//! - `jsonata`: the JSONata evaluator and its limits;
//! - `integrations`: EKS, SNS and the Kubernetes API over the wire.

mod heartbeat;
#[cfg(feature = "integrations")]
mod integrations;
mod jsonata;
