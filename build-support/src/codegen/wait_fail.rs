//! Wait (seconds, timestamps, their `...Path` and JSONata forms) and Fail
//! (error and cause) states.

use super::*;

impl Gen<'_> {
    pub(super) fn wait(&mut self, duration: &WaitDuration) -> TokenStream {
        match duration {
            WaitDuration::Seconds(Dynamic::Literal(n)) => {
                let n = n.value;
                quote!(__st.wait_seconds(#n).await?;)
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
                        __st.wait_until(__t).await?;
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
                quote!(__st.wait_seconds(#rt::jsonata_count(&#expr, &__scope, "Seconds")?).await?;)
            }
            WaitDuration::Timestamp(Dynamic::Jsonata(j)) => {
                let rt = &self.rt.clone();
                let expr = self.jsonata_expr(&j.value);
                quote!(__st.wait_until(#rt::jsonata_timestamp(&#expr, &__scope)?).await?;)
            }
        }
    }

    pub(super) fn fail(&mut self, f: &model::Fail) -> TokenStream {
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
