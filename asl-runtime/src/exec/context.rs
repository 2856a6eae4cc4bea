//! The context object `$$`: what an execution knows about itself while a state
//! runs (`Execution`, `StateMachine`, `State`, `Task`, `Map.Item`).
//!
//! In: the running execution, the current state and, inside a Map's
//! `ItemSelector`, the item. Out: the value a `$$` path selects. Reads of the usual
//! paths (`$$.Map.Item.Value`, `$$.State.Name`, `$$.Execution.Id`) walk the parts
//! directly; only `$$` itself, or a full JSONPath over it, builds the whole object.

use std::borrow::Cow;

use serde_json::{Map, Value};

use crate::error::Error;
use crate::path::{ReferencePath, Root, Segment};

use super::Execution;

/// `$$` as seen by one state (and, in an `ItemSelector`, one Map item).
#[derive(Clone)]
pub struct Context<'a> {
    pub(crate) execution: &'a Execution,
    pub(crate) state_name: &'a str,
    pub(crate) entered_time: Option<&'a str>,
    pub(crate) retry_count: Option<u32>,
    pub(crate) task_token: Option<std::sync::Arc<str>>,
    pub(crate) map_item: Option<(usize, &'a Value)>,
}

impl<'a> Context<'a> {
    /// The same context with `Map.Item` set, for a Map state's `ItemSelector`.
    pub fn with_map_item(mut self, index: usize, value: &'a Value) -> Self {
        self.map_item = Some((index, value));
        self
    }

    /// The value `path` (rooted at `$$`) selects, or `None` when nothing is there.
    pub fn get(&self, path: &ReferencePath) -> Option<Cow<'a, Value>> {
        debug_assert!(matches!(path.root, Root::Context));
        let segments = &path.segments[..];
        let Some((Segment::Field(first), rest)) = segments.split_first() else {
            return if segments.is_empty() {
                Some(Cow::Owned(self.to_value()))
            } else {
                None
            };
        };
        match *first {
            "Execution" => walk_borrowed(self.execution.context_execution(), rest),
            "StateMachine" => walk_borrowed(self.execution.context_state_machine(), rest),
            "Map" => {
                let (index, item) = self.map_item?;
                match rest {
                    [Segment::Field(item_key), Segment::Field(field), tail @ ..]
                        if *item_key == "Item" =>
                    {
                        match *field {
                            "Value" => walk_borrowed(item, tail),
                            "Index" if tail.is_empty() => Some(Cow::Owned(Value::from(index))),
                            _ => None,
                        }
                    }
                    _ => walk_owned(self.map_value()?, rest),
                }
            }
            "State" => match rest {
                [Segment::Field(name)] if *name == "Name" => {
                    Some(Cow::Owned(Value::String(self.state_name.to_owned())))
                }
                _ => walk_owned(self.state_value(), rest),
            },
            "Task" => walk_owned(self.task_value()?, rest),
            _ => None,
        }
    }

    /// The whole context object, as `$$` reads it.
    pub fn to_value(&self) -> Value {
        let mut root = Map::with_capacity(5);
        root.insert(
            "Execution".into(),
            self.execution.context_execution().clone(),
        );
        root.insert(
            "StateMachine".into(),
            self.execution.context_state_machine().clone(),
        );
        root.insert("State".into(), self.state_value());
        if let Some(task) = self.task_value() {
            root.insert("Task".into(), task);
        }
        if let Some(map) = self.map_value() {
            root.insert("Map".into(), map);
        }
        Value::Object(root)
    }

    fn state_value(&self) -> Value {
        let mut state = Map::with_capacity(3);
        state.insert("Name".into(), Value::String(self.state_name.to_owned()));
        if let Some(t) = self.entered_time {
            state.insert("EnteredTime".into(), Value::String(t.to_owned()));
        }
        if let Some(n) = self.retry_count {
            state.insert("RetryCount".into(), Value::from(n));
        }
        Value::Object(state)
    }

    fn task_value(&self) -> Option<Value> {
        let token = self.task_token.as_deref()?;
        let mut task = Map::with_capacity(1);
        task.insert("Token".into(), Value::String(token.to_owned()));
        Some(Value::Object(task))
    }

    fn map_value(&self) -> Option<Value> {
        let (index, value) = self.map_item?;
        let mut item = Map::with_capacity(2);
        item.insert("Index".into(), Value::from(index));
        item.insert("Value".into(), value.clone());
        let mut map = Map::with_capacity(1);
        map.insert("Item".into(), Value::Object(item));
        Some(Value::Object(map))
    }
}

fn walk_borrowed<'v>(root: &'v Value, segments: &[Segment]) -> Option<Cow<'v, Value>> {
    let mut current = root;
    for segment in segments {
        current = match (segment, current) {
            (Segment::Field(name), Value::Object(map)) => map.get(*name)?,
            (Segment::Index(i), Value::Array(items)) => items.get(*i)?,
            _ => return None,
        };
    }
    Some(Cow::Borrowed(current))
}

fn walk_owned<'v>(root: Value, segments: &[Segment]) -> Option<Cow<'v, Value>> {
    walk_borrowed(&root, segments).map(|v| Cow::Owned(v.into_owned()))
}

/// The value of a `"field.$": "$$..."` template member; a path that selects
/// nothing is AWS's `States.Runtime` for a missing `.$` field.
pub fn eval_context_path(
    field: &str,
    path: &ReferencePath,
    context: &Context<'_>,
    input: &Value,
) -> Result<Value, Error> {
    match context.get(path) {
        Some(v) => Ok(v.into_owned()),
        None => Err(crate::template::path_not_found(field, &path.text, input)),
    }
}
