//! openapi.yaml and the served routes agree. (Response bodies are checked against it in
//! every handler test, by the harness.)

use std::collections::BTreeSet;

use serde_json::{Value, json};
use shared::http::{accounts_api, events_api, gallery_api, presign_api};
use testkit::api::{Function, events_dir, pattern_of};
use testkit::openapi::Contract;

/// Every route the deployments serve: the functions' and the local stack's accounts.
fn served() -> BTreeSet<(String, String)> {
    let accounts = accounts_api::router()
        .routes()
        .iter()
        .map(|r| (r.method.to_string(), r.pattern.to_owned()));
    accounts.chain(served_by_functions()).collect()
}

/// The routes of the Lambda functions (each has a sample event under `events/`).
fn served_by_functions() -> BTreeSet<(String, String)> {
    let presign = presign_api::router()
        .routes()
        .iter()
        .map(|r| (r.method.to_string(), r.pattern.to_owned()));
    let events = events_api::router()
        .routes()
        .iter()
        .map(|r| (r.method.to_string(), r.pattern.to_owned()));
    let gallery = gallery_api::router()
        .routes()
        .iter()
        .map(|r| (r.method.to_string(), r.pattern.to_owned()));
    presign.chain(events).chain(gallery).collect()
}

#[test]
fn every_served_route_is_in_openapi_yaml() {
    let documented: BTreeSet<(String, String)> = Contract::get().operations().into_iter().collect();
    let missing: Vec<_> = served().difference(&documented).cloned().collect();
    assert!(
        missing.is_empty(),
        "routes missing from openapi.yaml: {missing:?}"
    );
}

#[test]
fn every_documented_function_route_is_served() {
    let served = served();
    let extra: Vec<_> = Contract::get()
        .operations()
        .into_iter()
        .filter(|(_, path)| {
            path == "/api/me"
                || path.starts_with("/api/auth/")
                || path.starts_with("/api/events")
                || path.starts_with("/api/g/")
        })
        .filter(|op| !served.contains(op))
        .collect();
    assert!(extra.is_empty(), "documented but not served: {extra:?}");
}

#[test]
fn path_parameters_are_declared_for_every_operation() {
    let doc = Contract::get().document();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        let names: Vec<&str> = path
            .split('/')
            .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .collect();
        let declared: BTreeSet<String> = item["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| {
                let p = match p.get("$ref").and_then(Value::as_str) {
                    Some(r) => doc
                        .pointer(r.trim_start_matches('#'))
                        .expect("ref resolves"),
                    None => p,
                };
                p["name"].as_str().expect("name").to_owned()
            })
            .collect();
        for name in names {
            assert!(declared.contains(name), "{path}: {{{name}}} not declared");
        }
    }
}

#[test]
fn every_ref_resolves() {
    fn walk(v: &Value, doc: &Value, at: &str) {
        match v {
            Value::Object(map) => {
                if let Some(r) = map.get("$ref").and_then(Value::as_str) {
                    assert!(
                        doc.pointer(r.trim_start_matches('#')).is_some(),
                        "{at}: dangling {r}"
                    );
                }
                for (k, child) in map {
                    walk(child, doc, &format!("{at}/{k}"));
                }
            }
            Value::Array(items) => {
                for (i, child) in items.iter().enumerate() {
                    walk(child, doc, &format!("{at}/{i}"));
                }
            }
            _ => {}
        }
    }
    let doc = Contract::get().document();
    assert_eq!(doc["openapi"], "3.1.0");
    walk(doc, doc, "");
}

#[test]
fn the_contract_check_rejects_what_the_document_does_not_allow() {
    let c = Contract::get();
    let event = "/api/events/{event_id}";
    c.check_response(
        "GET",
        event,
        404,
        &json!({"error": {"code": "event_not_found", "message": "no such event"}}),
    )
    .expect("a documented error");
    assert!(
        c.check_response("GET", event, 200, &json!({"event_id": "x"}))
            .is_err()
    );
    assert!(
        c.check_response("GET", event, 418, &Value::Null).is_err(),
        "undocumented status"
    );
    assert!(
        c.check_response("DELETE", event, 204, &json!({"x": 1}))
            .is_err(),
        "204 has no body"
    );
    assert!(
        c.check_response("GET", "/api/nope", 200, &Value::Null)
            .is_err()
    );
    assert!(
        c.check_response(
            "GET",
            event,
            404,
            &json!({"error": {"code": "Bad Code", "message": "x"}})
        )
        .is_err()
    );
}

#[test]
fn every_sample_event_targets_a_documented_route() {
    let documented: BTreeSet<(String, String)> = Contract::get().operations().into_iter().collect();
    let mut seen = 0;
    for (function, dir) in [
        (Function::Presign, "presign"),
        (Function::Events, "events"),
        (Function::Gallery, "gallery"),
    ] {
        for entry in std::fs::read_dir(events_dir().join(dir)).expect("events dir") {
            let path = entry.expect("entry").path();
            let text = std::fs::read_to_string(&path).expect("read");
            let event: Value = serde_json::from_str(&text).expect("JSON");
            let method: lambda_http::http::Method = event["requestContext"]["http"]["method"]
                .as_str()
                .expect("method")
                .parse()
                .expect("a method");
            let raw = event["rawPath"].as_str().expect("rawPath");
            let pattern = match function {
                Function::Presign => pattern_of(presign_api::router(), &method, raw),
                Function::Events => pattern_of(events_api::router(), &method, raw),
                Function::Gallery => pattern_of(gallery_api::router(), &method, raw),
            }
            .unwrap_or_else(|| panic!("{}: no route for {method} {raw}", path.display()));
            assert!(
                documented.contains(&(method.to_string(), pattern.to_owned())),
                "{}",
                path.display()
            );
            lambda_http::request::from_str(&text).expect("a valid API Gateway v2 event");
            seen += 1;
        }
    }
    assert_eq!(
        seen,
        served_by_functions().len(),
        "one sample event per route"
    );
}
