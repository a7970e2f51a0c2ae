//! Adapters: the ports implemented over real stores.

pub mod sqlite_catalog;

pub use sqlite_catalog::SqliteCatalog;
