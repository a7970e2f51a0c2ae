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
