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
//! bounds anyway; with one, each child's record goes to S3 as it ends.
//!
//! Children run in this process, in memory, `EXPRESS` and `STANDARD` alike;
//! a failed child is not retried (AWS reruns failed children only when the
//! Map Run is redriven), and a Map Run is not kept in the store: an execution
//! resumed after a crash runs its Map Run again from the start.

pub(crate) mod reader;
pub mod storage;
pub(crate) mod writer;

use std::borrow::Cow;
use std::future::Future;

use asl_lang::distributed as facts;
use futures_util::stream::{FuturesUnordered, StreamExt};
use serde_json::{Map, Value};

use super::history::EventType;
use super::state::{StateRun, Tolerance};
use super::{details_one, error_details, format_timestamp};
use crate::error::{Error, names};

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
}

/// The items as the Map Run pulls them.
enum Source<'i> {
    Items(Cow<'i, [Value]>, usize),
    Reader(Box<reader::Items>),
}

impl Source<'_> {
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

/// One child's input and identity while it runs.
struct Child {
    index: usize,
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
    pub async fn map_run<'i, S, F, Fut>(
        &self,
        items: MapRunItems<'i>,
        settings: MapRunSettings,
        select: S,
        child: F,
    ) -> Result<Value, Error>
    where
        S: Fn(usize, &Value) -> Result<Value, Error>,
        F: Fn(usize, Value) -> Fut,
        Fut: Future<Output = Result<Value, Error>>,
    {
        let name = Some(self.name());
        let exec = self.exec;
        let length = match &items {
            MapRunItems::Items(items) => items.len(),
            MapRunItems::Reader(_) => 0,
        };
        let details = |d: Value| if exec.recording() { d } else { Value::Null };
        exec.record(
            EventType::MapStateStarted,
            name,
            details(details_one("length", Value::from(length))),
        );
        let arn = self.map_run_arn(settings.label);
        exec.record(
            EventType::MapRunStarted,
            name,
            details(details_one("mapRunArn", Value::String(arn.clone()))),
        );
        let _nested = exec.nested();
        match self
            .run_children(items, &settings, &arn, select, child)
            .await
        {
            Ok(output) => {
                exec.record(EventType::MapRunSucceeded, name, Value::Null);
                exec.record(EventType::MapStateSucceeded, name, Value::Null);
                Ok(output)
            }
            Err(error) if error.is_interruption() => Err(error),
            Err(error) => {
                exec.record(
                    EventType::MapRunFailed,
                    name,
                    details(error_details(&error)),
                );
                exec.record(EventType::MapStateFailed, name, Value::Null);
                Err(error)
            }
        }
    }

    async fn run_children<'i, S, F, Fut>(
        &self,
        items: MapRunItems<'i>,
        settings: &MapRunSettings,
        arn: &str,
        select: S,
        child: F,
    ) -> Result<Value, Error>
    where
        S: Fn(usize, &Value) -> Result<Value, Error>,
        F: Fn(usize, Value) -> Fut,
        Fut: Future<Output = Result<Value, Error>>,
    {
        let storage = self.exec.runtime().object_storage();
        let mut source = match items {
            MapRunItems::Items(items) => Source::Items(items, 0),
            MapRunItems::Reader(spec) => {
                Source::Reader(Box::new(reader::Items::open(storage.clone(), &spec).await?))
            }
        };
        let (transformation, jsonl) = writer::writer_config(settings.writer.as_ref());
        let mut writer = match settings.writer.as_ref().and_then(|w| w.parameters.as_ref()) {
            Some(parameters) => Some(ResultWriter::new(storage, parameters, arn, jsonl)?),
            None => None,
        };
        // Records name each child execution: only built for a ResultWriter
        // that keeps them.
        let records = writer.is_some() && transformation == Transformation::None;
        let (machine_head, _) = arn.split_once(":mapRun:").unwrap_or((arn, ""));
        let child_machine = {
            let rest = arn.split_once(":mapRun:").map_or("", |(_, r)| r);
            let machine_label = rest.rsplit_once(':').map_or(rest, |(m, _)| m);
            format!("{machine_head}:stateMachine:{machine_label}")
        };
        let child_arn = |child_name: &str| {
            format!(
                "{}:{child_name}",
                child_machine.replacen(":stateMachine:", ":execution:", 1)
            )
        };
        let limit = match settings.max_concurrency {
            0 => facts::DEFAULT_MAX_CONCURRENCY,
            n => n,
        };
        let batcher = settings.batcher.as_ref();
        let batch_base = batcher.map_or(0, |b| {
            let mut m = Map::new();
            if let Some(input) = &b.batch_input {
                m.insert("BatchInput".into(), input.clone());
            }
            m.insert("Items".into(), Value::Array(Vec::new()));
            json_size(&Value::Object(m))
        });
        let child = &child;
        let mut running = FuturesUnordered::new();
        let mut results: Vec<Value> = Vec::new();
        let (mut item_index, mut child_index) = (0usize, 0usize);
        let mut carried: Option<(Value, usize)> = None;
        let mut exhausted = false;
        let mut failures = 0usize;
        loop {
            // Start children while there is room and items are left.
            while !exhausted && running.len() < limit {
                let input = match batcher {
                    None => match source.next().await? {
                        Some(item) => {
                            let selected = select(item_index, &item)?;
                            item_index += 1;
                            Some(selected)
                        }
                        None => None,
                    },
                    Some(b) => {
                        let max_items = b.max_items.map_or(usize::MAX, |n| {
                            usize::try_from(n).unwrap_or(usize::MAX).max(1)
                        });
                        let max_bytes = b
                            .max_bytes
                            .map_or(usize::MAX, |n| usize::try_from(n).unwrap_or(usize::MAX));
                        let mut batch = Vec::new();
                        let mut bytes = batch_base;
                        loop {
                            let (selected, size) = match carried.take() {
                                Some(c) => c,
                                None => match source.next().await? {
                                    Some(item) => {
                                        let selected = select(item_index, &item)?;
                                        item_index += 1;
                                        let size = json_size(&selected);
                                        if batch_base + size > max_bytes {
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
                            if !batch.is_empty()
                                && (batch.len() >= max_items || bytes + extra > max_bytes)
                            {
                                carried = Some((selected, size));
                                break;
                            }
                            bytes += extra;
                            batch.push(selected);
                        }
                        (!batch.is_empty()).then(|| {
                            let mut m = Map::with_capacity(2);
                            if let Some(input) = &b.batch_input {
                                m.insert("BatchInput".into(), input.clone());
                            }
                            m.insert("Items".into(), Value::Array(batch));
                            Value::Object(m)
                        })
                    }
                };
                let Some(input) = input else {
                    exhausted = true;
                    break;
                };
                let index = child_index;
                child_index += 1;
                let meta = Child {
                    index,
                    input: records.then(|| input.to_string()),
                    name: if records {
                        uuid::Uuid::new_v4().to_string()
                    } else {
                        String::new()
                    },
                    start: self.exec.now(),
                };
                running.push(async move { (meta, child(index, input).await) });
            }
            if exhausted && !settings.tolerance.is_none() {
                // The percentage is of all items: known once they are read.
                if settings.tolerance.exceeded(failures, child_index) {
                    return Err(threshold_exceeded());
                }
            }
            let Some((meta, result)) = running.next().await else {
                break;
            };
            let failed = match &result {
                Err(e) if e.is_interruption() => return result,
                Err(_) => true,
                Ok(_) => false,
            };
            if failed {
                failures += 1;
                let total = exhausted.then_some(child_index);
                if settings.tolerance.exceeded_so_far(failures, total) {
                    return Err(threshold_exceeded());
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
                        self.child_record(&meta, &result, &child_machine, &child_arn(&meta.name))
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
        if settings.tolerance.exceeded(failures, child_index) {
            return Err(threshold_exceeded());
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

    /// One child execution as a result file records it.
    fn child_record(
        &self,
        meta: &Child,
        result: &Result<Value, Error>,
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
            Ok(output) => {
                m.insert("Output".into(), Value::String(output.to_string()));
                m.insert(
                    "OutputDetails".into(),
                    serde_json::json!({"Included": true}),
                );
            }
            Err(e) => {
                m.insert("Error".into(), Value::String(e.name().to_string()));
                m.insert(
                    "Cause".into(),
                    Value::String(e.cause().unwrap_or_default().to_string()),
                );
            }
        }
        m.insert("RedriveCount".into(), Value::from(0));
        match result {
            Ok(_) => {
                m.insert("RedriveStatus".into(), "NOT_REDRIVABLE".into());
                m.insert(
                    "RedriveStatusReason".into(),
                    "Execution is SUCCEEDED and cannot be redriven".into(),
                );
            }
            Err(_) => {
                m.insert("RedriveStatus".into(), "REDRIVABLE".into());
            }
        }
        m.insert(
            "StartDate".into(),
            Value::String(format_timestamp(meta.start)),
        );
        m.insert("StateMachineArn".into(), Value::String(machine_arn.into()));
        let status = if result.is_ok() {
            "SUCCEEDED"
        } else {
            "FAILED"
        };
        m.insert("Status".into(), status.into());
        m.insert(
            "StopDate".into(),
            Value::String(format_timestamp(self.exec.now())),
        );
        Value::Object(m)
    }
}

fn threshold_exceeded() -> Error {
    Error::new(
        names::EXCEED_TOLERATED_FAILURE_THRESHOLD,
        "The specified tolerated failure threshold was exceeded",
    )
}
