//! REST-JSON and REST-XML (Lambda, Scheduler, API Gateway, S3, Route 53):
//! the operation's `http` trait gives the method and the URI template
//! (`/2015-03-31/functions/{FunctionName}`, S3's `/{Bucket}/{Key+}`); each
//! input member goes where its `location` says (the URI, the query string, a
//! header, a map of prefixed headers) or into the body, which is the
//! `payload` member alone when the input names one (S3's `Body` as bytes,
//! `Tagging` as XML) and the other members as a JSON object or XML document
//! otherwise. Answers are read the same way back: headers, the status code,
//! the payload (a blob payload is the body as text, as Step Functions returns
//! S3's `Body`), the rest from the body.
//!
//! Timestamps: epoch seconds in JSON bodies, ISO 8601 in XML and query
//! strings, HTTP dates in headers (unless the model's `timestampFormat`
//! says otherwise); results give them all as ISO 8601 text.
//!
//! S3: path-style addressing (`/bucket/key`) when the program sets an
//! endpoint, virtual-hosted (`bucket.s3.region.amazonaws.com`) on AWS when
//! the bucket's name allows it; requests carry `x-amz-content-sha256` and
//! are signed without normalizing or re-encoding the path, as S3 wants.

use base64::Engine as _;
use serde_json::{Map, Value};

use super::{Action, Answer, Request, format_epoch, parse_timestamp};
use crate::error::{Error, names};

/// Characters kept as they are in a URI label (RFC 3986 unreserved).
fn encode_label(s: &str, greedy: bool) -> String {
    if greedy {
        s.split('/')
            .map(super::form_encode)
            .collect::<Vec<_>>()
            .join("/")
    } else {
        super::form_encode(s)
    }
}

/// A scalar as text for a URI, a query string or a header.
fn scalar_text(value: &Value, kind: &str, format: &str) -> String {
    match (kind, value) {
        ("timestamp", Value::Number(n)) => {
            let seconds = n.as_f64().unwrap_or_default();
            match format {
                "unixTimestamp" => n.to_string(),
                "rfc822" => http_date(seconds).unwrap_or_else(|| n.to_string()),
                _ => format_epoch(seconds).unwrap_or_else(|| n.to_string()),
            }
        }
        (_, Value::String(s)) => s.clone(),
        (_, other) => other.to_string(),
    }
}

/// Epoch seconds as an HTTP date (`Mon, 07 Dec 2026 17:21:58 GMT`).
fn http_date(seconds: f64) -> Option<String> {
    let t = time::OffsetDateTime::from_unix_timestamp(seconds.floor() as i64).ok()?;
    let format = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    t.format(&format).ok()
}

/// An HTTP date, ISO 8601 or epoch seconds (as a header may give a
/// timestamp) → ISO 8601 text.
fn read_timestamp(text: &str) -> Value {
    let text = text.trim();
    if let Ok(t) = time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc2822)
        && let Ok(s) = t.format(&time::format_description::well_known::Rfc3339)
    {
        return Value::String(s);
    }
    if parse_timestamp(text).is_some() {
        return Value::String(text.to_string());
    }
    match text.parse::<f64>().ok().and_then(format_epoch) {
        Some(s) => Value::String(s),
        None => Value::String(text.to_string()),
    }
}

/// Is the bucket name one a virtual-hosted URL can carry (a DNS label)?
fn dns_compatible(bucket: &str) -> bool {
    (3..=63).contains(&bucket.len())
        && bucket
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !bucket.starts_with('-')
        && !bucket.ends_with('-')
}

impl Action<'_> {
    fn is_s3(&self) -> bool {
        self.meta_str("arnName") == "s3"
    }

    /// The request of a REST-JSON (`xml` false) or REST-XML action.
    /// `endpoint` is where the service is, from [`Action::endpoint`]; with
    /// `custom` false it is AWS's own (S3 then puts the bucket in the host).
    pub(super) fn rest_request(
        &self,
        resource: &str,
        parameters: Value,
        xml: bool,
        endpoint: &str,
        custom: bool,
    ) -> Result<(String, Request), Error> {
        let http = &self.operation["http"];
        let method = http["method"].as_str().unwrap_or("POST").to_string();
        let request_uri = http["requestUri"].as_str().unwrap_or("/");
        let (mut path, literal_query) = match request_uri.split_once('?') {
            Some((p, q)) => (p.to_string(), Some(q.to_string())),
            None => (request_uri.to_string(), None),
        };
        let mut query: Vec<(String, String)> = Vec::new();
        if let Some(q) = literal_query {
            for pair in q.split('&').filter(|p| !p.is_empty()) {
                match pair.split_once('=') {
                    Some((k, v)) => query.push((k.to_string(), v.to_string())),
                    None => query.push((pair.to_string(), String::new())),
                }
            }
        }
        let mut headers: Vec<(String, String)> = Vec::new();
        let mut body: Option<(Vec<u8>, &'static str)> = None;
        let mut host = endpoint.to_string();

        let input = self.operation["input"]["shape"].as_str();
        let wire = match input {
            Some(input) => self.to_wire(resource, input, parameters, "")?,
            None if super::is_empty(&parameters) => Value::Object(Map::new()),
            None => {
                return Err(Error::runtime(format!(
                    "{resource} takes no parameters, got {parameters}"
                )));
            }
        };
        let empty = Map::new();
        let fields = wire.as_object().unwrap_or(&empty);
        let shape = input.map(|i| self.shape(i)).unwrap_or(&Value::Null);
        let payload = shape["payload"].as_str();
        let mut body_members = Map::new();
        let mut has_body_members = false;
        for (member, m) in shape["members"].as_object().into_iter().flatten() {
            let key = m["locationName"].as_str().unwrap_or(member);
            let target = self.shape(m["shape"].as_str().unwrap_or_default());
            let kind = target["type"].as_str().unwrap_or_default();
            let location = m["location"].as_str().unwrap_or_default();
            if location.is_empty() && Some(member.as_str()) != payload {
                has_body_members = true;
            }
            let Some(value) = fields.get(key) else {
                continue;
            };
            let format = target["timestampFormat"].as_str().unwrap_or_default();
            match location {
                "uri" => {
                    let text = scalar_text(value, kind, format);
                    // S3 on AWS: the bucket goes in the host when it can.
                    if self.is_s3() && !custom && key == "Bucket" && dns_compatible(&text) {
                        host = host.replacen("://", &format!("://{text}."), 1);
                        path = path.replacen("/{Bucket}", "", 1);
                        if path.is_empty() || path.starts_with('?') {
                            path.insert(0, '/');
                        }
                        continue;
                    }
                    let greedy = format!("{{{key}+}}");
                    if path.contains(&greedy) {
                        path = path.replace(&greedy, &encode_label(&text, true));
                    } else {
                        path = path.replace(&format!("{{{key}}}"), &encode_label(&text, false));
                    }
                }
                "querystring" => match value {
                    Value::Object(map) => {
                        for (k, v) in map {
                            match v {
                                Value::Array(items) => query.extend(
                                    items.iter().map(|i| (k.clone(), scalar_text(i, "", ""))),
                                ),
                                v => query.push((k.clone(), scalar_text(v, "", ""))),
                            }
                        }
                    }
                    Value::Array(items) => {
                        let item = self.shape(target["member"]["shape"].as_str().unwrap_or(""));
                        let item_kind = item["type"].as_str().unwrap_or_default();
                        query.extend(
                            items
                                .iter()
                                .map(|i| (key.to_string(), scalar_text(i, item_kind, format))),
                        );
                    }
                    v => query.push((key.to_string(), scalar_text(v, kind, format))),
                },
                "header" => {
                    let text = match value {
                        Value::Array(items) => items
                            .iter()
                            .map(|i| scalar_text(i, "", ""))
                            .collect::<Vec<_>>()
                            .join(","),
                        v if m["jsonvalue"].as_bool() == Some(true) => {
                            base64::engine::general_purpose::STANDARD
                                .encode(super::super::wire::text_of(v.clone()))
                        }
                        v => {
                            scalar_text(v, kind, if format.is_empty() { "rfc822" } else { format })
                        }
                    };
                    headers.push((key.to_ascii_lowercase(), text));
                }
                "headers" => {
                    for (k, v) in value.as_object().into_iter().flatten() {
                        headers.push((
                            format!("{key}{k}").to_ascii_lowercase(),
                            scalar_text(v, "", ""),
                        ));
                    }
                }
                "statusCode" => {}
                _ if Some(member.as_str()) == payload => {
                    body = Some(match kind {
                        "blob" | "string" => (
                            super::super::wire::text_of(value.clone()).into_bytes(),
                            "application/octet-stream",
                        ),
                        _ if xml => {
                            let name = key;
                            let ns = m["xmlNamespace"]["uri"]
                                .as_str()
                                .or_else(|| target["xmlNamespace"]["uri"].as_str())
                                .or_else(|| self.meta["xmlNamespace"]["uri"].as_str())
                                .or_else(|| self.meta["xmlNamespace"].as_str());
                            let mut out = String::new();
                            self.write_xml(
                                m["shape"].as_str().unwrap_or_default(),
                                name,
                                ns,
                                value,
                                &mut out,
                            );
                            (out.into_bytes(), "application/xml")
                        }
                        _ => (value.to_string().into_bytes(), "application/json"),
                    });
                }
                _ => {
                    body_members.insert(key.to_string(), value.clone());
                }
            }
        }
        if body.is_none() && payload.is_none() && has_body_members {
            body = Some(if xml {
                let name = shape["locationName"].as_str().or(input).unwrap_or_default();
                let ns = shape["xmlNamespace"]["uri"].as_str();
                let mut out = String::new();
                self.write_xml(
                    input.unwrap_or_default(),
                    name,
                    ns,
                    &Value::Object(body_members),
                    &mut out,
                );
                (out.into_bytes(), "application/xml")
            } else {
                (
                    Value::Object(body_members).to_string().into_bytes(),
                    "application/json",
                )
            });
        }
        // Leftover labels (an optional one not given) are the service's to refuse.
        if !query.is_empty() {
            let q: Vec<String> = query
                .iter()
                .map(|(k, v)| {
                    if v.is_empty() && !k.is_empty() && literal_is_flag(request_uri, k) {
                        super::form_encode(k)
                    } else {
                        format!("{}={}", super::form_encode(k), super::form_encode(v))
                    }
                })
                .collect();
            path = format!("{path}?{}", q.join("&"));
        }
        let (bytes, content_type) = body.unwrap_or_default();
        if !bytes.is_empty() && !headers.iter().any(|(k, _)| k == "content-type") {
            headers.push(("content-type".into(), content_type.to_string()));
        }
        self.checksum(&mut headers, &bytes);
        if self.is_s3() {
            use sha2::Digest as _;
            let hash = hex(&sha2::Sha256::digest(&bytes));
            headers.push(("x-amz-content-sha256".into(), hash));
        }
        Ok((
            host,
            Request {
                method,
                path_and_query: path,
                headers,
                body: bytes,
            },
        ))
    }

    /// The body's checksum, as AWS's SDKs send it: the one the request's
    /// checksum algorithm member names (`ChecksumAlgorithm: SHA256` →
    /// `x-amz-checksum-sha256`: SHA-256, SHA-1 and CRC32), else
    /// `Content-MD5` when the model says the operation requires a checksum
    /// (`httpChecksumRequired`, `httpChecksum.requestChecksumRequired`: S3's
    /// `DeleteObjects`, `PutBucketLifecycleConfiguration`, ...), unless the
    /// request carries one already.
    fn checksum(&self, headers: &mut Vec<(String, String)>, body: &[u8]) {
        use base64::Engine as _;
        use sha2::Digest as _;
        let has = |headers: &Vec<(String, String)>, name: &str| {
            headers
                .iter()
                .any(|(k, _)| k == name || (name.ends_with('-') && k.starts_with(name)))
        };
        if has(headers, "x-amz-checksum-") || has(headers, "content-md5") {
            return;
        }
        let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
        let op = self.operation;
        let algorithm = op["httpChecksum"]["requestAlgorithmMember"]
            .as_str()
            .and_then(|member| {
                let input = self.shape(op["input"]["shape"].as_str().unwrap_or_default());
                let m = &input["members"][member];
                let header = m["locationName"].as_str()?.to_ascii_lowercase();
                headers
                    .iter()
                    .find(|(k, _)| *k == header)
                    .map(|(_, v)| v.to_ascii_uppercase())
            });
        let named = match algorithm.as_deref() {
            Some("SHA256") => Some(("x-amz-checksum-sha256", b64(&sha2::Sha256::digest(body)))),
            Some("SHA1") => Some(("x-amz-checksum-sha1", b64(&sha1::Sha1::digest(body)))),
            Some("CRC32") => {
                let mut crc = flate2::Crc::new();
                crc.update(body);
                Some(("x-amz-checksum-crc32", b64(&crc.sum().to_be_bytes())))
            }
            _ => None,
        };
        if let Some((name, value)) = named {
            headers.push((name.to_string(), value));
            return;
        }
        let required = op["httpChecksumRequired"].as_bool() == Some(true)
            || op["httpChecksum"]["requestChecksumRequired"].as_bool() == Some(true);
        if required {
            headers.push(("content-md5".into(), b64(&md5::Md5::digest(body))));
        }
    }

    /// `value` (wire names) of shape `name` as the XML element `element`.
    fn write_xml(
        &self,
        name: &str,
        element: &str,
        ns: Option<&str>,
        value: &Value,
        out: &mut String,
    ) {
        let shape = self.shape(name);
        let open = match ns {
            Some(ns) => format!("<{element} xmlns=\"{}\">", escape(ns)),
            None => format!("<{element}>"),
        };
        match (shape["type"].as_str().unwrap_or_default(), value) {
            ("structure", Value::Object(fields)) => {
                out.push_str(&open);
                for (member, m) in shape["members"].as_object().into_iter().flatten() {
                    let key = m["locationName"].as_str().unwrap_or(member);
                    let Some(v) = fields.get(key) else { continue };
                    let target = m["shape"].as_str().unwrap_or_default();
                    let flattened = m["flattened"].as_bool() == Some(true)
                        || self.shape(target)["flattened"].as_bool() == Some(true);
                    match v {
                        Value::Array(items) if flattened => {
                            let item = self.shape(target)["member"]["shape"]
                                .as_str()
                                .unwrap_or_default();
                            for it in items {
                                self.write_xml(item, key, None, it, out);
                            }
                        }
                        v => self.write_xml(target, key, None, v, out),
                    }
                }
                out.push_str(&format!("</{element}>"));
            }
            ("list", Value::Array(items)) => {
                out.push_str(&open);
                let item = shape["member"]["shape"].as_str().unwrap_or_default();
                let tag = shape["member"]["locationName"].as_str().unwrap_or("member");
                for it in items {
                    self.write_xml(item, tag, None, it, out);
                }
                out.push_str(&format!("</{element}>"));
            }
            ("map", Value::Object(entries)) => {
                out.push_str(&open);
                let k = shape["key"]["locationName"].as_str().unwrap_or("key");
                let v = shape["value"]["locationName"].as_str().unwrap_or("value");
                let to = shape["value"]["shape"].as_str().unwrap_or_default();
                for (key, value) in entries {
                    out.push_str(&format!("<entry><{k}>{}</{k}>", escape(key)));
                    self.write_xml(to, v, None, value, out);
                    out.push_str("</entry>");
                }
                out.push_str(&format!("</{element}>"));
            }
            (kind, v) => {
                let format = shape["timestampFormat"].as_str().unwrap_or_default();
                out.push_str(&open);
                out.push_str(&escape(&scalar_text(v, kind, format)));
                out.push_str(&format!("</{element}>"));
            }
        }
    }

    /// A REST answer → the result in Step Functions' names.
    pub(super) fn rest_result(&self, answer: &Answer, xml: bool) -> Result<Value, Error> {
        let Some(output) = self.operation["output"]["shape"].as_str() else {
            return Ok(Value::Object(Map::new()));
        };
        let shape = self.shape(output);
        let payload = shape["payload"].as_str();
        let mut out = Map::new();
        let mut from_body = false;
        for (member, m) in shape["members"].as_object().into_iter().flatten() {
            let field = asl_lang::sdk::field_name(member);
            let key = m["locationName"].as_str().unwrap_or(member);
            let target_name = m["shape"].as_str().unwrap_or_default();
            let target = self.shape(target_name);
            let kind = target["type"].as_str().unwrap_or_default();
            match m["location"].as_str().unwrap_or_default() {
                "header" => {
                    let Some(text) = answer.headers.get(&key.to_ascii_lowercase()) else {
                        continue;
                    };
                    let value = match kind {
                        "integer" | "long" => text
                            .trim()
                            .parse::<i64>()
                            .map_or_else(|_| Value::String(text.clone()), Value::from),
                        "float" | "double" => text
                            .trim()
                            .parse::<f64>()
                            .ok()
                            .and_then(serde_json::Number::from_f64)
                            .map_or_else(|| Value::String(text.clone()), Value::Number),
                        "boolean" => Value::Bool(text.trim() == "true"),
                        "timestamp" => read_timestamp(text),
                        "list" => Value::Array(
                            text.split(',')
                                .map(|s| Value::String(s.trim().to_string()))
                                .collect(),
                        ),
                        _ if m["jsonvalue"].as_bool() == Some(true) => {
                            base64::engine::general_purpose::STANDARD
                                .decode(text.trim())
                                .ok()
                                .and_then(|b| serde_json::from_slice(&b).ok())
                                .unwrap_or_else(|| Value::String(text.clone()))
                        }
                        _ => Value::String(text.clone()),
                    };
                    out.insert(field, value);
                }
                "headers" => {
                    let prefix = key.to_ascii_lowercase();
                    let map: Map<String, Value> = answer
                        .headers
                        .iter()
                        .filter_map(|(k, v)| {
                            k.strip_prefix(&prefix)
                                .map(|rest| (rest.to_string(), Value::String(v.clone())))
                        })
                        .collect();
                    out.insert(field, Value::Object(map));
                }
                "statusCode" => {
                    out.insert(field, Value::from(answer.status));
                }
                _ if Some(member.as_str()) == payload => {
                    let value = match kind {
                        // Step Functions returns a blob payload (S3's `Body`,
                        // Lambda's `Payload`) as text.
                        "blob" | "string" => {
                            Value::String(String::from_utf8_lossy(&answer.body).into_owned())
                        }
                        _ if answer.body.iter().all(u8::is_ascii_whitespace) => continue,
                        _ if xml => {
                            let text = String::from_utf8_lossy(&answer.body);
                            let doc =
                                roxmltree::Document::parse(&text).map_err(|e| self.not_xml(e))?;
                            self.read_xml(target_name, doc.root_element())
                        }
                        _ => {
                            let v: Value = serde_json::from_slice(&answer.body)
                                .map_err(|e| self.not_json(e))?;
                            self.read_wire(target_name, v)
                        }
                    };
                    out.insert(field, value);
                }
                _ => from_body = true,
            }
        }
        if from_body && payload.is_none() && !answer.body.iter().all(u8::is_ascii_whitespace) {
            let body = if xml {
                let text = String::from_utf8_lossy(&answer.body);
                let doc = roxmltree::Document::parse(&text).map_err(|e| self.not_xml(e))?;
                self.read_xml(output, doc.root_element())
            } else {
                let v: Value =
                    serde_json::from_slice(&answer.body).map_err(|e| self.not_json(e))?;
                self.read_wire(output, v)
            };
            if let Value::Object(fields) = body {
                for (k, v) in fields {
                    out.entry(k).or_insert(v);
                }
            }
        }
        Ok(Value::Object(out))
    }

    fn not_xml(&self, e: roxmltree::Error) -> Error {
        Error::new(
            names::TASK_FAILED,
            format!("{} answered with a body that is not XML: {e}", self.service),
        )
    }

    fn not_json(&self, e: serde_json::Error) -> Error {
        Error::new(
            names::TASK_FAILED,
            format!(
                "{} answered with a body that is not JSON: {e}",
                self.service
            ),
        )
    }

    /// A REST-XML error: `<Error><Code>` (S3) or `<ErrorResponse><Error>`;
    /// an answer without a body (S3's `HEAD`) is the one error the operation
    /// lists with that status (`NoSuchKey` for 404), else the service's base
    /// exception.
    pub(super) fn rest_xml_error(&self, answer: &Answer) -> Error {
        if answer.body.iter().all(u8::is_ascii_whitespace) {
            let listed: Vec<&str> = self.operation["errors"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|e| e["shape"].as_str())
                .filter(|e| {
                    self.shape(e)["error"]["httpStatusCode"].as_u64()
                        == Some(u64::from(answer.status))
                })
                .collect();
            let code = match listed.as_slice() {
                [one] => one,
                _ => "",
            };
            return Error::new(
                self.error_name(code),
                format!(
                    "{} answered HTTP {} without a body",
                    self.service, answer.status
                ),
            );
        }
        self.xml_error(answer)
    }
}

/// Does the operation's URI write `key` as a bare flag (`?tagging`, `?uploads`)?
fn literal_is_flag(request_uri: &str, key: &str) -> bool {
    request_uri
        .split_once('?')
        .is_some_and(|(_, q)| q.split('&').any(|p| p == key))
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use serde_json::json;

    use super::*;

    /// S3's GetObject, PutBucketTagging and ListBuckets, trimmed from the
    /// model as the compiler writes the table.
    fn s3(operation: Value) -> Value {
        json!({
            "metadata": {"service": "S3", "arnName": "s3", "protocol": "rest-xml", "endpointPrefix": "s3",
                         "exceptions": "NoSuchKey NoSuchBucket"},
            "operation": operation,
            "shapes": {
                "GetObjectRequest": {"type": "structure", "required": ["Bucket", "Key"], "members": {
                    "Bucket": {"location": "uri", "locationName": "Bucket", "shape": "S"},
                    "Key": {"location": "uri", "locationName": "Key", "shape": "S"},
                    "Range": {"location": "header", "locationName": "Range", "shape": "S"},
                    "IfModifiedSince": {"location": "header", "locationName": "If-Modified-Since", "shape": "T"},
                    "PartNumber": {"location": "querystring", "locationName": "partNumber", "shape": "I"}}},
                "GetObjectOutput": {"type": "structure", "payload": "Body", "members": {
                    "Body": {"shape": "B", "streaming": true},
                    "ContentLength": {"location": "header", "locationName": "Content-Length", "shape": "L"},
                    "LastModified": {"location": "header", "locationName": "Last-Modified", "shape": "T"},
                    "Metadata": {"location": "headers", "locationName": "x-amz-meta-", "shape": "M"}}},
                "PutBucketTaggingRequest": {"type": "structure", "payload": "Tagging", "members": {
                    "Bucket": {"location": "uri", "locationName": "Bucket", "shape": "S"},
                    "Tagging": {"locationName": "Tagging", "shape": "Tagging",
                                "xmlNamespace": {"uri": "http://s3.amazonaws.com/doc/2006-03-01/"}}}},
                "Tagging": {"type": "structure", "members": {"TagSet": {"shape": "TagSet"}}},
                "TagSet": {"type": "list", "member": {"locationName": "Tag", "shape": "Tag"}},
                "Tag": {"type": "structure", "members": {"Key": {"shape": "S"}, "Value": {"shape": "S"}}},
                "M": {"type": "map", "key": {"shape": "S"}, "value": {"shape": "S"}},
                "S": {"type": "string"}, "B": {"type": "blob", "streaming": true}, "T": {"type": "timestamp"},
                "I": {"type": "integer"}, "L": {"type": "long"},
                "NoSuchKey": {"type": "structure", "exception": true, "members": {},
                              "error": {"httpStatusCode": 404}}
            }
        })
    }

    fn get_object() -> Value {
        s3(
            json!({"name": "GetObject", "http": {"method": "GET", "requestUri": "/{Bucket}/{Key+}"},
                  "input": {"shape": "GetObjectRequest"}, "output": {"shape": "GetObjectOutput"},
                  "errors": [{"shape": "NoSuchKey"}]}),
        )
    }

    #[test]
    fn s3_requests_put_members_where_the_model_says() {
        let t = get_object();
        let a = Action::new(&t);
        let params = json!({"Bucket": "docs", "Key": "dir/a b.txt", "Range": "bytes=0-9",
                            "IfModifiedSince": "2024-05-01T12:00:00Z", "PartNumber": 2});
        // An endpoint of the program's: path-style.
        let (host, r) = a
            .rest_request("r", params.clone(), true, "http://127.0.0.1:5000", true)
            .unwrap();
        assert_eq!(host, "http://127.0.0.1:5000");
        assert_eq!(r.method, "GET");
        assert_eq!(r.path_and_query, "/docs/dir/a%20b.txt?partNumber=2");
        assert!(r.headers.contains(&("range".into(), "bytes=0-9".into())));
        assert!(r.headers.contains(&(
            "if-modified-since".into(),
            "Wed, 01 May 2024 12:00:00 GMT".into()
        )));
        assert!(r.headers.iter().any(|(k, _)| k == "x-amz-content-sha256"));
        assert!(r.body.is_empty());
        // AWS's endpoint: the bucket in the host.
        let (host, r) = a
            .rest_request(
                "r",
                params,
                true,
                "https://s3.us-east-1.amazonaws.com",
                false,
            )
            .unwrap();
        assert_eq!(host, "https://docs.s3.us-east-1.amazonaws.com");
        assert_eq!(r.path_and_query, "/dir/a%20b.txt?partNumber=2");
    }

    #[test]
    fn s3_bodies_are_text_and_headers_are_fields() {
        let t = get_object();
        let a = Action::new(&t);
        let answer = Answer {
            status: 200,
            headers: HashMap::from([
                ("content-length".to_string(), "11".to_string()),
                (
                    "last-modified".to_string(),
                    "Wed, 01 May 2024 12:00:00 GMT".to_string(),
                ),
                ("x-amz-meta-team".to_string(), "asl".to_string()),
            ]),
            body: b"hello world".to_vec(),
        };
        assert_eq!(
            a.rest_result(&answer, true).unwrap(),
            json!({"Body": "hello world", "ContentLength": 11,
                   "LastModified": "2024-05-01T12:00:00Z", "Metadata": {"team": "asl"}})
        );
        // A HEAD-like answer without a body: the error the operation lists for 404.
        let e = a.rest_xml_error(&Answer {
            status: 404,
            headers: HashMap::new(),
            body: Vec::new(),
        });
        assert_eq!(e.name(), "S3.NoSuchKeyException");
        // A code the operation does not list but the service does.
        let e = a.rest_xml_error(&Answer {
            status: 404,
            headers: HashMap::new(),
            body: b"<Error><Code>NoSuchBucket</Code><Message>gone</Message></Error>".to_vec(),
        });
        assert_eq!(e.name(), "S3.NoSuchBucketException");
        assert_eq!(e.cause(), Some("gone"));
    }

    #[test]
    fn xml_payloads_are_written_from_the_model() {
        let t = s3(json!({"name": "PutBucketTagging",
                          "http": {"method": "PUT", "requestUri": "/{Bucket}?tagging"},
                          "input": {"shape": "PutBucketTaggingRequest"}}));
        let a = Action::new(&t);
        let (_, r) = a
            .rest_request(
                "r",
                json!({"Bucket": "b", "Tagging": {"TagSet": [{"Key": "k", "Value": "a&b"}]}}),
                true,
                "http://127.0.0.1:5000",
                true,
            )
            .unwrap();
        assert_eq!(r.method, "PUT");
        assert_eq!(r.path_and_query, "/b?tagging");
        assert_eq!(
            String::from_utf8(r.body).unwrap(),
            "<Tagging xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><TagSet><Tag><Key>k</Key><Value>a&amp;b</Value></Tag></TagSet></Tagging>"
        );
        assert!(
            r.headers
                .contains(&("content-type".into(), "application/xml".into()))
        );
    }

    #[test]
    fn required_checksums_are_sent() {
        let mut t = s3(json!({"name": "PutBucketTagging",
                              "http": {"method": "PUT", "requestUri": "/{Bucket}?tagging"},
                              "input": {"shape": "PutBucketTaggingRequest"},
                              "httpChecksum": {"requestChecksumRequired": true,
                                               "requestAlgorithmMember": "ChecksumAlgorithm"}}));
        t["shapes"]["PutBucketTaggingRequest"]["members"]["ChecksumAlgorithm"] = json!(
            {"location": "header", "locationName": "x-amz-sdk-checksum-algorithm", "shape": "S"});
        let a = Action::new(&t);
        let tagging = json!({"Bucket": "b", "Tagging": {"TagSet": []}});
        let (_, r) = a
            .rest_request("r", tagging.clone(), true, "http://127.0.0.1:5000", true)
            .unwrap();
        use base64::Engine as _;
        use md5::Digest as _;
        let md5 = base64::engine::general_purpose::STANDARD.encode(md5::Md5::digest(&r.body));
        assert!(
            r.headers.contains(&("content-md5".into(), md5)),
            "{:?}",
            r.headers
        );
        // With an algorithm named, that checksum instead.
        let mut with_sha = tagging;
        with_sha["ChecksumAlgorithm"] = json!("SHA256");
        let (_, r) = a
            .rest_request("r", with_sha, true, "http://127.0.0.1:5000", true)
            .unwrap();
        assert!(
            r.headers.iter().any(|(k, _)| k == "x-amz-checksum-sha256"),
            "{:?}",
            r.headers
        );
        assert!(
            !r.headers.iter().any(|(k, _)| k == "content-md5"),
            "{:?}",
            r.headers
        );
        // An operation that does not require one: none.
        let t = get_object();
        let a = Action::new(&t);
        let (_, r) = a
            .rest_request(
                "r",
                json!({"Bucket": "b", "Key": "k"}),
                true,
                "http://h",
                true,
            )
            .unwrap();
        assert!(
            !r.headers
                .iter()
                .any(|(k, _)| k == "content-md5" || k.starts_with("x-amz-checksum-"))
        );
    }

    #[test]
    fn rest_json_splits_uri_query_and_body() {
        let t = json!({
            "metadata": {"service": "Scheduler", "arnName": "scheduler", "protocol": "rest-json",
                         "endpointPrefix": "scheduler"},
            "operation": {"name": "CreateSchedule", "http": {"method": "POST", "requestUri": "/schedules/{Name}"},
                          "input": {"shape": "In"}, "output": {"shape": "Out"}},
            "shapes": {
                "In": {"type": "structure", "members": {
                    "Name": {"location": "uri", "locationName": "Name", "shape": "S"},
                    "GroupName": {"shape": "S"}, "StartDate": {"shape": "T"},
                    "ClientToken": {"shape": "S", "idempotencyToken": true}}},
                "Out": {"type": "structure", "members": {"ScheduleArn": {"shape": "S"},
                         "Status": {"location": "statusCode", "shape": "I"}}},
                "S": {"type": "string"}, "T": {"type": "timestamp"}, "I": {"type": "integer"}
            }
        });
        let a = Action::new(&t);
        let (_, r) = a
            .rest_request(
                "r",
                json!({"Name": "a/b", "StartDate": "2024-05-01T12:00:00Z"}),
                false,
                "http://h",
                true,
            )
            .unwrap();
        assert_eq!(r.path_and_query, "/schedules/a%2Fb");
        let body: Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(body["StartDate"], 1714564800);
        assert!(body["ClientToken"].is_string());
        assert!(body.get("Name").is_none());
        let answer = Answer {
            status: 200,
            headers: HashMap::new(),
            body: br#"{"ScheduleArn": "arn"}"#.to_vec(),
        };
        assert_eq!(
            a.rest_result(&answer, false).unwrap(),
            json!({"ScheduleArn": "arn", "Status": 200})
        );
    }
}
