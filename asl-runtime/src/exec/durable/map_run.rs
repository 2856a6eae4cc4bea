//! The store's side of a Map Run of a durable execution: the Map Run and (of
//! a STANDARD one) each child execution are rows of the store, every write
//! fenced on the parent (its owner and epoch), so a parent that lost its
//! claim can no longer start or end a child.

use super::*;
use crate::store::{ChildEnd, ChildStart, MapRunProgress};

/// A Map Run running in this process, registered for UpdateMapRun until it
/// drops.
pub(crate) struct LiveMapRun {
    durability: Arc<Durability>,
    arn: String,
    /// What UpdateMapRun changed last.
    pub(crate) changes: watch::Receiver<MapRunUpdate>,
}

impl Drop for LiveMapRun {
    fn drop(&mut self) {
        lock(&self.durability.map_runs).remove(&self.arn);
    }
}

impl Execution {
    /// Stores the Map Run `run` (fenced, with the events so far) unless it is
    /// stored: returns what is.
    pub(crate) async fn start_map_run(&self, run: &MapRunRecord) -> Result<MapRunRecord, Error> {
        let d = self.durable_side()?;
        d.store
            .start_map_run(self.pending_write(d), run)
            .await
            .map_err(store_error)
    }

    /// Runs Map Run `arn` again after a redrive (fenced, with the events so
    /// far): returns it as stored.
    pub(crate) async fn redrive_map_run(&self, arn: &str) -> Result<MapRunRecord, Error> {
        let d = self.durable_side()?;
        d.store
            .redrive_map_run(self.pending_write(d), arn, self.now())
            .await
            .map_err(store_error)
    }

    /// The last Map Run of this execution whose ARN starts with `prefix`
    /// (`...:mapRun:<machine>/<label>:`) if it ended unsuccessfully: a
    /// redrive runs it again.
    pub(crate) async fn failed_map_run(&self, prefix: &str) -> Result<Option<MapRunRecord>, Error> {
        let d = self.durable_side()?;
        let mut page = PageRequest {
            max_results: PageRequest::MAX,
            next_token: None,
        };
        loop {
            let runs = d
                .store
                .map_runs(&self.arn, &page)
                .await
                .map_err(store_error)?;
            if let Some(run) = runs.items.into_iter().find(|r| r.arn.starts_with(prefix)) {
                let failed = matches!(
                    run.status,
                    ExecutionStatus::Failed | ExecutionStatus::Aborted | ExecutionStatus::TimedOut
                );
                return Ok(failed.then_some(run));
            }
            match runs.next_token {
                Some(token) => page.next_token = Some(token),
                None => return Ok(None),
            }
        }
    }

    /// Stores a child as it starts (fenced).
    pub(crate) async fn start_child(&self, child: &ChildStart) -> Result<(), Error> {
        let d = self.durable_side()?;
        d.store
            .start_child(self.pending_write(d), child)
            .await
            .map_err(store_error)
    }

    /// Stores a child's end (fenced).
    pub(crate) async fn end_child(&self, child: &ChildEnd) -> Result<(), Error> {
        let d = self.durable_side()?;
        d.store
            .end_child(self.pending_write(d), child)
            .await
            .map_err(store_error)
    }

    /// Stores the Map Run's end with the events so far (fenced).
    pub(crate) async fn end_map_run(
        &self,
        arn: &str,
        status: ExecutionStatus,
        progress: &MapRunProgress,
    ) -> Result<(), Error> {
        let d = self.durable_side()?;
        d.store
            .end_map_run(self.pending_write(d), arn, status, self.now(), progress)
            .await
            .map_err(store_error)
    }

    /// Stores a running Map Run's progress with the events so far (fenced).
    pub(crate) async fn map_run_progress(
        &self,
        arn: &str,
        progress: &MapRunProgress,
    ) -> Result<(), Error> {
        let d = self.durable_side()?;
        d.store
            .map_run_progress(self.pending_write(d), arn, progress)
            .await
            .map_err(store_error)
    }

    /// The children of Map Run `arn` that ended before a crash, by index.
    pub(crate) async fn ended_children(
        &self,
        arn: &str,
    ) -> Result<HashMap<usize, ExecutionRecord>, Error> {
        let d = self.durable_side()?;
        let children = d.store.map_run_children(arn).await.map_err(store_error)?;
        Ok(children
            .into_iter()
            .map(|(index, record)| (index as usize, record))
            .collect())
    }

    /// Registers the running Map Run `arn` for UpdateMapRun's changes.
    pub(crate) fn live_map_run(&self, arn: &str) -> Option<LiveMapRun> {
        let durability = self.runtime.inner.durability.clone()?;
        let (changed, changes) = watch::channel(MapRunUpdate::default());
        lock(&durability.map_runs).insert(arn.to_string(), changed);
        Some(LiveMapRun {
            durability,
            arn: arn.to_string(),
            changes,
        })
    }

    fn durable_side(&self) -> Result<&Durable, Error> {
        self.durable
            .as_deref()
            .ok_or_else(|| Error::runtime("a recorded Map Run needs an execution store"))
    }
}

impl Runtime {
    /// DescribeMapRun: a Map Run of a STANDARD distributed Map, its children
    /// counted by status.
    pub async fn describe_map_run(&self, arn: &str) -> Result<MapRunRecord, ApiError> {
        Ok(self.durability()?.store().map_run(arn).await?)
    }

    /// ListMapRuns: the Map Runs execution `execution_arn` started, newest
    /// first, one page at a time.
    pub async fn list_map_runs(
        &self,
        execution_arn: &str,
        page: &PageRequest,
    ) -> Result<Page<MapRunRecord>, ApiError> {
        let store = self.durability()?.store();
        store.describe(execution_arn).await?;
        Ok(store.map_runs(execution_arn, page).await?)
    }

    /// UpdateMapRun: `MaxConcurrency` (0: AWS's default) and the tolerated
    /// failures of a Map Run; a run in progress in this process applies
    /// them at once (one in another process, when it is resumed).
    pub async fn update_map_run(&self, arn: &str, update: &MapRunUpdate) -> Result<(), ApiError> {
        if let Some(p) = update.tolerated_failure_percentage
            && !(0.0..=100.0).contains(&p)
        {
            return Err(ApiError {
                name: "ValidationException".into(),
                message: format!("toleratedFailurePercentage {p} is not between 0 and 100"),
            });
        }
        let durability = self.durability()?;
        let run = durability.store().update_map_run(arn, update).await?;
        if let Some(live) = lock(&durability.map_runs).get(&run.arn) {
            live.send_replace(MapRunUpdate {
                max_concurrency: Some(run.max_concurrency),
                tolerated_failure_count: Some(run.tolerated_failure_count),
                tolerated_failure_percentage: Some(run.tolerated_failure_percentage),
            });
        }
        Ok(())
    }

    /// ListExecutions of a Map Run (`mapRunArn`): its children, newest
    /// first, optionally of one status, each with the number of items it
    /// processes (`itemCount`). An EXPRESS Map Run's children are no
    /// executions of the store: as AWS, ListExecutions does not list EXPRESS
    /// executions (`StateMachineTypeNotSupported`).
    pub async fn list_map_run_executions(
        &self,
        map_run_arn: &str,
        status: Option<ExecutionStatus>,
        page: &PageRequest,
    ) -> Result<Page<(ExecutionRecord, u64)>, ApiError> {
        let store = self.durability()?.store();
        if store.map_run(map_run_arn).await?.express {
            return Err(ApiError {
                name: "StateMachineTypeNotSupported".into(),
                message: "This operation is not supported by this type of state machine: \
                          the Map Run's children are EXPRESS executions"
                    .into(),
            });
        }
        Ok(store.map_run_executions(map_run_arn, status, page).await?)
    }

    /// The Map Run that started execution `arn` (DescribeExecution's
    /// `mapRunArn`), if one did.
    pub async fn execution_map_run(&self, arn: &str) -> Result<Option<String>, ApiError> {
        Ok(self.durability()?.store().parent_map_run(arn).await?)
    }
}
