//! Workflow variables: what `Assign` writes and `$name` reads.
//!
//! In: assignments from generated code (every `Assign` value of a state is
//! evaluated first, then all are written, so `{"a.$": "$b", "b.$": "$a"}`
//! swaps). Out: a variable's value for a path read.
//!
//! Scopes follow AWS: the top level of the execution is one scope; each
//! Parallel branch and each Map iteration runs in a child scope that reads its
//! parents' variables, and whose own assignments stay inside it.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::{Map, Value};

use crate::error::Error;
use crate::limits::MAX_DATA_DEPTH;
use crate::path::ReferencePath;

/// One scope of variables and the scopes around it.
#[derive(Debug, Default)]
pub struct Variables<'p> {
    own: Mutex<Map<String, Value>>,
    parent: Option<&'p Variables<'p>>,
    /// Has this scope any variable of its own? Most scopes (a Map
    /// iteration's, a Parallel branch's) never get one: reading them then
    /// takes no lock.
    assigned: AtomicBool,
}

impl<'p> Variables<'p> {
    /// The execution's top-level scope, empty.
    pub fn root() -> Variables<'static> {
        Variables {
            own: Mutex::new(Map::new()),
            parent: None,
            assigned: AtomicBool::new(false),
        }
    }

    /// A scope for a Parallel branch or Map iteration inside this one.
    pub fn child(&'p self) -> Variables<'p> {
        Variables {
            own: Mutex::new(Map::new()),
            parent: Some(self),
            assigned: AtomicBool::new(false),
        }
    }

    /// Runs `f` on the variable called `name`, looked up from the innermost scope out.
    pub fn with<T>(&self, name: &str, f: impl FnOnce(Option<&Value>) -> T) -> T {
        if !self.assigned.load(Ordering::Acquire) {
            return match self.parent {
                Some(parent) => parent.with(name, f),
                None => f(None),
            };
        }
        let own = self.own.lock().unwrap_or_else(|p| p.into_inner());
        match own.get(name) {
            Some(v) => f(Some(v)),
            None => {
                drop(own);
                match self.parent {
                    Some(parent) => parent.with(name, f),
                    None => f(None),
                }
            }
        }
    }

    /// The value a `$name...` path selects, if any.
    pub fn get(&self, name: &str, path: &ReferencePath) -> Option<Value> {
        self.with(name, |v| v.and_then(|v| path.get(v)).cloned())
    }

    /// The value a `$name...` path selects; nothing there is `States.Runtime`.
    pub fn select(&self, name: &str, path: &ReferencePath) -> Result<Value, Error> {
        self.get(name, path).ok_or_else(|| path.no_results_error())
    }

    /// Every variable this scope can read, inner scopes over outer ones: what a
    /// JSONata expression sees as `$name` (a snapshot; later assignments do not
    /// change it, so a state's `Assign` values all see the old variables).
    pub fn visible(&self) -> Map<String, Value> {
        let mut all = match self.parent {
            Some(parent) => parent.visible(),
            None => Map::new(),
        };
        if !self.assigned.load(Ordering::Acquire) {
            return all;
        }
        let own = self.own.lock().unwrap_or_else(|p| p.into_inner());
        for (k, v) in own.iter() {
            all.insert(k.clone(), v.clone());
        }
        all
    }

    /// This scope's own variables, as an object (what a durable execution stores).
    pub fn own_object(&self) -> Value {
        Value::Object(self.own.lock().unwrap_or_else(|p| p.into_inner()).clone())
    }

    /// Writes the evaluated `Assign` object into this scope. A value nested deeper
    /// than [`MAX_DATA_DEPTH`] is refused (`States.DataLimitExceeded`): a loop
    /// that assigns `{"x": {"y.$": "$x"}}` would otherwise nest a variable one
    /// level per iteration, past what any walk over it can survive.
    pub fn assign(&self, values: Value) -> Result<(), Error> {
        let Value::Object(values) = values else {
            return Ok(());
        };
        if let Some((name, _)) = values
            .iter()
            .find(|(_, v)| crate::limits::depth_exceeds(v, MAX_DATA_DEPTH))
        {
            let error =
                crate::limits::too_deep(&format!("The value assigned to the variable '{name}'"));
            crate::limits::dismantle(Value::Object(values));
            return Err(error);
        }
        if values.is_empty() {
            return Ok(());
        }
        let mut own = self.own.lock().unwrap_or_else(|p| p.into_inner());
        for (k, v) in values {
            own.insert(k, v);
        }
        self.assigned.store(true, Ordering::Release);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::path::{Root, Segment};
    use serde_json::json;
    use std::borrow::Cow;

    #[test]
    fn inner_scopes_read_outer_and_keep_their_own() {
        let root = Variables::root();
        root.assign(json!({"x": {"a": 1}, "y": 2})).unwrap();
        let a = ReferencePath::from_static(
            Root::Variable(Cow::Borrowed("x")),
            &[Segment::Field("a")],
            "$x.a",
        );
        let whole = ReferencePath::from_static(Root::Variable(Cow::Borrowed("y")), &[], "$y");
        let inner = root.child();
        assert_eq!(inner.get("x", &a), Some(json!(1)));
        inner.assign(json!({"y": 3})).unwrap();
        assert_eq!(inner.get("y", &whole), Some(json!(3)));
        assert_eq!(root.get("y", &whole), Some(json!(2)));
        assert!(root.select("nope", &whole).is_err());
        assert_eq!(
            Value::Object(inner.visible()),
            json!({"x": {"a": 1}, "y": 3})
        );
    }
}
