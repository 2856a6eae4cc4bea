//! The rules of the front end, as a type: every diagnostic names one, `asl
//! rules` lists them, and their names are stable for users to search and filter.

use std::fmt;

macro_rules! rules {
    ($($(#[$doc:meta])* $variant:ident => ($name:literal, $summary:literal),)*) => {
        /// A rule the front end checks; its [`name`](Rule::name) is what a
        /// diagnostic prints (`error[asl::unknown-next-state]`).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum Rule {
            $($(#[$doc])* $variant,)*
        }

        impl Rule {
            /// Every rule, in the order `asl rules` lists them.
            pub const ALL: &'static [Rule] = &[$(Rule::$variant,)*];

            /// The stable name, e.g. `asl::unknown-next-state`.
            pub const fn name(self) -> &'static str {
                match self {
                    $(Rule::$variant => $name,)*
                }
            }

            /// What the rule checks, in one line.
            pub const fn summary(self) -> &'static str {
                match self {
                    $(Rule::$variant => $summary,)*
                }
            }
        }
    };
}

rules! {
    /// the file is UTF-8 text
    InvalidUtf8 => ("asl::invalid-utf8", "the file is UTF-8 text"),
    /// the file is JSON (RFC 8259): no comments, no trailing commas, nothing missing
    JsonSyntax => ("asl::json-syntax", "the file is JSON (RFC 8259): no comments, no trailing commas, nothing missing"),
    /// a `*.asl.yaml` file is one YAML document that maps to JSON
    YamlSyntax => ("asl::yaml-syntax", "a `*.asl.yaml` file is one YAML document that maps to JSON"),
    /// every `${Name}` placeholder of a template definition is given a value
    UnsubstitutedPlaceholder => ("asl::unsubstituted-placeholder", "every `${Name}` placeholder of a template definition is given a value"),
    /// nesting stays under the parser's depth limit
    JsonTooDeep => ("asl::json-too-deep", "nesting stays under the parser's depth limit"),
    /// no key is written twice in one object
    DuplicateKey => ("asl::duplicate-key", "no key is written twice in one object"),
    /// each field holds the JSON type the language gives it
    WrongType => ("asl::wrong-type", "each field holds the JSON type the language gives it"),
    /// required fields are present (StartAt, States, Type, Resource, ...)
    MissingField => ("asl::missing-field", "required fields are present (StartAt, States, Type, Resource, ...)"),
    /// only fields the object's kind has (per state type, in Retry, Catch, ...)
    UnknownField => ("asl::unknown-field", "only fields the object's kind has (per state type, in Retry, Catch, ...)"),
    /// JSONPath-only fields stay out of JSONata states and the reverse
    FieldNotInQueryLanguage => ("asl::field-not-in-query-language", "JSONPath-only fields stay out of JSONata states and the reverse"),
    /// a JSONata state machine has no JSONPath states
    JsonpathInJsonataMachine => ("asl::jsonpath-in-jsonata-machine", "a JSONata state machine has no JSONPath states"),
    /// at most one of two exclusive fields (TimeoutSeconds/TimeoutSecondsPath, ...)
    MutuallyExclusiveFields => ("asl::mutually-exclusive-fields", "at most one of two exclusive fields (TimeoutSeconds/TimeoutSecondsPath, ...)"),
    /// a Wait has exactly one of Seconds, Timestamp, SecondsPath, TimestampPath
    WaitDuration => ("asl::wait-duration", "a Wait has exactly one of Seconds, Timestamp, SecondsPath, TimestampPath"),
    /// a non-terminal state has exactly one of Next and End: true
    EndOrNext => ("asl::end-or-next", "a non-terminal state has exactly one of Next and End: true"),
    /// Type is one of the eight state types
    UnknownStateType => ("asl::unknown-state-type", "Type is one of the eight state types"),
    /// state names have at most 80 characters
    StateNameTooLong => ("asl::state-name-too-long", "state names have at most 80 characters"),
    /// numbers are inside their ranges (MaxAttempts >= 0, BackoffRate >= 1, ...)
    ValueRange => ("asl::value-range", "numbers are inside their ranges (MaxAttempts >= 0, BackoffRate >= 1, ...)"),
    /// enumerated strings take one of their values (JitterStrategy, Mode, ...)
    UnknownValue => ("asl::unknown-value", "enumerated strings take one of their values (JitterStrategy, Mode, ...)"),
    /// HeartbeatSeconds is smaller than TimeoutSeconds
    HeartbeatNotBelowTimeout => ("asl::heartbeat-not-below-timeout", "HeartbeatSeconds is smaller than TimeoutSeconds"),
    /// ErrorEquals is a non-empty list of error names
    ErrorEquals => ("asl::error-equals", "ErrorEquals is a non-empty list of error names"),
    /// States.ALL is alone in its ErrorEquals and in the last Retry/Catch entry
    StatesAllPosition => ("asl::states-all-position", "States.ALL is alone in its ErrorEquals and in the last Retry/Catch entry"),
    /// path fields hold paths valid in their context (ResultPath a reference path, ...)
    InvalidPath => ("asl::invalid-path", "path fields hold paths valid in their context (ResultPath a reference path, ...)"),
    /// a path reads data the states before it can produce: not a key their output never has
    PathNeverPresent => ("asl::path-never-present", "a path reads data the states before it can produce: not a key their output never has"),
    /// a value used where it must have a type (a Choice comparison, an intrinsic function's argument, ItemsPath) can have that type
    TypeNeverMatches => ("asl::type-never-matches", "a value used where it must have a type (a Choice comparison, an intrinsic function's argument, ItemsPath) can have that type"),
    /// a path present on some edges into its state only: absent when the state is entered from one of them (a warning)
    PathMaybeAbsent => ("asl::path-maybe-absent", "a path present on some edges into its state only: absent when the state is entered from one of them (a warning)"),
    /// a variable (`$name`) is read only where some path before assigns it
    UnassignedVariable => ("asl::unassigned-variable", "a variable (`$name`) is read only where some path before assigns it"),
    /// a variable (`$name`) is read where some path assigns it and another does not (a warning)
    VariableMaybeUnassigned => ("asl::variable-maybe-unassigned", "a variable (`$name`) is read where some path assigns it and another does not (a warning)"),
    /// `$states.result` only in the Output and Assign of a Task, Map or Parallel; `$states.errorOutput` only in a Catch's
    StatesMemberUnavailable => ("asl::states-member-unavailable", "`$states.result` only in the Output and Assign of a Task, Map or Parallel; `$states.errorOutput` only in a Catch's"),
    /// a `key.$` member holds a path or an intrinsic function call
    InvalidPayloadTemplate => ("asl::invalid-payload-template", "a `key.$` member holds a path or an intrinsic function call"),
    /// intrinsic calls name a function and pass it the right arguments
    InvalidIntrinsic => ("asl::invalid-intrinsic", "intrinsic calls name a function and pass it the right arguments"),
    /// a template does not set the same key twice (`a` and `a.$`)
    DuplicateTemplateField => ("asl::duplicate-template-field", "a template does not set the same key twice (`a` and `a.$`)"),
    /// JSONata strings are delimited by {% %} and well formed
    JsonataSyntax => ("asl::jsonata-syntax", "JSONata strings are delimited by {% %} and well formed"),
    /// timestamps are RFC 3339
    InvalidTimestamp => ("asl::invalid-timestamp", "timestamps are RFC 3339"),
    /// a choice rule is one of And, Or, Not or a single comparison
    ChoiceRule => ("asl::choice-rule", "a choice rule is one of And, Or, Not or a single comparison"),
    /// Resource is a URI, and a well-formed ARN when it is one
    InvalidArn => ("asl::invalid-arn", "Resource is a URI, and a well-formed ARN when it is one"),
    /// Assign keys are variable names
    InvalidVariableName => ("asl::invalid-variable-name", "Assign keys are variable names"),
    /// a Map Label is short and uses allowed characters
    MapLabel => ("asl::map-label", "a Map Label is short and uses allowed characters"),
    /// StartAt names a state of its machine
    UnknownStartState => ("asl::unknown-start-state", "StartAt names a state of its machine"),
    /// Next, Default and Catch Next name states of the same machine
    UnknownNextState => ("asl::unknown-next-state", "Next, Default and Catch Next name states of the same machine"),
    /// no transition enters or leaves a Parallel branch or Map processor
    TransitionAcrossMachines => ("asl::transition-across-machines", "no transition enters or leaves a Parallel branch or Map processor"),
    /// every state can be reached from StartAt
    UnreachableState => ("asl::unreachable-state", "every state can be reached from StartAt"),
    /// every machine has a state that ends it
    NoTerminalState => ("asl::no-terminal-state", "every machine has a state that ends it"),
    /// state names are unique across the whole definition
    DuplicateStateName => ("asl::duplicate-state-name", "state names are unique across the whole definition"),
    /// the integration has the .sync / .waitForTaskToken pattern used
    IntegrationPattern => ("asl::integration-pattern", "the integration has the .sync / .waitForTaskToken pattern used"),
    /// an integration gets its required parameters
    IntegrationMissingParameter => ("asl::integration-missing-parameter", "an integration gets its required parameters"),
    /// an integration gets only parameters it has
    IntegrationUnknownParameter => ("asl::integration-unknown-parameter", "an integration gets only parameters it has"),
    /// literal integration parameters have valid values (eks:call Method, ...)
    IntegrationInvalidValue => ("asl::integration-invalid-value", "literal integration parameters have valid values (eks:call Method, ...)"),
    /// an `aws-sdk:<service>:<action>` resource names a service of AWS's models
    SdkUnknownService => ("asl::sdk-unknown-service", "an `aws-sdk:<service>:<action>` resource names a service of AWS's models"),
    /// an `aws-sdk:<service>:<action>` resource names an action of its service
    SdkUnknownAction => ("asl::sdk-unknown-action", "an `aws-sdk:<service>:<action>` resource names an action of its service"),
    /// an `aws-sdk` action Step Functions runs (not an event stream, not one AWS lists as unsupported: s3:selectObjectContent, lambda:invokeAsync, ...)
    SdkUnsupportedAction => ("asl::sdk-unsupported-action", "an `aws-sdk` action Step Functions runs (not an event stream, not one AWS lists as unsupported: s3:selectObjectContent, lambda:invokeAsync, ...)"),
    /// eks:runJob LogOptions only with eks:runJob.sync
    LogOptionsWithoutSync => ("asl::log-options-without-sync", "eks:runJob LogOptions only with eks:runJob.sync"),
    /// every Task Resource is a built-in integration or declared with `resources = [...]` (`asl check --resource`)
    UndeclaredResource => ("asl::undeclared-resource", "every Task Resource is a built-in integration or declared with `resources = [...]` (`asl check --resource`)"),
    /// a distributed Map's ItemReader and ResultWriter are complete and consistent, and only in a DISTRIBUTED Map
    DistributedMap => ("asl::distributed-map", "a distributed Map's ItemReader and ResultWriter are complete and consistent, and only in a DISTRIBUTED Map"),
    /// only constructs the runtime can run (no PARQUET ItemReader, ... yet)
    Unsupported => ("asl::unsupported", "only constructs the runtime can run (no PARQUET ItemReader, ... yet)"),
    /// the generated type's name is a Rust identifier
    InvalidTypeName => ("asl::invalid-type-name", "the generated type's name is a Rust identifier"),
}

/// How bad breaking a rule is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    /// The workflow may be wrong on some path: reported, the build goes on
    /// (unless warnings are denied: `deny_warnings`, `asl check --deny warnings`).
    Warning,
    /// The workflow is certainly wrong: the build fails.
    Error,
}

impl Severity {
    /// `error` or `warning`, as rustc prints it.
    pub const fn name(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Rule {
    /// How a diagnostic of this rule is reported unless warnings are denied:
    /// the rules about what *may* go wrong on some path are warnings, every
    /// other rule is an error.
    pub const fn severity(self) -> Severity {
        match self {
            Rule::PathMaybeAbsent | Rule::VariableMaybeUnassigned => Severity::Warning,
            _ => Severity::Error,
        }
    }

    /// The rule named `name` (`asl::unknown-next-state`), if there is one.
    pub fn from_name(name: &str) -> Option<Rule> {
        Rule::ALL.iter().copied().find(|r| r.name() == name)
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl PartialEq<&str> for Rule {
    fn eq(&self, other: &&str) -> bool {
        self.name() == *other
    }
}

impl PartialEq<str> for Rule {
    fn eq(&self, other: &str) -> bool {
        self.name() == other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_round_trip() {
        for (i, r) in Rule::ALL.iter().enumerate() {
            assert!(r.name().starts_with("asl::"), "{r}");
            assert_eq!(Rule::from_name(r.name()), Some(*r));
            assert!(!Rule::ALL[..i].iter().any(|o| o.name() == r.name()), "{r}");
            assert!(!r.summary().is_empty());
        }
    }
}
