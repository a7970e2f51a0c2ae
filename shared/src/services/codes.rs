//! Access codes: made by the server, granting all of an event's photos or a chosen subset,
//! with an optional own expiry; editable and revocable (revoked codes stay listed).

use serde::{Deserialize, Serialize};
use tracing::info;

use crate::domain::{
    AccessCode, Caller, CodeText, EventId, Grant, Page, PageRequest, PhotoId, Timestamp,
};
use crate::error::{Error, Result};
use crate::ports::MAX_GET_PHOTOS;

use super::{Deps, at_index, owned_event};

/// Longest label.
const MAX_LABEL_CHARS: usize = 100;

/// A code as the photographer sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CodeView {
    /// The code, grouped for reading (`7KQ2-M9XD-4PZA`); also accepted in paths.
    pub code: String,
    /// A stable id of the code that does not reveal it (accepted in paths too).
    pub code_id: String,
    /// Label.
    pub label: String,
    /// Whether it grants every photo, including later uploads.
    pub all: bool,
    /// The photos it grants, when not `all`.
    pub photo_ids: Option<Vec<PhotoId>>,
    /// When it was made.
    pub created_at: Timestamp,
    /// Its own expiry, if any (the event's expiry always applies).
    pub expires_at: Option<Timestamp>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<Timestamp>,
}

/// `POST …/codes` body: `all: true` or a non-empty `photo_ids`, not both.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateCode {
    /// Label ("Bride's family"), 1–100 characters.
    pub label: String,
    /// Grant every photo.
    #[serde(default)]
    pub all: bool,
    /// Grant these photos (each must be in the event).
    #[serde(default, deserialize_with = "super::not_null")]
    pub photo_ids: Option<Vec<PhotoId>>,
    /// Own expiry, in the future.
    #[serde(default, deserialize_with = "super::not_null")]
    pub expires_at: Option<Timestamp>,
}

/// `PATCH …/codes/{code}` body: only what is present changes.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatchCode {
    /// New label.
    #[serde(default, deserialize_with = "super::not_null")]
    pub label: Option<String>,
    /// `true` to grant everything.
    #[serde(default, deserialize_with = "super::not_null")]
    pub all: Option<bool>,
    /// New subset.
    #[serde(default, deserialize_with = "super::not_null")]
    pub photo_ids: Option<Vec<PhotoId>>,
    /// New own expiry (`null` removes it).
    #[serde(default, deserialize_with = "super::present")]
    pub expires_at: Option<Option<Timestamp>>,
}

fn view(deps: &Deps, code: AccessCode) -> Result<CodeView> {
    let text = deps.vault()?.open(code.event_id, &code.sealed_code)?;
    let (all, photo_ids) = match code.grant {
        Grant::All => (true, None),
        Grant::Photos(ids) => (false, Some(ids.into_vec())),
    };
    Ok(CodeView {
        code: text.display_grouped(),
        code_id: code.code_key,
        label: code.label,
        all,
        photo_ids,
        created_at: code.created_at,
        expires_at: code.valid_until,
        revoked_at: code.revoked_at,
    })
}

fn check_label(label: &str) -> Result<String> {
    let trimmed = label.trim();
    let n = trimmed.chars().count();
    if n == 0 || n > MAX_LABEL_CHARS || trimmed.chars().any(char::is_control) {
        return Err(Error::invalid(
            "invalid_label",
            format!("label must be 1 to {MAX_LABEL_CHARS} characters"),
        ));
    }
    Ok(trimmed.to_owned())
}

fn check_valid_until(at: Option<Timestamp>, now: Timestamp) -> Result<Option<Timestamp>> {
    match at {
        Some(t) if t.has_passed(now) => Err(Error::invalid(
            "invalid_expires_at",
            "expires_at must be in the future",
        )),
        other => Ok(other),
    }
}

/// The grant `all` / `photo_ids` describe; every photo id must be in the event.
async fn grant(
    deps: &Deps,
    event_id: EventId,
    all: bool,
    photo_ids: Option<Vec<PhotoId>>,
) -> Result<Grant> {
    let invalid = |m: &str| Error::invalid("invalid_subset", m.to_owned());
    match (all, photo_ids) {
        (true, None) => Ok(Grant::All),
        (true, Some(_)) => Err(invalid("give either all: true or photo_ids, not both")),
        (false, None) => Err(invalid("give all: true or a list of photo_ids")),
        (false, Some(ids)) if ids.is_empty() => {
            Err(invalid("photo_ids must name at least one photo"))
        }
        (false, Some(ids)) => {
            if u64::try_from(ids.len()).unwrap_or(u64::MAX) > deps.limits.max_photos_per_event {
                return Err(invalid(
                    "photo_ids names more photos than an event can hold",
                ));
            }
            let mut unique = Vec::with_capacity(ids.len());
            let mut seen = std::collections::HashSet::with_capacity(ids.len());
            for id in ids {
                if seen.insert(id) {
                    unique.push(id);
                }
            }
            // Batched reads: a 20,000-photo grant is 20 calls, not 20,000.
            for (chunk_no, chunk) in unique.chunks(MAX_GET_PHOTOS).enumerate() {
                let found: std::collections::HashSet<PhotoId> = deps
                    .catalog
                    .get_photos(event_id, chunk)
                    .await?
                    .into_iter()
                    .map(|photo| photo.photo_id)
                    .collect();
                if let Some((i, photo_id)) =
                    chunk.iter().enumerate().find(|(_, id)| !found.contains(id))
                {
                    return Err(at_index(
                        "photo_ids",
                        chunk_no * MAX_GET_PHOTOS + i,
                        Error::invalid(
                            "invalid_subset",
                            format!("photo {photo_id} is not in this event"),
                        ),
                    ));
                }
            }
            Grant::photos(unique)
        }
    }
}

/// Makes a new code. The code itself is returned here and in listings (unsealed for the
/// photographer); the catalog holds only its keyed hash and its sealed form.
pub async fn create(
    deps: &Deps,
    caller: &Caller,
    event_id: EventId,
    req: CreateCode,
) -> Result<CodeView> {
    let event = owned_event(deps, &caller.user_id, event_id).await?;
    let label = check_label(&req.label)?;
    let now = Timestamp::now();
    let valid_until = check_valid_until(req.expires_at, now)?;
    let grant = grant(deps, event_id, req.all, req.photo_ids).await?;
    // 60 random bits make a collision within an event vanishingly rare; retry anyway.
    for _ in 0..3 {
        let text = CodeText::generate()?;
        let code = AccessCode {
            event_id,
            code_key: deps.vault()?.code_key(event_id, &text),
            sealed_code: deps.vault()?.seal(event_id, &text)?,
            label: label.clone(),
            grant: grant.clone(),
            created_at: now,
            valid_until,
            revoked_at: None,
            expires_at: event.expires_at,
            version: 0,
        };
        match deps.catalog.insert_code(&code).await {
            Ok(()) => {
                info!(%event_id, code_id = %code.code_key, "access code created");
                return view(deps, code);
            }
            Err(e) if e.is_conflict() => continue,
            Err(e) => return Err(e),
        }
    }
    Err(Error::internal_msg(
        "could not generate a unique access code",
    ))
}

/// The event's codes, oldest first, revoked ones included.
pub async fn list(
    deps: &Deps,
    caller: &Caller,
    event_id: EventId,
    page: &PageRequest,
) -> Result<Page<CodeView>> {
    owned_event(deps, &caller.user_id, event_id).await?;
    let page = deps.catalog.list_codes(event_id, page).await?;
    let items = page
        .items
        .into_iter()
        .map(|c| view(deps, c))
        .collect::<Result<Vec<_>>>()?;
    Ok(Page {
        items,
        next: page.next,
    })
}

/// The code a path segment names: its `code_id` (72 hex) or the code as typed (looked up
/// under every configured secret, so codes made before a rotation are found).
async fn find(
    deps: &Deps,
    caller: &Caller,
    event_id: EventId,
    segment: &str,
) -> Result<AccessCode> {
    owned_event(deps, &caller.user_id, event_id).await?;
    let not_found = || Error::not_found("code_not_found", "no such access code");
    let keys = if crate::codes_vault::is_code_key(segment) {
        vec![segment.to_ascii_lowercase()]
    } else {
        let text = CodeText::parse(segment).map_err(|_| not_found())?;
        deps.vault()?.lookup_keys(event_id, &text)
    };
    for key in keys {
        match deps.catalog.get_code(event_id, &key).await {
            Ok(code) => return Ok(code),
            Err(e) if e.is_not_found() => {}
            Err(e) => return Err(e),
        }
    }
    Err(not_found())
}

/// Changes a code's label, subset or own expiry. A revoked code cannot be changed.
pub async fn patch(
    deps: &Deps,
    caller: &Caller,
    event_id: EventId,
    segment: &str,
    req: PatchCode,
) -> Result<CodeView> {
    let mut code = find(deps, caller, event_id, segment).await?;
    if code.revoked_at.is_some() {
        return Err(Error::conflict(
            "code_revoked",
            "a revoked code cannot be changed",
        ));
    }
    if let Some(label) = &req.label {
        code.label = check_label(label)?;
    }
    if req.all.is_some() || req.photo_ids.is_some() {
        code.grant = grant(deps, event_id, req.all.unwrap_or(false), req.photo_ids).await?;
    }
    if let Some(valid_until) = req.expires_at {
        code.valid_until = check_valid_until(valid_until, Timestamp::now())?;
    }
    let code = deps.catalog.update_code(&code).await?;
    view(deps, code)
}

/// Revokes a code: viewers' tokens of it stop working at their next request. Revoking a
/// revoked code changes nothing.
pub async fn revoke(deps: &Deps, caller: &Caller, event_id: EventId, segment: &str) -> Result<()> {
    let mut code = find(deps, caller, event_id, segment).await?;
    if code.revoked_at.is_none() {
        code.revoked_at = Some(Timestamp::now());
        deps.catalog.update_code(&code).await?;
        info!(%event_id, code_id = %code.code_key, "access code revoked");
    }
    Ok(())
}
