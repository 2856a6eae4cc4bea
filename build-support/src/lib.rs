//! The `asl` compiler as a plain library (no `proc_macro`): it reads an Amazon
//! States Language definition and either reports every problem in it, located, or
//! turns it into Rust tokens.
//!
//! Stages, each a module whose input and output can be printed in a test:
//! source text → positioned JSON → typed model → checks → code generation.

pub mod expr;
pub mod model;
