//! Keeps access codes out of the catalog in plain text.
//!
//! A code is stored twice, neither time readable: `code_key`, a keyed hash (HMAC-SHA256 of
//! event id and canonical code) that lookups use, and `sealed_code`, the code encrypted with
//! XChaCha20-Poly1305 (the event id as associated data) so the photographer can see it
//! again. A stolen table yields neither the codes nor a way to test guesses offline.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::domain::{CodeText, EventId};
use crate::error::{Error, Result};

type HmacSha256 = Hmac<Sha256>;

const NONCE_BYTES: usize = 24;

/// The keys of one secret: a lookup key and a sealing key, and the id they are known by.
#[derive(Clone)]
struct SecretKeys {
    id: [u8; KEY_ID_BYTES],
    lookup_key: [u8; 32],
    seal_key: [u8; 32],
}

/// Bytes of a key id: enough to tell a handful of secrets apart, never to guess them.
const KEY_ID_BYTES: usize = 4;

/// The keys codes are protected with (from configuration, never from the catalog): the
/// current secret's, which protects new codes, and those of previous secrets, still
/// accepted for reading so that rotating the secret breaks no code already handed out.
///
/// Every stored value names the secret it was made with: a lookup key is
/// `{key id}{HMAC}` (72 hex digits), a sealed code `{key id}.{base64url}`.
#[derive(Clone)]
pub struct CodeVault {
    /// The current secret's keys first.
    keys: Vec<SecretKeys>,
}

impl std::fmt::Debug for CodeVault {
    // Keys stay out of logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CodeVault({} secret(s))", self.keys.len())
    }
}

impl CodeVault {
    /// Derives the keys from one secret (≥ 32 bytes), so a deployment configures one value.
    pub fn from_secret(secret: &[u8]) -> Result<Self> {
        Self::from_secrets(secret, &[])
    }

    /// The current secret and the previous ones (still read, never written with).
    pub fn from_secrets(current: &[u8], previous: &[&[u8]]) -> Result<Self> {
        let keys = std::iter::once(current)
            .chain(previous.iter().copied())
            .map(SecretKeys::derive)
            .collect::<Result<Vec<_>>>()?;
        Ok(Self { keys })
    }

    fn current(&self) -> &SecretKeys {
        // `from_secrets` always makes at least the current secret's keys.
        &self.keys[0]
    }

    /// The lookup key `code` of `event_id` is stored under when made now: the current
    /// secret's id and keyed hash, 72 lowercase hex digits.
    pub fn code_key(&self, event_id: EventId, code: &CodeText) -> String {
        self.current().code_key(event_id, code)
    }

    /// Every lookup key `code` may be stored under (the current secret's first): a viewer's
    /// code is looked up under each, so codes made before a rotation still open.
    pub fn lookup_keys(&self, event_id: EventId, code: &CodeText) -> Vec<String> {
        self.keys
            .iter()
            .map(|keys| keys.code_key(event_id, code))
            .collect()
    }

    /// Whether `code_key` is a lookup key of `code` under one of the secrets, the hash
    /// compared in constant time.
    pub fn matches(&self, event_id: EventId, code: &CodeText, code_key: &str) -> bool {
        let Some((id, mac_hex)) = split_key_id(code_key) else {
            return false;
        };
        let mut stored = [0u8; 32];
        if hex::decode_to_slice(mac_hex, &mut stored).is_err() {
            return false;
        }
        self.keys
            .iter()
            .find(|keys| keys.id == id)
            .is_some_and(|keys| bool::from(keys.mac(event_id, code).ct_eq(&stored)))
    }

    /// Encrypts `code` for storage with the current secret: `{key id}.{base64url(nonce ‖
    /// ciphertext ‖ tag)}`.
    pub fn seal(&self, event_id: EventId, code: &CodeText) -> Result<String> {
        let keys = self.current();
        let mut nonce = [0u8; NONCE_BYTES];
        getrandom::fill(&mut nonce)
            .map_err(|e| Error::internal_msg(format!("OS random number generator failed: {e}")))?;
        let aad = event_id.to_string();
        let sealed = keys
            .cipher()
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: code.canonical().as_bytes(),
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| Error::internal_msg("sealing an access code failed"))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(format!(
            "{}.{}",
            hex::encode(keys.id),
            URL_SAFE_NO_PAD.encode(out)
        ))
    }

    /// Decrypts a sealed code of `event_id` with the secret it names. A value sealed for
    /// another event, with a secret no longer configured, or tampered with, is an internal
    /// error (the row is not ours to trust, or the configuration lost a secret).
    pub fn open(&self, event_id: EventId, sealed: &str) -> Result<CodeText> {
        let bad = || Error::internal_msg("a stored access code could not be opened");
        let (id_hex, body) = sealed.split_once('.').ok_or_else(bad)?;
        let mut id = [0u8; KEY_ID_BYTES];
        hex::decode_to_slice(id_hex, &mut id).map_err(|_| bad())?;
        let keys = self.keys.iter().find(|keys| keys.id == id).ok_or_else(|| {
            Error::internal_msg(
                "an access code was sealed with a secret that is no longer configured \
                 (keep it in PICPASS_CODE_SECRET_PREVIOUS)",
            )
        })?;
        let raw = URL_SAFE_NO_PAD.decode(body).map_err(|_| bad())?;
        if raw.len() <= NONCE_BYTES {
            return Err(bad());
        }
        let (nonce, ciphertext) = raw.split_at(NONCE_BYTES);
        let nonce: [u8; NONCE_BYTES] = nonce.try_into().map_err(|_| bad())?;
        let aad = event_id.to_string();
        let plain = keys
            .cipher()
            .decrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: ciphertext,
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| bad())?;
        let text = String::from_utf8(plain).map_err(|_| bad())?;
        CodeText::parse(&text).map_err(|_| bad())
    }
}

/// `(key id, hex HMAC)` of a lookup key, if it has that shape.
fn split_key_id(code_key: &str) -> Option<([u8; KEY_ID_BYTES], &str)> {
    if code_key.len() != KEY_ID_BYTES * 2 + 64 || !code_key.is_char_boundary(KEY_ID_BYTES * 2) {
        return None;
    }
    let (id_hex, mac_hex) = code_key.split_at(KEY_ID_BYTES * 2);
    let mut id = [0u8; KEY_ID_BYTES];
    hex::decode_to_slice(id_hex, &mut id).ok()?;
    Some((id, mac_hex))
}

/// Whether a path segment has the shape of a lookup key (a code's `code_id`).
pub fn is_code_key(segment: &str) -> bool {
    segment.len() == KEY_ID_BYTES * 2 + 64 && segment.bytes().all(|b| b.is_ascii_hexdigit())
}

impl SecretKeys {
    /// Each key is HMAC-SHA256(secret, purpose), so they are independent of each other and
    /// of the id, which reveals nothing of the secret.
    fn derive(secret: &[u8]) -> Result<Self> {
        if secret.len() < 32 {
            return Err(Error::internal_msg(
                "the access-code secret must be at least 32 bytes",
            ));
        }
        let derive = |purpose: &[u8]| -> Result<[u8; 32]> {
            let mut mac = <HmacSha256 as hmac::KeyInit>::new_from_slice(secret)
                .map_err(|e| Error::internal_msg(format!("HMAC key rejected: {e}")))?;
            mac.update(purpose);
            Ok(mac.finalize().into_bytes().into())
        };
        let id_bytes = derive(b"picpass/access-code/key-id/v1")?;
        let mut id = [0u8; KEY_ID_BYTES];
        id.copy_from_slice(&id_bytes[..KEY_ID_BYTES]);
        Ok(Self {
            id,
            lookup_key: derive(b"picpass/access-code/lookup/v1")?,
            seal_key: derive(b"picpass/access-code/seal/v1")?,
        })
    }

    fn code_key(&self, event_id: EventId, code: &CodeText) -> String {
        let mut key = hex::encode(self.id);
        key.push_str(&hex::encode(self.mac(event_id, code)));
        key
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new(&self.seal_key.into())
    }

    fn mac(&self, event_id: EventId, code: &CodeText) -> [u8; 32] {
        let mut mac = <HmacSha256 as hmac::KeyInit>::new_from_slice(&self.lookup_key)
            .expect("HMAC accepts keys of any length");
        mac.update(event_id.to_string().as_bytes());
        mac.update(b"\n");
        mac.update(code.canonical().as_bytes());
        mac.finalize().into_bytes().into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vault() -> CodeVault {
        CodeVault::from_secret(&[7u8; 32]).expect("32-byte secret")
    }

    #[test]
    fn keys_are_stable_per_event_and_differ_across_events() {
        let v = vault();
        let code = CodeText::generate().expect("rng");
        let (a, b) = (EventId::generate(), EventId::generate());
        assert_eq!(v.code_key(a, &code), v.code_key(a, &code));
        assert_ne!(v.code_key(a, &code), v.code_key(b, &code));
        assert_eq!(v.code_key(a, &code).len(), 72);
        assert!(is_code_key(&v.code_key(a, &code)));
        assert!(v.matches(a, &code, &v.code_key(a, &code)));
        assert!(!v.matches(b, &code, &v.code_key(a, &code)));
        assert!(!v.matches(a, &code, "not hex"));
    }

    #[test]
    fn sealed_codes_open_only_for_their_event_and_key() {
        let v = vault();
        let code = CodeText::generate().expect("rng");
        let event = EventId::generate();
        let sealed = v.seal(event, &code).expect("seal");
        assert!(!sealed.contains(code.canonical()));
        assert_eq!(v.open(event, &sealed).expect("open"), code);
        assert!(v.open(EventId::generate(), &sealed).is_err());
        let other = CodeVault::from_secret(&[8u8; 32]).expect("secret");
        assert!(other.open(event, &sealed).is_err());
        let tampered = sealed.replacen('.', "", 1);
        assert!(v.open(event, &tampered).is_err());
        assert!(v.open(event, "garbage!").is_err());
        assert_ne!(v.seal(event, &code).expect("seal"), sealed, "fresh nonce");
    }

    #[test]
    fn codes_made_before_a_rotation_still_open_and_are_found() {
        let (old, new) = ([1u8; 32], [2u8; 32]);
        let before = CodeVault::from_secret(&old).expect("old secret");
        let event = EventId::generate();
        let code = CodeText::generate().expect("rng");
        let stored_key = before.code_key(event, &code);
        let sealed = before.seal(event, &code).expect("seal");

        let after = CodeVault::from_secrets(&new, &[&old]).expect("rotated");
        assert_eq!(after.open(event, &sealed).expect("opens"), code);
        let keys = after.lookup_keys(event, &code);
        assert_eq!(keys.len(), 2);
        assert_ne!(keys[0], stored_key, "new codes use the new secret");
        assert_eq!(keys[0], after.code_key(event, &code));
        assert_eq!(keys[1], stored_key, "the old key is still looked up");
        assert!(after.matches(event, &code, &stored_key));
        let fresh = after.seal(event, &code).expect("seal");
        assert_ne!(fresh.split_once('.'), sealed.split_once('.'));
        assert_eq!(after.open(event, &fresh).expect("opens"), code);

        // Dropping the old secret: its codes neither open nor are found, and say why.
        let forgot = CodeVault::from_secret(&new).expect("new only");
        let err = forgot.open(event, &sealed).expect_err("unknown secret");
        assert!(
            err.to_string().contains("PICPASS_CODE_SECRET_PREVIOUS"),
            "{err}"
        );
        assert!(!forgot.lookup_keys(event, &code).contains(&stored_key));
    }

    #[test]
    fn short_secrets_are_refused() {
        assert!(CodeVault::from_secret(b"short").is_err());
    }
}
