//! `asl`: Amazon States Language workflows compiled to native async Rust.
//!
//! Users depend on this crate only. [`asl!`] reads a workflow definition while
//! `cargo build` runs, checks it, and expands to Rust; [`runtime`] is what that
//! code calls (and what a program configures: integrations, clock, history).
//!
//! The built-in integrations come in one Cargo feature per family: `eks`
//! (Amazon EKS and the Kubernetes API), `sns`, `lambda`, `dynamodb`, `s3`,
//! `sqs`, `events` (EventBridge), `sfn` (nested executions), `http`
//! (`http:invoke`), `apigateway` (`apigateway:invoke`) and `aws-sdk` (any
//! other AWS action, from AWS's models); `integrations`, on by default, turns
//! on all of them. A
//! workflow that calls a family whose feature is off does not compile, and the
//! error names the feature (a resource declared in `resources = [...]` needs
//! none: the program serves it).
//!
//! The `endpoint` feature (off by default) adds [`endpoint`]: AWS Step
//! Functions' HTTP API over a [`Runtime`], for boto3, the AWS CLI and the AWS
//! SDKs.
//!
//! # The `asl!` macro
//!
//! ```ignore
//! asl::asl!(pub ManageEksCluster = "workflows/manage-eks-cluster.asl.json");
//! ```
//!
//! expands to a unit struct `ManageEksCluster` that implements [`Workflow`]
//! (its name, the resources it calls, `run` and `run_with`, so a program can be
//! generic over workflows and check at start that it serves every resource with
//! [`Runtime::missing_handlers`]), and has the same two functions inherent:
//!
//! - `async fn run(runtime: &Runtime, input: Value) -> Result<Value, ExecutionError>`
//!   which runs one execution and returns its output, or AWS's `error` and `cause`;
//! - `async fn run_with(runtime, input, ExecutionOptions)` to name the execution or
//!   give it a history sink of its own;
//!
//! and, hidden inside a `const _: () = { ... };` block, one `async fn` per state
//! named after it (`Run a job on EKS` → `run_a_job_on_eks`) plus a driver that
//! moves from state to state in a loop. `cargo expand` shows them.
//!
//! Forms:
//! - `asl!("flow.asl.json")` defines `pub struct Workflow`;
//! - `asl!(pub(crate) Name = "flow.asl.json")` names the type (several workflows
//!   can live in one module) with any visibility;
//! - `, resources = ["arn:aws:lambda:...:function:f"]` declares Task resources the
//!   program provides handlers for. A `Resource` that is neither a built-in
//!   integration nor declared is a compile error, so a typo in an ARN never
//!   reaches production. An entry `"arn:…" => "f.result.schema.json"` also
//!   declares, as a JSON Schema, what that handler returns: paths into its
//!   result are checked and the typed API below takes its types;
//! - `, runtime = path::to::__private` for crates that re-export `asl`;
//! - `, input = "flow.input.schema.json"`: a JSON Schema of the execution
//!   input. Paths into the input are checked against it, and the macro also
//!   generates `FlowInput` (from the schema), `FlowOutput` (the output
//!   inferred through the graph; `Value` where it is unknown) and
//!   `Flow::run_typed(&runtime, FlowInput) -> Result<FlowOutput, ExecutionError>`;
//! - `, deny_warnings`: what may be wrong on some path only (a path absent on
//!   one edge into its state, a variable some path leaves unassigned) fails the
//!   build; without it each is a rustc warning at the definition's path (a use
//!   of a deprecated constant whose note is the warning: `#[allow(deprecated)]`
//!   on the enclosing module silences it).
//!
//! The path is resolved against `CARGO_MANIFEST_DIR` first, then against the
//! directory of the file that calls the macro. The file is included with
//! `include_bytes!`, so editing it rebuilds the crate.
//!
//! An invalid definition fails the build with every problem, each located in
//! the JSON file (`--> flow.asl.json:4:39`) and named by its rule
//! (`asl::unknown-next-state`); the type and its `run` functions are still
//! emitted, so the rest of the program type-checks and the real error stands
//! alone.
//!
//! # Example
//!
//! ```
//! # mod m {
//! asl::asl!(pub Counter = "tests/workflows/counter.asl.json");
//! # }
//! # use m::Counter;
//! use asl::Runtime;
//! use asl::serde_json::json;
//!
//! # fn block_on<F: std::future::Future>(f: F) -> F::Output {
//! #     // No Wait state here, so no timer is needed: polling to the end is enough.
//! #     let mut f = std::pin::pin!(f);
//! #     let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
//! #     loop {
//! #         if let std::task::Poll::Ready(out) = f.as_mut().poll(&mut cx) {
//! #             return out;
//! #         }
//! #     }
//! # }
//! let runtime = Runtime::builder().build();
//! // In a program: `Counter::run(&runtime, input).await` inside a tokio runtime.
//! let output = block_on(Counter::run(&runtime, json!({"n": 3}))).unwrap();
//! assert_eq!(output, json!({"count": 3, "n": 3}));
//! ```
//!
//! The same code can be written to a file by a build script with
//! `asl_build::Builder`, for programs that want to read or commit it.
//!
//! # The `jsonata!` macro
//!
//! [`jsonata!`] compiles one JSONata expression the way `asl!` compiles those of
//! a definition: checked at build time (a syntax error is a compile error at the
//! literal), turned into Rust when it lies in the native subset (see
//! [`runtime::jsonata::compiled`]), and handed to the full evaluator otherwise.
//! It gives a `&'static JsonataExpr` to evaluate against a scope:
//!
//! ```
//! use asl::runtime::jsonata::JsonataScope;
//! use asl::serde_json::json;
//!
//! let total = asl::jsonata!("$round($states.input.qty * $states.input.price * 1.2, 2)");
//! let input = json!({"qty": 3, "price": 9.99});
//! let scope = JsonataScope::new(&input, &asl::serde_json::Value::Null);
//! assert_eq!(total.value(&scope, "Output").unwrap(), json!(35.96));
//! ```

#[cfg(feature = "endpoint")]
pub use asl_endpoint as endpoint;
pub use asl_macro::{asl, jsonata};
pub use asl_runtime as runtime;
pub use asl_runtime::{Error, ExecutionError, ExecutionOptions, Runtime, Workflow};
pub use serde_json;
