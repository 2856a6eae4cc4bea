//! The `asl!` macro's input and expansion, as a plain function over
//! `proc_macro2` tokens so the macro crate stays a shell and tests can call it.
//!
//! Accepted forms:
//! - `asl!("workflow.asl.json")`: a `pub struct Workflow`;
//! - `asl!(pub ManageEksCluster = "manage-eks-cluster.asl.json")`: a named type
//!   with any visibility (several workflows can share a module);
//! - either followed by `, resources = ["arn:aws:lambda:...:function:f", ...]`:
//!   Task resources the program will register handlers for (any other Resource
//!   that is not a built-in integration is a compile error); an entry written
//!   `"arn:…" => "f.result.schema.json"` also declares, as a JSON Schema, what
//!   that handler returns, so paths into its result are checked and typed as
//!   a built-in integration's are (the schema is the program's word: the
//!   handler's output is not checked against it at run time);
//! - `, substitutions = { "TableName" => "orders", "Seconds" => 30 }`: values
//!   for the definition's `${Name}` placeholders, substituted in its text as
//!   CloudFormation's `DefinitionSubstitutions` are (an unquoted `${Seconds}`
//!   becomes a number);
//! - `, name = "order-flow"`: the state machine name in ARNs and
//!   `$$.StateMachine.Name` (default: the type's name), for names that are no
//!   Rust identifier;
//! - `, input = "flow.input.schema.json"`: a JSON Schema of the execution
//!   input (resolved as the definition is): paths into the input are checked
//!   against it, and `FlowInput`, `FlowOutput` and `Flow::run_typed` are
//!   generated;
//! - `, runtime = some::path` to reach the runtime somewhere other than
//!   `::asl::runtime::__private`;
//! - and `, deny_warnings`: the definition's warnings (what may be wrong on
//!   some path only) are errors. Without it each warning is a rustc warning
//!   at the path literal (a used `#[deprecated]` item: a proc macro has no
//!   other way to warn on stable Rust).
//!
//! A `*.asl.yaml` / `*.asl.yml` path is read as YAML.
//!
//! The path is resolved against `CARGO_MANIFEST_DIR` first and then against the
//! directory of the file that calls the macro.

use std::path::{Path, PathBuf};

use proc_macro2::TokenStream;
use quote::{ToTokens, quote, quote_spanned};
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::{Ident, LitStr, Token, Visibility};

use super::Options;

/// The parsed macro input.
pub struct MacroInput {
    pub visibility: Visibility,
    pub name: Option<Ident>,
    pub path: LitStr,
    pub resources: Vec<LitStr>,
    /// `resources = ["arn" => "schema.json"]`: the result schema of a resource.
    pub result_schemas: Vec<(LitStr, LitStr)>,
    pub runtime: Option<syn::Path>,
    pub substitutions: crate::Substitutions,
    pub deny_warnings: bool,
    /// `input = "..."`: the execution input's JSON Schema file.
    pub input: Option<LitStr>,
    /// `name = "order-flow"`: the state machine name, when not the type's.
    pub machine_name: Option<LitStr>,
}

impl Parse for MacroInput {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let visibility: Visibility = input.parse()?;
        let name = if input.peek(Ident) {
            let name: Ident = input.parse()?;
            input.parse::<Token![=]>()?;
            Some(name)
        } else {
            None
        };
        let path: LitStr = input.parse()?;
        let mut resources = Vec::new();
        let mut result_schemas = Vec::new();
        let mut runtime = None;
        let mut substitutions = crate::Substitutions::new();
        let mut deny_warnings = false;
        let mut input_schema = None;
        let mut machine_name = None;
        while input.peek(Token![,]) {
            input.parse::<Token![,]>()?;
            if input.is_empty() {
                break;
            }
            let key: Ident = input.parse()?;
            if key == "deny_warnings" {
                deny_warnings = true;
                continue;
            }
            input.parse::<Token![=]>()?;
            match key.to_string().as_str() {
                "resources" => {
                    let content;
                    syn::bracketed!(content in input);
                    let list = content.parse_terminated(
                        |p| {
                            let arn: LitStr = p.parse()?;
                            let schema = if p.peek(Token![=>]) {
                                p.parse::<Token![=>]>()?;
                                Some(p.parse::<LitStr>()?)
                            } else {
                                None
                            };
                            Ok((arn, schema))
                        },
                        Token![,],
                    )?;
                    for (arn, schema) in list {
                        match schema {
                            Some(schema) => result_schemas.push((arn, schema)),
                            None => resources.push(arn),
                        }
                    }
                }
                "runtime" => runtime = Some(input.parse()?),
                "input" => input_schema = Some(input.parse()?),
                "name" => {
                    let name: LitStr = input.parse()?;
                    if !asl_lang::names::is_valid_name(&name.value()) {
                        return Err(syn::Error::new(
                            name.span(),
                            format!(
                                "`{}` is not a state machine name: Step Functions takes 1 to {} characters, \
                                 without whitespace, brackets, wildcards or any of \" # % \\ ^ | ~ ` $ & , ; : /",
                                name.value(),
                                asl_lang::names::MAX_NAME_LENGTH
                            ),
                        ));
                    }
                    machine_name = Some(name);
                }
                "substitutions" => {
                    let content;
                    syn::braced!(content in input);
                    let pairs = content.parse_terminated(
                        |p| {
                            let name: LitStr = p.parse()?;
                            p.parse::<Token![=>]>()?;
                            let value: syn::Lit = p.parse()?;
                            let text = match &value {
                                syn::Lit::Str(s) => s.value(),
                                syn::Lit::Int(i) => i.base10_digits().to_string(),
                                syn::Lit::Float(f) => f.base10_digits().to_string(),
                                syn::Lit::Bool(b) => b.value.to_string(),
                                other => {
                                    return Err(syn::Error::new(
                                        other.span(),
                                        "a substitution's value is a string, number or boolean literal",
                                    ));
                                }
                            };
                            Ok((name.value(), text))
                        },
                        Token![,],
                    )?;
                    substitutions.extend(pairs);
                }
                other => {
                    return Err(syn::Error::new(
                        key.span(),
                        format!(
                            "unknown option `{other}`: expected `resources = [...]`, `substitutions = {{...}}`, `name = \"...\"`, `input = \"schema.json\"`, `runtime = path` or `deny_warnings`"
                        ),
                    ));
                }
            }
        }
        Ok(MacroInput {
            visibility,
            name,
            path,
            resources,
            result_schemas,
            runtime,
            substitutions,
            deny_warnings,
            input: input_schema,
            machine_name,
        })
    }
}

/// Expands `asl!(...)`: the workflow, or `compile_error!` with every diagnostic
/// plus a skeleton of the public API. `calling_file` is the file the macro is
/// called from, when the compiler knows it.
pub fn expand(input: TokenStream, calling_file: Option<PathBuf>) -> TokenStream {
    let input: MacroInput = match syn::parse2(input) {
        Ok(i) => i,
        Err(e) => return e.to_compile_error(),
    };
    let options = Options {
        type_name: input
            .name
            .as_ref()
            // `r#Weird` names the type `Weird` (and `$$.StateMachine.Name`).
            .map_or_else(|| "Workflow".to_string(), |n| n.unraw().to_string()),
        machine_name: input.machine_name.as_ref().map(LitStr::value),
        visibility: match (&input.visibility, &input.name) {
            // `asl!("file")` has no place to write a visibility: the type is `pub`.
            (Visibility::Inherited, None) => quote!(pub),
            (v, _) => v.to_token_stream(),
        },
        runtime_path: input.runtime.as_ref().map_or_else(
            || quote!(::asl::runtime::__private),
            |p| p.to_token_stream(),
        ),
        resources: input.resources.iter().map(LitStr::value).collect(),
        source_path: None,
        definition_hash: String::new(),
        definition: String::new(),
        substitutions: input.substitutions.clone(),
        deny_warnings: input.deny_warnings,
        // Until the files are read, a schema that accepts anything: enough for
        // the skeleton of a failed expansion to have the typed API's names.
        input_schema: input.input.as_ref().map(|_| serde_json::Value::Bool(true)),
        result_schemas: input
            .result_schemas
            .iter()
            .map(|(arn, _)| (arn.value(), serde_json::Value::Bool(true)))
            .collect(),
    };
    let span = input.path.span();
    let written = input.path.value();
    let Some(resolved) = resolve(&written, calling_file.as_deref()) else {
        let message = format!(
            "asl!: cannot find `{written}` (looked in CARGO_MANIFEST_DIR and next to the calling file)"
        );
        return with_skeleton(
            quote_spanned!(span=> ::core::compile_error!(#message);),
            &options,
        );
    };
    let bytes = match std::fs::read(&resolved) {
        Ok(b) => b,
        Err(e) => {
            let message = format!("asl!: cannot read `{}`: {e}", resolved.display());
            return with_skeleton(
                quote_spanned!(span=> ::core::compile_error!(#message);),
                &options,
            );
        }
    };
    // The schemas (the input's, the handlers' results), read as the
    // definition is; their bytes included so that changing one rebuilds.
    let mut schema_includes = Vec::new();
    let mut read = |lit: &LitStr, what: &str| {
        let (path, schema) =
            read_schema(lit, what, calling_file.as_deref()).map_err(|message| {
                let span = lit.span();
                with_skeleton(
                    quote_spanned!(span=> ::core::compile_error!(#message);),
                    &options,
                )
            })?;
        let path = path.display().to_string();
        schema_includes.push(quote!(
            const _: &[u8] = ::core::include_bytes!(#path);
        ));
        Ok::<_, TokenStream>(schema)
    };
    let input_schema = match &input.input {
        None => None,
        Some(lit) => match read(lit, "input schema") {
            Ok(schema) => Some(schema),
            Err(tokens) => return tokens,
        },
    };
    let mut result_schemas = Vec::new();
    for (arn, lit) in &input.result_schemas {
        match read(lit, "result schema") {
            Ok(schema) => result_schemas.push((arn.value(), schema)),
            Err(tokens) => return tokens,
        }
    }
    let schema_include = quote!(#(#schema_includes)*);
    let options = Options {
        source_path: Some(resolved.display().to_string()),
        input_schema,
        result_schemas,
        ..options
    };
    match super::compile_reporting(&bytes, &written, &options) {
        Ok((tokens, warnings)) => {
            // Each warning is a used deprecated constant spanned at the path
            // literal, so rustc prints it there (`warning: use of deprecated
            // constant ...: asl::path-maybe-absent: ...`), in a `const _` block
            // of its own so no name meets another. (proc-macro-warning does
            // the same with a `let _ = ...;`, which clippy's `let_unit_value`
            // then reports in the user's code, at the user's span.)
            let warnings = warnings.iter().map(|d| {
                let note = format!("\n{}", message_of(&warnings.render(d)));
                quote_spanned!(span=>
                    const _: () = {
                        #[deprecated(note = #note)]
                        const ASL_WARNING: () = ();
                        ASL_WARNING
                    };
                )
            });
            quote!(#tokens #schema_include #(#warnings)*)
        }
        Err(diagnostics) => {
            // One `compile_error!` per problem, so rustc lists each on its own:
            // `error: asl::unknown-next-state: ...` followed by `--> file:line:col`.
            let errors = diagnostics.iter().map(|d| {
                let message = message_of(&diagnostics.render(d));
                quote_spanned!(span=> ::core::compile_error!(#message);)
            });
            let include = resolved.display().to_string();
            // Even a failing build must depend on the file, so fixing it rebuilds.
            let tokens = quote_spanned!(span=>
                #(#errors)*
                const _: &[u8] = ::core::include_bytes!(#include);
            );
            with_skeleton(tokens, &options)
        }
    }
}

/// A rendered diagnostic as rustc's message: `asl::rule: ...`, the severity
/// left to rustc (`error[asl::rule]: ...` → `asl::rule: ...`).
fn message_of(rendered: &str) -> String {
    let message = match rendered
        .strip_prefix("error[")
        .or_else(|| rendered.strip_prefix("warning["))
        .and_then(|r| r.split_once("]: "))
    {
        Some((rule, rest)) => format!("{rule}: {rest}"),
        None => rendered.to_string(),
    };
    message.trim_end().to_string()
}

fn with_skeleton(error: TokenStream, options: &Options) -> TokenStream {
    let skeleton = super::skeleton(options);
    quote!(#error #skeleton)
}

/// A JSON Schema file named in the macro (`what`: "input schema", "result
/// schema"), found as the definition is.
fn read_schema(
    lit: &LitStr,
    what: &str,
    calling_file: Option<&Path>,
) -> Result<(PathBuf, serde_json::Value), String> {
    let written = lit.value();
    let path = resolve(&written, calling_file).ok_or_else(|| {
        format!("asl!: cannot find the {what} `{written}` (looked in CARGO_MANIFEST_DIR and next to the calling file)")
    })?;
    let bytes =
        std::fs::read(&path).map_err(|e| format!("asl!: cannot read `{}`: {e}", path.display()))?;
    let schema = serde_json::from_slice::<serde_json::Value>(&bytes)
        .map_err(|e| format!("asl!: the {what} `{written}` is not JSON: {e}"))?;
    Ok((path, schema))
}

/// The definition file: under `CARGO_MANIFEST_DIR`, else next to the caller.
fn resolve(written: &str, calling_file: Option<&Path>) -> Option<PathBuf> {
    let written = Path::new(written);
    if written.is_absolute() {
        return written.is_file().then(|| written.to_path_buf());
    }
    let mut candidates = Vec::new();
    if let Some(dir) = std::env::var_os("CARGO_MANIFEST_DIR") {
        candidates.push(PathBuf::from(dir).join(written));
    }
    if let Some(dir) = calling_file.and_then(Path::parent) {
        candidates.push(dir.join(written));
        if let Some(manifest) = std::env::var_os("CARGO_MANIFEST_DIR") {
            candidates.push(PathBuf::from(manifest).join(dir).join(written));
        }
    }
    candidates
        .into_iter()
        .find(|c| c.is_file())
        .map(|c| c.canonicalize().unwrap_or(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(test: &str, definition: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("asl-input-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join(format!("{test}.asl.json"));
        std::fs::write(&file, definition).unwrap();
        file
    }

    #[test]
    fn name_sets_the_state_machine_name_apart_from_the_type() {
        let file = written(
            "named",
            r#"{"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}}"#,
        );
        let path = file.display().to_string();
        let out = expand(quote!(Orders = #path, name = "order-flow"), None).to_string();
        assert!(out.contains("struct Orders"), "{out}");
        assert!(out.contains("\"order-flow\""), "{out}");
        assert!(!out.contains("compile_error"), "{out}");
        // Without it, the type's name is the machine's.
        let out = expand(quote!(Orders = #path), None).to_string();
        assert!(!out.contains("order-flow"));
    }

    #[test]
    fn a_resource_with_a_result_schema_is_declared_and_its_schema_read() {
        let file = written(
            "priced",
            r#"{"StartAt": "P", "States": {
                "P": {"Type": "Task", "Resource": "arn:aws:states:::custom:price", "ResultPath": "$.r", "Next": "S"},
                "S": {"Type": "Pass", "Parameters": {"t.$": "$.r.totl"}, "End": true}}}"#,
        );
        let schema = file.with_file_name("priced.result.schema.json");
        std::fs::write(
            &schema,
            r#"{"type": "object", "properties": {"total": {"type": "number"}}, "additionalProperties": false}"#,
        )
        .unwrap();
        let (path, schema) = (file.display().to_string(), schema.display().to_string());
        // A resource no integration serves: declared by the entry alone.
        let arn = "arn:aws:states:::custom:price";
        // The schema makes `$.r.totl` an error; the resource needs no other declaration.
        let out = expand(quote!(Priced = #path, resources = [#arn => #schema]), None).to_string();
        assert!(out.contains("compile_error"), "{out}");
        assert!(out.contains("did you mean total?"), "{out}");
        assert!(!out.contains("undeclared"), "{out}");
        // Declared without one, the result is unknown: no error.
        let out = expand(quote!(Priced = #path, resources = [#arn]), None).to_string();
        assert!(!out.contains("compile_error"), "{out}");
        // A schema file that is not there is an error of its own.
        let out = expand(
            quote!(Priced = #path, resources = [#arn => "missing.schema.json"]),
            None,
        )
        .to_string();
        assert!(
            out.contains("cannot find the result schema `missing.schema.json`"),
            "{out}"
        );
    }

    #[test]
    fn a_failed_expansion_with_an_input_schema_still_has_the_typed_api() {
        // An invalid definition: its error stands alone, and code that uses
        // `BrokenInput`, `BrokenOutput` or `run_typed` still type-checks.
        let file = written("broken", r#"{"StartAt": "Nowhere", "States": {}}"#);
        let schema = file.with_file_name("broken.input.schema.json");
        std::fs::write(
            &schema,
            r#"{"type": "object", "properties": {"n": {"type": "number"}}, "required": ["n"]}"#,
        )
        .unwrap();
        let (path, schema) = (file.display().to_string(), schema.display().to_string());
        let out = expand(quote!(Broken = #path, input = #schema), None).to_string();
        assert!(out.contains("compile_error"), "{out}");
        for item in ["struct BrokenInput", "BrokenOutput", "fn run_typed"] {
            assert!(out.contains(item), "{item} missing: {out}");
        }
        // And when the schema itself cannot be read, with JSON values for both.
        let out = expand(quote!(Broken = #path, input = "nowhere.json"), None).to_string();
        assert!(out.contains("cannot find the input schema"), "{out}");
        assert!(
            out.contains("BrokenInput") && out.contains("fn run_typed"),
            "{out}"
        );
    }

    #[test]
    fn a_name_step_functions_refuses_is_a_located_error() {
        let file = written(
            "misnamed",
            r#"{"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}}"#,
        );
        let path = file.display().to_string();
        let out = expand(quote!(Orders = #path, name = "order flow"), None).to_string();
        assert!(out.contains("compile_error"), "{out}");
        assert!(out.contains("is not a state machine name"), "{out}");
    }
}
