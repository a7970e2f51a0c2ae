//! The `events` function's access-code routes, driven by its sample API Gateway events, on
//! SQLite + FsBlobs + in-process queues.

use serde_json::{Value, json};
use shared::domain::EventId;
use testkit::api::{ApiHarness, Photographer, SAMPLE_CODE};
use testkit::api_flows::{assert_error, create_event, ev, upload_photo};

#[tokio::test]
async fn access_codes_are_created_listed_changed_and_revoked() {
    let h = ApiHarness::start().await;
    let anna = Photographer::new("anna");
    let event_id = create_event(&h, &anna, "Codes").await;
    let p1 = upload_photo(&h, &anna, &event_id, b"one").await;
    let p2 = upload_photo(&h, &anna, &event_id, b"two").await;
    let other_event = create_event(&h, &anna, "Other").await;
    let foreign = upload_photo(&h, &anna, &other_event, b"three").await;

    let (status, all) = h
        .send(
            ev("create_code")
                .as_user(&anna)
                .ids(Some(&event_id), None)
                .json(json!({"label": "Everyone", "all": true})),
        )
        .await;
    assert_eq!(status, 201, "{all}");
    let code = all["code"].as_str().expect("code");
    assert_eq!(code.len(), 14, "grouped XXXX-XXXX-XXXX: {code}");
    assert_eq!(all["all"], true);

    let (status, subset) = h
        .send(
            ev("create_code")
                .as_user(&anna)
                .ids(Some(&event_id), None)
                .json(json!({"label": "Bride's family", "photo_ids": [p1, p1], "expires_at": "2099-01-01T00:00:00Z"})),
        )
        .await;
    assert_eq!(status, 201, "{subset}");
    assert_eq!(subset["photo_ids"], json!([p1]));
    assert_eq!(subset["expires_at"], "2099-01-01T00:00:00Z");

    // The catalog never holds the code in plain text.
    let eid = EventId::parse(&event_id).expect("id");
    let row = h
        .deps
        .catalog
        .get_code(eid, all["code_id"].as_str().expect("code_id"))
        .await
        .expect("row");
    assert!(!row.sealed_code.contains(&code.replace('-', "")));
    assert!(!row.code_key.contains(&code.replace('-', "")));

    let bad: Vec<(Value, u16, &str)> = vec![
        (json!({"label": "x"}), 422, "invalid_subset"),
        (
            json!({"label": "x", "all": true, "photo_ids": [p1]}),
            422,
            "invalid_subset",
        ),
        (
            json!({"label": "x", "photo_ids": []}),
            422,
            "invalid_subset",
        ),
        (
            json!({"label": "x", "photo_ids": [foreign]}),
            422,
            "invalid_subset",
        ),
        (
            json!({"label": "x", "photo_ids": ["not-an-id"]}),
            422,
            "invalid_body",
        ),
        (json!({"label": "", "all": true}), 422, "invalid_label"),
        (
            json!({"label": "x", "all": true, "expires_at": "2001-01-01T00:00:00Z"}),
            422,
            "invalid_expires_at",
        ),
    ];
    for (req, want, code) in bad {
        let (status, body) = h
            .send(
                ev("create_code")
                    .as_user(&anna)
                    .ids(Some(&event_id), None)
                    .json(req.clone()),
            )
            .await;
        assert_error(status, &body, want, code);
    }

    let (status, list) = h
        .send(ev("list_codes").as_user(&anna).ids(Some(&event_id), None))
        .await;
    assert_eq!(status, 200, "{list}");
    let items = list["items"].as_array().expect("items");
    assert_eq!(items.len(), 2);
    // Codes made in the same second may list in either order.
    let listed: Vec<&Value> = items.iter().map(|c| &c["code"]).collect();
    assert!(listed.contains(&&Value::from(code)), "{list}");

    // Change the subset, by the code as typed (lowercase, spaces) and by code_id.
    let typed = code.to_lowercase().replace('-', " ");
    let (status, body) = h
        .send(
            ev("patch_code")
                .as_user(&anna)
                .ids(Some(&event_id), None)
                .path_replace(SAMPLE_CODE, &typed.replace(' ', "%20"))
                .json(json!({"photo_ids": [p1, p2], "label": "Family"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["photo_ids"], json!([p1, p2]));
    assert_eq!(body["all"], false);
    let code_id = subset["code_id"].as_str().expect("code_id");
    let (status, body) = h
        .send(
            ev("patch_code")
                .as_user(&anna)
                .ids(Some(&event_id), None)
                .path_replace(SAMPLE_CODE, code_id)
                .json(json!({"expires_at": null})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(body["expires_at"].is_null());
    let (status, body) = h
        .send(
            ev("patch_code")
                .as_user(&anna)
                .ids(Some(&event_id), None)
                .path_replace(SAMPLE_CODE, code_id)
                .json(json!({"photo_ids": [foreign]})),
        )
        .await;
    assert_error(status, &body, 422, "invalid_subset");

    // Revoke: 204, still listed with revoked_at, no longer editable; again is fine.
    let (status, _) = h
        .send(
            ev("revoke_code")
                .as_user(&anna)
                .ids(Some(&event_id), None)
                .path_replace(SAMPLE_CODE, code),
        )
        .await;
    assert_eq!(status, 204);
    let (status, _) = h
        .send(
            ev("revoke_code")
                .as_user(&anna)
                .ids(Some(&event_id), None)
                .path_replace(SAMPLE_CODE, code),
        )
        .await;
    assert_eq!(status, 204);
    let (_, list) = h
        .send(ev("list_codes").as_user(&anna).ids(Some(&event_id), None))
        .await;
    let revoked = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|c| c["code"] == code)
        .expect("revoked code still listed");
    assert!(revoked["revoked_at"].is_string(), "{list}");
    let (status, body) = h
        .send(
            ev("patch_code")
                .as_user(&anna)
                .ids(Some(&event_id), None)
                .path_replace(SAMPLE_CODE, code),
        )
        .await;
    assert_error(status, &body, 409, "code_revoked");

    for unknown in ["ZZZZ-ZZZZ-ZZZZ", "not a code", &"0".repeat(64)] {
        let (status, body) = h
            .send(
                ev("revoke_code")
                    .as_user(&anna)
                    .ids(Some(&event_id), None)
                    .path_replace(SAMPLE_CODE, &unknown.replace(' ', "%20")),
            )
            .await;
        assert_error(status, &body, 404, "code_not_found");
    }
}

/// GIVEN codes made under one secret WHEN the deployment rotates `PICPASS_CODE_SECRET` (the
/// old one kept in `PICPASS_CODE_SECRET_PREVIOUS`) THEN the old codes are still listed with
/// their text and found by what viewers type, and new codes use the new secret.
#[tokio::test]
async fn codes_survive_a_rotation_of_the_code_secret() {
    let mut h = ApiHarness::start().await;
    let anna = Photographer::new("anna");
    let event_id = create_event(&h, &anna, "Rotation").await;
    let (status, old) = h
        .send(
            ev("create_code")
                .as_user(&anna)
                .ids(Some(&event_id), None)
                .json(json!({"label": "Before", "all": true})),
        )
        .await;
    assert_eq!(status, 201, "{old}");

    let (old_secret, new_secret) = ([9u8; 32], [10u8; 32]);
    h.deps.vault = Some(
        shared::codes_vault::CodeVault::from_secrets(&new_secret, &[&old_secret])
            .expect("rotated vault"),
    );
    let (status, listed) = h
        .send(ev("list_codes").as_user(&anna).ids(Some(&event_id), None))
        .await;
    assert_eq!(status, 200, "{listed}");
    assert_eq!(listed["items"][0]["code"], old["code"]);
    let typed = old["code"].as_str().expect("code").to_lowercase();
    let (status, patched) = h
        .send(
            ev("patch_code")
                .as_user(&anna)
                .ids(Some(&event_id), None)
                .path_replace(SAMPLE_CODE, &typed)
                .json(json!({"label": "Still here"})),
        )
        .await;
    assert_eq!(status, 200, "{patched}");
    assert_eq!(patched["code_id"], old["code_id"]);
    let (status, new) = h
        .send(
            ev("create_code")
                .as_user(&anna)
                .ids(Some(&event_id), None)
                .json(json!({"label": "After", "all": true})),
        )
        .await;
    assert_eq!(status, 201, "{new}");
    let key_id = |code: &Value| code["code_id"].as_str().expect("code_id")[..8].to_owned();
    assert_ne!(key_id(&new), key_id(&old), "new codes name the new secret");

    // Without the old secret the old code cannot be opened, and the listing says so (500):
    // the README's rotation steps keep it until the old codes have expired.
    h.deps.vault =
        Some(shared::codes_vault::CodeVault::from_secret(&new_secret).expect("new vault"));
    let (status, _) = h
        .send(ev("list_codes").as_user(&anna).ids(Some(&event_id), None))
        .await;
    assert_eq!(status, 500);
}
