//! Access codes.

use std::collections::HashMap;

use super::DynamoCatalog;
use super::errors::malformed_item;
use super::items::{Item, code_item, from_item, get_s, key2, n, s, ttl_passed, unpack_grant};
use super::paging::{ListSpec, Source};
use super::schema::{BY_CREATED, attr};
use crate::domain::{AccessCode, EventId, Page, PageRequest, Timestamp};
use crate::error::{Error, Result};

fn code_not_found() -> Error {
    Error::not_found("code_not_found", "no such access code")
}

fn code_key(event_id: EventId, code_key: &str) -> Item {
    key2(
        attr::EVENT_ID,
        event_id.to_string(),
        attr::CODE_KEY,
        code_key,
    )
}

impl DynamoCatalog {
    fn code_from(&self, mut item: Item) -> Result<AccessCode> {
        let key = format!(
            "{}/{}",
            get_s(&item, attr::EVENT_ID).unwrap_or("?"),
            get_s(&item, attr::CODE_KEY).unwrap_or("?")
        );
        unpack_grant(&mut item).map_err(|e| malformed_item(&self.tables.access_codes, &key, e))?;
        from_item(item, &self.tables.access_codes, &key)
    }

    pub(super) async fn insert_code_row(&self, code: &AccessCode) -> Result<()> {
        self.put_new(
            &self.tables.access_codes,
            code_item(code)?,
            attr::EVENT_ID,
            || Error::conflict("code_exists", "the event already has that code"),
        )
        .await?;
        self.align_new_children(code.event_id, &[code.expires_at.epoch_secs()])
            .await
    }

    pub(super) async fn get_code_row(&self, event_id: EventId, key: &str) -> Result<AccessCode> {
        if key.is_empty() {
            // An empty key attribute is a validation error in DynamoDB; it names no code.
            return Err(code_not_found());
        }
        match self
            .get_item(&self.tables.access_codes, code_key(event_id, key))
            .await?
        {
            Some(item) if !ttl_passed(&item, Timestamp::now()) => self.code_from(item),
            _ => Err(code_not_found()),
        }
    }

    pub(super) async fn list_code_rows(
        &self,
        event_id: EventId,
        page: &PageRequest,
    ) -> Result<Page<AccessCode>> {
        let spec = ListSpec {
            table: &self.tables.access_codes,
            source: Source::Query {
                index: Some(BY_CREATED.name),
                key_condition: "#e = :e",
                forward: true,
            },
            filter: Some("#ttl > :now".to_owned()),
            names: HashMap::from([
                ("#e".to_owned(), attr::EVENT_ID.to_owned()),
                ("#ttl".to_owned(), attr::TTL.to_owned()),
            ]),
            values: HashMap::from([
                (":e".to_owned(), s(event_id.to_string())),
                (":now".to_owned(), n(Timestamp::now().epoch_secs())),
            ]),
            key_attrs: &[attr::EVENT_ID, attr::CODE_KEY, attr::CREATED_SORT],
            fixed: Some((attr::EVENT_ID, event_id.to_string())),
            scope: format!("codes/{event_id}"),
        };
        let (items, next) = self.list_page(spec, page).await?;
        let items = items
            .into_iter()
            .map(|item| self.code_from(item))
            .collect::<Result<Vec<_>>>()?;
        Ok(Page { items, next })
    }

    pub(super) async fn update_code_row(&self, code: &AccessCode) -> Result<AccessCode> {
        let mut next = code.clone();
        next.version = code.version.saturating_add(1);
        let stored = self
            .put_versioned(
                &self.tables.access_codes,
                code_item(&next)?,
                code_key(code.event_id, &code.code_key),
                code.version,
                code_not_found,
            )
            .await?;
        self.code_from(stored)
    }
}
