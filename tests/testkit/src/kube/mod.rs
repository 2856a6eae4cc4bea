//! A Kubernetes API server stand-in (in progress): its PKI so far.

pub mod tls;
