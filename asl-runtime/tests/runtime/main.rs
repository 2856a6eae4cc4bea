//! The runtime's tests from the outside, in one test binary (each test binary links
//! the runtime with the AWS SDK and kube again: one binary saves link time and disk):
//!
//! - `conformance_dataflow`: the data-flow core and Choice against the shared corpus;
//! - `heartbeat`: HeartbeatSeconds enforced through `TaskContext::send_heartbeat`;
//! - `jsonata`: the JSONata evaluator, its limits and the corpus's JSONata cases;
//! - `integrations`: EKS, SNS and the Kubernetes API over the wire.

mod conformance_dataflow;
mod heartbeat;
#[cfg(feature = "integrations")]
mod integrations;
mod jsonata;
