//! The real-world corpus: deployed sample workflows from public repositories
//! (`$ASL_REALWORLD_DIR`, default `../shared/realworld` beside the workspace),
//! each checked as its deploy tool would deploy it: substituted with the values
//! its own template gives (`substitutions.json`), then checked with every
//! language rule, as Step Functions checks it (`asl check --language-only`:
//! any Task resource, and constructs asl cannot run yet, are accepted; serving
//! them is the runtime's business, not the definition's). The test also
//! prints how many `asl!` compiles given a handler per resource, how many it
//! compiles with the built-in integrations only (no resource declared; at
//! least 94, so a regression fails), and what the others lack, grouped by
//! cause.
//!
//! With `aws-sdk:*` actions served from AWS's models (every protocol but
//! CBOR), the optimized integrations on the same caller (Athena, Glue,
//! Batch, ECS, Bedrock) and `apigateway:invoke`, 94 of 109 compile with
//! built-ins only (60 before issue 23, 78 with the JSON and Query protocols
//! only, 92 before `apigateway:invoke`). The 15 others: 14 use placeholders
//! no template gives a value for (CDK and Terraform compute them in code),
//! and 1 gives Bedrock's `invokeModel` its request and answer in S3
//! (`Input`/`Output`, not served yet; a handler of the program's own can
//! serve it).
//!
//! A definition passes when it is valid, or when the only problems left are
//! placeholders no template in its sample gives a value for (CDK and Terraform
//! compute them in code). Anything else must be listed in [`EXCEPTIONS`] with
//! the reason AWS would refuse it too; the test fails when a listed exception
//! no longer happens, so the list cannot go stale.
//!
//! A missing corpus fails under `CI=true` and is a printed skip elsewhere.

use std::path::PathBuf;

use asl_build::{CheckOptions, Rule, Substitutions};
use serde_json::Value;

/// Definitions AWS refuses as well (or that need what this toolkit does not
/// run yet), by file name and rule, with the reason.
const EXCEPTIONS: &[(&str, &str, &str)] = &[];

fn corpus_dir() -> Option<PathBuf> {
    crate::shared_dir("ASL_REALWORLD_DIR", "realworld", "defs")
}

/// The values `substitutions.json` gives one file, and the names it leaves
/// without one.
fn substitutions(entry: Option<&Value>, text: &mut String) -> (Substitutions, Vec<String>) {
    let mut subs = Substitutions::new();
    let mut unknown = Vec::new();
    let Some(entry) = entry else {
        return (subs, unknown);
    };
    let plain: Vec<&str> = entry["yaml_plain"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    for (name, value) in entry["vars"].as_object().into_iter().flatten() {
        match value.as_str() {
            Some(value) if plain.contains(&name.as_str()) => {
                // Written as a whole unquoted YAML scalar: CloudFormation
                // substitutes the text before the YAML is read, so the value
                // is read as YAML would read it (a number stays a number).
                let (json, _) = asl_build::source::yaml_to_json(value, false)
                    .unwrap_or_else(|e| panic!("{name}: {}", e.message));
                *text = text.replace(&format!("\"${{{name}}}\""), &json);
                subs.insert(name.clone(), value);
            }
            Some(value) => subs.insert(name.clone(), value),
            None => unknown.push(name.clone()),
        }
    }
    (subs, unknown)
}

/// Why a definition does not compile with built-ins only, as a group name:
/// the integration it calls (`glue:startJobRun.sync`, `aws-sdk:ec2:*`, a
/// `.waitForTaskToken` pattern of a service not built in) or the construct
/// asl cannot run yet; `None` for problems that are not about what asl runs.
fn lack(rule: Rule, message: &str) -> Option<String> {
    match rule {
        Rule::UndeclaredResource => {
            let resource = message.split('`').nth(3)?;
            Some(match resource.split_once(":states:::") {
                Some((_, integration)) if integration.ends_with(".waitForTaskToken") => {
                    let service = integration.split(':').next().unwrap_or(integration);
                    format!("{service}:*.waitForTaskToken (service not built in)")
                }
                Some((_, integration)) if integration.starts_with("aws-sdk:") => {
                    let service = integration.split(':').nth(1).unwrap_or(integration);
                    format!("aws-sdk:{service}:* (not built in)")
                }
                Some((_, integration)) => format!("{integration} (not built in)"),
                None => format!("resource {resource}"),
            })
        }
        Rule::Unsupported => Some(format!(
            "unsupported: {}",
            message.split('`').nth(3).unwrap_or(message)
        )),
        Rule::UnsubstitutedPlaceholder => Some("placeholders no template gives".to_string()),
        _ => Some(format!("{} (other)", rule.name())),
    }
}

#[test]
fn every_real_world_definition_checks_after_substitution() {
    let Some(dir) = corpus_dir() else { return };
    let table: Value = serde_json::from_slice(
        &std::fs::read(dir.join("substitutions.json")).expect("substitutions.json"),
    )
    .expect("substitutions.json is JSON");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("defs"))
        .expect("defs/")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    files.sort();
    let (mut valid, mut placeholders_only, mut excepted) = (0, 0, 0);
    let mut compiles = 0;
    // With asl's built-in integrations only: no resource declared.
    let (mut builtin_only, mut lacking) = (0, std::collections::BTreeMap::<String, usize>::new());
    let mut unsupported: std::collections::BTreeMap<String, usize> = Default::default();
    let mut failures = Vec::new();
    let mut seen_exceptions = Vec::new();
    // Paths read against a shape the definition or the catalogue describes.
    let (mut paths_known, mut paths_unknown) = (0, 0);
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let mut text = std::fs::read_to_string(path).expect("readable");
        let (subs, unknown) = substitutions(table.get(&name), &mut text);
        // Compiled as `asl!` compiles it, declaring no resource: every Task
        // must be a built-in integration.
        let builtin = asl_build::codegen::Options {
            type_name: "Workflow".into(),
            substitutions: subs.clone(),
            ..Default::default()
        };
        match asl_build::codegen::compile(text.as_bytes(), &name, &builtin) {
            Ok(_) => builtin_only += 1,
            Err(d) => {
                let mut causes: Vec<String> =
                    d.iter().filter_map(|d| lack(d.rule, &d.message)).collect();
                causes.sort();
                causes.dedup();
                for cause in causes {
                    *lacking.entry(cause).or_insert(0) += 1;
                }
            }
        }
        let mut options = CheckOptions::allowing_undeclared();
        options.substitutions = subs;
        // What asl runs today (with a handler for each Task resource).
        match asl_build::load_with(text.as_bytes(), &name, &options) {
            Ok(_) => compiles += 1,
            Err(d) => {
                for d in d.iter().filter(|d| d.rule == Rule::Unsupported) {
                    let what = d
                        .message
                        .split('`')
                        .nth(3)
                        .unwrap_or(&d.message)
                        .to_string();
                    *unsupported.entry(what).or_insert(0) += 1;
                }
            }
        }
        options.language_only = true;
        let diagnostics = match asl_build::load_with(text.as_bytes(), &name, &options) {
            Ok(machine) => {
                valid += 1;
                let c = asl_build::check::types::coverage(&machine, &Default::default());
                (paths_known, paths_unknown) = (paths_known + c.known, paths_unknown + c.unknown);
                continue;
            }
            Err(d) => d,
        };
        let mut only_placeholders = true;
        let mut only_excepted = true;
        for d in diagnostics.iter() {
            if d.rule == Rule::UnsubstitutedPlaceholder
                && unknown
                    .iter()
                    .any(|u| d.message.contains(&format!("`${{{u}}}`")))
            {
                continue;
            }
            only_placeholders = false;
            match EXCEPTIONS
                .iter()
                .find(|(file, rule, _)| *file == name && *rule == d.rule.name())
            {
                Some(e) => seen_exceptions.push(*e),
                None => {
                    only_excepted = false;
                    failures.push(diagnostics.render(d));
                }
            }
        }
        if only_placeholders {
            placeholders_only += 1;
        } else if only_excepted {
            excepted += 1;
        }
    }
    println!(
        "realworld: {} definitions: {valid} valid, {placeholders_only} valid but for placeholders no template gives, {excepted} refused as AWS refuses them, {} refused wrongly",
        files.len(),
        files.len() - valid - placeholders_only - excepted
    );
    println!(
        "realworld: of the paths of the valid definitions, {paths_known} read data of a known shape and {paths_unknown} unknown data (execution input, handler results, variables; JSONata not counted)"
    );
    println!(
        "realworld: {compiles} compile with asl! today (a handler per Task resource); what the others use that asl does not run yet: {unsupported:?}"
    );
    println!(
        "realworld: {builtin_only} of {} compile with asl's built-in integrations only (no handler declared); what the others lack, by definitions: {lacking:#?}",
        files.len()
    );
    assert!(
        builtin_only >= 94,
        "built-in integrations compile {builtin_only} definitions, fewer than before"
    );
    let stale: Vec<_> = EXCEPTIONS
        .iter()
        .filter(|e| !seen_exceptions.contains(e))
        .collect();
    assert!(
        stale.is_empty(),
        "listed exceptions that no longer happen: {stale:?}"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
