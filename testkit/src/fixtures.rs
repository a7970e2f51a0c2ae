//! Fixtures: real adapters on fresh storage, owning whatever must outlive the test.

use shared::adapters::SqliteCatalog;
use shared::ports::Catalog;

use crate::conformance::catalog::CatalogFixture;

/// A `SqliteCatalog` on a database file in its own temporary directory (removed on drop).
#[derive(Debug)]
pub struct SqliteCatalogFixture {
    catalog: SqliteCatalog,
    // Dropped after the catalog (fields drop in order), so the file outlives the connection.
    _dir: tempfile::TempDir,
}

impl CatalogFixture for SqliteCatalogFixture {
    fn catalog(&self) -> &dyn Catalog {
        &self.catalog
    }
}

/// A fresh `SqliteCatalog` on a new temporary file (WAL, like the local stack).
pub async fn sqlite_catalog() -> SqliteCatalogFixture {
    let dir = tempfile::tempdir().expect("create a temporary directory");
    let catalog =
        SqliteCatalog::open(dir.path().join("catalog.sqlite3")).expect("open the SQLite catalog");
    SqliteCatalogFixture { catalog, _dir: dir }
}
