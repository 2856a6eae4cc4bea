//! `kube-standin`: serves the Kubernetes API stand-in for scripts (the sample's run).
//!
//! Prints one JSON line on stdout, `{"endpoint": "https://127.0.0.1:PORT",
//! "certificateAuthority": "<base64 of the CA PEM>", "token": "<bearer token>"}`, then
//! serves until SIGTERM or SIGINT, or until stdin closes when stdin is a pipe (so it
//! never outlives a parent that holds the other end).
//!
//! Flags: `--token T` (repeatable; default one random token), `--read-only-token T`,
//! `--accept-eks-tokens`, `--pod-start-delay-ms N`, `--command-timeout-secs N`,
//! `--no-run-commands`.

use std::os::unix::fs::FileTypeExt;
use std::process::ExitCode;
use std::time::Duration;

use asl_testkit::kube::{Config, KubeStandIn};
use tokio::io::AsyncReadExt;
use tokio::signal::unix::{SignalKind, signal};

const USAGE: &str = "usage: kube-standin [--token T]... [--read-only-token T]... [--accept-eks-tokens] \
[--pod-start-delay-ms N] [--command-timeout-secs N] [--no-run-commands]";

fn parse(args: &[String]) -> Result<Config, String> {
    let mut config = Config::default();
    let mut tokens = Vec::new();
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value"))
        };
        let number = |name: &str, v: String| {
            v.parse::<u64>()
                .map_err(|_| format!("{name} needs a whole number, got {v:?}"))
        };
        match flag.as_str() {
            "--token" => tokens.push(value(flag)?),
            "--read-only-token" => config.tokens.read_only_tokens.push(value(flag)?),
            "--accept-eks-tokens" => config.tokens.accept_eks_tokens = true,
            "--pod-start-delay-ms" => {
                config.pod_start_delay = Duration::from_millis(number(flag, value(flag)?)?)
            }
            "--command-timeout-secs" => {
                config.command_timeout = Duration::from_secs(number(flag, value(flag)?)?)
            }
            "--no-run-commands" => config.run_commands = false,
            "-h" | "--help" => return Err(USAGE.to_string()),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    if !tokens.is_empty() {
        config.tokens.tokens = tokens;
    }
    Ok(config)
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let config = match parse(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("kube-standin: {e}");
            return ExitCode::from(2);
        }
    };
    // Handlers first: a SIGTERM right after the connection line must stop us cleanly.
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        eprintln!("kube-standin: cannot install signal handlers");
        return ExitCode::FAILURE;
    };
    let standin = match KubeStandIn::start(config).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("kube-standin: {e}");
            return ExitCode::FAILURE;
        }
    };
    let line = serde_json::json!({
        "endpoint": standin.endpoint(),
        "certificateAuthority": standin.ca_base64(),
        "token": standin.token(),
    });
    println!("{line}");
    let stdin_is_pipe = std::fs::metadata("/dev/stdin").is_ok_and(|m| m.file_type().is_fifo());
    let stdin_closed = async {
        if !stdin_is_pipe {
            return std::future::pending::<()>().await;
        }
        let mut stdin = tokio::io::stdin();
        let mut buf = [0u8; 256];
        while let Ok(n) = stdin.read(&mut buf).await {
            if n == 0 {
                break;
            }
        }
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
        _ = stdin_closed => {}
    }
    standin.stop();
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn flags() {
        let c = parse(&args(&[
            "--token",
            "a",
            "--token",
            "b",
            "--accept-eks-tokens",
            "--pod-start-delay-ms",
            "5",
        ]))
        .unwrap();
        assert_eq!(c.tokens.tokens, ["a", "b"]);
        assert!(c.tokens.accept_eks_tokens);
        assert_eq!(c.pod_start_delay, Duration::from_millis(5));
        assert_eq!(parse(&[]).unwrap().tokens.tokens.len(), 1);
        assert!(parse(&args(&["--token"])).is_err());
        assert!(parse(&args(&["--pod-start-delay-ms", "x"])).is_err());
        assert!(parse(&args(&["--bogus"])).is_err());
    }
}
