//! Reference paths in their compiled form: reading (`InputPath`, `.$` fields, Choice
//! `Variable`) and writing (`ResultPath`).
//!
//! build-support parses `$.a['b c'][0]` once, at compile time, and generated code
//! holds the result as a `const` [`ReferencePath`]; at run time nothing is parsed.
//! In: a root `Value` chosen by the caller for [`ReferencePath::root`] (the state
//! input for `$`, the context object for `$$`, a variable for `$name`). Out: a
//! borrowed value ([`ReferencePath::get`]) or the input with the result merged in
//! ([`ReferencePath::apply_result`]).

use std::borrow::Cow;
use std::fmt::Write as _;

use serde_json::{Map, Value};

use crate::error::{Error, names};

/// Where a path starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Root {
    /// `$`: the state's (effective) input.
    Input,
    /// `$$`: the context object.
    Context,
    /// `$name`: a workflow variable (set by `Assign`).
    Variable(Cow<'static, str>),
}

/// One step of a reference path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Segment {
    /// `.name` or `['name']`
    Field(&'static str),
    /// `[n]`
    Index(usize),
}

/// A [`ReferencePath`] constant in one line, as generated code declares its
/// paths: `path!(input, "$.a[0]", "a", [0])`, `path!(context, "$$.Execution.Id",
/// "Execution", "Id")`, `path!(variable("x"), "$x.y", "y")`. Field names are
/// string literals, indexes bracketed integers.
#[doc(hidden)]
#[macro_export]
macro_rules! __reference_path {
    (variable($name:literal), $text:literal $(, $segment:tt)*) => {
        $crate::__private::ReferencePath::variable($name, &[$($crate::__segment!($segment)),*], $text)
    };
    ($root:ident, $text:literal $(, $segment:tt)*) => {
        $crate::__private::ReferencePath::$root(&[$($crate::__segment!($segment)),*], $text)
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __segment {
    ([$index:literal]) => {
        $crate::__private::Segment::Index($index)
    };
    ($name:literal) => {
        $crate::__private::Segment::Field($name)
    };
}

/// A definite path: at most one value, and a place a value can be written to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReferencePath {
    /// Which value the path starts from.
    pub root: Root,
    /// The steps from the root, in order.
    pub segments: Cow<'static, [Segment]>,
    /// The path as written in the definition, for error causes.
    pub text: Cow<'static, str>,
}

impl ReferencePath {
    /// A path built from static parts, as generated code writes it.
    pub const fn from_static(root: Root, segments: &'static [Segment], text: &'static str) -> Self {
        ReferencePath {
            root,
            segments: Cow::Borrowed(segments),
            text: Cow::Borrowed(text),
        }
    }

    /// A path from `$` (generated code).
    pub const fn input(segments: &'static [Segment], text: &'static str) -> Self {
        Self::from_static(Root::Input, segments, text)
    }

    /// A path from `$$` (generated code).
    pub const fn context(segments: &'static [Segment], text: &'static str) -> Self {
        Self::from_static(Root::Context, segments, text)
    }

    /// A path from the variable `$name` (generated code).
    pub const fn variable(
        name: &'static str,
        segments: &'static [Segment],
        text: &'static str,
    ) -> Self {
        Self::from_static(Root::Variable(Cow::Borrowed(name)), segments, text)
    }

    /// `$`
    pub const ROOT: ReferencePath = ReferencePath::from_static(Root::Input, &[], "$");

    /// Is this `$` (or `$$`) itself, with no segment?
    pub fn is_root(&self) -> bool {
        self.segments.is_empty()
    }

    /// The value this path selects in `root` (the value the caller chose for
    /// [`Self::root`]), or `None` when a member or index along the way is missing or
    /// a segment meets a value of the wrong type (AWS: no results for the path).
    pub fn get<'v>(&self, root: &'v Value) -> Option<&'v Value> {
        let mut current = root;
        for segment in self.segments.iter() {
            current = match (segment, current) {
                (Segment::Field(name), Value::Object(map)) => lookup(map, name)?,
                (Segment::Index(i), Value::Array(items)) => items.get(*i)?,
                _ => return None,
            };
        }
        Some(current)
    }

    /// Like [`Self::get`], but a missing value is AWS's `States.Runtime` error for
    /// `InputPath`/`OutputPath`/`ItemsPath`: cause
    /// `Invalid path '$.x' : No results for path: $['x']`.
    pub fn select<'v>(&self, root: &'v Value) -> Result<&'v Value, Error> {
        self.get(root).ok_or_else(|| self.no_results_error())
    }

    /// `States.Runtime` with AWS's cause for a path that selects nothing.
    pub fn no_results_error(&self) -> Error {
        Error::runtime(format!(
            "Invalid path '{}' : No results for path: {}",
            self.text,
            self.normalized()
        ))
    }

    /// The path in the bracketed form AWS prints in causes: `$['a']['b'][0]`
    /// (`$$[...]` for the context object).
    pub fn normalized(&self) -> String {
        let mut out = String::with_capacity(self.text.len() + 4 * self.segments.len());
        match &self.root {
            Root::Input => out.push('$'),
            Root::Context => out.push_str("$$"),
            Root::Variable(name) => {
                out.push('$');
                out.push_str(name);
            }
        }
        for segment in self.segments.iter() {
            match segment {
                Segment::Field(name) => {
                    let _ = write!(out, "['{name}']");
                }
                Segment::Index(i) => {
                    let _ = write!(out, "[{i}]");
                }
            }
        }
        out
    }

    /// `ResultPath`: writes `value` at this path inside `target`, creating missing
    /// objects on the way (AWS merges the result into the state input).
    ///
    /// `$` replaces `target` entirely. A segment that meets a value that is not an
    /// object (for a field) or an array long enough (for an index) is
    /// `States.ResultPathMatchFailure` with cause
    /// `Unable to apply ReferencePath $.a.b to input <input JSON>`.
    pub fn set(&self, target: &mut Value, value: Value) -> Result<(), Error> {
        let Some((last, parents)) = self.segments.split_last() else {
            *target = value;
            return Ok(());
        };
        // Check the whole walk before mutating, so a failure leaves `target` intact
        // for the error cause and for a Catch that wants the original input.
        if !self.writable(target) {
            return Err(self.match_failure(target));
        }
        let mut current = target;
        for segment in parents {
            current = match (segment, current) {
                (Segment::Field(name), Value::Object(map)) => map
                    .entry(*name)
                    .or_insert_with(|| Value::Object(Map::new())),
                (Segment::Index(i), Value::Array(items)) => &mut items[*i],
                // `writable` has checked every step.
                _ => unreachable!("ResultPath walk checked before writing"),
            };
        }
        match (last, current) {
            (Segment::Field(name), Value::Object(map)) => {
                // Overwrite in place when the member exists: no key allocation.
                match lookup_mut(map, name) {
                    Some(slot) => *slot = value,
                    None => {
                        map.insert(name.to_string(), value);
                    }
                }
            }
            (Segment::Index(i), Value::Array(items)) => items[*i] = value,
            _ => unreachable!("ResultPath walk checked before writing"),
        }
        Ok(())
    }

    /// Can [`Self::set`] write into `target` without meeting a non-container?
    fn writable(&self, target: &Value) -> bool {
        let mut current = Some(target);
        for segment in self.segments.iter() {
            match (segment, current) {
                // A member created on the way is an empty object: every later field fits.
                (Segment::Field(_), None) => {}
                (Segment::Field(name), Some(Value::Object(map))) => current = lookup(map, name),
                (Segment::Index(i), Some(Value::Array(items))) if *i < items.len() => {
                    current = items.get(*i)
                }
                _ => return false,
            }
        }
        true
    }

    fn match_failure(&self, target: &Value) -> Error {
        Error::new(
            names::RESULT_PATH_MATCH_FAILURE,
            format!(
                "Unable to apply ReferencePath {} to input {}",
                self.text, target
            ),
        )
    }

    /// `ResultPath` as a function: the state input with `result` placed at this path
    /// (`$`: the result alone). See [`Self::set`] for the errors.
    pub fn apply_result(&self, mut input: Value, result: Value) -> Result<Value, Error> {
        self.set(&mut input, result)?;
        Ok(input)
    }
}

/// Objects in state data are mostly small: below this size a scan of the keys
/// beats hashing the name (SipHash) for each path segment.
const LINEAR_LOOKUP_MAX: usize = 8;

/// `map.get(name)`, without hashing for small objects.
pub(crate) fn lookup<'v>(map: &'v Map<String, Value>, name: &str) -> Option<&'v Value> {
    if map.len() <= LINEAR_LOOKUP_MAX {
        map.iter().find_map(|(k, v)| (k == name).then_some(v))
    } else {
        map.get(name)
    }
}

/// `map.get_mut(name)`, without hashing for small objects.
fn lookup_mut<'v>(map: &'v mut Map<String, Value>, name: &str) -> Option<&'v mut Value> {
    if map.len() <= LINEAR_LOOKUP_MAX {
        map.iter_mut().find_map(|(k, v)| (k == name).then_some(v))
    } else {
        map.get_mut(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const A_B: ReferencePath = ReferencePath::from_static(
        Root::Input,
        &[Segment::Field("a"), Segment::Field("b")],
        "$.a.b",
    );
    const ITEMS_1_NAME: ReferencePath = ReferencePath::from_static(
        Root::Input,
        &[
            Segment::Field("items"),
            Segment::Index(1),
            Segment::Field("name"),
        ],
        "$.items[1].name",
    );

    #[test]
    fn get_walks_fields_and_indexes() {
        let v = json!({"a": {"b": 3}, "items": [{"name": "x"}, {"name": "y"}]});
        assert_eq!(A_B.get(&v), Some(&json!(3)));
        assert_eq!(ITEMS_1_NAME.get(&v), Some(&json!("y")));
        assert_eq!(ReferencePath::ROOT.get(&v), Some(&v));
        assert_eq!(A_B.get(&json!({"a": 1})), None);
        assert_eq!(ITEMS_1_NAME.get(&json!({"items": [{}]})), None);
        assert_eq!(A_B.get(&json!({"a": {"b": null}})), Some(&Value::Null));
    }

    #[test]
    fn select_reports_aws_cause() {
        let p = ReferencePath::from_static(
            Root::Input,
            &[Segment::Field("NoSuchInputPath")],
            "$.NoSuchInputPath",
        );
        let err = p.select(&json!({})).unwrap_err();
        assert_eq!(err.name(), names::RUNTIME);
        assert_eq!(
            err.cause(),
            Some("Invalid path '$.NoSuchInputPath' : No results for path: $['NoSuchInputPath']")
        );
        assert_eq!(ITEMS_1_NAME.normalized(), "$['items'][1]['name']");
    }

    #[test]
    fn set_creates_missing_objects_and_keeps_order() {
        let out = A_B.apply_result(json!({"z": 1}), json!("r")).unwrap();
        assert_eq!(out.to_string(), r#"{"z":1,"a":{"b":"r"}}"#);
        let out = A_B
            .apply_result(json!({"a": {"c": 1, "b": 0}}), json!(2))
            .unwrap();
        assert_eq!(out.to_string(), r#"{"a":{"c":1,"b":2}}"#);
        assert_eq!(
            ReferencePath::ROOT
                .apply_result(json!({"x": 1}), json!([1]))
                .unwrap(),
            json!([1])
        );
        let out = ITEMS_1_NAME
            .apply_result(json!({"items": [1, {"name": 0}]}), json!("n"))
            .unwrap();
        assert_eq!(out, json!({"items": [1, {"name": "n"}]}));
    }

    #[test]
    fn set_through_non_object_is_match_failure() {
        let err = A_B.apply_result(json!({"a": "str"}), json!(1)).unwrap_err();
        assert_eq!(err.name(), names::RESULT_PATH_MATCH_FAILURE);
        assert_eq!(
            err.cause(),
            Some(r#"Unable to apply ReferencePath $.a.b to input {"a":"str"}"#)
        );
        assert!(A_B.apply_result(json!("top"), json!(1)).is_err());
        assert!(A_B.apply_result(json!([1]), json!(1)).is_err());
        assert!(
            ITEMS_1_NAME
                .apply_result(json!({"items": [1]}), json!(1))
                .is_err()
        );
        assert!(
            ITEMS_1_NAME
                .apply_result(json!({"items": [1, 2]}), json!(1))
                .is_err()
        );
    }
}
