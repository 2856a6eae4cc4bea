//! `eks:runJob`, `eks:runJob.sync` and `eks:call` over the wire: against the project's
//! Kubernetes API stand-in (TLS with its own CA, EKS tokens checked, a Job controller
//! that really runs `perl`), and against a real cluster when `KUBECONFIG` is set (via
//! a [`ClusterOverride`] from the kubeconfig's current context; skipped with a printed
//! note otherwise).
//!
//! Against the stand-in every task goes the production way: the `Endpoint` and
//! base64 `CertificateAuthority` from the parameters and an EKS token signed with the
//! AWS credentials.

use std::time::{Duration, Instant};

use asl_runtime::integrations::{ClusterOverride, Integrations, WaitSchedule};
use asl_testkit::kube::{Config, KubeStandIn, TokenPolicy};
use serde_json::{Value, json};

use super::run;

const FAST: WaitSchedule = WaitSchedule {
    initial: Duration::from_millis(10),
    max: Duration::from_millis(200),
    multiplier: 2,
};

const CLUSTER: &str = "MyCluster";

/// Where the tests run: the stand-in, or a real cluster named by `KUBECONFIG`.
struct Target {
    name: &'static str,
    integrations: Integrations,
    endpoint: String,
    ca: String,
    /// The stand-in's own switches (annotations that make a pod fail or its log
    /// unreadable) only work there.
    stand_in: bool,
    _server: Option<KubeStandIn>,
}

async fn sdk() -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_credential_types::Credentials::new(
            "AKIDEXAMPLE",
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            None,
            None,
            "asl-test",
        ))
        .load()
        .await
}

fn eks_config() -> Config {
    Config {
        tokens: TokenPolicy {
            tokens: vec![],
            read_only_tokens: vec![],
            no_watch_tokens: vec![],
            accept_eks_tokens: true,
        },
        ..Config::default()
    }
}

async fn stand_in() -> Target {
    let server = KubeStandIn::start(eks_config())
        .await
        .expect("the stand-in starts");
    Target {
        name: "stand-in",
        integrations: Integrations::builder(&sdk().await)
            .wait_schedule(FAST)
            .build(),
        endpoint: server.endpoint().to_owned(),
        ca: server.ca_base64(),
        stand_in: true,
        _server: Some(server),
    }
}

/// The stand-in, plus the real cluster when `KUBECONFIG` is set.
async fn targets(test: &str) -> Vec<Target> {
    let mut targets = vec![stand_in().await];
    match std::env::var_os("KUBECONFIG") {
        None => println!("{test}: KUBECONFIG is not set; skipped the real-cluster run"),
        Some(_) => {
            let cluster = ClusterOverride::from_kubeconfig(None)
                .await
                .expect("KUBECONFIG loads");
            targets.push(Target {
                name: "KUBECONFIG",
                integrations: Integrations::builder(&sdk().await)
                    .wait_schedule(FAST)
                    .cluster_override(CLUSTER, cluster)
                    .build(),
                // The override replaces both.
                endpoint: "https://AKIAIOSFODNN7EXAMPLE.yl4.us-east-1.eks.amazonaws.com".into(),
                ca: "ANPAJ2UCCR6DPCEXAMPLE".into(),
                stand_in: false,
                _server: None,
            });
        }
    }
    targets
}

const RUN_JOB: &str = "arn:aws:states:::eks:runJob";
const RUN_JOB_SYNC: &str = "arn:aws:states:::eks:runJob.sync";
const CALL: &str = "arn:aws:states:::eks:call";

fn unique(prefix: &str) -> String {
    format!(
        "{prefix}-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    )
}

/// The sample's Job: perl prints pi to 20 digits as JSON.
fn pi_job(name: &str) -> Value {
    json!({
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name},
        "spec": {
            "backoffLimit": 0,
            "template": {
                "metadata": {"name": name},
                "spec": {
                    "containers": [{
                        "name": "pi-20",
                        "image": "perl",
                        "command": ["perl"],
                        "args": ["-Mbignum=bpi", "-wle", "print '{ ' . '\"pi\": '. bpi(20) . '}';"]
                    }],
                    "restartPolicy": "Never"
                }
            }
        }
    })
}

fn job_with(name: &str, args: &[&str], annotations: Value) -> Value {
    json!({
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name},
        "spec": {
            "backoffLimit": 0,
            "template": {
                "metadata": {"annotations": annotations},
                "spec": {
                    "containers": [{"name": "main", "image": "perl", "command": ["perl"], "args": args}],
                    "restartPolicy": "Never"
                }
            }
        }
    })
}

fn params(t: &Target, extra: Value) -> Value {
    let mut p =
        json!({"ClusterName": CLUSTER, "CertificateAuthority": t.ca, "Endpoint": t.endpoint});
    if let (Value::Object(p), Value::Object(extra)) = (&mut p, extra) {
        p.extend(extra);
    }
    p
}

fn condition(job: &Value, kind: &str) -> bool {
    job.pointer("/status/conditions")
        .and_then(Value::as_array)
        .is_some_and(|cs| {
            cs.iter()
                .any(|c| c["type"] == kind && c["status"] == "True")
        })
}

/// The only container log of the only pod.
fn single_log(result: &Value) -> &Value {
    let pods = result["logs"]["pods"]
        .as_object()
        .unwrap_or_else(|| panic!("no logs: {result}"));
    assert_eq!(pods.len(), 1, "{result}");
    let containers = pods.values().next().unwrap()["containers"]
        .as_object()
        .unwrap();
    assert_eq!(containers.len(), 1, "{result}");
    containers.values().next().unwrap()
}

async fn delete_job(t: &Target, name: &str) {
    let _ = run(
        &t.integrations,
        CALL,
        params(
            t,
            json!({"Method": "DELETE", "Path": format!("/apis/batch/v1/namespaces/default/jobs/{name}"),
                "QueryParameters": {"propagationPolicy": ["Foreground"]}}),
        ),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_job_plain_and_sync_with_and_without_logs() {
    for t in targets("run_job_plain_and_sync_with_and_without_logs").await {
        let who = t.name;
        // Plain: the created Job, as the API returns it.
        let name = unique("plain");
        let created = run(
            &t.integrations,
            RUN_JOB,
            params(&t, json!({"Job": pi_job(&name)})),
        )
        .await
        .unwrap();
        assert_eq!(created["kind"], "Job", "{who}: {created}");
        assert_eq!(created["metadata"]["name"], json!(name), "{who}");
        assert!(created["metadata"]["uid"].is_string(), "{who}: {created}");
        assert!(
            !condition(&created, "Complete"),
            "{who}: plain runJob does not wait: {created}"
        );
        delete_job(&t, &name).await;

        // .sync without logs: the finished Job, no `logs`.
        let name = unique("sync");
        let done = run(
            &t.integrations,
            RUN_JOB_SYNC,
            params(&t, json!({"Job": pi_job(&name), "Namespace": "default"})),
        )
        .await
        .unwrap();
        assert!(condition(&done, "Complete"), "{who}: {done}");
        assert_eq!(done["status"]["succeeded"], 1, "{who}: {done}");
        assert!(done.get("logs").is_none(), "{who}: {done}");
        delete_job(&t, &name).await;

        // .sync with logs: parsed as JSON, so pi loses its 20 digits as AWS documents.
        let name = unique("logs");
        let done = run(
            &t.integrations,
            RUN_JOB_SYNC,
            params(
                &t,
                json!({"Job": pi_job(&name), "LogOptions": {"RetrieveLogs": true}}),
            ),
        )
        .await
        .unwrap();
        assert!(condition(&done, "Complete"), "{who}: {done}");
        assert_eq!(
            single_log(&done)["log"],
            json!({"pi": std::f64::consts::PI}),
            "{who}: {done}"
        );
        let pod = done["logs"]["pods"]
            .as_object()
            .unwrap()
            .keys()
            .next()
            .unwrap();
        assert!(
            pod.starts_with(&name),
            "{who}: pods are selected by job-name: {pod}"
        );
        delete_job(&t, &name).await;

        // RawLogs: the text as the container wrote it; the Job given as a JSON string.
        let name = unique("raw");
        let done = run(
            &t.integrations,
            RUN_JOB_SYNC,
            params(
                &t,
                json!({"Job": pi_job(&name).to_string(), "LogOptions": {"RetrieveLogs": true, "RawLogs": true}}),
            ),
        )
        .await
        .unwrap();
        assert_eq!(
            single_log(&done)["log"],
            json!("{ \"pi\": 3.1415926535897932385}\n"),
            "{who}: {done}"
        );
        delete_job(&t, &name).await;

        // LogParameters go to the read-log call: the last two lines only.
        let name = unique("tail");
        let job = job_with(&name, &["-e", "print qq{line $_\\n} for 1..5"], json!({}));
        let done = run(
            &t.integrations,
            RUN_JOB_SYNC,
            params(
                &t,
                json!({"Job": job, "LogOptions": {"RetrieveLogs": true, "RawLogs": true,
                    "LogParameters": {"tailLines": ["2"]}}}),
            ),
        )
        .await
        .unwrap();
        assert_eq!(
            single_log(&done)["log"],
            json!("line 4\nline 5\n"),
            "{who}: {done}"
        );
        delete_job(&t, &name).await;

        let name = unique("limit");
        let job = job_with(&name, &["-e", "print qq{abcdefghij\\n}"], json!({}));
        let done = run(
            &t.integrations,
            RUN_JOB_SYNC,
            params(
                &t,
                json!({"Job": job, "LogOptions": {"RetrieveLogs": true, "LogParameters": {"limitBytes": ["4"]}}}),
            ),
        )
        .await
        .unwrap();
        assert_eq!(
            single_log(&done)["log"],
            json!("abcd"),
            "{who}: not JSON, so a string: {done}"
        );
        delete_job(&t, &name).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_jobs_and_unreadable_logs() {
    for t in targets("failing_jobs_and_unreadable_logs").await {
        let who = t.name;
        // A Job whose pod exits 3 fails the task; the cause is the result it would have had.
        let name = unique("fail");
        let job = job_with(&name, &["-e", "print qq{boom\\n}; exit 3"], json!({}));
        let err = run(
            &t.integrations,
            RUN_JOB_SYNC,
            params(
                &t,
                json!({"Job": job, "LogOptions": {"RetrieveLogs": true}}),
            ),
        )
        .await
        .unwrap_err();
        assert_eq!(err.name(), "States.TaskFailed", "{who}: {err}");
        let cause: Value = serde_json::from_str(err.cause().unwrap()).unwrap();
        assert!(condition(&cause, "Failed"), "{who}: {cause}");
        assert_eq!(single_log(&cause)["log"], json!("boom\n"), "{who}: {cause}");
        delete_job(&t, &name).await;

        if !t.stand_in {
            println!(
                "failing_jobs_and_unreadable_logs: a pod whose log read fails needs the stand-in; skipped on {who}"
            );
            continue;
        }
        // Namespace is honoured.
        let name = unique("ns");
        let done = run(
            &t.integrations,
            RUN_JOB_SYNC,
            params(&t, json!({"Job": job_with(&name, &["-e", "print 1"], json!({})), "Namespace": "kube-public"})),
        )
        .await
        .unwrap();
        assert_eq!(done["metadata"]["namespace"], "kube-public", "{done}");
        assert!(condition(&done, "Complete"), "{done}");

        // Parameter mistakes fail before anything is created.
        let err = run(
            &t.integrations,
            RUN_JOB_SYNC,
            params(&t, json!({"Job": "{not json"})),
        )
        .await
        .unwrap_err();
        assert_eq!(err.name(), "States.Runtime", "{err}");
        let err = run(
            &t.integrations,
            RUN_JOB,
            params(
                &t,
                json!({"Job": pi_job("never"), "LogOptions": {"RetrieveLogs": true}}),
            ),
        )
        .await
        .unwrap_err();
        assert_eq!(
            err.name(),
            "States.Runtime",
            "LogOptions needs .sync: {err}"
        );
        let err = run(
            &t.integrations,
            RUN_JOB_SYNC,
            params(
                &t,
                json!({"Job": pi_job("never"), "LogOptions": {"Retrieve": true}}),
            ),
        )
        .await
        .unwrap_err();
        assert_eq!(err.name(), "States.Runtime", "{err}");
        let err = run(
            &t.integrations,
            CALL,
            params(
                &t,
                json!({"Method": "GET", "Path": "/api/v1/namespaces/default/pods/never"}),
            ),
        )
        .await
        .unwrap_err();
        assert_eq!(
            err.name(),
            "EKS.404",
            "no Job 'never' was created, so no pod either: {err}"
        );

        // A container whose log cannot be read gets error and cause; the task succeeds.
        let name = unique("nolog");
        let job = job_with(
            &name,
            &["-e", "print 1"],
            json!({"asl-testkit/log-error": "true"}),
        );
        let done = run(
            &t.integrations,
            RUN_JOB_SYNC,
            params(
                &t,
                json!({"Job": job, "LogOptions": {"RetrieveLogs": true}}),
            ),
        )
        .await
        .unwrap();
        let entry = single_log(&done);
        assert!(entry.get("log").is_none(), "{done}");
        assert_eq!(entry["error"], "EKS.500", "{done}");
        let cause: Value = serde_json::from_str(entry["cause"].as_str().unwrap()).unwrap();
        assert_eq!(cause["StatusCode"], 500, "{cause}");
        assert_eq!(cause["ResponseBody"]["kind"], "Status", "{cause}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn call_every_method_with_query_parameters() {
    for t in targets("call_every_method_with_query_parameters").await {
        let who = t.name;
        let name = unique("aws-auth");
        let path = format!("/api/v1/namespaces/default/configmaps/{name}");
        let call = |extra: Value| run(&t.integrations, CALL, params(&t, extra));

        // POST: the corrected aws-auth example.
        let created = call(json!({
            "Method": "POST",
            "Path": "/api/v1/namespaces/default/configmaps",
            "RequestBody": {"apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": name, "labels": {"suite": "asl"}},
                "data": {"mapUsers": "[{ \"userarn\": \"arn:aws:iam::123456789012:user/my-user\", \"username\": \"my-user\", \"groups\": [ \"system:masters\" ] } ]"}}
        }))
        .await
        .unwrap();
        assert_eq!(created["StatusCode"], 201, "{who}: {created}");
        assert_eq!(created["StatusText"], "Created", "{who}");
        assert_eq!(
            created["ResponseBody"]["metadata"]["name"],
            json!(name),
            "{who}"
        );
        assert!(
            created["Headers"]["content-type"][0]
                .as_str()
                .unwrap()
                .contains("json"),
            "{who}: {created}"
        );

        // GET a list with a label selector and a limit.
        let listed = call(
            json!({"Method": "GET", "Path": "/api/v1/namespaces/default/configmaps",
            "QueryParameters": {"labelSelector": ["suite=asl"], "limit": ["50"]}}),
        )
        .await
        .unwrap();
        assert_eq!(listed["StatusCode"], 200, "{who}");
        let items = listed["ResponseBody"]["items"].as_array().unwrap();
        assert!(
            items.iter().any(|i| i["metadata"]["name"] == json!(name)),
            "{who}: {listed}"
        );
        assert!(
            items
                .iter()
                .all(|i| i["metadata"]["labels"]["suite"] == "asl"),
            "{who}: {listed}"
        );

        // PUT replaces; the body may also be a JSON string.
        let mut replaced = created["ResponseBody"].clone();
        replaced["data"] = json!({"replaced": "yes"});
        let put = call(json!({"Method": "PUT", "Path": path, "RequestBody": replaced.to_string()}))
            .await
            .unwrap();
        assert_eq!(put["StatusCode"], 200, "{who}: {put}");
        assert_eq!(
            put["ResponseBody"]["data"],
            json!({"replaced": "yes"}),
            "{who}"
        );

        // PATCH: an object is a merge patch, an array a JSON Patch.
        let merged = call(
            json!({"Method": "PATCH", "Path": path, "RequestBody": {"data": {"merged": "1"}}}),
        )
        .await
        .unwrap();
        assert_eq!(
            merged["ResponseBody"]["data"],
            json!({"replaced": "yes", "merged": "1"}),
            "{who}: {merged}"
        );
        let patched = call(json!({"Method": "PATCH", "Path": path,
            "RequestBody": [{"op": "remove", "path": "/data/replaced"}]}))
        .await
        .unwrap();
        assert_eq!(
            patched["ResponseBody"]["data"],
            json!({"merged": "1"}),
            "{who}: {patched}"
        );

        // HEAD: status and headers, no body.
        let head = call(json!({"Method": "HEAD", "Path": path})).await.unwrap();
        assert_eq!(head["StatusCode"], 200, "{who}: {head}");
        assert!(head.get("ResponseBody").is_none(), "{who}: {head}");

        // DELETE with a query parameter, as the sample's "Delete job" state does.
        let deleted = call(json!({"Method": "DELETE", "Path": path,
            "QueryParameters": {"propagationPolicy": ["Foreground"]}}))
        .await
        .unwrap();
        assert_eq!(deleted["StatusCode"], 200, "{who}: {deleted}");

        // Gone: EKS.404 with the Status as ResponseBody.
        let err = call(json!({"Method": "GET", "Path": path}))
            .await
            .unwrap_err();
        assert_eq!(err.name(), "EKS.404", "{who}: {err}");
        let cause: Value = serde_json::from_str(err.cause().unwrap()).unwrap();
        assert_eq!(cause["StatusCode"], 404, "{who}");
        assert_eq!(cause["StatusText"], "Not Found", "{who}");
        assert_eq!(
            cause["ResponseBody"]["reason"], "NotFound",
            "{who}: {cause}"
        );

        // Bad parameters never leave the process.
        let err = call(json!({"Method": "TRACE", "Path": path}))
            .await
            .unwrap_err();
        assert_eq!(err.name(), "States.Runtime", "{who}");
        let err = call(json!({"Method": "GET", "Path": path, "Body": {}}))
            .await
            .unwrap_err();
        assert_eq!(err.name(), "States.Runtime", "{who}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_token_is_eks_401_with_the_documented_cause() {
    // This stand-in accepts only its own random token, not EKS tokens.
    let server = KubeStandIn::start(Config::default()).await.unwrap();
    let integrations = Integrations::builder(&sdk().await)
        .wait_schedule(FAST)
        .build();
    let p = json!({"ClusterName": CLUSTER, "CertificateAuthority": server.ca_base64(),
        "Endpoint": server.endpoint(), "Method": "GET", "Path": "/api/v1/namespaces/default/pods"});
    let err = run(&integrations, CALL, p).await.unwrap_err();
    assert_eq!(err.name(), "EKS.401", "{err}");
    let cause: Value = serde_json::from_str(err.cause().unwrap()).unwrap();
    assert_eq!(
        cause,
        json!({"ResponseBody": {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": "Unauthorized", "reason": "Unauthorized", "code": 401},
            "StatusCode": 401, "StatusText": "Unauthorized"})
    );
    // The token itself appears nowhere in what the workflow sees.
    assert!(!err.to_string().contains("k8s-aws-v1"), "{err}");

    // An override with the right bearer token reaches the same server.
    let token = server.token().unwrap().to_owned();
    let integrations = Integrations::builder(&sdk().await)
        .cluster_override(
            CLUSTER,
            ClusterOverride::new(server.endpoint(), &server.ca_base64())
                .unwrap()
                .bearer_token(token.clone()),
        )
        .build();
    let p = json!({"ClusterName": CLUSTER, "CertificateAuthority": "ANPAJ2UCCR6DPCEXAMPLE",
        "Endpoint": "https://444455556666.yl4.us-east-1.eks.amazonaws.com",
        "Method": "GET", "Path": "/api/v1/namespaces/default/pods"});
    let ok = run(&integrations, CALL, p.clone()).await.unwrap();
    assert_eq!(ok["StatusCode"], 200, "{ok}");
    assert!(!format!("{integrations:?}").contains(&token));

    // Another cluster name is not overridden: its fake CA is refused before any traffic.
    let mut other = p;
    other["ClusterName"] = json!("Other");
    let err = run(&integrations, CALL, other).await.unwrap_err();
    assert_eq!(err.name(), "States.Runtime", "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_is_verified_against_the_given_ca() {
    let server = KubeStandIn::start(eks_config()).await.unwrap();
    let stranger = KubeStandIn::start(eks_config()).await.unwrap();
    let integrations = Integrations::builder(&sdk().await).build();
    let p = json!({"ClusterName": CLUSTER, "CertificateAuthority": stranger.ca_base64(),
        "Endpoint": server.endpoint(), "Method": "GET", "Path": "/api/v1/namespaces/default/pods"});
    let err = run(&integrations, CALL, p).await.unwrap_err();
    assert_eq!(err.name(), "States.TaskFailed", "{err}");
    let p = json!({"ClusterName": CLUSTER, "CertificateAuthority": server.ca_base64(),
        "Endpoint": server.endpoint(), "Method": "GET", "Path": "/api/v1/namespaces/default/pods"});
    assert_eq!(
        run(&integrations, CALL, p).await.unwrap()["StatusCode"],
        200
    );
}

/// Measures how long after the stand-in marks a Job Complete runJob.sync returns: a
/// second watcher in this test notes when it sees the condition. Printed, not
/// asserted (speed is for benchmarks).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_job_sync_notices_completion_promptly() {
    use futures_util::StreamExt as _;
    use k8s_openapi::api::batch::v1::Job;
    use kube::api::{Api, WatchEvent, WatchParams};

    let t = stand_in().await;
    let server = t._server.as_ref().unwrap();
    let token = asl_runtime::integrations::token::eks_token(
        &aws_credential_types::Credentials::new("AKIDEXAMPLE", "secret", None, None, "t"),
        "us-east-1",
        "https://sts.us-east-1.amazonaws.com",
        CLUSTER,
        std::time::SystemTime::now(),
    )
    .unwrap();
    let mut config = kube::Config::new(server.endpoint().parse().unwrap());
    config.root_cert = Some(vec![pem_der(server.ca_pem())]);
    config.auth_info.token = Some(token.expose().to_owned().into());
    let client = kube::Client::try_from(config).unwrap();
    let api: Api<Job> = Api::namespaced(client, "default");

    let mut gaps = Vec::new();
    for _ in 0..5 {
        let name = unique("latency");
        let watcher = {
            let api = api.clone();
            let name = name.clone();
            tokio::spawn(async move {
                let wp = WatchParams::default()
                    .fields(&format!("metadata.name={name}"))
                    .timeout(60);
                let mut stream = Box::pin(api.watch(&wp, "0").await.unwrap());
                while let Some(Ok(event)) = stream.next().await {
                    if let WatchEvent::Added(job) | WatchEvent::Modified(job) = event {
                        let v = serde_json::to_value(&job).unwrap();
                        if condition(&v, "Complete") {
                            return Instant::now();
                        }
                    }
                }
                panic!("the watch ended before the Job completed");
            })
        };
        let job = job_with(&name, &["-e", "print 1"], json!({}));
        let result = run(
            &t.integrations,
            RUN_JOB_SYNC,
            params(&t, json!({"Job": job})),
        )
        .await
        .unwrap();
        let returned = Instant::now();
        let completed = watcher.await.unwrap();
        assert!(condition(&result, "Complete"), "{result}");
        gaps.push(returned.saturating_duration_since(completed));
        delete_job(&t, &name).await;
    }
    gaps.sort();
    println!(
        "runJob.sync returned after the stand-in's Complete condition: min {:?}, median {:?}, max {:?} (5 Jobs)",
        gaps[0], gaps[2], gaps[4]
    );
}

fn pem_der(pem: &str) -> Vec<u8> {
    use base64::Engine as _;
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .unwrap()
}

/// A kubeconfig context as the override (server, CA and token from the file), the way
/// a local cluster is used: the task's own Endpoint and CertificateAuthority are fake.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubeconfig_context_override_reaches_the_stand_in() {
    use base64::Engine as _;
    let server = KubeStandIn::start(Config::default()).await.unwrap();
    let kubeconfig = format!(
        "apiVersion: v1\nkind: Config\ncurrent-context: other\n\
         clusters:\n- name: standin\n  cluster:\n    server: {}\n    certificate-authority-data: {}\n\
         users:\n- name: tester\n  user:\n    token: {}\n\
         contexts:\n- name: standin\n  context:\n    cluster: standin\n    user: tester\n\
         - name: other\n  context:\n    cluster: standin\n    user: nobody\n",
        server.endpoint(),
        base64::engine::general_purpose::STANDARD.encode(server.ca_pem()),
        server.token().unwrap()
    );
    let path = std::env::temp_dir().join(format!("{}.kubeconfig", unique("asl")));
    std::fs::write(&path, kubeconfig).unwrap();
    let parsed = kube::config::Kubeconfig::read_from(&path).unwrap();
    let _ = std::fs::remove_file(&path);
    let options = kube::config::KubeConfigOptions {
        context: Some("standin".into()),
        ..Default::default()
    };
    let config = kube::Config::from_custom_kubeconfig(parsed, &options)
        .await
        .unwrap();
    let integrations = Integrations::builder(&sdk().await)
        .cluster_override(CLUSTER, ClusterOverride::from_kube_config(config))
        .build();
    let p = json!({"ClusterName": CLUSTER, "CertificateAuthority": "ANPAJ2UCCR6DPCEXAMPLE",
        "Endpoint": "https://444455556666.yl4.us-east-1.eks.amazonaws.com",
        "Method": "GET", "Path": "/api/v1/namespaces/default/configmaps"});
    let ok = run(&integrations, CALL, p).await.unwrap();
    assert_eq!(ok["StatusCode"], 200, "{ok}");
    assert_eq!(ok["ResponseBody"]["kind"], "ConfigMapList", "{ok}");
}

/// A server that goes away during a `.sync` wait fails the task after a few tries
/// instead of leaving it waiting forever.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vanished_server_fails_the_wait() {
    let t = stand_in().await;
    let name = unique("vanish");
    let job = job_with(&name, &["-e", "sleep 5"], json!({}));
    let task = run(
        &t.integrations,
        RUN_JOB_SYNC,
        params(&t, json!({"Job": job})),
    );
    let stop = async {
        tokio::time::sleep(Duration::from_millis(500)).await;
        t._server.as_ref().unwrap().stop();
    };
    let (result, ()) = tokio::join!(task, stop);
    let err = result.unwrap_err();
    assert_eq!(err.name(), "States.TaskFailed", "{err}");
}

/// Kubernetes' refusals surface as `EKS.<code>`: a Job that already exists (409) and
/// an identity that may read but not write (403, as RBAC answers).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conflicts_and_forbidden_writes_are_eks_errors() {
    let t = stand_in().await;
    let name = unique("twice");
    run(
        &t.integrations,
        RUN_JOB,
        params(&t, json!({"Job": pi_job(&name)})),
    )
    .await
    .unwrap();
    let err = run(
        &t.integrations,
        RUN_JOB_SYNC,
        params(&t, json!({"Job": pi_job(&name)})),
    )
    .await
    .unwrap_err();
    assert_eq!(err.name(), "EKS.409", "{err}");
    let cause: Value = serde_json::from_str(err.cause().unwrap()).unwrap();
    assert_eq!(cause["StatusText"], "Conflict", "{cause}");
    assert_eq!(cause["ResponseBody"]["reason"], "AlreadyExists", "{cause}");

    let reader = "asl-read-only-token";
    let config = Config {
        tokens: TokenPolicy {
            tokens: vec![],
            read_only_tokens: vec![reader.into()],
            no_watch_tokens: vec![],
            accept_eks_tokens: false,
        },
        ..Config::default()
    };
    let server = KubeStandIn::start(config).await.unwrap();
    let integrations = Integrations::builder(&sdk().await)
        .cluster_override(
            CLUSTER,
            ClusterOverride::new(server.endpoint(), &server.ca_base64())
                .unwrap()
                .bearer_token(reader),
        )
        .build();
    let p = json!({"ClusterName": CLUSTER, "CertificateAuthority": "ANPAJ2UCCR6DPCEXAMPLE",
        "Endpoint": "https://444455556666.yl4.us-east-1.eks.amazonaws.com", "Job": pi_job("denied")});
    let err = run(&integrations, RUN_JOB, p).await.unwrap_err();
    assert_eq!(err.name(), "EKS.403", "{err}");
    let cause: Value = serde_json::from_str(err.cause().unwrap()).unwrap();
    assert_eq!(cause["StatusCode"], 403, "{cause}");
    assert_eq!(cause["ResponseBody"]["reason"], "Forbidden", "{cause}");
    assert!(
        !err.to_string().contains(reader),
        "the token stays out of errors: {err}"
    );
}

/// Issue 10: a least-privilege Role may grant `get` but not `watch` on Jobs. A
/// watch answered 403 makes `runJob.sync` poll the Job instead of retrying the
/// watch forever; the task completes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_job_sync_polls_when_the_role_cannot_watch() {
    let server = KubeStandIn::start(Config {
        tokens: TokenPolicy {
            no_watch_tokens: vec!["no-watch".into()],
            ..TokenPolicy::default()
        },
        ..Config::default()
    })
    .await
    .unwrap();
    let ca = server.ca_base64();
    let integrations = Integrations::builder(&sdk().await)
        .wait_schedule(FAST)
        .cluster_override(
            CLUSTER,
            ClusterOverride::new(server.endpoint(), &ca)
                .unwrap()
                .bearer_token("no-watch"),
        )
        .build();
    let name = unique("no-watch");
    let out = run(
        &integrations,
        RUN_JOB_SYNC,
        json!({"ClusterName": CLUSTER, "CertificateAuthority": ca, "Endpoint": server.endpoint(),
               "Job": job_with(&name, &["-e", "sleep 1; print 1"], json!({}))}),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out["status"]["succeeded"], 1, "{out}");
}

/// Issue 10: an API server that accepts connections and never answers fails
/// `runJob.sync` with `States.TaskFailed` within the configured timeouts,
/// instead of hanging until a `TimeoutSeconds` (which the sample does not set).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_job_sync_fails_on_a_silent_api_server() {
    use asl_runtime::integrations::Timeouts;
    let silent = asl_testkit::silent::SilentPeer::start().await.unwrap();
    let server = KubeStandIn::start(eks_config()).await.unwrap();
    let ca = server.ca_base64();
    let integrations = Integrations::builder(&sdk().await)
        .wait_schedule(FAST)
        .timeouts(Timeouts::all(Duration::from_secs(1)))
        .build();
    let started = Instant::now();
    let err = run(
        &integrations,
        RUN_JOB_SYNC,
        json!({"ClusterName": CLUSTER, "CertificateAuthority": ca, "Endpoint": silent.https_url(),
               "Job": pi_job(&unique("silent"))}),
    )
    .await
    .unwrap_err();
    let took = started.elapsed();
    println!("runJob.sync against a silent API server failed after {took:?}: {err}");
    assert_eq!(err.name(), "States.TaskFailed", "{err}");
    assert!(took < Duration::from_secs(10), "{took:?}");
}

/// Issue 10: a TLS failure's cause names the certificate problem, not only
/// "client error (Connect)".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tls_failure_says_what_is_wrong_with_the_certificate() {
    let server = KubeStandIn::start(eks_config()).await.unwrap();
    let other = KubeStandIn::start(eks_config()).await.unwrap();
    let integrations = Integrations::builder(&sdk().await)
        .wait_schedule(FAST)
        .build();
    // The CA of another server: the certificate chain does not verify.
    let err = run(
        &integrations,
        CALL,
        json!({"ClusterName": CLUSTER, "CertificateAuthority": other.ca_base64(),
               "Endpoint": server.endpoint(), "Method": "GET", "Path": "/api"}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.name(), "States.TaskFailed", "{err}");
    let cause = err.cause().unwrap();
    assert!(cause.to_lowercase().contains("certificate"), "{cause}");
}

/// Issue 10: a watch answered 500 (or 401) every time used to be retried forever;
/// after `Timeouts::watch_failures` failures in a row the task fails with a cause
/// that says what the API server did.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_job_sync_stops_after_repeated_watch_failures() {
    let server = KubeStandIn::start(Config {
        fail_watches_with: Some(500),
        ..eks_config()
    })
    .await
    .unwrap();
    let integrations = Integrations::builder(&sdk().await)
        .wait_schedule(FAST)
        .build();
    let started = Instant::now();
    let err = run(
        &integrations,
        RUN_JOB_SYNC,
        json!({"ClusterName": CLUSTER, "CertificateAuthority": server.ca_base64(),
               "Endpoint": server.endpoint(),
               "Job": job_with(&unique("watch-500"), &["-e", "sleep 60"], json!({}))}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.name(), "States.TaskFailed", "{err}");
    let cause = err.cause().unwrap();
    assert!(cause.contains("failed 5 times in a row"), "{cause}");
    assert!(
        cause.contains("500") || cause.contains("InternalError"),
        "{cause}"
    );
    assert!(started.elapsed() < Duration::from_secs(20));
}

/// Issue 10: a Job deleted while `runJob.sync` waits for it fails the task with
/// the deletion as the cause (the wait used to swallow its own error and watch
/// again).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_deleted_while_running_fails_the_task() {
    let t = stand_in().await;
    let name = unique("deleted");
    let job = job_with(&name, &["-e", "sleep 30"], json!({}));
    let task = run(
        &t.integrations,
        RUN_JOB_SYNC,
        params(&t, json!({"Job": job})),
    );
    let delete = async {
        tokio::time::sleep(Duration::from_millis(800)).await;
        run(
            &t.integrations,
            CALL,
            params(
                &t,
                json!({"Method": "DELETE", "Path": format!("/apis/batch/v1/namespaces/default/jobs/{name}")}),
            ),
        )
        .await
        .unwrap();
    };
    let started = Instant::now();
    let (result, ()) = tokio::join!(task, delete);
    let err = result.unwrap_err();
    assert_eq!(err.name(), "States.TaskFailed", "{err}");
    assert!(
        err.cause().unwrap().contains("deleted while running"),
        "{err}"
    );
    assert!(started.elapsed() < Duration::from_secs(10));
}
