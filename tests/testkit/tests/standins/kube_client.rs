//! The `kube` crate's own client (as the runtime's integrations use it) against the
//! stand-in: a kubeconfig with the stand-in's CA data and token, typed `Api<Job>` and
//! `Api<Pod>` calls, a watch, logs and errors.

use std::time::Duration;

use asl_testkit::kube::{Config, KubeStandIn};
use futures_util::{AsyncBufReadExt, StreamExt, TryStreamExt};
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{ConfigMap, Pod};
use kube::api::{
    DeleteParams, ListParams, LogParams, Patch, PatchParams, PostParams, WatchEvent, WatchParams,
};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Api, Client};
use serde_json::json;

const WAIT: Duration = Duration::from_secs(60);

async fn client_for(standin: &KubeStandIn) -> Client {
    let yaml = format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: standin\n  cluster:\n    server: {}\n    certificate-authority-data: {}\nusers:\n- name: u\n  user:\n    token: {}\ncontexts:\n- name: c\n  context:\n    cluster: standin\n    user: u\ncurrent-context: c\n",
        standin.endpoint(),
        standin.ca_base64(),
        standin.token().unwrap()
    );
    let kubeconfig = Kubeconfig::from_yaml(&yaml).unwrap();
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
        .await
        .unwrap();
    Client::try_from(config).unwrap()
}

fn sample_job() -> Job {
    serde_json::from_value(json!({
        "apiVersion": "batch/v1", "kind": "Job",
        "metadata": {"name": "example-job"},
        "spec": {"backoffLimit": 0, "template": {"metadata": {"name": "example-job"}, "spec": {
            "containers": [{"name": "pi-20", "image": "perl", "command": ["perl"],
                "args": ["-Mbignum=bpi", "-wle", "print '{ ' . '\"pi\": '. bpi(20) . ' }';"]}],
            "restartPolicy": "Never"}}}
    }))
    .unwrap()
}

fn complete(job: &Job) -> bool {
    job.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|cs| {
            cs.iter()
                .any(|c| c.type_ == "Complete" && c.status == "True")
        })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typed_jobs_pods_watch_and_logs() {
    let standin = KubeStandIn::start(Config {
        pod_start_delay: Duration::from_millis(10),
        ..Config::default()
    })
    .await
    .unwrap();
    let client = client_for(&standin).await;
    let version = client.apiserver_version().await.unwrap();
    assert_eq!(version.major, "1");

    let jobs: Api<Job> = Api::namespaced(client.clone(), "default");
    let created = jobs
        .create(&PostParams::default(), &sample_job())
        .await
        .unwrap();
    let rv = created.metadata.resource_version.clone().unwrap();
    let err = jobs
        .create(&PostParams::default(), &sample_job())
        .await
        .unwrap_err();
    match err {
        kube::Error::Api(s) => {
            assert_eq!(s.code, 409);
            assert_eq!(s.reason, "AlreadyExists");
        }
        other => panic!("expected a 409 Status, got {other:?}"),
    }

    let wp = WatchParams::default()
        .fields("metadata.name=example-job")
        .timeout(60);
    let mut stream = jobs.watch(&wp, &rv).await.unwrap().boxed();
    let done = tokio::time::timeout(WAIT, async {
        while let Some(ev) = stream.try_next().await.unwrap() {
            if let WatchEvent::Modified(job) = ev
                && complete(&job)
            {
                return job;
            }
        }
        panic!("watch ended before Complete");
    })
    .await
    .unwrap();
    assert_eq!(done.status.unwrap().succeeded, Some(1));

    let listed = jobs.list(&ListParams::default()).await.unwrap();
    assert_eq!(listed.items.len(), 1);
    assert!(complete(&listed.items[0]));

    let pods: Api<Pod> = Api::namespaced(client.clone(), "default");
    let selected = pods
        .list(&ListParams::default().labels("job-name=example-job"))
        .await
        .unwrap();
    assert_eq!(selected.items.len(), 1);
    let pod = selected.items[0].metadata.name.clone().unwrap();
    assert_eq!(
        pods.get(&pod)
            .await
            .unwrap()
            .status
            .unwrap()
            .phase
            .as_deref(),
        Some("Succeeded")
    );

    let log = pods.logs(&pod, &LogParams::default()).await.unwrap();
    assert_eq!(log, "{ \"pi\": 3.1415926535897932385 }\n");
    let tail = LogParams {
        container: Some("pi-20".into()),
        tail_lines: Some(1),
        limit_bytes: Some(8),
        ..LogParams::default()
    };
    assert_eq!(pods.logs(&pod, &tail).await.unwrap(), "{ \"pi\": ");
    let mut lines = pods
        .log_stream(
            &pod,
            &LogParams {
                follow: true,
                ..LogParams::default()
            },
        )
        .await
        .unwrap()
        .lines();
    let first = tokio::time::timeout(WAIT, lines.try_next())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first.as_deref(), Some("{ \"pi\": 3.1415926535897932385 }"));

    let patched = jobs
        .patch(
            "example-job",
            &PatchParams::default(),
            &Patch::Merge(json!({"metadata": {"labels": {"seen": "yes"}}})),
        )
        .await
        .unwrap();
    assert_eq!(patched.metadata.labels.unwrap()["seen"], "yes");

    jobs.delete("example-job", &DeleteParams::background())
        .await
        .unwrap();
    assert!(
        pods.list(&ListParams::default().labels("job-name=example-job"))
            .await
            .unwrap()
            .items
            .is_empty()
    );
    match jobs.get("example-job").await.unwrap_err() {
        kube::Error::Api(s) => assert_eq!((s.code, s.reason.as_str()), (404, "NotFound")),
        other => panic!("expected a 404 Status, got {other:?}"),
    }

    let cms: Api<ConfigMap> = Api::namespaced(client, "default");
    let cm: ConfigMap =
        serde_json::from_value(json!({"metadata": {"name": "c"}, "data": {"a": "1"}})).unwrap();
    cms.create(&PostParams::default(), &cm).await.unwrap();
    let applied = cms
        .patch("c", &PatchParams::apply("asl-testkit"), &Patch::Apply(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"b": "2"}})))
        .await
        .unwrap();
    assert_eq!(applied.data.unwrap()["b"], "2");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_token_is_a_401_status_for_the_kube_client() {
    let standin = KubeStandIn::start(Config::default()).await.unwrap();
    let other = KubeStandIn::start(Config::default()).await.unwrap();
    // Same endpoint and CA, but the other stand-in's token.
    let yaml = format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: s\n  cluster:\n    server: {}\n    certificate-authority-data: {}\nusers:\n- name: u\n  user:\n    token: {}\ncontexts:\n- name: c\n  context:\n    cluster: s\n    user: u\ncurrent-context: c\n",
        standin.endpoint(),
        standin.ca_base64(),
        other.token().unwrap()
    );
    let config = kube::Config::from_custom_kubeconfig(
        Kubeconfig::from_yaml(&yaml).unwrap(),
        &KubeConfigOptions::default(),
    )
    .await
    .unwrap();
    let jobs: Api<Job> = Api::default_namespaced(Client::try_from(config).unwrap());
    match jobs.list(&ListParams::default()).await.unwrap_err() {
        kube::Error::Api(s) => {
            assert_eq!(s.code, 401);
            assert_eq!(s.message, "Unauthorized");
        }
        other => panic!("expected a 401 Status, got {other:?}"),
    }
}
