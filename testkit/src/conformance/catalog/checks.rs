//! Assertions the catalog cases share: error variants, and walking a list page by page.

use std::collections::HashSet;

use shared::domain::{EventId, Page, PageRequest, Photo, PhotoId};
use shared::ports::{Catalog, PhotoQuery};

/// Asserts that `$result` failed with the error variant `$variant`, and returns the error.
macro_rules! expect_err {
    ($result:expr, $variant:ident) => {{
        match $result {
            Ok(v) => panic!(
                "expected {} but the call succeeded with {:?}",
                stringify!($variant),
                v
            ),
            Err(err) => {
                assert!(
                    matches!(err, shared::Error::$variant { .. }),
                    "expected {}, got {:?}",
                    stringify!($variant),
                    err
                );
                err
            }
        }
    }};
}
pub(super) use expect_err;

/// How strictly a list must fill its pages.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Pages {
    /// Every page but the last holds exactly `limit` items (what viewers and the photographer
    /// page through: photos, codes).
    Full,
    /// Pages may come short while more follow (lists whose stores filter after reading, such
    /// as a DynamoDB query skipping expired events); each item still appears exactly once.
    MayBeShort,
}

/// Walks a list to its end, checking page sizes as `pages` says.
pub(super) async fn collect_pages<T, F, Fut>(limit: u32, pages: Pages, mut fetch: F) -> Vec<T>
where
    F: FnMut(PageRequest) -> Fut,
    Fut: std::future::Future<Output = shared::Result<Page<T>>>,
{
    let mut out = Vec::new();
    let mut request = PageRequest::first(limit);
    for page_no in 0.. {
        assert!(page_no < 10_000, "paging does not terminate");
        let page = fetch(request.clone()).await.expect("list page");
        assert!(
            page.items.len() <= limit as usize,
            "page {page_no} has {} items, more than the limit {limit}",
            page.items.len()
        );
        let count = page.items.len();
        out.extend(page.items);
        match page.next {
            Some(cursor) => {
                if pages == Pages::Full {
                    assert_eq!(
                        count, limit as usize,
                        "page {page_no} has a next cursor but only {count} of {limit} items"
                    );
                }
                request = PageRequest::after(limit, cursor);
            }
            None => break,
        }
    }
    out
}

pub(super) fn ids<T, K: Clone>(items: &[T], key: impl Fn(&T) -> K) -> Vec<K> {
    items.iter().map(key).collect()
}

pub(super) fn assert_each_once(got: &[PhotoId], expected: &[PhotoId]) {
    let unique: HashSet<_> = got.iter().collect();
    assert_eq!(unique.len(), got.len(), "a photo was listed more than once");
    assert_eq!(
        got.len(),
        expected.len(),
        "listed {} photos, expected {}",
        got.len(),
        expected.len()
    );
    assert_eq!(got, expected, "photos not in the expected order");
}

pub(super) async fn list_all_photos(
    catalog: &dyn Catalog,
    event_id: EventId,
    query: PhotoQuery,
    limit: u32,
) -> Vec<Photo> {
    collect_pages(limit, Pages::Full, |page| async move {
        catalog.list_photos(event_id, &query, &page).await
    })
    .await
}
