//! `POST /auth/login`: a phone or an e-mail and a password give a new session.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use vodokanal_domain::{
    Email, EmailError, LoginPassword, Password, PasswordHash, Phone, PhoneError, User,
};

use super::SignedIn;
use super::secrets::new_session;
use crate::StoreError;
use crate::ports::{
    AttemptCounter, Clock, HashError, Limit, LimitState, PasswordHasher, Random, SessionRepository,
    UserRepository, Verification,
};
use crate::settings::Settings;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoginNameError {
    #[error(transparent)]
    Email(#[from] EmailError),
    #[error(transparent)]
    Phone(#[from] PhoneError),
}

/// What a subscriber logs in with: a phone or an e-mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginName {
    Phone(Phone),
    Email(Email),
}

impl LoginName {
    /// An e-mail when the text contains `@`, else a phone in any common Russian form.
    pub fn parse(input: &str) -> Result<Self, LoginNameError> {
        if input.contains('@') {
            Ok(Self::Email(input.parse()?))
        } else {
            Ok(Self::Phone(input.parse()?))
        }
    }

    /// The key of the failure counter: the normalised login (E.164 phone, lower-cased
    /// e-mail), so that `8 910 ...` and `+7910...` count together.
    pub fn limit_key(&self) -> String {
        match self {
            Self::Phone(phone) => format!("login:{phone}"),
            Self::Email(email) => format!("login:{email}"),
        }
    }

    /// The form safe for logs.
    pub fn masked(&self) -> String {
        match self {
            Self::Phone(phone) => phone.masked(),
            Self::Email(email) => email.masked(),
        }
    }
}

impl FromStr for LoginName {
    type Err = LoginNameError;
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        Self::parse(input)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginCommand {
    pub login: LoginName,
    pub password: LoginPassword,
}

/// 200 `{token, expires_at, user}`.
pub type LoginOutput = SignedIn;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoginError {
    /// 429 `too_many_requests` with `Retry-After`: too many failures for this login.
    #[error("too many failed logins")]
    TooManyAttempts { retry_after: TimeDelta },
    /// 401 `invalid_credentials`: no such login or a wrong password (one answer for both).
    #[error("invalid login or password")]
    InvalidCredentials,
    /// 500 `internal`.
    #[error(transparent)]
    Hash(#[from] HashError),
    /// 503 `service_unavailable` / 500 `internal`.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Logs in. Failures are counted per login (for an unknown login too, so that the limit
/// answers alike whether or not the login exists); an unknown login is verified against a
/// dummy hash so that it takes the time of a wrong password. A success forgets the failures
/// and, when the hash was made with older parameters, stores a new one (a failure there is
/// logged, not fatal).
pub struct Login {
    users: Arc<dyn UserRepository>,
    sessions: Arc<dyn SessionRepository>,
    hasher: Arc<dyn PasswordHasher>,
    counter: Arc<dyn AttemptCounter>,
    clock: Arc<dyn Clock>,
    random: Arc<dyn Random>,
    limit: Limit,
    session_lifetime: TimeDelta,
}

impl fmt::Debug for Login {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Login")
    }
}

impl Login {
    pub fn new(
        users: Arc<dyn UserRepository>,
        sessions: Arc<dyn SessionRepository>,
        hasher: Arc<dyn PasswordHasher>,
        counter: Arc<dyn AttemptCounter>,
        clock: Arc<dyn Clock>,
        random: Arc<dyn Random>,
        settings: &Settings,
    ) -> Self {
        Self {
            users,
            sessions,
            hasher,
            counter,
            clock,
            random,
            limit: settings.limits.login_failures,
            session_lifetime: settings.session_lifetime,
        }
    }

    pub async fn execute(&self, command: LoginCommand) -> Result<LoginOutput, LoginError> {
        let LoginCommand { login, password } = command;
        let now = self.clock.now();
        let key = login.limit_key();
        if let LimitState::Exceeded { retry_after } =
            self.counter.check(&key, self.limit, now).await?
        {
            tracing::info!(login = %login.masked(), "login refused: too many failures");
            return Err(LoginError::TooManyAttempts { retry_after });
        }
        let found = match &login {
            LoginName::Phone(phone) => self.users.by_phone(phone).await?,
            LoginName::Email(email) => self.users.by_email(email).await?,
        };
        let Some(mut user) = found else {
            self.hasher.verify_dummy(&password).await?;
            return self.failed(&key, &login, now).await;
        };
        let needs_rehash = match self.hasher.verify(&password, &user.password_hash).await? {
            Verification::Valid { needs_rehash } => needs_rehash,
            Verification::Invalid => return self.failed(&key, &login, now).await,
        };
        self.counter.clear(&key).await?;
        if needs_rehash && let Some(hash) = self.rehash(&user, &password).await {
            user.password_hash = hash;
        }
        let (token, session) =
            new_session(self.random.as_ref(), user.id, now, self.session_lifetime);
        self.sessions.create(&session).await?;
        tracing::info!(user_id = %user.id, "logged in");
        Ok(SignedIn {
            token,
            expires_at: session.expires_at,
            user,
        })
    }

    async fn failed(
        &self,
        key: &str,
        login: &LoginName,
        now: DateTime<Utc>,
    ) -> Result<LoginOutput, LoginError> {
        self.counter.record(key, now).await?;
        tracing::info!(login = %login.masked(), "login failed");
        Err(LoginError::InvalidCredentials)
    }

    /// Hashes the password again with the current parameters and stores it; `None` (and a log
    /// line) when that fails. A password that no longer meets the policy (it predates it) keeps
    /// its old hash: the hasher only takes passwords that meet it.
    async fn rehash(&self, user: &User, password: &LoginPassword) -> Option<PasswordHash> {
        let Ok(password) = Password::try_from(password.expose().to_owned()) else {
            tracing::warn!(user_id = %user.id, "password predates the policy: not re-hashed");
            return None;
        };
        let hash = match self.hasher.hash(&password).await {
            Ok(hash) => hash,
            Err(error) => {
                tracing::warn!(user_id = %user.id, %error, "re-hashing the password failed");
                return None;
            }
        };
        match self.users.set_password_hash(user.id, &hash).await {
            Ok(()) => Some(hash),
            Err(error) => {
                tracing::warn!(user_id = %user.id, %error, "storing the re-hashed password failed");
                None
            }
        }
    }
}
