//! The store contract suite: what every store (the in-memory fake, SQLite, PostgreSQL) must do,
//! one `pub async fn name(stores: Stores)` per behaviour, grouped by port area. Each function
//! starts from an empty store and panics when the store breaks the contract.
//!
//! Run them all with [`store_contract_tests!`](crate::store_contract_tests); the list of
//! functions lives in one place, [`for_each_contract!`](crate::for_each_contract), which a new
//! function must be added to.
//!
//! The concurrency cases start real concurrent tasks (`tokio::spawn`, then `join_all`) on a
//! multi-threaded runtime; a store that only passes them when calls come one by one fails.
#![expect(
    clippy::missing_panics_doc,
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a contract test panics when the store breaks the contract"
)]

pub mod accounts;
pub mod attempts;
pub mod codes;
pub mod housekeeping;
pub mod idempotency;
pub mod meters;
pub mod notice_settings;
pub mod notices;
pub mod notices_due;
pub mod outbox;
pub mod payments;
pub mod readings;
pub mod registry;
pub mod sessions;
pub mod snapshots;
pub mod users;
pub mod visits;

use std::future::Future;

use futures::{StreamExt, TryStreamExt};
use vodokanal_app::StoreError;
use vodokanal_domain::{AccountNumber, MeterNumber, RegistryRecord, User};

use crate::Stores;
use crate::builders;

/// Runs `n` copies of a task at once, each on its own tokio task, and returns their results
/// in the order of `i`.
pub async fn concurrently<F, Fut, T>(n: usize, task: F) -> Vec<T>
where
    F: Fn(usize) -> Fut,
    Fut: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let handles: Vec<_> = (0..n).map(|i| tokio::spawn(task(i))).collect();
    futures::future::join_all(handles)
        .await
        .into_iter()
        .map(|joined| joined.expect("a concurrent task panicked"))
        .collect()
}

/// Collects an export stream, failing on the first error.
pub async fn collect<T>(
    stream: futures::stream::BoxStream<'static, Result<T, StoreError>>,
) -> Vec<T> {
    stream.try_collect().await.expect("the export streams")
}

/// Counts the items of an export stream.
pub async fn count<T>(stream: futures::stream::BoxStream<'static, Result<T, StoreError>>) -> usize {
    stream.count().await
}

/// Imports one registry row.
pub async fn import(stores: &Stores, rows: &[RegistryRecord]) {
    stores
        .registry
        .upsert(rows)
        .await
        .expect("the registry imports");
}

/// A fresh account with one fresh meter, through the registry.
pub async fn seed_account(stores: &Stores) -> (AccountNumber, MeterNumber) {
    let account = builders::fresh_account_number();
    let meter = builders::fresh_meter_number();
    import(stores, &[builders::registry_row(&account, &meter)]).await;
    (account, meter)
}

/// A fresh account with two fresh meters, through the registry.
pub async fn seed_account_with_two_meters(
    stores: &Stores,
) -> (AccountNumber, MeterNumber, MeterNumber) {
    let account = builders::fresh_account_number();
    let first = builders::fresh_meter_number();
    let second = builders::fresh_meter_number();
    import(
        stores,
        &[
            builders::registry_row(&account, &first),
            builders::registry_row(&account, &second),
        ],
    )
    .await;
    (account, first, second)
}

/// A fresh registered user.
pub async fn seed_user(stores: &Stores) -> User {
    let user = builders::user();
    stores
        .users
        .create(&user)
        .await
        .expect("the user is created");
    user
}
