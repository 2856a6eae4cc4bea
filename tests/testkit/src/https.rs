//! A small HTTPS server for the `http:invoke` integration: TLS with a fresh CA
//! (the same PKI as the Kubernetes stand-in), on a free port of 127.0.0.1.
//!
//! In: nothing. Out: [`HttpsEcho::endpoint`] and [`HttpsEcho::ca_pem`] for the
//! client, and every request it received ([`HttpsEcho::requests`]). It answers
//! `GET|POST /status/<code>` with that status and a JSON error body, `/text`
//! with a plain-text body, and anything else with `200` and the request it got
//! as JSON: `{"method", "path", "query", "headers": {name: value}, "body"}`.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::{Map, Value, json};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;

use crate::Error;

/// A running HTTPS echo server; stops when dropped.
pub struct HttpsEcho {
    endpoint: String,
    ca_pem: String,
    requests: Arc<Mutex<Vec<Value>>>,
    shutdown: watch::Sender<bool>,
}

impl HttpsEcho {
    pub async fn start() -> Result<HttpsEcho, Error> {
        let pki = crate::kube::tls::make_pki()?;
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| Error::new(format!("binding 127.0.0.1: {e}")))?;
        let port = listener
            .local_addr()
            .map_err(|e| Error::new(format!("reading the bound port: {e}")))?
            .port();
        let acceptor = TlsAcceptor::from(pki.server_config);
        let requests = Arc::new(Mutex::new(Vec::new()));
        let (shutdown, mut stop) = watch::channel(false);
        let seen = requests.clone();
        tokio::spawn(async move {
            loop {
                let accepted = tokio::select! {
                    a = listener.accept() => a,
                    _ = stop.changed() => return,
                };
                let Ok((tcp, _)) = accepted else { continue };
                let acceptor = acceptor.clone();
                let seen = seen.clone();
                tokio::spawn(async move {
                    let Ok(tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let service = service_fn(move |req| {
                        let seen = seen.clone();
                        async move { Ok::<_, Infallible>(answer(req, &seen).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(tls), service)
                        .await;
                });
            }
        });
        Ok(HttpsEcho {
            endpoint: format!("https://127.0.0.1:{port}"),
            ca_pem: pki.ca_pem,
            requests,
            shutdown,
        })
    }

    /// `https://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The CA that signed the server's certificate, in PEM.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// Every request received so far, as the echo describes it.
    pub fn requests(&self) -> Vec<Value> {
        self.requests.lock().map(|r| r.clone()).unwrap_or_default()
    }
}

impl Drop for HttpsEcho {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}

async fn answer(
    req: hyper::Request<hyper::body::Incoming>,
    seen: &Mutex<Vec<Value>>,
) -> hyper::Response<Full<Bytes>> {
    let (parts, body) = req.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let mut headers = Map::new();
    for (name, value) in &parts.headers {
        headers.insert(
            name.as_str().to_string(),
            Value::String(String::from_utf8_lossy(value.as_bytes()).into_owned()),
        );
    }
    let described = json!({
        "method": parts.method.as_str(),
        "path": parts.uri.path(),
        "query": parts.uri.query().unwrap_or_default(),
        "headers": headers,
        "body": String::from_utf8_lossy(&body),
    });
    if let Ok(mut seen) = seen.lock() {
        seen.push(described.clone());
    }
    let path = parts.uri.path();
    let (status, content_type, text) = if let Some(code) = path.strip_prefix("/status/") {
        let code = code.parse().unwrap_or(500);
        (
            code,
            "application/json",
            json!({"message": format!("status {code}")}).to_string(),
        )
    } else if path == "/text" {
        (200, "text/plain", "plain text".to_string())
    } else {
        (200, "application/json", described.to_string())
    };
    hyper::Response::builder()
        .status(status)
        .header("content-type", content_type)
        .header("x-echo", "asl")
        .body(Full::new(Bytes::from(text)))
        .unwrap_or_default()
}
