//! Router tests: the real router over the in-memory store, called with `oneshot`.
#![expect(clippy::unwrap_used, reason = "tests fail loudly")]

mod harness;

mod accounts;
mod auth;
mod consumption;
mod garbage;
mod idempotency;
mod infra;
mod limits;
mod notices;
mod payment_qr;
mod payments;
mod public;
mod readings;
mod visits;
mod your_data;
