//! Distributed Maps in compiled workflows against moto's S3: every
//! `ItemReader` kind (a JSON array, JSON Lines with `MaxItemsPath`, CSV with a
//! given header and a PIPE delimiter, CSV with its first row as header, an S3
//! inventory manifest with a gzipped CSV file, an object listing), an
//! `ItemBatcher` over a reader, a JSONata reader with `WriterConfig`, and a
//! `ResultWriter` whose files are read back, with tolerated failures staying
//! under the threshold and crossing it.
//!
//! Needs moto (`bash scripts/setup-moto`); prints a skip line without it,
//! unless `CI=true`.

use std::io::Write as _;

use asl::asl;
use asl::runtime::Value;
use asl::runtime::error::Error;
use asl::runtime::exec::{EventType, ExecutionOptions, History, Runtime};
use asl::runtime::integrations::Integrations;
use asl::runtime::task::handler_fn;
use asl_testkit::moto::MotoServer;
use aws_sdk_s3::primitives::ByteStream;
use serde_json::json;

asl!(DistributedReaders = "tests/fixtures/distributed-readers.asl.json");
asl!(DistributedWriter = "tests/fixtures/distributed-writer.asl.json");
asl!(DistributedJsonata = "tests/fixtures/distributed-jsonata.asl.json");

const BUCKET: &str = "dmap-data";

/// moto, or `None` (after a skip line) when it is missing outside CI.
async fn moto_or_skip(test: &str) -> Option<MotoServer> {
    if let Err(e) = asl_testkit::moto::find_moto_server() {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("{test}: moto is required under CI=true: {e}");
        }
        eprintln!("skipped {test}: {e}");
        return None;
    }
    Some(MotoServer::start().await.expect("moto starts"))
}

fn sdk(moto: &MotoServer) -> aws_config::SdkConfig {
    let aws = moto.aws();
    aws_config::SdkConfig::builder()
        .region(aws_config::Region::new(aws.region.clone()))
        .endpoint_url(aws.endpoint.clone())
        .credentials_provider(
            aws_credential_types::provider::SharedCredentialsProvider::new(
                aws_credential_types::Credentials::new(
                    aws.access_key_id.clone(),
                    aws.secret_access_key.clone(),
                    None,
                    None,
                    "moto",
                ),
            ),
        )
        .behavior_version(aws_config::BehaviorVersion::latest())
        .build()
}

fn s3(sdk: &aws_config::SdkConfig) -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(sdk)
            .force_path_style(true)
            .build(),
    )
}

async fn put(s3: &aws_sdk_s3::Client, key: &str, body: impl Into<Vec<u8>>) {
    s3.put_object()
        .bucket(BUCKET)
        .key(key)
        .body(ByteStream::from(body.into()))
        .send()
        .await
        .unwrap_or_else(|e| panic!("put {key}: {e:?}"));
}

async fn get_json(s3: &aws_sdk_s3::Client, key: &str) -> Value {
    let o = s3
        .get_object()
        .bucket(BUCKET)
        .key(key)
        .send()
        .await
        .unwrap_or_else(|e| panic!("get {key}: {e:?}"));
    let bytes = o.body.collect().await.unwrap().into_bytes();
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{key} is JSON: {e}"))
}

fn runtime(sdk: &aws_config::SdkConfig, history: History) -> Runtime {
    let integrations = Integrations::builder(sdk).build();
    Runtime::builder()
        .handlers(integrations.handlers())
        .object_storage(integrations.object_storage())
        .handler(
            "arn:aws:lambda:us-east-1:123456789012:function:check-order",
            handler_fn(|_task, order: Value| async move {
                if order["slow"] == true {
                    // Still running when the Map Run fails (and is dropped).
                    tokio::time::sleep(std::time::Duration::from_secs(60)).await;
                }
                if order["bad"] == true {
                    Err(Error::new(
                        "OrderInvalid",
                        format!("order {} is bad", order["id"]),
                    ))
                } else {
                    Ok(json!({"checked": order["id"]}))
                }
            }),
        )
        .history(history)
        .build()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn distributed_maps_read_every_kind_of_item_source_from_s3() {
    let Some(moto) = moto_or_skip("distributed_readers").await else {
        return;
    };
    let sdk = sdk(&moto);
    let s3 = s3(&sdk);
    s3.create_bucket().bucket(BUCKET).send().await.unwrap();
    put(
        &s3,
        "items.json",
        r#"[{"a": 1}, "two", [3], {"a": {"b": "x,]y"}}]"#,
    )
    .await;
    put(
        &s3,
        "items.jsonl",
        "{\"n\":1}\n{\"n\":2}\n\n{\"n\":3}\n{\"n\":4}\n{\"n\":5}",
    )
    .await;
    put(&s3, "rows.psv", "1|Ann|3.5\n2|\"Bob|Jr\"|4\n").await;
    put(&s3, "rows.csv", "id,name\n7,Eve\n8,\"Mallory, M.\"\n").await;
    for key in ["listed/a.txt", "listed/b.txt", "other/c.txt"] {
        put(&s3, key, "hello").await;
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(b"\"src\",\"photos/1.jpg\",\"100\"\n\"src\",\"photos/2.jpg\",\"200\"\n")
        .unwrap();
    put(&s3, "inventory/data/part-0.csv.gz", gz.finish().unwrap()).await;
    let manifest = json!({
        "sourceBucket": "src",
        "destinationBucket": format!("arn:aws:s3:::{BUCKET}"),
        "version": "2016-11-30",
        "fileFormat": "CSV",
        "fileSchema": "Bucket, Key, Size",
        "files": [{"key": "inventory/data/part-0.csv.gz", "size": 60, "MD5checksum": "x"}]
    });
    put(&s3, "inventory/manifest.json", manifest.to_string()).await;

    let (history, events) = History::memory();
    let rt = runtime(&sdk, history);
    let out = DistributedReaders::run_with(
        &rt,
        json!({"bucket": BUCKET, "max": "3"}),
        ExecutionOptions::default().name("readers"),
    )
    .await
    .expect("the readers succeed");
    // A JSON array, element by element, with the ItemSelector's $$.Map.Item.
    assert_eq!(
        out[0],
        json!([
            {"value": {"a": 1}, "index": 0},
            {"value": "two", "index": 1},
            {"value": [3], "index": 2},
            {"value": {"a": {"b": "x,]y"}}, "index": 3}
        ])
    );
    // JSON Lines, blank lines skipped, MaxItemsPath "3".
    assert_eq!(out[1], json!([{"n": 1}, {"n": 2}, {"n": 3}]));
    // CSV, header given, PIPE-delimited, quoted fields; every value text.
    assert_eq!(
        out[2],
        json!([
            {"id": "1", "name": "Ann", "score": "3.5"},
            {"id": "2", "name": "Bob|Jr", "score": "4"}
        ])
    );
    assert_eq!(
        out[3],
        json!([{"id": "7", "name": "Eve"}, {"id": "8", "name": "Mallory, M."}])
    );
    // The inventory's rows under its fileSchema.
    assert_eq!(
        out[4],
        json!([
            {"Bucket": "src", "Key": "photos/1.jpg", "Size": "100"},
            {"Bucket": "src", "Key": "photos/2.jpg", "Size": "200"}
        ])
    );
    // The listing under the prefix, in AWS's item shape.
    assert_eq!(
        out[5],
        json!([{"key": "listed/a.txt", "size": 5}, {"key": "listed/b.txt", "size": 5}])
    );
    // Batches of two over the five lines, each with its BatchInput.
    assert_eq!(
        out[6],
        json!([
            {"n": 2, "bucket": BUCKET},
            {"n": 2, "bucket": BUCKET},
            {"n": 1, "bucket": BUCKET}
        ])
    );

    let events = events.lock().unwrap().clone();
    // Map Runs in the parent's history, no event per item.
    let runs: Vec<&Value> = events
        .iter()
        .filter(|e| e.event_type == EventType::MapRunStarted)
        .map(|e| &e.details["mapRunArn"])
        .collect();
    assert_eq!(runs.len(), 7);
    assert!(
        runs[0]
            .as_str()
            .unwrap()
            .starts_with("arn:aws:states:us-east-1:123456789012:mapRun:DistributedReaders/"),
        "{}",
        runs[0]
    );
    assert_eq!(
        events
            .iter()
            .filter(|e| e.event_type == EventType::MapRunSucceeded)
            .count(),
        7
    );
    assert!(!events.iter().any(|e| matches!(
        e.event_type,
        EventType::MapIterationStarted | EventType::MapIterationSucceeded
    )));

    // A listing item as AWS shapes it: Etag, Key, LastModified (epoch
    // seconds), Size, StorageClass.
    let listed = s3
        .list_objects_v2()
        .bucket(BUCKET)
        .prefix("listed/a")
        .send()
        .await
        .unwrap();
    let object = &listed.contents()[0];
    let storage = integrations_storage(&sdk);
    let page = storage
        .list(asl::runtime::exec::ListRequest {
            bucket: BUCKET.into(),
            prefix: Some("listed/a".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(page.objects[0].e_tag.as_deref(), object.e_tag());
    assert_eq!(
        page.objects[0].last_modified,
        object.last_modified().map(|t| t.secs())
    );

    // JSONata: Arguments and MaxItems as expressions; WriterConfig FLATTEN
    // without S3 flattens the children's arrays into the output.
    put(&s3, "nested.json", r#"["a", "b", "c"]"#).await;
    let out = DistributedJsonata::run(&rt, json!({"bucket": BUCKET, "max": 2}))
        .await
        .expect("the JSONata reader succeeds");
    assert_eq!(out, json!(["a", 0, "b", 1]));

    // A reader that fails: States.ItemReaderFailed, with AWS's cause for a
    // document that is not an array.
    put(&s3, "nested.json", r#"{"not": "an array"}"#).await;
    let err = DistributedJsonata::run(&rt, json!({"bucket": BUCKET, "max": 0}))
        .await
        .expect_err("an object is not a list of items");
    assert_eq!(err.error(), Some("States.ItemReaderFailed"));
    assert_eq!(
        err.cause(),
        Some("Attempting to map over non-iterable node.")
    );
}

/// The ARN of the Map Run whose `MapRunStarted` the history holds.
fn started_map_run(events: &std::sync::Mutex<Vec<asl::runtime::exec::HistoryEvent>>) -> String {
    events
        .lock()
        .unwrap()
        .iter()
        .find(|e| e.event_type == EventType::MapRunStarted)
        .map(|e| e.details["mapRunArn"].as_str().unwrap().to_string())
        .expect("a Map Run started")
}

fn integrations_storage(
    sdk: &aws_config::SdkConfig,
) -> std::sync::Arc<dyn asl::runtime::exec::ObjectStorage> {
    Integrations::builder(sdk)
        .build()
        .object_storage()
        .expect("the s3 feature is on")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn result_writer_files_and_tolerated_failures() {
    let Some(moto) = moto_or_skip("distributed_writer").await else {
        return;
    };
    let sdk = sdk(&moto);
    let s3 = s3(&sdk);
    s3.create_bucket().bucket(BUCKET).send().await.unwrap();
    let orders: Vec<String> = (0..10)
        .map(|i| json!({"id": i, "bad": i % 4 == 1}).to_string())
        .collect();
    put(&s3, "orders.jsonl", orders.join("\n")).await;

    // Two of ten fail (ids 1, 5, 9 are bad: three), two tolerated: over.
    let (history, events) = History::memory();
    let rt = runtime(&sdk, history);
    let err = DistributedWriter::run(
        &rt,
        json!({"bucket": BUCKET, "tolerated": 2, "concurrency": 3}),
    )
    .await
    .expect_err("three failures are more than two");
    assert_eq!(err.error(), Some("States.ExceedToleratedFailureThreshold"));
    assert_eq!(
        err.cause(),
        Some("The specified tolerated failure threshold was exceeded")
    );
    let failed: Vec<Value> = events
        .lock()
        .unwrap()
        .iter()
        .filter(|e| e.event_type == EventType::MapRunFailed)
        .map(|e| e.details.clone())
        .collect();
    assert_eq!(
        failed,
        [
            json!({"error": "States.ExceedToleratedFailureThreshold", "cause": "The specified tolerated failure threshold was exceeded"})
        ]
    );

    // Three tolerated: the Map Run succeeds and its results are in S3.
    let out = DistributedWriter::run(
        &rt,
        json!({"bucket": BUCKET, "tolerated": "3", "concurrency": 3}),
    )
    .await
    .expect("three failures are tolerated");
    let map_run_arn = out["MapRunArn"].as_str().unwrap();
    assert!(
        map_run_arn
            .starts_with("arn:aws:states:us-east-1:123456789012:mapRun:DistributedWriter/Process:"),
        "{map_run_arn}"
    );
    let id = map_run_arn.rsplit(':').next().unwrap();
    let manifest_key = format!("results/{id}/manifest.json");
    assert_eq!(
        out["ResultWriterDetails"],
        json!({"Bucket": BUCKET, "Key": manifest_key})
    );
    let manifest = get_json(&s3, &manifest_key).await;
    assert_eq!(manifest["DestinationBucket"], BUCKET);
    assert_eq!(manifest["MapRunArn"], map_run_arn);
    assert_eq!(manifest["ResultFiles"]["PENDING"], json!([]));
    let succeeded_key = format!("results/{id}/SUCCEEDED_0.json");
    let failed_key = format!("results/{id}/FAILED_0.json");
    assert_eq!(
        manifest["ResultFiles"]["SUCCEEDED"][0]["Key"],
        succeeded_key
    );
    assert_eq!(manifest["ResultFiles"]["FAILED"][0]["Key"], failed_key);

    let succeeded = get_json(&s3, &succeeded_key).await;
    let succeeded = succeeded.as_array().unwrap();
    assert_eq!(succeeded.len(), 7);
    let size = manifest["ResultFiles"]["SUCCEEDED"][0]["Size"]
        .as_u64()
        .unwrap();
    assert_eq!(size as usize, serde_json::to_vec(&succeeded).unwrap().len());
    let child_machine =
        "arn:aws:states:us-east-1:123456789012:stateMachine:DistributedWriter/Process";
    for record in succeeded {
        let keys: Vec<&str> = record
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            [
                "ExecutionArn",
                "Input",
                "InputDetails",
                "Name",
                "Output",
                "OutputDetails",
                "RedriveCount",
                "RedriveStatus",
                "RedriveStatusReason",
                "StartDate",
                "StateMachineArn",
                "Status",
                "StopDate"
            ]
        );
        let name = record["Name"].as_str().unwrap();
        assert_eq!(
            record["ExecutionArn"],
            format!(
                "arn:aws:states:us-east-1:123456789012:execution:DistributedWriter/Process:{name}"
            )
        );
        assert_eq!(record["StateMachineArn"], child_machine);
        assert_eq!(record["Status"], "SUCCEEDED");
        assert_eq!(record["InputDetails"], json!({"Included": true}));
        assert_eq!(record["OutputDetails"], json!({"Included": true}));
        assert_eq!(record["RedriveCount"], 0);
        assert_eq!(record["RedriveStatus"], "NOT_REDRIVABLE");
        let input: Value = serde_json::from_str(record["Input"].as_str().unwrap()).unwrap();
        let output: Value = serde_json::from_str(record["Output"].as_str().unwrap()).unwrap();
        assert_eq!(output, json!({"checked": input["id"]}));
        for date in ["StartDate", "StopDate"] {
            let d = record[date].as_str().unwrap();
            assert!(d.ends_with('Z') && d.len() == 24, "{date} {d}");
        }
    }
    let failed = get_json(&s3, &failed_key).await;
    let failed = failed.as_array().unwrap();
    let mut bad: Vec<i64> = failed
        .iter()
        .map(|r| {
            assert_eq!(r["Status"], "FAILED");
            assert_eq!(r["Error"], "OrderInvalid");
            assert!(r.get("Output").is_none());
            let input: Value = serde_json::from_str(r["Input"].as_str().unwrap()).unwrap();
            assert_eq!(r["Cause"], format!("order {} is bad", input["id"]));
            input["id"].as_i64().unwrap()
        })
        .collect();
    bad.sort();
    assert_eq!(bad, [1, 5, 9]);

    // One at a time, none tolerated: id 0 succeeds, id 1 fails and fails the
    // Map Run; ids 2 to 9 never start and are written to PENDING_0.json.
    events.lock().unwrap().clear();
    let err = DistributedWriter::run(
        &rt,
        json!({"bucket": BUCKET, "tolerated": 0, "concurrency": 1}),
    )
    .await
    .expect_err("one failure is more than none");
    assert_eq!(err.error(), Some("States.ExceedToleratedFailureThreshold"));
    let map_run_arn = started_map_run(&events);
    let id = map_run_arn.rsplit(':').next().unwrap();
    let manifest = get_json(&s3, &format!("results/{id}/manifest.json")).await;
    let file = |status: &str| format!("results/{id}/{status}_0.json");
    let mut sizes = Vec::new();
    for status in ["FAILED", "PENDING", "SUCCEEDED"] {
        let listed = manifest["ResultFiles"][status].as_array().unwrap();
        assert_eq!(listed.len(), 1, "{status}: {manifest}");
        assert_eq!(listed[0]["Key"], file(status));
        sizes.push(listed[0]["Size"].as_u64().unwrap());
    }
    assert_eq!(manifest["DestinationBucket"], BUCKET);
    assert_eq!(manifest["MapRunArn"], map_run_arn.as_str());
    let failed = get_json(&s3, &file("FAILED")).await;
    assert_eq!(failed.as_array().unwrap().len(), 1);
    assert_eq!(failed[0]["Status"], "FAILED");
    assert_eq!(failed[0]["Error"], "OrderInvalid");
    assert_eq!(
        failed[0]["Input"],
        json!({"id": 1, "bad": true}).to_string()
    );
    let succeeded = get_json(&s3, &file("SUCCEEDED")).await;
    assert_eq!(succeeded.as_array().unwrap().len(), 1);
    assert_eq!(
        succeeded[0]["Input"],
        json!({"id": 0, "bad": false}).to_string()
    );
    // AWS's PENDING record: the child's input as text, nothing else.
    let pending = get_json(&s3, &file("PENDING")).await;
    let expected: Vec<Value> = (2..10)
        .map(|i| {
            json!({
                "Input": json!({"id": i, "bad": i % 4 == 1}).to_string(),
                "InputDetails": {"Included": true},
                "Status": "PENDING",
            })
        })
        .collect();
    assert_eq!(pending, Value::Array(expected));
    let keys: Vec<&str> = pending[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["Input", "InputDetails", "Status"]);
    assert_eq!(
        sizes[1] as usize,
        serde_json::to_vec(&pending).unwrap().len(),
        "the manifest gives PENDING_0.json's size"
    );

    // Two at a time, none tolerated: id 1 fails while id 0 still runs. The
    // Map Run fails at once; id 0, abandoned, is in FAILED_0.json as AWS
    // writes a child it stops: ABORTED, no output nor error.
    let orders = [
        json!({"id": 0, "slow": true}),
        json!({"id": 1, "bad": true}),
        json!({"id": 2}),
    ];
    let lines: Vec<String> = orders.iter().map(Value::to_string).collect();
    put(&s3, "orders.jsonl", lines.join("\n")).await;
    events.lock().unwrap().clear();
    let err = DistributedWriter::run(
        &rt,
        json!({"bucket": BUCKET, "tolerated": 0, "concurrency": 2}),
    )
    .await
    .expect_err("one failure is more than none");
    assert_eq!(err.error(), Some("States.ExceedToleratedFailureThreshold"));
    let map_run_arn = started_map_run(&events);
    let id = map_run_arn.rsplit(':').next().unwrap();
    let failed = get_json(&s3, &format!("results/{id}/FAILED_0.json")).await;
    let failed = failed.as_array().unwrap();
    assert_eq!(failed.len(), 2, "{failed:?}");
    assert_eq!(failed[0]["Status"], "FAILED");
    assert_eq!(failed[0]["Input"], orders[1].to_string());
    let aborted = &failed[1];
    assert_eq!(aborted["Status"], "ABORTED");
    assert_eq!(aborted["Input"], orders[0].to_string());
    let keys: Vec<&str> = aborted
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "ExecutionArn",
            "Input",
            "InputDetails",
            "Name",
            "RedriveCount",
            "RedriveStatus",
            "StartDate",
            "StateMachineArn",
            "Status",
            "StopDate"
        ]
    );
    assert_eq!(aborted["RedriveStatus"], "REDRIVABLE");
    let name = aborted["Name"].as_str().unwrap();
    assert_eq!(
        aborted["ExecutionArn"],
        format!("arn:aws:states:us-east-1:123456789012:execution:DistributedWriter/Process:{name}")
    );
    let pending = get_json(&s3, &format!("results/{id}/PENDING_0.json")).await;
    assert_eq!(pending[0]["Input"], orders[2].to_string());
}
