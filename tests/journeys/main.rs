//! Black-box journeys against the built `vodokanal` binary, each on a temporary SQLite file and
//! on a fresh PostgreSQL database (see `vodokanal_e2e::journeys!`), with the demo registry, the
//! log SMS gateway's outbox and the sandbox payment provider: every journey of the contract
//! (`../shared/api.md`), with its exact statuses and problem codes. `providers` runs the real
//! SMS.ru, YooKassa and T-Bank adapters instead, against mock servers in the test process;
//! `notices` sends mail and web push to an SMTP server and a push service stand-in on loopback.
//!
//! The binary is not built here: `cargo nextest run --workspace` (or `cargo build -p
//! vodokanal-server`) puts `target/<profile>/vodokanal` next to this test's folder.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a journey that can't go on fails the test loudly"
)]

mod accounts;
mod auth;
mod garbage;
mod idempotency;
mod limits;
mod logs;
mod metrics;
mod notices;
mod payments;
mod profile;
mod providers;
mod readings;
mod visits;

use std::time::{SystemTime, UNIX_EPOCH};

use chrono::{DateTime, Datelike, Days, FixedOffset, NaiveDate, Weekday};

/// Today in the server's default time zone, `Europe/Moscow` (UTC+3 all year since 2014).
fn moscow_today() -> NaiveDate {
    let seconds = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let moscow = FixedOffset::east_opt(3 * 3600).unwrap();
    DateTime::from_timestamp(i64::try_from(seconds).unwrap(), 0)
        .unwrap()
        .with_timezone(&moscow)
        .date_naive()
}

/// The first day from `today + from` days on that is `weekday`, or, for `None`, any of Monday
/// to Friday (when the contact center works 08:30 to 18:30).
fn first_day(from: u64, weekday: Option<Weekday>) -> NaiveDate {
    (from..from + 7)
        .map(|days| moscow_today() + Days::new(days))
        .find(|day| match weekday {
            Some(weekday) => day.weekday() == weekday,
            None => day.weekday().number_from_monday() <= 5,
        })
        .unwrap()
}
