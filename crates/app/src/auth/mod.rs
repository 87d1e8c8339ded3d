//! Registration, login, logout, bearer-token authentication and password recovery.
//!
//! The SMS code flows share [`send_code::SendCode`] (limits, resend pause, decoys) and
//! [`confirm_code`] (checking a typed code); the secrets they handle (session tokens, code
//! digests) are made in [`secrets`].

pub mod authenticate;
pub mod confirm_code;
pub mod login;
pub mod logout;
pub mod password_reset;
pub mod registration;
pub mod secrets;
pub mod send_code;

use chrono::{DateTime, Utc};
use vodokanal_domain::{SessionToken, User};

pub use authenticate::{Authenticate, AuthenticateCommand, AuthenticateError, CurrentUser};
pub use login::{
    Login, LoginCommand, LoginError, LoginName, LoginNameError, LoginOutput, user_limit_key,
};
pub use logout::{Logout, LogoutCommand, LogoutError};
pub use password_reset::{
    ConfirmPasswordReset, ConfirmPasswordResetCommand, ConfirmPasswordResetError,
    RequestPasswordReset, RequestPasswordResetCommand, RequestPasswordResetError,
    RequestPasswordResetOutput,
};
pub use registration::{
    ConfirmRegistration, ConfirmRegistrationCommand, ConfirmRegistrationError,
    ConfirmRegistrationOutput, RequestRegistration, RequestRegistrationCommand,
    RequestRegistrationError, RequestRegistrationOutput,
};
pub use send_code::{CodeRequested, Delivery, SendCode, SendCodeCommand, SendCodeError};

/// A new session, as registration and login open it: its token, when it expires, and the
/// user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedIn {
    /// The bearer token; only its digest is stored.
    pub token: SessionToken,
    pub expires_at: DateTime<Utc>,
    pub user: User,
}
