//! Jayway JsonPath as Step Functions reads it, corner by corner: what parses,
//! to what, where a reference path is required, and what the runtime then
//! selects through the very values generated code is built from (the
//! normalised query for jsonpath-rust, the segments of a reference path).
//!
//! Jayway's grammar is its `PathCompiler`: the path is trimmed; after the root
//! comes `.` or `[`; a dot name runs to `.`, `[` or `(` and holds anything but a
//! space; `.[` is `[`; `name(...)` is a function; a name may follow `]`.

use asl_build::expr::{Path, Segment, Step};
use asl_build::expr_parse::{parse_path, parse_reference_path};
use serde_json::{Value, json};

/// What a path parses to: a reference path's segments, or a query's steps.
#[derive(Debug, PartialEq)]
enum Parsed {
    Reference(Vec<Segment>),
    Query(Vec<Step>),
}

fn f(name: &str) -> Segment {
    Segment::Field(name.to_string())
}

fn parsed(text: &str) -> Result<Parsed, String> {
    Ok(match parse_path(text)? {
        Path::Reference(r) => Parsed::Reference(r.segments),
        Path::Query(q) => Parsed::Query(q.steps),
    })
}

#[test]
fn jayway_grammar_corners() {
    use Parsed::{Query, Reference};
    let cases: Vec<(&str, Result<Parsed, &str>)> = vec![
        // A bracket right after a dot is the bracket (AWS's paths page writes
        // `$.abc.['def ghi']`).
        ("$.[0]", Ok(Reference(vec![Segment::Index(0)]))),
        ("$.a.['b c']", Ok(Reference(vec![f("a"), f("b c")]))),
        (
            "$.Snapshots.[0].State",
            Ok(Reference(vec![
                f("Snapshots"),
                Segment::Index(0),
                f("State"),
            ])),
        ),
        (
            "$.[?(@.OU > 0)]",
            Ok(Query(vec![Step::Filter("@.OU > 0".into())])),
        ),
        (
            "$$.Execution.['Id']",
            Ok(Reference(vec![f("Execution"), f("Id")])),
        ),
        // Surrounding whitespace is trimmed before compiling (a deployed
        // definition writes `"$$.Execution.Name "`).
        (
            "$$.Execution.Name ",
            Ok(Reference(vec![f("Execution"), f("Name")])),
        ),
        ("\t$.a\n", Ok(Reference(vec![f("a")]))),
        // A dot name holds any character but `.`, `[`, `(` and a space.
        ("$.a-b", Ok(Reference(vec![f("a-b")]))),
        ("$.a*b", Ok(Reference(vec![f("a*b")]))),
        ("$.a'b", Ok(Reference(vec![f("a'b")]))),
        ("$.a:b", Ok(Reference(vec![f("a:b")]))),
        ("$.ünïcødé", Ok(Reference(vec![f("ünïcødé")]))),
        ("$.a b", Err("unexpected space in a field name")),
        ("$. a", Err("unexpected space in a field name")),
        // A name may follow a bracket directly.
        ("$['a']b", Ok(Reference(vec![f("a"), f("b")]))),
        ("$[0]b", Ok(Reference(vec![Segment::Index(0), f("b")]))),
        // Whitespace inside brackets.
        ("$[ 'a' ]", Ok(Reference(vec![f("a")]))),
        ("$[ 1 ]", Ok(Reference(vec![Segment::Index(1)]))),
        // Wildcards, scans, unions, slices, negative indexes: queries.
        ("$.*", Ok(Query(vec![Step::Wildcard]))),
        ("$[*]", Ok(Query(vec![Step::Wildcard]))),
        (
            "$..a",
            Ok(Query(vec![Step::Descendant(Box::new(Step::Field(
                "a".into(),
            )))])),
        ),
        (
            "$['a','b']",
            Ok(Query(vec![Step::Union(vec![
                Step::Field("a".into()),
                Step::Field("b".into()),
            ])])),
        ),
        (
            "$[0, 2]",
            Ok(Query(vec![Step::Union(vec![
                Step::Index(0),
                Step::Index(2),
            ])])),
        ),
        (
            "$[1:]",
            Ok(Query(vec![Step::Slice {
                start: Some(1),
                end: None,
                step: None,
            }])),
        ),
        ("$[-1]", Ok(Query(vec![Step::Index(-1)]))),
        // Path functions parse; Step Functions does not evaluate them.
        (
            "$.Jobs.sum()",
            Ok(Query(vec![
                Step::Field("Jobs".into()),
                Step::Function("sum()".into()),
            ])),
        ),
        (
            "$.a.length()",
            Ok(Query(vec![
                Step::Field("a".into()),
                Step::Function("length()".into()),
            ])),
        ),
        // What Jayway refuses.
        ("$.", Err("expected a field name")),
        ("$..", Err("expected a field name")),
        ("$...a", Err("expected a field name")),
        ("$a b", Err("a variable name has only letters")),
        ("$x", Ok(Reference(vec![]))),
        ("a.b", Err("a path must start with `$`")),
        ("$['a'", Err("expected `]`")),
        ("$['a", Err("unterminated name")),
        ("$[a]", Err("expected an index, a quoted name")),
        ("$.a(", Err("unclosed `(`")),
        ("$[?(@.a > 1]", Err("unclosed `(`")),
    ];
    let mut failures = Vec::new();
    for (text, expected) in cases {
        let got = parsed(text);
        let ok = match (&got, &expected) {
            (Ok(a), Ok(b)) => a == b,
            (Err(message), Err(part)) => message.contains(part),
            _ => false,
        };
        if !ok {
            failures.push(format!("{text:?}: expected {expected:?}, got {got:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn reference_paths_refuse_what_aws_refuses_there() {
    // AWS's paths page: a reference path has only `.` and `[]` steps; no
    // functions, no `..`, `*`, filters, slices or unions.
    for text in [
        "$.a.length()",
        "$..a",
        "$.*",
        "$[?(@.a)]",
        "$[0:1]",
        "$['a','b']",
        "$[-1]",
    ] {
        let err = parse_reference_path(text).expect_err(text);
        assert!(err.contains("is not a reference path"), "{text}: {err}");
    }
    for text in ["$.[0]", "$.a.['b c']", "$$.Execution.Name ", "$['a']b"] {
        parse_reference_path(text).unwrap_or_else(|e| panic!("{text}: {e}"));
    }
}

/// The runtime selects what the parsed path says, through what generated code
/// is built from: a reference path's segments, or a query's normalised text.
fn evaluate(text: &str, doc: &Value) -> Option<Value> {
    fn leak(s: String) -> &'static str {
        Box::leak(s.into_boxed_str())
    }
    match parse_path(text).unwrap_or_else(|e| panic!("{text}: {e}")) {
        Path::Reference(r) => {
            let segments: Vec<asl_runtime::__private::Segment> = r
                .segments
                .iter()
                .map(|s| match s {
                    Segment::Field(name) => {
                        asl_runtime::__private::Segment::Field(leak(name.clone()))
                    }
                    Segment::Index(i) => asl_runtime::__private::Segment::Index(*i),
                })
                .collect();
            let path = asl_runtime::__private::ReferencePath::input(
                Box::leak(segments.into_boxed_slice()),
                leak(r.text),
            );
            asl_runtime::__private::field("x.$", &path, doc).ok()
        }
        Path::Query(q) => {
            let query =
                asl_runtime::__private::JsonPathQuery::with_query(leak(q.text), leak(q.query));
            asl_runtime::__private::query_field("x.$", &query, doc).ok()
        }
    }
}

#[test]
fn jayway_corners_select_what_they_say() {
    let doc = json!({
        "a": {"b c": 1, "length": 5},
        "items": [10, 20, 30],
        "Snapshots": [{"State": "ok"}],
        "a-b": "dash", "a*b": "star",
        "OU": [{"OU": 1}, {"OU": -1}, {"OU": 3}],
        "Jobs": [0, 1],
    });
    let cases: Vec<(&str, Option<Value>)> = vec![
        ("$.a.['b c']", Some(json!(1))),
        ("$.Snapshots.[0].State", Some(json!("ok"))),
        ("$.items.[1]", Some(json!(20))),
        ("$.OU.[?(@.OU > 0)]", Some(json!([{"OU": 1}, {"OU": 3}]))),
        ("$.a-b", Some(json!("dash"))),
        ("$.a*b", Some(json!("star"))),
        ("$['a']length", Some(json!(5))),
        ("$.items ", Some(json!([10, 20, 30]))),
        // Jayway: one index, even from the end, selects one value.
        ("$.items[-1]", Some(json!(30))),
        ("$.items[0, 2]", Some(json!([10, 30]))),
        // Step Functions: "The JSONPath '$.Jobs.sum()' ... could not be found".
        ("$.Jobs.sum()", None),
        ("$.items.length()", None),
    ];
    let mut failures = Vec::new();
    for (text, expected) in cases {
        let got = evaluate(text, &doc);
        if got != expected {
            failures.push(format!("{text:?}: expected {expected:?}, got {got:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
