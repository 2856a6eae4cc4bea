//! The `asl!` macro. All the work happens in `asl-build`
//! (`asl_build::codegen::input::expand`); this crate only hands it the tokens and
//! the calling file, and returns what it produces. See the `asl` crate for the
//! documentation.

use proc_macro::TokenStream;

/// Compiles an Amazon States Language workflow into Rust. Documented on the
/// `asl` facade crate.
#[proc_macro]
pub fn asl(input: TokenStream) -> TokenStream {
    let calling_file = proc_macro::Span::call_site().local_file();
    asl_build::codegen::input::expand(input.into(), calling_file).into()
}

/// Compiles one JSONata expression into a `&'static JsonataExpr`. Documented on
/// the `asl` facade crate.
#[proc_macro]
pub fn jsonata(input: TokenStream) -> TokenStream {
    asl_build::codegen::jsonata_native::expand_expression(input.into()).into()
}
