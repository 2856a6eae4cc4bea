//! Amazon SQS: `sqs:sendMessage`. SQS speaks JSON in PascalCase, as Step
//! Functions does, so the request is the checked `Parameters` with a
//! non-string `MessageBody` turned into its JSON text (as Step Functions
//! sends it), through aws-sdk-sqs; the result is SQS's answer
//! (`MD5OfMessageBody`, `MessageId`, `SequenceNumber` for FIFO queues).
//! Errors are `SQS.<Exception>` (`SQS.QueueDoesNotExistException`).

use serde_json::Value;

use super::Inner;
use super::params::Params;
use super::wire::{WireJson, send_wire, service_error, take_answer, text_of};
use crate::error::Error;

pub(crate) async fn send_message(
    inner: &Inner,
    resource: &str,
    parameters: Value,
) -> Result<Value, Error> {
    let mut p = Params::new(resource, parameters)?;
    let queue = p.required_str("QueueUrl")?;
    let body = text_of(p.required("MessageBody")?);
    let mut request = p.into_rest();
    request.insert("QueueUrl".into(), Value::String(queue.clone()));
    request.insert("MessageBody".into(), Value::String(body));
    let (icpt, answer) = WireJson::sending(Some(Value::Object(request).to_string()));
    send_wire!(inner.sqs.send_message().queue_url(queue), icpt, |e| {
        service_error("SQS", e)
    })?;
    take_answer("SQS", &answer)
}
