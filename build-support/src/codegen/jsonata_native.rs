//! Rust for a JSONata expression of the native subset
//! ([`asl_lang::jsonata::ast`]): one function per expression, of calls to the
//! runtime's `jsonata::compiled` helpers (`__asl::jx`) in the order its tree
//! walker makes them, so the two agree by construction.
//!
//! Every node becomes an expression of type `jx::J<'_>` (a value or nothing,
//! borrowed from the scope where it can be); a helper that meets a value native
//! code does not handle returns `Bail` through `?`, and the runtime hands the
//! expression to the full evaluator. Lambda parameters become locals named
//! `__l_<name>`.

use asl_lang::jsonata::ast::{BinaryOp, Expr, Function, Root, StatesMember};
use proc_macro2::{Ident, Literal, TokenStream};
use quote::{format_ident, quote};

/// The item `fn <name>(cx: &jx::Cx<'_>) -> Result<Option<Value>, jx::Bail>`.
pub(super) fn native_function(name: &Ident, tree: &Expr, rt: &TokenStream) -> TokenStream {
    let body = Native { rt }.expr(tree);
    quote! {
        #[allow(unused_variables, unused_mut, unused_braces, clippy::all)]
        fn #name<'a>(cx: &#rt::jx::Cx<'a>) -> #rt::Result<#rt::Option<#rt::Value>, #rt::jx::Bail> {
            #rt::jx::finish(#body)
        }
    }
}

struct Native<'r> {
    rt: &'r TokenStream,
}

/// The Rust name of a lambda parameter.
fn local(name: &str) -> Ident {
    let mut ident = String::from("__l_");
    for c in name.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            ident.push(c);
        } else {
            ident.push_str(&format!("_u{:x}_", c as u32));
        }
    }
    format_ident!("{}", ident)
}

/// The helper's name: JSONata's, in snake case (`substringBefore` →
/// `substring_before`).
fn helper(function: Function) -> Ident {
    let mut name = String::new();
    for c in function.name().chars() {
        if c.is_ascii_uppercase() {
            name.push('_');
            name.push(c.to_ascii_lowercase());
        } else {
            name.push(c);
        }
    }
    format_ident!("{}", name)
}

impl Native<'_> {
    fn expr(&self, e: &Expr) -> TokenStream {
        let rt = self.rt;
        match e {
            Expr::Null => quote!(#rt::jx::null()),
            Expr::Bool(b) => quote!(#rt::jx::boolean(#b)),
            Expr::Number(n) => {
                let n = Literal::f64_suffixed(*n);
                quote!(#rt::jx::number(#n))
            }
            Expr::String(s) => quote!(#rt::jx::string(#s)),
            Expr::Path { root, steps } => {
                let root = match root {
                    Root::States(member) => {
                        let member = match member {
                            StatesMember::Input => quote!(Input),
                            StatesMember::Result => quote!(Result),
                            StatesMember::ErrorOutput => quote!(ErrorOutput),
                            StatesMember::Context => quote!(Context),
                        };
                        quote!(cx.states(#rt::jx::StatesMember::#member))
                    }
                    Root::Variable(name) => quote!(cx.variable(#name)),
                    Root::Local(name) => {
                        let local = local(name);
                        quote!(#local.as_deref())
                    }
                };
                quote!(#rt::jx::path(#root, &[#(#steps),*]))
            }
            Expr::Array(items) => {
                let pushes = items.iter().map(|item| {
                    let value = self.expr(item);
                    let push = if matches!(item, Expr::Array(_)) {
                        quote!(push_array)
                    } else {
                        quote!(push)
                    };
                    quote! {{
                        let __value = #value;
                        #rt::jx::#push(&mut __items, __value);
                    }}
                });
                let n = items.len();
                quote! {{
                    let mut __items = #rt::Vec::with_capacity(#n);
                    #(#pushes)*
                    #rt::jx::array(__items)
                }}
            }
            Expr::Object(members) => {
                let puts = members.iter().map(|(key, value)| {
                    let value = self.expr(value);
                    quote! {{
                        let __value = #value;
                        #rt::jx::put(&mut __members, #key, __value);
                    }}
                });
                let n = members.len();
                quote! {{
                    let mut __members = #rt::Map::with_capacity(#n);
                    #(#puts)*
                    #rt::jx::object(__members)
                }}
            }
            Expr::Negate(x) => {
                let x = self.expr(x);
                quote!(#rt::jx::negate(#x)?)
            }
            Expr::Binary(op, l, r) => {
                let (l, r) = (self.expr(l), self.expr(r));
                let name = format_ident!("{}", format!("{op:?}"));
                let op_tokens = quote!(#rt::jx::BinaryOp::#name);
                match op {
                    BinaryOp::And => {
                        quote!(#rt::jx::boolean(#rt::jx::truthy(&#l) && #rt::jx::truthy(&#r)))
                    }
                    BinaryOp::Or => {
                        quote!(#rt::jx::boolean(#rt::jx::truthy(&#l) || #rt::jx::truthy(&#r)))
                    }
                    BinaryOp::Equal | BinaryOp::NotEqual => {
                        quote!(#rt::jx::equality(#op_tokens, #l, #r))
                    }
                    BinaryOp::Less
                    | BinaryOp::LessOrEqual
                    | BinaryOp::Greater
                    | BinaryOp::GreaterOrEqual => quote!(#rt::jx::compare(#op_tokens, #l, #r)?),
                    BinaryOp::Concat => quote!(#rt::jx::concat(#l, #r)?),
                    _ => quote!(#rt::jx::arithmetic(#op_tokens, #l, #r)?),
                }
            }
            Expr::Condition(test, then, otherwise) => {
                let (test, then) = (self.expr(test), self.expr(then));
                let otherwise = match otherwise {
                    Some(o) => self.expr(o),
                    None => quote!(#rt::None),
                };
                quote! {
                    if #rt::jx::truthy(&#test) { #then } else { #otherwise }
                }
            }
            Expr::Call(function, args) => self.call(*function, args),
            // The parser admits a lambda only as an argument `call` handles.
            Expr::Lambda(..) => quote!(#rt::Err::<#rt::jx::J<'_>, _>(#rt::jx::Bail)?),
        }
    }

    fn call(&self, function: Function, args: &[Expr]) -> TokenStream {
        let rt = self.rt;
        let f = helper(function);
        let out = quote!(#rt::Result<#rt::Option<#rt::Value>, #rt::jx::Bail>);
        let bind = |params: &[String], values: &[TokenStream]| -> Vec<TokenStream> {
            params
                .iter()
                .zip(values)
                .map(|(p, v)| {
                    let l = local(p);
                    quote!(let #l: #rt::jx::J<'_> = #v;)
                })
                .collect()
        };
        match (function, args) {
            (Function::Map | Function::Filter, [array, Expr::Lambda(params, body)]) => {
                let array = self.expr(array);
                let body = self.expr(body);
                let binds = bind(
                    params,
                    &[
                        quote!(#rt::Some(#rt::Cow::Borrowed(__item))),
                        quote!(#rt::Some(#rt::Cow::Owned(#rt::Value::from(__index)))),
                        quote!(#rt::Some(#rt::Cow::Borrowed(__array))),
                    ],
                );
                quote! {
                    #rt::jx::functions::#f(#array, |__item: &#rt::Value, __index: usize, __array: &#rt::Value| -> #out {
                        #(#binds)*
                        #rt::jx::finish(#body)
                    })?
                }
            }
            (Function::Reduce, [array, Expr::Lambda(params, body), init @ ..]) => {
                let array = self.expr(array);
                let body = self.expr(body);
                let init = match init.first() {
                    Some(i) => self.expr(i),
                    None => quote!(#rt::None),
                };
                let binds = bind(
                    params,
                    &[
                        quote!(__acc.map(#rt::Cow::Borrowed)),
                        quote!(#rt::Some(#rt::Cow::Borrowed(__item))),
                        quote!(#rt::Some(#rt::Cow::Owned(#rt::Value::from(__index)))),
                        quote!(#rt::Some(#rt::Cow::Borrowed(__array))),
                    ],
                );
                quote! {
                    #rt::jx::functions::reduce(#array, |__acc: #rt::Option<&#rt::Value>, __item: &#rt::Value, __index: usize, __array: &#rt::Value| -> #out {
                        #(#binds)*
                        #rt::jx::finish(#body)
                    }, #init)?
                }
            }
            (Function::Now | Function::Millis, _) => quote!(#rt::jx::functions::#f(cx)?),
            (Function::Uuid, _) => quote!(#rt::jx::functions::uuid()?),
            _ => {
                let (_, most) = function.arity();
                let values = (0..most).map(|i| match args.get(i) {
                    Some(a) => self.expr(a),
                    None => quote!(#rt::None),
                });
                quote!(#rt::jx::functions::#f(#(#values),*)?)
            }
        }
    }
}
