//! Rust names for states: `Run a job on EKS` becomes the function
//! `run_a_job_on_eks` and the enum variant `RunAJobOnEks`, unique within the
//! generated code and never a keyword; and for the statics the expansion
//! hoists, named after what they hold (`PATH_EKS_CLUSTER_ENDPOINT`).

use std::collections::HashSet;

use proc_macro2::{Ident, Span};

const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern",
    "false", "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub",
    "ref", "return", "self", "Self", "static", "struct", "super", "trait", "true", "type",
    "unsafe", "use", "where", "while", "abstract", "become", "box", "do", "final", "gen", "macro",
    "override", "priv", "try", "typeof", "unsized", "virtual", "yield", "union",
];

/// The first `n` words of `name`, for a name built of several.
pub(super) fn first_words(name: &str, n: usize) -> String {
    words(name)
        .into_iter()
        .take(n)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The words of a state name: runs of ASCII letters and digits.
fn words(name: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            // `createCluster` is two words, as in the ASL samples' camelCase names.
            if c.is_ascii_uppercase() && prev_lower && !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
            current.push(c);
        } else {
            prev_lower = false;
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
        }
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

/// Hands out identifiers, each once.
#[derive(Default)]
pub struct Names {
    used: HashSet<String>,
}

impl Names {
    fn unique(&mut self, base: String, separator: &str) -> Ident {
        let mut candidate = base.clone();
        let mut n = 2;
        while self.used.contains(&candidate) || KEYWORDS.contains(&candidate.as_str()) {
            candidate = format!("{base}{separator}{n}");
            n += 1;
        }
        self.used.insert(candidate.clone());
        Ident::new(&candidate, Span::call_site())
    }

    /// `snake_case` for a state function.
    pub fn function(&mut self, state: &str) -> Ident {
        let mut base = words(state)
            .iter()
            .map(|w| w.to_ascii_lowercase())
            .collect::<Vec<_>>()
            .join("_");
        if base.is_empty() {
            base = "state".into();
        }
        if base.starts_with(|c: char| c.is_ascii_digit()) {
            base.insert_str(0, "state_");
        }
        self.unique(base, "_")
    }

    /// `UPPER_SNAKE_CASE` for a static: `prefix` (may be empty), then the
    /// first ten words of `hint` (`"PATH"`, `"$.eks.Cluster.Endpoint"` →
    /// `PATH_EKS_CLUSTER_ENDPOINT`); `LITERAL` when neither gives a word.
    pub fn constant(&mut self, prefix: &str, hint: &str) -> Ident {
        const MAX_WORDS: usize = 10;
        let mut parts: Vec<String> = (!prefix.is_empty())
            .then(|| prefix.to_string())
            .into_iter()
            .collect();
        parts.extend(
            words(hint)
                .iter()
                .take(MAX_WORDS)
                .map(|w| w.to_ascii_uppercase()),
        );
        let mut base = parts.join("_");
        if base.is_empty() {
            base = "LITERAL".into();
        }
        if base.starts_with(|c: char| c.is_ascii_digit()) {
            base.insert_str(0, "L_");
        }
        self.unique(base, "_")
    }

    /// `CamelCase` for an enum variant.
    pub fn variant(&mut self, state: &str) -> Ident {
        let mut base: String = words(state)
            .iter()
            .map(|w| {
                let mut chars = w.chars();
                match chars.next() {
                    Some(first) => {
                        first.to_ascii_uppercase().to_string()
                            + &chars.as_str().to_ascii_lowercase()
                    }
                    None => String::new(),
                }
            })
            .collect();
        if base.is_empty() {
            base = "State".into();
        }
        if base.starts_with(|c: char| c.is_ascii_digit()) {
            base.insert(0, 'S');
        }
        self.unique(base, "")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_read_like_the_state() {
        let mut n = Names::default();
        assert_eq!(
            n.function("Run a job on EKS").to_string(),
            "run_a_job_on_eks"
        );
        assert_eq!(
            n.function("run-a-job on EKS").to_string(),
            "run_a_job_on_eks_2"
        );
        assert_eq!(n.function("createCluster").to_string(), "create_cluster");
        assert_eq!(n.function("1st").to_string(), "state_1st");
        assert_eq!(n.function("loop").to_string(), "loop_2");
        assert_eq!(n.function("¿?").to_string(), "state");
        let mut v = Names::default();
        assert_eq!(v.variant("Run a job on EKS").to_string(), "RunAJobOnEks");
        assert_eq!(v.variant("Self").to_string(), "Self2");
        assert_eq!(v.variant("Big?").to_string(), "Big");
        assert_eq!(v.variant("Big").to_string(), "Big2");
    }
}
