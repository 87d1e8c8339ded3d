//! Notices (issue 17): «Уведомления» in the profile, the browser's push subscription, the
//! e-mail's verification, and the unsubscribe link of a notice's mail.

pub mod email;
pub mod push;
pub mod settings;
pub mod unsubscribe;
