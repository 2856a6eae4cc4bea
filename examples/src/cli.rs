//! Command-line arguments of a workflow program such as `manage-eks-cluster`.
//!
//! In: the program's arguments (without the program name). Out: [`Args`], or a
//! [`UsageError`] that says which argument is wrong and why. Arguments are read with
//! lexopt (a small lexer: the shipped binary stays small, and the order-dependent
//! cluster flags stay easy to follow); [`USAGE`] is the help text.
//!
//! Nothing here reads tokens: a cluster's bearer token is named by a file or an
//! environment variable, never given on the command line, so it cannot show up in
//! `ps` output or shell history.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

/// The help text of a workflow program; `{program}` is replaced by its name.
pub const USAGE: &str = "\
Usage: {program} [OPTIONS] [INPUT]

Runs the workflow compiled into this program and prints its output as JSON.

INPUT is the execution input as JSON text, or `-` to read it from stdin. Without
INPUT or --input, the input is read from stdin when stdin is not a terminal, and is
`{}` otherwise.

Options:
  --input FILE              Read the execution input from FILE (`-` for stdin)
  --aws-endpoint URL        Send every AWS call (EKS, SNS) to URL, e.g. a moto server
                            (default: AWS's endpoints, or AWS_ENDPOINT_URL if set)
  --region REGION           AWS region (default: AWS_REGION / the profile's region)
  --cluster NAME=URL        Send the Kubernetes calls of the task's ClusterName NAME
                            to the API server at URL instead of the Endpoint the
                            workflow passes. Follow it with:
    --cluster-ca-file FILE    the API server's CA certificate (PEM) [required]
    --cluster-ca-data BASE64  ... or the CA as base64, like EKS's certificateAuthority.data
    --cluster-token-file FILE a bearer token read from FILE
    --cluster-token-env VAR   a bearer token read from the environment variable VAR
                            (without a token, an EKS token is made from the AWS
                            credentials, as Step Functions does)
  --kube-context NAME[=CTX] Send the Kubernetes calls of ClusterName NAME to the
                            cluster of kubeconfig context CTX (default: the current
                            context of KUBECONFIG or ~/.kube/config)
  --history FILE            Write the execution history to FILE as JSON
  --progress MODE           auto (default), live, plain or none; auto is live on a
                            terminal and plain lines otherwise (shown on stderr)
  --poll-interval SECONDS   First delay between status checks of `.sync` tasks
                            (default 1; it doubles up to 15)
  --request-timeout SECONDS How long to wait on a silent AWS endpoint or API server
                            before the task fails with States.TaskFailed (default:
                            connect 10 s, read 60 s, AWS call 180 s with retries)
  --name NAME               The execution name (default: a random UUID)
  --store LOCATION          Keep the execution in a store: a SQLite file PATH, or a
                            postgres://user@host:port/db URL shared by several
                            processes. Every transition is committed; a crash or a
                            kill loses nothing (continue it with --resume)
  --resume                  Continue the execution(s) of this workflow that are still
                            RUNNING in --store (all of them, or the one --name names)
                            instead of starting one; waits until the lease of the
                            process that ran them has run out
  --lease SECONDS           How long another process waits before it takes over an
                            execution whose process stopped renewing (default 30)
  --cleanup-on-failure      When the execution fails, times out or is stopped
                            (Ctrl-C), delete the EKS clusters, node groups and
                            Kubernetes Jobs it created and that still exist, newest
                            first, each waited for. Nothing it did not create is
                            touched. Ctrl-C cleanup needs --store
  --serve ADDRESS           Serve the workflow over AWS Step Functions' HTTP API at
                            ADDRESS (e.g. 127.0.0.1:8083; port 0 picks a free one)
                            instead of running one execution: boto3, the AWS CLI
                            and the AWS SDKs start, describe, list, stop and redrive
                            its executions (state machine ARN
                            arn:aws:states:REGION:ACCOUNT:stateMachine:ManageEksCluster).
                            Needs --store. Requests must be signed (SigV4, service
                            `states`, this region) with the access key id of
                            --serve-key-id or ASL_ENDPOINT_ACCESS_KEY_ID and the secret
                            read from --serve-secret-file or
                            ASL_ENDPOINT_SECRET_ACCESS_KEY
  --serve-key-id ID         The access key id clients sign with
  --serve-secret-file FILE  A file holding the secret access key clients sign with
  -h, --help                Show this help
  -V, --version             Show the version

Exit status: 0 when the execution succeeds, 1 when it fails (its error and cause are
printed on stderr), 2 for a usage or setup error, 130 when interrupted (Ctrl-C: with
--store, the execution is stopped: ABORTED).
";

/// Where the execution input comes from.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum InputSource {
    /// JSON text given as the positional argument.
    Inline(String),
    /// A file (`--input FILE`).
    File(PathBuf),
    /// Standard input (`-`, `--input -`).
    Stdin,
    /// Nothing said: stdin when it is not a terminal, `{}` otherwise.
    #[default]
    Default,
}

/// Where a cluster's CA certificate comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CaSource {
    File(PathBuf),
    Base64(String),
}

/// Where a cluster's bearer token comes from (never the command line itself).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TokenSource {
    File(PathBuf),
    Env(String),
}

/// Where the Kubernetes calls for one `ClusterName` go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClusterTarget {
    /// An API server URL with its CA and, optionally, a bearer token.
    Server {
        endpoint: String,
        ca: Option<CaSource>,
        token: Option<TokenSource>,
    },
    /// A kubeconfig context (`None`: the current one).
    Kubeconfig { context: Option<String> },
}

/// One `--cluster` or `--kube-context` mapping.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterMapping {
    pub cluster_name: String,
    pub target: ClusterTarget,
}

/// How states are shown while the workflow runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ProgressMode {
    /// Live on a terminal, plain lines otherwise.
    #[default]
    Auto,
    Live,
    Plain,
    None,
}

/// What to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    Run(Box<Args>),
    Help,
    Version,
}

/// The parsed arguments of a run.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Args {
    pub input: InputSource,
    pub aws_endpoint: Option<String>,
    pub region: Option<String>,
    pub clusters: Vec<ClusterMapping>,
    pub history: Option<PathBuf>,
    pub progress: ProgressMode,
    pub poll_interval: Option<Duration>,
    pub request_timeout: Option<Duration>,
    pub execution_name: Option<String>,
    /// `--store`: a SQLite file or a `postgres://` URL.
    pub store: Option<String>,
    pub resume: bool,
    pub lease: Option<Duration>,
    pub cleanup_on_failure: bool,
    /// `--serve`: where to serve the Step Functions API.
    pub serve: Option<std::net::SocketAddr>,
    /// `--serve-key-id`: the access key id clients sign with.
    pub serve_key_id: Option<String>,
    /// `--serve-secret-file`: where the secret access key is.
    pub serve_secret_file: Option<PathBuf>,
}

/// A wrong command line: what is wrong, for the user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsageError(pub String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

fn usage(message: impl Into<String>) -> UsageError {
    UsageError(message.into())
}

/// Parses the arguments after the program name (with lexopt: `--flag value` and
/// `--flag=value`, `--` before a positional argument that starts with `-`; the
/// cluster flags apply to the `--cluster` before them, so order matters and a
/// plain lexer fits better than a declarative parser).
pub fn parse<I, S>(args: I) -> Result<Command, UsageError>
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    use lexopt::prelude::*;

    let mut parser = lexopt::Parser::from_args(args.into_iter().map(Into::<String>::into));
    let mut out = Args::default();
    let mut positional: Option<String> = None;
    let lexer = |e: lexopt::Error| usage(format!("{e} (see --help)"));
    while let Some(arg) = parser.next().map_err(lexer)? {
        let flag = match &arg {
            Long(name) => format!("--{name}"),
            Short(c) => format!("-{c}"),
            Value(_) => String::new(),
        };
        // Every option but -h/-V takes a non-empty value.
        let value = |parser: &mut lexopt::Parser| -> Result<String, UsageError> {
            let value = match parser.value() {
                Ok(v) => v,
                Err(lexopt::Error::MissingValue { .. }) => {
                    return Err(usage(format!("{flag} needs a value")));
                }
                Err(e) => return Err(lexer(e)),
            };
            match value.string() {
                Ok(v) if !v.is_empty() => Ok(v),
                Ok(_) => Err(usage(format!("{flag} needs a value"))),
                Err(_) => Err(usage(format!("{flag}: the value is not UTF-8"))),
            }
        };
        match arg {
            Short('h') | Long("help") => return Ok(Command::Help),
            Short('V') | Long("version") => return Ok(Command::Version),
            Value(v) => {
                let v = v
                    .into_string()
                    .map_err(|_| usage("the input argument is not UTF-8"))?;
                if positional.is_some() {
                    return Err(usage(format!(
                        "unexpected argument `{}`: give the input once (quote JSON text)",
                        abbreviate(&v)
                    )));
                }
                positional = Some(v);
            }
            Long("input") => {
                let v = value(&mut parser)?;
                if out.input != InputSource::Default {
                    return Err(usage("--input given twice"));
                }
                out.input = if v == "-" {
                    InputSource::Stdin
                } else {
                    InputSource::File(PathBuf::from(v))
                };
            }
            Long("aws-endpoint") => {
                let v = value(&mut parser)?;
                if !(v.starts_with("http://") || v.starts_with("https://")) {
                    return Err(usage(format!(
                        "--aws-endpoint {v}: expected an http:// or https:// URL"
                    )));
                }
                out.aws_endpoint = Some(v);
            }
            Long("region") => out.region = Some(value(&mut parser)?),
            Long("cluster") => {
                let v = value(&mut parser)?;
                let Some((name, endpoint)) = v.split_once('=') else {
                    return Err(usage(format!(
                        "--cluster {v}: expected NAME=URL, e.g. ExampleCluster=https://127.0.0.1:6443"
                    )));
                };
                if name.is_empty() || !endpoint.starts_with("https://") {
                    return Err(usage(format!(
                        "--cluster {v}: expected NAME=URL with an https:// URL"
                    )));
                }
                out.add_cluster(
                    name,
                    ClusterTarget::Server {
                        endpoint: endpoint.to_string(),
                        ca: None,
                        token: None,
                    },
                )?;
            }
            Long("cluster-ca-file" | "cluster-ca-data") => {
                let v = value(&mut parser)?;
                let ca = if flag == "--cluster-ca-file" {
                    CaSource::File(PathBuf::from(v))
                } else {
                    CaSource::Base64(v)
                };
                let (name, slot, _) = out.last_server(&flag)?;
                if slot.is_some() {
                    return Err(usage(format!("{flag}: cluster `{name}` already has a CA")));
                }
                *slot = Some(ca);
            }
            Long("cluster-token-file" | "cluster-token-env") => {
                let v = value(&mut parser)?;
                let token = if flag == "--cluster-token-file" {
                    TokenSource::File(PathBuf::from(v))
                } else {
                    TokenSource::Env(v)
                };
                let (name, _, slot) = out.last_server(&flag)?;
                if slot.is_some() {
                    return Err(usage(format!(
                        "{flag}: cluster `{name}` already has a token"
                    )));
                }
                *slot = Some(token);
            }
            Long("kube-context") => {
                let v = value(&mut parser)?;
                let (name, context) = match v.split_once('=') {
                    Some((n, c)) if !c.is_empty() => (n.to_string(), Some(c.to_string())),
                    Some((n, _)) => (n.to_string(), None),
                    None => (v.clone(), None),
                };
                if name.is_empty() {
                    return Err(usage(format!(
                        "--kube-context {v}: expected NAME or NAME=CONTEXT"
                    )));
                }
                out.add_cluster(&name, ClusterTarget::Kubeconfig { context })?;
            }
            Long("history") => out.history = Some(PathBuf::from(value(&mut parser)?)),
            Long("progress") => {
                let v = value(&mut parser)?;
                out.progress = match v.as_str() {
                    "auto" => ProgressMode::Auto,
                    "live" => ProgressMode::Live,
                    "plain" => ProgressMode::Plain,
                    "none" => ProgressMode::None,
                    _ => {
                        return Err(usage(format!(
                            "--progress {v}: expected auto, live, plain or none"
                        )));
                    }
                };
            }
            Long("poll-interval") => {
                let v = value(&mut parser)?;
                let seconds: f64 = v.parse().map_err(|_| {
                    usage(format!("--poll-interval {v}: expected seconds, e.g. 0.5"))
                })?;
                // At least a millisecond, at most an hour: a typo should not hang a run.
                if !(0.001..=3600.0).contains(&seconds) {
                    return Err(usage(format!(
                        "--poll-interval {v}: expected between 0.001 and 3600 seconds"
                    )));
                }
                out.poll_interval = Some(Duration::from_secs_f64(seconds));
            }
            Long("request-timeout") => {
                let v = value(&mut parser)?;
                let seconds: f64 = v.parse().map_err(|_| {
                    usage(format!("--request-timeout {v}: expected seconds, e.g. 30"))
                })?;
                if !(0.1..=3600.0).contains(&seconds) {
                    return Err(usage(format!(
                        "--request-timeout {v}: expected between 0.1 and 3600 seconds"
                    )));
                }
                out.request_timeout = Some(Duration::from_secs_f64(seconds));
            }
            Long("name") => out.execution_name = Some(value(&mut parser)?),
            Long("store") => out.store = Some(value(&mut parser)?),
            Long("resume") => out.resume = true,
            Long("cleanup-on-failure") => out.cleanup_on_failure = true,
            Long("lease") => {
                let v = value(&mut parser)?;
                let seconds: f64 = v
                    .parse()
                    .map_err(|_| usage(format!("--lease {v}: expected seconds, e.g. 30")))?;
                if !(0.1..=86400.0).contains(&seconds) {
                    return Err(usage(format!(
                        "--lease {v}: expected between 0.1 and 86400 seconds"
                    )));
                }
                out.lease = Some(Duration::from_secs_f64(seconds));
            }
            Long("serve") => {
                let v = value(&mut parser)?;
                let address = v.parse().map_err(|_| {
                    usage(format!(
                        "--serve {v}: expected an address and port, e.g. 127.0.0.1:8083"
                    ))
                })?;
                out.serve = Some(address);
            }
            Long("serve-key-id") => out.serve_key_id = Some(value(&mut parser)?),
            Long("serve-secret-file") => {
                out.serve_secret_file = Some(PathBuf::from(value(&mut parser)?));
            }
            Long(_) | Short(_) => {
                return Err(usage(format!(
                    "unknown option `{}` (see --help)",
                    abbreviate(&flag)
                )));
            }
        }
    }
    if let Some(p) = positional {
        if out.input != InputSource::Default {
            return Err(usage(
                "give the input either as an argument or with --input, not both",
            ));
        }
        out.input = if p == "-" {
            InputSource::Stdin
        } else {
            InputSource::Inline(p)
        };
    }
    if out.resume && out.store.is_none() {
        return Err(usage(
            "--resume needs --store: the executions to resume are there",
        ));
    }
    if out.resume && out.input != InputSource::Default {
        return Err(usage(
            "--resume continues stored executions with their own input: give no input",
        ));
    }
    if out.serve.is_some() {
        if out.store.is_none() {
            return Err(usage(
                "--serve needs --store: the executions it serves are kept there",
            ));
        }
        if out.resume || out.input != InputSource::Default {
            return Err(usage(
                "--serve starts executions when clients ask: give no input and no --resume",
            ));
        }
    } else if out.serve_key_id.is_some() || out.serve_secret_file.is_some() {
        return Err(usage(
            "--serve-key-id and --serve-secret-file go with --serve",
        ));
    }
    for mapping in &out.clusters {
        if let ClusterTarget::Server { ca: None, .. } = mapping.target {
            return Err(usage(format!(
                "--cluster {}: needs the API server's CA (--cluster-ca-file or --cluster-ca-data)",
                mapping.cluster_name
            )));
        }
    }
    Ok(Command::Run(Box::new(out)))
}

impl Args {
    fn add_cluster(&mut self, name: &str, target: ClusterTarget) -> Result<(), UsageError> {
        if self.clusters.iter().any(|c| c.cluster_name == name) {
            return Err(usage(format!("cluster `{name}` is mapped twice")));
        }
        self.clusters.push(ClusterMapping {
            cluster_name: name.to_string(),
            target,
        });
        Ok(())
    }

    /// The CA and token slots of the last `--cluster`, for the flags that follow it.
    #[allow(clippy::type_complexity)]
    fn last_server(
        &mut self,
        flag: &str,
    ) -> Result<(&str, &mut Option<CaSource>, &mut Option<TokenSource>), UsageError> {
        match self.clusters.last_mut() {
            Some(ClusterMapping {
                cluster_name,
                target: ClusterTarget::Server { ca, token, .. },
            }) => Ok((cluster_name.as_str(), ca, token)),
            _ => Err(usage(format!("{flag} must follow a --cluster NAME=URL"))),
        }
    }
}

/// A long argument (it may be a whole JSON document) cut for an error message.
fn abbreviate(s: &str) -> String {
    const MAX: usize = 40;
    if s.chars().count() <= MAX {
        s.to_string()
    } else {
        let cut: String = s.chars().take(MAX).collect();
        format!("{cut}...")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> Args {
        match parse(args.iter().copied()) {
            Ok(Command::Run(a)) => *a,
            other => panic!("expected a run, got {other:?}"),
        }
    }

    fn err(args: &[&str]) -> String {
        match parse(args.iter().copied()) {
            Err(e) => e.0,
            other => panic!("expected an error, got {other:?}"),
        }
    }

    #[test]
    fn serve_flags_are_checked() {
        let a = run(&[
            "--serve",
            "127.0.0.1:8083",
            "--store",
            "x.db",
            "--serve-key-id",
            "AKIDLOCAL",
            "--serve-secret-file",
            "secret.txt",
        ]);
        assert_eq!(a.serve, Some("127.0.0.1:8083".parse().unwrap()));
        assert_eq!(a.serve_key_id.as_deref(), Some("AKIDLOCAL"));
        assert_eq!(a.serve_secret_file, Some(PathBuf::from("secret.txt")));
        assert!(err(&["--serve", "127.0.0.1:1"]).contains("--serve needs --store"));
        assert!(err(&["--serve", "localhost"]).contains("expected an address and port"));
        assert!(
            err(&["--serve", "127.0.0.1:1", "--store", "x.db", "{}"]).contains("give no input")
        );
        assert!(err(&["--serve-key-id", "AKID"]).contains("go with --serve"));
    }

    #[test]
    fn store_flags_are_checked() {
        let a = run(&[
            "--store",
            "x.db",
            "--resume",
            "--lease",
            "2.5",
            "--cleanup-on-failure",
        ]);
        assert_eq!(a.store.as_deref(), Some("x.db"));
        assert!(a.resume && a.cleanup_on_failure);
        assert_eq!(a.lease, Some(Duration::from_millis(2500)));
        assert!(err(&["--resume"]).contains("--resume needs --store"));
        assert!(err(&["--store", "x.db", "--resume", "{}"]).contains("give no input"));
        assert!(err(&["--lease", "0"]).contains("between 0.1 and 86400"));
        assert!(err(&["--lease", "soon"]).contains("expected seconds"));
    }

    #[test]
    fn input_from_argument_file_or_stdin() {
        assert_eq!(run(&[]).input, InputSource::Default);
        assert_eq!(
            run(&[r#"{"a": 1}"#]).input,
            InputSource::Inline(r#"{"a": 1}"#.into())
        );
        assert_eq!(run(&["-"]).input, InputSource::Stdin);
        assert_eq!(run(&["--input", "-"]).input, InputSource::Stdin);
        assert_eq!(
            run(&["--input=in.json"]).input,
            InputSource::File("in.json".into())
        );
        assert_eq!(run(&["--", "-5"]).input, InputSource::Inline("-5".into()));
        assert!(err(&["{}", "{}"]).contains("give the input once"));
        assert!(err(&["--input", "a.json", "{}"]).contains("not both"));
    }

    #[test]
    fn cluster_mapping_collects_its_ca_and_token() {
        let a = run(&[
            "--cluster",
            "ExampleCluster=https://127.0.0.1:6443",
            "--cluster-ca-data",
            "Q0E=",
            "--cluster-token-env",
            "MY_TOKEN",
            "--kube-context",
            "Other=kind-dev",
            "--kube-context",
            "Third",
        ]);
        assert_eq!(
            a.clusters,
            vec![
                ClusterMapping {
                    cluster_name: "ExampleCluster".into(),
                    target: ClusterTarget::Server {
                        endpoint: "https://127.0.0.1:6443".into(),
                        ca: Some(CaSource::Base64("Q0E=".into())),
                        token: Some(TokenSource::Env("MY_TOKEN".into())),
                    },
                },
                ClusterMapping {
                    cluster_name: "Other".into(),
                    target: ClusterTarget::Kubeconfig {
                        context: Some("kind-dev".into())
                    },
                },
                ClusterMapping {
                    cluster_name: "Third".into(),
                    target: ClusterTarget::Kubeconfig { context: None },
                },
            ]
        );
    }

    #[test]
    fn cluster_mistakes_are_usage_errors() {
        assert!(err(&["--cluster", "x"]).contains("NAME=URL"));
        assert!(err(&["--cluster", "x=http://a"]).contains("https://"));
        assert!(err(&["--cluster", "x=https://a"]).contains("needs the API server's CA"));
        assert!(err(&["--cluster-ca-data", "Q0E="]).contains("must follow a --cluster"));
        assert!(
            err(&[
                "--cluster",
                "x=https://a",
                "--cluster-ca-data",
                "Q0E=",
                "--cluster-ca-file",
                "f"
            ])
            .contains("already has a CA")
        );
        assert!(
            err(&[
                "--cluster",
                "x=https://a",
                "--cluster-ca-data",
                "Q0E=",
                "--kube-context",
                "x"
            ])
            .contains("mapped twice")
        );
    }

    #[test]
    fn other_flags() {
        let a = run(&[
            "--aws-endpoint",
            "http://127.0.0.1:5000",
            "--region=sa-east-1",
            "--history",
            "h.json",
            "--progress",
            "plain",
            "--poll-interval",
            "0.25",
            "--name",
            "run-1",
        ]);
        assert_eq!(a.aws_endpoint.as_deref(), Some("http://127.0.0.1:5000"));
        assert_eq!(a.region.as_deref(), Some("sa-east-1"));
        assert_eq!(a.history, Some(PathBuf::from("h.json")));
        assert_eq!(a.progress, ProgressMode::Plain);
        assert_eq!(a.poll_interval, Some(Duration::from_millis(250)));
        assert_eq!(a.execution_name.as_deref(), Some("run-1"));
        assert_eq!(parse(["-h"]), Ok(Command::Help));
        assert_eq!(parse(["--version"]), Ok(Command::Version));
        assert!(err(&["--aws-endpoint", "localhost:5000"]).contains("http://"));
        assert!(err(&["--progress", "fancy"]).contains("auto, live, plain or none"));
        assert!(err(&["--poll-interval", "soon"]).contains("expected seconds"));
        assert!(err(&["--poll-interval", "0"]).contains("between"));
        assert!(err(&["--region"]).contains("needs a value"));
        assert!(err(&["--frobnicate"]).contains("unknown option `--frobnicate`"));
    }
}
