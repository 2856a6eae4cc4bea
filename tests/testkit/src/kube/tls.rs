//! The stand-in's own PKI, made fresh at every start: a CA, and a server certificate for
//! `127.0.0.1` and `localhost` signed by it, like a cluster's API server certificate.
//!
//! In: nothing. Out: the CA in PEM (what a client must trust, and what EKS hands out
//! base64-encoded as `certificateAuthority.data`) and a rustls server config that
//! speaks HTTP/1.1 (the only protocol the stand-in serves).

use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use time::{Duration, OffsetDateTime};
use tokio_rustls::rustls::{
    self,
    pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, pem::PemObject},
};

use crate::Error;

/// A fresh CA and the server's TLS configuration.
pub(crate) struct Pki {
    pub ca_pem: String,
    pub server_config: Arc<rustls::ServerConfig>,
}

fn rcgen_err(e: rcgen::Error) -> Error {
    Error::new(format!("making the stand-in's certificates: {e}"))
}

/// Makes a CA and a server certificate for 127.0.0.1/localhost valid for a day.
pub(crate) fn make_pki() -> Result<Pki, Error> {
    let now = OffsetDateTime::now_utc();
    // Backdate a little: clients compare against their own clock.
    let not_before = now - Duration::hours(1);
    let not_after = now + Duration::days(1);

    let ca_key = KeyPair::generate().map_err(rcgen_err)?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(rcgen_err)?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "asl-testkit kubernetes CA");
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    ca_params.not_before = not_before;
    ca_params.not_after = not_after;
    let ca_cert = ca_params.self_signed(&ca_key).map_err(rcgen_err)?;
    let issuer = Issuer::from_params(&ca_params, &ca_key);

    let server_key = KeyPair::generate().map_err(rcgen_err)?;
    let mut params = CertificateParams::new(vec![
        "127.0.0.1".to_string(),
        "localhost".to_string(),
        "kubernetes".to_string(),
        "kubernetes.default.svc".to_string(),
    ])
    .map_err(rcgen_err)?;
    params
        .distinguished_name
        .push(DnType::CommonName, "kube-apiserver");
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.not_before = not_before;
    params.not_after = not_after;
    let server_cert = params.signed_by(&server_key, &issuer).map_err(rcgen_err)?;

    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der()));
    let chain = vec![server_cert.der().clone(), ca_cert.der().clone()];
    let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| Error::new(format!("TLS config: {e}")))?
    .with_no_client_auth()
    .with_single_cert(chain, key)
    .map_err(|e| Error::new(format!("TLS config: {e}")))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Pki {
        ca_pem: ca_cert.pem(),
        server_config: Arc::new(config),
    })
}

/// Every certificate in a PEM text.
pub fn pem_certificates(pem: &str) -> Result<Vec<CertificateDer<'static>>, Error> {
    CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Error::new(format!("reading PEM certificates: {e:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn makes_a_ca_that_parses_and_a_server_config() {
        let pki = make_pki().unwrap();
        assert!(pki.ca_pem.starts_with("-----BEGIN CERTIFICATE-----"));
        assert_eq!(pem_certificates(&pki.ca_pem).unwrap().len(), 1);
        assert_eq!(pki.server_config.alpn_protocols, vec![b"http/1.1".to_vec()]);
        // Each start makes its own CA.
        assert_ne!(make_pki().unwrap().ca_pem, pki.ca_pem);
    }
}
