//! The Job controller: runs each Job's pods and moves the Job to Complete or Failed.
//!
//! In: a Job just created (its namespace, name and uid). Out: writes to the store, each
//! one a watch event: the pod (Pending, Running, then Succeeded or Failed, with
//! containerStatuses), the containers' logs line by line, and the Job's status
//! (`startTime`, `active`, `ready`, `succeeded`/`failed`, conditions, `completionTime`).
//! How a container "runs" is described in the module docs of [`crate::kube`].

use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};

use super::Shared;
use super::api::new_name;
use super::store::{Kind, LogKey, now_nanos, now_seconds};

/// Starts the controller of one Job in the background.
pub(crate) fn spawn(shared: Arc<Shared>, ns: String, name: String, uid: String) {
    tokio::spawn(async move {
        let mut shutdown = shared.shutdown.clone();
        let job = Job {
            shared: shared.clone(),
            ns,
            name,
            uid,
        };
        tokio::select! {
            _ = job.run() => {}
            _ = job.gone() => {}
            _ = shutdown.changed() => {}
        }
    });
}

/// How one container ended.
struct Outcome {
    name: String,
    image: String,
    exit_code: i64,
    reason: &'static str,
    message: String,
    started_at: String,
    finished_at: String,
}

struct Job {
    shared: Arc<Shared>,
    ns: String,
    name: String,
    uid: String,
}

fn condition(kind: &str, reason: &str, message: &str) -> Value {
    let now = now_seconds();
    json!({"type": kind, "status": "True", "lastProbeTime": now, "lastTransitionTime": now,
           "reason": reason, "message": message})
}

impl Job {
    /// The Job as stored, if it still exists with this uid.
    fn current(&self) -> Option<Value> {
        let store = self.shared.store();
        store
            .get(Kind::Job, &self.ns, &self.name)
            .filter(|j| j.pointer("/metadata/uid").and_then(Value::as_str) == Some(&self.uid))
            .cloned()
    }

    /// Resolves when the Job is deleted (so its running pod is abandoned and killed).
    async fn gone(&self) {
        loop {
            let notified = self.shared.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.current().is_none() {
                return;
            }
            notified.await;
        }
    }

    /// Changes the Job's status; false when the Job is gone.
    fn set_status(&self, change: impl FnOnce(&mut serde_json::Map<String, Value>)) -> bool {
        let mut store = self.shared.store();
        let Some(mut job) = store
            .get(Kind::Job, &self.ns, &self.name)
            .filter(|j| j.pointer("/metadata/uid").and_then(Value::as_str) == Some(&self.uid))
            .cloned()
        else {
            return false;
        };
        if !job.get("status").is_some_and(Value::is_object) {
            job["status"] = json!({});
        }
        if let Some(status) = job["status"].as_object_mut() {
            change(status);
        }
        store.insert(Kind::Job, &self.ns, job);
        drop(store);
        self.shared.changed.notify_waiters();
        true
    }

    fn set_pod(&self, pod: &str, change: impl FnOnce(&mut Value)) -> bool {
        let mut store = self.shared.store();
        let Some(mut obj) = store.get(Kind::Pod, &self.ns, pod).cloned() else {
            return false;
        };
        change(&mut obj);
        store.insert(Kind::Pod, &self.ns, obj);
        drop(store);
        self.shared.changed.notify_waiters();
        true
    }

    async fn run(&self) {
        let delay = self.shared.config.pod_start_delay;
        tokio::time::sleep(delay).await;
        let Some(job) = self.current() else { return };
        let int = |p: &str, default: i64| job.pointer(p).and_then(Value::as_i64).unwrap_or(default);
        let backoff_limit = int("/spec/backoffLimit", 6);
        let completions = int("/spec/completions", 1);
        let deadline = job
            .pointer("/spec/activeDeadlineSeconds")
            .and_then(Value::as_u64)
            .map(|s| tokio::time::Instant::now() + Duration::from_secs(s));
        if !self.set_status(|s| {
            s.insert("startTime".into(), json!(now_seconds()));
            s.insert("active".into(), json!(0));
            s.insert("ready".into(), json!(0));
            s.insert("terminating".into(), json!(0));
            s.insert("uncountedTerminatedPods".into(), json!({}));
        }) {
            return;
        }
        let (mut succeeded, mut failed) = (0i64, 0i64);
        loop {
            let pod_name = new_name(&format!("{}-", self.name));
            let attempt = self.run_pod(&job, &pod_name);
            let ok = match deadline {
                None => attempt.await,
                Some(d) => tokio::select! {
                    ok = attempt => ok,
                    _ = tokio::time::sleep_until(d) => {
                        self.deadline_exceeded(&pod_name, failed);
                        return;
                    }
                },
            };
            let Some(ok) = ok else { return };
            if ok {
                succeeded += 1;
            } else {
                failed += 1;
            }
            let done = succeeded >= completions;
            let given_up = failed > backoff_limit;
            let alive = self.set_status(|s| {
                s.insert("active".into(), json!(0));
                s.insert("ready".into(), json!(0));
                if succeeded > 0 {
                    s.insert("succeeded".into(), json!(succeeded));
                }
                if failed > 0 {
                    s.insert("failed".into(), json!(failed));
                }
                // As Kubernetes 1.31+ does: the target condition first, the final one
                // in a second write.
                if done {
                    s.insert(
                        "conditions".into(),
                        json!([condition(
                            "SuccessCriteriaMet",
                            "CompletionsReached",
                            "Reached expected number of succeeded pods"
                        )]),
                    );
                } else if given_up {
                    s.insert(
                        "conditions".into(),
                        json!([condition(
                            "FailureTarget",
                            "BackoffLimitExceeded",
                            "Job has reached the specified backoff limit"
                        )]),
                    );
                }
            });
            if !alive {
                return;
            }
            if done {
                self.set_status(|s| {
                    push_condition(
                        s,
                        condition(
                            "Complete",
                            "CompletionsReached",
                            "Reached expected number of succeeded pods",
                        ),
                    );
                    s.insert("completionTime".into(), json!(now_seconds()));
                });
                return;
            }
            if given_up {
                self.set_status(|s| {
                    push_condition(
                        s,
                        condition(
                            "Failed",
                            "BackoffLimitExceeded",
                            "Job has reached the specified backoff limit",
                        ),
                    );
                });
                return;
            }
            tokio::time::sleep(delay).await;
        }
    }

    /// activeDeadlineSeconds passed: the running pod fails and so does the Job.
    fn deadline_exceeded(&self, pod: &str, failed_before: i64) {
        let now = now_seconds();
        let running = self.set_pod(pod, |p| {
            p["status"]["phase"] = json!("Failed");
            p["status"]["reason"] = json!("DeadlineExceeded");
            p["status"]["message"] = json!("Pod was active on the node longer than the specified deadline");
            if let Some(cs) = p["status"]["containerStatuses"].as_array_mut() {
                for c in cs {
                    let started = c.pointer("/state/running/startedAt").cloned().unwrap_or(json!(now));
                    c["state"] = json!({"terminated": {"exitCode": 137, "reason": "Error",
                        "message": "asl-testkit killed the container: the Job's activeDeadlineSeconds passed",
                        "startedAt": started, "finishedAt": now}});
                    c["ready"] = json!(false);
                    c["started"] = json!(false);
                }
            }
        });
        {
            let mut store = self.shared.store();
            for (key, log) in store.logs.iter_mut() {
                if key.0 == self.ns && key.1 == pod {
                    log.finished = true;
                }
            }
        }
        let failed = failed_before + i64::from(running);
        self.set_status(|s| {
            s.insert("active".into(), json!(0));
            s.insert("ready".into(), json!(0));
            if failed > 0 {
                s.insert("failed".into(), json!(failed));
            }
            s.insert(
                "conditions".into(),
                json!([condition(
                    "FailureTarget",
                    "DeadlineExceeded",
                    "Job was active longer than specified deadline"
                )]),
            );
        });
        self.set_status(|s| {
            push_condition(
                s,
                condition(
                    "Failed",
                    "DeadlineExceeded",
                    "Job was active longer than specified deadline",
                ),
            );
        });
    }

    /// One attempt: creates the pod, runs its containers, records how it ended.
    /// `Some(true)` when every container exited 0; `None` when the Job went away.
    async fn run_pod(&self, job: &Value, pod_name: &str) -> Option<bool> {
        let template = job.pointer("/spec/template").cloned().unwrap_or(json!({}));
        let annotations = template
            .pointer("/metadata/annotations")
            .cloned()
            .unwrap_or(json!({}));
        let mut spec = template.get("spec").cloned().unwrap_or(json!({}));
        spec["nodeName"] = json!("asl-testkit");
        spec.as_object_mut()?
            .entry("serviceAccountName")
            .or_insert(json!("default"));
        let containers: Vec<Value> = spec
            .get("containers")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let pod = json!({
            "kind": "Pod",
            "apiVersion": "v1",
            "metadata": {
                "name": pod_name,
                "generateName": format!("{}-", self.name),
                "namespace": self.ns,
                "uid": uuid::Uuid::new_v4().to_string(),
                "creationTimestamp": now_seconds(),
                "labels": template.pointer("/metadata/labels").cloned().unwrap_or(json!({})),
                "annotations": annotations,
                "ownerReferences": [{"apiVersion": "batch/v1", "kind": "Job", "name": self.name,
                    "uid": self.uid, "controller": true, "blockOwnerDeletion": true}],
            },
            "spec": spec,
            "status": {"phase": "Pending", "qosClass": "BestEffort",
                "conditions": [{"type": "PodScheduled", "status": "True", "lastProbeTime": null,
                                "lastTransitionTime": now_seconds()}]},
        });
        {
            let mut store = self.shared.store();
            let alive = store
                .get(Kind::Job, &self.ns, &self.name)
                .and_then(|j| j.pointer("/metadata/uid"))
                .and_then(Value::as_str)
                == Some(self.uid.as_str());
            if !alive {
                return None;
            }
            store.insert(Kind::Pod, &self.ns, pod);
        }
        self.shared.changed.notify_waiters();
        if !self.set_status(|s| {
            s.insert("active".into(), json!(1));
        }) {
            return None;
        }

        let started = now_seconds();
        {
            let mut store = self.shared.store();
            for c in &containers {
                let cname = c.get("name").and_then(Value::as_str).unwrap_or_default();
                store.logs.insert(
                    (self.ns.clone(), pod_name.to_string(), cname.to_string()),
                    Default::default(),
                );
            }
        }
        let running: Vec<Value> = containers
            .iter()
            .map(|c| {
                json!({"name": c.get("name"), "image": c.get("image"), "imageID": "",
                       "containerID": format!("asl-testkit://{}", uuid::Uuid::new_v4().simple()),
                       "ready": true, "started": true, "restartCount": 0,
                       "state": {"running": {"startedAt": started}}})
            })
            .collect();
        let ready_conditions = |status: &str, reason: Option<&str>| {
            let now = now_seconds();
            let mut out = vec![
                json!({"type": "PodScheduled", "status": "True", "lastProbeTime": null, "lastTransitionTime": now}),
            ];
            for t in ["Initialized", "Ready", "ContainersReady"] {
                let s = if t == "Initialized" { "True" } else { status };
                let mut c = json!({"type": t, "status": s, "lastProbeTime": null, "lastTransitionTime": now});
                if let (Some(r), "False") = (reason, s) {
                    c["reason"] = json!(r);
                }
                out.push(c);
            }
            Value::Array(out)
        };
        if !self.set_pod(pod_name, |p| {
            p["status"]["phase"] = json!("Running");
            p["status"]["startTime"] = json!(started);
            p["status"]["hostIP"] = json!("127.0.0.1");
            p["status"]["podIP"] = json!("127.0.0.1");
            p["status"]["conditions"] = ready_conditions("True", None);
            p["status"]["containerStatuses"] = Value::Array(running.clone());
        }) {
            return None;
        }
        self.set_status(|s| {
            s.insert("ready".into(), json!(1));
        });

        let runs = containers
            .iter()
            .map(|c| run_container(&self.shared, &self.ns, pod_name, c, job));
        let outcomes = futures_util::future::join_all(runs).await;
        let ok = outcomes.iter().all(|o| o.exit_code == 0);
        let statuses: Vec<Value> = outcomes
            .iter()
            .zip(&running)
            .map(|(o, r)| {
                json!({"name": o.name, "image": o.image, "imageID": "",
                       "containerID": r["containerID"], "ready": false, "started": false,
                       "restartCount": 0,
                       "state": {"terminated": {"exitCode": o.exit_code, "reason": o.reason,
                           "message": o.message, "startedAt": o.started_at,
                           "finishedAt": o.finished_at, "containerID": r["containerID"]}}})
            })
            .collect();
        self.set_pod(pod_name, |p| {
            p["status"]["phase"] = json!(if ok { "Succeeded" } else { "Failed" });
            p["status"]["conditions"] = ready_conditions("False", Some("PodCompleted"));
            p["status"]["containerStatuses"] = Value::Array(statuses);
        });
        Some(ok)
    }
}

fn push_condition(status: &mut serde_json::Map<String, Value>, c: Value) {
    match status.get_mut("conditions").and_then(Value::as_array_mut) {
        Some(list) => list.push(c),
        None => {
            status.insert("conditions".into(), json!([c]));
        }
    }
}

/// Appends output to a container's log, one entry per line (the last one may lack its
/// newline), and wakes followers.
fn append_log(shared: &Shared, key: &LogKey, bytes: &[u8]) {
    if bytes.is_empty() {
        return;
    }
    let mut store = shared.store();
    let Some(log) = store.logs.get_mut(key) else {
        return;
    };
    for line in bytes.split_inclusive(|b| *b == b'\n') {
        log.lines.push((now_nanos(), line.to_vec()));
    }
    drop(store);
    shared.changed.notify_waiters();
}

fn finish_log(shared: &Shared, key: &LogKey) {
    if let Some(log) = shared.store().logs.get_mut(key) {
        log.finished = true;
    }
    shared.changed.notify_waiters();
}

/// `program` if it names an executable file, else the first match on PATH.
fn find_program(program: &str) -> Option<PathBuf> {
    let executable = |p: &Path| {
        std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    };
    if program.contains('/') {
        let p = PathBuf::from(program);
        return executable(&p).then_some(p);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|p| executable(p))
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

async fn run_container(
    shared: &Arc<Shared>,
    ns: &str,
    pod: &str,
    container: &Value,
    job: &Value,
) -> Outcome {
    let name = container
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let image = container
        .get("image")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let key: LogKey = (ns.to_string(), pod.to_string(), name.clone());
    let started_at = now_seconds();
    let annotation = |k: &str| {
        job.pointer(&format!(
            "/spec/template/metadata/annotations/{}",
            k.replace('/', "~1")
        ))
        .and_then(Value::as_str)
        .map(str::to_string)
    };
    let command = strings(container.get("command"));
    let args = strings(container.get("args"));
    let chosen_code = annotation("asl-testkit/exit-code");
    let chosen_log = annotation("asl-testkit/log");

    let (exit_code, message) = if chosen_code.is_some() || chosen_log.is_some() {
        let code = chosen_code.as_deref().map_or(Ok(0), str::parse::<i64>);
        let (code, note) = match code {
            Ok(c) => (c, String::new()),
            Err(_) => (
                1,
                format!(
                    " (asl-testkit/exit-code {:?} is not an integer: exit 1)",
                    chosen_code.unwrap_or_default()
                ),
            ),
        };
        let log = chosen_log.unwrap_or_else(|| {
            format!("asl-testkit: did not run image {image}: the pod template's asl-testkit/exit-code annotation chose exit code {code}\n")
        });
        append_log(shared, &key, log.as_bytes());
        (
            code,
            format!(
                "asl-testkit did not run the container: its asl-testkit annotations chose the log and exit code {code}{note}"
            ),
        )
    } else {
        let program = command
            .first()
            .filter(|_| shared.config.run_commands)
            .and_then(|p| find_program(p));
        match program {
            Some(program) => {
                run_program(shared, &key, &program, &command[1..], &args, container, pod).await
            }
            None => {
                let why = match command.first() {
                    None => "the container has no command, and the stand-in cannot know the image's entrypoint".to_string(),
                    Some(p) if !shared.config.run_commands => format!("running commands is turned off (would run {p})"),
                    Some(p) => format!("{p} is not a program on this machine"),
                };
                let line = format!(
                    "asl-testkit: could not run the command of image {image}: {why}; the container exits 0\n"
                );
                append_log(shared, &key, line.as_bytes());
                (0, format!("asl-testkit did not run the container: {why}"))
            }
        }
    };
    finish_log(shared, &key);
    Outcome {
        name,
        image,
        exit_code,
        reason: if exit_code == 0 { "Completed" } else { "Error" },
        message,
        started_at,
        finished_at: now_seconds(),
    }
}

/// Really runs a container's command here; stdout and stderr share one pipe so their
/// lines interleave as a container runtime's log would.
async fn run_program(
    shared: &Arc<Shared>,
    key: &LogKey,
    program: &Path,
    command_rest: &[String],
    args: &[String],
    container: &Value,
    pod: &str,
) -> (i64, String) {
    let ran = format!("asl-testkit ran {} on this machine", program.display());
    let (reader, writer) = match std::io::pipe() {
        Ok(p) => p,
        Err(e) => return (1, format!("asl-testkit could not make a pipe: {e}")),
    };
    let writer2 = match writer.try_clone() {
        Ok(w) => w,
        Err(e) => return (1, format!("asl-testkit could not make a pipe: {e}")),
    };
    let mut cmd = tokio::process::Command::new(program);
    cmd.args(command_rest)
        .args(args)
        .stdin(Stdio::null())
        .stdout(writer)
        .stderr(writer2)
        .kill_on_drop(true)
        .current_dir(std::env::temp_dir())
        .env_clear()
        .env("HOSTNAME", pod)
        .env("HOME", std::env::temp_dir());
    if let Some(path) = std::env::var_os("PATH") {
        cmd.env("PATH", path);
    }
    if let Some(env) = container.get("env").and_then(Value::as_array) {
        for e in env {
            if let Some(n) = e.get("name").and_then(Value::as_str) {
                cmd.env(
                    n,
                    e.get("value").and_then(Value::as_str).unwrap_or_default(),
                );
            }
        }
    }
    let spawned = cmd.spawn();
    // The Command holds the pipe's write ends: drop them so the reader sees EOF.
    drop(cmd);
    let mut child = match spawned {
        Ok(c) => c,
        Err(e) => {
            append_log(
                shared,
                key,
                format!("asl-testkit: starting {} failed: {e}\n", program.display()).as_bytes(),
            );
            return (
                128,
                format!("asl-testkit could not start {}: {e}", program.display()),
            );
        }
    };
    let reader_shared = shared.clone();
    let reader_key = key.clone();
    let reading = tokio::task::spawn_blocking(move || {
        use std::io::BufRead;
        let mut reader = std::io::BufReader::new(reader);
        let mut line = Vec::new();
        loop {
            line.clear();
            match reader.read_until(b'\n', &mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) => append_log(&reader_shared, &reader_key, &line),
            }
        }
    });
    let timeout = shared.config.command_timeout;
    let (code, message) = match tokio::time::timeout(timeout, child.wait()).await {
        Ok(Ok(status)) => {
            let code = status
                .code()
                .map(i64::from)
                .or_else(|| status.signal().map(|s| 128 + i64::from(s)))
                .unwrap_or(1);
            (code, ran)
        }
        Ok(Err(e)) => (1, format!("{ran}, but waiting for it failed: {e}")),
        Err(_) => {
            let _ = child.kill().await;
            (
                137,
                format!("{ran}; it was killed after {timeout:?} (the stand-in's command timeout)"),
            )
        }
    };
    // All output must be in the log before the pod is reported finished; a background
    // process that keeps the pipe open only gets a short grace.
    let _ = tokio::time::timeout(Duration::from_secs(2), reading).await;
    (code, message)
}
