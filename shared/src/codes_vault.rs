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

/// The two keys codes are protected with (both from configuration, never from the catalog).
#[derive(Clone)]
pub struct CodeVault {
    lookup_key: [u8; 32],
    seal_key: [u8; 32],
}

impl std::fmt::Debug for CodeVault {
    // Keys stay out of logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CodeVault(****)")
    }
}

impl CodeVault {
    /// A vault with explicit keys.
    pub fn new(lookup_key: [u8; 32], seal_key: [u8; 32]) -> Self {
        Self {
            lookup_key,
            seal_key,
        }
    }

    /// Derives both keys from one secret (≥ 32 bytes), so a deployment configures one value.
    /// Each key is HMAC-SHA256(secret, purpose), so they are independent.
    pub fn from_secret(secret: &[u8]) -> Result<Self> {
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
        Ok(Self::new(
            derive(b"picpass/access-code/lookup/v1")?,
            derive(b"picpass/access-code/seal/v1")?,
        ))
    }

    /// The lookup key of `code` in `event_id`: lowercase hex of a keyed hash, 64 characters.
    pub fn code_key(&self, event_id: EventId, code: &CodeText) -> String {
        hex::encode(self.mac(event_id, code))
    }

    /// Whether `code_key` is the lookup key of `code`, compared in constant time.
    pub fn matches(&self, event_id: EventId, code: &CodeText, code_key: &str) -> bool {
        let mut stored = [0u8; 32];
        if hex::decode_to_slice(code_key, &mut stored).is_err() {
            return false;
        }
        bool::from(self.mac(event_id, code).ct_eq(&stored))
    }

    /// Encrypts `code` for storage: base64url(nonce ‖ ciphertext ‖ tag).
    pub fn seal(&self, event_id: EventId, code: &CodeText) -> Result<String> {
        let mut nonce = [0u8; NONCE_BYTES];
        getrandom::fill(&mut nonce)
            .map_err(|e| Error::internal_msg(format!("OS random number generator failed: {e}")))?;
        let aad = event_id.to_string();
        let sealed = self
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
        Ok(URL_SAFE_NO_PAD.encode(out))
    }

    /// Decrypts a sealed code of `event_id`. A value sealed for another event or with
    /// another key, or tampered with, is an internal error (the row is not ours to trust).
    pub fn open(&self, event_id: EventId, sealed: &str) -> Result<CodeText> {
        let bad = || Error::internal_msg("a stored access code could not be opened");
        let raw = URL_SAFE_NO_PAD.decode(sealed).map_err(|_| bad())?;
        if raw.len() <= NONCE_BYTES {
            return Err(bad());
        }
        let (nonce, ciphertext) = raw.split_at(NONCE_BYTES);
        let nonce: [u8; NONCE_BYTES] = nonce.try_into().map_err(|_| bad())?;
        let aad = event_id.to_string();
        let plain = self
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
        assert_eq!(v.code_key(a, &code).len(), 64);
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
        assert!(v.open(event, "garbage!").is_err());
        assert_ne!(v.seal(event, &code).expect("seal"), sealed, "fresh nonce");
    }

    #[test]
    fn short_secrets_are_refused() {
        assert!(CodeVault::from_secret(b"short").is_err());
    }
}
