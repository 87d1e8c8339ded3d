//! Without registration: `/info`, anonymous readings and payments, a payment's state, a
//! payment's QR code, the reading window's calendar file.

pub mod info;
pub mod payment_qr;
pub mod payment_status;
pub mod reading_window;
pub mod start_payment;
pub mod submit_reading;
