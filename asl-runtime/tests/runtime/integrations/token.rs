//! The EKS token, checked from the outside: decode a generated token and recompute its
//! SigV4 query signature by hand (HMAC-SHA256 chain over the canonical request) with
//! known credentials and a fixed clock.

use std::time::{Duration, SystemTime};

use asl_runtime::integrations::token::eks_token;
use aws_credential_types::Credentials;
use base64::Engine as _;
use sha2::{Digest, Sha256};

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut k = [0u8; 64];
    if key.len() > 64 {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(k.iter().map(|b| b ^ 0x36).collect::<Vec<_>>());
    inner.update(data);
    let mut outer = Sha256::new();
    outer.update(k.iter().map(|b| b ^ 0x5c).collect::<Vec<_>>());
    outer.update(inner.finalize());
    outer.finalize().to_vec()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Splits the presigned URL and recomputes its signature.
fn check(
    token: &str,
    secret: &str,
    cluster: &str,
    host: &str,
    region: &str,
) -> Vec<(String, String)> {
    let b64 = token.strip_prefix("k8s-aws-v1.").expect("prefix");
    let url = String::from_utf8(
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(b64)
            .unwrap(),
    )
    .unwrap();
    let (base, query) = url.split_once('?').unwrap();
    assert_eq!(base, format!("https://{host}/"));
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap();
            (k.to_owned(), v.to_owned())
        })
        .collect();
    let signature = pairs
        .iter()
        .find(|(k, _)| k == "X-Amz-Signature")
        .unwrap()
        .1
        .clone();
    let mut signed: Vec<(String, String)> = pairs
        .iter()
        .filter(|(k, _)| k != "X-Amz-Signature")
        .cloned()
        .collect();
    signed.sort();
    let canonical_query: Vec<String> = signed.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap()
    };
    let date = get("X-Amz-Date");
    assert_eq!(get("X-Amz-SignedHeaders"), "host%3Bx-k8s-aws-id");
    let canonical_request = format!(
        "GET\n/\n{}\nhost:{host}\nx-k8s-aws-id:{cluster}\n\nhost;x-k8s-aws-id\n{}",
        canonical_query.join("&"),
        hex(&Sha256::digest(b""))
    );
    let day = &date[..8];
    let scope = format!("{day}/{region}/sts/aws4_request");
    let string_to_sign = format!(
        "AWS4-HMAC-SHA256\n{date}\n{scope}\n{}",
        hex(&Sha256::digest(canonical_request.as_bytes()))
    );
    let k_date = hmac(format!("AWS4{secret}").as_bytes(), day.as_bytes());
    let k_region = hmac(&k_date, region.as_bytes());
    let k_service = hmac(&k_region, b"sts");
    let k_signing = hmac(&k_service, b"aws4_request");
    assert_eq!(
        hex(&hmac(&k_signing, string_to_sign.as_bytes())),
        signature,
        "signature recomputed by hand"
    );
    pairs.sort();
    pairs
}

#[test]
fn hmac_matches_rfc_4231_case_2() {
    assert_eq!(
        hex(&hmac(b"Jefe", b"what do ya want for nothing?")),
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    );
}

#[test]
fn eks_token_signature_recomputes_with_known_credentials_and_clock() {
    let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    let creds = Credentials::new("AKIDEXAMPLE", secret, None, None, "test");
    let time = SystemTime::UNIX_EPOCH + Duration::from_secs(1_440_938_160); // 2015-08-30T12:36:00Z
    let token = eks_token(
        &creds,
        "us-east-1",
        "https://sts.us-east-1.amazonaws.com",
        "MyCluster",
        time,
    )
    .unwrap();
    let pairs = check(
        token.expose(),
        secret,
        "MyCluster",
        "sts.us-east-1.amazonaws.com",
        "us-east-1",
    );
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(get("Action"), Some("GetCallerIdentity"));
    assert_eq!(get("Version"), Some("2011-06-15"));
    assert_eq!(get("X-Amz-Algorithm"), Some("AWS4-HMAC-SHA256"));
    assert_eq!(
        get("X-Amz-Credential"),
        Some("AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fsts%2Faws4_request")
    );
    assert_eq!(get("X-Amz-Date"), Some("20150830T123600Z"));
    assert_eq!(get("X-Amz-Expires"), Some("60"));
    assert_eq!(get("X-Amz-Security-Token"), None);
    // Same inputs, same token; another cluster name, another signature.
    let again = eks_token(
        &creds,
        "us-east-1",
        "https://sts.us-east-1.amazonaws.com",
        "MyCluster",
        time,
    )
    .unwrap();
    assert_eq!(again, token);
    let other = eks_token(
        &creds,
        "us-east-1",
        "https://sts.us-east-1.amazonaws.com",
        "Other",
        time,
    )
    .unwrap();
    assert_ne!(other, token);
    // A token never prints.
    assert_eq!(format!("{token:?}"), "<redacted>");
}

#[test]
fn session_tokens_are_signed_along_in_other_regions() {
    let secret = "secret/with+chars";
    let creds = Credentials::new(
        "ASIAEXAMPLE",
        secret,
        Some("FwoG/session+token=".into()),
        None,
        "test",
    );
    let time = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let token = eks_token(
        &creds,
        "eu-west-1",
        "https://sts.eu-west-1.amazonaws.com/",
        "prod-cluster",
        time,
    )
    .unwrap();
    let pairs = check(
        token.expose(),
        secret,
        "prod-cluster",
        "sts.eu-west-1.amazonaws.com",
        "eu-west-1",
    );
    let session = pairs
        .iter()
        .find(|(k, _)| k == "X-Amz-Security-Token")
        .map(|(_, v)| v.as_str());
    assert_eq!(session, Some("FwoG%2Fsession%2Btoken%3D"));
}
