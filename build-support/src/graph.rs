//! The workflow as a graph (`asl graph`), as the Step Functions console draws
//! it, and the same graph coloured by an execution's progress.
//!
//! In: a checked [`StateMachine`], and optionally an execution history (the
//! sample's `--history` file or AWS's `GetExecutionHistory` JSON). Out:
//! Mermaid or Graphviz DOT text, an SVG laid out by layout-rs (no Graphviz
//! needed), or one self-contained HTML page.
//!
//! Shapes per state type: Task a rounded box, Pass a plain box, Choice a
//! diamond, Wait a hexagon, Succeed a green and Fail a red circle, Parallel
//! and Map a group holding their branches or item processor. Edges: `Next`
//! solid, each Choice rule labelled with its condition, `Default` labelled,
//! Catch dashed and red with its error names, Retry a dotted loop with its
//! errors and attempts. Colours with a history: succeeded green, failed red,
//! caught orange, running blue, not reached grey.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::Value;

use crate::model::{
    Catcher, Comparison, Condition, ConditionKind, Operand, Retrier, State, StateKind,
    StateMachine, Transition,
};

/// How far an execution got with one state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Succeeded,
    Failed,
    /// Failed, and a `Catch` took the error.
    Caught,
    Running,
    NotReached,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::Succeeded => "succeeded",
            Status::Failed => "failed",
            Status::Caught => "caught",
            Status::Running => "running",
            Status::NotReached => "not reached",
        }
    }

    fn colour(self) -> &'static str {
        match self {
            Status::Succeeded => "#2e7d32",
            Status::Failed => "#c62828",
            Status::Caught => "#ef6c00",
            Status::Running => "#1565c0",
            Status::NotReached => "#9e9e9e",
        }
    }

    fn fill(self) -> &'static str {
        match self {
            Status::Succeeded => "#e8f5e9",
            Status::Failed => "#ffebee",
            Status::Caught => "#fff3e0",
            Status::Running => "#e3f2fd",
            Status::NotReached => "#f5f5f5",
        }
    }
}

/// What a history says of each state (by name), and its last input and output.
#[derive(Clone, Debug, Default)]
pub struct Progress {
    pub states: BTreeMap<String, StateProgress>,
}

#[derive(Clone, Debug)]
pub struct StateProgress {
    pub status: Status,
    pub input: Option<Value>,
    pub output: Option<Value>,
    /// The error and cause of its last failure.
    pub error: Option<(String, String)>,
}

impl Progress {
    /// The status of `state` (not reached when the history never entered it).
    pub fn status(&self, state: &str) -> Status {
        self.states
            .get(state)
            .map_or(Status::NotReached, |s| s.status)
    }

    /// Reads a history: `{"events": [...]}` (AWS's GetExecutionHistory, and the
    /// sample's `--history` file) or a bare array of events. Each event has
    /// `type` and AWS's `*EventDetails`; input and output may be JSON text.
    pub fn from_history(doc: &Value) -> Result<Progress, String> {
        let events = match doc {
            Value::Array(items) => items,
            Value::Object(m) => m
                .get("events")
                .and_then(Value::as_array)
                .ok_or("a history is `{\"events\": [...]}`, as GetExecutionHistory answers")?,
            _ => return Err("a history is `{\"events\": [...]}`".into()),
        };
        let mut progress = Progress::default();
        // The states entered and not yet left, innermost last.
        let mut open: Vec<String> = Vec::new();
        for event in events {
            let kind = event.get("type").and_then(Value::as_str).unwrap_or("");
            let details = event
                .as_object()
                .and_then(|m| m.iter().find(|(k, _)| k.ends_with("EventDetails")))
                .map(|(_, v)| v);
            let text = |key: &str| -> Option<Value> {
                let v = details?.get(key)?;
                Some(match v {
                    Value::String(s) => serde_json::from_str(s).unwrap_or_else(|_| v.clone()),
                    other => other.clone(),
                })
            };
            let name = details
                .and_then(|d| d.get("name"))
                .and_then(Value::as_str)
                .map(str::to_string);
            if kind.ends_with("StateEntered") {
                let Some(name) = name else { continue };
                let entry = progress
                    .states
                    .entry(name.clone())
                    .or_insert(StateProgress {
                        status: Status::Running,
                        input: None,
                        output: None,
                        error: None,
                    });
                entry.status = Status::Running;
                entry.input = text("input");
                open.push(name);
            } else if kind.ends_with("StateExited") {
                let Some(name) = name else { continue };
                if let Some(entry) = progress.states.get_mut(&name) {
                    entry.output = text("output");
                    entry.status = if entry.error.is_some() {
                        Status::Caught
                    } else {
                        Status::Succeeded
                    };
                }
                if let Some(i) = open.iter().rposition(|n| *n == name) {
                    open.remove(i);
                }
            } else if kind.ends_with("Failed")
                || kind.ends_with("TimedOut")
                || kind == "ExecutionAborted"
            {
                let error = (
                    text("error").map(|v| plain(&v)).unwrap_or_default(),
                    text("cause").map(|v| plain(&v)).unwrap_or_default(),
                );
                if kind.starts_with("Execution") {
                    // Every state still open failed with the execution.
                    for name in &open {
                        if let Some(entry) = progress.states.get_mut(name) {
                            entry.status = Status::Failed;
                            entry.error.get_or_insert(error.clone());
                        }
                    }
                    open.clear();
                } else if let Some(name) = open.last()
                    && let Some(entry) = progress.states.get_mut(name)
                {
                    entry.error = Some(error);
                }
            }
        }
        Ok(progress)
    }
}

fn plain(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The graph, ready to print: nodes, edges and groups, with ids that are
/// valid in Mermaid and DOT.
#[derive(Clone, Debug, Default)]
pub struct Graph {
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
    /// Parallel branches and Map processors: id, label, parent group, and the
    /// node ids directly inside.
    pub groups: Vec<Group>,
}

#[derive(Clone, Debug)]
pub struct Node {
    pub id: String,
    /// The state's name (the key of the progress).
    pub name: String,
    pub kind: NodeKind,
    /// The group the node sits in (`None`: top level).
    pub group: Option<usize>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeKind {
    Start,
    End,
    Task,
    Pass,
    Choice,
    Wait,
    Succeed,
    Fail,
    Parallel,
    Map,
}

#[derive(Clone, Debug)]
pub struct Edge {
    pub from: String,
    pub to: String,
    pub label: Option<String>,
    pub kind: EdgeKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EdgeKind {
    Next,
    Choice,
    Default,
    Catch,
    Retry,
}

#[derive(Clone, Debug)]
pub struct Group {
    pub id: String,
    pub label: String,
    pub parent: Option<usize>,
}

/// Builds the graph of `machine` and every machine nested in it.
pub fn graph(machine: &StateMachine) -> Graph {
    let mut g = Graph::default();
    let mut b = Builder {
        g: &mut g,
        next_id: 0,
    };
    b.machine(machine, None, "");
    g
}

struct Builder<'g> {
    g: &'g mut Graph,
    next_id: usize,
}

impl Builder<'_> {
    fn id(&mut self) -> String {
        self.next_id += 1;
        format!("n{}", self.next_id)
    }

    /// Adds `machine`'s states in `group`; returns the ids of its start and
    /// end markers.
    fn machine(
        &mut self,
        machine: &StateMachine,
        group: Option<usize>,
        scope: &str,
    ) -> (String, String) {
        let start = self.id();
        let end = self.id();
        self.g.nodes.push(Node {
            id: start.clone(),
            name: format!("{scope}Start"),
            kind: NodeKind::Start,
            group,
        });
        let mut ids: BTreeMap<&str, String> = BTreeMap::new();
        for state in &machine.states {
            ids.insert(&state.name.value, self.id());
        }
        for state in &machine.states {
            let id = ids[state.name.value.as_str()].clone();
            self.state(state, &id, group, &ids, &end);
        }
        self.g.nodes.push(Node {
            id: end.clone(),
            name: format!("{scope}End"),
            kind: NodeKind::End,
            group,
        });
        if let Some(first) = ids.get(machine.start_at.value.as_str()) {
            self.edge(&start, first, None, EdgeKind::Next);
        }
        (start, end)
    }

    fn edge(&mut self, from: &str, to: &str, label: Option<String>, kind: EdgeKind) {
        self.g.edges.push(Edge {
            from: from.into(),
            to: to.into(),
            label,
            kind,
        });
    }

    fn state(
        &mut self,
        state: &State,
        id: &str,
        group: Option<usize>,
        ids: &BTreeMap<&str, String>,
        end: &str,
    ) {
        let target = |name: &str| ids.get(name).cloned();
        let kind = match &state.kind {
            StateKind::Task(_) => NodeKind::Task,
            StateKind::Pass(_) => NodeKind::Pass,
            StateKind::Choice(_) => NodeKind::Choice,
            StateKind::Wait(_) => NodeKind::Wait,
            StateKind::Succeed(_) => NodeKind::Succeed,
            StateKind::Fail(_) => NodeKind::Fail,
            StateKind::Parallel(_) => NodeKind::Parallel,
            StateKind::Map(_) => NodeKind::Map,
        };
        self.g.nodes.push(Node {
            id: id.into(),
            name: state.name.value.clone(),
            kind,
            group,
        });
        let (transition, retry, catch): (Option<&Transition>, &[Retrier], &[Catcher]) = match &state
            .kind
        {
            StateKind::Task(t) => (Some(&t.transition), &t.retry, &t.catch),
            StateKind::Pass(p) => (Some(&p.transition), &[], &[]),
            StateKind::Wait(w) => (Some(&w.transition), &[], &[]),
            StateKind::Parallel(p) => (Some(&p.transition), &p.retry, &p.catch),
            StateKind::Map(m) => (Some(&m.transition), &m.retry, &m.catch),
            StateKind::Succeed(_) | StateKind::Fail(_) | StateKind::Choice(_) => (None, &[], &[]),
        };
        match transition {
            Some(Transition::Next(n)) => {
                if let Some(to) = target(&n.value) {
                    self.edge(id, &to, None, EdgeKind::Next);
                }
            }
            Some(Transition::End(_)) => self.edge(id, end, None, EdgeKind::Next),
            None => {}
        }
        if matches!(state.kind, StateKind::Succeed(_) | StateKind::Fail(_)) {
            self.edge(id, end, None, EdgeKind::Next);
        }
        if let StateKind::Choice(c) = &state.kind {
            for rule in &c.choices {
                if let Some(to) = target(&rule.next.value) {
                    self.edge(id, &to, Some(condition(&rule.condition)), EdgeKind::Choice);
                }
            }
            if let Some(d) = &c.default
                && let Some(to) = target(&d.value)
            {
                self.edge(id, &to, Some("Default".into()), EdgeKind::Default);
            }
        }
        for r in retry {
            let errors: Vec<&str> = r.error_equals.iter().map(|e| e.value.as_str()).collect();
            let attempts = r.max_attempts.as_ref().map_or(3, |m| m.value);
            self.edge(
                id,
                id,
                Some(format!("Retry {} ×{attempts}", errors.join(", "))),
                EdgeKind::Retry,
            );
        }
        for c in catch {
            if let Some(to) = target(&c.next.value) {
                let errors: Vec<&str> = c.error_equals.iter().map(|e| e.value.as_str()).collect();
                self.edge(
                    id,
                    &to,
                    Some(format!("Catch {}", errors.join(", "))),
                    EdgeKind::Catch,
                );
            }
        }
        let nested: Vec<(&StateMachine, String)> = match &state.kind {
            StateKind::Parallel(p) => p
                .branches
                .iter()
                .enumerate()
                .map(|(i, b)| (b, format!("Branch {}", i + 1)))
                .collect(),
            StateKind::Map(m) => vec![(&*m.item_processor, "Item processor".to_string())],
            _ => Vec::new(),
        };
        for (machine, label) in nested {
            let gid = self.g.groups.len();
            self.g.groups.push(Group {
                id: format!("g{gid}"),
                label: format!("{}: {label}", state.name.value),
                parent: group,
            });
            let scope = format!("{} / {label} / ", state.name.value);
            let (start, end) = self.machine(machine, Some(gid), &scope);
            self.edge(id, &start, None, EdgeKind::Next);
            self.edge(&end, id, None, EdgeKind::Next);
        }
    }
}

/// A Choice rule's condition, as short text: `$.x NumericEquals 3`,
/// `And(...)`, the JSONata expression.
fn condition(c: &Condition) -> String {
    match &c.kind {
        ConditionKind::And(items) => format!("And({})", join(items)),
        ConditionKind::Or(items) => format!("Or({})", join(items)),
        ConditionKind::Not(inner) => format!("Not({})", condition(inner)),
        ConditionKind::Jsonata(j) => format!("{{% {} %}}", j.expression.trim()),
        ConditionKind::Literal(b) => b.to_string(),
        ConditionKind::Compare(Comparison {
            variable,
            operator,
            operand,
        }) => {
            let rhs = match &operand.value {
                Operand::String(s) => format!("{s:?}"),
                Operand::Number(n) => n.to_string(),
                Operand::Bool(b) => b.to_string(),
                Operand::Path(p) => p.text().to_string(),
            };
            let path = if matches!(operand.value, Operand::Path(_)) {
                "Path"
            } else {
                ""
            };
            format!(
                "{} {}{path} {rhs}",
                variable.value.text(),
                operator.value.name()
            )
        }
    }
}

fn join(items: &[Condition]) -> String {
    items.iter().map(condition).collect::<Vec<_>>().join(", ")
}

// ------------------------------------------------------------------ Mermaid

/// Mermaid flowchart text.
pub fn to_mermaid(g: &Graph, progress: Option<&Progress>) -> String {
    let mut out = String::from("flowchart TD\n");
    let label = |s: &str| s.replace('"', "#quot;");
    let node_line = |n: &Node| -> String {
        let l = label(&n.name);
        match n.kind {
            NodeKind::Start => format!("{}((\"Start\"))", n.id),
            NodeKind::End => format!("{}((\"End\"))", n.id),
            NodeKind::Task => format!("{}(\"{l}\")", n.id),
            NodeKind::Pass => format!("{}[\"{l}\"]", n.id),
            NodeKind::Choice => format!("{}{{\"{l}\"}}", n.id),
            NodeKind::Wait => format!("{}{{{{\"{l}\"}}}}", n.id),
            NodeKind::Succeed | NodeKind::Fail => format!("{}((\"{l}\"))", n.id),
            NodeKind::Parallel | NodeKind::Map => format!("{}[[\"{l}\"]]", n.id),
        }
    };
    print_groups(
        &mut out,
        g,
        None,
        0,
        &node_line,
        &|grp| {
            format!(
                "subgraph {} [\"{}\"]",
                grp.id,
                grp.label.replace('"', "#quot;")
            )
        },
        "end",
    );
    for e in &g.edges {
        let arrow = match e.kind {
            EdgeKind::Catch | EdgeKind::Retry => "-.->",
            _ => "-->",
        };
        match &e.label {
            Some(l) => {
                let _ = writeln!(out, "  {} {arrow}|\"{}\"| {}", e.from, label(l), e.to);
            }
            None => {
                let _ = writeln!(out, "  {} {arrow} {}", e.from, e.to);
            }
        }
    }
    // Catch edges red, retries grey (Mermaid numbers links in order).
    for (i, e) in g.edges.iter().enumerate() {
        match e.kind {
            EdgeKind::Catch => {
                let _ = writeln!(out, "  linkStyle {i} stroke:#c62828,stroke-dasharray:5 5");
            }
            EdgeKind::Retry => {
                let _ = writeln!(out, "  linkStyle {i} stroke:#757575,stroke-dasharray:2 2");
            }
            _ => {}
        }
    }
    let _ = writeln!(out, "  classDef succeed fill:#e8f5e9,stroke:#2e7d32");
    let _ = writeln!(out, "  classDef fail fill:#ffebee,stroke:#c62828");
    for n in &g.nodes {
        match n.kind {
            NodeKind::Succeed => {
                let _ = writeln!(out, "  class {} succeed", n.id);
            }
            NodeKind::Fail => {
                let _ = writeln!(out, "  class {} fail", n.id);
            }
            _ => {}
        }
    }
    if let Some(p) = progress {
        for status in [
            Status::Succeeded,
            Status::Failed,
            Status::Caught,
            Status::Running,
            Status::NotReached,
        ] {
            let class = status.name().replace(' ', "_");
            let _ = writeln!(
                out,
                "  classDef {class} fill:{},stroke:{},stroke-width:2px",
                status.fill(),
                status.colour()
            );
        }
        for n in g.nodes.iter().filter(|n| is_state(n.kind)) {
            let _ = writeln!(
                out,
                "  class {} {}",
                n.id,
                p.status(&n.name).name().replace(' ', "_")
            );
        }
    }
    out
}

/// Prints the nodes of `group` and, nested, its child groups, each between
/// `open(group)` and `close` (Mermaid's `subgraph … end`, DOT's clusters).
fn print_groups(
    out: &mut String,
    g: &Graph,
    group: Option<usize>,
    depth: usize,
    node_line: &dyn Fn(&Node) -> String,
    open: &dyn Fn(&Group) -> String,
    close: &str,
) {
    let pad = "  ".repeat(depth + 1);
    for n in g.nodes.iter().filter(|n| n.group == group) {
        let _ = writeln!(out, "{pad}{}", node_line(n));
    }
    for (i, grp) in g
        .groups
        .iter()
        .enumerate()
        .filter(|(_, x)| x.parent == group)
    {
        let _ = writeln!(out, "{pad}{}", open(grp));
        print_groups(out, g, Some(i), depth + 1, node_line, open, close);
        let _ = writeln!(out, "{pad}{close}");
    }
}

fn is_state(kind: NodeKind) -> bool {
    !matches!(kind, NodeKind::Start | NodeKind::End)
}

// ------------------------------------------------------------------ DOT

/// Graphviz DOT text (clusters for Parallel branches and Map processors).
pub fn to_dot(g: &Graph, progress: Option<&Progress>) -> String {
    let mut out = String::from(
        "digraph workflow {\n  rankdir=TB;\n  node [fontname=\"Helvetica\", fontsize=12];\n  edge [fontname=\"Helvetica\", fontsize=10];\n",
    );
    let q = |s: &str| format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""));
    let node_line = |n: &Node| -> String {
        let (shape, style, fill) = match n.kind {
            NodeKind::Start | NodeKind::End => ("circle", "filled", "#eeeeee"),
            NodeKind::Task => ("box", "rounded,filled", "#ffffff"),
            NodeKind::Pass => ("box", "filled", "#ffffff"),
            NodeKind::Choice => ("diamond", "filled", "#ffffff"),
            NodeKind::Wait => ("hexagon", "filled", "#ffffff"),
            NodeKind::Succeed => ("circle", "filled", "#e8f5e9"),
            NodeKind::Fail => ("circle", "filled", "#ffebee"),
            NodeKind::Parallel | NodeKind::Map => ("box3d", "filled", "#ffffff"),
        };
        let label = match n.kind {
            NodeKind::Start => "Start".to_string(),
            NodeKind::End => "End".to_string(),
            _ => n.name.clone(),
        };
        let (fill, colour) = match progress {
            Some(p) if is_state(n.kind) => {
                let s = p.status(&n.name);
                (s.fill(), s.colour())
            }
            _ => (fill, "#333333"),
        };
        format!(
            "{} [label={}, shape={shape}, style={q_style}, fillcolor={q_fill}, color={q_colour}];",
            n.id,
            q(&label),
            q_style = q(style),
            q_fill = q(fill),
            q_colour = q(colour),
        )
    };
    print_groups(
        &mut out,
        g,
        None,
        0,
        &node_line,
        &|grp| {
            format!(
                "subgraph cluster_{} {{ label={}; style=\"rounded,dashed\";",
                grp.id,
                q(&grp.label)
            )
        },
        "}",
    );
    for e in &g.edges {
        let mut attrs = Vec::new();
        if let Some(l) = &e.label {
            attrs.push(format!("label={}", q(l)));
        }
        match e.kind {
            EdgeKind::Catch => attrs.push("style=dashed, color=\"#c62828\"".into()),
            EdgeKind::Retry => attrs.push("style=dotted, color=\"#757575\"".into()),
            EdgeKind::Default => attrs.push("style=bold".into()),
            _ => {}
        }
        let _ = writeln!(out, "  {} -> {} [{}];", e.from, e.to, attrs.join(", "));
    }
    out.push_str("}\n");
    out
}

// ------------------------------------------------------------------ SVG

/// An SVG drawing, laid out by layout-rs (feature `svg`). Its layout has no clusters: a
/// Parallel or Map state leads into its branches' Start markers and their
/// End markers lead back, and nested states are labelled with their group.
#[cfg(feature = "svg")]
pub fn to_svg(g: &Graph, progress: Option<&Progress>) -> String {
    use layout::backends::svg::SVGWriter;
    use layout::core::base::Orientation;
    use layout::core::color::Color;
    use layout::core::geometry::Point;
    use layout::core::style::{LineStyleKind, StyleAttr};
    use layout::std_shapes::shapes::{Arrow, Element, LineEndKind, ShapeKind};
    use layout::topo::layout::VisualGraph;

    let mut vg = VisualGraph::new(Orientation::TopToBottom);
    let mut handles = BTreeMap::new();
    for n in &g.nodes {
        let label = match n.kind {
            NodeKind::Start | NodeKind::End => {
                let scope = n.name.rsplit_once(" / ").map(|(s, _)| s).unwrap_or("");
                let base = if n.kind == NodeKind::Start {
                    "Start"
                } else {
                    "End"
                };
                if scope.is_empty() {
                    base.to_string()
                } else {
                    format!("{base} ({scope})")
                }
            }
            _ => n.name.clone(),
        };
        let shape = match n.kind {
            NodeKind::Start | NodeKind::End | NodeKind::Succeed | NodeKind::Fail => {
                ShapeKind::new_circle(&label)
            }
            NodeKind::Choice => ShapeKind::DoubleCircle(label.clone()),
            _ => ShapeKind::new_box(&label),
        };
        let (fill, line) = match progress {
            Some(p) if is_state(n.kind) => {
                let s = p.status(&n.name);
                (s.fill(), s.colour())
            }
            _ => match n.kind {
                NodeKind::Succeed => ("#e8f5e9", "#2e7d32"),
                NodeKind::Fail => ("#ffebee", "#c62828"),
                _ => ("#ffffff", "#333333"),
            },
        };
        let rounded = if n.kind == NodeKind::Task { 10 } else { 0 };
        let look = StyleAttr::new(Color::fast(line), 2, Some(Color::fast(fill)), rounded, 13);
        let width = (label.chars().count() as f64 * 8.0 + 30.0).max(60.0);
        let size = match n.kind {
            NodeKind::Start | NodeKind::End => Point::new(width.min(200.0), 40.0),
            _ => Point::new(width, 44.0),
        };
        let element = Element::create(shape, look, Orientation::LeftToRight, size);
        handles.insert(n.id.clone(), vg.add_node(element));
    }
    for e in &g.edges {
        let (Some(from), Some(to)) = (handles.get(&e.from), handles.get(&e.to)) else {
            continue;
        };
        let (colour, style) = match e.kind {
            EdgeKind::Catch => ("#c62828", LineStyleKind::Dashed),
            _ => ("#333333", LineStyleKind::Normal),
        };
        let look = StyleAttr::new(Color::fast(colour), 1, None, 0, 11);
        // layout-rs places a label beside its edge: a long Choice condition
        // is cut (Mermaid and DOT keep it whole).
        let label = e
            .label
            .as_deref()
            .map(|l| crate::diagnostics::shorten(l, 40).into_owned())
            .unwrap_or_default();
        let arrow = Arrow::new(
            LineEndKind::None,
            LineEndKind::Arrow,
            style,
            &label,
            &look,
            &None,
            &None,
        );
        vg.add_edge(arrow, *from, *to);
    }
    let mut svg = SVGWriter::new();
    vg.do_it(false, false, false, &mut svg);
    svg.finalize()
}

// ------------------------------------------------------------------ HTML

/// One self-contained page (no network; feature `svg`): the SVG graph, and for each state
/// its status, input and output from the history, shown when it is clicked.
/// `page.html#state=NAME` opens with that state clicked.
#[cfg(feature = "svg")]
pub fn to_html(g: &Graph, progress: Option<&Progress>, title: &str) -> String {
    to_html_with_shapes(g, progress, title, &[])
}

/// [`to_html`], each state also showing the shapes of its input and output
/// that the checker infers ([`crate::check::types::infer`]).
#[cfg(feature = "svg")]
pub fn to_html_with_shapes(
    g: &Graph,
    progress: Option<&Progress>,
    title: &str,
    shapes: &[crate::check::types::StateShapes],
) -> String {
    let svg = to_svg(g, progress);
    let mut states = serde_json::Map::new();
    for n in g.nodes.iter().filter(|n| is_state(n.kind)) {
        let p = progress.and_then(|p| p.states.get(&n.name));
        let status = progress.map_or("", |p| p.status(&n.name).name());
        let inferred = shapes.iter().find(|s| s.state == n.name);
        states.insert(
            n.name.clone(),
            serde_json::json!({
                "type": format!("{:?}", n.kind),
                "status": status,
                "input": p.and_then(|p| p.input.clone()),
                "output": p.and_then(|p| p.output.clone()),
                "error": p.and_then(|p| p.error.clone()).map(|(e, c)| serde_json::json!({"Error": e, "Cause": c})),
                "inputShape": inferred.map(|s| s.input.to_string()),
                "outputShape": inferred.and_then(|s| s.output.as_ref().map(|o| o.to_string())),
            }),
        );
    }
    // `</` cannot end the script early: JSON escapes it.
    let data = serde_json::to_string(&states)
        .unwrap_or_default()
        .replace("</", "<\\/");
    let title_html = escape_html(title);
    format!(
        r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title_html}</title>
<style>
body {{ font-family: Helvetica, Arial, sans-serif; margin: 0; display: flex; height: 100vh; }}
#graph {{ flex: 2; overflow: auto; padding: 12px; }}
#details {{ flex: 1; border-left: 1px solid #ddd; padding: 12px; overflow: auto; background: #fafafa; }}
#details pre {{ background: #fff; border: 1px solid #ddd; padding: 8px; white-space: pre-wrap; word-break: break-all; }}
#graph svg {{ max-width: 100%; height: auto; }}
#graph svg text {{ cursor: pointer; }}
.legend span {{ display: inline-block; padding: 2px 6px; margin-right: 4px; border-radius: 3px; font-size: 12px; }}
</style>
</head>
<body>
<div id="graph">
<h1 style="font-size:18px">{title_html}</h1>
<div class="legend"><span style="background:#e8f5e9">succeeded</span><span style="background:#ffebee">failed</span><span style="background:#fff3e0">caught</span><span style="background:#e3f2fd">running</span><span style="background:#f5f5f5">not reached</span></div>
{svg}
</div>
<div id="details"><h2 id="state-name" style="font-size:16px">Click a state</h2><div id="state-body"></div></div>
<script id="asl-states" type="application/json">{data}</script>
<script>
(function () {{
  var states = JSON.parse(document.getElementById('asl-states').textContent);
  function show(name) {{
    var s = states[name];
    if (!s) return;
    document.getElementById('state-name').textContent = name;
    var body = document.getElementById('state-body');
    body.textContent = '';
    var add = function (label, value) {{
      var h = document.createElement('h3'); h.textContent = label; h.style.fontSize = '14px';
      var pre = document.createElement('pre');
      pre.textContent = value === null || value === undefined ? '(none)' : JSON.stringify(value, null, 2);
      pre.className = 'state-' + label.toLowerCase();
      body.appendChild(h); body.appendChild(pre);
    }};
    var p = document.createElement('p'); p.className = 'state-status';
    p.textContent = s.type + (s.status ? ' \u2014 ' + s.status : '');
    body.appendChild(p);
    add('Input', s.input); add('Output', s.output);
    if (s.error) add('Error', s.error);
    var shape = function (label, text) {{
      if (!text) return;
      var h = document.createElement('h3'); h.textContent = label; h.style.fontSize = '14px';
      var pre = document.createElement('pre'); pre.textContent = text;
      pre.className = 'state-' + label.toLowerCase().replace(/ /g, '-');
      body.appendChild(h); body.appendChild(pre);
    }};
    shape('Input shape', s.inputShape); shape('Output shape', s.outputShape);
  }}
  window.aslShow = show;
  var texts = document.querySelectorAll('#graph svg text');
  for (var i = 0; i < texts.length; i++) {{
    (function (t) {{
      var name = t.textContent;
      if (states[name]) {{
        t.setAttribute('data-state', name);
        t.addEventListener('click', function () {{ show(name); }});
      }}
    }})(texts[i]);
  }}
  var m = /^#state=(.*)$/.exec(location.hash);
  if (m) {{
    var target = document.querySelector('#graph svg text[data-state="' + decodeURIComponent(m[1]).replace(/"/g, '\\"') + '"]');
    if (target) target.dispatchEvent(new MouseEvent('click', {{ bubbles: true }}));
  }}
}})();
</script>
</body>
</html>
"#
    )
}

#[cfg(feature = "svg")]
fn escape_html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
