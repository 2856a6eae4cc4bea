//! The stand-ins checked from the outside, in one test binary:
//!
//! - `kube_api`: the Kubernetes API stand-in over TLS through a plain HTTP client;
//! - `kube_client`: the same through the `kube` crate, as the runtime uses it;
//! - `moto`: the moto server harness.

mod kube_api;
mod kube_client;
mod moto;
