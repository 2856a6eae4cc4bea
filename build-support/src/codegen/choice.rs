//! JSONPath Choice states: the rules in order as an `if` chain, `Default`, and the
//! `Assign` of the rule taken. (JSONata Choice states are in `jsonata.rs`.)

use super::*;

impl Gen<'_> {
    pub(super) fn choice(&mut self, c: &model::Choice, ctx: &MachineCtx) -> TokenStream {
        if self.jsonata {
            return self.jsonata_choice(c, ctx);
        }
        let rt = self.rt.clone();
        let e = &ctx.enum_name;
        let input_path = self.input_path(&c.io);
        let env = Env {
            input: quote!(__eff),
        };
        // Every Assign (the rule's taken, or the state's on the Default) is
        // evaluated when its branch is chosen and written after OutputPath,
        // which still reads the variables as the state found them.
        let assigns = c.io.assign.is_some() || c.choices.iter().any(|r| r.assign.is_some());
        let chosen = |this: &mut Self, next: TokenStream, assign: Option<&model::Template>| {
            if !assigns {
                return next;
            }
            match assign {
                Some(t) => {
                    let value = this.top_template(
                        t,
                        &Env {
                            input: quote!(__eff),
                        },
                        "ASSIGN",
                    );
                    quote!((#next, #rt::Some(#value)))
                }
                None => quote!((#next, #rt::None)),
            }
        };
        let mut branches = Vec::new();
        for rule in &c.choices {
            if rule.output.is_some() {
                self.unsupported(
                    &rule.origin,
                    "`Output` in a choice rule is evaluated only in a JSONata state".into(),
                );
            }
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
            let taken = chosen(self, quote!(#e::#next), rule.assign.as_ref());
            branches.push(quote!(if #cond { #taken }));
        }
        // The state's own `Assign` applies when the Default is taken.
        let default = match &c.default {
            Some(d) => match ctx.variant(&d.value) {
                Some(v) => {
                    let taken = chosen(self, quote!(#e::#v), c.io.assign.as_ref());
                    quote!({ #taken })
                }
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
        let body = if assigns {
            self.run_block(quote! {
                #bind_ctx
                #input_path
                let (__next, __assigned): (#e, #rt::Option<#rt::Value>) = #(#branches else)* #default;
                let __out = #owned;
                let __output = #output;
                if let #rt::Some(__a) = __assigned {
                    __vars.assign(__a)?;
                }
                #rt::Ok((__next, __output))
            })
        } else {
            self.run_block(quote! {
                #bind_ctx
                #input_path
                let __next = #(#branches else)* #default;
                let __out = #owned;
                #rt::Ok((__next, #output))
            })
        };
        quote! {
            let __result: #rt::Result<(#e, #rt::Value), #rt::Error> = #body;
            __st.choose(__result)
        }
    }
}
