//! Code generation for JSONata states: every `"{% ... %}"` string becomes a
//! `static` [`JsonataExpr`](asl_runtime::jsonata::JsonataExpr), every field that
//! holds expressions below its top a `static` `JsonataTemplate`; the state body
//! binds one `__scope` (`$states.input`, the variables, `$states.context`) and
//! calls the runtime's evaluation helper that checks the type the field needs.
//!
//! Names bound in a JSONata state body: `__jenv` (the variables snapshot and
//! context), `__scope` (a `JsonataScope`; after the work, with `$states.result`).

use crate::rules::Rule;
use proc_macro2::{Ident, TokenStream};
use quote::quote;

use crate::diagnostics::Diagnostic;
use crate::expr::Jsonata;
use crate::model::{self, Catcher, ConditionKind, Io, Retrier, Template, TemplateNode};

use super::{Gen, MachineCtx};

impl Gen<'_> {
    /// A `static` for one expression; returns its name. Notes whether the state
    /// needs `$states.context` built.
    pub(super) fn jsonata_expr(&mut self, j: &Jsonata) -> Ident {
        let rt = self.rt.clone();
        let text = j.expression.trim();
        // `$states.context` (or `$states` whole, which includes it).
        if text.contains("context") || mentions_states_whole(text) {
            self.jsonata_context = true;
        }
        if let Some(name) = self.jsonata_names.get(text) {
            return name.clone();
        }
        let name = self.names.constant("JSONATA", text);
        let function = self.names.function(&format!("jsonata {text}"));
        self.jsonata_names.insert(text.to_string(), name.clone());
        // The native subset becomes Rust; the rest goes to the full evaluator.
        match asl_lang::jsonata::ast::parse(text) {
            Ok(tree) => {
                self.items.push(super::jsonata_native::native_function(
                    &function, &tree, &rt,
                ));
                self.items.push(quote!(
                    static #name: #rt::JsonataExpr = #rt::JsonataExpr::compiled(#text, #function);
                ));
            }
            Err(_) => self
                .items
                .push(quote!(static #name: #rt::JsonataExpr = #rt::JsonataExpr::new(#text);)),
        }
        name
    }

    /// A `JsonataTemplate` value (constant tokens) for a template.
    fn jsonata_template_tokens(&mut self, t: &Template) -> TokenStream {
        let rt = self.rt.clone();
        match &t.node {
            TemplateNode::Object(fields) => {
                let members: Vec<TokenStream> = fields
                    .iter()
                    .map(|f| {
                        if f.dynamic {
                            self.unsupported(
                                &f.name.origin,
                                "a `.$` key in a JSONata state is not evaluated; write the value as \"{% ... %}\"".into(),
                            );
                        }
                        let key = &f.name.value;
                        let value = self.jsonata_template_tokens(&f.value);
                        quote!((#key, #value))
                    })
                    .collect();
                quote!(#rt::JsonataTemplate::Object(&[#(#members),*]))
            }
            TemplateNode::Array(items) => {
                let items: Vec<TokenStream> = items
                    .iter()
                    .map(|i| self.jsonata_template_tokens(i))
                    .collect();
                quote!(#rt::JsonataTemplate::Array(&[#(#items),*]))
            }
            TemplateNode::Literal(v) => literal_template(&rt, v),
            TemplateNode::Jsonata(j) => {
                let name = self.jsonata_expr(j);
                quote!(#rt::JsonataTemplate::Expr(&#name))
            }
            TemplateNode::Expression(_) => {
                self.unsupported(
                    &t.origin,
                    "a JSONPath expression in a JSONata state is not evaluated".into(),
                );
                quote!(#rt::JsonataTemplate::Null)
            }
        }
    }

    /// The value of a JSON-valued field (`Output`, `Arguments`, `Assign`,
    /// `ItemSelector`...) evaluated in `scope`, as an expression of type `Value`
    /// (it uses `?`).
    pub(super) fn jsonata_value(
        &mut self,
        t: &Template,
        field: &str,
        scope: TokenStream,
    ) -> TokenStream {
        let rt = self.rt.clone();
        match &t.node {
            TemplateNode::Jsonata(j) => {
                let name = self.jsonata_expr(j);
                quote!(#name.value(&#scope, #field)?)
            }
            _ => {
                let value = self.jsonata_template_tokens(t);
                let hint = format!("{} {field}", super::names::first_words(&self.state_name, 5));
                let name = self.hoist("", &hint, quote!(#rt::JsonataTemplate), value);
                quote!(#name.eval(&#scope, #field)?)
            }
        }
    }

    /// Binds `__jenv` and `__scope` over `input` for a JSONata state body. Call
    /// after generating the state's expressions (it reads what they need).
    pub(super) fn jsonata_bindings(&mut self, input: TokenStream) -> TokenStream {
        let rt = self.rt.clone();
        let context = if self.jsonata_context {
            self.reads_context = true;
            self.execution_input = true;
            quote!(__ctx.to_value())
        } else {
            quote!(#rt::Value::Null)
        };
        quote! {
            let __jenv = #rt::JsonataEnv::new(__vars, #context);
            let __scope = __jenv.scope(#input);
        }
    }
}

impl Gen<'_> {
    /// A JSONata state's body (Pass, Task, Map, Parallel, Wait, Succeed): the
    /// work (`Arguments`, `Items`...) in `__scope`, then `Output` and `Assign`
    /// both against the old variables (and `$states.result` when there is a
    /// result), then the assignments, under Retry/Catch.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn jsonata_standard(
        &mut self,
        io: &Io,
        prelude: TokenStream,
        result: Option<TokenStream>,
        next: TokenStream,
        retry: &[Retrier],
        catch: &[Catcher],
        ctx: &MachineCtx,
    ) -> TokenStream {
        let rt = self.rt.clone();
        self.reports_own_io = true;
        let guarded = !retry.is_empty() || !catch.is_empty() || self.task_token;
        let raw_owned = if guarded {
            quote!(#rt::Value::clone(&input))
        } else {
            quote!(input)
        };
        let has_result = result.is_some();
        // `$states.result` is bound for `Output` and `Assign`, which read it.
        let with_result = if has_result && (io.output.is_some() || io.assign.is_some()) {
            quote!(let __scope = __scope.with_result(&__res);)
        } else {
            TokenStream::new()
        };
        let output = io
            .output
            .as_ref()
            .map(|t| self.jsonata_value(t, "Output", quote!(__scope)));
        let assign = match &io.assign {
            Some(t) => {
                let value = self.jsonata_value(t, "Assign", quote!(__scope));
                quote!(let __assigned = #value;)
            }
            None => TokenStream::new(),
        };
        let apply_assign = if io.assign.is_some() {
            quote!(__vars.assign(__assigned)?;)
        } else {
            TokenStream::new()
        };
        let (output_value, out) = match output {
            Some(v) => (quote!(let __out = #v;), quote!(__out)),
            None if has_result => (TokenStream::new(), quote!(__res)),
            None => (TokenStream::new(), raw_owned),
        };
        let bindings = self.jsonata_bindings(quote!(&input));
        let result = result.unwrap_or_default();
        let bind_ctx = self.context_binding();
        let before_scope = std::mem::take(&mut self.before_scope);
        let inner = quote! {
            #bind_ctx
            #before_scope
            let __eff = &input;
            #bindings
            #prelude
            #result
            #with_result
            #output_value
            #assign
            #apply_assign
            #rt::Ok(#out)
        };
        self.under_retry_catch(inner, next, retry, catch, ctx, |g| {
            g.jsonata_catch_outputs(catch)
        })
    }

    /// The closure [`finish_caught`] calls when a `Catch` entry with `Output` or
    /// `Assign` takes an error: both are evaluated with `$states.input` = the
    /// state's input and `$states.errorOutput`; the output defaults to the error
    /// output. `None` when no entry has either (the plain `finish` does that).
    fn jsonata_catch_outputs(&mut self, catch: &[Catcher]) -> Option<TokenStream> {
        if catch
            .iter()
            .all(|c| c.output.is_none() && c.assign.is_none())
        {
            return None;
        }
        let rt = self.rt.clone();
        let saved = self.jsonata_context;
        self.jsonata_context = false;
        let mut arms = Vec::new();
        for (i, c) in catch.iter().enumerate() {
            if c.output.is_none() && c.assign.is_none() {
                continue;
            }
            let prefix = format!("Catch[{i}]/");
            let out = match &c.output {
                Some(t) => self.jsonata_value(t, &format!("{prefix}Output"), quote!(__scope)),
                None => quote!(#rt::Value::clone(__error_output)),
            };
            let assign = match &c.assign {
                Some(t) => {
                    let value = self.jsonata_value(t, &format!("{prefix}Assign"), quote!(__scope));
                    quote!(let __assigned = #value; __vars.assign(__assigned)?;)
                }
                None => TokenStream::new(),
            };
            arms.push(quote!(#i => { let __out = #out; #assign #rt::Ok(__out) }));
        }
        let context = if self.jsonata_context {
            self.reads_context = true;
            self.execution_input = true;
            quote!(__st.context().to_value())
        } else {
            quote!(#rt::Value::Null)
        };
        self.jsonata_context = saved;
        Some(quote! {
            |__i: usize, __error_output: &#rt::Value, input: #rt::Value| -> #rt::Result<#rt::Value, #rt::Error> {
                let __jenv = #rt::JsonataEnv::new(__vars, #context);
                let __scope = __jenv.scope(&input).with_error_output(__error_output);
                match __i {
                    #(#arms)*
                    _ => #rt::Ok(#rt::Value::clone(__error_output)),
                }
            }
        })
    }

    /// A JSONata Choice: each rule's `Condition` in order; the first that holds
    /// gives the next state, its own `Output` (else the state's `Output`, else
    /// the input) and its `Assign`. The state's `Assign` applies whichever rule
    /// (or the `Default`) is taken, as AWS documents; every value reads the old
    /// variables, then the state's assignments are made and the rule's after
    /// them (the more specific wins).
    pub(super) fn jsonata_choice(&mut self, c: &model::Choice, ctx: &MachineCtx) -> TokenStream {
        let rt = self.rt.clone();
        let e = &ctx.enum_name;
        let mut branches = Vec::new();
        for (i, rule) in c.choices.iter().enumerate() {
            let field = format!("Choices[{i}]/Condition");
            let holds = match &rule.condition.kind {
                ConditionKind::Jsonata(j) => {
                    let expr = self.jsonata_expr(j);
                    quote!(#expr.boolean(&__scope, #field)?)
                }
                // `"Condition": true` is taken as written.
                ConditionKind::Literal(b) => quote!(#b),
                _ => {
                    self.unsupported(
                        &rule.origin,
                        "a JSONata Choice rule takes a `Condition`".into(),
                    );
                    continue;
                }
            };
            let out = match &rule.output {
                Some(t) => {
                    let v = self.jsonata_value(t, &format!("Choices[{i}]/Output"), quote!(__scope));
                    quote!(#rt::Some(#v))
                }
                None => quote!(#rt::None),
            };
            let assigned = match &rule.assign {
                Some(t) => {
                    let v = self.jsonata_value(t, &format!("Choices[{i}]/Assign"), quote!(__scope));
                    quote!(#rt::Some(#v))
                }
                None => quote!(#rt::None),
            };
            let Some(next) = ctx.variant(&rule.next.value).cloned() else {
                self.diagnostics.push(Diagnostic::new(
                    Rule::UnknownNextState,
                    format!(
                        "`Next` names `{}`, which is not a state of this machine",
                        rule.next.value
                    ),
                    rule.next.origin.clone(),
                ));
                continue;
            };
            branches.push(quote!(if #holds { (#e::#next, #out, #assigned) }));
        }
        let default = match &c.default {
            Some(d) => match ctx.variant(&d.value).cloned() {
                Some(v) => quote!((#e::#v, #rt::None, #rt::None)),
                None => {
                    self.diagnostics.push(Diagnostic::new(
                        Rule::UnknownNextState,
                        format!(
                            "`Default` names `{}`, which is not a state of this machine",
                            d.value
                        ),
                        d.origin.clone(),
                    ));
                    quote!(return #rt::Err(#rt::choice::no_choice_matched()))
                }
            },
            None => quote!(return #rt::Err(#rt::choice::no_choice_matched())),
        };
        let state_output = match &c.io.output {
            Some(t) => self.jsonata_value(t, "Output", quote!(__scope)),
            None => quote!(#rt::Value::clone(&input)),
        };
        let (state_assigned, apply_state) = match &c.io.assign {
            Some(t) => {
                let v = self.jsonata_value(t, "Assign", quote!(__scope));
                (
                    quote!(let __state_assigned = #v;),
                    quote!(__vars.assign(__state_assigned)?;),
                )
            }
            None => (TokenStream::new(), TokenStream::new()),
        };
        let bindings = self.jsonata_bindings(quote!(&input));
        let bind_ctx = self.context_binding();
        let body = self.run_block(quote! {
            #bind_ctx
            #bindings
            let (__next, __rule_out, __rule_assigned): (#e, #rt::Option<#rt::Value>, #rt::Option<#rt::Value>) =
                #(#branches else)* { #default };
            let __out = match __rule_out {
                #rt::Some(__o) => __o,
                #rt::None => #state_output,
            };
            #state_assigned
            #apply_state
            if let #rt::Some(__a) = __rule_assigned {
                __vars.assign(__a)?;
            }
            #rt::Ok((__next, __out))
        });
        quote! {
            let __result: #rt::Result<(#e, #rt::Value), #rt::Error> = #body;
            __st.choose(__result)
        }
    }
}

/// Can an expression of the template read the state's input
/// (`$states.input`, or `$states` as a whole)? Only `$states.result`,
/// `$states.errorOutput` and `$states.context` are known not to.
pub(super) fn reads_states_input(t: &Template) -> bool {
    match &t.node {
        TemplateNode::Jsonata(j) => {
            let text = &j.expression;
            text.match_indices("$states").any(|(i, m)| {
                let rest = &text[i + m.len()..];
                ![".result", ".errorOutput", ".context"]
                    .iter()
                    .any(|member| rest.starts_with(member))
            })
        }
        TemplateNode::Object(fields) => fields.iter().any(|f| reads_states_input(&f.value)),
        TemplateNode::Array(items) => items.iter().any(reads_states_input),
        TemplateNode::Literal(_) | TemplateNode::Expression(_) => false,
    }
}

/// Does the expression read `$states` as a whole (`$states`, `$states ~> ...`),
/// which contains the context object?
fn mentions_states_whole(text: &str) -> bool {
    text.match_indices("$states").any(|(i, m)| {
        !text[i + m.len()..]
            .chars()
            .next()
            .is_some_and(|c| c == '.' || c.is_alphanumeric() || c == '_')
    })
}

fn literal_template(rt: &TokenStream, v: &serde_json::Value) -> TokenStream {
    use serde_json::Value;
    match v {
        Value::Null => quote!(#rt::JsonataTemplate::Null),
        Value::Bool(b) => quote!(#rt::JsonataTemplate::Bool(#b)),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                quote!(#rt::JsonataTemplate::Int(#i))
            } else if let Some(u) = n.as_u64() {
                quote!(#rt::JsonataTemplate::UInt(#u))
            } else {
                let f = n.as_f64().unwrap_or(0.0);
                quote!(#rt::JsonataTemplate::Float(#f))
            }
        }
        Value::String(s) => quote!(#rt::JsonataTemplate::Str(#s)),
        Value::Array(items) => {
            let items = items.iter().map(|i| literal_template(rt, i));
            quote!(#rt::JsonataTemplate::Array(&[#(#items),*]))
        }
        Value::Object(members) => {
            let members = members.iter().map(|(k, v)| {
                let v = literal_template(rt, v);
                quote!((#k, #v))
            });
            quote!(#rt::JsonataTemplate::Object(&[#(#members),*]))
        }
    }
}
