//! The examples' shared code: what a workflow program does around the workflow that
//! `asl!` compiled into it.
//!
//! - [`cli`]: the command line of a workflow program (input, AWS endpoint and region,
//!   ClusterName → API server mappings, history file, progress style);
//! - [`app`]: AWS configuration, integrations and runtime from those arguments, then
//!   running the execution and reporting its output or its error and cause;
//! - [`progress`]: each state as it enters and leaves, live on a terminal, plain lines
//!   otherwise;
//! - [`history_json`]: the execution history as JSON in the shape of AWS's
//!   `GetExecutionHistory`;
//! - [`generated_storage`]: an in-process object store of generated JSON Lines items,
//!   for distributed Maps without S3;
//! - [`sandbox`]: moto and the Kubernetes API stand-in on 127.0.0.1, for `run-sample`
//!   and the end-to-end tests.
//!
//! The programs are in `src/bin/`: `manage-eks-cluster` (the AWS sample; with
//! `--serve`, its workflow over AWS Step Functions' HTTP API), `run-sample` (that
//! sample against the local sandbox, one command), `hello` (the smallest use of
//! `asl!`) and `callback-server` (a workflow waiting on an SQS callback, served over
//! the Step Functions API, for the restart test).

pub mod app;
pub mod cli;
pub mod generated_storage;
pub mod history_json;
pub mod progress;
pub mod sandbox;

/// A `kB` field of `/proc/self/status` (`"VmRSS:"`, `"VmHWM:"`), 0 where
/// there is none: the memory the benches report.
pub fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .unwrap_or(0)
}
