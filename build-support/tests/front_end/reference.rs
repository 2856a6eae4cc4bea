//! The reference workload and the integration page's examples
//! (`../shared/reference/`), through the library and through the `asl` CLI.
//!
//! In: the reference folder (beside the workspace; a missing folder fails under
//! `CI=true` and is a printed skip elsewhere). Out: the sample and every
//! `examples/*.asl.json` load; `add-authorized-user.as-published.json` (a brace
//! missing, as AWS's page prints it) is rejected where the JSON breaks; the CLI's
//! exit codes and JSON output.

use std::path::{Path, PathBuf};
use std::process::Command;

fn reference_dir() -> Option<PathBuf> {
    crate::shared_dir("ASL_REFERENCE_DIR", "reference", ".")
}

fn examples(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("examples"))
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(".asl.json"))
        .collect();
    files.push(dir.join("manage-eks-cluster.asl.json"));
    files.sort();
    files
}

#[test]
fn reference_definitions_are_valid() {
    let Some(dir) = reference_dir() else { return };
    let files = examples(&dir);
    assert!(
        files.len() >= 10,
        "expected the sample and nine examples, found {}",
        files.len()
    );
    for file in files {
        let bytes = std::fs::read(&file).unwrap();
        if let Err(d) = asl_build::load(&bytes, &file.to_string_lossy()) {
            panic!("{} is rejected:\n{d}", file.display());
        }
    }
}

#[test]
fn sample_model_has_the_expected_shape() {
    let Some(dir) = reference_dir() else { return };
    let bytes = std::fs::read(dir.join("manage-eks-cluster.asl.json")).unwrap();
    let machine = asl_build::load(&bytes, "manage-eks-cluster.asl.json").unwrap();
    assert_eq!(machine.start_at.value, "Create an EKS cluster");
    assert_eq!(machine.states.len(), 9);
    let run_job = machine.state("Run a job on EKS").unwrap();
    let asl_build::model::StateKind::Task(task) = &run_job.kind else {
        panic!("not a Task")
    };
    let integration = task.integration().unwrap();
    assert_eq!(integration.api, asl_build::model::IntegrationApi::EksRunJob);
    assert_eq!(integration.pattern, asl_build::model::Pattern::Sync);
    let params = task.io.parameters.as_ref().unwrap();
    assert_eq!(params.origin.pointer, "/States/Run a job on EKS/Parameters");
    let asl_build::model::TemplateNode::Object(fields) = &params.node else {
        panic!("not an object")
    };
    let names: Vec<&str> = fields.iter().map(|f| f.name.value.as_str()).collect();
    assert_eq!(
        names,
        [
            "ClusterName",
            "CertificateAuthority",
            "Endpoint",
            "LogOptions",
            "Job"
        ]
    );
    let job = fields.iter().find(|f| f.name.value == "Job").unwrap();
    assert_eq!(
        job.value.origin.pointer,
        "/States/Run a job on EKS/Parameters/Job"
    );
    assert!(job.value.origin.line > 1);
}

#[test]
fn published_aws_auth_example_fails_where_the_json_breaks() {
    let Some(dir) = reference_dir() else { return };
    let path = dir.join("examples/add-authorized-user.as-published.json");
    let bytes = std::fs::read(&path).unwrap();
    let err = asl_build::load(&bytes, "add-authorized-user.as-published.json").unwrap_err();
    assert_eq!(err.len(), 1, "{err}");
    let d = &err.items[0];
    assert_eq!(d.rule, "asl::json-syntax");
    // The text ends before the outermost object is closed: the error sits just
    // after the last character written, on the last line, in the root object.
    let text = String::from_utf8(bytes).unwrap();
    let last_line = text.trim_end().lines().count() as u32;
    let last_len = text.trim_end().lines().last().unwrap().chars().count() as u32;
    assert_eq!(
        (d.origin.line, d.origin.column),
        (last_line, last_len + 1),
        "{err}"
    );
    assert_eq!(d.origin.pointer, "");
    assert!(d.message.contains("end of the file"), "{err}");
    // The corrected version (one more closing brace) is a valid eks:call example.
    let fixed = format!("{} }}", text.trim_end());
    asl_build::load(fixed.as_bytes(), "fixed.json").unwrap();
}

fn asl() -> Command {
    Command::new(env!("CARGO_BIN_EXE_asl"))
}

#[test]
fn cli_exit_codes() {
    let Some(dir) = reference_dir() else { return };
    let good = dir.join("manage-eks-cluster.asl.json");
    let bad = dir.join("examples/add-authorized-user.as-published.json");
    let out = asl().arg("check").arg(&good).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let out = asl().arg("check").arg(&good).arg(&bad).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("error[asl::json-syntax]"), "{text}");
    assert!(
        text.contains("add-authorized-user.as-published.json:1:"),
        "{text}"
    );
    assert_eq!(
        asl()
            .arg("check")
            .arg(dir.join("no-such-file.json"))
            .output()
            .unwrap()
            .status
            .code(),
        Some(2)
    );
    assert_eq!(asl().output().unwrap().status.code(), Some(2));
    assert_eq!(
        asl()
            .args(["check", "--format", "yaml"])
            .arg(&good)
            .output()
            .unwrap()
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        asl()
            .args(["lint"])
            .arg(&good)
            .output()
            .unwrap()
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn cli_reads_standard_input() {
    use std::io::Write;
    let mut child = asl()
        .args(["check", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(br#"{"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}}}"#)
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("error[asl::unknown-next-state]"));
}

#[test]
fn cli_json_format() {
    let Some(dir) = reference_dir() else { return };
    let bad = dir.join("examples/add-authorized-user.as-published.json");
    let out = asl()
        .args(["check", "--format", "json"])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["valid"], false);
    let d = &doc["files"][0]["diagnostics"][0];
    assert_eq!(d["rule"], "asl::json-syntax");
    assert_eq!(d["line"], 1);
    assert!(d["column"].as_u64().unwrap() > 1);
    // The published example is one 800-character line: JSON output carries a
    // 300-character window of it around the column, as text output does.
    let shown = d["source_line"].as_str().unwrap();
    assert!(
        shown.starts_with("...") && shown.contains("\"End\": true"),
        "{shown}"
    );
    assert!(shown.chars().count() <= 306, "{shown}");
}
