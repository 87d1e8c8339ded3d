//! Payments in the cabinet and the provider's notifications.

pub mod history;
pub mod notification;
pub mod qr;
pub mod start;
