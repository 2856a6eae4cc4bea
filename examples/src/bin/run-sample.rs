//! `run-sample`: runs `manage-eks-cluster` end to end on this machine, with no AWS
//! account. `scripts/run-sample` builds both programs and runs this one.
//!
//! 1. starts moto's server (EKS control plane, SNS) and the Kubernetes API stand-in
//!    on free ports of 127.0.0.1 (through `asl-testkit`);
//! 2. creates in moto the SNS topic the sample publishes to (the ARN in the
//!    definition: account 111122223333, region sa-east-1);
//! 3. runs the real `manage-eks-cluster` program (next to this one) with dummy AWS
//!    credentials, region `sa-east-1`, `--aws-endpoint` = moto, and the sample's
//!    `ExampleCluster` mapped to the stand-in with `--cluster` (moto's cluster
//!    Endpoint and CA are fake); its progress and output appear as they come;
//! 4. reads the SNS message back from moto and shows it;
//! 5. stops both services (also on Ctrl-C/SIGTERM) and exits with the workflow's
//!    status.
//!
//! Arguments are passed on to `manage-eks-cluster` (e.g. `--history h.json`, an
//! input). `ASL_SAMPLE_BIN` names another `manage-eks-cluster` binary.
//!
//! `--kill-and-resume` shows a durable execution surviving a crash: the sample
//! runs on a SQLite store (`--store`), is killed with SIGKILL while its Job runs,
//! and is started again with `--resume`, which finishes the same execution. At the
//! end it prints what the runs made: one cluster, one node group, one Job and one
//! SNS message.

use std::path::{Path, PathBuf};
use std::process::{ExitCode, Stdio};

use asl_examples::app::interrupted;
use asl_examples::sandbox::{ACCESS_KEY_ID, SECRET_ACCESS_KEY, Sandbox};

/// The sample's definition, for the SNS topic it publishes to.
const DEFINITION: &str = include_str!("../../manage-eks-cluster.asl.json");
/// The sample's cluster (its `ClusterName`).
const CLUSTER_NAME: &str = "ExampleCluster";
/// The region of the sample's topic ARN.
const REGION: &str = "sa-east-1";

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("run-sample: {e}");
            ExitCode::from(2)
        }
    }
}

async fn run() -> Result<ExitCode, String> {
    let sample = sample_binary()?;
    eprintln!("run-sample: starting moto and the Kubernetes API stand-in on 127.0.0.1");
    let sandbox = Sandbox::start().await?;
    eprintln!(
        "run-sample: moto (EKS, SNS) at {}, Kubernetes API stand-in at {}",
        sandbox.aws_endpoint(),
        sandbox.kube_endpoint()
    );
    eprintln!(
        "run-sample: the stand-in runs each Job container's command with this machine's \
         program of that name (here `perl`), not in a container"
    );
    for arn in sandbox.create_topics(DEFINITION).await? {
        eprintln!("run-sample: created SNS topic {arn} in moto");
    }

    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let kill_and_resume = args.iter().any(|a| a == "--kill-and-resume");
    args.retain(|a| a != "--kill-and-resume");
    eprintln!(
        "run-sample: running {} --aws-endpoint {} --region {REGION} --cluster {CLUSTER_NAME}={} ...",
        sample.display(),
        sandbox.aws_endpoint(),
        sandbox.kube_endpoint()
    );
    let status = if kill_and_resume {
        match kill_and_resume_run(&sample, &sandbox, &args).await? {
            Some(status) => status,
            None => return Ok(ExitCode::from(130)),
        }
    } else {
        let mut child = spawn(&sample, &sandbox, &args)?;
        // The stand-in serves on this process's runtime while the child runs.
        match wait_or_interrupt(&mut child).await? {
            Some(status) => status,
            None => return Ok(ExitCode::from(130)),
        }
    };

    let messages = sandbox.sns_messages().await?;
    if messages.is_empty() {
        eprintln!("run-sample: moto holds no SNS message");
    }
    for m in &messages {
        let topic = m["TopicArn"].as_str().unwrap_or("?");
        let text = m["Message"].as_str().unwrap_or_default();
        eprintln!("run-sample: SNS message read back from moto (topic {topic}):");
        // The sample publishes {"Input": "Saw expected value for pi: ..."}.
        match serde_json::from_str::<serde_json::Value>(text) {
            Ok(v) if v["Input"].is_string() => println!("{}", v["Input"].as_str().unwrap_or("")),
            _ => println!("{text}"),
        }
    }
    if kill_and_resume {
        eprintln!("run-sample: the two runs made {}", sandbox.tally().await?);
    }
    drop(sandbox);
    Ok(match status.code() {
        Some(0) => ExitCode::SUCCESS,
        Some(code) => {
            eprintln!("run-sample: manage-eks-cluster exited with status {code}");
            ExitCode::from(u8::try_from(code).unwrap_or(1))
        }
        None => {
            eprintln!("run-sample: manage-eks-cluster was killed by a signal");
            ExitCode::FAILURE
        }
    })
}

/// Starts `manage-eks-cluster` against the sandbox with `args`.
fn spawn(
    sample: &Path,
    sandbox: &Sandbox,
    args: &[String],
) -> Result<tokio::process::Child, String> {
    let mut command = tokio::process::Command::new(sample);
    command
        .arg("--aws-endpoint")
        .arg(sandbox.aws_endpoint())
        .arg("--region")
        .arg(REGION)
        .args(sandbox.cluster_args(CLUSTER_NAME))
        // moto answers at once; poll deletes after 0.2 s instead of 1 s.
        .args(["--poll-interval", "0.2"])
        .args(args)
        // Dummy credentials, and nothing of the user's real AWS setup.
        .env("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY)
        .env("AWS_REGION", REGION)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/nonexistent/asl-run-sample/config")
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/asl-run-sample/credentials",
        )
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_DEFAULT_PROFILE")
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("AWS_ENDPOINT_URL_EKS")
        .env_remove("AWS_ENDPOINT_URL_SNS")
        .env_remove("AWS_ENDPOINT_URL_STS")
        .stdin(Stdio::null())
        .kill_on_drop(true);
    command
        .spawn()
        .map_err(|e| format!("starting {}: {e}", sample.display()))
}

/// The child's exit status, or `None` after Ctrl-C/SIGTERM (passed on to it).
async fn wait_or_interrupt(
    child: &mut tokio::process::Child,
) -> Result<Option<std::process::ExitStatus>, String> {
    tokio::select! {
        status = child.wait() => status.map(Some).map_err(|e| format!("waiting for the sample: {e}")),
        _ = interrupted() => {
            // A Ctrl-C reaches the sample too: let it report what it leaves behind.
            let grace = std::time::Duration::from_secs(3);
            if tokio::time::timeout(grace, child.wait()).await.is_err() {
                let _ = child.start_kill();
                let _ = child.wait().await;
            }
            eprintln!("run-sample: interrupted; stopping moto and the stand-in");
            Ok(None)
        }
    }
}

/// `--kill-and-resume`: the sample on a SQLite store, SIGKILLed once its Job
/// exists, then `--resume` on the same store. The second run's status.
async fn kill_and_resume_run(
    sample: &Path,
    sandbox: &Sandbox,
    args: &[String],
) -> Result<Option<std::process::ExitStatus>, String> {
    let dir = std::env::temp_dir().join(format!("asl-kill-and-resume-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    let store = dir.join("executions.db");
    let _ = std::fs::remove_file(&store);
    let store_args = [
        "--store".to_string(),
        store.display().to_string(),
        // The second process takes over 2 s after the first one's last renewal.
        "--lease".to_string(),
        "2".to_string(),
    ];
    let mut first_args = store_args.to_vec();
    first_args.extend(["--name".to_string(), "kill-and-resume".to_string()]);
    first_args.extend(args.iter().cloned());
    eprintln!("run-sample: first run, on the store {}", store.display());
    let mut first = spawn(sample, sandbox, &first_args)?;
    let started = std::time::Instant::now();
    loop {
        if let Ok(Some(status)) = first.try_wait() {
            return Err(format!(
                "the first run ended ({status}) before its Job ran: nothing to kill"
            ));
        }
        if !sandbox.kube().jobs().is_empty() {
            break;
        }
        if started.elapsed() > std::time::Duration::from_secs(300) {
            let _ = first.start_kill();
            return Err("the first run created no Job within 5 minutes".into());
        }
        tokio::select! {
            () = tokio::time::sleep(std::time::Duration::from_millis(20)) => {}
            _ = interrupted() => {
                let _ = first.start_kill();
                return Ok(None);
            }
        }
    }
    first
        .start_kill()
        .map_err(|e| format!("killing the first run: {e}"))?;
    let _ = first.wait().await;
    eprintln!(
        "run-sample: killed the first run (SIGKILL) while its Job runs; resuming the \
         execution from the store in a new process"
    );
    let mut second_args = store_args.to_vec();
    second_args.push("--resume".to_string());
    let mut second = spawn(sample, sandbox, &second_args)?;
    let status = wait_or_interrupt(&mut second).await;
    let _ = std::fs::remove_dir_all(&dir);
    status
}

/// `manage-eks-cluster`: `ASL_SAMPLE_BIN`, else the binary next to this one.
fn sample_binary() -> Result<PathBuf, String> {
    if let Some(path) = std::env::var_os("ASL_SAMPLE_BIN") {
        return Ok(PathBuf::from(path));
    }
    let me = std::env::current_exe().map_err(|e| format!("finding this program: {e}"))?;
    let path = me.with_file_name(format!(
        "manage-eks-cluster{}",
        std::env::consts::EXE_SUFFIX
    ));
    if path.is_file() {
        Ok(path)
    } else {
        Err(format!(
            "{} not found: build it with `cargo build --release -p asl-examples --bins` \
             (scripts/run-sample does), or set ASL_SAMPLE_BIN",
            path.display()
        ))
    }
}
