//! Step Functions' rule for the names of state machines, executions and
//! activities (CreateStateMachine's, StartExecution's and CreateActivity's
//! `name`): 1 to 80 characters, none of them whitespace, a control
//! character, a bracket (`< > { } [ ]`), a wildcard (`? *`) or one of
//! `" # % \ ^ | ~ ` $ & , ; : /`.

/// The longest name Step Functions accepts.
pub const MAX_NAME_LENGTH: usize = 80;

/// Whether `name` is a name Step Functions accepts.
///
/// ```
/// assert!(asl_lang::names::is_valid_name("order-flow_2"));
/// assert!(!asl_lang::names::is_valid_name("order flow"));
/// assert!(!asl_lang::names::is_valid_name(""));
/// ```
pub fn is_valid_name(name: &str) -> bool {
    !name.is_empty() && name.chars().count() <= MAX_NAME_LENGTH && !name.chars().any(is_refused)
}

/// A character Step Functions refuses in a name.
pub fn is_refused(c: char) -> bool {
    c.is_whitespace()
        || c.is_control()
        || matches!(
            c,
            '<' | '>'
                | '{'
                | '}'
                | '['
                | ']'
                | '?'
                | '*'
                | '"'
                | '#'
                | '%'
                | '\\'
                | '^'
                | '|'
                | '~'
                | '`'
                | '$'
                | '&'
                | ','
                | ';'
                | ':'
                | '/'
        )
}
