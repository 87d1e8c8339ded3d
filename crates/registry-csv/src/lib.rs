//! The file side of the operator's data exchange with the billing system: the registry read
//! from a `;`-separated CSV file row by row ([`CsvRegistrySource`], a `RegistrySource`), the
//! exports written as the same kind of CSV ([`CsvExportSink`], an `ExportSink`), and a
//! generator of large valid registries for the benchmarks ([`generator`], the
//! `generate-registry` binary).
//!
//! # The CSV conventions
//!
//! - Fields are separated by `;`; a field may be enclosed in double quotes, and a quote inside
//!   such a field is doubled (`"ЖК ""Ткацкий""; корп. 2"`). A quoted field may hold `;`, CR and
//!   LF.
//! - UTF-8. On input a byte order mark at the start of the file is skipped; the exports are
//!   written without one (a file for a subscriber's spreadsheet, the profile's history, with
//!   one: `CsvExportSink::with_byte_order_mark`).
//! - Lines end with LF or CRLF on input (both are accepted, even mixed); the exports end every
//!   line with a bare LF, the Unix convention, since nothing in the contract asks for CRLF and
//!   the registry reader of the billing side accepts both.
//! - The exports quote a field only when it has to be quoted: when it contains `;`, `"`, CR or
//!   LF (and a row whose only field is blank, so that it is not read back as a blank line).
//! - An exported field that begins with `=`, `+`, `-`, `@`, a tab or CR, and is not a negative
//!   number, is prefixed with `'`, so that a spreadsheet shows it as text rather than running
//!   it as a formula (a name or a note a subscriber typed; a phone `+7…`).
//!
//! Reading is strict where the `csv` crates are lenient: a quote inside an unquoted field,
//! text after a closing quote, or a quote that is never closed makes the row a
//! `SourceError::BadRow`, as does a field that is not valid UTF-8 (see [`source`]).

mod encode;
pub mod generator;
mod sink;
pub mod source;

pub use encode::{defuse, encode_row};
pub use sink::CsvExportSink;
pub use source::CsvRegistrySource;
