//! Photographers.

use serde::{Deserialize, Serialize};

use super::ids::UserId;
use super::time::Timestamp;

/// A photographer's account row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// The identity provider's subject.
    pub user_id: UserId,
    /// Unique, lowercase, URL-safe; appears in public links.
    pub username: String,
    /// Unique, lowercase.
    pub email: String,
    /// When the account was made.
    pub created_at: Timestamp,
    /// Local stack only: the password hash (PHC string). `None` for Cognito users.
    pub password_hash: Option<String>,
}

/// A username given up by a rename, still held for its former owner (see
/// `Catalog::change_username`): nobody else may take it until `until`, so an old public link
/// never opens another photographer's gallery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsernameHold {
    /// Who had the name (and may take it back).
    pub user_id: UserId,
    /// When the name is free again.
    pub until: Timestamp,
}

/// How long a username given up by a rename stays held for its former owner.
pub const USERNAME_HOLD_SECS: i64 = 30 * 86_400;
