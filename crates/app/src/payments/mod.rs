//! Payments: starting one (from the cabinet or without registration), showing one, the
//! account's history, and settling them with what the provider reports, whether a notification
//! or the reconciliation job asks; and the text of a payment QR code to pay from any bank's app.
//!
//! A payment's status changes in one place only: [`settle::SettlePayment`], which trusts
//! nothing but the provider's own report (`PaymentProvider::report`).

pub mod history;
pub mod notification;
pub mod qr;
pub mod reconcile;
pub mod settle;
pub mod start;
pub mod status;

pub use history::{PaymentHistory, PaymentHistoryCommand, PaymentHistoryError};
pub use notification::{
    HandleNotification, HandleNotificationCommand, HandleNotificationError, NotificationOutcome,
};
pub use qr::{PaymentQr, PaymentQrCommand, PaymentQrError, QrRequester};
pub use reconcile::{
    ReconcilePayments, ReconcilePaymentsCommand, ReconcilePaymentsError, ReconciliationReport,
};
pub use settle::{PaymentRef, SettlePayment, SettlePaymentCommand, SettlePaymentError};
pub use start::{Payer, StartPayment, StartPaymentCommand, StartPaymentError};
pub use status::{GetPaymentStatus, GetPaymentStatusCommand, GetPaymentStatusError};

#[cfg(test)]
pub(crate) mod fixtures {
    use chrono::TimeDelta;
    use vodokanal_domain::{Money, Payment, PaymentId, PaymentPurpose, PaymentStatus};

    use crate::testing;

    pub fn payment_id() -> PaymentId {
        PaymentId::from_random_bytes([9; 16])
    }

    pub fn amount() -> Money {
        "150.50".parse().unwrap()
    }

    /// A pending water payment of 150.50 for account 123456, created at the provider
    /// (`sandbox`, id `prov-1`) an hour before `testing::now()`.
    pub fn payment() -> Payment {
        Payment {
            id: payment_id(),
            account_number: testing::account_number(),
            purpose: PaymentPurpose::Water,
            amount: amount(),
            status: PaymentStatus::Pending,
            provider: "sandbox".into(),
            provider_payment_id: Some("prov-1".into()),
            confirmation_url: Some("https://pay.example/prov-1".into()),
            receipt_contact: None,
            created_at: testing::now() - TimeDelta::hours(1),
            paid_at: None,
            user_id: None,
        }
    }
}
