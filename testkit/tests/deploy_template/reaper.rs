//! The reaper hears exactly TTL removals of events, and a daily schedule.

use super::reading::*;
use super::*;

/// Whether an event-source filter pattern (the subset used: arrays of values, `prefix`)
/// matches a JSON record.
pub(super) fn pattern_matches(pattern: &Value, record: &Value) -> bool {
    match pattern {
        Value::Object(fields) => fields.iter().all(|(k, p)| match record.get(k) {
            Some(v) => pattern_matches(p, v),
            None => false,
        }),
        Value::Array(options) => options.iter().any(|option| match option {
            Value::Object(rule) => match rule.get("prefix").and_then(Value::as_str) {
                Some(prefix) => record.as_str().is_some_and(|s| s.starts_with(prefix)),
                None => panic!("unsupported filter rule {rule:?}"),
            },
            exact => exact == record,
        }),
        other => panic!("unsupported filter pattern {other}"),
    }
}

#[test]
fn the_reaper_hears_exactly_ttl_removals_of_events_and_a_daily_schedule() {
    let (name, r) = function_resource(Function::Reaper);
    let events = r["Properties"]["Events"]
        .as_object()
        .expect("reaper events");
    let stream = events
        .values()
        .find(|e| e["Type"] == "DynamoDB")
        .expect("a DynamoDB stream trigger");
    let p = &stream["Properties"];
    assert_eq!(get_att(&p["Stream"]), Some(("EventsTable", "StreamArn")));
    assert_eq!(
        p["FunctionResponseTypes"],
        json!(["ReportBatchItemFailures"])
    );
    assert_eq!(
        get_att(&p["DestinationConfig"]["OnFailure"]["Destination"]),
        Some(("ReaperDLQ", "Arn"))
    );
    let filters = as_list(&p["FilterCriteria"]["Filters"]);
    assert_eq!(filters.len(), 1, "{name}");
    let pattern: Value = serde_json::from_str(filters[0]["Pattern"].as_str().expect("pattern"))
        .expect("JSON pattern");
    assert!(
        events
            .values()
            .any(|e| e["Type"] == "Schedule" && e["Properties"]["Schedule"] == "rate(1 day)"),
        "{name}: a daily sweep"
    );

    // The filter lets through exactly what the handler reaps, on the sample and variants.
    let sample: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("events/reaper/ttl-removal.json")).expect("sample"),
    )
    .expect("JSON");
    let record = sample["Records"][0].clone();
    let mut by_user = record.clone();
    by_user["userIdentity"] = Value::Null;
    let mut modified = record.clone();
    modified["eventName"] = json!("MODIFY");
    let mut claim = record.clone();
    claim["dynamodb"]["Keys"]["pk"]["S"] = json!("path#owner#wedding");
    let mut other_service = record.clone();
    other_service["userIdentity"]["principalId"] = json!("example.amazonaws.com");
    let mut seen = [0, 0];
    for (case, record) in [
        ("ttl removal", record),
        ("removed by a user", by_user),
        ("modified", modified),
        ("path claim", claim),
        ("another service", other_service),
    ] {
        let passes = pattern_matches(&pattern, &record);
        let batch: StreamEvent =
            serde_json::from_value(json!({"Records": [record]})).expect("a stream batch");
        let reaped = event_expired_by_ttl(&batch.records[0])
            .expect("handled")
            .is_some();
        assert_eq!(passes, reaped, "{case}: filter {passes}, handler {reaped}");
        seen[usize::from(passes)] += 1;
    }
    assert_eq!(seen, [4, 1]);
}
