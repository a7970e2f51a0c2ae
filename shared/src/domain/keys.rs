//! Object keys. The server chooses every key; a client's file name never becomes a path.

use super::ids::{EventId, JobId, PhotoId, UserId};

/// Prefix of every original.
pub const ORIGINALS_PREFIX: &str = "originals/";

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

/// Prefix of every archive and the objects that describe it.
pub const ARCHIVES_PREFIX: &str = "archives/";

/// `archives/{event_id}/{archive_id}.zip`.
pub fn archive(event: EventId, archive: JobId) -> String {
    format!("archives/{event}/{archive}.zip")
}

/// `archives/{event_id}/{archive_id}.selection.json`: the photo ids a viewer picked (too
/// many for the job row).
pub fn archive_selection(event: EventId, archive: JobId) -> String {
    format!("archives/{event}/{archive}.selection.json")
}

/// `archives/{event_id}/{archive_id}.manifest-{nonce}.json`: the archive's entries. Each
/// version gets a key of its own, so a delivery that lost a race cannot overwrite the one the
/// job row names.
pub fn archive_manifest(event: EventId, archive: JobId, nonce: &str) -> String {
    format!("archives/{event}/{archive}.manifest-{nonce}.json")
}

/// The event and archive an object under `archives/` belongs to (`None` for other keys).
pub fn parse_archive_object(key: &str) -> Option<(EventId, JobId)> {
    let rest = key.strip_prefix(ARCHIVES_PREFIX)?;
    let (event, file) = rest.split_once('/')?;
    let (archive, _) = file.split_once('.')?;
    Some((EventId::parse(event).ok()?, JobId::parse(archive).ok()?))
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
    fn archive_objects_name_their_event_and_archive() {
        let (e, a) = (EventId::generate(), JobId::generate());
        for key in [
            archive(e, a),
            archive_selection(e, a),
            archive_manifest(e, a, "01J"),
        ] {
            assert_eq!(parse_archive_object(&key), Some((e, a)), "{key}");
        }
        assert_eq!(parse_archive_object(&format!("archives/{e}/nodot")), None);
        assert_eq!(parse_archive_object(&format!("archives/{e}/x.zip")), None);
        assert_eq!(parse_archive_object("originals/a/b/c"), None);
    }

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
