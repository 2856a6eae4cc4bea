//! The TLS every HTTPS client of the integrations uses (`http:invoke`, the
//! generic SDK caller): rustls with aws-lc-rs, the system's roots and any the
//! program adds.

use hyper_util::client::legacy::connect::HttpConnector;
use rustls::pki_types::CertificateDer;

use super::Timeouts;

/// An HTTPS connector (and plain HTTP too unless `https_only`: a local
/// endpoint such as moto), HTTP/1.1, connecting within `timeouts.connect`.
pub(crate) fn connector(
    extra_roots: Vec<CertificateDer<'static>>,
    timeouts: &Timeouts,
    https_only: bool,
) -> hyper_rustls::HttpsConnector<HttpConnector> {
    let mut roots = rustls::RootCertStore::empty();
    let native = rustls_native_certs::load_native_certs();
    roots.add_parsable_certificates(native.certs);
    roots.add_parsable_certificates(extra_roots);
    let tls = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("aws-lc-rs supports the default protocol versions")
    .with_root_certificates(roots)
    .with_no_client_auth();
    let mut http = HttpConnector::new();
    http.set_connect_timeout(Some(timeouts.connect));
    http.enforce_http(false);
    let builder = hyper_rustls::HttpsConnectorBuilder::new().with_tls_config(tls);
    if https_only {
        builder.https_only().enable_http1().wrap_connector(http)
    } else {
        builder.https_or_http().enable_http1().wrap_connector(http)
    }
}
