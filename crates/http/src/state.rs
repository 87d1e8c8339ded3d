//! [`AppState`]: the use cases the handlers call, built once from the ports and settings, and
//! the HTTP layer's own configuration ([`HttpConfig`]).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use ipnet::IpNet;

use crate::extract::ReturnOrigins;
use vodokanal_app::Settings;
use vodokanal_app::accounts::{AccountViews, LinkAccount, RelabelAccount, UnlinkAccount};
use vodokanal_app::auth::{
    Authenticate, ConfirmPasswordReset, ConfirmRegistration, Login, Logout, RequestPasswordReset,
    RequestRegistration, SendCode,
};
use vodokanal_app::idempotency::Idempotency;
use vodokanal_app::info::Info;
use vodokanal_app::payments::{GetPaymentStatus, HandleNotification, PaymentHistory, StartPayment};
use vodokanal_app::ports::{
    AccountRepository, AttemptCounter, Clock, CodeRepository, IdempotencyStore, MeterRepository,
    PasswordHasher, PaymentProvider, PaymentRepository, Random, ReadingRepository,
    SessionRepository, SmsOutbox, StoreHealth, UserRepository, VisitRequestRepository,
};
use vodokanal_app::profile::{ChangePassword, DeleteProfile, PasswordCheck, ViewProfile};
use vodokanal_app::readings::{ReadingHistory, SubmitAnonymousReading, SubmitReadings};
use vodokanal_app::visits::{BookVisit, ListVisits};

/// Every port the HTTP front needs, as the server wires them.
#[derive(Clone)]
pub struct Ports {
    pub users: Arc<dyn UserRepository>,
    pub sessions: Arc<dyn SessionRepository>,
    pub codes: Arc<dyn CodeRepository>,
    pub accounts: Arc<dyn AccountRepository>,
    pub meters: Arc<dyn MeterRepository>,
    pub readings: Arc<dyn ReadingRepository>,
    pub payments: Arc<dyn PaymentRepository>,
    pub visits: Arc<dyn VisitRequestRepository>,
    pub idempotency: Arc<dyn IdempotencyStore>,
    pub attempts: Arc<dyn AttemptCounter>,
    pub health: Arc<dyn StoreHealth>,
    /// Codes and their SMS are stored here; `serve`'s background sender delivers them.
    pub outbox: Arc<dyn SmsOutbox>,
    pub provider: Arc<dyn PaymentProvider>,
    pub hasher: Arc<dyn PasswordHasher>,
    pub clock: Arc<dyn Clock>,
    pub random: Arc<dyn Random>,
}

impl fmt::Debug for Ports {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Ports")
    }
}

/// The HTTP layer's own settings (the server reads them from its configuration).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpConfig {
    /// Proxies whose `X-Forwarded-For` is believed (`VODOKANAL_TRUSTED_PROXIES`); none by default.
    pub trusted_proxies: Vec<IpNet>,
    /// Origins allowed by CORS, e.g. `https://lk.vodokanal.example`; none by default (no CORS).
    pub cors_origins: Vec<String>,
    /// A request that takes longer gets 503 `service_unavailable`.
    pub request_timeout: Duration,
    /// The largest request body, 64 KiB.
    pub body_limit: usize,
    /// Origins besides the public URL's that a payment's `return_url` may lead to
    /// (`VODOKANAL_RETURN_ORIGINS`); none by default.
    pub return_origins: Vec<String>,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            trusted_proxies: Vec::new(),
            cors_origins: Vec::new(),
            request_timeout: Duration::from_secs(15),
            body_limit: 64 * 1024,
            return_origins: Vec::new(),
        }
    }
}

/// The use cases, one per contract row.
pub(crate) struct UseCases {
    pub info: Info,
    pub authenticate: Authenticate,
    pub request_registration: RequestRegistration,
    pub confirm_registration: ConfirmRegistration,
    pub login: Login,
    pub logout: Logout,
    pub request_password_reset: RequestPasswordReset,
    pub confirm_password_reset: ConfirmPasswordReset,
    pub view_profile: ViewProfile,
    pub change_password: ChangePassword,
    pub delete_profile: DeleteProfile,
    /// The list of the caller's accounts and one of them.
    pub account_views: AccountViews,
    pub link_account: LinkAccount,
    pub relabel_account: RelabelAccount,
    pub unlink_account: UnlinkAccount,
    pub reading_history: ReadingHistory,
    pub submit_readings: SubmitReadings,
    pub submit_anonymous_reading: SubmitAnonymousReading,
    pub start_payment: StartPayment,
    pub payment_status: GetPaymentStatus,
    pub payment_history: PaymentHistory,
    pub handle_notification: HandleNotification,
    pub book_visit: BookVisit,
    pub list_visits: ListVisits,
    pub idempotency: Idempotency,
    pub health: Arc<dyn StoreHealth>,
    /// The configured payment provider's name: the only `{provider}` notifications go to.
    pub provider_name: &'static str,
}

/// What every handler gets: the use cases and the HTTP configuration. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub(crate) use_cases: Arc<UseCases>,
    pub(crate) config: Arc<HttpConfig>,
    pub(crate) return_origins: Arc<ReturnOrigins>,
}

impl fmt::Debug for AppState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppState")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// Builds every use case from the ports and the utility's settings.
    #[expect(
        clippy::too_many_lines,
        reason = "one constructor call per use case: splitting it would only scatter the wiring"
    )]
    pub fn new(ports: Ports, settings: &Settings, config: HttpConfig) -> Self {
        let Ports {
            users,
            sessions,
            codes,
            accounts,
            meters,
            readings,
            payments,
            visits,
            idempotency,
            attempts,
            health,
            outbox,
            provider,
            hasher,
            clock,
            random,
        } = ports;
        let send_code = SendCode::new(
            codes.clone(),
            outbox,
            attempts.clone(),
            clock.clone(),
            random.clone(),
            settings,
        );
        let password_check =
            PasswordCheck::new(hasher.clone(), attempts.clone(), clock.clone(), settings);
        let use_cases = UseCases {
            info: Info::new(settings),
            authenticate: Authenticate::new(sessions.clone(), clock.clone()),
            request_registration: RequestRegistration::new(users.clone(), send_code.clone()),
            confirm_registration: ConfirmRegistration::new(
                codes.clone(),
                users.clone(),
                sessions.clone(),
                hasher.clone(),
                clock.clone(),
                random.clone(),
                settings,
            ),
            login: Login::new(
                users.clone(),
                sessions.clone(),
                hasher.clone(),
                attempts.clone(),
                clock.clone(),
                random.clone(),
                settings,
            ),
            logout: Logout::new(sessions.clone()),
            request_password_reset: RequestPasswordReset::new(users.clone(), send_code),
            confirm_password_reset: ConfirmPasswordReset::new(
                codes,
                users.clone(),
                hasher.clone(),
                clock.clone(),
                settings,
            ),
            view_profile: ViewProfile::new(users.clone()),
            change_password: ChangePassword::new(users.clone(), hasher, password_check.clone()),
            delete_profile: DeleteProfile::new(users, password_check),
            account_views: AccountViews::new(
                accounts.clone(),
                readings.clone(),
                payments.clone(),
                settings,
            ),
            link_account: LinkAccount::new(
                accounts.clone(),
                readings.clone(),
                payments.clone(),
                attempts.clone(),
                clock.clone(),
                settings,
            ),
            relabel_account: RelabelAccount::new(
                accounts.clone(),
                readings.clone(),
                payments.clone(),
                settings,
            ),
            unlink_account: UnlinkAccount::new(accounts.clone()),
            reading_history: ReadingHistory::new(accounts.clone(), readings.clone()),
            submit_readings: SubmitReadings::new(
                accounts.clone(),
                readings.clone(),
                random.clone(),
                clock.clone(),
                settings,
            ),
            submit_anonymous_reading: SubmitAnonymousReading::new(
                meters,
                readings,
                attempts.clone(),
                random.clone(),
                clock.clone(),
                settings,
            ),
            start_payment: StartPayment::new(
                accounts.clone(),
                payments.clone(),
                provider.clone(),
                attempts,
                clock.clone(),
                random.clone(),
                settings,
            ),
            payment_status: GetPaymentStatus::new(payments.clone()),
            payment_history: PaymentHistory::new(accounts.clone(), payments.clone()),
            provider_name: provider.name(),
            handle_notification: HandleNotification::new(payments, provider),
            book_visit: BookVisit::new(
                accounts,
                visits.clone(),
                random.clone(),
                clock.clone(),
                settings,
            ),
            list_visits: ListVisits::new(visits),
            idempotency: Idempotency::new(idempotency, clock, random, settings.idempotency_lease),
            health,
        };
        Self {
            use_cases: Arc::new(use_cases),
            return_origins: Arc::new(ReturnOrigins::new(
                &settings.public_url,
                &config.return_origins,
            )),
            config: Arc::new(config),
        }
    }
}
