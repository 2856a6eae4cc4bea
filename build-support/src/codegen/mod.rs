//! Code generation: a checked [`StateMachine`] in, Rust tokens out.
//!
//! The expansion of a workflow `Name` is one public unit struct and, inside a
//! `const _: () = { ... };` block (so no helper name leaks into the user's
//! module), its `run`/`run_with` entry points and, for the top-level machine and
//! every Parallel branch and Map processor:
//! - an enum with one variant per state (`__S0::RunAJobOnEks`),
//! - one `async fn` per state, named after it (`run_a_job_on_eks`), holding the
//!   state's logic: its paths, templates, rules, Retry/Catch tables,
//! - a driver `__drive0` that moves from state to state in a loop: no recursion,
//!   no boxed future per transition; for a Map item processor in which no state
//!   can wait (Pass, Choice, Succeed, Fail only), a plain `fn`, so its
//!   iterations run as plain calls. The top-level driver and states are
//!   generic over `HOOKS`, which their execution argument carries
//!   (`TopLevel<'_, HOOKS>`): a durable or TestState run calls
//!   `Execution::transition` after each transition and its states report
//!   their steps to TestState (`TopStateRun`); a plain run is compiled
//!   without either. States nested in a Map or Parallel never report.
//!
//! Generated code names the runtime only through one path, by default
//! `::asl::runtime::__private` (bound to `__asl` at the top of the block).
//! Code generation never refuses a definition: every refusal, including the
//! constructs the runtime cannot run yet (`ItemReader`, `ResultWriter`, ...) and
//! undeclared resources, is made by the checks before it
//! ([`crate::load_with`]), so `asl check` and `asl!` agree.

mod choice;
mod driver;
mod expr;
pub mod input;
mod io;
mod jsonata;
pub mod jsonata_native;
mod map;
pub mod names;
mod state;
mod typed;
mod wait_fail;

use crate::rules::Rule;
use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote};

use crate::diagnostics::{Diagnostic, Diagnostics, Sink};
use crate::expr::{Expression, Path, ReferencePath, Root};
use crate::model::{
    self, Catcher, Dynamic, Io, Nullable, Origin, QueryLanguage, Retrier, State, StateKind,
    StateMachine, Transition, WaitDuration,
};

use expr::Env;
use names::Names;

/// How to generate a workflow.
#[derive(Clone, Debug)]
pub struct Options {
    /// The name of the generated type, also the state machine name in ARNs and
    /// `$$.StateMachine.Name`.
    pub type_name: String,
    /// The state machine name in ARNs and `$$.StateMachine.Name`, when it is not
    /// the type's (`asl!(Orders = "orders.asl.json", name = "order-flow")`): 1 to
    /// 80 letters, digits, `-` and `_`, as Step Functions names state machines.
    pub machine_name: Option<String>,
    /// Visibility of the generated type, as tokens (`pub`, `pub(crate)`, empty).
    pub visibility: TokenStream,
    /// The path generated code reaches the runtime by.
    pub runtime_path: TokenStream,
    /// Task `Resource`s the program provides handlers for, besides the built-in
    /// integrations. Any other Resource is a compile error.
    pub resources: Vec<String>,
    /// The definition file, for `include_bytes!` (so Cargo rebuilds when it
    /// changes) and for documentation.
    pub source_path: Option<String>,
    /// A hash of the definition (see [`definition_hash`]); [`compile`] sets it.
    /// A durable execution started by one definition is not continued by
    /// another unless the runtime accepts that.
    pub definition_hash: String,
    /// The definition's JSON text as deployed (placeholders substituted,
    /// YAML converted), for `Workflow::DEFINITION`; [`compile`] sets it.
    pub definition: String,
    /// Values for the definition's `${Name}` placeholders.
    pub substitutions: crate::Substitutions,
    /// Warnings are errors: a definition with one is refused.
    pub deny_warnings: bool,
    /// A JSON Schema of the execution input: the checks start from it, and
    /// the typed API (`NameInput`, `NameOutput`, `Name::run_typed`) is
    /// generated.
    pub input_schema: Option<serde_json::Value>,
    /// JSON Schemas of what some of the program's handlers return, by
    /// resource (see [`crate::CheckOptions::result_schemas`]); each resource
    /// is declared as those of [`Options::resources`] are.
    pub result_schemas: Vec<(String, serde_json::Value)>,
}

impl Options {
    /// Every resource the program serves itself: [`Options::resources`] and
    /// those of [`Options::result_schemas`].
    pub fn declared(&self) -> Vec<String> {
        let mut all = self.resources.clone();
        for (arn, _) in &self.result_schemas {
            if !all.contains(arn) {
                all.push(arn.clone());
            }
        }
        all
    }

    /// The handlers the data-flow rules know of.
    pub(crate) fn handlers(&self) -> crate::check::types::Handlers {
        crate::check::types::Handlers::new(&self.resources, &self.result_schemas)
    }

    /// The state machine name: [`Options::machine_name`] or the type's.
    pub fn machine_name(&self) -> &str {
        self.machine_name.as_deref().unwrap_or(&self.type_name)
    }
}

impl Default for Options {
    fn default() -> Self {
        Options {
            type_name: "Workflow".into(),
            machine_name: None,
            visibility: quote!(pub),
            runtime_path: quote!(::asl::runtime::__private),
            resources: Vec::new(),
            source_path: None,
            definition_hash: String::new(),
            definition: String::new(),
            substitutions: Default::default(),
            deny_warnings: false,
            input_schema: None,
            result_schemas: Vec::new(),
        }
    }
}

/// The SHA-256 of a definition's JSON in compact form, in hexadecimal: the same
/// for the same definition however it is laid out (whitespace, line breaks), and
/// different when any field changes. `None` when `source` is not JSON.
pub fn definition_hash(source: &[u8]) -> Option<String> {
    use sha2::Digest as _;
    let value: serde_json::Value = serde_json::from_slice(source).ok()?;
    let digest = sha2::Sha256::digest(value.to_string().as_bytes());
    Some(digest.iter().map(|b| format!("{b:02x}")).collect())
}

/// Loads, checks and generates a definition: `source` is the file's bytes,
/// `file_name` how diagnostics name it. Every problem is reported, located.
///
/// ```
/// let src = br#"{"StartAt": "Hi", "States": {"Hi": {"Type": "Pass", "End": true}}}"#;
/// let tokens = asl_build::codegen::compile(src, "hi.asl.json", &Default::default()).unwrap();
/// // One function per state, named after it (a Pass is a plain `fn`: it never waits).
/// assert!(tokens.to_string().contains("fn hi"));
/// ```
pub fn compile(
    source: &[u8],
    file_name: &str,
    options: &Options,
) -> Result<TokenStream, Diagnostics> {
    compile_reporting(source, file_name, options).map(|(tokens, _)| tokens)
}

/// [`compile`], also returning the definition's warnings (see
/// [`crate::load_reporting`]); with [`Options::deny_warnings`] they are
/// errors instead.
pub fn compile_reporting(
    source: &[u8],
    file_name: &str,
    options: &Options,
) -> Result<(TokenStream, Diagnostics), Diagnostics> {
    let index = || crate::diagnostics::LineIndex::new(&String::from_utf8_lossy(source));
    if let Some(d) = invalid_type_name(&options.type_name) {
        return Err(Diagnostics::new(file_name, index(), vec![d]));
    }
    let mut checks = crate::CheckOptions::declaring(options.resources.iter().cloned());
    checks.substitutions = options.substitutions.clone();
    checks.deny_warnings = options.deny_warnings;
    checks.input_schema = options.input_schema.clone();
    checks.result_schemas = options.result_schemas.clone();
    let crate::Loaded { machine, warnings } = crate::load_reporting(source, file_name, &checks)?;
    // The definition as deployed: substituted, and JSON.
    let deployed = std::str::from_utf8(source)
        .ok()
        .and_then(|text| crate::source::prepare(text, file_name, &options.substitutions).ok())
        .map(|prepared| prepared.json)
        .unwrap_or_default();
    let options = Options {
        definition_hash: definition_hash(deployed.as_bytes()).unwrap_or_default(),
        definition: deployed,
        ..options.clone()
    };
    generate(&machine, &options)
        .map(|tokens| (tokens, warnings))
        .map_err(|items| Diagnostics::new(file_name, index(), items))
}

/// Rule `asl::invalid-type-name`: the generated type's name is a Rust identifier
/// (not a keyword, not raw): `Builder::workflow("my-flow", ...)` is refused,
/// located at the start of the definition, instead of panicking in `Ident::new`.
pub fn invalid_type_name(name: &str) -> Option<Diagnostic> {
    if is_type_name(name) {
        return None;
    }
    Some(
        Diagnostic::new(
            Rule::InvalidTypeName,
            format!("`{name}` is not a Rust identifier, so it cannot name the generated workflow type"),
            Origin {
                pointer: String::new(),
                line: 1,
                column: 1,
                start: 0,
                end: 0,
            },
        )
        .with_help("use a name such as `ManageEksCluster`: letters, digits and `_`, not starting with a digit, not a keyword"),
    )
}

fn is_type_name(name: &str) -> bool {
    !name.starts_with("r#") && syn::parse_str::<Ident>(name).is_ok()
}

/// Generates the workflow, or the diagnostics of what cannot be generated.
pub fn generate(machine: &StateMachine, options: &Options) -> Result<TokenStream, Vec<Diagnostic>> {
    if let Some(d) = invalid_type_name(&options.type_name) {
        return Err(vec![d]);
    }
    let mut g = Gen {
        options,
        rt: quote!(__asl),
        names: Names::default(),
        items: Vec::new(),
        diagnostics: Sink::new(),
        machines: 0,
        reads_context: false,
        item_reads_context: false,
        execution_input: false,
        sync_state: false,
        task_token: false,
        jsonata: false,
        jsonata_context: false,
        before_scope: TokenStream::new(),
        reports_own_io: false,
        top_state: false,
        in_item_selector: false,
        jsonata_names: std::collections::HashMap::new(),
        statics: Vec::new(),
        static_names: std::collections::HashMap::new(),
        state_name: String::new(),
        template_what: "TEMPLATE",
        top: false,
    };
    let top = g.top_machine(machine);
    if !g.diagnostics.is_empty() {
        return Err(std::mem::take(&mut g.diagnostics).finish());
    }
    Ok(g.finish(top, machine))
}

/// The public API without a body, emitted next to `compile_error!` when the
/// definition is invalid, so the user's code that calls the workflow still
/// type-checks and the one real error stands alone.
pub fn skeleton(options: &Options) -> TokenStream {
    if !is_type_name(&options.type_name) {
        // The one error already says why; a skeleton needs a name.
        return TokenStream::new();
    }
    let name = Ident::new(&options.type_name, Span::call_site());
    let vis = &options.visibility;
    let rt = &options.runtime_path;
    let machine_name = options.machine_name();
    let declared = options.declared();
    // The typed API too, from the declared input alone, so that code using
    // `NameInput`, `NameOutput` or `run_typed` meets no second error.
    let typed = options.input_schema.as_ref().map(|schema| {
        use crate::check::types::Shape;
        typed::typed_api(
            &options.type_name,
            vis,
            rt,
            &Shape::of_schema(schema),
            &Shape::Unknown,
        )
    });
    quote! {
        #vis struct #name;
        #typed
        const _: () = {
            use #rt as __asl;
            __asl::workflow_api!(skeleton #name, #machine_name, [#(#declared),*]);
        };
    }
}

pub(crate) struct Gen<'o> {
    options: &'o Options,
    /// The runtime path as generated code spells it (`__asl`).
    rt: TokenStream,
    names: Names,
    items: Vec<TokenStream>,
    /// Where code generation reports (only what the checks should have refused:
    /// see [`Gen::unsupported`]).
    diagnostics: Sink,
    machines: usize,
    /// Set when the state being generated reads `$$`.
    reads_context: bool,
    /// Set when a Map's ItemSelector reads `$$` (per item, through a context
    /// of its own): the state needs its entry time, but its body binds no
    /// `__ctx` of its own for it.
    item_reads_context: bool,
    /// Set when a read of `$$` may reach `$$.Execution.Input` (`$$` whole,
    /// `$$.Execution`, full JSONPath over `$$`, JSONata's `$states.context`):
    /// only then does an execution keep a copy of its input.
    execution_input: bool,
    /// Set while generating a state that never waits (see [`is_sync`]).
    sync_state: bool,
    /// Set while generating a callback or activity Task: its body runs
    /// through `retrying` even without Retry or Catch, since that is where
    /// each attempt gets its task token.
    task_token: bool,
    /// Set while generating a JSONata state.
    jsonata: bool,
    /// Set when an expression of the JSONata state being generated reads
    /// `$states.context`.
    jsonata_context: bool,
    /// What a JSONata state body does with its input before binding
    /// `__scope` over it: a Map whose items are taken out of the input
    /// (see [`Gen::map`]).
    before_scope: TokenStream,
    /// Set when the state being generated reports its own input and output
    /// to TestState (see `StateInfo::plain_io`).
    reports_own_io: bool,
    /// Set while generating the body of a top-level state, the only kind
    /// TestState runs and inspects: a state nested in it reports nothing.
    top_state: bool,
    /// Set while generating a JSONPath Map's `ItemSelector`, where the item
    /// is `__item` and its index `__index`.
    in_item_selector: bool,
    /// The static of each distinct JSONata expression text generated so far
    /// (`JSONATA_STATES_INPUT_COUNT`): one static and one function per text,
    /// however often the workflow writes it.
    jsonata_names: std::collections::HashMap<String, Ident>,
    /// Paths, queries and literals, each a `static` of the expansion once per
    /// workflow (see [`Gen::hoist`]), in order of first use.
    statics: Vec<TokenStream>,
    /// The name of each hoisted static, by its type and value tokens.
    static_names: std::collections::HashMap<String, Ident>,
    /// The name of the state being generated, for the names of its literals.
    state_name: String,
    /// What the top-level template being generated is (`PARAMETERS`, ...),
    /// for the name of its literal (see [`Gen::top_template`]).
    template_what: &'static str,
    /// Set while generating the top-level machine (see [`Gen::top_machine`]).
    top: bool,
}

/// States per dispatch function in a large machine (see [`Gen::machine`]).
const CHUNK: usize = 32;

/// One state machine being generated: its enum and the variant of each state.
struct MachineCtx {
    /// The workflow's top-level machine: its states run as `TopStateRun`s,
    /// generic over the driver's `HOOKS`, and report to TestState.
    top: bool,
    enum_name: Ident,
    variants: Vec<(String, Ident)>,
}

impl MachineCtx {
    fn variant(&self, state: &str) -> Option<&Ident> {
        self.variants
            .iter()
            .find(|(n, _)| n == state)
            .map(|(_, v)| v)
    }
}

impl Gen<'_> {
    /// Declares `static PREFIX_HINT: <ty> = <value>;` once per distinct value
    /// and returns its name: each path or literal of a workflow is compiled
    /// once, under a name that says what it holds (`PATH_EKS_CLUSTER_ENDPOINT`,
    /// `RUN_A_JOB_ON_EKS_JOB`; see [`Names::constant`]).
    fn hoist(&mut self, prefix: &str, hint: &str, ty: TokenStream, value: TokenStream) -> Ident {
        let key = format!("{ty}={value}");
        if let Some(name) = self.static_names.get(&key) {
            return name.clone();
        }
        let name = self.names.constant(prefix, hint);
        self.statics.push(quote!(static #name: #ty = #value;));
        self.static_names.insert(key, name.clone());
        name
    }

    /// `let __ctx = __st.context();` when the state being generated reads `$$`
    /// (call after generating the rest of its body).
    fn context_binding(&self) -> TokenStream {
        if self.reads_context {
            quote!(let __ctx = __st.context();)
        } else {
            TokenStream::new()
        }
    }

    /// A construct the support rules ([`crate::check::support`]) refuse before
    /// code generation runs: reaching one here is a bug in those rules, reported
    /// rather than generated half-way.
    fn unsupported(&mut self, origin: &Origin, message: String) {
        self.diagnostics.push(
            Diagnostic::new(
                Rule::Unsupported,
                format!("internal error: {message}, and the checker let it through"),
                origin.clone(),
            )
            .with_help("please report this definition to the asl project"),
        );
    }
}

/// Can no state of `machine` (nested machines included) wait? Task and Wait
/// states can; Pass, Choice, Succeed and Fail finish as soon as they run.
fn never_waits(machine: &StateMachine) -> bool {
    machine.states.iter().all(|s| match &s.kind {
        StateKind::Task(_) | StateKind::Wait(_) => false,
        StateKind::Parallel(p) => p.branches.iter().all(never_waits),
        StateKind::Map(m) => never_waits(&m.item_processor),
        StateKind::Pass(_) | StateKind::Choice(_) | StateKind::Succeed(_) | StateKind::Fail(_) => {
            true
        }
    })
}

/// Pass, Choice, Succeed and Fail never wait: their state functions are plain
/// `fn`s, which the driver calls without building a future.
fn is_sync(kind: &StateKind) -> bool {
    matches!(
        kind,
        StateKind::Pass(_) | StateKind::Choice(_) | StateKind::Succeed(_) | StateKind::Fail(_)
    )
}

impl Gen<'_> {
    /// A state body that yields a `Result`: a plain block when nothing in it
    /// returns early (no `?`, no `return`: a constant Fail, a Choice on
    /// literals), else a closure called at once in a state that never waits,
    /// an `async` block awaited otherwise (the scope `?` needs).
    fn run_block(&self, block: TokenStream) -> TokenStream {
        if !returns_early(&block) {
            quote!({ #block })
        } else if self.sync_state {
            quote!((|| { #block })())
        } else {
            quote!(async { #block }.await)
        }
    }
}

/// Does `tokens` hold a `?` or a `return` (outside closures and async blocks
/// of its own, which this does not tell apart: it may say yes for those)?
fn returns_early(tokens: &TokenStream) -> bool {
    tokens.clone().into_iter().any(|t| match t {
        proc_macro2::TokenTree::Punct(p) => p.as_char() == '?',
        proc_macro2::TokenTree::Ident(i) => i == "return",
        proc_macro2::TokenTree::Group(g) => returns_early(&g.stream()),
        proc_macro2::TokenTree::Literal(_) => false,
    })
}

fn root_path() -> ReferencePath {
    ReferencePath {
        root: Root::Input,
        segments: Vec::new(),
        text: "$".into(),
    }
}
