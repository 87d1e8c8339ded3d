//! The signed-in subscriber's profile.

pub mod change_password;
pub mod delete;
pub mod history;
pub mod view;
