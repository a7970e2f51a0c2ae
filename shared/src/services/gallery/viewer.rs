//! Who a gallery request comes from: the holder of a viewer token whose code still opens
//! the event.

use crate::domain::{AccessCode, Event, Timestamp};
use crate::error::{Error, Result};

use super::super::Deps;
use super::event_at;
use super::unlock::usable;

/// A viewer, checked for this request: the event at the path, and the code their token
/// was issued for, re-read now.
#[derive(Debug, Clone)]
pub struct Viewer {
    /// The live event.
    pub event: Event,
    /// The code, not revoked, not expired.
    pub code: AccessCode,
}

/// The viewer holding `token` on the gallery at `username/slug`. An expired event is 410
/// before anything else; no token, or one that is not ours, expired, or for another
/// gallery is 401;
/// a token whose code was revoked or expired since is 410 (`code_revoked`/`code_expired`):
/// the code is re-read on every request, so revocation takes effect at once.
pub async fn viewer(
    deps: &Deps,
    username: &str,
    slug: &str,
    token: Result<&str>,
) -> Result<Viewer> {
    let event = event_at(deps, username, slug).await?;
    let now = Timestamp::now();
    let claims = deps.viewer_tokens()?.verify(token?, now)?;
    if claims.event_id != event.event_id {
        return Err(Error::unauthorized(
            "invalid_token",
            "this viewer token is for another gallery; enter this gallery's code",
        ));
    }
    let code = match deps
        .catalog
        .get_code(event.event_id, &claims.code_key)
        .await
    {
        Ok(code) => code,
        Err(e) if e.is_not_found() => {
            return Err(Error::expired(
                "code_revoked",
                "this access code no longer exists",
            ));
        }
        Err(e) => return Err(e),
    };
    usable(&code, now)?;
    Ok(Viewer { event, code })
}
