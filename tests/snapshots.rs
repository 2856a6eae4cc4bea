//! Snapshot tests of generated code: for each workflow below, the formatted
//! Rust that asl-build writes (the same code `asl!` expands to) is compared with
//! `snapshots/<name>.rs`. Set `UPDATE=1` to rewrite the snapshots after a
//! deliberate change, then review the diff. `compiled_snapshots.rs` compiles and
//! runs the stored snapshots, so a snapshot that does not compile fails too.

use asl_build::builder::generate_file;
use asl_build::codegen::Options;

/// The EKS sample's resources, declared: the snapshot runs on scripted
/// handlers (`compiled_snapshots.rs`), so it needs none of asl's integration
/// features (which a declared resource does not require).
const EKS_SAMPLE_RESOURCES: &[&str] = &[
    "arn:aws:states:::eks:createCluster.sync",
    "arn:aws:states:::eks:createNodegroup.sync",
    "arn:aws:states:::eks:runJob.sync",
    "arn:aws:states:::sns:publish",
    "arn:aws:states:::eks:call",
    "arn:aws:states:::eks:deleteNodegroup.sync",
    "arn:aws:states:::eks:deleteCluster.sync",
];

const WORKFLOWS: &[(&str, &str, &[&str])] = &[
    (
        "ManageEksCluster",
        "../examples/manage-eks-cluster.asl.json",
        EKS_SAMPLE_RESOURCES,
    ),
    ("Counter", "workflows/counter.asl.json", &[]),
    ("LabelItems", "workflows/map.asl.json", &[]),
    ("FanOut", "workflows/parallel.asl.json", &[]),
    ("JsonataCatch", "workflows/jsonata-catch.asl.json", &[]),
    (
        "JsonPathCatchAssign",
        "workflows/jsonpath-catch-assign.asl.json",
        &["arn:aws:lambda:us-east-1:123456789012:function:charge"],
    ),
];

fn snapshot_path(name: &str) -> std::path::PathBuf {
    let file = asl_build::builder::snake_case(name);
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("snapshots")
        .join(format!("{file}.rs"))
}

#[test]
fn generated_code_matches_snapshots() {
    let update = std::env::var_os("UPDATE").is_some();
    let mut stale = Vec::new();
    for (name, path, resources) in WORKFLOWS {
        let source =
            std::fs::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap();
        let options = Options {
            type_name: name.to_string(),
            resources: resources.iter().map(|r| r.to_string()).collect(),
            ..Options::default()
        };
        let file_name = path.rsplit('/').next().unwrap();
        let generated =
            generate_file(&source, file_name, &options).unwrap_or_else(|e| panic!("{name}: {e}"));
        let target = snapshot_path(name);
        let stored = std::fs::read_to_string(&target).unwrap_or_default();
        if stored != generated {
            if update {
                std::fs::write(&target, &generated).unwrap();
            } else {
                stale.push(target.display().to_string());
            }
        }
    }
    assert!(
        stale.is_empty(),
        "generated code differs from the snapshots (rerun with UPDATE=1 and review): {stale:?}"
    );
}
