//! What the end-to-end tests share: starting the sandbox, or skipping when moto is
//! not installed (outside CI; under `CI=true` a missing moto is a failure).

use asl::runtime::exec::{EventType, HistoryEvent};
use asl_examples::sandbox::Sandbox;

/// The states the sample enters when the Job prints pi.
pub const EXPECTED_PATH: [&str; 8] = [
    "Create an EKS cluster",
    "Create a node group",
    "Run a job on EKS",
    "Examine output",
    "Send expected result",
    "Delete job",
    "Delete node group",
    "Delete cluster",
];

/// The sandbox, or `None` (after printing a skip line) when moto is missing and CI
/// is not set.
pub async fn sandbox_or_skip(test: &str) -> Option<Sandbox> {
    if let Err(e) = asl_testkit::moto::find_moto_server() {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("{test}: moto is required under CI=true: {e}");
        }
        eprintln!("skipped {test}: {e}");
        return None;
    }
    Some(Sandbox::start().await.expect("the sandbox starts"))
}

/// The names of the states entered, in order.
pub fn states_entered(events: &[HistoryEvent]) -> Vec<String> {
    events
        .iter()
        .filter(|e| e.event_type.is_state_entered())
        .filter_map(|e| e.state_name.clone())
        .collect()
}

/// The output recorded when `state` was left.
pub fn state_output<'e>(events: &'e [HistoryEvent], state: &str) -> &'e serde_json::Value {
    events
        .iter()
        .find(|e| {
            e.event_type.as_str().ends_with("StateExited") && e.state_name.as_deref() == Some(state)
        })
        .map(|e| &e.details["output"])
        .unwrap_or_else(|| panic!("state {state} was not left"))
}

pub fn has_event(events: &[HistoryEvent], t: EventType) -> bool {
    events.iter().any(|e| e.event_type == t)
}
