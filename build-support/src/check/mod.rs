//! Graph-level rules, run on the typed model after loading.
//!
//! In: a [`StateMachine`] (with nested branches and item processors). Out: every
//! diagnostic of the rules below, collected (never stopping at the first), in
//! serde_derive's `ctxt` style. Field-level rules (types, ranges, allowed fields)
//! already ran while the model was built ([`crate::lower`]).
//!
//! Each rule is one function with its rule name, a comment and an example.

pub mod distributed;
pub mod integrations;
pub mod sdk;
pub mod states_members;
pub mod support;
pub mod types;
pub mod variables;

use crate::rules::Rule;
use std::collections::{HashMap, HashSet, VecDeque};

use crate::diagnostics::{Diagnostic, Sink};
use crate::model::{
    Catcher, ChoiceRule, Comparison, ConditionKind, Operator, Origin, State, StateKind,
    StateMachine, Transition,
};

/// Runs every graph rule on `machine` and its nested machines, into `diags`.
pub fn check(machine: &StateMachine, diags: &mut Sink) {
    let mut homes = HashMap::new();
    collect_homes(machine, 0, &mut 0, &mut homes);
    duplicate_state_names(machine, &mut HashMap::new(), diags);
    let mut next_id = 0;
    check_machine(machine, &homes, &mut next_id, diags);
    integrations::check_integrations(machine, diags);
    sdk::check_sdk_integrations(machine, diags);
    distributed::check_distributed(machine, diags);
}

/// Every state name with the id of the machine it lives in, for telling "no such
/// state" from "that state is in another branch". Machines are numbered in the
/// same pre-order as [`check_machine`] walks them.
fn collect_homes(
    machine: &StateMachine,
    id: usize,
    next_id: &mut usize,
    homes: &mut HashMap<String, usize>,
) {
    for state in &machine.states {
        homes.entry(state.name.value.clone()).or_insert(id);
    }
    for state in &machine.states {
        for child in nested(&state.kind) {
            *next_id += 1;
            collect_homes(child, *next_id, next_id, homes);
        }
    }
}

fn nested(kind: &StateKind) -> Vec<&StateMachine> {
    match kind {
        StateKind::Parallel(p) => p.branches.iter().collect(),
        StateKind::Map(m) => vec![&*m.item_processor],
        _ => Vec::new(),
    }
}

fn check_machine(
    machine: &StateMachine,
    homes: &HashMap<String, usize>,
    next_id: &mut usize,
    diags: &mut Sink,
) {
    let id = *next_id;
    let start_known = unknown_start_state(machine, homes, id, diags);
    unknown_next_states(machine, homes, id, diags);
    if start_known {
        unreachable_states(machine, diags);
    }
    no_terminal_state(machine, diags);
    for state in &machine.states {
        for child in nested(&state.kind) {
            *next_id += 1;
            check_machine(child, homes, next_id, diags);
        }
    }
}

/// Each state's position in reverse postorder from `StartAt` (`usize::MAX`
/// for a state not reached): a forward analysis that takes states in this
/// order sees every predecessor of a state before it, loops aside, so it
/// visits each state of a loop-free machine once.
pub(crate) fn reverse_postorder(machine: &StateMachine) -> Vec<usize> {
    let index: HashMap<&str, usize> = machine
        .states
        .iter()
        .enumerate()
        .map(|(i, s)| (s.name.value.as_str(), i))
        .collect();
    let mut order = vec![usize::MAX; machine.states.len()];
    let Some(&start) = index.get(machine.start_at.value.as_str()) else {
        return order;
    };
    // Iterative depth-first search (a definition can be thousands of states
    // long): each frame is a state and how many of its successors are done.
    let mut postorder = Vec::with_capacity(machine.states.len());
    let mut seen = vec![false; machine.states.len()];
    let mut stack = vec![(start, 0usize)];
    seen[start] = true;
    while let Some((state, next)) = stack.pop() {
        let targets = successors(&machine.states[state].kind);
        match targets.get(next) {
            Some((target, _)) => {
                stack.push((state, next + 1));
                if let Some(&t) = index.get(target)
                    && !seen[t]
                {
                    seen[t] = true;
                    stack.push((t, 0));
                }
            }
            None => postorder.push(state),
        }
    }
    for (position, state) in postorder.into_iter().rev().enumerate() {
        order[state] = position;
    }
    order
}

/// The comparisons of a Choice's rules that every input reaching the Choice
/// is tested by: the rules up to the first that may be a guard (an `Is*`
/// test, or a compound `And`/`Or`/`Not`), since the rules after a guard run
/// only where it failed (`{"Variable": "$.x", "IsPresent": false}` first, then
/// `$.x` compared). The data-flow rules check these only, so a guarded read
/// is never reported.
pub(crate) fn unguarded_comparisons(rules: &[ChoiceRule]) -> impl Iterator<Item = &Comparison> {
    rules.iter().map_while(|rule| match &rule.condition.kind {
        ConditionKind::Compare(cmp)
            if !matches!(
                cmp.operator.value,
                Operator::IsNull
                    | Operator::IsPresent
                    | Operator::IsNumeric
                    | Operator::IsString
                    | Operator::IsBoolean
                    | Operator::IsTimestamp
            ) =>
        {
            Some(cmp)
        }
        _ => None,
    })
}

/// The states a state can go to, with the origin of each reference.
pub fn successors(kind: &StateKind) -> Vec<(&str, &Origin)> {
    fn next(t: &Transition) -> Option<(&str, &Origin)> {
        match t {
            Transition::Next(n) => Some((n.value.as_str(), &n.origin)),
            Transition::End(_) => None,
        }
    }
    fn catches(c: &[Catcher]) -> impl Iterator<Item = (&str, &Origin)> {
        c.iter().map(|c| (c.next.value.as_str(), &c.next.origin))
    }
    let mut out = Vec::new();
    match kind {
        StateKind::Task(t) => {
            out.extend(next(&t.transition));
            out.extend(catches(&t.catch));
        }
        StateKind::Pass(p) => out.extend(next(&p.transition)),
        StateKind::Wait(w) => out.extend(next(&w.transition)),
        StateKind::Parallel(p) => {
            out.extend(next(&p.transition));
            out.extend(catches(&p.catch));
        }
        StateKind::Map(m) => {
            out.extend(next(&m.transition));
            out.extend(catches(&m.catch));
        }
        StateKind::Choice(c) => {
            out.extend(
                c.choices
                    .iter()
                    .map(|r| (r.next.value.as_str(), &r.next.origin)),
            );
            out.extend(c.default.iter().map(|d| (d.value.as_str(), &d.origin)));
        }
        StateKind::Succeed(_) | StateKind::Fail(_) => {}
    }
    out
}

/// Rule `asl::unknown-start-state` (and `asl::transition-across-machines`):
/// `StartAt` names a state of this machine. `{"StartAt": "Frist", "States": {"First": ...}}`
/// Returns whether the start state exists.
fn unknown_start_state(
    machine: &StateMachine,
    homes: &HashMap<String, usize>,
    id: usize,
    diags: &mut Sink,
) -> bool {
    let start = &machine.start_at;
    if start.origin == machine.origin {
        // StartAt was missing or not a string: already reported while loading.
        return false;
    }
    if machine.state(&start.value).is_some() {
        return true;
    }
    diags.push(missing_target(
        "StartAt",
        None,
        &start.value,
        &start.origin,
        homes,
        id,
    ));
    false
}

/// Rule `asl::unknown-next-state`: every `Next`, `Default` and Catch `Next` names
/// a state of the same machine. `"Next": "Bar"` with no state "Bar".
///
/// When the name exists in another machine (a Parallel branch, a Map processor or
/// the enclosing machine) the rule is `asl::transition-across-machines`: states
/// can never transition into or out of a branch.
fn unknown_next_states(
    machine: &StateMachine,
    homes: &HashMap<String, usize>,
    id: usize,
    diags: &mut Sink,
) {
    let names: HashSet<&str> = machine
        .states
        .iter()
        .map(|s| s.name.value.as_str())
        .collect();
    for state in &machine.states {
        for (target, origin) in successors(&state.kind) {
            if !names.contains(target) {
                diags.push(missing_target(
                    "Next",
                    Some(&state.name.value),
                    target,
                    origin,
                    homes,
                    id,
                ));
            }
        }
    }
}

fn missing_target(
    field: &str,
    from: Option<&str>,
    target: &str,
    origin: &Origin,
    homes: &HashMap<String, usize>,
    id: usize,
) -> Diagnostic {
    let who = match from {
        Some(from) => format!("state \"{from}\" has {field} \"{target}\""),
        None => format!("{field} is \"{target}\""),
    };
    match homes.get(target) {
        Some(&home) if home != id => Diagnostic::new(
            Rule::TransitionAcrossMachines,
            format!("{who}, but \"{target}\" is in another branch or map processor"),
            origin.clone(),
        )
        .with_help(
            "a transition stays inside its own Parallel branch, Map processor or top-level machine",
        ),
        _ => Diagnostic::new(
            if from.is_some() {
                Rule::UnknownNextState
            } else {
                Rule::UnknownStartState
            },
            format!("{who}, but there is no state \"{target}\""),
            origin.clone(),
        )
        .with_help("name a state of the same \"States\" object"),
    }
}

/// Rule `asl::unreachable-state`: every state can be reached from `StartAt`
/// through Next, Choice, Default and Catch transitions. A state only referenced
/// from another unreachable state is unreachable too.
fn unreachable_states(machine: &StateMachine, diags: &mut Sink) {
    let by_name: HashMap<&str, &State> = machine
        .states
        .iter()
        .map(|s| (s.name.value.as_str(), s))
        .collect();
    let mut seen: HashSet<&str> = HashSet::new();
    let mut queue = VecDeque::from([machine.start_at.value.as_str()]);
    seen.insert(machine.start_at.value.as_str());
    while let Some(name) = queue.pop_front() {
        let Some(state) = by_name.get(name) else {
            continue;
        };
        for (target, _) in successors(&state.kind) {
            if seen.insert(target) {
                queue.push_back(target);
            }
        }
    }
    for state in &machine.states {
        if !seen.contains(state.name.value.as_str()) {
            diags.push(
                Diagnostic::new(
                    Rule::UnreachableState,
                    format!(
                        "state \"{}\" can never run: no path leads to it from StartAt \"{}\"",
                        state.name.value, machine.start_at.value
                    ),
                    state.name.origin.clone(),
                )
                .with_help("remove it, or name it in a Next, Choice, Default or Catch"),
            );
        }
    }
}

/// Rule `asl::no-terminal-state`: a machine has at least one state that ends
/// it (`"End": true`, `Succeed` or `Fail`); otherwise it can never finish.
fn no_terminal_state(machine: &StateMachine, diags: &mut Sink) {
    if machine.states.is_empty() {
        return;
    }
    let terminal = machine.states.iter().any(|s| match &s.kind {
        StateKind::Succeed(_) | StateKind::Fail(_) => true,
        StateKind::Task(t) => matches!(t.transition, Transition::End(_)),
        StateKind::Pass(p) => matches!(p.transition, Transition::End(_)),
        StateKind::Wait(w) => matches!(w.transition, Transition::End(_)),
        StateKind::Parallel(p) => matches!(p.transition, Transition::End(_)),
        StateKind::Map(m) => matches!(m.transition, Transition::End(_)),
        StateKind::Choice(_) => false,
    });
    if !terminal {
        diags.push(
            Diagnostic::new(
                Rule::NoTerminalState,
                "no state ends this machine: it can never finish",
                machine.origin.clone(),
            )
            .with_help("give a state \"End\": true, or add a Succeed or Fail state"),
        );
    }
}

/// Rule `asl::duplicate-state-name`: state names are unique across the whole
/// definition, nested branches and processors included (Step Functions names
/// states in history, errors and `$$.State.Name` by name alone).
fn duplicate_state_names<'a>(
    machine: &'a StateMachine,
    seen: &mut HashMap<&'a str, &'a Origin>,
    diags: &mut Sink,
) {
    for state in &machine.states {
        if let Some(first) = seen.get(state.name.value.as_str()) {
            diags.push(
                Diagnostic::new(
                    Rule::DuplicateStateName,
                    format!("state name \"{}\" is used twice (first at {}:{})", state.name.value, first.line, first.column),
                    state.name.origin.clone(),
                )
                .with_help("state names must be unique in the whole definition, including Parallel branches and Map processors"),
            );
        } else {
            seen.insert(&state.name.value, &state.name.origin);
        }
    }
    for state in &machine.states {
        for child in nested(&state.kind) {
            duplicate_state_names(child, seen, diags);
        }
    }
}
