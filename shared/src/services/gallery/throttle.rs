//! Unlock throttling (API.md "Throttling unlock"): per (event, client address), 10 wrong
//! codes in 15 minutes lock the address out for 15 minutes, right code or not; per event,
//! past 1,000 wrong codes in an hour, addresses that have already failed are refused too.
//! Guests behind one venue address who type their code right are never locked out: right
//! codes do not count against the address.
//!
//! Counting is atomic — increment, then compare: every attempt is counted before its code
//! is looked at, and an attempt whose count is over the limit is refused unlooked. So 32
//! concurrent wrong codes from one address get at most 10 evaluated, with no
//! check-then-act race. Wrong codes are the attempts minus the right ones.

use crate::domain::{EventId, Timestamp};
use crate::error::{Error, Result};
use crate::ports::Catalog;
use crate::services::UnlockLimits;

/// One admitted unlock attempt, counted.
#[derive(Debug, Clone)]
pub(super) struct Attempt {
    limits: UnlockLimits,
    tries_key: String,
    right_key: String,
    lock_key: String,
    event_key: String,
    /// Wrong codes of the address so far, this attempt included (until it proves right).
    wrong_so_far: u64,
}

/// Counts an attempt of the address `addr` (its throttling key) on `event_id`, and refuses
/// it (429) if the address is locked out, over its limit (which starts the lockout), or
/// has failed before while the event is flooded with wrong codes.
pub(super) async fn admit(
    catalog: &dyn Catalog,
    limits: UnlockLimits,
    event_id: EventId,
    addr: &str,
    now: Timestamp,
) -> Result<Attempt> {
    let attempt = Attempt {
        limits,
        tries_key: format!("unlock/{event_id}/tries/{addr}"),
        right_key: format!("unlock/{event_id}/right/{addr}"),
        lock_key: format!("unlock/{event_id}/lock/{addr}"),
        event_key: format!("unlock/{event_id}/wrong"),
        wrong_so_far: 0,
    };
    if catalog.get_counter(&attempt.lock_key).await? > 0 {
        return Err(locked_out(catalog, &attempt, now).await?);
    }
    let tries = catalog
        .increment_counter(
            &attempt.tries_key,
            now.plus_secs(attempt.limits.address_window_secs),
        )
        .await?;
    let right = catalog.get_counter(&attempt.right_key).await?;
    let wrong_so_far = tries.count.saturating_sub(right);
    let attempt = Attempt {
        wrong_so_far,
        ..attempt
    };
    if wrong_so_far > limits.per_address {
        return Err(locked_out(catalog, &attempt, now).await?);
    }
    if wrong_so_far > 1 && catalog.get_counter(&attempt.event_key).await? >= limits.per_event {
        return Err(throttled(
            limits.event_window_secs,
            "this gallery is receiving too many wrong codes; try again later",
        ));
    }
    Ok(attempt)
}

/// Records a wrong code and says what to answer: 401 `wrong_code`, or 429 when it was the
/// address's last allowed one (its lockout starts now).
pub(super) async fn wrong(
    catalog: &dyn Catalog,
    attempt: &Attempt,
    now: Timestamp,
) -> Result<Error> {
    catalog
        .increment_counter(
            &attempt.event_key,
            now.plus_secs(attempt.limits.event_window_secs),
        )
        .await?;
    if attempt.wrong_so_far >= attempt.limits.per_address {
        return locked_out(catalog, attempt, now).await;
    }
    Ok(Error::unauthorized(
        "wrong_code",
        "that code does not open this gallery",
    ))
}

/// Records a right code, so it does not count against the address.
pub(super) async fn right(catalog: &dyn Catalog, attempt: &Attempt, now: Timestamp) -> Result<()> {
    catalog
        .increment_counter(
            &attempt.right_key,
            now.plus_secs(attempt.limits.address_window_secs),
        )
        .await?;
    Ok(())
}

/// The 429 of a locked-out address, starting the lockout if it has not started (a live
/// lock keeps its window, so `Retry-After` counts down to its end).
async fn locked_out(catalog: &dyn Catalog, attempt: &Attempt, now: Timestamp) -> Result<Error> {
    let lock = catalog
        .increment_counter(
            &attempt.lock_key,
            now.plus_secs(attempt.limits.lockout_secs),
        )
        .await?;
    let left = lock
        .expires_at
        .epoch_secs()
        .saturating_sub(now.epoch_secs())
        .max(1);
    Ok(throttled(
        left,
        &format!(
            "too many wrong codes from your network; try again in {} minutes",
            (left + 59) / 60
        ),
    ))
}

fn throttled(retry_after_secs: i64, message: &str) -> Error {
    Error::Throttled {
        retry_after_secs: u64::try_from(retry_after_secs).unwrap_or(1),
        message: message.to_owned(),
    }
}
