//! The store contract suite against SQLite once more, through `#[sqlx::test]` (a fresh
//! database per test, migrated by `MIGRATOR`, with sqlx's default options): this checks the
//! pool form of `store_contract_tests!` that the PostgreSQL store uses.

vodokanal_test_support::store_contract_tests!(
    #[sqlx::test(migrator = "vodokanal_sqlite::MIGRATOR")]
    |pool: sqlx::SqlitePool| vodokanal_sqlite::SqliteStores::new(pool)
);
