//! A local stand-in for AWS and an EKS cluster, so the sample runs on a machine with
//! no AWS account: moto's server for the EKS control plane and SNS, and the project's
//! Kubernetes API stand-in (TLS with its own CA, a bearer token, a Job controller that
//! runs the container's command with this machine's program, e.g. `perl`).
//!
//! In: `moto_server` (from `ASL_MOTO_SERVER` or `.venv`, see `scripts/setup-moto`).
//! Out: a [`Sandbox`] with both services listening on 127.0.0.1 (free ports), the
//! `--cluster` mapping that sends a `ClusterName` to the stand-in (its CA and token in
//! files of a private temporary folder), an AWS configuration with dummy credentials,
//! and the SNS messages moto was asked to publish. Dropping it stops both services and
//! removes the folder.
//!
//! moto's cluster answers carry a fake `Endpoint` and CA; that is why the sample maps
//! its `ClusterName` to the stand-in, exactly as a user points a workflow at another
//! API server.

use std::path::{Path, PathBuf};

use asl_testkit::kube::{Config, KubeStandIn};
use asl_testkit::moto::MotoServer;
use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use serde_json::Value;

use crate::cli::{CaSource, ClusterMapping, ClusterTarget, TokenSource};

/// The dummy credentials the sandbox's AWS calls use (moto accepts any).
pub const ACCESS_KEY_ID: &str = "testing";
pub const SECRET_ACCESS_KEY: &str = "testing";

/// What the sample's runs made (see [`Sandbox::tally`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    /// EKS CreateCluster calls moto served.
    pub clusters_created: usize,
    pub clusters_deleted: usize,
    /// EKS CreateNodegroup calls moto served.
    pub nodegroups_created: usize,
    pub nodegroups_deleted: usize,
    /// Jobs the stand-in created (a create answered 409 is not one).
    pub jobs_created: usize,
    /// Jobs that still exist.
    pub jobs_remaining: usize,
    pub sns_messages: usize,
}

impl std::fmt::Display for Tally {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} cluster(s) created and {} deleted, {} node group(s) created and {} deleted, \
             {} Job(s) created ({} left), {} SNS message(s)",
            self.clusters_created,
            self.clusters_deleted,
            self.nodegroups_created,
            self.nodegroups_deleted,
            self.jobs_created,
            self.jobs_remaining,
            self.sns_messages
        )
    }
}

/// moto's server and the Kubernetes API stand-in, running.
pub struct Sandbox {
    moto: MotoServer,
    kube: KubeStandIn,
    dir: PathBuf,
}

impl Sandbox {
    /// Starts both services; needs a tokio runtime (the stand-in serves on it).
    pub async fn start() -> Result<Sandbox, String> {
        let moto = MotoServer::start()
            .await
            .map_err(|e| format!("starting moto: {e}"))?;
        let kube = KubeStandIn::start(Config::default())
            .await
            .map_err(|e| format!("starting the Kubernetes API stand-in: {e}"))?;
        let dir = std::env::temp_dir().join(format!("asl-sandbox-{}", uuid::Uuid::new_v4()));
        write_private_files(&dir, &kube)?;
        Ok(Sandbox { moto, kube, dir })
    }

    /// moto's URL, for `--aws-endpoint`.
    pub fn aws_endpoint(&self) -> &str {
        self.moto.endpoint()
    }

    /// The stand-in's URL.
    pub fn kube_endpoint(&self) -> &str {
        self.kube.endpoint()
    }

    pub fn kube(&self) -> &KubeStandIn {
        &self.kube
    }

    pub fn ca_file(&self) -> PathBuf {
        self.dir.join("ca.pem")
    }

    pub fn token_file(&self) -> PathBuf {
        self.dir.join("token")
    }

    /// Sends the Kubernetes calls of `cluster_name` to the stand-in.
    pub fn cluster_mapping(&self, cluster_name: &str) -> ClusterMapping {
        ClusterMapping {
            cluster_name: cluster_name.to_string(),
            target: ClusterTarget::Server {
                endpoint: self.kube.endpoint().to_string(),
                ca: Some(CaSource::File(self.ca_file())),
                token: Some(TokenSource::File(self.token_file())),
            },
        }
    }

    /// The same mapping as command-line arguments of a workflow program.
    pub fn cluster_args(&self, cluster_name: &str) -> Vec<String> {
        vec![
            "--cluster".into(),
            format!("{cluster_name}={}", self.kube.endpoint()),
            "--cluster-ca-file".into(),
            self.ca_file().display().to_string(),
            "--cluster-token-file".into(),
            self.token_file().display().to_string(),
        ]
    }

    /// An AWS configuration for moto: dummy static credentials, `region`.
    pub fn aws_config(&self, region: &str) -> aws_config::SdkConfig {
        aws_config::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new(region.to_string()))
            .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
                ACCESS_KEY_ID,
                SECRET_ACCESS_KEY,
                None,
                None,
                "asl-sandbox",
            )))
            .endpoint_url(self.moto.endpoint())
            .build()
    }

    /// Creates, in moto, every SNS topic that a definition's tasks publish to
    /// (`TopicArn` in `Parameters`), in the account and region of its ARN, so that
    /// publishing succeeds. Returns the topic ARNs.
    pub async fn create_topics(&self, definition: &str) -> Result<Vec<String>, String> {
        let definition: Value = serde_json::from_str(definition)
            .map_err(|e| format!("the definition is not JSON: {e}"))?;
        let mut arns = Vec::new();
        collect_topic_arns(&definition, &mut arns);
        arns.sort();
        arns.dedup();
        for arn in &arns {
            let Some((region, account, name)) = parse_topic_arn(arn) else {
                return Err(format!("`{arn}` is not an SNS topic ARN"));
            };
            let sns = aws_sdk_sns::Client::new(&self.aws_config(region));
            let account = account.to_string();
            let created = sns
                .create_topic()
                .name(name)
                .customize()
                // moto's server mode takes the account from this header (moto keeps
                // every account apart, as AWS does).
                .mutate_request(move |req| {
                    req.headers_mut()
                        .insert("x-moto-account-id", account.clone());
                })
                .send()
                .await
                .map_err(|e| {
                    format!(
                        "creating the SNS topic {arn} in moto: {}",
                        aws_sdk_sns::error::DisplayErrorContext(&e)
                    )
                })?;
            if created.topic_arn() != Some(arn.as_str()) {
                return Err(format!(
                    "moto created the topic as {:?}, not {arn}",
                    created.topic_arn()
                ));
            }
        }
        Ok(arns)
    }

    /// Every message published to SNS so far, read back from moto
    /// (`/moto-api/data.json`): `{"TopicArn", "MessageId", "Message", ...}`.
    pub async fn sns_messages(&self) -> Result<Vec<Value>, String> {
        self.moto
            .sns_messages()
            .await
            .map_err(|e| format!("reading SNS messages from moto: {e}"))
    }

    /// What the runs so far made, as moto and the stand-in saw it: EKS create and
    /// delete calls (moto's request log), Jobs created, SNS messages published.
    pub async fn tally(&self) -> Result<Tally, String> {
        let requests = self.moto.requests();
        let count = |method: &str, matches: &dyn Fn(&[&str]) -> bool| {
            requests
                .iter()
                .filter(|(m, path)| {
                    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
                    m == method && matches(&parts)
                })
                .count()
        };
        Ok(Tally {
            clusters_created: count("POST", &|p| p == ["clusters"]),
            clusters_deleted: count("DELETE", &|p| p.len() == 2 && p[0] == "clusters"),
            nodegroups_created: count("POST", &|p| {
                p.len() == 3 && p[0] == "clusters" && p[2] == "node-groups"
            }),
            nodegroups_deleted: count("DELETE", &|p| {
                p.len() == 4 && p[0] == "clusters" && p[2] == "node-groups"
            }),
            jobs_created: self.kube.jobs_created(),
            jobs_remaining: self.kube.jobs().len(),
            sns_messages: self.sns_messages().await?.len(),
        })
    }

    /// moto's whole state (`/moto-api/data.json`).
    pub async fn moto_data(&self) -> Result<Value, String> {
        self.moto
            .data()
            .await
            .map_err(|e| format!("reading moto's state: {e}"))
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.kube.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The CA (PEM) and the token, in a folder only this user can read.
fn write_private_files(dir: &Path, kube: &KubeStandIn) -> Result<(), String> {
    let token = kube
        .token()
        .ok_or("the Kubernetes API stand-in has no full-access token")?;
    let mut builder = std::fs::DirBuilder::new();
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .map_err(|e| format!("creating {}: {e}", dir.display()))?;
    for (name, contents) in [("ca.pem", kube.ca_pem()), ("token", token)] {
        let path = dir.join(name);
        std::fs::write(&path, contents).map_err(|e| format!("writing {}: {e}", path.display()))?;
    }
    Ok(())
}

fn collect_topic_arns(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v) {
                    ("TopicArn", Value::String(arn)) => out.push(arn.clone()),
                    _ => collect_topic_arns(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_topic_arns(v, out)),
        _ => {}
    }
}

/// `arn:aws:sns:REGION:ACCOUNT:NAME` → (region, account, name).
fn parse_topic_arn(arn: &str) -> Option<(&str, &str, &str)> {
    let parts: Vec<&str> = arn.split(':').collect();
    match parts.as_slice() {
        ["arn", _, "sns", region, account, name]
            if !region.is_empty() && account.len() == 12 && !name.is_empty() =>
        {
            Some((region, account, name))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_are_found_anywhere_in_a_definition() {
        let def = serde_json::json!({"States": {
            "A": {"Parameters": {"TopicArn": "arn:aws:sns:sa-east-1:111122223333:t"}},
            "B": {"Branches": [{"States": {"C": {"Parameters": {"TopicArn": "arn:aws:sns:us-east-1:123456789012:u"}}}}]},
            "D": {"Parameters": {"TopicArn.$": "$.topic"}},
        }});
        let mut arns = Vec::new();
        collect_topic_arns(&def, &mut arns);
        assert_eq!(
            arns,
            vec![
                "arn:aws:sns:sa-east-1:111122223333:t",
                "arn:aws:sns:us-east-1:123456789012:u"
            ]
        );
    }

    #[test]
    fn topic_arns_parse() {
        assert_eq!(
            parse_topic_arn("arn:aws:sns:sa-east-1:111122223333:My-Topic"),
            Some(("sa-east-1", "111122223333", "My-Topic"))
        );
        assert_eq!(
            parse_topic_arn("arn:aws:sqs:sa-east-1:111122223333:q"),
            None
        );
        assert_eq!(parse_topic_arn("arn:aws:sns:sa-east-1:1111:t"), None);
        assert_eq!(parse_topic_arn("nonsense"), None);
    }
}
