//! Workspace tests live in `tests/*.rs`.
