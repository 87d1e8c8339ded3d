//! The store contract suite against SQLite: a fresh database file per test, in a temporary
//! directory removed when the test ends, opened and migrated as the server does.
#![expect(
    clippy::expect_used,
    reason = "a database that can't be set up fails the test"
)]

use tempfile::TempDir;
use vodokanal_sqlite::{SqliteStores, connect, migrate};
use vodokanal_test_support::{StoreFixture, Stores};

struct SqliteFixture {
    stores: Stores,
    _dir: TempDir,
}

impl StoreFixture for SqliteFixture {
    fn stores(&self) -> Stores {
        self.stores.clone()
    }
}

async fn fresh_database() -> SqliteFixture {
    let dir = tempfile::Builder::new()
        .prefix("vodokanal-sqlite-")
        .tempdir()
        .expect("a temporary directory");
    let url = format!("sqlite://{}", dir.path().join("cabinet.db").display());
    let pools = connect(&url, 8).await.expect("the database opens");
    migrate(&pools.writer).await.expect("the schema migrates");
    SqliteFixture {
        stores: SqliteStores::new(pools),
        _dir: dir,
    }
}

vodokanal_test_support::store_contract_tests!(fresh_database());
