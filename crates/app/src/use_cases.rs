//! [`UseCases`]: every use case of the cabinet, built once from the store's ports, the
//! [`Services`] and the utility's [`Settings`]. The HTTP router, `serve`'s background jobs and
//! the operator's commands all run on it.
//!
//! A new use case is one field here and one line in [`UseCases::new`].

use std::fmt;
use std::sync::Arc;

use crate::accounts::{AccountViews, LinkAccount, RelabelAccount, UnlinkAccount};
use crate::auth::{
    Authenticate, ConfirmPasswordReset, ConfirmRegistration, Login, Logout, RequestPasswordReset,
    RequestRegistration, SendCode,
};
use crate::housekeeping::PurgeExpired;
use crate::idempotency::Idempotency;
use crate::info::Info;
use crate::metrics::ObserveOperations;
use crate::notices::{
    Channels, DeliverNotices, EmailVerification, LinkKey, Links, NoticeRules, Notifications,
    PlanNotices, UnsubscribeByLink,
};
use crate::payments::{
    GetPaymentStatus, HandleNotification, PaymentHistory, PaymentQr, ReconcilePayments,
    SettlePayment, StartPayment,
};
use crate::ports::{
    Clock, MailSender, PasswordHasher, PaymentProvider, PushSender, Random, SmsGateway,
};
use crate::profile::{ChangePassword, DeleteProfile, DownloadHistory, PasswordCheck, ViewProfile};
use crate::readings::{
    ReadingHistory, ReadingWindowCalendar, SubmitAnonymousReading, SubmitReadings, ViewConsumption,
    VoidReading,
};
use crate::registry::{
    ExportPayments, ExportReadings, ExportVisitRequests, ImportRegistry, SeedRegistry,
};
use crate::sms::{DeliverSms, DeliveryPolicy};
use crate::visits::{BookVisit, ListVisits, VisitCalendar};
use crate::{Settings, Stores};

/// What the use cases need besides the store: the machine (clock, randomness, the password
/// hasher) and the outside providers.
#[derive(Clone)]
pub struct Services {
    pub clock: Arc<dyn Clock>,
    pub random: Arc<dyn Random>,
    pub hasher: Arc<dyn PasswordHasher>,
    /// Only the SMS sender ([`DeliverSms`]) talks to it: requests queue their SMS in the
    /// store's outbox.
    pub sms: Arc<dyn SmsGateway>,
    pub provider: Arc<dyn PaymentProvider>,
    /// Only the notices' sender talks to it.
    pub mail: Arc<dyn MailSender>,
    /// None without a VAPID key: web push is off.
    pub push: Option<Arc<dyn PushSender>>,
}

impl fmt::Debug for Services {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Services")
            .field("provider", &self.provider.name())
            .finish_non_exhaustive()
    }
}

/// Every use case, by area.
pub struct UseCases {
    // The subscriber's cabinet and the public pages.
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
    /// «Скачать историю»: the CSV of the caller's readings and payments.
    pub download_history: DownloadHistory,
    /// The list of the caller's accounts and one of them.
    pub account_views: AccountViews,
    pub link_account: LinkAccount,
    pub relabel_account: RelabelAccount,
    pub unlink_account: UnlinkAccount,
    pub reading_history: ReadingHistory,
    pub view_consumption: ViewConsumption,
    pub submit_readings: SubmitReadings,
    pub submit_anonymous_reading: SubmitAnonymousReading,
    pub start_payment: StartPayment,
    pub payment_status: GetPaymentStatus,
    pub payment_history: PaymentHistory,
    /// The text of a payment QR code (GOST R 56042-2014).
    pub payment_qr: PaymentQr,
    pub handle_notification: HandleNotification,
    pub settle_payment: SettlePayment,
    pub book_visit: BookVisit,
    pub list_visits: ListVisits,
    /// «Добавить в календарь» on a booked visit.
    pub visit_calendar: VisitCalendar,
    /// «Добавить в календарь» beside the reading window.
    pub reading_window_calendar: ReadingWindowCalendar,
    pub idempotency: Idempotency,
    /// «Уведомления» in the profile.
    pub notifications: Notifications,
    pub email_verification: Arc<EmailVerification>,
    pub unsubscribe_by_link: UnsubscribeByLink,
    // In the background.
    pub plan_notices: PlanNotices,
    pub deliver_notices: DeliverNotices,
    pub reconcile_payments: ReconcilePayments,
    pub deliver_sms: DeliverSms,
    pub purge_expired: PurgeExpired,
    /// What `/metrics` reads from the store when scraped.
    pub observe_operations: ObserveOperations,
    // The operator's and the billing system's.
    pub import_registry: ImportRegistry,
    pub seed_registry: SeedRegistry,
    pub export_readings: ExportReadings,
    pub export_payments: ExportPayments,
    pub export_visit_requests: ExportVisitRequests,
    pub void_reading: VoidReading,
    /// The time the use cases go by (the background jobs ask it too).
    pub clock: Arc<dyn Clock>,
}

impl fmt::Debug for UseCases {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("UseCases")
    }
}

impl UseCases {
    /// Builds every use case on `stores` and `services` with the utility's `settings`.
    #[expect(
        clippy::too_many_lines,
        reason = "one constructor call per use case: splitting it would only scatter them"
    )]
    pub fn new(stores: &Stores, services: &Services, settings: &Settings) -> Self {
        let Stores {
            users,
            sessions,
            codes,
            outbox,
            accounts,
            meters,
            readings,
            payments,
            visits,
            registry,
            idempotency,
            attempts,
            health: _,
            housekeeping,
            notices,
            notice_settings,
        } = stores;
        let Services {
            clock,
            random,
            hasher,
            sms,
            provider,
            mail,
            push,
        } = services;
        let link_key = LinkKey::new(&settings.code_key);
        let email_verification = Arc::new(EmailVerification::new(
            users.clone(),
            notice_settings.clone(),
            notices.clone(),
            attempts.clone(),
            clock.clone(),
            link_key.clone(),
        ));
        let notice_rules = NoticeRules {
            calendar: settings.calendar,
            reading_window: settings.reading_policy.window,
            debt_threshold: settings.notices.debt_threshold,
            quiet_hours: settings.notices.quiet_hours,
        };
        let send_code = SendCode::new(
            codes.clone(),
            outbox.clone(),
            attempts.clone(),
            clock.clone(),
            random.clone(),
            settings,
        );
        let password_check =
            PasswordCheck::new(hasher.clone(), attempts.clone(), clock.clone(), settings);
        Self {
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
            )
            .with_email_verification(email_verification.clone()),
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
                codes.clone(),
                users.clone(),
                hasher.clone(),
                clock.clone(),
                settings,
            ),
            view_profile: ViewProfile::new(users.clone(), notice_settings.clone()),
            change_password: ChangePassword::new(
                users.clone(),
                hasher.clone(),
                password_check.clone(),
            ),
            delete_profile: DeleteProfile::new(users.clone(), password_check),
            download_history: DownloadHistory::new(
                accounts.clone(),
                readings.clone(),
                payments.clone(),
                clock.clone(),
                settings,
            ),
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
            view_consumption: ViewConsumption::new(
                accounts.clone(),
                readings.clone(),
                clock.clone(),
                settings,
            ),
            submit_readings: SubmitReadings::new(
                accounts.clone(),
                readings.clone(),
                random.clone(),
                clock.clone(),
                settings,
            ),
            submit_anonymous_reading: SubmitAnonymousReading::new(
                meters.clone(),
                readings.clone(),
                attempts.clone(),
                random.clone(),
                clock.clone(),
                settings,
            ),
            start_payment: StartPayment::new(
                users.clone(),
                notice_settings.clone(),
                accounts.clone(),
                payments.clone(),
                provider.clone(),
                attempts.clone(),
                clock.clone(),
                random.clone(),
                settings,
            ),
            payment_status: GetPaymentStatus::new(payments.clone()),
            payment_history: PaymentHistory::new(accounts.clone(), payments.clone()),
            payment_qr: PaymentQr::new(accounts.clone(), attempts.clone(), clock.clone(), settings),
            handle_notification: HandleNotification::new(payments.clone(), provider.clone()),
            settle_payment: SettlePayment::new(payments.clone(), provider.clone()),
            book_visit: BookVisit::new(
                accounts.clone(),
                visits.clone(),
                random.clone(),
                clock.clone(),
                settings,
            ),
            list_visits: ListVisits::new(visits.clone()),
            visit_calendar: VisitCalendar::new(
                visits.clone(),
                accounts.clone(),
                clock.clone(),
                settings,
            ),
            reading_window_calendar: ReadingWindowCalendar::new(clock.clone(), settings),
            idempotency: Idempotency::new(
                idempotency.clone(),
                clock.clone(),
                random.clone(),
                settings.idempotency_lease,
            ),
            notifications: Notifications::new(
                notice_settings.clone(),
                push.clone(),
                settings.notices.push_hosts.clone(),
                clock.clone(),
            ),
            email_verification,
            unsubscribe_by_link: UnsubscribeByLink::new(notice_settings.clone(), link_key.clone()),
            reconcile_payments: ReconcilePayments::new(
                payments.clone(),
                provider.clone(),
                clock.clone(),
            ),
            deliver_sms: DeliverSms::new(
                outbox.clone(),
                sms.clone(),
                clock.clone(),
                DeliveryPolicy::default(),
            ),
            plan_notices: PlanNotices::new(notices.clone(), notice_rules),
            deliver_notices: DeliverNotices::new(
                notices.clone(),
                Channels {
                    mail: mail.clone(),
                    push: push.clone(),
                    sms: sms.clone(),
                },
                Links {
                    public_url: settings.public_url.trim_end_matches('/').to_owned(),
                    key: link_key,
                },
                clock.clone(),
                settings.calendar,
                settings.notices.quiet_hours,
                DeliveryPolicy::default(),
            ),
            purge_expired: PurgeExpired::new(housekeeping.clone(), clock.clone(), settings),
            observe_operations: ObserveOperations::new(
                attempts.clone(),
                payments.clone(),
                &settings.limits,
            ),
            import_registry: ImportRegistry::new(registry.clone()),
            seed_registry: SeedRegistry::new(accounts.clone(), registry.clone()),
            export_readings: ExportReadings::new(readings.clone()),
            export_payments: ExportPayments::new(payments.clone(), settings),
            export_visit_requests: ExportVisitRequests::new(visits.clone()),
            void_reading: VoidReading::new(readings.clone(), clock.clone()),
            clock: clock.clone(),
        }
    }
}
