//! The photographer API's rules: typed requests in, typed responses out, ports underneath.
//! No HTTP types here; the HTTP layer maps these to and from requests.

pub mod accounts;
pub mod codes;
pub mod deps;
pub mod derivatives;
pub mod events;
pub mod gallery;
pub mod limits;
pub mod photos;
pub mod profile;
pub mod uploads;

pub use deps::Deps;
pub use limits::{ApiLimits, UnlockLimits};

use crate::domain::{Event, EventId, UserId};
use crate::error::{Error, Result};

/// The caller's event: `NotFound` when it is another photographer's (never revealing that
/// it exists, expired or not: ownership is checked first), `Expired` (410) when the
/// caller's own event is past its expiry.
pub async fn owned_event(deps: &Deps, owner: &UserId, event_id: EventId) -> Result<Event> {
    match deps.catalog.get_event(event_id).await {
        Ok(event) if &event.owner_id == owner => Ok(event),
        Ok(_) => Err(event_not_found()),
        Err(expired @ Error::Expired { .. }) => {
            match deps.catalog.get_event_live_or_expired(event_id).await {
                Ok(event) if &event.owner_id == owner => Err(expired),
                Ok(_) => Err(event_not_found()),
                Err(e) if e.is_not_found() => Err(event_not_found()),
                Err(e) => Err(e),
            }
        }
        Err(e) => Err(e),
    }
}

/// The 404 of an event that does not exist or is not the caller's.
pub fn event_not_found() -> Error {
    Error::not_found("event_not_found", "no such event")
}

/// Re-labels a validation error of one element of a list (`files[3]: …`), keeping its class.
pub fn at_index(field: &str, index: usize, err: Error) -> Error {
    let prefix = |m: String| format!("{field}[{index}]: {m}");
    match err {
        Error::Malformed { code, message } => Error::Malformed {
            code,
            message: prefix(message),
        },
        Error::NotFound { code, message } => Error::NotFound {
            code,
            message: prefix(message),
        },
        Error::TooLarge { code, message } => Error::TooLarge {
            code,
            message: prefix(message),
        },
        Error::Unsupported { code, message } => Error::Unsupported {
            code,
            message: prefix(message),
        },
        Error::Invalid { code, message } => Error::Invalid {
            code,
            message: prefix(message),
        },
        other => other,
    }
}

pub(crate) use crate::domain::fields::{not_null, present};
