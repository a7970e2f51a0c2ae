//! DynamoDB-specific behaviour of `DynamoCatalog` that the shared catalog suite cannot
//! express: the tables match `schema`, SDK failures map to the right error, malformed items
//! are named, claim items keep racing creators from both winning, an expiry change
//! interrupted half-way through the children is finished later, ending an event deletes
//! its children outright, and rows as stored ([`stored_rows`]) read back.

mod stored_rows;

use std::collections::HashMap;

use aws_sdk_dynamodb::config::retry::RetryConfig;
use aws_sdk_dynamodb::types::AttributeValue;
use futures::future::join_all;
use shared::Error;
use shared::adapters::dynamo_catalog::schema::IndexKind;
use shared::adapters::dynamo_catalog::{DynamoCatalog, DynamoTables};
use shared::domain::{Event, EventId, Photo, PhotoId, Timestamp, User, UserId};
use shared::ports::Catalog;
use testkit::conformance::catalog::{CatalogFixture, photos_of};
use testkit::fixtures::{DynamoCatalogFixture, dynamo_catalog};

async fn raw_client(endpoint_url: &str) -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::new(&testkit::aws::sdk_config(endpoint_url).await)
}

fn unique() -> String {
    ulid::Ulid::generate().to_string().to_ascii_lowercase()
}

fn event_at(owner: &UserId, slug: &str) -> Event {
    let now = Timestamp::now();
    Event {
        event_id: EventId::generate(),
        owner_id: owner.clone(),
        name: "Wedding".to_owned(),
        slug: slug.to_owned(),
        created_at: now,
        expires_at: now.plus_secs(86_400),
        cover_photo_id: None,
        watermark: None,
        photo_count: 0,
        version: 1,
    }
}

/// What the expiry tests start from: the fixture, a raw client on its moto_server, and a
/// live event holding `count` photos.
struct EventWithPhotos {
    fixture: DynamoCatalogFixture,
    tables: DynamoTables,
    client: aws_sdk_dynamodb::Client,
    event: Event,
    photos: Vec<Photo>,
}

async fn event_with_photos(count: usize) -> EventWithPhotos {
    let fixture = dynamo_catalog().await;
    let tables = fixture.dynamo().tables().clone();
    let client = raw_client(fixture.endpoint_url()).await;
    let owner = UserId::parse(&format!("owner-{}", unique())).expect("user id");
    let event = event_at(&owner, &format!("e-{}", unique()));
    let catalog = fixture.catalog();
    catalog.insert_event(&event).await.expect("insert event");
    let photos = photos_of(&event, count);
    catalog.insert_photos(&photos).await.expect("insert photos");
    EventWithPhotos {
        fixture,
        tables,
        client,
        event,
        photos,
    }
}

/// Writes `expires_at` (and its `ttl_epoch`) straight into a photo row, as a cascade
/// interrupted before reaching it would have left it.
async fn set_raw_photo_expiry(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    photo: &Photo,
    expires_at: Timestamp,
) {
    client
        .update_item()
        .table_name(table)
        .key("event_id", AttributeValue::S(photo.event_id.to_string()))
        .key("photo_id", AttributeValue::S(photo.photo_id.to_string()))
        .update_expression("SET expires_at = :exp, ttl_epoch = :ttl")
        .expression_attribute_values(":exp", AttributeValue::S(expires_at.to_rfc3339()))
        .expression_attribute_values(
            ":ttl",
            AttributeValue::N(expires_at.epoch_secs().to_string()),
        )
        .send()
        .await
        .expect("raw photo update");
}

async fn children_ttl(client: &aws_sdk_dynamodb::Client, table: &str, event_id: EventId) -> String {
    client
        .get_item()
        .table_name(table)
        .key("pk", AttributeValue::S(format!("event#{event_id}")))
        .consistent_read(true)
        .send()
        .await
        .expect("raw get")
        .item
        .and_then(|item| item.get("children_ttl_epoch").cloned())
        .and_then(|v| v.as_n().ok().cloned())
        .expect("the event row has children_ttl_epoch")
}

/// `update_event` writes the event row, then carries a new expiry to the children. A
/// failure in between leaves children behind with the marker `children_ttl_epoch` still at
/// the old expiry; the next update of the event (here: the same change repeated, as a
/// client retrying its PATCH does) finishes the job.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interrupted_expiry_cascade_is_finished_by_the_next_update() {
    let EventWithPhotos {
        fixture,
        tables,
        client,
        event,
        photos,
    } = event_with_photos(3).await;
    let catalog = fixture.catalog();

    let mut change = event.clone();
    change.expires_at = event.expires_at.plus_secs(7 * 86_400);
    let updated = catalog.update_event(&change).await.expect("extend");
    let new_ttl = change.expires_at.epoch_secs().to_string();
    assert_eq!(
        children_ttl(&client, &tables.events, event.event_id).await,
        new_ttl
    );

    // What a failure right after the event write leaves: one photo and the marker behind.
    set_raw_photo_expiry(&client, &tables.photos, &photos[0], event.expires_at).await;
    client
        .update_item()
        .table_name(&tables.events)
        .key("pk", AttributeValue::S(format!("event#{}", event.event_id)))
        .update_expression("SET children_ttl_epoch = :ttl")
        .expression_attribute_values(
            ":ttl",
            AttributeValue::N(event.expires_at.epoch_secs().to_string()),
        )
        .send()
        .await
        .expect("raw marker update");
    assert_eq!(
        catalog
            .get_photo(event.event_id, photos[0].photo_id)
            .await
            .expect("left behind")
            .expires_at,
        event.expires_at
    );

    let again = catalog
        .update_event(&updated)
        .await
        .expect("the same PATCH again");
    assert_eq!(again.expires_at, change.expires_at);
    for photo in &photos {
        assert_eq!(
            catalog
                .get_photo(event.event_id, photo.photo_id)
                .await
                .expect("photo")
                .expires_at,
            change.expires_at
        );
    }
    assert_eq!(
        children_ttl(&client, &tables.events, event.event_id).await,
        new_ttl
    );
}

/// An update that leaves the expiry as it is (a rename, a new cover) does not read or
/// rewrite the children: a photo given another expiry behind the adapter's back keeps it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_without_expiry_change_leaves_the_children_alone() {
    let EventWithPhotos {
        fixture,
        tables,
        client,
        event,
        photos,
    } = event_with_photos(1).await;
    let catalog = fixture.catalog();
    let photo = &photos[0];
    let marked = event.expires_at.plus_secs(-3_600);
    set_raw_photo_expiry(&client, &tables.photos, photo, marked).await;

    let mut rename = event.clone();
    rename.name = "Renamed".to_owned();
    catalog.update_event(&rename).await.expect("rename");
    assert_eq!(
        catalog
            .get_photo(event.event_id, photo.photo_id)
            .await
            .expect("photo")
            .expires_at,
        marked
    );
}

/// Items stored in `table` under the event's partition, expired or not.
async fn items_in_partition(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    event_id: EventId,
) -> usize {
    let out = client
        .query()
        .table_name(table)
        .key_condition_expression("event_id = :e")
        .expression_attribute_values(":e", AttributeValue::S(event_id.to_string()))
        .consistent_read(true)
        .send()
        .await
        .expect("query the partition");
    out.items.unwrap_or_default().len()
}

/// Ending an event at once (PATCH into the past, or the delete route's first step) deletes
/// its children in batches instead of rewriting each one's expiry: the items are gone from
/// the table, not merely past their TTL, and the event row itself stays for `delete_event`
/// (or the reaper) with its path claim.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ending_an_event_deletes_its_children_outright() {
    let EventWithPhotos {
        fixture,
        tables,
        client,
        event,
        ..
    } = event_with_photos(60).await;
    let catalog = fixture.catalog();
    assert_eq!(
        items_in_partition(&client, &tables.photos, event.event_id).await,
        60
    );

    let mut ended = event.clone();
    ended.expires_at = Timestamp::now().plus_secs(-1);
    catalog.update_event(&ended).await.expect("end the event");

    assert_eq!(
        items_in_partition(&client, &tables.photos, event.event_id).await,
        0,
        "the photo items are deleted"
    );
    assert!(matches!(
        catalog.get_event(event.event_id).await,
        Err(Error::Expired { .. })
    ));
    catalog
        .delete_event(&event, None)
        .await
        .expect("delete what remains");
    assert!(matches!(
        catalog.get_event(event.event_id).await,
        Err(Error::NotFound { .. })
    ));
}

/// The SAM template mirrors `schema`; this checks that `create_tables` does too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn created_tables_match_the_schema_with_ttl_on() {
    let fixture = dynamo_catalog().await;
    let client = raw_client(fixture.endpoint_url()).await;
    for (spec, name) in fixture.dynamo().tables().specs() {
        let table = client
            .describe_table()
            .table_name(name)
            .send()
            .await
            .expect("describe table")
            .table
            .expect("table description");
        let keys: Vec<(String, String)> = table
            .key_schema()
            .iter()
            .map(|k| {
                (
                    k.attribute_name().to_owned(),
                    k.key_type().as_str().to_owned(),
                )
            })
            .collect();
        let mut expected = vec![(spec.hash_key.to_owned(), "HASH".to_owned())];
        expected.extend(spec.range_key.map(|r| (r.to_owned(), "RANGE".to_owned())));
        assert_eq!(keys, expected, "{name} key schema");
        for index in spec.indexes {
            let found = match index.kind {
                IndexKind::Global => table
                    .global_secondary_indexes()
                    .iter()
                    .any(|i| i.index_name() == Some(index.name)),
                IndexKind::Local => table
                    .local_secondary_indexes()
                    .iter()
                    .any(|i| i.index_name() == Some(index.name)),
            };
            assert!(found, "{name} lacks index {}", index.name);
        }
        let ttl = client
            .describe_time_to_live()
            .table_name(name)
            .send()
            .await
            .expect("describe TTL")
            .time_to_live_description
            .and_then(|d| d.attribute_name);
        assert_eq!(ttl.as_deref(), spec.ttl_attribute, "{name} TTL attribute");
    }
    // Creating them again (local tooling re-run) leaves them be.
    fixture
        .dynamo()
        .create_tables()
        .await
        .expect("second create_tables");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_item_is_internal_and_names_its_key() {
    let fixture = dynamo_catalog().await;
    let client = raw_client(fixture.endpoint_url()).await;
    let event_id = EventId::generate();
    let photo_id = PhotoId::generate();
    let far = Timestamp::now().plus_secs(86_400).epoch_secs().to_string();
    client
        .put_item()
        .table_name(&fixture.dynamo().tables().photos)
        .set_item(Some(HashMap::from([
            (
                "event_id".to_owned(),
                AttributeValue::S(event_id.to_string()),
            ),
            (
                "photo_id".to_owned(),
                AttributeValue::S(photo_id.to_string()),
            ),
            (
                "status".to_owned(),
                AttributeValue::S("sideways".to_owned()),
            ),
            ("ttl_epoch".to_owned(), AttributeValue::N(far)),
        ])))
        .send()
        .await
        .expect("raw put");
    let err = fixture
        .catalog()
        .get_photo(event_id, photo_id)
        .await
        .expect_err("a malformed row cannot be a photo");
    assert!(matches!(err, Error::Internal { .. }), "got {err:?}");
    assert!(
        err.to_string().contains(&photo_id.to_string()),
        "the error names the key: {err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_table_is_internal_with_a_clear_message() {
    let fixture = dynamo_catalog().await;
    let config = testkit::aws::sdk_config(fixture.endpoint_url()).await;
    let catalog = DynamoCatalog::from_sdk_config(&config, DynamoTables::with_prefix("absent-"));
    let err = catalog
        .get_event(EventId::generate())
        .await
        .expect_err("no tables");
    assert!(matches!(err, Error::Internal { .. }), "got {err:?}");
    assert!(
        err.to_string().contains("absent-Events does not exist"),
        "message says which table is missing: {err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_endpoint_is_transient() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("address").port()
    };
    let config = testkit::aws::sdk_config(&format!("http://127.0.0.1:{port}")).await;
    let client = aws_sdk_dynamodb::Client::from_conf(
        aws_sdk_dynamodb::config::Builder::from(&config)
            .retry_config(RetryConfig::disabled())
            .build(),
    );
    let catalog = DynamoCatalog::new(client, DynamoTables::with_prefix("t-"));
    let err = catalog
        .get_event(EventId::generate())
        .await
        .expect_err("nothing listens there");
    assert!(matches!(err, Error::Transient { .. }), "got {err:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_creators_of_one_path_exactly_one_wins() {
    let fixture = dynamo_catalog().await;
    let owner = UserId::parse(&format!("owner-{}", unique())).expect("user id");
    let events: Vec<Event> = (0..6).map(|_| event_at(&owner, "same-slug")).collect();
    let results = join_all(events.iter().map(|e| fixture.catalog().insert_event(e))).await;
    let won = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(won, 1, "exactly one creator wins: {results:?}");
    assert!(
        results
            .iter()
            .filter_map(|r| r.as_ref().err())
            .all(|e| e.code() == "slug_taken"),
        "{results:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_signups_for_one_username_exactly_one_wins() {
    let fixture = dynamo_catalog().await;
    let name = format!("u{}", unique());
    let users: Vec<User> = (0..6)
        .map(|_| {
            let u = unique();
            User {
                user_id: UserId::parse(&format!("sub-{u}")).expect("user id"),
                username: name.clone(),
                email: format!("{u}@example.com"),
                created_at: Timestamp::now(),
                password_hash: None,
            }
        })
        .collect();
    let results = join_all(users.iter().map(|u| fixture.catalog().insert_user(u))).await;
    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        1,
        "{results:?}"
    );
    let owner = fixture
        .catalog()
        .find_user_by_username(&name)
        .await
        .expect("the winner owns the name");
    assert!(users.iter().any(|u| u.user_id == owner.user_id));
}
