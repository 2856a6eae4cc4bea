//! The intrinsic functions of JSONPath states (`States.Format`, ...): their names,
//! how many arguments each takes and what a literal argument may be.
//!
//! The compiler checks calls against this table; the runtime evaluates them
//! (`asl_runtime::intrinsics::call`) and checks the argument count with the same
//! [`Intrinsic::arity`].

/// AWS's largest array `States.ArrayRange` may produce.
pub const ARRAY_RANGE_MAX_ITEMS: usize = 1000;
/// AWS's largest input (characters) of `States.Hash`, `States.Base64Encode`/`Decode`.
pub const MAX_STRING_INPUT_CHARS: usize = 10_000;

/// The deepest nesting of intrinsic calls in one field
/// (`States.Array(States.Array(...))`) asl accepts: far beyond what a workflow
/// writes, and low enough that parsing, code generation, formatting and rustc
/// stay well inside their stacks.
pub const MAX_NESTING: usize = 32;

/// Every intrinsic function of JSONPath states.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Intrinsic {
    Format,
    StringToJson,
    JsonToString,
    Array,
    ArrayPartition,
    ArrayContains,
    ArrayRange,
    ArrayGetItem,
    ArrayLength,
    ArrayUnique,
    Base64Encode,
    Base64Decode,
    Hash,
    JsonMerge,
    MathRandom,
    MathAdd,
    StringSplit,
    Uuid,
}

/// What a literal argument may be, per function and position. A path or a nested
/// call is accepted anywhere: its value is known only at run time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgKind {
    /// Any literal.
    Any,
    Number,
    String,
    Bool,
    /// Only a path or a nested call (an array or object cannot be written literally).
    Value,
}

impl Intrinsic {
    /// Every function, for lookups, tools and tests.
    pub const ALL: [Intrinsic; 18] = [
        Intrinsic::Format,
        Intrinsic::StringToJson,
        Intrinsic::JsonToString,
        Intrinsic::Array,
        Intrinsic::ArrayPartition,
        Intrinsic::ArrayContains,
        Intrinsic::ArrayRange,
        Intrinsic::ArrayGetItem,
        Intrinsic::ArrayLength,
        Intrinsic::ArrayUnique,
        Intrinsic::Base64Encode,
        Intrinsic::Base64Decode,
        Intrinsic::Hash,
        Intrinsic::JsonMerge,
        Intrinsic::MathRandom,
        Intrinsic::MathAdd,
        Intrinsic::StringSplit,
        Intrinsic::Uuid,
    ];

    /// The name as written in a definition, e.g. `States.Format`.
    pub const fn name(self) -> &'static str {
        match self {
            Intrinsic::Format => "States.Format",
            Intrinsic::StringToJson => "States.StringToJson",
            Intrinsic::JsonToString => "States.JsonToString",
            Intrinsic::Array => "States.Array",
            Intrinsic::ArrayPartition => "States.ArrayPartition",
            Intrinsic::ArrayContains => "States.ArrayContains",
            Intrinsic::ArrayRange => "States.ArrayRange",
            Intrinsic::ArrayGetItem => "States.ArrayGetItem",
            Intrinsic::ArrayLength => "States.ArrayLength",
            Intrinsic::ArrayUnique => "States.ArrayUnique",
            Intrinsic::Base64Encode => "States.Base64Encode",
            Intrinsic::Base64Decode => "States.Base64Decode",
            Intrinsic::Hash => "States.Hash",
            Intrinsic::JsonMerge => "States.JsonMerge",
            Intrinsic::MathRandom => "States.MathRandom",
            Intrinsic::MathAdd => "States.MathAdd",
            Intrinsic::StringSplit => "States.StringSplit",
            Intrinsic::Uuid => "States.UUID",
        }
    }

    /// The function named `name` (`States.Format`), if there is one.
    pub fn from_name(name: &str) -> Option<Intrinsic> {
        Intrinsic::ALL.into_iter().find(|f| f.name() == name)
    }

    /// How many arguments the function accepts: `(min, max)`, `max = None` for any.
    pub const fn arity(self) -> (usize, Option<usize>) {
        match self {
            Intrinsic::Format => (1, None),
            Intrinsic::Array => (0, None),
            Intrinsic::Uuid => (0, Some(0)),
            Intrinsic::StringToJson
            | Intrinsic::JsonToString
            | Intrinsic::ArrayLength
            | Intrinsic::ArrayUnique
            | Intrinsic::Base64Encode
            | Intrinsic::Base64Decode => (1, Some(1)),
            Intrinsic::ArrayPartition
            | Intrinsic::ArrayContains
            | Intrinsic::ArrayGetItem
            | Intrinsic::Hash
            | Intrinsic::MathAdd
            | Intrinsic::StringSplit => (2, Some(2)),
            Intrinsic::MathRandom => (2, Some(3)),
            Intrinsic::ArrayRange | Intrinsic::JsonMerge => (3, Some(3)),
        }
    }

    /// "1", "1 to 3", "at least 1": the arity as an error message says it.
    pub fn expected_arguments(self) -> String {
        match self.arity() {
            (min, Some(max)) if max == min => format!("{min}"),
            (min, Some(max)) => format!("{min} to {max}"),
            (min, None) => format!("at least {min}"),
        }
    }

    /// Whether `n` arguments fit [`Self::arity`].
    pub fn accepts_count(self, n: usize) -> bool {
        let (min, max) = self.arity();
        n >= min && max.is_none_or(|max| n <= max)
    }

    /// What a literal argument at `index` (0-based) may be.
    pub fn arg_kind(self, index: usize) -> ArgKind {
        use Intrinsic::*;
        match (self, index) {
            (Format, 0) => ArgKind::String,
            (MathAdd | MathRandom | ArrayRange, _) => ArgKind::Number,
            (ArrayPartition | ArrayGetItem, 1) => ArgKind::Number,
            (Hash, 1) => ArgKind::String,
            (Base64Encode | Base64Decode | StringToJson | StringSplit, _) => ArgKind::String,
            (JsonMerge, 2) => ArgKind::Bool,
            (
                JsonMerge | ArrayPartition | ArrayGetItem | ArrayContains | ArrayLength
                | ArrayUnique,
                0,
            ) => ArgKind::Value,
            (JsonMerge, 1) => ArgKind::Value,
            _ => ArgKind::Any,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_arities_hold() {
        for f in Intrinsic::ALL {
            assert_eq!(Intrinsic::from_name(f.name()), Some(f));
            let (min, max) = f.arity();
            assert!(f.accepts_count(min));
            assert!(!max.is_some_and(|m| f.accepts_count(m + 1)));
        }
        assert_eq!(Intrinsic::MathRandom.expected_arguments(), "2 to 3");
        assert_eq!(Intrinsic::Format.expected_arguments(), "at least 1");
        assert_eq!(Intrinsic::from_name("States.Nope"), None);
    }
}
