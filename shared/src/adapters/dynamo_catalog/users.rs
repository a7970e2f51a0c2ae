//! Users and their username / e-mail uniqueness claims.

use aws_sdk_dynamodb::types::{Delete, Put, TransactWriteItem, Update};

use super::DynamoCatalog;
use super::errors::{TransactFailure, build_error, malformed_item, transact_error};
use super::items::{Item, email_pk, from_item, get_s, key1, s, to_item, user_pk, username_pk};
use super::schema::attr;
use crate::domain::{User, UserId};
use crate::error::{Error, Result};

fn user_not_found() -> Error {
    Error::not_found("user_not_found", "no such user")
}

fn claim(pk: String, user_id: &UserId) -> Item {
    Item::from([
        (attr::PK.to_owned(), s(pk)),
        ("user_id".to_owned(), s(user_id.as_str())),
    ])
}

fn put_absent(table: &str, item: Item) -> Result<TransactWriteItem> {
    Ok(TransactWriteItem::builder()
        .put(
            Put::builder()
                .table_name(table)
                .set_item(Some(item))
                .condition_expression("attribute_not_exists(#pk)")
                .expression_attribute_names("#pk", attr::PK)
                .build()
                .map_err(build_error)?,
        )
        .build())
}

impl DynamoCatalog {
    pub(super) async fn insert_user_row(&self, user: &User) -> Result<()> {
        let table = &self.tables.users;
        let mut row = to_item(user)?;
        row.insert(attr::PK.to_owned(), s(user_pk(&user.user_id)));
        let result = self
            .client
            .transact_write_items()
            .transact_items(put_absent(table, row)?)
            .transact_items(put_absent(
                table,
                claim(username_pk(&user.username), &user.user_id),
            )?)
            .transact_items(put_absent(
                table,
                claim(email_pk(&user.email), &user.user_id),
            )?)
            .send()
            .await;
        match result.map_err(|e| transact_error(table, e)) {
            Ok(_) => Ok(()),
            Err(TransactFailure::Conditions(failed)) => Err(match failed.first() {
                Some(0) => Error::conflict("user_exists", "the user already exists"),
                Some(1) => Error::conflict("username_taken", "that username is taken"),
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

    pub(super) async fn find_user_by_claim(&self, claim_pk: &str) -> Result<User> {
        let table = &self.tables.users;
        let claim = self
            .get_item(table, key1(attr::PK, claim_pk))
            .await?
            .ok_or_else(user_not_found)?;
        let user_id = get_s(&claim, "user_id")
            .ok_or_else(|| {
                Error::internal_msg(format!(
                    "malformed item in {table} at key {claim_pk}: no user_id"
                ))
            })
            .and_then(|text| UserId::parse(text).map_err(|e| malformed_item(table, claim_pk, e)))?;
        self.get_user_row(&user_id).await
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
        let new_claim = put_absent(table, claim(username_pk(username), user_id))?;
        let drop_old = TransactWriteItem::builder()
            .delete(
                Delete::builder()
                    .table_name(table)
                    .set_key(Some(key1(attr::PK, username_pk(&user.username))))
                    .condition_expression("user_id = :me")
                    .expression_attribute_values(":me", s(user_id.as_str()))
                    .build()
                    .map_err(build_error)?,
            )
            .build();
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
            .transact_items(drop_old)
            .transact_items(rename)
            .send()
            .await;
        match result.map_err(|e| transact_error(table, e)) {
            Ok(_) => {
                user.username = username.to_owned();
                Ok(user)
            }
            Err(TransactFailure::Conditions(failed)) if failed.contains(&0) => {
                Err(Error::conflict("username_taken", "that username is taken"))
            }
            Err(TransactFailure::Conditions(_)) => Err(Error::conflict(
                "version_conflict",
                "the user was renamed concurrently; reload and try again",
            )),
            Err(TransactFailure::Other(err)) => Err(err),
        }
    }
}
