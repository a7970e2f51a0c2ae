//! Viewer tokens: what a guest gets for the right access code, and shows on every gallery
//! request after.
//!
//! A token is `pv1.{key id}.{claims}.{tag}` (base64url): the claims bind one event, one
//! access code (its lookup key) and an expiry no later than the code's, the event's, or
//! [`MAX_TOKEN_SECS`] from issue; the tag is HMAC-SHA256 over everything before it, under
//! a key of its own — not the code vault's, so neither secret's leak forges the other's
//! values. The key id names the secret, so the key can rotate: tokens made with a previous
//! secret stay valid until they expire (at most 12 hours), as long as it is configured.
//!
//! A token proves only that its holder typed the code once. Whether the code still opens
//! the event (not revoked, not expired) is the gallery's to check on every use.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::domain::{EventId, Timestamp};
use crate::error::{Error, Result};

type HmacSha256 = Hmac<Sha256>;

/// The longest a viewer token lives: 12 hours, less when its code or event ends sooner.
pub const MAX_TOKEN_SECS: i64 = 12 * 60 * 60;

/// The marker and version every viewer token starts with (a photographer's JWT never does).
const PREFIX: &str = "pv1";
/// Bytes of a key id.
const KEY_ID_BYTES: usize = 4;
/// Longest token accepted before any decoding (a real one is under 300 bytes).
const MAX_TOKEN_CHARS: usize = 1024;

/// What a viewer token says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViewerClaims {
    /// The event it opens.
    #[serde(rename = "e")]
    pub event_id: EventId,
    /// The lookup key of the access code it was issued for.
    #[serde(rename = "c")]
    pub code_key: String,
    /// When it stops working.
    #[serde(rename = "x")]
    pub expires_at: Timestamp,
}

#[derive(Clone)]
struct TokenKey {
    id: [u8; KEY_ID_BYTES],
    mac: HmacSha256,
}

/// The keys viewer tokens are made and checked with: the current secret's first, then
/// previous ones (accepted, never used to issue).
#[derive(Clone)]
pub struct ViewerTokenKeys {
    keys: Vec<TokenKey>,
}

impl std::fmt::Debug for ViewerTokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ViewerTokenKeys({} secret(s))", self.keys.len())
    }
}

impl ViewerTokenKeys {
    /// Keys from the current secret and previous ones (each ≥ 32 bytes).
    pub fn from_secrets(current: &[u8], previous: &[&[u8]]) -> Result<Self> {
        let keys = std::iter::once(current)
            .chain(previous.iter().copied())
            .map(TokenKey::derive)
            .collect::<Result<Vec<_>>>()?;
        Ok(Self { keys })
    }

    /// A token carrying `claims`, under the current secret.
    pub fn issue(&self, claims: &ViewerClaims) -> Result<String> {
        let key = &self.keys[0];
        let body = serde_json::to_vec(claims).map_err(|e| Error::internal("token claims", e))?;
        let signed = format!(
            "{PREFIX}.{}.{}",
            hex::encode(key.id),
            URL_SAFE_NO_PAD.encode(body)
        );
        let tag = key.tag(signed.as_bytes());
        Ok(format!("{signed}.{}", URL_SAFE_NO_PAD.encode(tag)))
    }

    /// The claims of a token, if it is one of ours, untampered and not expired at `now`.
    /// Anything else — a photographer's JWT, garbage, a forged, foreign or expired token —
    /// is `Unauthorized` (401) with code `invalid_token` or `token_expired`.
    pub fn verify(&self, token: &str, now: Timestamp) -> Result<ViewerClaims> {
        let invalid = || {
            Error::unauthorized(
                "invalid_token",
                "this is not a valid viewer token; enter the access code again",
            )
        };
        if token.len() > MAX_TOKEN_CHARS {
            return Err(invalid());
        }
        let (signed, tag_text) = token.rsplit_once('.').ok_or_else(invalid)?;
        let mut parts = signed.split('.');
        let (Some(PREFIX), Some(id_hex), Some(body_text), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(invalid());
        };
        let mut id = [0u8; KEY_ID_BYTES];
        hex::decode_to_slice(id_hex, &mut id).map_err(|_| invalid())?;
        let key = self.keys.iter().find(|k| k.id == id).ok_or_else(invalid)?;
        let tag = URL_SAFE_NO_PAD.decode(tag_text).map_err(|_| invalid())?;
        // Constant-time comparison of the tag before anything of the body is trusted.
        let mut mac = key.mac.clone();
        mac.update(signed.as_bytes());
        mac.verify_slice(&tag).map_err(|_| invalid())?;
        let body = URL_SAFE_NO_PAD.decode(body_text).map_err(|_| invalid())?;
        let claims: ViewerClaims = serde_json::from_slice(&body).map_err(|_| invalid())?;
        if claims.expires_at.has_passed(now) {
            return Err(Error::unauthorized(
                "token_expired",
                "this viewer token has expired; enter the access code again",
            ));
        }
        Ok(claims)
    }
}

impl TokenKey {
    fn derive(secret: &[u8]) -> Result<Self> {
        if secret.len() < 32 {
            return Err(Error::internal_msg(
                "the viewer-token secret must be at least 32 bytes",
            ));
        }
        let derive = |purpose: &[u8]| -> Result<[u8; 32]> {
            let mut mac = <HmacSha256 as hmac::KeyInit>::new_from_slice(secret)
                .map_err(|e| Error::internal_msg(format!("HMAC key rejected: {e}")))?;
            mac.update(purpose);
            Ok(mac.finalize().into_bytes().into())
        };
        let id_bytes = derive(b"picpass/viewer-token/key-id/v1")?;
        let mut id = [0u8; KEY_ID_BYTES];
        id.copy_from_slice(&id_bytes[..KEY_ID_BYTES]);
        let mac =
            <HmacSha256 as hmac::KeyInit>::new_from_slice(&derive(b"picpass/viewer-token/mac/v1")?)
                .map_err(|e| Error::internal_msg(format!("HMAC key rejected: {e}")))?;
        Ok(Self { id, mac })
    }

    fn tag(&self, signed: &[u8]) -> [u8; 32] {
        let mut mac = self.mac.clone();
        mac.update(signed);
        mac.finalize().into_bytes().into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(expires_at: Timestamp) -> ViewerClaims {
        ViewerClaims {
            event_id: EventId::generate(),
            code_key: "ab".repeat(36),
            expires_at,
        }
    }

    #[test]
    fn a_token_round_trips_and_expires() {
        let keys = ViewerTokenKeys::from_secrets(&[3u8; 32], &[]).expect("keys");
        let now = Timestamp::now();
        let c = claims(now.plus_secs(60));
        let token = keys.issue(&c).expect("issue");
        assert!(token.starts_with("pv1."));
        assert_eq!(keys.verify(&token, now).expect("valid"), c);
        let err = keys.verify(&token, now.plus_secs(60)).expect_err("expired");
        assert_eq!(err.code(), "token_expired");
    }

    #[test]
    fn tampered_forged_and_foreign_tokens_are_refused() {
        let keys = ViewerTokenKeys::from_secrets(&[3u8; 32], &[]).expect("keys");
        let other = ViewerTokenKeys::from_secrets(&[4u8; 32], &[]).expect("keys");
        let now = Timestamp::now();
        let token = keys.issue(&claims(now.plus_secs(600))).expect("issue");
        let (signed, tag) = token.rsplit_once('.').expect("shape");
        let (head, body) = signed.rsplit_once('.').expect("shape");
        // Another event in the claims, with the old tag.
        let forged_body =
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims(now.plus_secs(600))).expect("json"));
        for bad in [
            format!("{head}.{forged_body}.{tag}"),
            format!("{signed}.{}", URL_SAFE_NO_PAD.encode([0u8; 32])),
            format!("{head}.{body}"),
            other.issue(&claims(now.plus_secs(600))).expect("issue"),
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln".to_owned(),
            String::new(),
            "pv1".repeat(400),
        ] {
            let err = keys.verify(&bad, now).expect_err("refused");
            assert_eq!(err.http_status(), 401, "{bad}");
            assert_eq!(err.code(), "invalid_token", "{bad}");
        }
    }

    #[test]
    fn tokens_of_a_previous_secret_stay_valid_after_a_rotation() {
        let old = ViewerTokenKeys::from_secrets(&[5u8; 32], &[]).expect("keys");
        let token = old
            .issue(&claims(Timestamp::now().plus_secs(600)))
            .expect("issue");
        let rotated = ViewerTokenKeys::from_secrets(&[6u8; 32], &[&[5u8; 32]]).expect("keys");
        rotated
            .verify(&token, Timestamp::now())
            .expect("still valid");
        let fresh = rotated
            .issue(&claims(Timestamp::now().plus_secs(600)))
            .expect("issue");
        assert!(old.verify(&fresh, Timestamp::now()).is_err(), "new secret");
        let forgot = ViewerTokenKeys::from_secrets(&[6u8; 32], &[]).expect("keys");
        assert!(forgot.verify(&token, Timestamp::now()).is_err());
    }
}
