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
}
