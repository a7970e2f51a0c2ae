//! `/api/me`: the photographer's profile. A Cognito user has no row until their first
//! request; the row is made from the token's claims then.

use serde::{Deserialize, Serialize};
use tracing::info;

use crate::domain::{Caller, Timestamp, User, validate};
use crate::error::{Error, Result};

use super::Deps;

/// The profile as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Profile {
    /// JWT `sub`.
    pub user_id: String,
    /// Unique, URL-safe; the first segment of public gallery links.
    pub username: String,
    /// E-mail address.
    pub email: String,
    /// When the account row was made.
    pub created_at: Timestamp,
}

impl From<User> for Profile {
    fn from(u: User) -> Self {
        Self {
            user_id: u.user_id.to_string(),
            username: u.username,
            email: u.email,
            created_at: u.created_at,
        }
    }
}

/// `PUT /api/me` body.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetUsername {
    /// The new username.
    pub username: String,
}

/// The caller's profile, creating the row on first use.
pub async fn me(deps: &Deps, caller: &Caller) -> Result<Profile> {
    ensure_user(deps, caller).await.map(Profile::from)
}

/// Changes the caller's username; `Conflict` (`username_taken`) if another user has it.
pub async fn set_username(deps: &Deps, caller: &Caller, req: SetUsername) -> Result<Profile> {
    let username = validate::username(&req.username)?;
    ensure_user(deps, caller).await?;
    let user = deps
        .catalog
        .change_username(&caller.user_id, &username)
        .await?;
    Ok(user.into())
}

/// The caller's user row, made from the JWT claims if it does not exist yet. The token's
/// username is used when it is valid and free; otherwise one derived from `sub`.
pub async fn ensure_user(deps: &Deps, caller: &Caller) -> Result<User> {
    match deps.catalog.get_user(&caller.user_id).await {
        Err(e) if e.is_not_found() => {}
        other => return other,
    }
    let fallback_username = fallback_username(caller);
    let mut username = caller
        .username
        .as_deref()
        .and_then(|u| validate::username(u).ok())
        .unwrap_or_else(|| fallback_username.clone());
    let fallback_email = format!(
        "{}@users.picpass.invalid",
        caller.user_id.as_str().to_ascii_lowercase()
    );
    let mut email = caller
        .email
        .as_deref()
        .and_then(|e| validate::email(e).ok())
        .unwrap_or_else(|| fallback_email.clone());
    for _ in 0..3 {
        let user = User {
            user_id: caller.user_id.clone(),
            username: username.clone(),
            email: email.clone(),
            created_at: Timestamp::now(),
            password_hash: None,
        };
        match deps.catalog.insert_user(&user).await {
            Ok(()) => {
                info!(user_id = %user.user_id, username = %user.username, "user provisioned");
                return Ok(user);
            }
            Err(Error::Conflict { code, .. }) if code == "username_taken" => {
                username = fallback_username.clone();
            }
            Err(Error::Conflict { code, .. }) if code == "email_taken" => {
                email = fallback_email.clone();
            }
            // Another request of the same user made the row first.
            Err(Error::Conflict { .. }) => return deps.catalog.get_user(&caller.user_id).await,
            Err(e) => return Err(e),
        }
    }
    Err(Error::conflict(
        "username_taken",
        "could not choose a free username; set one with PUT /api/me",
    ))
}

/// `u` + the first 16 letters and digits of `sub`: unique per user, valid as a username.
fn fallback_username(caller: &Caller) -> String {
    let tail: String = caller
        .user_id
        .as_str()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(16)
        .collect::<String>()
        .to_ascii_lowercase();
    if tail.len() < 2 {
        format!("user-{}", hex::encode(caller.user_id.as_str().as_bytes()))
            .chars()
            .take(32)
            .collect()
    } else {
        format!("u{tail}")
    }
}
