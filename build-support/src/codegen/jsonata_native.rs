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

/// A finite `f64` as tokens (a negative one as `-(n)`: a literal has no sign).
fn float(n: f64) -> TokenStream {
    let magnitude = Literal::f64_suffixed(n.abs());
    if n < 0.0 {
        quote!(-#magnitude)
    } else {
        quote!(#magnitude)
    }
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

/// How a subtree is generated: as a step (`J<'_>`), or, where it can only be a
/// number or a boolean, as `Option<f64>` / `Option<bool>` (see the runtime's
/// `jx::typed`), so arithmetic and comparisons make no JSON value in between.
enum Typed {
    Number(TokenStream),
    Bool(TokenStream),
    Value(TokenStream),
}

fn is_arithmetic(op: BinaryOp) -> bool {
    matches!(
        op,
        BinaryOp::Add
            | BinaryOp::Subtract
            | BinaryOp::Multiply
            | BinaryOp::Divide
            | BinaryOp::Modulo
    )
}

/// Whether [`Native::typed`] makes `e` a number: a literal, `-x`, arithmetic.
fn is_numeric(e: &Expr) -> bool {
    match e {
        Expr::Number(_) | Expr::Negate(_) => true,
        Expr::Binary(op, _, _) => is_arithmetic(*op),
        _ => false,
    }
}

fn is_ordering(op: BinaryOp) -> bool {
    matches!(
        op,
        BinaryOp::Less | BinaryOp::LessOrEqual | BinaryOp::Greater | BinaryOp::GreaterOrEqual
    )
}

impl Native<'_> {
    fn typed(&self, e: &Expr) -> Typed {
        let rt = self.rt;
        match e {
            Expr::Number(n) => {
                let n = Literal::f64_suffixed(*n);
                Typed::Number(quote!(#rt::Some(#n)))
            }
            Expr::Bool(b) => Typed::Bool(quote!(#rt::Some(#b))),
            Expr::Negate(x) => {
                let x = self.number(x);
                Typed::Number(quote!(#rt::jx::typed::negate(#x)?))
            }
            Expr::Binary(op, l, r) if is_arithmetic(*op) => {
                let (l, r) = (self.number(l), self.number(r));
                let name = format_ident!("{}", format!("{op:?}"));
                Typed::Number(quote!(#rt::jx::typed::arithmetic(#rt::jx::BinaryOp::#name, #l, #r)?))
            }
            Expr::Binary(op, l, r) if is_ordering(*op) && (is_numeric(l) || is_numeric(r)) => {
                let (l, r) = (self.number(l), self.number(r));
                let name = format_ident!("{}", format!("{op:?}"));
                Typed::Bool(quote!(#rt::jx::typed::compare(#rt::jx::BinaryOp::#name, #l, #r)?))
            }
            Expr::Binary(BinaryOp::And, l, r) => {
                let (l, r) = (self.test(l), self.test(r));
                Typed::Bool(quote!(#rt::Some(#l && #r)))
            }
            Expr::Binary(BinaryOp::Or, l, r) => {
                let (l, r) = (self.test(l), self.test(r));
                Typed::Bool(quote!(#rt::Some(#l || #r)))
            }
            other => Typed::Value(self.value(other)),
        }
    }

    /// `e` as `Option<f64>`: a value that is not a number bails.
    fn number(&self, e: &Expr) -> TokenStream {
        let rt = self.rt;
        match self.typed(e) {
            Typed::Number(t) => t,
            Typed::Bool(t) => quote!(#rt::jx::typed::to_number(#rt::jx::typed::from_bool(#t))?),
            Typed::Value(t) => quote!(#rt::jx::typed::to_number(#t)?),
        }
    }

    /// `e` as a Rust `bool`, by JSONata's truthiness (nothing is false).
    fn test(&self, e: &Expr) -> TokenStream {
        let rt = self.rt;
        match self.typed(e) {
            Typed::Number(t) => quote!(#rt::jx::typed::number_truthy(#t)),
            Typed::Bool(t) => quote!((#t == #rt::Some(true))),
            Typed::Value(t) => quote!(#rt::jx::truthy(&#t)),
        }
    }

    /// `e` as a step (`J<'_>`).
    fn expr(&self, e: &Expr) -> TokenStream {
        let rt = self.rt;
        match self.typed(e) {
            Typed::Number(t) => quote!(#rt::jx::typed::from_number(#t)),
            Typed::Bool(t) => quote!(#rt::jx::typed::from_bool(#t)),
            Typed::Value(t) => t,
        }
    }

    /// `e` as a step, for the nodes [`Native::typed`] leaves to values.
    fn value(&self, e: &Expr) -> TokenStream {
        let rt = self.rt;
        match e {
            Expr::Null => quote!(#rt::jx::null()),
            // Numbers, booleans, `-x`, arithmetic, `and`, `or`: typed, then made
            // a value by `expr`.
            Expr::Bool(_)
            | Expr::Number(_)
            | Expr::Negate(_)
            | Expr::Binary(
                BinaryOp::Add
                | BinaryOp::Subtract
                | BinaryOp::Multiply
                | BinaryOp::Divide
                | BinaryOp::Modulo
                | BinaryOp::And
                | BinaryOp::Or,
                _,
                _,
            ) => self.expr(e),
            Expr::String(s) => quote! {{
                static __LITERAL: #rt::LazyLock<#rt::Value> =
                    #rt::LazyLock::new(|| #rt::Value::String(#rt::String::from(#s)));
                #rt::jx::literal(&__LITERAL)
            }},
            Expr::Path {
                root,
                root_index,
                steps,
            } => {
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
                if root_index.is_none() && steps.iter().all(|s| s.index.is_none()) {
                    let names = steps.iter().map(|s| &s.name);
                    quote!(#rt::jx::path(#root, &[#(#names),*]))
                } else {
                    let option = |n: Option<f64>| match n {
                        Some(n) => {
                            let n = float(n);
                            quote!(#rt::Some(#n))
                        }
                        None => quote!(#rt::None),
                    };
                    let root_index = option(*root_index);
                    let steps = steps.iter().map(|s| {
                        let name = &s.name;
                        let index = option(s.index);
                        quote!((#name, #index))
                    });
                    quote!(#rt::jx::indexed_path(#root, #root_index, &[#(#steps),*]))
                }
            }
            Expr::Index(inner, n) => {
                let inner = self.expr(inner);
                let n = float(*n);
                quote!(#rt::jx::index(#inner, #n))
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
            Expr::Binary(op, l, r) => {
                let (l, r) = (self.expr(l), self.expr(r));
                let name = format_ident!("{}", format!("{op:?}"));
                let op_tokens = quote!(#rt::jx::BinaryOp::#name);
                match op {
                    BinaryOp::Equal | BinaryOp::NotEqual => {
                        quote!(#rt::jx::equality(#op_tokens, #l, #r))
                    }
                    BinaryOp::Concat => quote!(#rt::jx::concat(#l, #r)?),
                    // The orderings of values not known to be numbers.
                    _ => quote!(#rt::jx::compare(#op_tokens, #l, #r)?),
                }
            }
            Expr::Condition(test, then, otherwise) => {
                self.condition(test, then, otherwise.as_deref(), Self::expr)
            }
            Expr::Call(function, args) => self.call(*function, args, false),
            // The parser admits a lambda only as an argument `call` handles.
            Expr::Lambda(..) => quote!(#rt::Err::<#rt::jx::J<'_>, _>(#rt::jx::Bail)?),
        }
    }

    /// A `$map` lambda's body: a `$map`, `$filter` or `$keys` call in tail
    /// position (the body, or a branch of a condition that is the body) keeps its
    /// sequence as it is, as JSONata's tail calls do (see the runtime's
    /// `sequence`).
    fn tail(&self, e: &Expr) -> TokenStream {
        match e {
            Expr::Condition(test, then, otherwise) => {
                self.condition(test, then, otherwise.as_deref(), Self::tail)
            }
            Expr::Call(function @ (Function::Map | Function::Filter | Function::Keys), args) => {
                self.call(*function, args, true)
            }
            other => self.expr(other),
        }
    }

    /// `test ? then : otherwise`, the branches generated by `branch` (`expr`,
    /// or `tail` in a lambda's tail position).
    fn condition(
        &self,
        test: &Expr,
        then: &Expr,
        otherwise: Option<&Expr>,
        branch: fn(&Self, &Expr) -> TokenStream,
    ) -> TokenStream {
        let rt = self.rt;
        let (test, then) = (self.test(test), branch(self, then));
        let otherwise = match otherwise {
            Some(o) => branch(self, o),
            None => quote!(#rt::None),
        };
        quote!(if #test { #then } else { #otherwise })
    }

    /// A call; `tail` as in [`Native::tail`].
    fn call(&self, function: Function, args: &[Expr], tail: bool) -> TokenStream {
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
                // Only `$map` keeps what its lambda hands back; `$filter` reads
                // its truth.
                let body = if function == Function::Map {
                    self.tail(body)
                } else {
                    self.expr(body)
                };
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
                    }, #tail)?
                }
            }
            (Function::Reduce, [array, Expr::Lambda(params, body), init @ ..]) => {
                let array = self.expr(array);
                // The accumulator is unwrapped wherever it is read: no tail call.
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
            (Function::Keys, [value]) => {
                let value = self.expr(value);
                quote!(#rt::jx::functions::keys(#value, #tail)?)
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

/// The expansion of `asl::jsonata!("expression")`: a `&'static JsonataExpr`,
/// compiled to Rust when the expression lies in the native subset, checked the
/// way an expression in a definition is (a syntax error or a construct the
/// runtime refuses is a compile error at the literal).
pub fn expand_expression(input: TokenStream) -> TokenStream {
    let literal: syn::LitStr = match syn::parse2(input) {
        Ok(literal) => literal,
        Err(e) => return e.to_compile_error(),
    };
    let text = literal.value();
    let text = text.trim();
    let checked = asl_lang::jsonata::guard(text)
        .map(|_| ())
        .map_err(|refusal| format!("{}: {} ({})", refusal.code, refusal.message, refusal.help))
        .and_then(|()| asl_lang::jsonata::check_syntax(text))
        .and_then(|()| crate::expr_parse::parse_as_runtime(text));
    if let Err(message) = checked {
        return syn::Error::new(
            literal.span(),
            format!("invalid JSONata expression: {message}"),
        )
        .to_compile_error();
    }
    let rt = quote!(__asl);
    let expr = match asl_lang::jsonata::ast::parse(text) {
        Ok(tree) => {
            let function = native_function(&format_ident!("__jx"), &tree, &rt);
            quote! {
                #function
                static __EXPR: #rt::JsonataExpr = #rt::JsonataExpr::compiled(#text, __jx);
            }
        }
        Err(_) => quote! {
            static __EXPR: #rt::JsonataExpr = #rt::JsonataExpr::new(#text);
        },
    };
    quote! {{
        use ::asl::runtime::__private as __asl;
        #expr
        &__EXPR
    }}
}
