//! The typed API of a workflow with a declared input (`asl!(Flow = "...",
//! input = "flow.input.schema.json")`): `FlowInput` from the schema,
//! `FlowOutput` from the inferred output, and `Flow::run_typed`.
//!
//! In: the input's [`Shape`] (from the schema) and the output's (inferred
//! through the graph from it). Out: serde structs for the objects whose keys
//! are known, `Vec<T>` for arrays, `Option<T>` for keys not always present
//! and for a value or `null`, and the runtime's `Value` wherever the shape is
//! unknown (a union of kinds, data nobody described). An open object keeps its
//! other keys in a flattened `extra` map, so nothing of the data is lost.
//!
//! Written here rather than with typify: the output type comes from an
//! inferred shape, not a schema, so a generator of these few shapes is needed
//! anyway; and typify's code names `::serde` (and `::regress` for patterns)
//! from the user's crate, where generated code must reach everything through
//! the runtime's path so that a user adds no dependency.

use std::collections::HashSet;

use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote};

use crate::check::types::{Object, Shape};

/// The tokens of `FlowInput`, `FlowOutput` and `impl Flow { run_typed }`.
pub(super) fn typed_api(
    name: &str,
    visibility: &TokenStream,
    runtime: &TokenStream,
    input: &Shape,
    output: &Shape,
) -> TokenStream {
    let mut types = Types {
        items: Vec::new(),
        taken: HashSet::new(),
        rt: runtime.clone(),
        vis: visibility.clone(),
        serde_crate: format!("{}::serde", runtime).replace(' ', ""),
    };
    let workflow = Ident::new(name, Span::call_site());
    let input_name = format!("{name}Input");
    let output_name = format!("{name}Output");
    types.named(
        input,
        &input_name,
        &format!(" The execution input of [`{name}`], from its declared JSON Schema."),
    );
    types.named(
        output,
        &output_name,
        &format!(
            " What an execution of [`{name}`] that succeeds ends with, as inferred from its definition and declared input (`Value` where it is not known)."
        ),
    );
    let (input_ty, output_ty) = (
        Ident::new(&input_name, Span::call_site()),
        Ident::new(&output_name, Span::call_site()),
    );
    let items = &types.items;
    let rt = runtime;
    let doc = format!(
        " [`Self::run`] with the typed input and output: the input serialized to JSON, the output read back as [`{output_name}`] (a `States.Runtime` error when it does not fit)."
    );
    quote! {
        #(#items)*

        impl #workflow {
            #[doc = #doc]
            pub async fn run_typed(
                runtime: &#rt::Runtime,
                input: #input_ty,
            ) -> #rt::Result<#output_ty, #rt::ExecutionError> {
                #rt::run_typed::<Self, #input_ty, #output_ty>(runtime, input).await
            }
        }
    }
}

struct Types {
    items: Vec<TokenStream>,
    /// Type names used so far.
    taken: HashSet<String>,
    rt: TokenStream,
    vis: TokenStream,
    serde_crate: String,
}

impl Types {
    /// Defines the type `name` for `shape`: a struct for an object of known
    /// keys, a type alias otherwise.
    fn named(&mut self, shape: &Shape, name: &str, doc: &str) {
        self.taken.insert(name.to_string());
        let vis = self.vis.clone();
        let ident = Ident::new(name, Span::call_site());
        match shape {
            // A closed object without keys (`{}` only) is an empty struct too.
            Shape::Object(o) if !o.fields.is_empty() || !o.open => self.object(o, name, doc),
            other => {
                let ty = self.ty(other, name);
                self.items.push(quote! {
                    #[doc = #doc]
                    #vis type #ident = #ty;
                });
            }
        }
    }

    /// The Rust type of a value of `shape`; `hint` names a struct it needs.
    fn ty(&mut self, shape: &Shape, hint: &str) -> TokenStream {
        let rt = self.rt.clone();
        match shape {
            Shape::Unknown | Shape::Null => quote!(#rt::Value),
            Shape::Bool => quote!(bool),
            Shape::Number => quote!(#rt::Number),
            Shape::String => quote!(#rt::String),
            Shape::Array(item) => {
                let item = self.ty(item, &format!("{hint}Item"));
                quote!(#rt::Vec<#item>)
            }
            Shape::Object(o) if o.fields.is_empty() => {
                quote!(#rt::Map<#rt::String, #rt::Value>)
            }
            Shape::Object(o) => {
                let name = self.fresh(hint);
                self.object(o, &name, &format!(" Part of [`{}`].", root_of(hint)));
                let ident = Ident::new(&name, Span::call_site());
                quote!(#ident)
            }
            Shape::Union(members) => match members.as_slice() {
                [Shape::Null, other] | [other, Shape::Null] => {
                    let inner = self.ty(other, hint);
                    quote!(#rt::Option<#inner>)
                }
                _ => quote!(#rt::Value),
            },
        }
    }

    /// A type name not used yet, from `hint`.
    fn fresh(&mut self, hint: &str) -> String {
        let mut name = hint.to_string();
        let mut n = 2;
        while !self.taken.insert(name.clone()) {
            name = format!("{hint}{n}");
            n += 1;
        }
        name
    }

    fn object(&mut self, o: &Object, name: &str, doc: &str) {
        let rt = self.rt.clone();
        let vis = self.vis.clone();
        let serde_crate = self.serde_crate.clone();
        let mut used: HashSet<String> = HashSet::new();
        if o.open {
            used.insert("extra".to_string());
        }
        let mut fields = Vec::new();
        for (key, field) in &o.fields {
            let ident = field_ident(key, &mut used);
            let ty = self.ty(&field.shape, &format!("{name}{}", camel_case(key)));
            let field_doc = format!(" `{key}`");
            // `rename` only where the Rust name is not the key.
            let rename = (ident != key.as_str()).then(|| quote!(rename = #key,));
            if field.required {
                let attr = rename.map(|r| quote!(#[serde(#r)]));
                fields.push(quote! {
                    #[doc = #field_doc]
                    #attr
                    pub #ident: #ty,
                });
            } else {
                fields.push(quote! {
                    #[doc = #field_doc]
                    #[serde(#rename default, skip_serializing_if = "::core::option::Option::is_none")]
                    pub #ident: #rt::Option<#ty>,
                });
            }
        }
        if o.open {
            fields.push(quote! {
                /// The keys besides those above (the object may have others).
                #[serde(flatten)]
                pub extra: #rt::Map<#rt::String, #rt::Value>,
            });
        }
        let ident = Ident::new(name, Span::call_site());
        self.items.push(quote! {
            #[doc = #doc]
            #[derive(Clone, Debug, PartialEq, #rt::serde::Serialize, #rt::serde::Deserialize)]
            #[serde(crate = #serde_crate)]
            #vis struct #ident {
                #(#fields)*
            }
        });
    }
}

/// The generated root type a nested one belongs to (`FlowOutputCluster` →
/// `FlowOutput`), for its documentation.
fn root_of(hint: &str) -> &str {
    for root in ["Input", "Output"] {
        if let Some(at) = hint.find(root) {
            return &hint[..at + root.len()];
        }
    }
    hint
}

/// A JSON key as a Rust field name: snake case, a keyword with `_` after it,
/// unique in its struct.
fn field_ident(key: &str, used: &mut HashSet<String>) -> Ident {
    let mut snake = String::new();
    let mut prev_lower = false;
    for c in key.chars() {
        if c.is_ascii_uppercase() {
            if prev_lower {
                snake.push('_');
            }
            snake.push(c.to_ascii_lowercase());
            prev_lower = false;
        } else if c.is_ascii_alphanumeric() {
            snake.push(c);
            prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        } else if !snake.ends_with('_') {
            snake.push('_');
            prev_lower = false;
        }
    }
    let mut snake = snake.trim_matches('_').to_string();
    if snake.is_empty() {
        snake = "field".to_string();
    }
    if snake.starts_with(|c: char| c.is_ascii_digit()) {
        snake.insert(0, '_');
    }
    if syn::parse_str::<Ident>(&snake).is_err() {
        snake.push('_');
    }
    let mut unique = snake.clone();
    let mut n = 2;
    while !used.insert(unique.clone()) {
        unique = format!("{snake}_{n}");
        n += 1;
    }
    format_ident!("{}", unique)
}

/// A JSON key as part of a type name: `certificateAuthority` →
/// `CertificateAuthority`, `job-name` → `JobName`.
fn camel_case(key: &str) -> String {
    let mut out = String::new();
    let mut upper = true;
    for c in key.chars() {
        if c.is_ascii_alphanumeric() {
            if upper {
                out.push(c.to_ascii_uppercase());
            } else {
                out.push(c);
            }
            upper = false;
        } else {
            upper = true;
        }
    }
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, 'F');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_names_are_rust() {
        let mut used = HashSet::new();
        assert_eq!(field_ident("Endpoint", &mut used), "endpoint");
        assert_eq!(
            field_ident("certificateAuthority", &mut used),
            "certificate_authority"
        );
        assert_eq!(field_ident("type", &mut used), "type_");
        assert_eq!(field_ident("job-name", &mut used), "job_name");
        assert_eq!(field_ident("1st", &mut used), "_1st");
        assert_eq!(field_ident("", &mut used), "field");
        // `Endpoint` and `endpoint` both map to `endpoint`.
        assert_eq!(field_ident("endpoint", &mut used), "endpoint_2");
        assert_eq!(camel_case("certificateAuthority"), "CertificateAuthority");
        assert_eq!(camel_case("job-name"), "JobName");
    }
}
