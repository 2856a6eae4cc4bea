//! The Kubernetes API of a cluster, reached as Step Functions reaches it: `eks:runJob`
//! (`.sync`) and `eks:call`.
//!
//! Connecting: the task's `Endpoint`, its base64 `CertificateAuthority` (TLS is
//! verified against that CA, never skipped) and an EKS bearer token made from the
//! caller's AWS credentials ([`super::token`]); a [`super::ClusterOverride`] for the
//! `ClusterName` replaces all three. During a long `.sync` wait the client is rebuilt
//! with a new token before the old one expires.
//!
//! `eks:runJob.sync` decides completion by WATCHING the Job (a `watch` on its name,
//! resumed from the last resource version), not by sleeping: it returns as soon as the
//! API server reports the `Complete` or `Failed` condition. A failed Job fails the task
//! with `States.TaskFailed` and, as cause, the JSON text of the result it would have
//! returned (the Job, plus its logs when asked for). Step Functions documents no
//! dedicated error name for a failed Job; `States.TaskFailed` is what `Retry`/`Catch`
//! on `States.TaskFailed` or `States.ALL` expect to see.
//!
//! `eks:call` sends any method to any path. A JSON `RequestBody` goes as
//! `application/json`, except for `PATCH`, where an array is a JSON Patch
//! (`application/json-patch+json`) and an object a merge patch
//! (`application/merge-patch+json`); a string body goes as it is. The result is
//! `{"ResponseBody", "StatusCode", "StatusText", "Headers"}` with `Headers` a map of
//! lower-case header name to the list of its values, and `ResponseBody` parsed as
//! JSON when it is JSON (a string otherwise, absent when empty).

use std::time::{Duration, SystemTime};

use base64::Engine as _;
use futures_util::StreamExt as _;
use k8s_openapi::api::batch::v1::Job;
use kube::api::{Api, WatchEvent, WatchParams};
use serde_json::{Map, Value, json};

use super::params::{Params, percent_encode, string_list_map};
use super::{Inner, OverrideTarget};
use crate::error::{Error, names};
use crate::task::TaskContext;

/// The base64 `CertificateAuthority` (base64 of PEM, as EKS reports it, or of DER)
/// as DER certificates.
pub(crate) fn decode_ca(ca_base64: &str) -> Result<Vec<Vec<u8>>, Error> {
    let bytes = super::base64_decode("CertificateAuthority", ca_base64)?;
    let Ok(text) = std::str::from_utf8(&bytes) else {
        return Ok(vec![bytes]);
    };
    if !text.contains("-----BEGIN") {
        return Err(Error::runtime(
            "The field 'CertificateAuthority' holds neither a PEM nor a DER certificate",
        ));
    }
    let mut certs = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("-----BEGIN CERTIFICATE-----") {
        let after = &rest[start + "-----BEGIN CERTIFICATE-----".len()..];
        let Some(end) = after.find("-----END CERTIFICATE-----") else {
            return Err(Error::runtime(
                "The field 'CertificateAuthority' holds an unterminated PEM certificate",
            ));
        };
        let body: String = after[..end]
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        let der = base64::engine::general_purpose::STANDARD
            .decode(body)
            .map_err(|e| {
                Error::runtime(format!(
                    "The field 'CertificateAuthority' holds a broken PEM certificate: {e}"
                ))
            })?;
        certs.push(der);
        rest = &after[end..];
    }
    if certs.is_empty() {
        return Err(Error::runtime(
            "The field 'CertificateAuthority' holds no PEM certificate",
        ));
    }
    Ok(certs)
}

/// A client for one cluster, rebuilt with a fresh EKS token when the old one nears
/// its end.
struct Connection<'a> {
    inner: &'a Inner,
    cluster: String,
    endpoint: String,
    ca_der: Vec<Vec<u8>>,
    client: kube::Client,
    /// When the EKS token in use must be replaced; `None` when no EKS token is used.
    refresh_at: Option<SystemTime>,
}

impl<'a> Connection<'a> {
    async fn open(
        inner: &'a Inner,
        cluster: String,
        endpoint: String,
        ca_base64: &str,
    ) -> Result<Self, Error> {
        if let Some(target) = inner.clusters.get(&cluster) {
            match &target.target {
                OverrideTarget::Kubeconfig(config) => {
                    let mut config = (**config).clone();
                    inner.timeouts.apply_to(&mut config);
                    let client = kube::Client::try_from(config).map_err(kube_error)?;
                    return Ok(Connection {
                        inner,
                        cluster,
                        endpoint,
                        ca_der: vec![],
                        client,
                        refresh_at: None,
                    });
                }
                OverrideTarget::Direct {
                    endpoint: ep,
                    ca_der,
                    token: Some(token),
                } => {
                    let client = build_client(&inner.timeouts, ep, ca_der.clone(), token.expose())?;
                    return Ok(Connection {
                        inner,
                        cluster,
                        endpoint: ep.clone(),
                        ca_der: ca_der.clone(),
                        client,
                        refresh_at: None,
                    });
                }
                OverrideTarget::Direct {
                    endpoint: ep,
                    ca_der,
                    token: None,
                } => {
                    return Self::with_eks_token(inner, cluster, ep.clone(), ca_der.clone()).await;
                }
            }
        }
        let ca_der = decode_ca(ca_base64)?;
        Self::with_eks_token(inner, cluster, endpoint, ca_der).await
    }

    async fn with_eks_token(
        inner: &'a Inner,
        cluster: String,
        endpoint: String,
        ca_der: Vec<Vec<u8>>,
    ) -> Result<Self, Error> {
        let (token, refresh_at) = inner.tokens.token(&cluster).await?;
        let client = build_client(&inner.timeouts, &endpoint, ca_der.clone(), token.expose())?;
        Ok(Connection {
            inner,
            cluster,
            endpoint,
            ca_der,
            client,
            refresh_at: Some(refresh_at),
        })
    }

    /// The client, with a new token first if the current one is due.
    async fn client(&mut self) -> Result<kube::Client, Error> {
        if let Some(at) = self.refresh_at
            && SystemTime::now() >= at
        {
            let (token, refresh_at) = self.inner.tokens.token(&self.cluster).await?;
            self.client = build_client(
                &self.inner.timeouts,
                &self.endpoint,
                self.ca_der.clone(),
                token.expose(),
            )?;
            self.refresh_at = Some(refresh_at);
        }
        Ok(self.client.clone())
    }

    /// One raw request; the answer's status, reason, headers and body.
    async fn send(
        &mut self,
        method: &str,
        path_and_query: &str,
        body: Option<(Vec<u8>, &str)>,
    ) -> Result<Answer, Error> {
        let client = self.client().await?;
        let mut builder = http::Request::builder().method(method).uri(path_and_query);
        let body = match body {
            Some((bytes, content_type)) => {
                builder = builder.header("content-type", content_type);
                kube::client::Body::from(bytes)
            }
            None => kube::client::Body::empty(),
        };
        let request = builder
            .header("accept", "application/json, */*")
            .body(body)
            .map_err(|e| {
                Error::runtime(format!(
                    "Cannot build the Kubernetes request {method} {path_and_query}: {e}"
                ))
            })?;
        let response = client.send(request).await.map_err(kube_error)?;
        let status = response.status();
        let mut headers = Map::new();
        for (name, value) in response.headers() {
            let entry = headers
                .entry(name.as_str().to_owned())
                .or_insert_with(|| Value::Array(vec![]));
            if let Value::Array(values) = entry {
                values.push(Value::String(
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                ));
            }
        }
        let bytes = response
            .into_body()
            .collect_bytes()
            .await
            .map_err(kube_error)?;
        Ok(Answer {
            status: status.as_u16(),
            reason: status.canonical_reason().unwrap_or("").to_owned(),
            headers,
            body: bytes.to_vec(),
        })
    }
}

fn build_client(
    timeouts: &super::Timeouts,
    endpoint: &str,
    ca_der: Vec<Vec<u8>>,
    token: &str,
) -> Result<kube::Client, Error> {
    let uri: http::Uri = endpoint.parse().map_err(|e| {
        Error::runtime(format!("The Endpoint '{endpoint}' is not a valid URL: {e}"))
    })?;
    if uri.scheme_str() != Some("https") {
        return Err(Error::runtime(format!(
            "The Endpoint '{endpoint}' must be an https URL"
        )));
    }
    let mut config = kube::Config::new(uri);
    config.root_cert = Some(ca_der);
    config.accept_invalid_certs = false;
    config.auth_info.token = Some(token.to_owned().into());
    timeouts.apply_to(&mut config);
    kube::Client::try_from(config).map_err(kube_error)
}

/// A failure to reach the API server (TLS, connection, timeout, ...), with every
/// cause in its chain (a TLS failure names the certificate problem: `invalid peer
/// certificate: UnknownIssuer`, not just `client error (Connect)`). kube's
/// messages name the URL, never the token.
fn kube_error(err: kube::Error) -> Error {
    Error::new(
        names::TASK_FAILED,
        format!(
            "Kubernetes API request failed: {}",
            crate::error::chain(&err)
        ),
    )
}

struct Answer {
    status: u16,
    reason: String,
    headers: Map<String, Value>,
    body: Vec<u8>,
}

impl Answer {
    fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The body as JSON if it is JSON, else as a string; `None` when empty.
    fn body_value(&self) -> Option<Value> {
        if self.body.is_empty() {
            return None;
        }
        Some(
            serde_json::from_slice(&self.body).unwrap_or_else(|_| {
                Value::String(String::from_utf8_lossy(&self.body).into_owned())
            }),
        )
    }

    /// `EKS.<status>` with the cause Step Functions gives.
    fn error(&self) -> Error {
        let mut cause = Map::new();
        if let Some(body) = self.body_value() {
            cause.insert("ResponseBody".into(), body);
        }
        cause.insert("StatusCode".into(), json!(self.status));
        cause.insert("StatusText".into(), json!(self.reason));
        Error::new(
            format!("EKS.{}", self.status),
            Value::Object(cause).to_string(),
        )
    }

    fn json(&self) -> Result<Value, Error> {
        serde_json::from_slice(&self.body).map_err(|e| {
            Error::new(
                names::TASK_FAILED,
                format!("The Kubernetes API answered with a body that is not JSON: {e}"),
            )
        })
    }
}

/// `ClusterName`, `CertificateAuthority`, `Endpoint`, then a connection.
async fn connect<'a>(inner: &'a Inner, p: &mut Params<'_>) -> Result<Connection<'a>, Error> {
    let cluster = p.required_str("ClusterName")?;
    let ca = p.required_str("CertificateAuthority")?;
    let endpoint = p.required_str("Endpoint")?;
    Connection::open(
        inner,
        cluster,
        endpoint.trim_end_matches('/').to_owned(),
        &ca,
    )
    .await
}

fn with_query(path: &str, query: &[(String, String)]) -> String {
    let mut out = path.to_owned();
    for (i, (name, value)) in query.iter().enumerate() {
        out.push(if i == 0 && !path.contains('?') {
            '?'
        } else {
            '&'
        });
        out.push_str(&percent_encode(name));
        out.push('=');
        out.push_str(&percent_encode(value));
    }
    out
}

pub(crate) async fn call(inner: &Inner, resource: &str, parameters: Value) -> Result<Value, Error> {
    let mut p = Params::new(resource, parameters)?;
    let method = p.required_str("Method")?;
    if !matches!(
        method.as_str(),
        "GET" | "POST" | "PUT" | "DELETE" | "HEAD" | "PATCH"
    ) {
        return Err(Error::runtime(format!(
            "The field 'Method' of {resource} must be one of GET, POST, PUT, DELETE, HEAD, PATCH; got '{method}'"
        )));
    }
    let path = p.required_str("Path")?;
    if !path.starts_with('/') {
        return Err(Error::runtime(format!(
            "The field 'Path' of {resource} must start with '/'; got '{path}'"
        )));
    }
    let query = match p.opt_object("QueryParameters")? {
        Some(map) => string_list_map(resource, "QueryParameters", map)?,
        None => vec![],
    };
    let body = match p.take("RequestBody") {
        None => None,
        Some(Value::String(s)) => Some((s.into_bytes(), "application/json")),
        Some(v @ Value::Array(_)) if method == "PATCH" => {
            Some((v.to_string().into_bytes(), "application/json-patch+json"))
        }
        Some(v) if method == "PATCH" => {
            Some((v.to_string().into_bytes(), "application/merge-patch+json"))
        }
        Some(v) => Some((v.to_string().into_bytes(), "application/json")),
    };
    let mut conn = connect(inner, &mut p).await?;
    p.finish()?;
    let answer = conn.send(&method, &with_query(&path, &query), body).await?;
    if !answer.ok() {
        return Err(answer.error());
    }
    let mut result = Map::new();
    if let Some(body) = answer.body_value() {
        result.insert("ResponseBody".into(), body);
    }
    result.insert("StatusCode".into(), json!(answer.status));
    result.insert("StatusText".into(), json!(answer.reason));
    result.insert("Headers".into(), Value::Object(answer.headers));
    Ok(Value::Object(result))
}

struct LogOptions {
    retrieve: bool,
    raw: bool,
    parameters: Vec<(String, String)>,
}

fn log_options(resource: &str, value: Value) -> Result<LogOptions, Error> {
    let mut p = Params::new(resource, value)?;
    let retrieve = p.opt_bool("RetrieveLogs")?.unwrap_or(false);
    let raw = p.opt_bool("RawLogs")?.unwrap_or(false);
    let parameters = match p.opt_object("LogParameters")? {
        Some(map) => string_list_map(resource, "LogOptions.LogParameters", map)?,
        None => vec![],
    };
    p.finish()?;
    Ok(LogOptions {
        retrieve,
        raw,
        parameters,
    })
}

pub(crate) async fn run_job(
    inner: &Inner,
    task: &TaskContext<'_>,
    resource: &str,
    sync: bool,
    parameters: Value,
) -> Result<Value, Error> {
    let mut p = Params::new(resource, parameters)?;
    let namespace = p
        .opt_str("Namespace")?
        .unwrap_or_else(|| "default".to_owned());
    let mut job = match p.required("Job")? {
        Value::String(text) => serde_json::from_str::<Value>(&text).map_err(|e| {
            Error::runtime(format!(
                "The field 'Job' of {resource} is a string that is not JSON: {e}"
            ))
        })?,
        v @ Value::Object(_) => v,
        other => return Err(p.wrong_type("Job", "an object or a JSON string", &other)),
    };
    let logs = match p.take("LogOptions") {
        None => None,
        Some(_) if !sync => {
            return Err(Error::runtime(format!(
                "The field 'LogOptions' is only supported by {resource}.sync"
            )));
        }
        Some(v) => Some(log_options(resource, v)?),
    };
    let cluster = p.required_str("ClusterName")?;
    let ca = p.required_str("CertificateAuthority")?;
    let endpoint = p.required_str("Endpoint")?;
    let mut conn = Connection::open(
        inner,
        cluster.clone(),
        endpoint.trim_end_matches('/').to_owned(),
        &ca,
    )
    .await?;
    p.finish()?;

    // Inside an execution the Job carries the execution's label: run again
    // after a crash, the task adopts the Job it created itself (same name,
    // same label) instead of failing with 409 AlreadyExists.
    let label = task.execution_arn().map(execution_label);
    if let (Some(label), Some(Value::Object(metadata))) = (&label, job.get_mut("metadata")) {
        let labels = metadata
            .entry("labels")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(labels) = labels {
            labels.insert(EXECUTION_LABEL.into(), Value::String(label.clone()));
        }
    }
    let jobs_path = format!(
        "/apis/batch/v1/namespaces/{}/jobs",
        percent_encode(&namespace)
    );
    let answer = conn
        .send(
            "POST",
            &jobs_path,
            Some((job.to_string().into_bytes(), "application/json")),
        )
        .await?;
    let created = if answer.ok() {
        answer.json()?
    } else {
        match adoptable(&mut conn, &jobs_path, &job, &answer, label.as_deref()).await? {
            Some(existing) => existing,
            None => return Err(answer.error()),
        }
    };
    let name = created
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .ok_or_else(|| Error::new(names::TASK_FAILED, "The created Job has no metadata.name"))?
        .to_owned();
    task.created(
        JOB,
        json!({
            "ClusterName": cluster,
            "Endpoint": endpoint,
            "CertificateAuthority": ca,
            "Namespace": namespace,
            "Name": name,
        }),
    )
    .await?;
    if !sync {
        return Ok(created);
    }
    let (mut job, failed) = wait_for_job(&mut conn, task, &namespace, &name).await?;
    if let Some(opts) = logs.filter(|o| o.retrieve) {
        let logs = job_logs(&mut conn, &namespace, &name, &opts).await?;
        if let Value::Object(map) = &mut job {
            map.insert("logs".into(), logs);
        }
    }
    if failed {
        return Err(Error::new(names::TASK_FAILED, job.to_string()));
    }
    Ok(job)
}

/// The label that marks a Job as created by one execution.
const EXECUTION_LABEL: &str = "asl.rs/execution";

/// The kind of resource a Job is, as recorded for cleanup.
pub(crate) const JOB: &str = "kubernetes:job";

/// The execution label's value: 40 hexadecimal characters of the SHA-256 of
/// the execution ARN (a label value has at most 63 characters).
fn execution_label(arn: &str) -> String {
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(arn.as_bytes());
    digest[..20].iter().map(|b| format!("{b:02x}")).collect()
}

/// After a 409 on create: the existing Job, when it is this execution's own.
async fn adoptable(
    conn: &mut Connection<'_>,
    jobs_path: &str,
    job: &Value,
    answer: &Answer,
    label: Option<&str>,
) -> Result<Option<Value>, Error> {
    let (Some(label), 409) = (label, answer.status) else {
        return Ok(None);
    };
    let Some(name) = job.pointer("/metadata/name").and_then(Value::as_str) else {
        return Ok(None);
    };
    let existing = conn
        .send(
            "GET",
            &format!("{jobs_path}/{}", percent_encode(name)),
            None,
        )
        .await?;
    if !existing.ok() {
        return Ok(None);
    }
    let existing = existing.json()?;
    let ours = existing
        .pointer("/metadata/labels")
        .and_then(|l| l.get(EXECUTION_LABEL))
        .and_then(Value::as_str)
        == Some(label);
    Ok(ours.then_some(existing))
}

/// Deletes a Job an execution created (with its pods) and waits until it is gone.
pub(crate) struct JobCleaner {
    pub(crate) inner: std::sync::Arc<Inner>,
}

impl crate::exec::Cleaner for JobCleaner {
    fn delete<'a>(&'a self, id: &'a Value) -> crate::task::BoxFuture<'a, Result<bool, Error>> {
        Box::pin(async move {
            let mut p = Params::new(JOB, id.clone())?;
            let namespace = p.required_str("Namespace")?;
            let name = p.required_str("Name")?;
            let mut conn = connect(&self.inner, &mut p).await?;
            let path = format!(
                "/apis/batch/v1/namespaces/{}/jobs/{}",
                percent_encode(&namespace),
                percent_encode(&name)
            );
            let answer = conn
                .send(
                    "DELETE",
                    &with_query(&path, &[("propagationPolicy".into(), "Foreground".into())]),
                    None,
                )
                .await?;
            if answer.status == 404 {
                return Ok(false);
            }
            if !answer.ok() {
                return Err(answer.error());
            }
            let mut delay = self.inner.wait.initial;
            loop {
                let answer = conn.send("GET", &path, None).await?;
                if answer.status == 404 {
                    return Ok(true);
                }
                if !answer.ok() {
                    return Err(answer.error());
                }
                tokio::time::sleep(delay).await;
                delay = self.inner.wait.next(delay);
            }
        })
    }
}

/// `Some(failed)` once the Job has its `Complete` or `Failed` condition.
fn finished(job: &Value) -> Option<bool> {
    let conditions = job.pointer("/status/conditions")?.as_array()?;
    conditions.iter().find_map(|c| {
        let is_true = c.get("status").and_then(Value::as_str) == Some("True");
        match c.get("type").and_then(Value::as_str) {
            Some("Complete") if is_true => Some(false),
            Some("Failed") if is_true => Some(true),
            _ => None,
        }
    })
}

/// Watches the Job until it finishes; returns it as the API shows it, and whether it
/// failed. A broken watch is resumed after the wait schedule's back-off.
async fn wait_for_job(
    conn: &mut Connection<'_>,
    task: &TaskContext<'_>,
    namespace: &str,
    name: &str,
) -> Result<(Value, bool), Error> {
    let path = format!(
        "/apis/batch/v1/namespaces/{}/jobs/{}",
        percent_encode(namespace),
        percent_encode(name)
    );
    let mut backoff = conn.inner.wait.initial;
    let mut unreachable = 0;
    // Watches that failed in a row, and whether the Role forbids watching.
    let mut watch_failures = 0u32;
    let mut polling = false;
    loop {
        let answer = match conn.send("GET", &path, None).await {
            Ok(answer) => {
                // Reading the Job is progress: it restarts HeartbeatSeconds.
                task.send_heartbeat();
                answer
            }
            // A long wait outlives a blip in the network: only a server that stays
            // unreachable fails the task.
            Err(e) if unreachable < UNREACHABLE_LIMIT => {
                unreachable += 1;
                tracing::debug!(job = name, error = %e, "reading the Job failed; trying again after a back-off");
                tokio::time::sleep(backoff).await;
                backoff = conn.inner.wait.next(backoff);
                continue;
            }
            Err(e) => return Err(e),
        };
        unreachable = 0;
        if answer.status == 404 {
            // The Job this task created is gone before it finished.
            return Err(Error::new(
                names::TASK_FAILED,
                format!("The Job {namespace}/{name} was deleted while running"),
            ));
        }
        if !answer.ok() {
            return Err(answer.error());
        }
        let job = answer.json()?;
        if let Some(failed) = finished(&job) {
            return Ok((job, failed));
        }
        if polling {
            // No watch allowed: read the Job again on the wait schedule.
            tokio::time::sleep(backoff).await;
            backoff = conn.inner.wait.next(backoff);
            continue;
        }
        let version = job
            .pointer("/metadata/resourceVersion")
            .and_then(Value::as_str)
            .unwrap_or("0")
            .to_owned();
        match watch_until_finished(conn, task, namespace, name, &version).await {
            // Finished: fetch the Job once more, as the API returns it.
            Ok(WatchEnd::Finished) => {
                backoff = conn.inner.wait.initial;
                watch_failures = 0;
            }
            // The watch ended (server timeout, token refresh due, history
            // compacted): read the Job and watch again.
            Ok(WatchEnd::Ended) => watch_failures = 0,
            Err(WatchFailure::Deleted(e)) => return Err(e),
            // A least-privilege Role may grant get but not watch: poll instead.
            Err(WatchFailure::Forbidden(e)) => {
                tracing::debug!(job = name, error = %e, "watching the Job is forbidden; polling it instead");
                polling = true;
            }
            Err(WatchFailure::Failed(e)) => {
                watch_failures += 1;
                if watch_failures >= conn.inner.timeouts.watch_failures {
                    return Err(Error::new(
                        names::TASK_FAILED,
                        format!(
                            "Watching the Job {namespace}/{name} failed {watch_failures} times in a row; the last failure: {}",
                            e.cause().unwrap_or(e.name())
                        ),
                    ));
                }
                tracing::debug!(job = name, error = %e, "watching the Job failed; resuming after a back-off");
                tokio::time::sleep(backoff).await;
                backoff = conn.inner.wait.next(backoff);
            }
        }
    }
}

/// How many reads of the Job in a row may fail to reach the server while waiting.
const UNREACHABLE_LIMIT: u32 = 5;

/// How a watch of a Job ended without failing.
enum WatchEnd {
    /// An event shows the Job finished.
    Finished,
    /// The server or the deadline ended it (or the history it started from is
    /// gone): read the Job and watch again.
    Ended,
}

/// How a watch of a Job failed.
enum WatchFailure {
    /// The Job was deleted while it ran: the task fails.
    Deleted(Error),
    /// The API server refuses the watch verb (403): poll instead.
    Forbidden(Error),
    /// Anything else (401, 500, a broken stream, no answer): counted.
    Failed(Error),
}

/// One watch, its first request included in its deadline.
async fn watch_until_finished(
    conn: &mut Connection<'_>,
    task: &TaskContext<'_>,
    namespace: &str,
    name: &str,
    version: &str,
) -> Result<WatchEnd, WatchFailure> {
    let client = conn.client().await.map_err(WatchFailure::Failed)?;
    let api: Api<Job> = Api::namespaced(client, namespace);
    // End the watch before the token is due so the next one gets a new token.
    let limit = match conn
        .refresh_at
        .and_then(|at| at.duration_since(SystemTime::now()).ok())
    {
        Some(left) => left.as_secs().clamp(1, 290) as u32,
        None => 290,
    };
    // A quiet Job sends no events: end the watch within half of HeartbeatSeconds so
    // the read of the Job that follows sends a heartbeat in time.
    let limit = match task.heartbeat {
        Some(h) => limit.min((h.as_secs() / 2).clamp(1, 290) as u32),
        None => limit,
    };
    // And before the read timeout: a watch the server ends itself is not a
    // silent peer.
    let read = conn.inner.timeouts.read.as_secs();
    let limit = limit.min(read.saturating_sub(5).clamp(1, 290) as u32);
    let params = WatchParams::default()
        .fields(&format!("metadata.name={name}"))
        .timeout(limit);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(u64::from(limit) + 5);
    let stream = match tokio::time::timeout_at(deadline, api.watch(&params, version)).await {
        Err(_) => {
            return Err(WatchFailure::Failed(Error::new(
                names::TASK_FAILED,
                format!("The API server did not answer the watch of Job {namespace}/{name}"),
            )));
        }
        Ok(Err(kube::Error::Api(status))) if status.code == 403 => {
            return Err(WatchFailure::Forbidden(kube_error(kube::Error::Api(
                status,
            ))));
        }
        Ok(Err(e)) => return Err(WatchFailure::Failed(kube_error(e))),
        Ok(Ok(stream)) => stream,
    };
    let mut stream = std::pin::pin!(stream);
    loop {
        let next = tokio::time::timeout_at(deadline, stream.next()).await;
        match next {
            Err(_) | Ok(None) => return Ok(WatchEnd::Ended),
            Ok(Some(Err(e))) => return Err(WatchFailure::Failed(kube_error(e))),
            Ok(Some(Ok(WatchEvent::Added(job) | WatchEvent::Modified(job)))) => {
                task.send_heartbeat();
                let value = serde_json::to_value(&job).unwrap_or(Value::Null);
                if finished(&value).is_some() {
                    return Ok(WatchEnd::Finished);
                }
            }
            Ok(Some(Ok(WatchEvent::Deleted(_)))) => {
                return Err(WatchFailure::Deleted(Error::new(
                    names::TASK_FAILED,
                    format!("The Job {namespace}/{name} was deleted while running"),
                )));
            }
            Ok(Some(Ok(WatchEvent::Bookmark(_)))) => task.send_heartbeat(),
            // 410 Gone: the resource version is too old; start over from a read.
            Ok(Some(Ok(WatchEvent::Error(status)))) if status.code == 410 => {
                return Ok(WatchEnd::Ended);
            }
            Ok(Some(Ok(WatchEvent::Error(status)))) if status.code == 403 => {
                return Err(WatchFailure::Forbidden(Error::new(
                    names::TASK_FAILED,
                    format!("The watch of Job {name} is forbidden: {}", status.message),
                )));
            }
            Ok(Some(Ok(WatchEvent::Error(status)))) => {
                return Err(WatchFailure::Failed(Error::new(
                    names::TASK_FAILED,
                    format!("The watch of Job {name} ended: {}", status.message),
                )));
            }
        }
    }
}

/// `{"pods": {"<pod>": {"containers": {"<container>": {"log": ...}}}}}`; a container
/// whose log cannot be read gets `error` and `cause` instead.
async fn job_logs(
    conn: &mut Connection<'_>,
    namespace: &str,
    job: &str,
    opts: &LogOptions,
) -> Result<Value, Error> {
    let ns = percent_encode(namespace);
    let list = conn
        .send(
            "GET",
            &with_query(
                &format!("/api/v1/namespaces/{ns}/pods"),
                &[("labelSelector".into(), format!("job-name={job}"))],
            ),
            None,
        )
        .await?;
    if !list.ok() {
        return Err(list.error());
    }
    let list = list.json()?;
    let mut pods = Map::new();
    for pod in list
        .get("items")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
    {
        let Some(pod_name) = pod.pointer("/metadata/name").and_then(Value::as_str) else {
            continue;
        };
        let mut containers = Map::new();
        for key in ["initContainers", "containers"] {
            let names = pod
                .pointer(&format!("/spec/{key}"))
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            for container in names
                .iter()
                .filter_map(|c| c.get("name").and_then(Value::as_str))
            {
                let mut query = vec![("container".to_owned(), container.to_owned())];
                query.extend(opts.parameters.iter().cloned());
                let path = with_query(
                    &format!(
                        "/api/v1/namespaces/{ns}/pods/{}/log",
                        percent_encode(pod_name)
                    ),
                    &query,
                );
                let entry = match conn.send("GET", &path, None).await {
                    Ok(answer) if answer.ok() => {
                        let text = String::from_utf8_lossy(&answer.body).into_owned();
                        let log = if opts.raw {
                            Value::String(text)
                        } else {
                            parse_log(text)
                        };
                        json!({ "log": log })
                    }
                    Ok(answer) => {
                        let err = answer.error();
                        json!({ "error": err.error, "cause": err.cause })
                    }
                    Err(err) => json!({ "error": err.error, "cause": err.cause }),
                };
                containers.insert(container.to_owned(), entry);
            }
        }
        pods.insert(pod_name.to_owned(), json!({ "containers": containers }));
    }
    Ok(json!({ "pods": pods }))
}

/// A log that is one JSON document becomes that value (numbers as f64, so long
/// decimals lose precision as AWS documents); anything else stays a string.
fn parse_log(text: String) -> Value {
    match serde_json::from_str::<Value>(&text) {
        Ok(value) => value,
        Err(_) => Value::String(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_conditions_decide_completion() {
        assert_eq!(finished(&json!({"status": {}})), None);
        assert_eq!(
            finished(&json!({"status": {"conditions": [{"type": "Complete", "status": "True"}]}})),
            Some(false)
        );
        assert_eq!(
            finished(&json!({"status": {"conditions": [{"type": "Failed", "status": "True"}]}})),
            Some(true)
        );
        assert_eq!(
            finished(&json!({"status": {"conditions": [{"type": "Complete", "status": "False"}]}})),
            None
        );
    }

    #[test]
    fn logs_parse_as_json_with_f64_precision() {
        let log = parse_log("{ \"pi\": 3.1415926535897932385}\n".into());
        assert_eq!(log, json!({"pi": std::f64::consts::PI}));
        assert_eq!(parse_log("hello\n".into()), json!("hello\n"));
    }

    #[test]
    fn ca_accepts_pem_and_der_and_rejects_junk() {
        let der = vec![0x30u8, 0x82, 0x01, 0x0a];
        let pem = format!(
            "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
            base64::engine::general_purpose::STANDARD.encode(&der)
        );
        let b64 = base64::engine::general_purpose::STANDARD.encode(pem);
        assert_eq!(decode_ca(&b64).unwrap(), vec![der.clone()]);
        let b64 = base64::engine::general_purpose::STANDARD.encode(&der);
        assert_eq!(decode_ca(&b64).unwrap(), vec![der]);
        assert!(decode_ca("ANPAJ2UCCR6DPCEXAMPLE").is_err());
        assert!(
            decode_ca(&base64::engine::general_purpose::STANDARD.encode("plain text")).is_err()
        );
    }

    /// A due EKS token is replaced before the next request, and the new client works.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_due_eks_token_is_replaced_before_use() {
        use asl_testkit::kube::{Config, KubeStandIn, TokenPolicy};
        let config = Config {
            tokens: TokenPolicy {
                tokens: vec![],
                read_only_tokens: vec![],
                no_watch_tokens: vec![],
                accept_eks_tokens: true,
            },
            ..Config::default()
        };
        let server = KubeStandIn::start(config).await.unwrap();
        let sdk = aws_config::SdkConfig::builder()
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(
                aws_credential_types::provider::SharedCredentialsProvider::new(
                    aws_credential_types::Credentials::new(
                        "AKIDEXAMPLE",
                        "secret",
                        None,
                        None,
                        "t",
                    ),
                ),
            )
            .behavior_version(aws_config::BehaviorVersion::latest())
            .build();
        let integrations = super::super::Integrations::new(&sdk);
        let ca = decode_ca(&server.ca_base64()).unwrap();
        let inner = &integrations.inner;
        let mut conn = Connection::with_eks_token(inner, "c".into(), server.endpoint().into(), ca)
            .await
            .unwrap();
        let first = conn.refresh_at.unwrap();
        assert!(first > SystemTime::now() + Duration::from_secs(9 * 60));
        conn.refresh_at = Some(SystemTime::UNIX_EPOCH);
        let answer = conn
            .send("GET", "/api/v1/namespaces/default/pods", None)
            .await
            .unwrap();
        assert_eq!(answer.status, 200);
        assert!(
            conn.refresh_at.unwrap() >= first,
            "a new token, valid for its full lifetime"
        );
    }

    #[test]
    fn query_strings_are_encoded() {
        let q = vec![
            ("labelSelector".to_owned(), "job-name=a".to_owned()),
            ("limit".to_owned(), "5".to_owned()),
        ];
        assert_eq!(
            with_query("/api/v1/pods", &q),
            "/api/v1/pods?labelSelector=job-name%3Da&limit=5"
        );
        assert_eq!(with_query("/p?x=1", &q[1..]), "/p?x=1&limit=5");
    }
}
