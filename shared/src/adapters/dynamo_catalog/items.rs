//! Rows ↔ DynamoDB items: the domain struct as serde_dynamo writes it, plus the key, index
//! and TTL attributes of `schema`.

use std::collections::HashMap;

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::errors::malformed_item;
use super::schema::attr;
use crate::domain::{AccessCode, Event, EventId, Grant, Job, Photo, PhotoId, Timestamp, UserId};
use crate::error::{Error, Result};

/// One DynamoDB item.
pub(super) type Item = HashMap<String, AttributeValue>;

/// The domain field every expiring row has (an RFC 3339 string; `ttl_epoch` is its number).
pub(super) const EXPIRES_AT: &str = "expires_at";

/// A string attribute.
pub(super) fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

/// A number attribute.
pub(super) fn n(value: impl std::fmt::Display) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

/// A string attribute of an item, if present and a string.
pub(super) fn get_s<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
    item.get(name)
        .and_then(|v| v.as_s().ok())
        .map(String::as_str)
}

/// A number attribute of an item, if present and an integer.
pub(super) fn get_n(item: &Item, name: &str) -> Option<i64> {
    item.get(name)
        .and_then(|v| v.as_n().ok())
        .and_then(|text| text.parse().ok())
}

/// Whether an item's TTL attribute has passed at `now` (TTL deletes lazily, so the table
/// may still return it). An item without one never expires.
pub(super) fn ttl_passed(item: &Item, now: Timestamp) -> bool {
    get_n(item, attr::TTL).is_some_and(|ttl| Timestamp::from_epoch_secs(ttl).has_passed(now))
}

/// Serialises one value the way it appears inside a row.
pub(super) fn to_attribute<T: Serialize>(value: &T) -> Result<AttributeValue> {
    serde_dynamo::to_attribute_value(value)
        .map_err(|e| Error::internal("value could not be serialised", e))
}

/// Serialises a domain row.
pub(super) fn to_item<T: Serialize>(value: &T) -> Result<Item> {
    serde_dynamo::to_item(value).map_err(|e| Error::internal("row could not be serialised", e))
}

/// Deserialises a domain row; a malformed item names its table and key.
pub(super) fn from_item<T: DeserializeOwned>(item: Item, table: &str, key: &str) -> Result<T> {
    serde_dynamo::from_item(item).map_err(|e| malformed_item(table, key, e))
}

/// A number that sorts as text: 20 digits of `secs` shifted so negatives sort first.
pub(super) fn sortable_secs(secs: i64) -> String {
    let shifted = i128::from(secs) - i128::from(i64::MIN);
    format!("{shifted:020}")
}

/// `Users` key of a user row.
pub(super) fn user_pk(user_id: &UserId) -> String {
    format!("user#{user_id}")
}

/// `Users` key of a username claim. Callers normalise names; the claim holds exactly what
/// it is given, so every adapter agrees on what "taken" means.
pub(super) fn username_pk(username: &str) -> String {
    format!("username#{username}")
}

/// `Users` key of an e-mail claim (exactly as given, like usernames).
pub(super) fn email_pk(email: &str) -> String {
    format!("email#{email}")
}

/// `Events` key of an event row.
pub(super) fn event_pk(event_id: EventId) -> String {
    format!("event#{event_id}")
}

/// `Events` key of a public-path claim. Neither user ids nor slugs contain `#`.
pub(super) fn path_pk(owner_id: &UserId, slug: &str) -> String {
    format!("path#{owner_id}#{slug}")
}

/// A single-attribute key.
pub(super) fn key1(name: &str, value: impl Into<String>) -> Item {
    HashMap::from([(name.to_owned(), s(value))])
}

/// A two-attribute key.
pub(super) fn key2(
    hash: &str,
    hash_value: impl Into<String>,
    range: &str,
    range_value: impl Into<String>,
) -> Item {
    HashMap::from([
        (hash.to_owned(), s(hash_value)),
        (range.to_owned(), s(range_value)),
    ])
}

/// The event row with its key, GSI and TTL attributes, as first written.
pub(super) fn event_item(event: &Event) -> Result<Item> {
    let mut item = to_item(event)?;
    item.insert(attr::PK.to_owned(), s(event_pk(event.event_id)));
    item.insert(
        attr::OWNER_CREATED.to_owned(),
        s(format!(
            "{}#{}",
            sortable_secs(event.created_at.epoch_secs()),
            event.event_id
        )),
    );
    item.insert(attr::TTL.to_owned(), n(event.expires_at.epoch_secs()));
    // A new event's children are made with its expiry: nothing to carry to them yet.
    item.insert(
        attr::CHILDREN_TTL.to_owned(),
        n(event.expires_at.epoch_secs()),
    );
    Ok(item)
}

/// The `by_taken` sort key: known capture times in order, unknown ones last, ties by id.
pub(super) fn taken_sort(photo: &Photo) -> String {
    match photo.taken_at() {
        Some(taken) => format!("t{}#{}", sortable_secs(taken.epoch_secs()), photo.photo_id),
        None => format!("z#{}", photo.photo_id),
    }
}

/// The photo row with its index and TTL attributes (the key is part of the row).
pub(super) fn photo_item(photo: &Photo) -> Result<Item> {
    let mut item = to_item(photo)?;
    item.insert(attr::TAKEN_SORT.to_owned(), s(taken_sort(photo)));
    item.insert(attr::TTL.to_owned(), n(photo.expires_at.epoch_secs()));
    Ok(item)
}

/// The access code's `grant` attribute (a map: `kind`, and `photo_ids` for a subset).
const GRANT: &str = "grant";
/// The granted ids inside `grant`.
const GRANT_PHOTO_IDS: &str = "photo_ids";
/// Bytes of one packed photo id.
const PACKED_ID: usize = 16;

/// The access-code row with its index and TTL attributes. A subset grant's ids are stored
/// packed, 16 bytes each, as one binary attribute: as a list of strings 20,000 ids take about
/// 580 KB and overflow DynamoDB's 400 KB item limit (`MAX_GRANT_PHOTOS` × 16 = 320,000 bytes
/// fits). Rows written before hold the list of strings; [`unpack_grant`] reads both.
pub(super) fn code_item(code: &AccessCode) -> Result<Item> {
    let mut item = to_item(code)?;
    if let Grant::Photos(ids) = &code.grant {
        let mut packed = Vec::with_capacity(ids.len() * PACKED_ID);
        for id in ids.as_slice() {
            packed.extend_from_slice(&id.to_bytes());
        }
        item.insert(
            GRANT.to_owned(),
            AttributeValue::M(HashMap::from([
                ("kind".to_owned(), s("photos")),
                (
                    GRANT_PHOTO_IDS.to_owned(),
                    AttributeValue::B(Blob::new(packed)),
                ),
            ])),
        );
    }
    item.insert(
        attr::CREATED_SORT.to_owned(),
        s(format!(
            "{}#{}",
            sortable_secs(code.created_at.epoch_secs()),
            code.code_key
        )),
    );
    item.insert(attr::TTL.to_owned(), n(code.expires_at.epoch_secs()));
    Ok(item)
}

/// Turns a packed grant (see [`code_item`]) back into the list of id strings serde reads;
/// a grant stored as that list already (rows from before the packing) is left as it is.
/// A packed value that is not whole ids is an error naming what is wrong.
pub(super) fn unpack_grant(item: &mut Item) -> std::result::Result<(), String> {
    let Some(AttributeValue::M(grant)) = item.get_mut(GRANT) else {
        return Ok(());
    };
    let Some(AttributeValue::B(packed)) = grant.get(GRANT_PHOTO_IDS) else {
        return Ok(());
    };
    let (ids, rest) = packed.as_ref().as_chunks::<PACKED_ID>();
    if !rest.is_empty() {
        return Err(format!(
            "grant.photo_ids holds {} bytes, not a whole number of {PACKED_ID}-byte ids",
            packed.as_ref().len()
        ));
    }
    let ids = ids
        .iter()
        .map(|bytes| s(PhotoId::from_bytes(*bytes).to_string()))
        .collect();
    grant.insert(GRANT_PHOTO_IDS.to_owned(), AttributeValue::L(ids));
    Ok(())
}

/// The job row with its TTL attribute.
pub(super) fn job_item(job: &Job) -> Result<Item> {
    let mut item = to_item(job)?;
    item.insert(attr::TTL.to_owned(), n(job.expires_at.epoch_secs()));
    Ok(item)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code_with(grant: Grant) -> AccessCode {
        let now = Timestamp::now();
        AccessCode {
            event_id: EventId::generate(),
            code_key: "k".repeat(64),
            sealed_code: "sealed".to_owned(),
            label: "Guests".to_owned(),
            grant,
            created_at: now,
            valid_until: None,
            revoked_at: None,
            expires_at: now.plus_secs(86_400),
            version: 1,
        }
    }

    #[test]
    fn a_subset_grant_is_stored_packed_16_bytes_an_id_and_reads_back() {
        let ids: Vec<PhotoId> = (0..3).map(|_| PhotoId::generate()).collect();
        let code = code_with(Grant::photos(ids).expect("grant"));
        let mut item = code_item(&code).expect("item");
        let packed = item
            .get(GRANT)
            .and_then(|g| g.as_m().ok())
            .and_then(|g| g.get(GRANT_PHOTO_IDS))
            .and_then(|ids| ids.as_b().ok())
            .map(|blob| blob.as_ref().len());
        assert_eq!(packed, Some(3 * PACKED_ID));
        unpack_grant(&mut item).expect("unpack");
        let back: AccessCode = from_item(item, "AccessCodes", "k").expect("read back");
        assert_eq!(back, code);
    }

    #[test]
    fn a_packed_grant_of_partial_ids_is_refused() {
        let mut item = code_item(&code_with(
            Grant::photos(vec![PhotoId::generate()]).expect("grant"),
        ))
        .expect("item");
        let Some(AttributeValue::M(grant)) = item.get_mut(GRANT) else {
            panic!("grant is a map");
        };
        grant.insert(
            GRANT_PHOTO_IDS.to_owned(),
            AttributeValue::B(Blob::new(vec![0u8; 17])),
        );
        let err = unpack_grant(&mut item).expect_err("17 bytes are not whole ids");
        assert!(err.contains("17 bytes"), "{err}");
    }

    #[test]
    fn sortable_secs_sort_like_numbers() {
        let values = [i64::MIN, -5, -1, 0, 1, 9, 10, 1_763_891_234, i64::MAX];
        let texts: Vec<String> = values.iter().map(|v| sortable_secs(*v)).collect();
        let mut sorted = texts.clone();
        sorted.sort();
        assert_eq!(texts, sorted);
        assert!(texts.iter().all(|t| t.len() == 20));
    }
}
