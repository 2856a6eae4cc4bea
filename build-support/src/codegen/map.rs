//! Map states: items, the item selector, concurrency and tolerated failures, and
//! the item processor's driver (a plain `fn` when no state of it can wait).

use super::*;

impl Gen<'_> {
    pub(super) fn map(&mut self, m: &model::Map) -> TokenStream {
        let rt = self.rt.clone();
        // Items that are part of the state's input are iterated in place
        // (borrowed); computed ones are owned by the state for its run.
        // A JSONata Map whose input nothing reads after its items takes them
        // out of it instead, so that each iteration owns its item.
        let taken = self.items_taken_from_input(m);
        let items = match (&m.items, &m.items_path) {
            (Some(t), _) => match &t.node {
                model::TemplateNode::Jsonata(j) => {
                    let expr = self.jsonata_expr(j);
                    let evaluated = quote!(#rt::Cow::Owned(#expr.array(&__scope, "Items")?));
                    match input_member_path(&j.expression) {
                        // A path of member names from `$states.input` that ends
                        // on an array gives that array, which the iterations
                        // borrow where it stands; anything else (nothing there,
                        // not an array) is evaluated for its value or error.
                        Some(names) => quote! {
                            match #rt::jx::path(#rt::Some(__eff), &[#(#names),*]) {
                                #rt::Some(#rt::Cow::Borrowed(#rt::Value::Array(__array))) => #rt::Cow::Borrowed(&__array[..]),
                                _ => #evaluated,
                            }
                        },
                        None => evaluated,
                    }
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
                self.in_item_selector = true;
                let value = self.template(
                    t,
                    &Env {
                        input: quote!(__eff),
                    },
                    "",
                );
                self.in_item_selector = false;
                (quote!(#value), self.reads_context)
            }
            None => (quote!(#rt::Value::clone(__item)), false),
        };
        self.reads_context = outer_reads_context;
        self.jsonata_context = saved_jsonata_context;
        let mut item_ctx = if selector_ctx && !self.jsonata {
            quote!(let __ctx = __st.context().with_map_item(__index, __item);)
        } else {
            TokenStream::new()
        };
        if m.processor_config.mode == model::ProcessorMode::Distributed {
            let settings = quote! {
                #rt::MapRunSettings {
                    max_concurrency: #max_concurrency,
                    tolerance: #rt::Tolerance { count: #count, percentage: #percentage },
                    ..::core::default::Default::default()
                }
            };
            return self.distributed_map(
                m,
                items,
                settings,
                selector,
                item_ctx,
                (outer_reads_context, selector_ctx),
            );
        }
        // ItemBatcher: the ItemSelector applies to each item, then the selected
        // items are cut into batches, and each batch is one iteration's input.
        let (items, selector) = match &m.item_batcher {
            Some(b) => {
                let batch = self.item_batcher(b);
                let selected = if m.item_selector.is_some() {
                    quote! {
                        __items
                            .iter()
                            .enumerate()
                            .map(|(__index, __item)| -> ::core::result::Result<#rt::Value, #rt::Error> {
                                #item_ctx
                                ::core::result::Result::Ok(#selector)
                            })
                            .collect::<::core::result::Result<::std::vec::Vec<#rt::Value>, #rt::Error>>()?
                    }
                } else {
                    quote!(__items.into_owned())
                };
                item_ctx = TokenStream::new();
                (
                    quote!({
                        let __items: #rt::Cow<'_, [#rt::Value]> = #items;
                        let __selected = #selected;
                        #rt::Cow::<'_, [#rt::Value]>::Owned(#batch?)
                    }),
                    quote!(#rt::Value::clone(__item)),
                )
            }
            None => (items, selector),
        };
        let saved = (self.jsonata, self.jsonata_context);
        let (driver, plain_fn) = self.machine_with(&m.item_processor, true);
        (self.jsonata, self.jsonata_context) = saved;
        self.sync_state = false;
        let never_waits = never_waits(&m.item_processor);
        // `$$` read by the ItemSelector is bound per item (`item_ctx`), not
        // in the state's body.
        self.reads_context = outer_reads_context;
        self.item_reads_context |= selector_ctx;
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
            quote!(#driver(__st.exec, &__iteration_vars, __iteration_input)#dot_await)
        };
        let selector_result = self.result_selector(&m.io);
        if plain_fn {
            // Iterations that never wait are plain calls, one after another
            // (`map_sync`); a MaxConcurrencyPath or JSONata MaxConcurrency is
            // still evaluated for its errors, a literal is not needed.
            let max_concurrency = match &m.max_concurrency {
                None | Some(Dynamic::Literal(_)) => TokenStream::new(),
                Some(_) => quote!(let _: usize = #max_concurrency;),
            };
            // Items taken out of the input before `__scope` borrows it; the
            // borrowed or evaluated ones otherwise.
            let items = match taken {
                Some(names) => {
                    self.before_scope = quote! {
                        let mut input = input;
                        let __taken_items = #rt::take_input_items(&mut input, &[#(#names),*]);
                    };
                    quote! {
                        match __taken_items {
                            #rt::Some(__items) => #rt::Cow::Owned(__items),
                            #rt::None => #items,
                        }
                    }
                }
                None => items,
            };
            // Each item comes as a `Cow`: an item the state owns (computed
            // `Items`, batches) becomes its iteration's input without a copy.
            let (bind_item, selector) = if m.item_selector.is_none() || m.item_batcher.is_some() {
                (TokenStream::new(), quote!(#rt::Cow::into_owned(__item)))
            } else {
                (quote!(let __item: &#rt::Value = &__item;), selector)
            };
            return quote! {
                let __items: #rt::Cow<'_, [#rt::Value]> = #items;
                #max_concurrency
                let __tolerance = #rt::Tolerance { count: #count, percentage: #percentage };
                let __res = __st.map_sync(__items, __tolerance, |__index, __item| {
                    #bind_item
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

    /// The member names of `$states.input` whose array a JSONata Map may take
    /// out of its input (none: the input itself, for a Map without `Items`):
    /// when `Items` is such a plain path, each item is its iteration's input
    /// as it stands (no `ItemSelector`, no `ItemBatcher`), and nothing reads
    /// the input after the items are known (no Retry or Catch, which need the
    /// input again; no `Output` or `Assign` reading `$states.input`; no
    /// expression for `MaxConcurrency` or the tolerated failures, which are
    /// evaluated after `Items`). `None` otherwise.
    fn items_taken_from_input(&self, m: &model::Map) -> Option<Vec<String>> {
        let dynamic = |field: &Option<Dynamic<_>>| matches!(field, Some(Dynamic::Jsonata(_)));
        let percentage_dynamic =
            matches!(&m.tolerated_failure_percentage, Some(Dynamic::Jsonata(_)));
        let input_spent = self.jsonata
            && m.processor_config.mode == model::ProcessorMode::Inline
            && m.item_selector.is_none()
            && m.item_batcher.is_none()
            && m.retry.is_empty()
            && m.catch.is_empty()
            && !dynamic(&m.max_concurrency)
            && !dynamic(&m.tolerated_failure_count)
            && !percentage_dynamic
            && !m
                .io
                .output
                .as_ref()
                .is_some_and(super::jsonata::reads_states_input)
            && !m
                .io
                .assign
                .as_ref()
                .is_some_and(super::jsonata::reads_states_input);
        if !input_spent {
            return None;
        }
        match (&m.items, &m.items_path) {
            (Some(t), _) => match &t.node {
                model::TemplateNode::Jsonata(j) => input_member_path(&j.expression),
                _ => None,
            },
            (None, None) => Some(Vec::new()),
            (None, Some(_)) => None,
        }
    }

    /// `ItemBatcher`: the call of `__st.batch_items` on `__selected` with the
    /// batch limits and `BatchInput`.
    fn item_batcher(&mut self, b: &model::ItemBatcher) -> TokenStream {
        let (max_items, max_bytes, batch_input) = self.batcher_fields(b);
        quote!(__st.batch_items(__selected, #max_items, #max_bytes, #batch_input))
    }

    /// A distributed Map: a Map Run (`__st.map_run`) over the items of the
    /// input or of the `ItemReader`, each child execution one run of the item
    /// processor's driver.
    fn distributed_map(
        &mut self,
        m: &model::Map,
        items: TokenStream,
        settings: TokenStream,
        selector: TokenStream,
        item_ctx: TokenStream,
        (reads_context, item_reads_context): (bool, bool),
    ) -> TokenStream {
        let rt = self.rt.clone();
        let source = match &m.item_reader {
            Some(r) => {
                let reader = self.item_reader(r);
                quote!(#rt::MapRunItems::Reader(#reader))
            }
            None => quote!(#rt::MapRunItems::Items(#items)),
        };
        let batcher = match &m.item_batcher {
            Some(b) => {
                let (max_items, max_bytes, batch_input) = self.batcher_fields(b);
                quote!(#rt::Some(#rt::BatcherSpec { max_items: #max_items, max_bytes: #max_bytes, batch_input: #batch_input }))
            }
            None => quote!(#rt::None),
        };
        let writer = match &m.result_writer {
            Some(w) => {
                let parameters = match &w.parameters {
                    Some(t) if w.resource.is_some() => {
                        let value = self.io_template(t, "Arguments");
                        quote!(#rt::Some(#value))
                    }
                    _ => quote!(#rt::None),
                };
                let config = match &w.writer_config {
                    Some(c) => {
                        let text = c.value.to_string();
                        quote!(#rt::Some(#text))
                    }
                    None => quote!(#rt::None),
                };
                quote!(#rt::Some(#rt::ResultWriterSpec { parameters: #parameters, config: #config }))
            }
            None => quote!(#rt::None),
        };
        let label = match &m.label {
            Some(l) => {
                let l = &l.value;
                quote!(#rt::Some(#l))
            }
            None => quote!(#rt::None),
        };
        // A STANDARD child is an execution of the store (in a durable
        // execution); an EXPRESS one runs in memory.
        let standard = m
            .processor_config
            .execution_type
            .as_ref()
            .is_some_and(|t| t.value == model::ExecutionType::Standard);
        let saved = (self.jsonata, self.jsonata_context);
        let (driver, plain_fn) = self.machine_with(&m.item_processor, true);
        (self.jsonata, self.jsonata_context) = saved;
        self.sync_state = false;
        self.reads_context = reads_context;
        self.item_reads_context |= item_reads_context;
        let dot_await = if plain_fn {
            TokenStream::new()
        } else {
            quote!(.await)
        };
        let selector_result = self.result_selector(&m.io);
        // The item's index is read by `$$.Map.Item.Index` only.
        let reads_index = !item_ctx.is_empty() || selector.to_string().contains("__index");
        let index = if reads_index {
            quote!(__index)
        } else {
            quote!(_)
        };
        quote! {
            let __settings = #rt::MapRunSettings {
                label: #label,
                batcher: #batcher,
                writer: #writer,
                standard: #standard,
                ..#settings
            };
            let __res = __st
                .map_run(
                    #source,
                    __settings,
                    |#index: usize, __item: &#rt::Value| -> ::core::result::Result<#rt::Value, #rt::Error> {
                        #item_ctx
                        ::core::result::Result::Ok(#selector)
                    },
                    move |__child, __iteration_input| async move {
                        let __iteration_vars = __vars.child();
                        #driver(&__child, &__iteration_vars, __iteration_input)#dot_await
                    },
                )
                .await?;
            #selector_result
        }
    }

    /// An `ItemReader`, evaluated: its `Parameters`/`Arguments` over the
    /// state's input, `MaxItems`(`Path`).
    fn item_reader(&mut self, r: &model::ItemReader) -> TokenStream {
        let rt = self.rt.clone();
        let resource = &r.resource.value;
        let parameters = match &r.parameters {
            Some(t) => self.io_template(t, "Arguments"),
            None => quote!(#rt::Value::Null),
        };
        let config = r
            .reader_config
            .as_ref()
            .map_or_else(|| "{}".to_string(), |c| c.value.to_string());
        let max_items = match &r.max_items {
            None => quote!(#rt::None),
            Some(Dynamic::Literal(n)) => {
                let n = i64::try_from(n.value).unwrap_or(i64::MAX);
                quote!(#rt::Some(#n))
            }
            Some(Dynamic::Path(p)) => {
                let v = self.dynamic_number(p, "max_items_path");
                quote!(#rt::Some(#v))
            }
            Some(Dynamic::Jsonata(j)) => {
                let expr = self.jsonata_expr(&j.value);
                quote!(#rt::Some(i64::try_from(#rt::jsonata_count(&#expr, &__scope, "MaxItems")?).unwrap_or(i64::MAX)))
            }
        };
        quote! {
            #rt::ItemReaderSpec {
                resource: #resource,
                parameters: #parameters,
                config: #config,
                max_items: #max_items,
            }
        }
    }

    /// The `Parameters` (JSONPath, over the state's input) or `Arguments`
    /// (JSONata) of a reader or writer.
    fn io_template(&mut self, t: &model::Template, what: &str) -> TokenStream {
        if self.jsonata {
            self.jsonata_value(t, what, quote!(__scope))
        } else {
            self.template(
                t,
                &Env {
                    input: quote!(__eff),
                },
                "",
            )
        }
    }

    /// `ItemBatcher`'s `MaxItemsPerBatch`(`Path`), `MaxInputBytesPerBatch`(`Path`)
    /// and `BatchInput`, each an expression of an `Option`.
    fn batcher_fields(
        &mut self,
        b: &model::ItemBatcher,
    ) -> (TokenStream, TokenStream, TokenStream) {
        let rt = self.rt.clone();
        let mut limit = |field: &Option<Dynamic<u64>>, helper: &str, name: &str| match field {
            None => quote!(#rt::None),
            Some(Dynamic::Literal(n)) => {
                let n = n.value;
                quote!(#rt::Some(#n))
            }
            Some(Dynamic::Path(p)) => {
                let v = self.dynamic_number(p, helper);
                quote!(#rt::Some(#v))
            }
            Some(Dynamic::Jsonata(j)) => {
                let expr = self.jsonata_expr(&j.value);
                quote!(#rt::Some(#rt::jsonata_count(&#expr, &__scope, #name)?))
            }
        };
        let max_items = limit(
            &b.max_items_per_batch,
            "max_items_per_batch_path",
            "MaxItemsPerBatch",
        );
        let max_bytes = limit(
            &b.max_input_bytes_per_batch,
            "max_input_bytes_per_batch_path",
            "MaxInputBytesPerBatch",
        );
        let batch_input = match &b.batch_input {
            None => quote!(#rt::None),
            Some(t) if self.jsonata => {
                let value = self.jsonata_value(t, "BatchInput", quote!(__scope));
                quote!(#rt::Some(#value))
            }
            Some(t) => {
                let value = self.template(
                    t,
                    &Env {
                        input: quote!(__eff),
                    },
                    "",
                );
                quote!(#rt::Some(#value))
            }
        };
        (max_items, max_bytes, batch_input)
    }

    /// A `...Path` number field of a Map, validated by the runtime helper `f`.
    pub(super) fn dynamic_number(
        &mut self,
        p: &model::Spanned<Expression>,
        f: &str,
    ) -> TokenStream {
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
}

/// The member names of a JSONata expression that is a plain path from
/// `$states.input` (`$states.input.order.items`): no index, no filter.
fn input_member_path(expression: &str) -> Option<Vec<String>> {
    use asl_lang::jsonata::ast::{Expr, Root, StatesMember, parse};
    match parse(expression.trim()).ok()? {
        Expr::Path {
            root: Root::States(StatesMember::Input),
            root_index: None,
            steps,
        } if steps.iter().all(|s| s.index.is_none()) => {
            Some(steps.into_iter().map(|s| s.name).collect())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    fn expand(extra: &str) -> String {
        let src = format!(
            r#"{{"QueryLanguage": "JSONata", "StartAt": "M", "States": {{
                "M": {{"Type": "Map", "Items": "{{% $states.input.items %}}",
                       "ItemProcessor": {{"StartAt": "P", "States": {{"P": {{"Type": "Pass", "End": true}}}}}}
                       {extra}, "Next": "Done"}},
                "Done": {{"Type": "Succeed"}}}}}}"#
        );
        crate::codegen::compile(src.as_bytes(), "t.asl.json", &Default::default())
            .unwrap()
            .to_string()
    }

    /// A JSONata Map hands its items to its iterations by value, taken out
    /// of its input, only when nothing reads that input after `Items`.
    #[test]
    fn a_jsonata_map_takes_its_items_only_from_an_input_nothing_reads_again() {
        let takes = |extra: &str| expand(extra).contains("take_input_items");
        assert!(takes(""));
        assert!(takes(r#", "Output": "{% $states.result %}""#));
        assert!(takes(
            r#", "Assign": {"n": "{% $count($states.result) %}"}"#
        ));
        assert!(!takes(r#", "Output": "{% $states.input %}""#));
        assert!(!takes(r#", "Output": {"all": "{% $states %}"}"#));
        assert!(!takes(r#", "Assign": {"x": "{% $states.input.x %}"}"#));
        assert!(!takes(r#", "Retry": [{"ErrorEquals": ["States.ALL"]}]"#));
        assert!(!takes(
            r#", "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Done"}]"#
        ));
        assert!(!takes(
            r#", "MaxConcurrency": "{% $count($states.input.items) %}""#
        ));
        assert!(!takes(
            r#", "ItemSelector": {"v": "{% $states.context.Map.Item.Value %}"}"#
        ));
    }
}
