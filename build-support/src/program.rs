//! Programs built around definitions at run time: `asl test`, `asl run` and
//! `asl serve` (and the endpoint's CreateStateMachine behind it) write a small
//! cargo package whose `main` calls `asl!` on the definitions, build it against
//! this asl source tree, and run it. A program is kept under a key the caller
//! derives from what it holds (definition hashes, features), so the same
//! definitions never wait for a second build.
//!
//! The source tree is the one this crate was built from, or
//! `$ASL_SOURCE_DIR`. Programs and their shared target directory live under
//! `<source>/target/asl-runner/`.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::builder::write_if_changed;

/// A program to build: its key, the `asl` features it needs, dependencies
/// beyond `asl`, `serde_json` and `tokio`, and its `src/main.rs`.
#[derive(Clone, Debug, Default)]
pub struct Program {
    /// Names the package and its directory: what it holds, hashed ([`key`]).
    pub key: String,
    /// Features of the `asl` facade (integration families, `endpoint`, stores).
    pub features: Vec<String>,
    /// Features of `tokio` the program's `main` needs besides `rt`, `macros`
    /// and `time`.
    pub tokio_features: Vec<String>,
    /// The program's `src/main.rs`.
    pub main: String,
    /// What is built, for the message a first build prints ("orders.asl.json").
    pub what: String,
}

/// The asl source tree programs depend on: `$ASL_SOURCE_DIR`, or the tree this
/// crate was built from.
pub fn source_dir() -> Result<PathBuf, String> {
    let dir = match std::env::var_os("ASL_SOURCE_DIR") {
        Some(d) => PathBuf::from(d),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join(".."),
    };
    let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap_or_default();
    if !manifest.contains("name = \"asl-rs\"") {
        return Err(format!(
            "definitions are built into programs against the asl source tree, which is not at {} (set ASL_SOURCE_DIR)",
            dir.display()
        ));
    }
    dir.canonicalize()
        .map_err(|e| format!("{}: {e}", dir.display()))
}

/// A program key: the first 64 bits of the SHA-256 of `parts`, in hex.
pub fn key<'a>(parts: impl IntoIterator<Item = &'a [u8]>) -> String {
    use sha2::Digest as _;
    let mut h = sha2::Sha256::new();
    for part in parts {
        h.update(part);
    }
    h.finalize()
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Statements of a generated `main` that register the built-in integrations
/// (handlers and what cleans up after them) on `builder`, configured from the
/// environment's AWS configuration.
pub const REGISTER_INTEGRATIONS: &str = r#"
    let integrations = asl::runtime::integrations::Integrations::from_env().await;
    builder = builder
        .handlers(integrations.handlers())
        .cleaners(integrations.cleaners())
        .object_storage(integrations.object_storage());"#;

/// Statements of a generated `main` that give `builder` the environment's
/// region (`AWS_REGION`, `AWS_DEFAULT_REGION`) for its ARNs.
pub const REGION_FROM_ENV: &str = r#"
    if let Some(region) = ["AWS_REGION", "AWS_DEFAULT_REGION"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|r| !r.is_empty()))
    {
        builder = builder.region(region);
    }"#;

/// A Rust string literal.
pub fn lit(s: &str) -> String {
    format!("{s:?}")
}

/// Where `program` is built: the binary, whether or not it exists yet.
pub fn binary_path(program: &Program) -> Result<PathBuf, String> {
    let root = source_dir()?.join("target").join("asl-runner");
    Ok(root
        .join("target")
        .join("debug")
        .join(format!("asl-runner-{}", program.key)))
}

/// Writes `program` (when changed) and builds it with cargo; the binary. A
/// program built before and unchanged costs one cargo call that finds nothing
/// to do.
pub fn build(program: &Program) -> Result<PathBuf, String> {
    let source = source_dir()?;
    let key = &program.key;
    let root = source.join("target").join("asl-runner");
    let dir = root.join(key);
    let mut tokio_features = vec!["rt".to_string(), "macros".into(), "time".into()];
    for f in &program.tokio_features {
        if !tokio_features.contains(f) {
            tokio_features.push(f.clone());
        }
    }
    let list = |items: &[String]| items.iter().map(|f| lit(f)).collect::<Vec<_>>().join(", ");
    let manifest = format!(
        r#"[package]
name = "asl-runner-{key}"
version = "0.0.0"
edition = "2024"
publish = false

# No debug info: the programs only run definitions, and stay small on disk.
[profile.dev]
debug = false

[dependencies]
asl = {{ package = "asl-rs", path = {source}, default-features = false, features = [{features}] }}
serde_json = "1"
tokio = {{ version = "1", features = [{tokio}] }}

[workspace]
"#,
        source = lit(&source.display().to_string()),
        features = list(&program.features),
        tokio = list(&tokio_features),
    );
    write(&dir.join("Cargo.toml"), &manifest)?;
    write(&dir.join("src/main.rs"), &program.main)?;
    // The source tree's lock file: the same dependency versions as its tests.
    if !dir.join("Cargo.lock").exists()
        && let Ok(lock) = std::fs::read_to_string(source.join("Cargo.lock"))
    {
        write(&dir.join("Cargo.lock"), &lock)?;
    }
    let target = root.join("target");
    let binary = binary_path(program)?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    if !binary.exists() {
        eprintln!(
            "asl: building {} into a program (the first build of a kind of program takes minutes; the next ones, seconds)",
            program.what,
        );
    }
    let status = Command::new(cargo)
        .args(["build", "--quiet", "--manifest-path"])
        .arg(dir.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", &target)
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err(format!("building the program for {} failed", program.what));
    }
    Ok(binary)
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    write_if_changed(path, text).map_err(|e| format!("{}: {e}", path.display()))
}
