//! Visit requests.

pub mod book;
pub mod calendar;
pub mod list;
