//! What the Lambda binaries write to stdout: JSON log lines and CloudWatch metrics.
//!
//! Logs: one JSON object per line, the event's fields at the top level (`photo_id`,
//! `bytes`, …), and the spans it happened in under `spans`, the outermost being the
//! Lambda runtime's `Lambda runtime invoke` span with the invocation's `requestId`. No
//! timestamp: CloudWatch records one. Metrics: [`metrics`], in CloudWatch's embedded
//! metric format, one line per record, beside the logs.

pub mod metrics;

use tracing::Subscriber;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::util::SubscriberInitExt;

use crate::wiring::Function;

/// The subscriber the Lambda binaries log through, writing to `writer`, filtered by
/// `filter`.
pub fn lambda_subscriber<W>(writer: W, filter: EnvFilter) -> impl Subscriber + Send + Sync
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_current_span(false)
        .with_span_list(true)
        .with_target(true)
        .without_time()
        .with_env_filter(filter)
        .with_writer(writer)
        .finish()
}

/// Sets up `function`'s logging (JSON on stdout, `RUST_LOG`, default `info`) and its
/// metrics (embedded metric format on stdout, dimension `Function`).
pub fn init_lambda_logging(function: Function) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    // Also routes the `log` records of dependencies into it. Only fails if a subscriber
    // is already set: then that one logs.
    let _ = lambda_subscriber(std::io::stdout, filter).try_init();
    metrics::enable(function);
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    use lambda_http::lambda_runtime::Context;
    use lambda_http::lambda_runtime::layers::trace::request_span;
    use serde_json::Value;
    use tracing::{info, info_span};

    use super::*;

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0
                .lock()
                .map_err(|_| std::io::Error::other("poisoned"))?
                .extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn log_lines_are_json_with_the_request_id_and_structured_fields() {
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = lambda_subscriber(move || writer.clone(), EnvFilter::new("info"));
        let mut context = Context::default();
        context.request_id = "8476a536-e9f4-11e8-9739-2dfe598c3fcd".to_owned();
        tracing::subscriber::with_default(subscriber, || {
            // The runtime's span around the invocation, then a handler's own span inside.
            let _invocation = request_span(&context).entered();
            let _handler = info_span!("process_original", key = "originals/a/b/c").entered();
            info!(
                photo_id = "01JDQ0PH0T0000000000000000",
                bytes = 1234_u64,
                "derived"
            );
            tracing::debug!("filtered out at info");
        });
        let text = String::from_utf8(captured.0.lock().expect("buffer").clone()).expect("UTF-8");
        let lines: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).expect("every line is JSON"))
            .collect();
        assert_eq!(lines.len(), 1, "{text}");
        let line = &lines[0];
        assert_eq!(line["message"], "derived");
        assert_eq!(line["level"], "INFO");
        assert_eq!(line["photo_id"], "01JDQ0PH0T0000000000000000");
        assert_eq!(line["bytes"], 1234);
        assert!(line.get("timestamp").is_none(), "CloudWatch stamps lines");
        let spans = line["spans"].as_array().expect("spans");
        assert_eq!(spans[0]["name"], "Lambda runtime invoke");
        assert_eq!(
            spans[0]["requestId"],
            "8476a536-e9f4-11e8-9739-2dfe598c3fcd"
        );
        assert_eq!(spans[1]["key"], "originals/a/b/c");
    }
}
