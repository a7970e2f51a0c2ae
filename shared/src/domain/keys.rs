//! Object keys. The server chooses every key; a client's file name never becomes a path.

use super::ids::{EventId, JobId, PhotoId, UserId};

/// Prefix of every original.
pub const ORIGINALS_PREFIX: &str = "originals/";

/// Prefix of every archive.
pub const ARCHIVES_PREFIX: &str = "archives/";

/// `originals/{owner_id}/{event_id}/{photo_id}`: as uploaded, never modified.
pub fn original(owner: &UserId, event: EventId, photo: PhotoId) -> String {
    format!("originals/{owner}/{event}/{photo}")
}

/// `derived/{owner_id}/{event_id}/{photo_id}/{variant}`.
pub fn derived(owner: &UserId, event: EventId, photo: PhotoId, variant: &str) -> String {
    format!("derived/{owner}/{event}/{photo}/{variant}")
}

/// Every derivative of one photo.
pub fn derived_prefix(owner: &UserId, event: EventId, photo: PhotoId) -> String {
    format!("derived/{owner}/{event}/{photo}/")
}

/// `archives/{event_id}/{archive_id}.zip`.
pub fn archive(event: EventId, archive: JobId) -> String {
    format!("archives/{event}/{archive}.zip")
}

/// Every prefix under which an event has objects (for deleting all of it).
pub fn event_prefixes(owner: &UserId, event: EventId) -> [String; 3] {
    [
        format!("originals/{owner}/{event}/"),
        format!("derived/{owner}/{event}/"),
        format!("archives/{event}/"),
    ]
}

/// Parses an original's key back into its parts; `None` for any other key.
pub fn parse_original(key: &str) -> Option<(UserId, EventId, PhotoId)> {
    let rest = key.strip_prefix(ORIGINALS_PREFIX)?;
    let mut parts = rest.split('/');
    let (owner, event, photo) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    Some((
        UserId::parse(owner).ok()?,
        EventId::parse(event).ok()?,
        PhotoId::parse(photo).ok()?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn original_keys_round_trip_and_others_are_ignored() {
        let owner = UserId::parse("8f0c2a6e-1b2c-4d5e-9f00-123456789abc").expect("uuid");
        let (e, p) = (EventId::generate(), PhotoId::generate());
        assert_eq!(
            parse_original(&original(&owner, e, p)),
            Some((owner.clone(), e, p))
        );
        assert_eq!(parse_original(&derived(&owner, e, p, "thumb")), None);
        assert_eq!(
            parse_original(&format!("{}/x", original(&owner, e, p))),
            None
        );
        assert_eq!(parse_original("originals/a/b/c"), None);
    }
}
