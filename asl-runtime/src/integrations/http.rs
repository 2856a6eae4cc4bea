//! HTTPS APIs: `arn:aws:states:::http:invoke`, with hyper over rustls.
//!
//! The request: `ApiEndpoint` (HTTPS only, as Step Functions requires) with
//! `QueryParameters` appended, `Method`, `Headers`, and `RequestBody`, sent as
//! JSON (`Content-Type: application/json`) or, with `Transform.RequestBodyEncoding:
//! URL_ENCODED`, as a form (arrays per `RequestEncodingOptions.ArrayFormat`:
//! `INDICES` by default, `REPEAT`, `COMMAS`, `BRACKETS`). The EventBridge
//! connection named in `Authentication.ConnectionArn` (or
//! `InvocationConfig.ConnectionArn`) supplies the credentials, configured on the
//! runtime with [`super::IntegrationsBuilder::http_connection`]: an API key
//! header, basic authentication or a bearer token.
//!
//! The result is `{"Headers": {"name": ["value"]}, "ResponseBody": ..., "StatusCode":
//! "200", "StatusText": "OK"}`, the body parsed when it is JSON. An answer outside
//! 2xx fails the task with `States.Http.StatusCode.<code>` and that same object
//! as cause; a connection that cannot be made, or an answer that does not come
//! within the read timeout, is `States.Http.Socket`.

use std::collections::HashMap;
use std::fmt;

use base64::Engine as _;
use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject as _;
use serde_json::{Map, Value};

use super::params::{Params, kind, percent_encode};
use super::{Inner, Secret, Timeouts};
use crate::error::Error;

/// The credentials of one EventBridge connection.
#[derive(Clone)]
pub enum HttpAuth {
    /// `API_KEY`: the header `name` with `value`.
    ApiKey { name: String, value: Secret },
    /// `BASIC`: `Authorization: Basic ...`.
    Basic { username: String, password: Secret },
    /// `OAUTH_CLIENT_CREDENTIALS`, with the access token already obtained:
    /// `Authorization: Bearer ...`.
    Bearer(Secret),
}

impl fmt::Debug for HttpAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HttpAuth::ApiKey { name, .. } => write!(f, "ApiKey({name}: <redacted>)"),
            HttpAuth::Basic { username, .. } => write!(f, "Basic({username}: <redacted>)"),
            HttpAuth::Bearer(_) => f.write_str("Bearer(<redacted>)"),
        }
    }
}

/// What [`super::IntegrationsBuilder`] collects for `http:invoke`.
#[derive(Default)]
pub(crate) struct HttpSettings {
    pub(crate) connections: HashMap<String, HttpAuth>,
    roots: Vec<CertificateDer<'static>>,
}

impl HttpSettings {
    pub(crate) fn add_root(&mut self, pem: &[u8]) -> Result<(), Error> {
        let mut added = 0;
        for cert in CertificateDer::pem_slice_iter(pem) {
            let cert = cert.map_err(|e| Error::runtime(format!("not a PEM certificate: {e}")))?;
            self.roots.push(cert);
            added += 1;
        }
        if added == 0 {
            return Err(Error::runtime("no PEM certificate found"));
        }
        Ok(())
    }
}

#[derive(Clone)]
pub(crate) struct HttpClient {
    client: Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>,
    connections: HashMap<String, HttpAuth>,
    read: std::time::Duration,
}

impl HttpClient {
    pub(crate) fn new(settings: HttpSettings, timeouts: &Timeouts) -> Self {
        let https = super::tls::connector(settings.roots, timeouts, true);
        HttpClient {
            client: Client::builder(TokioExecutor::new()).build(https),
            connections: settings.connections,
            read: timeouts.read,
        }
    }
}

fn socket(message: String) -> Error {
    Error::new("States.Http.Socket", message)
}

/// A query or form value as text.
fn scalar_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `name=value` pairs of a JSON object, arrays laid out per `array_format`.
fn pairs(prefix: &str, value: &Value, array_format: &str, out: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let name = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}[{k}]")
                };
                pairs(&name, v, array_format, out);
            }
        }
        Value::Array(items) => match array_format {
            "COMMAS" => out.push((
                prefix.to_string(),
                items.iter().map(scalar_text).collect::<Vec<_>>().join(","),
            )),
            "REPEAT" => items
                .iter()
                .for_each(|i| pairs(prefix, i, array_format, out)),
            "BRACKETS" => items
                .iter()
                .for_each(|i| pairs(&format!("{prefix}[]"), i, array_format, out)),
            _ => items
                .iter()
                .enumerate()
                .for_each(|(n, i)| pairs(&format!("{prefix}[{n}]"), i, array_format, out)),
        },
        other => out.push((prefix.to_string(), scalar_text(other))),
    }
}

fn encode(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn connection_arn(p: &mut Params<'_>, resource: &str) -> Result<Option<String>, Error> {
    for field in ["Authentication", "InvocationConfig"] {
        if let Some(mut o) = p.opt_object(field)? {
            return match o.remove("ConnectionArn") {
                Some(Value::String(arn)) => Ok(Some(arn)),
                Some(other) => Err(Error::runtime(format!(
                    "The field '{field}.ConnectionArn' of {resource} must be a string, got {}",
                    kind(&other)
                ))),
                None => Err(Error::runtime(format!(
                    "The field '{field}.ConnectionArn' is required by {resource} but is missing"
                ))),
            };
        }
    }
    Ok(None)
}

pub(crate) async fn invoke(
    inner: &Inner,
    resource: &str,
    parameters: Value,
) -> Result<Value, Error> {
    let client = &inner.http;
    let mut p = Params::new(resource, parameters)?;
    let endpoint = p.required_str("ApiEndpoint")?;
    let method = p.required_str("Method")?;
    let connection = connection_arn(&mut p, resource)?;
    let headers = p.opt_object("Headers")?.unwrap_or_default();
    let query = p.take("QueryParameters");
    let body = p.take("RequestBody");
    let transform = p.opt_object("Transform")?.unwrap_or_default();
    p.finish()?;
    if !endpoint.starts_with("https://") {
        return Err(Error::runtime(format!(
            "The field 'ApiEndpoint' of {resource} must be an HTTPS URL, got '{endpoint}'"
        )));
    }
    let url_encoded =
        transform.get("RequestBodyEncoding").and_then(Value::as_str) == Some("URL_ENCODED");
    let array_format = transform
        .get("RequestEncodingOptions")
        .and_then(|o| o.get("ArrayFormat"))
        .and_then(Value::as_str)
        .unwrap_or("INDICES")
        .to_string();
    let mut url = endpoint.clone();
    if let Some(query) = &query {
        let mut q = Vec::new();
        pairs("", query, "REPEAT", &mut q);
        if !q.is_empty() {
            url.push(if url.contains('?') { '&' } else { '?' });
            url.push_str(&encode(&q));
        }
    }
    let mut request = hyper::Request::builder().method(method.as_str()).uri(&url);
    let mut has_content_type = false;
    for (name, value) in &headers {
        has_content_type |= name.eq_ignore_ascii_case("content-type");
        request = request.header(name.as_str(), scalar_text(value));
    }
    if let Some(arn) = &connection {
        let Some(auth) = client.connections.get(arn) else {
            return Err(Error::runtime(format!(
                "{resource}: no credentials are configured for the connection {arn} \
                 (IntegrationsBuilder::http_connection)"
            )));
        };
        request = match auth {
            HttpAuth::ApiKey { name, value } => request.header(name.as_str(), value.expose()),
            HttpAuth::Basic { username, password } => {
                let token = base64::engine::general_purpose::STANDARD
                    .encode(format!("{username}:{}", password.expose()));
                request.header("authorization", format!("Basic {token}"))
            }
            HttpAuth::Bearer(token) => {
                request.header("authorization", format!("Bearer {}", token.expose()))
            }
        };
    }
    let payload = match body {
        None => Bytes::new(),
        Some(body) if url_encoded => {
            if !has_content_type {
                request = request.header("content-type", "application/x-www-form-urlencoded");
            }
            match body {
                // Already encoded.
                Value::String(s) => Bytes::from(s),
                other => {
                    let mut form = Vec::new();
                    pairs("", &other, &array_format, &mut form);
                    Bytes::from(encode(&form))
                }
            }
        }
        Some(Value::String(s)) => Bytes::from(s),
        Some(other) => {
            if !has_content_type {
                request = request.header("content-type", "application/json");
            }
            Bytes::from(other.to_string())
        }
    };
    send(client, request, payload).await
}

async fn send(
    client: &HttpClient,
    request: hyper::http::request::Builder,
    payload: Bytes,
) -> Result<Value, Error> {
    let request = request
        .body(Full::new(payload))
        .map_err(|e| Error::runtime(format!("the HTTP request is invalid: {e}")))?;
    let exchange = async {
        let response = client.client.request(request).await.map_err(|e| {
            socket(format!(
                "the HTTP request failed: {}",
                crate::error::chain(&e)
            ))
        })?;
        let (parts, body) = response.into_parts();
        let bytes = body
            .collect()
            .await
            .map_err(|e| socket(format!("reading the HTTP answer failed: {e}")))?
            .to_bytes();
        Ok::<_, Error>((parts, bytes))
    };
    let (parts, bytes) = tokio::time::timeout(client.read, exchange)
        .await
        .map_err(|_| {
            socket(format!(
                "no HTTP answer within {} s",
                client.read.as_secs_f64()
            ))
        })??;
    let mut headers = Map::new();
    for (name, value) in &parts.headers {
        let entry = headers
            .entry(name.as_str().to_string())
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(values) = entry {
            values.push(Value::String(
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            ));
        }
    }
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    let status = parts.status;
    let mut result = Map::new();
    result.insert("Headers".into(), Value::Object(headers));
    result.insert("ResponseBody".into(), body);
    result.insert(
        "StatusCode".into(),
        Value::String(status.as_u16().to_string()),
    );
    result.insert(
        "StatusText".into(),
        Value::String(status.canonical_reason().unwrap_or_default().to_string()),
    );
    let result = Value::Object(result);
    if status.is_success() {
        Ok(result)
    } else {
        Err(Error::new(
            format!("States.Http.StatusCode.{}", status.as_u16()),
            result.to_string(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn forms_lay_out_arrays_as_asked() {
        let body = json!({"a": [1, 2], "b": "x y"});
        let laid = |format: &str| {
            let mut out = Vec::new();
            pairs("", &body, format, &mut out);
            encode(&out)
        };
        assert_eq!(laid("INDICES"), "a%5B0%5D=1&a%5B1%5D=2&b=x%20y");
        assert_eq!(laid("REPEAT"), "a=1&a=2&b=x%20y");
        assert_eq!(laid("COMMAS"), "a=1%2C2&b=x%20y");
        assert_eq!(laid("BRACKETS"), "a%5B%5D=1&a%5B%5D=2&b=x%20y");
    }

    #[test]
    fn credentials_do_not_print() {
        let auth = HttpAuth::Basic {
            username: "u".into(),
            password: Secret::new("hunter2"),
        };
        assert!(!format!("{auth:?}").contains("hunter2"));
    }
}
