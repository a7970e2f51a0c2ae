//! Users: unique by id, username and e-mail (the callers lowercase both names), and the
//! names a rename gave up, held for their former owner for a while (`username_holds`).

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::rows::{db_err, from_json, is_constraint, now_secs, to_json};
use crate::domain::{Timestamp, USERNAME_HOLD_SECS, User, UserId, UsernameHold};
use crate::error::{Error, Result};

fn username_taken() -> Error {
    Error::conflict("username_taken", "that username is taken")
}

fn user_not_found() -> Error {
    Error::not_found("user_not_found", "no such user")
}

fn exists(conn: &Connection, sql: &str, value: &str) -> Result<bool> {
    conn.query_row(sql, [value], |_| Ok(()))
        .optional()
        .map(|found| found.is_some())
        .map_err(db_err)
}

/// The live hold on `username`, if any.
fn hold(conn: &Connection, username: &str) -> Result<Option<UsernameHold>> {
    let held: Option<(String, i64)> = conn
        .query_row(
            "SELECT user_id, until FROM username_holds WHERE username = ?1 AND until > ?2",
            params![username, now_secs()],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .optional()
        .map_err(db_err)?;
    held.map(|(user_id, until)| {
        Ok(UsernameHold {
            user_id: UserId::parse(&user_id)
                .map_err(|e| Error::internal("bad user id in username_holds", e))?,
            until: Timestamp::from_epoch_secs(until),
        })
    })
    .transpose()
}

/// Whether `username` is someone's current name, or held for anyone but `me`.
fn taken(conn: &Connection, username: &str, me: &UserId) -> Result<bool> {
    Ok(
        exists(conn, "SELECT 1 FROM users WHERE username = ?1", username)?
            || hold(conn, username)?.is_some_and(|h| &h.user_id != me),
    )
}

pub(super) fn insert(conn: &mut Connection, user: &User) -> Result<()> {
    let body = to_json(user)?;
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db_err)?;
    // Name the first clash precisely; the UNIQUE constraints are the backstop.
    if exists(
        &tx,
        "SELECT 1 FROM users WHERE user_id = ?1",
        user.user_id.as_str(),
    )? {
        return Err(Error::conflict("user_exists", "the user already exists"));
    }
    if taken(&tx, &user.username, &user.user_id)? {
        return Err(username_taken());
    }
    if exists(&tx, "SELECT 1 FROM users WHERE email = ?1", &user.email)? {
        return Err(Error::conflict(
            "email_taken",
            "that e-mail address is already registered",
        ));
    }
    tx.execute(
        "INSERT INTO users (user_id, username, email, body) VALUES (?1, ?2, ?3, ?4)",
        params![user.user_id.as_str(), user.username, user.email, body],
    )
    .map_err(|e| {
        if is_constraint(&e) {
            Error::conflict("user_exists", "the user already exists")
        } else {
            db_err(e)
        }
    })?;
    tx.commit().map_err(db_err)
}

fn find(conn: &Connection, column: &str, value: &str) -> Result<User> {
    // `column` is one of our own constants, never input.
    let sql = format!("SELECT body FROM users WHERE {column} = ?1");
    let body: Option<String> = conn
        .query_row(&sql, [value], |row| row.get(0))
        .optional()
        .map_err(db_err)?;
    body.ok_or_else(user_not_found).and_then(|b| from_json(&b))
}

pub(super) fn get(conn: &Connection, user_id: &UserId) -> Result<User> {
    find(conn, "user_id", user_id.as_str())
}

pub(super) fn by_username(conn: &Connection, username: &str) -> Result<User> {
    find(conn, "username", username)
}

pub(super) fn by_email(conn: &Connection, email: &str) -> Result<User> {
    find(conn, "email", email)
}

pub(super) fn username_hold(conn: &Connection, username: &str) -> Result<Option<UsernameHold>> {
    hold(conn, username)
}

pub(super) fn change_username(
    conn: &mut Connection,
    user_id: &UserId,
    username: &str,
) -> Result<User> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db_err)?;
    let mut user = get(&tx, user_id)?;
    if user.username == username {
        return Ok(user);
    }
    if taken(&tx, username, user_id)? {
        return Err(username_taken());
    }
    let old = std::mem::replace(&mut user.username, username.to_owned());
    let body = to_json(&user)?;
    tx.execute(
        "UPDATE users SET username = ?2, body = ?3 WHERE user_id = ?1",
        params![user_id.as_str(), username, body],
    )
    .map_err(|e| {
        if is_constraint(&e) {
            username_taken()
        } else {
            db_err(e)
        }
    })?;
    // Taking back one's own held name ends that hold; the name given up is held instead.
    tx.execute("DELETE FROM username_holds WHERE username = ?1", [username])
        .map_err(db_err)?;
    tx.execute(
        "INSERT INTO username_holds (username, user_id, until) VALUES (?1, ?2, ?3)
         ON CONFLICT (username) DO UPDATE SET user_id = excluded.user_id, until = excluded.until",
        params![
            old,
            user_id.as_str(),
            Timestamp::now().plus_secs(USERNAME_HOLD_SECS).epoch_secs()
        ],
    )
    .map_err(db_err)?;
    tx.commit().map_err(db_err)?;
    Ok(user)
}
