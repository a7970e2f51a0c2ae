//! Rows as DynamoDB holds them: access codes written before grants were packed still read,
//! and a username hold whose time has passed no longer holds the name.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use shared::domain::{AccessCode, Grant, PhotoId, Timestamp, User, UserId};
use testkit::conformance::catalog::CatalogFixture;
use testkit::fixtures::dynamo_catalog;

use super::{event_at, raw_client, unique};

fn user() -> User {
    let u = unique();
    User {
        user_id: UserId::parse(&format!("sub-{u}")).expect("user id"),
        username: format!("u{u}"),
        email: format!("{u}@example.com"),
        created_at: Timestamp::now(),
        password_hash: None,
    }
}

/// The `grant` attribute of an access-code item.
async fn raw_grant(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    code: &AccessCode,
) -> HashMap<String, AttributeValue> {
    client
        .get_item()
        .table_name(table)
        .key("event_id", AttributeValue::S(code.event_id.to_string()))
        .key("code_key", AttributeValue::S(code.code_key.clone()))
        .consistent_read(true)
        .send()
        .await
        .expect("raw get")
        .item
        .and_then(|item| item.get("grant").cloned())
        .and_then(|grant| grant.as_m().ok().cloned())
        .expect("the code item has a grant map")
}

/// GIVEN a code whose grant is stored as it was before packing: a list of id strings, in
/// the photographer's order, with a duplicate
/// THEN it reads and lists with the grant sorted (so `covers` holds), and its next update
/// stores it packed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_grant_stored_as_a_list_of_strings_still_reads() {
    let fixture = dynamo_catalog().await;
    let catalog = fixture.catalog();
    let tables = fixture.dynamo().tables().clone();
    let client = raw_client(fixture.endpoint_url()).await;
    let owner = UserId::parse(&format!("owner-{}", unique())).expect("user id");
    let event = event_at(&owner, &format!("e-{}", unique()));
    catalog.insert_event(&event).await.expect("event");
    let ids: Vec<PhotoId> = (0..4).map(|_| PhotoId::generate()).collect();
    let code = AccessCode {
        event_id: event.event_id,
        code_key: format!("{:064x}", 7),
        sealed_code: "sealed".to_owned(),
        label: "Family".to_owned(),
        grant: Grant::photos(ids.clone()).expect("grant"),
        created_at: Timestamp::now(),
        valid_until: None,
        revoked_at: None,
        expires_at: event.expires_at,
        version: 1,
    };
    catalog.insert_code(&code).await.expect("insert");
    assert!(
        raw_grant(&client, &tables.access_codes, &code).await["photo_ids"].is_b(),
        "new grants are stored packed"
    );

    let old_order = [ids[2], ids[0], ids[3], ids[0], ids[1]]
        .iter()
        .map(|id| AttributeValue::S(id.to_string()))
        .collect();
    client
        .update_item()
        .table_name(&tables.access_codes)
        .key("event_id", AttributeValue::S(code.event_id.to_string()))
        .key("code_key", AttributeValue::S(code.code_key.clone()))
        .update_expression("SET #g.photo_ids = :ids")
        .expression_attribute_names("#g", "grant")
        .expression_attribute_values(":ids", AttributeValue::L(old_order))
        .send()
        .await
        .expect("write the old representation");

    let read = catalog
        .get_code(event.event_id, &code.code_key)
        .await
        .expect("an old row reads");
    assert_eq!(read, code);
    assert!(ids.iter().all(|id| read.grant.covers(*id)));
    let listed = catalog
        .list_codes(event.event_id, &shared::domain::PageRequest::first(10))
        .await
        .expect("list");
    assert_eq!(listed.items, vec![code.clone()]);

    let mut relabel = read.clone();
    relabel.label = "Whole family".to_owned();
    let updated = catalog.update_code(&relabel).await.expect("update");
    assert_eq!(updated.grant, code.grant);
    assert!(
        raw_grant(&client, &tables.access_codes, &code).await["photo_ids"].is_b(),
        "an update stores the grant packed"
    );
}

/// A username hold whose `held_until` has passed is no hold: the name is anyone's again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_username_hold_past_its_time_frees_the_name() {
    let fixture = dynamo_catalog().await;
    let catalog = fixture.catalog();
    let client = raw_client(fixture.endpoint_url()).await;
    let first = user();
    catalog.insert_user(&first).await.expect("insert");
    catalog
        .change_username(&first.user_id, &format!("r{}", unique()))
        .await
        .expect("rename");
    assert!(
        catalog
            .find_username_hold(&first.username)
            .await
            .expect("hold")
            .is_some()
    );
    client
        .update_item()
        .table_name(&fixture.dynamo().tables().users)
        .key(
            "pk",
            AttributeValue::S(format!("username#{}", first.username)),
        )
        .update_expression("SET held_until = :past")
        .expression_attribute_values(
            ":past",
            AttributeValue::N(Timestamp::now().plus_secs(-1).epoch_secs().to_string()),
        )
        .send()
        .await
        .expect("let the hold pass");

    assert_eq!(
        catalog
            .find_username_hold(&first.username)
            .await
            .expect("hold"),
        None
    );
    let mut second = user();
    second.username = first.username.clone();
    catalog
        .insert_user(&second)
        .await
        .expect("a passed hold frees the name");
    assert_eq!(
        catalog
            .find_user_by_username(&first.username)
            .await
            .expect("by name")
            .user_id,
        second.user_id
    );
}
