//! The catalog conformance suite: every `Catalog` adapter must pass each case.
//!
//! Cases are adapter-neutral: they make their own uniquely named rows (so a store shared
//! between cases would not confuse them), express time through explicit `expires_at` values
//! in the past or future instead of sleeping, and assert on error variants.

use std::collections::HashSet;

use shared::Error;
use shared::domain::{
    AccessCode, ArchiveProgress, ArchiveUpload, Cursor, Event, EventId, Grant, Job, JobId, JobItem,
    JobKind, JobState, Page, PageRequest, Photo, PhotoFailure, PhotoId, PhotoMetadata, PhotoStatus,
    Timestamp, UploadKind, User, UserId, Watermark, WatermarkSource,
};
use shared::ports::{Catalog, PhotoQuery, PhotoSort};

/// What a catalog fixture hands to the cases. The fixture value owns whatever must stay
/// alive (temp files, servers) for as long as the catalog is used.
pub trait CatalogFixture {
    /// The adapter under test.
    fn catalog(&self) -> &dyn Catalog;
}

/// Instantiates every catalog case for one adapter:
/// `catalog_conformance!(sqlite, testkit::fixtures::sqlite_catalog());` expands to a module
/// `sqlite` with one `#[tokio::test]` per case, each on a fresh fixture.
#[macro_export]
macro_rules! catalog_conformance {
    ($adapter:ident, $fixture:expr) => {
        $crate::catalog_conformance!(@cases $adapter, $fixture;
            users_round_trip_by_id_username_and_email,
            users_are_unique_by_id_username_and_email,
            missing_user_is_not_found,
            users_are_looked_up_exactly_as_given,
            change_username_renames_and_frees_the_old_name,
            change_username_to_a_taken_name_conflicts,
            change_username_to_the_current_name_is_a_no_op,
            change_username_of_missing_user_is_not_found,
            event_round_trips,
            missing_event_is_not_found,
            expired_event_answers_expired,
            events_by_owner_newest_first_across_pages_without_expired_or_foreign,
            slug_is_unique_per_owner_but_reusable_by_another_owner,
            find_event_by_path_finds_the_live_event,
            find_event_by_path_of_unknown_path_is_not_found,
            find_event_by_path_of_expired_event_is_expired,
            tombstone_answers_expired_and_keeps_the_slug_taken,
            slug_is_free_again_after_delete_without_tombstone,
            slug_is_free_again_once_the_tombstone_has_passed,
            update_event_with_fresh_version_increments_it,
            update_event_with_stale_version_conflicts,
            update_of_missing_event_is_not_found,
            extending_event_expiry_keeps_its_photos_codes_and_jobs,
            shortening_event_expiry_shortens_its_children,
            expiring_an_event_at_once_ends_its_children,
            event_expiry_change_reaches_every_photo_across_pages,
            event_expiry_change_does_not_revive_expired_children,
            child_update_from_before_an_expiry_change_keeps_the_new_expiry,
            child_inserted_after_an_expiry_change_takes_the_events_expiry,
            add_photo_count_adds_and_subtracts_within_bounds,
            add_photo_count_over_limit_is_too_large_and_unchanged,
            add_photo_count_below_zero_fails_and_is_unchanged,
            add_photo_count_of_missing_event_is_not_found,
            delete_event_removes_photos_codes_and_jobs,
            delete_of_missing_event_is_not_an_error,
            list_expired_events_pages_through_expired_events_only,
            photo_round_trips,
            insert_photos_with_an_existing_id_conflicts,
            insert_photos_registers_500_in_one_call,
            missing_photo_is_not_found,
            photos_page_across_several_pages_each_exactly_once,
            photos_by_taken_time_missing_last_ties_by_id_each_exactly_once,
            photos_status_filter_returns_full_pages_each_exactly_once,
            photos_status_filter_with_taken_sort_each_exactly_once,
            photos_of_an_empty_event_are_an_empty_page,
            find_photos_by_sha256_matches_only_that_event,
            update_photo_with_fresh_version_increments_it,
            update_photo_with_stale_version_conflicts,
            update_photo_racing_writers_exactly_one_wins,
            update_of_missing_photo_is_not_found,
            expired_photos_are_not_found_and_skipped_in_lists,
            delete_photo_removes_it_and_is_idempotent,
            tampered_cursor_is_malformed,
            cursor_from_another_list_is_malformed,
            code_round_trips,
            duplicate_code_conflicts,
            missing_or_expired_code_is_not_found,
            codes_listed_oldest_first_across_pages_revoked_included,
            update_code_is_conditional_on_version,
            counter_of_absent_key_is_zero,
            counter_starts_a_window_and_counts_within_it,
            counter_past_its_window_restarts,
            job_round_trips_and_updates_conditionally,
            duplicate_job_conflicts,
            missing_or_expired_job_is_not_found,
        );
    };
    (@cases $adapter:ident, $fixture:expr; $($case:ident),* $(,)?) => {
        mod $adapter {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let fixture = $fixture.await;
                    $crate::conformance::catalog::$case(
                        $crate::conformance::catalog::CatalogFixture::catalog(&fixture),
                    )
                    .await;
                }
            )*
        }
    };
}

// --- builders ------------------------------------------------------------------------------

const HOUR: i64 = 3_600;
const DAY: i64 = 86_400;

/// A suffix unique across cases and processes, so rows never collide in a shared store.
fn unique() -> String {
    ulid::Ulid::generate().to_string().to_ascii_lowercase()
}

fn now() -> Timestamp {
    Timestamp::now()
}

fn future() -> Timestamp {
    now().plus_secs(30 * DAY)
}

fn past() -> Timestamp {
    now().plus_secs(-HOUR)
}

fn new_user() -> User {
    let u = unique();
    User {
        user_id: UserId::parse(&format!("sub-{u}")).expect("valid user id"),
        username: format!("u{u}"),
        email: format!("{u}@example.com"),
        created_at: now(),
        password_hash: None,
    }
}

fn owner() -> UserId {
    UserId::parse(&format!("owner-{}", unique())).expect("valid user id")
}

fn new_event(owner: &UserId, slug: &str, created_at: Timestamp, expires_at: Timestamp) -> Event {
    Event {
        event_id: EventId::generate(),
        owner_id: owner.clone(),
        name: format!("Event {slug}"),
        slug: slug.to_owned(),
        created_at,
        expires_at,
        cover_photo_id: None,
        watermark: None,
        photo_count: 0,
        version: 1,
    }
}

fn live_event(owner: &UserId) -> Event {
    new_event(owner, &format!("e-{}", unique()), now(), future())
}

fn sha_of(n: usize) -> String {
    format!("{n:064x}")
}

/// A pending photo of `event` (row builder, also used by adapter-specific tests).
pub fn new_photo(event: &Event, n: usize) -> Photo {
    Photo {
        event_id: event.event_id,
        photo_id: PhotoId::generate(),
        owner_id: event.owner_id.clone(),
        filename: format!("IMG_{n:04}.JPG"),
        content_type: "image/jpeg".to_owned(),
        bytes: 1_000 + n as u64,
        sha256: sha_of(n),
        status: PhotoStatus::Pending,
        failure: None,
        metadata: None,
        upload: UploadKind::Single,
        created_at: now(),
        processing_until: None,
        attempts: 0,
        expires_at: event.expires_at,
        version: 1,
    }
}

/// `count` pending photos of `event`, in upload (photo id) order. Ids made within one
/// millisecond are not ordered by creation, so the expectation sorts them.
pub fn photos_of(event: &Event, count: usize) -> Vec<Photo> {
    by_id((0..count).map(|n| new_photo(event, n)).collect())
}

fn by_id(mut photos: Vec<Photo>) -> Vec<Photo> {
    photos.sort_by_key(|p| p.photo_id);
    photos
}

fn with_taken(mut photo: Photo, taken_at: Option<Timestamp>) -> Photo {
    photo.status = PhotoStatus::Ready;
    photo.metadata = Some(PhotoMetadata {
        width: 4000,
        height: 3000,
        orientation: 1,
        taken_at,
        camera: Some("Canon EOS R5".to_owned()),
        format: "jpeg".to_owned(),
        variants: vec!["thumb".to_owned(), "web".to_owned()],
        crc32: Some(0xCBF4_3926),
    });
    photo
}

fn new_code(event: &Event, n: usize, created_at: Timestamp) -> AccessCode {
    AccessCode {
        event_id: event.event_id,
        code_key: format!("{:064x}", n + 0xC0DE),
        sealed_code: format!("sealed-{n}"),
        label: format!("Guest {n}"),
        grant: Grant::All,
        created_at,
        valid_until: None,
        revoked_at: None,
        expires_at: event.expires_at,
        version: 1,
    }
}

fn new_job(event: &Event) -> Job {
    Job {
        event_id: event.event_id,
        job_id: JobId::generate(),
        kind: JobKind::Archive,
        state: JobState::Queued,
        total: 2,
        done: 0,
        failed: 0,
        items: Vec::new(),
        request: serde_json::json!({"photo_ids": ["a", "b"]}),
        result_key: None,
        created_at: now(),
        expires_at: event.expires_at,
        version: 1,
        archive: None,
    }
}

async fn insert_event(catalog: &dyn Catalog, event: &Event) {
    catalog.insert_event(event).await.expect("insert event");
}

async fn insert_live_event(catalog: &dyn Catalog) -> Event {
    let event = live_event(&owner());
    insert_event(catalog, &event).await;
    event
}

// --- assertions ----------------------------------------------------------------------------

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
                    matches!(err, Error::$variant { .. }),
                    "expected {}, got {:?}",
                    stringify!($variant),
                    err
                );
                err
            }
        }
    }};
}

/// How strictly a list must fill its pages.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Pages {
    /// Every page but the last holds exactly `limit` items (what viewers and the photographer
    /// page through: photos, codes).
    Full,
    /// Pages may come short while more follow (lists whose stores filter after reading, such
    /// as a DynamoDB query skipping expired events); each item still appears exactly once.
    MayBeShort,
}

/// Walks a list to its end, checking page sizes as `pages` says.
async fn collect_pages<T, F, Fut>(limit: u32, pages: Pages, mut fetch: F) -> Vec<T>
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

fn ids<T, K: Clone>(items: &[T], key: impl Fn(&T) -> K) -> Vec<K> {
    items.iter().map(key).collect()
}

fn assert_each_once(got: &[PhotoId], expected: &[PhotoId]) {
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

async fn list_all_photos(
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

// --- users ---------------------------------------------------------------------------------

/// A user can be read back by id, username and e-mail.
pub async fn users_round_trip_by_id_username_and_email(catalog: &dyn Catalog) {
    let mut user = new_user();
    user.password_hash = Some("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".to_owned());
    catalog.insert_user(&user).await.expect("insert user");
    assert_eq!(catalog.get_user(&user.user_id).await.expect("get"), user);
    assert_eq!(
        catalog
            .find_user_by_username(&user.username)
            .await
            .expect("by username"),
        user
    );
    assert_eq!(
        catalog
            .find_user_by_email(&user.email)
            .await
            .expect("by email"),
        user
    );
}

/// A second user with the same id, username or e-mail is refused with the specific code.
pub async fn users_are_unique_by_id_username_and_email(catalog: &dyn Catalog) {
    let user = new_user();
    catalog.insert_user(&user).await.expect("insert user");

    let mut same_name = new_user();
    same_name.username = user.username.clone();
    let err = expect_err!(catalog.insert_user(&same_name).await, Conflict);
    assert_eq!(err.code(), "username_taken");

    let mut same_email = new_user();
    same_email.email = user.email.clone();
    let err = expect_err!(catalog.insert_user(&same_email).await, Conflict);
    assert_eq!(err.code(), "email_taken");

    let mut same_id = new_user();
    same_id.user_id = user.user_id.clone();
    let err = expect_err!(catalog.insert_user(&same_id).await, Conflict);
    assert_eq!(err.code(), "user_exists");

    // None of the refused users left a trace: their other names are still free.
    expect_err!(
        catalog.find_user_by_username(&same_email.username).await,
        NotFound
    );
    expect_err!(catalog.find_user_by_email(&same_name.email).await, NotFound);
    assert_eq!(catalog.get_user(&user.user_id).await.expect("get"), user);
}

/// Unknown id, username and e-mail are `NotFound`.
pub async fn missing_user_is_not_found(catalog: &dyn Catalog) {
    let user = new_user();
    expect_err!(catalog.get_user(&user.user_id).await, NotFound);
    expect_err!(
        catalog.find_user_by_username(&user.username).await,
        NotFound
    );
    expect_err!(catalog.find_user_by_email(&user.email).await, NotFound);
}

/// Callers normalise names; the catalog compares exactly what it is given, so every adapter
/// agrees on what "taken" means.
pub async fn users_are_looked_up_exactly_as_given(catalog: &dyn Catalog) {
    let user = new_user();
    catalog.insert_user(&user).await.expect("insert");
    expect_err!(
        catalog
            .find_user_by_username(&user.username.to_ascii_uppercase())
            .await,
        NotFound
    );
    expect_err!(
        catalog
            .find_user_by_email(&user.email.to_ascii_uppercase())
            .await,
        NotFound
    );
}

/// Renaming moves the user to the new name and frees the old one for others.
pub async fn change_username_renames_and_frees_the_old_name(catalog: &dyn Catalog) {
    let user = new_user();
    catalog.insert_user(&user).await.expect("insert");
    let new_name = format!("r{}", unique());
    let renamed = catalog
        .change_username(&user.user_id, &new_name)
        .await
        .expect("rename");
    assert_eq!(renamed.username, new_name);
    assert_eq!(renamed.email, user.email);
    assert_eq!(
        catalog.get_user(&user.user_id).await.expect("get").username,
        new_name
    );
    assert_eq!(
        catalog
            .find_user_by_username(&new_name)
            .await
            .expect("by new name")
            .user_id,
        user.user_id
    );
    expect_err!(
        catalog.find_user_by_username(&user.username).await,
        NotFound
    );

    let mut other = new_user();
    other.username = user.username.clone();
    catalog
        .insert_user(&other)
        .await
        .expect("the old name is free again");
}

/// Renaming to another user's name is `Conflict` (`username_taken`) and changes nothing.
pub async fn change_username_to_a_taken_name_conflicts(catalog: &dyn Catalog) {
    let a = new_user();
    let b = new_user();
    catalog.insert_user(&a).await.expect("insert a");
    catalog.insert_user(&b).await.expect("insert b");
    let err = expect_err!(
        catalog.change_username(&a.user_id, &b.username).await,
        Conflict
    );
    assert_eq!(err.code(), "username_taken");
    assert_eq!(catalog.get_user(&a.user_id).await.expect("a"), a);
    assert_eq!(catalog.get_user(&b.user_id).await.expect("b"), b);
    assert_eq!(
        catalog
            .find_user_by_username(&a.username)
            .await
            .expect("a keeps its name")
            .user_id,
        a.user_id
    );
}

/// Renaming to the current name succeeds and changes nothing.
pub async fn change_username_to_the_current_name_is_a_no_op(catalog: &dyn Catalog) {
    let user = new_user();
    catalog.insert_user(&user).await.expect("insert");
    let same = catalog
        .change_username(&user.user_id, &user.username)
        .await
        .expect("no-op rename");
    assert_eq!(same, user);
    assert_eq!(
        catalog
            .find_user_by_username(&user.username)
            .await
            .expect("still found"),
        user
    );
}

/// Renaming a user that does not exist is `NotFound` and claims nothing.
pub async fn change_username_of_missing_user_is_not_found(catalog: &dyn Catalog) {
    let ghost = new_user();
    let name = format!("g{}", unique());
    expect_err!(
        catalog.change_username(&ghost.user_id, &name).await,
        NotFound
    );
    expect_err!(catalog.find_user_by_username(&name).await, NotFound);
}

// --- events --------------------------------------------------------------------------------

/// An event reads back exactly as written, watermark and all.
pub async fn event_round_trips(catalog: &dyn Catalog) {
    let mut event = live_event(&owner());
    event.cover_photo_id = Some(PhotoId::generate());
    event.watermark = Some(Watermark {
        source: WatermarkSource::Text {
            text: "© Anna Photo".to_owned(),
        },
        position: shared::domain::Gravity::SouthEast,
        opacity: 0.5,
        scale: 0.25,
    });
    insert_event(catalog, &event).await;
    assert_eq!(catalog.get_event(event.event_id).await.expect("get"), event);
    expect_err!(catalog.insert_event(&event).await, Conflict);
}

/// An unknown event is `NotFound`.
pub async fn missing_event_is_not_found(catalog: &dyn Catalog) {
    expect_err!(catalog.get_event(EventId::generate()).await, NotFound);
}

/// An event past its `expires_at` answers `Expired`, even though its row remains.
pub async fn expired_event_answers_expired(catalog: &dyn Catalog) {
    let event = new_event(&owner(), "gone", now().plus_secs(-2 * DAY), past());
    insert_event(catalog, &event).await;
    expect_err!(catalog.get_event(event.event_id).await, Expired);
}

/// The owner's live events come newest first, each once across pages; expired events and
/// other owners' events are not listed.
pub async fn events_by_owner_newest_first_across_pages_without_expired_or_foreign(
    catalog: &dyn Catalog,
) {
    let me = owner();
    let someone_else = owner();
    let base = now().plus_secs(-10 * DAY);
    let mut live = Vec::new();
    for i in 0..7 {
        // Two events share each creation second, so ties must be ordered too.
        let created = base.plus_secs((i / 2) * 60);
        let event = new_event(&me, &format!("live-{i}"), created, future());
        insert_event(catalog, &event).await;
        live.push(event);
        if i % 3 == 0 {
            let expired = new_event(&me, &format!("expired-{i}"), created, past());
            insert_event(catalog, &expired).await;
        }
    }
    insert_event(catalog, &live_event(&someone_else)).await;

    let got = collect_pages(3, Pages::MayBeShort, |page| {
        let me = me.clone();
        async move { catalog.list_events_by_owner(&me, &page).await }
    })
    .await;
    let got_ids = ids(&got, |e| e.event_id);
    let mut expected = live.clone();
    expected.sort_by(|a, b| {
        b.created_at
            .cmp(&a.created_at)
            .then(b.event_id.cmp(&a.event_id))
    });
    let newest_first: Vec<_> = got.iter().map(|e| e.created_at).collect();
    assert!(
        newest_first.windows(2).all(|w| w[0] >= w[1]),
        "not newest first"
    );
    let unique: HashSet<_> = got_ids.iter().collect();
    assert_eq!(unique.len(), got_ids.len(), "an event was listed twice");
    let expected_set: HashSet<_> = expected.iter().map(|e| e.event_id).collect();
    assert_eq!(unique, expected_set.iter().collect(), "wrong set of events");
    assert!(got.iter().all(|e| e.owner_id == me));

    let empty = catalog
        .list_events_by_owner(&owner(), &PageRequest::first(10))
        .await
        .expect("list of a new owner");
    assert!(empty.items.is_empty() && empty.next.is_none());
}

/// An owner cannot have two events with one slug; another owner may use it.
pub async fn slug_is_unique_per_owner_but_reusable_by_another_owner(catalog: &dyn Catalog) {
    let me = owner();
    let first = live_event(&me);
    insert_event(catalog, &first).await;
    let second = new_event(&me, &first.slug, now(), future());
    let err = expect_err!(catalog.insert_event(&second).await, Conflict);
    assert_eq!(err.code(), "slug_taken");
    expect_err!(catalog.get_event(second.event_id).await, NotFound);

    let theirs = new_event(&owner(), &first.slug, now(), future());
    insert_event(catalog, &theirs).await;
    assert_eq!(
        catalog
            .find_event_by_path(&me, &first.slug)
            .await
            .expect("mine")
            .event_id,
        first.event_id
    );
    assert_eq!(
        catalog
            .find_event_by_path(&theirs.owner_id, &first.slug)
            .await
            .expect("theirs")
            .event_id,
        theirs.event_id
    );
}

/// The public path of a live event leads to it.
pub async fn find_event_by_path_finds_the_live_event(catalog: &dyn Catalog) {
    let event = insert_live_event(catalog).await;
    assert_eq!(
        catalog
            .find_event_by_path(&event.owner_id, &event.slug)
            .await
            .expect("found"),
        event
    );
}

/// A path never claimed is `NotFound`, for a known and an unknown owner.
pub async fn find_event_by_path_of_unknown_path_is_not_found(catalog: &dyn Catalog) {
    let event = insert_live_event(catalog).await;
    expect_err!(
        catalog
            .find_event_by_path(&event.owner_id, "never-claimed")
            .await,
        NotFound
    );
    expect_err!(
        catalog.find_event_by_path(&owner(), &event.slug).await,
        NotFound
    );
}

/// The path of an expired event answers `Expired`.
pub async fn find_event_by_path_of_expired_event_is_expired(catalog: &dyn Catalog) {
    let event = new_event(&owner(), "old-party", now().plus_secs(-DAY), past());
    insert_event(catalog, &event).await;
    expect_err!(
        catalog
            .find_event_by_path(&event.owner_id, &event.slug)
            .await,
        Expired
    );
}

/// Deleting with a tombstone keeps the path answering `Expired` and the slug claimed.
pub async fn tombstone_answers_expired_and_keeps_the_slug_taken(catalog: &dyn Catalog) {
    let event = insert_live_event(catalog).await;
    catalog
        .delete_event(event.event_id, Some(future()))
        .await
        .expect("delete with tombstone");
    expect_err!(catalog.get_event(event.event_id).await, NotFound);
    expect_err!(
        catalog
            .find_event_by_path(&event.owner_id, &event.slug)
            .await,
        Expired
    );
    let again = new_event(&event.owner_id, &event.slug, now(), future());
    let err = expect_err!(catalog.insert_event(&again).await, Conflict);
    assert_eq!(err.code(), "slug_taken");
}

/// Deleting without a tombstone frees the slug: the path is unknown and can be claimed.
pub async fn slug_is_free_again_after_delete_without_tombstone(catalog: &dyn Catalog) {
    let event = insert_live_event(catalog).await;
    catalog
        .delete_event(event.event_id, None)
        .await
        .expect("delete");
    expect_err!(catalog.get_event(event.event_id).await, NotFound);
    expect_err!(
        catalog
            .find_event_by_path(&event.owner_id, &event.slug)
            .await,
        NotFound
    );
    let again = new_event(&event.owner_id, &event.slug, now(), future());
    insert_event(catalog, &again).await;
    assert_eq!(
        catalog
            .find_event_by_path(&event.owner_id, &event.slug)
            .await
            .expect("new event at the old path")
            .event_id,
        again.event_id
    );
}

/// A tombstone whose time has passed no longer holds the slug.
pub async fn slug_is_free_again_once_the_tombstone_has_passed(catalog: &dyn Catalog) {
    let event = insert_live_event(catalog).await;
    catalog
        .delete_event(event.event_id, Some(past()))
        .await
        .expect("delete with a past tombstone");
    expect_err!(
        catalog
            .find_event_by_path(&event.owner_id, &event.slug)
            .await,
        NotFound
    );
    let again = new_event(&event.owner_id, &event.slug, now(), future());
    insert_event(catalog, &again).await;
    assert_eq!(
        catalog
            .find_event_by_path(&event.owner_id, &event.slug)
            .await
            .expect("reclaimed")
            .event_id,
        again.event_id
    );
}

/// An update with the current version replaces the mutable fields, bumps the version and
/// leaves slug, owner and photo count alone.
pub async fn update_event_with_fresh_version_increments_it(catalog: &dyn Catalog) {
    let event = insert_live_event(catalog).await;
    catalog
        .add_photo_count(event.event_id, 3, 100)
        .await
        .expect("count");
    let mut change = event.clone();
    change.name = "Renamed".to_owned();
    change.expires_at = future().plus_secs(DAY);
    change.cover_photo_id = Some(PhotoId::generate());
    change.watermark = Some(Watermark {
        source: WatermarkSource::Image {
            image_photo_id: PhotoId::generate(),
        },
        position: shared::domain::Gravity::North,
        opacity: 1.0,
        scale: 0.1,
    });
    // Fields the update must not touch.
    change.slug = "sneaky-slug".to_owned();
    change.photo_count = 999;

    let updated = catalog.update_event(&change).await.expect("update");
    assert_eq!(updated.version, event.version + 1);
    assert_eq!(updated.name, "Renamed");
    assert_eq!(updated.expires_at, change.expires_at);
    assert_eq!(updated.cover_photo_id, change.cover_photo_id);
    assert_eq!(updated.watermark, change.watermark);
    assert_eq!(updated.slug, event.slug);
    assert_eq!(updated.owner_id, event.owner_id);
    assert_eq!(updated.photo_count, 3);
    assert_eq!(
        catalog.get_event(event.event_id).await.expect("get"),
        updated
    );

    let again = catalog.update_event(&updated).await.expect("second update");
    assert_eq!(again.version, event.version + 2);
}

/// An update carrying an old version is `Conflict` and changes nothing.
pub async fn update_event_with_stale_version_conflicts(catalog: &dyn Catalog) {
    let event = insert_live_event(catalog).await;
    let mut first = event.clone();
    first.name = "First".to_owned();
    catalog.update_event(&first).await.expect("first writer");
    let mut stale = event.clone();
    stale.name = "Stale".to_owned();
    expect_err!(catalog.update_event(&stale).await, Conflict);
    let stored = catalog.get_event(event.event_id).await.expect("get");
    assert_eq!(stored.name, "First");
    assert_eq!(stored.version, event.version + 1);
}

/// Updating an event that does not exist is `NotFound` and does not create it.
pub async fn update_of_missing_event_is_not_found(catalog: &dyn Catalog) {
    let event = live_event(&owner());
    expect_err!(catalog.update_event(&event).await, NotFound);
    expect_err!(catalog.get_event(event.event_id).await, NotFound);
}

/// The child rows of one event, as written.
struct Children {
    photos: Vec<Photo>,
    codes: Vec<AccessCode>,
    jobs: Vec<Job>,
}

/// Three photos, two codes (one with its own `valid_until` a day from now) and a job.
async fn insert_children(catalog: &dyn Catalog, event: &Event) -> Children {
    let photos = photos_of(event, 3);
    catalog.insert_photos(&photos).await.expect("photos");
    let plain = new_code(event, 1, now());
    let mut own_expiry = new_code(event, 2, now());
    own_expiry.valid_until = Some(now().plus_secs(DAY));
    let codes = vec![plain, own_expiry];
    for code in &codes {
        catalog.insert_code(code).await.expect("code");
    }
    let jobs = vec![new_job(event)];
    catalog.insert_job(&jobs[0]).await.expect("job");
    Children {
        photos,
        codes,
        jobs,
    }
}

/// Extends or shortens the event's expiry through `update_event`.
async fn change_expiry(catalog: &dyn Catalog, event: &Event, expires_at: Timestamp) -> Event {
    let mut change = event.clone();
    change.expires_at = expires_at;
    let updated = catalog
        .update_event(&change)
        .await
        .expect("change the expiry");
    assert_eq!(updated.expires_at, expires_at);
    updated
}

/// Every child reads back and is listed as written, except that it carries `expires_at`.
async fn assert_children_expire_at(
    catalog: &dyn Catalog,
    children: &Children,
    expires_at: Timestamp,
) {
    let mut photos = children.photos.clone();
    for photo in &mut photos {
        photo.expires_at = expires_at;
        assert_eq!(
            &catalog
                .get_photo(photo.event_id, photo.photo_id)
                .await
                .expect("the photo is still there"),
            photo
        );
    }
    let event_id = photos[0].event_id;
    let listed = list_all_photos(catalog, event_id, PhotoQuery::default(), 100).await;
    assert_eq!(listed, photos, "listed photos");

    let mut codes = children.codes.clone();
    for code in &mut codes {
        code.expires_at = expires_at;
        assert_eq!(
            &catalog
                .get_code(event_id, &code.code_key)
                .await
                .expect("the code is still there"),
            code,
            "the code's own valid_until is kept"
        );
    }
    let mut listed = catalog
        .list_codes(event_id, &PageRequest::first(50))
        .await
        .expect("codes")
        .items;
    listed.sort_by(|a, b| a.code_key.cmp(&b.code_key));
    codes.sort_by(|a, b| a.code_key.cmp(&b.code_key));
    assert_eq!(listed, codes, "listed codes");

    for job in &children.jobs {
        let mut expected = job.clone();
        expected.expires_at = expires_at;
        assert_eq!(
            catalog
                .get_job(event_id, job.job_id)
                .await
                .expect("the job is still there"),
            expected
        );
    }
}

/// GIVEN photos, codes and a job made from a copy of the event read before its expiry
/// changed (an uploads call, a new code or a derivative request racing a PATCH),
/// WHEN they are inserted after the change, whether it extended or shortened the expiry,
/// THEN they are stored with the event's current expiry: none is left to vanish at the old
/// time or to outlive its event.
pub async fn child_inserted_after_an_expiry_change_takes_the_events_expiry(catalog: &dyn Catalog) {
    for shift in [60 * DAY, -DAY] {
        let read_before = insert_live_event(catalog).await;
        let changed = read_before.expires_at.plus_secs(shift);
        change_expiry(catalog, &read_before, changed).await;
        let children = insert_children(catalog, &read_before).await;
        assert!(
            children.photos.iter().all(|p| p.expires_at != changed),
            "the rows were made with the old expiry"
        );
        assert_children_expire_at(catalog, &children, changed).await;
    }
}

/// GIVEN an event with photos, access codes (one with its own earlier expiry) and a job,
/// WHEN its expiry is extended,
/// THEN every child reads and lists with the new `expires_at`, and nothing else of it
/// changes (not its `version`, not a code's `valid_until`); another event's children keep
/// theirs. Reads treat a row past its own `expires_at` as gone (see
/// `expired_photos_are_not_found_and_skipped_in_lists`), so a child left with the old one
/// would vanish at the old time while its event lives on.
pub async fn extending_event_expiry_keeps_its_photos_codes_and_jobs(catalog: &dyn Catalog) {
    let event = insert_live_event(catalog).await;
    let other = insert_live_event(catalog).await;
    let children = insert_children(catalog, &event).await;
    let others = insert_children(catalog, &other).await;

    let later = event.expires_at.plus_secs(90 * DAY);
    change_expiry(catalog, &event, later).await;

    assert_children_expire_at(catalog, &children, later).await;
    assert_children_expire_at(catalog, &others, other.expires_at).await;
}

/// Bringing the expiry forward brings the children's with it: none outlives its event. A
/// code keeps its own `valid_until`, whether before or after the new event expiry.
pub async fn shortening_event_expiry_shortens_its_children(catalog: &dyn Catalog) {
    let event = insert_live_event(catalog).await;
    let mut children = insert_children(catalog, &event).await;
    let mut outliving = new_code(&event, 3, now());
    outliving.valid_until = Some(future());
    catalog.insert_code(&outliving).await.expect("code");
    children.codes.push(outliving);

    let sooner = now().plus_secs(2 * DAY);
    let updated = change_expiry(catalog, &event, sooner).await;
    assert_children_expire_at(catalog, &children, sooner).await;

    // And once more, from the new version.
    let sooner_still = now().plus_secs(DAY + HOUR);
    change_expiry(catalog, &updated, sooner_still).await;
    assert_children_expire_at(catalog, &children, sooner_still).await;
}

/// An expiry in the past expires the event at once (PATCH event): its children are gone with
/// it, not found and not listed, before the reaper deletes anything.
pub async fn expiring_an_event_at_once_ends_its_children(catalog: &dyn Catalog) {
    let event = insert_live_event(catalog).await;
    let children = insert_children(catalog, &event).await;

    change_expiry(catalog, &event, past()).await;

    expect_err!(catalog.get_event(event.event_id).await, Expired);
    for photo in &children.photos {
        expect_err!(
            catalog.get_photo(event.event_id, photo.photo_id).await,
            NotFound
        );
    }
    let listed = catalog
        .list_photos(
            event.event_id,
            &PhotoQuery::default(),
            &PageRequest::first(50),
        )
        .await
        .expect("list photos");
    assert!(listed.items.is_empty(), "photos of an expired event listed");
    let digests: Vec<_> = children.photos.iter().map(|p| p.sha256.clone()).collect();
    assert!(
        catalog
            .find_photos_by_sha256(event.event_id, &digests)
            .await
            .expect("by digest")
            .is_empty()
    );
    for code in &children.codes {
        expect_err!(
            catalog.get_code(event.event_id, &code.code_key).await,
            NotFound
        );
    }
    let codes = catalog
        .list_codes(event.event_id, &PageRequest::first(50))
        .await
        .expect("list codes");
    assert!(codes.items.is_empty(), "codes of an expired event listed");
    for job in &children.jobs {
        expect_err!(catalog.get_job(event.event_id, job.job_id).await, NotFound);
    }
}

/// An expiry change reaches every photo of a large event (250: several pages of any
/// adapter's internal reads), both ways.
pub async fn event_expiry_change_reaches_every_photo_across_pages(catalog: &dyn Catalog) {
    let event = insert_live_event(catalog).await;
    let photos = photos_of(&event, 250);
    catalog.insert_photos(&photos).await.expect("insert");

    for expires_at in [future().plus_secs(60 * DAY), now().plus_secs(3 * DAY)] {
        let current = catalog.get_event(event.event_id).await.expect("event");
        change_expiry(catalog, &current, expires_at).await;
        let listed = list_all_photos(catalog, event.event_id, PhotoQuery::default(), 100).await;
        assert_each_once(&ids(&listed, |p| p.photo_id), &ids(&photos, |p| p.photo_id));
        let stale: Vec<_> = listed
            .iter()
            .filter(|p| p.expires_at != expires_at)
            .map(|p| p.photo_id)
            .collect();
        assert!(
            stale.is_empty(),
            "{} of 250 photos kept another expiry",
            stale.len()
        );
    }
}

/// Children already past their own `expires_at` are gone: extending their event does not
/// bring them back.
pub async fn event_expiry_change_does_not_revive_expired_children(catalog: &dyn Catalog) {
    let event = insert_live_event(catalog).await;
    let live = new_photo(&event, 1);
    let mut gone_photo = new_photo(&event, 2);
    gone_photo.expires_at = past();
    catalog
        .insert_photos(&[live.clone(), gone_photo.clone()])
        .await
        .expect("photos");
    let mut gone_code = new_code(&event, 1, now());
    gone_code.expires_at = past();
    catalog.insert_code(&gone_code).await.expect("code");
    let mut gone_job = new_job(&event);
    gone_job.expires_at = past();
    catalog.insert_job(&gone_job).await.expect("job");

    let later = event.expires_at.plus_secs(DAY);
    change_expiry(catalog, &event, later).await;

    expect_err!(
        catalog.get_photo(event.event_id, gone_photo.photo_id).await,
        NotFound
    );
    let listed = list_all_photos(catalog, event.event_id, PhotoQuery::default(), 10).await;
    assert_eq!(ids(&listed, |p| p.photo_id), vec![live.photo_id]);
    assert_eq!(listed[0].expires_at, later);
    expect_err!(
        catalog.get_code(event.event_id, &gone_code.code_key).await,
        NotFound
    );
    expect_err!(
        catalog.get_job(event.event_id, gone_job.job_id).await,
        NotFound
    );
}

/// A photo, code or job updated from a copy read before its event's expiry changed keeps
/// the new expiry (the copy's old one is not written back), and the update succeeds: the
/// expiry change leaves versions alone, so it neither makes a processor's write conflict
/// nor is undone by it.
pub async fn child_update_from_before_an_expiry_change_keeps_the_new_expiry(catalog: &dyn Catalog) {
    let event = insert_live_event(catalog).await;
    let children = insert_children(catalog, &event).await;
    let later = event.expires_at.plus_secs(30 * DAY);
    change_expiry(catalog, &event, later).await;

    let mut photo = children.photos[0].clone();
    photo.status = PhotoStatus::Processing;
    photo.attempts = 1;
    let updated = catalog.update_photo(&photo).await.expect("update photo");
    assert_eq!(updated.version, photo.version + 1);
    assert_eq!(updated.status, PhotoStatus::Processing);
    assert_eq!(updated.expires_at, later);
    assert_eq!(
        catalog
            .get_photo(event.event_id, photo.photo_id)
            .await
            .expect("get photo"),
        updated
    );

    let mut code = children.codes[1].clone();
    code.label = "Relabelled".to_owned();
    code.valid_until = Some(now().plus_secs(2 * DAY));
    let updated = catalog.update_code(&code).await.expect("update code");
    assert_eq!(updated.version, code.version + 1);
    assert_eq!(updated.label, "Relabelled");
    assert_eq!(
        updated.valid_until, code.valid_until,
        "a code's own expiry is the caller's"
    );
    assert_eq!(updated.expires_at, later);
    assert_eq!(
        catalog
            .get_code(event.event_id, &code.code_key)
            .await
            .expect("get code"),
        updated
    );

    let mut job = children.jobs[0].clone();
    job.state = JobState::Running;
    let updated = catalog.update_job(&job).await.expect("update job");
    assert_eq!(updated.version, job.version + 1);
    assert_eq!(updated.expires_at, later);
    assert_eq!(
        catalog
            .get_job(event.event_id, job.job_id)
            .await
            .expect("get job"),
        updated
    );
}

/// The photo counter moves by `delta` and reports the new count; reaching the limit is fine.
pub async fn add_photo_count_adds_and_subtracts_within_bounds(catalog: &dyn Catalog) {
    let event = insert_live_event(catalog).await;
    assert_eq!(
        catalog
            .add_photo_count(event.event_id, 7, 10)
            .await
            .expect("add"),
        7
    );
    assert_eq!(
        catalog
            .add_photo_count(event.event_id, 3, 10)
            .await
            .expect("up to the limit"),
        10
    );
    assert_eq!(
        catalog
            .add_photo_count(event.event_id, -4, 10)
            .await
            .expect("subtract"),
        6
    );
    let stored = catalog.get_event(event.event_id).await.expect("get");
    assert_eq!(stored.photo_count, 6);
    assert_eq!(
        stored.version, event.version,
        "counting photos must not make concurrent event edits conflict"
    );
}

/// Going over the limit is `TooLarge` (`event_photo_limit`) and leaves the count alone.
pub async fn add_photo_count_over_limit_is_too_large_and_unchanged(catalog: &dyn Catalog) {
    let event = insert_live_event(catalog).await;
    catalog
        .add_photo_count(event.event_id, 8, 10)
        .await
        .expect("add");
    let err = expect_err!(
        catalog.add_photo_count(event.event_id, 3, 10).await,
        TooLarge
    );
    assert_eq!(err.code(), "event_photo_limit");
    assert_eq!(
        catalog
            .get_event(event.event_id)
            .await
            .expect("get")
            .photo_count,
        8
    );
}

/// Going below zero fails and leaves the count alone.
pub async fn add_photo_count_below_zero_fails_and_is_unchanged(catalog: &dyn Catalog) {
    let event = insert_live_event(catalog).await;
    catalog
        .add_photo_count(event.event_id, 2, 10)
        .await
        .expect("add");
    assert!(
        catalog
            .add_photo_count(event.event_id, -3, 10)
            .await
            .is_err(),
        "count went below zero"
    );
    assert_eq!(
        catalog
            .get_event(event.event_id)
            .await
            .expect("get")
            .photo_count,
        2
    );
}

/// Counting photos of an unknown event is `NotFound` and creates nothing.
pub async fn add_photo_count_of_missing_event_is_not_found(catalog: &dyn Catalog) {
    let id = EventId::generate();
    expect_err!(catalog.add_photo_count(id, 1, 10).await, NotFound);
    expect_err!(catalog.get_event(id).await, NotFound);
}

/// Deleting an event removes its photos, codes and jobs, and nothing of another event.
pub async fn delete_event_removes_photos_codes_and_jobs(catalog: &dyn Catalog) {
    let event = insert_live_event(catalog).await;
    let other = insert_live_event(catalog).await;
    let photos = photos_of(&event, 5);
    catalog.insert_photos(&photos).await.expect("photos");
    let code = new_code(&event, 1, now());
    catalog.insert_code(&code).await.expect("code");
    let job = new_job(&event);
    catalog.insert_job(&job).await.expect("job");
    let other_photo = new_photo(&other, 1);
    catalog
        .insert_photos(std::slice::from_ref(&other_photo))
        .await
        .expect("other photo");
    let other_code = new_code(&other, 1, now());
    catalog.insert_code(&other_code).await.expect("other code");
    let other_job = new_job(&other);
    catalog.insert_job(&other_job).await.expect("other job");

    catalog
        .delete_event(event.event_id, None)
        .await
        .expect("delete");

    expect_err!(catalog.get_event(event.event_id).await, NotFound);
    for photo in &photos {
        expect_err!(
            catalog.get_photo(event.event_id, photo.photo_id).await,
            NotFound
        );
    }
    let listed = catalog
        .list_photos(
            event.event_id,
            &PhotoQuery::default(),
            &PageRequest::first(50),
        )
        .await
        .expect("list");
    assert!(listed.items.is_empty());
    let found = catalog
        .find_photos_by_sha256(event.event_id, &[sha_of(1)])
        .await
        .expect("by sha");
    assert!(found.is_empty());
    expect_err!(
        catalog.get_code(event.event_id, &code.code_key).await,
        NotFound
    );
    let codes = catalog
        .list_codes(event.event_id, &PageRequest::first(50))
        .await
        .expect("codes");
    assert!(codes.items.is_empty());
    expect_err!(catalog.get_job(event.event_id, job.job_id).await, NotFound);

    assert_eq!(
        catalog
            .get_photo(other.event_id, other_photo.photo_id)
            .await
            .expect("other photo stays"),
        other_photo
    );
    catalog
        .get_code(other.event_id, &other_code.code_key)
        .await
        .expect("other code stays");
    catalog
        .get_job(other.event_id, other_job.job_id)
        .await
        .expect("other job stays");
    catalog
        .get_event(other.event_id)
        .await
        .expect("other event stays");
}

/// Deleting an event that does not exist succeeds (twice, too).
pub async fn delete_of_missing_event_is_not_an_error(catalog: &dyn Catalog) {
    let id = EventId::generate();
    catalog.delete_event(id, None).await.expect("missing");
    let event = insert_live_event(catalog).await;
    catalog
        .delete_event(event.event_id, None)
        .await
        .expect("delete");
    catalog
        .delete_event(event.event_id, None)
        .await
        .expect("delete again");
}

/// The reaper's list holds every expired event exactly once across pages, and no live one.
pub async fn list_expired_events_pages_through_expired_events_only(catalog: &dyn Catalog) {
    let me = owner();
    let mut expired = HashSet::new();
    for i in 0..7 {
        let event = new_event(
            &me,
            &format!("old-{i}"),
            now().plus_secs(-3 * DAY),
            now().plus_secs(-DAY + i * 60),
        );
        insert_event(catalog, &event).await;
        expired.insert(event.event_id);
    }
    let live = insert_live_event(catalog).await;
    let got = collect_pages(3, Pages::MayBeShort, |page| async move {
        catalog.list_expired_events(now(), &page).await
    })
    .await;
    let got_ids = ids(&got, |e| e.event_id);
    let unique: HashSet<_> = got_ids.iter().copied().collect();
    assert_eq!(unique.len(), got_ids.len(), "an event was listed twice");
    assert!(
        expired.is_subset(&unique),
        "an expired event is missing from the reaper's list"
    );
    assert!(!unique.contains(&live.event_id), "a live event was listed");
    let cutoff = now();
    assert!(got.iter().all(|e| e.expires_at.has_passed(cutoff)));

    // At an earlier `now` the same events are not yet expired.
    let earlier = collect_pages(50, Pages::MayBeShort, |page| async move {
        catalog
            .list_expired_events(now().plus_secs(-2 * DAY), &page)
            .await
    })
    .await;
    assert!(earlier.iter().all(|e| !expired.contains(&e.event_id)));
}

// --- photos --------------------------------------------------------------------------------

/// A photo reads back exactly as written, every optional field included.
pub async fn photo_round_trips(catalog: &dyn Catalog) {
    let event = insert_live_event(catalog).await;
    let mut photo = with_taken(new_photo(&event, 1), Some(now().plus_secs(-DAY)));
    photo.upload = UploadKind::Multipart {
        upload_id: "upload-1".to_owned(),
        part_bytes: 8 << 20,
    };
    photo.attempts = 2;
    photo.processing_until = Some(now());
    let mut failed = new_photo(&event, 2);
    failed.status = PhotoStatus::Failed;
    failed.failure = Some(PhotoFailure {
        code: "not_an_image".to_owned(),
        message: "That file is not an image.".to_owned(),
    });
    catalog
        .insert_photos(&[photo.clone(), failed.clone()])
        .await
        .expect("insert");
    assert_eq!(
        catalog
            .get_photo(event.event_id, photo.photo_id)
            .await
            .expect("get"),
        photo
    );
    assert_eq!(
        catalog
            .get_photo(event.event_id, failed.photo_id)
            .await
            .expect("get failed"),
        failed
    );
    // Photos live under their event only.
    let other = insert_live_event(catalog).await;
    expect_err!(
        catalog.get_photo(other.event_id, photo.photo_id).await,
        NotFound
    );
    catalog.insert_photos(&[]).await.expect("empty batch");
}

/// Registering a photo id that exists is `Conflict`, and the stored photo is unchanged.
pub async fn insert_photos_with_an_existing_id_conflicts(catalog: &dyn Catalog) {
    let event = insert_live_event(catalog).await;
    let photo = new_photo(&event, 1);
    catalog
        .insert_photos(std::slice::from_ref(&photo))
        .await
        .expect("insert");
    let mut dup = photo.clone();
    dup.filename = "other.jpg".to_owned();
    let fresh = new_photo(&event, 2);
    expect_err!(catalog.insert_photos(&[fresh, dup]).await, Conflict);
    assert_eq!(
        catalog
            .get_photo(event.event_id, photo.photo_id)
            .await
            .expect("get"),
        photo
    );
}

/// 500 photos registered in one call are all there.
pub async fn insert_photos_registers_500_in_one_call(catalog: &dyn Catalog) {
    let event = insert_live_event(catalog).await;
    let photos = photos_of(&event, 500);
    catalog.insert_photos(&photos).await.expect("insert 500");
    let listed = list_all_photos(catalog, event.event_id, PhotoQuery::default(), 200).await;
    assert_each_once(&ids(&listed, |p| p.photo_id), &ids(&photos, |p| p.photo_id));
    assert_eq!(listed[499], photos[499]);
}

/// An unknown photo is `NotFound`.
pub async fn missing_photo_is_not_found(catalog: &dyn Catalog) {
    let event = insert_live_event(catalog).await;
    expect_err!(
        catalog.get_photo(event.event_id, PhotoId::generate()).await,
        NotFound
    );
    expect_err!(
        catalog
            .get_photo(EventId::generate(), PhotoId::generate())
            .await,
        NotFound
    );
}

/// 250 photos at 100 per page: three pages (100, 100, 50), every photo exactly once, in
/// upload order.
pub async fn photos_page_across_several_pages_each_exactly_once(catalog: &dyn Catalog) {
    let event = insert_live_event(catalog).await;
    let photos = photos_of(&event, 250);
    catalog.insert_photos(&photos).await.expect("insert");
    // Another event's photos must not leak into this list.
    let other = insert_live_event(catalog).await;
    catalog
        .insert_photos(&[new_photo(&other, 1)])
        .await
        .expect("other");

    let query = PhotoQuery::default();
    let first = catalog
        .list_photos(event.event_id, &query, &PageRequest::first(100))
        .await
        .expect("page 1");
    assert_eq!(first.items.len(), 100);
    let listed = list_all_photos(catalog, event.event_id, query, 100).await;
    assert_each_once(&ids(&listed, |p| p.photo_id), &ids(&photos, |p| p.photo_id));
    assert_eq!(
        listed, photos,
        "listed rows differ from the registered ones"
    );
}

/// Sorted by capture time: ascending, ties by photo id, photos without a time last, each
/// exactly once across pages.
pub async fn photos_by_taken_time_missing_last_ties_by_id_each_exactly_once(catalog: &dyn Catalog) {
    let event = insert_live_event(catalog).await;
    let base = now().plus_secs(-5 * DAY);
    let photos: Vec<_> = (0..250)
        .map(|n| {
            // Reverse-ish capture order with many ties; every 7th photo has no time, and
            // every 11th has metadata-less rows (still pending).
            let taken = (n % 7 != 0).then(|| base.plus_secs(((250 - n) / 3) as i64 * 10));
            if n % 11 == 0 {
                new_photo(&event, n)
            } else {
                with_taken(new_photo(&event, n), taken)
            }
        })
        .collect();
    catalog.insert_photos(&photos).await.expect("insert");
    let mut expected = photos.clone();
    expected.sort_by_key(|p| (p.taken_at().is_none(), p.taken_at(), p.photo_id));

    let query = PhotoQuery {
        status: None,
        sort: PhotoSort::Taken,
    };
    let listed = list_all_photos(catalog, event.event_id, query, 100).await;
    assert_each_once(
        &ids(&listed, |p| p.photo_id),
        &ids(&expected, |p| p.photo_id),
    );
}

fn status_for(n: usize) -> PhotoStatus {
    match n % 5 {
        0 | 3 => PhotoStatus::Ready,
        1 => PhotoStatus::Pending,
        2 => PhotoStatus::Failed,
        _ => PhotoStatus::Processing,
    }
}

/// A status filter still fills every page but the last, and lists each match exactly once.
pub async fn photos_status_filter_returns_full_pages_each_exactly_once(catalog: &dyn Catalog) {
    let event = insert_live_event(catalog).await;
    let photos = by_id(
        (0..250)
            .map(|n| {
                let mut p = new_photo(&event, n);
                p.status = status_for(n);
                p
            })
            .collect(),
    );
    catalog.insert_photos(&photos).await.expect("insert");
    for status in [PhotoStatus::Ready, PhotoStatus::Failed] {
        let expected: Vec<_> = photos
            .iter()
            .filter(|p| p.status == status)
            .map(|p| p.photo_id)
            .collect();
        let query = PhotoQuery {
            status: Some(status),
            sort: PhotoSort::Uploaded,
        };
        let listed = list_all_photos(catalog, event.event_id, query, 30).await;
        assert!(listed.iter().all(|p| p.status == status));
        assert_each_once(&ids(&listed, |p| p.photo_id), &expected);
    }
}

/// A status filter combined with capture-time order.
pub async fn photos_status_filter_with_taken_sort_each_exactly_once(catalog: &dyn Catalog) {
    let event = insert_live_event(catalog).await;
    let base = now().plus_secs(-5 * DAY);
    let photos: Vec<_> = (0..120)
        .map(|n| {
            let taken = (n % 4 != 0).then(|| base.plus_secs(((n * 37) % 50) as i64));
            let mut p = with_taken(new_photo(&event, n), taken);
            p.status = status_for(n);
            p
        })
        .collect();
    catalog.insert_photos(&photos).await.expect("insert");
    let mut expected: Vec<_> = photos
        .iter()
        .filter(|p| p.status == PhotoStatus::Ready)
        .collect();
    expected.sort_by_key(|p| (p.taken_at().is_none(), p.taken_at(), p.photo_id));
    let query = PhotoQuery {
        status: Some(PhotoStatus::Ready),
        sort: PhotoSort::Taken,
    };
    let listed = list_all_photos(catalog, event.event_id, query, 10).await;
    assert_each_once(
        &ids(&listed, |p| p.photo_id),
        &ids(&expected, |p| p.photo_id),
    );
}

/// An event without photos lists an empty last page, in every order and filter.
pub async fn photos_of_an_empty_event_are_an_empty_page(catalog: &dyn Catalog) {
    let event = insert_live_event(catalog).await;
    for query in [
        PhotoQuery::default(),
        PhotoQuery {
            status: Some(PhotoStatus::Ready),
            sort: PhotoSort::Taken,
        },
    ] {
        let page = catalog
            .list_photos(event.event_id, &query, &PageRequest::first(10))
            .await
            .expect("list");
        assert!(page.items.is_empty());
        assert!(page.next.is_none());
    }
}

/// Photos are found by any of several digests, only within their event.
pub async fn find_photos_by_sha256_matches_only_that_event(catalog: &dyn Catalog) {
    let event = insert_live_event(catalog).await;
    let other = insert_live_event(catalog).await;
    let photos = photos_of(&event, 6);
    catalog.insert_photos(&photos).await.expect("insert");
    // The same content twice in the event, and once in another event.
    let twin = new_photo(&event, 2);
    let elsewhere = new_photo(&other, 3);
    catalog
        .insert_photos(&[twin.clone(), elsewhere])
        .await
        .expect("insert twins");

    let mut found = catalog
        .find_photos_by_sha256(event.event_id, &[sha_of(2), sha_of(3), sha_of(99)])
        .await
        .expect("find");
    found.sort_by_key(|p| p.photo_id);
    let mut expected: Vec<_> = photos
        .iter()
        .filter(|p| p.sha256 == sha_of(2) || p.sha256 == sha_of(3))
        .cloned()
        .chain([twin])
        .collect();
    assert_eq!(expected.len(), 3);
    expected.sort_by_key(|p| p.photo_id);
    assert_eq!(found, expected);
    assert!(
        catalog
            .find_photos_by_sha256(event.event_id, &[])
            .await
            .expect("no digests")
            .is_empty()
    );
    assert!(
        catalog
            .find_photos_by_sha256(event.event_id, &[sha_of(77)])
            .await
            .expect("unknown digest")
            .is_empty()
    );
}

/// An update with the current version is stored, with the version bumped.
pub async fn update_photo_with_fresh_version_increments_it(catalog: &dyn Catalog) {
    let event = insert_live_event(catalog).await;
    let photo = new_photo(&event, 1);
    catalog
        .insert_photos(std::slice::from_ref(&photo))
        .await
        .expect("insert");
    let mut change = with_taken(photo.clone(), Some(now().plus_secs(-DAY)));
    change.attempts = 1;
    let updated = catalog.update_photo(&change).await.expect("update");
    assert_eq!(updated.version, photo.version + 1);
    assert_eq!(updated.status, PhotoStatus::Ready);
    assert_eq!(updated.metadata, change.metadata);
    assert_eq!(
        catalog
            .get_photo(event.event_id, photo.photo_id)
            .await
            .expect("get"),
        updated
    );
    // The new status and capture time are what lists filter and sort by.
    let ready = catalog
        .list_photos(
            event.event_id,
            &PhotoQuery {
                status: Some(PhotoStatus::Ready),
                sort: PhotoSort::Taken,
            },
            &PageRequest::first(10),
        )
        .await
        .expect("list ready");
    assert_eq!(ready.items, vec![updated]);
    let pending = catalog
        .list_photos(
            event.event_id,
            &PhotoQuery {
                status: Some(PhotoStatus::Pending),
                sort: PhotoSort::Uploaded,
            },
            &PageRequest::first(10),
        )
        .await
        .expect("list pending");
    assert!(pending.items.is_empty());
}

/// An update carrying an old version is `Conflict` and changes nothing.
pub async fn update_photo_with_stale_version_conflicts(catalog: &dyn Catalog) {
    let event = insert_live_event(catalog).await;
    let photo = new_photo(&event, 1);
    catalog
        .insert_photos(std::slice::from_ref(&photo))
        .await
        .expect("insert");
    let mut first = photo.clone();
    first.status = PhotoStatus::Processing;
    let stored = catalog.update_photo(&first).await.expect("first");
    let mut stale = photo.clone();
    stale.status = PhotoStatus::Failed;
    expect_err!(catalog.update_photo(&stale).await, Conflict);
    assert_eq!(
        catalog
            .get_photo(event.event_id, photo.photo_id)
            .await
            .expect("get"),
        stored
    );
}

/// Two writers with the same version race: exactly one wins, the other is `Conflict`.
pub async fn update_photo_racing_writers_exactly_one_wins(catalog: &dyn Catalog) {
    let event = insert_live_event(catalog).await;
    let photos = photos_of(&event, 8);
    catalog.insert_photos(&photos).await.expect("insert");
    for photo in &photos {
        let mut a = photo.clone();
        a.status = PhotoStatus::Processing;
        a.attempts = 1;
        let mut b = photo.clone();
        b.status = PhotoStatus::Processing;
        b.attempts = 2;
        let (ra, rb) = futures::join!(catalog.update_photo(&a), catalog.update_photo(&b));
        let winner = match (ra, rb) {
            (Ok(won), Err(lost)) | (Err(lost), Ok(won)) => {
                assert!(matches!(lost, Error::Conflict { .. }), "loser got {lost:?}");
                won
            }
            (Ok(_), Ok(_)) => panic!("both racing writers won"),
            (Err(ea), Err(eb)) => panic!("both racing writers lost: {ea:?} / {eb:?}"),
        };
        assert_eq!(winner.version, photo.version + 1);
        assert_eq!(
            catalog
                .get_photo(event.event_id, photo.photo_id)
                .await
                .expect("get"),
            winner
        );
    }
}

/// Updating a photo that does not exist is `NotFound` and does not create it.
pub async fn update_of_missing_photo_is_not_found(catalog: &dyn Catalog) {
    let event = insert_live_event(catalog).await;
    let photo = new_photo(&event, 1);
    expect_err!(catalog.update_photo(&photo).await, NotFound);
    expect_err!(
        catalog.get_photo(event.event_id, photo.photo_id).await,
        NotFound
    );
}

/// Photo rows past their `expires_at` are `NotFound`, cannot be updated, and no list or
/// digest lookup returns them.
pub async fn expired_photos_are_not_found_and_skipped_in_lists(catalog: &dyn Catalog) {
    let event = insert_live_event(catalog).await;
    let photos = by_id(
        (0..30)
            .map(|n| {
                let mut p = with_taken(new_photo(&event, n), Some(now().plus_secs(-(n as i64))));
                if n % 3 == 1 {
                    p.expires_at = past();
                }
                p
            })
            .collect(),
    );
    catalog.insert_photos(&photos).await.expect("insert");
    let (gone, live): (Vec<_>, Vec<_>) = photos
        .iter()
        .partition(|p| p.expires_at != event.expires_at);
    assert_eq!(gone.len(), 10);

    for photo in &gone {
        expect_err!(
            catalog.get_photo(event.event_id, photo.photo_id).await,
            NotFound
        );
    }
    expect_err!(catalog.update_photo(gone[0]).await, NotFound);

    let listed = list_all_photos(catalog, event.event_id, PhotoQuery::default(), 7).await;
    assert_each_once(&ids(&listed, |p| p.photo_id), &ids(&live, |p| p.photo_id));
    let by_taken = list_all_photos(
        catalog,
        event.event_id,
        PhotoQuery {
            status: Some(PhotoStatus::Ready),
            sort: PhotoSort::Taken,
        },
        7,
    )
    .await;
    let mut expected = live.clone();
    expected.sort_by_key(|p| (p.taken_at(), p.photo_id));
    assert_each_once(
        &ids(&by_taken, |p| p.photo_id),
        &ids(&expected, |p| p.photo_id),
    );
    let digests: Vec<_> = gone.iter().map(|p| p.sha256.clone()).collect();
    assert!(
        catalog
            .find_photos_by_sha256(event.event_id, &digests)
            .await
            .expect("find")
            .is_empty(),
        "expired photos found by digest"
    );
}

/// Deleting a photo removes only it; deleting it again is fine.
pub async fn delete_photo_removes_it_and_is_idempotent(catalog: &dyn Catalog) {
    let event = insert_live_event(catalog).await;
    let photos = photos_of(&event, 3);
    catalog.insert_photos(&photos).await.expect("insert");
    catalog
        .delete_photo(event.event_id, photos[1].photo_id)
        .await
        .expect("delete");
    expect_err!(
        catalog.get_photo(event.event_id, photos[1].photo_id).await,
        NotFound
    );
    catalog
        .delete_photo(event.event_id, photos[1].photo_id)
        .await
        .expect("delete again");
    catalog
        .delete_photo(event.event_id, PhotoId::generate())
        .await
        .expect("delete unknown");
    let listed = list_all_photos(catalog, event.event_id, PhotoQuery::default(), 10).await;
    assert_each_once(
        &ids(&listed, |p| p.photo_id),
        &[photos[0].photo_id, photos[2].photo_id],
    );
}

/// Garbage and tampered cursors are `Malformed`, never a panic or a wrong page.
pub async fn tampered_cursor_is_malformed(catalog: &dyn Catalog) {
    let event = insert_live_event(catalog).await;
    let photos = photos_of(&event, 5);
    catalog.insert_photos(&photos).await.expect("insert");
    let query = PhotoQuery::default();
    let page = catalog
        .list_photos(event.event_id, &query, &PageRequest::first(2))
        .await
        .expect("page");
    let cursor = page.next.expect("more pages");
    let text = cursor.as_str();
    let half = &text[..text.len() / 2];
    let mut appended = text.to_owned();
    appended.push('!');
    for bad in [
        "",
        "garbage",
        "%%%",
        "eyJ9",
        half,
        appended.as_str(),
        &"A".repeat(5000),
    ] {
        let req = PageRequest::after(2, Cursor::from_client(bad));
        expect_err!(
            catalog.list_photos(event.event_id, &query, &req).await,
            Malformed
        );
        expect_err!(
            catalog.list_events_by_owner(&event.owner_id, &req).await,
            Malformed
        );
        expect_err!(catalog.list_codes(event.event_id, &req).await, Malformed);
        expect_err!(catalog.list_expired_events(now(), &req).await, Malformed);
    }
}

/// A cursor issued for one list is `Malformed` on another: another event, another order,
/// another filter, another kind of list, another owner.
pub async fn cursor_from_another_list_is_malformed(catalog: &dyn Catalog) {
    let a = insert_live_event(catalog).await;
    let b = insert_live_event(catalog).await;
    for event in [&a, &b] {
        let photos: Vec<_> = (0..4)
            .map(|n| with_taken(new_photo(event, n), Some(now())))
            .collect();
        catalog.insert_photos(&photos).await.expect("insert");
        for n in 0..3 {
            catalog
                .insert_code(&new_code(event, n, now()))
                .await
                .expect("code");
        }
    }
    let uploaded = PhotoQuery::default();
    let taken = PhotoQuery {
        status: None,
        sort: PhotoSort::Taken,
    };
    let ready = PhotoQuery {
        status: Some(PhotoStatus::Ready),
        sort: PhotoSort::Uploaded,
    };
    let photo_cursor = catalog
        .list_photos(a.event_id, &uploaded, &PageRequest::first(1))
        .await
        .expect("photos of a")
        .next
        .expect("more photos");
    let code_cursor = catalog
        .list_codes(a.event_id, &PageRequest::first(1))
        .await
        .expect("codes of a")
        .next
        .expect("more codes");

    let after_photo = PageRequest::after(1, photo_cursor.clone());
    expect_err!(
        catalog
            .list_photos(b.event_id, &uploaded, &after_photo)
            .await,
        Malformed
    );
    expect_err!(
        catalog.list_photos(a.event_id, &taken, &after_photo).await,
        Malformed
    );
    expect_err!(
        catalog.list_photos(a.event_id, &ready, &after_photo).await,
        Malformed
    );
    expect_err!(
        catalog.list_codes(a.event_id, &after_photo).await,
        Malformed
    );

    let after_code = PageRequest::after(1, code_cursor);
    expect_err!(catalog.list_codes(b.event_id, &after_code).await, Malformed);
    expect_err!(
        catalog
            .list_photos(a.event_id, &uploaded, &after_code)
            .await,
        Malformed
    );

    // Events of two owners.
    let me = owner();
    for i in 0..3 {
        insert_event(
            catalog,
            &new_event(&me, &format!("s-{i}"), now().plus_secs(-i), future()),
        )
        .await;
    }
    let event_cursor = catalog
        .list_events_by_owner(&me, &PageRequest::first(1))
        .await
        .expect("events")
        .next
        .expect("more events");
    let after_event = PageRequest::after(1, event_cursor);
    expect_err!(
        catalog.list_events_by_owner(&owner(), &after_event).await,
        Malformed
    );
    expect_err!(
        catalog
            .list_photos(a.event_id, &uploaded, &after_event)
            .await,
        Malformed
    );

    // The right cursor on the right list still works.
    let next = catalog
        .list_photos(a.event_id, &uploaded, &after_photo)
        .await
        .expect("own cursor");
    assert_eq!(next.items.len(), 1);
}

// --- access codes --------------------------------------------------------------------------

/// A code reads back exactly as written.
pub async fn code_round_trips(catalog: &dyn Catalog) {
    let event = insert_live_event(catalog).await;
    let mut code = new_code(&event, 1, now());
    code.grant = Grant::Photos(vec![PhotoId::generate(), PhotoId::generate()]);
    code.valid_until = Some(future());
    catalog.insert_code(&code).await.expect("insert");
    assert_eq!(
        catalog
            .get_code(event.event_id, &code.code_key)
            .await
            .expect("get"),
        code
    );
    // Codes live under their event only.
    let other = insert_live_event(catalog).await;
    expect_err!(
        catalog.get_code(other.event_id, &code.code_key).await,
        NotFound
    );
}

/// A second code with the same key in the same event is `Conflict` (`code_exists`); the same
/// key in another event is fine.
pub async fn duplicate_code_conflicts(catalog: &dyn Catalog) {
    let event = insert_live_event(catalog).await;
    let code = new_code(&event, 1, now());
    catalog.insert_code(&code).await.expect("insert");
    let mut dup = code.clone();
    dup.label = "Impostor".to_owned();
    let err = expect_err!(catalog.insert_code(&dup).await, Conflict);
    assert_eq!(err.code(), "code_exists");
    assert_eq!(
        catalog
            .get_code(event.event_id, &code.code_key)
            .await
            .expect("get")
            .label,
        code.label
    );
    let other = insert_live_event(catalog).await;
    let mut elsewhere = code.clone();
    elsewhere.event_id = other.event_id;
    catalog
        .insert_code(&elsewhere)
        .await
        .expect("same key, other event");
}

/// Unknown codes and code rows past their `expires_at` are `NotFound`; revoked and
/// past-`valid_until` codes are still returned.
pub async fn missing_or_expired_code_is_not_found(catalog: &dyn Catalog) {
    let event = insert_live_event(catalog).await;
    expect_err!(
        catalog.get_code(event.event_id, &"f".repeat(64)).await,
        NotFound
    );
    let mut expired_row = new_code(&event, 1, now());
    expired_row.expires_at = past();
    catalog.insert_code(&expired_row).await.expect("insert");
    expect_err!(
        catalog
            .get_code(event.event_id, &expired_row.code_key)
            .await,
        NotFound
    );
    let mut lapsed = new_code(&event, 2, now());
    lapsed.valid_until = Some(past());
    lapsed.revoked_at = Some(past());
    catalog.insert_code(&lapsed).await.expect("insert lapsed");
    assert_eq!(
        catalog
            .get_code(event.event_id, &lapsed.code_key)
            .await
            .expect("lapsed and revoked codes are still returned"),
        lapsed
    );
    let listed = catalog
        .list_codes(event.event_id, &PageRequest::first(10))
        .await
        .expect("list");
    assert_eq!(listed.items, vec![lapsed], "expired code row listed");
}

/// Codes come oldest first, each once across pages, revoked ones included.
pub async fn codes_listed_oldest_first_across_pages_revoked_included(catalog: &dyn Catalog) {
    let event = insert_live_event(catalog).await;
    let base = now().plus_secs(-DAY);
    let mut codes = Vec::new();
    // Inserted out of order, with ties on created_at.
    for n in [4usize, 0, 6, 2, 1, 5, 3, 7, 8] {
        let mut code = new_code(&event, n, base.plus_secs((n / 2) as i64 * 60));
        if n % 3 == 0 {
            code.revoked_at = Some(now());
        }
        catalog.insert_code(&code).await.expect("insert");
        codes.push(code);
    }
    let other = insert_live_event(catalog).await;
    catalog
        .insert_code(&new_code(&other, 1, base))
        .await
        .expect("other event's code");

    let listed = collect_pages(2, Pages::Full, |page| async move {
        catalog.list_codes(event.event_id, &page).await
    })
    .await;
    assert_eq!(listed.len(), codes.len());
    let keys: HashSet<_> = listed.iter().map(|c| c.code_key.clone()).collect();
    assert_eq!(keys.len(), codes.len(), "a code was listed twice");
    assert!(
        listed
            .windows(2)
            .all(|w| w[0].created_at <= w[1].created_at),
        "codes not oldest first"
    );
    assert_eq!(listed.iter().filter(|c| c.revoked_at.is_some()).count(), 3);
    assert!(listed.iter().all(|c| c.event_id == event.event_id));
}

/// Code updates are conditional on `version`.
pub async fn update_code_is_conditional_on_version(catalog: &dyn Catalog) {
    let event = insert_live_event(catalog).await;
    let code = new_code(&event, 1, now());
    catalog.insert_code(&code).await.expect("insert");
    let mut revoke = code.clone();
    revoke.revoked_at = Some(now());
    let updated = catalog.update_code(&revoke).await.expect("revoke");
    assert_eq!(updated.version, code.version + 1);
    assert_eq!(updated.revoked_at, revoke.revoked_at);
    assert_eq!(
        catalog
            .get_code(event.event_id, &code.code_key)
            .await
            .expect("get"),
        updated
    );
    let mut stale = code.clone();
    stale.label = "Stale".to_owned();
    expect_err!(catalog.update_code(&stale).await, Conflict);
    let mut relabel = updated.clone();
    relabel.label = "Renamed".to_owned();
    let again = catalog.update_code(&relabel).await.expect("fresh version");
    assert_eq!(again.version, code.version + 2);
    let ghost = new_code(&event, 99, now());
    expect_err!(catalog.update_code(&ghost).await, NotFound);
}

// --- counters ------------------------------------------------------------------------------

/// A counter never incremented reads 0.
pub async fn counter_of_absent_key_is_zero(catalog: &dyn Catalog) {
    assert_eq!(
        catalog
            .get_counter(&format!("unlock/{}", unique()))
            .await
            .expect("get"),
        0
    );
}

/// The first increment opens a window ending at `window_ends`; later ones count within it
/// and keep the window.
pub async fn counter_starts_a_window_and_counts_within_it(catalog: &dyn Catalog) {
    let key = format!("unlock/{}", unique());
    let window = now().plus_secs(600);
    let first = catalog
        .increment_counter(&key, window)
        .await
        .expect("first");
    assert_eq!(first.count, 1);
    assert_eq!(first.expires_at, window);
    let later_window = window.plus_secs(600);
    let second = catalog
        .increment_counter(&key, later_window)
        .await
        .expect("second");
    assert_eq!(second.count, 2);
    assert_eq!(second.expires_at, window, "a live window must be kept");
    let third = catalog
        .increment_counter(&key, later_window)
        .await
        .expect("third");
    assert_eq!(third.count, 3);
    assert_eq!(catalog.get_counter(&key).await.expect("get"), 3);
    let other = format!("unlock/{}", unique());
    assert_eq!(catalog.get_counter(&other).await.expect("other"), 0);
}

/// A counter whose window has passed reads 0 and starts over with the new window.
pub async fn counter_past_its_window_restarts(catalog: &dyn Catalog) {
    let key = format!("unlock/{}", unique());
    let ended = past();
    for _ in 0..3 {
        catalog
            .increment_counter(&key, ended)
            .await
            .expect("increment");
    }
    // Each increment above found an expired window and restarted it.
    assert_eq!(catalog.get_counter(&key).await.expect("get"), 0);
    let window = now().plus_secs(600);
    let fresh = catalog
        .increment_counter(&key, window)
        .await
        .expect("restart");
    assert_eq!(fresh.count, 1);
    assert_eq!(fresh.expires_at, window);
    assert_eq!(catalog.get_counter(&key).await.expect("get"), 1);
}

// --- jobs ----------------------------------------------------------------------------------

/// A job reads back as written and updates are conditional on `version`.
pub async fn job_round_trips_and_updates_conditionally(catalog: &dyn Catalog) {
    let event = insert_live_event(catalog).await;
    let job = new_job(&event);
    catalog.insert_job(&job).await.expect("insert");
    assert_eq!(
        catalog
            .get_job(event.event_id, job.job_id)
            .await
            .expect("get"),
        job
    );
    let mut running = job.clone();
    running.state = JobState::Running;
    running.done = 1;
    running.items = vec![JobItem {
        photo_id: PhotoId::generate(),
        key: Some("archives/x.zip".to_owned()),
        error: None,
    }];
    running.archive = Some(ArchiveProgress {
        manifest_key: Some("archives/e/a.manifest-1.json".to_owned()),
        upload: Some(ArchiveUpload {
            upload_id: "upload-1".to_owned(),
            archive_bytes: 5_000_000_000,
            part_bytes: 8 << 20,
            part_count: 597,
            parts_done: 3,
        }),
        ready_at: None,
        failure: None,
    });
    let updated = catalog.update_job(&running).await.expect("update");
    assert_eq!(updated.version, job.version + 1);
    assert_eq!(updated.items, running.items);
    assert_eq!(updated.archive, running.archive);
    assert_eq!(
        catalog
            .get_job(event.event_id, job.job_id)
            .await
            .expect("get"),
        updated
    );
    let mut stale = job.clone();
    stale.state = JobState::Failed;
    expect_err!(catalog.update_job(&stale).await, Conflict);
    assert_eq!(
        catalog
            .get_job(event.event_id, job.job_id)
            .await
            .expect("get")
            .state,
        JobState::Running
    );
    expect_err!(catalog.update_job(&new_job(&event)).await, NotFound);
}

/// A second job with the same id is `Conflict`.
pub async fn duplicate_job_conflicts(catalog: &dyn Catalog) {
    let event = insert_live_event(catalog).await;
    let job = new_job(&event);
    catalog.insert_job(&job).await.expect("insert");
    let mut dup = job.clone();
    dup.kind = JobKind::Derivatives;
    expect_err!(catalog.insert_job(&dup).await, Conflict);
    assert_eq!(
        catalog
            .get_job(event.event_id, job.job_id)
            .await
            .expect("get")
            .kind,
        JobKind::Archive
    );
}

/// Unknown jobs and job rows past their `expires_at` are `NotFound`.
pub async fn missing_or_expired_job_is_not_found(catalog: &dyn Catalog) {
    let event = insert_live_event(catalog).await;
    expect_err!(
        catalog.get_job(event.event_id, JobId::generate()).await,
        NotFound
    );
    let mut job = new_job(&event);
    job.expires_at = past();
    catalog.insert_job(&job).await.expect("insert");
    expect_err!(catalog.get_job(event.event_id, job.job_id).await, NotFound);
    expect_err!(catalog.update_job(&job).await, NotFound);
    let other = insert_live_event(catalog).await;
    let live = new_job(&event);
    catalog.insert_job(&live).await.expect("insert live");
    expect_err!(catalog.get_job(other.event_id, live.job_id).await, NotFound);
}
