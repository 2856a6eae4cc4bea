//! A handler's declared result (`asl!(…, resources = ["arn:…" =>
//! "result.schema.json"])`, the Builder's `resource_result`, `asl check
//! --resource ARN=SCHEMA`): paths into what the program's own handler returns
//! are checked against the schema, and the typed API's output takes its types
//! (run with a typed handler in `tests/workflows.rs`).

use asl_build::CheckOptions;

const PRICE: &str = "arn:aws:lambda:us-east-1:123456789012:function:price";

fn workflows(file: &str) -> String {
    format!("{}/../tests/workflows/{file}", env!("CARGO_MANIFEST_DIR"))
}

fn read(file: &str) -> String {
    std::fs::read_to_string(workflows(file)).unwrap()
}

fn result_schema() -> serde_json::Value {
    serde_json::from_str(&read("quote.result.schema.json")).unwrap()
}

/// The quote workflow with `$.quote.total` written `$.quote.totl`.
fn misspelled() -> String {
    read("quote.asl.json").replacen("$.quote.total", "$.quote.totl", 1)
}

#[test]
fn paths_into_a_declared_result_are_checked() {
    let typo = misspelled();
    // Declared without a schema: the handler's result is unknown.
    let plain = CheckOptions::declaring([PRICE]);
    assert!(asl_build::load_with(typo.as_bytes(), "q.asl.json", &plain).is_ok());
    // With its schema, the key nobody returns is an error, located, with the
    // shape and a suggestion.
    let mut declared = CheckOptions::declaring(Vec::<String>::new());
    declared.result_schemas = vec![(PRICE.to_string(), result_schema())];
    let err = asl_build::load_with(typo.as_bytes(), "q.asl.json", &declared).unwrap_err();
    assert_eq!(err.len(), 1, "{err}");
    assert_eq!(err.items[0].rule, "asl::path-never-present");
    assert!(
        err.items[0].message.contains(
            "`$.quote.totl` can never be present: quote has no field totl; did you mean total?"
        ),
        "{err}"
    );
    // A resource with a result schema is declared: no other error, and the
    // right spelling checks clean.
    let good = read("quote.asl.json");
    assert!(asl_build::load_with(good.as_bytes(), "q.asl.json", &declared).is_ok());
    // Undeclared, a function ARN is the built-in Lambda integration, whose
    // result (the function's payload) nobody described: no error either.
    let none = CheckOptions::declaring(Vec::<String>::new());
    assert!(asl_build::load_with(typo.as_bytes(), "q.asl.json", &none).is_ok());
    // A resource no integration serves is declared by its result schema alone.
    let custom = "arn:aws:states:::custom:price";
    let typo = typo.replace(PRICE, custom);
    let err = asl_build::load_with(typo.as_bytes(), "q.asl.json", &none).unwrap_err();
    assert_eq!(err.items[0].rule, "asl::undeclared-resource", "{err}");
    let mut declared = CheckOptions::declaring(Vec::<String>::new());
    declared.result_schemas = vec![(custom.to_string(), result_schema())];
    let err = asl_build::load_with(typo.as_bytes(), "q.asl.json", &declared).unwrap_err();
    assert_eq!(err.len(), 1, "{err}");
    assert_eq!(err.items[0].rule, "asl::path-never-present", "{err}");
}

#[test]
fn a_declared_result_types_the_generated_output() {
    let src = read("quote.asl.json");
    let input: serde_json::Value = serde_json::from_str(&read("quote.input.schema.json")).unwrap();
    let generate = |result_schemas| {
        let options = asl_build::codegen::Options {
            type_name: "Quote".into(),
            input_schema: Some(input.clone()),
            resources: vec![PRICE.into()],
            result_schemas,
            ..Default::default()
        };
        asl_build::builder::generate_file(src.as_bytes(), "quote.asl.json", &options).unwrap()
    };
    let typed = generate(vec![(PRICE.to_string(), result_schema())]);
    for item in [
        "pub struct QuoteOutput {",
        "pub total: ::asl::runtime::__private::Number,",
        "pub currency: ::asl::runtime::__private::String,",
        "pub lines: ::asl::runtime::__private::Vec<",
    ] {
        assert!(typed.contains(item), "{item} missing:\n{typed}");
    }
    // Without the schema the same fields are JSON values.
    let untyped = generate(Vec::new());
    assert!(
        untyped.contains("pub total: ::asl::runtime::__private::Value,"),
        "{untyped}"
    );
}

#[test]
fn asl_check_types_and_the_builder_take_a_result_schema() {
    let dir = std::env::temp_dir().join(format!("asl-result-schema-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let typo = dir.join("typo.asl.json");
    std::fs::write(&typo, misspelled()).unwrap();
    let schema = workflows("quote.result.schema.json");
    let asl = crate::asl_cli;
    let file = typo.to_str().unwrap();
    let (code, out, _) = asl(&["check", "--resource", PRICE, file]);
    assert_eq!(code, Some(0), "{out}");
    let with_schema = format!("{PRICE}={schema}");
    let (code, out, _) = asl(&["check", "--resource", &with_schema, file]);
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("quote has no field totl; did you mean total?"),
        "{out}"
    );
    // A schema that is not JSON is an I/O-class error (exit 2).
    let bad = dir.join("bad.json");
    std::fs::write(&bad, "[").unwrap();
    let (code, _, err) = asl(&[
        "check",
        "--resource",
        &format!("{PRICE}={}", bad.display()),
        file,
    ]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("the result schema is not JSON"), "{err}");
    // `asl types` shows the declared result where the state puts it.
    let (code, out, _) = asl(&[
        "types",
        "--resource",
        &with_schema,
        &workflows("quote.asl.json"),
    ]);
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains(
            "quote: {currency: string, lines: [{amount: number, sku: string}], total: number}"
        ),
        "{out}"
    );
    // The Builder: `resource_result` declares the resource and types the output.
    let mut builder = asl_build::Builder::new();
    builder
        .workflow("Quote", workflows("quote.asl.json"))
        .input_schema("Quote", workflows("quote.input.schema.json"))
        .resource_result(PRICE, &schema)
        .out_dir(&dir)
        .emit_rerun_if_changed(false);
    builder.compile().unwrap();
    let generated = std::fs::read_to_string(dir.join("quote.rs")).unwrap();
    assert!(
        generated.contains("pub total: ::asl::runtime::__private::Number,"),
        "{generated}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
