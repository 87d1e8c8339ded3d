//! Payments and their one-way life: pending, then succeeded or canceled, never back.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::account::AccountNumber;
use crate::email::Email;
use crate::ids::{PaymentId, UserId};
use crate::money::Money;
use crate::phone::Phone;
use crate::purpose::PaymentPurpose;

crate::code_enum! {
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum PaymentStatus {
        Pending => "pending",
        Succeeded => "succeeded",
        Canceled => "canceled",
    }
    impl FromStr with PaymentStatusError;
    impl Display;
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("payment status must be one of pending, succeeded, canceled")]
pub struct PaymentStatusError;

impl PaymentStatus {
    pub const fn is_final(self) -> bool {
        !matches!(self, Self::Pending)
    }
}

/// What the provider reports about a payment: the outcome to settle with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Succeeded { paid_at: DateTime<Utc> },
    Canceled,
}

/// What settling did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settlement {
    /// The payment left `pending` for this status.
    Moved(PaymentStatus),
    /// The payment was already final; nothing changed (a repeated or late notification).
    Unchanged(PaymentStatus),
}

/// Where the receipt (54-FZ) goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReceiptContact {
    Email(Email),
    Phone(Phone),
}

/// A payment to the utility.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payment {
    pub id: PaymentId,
    pub account_number: AccountNumber,
    pub purpose: PaymentPurpose,
    pub amount: Money,
    pub status: PaymentStatus,
    /// The provider that handles it (`sandbox`, `yookassa`, `tbank`).
    pub provider: String,
    /// The provider's own id, once the provider has created the payment.
    pub provider_payment_id: Option<String>,
    /// Where the payer confirms the payment.
    pub confirmation_url: Option<String>,
    pub receipt_contact: Option<ReceiptContact>,
    pub created_at: DateTime<Utc>,
    pub paid_at: Option<DateTime<Utc>>,
    /// The subscriber who paid from the cabinet; `None` for anonymous payments and once the
    /// profile is deleted.
    pub user_id: Option<UserId>,
}

impl Payment {
    /// Applies the provider's outcome: `pending` moves once; a final payment never changes.
    pub fn settle(&mut self, outcome: Outcome) -> Settlement {
        if self.status.is_final() {
            return Settlement::Unchanged(self.status);
        }
        match outcome {
            Outcome::Succeeded { paid_at } => {
                self.status = PaymentStatus::Succeeded;
                self.paid_at = Some(paid_at);
            }
            Outcome::Canceled => self.status = PaymentStatus::Canceled,
        }
        Settlement::Moved(self.status)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payment() -> Payment {
        Payment {
            id: PaymentId::from_random_bytes([3; 16]),
            account_number: "123456".parse().unwrap(),
            purpose: PaymentPurpose::Water,
            amount: "100.00".parse().unwrap(),
            status: PaymentStatus::Pending,
            provider: "sandbox".into(),
            provider_payment_id: None,
            confirmation_url: None,
            receipt_contact: None,
            created_at: DateTime::<Utc>::UNIX_EPOCH,
            paid_at: None,
            user_id: None,
        }
    }

    #[test]
    fn pending_moves_once_to_succeeded() {
        let mut p = payment();
        let paid_at = DateTime::<Utc>::UNIX_EPOCH + chrono::TimeDelta::minutes(5);
        assert_eq!(
            p.settle(Outcome::Succeeded { paid_at }),
            Settlement::Moved(PaymentStatus::Succeeded)
        );
        assert_eq!(p.paid_at, Some(paid_at));
        assert_eq!(
            p.settle(Outcome::Succeeded { paid_at }),
            Settlement::Unchanged(PaymentStatus::Succeeded)
        );
        assert_eq!(
            p.settle(Outcome::Canceled),
            Settlement::Unchanged(PaymentStatus::Succeeded)
        );
        assert_eq!(p.status, PaymentStatus::Succeeded);
    }

    #[test]
    fn canceled_never_comes_back() {
        let mut p = payment();
        assert_eq!(
            p.settle(Outcome::Canceled),
            Settlement::Moved(PaymentStatus::Canceled)
        );
        let paid_at = DateTime::<Utc>::UNIX_EPOCH;
        assert_eq!(
            p.settle(Outcome::Succeeded { paid_at }),
            Settlement::Unchanged(PaymentStatus::Canceled)
        );
        assert_eq!(p.paid_at, None);
    }

    #[test]
    fn statuses_round_trip() {
        for s in [
            PaymentStatus::Pending,
            PaymentStatus::Succeeded,
            PaymentStatus::Canceled,
        ] {
            assert_eq!(s.code().parse::<PaymentStatus>(), Ok(s));
        }
        assert!("paid".parse::<PaymentStatus>().is_err());
    }
}
