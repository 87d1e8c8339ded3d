//! Tests of the workspace from outside. `architecture.rs` holds the crate map of
//! `docs/architecture.md` to account: which crate may depend on which. `journeys/` walks the
//! contract against the built `vodokanal` binary, on SQLite and on PostgreSQL. `cli.rs` runs
//! the binary's other commands (and `serve`'s refusals and graceful stop) on SQLite.
//!
//! This library is what the test files share: [`Deployment`] (a database, fresh per test, and a
//! folder that outlive a server's restarts; one-shot commands run on it too), [`Server`] (the
//! binary started on a free port, with extra settings if need be), [`Request`] and [`Response`]
//! (a small HTTP/1.1 client), [`Proxy`] (a TCP proxy in front of PostgreSQL that a fault test
//! cuts and restores), and [`journeys!`], which turns one `async fn(Backend)` into a test per
//! database.
//!
//! The binary is not built here: `cargo nextest run --workspace` (through the integration test
//! `crates/server/tests/binary.rs`) or `cargo build -p vodokanal-server` puts
//! `target/<profile>/vodokanal` next to the test executable's folder.
#![expect(
    clippy::panic,
    clippy::unwrap_used,
    clippy::missing_panics_doc,
    reason = "test support: a journey that can't go on fails the test loudly"
)]

mod database;
pub mod demo;
mod http;
pub mod load;
pub mod pii;
mod proxy;
mod server;

pub use database::{Backend, PgDatabase};
pub use http::{NoAnswer, Request, Response};
pub use proxy::Proxy;
pub use server::{Deployment, Exit, Server, free_port};

/// `+7XXXXXXXXXX` of a phone in any of the forms the tests use.
pub fn e164(phone: &str) -> String {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    assert!(digits.len() >= 10, "not a phone: {phone}");
    format!("+7{}", &digits[digits.len() - 10..])
}

/// The code of an SMS text such as "Код подтверждения регистрации: 123456. …": the 6 digits
/// after ": ".
pub fn code_in(text: &str) -> String {
    let code: String = text
        .split_once(": ")
        .unwrap_or_else(|| panic!("no code in {text}"))
        .1
        .chars()
        .take(6)
        .collect();
    assert!(
        code.len() == 6 && code.chars().all(|c| c.is_ascii_digit()),
        "{text}"
    );
    code
}

/// Turns each `async fn journey(backend: Backend)` named here into two tests,
/// `sqlite::journey` and `postgres::journey`. A PostgreSQL test fails (never skips) when the
/// server at `DATABASE_URL` can't be reached.
///
/// ```text
/// async fn register(backend: Backend) { let server = Server::start(backend).await; ... }
/// vodokanal_e2e::journeys!(register);
/// ```
#[macro_export]
macro_rules! journeys {
    ($($journey:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $journey() {
                    super::$journey($crate::Backend::Sqlite).await;
                }
            )+
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $journey() {
                    super::$journey($crate::Backend::Postgres).await;
                }
            )+
        }
    };
}
