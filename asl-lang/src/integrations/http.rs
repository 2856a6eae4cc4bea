//! HTTPS APIs: `http:invoke`. The call is authorised by an EventBridge
//! connection (`Authentication.ConnectionArn`), whose credentials the runtime
//! is given; an answer outside 2xx is `States.Http.StatusCode.<code>`, a
//! connection that fails or times out `States.Http.Socket`.

use super::{Field, Iam, IamStatement, Pattern, Shape, Spec, Type, opt, req};

const S: Shape = Shape::Value(Type::String);
const CONNECTION: &[Field] = &[req("ConnectionArn", S)];

/// The HTTP methods the HTTP Task sends.
pub const METHODS: &[&str] = &["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"];

pub(super) static INVOKE: Spec = Spec {
    name: "http:invoke",
    feature: "http",
    patterns: &[Pattern::RequestResponse],
    request: &[
        req("ApiEndpoint", S),
        req("Method", Shape::Value(Type::Enum(METHODS))),
        opt("Authentication", Shape::Object(CONNECTION)),
        opt("InvocationConfig", Shape::Object(CONNECTION)),
        opt("Headers", Shape::Map),
        opt("QueryParameters", Shape::Map),
        opt("RequestBody", Shape::Value(Type::Any)),
        opt(
            "Transform",
            Shape::Object(&[
                opt(
                    "RequestBodyEncoding",
                    Shape::Value(Type::Enum(&["NONE", "URL_ENCODED"])),
                ),
                opt(
                    "RequestEncodingOptions",
                    Shape::Object(&[opt(
                        "ArrayFormat",
                        Shape::Value(Type::Enum(&["BRACKETS", "COMMAS", "REPEAT", "INDICES"])),
                    )]),
                ),
            ]),
        ),
    ],
    one_of: &[&["Authentication", "InvocationConfig"]],
    result: "`{\"Headers\": {\"name\": [\"value\"]}, \"ResponseBody\": <JSON, or the text>, \"StatusCode\": \"200\", \"StatusText\": \"OK\"}`",
    error_prefix: "States.Http",
    errors: &[
        "States.Http.StatusCode.400",
        "States.Http.StatusCode.404",
        "States.Http.StatusCode.500",
        "States.Http.Socket",
        "States.Runtime",
    ],
    // AWS's "IAM permissions to run an HTTP Task".
    iam: Iam {
        statements: &[
            IamStatement {
                actions: &["states:InvokeHTTPEndpoint"],
                resource: &["arn:{partition}:states:{region}:{account}:stateMachine:*"],
                patterns: &[],
            },
            IamStatement {
                actions: &["events:RetrieveConnectionCredentials"],
                resource: &["arn:{partition}:events:{region}:{account}:connection/*"],
                patterns: &[],
            },
            IamStatement {
                actions: &[
                    "secretsmanager:GetSecretValue",
                    "secretsmanager:DescribeSecret",
                ],
                resource: &["arn:{partition}:secretsmanager:*:*:secret:events!connection/*"],
                patterns: &[],
            },
        ],
        pass_role_fields: &[],
        passed_to_service: None,
    },
};
