//! The built-in service integrations: Amazon EKS (control plane and the Kubernetes
//! API of a cluster) and Amazon SNS, with the request and result shapes, waiting
//! behaviour and error names of the optimized Step Functions integrations.
//!
//! [`Integrations`] is built from an [`aws_config::SdkConfig`] (the usual environment,
//! profile and region chain) and hands out one [`TaskHandler`] per resource ARN with
//! [`Integrations::handlers`]; the execution engine registers them, and a program can
//! replace any of them with its own handler.
//!
//! | resource | what it does |
//! |---|---|
//! | `eks:createCluster`, `eks:createNodegroup`, `eks:createFargateProfile` | the EKS API call; `.sync` waits until the resource is `ACTIVE` |
//! | `eks:deleteCluster`, `eks:deleteNodegroup`, `eks:deleteFargateProfile` | the EKS API call; `.sync` waits until the resource is gone |
//! | `eks:runJob` | creates a `batch/v1` Job; `.sync` watches it to `Complete`/`Failed` and can fetch its pods' logs |
//! | `eks:call` | any Kubernetes REST call |
//! | `sns:publish` | SNS Publish |
//!
//! Errors: an EKS or SNS service error becomes `EKS.<ExceptionName>` /
//! `SNS.<ExceptionName>` with the service's message as cause; a Kubernetes answer
//! outside 2xx becomes `EKS.<status code>` with the cause
//! `{"ResponseBody": ..., "StatusCode": ..., "StatusText": ...}`; a parameter that the
//! integration does not know, a missing required one or one of the wrong type is
//! `States.Runtime`; a resource that reaches a failed state while a `.sync` task waits
//! (or a Job whose `Failed` condition is set) is `States.TaskFailed` with the
//! resource's last description as cause.
//!
//! Credentials and EKS tokens never appear in results, errors, `Debug` output or
//! tracing: tokens live in [`Secret`], whose `Debug` prints `<redacted>`.

mod eks;
mod kubernetes;
mod params;
mod sns;
pub mod token;

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use serde_json::Value;

use asl_lang::integrations::{self as catalogue, Api, Integration, Pattern};

use crate::error::Error;
use crate::task::{BoxFuture, TaskContext, TaskHandler};

/// Every resource ARN these integrations serve: each API of the shared catalogue
/// ([`asl_lang::integrations`]) with each pattern it has, in every partition. The
/// compiler reads the same catalogue to decide which `Resource` is built in.
pub fn known_resources() -> impl Iterator<Item = String> {
    catalogue::resources().map(catalogue::Integration::arn)
}

/// Is `resource` one of [`known_resources`]?
pub fn is_known_resource(resource: &str) -> bool {
    catalogue::integration(resource).is_some()
}

/// A string that must never be shown: a bearer token or the like.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret itself, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// How a `.sync` task polls: `initial` after the first call, then each delay
/// `multiplier` times the last, at most `max`.
///
/// AWS polls about once a minute; the default (1 s, doubling to 15 s) notices
/// completion far sooner. Tests use milliseconds. Job waits watch instead of polling
/// and use this schedule only to back off after a broken watch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WaitSchedule {
    pub initial: Duration,
    pub max: Duration,
    pub multiplier: u32,
}

impl Default for WaitSchedule {
    fn default() -> Self {
        WaitSchedule {
            initial: Duration::from_secs(1),
            max: Duration::from_secs(15),
            multiplier: 2,
        }
    }
}

impl WaitSchedule {
    /// The delay after `delay`.
    pub fn next(&self, delay: Duration) -> Duration {
        delay
            .saturating_mul(self.multiplier.max(1))
            .min(self.max)
            .max(self.initial.min(self.max))
    }
}

/// How long the integrations wait on a peer before a task fails, so an API server or
/// an AWS endpoint that accepts the connection and never answers cannot hang a
/// task (or the EKS sample, whose definition sets no `TimeoutSeconds`).
///
/// | field | default | applies to |
/// |---|---|---|
/// | `connect` | 10 s | opening a connection (AWS, Kubernetes) |
/// | `read` | 60 s | silence on an open connection, per read (AWS, Kubernetes); a Job watch asks the server to end it before this |
/// | `aws_attempt` | 60 s | one attempt of an AWS API call |
/// | `aws_operation` | 180 s | an AWS API call with the SDK's retries |
/// | `watch_failures` | 5 | failed watches of a Job in a row before `eks:runJob.sync` fails |
///
/// A timeout is `States.TaskFailed` with a cause that says which peer did what,
/// seen by `Retry` and `Catch` like any task failure.
///
/// ```
/// use std::time::Duration;
/// use asl_runtime::integrations::Timeouts;
/// let t = Timeouts::default().read(Duration::from_secs(5)).aws_operation(Duration::from_secs(20));
/// assert_eq!(t.connect, Duration::from_secs(10));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Timeouts {
    pub connect: Duration,
    pub read: Duration,
    pub aws_attempt: Duration,
    pub aws_operation: Duration,
    pub watch_failures: u32,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(10),
            read: Duration::from_secs(60),
            aws_attempt: Duration::from_secs(60),
            aws_operation: Duration::from_secs(180),
            watch_failures: 5,
        }
    }
}

impl Timeouts {
    /// Every wait set to `limit` (the AWS operation to three times it), for
    /// tests and impatient programs.
    pub fn all(limit: Duration) -> Self {
        Timeouts {
            connect: limit,
            read: limit,
            aws_attempt: limit,
            aws_operation: limit.saturating_mul(3),
            ..Timeouts::default()
        }
    }

    pub fn connect(mut self, d: Duration) -> Self {
        self.connect = d;
        self
    }

    pub fn read(mut self, d: Duration) -> Self {
        self.read = d;
        self
    }

    pub fn aws_attempt(mut self, d: Duration) -> Self {
        self.aws_attempt = d;
        self
    }

    pub fn aws_operation(mut self, d: Duration) -> Self {
        self.aws_operation = d;
        self
    }

    pub fn watch_failures(mut self, n: u32) -> Self {
        self.watch_failures = n;
        self
    }

    fn aws(&self) -> aws_config::timeout::TimeoutConfig {
        aws_config::timeout::TimeoutConfig::builder()
            .connect_timeout(self.connect)
            .read_timeout(self.read)
            .operation_attempt_timeout(self.aws_attempt)
            .operation_timeout(self.aws_operation)
            .build()
    }

    /// The same limits on a kube client configuration.
    pub(crate) fn apply_to(&self, config: &mut kube::Config) {
        config.connect_timeout = Some(self.connect);
        config.read_timeout = Some(self.read);
        config.write_timeout = Some(self.read);
    }
}

/// Where the Kubernetes API of one cluster really is, in place of the `Endpoint` and
/// `CertificateAuthority` a task passes.
///
/// A workflow written for EKS names its cluster (`ClusterName`) and passes the
/// cluster's `Endpoint` and `CertificateAuthority`. Registering an override for that
/// `ClusterName` with [`IntegrationsBuilder::cluster_override`] sends every
/// `eks:runJob` and `eks:call` for it elsewhere, so the same workflow runs against a
/// local cluster or a test stand-in:
///
/// ```no_run
/// # async fn f(sdk: aws_config::SdkConfig, ca_base64: String) -> Result<(), asl_runtime::Error> {
/// use asl_runtime::integrations::{ClusterOverride, Integrations};
/// let integrations = Integrations::builder(&sdk)
///     // a server with its own CA and a fixed bearer token
///     .cluster_override("MyCluster", ClusterOverride::new("https://127.0.0.1:6443", &ca_base64)?
///         .bearer_token("a-token"))
///     // or whatever a kubeconfig context says (server, CA, token, client certificate, exec)
///     .cluster_override("Other", ClusterOverride::from_kubeconfig(Some("kind-dev")).await?)
///     .build();
/// # Ok(()) }
/// ```
///
/// TLS is always verified against the given CA. Without `bearer_token`, an
/// [`ClusterOverride::new`] target receives an EKS token made from the AWS
/// credentials, as EKS itself would.
#[derive(Clone)]
pub struct ClusterOverride {
    target: OverrideTarget,
}

#[derive(Clone)]
enum OverrideTarget {
    Direct {
        endpoint: String,
        ca_der: Vec<Vec<u8>>,
        token: Option<Secret>,
    },
    Kubeconfig(Box<kube::Config>),
}

impl ClusterOverride {
    /// An API server at `endpoint` whose certificate chains to the base64 CA (PEM or
    /// DER, base64-encoded as EKS reports `CertificateAuthority.Data`).
    pub fn new(endpoint: impl Into<String>, ca_base64: &str) -> Result<Self, Error> {
        let ca_der = kubernetes::decode_ca(ca_base64)?;
        Ok(ClusterOverride {
            target: OverrideTarget::Direct {
                endpoint: endpoint.into(),
                ca_der,
                token: None,
            },
        })
    }

    /// Authenticate with this bearer token instead of an EKS token.
    pub fn bearer_token(mut self, token: impl Into<String>) -> Self {
        if let OverrideTarget::Direct { token: t, .. } = &mut self.target {
            *t = Some(Secret::new(token));
        }
        self
    }

    /// A context of the kubeconfig that `KUBECONFIG` (or `~/.kube/config`) names;
    /// `None` for its current context.
    pub async fn from_kubeconfig(context: Option<&str>) -> Result<Self, Error> {
        let options = kube::config::KubeConfigOptions {
            context: context.map(str::to_owned),
            ..Default::default()
        };
        let config = kube::Config::from_kubeconfig(&options)
            .await
            .map_err(|e| Error::runtime(format!("cannot load the kubeconfig: {e}")))?;
        Ok(Self::from_kube_config(config))
    }

    /// An already built kube configuration.
    pub fn from_kube_config(config: kube::Config) -> Self {
        ClusterOverride {
            target: OverrideTarget::Kubeconfig(Box::new(config)),
        }
    }
}

impl fmt::Debug for ClusterOverride {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.target {
            OverrideTarget::Direct {
                endpoint, token, ..
            } => f
                .debug_struct("ClusterOverride")
                .field("endpoint", endpoint)
                .field("token", &token.as_ref().map(|_| "<redacted>"))
                .finish(),
            OverrideTarget::Kubeconfig(config) => f
                .debug_struct("ClusterOverride")
                .field("kubeconfig", &config.cluster_url.to_string())
                .finish(),
        }
    }
}

/// Builds [`Integrations`]: endpoint overrides, waiting schedule, cluster overrides.
pub struct IntegrationsBuilder {
    sdk: aws_config::SdkConfig,
    eks_endpoint: Option<String>,
    sns_endpoint: Option<String>,
    sts_endpoint: Option<String>,
    wait: WaitSchedule,
    timeouts: Timeouts,
    clusters: HashMap<String, ClusterOverride>,
}

impl IntegrationsBuilder {
    /// How long to wait on AWS and the Kubernetes API; see [`Timeouts`].
    pub fn timeouts(mut self, timeouts: Timeouts) -> Self {
        self.timeouts = timeouts;
        self
    }

    /// Send EKS control-plane calls to this URL (e.g. a moto server).
    pub fn eks_endpoint(mut self, url: impl Into<String>) -> Self {
        self.eks_endpoint = Some(url.into());
        self
    }

    /// Send SNS calls to this URL.
    pub fn sns_endpoint(mut self, url: impl Into<String>) -> Self {
        self.sns_endpoint = Some(url.into());
        self
    }

    /// The STS URL that EKS tokens are presigned for (default
    /// `https://sts.<region>.amazonaws.com/`).
    pub fn sts_endpoint(mut self, url: impl Into<String>) -> Self {
        self.sts_endpoint = Some(url.into());
        self
    }

    /// How `.sync` tasks poll.
    pub fn wait_schedule(mut self, wait: WaitSchedule) -> Self {
        self.wait = wait;
        self
    }

    /// Send Kubernetes calls for `cluster_name` to another server; see [`ClusterOverride`].
    pub fn cluster_override(
        mut self,
        cluster_name: impl Into<String>,
        target: ClusterOverride,
    ) -> Self {
        self.clusters.insert(cluster_name.into(), target);
        self
    }

    pub fn build(self) -> Integrations {
        // kube and the AWS SDK both use rustls; with more than one crypto provider
        // linked in, rustls cannot pick one by itself. Installing fails harmlessly
        // when a provider is already installed.
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        let mut eks =
            aws_sdk_eks::config::Builder::from(&self.sdk).timeout_config(self.timeouts.aws());
        if let Some(url) = &self.eks_endpoint {
            eks = eks.endpoint_url(url);
        }
        let mut sns =
            aws_sdk_sns::config::Builder::from(&self.sdk).timeout_config(self.timeouts.aws());
        if let Some(url) = &self.sns_endpoint {
            sns = sns.endpoint_url(url);
        }
        Integrations {
            inner: Arc::new(Inner {
                eks: aws_sdk_eks::Client::from_conf(eks.build()),
                sns: aws_sdk_sns::Client::from_conf(sns.build()),
                tokens: token::TokenSource::new(&self.sdk, self.sts_endpoint),
                wait: self.wait,
                timeouts: self.timeouts,
                clusters: self.clusters,
            }),
        }
    }
}

/// The integrations, ready to hand their handlers to the execution engine.
#[derive(Clone)]
pub struct Integrations {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) eks: aws_sdk_eks::Client,
    pub(crate) sns: aws_sdk_sns::Client,
    pub(crate) tokens: token::TokenSource,
    pub(crate) wait: WaitSchedule,
    pub(crate) timeouts: Timeouts,
    pub(crate) clusters: HashMap<String, ClusterOverride>,
}

impl fmt::Debug for Integrations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Integrations")
            .field("wait", &self.inner.wait)
            .field("clusters", &self.inner.clusters)
            .finish_non_exhaustive()
    }
}

impl Integrations {
    /// AWS configuration from the environment, profiles and region chain.
    pub async fn from_env() -> Self {
        let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        Self::new(&sdk)
    }

    pub fn new(sdk: &aws_config::SdkConfig) -> Self {
        Self::builder(sdk).build()
    }

    pub fn builder(sdk: &aws_config::SdkConfig) -> IntegrationsBuilder {
        IntegrationsBuilder {
            sdk: sdk.clone(),
            eks_endpoint: None,
            sns_endpoint: None,
            sts_endpoint: None,
            wait: WaitSchedule::default(),
            timeouts: Timeouts::default(),
            clusters: HashMap::new(),
        }
    }

    /// One handler per entry of [`known_resources`].
    pub fn handlers(&self) -> Vec<(String, Arc<dyn TaskHandler>)> {
        catalogue::resources()
            .map(|integration| {
                let handler: Arc<dyn TaskHandler> = Arc::new(Handler {
                    inner: self.inner.clone(),
                    integration,
                });
                (integration.arn(), handler)
            })
            .collect()
    }

    /// What deletes the resources these integrations create (EKS clusters, node
    /// groups and Fargate profiles, Kubernetes Jobs), for cleanup after an
    /// execution fails, times out or is stopped
    /// ([`crate::RuntimeBuilder::cleaners`]).
    pub fn cleaners(&self) -> Vec<(String, Arc<dyn crate::exec::Cleaner>)> {
        let eks = |api| -> Arc<dyn crate::exec::Cleaner> {
            Arc::new(eks::Cleaner {
                inner: self.inner.clone(),
                api,
            })
        };
        vec![
            (eks::CLUSTER.into(), eks(Api::EksDeleteCluster)),
            (eks::NODEGROUP.into(), eks(Api::EksDeleteNodegroup)),
            (
                eks::FARGATE_PROFILE.into(),
                eks(Api::EksDeleteFargateProfile),
            ),
            (
                kubernetes::JOB.into(),
                Arc::new(kubernetes::JobCleaner {
                    inner: self.inner.clone(),
                }),
            ),
        ]
    }

    /// The handler for one resource ARN, if it is one of [`known_resources`].
    pub fn handler(&self, resource: &str) -> Option<Arc<dyn TaskHandler>> {
        let integration = catalogue::integration(resource)?;
        Some(Arc::new(Handler {
            inner: self.inner.clone(),
            integration,
        }))
    }
}

struct Handler {
    inner: Arc<Inner>,
    integration: Integration,
}

impl TaskHandler for Handler {
    fn invoke<'a>(
        &'a self,
        task: &'a TaskContext<'a>,
        parameters: Value,
    ) -> BoxFuture<'a, Result<Value, Error>> {
        Box::pin(async move {
            // Running under the workflow's own identity when the state asks for
            // another role would act with the wrong rights: refuse instead.
            if task.credentials.is_some() {
                return Err(Error::runtime(format!(
                    "Task Credentials (assuming another role) are not supported by asl's built-in \
                     {} integration; remove Credentials or register your own TaskHandler",
                    task.resource
                )));
            }
            let resource = task.resource;
            let spec = self.integration.api.spec();
            let parameters = check_request(resource, spec, parameters)?;
            let sync = self.integration.pattern == Pattern::Sync;
            let inner = &self.inner;
            match self.integration.api {
                Api::EksRunJob => {
                    kubernetes::run_job(inner, task, resource, sync, parameters).await
                }
                Api::EksCall => kubernetes::call(inner, resource, parameters).await,
                Api::SnsPublish => sns::publish(inner, resource, parameters).await,
                api => eks::run(inner, task, resource, api, sync, parameters).await,
            }
        })
    }
}

/// Checks the top level of a request against the catalogue, as the compiler did
/// for its literal parts: an unknown or a missing required field is
/// `States.Runtime`. (Each integration then reads its fields with their types.)
fn check_request(
    resource: &str,
    spec: &catalogue::Spec,
    parameters: Value,
) -> Result<Value, Error> {
    if let Value::Object(fields) = &parameters {
        if let Some(unknown) = fields.keys().find(|k| spec.field(k).is_none()) {
            return Err(params::unsupported(resource, unknown));
        }
        if let Some(missing) = spec
            .required()
            .find(|name| fields.get(*name).is_none_or(Value::is_null))
        {
            return Err(Error::runtime(format!(
                "The field '{missing}' is required by {resource} but is missing"
            )));
        }
    }
    Ok(parameters)
}

/// Base64 (standard alphabet, padded), as AWS uses for blobs in JSON.
pub(crate) fn base64_decode(field: &str, data: &str) -> Result<Vec<u8>, Error> {
    base64::engine::general_purpose::STANDARD
        .decode(data.trim())
        .map_err(|e| Error::runtime(format!("The field '{field}' is not valid base64: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_partition_is_served() {
        let sdk = aws_config::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .build();
        let integrations = Integrations::new(&sdk);
        let served: Vec<String> = integrations
            .handlers()
            .into_iter()
            .map(|(r, _)| r)
            .collect();
        for arn in [
            "arn:aws:states:::eks:runJob.sync",
            "arn:aws-cn:states:::eks:runJob.sync",
            "arn:aws-us-gov:states:::sns:publish",
            "arn:aws-cn:states:::eks:createCluster",
        ] {
            assert!(served.iter().any(|r| r == arn), "{arn}");
            assert!(is_known_resource(arn));
            assert!(integrations.handler(arn).is_some());
        }
        assert!(!is_known_resource("arn:aws:states:::eks:call.sync"));
        assert!(
            integrations
                .handler("arn:aws:states:::sns:publish.sync")
                .is_none()
        );
        assert_eq!(known_resources().count(), served.len());
    }

    #[tokio::test]
    async fn task_credentials_are_refused_not_ignored() {
        let sdk = aws_config::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .build();
        let integrations = Integrations::new(&sdk);
        let resource = "arn:aws:states:::sns:publish";
        let role = serde_json::json!({"RoleArn": "arn:aws:iam::123456789012:role/Other"});
        let mut task = TaskContext::new(resource, "S");
        task.credentials = Some(&role);
        let handler = integrations.handler(resource).unwrap();
        let err = handler
            .invoke(&task, serde_json::json!({"Message": "m"}))
            .await
            .unwrap_err();
        assert_eq!(err.name(), "States.Runtime");
        assert!(err.cause().unwrap().contains("Credentials"), "{err}");
    }

    #[test]
    fn wait_schedule_backs_off_to_its_maximum() {
        let w = WaitSchedule::default();
        let mut d = w.initial;
        let mut seen = vec![d];
        for _ in 0..6 {
            d = w.next(d);
            seen.push(d);
        }
        let secs: Vec<u64> = seen.iter().map(Duration::as_secs).collect();
        assert_eq!(secs, vec![1, 2, 4, 8, 15, 15, 15]);
    }

    #[test]
    fn secrets_do_not_print() {
        let s = Secret::new("k8s-aws-v1.abc");
        assert_eq!(format!("{s:?}"), "<redacted>");
        let o = ClusterOverride {
            target: OverrideTarget::Direct {
                endpoint: "https://x".into(),
                ca_der: vec![],
                token: Some(s),
            },
        };
        assert!(!format!("{o:?}").contains("abc"));
    }
}
