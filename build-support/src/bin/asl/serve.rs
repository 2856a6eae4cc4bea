//! `asl serve FILE... [--listen ADDRESS] [--store LOCATION] [--state-dir DIR]`:
//! AWS Step Functions' API (the `asl-endpoint` crate) over definition files,
//! each a state machine named after its file, and over the state machines
//! clients create with CreateStateMachine.
//!
//! This process is the supervisor. It builds the state machines into a worker
//! program (as `asl test` builds its programs: kept under a key made of the
//! definitions' hashes, so a set built once starts at once), runs it, and
//! forwards each connection it accepts to the worker. When a client creates,
//! updates or deletes a state machine, the worker checks the request and asks
//! for the new set on its standard output; the supervisor builds it, starts a
//! new worker, sends new connections there, answers the old worker (which then
//! answers the client) and retires it: the old worker finishes the requests in
//! flight and hands its executions to the new one through the store. A worker
//! that dies is started again; executions continue from the store.
//!
//! The state directory keeps the registry of state machines
//! (`state-machines.json`: definitions, types, roles, dates) and, unless
//! `--store` names another, the SQLite store of executions (`executions.db`).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use asl_build::program::{self, Program, lit};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::process::{Child, ChildStdin, Command};
use tokio::sync::{Mutex, mpsc, watch};

#[derive(clap::Args)]
pub struct ServeArgs {
    /// Definition files, each served as a state machine named after its file
    /// (`orders.asl.json` is `orders`).
    #[arg(value_name = "FILE")]
    files: Vec<String>,
    /// Where to listen (loopback by default, the port Step Functions Local used).
    #[arg(long, default_value = "127.0.0.1:8083")]
    listen: SocketAddr,
    /// The execution store: a SQLite file or a postgres:// URL (default:
    /// `executions.db` in the state directory). Every worker shares it.
    #[arg(long, value_name = "LOCATION")]
    store: Option<String>,
    /// Where the registry of state machines (and the default store) is kept.
    #[arg(long, value_name = "DIR", default_value = ".asl-serve")]
    state_dir: PathBuf,
}

const REGISTRY: &str = "state-machines.json";

/// One worker process: where it listens and how to talk to it.
struct Worker {
    address: SocketAddr,
    stdin: Arc<Mutex<ChildStdin>>,
}

/// What the supervisor keeps.
struct Supervisor {
    state_dir: PathBuf,
    store: String,
    features: Vec<String>,
    /// The worker new connections go to.
    current: watch::Sender<Option<SocketAddr>>,
    /// Its control channel and program, once started.
    worker: Mutex<Option<Worker>>,
    /// What the workers say and do, in order.
    events: mpsc::UnboundedSender<Event>,
}

enum Event {
    /// A worker asks for a new set: (worker address, request id, registry).
    Deploy(SocketAddr, u64, Value),
    /// A worker's process ended: started again if it is the current one.
    Ended(SocketAddr, PathBuf, PathBuf),
}

pub fn serve(args: &ServeArgs) -> Result<bool, String> {
    if std::env::var_os("ASL_ENDPOINT_ACCESS_KEY_ID").is_none()
        || std::env::var_os("ASL_ENDPOINT_SECRET_ACCESS_KEY").is_none()
    {
        return Err(
            "set ASL_ENDPOINT_ACCESS_KEY_ID and ASL_ENDPOINT_SECRET_ACCESS_KEY: the credentials clients sign their requests with"
                .into(),
        );
    }
    std::fs::create_dir_all(&args.state_dir)
        .map_err(|e| format!("{}: {e}", args.state_dir.display()))?;
    let state_dir = args
        .state_dir
        .canonicalize()
        .map_err(|e| format!("{}: {e}", args.state_dir.display()))?;
    let mut registry = read_registry(&state_dir)?;
    let mut valid = true;
    for file in &args.files {
        match file_machine(file)? {
            Some(machine) => merge(&mut registry, machine),
            None => valid = false,
        }
    }
    if !valid {
        return Ok(false);
    }
    if registry.is_empty() {
        return Err("nothing to serve: give definition files (or a state directory with state machines created before)".into());
    }
    let store = match &args.store {
        Some(s) => s.clone(),
        None => state_dir.join("executions.db").display().to_string(),
    };
    let postgres = store.starts_with("postgres://") || store.starts_with("postgresql://");
    let features = vec![
        "endpoint".to_string(),
        if postgres { "postgres" } else { "sqlite" }.to_string(),
    ];
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async move {
        let (events, mut incoming) = mpsc::unbounded_channel();
        let supervisor = Arc::new(Supervisor {
            state_dir,
            store,
            features,
            current: watch::Sender::new(None),
            worker: Mutex::new(None),
            events,
        });
        supervisor.deploy(registry).await?;
        let listener = TcpListener::bind(args.listen)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
        let address = listener.local_addr().map_err(|e| e.to_string())?;
        eprintln!("asl serve: listening on http://{address}");
        let deployer = supervisor.clone();
        tokio::spawn(async move {
            while let Some(event) = incoming.recv().await {
                match event {
                    Event::Deploy(from, id, registry) => {
                        deployer.answer(from, id, registry).await;
                    }
                    Event::Ended(address, binary, registry) => {
                        deployer.restart(address, &binary, &registry).await;
                    }
                }
            }
        });
        let forward = async {
            loop {
                let (client, _) = match listener.accept().await {
                    Ok(accepted) => accepted,
                    Err(_) => {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let target = *supervisor.current.borrow();
                tokio::spawn(forward(client, target));
            }
        };
        tokio::select! {
            () = forward => {}
            _ = tokio::signal::ctrl_c() => {}
            () = terminated() => {}
        }
        // Retire the worker: it hands its executions back to the store.
        if let Some(worker) = supervisor.worker.lock().await.take() {
            let _ = retire(&worker.stdin).await;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        Ok(true)
    })
}

#[cfg(unix)]
async fn terminated() {
    match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(mut s) => {
            s.recv().await;
        }
        Err(_) => std::future::pending().await,
    }
}

#[cfg(not(unix))]
async fn terminated() {
    std::future::pending().await
}

/// Pipes one client connection to the worker.
async fn forward(mut client: TcpStream, target: Option<SocketAddr>) {
    let Some(target) = target else { return };
    let Ok(mut worker) = TcpStream::connect(target).await else {
        return;
    };
    let _ = client.set_nodelay(true);
    let _ = worker.set_nodelay(true);
    let _ = tokio::io::copy_bidirectional(&mut client, &mut worker).await;
}

async fn retire(stdin: &Mutex<ChildStdin>) -> std::io::Result<()> {
    let mut stdin = stdin.lock().await;
    stdin.write_all(b"{\"retire\":true}\n").await?;
    stdin.flush().await
}

impl Supervisor {
    /// A worker's request for a new set: deployed, then answered.
    async fn answer(self: &Arc<Self>, from: SocketAddr, id: u64, registry: Value) {
        let machines = registry["stateMachines"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let current = *self.current.borrow();
        let result = if current != Some(from) {
            Err("the endpoint was redeployed meanwhile: send the request again".to_string())
        } else {
            self.deploy(machines).await
        };
        let reply = match &result {
            Ok(_) => json!({ "id": id, "ok": true }),
            Err(why) => json!({ "id": id, "error": why }),
        };
        let old = match result {
            Ok(Some(old)) => Some(old),
            _ => None,
        };
        // The old worker answers its client, then retires.
        let stdin = match &old {
            Some(old) => Some(old.stdin.clone()),
            None => self
                .worker
                .lock()
                .await
                .as_ref()
                .filter(|w| w.address == from)
                .map(|w| w.stdin.clone()),
        };
        if let Some(stdin) = stdin {
            let mut s = stdin.lock().await;
            let _ = s.write_all(format!("{reply}\n").as_bytes()).await;
            let _ = s.flush().await;
            drop(s);
            if old.is_some() {
                let _ = retire(&stdin).await;
            }
        }
    }

    /// Builds `machines` into a worker program (or finds it built), starts it
    /// and sends new connections to it; the worker it replaces, to retire.
    async fn deploy(self: &Arc<Self>, machines: Vec<Value>) -> Result<Option<Worker>, String> {
        let WorkerProgram {
            key,
            features,
            main,
            definitions,
        } = worker_program(&machines, &self.features)?;
        let dir = program::source_dir()?
            .join("target")
            .join("asl-runner")
            .join(&key);
        for (file, text) in &definitions {
            asl_build::builder::write_if_changed(&dir.join(file), text)
                .map_err(|e| format!("{}: {e}", dir.join(file).display()))?;
        }
        let program = Program {
            key: key.clone(),
            features,
            tokio_features: vec!["rt-multi-thread".into()],
            main,
            what: match machines.len() {
                1 => "1 state machine".to_string(),
                n => format!("{n} state machines"),
            },
        };
        let binary = tokio::task::spawn_blocking(move || program::build(&program))
            .await
            .map_err(|e| e.to_string())??;
        // The registry the worker reads, and the one kept for the next start.
        let registry = json!({ "stateMachines": machines });
        let text = serde_json::to_string_pretty(&registry).unwrap_or_default();
        let registry_file = dir.join(format!("{REGISTRY}.{}", std::process::id()));
        std::fs::write(&registry_file, &text)
            .map_err(|e| format!("{}: {e}", registry_file.display()))?;
        let worker = self.start(&binary, &registry_file).await?;
        asl_build::builder::write_if_changed(&self.state_dir.join(REGISTRY), &text)
            .map_err(|e| format!("{}: {e}", self.state_dir.display()))?;
        let address = worker.address;
        let old = self.worker.lock().await.replace(worker);
        self.current.send_replace(Some(address));
        Ok(old)
    }

    /// The worker at `address` ended: when it was the current one, it is
    /// started again (its executions continue from the store).
    async fn restart(self: &Arc<Self>, address: SocketAddr, binary: &Path, registry: &Path) {
        let mut slot = self.worker.lock().await;
        if slot.as_ref().is_none_or(|w| w.address != address) {
            return;
        }
        eprintln!("asl serve: starting the worker again");
        tokio::time::sleep(Duration::from_millis(200)).await;
        match self.start(binary, registry).await {
            Ok(worker) => {
                self.current.send_replace(Some(worker.address));
                *slot = Some(worker);
            }
            Err(e) => eprintln!("asl serve: {e}"),
        }
    }

    /// Starts a worker and waits until it listens.
    async fn start(self: &Arc<Self>, binary: &Path, registry: &Path) -> Result<Worker, String> {
        let mut child: Child = Command::new(binary)
            .env("ASL_SERVE_REGISTRY", registry)
            .env("ASL_SERVE_STORE", &self.store)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(false)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
        let stdin = child.stdin.take().ok_or("no worker stdin")?;
        let stdout = child.stdout.take().ok_or("no worker stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let ready = tokio::time::timeout(Duration::from_secs(60), async {
            while let Ok(Some(line)) = lines.next_line().await {
                if let Ok(message) = serde_json::from_str::<Value>(&line)
                    && let Some(address) = message["ready"].as_str()
                {
                    return address.parse::<SocketAddr>().ok();
                }
            }
            None
        })
        .await
        .ok()
        .flatten();
        let Some(address) = ready else {
            let _ = child.kill().await;
            return Err("the worker program did not start (see above)".into());
        };
        let stdin = Arc::new(Mutex::new(stdin));
        // Its requests, and its end: a current worker that dies is started again.
        let events = self.events.clone();
        let (binary, registry) = (binary.to_path_buf(), registry.to_path_buf());
        tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                if let Ok(message) = serde_json::from_str::<Value>(&line)
                    && let Some(id) = message["id"].as_u64()
                {
                    let _ = events.send(Event::Deploy(address, id, message["deploy"].clone()));
                }
            }
            let status = child.wait().await;
            if !status.as_ref().is_ok_and(|s| s.success()) {
                eprintln!(
                    "asl serve: a worker ended ({})",
                    status.map_or_else(|e| e.to_string(), |s| s.to_string())
                );
            }
            let _ = events.send(Event::Ended(address, binary, registry));
        });
        Ok(Worker { address, stdin })
    }
}

/// A worker program: its key, its `main.rs`, and the definition files it
/// compiles (paths relative to its directory, and texts).
struct WorkerProgram {
    key: String,
    /// The `asl` features: the endpoint, the store, the integration
    /// families the definitions call.
    features: Vec<String>,
    main: String,
    definitions: Vec<(String, String)>,
}

/// The worker program for `machines`.
fn worker_program(machines: &[Value], base_features: &[String]) -> Result<WorkerProgram, String> {
    let mut entries: Vec<(String, String)> = machines
        .iter()
        .map(|m| {
            (
                m["name"].as_str().unwrap_or_default().to_string(),
                m["definition"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    entries.sort();
    let mut features: Vec<String> = base_features.to_vec();
    let mut parts: Vec<Vec<u8>> = vec![b"asl serve worker 1".to_vec()];
    for (name, definition) in &entries {
        let machine = asl_build::load_with(
            definition.as_bytes(),
            name,
            &asl_build::CheckOptions::default(),
        )
        .map_err(|d| format!("state machine {name} does not compile:\n{d}"))?;
        for resource in machine.task_resources() {
            if let Some(f) = asl_build::check::sdk::resource_feature(&resource)
                && !features.iter().any(|x| x == f)
            {
                features.push(f.to_string());
            }
        }
        parts.push(name.as_bytes().to_vec());
        parts.push(definition.as_bytes().to_vec());
    }
    features.sort();
    for f in &features {
        parts.push(format!("feature:{f}").into_bytes());
    }
    let key = program::key(parts.iter().map(Vec::as_slice));
    let dir = program::source_dir()?
        .join("target")
        .join("asl-runner")
        .join(&key);
    let mut declarations = String::new();
    let mut registrations = String::new();
    let mut files = Vec::new();
    for (i, (name, definition)) in entries.iter().enumerate() {
        let file = format!("machines/{i}.asl.json");
        declarations.push_str(&format!(
            "asl::asl!(M{i} = {}, name = {});\n",
            lit(&dir.join(&file).display().to_string()),
            lit(name)
        ));
        registrations.push_str(&format!("\n        .workflow::<M{i}>()"));
        files.push((file, definition.clone()));
    }
    let integrations = if features
        .iter()
        .all(|f| matches!(f.as_str(), "endpoint" | "sqlite" | "postgres"))
    {
        ""
    } else {
        program::REGISTER_INTEGRATIONS
    };
    let store = if features.iter().any(|f| f == "postgres") {
        r#"match asl::runtime::store::PostgresStore::connect(&location).await {
        Ok(store) => store,
        Err(e) => {
            eprintln!("asl serve worker: the store at ASL_SERVE_STORE: {e}");
            return std::process::ExitCode::from(2);
        }
    }"#
    } else {
        r#"match asl::runtime::store::SqliteStore::open(&location) {
        Ok(store) => store,
        Err(e) => {
            eprintln!("asl serve worker: {location}: {e}");
            return std::process::ExitCode::from(2);
        }
    }"#
    };
    let main = format!(
        r#"// Written by `asl serve`: a worker serving {count} state machines.
{declarations}
#[tokio::main]
async fn main() -> std::process::ExitCode {{
    let location = std::env::var("ASL_SERVE_STORE").unwrap_or_default();
    let store = {store};
    let mut builder = asl::runtime::Runtime::builder()
        .store(store){registrations};{region}{integrations}
    asl::endpoint::worker::run(builder).await
}}
"#,
        count = entries.len(),
        region = program::REGION_FROM_ENV,
    );
    Ok(WorkerProgram {
        key,
        features,
        main,
        definitions: files,
    })
}

/// The registry kept in the state directory (empty when there is none yet).
fn read_registry(state_dir: &Path) -> Result<Vec<Value>, String> {
    let path = state_dir.join(REGISTRY);
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            let v: Value =
                serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
            Ok(v["stateMachines"].as_array().cloned().unwrap_or_default())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

/// A definition file as a registry record, checked as `asl!` checks it
/// (`None`, with the diagnostics printed, when it does not compile).
fn file_machine(file: &str) -> Result<Option<Value>, String> {
    let name = super::base_name(file);
    if !asl_lang::names::is_valid_name(&name) {
        return Err(format!(
            "{file}: `{name}` is not a state machine name (1 to 80 characters, no whitespace, brackets, wildcards or special characters): rename the file"
        ));
    }
    let bytes = std::fs::read(file).map_err(|e| format!("{file}: {e}"))?;
    if let Err(diagnostics) =
        asl_build::load_with(&bytes, file, &asl_build::CheckOptions::default())
    {
        println!("{diagnostics}");
        return Ok(None);
    }
    let text = String::from_utf8_lossy(&bytes);
    let json = asl_build::source::prepare(&text, file, &asl_build::Substitutions::new())
        .map_err(|e| format!("{file}: {e}"))?
        .json;
    let now = now_millis();
    Ok(Some(json!({
        "name": name,
        "definition": json,
        "type": "STANDARD",
        "roleArn": format!("arn:aws:iam::123456789012:role/{name}"),
        "creationDate": now,
        "updateDate": now,
        "status": "ACTIVE",
    })))
}

/// A file's machine replaces the record of its name: its dates stay when the
/// definition did not change.
fn merge(registry: &mut Vec<Value>, machine: Value) {
    match registry.iter_mut().find(|m| m["name"] == machine["name"]) {
        Some(existing) if existing["definition"] == machine["definition"] => {
            existing["status"] = json!("ACTIVE");
        }
        Some(existing) => {
            let created = existing["creationDate"].clone();
            *existing = machine;
            existing["creationDate"] = created;
        }
        None => registry.push(machine),
    }
}

fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}
