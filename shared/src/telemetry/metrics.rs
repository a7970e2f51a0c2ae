//! Business metrics in CloudWatch's embedded metric format (EMF): a JSON line on stdout
//! that CloudWatch Logs turns into metrics, with no API call and no agent. Namespace
//! [`NAMESPACE`], one dimension, `Function` (the binary's name).
//!
//! Only the Lambda binaries print them ([`enable`], called by
//! [`super::init_lambda_logging`]); elsewhere (`picpass serve`, tests) [`record`] does
//! nothing.

use std::io::Write;
use std::sync::OnceLock;

use serde_json::{Map, Value, json};

use crate::wiring::Function;

/// The CloudWatch namespace of every PicPass metric.
pub const NAMESPACE: &str = "PicPass";

/// One metric PicPass records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Metric {
    /// An uploaded original processed into its derivatives (`process`).
    Uploads,
    /// Bytes of those originals.
    UploadBytes,
    /// Time one original took to process, success or failure.
    ProcessingMs,
    /// An original that failed processing (permanently, or with an error to retry).
    ProcessingFailures,
    /// A wrong access code typed in a gallery.
    UnlockFailures,
    /// A wrong code that locked its address out of the gallery.
    Lockouts,
    /// Bytes of a finished zip archive.
    ArchiveBytes,
}

impl Metric {
    /// Every metric.
    pub const ALL: [Metric; 7] = [
        Metric::Uploads,
        Metric::UploadBytes,
        Metric::ProcessingMs,
        Metric::ProcessingFailures,
        Metric::UnlockFailures,
        Metric::Lockouts,
        Metric::ArchiveBytes,
    ];

    /// Its name in CloudWatch.
    pub fn name(self) -> &'static str {
        match self {
            Self::Uploads => "Uploads",
            Self::UploadBytes => "UploadBytes",
            Self::ProcessingMs => "ProcessingMs",
            Self::ProcessingFailures => "ProcessingFailures",
            Self::UnlockFailures => "UnlockFailures",
            Self::Lockouts => "Lockouts",
            Self::ArchiveBytes => "ArchiveBytes",
        }
    }

    /// Its CloudWatch unit.
    pub fn unit(self) -> &'static str {
        match self {
            Self::Uploads | Self::ProcessingFailures | Self::UnlockFailures | Self::Lockouts => {
                "Count"
            }
            Self::UploadBytes | Self::ArchiveBytes => "Bytes",
            Self::ProcessingMs => "Milliseconds",
        }
    }
}

/// The function whose metrics this process prints, once enabled.
static ENABLED_FOR: OnceLock<Function> = OnceLock::new();

/// Turns printing on for `function` (the Lambda binaries, at cold start).
pub fn enable(function: Function) {
    let _ = ENABLED_FOR.set(function);
}

/// Records `values` at once (one EMF line) if this process prints metrics.
pub fn record(values: &[(Metric, u64)]) {
    let Some(function) = ENABLED_FOR.get() else {
        return;
    };
    if values.is_empty() {
        return;
    }
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    let line = emf_line(function.name(), values, now_ms);
    // Metrics are best effort: a closed stdout must not fail a request.
    let _ = writeln!(std::io::stdout().lock(), "{line}");
}

/// The EMF line for `values` recorded by `function` at `timestamp_ms`.
pub fn emf_line(function: &str, values: &[(Metric, u64)], timestamp_ms: u64) -> String {
    let mut root = Map::new();
    let definitions: Vec<Value> = values
        .iter()
        .map(|(metric, _)| json!({"Name": metric.name(), "Unit": metric.unit()}))
        .collect();
    root.insert(
        "_aws".to_owned(),
        json!({
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [{
                "Namespace": NAMESPACE,
                "Dimensions": [["Function"]],
                "Metrics": definitions,
            }],
        }),
    );
    root.insert("Function".to_owned(), json!(function));
    for (metric, value) in values {
        root.insert(metric.name().to_owned(), json!(value));
    }
    Value::Object(root).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_emf_line_declares_every_value_it_carries() {
        let line = emf_line(
            "process",
            &[
                (Metric::Uploads, 1),
                (Metric::UploadBytes, 4_812_345),
                (Metric::ProcessingMs, 131),
            ],
            1_795_428_000_000,
        );
        assert!(!line.contains('\n'), "one line");
        let doc: Value = serde_json::from_str(&line).expect("JSON");
        let aws = &doc["_aws"];
        assert_eq!(aws["Timestamp"], 1_795_428_000_000_u64);
        let directive = &aws["CloudWatchMetrics"][0];
        assert_eq!(directive["Namespace"], "PicPass");
        assert_eq!(directive["Dimensions"], json!([["Function"]]));
        assert_eq!(doc["Function"], "process");
        let declared = directive["Metrics"].as_array().expect("Metrics");
        assert_eq!(declared.len(), 3);
        for definition in declared {
            let name = definition["Name"].as_str().expect("Name");
            assert!(doc[name].is_u64(), "{name} has a value at the top level");
        }
        assert_eq!(doc["UploadBytes"], 4_812_345);
        assert_eq!(declared[1]["Unit"], "Bytes");
        assert_eq!(declared[2]["Unit"], "Milliseconds");
    }

    #[test]
    fn every_metric_has_its_own_name_and_a_cloudwatch_unit() {
        let names: std::collections::HashSet<_> = Metric::ALL.iter().map(|m| m.name()).collect();
        assert_eq!(names.len(), Metric::ALL.len());
        for metric in Metric::ALL {
            assert!(
                ["Count", "Bytes", "Milliseconds"].contains(&metric.unit()),
                "{metric:?}"
            );
            // EMF refuses names that clash with its own keys.
            assert!(!["_aws", "Function"].contains(&metric.name()));
        }
    }

    #[test]
    fn nothing_is_printed_until_a_function_enables_it() {
        // This test binary never calls `enable`: recording is a no-op, not a panic.
        record(&[(Metric::Lockouts, 1)]);
        assert!(ENABLED_FOR.get().is_none());
    }
}
