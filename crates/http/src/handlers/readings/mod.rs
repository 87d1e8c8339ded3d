//! An account's readings in the cabinet.

pub mod consumption;
pub mod history;
pub mod submit;
