//! `POST /auth/login`: a phone or an e-mail and a password give a new session.

use std::str::FromStr;
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use vodokanal_domain::{
    ClientNetwork, Email, EmailError, LoginPassword, Password, PasswordHash, Phone, PhoneError,
    User, UserId,
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

    /// The key of the failure counter of a login that names no user: the normalised login
    /// (E.164 phone, lower-cased e-mail), so that `8 910 ...` and `+7910...` count together.
    /// A login that names a user counts under [`user_limit_key`].
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

/// The key of a user's failure counter: logins by phone and by e-mail, and the checks of the
/// current password in the cabinet, all count here.
pub fn user_limit_key(user: UserId) -> String {
    format!("login:user:{user}")
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
    /// Where the attempt comes from, when known: failures are counted per network too.
    pub client_network: Option<ClientNetwork>,
}

/// The subscriber, signed in.
pub type LoginOutput = SignedIn;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoginError {
    /// Too many failures for this user (or login) or from this client network; another try
    /// may come after `retry_after`.
    #[error("too many failed logins")]
    TooManyAttempts { retry_after: TimeDelta },
    /// No such login or a wrong password (one error for both).
    #[error("invalid login or password")]
    InvalidCredentials,
    /// The password hasher is busy or failed; the attempt is not counted.
    #[error(transparent)]
    Hash(#[from] HashError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Logs in. Every attempt is counted before the password is checked, so that concurrent
/// guesses can't all pass a check made before any of them is counted: per client network (so
/// that spraying many logins from one place stops) and per user, whether by phone or by
/// e-mail (an unknown login under its own key, so that the limit answers alike whether or not
/// the login exists). A success clears the user's count and takes back the network's attempt,
/// so what stays counted are the failures; a hasher error takes back both (it was no guess).
/// When the hasher is full already, the login is refused before anything else (no count, no
/// lookup), so that a flood past the hashing capacity costs the store nothing.
/// An unknown login is verified against a dummy hash so that it takes the time of a wrong
/// password. A success, when the hash was made with older parameters, stores a new one (a
/// failure there is logged, not fatal).
#[derive(Debug)]
pub struct Login {
    users: Arc<dyn UserRepository>,
    sessions: Arc<dyn SessionRepository>,
    hasher: Arc<dyn PasswordHasher>,
    counter: Arc<dyn AttemptCounter>,
    clock: Arc<dyn Clock>,
    random: Arc<dyn Random>,
    limit: Limit,
    network_limit: Limit,
    session_lifetime: TimeDelta,
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
            network_limit: settings.limits.login_failures_per_network,
            session_lifetime: settings.session_lifetime,
        }
    }

    pub async fn execute(&self, command: LoginCommand) -> Result<LoginOutput, LoginError> {
        let LoginCommand {
            login,
            password,
            client_network,
        } = command;
        if self.hasher.is_full() {
            return Err(HashError::Busy.into());
        }
        let now = self.clock.now();
        let network_key = client_network.map(|network| network.limit_key("login"));
        if let Some(key) = &network_key
            && let LimitState::Exceeded { retry_after } =
                self.counter.acquire(key, self.network_limit, now).await?
        {
            tracing::info!(network = %key, "login refused: too many failures from the network");
            return Err(LoginError::TooManyAttempts { retry_after });
        }
        let found = match &login {
            LoginName::Phone(phone) => self.users.by_phone(phone).await?,
            LoginName::Email(email) => self.users.by_email(email).await?,
        };
        let key = found
            .as_ref()
            .map_or_else(|| login.limit_key(), |user| user_limit_key(user.id));
        if let LimitState::Exceeded { retry_after } =
            self.counter.acquire(&key, self.limit, now).await?
        {
            tracing::info!(login = %login.masked(), "login refused: too many failures");
            return Err(LoginError::TooManyAttempts { retry_after });
        }
        let attempts = [Some(key.as_str()), network_key.as_deref()];
        let Some(mut user) = found else {
            self.verified(self.hasher.verify_dummy(&password).await, &attempts, now)
                .await?;
            return Err(failed(&login));
        };
        let verdict = self.hasher.verify(&password, &user.password_hash).await;
        let needs_rehash = match self.verified(verdict, &attempts, now).await? {
            Verification::Valid { needs_rehash } => needs_rehash,
            Verification::Invalid => return Err(failed(&login)),
        };
        self.counter.clear(&key).await?;
        if let Some(network_key) = &network_key {
            self.counter.release(network_key, now).await?;
        }
        let (token, session) =
            new_session(self.random.as_ref(), user.id, now, self.session_lifetime);
        if !self
            .sessions
            .create_if_password(&session, &user.password_hash)
            .await?
        {
            // A reset (or a change) replaced the password since it was read: the one given
            // is no longer the user's, and the reset's end of every session stands.
            tracing::info!(user_id = %user.id, "login lost a race with a password change");
            return Err(LoginError::InvalidCredentials);
        }
        if needs_rehash && let Some(hash) = self.rehash(&user, &password).await {
            user.password_hash = hash;
        }
        tracing::info!(user_id = %user.id, "logged in");
        Ok(SignedIn {
            token,
            expires_at: session.expires_at,
            user,
        })
    }

    /// The hasher's answer; on an error (a busy hasher, say) the attempts counted at `now`
    /// under `keys` are taken back first: the password was not checked.
    async fn verified<T>(
        &self,
        outcome: Result<T, HashError>,
        keys: &[Option<&str>],
        now: DateTime<Utc>,
    ) -> Result<T, LoginError> {
        match outcome {
            Ok(value) => Ok(value),
            Err(error) => {
                for key in keys.iter().flatten() {
                    self.counter.release(key, now).await?;
                }
                Err(error.into())
            }
        }
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

/// A failed login: already counted, logged with the login masked.
fn failed(login: &LoginName) -> LoginError {
    tracing::info!(login = %login.masked(), "login failed");
    LoginError::InvalidCredentials
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::secrets::{new_session_token, token_digest};
    use crate::ports::{
        MockAttemptCounter, MockPasswordHasher, MockSessionRepository, MockUserRepository,
    };
    use crate::testing;
    use crate::testing::down;
    use mockall::predicate::eq;
    use vodokanal_domain::Session;

    /// The user's key, whether the login is the phone or the e-mail.
    const USER_KEY: &str = "login:user:01010101-0101-4101-8101-010101010101";
    /// The key of a phone that names no user.
    const PHONE_KEY: &str = "login:+79109845003";
    const NET_KEY: &str = "login:ip:203.0.113.7";
    const PASSWORD: &str = "мой старый пароль";

    fn new_hash() -> PasswordHash {
        PasswordHash::from_phc("$argon2id$v=19$m=19456,t=2,p=1$bmV3$bmV3".into())
    }

    fn network() -> ClientNetwork {
        ClientNetwork::from("203.0.113.7".parse::<std::net::IpAddr>().unwrap())
    }

    fn by_phone(password: &str) -> LoginCommand {
        LoginCommand {
            login: LoginName::parse("8 (910) 984-50-03").unwrap(),
            password: LoginPassword::try_from(password.to_owned()).unwrap(),
            client_network: Some(network()),
        }
    }

    fn user_limit() -> Limit {
        Settings::default().limits.login_failures
    }

    fn network_limit() -> Limit {
        Settings::default().limits.login_failures_per_network
    }

    #[derive(Default)]
    struct Ports {
        users: MockUserRepository,
        sessions: MockSessionRepository,
        hasher: MockPasswordHasher,
        counter: MockAttemptCounter,
    }

    impl Ports {
        fn limit(
            mut self,
            key: &'static str,
            expected: Limit,
            state: Result<LimitState, StoreError>,
        ) -> Self {
            self.counter
                .expect_acquire()
                .withf(move |k, limit, at| k == key && *limit == expected && *at == testing::now())
                .times(1)
                .return_const(state);
            self
        }

        /// The network and the user are under their limits.
        fn allowed(self) -> Self {
            self.limit(NET_KEY, network_limit(), Ok(LimitState::Allowed))
                .limit(USER_KEY, user_limit(), Ok(LimitState::Allowed))
        }

        fn phone_finds(mut self, found: Result<Option<User>, StoreError>) -> Self {
            self.users
                .expect_by_phone()
                .with(eq(testing::phone()))
                .times(1)
                .return_const(found);
            self
        }

        fn verifies(mut self, outcome: Result<Verification, HashError>) -> Self {
            self.hasher
                .expect_verify()
                .withf(|p, h| p.expose() == PASSWORD && *h == testing::user().password_hash)
                .times(1)
                .return_const(outcome);
            self
        }

        fn clears(mut self, outcome: Result<(), StoreError>) -> Self {
            self.counter
                .expect_clear()
                .with(eq(USER_KEY))
                .times(1)
                .return_const(outcome);
            self
        }

        /// The attempt counted under `key` at now is taken back.
        fn releases(mut self, key: &'static str) -> Self {
            self.counter
                .expect_release()
                .with(eq(key), eq(testing::now()))
                .times(1)
                .return_const(Ok(()));
            self
        }

        fn creates_session(mut self, outcome: Result<(), StoreError>) -> Self {
            let expected = Session {
                digest: token_digest(&new_session_token(testing::random().as_ref())),
                user_id: testing::user_id(),
                created_at: testing::now(),
                expires_at: testing::now() + TimeDelta::days(30),
            };
            self.sessions
                .expect_create_if_password()
                .withf(move |s, verified| {
                    *s == expected && *verified == testing::user().password_hash
                })
                .times(1)
                .return_const(outcome.map(|()| true));
            self
        }

        /// The phone login is allowed, found and its password right.
        fn right_password(self, needs_rehash: bool) -> Self {
            self.phone_finds(Ok(Some(testing::user())))
                .allowed()
                .verifies(Ok(Verification::Valid { needs_rehash }))
                .clears(Ok(()))
                .releases(NET_KEY)
        }

        /// The hasher is full before the login starts.
        fn full(mut self) -> Self {
            self.hasher.expect_is_full().times(1).return_const(true);
            self
        }

        async fn run(mut self, command: LoginCommand) -> Result<SignedIn, LoginError> {
            // Unless a test said otherwise (the first expectation set wins), there is room.
            self.hasher.expect_is_full().return_const(false);
            Login::new(
                Arc::new(self.users),
                Arc::new(self.sessions),
                Arc::new(self.hasher),
                Arc::new(self.counter),
                testing::clock(),
                testing::random(),
                &Settings::default(),
            )
            .execute(command)
            .await
        }
    }

    fn signed_in(user: User) -> SignedIn {
        SignedIn {
            token: new_session_token(testing::random().as_ref()),
            expires_at: testing::now() + TimeDelta::days(30),
            user,
        }
    }

    #[tokio::test]
    async fn the_right_password_forgets_the_failures_and_opens_a_session() {
        let outcome = Ports::default()
            .right_password(false)
            .creates_session(Ok(()))
            .run(by_phone(PASSWORD))
            .await;
        assert_eq!(outcome, Ok(signed_in(testing::user())));
    }

    #[tokio::test]
    async fn an_email_login_counts_under_the_same_user_key_as_the_phone() {
        let mut ports = Ports::default()
            .allowed()
            .verifies(Ok(Verification::Invalid));
        ports
            .users
            .expect_by_email()
            .with(eq(testing::email()))
            .times(1)
            .return_const(Ok(Some(testing::user())));
        let outcome = ports
            .run(LoginCommand {
                login: LoginName::parse("Abonent@Example.RU").unwrap(),
                ..by_phone(PASSWORD)
            })
            .await;
        assert_eq!(outcome, Err(LoginError::InvalidCredentials));
    }

    #[tokio::test]
    async fn a_user_over_the_limit_is_refused_before_the_password_is_verified() {
        let outcome = Ports::default()
            .phone_finds(Ok(Some(testing::user())))
            .limit(NET_KEY, network_limit(), Ok(LimitState::Allowed))
            .limit(
                USER_KEY,
                user_limit(),
                Ok(LimitState::Exceeded {
                    retry_after: TimeDelta::minutes(9),
                }),
            )
            .run(by_phone(PASSWORD))
            .await;
        assert_eq!(
            outcome,
            Err(LoginError::TooManyAttempts {
                retry_after: TimeDelta::minutes(9)
            })
        );
    }

    #[tokio::test]
    async fn a_network_over_its_limit_is_refused_before_any_lookup() {
        let outcome = Ports::default()
            .limit(
                NET_KEY,
                network_limit(),
                Ok(LimitState::Exceeded {
                    retry_after: TimeDelta::minutes(40),
                }),
            )
            .run(by_phone(PASSWORD))
            .await;
        assert_eq!(
            outcome,
            Err(LoginError::TooManyAttempts {
                retry_after: TimeDelta::minutes(40)
            })
        );
    }

    #[tokio::test]
    async fn without_a_known_network_only_the_user_is_counted() {
        let outcome = Ports::default()
            .phone_finds(Ok(Some(testing::user())))
            .limit(USER_KEY, user_limit(), Ok(LimitState::Allowed))
            .verifies(Ok(Verification::Invalid))
            .run(LoginCommand {
                client_network: None,
                ..by_phone(PASSWORD)
            })
            .await;
        assert_eq!(outcome, Err(LoginError::InvalidCredentials));
    }

    #[tokio::test]
    async fn an_unknown_login_counts_under_its_own_key_and_spends_a_dummy_verify() {
        let mut ports = Ports::default()
            .phone_finds(Ok(None))
            .limit(NET_KEY, network_limit(), Ok(LimitState::Allowed))
            .limit(PHONE_KEY, user_limit(), Ok(LimitState::Allowed));
        ports
            .hasher
            .expect_verify_dummy()
            .withf(|p| p.expose() == PASSWORD)
            .times(1)
            .return_const(Ok(()));
        assert_eq!(
            ports.run(by_phone(PASSWORD)).await,
            Err(LoginError::InvalidCredentials)
        );
    }

    #[tokio::test]
    async fn a_wrong_password_stays_counted_and_opens_nothing() {
        let outcome = Ports::default()
            .phone_finds(Ok(Some(testing::user())))
            .allowed()
            .verifies(Ok(Verification::Invalid))
            .run(by_phone(PASSWORD))
            .await;
        assert_eq!(outcome, Err(LoginError::InvalidCredentials));
    }

    #[tokio::test]
    async fn a_busy_hasher_takes_the_attempts_back() {
        let outcome = Ports::default()
            .phone_finds(Ok(Some(testing::user())))
            .allowed()
            .verifies(Err(HashError::Busy))
            .releases(USER_KEY)
            .releases(NET_KEY)
            .run(by_phone(PASSWORD))
            .await;
        assert_eq!(outcome, Err(LoginError::Hash(HashError::Busy)));
    }

    #[tokio::test]
    async fn a_full_hasher_refuses_the_login_before_any_count_or_lookup() {
        // No other expectation: a count, a lookup or a verification would fail the test.
        let outcome = Ports::default().full().run(by_phone(PASSWORD)).await;
        assert_eq!(outcome, Err(LoginError::Hash(HashError::Busy)));
    }

    #[tokio::test]
    async fn an_old_hash_is_replaced_at_login() {
        let mut ports = Ports::default()
            .right_password(true)
            .creates_session(Ok(()));
        ports
            .hasher
            .expect_hash()
            .withf(|p| p.expose() == PASSWORD)
            .times(1)
            .return_const(Ok(new_hash()));
        ports
            .users
            .expect_set_password_hash()
            .with(eq(testing::user_id()), eq(new_hash()))
            .times(1)
            .return_const(Ok(()));
        let outcome = ports.run(by_phone(PASSWORD)).await;
        let user = User {
            password_hash: new_hash(),
            ..testing::user()
        };
        assert_eq!(outcome, Ok(signed_in(user)));
    }

    #[tokio::test]
    async fn a_password_replaced_between_the_check_and_the_session_refuses_the_login() {
        let mut ports = Ports::default().right_password(true);
        // The store finds another hash than the one verified: a reset ran meanwhile.
        ports
            .sessions
            .expect_create_if_password()
            .times(1)
            .return_const(Ok(false));
        // Nothing is re-hashed over the reset's new password (no `hash` is expected).
        let outcome = ports.run(by_phone(PASSWORD)).await;
        assert_eq!(outcome, Err(LoginError::InvalidCredentials));
    }

    #[tokio::test]
    async fn a_failed_rehash_still_logs_in_with_the_old_hash() {
        let mut ports = Ports::default()
            .right_password(true)
            .creates_session(Ok(()));
        ports
            .hasher
            .expect_hash()
            .times(1)
            .return_const(Err(HashError::Failed("pool gone".into())));
        let outcome = ports.run(by_phone(PASSWORD)).await;
        assert_eq!(outcome, Ok(signed_in(testing::user())));
    }

    #[tokio::test]
    async fn a_rehash_that_cannot_be_stored_still_logs_in() {
        let mut ports = Ports::default()
            .right_password(true)
            .creates_session(Ok(()));
        ports.hasher.expect_hash().return_const(Ok(new_hash()));
        ports
            .users
            .expect_set_password_hash()
            .times(1)
            .return_const(Err(down()));
        let outcome = ports.run(by_phone(PASSWORD)).await;
        assert_eq!(outcome, Ok(signed_in(testing::user())));
    }

    #[tokio::test]
    async fn a_password_older_than_the_policy_is_not_rehashed() {
        // "12345678" is a common password: the policy refuses it, so the hasher never sees it.
        let mut ports = Ports::default()
            .phone_finds(Ok(Some(testing::user())))
            .allowed()
            .clears(Ok(()))
            .releases(NET_KEY)
            .creates_session(Ok(()));
        ports
            .hasher
            .expect_verify()
            .return_const(Ok(Verification::Valid { needs_rehash: true }));
        let outcome = ports.run(by_phone("12345678")).await;
        assert_eq!(outcome, Ok(signed_in(testing::user())));
    }

    #[tokio::test]
    async fn a_hasher_failure_at_verify_is_reported() {
        let failed = HashError::Failed("pool gone".into());
        let outcome = Ports::default()
            .phone_finds(Ok(Some(testing::user())))
            .allowed()
            .verifies(Err(failed.clone()))
            .releases(USER_KEY)
            .releases(NET_KEY)
            .run(by_phone(PASSWORD))
            .await;
        assert_eq!(outcome, Err(LoginError::Hash(failed)));
    }

    #[tokio::test]
    async fn a_hasher_failure_at_the_dummy_verify_is_reported() {
        let failed = HashError::Failed("pool gone".into());
        let mut ports = Ports::default()
            .phone_finds(Ok(None))
            .limit(NET_KEY, network_limit(), Ok(LimitState::Allowed))
            .limit(PHONE_KEY, user_limit(), Ok(LimitState::Allowed))
            .releases(PHONE_KEY)
            .releases(NET_KEY);
        ports
            .hasher
            .expect_verify_dummy()
            .times(1)
            .return_const(Err(failed.clone()));
        assert_eq!(
            ports.run(by_phone(PASSWORD)).await,
            Err(LoginError::Hash(failed))
        );
    }

    #[tokio::test]
    async fn a_store_down_when_clearing_the_failures_opens_no_session() {
        let outcome = Ports::default()
            .phone_finds(Ok(Some(testing::user())))
            .allowed()
            .verifies(Ok(Verification::Valid {
                needs_rehash: false,
            }))
            .clears(Err(down()))
            .run(by_phone(PASSWORD))
            .await;
        assert_eq!(outcome, Err(LoginError::Store(down())));
    }

    /// What the ports expect up to the step that fails.
    type Step = fn(Ports) -> Ports;

    #[tokio::test]
    async fn a_store_down_at_any_step_is_reported() {
        let steps: [(&str, Step); 4] = [
            ("network count", |p| {
                p.limit(NET_KEY, network_limit(), Err(down()))
            }),
            ("lookup", |p| {
                p.limit(NET_KEY, network_limit(), Ok(LimitState::Allowed))
                    .phone_finds(Err(down()))
            }),
            ("user count", |p| {
                p.phone_finds(Ok(Some(testing::user())))
                    .limit(NET_KEY, network_limit(), Ok(LimitState::Allowed))
                    .limit(USER_KEY, user_limit(), Err(down()))
            }),
            ("session", |p| {
                p.right_password(false).creates_session(Err(down()))
            }),
        ];
        for (step, expecting) in steps {
            let outcome = expecting(Ports::default()).run(by_phone(PASSWORD)).await;
            assert_eq!(outcome, Err(LoginError::Store(down())), "{step}");
        }
    }

    #[test]
    fn a_login_is_an_email_when_it_has_an_at_sign_else_a_phone() {
        assert_eq!(
            LoginName::parse(" Abonent@Example.ru "),
            Ok(LoginName::Email(testing::email()))
        );
        for phone in ["+7 (910) 984-50-03", "89109845003", "9109845003"] {
            assert_eq!(
                LoginName::parse(phone),
                Ok(LoginName::Phone(testing::phone())),
                "{phone}"
            );
        }
        assert_eq!(
            "8 (4932) 41-50-11"
                .parse::<LoginName>()
                .map(|l| l.limit_key()),
            Ok("login:+74932415011".to_owned())
        );
        assert_eq!(user_limit_key(testing::user_id()), USER_KEY);
        assert!(matches!(
            LoginName::parse("abonent@"),
            Err(LoginNameError::Email(_))
        ));
        assert!(matches!(
            LoginName::parse("abonent"),
            Err(LoginNameError::Phone(_))
        ));
        assert_eq!(
            LoginName::Email(testing::email()).masked(),
            "ab***@example.ru"
        );
        assert_eq!(LoginName::Phone(testing::phone()).masked(), "+7******5003");
    }
}
