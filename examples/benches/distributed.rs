//! The distributed Map's throughput and memory
//! (`cargo bench -p asl-examples --bench distributed`): `ASL_DMAP_ITEMS` items
//! (default 100,000) as JSON Lines through EXPRESS children, `MaxConcurrency`
//! 1,000, each child a Task whose handler yields once (so children really run
//! side by side), outputs written back with a `ResultWriter` (COMPACT, JSONL).
//!
//! Two sources: moto's S3 (`ASL_DMAP_S3=moto`, the default when moto is
//! installed: the items uploaded first, the results read back by moto), and
//! an in-process object store (`ASL_DMAP_S3=local`) that makes the lines as
//! they are read and counts the bytes written, which measures the engine
//! without moto's own speed. Prints items per second and the process's peak
//! resident memory (VmHWM). A measurement, not a criterion timing.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use asl::runtime::exec::{ObjectStorage, Runtime};
use asl::runtime::integrations::Integrations;
use asl::runtime::task::handler_fn;
use asl_examples::generated_storage::{GeneratedStorage, lines};
use serde_json::json;

asl::asl!(DistributedBench = "benches/distributed.asl.json");

fn main() {
    let items: usize = std::env::var("ASL_DMAP_ITEMS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let mode = std::env::var("ASL_DMAP_S3").unwrap_or_else(|_| "moto".into());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let work = handler_fn(|_task, input: serde_json::Value| async move {
            tokio::task::yield_now().await;
            Ok(json!({"id": input["item"]["id"], "index": input["index"]}))
        });
        let builder = Runtime::builder().handler("arn:aws:lambda:us-east-1:123456789012:function:work", work);
        let mut _moto = None;
        let (runtime, storage_note) = if mode == "local" {
            let storage = Arc::new(GeneratedStorage {
                items,
                written: AtomicU64::new(0),
            });
            let shared: Arc<dyn ObjectStorage> = storage.clone();
            (builder.object_storage(Some(shared)).build(), Some(storage))
        } else {
            let moto = asl_testkit::moto::MotoServer::start().await.expect("moto starts (bash scripts/setup-moto)");
            let aws = moto.aws();
            let sdk = aws_config::SdkConfig::builder()
                .region(aws_config::Region::new(aws.region.clone()))
                .endpoint_url(aws.endpoint.clone())
                .credentials_provider(aws_credential_types::provider::SharedCredentialsProvider::new(
                    aws_credential_types::Credentials::new("testing", "testing", None, None, "moto"),
                ))
                .behavior_version(aws_config::BehaviorVersion::latest())
                .build();
            let s3 = aws_sdk_s3::Client::from_conf(
                aws_sdk_s3::config::Builder::from(&sdk).force_path_style(true).build(),
            );
            s3.create_bucket().bucket("bench").send().await.unwrap();
            s3.put_object()
                .bucket("bench")
                .key("items.jsonl")
                .body(lines(0, items).into())
                .send()
                .await
                .unwrap();
            _moto = Some(moto);
            let integrations = Integrations::builder(&sdk).build();
            (builder.object_storage(integrations.object_storage()).build(), None)
        };
        let before_kib = asl_examples::status_kib("VmRSS:");
        let started = Instant::now();
        let out = DistributedBench::run(&runtime, json!({"bucket": "bench", "key": "items.jsonl"}))
            .await
            .expect("the Map Run succeeds");
        let elapsed = started.elapsed();
        println!(
            "distributed map ({mode} S3): {items} items in {:.2} s: {:.0} items/s; resident memory before {} MiB, peak (VmHWM) {} MiB",
            elapsed.as_secs_f64(),
            items as f64 / elapsed.as_secs_f64(),
            before_kib / 1024,
            asl_examples::status_kib("VmHWM:") / 1024,
        );
        if let Some(s) = storage_note {
            println!("results written: {} bytes", s.written.load(Ordering::Relaxed));
        }
        println!("output: {out}");
    });
}
