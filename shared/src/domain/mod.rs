//! The domain: entities, identifiers, validation and the rules that need no I/O.

pub mod access_code;
pub mod caller;
pub mod client_address;
pub mod cursor;
pub mod download_name;
pub mod event;
pub mod fields;
pub mod ids;
pub mod job;
pub mod keys;
pub mod photo;
pub mod time;
pub mod user;
pub mod validate;

pub use access_code::{AccessCode, CodeText, Grant, GrantedPhotos, MAX_GRANT_PHOTOS};
pub use caller::Caller;
pub use cursor::{Cursor, Page, PageRequest};
pub use event::{Event, Gravity, TOMBSTONE_SECS, Watermark, WatermarkSource, tombstone_expired};
pub use ids::{EventId, JobId, PhotoId, UserId};
pub use job::{
    ArchiveProgress, ArchiveUpload, Job, JobFailure, JobItem, JobKind, JobMessage, JobState,
};
pub use photo::{MAX_ORIGINAL_BYTES, Photo, PhotoFailure, PhotoMetadata, PhotoStatus, UploadKind};
pub use time::Timestamp;
pub use user::{USERNAME_HOLD_SECS, User, UsernameHold};
