//! Property, over fixed seeds: whatever the photos' states and the codes' grants, a viewer
//! token never yields a photo outside its code's grant — not in a listing, a download or
//! an archive — and never one of another event; revoked and expired codes yield nothing.

mod support;

use std::collections::BTreeSet;

use serde_json::{Value, json};
use shared::domain::{EventId, PhotoStatus, Timestamp};
use support::Gallery;
use testkit::api::Storage;
use testkit::api_flows::{create_event, mark_photo, upload_named_photo};

/// SplitMix64: a seeded generator, so every run checks the same cases.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

#[derive(Debug, Clone)]
struct PhotoCase {
    id: String,
    name: String,
    bytes: Vec<u8>,
    ready: bool,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Fate {
    Usable,
    Revoked,
    Expired,
}

const STATUSES: [PhotoStatus; 4] = [
    PhotoStatus::Ready,
    PhotoStatus::Pending,
    PhotoStatus::Processing,
    PhotoStatus::Failed,
];

async fn photos_of(g: &Gallery, event_id: &str, prefix: &str, rng: &mut Rng) -> Vec<PhotoCase> {
    let mut photos = Vec::new();
    for i in 0..4 + rng.below(7) {
        let name = format!("{prefix}-{i}.jpg");
        let bytes = format!("original {prefix} {i} {}", rng.next()).into_bytes();
        let status = STATUSES[rng.below(STATUSES.len())];
        let id = upload_named_photo(&g.h, &g.anna, event_id, &name, &bytes).await;
        if status != PhotoStatus::Pending {
            mark_photo(&g.h, event_id, &id, status).await;
        }
        photos.push(PhotoCase {
            id,
            name,
            bytes,
            ready: status == PhotoStatus::Ready,
        });
    }
    photos
}

async fn a_token_never_yields_a_photo_outside_its_grant(storage: Storage, seed: u64) {
    let mut rng = Rng(seed);
    let g = Gallery::start(storage).await;
    let here = photos_of(&g, &g.event_id, "here", &mut rng).await;
    let other_event = create_event(&g.h, &g.anna, "Another party").await;
    let elsewhere = photos_of(&g, &other_event, "elsewhere", &mut rng).await;
    let everyone: Vec<&PhotoCase> = here.iter().chain(&elsewhere).collect();

    for round in 0..4 {
        // A code for everything or for a random subset of this event's photos (any state).
        let subset: Vec<&PhotoCase> = here.iter().filter(|_| rng.chance(50)).collect();
        let all_code = subset.is_empty() || rng.chance(25);
        let (body, granted): (Value, BTreeSet<String>) = if all_code {
            (
                json!({"label": format!("all {round}"), "all": true}),
                here.iter().map(|p| p.id.clone()).collect(),
            )
        } else {
            let ids: Vec<&str> = subset.iter().map(|p| p.id.as_str()).collect();
            (
                json!({"label": format!("some {round}"), "photo_ids": ids}),
                ids.iter().map(|id| (*id).to_owned()).collect(),
            )
        };
        let (code, code_id) = g.code(body).await;
        let token = g.token(&code).await;
        let fate = match rng.below(4) {
            0 => Fate::Revoked,
            1 => Fate::Expired,
            _ => Fate::Usable,
        };
        match fate {
            Fate::Revoked => {
                g.change_code(&code_id, "DELETE", None).await;
            }
            Fate::Expired => expire_code(&g, &code_id).await,
            Fate::Usable => {}
        }
        let visible: BTreeSet<String> = here
            .iter()
            .filter(|p| p.ready && granted.contains(&p.id) && fate == Fate::Usable)
            .map(|p| p.id.clone())
            .collect();
        let context = format!("seed {seed}, round {round}, {fate:?}");

        // Listing, in pages of a random size.
        if fate == Fate::Usable {
            let listed: BTreeSet<String> = g
                .listed(&token, 1 + rng.below(4) as u32)
                .await
                .into_iter()
                .collect();
            assert_eq!(listed, visible, "{context}: listing");
        } else {
            let (status, body) = g.h.send(g.req("list_photos").bearer(&token)).await;
            assert_eq!(status, 410, "{context}: {body}");
        }

        // Downloads of every photo of both events.
        for photo in &everyone {
            let (status, body) = g.h.send(g.download(&photo.id, &token)).await;
            let expected = if fate != Fate::Usable {
                410
            } else if visible.contains(&photo.id) {
                200
            } else {
                404
            };
            assert_eq!(
                status, expected,
                "{context}: download of {}: {body}",
                photo.name
            );
        }

        // An archive of everything granted, and one of a random pick from both events.
        if fate != Fate::Usable {
            let (status, body) = g.ask(&token, json!({"all": true})).await;
            assert_eq!(status, 410, "{context}: {body}");
            continue;
        }
        let expect_entries = |ids: &BTreeSet<String>| -> BTreeSet<(String, Vec<u8>)> {
            here.iter()
                .filter(|p| ids.contains(&p.id))
                .map(|p| (p.name.clone(), p.bytes.clone()))
                .collect()
        };
        if !visible.is_empty() {
            let (status, asked) = g.ask(&token, json!({"all": true})).await;
            assert_eq!(status, 202, "{context}: {asked}");
            let id = asked["archive_id"].as_str().expect("archive_id");
            let entries: BTreeSet<_> = g.built_archive(&token, id).await.into_iter().collect();
            assert_eq!(
                entries,
                expect_entries(&visible),
                "{context}: archive of all"
            );
        }
        let pick: Vec<&PhotoCase> = everyone
            .iter()
            .copied()
            .filter(|_| rng.chance(30))
            .collect();
        if pick.is_empty() {
            continue;
        }
        let ids: Vec<&str> = pick.iter().map(|p| p.id.as_str()).collect();
        let (status, asked) = g.ask(&token, json!({"photo_ids": ids})).await;
        // A subset code refuses ids it does not grant (404, exactly like ids that do not
        // exist); a code for everything takes any id, and the archive holds only what is
        // ready in this event.
        if !all_code && pick.iter().any(|p| !granted.contains(&p.id)) {
            assert_eq!(status, 404, "{context}: {asked}");
            continue;
        }
        assert_eq!(status, 202, "{context}: {asked}");
        let id = asked["archive_id"].as_str().expect("archive_id");
        let picked: BTreeSet<String> = pick
            .iter()
            .filter(|p| visible.contains(&p.id))
            .map(|p| p.id.clone())
            .collect();
        if picked.is_empty() {
            // Nothing of the pick is ready here: the archive fails; it never fills up with
            // anything else.
            g.build_queued_archives().await;
            let (status, polled) = g.status(&token, id).await;
            assert_eq!(status, 200, "{context}: {polled}");
            assert_eq!(polled["state"], "failed", "{context}: {polled}");
        } else {
            let entries: BTreeSet<_> = g.built_archive(&token, id).await.into_iter().collect();
            assert_eq!(
                entries,
                expect_entries(&picked),
                "{context}: archive of a pick"
            );
        }
    }
}

/// Expires a code now, as time would: its own expiry set in the past, in the catalog.
async fn expire_code(g: &Gallery, code_id: &str) {
    let event_id = EventId::parse(&g.event_id).expect("event id");
    let catalog = &g.h.deps.catalog;
    let mut code = catalog.get_code(event_id, code_id).await.expect("the code");
    code.valid_until = Some(Timestamp::now().plus_secs(-1));
    catalog.update_code(&code).await.expect("expire it");
}

#[tokio::test]
async fn a_token_never_yields_a_photo_outside_its_grant_on_sqlite_and_files() {
    for seed in [1, 2, 3, 4, 5, 6] {
        a_token_never_yields_a_photo_outside_its_grant(Storage::Fs, seed).await;
    }
}

#[tokio::test]
async fn a_token_never_yields_a_photo_outside_its_grant_on_dynamodb_and_s3() {
    for seed in [7, 8] {
        a_token_never_yields_a_photo_outside_its_grant(Storage::Aws, seed).await;
    }
}
