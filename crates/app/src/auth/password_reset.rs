//! Password recovery: `POST /auth/password-reset` sends a code to a registered phone (and
//! answers the same for any phone), `POST /auth/password-reset/confirm` sets a new password
//! and ends every session of the user.

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;

use vodokanal_domain::{CodePolicy, CodePurpose, MobilePhone, OneTimeCode, Password, Phone};

use super::confirm_code::{CodeCheckError, confirm_code};
use super::send_code::{CodeRequested, Delivery, SendCode, SendCodeCommand, SendCodeError};
use crate::StoreError;
use crate::ports::{
    Clock, CodeRepository, HashError, PasswordHasher, SessionRepository, UserRepository,
};
use crate::settings::Settings;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestPasswordResetCommand {
    pub phone: MobilePhone,
    pub client_ip: Option<IpAddr>,
}

/// 202 `{resend_after, expires_in}`.
pub type RequestPasswordResetOutput = CodeRequested;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestPasswordResetError {
    /// The codes of [`SendCodeError`]: 429 `too_many_requests`, 503 `service_unavailable`,
    /// 422 `validation_failed`.
    #[error(transparent)]
    Send(#[from] SendCodeError),
    /// 503 `service_unavailable` / 500 `internal`.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Sends a password-reset code to a registered phone. A phone nobody registered gets no SMS,
/// but a decoy code is stored for it all the same ([`Delivery::Silent`]): the answer, the
/// resend pause (a second request within it is a 429) and the per-phone and per-IP limits are
/// those of a registered phone, so no one learns who is registered from them.
pub struct RequestPasswordReset {
    users: Arc<dyn UserRepository>,
    send_code: SendCode,
}

impl fmt::Debug for RequestPasswordReset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RequestPasswordReset")
    }
}

impl RequestPasswordReset {
    pub fn new(users: Arc<dyn UserRepository>, send_code: SendCode) -> Self {
        Self { users, send_code }
    }

    pub async fn execute(
        &self,
        command: RequestPasswordResetCommand,
    ) -> Result<RequestPasswordResetOutput, RequestPasswordResetError> {
        let registered = self.users.by_phone(command.phone.phone()).await?.is_some();
        let delivery = if registered {
            Delivery::Code { email: None }
        } else {
            tracing::info!(phone = %command.phone.phone().masked(), "password reset of an unknown phone: decoy");
            Delivery::Silent
        };
        Ok(self
            .send_code
            .execute(SendCodeCommand {
                phone: command.phone,
                purpose: CodePurpose::PasswordReset,
                delivery,
                client_ip: command.client_ip,
            })
            .await?)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfirmPasswordResetCommand {
    pub phone: Phone,
    pub code: OneTimeCode,
    pub new_password: Password,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfirmPasswordResetError {
    /// 422 `code_invalid`: no code, a wrong one, one tried too often, one already used, a
    /// decoy, or a user deleted meanwhile.
    #[error("the code is invalid")]
    CodeInvalid,
    /// 422 `code_expired`.
    #[error("the code has expired")]
    CodeExpired,
    /// 500 `internal`.
    #[error(transparent)]
    Hash(#[from] HashError),
    /// 503 `service_unavailable` / 500 `internal`.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<CodeCheckError> for ConfirmPasswordResetError {
    fn from(error: CodeCheckError) -> Self {
        match error {
            CodeCheckError::Invalid => Self::CodeInvalid,
            CodeCheckError::Expired => Self::CodeExpired,
            CodeCheckError::Store(store) => Self::Store(store),
        }
    }
}

/// Confirms a password-reset code, sets the new password and revokes every session of the
/// user (204; no session is opened: the subscriber logs in with the new password).
pub struct ConfirmPasswordReset {
    codes: Arc<dyn CodeRepository>,
    users: Arc<dyn UserRepository>,
    sessions: Arc<dyn SessionRepository>,
    hasher: Arc<dyn PasswordHasher>,
    clock: Arc<dyn Clock>,
    policy: CodePolicy,
}

impl fmt::Debug for ConfirmPasswordReset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ConfirmPasswordReset")
    }
}

impl ConfirmPasswordReset {
    pub fn new(
        codes: Arc<dyn CodeRepository>,
        users: Arc<dyn UserRepository>,
        sessions: Arc<dyn SessionRepository>,
        hasher: Arc<dyn PasswordHasher>,
        clock: Arc<dyn Clock>,
        settings: &Settings,
    ) -> Self {
        Self {
            codes,
            users,
            sessions,
            hasher,
            clock,
            policy: settings.code_policy,
        }
    }

    pub async fn execute(
        &self,
        command: ConfirmPasswordResetCommand,
    ) -> Result<(), ConfirmPasswordResetError> {
        let now = self.clock.now();
        confirm_code(
            self.codes.as_ref(),
            &command.phone,
            CodePurpose::PasswordReset,
            &command.code,
            now,
            &self.policy,
        )
        .await?;
        let user = self
            .users
            .by_phone(&command.phone)
            .await?
            .ok_or(ConfirmPasswordResetError::CodeInvalid)?;
        let hash = self.hasher.hash(&command.new_password).await?;
        self.users.set_password_hash(user.id, &hash).await?;
        self.sessions.revoke_all(user.id, None).await?;
        tracing::info!(user_id = %user.id, "password reset; every session ended");
        Ok(())
    }
}
