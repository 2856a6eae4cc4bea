//! Bearer-token policy: which `Authorization` headers the stand-in accepts.
//!
//! In: the request's `Authorization` header and the [`TokenPolicy`]. Out: full access,
//! read-only access (writes answer 403, like an RBAC denial), full access without
//! the watch verb (watches answer 403), or none (401).
//!
//! EKS-style tokens are checked for shape, never sent to AWS: `k8s-aws-v1.` followed by
//! unpadded base64url of a presigned STS URL that is `https`, has
//! `Action=GetCallerIdentity`, an `X-Amz-Signature`, `x-k8s-aws-id` among
//! `X-Amz-SignedHeaders`, and an `X-Amz-Date` no older than 15 minutes (as
//! aws-iam-authenticator requires). The signature itself and the STS host are not
//! checked: the stand-in holds no AWS secret.

use base64::Engine;
use time::{
    OffsetDateTime, PrimitiveDateTime, format_description::FormatItem, macros::format_description,
};

/// What tokens are accepted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TokenPolicy {
    /// Tokens with every right.
    pub tokens: Vec<String>,
    /// Tokens that may read (GET, HEAD, list, watch, logs) but not write.
    pub read_only_tokens: Vec<String>,
    /// Tokens with every right but the `watch` verb (a least-privilege Role that
    /// grants get, list, create and delete): a watch answers 403.
    pub no_watch_tokens: Vec<String>,
    /// Accept any well-formed EKS token (see the module docs) with every right.
    pub accept_eks_tokens: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Full,
    /// Full, but a watch is forbidden.
    NoWatch,
    ReadOnly,
    None,
}

/// How long an EKS token is valid after its X-Amz-Date.
const EKS_TOKEN_LIFETIME: time::Duration = time::Duration::minutes(15);
const AMZ_DATE: &[FormatItem<'static>] =
    format_description!("[year][month][day]T[hour][minute][second]Z");

impl TokenPolicy {
    /// The access an `Authorization` header grants. EKS tokens signed with an access key
    /// id in `read_only_access_keys` get read-only access, like an IAM identity that
    /// the cluster's RBAC lets only view.
    pub fn access(&self, authorization: Option<&str>, read_only_access_keys: &[String]) -> Access {
        let Some(token) = authorization.and_then(|h| {
            let (scheme, token) = h.split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        }) else {
            return Access::None;
        };
        if self.tokens.iter().any(|t| t == token) {
            Access::Full
        } else if self.no_watch_tokens.iter().any(|t| t == token) {
            Access::NoWatch
        } else if self.read_only_tokens.iter().any(|t| t == token) {
            Access::ReadOnly
        } else if self.accept_eks_tokens {
            match check_eks_token(token, OffsetDateTime::now_utc()) {
                Ok(key) if read_only_access_keys.contains(&key) => Access::ReadOnly,
                Ok(_) => Access::Full,
                Err(_) => Access::None,
            }
        } else {
            Access::None
        }
    }
}

/// Checks an EKS token's shape at time `now`; gives the access key id that signed it
/// (from `X-Amz-Credential`), or says what is wrong.
pub fn check_eks_token(token: &str, now: OffsetDateTime) -> Result<String, String> {
    let encoded = token
        .strip_prefix("k8s-aws-v1.")
        .ok_or("token does not start with k8s-aws-v1.")?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(encoded.trim_end_matches('='))
        .map_err(|e| format!("token is not base64url: {e}"))?;
    let url = String::from_utf8(bytes).map_err(|_| "token does not decode to text")?;
    let rest = url
        .strip_prefix("https://")
        .ok_or("presigned URL is not https")?;
    let query = rest
        .split_once('?')
        .map(|(_, q)| q)
        .ok_or("presigned URL has no query")?;
    let params: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let get = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    };
    if get("Action") != Some("GetCallerIdentity") {
        return Err("presigned URL is not Action=GetCallerIdentity".into());
    }
    if get("X-Amz-Signature").is_none_or(str::is_empty) {
        return Err("presigned URL has no X-Amz-Signature".into());
    }
    let signed = get("X-Amz-SignedHeaders").unwrap_or_default();
    if !signed
        .split(';')
        .any(|h| h.eq_ignore_ascii_case("x-k8s-aws-id"))
    {
        return Err("x-k8s-aws-id is not among X-Amz-SignedHeaders".into());
    }
    let date = get("X-Amz-Date").ok_or("presigned URL has no X-Amz-Date")?;
    let date = PrimitiveDateTime::parse(date, AMZ_DATE)
        .map_err(|e| format!("bad X-Amz-Date {date:?}: {e}"))?
        .assume_utc();
    if now > date + EKS_TOKEN_LIFETIME {
        return Err("token expired".into());
    }
    let credential = get("X-Amz-Credential").ok_or("presigned URL has no X-Amz-Credential")?;
    let key = credential.split('/').next().unwrap_or_default();
    if key.is_empty() {
        return Err("X-Amz-Credential names no access key".into());
    }
    Ok(key.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn token(url: &str) -> String {
        format!(
            "k8s-aws-v1.{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(url)
        )
    }

    const GOOD: &str = "https://sts.us-east-1.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20260101%2Fus-east-1%2Fsts%2Faws4_request&X-Amz-Date=20260101T000000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host%3Bx-k8s-aws-id&X-Amz-Signature=abc123";

    #[test]
    fn accepts_well_formed_eks_tokens_within_their_lifetime() {
        let now = datetime!(2026-01-01 00:10 UTC);
        assert_eq!(check_eks_token(&token(GOOD), now), Ok("AKID".to_string()));
        assert!(check_eks_token(&token(GOOD), datetime!(2026-01-01 00:16 UTC)).is_err());
        for bad in [
            GOOD.replace("https://", "http://"),
            GOOD.replace("GetCallerIdentity", "AssumeRole"),
            GOOD.replace("&X-Amz-Signature=abc123", ""),
            GOOD.replace("%3Bx-k8s-aws-id", ""),
            GOOD.replace("X-Amz-Credential=AKID", "X-Amz-Credential="),
        ] {
            assert!(check_eks_token(&token(&bad), now).is_err(), "{bad}");
        }
        assert!(check_eks_token("k8s-aws-v1.!!!", now).is_err());
        assert!(check_eks_token(&GOOD.replace("k8s", ""), now).is_err());
    }

    #[test]
    fn policy() {
        let p = TokenPolicy {
            tokens: vec!["full".into()],
            read_only_tokens: vec!["ro".into()],
            no_watch_tokens: vec![],
            accept_eks_tokens: false,
        };
        assert_eq!(p.access(Some("Bearer full"), &[]), Access::Full);
        assert_eq!(p.access(Some("bearer ro"), &[]), Access::ReadOnly);
        assert_eq!(p.access(Some("Bearer nope"), &[]), Access::None);
        assert_eq!(p.access(Some("Basic full"), &[]), Access::None);
        assert_eq!(p.access(None, &[]), Access::None);
        assert_eq!(
            p.access(Some(&format!("Bearer {}", token(GOOD))), &[]),
            Access::None
        );
        let eks = TokenPolicy {
            accept_eks_tokens: true,
            ..TokenPolicy::default()
        };
        let today = OffsetDateTime::now_utc().format(AMZ_DATE).unwrap();
        let header = format!(
            "Bearer {}",
            token(&GOOD.replace("20260101T000000Z", &today))
        );
        assert_eq!(eks.access(Some(&header), &[]), Access::Full);
        assert_eq!(
            eks.access(Some(&header), &["AKID".to_string()]),
            Access::ReadOnly
        );
    }
}
