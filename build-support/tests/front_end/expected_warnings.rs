//! Every warning the corpora get, reviewed: the conformance corpus's
//! definitions AWS ran (`executions/`, `choice/`), the real-world corpus
//! (substituted as `realworld.rs` does), the reference folder, and every
//! `*.asl.json` / `*.asl.yaml` of this repository that loads (examples, test
//! workflows, UI fixtures, benches).
//!
//! Each warning is a line of `expected-warnings.txt` beside this file: `file |
//! state | rule | pointer | why`, the last a sentence on why the warning is
//! right (the path on which the workflow goes wrong). The test fails when the
//! set of warnings changes either way, or when a line has no reason: a new
//! warning is read and either listed with its reason or, when it is wrong,
//! fixed in the rule, never in this file. `ASL_WRITE_EXPECTED_WARNINGS=1`
//! rewrites the file with the warnings found, keeping the reasons of those
//! already listed (new ones get `WHY?`, which fails until written).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use asl_build::{CheckOptions, Substitutions};
use serde_json::Value;

const EXPECTED: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/front_end/expected-warnings.txt"
);

/// (file, state, rule, pointer) of one warning.
type Key = (String, String, String, String);

/// The state a pointer is in: its last `/States/<name>` step.
fn state_of(pointer: &str) -> String {
    let steps: Vec<&str> = pointer.split('/').collect();
    steps
        .windows(2)
        .rev()
        .find(|w| w[0] == "States")
        .map(|w| w[1].replace("~1", "/").replace("~0", "~"))
        .unwrap_or_default()
}

fn collect(found: &mut BTreeMap<Key, ()>, file: &str, source: &[u8], options: &CheckOptions) {
    let Ok(loaded) = asl_build::load_reporting(source, file, options) else {
        return;
    };
    for d in loaded.warnings.iter() {
        found.insert(
            (
                file.to_string(),
                state_of(&d.origin.pointer),
                d.rule.name().to_string(),
                d.origin.pointer.clone(),
            ),
            (),
        );
    }
}

/// Definition files under `dir`, recursively, `target` and hidden folders aside.
fn definitions_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let path = e.path();
        let name = e.file_name().to_string_lossy().into_owned();
        if path.is_dir() {
            if name != "target" && !name.starts_with('.') {
                definitions_under(&path, out);
            }
        } else if [".asl.json", ".asl.yaml", ".asl.yml"]
            .iter()
            .any(|x| name.ends_with(x))
        {
            out.push(path);
        }
    }
}

fn realworld_substitutions(entry: Option<&Value>, text: &mut String) -> Substitutions {
    let mut subs = Substitutions::new();
    let Some(entry) = entry else { return subs };
    let plain: Vec<&str> = entry["yaml_plain"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    for (name, value) in entry["vars"].as_object().into_iter().flatten() {
        if let Some(value) = value.as_str() {
            if plain.contains(&name.as_str())
                && let Ok((json, _)) = asl_build::source::yaml_to_json(value, false)
            {
                *text = text.replace(&format!("\"${{{name}}}\""), &json);
            }
            subs.insert(name.clone(), value);
        }
    }
    subs
}

#[test]
fn every_warning_of_the_corpora_is_listed_with_its_reason() {
    let (Some(conformance), Some(realworld), Some(reference)) = (
        crate::shared_dir("ASL_CONFORMANCE_DIR", "conformance", "."),
        crate::shared_dir("ASL_REALWORLD_DIR", "realworld", "defs"),
        crate::shared_dir("ASL_REFERENCE_DIR", "reference", "."),
    ) else {
        return;
    };
    let any = CheckOptions::allowing_undeclared();
    let mut found = BTreeMap::new();
    let mut counted = 0;
    for kind in ["executions", "choice"] {
        let mut files: Vec<PathBuf> = std::fs::read_dir(conformance.join(kind))
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        for path in files {
            let case: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
            let source = serde_json::to_string_pretty(&case["definition"]).unwrap();
            let name = format!(
                "conformance/{kind}/{}",
                path.file_name().unwrap().to_string_lossy()
            );
            collect(&mut found, &name, source.as_bytes(), &any);
            counted += 1;
        }
    }
    let table: Value =
        serde_json::from_slice(&std::fs::read(realworld.join("substitutions.json")).unwrap())
            .unwrap();
    let mut files: Vec<PathBuf> = std::fs::read_dir(realworld.join("defs"))
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    files.sort();
    for path in files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let mut text = std::fs::read_to_string(&path).unwrap();
        let mut options = CheckOptions::allowing_undeclared();
        options.language_only = true;
        options.substitutions = realworld_substitutions(table.get(&name), &mut text);
        collect(
            &mut found,
            &format!("realworld/{name}"),
            text.as_bytes(),
            &options,
        );
        counted += 1;
    }
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut own = Vec::new();
    definitions_under(&reference, &mut own);
    let reference_count = own.len();
    definitions_under(&repo, &mut own);
    for (i, path) in own.iter().enumerate() {
        let name = if i < reference_count {
            format!(
                "reference/{}",
                path.strip_prefix(&reference).unwrap().display()
            )
        } else {
            path.strip_prefix(&repo).unwrap().display().to_string()
        };
        collect(&mut found, &name, &std::fs::read(path).unwrap(), &any);
        counted += 1;
    }
    assert!(counted >= 631 + 109, "only {counted} definitions read");

    let text = std::fs::read_to_string(EXPECTED).unwrap_or_default();
    let mut listed: BTreeMap<Key, String> = BTreeMap::new();
    let mut problems = Vec::new();
    for line in text
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
    {
        let parts: Vec<&str> = line.splitn(5, " | ").collect();
        let [file, state, rule, pointer, why] = parts[..] else {
            problems.push(format!("not `file | state | rule | pointer | why`: {line}"));
            continue;
        };
        if why.trim().is_empty() || why.trim() == "WHY?" {
            problems.push(format!("no reason given: {line}"));
        }
        listed.insert(
            (file.into(), state.into(), rule.into(), pointer.into()),
            why.to_string(),
        );
    }
    if std::env::var_os("ASL_WRITE_EXPECTED_WARNINGS").is_some() {
        let mut out = String::from(
            "# Every warning of the corpora, reviewed (see expected_warnings.rs):\n# file | state | rule | pointer | why the warning is right\n",
        );
        for key in found.keys() {
            let why = listed.get(key).map_or("WHY?", String::as_str);
            out.push_str(&format!(
                "{} | {} | {} | {} | {why}\n",
                key.0, key.1, key.2, key.3
            ));
        }
        std::fs::write(EXPECTED, out).unwrap();
    }
    for key in found.keys().filter(|k| !listed.contains_key(k)) {
        problems.push(format!(
            "new warning, not listed: {} | {} | {} | {}",
            key.0, key.1, key.2, key.3
        ));
    }
    for key in listed.keys().filter(|k| !found.contains_key(k)) {
        problems.push(format!(
            "listed, no longer found: {} | {} | {} | {}",
            key.0, key.1, key.2, key.3
        ));
    }
    println!(
        "expected warnings: {counted} definitions read, {} warnings, all listed: {}",
        found.len(),
        problems.is_empty()
    );
    assert!(
        problems.is_empty(),
        "the warnings changed (read each; list it with why it is right in {EXPECTED}, or fix the rule):\n{}",
        problems.join("\n")
    );
}
