//! The crates as crates.io would get them. Listing what each package holds
//! needs no network and runs with the tests; packaging and building every crate
//! from its package (`scripts/check-publish`, `cargo publish --workspace
//! --dry-run`) needs the package registry and is run on demand:
//! `cargo test -p asl-tests --test packaging -- --ignored`.

use std::path::Path;
use std::process::Command;

fn workspace() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

/// The files `cargo package --list` puts in `package`'s archive.
fn listed(package: &str) -> Vec<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args([
            "package",
            "--list",
            "--allow-dirty",
            "--offline",
            "-p",
            package,
        ])
        .current_dir(workspace())
        .output()
        .expect("run cargo package --list");
    assert!(
        out.status.success(),
        "cargo package --list -p {package}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

/// The facade's package is the facade: not the workspace around it (its
/// scripts, the other crates, the test venv with its 500 MB).
#[test]
fn the_facade_package_holds_the_facade_only() {
    let files = listed("asl-rs");
    for file in &files {
        let allowed = file.starts_with("src/")
            || [
                "Cargo.toml",
                "Cargo.toml.orig",
                "Cargo.lock",
                "README.md",
                "LICENSE",
                ".cargo_vcs_info.json",
            ]
            .contains(&file.as_str());
        assert!(allowed, "asl-rs would publish {file}");
    }
    assert!(files.iter().any(|f| f == "src/lib.rs"));
}

/// Every published crate's package has its sources and manifest, and none
/// reaches outside its directory for them.
#[test]
fn every_published_crate_packages_its_sources() {
    for package in [
        "asl-lang",
        "asl-runtime",
        "asl-build",
        "asl-macro",
        "asl-endpoint",
    ] {
        let files = listed(package);
        assert!(
            files.iter().any(|f| f == "src/lib.rs"),
            "{package}: {files:?}"
        );
        assert!(files.iter().any(|f| f == "Cargo.toml"), "{package}");
        assert!(
            !files
                .iter()
                .any(|f| f.starts_with(".venv") || f.starts_with("target/")),
            "{package} would publish build output"
        );
    }
}

/// asl-lang carries AWS's service models (`aws-models/`): all of them, and
/// the package stays under crates.io's 10 MB limit even before compression.
#[test]
fn asl_lang_packages_the_aws_models_under_the_size_limit() {
    let files = listed("asl-lang");
    for f in [
        "aws-models/models.rs",
        "aws-models/ec2.json.gz",
        "aws-models/ssm.json.gz",
    ] {
        assert!(files.iter().any(|l| l == f), "{f}: {files:?}");
    }
    let bytes: u64 = files
        .iter()
        .filter(|f| !f.ends_with(".orig"))
        .filter_map(|f| std::fs::metadata(workspace().join("asl-lang").join(f)).ok())
        .map(|m| m.len())
        .sum();
    assert!(bytes < 10_000_000, "asl-lang packages {bytes} bytes");
}

/// `cargo publish --dry-run` of every crate in dependency order, each built
/// from its package: needs the package registry.
#[test]
#[ignore = "needs the package registry; also `scripts/check-publish`"]
fn every_crate_publishes() {
    let status = Command::new("bash")
        .arg(workspace().join("scripts/check-publish"))
        .status()
        .expect("run scripts/check-publish");
    assert!(status.success());
}
