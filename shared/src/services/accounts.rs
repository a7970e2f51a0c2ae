//! Local accounts: sign-up and login of the local stack (`POST /api/auth/signup`, `/login`).
//! In AWS, Cognito holds accounts and these routes are not deployed.
//!
//! Passwords are hashed with argon2id (the `argon2` crate's defaults: 19 MiB, 2 passes, as
//! OWASP recommends) into a PHC string kept on the user row. Hashing and checking run on
//! the blocking pool: they take tens of milliseconds of CPU by design. A login for an
//! unknown name checks the password against a dummy hash, so the answer's timing does not
//! tell which names exist; both failures are the same 401.
//!
//! Guessing is throttled per (login, client address): after [`MAX_FAILED_LOGINS`] wrong
//! passwords in [`FAILED_LOGIN_WINDOW_SECS`], that address gets 429 for that login until the
//! window ends, right password or not. The check reads the count before the password is
//! checked and a failure adds one after, so a burst of concurrent guesses can pass the
//! limit by at most its own size; each guess still costs the guesser an argon2 check.

use std::net::IpAddr;
use std::sync::LazyLock;

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use serde::{Deserialize, Serialize};
use tracing::info;

use crate::domain::client_address::throttle_key;
use crate::domain::{Timestamp, User, UserId, validate};
use crate::error::{Error, Result};
use crate::local_auth::JwtKeys;
use crate::ports::Catalog;

/// Shortest password accepted, in characters (NIST SP 800-63B's minimum).
pub const MIN_PASSWORD_CHARS: usize = 8;
/// Longest password accepted, in bytes: bounds the work one request can ask of argon2.
pub const MAX_PASSWORD_BYTES: usize = 256;
/// Wrong passwords for one login from one address before it is refused for a while.
pub const MAX_FAILED_LOGINS: u64 = 10;
/// The window those are counted in, and the longest wait after it.
pub const FAILED_LOGIN_WINDOW_SECS: i64 = 15 * 60;

/// `POST /api/auth/signup` body.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignUp {
    /// Unique, URL-safe (the first segment of gallery links).
    pub username: String,
    /// Unique, compared case-insensitively.
    pub email: String,
    /// At least [`MIN_PASSWORD_CHARS`] characters.
    pub password: String,
}

/// `POST /api/auth/login` body.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogIn {
    /// The username or the e-mail address.
    pub login: String,
    /// The password.
    pub password: String,
}

/// A new account, as `signup` answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Account {
    /// The user id (a token's `sub`).
    pub user_id: String,
    /// The username.
    pub username: String,
    /// The e-mail address, lowercased.
    pub email: String,
}

/// A signed-in session, as `login` answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Session {
    /// The bearer token of photographer routes.
    pub token: String,
    /// When it stops working.
    pub expires_at: Timestamp,
}

/// Creates an account. `Conflict` `username_taken` / `email_taken` if either is in use
/// (a username held after a rename counts as in use).
pub async fn sign_up(catalog: &dyn Catalog, req: SignUp) -> Result<Account> {
    let username = validate::username(&req.username)?;
    let email = validate::email(&req.email)?;
    check_password(&req.password)?;
    let password_hash = hash_password(req.password).await?;
    let user = User {
        user_id: UserId::parse(&ulid::Ulid::generate().to_string())?,
        username,
        email,
        created_at: Timestamp::now(),
        password_hash: Some(password_hash),
    };
    catalog.insert_user(&user).await?;
    info!(user_id = %user.user_id, username = %user.username, "account created");
    Ok(Account {
        user_id: user.user_id.as_str().to_owned(),
        username: user.username,
        email: user.email,
    })
}

/// Checks a login (username or e-mail) and its password from the client at `addr`; a
/// token on success, 401 `invalid_credentials` on any mismatch, 429 after too many.
pub async fn log_in(
    catalog: &dyn Catalog,
    keys: &JwtKeys,
    addr: IpAddr,
    req: LogIn,
) -> Result<Session> {
    let now = Timestamp::now();
    let failures_key = format!(
        "login/{}/failed/{}",
        req.login.trim().to_lowercase(),
        throttle_key(addr)
    );
    if catalog.get_counter(&failures_key).await? >= MAX_FAILED_LOGINS {
        return Err(Error::Throttled {
            retry_after_secs: FAILED_LOGIN_WINDOW_SECS.unsigned_abs(),
            message: "too many wrong passwords for this login; try again later".to_owned(),
        });
    }
    let user = match req.password.len() > MAX_PASSWORD_BYTES {
        true => None,
        false => find_by_login(catalog, &req.login).await?,
    };
    let stored = user.as_ref().and_then(|u| u.password_hash.clone());
    let matches = verify_password(req.password, stored).await?;
    let user = match (user, matches) {
        (Some(user), true) => user,
        _ => {
            catalog
                .increment_counter(&failures_key, now.plus_secs(FAILED_LOGIN_WINDOW_SECS))
                .await?;
            return Err(invalid_credentials());
        }
    };
    let (token, expires_at) = keys.issue(&user, now)?;
    info!(user_id = %user.user_id, "signed in");
    Ok(Session { token, expires_at })
}

async fn find_by_login(catalog: &dyn Catalog, login: &str) -> Result<Option<User>> {
    let login = login.trim();
    let found = match login.contains('@') {
        true => match validate::email(login) {
            Ok(email) => catalog.find_user_by_email(&email).await,
            Err(_) => return Ok(None),
        },
        false => {
            catalog
                .find_user_by_username(&login.to_ascii_lowercase())
                .await
        }
    };
    match found {
        Ok(user) => Ok(Some(user)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

fn check_password(password: &str) -> Result<()> {
    if password.chars().count() < MIN_PASSWORD_CHARS || password.len() > MAX_PASSWORD_BYTES {
        return Err(Error::invalid(
            "invalid_password",
            format!(
                "passwords are {MIN_PASSWORD_CHARS} characters at least and {MAX_PASSWORD_BYTES} bytes at most"
            ),
        ));
    }
    Ok(())
}

fn invalid_credentials() -> Error {
    Error::unauthorized(
        "invalid_credentials",
        "that login and password do not match an account",
    )
}

async fn hash_password(password: String) -> Result<String> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|e| Error::internal_msg(format!("hashing a password: {e}")))
    })
    .await
    .map_err(|e| Error::internal("password hashing task", e))?
}

/// A hash of a password nobody knows, checked when the login names no account.
static DUMMY_HASH: LazyLock<Option<String>> = LazyLock::new(|| {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(b"no account has this password", &salt)
        .ok()
        .map(|hash| hash.to_string())
});

/// Whether `password` matches `stored`; with no stored hash, the same work against a dummy.
async fn verify_password(password: String, stored: Option<String>) -> Result<bool> {
    tokio::task::spawn_blocking(move || {
        let (hash, real) = match stored {
            Some(hash) => (hash, true),
            None => (DUMMY_HASH.clone().unwrap_or_default(), false),
        };
        let Ok(parsed) = PasswordHash::new(&hash) else {
            return false;
        };
        let ok = Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        ok && real
    })
    .await
    .map_err(|e| Error::internal("password check task", e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::SqliteCatalog;

    const ADDR: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 7));

    fn sign_up_req(username: &str, email: &str) -> SignUp {
        SignUp {
            username: username.to_owned(),
            email: email.to_owned(),
            password: "correct horse battery".to_owned(),
        }
    }

    #[tokio::test]
    async fn sign_up_then_log_in_by_username_or_email() {
        let dir = tempfile::tempdir().expect("dir");
        let catalog = SqliteCatalog::open(dir.path().join("c.sqlite3")).expect("catalog");
        let keys = JwtKeys::new(&[3u8; 32]).expect("keys");
        let account = sign_up(&catalog, sign_up_req("Ada", "Ada@Example.com"))
            .await
            .expect("sign up");
        assert_eq!(account.username, "ada");
        assert_eq!(account.email, "ada@example.com");
        let stored = catalog.find_user_by_username("ada").await.expect("row");
        let hash = stored.password_hash.expect("hash stored");
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(!hash.contains("correct horse"));

        for login in ["ada", "ADA", "ada@example.com", " Ada@EXAMPLE.com "] {
            let session = log_in(
                &catalog,
                &keys,
                ADDR,
                LogIn {
                    login: login.to_owned(),
                    password: "correct horse battery".to_owned(),
                },
            )
            .await
            .unwrap_or_else(|e| panic!("{login}: {e}"));
            let claims = keys
                .verify(&session.token, Timestamp::now())
                .expect("verify");
            assert_eq!(claims.sub, account.user_id);
        }
        for (login, password) in [
            ("ada", "wrong password"),
            ("nobody", "correct horse battery"),
            ("nobody@example.com", "correct horse battery"),
            ("not@an@address", "correct horse battery"),
        ] {
            let err = log_in(
                &catalog,
                &keys,
                ADDR,
                LogIn {
                    login: login.to_owned(),
                    password: password.to_owned(),
                },
            )
            .await
            .expect_err("refused");
            assert_eq!(err.code(), "invalid_credentials", "{login}");
        }
    }

    #[tokio::test]
    async fn taken_names_and_weak_passwords_are_refused() {
        let dir = tempfile::tempdir().expect("dir");
        let catalog = SqliteCatalog::open(dir.path().join("c.sqlite3")).expect("catalog");
        sign_up(&catalog, sign_up_req("ada", "ada@example.com"))
            .await
            .expect("first");
        let err = sign_up(&catalog, sign_up_req("ADA", "other@example.com"))
            .await
            .expect_err("username taken");
        assert_eq!(err.code(), "username_taken");
        let err = sign_up(&catalog, sign_up_req("grace", "ADA@example.COM"))
            .await
            .expect_err("email taken");
        assert_eq!(err.code(), "email_taken");
        let mut weak = sign_up_req("grace", "grace@example.com");
        weak.password = "short".to_owned();
        assert_eq!(
            sign_up(&catalog, weak).await.expect_err("weak").code(),
            "invalid_password"
        );
        let mut huge = sign_up_req("grace", "grace@example.com");
        huge.password = "x".repeat(MAX_PASSWORD_BYTES + 1);
        assert_eq!(
            sign_up(&catalog, huge).await.expect_err("huge").code(),
            "invalid_password"
        );
    }

    #[tokio::test]
    async fn ten_wrong_passwords_lock_that_login_from_that_address() {
        let dir = tempfile::tempdir().expect("dir");
        let catalog = SqliteCatalog::open(dir.path().join("c.sqlite3")).expect("catalog");
        let keys = JwtKeys::new(&[3u8; 32]).expect("keys");
        sign_up(&catalog, sign_up_req("ada", "ada@example.com"))
            .await
            .expect("sign up");
        let attempt = |password: &str, addr: IpAddr| {
            log_in(
                &catalog,
                &keys,
                addr,
                LogIn {
                    login: "ada".to_owned(),
                    password: password.to_owned(),
                },
            )
        };
        for _ in 0..MAX_FAILED_LOGINS {
            let err = attempt("wrong password", ADDR).await.expect_err("wrong");
            assert_eq!(err.code(), "invalid_credentials");
        }
        let err = attempt("correct horse battery", ADDR)
            .await
            .expect_err("locked out");
        assert_eq!(err.http_status(), 429);
        let elsewhere = IpAddr::V4(std::net::Ipv4Addr::new(198, 51, 100, 1));
        attempt("correct horse battery", elsewhere)
            .await
            .expect("another address signs in");
    }
}
