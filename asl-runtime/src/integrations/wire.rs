//! What every AWS integration shares: the SDK call with our own JSON body (the
//! task's parameters, which for JSON-protocol services such as DynamoDB, SQS and
//! EventBridge *are* the wire request), the service's raw JSON answer (every
//! field it returns, exactly as it returns it), and service errors as AWS's
//! error names.
//!
//! One interceptor serves every SDK crate: they share the smithy runtime's
//! `Intercept` trait.

use std::sync::{Arc, Mutex};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    AfterDeserializationInterceptorContextRef, BeforeTransmitInterceptorContextMut,
};
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use serde_json::Value;

use crate::error::{Error, names};

/// Replaces the SDK's request body with ours (when there is one) and keeps the
/// raw answer body.
#[derive(Debug, Default)]
pub(crate) struct WireJson {
    body: Option<String>,
    answer: Arc<Mutex<Option<Vec<u8>>>>,
}

impl Intercept for WireJson {
    fn name(&self) -> &'static str {
        "asl-wire-json"
    }

    fn modify_before_signing(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(body) = &self.body {
            let request = context.request_mut();
            *request.body_mut() = body.clone().into();
            request
                .headers_mut()
                .insert("content-length", body.len().to_string());
        }
        Ok(())
    }

    fn read_after_deserialization(
        &self,
        context: &AfterDeserializationInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let response = context.response();
        if response.status().is_success()
            && let (Some(bytes), Ok(mut slot)) = (response.body().bytes(), self.answer.lock())
        {
            *slot = Some(bytes.to_vec());
        }
        Ok(())
    }
}

impl WireJson {
    /// The interceptor that sends `body`, and where the answer will be.
    pub(crate) fn sending(body: Option<String>) -> (Self, Arc<Mutex<Option<Vec<u8>>>>) {
        let answer = Arc::new(Mutex::new(None));
        (
            WireJson {
                body,
                answer: answer.clone(),
            },
            answer,
        )
    }
}

/// Sends one SDK operation (each builder is a type of its own) through
/// `interceptor`, its error mapped with `err`: `Ok(())`, the answer being in
/// the interceptor's slot.
macro_rules! send_wire {
    ($operation:expr, $interceptor:expr, $err:expr) => {
        $operation
            .customize()
            .interceptor($interceptor)
            .send()
            .await
            .map(|_| ())
            .map_err($err)
    };
}
pub(crate) use send_wire;

/// The answer kept by [`WireJson`], as JSON (`{}` for an empty body).
pub(crate) fn take_answer(service: &str, slot: &Mutex<Option<Vec<u8>>>) -> Result<Value, Error> {
    let bytes = slot
        .lock()
        .ok()
        .and_then(|mut s| s.take())
        .unwrap_or_default();
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Default::default()));
    }
    serde_json::from_slice(&bytes).map_err(|e| {
        Error::new(
            names::TASK_FAILED,
            format!("{service} answered with a body that is not JSON: {e}"),
        )
    })
}

/// A service error becomes `<prefix>.<ExceptionName>` with its message; anything
/// else (no connection, timeout) is `States.TaskFailed`.
pub(crate) fn sdk_error<E, R>(prefix: &str, err: SdkError<E, R>) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    match &err {
        SdkError::ServiceError(_) => {
            let code = err.code().unwrap_or("UnknownError").to_owned();
            let message = err.message().unwrap_or(&code).to_owned();
            Error::new(format!("{prefix}.{code}"), message)
        }
        SdkError::ConstructionFailure(_) => Error::runtime(format!(
            "{prefix} request could not be built: {}",
            DisplayErrorContext(&err)
        )),
        _ => Error::new(
            names::TASK_FAILED,
            format!("{prefix} request failed: {}", DisplayErrorContext(&err)),
        ),
    }
}

/// [`sdk_error`] with AWS's rule for service error names: the exception's
/// shape name without its namespace, with the `Exception` suffix added where
/// the service's own code lacks it (S3's `NoSuchKey` is
/// `S3.NoSuchKeyException`).
pub(crate) fn service_error<E, R>(prefix: &str, err: SdkError<E, R>) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    let service = matches!(err, SdkError::ServiceError(_));
    let mut error = sdk_error(prefix, err);
    if service {
        error.error = exception_name(prefix, &error.error).into();
    }
    error
}

fn exception_name(prefix: &str, name: &str) -> String {
    let code = name.strip_prefix(prefix).unwrap_or(name);
    let code = code.trim_start_matches('.');
    let code = code.rsplit(['#', '.']).next().unwrap_or(code);
    let code = code.split(':').next().unwrap_or(code);
    if code.ends_with("Exception") {
        format!("{prefix}.{code}")
    } else {
        format!("{prefix}.{code}Exception")
    }
}

/// The JSON text of a value the service takes as a string (SQS `MessageBody`,
/// EventBridge `Detail`, Step Functions `Input`): a string as it is, anything
/// else as its JSON text, as Step Functions sends it.
pub(crate) fn text_of(value: Value) -> String {
    match value {
        Value::String(s) => s,
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exception_names_follow_aws_rule() {
        assert_eq!(
            exception_name("S3", "S3.NoSuchKey"),
            "S3.NoSuchKeyException"
        );
        assert_eq!(
            exception_name("DynamoDB", "DynamoDB.ConditionalCheckFailedException"),
            "DynamoDB.ConditionalCheckFailedException"
        );
        assert_eq!(
            exception_name("SQS", "SQS.com.amazonaws.sqs#QueueDoesNotExist"),
            "SQS.QueueDoesNotExistException"
        );
        assert_eq!(
            exception_name("DynamoDB", "DynamoDB.RequestLimitExceeded"),
            "DynamoDB.RequestLimitExceededException"
        );
    }
}
