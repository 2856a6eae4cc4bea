//! What a workflow program does around its workflow: read the command line and the
//! execution input, build the runtime (AWS configuration, integrations, cluster
//! overrides, history), show progress, and report the outcome.
//!
//! A program is then three lines around the generated type:
//!
//! ```no_run
//! asl::asl!(ManageEksCluster = "manage-eks-cluster.asl.json");
//!
//! #[tokio::main]
//! async fn main() -> std::process::ExitCode {
//!     let app = match asl_examples::app::App::from_env("manage-eks-cluster").await {
//!         Ok(app) => app,
//!         Err(code) => return code,
//!     };
//!     match app.run::<ManageEksCluster>().await {
//!         Ok(outcome) => app.finish(outcome),
//!         Err(e) => {
//!             eprintln!("manage-eks-cluster: {e}");
//!             std::process::ExitCode::from(asl_examples::app::EXIT_SETUP)
//!         }
//!     }
//! }
//! ```
//!
//! Output goes to stdout (the execution's output JSON, nothing else); progress,
//! errors and warnings go to stderr. No credential or token is ever printed: tokens
//! are read from files or environment variables into the integrations' `Secret`.

use std::fmt;
use std::future::Future;
use std::io::{IsTerminal, Read};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use asl::runtime::Workflow;
use asl::runtime::exec::{
    EventType, ExecutionError, ExecutionOptions, History, HistoryEvent, Runtime, RuntimeBuilder,
};
use asl::runtime::integrations::{ClusterOverride, Integrations, Timeouts, WaitSchedule};
use asl::runtime::store::{
    ExecutionStatus, ExecutionStore, ListFilter, PostgresStore, SqliteStore,
};
use base64::Engine as _;
use serde_json::Value;

use crate::cli::{
    self, Args, CaSource, ClusterTarget, Command, InputSource, ProgressMode, TokenSource,
};
use crate::history_json;
use crate::progress::{Progress, Style};

/// Exit status of a usage or setup error (the execution did not start).
pub const EXIT_SETUP: u8 = 2;
/// Exit status when interrupted (Ctrl-C), as shells report SIGINT.
pub const EXIT_INTERRUPTED: u8 = 130;

/// A problem before the execution starts: unreadable input, a missing CA file, no
/// region. The message names the file or setting, never a secret's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetupError(pub String);

impl fmt::Display for SetupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SetupError {}

fn setup(message: impl Into<String>) -> SetupError {
    SetupError(message.into())
}

/// Loads the AWS configuration the standard way (environment, profiles, SSO,
/// instance metadata), with `--region` and `--aws-endpoint` on top. Without any
/// region, fails with what to set.
pub async fn load_aws_config(args: &Args) -> Result<aws_config::SdkConfig, SetupError> {
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
    if let Some(region) = &args.region {
        loader = loader.region(aws_config::Region::new(region.clone()));
    }
    if let Some(url) = &args.aws_endpoint {
        loader = loader.endpoint_url(url);
    }
    let sdk = loader.load().await;
    if sdk.region().is_none() {
        return Err(setup(
            "no AWS region: set AWS_REGION, a region in your AWS profile, or pass --region",
        ));
    }
    Ok(sdk)
}

/// Fails at once when no AWS credentials can be found, instead of letting the first
/// task fail and retry for minutes (the sample retries cluster creation on any
/// error). The message is the provider chain's, which never contains a secret.
pub async fn check_credentials(sdk: &aws_config::SdkConfig) -> Result<(), SetupError> {
    use aws_credential_types::provider::ProvideCredentials as _;
    let Some(provider) = sdk.credentials_provider() else {
        return Err(setup("no AWS credentials provider is configured"));
    };
    provider
        .provide_credentials()
        .await
        .map(|_| ())
        .map_err(|e| {
            setup(format!(
                "no usable AWS credentials (environment, profile, SSO or instance role): {}",
                asl::runtime::error::chain(&e)
            ))
        })
}

/// The integrations for `sdk`, with the cluster mappings and polling of `args`.
pub async fn integrations(
    sdk: &aws_config::SdkConfig,
    args: &Args,
) -> Result<Integrations, SetupError> {
    let mut builder = Integrations::builder(sdk);
    if let Some(limit) = args.request_timeout {
        builder = builder.timeouts(Timeouts::all(limit));
    }
    if let Some(initial) = args.poll_interval {
        let default = WaitSchedule::default();
        builder = builder.wait_schedule(WaitSchedule {
            initial,
            max: default.max.max(initial),
            multiplier: default.multiplier,
        });
    }
    for mapping in &args.clusters {
        let name = &mapping.cluster_name;
        let target = match &mapping.target {
            ClusterTarget::Server {
                endpoint,
                ca,
                token,
            } => {
                let ca = match ca {
                    Some(CaSource::Base64(b64)) => b64.clone(),
                    Some(CaSource::File(path)) => {
                        let pem = std::fs::read(path).map_err(|e| {
                            setup(format!(
                                "cluster {name}: cannot read the CA file {}: {e}",
                                path.display()
                            ))
                        })?;
                        base64::engine::general_purpose::STANDARD.encode(pem)
                    }
                    None => {
                        return Err(setup(format!(
                            "cluster {name}: no CA given (--cluster-ca-file or --cluster-ca-data)"
                        )));
                    }
                };
                let mut o = ClusterOverride::new(endpoint.clone(), &ca).map_err(|e| {
                    setup(format!(
                        "cluster {name}: the CA is not a usable certificate: {}",
                        e.cause.as_deref().unwrap_or(&e.error)
                    ))
                })?;
                if let Some(token) = token {
                    o = o.bearer_token(read_token(name, token)?);
                }
                o
            }
            ClusterTarget::Kubeconfig { context } => {
                ClusterOverride::from_kubeconfig(context.as_deref())
                    .await
                    .map_err(|e| {
                        setup(format!(
                            "cluster {name}: {}",
                            e.cause.as_deref().unwrap_or(&e.error)
                        ))
                    })?
            }
        };
        builder = builder.cluster_override(name.clone(), target);
    }
    Ok(builder.build())
}

/// A bearer token from its file or variable. Errors say where, never what.
fn read_token(cluster: &str, source: &TokenSource) -> Result<String, SetupError> {
    let token = match source {
        TokenSource::File(path) => std::fs::read_to_string(path).map_err(|e| {
            setup(format!(
                "cluster {cluster}: cannot read the token file {}: {e}",
                path.display()
            ))
        })?,
        TokenSource::Env(var) => std::env::var(var).map_err(|_| {
            setup(format!(
                "cluster {cluster}: the environment variable {var} (--cluster-token-env) is not set"
            ))
        })?,
    };
    let token = token.trim().to_string();
    if token.is_empty() {
        return Err(setup(format!("cluster {cluster}: the token is empty")));
    }
    Ok(token)
}

/// A runtime with every built-in integration (and what cleans up after them),
/// its region taken from `sdk`, `history` as its history sink, and the store
/// of `--store`.
pub async fn build_runtime(
    sdk: &aws_config::SdkConfig,
    args: &Args,
    history: History,
) -> Result<Runtime, SetupError> {
    Ok(runtime_builder(sdk, args, history).await?.build())
}

/// [`build_runtime`] before `build`, for a caller that registers workflows.
pub async fn runtime_builder(
    sdk: &aws_config::SdkConfig,
    args: &Args,
    history: History,
) -> Result<RuntimeBuilder, SetupError> {
    let integrations = integrations(sdk, args).await?;
    let mut builder = Runtime::builder()
        .handlers(integrations.handlers())
        .cleaners(integrations.cleaners())
        .object_storage(integrations.object_storage())
        .cleanup_on_failure(args.cleanup_on_failure)
        .history(history);
    if let Some(region) = sdk.region() {
        builder = builder.region(region.as_ref());
    }
    if let Some(location) = &args.store {
        builder = builder.shared_store(open_store(location).await?);
    }
    if let Some(lease) = args.lease {
        builder = builder.lease(lease);
    }
    Ok(builder)
}

/// The store at `location`: a `postgres://` URL, or a SQLite file path.
pub async fn open_store(location: &str) -> Result<Arc<dyn ExecutionStore>, SetupError> {
    if location.starts_with("postgres://") || location.starts_with("postgresql://") {
        let store = PostgresStore::connect(location)
            .await
            .map_err(|e| setup(format!("--store: {e}")))?;
        return Ok(Arc::new(store));
    }
    let store =
        SqliteStore::open(location).map_err(|e| setup(format!("--store {location}: {e}")))?;
    Ok(Arc::new(store))
}

/// Reads the execution input and parses it as JSON. Empty input is `{}`.
pub fn read_input(source: &InputSource) -> Result<Value, SetupError> {
    let (text, from) = match source {
        InputSource::Inline(text) => (text.clone(), "the input argument".to_string()),
        InputSource::File(path) => (
            std::fs::read_to_string(path).map_err(|e| {
                setup(format!(
                    "cannot read the input file {}: {e}",
                    path.display()
                ))
            })?,
            format!("the input file {}", path.display()),
        ),
        InputSource::Stdin => (read_stdin()?, "stdin".to_string()),
        InputSource::Default if !std::io::stdin().is_terminal() => {
            (read_stdin()?, "stdin".to_string())
        }
        InputSource::Default => (String::new(), String::new()),
    };
    if text.trim().is_empty() {
        return Ok(Value::Object(Default::default()));
    }
    serde_json::from_str(&text).map_err(|e| {
        setup(format!(
            "{from} is not valid JSON: {e} (line {}, column {})",
            e.line(),
            e.column()
        ))
    })
}

fn read_stdin() -> Result<String, SetupError> {
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .map_err(|e| setup(format!("cannot read the input from stdin: {e}")))?;
    Ok(text)
}

/// One run of a workflow program: parsed arguments, input, runtime, progress.
pub struct App {
    program: String,
    args: Args,
    input: Value,
    runtime: Runtime,
    region: String,
    progress: Option<Progress>,
    events: Option<Arc<Mutex<Vec<HistoryEvent>>>>,
    sdk: aws_config::SdkConfig,
}

impl App {
    /// From the process's arguments and environment. `Err` carries the exit status
    /// after `--help`/`--version` (0) or a usage/setup error (2, message printed).
    pub async fn from_env(program: &str) -> Result<App, ExitCode> {
        let command = match cli::parse(std::env::args().skip(1)) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("{program}: {e}\nTry `{program} --help`.");
                return Err(ExitCode::from(EXIT_SETUP));
            }
        };
        let args = match command {
            Command::Help => {
                print!("{}", cli::USAGE.replace("{program}", program));
                return Err(ExitCode::SUCCESS);
            }
            Command::Version => {
                println!("{program} {}", env!("CARGO_PKG_VERSION"));
                return Err(ExitCode::SUCCESS);
            }
            Command::Run(args) => *args,
        };
        match Self::new(program, args).await {
            Ok(app) => Ok(app),
            Err(e) => {
                eprintln!("{program}: {e}");
                Err(ExitCode::from(EXIT_SETUP))
            }
        }
    }

    /// From already parsed arguments, with the standard AWS configuration.
    pub async fn new(program: &str, args: Args) -> Result<App, SetupError> {
        // A server takes its inputs from its clients.
        let input = if args.serve.is_some() {
            Value::Object(Default::default())
        } else {
            read_input(&args.input)?
        };
        let sdk = load_aws_config(&args).await?;
        check_credentials(&sdk).await?;
        let region = sdk.region().map(|r| r.to_string()).unwrap_or_default();
        let stderr_tty = std::io::stderr().is_terminal();
        let style = match args.progress {
            ProgressMode::None => None,
            ProgressMode::Plain => Some(Style::Plain),
            ProgressMode::Live => Some(Style::Live { color: use_color() }),
            ProgressMode::Auto if stderr_tty => Some(Style::Live { color: use_color() }),
            ProgressMode::Auto => Some(Style::Plain),
        };
        let progress = style.map(|s| Progress::new(s, Box::new(std::io::stderr())));
        let events = args
            .history
            .as_ref()
            .map(|_| Arc::new(Mutex::new(Vec::new())));
        let history = match (&progress, &events) {
            (None, None) => History::None,
            _ => {
                let (progress, events) = (progress.clone(), events.clone());
                History::custom(move |event| {
                    if let Some(p) = &progress {
                        p.observe(&event);
                    }
                    if let Some(list) = &events {
                        list.lock().unwrap_or_else(|p| p.into_inner()).push(event);
                    }
                })
            }
        };
        let runtime = build_runtime(&sdk, &args, history).await?;
        Ok(App {
            program: program.to_string(),
            args,
            input,
            runtime,
            region,
            progress,
            events,
            sdk,
        })
    }

    pub fn runtime(&self) -> &Runtime {
        &self.runtime
    }

    /// The execution input (a copy: the workflow takes it by value).
    pub fn input(&self) -> Value {
        self.input.clone()
    }

    /// The execution's options: its name when `--name` was given.
    pub fn options(&self) -> ExecutionOptions {
        let mut options = ExecutionOptions::default();
        if let Some(name) = &self.args.execution_name {
            options = options.name(name.clone());
        }
        options
    }

    /// Runs the workflow `W` as the arguments say: in memory, or on `--store`
    /// (started there, or resumed with `--resume`); shows progress. `Ok(None)`
    /// when interrupted (Ctrl-C or SIGTERM): with a store, the execution is then
    /// stopped (ABORTED), and cleaned up with `--cleanup-on-failure`.
    pub async fn run<W: Workflow + 'static>(
        &self,
    ) -> Result<Option<Result<Value, ExecutionError>>, SetupError> {
        if let Some(address) = self.args.serve {
            return self.serve::<W>(address).await;
        }
        if !self.runtime.is_durable() {
            let execution = W::run_with(&self.runtime, self.input(), self.options());
            return Ok(self.run_until_interrupted(execution).await);
        }
        let arn = if self.args.resume {
            self.resumable::<W>().await?
        } else {
            let started = self
                .runtime
                .start_execution::<W>(self.input(), self.options())
                .await
                .map_err(|e| setup(format!("cannot start the execution: {e}")))?;
            started.execution_arn
        };
        eprintln!("{}: execution {arn}", self.program);
        if let Some(p) = &self.progress {
            p.start_ticker();
        }
        tokio::select! {
            record = self.runtime.wait_for_execution(&arn) => {
                let record = record.map_err(|e| setup(format!("the store failed: {e}")))?;
                self.take_stored_history(&arn).await;
                Ok(Some(ExecutionError::outcome_of(&record)))
            }
            _ = interrupted() => {
                if self.args.cleanup_on_failure {
                    eprintln!("{}: stopping the execution and deleting what it created", self.program);
                }
                self.runtime
                    .stop_execution(
                        &arn,
                        Some("Interrupted"),
                        Some("The program running the execution was interrupted (Ctrl-C or SIGTERM)."),
                    )
                    .await
                    .map_err(|e| setup(format!("cannot stop the execution: {e}")))?;
                // Before the process exits: the driver stopped, cleanup done.
                self.runtime.stopped(&arn).await;
                Ok(None)
            }
        }
    }

    /// `--serve`: AWS Step Functions' HTTP API for `W` on `address` (its
    /// executions on `--store`, those left running resumed first), until
    /// Ctrl-C or SIGTERM (`Ok(None)`).
    async fn serve<W: Workflow + 'static>(
        &self,
        address: std::net::SocketAddr,
    ) -> Result<Option<Result<Value, ExecutionError>>, SetupError> {
        let key_id = match &self.args.serve_key_id {
            Some(id) => id.clone(),
            None => std::env::var("ASL_ENDPOINT_ACCESS_KEY_ID").map_err(|_| {
                setup(
                    "--serve needs an access key id: --serve-key-id or ASL_ENDPOINT_ACCESS_KEY_ID",
                )
            })?,
        };
        let secret = match &self.args.serve_secret_file {
            Some(path) => std::fs::read_to_string(path)
                .map(|s| s.trim().to_string())
                .map_err(|e| {
                    setup(format!("cannot read the secret file {}: {e}", path.display()))
                })?,
            None => std::env::var("ASL_ENDPOINT_SECRET_ACCESS_KEY").map_err(|_| {
                setup(
                    "--serve needs a secret access key: --serve-secret-file or ASL_ENDPOINT_SECRET_ACCESS_KEY",
                )
            })?,
        };
        if secret.is_empty() {
            return Err(setup("--serve: the secret access key is empty"));
        }
        let runtime = runtime_builder(&self.sdk, &self.args, History::None)
            .await?
            .workflow::<W>()
            .build();
        let listener = tokio::net::TcpListener::bind(address)
            .await
            .map_err(|e| setup(format!("--serve {address}: {e}")))?;
        let bound = listener
            .local_addr()
            .map_err(|e| setup(format!("--serve {address}: {e}")))?;
        eprintln!(
            "{}: serving {} ({}) on http://{bound} (AWS Step Functions API, SigV4 with access key {key_id}, region {})",
            self.program,
            W::NAME,
            runtime.state_machine_arn(W::NAME),
            self.region
        );
        let config = asl::endpoint::Config::new().credential(key_id, secret);
        tokio::select! {
            served = asl::endpoint::serve(runtime, config, listener) => {
                served.map_err(|e| setup(format!("--serve {bound}: {e}")))?;
                Ok(None)
            }
            _ = interrupted() => Ok(None),
        }
    }

    /// With `--history`, the whole stored history of the execution (also the
    /// events of a process that ran it before this one), not only this
    /// process's.
    async fn take_stored_history(&self, arn: &str) {
        let Some(events) = &self.events else { return };
        let stored = match self.runtime.get_execution_history(arn).await {
            Ok(stored) => stored,
            Err(e) => {
                eprintln!("{}: cannot read the stored history: {e}", self.program);
                return;
            }
        };
        let name: Arc<str> = Arc::from(arn.rsplit(':').next().unwrap_or(arn));
        let history = stored
            .into_iter()
            .filter_map(|e| {
                Some(HistoryEvent {
                    id: e.id,
                    timestamp: e.timestamp,
                    event_type: EventType::parse(&e.event_type)?,
                    execution: name.clone(),
                    state_name: e.state,
                    previous_event_id: e.previous_event_id,
                    details: e.details,
                })
            })
            .collect();
        *events.lock().unwrap_or_else(|p| p.into_inner()) = history;
    }

    /// `--resume`: claims the RUNNING executions of `W` in the store and returns
    /// the one to follow (the only one, or the one `--name` names).
    async fn resumable<W: Workflow>(&self) -> Result<String, SetupError> {
        let resumed = self
            .runtime
            .resume::<W>()
            .await
            .map_err(|e| setup(format!("cannot resume: {e}")))?;
        for (arn, why) in &resumed.refused {
            eprintln!("{}: not resuming {arn}: {why}", self.program);
        }
        let running = self
            .runtime
            .list_executions(&ListFilter {
                workflow: Some(W::NAME.to_string()),
                status: Some(ExecutionStatus::Running),
            })
            .await
            .map_err(|e| setup(format!("cannot list the executions: {e}")))?;
        let mut candidates: Vec<_> = running
            .into_iter()
            .filter(|r| !resumed.refused.iter().any(|(arn, _)| *arn == r.arn))
            .filter(|r| {
                self.args
                    .execution_name
                    .as_ref()
                    .is_none_or(|n| *n == r.name)
            })
            .collect();
        match candidates.len() {
            0 => Err(setup(format!(
                "--resume: no RUNNING execution of {}{} in the store",
                W::NAME,
                self.args
                    .execution_name
                    .as_ref()
                    .map(|n| format!(" named {n}"))
                    .unwrap_or_default()
            ))),
            1 => {
                let record = candidates.remove(0);
                if !resumed.resumed.contains(&record.arn) {
                    eprintln!(
                        "{}: {} is still leased by {}; taking it over when that lease runs out",
                        self.program,
                        record.name,
                        record.owner.as_deref().unwrap_or("another process")
                    );
                }
                Ok(record.arn)
            }
            n => Err(setup(format!(
                "--resume: {n} executions of {} are RUNNING; say which with --name",
                W::NAME
            ))),
        }
    }

    /// Runs the execution, showing progress; `None` when interrupted (Ctrl-C or
    /// SIGTERM) before it ended.
    pub async fn run_until_interrupted<F>(
        &self,
        execution: F,
    ) -> Option<Result<Value, ExecutionError>>
    where
        F: Future<Output = Result<Value, ExecutionError>>,
    {
        if let Some(p) = &self.progress {
            p.start_ticker();
        }
        tokio::select! {
            result = execution => Some(result),
            _ = interrupted() => None,
        }
    }

    /// Reports the outcome: the output JSON on stdout, or the error and cause on
    /// stderr; writes `--history`. Returns the exit status.
    pub fn finish(self, outcome: Option<Result<Value, ExecutionError>>) -> ExitCode {
        if let Some(p) = &self.progress {
            p.finish();
        }
        let program = &self.program;
        let mut code = match &outcome {
            Some(Ok(_)) => ExitCode::SUCCESS,
            Some(Err(_)) => ExitCode::FAILURE,
            None => ExitCode::from(EXIT_INTERRUPTED),
        };
        if let (Some(path), Some(events)) = (&self.args.history, &self.events) {
            let events = events.lock().unwrap_or_else(|p| p.into_inner());
            let json = history_json::to_json(&events, &self.region);
            let text = serde_json::to_string_pretty(&json).unwrap_or_default();
            if let Err(e) = std::fs::write(path, text + "\n") {
                eprintln!(
                    "{program}: cannot write the history to {}: {e}",
                    path.display()
                );
                if matches!(outcome, Some(Ok(_))) {
                    code = ExitCode::from(EXIT_SETUP);
                }
            }
        }
        match outcome {
            Some(Ok(output)) => {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&output).unwrap_or_else(|_| output.to_string())
                );
            }
            Some(Err(e)) if e.aborted() => {
                eprintln!("{program}: the execution was stopped (ABORTED)");
                eprintln!("  error: {}", e.error().unwrap_or("(none)"));
                eprintln!("  cause: {}", e.cause().unwrap_or("(none)"));
            }
            Some(Err(e)) => {
                eprintln!("{program}: the execution failed");
                eprintln!("  error: {}", e.error().unwrap_or("(none)"));
                eprintln!("  cause: {}", e.cause().unwrap_or("(none)"));
                if e.timed_out() {
                    eprintln!("  (the state machine's TimeoutSeconds ran out)");
                }
            }
            None if self.args.store.is_some() && self.args.cleanup_on_failure => {
                eprintln!(
                    "{program}: interrupted: the execution was stopped (ABORTED) and what it \
                     created was deleted (see its history)."
                );
            }
            None if self.args.store.is_some() => {
                eprintln!(
                    "{program}: interrupted: the execution was stopped (ABORTED). Resources it \
                     created so far keep running until deleted (--cleanup-on-failure deletes \
                     them); it can be redriven."
                );
            }
            None => {
                eprintln!(
                    "{program}: interrupted. Resources the execution created so far (EKS \
                     clusters, node groups, Kubernetes Jobs) keep running until deleted \
                     (--store keeps the execution: resume it, or stop it with cleanup)."
                );
            }
        }
        code
    }
}

/// Whether to color the live display: not when `NO_COLOR` is set (no-color.org).
fn use_color() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Ctrl-C, or SIGTERM on Unix.
pub async fn interrupted() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_parses_or_says_where_it_is_wrong() {
        assert_eq!(
            read_input(&InputSource::Inline(r#"{"a": [1]}"#.into())).unwrap(),
            serde_json::json!({"a": [1]})
        );
        assert_eq!(
            read_input(&InputSource::Inline("  ".into())).unwrap(),
            serde_json::json!({})
        );
        let e = read_input(&InputSource::Inline("{\"a\": }".into())).unwrap_err();
        assert!(e.0.contains("the input argument is not valid JSON"), "{e}");
        assert!(e.0.contains("line 1, column 7"), "{e}");
        let e = read_input(&InputSource::File("/no/such/input.json".into())).unwrap_err();
        assert!(
            e.0.contains("cannot read the input file /no/such/input.json"),
            "{e}"
        );
    }

    #[test]
    fn token_errors_name_the_source_not_the_value() {
        let dir = std::env::temp_dir().join(format!("asl-examples-token-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("token");
        std::fs::write(&file, " secret-value \n").unwrap();
        assert_eq!(
            read_token("C", &TokenSource::File(file.clone())).unwrap(),
            "secret-value"
        );
        std::fs::write(&file, "\n").unwrap();
        let e = read_token("C", &TokenSource::File(file.clone())).unwrap_err();
        assert!(e.0.contains("token is empty"), "{e}");
        let e = read_token(
            "C",
            &TokenSource::Env("ASL_EXAMPLES_SURELY_UNSET_VAR".into()),
        )
        .unwrap_err();
        assert!(e.0.contains("ASL_EXAMPLES_SURELY_UNSET_VAR"), "{e}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[tokio::test]
    async fn a_bad_ca_is_a_setup_error() {
        let sdk = aws_config::SdkConfig::builder()
            .region(aws_config::Region::new("sa-east-1"))
            .behavior_version(aws_config::BehaviorVersion::latest())
            .build();
        let args = Args {
            clusters: vec![cli::ClusterMapping {
                cluster_name: "C".into(),
                target: ClusterTarget::Server {
                    endpoint: "https://127.0.0.1:1".into(),
                    ca: Some(CaSource::File("/no/such/ca.pem".into())),
                    token: None,
                },
            }],
            ..Args::default()
        };
        let e = integrations(&sdk, &args).await.unwrap_err();
        assert!(
            e.0.contains("cannot read the CA file /no/such/ca.pem"),
            "{e}"
        );
        let args = Args {
            clusters: vec![cli::ClusterMapping {
                cluster_name: "C".into(),
                target: ClusterTarget::Server {
                    endpoint: "https://127.0.0.1:1".into(),
                    ca: Some(CaSource::Base64("not base64!".into())),
                    token: None,
                },
            }],
            ..Args::default()
        };
        let e = integrations(&sdk, &args).await.unwrap_err();
        assert!(
            e.0.starts_with("cluster C: the CA is not a usable certificate"),
            "{e}"
        );
    }
}
