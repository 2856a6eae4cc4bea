//! A declared execution input (`asl!(…, input = "schema.json")`, the
//! Builder's `input_schema`, `asl check --input-schema`): the JSON Schema's
//! shape, paths into the input checked against it, and the typed API it
//! generates (run in `tests/workflows.rs` and the sample's e2e test).

use asl_build::CheckOptions;
use asl_build::check::types::Shape;
use serde_json::json;

fn def(states: &str) -> String {
    format!(r#"{{"StartAt": "A", "States": {{{states}}}}}"#)
}

#[test]
fn a_schema_gives_the_input_its_shape() {
    let shape = |schema| Shape::of_schema(&schema).to_string();
    assert_eq!(
        shape(json!({
            "type": "object",
            "properties": {"name": {"type": "string"}, "n": {"type": "integer"}},
            "required": ["name"],
            "additionalProperties": false
        })),
        "{n?: number, name: string}"
    );
    // Open unless `additionalProperties: false`.
    assert_eq!(
        shape(json!({"properties": {"a": {"type": "boolean"}}})),
        "{a?: boolean, ...}"
    );
    assert_eq!(
        shape(json!({"type": "array", "items": {"type": ["string", "null"]}})),
        "[string | null]"
    );
    assert_eq!(
        shape(json!({"enum": ["a", "b"]})),
        "string",
        "an enum is the kinds of its values"
    );
    assert_eq!(
        shape(json!({"anyOf": [{"type": "number"}, {"type": "string"}]})),
        "number | string"
    );
    // `$ref` into the same document, and a cycle widened, not looped.
    let nested = shape(json!({
        "$ref": "#/$defs/node",
        "$defs": {"node": {"type": "object", "properties": {"next": {"$ref": "#/$defs/node"}}, "additionalProperties": false}}
    }));
    assert!(nested.starts_with("{next?: {next?: {"), "{nested}");
    assert!(nested.ends_with(": any}}}}}}"), "{nested}");
    // What the schema does not say is unknown.
    assert_eq!(shape(json!({})), "any");
    assert_eq!(shape(json!(true)), "any");
    assert_eq!(shape(json!({"$ref": "other.json#/x"})), "any");
    assert_eq!(
        shape(json!({"allOf": [{"type": "string"}, {"minLength": 1}]})),
        "any"
    );
}

fn with_schema(schema: serde_json::Value) -> CheckOptions {
    let mut options = CheckOptions::allowing_undeclared();
    options.input_schema = Some(schema);
    options
}

#[test]
fn paths_into_a_declared_input_are_checked() {
    let src = def(
        r#""A": {"Type": "Pass", "Parameters": {"who.$": "$.naem", "when.$": "$$.Execution.Input.at"}, "End": true}"#,
    );
    let closed = json!({
        "type": "object",
        "properties": {"name": {"type": "string"}, "at": {"type": "string"}},
        "additionalProperties": false
    });
    let err = asl_build::load_with(src.as_bytes(), "t.asl.json", &with_schema(closed)).unwrap_err();
    assert_eq!(err.len(), 1, "{err}");
    assert_eq!(err.items[0].rule, "asl::path-never-present");
    assert!(
        err.items[0]
            .message
            .contains("the input has no field naem; did you mean name?"),
        "{err}"
    );
    // An open input may have the key; no schema: nothing is known.
    let open = json!({"type": "object", "properties": {"name": {"type": "string"}}});
    assert!(asl_build::load_with(src.as_bytes(), "t.asl.json", &with_schema(open)).is_ok());
    assert!(asl_build::load(src.as_bytes(), "t.asl.json").is_ok());
    // `$$.Execution.Input` is the declared input too.
    let ctx = def(
        r#""A": {"Type": "Pass", "Parameters": {"x.$": "$$.Execution.Input.missing"}, "End": true}"#,
    );
    let closed = json!({"type": "object", "additionalProperties": false});
    let err = asl_build::load_with(ctx.as_bytes(), "t.asl.json", &with_schema(closed)).unwrap_err();
    assert!(
        err.to_string().contains("Input has no field missing"),
        "{err}"
    );
    // A comparison of a type the declared input never has.
    let choice = def(
        r#""A": {"Type": "Choice", "Choices": [{"Variable": "$.n", "StringEquals": "1", "Next": "B"}], "Default": "B"},
           "B": {"Type": "Succeed"}"#,
    );
    let numeric =
        json!({"type": "object", "properties": {"n": {"type": "number"}}, "required": ["n"]});
    let err =
        asl_build::load_with(choice.as_bytes(), "t.asl.json", &with_schema(numeric)).unwrap_err();
    assert_eq!(err.items[0].rule, "asl::type-never-matches", "{err}");
}

fn sample() -> (String, serde_json::Value) {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/");
    let sample = std::fs::read_to_string(format!("{dir}manage-eks-cluster.asl.json")).unwrap();
    let schema = serde_json::from_slice(
        &std::fs::read(format!("{dir}manage-eks-cluster.input.schema.json")).unwrap(),
    )
    .unwrap();
    (sample, schema)
}

#[test]
fn the_sample_with_its_declared_input() {
    let (sample, schema) = sample();
    assert!(
        asl_build::load_with(
            sample.as_bytes(),
            "s.asl.json",
            &with_schema(schema.clone())
        )
        .is_ok()
    );
    // `$.ekss` is a key nothing wrote: unknown without the schema, an error
    // with it (the input is declared empty).
    let typo = sample.replacen("$.eks.Cluster.Endpoint", "$.ekss.Cluster.Endpoint", 1);
    assert!(asl_build::load(typo.as_bytes(), "s.asl.json").is_ok());
    let err =
        asl_build::load_with(typo.as_bytes(), "s.asl.json", &with_schema(schema)).unwrap_err();
    assert_eq!(err.len(), 1, "{err}");
    assert!(
        err.items[0]
            .message
            .contains("`$.ekss.Cluster.Endpoint` can never be present: the input has no field ekss; did you mean eks?"),
        "{err}"
    );
}

#[test]
fn asl_check_and_asl_types_take_an_input_schema() {
    let (sample, _) = sample();
    let dir = std::env::temp_dir().join(format!("asl-input-schema-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let typo = dir.join("typo.asl.json");
    std::fs::write(
        &typo,
        sample.replacen("$.eks.Cluster.Endpoint", "$.ekss.Cluster.Endpoint", 1),
    )
    .unwrap();
    let schema = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/manage-eks-cluster.input.schema.json"
    );
    let asl = crate::asl_cli;
    let file = typo.to_str().unwrap();
    assert_eq!(asl(&["check", file]).0, Some(0));
    let (code, out, _) = asl(&["check", "--input-schema", schema, file]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("no field ekss"), "{out}");
    // A schema that is not JSON is an I/O-class error (exit 2).
    let bad = dir.join("bad.json");
    std::fs::write(&bad, "{").unwrap();
    let (code, _, err) = asl(&["check", "--input-schema", bad.to_str().unwrap(), file]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("not JSON"), "{err}");
    // `asl types` starts from the schema: the first state's input is `{}`.
    let flow = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/workflows/typed.asl.json"
    );
    let flow_schema = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/workflows/typed.input.schema.json"
    );
    let (code, out, _) = asl(&["types", "--input-schema", flow_schema, flow]);
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains("input:  {count: number, name: string, scores: [number], tags?: {...}}"),
        "{out}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_typed_api_is_generated_with_a_declared_input_only() {
    let src = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/workflows/typed.asl.json"
    ))
    .unwrap();
    let schema: serde_json::Value = serde_json::from_slice(
        &std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/workflows/typed.input.schema.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let generate = |input_schema| {
        let options = asl_build::codegen::Options {
            type_name: "Flow".into(),
            input_schema,
            ..Default::default()
        };
        asl_build::builder::generate_file(&src, "typed.asl.json", &options).unwrap()
    };
    let typed = generate(Some(schema));
    for item in [
        "pub struct FlowInput {",
        "pub struct FlowOutput {",
        "pub async fn run_typed(",
        "pub count: ::asl::runtime::__private::Number,",
        "pub message: ::asl::runtime::__private::String,",
        // Optional in the schema: optional in Rust.
        "pub tags: ::asl::runtime::__private::Option<",
    ] {
        assert!(typed.contains(item), "{item} missing:\n{typed}");
    }
    let plain = generate(None);
    assert!(
        !plain.contains("FlowInput") && !plain.contains("run_typed"),
        "{plain}"
    );
}

#[test]
fn the_builder_takes_an_input_schema_per_workflow() {
    let dir = std::env::temp_dir().join(format!("asl-builder-schema-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let flow = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/workflows/typed.asl.json"
    );
    let schema = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/workflows/typed.input.schema.json"
    );
    let mut builder = asl_build::Builder::new();
    builder
        .workflow("Flow", flow)
        .workflow("Plain", flow)
        .input_schema("Flow", schema)
        .out_dir(&dir)
        .emit_rerun_if_changed(false);
    builder.compile().unwrap();
    let typed = std::fs::read_to_string(dir.join("flow.rs")).unwrap();
    assert!(typed.contains("pub struct FlowInput {"), "{typed}");
    assert!(typed.contains("pub async fn run_typed("), "{typed}");
    // Only the workflow it is given for.
    let plain = std::fs::read_to_string(dir.join("plain.rs")).unwrap();
    assert!(!plain.contains("PlainInput"), "{plain}");
    // A schema that is not JSON is the Builder's configuration error.
    let bad = dir.join("bad.json");
    std::fs::write(&bad, "{").unwrap();
    builder.input_schema("Plain", &bad);
    let err = builder.compile().unwrap_err();
    assert!(
        matches!(&err, asl_build::BuildError::Config(m) if m.contains("not JSON")),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
