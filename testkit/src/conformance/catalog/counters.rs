//! Windowed counters (unlock attempts and the like).

use shared::ports::Catalog;

use super::builders::*;

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
