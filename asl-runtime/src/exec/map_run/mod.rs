//! The distributed Map: a Map Run of child executions over items from the
//! state's input or an `ItemReader`, with `ItemSelector`, `ItemBatcher`,
//! tolerated failures and a `ResultWriter`.
//!
//! The parent's history gets `MapStateStarted`, `MapRunStarted`
//! (`{"mapRunArn"}`), then `MapRunSucceeded` or `MapRunFailed` (`{"error",
//! "cause"}`), and `MapStateSucceeded`/`MapStateFailed`: no event per item
//! (each child's events are its own). The Map Run ARN is
//! `arn:<partition>:states:<region>:<account>:mapRun:<state machine>/<Label>:<uuid>`.
//!
//! Items are pulled from their source only while fewer than `MaxConcurrency`
//! children run (default [`facts::DEFAULT_MAX_CONCURRENCY`]), so a reader's
//! items are never all in memory. Without a `ResultWriter`, the outputs are
//! kept (in item order) for the state's output, which the payload limit
//! bounds anyway; with one, each child's record goes to S3 as it ends. A Map
//! Run that fails over its tolerated failures reads the items it never
//! started, so they are counted (pending) and, with a `ResultWriter`, written
//! to `PENDING_<n>.json` before the manifest; the children still running are
//! abandoned (a stored one is ABORTED), and written to `FAILED_<n>.json` with
//! status `ABORTED` (AWS's FAILED files hold failed, timed out and aborted
//! children).
//!
//! A durable execution's Map Run is a row of the store (DescribeMapRun,
//! ListMapRuns) and a `MAP_RUN` suspension of its parent. While it runs, it
//! writes its progress at most every [`PROGRESS_INTERVAL`]: the items and
//! children read so far (a listing's page counts once it is read, its items
//! pending until their children start), and an `EXPRESS` Map Run's
//! children and items by status (none of them is an execution of the
//! store); a `STANDARD` one's children are counted from the store.
//!
//! Children run in this process. `EXPRESS` children, and every child of an
//! execution without a store, run in memory. `STANDARD` children of a durable
//! execution are executions of the store (`execution:<machine>/<label>:<uuid>`,
//! the UUID derived from the Map Run and the child's index, so a child run
//! again keeps its ARN), each stored as it starts and as it ends with its
//! history, every write fenced on the parent; the Map Run is a row of the
//! store and a `MAP_RUN` suspension of the parent, which holds its outcome
//! once it ended. A parent resumed after a crash finds both, reads its items
//! again from the start, takes the outcome of each child that ended, and runs
//! the others (a child in flight at the crash runs again from its start). A
//! parent redriven into the state runs its failed Map Run again
//! (`MapRunRedriven`): children that succeeded are kept, the others run
//! again (from their first state, their history going on with
//! `ExecutionRedriven`) with their redrive count one more (but one that stopped more than
//! 14 days ago: AWS does not redrive it, its outcome stands). An `EXPRESS`
//! Map Run redriven runs all its children again (none is stored). A failed
//! child is not retried
//! otherwise (AWS reruns failed children only when the Map Run is redriven).
//! Each attempt of the state (its `Retry`) is a Map Run of its own, also
//! after a redrive. A parent resumed after a crash that came between the
//! Map Run's end and its suspension's closing does not record its end again.

pub(crate) mod reader;
pub mod storage;
pub(crate) mod writer;

use std::borrow::Cow;
use std::future::Future;
use std::sync::Arc;

use asl_lang::distributed as facts;
use futures_util::stream::{FuturesUnordered, StreamExt};
use serde_json::{Map, Value};

use super::execution::Execution;
use super::history::EventType;
use super::state::{StateRun, Tolerance};
use super::{details_one, error_details, format_timestamp};
use crate::error::{Error, names};
use crate::store::{ExecutionStatus, MapRunCounts, MapRunProgress, Outcome};

pub use reader::ItemReaderSpec;
pub use writer::ResultWriterSpec;
use writer::{ResultWriter, Status, Transformation};

/// Where a Map Run's items come from.
pub enum MapRunItems<'i> {
    /// The state's input (`ItemsPath`, `Items`).
    Items(Cow<'i, [Value]>),
    /// An `ItemReader`.
    Reader(ItemReaderSpec),
}

/// `ItemBatcher`, evaluated.
#[derive(Clone, Debug, Default)]
pub struct BatcherSpec {
    pub max_items: Option<u64>,
    pub max_bytes: Option<u64>,
    pub batch_input: Option<Value>,
}

/// What a Map Run is told besides its items.
#[derive(Clone, Debug, Default)]
pub struct MapRunSettings {
    /// `MaxConcurrency`(`Path`): 0 for AWS's default.
    pub max_concurrency: usize,
    pub tolerance: Tolerance,
    /// `Label` (default: the state's name).
    pub label: Option<&'static str>,
    pub batcher: Option<BatcherSpec>,
    pub writer: Option<ResultWriterSpec>,
    /// `ProcessorConfig.ExecutionType` is `STANDARD`: in a durable execution,
    /// each child is an execution of the store.
    pub standard: bool,
}

/// The items as the Map Run pulls them.
enum Source<'i> {
    Items(Cow<'i, [Value]>, usize),
    Reader(Box<reader::Items>),
}

impl Source<'_> {
    /// Items read from the source and not handed out yet (a listing's page).
    fn buffered(&self) -> usize {
        match self {
            Source::Items(..) => 0,
            Source::Reader(r) => r.buffered(),
        }
    }

    async fn next(&mut self) -> Result<Option<Value>, Error> {
        match self {
            Source::Items(items, next) => {
                let item = items.get(*next).cloned();
                *next += 1;
                Ok(item)
            }
            Source::Reader(r) => r.next().await,
        }
    }
}

/// The children's inputs as the Map Run pulls them: one item each (after
/// `ItemSelector`), or a batch of them (`ItemBatcher`).
struct Inputs<'i, 'b> {
    source: Source<'i>,
    batcher: Option<&'b BatcherSpec>,
    /// The size of an empty batch (`{"BatchInput", "Items": []}`).
    batch_base: usize,
    /// An item read that did not fit in the previous batch, with its size.
    carried: Option<(Value, usize)>,
}

impl<'i, 'b> Inputs<'i, 'b> {
    fn new(source: Source<'i>, batcher: Option<&'b BatcherSpec>) -> Self {
        let batch_base = batcher.map_or(0, |b| {
            let mut m = Map::new();
            if let Some(input) = &b.batch_input {
                m.insert("BatchInput".into(), input.clone());
            }
            m.insert("Items".into(), Value::Array(Vec::new()));
            json_size(&Value::Object(m))
        });
        Inputs {
            source,
            batcher,
            batch_base,
            carried: None,
        }
    }

    /// The next child's input and how many items it holds; `None` once every
    /// item is read. `items` counts the items read (each item's index in the
    /// source, for `select`).
    async fn next<S>(
        &mut self,
        select: &S,
        items: &mut usize,
    ) -> Result<Option<(Value, usize)>, Error>
    where
        S: Fn(usize, &Value) -> Result<Value, Error>,
    {
        let Some(b) = self.batcher else {
            return match self.source.next().await? {
                Some(item) => {
                    let selected = select(*items, &item)?;
                    *items += 1;
                    Ok(Some((selected, 1)))
                }
                None => Ok(None),
            };
        };
        let max_items = b.max_items.map_or(usize::MAX, |n| {
            usize::try_from(n).unwrap_or(usize::MAX).max(1)
        });
        let max_bytes = b
            .max_bytes
            .map_or(usize::MAX, |n| usize::try_from(n).unwrap_or(usize::MAX));
        let mut batch = Vec::new();
        let mut bytes = self.batch_base;
        loop {
            let (selected, size) = match self.carried.take() {
                Some(c) => c,
                None => match self.source.next().await? {
                    Some(item) => {
                        let selected = select(*items, &item)?;
                        *items += 1;
                        let size = json_size(&selected);
                        if self.batch_base + size > max_bytes {
                            return Err(Error::runtime(format!(
                                "An item of {size} bytes does not fit in a batch of at most {max_bytes} bytes (MaxInputBytesPerBatch)"
                            )));
                        }
                        (selected, size)
                    }
                    None => break,
                },
            };
            let extra = size + usize::from(!batch.is_empty());
            if !batch.is_empty() && (batch.len() >= max_items || bytes + extra > max_bytes) {
                self.carried = Some((selected, size));
                break;
            }
            bytes += extra;
            batch.push(selected);
        }
        if batch.is_empty() {
            return Ok(None);
        }
        let n = batch.len();
        let mut m = Map::with_capacity(2);
        if let Some(input) = &b.batch_input {
            m.insert("BatchInput".into(), input.clone());
        }
        m.insert("Items".into(), Value::Array(batch));
        Ok(Some((Value::Object(m), n)))
    }
}

/// How many items a Map Run read and how many children it had (started, or
/// never started because it failed first); a recorded EXPRESS Map Run's
/// children and items by status.
#[derive(Clone, Copy, Debug, Default)]
struct Totals {
    items: usize,
    children: usize,
    counts: Option<(MapRunCounts, MapRunCounts)>,
}

impl Totals {
    /// A child of `items` items started (`None`) or ended with `status`.
    fn count(&mut self, items: usize, status: Option<ExecutionStatus>) {
        let Some((children, item_counts)) = &mut self.counts else {
            return;
        };
        let (n, items) = (1, items as i64);
        match status {
            None => {
                children.change(ExecutionStatus::Running, n);
                item_counts.change(ExecutionStatus::Running, items);
            }
            Some(status) => {
                children.change(ExecutionStatus::Running, -n);
                item_counts.change(ExecutionStatus::Running, -items);
                children.change(status, n);
                item_counts.change(status, items);
            }
        }
    }
}

/// How often at most a recorded Map Run writes its progress while it changes
/// (DescribeMapRun's counts lag by that much at most).
const PROGRESS_INTERVAL: std::time::Duration = std::time::Duration::from_millis(500);

/// A Map Run of a durable execution: its row, and where a STANDARD one's
/// children are kept.
struct Stored {
    /// Its children are executions of the store (`STANDARD`); an `EXPRESS`
    /// Map Run's run in memory, counted in its row.
    standard: bool,
    /// The children's state machine (`<machine>/<label>`): its name and ARN.
    workflow: String,
    machine_arn: String,
    /// Children that ended before a crash, by index: not run again.
    ended: std::collections::HashMap<usize, crate::store::ExecutionRecord>,
    /// Children a redrive runs again: their new redrive count, and where
    /// their history goes on (their next event id).
    redrive_counts: std::collections::HashMap<usize, (u32, u64)>,
    /// The settings as stored (UpdateMapRun may have changed them before a
    /// crash).
    settings: crate::store::MapRunUpdate,
    /// It ended before a crash that came before its suspension closed.
    finished: bool,
}

/// `MaxConcurrency` and the tolerated failures after UpdateMapRun's
/// `update` (a tolerance of 0 stored is none given: the same threshold).
fn updated(limit: &mut usize, tolerance: &mut Tolerance, update: &crate::store::MapRunUpdate) {
    if let Some(n) = update.max_concurrency {
        *limit = match n {
            0 => facts::DEFAULT_MAX_CONCURRENCY,
            n => n as usize,
        };
    }
    if let Some(count) = update.tolerated_failure_count {
        tolerance.count = (count > 0).then_some(count);
    }
    if let Some(percentage) = update.tolerated_failure_percentage {
        tolerance.percentage = (percentage > 0.0).then_some(percentage);
    }
}

/// A child's name: a UUID derived from its Map Run and index, so a child run
/// again after a crash keeps its name and ARN.
fn child_name(map_run_arn: &str, index: usize) -> String {
    use sha1::Digest;
    let digest = sha1::Sha1::digest(format!("{map_run_arn}/{index}").as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_sha1_bytes(bytes)
        .into_uuid()
        .to_string()
}

/// The outcome a stored child ended with.
fn stored_result(record: &crate::store::ExecutionRecord) -> Result<Value, Error> {
    match record.status {
        crate::store::ExecutionStatus::Succeeded => Ok(record.output.clone().unwrap_or_default()),
        _ => Err(Error::new(
            record.error.clone().unwrap_or_default(),
            record.cause.clone().unwrap_or_default(),
        )),
    }
}

/// One child's input and identity while it runs.
#[derive(Clone)]
struct Child {
    index: usize,
    /// The items it processes.
    items: usize,
    input: Option<String>,
    name: String,
    start: time::OffsetDateTime,
}

/// The size of `v` as JSON text.
fn json_size(v: &Value) -> usize {
    serde_json::to_vec(v).map_or(0, |t| t.len())
}

impl<'e> StateRun<'e> {
    /// The Map Run ARN of this state: the state machine's ARN with
    /// `mapRun:<machine>/<label>:<uuid>` for `stateMachine:<machine>`.
    fn map_run_arn(&self, label: Option<&str>) -> String {
        let machine_arn = self.exec.state_machine_arn();
        let (head, machine) = machine_arn
            .split_once(":stateMachine:")
            .unwrap_or((machine_arn, self.exec.name()));
        let label = label.unwrap_or(self.name());
        format!("{head}:mapRun:{machine}/{label}:{}", uuid::Uuid::new_v4())
    }

    /// `ReaderConfig.MaxItemsPath`: an integer (its text too); a negative
    /// one is AWS's "field MaxItems must be positive".
    pub fn max_items_path(&self, value: Option<&Value>, path: &str) -> Result<i64, Error> {
        let text = match value {
            Some(Value::String(s)) => s.trim().parse::<i64>().ok(),
            Some(Value::Number(n)) => n.as_i64(),
            _ => None,
        };
        match text {
            Some(n) if n < 0 => Err(Error::new(
                names::ITEM_READER_FAILED,
                "field MaxItems must be positive",
            )),
            Some(n) => Ok(n),
            None => Err(Error::new(
                names::ITEM_READER_FAILED,
                format!(
                    "The MaxItemsPath field refers to value '{}' which is not a valid integer: {path}",
                    value.map_or_else(|| "null".to_string(), crate::error::display_raw)
                ),
            )),
        }
    }

    /// Runs a distributed Map's Map Run: `select` is the `ItemSelector` of
    /// one item (by its index in the source), `child` runs one child
    /// execution on its input (an item, or a batch).
    ///
    /// In a durable execution, a STANDARD Map Run is a suspension of kind
    /// `MAP_RUN` of its parent, a Map Run row and one execution per child in
    /// the store: a parent resumed after a crash finds its Map Run, does not
    /// run again the children that ended, and reads its items again from the
    /// start, skipping those.
    pub async fn map_run<'i, S, F, Fut>(
        &self,
        items: MapRunItems<'i>,
        settings: MapRunSettings,
        select: S,
        child: F,
    ) -> Result<Value, Error>
    where
        S: Fn(usize, &Value) -> Result<Value, Error>,
        F: Fn(Arc<Execution>, Value) -> Fut,
        Fut: Future<Output = Result<Value, Error>>,
    {
        let name = Some(self.name());
        let exec = self.exec;
        let length = match &items {
            MapRunItems::Items(items) => items.len(),
            MapRunItems::Reader(_) => 0,
        };
        let details = |d: Value| if exec.recording() { d } else { Value::Null };
        // A durable execution's Map Run is recorded (DescribeMapRun); a
        // STANDARD one's children are executions of the store.
        let durable = exec.durable();
        // A durable Map Run's suspension: found again after a crash. Each
        // attempt (a `Retry` of the state) has its own Map Run.
        let retry = self.retries();
        let suspension_id = match retry {
            0 => format!("{}:mapRun", self.waiting_base()),
            n => format!("{}#{n}:mapRun", self.waiting_base()),
        };
        let found = match durable {
            true => exec.stored_suspension(&suspension_id).await?,
            false => None,
        };
        if let Some(found) = &found
            && let Some(outcome) = &found.outcome
        {
            // It ended before the crash: its outcome stands.
            return match outcome {
                Outcome::Succeeded(output) => Ok(output.clone()),
                Outcome::Failed { error, cause } => Err(Error::new(
                    error.clone().unwrap_or_default(),
                    cause.clone().unwrap_or_default(),
                )),
                Outcome::TimedOut | Outcome::HeartbeatTimedOut => Err(threshold_exceeded()),
            };
        }
        let (arn, redriven) = match found
            .as_ref()
            .and_then(|f| f.details.get("mapRunArn"))
            .and_then(Value::as_str)
        {
            Some(arn) => (arn.to_string(), false),
            None => {
                exec.record(
                    EventType::MapStateStarted,
                    name,
                    details(details_one("length", Value::from(length))),
                );
                let fresh = self.map_run_arn(settings.label);
                // Redriven into this state: its Map Run that failed runs
                // again, not a new one; a retry after that starts a new one.
                let redrive = retry == 0 && exec.redrive_count() > 0 && exec.resumed_here();
                let previous = match durable && redrive {
                    true => {
                        let prefix = fresh.rsplit_once(':').map_or(fresh.as_str(), |(p, _)| p);
                        exec.failed_map_run(&format!("{prefix}:")).await?
                    }
                    false => None,
                };
                match previous {
                    Some(run) => {
                        let mut d = Map::new();
                        d.insert("mapRunArn".into(), Value::String(run.arn.clone()));
                        d.insert("redriveCount".into(), Value::from(run.redrive_count + 1));
                        exec.record(EventType::MapRunRedriven, name, details(Value::Object(d)));
                        (run.arn, true)
                    }
                    None => {
                        exec.record(
                            EventType::MapRunStarted,
                            name,
                            details(details_one("mapRunArn", Value::String(fresh.clone()))),
                        );
                        (fresh, false)
                    }
                }
            }
        };
        // Items given whole are counted from the start: DescribeMapRun
        // shows them pending until their children start.
        let known = match &items {
            MapRunItems::Items(_) => Some((
                length as u64,
                settings.batcher.is_none().then_some(length as u64),
            )),
            MapRunItems::Reader(_) => None,
        };
        let stored = match durable {
            true => Some(
                self.store_map_run(&arn, &suspension_id, &settings, redriven, known)
                    .await?,
            ),
            false => None,
        };
        // The Map Run ended before a crash, whose suspension was not closed
        // yet: its events are in the history already.
        let finished = stored.as_ref().is_some_and(|s| s.finished);
        let _nested = exec.nested();
        let (result, mut totals) = self
            .run_children(items, &settings, &arn, stored, select, child)
            .await;
        if result.is_err()
            && let Some((children, items)) = &mut totals.counts
        {
            // The children still running are abandoned: aborted.
            for counts in [children, items] {
                counts.aborted += std::mem::take(&mut counts.running);
            }
        }
        let progress = MapRunProgress {
            totals: Some((totals.items as u64, totals.children as u64)),
            counts: totals.counts,
        };
        match &result {
            Err(error) if error.is_interruption() => return result,
            _ if finished => {}
            Ok(_) => {
                exec.record(EventType::MapRunSucceeded, name, Value::Null);
                exec.record(EventType::MapStateSucceeded, name, Value::Null);
            }
            Err(error) => {
                exec.record(EventType::MapRunFailed, name, details(error_details(error)));
                exec.record(EventType::MapStateFailed, name, Value::Null);
            }
        }
        if durable {
            let status = match &result {
                Ok(_) => crate::store::ExecutionStatus::Succeeded,
                Err(_) => crate::store::ExecutionStatus::Failed,
            };
            if !finished {
                exec.end_map_run(&arn, status, &progress).await?;
            }
            let outcome = match &result {
                Ok(output) => Outcome::Succeeded(output.clone()),
                Err(e) => Outcome::Failed {
                    error: Some(e.name().to_string()),
                    cause: e.cause().map(str::to_string),
                },
            };
            exec.close_suspension(&suspension_id, outcome).await?;
        }
        result
    }

    /// Stores a durable Map Run (its suspension and its row, each once; with
    /// `redriven`, the Map Run that failed, RUNNING again): what its children
    /// need, and the children that ended before a crash or, in a redriven
    /// Map Run, that succeeded (the others run again).
    async fn store_map_run(
        &self,
        arn: &str,
        suspension_id: &str,
        settings: &MapRunSettings,
        redriven: bool,
        known: Option<(u64, Option<u64>)>,
    ) -> Result<Stored, Error> {
        let exec = self.exec;
        let mut suspension = crate::store::Suspension::new(
            exec.arn.as_str(),
            suspension_id,
            crate::store::SuspensionKind::MapRun,
            exec.now(),
        );
        suspension.details = details_one("mapRunArn", Value::String(arn.to_string()));
        exec.store_suspension(suspension).await?;
        let mut run = crate::store::MapRunRecord::started(arn, exec.arn.as_str(), exec.now());
        run.max_concurrency = settings.max_concurrency as u32;
        run.tolerated_failure_count = settings.tolerance.count.unwrap_or(0);
        run.tolerated_failure_percentage = settings.tolerance.percentage.unwrap_or(0.0);
        if let Some((items, children)) = known {
            run.total_items = Some(items);
            run.total_children = children;
        }
        run.result_writer = settings
            .writer
            .as_ref()
            .is_some_and(|w| w.parameters.is_some());
        run.express = !settings.standard;
        let run = match redriven {
            true => exec.redrive_map_run(arn).await?,
            false => exec.start_map_run(&run).await?,
        };
        let machine_arn = child_machine_arn(arn);
        let workflow = machine_arn
            .split_once(":stateMachine:")
            .map_or(machine_arn.as_str(), |(_, m)| m)
            .to_string();
        // A child that did not succeed before the Map Run's last redrive
        // runs again, its redrive count one more; unless it stopped more
        // than [`REDRIVE_DAYS`](crate::store::REDRIVE_DAYS) ago (AWS: not
        // redrivable, its outcome stands).
        let mut ended = exec.ended_children(arn).await?;
        let mut redrive_counts = std::collections::HashMap::new();
        let now = exec.now();
        let redrivable = |child: &crate::store::ExecutionRecord| {
            child.stop_date.is_none_or(|stopped| {
                now - stopped <= time::Duration::days(crate::store::REDRIVE_DAYS)
            })
        };
        ended.retain(|index, child| {
            let kept = child.status == crate::store::ExecutionStatus::Succeeded
                || child.redrive_count >= run.redrive_count
                || !redrivable(child);
            if !kept {
                redrive_counts.insert(*index, (child.redrive_count + 1, child.next_event_id));
            }
            kept
        });
        Ok(Stored {
            standard: settings.standard,
            finished: run.status != crate::store::ExecutionStatus::Running,
            workflow,
            ended,
            redrive_counts,
            machine_arn,
            settings: crate::store::MapRunUpdate {
                max_concurrency: Some(run.max_concurrency),
                tolerated_failure_count: Some(run.tolerated_failure_count),
                tolerated_failure_percentage: Some(run.tolerated_failure_percentage),
            },
        })
    }

    /// Runs one child of a durable Map Run: stored as it starts, run as an
    /// execution of its own, stored as it ends (each write fenced on the
    /// parent).
    #[allow(clippy::too_many_arguments)]
    async fn run_stored_child<F, Fut>(
        &self,
        stored: &Stored,
        map_run_arn: &str,
        index: usize,
        items: usize,
        name: &str,
        input: Value,
        child: &F,
    ) -> Result<Value, Error>
    where
        F: Fn(Arc<Execution>, Value) -> Fut,
        Fut: Future<Output = Result<Value, Error>>,
    {
        let arn = child_execution_arn(&stored.machine_arn, name);
        // Run again by a redrive: its history goes on (it starts again from
        // its first state: the item processor's driver has no stored
        // position to continue from).
        let redriven = stored.redrive_counts.get(&index).copied();
        let execution = Arc::new(match redriven {
            Some((redrive_count, next_event_id)) => self.exec.map_run_child_redriven(
                name,
                arn.clone(),
                stored.machine_arn.clone(),
                &input,
                next_event_id,
                redrive_count,
            ),
            None => {
                self.exec
                    .map_run_child_named(name, arn.clone(), stored.machine_arn.clone(), &input)
            }
        });
        let (events, next_event_id) = execution.take_events();
        let mut record = crate::store::ExecutionRecord::started(
            arn.as_str(),
            name,
            stored.workflow.as_str(),
            self.exec.info.definition_hash,
            input.clone(),
            execution.start_time(),
            crate::store::Position::at("", Value::Null, Value::Null),
        );
        record.next_event_id = next_event_id;
        if let Some((redrive_count, _)) = redriven {
            record.redrive_count = redrive_count;
            record.redrive_date = Some(execution.start_time());
        }
        let start = crate::store::ChildStart {
            record,
            map_run_arn: map_run_arn.to_string(),
            index: index as u64,
            items: items as u64,
            events,
            continued: redriven.is_some(),
        };
        self.exec.start_child(&start).await?;
        let result = child(execution.clone(), input).await;
        let (status, output, error, cause) = match &result {
            Err(e) if e.is_interruption() => return result,
            Ok(output) => {
                execution.record(
                    EventType::ExecutionSucceeded,
                    None,
                    details_one("output", output.clone()),
                );
                (
                    crate::store::ExecutionStatus::Succeeded,
                    Some(output.clone()),
                    None,
                    None,
                )
            }
            Err(e) => {
                execution.record(EventType::ExecutionFailed, None, error_details(e));
                (
                    crate::store::ExecutionStatus::Failed,
                    None,
                    Some(e.name().to_string()),
                    e.cause().map(str::to_string),
                )
            }
        };
        let (events, next_event_id) = execution.take_events();
        let end = crate::store::ChildEnd {
            arn,
            end: crate::store::End {
                status,
                output,
                error,
                cause,
                date: execution.now(),
            },
            events,
            next_event_id,
        };
        self.exec.end_child(&end).await?;
        result
    }

    /// The children of a Map Run, as many at a time as `MaxConcurrency`
    /// allows: the state's output, and how many items and children there
    /// were (whatever the outcome).
    async fn run_children<'i, S, F, Fut>(
        &self,
        items: MapRunItems<'i>,
        settings: &MapRunSettings,
        arn: &str,
        stored: Option<Stored>,
        select: S,
        child: F,
    ) -> (Result<Value, Error>, Totals)
    where
        S: Fn(usize, &Value) -> Result<Value, Error>,
        F: Fn(Arc<Execution>, Value) -> Fut,
        Fut: Future<Output = Result<Value, Error>>,
    {
        let mut totals = Totals {
            counts: stored
                .as_ref()
                .is_some_and(|s| !s.standard)
                .then(Default::default),
            ..Totals::default()
        };
        let result = self
            .run_children_counted(items, settings, arn, stored, select, child, &mut totals)
            .await;
        (result, totals)
    }

    #[allow(clippy::too_many_arguments)]
    async fn run_children_counted<'i, S, F, Fut>(
        &self,
        items: MapRunItems<'i>,
        settings: &MapRunSettings,
        arn: &str,
        mut stored: Option<Stored>,
        select: S,
        child: F,
        totals: &mut Totals,
    ) -> Result<Value, Error>
    where
        S: Fn(usize, &Value) -> Result<Value, Error>,
        F: Fn(Arc<Execution>, Value) -> Fut,
        Fut: Future<Output = Result<Value, Error>>,
    {
        let storage = self.exec.runtime().object_storage();
        let source = match items {
            MapRunItems::Items(items) => Source::Items(items, 0),
            MapRunItems::Reader(spec) => {
                Source::Reader(Box::new(reader::Items::open(storage.clone(), &spec).await?))
            }
        };
        let mut inputs = Inputs::new(source, settings.batcher.as_ref());
        let (transformation, jsonl) = writer::writer_config(settings.writer.as_ref());
        let mut writer = match settings.writer.as_ref().and_then(|w| w.parameters.as_ref()) {
            Some(parameters) => Some(ResultWriter::new(storage, parameters, arn, jsonl)?),
            None => None,
        };
        // Records name each child execution: only built for a ResultWriter
        // that keeps them.
        let records = writer.is_some() && transformation == Transformation::None;
        let child_machine = child_machine_arn(arn);
        let mut limit = match settings.max_concurrency {
            0 => facts::DEFAULT_MAX_CONCURRENCY,
            n => n,
        };
        let mut tolerance = settings.tolerance;
        if let Some(s) = &stored {
            updated(&mut limit, &mut tolerance, &s.settings);
        }
        // A stored Map Run takes UpdateMapRun's changes while it runs.
        let mut live = match &stored {
            Some(_) => self.exec.live_map_run(arn),
            None => None,
        };
        // A recorded Map Run's progress: written while it changes, at most
        // once per interval (items given whole are counted from the start).
        let known = matches!(&inputs.source, Source::Items(..));
        let mut due = stored
            .as_ref()
            .map(|_| tokio::time::Instant::now() + PROGRESS_INTERVAL);
        let mut dirty = false;
        let child = &child;
        // Children that ended before a crash: taken as their turn comes.
        let mut ended = stored
            .as_mut()
            .map(|s| std::mem::take(&mut s.ended))
            .unwrap_or_default();
        let stored_run = stored.as_ref();
        let mut running = FuturesUnordered::new();
        // With a ResultWriter, the children running: those a failed Map Run
        // abandons are written as ABORTED.
        let mut in_flight = std::collections::BTreeMap::new();
        let mut results: Vec<Value> = Vec::new();
        let mut exhausted = false;
        let mut failures = 0usize;
        loop {
            // Start children while there is room and items are left.
            while !exhausted && running.len() < limit {
                let Some((input, child_items)) = inputs.next(&select, &mut totals.items).await?
                else {
                    exhausted = true;
                    break;
                };
                let index = totals.children;
                totals.children += 1;
                totals.count(child_items, None);
                dirty = true;
                let ended_before = ended.remove(&index);
                let meta = Child {
                    index,
                    items: child_items,
                    input: records.then(|| input.to_string()),
                    name: if records || stored_run.is_some_and(|s| s.standard) {
                        child_name(arn, index)
                    } else {
                        String::new()
                    },
                    start: ended_before
                        .as_ref()
                        .map_or_else(|| self.exec.now(), |r| r.start_date),
                };
                if writer.is_some() {
                    in_flight.insert(index, meta.clone());
                }
                running.push(async move {
                    let result = match (ended_before, stored_run) {
                        (Some(record), _) => stored_result(&record),
                        (None, Some(s)) if s.standard => {
                            self.run_stored_child(
                                s,
                                arn,
                                index,
                                child_items,
                                &meta.name,
                                input,
                                child,
                            )
                            .await
                        }
                        (None, _) => child(Arc::new(self.exec.map_run_child()), input).await,
                    };
                    (meta, result)
                });
            }
            // The percentage is of all items: known once they are read.
            if exhausted && !tolerance.is_none() && tolerance.exceeded(failures, totals.children) {
                self.abandoned(&mut writer, &in_flight, &child_machine)
                    .await?;
                return over_threshold(&mut inputs, &select, writer, totals).await;
            }
            let progress_due = due.filter(|_| dirty);
            let next = tokio::select! {
                next = running.next() => Some(next),
                changed = changed(&mut live) => {
                    match changed {
                        Some(update) => updated(&mut limit, &mut tolerance, &update),
                        None => live = None,
                    }
                    None
                }
                () = until(progress_due) => {
                    let buffered = inputs.source.buffered();
                    let progress = MapRunProgress {
                        totals: (!known).then(|| {
                            let children = match settings.batcher {
                                None => totals.children + buffered,
                                Some(_) => totals.children,
                            };
                            ((totals.items + buffered) as u64, children as u64)
                        }),
                        counts: totals.counts,
                    };
                    self.exec.map_run_progress(arn, &progress).await?;
                    dirty = false;
                    due = Some(tokio::time::Instant::now() + PROGRESS_INTERVAL);
                    None
                }
            };
            // Settings changed or progress written: start more children, or
            // check the threshold.
            let Some(next) = next else { continue };
            let Some((meta, result)) = next else {
                break;
            };
            in_flight.remove(&meta.index);
            let failed = match &result {
                Err(e) if e.is_interruption() => return result,
                Err(_) => true,
                Ok(_) => false,
            };
            let status = match failed {
                true => ExecutionStatus::Failed,
                false => ExecutionStatus::Succeeded,
            };
            totals.count(meta.items, Some(status));
            dirty = true;
            if failed {
                failures += 1;
                let total = exhausted.then_some(totals.children);
                if tolerance.exceeded_so_far(failures, total) {
                    // This child's record goes with the others' before the
                    // items never started.
                    if let Some(w) = &mut writer {
                        let record = self.child_record(
                            &meta,
                            &result,
                            &child_machine,
                            &child_execution_arn(&child_machine, &meta.name),
                        );
                        w.add(Status::Failed, &record).await?;
                    }
                    self.abandoned(&mut writer, &in_flight, &child_machine)
                        .await?;
                    return over_threshold(&mut inputs, &select, writer, totals).await;
                }
            }
            match &mut writer {
                Some(w) => {
                    let status = if failed {
                        Status::Failed
                    } else {
                        Status::Succeeded
                    };
                    let record = if records || failed {
                        self.child_record(
                            &meta,
                            &result,
                            &child_machine,
                            &child_execution_arn(&child_machine, &meta.name),
                        )
                    } else {
                        result.as_ref().cloned().unwrap_or_default()
                    };
                    match (transformation, record) {
                        (Transformation::Flatten, Value::Array(items)) if !failed => {
                            for item in &items {
                                w.add(status, item).await?;
                            }
                        }
                        (_, record) => w.add(status, &record).await?,
                    }
                }
                None => {
                    let output = match result {
                        Ok(output) => output,
                        Err(e) => e.to_catch_output(),
                    };
                    if meta.index >= results.len() {
                        results.resize(meta.index + 1, Value::Null);
                    }
                    results[meta.index] = output;
                }
            }
        }
        if tolerance.exceeded(failures, totals.children) {
            // None is left running here.
            return over_threshold(&mut inputs, &select, writer, totals).await;
        }
        match writer {
            Some(w) => w.finish().await,
            None if transformation == Transformation::Flatten => Ok(Value::Array(
                results
                    .into_iter()
                    .flat_map(|v| match v {
                        Value::Array(items) => items,
                        other => vec![other],
                    })
                    .collect(),
            )),
            None => Ok(Value::Array(results)),
        }
    }

    /// The children still running when the Map Run fails, written to the
    /// `FAILED_<n>.json` files as AWS writes the children it stops: status
    /// `ABORTED`, stopped now, no output nor error.
    async fn abandoned(
        &self,
        writer: &mut Option<ResultWriter>,
        in_flight: &std::collections::BTreeMap<usize, Child>,
        machine_arn: &str,
    ) -> Result<(), Error> {
        let Some(w) = writer else {
            return Ok(());
        };
        for meta in in_flight.values() {
            let arn = child_execution_arn(machine_arn, &meta.name);
            let record = self.record_of(meta, None, machine_arn, &arn);
            w.add(Status::Failed, &record).await?;
        }
        Ok(())
    }

    /// One child execution as a result file records it.
    fn child_record(
        &self,
        meta: &Child,
        result: &Result<Value, Error>,
        machine_arn: &str,
        execution_arn: &str,
    ) -> Value {
        self.record_of(meta, Some(result), machine_arn, execution_arn)
    }

    /// A child's record: ended with `result`, or (`None`) aborted.
    fn record_of(
        &self,
        meta: &Child,
        result: Option<&Result<Value, Error>>,
        machine_arn: &str,
        execution_arn: &str,
    ) -> Value {
        let mut m = Map::new();
        m.insert("ExecutionArn".into(), Value::String(execution_arn.into()));
        m.insert(
            "Input".into(),
            Value::String(meta.input.clone().unwrap_or_default()),
        );
        m.insert("InputDetails".into(), serde_json::json!({"Included": true}));
        m.insert("Name".into(), Value::String(meta.name.clone()));
        match result {
            Some(Ok(output)) => {
                m.insert("Output".into(), Value::String(output.to_string()));
                m.insert(
                    "OutputDetails".into(),
                    serde_json::json!({"Included": true}),
                );
            }
            Some(Err(e)) => {
                m.insert("Error".into(), Value::String(e.name().to_string()));
                m.insert(
                    "Cause".into(),
                    Value::String(e.cause().unwrap_or_default().to_string()),
                );
            }
            None => {}
        }
        m.insert("RedriveCount".into(), Value::from(0));
        match result {
            Some(Ok(_)) => {
                m.insert("RedriveStatus".into(), "NOT_REDRIVABLE".into());
                m.insert(
                    "RedriveStatusReason".into(),
                    "Execution is SUCCEEDED and cannot be redriven".into(),
                );
            }
            _ => {
                m.insert("RedriveStatus".into(), "REDRIVABLE".into());
            }
        }
        m.insert(
            "StartDate".into(),
            Value::String(format_timestamp(meta.start)),
        );
        m.insert("StateMachineArn".into(), Value::String(machine_arn.into()));
        let status = match result {
            Some(Ok(_)) => "SUCCEEDED",
            Some(Err(_)) => "FAILED",
            None => "ABORTED",
        };
        m.insert("Status".into(), status.into());
        m.insert(
            "StopDate".into(),
            Value::String(format_timestamp(self.exec.now())),
        );
        Value::Object(m)
    }
}

/// What UpdateMapRun changed next (`None` once the Map Run is no longer
/// registered); never, without `live`.
async fn changed(
    live: &mut Option<super::durable::LiveMapRun>,
) -> Option<crate::store::MapRunUpdate> {
    let Some(l) = live.as_mut() else {
        return std::future::pending().await;
    };
    match l.changes.changed().await {
        Ok(()) => Some(l.changes.borrow_and_update().clone()),
        Err(_) => None,
    }
}

/// Sleeps until `due`; never, without one.
async fn until(due: Option<tokio::time::Instant>) {
    match due {
        Some(due) => tokio::time::sleep_until(due).await,
        None => std::future::pending().await,
    }
}

/// The state machine of a Map Run's children: `stateMachine:<machine>/<label>`
/// for the Map Run's `mapRun:<machine>/<label>:<uuid>`.
fn child_machine_arn(map_run_arn: &str) -> String {
    let (head, rest) = map_run_arn
        .split_once(":mapRun:")
        .unwrap_or((map_run_arn, ""));
    let machine_label = rest.rsplit_once(':').map_or(rest, |(m, _)| m);
    format!("{head}:stateMachine:{machine_label}")
}

/// A child's ARN: `execution:<machine>/<label>:<name>`.
fn child_execution_arn(machine_arn: &str, name: &str) -> String {
    format!(
        "{}:{name}",
        machine_arn.replacen(":stateMachine:", ":execution:", 1)
    )
}

/// A Map Run failed over its tolerated failures: the items never started
/// are read (so DescribeMapRun counts them as pending) and, with a
/// `ResultWriter`, written to `PENDING_<n>.json` before the manifest, as AWS
/// writes them; the children still running are abandoned. The error is the
/// threshold's, or the writer's when it could not write.
async fn over_threshold<S>(
    inputs: &mut Inputs<'_, '_>,
    select: &S,
    mut writer: Option<ResultWriter>,
    totals: &mut Totals,
) -> Result<Value, Error>
where
    S: Fn(usize, &Value) -> Result<Value, Error>,
{
    while let Some((input, _)) = inputs.next(select, &mut totals.items).await? {
        totals.children += 1;
        if let Some(w) = &mut writer {
            w.add(Status::Pending, &pending_record(&input)).await?;
        }
    }
    if let Some(w) = writer {
        w.finish().await?;
    }
    Err(threshold_exceeded())
}

/// A child never started, as `PENDING_<n>.json` records it: its input only.
fn pending_record(input: &Value) -> Value {
    let mut m = Map::with_capacity(3);
    m.insert("Input".into(), Value::String(input.to_string()));
    m.insert("InputDetails".into(), serde_json::json!({"Included": true}));
    m.insert("Status".into(), "PENDING".into());
    Value::Object(m)
}

fn threshold_exceeded() -> Error {
    Error::new(
        names::EXCEED_TOLERATED_FAILURE_THRESHOLD,
        "The specified tolerated failure threshold was exceeded",
    )
}
