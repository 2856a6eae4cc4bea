//! moto's server as a test harness: started on a free port of 127.0.0.1, stopped on drop.
//!
//! In: the `moto_server` program, from `ASL_MOTO_SERVER` or else
//! `<workspace root>/.venv/bin/moto_server` (run `scripts/setup-moto` to install it).
//! Out: [`MotoServer::endpoint`] for the AWS SDK clients, [`MotoServer::reset`] to clear
//! every backend between tests, [`MotoServer::sns_messages`] to read back what SNS was
//! asked to publish, and [`MotoServer::aws`] with dummy credentials and a region.
//!
//! The testkit does not depend on the AWS crates (they are heavy to build); a test builds
//! its SDK config from [`AwsTestSettings`] without touching the process environment:
//!
//! ```text
//! let moto = asl_testkit::moto::MotoServer::start().await?;
//! let s = moto.aws();
//! let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
//!     .region(aws_config::Region::new(s.region.clone()))
//!     .credentials_provider(aws_credential_types::Credentials::new(
//!         &s.access_key_id, &s.secret_access_key, None, None, "asl-testkit"))
//!     .endpoint_url(&s.endpoint)
//!     .load()
//!     .await;
//! ```

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::Error;
use crate::http::HttpClient;

/// Dummy AWS settings for SDK clients pointed at moto. moto accepts any credentials;
/// these are fixed so that ARNs and signatures in tests are reproducible.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsTestSettings {
    /// `http://127.0.0.1:PORT`, for `endpoint_url`.
    pub endpoint: String,
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    /// moto's default account, the one its ARNs carry.
    pub account_id: String,
}

/// A running `moto_server`; killed when dropped.
pub struct MotoServer {
    child: Child,
    endpoint: String,
    /// moto's own output (it logs every request), kept for error messages.
    log: PathBuf,
    /// moto's recording of every request it served (its recorder, on from the start).
    recording: PathBuf,
    client: HttpClient,
}

/// How long moto may take to answer after it was spawned (Python start-up is slow on a
/// busy 2-core machine).
const START_TIMEOUT: Duration = Duration::from_secs(60);

impl MotoServer {
    /// Finds `moto_server`, starts it on a free port and waits until it answers.
    pub async fn start() -> Result<MotoServer, Error> {
        Self::start_with(&find_moto_server()?).await
    }

    /// Starts the given `moto_server` program on a free port.
    pub async fn start_with(program: &std::path::Path) -> Result<MotoServer, Error> {
        let program = program.to_path_buf();
        // A free port can be taken by someone else between our probe and moto's bind;
        // try a few ports before giving up.
        let mut last_error = None;
        for _ in 0..3 {
            match Self::start_on_free_port(&program).await {
                Ok(server) => return Ok(server),
                Err(e) => last_error = Some(e),
            }
        }
        Err(last_error.unwrap_or_else(|| Error::new("moto_server did not start")))
    }

    async fn start_on_free_port(program: &PathBuf) -> Result<MotoServer, Error> {
        let port = free_port()?;
        // A file, not a pipe: nobody reads moto's output while it runs, and a full pipe
        // would stall it.
        let log = std::env::temp_dir().join(format!(
            "asl-testkit-moto-{}-{port}.log",
            std::process::id()
        ));
        let out = std::fs::File::create(&log)
            .map_err(|e| Error::new(format!("creating {}: {e}", log.display())))?;
        let err = out
            .try_clone()
            .map_err(|e| Error::new(format!("creating {}: {e}", log.display())))?;
        let recording = log.with_extension("requests");
        let _ = std::fs::remove_file(&recording);
        let child = Command::new(program)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .env("MOTO_ENABLE_RECORDING", "True")
            .env("MOTO_RECORDER_FILEPATH", &recording)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .map_err(|e| Error::new(format!("spawning {}: {e}", program.display())))?;
        let endpoint = format!("http://127.0.0.1:{port}");
        let client = HttpClient::new(&endpoint, None)?;
        let mut server = MotoServer {
            child,
            endpoint,
            log,
            recording,
            client,
        };
        server.wait_ready().await?;
        Ok(server)
    }

    async fn wait_ready(&mut self) -> Result<(), Error> {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(Error::new(format!(
                    "moto_server exited before answering ({status}) on {}; its output ends:\n{}",
                    self.endpoint,
                    self.output_tail()
                )));
            }
            if let Ok(resp) = self.client.json("GET", "/moto-api/data.json", None).await
                && resp.status == 200
            {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(Error::new(format!(
                    "moto_server did not answer on {} within {START_TIMEOUT:?}; its output ends:\n{}",
                    self.endpoint,
                    self.output_tail()
                )));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The last lines moto printed.
    fn output_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }

    /// `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Dummy credentials, region `us-east-1` and this server's endpoint.
    pub fn aws(&self) -> AwsTestSettings {
        AwsTestSettings {
            endpoint: self.endpoint.clone(),
            region: "us-east-1".to_string(),
            access_key_id: "testing".to_string(),
            secret_access_key: "testing".to_string(),
            account_id: "123456789012".to_string(),
        }
    }

    /// Clears every moto backend (`POST /moto-api/reset`).
    pub async fn reset(&self) -> Result<(), Error> {
        let resp = self.client.json("POST", "/moto-api/reset", None).await?;
        if resp.status != 200 {
            return Err(Error::new(format!(
                "moto reset answered {}: {}",
                resp.status,
                resp.text()
            )));
        }
        Ok(())
    }

    /// Every message published to an SNS topic since the last reset, oldest first, as
    /// `{"TopicArn", "MessageId", "Message", "Subject", "MessageAttributes",
    /// "MessageGroupId"}` objects (from `GET /moto-api/data.json`, where moto keeps each
    /// topic's `sent_notifications` as arrays).
    pub async fn sns_messages(&self) -> Result<Vec<Value>, Error> {
        let data = self.data().await?;
        Ok(sns_messages_from(&data))
    }

    /// Sets moto's backend configuration (`POST /moto-api/config`), e.g.
    /// `{"lambda": {"use_docker": false}}` for the simple Lambda backend (no
    /// Docker: an invocation answers with the next queued result, else its own
    /// event) and `{"stepfunctions": {"execute_state_machine": true}}` to run
    /// the state machines it is given.
    pub async fn configure(&self, config: &Value) -> Result<(), Error> {
        let resp = self
            .client
            .json("POST", "/moto-api/config", Some(config))
            .await?;
        if !(200..300).contains(&resp.status) {
            return Err(Error::new(format!(
                "moto config answered {}: {}",
                resp.status,
                resp.text()
            )));
        }
        Ok(())
    }

    /// Queues what the simple Lambda backend answers to the next invocations
    /// (`POST /moto-api/static/lambda-simple/response`), one per invocation.
    pub async fn queue_lambda_results(&self, results: &[&str]) -> Result<(), Error> {
        let s = self.aws();
        let body = serde_json::json!({
            "results": results,
            "region": s.region,
            "account_id": s.account_id,
        });
        let resp = self
            .client
            .json(
                "POST",
                "/moto-api/static/lambda-simple/response",
                Some(&body),
            )
            .await?;
        if !(200..300).contains(&resp.status) {
            return Err(Error::new(format!(
                "moto lambda-simple answered {}: {}",
                resp.status,
                resp.text()
            )));
        }
        Ok(())
    }

    /// Creates an IAM role (IAM's query API, which moto routes by the
    /// credential scope) and returns its ARN: Lambda's CreateFunction needs an
    /// existing role.
    pub async fn create_role(&self, name: &str) -> Result<String, Error> {
        let form = format!(
            "Action=CreateRole&Version=2010-05-08&RoleName={name}&AssumeRolePolicyDocument=%7B%7D"
        );
        let client = self.client.clone().with_header(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0",
        );
        let resp = client
            .request(
                "POST",
                "/",
                Some("application/x-www-form-urlencoded"),
                form.into_bytes(),
            )
            .await?;
        if resp.status != 200 {
            return Err(Error::new(format!(
                "moto CreateRole answered {}: {}",
                resp.status,
                resp.text()
            )));
        }
        Ok(format!(
            "arn:aws:iam::{}:role/{name}",
            self.aws().account_id
        ))
    }

    /// Creates an IAM user allowed what `policy` (an IAM policy document)
    /// allows, and returns its access key `(id, secret)`: the identity of a
    /// test once [`Self::enforce_iam`] is on.
    pub async fn create_user(&self, name: &str, policy: &Value) -> Result<(String, String), Error> {
        let policy = percent_encode(&policy.to_string());
        self.iam(&format!("Action=CreateUser&UserName={name}"))
            .await?;
        self.iam(&format!(
            "Action=PutUserPolicy&UserName={name}&PolicyName=test&PolicyDocument={policy}"
        ))
        .await?;
        let answer = self
            .iam(&format!("Action=CreateAccessKey&UserName={name}"))
            .await?;
        let element = |tag: &str| {
            let open = format!("<{tag}>");
            let start = answer.find(&open)? + open.len();
            let end = answer[start..].find(&format!("</{tag}>"))? + start;
            Some(answer[start..end].to_string())
        };
        match (element("AccessKeyId"), element("SecretAccessKey")) {
            (Some(id), Some(secret)) => Ok((id, secret)),
            _ => Err(Error::new(format!(
                "moto CreateAccessKey answered without a key: {answer}"
            ))),
        }
    }

    /// From now on moto checks every request's signature and the caller's IAM
    /// policies (`POST /moto-api/reset-auth` with 0 requests left unchecked), as
    /// AWS does: an action the caller's policies do not allow is `AccessDenied`.
    pub async fn enforce_iam(&self) -> Result<(), Error> {
        let resp = self
            .client
            .request(
                "POST",
                "/moto-api/reset-auth",
                Some("text/plain"),
                b"0".to_vec(),
            )
            .await?;
        if resp.status != 200 {
            return Err(Error::new(format!(
                "moto reset-auth answered {}: {}",
                resp.status,
                resp.text()
            )));
        }
        Ok(())
    }

    /// One call of IAM's query API (routed by the credential scope; unsigned,
    /// so only before [`Self::enforce_iam`]); its XML answer.
    async fn iam(&self, form: &str) -> Result<String, Error> {
        let client = self.client.clone().with_header(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0",
        );
        let resp = client
            .request(
                "POST",
                "/",
                Some("application/x-www-form-urlencoded"),
                format!("{form}&Version=2010-05-08").into_bytes(),
            )
            .await?;
        if resp.status != 200 {
            return Err(Error::new(format!(
                "moto IAM {form} answered {}: {}",
                resp.status,
                resp.text()
            )));
        }
        Ok(resp.text())
    }

    /// moto's whole state dump (`GET /moto-api/data.json`).
    pub async fn data(&self) -> Result<Value, Error> {
        let resp = self.client.json("GET", "/moto-api/data.json", None).await?;
        if resp.status != 200 {
            return Err(Error::new(format!(
                "moto data.json answered {}: {}",
                resp.status,
                resp.text()
            )));
        }
        resp.json()
    }
}

impl MotoServer {
    /// Every request moto served so far, as `(method, path)` (its recorder's log),
    /// e.g. `("POST", "/clusters")` for each EKS CreateCluster.
    pub fn requests(&self) -> Vec<(String, String)> {
        let text = std::fs::read_to_string(&self.recording).unwrap_or_default();
        text.lines()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .map(|entry| {
                let method = entry["method"].as_str().unwrap_or_default().to_string();
                let url = entry["url"].as_str().unwrap_or_default();
                // `http://host:port/path?query` -> `/path`.
                let path = url
                    .split_once("://")
                    .map_or(url, |(_, rest)| rest.find('/').map_or("/", |i| &rest[i..]));
                let path = path.split('?').next().unwrap_or(path).to_string();
                (method, path)
            })
            .collect()
    }
}

impl Drop for MotoServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
        let _ = std::fs::remove_file(&self.recording);
    }
}

/// Picks the published messages out of moto's state dump.
fn sns_messages_from(data: &Value) -> Vec<Value> {
    let mut out = Vec::new();
    let topics = data
        .pointer("/sns/Topic")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    for topic in topics {
        let arn = topic.get("arn").cloned().unwrap_or(Value::Null);
        let sent = topic
            .get("sent_notifications")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default();
        for n in sent {
            // moto stores (message_id, message, subject, message_attributes, group_id).
            let field = |i: usize| n.get(i).cloned().unwrap_or(Value::Null);
            out.push(serde_json::json!({
                "TopicArn": arn,
                "MessageId": field(0),
                "Message": field(1),
                "Subject": field(2),
                "MessageAttributes": field(3),
                "MessageGroupId": field(4),
            }));
        }
    }
    out
}

/// Where `moto_server` is: `ASL_MOTO_SERVER`, else the workspace's `.venv`.
pub fn find_moto_server() -> Result<PathBuf, Error> {
    locate(std::env::var_os("ASL_MOTO_SERVER"), &workspace_root())
}

fn locate(from_env: Option<std::ffi::OsString>, root: &std::path::Path) -> Result<PathBuf, Error> {
    if let Some(path) = from_env {
        let path = PathBuf::from(path);
        if path.is_file() {
            return Ok(path);
        }
        return Err(Error::new(format!(
            "ASL_MOTO_SERVER={} is not a file; unset it or run scripts/setup-moto",
            path.display()
        )));
    }
    let path = root.join(".venv/bin/moto_server");
    if path.is_file() {
        Ok(path)
    } else {
        Err(Error::new(format!(
            "moto_server not found at {}: run `bash scripts/setup-moto` from the repository \
             root (or set ASL_MOTO_SERVER to its path)",
            path.display()
        )))
    }
}

/// The repository root (this crate lives at `tests/testkit`).
pub fn workspace_root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest
        .parent()
        .and_then(|p| p.parent())
        .map(PathBuf::from)
        .unwrap_or(manifest)
}

/// `text` for a form body: unreserved characters as they are, every other byte
/// `%XX`.
fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn free_port() -> Result<u16, Error> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")
        .map_err(|e| Error::new(format!("finding a free port: {e}")))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| Error::new(format!("finding a free port: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_messages_from_every_topic() {
        let data = serde_json::json!({"sns": {"Topic": [
            {"arn": "arn:aws:sns:us-east-1:123456789012:a",
             "sent_notifications": [["id-1", "hello", "subj", {}, null]]},
            {"arn": "arn:aws:sns:us-east-1:123456789012:b", "sent_notifications": []},
        ]}});
        let msgs = sns_messages_from(&data);
        assert_eq!(msgs.len(), 1);
        assert_eq!(msgs[0]["Message"], "hello");
        assert_eq!(msgs[0]["MessageId"], "id-1");
        assert_eq!(msgs[0]["Subject"], "subj");
        assert_eq!(msgs[0]["TopicArn"], "arn:aws:sns:us-east-1:123456789012:a");
    }

    #[test]
    fn a_missing_server_says_to_run_setup_moto() {
        let root = std::env::temp_dir().join("asl-testkit-no-such-root");
        let err = locate(None, &root).unwrap_err();
        assert!(err.message().contains("scripts/setup-moto"), "{err}");
        let err = locate(Some("/no/such/moto_server".into()), &root).unwrap_err();
        assert!(
            err.message()
                .contains("ASL_MOTO_SERVER=/no/such/moto_server"),
            "{err}"
        );
        let here = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
        assert_eq!(locate(Some(here.clone().into()), &root).unwrap(), here);
    }

    #[test]
    fn no_sns_state_means_no_messages() {
        assert!(sns_messages_from(&serde_json::json!({})).is_empty());
    }
}
