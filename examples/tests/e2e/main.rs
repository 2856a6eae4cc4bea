//! End to end, in one test binary (each links the AWS SDK and kube again):
//!
//! - `sample`: the sample compiled by `asl!`, run in process against moto and the
//!   Kubernetes API stand-in;
//! - `durable`: durable executions on SQLite and PostgreSQL (crash and resume,
//!   the execution API);
//! - `sample_durable`: the sample killed and resumed, stopped with cleanup,
//!   redriven (SQLite, PostgreSQL);
//! - `callbacks`: task tokens (`.waitForTaskToken`) and activities, in memory
//!   and durably (a crash and a park in the middle);
//! - `chaos`: fault injection: the serving process killed with SIGKILL at random
//!   moments, two replicas racing on PostgreSQL, PostgreSQL restarted mid-run,
//!   with the durability invariants checked after;
//! - `nested`: nested executions, Lambda functions in process and service errors
//!   caught, inside compiled workflows;
//! - `programs`: the programs as a user runs them (`run-sample`,
//!   `manage-eks-cluster` and its flags);
//! - `credentials`: Task `Credentials` in a workflow, a role assumed through
//!   moto's STS and a refused one caught;
//! - `apigateway`: `apigateway:invoke` against an HTTP server of the test's
//!   own (no moto);
//! - `sdk`: `aws-sdk:<service>:<action>` served from AWS's models (JSON
//!   protocols), results and error names as Step Functions gives them;
//! - `distributed`: distributed Maps reading items from moto's S3 (every
//!   ItemReader kind) and writing results back (ResultWriter), with
//!   tolerated failures;
//! - `serve`: `manage-eks-cluster --serve`, driven over AWS Step Functions'
//!   API by the `aws-sdk-sfn` crate.
//!
//! Both need moto (`bash scripts/setup-moto`) and print a skip line without it,
//! unless `CI=true`.

mod apigateway;
mod callbacks;
mod chaos;
mod common;
mod credentials;
mod distributed;
mod durable;
mod nested;
mod programs;
mod sample;
mod sample_durable;
mod sdk;
mod serve;
mod store;
