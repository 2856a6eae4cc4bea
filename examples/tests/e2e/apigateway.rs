//! `apigateway:invoke` in a compiled workflow against a real HTTP server on
//! loopback, standing in for an API Gateway API (the runtime's
//! `service_endpoint("execute-api", ...)` sends the calls there): what the
//! server received (method, stage and path, query, headers, a JSON body
//! without its null fields, a SigV4 signature for `execute-api` in the
//! endpoint's region) and what the workflow got back (`Headers` as lists,
//! `ResponseBody` parsed, `StatusCode` a number), a 404 caught as
//! `ApiGateway.404` with the body as cause, and an API that cannot be
//! reached failing as `ApiGateway.ConnectException`.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use asl::asl;
use asl::runtime::exec::Runtime;
use asl::runtime::integrations::Integrations;
use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};

asl!(ApiGatewayPets = "tests/fixtures/apigateway.asl.json");

/// One request as the server saw it.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path_and_query: String,
    headers: hyper::HeaderMap,
    body: String,
}

/// A pets API on 127.0.0.1: `GET /prod/pets/{id}` answers the pet, `POST
/// /prod/pets` echoes the body with 201, anything else is 404 with API
/// Gateway's JSON message. Every request is kept for the test to read.
async fn pets_api() -> (String, Arc<Mutex<Vec<Seen>>>, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port");
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let task = tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let log = log.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
                    let log = log.clone();
                    async move {
                        let (parts, body) = req.into_parts();
                        let body = body
                            .collect()
                            .await
                            .map(|b| b.to_bytes())
                            .unwrap_or_default();
                        let seen = Seen {
                            method: parts.method.to_string(),
                            path_and_query: parts
                                .uri
                                .path_and_query()
                                .map(|p| p.to_string())
                                .unwrap_or_default(),
                            headers: parts.headers.clone(),
                            body: String::from_utf8_lossy(&body).into_owned(),
                        };
                        log.lock().unwrap().push(seen.clone());
                        let (status, answer) = match (seen.method.as_str(), parts.uri.path()) {
                            ("GET", "/prod/pets/7") => (200, json!({"id": 7, "name": "Rex"})),
                            ("POST", "/prod/pets") => {
                                (201, serde_json::from_str(&seen.body).unwrap_or(Value::Null))
                            }
                            _ => (404, json!({"message": "Not Found"})),
                        };
                        let response = hyper::Response::builder()
                            .status(status)
                            .header("content-type", "application/json")
                            .header("x-amzn-requestid", "req-1")
                            .body(Full::new(Bytes::from(answer.to_string())))
                            .unwrap();
                        Ok::<_, Infallible>(response)
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    (url, seen, task)
}

async fn runtime(api: &str) -> Runtime {
    let sdk = crate::common::static_sdk_config("us-east-1", "AKIDAPIGATEWAYTEST", "secret").await;
    let integrations = Integrations::builder(&sdk)
        .service_endpoint("execute-api", api)
        .build();
    Runtime::builder().handlers(integrations.handlers()).build()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_gateway_calls_reach_the_api_and_errors_reach_a_catch() {
    let (url, seen, server) = pets_api().await;
    let runtime = runtime(&url).await;
    let out = ApiGatewayPets::run(&runtime, json!({"id": 7, "name": "Tom"}))
        .await
        .expect("the workflow succeeds");

    // The GET: stage, path, query (repeated and encoded), headers, signed.
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 3, "{seen:?}");
    let get = &seen[0];
    assert_eq!(get.method, "GET");
    assert_eq!(
        get.path_and_query,
        "/prod/pets/7?kind=cat&kind=dog&q=a%20b%26c"
    );
    let traces: Vec<&str> = get
        .headers
        .get_all("x-trace")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert_eq!(traces, ["t1", "t2"]);
    let authorization = get.headers["authorization"].to_str().unwrap();
    assert!(
        authorization.starts_with("AWS4-HMAC-SHA256 Credential=AKIDAPIGATEWAYTEST/")
            && authorization.contains("/eu-west-1/execute-api/aws4_request"),
        "signed for execute-api in the endpoint's region: {authorization}"
    );
    assert!(get.headers.contains_key("x-amz-date"));
    assert!(get.body.is_empty(), "a GET sends no body");
    assert_eq!(
        out["got"]["ResponseBody"],
        json!({"id": 7, "name": "Rex"}),
        "{out}"
    );
    assert_eq!(out["got"]["StatusCode"], 200, "{out}");
    assert_eq!(out["got"]["StatusText"], "OK", "{out}");
    assert_eq!(
        out["got"]["Headers"]["Content-Type"],
        json!(["application/json"]),
        "{out}"
    );
    assert_eq!(
        out["got"]["Headers"]["X-Amzn-Requestid"],
        json!(["req-1"]),
        "{out}"
    );

    // The POST: JSON without the null field, unsigned (NO_AUTH by default).
    let post = &seen[1];
    assert_eq!(
        (post.method.as_str(), post.path_and_query.as_str()),
        ("POST", "/prod/pets")
    );
    assert_eq!(
        serde_json::from_str::<Value>(&post.body).unwrap(),
        json!({"name": "Tom", "tags": ["new"]})
    );
    assert_eq!(post.headers["content-type"], "application/json");
    assert!(!post.headers.contains_key("authorization"));
    assert_eq!(out["added"]["StatusCode"], 201, "{out}");
    assert_eq!(out["added"]["StatusText"], "Created", "{out}");
    assert_eq!(
        out["added"]["ResponseBody"],
        json!({"name": "Tom", "tags": ["new"]}),
        "{out}"
    );

    // The 404: caught by AWS's name, the body as cause.
    assert_eq!(seen[2].method, "DELETE");
    assert_eq!(out["missing"]["Error"], "ApiGateway.404", "{out}");
    let cause: Value = serde_json::from_str(out["missing"]["Cause"].as_str().unwrap()).unwrap();
    assert_eq!(cause, json!({"message": "Not Found"}), "{out}");

    // An API nobody serves: no connection.
    server.abort();
    // A port just bound and released: nothing listens on it.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    let runtime = self::runtime(&closed).await;
    let err = ApiGatewayPets::run(&runtime, json!({"id": 7, "name": "Tom"}))
        .await
        .expect_err("nothing answers");
    assert_eq!(err.error(), Some("ApiGateway.ConnectException"), "{err:?}");
}
