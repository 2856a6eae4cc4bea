//! The `asl!` macro. All the work happens in `asl-build`; this crate only turns
//! its result into tokens.

use proc_macro::TokenStream;

#[proc_macro]
pub fn asl(input: TokenStream) -> TokenStream {
    let _ = input;
    quote::quote!(compile_error!("asl!: not built yet");).into()
}
