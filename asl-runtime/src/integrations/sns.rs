//! `arn:aws:states:::sns:publish`: SNS Publish through aws-sdk-sns with every field
//! Step Functions accepts. A `Message` that is not a string (an object, a number, ...)
//! is sent as its JSON text, as Step Functions does. The result is
//! `{"MessageId": ..., "SequenceNumber": ...}` (`SequenceNumber` for FIFO topics only);
//! service errors are `SNS.<ExceptionName>` with the exception's name from the SNS API
//! model (`SNS.NotFoundException`), not its shorter wire code (`NotFound`).

use serde_json::{Map, Value};

use super::Inner;
use super::params::{Params, kind};
use super::wire::{sdk_error, text_of};
use crate::error::Error;

pub(crate) async fn publish(
    inner: &Inner,
    resource: &str,
    parameters: Value,
) -> Result<Value, Error> {
    let mut p = Params::new(resource, parameters)?;
    let message = text_of(p.required("Message")?);
    let mut request = inner
        .sns
        .publish()
        .message(message)
        .set_topic_arn(p.opt_str("TopicArn")?)
        .set_target_arn(p.opt_str("TargetArn")?)
        .set_phone_number(p.opt_str("PhoneNumber")?)
        .set_subject(p.opt_str("Subject")?)
        .set_message_structure(p.opt_str("MessageStructure")?)
        .set_message_group_id(p.opt_str("MessageGroupId")?)
        .set_message_deduplication_id(p.opt_str("MessageDeduplicationId")?);
    if let Some(attributes) = p.opt_object("MessageAttributes")? {
        for (name, value) in attributes {
            request = request.message_attributes(name.clone(), attribute(resource, &name, value)?);
        }
    }
    p.finish()?;
    let output = request
        .send()
        .await
        .map_err(|e| exception_name(sdk_error("SNS", e)))?;
    let mut result = Map::new();
    if let Some(id) = output.message_id() {
        result.insert("MessageId".into(), Value::String(id.to_owned()));
    }
    if let Some(seq) = output.sequence_number() {
        result.insert("SequenceNumber".into(), Value::String(seq.to_owned()));
    }
    Ok(Value::Object(result))
}

/// `{"DataType": "String", "StringValue": "..."}` or `{"DataType": "Binary",
/// "BinaryValue": "<base64>"}`.
fn attribute(
    resource: &str,
    name: &str,
    value: Value,
) -> Result<aws_sdk_sns::types::MessageAttributeValue, Error> {
    let field = format!("MessageAttributes.{name}");
    let Value::Object(_) = &value else {
        return Err(Error::runtime(format!(
            "The field '{field}' of {resource} must be an object, got {}",
            kind(&value)
        )));
    };
    let mut p = Params::new(resource, value)?;
    let data_type = p.required_str("DataType").map_err(|e| prefix(e, &field))?;
    let string_value = p.opt_str("StringValue").map_err(|e| prefix(e, &field))?;
    let binary_value = match p.opt_str("BinaryValue").map_err(|e| prefix(e, &field))? {
        Some(b64) => Some(aws_sdk_sns::primitives::Blob::new(super::base64_decode(
            &format!("{field}.BinaryValue"),
            &b64,
        )?)),
        None => None,
    };
    p.finish().map_err(|e| prefix(e, &field))?;
    aws_sdk_sns::types::MessageAttributeValue::builder()
        .data_type(data_type)
        .set_string_value(string_value)
        .set_binary_value(binary_value)
        .build()
        .map_err(|e| Error::runtime(format!("The field '{field}' of {resource} is invalid: {e}")))
}

/// SNS's query protocol answers with short codes; Step Functions names errors after
/// the model's exception shapes.
fn exception_name(mut err: Error) -> Error {
    let shape = match err.error.strip_prefix("SNS.") {
        Some("AuthorizationError") => "AuthorizationErrorException",
        Some("EndpointDisabled") => "EndpointDisabledException",
        Some("InternalError") => "InternalErrorException",
        Some("InvalidParameter") => "InvalidParameterException",
        Some("ParameterValueInvalid") => "InvalidParameterValueException",
        Some("InvalidSecurity") => "InvalidSecurityException",
        Some("KMSAccessDenied") => "KMSAccessDeniedException",
        Some("KMSDisabled") => "KMSDisabledException",
        Some("KMSInvalidState") => "KMSInvalidStateException",
        Some("KMSNotFound") => "KMSNotFoundException",
        Some("KMSThrottling") => "KMSThrottlingException",
        Some("NotFound") => "NotFoundException",
        Some("PlatformApplicationDisabled") => "PlatformApplicationDisabledException",
        Some("Throttled") => "ThrottledException",
        _ => return err,
    };
    err.error = format!("SNS.{shape}").into();
    err
}

fn prefix(mut err: Error, field: &str) -> Error {
    if let Some(cause) = err.cause.take() {
        err.cause = Some(format!("{cause} (in '{field}')"));
    }
    err
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_codes_become_exception_names() {
        let named = |code: &str| {
            exception_name(Error::new(code.to_owned(), "m"))
                .error
                .to_string()
        };
        assert_eq!(named("SNS.NotFound"), "SNS.NotFoundException");
        assert_eq!(
            named("SNS.ParameterValueInvalid"),
            "SNS.InvalidParameterValueException"
        );
        assert_eq!(named("SNS.KMSOptInRequired"), "SNS.KMSOptInRequired");
        assert_eq!(named("SNS.ValidationException"), "SNS.ValidationException");
        assert_eq!(named("States.TaskFailed"), "States.TaskFailed");
    }
}
