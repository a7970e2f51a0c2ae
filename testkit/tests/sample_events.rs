//! Every file in `events/` goes to its function's handler, wired exactly as the Lambda
//! binary wires itself on embedded storage (`PICPASS_STORAGE=local`: what `cargo lambda
//! watch` runs), and is accepted: HTTP samples get a documented answer that is not a 5xx,
//! queue samples parse and are handled, the reaper's answer its stream or its schedule.
//! A sample added under a folder no function owns fails here.

use std::path::{Path, PathBuf};

use aws_lambda_events::event::sqs::SqsEvent;
use lambda_http::Body;
use serde_json::Value;
use shared::archive::ArchiveDeps;
use shared::config::Config;
use shared::http::{self, events_api, events_api::EventsApi, gallery_api, gallery_api::GalleryApi};
use shared::http::{presign_api, presign_api::PresignApi};
use shared::processing::ProcessDeps;
use shared::reaping::{ReaperDeps, handle_invocation};
use shared::services::Deps;
use shared::wiring::Function;
use shared::wiring::local::LocalStack;
use testkit::api::{events_dir, pattern_of};
use testkit::openapi::Contract;

/// The local stack a Lambda binary opens on `dir` with nothing else configured.
fn stack(dir: &Path) -> LocalStack {
    let data_dir = dir.to_string_lossy().into_owned();
    let config =
        Config::from_lookup(|name| Ok((name == "PICPASS_DATA_DIR").then(|| data_dir.clone())))
            .expect("config");
    LocalStack::open(&config).expect("local stack")
}

fn samples(folder: &str) -> Vec<(PathBuf, String)> {
    let mut files: Vec<(PathBuf, String)> = std::fs::read_dir(events_dir().join(folder))
        .unwrap_or_else(|e| panic!("events/{folder}: {e}"))
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .map(|path| {
            let text = std::fs::read_to_string(&path).expect("read sample");
            (path, text)
        })
        .collect();
    files.sort();
    assert!(!files.is_empty(), "events/{folder} has no samples");
    files
}

#[test]
fn every_folder_of_events_is_a_function() {
    let mut folders: Vec<String> = std::fs::read_dir(events_dir())
        .expect("events/")
        .map(|e| e.expect("entry"))
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    folders.sort();
    let mut functions: Vec<String> = Function::ALL.iter().map(|f| f.name().to_owned()).collect();
    functions.sort();
    assert_eq!(folders, functions);
    for folder in &folders {
        for entry in std::fs::read_dir(events_dir().join(folder)).expect("folder") {
            let path = entry.expect("entry").path();
            assert_eq!(
                path.extension().and_then(|e| e.to_str()),
                Some("json"),
                "{}: samples are .json files",
                path.display()
            );
        }
    }
}

fn body_json(body: &Body) -> Value {
    match body {
        Body::Empty => Value::Null,
        Body::Text(text) => serde_json::from_str(text).expect("JSON body"),
        Body::Binary(bytes) => serde_json::from_slice(bytes).expect("JSON body"),
        _ => Value::Null,
    }
}

/// The HTTP samples in the order they build on each other: the event is created first
/// (and its id and slug put into the other samples' paths), deleted and the photographer
/// renamed last.
fn http_samples() -> Vec<(Function, PathBuf, String)> {
    let named = |function: Function, name: &str| {
        let mut found: Vec<_> = samples(function.name())
            .into_iter()
            .filter(|(p, _)| p.file_stem().is_some_and(|s| s == name))
            .map(|(p, t)| (function, p, t))
            .collect();
        assert_eq!(found.len(), 1, "events/{}/{name}.json", function.name());
        found.remove(0)
    };
    let last = ["create_event", "delete_event", "put_me"];
    let mut ordered = vec![named(Function::Events, "create_event")];
    for function in [Function::Presign, Function::Gallery, Function::Events] {
        ordered.extend(
            samples(function.name())
                .into_iter()
                .filter(|(p, _)| !last.iter().any(|l| p.file_stem().is_some_and(|s| s == *l)))
                .map(|(p, t)| (function, p, t)),
        );
    }
    ordered.push(named(Function::Events, "delete_event"));
    ordered.push(named(Function::Events, "put_me"));
    ordered
}

/// `text` with its path's `from` replaced by `to` (rawPath and the request context's).
fn with_path(text: &str, from: &str, to: &str) -> String {
    let mut event: Value = serde_json::from_str(text).expect("JSON");
    for pointer in ["/rawPath", "/requestContext/http/path"] {
        if let Some(Value::String(path)) = event.pointer_mut(pointer) {
            *path = path.replace(from, to);
        }
    }
    event.to_string()
}

#[tokio::test]
async fn every_http_sample_gets_a_documented_answer() {
    let dir = tempfile::tempdir().expect("tempdir");
    let stack = stack(dir.path());
    let deps = |function| {
        Deps::new(
            &stack.config,
            stack.adapters(function).expect("adapters"),
            function,
        )
        .expect("deps")
    };
    let (presign, events, gallery) = (
        deps(Function::Presign),
        deps(Function::Events),
        deps(Function::Gallery),
    );
    let mut created: Option<(String, String)> = None;
    let mut statuses = Vec::new();
    for (function, path, text) in http_samples() {
        let text = match &created {
            Some((event_id, slug)) => with_path(
                &with_path(&text, testkit::api::SAMPLE_EVENT_ID, event_id),
                "/api/g/anna/wedding-2026",
                &format!("/api/g/anna/{slug}"),
            ),
            None => text,
        };
        let event: Value = serde_json::from_str(&text).expect("JSON");
        let request = lambda_http::request::from_str(&text)
            .unwrap_or_else(|e| panic!("{}: not an API Gateway v2 event: {e}", path.display()));
        let method = request.method().clone();
        let raw = event["rawPath"].as_str().expect("rawPath");
        let (pattern, response) = match function {
            Function::Presign => (
                pattern_of(presign_api::router(), &method, raw),
                http::handle_lambda::<PresignApi>(&presign, request).await,
            ),
            Function::Events => (
                pattern_of(events_api::router(), &method, raw),
                http::handle_lambda::<EventsApi>(&events, request).await,
            ),
            _ => (
                pattern_of(gallery_api::router(), &method, raw),
                http::handle_lambda::<GalleryApi>(&gallery, request).await,
            ),
        };
        let pattern = pattern.unwrap_or_else(|| panic!("{}: no route", path.display()));
        let response = response.expect("infallible");
        let status = response.status().as_u16();
        let body = body_json(response.body());
        assert!(status < 500, "{}: {status} {body}", path.display());
        Contract::get()
            .check_response(method.as_str(), pattern, status, &body)
            .unwrap_or_else(|e| panic!("{}: {status} not as documented: {e}", path.display()));
        // Photographer samples carry JWT claims, gallery samples none (public routes).
        let claims = &event["requestContext"]["authorizer"]["jwt"]["claims"];
        match function {
            Function::Gallery => assert!(claims.is_null(), "{}", path.display()),
            _ => assert!(claims["sub"].is_string(), "{}", path.display()),
        }
        if created.is_none() {
            assert_eq!(status, 201, "create_event comes first: {body}");
            let id = body["event_id"].as_str().expect("event_id").to_owned();
            let slug = body["slug"].as_str().expect("slug").to_owned();
            created = Some((id, slug));
        }
        statuses.push((path, status));
    }
    assert!(statuses.len() >= 29, "{} HTTP samples", statuses.len());
    // On the sample event itself, most routes answer with success (the rest name a
    // photo, job or code the samples never made, or need a viewer token).
    let succeeded = statuses.iter().filter(|(_, s)| *s < 300).count();
    assert!(succeeded >= 10, "{statuses:?}");
}

/// Every queue sample is an SQS batch its function answers with a well-formed partial
/// batch response.
#[tokio::test]
async fn every_queue_sample_is_handled() {
    let dir = tempfile::tempdir().expect("tempdir");
    let stack = stack(dir.path());
    let process = ProcessDeps::new(
        &stack.config,
        stack.adapters(Function::Process).expect("adapters"),
    )
    .expect("process deps");
    let archive = ArchiveDeps::new(
        &stack.config,
        stack.adapters(Function::Archive).expect("adapters"),
        Function::Archive,
    )
    .expect("archive deps");
    for function in [Function::Process, Function::Archive] {
        for (path, text) in samples(function.name()) {
            let event: SqsEvent = serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("{}: not an SQS event: {e}", path.display()));
            let ids: Vec<String> = event
                .records
                .iter()
                .map(|m| m.message_id.clone().expect("messageId"))
                .collect();
            assert!(!ids.is_empty(), "{}", path.display());
            let response = match function {
                Function::Process => {
                    shared::processing::queue_messages::handle_batch_until(&process, event, None)
                        .await
                }
                _ => shared::archive::handler::handle_batch_until(&archive, event, None).await,
            };
            for failure in &response.batch_item_failures {
                let id = failure.item_identifier.as_str();
                assert!(ids.iter().any(|m| m == id), "{}: {id}", path.display());
            }
        }
    }
    // The S3 test event S3 sends when the notification is saved is skipped, not retried.
    let (_, text) = samples("process")
        .into_iter()
        .find(|(p, _)| p.ends_with("s3_test_event.json"))
        .expect("events/process/s3_test_event.json");
    let event: SqsEvent = serde_json::from_str(&text).expect("SQS event");
    let response =
        shared::processing::queue_messages::handle_batch_until(&process, event, None).await;
    assert!(response.batch_item_failures.is_empty());
}

#[tokio::test]
async fn every_reaper_sample_is_handled() {
    let dir = tempfile::tempdir().expect("tempdir");
    let stack = stack(dir.path());
    let reaper = ReaperDeps::new(stack.adapters(Function::Reaper).expect("adapters"));
    let mut kinds = Vec::new();
    for (path, text) in samples("reaper") {
        let payload: Value = serde_json::from_str(&text).expect("JSON");
        let stream = payload.get("Records").is_some();
        let answer = handle_invocation(&reaper, payload)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        if stream {
            // Nothing stored: the expired event has no objects, and is reaped at once.
            assert_eq!(
                answer["batchItemFailures"],
                serde_json::json!([]),
                "{}",
                path.display()
            );
        }
        kinds.push(stream);
    }
    assert!(
        kinds.contains(&true) && kinds.contains(&false),
        "a stream and a schedule sample"
    );
}
