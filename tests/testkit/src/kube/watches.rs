//! Watches: newline-delimited watch events on a chunked body, from a resourceVersion
//! (replayed from the store's event history) or from now with synthetic ADDED events.
//!
//! In: the kind, namespace, selectors and watch parameters. Out: a streaming reply that
//! a background task feeds until the client leaves, `timeoutSeconds` passes or the
//! stand-in stops.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::Response;
use hyper::body::{Body, Frame};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::Shared;
use super::api::{ApiError, Query, Reply, full, ns_exists, selectors};
use super::store::Kind;

/// A body that yields what a background task sends (watch events, followed logs).
struct ChannelBody(mpsc::Receiver<Bytes>);

impl Body for ChannelBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        self.0.poll_recv(cx).map(|b| b.map(|b| Ok(Frame::data(b))))
    }
}

pub(super) fn stream_reply(content_type: &str, rx: mpsc::Receiver<Bytes>) -> Reply {
    Response::builder()
        .status(200)
        .header("content-type", content_type)
        .header("cache-control", "no-cache, private")
        .body(ChannelBody(rx).boxed())
        .unwrap_or_else(|_| Response::new(full("")))
}

fn watch_line(kind_of_change: &str, object: &Value) -> Bytes {
    let mut line = json!({"type": kind_of_change, "object": object}).to_string();
    line.push('\n');
    Bytes::from(line)
}

pub(super) fn watch(
    shared: Arc<Shared>,
    kind: Kind,
    ns: Option<String>,
    query: &Query,
) -> Result<Reply, ApiError> {
    let (labels, fields) = selectors(kind, query)?;
    {
        let store = shared.store();
        ns_exists(&store, kind, ns.as_deref())?;
    }
    let since: Option<u64> = match query.get("resourceVersion") {
        None | Some("") | Some("0") => None,
        Some(v) => Some(
            v.parse()
                .map_err(|_| ApiError::bad_request(format!("invalid resource version {v:?}")))?,
        ),
    };
    let initial = since.is_none() || query.flag("sendInitialEvents");
    let bookmark_after_initial = query.flag("sendInitialEvents");
    // The real server ends watches after a while; clients resume from the last version.
    let timeout = query.int("timeoutSeconds", 0)?.unwrap_or(1800) as u64;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(timeout);
    let (tx, rx) = mpsc::channel::<Bytes>(256);
    let matches = move |ev_kind: Kind, ev_ns: &str, obj: &Value| {
        ev_kind == kind
            && ns.as_deref().is_none_or(|n| n == ev_ns)
            && labels.matches(obj)
            && fields.matches(obj)
    };
    tokio::spawn(async move {
        let mut shutdown = shared.shutdown.clone();
        let (mut last, first) = {
            let store = shared.store();
            let mut first = Vec::new();
            if initial {
                for obj in store.list(kind, None) {
                    let obj_ns = obj.pointer("/metadata/namespace").and_then(Value::as_str);
                    if matches(kind, obj_ns.unwrap_or_default(), obj) {
                        first.push(watch_line("ADDED", obj));
                    }
                }
            }
            let rv = since.unwrap_or_else(|| store.resource_version());
            if bookmark_after_initial {
                let info = kind.info();
                first.push(watch_line(
                    "BOOKMARK",
                    &json!({"kind": info.kind, "apiVersion": info.api_version, "metadata": {
                        "resourceVersion": store.resource_version().to_string(),
                        "annotations": {"k8s.io/initial-events-end": "true"}}}),
                ));
            }
            (
                if initial {
                    store.resource_version()
                } else {
                    rv
                },
                first,
            )
        };
        for line in first {
            if tx.send(line).await.is_err() {
                return;
            }
        }
        loop {
            let notified = shared.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let events = shared.store().events_after(last);
            match events {
                Err(oldest) => {
                    let status = ApiError::new(
                        410,
                        "Expired",
                        format!("too old resource version: {last} ({oldest})"),
                    )
                    .to_status();
                    let _ = tx.send(watch_line("ERROR", &status)).await;
                    return;
                }
                Ok(events) if !events.is_empty() => {
                    for ev in events {
                        last = ev.rv;
                        if matches(ev.kind, &ev.namespace, &ev.object)
                            && tx
                                .send(watch_line(ev.kind_of_change, &ev.object))
                                .await
                                .is_err()
                        {
                            return;
                        }
                    }
                }
                Ok(_) => {
                    tokio::select! {
                        _ = &mut notified => {}
                        _ = tokio::time::sleep_until(deadline) => return,
                        _ = tx.closed() => return,
                        _ = shutdown.changed() => return,
                    }
                }
            }
        }
    });
    Ok(stream_reply("application/json", rx))
}
