//! AWS requests over asl's own HTTP client (hyper over rustls), signed with
//! Signature Version 4 (`aws-sigv4`): the generic SDK caller's
//! ([`super::sdk`], feature `aws-sdk`) and API Gateway's
//! ([`super::apigateway`], feature `apigateway`). [`Caller`] holds what they
//! share: the client, the region and credentials of the AWS configuration
//! (or of a Task's role), the program's endpoints and the operation limit;
//! [`send`] signs one request (unless it goes unsigned) and waits for its
//! whole answer within that limit.

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use aws_credential_types::provider::{ProvideCredentials as _, SharedCredentialsProvider};
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use super::Timeouts;

/// What every signed call shares: the HTTP client, region, credentials,
/// endpoints and limits.
#[derive(Clone)]
pub(crate) struct Caller {
    client: Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>,
    pub(crate) region: Option<String>,
    credentials: Option<SharedCredentialsProvider>,
    /// Every service's endpoint ([`super::IntegrationsBuilder::endpoint_url`]).
    pub(crate) endpoint: Option<String>,
    /// Endpoints by service name ([`super::IntegrationsBuilder::service_endpoint`]).
    pub(crate) endpoints: HashMap<String, String>,
    pub(crate) operation: Duration,
}

impl Caller {
    pub(crate) fn new(
        sdk: &aws_config::SdkConfig,
        endpoint: Option<String>,
        endpoints: HashMap<String, String>,
        timeouts: &Timeouts,
    ) -> Self {
        let https = super::tls::connector(Vec::new(), timeouts, false);
        Caller {
            client: Client::builder(TokioExecutor::new()).build(https),
            region: sdk.region().map(|r| r.to_string()),
            credentials: sdk.credentials_provider(),
            endpoint,
            endpoints,
            operation: timeouts.aws_operation,
        }
    }

    /// The same caller with a role's credentials.
    pub(crate) fn with_credentials(&self, credentials: SharedCredentialsProvider) -> Self {
        Caller {
            credentials: Some(credentials),
            ..self.clone()
        }
    }

    /// The program's endpoint for the first of `services` it names one for,
    /// else the one for every service; without a trailing `/`.
    pub(crate) fn endpoint_for(&self, services: &[&str]) -> Option<String> {
        services
            .iter()
            .find_map(|s| self.endpoints.get(*s))
            .or(self.endpoint.as_ref())
            .map(|url| url.trim_end_matches('/').to_string())
    }
}

/// How a request is signed: the service's signing name, the region, and
/// SigV4's settings for it.
pub(crate) struct Signing<'a> {
    pub(crate) name: &'a str,
    pub(crate) region: &'a str,
    pub(crate) settings: SigningSettings,
}

/// A request: method, the whole URL, headers (without `host`), body.
pub(crate) struct Outgoing {
    pub(crate) method: String,
    pub(crate) uri: String,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

/// Why no answer came.
#[derive(Debug)]
pub(crate) enum Failure {
    /// No credentials to sign with, or they could not be loaded.
    Credentials(String),
    /// The request cannot be signed or built (a bug or a bad header).
    Invalid(String),
    /// No connection could be made.
    Connect(String),
    /// The connection failed while sending or reading.
    Io(String),
    /// No whole answer within the operation limit.
    Timeout(String),
}

/// A whole answer.
pub(crate) struct Received {
    pub(crate) status: hyper::StatusCode,
    pub(crate) headers: hyper::HeaderMap,
    pub(crate) body: Bytes,
}

/// Signs `request` for `signing` (none: sent as it is) with the caller's
/// credentials and sends it, within the operation limit. `what` names the
/// service in messages.
pub(crate) async fn send(
    caller: &Caller,
    what: &str,
    signing: Option<Signing<'_>>,
    request: Outgoing,
) -> Result<Received, Failure> {
    let host = request
        .uri
        .split("://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap_or_default()
        .to_string();
    let mut headers = request.headers;
    headers.push(("host".into(), host));
    if let Some(signing) = signing {
        let provider = caller.credentials.as_ref().ok_or_else(|| {
            Failure::Credentials(format!(
                "No AWS credentials are configured, so {what} cannot be called"
            ))
        })?;
        let credentials = provider.provide_credentials().await.map_err(|e| {
            Failure::Credentials(format!("Cannot load AWS credentials for {what}: {e}"))
        })?;
        let invalid = |e: &dyn std::fmt::Display| {
            Failure::Invalid(format!("Cannot sign the {what} request: {e}"))
        };
        let identity = credentials.into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(signing.region)
            .name(signing.name)
            .time(SystemTime::now())
            .settings(signing.settings)
            .build()
            .map_err(|e| invalid(&e))?
            .into();
        let signable = SignableRequest::new(
            &request.method,
            request.uri.as_str(),
            headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            SignableBody::Bytes(&request.body),
        )
        .map_err(|e| invalid(&e))?;
        let (instructions, _signature) = sign(signable, &params)
            .map_err(|e| invalid(&e))?
            .into_parts();
        for (name, value) in instructions.headers() {
            headers.push((name.to_string(), value.to_string()));
        }
    }
    let mut builder = hyper::Request::builder()
        .method(request.method.as_str())
        .uri(&request.uri);
    for (name, value) in &headers {
        if name != "host" {
            builder = builder.header(name, value);
        }
    }
    let http_request = builder
        .body(Full::new(Bytes::from(request.body)))
        .map_err(|e| Failure::Invalid(format!("the {what} request is invalid: {e}")))?;
    let exchange = async {
        let response = caller.client.request(http_request).await.map_err(|e| {
            let message = format!("{what} request failed: {}", crate::error::chain(&e));
            if e.is_connect() {
                Failure::Connect(message)
            } else {
                Failure::Io(message)
            }
        })?;
        let (parts, body) = response.into_parts();
        let body = body
            .collect()
            .await
            .map_err(|e| Failure::Io(format!("reading the {what} answer failed: {e}")))?
            .to_bytes();
        Ok(Received {
            status: parts.status,
            headers: parts.headers,
            body,
        })
    };
    tokio::time::timeout(caller.operation, exchange)
        .await
        .map_err(|_| {
            Failure::Timeout(format!(
                "{what} did not answer within {} s",
                caller.operation.as_secs_f64()
            ))
        })?
}
