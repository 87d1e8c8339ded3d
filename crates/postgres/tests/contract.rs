//! The shared store contract suite (`vodokanal-test-support`) run against PostgreSQL: each
//! contract test gets a fresh, migrated database from `#[sqlx::test]` (against `DATABASE_URL`,
//! `postgres://postgres@127.0.0.1:5432/postgres` by default), dropped when it passes.

vodokanal_test_support::store_contract_tests!(
    #[sqlx::test(migrator = "vodokanal_postgres::MIGRATOR")]
    |pool: sqlx::PgPool| vodokanal_postgres::PgStores::new(pool)
);
