//! The subscriber cabinet's domain: value objects that can only be built valid, the entities
//! built from them (user, account, meter, reading, payment, visit request, one-time code,
//! notice) and the business rules of the utility.
//!
//! Pure by design: no I/O, no async runtime, no clock of its own (every rule that needs the time
//! takes it as an argument). May depend on serde, thiserror, chrono (without its `clock`
//! feature), chrono-tz, uuid, subtle and base64 (a push subscription's keys); CI fails if tokio, sqlx, axum, reqwest, async-trait or
//! mockall ever appear in its dependency tree.
//!
//! ```
//! use vodokanal_domain::{Phone, ReadingPolicy, ReadingRejected, ReadingValue};
//!
//! let phone: Phone = "8 (910) 984-50-03".parse()?;
//! assert_eq!(phone.as_str(), "+79109845003");
//!
//! let previous: ReadingValue = "120.5".parse()?;
//! let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 20).unwrap_or_default();
//! let refused = ReadingPolicy::default().assess(today, "119".parse()?, Some(previous));
//! assert!(matches!(refused, Err(ReadingRejected::BelowPrevious { .. })));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod account;
pub mod calendar;
pub mod calendar_file;
pub mod client;
pub mod code;
mod code_enum;
pub mod consumption;
pub mod email;
pub mod full_name;
pub mod ids;
pub mod label;
pub mod mask;
pub mod meter;
pub mod money;
pub mod notes;
pub mod notice;
pub mod password;
pub mod payee;
pub mod payment;
pub mod payment_qr;
pub mod period;
pub mod phone;
pub mod purpose;
pub mod push;
pub mod reading;
pub mod registry;
pub mod session;
pub mod user;
mod value;
pub mod visit;
pub mod working_hours;

pub use account::{Account, AccountNumber, AccountNumberError, LinkedAccount};
pub use calendar::UtilityCalendar;
pub use client::ClientNetwork;
pub use code::{
    CodeDigest, CodePolicy, CodePurpose, CodeRejected, OneTimeCode, OneTimeCodeError, PendingCode,
};
pub use consumption::{ConsumptionPoint, ConsumptionSeries, MeterConsumption, SERIES_PERIODS};
pub use email::{Email, EmailError};
pub use full_name::{FullName, FullNameError};
pub use ids::{PaymentId, ReadingId, UserId, VisitRequestId};
pub use label::{Label, LabelError};
pub use meter::{
    Meter, MeterLast4, MeterLast4Error, MeterNumber, MeterNumberError, MeterService,
    MeterServiceError,
};
pub use money::{Balance, Money, MoneyError};
pub use notes::{Notes, NotesError};
pub use notice::{
    Channel, ChannelError, Channels, Notice, NoticeKind, NoticeKindError, NoticePreferences,
    NoticeTopic, NoticeTopicError, QuietHours,
};
pub use password::{LoginPassword, Password, PasswordError, PasswordHash};
pub use payee::{
    BankAccount, BankAccountError, BankName, BankTextError, Bic, BicError, Inn, InnError, Kpp,
    KppError, Payee, PayeeDetails, PayeeError, PayeeName,
};
pub use payment::{
    Outcome, Payment, PaymentStatus, PaymentStatusError, ReceiptContact, Settlement,
};
pub use payment_qr::PaymentOrder;
pub use period::{Period, PeriodError};
pub use phone::{MobilePhone, Phone, PhoneError};
pub use purpose::{PaymentPurpose, PaymentPurposeError};
pub use push::{PushSubscription, PushSubscriptionError};
pub use reading::{
    AnonymousSubmitter, Assessment, Implausible, Reading, ReadingPolicy, ReadingRejected,
    ReadingSource, ReadingValue, ReadingValueError, ReadingWarning, ReadingWindow,
    ReadingWindowError, VoidReason, VoidReasonError, Voided,
};
pub use registry::{RegistryMeter, RegistryRecord, RegistryRowError};
pub use session::{Session, SessionToken, TokenDigest};
pub use user::{CONSENT_VERSION, Consent, User};
pub use visit::{
    VisitKind, VisitKindError, VisitRequest, VisitSlot, VisitSlotError, VisitStatus,
    VisitStatusError,
};
pub use working_hours::{DayHours, WorkingHours, WorkingHoursError};
