//! `asl`: Amazon States Language workflows compiled to native async Rust.
//!
//! Users depend on this crate only. [`asl!`] reads a workflow definition while
//! `cargo build` runs, checks it, and expands to Rust; [`runtime`] is what that
//! code calls (and what a program configures: integrations, clock, history).
//!
//! The `integrations` feature (on by default) brings the Amazon EKS, Kubernetes
//! and Amazon SNS integrations.

pub use asl_macro::asl;
pub use asl_runtime as runtime;
pub use serde_json;
