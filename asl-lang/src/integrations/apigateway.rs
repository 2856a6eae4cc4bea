//! Amazon API Gateway: `apigateway:invoke`, a call of a deployed REST or
//! HTTP API, as AWS's page "Create API Gateway REST APIs with Step
//! Functions" gives it: the request is `https://<ApiEndpoint>/<Stage>/<Path>`
//! with `QueryParameters` and `Headers` (each name with a list of values),
//! `RequestBody` as JSON (for `PATCH`, `POST` and `PUT` only), null fields
//! left out unless `AllowNullValues` is true, and `AuthType` `NO_AUTH`,
//! `IAM_ROLE` or `RESOURCE_POLICY` (both signed with Signature Version 4 for
//! the service `execute-api`). The result is `{"Headers": {name: [values]},
//! "ResponseBody": <JSON, or the text>, "StatusCode": 200, "StatusText":
//! "OK"}`; an answer outside 2xx fails the task with `ApiGateway.<status>`
//! and the answer's body as cause, a call that gets no answer with
//! `ApiGateway.<Exception>`.

use super::{Iam, IamStatement, Pattern, Shape, Spec, Type, opt, req};

const S: Shape = Shape::Value(Type::String);

/// The HTTP methods `Method` takes.
pub const METHODS: &[&str] = &["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"];

/// The methods that send `RequestBody` ("`RequestBody` is only supported for
/// `PATCH`, `POST`, and `PUT` HTTP methods").
pub const BODY_METHODS: &[&str] = &["PATCH", "POST", "PUT"];

/// `AuthType`'s values; `NO_AUTH` when it is absent.
pub const AUTH_TYPES: &[&str] = &["NO_AUTH", "IAM_ROLE", "RESOURCE_POLICY"];

/// The service name requests are signed for.
pub const SIGNING_NAME: &str = "execute-api";

/// The prefix of the error names: `ApiGateway.404`, `ApiGateway.<Exception>`.
pub const ERROR_PREFIX: &str = "ApiGateway";

/// Header names Step Functions does not let a task send ("for security
/// considerations"), compared without regard to case.
pub const FORBIDDEN_HEADERS: &[&str] = &[
    "Authorization",
    "Connection",
    "Content-md5",
    "Expect",
    "Host",
    "Max-Forwards",
    "Proxy-Authenticate",
    "Server",
    "TE",
    "Transfer-Encoding",
    "Trailer",
    "Upgrade",
    "Via",
    "Www-Authenticate",
];

/// Prefixes of header names Step Functions does not let a task send.
pub const FORBIDDEN_HEADER_PREFIXES: &[&str] = &["X-Forwarded", "X-Amz", "X-Amzn"];

/// Is `name` a header a task may not send?
///
/// ```
/// use asl_lang::integrations::apigateway::forbidden_header;
/// assert!(forbidden_header("authorization"));
/// assert!(forbidden_header("X-Amz-Date"));
/// assert!(!forbidden_header("X-Request-Id"));
/// ```
pub fn forbidden_header(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    FORBIDDEN_HEADERS
        .iter()
        .any(|h| h.eq_ignore_ascii_case(name))
        || FORBIDDEN_HEADER_PREFIXES
            .iter()
            .any(|p| lower.starts_with(&p.to_ascii_lowercase()))
}

/// What is wrong with `endpoint` as an `ApiEndpoint` (the host name of an API
/// Gateway URL, `<api-id>.execute-api.<region>.amazonaws.com`), if anything:
/// a URL, a path or an empty name.
pub fn endpoint_problem(endpoint: &str) -> Option<&'static str> {
    if endpoint.is_empty() {
        Some("is empty")
    } else if endpoint.contains("://") {
        Some("is a URL, not a host name")
    } else if endpoint.contains(['/', '?', '#', ' ']) {
        Some("has a path or a query; put them in \"Path\" and \"QueryParameters\"")
    } else {
        None
    }
}

/// The API id of an API's host name (`abc123` of
/// `abc123.execute-api.eu-west-1.amazonaws.com`); `None` for another name
/// (a custom domain, whose base paths need not be stages).
///
/// ```
/// use asl_lang::integrations::apigateway::endpoint_api_id;
/// assert_eq!(endpoint_api_id("abc123.execute-api.eu-west-1.amazonaws.com"), Some("abc123"));
/// assert_eq!(endpoint_api_id("api.example.com"), None);
/// ```
pub fn endpoint_api_id(endpoint: &str) -> Option<&str> {
    endpoint_region(endpoint)?;
    endpoint.split('.').next().filter(|id| !id.is_empty())
}

/// The region of an API's host name (`abc123.execute-api.eu-west-1.amazonaws.com`).
pub fn endpoint_region(endpoint: &str) -> Option<&str> {
    let mut labels = endpoint.split('.');
    let (_, service, region) = (labels.next()?, labels.next()?, labels.next()?);
    (service == "execute-api" && !region.is_empty()).then_some(region)
}

pub(super) static INVOKE: Spec = Spec {
    name: "apigateway:invoke",
    feature: "apigateway",
    patterns: &[Pattern::RequestResponse, Pattern::WaitForTaskToken],
    request: &[
        req("ApiEndpoint", S),
        req("Method", Shape::Value(Type::Enum(METHODS))),
        opt("Headers", Shape::Value(Type::StringListMap)),
        opt("Stage", S),
        opt("Path", S),
        opt("QueryParameters", Shape::Value(Type::StringListMap)),
        opt("RequestBody", Shape::Value(Type::Any)),
        opt("AllowNullValues", Shape::Value(Type::Boolean)),
        opt("AuthType", Shape::Value(Type::Enum(AUTH_TYPES))),
    ],
    one_of: &[],
    result: "`{\"Headers\": {\"name\": [\"value\"]}, \"ResponseBody\": <JSON, or the text>, \"StatusCode\": 200, \"StatusText\": \"OK\"}`",
    error_prefix: ERROR_PREFIX,
    errors: &[
        "ApiGateway.403",
        "ApiGateway.404",
        "ApiGateway.500",
        "States.Runtime",
    ],
    // AWS's "IAM policies for Amazon API Gateway": execute-api:Invoke on
    // `arn:aws:execute-api:<region>:<account-id>:<api-id>/<stage-name>/
    // <HTTP-VERB>/<resource-path-specifier>`, each part known only at run
    // time (or absent) `*`; the account's APIs when the endpoint is not an
    // API's own host name (a custom domain) or is known only at run time.
    iam: Iam {
        statements: &[IamStatement {
            actions: &["execute-api:Invoke"],
            resource: &[
                "arn:{partition}:execute-api:{ApiEndpoint#api-region?}:{account}:{ApiEndpoint#api-id?}/{Stage*}/{Method*}/{Path#path*}",
                "arn:{partition}:execute-api:{region}:{account}:*",
            ],
            patterns: &[],
        }],
        pass_role_fields: &[],
        passed_to_service: None,
    },
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_are_host_names() {
        assert_eq!(
            endpoint_problem("abc123.execute-api.us-east-1.amazonaws.com"),
            None
        );
        assert!(endpoint_problem("https://abc123.execute-api.us-east-1.amazonaws.com").is_some());
        assert!(endpoint_problem("abc.execute-api.us-east-1.amazonaws.com/prod").is_some());
        assert!(endpoint_problem("").is_some());
        assert_eq!(
            endpoint_region("abc123.execute-api.eu-west-1.amazonaws.com"),
            Some("eu-west-1")
        );
        assert_eq!(endpoint_region("api.example.com"), None);
    }

    #[test]
    fn forbidden_headers_ignore_case() {
        for h in ["Host", "host", "X-Amzn-Trace-Id", "x-forwarded-for", "te"] {
            assert!(forbidden_header(h), "{h}");
        }
        for h in ["TaskToken", "Content-Type", "Accept", "X-Api-Key"] {
            assert!(!forbidden_header(h), "{h}");
        }
    }
}
