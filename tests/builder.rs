//! The build.rs route: `asl_build::Builder` writes the same code `asl!` expands
//! to, formatted and headed `// @generated`, and rewrites a file only when its
//! content changes.

use asl_build::Builder;

#[test]
fn builder_writes_formatted_generated_files_only_when_changed() {
    let out = std::env::temp_dir().join(format!("asl-builder-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let written = Builder::new()
        .workflow(
            "Counter",
            concat!(env!("CARGO_MANIFEST_DIR"), "/workflows/counter.asl.json"),
        )
        .out_dir(&out)
        .emit_rerun_if_changed(false)
        .compile()
        .unwrap();
    assert_eq!(written, vec![out.join("counter.rs")]);
    let text = std::fs::read_to_string(&written[0]).unwrap();
    assert!(text.starts_with("// @generated"), "{}", &text[..80]);
    assert!(text.contains("pub struct Counter;"));
    assert!(text.contains("fn increment<const HOOKS: bool>("));
    // The same as the stored snapshot: one generator, two routes.
    let snapshot =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/snapshots/counter.rs"))
            .unwrap();
    assert_eq!(text, snapshot);

    let before = std::fs::metadata(&written[0]).unwrap().modified().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    Builder::new()
        .workflow(
            "Counter",
            concat!(env!("CARGO_MANIFEST_DIR"), "/workflows/counter.asl.json"),
        )
        .out_dir(&out)
        .emit_rerun_if_changed(false)
        .compile()
        .unwrap();
    assert_eq!(
        std::fs::metadata(&written[0]).unwrap().modified().unwrap(),
        before,
        "unchanged output is not rewritten"
    );
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn builder_reports_every_invalid_workflow() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/ui");
    let err = Builder::new()
        .workflow("A", format!("{dir}/unknown_next_state/flow.asl.json"))
        .workflow("B", format!("{dir}/bad_path/flow.asl.json"))
        .out_dir(std::env::temp_dir())
        .emit_rerun_if_changed(false)
        .compile()
        .unwrap_err()
        .to_string();
    assert!(err.contains("asl::unknown-next-state"), "{err}");
    assert!(err.contains("asl::invalid-path"), "{err}");
}

/// `Builder::substitute` and `Builder::template` give a template definition
/// its values as `asl!(…, substitutions = {…})` does; `substitute` wins; a
/// placeholder without one fails the build naming it.
#[test]
fn builder_substitutes_from_values_and_templates() {
    let dir = std::env::temp_dir().join(format!("asl-builder-subs-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let definition = concat!(env!("CARGO_MANIFEST_DIR"), "/workflows/templated.asl.yaml");
    let template = dir.join("template.yaml");
    std::fs::write(
        &template,
        "Resources:\n  Flow:\n    Type: AWS::Serverless::StateMachine\n    Properties:\n      DefinitionUri: elsewhere.asl.yaml\n      DefinitionSubstitutions:\n        Table: !Ref Orders\n        WaitSeconds: 5\n  Orders:\n    Type: AWS::DynamoDB::Table\n",
    )
    .unwrap();
    let generated = |b: &mut Builder| {
        let written = b
            .out_dir(&dir)
            .emit_rerun_if_changed(false)
            .compile()
            .unwrap();
        std::fs::read_to_string(&written[0]).unwrap()
    };
    // From the template (its only state machine), one value overridden.
    let text = generated(
        Builder::new()
            .workflow("Templated", definition)
            .template(&template)
            .substitute("WaitSeconds", "90"),
    );
    // `!Ref` of a table is its name (the logical id stands in for it).
    assert!(text.contains("table/Orders"), "table from !Ref");
    assert!(
        text.contains("90u64") || text.contains("wait_seconds(90"),
        "WaitSeconds from substitute()"
    );
    // Without values: one error per placeholder, by name.
    let err = Builder::new()
        .workflow("Templated", definition)
        .out_dir(&dir)
        .emit_rerun_if_changed(false)
        .compile()
        .unwrap_err()
        .to_string();
    assert!(err.contains("`${WaitSeconds}` has no value"), "{err}");
    assert!(err.contains("`${Table}` has no value"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}
