//! `manage-eks-cluster`: AWS's "Manage an Amazon EKS cluster" sample as one
//! self-contained program.
//!
//! The state machine (`examples/manage-eks-cluster.asl.json`, unchanged from AWS's
//! sample) is compiled into this binary by `asl!` while `cargo build` runs: no
//! definition file, interpreter or Step Functions is needed at run time. It creates an
//! EKS cluster and a node group, runs a Job that prints pi, checks the value, publishes
//! the verdict to SNS, and deletes the Job, the node group and the cluster.
//!
//! By default it talks to real AWS with the standard AWS configuration (environment,
//! profile, SSO, region): running it creates real, billed resources. `--aws-endpoint`
//! sends AWS calls elsewhere (e.g. moto), `--cluster NAME=URL` or `--kube-context`
//! sends the Kubernetes calls of a ClusterName to another API server. See `--help`;
//! `scripts/run-sample` runs it against local stand-ins.
//!
//! Progress goes to stderr, the execution's output JSON to stdout; on failure the
//! error and cause are printed and the exit status is 1.
//!
//! `--store PATH` (SQLite) or `--store postgres://...` keeps the execution: every
//! transition is committed, and `--resume` continues it after a crash or a kill;
//! `--cleanup-on-failure` deletes what it created when it fails or is stopped.

use std::process::ExitCode;

use asl::asl;
use asl_examples::app::App;

asl!(ManageEksCluster = "manage-eks-cluster.asl.json");

#[tokio::main]
async fn main() -> ExitCode {
    let app = match App::from_env("manage-eks-cluster").await {
        Ok(app) => app,
        Err(code) => return code,
    };
    match app.run::<ManageEksCluster>().await {
        Ok(outcome) => app.finish(outcome),
        Err(e) => {
            eprintln!("manage-eks-cluster: {e}");
            ExitCode::from(asl_examples::app::EXIT_SETUP)
        }
    }
}
