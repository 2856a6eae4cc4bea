//! Small workflows run end to end through `asl!`.

use asl::runtime::exec::Runtime;
use serde_json::json;

asl::asl!(Counter = "workflows/counter.asl.json");

#[tokio::test]
async fn counter_counts_to_n() {
    let runtime = Runtime::new();
    let out = Counter::run(&runtime, json!({"n": 5})).await.unwrap();
    assert_eq!(out, json!({"count": 5, "n": 5}));
}
