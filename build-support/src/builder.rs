//! The build.rs route: the same code `asl!` expands to, written to a file in
//! `OUT_DIR`, formatted and headed `// @generated`, for programs that want to
//! read, review or commit the generated Rust.
//!
//! In: definition files and options, set on a [`Builder`]. Out: one `.rs` file
//! per workflow (rewritten only when its content changes, so Cargo does not
//! rebuild for nothing) and `cargo:rerun-if-changed` lines for every file read.
//!
//! ```no_run
//! // build.rs, in `fn main()`:
//! asl_build::Builder::new()
//!     .workflow("ManageEksCluster", "workflows/manage-eks-cluster.asl.json")
//!     .compile()
//!     .unwrap();
//! // src/lib.rs:
//! // include!(concat!(env!("OUT_DIR"), "/manage_eks_cluster.rs"));
//! ```

use std::path::{Path, PathBuf};

use proc_macro2::TokenStream;
use quote::quote;

use crate::codegen::{self, Options};
use crate::diagnostics::Diagnostics;

/// Configures and runs code generation from a build script.
#[derive(Clone, Debug)]
pub struct Builder {
    workflows: Vec<(String, PathBuf)>,
    out_dir: Option<PathBuf>,
    runtime_path: String,
    resources: Vec<String>,
    visibility: String,
    emit_rerun: bool,
    substitutions: crate::Substitutions,
    templates: Vec<PathBuf>,
    deny_warnings: bool,
    /// Per workflow name: the JSON Schema file of its execution input.
    input_schemas: Vec<(String, PathBuf)>,
    result_schemas: Vec<(String, PathBuf)>,
}

impl Default for Builder {
    fn default() -> Self {
        Builder {
            workflows: Vec::new(),
            out_dir: None,
            runtime_path: "::asl::runtime::__private".into(),
            resources: Vec::new(),
            visibility: "pub".into(),
            emit_rerun: true,
            substitutions: Default::default(),
            templates: Vec::new(),
            deny_warnings: false,
            input_schemas: Vec::new(),
            result_schemas: Vec::new(),
        }
    }
}

/// A failure of [`Builder::compile`], with what it is about kept structured: the
/// diagnostics of invalid workflows are [`Diagnostics`] (rule, location, help),
/// not only text.
#[derive(Debug)]
#[non_exhaustive]
pub enum BuildError {
    /// The builder's own settings: `OUT_DIR` unset, a runtime path or
    /// visibility that is not Rust.
    Config(String),
    /// A definition could not be read or an output file written.
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    /// Every problem of every invalid workflow, one [`Diagnostics`] per file.
    Invalid(Vec<Diagnostics>),
    /// Generated code that does not parse: a bug in asl, not in the definition.
    Internal(String),
}

impl BuildError {
    /// The diagnostics of invalid workflows (empty for other failures).
    pub fn diagnostics(&self) -> &[Diagnostics] {
        match self {
            BuildError::Invalid(d) => d,
            _ => &[],
        }
    }
}

impl std::fmt::Display for BuildError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BuildError::Config(m) | BuildError::Internal(m) => f.write_str(m),
            BuildError::Io { path, error } => write!(f, "{}: {error}", path.display()),
            BuildError::Invalid(all) => {
                for (i, d) in all.iter().enumerate() {
                    if i > 0 {
                        writeln!(f)?;
                    }
                    write!(f, "{d}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for BuildError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            BuildError::Io { error, .. } => Some(error),
            _ => None,
        }
    }
}

impl Builder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a workflow: the type `name`, generated from the definition at `path`
    /// (relative to the build script's working directory, the package root).
    /// The output file is `name` in snake case with `.rs`.
    ///
    /// ```
    /// let mut b = asl_build::Builder::new();
    /// b.workflow("Hello", "hello.asl.json").workflow("Bye", "bye.asl.json");
    /// ```
    pub fn workflow(&mut self, name: impl Into<String>, path: impl Into<PathBuf>) -> &mut Self {
        self.workflows.push((name.into(), path.into()));
        self
    }

    /// Writes into `dir` instead of `OUT_DIR`.
    ///
    /// ```
    /// let mut b = asl_build::Builder::new();
    /// b.out_dir("src/generated");
    /// ```
    pub fn out_dir(&mut self, dir: impl Into<PathBuf>) -> &mut Self {
        self.out_dir = Some(dir.into());
        self
    }

    /// The path generated code reaches the runtime by (default
    /// `::asl::runtime::__private`), e.g. for a crate that re-exports `asl`.
    ///
    /// ```
    /// let mut b = asl_build::Builder::new();
    /// b.runtime_path("::my_platform::asl::runtime::__private");
    /// ```
    pub fn runtime_path(&mut self, path: impl Into<String>) -> &mut Self {
        self.runtime_path = path.into();
        self
    }

    /// Declares a Task `Resource` the program registers a handler for; any other
    /// resource that is not a built-in integration fails the build.
    ///
    /// ```
    /// let mut b = asl_build::Builder::new();
    /// b.resource("arn:aws:lambda:us-east-1:123456789012:function:resize");
    /// ```
    pub fn resource(&mut self, arn: impl Into<String>) -> &mut Self {
        self.resources.push(arn.into());
        self
    }

    /// Declares a Task `Resource` the program registers a handler for, as
    /// [`Builder::resource`] does, with the JSON Schema (at `path`) of what
    /// that handler returns: paths into its result are checked against it
    /// and the typed API's output takes its types, as
    /// `asl!(…, resources = ["arn:…" => "result.schema.json"])` does.
    ///
    /// ```
    /// let mut b = asl_build::Builder::new();
    /// b.resource_result(
    ///     "arn:aws:lambda:us-east-1:123456789012:function:resize",
    ///     "resize.result.schema.json",
    /// );
    /// ```
    pub fn resource_result(
        &mut self,
        arn: impl Into<String>,
        path: impl Into<PathBuf>,
    ) -> &mut Self {
        self.result_schemas.push((arn.into(), path.into()));
        self
    }

    /// Visibility of the generated types (default `pub`).
    ///
    /// ```
    /// let mut b = asl_build::Builder::new();
    /// b.visibility("pub(crate)");
    /// ```
    pub fn visibility(&mut self, visibility: impl Into<String>) -> &mut Self {
        self.visibility = visibility.into();
        self
    }

    /// Gives the definitions' `${name}` placeholder the text `value`, as
    /// CloudFormation's `DefinitionSubstitutions` do: substituted in the
    /// definition's text, so an unquoted placeholder can become a number.
    ///
    /// ```
    /// let mut b = asl_build::Builder::new();
    /// b.substitute("TableName", "orders").substitute("WaitSeconds", "30");
    /// ```
    pub fn substitute(&mut self, name: impl Into<String>, value: impl Into<String>) -> &mut Self {
        self.substitutions.insert(name, value);
        self
    }

    /// Reads `DefinitionSubstitutions` from a SAM or CloudFormation template
    /// (the state machine whose `DefinitionUri` is the workflow's file, else all
    /// of them): values the stack would give, with stand-in ARNs for `!GetAtt`,
    /// `!Ref` and `!Sub` (see [`crate::template`]). Values given with
    /// [`Self::substitute`] win.
    ///
    /// ```
    /// let mut b = asl_build::Builder::new();
    /// b.template("template.yaml");
    /// ```
    pub fn template(&mut self, path: impl Into<PathBuf>) -> &mut Self {
        self.templates.push(path.into());
        self
    }

    /// The substitutions for the workflow at `path`.
    /// A JSON Schema file (`what`: "input schema", "result schema"), watched
    /// for changes.
    fn read_schema(&self, path: &Path, what: &str) -> Result<serde_json::Value, BuildError> {
        if self.emit_rerun {
            println!("cargo:rerun-if-changed={}", path.display());
        }
        let bytes = std::fs::read(path).map_err(|error| BuildError::Io {
            path: path.to_path_buf(),
            error,
        })?;
        serde_json::from_slice(&bytes).map_err(|e| {
            BuildError::Config(format!("{}: the {what} is not JSON: {e}", path.display()))
        })
    }

    fn substitutions_for(
        &self,
        path: &std::path::Path,
    ) -> Result<crate::Substitutions, BuildError> {
        let mut subs = crate::Substitutions::new();
        for template in &self.templates {
            if self.emit_rerun {
                println!("cargo:rerun-if-changed={}", template.display());
            }
            let text = std::fs::read_to_string(template).map_err(|error| BuildError::Io {
                path: template.clone(),
                error,
            })?;
            let from =
                crate::template::substitutions(&text, template, Some(path), &Default::default())
                    .map_err(BuildError::Config)?;
            subs.extend(
                from.substitutions
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string())),
            );
        }
        subs.extend(
            self.substitutions
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string())),
        );
        Ok(subs)
    }

    /// Declares the execution input of workflow `name` with the JSON Schema at
    /// `path`: paths into the input are checked against it, and the typed API
    /// is generated (`NameInput`, `NameOutput`, `Name::run_typed`), as
    /// `asl!(Name = "...", input = "...")` does.
    ///
    /// ```
    /// let mut b = asl_build::Builder::new();
    /// b.workflow("Flow", "flow.asl.json")
    ///     .input_schema("Flow", "flow.input.schema.json");
    /// ```
    pub fn input_schema(&mut self, name: impl Into<String>, path: impl Into<PathBuf>) -> &mut Self {
        self.input_schemas.push((name.into(), path.into()));
        self
    }

    /// Makes warnings (what may be wrong on some path only:
    /// `asl::path-maybe-absent`, `asl::variable-maybe-unassigned`) errors that
    /// fail the build; by default they are printed as `cargo:warning=` lines
    /// and the build goes on.
    ///
    /// ```
    /// let mut b = asl_build::Builder::new();
    /// b.deny_warnings(true);
    /// ```
    pub fn deny_warnings(&mut self, deny: bool) -> &mut Self {
        self.deny_warnings = deny;
        self
    }

    /// Whether to print the build-script instructions: `cargo:rerun-if-changed`
    /// for each file read and `cargo:warning=` for each warning (default
    /// true; turn off when calling the builder outside a build script).
    ///
    /// ```
    /// let mut b = asl_build::Builder::new();
    /// b.emit_rerun_if_changed(false);
    /// ```
    pub fn emit_rerun_if_changed(&mut self, emit: bool) -> &mut Self {
        self.emit_rerun = emit;
        self
    }

    /// Generates every workflow. All invalid workflows are reported together.
    /// Returns the paths written (or left unchanged); each warning is printed
    /// as a `cargo:warning=` line (see [`Self::emit_rerun_if_changed`]).
    pub fn compile(&self) -> Result<Vec<PathBuf>, BuildError> {
        let (written, warnings) = self.compile_reporting()?;
        if self.emit_rerun {
            for line in warnings.iter().flat_map(cargo_warnings) {
                println!("cargo:warning={line}");
            }
        }
        Ok(written)
    }

    /// [`Self::compile`], returning the warnings (one [`Diagnostics`] per
    /// workflow that has some) instead of printing them.
    ///
    /// ```no_run
    /// let (written, warnings) = asl_build::Builder::new()
    ///     .workflow("Flow", "flow.asl.json")
    ///     .compile_reporting()
    ///     .unwrap();
    /// for w in &warnings {
    ///     eprintln!("{w}");
    /// }
    /// ```
    pub fn compile_reporting(&self) -> Result<(Vec<PathBuf>, Vec<Diagnostics>), BuildError> {
        let out_dir = match &self.out_dir {
            Some(d) => d.clone(),
            None => PathBuf::from(std::env::var_os("OUT_DIR").ok_or_else(|| {
                BuildError::Config(
                    "OUT_DIR is not set: call from a build script or set out_dir".into(),
                )
            })?),
        };
        let runtime_path: TokenStream = self.runtime_path.parse().map_err(|e| {
            BuildError::Config(format!(
                "runtime path `{}` is not a Rust path: {e}",
                self.runtime_path
            ))
        })?;
        let visibility: TokenStream = self.visibility.parse().map_err(|e| {
            BuildError::Config(format!(
                "visibility `{}` is not valid: {e}",
                self.visibility
            ))
        })?;
        let mut errors = Vec::new();
        let mut written = Vec::new();
        let mut warnings = Vec::new();
        for (name, path) in &self.workflows {
            if self.emit_rerun {
                println!("cargo:rerun-if-changed={}", path.display());
            }
            let source = std::fs::read(path).map_err(|error| BuildError::Io {
                path: path.clone(),
                error,
            })?;
            let input_schema = match self.input_schemas.iter().find(|(n, _)| n == name) {
                Some((_, schema)) => Some(self.read_schema(schema, "input schema")?),
                None => None,
            };
            let result_schemas = self
                .result_schemas
                .iter()
                .map(|(arn, schema)| Ok((arn.clone(), self.read_schema(schema, "result schema")?)))
                .collect::<Result<Vec<_>, BuildError>>()?;
            let options = Options {
                type_name: name.clone(),
                machine_name: None,
                visibility: visibility.clone(),
                runtime_path: runtime_path.clone(),
                resources: self.resources.clone(),
                source_path: None,
                definition_hash: String::new(),
                definition: String::new(),
                substitutions: self.substitutions_for(path)?,
                deny_warnings: self.deny_warnings,
                input_schema,
                result_schemas,
            };
            let file_name = path.display().to_string();
            match generate_file_reporting(&source, &file_name, &options) {
                Ok((text, found)) => {
                    if !found.is_empty() {
                        warnings.push(found);
                    }
                    let target = out_dir.join(format!("{}.rs", snake_case(name)));
                    write_if_changed(&target, &text).map_err(|error| BuildError::Io {
                        path: target.clone(),
                        error,
                    })?;
                    written.push(target);
                }
                Err(BuildError::Invalid(d)) => errors.extend(d),
                Err(other) => return Err(other),
            }
        }
        if errors.is_empty() {
            Ok((written, warnings))
        } else {
            Err(BuildError::Invalid(errors))
        }
    }
}

/// The generated file for one workflow: `// @generated` header, formatted.
pub fn generate_file(
    source: &[u8],
    file_name: &str,
    options: &Options,
) -> Result<String, BuildError> {
    generate_file_reporting(source, file_name, options).map(|(text, _)| text)
}

/// [`generate_file`] and the workflow's warnings.
pub fn generate_file_reporting(
    source: &[u8],
    file_name: &str,
    options: &Options,
) -> Result<(String, Diagnostics), BuildError> {
    let (tokens, warnings) = codegen::compile_reporting(source, file_name, options)
        .map_err(|d| BuildError::Invalid(vec![d]))?;
    let text = format_file(tokens, file_name).map_err(BuildError::Internal)?;
    Ok((text, warnings))
}

/// One `cargo:warning=` line per warning (Cargo shows each line of a build
/// script's warnings as one `warning:`): where, rule, message and help.
pub fn cargo_warnings(warnings: &Diagnostics) -> Vec<String> {
    warnings
        .iter()
        .map(|d| {
            let help = d
                .help
                .as_deref()
                .map_or(String::new(), |h| format!(" (help: {h})"));
            format!(
                "{}:{}:{}: {}: {}{help}",
                warnings.file_name, d.origin.line, d.origin.column, d.rule, d.message
            )
            .replace(['\n', '\r'], " ")
        })
        .collect()
}

/// Formats generated tokens as a file with prettyplease.
pub fn format_file(tokens: TokenStream, file_name: &str) -> Result<String, String> {
    let file: syn::File = syn::parse2(quote!(#tokens))
        .map_err(|e| format!("generated code for {file_name} does not parse: {e}"))?;
    // The header names the file, not where it sat on the machine that built it.
    let name = Path::new(file_name)
        .file_name()
        .map_or(file_name.into(), |n| n.to_string_lossy());
    Ok(format!(
        "// @generated by asl-build from {name}. Do not edit: edit the workflow definition.\n\n{}",
        prettyplease::unparse(&file)
    ))
}

/// Writes `text` to `path` unless the file holds it already (so cargo sees no
/// change), creating its folder; through a temporary file and a rename, so a
/// concurrent reader (another build, `asl test`) never reads half a file.
pub fn write_if_changed(path: &Path, text: &str) -> std::io::Result<()> {
    if std::fs::read_to_string(path).is_ok_and(|old| old == text) {
        return Ok(());
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path)
}

/// `ManageEksCluster` → `manage_eks_cluster`.
pub fn snake_case(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else if c.is_ascii_alphanumeric() {
            out.push(c);
        } else {
            out.push('_');
        }
    }
    out
}
