//! What the request logs may carry: the route's pattern and ids, never a secret. Access
//! codes travel in paths (`…/codes/{code}`) and bodies, tokens in headers; the captured
//! JSON log lines of every code route must contain none of them.

use std::io::Write;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use testkit::api::{ApiHarness, Photographer};
use testkit::api_flows::{create_event, ev};

/// Log lines written into memory, as the Lambda binaries write them to stdout.
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

impl Captured {
    fn lines(&self) -> Vec<String> {
        let bytes = self.0.lock().expect("log buffer").clone();
        String::from_utf8(bytes)
            .expect("logs are UTF-8")
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

#[tokio::test]
async fn code_routes_log_their_pattern_and_ids_but_never_a_code_or_token() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_max_level(tracing::Level::DEBUG)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let h = ApiHarness::start().await;
    let anna = Photographer::new("anna");
    let event_id = create_event(&h, &anna, "Secrets").await;
    let (status, created) = h
        .send(
            ev("create_code")
                .as_user(&anna)
                .ids(Some(&event_id), None)
                .json(json!({"label": "Family", "all": true})),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let code = created["code"].as_str().expect("code").to_owned();
    let code_id = created["code_id"].as_str().expect("code_id").to_owned();
    let with_code = |name: &str, method: &str, in_path: &str| {
        ev(name)
            .as_user(&anna)
            .ids(Some(&event_id), None)
            .path_replace(testkit::api::SAMPLE_CODE, in_path)
            .method(method)
    };
    let calls = [
        with_code("patch_code", "PATCH", &code).json(json!({"label": "Friends"})),
        with_code("patch_code", "PATCH", &code.to_lowercase()).json(json!({"label": "Kin"})),
        with_code("patch_code", "PATCH", &code_id).json(json!({"label": "Kin"})),
        // A wrong code in the path is refused, and logged without it too.
        with_code("patch_code", "PATCH", "ZZZZ-ZZZZ-ZZZZ").json(json!({"label": "x"})),
        with_code("revoke_code", "DELETE", &code).no_body(),
    ];
    for call in calls {
        let (status, body) = h.send(call).await;
        assert!(status < 500, "{status} {body}");
    }
    let (status, listed) = h
        .send(ev("list_codes").as_user(&anna).ids(Some(&event_id), None))
        .await;
    assert_eq!(status, 200, "{listed}");

    let lines = captured.lines();
    let requests: Vec<Value> = lines
        .iter()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|line| line["fields"]["route"].is_string())
        .collect();
    assert!(requests.len() >= 7, "one line per request: {lines:#?}");
    assert!(
        requests
            .iter()
            .any(|l| l["fields"]["route"] == "/api/events/{event_id}/codes/{code}"),
        "the route's pattern is logged: {requests:#?}"
    );
    assert!(
        requests.iter().all(|l| l["fields"]["ids"]
            .as_str()
            .is_some_and(|ids| ids.is_empty() || ids.contains(&event_id))),
        "ids are logged: {requests:#?}"
    );
    let canonical = code.replace('-', "");
    let bearer = "eyJraWQiOiJleGFtcGxlIn0";
    for line in &lines {
        for secret in [
            code.as_str(),
            canonical.as_str(),
            &code.to_lowercase(),
            "ZZZZ-ZZZZ-ZZZZ",
            bearer,
        ] {
            assert!(!line.contains(secret), "a secret reached the logs: {line}");
        }
    }
}
