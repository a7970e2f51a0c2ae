//! A bucket, table or queue that does not exist is the deployment's mistake: every AWS
//! adapter reports it as an internal error (HTTP 500, logged as an error), never as a 404
//! a client could take for "your thing is not there", and never as retryable.

use shared::Error;
use shared::adapters::dynamo_catalog::{DynamoCatalog, DynamoTables};
use shared::adapters::s3_blobs::{S3Blobs, S3BlobsConfig};
use shared::adapters::sqs_queue::SqsSender;
use shared::domain::{EventId, PageRequest};
use shared::error::RetryClass;
use shared::ports::{Blobs, Catalog, QueueSender};
use testkit::moto::MotoServer;
use testkit::s3::S3Server;

fn assert_misconfiguration(what: &str, err: &Error) {
    assert_eq!(err.http_status(), 500, "{what}: {err:?}");
    assert_eq!(err.code(), "internal_error", "{what}");
    assert_eq!(
        err.retry_class(),
        RetryClass::Retry,
        "{what}: stays on the queue"
    );
}

#[tokio::test]
async fn a_missing_queue_or_table_is_a_server_error_not_a_404() {
    let moto = MotoServer::start().await.unwrap_or_else(|e| panic!("{e}"));
    let config = testkit::aws::sdk_config(moto.endpoint_url()).await;

    let queue_url = format!("{}/123456789012/no-such-queue", moto.endpoint_url());
    let sender = SqsSender::new(aws_sdk_sqs::Client::new(&config), queue_url);
    let err = sender.send("{}").await.expect_err("no such queue");
    assert_misconfiguration("SQS", &err);

    let catalog = DynamoCatalog::from_sdk_config(&config, DynamoTables::with_prefix("absent-"));
    let err = catalog
        .get_event(EventId::generate())
        .await
        .expect_err("no such table");
    assert_misconfiguration("DynamoDB", &err);
}

#[tokio::test]
async fn a_missing_bucket_is_a_server_error_not_a_404() {
    let s3 = S3Server::start().await;
    let blobs = S3Blobs::new(
        &s3.sdk_config().await,
        S3BlobsConfig {
            bucket: "no-such-bucket".to_owned(),
            force_path_style: true,
        },
    )
    .await
    .expect("S3Blobs");
    // A listing, not a PUT: s3s-fs makes the directory of a PUT to an unknown bucket
    // (S3 answers NoSuchBucket to both).
    let err = blobs
        .list("originals/", &PageRequest::first(10))
        .await
        .expect_err("no such bucket");
    assert_misconfiguration("S3", &err);
}
