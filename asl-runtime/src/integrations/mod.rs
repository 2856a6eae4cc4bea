//! The built-in service integrations, with the request and result shapes,
//! waiting behaviour and error names of Step Functions' own integrations.
//!
//! [`Integrations`] is built from an [`aws_config::SdkConfig`] (the usual environment,
//! profile and region chain) and hands out one [`TaskHandler`] per resource ARN with
//! [`Integrations::handlers`]; the execution engine registers them, and a program can
//! replace any of them with its own handler. Each family is a Cargo feature
//! ([`crate::features`]); only the enabled ones are handed out.
//!
//! | feature | resource | what it does |
//! |---|---|---|
//! | `eks` | `eks:createCluster`, `eks:createNodegroup`, `eks:createFargateProfile` | the EKS API call; `.sync` waits until the resource is `ACTIVE` |
//! | `eks` | `eks:deleteCluster`, `eks:deleteNodegroup`, `eks:deleteFargateProfile` | the EKS API call; `.sync` waits until the resource is gone |
//! | `eks` | `eks:runJob` | creates a `batch/v1` Job; `.sync` watches it to `Complete`/`Failed` and can fetch its pods' logs |
//! | `eks` | `eks:call` | any Kubernetes REST call |
//! | `sns` | `sns:publish` | SNS Publish |
//! | `lambda` | `lambda:invoke`, `arn:aws:lambda:…:function:NAME[:QUALIFIER]` | Lambda Invoke, or a Rust function registered with [`IntegrationsBuilder::lambda_function`] |
//! | `dynamodb` | `dynamodb:getItem`, `putItem`, `updateItem`, `deleteItem`; `aws-sdk:dynamodb:query`, `scan`, `batchGetItem`, `batchWriteItem`, `transactWriteItems` | the DynamoDB API, its own JSON in and out |
//! | `s3` | `aws-sdk:s3:getObject`, `putObject`, `headObject`, `listObjectsV2`, `copyObject`, `deleteObject` | the S3 API; `getObject`'s `Body` is the object as text |
//! | `sqs` | `sqs:sendMessage` | SQS SendMessage |
//! | `events` | `events:putEvents` | EventBridge PutEvents |
//! | `sfn` | `states:startExecution`, `.sync`, `.sync:2` | a nested execution: a workflow registered with [`crate::RuntimeBuilder::workflow`] runs in this process, any other goes to Step Functions |
//! | `http` | `http:invoke` | an HTTPS request, authorised with an EventBridge connection's credentials ([`IntegrationsBuilder::http_connection`]) |
//! | `apigateway` | `apigateway:invoke` | a call of an API Gateway API (`https://<ApiEndpoint>/<Stage>/<Path>`), unsigned or signed with SigV4 for `execute-api` |
//!
//! Errors: a service error becomes `<Service>.<ExceptionName>` with the service's
//! message as cause (`EKS.ResourceInUseException`, `Lambda.ResourceNotFoundException`,
//! `DynamoDB.ConditionalCheckFailedException`; SDK integrations add the
//! `Exception` suffix where the service's code lacks it, `S3.NoSuchKeyException`);
//! a Lambda function's own error is its `errorType` with the error payload as
//! cause; a Kubernetes answer outside 2xx becomes `EKS.<status code>` with the
//! cause `{"ResponseBody": ..., "StatusCode": ..., "StatusText": ...}`, an HTTPS
//! answer outside 2xx `States.Http.StatusCode.<code>`, an API Gateway answer
//! outside 2xx `ApiGateway.<code>` with the answer's body as cause; a parameter that the
//! integration does not know, a missing required one or one of the wrong type is
//! `States.Runtime`; a resource that reaches a failed state while a `.sync` task waits
//! (or a Job whose `Failed` condition is set, or a nested execution that fails) is
//! `States.TaskFailed` with the resource's last description as cause.
//!
//! The same definition runs against moto, LocalStack or AWS: endpoints are set per
//! service ([`IntegrationsBuilder::endpoint_url`], [`IntegrationsBuilder::service_endpoint`])
//! and the resources a task names (`FunctionName`, `TableName`, `QueueUrl`,
//! `TopicArn`, `Bucket`, `StateMachineArn`, `EventBusName`) can be mapped
//! ([`IntegrationsBuilder::map_resource`]), as EKS clusters are
//! ([`IntegrationsBuilder::cluster_override`]).
//!
//! A Task with `Credentials` (`{"RoleArn": ...}`) makes its calls as that role:
//! its credentials come from STS `AssumeRole`, made with this configuration's
//! own identity and kept until shortly before they expire
//! ([`REFRESH_BEFORE_EXPIRY`]); a role that cannot be assumed fails the task with
//! `States.TaskFailed`, the cause naming the role and STS's answer. What runs in
//! this process (Lambda functions in Rust, registered workflows) runs after the
//! role was assumed, as on AWS, though it has no use for the credentials.
//!
//! Credentials and EKS tokens never appear in results, errors, `Debug` output or
//! tracing: tokens live in [`Secret`], whose `Debug` prints `<redacted>`.

#[cfg(feature = "apigateway")]
mod apigateway;
#[cfg(feature = "dynamodb")]
mod dynamodb;
#[cfg(feature = "eks")]
mod eks;
#[cfg(feature = "events")]
mod events;
#[cfg(feature = "http")]
mod http;
#[cfg(feature = "eks")]
mod kubernetes;
#[cfg(feature = "lambda")]
mod lambda;
#[cfg(feature = "s3")]
mod map_run_s3;
mod params;
mod roles;
#[cfg(feature = "s3")]
mod s3;
#[cfg(feature = "aws-sdk")]
mod sdk;
#[cfg(feature = "sfn")]
mod sfn;
#[cfg(any(feature = "aws-sdk", feature = "apigateway"))]
mod signed;
#[cfg(feature = "sns")]
mod sns;
#[cfg(feature = "sqs")]
mod sqs;
#[cfg(any(feature = "http", feature = "aws-sdk", feature = "apigateway"))]
mod tls;
#[cfg(feature = "eks")]
pub mod token;
mod wire;

#[cfg(feature = "http")]
pub use http::HttpAuth;
#[cfg(feature = "lambda")]
pub use lambda::{FunctionError, LambdaFunction, lambda_fn};
pub use roles::REFRESH_BEFORE_EXPIRY;
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use serde_json::Value;

use asl_lang::integrations::{self as catalogue, Api, Integration};

use crate::error::Error;
use crate::task::{BoxFuture, TaskContext, TaskHandler};

/// Every resource ARN these integrations serve: each API of the shared catalogue
/// ([`asl_lang::integrations`]) whose feature is on, with each pattern it has, in
/// every partition. The compiler reads the same catalogue to decide which
/// `Resource` is built in. (Lambda function ARNs, which are not a fixed list,
/// are served through [`crate::task::ANY_LAMBDA_FUNCTION`].)
pub fn known_resources() -> impl Iterator<Item = String> {
    enabled_resources().map(catalogue::Integration::arn)
}

fn enabled_resources() -> impl Iterator<Item = Integration> {
    catalogue::resources().filter(|i| crate::features::enabled(i.api.spec().feature))
}

/// Is `resource` one of [`known_resources`]?
pub fn is_known_resource(resource: &str) -> bool {
    catalogue::integration(resource).is_some_and(|i| crate::features::enabled(i.api.spec().feature))
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
    #[cfg(feature = "eks")]
    pub(crate) fn apply_to(&self, config: &mut kube::Config) {
        config.connect_timeout = Some(self.connect);
        config.read_timeout = Some(self.read);
        config.write_timeout = Some(self.read);
    }
}

#[cfg(feature = "eks")]
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

#[cfg(feature = "eks")]
#[derive(Clone)]
enum OverrideTarget {
    Direct {
        endpoint: String,
        ca_der: Vec<Vec<u8>>,
        token: Option<Secret>,
    },
    Kubeconfig(Box<kube::Config>),
}

#[cfg(feature = "eks")]
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

#[cfg(feature = "eks")]
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

/// Builds [`Integrations`]: endpoints, waiting schedule, timeouts, resource
/// mappings, and what each family needs besides (EKS cluster overrides, Rust
/// Lambda functions, HTTPS connections).
pub struct IntegrationsBuilder {
    sdk: aws_config::SdkConfig,
    endpoint: Option<String>,
    endpoints: HashMap<String, String>,
    wait: WaitSchedule,
    timeouts: Timeouts,
    mappings: Mappings,
    #[cfg(feature = "eks")]
    clusters: HashMap<String, ClusterOverride>,
    #[cfg(feature = "lambda")]
    functions: HashMap<String, Arc<dyn LambdaFunction>>,
    #[cfg(feature = "http")]
    http: http::HttpSettings,
}

/// The services whose endpoint [`IntegrationsBuilder::service_endpoint`] sets.
pub const SERVICES: &[&str] = &[
    "eks",
    "sns",
    "sts",
    "lambda",
    "dynamodb",
    "s3",
    "sqs",
    "events",
    "sfn",
    "execute-api",
];

impl IntegrationsBuilder {
    /// How long to wait on AWS and the Kubernetes API; see [`Timeouts`].
    pub fn timeouts(mut self, timeouts: Timeouts) -> Self {
        self.timeouts = timeouts;
        self
    }

    /// Send every AWS call to this URL (a moto or LocalStack server), unless
    /// [`Self::service_endpoint`] names another for the service.
    pub fn endpoint_url(mut self, url: impl Into<String>) -> Self {
        self.endpoint = Some(url.into());
        self
    }

    /// Send the calls of one service (one of [`SERVICES`]: `eks`, `sns`, `sts`,
    /// `lambda`, `dynamodb`, `s3`, `sqs`, `events`, `sfn`) to this URL;
    /// `execute-api` is every API `apigateway:invoke` calls (the request's
    /// stage, path and query appended to the URL).
    ///
    /// # Panics
    /// When `service` is not one of [`SERVICES`] (a typo in the program, not
    /// in its input).
    ///
    /// With the `aws-sdk` feature, any service an `aws-sdk:<service>:<action>`
    /// resource names is one too, by its name in the ARN (`ssm`, `ec2`,
    /// `cloudwatchlogs`).
    pub fn service_endpoint(mut self, service: &str, url: impl Into<String>) -> Self {
        let sdk_service = cfg!(feature = "aws-sdk")
            && !service.is_empty()
            && service
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
        if !SERVICES.contains(&service) && !sdk_service {
            panic!(
                "unknown service `{service}` for service_endpoint (one of {})",
                SERVICES.join(", ")
            );
        }
        self.endpoints.insert(service.to_string(), url.into());
        self
    }

    /// Send EKS control-plane calls to this URL (e.g. a moto server).
    pub fn eks_endpoint(self, url: impl Into<String>) -> Self {
        self.service_endpoint("eks", url)
    }

    /// Send SNS calls to this URL.
    pub fn sns_endpoint(self, url: impl Into<String>) -> Self {
        self.service_endpoint("sns", url)
    }

    /// The STS URL that EKS tokens are presigned for (default
    /// `https://sts.<region>.amazonaws.com/`), and where the roles of Task
    /// `Credentials` are assumed.
    pub fn sts_endpoint(self, url: impl Into<String>) -> Self {
        self.service_endpoint("sts", url)
    }

    /// How `.sync` tasks poll.
    pub fn wait_schedule(mut self, wait: WaitSchedule) -> Self {
        self.wait = wait;
        self
    }

    /// Wherever a task names the resource `from` in the request field `field`
    /// (`FunctionName`, `TableName`, `QueueUrl`, `TopicArn`, `TargetArn`,
    /// `Bucket`, `StateMachineArn`, `EventBusName`), use `to` instead: the same
    /// definition then runs against test resources. A Lambda function ARN used
    /// as a `Resource` is mapped as a `FunctionName`; a `TableName` mapping also
    /// applies to the tables a batch or transaction names.
    ///
    /// ```no_run
    /// # fn f(sdk: aws_config::SdkConfig) {
    /// use asl_runtime::integrations::Integrations;
    /// let integrations = Integrations::builder(&sdk)
    ///     .endpoint_url("http://127.0.0.1:5000")
    ///     .map_resource("TableName", "Orders", "orders-test")
    ///     .map_resource("FunctionName", "arn:aws:lambda:us-east-1:123456789012:function:charge", "charge-stub")
    ///     .build();
    /// # }
    /// ```
    pub fn map_resource(
        mut self,
        field: impl Into<String>,
        from: impl Into<String>,
        to: impl Into<String>,
    ) -> Self {
        self.mappings
            .0
            .entry(field.into())
            .or_default()
            .insert(from.into(), to.into());
        self
    }

    /// Send Kubernetes calls for `cluster_name` to another server; see [`ClusterOverride`].
    #[cfg(feature = "eks")]
    pub fn cluster_override(
        mut self,
        cluster_name: impl Into<String>,
        target: ClusterOverride,
    ) -> Self {
        self.clusters.insert(cluster_name.into(), target);
        self
    }

    /// Serve the Lambda function `name` (a name, `name:qualifier`, or a
    /// function ARN) with Rust code in this program instead of the Lambda API:
    /// the workflow and its functions compile into one binary. Both
    /// `lambda:invoke` and function ARNs reach it, with the same result shapes
    /// and errors as Lambda.
    ///
    /// ```
    /// # fn f(sdk: aws_config::SdkConfig) {
    /// use asl_runtime::integrations::{FunctionError, Integrations, lambda_fn};
    /// use serde_json::json;
    /// let integrations = Integrations::builder(&sdk)
    ///     .lambda_function("double", lambda_fn(|event| async move {
    ///         match event["n"].as_i64() {
    ///             Some(n) => Ok(json!({"n": n * 2})),
    ///             None => Err(FunctionError::new("InvalidInput", "n must be a number")),
    ///         }
    ///     }))
    ///     .build();
    /// # }
    /// ```
    #[cfg(feature = "lambda")]
    pub fn lambda_function(mut self, name: impl AsRef<str>, function: impl LambdaFunction) -> Self {
        self.functions
            .insert(lambda::function_key(name.as_ref()), Arc::new(function));
        self
    }

    /// The credentials of the EventBridge connection `connection_arn`, which
    /// `http:invoke` tasks name in `Authentication.ConnectionArn`.
    #[cfg(feature = "http")]
    pub fn http_connection(mut self, connection_arn: impl Into<String>, auth: HttpAuth) -> Self {
        self.http.connections.insert(connection_arn.into(), auth);
        self
    }

    /// Trust this CA (PEM) for `http:invoke` besides the platform's roots (a
    /// test server, a private API).
    #[cfg(feature = "http")]
    pub fn http_root_certificate(mut self, pem: &[u8]) -> Result<Self, Error> {
        self.http.add_root(pem)?;
        Ok(self)
    }

    fn endpoint_of(&self, service: &str) -> Option<&String> {
        self.endpoints.get(service).or(self.endpoint.as_ref())
    }

    pub fn build(self) -> Integrations {
        // kube and the AWS SDK both use rustls; with more than one crypto provider
        // linked in, rustls cannot pick one by itself. Installing fails harmlessly
        // when a provider is already installed.
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        let timeouts = self.timeouts.aws();
        let endpoint_of = |service: &str| self.endpoint_of(service).cloned();
        // One client per family, each with the shared timeouts and its endpoint.
        macro_rules! client {
            ($sdk:ident, $service:literal) => {{
                let mut config =
                    $sdk::config::Builder::from(&self.sdk).timeout_config(timeouts.clone());
                if let Some(url) = endpoint_of($service) {
                    config = config.endpoint_url(url);
                }
                config
            }};
        }
        #[cfg(feature = "eks")]
        let eks = aws_sdk_eks::Client::from_conf(client!(aws_sdk_eks, "eks").build());
        #[cfg(feature = "eks")]
        let tokens = token::TokenSource::new(&self.sdk, self.endpoints.get("sts").cloned());
        #[cfg(feature = "sns")]
        let sns = aws_sdk_sns::Client::from_conf(client!(aws_sdk_sns, "sns").build());
        #[cfg(feature = "lambda")]
        let lambda = aws_sdk_lambda::Client::from_conf(client!(aws_sdk_lambda, "lambda").build());
        #[cfg(feature = "dynamodb")]
        let dynamodb =
            aws_sdk_dynamodb::Client::from_conf(client!(aws_sdk_dynamodb, "dynamodb").build());
        // A local endpoint (moto, LocalStack) serves buckets by path, not by
        // virtual host.
        #[cfg(feature = "s3")]
        let s3 = aws_sdk_s3::Client::from_conf(
            client!(aws_sdk_s3, "s3")
                .force_path_style(endpoint_of("s3").is_some())
                .build(),
        );
        #[cfg(feature = "sqs")]
        let sqs = aws_sdk_sqs::Client::from_conf(client!(aws_sdk_sqs, "sqs").build());
        #[cfg(feature = "events")]
        let events =
            aws_sdk_eventbridge::Client::from_conf(client!(aws_sdk_eventbridge, "events").build());
        #[cfg(feature = "sfn")]
        let sfn = aws_sdk_sfn::Client::from_conf(client!(aws_sdk_sfn, "sfn").build());
        // Where the roles of Task `Credentials` are assumed.
        let sts = aws_sdk_sts::Client::from_conf(client!(aws_sdk_sts, "sts").build());
        Integrations {
            inner: Arc::new(Inner {
                #[cfg(feature = "eks")]
                eks,
                #[cfg(feature = "eks")]
                tokens,
                #[cfg(feature = "eks")]
                clusters: self.clusters,
                #[cfg(feature = "sns")]
                sns,
                #[cfg(feature = "lambda")]
                lambda,
                #[cfg(feature = "lambda")]
                functions: self.functions,
                #[cfg(feature = "dynamodb")]
                dynamodb,
                #[cfg(feature = "s3")]
                s3,
                #[cfg(feature = "sqs")]
                sqs,
                #[cfg(feature = "events")]
                events,
                #[cfg(feature = "sfn")]
                sfn,
                #[cfg(feature = "http")]
                http: http::HttpClient::new(self.http, &self.timeouts),
                #[cfg(any(feature = "aws-sdk", feature = "apigateway"))]
                signed: signed::Caller::new(
                    &self.sdk,
                    self.endpoint.clone(),
                    self.endpoints.clone(),
                    &self.timeouts,
                ),
                wait: self.wait,
                timeouts: self.timeouts,
                mappings: self.mappings,
                credentials: None,
                roles: roles::Roles::new(sts),
            }),
        }
    }
}
/// Resource names mapped per runtime ([`IntegrationsBuilder::map_resource`]):
/// field → (from → to).
#[derive(Clone, Debug, Default)]
pub(crate) struct Mappings(HashMap<String, HashMap<String, String>>);

impl Mappings {
    /// `value` mapped as a `field`, if it is mapped.
    pub(crate) fn get(&self, field: &str, value: &str) -> Option<&str> {
        self.0.get(field)?.get(value).map(String::as_str)
    }

    /// The request with every mapped resource replaced.
    fn apply(&self, parameters: Value) -> Value {
        if self.0.is_empty() {
            return parameters;
        }
        let Value::Object(mut fields) = parameters else {
            return parameters;
        };
        for (name, value) in fields.iter_mut() {
            match (name.as_str(), value) {
                ("RequestItems", Value::Object(tables)) => {
                    let renamed = std::mem::take(tables)
                        .into_iter()
                        .map(|(t, v)| (self.get("TableName", &t).map_or(t, str::to_owned), v))
                        .collect();
                    *tables = renamed;
                }
                // An event entry's `EventBusName`; a transaction's
                // `{"Put": {"TableName": ...}}`, one level further down.
                ("TransactItems" | "Entries", Value::Array(items)) => {
                    for (name, value) in items.iter_mut().filter_map(Value::as_object_mut).flatten()
                    {
                        self.map_field(name, value);
                        for (name, value) in value.as_object_mut().into_iter().flatten() {
                            self.map_field(name, value);
                        }
                    }
                }
                (name, value) => self.map_field(name, value),
            }
        }
        Value::Object(fields)
    }

    /// Replaces `value` when it is a string mapped as a `name`.
    fn map_field(&self, name: &str, value: &mut Value) {
        if let Value::String(s) = value
            && let Some(to) = self.get(name, s)
        {
            *s = to.to_owned();
        }
    }
}

/// The integrations, ready to hand their handlers to the execution engine.
#[derive(Clone)]
pub struct Integrations {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    #[cfg(feature = "eks")]
    pub(crate) eks: aws_sdk_eks::Client,
    #[cfg(feature = "eks")]
    pub(crate) tokens: token::TokenSource,
    #[cfg(feature = "eks")]
    pub(crate) clusters: HashMap<String, ClusterOverride>,
    #[cfg(feature = "sns")]
    pub(crate) sns: aws_sdk_sns::Client,
    #[cfg(feature = "lambda")]
    pub(crate) lambda: aws_sdk_lambda::Client,
    #[cfg(feature = "lambda")]
    pub(crate) functions: HashMap<String, Arc<dyn LambdaFunction>>,
    #[cfg(feature = "dynamodb")]
    pub(crate) dynamodb: aws_sdk_dynamodb::Client,
    #[cfg(feature = "s3")]
    pub(crate) s3: aws_sdk_s3::Client,
    #[cfg(feature = "sqs")]
    pub(crate) sqs: aws_sdk_sqs::Client,
    #[cfg(feature = "events")]
    pub(crate) events: aws_sdk_eventbridge::Client,
    #[cfg(feature = "sfn")]
    pub(crate) sfn: aws_sdk_sfn::Client,
    #[cfg(feature = "http")]
    pub(crate) http: http::HttpClient,
    /// The generic SDK caller's and API Gateway's signed calls.
    #[cfg(any(feature = "aws-sdk", feature = "apigateway"))]
    pub(crate) signed: signed::Caller,
    pub(crate) wait: WaitSchedule,
    pub(crate) timeouts: Timeouts,
    pub(crate) mappings: Mappings,
    /// The assumed role's credentials, for the clients of a Task's
    /// `Credentials`; `None` for the program's own identity.
    pub(crate) credentials: Option<aws_credential_types::provider::SharedCredentialsProvider>,
    /// The roles tasks have assumed, with their clients ([`roles`]).
    pub(crate) roles: roles::Roles,
}

impl fmt::Debug for Integrations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Integrations");
        d.field("wait", &self.inner.wait);
        #[cfg(feature = "eks")]
        d.field("clusters", &self.inner.clusters);
        #[cfg(feature = "lambda")]
        d.field(
            "functions",
            &self.inner.functions.keys().collect::<Vec<_>>(),
        );
        d.finish_non_exhaustive()
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
            endpoint: None,
            endpoints: HashMap::new(),
            wait: WaitSchedule::default(),
            timeouts: Timeouts::default(),
            mappings: Mappings::default(),
            #[cfg(feature = "eks")]
            clusters: HashMap::new(),
            #[cfg(feature = "lambda")]
            functions: HashMap::new(),
            #[cfg(feature = "http")]
            http: http::HttpSettings::default(),
        }
    }

    /// One handler per entry of [`known_resources`], and (feature `lambda`) the
    /// one for every Lambda function ARN, under [`crate::task::ANY_LAMBDA_FUNCTION`].
    pub fn handlers(&self) -> Vec<(String, Arc<dyn TaskHandler>)> {
        #[allow(unused_mut)]
        let mut handlers: Vec<(String, Arc<dyn TaskHandler>)> = enabled_resources()
            .map(|integration| {
                let handler: Arc<dyn TaskHandler> = Arc::new(Handler {
                    inner: self.inner.clone(),
                    integration,
                });
                (integration.arn(), handler)
            })
            .collect();
        #[cfg(feature = "aws-sdk")]
        {
            let sdk: Arc<dyn TaskHandler> = Arc::new(sdk::SdkHandler {
                inner: self.inner.clone(),
            });
            handlers.push((crate::task::ANY_AWS_SDK.to_string(), sdk.clone()));
            // Optimized integrations on the same caller (Athena, Glue, Bedrock, ...).
            handlers.extend(asl_lang::sdk::optimized::resources().map(|r| (r, sdk.clone())));
        }
        #[cfg(feature = "lambda")]
        handlers.push((
            crate::task::ANY_LAMBDA_FUNCTION.to_string(),
            Arc::new(lambda::FunctionHandler {
                inner: self.inner.clone(),
            }),
        ));
        handlers
    }

    /// S3 for distributed Maps' `ItemReader` and `ResultWriter`
    /// ([`crate::RuntimeBuilder::object_storage`]), over this configuration's
    /// S3 client; `None` without the `s3` feature.
    pub fn object_storage(&self) -> Option<Arc<dyn crate::exec::ObjectStorage>> {
        #[cfg(feature = "s3")]
        return Some(Arc::new(map_run_s3::S3Storage {
            inner: self.inner.clone(),
        }));
        #[cfg(not(feature = "s3"))]
        None
    }

    /// What deletes the resources these integrations create (EKS clusters, node
    /// groups and Fargate profiles, Kubernetes Jobs), for cleanup after an
    /// execution fails, times out or is stopped
    /// ([`crate::RuntimeBuilder::cleaners`]).
    pub fn cleaners(&self) -> Vec<(String, Arc<dyn crate::exec::Cleaner>)> {
        #[cfg(feature = "eks")]
        {
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
        #[cfg(not(feature = "eks"))]
        Vec::new()
    }

    /// The handler for one resource ARN, if it is one of [`known_resources`]
    /// (or, feature `lambda`, a Lambda function ARN).
    pub fn handler(&self, resource: &str) -> Option<Arc<dyn TaskHandler>> {
        #[cfg(feature = "lambda")]
        if catalogue::is_lambda_function(resource) {
            return Some(Arc::new(lambda::FunctionHandler {
                inner: self.inner.clone(),
            }));
        }
        #[cfg(feature = "aws-sdk")]
        if catalogue::integration(resource).is_none()
            && (asl_lang::sdk::sdk_resource(resource).is_some()
                || asl_lang::sdk::optimized::optimized(resource).is_some())
        {
            return Some(Arc::new(sdk::SdkHandler {
                inner: self.inner.clone(),
            }));
        }
        let integration = catalogue::integration(resource)?;
        if !crate::features::enabled(integration.api.spec().feature) {
            return None;
        }
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
            let resource = task.resource;
            let spec = self.integration.api.spec();
            let parameters = check_request(resource, spec, parameters)?;
            let parameters = self.inner.mappings.apply(parameters);
            // The clients of the role the task's Credentials name, if any.
            let inner = self.inner.for_task(task).await?;
            #[allow(unused_variables)]
            let (inner, pattern) = (&inner, self.integration.pattern);
            match self.integration.api {
                #[cfg(feature = "eks")]
                Api::EksRunJob => {
                    kubernetes::run_job(inner, task, resource, pattern.waits(), parameters).await
                }
                #[cfg(feature = "eks")]
                Api::EksCall => kubernetes::call(inner, resource, parameters).await,
                #[cfg(feature = "eks")]
                api @ (Api::EksCreateCluster
                | Api::EksDeleteCluster
                | Api::EksCreateNodegroup
                | Api::EksDeleteNodegroup
                | Api::EksCreateFargateProfile
                | Api::EksDeleteFargateProfile) => {
                    eks::run(inner, task, resource, api, pattern.waits(), parameters).await
                }
                #[cfg(feature = "sns")]
                Api::SnsPublish => sns::publish(inner, resource, parameters).await,
                #[cfg(feature = "lambda")]
                Api::LambdaInvoke => lambda::invoke(inner, resource, parameters).await,
                #[cfg(feature = "dynamodb")]
                api if spec.feature == "dynamodb" => {
                    dynamodb::call(inner, resource, api, parameters).await
                }
                #[cfg(feature = "s3")]
                api if spec.feature == "s3" => s3::call(inner, resource, api, parameters).await,
                #[cfg(feature = "sqs")]
                Api::SqsSendMessage => sqs::send_message(inner, resource, parameters).await,
                #[cfg(feature = "events")]
                Api::EventsPutEvents => events::put_events(inner, resource, parameters).await,
                #[cfg(feature = "sfn")]
                Api::StatesStartExecution => {
                    sfn::start_execution(inner, task, resource, pattern, parameters).await
                }
                #[cfg(feature = "http")]
                Api::HttpInvoke => http::invoke(inner, resource, parameters).await,
                #[cfg(feature = "apigateway")]
                Api::ApiGatewayInvoke => apigateway::invoke(inner, resource, parameters).await,
                #[allow(unreachable_patterns)]
                _ => Err(Error::runtime(format!(
                    "{resource} needs asl's `{}` feature, which this program was built without",
                    spec.feature
                ))),
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
        for (name, value) in fields {
            if let (Some(field), Value::String(v)) = (spec.field(name), value)
                && let catalogue::Shape::Value(catalogue::Type::Enum(values)) = field.shape
                && !values.contains(&v.as_str())
            {
                return Err(Error::runtime(format!(
                    "The field '{name}' of {resource} must be one of {}, got '{v}'",
                    values.join(", ")
                )));
            }
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

#[cfg(all(test, feature = "integrations"))]
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
        // Every catalogue resource, and every Lambda function ARN under one key.
        // ... and every SDK action the program has a table for, under one key,
        // and (on the same caller) every optimized integration AWS lists.
        let optimized = if cfg!(feature = "aws-sdk") {
            asl_lang::sdk::optimized::resources().count()
        } else {
            0
        };
        assert_eq!(known_resources().count() + optimized + 2, served.len());
        if cfg!(feature = "aws-sdk") {
            for arn in [
                "arn:aws:states:::glue:startJobRun.sync",
                "arn:aws-cn:states:::athena:startQueryExecution",
            ] {
                assert!(served.iter().any(|r| r == arn), "{arn}");
            }
        }
        assert!(served.iter().any(|r| r == crate::task::ANY_LAMBDA_FUNCTION));
        assert!(
            integrations
                .handler("arn:aws:lambda:eu-west-1:123456789012:function:f:prod")
                .is_some()
        );
    }

    /// Credentials are never ignored: a task whose role cannot be assumed
    /// fails before any call is made (here STS cannot be reached), and one
    /// whose Credentials name no role is a `States.Runtime` error.
    #[tokio::test]
    async fn a_task_whose_role_cannot_be_assumed_fails() {
        let sdk = aws_config::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(
                aws_credential_types::provider::SharedCredentialsProvider::new(
                    aws_credential_types::Credentials::new("AKID", "SECRET", None, None, "test"),
                ),
            )
            .build();
        // Nothing listens on port 1: STS cannot be reached, and no other
        // service either, so a call made without the role would fail differently.
        let integrations = Integrations::builder(&sdk)
            .endpoint_url("http://127.0.0.1:1")
            .timeouts(Timeouts::all(Duration::from_secs(2)))
            .build();
        let resource = "arn:aws:states:::sns:publish";
        let handler = integrations.handler(resource).unwrap();
        let role = serde_json::json!({"RoleArn": "arn:aws:iam::123456789012:role/Other"});
        let mut task = TaskContext::new(resource, "S");
        task.credentials = Some(&role);
        let err = handler
            .invoke(&task, serde_json::json!({"TopicArn": "t", "Message": "m"}))
            .await
            .unwrap_err();
        assert_eq!(err.name(), "States.TaskFailed");
        let cause = err.cause().unwrap();
        assert!(
            cause.starts_with(
                "Cannot assume the role 'arn:aws:iam::123456789012:role/Other' for the task: STS could not be asked"
            ),
            "{cause}"
        );
        assert!(!cause.contains("SECRET"), "{cause}");

        let no_role = serde_json::json!({"roleArn": "arn:aws:iam::123456789012:role/Other"});
        task.credentials = Some(&no_role);
        let err = handler
            .invoke(&task, serde_json::json!({"TopicArn": "t", "Message": "m"}))
            .await
            .unwrap_err();
        assert_eq!(err.name(), "States.Runtime");
        assert!(err.cause().unwrap().contains("RoleArn"), "{err}");
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
