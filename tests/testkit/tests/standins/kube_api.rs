//! The Kubernetes API stand-in over real TLS on 127.0.0.1, through a client that trusts
//! only the stand-in's CA: authentication, discovery, the Job controller (a real perl
//! container, failures, backoff), watches, logs, CRUD, patches and Status errors.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use asl_testkit::http::HttpClient;
use asl_testkit::kube::{Config, KubeStandIn, TokenPolicy};
use serde_json::{Value, json};

const JOBS: &str = "/apis/batch/v1/namespaces/default/jobs";
const PODS: &str = "/api/v1/namespaces/default/pods";
const CONFIGMAPS: &str = "/api/v1/namespaces/default/configmaps";
/// Every wait in these tests ends; a broken controller fails instead of hanging.
const WAIT: Duration = Duration::from_secs(60);

async fn start() -> (KubeStandIn, HttpClient) {
    let config = Config {
        pod_start_delay: Duration::from_millis(10),
        ..Config::default()
    };
    start_with(config).await
}

async fn start_with(config: Config) -> (KubeStandIn, HttpClient) {
    let standin = KubeStandIn::start(config).await.expect("stand-in starts");
    let mut client = HttpClient::new(standin.endpoint(), Some(standin.ca_pem())).unwrap();
    if let Some(t) = standin.token() {
        client = client.with_bearer(t);
    }
    (standin, client)
}

/// The sample's Job, exactly as the state machine sends it.
fn sample_job() -> Value {
    json!({
        "apiVersion": "batch/v1", "kind": "Job",
        "metadata": {"name": "example-job"},
        "spec": {"backoffLimit": 0, "template": {"metadata": {"name": "example-job"}, "spec": {
            "containers": [{"name": "pi-20", "image": "perl", "command": ["perl"],
                "args": ["-Mbignum=bpi", "-wle", "print '{ ' . '\"pi\": '. bpi(20) . ' }';"]}],
            "restartPolicy": "Never"}}}
    })
}

/// A Job whose single container runs `perl -e SCRIPT`.
fn perl_job(name: &str, script: &str, backoff_limit: i64) -> Value {
    json!({
        "apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name},
        "spec": {"backoffLimit": backoff_limit, "template": {"spec": {
            "containers": [{"name": "main", "image": "perl:5.40", "command": ["perl", "-e", script]}],
            "restartPolicy": "Never"}}}
    })
}

/// A Job whose container is not run: its log and exit code come from annotations.
fn annotated_job(name: &str, log: &str, exit_code: i64) -> Value {
    json!({
        "apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name},
        "spec": {"backoffLimit": 0, "template": {
            "metadata": {"annotations": {"asl-testkit/log": log, "asl-testkit/exit-code": exit_code.to_string()}},
            "spec": {"containers": [{"name": "main", "image": "busybox"}], "restartPolicy": "Never"}}}
    })
}

async fn create_job(client: &HttpClient, job: &Value) -> Value {
    let resp = client.json("POST", JOBS, Some(job)).await.unwrap();
    assert_eq!(resp.status, 201, "{}", resp.text());
    resp.json().unwrap()
}

fn condition_types(job: &Value) -> Vec<String> {
    job.pointer("/status/conditions")
        .and_then(Value::as_array)
        .map(|cs| {
            cs.iter()
                .filter(|c| c["status"] == "True")
                .map(|c| c["type"].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

fn finished(job: &Value) -> bool {
    let types = condition_types(job);
    types.iter().any(|t| t == "Complete" || t == "Failed")
}

/// Watches one Job from `rv` until it is Complete or Failed; returns the events seen
/// and the moment the final one arrived.
async fn watch_until_finished(
    client: &HttpClient,
    name: &str,
    rv: &str,
) -> (Vec<Value>, SystemTime) {
    let path =
        format!("{JOBS}?watch=true&resourceVersion={rv}&fieldSelector=metadata.name%3D{name}");
    let mut stream = client.stream(&path).await.unwrap();
    assert_eq!(stream.status, 200);
    let mut events = Vec::new();
    let result = tokio::time::timeout(WAIT, async {
        while let Some(ev) = stream.next_json().await {
            let ev = ev.unwrap();
            let done = finished(&ev["object"]);
            events.push(ev);
            if done {
                return SystemTime::now();
            }
        }
        panic!("watch ended before the Job finished: {events:?}");
    })
    .await;
    let at = result.unwrap_or_else(|_| panic!("Job {name} did not finish within {WAIT:?}"));
    (events, at)
}

async fn pods_of(client: &HttpClient, job: &str) -> Vec<Value> {
    let resp = client
        .json(
            "GET",
            &format!("{PODS}?labelSelector=job-name%3D{job}"),
            None,
        )
        .await
        .unwrap();
    assert_eq!(resp.status, 200);
    resp.json().unwrap()["items"].as_array().unwrap().clone()
}

async fn log_of(client: &HttpClient, pod: &str, query: &str) -> (u16, String) {
    let resp = client
        .request("GET", &format!("{PODS}/{pod}/log{query}"), None, Vec::new())
        .await
        .unwrap();
    (resp.status, resp.text())
}

fn status_shape(v: &Value, code: u16, reason: &str) {
    assert_eq!(v["kind"], "Status", "{v}");
    assert_eq!(v["apiVersion"], "v1");
    assert_eq!(v["status"], "Failure");
    assert_eq!(v["code"], code, "{v}");
    assert_eq!(v["reason"], reason, "{v}");
    assert!(v["message"].is_string());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_or_wrong_token_gets_the_exact_401_status() {
    let (standin, _) = start().await;
    let anonymous = HttpClient::new(standin.endpoint(), Some(standin.ca_pem())).unwrap();
    let wrong = anonymous.clone().with_bearer("not-the-token");
    let expected = json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                          "message": "Unauthorized", "reason": "Unauthorized", "code": 401});
    for client in [&anonymous, &wrong] {
        for path in ["/version", JOBS, "/api/v1/namespaces/default/pods/x/log"] {
            let resp = client.json("GET", path, None).await.unwrap();
            assert_eq!(resp.status, 401);
            assert_eq!(resp.json().unwrap(), expected);
        }
        let resp = client
            .json("POST", JOBS, Some(&sample_job()))
            .await
            .unwrap();
        assert_eq!(resp.status, 401);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_token_reads_but_gets_403_on_writes() {
    let mut config = Config::default();
    config.tokens.read_only_tokens = vec!["viewer".into()];
    let (standin, _) = start_with(config).await;
    let viewer = HttpClient::new(standin.endpoint(), Some(standin.ca_pem()))
        .unwrap()
        .with_bearer("viewer");
    assert_eq!(viewer.json("GET", JOBS, None).await.unwrap().status, 200);
    let resp = viewer
        .json("POST", JOBS, Some(&sample_job()))
        .await
        .unwrap();
    assert_eq!(resp.status, 403);
    let status = resp.json().unwrap();
    status_shape(&status, 403, "Forbidden");
    assert_eq!(status["details"]["kind"], "jobs");
    assert_eq!(status["details"]["group"], "batch");
    assert!(
        status["message"]
            .as_str()
            .unwrap()
            .contains("cannot create resource \"jobs\"")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_is_verified_against_the_stand_ins_own_ca() {
    let (a, _) = start().await;
    let (b, _) = start().await;
    assert_ne!(a.ca_pem(), b.ca_pem());
    // Trusting b's CA, a's certificate must be refused.
    let mistrusting = HttpClient::new(a.endpoint(), Some(b.ca_pem()))
        .unwrap()
        .with_bearer(a.token().unwrap());
    let err = mistrusting.json("GET", "/version", None).await.unwrap_err();
    assert!(err.message().contains("TLS"), "{err}");
    // ca_base64 is the PEM, base64-encoded, as EKS's certificateAuthority.data.
    use base64::Engine;
    let pem = base64::engine::general_purpose::STANDARD
        .decode(a.ca_base64())
        .unwrap();
    assert_eq!(String::from_utf8(pem).unwrap(), a.ca_pem());
    assert!(a.endpoint().starts_with("https://127.0.0.1:"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eks_tokens_are_accepted_only_when_enabled_and_fresh() {
    use base64::Engine;
    let now = time::OffsetDateTime::now_utc();
    let date = |t: time::OffsetDateTime| {
        t.format(time::macros::format_description!(
            "[year][month][day]T[hour][minute][second]Z"
        ))
        .unwrap()
    };
    let token = |t| {
        let url = format!(
            "https://sts.us-east-1.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20260101%2Fus-east-1%2Fsts%2Faws4_request&X-Amz-Date={}&X-Amz-Expires=60&X-Amz-SignedHeaders=host%3Bx-k8s-aws-id&X-Amz-Signature=0123abcd",
            date(t)
        );
        format!(
            "k8s-aws-v1.{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(url)
        )
    };
    let config = Config {
        tokens: TokenPolicy {
            accept_eks_tokens: true,
            ..TokenPolicy::default()
        },
        ..Config::default()
    };
    let (standin, _) = start_with(config).await;
    assert_eq!(standin.token(), None);
    let with = |t: String| {
        HttpClient::new(standin.endpoint(), Some(standin.ca_pem()))
            .unwrap()
            .with_bearer(t)
    };
    assert_eq!(
        with(token(now))
            .json("GET", JOBS, None)
            .await
            .unwrap()
            .status,
        200
    );
    let old = now - time::Duration::minutes(20);
    assert_eq!(
        with(token(old))
            .json("GET", JOBS, None)
            .await
            .unwrap()
            .status,
        401
    );
    assert_eq!(
        with("k8s-aws-v1.bm9wZQ".into())
            .json("GET", JOBS, None)
            .await
            .unwrap()
            .status,
        401
    );

    // An identity listed as read-only may look but not touch.
    let viewer = Config {
        tokens: TokenPolicy {
            accept_eks_tokens: true,
            ..TokenPolicy::default()
        },
        read_only_access_keys: vec!["AKID".into()],
        ..Config::default()
    };
    let (limited, _) = start_with(viewer).await;
    let client = HttpClient::new(limited.endpoint(), Some(limited.ca_pem()))
        .unwrap()
        .with_bearer(token(now));
    assert_eq!(client.json("GET", JOBS, None).await.unwrap().status, 200);
    let denied = client
        .json("POST", JOBS, Some(&sample_job()))
        .await
        .unwrap();
    assert_eq!(denied.status, 403);
    status_shape(&denied.json().unwrap(), 403, "Forbidden");

    // Without the option the same fresh token is refused.
    let (plain, _) = start().await;
    let client = HttpClient::new(plain.endpoint(), Some(plain.ca_pem()))
        .unwrap()
        .with_bearer(token(now));
    assert_eq!(client.json("GET", JOBS, None).await.unwrap().status, 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovery_and_namespaces() {
    let (_standin, client) = start().await;
    let get = |p: &'static str| {
        let client = client.clone();
        async move {
            let r = client.json("GET", p, None).await.unwrap();
            assert_eq!(r.status, 200, "{p}: {}", r.text());
            r.json().unwrap()
        }
    };
    assert_eq!(get("/version").await["major"], "1");
    assert_eq!(get("/api").await["versions"], json!(["v1"]));
    assert_eq!(get("/apis").await["groups"][0]["name"], "batch");
    let core = get("/api/v1").await;
    let names: Vec<&str> = core["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    for want in ["namespaces", "pods", "pods/log", "configmaps"] {
        assert!(names.contains(&want), "{names:?}");
    }
    let batch = get("/apis/batch/v1").await;
    assert_eq!(batch["groupVersion"], "batch/v1");
    assert_eq!(batch["resources"][0]["name"], "jobs");
    assert_eq!(batch["resources"][0]["namespaced"], true);

    let namespaces = get("/api/v1/namespaces").await;
    assert_eq!(namespaces["kind"], "NamespaceList");
    let ns: Vec<&str> = namespaces["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["metadata"]["name"].as_str().unwrap())
        .collect();
    assert!(
        ns.contains(&"default") && ns.contains(&"kube-system"),
        "{ns:?}"
    );
    assert_eq!(
        get("/api/v1/namespaces/kube-system").await["status"]["phase"],
        "Active"
    );
    let missing = client
        .json("GET", "/api/v1/namespaces/nope", None)
        .await
        .unwrap();
    assert_eq!(missing.status, 404);
    status_shape(&missing.json().unwrap(), 404, "NotFound");
    let in_missing = client
        .json("GET", "/apis/batch/v1/namespaces/nope/jobs", None)
        .await
        .unwrap();
    assert_eq!(
        in_missing.json().unwrap()["message"],
        "namespaces \"nope\" not found"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sample_job_really_runs_perl_and_completes() {
    let (_standin, client) = start().await;
    let created = create_job(&client, &sample_job()).await;
    assert_eq!(created["kind"], "Job");
    assert_eq!(created["apiVersion"], "batch/v1");
    assert_eq!(created["metadata"]["namespace"], "default");
    assert!(created["metadata"]["uid"].is_string());
    assert!(created["metadata"]["creationTimestamp"].is_string());
    let uid = created["metadata"]["uid"].as_str().unwrap().to_string();
    let rv = created["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_string();

    let (events, _) = watch_until_finished(&client, "example-job", &rv).await;
    assert!(events.iter().all(|e| e["type"] == "MODIFIED"), "{events:?}");
    // The watch saw the Job running before it completed.
    assert!(
        events.iter().any(|e| e["object"]["status"]["active"] == 1),
        "{events:?}"
    );
    let job = &events.last().unwrap()["object"];
    assert_eq!(condition_types(job), ["SuccessCriteriaMet", "Complete"]);
    let status = &job["status"];
    assert_eq!(status["succeeded"], 1);
    assert_eq!(status["active"], 0);
    assert!(status["startTime"].is_string() && status["completionTime"].is_string());
    assert_eq!(status["conditions"][1]["reason"], "CompletionsReached");
    // Resource versions only grow.
    let rvs: Vec<u64> = events
        .iter()
        .map(|e| {
            e["object"]["metadata"]["resourceVersion"]
                .as_str()
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect();
    assert!(
        rvs.windows(2).all(|w| w[0] < w[1]) && rvs[0] > rv.parse().unwrap(),
        "{rvs:?}"
    );

    let pods = pods_of(&client, "example-job").await;
    assert_eq!(pods.len(), 1);
    let pod = &pods[0];
    let name = pod["metadata"]["name"].as_str().unwrap();
    let suffix = name.strip_prefix("example-job-").unwrap();
    assert!(
        suffix.len() == 5 && suffix.chars().all(|c| c.is_ascii_lowercase()),
        "{name}"
    );
    let labels = &pod["metadata"]["labels"];
    assert_eq!(labels["job-name"], "example-job");
    assert_eq!(labels["batch.kubernetes.io/job-name"], "example-job");
    assert_eq!(labels["controller-uid"], uid.as_str());
    assert_eq!(pod["metadata"]["ownerReferences"][0]["uid"], uid.as_str());
    assert_eq!(pod["status"]["phase"], "Succeeded");
    let terminated = &pod["status"]["containerStatuses"][0]["state"]["terminated"];
    assert_eq!(terminated["exitCode"], 0);
    assert_eq!(terminated["reason"], "Completed");
    assert!(
        terminated["message"].as_str().unwrap().contains("perl"),
        "{terminated}"
    );

    let (code, log) = log_of(&client, name, "").await;
    assert_eq!(code, 200);
    assert_eq!(log, "{ \"pi\": 3.1415926535897932385 }\n");
    let (code, log) = log_of(&client, name, "?container=pi-20").await;
    assert_eq!(
        (code, log.as_str()),
        (200, "{ \"pi\": 3.1415926535897932385 }\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_job_retries_up_to_its_backoff_limit_then_fails() {
    let (_standin, client) = start().await;
    let created = create_job(&client, &perl_job("fails", "print qq(boom\\n); exit 3", 1)).await;
    let rv = created["metadata"]["resourceVersion"].as_str().unwrap();
    let (events, _) = watch_until_finished(&client, "fails", rv).await;
    let job = &events.last().unwrap()["object"];
    assert_eq!(condition_types(job), ["FailureTarget", "Failed"]);
    assert_eq!(job["status"]["failed"], 2);
    assert!(job["status"].get("succeeded").is_none());
    assert!(job["status"].get("completionTime").is_none());
    let failed = &job["status"]["conditions"][1];
    assert_eq!(failed["reason"], "BackoffLimitExceeded");
    assert_eq!(
        failed["message"],
        "Job has reached the specified backoff limit"
    );

    let pods = pods_of(&client, "fails").await;
    assert_eq!(pods.len(), 2, "backoffLimit 1 means two attempts");
    for pod in &pods {
        assert_eq!(pod["status"]["phase"], "Failed");
        let terminated = &pod["status"]["containerStatuses"][0]["state"]["terminated"];
        assert_eq!(terminated["exitCode"], 3);
        assert_eq!(terminated["reason"], "Error");
        let (_, log) = log_of(&client, pod["metadata"]["name"].as_str().unwrap(), "").await;
        assert_eq!(log, "boom\n");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn active_deadline_fails_a_job_and_kills_its_container() {
    let (_standin, client) = start().await;
    let mut job = perl_job("slow", "sleep 30", 0);
    job["spec"]["activeDeadlineSeconds"] = json!(1);
    let created = create_job(&client, &job).await;
    let rv = created["metadata"]["resourceVersion"].as_str().unwrap();
    let (events, _) = watch_until_finished(&client, "slow", rv).await;
    let job = &events.last().unwrap()["object"];
    assert_eq!(condition_types(job), ["FailureTarget", "Failed"]);
    assert_eq!(job["status"]["conditions"][1]["reason"], "DeadlineExceeded");
    let pods = pods_of(&client, "slow").await;
    assert_eq!(pods[0]["status"]["phase"], "Failed");
    assert_eq!(
        pods[0]["status"]["containerStatuses"][0]["state"]["terminated"]["exitCode"],
        137
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watch_without_resource_version_starts_with_added_events() {
    let (_standin, client) = start().await;
    create_job(&client, &annotated_job("one", "x\n", 0)).await;
    let mut stream = client.stream(&format!("{JOBS}?watch=1")).await.unwrap();
    let first = tokio::time::timeout(WAIT, stream.next_json())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(first["type"], "ADDED");
    assert_eq!(first["object"]["metadata"]["name"], "one");
    assert_eq!(first["object"]["kind"], "Job");
    // Later changes follow on the same stream.
    create_job(&client, &annotated_job("two", "y\n", 0)).await;
    let mut seen_two = false;
    tokio::time::timeout(WAIT, async {
        while let Some(ev) = stream.next_json().await {
            let ev = ev.unwrap();
            if ev["object"]["metadata"]["name"] == "two" && finished(&ev["object"]) {
                seen_two = true;
                break;
            }
        }
    })
    .await
    .unwrap();
    assert!(seen_two);
    // timeoutSeconds ends a watch, as the real server does.
    let mut short = client
        .stream(&format!(
            "{JOBS}?watch=true&resourceVersion=999999&timeoutSeconds=1"
        ))
        .await
        .unwrap();
    let end = tokio::time::timeout(WAIT, short.next_line()).await.unwrap();
    assert!(end.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_honour_tail_lines_limit_bytes_timestamps_and_injected_errors() {
    let (_standin, client) = start().await;
    let created = create_job(&client, &annotated_job("lines", "a\nb\nc\nd\n", 0)).await;
    watch_until_finished(
        &client,
        "lines",
        created["metadata"]["resourceVersion"].as_str().unwrap(),
    )
    .await;
    let pod = pods_of(&client, "lines").await[0]["metadata"]["name"]
        .as_str()
        .unwrap()
        .to_string();
    for (query, want) in [
        ("", "a\nb\nc\nd\n"),
        ("?tailLines=2", "c\nd\n"),
        ("?tailLines=0", ""),
        ("?tailLines=10", "a\nb\nc\nd\n"),
        ("?limitBytes=3", "a\nb"),
        ("?tailLines=2&limitBytes=3", "c\nd"),
        ("?container=main&tailLines=1", "d\n"),
        ("?sinceSeconds=3600", "a\nb\nc\nd\n"),
        ("?sinceTime=2000-01-01T00%3A00%3A00Z", "a\nb\nc\nd\n"),
        ("?sinceTime=2999-01-01T00%3A00%3A00Z", ""),
    ] {
        assert_eq!(
            log_of(&client, &pod, query).await,
            (200, want.to_string()),
            "{query}"
        );
    }
    let (_, stamped) = log_of(&client, &pod, "?timestamps=true&tailLines=1").await;
    let (ts, line) = stamped.split_once(' ').unwrap();
    assert!(
        time::OffsetDateTime::parse(ts, &time::format_description::well_known::Rfc3339).is_ok(),
        "{stamped}"
    );
    assert_eq!(line, "d\n");

    let resp = client
        .json("GET", &format!("{PODS}/{pod}/log?container=other"), None)
        .await
        .unwrap();
    assert_eq!(resp.status, 400);
    status_shape(&resp.json().unwrap(), 400, "BadRequest");
    let resp = client
        .json(
            "GET",
            &format!("{PODS}/{pod}/log?sinceSeconds=5&sinceTime=2000-01-01T00%3A00%3A00Z"),
            None,
        )
        .await
        .unwrap();
    assert_eq!(resp.status, 422);
    let resp = client
        .json("GET", &format!("{PODS}/{pod}/log?tailLines=-1"), None)
        .await
        .unwrap();
    assert_eq!(resp.status, 422);
    let resp = client
        .json("GET", &format!("{PODS}/nope/log"), None)
        .await
        .unwrap();
    assert_eq!(resp.json().unwrap()["message"], "pods \"nope\" not found");

    let mut broken = annotated_job("broken-logs", "never read\n", 0);
    broken["spec"]["template"]["metadata"]["annotations"]["asl-testkit/log-error"] = json!("true");
    let created = create_job(&client, &broken).await;
    watch_until_finished(
        &client,
        "broken-logs",
        created["metadata"]["resourceVersion"].as_str().unwrap(),
    )
    .await;
    let pod = pods_of(&client, "broken-logs").await[0]["metadata"]["name"]
        .as_str()
        .unwrap()
        .to_string();
    let resp = client
        .json("GET", &format!("{PODS}/{pod}/log"), None)
        .await
        .unwrap();
    assert_eq!(resp.status, 500);
    status_shape(&resp.json().unwrap(), 500, "InternalError");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_missing_here_exits_zero_and_says_so_in_its_log() {
    let (_standin, client) = start().await;
    let job = json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "elsewhere"},
        "spec": {"template": {"spec": {"restartPolicy": "Never", "containers": [
            {"name": "c", "image": "example/tool:1", "command": ["asl-no-such-program-here"]}]}}}});
    let created = create_job(&client, &job).await;
    let (events, _) = watch_until_finished(
        &client,
        "elsewhere",
        created["metadata"]["resourceVersion"].as_str().unwrap(),
    )
    .await;
    assert_eq!(
        condition_types(&events.last().unwrap()["object"]),
        ["SuccessCriteriaMet", "Complete"]
    );
    let pod = pods_of(&client, "elsewhere").await[0]["metadata"]["name"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, log) = log_of(&client, &pod, "").await;
    assert!(
        log.starts_with("asl-testkit: could not run the command of image example/tool:1"),
        "{log}"
    );
    assert!(
        log.contains("asl-no-such-program-here is not a program on this machine"),
        "{log}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_are_status_objects_404_409_422_400_405_415() {
    let (_standin, client) = start().await;
    let resp = client
        .json("GET", &format!("{JOBS}/missing"), None)
        .await
        .unwrap();
    assert_eq!(resp.status, 404);
    assert_eq!(
        resp.json().unwrap(),
        json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
               "message": "jobs.batch \"missing\" not found", "reason": "NotFound",
               "details": {"name": "missing", "group": "batch", "kind": "jobs"}, "code": 404})
    );

    create_job(&client, &annotated_job("twice", "x\n", 0)).await;
    let resp = client
        .json("POST", JOBS, Some(&annotated_job("twice", "x\n", 0)))
        .await
        .unwrap();
    assert_eq!(resp.status, 409);
    let status = resp.json().unwrap();
    status_shape(&status, 409, "AlreadyExists");
    assert_eq!(status["message"], "jobs.batch \"twice\" already exists");

    let no_containers = json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "empty"},
        "spec": {"template": {"spec": {"containers": [], "restartPolicy": "Never"}}}});
    let resp = client
        .json("POST", JOBS, Some(&no_containers))
        .await
        .unwrap();
    assert_eq!(resp.status, 422);
    let status = resp.json().unwrap();
    status_shape(&status, 422, "Invalid");
    assert_eq!(
        status["message"],
        "Job.batch \"empty\" is invalid: spec.template.spec.containers: Required value"
    );
    assert_eq!(
        status["details"]["causes"][0]["field"],
        "spec.template.spec.containers"
    );
    // Nothing was stored.
    assert_eq!(
        client
            .json("GET", &format!("{JOBS}/empty"), None)
            .await
            .unwrap()
            .status,
        404
    );

    let resp = client
        .request(
            "POST",
            JOBS,
            Some("application/json"),
            b"{not json".to_vec(),
        )
        .await
        .unwrap();
    assert_eq!(resp.status, 400);
    status_shape(&resp.json().unwrap(), 400, "BadRequest");
    let resp = client
        .json(
            "POST",
            JOBS,
            Some(&json!({"kind": "Pod", "apiVersion": "v1", "metadata": {"name": "p"}})),
        )
        .await
        .unwrap();
    assert_eq!(resp.status, 400);

    let resp = client
        .json(
            "POST",
            "/api/v1/namespaces",
            Some(&json!({"metadata": {"name": "x"}})),
        )
        .await
        .unwrap();
    assert_eq!(resp.status, 405);
    status_shape(&resp.json().unwrap(), 405, "MethodNotAllowed");
    let resp = client
        .request(
            "PATCH",
            &format!("{JOBS}/twice"),
            Some("text/plain"),
            b"{}".to_vec(),
        )
        .await
        .unwrap();
    assert_eq!(resp.status, 415);
    let resp = client
        .json("GET", "/apis/apps/v1/namespaces/default/deployments", None)
        .await
        .unwrap();
    assert_eq!(resp.status, 404);
    status_shape(&resp.json().unwrap(), 404, "NotFound");
    let resp = client
        .json("GET", &format!("{JOBS}?labelSelector=a%3Db%20c"), None)
        .await
        .unwrap();
    assert_eq!(resp.status, 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn head_answers_like_get_without_a_body() {
    let (_standin, client) = start().await;
    create_job(&client, &annotated_job("headed", "x\n", 0)).await;
    let get = client
        .json("GET", &format!("{JOBS}/headed"), None)
        .await
        .unwrap();
    let head = client
        .request("HEAD", &format!("{JOBS}/headed"), None, Vec::new())
        .await
        .unwrap();
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    assert_eq!(head.header("content-type"), Some("application/json"));
    // The Job may have changed between the two calls; both are JSON of a similar size.
    assert!(
        head.header("content-length")
            .unwrap()
            .parse::<usize>()
            .unwrap()
            > 100
    );
    assert!(get.body.len() > 100);
    let missing = client
        .request("HEAD", &format!("{JOBS}/missing"), None, Vec::new())
        .await
        .unwrap();
    assert_eq!(missing.status, 404);
    assert!(missing.body.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_job_with_propagation_removes_its_pods() {
    let (_standin, client) = start().await;
    for name in ["keep-pods", "drop-pods"] {
        let created = create_job(&client, &annotated_job(name, "x\n", 0)).await;
        watch_until_finished(
            &client,
            name,
            created["metadata"]["resourceVersion"].as_str().unwrap(),
        )
        .await;
        assert_eq!(pods_of(&client, name).await.len(), 1);
    }
    // No propagationPolicy: batch/v1 orphans the pods, says so, and answers the Job.
    let resp = client
        .json("DELETE", &format!("{JOBS}/keep-pods"), None)
        .await
        .unwrap();
    assert_eq!(resp.status, 200);
    assert!(
        resp.header("warning")
            .unwrap()
            .contains("child pods are preserved")
    );
    let body = resp.json().unwrap();
    assert_eq!(body["kind"], "Job");
    assert_eq!(body["metadata"]["finalizers"], json!(["orphan"]));
    assert_eq!(body["status"]["succeeded"], 1);
    let orphans = pods_of(&client, "keep-pods").await;
    assert_eq!(orphans.len(), 1);
    assert!(orphans[0]["metadata"].get("ownerReferences").is_none());

    let resp = client
        .json("DELETE", &format!("{JOBS}/drop-pods"), Some(&json!({"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": "Background"})))
        .await
        .unwrap();
    assert_eq!(resp.status, 200);
    let body = resp.json().unwrap();
    assert_eq!(body["kind"], "Status");
    assert_eq!(body["status"], "Success");
    assert_eq!(body["details"]["name"], "drop-pods");
    assert!(pods_of(&client, "drop-pods").await.is_empty());
    assert_eq!(
        client
            .json("GET", &format!("{JOBS}/drop-pods"), None)
            .await
            .unwrap()
            .status,
        404
    );
    let again = client
        .json(
            "DELETE",
            &format!("{JOBS}/drop-pods?propagationPolicy=Foreground"),
            None,
        )
        .await
        .unwrap();
    assert_eq!(again.status, 404);

    // A pod can be deleted on its own.
    let pod = orphans[0]["metadata"]["name"].as_str().unwrap();
    let resp = client
        .json("DELETE", &format!("{PODS}/{pod}"), None)
        .await
        .unwrap();
    assert_eq!(resp.status, 200);
    assert_eq!(resp.json().unwrap()["kind"], "Pod");
    assert!(pods_of(&client, "keep-pods").await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_running_job_stops_its_container() {
    let (_standin, client) = start().await;
    create_job(&client, &perl_job("long", "sleep 60", 0)).await;
    // Wait until the pod runs.
    tokio::time::timeout(WAIT, async {
        loop {
            let pods = pods_of(&client, "long").await;
            if pods
                .first()
                .is_some_and(|p| p["status"]["phase"] == "Running")
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .unwrap();
    let resp = client
        .json(
            "DELETE",
            &format!("{JOBS}/long?propagationPolicy=Foreground"),
            None,
        )
        .await
        .unwrap();
    assert_eq!(resp.status, 200);
    assert_eq!(
        resp.json().unwrap()["metadata"]["finalizers"],
        json!(["foregroundDeletion"])
    );
    assert!(pods_of(&client, "long").await.is_empty());
    // The controller stopped: no pod comes back.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(pods_of(&client, "long").await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jobs_can_be_replaced_and_patched_but_their_template_is_immutable() {
    let (_standin, client) = start().await;
    let created = create_job(&client, &annotated_job("edit", "x\n", 0)).await;
    let mut replaced = created.clone();
    replaced["metadata"]["labels"] = json!({"team": "a"});
    let resp = client
        .json("PUT", &format!("{JOBS}/edit"), Some(&replaced))
        .await;
    let resp = resp.unwrap();
    // The controller may have written the status in between: then PUT conflicts.
    if resp.status == 409 {
        status_shape(&resp.json().unwrap(), 409, "Conflict");
        let current = client
            .json("GET", &format!("{JOBS}/edit"), None)
            .await
            .unwrap()
            .json()
            .unwrap();
        replaced["metadata"]["resourceVersion"] = current["metadata"]["resourceVersion"].clone();
        replaced["status"] = current["status"].clone();
        let retry = client
            .json("PUT", &format!("{JOBS}/edit"), Some(&replaced))
            .await
            .unwrap();
        assert!(
            retry.status == 200 || retry.status == 409,
            "{}",
            retry.text()
        );
    } else {
        assert_eq!(resp.status, 200, "{}", resp.text());
    }
    let stale = client
        .json("PUT", &format!("{JOBS}/edit"), Some(&created))
        .await
        .unwrap();
    assert_eq!(stale.status, 409);

    let patch = json!({"metadata": {"labels": {"team": "b"}}});
    let resp = client
        .request(
            "PATCH",
            &format!("{JOBS}/edit"),
            Some("application/merge-patch+json"),
            patch.to_string().into_bytes(),
        )
        .await
        .unwrap();
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert_eq!(resp.json().unwrap()["metadata"]["labels"]["team"], "b");
    let patch = json!({"spec": {"template": {"spec": {"containers": [{"name": "main", "image": "other"}]}}}});
    let resp = client
        .request(
            "PATCH",
            &format!("{JOBS}/edit"),
            Some("application/strategic-merge-patch+json"),
            patch.to_string().into_bytes(),
        )
        .await
        .unwrap();
    assert_eq!(resp.status, 422);
    assert!(
        resp.json().unwrap()["message"]
            .as_str()
            .unwrap()
            .contains("field is immutable")
    );
    let list = client
        .json("GET", &format!("{JOBS}?labelSelector=team%3Db"), None)
        .await
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(list["kind"], "JobList");
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert!(
        list["items"][0].get("kind").is_none(),
        "list items omit kind, as the API server does"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configmaps_full_crud_patches_and_pagination() {
    let (_standin, client) = start().await;
    let cm = |name: &str| {
        json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": name, "labels": {"app": "asl"}}, "data": {"k": "v"}})
    };
    for name in ["a", "b", "c"] {
        let resp = client
            .json("POST", CONFIGMAPS, Some(&cm(name)))
            .await
            .unwrap();
        assert_eq!(resp.status, 201);
    }
    let got = client
        .json("GET", &format!("{CONFIGMAPS}/b"), None)
        .await
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(got["data"]["k"], "v");

    let page = client
        .json(
            "GET",
            &format!("{CONFIGMAPS}?limit=2&labelSelector=app%3Dasl"),
            None,
        )
        .await
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    assert_eq!(page["metadata"]["remainingItemCount"], 1);
    let token = page["metadata"]["continue"].as_str().unwrap();
    let rest = client
        .json(
            "GET",
            &format!("{CONFIGMAPS}?limit=2&continue={token}"),
            None,
        )
        .await
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(rest["items"][0]["metadata"]["name"], "c");
    assert!(rest["metadata"].get("continue").is_none());

    let mut changed = got.clone();
    changed["data"]["k"] = json!("v2");
    let resp = client
        .json("PUT", &format!("{CONFIGMAPS}/b"), Some(&changed))
        .await
        .unwrap();
    assert_eq!(resp.status, 200);
    let resp = client
        .json("PUT", &format!("{CONFIGMAPS}/b"), Some(&changed))
        .await
        .unwrap();
    assert_eq!(resp.status, 409, "the same resourceVersion twice conflicts");
    let mut renamed = changed.clone();
    renamed["metadata"]["name"] = json!("z");
    renamed["metadata"]
        .as_object_mut()
        .unwrap()
        .remove("resourceVersion");
    assert_eq!(
        client
            .json("PUT", &format!("{CONFIGMAPS}/b"), Some(&renamed))
            .await
            .unwrap()
            .status,
        400
    );

    let json_patch = json!([{"op": "add", "path": "/data/extra", "value": "1"}, {"op": "remove", "path": "/data/k"}]);
    let resp = client
        .request(
            "PATCH",
            &format!("{CONFIGMAPS}/b"),
            Some("application/json-patch+json"),
            json_patch.to_string().into_bytes(),
        )
        .await
        .unwrap();
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert_eq!(resp.json().unwrap()["data"], json!({"extra": "1"}));
    let bad_patch = json!([{"op": "remove", "path": "/data/nope"}]);
    let resp = client
        .request(
            "PATCH",
            &format!("{CONFIGMAPS}/b"),
            Some("application/json-patch+json"),
            bad_patch.to_string().into_bytes(),
        )
        .await
        .unwrap();
    assert_eq!(resp.status, 422);

    let apply = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "applied"}, "data": {"x": "y"}});
    let resp = client
        .request(
            "PATCH",
            &format!("{CONFIGMAPS}/applied?fieldManager=test"),
            Some("application/apply-patch+yaml"),
            apply.to_string().into_bytes(),
        )
        .await
        .unwrap();
    assert_eq!(resp.status, 201, "apply creates: {}", resp.text());
    let resp = client
        .request(
            "PATCH",
            &format!("{CONFIGMAPS}/applied"),
            Some("application/apply-patch+yaml"),
            apply.to_string().into_bytes(),
        )
        .await
        .unwrap();
    assert_eq!(resp.status, 422, "apply needs a fieldManager");

    let bad = json!({"metadata": {"name": "bad"}, "data": {"k": 1}});
    assert_eq!(
        client
            .json("POST", CONFIGMAPS, Some(&bad))
            .await
            .unwrap()
            .status,
        422
    );

    let resp = client
        .json("DELETE", &format!("{CONFIGMAPS}/a"), None)
        .await
        .unwrap();
    assert_eq!(resp.status, 200);
    assert_eq!(resp.json().unwrap()["status"], "Success");
    assert_eq!(
        client
            .json("GET", &format!("{CONFIGMAPS}/a"), None)
            .await
            .unwrap()
            .status,
        404
    );
    assert_eq!(
        client
            .json("DELETE", &format!("{CONFIGMAPS}/a"), None)
            .await
            .unwrap()
            .status,
        404
    );
}

/// Measures how long after a container exits its Job's Complete condition reaches a
/// watcher. The container prints its own exit time as its last act; the watcher notes
/// when it sees Complete. Printed, not asserted: speed is for benchmarks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn measures_container_exit_to_complete_seen_by_a_watcher() {
    let (_standin, client) = start().await;
    let mut samples = Vec::new();
    for i in 0..5 {
        let name = format!("timed-{i}");
        let job = perl_job(
            &name,
            "use Time::HiRes qw(time); printf(qq(%.6f\\n), time)",
            0,
        );
        let created = create_job(&client, &job).await;
        let rv = created["metadata"]["resourceVersion"]
            .as_str()
            .unwrap()
            .to_string();
        let (events, seen_at) = watch_until_finished(&client, &name, &rv).await;
        assert_eq!(
            condition_types(&events.last().unwrap()["object"]),
            ["SuccessCriteriaMet", "Complete"]
        );
        let pod = pods_of(&client, &name).await[0]["metadata"]["name"]
            .as_str()
            .unwrap()
            .to_string();
        let (_, log) = log_of(&client, &pod, "").await;
        let exited: f64 = log.trim().parse().unwrap();
        let seen = seen_at.duration_since(UNIX_EPOCH).unwrap().as_secs_f64();
        samples.push((seen - exited) * 1000.0);
    }
    samples.sort_by(f64::total_cmp);
    assert!(samples.iter().all(|ms| *ms >= 0.0), "{samples:?}");
    eprintln!(
        "container exit -> Complete seen by a watcher: min {:.2} ms, median {:.2} ms, max {:.2} ms (5 runs)",
        samples[0], samples[2], samples[4]
    );
}

/// Starts the `kube-standin` binary and reads its connection line.
async fn spawn_binary(args: &[&str], stdin: std::process::Stdio) -> (tokio::process::Child, Value) {
    use tokio::io::AsyncBufReadExt;
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_kube-standin"))
        .args(args)
        .stdin(stdin)
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = tokio::io::BufReader::new(stdout).lines();
    let line = tokio::time::timeout(WAIT, lines.next_line())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    (child, serde_json::from_str(&line).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_prints_its_connection_line_and_stops_when_stdin_closes() {
    let (mut child, info) = spawn_binary(
        &["--token", "script-token", "--pod-start-delay-ms", "5"],
        std::process::Stdio::piped(),
    )
    .await;
    assert_eq!(info["token"], "script-token");
    use base64::Engine;
    let pem = base64::engine::general_purpose::STANDARD
        .decode(info["certificateAuthority"].as_str().unwrap())
        .unwrap();
    let client = HttpClient::new(
        info["endpoint"].as_str().unwrap(),
        Some(std::str::from_utf8(&pem).unwrap()),
    )
    .unwrap()
    .with_bearer("script-token");
    let created = create_job(&client, &sample_job()).await;
    let (events, _) = watch_until_finished(
        &client,
        "example-job",
        created["metadata"]["resourceVersion"].as_str().unwrap(),
    )
    .await;
    assert_eq!(
        condition_types(&events.last().unwrap()["object"]),
        ["SuccessCriteriaMet", "Complete"]
    );

    drop(child.stdin.take());
    let status = tokio::time::timeout(WAIT, child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_with_no_stdin_serves_until_sigterm() {
    let (mut child, info) = spawn_binary(&[], std::process::Stdio::null()).await;
    assert!(info["token"].as_str().unwrap().starts_with("asl-testkit-"));
    // stdin at /dev/null is not a reason to stop: it still answers.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(child.try_wait().unwrap().is_none());
    let pid = child.id().unwrap().to_string();
    let kill = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(kill.success());
    let status = tokio::time::timeout(WAIT, child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "SIGTERM is a clean stop: {status}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_requests_get_status_answers_and_the_server_survives() {
    let (_standin, client) = start().await;
    create_job(&client, &annotated_job("target", "x\n", 0)).await;
    let cm = json!({"metadata": {"name": "target"}, "data": {"k": "v"}});
    assert_eq!(
        client
            .json("POST", CONFIGMAPS, Some(&cm))
            .await
            .unwrap()
            .status,
        201
    );
    let bodies = [
        "",
        "null",
        "[]",
        "\"s\"",
        "5",
        "{\"metadata\": 5}",
        "{\"metadata\": \"x\"}",
        "{\"metadata\": {\"name\": 5}}",
        "{\"metadata\": {\"name\": \"UPPER\"}}",
        "{\"metadata\": {\"name\": \"x\", \"labels\": {\"a\": 1}}}",
        "{\"spec\": 5}",
        "{\"spec\": {\"template\": 5}}",
        "{\"spec\": {\"backoffLimit\": -1}}",
        "{\"spec\": {\"template\": {\"spec\": {\"containers\": [5]}}}}",
        "{\"spec\": {\"template\": {\"spec\": {\"restartPolicy\": \"Never\", \"containers\": [{\"name\": \"a\", \"image\": \"b\", \"command\": \"perl\"}]}}}}",
        "{\"data\": 5}",
        "{\"data\": {\"bad key\": \"v\"}}",
        "[{\"op\": \"add\", \"path\": \"\", \"value\": 5}]",
        "[{\"op\": \"replace\", \"path\": \"/metadata\", \"value\": 5}]",
        "[{\"op\": \"explode\", \"path\": \"/x\"}]",
        "{not json",
    ];
    let mut requests = Vec::new();
    for collection in [JOBS, CONFIGMAPS] {
        for body in bodies {
            requests.push(("POST", collection.to_string(), "application/json", body));
            let object = format!("{collection}/target");
            requests.push(("PUT", object.clone(), "application/json", body));
            for ct in [
                "application/merge-patch+json",
                "application/strategic-merge-patch+json",
                "application/json-patch+json",
            ] {
                requests.push(("PATCH", object.clone(), ct, body));
            }
            requests.push((
                "PATCH",
                format!("{object}?fieldManager=t"),
                "application/apply-patch+yaml",
                body,
            ));
            requests.push((
                "DELETE",
                format!("{object}-missing"),
                "application/json",
                body,
            ));
        }
    }
    for (method, path, ct, body) in requests {
        let resp = client
            .request(method, &path, Some(ct), body.as_bytes().to_vec())
            .await
            .unwrap_or_else(|e| panic!("{method} {path} {body}: {e}"));
        assert!(
            (200..500).contains(&resp.status),
            "{method} {path} {body}: {} {}",
            resp.status,
            resp.text()
        );
        if resp.status >= 400 {
            let status = resp.json().unwrap();
            assert_eq!(status["kind"], "Status", "{method} {path} {body}");
            assert_eq!(status["code"], resp.status);
        }
    }
    for path in [
        "/api/v1/namespaces/default/pods/x/log?tailLines=abc",
        "/api/v1/namespaces/default/configmaps?limit=-5",
        "/api/v1/namespaces/default/configmaps?continue=%%%",
        "/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=abc",
        "/apis/batch/v1/namespaces/default/jobs?fieldSelector=spec.x%3D1",
        "/api/v1/namespaces/default/pods/x/log/extra",
    ] {
        let resp = client.json("GET", path, None).await.unwrap();
        assert!((400..500).contains(&resp.status), "{path}: {}", resp.status);
        assert_eq!(resp.json().unwrap()["kind"], "Status", "{path}");
    }
    assert_eq!(
        client.json("GET", "/version", None).await.unwrap().status,
        200
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_followed_log_streams_lines_while_the_container_runs() {
    let (_standin, client) = start().await;
    let job = perl_job(
        "chatty",
        "$| = 1; print qq(one\\n); sleep 2; print qq(two\\n)",
        0,
    );
    create_job(&client, &job).await;
    let pod = tokio::time::timeout(WAIT, async {
        loop {
            let pods = pods_of(&client, "chatty").await;
            if let Some(p) = pods.first()
                && p["status"]["phase"] == "Running"
            {
                return p["metadata"]["name"].as_str().unwrap().to_string();
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .unwrap();
    let mut stream = client
        .stream(&format!("{PODS}/{pod}/log?follow=true"))
        .await
        .unwrap();
    assert_eq!(stream.status, 200);
    let first = tokio::time::timeout(WAIT, stream.next_line())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(first, b"one");
    // "one" arrived while the container was still running.
    let phase = client
        .json("GET", &format!("{PODS}/{pod}"), None)
        .await
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(phase["status"]["phase"], "Running");
    let second = tokio::time::timeout(WAIT, stream.next_line())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(second, b"two");
    let end = tokio::time::timeout(WAIT, stream.next_line())
        .await
        .unwrap();
    assert!(end.is_none(), "the stream ends with the container");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generate_name_makes_a_name_and_the_job_still_runs() {
    let (_standin, client) = start().await;
    let mut job = annotated_job("ignored", "hi\n", 0);
    job["metadata"] = json!({"generateName": "gen-"});
    let created = create_job(&client, &job).await;
    let name = created["metadata"]["name"].as_str().unwrap().to_string();
    assert!(name.starts_with("gen-") && name.len() == 9, "{name}");
    assert_eq!(created["metadata"]["labels"]["job-name"], name.as_str());
    let rv = created["metadata"]["resourceVersion"].as_str().unwrap();
    let (events, _) = watch_until_finished(&client, &name, rv).await;
    assert_eq!(
        condition_types(&events.last().unwrap()["object"]),
        ["SuccessCriteriaMet", "Complete"]
    );
}
