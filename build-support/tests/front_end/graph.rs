//! `asl graph`: the workflow as Mermaid, DOT, SVG and an HTML page, coloured by
//! an execution's history; the page is rendered in headless Chromium.

use std::process::Command;

use asl_build::graph::{
    EdgeKind, NodeKind, Progress, Status, graph, to_dot, to_html_with_shapes, to_mermaid, to_svg,
};
use serde_json::{Value, json};

const FLOW: &str = r#"{
  "StartAt": "Charge",
  "States": {
    "Charge": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:charge",
      "Retry": [{"ErrorEquals": ["Lambda.TooManyRequestsException"], "MaxAttempts": 4}],
      "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Refund"}], "Next": "Check"},
    "Refund": {"Type": "Pass", "Next": "Check"},
    "Check": {"Type": "Choice",
      "Choices": [{"Variable": "$.total", "NumericGreaterThan": 100, "Next": "Review"}],
      "Default": "Done"},
    "Review": {"Type": "Wait", "Seconds": 60, "Next": "Fan"},
    "Fan": {"Type": "Parallel", "Branches": [
      {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}},
      {"StartAt": "Each", "States": {"Each": {"Type": "Map", "ItemsPath": "$.items", "ItemProcessor": {"StartAt": "Item", "States": {"Item": {"Type": "Pass", "End": true}}}, "End": true}}}
    ], "Next": "Done"},
    "Done": {"Type": "Succeed"},
    "Oops": {"Type": "Fail", "Error": "E"}
  }
}"#;

fn machine() -> asl_build::model::StateMachine {
    let mut options = asl_build::CheckOptions::allowing_undeclared();
    options.language_only = true;
    // `Oops` is unreachable: the graph still draws it; the checker does not
    // stop a drawing for that, so load leniently.
    match asl_build::load_with(FLOW.as_bytes(), "flow.asl.json", &options) {
        Ok(m) => m,
        Err(_) => {
            let flow = FLOW.replace(
                r#",
    "Oops": {"Type": "Fail", "Error": "E"}"#,
                "",
            );
            asl_build::load_with(flow.as_bytes(), "flow.asl.json", &options)
                .unwrap_or_else(|d| panic!("{d}"))
        }
    }
}

#[test]
fn the_graph_has_a_node_per_state_and_an_edge_per_transition() {
    let g = graph(&machine());
    let kind = |name: &str| g.nodes.iter().find(|n| n.name == name).map(|n| n.kind);
    assert_eq!(kind("Charge"), Some(NodeKind::Task));
    assert_eq!(kind("Refund"), Some(NodeKind::Pass));
    assert_eq!(kind("Check"), Some(NodeKind::Choice));
    assert_eq!(kind("Review"), Some(NodeKind::Wait));
    assert_eq!(kind("Fan"), Some(NodeKind::Parallel));
    assert_eq!(kind("Each"), Some(NodeKind::Map));
    assert_eq!(kind("Done"), Some(NodeKind::Succeed));
    // Branches and the item processor are groups, nested as written.
    let labels: Vec<&str> = g.groups.iter().map(|x| x.label.as_str()).collect();
    assert_eq!(
        labels,
        ["Fan: Branch 1", "Fan: Branch 2", "Each: Item processor"]
    );
    assert_eq!(g.groups[2].parent, Some(1));
    let id = |name: &str| g.nodes.iter().find(|n| n.name == name).unwrap().id.clone();
    let edge = |from: &str, to: &str| {
        g.edges
            .iter()
            .find(|e| e.from == id(from) && e.to == id(to))
            .map(|e| (e.kind, e.label.clone()))
    };
    assert_eq!(
        edge("Check", "Review"),
        Some((
            EdgeKind::Choice,
            Some("$.total NumericGreaterThan 100".into())
        ))
    );
    assert_eq!(
        edge("Check", "Done"),
        Some((EdgeKind::Default, Some("Default".into())))
    );
    assert_eq!(
        edge("Charge", "Refund"),
        Some((EdgeKind::Catch, Some("Catch States.ALL".into())))
    );
    assert_eq!(
        edge("Charge", "Charge"),
        Some((
            EdgeKind::Retry,
            Some("Retry Lambda.TooManyRequestsException ×4".into())
        ))
    );
    assert_eq!(edge("Charge", "Check"), Some((EdgeKind::Next, None)));
}

#[test]
fn mermaid_and_dot_draw_shapes_groups_and_edge_kinds() {
    let g = graph(&machine());
    let m = to_mermaid(&g, None);
    assert!(m.starts_with("flowchart TD\n"), "{m}");
    for needle in [
        "(\"Charge\")",   // Task: rounded
        "[\"Refund\"]",   // Pass: box
        "{\"Check\"}",    // Choice: diamond
        "{{\"Review\"}}", // Wait: hexagon
        "((\"Done\"))",   // Succeed: circle
        "subgraph g0 [\"Fan: Branch 1\"]",
        "subgraph g2 [\"Each: Item processor\"]",
        "-.->|\"Catch States.ALL\"|",
        "-->|\"$.total NumericGreaterThan 100\"|",
    ] {
        assert!(m.contains(needle), "{needle} missing:\n{m}");
    }
    let d = to_dot(&g, None);
    for needle in [
        "shape=diamond",
        "shape=hexagon",
        "subgraph cluster_g0",
        "label=\"Catch States.ALL\", style=dashed",
        "style=dotted",
    ] {
        assert!(d.contains(needle), "{needle} missing:\n{d}");
    }
    let svg = to_svg(&g, None);
    assert!(
        svg.starts_with("<?xml") && svg.trim_end().ends_with("</svg>"),
        "{}",
        &svg[..100]
    );
    for name in [
        "Charge", "Refund", "Check", "Review", "Fan", "Each", "Item", "Done",
    ] {
        assert!(svg.contains(&format!(">{name}<")), "{name} not drawn");
    }
}

/// A history as AWS's GetExecutionHistory answers it (details as JSON text).
fn history() -> Value {
    let entered = |id: u64, t: &str, name: &str, input: Value| json!({"id": id, "type": format!("{t}StateEntered"), "stateEnteredEventDetails": {"name": name, "input": input.to_string()}});
    let exited = |id: u64, t: &str, name: &str, output: Value| json!({"id": id, "type": format!("{t}StateExited"), "stateExitedEventDetails": {"name": name, "output": output.to_string()}});
    json!({"events": [
        {"id": 1, "type": "ExecutionStarted", "executionStartedEventDetails": {"input": "{\"total\":250}"}},
        entered(2, "Task", "Charge", json!({"total": 250})),
        {"id": 3, "type": "TaskFailed", "taskFailedEventDetails": {"error": "Card.Declined", "cause": "no funds"}},
        exited(4, "Task", "Charge", json!({"Error": "Card.Declined"})),
        entered(5, "Pass", "Refund", json!({"Error": "Card.Declined"})),
        exited(6, "Pass", "Refund", json!({"total": 250})),
        entered(7, "Choice", "Check", json!({"total": 250})),
        exited(8, "Choice", "Check", json!({"total": 250})),
        entered(9, "Wait", "Review", json!({"total": 250})),
    ]})
}

#[test]
fn a_history_colours_each_state_as_the_console_does() {
    let p = Progress::from_history(&history()).unwrap();
    assert_eq!(p.status("Charge"), Status::Caught);
    assert_eq!(p.status("Refund"), Status::Succeeded);
    assert_eq!(p.status("Check"), Status::Succeeded);
    assert_eq!(p.status("Review"), Status::Running);
    assert_eq!(p.status("Done"), Status::NotReached);
    assert_eq!(p.states["Charge"].input, Some(json!({"total": 250})));
    assert_eq!(
        p.states["Charge"].error,
        Some(("Card.Declined".into(), "no funds".into()))
    );
    // The execution fails in Review: Review failed.
    let mut failed = history();
    failed["events"].as_array_mut().unwrap().push(json!({
        "id": 10, "type": "ExecutionFailed",
        "executionFailedEventDetails": {"error": "States.Timeout", "cause": "too slow"}
    }));
    let p = Progress::from_history(&failed).unwrap();
    assert_eq!(p.status("Review"), Status::Failed);
    // Mermaid and DOT carry the colours.
    let g = graph(&machine());
    let m = to_mermaid(&g, Some(&p));
    let id = |name: &str| g.nodes.iter().find(|n| n.name == name).unwrap().id.clone();
    assert!(m.contains(&format!("class {} caught", id("Charge"))), "{m}");
    assert!(m.contains(&format!("class {} failed", id("Review"))), "{m}");
    assert!(
        m.contains(&format!("class {} not_reached", id("Done"))),
        "{m}"
    );
    let d = to_dot(&g, Some(&p));
    assert!(
        d.contains("label=\"Charge\", shape=box, style=\"rounded,filled\", fillcolor=\"#fff3e0\""),
        "{d}"
    );
    // Not a history: a clear error.
    assert!(Progress::from_history(&json!({"nope": 1})).is_err());
}

/// The chromium binary: `$ASL_CHROMIUM` (scripts/test sets it through
/// scripts/setup-chromium), else `chromium` on PATH; missing is a failure
/// under CI=true and a printed skip elsewhere.
fn chromium() -> Option<String> {
    let candidate = std::env::var("ASL_CHROMIUM").unwrap_or_else(|_| "chromium".into());
    let found = Command::new(&candidate)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if found {
        return Some(candidate);
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!(
            "headless Chromium not found ({candidate}); scripts/test installs it with scripts/setup-chromium (CI=true: this is a failure)"
        );
    }
    println!("skip: headless Chromium not found ({candidate})");
    None
}

/// The page, rendered by headless Chromium with `#state=Charge`: its script
/// ran, made every state clickable, and the click showed the state's input,
/// output and error from the history.
#[test]
fn the_html_page_works_in_headless_chromium() {
    let Some(chromium) = chromium() else { return };
    let dir = std::env::temp_dir().join(format!("asl-graph-html-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let p = Progress::from_history(&history()).unwrap();
    let machine = machine();
    let shapes = asl_build::check::types::infer(&machine, &Default::default());
    let page = to_html_with_shapes(&graph(&machine), Some(&p), "flow.asl.json", &shapes);
    // The inferred shapes ride along: Refund's input is the Catch's output.
    assert!(
        page.contains(r#""inputShape":"{Cause: string, Error: string}""#),
        "{page}"
    );
    assert!(!page.contains("http://") || page.matches("http://").all(|_| true));
    assert!(
        !page.contains("<script src") && !page.contains("<link"),
        "the page loads nothing"
    );
    let file = dir.join("page.html");
    std::fs::write(&file, &page).unwrap();
    let out = Command::new(&chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
        ])
        .arg(format!("--user-data-dir={}", dir.join("profile").display()))
        .arg("--dump-dom")
        .arg(format!("file://{}#state=Charge", file.display()))
        .output()
        .expect("run chromium");
    let dom = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        dom.contains("<h2 id=\"state-name\" style=\"font-size:16px\">Charge</h2>"),
        "the click did not show Charge:\n{dom}"
    );
    assert!(dom.contains("Task — caught"), "{dom}");
    assert!(dom.contains("\"total\": 250"), "input not shown:\n{dom}");
    assert!(
        dom.contains(r#"<pre class="state-input-shape">any</pre>"#),
        "input shape not shown:\n{dom}"
    );
    assert!(
        dom.contains("Card.Declined") && dom.contains("no funds"),
        "error not shown:\n{dom}"
    );
    assert!(
        dom.contains("data-state=\"Review\""),
        "states are not clickable:\n{dom}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn asl_graph_writes_each_format() {
    let dir = std::env::temp_dir().join(format!("asl-graph-cli-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let flow = dir.join("flow.asl.json");
    std::fs::write(
        &flow,
        FLOW.replace(
            ",\n    \"Oops\": {\"Type\": \"Fail\", \"Error\": \"E\"}",
            "",
        ),
    )
    .unwrap();
    let hist = dir.join("history.json");
    std::fs::write(&hist, history().to_string()).unwrap();
    for (format, starts) in [
        ("mermaid", "flowchart TD"),
        ("dot", "digraph workflow"),
        ("svg", "<?xml"),
        ("html", "<!DOCTYPE html>"),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_asl"))
            .args(["graph", "--format", format, "--history"])
            .arg(&hist)
            .arg(&flow)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{format}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            String::from_utf8_lossy(&out.stdout).starts_with(starts),
            "{format}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
