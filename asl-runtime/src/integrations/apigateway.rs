//! Amazon API Gateway: `arn:aws:states:::apigateway:invoke` (and
//! `.waitForTaskToken`), as AWS's page "Create API Gateway REST APIs with
//! Step Functions" gives it ([`asl_lang::integrations::apigateway`]).
//!
//! The request goes to `https://<ApiEndpoint>/<Stage>/<Path>` with
//! `QueryParameters` (each name with its list of values) and `Headers` (the
//! same; the names Step Functions forbids are refused); `RequestBody` is
//! sent as JSON (`Content-Type: application/json`, a string as a JSON
//! string) with `PATCH`, `POST` and `PUT` only, its null fields left out
//! unless `AllowNullValues` is true. `AuthType` `IAM_ROLE` and
//! `RESOURCE_POLICY` sign the request with SigV4 for `execute-api` (in the
//! region the endpoint names, else the runtime's), with the runtime's
//! credentials or the Task's role; `NO_AUTH` (the default) sends it as it is.
//!
//! Endpoints: [`super::IntegrationsBuilder::service_endpoint`]`("execute-api",
//! url)`, else [`super::IntegrationsBuilder::endpoint_url`], takes the place
//! of `https://<ApiEndpoint>` (a local server in tests), the stage, path and
//! query appended to it.
//!
//! The result is `{"Headers": {"Name": ["value"]}, "ResponseBody": <the body
//! parsed as JSON, else its text>, "StatusCode": 200, "StatusText": "OK"}`
//! (header names as HTTP/1.1 writes them, `Content-Type`). An answer outside
//! 2xx fails the task with `ApiGateway.<status>` and the body as cause; a
//! call that gets no answer with `ApiGateway.<Exception>`:
//! `ConnectException` (no connection), `IOException` (the connection
//! broke), `SocketTimeoutException` (no whole answer within the AWS
//! operation timeout).

use aws_sigv4::http_request::SigningSettings;
use serde_json::{Map, Value};

use asl_lang::integrations::apigateway as page;

use super::Inner;
use super::params::{Params, percent_encode, string_list_map};
use super::signed::{self, Failure};
use crate::error::Error;

/// Calls the API the parameters name.
pub(crate) async fn invoke(
    inner: &Inner,
    resource: &str,
    parameters: Value,
) -> Result<Value, Error> {
    let mut p = Params::new(resource, parameters)?;
    let endpoint = p.required_str("ApiEndpoint")?;
    let method = p.required_str("Method")?;
    let headers = p.opt_object("Headers")?.unwrap_or_default();
    let stage = p.opt_str("Stage")?;
    let path = p.opt_str("Path")?;
    let query = p.opt_object("QueryParameters")?.unwrap_or_default();
    let body = p.take("RequestBody");
    let allow_nulls = p.opt_bool("AllowNullValues")?.unwrap_or(false);
    let auth = p.opt_str("AuthType")?.unwrap_or_else(|| "NO_AUTH".into());
    p.finish()?;
    if let Some(problem) = page::endpoint_problem(&endpoint) {
        return Err(Error::runtime(format!(
            "The field 'ApiEndpoint' of {resource} {problem}: '{endpoint}' \
             (the API's host name, <api-id>.execute-api.<region>.amazonaws.com)"
        )));
    }
    let headers = string_list_map(resource, "Headers", headers)?;
    if let Some((name, _)) = headers.iter().find(|(n, _)| page::forbidden_header(n)) {
        return Err(Error::runtime(format!(
            "The 'Headers' field of {resource} contains a header Step Functions does not send: '{name}'"
        )));
    }
    let query = string_list_map(resource, "QueryParameters", query)?;
    let caller = &inner.signed;
    let base = caller
        .endpoint_for(&[page::SIGNING_NAME])
        .unwrap_or_else(|| format!("https://{endpoint}"));
    let uri = invoke_url(&base, stage.as_deref(), path.as_deref(), &query);
    let mut outgoing = signed::Outgoing {
        method: method.clone(),
        uri,
        headers,
        body: Vec::new(),
    };
    if let Some(body) = body.filter(|_| page::BODY_METHODS.contains(&method.as_str())) {
        let body = if allow_nulls {
            body
        } else {
            without_nulls(body)
        };
        if !outgoing
            .headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("content-type"))
        {
            outgoing
                .headers
                .push(("content-type".into(), "application/json".into()));
        }
        outgoing.body = body.to_string().into_bytes();
    }
    let region;
    let signing = match auth.as_str() {
        "NO_AUTH" => None,
        "IAM_ROLE" | "RESOURCE_POLICY" => {
            region = page::endpoint_region(&endpoint)
                .map(str::to_string)
                .or_else(|| caller.region.clone())
                .ok_or_else(|| {
                    Error::runtime(format!(
                        "{resource}: no AWS region to sign the request for {endpoint} with"
                    ))
                })?;
            Some(signed::Signing {
                name: page::SIGNING_NAME,
                region: &region,
                settings: SigningSettings::default(),
            })
        }
        other => {
            return Err(Error::runtime(format!(
                "The field 'AuthType' of {resource} must be one of {}, got '{other}'",
                page::AUTH_TYPES.join(", ")
            )));
        }
    };
    let received = signed::send(caller, "API Gateway", signing, outgoing)
        .await
        .map_err(|failure| match failure {
            Failure::Invalid(message) | Failure::Credentials(message) => Error::runtime(message),
            Failure::Connect(message) => exception("ConnectException", message),
            Failure::Io(message) => exception("IOException", message),
            Failure::Timeout(message) => exception("SocketTimeoutException", message),
        })?;
    let text = String::from_utf8_lossy(&received.body).into_owned();
    if !received.status.is_success() {
        return Err(Error::new(
            format!("{}.{}", page::ERROR_PREFIX, received.status.as_u16()),
            text,
        ));
    }
    let mut headers = Map::new();
    for (name, value) in &received.headers {
        let entry = headers
            .entry(header_case(name.as_str()))
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(values) = entry {
            values.push(Value::String(
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            ));
        }
    }
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    let mut result = Map::new();
    result.insert("Headers".into(), Value::Object(headers));
    result.insert("ResponseBody".into(), body);
    result.insert("StatusCode".into(), Value::from(received.status.as_u16()));
    result.insert(
        "StatusText".into(),
        Value::String(
            received
                .status
                .canonical_reason()
                .unwrap_or_default()
                .to_string(),
        ),
    );
    Ok(Value::Object(result))
}

fn exception(name: &str, message: String) -> Error {
    Error::new(format!("{}.{name}", page::ERROR_PREFIX), message)
}

/// `base/stage/path?query`: the stage and the path's segments
/// percent-encoded (an encoded `%XX` kept), empty segments dropped.
fn invoke_url(
    base: &str,
    stage: Option<&str>,
    path: Option<&str>,
    query: &[(String, String)],
) -> String {
    let mut url = base.trim_end_matches('/').to_string();
    let segments = stage
        .into_iter()
        .flat_map(|s| s.split('/'))
        .chain(path.into_iter().flat_map(|p| p.split('/')))
        .filter(|s| !s.is_empty());
    let mut any = false;
    for segment in segments {
        url.push('/');
        url.push_str(&encode_segment(segment));
        any = true;
    }
    if !any {
        url.push('/');
    }
    if !query.is_empty() {
        let pairs: Vec<String> = query
            .iter()
            .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
            .collect();
        url.push('?');
        url.push_str(&pairs.join("&"));
    }
    url
}

/// A path segment with what a URI path cannot hold percent-encoded; `%XX`
/// already encoded stays as it is.
fn encode_segment(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut out = String::with_capacity(segment.len());
    for (i, &b) in bytes.iter().enumerate() {
        let escaped = b == b'%'
            && bytes
                .get(i + 1..i + 3)
                .is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit));
        if escaped || b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The body without its null fields, at any depth ("any null values in the
/// request input state will not be sent"); list items stay.
fn without_nulls(value: Value) -> Value {
    match value {
        Value::Object(fields) => Value::Object(
            fields
                .into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, without_nulls(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(without_nulls).collect()),
        other => other,
    }
}

/// A header name as HTTP/1.1 conventionally writes it (`content-type` →
/// `Content-Type`); HTTP/2 and hyper give names in lowercase.
fn header_case(name: &str) -> String {
    name.split('-')
        .map(|part| {
            let mut chars = part.chars();
            match chars.next() {
                Some(c) => c.to_ascii_uppercase().to_string() + chars.as_str(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join("-")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn urls_join_stage_path_and_query() {
        let q = vec![
            ("billId".to_string(), "12 3".to_string()),
            ("billId".to_string(), "4".to_string()),
        ];
        assert_eq!(
            invoke_url(
                "https://abc.execute-api.us-east-1.amazonaws.com",
                Some("prod"),
                Some("/bills/add"),
                &q
            ),
            "https://abc.execute-api.us-east-1.amazonaws.com/prod/bills/add?billId=12%203&billId=4"
        );
        assert_eq!(
            invoke_url("http://127.0.0.1:9/", None, Some("/"), &[]),
            "http://127.0.0.1:9/"
        );
        assert_eq!(
            invoke_url("http://h", Some("$default"), Some("a b/c%2Fd"), &[]),
            "http://h/$default/a%20b/c%2Fd"
        );
    }

    #[test]
    fn nulls_are_left_out_of_bodies() {
        assert_eq!(
            without_nulls(
                json!({"NewPet": {"type": "turtle", "price": 123, "category": null}, "l": [null, 1]})
            ),
            json!({"NewPet": {"type": "turtle", "price": 123}, "l": [null, 1]})
        );
    }

    #[test]
    fn header_names_are_written_as_http_writes_them() {
        assert_eq!(header_case("content-type"), "Content-Type");
        assert_eq!(header_case("x-amzn-requestid"), "X-Amzn-Requestid");
        assert_eq!(header_case("date"), "Date");
    }
}
