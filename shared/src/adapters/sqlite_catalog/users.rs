//! Users: unique by id, username and e-mail (the callers lowercase both names).

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::rows::{db_err, from_json, is_constraint, to_json};
use crate::domain::{User, UserId};
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
    if exists(
        &tx,
        "SELECT 1 FROM users WHERE username = ?1",
        &user.username,
    )? {
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
    if exists(&tx, "SELECT 1 FROM users WHERE username = ?1", username)? {
        return Err(username_taken());
    }
    username.clone_into(&mut user.username);
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
    tx.commit().map_err(db_err)?;
    Ok(user)
}
