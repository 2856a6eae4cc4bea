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
//! Loading never stops at the first problem: a bad field is reported and left out
//! (or replaced by a neutral value, see `Lowerer::placeholder_state`) so the rest
//! of the definition is still checked. A model built with diagnostics is never
//! used for code generation.

use crate::diagnostics::{Diagnostic, LineIndex};
use crate::expr::{Expression, Jsonata, Path, ReferencePath, Root};
use crate::expr_parse;
use crate::json::{Json, JsonValue, Member, escape_pointer};
use crate::model::*;
use crate::rules::Rule;

use asl_lang::keywords::fields::*;
pub use asl_lang::keywords::{
    MAX_DELAY_SECONDS, MAX_INTEGER_FIELD, MAX_LABEL_CHARS, MAX_STATE_NAME_CHARS,
};

const COMMON: &[&str] = &[TYPE, COMMENT, QUERY_LANGUAGE];
const TASK_FIELDS: &[&str] = &[
    RESOURCE,
    PARAMETERS,
    ARGUMENTS,
    CREDENTIALS,
    RESULT_SELECTOR,
    RETRY,
    CATCH,
    TIMEOUT_SECONDS,
    TIMEOUT_SECONDS_PATH,
    HEARTBEAT_SECONDS,
    HEARTBEAT_SECONDS_PATH,
    INPUT_PATH,
    OUTPUT_PATH,
    RESULT_PATH,
    OUTPUT,
    ASSIGN,
    NEXT,
    END,
];
const PASS_FIELDS: &[&str] = &[
    INPUT_PATH,
    OUTPUT_PATH,
    RESULT_PATH,
    PARAMETERS,
    RESULT,
    OUTPUT,
    ASSIGN,
    NEXT,
    END,
];
const CHOICE_FIELDS: &[&str] = &[CHOICES, DEFAULT, INPUT_PATH, OUTPUT_PATH, OUTPUT, ASSIGN];
const WAIT_FIELDS: &[&str] = &[
    SECONDS,
    TIMESTAMP,
    SECONDS_PATH,
    TIMESTAMP_PATH,
    INPUT_PATH,
    OUTPUT_PATH,
    OUTPUT,
    ASSIGN,
    NEXT,
    END,
];
const SUCCEED_FIELDS: &[&str] = &[INPUT_PATH, OUTPUT_PATH, OUTPUT];
const FAIL_FIELDS: &[&str] = &[ERROR, ERROR_PATH, CAUSE, CAUSE_PATH];
const PARALLEL_FIELDS: &[&str] = &[
    BRANCHES,
    INPUT_PATH,
    OUTPUT_PATH,
    RESULT_PATH,
    PARAMETERS,
    ARGUMENTS,
    RESULT_SELECTOR,
    RETRY,
    CATCH,
    OUTPUT,
    ASSIGN,
    NEXT,
    END,
];
const MAP_FIELDS: &[&str] = &[
    ITEM_PROCESSOR,
    ITERATOR,
    ITEMS_PATH,
    ITEMS,
    ITEM_SELECTOR,
    PARAMETERS,
    ITEM_READER,
    ITEM_BATCHER,
    RESULT_WRITER,
    MAX_CONCURRENCY,
    MAX_CONCURRENCY_PATH,
    TOLERATED_FAILURE_PERCENTAGE,
    TOLERATED_FAILURE_PERCENTAGE_PATH,
    TOLERATED_FAILURE_COUNT,
    TOLERATED_FAILURE_COUNT_PATH,
    LABEL,
    INPUT_PATH,
    OUTPUT_PATH,
    RESULT_PATH,
    RESULT_SELECTOR,
    RETRY,
    CATCH,
    OUTPUT,
    ASSIGN,
    NEXT,
    END,
];

/// Fields that exist only in JSONPath states, with the JSONata replacement.
const JSONPATH_ONLY: &[(&str, &str)] = &[
    (INPUT_PATH, "`Arguments` or `Output` with `$states.input`"),
    (OUTPUT_PATH, "`Output`"),
    (RESULT_PATH, "`Output` or `Assign`"),
    (PARAMETERS, "`Arguments` (or `ItemSelector` in a Map)"),
    (RESULT_SELECTOR, "`Output`"),
    (RESULT, "`Output`"),
    (ITEMS_PATH, "`Items`"),
    (ITERATOR, "`ItemProcessor`"),
    (
        TIMEOUT_SECONDS_PATH,
        "`TimeoutSeconds` with a JSONata expression",
    ),
    (
        HEARTBEAT_SECONDS_PATH,
        "`HeartbeatSeconds` with a JSONata expression",
    ),
    (SECONDS_PATH, "`Seconds` with a JSONata expression"),
    (TIMESTAMP_PATH, "`Timestamp` with a JSONata expression"),
    (ERROR_PATH, "`Error` with a JSONata expression"),
    (CAUSE_PATH, "`Cause` with a JSONata expression"),
    (
        MAX_CONCURRENCY_PATH,
        "`MaxConcurrency` with a JSONata expression",
    ),
    (
        TOLERATED_FAILURE_PERCENTAGE_PATH,
        "`ToleratedFailurePercentage` with a JSONata expression",
    ),
    (
        TOLERATED_FAILURE_COUNT_PATH,
        "`ToleratedFailureCount` with a JSONata expression",
    ),
];
/// Fields that exist only in JSONata states.
const JSONATA_ONLY: &[(&str, &str)] = &[
    (ARGUMENTS, "`Parameters`"),
    (OUTPUT, "`ResultSelector`/`OutputPath`"),
    (ITEMS, "`ItemsPath`"),
    (
        CONDITION,
        "a comparison such as `Variable` + `StringEquals`",
    ),
];

/// Builds the model from `json`, collecting diagnostics.
pub fn lower(json: &Json, index: &LineIndex) -> (Option<StateMachine>, Vec<Diagnostic>) {
    let mut l = Lowerer {
        index,
        diags: Vec::new(),
        top_language: QueryLanguage::JsonPath,
        state_language: QueryLanguage::JsonPath,
        state_fields: &[],
    };
    let machine = l.machine(json, "", QueryLanguage::JsonPath, MachineKind::Top);
    (machine, l.diags)
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
    diags: Vec<Diagnostic>,
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

    /// The input/output fields of a state: only those its type and language
    /// allow (the others were reported by `unknown_fields` and
    /// `query_language_fields`), so the model never holds a forbidden field.
    fn io(&mut self, obj: &Obj, lang: QueryLanguage, what: &str) -> Io {
        let allowed = self.state_fields;
        // Only a field of this type and language, and present; a Map's
        // Parameters is its ItemSelector (see `map`).
        let wanted = |key: &str, only: QueryLanguage| {
            allowed.contains(&key)
                && lang == only
                && obj.has(key)
                && !(key == PARAMETERS && what.starts_with("Map "))
        };
        let mut io = Io::default();
        let (jp, ja) = (QueryLanguage::JsonPath, QueryLanguage::Jsonata);
        if wanted(INPUT_PATH, jp) {
            io.input_path = self.nullable_path(obj, INPUT_PATH);
        }
        if wanted(OUTPUT_PATH, jp) {
            io.output_path = self.nullable_path(obj, OUTPUT_PATH);
        }
        if wanted(RESULT_PATH, jp) {
            io.result_path = self.result_path(obj);
        }
        if wanted(RESULT_SELECTOR, jp) {
            io.result_selector = self.template_field(obj, RESULT_SELECTOR, lang);
        }
        if wanted(PARAMETERS, jp) {
            io.parameters = self.template_field(obj, PARAMETERS, lang);
        }
        if wanted(ARGUMENTS, ja) {
            io.arguments = self.template_field(obj, ARGUMENTS, lang);
        }
        if wanted(OUTPUT, ja) {
            io.output = self.template_field(obj, OUTPUT, lang);
        }
        if allowed.contains(&ASSIGN) {
            io.assign = self.assign(obj, lang);
        }
        io
    }

    /// Rule `asl::invalid-path`: `InputPath`/`OutputPath` hold a JSONPath (or
    /// null), never an intrinsic function. `"InputPath": "States.Array($.a)"`
    fn nullable_path(&mut self, obj: &Obj, key: &str) -> Option<Nullable<Path>> {
        let m = obj.get(key)?;
        let ptr = obj.child(key);
        let origin = self.origin(&m.value, &ptr);
        match &m.value.value {
            JsonValue::Null => Some(Nullable {
                value: None,
                origin,
            }),
            JsonValue::String(s) => match expr_parse::parse_path(s) {
                Ok(p) => Some(Nullable {
                    value: Some(p),
                    origin,
                }),
                Err(e) => {
                    self.error(
                        Rule::InvalidPath,
                        origin,
                        format!("\"{key}\" is not a valid path: {e}"),
                        "a path starts with `$`, e.g. `$.items[0]`",
                    );
                    None
                }
            },
            _ => {
                self.wrong_type(&m.value, &ptr, key, "a path string or null");
                None
            }
        }
    }

    /// Rule `asl::invalid-path` (ResultPath): a reference path rooted at the
    /// state input `$`, or null. `"ResultPath": "$.a[*]"`, `"ResultPath": "$var"`.
    fn result_path(&mut self, obj: &Obj) -> Option<Nullable<ReferencePath>> {
        let m = obj.get(RESULT_PATH)?;
        let ptr = obj.child(RESULT_PATH);
        let origin = self.origin(&m.value, &ptr);
        match &m.value.value {
            JsonValue::Null => Some(Nullable {
                value: None,
                origin,
            }),
            JsonValue::String(s) => match expr_parse::parse_reference_path(s) {
                Ok(r) if r.root == Root::Input => Some(Nullable {
                    value: Some(r),
                    origin,
                }),
                Ok(_) => {
                    self.error(
                        Rule::InvalidPath,
                        origin,
                        format!("\"ResultPath\" `{s}` must start with `$.` (the state input): the context object and variables cannot be written"),
                        "use `Assign` to set a variable",
                    );
                    None
                }
                Err(e) => {
                    self.error(
                        Rule::InvalidPath,
                        origin,
                        format!("\"ResultPath\" is not valid: {e}"),
                        "e.g. `$.result`",
                    );
                    None
                }
            },
            _ => {
                self.wrong_type(
                    &m.value,
                    &ptr,
                    RESULT_PATH,
                    "a reference path string or null",
                );
                None
            }
        }
    }

    /// A reference path field (`ItemsPath`, `TimeoutSecondsPath`, `Variable`, ...).
    fn reference_path(&mut self, obj: &Obj, key: &str) -> Option<Spanned<Path>> {
        let m = obj.get(key)?;
        let ptr = obj.child(key);
        let origin = self.origin(&m.value, &ptr);
        let JsonValue::String(s) = &m.value.value else {
            self.wrong_type(&m.value, &ptr, key, "a reference path string");
            return None;
        };
        match expr_parse::parse_reference_path(s) {
            Ok(r) => Some(Spanned {
                value: Path::Reference(r),
                origin,
            }),
            Err(e) => {
                self.error(
                    Rule::InvalidPath,
                    origin,
                    format!("\"{key}\" is not a valid reference path: {e}"),
                    "",
                );
                None
            }
        }
    }

    fn template_field(&mut self, obj: &Obj, key: &str, lang: QueryLanguage) -> Option<Template> {
        let m = obj.get(key)?;
        let ptr = obj.child(key);
        Some(self.template(&m.value, &ptr, lang))
    }

    /// A payload template. JSONPath: keys ending in `.$` hold an expression.
    /// JSONata: strings `{% ... %}` are expressions.
    fn template(&mut self, json: &Json, ptr: &str, lang: QueryLanguage) -> Template {
        let origin = self.origin(json, ptr);
        let node = match &json.value {
            JsonValue::Object(members) if !members.is_empty() => {
                let mut fields = Vec::with_capacity(members.len());
                for m in members {
                    let child = format!("{ptr}/{}", escape_pointer(&m.key));
                    let key_origin = self.key_origin(m, &child);
                    let dynamic = lang == QueryLanguage::JsonPath && m.key.ends_with(".$");
                    if dynamic {
                        let name = m.key[..m.key.len() - 2].to_string();
                        if let Some(expr) = self.template_expression(m, &child) {
                            let value = Template {
                                node: TemplateNode::Expression(expr),
                                origin: self.origin(&m.value, &child),
                            };
                            fields.push(TemplateField {
                                name: Spanned {
                                    value: name,
                                    origin: key_origin,
                                },
                                dynamic,
                                value,
                            });
                        }
                    } else {
                        let value = self.template(&m.value, &child, lang);
                        fields.push(TemplateField {
                            name: Spanned {
                                value: m.key.clone(),
                                origin: key_origin,
                            },
                            dynamic,
                            value,
                        });
                    }
                }
                self.duplicate_template_fields(&fields);
                TemplateNode::Object(fields)
            }
            JsonValue::Array(items) if !items.is_empty() => TemplateNode::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| self.template(item, &format!("{ptr}/{i}"), lang))
                    .collect(),
            ),
            JsonValue::String(s) if lang == QueryLanguage::Jsonata => {
                match self.jsonata_string(s, origin.clone()) {
                    Some(j) => TemplateNode::Jsonata(j),
                    None => TemplateNode::Literal(json.to_serde()),
                }
            }
            _ => TemplateNode::Literal(json.to_serde()),
        };
        Template { node, origin }
    }

    /// Rule `asl::duplicate-template-field`: two members of one template object
    /// produce the same output key, e.g. `"type"` and `"type.$"`; Step Functions
    /// rejects the definition rather than pick one.
    fn duplicate_template_fields(&mut self, fields: &[TemplateField]) {
        for (i, f) in fields.iter().enumerate() {
            if let Some(first) = fields[..i].iter().find(|g| g.name.value == f.name.value) {
                self.error(
                    Rule::DuplicateTemplateField,
                    f.name.origin.clone(),
                    format!(
                        "this template already has a field \"{}\" (line {}): both would set the same key",
                        f.name.value, first.name.origin.line
                    ),
                    "keep either the literal field or the `.$` one",
                );
            }
        }
    }

    /// Rule `asl::invalid-payload-template`: the value of a `key.$` member is a
    /// string holding a valid path or intrinsic function call.
    /// `"bad.$": 23`, `"bad.$": "23"`, `"bad.$": "$$23"`.
    fn template_expression(&mut self, m: &Member, ptr: &str) -> Option<Expression> {
        let origin = self.origin(&m.value, ptr);
        let JsonValue::String(s) = &m.value.value else {
            self.error(
                Rule::InvalidPayloadTemplate,
                origin,
                format!("\"{}\" must hold a string with a path or intrinsic function, found {}: not a JSONPath or intrinsic function expression", m.key, m.value.type_name()),
                "a key ending in `.$` takes a path (`$.a`) or an intrinsic call (`States.Format(...)`); drop the `.$` for a literal",
            );
            return None;
        };
        match expr_parse::parse_expression(s) {
            Ok(e) => Some(e),
            Err(e) => {
                let rule = if s.starts_with("States.") {
                    Rule::InvalidIntrinsic
                } else {
                    Rule::InvalidPayloadTemplate
                };
                self.error(rule, origin, format!("\"{}\": {e}", m.key), "");
                None
            }
        }
    }

    /// Rules `asl::jsonata-syntax` (the expression is well formed) and
    /// `asl::unsupported` (it uses a construct AWS runs but the runtime's evaluator
    /// cannot: the parent operator `%`, partial application `$f(?, 1)`; the runtime
    /// refuses exactly these with [`asl_lang::jsonata::guard`]).
    fn check_jsonata(&mut self, j: &Jsonata, origin: Origin) {
        if let Err(e) = expr_parse::check_jsonata(j) {
            self.error(Rule::JsonataSyntax, origin, e, "");
        } else if let Err(refusal) = asl_lang::jsonata::guard(&j.expression) {
            self.error(
                Rule::Unsupported,
                origin,
                format!("this JSONata expression cannot run here: {}", refusal.message),
                "AWS accepts it, but asl's JSONata evaluator does not run it yet; rewrite the expression without it",
            );
        }
    }

    /// Rule `asl::jsonata-syntax`: a JSONata string is delimited by `{%` and `%}`
    /// and its expression is well formed; a string with only one of the two
    /// delimiters is almost certainly a broken expression. `"Output": "10 %}"`
    fn jsonata_string(&mut self, s: &str, origin: Origin) -> Option<Jsonata> {
        match expr_parse::jsonata(s) {
            Some(j) => {
                self.check_jsonata(&j, origin);
                Some(j)
            }
            None => {
                let t = s.trim();
                if t.starts_with("{%") || t.ends_with("%}") {
                    self.error(
                        Rule::JsonataSyntax,
                        origin,
                        format!("\"{s}\" looks like a JSONata expression but is not written as \"{{% ... %}}\""),
                        "a JSONata expression starts with `{%` and ends with `%}`, with nothing outside",
                    );
                }
                None
            }
        }
    }

    /// A field written literally, through its `...Path` twin, or (JSONata) as a
    /// `{% %}` string: `TimeoutSeconds`/`TimeoutSecondsPath`, `MaxConcurrency`, ...
    fn dynamic_integer(
        &mut self,
        obj: &Obj,
        key: &str,
        path_key: &str,
        min: u64,
        max: u64,
        what: &str,
    ) -> Option<Dynamic<u64>> {
        self.mutually_exclusive(obj, key, path_key, what);
        if let Some(p) = self.reference_path(obj, path_key) {
            return Some(Dynamic::Path(Spanned {
                value: Expression::Path(p.value),
                origin: p.origin,
            }));
        }
        if let Some(j) = self.jsonata_value(obj, key) {
            return Some(j);
        }
        self.integer(obj, key, min, max).map(Dynamic::Literal)
    }

    fn dynamic_number(
        &mut self,
        obj: &Obj,
        key: &str,
        path_key: &str,
        min: f64,
        max: f64,
        what: &str,
    ) -> Option<Dynamic<f64>> {
        self.mutually_exclusive(obj, key, path_key, what);
        if let Some(p) = self.reference_path(obj, path_key) {
            return Some(Dynamic::Path(Spanned {
                value: Expression::Path(p.value),
                origin: p.origin,
            }));
        }
        if let Some(j) = self.jsonata_value(obj, key) {
            return Some(j);
        }
        self.number(obj, key, min, max).map(Dynamic::Literal)
    }

    /// A `{% %}` string in a field that otherwise takes a number or string (in a
    /// JSONata state; in a JSONPath state it is just a string).
    fn jsonata_value<T>(&mut self, obj: &Obj, key: &str) -> Option<Dynamic<T>> {
        if self.state_language != QueryLanguage::Jsonata {
            return None;
        }
        let m = obj.get(key)?;
        let JsonValue::String(s) = &m.value.value else {
            return None;
        };
        let origin = self.origin(&m.value, &obj.child(key));
        let j = expr_parse::jsonata(s)?;
        self.check_jsonata(&j, origin.clone());
        Some(Dynamic::Jsonata(Spanned { value: j, origin }))
    }

    // ------------------------------------------------------------ Task

    fn task(&mut self, obj: &Obj, lang: QueryLanguage, what: &str) -> Task {
        let resource = if self.require(obj, RESOURCE, what) {
            self.resource(obj)
        } else {
            None
        };
        let resource = resource.unwrap_or_else(|| Spanned {
            value: Resource {
                arn: String::new(),
                integration: None,
            },
            origin: self.origin(obj.json, &obj.ptr),
        });
        let timeout_seconds = self.dynamic_integer(
            obj,
            TIMEOUT_SECONDS,
            TIMEOUT_SECONDS_PATH,
            1,
            MAX_INTEGER_FIELD,
            what,
        );
        let heartbeat_seconds = self.dynamic_integer(
            obj,
            HEARTBEAT_SECONDS,
            HEARTBEAT_SECONDS_PATH,
            1,
            MAX_INTEGER_FIELD,
            what,
        );
        self.heartbeat_below_timeout(&timeout_seconds, &heartbeat_seconds, what);
        let credentials = self.template_field(obj, CREDENTIALS, lang);
        self.credentials_shape(obj);
        Task {
            resource,
            io: self.io(obj, lang, what),
            transition: self.transition(obj, what),
            retry: self.retriers(obj),
            catch: self.catchers(obj, lang),
            timeout_seconds,
            heartbeat_seconds,
            credentials,
        }
    }

    /// Rule `asl::heartbeat-not-below-timeout`: a heartbeat interval must be
    /// shorter than the task timeout, or it can never fire.
    /// `"TimeoutSeconds": 10, "HeartbeatSeconds": 10`
    fn heartbeat_below_timeout(
        &mut self,
        timeout: &Option<Dynamic<u64>>,
        heartbeat: &Option<Dynamic<u64>>,
        what: &str,
    ) {
        if let (Some(Dynamic::Literal(t)), Some(Dynamic::Literal(h))) = (timeout, heartbeat)
            && h.value >= t.value
        {
            self.error(
                    Rule::HeartbeatNotBelowTimeout,
                    h.origin.clone(),
                    format!("{what} has HeartbeatSeconds {} but TimeoutSeconds {}: the heartbeat must be smaller", h.value, t.value),
                    "",
                );
        }
    }

    /// Rule `asl::wrong-type` (Credentials): an object (naming the role to assume).
    /// `"Credentials": null`
    fn credentials_shape(&mut self, obj: &Obj) {
        let Some(m) = obj.get(CREDENTIALS) else {
            return;
        };
        let ptr = obj.child(CREDENTIALS);
        match &m.value.value {
            JsonValue::Object(_) => {}
            _ => self.wrong_type(&m.value, &ptr, CREDENTIALS, "an object with \"RoleArn\""),
        }
    }

    /// Rule `asl::invalid-arn`: `Resource` is a URI (the States Language's
    /// definition, which lets a program register its own handler under any
    /// `scheme:name`), and when it is an ARN (`arn:...`) it is a well-formed one.
    /// `"Resource": "${lambdaArn}"`, `"arn:aws:lambda:r:1:function:NAME:"` (empty alias).
    fn resource(&mut self, obj: &Obj) -> Option<Spanned<Resource>> {
        let s = self.string(obj, RESOURCE)?;
        if expr_parse::jsonata(&s.value).is_some() {
            return Some(Spanned {
                value: Resource {
                    arn: s.value.clone(),
                    integration: None,
                },
                origin: s.origin,
            });
        }
        if let Err(e) = check_resource_uri(&s.value) {
            self.error(Rule::InvalidArn, s.origin.clone(), format!("\"Resource\" `{}` is not a valid ARN: {e}", s.value), "e.g. `arn:aws:states:::eks:runJob.sync` or `arn:aws:lambda:us-east-1:123456789012:function:name`");
        }
        let integration = asl_lang::integrations::integration(&s.value);
        Some(Spanned {
            value: Resource {
                arn: s.value.clone(),
                integration,
            },
            origin: s.origin,
        })
    }

    // ------------------------------------------------------------ Retry / Catch

    fn array<'j>(&mut self, obj: &Obj<'j>, key: &str) -> Option<(&'j [Json], String)> {
        let m = obj.get(key)?;
        let ptr = obj.child(key);
        match &m.value.value {
            JsonValue::Array(items) => Some((items, ptr)),
            _ => {
                self.wrong_type(&m.value, &ptr, key, "an array");
                None
            }
        }
    }

    fn retriers(&mut self, obj: &Obj) -> Vec<Retrier> {
        let Some((items, ptr)) = self.array(obj, RETRY) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let p = format!("{ptr}/{i}");
            let Some(r) = self.object(item, &p, RETRY) else {
                continue;
            };
            let what = format!("Retry entry {i}");
            self.unknown_fields(
                &r,
                &[&[
                    ERROR_EQUALS,
                    "IntervalSeconds",
                    "MaxAttempts",
                    "BackoffRate",
                    "MaxDelaySeconds",
                    "JitterStrategy",
                    COMMENT,
                ]],
                &what,
            );
            let error_equals = self.error_equals(&r, &what);
            out.push(Retrier {
                error_equals,
                interval_seconds: self.integer(&r, "IntervalSeconds", 1, MAX_INTEGER_FIELD),
                max_attempts: self.integer(&r, "MaxAttempts", 0, MAX_INTEGER_FIELD),
                backoff_rate: self.number(&r, "BackoffRate", 1.0, f64::MAX),
                max_delay_seconds: self.integer(&r, "MaxDelaySeconds", 1, MAX_DELAY_SECONDS),
                jitter_strategy: self.enum_field(
                    &r,
                    "JitterStrategy",
                    &[
                        ("FULL", JitterStrategy::Full),
                        ("NONE", JitterStrategy::None),
                    ],
                ),
                comment: self.comment(&r),
                origin: self.origin(item, &p),
            });
        }
        self.states_all_last(
            &out.iter().map(|r| &r.error_equals[..]).collect::<Vec<_>>(),
            RETRY,
        );
        out
    }

    fn catchers(&mut self, obj: &Obj, lang: QueryLanguage) -> Vec<Catcher> {
        let Some((items, ptr)) = self.array(obj, CATCH) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let p = format!("{ptr}/{i}");
            let Some(c) = self.object(item, &p, CATCH) else {
                continue;
            };
            let what = format!("Catch entry {i}");
            self.unknown_fields(
                &c,
                &[&[ERROR_EQUALS, NEXT, RESULT_PATH, OUTPUT, ASSIGN, COMMENT]],
                &what,
            );
            self.query_language_fields(&c, lang, &what);
            let error_equals = self.error_equals(&c, &what);
            let next = if self.require(&c, NEXT, &what) {
                self.string(&c, NEXT)
            } else {
                None
            };
            let Some(next) = next else { continue };
            out.push(Catcher {
                error_equals,
                next,
                result_path: if lang == QueryLanguage::JsonPath {
                    self.result_path(&c)
                } else {
                    None
                },
                output: if lang == QueryLanguage::Jsonata {
                    self.template_field(&c, OUTPUT, lang)
                } else {
                    None
                },
                assign: self.assign(&c, lang),
                comment: self.comment(&c),
                origin: self.origin(item, &p),
            });
        }
        self.states_all_last(
            &out.iter().map(|c| &c.error_equals[..]).collect::<Vec<_>>(),
            CATCH,
        );
        out
    }

    /// Rule `asl::error-equals`: `ErrorEquals` is a non-empty array of error-name
    /// strings. `"ErrorEquals": []`
    fn error_equals(&mut self, obj: &Obj, what: &str) -> Vec<Spanned<String>> {
        if !self.require(obj, ERROR_EQUALS, what) {
            return Vec::new();
        }
        let Some((items, ptr)) = self.array(obj, ERROR_EQUALS) else {
            return Vec::new();
        };
        if items.is_empty() {
            let m = obj.get(ERROR_EQUALS).expect("present");
            let origin = self.origin(&m.value, &ptr);
            self.error(
                Rule::ErrorEquals,
                origin,
                format!("\"ErrorEquals\" of {what} is empty: non-empty required"),
                "list error names, e.g. [\"States.ALL\"]",
            );
        }
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let p = format!("{ptr}/{i}");
            match &item.value {
                JsonValue::String(s) => out.push(Spanned {
                    value: s.clone(),
                    origin: self.origin(item, &p),
                }),
                _ => self.wrong_type(item, &p, ERROR_EQUALS, "an array of strings"),
            }
        }
        out
    }

    /// Rule `asl::states-all-position`: `States.ALL` must be the only name in its
    /// `ErrorEquals`, and that entry must be the last of the Retry/Catch list
    /// (later entries could never match). `[{"ErrorEquals": ["States.ALL", "X"]}]`
    fn states_all_last(&mut self, lists: &[&[Spanned<String>]], field: &str) {
        for (i, list) in lists.iter().enumerate() {
            let Some(all) = list.iter().find(|e| e.value == asl_lang::errors::ALL) else {
                continue;
            };
            if list.len() > 1 {
                self.error(Rule::StatesAllPosition, all.origin.clone(), format!("\"States.ALL\" must be the only error name in its ErrorEquals ({field} entry {i})"), "move the other names to an earlier entry");
            }
            if i + 1 < lists.len() {
                self.error(Rule::StatesAllPosition, all.origin.clone(), format!("the {field} entry with \"States.ALL\" must be the last one; entries after it never match"), "move it to the end");
            }
        }
    }

    // ------------------------------------------------------------ Pass, Wait, Fail

    fn pass(&mut self, obj: &Obj, lang: QueryLanguage, what: &str) -> Pass {
        let result = obj
            .get(RESULT)
            .filter(|_| lang == QueryLanguage::JsonPath)
            .map(|m| Spanned {
                value: m.value.to_serde(),
                origin: self.origin(&m.value, &obj.child(RESULT)),
            });
        Pass {
            io: self.io(obj, lang, what),
            transition: self.transition(obj, what),
            result,
        }
    }

    /// Rule `asl::wait-duration`: a Wait has exactly one of `Seconds`,
    /// `Timestamp`, `SecondsPath`, `TimestampPath`. `{"Seconds": 1, "SecondsPath": "$.s"}`
    fn wait(&mut self, obj: &Obj, lang: QueryLanguage, what: &str) -> Wait {
        let given: Vec<&Member> = [SECONDS, TIMESTAMP, SECONDS_PATH, TIMESTAMP_PATH]
            .iter()
            .filter_map(|k| obj.get(k))
            .collect();
        let state_origin = self.origin(obj.json, &obj.ptr);
        if given.len() != 1 {
            let origin = given.get(1).map_or(state_origin.clone(), |m| {
                self.key_origin(m, &obj.child(&m.key))
            });
            let names: Vec<String> = given.iter().map(|m| format!("\"{}\"", m.key)).collect();
            let msg = if given.is_empty() {
                format!(
                    "{what} needs one of \"Seconds\", \"Timestamp\", \"SecondsPath\" or \"TimestampPath\""
                )
            } else {
                format!("{what} may have only one of [{}]", names.join(", "))
            };
            self.error(
                Rule::WaitDuration,
                origin,
                msg,
                "a Wait waits either a number of seconds or until a timestamp",
            );
        }
        let duration = self
            .wait_duration(obj)
            .unwrap_or(WaitDuration::Seconds(Dynamic::Literal(Spanned {
                value: 0,
                origin: state_origin,
            })));
        Wait {
            io: self.io(obj, lang, what),
            transition: self.transition(obj, what),
            duration,
        }
    }

    fn wait_duration(&mut self, obj: &Obj) -> Option<WaitDuration> {
        if obj.has(SECONDS) {
            if let Some(j) = self.jsonata_value(obj, SECONDS) {
                return Some(WaitDuration::Seconds(j));
            }
            return self
                .integer(obj, SECONDS, 0, MAX_INTEGER_FIELD)
                .map(|s| WaitDuration::Seconds(Dynamic::Literal(s)));
        }
        if obj.has(TIMESTAMP) {
            if let Some(j) = self.jsonata_value(obj, TIMESTAMP) {
                return Some(WaitDuration::Timestamp(j));
            }
            let t = self.string(obj, TIMESTAMP)?;
            self.timestamp_format(&t, TIMESTAMP);
            return Some(WaitDuration::Timestamp(Dynamic::Literal(t)));
        }
        if let Some(p) = self.reference_path(obj, SECONDS_PATH) {
            return Some(WaitDuration::Seconds(Dynamic::Path(Spanned {
                value: Expression::Path(p.value),
                origin: p.origin,
            })));
        }
        let p = self.reference_path(obj, TIMESTAMP_PATH)?;
        Some(WaitDuration::Timestamp(Dynamic::Path(Spanned {
            value: Expression::Path(p.value),
            origin: p.origin,
        })))
    }

    /// Rule `asl::invalid-timestamp`: timestamps are RFC 3339 date-times with an
    /// upper-case `T` and a zone. `"Timestamp": "2016-03-14 01:59:00"`
    fn timestamp_format(&mut self, t: &Spanned<String>, key: &str) {
        if !is_rfc3339(&t.value) {
            self.error(
                Rule::InvalidTimestamp,
                t.origin.clone(),
                format!("\"{key}\" is \"{}\", not an RFC 3339 timestamp", t.value),
                "write e.g. \"2016-03-14T01:59:00Z\"",
            );
        }
    }

    fn fail(&mut self, obj: &Obj, lang: QueryLanguage, what: &str) -> Fail {
        Fail {
            error: self.fail_field(obj, ERROR, ERROR_PATH, lang, what),
            cause: self.fail_field(obj, CAUSE, CAUSE_PATH, lang, what),
        }
    }

    /// `Error`/`ErrorPath` and `Cause`/`CausePath`: the path form may also be an
    /// intrinsic function.
    fn fail_field(
        &mut self,
        obj: &Obj,
        key: &str,
        path_key: &str,
        lang: QueryLanguage,
        what: &str,
    ) -> Option<Dynamic<String>> {
        self.mutually_exclusive(obj, key, path_key, what);
        if lang == QueryLanguage::JsonPath
            && let Some(m) = obj.get(path_key)
        {
            let ptr = obj.child(path_key);
            let origin = self.origin(&m.value, &ptr);
            let JsonValue::String(s) = &m.value.value else {
                self.wrong_type(
                    &m.value,
                    &ptr,
                    path_key,
                    "a path or intrinsic function string",
                );
                return None;
            };
            return match expr_parse::parse_expression(s) {
                Ok(e) => Some(Dynamic::Path(Spanned { value: e, origin })),
                Err(e) => {
                    self.error(
                        Rule::InvalidPath,
                        origin,
                        format!("\"{path_key}\": {e}"),
                        "",
                    );
                    None
                }
            };
        }
        if let Some(j) = self
            .jsonata_value(obj, key)
            .filter(|_| lang == QueryLanguage::Jsonata)
        {
            return Some(j);
        }
        self.string(obj, key).map(Dynamic::Literal)
    }

    // ------------------------------------------------------------ Choice

    fn choice(&mut self, obj: &Obj, lang: QueryLanguage, what: &str) -> Choice {
        let mut choices = Vec::new();
        if self.require(obj, CHOICES, what)
            && let Some((items, ptr)) = self.array(obj, CHOICES)
        {
            if items.is_empty() {
                let origin = self.origin(&obj.get(CHOICES).expect("present").value, &ptr);
                self.error(
                    Rule::MissingField,
                    origin,
                    format!("\"Choices\" of {what} is empty: non-empty required"),
                    "",
                );
            }
            for (i, item) in items.iter().enumerate() {
                if let Some(rule) = self.choice_rule(item, &format!("{ptr}/{i}"), lang) {
                    choices.push(rule);
                }
            }
        }
        Choice {
            io: self.io(obj, lang, what),
            choices,
            default: self.string(obj, DEFAULT),
        }
    }

    fn choice_rule(&mut self, json: &Json, ptr: &str, lang: QueryLanguage) -> Option<ChoiceRule> {
        let obj = self.object(json, ptr, CHOICES)?;
        let what = "a choice rule";
        let next = if self.require(&obj, NEXT, what) {
            self.string(&obj, NEXT)
        } else {
            None
        };
        let (condition, assign, output) = if lang == QueryLanguage::Jsonata {
            self.unknown_fields(
                &obj,
                &[&[CONDITION, NEXT, COMMENT, ASSIGN, OUTPUT]],
                "a JSONata choice rule",
            );
            self.require(&obj, CONDITION, "a JSONata choice rule");
            let condition = self.jsonata_condition(&obj);
            (
                condition,
                self.assign(&obj, lang),
                self.template_field(&obj, OUTPUT, lang),
            )
        } else {
            self.query_language_fields(&obj, lang, what);
            let condition = self.condition(&obj, &[NEXT, COMMENT, ASSIGN]);
            (condition, self.assign(&obj, lang), None)
        };
        Some(ChoiceRule {
            condition: condition?,
            next: next?,
            comment: self.comment(&obj),
            assign,
            output,
            origin: self.origin(json, ptr),
        })
    }

    fn jsonata_condition(&mut self, obj: &Obj) -> Option<Condition> {
        let m = obj.get(CONDITION)?;
        let ptr = obj.child(CONDITION);
        let origin = self.origin(&m.value, &ptr);
        match &m.value.value {
            JsonValue::String(s) => match self.jsonata_string(s, origin.clone()) {
                Some(j) => Some(Condition {
                    kind: ConditionKind::Jsonata(j),
                    origin,
                }),
                None => {
                    self.error(
                        Rule::JsonataSyntax,
                        origin,
                        "\"Condition\" must be a JSONata expression \"{% ... %}\"".into(),
                        "",
                    );
                    None
                }
            },
            _ => {
                self.wrong_type(&m.value, &ptr, CONDITION, "a JSONata string \"{% ... %}\"");
                None
            }
        }
    }

    /// Rule `asl::choice-rule`: a (JSONPath) Boolean expression is exactly one of
    /// `And`, `Or`, `Not`, or `Variable` with one comparison operator.
    /// `{"Variable": "$.x", "Next": "A"}` (no operator).
    fn condition(&mut self, obj: &Obj, extra: &[&str]) -> Option<Condition> {
        let origin = self.origin(obj.json, &obj.ptr);
        let ops: Vec<&Member> = obj
            .members
            .iter()
            .filter(|m| {
                matches!(m.key.as_str(), "And" | "Or" | "Not")
                    || Operator::from_field(&m.key).is_some()
            })
            .collect();
        for m in obj.members {
            let known = m.key == VARIABLE
                || ops.iter().any(|o| o.key == m.key)
                || extra.contains(&m.key.as_str())
                || m.key == COMMENT;
            if !known {
                let o = self.key_origin(m, &obj.child(&m.key));
                self.error(
                    Rule::UnknownField,
                    o,
                    format!("a choice rule does not allow the field \"{}\"", m.key),
                    "",
                );
            }
        }
        if ops.len() != 1 {
            let msg = if ops.is_empty() {
                "a choice rule needs one of \"And\", \"Or\", \"Not\" or a comparison operator such as \"StringEquals\"".to_string()
            } else {
                let names: Vec<String> = ops.iter().map(|m| format!("\"{}\"", m.key)).collect();
                format!("a choice rule may have only one of [{}]", names.join(", "))
            };
            self.error(Rule::ChoiceRule, origin, msg, "");
            return None;
        }
        let op = ops[0];
        let ptr = obj.child(&op.key);
        let kind = match op.key.as_str() {
            "And" | "Or" => {
                if obj.has(VARIABLE) {
                    let o =
                        self.key_origin(obj.get(VARIABLE).expect("present"), &obj.child(VARIABLE));
                    self.error(
                        Rule::ChoiceRule,
                        o,
                        format!("\"Variable\" cannot be combined with \"{}\"", op.key),
                        "",
                    );
                }
                let JsonValue::Array(items) = &op.value.value else {
                    self.wrong_type(
                        &op.value,
                        &ptr,
                        &op.key,
                        "a non-empty array of choice rules",
                    );
                    return None;
                };
                if items.is_empty() {
                    let o = self.origin(&op.value, &ptr);
                    self.error(
                        Rule::ChoiceRule,
                        o,
                        format!("\"{}\" is empty: non-empty required", op.key),
                        "",
                    );
                }
                let mut rules = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    let p = format!("{ptr}/{i}");
                    if let Some(sub) = self.object(item, &p, &op.key)
                        && let Some(c) = self.condition(&sub, &[])
                    {
                        rules.push(c);
                    }
                }
                if op.key == "And" {
                    ConditionKind::And(rules)
                } else {
                    ConditionKind::Or(rules)
                }
            }
            "Not" => {
                let sub = self.object(&op.value, &ptr, "Not")?;
                ConditionKind::Not(Box::new(self.condition(&sub, &[])?))
            }
            _ => ConditionKind::Compare(self.comparison(obj, op)?),
        };
        Some(Condition { kind, origin })
    }

    /// A comparison: `Variable` plus one operator (or its `...Path` form).
    fn comparison(&mut self, obj: &Obj, op: &Member) -> Option<Comparison> {
        let (operator, path_form) = Operator::from_field(&op.key)?;
        let ptr = obj.child(&op.key);
        let op_origin = self.key_origin(op, &ptr);
        let variable = if self.require(obj, VARIABLE, "a comparison") {
            self.choice_variable(obj)
        } else {
            None
        };
        let value_origin = self.origin(&op.value, &ptr);
        let operand = if path_form {
            let p = self.reference_path(obj, &op.key)?;
            Operand::Path(p.value)
        } else {
            self.operand(operator, &op.value, &op.key, &ptr)?
        };
        Some(Comparison {
            variable: variable?,
            operator: Spanned {
                value: operator,
                origin: op_origin,
            },
            operand: Spanned {
                value: operand,
                origin: value_origin,
            },
        })
    }

    /// Rule `asl::invalid-path` (Variable): the value a comparison reads is a
    /// Reference Path (the language requires it of `Variable` and of the
    /// `...Path` operands), not a query or an intrinsic call.
    /// `"Variable": "States.ArrayContains(...)"`, `"Variable": "$.a[*]"`
    fn choice_variable(&mut self, obj: &Obj) -> Option<Spanned<Path>> {
        let m = obj.get(VARIABLE)?;
        let ptr = obj.child(VARIABLE);
        let origin = self.origin(&m.value, &ptr);
        let JsonValue::String(s) = &m.value.value else {
            self.wrong_type(&m.value, &ptr, VARIABLE, "a path string");
            return None;
        };
        match expr_parse::parse_reference_path(s).map(Path::Reference) {
            Ok(p) => Some(Spanned { value: p, origin }),
            Err(e) => {
                self.error(
                    Rule::InvalidPath,
                    origin,
                    format!("\"Variable\" is not a valid reference path: {e}"),
                    "a comparison reads a path such as `$.status`",
                );
                None
            }
        }
    }

    /// Rule `asl::wrong-type` (operands): each operator compares with a literal
    /// of its own type. `"NumericEquals": "1"`, `"IsNull": "true"`.
    fn operand(
        &mut self,
        operator: Operator,
        json: &Json,
        key: &str,
        ptr: &str,
    ) -> Option<Operand> {
        let operand = match (operator.operand_type(), &json.value) {
            (OperandType::String, JsonValue::String(s)) => Operand::String(s.clone()),
            (OperandType::Timestamp, JsonValue::String(s)) => {
                let t = Spanned {
                    value: s.clone(),
                    origin: self.origin(json, ptr),
                };
                self.timestamp_format(&t, key);
                Operand::String(s.clone())
            }
            (OperandType::Number, JsonValue::Number(text)) => {
                match crate::json::number_to_serde(text) {
                    serde_json::Value::Number(n) => Operand::Number(n),
                    _ => return None,
                }
            }
            (OperandType::Bool, JsonValue::Bool(b)) => Operand::Bool(*b),
            (t, _) => {
                let expected = match t {
                    OperandType::String => "a string",
                    OperandType::Timestamp => "a timestamp string",
                    OperandType::Number => "a number",
                    OperandType::Bool => "a boolean",
                };
                self.wrong_type(json, ptr, key, expected);
                return None;
            }
        };
        Some(operand)
    }

    // ------------------------------------------------------------ Parallel, Map

    fn parallel(&mut self, obj: &Obj, lang: QueryLanguage, what: &str) -> Parallel {
        let mut branches = Vec::new();
        if self.require(obj, BRANCHES, what)
            && let Some((items, ptr)) = self.array(obj, BRANCHES)
        {
            if items.is_empty() {
                let origin = self.origin(&obj.get(BRANCHES).expect("present").value, &ptr);
                self.error(
                    Rule::MissingField,
                    origin,
                    format!("\"Branches\" of {what} is empty: non-empty required"),
                    "",
                );
            }
            for (i, item) in items.iter().enumerate() {
                if let Some(m) =
                    self.machine(item, &format!("{ptr}/{i}"), lang, MachineKind::Branch)
                {
                    branches.push(m);
                }
            }
        }
        Parallel {
            io: self.io(obj, lang, what),
            transition: self.transition(obj, what),
            retry: self.retriers(obj),
            catch: self.catchers(obj, lang),
            branches,
        }
    }

    fn map(&mut self, obj: &Obj, lang: QueryLanguage, what: &str) -> Map {
        self.mutually_exclusive(obj, ITEM_PROCESSOR, ITERATOR, what);
        self.mutually_exclusive(obj, ITEMS, ITEMS_PATH, what);
        self.mutually_exclusive(obj, ITEM_SELECTOR, PARAMETERS, what);
        let processor_key = if obj.has(ITEM_PROCESSOR) {
            ITEM_PROCESSOR
        } else {
            ITERATOR
        };
        let state_origin = self.origin(obj.json, &obj.ptr);
        let (item_processor, processor_config) = match obj.get(processor_key) {
            Some(m) => {
                let ptr = obj.child(processor_key);
                let config = self.processor_config(&m.value, &ptr);
                let machine = self.machine(&m.value, &ptr, lang, MachineKind::Processor);
                (machine, config)
            }
            None => {
                self.require(obj, ITEM_PROCESSOR, what);
                (None, ProcessorConfig::default())
            }
        };
        let item_processor = item_processor.unwrap_or_else(|| StateMachine {
            comment: None,
            start_at: Spanned {
                value: String::new(),
                origin: state_origin.clone(),
            },
            states: Vec::new(),
            version: None,
            timeout_seconds: None,
            query_language_field: None,
            query_language: lang,
            origin: state_origin.clone(),
        });
        let items_path = if lang == QueryLanguage::JsonPath {
            self.items_path(obj)
        } else {
            None
        };
        let items = if lang == QueryLanguage::Jsonata {
            self.template_field(obj, ITEMS, lang)
        } else {
            None
        };
        let selector_key = if obj.has(ITEM_SELECTOR) {
            ITEM_SELECTOR
        } else {
            PARAMETERS
        };
        let item_selector = if selector_key == PARAMETERS && lang == QueryLanguage::Jsonata {
            None
        } else {
            self.template_field(obj, selector_key, lang)
        };
        let label = self.string(obj, LABEL);
        if let Some(l) = &label {
            self.label_format(l);
        }
        Map {
            io: self.io(obj, lang, what),
            transition: self.transition(obj, what),
            retry: self.retriers(obj),
            catch: self.catchers(obj, lang),
            item_processor: Box::new(item_processor),
            items_path,
            items,
            item_selector,
            max_concurrency: self.dynamic_integer(
                obj,
                MAX_CONCURRENCY,
                MAX_CONCURRENCY_PATH,
                0,
                MAX_INTEGER_FIELD,
                what,
            ),
            tolerated_failure_percentage: self.dynamic_number(
                obj,
                TOLERATED_FAILURE_PERCENTAGE,
                TOLERATED_FAILURE_PERCENTAGE_PATH,
                0.0,
                100.0,
                what,
            ),
            tolerated_failure_count: self.dynamic_integer(
                obj,
                TOLERATED_FAILURE_COUNT,
                TOLERATED_FAILURE_COUNT_PATH,
                0,
                MAX_INTEGER_FIELD,
                what,
            ),
            item_reader: self.item_reader(obj, lang),
            item_batcher: self.item_batcher(obj, lang),
            result_writer: self.result_writer(obj, lang),
            label,
            processor_config,
        }
    }

    /// Rule `asl::invalid-path` (ItemsPath): a reference path, not null.
    /// `"ItemsPath": null`
    fn items_path(&mut self, obj: &Obj) -> Option<Spanned<Path>> {
        let m = obj.get(ITEMS_PATH)?;
        if matches!(m.value.value, JsonValue::Null) {
            let origin = self.origin(&m.value, &obj.child(ITEMS_PATH));
            self.error(
                Rule::InvalidPath,
                origin,
                "\"ItemsPath\" cannot be null: it names the array to iterate over".into(),
                "remove it to iterate over the whole input",
            );
            return None;
        }
        self.reference_path(obj, ITEMS_PATH)
    }

    /// Rule `asl::map-label`: a Map `Label` has at most 40 characters and none of
    /// the characters Step Functions reserves for map-run names.
    fn label_format(&mut self, l: &Spanned<String>) {
        let bad = l.value.chars().find(|c| {
            c.is_whitespace() || c.is_control() || "<>{}[]?*\"#%\\^|~`$&,;:/".contains(*c)
        });
        if l.value.chars().count() > MAX_LABEL_CHARS || bad.is_some() {
            self.error(
                Rule::MapLabel,
                l.origin.clone(),
                format!("\"Label\" must have at most {MAX_LABEL_CHARS} characters, without spaces or any of <>{{}}[]?*\"#%\\^|~`$&,;:/"),
                "",
            );
        }
    }

    fn processor_config(&mut self, processor: &Json, ptr: &str) -> ProcessorConfig {
        let JsonValue::Object(members) = &processor.value else {
            return ProcessorConfig::default();
        };
        let Some(m) = members.iter().find(|m| m.key == PROCESSOR_CONFIG) else {
            return ProcessorConfig::default();
        };
        let p = format!("{ptr}/{PROCESSOR_CONFIG}");
        let Some(obj) = self.object(&m.value, &p, PROCESSOR_CONFIG) else {
            return ProcessorConfig::default();
        };
        self.unknown_fields(&obj, &[&["Mode", "ExecutionType"]], "\"ProcessorConfig\"");
        let mode = self.enum_field(
            &obj,
            "Mode",
            &[
                ("INLINE", ProcessorMode::Inline),
                ("DISTRIBUTED", ProcessorMode::Distributed),
            ],
        );
        let execution_type = self.enum_field(
            &obj,
            "ExecutionType",
            &[
                ("STANDARD", ExecutionType::Standard),
                ("EXPRESS", ExecutionType::Express),
            ],
        );
        ProcessorConfig {
            mode: mode.map_or(ProcessorMode::Inline, |m| m.value),
            execution_type,
            origin: Some(self.origin(&m.value, &p)),
        }
    }

    fn sub_object<'j>(&mut self, obj: &Obj<'j>, key: &str) -> Option<Obj<'j>> {
        let m = obj.get(key)?;
        let ptr = obj.child(key);
        self.object(&m.value, &ptr, key)
    }

    /// The `Parameters` (JSONPath) or `Arguments` (JSONata) of a reader/writer.
    fn io_parameters(&mut self, obj: &Obj, lang: QueryLanguage, what: &str) -> Option<Template> {
        self.query_language_fields(obj, lang, what);
        let key = if lang == QueryLanguage::JsonPath {
            PARAMETERS
        } else {
            ARGUMENTS
        };
        self.template_field(obj, key, lang)
    }

    fn item_reader(&mut self, obj: &Obj, lang: QueryLanguage) -> Option<ItemReader> {
        let r = self.sub_object(obj, ITEM_READER)?;
        let what = "\"ItemReader\"";
        self.unknown_fields(
            &r,
            &[&[RESOURCE, PARAMETERS, ARGUMENTS, "ReaderConfig"]],
            what,
        );
        self.require(&r, RESOURCE, what);
        let resource = self.string(&r, RESOURCE);
        let parameters = self.io_parameters(&r, lang, what);
        let reader_config = match self.sub_object(&r, "ReaderConfig") {
            Some(c) => {
                self.unknown_fields(
                    &c,
                    &[&[
                        "InputType",
                        "CSVHeaderLocation",
                        "CSVHeaders",
                        "MaxItems",
                        "MaxItemsPath",
                        "CSVDelimiter",
                        "ManifestType",
                        "Transformation",
                    ]],
                    "\"ReaderConfig\"",
                );
                self.mutually_exclusive(&c, "MaxItems", "MaxItemsPath", "\"ReaderConfig\"");
                self.integer(&c, "MaxItems", 0, 100_000_000);
                self.reference_path(&c, "MaxItemsPath");
                Some(Spanned {
                    value: c.json.to_serde(),
                    origin: self.origin(c.json, &c.ptr),
                })
            }
            None => None,
        };
        Some(ItemReader {
            resource: resource.unwrap_or_else(|| Spanned {
                value: String::new(),
                origin: self.origin(r.json, &r.ptr),
            }),
            parameters,
            reader_config,
            origin: self.origin(r.json, &r.ptr),
        })
    }

    fn item_batcher(&mut self, obj: &Obj, lang: QueryLanguage) -> Option<ItemBatcher> {
        let b = self.sub_object(obj, ITEM_BATCHER)?;
        let what = "\"ItemBatcher\"";
        self.unknown_fields(
            &b,
            &[&[
                "MaxItemsPerBatch",
                "MaxItemsPerBatchPath",
                "MaxInputBytesPerBatch",
                "MaxInputBytesPerBatchPath",
                "BatchInput",
            ]],
            what,
        );
        Some(ItemBatcher {
            max_items_per_batch: self.dynamic_integer(
                &b,
                "MaxItemsPerBatch",
                "MaxItemsPerBatchPath",
                0,
                MAX_INTEGER_FIELD,
                what,
            ),
            max_input_bytes_per_batch: self.dynamic_integer(
                &b,
                "MaxInputBytesPerBatch",
                "MaxInputBytesPerBatchPath",
                0,
                262_144,
                what,
            ),
            batch_input: self.template_field(&b, "BatchInput", lang),
            origin: self.origin(b.json, &b.ptr),
        })
    }

    fn result_writer(&mut self, obj: &Obj, lang: QueryLanguage) -> Option<ResultWriter> {
        let w = self.sub_object(obj, RESULT_WRITER)?;
        let what = "\"ResultWriter\"";
        self.unknown_fields(
            &w,
            &[&[RESOURCE, PARAMETERS, ARGUMENTS, "WriterConfig"]],
            what,
        );
        Some(ResultWriter {
            resource: self.string(&w, RESOURCE),
            parameters: self.io_parameters(&w, lang, what),
            writer_config: w.get("WriterConfig").map(|m| Spanned {
                value: m.value.to_serde(),
                origin: self.origin(&m.value, &w.child("WriterConfig")),
            }),
            origin: self.origin(w.json, &w.ptr),
        })
    }
}

/// The closest allowed field name, for "did you mean" help.
fn suggest<'a>(key: &str, allowed: &[&[&'a str]]) -> Option<&'a str> {
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
fn edit_distance(a: &str, b: &str) -> usize {
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

/// Checks a Resource: a URI `scheme:rest` (RFC 3986 scheme), and for the `arn`
/// scheme a well-formed ARN.
pub fn check_resource_uri(uri: &str) -> Result<(), String> {
    let Some((scheme, rest)) = uri.split_once(':') else {
        return Err(
            "a Resource is a URI such as an ARN (`arn:partition:service:region:account:resource`)"
                .into(),
        );
    };
    let scheme_ok = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if !scheme_ok || rest.is_empty() {
        return Err(
            "a Resource is a URI such as an ARN (`arn:partition:service:region:account:resource`)"
                .into(),
        );
    }
    if let Some(c) = uri
        .chars()
        .find(|c| c.is_whitespace() || c.is_control() || "{}\"<>|\\^`".contains(*c))
    {
        return Err(format!("the character `{c}` cannot appear in a URI"));
    }
    if scheme == "arn" {
        check_arn(uri)
    } else {
        Ok(())
    }
}

/// Checks the shape of an ARN: `arn:partition:service:region:account:rest`
/// with a non-empty service and resource, and no characters ARNs cannot hold.
pub fn check_arn(arn: &str) -> Result<(), String> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    if parts.len() < 6 || parts[0] != "arn" {
        return Err("an ARN has the form `arn:partition:service:region:account:resource`".into());
    }
    if !parts[1].starts_with("aws") {
        return Err(format!("unknown partition `{}`", parts[1]));
    }
    if parts[2].is_empty()
        || !parts[2]
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        return Err("the service part is empty or malformed".into());
    }
    let resource = parts[5];
    if resource.is_empty() {
        return Err("the resource part is empty".into());
    }
    if let Some(c) = arn
        .chars()
        .find(|c| c.is_whitespace() || c.is_control() || "${}#*^\"<>|\\`".contains(*c))
    {
        return Err(format!("the character `{c}` cannot appear in an ARN"));
    }
    if resource.ends_with(':') {
        return Err("the resource part ends with `:` (an empty alias or version)".into());
    }
    Ok(())
}

/// RFC 3339 date-time as Step Functions accepts it (the runtime parses with
/// the same [`asl_lang::timestamp::parse`]).
pub fn is_rfc3339(s: &str) -> bool {
    asl_lang::timestamp::is_valid(s)
}
