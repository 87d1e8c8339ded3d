//! Registered subscribers.

use chrono::{DateTime, Utc};

use crate::email::Email;
use crate::ids::UserId;
use crate::password::PasswordHash;
use crate::phone::Phone;

/// The version of the consent text to personal data processing that registration records.
pub const CONSENT_VERSION: &str = "2026-11";

/// A subscriber's consent to the processing of personal data (152-FZ art. 9).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consent {
    pub given_at: DateTime<Utc>,
    pub version: String,
}

/// A registered subscriber.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub phone: Phone,
    pub email: Email,
    pub password_hash: PasswordHash,
    pub consent: Consent,
    pub created_at: DateTime<Utc>,
}
