//! What the runtime can run: the refusals that used to be made while generating
//! code, decided here on the model, so `asl check` and `asl!` refuse exactly the
//! same definitions (code generation itself never refuses).
//!
//! In: a checked [`StateMachine`] and the [`CheckOptions`] (declared resources).
//! Out: `asl::unsupported` for constructs AWS accepts that `asl` cannot run yet, and
//! `asl::undeclared-resource` for a Task whose `Resource` is neither built in nor
//! declared.

use crate::diagnostics::{Diagnostic, Sink};
use crate::expr::{Arg, Call, Expression, Path, Root};
use crate::model::{
    Catcher, Condition, ConditionKind, Dynamic, Io, ItemReader, Map, Nullable, Operand, Origin,
    ProcessorMode, QueryLanguage, StateKind, StateMachine, Template, TemplateNode, WaitDuration,
};
use crate::rules::Rule;

/// What a definition is checked against besides the language itself.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CheckOptions {
    /// Task `Resource`s the program provides handlers for, besides the built-in
    /// integrations (`asl!(…, resources = [...])`, `asl check --resource`).
    pub resources: Vec<String>,
    /// Accept any `Resource` (`asl check --allow-undeclared`, [`crate::load`]).
    pub allow_undeclared: bool,
    /// Check only what Step Functions checks: every `Resource` is accepted, and
    /// so is what asl cannot run yet (`asl::unsupported`), which is a question
    /// for code generation, not for the definition (`asl check --language-only`).
    pub language_only: bool,
    /// Values for the definition's `${Name}` placeholders (`asl!(…,
    /// substitutions = {...})`, `asl check --sub`, `--template`).
    pub substitutions: crate::source::Substitutions,
    /// A JSON Schema of the execution input (`asl!(…, input = "...")`, the
    /// Builder's `input_schema`, `asl check --input-schema`): the data-flow
    /// rules start from it instead of from an unknown input.
    pub input_schema: Option<serde_json::Value>,
    /// JSON Schemas of what some of the program's own handlers return
    /// (`asl!(…, resources = ["arn:…" => "result.schema.json"])`, the
    /// Builder's `resource_result`, `asl check --resource ARN=SCHEMA`), by
    /// resource: each resource is declared, and its Tasks' results have the
    /// schema's shape instead of an unknown one.
    pub result_schemas: Vec<(String, serde_json::Value)>,
    /// Report warnings as errors (`asl!(…, deny_warnings)`, the Builder's
    /// `deny_warnings(true)`, `asl check --deny warnings`).
    pub deny_warnings: bool,
}

impl CheckOptions {
    /// Resources `resources` are declared; any other non-built-in one is refused.
    pub fn declaring<I: IntoIterator<Item = S>, S: Into<String>>(resources: I) -> Self {
        CheckOptions {
            resources: resources.into_iter().map(Into::into).collect(),
            allow_undeclared: false,
            language_only: false,
            substitutions: Default::default(),
            deny_warnings: false,
            input_schema: None,
            result_schemas: Vec::new(),
        }
    }

    /// Does the program serve `resource` with a handler of its own?
    pub fn declares(&self, resource: &str) -> bool {
        self.resources.iter().any(|r| r == resource)
            || self.result_schemas.iter().any(|(r, _)| r == resource)
    }

    /// The handlers the data-flow rules know of.
    pub fn handlers(&self) -> crate::check::types::Handlers {
        crate::check::types::Handlers::new(&self.resources, &self.result_schemas)
    }

    /// Every `Resource` is accepted (the language rules only).
    pub fn allowing_undeclared() -> Self {
        CheckOptions {
            resources: Vec::new(),
            allow_undeclared: true,
            language_only: false,
            substitutions: Default::default(),
            deny_warnings: false,
            input_schema: None,
            result_schemas: Vec::new(),
        }
    }
}

/// Runs the support rules on `machine` and its nested machines.
pub fn check_support(machine: &StateMachine, options: &CheckOptions, diags: &mut Sink) {
    if options.language_only {
        return;
    }
    let mut c = Support { options, diags };
    c.machine(machine);
}

struct Support<'a> {
    options: &'a CheckOptions,
    diags: &'a mut Sink,
}

impl Support<'_> {
    fn unsupported(&mut self, origin: &Origin, message: String) {
        self.diags.push(
            Diagnostic::new(Rule::Unsupported, message, origin.clone())
                .with_help("this part of the language is checked but asl cannot run it yet"),
        );
    }

    /// An optimized integration's request field that the built-in caller
    /// does not serve yet (Bedrock's `Input` and `Output` in S3); a handler
    /// of the program's own may.
    fn unserved_fields(&mut self, state: &str, t: &crate::model::Task) {
        let resource = &t.resource.value.arn;
        if self.options.allow_undeclared || self.options.declares(resource) {
            return;
        }
        let Some((entry, _)) = asl_lang::sdk::optimized::optimized(resource) else {
            return;
        };
        let template = t.io.parameters.as_ref().or(t.io.arguments.as_ref());
        let Some(crate::model::TemplateNode::Object(fields)) = template.map(|t| &t.node) else {
            return;
        };
        for f in fields {
            if entry.unserved_fields.contains(&f.name.value.as_str()) {
                self.unsupported(
                    &f.name.origin,
                    format!(
                        "state \"{state}\" calls `{}` with `{}`, which asl does not serve yet",
                        entry.name, f.name.value
                    ),
                );
            }
        }
    }

    fn machine(&mut self, machine: &StateMachine) {
        for state in &machine.states {
            let jsonpath = state.query_language == QueryLanguage::JsonPath;
            let name = &state.name.value;
            match &state.kind {
                StateKind::Task(t) => {
                    self.io(&t.io, jsonpath);
                    self.catchers(&t.catch, jsonpath);
                    let resource = &t.resource.value.arn;
                    self.unserved_fields(name, t);
                    // Activities are served by the runtime itself: workers
                    // take their tasks from its store.
                    if t.integration().is_none()
                        && crate::check::sdk::resource_feature(resource).is_none()
                        && !asl_lang::integrations::is_lambda_function(resource)
                        && !asl_lang::integrations::is_activity(resource)
                        && !self.options.allow_undeclared
                        && !self.options.declares(resource)
                    {
                        // An SDK action of a protocol the generic caller does
                        // not speak (CBOR-only services).
                        let why = match crate::check::sdk::resolve(resource)
                            .and_then(|(service, _)| service.protocol())
                        {
                            Some(asl_lang::sdk::Protocol::Cbor) => {
                                "; its service speaks only CBOR (smithy-rpc-v2-cbor), which asl's AWS SDK caller does not".to_string()
                            }
                            Some(p) => format!(
                                "; its service speaks {}, which asl's AWS SDK caller does not yet",
                                p.name()
                            ),
                            None => String::new(),
                        };
                        self.diags.push(
                            Diagnostic::new(
                                Rule::UndeclaredResource,
                                format!("Task `{name}` calls `{resource}`, which is neither a built-in integration nor declared{why}"),
                                t.resource.origin.clone(),
                            )
                            .with_help(format!(
                                "declare it so the program must register a handler: `asl!(Name = \"...\", resources = [\"{resource}\"])` (`asl check --resource {resource}`)"
                            )),
                        );
                    }
                    if let Some(c) = &t.credentials {
                        self.template(c, jsonpath);
                    }
                    self.dynamic_path(t.timeout_seconds.as_ref(), "TimeoutSecondsPath");
                    self.dynamic_path(t.heartbeat_seconds.as_ref(), "HeartbeatSecondsPath");
                }
                StateKind::Pass(p) => self.io(&p.io, jsonpath),
                StateKind::Succeed(s) => self.io(&s.io, jsonpath),
                StateKind::Wait(w) => {
                    self.io(&w.io, jsonpath);
                    match &w.duration {
                        WaitDuration::Seconds(d) => self.dynamic_path(Some(d), "SecondsPath"),
                        WaitDuration::Timestamp(d) => self.dynamic_path(Some(d), "TimestampPath"),
                    }
                }
                StateKind::Fail(f) => {
                    for field in [&f.error, &f.cause].into_iter().flatten() {
                        if let Dynamic::Path(p) = field {
                            self.expression(&p.value, &p.origin);
                        }
                    }
                }
                StateKind::Choice(c) => {
                    self.io(&c.io, jsonpath);
                    for rule in &c.choices {
                        if jsonpath && rule.output.is_some() {
                            self.unsupported(
                                &rule.origin,
                                "`Output` in a choice rule is evaluated only in a JSONata state"
                                    .into(),
                            );
                        }
                        if let Some(a) = &rule.assign {
                            self.template(a, jsonpath);
                        }
                        self.condition(&rule.condition, jsonpath);
                    }
                }
                StateKind::Parallel(p) => {
                    self.io(&p.io, jsonpath);
                    self.catchers(&p.catch, jsonpath);
                    p.branches.iter().for_each(|b| self.machine(b));
                }
                StateKind::Map(m) => {
                    self.io(&m.io, jsonpath);
                    self.catchers(&m.catch, jsonpath);
                    if let Some(r) = &m.item_reader {
                        self.item_reader(r, m, name);
                    }
                    for (origin, what) in [
                        (m.item_reader.as_ref().map(|r| &r.origin), "ItemReader"),
                        (m.result_writer.as_ref().map(|w| &w.origin), "ResultWriter"),
                    ] {
                        if let Some(origin) = origin
                            && m.processor_config.mode != ProcessorMode::Distributed
                        {
                            self.unsupported(
                                origin,
                                format!("Map `{name}` has `{what}`, which asl runs in a distributed Map only (\"ProcessorConfig\": {{\"Mode\": \"DISTRIBUTED\"}})"),
                            );
                        }
                    }
                    if let Some(p) = &m.items_path {
                        self.path(&p.value, &p.origin);
                    }
                    for t in [&m.items, &m.item_selector].into_iter().flatten() {
                        self.template(t, jsonpath);
                    }
                    self.dynamic_path(m.max_concurrency.as_ref(), "MaxConcurrencyPath");
                    self.dynamic_path(
                        m.tolerated_failure_count.as_ref(),
                        "ToleratedFailureCountPath",
                    );
                    self.dynamic_path(
                        m.tolerated_failure_percentage.as_ref(),
                        "ToleratedFailurePercentagePath",
                    );
                    if let Some(b) = &m.item_batcher {
                        self.dynamic_path(b.max_items_per_batch.as_ref(), "MaxItemsPerBatchPath");
                        self.dynamic_path(
                            b.max_input_bytes_per_batch.as_ref(),
                            "MaxInputBytesPerBatchPath",
                        );
                        if let Some(t) = &b.batch_input {
                            self.template(t, jsonpath);
                        }
                    }
                    self.machine(&m.item_processor);
                }
            }
        }
    }

    /// What the runtime's readers do not read yet: Parquet, Athena
    /// manifests, a reader's `Transformation`, and `ItemsPath`/`Items` over
    /// a reader's items.
    fn item_reader(&mut self, r: &ItemReader, m: &Map, name: &str) {
        let config = r.reader_config.as_ref().and_then(|c| c.value.as_object());
        let field = |k: &str| config.and_then(|c| c.get(k)).and_then(|v| v.as_str());
        let origin = r.reader_config.as_ref().map_or(&r.origin, |c| &c.origin);
        for (present, what) in [
            (field("InputType") == Some("PARQUET"), "InputType PARQUET"),
            (
                field("ManifestType") == Some("ATHENA_DATA"),
                "ManifestType ATHENA_DATA",
            ),
            (
                config.is_some_and(|c| c.contains_key("Transformation")),
                "ReaderConfig.Transformation",
            ),
        ] {
            if present {
                self.unsupported(
                    origin,
                    format!("Map `{name}` reads items with {what}, which asl does not read yet"),
                );
            }
        }
        if let Some(p) = &m.items_path {
            self.unsupported(
                &p.origin,
                format!("Map `{name}`: ItemsPath over an ItemReader's items is not supported yet"),
            );
        }
        if let Some(t) = &m.items {
            self.unsupported(
                &t.origin,
                format!("Map `{name}`: Items over an ItemReader's items is not supported yet"),
            );
        }
    }

    fn io(&mut self, io: &Io, jsonpath: bool) {
        for p in [&io.input_path, &io.output_path].into_iter().flatten() {
            if let Nullable {
                value: Some(p),
                origin,
            } = p
            {
                self.path(p, origin);
            }
        }
        if let Some(Nullable {
            value: Some(p),
            origin,
        }) = &io.result_path
        {
            self.result_path_root(&p.root, &p.text, origin);
        }
        for t in [
            &io.parameters,
            &io.result_selector,
            &io.arguments,
            &io.output,
            &io.assign,
        ]
        .into_iter()
        .flatten()
        {
            self.template(t, jsonpath);
        }
    }

    fn catchers(&mut self, catch: &[Catcher], jsonpath: bool) {
        for c in catch {
            if let Some(a) = &c.assign {
                self.template(a, jsonpath);
            }
            if let Some(Nullable {
                value: Some(p),
                origin,
            }) = &c.result_path
            {
                self.result_path_root(&p.root, &p.text, origin);
            }
        }
    }

    /// A `ResultPath` writes into the state output, never into a variable.
    fn result_path_root(&mut self, root: &Root, text: &str, origin: &Origin) {
        if let Root::Variable(_) = root {
            self.unsupported(
                origin,
                format!("`{text}`: a ResultPath cannot write into a variable"),
            );
        }
    }

    /// A `...Path` field that takes a number or timestamp: a path, not an intrinsic.
    fn dynamic_path<T>(&mut self, field: Option<&Dynamic<T>>, name: &str) {
        if let Some(Dynamic::Path(p)) = field {
            match &p.value {
                Expression::Path(path) => self.path(path, &p.origin),
                Expression::Intrinsic(_) => self.unsupported(
                    &p.origin,
                    format!("{name} takes a path, not an intrinsic function"),
                ),
            }
        }
    }

    fn template(&mut self, t: &Template, jsonpath: bool) {
        match &t.node {
            TemplateNode::Object(fields) => {
                for f in fields {
                    if !jsonpath && f.dynamic {
                        self.unsupported(
                            &f.name.origin,
                            "a `.$` key in a JSONata state is not evaluated; write the value as \"{% ... %}\"".into(),
                        );
                    }
                    self.template(&f.value, jsonpath);
                }
            }
            TemplateNode::Array(items) => items.iter().for_each(|i| self.template(i, jsonpath)),
            TemplateNode::Literal(_) => {}
            TemplateNode::Expression(e) if jsonpath => self.expression(e, &t.origin),
            TemplateNode::Expression(_) => self.unsupported(
                &t.origin,
                "a JSONPath expression in a JSONata state is not evaluated".into(),
            ),
            TemplateNode::Jsonata(_) if jsonpath => self.unsupported(
                &t.origin,
                "a `{% %}` string is evaluated only in a JSONata state".into(),
            ),
            TemplateNode::Jsonata(_) => {}
        }
    }

    fn condition(&mut self, c: &Condition, jsonpath: bool) {
        match &c.kind {
            ConditionKind::And(all) | ConditionKind::Or(all) => {
                all.iter().for_each(|c| self.condition(c, jsonpath));
            }
            ConditionKind::Not(inner) => self.condition(inner, jsonpath),
            ConditionKind::Compare(cmp) => {
                self.path(&cmp.variable.value, &cmp.variable.origin);
                if let Operand::Path(p) = &cmp.operand.value {
                    self.path(p, &cmp.operand.origin);
                }
            }
            ConditionKind::Jsonata(_) | ConditionKind::Literal(_) if jsonpath => self.unsupported(
                &c.origin,
                "a JSONata `Condition` is evaluated only in a JSONata state".into(),
            ),
            ConditionKind::Jsonata(_) | ConditionKind::Literal(_) => {}
        }
    }

    fn expression(&mut self, e: &Expression, origin: &Origin) {
        match e {
            Expression::Path(p) => self.path(p, origin),
            Expression::Intrinsic(call) => self.call(call, origin),
        }
    }

    fn call(&mut self, call: &Call, origin: &Origin) {
        for arg in &call.args {
            match arg {
                Arg::Path(p) => self.path(p, origin),
                Arg::Call(inner) => self.call(inner, origin),
                _ => {}
            }
        }
    }

    /// Variables are read through reference paths only (`$name.a[0]`); a full
    /// JSONPath query over a variable is not supported yet.
    fn path(&mut self, path: &Path, origin: &Origin) {
        if let (Path::Query(_), Root::Variable(_)) = (path, path.root()) {
            self.unsupported(
                origin,
                format!(
                    "the JSONPath query `{}` over a variable is not supported yet",
                    path.text()
                ),
            );
        }
    }
}
