//! The moto harness against a real `moto_server` (installed by `scripts/setup-moto`):
//! start, publish through SNS's wire protocol, read the message back, reset.

use asl_testkit::http::HttpClient;
use asl_testkit::moto::MotoServer;

/// SNS's query protocol, the same requests the SDK sends (moto ignores signatures).
async fn sns(client: &HttpClient, form: &[(&str, &str)]) -> String {
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish();
    let resp = client
        .request(
            "POST",
            "/",
            Some("application/x-www-form-urlencoded"),
            body.into_bytes(),
        )
        .await
        .expect("SNS request");
    assert_eq!(resp.status, 200, "{}", resp.text());
    resp.text()
}

fn between<'a>(text: &'a str, open: &str, close: &str) -> &'a str {
    let start = text.find(open).expect(open) + open.len();
    let end = text[start..].find(close).expect(close) + start;
    &text[start..end]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publishes_are_read_back_and_reset_clears_them() {
    let moto = MotoServer::start()
        .await
        .expect("start moto (run scripts/setup-moto)");
    assert!(moto.endpoint().starts_with("http://127.0.0.1:"));
    let settings = moto.aws();
    assert_eq!(settings.endpoint, moto.endpoint());
    assert_eq!(settings.region, "us-east-1");

    // moto routes a request to a service by the credential scope of its signature.
    let client = HttpClient::new(moto.endpoint(), None).unwrap().with_header(
        "authorization",
        "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/sns/aws4_request, \
         SignedHeaders=host, Signature=0",
    );
    let created = sns(&client, &[("Action", "CreateTopic"), ("Name", "results")]).await;
    let arn = between(&created, "<TopicArn>", "</TopicArn>").to_string();
    assert_eq!(arn, "arn:aws:sns:us-east-1:123456789012:results");
    assert!(moto.sns_messages().await.unwrap().is_empty());

    let published = sns(
        &client,
        &[
            ("Action", "Publish"),
            ("TopicArn", &arn),
            ("Message", "Saw expected value for pi: 3.14159"),
            ("Subject", "pi"),
        ],
    )
    .await;
    let id = between(&published, "<MessageId>", "</MessageId>").to_string();

    let msgs = moto.sns_messages().await.unwrap();
    assert_eq!(msgs.len(), 1, "{msgs:?}");
    assert_eq!(msgs[0]["Message"], "Saw expected value for pi: 3.14159");
    assert_eq!(msgs[0]["MessageId"], id.as_str());
    assert_eq!(msgs[0]["Subject"], "pi");
    assert_eq!(msgs[0]["TopicArn"], arn.as_str());

    moto.reset().await.unwrap();
    assert!(moto.sns_messages().await.unwrap().is_empty());
    let data = moto.data().await.unwrap();
    assert_eq!(data["sns"]["Topic"], serde_json::json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_the_server_stops_it() {
    let moto = MotoServer::start().await.unwrap();
    let endpoint = moto.endpoint().to_string();
    drop(moto);
    let client = HttpClient::new(&endpoint, None).unwrap();
    let err = client.json("GET", "/moto-api/data.json", None).await;
    assert!(err.is_err(), "moto still answers on {endpoint} after drop");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_dies_at_start_is_an_error_showing_its_output() {
    use std::os::unix::fs::PermissionsExt;
    let dir = std::env::temp_dir().join(format!("asl-testkit-fake-moto-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let fake = dir.join("moto_server");
    std::fs::write(
        &fake,
        "#!/bin/sh\necho \"fake moto: cannot bind $4\" >&2\nexit 3\n",
    )
    .unwrap();
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let err = match MotoServer::start_with(&fake).await {
        Ok(_) => panic!("a server that exits at once must not count as started"),
        Err(e) => e,
    };
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(err.message().contains("exited before answering"), "{err}");
    assert!(err.message().contains("fake moto: cannot bind"), "{err}");
}
