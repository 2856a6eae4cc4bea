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
//!   iterations run as plain calls.
//!
//! Generated code names the runtime only through one path, by default
//! `::asl::runtime::__private` (bound to `__asl` at the top of the block).
//! Code generation never refuses a definition: every refusal, including the
//! constructs the runtime cannot run yet (`ItemReader`, `Credentials`, ...) and
//! undeclared resources, is made by the checks before it
//! ([`crate::load_with`]), so `asl check` and `asl!` agree.

mod expr;
pub mod input;
mod jsonata;
pub mod names;

use crate::rules::Rule;
use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote};

use crate::diagnostics::{Diagnostic, Diagnostics};
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
}

impl Default for Options {
    fn default() -> Self {
        Options {
            type_name: "Workflow".into(),
            visibility: quote!(pub),
            runtime_path: quote!(::asl::runtime::__private),
            resources: Vec::new(),
            source_path: None,
        }
    }
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
    let index = || crate::diagnostics::LineIndex::new(&String::from_utf8_lossy(source));
    if let Some(d) = invalid_type_name(&options.type_name) {
        return Err(Diagnostics::new(file_name, index(), vec![d]));
    }
    let checks = crate::CheckOptions::declaring(options.resources.iter().cloned());
    let machine = crate::load_with(source, file_name, &checks)?;
    generate(&machine, options).map_err(|items| Diagnostics::new(file_name, index(), items))
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
        diagnostics: Vec::new(),
        machines: 0,
        reads_context: false,
        execution_input: false,
        sync_state: false,
        jsonata: false,
        jsonata_context: false,
        jsonata_statics: 0,
        statics: Vec::new(),
        static_names: std::collections::HashMap::new(),
    };
    let top = g.machine(machine);
    if !g.diagnostics.is_empty() {
        return Err(g.diagnostics);
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
    quote! {
        #vis struct #name;
        impl #name {
            pub async fn run(
                runtime: &#rt::Runtime,
                input: #rt::Value,
            ) -> #rt::Result<#rt::Value, #rt::ExecutionError> {
                let _ = (runtime, input);
                ::core::unreachable!("the workflow definition did not compile")
            }
            pub async fn run_with(
                runtime: &#rt::Runtime,
                input: #rt::Value,
                options: #rt::ExecutionOptions,
            ) -> #rt::Result<#rt::Value, #rt::ExecutionError> {
                let _ = (runtime, input, options);
                ::core::unreachable!("the workflow definition did not compile")
            }
        }
    }
}

pub(crate) struct Gen<'o> {
    options: &'o Options,
    /// The runtime path as generated code spells it (`__asl`).
    rt: TokenStream,
    names: Names,
    items: Vec<TokenStream>,
    diagnostics: Vec<Diagnostic>,
    machines: usize,
    /// Set when the state being generated reads `$$`.
    reads_context: bool,
    /// Set when a read of `$$` may reach `$$.Execution.Input` (`$$` whole,
    /// `$$.Execution`, full JSONPath over `$$`, JSONata's `$states.context`):
    /// only then does an execution keep a copy of its input.
    execution_input: bool,
    /// Set while generating a state that never waits (see [`is_sync`]).
    sync_state: bool,
    /// Set while generating a JSONata state.
    jsonata: bool,
    /// Set when an expression of the JSONata state being generated reads
    /// `$states.context`.
    jsonata_context: bool,
    /// JSONata statics generated so far (their names are `__J<n>`, `__JT<n>`).
    jsonata_statics: usize,
    /// Paths, queries and literals, each a `static` of the expansion once per
    /// workflow (see [`Gen::hoist`]), in order of first use.
    statics: Vec<TokenStream>,
    /// The name of each hoisted static, by its type and value tokens.
    static_names: std::collections::HashMap<String, Ident>,
}

/// States per dispatch function in a large machine (see [`Gen::machine`]).
const CHUNK: usize = 32;

/// One state machine being generated: its enum and the variant of each state.
struct MachineCtx {
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
    /// Declares `static <prefix><n>: <ty> = <value>;` once per distinct value and
    /// returns its name: each path or literal of a workflow is compiled once.
    fn hoist(&mut self, prefix: &str, ty: TokenStream, value: TokenStream) -> Ident {
        let key = format!("{ty}={value}");
        if let Some(name) = self.static_names.get(&key) {
            return name.clone();
        }
        let name = format_ident!("{}{}", prefix, self.statics.len());
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

    /// Generates a machine's enum, state functions and driver; returns the
    /// driver's name.
    fn machine(&mut self, machine: &StateMachine) -> Ident {
        self.machine_with(machine, false).0
    }

    /// [`Self::machine`]; with `plain_fn`, a machine whose states all never
    /// wait gets a plain-`fn` driver (used for Map item processors). Returns the
    /// driver's name and whether it is a plain `fn`.
    fn machine_with(&mut self, machine: &StateMachine, plain_fn: bool) -> (Ident, bool) {
        let index = self.machines;
        self.machines += 1;
        let enum_name = format_ident!("__S{}", index);
        let driver = format_ident!("__drive{}", index);
        let mut variant_names = Names::default();
        let ctx = MachineCtx {
            enum_name: enum_name.clone(),
            variants: machine
                .states
                .iter()
                .map(|s| (s.name.value.clone(), variant_names.variant(&s.name.value)))
                .collect(),
        };
        let rt = self.rt.clone();
        // A Map item processor of states that never wait (Pass, Choice,
        // Succeed, Fail) is driven by a plain `fn`: no future is built or moved
        // per iteration. (The top-level machine and Parallel branches stay
        // `async`: they run once per execution, and measured no faster.)
        let all_sync = plain_fn && machine.states.iter().all(|s| is_sync(&s.kind));
        let (asyncness, dot_await) = if all_sync {
            (TokenStream::new(), TokenStream::new())
        } else {
            (quote!(async), quote!(.await))
        };
        let mut arms = Vec::new();
        for state in &machine.states {
            let function = self.names.function(&state.name.value);
            let variant = ctx.variant(&state.name.value).cloned();
            let item = self.state(state, &function, &ctx);
            self.items.push(item);
            // States that never wait are plain functions: no future to build.
            let call = if is_sync(&state.kind) {
                quote!(#function(__ex, __vars, __input)?)
            } else {
                quote!(#function(__ex, __vars, __input).await?)
            };
            arms.push((variant, call));
        }
        // A large machine dispatches through chunks of states, each its own
        // `async fn`: rustc's cost for one future grows faster than linearly
        // with its await points, so 1,000 awaits in one driver compile far
        // slower than 32 drivers of 32.
        let arms: Vec<TokenStream> = if arms.len() > CHUNK {
            let mut top = Vec::new();
            for (k, chunk) in arms.chunks(CHUNK).enumerate() {
                let chunk_fn = format_ident!("__drive{}_part{}", index, k);
                let variants: Vec<_> = chunk.iter().map(|(v, _)| v.clone()).collect();
                let inner = chunk
                    .iter()
                    .map(|(v, call)| quote!(#enum_name::#v => #call,));
                self.items.push(quote! {
                    #asyncness fn #chunk_fn(
                        __ex: &#rt::Execution,
                        __vars: &#rt::Variables<'_>,
                        __state: #enum_name,
                        __input: #rt::Value,
                    ) -> #rt::Result<#rt::Transition<#enum_name>, #rt::Error> {
                        #rt::Ok(match __state {
                            #(#inner)*
                            // The driver sends only this chunk's states here.
                            _ => return #rt::Err(#rt::Error::runtime("internal error: a state was dispatched to the wrong part of the driver")),
                        })
                    }
                });
                top.push(quote!(#(#enum_name::#variants)|* => #chunk_fn(__ex, __vars, __state, __input)#dot_await?,));
            }
            top
        } else {
            arms.into_iter()
                .map(|(v, call)| quote!(#enum_name::#v => #call,))
                .collect()
        };
        let variants: Vec<&Ident> = ctx.variants.iter().map(|(_, v)| v).collect();
        let Some(start) = ctx.variant(&machine.start_at.value).cloned() else {
            self.diagnostics.push(Diagnostic::new(
                Rule::UnknownStartState,
                format!(
                    "`StartAt` names `{}`, which is not a state of this machine",
                    machine.start_at.value
                ),
                machine.start_at.origin.clone(),
            ));
            return (driver, all_sync);
        };
        self.items.push(quote! {
            #[derive(Clone, Copy, Debug)]
            enum #enum_name { #(#variants),* }

            #asyncness fn #driver(
                __ex: &#rt::Execution,
                __vars: &#rt::Variables<'_>,
                mut __input: #rt::Value,
            ) -> #rt::Result<#rt::Value, #rt::Error> {
                let mut __state = #enum_name::#start;
                loop {
                    let __transition = match __state {
                        #(#arms)*
                    };
                    match __transition {
                        #rt::Transition::Next(__next, __output) => {
                            __state = __next;
                            __input = __output;
                        }
                        #rt::Transition::End(__output) => return #rt::Ok(__output),
                    }
                }
            }
        });
        (driver, all_sync)
    }

    fn finish(self, top: Ident, machine: &StateMachine) -> TokenStream {
        let Gen {
            options,
            items,
            statics,
            execution_input,
            ..
        } = self;
        let name = Ident::new(&options.type_name, Span::call_site());
        let vis = &options.visibility;
        let runtime = &options.runtime_path;
        let machine_name = &options.type_name;
        let timeout = match &machine.timeout_seconds {
            Some(t) => {
                let t = t.value;
                quote!(__asl::Some(#t))
            }
            None => quote!(__asl::None),
        };
        let include = options.source_path.as_ref().map(|p| {
            quote!(
                const _: &[u8] = ::core::include_bytes!(#p);
            )
        });
        let doc = match &options.source_path {
            Some(p) => format!(
                " The workflow of `{}`, compiled by `asl`.",
                p.rsplit(['/', '\\']).next().unwrap_or(p)
            ),
            None => " A workflow compiled by `asl`.".to_string(),
        };
        let comment = machine.comment.as_ref().map(|c| {
            let c = format!(" {}", c.value);
            quote!(#[doc = ""] #[doc = #c])
        });
        quote! {
            #[doc = #doc]
            #comment
            #[derive(Clone, Copy, Debug, Default)]
            #vis struct #name;

            // Generated code keeps one shape per construct rather than
            // clippy's preferred spelling of each case (blocks as conditions, ...).
            #[allow(clippy::all)]
            const _: () = {
                use #runtime as __asl;
                #include

                static __INFO: __asl::WorkflowInfo = __asl::WorkflowInfo {
                    name: #machine_name,
                    timeout_seconds: #timeout,
                    reads_execution_input: #execution_input,
                };

                impl #name {
                    /// Runs one execution with `input` and returns its output, or AWS's
                    /// `error` and `cause` when it fails.
                    pub async fn run(
                        runtime: &__asl::Runtime,
                        input: __asl::Value,
                    ) -> __asl::Result<__asl::Value, __asl::ExecutionError> {
                        Self::run_with(runtime, input, __asl::ExecutionOptions::default()).await
                    }

                    /// [`Self::run`] with an execution name or a history sink of its own.
                    pub async fn run_with(
                        runtime: &__asl::Runtime,
                        input: __asl::Value,
                        options: __asl::ExecutionOptions,
                    ) -> __asl::Result<__asl::Value, __asl::ExecutionError> {
                        let (__ex, __input) = __asl::Execution::start(runtime, &__INFO, input, options);
                        let __vars = __asl::Variables::root();
                        __ex.finish(#top(&__ex, &__vars, __input)).await
                    }
                }

                #(#statics)*
                #(#items)*
            };
        }
    }

    fn next(&mut self, transition: &Transition, ctx: &MachineCtx) -> TokenStream {
        let rt = self.rt.clone();
        match transition {
            Transition::End(_) => quote!(#rt::None),
            Transition::Next(name) => match ctx.variant(&name.value) {
                Some(v) => {
                    let e = &ctx.enum_name;
                    quote!(#rt::Some(#e::#v))
                }
                None => {
                    self.diagnostics.push(Diagnostic::new(
                        Rule::UnknownNextState,
                        format!(
                            "`Next` names `{}`, which is not a state of this machine",
                            name.value
                        ),
                        name.origin.clone(),
                    ));
                    quote!(#rt::None)
                }
            },
        }
    }

    fn retriers(&mut self, retry: &[Retrier]) -> TokenStream {
        let rt = self.rt.clone();
        let entries = retry.iter().map(|r| {
            let errors = r.error_equals.iter().map(|e| &e.value);
            let interval = r.interval_seconds.as_ref().map_or(1.0, |v| v.value as f64);
            let attempts = r
                .max_attempts
                .as_ref()
                .map_or(3u32, |v| u32::try_from(v.value).unwrap_or(u32::MAX));
            let backoff = r.backoff_rate.as_ref().map_or(2.0, |v| v.value);
            let max_delay = r.max_delay_seconds.as_ref().map(|v| {
                let v = v.value as f64;
                quote!(.max_delay(#v))
            });
            let jitter = matches!(
                r.jitter_strategy.as_ref().map(|j| j.value),
                Some(model::JitterStrategy::Full)
            )
            .then(|| quote!(.full_jitter()));
            quote!(#rt::Retrier::with(&[#(#errors),*], #interval, #attempts, #backoff)#max_delay #jitter)
        });
        let n = retry.len();
        if n == 0 {
            return TokenStream::new();
        }
        quote!(static __RETRY: [#rt::Retrier; #n] = [#(#entries),*];)
    }

    fn catchers(&mut self, catch: &[Catcher], ctx: &MachineCtx) -> TokenStream {
        let rt = self.rt.clone();
        let e = &ctx.enum_name;
        let mut entries = Vec::new();
        for c in catch {
            // JSONata states evaluate them (see `jsonata_catch_outputs`).
            if !self.jsonata && c.assign.is_some() {
                self.unsupported(
                    &c.origin,
                    "`Assign` in a Catch of a JSONPath state is not supported yet".into(),
                );
            }
            let errors = c.error_equals.iter().map(|e| &e.value);
            let result_path = match &c.result_path {
                Some(Nullable { value: None, .. }) => quote!(#rt::None),
                Some(Nullable { value: Some(p), .. }) => self.path_const(p),
                None => self.path_const(&root_path()),
            };
            let next = match ctx.variant(&c.next.value) {
                Some(v) => v.clone(),
                None => {
                    self.diagnostics.push(Diagnostic::new(
                        Rule::UnknownNextState,
                        format!(
                            "`Next` names `{}`, which is not a state of this machine",
                            c.next.value
                        ),
                        c.next.origin.clone(),
                    ));
                    continue;
                }
            };
            entries.push(quote!(#rt::Catcher { error_equals: &[#(#errors),*], result_path: #result_path, next: #e::#next }));
        }
        let n = entries.len();
        if n == 0 {
            return TokenStream::new();
        }
        quote!(static __CATCH: [#rt::Catcher<#e>; #n] = [#(#entries),*];)
    }

    /// `&__RETRY` / `&__CATCH`, or `&[]` for a state without entries.
    fn table_ref(empty: bool, name: &str) -> TokenStream {
        if empty {
            quote!(&[])
        } else {
            let name = Ident::new(name, Span::call_site());
            quote!(&#name)
        }
    }

    /// `Some(ReferencePath)` as a constant expression (for `Catcher`).
    fn path_const(&self, path: &ReferencePath) -> TokenStream {
        let rt = &self.rt;
        let value = self.path_value_tokens(path);
        quote!(#rt::Some(#value))
    }

    /// One state's `async fn`.
    fn state(&mut self, state: &State, function: &Ident, ctx: &MachineCtx) -> TokenStream {
        let rt = self.rt.clone();
        self.reads_context = false;
        let name = &state.name.value;
        self.jsonata = state.query_language == QueryLanguage::Jsonata;
        self.jsonata_context = false;
        let e = &ctx.enum_name;
        let kind = Ident::new(&state.kind.type_name().to_lowercase(), Span::call_site());
        self.sync_state = is_sync(&state.kind);
        let body = match &state.kind {
            StateKind::Pass(p) => {
                let next = self.next(&p.transition, ctx);
                let result = match (&p.result, &p.io.parameters) {
                    (Some(r), _) => Some(self.literal(&r.value)),
                    (None, Some(params)) => Some(self.template(
                        params,
                        &Env {
                            input: quote!(__eff),
                        },
                        "",
                    )),
                    (None, None) => None,
                };
                self.standard(
                    &p.io,
                    result.map(|r| quote!(let __res = #r;)),
                    next,
                    &[],
                    &[],
                    ctx,
                )
            }
            StateKind::Task(t) => {
                let next = self.next(&t.transition, ctx);
                let resource = &t.resource.value.arn;
                let params = self.payload(&t.io);
                let timeout = self.seconds(t.timeout_seconds.as_ref(), "TimeoutSecondsPath");
                let heartbeat = self.seconds(t.heartbeat_seconds.as_ref(), "HeartbeatSecondsPath");
                let selector = self.result_selector(&t.io);
                let result = if t.timeout_seconds.is_none() && t.heartbeat_seconds.is_none() {
                    quote! {
                        let __res = __st.task(#resource, #params).await?;
                        #selector
                    }
                } else {
                    // Evaluated in AWS's order: the timeouts, then the parameters.
                    quote! {
                        let __timeout = #timeout;
                        let __heartbeat = #heartbeat;
                        let __params = #params;
                        let __res = __st.task_timed(#resource, __params, __timeout, __heartbeat).await?;
                        #selector
                    }
                };
                self.standard(&t.io, Some(result), next, &t.retry, &t.catch, ctx)
            }
            StateKind::Parallel(p) => {
                let next = self.next(&p.transition, ctx);
                let input = self.payload(&p.io);
                let saved = (self.reads_context, self.jsonata, self.jsonata_context);
                let drivers: Vec<Ident> = p.branches.iter().map(|b| self.machine(b)).collect();
                self.sync_state = false;
                (self.reads_context, self.jsonata, self.jsonata_context) = saved;
                let n = drivers.len();
                let selector = self.result_selector(&p.io);
                let result = quote! {
                    let __branch_input = #input;
                    let __branches: [#rt::BranchFuture<'_>; #n] = [#(#rt::Box::pin(async {
                        // Each branch runs in a variable scope of its own.
                        let __branch_vars = __vars.child();
                        #drivers(__ex, &__branch_vars, __branch_input.clone()).await
                    })),*];
                    let __res = __st.parallel(#rt::Vec::from(__branches)).await?;
                    #selector
                };
                self.standard(&p.io, Some(result), next, &p.retry, &p.catch, ctx)
            }
            StateKind::Map(m) => {
                let next = self.next(&m.transition, ctx);
                let result = self.map(m, name);
                self.standard(&m.io, Some(result), next, &m.retry, &m.catch, ctx)
            }
            StateKind::Wait(w) => {
                let next = self.next(&w.transition, ctx);
                let wait = self.wait(&w.duration);
                self.standard_with_prelude(&w.io, wait, None, next, &[], &[], ctx)
            }
            StateKind::Succeed(s) => {
                self.standard(&s.io, None, quote!(#rt::None::<#e>), &[], &[], ctx)
            }
            StateKind::Choice(c) => self.choice(c, ctx),
            StateKind::Fail(f) => self.fail(f),
        };
        let reads_context = self.reads_context.then(|| quote!(.reading_context()));

        let asyncness = if is_sync(&state.kind) {
            TokenStream::new()
        } else {
            quote!(async)
        };
        quote! {
            #asyncness fn #function(
                __ex: &#rt::Execution,
                __vars: &#rt::Variables<'_>,
                input: #rt::Value,
            ) -> #rt::Result<#rt::Transition<#e>, #rt::Error> {
                static __STATE: #rt::StateInfo = #rt::StateInfo::#kind(#name)#reads_context;
                let __st = #rt::StateRun::enter(__ex, &__STATE, &input);
                #body
            }
        }
    }

    /// `Assign`: every value is evaluated (with `$` = `input`), then all are
    /// written to the state's variable scope.
    fn assign(&mut self, assign: Option<&model::Template>, input: TokenStream) -> TokenStream {
        match assign {
            Some(t) => {
                let value = self.template(t, &Env { input }, "");
                quote!(__vars.assign(#value);)
            }
            None => TokenStream::new(),
        }
    }

    /// What a Task or Parallel works on: `Parameters` (JSONPath), `Arguments`
    /// (JSONata), or the effective input.
    fn payload(&mut self, io: &Io) -> TokenStream {
        let rt = self.rt.clone();
        match (&io.parameters, &io.arguments) {
            (Some(p), _) => self.template(
                p,
                &Env {
                    input: quote!(__eff),
                },
                "",
            ),
            (None, Some(a)) => self.jsonata_value(a, "Arguments", quote!(__scope)),
            (None, None) => quote!(#rt::Value::clone(__eff)),
        }
    }

    fn result_selector(&mut self, io: &Io) -> TokenStream {
        match &io.result_selector {
            Some(t) => {
                let value = self.template(
                    t,
                    &Env {
                        input: quote!(&__res),
                    },
                    "",
                );
                quote!(let __res = #value;)
            }
            None => TokenStream::new(),
        }
    }

    /// `TimeoutSeconds(Path)` / `HeartbeatSeconds(Path)` as `Option<Duration>`.
    fn seconds(&mut self, field: Option<&Dynamic<u64>>, path_field: &str) -> TokenStream {
        let rt = self.rt.clone();
        match field {
            None => quote!(#rt::None),
            Some(Dynamic::Literal(n)) => {
                let n = n.value;
                quote!(#rt::Some(#rt::Duration::from_secs(#n)))
            }
            Some(Dynamic::Path(p)) => match &p.value {
                Expression::Path(path) => {
                    let value = self.read_optional(path, quote!(__eff), &p.origin);
                    let text = path.text();
                    quote!(#rt::Some(#rt::seconds_path(#value.as_ref(), #path_field, #text)?))
                }
                Expression::Intrinsic(_) => {
                    self.unsupported(
                        &p.origin,
                        format!("{path_field} takes a path, not an intrinsic function"),
                    );
                    quote!(#rt::None)
                }
            },
            Some(Dynamic::Jsonata(j)) => {
                let expr = self.jsonata_expr(&j.value);
                let field = path_field.trim_end_matches("Path");
                quote!(#rt::Some(#rt::jsonata_seconds(&#expr, &__scope, #field)?))
            }
        }
    }

    /// The shape shared by Pass, Task, Map, Parallel, Wait and Succeed:
    /// InputPath → (result) → ResultPath → OutputPath, under Retry/Catch.
    fn standard(
        &mut self,
        io: &Io,
        result: Option<TokenStream>,
        next: TokenStream,
        retry: &[Retrier],
        catch: &[Catcher],
        ctx: &MachineCtx,
    ) -> TokenStream {
        self.standard_with_prelude(io, TokenStream::new(), result, next, retry, catch, ctx)
    }

    #[allow(clippy::too_many_arguments)]
    fn standard_with_prelude(
        &mut self,
        io: &Io,
        prelude: TokenStream,
        result: Option<TokenStream>,
        next: TokenStream,
        retry: &[Retrier],
        catch: &[Catcher],
        ctx: &MachineCtx,
    ) -> TokenStream {
        if self.jsonata {
            return self.jsonata_standard(io, prelude, result, next, retry, catch, ctx);
        }
        let rt = self.rt.clone();
        let guarded = !retry.is_empty() || !catch.is_empty();
        // Without Retry/Catch the body owns the input; otherwise it borrows it,
        // since a retry runs it again and a Catch needs the raw input.
        let raw_owned = if guarded {
            quote!(#rt::Value::clone(&input))
        } else {
            quote!(input)
        };
        let input_path = self.input_path(io);
        let default_input = io.input_path.is_none();
        let result_path = io.result_path.as_ref();
        let result_is_root = match result_path {
            None => true,
            Some(Nullable { value: Some(p), .. }) => p.segments.is_empty() && p.root == Root::Input,
            Some(Nullable { value: None, .. }) => false,
        };
        let result_tokens = match result {
            Some(r) => r,
            // The result is the effective input: taken whole when nothing else
            // needs it.
            None if default_input && result_is_root => quote!(let __res = #raw_owned;),
            None => quote!(let __res = #rt::Value::clone(__eff);),
        };
        let apply_result = match result_path {
            None => quote!(let __out = __res;),
            Some(Nullable { value: None, .. }) => quote!(let _ = __res; let __out = #raw_owned;),
            Some(Nullable { value: Some(p), .. }) if result_is_root => {
                let _ = p;
                quote!(let __out = __res;)
            }
            Some(Nullable {
                value: Some(p),
                origin,
            }) => {
                if !self.check_root(&p.root, &p.text, origin) {
                    TokenStream::new()
                } else {
                    let sp = self.static_path(p);
                    quote!(let __out = #sp.apply_result(#raw_owned, __res)?;)
                }
            }
        };
        let output = self.output_path(io, quote!(__out));
        let assign = self.assign(io.assign.as_ref(), quote!(&__res));
        // `__ctx` (`$$`) is bound only where a path reads it.
        let bind_ctx = self.context_binding();
        let inner = quote! {
            #bind_ctx
            #input_path
            #prelude
            #result_tokens
            #assign
            #apply_result
            #rt::Ok(#output)
        };
        if guarded {
            let retriers = self.retriers(retry);
            let catchers = self.catchers(catch, ctx);
            let (retry_ref, catch_ref) = (
                Self::table_ref(retry.is_empty(), "__RETRY"),
                Self::table_ref(catch.is_empty(), "__CATCH"),
            );
            quote! {
                #retriers
                #catchers
                // Each attempt is a fresh future over borrowed input: a retry runs it again.
                let __result = {
                    let input = &input;
                    let __st = &__st;
                    __st.retrying(#retry_ref, || async move { #inner }).await
                };
                __st.finish(__result, #next, #catch_ref, input)
            }
        } else {
            let run_inner = self.run_block(inner);
            quote! {
                let __result: #rt::Result<#rt::Value, #rt::Error> = #run_inner;
                __st.done(__result, #next)
            }
        }
    }

    /// Binds `__eff: &Value`, the effective input.
    fn input_path(&mut self, io: &Io) -> TokenStream {
        let rt = self.rt.clone();
        match &io.input_path {
            None => quote!(let __eff = &input;),
            Some(Nullable { value: None, .. }) => {
                quote!(let __eff_value = #rt::Value::Object(#rt::Map::new()); let __eff = &__eff_value;)
            }
            Some(Nullable {
                value: Some(Path::Reference(p)),
                ..
            }) if p.root == Root::Input => {
                if p.segments.is_empty() {
                    quote!(let __eff = &input;)
                } else {
                    let sp = self.static_path(p);
                    quote!(let __eff = #sp.select(&input)?;)
                }
            }
            Some(Nullable {
                value: Some(path),
                origin,
            }) => {
                let selected = self.select(path, quote!(&input), origin);
                quote!(let __eff_value = #selected; let __eff = &__eff_value;)
            }
        }
    }

    /// `OutputPath` applied to the owned value `source`.
    fn output_path(&mut self, io: &Io, source: TokenStream) -> TokenStream {
        let rt = self.rt.clone();
        match &io.output_path {
            None => source,
            Some(Nullable { value: None, .. }) => {
                quote!({ let _ = #source; #rt::Value::Object(#rt::Map::new()) })
            }
            Some(Nullable {
                value: Some(Path::Reference(p)),
                ..
            }) if p.root == Root::Input => {
                if p.segments.is_empty() {
                    source
                } else {
                    let sp = self.static_path(p);
                    quote!(#rt::select_owned(&#sp, #source)?)
                }
            }
            Some(Nullable {
                value: Some(path),
                origin,
            }) => {
                let selected = self.select(path, quote!(&#source), origin);
                quote!({ let _ = &#source; #selected })
            }
        }
    }

    fn wait(&mut self, duration: &WaitDuration) -> TokenStream {
        match duration {
            WaitDuration::Seconds(Dynamic::Literal(n)) => {
                let n = n.value;
                quote!(__st.wait_seconds(#n).await;)
            }
            WaitDuration::Seconds(Dynamic::Path(p)) => match &p.value {
                Expression::Path(path) => {
                    let value = self.read_optional(path, quote!(__eff), &p.origin);
                    let text = path.text();
                    quote!(__st.wait_seconds_path(#value.as_ref(), #text).await?;)
                }
                Expression::Intrinsic(_) => {
                    self.unsupported(
                        &p.origin,
                        "SecondsPath takes a path, not an intrinsic function".into(),
                    );
                    TokenStream::new()
                }
            },
            WaitDuration::Timestamp(Dynamic::Literal(t)) => {
                let rt = &self.rt;
                let text = &t.value;
                quote! {
                    if let #rt::Some(__t) = #rt::parse_timestamp(#text) {
                        __st.wait_until(__t).await;
                    }
                }
            }
            WaitDuration::Timestamp(Dynamic::Path(p)) => match &p.value {
                Expression::Path(path) => {
                    let value = self.read_optional(path, quote!(__eff), &p.origin);
                    let text = path.text();
                    quote!(__st.wait_timestamp_path(#value.as_ref(), #text).await?;)
                }
                Expression::Intrinsic(_) => {
                    self.unsupported(
                        &p.origin,
                        "TimestampPath takes a path, not an intrinsic function".into(),
                    );
                    TokenStream::new()
                }
            },
            WaitDuration::Seconds(Dynamic::Jsonata(j)) => {
                let rt = &self.rt.clone();
                let expr = self.jsonata_expr(&j.value);
                quote!(__st.wait_seconds(#rt::jsonata_count(&#expr, &__scope, "Seconds")?).await;)
            }
            WaitDuration::Timestamp(Dynamic::Jsonata(j)) => {
                let rt = &self.rt.clone();
                let expr = self.jsonata_expr(&j.value);
                quote!(__st.wait_until(#rt::jsonata_timestamp(&#expr, &__scope)?).await;)
            }
        }
    }

    fn map(&mut self, m: &model::Map, name: &str) -> TokenStream {
        let rt = self.rt.clone();
        for (present, origin, what) in [
            (m.item_reader.as_ref().map(|r| &r.origin), "ItemReader"),
            (m.item_batcher.as_ref().map(|r| &r.origin), "ItemBatcher"),
            (m.result_writer.as_ref().map(|r| &r.origin), "ResultWriter"),
        ]
        .map(|(o, w)| (o.is_some(), o.cloned(), w))
        {
            if present && let Some(origin) = origin {
                self.unsupported(
                    &origin,
                    format!("Map `{name}` uses `{what}`, which is not supported yet"),
                );
            }
        }
        // Items that are part of the state's input are iterated in place
        // (borrowed); computed ones are owned by the state for its run.
        let items = match (&m.items, &m.items_path) {
            (Some(t), _) => match &t.node {
                model::TemplateNode::Jsonata(j) => {
                    let expr = self.jsonata_expr(j);
                    quote!(#rt::Cow::Owned(#expr.array(&__scope, "Items")?))
                }
                _ => {
                    let value = self.jsonata_value(t, "Items", quote!(__scope));
                    quote!(#rt::Cow::Owned(#rt::jsonata_items(#value)))
                }
            },
            (None, None) if self.jsonata => {
                quote!(#rt::Cow::Borrowed(#rt::jsonata_input_items(__eff)?))
            }
            (None, None) => quote!(#rt::Cow::Borrowed(__st.map_items_ref(__eff, "$")?)),
            (None, Some(p)) => {
                let text = p.value.text();
                match self.select_ref(&p.value, quote!(__eff)) {
                    Some(value) => quote!(#rt::Cow::Borrowed(__st.map_items_ref(#value, #text)?)),
                    None => {
                        let value = self.select(&p.value, quote!(__eff), &p.origin);
                        quote!(#rt::Cow::Owned(__st.map_items(#value, #text)?))
                    }
                }
            }
        };
        let max_concurrency = match &m.max_concurrency {
            None => quote!(0usize),
            Some(Dynamic::Literal(n)) => {
                let n = usize::try_from(n.value).unwrap_or(usize::MAX);
                quote!(#n)
            }
            Some(Dynamic::Path(p)) => self.dynamic_number(p, "max_concurrency_path"),
            Some(Dynamic::Jsonata(j)) => {
                let expr = self.jsonata_expr(&j.value);
                quote!(usize::try_from(#rt::jsonata_count(&#expr, &__scope, "MaxConcurrency")?).unwrap_or(usize::MAX))
            }
        };
        let count = match &m.tolerated_failure_count {
            None => quote!(#rt::None),
            Some(Dynamic::Literal(n)) => {
                let n = n.value;
                quote!(#rt::Some(#n))
            }
            Some(Dynamic::Path(p)) => {
                let v = self.dynamic_number(p, "tolerated_failure_count_path");
                quote!(#rt::Some(#v))
            }
            Some(Dynamic::Jsonata(j)) => {
                let expr = self.jsonata_expr(&j.value);
                quote!(#rt::Some(#rt::jsonata_count(&#expr, &__scope, "ToleratedFailureCount")?))
            }
        };
        let percentage = match &m.tolerated_failure_percentage {
            None => quote!(#rt::None),
            Some(Dynamic::Literal(n)) => {
                let n = n.value;
                quote!(#rt::Some(#n))
            }
            Some(Dynamic::Path(p)) => {
                let v = self.dynamic_number(p, "tolerated_failure_percentage_path");
                quote!(#rt::Some(#v))
            }
            Some(Dynamic::Jsonata(j)) => {
                let expr = self.jsonata_expr(&j.value);
                quote!(#rt::Some(#rt::jsonata_percentage(&#expr, &__scope, "ToleratedFailurePercentage")?))
            }
        };
        // The ItemSelector sees `$$.Map.Item`: it gets a context of its own.
        let outer_reads_context = self.reads_context;
        self.reads_context = false;
        let saved_jsonata_context = self.jsonata_context;
        self.jsonata_context = false;
        let (selector, selector_ctx) = match &m.item_selector {
            Some(t) if self.jsonata => {
                let value = self.jsonata_value(t, "ItemSelector", quote!(__iscope));
                let ctx = if self.jsonata_context {
                    quote!(__st.context().with_map_item(__index, __item).to_value())
                } else {
                    quote!(#rt::Value::Null)
                };
                (
                    quote!({
                        let __ienv = #rt::JsonataEnv::new(__vars, #ctx);
                        let __iscope = __ienv.scope(__eff);
                        #value
                    }),
                    self.jsonata_context,
                )
            }
            Some(t) => {
                let value = self.template(
                    t,
                    &Env {
                        input: quote!(__eff),
                    },
                    "",
                );
                (quote!(#value), self.reads_context)
            }
            None => (quote!(#rt::Value::clone(__item)), false),
        };
        self.reads_context = outer_reads_context;
        self.jsonata_context = saved_jsonata_context;
        let item_ctx = if selector_ctx && !self.jsonata {
            quote!(let __ctx = __st.context().with_map_item(__index, __item);)
        } else {
            TokenStream::new()
        };
        let saved = (self.jsonata, self.jsonata_context);
        let (driver, plain_fn) = self.machine_with(&m.item_processor, true);
        (self.jsonata, self.jsonata_context) = saved;
        self.sync_state = false;
        let never_waits = never_waits(&m.item_processor);
        self.reads_context = outer_reads_context || selector_ctx;
        // A distributed Map runs each iteration as a child execution, whose
        // events are not part of this execution's history.
        let dot_await = if plain_fn {
            TokenStream::new()
        } else {
            quote!(.await)
        };
        let run_iteration = if m.processor_config.mode == model::ProcessorMode::Distributed {
            quote!(let __child = __ex.map_run_child(); #driver(&__child, &__iteration_vars, __iteration_input)#dot_await)
        } else {
            quote!(#driver(__ex, &__iteration_vars, __iteration_input)#dot_await)
        };
        let selector_result = self.result_selector(&m.io);
        if plain_fn {
            // Iterations that never wait are plain calls, one after another
            // (`map_sync`); MaxConcurrency(Path) is still evaluated for its errors.
            return quote! {
                let __items: #rt::Cow<'_, [#rt::Value]> = #items;
                let __max_concurrency: usize = #max_concurrency;
                let __tolerance = #rt::Tolerance { count: #count, percentage: #percentage };
                let __res = __st.map_sync(&__items, __tolerance, |__index, __item| {
                    #item_ctx
                    let __iteration_input = #selector;
                    let __iteration_vars = __vars.child();
                    #run_iteration
                })?;
                #selector_result
            };
        }
        quote! {
            let __items: #rt::Cow<'_, [#rt::Value]> = #items;
            let __max_concurrency: usize = #max_concurrency;
            let __tolerance = #rt::Tolerance { count: #count, percentage: #percentage };
            let __st_ref = &__st;
            let __res = __st
                .map(&__items, __max_concurrency, __tolerance, #never_waits, move |__index, __item| async move {
                    let __st = __st_ref;
                    #item_ctx
                    let __iteration_input = #selector;
                    let __iteration_vars = __vars.child();
                    #run_iteration
                })
                .await?;
            #selector_result
        }
    }

    /// A `...Path` number field of a Map, validated by the runtime helper `f`.
    fn dynamic_number(&mut self, p: &model::Spanned<Expression>, f: &str) -> TokenStream {
        let rt = self.rt.clone();
        match &p.value {
            Expression::Path(path) => {
                let value = self.read_optional(path, quote!(__eff), &p.origin);
                let text = path.text();
                let f = Ident::new(f, Span::call_site());
                quote!(__st.#f(#value.as_ref(), #text)?)
            }
            Expression::Intrinsic(_) => {
                self.unsupported(
                    &p.origin,
                    "this field takes a path, not an intrinsic function".into(),
                );
                quote!(#rt::Default::default())
            }
        }
    }

    fn choice(&mut self, c: &model::Choice, ctx: &MachineCtx) -> TokenStream {
        if self.jsonata {
            return self.jsonata_choice(c, ctx);
        }
        let rt = self.rt.clone();
        let e = &ctx.enum_name;
        let input_path = self.input_path(&c.io);
        let env = Env {
            input: quote!(__eff),
        };
        let mut branches = Vec::new();
        for rule in &c.choices {
            if rule.output.is_some() {
                self.unsupported(
                    &rule.origin,
                    "`Output` in a choice rule is evaluated only in a JSONata state".into(),
                );
            }
            let assign = self.assign(rule.assign.as_ref(), quote!(__eff));
            let cond = self.condition(&rule.condition, &env);
            let next = match ctx.variant(&rule.next.value) {
                Some(v) => v.clone(),
                None => {
                    self.diagnostics.push(Diagnostic::new(
                        Rule::UnknownNextState,
                        format!(
                            "`Next` names `{}`, which is not a state of this machine",
                            rule.next.value
                        ),
                        rule.next.origin.clone(),
                    ));
                    continue;
                }
            };
            branches.push(quote!(if #cond { #assign #e::#next }));
        }
        // The state's own `Assign` applies when the Default is taken.
        let default_assign = self.assign(c.io.assign.as_ref(), quote!(__eff));
        let default = match &c.default {
            Some(d) => match ctx.variant(&d.value) {
                Some(v) => quote!({ #default_assign #e::#v }),
                None => {
                    self.diagnostics.push(Diagnostic::new(
                        Rule::UnknownNextState,
                        format!(
                            "`Default` names `{}`, which is not a state of this machine",
                            d.value
                        ),
                        d.origin.clone(),
                    ));
                    quote!({ return #rt::Err(#rt::choice::no_choice_matched()) })
                }
            },
            None => quote!({ return #rt::Err(#rt::choice::no_choice_matched()) }),
        };
        let owned = if c.io.input_path.is_none() {
            quote!(input)
        } else {
            quote!(#rt::Value::clone(__eff))
        };
        let output = self.output_path(&c.io, quote!(__out));
        let bind_ctx = self.context_binding();
        let body = self.run_block(quote! {
            #bind_ctx
            #input_path
            let __next = #(#branches else)* #default;
            let __out = #owned;
            #rt::Ok((__next, #output))
        });
        quote! {
            let __result: #rt::Result<(#e, #rt::Value), #rt::Error> = #body;
            __st.choose(__result)
        }
    }

    fn fail(&mut self, f: &model::Fail) -> TokenStream {
        let rt = self.rt.clone();
        let mut text = |field: Option<&Dynamic<String>>, name: &str| -> TokenStream {
            match field {
                None => quote!(#rt::None),
                Some(Dynamic::Literal(s)) => {
                    let s = &s.value;
                    quote!(#rt::Some(#rt::String::from(#s)))
                }
                Some(Dynamic::Path(p)) => {
                    let value = self.expression(
                        &p.value,
                        &Env {
                            input: quote!(&input),
                        },
                        name,
                        &p.origin,
                    );
                    quote!(#rt::fail_text((|| #rt::Ok::<_, #rt::Error>(#value))())?)
                }
                Some(Dynamic::Jsonata(j)) => {
                    let expr = self.jsonata_expr(&j.value);
                    let field = name.trim_end_matches("Path");
                    quote!(#rt::Some(#expr.string(&__scope, #field)?))
                }
            }
        };
        let error = text(f.error.as_ref(), "ErrorPath");
        let cause = text(f.cause.as_ref(), "CausePath");
        let bindings = if self.jsonata {
            self.jsonata_bindings(quote!(&input))
        } else {
            TokenStream::new()
        };
        let bind_ctx = self.context_binding();
        let body = self.run_block(quote! {
            #bind_ctx
            #bindings
            #rt::Ok((#error, #cause))
        });
        quote! {
            let __result: #rt::Result<(#rt::Option<#rt::String>, #rt::Option<#rt::String>), #rt::Error> = #body;
            match __result {
                #rt::Ok((__error, __cause)) => #rt::Err(__st.fail(__error, __cause)),
                #rt::Err(__e) => #rt::Err(__st.locate(__e)),
            }
        }
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
    /// A state body that yields a `Result`: a closure called at once in a
    /// state that never waits, an `async` block awaited otherwise.
    fn run_block(&self, block: TokenStream) -> TokenStream {
        if self.sync_state {
            quote!((|| { #block })())
        } else {
            quote!(async { #block }.await)
        }
    }
}

fn root_path() -> ReferencePath {
    ReferencePath {
        root: Root::Input,
        segments: Vec::new(),
        text: "$".into(),
    }
}
