//! Rule `asl::unassigned-variable`: a JSONPath state reads a variable
//! (`$name`) that no path from `StartAt` to it assigns.
//!
//! A may-analysis over the graph, to a fixed point: the variables a state may
//! see are those assigned on some edge into it (the `Assign` of the state
//! before, of the Choice rule or the Catch taken; a Choice's own and a
//! state's own are counted on every edge, which only widens the set), and a
//! Map iteration or Parallel branch starts with what the state holding it
//! sees (its assignments stay inside it). A read is reported only when no
//! path assigns the variable, so a variable set on one branch only is not
//! (that would be a warning, which this rule does not give). An `Assign`
//! written as one JSONata expression may assign anything: nothing after it
//! is reported. JSONata expressions are not read (their `$name` may be a
//! function or a local binding).

use std::collections::{BTreeSet, HashMap};

use crate::diagnostics::{Diagnostic, Sink};
use crate::expr::{Arg, Call, Expression, Path, Root};
use crate::model::{
    ConditionKind, Dynamic, Io, Nullable, Operand, Operator, Origin, QueryLanguage, StateKind,
    StateMachine, Template, TemplateNode, Transition, WaitDuration,
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

/// Runs the rule on `machine` and its nested machines.
pub fn check_variables(machine: &StateMachine, diags: &mut Sink) {
    let mut out = Vec::new();
    walk(machine, &Some(BTreeSet::new()), &mut out);
    diags.extend(out);
}

fn walk(machine: &StateMachine, entry: &Seen, diags: &mut Vec<Diagnostic>) {
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
    for (i, state) in machine.states.iter().enumerate() {
        let Some(here) = &seen[i] else {
            continue;
        };
        if state.query_language == QueryLanguage::JsonPath
            && let Some(known) = here
        {
            let mut reads = Vec::new();
            state_reads(&state.kind, &mut reads);
            for (name, text, origin) in reads {
                if !known.contains(&name) {
                    diags.push(unassigned(&name, &text, &state.name.value, known, origin));
                }
            }
        }
        // A branch or an iteration sees what the state holding it sees.
        match &state.kind {
            StateKind::Parallel(p) => p.branches.iter().for_each(|b| walk(b, here, diags)),
            StateKind::Map(m) => walk(&m.item_processor, here, diags),
            _ => {}
        }
    }
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
            // Up to the first rule that may guard the ones after it (see
            // `types`): those run only where it failed.
            for rule in &c.choices {
                let ConditionKind::Compare(cmp) = &rule.condition.kind else {
                    break;
                };
                if matches!(
                    cmp.operator.value,
                    Operator::IsNull
                        | Operator::IsPresent
                        | Operator::IsNumeric
                        | Operator::IsString
                        | Operator::IsBoolean
                        | Operator::IsTimestamp
                ) {
                    break;
                }
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
