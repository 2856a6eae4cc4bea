//! Task `Credentials`: the role a task's calls run as.
//!
//! A Task with `"Credentials": {"RoleArn": ...}` makes its calls with the
//! credentials STS `AssumeRole` gives for that role, as Step Functions does to
//! reach other accounts. The role is assumed with the integrations' own identity
//! (the [`aws_config::SdkConfig`]'s credentials chain), through the `sts`
//! endpoint ([`super::IntegrationsBuilder::service_endpoint`]).
//!
//! Per role ARN, [`Roles`] keeps one set of clients built from the base ones with
//! the role's credentials provider, and that provider keeps the assumed
//! credentials until [`REFRESH_BEFORE_EXPIRY`] before they expire: a workflow
//! that runs many tasks as one role calls `AssumeRole` once an hour, not once
//! a task. A role that cannot be assumed fails the task with
//! `States.TaskFailed`, the cause naming the role and STS's answer.
//!
//! The credentials never leave the provider: errors name the role and STS's
//! error code and message only.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_credential_types::provider::{
    self as provider, ProvideCredentials, SharedCredentialsProvider, error::CredentialsError,
};
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use serde_json::Value;

use super::Inner;
use crate::error::{Error, names};
use crate::task::TaskContext;

/// Assumed credentials are renewed this long before they expire, so that a call
/// (or a `.sync` wait's next poll) never goes out with credentials about to lapse.
pub const REFRESH_BEFORE_EXPIRY: Duration = Duration::from_secs(5 * 60);

/// The role session name of every `AssumeRole` call (what CloudTrail shows).
const SESSION_NAME: &str = "asl-task";

/// At most this many roles keep their clients; past it one is dropped (and
/// assumed again when a task asks for it), so input naming ever new roles
/// cannot grow memory without bound.
const MAX_ROLES: usize = 256;

/// The roles tasks run as, with their clients.
pub(crate) struct Roles {
    /// `None` for the clients of an assumed role, which never assume another.
    sts: Option<aws_sdk_sts::Client>,
    assumed: tokio::sync::Mutex<HashMap<String, Arc<Inner>>>,
}

impl Roles {
    pub(crate) fn new(sts: aws_sdk_sts::Client) -> Self {
        Roles {
            sts: Some(sts),
            assumed: Default::default(),
        }
    }

    /// For the clients of one assumed role.
    fn none() -> Self {
        Roles {
            sts: None,
            assumed: Default::default(),
        }
    }
}

impl Inner {
    /// The clients `task` calls with: these, or those of the role its
    /// `Credentials` name, whose credentials are loaded (assumed, or still
    /// cached) before this returns.
    pub(crate) async fn for_task(
        self: &Arc<Self>,
        task: &TaskContext<'_>,
    ) -> Result<Arc<Inner>, Error> {
        let Some(credentials) = task.credentials else {
            return Ok(self.clone());
        };
        let role = role_arn(task, credentials)?;
        let Some(sts) = &self.roles.sts else {
            return Err(Error::runtime(format!(
                "The role '{role}' cannot be assumed from clients that already run as another role"
            )));
        };
        let inner = {
            let mut assumed = self.roles.assumed.lock().await;
            match assumed.get(role) {
                Some(inner) => inner.clone(),
                None => {
                    if assumed.len() >= MAX_ROLES
                        && let Some(any) = assumed.keys().next().cloned()
                    {
                        assumed.remove(&any);
                    }
                    let provider = SharedCredentialsProvider::new(AssumedRole {
                        sts: sts.clone(),
                        role: role.to_owned(),
                        cached: Default::default(),
                    });
                    let inner = Arc::new(self.assuming(provider));
                    assumed.insert(role.to_owned(), inner.clone());
                    inner
                }
            }
        };
        // Load them now, so a role that cannot be assumed fails the task with
        // STS's own answer rather than as a failure to sign the service call.
        if let Some(provider) = &inner.credentials {
            provider
                .provide_credentials()
                .await
                .map_err(|e| assume_error(role, &e))?;
        }
        Ok(inner)
    }

    /// The same integrations, every AWS client (and the EKS token source)
    /// calling with `credentials`.
    fn assuming(&self, credentials: SharedCredentialsProvider) -> Inner {
        // Each client keeps its endpoint, region, timeouts and path style.
        macro_rules! as_role {
            ($client:expr, $sdk:ident) => {{
                let mut config = $client.config().to_builder();
                config.set_credentials_provider(Some(credentials.clone()));
                $sdk::Client::from_conf(config.build())
            }};
        }
        Inner {
            #[cfg(feature = "eks")]
            eks: as_role!(self.eks, aws_sdk_eks),
            #[cfg(feature = "eks")]
            tokens: self.tokens.with_credentials(credentials.clone()),
            #[cfg(feature = "eks")]
            clusters: self.clusters.clone(),
            #[cfg(feature = "sns")]
            sns: as_role!(self.sns, aws_sdk_sns),
            #[cfg(feature = "lambda")]
            lambda: as_role!(self.lambda, aws_sdk_lambda),
            #[cfg(feature = "lambda")]
            functions: self.functions.clone(),
            #[cfg(feature = "dynamodb")]
            dynamodb: as_role!(self.dynamodb, aws_sdk_dynamodb),
            #[cfg(feature = "s3")]
            s3: as_role!(self.s3, aws_sdk_s3),
            #[cfg(feature = "sqs")]
            sqs: as_role!(self.sqs, aws_sdk_sqs),
            #[cfg(feature = "events")]
            events: as_role!(self.events, aws_sdk_eventbridge),
            #[cfg(feature = "sfn")]
            sfn: as_role!(self.sfn, aws_sdk_sfn),
            #[cfg(feature = "http")]
            http: self.http.clone(),
            #[cfg(any(feature = "aws-sdk", feature = "apigateway"))]
            signed: self.signed.with_credentials(credentials.clone()),
            wait: self.wait,
            timeouts: self.timeouts,
            mappings: self.mappings.clone(),
            credentials: Some(credentials),
            roles: Roles::none(),
        }
    }
}

/// The `RoleArn` of a task's evaluated `Credentials`.
fn role_arn<'v>(task: &TaskContext<'_>, credentials: &'v Value) -> Result<&'v str, Error> {
    match credentials.get("RoleArn") {
        Some(Value::String(role)) if !role.is_empty() => Ok(role),
        other => Err(Error::runtime(format!(
            "The Credentials of state '{}' must have a non-empty string RoleArn, got {}",
            task.state_name,
            match other {
                None => "none".to_owned(),
                Some(v) => v.to_string(),
            }
        ))),
    }
}

/// `States.TaskFailed`: the role and what STS answered (its error code and
/// message, or why it could not be reached).
fn assume_error(role: &str, error: &CredentialsError) -> Error {
    let why = match error {
        CredentialsError::ProviderError(_) | CredentialsError::Unhandled(_) => {
            match std::error::Error::source(error)
                .and_then(|s| s.downcast_ref::<AssumeRoleFailure>())
            {
                Some(failure) => failure.0.clone(),
                None => DisplayErrorContext(error).to_string(),
            }
        }
        other => DisplayErrorContext(other).to_string(),
    };
    Error::new(
        names::TASK_FAILED,
        format!("Cannot assume the role '{role}' for the task: {why}"),
    )
}

/// What STS answered to `AssumeRole`, in words (no credentials in it).
#[derive(Debug)]
struct AssumeRoleFailure(String);

impl std::fmt::Display for AssumeRoleFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for AssumeRoleFailure {}

/// One role's credentials: assumed through STS, kept until
/// [`REFRESH_BEFORE_EXPIRY`] before they expire. Concurrent tasks wait for
/// one `AssumeRole` instead of each making their own.
struct AssumedRole {
    sts: aws_sdk_sts::Client,
    role: String,
    cached: tokio::sync::Mutex<Option<Credentials>>,
}

impl std::fmt::Debug for AssumedRole {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AssumedRole")
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

impl AssumedRole {
    async fn credentials(&self) -> provider::Result {
        let mut cached = self.cached.lock().await;
        if let Some(c) = cached.as_ref()
            && fresh(c, SystemTime::now())
        {
            return Ok(c.clone());
        }
        let answer = self
            .sts
            .assume_role()
            .role_arn(&self.role)
            .role_session_name(SESSION_NAME)
            .send()
            .await
            .map_err(|e| CredentialsError::provider_error(AssumeRoleFailure(sts_answer(e))))?;
        let Some(c) = answer.credentials else {
            return Err(CredentialsError::provider_error(AssumeRoleFailure(
                "STS answered AssumeRole without credentials".into(),
            )));
        };
        let expiry = SystemTime::try_from(c.expiration).ok();
        let credentials = Credentials::new(
            c.access_key_id,
            c.secret_access_key,
            Some(c.session_token),
            expiry,
            "asl-assume-role",
        );
        *cached = Some(credentials.clone());
        Ok(credentials)
    }
}

impl ProvideCredentials for AssumedRole {
    fn provide_credentials<'a>(&'a self) -> provider::future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        provider::future::ProvideCredentials::new(self.credentials())
    }
}

/// Are `credentials` good for a while yet at `now`?
fn fresh(credentials: &Credentials, now: SystemTime) -> bool {
    credentials
        .expiry()
        .is_none_or(|expiry| now + REFRESH_BEFORE_EXPIRY < expiry)
}

/// STS's error code and message (`AccessDenied: User ... is not authorized to
/// perform: sts:AssumeRole ...`); the HTTP status and body of an error answer
/// whose code cannot be read (an emulator's dialect); or why STS could not be
/// reached. (An error answer carries no credentials.)
fn sts_answer(
    err: SdkError<
        aws_sdk_sts::operation::assume_role::AssumeRoleError,
        aws_smithy_runtime_api::http::Response,
    >,
) -> String {
    match &err {
        SdkError::ServiceError(service) => match (err.code(), err.message()) {
            (Some(code), Some(message)) => format!("STS answered {code}: {message}"),
            (Some(code), None) => format!("STS answered {code}"),
            (None, _) => {
                let raw = service.raw();
                let body = raw
                    .body()
                    .bytes()
                    .map(String::from_utf8_lossy)
                    .unwrap_or_default();
                let body: String = body.trim().chars().take(MAX_ANSWER_CHARS).collect();
                format!("STS answered HTTP {}: {body}", raw.status().as_u16())
            }
        },
        _ => format!("STS could not be asked: {}", DisplayErrorContext(&err)),
    }
}

/// How much of an unreadable error answer a cause quotes.
const MAX_ANSWER_CHARS: usize = 1000;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_renewed_before_they_expire() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let expiring =
            |after: Duration| Credentials::new("AKID", "SECRET", None, Some(now + after), "t");
        assert!(fresh(&expiring(Duration::from_secs(3600)), now));
        assert!(!fresh(&expiring(REFRESH_BEFORE_EXPIRY), now));
        assert!(!fresh(&expiring(Duration::from_secs(10)), now));
        assert!(fresh(
            &Credentials::new("AKID", "SECRET", None, None, "t"),
            now
        ));
    }

    #[test]
    fn a_refusal_names_the_role_and_sts_answer_and_no_secret() {
        let error = CredentialsError::provider_error(AssumeRoleFailure(
            "STS answered AccessDenied: not authorized".into(),
        ));
        let e = assume_error("arn:aws:iam::222222222222:role/Other", &error);
        assert_eq!(e.name(), names::TASK_FAILED);
        assert_eq!(
            e.cause().unwrap(),
            "Cannot assume the role 'arn:aws:iam::222222222222:role/Other' for the task: \
             STS answered AccessDenied: not authorized"
        );
    }

    #[test]
    fn the_role_is_read_from_the_evaluated_credentials() {
        let task = TaskContext::new("arn:aws:states:::sns:publish", "Notify");
        let good = serde_json::json!({"RoleArn": "arn:aws:iam::1:role/r"});
        assert_eq!(role_arn(&task, &good).unwrap(), "arn:aws:iam::1:role/r");
        for bad in [
            serde_json::json!({}),
            serde_json::json!({"RoleArn": 7}),
            serde_json::json!({"RoleArn": ""}),
        ] {
            let e = role_arn(&task, &bad).unwrap_err();
            assert_eq!(e.name(), names::RUNTIME, "{bad}");
            assert!(e.cause().unwrap().contains("'Notify'"), "{e}");
        }
    }
}
