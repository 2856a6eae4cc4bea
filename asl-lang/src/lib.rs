//! The facts of the Amazon States Language that both sides of `asl` need, in one
//! place: the compiler (`asl-build`) decides with them what to accept, the runtime
//! (`asl-runtime`) what to do, and neither keeps a copy of its own.
//!
//! - [`keywords`]: field names and the language's numeric limits.
//! - [`errors`]: the predefined error names (`States.Runtime`, ...).
//! - [`intrinsics`]: the intrinsic functions, their names, arities and argument kinds.
//! - [`timestamp`]: RFC 3339 timestamps as Step Functions accepts them.
//! - [`jsonata`]: recognising `{% %}`, a syntax check, and the guard that refuses
//!   what the runtime's evaluator cannot run.
//! - [`integrations`]: the service integration catalogue: each resource ARN ×
//!   pattern × partition, its request shape, result, error names and IAM actions.
//! - [`sdk`]: the AWS SDK integrations (`aws-sdk:<service>:<action>`): Step
//!   Functions' naming rules and, with the `aws-models` feature, AWS's service
//!   models.
//!
//! The crate depends on `time` only (and, with `aws-models`, on `flate2` and
//! `serde_json`), so the proc macro stays light.

pub mod distributed;
pub mod errors;
pub mod integrations;
pub mod intrinsics;
pub mod jsonata;
pub mod keywords;
pub mod names;
pub mod sdk;
pub mod timestamp;
