//! What every store is tested with: the [`Stores`] bundle of store ports, in-memory fakes of
//! them (`InMemory…`), builders of domain values, and the store contract suite (`contract`)
//! that the in-memory fakes, SQLite and PostgreSQL all run, through
//! [`store_contract_tests!`].
//!
//! May depend on `vodokanal-app`, `vodokanal-domain`, tokio and futures; used only as a
//! dev-dependency.

use std::sync::Arc;

use vodokanal_app::ports::{
    AccountRepository, AttemptCounter, CodeRepository, IdempotencyStore, MeterRepository,
    PaymentRepository, ReadingRepository, RegistryStore, SessionRepository, UserRepository,
    VisitRequestRepository,
};

/// Every store port of one store, as the server wires them.
#[derive(Clone)]
pub struct Stores {
    pub users: Arc<dyn UserRepository>,
    pub sessions: Arc<dyn SessionRepository>,
    pub codes: Arc<dyn CodeRepository>,
    pub accounts: Arc<dyn AccountRepository>,
    pub meters: Arc<dyn MeterRepository>,
    pub readings: Arc<dyn ReadingRepository>,
    pub payments: Arc<dyn PaymentRepository>,
    pub visits: Arc<dyn VisitRequestRepository>,
    pub registry: Arc<dyn RegistryStore>,
    pub idempotency: Arc<dyn IdempotencyStore>,
    pub attempts: Arc<dyn AttemptCounter>,
}

impl std::fmt::Debug for Stores {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Stores")
    }
}
