//! Signature Version 4, checked as AWS checks it: the canonical request is
//! rebuilt from what arrived (method, path, query, the headers the client
//! says it signed, the SHA-256 of the body), signed again with the secret of
//! the access key the client names, and the two signatures compared in
//! constant time.
//!
//! In: the request's head and body, the operator's credentials, the region
//! and the clock. Out: the access key id that signed, or AWS's refusal:
//! `MissingAuthenticationTokenException` (no signature),
//! `IncompleteSignatureException` (an `Authorization` header that lacks a
//! part), `UnrecognizedClientException` (an access key not configured),
//! `InvalidSignatureException` (a signature that does not match, a scope for
//! another region or service, a date more than 5 minutes off).

use std::collections::HashMap;
use std::time::SystemTime;

use http::request::Parts;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use time::macros::format_description;

use crate::wire::Failure;

/// The algorithm the SDKs sign with.
const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// Step Functions' signing name.
pub(crate) const SERVICE: &str = "states";
/// How far a request's date may be from the server's clock (AWS: 5 minutes).
const MAX_SKEW: time::Duration = time::Duration::minutes(5);

/// The credentials a server accepts and the region it signs for.
#[derive(Clone)]
pub(crate) struct Verifier {
    pub(crate) credentials: HashMap<String, String>,
    pub(crate) region: String,
}

/// What an `Authorization: AWS4-HMAC-SHA256 ...` header says.
struct Authorization<'a> {
    access_key_id: &'a str,
    scope_date: &'a str,
    scope_region: &'a str,
    scope_service: &'a str,
    signed_headers: Vec<&'a str>,
    signature: &'a str,
}

impl Verifier {
    /// Checks the request's signature; the access key id that signed it.
    pub(crate) fn verify(
        &self,
        head: &Parts,
        body: &[u8],
        now: OffsetDateTime,
    ) -> Result<String, Failure> {
        let Some(header) = head.headers.get(http::header::AUTHORIZATION) else {
            return Err(Failure::client(
                "MissingAuthenticationTokenException",
                "Missing Authentication Token",
            ));
        };
        let header = header.to_str().map_err(|_| incomplete("is not ASCII"))?;
        let auth = parse_authorization(header)?;
        let Some(secret) = self.credentials.get(auth.access_key_id) else {
            return Err(Failure::client(
                "UnrecognizedClientException",
                "The security token included in the request is invalid.",
            ));
        };
        let amz_date = head
            .headers
            .get("x-amz-date")
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| {
                Failure::client(
                    "IncompleteSignatureException",
                    "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
                )
            })?;
        let date = parse_amz_date(amz_date).ok_or_else(|| {
            invalid_signature(format!(
                "Date must be in ISO-8601 'basic format'. Got '{amz_date}'. See http://en.wikipedia.org/wiki/ISO_8601"
            ))
        })?;
        if auth.scope_date != &amz_date[..8] {
            return Err(invalid_signature(format!(
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{}' != '{}', from '{amz_date}'.",
                auth.scope_date,
                &amz_date[..8]
            )));
        }
        if auth.scope_region != self.region {
            return Err(invalid_signature(format!(
                "Credential should be scoped to a valid region, not '{}'. ",
                auth.scope_region
            )));
        }
        if auth.scope_service != SERVICE {
            return Err(invalid_signature(format!(
                "Credential should be scoped to correct service: '{SERVICE}'. "
            )));
        }
        if !auth.signed_headers.contains(&"host") {
            return Err(invalid_signature(
                "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.".into(),
            ));
        }
        let expected = signature(head, body, &auth, amz_date, date, secret, &self.region);
        if !constant_time_eq(expected.as_bytes(), auth.signature.as_bytes()) {
            return Err(invalid_signature(
                "The request signature we calculated does not match the signature you provided. \
                 Check your AWS Secret Access Key and signing method. Consult the service \
                 documentation for details."
                    .into(),
            ));
        }
        let now_text = format_amz_date(now);
        if date < now - MAX_SKEW {
            return Err(invalid_signature(format!(
                "Signature expired: {amz_date} is now earlier than {} ({now_text} - 5 min.)",
                format_amz_date(now - MAX_SKEW)
            )));
        }
        if date > now + MAX_SKEW {
            return Err(invalid_signature(format!(
                "Signature not yet current: {amz_date} is still later than {} ({now_text} + 5 min.)",
                format_amz_date(now + MAX_SKEW)
            )));
        }
        Ok(auth.access_key_id.to_string())
    }
}

fn invalid_signature(message: String) -> Failure {
    Failure::client("InvalidSignatureException", message)
}

fn incomplete(what: &str) -> Failure {
    Failure::client(
        "IncompleteSignatureException",
        format!("The Authorization header {what}."),
    )
}

/// `AWS4-HMAC-SHA256 Credential=AKID/20261207/us-east-1/states/aws4_request,
/// SignedHeaders=host;x-amz-date, Signature=hex`.
fn parse_authorization(header: &str) -> Result<Authorization<'_>, Failure> {
    let Some(rest) = header.strip_prefix(ALGORITHM) else {
        return Err(incomplete(&format!(
            "does not use {ALGORITHM} (the only algorithm this endpoint verifies)"
        )));
    };
    let (mut credential, mut signed, mut signature) = (None, None, None);
    for part in rest.split(',') {
        let part = part.trim();
        if let Some(v) = part.strip_prefix("Credential=") {
            credential = Some(v);
        } else if let Some(v) = part.strip_prefix("SignedHeaders=") {
            signed = Some(v);
        } else if let Some(v) = part.strip_prefix("Signature=") {
            signature = Some(v);
        }
    }
    let missing = |name: &str| {
        Failure::client(
            "IncompleteSignatureException",
            format!("Authorization header requires '{name}' parameter. Authorization={header}"),
        )
    };
    let credential = credential.ok_or_else(|| missing("Credential"))?;
    let signed = signed.ok_or_else(|| missing("SignedHeaders"))?;
    let signature = signature.ok_or_else(|| missing("Signature"))?;
    let scope: Vec<&str> = credential.split('/').collect();
    let [
        access_key_id,
        scope_date,
        scope_region,
        scope_service,
        "aws4_request",
    ] = scope[..]
    else {
        return Err(incomplete(&format!(
            "has a malformed Credential '{credential}': expected <key id>/<date>/<region>/<service>/aws4_request"
        )));
    };
    Ok(Authorization {
        access_key_id,
        scope_date,
        scope_region,
        scope_service,
        signed_headers: signed.split(';').collect(),
        signature,
    })
}

/// The signature the client must have sent, computed with `secret`.
fn signature(
    head: &Parts,
    body: &[u8],
    auth: &Authorization<'_>,
    amz_date: &str,
    date: OffsetDateTime,
    secret: &str,
    region: &str,
) -> String {
    let canonical = canonical_request(head, body, &auth.signed_headers);
    let scope = format!("{}/{region}/{SERVICE}/aws4_request", auth.scope_date);
    let string_to_sign = format!(
        "{ALGORITHM}\n{amz_date}\n{scope}\n{}",
        hex(&Sha256::digest(canonical.as_bytes()))
    );
    let time: SystemTime = date.into();
    let key = aws_sigv4::sign::v4::generate_signing_key(secret, time, region, SERVICE);
    aws_sigv4::sign::v4::calculate_signature(key, string_to_sign.as_bytes())
}

/// SigV4's canonical request: method, URI (each path segment encoded again,
/// as every service but S3 signs it), sorted query, the signed headers
/// (lower-case names, values trimmed and inner runs of spaces folded,
/// repeated headers joined by commas), their names, the body's SHA-256.
fn canonical_request(head: &Parts, body: &[u8], signed_headers: &[&str]) -> String {
    let path = head.uri.path();
    let uri = if path.is_empty() {
        "/".to_string()
    } else {
        encode(path, false)
    };
    let mut query: Vec<String> = head
        .uri
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => format!("{k}={v}"),
            None => format!("{p}="),
        })
        .collect();
    query.sort();
    let mut headers = String::new();
    for name in signed_headers {
        let values: Vec<String> = head
            .headers
            .get_all(*name)
            .iter()
            .map(|v| {
                String::from_utf8_lossy(v.as_bytes())
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        headers.push_str(name);
        headers.push(':');
        headers.push_str(&values.join(","));
        headers.push('\n');
    }
    format!(
        "{}\n{uri}\n{}\n{headers}\n{}\n{}",
        head.method,
        query.join("&"),
        signed_headers.join(";"),
        hex(&Sha256::digest(body))
    )
}

/// RFC 3986 encoding of everything but unreserved characters (and `/` in a
/// path).
fn encode(text: &str, slash: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b'/' if !slash => out.push('/'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Equal without a timing difference that tells how many leading bytes match.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// `20261207T081500Z`.
fn parse_amz_date(text: &str) -> Option<OffsetDateTime> {
    let format = format_description!("[year][month][day]T[hour][minute][second]Z");
    time::PrimitiveDateTime::parse(text, format)
        .ok()
        .map(|t| t.assume_utc())
}

pub(crate) fn format_amz_date(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// AWS's published example (the `get-vanilla` case of the SigV4 test
    /// suite): the same signature from our canonical request.
    #[test]
    fn aws_test_suite_get_vanilla() {
        let request = http::Request::builder()
            .method("GET")
            .uri("/")
            .header("host", "example.amazonaws.com")
            .header("x-amz-date", "20150830T123600Z")
            .body(())
            .unwrap();
        let (head, ()) = request.into_parts();
        let auth = Authorization {
            access_key_id: "AKIDEXAMPLE",
            scope_date: "20150830",
            scope_region: "us-east-1",
            scope_service: "service",
            signed_headers: vec!["host", "x-amz-date"],
            signature: "",
        };
        let canonical = canonical_request(&head, b"", &auth.signed_headers);
        assert_eq!(
            canonical,
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n\
             e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        let date = parse_amz_date("20150830T123600Z").unwrap();
        let string_to_sign = format!(
            "{ALGORITHM}\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n{}",
            hex(&Sha256::digest(canonical.as_bytes()))
        );
        let key = aws_sigv4::sign::v4::generate_signing_key(
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            date.into(),
            "us-east-1",
            "service",
        );
        assert_eq!(
            aws_sigv4::sign::v4::calculate_signature(key, string_to_sign.as_bytes()),
            "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
        );
    }

    #[test]
    fn authorization_parts_are_required() {
        let e = parse_authorization("AWS4-HMAC-SHA256 SignedHeaders=host, Signature=00")
            .err()
            .unwrap();
        assert_eq!(e.name, "IncompleteSignatureException");
        assert!(e.message.contains("'Credential'"), "{}", e.message);
        let e = parse_authorization("Basic dXNlcjpwYXNz").err().unwrap();
        assert_eq!(e.name, "IncompleteSignatureException");
    }

    #[test]
    fn equal_only_when_every_byte_is() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
