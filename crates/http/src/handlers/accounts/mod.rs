//! Accounts in the cabinet.

pub mod link;
pub mod list;
pub mod relabel;
pub mod unlink;
pub mod view;
