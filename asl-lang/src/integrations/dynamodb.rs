//! Amazon DynamoDB: the optimized `dynamodb:getItem`, `putItem`, `updateItem`,
//! `deleteItem` (errors `DynamoDB.<Exception>`), and the SDK integrations
//! `aws-sdk:dynamodb:query`, `scan`, `batchGetItem`, `batchWriteItem`,
//! `transactWriteItems` (errors `DynamoDb.<Exception>`, as AWS names SDK
//! integration errors). Requests and results are DynamoDB's own JSON: attribute
//! values typed (`{"S": "..."}`, `{"N": "1"}`), keys PascalCase.

use super::{Field, Iam, IamStatement, Pattern, Shape, Spec, Type, opt, req};

const S: Shape = Shape::Value(Type::String);
const N: Shape = Shape::Value(Type::Number);
const B: Shape = Shape::Value(Type::Boolean);
const M: Shape = Shape::Map;
const CAPACITY: Shape = Shape::Value(Type::Enum(&["INDEXES", "TOTAL", "NONE"]));
const METRICS: Shape = Shape::Value(Type::Enum(&["SIZE", "NONE"]));
const RETURN_VALUES: Shape = Shape::Value(Type::Enum(&[
    "NONE",
    "ALL_OLD",
    "UPDATED_OLD",
    "ALL_NEW",
    "UPDATED_NEW",
]));
const ON_CONDITION: Shape = Shape::Value(Type::Enum(&["ALL_OLD", "NONE"]));
const OPERATOR: Shape = Shape::Value(Type::Enum(&["AND", "OR"]));
const SELECT: Shape = Shape::Value(Type::Enum(&[
    "ALL_ATTRIBUTES",
    "ALL_PROJECTED_ATTRIBUTES",
    "SPECIFIC_ATTRIBUTES",
    "COUNT",
]));

const ERRORS: &[&str] = &[
    "DynamoDB.ConditionalCheckFailedException",
    "DynamoDB.ProvisionedThroughputExceededException",
    "DynamoDB.ResourceNotFoundException",
    "DynamoDB.ItemCollectionSizeLimitExceededException",
    "DynamoDB.TransactionConflictException",
    "DynamoDB.RequestLimitExceeded",
    "DynamoDB.InternalServerErrorException",
    "DynamoDB.AmazonDynamoDBException",
    "States.TaskFailed",
];

const SDK_ERRORS: &[&str] = &[
    "DynamoDb.ResourceNotFoundException",
    "DynamoDb.ProvisionedThroughputExceededException",
    "DynamoDb.TransactionCanceledException",
    "DynamoDb.ValidationException",
    "DynamoDb.InternalServerErrorException",
    "States.TaskFailed",
];

/// `actions` on the table (AWS's "IAM policies for Amazon DynamoDB").
macro_rules! on_table {
    ($($action:literal),+) => {
        Iam {
            statements: &[IamStatement {
                actions: &[$($action),+],
                resource: &["arn:{partition}:dynamodb:{region}:{account}:table/{TableName}", "*"],
                patterns: &[],
            }],
            pass_role_fields: &[],
            passed_to_service: None,
        }
    };
}

/// `actions` on every table: the request names its tables in keys.
macro_rules! on_tables {
    ($($action:literal),+) => {
        Iam {
            statements: &[IamStatement {
                actions: &[$($action),+],
                resource: &["arn:{partition}:dynamodb:{region}:{account}:table/*"],
                patterns: &[],
            }],
            pass_role_fields: &[],
            passed_to_service: None,
        }
    };
}

const fn item_api(
    name: &'static str,
    request: &'static [Field],
    result: &'static str,
    errors: &'static [&'static str],
    iam: Iam,
) -> Spec {
    Spec {
        name,
        feature: "dynamodb",
        patterns: &[Pattern::RequestResponse],
        request,
        one_of: &[],
        result,
        // The optimized integration says `DynamoDB.`, the SDK one `DynamoDb.`.
        error_prefix: if name.as_bytes()[0] == b'd' {
            "DynamoDB"
        } else {
            "DynamoDb"
        },
        errors,
        iam,
    }
}

pub(super) static GET_ITEM: Spec = item_api(
    "dynamodb:getItem",
    &[
        req("TableName", S),
        req("Key", M),
        opt("AttributesToGet", Shape::Value(Type::StringList)),
        opt("ConsistentRead", B),
        opt("ExpressionAttributeNames", M),
        opt("ProjectionExpression", S),
        opt("ReturnConsumedCapacity", CAPACITY),
    ],
    "`{\"Item\": {\"attr\": {\"S\": \"...\"}}}` (no `Item` when there is none)",
    ERRORS,
    on_table!("dynamodb:GetItem"),
);

/// A write's fields: `$head` and what PutItem, UpdateItem and DeleteItem share.
macro_rules! write_fields {
    ($($head:expr),+ $(,)?) => {
        &[
            $($head,)+
            opt("ConditionExpression", S),
            opt("ConditionalOperator", OPERATOR),
            opt("Expected", M),
            opt("ExpressionAttributeNames", M),
            opt("ExpressionAttributeValues", M),
            opt("ReturnConsumedCapacity", CAPACITY),
            opt("ReturnItemCollectionMetrics", METRICS),
            opt("ReturnValues", RETURN_VALUES),
            opt("ReturnValuesOnConditionCheckFailure", ON_CONDITION),
        ]
    };
}

pub(super) static PUT_ITEM: Spec = item_api(
    "dynamodb:putItem",
    write_fields![req("TableName", S), req("Item", M)],
    "`{}`, or `{\"Attributes\": {...}}` with `ReturnValues: ALL_OLD`",
    ERRORS,
    on_table!("dynamodb:PutItem"),
);

pub(super) static UPDATE_ITEM: Spec = item_api(
    "dynamodb:updateItem",
    write_fields![
        req("TableName", S),
        req("Key", M),
        opt("AttributeUpdates", M),
        opt("UpdateExpression", S),
    ],
    "`{}`, or `{\"Attributes\": {...}}` with `ReturnValues`",
    ERRORS,
    on_table!("dynamodb:UpdateItem"),
);

pub(super) static DELETE_ITEM: Spec = item_api(
    "dynamodb:deleteItem",
    write_fields![req("TableName", S), req("Key", M)],
    "`{}`, or `{\"Attributes\": {...}}` with `ReturnValues: ALL_OLD`",
    ERRORS,
    on_table!("dynamodb:DeleteItem"),
);

pub(super) static QUERY: Spec = item_api(
    "aws-sdk:dynamodb:query",
    &[
        req("TableName", S),
        opt("IndexName", S),
        opt("Select", SELECT),
        opt("AttributesToGet", Shape::Value(Type::StringList)),
        opt("Limit", N),
        opt("ConsistentRead", B),
        opt("KeyConditions", M),
        opt("QueryFilter", M),
        opt("ConditionalOperator", OPERATOR),
        opt("ScanIndexForward", B),
        opt("ExclusiveStartKey", M),
        opt("ReturnConsumedCapacity", CAPACITY),
        opt("ProjectionExpression", S),
        opt("FilterExpression", S),
        opt("KeyConditionExpression", S),
        opt("ExpressionAttributeNames", M),
        opt("ExpressionAttributeValues", M),
    ],
    "`{\"Count\": n, \"Items\": [...], \"ScannedCount\": n, \"LastEvaluatedKey\": {...}}`",
    SDK_ERRORS,
    on_table!("dynamodb:Query"),
);

pub(super) static SCAN: Spec = item_api(
    "aws-sdk:dynamodb:scan",
    &[
        req("TableName", S),
        opt("IndexName", S),
        opt("AttributesToGet", Shape::Value(Type::StringList)),
        opt("Limit", N),
        opt("Select", SELECT),
        opt("ScanFilter", M),
        opt("ConditionalOperator", OPERATOR),
        opt("ExclusiveStartKey", M),
        opt("ReturnConsumedCapacity", CAPACITY),
        opt("TotalSegments", N),
        opt("Segment", N),
        opt("ProjectionExpression", S),
        opt("FilterExpression", S),
        opt("ExpressionAttributeNames", M),
        opt("ExpressionAttributeValues", M),
        opt("ConsistentRead", B),
    ],
    "`{\"Count\": n, \"Items\": [...], \"ScannedCount\": n, \"LastEvaluatedKey\": {...}}`",
    SDK_ERRORS,
    on_table!("dynamodb:Scan"),
);

pub(super) static BATCH_GET_ITEM: Spec = item_api(
    "aws-sdk:dynamodb:batchGetItem",
    &[
        req("RequestItems", M),
        opt("ReturnConsumedCapacity", CAPACITY),
    ],
    "`{\"Responses\": {\"table\": [...]}, \"UnprocessedKeys\": {}}`",
    SDK_ERRORS,
    on_tables!("dynamodb:BatchGetItem"),
);

pub(super) static BATCH_WRITE_ITEM: Spec = item_api(
    "aws-sdk:dynamodb:batchWriteItem",
    &[
        req("RequestItems", M),
        opt("ReturnConsumedCapacity", CAPACITY),
        opt("ReturnItemCollectionMetrics", METRICS),
    ],
    "`{\"UnprocessedItems\": {}}`",
    SDK_ERRORS,
    on_tables!("dynamodb:BatchWriteItem"),
);

pub(super) static TRANSACT_WRITE_ITEMS: Spec = item_api(
    "aws-sdk:dynamodb:transactWriteItems",
    &[
        req("TransactItems", Shape::Value(Type::Any)),
        opt("ReturnConsumedCapacity", CAPACITY),
        opt("ReturnItemCollectionMetrics", METRICS),
        opt("ClientRequestToken", S),
    ],
    "`{}` (with `ConsumedCapacity`/`ItemCollectionMetrics` when asked)",
    SDK_ERRORS,
    on_tables!(
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
        "dynamodb:ConditionCheckItem"
    ),
);
