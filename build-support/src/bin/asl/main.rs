//! The `asl` command-line tool, over the same library as `asl!`.
//!
//! - `asl check FILE... [--format text|json] [--resource ARN]... [--allow-undeclared]
//!   [--language-only] [--sub NAME=VALUE]... [--template template.yaml]` (`-` reads standard
//!   input; `*.asl.yaml` files are YAML): loads and checks each definition
//!   exactly as `asl!` does and prints every diagnostic. Exit status: 0 when every file is
//!   valid, 1 when any is invalid, 2 on a usage or I/O error.
//! - `asl policy FILE [--region R] [--account A] [--partition P] [--sub NAME=VALUE]...`:
//!   the least-privilege IAM policy for the state machine's role, as JSON.
//! - `asl graph FILE [--format mermaid|dot|svg|html] [--history HISTORY.json]`:
//!   the workflow as a graph, coloured by an execution's progress.
//! - `asl test FILE --mock-config M --test-case T [--input I] [--state-machine NAME]`:
//!   runs the workflow with a Step Functions Local MockConfigFile test case.
//! - `asl run FILE [--input I] [--mock-config M --test-case T]`: runs the workflow
//!   once, compiled as `asl test` compiles it, against the real integrations
//!   unless a mock test case is given: the output on stdout, the states entered
//!   and exited on stderr, AWS's error and cause and exit status 1 on failure.
//! - `asl expand FILE [--name NAME] [--resource ARN]...`: the Rust `asl!`
//!   generates for the definition, formatted.
//! - `asl test-state FILE --state NAME [--input I] [--mock-result J | --mock-error E
//!   --mock-cause C]`: runs one state as AWS's TestState API does.
//! - `asl types FILE [--resource ARN]...`: the inferred JSON shape of every
//!   state's input and output.
//! - `asl rules`: every rule with what it checks.
//! - `asl executions start|describe|list|history|stop|redrive --store LOCATION`:
//!   the execution API over a store (SQLite file or PostgreSQL URL).
//! - `asl serve FILE... [--listen ADDRESS] [--store LOCATION] [--state-dir DIR]`:
//!   AWS Step Functions' HTTP API over the definition files (each a state
//!   machine named after its file) and the state machines clients create;
//!   clients sign with `ASL_ENDPOINT_ACCESS_KEY_ID`/`ASL_ENDPOINT_SECRET_ACCESS_KEY`.
//!
//! JSON arguments (`--input`, `--variables`, `--mock-result`) take JSON text,
//! or `@FILE` for the JSON in a file.

use std::io::Write;
use std::process::ExitCode;

use asl_build::{CheckOptions, Rule};
use clap::{Parser, Subcommand, ValueEnum};

mod executions;
mod runner;
mod serve;

/// Checks Amazon States Language workflows as `asl!` compiles them.
#[derive(Parser)]
#[command(name = "asl", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check definitions: every problem, located, as `asl!` would report it.
    Check(CheckArgs),
    /// The least-privilege IAM policy for the state machine's role.
    Policy(PolicyArgs),
    /// The workflow as a graph (Mermaid, DOT, SVG or a self-contained HTML page).
    Graph(GraphArgs),
    /// Run the workflow with a Step Functions Local MockConfigFile test case:
    /// the output on stdout, the states entered on stderr.
    Test(TestArgs),
    /// Run one state as AWS's TestState API does, and print its response.
    TestState(TestStateArgs),
    /// Run the workflow once (real integrations, or a MockConfigFile test case):
    /// the output on stdout, the states entered and exited on stderr.
    Run(RunArgs),
    /// Print the Rust that `asl!` generates for the definition.
    Expand(ExpandArgs),
    /// The inferred JSON shape of every state's input and output.
    Types(TypesArgs),
    /// List every rule the checker applies, with what it checks.
    Rules,
    /// The execution API over a store: start, describe, list, history, stop, redrive.
    Executions(executions::ExecutionsArgs),
    /// Serve definition files over AWS Step Functions' HTTP API (boto3, the AWS
    /// CLI and the SDKs drive them; CreateStateMachine adds more).
    Serve(serve::ServeArgs),
}

#[derive(clap::Args)]
struct CheckArgs {
    /// Definition files (`-` for standard input).
    #[arg(required = true, value_name = "FILE")]
    files: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// A Task `Resource` the program serves with its own handler, as
    /// `asl!(…, resources = [...])` declares it (repeatable); `ARN=SCHEMA`
    /// also gives the JSON Schema of what the handler returns.
    #[arg(long = "resource", value_name = "ARN[=SCHEMA]")]
    resources: Vec<String>,
    /// Accept any Task `Resource` (check the language only).
    #[arg(long)]
    allow_undeclared: bool,
    /// Check only what Step Functions checks: any Task `Resource`, and what asl
    /// cannot run yet (ItemReader, ResultWriter), are accepted.
    #[arg(long)]
    language_only: bool,
    /// A value for the `${NAME}` placeholder, substituted in the definition's
    /// text as CloudFormation's DefinitionSubstitutions are (repeatable).
    #[arg(long = "sub", value_name = "NAME=VALUE", value_parser = asl_build::Substitutions::parse_assignment)]
    substitutions: Vec<(String, String)>,
    /// A SAM/CloudFormation template: the DefinitionSubstitutions of the state
    /// machine whose DefinitionUri is the file (stand-in ARNs for !GetAtt, !Ref
    /// and !Sub). `--sub` values win.
    #[arg(long, value_name = "TEMPLATE")]
    template: Option<std::path::PathBuf>,
    /// Region of the template's stand-in ARNs.
    #[arg(long, default_value = "us-east-1", requires = "template")]
    region: String,
    /// Account of the template's stand-in ARNs.
    #[arg(long, default_value = "123456789012", requires = "template")]
    account: String,
    /// `--deny warnings`: report warnings (what may be wrong on some path:
    /// `asl::path-maybe-absent`, `asl::variable-maybe-unassigned`) as errors,
    /// so they fail the check (exit 1). Without it they are printed and the
    /// check passes.
    #[arg(long, value_enum, value_name = "WHAT")]
    deny: Vec<Deny>,
    /// A JSON Schema of the execution input (`asl!(…, input = "...")`): paths
    /// into the input are checked against it.
    #[arg(long, value_name = "FILE")]
    input_schema: Option<String>,
}

/// Reads `--input-schema FILE`: a JSON document (an I/O or JSON error is exit 2).
fn read_schema(file: Option<&str>) -> Result<Option<serde_json::Value>, String> {
    file.map(|file| read_json(file, "input schema")).transpose()
}

/// A JSON file (`what` it is, for the message).
fn read_json(file: &str, what: &str) -> Result<serde_json::Value, String> {
    let bytes = read_input(file)?;
    serde_json::from_slice(&bytes).map_err(|e| format!("{file}: the {what} is not JSON: {e}"))
}

/// Result schemas by resource.
type ResultSchemas = Vec<(String, serde_json::Value)>;

/// The `--resource ARN[=SCHEMA]` arguments: the resources, and the result
/// schemas of those that name one.
fn declared_resources(args: &[String]) -> Result<(Vec<String>, ResultSchemas), String> {
    let (mut resources, mut schemas) = (Vec::new(), Vec::new());
    for arg in args {
        match arg.split_once('=') {
            Some((arn, file)) => schemas.push((arn.to_string(), read_json(file, "result schema")?)),
            None => resources.push(arg.clone()),
        }
    }
    Ok((resources, schemas))
}

/// What `asl check --deny` turns into errors.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Deny {
    Warnings,
}

#[derive(clap::Args)]
struct TestArgs {
    /// The definition.
    #[arg(value_name = "FILE")]
    file: String,
    /// The MockConfigFile (Step Functions Local's format).
    #[arg(long, value_name = "FILE")]
    mock_config: String,
    /// The test case of the state machine in the mock config.
    #[arg(long)]
    test_case: String,
    /// The state machine's name in the mock config (default: the file name
    /// without `.asl.json`/`.asl.yaml`).
    #[arg(long)]
    state_machine: Option<String>,
    /// The execution input: JSON text, or `@FILE`.
    #[arg(long, default_value = "{}")]
    input: String,
    /// Retry at once after a mocked failure instead of waiting its delay.
    #[arg(long)]
    no_retry_delays: bool,
    /// A value for the `${NAME}` placeholder (repeatable).
    #[arg(long = "sub", value_name = "NAME=VALUE", value_parser = asl_build::Substitutions::parse_assignment)]
    substitutions: Vec<(String, String)>,
}

#[derive(clap::Args)]
struct RunArgs {
    /// The definition.
    #[arg(value_name = "FILE")]
    file: String,
    /// The execution input: JSON text, or `@FILE`.
    #[arg(long, default_value = "{}")]
    input: String,
    /// Run with a MockConfigFile (Step Functions Local's format) test case
    /// instead of the real integrations.
    #[arg(long, value_name = "FILE", requires = "test_case")]
    mock_config: Option<String>,
    /// The test case of the state machine in the mock config.
    #[arg(long, requires = "mock_config")]
    test_case: Option<String>,
    /// The state machine's name in the mock config (default: the file name
    /// without `.asl.json`/`.asl.yaml`).
    #[arg(long, requires = "mock_config")]
    state_machine: Option<String>,
    /// Retry at once after a mocked failure instead of waiting its delay.
    #[arg(long, requires = "mock_config")]
    no_retry_delays: bool,
    /// A value for the `${NAME}` placeholder (repeatable).
    #[arg(long = "sub", value_name = "NAME=VALUE", value_parser = asl_build::Substitutions::parse_assignment)]
    substitutions: Vec<(String, String)>,
}

#[derive(clap::Args)]
struct ExpandArgs {
    /// The definition (`-` for standard input).
    #[arg(value_name = "FILE")]
    file: String,
    /// The generated type's name, as in `asl!(Name = "...")` (default: the file
    /// name in UpperCamelCase, `manage-eks-cluster.asl.json` → `ManageEksCluster`).
    #[arg(long)]
    name: Option<String>,
    /// A Task `Resource` the program serves with its own handler, as
    /// `asl!(…, resources = [...])` declares it (repeatable); `ARN=SCHEMA`
    /// also gives the JSON Schema of what the handler returns.
    #[arg(long = "resource", value_name = "ARN[=SCHEMA]")]
    resources: Vec<String>,
    /// A value for the `${NAME}` placeholder (repeatable).
    #[arg(long = "sub", value_name = "NAME=VALUE", value_parser = asl_build::Substitutions::parse_assignment)]
    substitutions: Vec<(String, String)>,
    /// A JSON Schema of the execution input, as `asl!(…, input = "...")`:
    /// the typed API (`NameInput`, `NameOutput`, `run_typed`) is generated too.
    #[arg(long, value_name = "FILE")]
    input_schema: Option<String>,
}

#[derive(clap::Args)]
struct TypesArgs {
    /// The definition (`-` for standard input).
    #[arg(value_name = "FILE")]
    file: String,
    /// A Task `Resource` the program serves with its own handler (its result
    /// is then unknown), as `asl!(…, resources = [...])` declares it
    /// (repeatable); `ARN=SCHEMA` gives the JSON Schema of what it returns.
    #[arg(long = "resource", value_name = "ARN[=SCHEMA]")]
    resources: Vec<String>,
    /// A value for the `${NAME}` placeholder (repeatable).
    #[arg(long = "sub", value_name = "NAME=VALUE", value_parser = asl_build::Substitutions::parse_assignment)]
    substitutions: Vec<(String, String)>,
    /// A JSON Schema of the execution input: inference starts from it.
    #[arg(long, value_name = "FILE")]
    input_schema: Option<String>,
}

#[derive(clap::Args)]
struct TestStateArgs {
    /// The definition.
    #[arg(value_name = "FILE")]
    file: String,
    /// The (top-level) state to run.
    #[arg(long)]
    state: String,
    /// The state's input: JSON text, or `@FILE`.
    #[arg(long, default_value = "{}")]
    input: String,
    /// Variables visible to the state, as a JSON object (or `@FILE`).
    #[arg(long)]
    variables: Option<String>,
    /// The Task's result, as JSON (or `@FILE`), instead of calling it.
    #[arg(long, conflicts_with = "mock_error")]
    mock_result: Option<String>,
    /// The Task fails with this error instead of being called.
    #[arg(long)]
    mock_error: Option<String>,
    /// The cause of `--mock-error`.
    #[arg(long, requires = "mock_error", default_value = "")]
    mock_cause: String,
    /// A value for the `${NAME}` placeholder (repeatable).
    #[arg(long = "sub", value_name = "NAME=VALUE", value_parser = asl_build::Substitutions::parse_assignment)]
    substitutions: Vec<(String, String)>,
}

/// Where a state machine lives, for the ARNs a command writes.
#[derive(clap::Args)]
struct Location {
    /// The state machine's region.
    #[arg(long, default_value = "us-east-1")]
    region: String,
    /// The state machine's account.
    #[arg(long, default_value = "123456789012")]
    account: String,
    /// The partition (`aws`, `aws-cn`, `aws-us-gov`, ...).
    #[arg(long, default_value = "aws")]
    partition: String,
}

#[derive(clap::Args)]
struct GraphArgs {
    /// The definition (`-` for standard input).
    #[arg(value_name = "FILE")]
    file: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = GraphFormat::Mermaid)]
    format: GraphFormat,
    /// An execution history (the sample's `--history` file, or AWS's
    /// GetExecutionHistory JSON): states coloured by how far it got.
    #[arg(long, value_name = "HISTORY")]
    history: Option<String>,
    /// Write here instead of standard output.
    #[arg(long, short, value_name = "OUT")]
    output: Option<String>,
    /// A value for the `${NAME}` placeholder (repeatable).
    #[arg(long = "sub", value_name = "NAME=VALUE", value_parser = asl_build::Substitutions::parse_assignment)]
    substitutions: Vec<(String, String)>,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum GraphFormat {
    /// Mermaid flowchart text
    Mermaid,
    /// Graphviz DOT text
    Dot,
    /// an SVG drawing (laid out here, no Graphviz needed)
    Svg,
    /// one self-contained page: the drawing, and each state's input and output
    /// (and their inferred shapes) on click
    Html,
}

#[derive(clap::Args)]
struct PolicyArgs {
    /// The definition (`-` for standard input).
    #[arg(value_name = "FILE")]
    file: String,
    #[command(flatten)]
    location: Location,
    /// A value for the `${NAME}` placeholder (repeatable).
    #[arg(long = "sub", value_name = "NAME=VALUE", value_parser = asl_build::Substitutions::parse_assignment)]
    substitutions: Vec<(String, String)>,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// rustc-style diagnostics
    Text,
    /// one JSON document, for editors and CI
    Json,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let result = match cli.command {
        Command::Rules => {
            for rule in Rule::ALL {
                println!("{:<36} {}", rule.name(), rule.summary());
            }
            Ok(true)
        }
        Command::Check(args) => check(&args),
        Command::Policy(args) => policy(&args),
        Command::Graph(args) => graph(&args),
        Command::Types(args) => types(&args),
        Command::Test(args) => test(&args),
        Command::TestState(args) => test_state(&args),
        Command::Run(args) => run(&args),
        Command::Expand(args) => expand(&args),
        Command::Executions(args) => executions::run(args).map(|()| true),
        Command::Serve(args) => serve::serve(&args),
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(message) => {
            eprintln!("asl: {message}");
            ExitCode::from(2)
        }
    }
}

/// Checks the files; `Ok(all_valid)` or an I/O error.
fn check(args: &CheckArgs) -> Result<bool, String> {
    let (resources, result_schemas) = declared_resources(&args.resources)?;
    let mut options = CheckOptions::declaring(resources);
    options.result_schemas = result_schemas;
    options.allow_undeclared = args.allow_undeclared || args.language_only;
    options.language_only = args.language_only;
    options.deny_warnings = args.deny.contains(&Deny::Warnings);
    options.input_schema = read_schema(args.input_schema.as_deref())?;
    // Read every file first: an unreadable file is an I/O error (exit 2).
    let mut sources = Vec::new();
    for file in &args.files {
        sources.push((file, read_input(file)?));
    }
    let template = match &args.template {
        Some(path) => Some((
            path,
            std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?,
        )),
        None => None,
    };
    let stack = asl_build::template::Stack {
        region: args.region.clone(),
        account: args.account.clone(),
        ..Default::default()
    };
    let mut all_valid = true;
    let mut json_out = Vec::new();
    let mut stdout = std::io::stdout().lock();
    for (file, bytes) in &sources {
        let mut subs = asl_build::Substitutions::new();
        if let Some((path, text)) = &template {
            let definition = (file.as_str() != "-").then(|| std::path::Path::new(file.as_str()));
            let from = asl_build::template::substitutions(text, path, definition, &stack)?;
            for (name, why) in &from.unresolved {
                eprintln!(
                    "asl: note: {}: `${{{name}}}` is left without a value: {why}",
                    path.display()
                );
            }
            subs.extend(
                from.substitutions
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string())),
            );
        }
        subs.extend(args.substitutions.iter().cloned());
        options.substitutions = subs;
        let result = asl_build::load_reporting(bytes, file, &options);
        all_valid &= result.is_ok();
        match (&result, args.format) {
            (Ok(loaded), Format::Text) if loaded.warnings.is_empty() => {
                let _ = writeln!(stdout, "{file}: ok");
            }
            (Ok(loaded), Format::Text) => {
                let n = loaded.warnings.len();
                let s = if n == 1 { "" } else { "s" };
                let _ = writeln!(stdout, "{}\n\n{file}: ok ({n} warning{s})", loaded.warnings);
            }
            (Err(diags), Format::Text) => {
                let _ = writeln!(stdout, "{diags}\n");
            }
            (Ok(loaded), Format::Json) => json_out.push(serde_json::json!({
                "file": file,
                "valid": true,
                "diagnostics": loaded.warnings.to_json(),
            })),
            (Err(diags), Format::Json) => {
                json_out.push(serde_json::json!({"file": file, "valid": false, "diagnostics": diags.to_json()}));
            }
        }
    }
    if args.format == Format::Json {
        let doc = serde_json::json!({"valid": all_valid, "files": json_out});
        let _ = writeln!(
            stdout,
            "{}",
            serde_json::to_string_pretty(&doc).unwrap_or_default()
        );
    }
    Ok(all_valid)
}

/// Reads and checks a definition for `policy` and `graph` (any resource, and
/// what asl cannot run yet, accepted); `Ok(None)` after printing its problems.
fn load_definition(
    file: &str,
    substitutions: &[(String, String)],
) -> Result<Option<asl_build::model::StateMachine>, String> {
    let bytes = read_input(file)?;
    let mut options = CheckOptions::allowing_undeclared();
    options.language_only = true;
    options.substitutions = substitutions.iter().cloned().collect();
    match asl_build::load_with(&bytes, file, &options) {
        Ok(machine) => Ok(Some(machine)),
        Err(diags) => {
            println!("{diags}");
            Ok(None)
        }
    }
}

/// Prints the graph; a definition that does not check is reported as `check`
/// reports it (exit 1).
fn graph(args: &GraphArgs) -> Result<bool, String> {
    use asl_build::graph;
    let Some(machine) = load_definition(&args.file, &args.substitutions)? else {
        return Ok(false);
    };
    let progress = match &args.history {
        Some(path) => {
            let text = std::fs::read(path).map_err(|e| format!("cannot read {path}: {e}"))?;
            let doc: serde_json::Value =
                serde_json::from_slice(&text).map_err(|e| format!("{path} is not JSON: {e}"))?;
            Some(graph::Progress::from_history(&doc).map_err(|e| format!("{path}: {e}"))?)
        }
        None => None,
    };
    let g = graph::graph(&machine);
    let title = std::path::Path::new(&args.file)
        .file_name()
        .map_or_else(|| args.file.clone(), |n| n.to_string_lossy().into_owned());
    let text = match args.format {
        GraphFormat::Mermaid => graph::to_mermaid(&g, progress.as_ref()),
        GraphFormat::Dot => graph::to_dot(&g, progress.as_ref()),
        GraphFormat::Svg => graph::to_svg(&g, progress.as_ref()),
        GraphFormat::Html => graph::to_html_with_shapes(
            &g,
            progress.as_ref(),
            &title,
            &asl_build::check::types::infer(&machine, &Default::default()),
        ),
    };
    match &args.output {
        Some(path) => {
            std::fs::write(path, text).map_err(|e| format!("cannot write {path}: {e}"))?
        }
        None => print!("{text}"),
    }
    Ok(true)
}

/// Prints each state's inferred input and output shapes (`any` where nothing
/// is known, `?` after a key present in some values only, `...` in an object
/// that may have other keys); a definition that does not check is reported as
/// `check` reports it (exit 1).
fn types(args: &TypesArgs) -> Result<bool, String> {
    use asl_build::check::types::Shape;
    let Some(machine) = load_definition(&args.file, &args.substitutions)? else {
        return Ok(false);
    };
    let input = read_schema(args.input_schema.as_deref())?
        .map_or(Shape::Unknown, |schema| Shape::of_schema(&schema));
    let (resources, result_schemas) = declared_resources(&args.resources)?;
    let handlers = asl_build::check::types::Handlers::new(&resources, &result_schemas);
    let mut stdout = std::io::stdout().lock();
    for s in asl_build::check::types::infer_from(&machine, &handlers, &input) {
        let _ = writeln!(stdout, "{}", s.state);
        let _ = writeln!(stdout, "  input:  {}", s.input);
        match &s.output {
            Some(output) => {
                let _ = writeln!(stdout, "  output: {output}");
            }
            None => {
                let _ = writeln!(stdout, "  output: none (the execution fails here)");
            }
        }
    }
    Ok(true)
}

/// Prints the policy; a definition that does not check is reported as `check`
/// reports it (exit 1).
fn policy(args: &PolicyArgs) -> Result<bool, String> {
    let Some(machine) = load_definition(&args.file, &args.substitutions)? else {
        return Ok(false);
    };
    let target = asl_build::policy::Target {
        partition: args.location.partition.clone(),
        region: args.location.region.clone(),
        account: args.location.account.clone(),
    };
    let policy = asl_build::policy::policy(&machine, &target);
    for (state, resource) in &policy.not_covered {
        eprintln!(
            "asl: note: Task `{state}` calls `{resource}`, which the catalogue does not describe: grant its permissions yourself"
        );
    }
    println!(
        "{}",
        serde_json::to_string_pretty(&policy.to_json()).unwrap_or_default()
    );
    Ok(true)
}

/// A file's bytes; `-` is standard input (for editors that check an unsaved
/// buffer).
fn read_input(file: &str) -> Result<Vec<u8>, String> {
    if file == "-" {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut buf)
            .map_err(|e| format!("cannot read standard input: {e}"))?;
        Ok(buf)
    } else {
        std::fs::read(file).map_err(|e| format!("cannot read {file}: {e}"))
    }
}

/// A JSON argument: JSON text, or `@FILE` for the JSON in a file (no JSON
/// text starts with `@`).
fn json_arg(name: &str, text: &str) -> Result<serde_json::Value, String> {
    match text.strip_prefix('@') {
        Some(path) => {
            let bytes =
                std::fs::read(path).map_err(|e| format!("{name}: cannot read {path}: {e}"))?;
            serde_json::from_slice(&bytes).map_err(|e| format!("{name}: {path} is not JSON: {e}"))
        }
        None => serde_json::from_str(text).map_err(|e| format!("{name} is not JSON: {e}")),
    }
}

/// A definition file's name without its extension (`.asl.json`, `.yaml`, ...):
/// the state machine's name in a mock config, and the base of `expand`'s
/// type name.
fn base_name(file: &str) -> String {
    let name = std::path::Path::new(file)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    [
        ".asl.json",
        ".asl.yaml",
        ".asl.yml",
        ".json",
        ".yaml",
        ".yml",
    ]
    .iter()
    .find_map(|ext| name.strip_suffix(ext).map(str::to_string))
    .unwrap_or(name)
}

/// The program that runs `file`, built (see [`runner`]); `None` when the
/// definition does not check (its problems printed).
fn runner_for(
    file: &str,
    substitutions: &[(String, String)],
) -> Result<Option<std::path::PathBuf>, String> {
    let Some(machine) = load_definition(file, substitutions)? else {
        return Ok(None);
    };
    // Every Task resource is declared: the program is built without asl's
    // integration features (fast to build, nothing reaches AWS), so each task
    // is mocked, or fails with "no task handler" when the test reaches it
    // unmocked.
    let resources: Vec<String> = machine.task_resources();
    runner::build(std::path::Path::new(file), &resources, &[], substitutions).map(Some)
}

/// `asl test`: exit 0 when the execution succeeds, 1 when it fails.
fn test(args: &TestArgs) -> Result<bool, String> {
    let input = json_arg("--input", &args.input)?;
    let state_machine = args
        .state_machine
        .clone()
        .unwrap_or_else(|| base_name(&args.file));
    let mock_config = std::fs::canonicalize(&args.mock_config)
        .map_err(|e| format!("{}: {e}", args.mock_config))?;
    let Some(binary) = runner_for(&args.file, &args.substitutions)? else {
        return Ok(false);
    };
    let request = serde_json::json!({
        "mode": "run",
        "input": input,
        "mock_config": mock_config.display().to_string(),
        "state_machine": state_machine,
        "test_case": args.test_case,
        "retry_delays": !args.no_retry_delays,
    });
    match runner::run(&binary, &request)? {
        0 => Ok(true),
        1 => Ok(false),
        _ => Err("the test could not run (see above)".into()),
    }
}

/// `asl run`: exit 0 when the execution succeeds, 1 when it fails.
///
/// With a mock test case the program is `asl test`'s (the same build, every
/// Task mocked). Without one, each Task whose resource is a built-in
/// integration calls it for real, with the AWS configuration of the
/// environment (`AWS_ENDPOINT_URL`, `AWS_REGION`, credentials, profiles): the
/// program is built with the features of the families it calls. A resource
/// asl has no integration for has no handler on the command line, and fails
/// as an unserved resource does (`States.Runtime`).
fn run(args: &RunArgs) -> Result<bool, String> {
    let input = json_arg("--input", &args.input)?;
    let (binary, request) = match (&args.mock_config, &args.test_case) {
        (Some(mock_config), Some(test_case)) => {
            let mock_config =
                std::fs::canonicalize(mock_config).map_err(|e| format!("{mock_config}: {e}"))?;
            let Some(binary) = runner_for(&args.file, &args.substitutions)? else {
                return Ok(false);
            };
            let state_machine = args
                .state_machine
                .clone()
                .unwrap_or_else(|| base_name(&args.file));
            let request = serde_json::json!({
                "mode": "run",
                "progress": "exits",
                "input": input,
                "mock_config": mock_config.display().to_string(),
                "state_machine": state_machine,
                "test_case": test_case,
                "retry_delays": !args.no_retry_delays,
            });
            (binary, request)
        }
        _ => {
            let Some(machine) = load_definition(&args.file, &args.substitutions)? else {
                return Ok(false);
            };
            let mut declared = Vec::new();
            let mut features: Vec<&'static str> = Vec::new();
            for resource in machine.task_resources() {
                match asl_build::check::sdk::resource_feature(&resource) {
                    Some(f) => {
                        if !features.contains(&f) {
                            features.push(f);
                        }
                    }
                    None => declared.push(resource),
                }
            }
            features.sort_unstable();
            let binary = runner::build(
                std::path::Path::new(&args.file),
                &declared,
                &features,
                &args.substitutions,
            )?;
            let request = serde_json::json!({
                "mode": "run",
                "progress": "exits",
                "input": input,
            });
            (binary, request)
        }
    };
    match runner::run(&binary, &request)? {
        0 => Ok(true),
        1 => Ok(false),
        _ => Err("the execution could not run (see above)".into()),
    }
}

/// `asl expand`: the generated Rust, as the build.rs `Builder` writes it (the
/// code `asl!` expands to); an invalid definition is reported as `check`
/// reports it (exit 1).
fn expand(args: &ExpandArgs) -> Result<bool, String> {
    let bytes = read_input(&args.file)?;
    let (resources, result_schemas) = declared_resources(&args.resources)?;
    let options = asl_build::codegen::Options {
        type_name: args
            .name
            .clone()
            .unwrap_or_else(|| upper_camel_case(&base_name(&args.file))),
        resources,
        result_schemas,
        substitutions: args.substitutions.iter().cloned().collect(),
        input_schema: read_schema(args.input_schema.as_deref())?,
        ..Default::default()
    };
    match asl_build::builder::generate_file(&bytes, &args.file, &options) {
        Ok(text) => {
            print!("{text}");
            Ok(true)
        }
        Err(asl_build::builder::BuildError::Invalid(diags)) => {
            // Standard output is for the code: the problems go to standard error.
            for d in diags {
                eprintln!("{d}\n");
            }
            Ok(false)
        }
        Err(other) => Err(other.to_string()),
    }
}

/// `manage-eks-cluster` → `ManageEksCluster`; `Workflow` when nothing is left.
fn upper_camel_case(name: &str) -> String {
    let mut out = String::new();
    let mut upper = true;
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            if out.is_empty() && c.is_ascii_digit() {
                out.push('W');
            }
            out.push(if upper { c.to_ascii_uppercase() } else { c });
            upper = false;
        } else {
            upper = true;
        }
    }
    if out.is_empty() {
        "Workflow".into()
    } else {
        out
    }
}

/// `asl test-state`: prints TestState's response.
fn test_state(args: &TestStateArgs) -> Result<bool, String> {
    let input = json_arg("--input", &args.input)?;
    let variables = args
        .variables
        .as_deref()
        .map(|v| json_arg("--variables", v))
        .transpose()?;
    let mock_result = args
        .mock_result
        .as_deref()
        .map(|v| json_arg("--mock-result", v))
        .transpose()?;
    let Some(binary) = runner_for(&args.file, &args.substitutions)? else {
        return Ok(false);
    };
    let request = serde_json::json!({
        "mode": "test-state",
        "state": args.state,
        "input": input,
        "variables": variables,
        "mock_result": mock_result,
        "mock_error": args.mock_error,
        "mock_cause": args.mock_cause,
    });
    match runner::run(&binary, &request)? {
        0 => Ok(true),
        _ => Err("the state could not run (see above)".into()),
    }
}
