//! The integrations over the wire:
//!
//! - `aws`: EKS control plane and SNS through the real SDK crates against moto;
//! - `kubernetes`: `eks:runJob(.sync)` and `eks:call` through kube against the
//!   project's Kubernetes API stand-in;
//! - `token`: the EKS bearer token, its SigV4 signature recomputed by hand.

mod aws;
mod kubernetes;
mod services;
mod token;
