//! Visit requests.

pub mod book;
pub mod list;
