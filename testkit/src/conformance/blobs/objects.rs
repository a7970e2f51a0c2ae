//! Objects through the port: put, get (whole, bounded, ranged), head, delete, list.

use bytes::Bytes;
use shared::Error;
use shared::domain::PageRequest;
use shared::ports::Blobs;

use super::*;

/// A round trip through the port keeps bytes and size.
pub async fn put_then_get_returns_the_bytes_and_head_the_size(blobs: &dyn Blobs) {
    let body = Bytes::from_static(b"\x00\x01binary\xffbody");
    blobs
        .put("events/e1/photo.jpg", body.clone(), "image/jpeg")
        .await
        .expect("put");
    assert_eq!(blobs.get("events/e1/photo.jpg").await.expect("get"), body);
    let info = blobs.head("events/e1/photo.jpg").await.expect("head");
    assert_eq!(info.key, "events/e1/photo.jpg");
    assert_eq!(info.bytes, body.len() as u64);
}

/// The second write wins, whole.
pub async fn put_over_an_existing_key_replaces_it(blobs: &dyn Blobs) {
    blobs
        .put("k/v", Bytes::from_static(b"first version"), "text/plain")
        .await
        .expect("put 1");
    let first = blobs.head("k/v").await.expect("head 1");
    blobs
        .put("k/v", Bytes::from_static(b"second"), "text/plain")
        .await
        .expect("put 2");
    assert_eq!(blobs.get("k/v").await.expect("get"), "second");
    let second = blobs.head("k/v").await.expect("head 2");
    assert_eq!(second.bytes, 6);
    if let (Some(a), Some(b)) = (first.etag, second.etag) {
        assert_ne!(a, b, "different bodies have different ETags");
    }
}

/// Missing objects are `NotFound`, not an empty body.
pub async fn get_and_head_of_a_missing_key_are_not_found(blobs: &dyn Blobs) {
    let err = blobs.get("missing/key").await.expect_err("get missing");
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
    assert_absent(blobs, "missing/key").await;
}

/// After delete, the object is gone.
pub async fn delete_removes_the_object(blobs: &dyn Blobs) {
    put_text(blobs, "d/x").await;
    blobs.delete("d/x").await.expect("delete");
    assert_absent(blobs, "d/x").await;
    assert!(all_keys(blobs, "d/").await.is_empty());
}

/// Deleting twice (or never having written) is fine: deletes are idempotent.
pub async fn deleting_a_missing_key_is_ok(blobs: &dyn Blobs) {
    blobs.delete("never/written").await.expect("delete missing");
    put_text(blobs, "once").await;
    blobs.delete("once").await.expect("delete");
    blobs.delete("once").await.expect("delete again");
}

/// 25 keys at page size 10: three pages, every key exactly once, in key order.
pub async fn list_pages_across_several_pages_each_key_exactly_once_in_order(blobs: &dyn Blobs) {
    let mut expected: Vec<String> = (0..25).map(|i| format!("p/{i:02}")).collect();
    // Written out of order: listing order must come from the keys, not from write order.
    for key in expected.iter().rev() {
        put_text(blobs, key).await;
    }
    expected.sort();
    let mut seen = Vec::new();
    let mut page = PageRequest::first(10);
    let mut pages = 0;
    loop {
        let listed = blobs.list("p/", &page).await.expect("list");
        pages += 1;
        assert!(listed.items.len() <= 10, "page larger than the limit");
        for item in &listed.items {
            assert_eq!(item.bytes, item.key.len() as u64, "{}", item.key);
        }
        seen.extend(listed.items.into_iter().map(|o| o.key));
        match listed.next {
            Some(cursor) => page = PageRequest::after(10, cursor),
            None => break,
        }
        assert!(pages < 10, "paging does not end");
    }
    assert_eq!(seen, expected);
    assert!((3..=4).contains(&pages), "{pages} pages for 25 keys at 10");
}

/// A prefix lists its own keys and nothing of its neighbours.
pub async fn list_returns_only_keys_under_the_prefix(blobs: &dyn Blobs) {
    for key in ["a/1", "a/2", "a/sub/3", "ab/4", "b/5", "a.txt"] {
        put_text(blobs, key).await;
    }
    assert_eq!(all_keys(blobs, "a/").await, ["a/1", "a/2", "a/sub/3"]);
    assert_eq!(all_keys(blobs, "a/sub/").await, ["a/sub/3"]);
    assert_eq!(all_keys(blobs, "ab").await, ["ab/4"]);
    assert_eq!(all_keys(blobs, "a.").await, ["a.txt"]);
    assert!(all_keys(blobs, "c/").await.is_empty());
    assert_eq!(
        all_keys(blobs, "").await,
        ["a.txt", "a/1", "a/2", "a/sub/3", "ab/4", "b/5"]
    );
}

/// Everything under the prefix goes: list and head both confirm.
pub async fn delete_prefix_leaves_nothing_behind(blobs: &dyn Blobs) {
    let keys: Vec<String> = (0..12)
        .map(|i| format!("events/e1/{}/{i}", if i % 2 == 0 { "thumb" } else { "web" }))
        .collect();
    for key in &keys {
        put_text(blobs, key).await;
    }
    let deleted = blobs
        .delete_prefix("events/e1/")
        .await
        .expect("delete_prefix");
    assert_eq!(deleted, 12);
    assert!(all_keys(blobs, "events/e1/").await.is_empty());
    for key in &keys {
        assert_absent(blobs, key).await;
    }
    assert_eq!(
        blobs.delete_prefix("events/e1/").await.expect("again"),
        0,
        "nothing left to delete"
    );
}

/// `a/b/` is not `a/bc`: a prefix is a string prefix, and the caller's slash matters.
pub async fn delete_prefix_spares_siblings_sharing_a_string_prefix(blobs: &dyn Blobs) {
    for key in ["a/b/1", "a/b/2", "a/b.txt", "a/bc", "a/bd/3"] {
        put_text(blobs, key).await;
    }
    assert_eq!(blobs.delete_prefix("a/b/").await.expect("delete_prefix"), 2);
    assert_eq!(all_keys(blobs, "a/").await, ["a/b.txt", "a/bc", "a/bd/3"]);
    for key in ["a/b.txt", "a/bc", "a/bd/3"] {
        assert_eq!(blobs.get(key).await.expect("sibling kept"), key);
    }
}

/// A bounded read says `TooLarge` for an object over its bound (checked from the size, before
/// the body is read) and returns the exact bytes at the bound.
pub async fn bounded_get_refuses_an_object_over_its_bound(blobs: &dyn Blobs) {
    let body: Vec<u8> = (0..70_000u32).map(|i| (i % 241) as u8).collect();
    blobs
        .put(
            "originals/o/e/bounded",
            Bytes::from(body.clone()),
            "image/jpeg",
        )
        .await
        .expect("put");
    let err = blobs
        .get_bounded("originals/o/e/bounded", body.len() as u64 - 1)
        .await
        .expect_err("over the bound");
    assert!(matches!(err, Error::TooLarge { .. }), "{err:?}");
    let read = blobs
        .get_bounded("originals/o/e/bounded", body.len() as u64)
        .await
        .expect("at the bound");
    assert!(read == body, "the bytes read differ from the object");
    let err = blobs
        .get_bounded("originals/o/e/missing", 10)
        .await
        .expect_err("missing");
    assert!(err.is_not_found(), "{err:?}");
}

/// Ranged reads (archives stream originals a window at a time): the window's bytes, fewer
/// where the object ends, none past it, `NotFound` for a missing key.
pub async fn get_range_returns_the_window_and_stops_at_the_end(blobs: &dyn Blobs) {
    let body: Vec<u8> = (0..1000u32).map(|i| (i % 251) as u8).collect();
    let key = "originals/o/e/range";
    blobs
        .put(key, Bytes::from(body.clone()), "application/octet-stream")
        .await
        .expect("put");
    let read = |offset: u64, len: u64| async move {
        blobs.get_range(key, offset, len).await.expect("get_range")
    };
    assert_eq!(read(0, 10).await, body[..10]);
    assert_eq!(read(123, 456).await, body[123..579]);
    assert_eq!(read(990, 100).await, body[990..], "cut at the end");
    assert_eq!(
        read(0, u64::MAX).await,
        body,
        "a huge window is only the object"
    );
    assert!(read(1000, 5).await.is_empty(), "starting at the end");
    assert!(read(5000, 5).await.is_empty(), "starting past the end");
    assert!(read(10, 0).await.is_empty(), "an empty window");
    let err = blobs
        .get_range("originals/o/e/missing", 0, 10)
        .await
        .expect_err("missing key");
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
}
