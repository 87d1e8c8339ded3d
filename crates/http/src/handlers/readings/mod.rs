//! An account's readings in the cabinet.

pub mod history;
pub mod submit;
