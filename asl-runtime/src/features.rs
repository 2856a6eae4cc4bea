//! The Cargo feature of each family of integrations, checked where a workflow
//! is compiled: generated code writes `require_feature!("lambda", "...")` for
//! every built-in resource it calls, which is nothing when the feature is on
//! and a `compile_error!` naming the feature when it is off.

/// `require_feature!("<feature>", "<message>")`: nothing when `asl-runtime`
/// was built with the feature, `compile_error!(message)` otherwise.
#[doc(hidden)]
#[macro_export]
macro_rules! __require_feature {
    ("eks", $message:literal) => {
        $crate::__feature_eks!($message);
    };
    ("sns", $message:literal) => {
        $crate::__feature_sns!($message);
    };
    ("lambda", $message:literal) => {
        $crate::__feature_lambda!($message);
    };
    ("dynamodb", $message:literal) => {
        $crate::__feature_dynamodb!($message);
    };
    ("s3", $message:literal) => {
        $crate::__feature_s3!($message);
    };
    ("sqs", $message:literal) => {
        $crate::__feature_sqs!($message);
    };
    ("events", $message:literal) => {
        $crate::__feature_events!($message);
    };
    ("sfn", $message:literal) => {
        $crate::__feature_sfn!($message);
    };
    ("http", $message:literal) => {
        $crate::__feature_http!($message);
    };
    ("aws-sdk", $message:literal) => {
        $crate::__feature_aws_sdk!($message);
    };
    ("apigateway", $message:literal) => {
        $crate::__feature_apigateway!($message);
    };
    ($feature:literal, $message:literal) => {
        ::core::compile_error!($message);
    };
}

#[cfg(feature = "eks")]
#[doc(hidden)]
#[macro_export]
macro_rules! __feature_eks {
    ($message:literal) => {};
}

#[cfg(not(feature = "eks"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __feature_eks {
    ($message:literal) => {
        ::core::compile_error!($message);
    };
}

#[cfg(feature = "sns")]
#[doc(hidden)]
#[macro_export]
macro_rules! __feature_sns {
    ($message:literal) => {};
}

#[cfg(not(feature = "sns"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __feature_sns {
    ($message:literal) => {
        ::core::compile_error!($message);
    };
}

#[cfg(feature = "lambda")]
#[doc(hidden)]
#[macro_export]
macro_rules! __feature_lambda {
    ($message:literal) => {};
}

#[cfg(not(feature = "lambda"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __feature_lambda {
    ($message:literal) => {
        ::core::compile_error!($message);
    };
}

#[cfg(feature = "dynamodb")]
#[doc(hidden)]
#[macro_export]
macro_rules! __feature_dynamodb {
    ($message:literal) => {};
}

#[cfg(not(feature = "dynamodb"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __feature_dynamodb {
    ($message:literal) => {
        ::core::compile_error!($message);
    };
}

#[cfg(feature = "s3")]
#[doc(hidden)]
#[macro_export]
macro_rules! __feature_s3 {
    ($message:literal) => {};
}

#[cfg(not(feature = "s3"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __feature_s3 {
    ($message:literal) => {
        ::core::compile_error!($message);
    };
}

#[cfg(feature = "sqs")]
#[doc(hidden)]
#[macro_export]
macro_rules! __feature_sqs {
    ($message:literal) => {};
}

#[cfg(not(feature = "sqs"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __feature_sqs {
    ($message:literal) => {
        ::core::compile_error!($message);
    };
}

#[cfg(feature = "events")]
#[doc(hidden)]
#[macro_export]
macro_rules! __feature_events {
    ($message:literal) => {};
}

#[cfg(not(feature = "events"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __feature_events {
    ($message:literal) => {
        ::core::compile_error!($message);
    };
}

#[cfg(feature = "sfn")]
#[doc(hidden)]
#[macro_export]
macro_rules! __feature_sfn {
    ($message:literal) => {};
}

#[cfg(not(feature = "sfn"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __feature_sfn {
    ($message:literal) => {
        ::core::compile_error!($message);
    };
}

#[cfg(feature = "http")]
#[doc(hidden)]
#[macro_export]
macro_rules! __feature_http {
    ($message:literal) => {};
}

#[cfg(not(feature = "http"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __feature_http {
    ($message:literal) => {
        ::core::compile_error!($message);
    };
}

#[cfg(feature = "aws-sdk")]
#[doc(hidden)]
#[macro_export]
macro_rules! __feature_aws_sdk {
    ($message:literal) => {};
}

#[cfg(not(feature = "aws-sdk"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __feature_aws_sdk {
    ($message:literal) => {
        ::core::compile_error!($message);
    };
}

#[cfg(feature = "apigateway")]
#[doc(hidden)]
#[macro_export]
macro_rules! __feature_apigateway {
    ($message:literal) => {};
}

#[cfg(not(feature = "apigateway"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __feature_apigateway {
    ($message:literal) => {
        ::core::compile_error!($message);
    };
}

/// Is the feature of this family of integrations on?
pub fn enabled(feature: &str) -> bool {
    (feature == "eks" && cfg!(feature = "eks"))
        || (feature == "sns" && cfg!(feature = "sns"))
        || (feature == "lambda" && cfg!(feature = "lambda"))
        || (feature == "dynamodb" && cfg!(feature = "dynamodb"))
        || (feature == "s3" && cfg!(feature = "s3"))
        || (feature == "sqs" && cfg!(feature = "sqs"))
        || (feature == "events" && cfg!(feature = "events"))
        || (feature == "sfn" && cfg!(feature = "sfn"))
        || (feature == "http" && cfg!(feature = "http"))
        || (feature == "aws-sdk" && cfg!(feature = "aws-sdk"))
        || (feature == "apigateway" && cfg!(feature = "apigateway"))
}
