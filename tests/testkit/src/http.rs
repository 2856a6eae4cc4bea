//! A small HTTP/1.1 client for the tests: one connection per request, plain TCP or TLS
//! that trusts only the CA it is given (never skips verification).
//!
//! In: an endpoint (`http://127.0.0.1:PORT` or `https://127.0.0.1:PORT`), optionally a CA
//! in PEM and a bearer token. Out: [`Response`] (status, headers, whole body) or, for
//! watches and followed logs, a [`LineStream`] that yields the body line by line as the
//! server flushes it.

use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::{self, pki_types::ServerName};

use crate::Error;

/// A complete answer.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: hyper::HeaderMap,
    pub body: Bytes,
}

impl Response {
    /// The body parsed as JSON.
    pub fn json(&self) -> Result<serde_json::Value, Error> {
        serde_json::from_slice(&self.body).map_err(|e| {
            Error::new(format!(
                "response body (status {}) is not JSON: {e}: {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            ))
        })
    }

    /// The body as text (lossy UTF-8).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// A header's value as text, if present.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// A streamed answer read line by line (newline-delimited watch events, followed logs).
pub struct LineStream {
    pub status: u16,
    pub headers: hyper::HeaderMap,
    body: Incoming,
    buf: Vec<u8>,
    done: bool,
}

impl LineStream {
    /// The next complete line without its `\n`; `None` when the server ended the body
    /// (a last unterminated line is still returned first).
    pub async fn next_line(&mut self) -> Option<Result<Vec<u8>, Error>> {
        loop {
            if let Some(pos) = self.buf.iter().position(|b| *b == b'\n') {
                let line: Vec<u8> = self.buf.drain(..=pos).collect();
                return Some(Ok(line[..line.len() - 1].to_vec()));
            }
            if self.done {
                if self.buf.is_empty() {
                    return None;
                }
                return Some(Ok(std::mem::take(&mut self.buf)));
            }
            match self.body.frame().await {
                None => self.done = true,
                Some(Err(e)) => {
                    self.done = true;
                    return Some(Err(Error::new(format!("reading streamed body: {e}"))));
                }
                Some(Ok(frame)) => {
                    if let Ok(data) = frame.into_data() {
                        self.buf.extend_from_slice(&data);
                    }
                }
            }
        }
    }

    /// The next line parsed as JSON.
    pub async fn next_json(&mut self) -> Option<Result<serde_json::Value, Error>> {
        let line = self.next_line().await?;
        Some(line.and_then(|l| {
            serde_json::from_slice(&l).map_err(|e| {
                Error::new(format!(
                    "streamed line is not JSON: {e}: {}",
                    String::from_utf8_lossy(&l)
                ))
            })
        }))
    }
}

/// Talks to one server.
#[derive(Clone)]
pub struct HttpClient {
    host: String,
    port: u16,
    tls: Option<TlsConnector>,
    headers: Vec<(String, String)>,
}

impl HttpClient {
    /// A client for `http://HOST:PORT` or, with `ca_pem`, `https://HOST:PORT` trusting
    /// only that CA.
    pub fn new(endpoint: &str, ca_pem: Option<&str>) -> Result<Self, Error> {
        let (scheme, rest) = endpoint
            .split_once("://")
            .ok_or_else(|| Error::new(format!("endpoint {endpoint:?} has no scheme")))?;
        let authority = rest.trim_end_matches('/');
        let (host, port) = authority
            .rsplit_once(':')
            .ok_or_else(|| Error::new(format!("endpoint {endpoint:?} has no port")))?;
        let port: u16 = port
            .parse()
            .map_err(|_| Error::new(format!("endpoint {endpoint:?} has a bad port")))?;
        let tls = match (scheme, ca_pem) {
            ("http", None) => None,
            ("https", Some(pem)) => Some(tls_connector(pem)?),
            ("https", None) => {
                return Err(Error::new("an https endpoint needs the CA to trust"));
            }
            _ => return Err(Error::new(format!("unsupported endpoint {endpoint:?}"))),
        };
        Ok(HttpClient {
            host: host.to_string(),
            port,
            tls,
            headers: Vec::new(),
        })
    }

    /// The same client sending `Authorization: Bearer TOKEN`.
    pub fn with_bearer(self, token: impl AsRef<str>) -> Self {
        self.with_header("authorization", format!("Bearer {}", token.as_ref()))
    }

    /// The same client sending one more header on every request.
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Sends a request with a JSON body (or none).
    pub async fn json(
        &self,
        method: &str,
        path_and_query: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<Response, Error> {
        let body = body.map(|b| b.to_string().into_bytes());
        let ct = body.as_ref().map(|_| "application/json");
        self.request(method, path_and_query, ct, body.unwrap_or_default())
            .await
    }

    /// Sends a request and reads the whole answer.
    pub async fn request(
        &self,
        method: &str,
        path_and_query: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> Result<Response, Error> {
        let resp = self
            .send(method, path_and_query, content_type, body)
            .await?;
        let (parts, body) = resp.into_parts();
        let body = body
            .collect()
            .await
            .map_err(|e| Error::new(format!("reading response body: {e}")))?
            .to_bytes();
        Ok(Response {
            status: parts.status.as_u16(),
            headers: parts.headers,
            body,
        })
    }

    /// Sends a GET and hands back the body as a stream of lines.
    pub async fn stream(&self, path_and_query: &str) -> Result<LineStream, Error> {
        let resp = self.send("GET", path_and_query, None, Vec::new()).await?;
        let (parts, body) = resp.into_parts();
        Ok(LineStream {
            status: parts.status.as_u16(),
            headers: parts.headers,
            body,
            buf: Vec::new(),
            done: false,
        })
    }

    async fn send(
        &self,
        method: &str,
        path_and_query: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> Result<hyper::Response<Incoming>, Error> {
        let tcp = TcpStream::connect((self.host.as_str(), self.port))
            .await
            .map_err(|e| Error::new(format!("connecting to {}:{}: {e}", self.host, self.port)))?;
        let mut builder = hyper::Request::builder()
            .method(method)
            .uri(path_and_query)
            .header("host", format!("{}:{}", self.host, self.port))
            .header("accept", "application/json");
        if let Some(ct) = content_type {
            builder = builder.header("content-type", ct);
        }
        for (name, value) in &self.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        let req = builder
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| Error::new(format!("building request: {e}")))?;
        match &self.tls {
            None => send_on(TokioIo::new(tcp), req).await,
            Some(connector) => {
                let name = ServerName::try_from(self.host.clone())
                    .map_err(|e| Error::new(format!("bad server name {}: {e}", self.host)))?;
                let tls = connector
                    .connect(name, tcp)
                    .await
                    .map_err(|e| Error::new(format!("TLS handshake: {e}")))?;
                send_on(TokioIo::new(tls), req).await
            }
        }
    }
}

async fn send_on<T>(
    io: TokioIo<T>,
    req: hyper::Request<Full<Bytes>>,
) -> Result<hyper::Response<Incoming>, Error>
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, conn) = hyper::client::conn::http1::handshake(io)
        .await
        .map_err(|e| Error::new(format!("HTTP handshake: {e}")))?;
    // The connection task ends when the response body has been read or dropped.
    tokio::spawn(async move {
        let _ = conn.await;
    });
    sender
        .send_request(req)
        .await
        .map_err(|e| Error::new(format!("sending request: {e}")))
}

fn tls_connector(ca_pem: &str) -> Result<TlsConnector, Error> {
    let mut roots = rustls::RootCertStore::empty();
    let certs = crate::kube::tls::pem_certificates(ca_pem)?;
    if certs.is_empty() {
        return Err(Error::new("the CA PEM holds no certificate"));
    }
    for cert in certs {
        roots
            .add(cert)
            .map_err(|e| Error::new(format!("bad CA certificate: {e}")))?;
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| Error::new(format!("TLS config: {e}")))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(TlsConnector::from(Arc::new(config)))
}
