//! The local stack's photographer tokens: JWTs (HS256) issued by `POST /api/auth/login` and
//! verified by `picpass serve` before a photographer route runs, as API Gateway's JWT
//! authorizer does with Cognito's tokens in AWS. The handlers never see the token, only the
//! claims the gateway puts in the request context (`crate::domain::Caller`).
//!
//! Verification accepts exactly one algorithm (`HS256`: a token naming `none` or anything
//! else is refused before its signature is looked at), compares the MAC in constant time,
//! and checks the issuer and the expiry. The key is 32+ random bytes generated into the data
//! directory on first start.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::domain::{Timestamp, User};
use crate::error::{Error, Result};

/// How long a photographer's token is valid: a working day, like Cognito's ID tokens at
/// their longest default; the web app asks to sign in again after it.
pub const TOKEN_LIFETIME_SECS: i64 = 12 * 3600;
/// The `iss` of every token the local stack issues.
pub const ISSUER: &str = "picpass-local";
/// Longer tokens are refused unread (ours are ~400 bytes).
const MAX_TOKEN_BYTES: usize = 4096;
const HEADER: &str = r#"{"alg":"HS256","typ":"JWT"}"#;

/// What a token says: the claims API Gateway would pass on from a Cognito token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The user id.
    pub sub: String,
    /// The username when the token was issued.
    pub username: String,
    /// The e-mail address.
    pub email: String,
    /// Always [`ISSUER`].
    pub iss: String,
    /// Issued at (epoch seconds).
    pub iat: i64,
    /// Expires at (epoch seconds).
    pub exp: i64,
}

#[derive(Deserialize)]
struct Header {
    alg: String,
}

/// The signing key.
#[derive(Clone)]
pub struct JwtKeys {
    mac: Hmac<Sha256>,
}

impl std::fmt::Debug for JwtKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JwtKeys(..)")
    }
}

fn invalid_token() -> Error {
    Error::unauthorized(
        "invalid_token",
        "the sign-in token is not valid; sign in again",
    )
}

impl JwtKeys {
    /// From a secret of at least 32 bytes.
    pub fn new(secret: &[u8]) -> Result<Self> {
        if secret.len() < 32 {
            return Err(Error::internal_msg(
                "the token signing key must be at least 32 bytes",
            ));
        }
        let mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret)
            .map_err(|e| Error::internal("token signing key", e))?;
        Ok(Self { mac })
    }

    fn mac(&self) -> Hmac<Sha256> {
        self.mac.clone()
    }

    /// A token for `user`, valid [`TOKEN_LIFETIME_SECS`] from `now`, and when it expires.
    pub fn issue(&self, user: &User, now: Timestamp) -> Result<(String, Timestamp)> {
        let expires = now.plus_secs(TOKEN_LIFETIME_SECS);
        let claims = Claims {
            sub: user.user_id.as_str().to_owned(),
            username: user.username.clone(),
            email: user.email.clone(),
            iss: ISSUER.to_owned(),
            iat: now.epoch_secs(),
            exp: expires.epoch_secs(),
        };
        let payload =
            serde_json::to_vec(&claims).map_err(|e| Error::internal("token claims", e))?;
        let signed = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(HEADER),
            URL_SAFE_NO_PAD.encode(payload)
        );
        let mut mac = self.mac();
        mac.update(signed.as_bytes());
        let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        Ok((format!("{signed}.{signature}"), expires))
    }

    /// The claims of a token this key signed that has not expired at `now`.
    pub fn verify(&self, token: &str, now: Timestamp) -> Result<Claims> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(invalid_token());
        }
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(invalid_token());
        };
        let header: Header = decode_json(header)?;
        if header.alg != "HS256" {
            return Err(invalid_token());
        }
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| invalid_token())?;
        let mut mac = self.mac();
        mac.update(
            token
                .as_bytes()
                .get(..header_and_payload_len(token))
                .unwrap_or_default(),
        );
        mac.verify_slice(&signature).map_err(|_| invalid_token())?;
        let claims: Claims = decode_json(payload)?;
        if claims.iss != ISSUER {
            return Err(invalid_token());
        }
        if claims.exp <= now.epoch_secs() {
            return Err(Error::unauthorized(
                "token_expired",
                "the sign-in token has expired; sign in again",
            ));
        }
        Ok(claims)
    }
}

/// Length of `header.payload` (everything before the last dot).
fn header_and_payload_len(token: &str) -> usize {
    token.rfind('.').unwrap_or(0)
}

fn decode_json<T: for<'de> Deserialize<'de>>(part: &str) -> Result<T> {
    let bytes = URL_SAFE_NO_PAD.decode(part).map_err(|_| invalid_token())?;
    serde_json::from_slice(&bytes).map_err(|_| invalid_token())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::UserId;

    fn user() -> User {
        User {
            user_id: UserId::parse("01JD0000000000000000000000").expect("id"),
            username: "ada".to_owned(),
            email: "ada@example.com".to_owned(),
            created_at: Timestamp::from_epoch_secs(1_700_000_000),
            password_hash: None,
        }
    }

    fn keys() -> JwtKeys {
        JwtKeys::new(&[7u8; 32]).expect("key")
    }

    #[test]
    fn an_issued_token_verifies_until_it_expires() {
        let now = Timestamp::from_epoch_secs(1_800_000_000);
        let (token, expires) = keys().issue(&user(), now).expect("issue");
        assert_eq!(expires.epoch_secs(), 1_800_000_000 + TOKEN_LIFETIME_SECS);
        let claims = keys().verify(&token, now.plus_secs(60)).expect("verify");
        assert_eq!(claims.sub, "01JD0000000000000000000000");
        assert_eq!(claims.username, "ada");
        let late = keys().verify(&token, expires).expect_err("expired");
        assert_eq!(late.code(), "token_expired");
    }

    #[test]
    fn a_token_of_another_key_or_altered_or_unsigned_is_refused() {
        let now = Timestamp::from_epoch_secs(1_800_000_000);
        let (token, _) = keys().issue(&user(), now).expect("issue");
        let other = JwtKeys::new(&[8u8; 32]).expect("key");
        assert_eq!(
            other.verify(&token, now).expect_err("other key").code(),
            "invalid_token"
        );

        let parts: Vec<&str> = token.split('.').collect();
        let mut claims: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).expect("b64")).expect("json");
        claims["sub"] = "someone-else".into();
        let forged_payload = URL_SAFE_NO_PAD.encode(claims.to_string());
        let altered = format!("{}.{}.{}", parts[0], forged_payload, parts[2]);
        assert_eq!(
            keys().verify(&altered, now).expect_err("altered").code(),
            "invalid_token"
        );

        let none_header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
        for unsigned in [
            format!("{none_header}.{forged_payload}."),
            format!("{none_header}.{forged_payload}"),
            String::new(),
            "a.b.c.d".to_owned(),
            "x".repeat(5000),
        ] {
            assert_eq!(
                keys().verify(&unsigned, now).expect_err("refused").code(),
                "invalid_token"
            );
        }
    }

    #[test]
    fn a_short_key_is_refused() {
        assert!(JwtKeys::new(&[1u8; 16]).is_err());
    }
}
