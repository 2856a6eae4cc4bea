//! From positioned JSON to the typed model, applying every field-level rule.
//!
//! In: the [`Json`] tree of a definition. Out: a [`StateMachine`] and the
//! diagnostics of the field-level rules: required and allowed fields per state
//! type and per query language, JSON types, mutually exclusive fields, value
//! ranges, path/intrinsic/JSONata syntax in each context. These rules need the raw
//! JSON (which keys were written, with which JSON types), so they run while the
//! model is built; each is a named function (rule name in its doc). Graph-level
//! rules run afterwards on the model ([`crate::check`]).
//!
//! Here: the entry point, the plumbing every rule uses (typed field reads,
//! allowed fields), machines and the fields every state has. By concern:
//! `fields` (allowed fields per state type and query language), `io` (paths,
//! payload templates, JSONata strings), `task` (Task, Resource ARNs, Retry and
//! Catch), `pass_wait_fail`, `choice` (rules and comparisons), `map`
//! (Parallel and Map).
//!
//! Loading never stops at the first problem: a bad field is reported and left out
//! (or replaced by a neutral value, see `Lowerer::placeholder_state`) so the rest
//! of the definition is still checked. A model built with diagnostics is never
//! used for code generation.

use crate::diagnostics::{Diagnostic, LineIndex, Sink};
use crate::expr::{Expression, Jsonata, Path, ReferencePath, Root};
use crate::expr_parse;
use crate::json::{Json, JsonValue, Member, escape_pointer};
use crate::model::*;
use crate::rules::Rule;

use asl_lang::keywords::fields::*;
use fields::*;

mod choice;
mod fields;
mod io;
mod map;
mod pass_wait_fail;
mod task;

pub use asl_lang::keywords::{
    MAX_DELAY_SECONDS, MAX_INTEGER_FIELD, MAX_LABEL_CHARS, MAX_STATE_NAME_CHARS,
};
pub use task::{check_arn, check_resource_uri};

/// Builds the model from `json`, reporting into `diags`.
pub fn lower(json: &Json, index: &LineIndex, diags: &mut Sink) -> Option<StateMachine> {
    let mut l = Lowerer {
        index,
        diags,
        top_language: QueryLanguage::JsonPath,
        state_language: QueryLanguage::JsonPath,
        state_fields: &[],
    };
    l.machine(json, "", QueryLanguage::JsonPath, MachineKind::Top)
}

#[derive(Clone, Copy, PartialEq)]
enum MachineKind {
    Top,
    Branch,
    Processor,
}

/// A JSON object being lowered: its members and pointer.
struct Obj<'a> {
    json: &'a Json,
    members: &'a [Member],
    ptr: String,
}

impl<'a> Obj<'a> {
    fn get(&self, key: &str) -> Option<&'a Member> {
        self.members.iter().find(|m| m.key == key)
    }

    fn has(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    fn child(&self, key: &str) -> String {
        format!("{}/{}", self.ptr, escape_pointer(key))
    }
}

struct Lowerer<'a> {
    index: &'a LineIndex,
    diags: &'a mut Sink,
    /// The top-level `QueryLanguage` (JSONata there rules out JSONPath states).
    top_language: QueryLanguage,
    /// The language of the state being lowered.
    state_language: QueryLanguage,
    /// The fields the type of the state being lowered has (besides `Type`,
    /// `Comment`, `QueryLanguage`).
    state_fields: &'static [&'static str],
}

impl Lowerer<'_> {
    // ------------------------------------------------------------ plumbing

    fn origin(&self, json: &Json, ptr: &str) -> Origin {
        self.index.origin(json.start, json.end, ptr.to_string())
    }

    fn key_origin(&self, m: &Member, ptr: &str) -> Origin {
        self.index.origin(m.key_start, m.key_end, ptr.to_string())
    }

    fn error(&mut self, rule: Rule, origin: Origin, message: String, help: &str) {
        let mut d = Diagnostic::new(rule, message, origin);
        if !help.is_empty() {
            d = d.with_help(help);
        }
        self.diags.push(d);
    }

    /// Rule `asl::wrong-type`: a field holds a JSON type the language does not
    /// allow there. `"Next": 3`
    fn wrong_type(&mut self, json: &Json, ptr: &str, field: &str, expected: &str) {
        let origin = self.origin(json, ptr);
        self.error(
            Rule::WrongType,
            origin,
            format!("\"{field}\" must be {expected}, found {}", json.type_name()),
            "",
        );
    }

    fn object<'j>(&mut self, json: &'j Json, ptr: &str, field: &str) -> Option<Obj<'j>> {
        match &json.value {
            JsonValue::Object(members) => Some(Obj {
                json,
                members,
                ptr: ptr.to_string(),
            }),
            _ => {
                self.wrong_type(json, ptr, field, "an object");
                None
            }
        }
    }

    fn string(&mut self, obj: &Obj, key: &str) -> Option<Spanned<String>> {
        let m = obj.get(key)?;
        let ptr = obj.child(key);
        match &m.value.value {
            JsonValue::String(s) => Some(Spanned {
                value: s.clone(),
                origin: self.origin(&m.value, &ptr),
            }),
            _ => {
                self.wrong_type(&m.value, &ptr, key, "a string");
                None
            }
        }
    }

    /// Rule `asl::missing-field`: a field the state type (or object) requires is
    /// absent. `{"Type": "Task"}` without `Resource`.
    fn require(&mut self, obj: &Obj, key: &str, what: &str) -> bool {
        if obj.has(key) {
            return true;
        }
        let origin = self.origin(obj.json, &obj.ptr);
        self.error(
            Rule::MissingField,
            origin,
            format!("{what} is missing the required field \"{key}\""),
            "",
        );
        false
    }

    /// Rule `asl::unknown-field`: a field that this kind of object does not have
    /// (a typo, or a field of another state type). `{"Type": "Pass", "ResultSelector": {}}`
    fn unknown_fields(&mut self, obj: &Obj, allowed: &[&[&str]], what: &str) {
        for m in obj.members {
            if !allowed.iter().any(|set| set.contains(&m.key.as_str())) {
                let origin = self.key_origin(m, &obj.child(&m.key));
                let help = suggest(&m.key, allowed)
                    .map(|s| format!("did you mean \"{s}\"?"))
                    .unwrap_or_default();
                self.error(
                    Rule::UnknownField,
                    origin,
                    format!("{what} does not allow the field \"{}\"", m.key),
                    &help,
                );
            }
        }
    }

    /// Rule `asl::field-not-in-query-language`: a JSONPath-only field in a JSONata
    /// state, or the reverse. `{"QueryLanguage": "JSONata", "Parameters": {}}`
    fn query_language_fields(&mut self, obj: &Obj, lang: QueryLanguage, what: &str) {
        let (forbidden, name) = match lang {
            QueryLanguage::JsonPath => (JSONATA_ONLY, "JSONPath"),
            QueryLanguage::Jsonata => (JSONPATH_ONLY, "JSONata"),
        };
        for m in obj.members {
            if let Some((_, instead)) = forbidden.iter().find(|(k, _)| *k == m.key) {
                let origin = self.key_origin(m, &obj.child(&m.key));
                self.error(
                    Rule::FieldNotInQueryLanguage,
                    origin,
                    format!(
                        "{what} uses {name}, which does not have the field \"{}\"",
                        m.key
                    ),
                    &format!("use {instead}, or set \"QueryLanguage\" accordingly"),
                );
            }
        }
    }

    /// Rule `asl::mutually-exclusive-fields`: two fields of which at most one may
    /// be given. `{"TimeoutSeconds": 5, "TimeoutSecondsPath": "$.t"}`
    fn mutually_exclusive(&mut self, obj: &Obj, a: &str, b: &str, what: &str) -> bool {
        if let (true, Some(m)) = (obj.has(a), obj.get(b)) {
            let origin = self.key_origin(m, &obj.child(b));
            self.error(
                Rule::MutuallyExclusiveFields,
                origin,
                format!("{what} may have only one of [\"{a}\", \"{b}\"]"),
                &format!("remove \"{a}\" or \"{b}\""),
            );
            return false;
        }
        true
    }

    /// Rule `asl::value-range`: a number outside the range the language allows.
    /// `"MaxAttempts": -1`, `"BackoffRate": 0.5`.
    fn integer(&mut self, obj: &Obj, key: &str, min: u64, max: u64) -> Option<Spanned<u64>> {
        let m = obj.get(key)?;
        let ptr = obj.child(key);
        let origin = self.origin(&m.value, &ptr);
        let JsonValue::Number(text) = &m.value.value else {
            self.wrong_type(&m.value, &ptr, key, "an integer");
            return None;
        };
        let value: Option<i128> = text.parse::<i128>().ok().or_else(|| {
            // `3.0` is an integer in JSON's data model.
            text.parse::<f64>()
                .ok()
                .filter(|f| f.fract() == 0.0 && f.abs() < 1e30)
                .map(|f| f as i128)
        });
        match value {
            Some(v) if v >= i128::from(min) && v <= i128::from(max) => Some(Spanned {
                value: v as u64,
                origin,
            }),
            Some(v) => {
                let bound = if v < i128::from(min) {
                    match min {
                        0 => "it must be an integer ≥ 0 (allowed floor is 0)".to_string(),
                        1 => "it must be a positive integer (allowed floor is 0, exclusive)"
                            .to_string(),
                        _ => format!("allowed minimum is {min}"),
                    }
                } else {
                    format!("allowed maximum is {max}")
                };
                self.error(
                    Rule::ValueRange,
                    origin,
                    format!("\"{key}\" is {text}, out of range: {bound}"),
                    "",
                );
                None
            }
            None => {
                self.error(
                    Rule::WrongType,
                    origin,
                    format!("\"{key}\" must be an integer, found {text}"),
                    "",
                );
                None
            }
        }
    }

    fn number(&mut self, obj: &Obj, key: &str, min: f64, max: f64) -> Option<Spanned<f64>> {
        let m = obj.get(key)?;
        let ptr = obj.child(key);
        let origin = self.origin(&m.value, &ptr);
        let JsonValue::Number(text) = &m.value.value else {
            self.wrong_type(&m.value, &ptr, key, "a number");
            return None;
        };
        let v: f64 = text.parse().unwrap_or(f64::INFINITY);
        if v.is_finite() && v >= min && v <= max {
            Some(Spanned { value: v, origin })
        } else {
            let bound = if v < min {
                format!("allowed minimum is {min}")
            } else {
                format!("allowed maximum is {max}")
            };
            self.error(
                Rule::ValueRange,
                origin,
                format!("\"{key}\" is {text}, out of range: {bound}"),
                "",
            );
            None
        }
    }

    fn bool_field(&mut self, obj: &Obj, key: &str) -> Option<Spanned<bool>> {
        let m = obj.get(key)?;
        let ptr = obj.child(key);
        match m.value.value {
            JsonValue::Bool(b) => Some(Spanned {
                value: b,
                origin: self.origin(&m.value, &ptr),
            }),
            _ => {
                self.wrong_type(&m.value, &ptr, key, "a boolean");
                None
            }
        }
    }

    fn comment(&mut self, obj: &Obj) -> Option<Spanned<String>> {
        self.string(obj, COMMENT)
    }

    /// Rule `asl::unknown-value`: a string field outside its fixed set of values.
    /// `"JitterStrategy": "SOME"`
    fn enum_field<T: Copy>(
        &mut self,
        obj: &Obj,
        key: &str,
        values: &[(&str, T)],
    ) -> Option<Spanned<T>> {
        let s = self.string(obj, key)?;
        match values.iter().find(|(name, _)| *name == s.value) {
            Some((_, v)) => Some(Spanned {
                value: *v,
                origin: s.origin,
            }),
            None => {
                let names: Vec<String> = values.iter().map(|(n, _)| format!("\"{n}\"")).collect();
                self.error(
                    Rule::UnknownValue,
                    s.origin,
                    format!(
                        "\"{key}\" is \"{}\", not one of the allowed values [{}]",
                        s.value,
                        names.join(", ")
                    ),
                    "",
                );
                None
            }
        }
    }

    fn query_language_field(&mut self, obj: &Obj) -> Option<Spanned<QueryLanguage>> {
        self.enum_field(
            obj,
            QUERY_LANGUAGE,
            &[
                ("JSONPath", QueryLanguage::JsonPath),
                ("JSONata", QueryLanguage::Jsonata),
            ],
        )
    }

    // ------------------------------------------------------------ machines

    fn machine(
        &mut self,
        json: &Json,
        ptr: &str,
        parent_lang: QueryLanguage,
        kind: MachineKind,
    ) -> Option<StateMachine> {
        let what = match kind {
            MachineKind::Top => "the state machine",
            MachineKind::Branch => "a Parallel branch",
            MachineKind::Processor => "a Map item processor",
        };
        let field = match kind {
            MachineKind::Top => "the definition",
            MachineKind::Branch => BRANCHES,
            MachineKind::Processor => ITEM_PROCESSOR,
        };
        let obj = self.object(json, ptr, field)?;
        let allowed: &[&str] = match kind {
            MachineKind::Top => &[
                START_AT,
                STATES,
                COMMENT,
                VERSION,
                TIMEOUT_SECONDS,
                QUERY_LANGUAGE,
            ],
            MachineKind::Branch => &[START_AT, STATES, COMMENT],
            MachineKind::Processor => &[START_AT, STATES, COMMENT, PROCESSOR_CONFIG],
        };
        self.unknown_fields(&obj, &[allowed], what);
        let query_language_field = if kind == MachineKind::Top {
            self.query_language_field(&obj)
        } else {
            None
        };
        let query_language = query_language_field
            .as_ref()
            .map_or(parent_lang, |q| q.value);
        if kind == MachineKind::Top {
            self.top_language = query_language;
        }
        let has_start = self.require(&obj, START_AT, what);
        let start_at = if has_start {
            self.string(&obj, START_AT)
        } else {
            None
        };
        let version = self.string(&obj, VERSION);
        if let Some(v) = &version {
            self.version_is_1_0(v);
        }
        let timeout_seconds = self.integer(&obj, TIMEOUT_SECONDS, 1, MAX_INTEGER_FIELD);
        let mut states = Vec::new();
        if self.require(&obj, STATES, what) {
            let m = obj.get(STATES).expect("checked above");
            let states_ptr = obj.child(STATES);
            if let Some(states_obj) = self.object(&m.value, &states_ptr, STATES) {
                if states_obj.members.is_empty() {
                    let origin = self.origin(&m.value, &states_ptr);
                    self.error(
                        Rule::MissingField,
                        origin,
                        format!("\"States\" of {what} is empty"),
                        "a state machine needs at least one state",
                    );
                }
                for member in states_obj.members {
                    let state_ptr = states_obj.child(&member.key);
                    states.push(self.state(member, &state_ptr, query_language));
                }
            }
        }
        let origin = self.origin(json, ptr);
        let start_at = start_at.unwrap_or_else(|| Spanned {
            value: String::new(),
            origin: origin.clone(),
        });
        Some(StateMachine {
            comment: self.comment(&obj),
            start_at,
            states,
            version,
            timeout_seconds,
            query_language_field,
            query_language,
            origin,
        })
    }

    /// Rule `asl::unknown-value` (Version): the only version is "1.0".
    fn version_is_1_0(&mut self, v: &Spanned<String>) {
        if v.value != "1.0" {
            self.error(
                Rule::UnknownValue,
                v.origin.clone(),
                format!(
                    "\"Version\" is \"{}\", not one of the allowed values [\"1.0\"]",
                    v.value
                ),
                "",
            );
        }
    }

    /// Rule `asl::jsonpath-in-jsonata-machine`: when the top-level
    /// `QueryLanguage` is JSONata, no state may switch back to JSONPath (Step
    /// Functions rejects the definition). `{"QueryLanguage": "JSONata", ... {"QueryLanguage": "JSONPath"}}`
    fn no_jsonpath_under_jsonata(&mut self, q: &Spanned<QueryLanguage>, state: &str) {
        if self.top_language == QueryLanguage::Jsonata && q.value == QueryLanguage::JsonPath {
            self.error(
                Rule::JsonpathInJsonataMachine,
                q.origin.clone(),
                format!("state \"{state}\" uses JSONPath, but the state machine's QueryLanguage is JSONata"),
                "a JSONata state machine cannot contain JSONPath states; convert this state or set the top-level QueryLanguage to JSONPath",
            );
        }
    }

    /// `Assign`: a template whose keys are variable names.
    fn assign(&mut self, obj: &Obj, lang: QueryLanguage) -> Option<Template> {
        let template = self.template_field(obj, ASSIGN, lang)?;
        match &template.node {
            TemplateNode::Object(fields) => {
                for f in fields {
                    self.variable_name(&f.name);
                }
            }
            TemplateNode::Jsonata(_) | TemplateNode::Literal(serde_json::Value::Object(_)) => {}
            _ => {
                self.error(
                    Rule::WrongType,
                    template.origin.clone(),
                    "\"Assign\" must be an object of variable names".into(),
                    "e.g. \"Assign\": {\"count\": 0}",
                );
            }
        }
        Some(template)
    }

    /// Rule `asl::invalid-variable-name`: an `Assign` key names a variable that a
    /// path (`$name`) or JSONata (`$name`) can refer to: a letter or `_`, then
    /// letters, digits or `_`, at most 80 characters, and not the reserved
    /// `states`. `"Assign": {"my-var": 1}`
    fn variable_name(&mut self, name: &Spanned<String>) {
        let n = &name.value;
        let well_formed = n.starts_with(|c: char| c.is_alphabetic() || c == '_')
            && n.chars().all(|c| c.is_alphanumeric() || c == '_')
            && n.chars().count() <= MAX_STATE_NAME_CHARS;
        if !well_formed || n == "states" {
            let why = if n == "states" {
                "`$states` is reserved"
            } else {
                "a variable name is a letter or `_` followed by letters, digits or `_`, at most 80 characters"
            };
            self.error(
                Rule::InvalidVariableName,
                name.origin.clone(),
                format!("\"{n}\" cannot be a variable name: {why}"),
                "",
            );
        }
    }

    /// Rule `asl::state-name-too-long`: Step Functions refuses state names over
    /// 80 characters at deployment.
    fn state_name_length(&mut self, name: &Spanned<String>) {
        let n = name.value.chars().count();
        if n > MAX_STATE_NAME_CHARS {
            self.error(
                Rule::StateNameTooLong,
                name.origin.clone(),
                format!(
                    "state name \"{}\" has {n} characters; the limit is {MAX_STATE_NAME_CHARS}",
                    name.value
                ),
                "shorten the name (and every Next that names it)",
            );
        }
    }

    // ------------------------------------------------------------ states

    fn state(&mut self, member: &Member, ptr: &str, parent_lang: QueryLanguage) -> State {
        let name = Spanned {
            value: member.key.clone(),
            origin: self.key_origin(member, ptr),
        };
        self.state_name_length(&name);
        let origin = self.origin(&member.value, ptr);
        let Some(obj) = self.object(&member.value, ptr, &format!("state \"{}\"", member.key))
        else {
            return self.placeholder_state(name, origin, parent_lang);
        };
        let query_language_field = self.query_language_field(&obj);
        let lang = query_language_field
            .as_ref()
            .map_or(parent_lang, |q| q.value);
        if let Some(q) = &query_language_field {
            self.no_jsonpath_under_jsonata(q, &member.key);
        }
        let comment = self.comment(&obj);
        let what_missing = format!("state \"{}\"", member.key);
        if !self.require(&obj, TYPE, &what_missing) {
            return self.placeholder_state(name, origin, lang);
        }
        let Some(type_name) = self.string(&obj, TYPE) else {
            return self.placeholder_state(name, origin, lang);
        };
        let fields: &'static [&'static str] = match type_name.value.as_str() {
            "Task" => TASK_FIELDS,
            "Pass" => PASS_FIELDS,
            "Choice" => CHOICE_FIELDS,
            "Wait" => WAIT_FIELDS,
            "Succeed" => SUCCEED_FIELDS,
            "Fail" => FAIL_FIELDS,
            "Parallel" => PARALLEL_FIELDS,
            "Map" => MAP_FIELDS,
            other => {
                self.error(
                    Rule::UnknownStateType,
                    type_name.origin.clone(),
                    format!(
                        "state \"{}\" has Type \"{other}\", which is not a state type",
                        member.key
                    ),
                    "the types are Task, Pass, Choice, Wait, Succeed, Fail, Parallel and Map",
                );
                return self.placeholder_state(name, origin, lang);
            }
        };
        let what = format!("{} state \"{}\"", type_name.value, member.key);
        self.unknown_fields(&obj, &[COMMON, fields], &what);
        self.query_language_fields(&obj, lang, &what);
        // Nested machines change the language while they are lowered; restore it.
        let outer_language = std::mem::replace(&mut self.state_language, lang);
        let outer_fields = std::mem::replace(&mut self.state_fields, fields);
        let kind = match type_name.value.as_str() {
            "Task" => StateKind::Task(self.task(&obj, lang, &what)),
            "Pass" => StateKind::Pass(self.pass(&obj, lang, &what)),
            "Choice" => StateKind::Choice(self.choice(&obj, lang, &what)),
            "Wait" => StateKind::Wait(self.wait(&obj, lang, &what)),
            "Succeed" => StateKind::Succeed(Succeed {
                io: self.io(&obj, lang, &what),
            }),
            "Fail" => StateKind::Fail(self.fail(&obj, lang, &what)),
            "Parallel" => StateKind::Parallel(self.parallel(&obj, lang, &what)),
            _ => StateKind::Map(self.map(&obj, lang, &what)),
        };
        self.state_language = outer_language;
        self.state_fields = outer_fields;
        State {
            name,
            comment,
            query_language_field,
            query_language: lang,
            kind,
            origin,
        }
    }

    /// A state whose object or `Type` is unusable is modelled as a bare `Fail`
    /// (terminal, no transitions) so the graph rules neither cascade nor miss the
    /// name; its own error was already reported, so the model is never generated.
    fn placeholder_state(
        &self,
        name: Spanned<String>,
        origin: Origin,
        lang: QueryLanguage,
    ) -> State {
        State {
            name,
            comment: None,
            query_language_field: None,
            query_language: lang,
            kind: StateKind::Fail(Fail {
                error: None,
                cause: None,
            }),
            origin,
        }
    }

    /// Rule `asl::end-or-next`: a non-terminal state has exactly one of `Next`
    /// and `"End": true`. `{"Type": "Pass"}` (neither), `{"Next": "A", "End": true}` (both).
    fn transition(&mut self, obj: &Obj, what: &str) -> Transition {
        let next = self.string(obj, NEXT);
        let end = self.bool_field(obj, END);
        let state_origin = self.origin(obj.json, &obj.ptr);
        match (next, end) {
            (Some(n), Some(e)) if e.value => {
                self.error(
                    Rule::EndOrNext,
                    e.origin,
                    format!("{what} has both \"Next\" and \"End\": true"),
                    "keep one of them",
                );
                Transition::Next(n)
            }
            (Some(n), _) => Transition::Next(n),
            (None, Some(e)) if e.value => Transition::End(e.origin),
            (None, _) if obj.has(NEXT) => Transition::End(state_origin),
            (None, e) => {
                let origin = e.map_or(state_origin.clone(), |e| e.origin);
                self.error(
                    Rule::EndOrNext,
                    origin,
                    format!("{what} must have either \"Next\" or \"End\": true"),
                    "add \"Next\": \"<state>\" to continue, or \"End\": true to finish",
                );
                Transition::End(state_origin)
            }
        }
    }
}

/// The closest allowed field name, for "did you mean" help.
pub(crate) fn suggest<'a>(key: &str, allowed: &[&[&'a str]]) -> Option<&'a str> {
    let lower = key.to_ascii_lowercase();
    let candidates = allowed.iter().flat_map(|s| s.iter()).copied();
    // Same name in another case, or one inside the other (`bugInputPath`).
    let contained = candidates.clone().find(|a| {
        let a = a.to_ascii_lowercase();
        a == lower || (lower.len() > 4 && (lower.contains(&a) || a.contains(&lower)))
    });
    // Otherwise a typo: the nearest name within two edits (`Nxt`, `Resouce`).
    contained.or_else(|| {
        candidates
            .map(|a| (edit_distance(&lower, &a.to_ascii_lowercase()), a))
            .filter(|(d, _)| *d <= 2)
            .min_by_key(|(d, _)| *d)
            .map(|(_, a)| a)
    })
}

/// Levenshtein distance (names are short; the quadratic table is fine).
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = if ca == *cb {
                prev
            } else {
                1 + prev.min(cur).min(row[j])
            };
            prev = cur;
        }
    }
    row[b.len()]
}

/// RFC 3339 date-time as Step Functions accepts it (the runtime parses with
/// the same [`asl_lang::timestamp::parse`]).
pub fn is_rfc3339(s: &str) -> bool {
    asl_lang::timestamp::is_valid(s)
}
