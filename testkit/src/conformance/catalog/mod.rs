//! The catalog conformance suite: every `Catalog` adapter must pass each case.
//!
//! One file per kind of row, like the adapters; [`builders`] makes the rows and [`checks`]
//! holds the assertions the cases share. Cases are adapter-neutral: they make their own
//! uniquely named rows (so a store shared between cases would not confuse them), express
//! time through explicit `expires_at` values in the past or future instead of sleeping, and
//! assert on error variants.
//!
//! A case is a `pub async fn name(catalog: &dyn Catalog)` in one of these files and must be
//! listed, under its file's name, in [`catalog_conformance!`](crate::catalog_conformance);
//! every instantiation carries a test that fails for a case written but not listed.

pub mod builders;
mod checks;
pub mod codes;
pub mod counters;
pub mod cursors;
pub mod events;
pub mod expiry;
pub mod jobs;
pub mod photo_count;
pub mod photo_lists;
pub mod photos;
pub mod users;

pub use builders::{new_photo, photos_of};

use shared::ports::Catalog;

/// What a catalog fixture hands to the cases. The fixture value owns whatever must stay
/// alive (temp files, servers) for as long as the catalog is used.
pub trait CatalogFixture {
    /// The adapter under test.
    fn catalog(&self) -> &dyn Catalog;
}

/// Instantiates every catalog case for one adapter:
/// `catalog_conformance!(sqlite, testkit::fixtures::sqlite_catalog());` expands to a module
/// `sqlite` with a module per file of cases and one `#[tokio::test]` per case, each on a
/// fresh fixture (`sqlite::photos::photo_round_trips`), plus
/// `sqlite::every_written_case_is_listed`.
///
/// `catalog_conformance!(@names)` is the same list as `["users::users_round_trip…", …]`.
#[macro_export]
macro_rules! catalog_conformance {
    ($adapter:ident, $fixture:expr) => {
        $crate::catalog_conformance!(@list [tests $adapter, $fixture]);
    };
    (@names) => {
        $crate::catalog_conformance!(@list [names])
    };
    // The one list of cases, by the file that holds them.
    (@list $how:tt) => {
        $crate::catalog_conformance! { @expand $how;
            users {
                users_round_trip_by_id_username_and_email,
                users_are_unique_by_id_username_and_email,
                missing_user_is_not_found,
                users_are_looked_up_exactly_as_given,
                change_username_renames_and_holds_the_old_name,
                a_held_username_is_taken_for_everyone_else,
                a_held_username_can_be_taken_back_by_its_owner,
                change_username_to_a_taken_name_conflicts,
                change_username_to_the_current_name_is_a_no_op,
                change_username_of_missing_user_is_not_found,
            }
            events {
                event_round_trips,
                missing_event_is_not_found,
                expired_event_answers_expired,
                events_by_owner_newest_first_across_pages_without_expired_or_foreign,
                slug_is_unique_per_owner_but_reusable_by_another_owner,
                find_event_by_path_finds_the_live_event,
                find_event_by_path_of_unknown_path_is_not_found,
                find_event_by_path_of_expired_event_finds_it_then_its_tombstone,
                tombstone_answers_expired_and_keeps_the_slug_taken,
                tombstone_is_kept_for_an_event_whose_row_is_gone,
                slug_is_free_again_after_delete_without_tombstone,
                slug_is_free_again_once_the_tombstone_has_passed,
                update_event_with_fresh_version_increments_it,
                update_event_with_stale_version_conflicts,
                update_of_missing_event_is_not_found,
                delete_event_removes_photos_codes_and_jobs,
                delete_of_missing_event_is_not_an_error,
                list_expired_events_pages_through_expired_events_only,
            }
            expiry {
                extending_event_expiry_keeps_its_photos_codes_and_jobs,
                shortening_event_expiry_shortens_its_children,
                expiring_an_event_at_once_ends_its_children,
                event_expiry_change_reaches_every_photo_across_pages,
                event_expiry_change_does_not_revive_expired_children,
                child_update_from_before_an_expiry_change_keeps_the_new_expiry,
                child_inserted_after_an_expiry_change_takes_the_events_expiry,
            }
            photo_count {
                add_photo_count_adds_and_subtracts_within_bounds,
                add_photo_count_over_limit_is_too_large_and_unchanged,
                add_photo_count_below_zero_fails_and_is_unchanged,
                add_photo_count_of_missing_event_is_not_found,
                concurrent_deletes_of_one_photo_give_its_count_back_once,
                deleting_a_missing_or_expired_photo_changes_nothing,
                a_photo_is_deleted_even_when_there_is_no_count_to_give_back,
            }
            photos {
                photo_round_trips,
                insert_photos_with_an_existing_id_conflicts,
                insert_photos_registers_500_in_one_call,
                missing_photo_is_not_found,
                update_photo_with_fresh_version_increments_it,
                update_photo_with_stale_version_conflicts,
                update_photo_racing_writers_exactly_one_wins,
                update_of_missing_photo_is_not_found,
                expired_photos_are_not_found_and_skipped_in_lists,
                delete_photo_removes_it_and_is_idempotent,
            }
            photo_lists {
                photos_page_across_several_pages_each_exactly_once,
                photos_by_taken_time_missing_last_ties_by_id_each_exactly_once,
                photos_status_filter_returns_full_pages_each_exactly_once,
                photos_status_filter_with_taken_sort_each_exactly_once,
                photos_of_an_empty_event_are_an_empty_page,
                find_photos_by_sha256_matches_only_that_event,
                get_photos_returns_those_asked_for_in_the_order_asked,
                get_photos_reads_up_to_the_limit_in_one_call,
                get_photos_over_the_limit_is_invalid,
            }
            cursors {
                tampered_cursor_is_malformed,
                cursor_from_another_list_is_malformed,
            }
            codes {
                code_round_trips,
                duplicate_code_conflicts,
                missing_or_expired_code_is_not_found,
                codes_listed_oldest_first_across_pages_revoked_included,
                update_code_is_conditional_on_version,
                codes_granting_the_most_photos_round_trip,
            }
            counters {
                counter_of_absent_key_is_zero,
                counter_starts_a_window_and_counts_within_it,
                counter_past_its_window_restarts,
            }
            jobs {
                job_round_trips_and_updates_conditionally,
                duplicate_job_conflicts,
                missing_or_expired_job_is_not_found,
            }
        }
    };
    (@expand [names]; $($file:ident { $($case:ident),* $(,)? })*) => {
        &[$($(concat!(stringify!($file), "::", stringify!($case)),)*)*]
    };
    (@expand [tests $adapter:ident, $fixture:expr]; $($file:ident { $($case:ident),* $(,)? })*) => {
        mod $adapter {
            #[allow(unused_imports)]
            use super::*;

            #[test]
            fn every_written_case_is_listed() {
                $crate::conformance::assert_every_case_listed(
                    "catalog",
                    $crate::catalog_conformance!(@names),
                );
            }

            $(
                mod $file {
                    #[allow(unused_imports)]
                    use super::*;
                    $(
                        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                        async fn $case() {
                            let fixture = $fixture.await;
                            $crate::conformance::catalog::$file::$case(
                                $crate::conformance::catalog::CatalogFixture::catalog(&fixture),
                            )
                            .await;
                        }
                    )*
                }
            )*
        }
    };
}
