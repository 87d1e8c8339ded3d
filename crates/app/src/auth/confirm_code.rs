//! Checking a typed one-time code, shared by registration and password reset confirms.

use chrono::{DateTime, Utc};
use vodokanal_domain::{CodePolicy, CodePurpose, CodeRejected, OneTimeCode, PendingCode, Phone};

use super::secrets::{CodeKey, code_digest};
use crate::StoreError;
use crate::ports::CodeRepository;

/// Why a typed code confirms nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeCheckError {
    /// No code waits, it is wrong (the wrong try is counted), it was tried too often, or
    /// another request consumed it first.
    #[error("the code is invalid")]
    Invalid,
    #[error("the code has expired")]
    Expired,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Checks `code` against the code waiting for `phone` and `purpose`, and consumes it when it
/// is right, so that it confirms once. Returns the consumed code (with the e-mail it was
/// requested with).
///
/// A code tried too many times (`Exhausted`) is dead and answers as an invalid one: the
/// subscriber can do nothing with it but ask for a new one, like after a wrong one. A decoy
/// (no digest) is always wrong.
pub async fn confirm_code(
    codes: &dyn CodeRepository,
    phone: &Phone,
    purpose: CodePurpose,
    code: &OneTimeCode,
    now: DateTime<Utc>,
    policy: &CodePolicy,
    key: &CodeKey,
) -> Result<PendingCode, CodeCheckError> {
    let waiting = codes
        .find(phone, purpose)
        .await?
        .ok_or(CodeCheckError::Invalid)?;
    // The try is counted before it is checked, so that concurrent guesses can't all pass a
    // check made before any of them is counted; the check then sees the tries before this one.
    let tries = codes.record_try(phone, purpose).await?;
    let Some(tries_before) = tries.checked_sub(1) else {
        // The code was consumed or replaced between the find and the count.
        return Err(CodeCheckError::Invalid);
    };
    let pending = PendingCode {
        failed_attempts: tries_before,
        ..waiting
    };
    match pending.check(&code_digest(key, phone, purpose, code), now, policy) {
        Ok(()) => {}
        Err(CodeRejected::Wrong { attempts_left }) => {
            tracing::info!(
                phone = %phone.masked(),
                purpose = purpose.code(),
                attempts_left,
                "wrong one-time code"
            );
            return Err(CodeCheckError::Invalid);
        }
        Err(CodeRejected::Expired) => return Err(CodeCheckError::Expired),
        Err(CodeRejected::Exhausted) => return Err(CodeCheckError::Invalid),
    }
    if codes.consume(phone, purpose).await? {
        Ok(pending)
    } else {
        // Another request with the same code consumed it between our find and consume.
        Err(CodeCheckError::Invalid)
    }
}
