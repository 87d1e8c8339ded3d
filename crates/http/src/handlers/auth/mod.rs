//! Registration, login, logout and password recovery.

pub mod confirm_registration;
pub mod confirm_reset;
pub mod login;
pub mod logout;
pub mod request_registration;
pub mod request_reset;
