//! Local stand-ins for the tests and the sample; all traffic stays on 127.0.0.1.
//!
//! - [`moto::MotoServer`]: starts moto's server (`scripts/setup-moto` installs it), for the
//!   AWS SDK clients (EKS control plane, SNS); [`moto::AwsTestSettings`] holds the dummy
//!   credentials, region and endpoint to hand to `aws-config`.
//! - [`kube::KubeStandIn`]: an in-process Kubernetes API server over TLS with its own CA,
//!   a bearer-token check and a Job controller that really runs a container's command
//!   when that program exists on this machine. The `kube-standin` binary serves one for
//!   scripts.
//! - [`http::HttpClient`]: a small HTTP/1.1 client (plain or TLS trusting a given CA) the
//!   tests use to talk to both.
//! - [`silent::SilentPeer`]: accepts connections and never answers (a hung peer).

mod error;
pub mod http;
pub mod https;
pub mod kube;
pub mod moto;
pub mod silent;

pub use error::Error;
