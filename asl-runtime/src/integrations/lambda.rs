//! AWS Lambda: `arn:aws:states:::lambda:invoke` and plain function ARNs
//! (`arn:aws:lambda:…:function:NAME[:QUALIFIER]`).
//!
//! A function registered with [`super::IntegrationsBuilder::lambda_function`]
//! runs here, in this process; any other goes to the Lambda Invoke API
//! (aws-sdk-lambda). Both give the same shapes:
//!
//! - `lambda:invoke` returns `{"ExecutedVersion", "Payload", "StatusCode"}`
//!   (`LogResult` with `LogType: Tail`); `Payload` is the function's JSON answer,
//!   `""` for `InvocationType` `Event` (status 202) and `DryRun` (204);
//! - a function ARN returns the payload itself, and sends the state's effective
//!   input (its `Parameters`, or the whole input) as the event;
//! - a function that fails (Lambda's `FunctionError`) fails the task with its
//!   `errorType` as the error name (`Lambda.Unknown` when it has none) and the
//!   error payload's JSON text as the cause, as Step Functions reports it;
//! - a Lambda service error is `Lambda.<Exception>` (`Lambda.ResourceNotFoundException`,
//!   `Lambda.TooManyRequestsException`).

use std::future::Future;
use std::sync::Arc;

use serde_json::{Map, Value, json};

use super::Inner;
use super::params::Params;
use super::wire::service_error;
use crate::error::Error;
use crate::task::{BoxFuture, TaskContext, TaskHandler};

/// A function's own error: Lambda's `{"errorType", "errorMessage"}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FunctionError {
    pub error_type: String,
    pub error_message: String,
}

impl FunctionError {
    pub fn new(error_type: impl Into<String>, error_message: impl Into<String>) -> Self {
        FunctionError {
            error_type: error_type.into(),
            error_message: error_message.into(),
        }
    }

    /// The payload Lambda answers with for this error.
    fn payload(&self) -> Value {
        json!({
            "errorMessage": self.error_message,
            "errorType": self.error_type,
            "stackTrace": [],
        })
    }
}

/// A Lambda function written in Rust and served in this process
/// ([`super::IntegrationsBuilder::lambda_function`]).
pub trait LambdaFunction: Send + Sync + 'static {
    /// Runs the function on `event`: its JSON answer, or its error.
    fn call(&self, event: Value) -> BoxFuture<'_, Result<Value, FunctionError>>;
}

/// A [`LambdaFunction`] from an async closure.
pub fn lambda_fn<F, Fut>(f: F) -> impl LambdaFunction
where
    F: Fn(Value) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Value, FunctionError>> + Send + 'static,
{
    struct Closure<F>(F);
    impl<F, Fut> LambdaFunction for Closure<F>
    where
        F: Fn(Value) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Value, FunctionError>> + Send + 'static,
    {
        fn call(&self, event: Value) -> BoxFuture<'_, Result<Value, FunctionError>> {
            Box::pin((self.0)(event))
        }
    }
    Closure(f)
}

/// `NAME` or `NAME:QUALIFIER` of a function name, partial ARN
/// (`123456789012:function:NAME`) or ARN.
pub(crate) fn function_key(name: &str) -> String {
    let rest = match name.find("function:") {
        Some(i) => &name[i + "function:".len()..],
        None => name,
    };
    rest.to_string()
}

/// One invocation's answer, before it is shaped for the resource.
struct Invoked {
    status: u16,
    executed_version: String,
    payload: Value,
    log_result: Option<String>,
}

/// The request of one invocation.
struct Invocation {
    function: String,
    qualifier: Option<String>,
    invocation_type: String,
    payload: Option<Value>,
    client_context: Option<String>,
    log_type: Option<String>,
}

async fn call(inner: &Inner, resource: &str, inv: Invocation) -> Result<Invoked, Error> {
    let key = function_key(&inv.function);
    let (name, arn_qualifier) = match key.split_once(':') {
        Some((n, q)) => (n.to_string(), Some(q.to_string())),
        None => (key.clone(), None),
    };
    let qualifier = inv.qualifier.clone().or(arn_qualifier);
    let local = qualifier
        .as_ref()
        .and_then(|q| inner.functions.get(&format!("{name}:{q}")))
        .or_else(|| inner.functions.get(&name))
        .cloned();
    if let Some(function) = local {
        return call_local(function, qualifier, inv).await;
    }
    let mut request = inner
        .lambda
        .invoke()
        .function_name(&inv.function)
        .set_qualifier(inv.qualifier)
        .invocation_type(aws_sdk_lambda::types::InvocationType::from(
            inv.invocation_type.as_str(),
        ))
        .set_client_context(inv.client_context)
        .set_log_type(
            inv.log_type
                .as_deref()
                .map(aws_sdk_lambda::types::LogType::from),
        );
    if let Some(payload) = &inv.payload {
        request = request.payload(aws_sdk_lambda::primitives::Blob::new(
            payload.to_string().into_bytes(),
        ));
    }
    let out = request
        .send()
        .await
        .map_err(|e| service_error("Lambda", e))?;
    let bytes = out.payload().map(|b| b.as_ref()).unwrap_or_default();
    if out.function_error().is_some() {
        return Err(function_failed(bytes));
    }
    // Event and DryRun invocations answer with no payload (202, 204).
    let payload = if bytes.is_empty() || inv.invocation_type != "RequestResponse" {
        Value::String(String::new())
    } else {
        serde_json::from_slice(bytes).map_err(|e| {
            Error::new(
                "Lambda.Unknown",
                format!("{resource}: the function answered with a payload that is not JSON: {e}"),
            )
        })?
    };
    Ok(Invoked {
        status: u16::try_from(out.status_code()).unwrap_or(200),
        executed_version: out.executed_version().unwrap_or("$LATEST").to_string(),
        payload,
        log_result: out.log_result().map(str::to_string),
    })
}

/// A function of this program: Event invocations run detached, DryRun ones
/// not at all, as Lambda does.
async fn call_local(
    function: Arc<dyn LambdaFunction>,
    qualifier: Option<String>,
    inv: Invocation,
) -> Result<Invoked, Error> {
    let executed_version = match qualifier {
        Some(q) if q.chars().all(|c| c.is_ascii_digit()) => q,
        _ => "$LATEST".to_string(),
    };
    let event = inv.payload.unwrap_or_else(|| json!({}));
    let (status, payload) = match inv.invocation_type.as_str() {
        "Event" => {
            tokio::spawn(async move {
                if let Err(e) = function.call(event).await {
                    tracing::warn!(error_type = %e.error_type, "asynchronous Lambda function failed: {}", e.error_message);
                }
            });
            (202, Value::String(String::new()))
        }
        "DryRun" => (204, Value::String(String::new())),
        _ => match function.call(event).await {
            Ok(payload) => (200, payload),
            Err(e) => {
                return Err(function_failed(e.payload().to_string().as_bytes()));
            }
        },
    };
    Ok(Invoked {
        status,
        executed_version,
        payload,
        log_result: None,
    })
}

/// A function's error as Step Functions reports it: the name is the payload's
/// `errorType`, the cause the payload's JSON text.
fn function_failed(payload: &[u8]) -> Error {
    let text = String::from_utf8_lossy(payload).into_owned();
    let name = serde_json::from_slice::<Value>(payload)
        .ok()
        .and_then(|v| {
            v.get("errorType")
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .unwrap_or_else(|| "Lambda.Unknown".to_string());
    Error::new(name, text)
}

/// `arn:aws:states:::lambda:invoke`.
pub(crate) async fn invoke(
    inner: &Inner,
    resource: &str,
    parameters: Value,
) -> Result<Value, Error> {
    let mut p = Params::new(resource, parameters)?;
    let function = p.required_str("FunctionName")?;
    let inv = Invocation {
        function,
        qualifier: p.opt_str("Qualifier")?,
        invocation_type: p
            .opt_str("InvocationType")?
            .unwrap_or_else(|| "RequestResponse".into()),
        payload: p.take("Payload"),
        client_context: p.opt_str("ClientContext")?,
        log_type: p.opt_str("LogType")?,
    };
    p.finish()?;
    let out = call(inner, resource, inv).await?;
    let mut result = Map::new();
    result.insert(
        "ExecutedVersion".into(),
        Value::String(out.executed_version),
    );
    if let Some(log) = out.log_result {
        result.insert("LogResult".into(), Value::String(log));
    }
    result.insert("Payload".into(), out.payload);
    result.insert("StatusCode".into(), Value::from(out.status));
    Ok(Value::Object(result))
}

/// Serves every Lambda function ARN used as a `Resource`.
pub(crate) struct FunctionHandler {
    pub(crate) inner: Arc<Inner>,
}

impl TaskHandler for FunctionHandler {
    fn invoke<'a>(
        &'a self,
        task: &'a TaskContext<'a>,
        parameters: Value,
    ) -> BoxFuture<'a, Result<Value, Error>> {
        Box::pin(async move {
            let resource = task.resource;
            let inner = self.inner.for_task(task).await?;
            let function = self
                .inner
                .mappings
                .get("FunctionName", resource)
                .unwrap_or(resource)
                .to_string();
            let inv = Invocation {
                function,
                qualifier: None,
                invocation_type: "RequestResponse".into(),
                payload: Some(parameters),
                client_context: None,
                log_type: None,
            };
            Ok(call(&inner, resource, inv).await?.payload)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn function_keys() {
        assert_eq!(function_key("f"), "f");
        assert_eq!(function_key("f:prod"), "f:prod");
        assert_eq!(function_key("123456789012:function:f"), "f");
        assert_eq!(
            function_key("arn:aws:lambda:us-east-1:123456789012:function:f:7"),
            "f:7"
        );
    }

    #[test]
    fn function_errors_are_named_by_their_type() {
        let e = function_failed(br#"{"errorType":"OrderRejected","errorMessage":"no stock"}"#);
        assert_eq!(e.name(), "OrderRejected");
        assert!(e.cause().unwrap().contains("no stock"));
        assert_eq!(function_failed(b"boom").name(), "Lambda.Unknown");
    }
}
