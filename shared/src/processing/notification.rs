//! What arrives on the processing queue: S3 `ObjectCreated` notifications (AWS, or the local
//! stack's byte-identical imitation) and S3's one-off `s3:TestEvent`.

use aws_lambda_events::event::s3::S3Event;
use percent_encoding::percent_decode_str;

use crate::error::{Error, Result};

/// One object named by a notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedObject {
    /// The bucket (informational: each deployment has one).
    pub bucket: String,
    /// The object key, URL-decoded.
    pub key: String,
    /// Size S3 reported, when present.
    pub size: Option<u64>,
}

/// A parsed queue message body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notification {
    /// S3 checks the queue when notifications are configured; nothing to do.
    TestEvent,
    /// Objects created (normally exactly one).
    Created(Vec<CreatedObject>),
}

/// Parses an SQS message body. A body that is neither is `Malformed`: retrying cannot fix it.
pub fn parse(body: &str) -> Result<Notification> {
    let value: serde_json::Value = serde_json::from_str(body).map_err(|e| {
        Error::malformed(
            "invalid_notification",
            format!("queue message is not JSON: {e}"),
        )
    })?;
    if value.get("Event").and_then(|v| v.as_str()) == Some("s3:TestEvent") {
        return Ok(Notification::TestEvent);
    }
    let event: S3Event = serde_json::from_value(value).map_err(|e| {
        Error::malformed(
            "invalid_notification",
            format!("queue message is not an S3 notification: {e}"),
        )
    })?;
    let mut created = Vec::with_capacity(event.records.len());
    for record in event.records {
        let is_created = record
            .event_name
            .as_deref()
            .is_some_and(|name| name.starts_with("ObjectCreated:"));
        if !is_created {
            continue;
        }
        let raw_key = record.s3.object.key.as_deref().unwrap_or_default();
        created.push(CreatedObject {
            bucket: record.s3.bucket.name.unwrap_or_default(),
            key: decode_key(raw_key)?,
            size: record.s3.object.size.and_then(|s| u64::try_from(s).ok()),
        });
    }
    Ok(Notification::Created(created))
}

/// S3 notification keys are form-encoded: `+` is a space, `%XX` a byte of UTF-8.
pub fn decode_key(raw: &str) -> Result<String> {
    let spaced = raw.replace('+', " ");
    percent_decode_str(&spaced)
        .decode_utf8()
        .map(|k| k.into_owned())
        .map_err(|_| {
            Error::malformed(
                "invalid_notification",
                "object key is not UTF-8 after decoding",
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_form_decoded() {
        assert_eq!(
            decode_key("originals/a/b/My+Photo+%C3%A9t%C3%A9.jpg").expect("utf8"),
            "originals/a/b/My Photo été.jpg"
        );
        assert_eq!(decode_key("a%2Bb").expect("utf8"), "a+b");
        assert!(decode_key("%FF%FE").is_err());
    }

    #[test]
    fn test_event_and_garbage() {
        let test = r#"{"Service":"Amazon S3","Event":"s3:TestEvent","Time":"2026-11-23T10:00:00.000Z","Bucket":"b","RequestId":"r","HostId":"h"}"#;
        assert_eq!(parse(test).expect("test event"), Notification::TestEvent);
        assert_eq!(parse("not json").expect_err("garbage").http_status(), 400);
        assert_eq!(
            parse(r#"{"Records": 3}"#)
                .expect_err("wrong shape")
                .http_status(),
            400
        );
    }
}
