//! Full JSONPath (`$.logs..pi`, `$.items[?(@.n > 1)]`, `$.a[*]`, slices) for `.$`
//! fields, `InputPath`/`OutputPath`/`ItemsPath` values that are not reference paths.
//!
//! In: the path text (checked by build-support at compile time) and a root `Value`.
//! Out: ASL's result, which depends on the *form* of the path, not on the data: a
//! definite path (only `.name`, `['name']`, `[n]`) yields the single value it
//! selects; an indefinite one (`..`, `*`, filters, slices, unions) yields an array of
//! every match, possibly empty.
//!
//! Generated code writes `static Q: JsonPathQuery = JsonPathQuery::new("$.logs..pi");`;
//! the text is compiled by jsonpath-rust on first use and kept, so nothing is parsed
//! again on later runs.

use std::sync::OnceLock;

use jsonpath_rust::parser::model::{JpQuery, Segment, Selector};
use jsonpath_rust::parser::parse_json_path;
use jsonpath_rust::query::js_path_process;
use serde_json::Value;

/// A JSONPath compiled once, on first use.
pub struct JsonPathQuery {
    text: &'static str,
    /// What jsonpath-rust parses, when build-support has normalised it already.
    query: Option<&'static str>,
    compiled: OnceLock<Result<Compiled, String>>,
}

struct Compiled {
    query: JpQuery,
    definite: bool,
    context: bool,
}

/// What a query yields.
#[derive(Clone, Debug, PartialEq)]
pub enum QueryResult {
    /// A definite path matched (the value), or an indefinite one matched anything
    /// or nothing (an array of every match).
    Found(Value),
    /// A definite path matched nothing.
    NotFound,
}

impl JsonPathQuery {
    /// `text` as written in the definition, starting with `$` (state input) or `$$`
    /// (context object); the caller passes the matching root to [`Self::query`].
    pub const fn new(text: &'static str) -> Self {
        JsonPathQuery {
            text,
            query: None,
            compiled: OnceLock::new(),
        }
    }

    /// What generated code writes: `text` as written, for error causes, and
    /// `query`, the form build-support normalised for jsonpath-rust (rooted at `$`,
    /// names in bracket form, so escaped dots and Jayway-style bare words in
    /// filters mean what the checker understood).
    pub const fn with_query(text: &'static str, query: &'static str) -> Self {
        JsonPathQuery {
            text,
            query: Some(query),
            compiled: OnceLock::new(),
        }
    }

    /// The path as written, for error causes.
    pub fn text(&self) -> &'static str {
        self.text
    }

    /// Does the path start at the context object (`$$`)?
    pub fn is_context(&self) -> bool {
        self.text.starts_with("$$")
    }

    /// For a path over a workflow variable (`$items[*].id`), the variable's name
    /// (`items`); the caller passes the variable's value to [`Self::query`].
    pub fn variable(&self) -> Option<&'static str> {
        let rest = self.text.strip_prefix('$')?;
        let end = rest.find(['.', '[']).unwrap_or(rest.len());
        let name = &rest[..end];
        (!name.is_empty() && !name.starts_with('$')).then_some(name)
    }

    /// The text jsonpath-rust parses: the normalised query when there is one, else
    /// the text with its root (`$$`, `$name`) replaced by `$`, since the caller has
    /// already chosen the root value.
    fn query_text(&self) -> String {
        if let Some(query) = self.query {
            return query.to_string();
        }
        let rest = if self.is_context() {
            &self.text[2..]
        } else {
            match self.variable() {
                Some(name) => &self.text[1 + name.len()..],
                None => self.text.strip_prefix('$').unwrap_or(self.text),
            }
        };
        format!("${rest}")
    }

    fn compiled(&self) -> &Result<Compiled, String> {
        self.compiled.get_or_init(|| {
            let context = self.is_context();
            // jsonpath-rust knows only `$`: `$$.a` is `$.a` applied to the context object.
            let query = parse_json_path(&self.query_text()).map_err(|e| e.to_string())?;
            let definite = query.segments.iter().all(is_definite_segment);
            Ok(Compiled {
                query,
                definite,
                context,
            })
        })
    }

    /// Is the path definite (a single value) rather than a query yielding a list?
    /// A path jsonpath-rust cannot parse counts as definite.
    pub fn is_definite(&self) -> bool {
        self.compiled().as_ref().map(|c| c.definite).unwrap_or(true)
    }

    /// Applies the path to `root` (the state input, or the context object for a
    /// `$$` path). A path that does not parse (build-support rejects those) matches
    /// nothing.
    pub fn query(&self, root: &Value) -> QueryResult {
        let Ok(compiled) = self.compiled() else {
            return QueryResult::NotFound;
        };
        debug_assert_eq!(compiled.context, self.is_context());
        let matches = match js_path_process(&compiled.query, root) {
            Ok(found) => found,
            Err(_) => {
                return if compiled.definite {
                    QueryResult::NotFound
                } else {
                    QueryResult::Found(Value::Array(Vec::new()))
                };
            }
        };
        if compiled.definite {
            match matches.into_iter().next() {
                Some(found) => QueryResult::Found(found.val.clone()),
                None => QueryResult::NotFound,
            }
        } else {
            QueryResult::Found(Value::Array(
                matches.into_iter().map(|m| m.val.clone()).collect(),
            ))
        }
    }

    /// [`Self::query`] with `None` for a definite path that matched nothing.
    pub fn find(&self, root: &Value) -> Option<Value> {
        match self.query(root) {
            QueryResult::Found(v) => Some(v),
            QueryResult::NotFound => None,
        }
    }
}

/// `.name`, `['name']` and `[n]` select at most one value; so does a bracket with
/// one of those alone (`['a']` may parse as a one-element selector list).
fn is_definite_segment(segment: &Segment) -> bool {
    let single = |s: &Selector| matches!(s, Selector::Name(_) | Selector::Index(_));
    match segment {
        Segment::Selector(s) => single(s),
        Segment::Selectors(list) => list.len() == 1 && single(&list[0]),
        Segment::Descendant(_) => false,
    }
}

impl std::fmt::Debug for JsonPathQuery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("JsonPathQuery").field(&self.text).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    static PI: JsonPathQuery = JsonPathQuery::new("$.logs..pi");
    static FIRST: JsonPathQuery = JsonPathQuery::new("$.logs[0].pi");
    static FILTER: JsonPathQuery = JsonPathQuery::new("$.items[?(@.n > 1)].n");
    static CTX: JsonPathQuery = JsonPathQuery::new("$$.Execution.Name");
    static SLICE: JsonPathQuery = JsonPathQuery::new("$.items[0:2]");
    static BRACKETS: JsonPathQuery = JsonPathQuery::new("$['items'][1]['n']");
    static UNION: JsonPathQuery = JsonPathQuery::new("$.items[0,1].n");
    static NEGATIVE: JsonPathQuery = JsonPathQuery::new("$.items[-1].n");

    #[test]
    fn definite_yields_value_indefinite_yields_array() {
        let v =
            json!({"logs": [{"pi": 3}, {"x": {"pi": 4}}], "items": [{"n": 1}, {"n": 2}, {"n": 3}]});
        assert!(FIRST.is_definite());
        assert!(!PI.is_definite());
        assert_eq!(FIRST.query(&v), QueryResult::Found(json!(3)));
        assert_eq!(PI.query(&v), QueryResult::Found(json!([3, 4])));
        assert_eq!(FILTER.query(&v), QueryResult::Found(json!([2, 3])));
        assert_eq!(
            SLICE.query(&v),
            QueryResult::Found(json!([{"n": 1}, {"n": 2}]))
        );
        assert_eq!(PI.query(&json!({})), QueryResult::Found(json!([])));
        assert!(BRACKETS.is_definite());
        assert_eq!(BRACKETS.query(&v), QueryResult::Found(json!(2)));
        assert!(!UNION.is_definite());
        assert_eq!(UNION.query(&v), QueryResult::Found(json!([1, 2])));
        assert_eq!(NEGATIVE.query(&v), QueryResult::Found(json!(3)));
        assert_eq!(FIRST.query(&json!({})), QueryResult::NotFound);
    }

    #[test]
    fn context_paths_read_the_given_root() {
        assert!(CTX.is_context());
        assert_eq!(
            CTX.find(&json!({"Execution": {"Name": "e1"}})),
            Some(json!("e1"))
        );
    }

    #[test]
    fn variable_paths_name_their_variable() {
        static VAR: JsonPathQuery = JsonPathQuery::new("$items[*].id");
        static WHOLE: JsonPathQuery = JsonPathQuery::new("$items");
        assert_eq!(VAR.variable(), Some("items"));
        assert_eq!(WHOLE.variable(), Some("items"));
        assert_eq!(PI.variable(), None);
        assert_eq!(CTX.variable(), None);
        assert_eq!(
            VAR.find(&json!([{"id": 1}, {"id": 2}])),
            Some(json!([1, 2]))
        );
        assert_eq!(WHOLE.find(&json!(5)), Some(json!(5)));
    }

    #[test]
    fn unparsable_path_matches_nothing() {
        static BAD: JsonPathQuery = JsonPathQuery::new("$.[[[");
        assert_eq!(BAD.query(&json!({})), QueryResult::NotFound);
    }
}
