//! Amazon DynamoDB: `dynamodb:getItem`, `putItem`, `updateItem`, `deleteItem`
//! and `aws-sdk:dynamodb:query`, `scan`, `batchGetItem`, `batchWriteItem`,
//! `transactWriteItems`.
//!
//! Step Functions takes DynamoDB's own JSON request (PascalCase, typed
//! attribute values such as `{"S": "a"}`) and returns DynamoDB's own JSON
//! answer; so does this integration: the request body is the checked
//! `Parameters`, sent through aws-sdk-dynamodb (endpoint, SigV4, retries), and
//! the result is the answer's JSON as it came (`Item`, `Items`, `Count`,
//! `Attributes`, `LastEvaluatedKey`, ...). Errors are
//! `DynamoDB.<Exception>` for the optimized APIs and `DynamoDb.<Exception>`
//! for the SDK ones, as AWS names them.

use serde_json::Value;

use asl_lang::integrations::Api;

use super::Inner;
use super::params::kind;
use super::wire::{WireJson, send_wire, service_error, take_answer};
use crate::error::Error;

pub(crate) async fn call(
    inner: &Inner,
    resource: &str,
    api: Api,
    parameters: Value,
) -> Result<Value, Error> {
    let Value::Object(fields) = &parameters else {
        return Err(Error::runtime(format!(
            "The Parameters of {resource} must be a JSON object, got {}",
            kind(&parameters)
        )));
    };
    let table = match fields.get("TableName") {
        Some(Value::String(t)) => t.clone(),
        Some(other) => {
            return Err(Error::runtime(format!(
                "The field 'TableName' of {resource} must be a string, got {}",
                kind(other)
            )));
        }
        None => String::new(),
    };
    let body = parameters.to_string();
    let (icpt, answer) = WireJson::sending(Some(body));
    let prefix = api.spec().error_prefix;
    let client = &inner.dynamodb;
    macro_rules! send {
        ($operation:expr) => {
            send_wire!($operation, icpt, |e| service_error(prefix, e))
        };
    }
    match api {
        Api::DynamoDbGetItem => send!(client.get_item().table_name(table)),
        Api::DynamoDbPutItem => send!(client.put_item().table_name(table)),
        Api::DynamoDbUpdateItem => send!(client.update_item().table_name(table)),
        Api::DynamoDbDeleteItem => send!(client.delete_item().table_name(table)),
        Api::DynamoDbQuery => send!(client.query().table_name(table)),
        Api::DynamoDbScan => send!(client.scan().table_name(table)),
        Api::DynamoDbBatchGetItem => send!(client.batch_get_item()),
        Api::DynamoDbBatchWriteItem => send!(client.batch_write_item()),
        Api::DynamoDbTransactWriteItems => send!(client.transact_write_items()),
        other => Err(Error::runtime(format!(
            "internal error: {} is not a DynamoDB API",
            other.resource_name()
        ))),
    }?;
    take_answer("DynamoDB", &answer)
}
