//! One handler per file, grouped by area as the contract groups its rows.

pub mod accounts;
pub mod auth;
pub mod health;
pub mod notices;
pub mod payments;
pub mod profile;
pub mod public;
pub mod readings;
pub mod visits;
