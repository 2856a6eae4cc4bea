//! EKS bearer tokens, made the way `aws eks get-token` and aws-iam-authenticator make
//! them: a presigned STS `GetCallerIdentity` URL (SigV4 in the query string,
//! `X-Amz-Expires=60`, the header `x-k8s-aws-id: <cluster name>` signed along), base64url
//! without padding, behind the prefix `k8s-aws-v1.`. The cluster's authenticator calls
//! that URL to learn who the caller is.
//!
//! EKS accepts such a token for 15 minutes after it was signed; callers regenerate it
//! after [`TOKEN_LIFETIME`] so that a long `.sync` wait never sends a stale one.

use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_sigv4::http_request::{
    SignableBody, SignableRequest, SignatureLocation, SigningSettings, sign,
};
use aws_sigv4::sign::v4;
use base64::Engine as _;

use super::Secret;
use super::params::percent_encode;
use crate::error::Error;

/// How long a generated token is used before a new one is made (EKS honours 15
/// minutes; the margin covers clock skew and a request in flight).
pub const TOKEN_LIFETIME: Duration = Duration::from_secs(10 * 60);

/// The signed URL lives this long (what aws-iam-authenticator signs).
const PRESIGN_EXPIRES: Duration = Duration::from_secs(60);

/// Makes EKS tokens from the AWS credentials of an [`aws_config::SdkConfig`].
pub(crate) struct TokenSource {
    credentials: Option<SharedCredentialsProvider>,
    region: String,
    sts_endpoint: String,
}

impl TokenSource {
    pub(crate) fn new(sdk: &aws_config::SdkConfig, sts_endpoint: Option<String>) -> Self {
        let region = sdk
            .region()
            .map(|r| r.to_string())
            .unwrap_or_else(|| "us-east-1".to_owned());
        let sts_endpoint =
            sts_endpoint.unwrap_or_else(|| format!("https://sts.{region}.amazonaws.com/"));
        TokenSource {
            credentials: sdk.credentials_provider(),
            region,
            sts_endpoint,
        }
    }

    /// The same source, signing with `credentials` (an assumed role's).
    pub(crate) fn with_credentials(&self, credentials: SharedCredentialsProvider) -> Self {
        TokenSource {
            credentials: Some(credentials),
            region: self.region.clone(),
            sts_endpoint: self.sts_endpoint.clone(),
        }
    }

    /// A fresh token for `cluster_name`, and when to stop using it.
    pub(crate) async fn token(&self, cluster_name: &str) -> Result<(Secret, SystemTime), Error> {
        let provider = self.credentials.as_ref().ok_or_else(|| {
            Error::new(
                crate::error::names::TASK_FAILED,
                "No AWS credentials are configured, so no EKS token can be made",
            )
        })?;
        let credentials = provider.provide_credentials().await.map_err(|e| {
            // The provider's error names where it looked, never the secret itself.
            Error::new(
                crate::error::names::TASK_FAILED,
                format!("Cannot load AWS credentials for the EKS token: {e}"),
            )
        })?;
        let now = SystemTime::now();
        let token = eks_token(
            &credentials,
            &self.region,
            &self.sts_endpoint,
            cluster_name,
            now,
        )?;
        Ok((token, now + TOKEN_LIFETIME))
    }
}

/// The EKS token for `cluster_name`, signed with `credentials` at `time` for the STS
/// endpoint `sts_endpoint` (e.g. `https://sts.us-east-1.amazonaws.com/`) in `region`.
pub fn eks_token(
    credentials: &Credentials,
    region: &str,
    sts_endpoint: &str,
    cluster_name: &str,
    time: SystemTime,
) -> Result<Secret, Error> {
    let url = presigned_url(credentials, region, sts_endpoint, cluster_name, time)?;
    Ok(Secret::new(format!(
        "k8s-aws-v1.{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(url.expose())
    )))
}

/// The presigned `GetCallerIdentity` URL inside a token (itself a credential while it
/// is valid, hence a [`Secret`]).
pub fn presigned_url(
    credentials: &Credentials,
    region: &str,
    sts_endpoint: &str,
    cluster_name: &str,
    time: SystemTime,
) -> Result<Secret, Error> {
    let base = sts_base(sts_endpoint)?;
    let unsigned = format!("{base}?Action=GetCallerIdentity&Version=2011-06-15");
    let mut settings = SigningSettings::default();
    settings.signature_location = SignatureLocation::QueryParams;
    settings.expires_in = Some(PRESIGN_EXPIRES);
    let identity = credentials.clone().into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name("sts")
        .time(time)
        .settings(settings)
        .build()
        .map_err(|e| Error::runtime(format!("Cannot sign the EKS token: {e}")))?
        .into();
    let request = SignableRequest::new(
        "GET",
        unsigned.as_str(),
        [("x-k8s-aws-id", cluster_name)].into_iter(),
        SignableBody::Bytes(&[]),
    )
    .map_err(|e| Error::runtime(format!("Cannot sign the EKS token: {e}")))?;
    let (instructions, _signature) = sign(request, &params)
        .map_err(|e| Error::runtime(format!("Cannot sign the EKS token: {e}")))?
        .into_parts();
    let mut url = unsigned;
    for (name, value) in instructions.params() {
        url.push('&');
        url.push_str(name);
        url.push('=');
        url.push_str(&percent_encode(value));
    }
    Ok(Secret::new(url))
}

/// `scheme://host[:port]/path` with the path ending in `/`; refuses anything without
/// a host (the signer needs one).
fn sts_base(endpoint: &str) -> Result<String, Error> {
    let rest = endpoint
        .strip_prefix("https://")
        .or_else(|| endpoint.strip_prefix("http://"))
        .ok_or_else(|| {
            Error::runtime(format!(
                "The STS endpoint '{endpoint}' is not an http(s) URL"
            ))
        })?;
    let host = rest.split(['/', '?']).next().unwrap_or_default();
    if host.is_empty() || rest.contains('?') {
        return Err(Error::runtime(format!(
            "The STS endpoint '{endpoint}' needs a host and no query"
        )));
    }
    Ok(if endpoint.ends_with('/') {
        endpoint.to_owned()
    } else {
        format!("{endpoint}/")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds() -> Credentials {
        Credentials::new(
            "AKIDEXAMPLE",
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            None,
            None,
            "test",
        )
    }

    #[test]
    fn token_is_prefixed_base64url_of_a_presigned_sts_url() {
        let time = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let token = eks_token(
            &creds(),
            "us-east-1",
            "https://sts.us-east-1.amazonaws.com",
            "MyCluster",
            time,
        )
        .unwrap();
        let body = token.expose().strip_prefix("k8s-aws-v1.").unwrap();
        assert!(!body.contains('=') && !body.contains('+') && !body.contains('/'));
        let url = String::from_utf8(
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(body)
                .unwrap(),
        )
        .unwrap();
        assert!(url.starts_with(
            "https://sts.us-east-1.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15&"
        ));
        assert!(url.contains("X-Amz-Expires=60"));
        assert!(url.contains("X-Amz-SignedHeaders=host%3Bx-k8s-aws-id"));
        assert!(url.contains("X-Amz-Date=20231114T221320Z"));
        assert!(
            url.contains(
                "X-Amz-Credential=AKIDEXAMPLE%2F20231114%2Fus-east-1%2Fsts%2Faws4_request"
            )
        );
        // The secret key itself never travels.
        assert!(!url.contains("wJalrXUtnFEMI"));
    }

    #[test]
    fn bad_sts_endpoints_are_errors_not_panics() {
        let t = SystemTime::UNIX_EPOCH;
        assert!(eks_token(&creds(), "us-east-1", "sts.amazonaws.com", "c", t).is_err());
        assert!(eks_token(&creds(), "us-east-1", "https://", "c", t).is_err());
        assert!(eks_token(&creds(), "us-east-1", "https://h/?x=1", "c", t).is_err());
    }
}
