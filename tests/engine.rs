//! Workflows compiled by `asl!` and by the build.rs `Builder`, in one test binary
//! (each binary links the whole runtime again):
//!
//! - `workflows`: small workflows run end to end (Task dispatch, timeouts,
//!   Retry/Catch, history, Map, JSONata) on a paused clock;
//! - `compiled_snapshots`: the generated-code snapshots, compiled and run;
//! - `snapshots`: generated code compared with `snapshots/*.rs` (`UPDATE=1`
//!   rewrites them);
//! - `builder`: the build.rs route, writing formatted code only when it changed.

#[path = "workflows.rs"]
mod workflows;

#[path = "compiled_snapshots.rs"]
mod compiled_snapshots;

#[path = "snapshots.rs"]
mod snapshots;

#[path = "builder.rs"]
mod builder;
