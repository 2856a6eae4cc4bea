//! One state's function: its `StateInfo`, its body by state type, and the
//! `Retry` and `Catch` tables it runs under.

use super::*;

impl Gen<'_> {
    pub(super) fn retriers(&mut self, retry: &[Retrier]) -> TokenStream {
        let rt = self.rt.clone();
        let entries = retry.iter().map(|r| {
            let errors = r.error_equals.iter().map(|e| &e.value);
            let interval = r.interval_seconds.as_ref().map_or(1.0, |v| v.value as f64);
            let attempts = r
                .max_attempts
                .as_ref()
                .map_or(3u32, |v| u32::try_from(v.value).unwrap_or(u32::MAX));
            let backoff = r.backoff_rate.as_ref().map_or(2.0, |v| v.value);
            let full_jitter = matches!(
                r.jitter_strategy.as_ref().map(|j| j.value),
                Some(model::JitterStrategy::Full)
            );
            // Named settings, only those that differ from AWS's defaults.
            let mut settings = Vec::new();
            if interval != 1.0 {
                let v = proc_macro2::Literal::f64_unsuffixed(interval);
                settings.push(quote!(interval_seconds: #v,));
            }
            if attempts != 3 {
                let v = proc_macro2::Literal::u32_unsuffixed(attempts);
                settings.push(quote!(max_attempts: #v,));
            }
            if backoff != 2.0 {
                let v = proc_macro2::Literal::f64_unsuffixed(backoff);
                settings.push(quote!(backoff_rate: #v,));
            }
            if let Some(v) = &r.max_delay_seconds {
                let v = proc_macro2::Literal::f64_unsuffixed(v.value as f64);
                settings.push(quote!(max_delay_seconds: #rt::Some(#v),));
            }
            if full_jitter {
                settings.push(quote!(jitter: #rt::Jitter::Full,));
            }
            if settings.is_empty() {
                quote!(#rt::Retrier::new(&[#(#errors),*]))
            } else {
                quote!(#rt::Retrier { #(#settings)* ..#rt::Retrier::new(&[#(#errors),*]) })
            }
        });
        let n = retry.len();
        if n == 0 {
            return TokenStream::new();
        }
        quote!(static __RETRY: [#rt::Retrier; #n] = [#(#entries),*];)
    }

    pub(super) fn catchers(&mut self, catch: &[Catcher], ctx: &MachineCtx) -> TokenStream {
        let rt = self.rt.clone();
        let e = &ctx.enum_name;
        let mut entries = Vec::new();
        for c in catch {
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

    /// A state's body under its `Retry` and `Catch`: `inner` (a block yielding
    /// the state's output) runs again per `retry`, and an error it ends with goes
    /// to `catch`; `caught` gives the closure `finish_caught` evaluates a
    /// JSONata catcher's `Output`/`Assign` with (called after the tables are
    /// generated). Without either list the block runs once. Leaves with the
    /// transition to `next`.
    pub(super) fn under_retry_catch(
        &mut self,
        inner: TokenStream,
        next: TokenStream,
        retry: &[Retrier],
        catch: &[Catcher],
        ctx: &MachineCtx,
        caught: impl FnOnce(&mut Self) -> Option<TokenStream>,
    ) -> TokenStream {
        let rt = self.rt.clone();
        if retry.is_empty() && catch.is_empty() && !self.task_token {
            let run_inner = self.run_block(inner);
            return quote! {
                let __result: #rt::Result<#rt::Value, #rt::Error> = #run_inner;
                __st.done(__result, #next)
            };
        }
        let retriers = self.retriers(retry);
        let catchers = self.catchers(catch, ctx);
        let (retry_ref, catch_ref) = (
            Self::table_ref(retry.is_empty(), "__RETRY"),
            Self::table_ref(catch.is_empty(), "__CATCH"),
        );
        let finish = match caught(self) {
            Some(caught) => {
                quote!(__st.finish_caught(__result, #next, #catch_ref, input, #caught))
            }
            None => quote!(__st.finish(__result, #next, #catch_ref, input)),
        };
        quote! {
            #retriers
            #catchers
            // Each attempt is a fresh future over borrowed input: a retry runs it again.
            let __result = {
                let input = &input;
                let __st = &__st;
                __st.retrying(#retry_ref, || async move { #inner }).await
            };
            #finish
        }
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
    pub(super) fn path_const(&self, path: &ReferencePath) -> TokenStream {
        let rt = &self.rt;
        let value = self.path_value_tokens(path);
        quote!(#rt::Some(#value))
    }

    /// One state's `async fn`.
    pub(super) fn state(
        &mut self,
        state: &State,
        function: &Ident,
        ctx: &MachineCtx,
    ) -> TokenStream {
        let rt = self.rt.clone();
        self.reads_context = false;
        self.item_reads_context = false;
        self.reports_own_io = false;
        let name = &state.name.value;
        self.state_name.clone_from(name);
        self.jsonata = state.query_language == QueryLanguage::Jsonata;
        self.jsonata_context = false;
        let e = &ctx.enum_name;
        let kind = Ident::new(&state.kind.type_name().to_lowercase(), Span::call_site());
        self.sync_state = is_sync(&state.kind);
        // A machine nested in this state generates its own states inside.
        let outer_top_state = std::mem::replace(&mut self.top_state, ctx.top);
        let body = match &state.kind {
            StateKind::Pass(p) => {
                let next = self.next(&p.transition, ctx);
                let result = match (&p.result, &p.io.parameters) {
                    (Some(r), _) => Some(self.literal(&r.value, "RESULT")),
                    (None, Some(params)) => Some(self.top_template(
                        params,
                        &Env {
                            input: quote!(__eff),
                        },
                        "PARAMETERS",
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
                // TestState's inspection data: the parameters, the raw result
                // (`task*` reports it) and the selected one.
                let selector = self
                    .result_selector_value(&t.io)
                    .map(|value| self.inspected("__res", "afterResultSelector", value));
                // `Credentials` are evaluated like the parameters, after them.
                let credentials = t.credentials.as_ref().map(|c| {
                    if self.jsonata {
                        self.jsonata_value(c, "Credentials", quote!(__scope))
                    } else {
                        self.top_template(
                            c,
                            &Env {
                                input: quote!(__eff),
                            },
                            "CREDENTIALS",
                        )
                    }
                });
                let timed = t.timeout_seconds.is_some() || t.heartbeat_seconds.is_some();
                // `task` and `task_timed` report the parameters to TestState
                // themselves; with `Credentials`, they are reported before the
                // credentials are evaluated.
                let inspect_params = self.inspected("__params", "afterParameters", params.clone());
                let result = match credentials {
                    None if !timed => quote! {
                        let __params = #params;
                        let __res = __st.task(#resource, __params).await?;
                        #selector
                    },
                    // Evaluated in AWS's order: the timeouts, then the parameters.
                    None => quote! {
                        let __timeout = #timeout;
                        let __heartbeat = #heartbeat;
                        let __params = #params;
                        let __res = __st.task_timed(#resource, __params, __timeout, __heartbeat).await?;
                        #selector
                    },
                    Some(credentials) => {
                        let (bind_timeouts, timeouts) = if timed {
                            (
                                quote!(let __timeout = #timeout; let __heartbeat = #heartbeat;),
                                quote!(__timeout, __heartbeat),
                            )
                        } else {
                            (TokenStream::new(), quote!(#rt::None, #rt::None))
                        };
                        quote! {
                            #bind_timeouts
                            #inspect_params
                            let __credentials = #credentials;
                            let __res = __st.task_as(#resource, __params, __credentials, #timeouts).await?;
                            #selector
                        }
                    }
                };
                self.task_token = asl_lang::integrations::takes_task_token(&t.resource.value.arn);
                let state = self.standard(&t.io, Some(result), next, &t.retry, &t.catch, ctx);
                self.task_token = false;
                state
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
                        #drivers(__st.exec, &__branch_vars, __branch_input.clone()).await
                    })),*];
                    let __res = __st.parallel(#rt::Vec::from(__branches)).await?;
                    #selector
                };
                self.standard(&p.io, Some(result), next, &p.retry, &p.catch, ctx)
            }
            StateKind::Map(m) => {
                let next = self.next(&m.transition, ctx);
                let result = self.map(m);
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
        let reads_context =
            (self.reads_context || self.item_reads_context).then(|| quote!(.reading_context()));
        // A callback or activity Task: each attempt gets its task token
        // before its parameters are evaluated (`$$.Task.Token`).
        let task_token = matches!(&state.kind, StateKind::Task(t)
            if asl_lang::integrations::takes_task_token(&t.resource.value.arn))
        .then(|| quote!(.with_task_token()));
        let top = std::mem::replace(&mut self.top_state, outer_top_state);
        let own_io = (top && self.reports_own_io).then(|| quote!(.reporting_its_own_io()));

        let asyncness = if is_sync(&state.kind) {
            TokenStream::new()
        } else {
            quote!(async)
        };
        // A top-level state is generic over its driver's `HOOKS`, which its
        // execution argument carries: a plain run's copy reports nothing.
        let (hooks, exec_type, run_type) = if top {
            (
                quote!(<const HOOKS: bool>),
                quote!(#rt::TopLevel<'_, HOOKS>),
                quote!(#rt::TopStateRun),
            )
        } else {
            (
                TokenStream::new(),
                quote!(&#rt::Execution),
                quote!(#rt::StateRun),
            )
        };
        quote! {
            #asyncness fn #function #hooks(
                __ex: #exec_type,
                __vars: &#rt::Variables<'_>,
                input: #rt::Value,
            ) -> #rt::Result<#rt::Transition<#e>, #rt::Error> {
                static __STATE: #rt::StateInfo = #rt::StateInfo::#kind(#name)#reads_context #task_token #own_io;
                let __st = #run_type::enter(__ex, &__STATE, &input);
                #body
            }
        }
    }
}

#[cfg(test)]
mod tests {
    /// A callback or activity Task without Retry or Catch still runs its
    /// attempt under `retrying`, where it gets its task token; without it
    /// the Task looked for a handler of its resource and failed.
    #[test]
    fn a_token_task_without_retry_or_catch_gets_its_token() {
        for resource in [
            "arn:aws:states:us-east-1:123456789012:activity:Review",
            "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
        ] {
            let src = format!(
                r#"{{"StartAt": "T", "States": {{"T": {{"Type": "Task", "Resource": "{resource}", "Parameters": {{"QueueUrl": "q", "MessageBody": {{"t.$": "$$.Task.Token"}}}}, "End": true}}}}}}"#
            );
            let tokens = crate::codegen::compile(src.as_bytes(), "t.asl.json", &Default::default())
                .unwrap()
                .to_string();
            assert!(tokens.contains("with_task_token"), "{resource}");
            assert!(tokens.contains("retrying"), "{resource}: {tokens}");
        }
        let plain = br#"{"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage", "Parameters": {"QueueUrl": "q", "MessageBody": "m"}, "End": true}}}"#;
        let tokens = crate::codegen::compile(plain, "t.asl.json", &Default::default())
            .unwrap()
            .to_string();
        assert!(
            !tokens.contains("retrying"),
            "a plain Task runs once, unguarded"
        );
    }
}
