//! Rule `asl::states-member-unavailable`: a JSONata expression reads a member
//! of `$states` where the state never has it: `$states.result` outside the
//! `Output` and `Assign` of a state that has a result (Task, Map, Parallel),
//! `$states.errorOutput` outside a Catch's `Output` and `Assign`.
//! (`$states.input` and `$states.context` are everywhere.)

use crate::diagnostics::{Diagnostic, Sink};
use crate::model::{
    Catcher, ConditionKind, Dynamic, Io, Origin, QueryLanguage, StateKind, StateMachine, Template,
    TemplateNode, WaitDuration,
};
use crate::rules::Rule;

/// Where an expression is, for what `$states` has there.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    /// Before the work, or in a state without a result.
    Plain,
    /// `Output`/`Assign` of a Task, Map or Parallel.
    AfterResult,
    /// `Output`/`Assign` of a Catch entry.
    Caught,
}

/// Runs the rule on `machine` and its nested machines.
pub fn check_states_members(machine: &StateMachine, diags: &mut Sink) {
    for state in &machine.states {
        match &state.kind {
            StateKind::Parallel(p) => p
                .branches
                .iter()
                .for_each(|b| check_states_members(b, diags)),
            StateKind::Map(m) => check_states_members(&m.item_processor, diags),
            _ => {}
        }
        if state.query_language != QueryLanguage::Jsonata {
            continue;
        }
        let mut cx = Cx { diags };
        match &state.kind {
            StateKind::Task(t) => {
                cx.io(&t.io, Place::AfterResult);
                cx.optional(t.credentials.as_ref(), Place::Plain);
                for d in [&t.timeout_seconds, &t.heartbeat_seconds]
                    .into_iter()
                    .flatten()
                {
                    cx.dynamic(d);
                }
                cx.catches(&t.catch);
            }
            StateKind::Parallel(p) => {
                cx.io(&p.io, Place::AfterResult);
                cx.catches(&p.catch);
            }
            StateKind::Map(m) => {
                cx.io(&m.io, Place::AfterResult);
                cx.optional(m.items.as_ref(), Place::Plain);
                cx.optional(m.item_selector.as_ref(), Place::Plain);
                for d in [&m.max_concurrency, &m.tolerated_failure_count]
                    .into_iter()
                    .flatten()
                {
                    cx.dynamic(d);
                }
                if let Some(d) = &m.tolerated_failure_percentage {
                    cx.dynamic(d);
                }
                cx.catches(&m.catch);
            }
            StateKind::Pass(p) => cx.io(&p.io, Place::Plain),
            StateKind::Succeed(s) => cx.io(&s.io, Place::Plain),
            StateKind::Wait(w) => {
                cx.io(&w.io, Place::Plain);
                match &w.duration {
                    WaitDuration::Seconds(d) => cx.dynamic(d),
                    WaitDuration::Timestamp(d) => cx.dynamic(d),
                }
            }
            StateKind::Fail(f) => {
                for d in [&f.error, &f.cause].into_iter().flatten() {
                    cx.dynamic(d);
                }
            }
            StateKind::Choice(c) => {
                cx.io(&c.io, Place::Plain);
                for rule in &c.choices {
                    if let ConditionKind::Jsonata(j) = &rule.condition.kind {
                        cx.expression(&j.expression, &rule.condition.origin, Place::Plain);
                    }
                    cx.optional(rule.output.as_ref(), Place::Plain);
                    cx.optional(rule.assign.as_ref(), Place::Plain);
                }
            }
        }
    }
}

struct Cx<'d> {
    diags: &'d mut Sink,
}

impl Cx<'_> {
    /// `Arguments` before the work; `Output` and `Assign` after it.
    fn io(&mut self, io: &Io, after: Place) {
        self.optional(io.arguments.as_ref(), Place::Plain);
        self.optional(io.output.as_ref(), after);
        self.optional(io.assign.as_ref(), after);
    }

    fn catches(&mut self, catchers: &[Catcher]) {
        for c in catchers {
            self.optional(c.output.as_ref(), Place::Caught);
            self.optional(c.assign.as_ref(), Place::Caught);
        }
    }

    fn optional(&mut self, t: Option<&Template>, place: Place) {
        if let Some(t) = t {
            self.template(t, place);
        }
    }

    fn template(&mut self, t: &Template, place: Place) {
        match &t.node {
            TemplateNode::Object(fields) => {
                fields.iter().for_each(|f| self.template(&f.value, place))
            }
            TemplateNode::Array(items) => items.iter().for_each(|i| self.template(i, place)),
            TemplateNode::Jsonata(j) => self.expression(&j.expression, &t.origin, place),
            TemplateNode::Literal(_) | TemplateNode::Expression(_) => {}
        }
    }

    fn dynamic<T>(&mut self, d: &Dynamic<T>) {
        if let Dynamic::Jsonata(j) = d {
            self.expression(&j.value.expression, &j.origin, Place::Plain);
        }
    }

    fn expression(&mut self, expression: &str, origin: &Origin, place: Place) {
        let Some(uses) = asl_lang::jsonata::lex(expression).states_members else {
            return;
        };
        for u in uses {
            let (available, help) = match u.member.as_str() {
                "result" => (
                    place == Place::AfterResult,
                    "`$states.result` is the result of a Task, Map or Parallel state, in its `Output` and `Assign`",
                ),
                "errorOutput" => (
                    place == Place::Caught,
                    "`$states.errorOutput` is the error a Catch entry takes, in that entry's `Output` and `Assign`",
                ),
                _ => (true, ""),
            };
            if !available {
                self.diags.push(
                    Diagnostic::new(
                        Rule::StatesMemberUnavailable,
                        format!("`$states.{}` is not available here", u.member),
                        origin.clone(),
                    )
                    .with_help(help),
                );
            }
        }
    }
}
