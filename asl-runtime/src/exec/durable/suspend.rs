//! Suspensions: where a durable execution waits (a Wait state today; task
//! tokens, activities, child executions and Map Runs use the same table).
//!
//! A waiting point stores its [`Suspension`] (idempotently, by an id stable
//! across crashes: the same state, visit and attempt give the same id, so a
//! resumed execution finds the suspension, its token and its deadline where
//! it left them). Then it waits for the first of: an outcome delivered to it
//! ([`ExecutionStore::deliver`]), its deadline, its heartbeat deadline. A
//! top-level waiting point longer than the park threshold releases the
//! execution instead: it holds no memory until a runtime serving the workflow
//! claims it again, when it is due or an outcome makes it due.
//!
//! Wakeups are pushed, not polled: the store tells every runtime sharing it
//! which execution got an outcome (PostgreSQL's NOTIFY, or the process's own
//! deliveries), and each serving loop sleeps until the next parked execution
//! is due.

use tokio::sync::broadcast::error::RecvError;

use super::*;
use crate::store::{Outcome, Suspension};

/// Routes the store's wakeups: to the waiting point of an execution held
/// here, and to the serving loops (which claim what became due).
pub(super) fn ensure_waking(durability: &Arc<Durability>) {
    if durability.waking.swap(true, Ordering::AcqRel) {
        return;
    }
    let mut wakeups = durability.store().wakeups();
    let weak = Arc::downgrade(durability);
    tokio::spawn(async move {
        loop {
            let arn = match wakeups.recv().await {
                Ok(arn) => Some(arn).filter(|a| !a.is_empty()),
                Err(RecvError::Lagged(_)) => None,
                Err(RecvError::Closed) => return,
            };
            let Some(d) = weak.upgrade() else { return };
            {
                let running = lock(&d.running);
                match &arn {
                    Some(arn) => {
                        if let Some(held) = running.get(arn) {
                            held.wake.notify_waiters();
                        }
                    }
                    // Some may have been missed: every waiting point looks.
                    None => running.values().for_each(|h| h.wake.notify_waiters()),
                }
            }
            d.due.send_modify(|n| *n = n.wrapping_add(1));
        }
    });
}

/// Far enough: a parked execution with no deadline (AWS ends any execution
/// after a year).
const NO_DEADLINE: time::Duration = time::Duration::days(366);

impl Execution {
    /// The id of the waiting point of state `state` (entered as event
    /// `entered_id`) in attempt `attempt`: at the top level
    /// `State@entered#attempt`, the same after a resume; in a Map iteration or
    /// Parallel branch, the entry of the top-level state it runs in, its frame
    /// and the state's visit in it (`4:Outer/2/State@v1`), the same when the
    /// frame runs again after a crash, and new after a redrive (which enters
    /// the top-level state again).
    pub(crate) fn suspension_id(&self, state: &str, entered_id: u64, attempt: u32) -> String {
        let retry = if attempt > 0 {
            format!("#{attempt}")
        } else {
            String::new()
        };
        match (self.at_top(), self.durable.as_deref()) {
            (Some(_), _) | (None, None) => format!("{state}@{entered_id}{retry}"),
            (None, Some(d)) => {
                let frame = FRAME.try_with(|f| f.clone()).ok();
                let key = match frame {
                    Some(frame) => format!("{frame}/{state}"),
                    None => state.to_string(),
                };
                let visit = {
                    let mut visits = lock(&d.visits);
                    let n = visits.entry(key.clone()).or_insert(0);
                    *n += 1;
                    *n
                };
                let top = lock(&d.position).entered_event_id.unwrap_or_default();
                format!("{top}:{key}@v{visit}{retry}")
            }
        }
    }

    /// Waits at a durable waiting point until `suspension` (as stored: a
    /// resumed execution gets what it stored before) has an outcome: one
    /// delivered, or its deadline's. With `may_park`, a top-level wait longer
    /// than the park threshold releases the execution instead (an
    /// interruption: a runtime serving the workflow continues it here).
    pub(crate) async fn suspend(
        &self,
        suspension: Suspension,
        may_park: bool,
    ) -> Result<Outcome, Error> {
        let stored = self.store_suspension(suspension).await?;
        self.await_suspension(stored, may_park, |_| None).await
    }

    /// Stores `suspension` with the events so far (one fenced write), unless
    /// one with its id is stored: returns what is stored.
    pub(crate) async fn store_suspension(
        &self,
        suspension: Suspension,
    ) -> Result<Suspension, Error> {
        let Some(d) = self.durable.as_deref() else {
            return Err(Error::runtime("a suspension needs an execution store"));
        };
        let write = self.pending_write(d);
        d.store
            .suspend(write, suspension)
            .await
            .map_err(store_error)
    }

    /// Sets the details of the open suspension `id`, with the events so far
    /// (one fenced write).
    pub(crate) async fn annotate_suspension(&self, id: &str, details: &Value) -> Result<(), Error> {
        let Some(d) = self.durable.as_deref() else {
            return Ok(());
        };
        let write = self.pending_write(d);
        d.store
            .annotate(write, id, details)
            .await
            .map_err(store_error)
    }

    /// Closes the suspension `id` with `outcome` (the task failed before it
    /// could wait), unless it has one.
    pub(crate) async fn close_suspension(&self, id: &str, outcome: Outcome) -> Result<(), Error> {
        let Some(d) = self.durable.as_deref() else {
            return Ok(());
        };
        d.store
            .resolve(&self.arn, id, outcome, OffsetDateTime::now_utc())
            .await
            .map(|_| ())
            .map_err(store_error)
    }

    /// [`Self::suspend`] for a suspension already stored. `on_read` sees
    /// the suspension each time it is read again (woken before its
    /// outcome): what it returns is stored as its details, with the events
    /// recorded meanwhile (an activity task a worker took records
    /// `ActivityStarted`).
    pub(crate) async fn await_suspension(
        &self,
        mut stored: Suspension,
        may_park: bool,
        mut on_read: impl FnMut(&Suspension) -> Option<Value>,
    ) -> Result<Outcome, Error> {
        let Some(d) = self.durable.as_deref() else {
            return Err(Error::runtime("a suspension needs an execution store"));
        };
        // Listening before each read: a delivery that lands between a read
        // and the wait still wakes it (several waiting points of one
        // execution, Map iterations each on its own token, are all woken
        // and each reads its own).
        let delivered = stored.kind != SuspensionKind::Wait;
        let mut wake = Box::pin(d.wake.notified());
        wake.as_mut().enable();
        if delivered && stored.outcome.is_none() {
            stored = self.read_suspension(d, &stored, &mut on_read).await?;
        } else if let Some(details) = on_read(&stored) {
            // As stored (resumed with its outcome: an activity task a
            // worker took while the execution was parked).
            self.annotate_suspension(&stored.id, &details).await?;
            stored.details = details;
        }
        loop {
            if let Some(outcome) = stored.outcome.take() {
                return Ok(outcome);
            }
            let now = self.now();
            if let Some(expired) = stored.expired(now) {
                if !delivered {
                    // Nothing is delivered to a Wait: its deadline is its outcome.
                    return Ok(expired);
                }
                return d
                    .store
                    .resolve(&stored.arn, &stored.id, expired, OffsetDateTime::now_utc())
                    .await
                    .map_err(store_error);
            }
            let due = stored.due();
            let left = due.map(|due| due - now);
            let park_after = self.at_top().and_then(|d| d.park_after);
            if may_park
                && let Some(after) = park_after
                && left.is_none_or(|left| left > after)
            {
                let until = due.unwrap_or(OffsetDateTime::now_utc() + NO_DEADLINE);
                let park = Write {
                    park_until: Some(until),
                    park_on: Some(stored.id.clone()),
                    ..self.write_base(d)
                };
                d.store.write(park).await.map_err(store_error)?;
                return Err(Error::parked());
            }
            let sleep = left.map_or(Duration::MAX, |l| l.try_into().unwrap_or(Duration::ZERO));
            tokio::select! {
                () = tokio::time::sleep(sleep) => {}
                () = wake.as_mut() => {}
            }
            wake = Box::pin(d.wake.notified());
            wake.as_mut().enable();
            if !delivered {
                // Only its deadline ends a Wait: no need to read it again.
                continue;
            }
            stored = self.read_suspension(d, &stored, &mut on_read).await?;
        }
    }

    /// Reads `stored` again; `on_read`'s details, if any, are stored with
    /// the events recorded meanwhile.
    async fn read_suspension(
        &self,
        d: &Durable,
        stored: &Suspension,
        on_read: &mut impl FnMut(&Suspension) -> Option<Value>,
    ) -> Result<Suspension, Error> {
        match d.store.suspension(&stored.arn, &stored.id).await {
            Ok(Some(mut s)) => {
                if let Some(details) = on_read(&s) {
                    self.annotate_suspension(&s.id, &details).await?;
                    s.details = details;
                }
                Ok(s)
            }
            Ok(None) => Err(Error::runtime(format!(
                "the suspension {} of execution {} is gone from the store",
                stored.id, stored.arn
            ))),
            Err(e) => Err(store_error(e)),
        }
    }
}
