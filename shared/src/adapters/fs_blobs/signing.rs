//! HMAC-SHA256 signatures of presigned requests.
//!
//! What is signed is a sequence of length-prefixed fields (so no choice of values can make
//! two different requests serialise alike): a version tag, the request kind, the method,
//! the key, the expiry and every constraint of that kind. The verifier rebuilds the same
//! sequence from what the client actually sent (headers, query), exactly like SigV4's
//! signed headers: a request that differs in any signed value fails the comparison.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::error::{Error, Result};

/// Shortest signing key accepted: 256 bits, the HMAC-SHA256 block security.
pub const MIN_KEY_BYTES: usize = 32;

/// What a presigned request binds besides method, key and expiry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Constraints<'a> {
    /// A whole-object PUT: the exact `Content-Type`, `Content-Length` and
    /// `x-amz-checksum-sha256` (base64) header values.
    Put {
        /// `Content-Type`.
        content_type: &'a str,
        /// `Content-Length`, as the decimal text of the header.
        content_length: &'a str,
        /// The base64 SHA-256 of the body.
        sha256_base64: &'a str,
    },
    /// A GET, with the `response-content-disposition` to serve (empty when none).
    Get {
        /// The disposition, or `None`.
        content_disposition: Option<&'a str>,
    },
    /// A PUT of one part of a multipart upload, of exactly one length.
    Part {
        /// The upload id.
        upload_id: &'a str,
        /// The part number, as decimal text.
        part_number: &'a str,
        /// `Content-Length`, as the decimal text of the header.
        content_length: &'a str,
    },
}

/// Signs and verifies with one secret key.
#[derive(Clone)]
pub struct Signer {
    mac: Hmac<Sha256>,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Signer { key: <redacted> }")
    }
}

impl Signer {
    /// A signer for `key`, which must be at least [`MIN_KEY_BYTES`] long.
    pub fn new(key: &[u8]) -> Result<Self> {
        if key.len() < MIN_KEY_BYTES {
            // A configuration mistake, not client input: fail loudly at start-up.
            return Err(Error::internal_msg(
                "the blob signing key must be at least 32 bytes",
            ));
        }
        let mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key)
            .map_err(|e| Error::internal_msg(format!("hmac key rejected: {e}")))?;
        Ok(Self { mac })
    }

    fn mac(
        &self,
        method: &str,
        key: &str,
        expires: i64,
        constraints: &Constraints<'_>,
    ) -> Hmac<Sha256> {
        let mut mac = self.mac.clone();
        let mut field = |value: &[u8]| {
            mac.update(&(value.len() as u64).to_be_bytes());
            mac.update(value);
        };
        field(b"picpass-presign-v1");
        let expires = expires.to_string();
        match constraints {
            Constraints::Put {
                content_type,
                content_length,
                sha256_base64,
            } => {
                for value in [
                    "put",
                    method,
                    key,
                    &expires,
                    content_type,
                    content_length,
                    sha256_base64,
                ] {
                    field(value.as_bytes());
                }
            }
            Constraints::Get {
                content_disposition,
            } => {
                for value in ["get", method, key, &expires] {
                    field(value.as_bytes());
                }
                // Present-but-empty and absent must not sign alike.
                match content_disposition {
                    Some(value) => {
                        field(b"1");
                        field(value.as_bytes());
                    }
                    None => field(b"0"),
                }
            }
            Constraints::Part {
                upload_id,
                part_number,
                content_length,
            } => {
                for value in [
                    "part",
                    method,
                    key,
                    &expires,
                    upload_id,
                    part_number,
                    content_length,
                ] {
                    field(value.as_bytes());
                }
            }
        }
        mac
    }

    /// The hex signature of a request.
    pub fn sign(
        &self,
        method: &str,
        key: &str,
        expires: i64,
        constraints: &Constraints<'_>,
    ) -> String {
        hex::encode(
            self.mac(method, key, expires, constraints)
                .finalize()
                .into_bytes(),
        )
    }

    /// Whether `signature_hex` is the signature of the request (compared in constant time).
    pub fn verify(
        &self,
        method: &str,
        key: &str,
        expires: i64,
        constraints: &Constraints<'_>,
        signature_hex: &str,
    ) -> bool {
        let Ok(given) = hex::decode(signature_hex) else {
            return false;
        };
        self.mac(method, key, expires, constraints)
            .verify_slice(&given)
            .is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_signed_value_changes_the_signature() {
        let signer = Signer::new(&[7u8; 32]).expect("key");
        let put = |ct: &'static str, len: &'static str, sha: &'static str| Constraints::Put {
            content_type: ct,
            content_length: len,
            sha256_base64: sha,
        };
        let base = signer.sign("PUT", "a/b", 100, &put("image/jpeg", "10", "x"));
        assert!(signer.verify("PUT", "a/b", 100, &put("image/jpeg", "10", "x"), &base));
        for (method, key, expires, c) in [
            ("GET", "a/b", 100, put("image/jpeg", "10", "x")),
            ("PUT", "a/c", 100, put("image/jpeg", "10", "x")),
            ("PUT", "a/b", 101, put("image/jpeg", "10", "x")),
            ("PUT", "a/b", 100, put("image/png", "10", "x")),
            ("PUT", "a/b", 100, put("image/jpeg", "11", "x")),
            ("PUT", "a/b", 100, put("image/jpeg", "10", "y")),
        ] {
            assert!(
                !signer.verify(method, key, expires, &c, &base),
                "{method} {key} {c:?}"
            );
        }
        assert!(!signer.verify("PUT", "a/b", 100, &put("image/jpeg", "10", "x"), "zz"));
        let get_none = signer.sign(
            "GET",
            "k",
            1,
            &Constraints::Get {
                content_disposition: None,
            },
        );
        let get_empty = signer.sign(
            "GET",
            "k",
            1,
            &Constraints::Get {
                content_disposition: Some(""),
            },
        );
        assert_ne!(get_none, get_empty);
    }

    #[test]
    fn short_keys_are_refused() {
        assert!(Signer::new(&[1u8; 31]).is_err());
    }
}
