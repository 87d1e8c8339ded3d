//! Notices (issue 17, ADR 0014): reminders of the reading window and of a meter's
//! verification, news of a payment and of a debt, by e-mail, web push and SMS. Planned into
//! the store ([`plan`]), sent by the background loop ([`deliver`]); the subscriber's choices
//! ([`settings`]) and the address's verification ([`verify_email`]); the links that work
//! without a session ([`links`]).

pub mod deliver;
pub mod links;
pub mod plan;
pub mod settings;
pub mod verify_email;

pub use deliver::{Channels, DeliverNotices, Links};
pub use links::LinkKey;
pub use plan::{NoticeRules, PlanNotices, Scope};
pub use settings::{
    Notifications, NotificationsView, PushHosts, SubscribeError, UnsubscribeByLink,
    UnsubscribeError,
};
pub use verify_email::{EmailVerification, RequestLinkError, VerifyEmailError};
