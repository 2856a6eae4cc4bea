//! Pod logs (`pods/{name}/log`): `container`, `tailLines`, `limitBytes`, `timestamps`,
//! `sinceSeconds`, `sinceTime`, `follow`, and the injectable failure (`asl-testkit/log-error`).
//!
//! In: the pod and the query. Out: the log as text/plain, streamed while the container
//! runs when `follow=true`, or a Status error.

use std::sync::Arc;

use bytes::Bytes;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::Shared;
use super::api::{ApiError, Query, Reply, ns_exists, str_at, text_reply};
use super::store::{Kind, LogKey, Store};
use super::watches::stream_reply;

/// Formats the selected lines of one container's log.
fn render_log(lines: &[(String, Vec<u8>)], timestamps: bool) -> Vec<u8> {
    let mut out = Vec::new();
    for (ts, line) in lines {
        if timestamps {
            out.extend_from_slice(ts.as_bytes());
            out.push(b' ');
        }
        out.extend_from_slice(line);
    }
    out
}

pub(super) async fn logs(
    shared: Arc<Shared>,
    ns: &str,
    name: &str,
    query: &Query,
) -> Result<Reply, ApiError> {
    let tail = query.int("tailLines", 0)?.map(|n| n as usize);
    let limit = query.int("limitBytes", 1)?.map(|n| n as usize);
    let since = query.int("sinceSeconds", 1)?;
    let since_time = match query.get("sinceTime").filter(|t| !t.is_empty()) {
        None => None,
        Some(t) => Some(
            time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339)
                .map_err(|e| ApiError::bad_request(format!("invalid sinceTime {t:?}: {e}")))?,
        ),
    };
    if since.is_some() && since_time.is_some() {
        return Err(ApiError::new(
            422,
            "Invalid",
            "PodLogOptions \"\" is invalid: []: Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified",
        ));
    }
    let timestamps = query.flag("timestamps");
    let follow = query.flag("follow");
    let key: LogKey = {
        let store = shared.store();
        ns_exists(&store, Kind::Pod, Some(ns))?;
        let pod = store
            .get(Kind::Pod, ns, name)
            .ok_or_else(|| ApiError::not_found(Kind::Pod, name))?;
        if str_at(pod, "/metadata/annotations/asl-testkit~1log-error") == Some("true") {
            return Err(ApiError::new(
                500,
                "InternalError",
                format!("Get \"https://127.0.0.1:10250/containerLogs/{ns}/{name}\": reading logs failed: the pod has the asl-testkit/log-error annotation"),
            )
            .with_details(json!({"causes": [{"message": "the pod has the asl-testkit/log-error annotation"}]})));
        }
        let names: Vec<String> = pod
            .pointer("/spec/containers")
            .and_then(Value::as_array)
            .map(|cs| {
                cs.iter()
                    .filter_map(|c| str_at(c, "/name").map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        let container = match query.get("container").filter(|c| !c.is_empty()) {
            Some(c) if names.iter().any(|n| n == c) => c.to_string(),
            Some(c) => {
                return Err(ApiError::bad_request(format!(
                    "container {c} is not valid for pod {name}"
                )));
            }
            None if names.len() == 1 => names[0].clone(),
            None => {
                return Err(ApiError::bad_request(format!(
                    "a container name must be specified for pod {name}, choose one of: [{}]",
                    names.join(" ")
                )));
            }
        };
        if query.flag("previous") {
            return Err(ApiError::bad_request(format!(
                "previous terminated container \"{container}\" in pod \"{name}\" not found"
            )));
        }
        let key = (ns.to_string(), name.to_string(), container.clone());
        if !store.logs.contains_key(&key) {
            return Err(ApiError::bad_request(format!(
                "container \"{container}\" in pod \"{name}\" is waiting to start: ContainerCreating"
            )));
        }
        key
    };
    let cutoff = since
        .map(|s| time::OffsetDateTime::now_utc() - time::Duration::seconds(s))
        .or(since_time);
    // Log lines carry RFC 3339 times with varying fractions: compare them as times.
    let after_cutoff = move |ts: &str| {
        cutoff.is_none_or(|c| {
            time::OffsetDateTime::parse(ts, &time::format_description::well_known::Rfc3339)
                .is_ok_and(|t| t >= c)
        })
    };
    // Which lines are selected now, and whether the container has finished.
    let snapshot = move |store: &Store| -> (Vec<(String, Vec<u8>)>, bool) {
        let Some(log) = store.logs.get(&key) else {
            return (Vec::new(), true);
        };
        let lines: Vec<(String, Vec<u8>)> = log
            .lines
            .iter()
            .filter(|(ts, _)| after_cutoff(ts))
            .cloned()
            .collect();
        (lines, log.finished)
    };
    let (lines, finished) = snapshot(&shared.store());
    let skip = tail.map(|t| lines.len().saturating_sub(t)).unwrap_or(0);
    let mut out = render_log(&lines[skip..], timestamps);
    if let Some(limit) = limit {
        out.truncate(limit);
    }
    if !follow || finished || limit.is_some_and(|l| out.len() >= l) {
        return Ok(text_reply(200, out));
    }
    // follow=true on a running container: send what there is, then each new line.
    let (tx, rx) = mpsc::channel::<Bytes>(64);
    let mut sent_bytes = out.len();
    let mut seen = lines.len();
    tokio::spawn(async move {
        if tx.send(Bytes::from(out)).await.is_err() {
            return;
        }
        let mut shutdown = shared.shutdown.clone();
        loop {
            let notified = shared.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let (lines, finished) = snapshot(&shared.store());
            if lines.len() > seen {
                let mut chunk = render_log(&lines[seen..], timestamps);
                seen = lines.len();
                if let Some(limit) = limit {
                    chunk.truncate(limit.saturating_sub(sent_bytes));
                }
                sent_bytes += chunk.len();
                if tx.send(Bytes::from(chunk)).await.is_err() {
                    return;
                }
                if limit.is_some_and(|l| sent_bytes >= l) {
                    return;
                }
            }
            if finished {
                return;
            }
            tokio::select! {
                _ = &mut notified => {}
                _ = tx.closed() => return,
                _ = shutdown.changed() => return,
            }
        }
    });
    Ok(stream_reply("text/plain", rx))
}
