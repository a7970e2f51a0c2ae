//! The one description of the DynamoDB tables: key schemas, indexes and TTL attributes.
//!
//! `DynamoCatalog::create_tables` builds the tables from these constants, and the SAM
//! template's `AWS::DynamoDB::Table` resources must mirror them attribute for attribute
//! (names, key types, index names, projections, TTL attribute). Change both together.
//!
//! Every key attribute is a string (`S`). Every index projects `ALL` attributes, because
//! every list returns whole rows.

/// Attribute names the adapter writes besides the domain fields.
pub mod attr {
    /// Partition key of the single-key tables (`Users`, `Events`, `Counters`).
    pub const PK: &str = "pk";
    /// TTL attribute (number, epoch seconds) on every expiring item.
    pub const TTL: &str = "ttl_epoch";
    /// On an event row: the `ttl_epoch` its child rows were last all brought to (number).
    /// While it differs from the row's own `ttl_epoch`, an expiry change is still being
    /// carried to the children (see `DynamoCatalog::update_event`).
    pub const CHILDREN_TTL: &str = "children_ttl_epoch";
    /// Event id: partition key of the child tables.
    pub const EVENT_ID: &str = "event_id";
    /// Photo id: sort key of `Photos`.
    pub const PHOTO_ID: &str = "photo_id";
    /// Access-code lookup key: sort key of `AccessCodes`.
    pub const CODE_KEY: &str = "code_key";
    /// Job id: sort key of `Jobs`.
    pub const JOB_ID: &str = "job_id";
    /// Owner of an event: partition key of `Events.by_owner`.
    pub const OWNER_ID: &str = "owner_id";
    /// `{created_at:020}#{event_id}`: sort key of `Events.by_owner`.
    pub const OWNER_CREATED: &str = "owner_created";
    /// `t{taken_at:020}#{photo_id}` or `z#{photo_id}` (unknown capture time sorts last):
    /// sort key of `Photos.by_taken`.
    pub const TAKEN_SORT: &str = "taken_sort";
    /// Lowercase hex SHA-256 of the original: sort key of `Photos.by_sha256`.
    pub const SHA256: &str = "sha256";
    /// `{created_at:020}#{code_key}`: sort key of `AccessCodes.by_created`.
    pub const CREATED_SORT: &str = "created_sort";
}

/// Whether an index is global or local (local indexes share the table's partition key and
/// can only be declared when the table is created).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexKind {
    /// A global secondary index (own partition key, eventually consistent).
    Global,
    /// A local secondary index (same partition key, strongly consistent reads possible).
    Local,
}

/// One secondary index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexSpec {
    /// Index name as DynamoDB knows it.
    pub name: &'static str,
    /// Global or local.
    pub kind: IndexKind,
    /// Partition key attribute.
    pub hash_key: &'static str,
    /// Sort key attribute.
    pub range_key: &'static str,
}

/// One table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableSpec {
    /// Logical name; the physical name is the deployment prefix plus this.
    pub logical_name: &'static str,
    /// Partition key attribute.
    pub hash_key: &'static str,
    /// Sort key attribute, if any.
    pub range_key: Option<&'static str>,
    /// Secondary indexes.
    pub indexes: &'static [IndexSpec],
    /// The TTL attribute, if items expire.
    pub ttl_attribute: Option<&'static str>,
}

/// `Users`: `pk` = `user#{user_id}` (the row), `username#{name}` and `email#{address}`
/// (uniqueness claims naming the `user_id`; a username a rename gave up keeps its claim,
/// with `held_until`, for 30 days). No indexes: lookups by name go through the claims,
/// which are strongly consistent where a GSI would not be.
pub const USERS: TableSpec = TableSpec {
    logical_name: "Users",
    hash_key: attr::PK,
    range_key: None,
    indexes: &[],
    ttl_attribute: None,
};

/// `Events`: `pk` = `event#{event_id}` (the row) and `path#{owner_id}#{slug}` (the public
/// path claim naming the `event_id`; a tombstone carries `tombstone_until`).
/// GSI `by_owner` (`owner_id`, `owner_created`) is sparse: only event rows have
/// `owner_created`.
pub const EVENTS: TableSpec = TableSpec {
    logical_name: "Events",
    hash_key: attr::PK,
    range_key: None,
    indexes: &[BY_OWNER],
    ttl_attribute: Some(attr::TTL),
};

/// The owner's events, newest first.
pub const BY_OWNER: IndexSpec = IndexSpec {
    name: "by_owner",
    kind: IndexKind::Global,
    hash_key: attr::OWNER_ID,
    range_key: attr::OWNER_CREATED,
};

/// `Photos`: (`event_id`, `photo_id`). LSIs `by_taken` and `by_sha256`.
pub const PHOTOS: TableSpec = TableSpec {
    logical_name: "Photos",
    hash_key: attr::EVENT_ID,
    range_key: Some(attr::PHOTO_ID),
    indexes: &[BY_TAKEN, BY_SHA256],
    ttl_attribute: Some(attr::TTL),
};

/// An event's photos by capture time, unknown times last, ties by photo id.
pub const BY_TAKEN: IndexSpec = IndexSpec {
    name: "by_taken",
    kind: IndexKind::Local,
    hash_key: attr::EVENT_ID,
    range_key: attr::TAKEN_SORT,
};

/// An event's photos by content digest (duplicate detection before upload).
pub const BY_SHA256: IndexSpec = IndexSpec {
    name: "by_sha256",
    kind: IndexKind::Local,
    hash_key: attr::EVENT_ID,
    range_key: attr::SHA256,
};

/// `AccessCodes`: (`event_id`, `code_key`). LSI `by_created`.
pub const ACCESS_CODES: TableSpec = TableSpec {
    logical_name: "AccessCodes",
    hash_key: attr::EVENT_ID,
    range_key: Some(attr::CODE_KEY),
    indexes: &[BY_CREATED],
    ttl_attribute: Some(attr::TTL),
};

/// An event's codes, oldest first.
pub const BY_CREATED: IndexSpec = IndexSpec {
    name: "by_created",
    kind: IndexKind::Local,
    hash_key: attr::EVENT_ID,
    range_key: attr::CREATED_SORT,
};

/// `Jobs`: (`event_id`, `job_id`).
pub const JOBS: TableSpec = TableSpec {
    logical_name: "Jobs",
    hash_key: attr::EVENT_ID,
    range_key: Some(attr::JOB_ID),
    indexes: &[],
    ttl_attribute: Some(attr::TTL),
};

/// `Counters`: `pk` = the counter key; `count` and the window end as `ttl_epoch`.
pub const COUNTERS: TableSpec = TableSpec {
    logical_name: "Counters",
    hash_key: attr::PK,
    range_key: None,
    indexes: &[],
    ttl_attribute: Some(attr::TTL),
};

/// Physical table names of one deployment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DynamoTables {
    /// `{prefix}Users`.
    pub users: String,
    /// `{prefix}Events`.
    pub events: String,
    /// `{prefix}Photos`.
    pub photos: String,
    /// `{prefix}AccessCodes`.
    pub access_codes: String,
    /// `{prefix}Jobs`.
    pub jobs: String,
    /// `{prefix}Counters`.
    pub counters: String,
}

impl DynamoTables {
    /// Names made of `prefix` (e.g. `picpass-prod-`) and each logical name.
    pub fn with_prefix(prefix: &str) -> Self {
        let name = |spec: TableSpec| format!("{prefix}{}", spec.logical_name);
        Self {
            users: name(USERS),
            events: name(EVENTS),
            photos: name(PHOTOS),
            access_codes: name(ACCESS_CODES),
            jobs: name(JOBS),
            counters: name(COUNTERS),
        }
    }

    /// Every table's description with its physical name, in creation order.
    pub fn specs(&self) -> [(TableSpec, &str); 6] {
        [
            (USERS, &self.users),
            (EVENTS, &self.events),
            (PHOTOS, &self.photos),
            (ACCESS_CODES, &self.access_codes),
            (JOBS, &self.jobs),
            (COUNTERS, &self.counters),
        ]
    }
}
