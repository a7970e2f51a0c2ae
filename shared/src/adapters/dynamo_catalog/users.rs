//! Users and their username / e-mail uniqueness claims, and the holds a rename leaves on the
//! name it gave up.

use aws_sdk_dynamodb::types::{Put, TransactWriteItem, Update};

use super::DynamoCatalog;
use super::errors::{TransactFailure, build_error, malformed_item, transact_error};
use super::items::{
    Item, email_pk, from_item, get_n, get_s, key1, n, s, to_item, user_pk, username_pk,
};
use super::schema::attr;
use crate::domain::{Timestamp, USERNAME_HOLD_SECS, User, UserId, UsernameHold};
use crate::error::{Error, Result};

/// On a username claim: until when the name is held for its former owner (epoch seconds).
/// A claim without it is the user's current name.
const HELD_UNTIL: &str = "held_until";
/// The user a claim names.
const USER_ID: &str = "user_id";

fn user_not_found() -> Error {
    Error::not_found("user_not_found", "no such user")
}

fn username_taken() -> Error {
    Error::conflict("username_taken", "that username is taken")
}

fn claim(pk: String, user_id: &UserId) -> Item {
    Item::from([
        (attr::PK.to_owned(), s(pk)),
        (USER_ID.to_owned(), s(user_id.as_str())),
    ])
}

/// A put of `item` under `condition` (over any of `#pk`, `#held`, `#uid`, `:now`, `:me`).
fn put_if(
    table: &str,
    item: Item,
    condition: &str,
    me: &UserId,
    now: Timestamp,
) -> Result<TransactWriteItem> {
    let mut put = Put::builder()
        .table_name(table)
        .set_item(Some(item))
        .condition_expression(condition);
    // DynamoDB refuses names and values the expression does not use.
    if condition.contains("#pk") {
        put = put.expression_attribute_names("#pk", attr::PK);
    }
    if condition.contains("#held") {
        put = put.expression_attribute_names("#held", HELD_UNTIL);
    }
    if condition.contains(":now") {
        put = put.expression_attribute_values(":now", n(now.epoch_secs()));
    }
    if condition.contains("#uid") {
        put = put.expression_attribute_names("#uid", USER_ID);
    }
    if condition.contains(":me") {
        put = put.expression_attribute_values(":me", s(me.as_str()));
    }
    Ok(TransactWriteItem::builder()
        .put(put.build().map_err(build_error)?)
        .build())
}

/// Nothing there.
const ABSENT: &str = "attribute_not_exists(#pk)";
/// Nothing there but a hold whose time has passed.
const FREE: &str = "attribute_not_exists(#pk) OR #held <= :now";
/// Free, or a hold for `:me` (taking one's old name back).
const FREE_OR_MY_HOLD: &str =
    "attribute_not_exists(#pk) OR #held <= :now OR (#uid = :me AND attribute_exists(#held))";
/// `:me`'s current name (not a hold).
const MY_CURRENT_NAME: &str = "#uid = :me AND attribute_not_exists(#held)";

impl DynamoCatalog {
    pub(super) async fn insert_user_row(&self, user: &User) -> Result<()> {
        let table = &self.tables.users;
        let me = &user.user_id;
        let now = Timestamp::now();
        let mut row = to_item(user)?;
        row.insert(attr::PK.to_owned(), s(user_pk(me)));
        let result = self
            .client
            .transact_write_items()
            .transact_items(put_if(table, row, ABSENT, me, now)?)
            .transact_items(put_if(
                table,
                claim(username_pk(&user.username), me),
                FREE,
                me,
                now,
            )?)
            .transact_items(put_if(
                table,
                claim(email_pk(&user.email), me),
                ABSENT,
                me,
                now,
            )?)
            .send()
            .await;
        match result.map_err(|e| transact_error(table, e)) {
            Ok(_) => Ok(()),
            Err(TransactFailure::Conditions(failed)) => Err(match failed.first() {
                Some(0) => Error::conflict("user_exists", "the user already exists"),
                Some(1) => username_taken(),
                _ => Error::conflict("email_taken", "that e-mail address is already registered"),
            }),
            Err(TransactFailure::Other(err)) => Err(err),
        }
    }

    pub(super) async fn get_user_row(&self, user_id: &UserId) -> Result<User> {
        let pk = user_pk(user_id);
        let item = self
            .get_item(&self.tables.users, key1(attr::PK, pk.clone()))
            .await?
            .ok_or_else(user_not_found)?;
        from_item(item, &self.tables.users, &pk)
    }

    /// The claim item at `claim_pk` and the user it names.
    async fn load_claim(&self, claim_pk: &str) -> Result<Option<(Item, UserId)>> {
        let table = &self.tables.users;
        let Some(claim) = self.get_item(table, key1(attr::PK, claim_pk)).await? else {
            return Ok(None);
        };
        let user_id = get_s(&claim, USER_ID)
            .ok_or_else(|| {
                Error::internal_msg(format!(
                    "malformed item in {table} at key {claim_pk}: no {USER_ID}"
                ))
            })
            .and_then(|text| UserId::parse(text).map_err(|e| malformed_item(table, claim_pk, e)))?;
        Ok(Some((claim, user_id)))
    }

    /// The user whose current name or e-mail the claim at `claim_pk` is (a hold is nobody's).
    pub(super) async fn find_user_by_claim(&self, claim_pk: &str) -> Result<User> {
        match self.load_claim(claim_pk).await? {
            Some((claim, user_id)) if !claim.contains_key(HELD_UNTIL) => {
                self.get_user_row(&user_id).await
            }
            _ => Err(user_not_found()),
        }
    }

    pub(super) async fn find_username_hold_claim(
        &self,
        username: &str,
    ) -> Result<Option<UsernameHold>> {
        let Some((claim, user_id)) = self.load_claim(&username_pk(username)).await? else {
            return Ok(None);
        };
        Ok(get_n(&claim, HELD_UNTIL)
            .map(Timestamp::from_epoch_secs)
            .filter(|until| !until.has_passed(Timestamp::now()))
            .map(|until| UsernameHold { user_id, until }))
    }

    pub(super) async fn change_username_row(
        &self,
        user_id: &UserId,
        username: &str,
    ) -> Result<User> {
        let table = &self.tables.users;
        let mut user = self.get_user_row(user_id).await?;
        if user.username == username {
            return Ok(user);
        }
        let now = Timestamp::now();
        let new_claim = put_if(
            table,
            claim(username_pk(username), user_id),
            FREE_OR_MY_HOLD,
            user_id,
            now,
        )?;
        let mut hold = claim(username_pk(&user.username), user_id);
        hold.insert(
            HELD_UNTIL.to_owned(),
            n(now.plus_secs(USERNAME_HOLD_SECS).epoch_secs()),
        );
        let hold_old = put_if(table, hold, MY_CURRENT_NAME, user_id, now)?;
        let rename = TransactWriteItem::builder()
            .update(
                Update::builder()
                    .table_name(table)
                    .set_key(Some(key1(attr::PK, user_pk(user_id))))
                    .update_expression("SET username = :new")
                    .condition_expression("username = :old")
                    .expression_attribute_values(":new", s(username))
                    .expression_attribute_values(":old", s(&user.username))
                    .build()
                    .map_err(build_error)?,
            )
            .build();
        let result = self
            .client
            .transact_write_items()
            .transact_items(new_claim)
            .transact_items(hold_old)
            .transact_items(rename)
            .send()
            .await;
        match result.map_err(|e| transact_error(table, e)) {
            Ok(_) => {
                user.username = username.to_owned();
                Ok(user)
            }
            Err(TransactFailure::Conditions(failed)) if failed.contains(&0) => {
                Err(username_taken())
            }
            Err(TransactFailure::Conditions(_)) => Err(Error::conflict(
                "version_conflict",
                "the user was renamed concurrently; reload and try again",
            )),
            Err(TransactFailure::Other(err)) => Err(err),
        }
    }
}
