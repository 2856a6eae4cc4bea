//! A machine's enum of states and its driver loop (chunked for large machines),
//! transitions, and the expansion's outer shape: the workflow type, its
//! `Workflow` impl and `run` functions.

use super::*;

impl Gen<'_> {
    /// Generates a machine's enum, state functions and driver; returns the
    /// driver's name.
    pub(super) fn machine(&mut self, machine: &StateMachine) -> Ident {
        self.machine_with(machine, false).0
    }

    /// The top-level machine: its driver starts at any state (a durable
    /// execution resumes where it stood) and reports every transition to the
    /// execution ([`Execution::transition`], compiled out of a plain run).
    pub(super) fn top_machine(&mut self, machine: &StateMachine) -> Ident {
        self.top = true;
        self.machine_with(machine, false).0
    }

    /// [`Self::machine`]; with `plain_fn`, a machine whose states all never
    /// wait gets a plain-`fn` driver (used for Map item processors). Returns the
    /// driver's name and whether it is a plain `fn`.
    pub(super) fn machine_with(&mut self, machine: &StateMachine, plain_fn: bool) -> (Ident, bool) {
        let index = self.machines;
        self.machines += 1;
        let top = std::mem::take(&mut self.top);
        let enum_name = format_ident!("__S{}", index);
        let driver = format_ident!("__drive{}", index);
        let mut variant_names = Names::default();
        let ctx = MachineCtx {
            top,
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
        // The state that holds this machine (a Parallel, a Map) goes on being
        // generated after it (its Catch): its name names its literals.
        let outer_state = std::mem::take(&mut self.state_name);
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
        self.state_name = outer_state;
        // A large machine dispatches through chunks of states, each its own
        // `async fn`: rustc's cost for one future grows faster than linearly
        // with its await points, so 1,000 awaits in one driver compile far
        // slower than 32 drivers of 32.
        // The top-level machine's functions are generic over the driver's
        // `HOOKS`, which its execution argument carries (`TopLevel`).
        let (hooks, exec_type) = if top {
            (
                quote!(<const HOOKS: bool>),
                quote!(#rt::TopLevel<'_, HOOKS>),
            )
        } else {
            (TokenStream::new(), quote!(&#rt::Execution))
        };
        let arms: Vec<TokenStream> = if arms.len() > CHUNK {
            let mut parts = Vec::new();
            for (k, chunk) in arms.chunks(CHUNK).enumerate() {
                let chunk_fn = format_ident!("__drive{}_part{}", index, k);
                let variants: Vec<_> = chunk.iter().map(|(v, _)| v.clone()).collect();
                let inner = chunk
                    .iter()
                    .map(|(v, call)| quote!(#enum_name::#v => #call,));
                self.items.push(quote! {
                    #asyncness fn #chunk_fn #hooks(
                        __ex: #exec_type,
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
                parts.push(quote!(#(#enum_name::#variants)|* => #chunk_fn(__ex, __vars, __state, __input)#dot_await?,));
            }
            parts
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
        if top {
            let count = variants.len();
            self.items.push(quote! {
                #[derive(Clone, Copy, Debug)]
                enum #enum_name { #(#variants),* }

                // `HOOKS`: the execution is durable or runs one state for
                // TestState; a plain run is compiled without the per-transition
                // call and without the states' TestState reports.
                async fn #driver #hooks(
                    __ex: #exec_type,
                    __vars: &#rt::Variables<'_>,
                    __from: #rt::Option<usize>,
                    mut __input: #rt::Value,
                ) -> #rt::Result<#rt::Value, #rt::Error> {
                    const __ALL: [#enum_name; #count] = [#(#enum_name::#variants),*];
                    let mut __state = match __from {
                        #rt::Some(__i) if __i < #count => __ALL[__i],
                        _ => #enum_name::#start,
                    };
                    loop {
                        let __transition = match __state {
                            #(#arms)*
                        };
                        match __transition {
                            #rt::Transition::Next(__next, __output) => {
                                __state = __next;
                                __input = __output;
                                if HOOKS && __ex.transition(__state as usize, &__input, __vars).await? {
                                    return #rt::Ok(__input);
                                }
                            }
                            #rt::Transition::End(__output) => return #rt::Ok(__output),
                        }
                    }
                }
            });
            return (driver, all_sync);
        }
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

    pub(super) fn finish(self, top: Ident, machine: &StateMachine) -> TokenStream {
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
        let machine_name = options.machine_name();
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
        let resources = machine.task_resources();
        let declared = &options.declared();
        // Each built-in family the workflow calls needs its Cargo feature; a
        // resource the program declares it serves needs none.
        let mut gates: Vec<TokenStream> = Vec::new();
        let mut gated: Vec<&str> = Vec::new();
        for resource in &resources {
            if declared.iter().any(|d| d == resource) {
                continue;
            }
            let Some(feature) = crate::check::sdk::resource_feature(resource) else {
                continue;
            };
            if gated.contains(&feature) {
                continue;
            }
            gated.push(feature);
            let message = format!(
                "`{resource}` is a built-in integration of asl's `{feature}` feature, which is off: \
                 enable it (`asl = {{ version = \"...\", features = [\"{feature}\"] }}`), or declare \
                 the resource in `resources = [...]` to serve it with your own handler"
            );
            gates.push(quote!(__asl::require_feature!(#feature, #message);));
        }
        // The compact table of each SDK action served from AWS's model.
        let sdk_actions: Vec<TokenStream> = resources
            .iter()
            .filter(|r| !declared.iter().any(|d| d == *r))
            .filter_map(|r| {
                let table = crate::check::sdk::served_table(r)?;
                Some(quote!((#r, #table)))
            })
            .collect();
        // A distributed Map's ItemReader and ResultWriter use S3.
        if machine.uses_map_run_s3() && !gated.contains(&"s3") {
            let message = "a distributed Map's ItemReader or ResultWriter reads and writes S3 through asl's `s3` feature, which is off: \
                 enable it (`asl = { version = \"...\", features = [\"s3\"] }`)";
            gates.push(quote!(__asl::require_feature!("s3", #message);));
        }
        let states: Vec<&str> = machine
            .states
            .iter()
            .map(|s| s.name.value.as_str())
            .collect();
        let start = machine
            .states
            .iter()
            .position(|s| s.name.value == machine.start_at.value)
            .unwrap_or(0);
        let definition_hash = &options.definition_hash;
        let definition = &options.definition;
        // The resources the workflow declares it serves, written once when
        // they are the ones it calls.
        let workflow_api = if resources == *declared {
            quote!(__asl::workflow_api!(#name, #machine_name, __INFO, #top, [#(#resources),*]);)
        } else {
            quote!(__asl::workflow_api!(#name, #machine_name, __INFO, #top, [#(#resources),*], [#(#declared),*]);)
        };
        let comment = machine.comment.as_ref().map(|c| {
            let c = format!(" {}", c.value);
            quote!(#[doc = ""] #[doc = #c])
        });
        // With a declared input: the typed API, outside the block (its types
        // are the user's to name).
        let typed = options.input_schema.as_ref().map(|schema| {
            use crate::check::types::{Shape, execution_output};
            let input = Shape::of_schema(schema);
            let output = execution_output(machine, &options.handlers(), &input);
            super::typed::typed_api(&options.type_name, vis, runtime, &input, &output)
        });
        quote! {
            #[doc = #doc]
            #comment
            #[derive(Clone, Copy, Debug, Default)]
            #vis struct #name;

            #typed

            // Generated code keeps one shape per construct rather than
            // clippy's preferred spelling of each case (blocks as conditions,
            // ...), and the JSONata functions bind what an expression may not
            // read in every branch.
            #[allow(clippy::all, unused_variables, unused_mut, unused_braces)]
            const _: () = {
                use #runtime as __asl;
                // What the hoisted statics are, by their short names (a
                // workflow may have none of some).
                #[allow(unused_imports)]
                use __asl::{JsonPathQuery, Literal, ReferencePath, json_literal, path};
                #include

                static __INFO: __asl::WorkflowInfo = __asl::WorkflowInfo {
                    name: #machine_name,
                    timeout_seconds: #timeout,
                    reads_execution_input: #execution_input,
                    states: &[#(#states),*],
                    start: #start,
                    definition_hash: #definition_hash,
                    definition: #definition,
                    sdk_actions: &[#(#sdk_actions),*],
                };

                // `impl Workflow` and the inherent `run`/`run_with`, written once in
                // the runtime.
                #workflow_api

                #(#gates)*
                #(#statics)*
                #(#items)*
            };
        }
    }

    pub(super) fn next(&mut self, transition: &Transition, ctx: &MachineCtx) -> TokenStream {
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
}
