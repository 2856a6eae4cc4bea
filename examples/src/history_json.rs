//! The execution history as JSON, shaped like AWS's `GetExecutionHistory`
//! answer: the runtime renders it ([`asl::runtime::exec::aws_history`]); this
//! is the sample's entry point for the events it collected live.
//!
//! As in AWS's answer, `input`, `output` and `parameters` are JSON text
//! (strings), so the file can be compared with `aws stepfunctions
//! get-execution-history`. No credential or token ever reaches the events.

use asl::runtime::exec::{HistoryEvent, aws_history};
use asl::runtime::store::StoredEvent;
use serde_json::Value;

/// Renders a whole history. `region` fills `taskScheduledEventDetails.region`.
pub fn to_json(events: &[HistoryEvent], region: &str) -> Value {
    let stored: Vec<StoredEvent> = events.iter().map(StoredEvent::from).collect();
    aws_history(&stored, region)
}
