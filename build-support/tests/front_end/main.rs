//! The front end from the outside, in one test binary:
//!
//! - `conformance`: the corpus's `validation/` and `paths/` cases;
//! - `mutation`: mutated definitions never panic the checker and stay located;
//! - `reference`: the definitions in `../shared/reference/` check clean;
//! - `rules`: every named rule, fired and located, and listed where it is documented.

mod conformance;
mod mutation;
mod reference;
mod rules;
