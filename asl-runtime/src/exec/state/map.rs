//! Map and Parallel states: items, concurrency, tolerated failures, results in
//! item order, branches.

use std::borrow::Cow;

use super::*;

/// Tolerated failures of a Map state.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Tolerance {
    pub count: Option<u64>,
    pub percentage: Option<f64>,
}

impl Tolerance {
    /// No `ToleratedFailureCount` nor `ToleratedFailurePercentage`.
    pub(crate) fn is_none(&self) -> bool {
        self.count.is_none() && self.percentage.is_none()
    }

    /// [`Self::exceeded`] while the total is not known yet (a reader still
    /// reads): a percentage cannot be over until it is.
    pub(crate) fn exceeded_so_far(&self, failures: usize, total: Option<usize>) -> bool {
        match total {
            Some(total) => self.exceeded(failures, total),
            None if self.percentage.is_some() => false,
            None => self.exceeded(failures, usize::MAX),
        }
    }

    pub(crate) fn exceeded(&self, failures: usize, total: usize) -> bool {
        if self.count.is_none() && self.percentage.is_none() {
            return failures > 0;
        }
        let over_count = self.count.is_none_or(|c| failures as u64 > c);
        let over_percentage = self
            .percentage
            .is_none_or(|p| total == 0 || (failures as f64) * 100.0 / (total as f64) > p);
        over_count && over_percentage
    }
}

/// One batch of items as its child execution receives it.
fn batch(batch_input: &Option<Value>, items: Vec<Value>) -> Value {
    let mut m = Map::with_capacity(2);
    if let Some(input) = batch_input {
        m.insert("BatchInput".into(), input.clone());
    }
    m.insert("Items".into(), Value::Array(items));
    Value::Object(m)
}

/// A `...Path` field that must hold a positive integer (read from its
/// text, as [`Error::path_integer`] does).
fn positive_integer(field: &str, value: Option<&Value>, path: &str) -> Result<u64, Error> {
    match Error::path_integer(field, value, path)? {
        n if n > 0 => Ok(n as u64),
        _ => Err(Error::path_value(field, value, "positive integer", path)),
    }
}

/// A boxed future of one Parallel branch; one box per branch per run, not per
/// transition.
pub type BranchFuture<'a> = Pin<Box<dyn Future<Output = Result<Value, Error>> + Send + 'a>>;

impl<'e> StateRun<'e> {
    /// This Map's or Parallel's frame in a durable execution, and what a
    /// resumed one had stored under it (iteration or branch index -> output).
    async fn frame(
        &self,
    ) -> (
        Option<std::sync::Arc<str>>,
        std::collections::HashMap<u64, Value>,
    ) {
        let frame = self
            .exec
            .frame_of(self.info.name, self.retry_count.load(Ordering::Relaxed));
        let finished = match &frame {
            Some(frame) => self.exec.stored_progress(frame).await,
            None => Default::default(),
        };
        (frame, finished)
    }

    /// `MaxConcurrencyPath`: a non-negative integer (0: no limit), read from
    /// the value's text ([`Error::path_integer`]: AWS takes `"1"` too).
    pub fn max_concurrency_path(&self, value: Option<&Value>, path: &str) -> Result<usize, Error> {
        match Error::path_integer("MaxConcurrencyPath", value, path)? {
            n if n < 0 => Err(Error::runtime(format!(
                "Expected non-negative integer for MaxConcurrency, got '{n}' instead."
            ))),
            n => Ok(usize::try_from(n).unwrap_or(usize::MAX)),
        }
    }

    /// `ToleratedFailureCountPath`: a non-negative integer, read from the
    /// value's text.
    pub fn tolerated_failure_count_path(
        &self,
        value: Option<&Value>,
        path: &str,
    ) -> Result<u64, Error> {
        match Error::path_integer("ToleratedFailureCountPath", value, path)? {
            n if n < 0 => Err(Error::runtime("ToleratedFailureCount cannot be negative.")),
            n => Ok(n as u64),
        }
    }

    /// `ToleratedFailurePercentagePath`: a float from 0 to 100, read from the
    /// value's text (a percentage is a float where a count is an integer).
    pub fn tolerated_failure_percentage_path(
        &self,
        value: Option<&Value>,
        path: &str,
    ) -> Result<f64, Error> {
        match Error::path_float("ToleratedFailurePercentagePath", value, path)? {
            p if (0.0..=100.0).contains(&p) => Ok(p),
            _ => Err(Error::runtime(
                "ToleratedFailurePercentage must be between 0 and 100.",
            )),
        }
    }

    /// `MaxItemsPerBatchPath`: a positive integer.
    pub fn max_items_per_batch_path(
        &self,
        value: Option<&Value>,
        path: &str,
    ) -> Result<u64, Error> {
        positive_integer("MaxItemsPerBatchPath", value, path)
    }

    /// `MaxInputBytesPerBatchPath`: a positive integer, at most 256 KiB.
    pub fn max_input_bytes_per_batch_path(
        &self,
        value: Option<&Value>,
        path: &str,
    ) -> Result<u64, Error> {
        let n = positive_integer("MaxInputBytesPerBatchPath", value, path)?;
        let max = crate::limits::DEFAULT_MAX_PAYLOAD_BYTES as u64;
        if n > max {
            return Err(Error::runtime(format!(
                "The value for the field 'MaxInputBytesPerBatchPath' must be at most {max}: {n}"
            )));
        }
        Ok(n)
    }

    /// `ItemBatcher`: the items (after `ItemSelector`) in batches, each
    /// `{"BatchInput": ..., "Items": [...]}` (AWS's "ItemBatcher (Map)"): a batch
    /// takes items in order while it has at most `max_items` of them and its
    /// JSON text at most `max_bytes` bytes. An item too large for any batch
    /// fails the state, as it would fail its child execution on AWS.
    pub fn batch_items(
        &self,
        items: Vec<Value>,
        max_items: Option<u64>,
        max_bytes: Option<u64>,
        batch_input: Option<Value>,
    ) -> Result<Vec<Value>, Error> {
        let max_items = max_items.map_or(usize::MAX, |n| {
            usize::try_from(n).unwrap_or(usize::MAX).max(1)
        });
        let size = |v: &Value| serde_json::to_vec(v).map_or(0, |t| t.len());
        // `{"BatchInput":<input>,"Items":[]}`; each item adds its text and a comma.
        let base = size(&batch(&batch_input, Vec::new()));
        let max_bytes = max_bytes.map_or(usize::MAX, |n| usize::try_from(n).unwrap_or(usize::MAX));
        let mut batches = Vec::new();
        let mut current: Vec<Value> = Vec::new();
        let mut bytes = base;
        for item in items {
            let item_bytes = size(&item) + usize::from(!current.is_empty());
            if !current.is_empty() && (current.len() >= max_items || bytes + item_bytes > max_bytes)
            {
                batches.push(batch(&batch_input, std::mem::take(&mut current)));
                bytes = base;
            }
            let item_bytes = size(&item);
            if base + item_bytes > max_bytes {
                return Err(Error::runtime(format!(
                    "An item of {item_bytes} bytes does not fit in a batch of at most {max_bytes} bytes (MaxInputBytesPerBatch)"
                )));
            }
            bytes += item_bytes + usize::from(!current.is_empty());
            current.push(item);
        }
        if !current.is_empty() {
            batches.push(batch(&batch_input, current));
        }
        Ok(batches)
    }

    /// The items of a Map state: `ItemsPath`'s value must be an array.
    pub fn map_items(&self, value: Value, path: &str) -> Result<Vec<Value>, Error> {
        match value {
            Value::Array(items) => Ok(items),
            other => Err(not_an_array(&other, path)),
        }
    }

    /// [`Self::map_items`] for items that stay where they are in the state's
    /// input: iterations read them in place, without a copy of the array.
    pub fn map_items_ref<'v>(&self, value: &'v Value, path: &str) -> Result<&'v [Value], Error> {
        match value {
            Value::Array(items) => Ok(items),
            other => Err(not_an_array(other, path)),
        }
    }

    /// Runs a Map state's iterations, at most `max_concurrency` at a time (0: no
    /// limit), and returns their outputs in item order. An iteration that fails
    /// ends the Map with its error unless the `tolerance` allows it; then its
    /// output is `{"Error", "Cause"}`.
    pub async fn map<'i, F, Fut>(
        &self,
        items: &'i [Value],
        max_concurrency: usize,
        tolerance: Tolerance,
        never_waits: bool,
        iteration: F,
    ) -> Result<Value, Error>
    where
        F: Fn(usize, &'i Value) -> Fut,
        Fut: Future<Output = Result<Value, Error>>,
    {
        let mut run = MapRun::start(self, items.len(), tolerance);
        // A durable execution's Map, at any depth, keeps each finished
        // iteration under its frame, and a resumed or redriven one does not
        // run again those that finished.
        let (frame, finished) = self.frame().await;
        let frame = frame.as_deref();
        let _nested = self.exec.nested();
        let limit = if max_concurrency == 0 {
            usize::MAX
        } else {
            max_concurrency
        };
        let iteration = &iteration;
        let start = |index: usize, item: &'i Value| async move {
            // The iteration's events follow its MapIterationStarted.
            let started = MapRun::iteration_started(self, index);
            let result = crate::exec::history::in_lane(started, iteration(index, item)).await;
            (index, result)
        };
        let framed = |index: usize, item: &'i Value| {
            crate::exec::durable::in_frame(
                frame.map(|f| format!("{f}/{index}")),
                start(index, item),
            )
        };
        // When the item processor has no state that can wait (no Task, no Wait:
        // build-support knows), every iteration finishes in its first poll, so
        // running them one after another is indistinguishable from running them
        // side by side, and needs no allocation per item.
        if never_waits {
            for (index, item) in items.iter().enumerate() {
                let (i, result) = start(index, item).await;
                run.settle(i, result)?;
            }
            return Ok(run.succeeded());
        }
        let mut running = FuturesUnordered::new();
        for (index, item) in items.iter().enumerate() {
            if let Some(output) = finished.get(&(index as u64)) {
                run.place(index, output.clone());
                continue;
            }
            while running.len() >= limit {
                let Some((i, result)) = running.next().await else {
                    break;
                };
                run.settle_kept(i, result, frame).await?;
            }
            // Each iteration is polled once as it starts: one that finishes
            // without waiting (most do) never joins the set of running ones, so
            // 10,000 items do not mean 10,000 live futures.
            let mut iteration_future = Box::pin(framed(index, item));
            match std::future::poll_fn(|cx| Poll::Ready(iteration_future.as_mut().poll(cx))).await {
                Poll::Ready((i, result)) => run.settle_noted(i, result, frame)?,
                Poll::Pending => running.push(iteration_future),
            }
        }
        while let Some((i, result)) = running.next().await {
            run.settle_kept(i, result, frame).await?;
        }
        Ok(run.succeeded())
    }

    /// [`Self::map`] for an item processor made only of states that never wait
    /// (Pass, Choice, Succeed, Fail): each iteration is a plain function call,
    /// run one after another, which is indistinguishable from running them side
    /// by side (none could yield to another), so `MaxConcurrency` has nothing to
    /// limit.
    ///
    /// Items the state owns (computed `Items`, batches) are handed to their
    /// iterations by value, borrowed ones by reference: no item is copied
    /// here.
    pub fn map_sync<F>(
        &self,
        items: Cow<'_, [Value]>,
        tolerance: Tolerance,
        mut iteration: F,
    ) -> Result<Value, Error>
    where
        F: FnMut(usize, Cow<'_, Value>) -> Result<Value, Error>,
    {
        let mut run = MapRun::start(self, items.len(), tolerance);
        let _nested = self.exec.nested();
        match items {
            Cow::Borrowed(items) => {
                for (index, item) in items.iter().enumerate() {
                    MapRun::iteration_started(self, index);
                    let result = iteration(index, Cow::Borrowed(item));
                    run.settle(index, result)?;
                }
            }
            Cow::Owned(items) => {
                for (index, item) in items.into_iter().enumerate() {
                    MapRun::iteration_started(self, index);
                    let result = iteration(index, Cow::Owned(item));
                    run.settle(index, result)?;
                }
            }
        }
        Ok(run.succeeded())
    }

    /// Runs a Parallel state's branches concurrently; the output is their outputs
    /// in branch order. The first branch to fail cancels the others and fails the
    /// state with its error.
    ///
    /// In a durable execution, a Parallel (at any depth) keeps each finished
    /// branch, and a resumed or redriven one runs again only the branches that
    /// did not.
    pub async fn parallel(&self, branches: Vec<BranchFuture<'_>>) -> Result<Value, Error> {
        let name = Some(self.info.name);
        let started = self
            .exec
            .record(EventType::ParallelStateStarted, name, Value::Null);
        let (frame, finished) = self.frame().await;
        let _nested = self.exec.nested();
        let mut outputs = vec![Value::Null; branches.len()];
        let mut running = FuturesUnordered::new();
        for (index, branch) in branches.into_iter().enumerate() {
            match finished.get(&(index as u64)) {
                Some(output) => outputs[index] = output.clone(),
                // Each branch's events follow ParallelStateStarted.
                None => running.push(crate::exec::durable::in_frame(
                    frame.as_ref().map(|f| format!("{f}/{index}")),
                    crate::exec::history::in_lane(started, async move { (index, branch.await) }),
                )),
            }
        }
        while let Some((index, result)) = running.next().await {
            match result {
                Ok(output) => {
                    if let Some(frame) = &frame {
                        self.exec.finished_part(frame, index, &output);
                        self.exec.flush_events().await?;
                    }
                    outputs[index] = output;
                }
                Err(error) => {
                    // The first branch to fail cancels the others (dropped here).
                    if !error.is_interruption() {
                        self.exec.record(
                            EventType::ParallelStateFailed,
                            name,
                            error_details(&error),
                        );
                    }
                    return Err(error);
                }
            }
        }
        self.exec
            .record(EventType::ParallelStateSucceeded, name, Value::Null);
        Ok(Value::Array(outputs))
    }
}

/// One run of a Map state: its history events, the outputs in item order and
/// the failures counted against the tolerance.
struct MapRun<'s, 'e> {
    state: &'s StateRun<'e>,
    tolerance: Tolerance,
    total: usize,
    /// Outputs by item index; filled in order as iterations finish in order
    /// (always, for iterations that never wait), with gaps of `null` while
    /// earlier ones still run.
    results: Vec<Value>,
    failures: usize,
}

impl<'s, 'e> MapRun<'s, 'e> {
    fn start(state: &'s StateRun<'e>, total: usize, tolerance: Tolerance) -> Self {
        let length = if state.exec.recording() {
            details_one("length", Value::from(total))
        } else {
            Value::Null
        };
        state
            .exec
            .record(EventType::MapStateStarted, Some(state.info.name), length);
        MapRun {
            state,
            tolerance,
            total,
            results: Vec::with_capacity(total),
            failures: 0,
        }
    }

    fn place(&mut self, index: usize, output: Value) {
        if index == self.results.len() {
            self.results.push(output);
        } else {
            if index > self.results.len() {
                self.results.resize(index + 1, Value::Null);
            }
            self.results[index] = output;
        }
    }

    fn index_details(state: &StateRun<'_>, index: usize) -> Value {
        if state.exec.recording() {
            details_one("index", Value::from(index))
        } else {
            Value::Null
        }
    }

    fn record(&self, event: EventType, details: Value) {
        self.state
            .exec
            .record(event, Some(self.state.info.name), details);
    }

    /// Records `MapIterationStarted` (a function of the state alone, so running
    /// iterations need not borrow the run).
    fn iteration_started(state: &StateRun<'_>, index: usize) -> u64 {
        state.exec.record(
            EventType::MapIterationStarted,
            Some(state.info.name),
            Self::index_details(state, index),
        )
    }

    /// [`Self::settle`] for an iteration that had to wait: in a durable
    /// execution (a `frame`), its output is stored at once.
    async fn settle_kept(
        &mut self,
        index: usize,
        result: Result<Value, Error>,
        frame: Option<&str>,
    ) -> Result<(), Error> {
        self.settle_noted(index, result, frame)?;
        if frame.is_some() {
            self.state.exec.flush_events().await?;
        }
        Ok(())
    }

    /// [`Self::settle`], noting a durable iteration's output for the next write.
    fn settle_noted(
        &mut self,
        index: usize,
        result: Result<Value, Error>,
        frame: Option<&str>,
    ) -> Result<(), Error> {
        if let Some(frame) = frame
            && let Ok(output) = &result
        {
            self.state.exec.finished_part(frame, index, output);
        }
        self.settle(index, result)
    }

    /// Records one finished iteration; `Err` ends the Map (the tolerance is
    /// exceeded).
    fn settle(&mut self, index: usize, result: Result<Value, Error>) -> Result<(), Error> {
        match result {
            // The engine stopped driving the execution: not an iteration's failure.
            Err(error) if error.is_interruption() => Err(error),
            Ok(output) => {
                self.record(
                    EventType::MapIterationSucceeded,
                    Self::index_details(self.state, index),
                );
                self.place(index, output);
                Ok(())
            }
            Err(error) => {
                self.record(
                    EventType::MapIterationFailed,
                    Self::index_details(self.state, index),
                );
                self.failures += 1;
                if self.tolerance.exceeded(self.failures, self.total) {
                    self.record(EventType::MapStateFailed, Value::Null);
                    if self.tolerance == Tolerance::default() {
                        return Err(error);
                    }
                    return Err(Error::new(
                        names::EXCEED_TOLERATED_FAILURE_THRESHOLD,
                        "The specified tolerated failure threshold was exceeded",
                    ));
                }
                let output = error.to_catch_output();
                self.place(index, output);
                Ok(())
            }
        }
    }

    fn succeeded(mut self) -> Value {
        self.record(EventType::MapStateSucceeded, Value::Null);
        debug_assert_eq!(self.results.len(), self.total);
        self.results.resize(self.total, Value::Null);
        Value::Array(self.results)
    }
}

fn not_an_array(value: &Value, path: &str) -> Error {
    Error::runtime(format!(
        "Map state input must be an array but was: {} (ItemsPath {path})",
        crate::jsonata::type_name(value)
    ))
}
