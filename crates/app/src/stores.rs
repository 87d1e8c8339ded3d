//! The bundle of every store port of one store (SQLite, PostgreSQL or the in-memory fake), as
//! the server wires them into the use cases and the contract suite tests them.

use std::sync::Arc;

use crate::ports::{
    AccountRepository, AttemptCounter, CodeRepository, Housekeeping, IdempotencyStore,
    MeterRepository, NoticeSettings, NoticeStore, PaymentRepository, ReadingRepository,
    RegistryStore, SessionRepository, SmsOutbox, StoreHealth, UserRepository,
    VisitRequestRepository,
};

/// Every store port of one store.
#[derive(Debug, Clone)]
pub struct Stores {
    pub users: Arc<dyn UserRepository>,
    pub sessions: Arc<dyn SessionRepository>,
    pub codes: Arc<dyn CodeRepository>,
    /// The SMS outbox (it also stores codes with their message, in one transaction).
    pub outbox: Arc<dyn SmsOutbox>,
    pub accounts: Arc<dyn AccountRepository>,
    pub meters: Arc<dyn MeterRepository>,
    pub readings: Arc<dyn ReadingRepository>,
    pub payments: Arc<dyn PaymentRepository>,
    pub visits: Arc<dyn VisitRequestRepository>,
    pub registry: Arc<dyn RegistryStore>,
    pub idempotency: Arc<dyn IdempotencyStore>,
    pub attempts: Arc<dyn AttemptCounter>,
    pub health: Arc<dyn StoreHealth>,
    pub housekeeping: Arc<dyn Housekeeping>,
    /// What is due, the planned notices and their deliveries' outbox.
    pub notices: Arc<dyn NoticeStore>,
    /// The subscribers' notice preferences, push subscriptions and e-mail verification.
    pub notice_settings: Arc<dyn NoticeSettings>,
}
