//! Input and output processing around a state's work, in AWS's order:
//! `InputPath`, `Parameters`/`Arguments`, `ResultSelector`, `Assign` (its
//! values; they are written after `OutputPath`), `ResultPath`, `OutputPath`,
//! under Retry/Catch; timeouts from `...Path` fields.

use super::*;

impl Gen<'_> {
    /// `Assign`: every value is evaluated (with `$` = `input`), then all are
    /// written to the state's variable scope.
    pub(super) fn assign(
        &mut self,
        assign: Option<&model::Template>,
        input: TokenStream,
    ) -> TokenStream {
        match assign {
            Some(t) => {
                let value = self.top_template(t, &Env { input }, "ASSIGN");
                quote!(__vars.assign(#value)?;)
            }
            None => TokenStream::new(),
        }
    }

    /// `Assign` evaluated now and written later: every value is evaluated
    /// (with `$` = `input`) against the variables as the state found them, and
    /// the other fields of the state that read variables after this point
    /// (`OutputPath`) still see those; the returned second half writes the
    /// values, last thing before the state ends (AWS's "Passing data between
    /// states with variables": assignments take effect when the state is done).
    /// Both halves are empty without `Assign`.
    pub(super) fn deferred_assign(
        &mut self,
        assign: Option<&model::Template>,
        input: TokenStream,
    ) -> (TokenStream, TokenStream) {
        match assign {
            Some(t) => {
                let value = self.top_template(t, &Env { input }, "ASSIGN");
                (
                    quote!(let __assigned = #value;),
                    quote!(__vars.assign(__assigned)?;),
                )
            }
            None => (TokenStream::new(), TokenStream::new()),
        }
    }

    /// What a Task or Parallel works on: `Parameters` (JSONPath), `Arguments`
    /// (JSONata), or the effective input.
    pub(super) fn payload(&mut self, io: &Io) -> TokenStream {
        let rt = self.rt.clone();
        match (&io.parameters, &io.arguments) {
            (Some(p), _) => self.top_template(
                p,
                &Env {
                    input: quote!(__eff),
                },
                "PARAMETERS",
            ),
            (None, Some(a)) => self.jsonata_value(a, "Arguments", quote!(__scope)),
            (None, None) => quote!(#rt::Value::clone(__eff)),
        }
    }

    pub(super) fn result_selector(&mut self, io: &Io) -> TokenStream {
        match self.result_selector_value(io) {
            Some(value) => quote!(let __res = #value;),
            None => TokenStream::new(),
        }
    }

    /// `ResultSelector`'s value over `__res`, if the state has one.
    pub(super) fn result_selector_value(&mut self, io: &Io) -> Option<TokenStream> {
        let t = io.result_selector.as_ref()?;
        Some(self.top_template(
            t,
            &Env {
                input: quote!(&__res),
            },
            "RESULT_SELECTOR",
        ))
    }

    /// `TimeoutSeconds(Path)` / `HeartbeatSeconds(Path)` as `Option<Duration>`.
    pub(super) fn seconds(
        &mut self,
        field: Option<&Dynamic<u64>>,
        path_field: &str,
    ) -> TokenStream {
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
    pub(super) fn standard(
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
    pub(super) fn standard_with_prelude(
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
        // Without InputPath and OutputPath, the engine reports the state's
        // input and output to TestState (`StateInfo::plain_io`); otherwise
        // the code below reports its steps.
        let plain_io = io.input_path.is_none() && io.output_path.is_none();
        self.reports_own_io = !plain_io;
        let guarded = !retry.is_empty() || !catch.is_empty() || self.task_token;
        // Without Retry/Catch the body owns the input; otherwise it borrows it,
        // since a retry runs it again and a Catch needs the raw input (and a
        // callback or activity Task runs under `retrying` for its token).
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
        // The output before `OutputPath` (TestState's `afterResultPath`).
        let with_result = match result_path {
            None => Some(quote!(__res)),
            Some(Nullable { value: None, .. }) => Some(raw_owned.clone()),
            Some(Nullable { value: Some(_), .. }) if result_is_root => Some(quote!(__res)),
            Some(Nullable {
                value: Some(p),
                origin,
            }) => self.check_root(&p.root, &p.text, origin).then(|| {
                let sp = self.static_path(p);
                quote!(#sp.apply_result(#raw_owned, __res)?)
            }),
        };
        let output = self.output_path(io, quote!(__out));
        // Assign reads the result (`$`) before ResultPath takes it; its values
        // are written after OutputPath, which reads the old variables.
        let (assign, assigned) = self.deferred_assign(io.assign.as_ref(), quote!(&__res));
        // The output after ResultPath is the state's output, returned as it
        // is made, when nothing follows it.
        let tail = match &with_result {
            Some(value) if plain_io && assigned.is_empty() => Some(tail_of(&rt, value)),
            _ => None,
        };
        // With plain input and output, the result itself when nothing was
        // made of it (no `let __out = __res;`).
        let output = match &with_result {
            Some(value) if plain_io && value.to_string() == "__res" => quote!(__res),
            _ => output,
        };
        let apply_result = match with_result {
            _ if tail.is_some() => TokenStream::new(),
            Some(value) if plain_io && value.to_string() == "__res" => TokenStream::new(),
            Some(value) if plain_io => quote!(let __out = #value;),
            Some(value) => self.inspected("__out", "afterResultPath", value),
            None => TokenStream::new(),
        };
        let finish = if let Some(tail) = tail {
            tail
        } else if assigned.is_empty() || io.output_path.is_none() {
            quote!(#assigned #rt::Ok(#output))
        } else {
            quote! {
                let __output = #output;
                #assigned
                #rt::Ok(__output)
            }
        };
        // `__ctx` (`$$`) is bound only where a path reads it.
        let bind_ctx = self.context_binding();
        let inspect_input = if plain_io || !self.top_state {
            TokenStream::new()
        } else {
            quote!(__st.inspect("afterInputPath", __eff);)
        };
        let inner = quote! {
            #bind_ctx
            #input_path
            #inspect_input
            #prelude
            #result_tokens
            #assign
            #apply_result
            #finish
        };
        self.under_retry_catch(inner, next, retry, catch, ctx, |g| {
            g.jsonpath_catch_assignments(catch)
        })
    }

    /// The closure [`finish_caught`] calls when a `Catch` entry with `Assign`
    /// takes an error, in a JSONPath state: the assignments are evaluated with
    /// `$` = the error output (`{"Error", "Cause"}`, as `ResultPath` sees it)
    /// and `$$` = the state's context, against the variables as they were,
    /// then the output is the input with the error output at the entry's
    /// `ResultPath`. `None` when no entry assigns (the plain `finish` does that).
    fn jsonpath_catch_assignments(&mut self, catch: &[Catcher]) -> Option<TokenStream> {
        if catch.iter().all(|c| c.assign.is_none()) {
            return None;
        }
        let rt = self.rt.clone();
        // `$$` in an assignment is bound in the closure, not in the body.
        let outer_reads_context = std::mem::take(&mut self.reads_context);
        let arms: Vec<TokenStream> = catch
            .iter()
            .enumerate()
            .filter_map(|(i, c)| {
                let assign = self.assign(c.assign.as_ref(), quote!(__error_output));
                (!assign.is_empty()).then(|| quote!(if __i == #i { #assign }))
            })
            .collect();
        let bind_ctx = self.context_binding();
        self.reads_context |= outer_reads_context;
        Some(quote! {
            |__i: usize, __error_output: &#rt::Value, input: #rt::Value| -> #rt::Result<#rt::Value, #rt::Error> {
                #bind_ctx
                #(#arms)*
                __CATCH[__i].output(input, #rt::Value::clone(__error_output))
            }
        })
    }

    /// Binds `__eff: &Value`, the effective input.
    pub(super) fn input_path(&mut self, io: &Io) -> TokenStream {
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
    pub(super) fn output_path(&mut self, io: &Io, source: TokenStream) -> TokenStream {
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
}

/// A body's last expression, a `Result`, for the value it yields: a call
/// ending in `?` is the result itself, anything else is `Ok`.
fn tail_of(rt: &TokenStream, value: &TokenStream) -> TokenStream {
    let mut tokens: Vec<proc_macro2::TokenTree> = value.clone().into_iter().collect();
    match tokens.last() {
        Some(proc_macro2::TokenTree::Punct(p)) if p.as_char() == '?' => {
            tokens.pop();
            tokens.into_iter().collect()
        }
        _ => quote!(#rt::Ok(#value)),
    }
}

impl Gen<'_> {
    /// `let <name> = <value>;`, in a top-level state reported to a TestState
    /// run as `step`: folded into one `__st.inspected(step, value)` when the
    /// value is short (a name, a clone), else a `let` and an `inspect` after
    /// it, which read better than a long value nested in the call.
    pub(super) fn inspected(&self, name: &str, step: &str, value: TokenStream) -> TokenStream {
        let name = proc_macro2::Ident::new(name, proc_macro2::Span::call_site());
        // What fits on the line with the call (`__res`, `input`, a clone).
        const SHORT: usize = 40;
        if !self.top_state {
            quote!(let #name = #value;)
        } else if value.to_string().len() > SHORT {
            quote!(let #name = #value; __st.inspect(#step, &#name);)
        } else {
            quote!(let #name = __st.inspected(#step, #value);)
        }
    }
}
