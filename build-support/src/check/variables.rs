//! Rules `asl::unassigned-variable` (an error): a JSONPath state reads a
//! variable (`$name`) that no path from `StartAt` to it assigns; and
//! `asl::variable-maybe-unassigned` (a warning): some path assigns it and
//! another does not.
//!
//! Two analyses over the graph, each to a fixed point. The variables a state
//! *may* see are those assigned on some edge into it (the `Assign` of the
//! state before, of the Choice rule or the Catch taken; a Choice's own and a
//! state's own are counted on every edge, which only widens the set). The
//! variables it *must* see are those assigned on every edge into it, each
//! edge counted exactly as the runtime assigns: a state's own `Assign` on its
//! `Next` (and a Choice's on its `Default`), a Choice rule's on that rule's
//! edge, a Catch entry's on that Catch's edge (the state's own `Assign` is
//! not made when it fails). A Map iteration or Parallel branch starts with
//! what the state holding it sees (its assignments stay inside it). An
//! `Assign` written as one JSONata expression may assign anything: nothing
//! after it is reported. JSONata expressions are not read (their `$name` may
//! be a function or a local binding).

use std::collections::{BTreeSet, HashMap};

use crate::diagnostics::{Diagnostic, Sink};
use crate::expr::{Arg, Call, Expression, Path, Root};
use crate::model::{
    Dynamic, Io, Nullable, Operand, Origin, QueryLanguage, StateKind, StateMachine, Template,
    TemplateNode, Transition, WaitDuration,
};
use crate::rules::Rule;

/// The variables visible at a point: `None` when any may be (an `Assign`
/// whose names are not known).
type Seen = Option<BTreeSet<String>>;

fn union(a: &Seen, b: &Seen) -> Seen {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.union(b).cloned().collect()),
        _ => None,
    }
}

/// The names an `Assign` assigns.
fn assigned(assign: Option<&Template>) -> Seen {
    let Some(t) = assign else {
        return Some(BTreeSet::new());
    };
    match &t.node {
        TemplateNode::Object(fields) => Some(fields.iter().map(|f| f.name.value.clone()).collect()),
        TemplateNode::Literal(serde_json::Value::Object(map)) => {
            Some(map.keys().cloned().collect())
        }
        TemplateNode::Literal(_) => Some(BTreeSet::new()),
        _ => None,
    }
}

/// The variables assigned on every path: `None` when every name is (an
/// `Assign` whose names are not known makes nothing reportable after it).
type Must = Option<BTreeSet<String>>;

fn intersection(a: &Must, b: &Must) -> Must {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.intersection(b).cloned().collect()),
        (None, x) | (x, None) => x.clone(),
    }
}

/// Runs the rules on `machine` and its nested machines.
pub fn check_variables(machine: &StateMachine, diags: &mut Sink) {
    let mut out = Vec::new();
    walk(
        machine,
        &Some(BTreeSet::new()),
        &Some(BTreeSet::new()),
        &mut out,
    );
    diags.extend(out);
}

fn walk(machine: &StateMachine, entry: &Seen, entry_must: &Must, diags: &mut Vec<Diagnostic>) {
    let index: HashMap<&str, usize> = machine
        .states
        .iter()
        .enumerate()
        .map(|(i, s)| (s.name.value.as_str(), i))
        .collect();
    let Some(&start) = index.get(machine.start_at.value.as_str()) else {
        return;
    };
    let mut seen: Vec<Option<Seen>> = vec![None; machine.states.len()];
    seen[start] = Some(entry.clone());
    // In reverse postorder, as `types` does: each state after its predecessors.
    let order = super::reverse_postorder(machine);
    let mut queue = std::collections::BTreeSet::from([(order[start], start)]);
    while let Some((_, i)) = queue.pop_first() {
        let Some(here) = seen[i].clone() else {
            continue;
        };
        for (target, adds) in edges(&machine.states[i].kind) {
            let Some(&t) = index.get(target) else {
                continue;
            };
            let along = union(&here, &adds);
            let joined = match &seen[t] {
                None => along,
                Some(old) => union(old, &along),
            };
            if seen[t].as_ref() != Some(&joined) {
                seen[t] = Some(joined);
                queue.insert((order[t], t));
            }
        }
    }
    // The must-analysis: what every edge into a state assigns, over the
    // states reached (`None` in `must` is "not reached yet"). Only where this
    // machine or one nested in it reads a variable (most read none: nothing
    // to warn about).
    let reads_any = reads_variables(machine);
    let mut must: Vec<Option<Must>> = vec![None; machine.states.len()];
    must[start] = Some(entry_must.clone());
    let mut queue = std::collections::BTreeSet::new();
    if reads_any {
        queue.insert((order[start], start));
    }
    while let Some((_, i)) = queue.pop_first() {
        let Some(here) = must[i].clone() else {
            continue;
        };
        for (target, adds, _) in exact_edges(&machine.states[i].kind) {
            let Some(&t) = index.get(target) else {
                continue;
            };
            let along = union(&here, &adds);
            let joined = match &must[t] {
                None => along,
                Some(old) => intersection(old, &along),
            };
            if must[t].as_ref() != Some(&joined) {
                must[t] = Some(joined);
                queue.insert((order[t], t));
            }
        }
    }
    for (i, state) in machine.states.iter().enumerate() {
        let Some(here) = &seen[i] else {
            continue;
        };
        let here_must = must[i].clone().unwrap_or(None);
        if state.query_language == QueryLanguage::JsonPath
            && let Some(known) = here
        {
            let mut reads = Vec::new();
            state_reads(&state.kind, &mut reads);
            for (name, text, origin) in reads {
                if !known.contains(&name) {
                    diags.push(unassigned(&name, &text, &state.name.value, known, origin));
                } else if here_must.as_ref().is_some_and(|m| !m.contains(&name)) {
                    let from = missing_edge(machine, i, start, entry_must, &must, &name);
                    diags.push(maybe_unassigned(
                        &name,
                        &text,
                        &state.name.value,
                        &from,
                        origin,
                    ));
                }
            }
        }
        // A branch or an iteration sees what the state holding it sees.
        match &state.kind {
            StateKind::Parallel(p) => p
                .branches
                .iter()
                .for_each(|b| walk(b, here, &here_must, diags)),
            StateKind::Map(m) => walk(&m.item_processor, here, &here_must, diags),
            _ => {}
        }
    }
}

/// Whether a state of `machine`, or of a machine nested in it, reads a
/// variable.
fn reads_variables(machine: &StateMachine) -> bool {
    machine.states.iter().any(|s| {
        let mut reads = Vec::new();
        state_reads(&s.kind, &mut reads);
        !reads.is_empty()
            || match &s.kind {
                StateKind::Parallel(p) => p.branches.iter().any(reads_variables),
                StateKind::Map(m) => reads_variables(&m.item_processor),
                _ => false,
            }
    })
}

/// An edge into state `at` on which `name` may be unassigned, named for the
/// warning.
fn missing_edge(
    machine: &StateMachine,
    at: usize,
    start: usize,
    entry_must: &Must,
    must: &[Option<Must>],
    name: &str,
) -> String {
    let lacks = |m: &Must| m.as_ref().is_some_and(|m| !m.contains(name));
    if at == start && lacks(entry_must) {
        return "StartAt (nothing before it assigns it)".to_string();
    }
    let target = machine.states[at].name.value.as_str();
    for (j, state) in machine.states.iter().enumerate() {
        let Some(here) = &must[j] else {
            continue;
        };
        for (t, adds, via) in exact_edges(&state.kind) {
            if t == target && lacks(&union(here, &adds)) {
                let from = &state.name.value;
                return match via {
                    Via::Next => format!("\"{from}\""),
                    Via::Catch(i) => format!("\"{from}\" through its Catch #{}", i + 1),
                    Via::Rule(i) => format!("\"{from}\" through its Choice rule #{}", i + 1),
                    Via::Default => format!("\"{from}\" through its Default"),
                };
            }
        }
    }
    "some path".to_string()
}

/// Which of a state's transitions an edge is.
#[derive(Clone, Copy)]
enum Via {
    Next,
    Catch(usize),
    Rule(usize),
    Default,
}

/// The states a state leads to, with the variables assigned on the way,
/// exactly as the runtime assigns them (see the module's documentation).
fn exact_edges(kind: &StateKind) -> Vec<(&str, Seen, Via)> {
    let mut out = Vec::new();
    fn plain<'a>(
        io: &Io,
        transition: &'a Transition,
        catchers: &'a [crate::model::Catcher],
    ) -> Vec<(&'a str, Seen, Via)> {
        let mut edges = Vec::new();
        if let Transition::Next(n) = transition {
            edges.push((n.value.as_str(), assigned(io.assign.as_ref()), Via::Next));
        }
        for (i, c) in catchers.iter().enumerate() {
            edges.push((
                c.next.value.as_str(),
                assigned(c.assign.as_ref()),
                Via::Catch(i),
            ));
        }
        edges
    }
    match kind {
        StateKind::Task(t) => out.extend(plain(&t.io, &t.transition, &t.catch)),
        StateKind::Parallel(p) => out.extend(plain(&p.io, &p.transition, &p.catch)),
        StateKind::Map(m) => out.extend(plain(&m.io, &m.transition, &m.catch)),
        StateKind::Pass(p) => out.extend(plain(&p.io, &p.transition, &[])),
        StateKind::Wait(w) => out.extend(plain(&w.io, &w.transition, &[])),
        StateKind::Choice(c) => {
            for (i, rule) in c.choices.iter().enumerate() {
                out.push((
                    rule.next.value.as_str(),
                    assigned(rule.assign.as_ref()),
                    Via::Rule(i),
                ));
            }
            if let Some(d) = &c.default {
                out.push((
                    d.value.as_str(),
                    assigned(c.io.assign.as_ref()),
                    Via::Default,
                ));
            }
        }
        StateKind::Succeed(_) | StateKind::Fail(_) => {}
    }
    out
}

/// The states a state leads to, with the variables assigned on the way.
fn edges(kind: &StateKind) -> Vec<(&str, Seen)> {
    let mut out = Vec::new();
    match kind {
        StateKind::Task(t) => plain_and_caught(&t.io, &t.transition, &t.catch, &mut out),
        StateKind::Parallel(p) => plain_and_caught(&p.io, &p.transition, &p.catch, &mut out),
        StateKind::Map(m) => plain_and_caught(&m.io, &m.transition, &m.catch, &mut out),
        StateKind::Pass(p) => plain_and_caught(&p.io, &p.transition, &[], &mut out),
        StateKind::Wait(w) => plain_and_caught(&w.io, &w.transition, &[], &mut out),
        StateKind::Choice(c) => {
            let own = assigned(c.io.assign.as_ref());
            for rule in &c.choices {
                out.push((
                    rule.next.value.as_str(),
                    union(&own, &assigned(rule.assign.as_ref())),
                ));
            }
            if let Some(d) = &c.default {
                out.push((d.value.as_str(), own));
            }
        }
        StateKind::Succeed(_) | StateKind::Fail(_) => {}
    }
    out
}

fn plain_and_caught<'a>(
    io: &'a Io,
    transition: &'a Transition,
    catchers: &'a [crate::model::Catcher],
    out: &mut Vec<(&'a str, Seen)>,
) {
    let own = assigned(io.assign.as_ref());
    if let Transition::Next(n) = transition {
        out.push((n.value.as_str(), own.clone()));
    }
    for c in catchers {
        out.push((
            c.next.value.as_str(),
            union(&own, &assigned(c.assign.as_ref())),
        ));
    }
}

/// A variable read: its name, the text that reads it, where.
type Read<'a> = (String, String, &'a Origin);

fn state_reads<'a>(kind: &'a StateKind, out: &mut Vec<Read<'a>>) {
    let io = |io: &'a Io, out: &mut Vec<Read<'a>>| {
        for p in [&io.input_path, &io.output_path].into_iter().flatten() {
            if let Nullable {
                value: Some(p),
                origin,
            } = p
            {
                path_reads(p, origin, out);
            }
        }
        for t in [&io.parameters, &io.result_selector, &io.assign]
            .into_iter()
            .flatten()
        {
            template_reads(t, out);
        }
    };
    match kind {
        StateKind::Pass(p) => io(&p.io, out),
        StateKind::Succeed(s) => io(&s.io, out),
        StateKind::Task(t) => {
            io(&t.io, out);
            if let Some(c) = &t.credentials {
                template_reads(c, out);
            }
            for d in [&t.timeout_seconds, &t.heartbeat_seconds]
                .into_iter()
                .flatten()
            {
                dynamic_reads(d, out);
            }
            for c in &t.catch {
                c.assign.iter().for_each(|a| template_reads(a, out));
            }
        }
        StateKind::Wait(w) => {
            io(&w.io, out);
            match &w.duration {
                WaitDuration::Seconds(d) => dynamic_reads(d, out),
                WaitDuration::Timestamp(d) => dynamic_reads(d, out),
            }
        }
        StateKind::Fail(f) => {
            for d in [&f.error, &f.cause].into_iter().flatten() {
                dynamic_reads(d, out);
            }
        }
        StateKind::Choice(c) => {
            io(&c.io, out);
            // Up to the first rule that may guard the ones after it.
            for cmp in super::unguarded_comparisons(&c.choices) {
                path_reads(&cmp.variable.value, &cmp.variable.origin, out);
                if let Operand::Path(p) = &cmp.operand.value {
                    path_reads(p, &cmp.operand.origin, out);
                }
            }
        }
        StateKind::Parallel(p) => {
            io(&p.io, out);
            for c in &p.catch {
                c.assign.iter().for_each(|a| template_reads(a, out));
            }
        }
        StateKind::Map(m) => {
            io(&m.io, out);
            if let Some(p) = &m.items_path {
                path_reads(&p.value, &p.origin, out);
            }
            if let Some(t) = &m.item_selector {
                template_reads(t, out);
            }
            for c in &m.catch {
                c.assign.iter().for_each(|a| template_reads(a, out));
            }
        }
    }
}

fn template_reads<'a>(t: &'a Template, out: &mut Vec<Read<'a>>) {
    match &t.node {
        TemplateNode::Object(fields) => fields.iter().for_each(|f| template_reads(&f.value, out)),
        TemplateNode::Array(items) => items.iter().for_each(|i| template_reads(i, out)),
        TemplateNode::Expression(e) => expression_reads(e, &t.origin, out),
        TemplateNode::Literal(_) | TemplateNode::Jsonata(_) => {}
    }
}

fn dynamic_reads<'a, T>(d: &'a Dynamic<T>, out: &mut Vec<Read<'a>>) {
    if let Dynamic::Path(e) = d {
        expression_reads(&e.value, &e.origin, out);
    }
}

fn expression_reads<'a>(e: &'a Expression, origin: &'a Origin, out: &mut Vec<Read<'a>>) {
    match e {
        Expression::Path(p) => path_reads(p, origin, out),
        Expression::Intrinsic(c) => call_reads(c, origin, out),
    }
}

fn call_reads<'a>(c: &'a Call, origin: &'a Origin, out: &mut Vec<Read<'a>>) {
    for a in &c.args {
        match a {
            Arg::Path(p) => path_reads(p, origin, out),
            Arg::Call(c) => call_reads(c, origin, out),
            _ => {}
        }
    }
}

fn path_reads<'a>(p: &'a Path, origin: &'a Origin, out: &mut Vec<Read<'a>>) {
    if let Root::Variable(name) = p.root() {
        out.push((name.clone(), p.text().to_string(), origin));
    }
}

/// Rule `asl::variable-maybe-unassigned`'s warning: `$name` is assigned on
/// some paths to `state`, not on the one through `from`.
fn maybe_unassigned(
    name: &str,
    text: &str,
    state: &str,
    from: &str,
    origin: &Origin,
) -> Diagnostic {
    Diagnostic::new(
        Rule::VariableMaybeUnassigned,
        format!(
            "`{text}` reads the variable `{name}`, which is not assigned when state \"{state}\" is entered from {from}"
        ),
        origin.clone(),
    )
    .with_help(format!(
        "some paths to \"{state}\" assign `${name}` and this one does not: reading it there fails the execution (States.Runtime); assign it on every path, or give it a value before the paths part"
    ))
}

fn unassigned(
    name: &str,
    text: &str,
    state: &str,
    known: &BTreeSet<String>,
    origin: &Origin,
) -> Diagnostic {
    let names: Vec<&str> = known.iter().map(String::as_str).collect();
    let mut message =
        format!("`{text}` reads the variable `{name}`, which no path to state \"{state}\" assigns");
    if let Some(s) = crate::lower::suggest(name, &[&names]) {
        message.push_str(&format!("; did you mean `${s}`?"));
    }
    let help = if names.is_empty() {
        "assign it with \"Assign\" in a state before this one".to_string()
    } else {
        format!(
            "the variables assigned before it: {}",
            names
                .iter()
                .map(|n| format!("${n}"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    Diagnostic::new(Rule::UnassignedVariable, message, origin.clone()).with_help(help)
}
