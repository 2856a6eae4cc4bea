//! Reference paths in their compiled form.
//!
//! build-support parses `$.a['b c'][0]` once, at compile time, and generated code
//! holds the result as a `const` [`ReferencePath`]; at run time nothing is parsed.

use std::borrow::Cow;

/// Where a path starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Root {
    /// `$`: the state's (effective) input.
    Input,
    /// `$$`: the context object.
    Context,
    /// `$name`: a workflow variable (set by `Assign`).
    Variable(Cow<'static, str>),
}

/// One step of a reference path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Segment {
    /// `.name` or `['name']`
    Field(Cow<'static, str>),
    /// `[n]`
    Index(usize),
}

/// A definite path: at most one value, and a place a value can be written to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReferencePath {
    pub root: Root,
    pub segments: Cow<'static, [Segment]>,
    /// The path as written in the definition, for error causes.
    pub text: Cow<'static, str>,
}

impl ReferencePath {
    /// A path built from static parts, as generated code writes it.
    pub const fn from_static(root: Root, segments: &'static [Segment], text: &'static str) -> Self {
        ReferencePath { root, segments: Cow::Borrowed(segments), text: Cow::Borrowed(text) }
    }

    /// `$`
    pub const ROOT: ReferencePath = ReferencePath::from_static(Root::Input, &[], "$");
}
