//! SMS through the transactional outbox (ADR 0010): the budgets every queued SMS spends
//! ([`budget`]) and the background sender that delivers the outbox ([`deliver`]).

pub mod budget;
pub mod deliver;

pub use budget::{BudgetError, SmsBudget};
pub use deliver::{DeliverSms, Delivered, DeliveryPolicy};
