//! The front end from the outside, in one test binary:
//!
//! - `conformance`: the corpus's `validation/` and `paths/` cases;
//! - `mutation`: mutated definitions never panic the checker and stay located;
//! - `numbers`: every numeric field's accepted and refused values;
//! - `paths`: Jayway JsonPath corners, parsed and evaluated;
//! - `parity`: `asl check` and `asl!` accept and refuse the same definitions;
//! - `realworld`: the real-world corpus, substituted and checked;
//! - `reference`: the definitions in `../shared/reference/` check clean;
//! - `substitutions`: `${Name}` substitution, YAML definitions, templates;
//! - `rules`: every named rule, fired and located; the compiler/runtime agreement cases.

mod conformance;
mod executions;
mod mutation;
mod numbers;
mod parity;
mod paths;
mod realworld;
mod reference;
mod rules;
mod substitutions;
