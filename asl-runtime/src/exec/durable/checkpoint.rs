//! Checkpoints: what a durable execution writes as it runs (positions,
//! events, frames' progress, created resources) and what a resumed one reads
//! back.

use super::cleanup::delete_created;
use super::*;

impl Execution {
    /// Does this execution keep its transitions in a store?
    #[inline]
    pub fn durable(&self) -> bool {
        self.durable.is_some()
    }

    /// The durable side when states run at the top level (not inside a Map
    /// iteration or Parallel branch).
    pub(crate) fn at_top(&self) -> Option<&Durable> {
        self.durable
            .as_deref()
            .filter(|d| d.depth.load(Ordering::Relaxed) == 0)
    }

    /// Marks nested states running until the guard drops.
    pub(crate) fn nested(&self) -> Nested<'_> {
        let d = self.durable.as_deref();
        if let Some(d) = d {
            d.depth.fetch_add(1, Ordering::Relaxed);
        }
        Nested(d)
    }

    /// The driver moved to top-level state `state` with `input`: one write with
    /// the new position, the variables and the events since the last write.
    pub async fn checkpoint(
        &self,
        state: usize,
        input: &Value,
        variables: &Variables<'_>,
    ) -> Result<(), Error> {
        let name = self.info.states.get(state).copied().unwrap_or_default();
        let position = Position::at(name, input.clone(), variables.own_object());
        self.write_position(|p| *p = position, None, true).await
    }

    /// A write of the events recorded so far and the progress not yet written.
    pub(super) fn write_base(&self, d: &Durable) -> Write {
        Write {
            arn: self.arn.clone(),
            owner: Some(d.owner.clone()),
            epoch: d.epoch,
            events: self
                .recorder
                .take_captured()
                .into_iter()
                .map(stored_event)
                .collect(),
            next_event_id: self.recorder.next_id(),
            progress: std::mem::take(&mut *lock(&d.progress)),
            deleted: std::mem::take(&mut *lock(&d.deleted)),
            ..Write::default()
        }
    }

    /// Changes the top-level position without writing it: the next write
    /// carries it.
    pub(crate) fn change_position(&self, change: impl FnOnce(&mut Position)) {
        if let Some(d) = self.at_top() {
            change(&mut lock(&d.position));
            d.dirty.store(true, Ordering::Relaxed);
        }
    }

    /// A suspension this execution stored under `id`, if any.
    pub(crate) async fn stored_suspension(
        &self,
        id: &str,
    ) -> Result<Option<crate::store::Suspension>, Error> {
        match self.durable.as_deref() {
            Some(d) => d.store.suspension(&self.arn, id).await.map_err(store_error),
            None => Ok(None),
        }
    }

    /// Writes the events and progress so far, and the position after `change`.
    pub(crate) async fn flush(&self, change: impl FnOnce(&mut Position)) -> Result<(), Error> {
        self.write_position(change, None, false).await
    }

    /// Writes the events and progress so far (the position is unchanged: a
    /// Map's input is not written again per iteration).
    pub(crate) async fn flush_events(&self) -> Result<(), Error> {
        let Some(d) = self.durable.as_deref() else {
            return Ok(());
        };
        d.store
            .write(self.pending_write(d))
            .await
            .map_err(store_error)
    }

    /// [`Self::write_base`] with the position, when it changed since it was
    /// last written.
    pub(super) fn pending_write(&self, d: &Durable) -> Write {
        let position = d
            .dirty
            .swap(false, Ordering::Relaxed)
            .then(|| lock(&d.position).clone());
        Write {
            position,
            ..self.write_base(d)
        }
    }

    /// One write: the position after `change`, the events and progress so far;
    /// releasing the execution until `park_until`; with `left_state`, the
    /// position is a new state, and the old one's progress is dropped.
    async fn write_position(
        &self,
        change: impl FnOnce(&mut Position),
        park_until: Option<OffsetDateTime>,
        left_state: bool,
    ) -> Result<(), Error> {
        let Some(d) = self.durable.as_deref() else {
            return Ok(());
        };
        let position = {
            let mut p = lock(&d.position);
            change(&mut p);
            p.clone()
        };
        if left_state {
            lock(&d.progress).clear();
        }
        d.dirty.store(false, Ordering::Relaxed);
        let write = Write {
            position: Some(position),
            park_until,
            clear_progress: left_state,
            ..self.write_base(d)
        };
        d.store.write(write).await.map_err(store_error)
    }

    /// The first top-level state entered after a resume takes the stored
    /// position when it is that state.
    pub(crate) fn resumed_entry(&self, state: &str) -> Option<Position> {
        let d = self.at_top()?;
        let mut resume = lock(&d.resume);
        match resume.take() {
            Some(p) if p.state == state => Some(p),
            _ => None,
        }
    }

    /// A top-level state was entered (event `id`, at `time`).
    pub(crate) fn entered_at_top(&self, id: u64, time: OffsetDateTime) {
        if let Some(d) = self.at_top() {
            let mut p = lock(&d.position);
            p.entered_event_id = Some(id);
            p.entered_time = Some(time);
            p.retries.clear();
            d.dirty.store(true, Ordering::Relaxed);
        }
    }

    /// The frame of a Map or Parallel state named `state` in attempt
    /// `attempt`: at the top level its name; nested in another Map iteration
    /// or Parallel branch, the path to it (`Outer/2/Inner`, with `#n` for a
    /// retried attempt, so a retry does not reuse what an earlier one did).
    pub(crate) fn frame_of(&self, state: &str, attempt: u32) -> Option<Arc<str>> {
        self.durable.as_deref()?;
        let parent = FRAME.try_with(|f| f.clone()).ok();
        Some(match parent {
            None => Arc::from(state),
            Some(parent) if attempt == 0 => Arc::from(format!("{parent}/{state}")),
            Some(parent) => Arc::from(format!("{parent}/{state}#{attempt}")),
        })
    }

    /// Was this execution resumed (after a crash) or redriven in the
    /// top-level state it is in now? Then what its Map iterations and
    /// Parallel branches stored counts.
    pub(crate) fn resumed_here(&self) -> bool {
        self.durable
            .as_deref()
            .is_some_and(|d| d.resumed_state.as_deref() == Some(lock(&d.position).state.as_str()))
    }

    /// The outputs of the Map iterations / Parallel branches of `frame` that
    /// finished before a crash or redrive, when the execution was resumed in
    /// the top-level state they belong to. Taken once.
    pub(crate) async fn stored_progress(&self, frame: &str) -> HashMap<u64, Value> {
        let Some(d) = self.durable.as_deref() else {
            return HashMap::new();
        };
        if !self.resumed_here() {
            return HashMap::new();
        }
        let stored = d
            .stored
            .get_or_init(|| async {
                let mut frames: HashMap<String, HashMap<u64, Value>> = HashMap::new();
                match d.store.progress(&self.arn).await {
                    Ok(list) => {
                        for (frame, index, output) in list {
                            frames.entry(frame).or_default().insert(index, output);
                        }
                    }
                    Err(e) => {
                        tracing::warn!(target: "asl::store", execution = %self.arn, "cannot read the stored progress: {e}");
                    }
                }
                Mutex::new(frames)
            })
            .await;
        lock(stored).remove(frame).unwrap_or_default()
    }

    /// A Map iteration or Parallel branch `index` of `frame` finished.
    pub(crate) fn finished_part(&self, frame: &str, index: usize, output: &Value) {
        if let Some(d) = self.durable.as_deref() {
            lock(&d.progress).push((frame.to_string(), index as u64, output.clone()));
        }
    }

    /// Records a resource a Task created (see [`crate::task::TaskContext::created`]):
    /// in the store first for a durable execution (its `seq` is the store's),
    /// and in this execution's own list.
    pub(crate) async fn created(&self, kind: &str, id: Value) -> Result<(), Error> {
        let stored = match self.durable.as_deref() {
            Some(d) => Some(
                d.store
                    .record_created(&self.arn, kind, &id)
                    .await
                    .map_err(store_error)?,
            ),
            None => None,
        };
        let mut created = lock(&self.created);
        let seq = stored.unwrap_or(created.len() as u64 + 1);
        created.push(CreatedResource {
            seq,
            kind: kind.to_string(),
            id,
            deleted: false,
        });
        Ok(())
    }

    /// What the execution created: the store's list for a durable execution
    /// (it includes what a process before this one created), this execution's
    /// own list otherwise or when the store cannot be read.
    async fn created_resources(&self) -> Vec<CreatedResource> {
        if let Some(d) = self.durable.as_deref()
            && let Ok(list) = d.store.created(&self.arn).await
        {
            return list;
        }
        lock(&self.created).clone()
    }

    /// Did this execution record resource `kind`/`id` as created?
    pub(crate) async fn was_created(&self, kind: &str, id: &Value) -> bool {
        self.created_resources()
            .await
            .iter()
            .any(|r| r.kind == kind && &r.id == id)
    }

    /// The End write: how the execution ended, with its last events.
    pub(crate) async fn write_end(&self, end: End) -> Result<(), Error> {
        let Some(d) = self.durable.as_deref() else {
            return Ok(());
        };
        let write = Write {
            end: Some(end),
            ..self.write_base(d)
        };
        d.store.write(write).await.map_err(store_error)
    }

    /// Deletes what the execution created and still exists, newest first, each
    /// waited for; records `ResourceDeleted` / `ResourceDeletionFailed` (a
    /// durable execution writes them, and which resources are gone, with its
    /// next write). Returns what was deleted.
    pub async fn clean_up(&self) -> Vec<CreatedResource> {
        let resources = self.created_resources().await;
        let (events, deleted) = delete_created(&self.runtime, resources).await;
        for (event, details) in events {
            self.record(event, None, details);
        }
        if let Some(d) = self.durable.as_deref() {
            lock(&d.deleted).extend(deleted.iter().map(|r| r.seq));
        }
        deleted
    }
}
