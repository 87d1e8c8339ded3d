//! The pool form of `store_contract_tests!` (the form the PostgreSQL store runs in full) on
//! SQLite through `#[sqlx::test]`, with sqlx's default options: one case, as the full suite
//! runs in `contract.rs`.

vodokanal_test_support::__store_contract_tests_with_pool!(
    {
        #[sqlx::test(migrator = "vodokanal_sqlite::MIGRATOR")]
        |pool: sqlx::SqlitePool| vodokanal_sqlite::SqliteStores::new(pool)
    }
    users: [a_created_user_is_found_by_id_phone_and_email],
);
