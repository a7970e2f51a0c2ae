//! Unlocking a gallery: an access code in, a viewer token out.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};
use tracing::info;

use crate::domain::client_address::throttle_key;
use crate::domain::{AccessCode, CodeText, EventId, Timestamp};
use crate::error::{Error, Result};
use crate::telemetry::metrics::{self, Metric};
use crate::viewer_tokens::{MAX_TOKEN_SECS, ViewerClaims};

use super::super::Deps;
use super::{event_at, throttle};

/// `POST …/unlock` body.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Unlock {
    /// The code as typed (any case, spaces and dashes ignored).
    pub code: String,
}

/// A viewer token and when it stops working.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unlocked {
    /// `Authorization: Bearer` value for the gallery's other routes.
    pub token: String,
    /// No later than the code's expiry, the event's, or 12 hours from now.
    pub expires_at: Timestamp,
}

/// Checks a code typed at `addr` against the gallery at `username/slug`, throttled per
/// address and per event. Right → a viewer token; wrong → 401 `wrong_code` (429 once the
/// address is over its limit); revoked or expired → 410 (`code_revoked`, `code_expired`).
pub async fn unlock(
    deps: &Deps,
    username: &str,
    slug: &str,
    addr: IpAddr,
    req: Unlock,
) -> Result<Unlocked> {
    let event = event_at(deps, username, slug).await?;
    let now = Timestamp::now();
    let attempt = throttle::admit(
        deps.catalog.as_ref(),
        deps.limits.unlock,
        event.event_id,
        &throttle_key(addr),
        now,
    )
    .await?;
    let Some(code) = find_code(deps, event.event_id, &req.code).await? else {
        info!(event_id = %event.event_id, "wrong access code");
        let refusal = throttle::wrong(deps.catalog.as_ref(), &attempt, now).await?;
        let locked_out = u64::from(refusal.code() != "wrong_code");
        metrics::record(&[(Metric::UnlockFailures, 1), (Metric::Lockouts, locked_out)]);
        return Err(refusal);
    };
    // A revoked or expired code was typed right: it is not a guess, and says so.
    throttle::right(deps.catalog.as_ref(), &attempt, now).await?;
    usable(&code, now)?;
    let expires_at = [
        now.plus_secs(MAX_TOKEN_SECS),
        event.expires_at,
        code.valid_until.unwrap_or(event.expires_at),
    ]
    .into_iter()
    .min()
    .unwrap_or(now);
    let token = deps.viewer_tokens()?.issue(&ViewerClaims {
        event_id: event.event_id,
        code_key: code.code_key.clone(),
        expires_at,
    })?;
    info!(event_id = %event.event_id, code_id = %code.code_key, "gallery unlocked");
    Ok(Unlocked { token, expires_at })
}

/// The code `typed` names in the event, if any: looked up by its keyed hash under every
/// configured secret, and the hash compared again in constant time. Text that cannot be a
/// code is simply a wrong code.
async fn find_code(deps: &Deps, event_id: EventId, typed: &str) -> Result<Option<AccessCode>> {
    if typed.len() > 64 {
        return Ok(None);
    }
    let Ok(text) = CodeText::parse(typed) else {
        return Ok(None);
    };
    let vault = deps.vault()?;
    for key in vault.lookup_keys(event_id, &text) {
        match deps.catalog.get_code(event_id, &key).await {
            Ok(code) if vault.matches(event_id, &text, &code.code_key) => return Ok(Some(code)),
            Ok(_) => {}
            Err(e) if e.is_not_found() => {}
            Err(e) => return Err(e),
        }
    }
    Ok(None)
}

/// A code that still opens its event: not revoked (410 `code_revoked`), not past its own
/// expiry (410 `code_expired`).
pub(super) fn usable(code: &AccessCode, now: Timestamp) -> Result<()> {
    if code.revoked_at.is_some() {
        return Err(Error::expired(
            "code_revoked",
            "this access code has been revoked by the photographer",
        ));
    }
    if code.valid_until.is_some_and(|until| until.has_passed(now)) {
        return Err(Error::expired(
            "code_expired",
            "this access code has expired",
        ));
    }
    Ok(())
}
