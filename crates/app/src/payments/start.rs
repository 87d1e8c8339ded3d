//! Starting a payment: `POST /accounts/{number}/payments` (cabinet) and
//! `POST /public/payments` (without registration).

use std::sync::Arc;

use chrono::TimeDelta;
use tracing::{error, info, warn};
use vodokanal_domain::payment::Outcome;
use vodokanal_domain::{
    AccountNumber, ClientNetwork, Email, Money, Payment, PaymentId, PaymentPurpose, PaymentStatus,
    Phone, ReceiptContact, Settlement, UserId,
};

use crate::idempotency::{Answering, answer_for};
use crate::ports::{
    AccountRepository, AttemptCounter, Clock, Limit, LimitState, NoticeSettings, PaymentProvider,
    PaymentRepository, PaymentRequest, ProviderError, Random, UserRepository,
};
use crate::{Settings, StoreError, metrics};

/// Who pays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payer {
    /// A subscriber in the cabinet: the account must be linked to them; the receipt goes to
    /// their e-mail (read from their profile).
    Cabinet { user_id: UserId },
    /// Anyone who knows the account number: the account must exist in the registry; the
    /// receipt goes to the e-mail, else the phone given. Payments are counted per client
    /// network when it is known.
    Anonymous {
        email: Option<Email>,
        phone: Option<Phone>,
        network: Option<ClientNetwork>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartPaymentCommand {
    pub payer: Payer,
    pub account_number: AccountNumber,
    pub purpose: PaymentPurpose,
    pub amount: Money,
    /// Where the provider sends the payer back; `None` for the default (see [`StartPayment`]).
    pub return_url: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum StartPaymentError {
    /// The cabinet payer no longer exists (deleted since their session was checked); nothing
    /// was stored.
    #[error("the user no longer exists")]
    UserGone,
    /// The account is not linked to the cabinet user.
    #[error("the account is not linked to the user")]
    NotFound,
    /// An anonymous payment to an account the registry does not know: to the payer, as unknown
    /// as an account not linked ([`StartPaymentError::NotFound`]).
    #[error("the registry has no such account")]
    AccountNotFound,
    /// Too many anonymous payments from this client network; another may be started after
    /// `retry_after`.
    #[error("too many anonymous payments from this network")]
    TooManyRequests { retry_after: TimeDelta },
    /// Receipts are on and the anonymous payer gave neither an e-mail nor a phone to send one
    /// to.
    #[error("an e-mail or a phone is required for the receipt")]
    ReceiptContactRequired,
    /// The provider failed or refused to create the payment; ours was settled as canceled (the
    /// cause is in the log).
    #[error("the payment provider could not create the payment: {0}")]
    ProviderUnavailable(#[source] ProviderError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Starts a payment: checks the account, stores the payment as pending *before* the provider
/// hears of it (so that nothing the provider charges is unknown to us), then asks the provider
/// to create it and records the provider's id and confirmation URL.
///
/// The provider is told "`{purpose title}`, л/с `{account}`" (e.g. "Вода, л/с 123456") and sends
/// the payer back to the given `return_url`, by default to `{public_url}/payments/{id}`: the web
/// client's page of the payment, which shows its state (as `GET /api/v1/payments/{id}` does).
///
/// An anonymous payment is counted per client network before the account is looked up, so
/// that unknown accounts count too (the limit is no free oracle of account numbers).
///
/// When the provider fails, the stored payment is settled as canceled (a failing cancel is
/// only logged: reconciliation cancels a pending payment that never reached the provider).
/// When the provider created the payment but recording its id fails, the error is `Store` and
/// the payer never sees the confirmation URL, so nothing can be paid on it.
///
/// Under an `Idempotency-Key`, the answer commits with the provider's id: a crash before it
/// leaves a pending payment whose URL nobody saw (reconciliation cancels it) and a claim that a
/// retry takes over once its lease has passed.
#[derive(Debug)]
pub struct StartPayment {
    users: Arc<dyn UserRepository>,
    /// Whether a cabinet payer's address is verified: a receipt goes to it only then.
    notice_settings: Arc<dyn NoticeSettings>,
    accounts: Arc<dyn AccountRepository>,
    payments: Arc<dyn PaymentRepository>,
    provider: Arc<dyn PaymentProvider>,
    counter: Arc<dyn AttemptCounter>,
    clock: Arc<dyn Clock>,
    random: Arc<dyn Random>,
    receipts: bool,
    public_url: String,
    anonymous_limit: Limit,
}

impl StartPayment {
    #[expect(
        clippy::too_many_arguments,
        reason = "the ports the use case talks to, each its own"
    )]
    pub fn new(
        users: Arc<dyn UserRepository>,
        notice_settings: Arc<dyn NoticeSettings>,
        accounts: Arc<dyn AccountRepository>,
        payments: Arc<dyn PaymentRepository>,
        provider: Arc<dyn PaymentProvider>,
        counter: Arc<dyn AttemptCounter>,
        clock: Arc<dyn Clock>,
        random: Arc<dyn Random>,
        settings: &Settings,
    ) -> Self {
        Self {
            users,
            notice_settings,
            accounts,
            payments,
            provider,
            counter,
            clock,
            random,
            receipts: settings.receipts,
            public_url: settings.public_url.trim_end_matches('/').to_owned(),
            anonymous_limit: settings.limits.anonymous_payments_per_network,
        }
    }

    pub async fn execute(
        &self,
        command: StartPaymentCommand,
        answering: Option<&Answering<Payment>>,
    ) -> Result<Payment, StartPaymentError> {
        let receipt_contact = self.receipt_contact(&command.payer).await?;
        let user_id = self.admit(&command).await?;

        let mut payment = Payment {
            id: PaymentId::from_random_bytes(self.random.id_bytes()),
            account_number: command.account_number,
            purpose: command.purpose,
            amount: command.amount,
            status: PaymentStatus::Pending,
            provider: self.provider.name().to_owned(),
            provider_payment_id: None,
            confirmation_url: None,
            receipt_contact,
            created_at: self.clock.now(),
            paid_at: None,
            user_id,
        };
        self.payments.create(&payment).await?;
        metrics::payment_created(&payment.provider);

        let request = PaymentRequest {
            payment_id: payment.id,
            account_number: payment.account_number.clone(),
            purpose: payment.purpose,
            amount: payment.amount,
            description: format!(
                "{}, л/с {}",
                payment.purpose.title(),
                payment.account_number
            ),
            return_url: command
                .return_url
                .unwrap_or_else(|| format!("{}/payments/{}", self.public_url, payment.id)),
            receipt_contact: payment.receipt_contact.clone(),
        };
        let created = match self.provider.create(&request).await {
            Ok(created) => created,
            Err(cause) => {
                error!(payment_id = %payment.id, error = %cause, "the payment provider did not create the payment");
                match self.payments.settle(payment.id, Outcome::Canceled).await {
                    Ok(Some(Settlement::Moved(status))) => {
                        metrics::payment_settled(&payment.provider, status);
                    }
                    Ok(_) => {}
                    Err(store) => {
                        warn!(payment_id = %payment.id, error = %store, "could not cancel a payment the provider did not create");
                    }
                }
                return Err(StartPaymentError::ProviderUnavailable(cause));
            }
        };
        payment.provider_payment_id = Some(created.provider_payment_id.clone());
        payment.confirmation_url = Some(created.confirmation_url.clone());
        let answer = answer_for(answering, &payment);
        self.payments
            .attach_provider(
                payment.id,
                &created.provider_payment_id,
                &created.confirmation_url,
                answer,
            )
            .await?;
        info!(payment_id = %payment.id, account = %payment.account_number, "payment started");
        Ok(payment)
    }

    /// Where the receipt goes when receipts are on: the cabinet user's e-mail (read from
    /// their profile, whatever the receipts) once it is verified, else their phone; the
    /// anonymous payer's e-mail, else phone.
    async fn receipt_contact(
        &self,
        payer: &Payer,
    ) -> Result<Option<ReceiptContact>, StartPaymentError> {
        let (email, phone) = match payer {
            Payer::Cabinet { user_id } => {
                let user = self
                    .users
                    .by_id(*user_id)
                    .await?
                    .ok_or(StartPaymentError::UserGone)?;
                if !self.receipts {
                    return Ok(None);
                }
                let verified = self
                    .notice_settings
                    .email_verified_at(*user_id)
                    .await?
                    .is_some();
                (verified.then_some(user.email), Some(user.phone))
            }
            Payer::Anonymous { email, phone, .. } => (email.clone(), phone.clone()),
        };
        if !self.receipts {
            return Ok(None);
        }
        match (email, phone) {
            (Some(email), _) => Ok(Some(ReceiptContact::Email(email))),
            (None, Some(phone)) => Ok(Some(ReceiptContact::Phone(phone))),
            (None, None) => Err(StartPaymentError::ReceiptContactRequired),
        }
    }

    /// Checks that the payer may pay to the account: counts an anonymous payment against its
    /// network, then checks that the account is the cabinet user's, or for anyone that it
    /// exists. Returns the payment's user.
    async fn admit(
        &self,
        command: &StartPaymentCommand,
    ) -> Result<Option<UserId>, StartPaymentError> {
        if let Payer::Anonymous {
            network: Some(network),
            ..
        } = &command.payer
        {
            let key = network.limit_key("payments");
            let now = self.clock.now();
            if let LimitState::Exceeded { retry_after } = self
                .counter
                .acquire(&key, self.anonymous_limit, now)
                .await?
            {
                info!(network = %network, "anonymous payment refused: too many from the network");
                return Err(StartPaymentError::TooManyRequests { retry_after });
            }
        }
        Ok(match &command.payer {
            Payer::Cabinet { user_id } => {
                self.accounts
                    .linked_one(*user_id, &command.account_number)
                    .await?
                    .ok_or(StartPaymentError::NotFound)?;
                Some(*user_id)
            }
            Payer::Anonymous { .. } => {
                self.accounts
                    .find(&command.account_number)
                    .await?
                    .ok_or(StartPaymentError::AccountNotFound)?;
                None
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payments::fixtures::{amount, payment_id};
    use crate::ports::{
        CreatedPayment, MockAccountRepository, MockAttemptCounter, MockNoticeSettings,
        MockPaymentProvider, MockPaymentRepository, MockUserRepository,
    };
    use crate::testing::down;
    use crate::testing::{
        self, account, account_number, accounts_finding, email, now, phone, user_id,
    };
    use mockall::predicate::eq;
    use vodokanal_domain::{LinkedAccount, Settlement, User};

    fn created() -> CreatedPayment {
        CreatedPayment {
            provider_payment_id: "prov-1".into(),
            confirmation_url: "https://pay.example/prov-1".into(),
        }
    }

    fn cabinet() -> Payer {
        Payer::Cabinet { user_id: user_id() }
    }

    fn anonymous(email: Option<Email>, phone: Option<Phone>) -> Payer {
        Payer::Anonymous {
            email,
            phone,
            network: None,
        }
    }

    fn command(payer: Payer) -> StartPaymentCommand {
        StartPaymentCommand {
            payer,
            account_number: account_number(),
            purpose: PaymentPurpose::Water,
            amount: amount(),
            return_url: None,
        }
    }

    fn linked() -> LinkedAccount {
        LinkedAccount {
            account: account(),
            label: None,
            linked_at: now(),
        }
    }

    fn accounts_linking(
        result: Result<Option<LinkedAccount>, StoreError>,
    ) -> MockAccountRepository {
        let mut accounts = MockAccountRepository::new();
        accounts
            .expect_linked_one()
            .with(eq(user_id()), eq(account_number()))
            .times(1)
            .return_once(move |_, _| result);
        accounts
    }

    fn provider_answering(result: Result<CreatedPayment, ProviderError>) -> MockPaymentProvider {
        let mut provider = MockPaymentProvider::new();
        provider.expect_name().return_const("sandbox");
        provider
            .expect_create()
            .times(1)
            .return_once(move |_| result);
        provider
    }

    fn payments_creating() -> MockPaymentRepository {
        let mut payments = MockPaymentRepository::new();
        payments.expect_create().times(1).returning(|_| Ok(()));
        payments
    }

    fn payments_attaching() -> MockPaymentRepository {
        let mut payments = payments_creating();
        payments
            .expect_attach_provider()
            .with(
                eq(payment_id()),
                eq("prov-1"),
                eq("https://pay.example/prov-1"),
                eq(None),
            )
            .times(1)
            .returning(|_, _, _, _| Ok(()));
        payments
    }

    /// Users that know the cabinet payer ([`testing::user`], whose e-mail is [`email`]).
    fn users_knowing() -> MockUserRepository {
        let mut users = MockUserRepository::new();
        users
            .expect_by_id()
            .with(eq(user_id()))
            .returning(|_| Ok(Some(testing::user())));
        users
    }

    fn use_case(
        accounts: MockAccountRepository,
        payments: MockPaymentRepository,
        provider: MockPaymentProvider,
        receipts: bool,
    ) -> StartPayment {
        use_case_with(users_knowing(), accounts, payments, provider, receipts)
    }

    fn use_case_with(
        users: MockUserRepository,
        accounts: MockAccountRepository,
        payments: MockPaymentRepository,
        provider: MockPaymentProvider,
        receipts: bool,
    ) -> StartPayment {
        let settings = Settings {
            receipts,
            public_url: "https://lk.vodokanal.example/".into(),
            ..Settings::default()
        };
        let mut verified = MockNoticeSettings::new();
        verified
            .expect_email_verified_at()
            .return_const(Ok(Some(testing::now())));
        StartPayment::new(
            Arc::new(users),
            Arc::new(verified),
            Arc::new(accounts),
            Arc::new(payments),
            Arc::new(provider),
            Arc::new(MockAttemptCounter::new()),
            testing::clock(),
            testing::random(),
            &settings,
        )
    }

    #[tokio::test]
    async fn a_cabinet_payment_is_stored_pending_then_created_at_the_provider() {
        let mut payments = MockPaymentRepository::new();
        let mut seq = mockall::Sequence::new();
        payments
            .expect_create()
            .withf(|p| {
                p.id == payment_id()
                    && p.account_number == account_number()
                    && p.purpose == PaymentPurpose::Water
                    && p.amount == amount()
                    && p.status == PaymentStatus::Pending
                    && p.provider == "sandbox"
                    && p.provider_payment_id.is_none()
                    && p.confirmation_url.is_none()
                    && p.receipt_contact == Some(ReceiptContact::Email(email()))
                    && p.created_at == now()
                    && p.paid_at.is_none()
                    && p.user_id == Some(user_id())
            })
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_| Ok(()));
        let mut provider = MockPaymentProvider::new();
        provider.expect_name().return_const("sandbox");
        provider
            .expect_create()
            .withf(|r| {
                r.payment_id == payment_id()
                    && r.description == "Вода, л/с 123456"
                    && r.return_url
                        == format!("https://lk.vodokanal.example/payments/{}", payment_id())
                    && r.amount == amount()
                    && r.receipt_contact == Some(ReceiptContact::Email(email()))
            })
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_| Ok(created()));
        payments
            .expect_attach_provider()
            .with(
                eq(payment_id()),
                eq("prov-1"),
                eq("https://pay.example/prov-1"),
                eq(None),
            )
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_, _, _, _| Ok(()));
        let use_case = use_case(
            accounts_linking(Ok(Some(linked()))),
            payments,
            provider,
            true,
        );

        let payment = use_case.execute(command(cabinet()), None).await.unwrap();

        assert_eq!(payment.id, payment_id());
        assert_eq!(payment.status, PaymentStatus::Pending);
        assert_eq!(payment.provider_payment_id.as_deref(), Some("prov-1"));
        assert_eq!(
            payment.confirmation_url.as_deref(),
            Some("https://pay.example/prov-1")
        );
        assert_eq!(payment.user_id, Some(user_id()));
    }

    #[tokio::test]
    async fn a_cabinet_receipt_goes_to_the_email_of_the_payers_profile() {
        let changed: Email = "novyi@example.ru".parse().unwrap();
        let mut users = MockUserRepository::new();
        let profile = User {
            email: changed.clone(),
            ..testing::user()
        };
        users
            .expect_by_id()
            .with(eq(user_id()))
            .times(1)
            .return_once(move |_| Ok(Some(profile)));
        let mut payments = payments_creating();
        payments
            .expect_attach_provider()
            .times(1)
            .returning(|_, _, _, _| Ok(()));
        let mut provider = MockPaymentProvider::new();
        provider.expect_name().return_const("sandbox");
        let expected = Some(ReceiptContact::Email(changed.clone()));
        provider
            .expect_create()
            .withf(move |r| r.receipt_contact == expected)
            .times(1)
            .returning(|_| Ok(created()));
        let use_case = use_case_with(
            users,
            accounts_linking(Ok(Some(linked()))),
            payments,
            provider,
            true,
        );

        let payment = use_case.execute(command(cabinet()), None).await.unwrap();
        assert_eq!(
            payment.receipt_contact,
            Some(ReceiptContact::Email(changed))
        );
    }

    #[tokio::test]
    async fn a_receipt_goes_to_the_profiles_phone_until_its_address_is_verified() {
        let mut payments = payments_creating();
        payments
            .expect_attach_provider()
            .returning(|_, _, _, _| Ok(()));
        let mut provider = MockPaymentProvider::new();
        provider.expect_name().return_const("sandbox");
        provider
            .expect_create()
            .withf(|r| r.receipt_contact == Some(ReceiptContact::Phone(testing::phone())))
            .times(1)
            .returning(|_| Ok(created()));
        let mut unverified = MockNoticeSettings::new();
        unverified.expect_email_verified_at().return_const(Ok(None));
        let use_case = StartPayment::new(
            Arc::new(users_knowing()),
            Arc::new(unverified),
            Arc::new(accounts_linking(Ok(Some(linked())))),
            Arc::new(payments),
            Arc::new(provider),
            Arc::new(MockAttemptCounter::new()),
            testing::clock(),
            testing::random(),
            &Settings {
                receipts: true,
                ..Settings::default()
            },
        );
        let payment = use_case.execute(command(cabinet()), None).await.unwrap();
        assert_eq!(
            payment.receipt_contact,
            Some(ReceiptContact::Phone(testing::phone()))
        );
    }

    #[tokio::test]
    async fn a_cabinet_payer_who_is_gone_or_unreadable_starts_nothing() {
        for (found, gone) in [
            (Ok(None), true),
            (Err(StoreError::Unavailable("down".into())), false),
        ] {
            let mut users = MockUserRepository::new();
            users
                .expect_by_id()
                .with(eq(user_id()))
                .times(1)
                .return_once(move |_| found);
            // The strict mocks fail on any call: no account is checked, nothing is stored.
            let use_case = use_case_with(
                users,
                MockAccountRepository::new(),
                MockPaymentRepository::new(),
                MockPaymentProvider::new(),
                false,
            );
            let outcome = use_case.execute(command(cabinet()), None).await;
            if gone {
                assert!(
                    matches!(outcome, Err(StartPaymentError::UserGone)),
                    "{outcome:?}"
                );
            } else {
                assert!(
                    matches!(outcome, Err(StartPaymentError::Store(_))),
                    "{outcome:?}"
                );
            }
        }
    }

    #[tokio::test]
    async fn a_given_return_url_goes_to_the_provider_and_receipts_off_send_no_contact() {
        let mut provider = MockPaymentProvider::new();
        provider.expect_name().return_const("sandbox");
        provider
            .expect_create()
            .withf(|r| {
                r.return_url == "https://app.example/done"
                    && r.receipt_contact.is_none()
                    && r.description == "Судебные, л/с 123456"
            })
            .times(1)
            .returning(|_| Ok(created()));
        let use_case = use_case(
            accounts_linking(Ok(Some(linked()))),
            payments_attaching(),
            provider,
            false,
        );
        let mut command = command(cabinet());
        command.purpose = PaymentPurpose::Court;
        command.return_url = Some("https://app.example/done".into());

        let payment = use_case.execute(command, None).await.unwrap();
        assert_eq!(payment.receipt_contact, None);
    }

    #[tokio::test]
    async fn a_cabinet_payment_to_an_account_not_linked_is_not_found() {
        let mut payments = MockPaymentRepository::new();
        payments.expect_create().never();
        let mut provider = MockPaymentProvider::new();
        provider.expect_create().never();
        let use_case = use_case(accounts_linking(Ok(None)), payments, provider, false);

        let outcome = use_case.execute(command(cabinet()), None).await;
        assert!(
            matches!(outcome, Err(StartPaymentError::NotFound)),
            "{outcome:?}"
        );
    }

    #[tokio::test]
    async fn an_anonymous_payment_to_a_known_account_is_started_without_a_user() {
        let mut payments = MockPaymentRepository::new();
        payments
            .expect_create()
            .withf(|p| {
                p.user_id.is_none() && p.receipt_contact == Some(ReceiptContact::Email(email()))
            })
            .times(1)
            .returning(|_| Ok(()));
        payments
            .expect_attach_provider()
            .times(1)
            .returning(|_, _, _, _| Ok(()));
        let use_case = use_case(
            accounts_finding(Ok(Some(account()))),
            payments,
            provider_answering(Ok(created())),
            true,
        );

        let payment = use_case
            .execute(command(anonymous(Some(email()), Some(phone()))), None)
            .await
            .unwrap();
        assert_eq!(payment.user_id, None);
        assert_eq!(
            payment.confirmation_url.as_deref(),
            Some("https://pay.example/prov-1")
        );
    }

    #[tokio::test]
    async fn an_anonymous_payer_without_an_email_gets_the_receipt_by_phone() {
        let mut payments = MockPaymentRepository::new();
        payments
            .expect_create()
            .withf(|p| p.receipt_contact == Some(ReceiptContact::Phone(phone())))
            .times(1)
            .returning(|_| Ok(()));
        payments
            .expect_attach_provider()
            .times(1)
            .returning(|_, _, _, _| Ok(()));
        let use_case = use_case(
            accounts_finding(Ok(Some(account()))),
            payments,
            provider_answering(Ok(created())),
            true,
        );

        let payment = use_case
            .execute(command(anonymous(None, Some(phone()))), None)
            .await
            .unwrap();
        assert_eq!(
            payment.receipt_contact,
            Some(ReceiptContact::Phone(phone()))
        );
    }

    #[tokio::test]
    async fn an_anonymous_payer_without_any_contact_is_refused_when_receipts_are_on() {
        let mut accounts = MockAccountRepository::new();
        accounts.expect_find().never();
        let mut payments = MockPaymentRepository::new();
        payments.expect_create().never();
        let use_case = use_case(accounts, payments, MockPaymentProvider::new(), true);

        let outcome = use_case.execute(command(anonymous(None, None)), None).await;
        assert!(
            matches!(outcome, Err(StartPaymentError::ReceiptContactRequired)),
            "{outcome:?}"
        );
    }

    #[tokio::test]
    async fn an_anonymous_payer_without_any_contact_may_pay_when_receipts_are_off() {
        let mut payments = MockPaymentRepository::new();
        payments
            .expect_create()
            .withf(|p| p.receipt_contact.is_none())
            .times(1)
            .returning(|_| Ok(()));
        payments
            .expect_attach_provider()
            .times(1)
            .returning(|_, _, _, _| Ok(()));
        let use_case = use_case(
            accounts_finding(Ok(Some(account()))),
            payments,
            provider_answering(Ok(created())),
            false,
        );
        assert!(
            use_case
                .execute(command(anonymous(None, None)), None)
                .await
                .is_ok()
        );
    }

    #[tokio::test]
    async fn an_anonymous_payment_to_an_unknown_account_is_refused() {
        let mut payments = MockPaymentRepository::new();
        payments.expect_create().never();
        let use_case = use_case(
            accounts_finding(Ok(None)),
            payments,
            MockPaymentProvider::new(),
            false,
        );

        let outcome = use_case
            .execute(command(anonymous(Some(email()), None)), None)
            .await;
        assert!(
            matches!(outcome, Err(StartPaymentError::AccountNotFound)),
            "{outcome:?}"
        );
    }

    #[tokio::test]
    async fn a_failing_provider_cancels_the_stored_payment() {
        let mut payments = payments_creating();
        payments
            .expect_settle()
            .with(eq(payment_id()), eq(Outcome::Canceled))
            .times(1)
            .returning(|_, _| Ok(Some(Settlement::Moved(PaymentStatus::Canceled))));
        payments.expect_attach_provider().never();
        let use_case = use_case(
            accounts_linking(Ok(Some(linked()))),
            payments,
            provider_answering(Err(ProviderError::Unavailable("timeout".into()))),
            false,
        );

        let outcome = use_case.execute(command(cabinet()), None).await;
        assert!(
            matches!(
                outcome,
                Err(StartPaymentError::ProviderUnavailable(
                    ProviderError::Unavailable(_)
                ))
            ),
            "{outcome:?}"
        );
    }

    #[tokio::test]
    async fn a_provider_refusal_is_also_unavailable_to_the_payer() {
        let mut payments = payments_creating();
        payments
            .expect_settle()
            .with(eq(payment_id()), eq(Outcome::Canceled))
            .times(1)
            .returning(|_, _| Ok(Some(Settlement::Moved(PaymentStatus::Canceled))));
        let use_case = use_case(
            accounts_linking(Ok(Some(linked()))),
            payments,
            provider_answering(Err(ProviderError::Rejected("bad shop id".into()))),
            false,
        );

        let outcome = use_case.execute(command(cabinet()), None).await;
        assert!(
            matches!(
                outcome,
                Err(StartPaymentError::ProviderUnavailable(
                    ProviderError::Rejected(_)
                ))
            ),
            "{outcome:?}"
        );
    }

    #[tokio::test]
    async fn a_failing_cancel_after_a_provider_failure_still_reports_the_provider() {
        let mut payments = payments_creating();
        payments
            .expect_settle()
            .times(1)
            .returning(|_, _| Err(down()));
        let use_case = use_case(
            accounts_linking(Ok(Some(linked()))),
            payments,
            provider_answering(Err(ProviderError::Unavailable("timeout".into()))),
            false,
        );

        let outcome = use_case.execute(command(cabinet()), None).await;
        assert!(
            matches!(outcome, Err(StartPaymentError::ProviderUnavailable(_))),
            "{outcome:?}"
        );
    }

    #[tokio::test]
    async fn a_store_down_before_the_payment_is_stored_never_reaches_the_provider() {
        let mut payments = MockPaymentRepository::new();
        payments.expect_create().times(1).returning(|_| Err(down()));
        let mut provider = MockPaymentProvider::new();
        provider.expect_name().return_const("sandbox");
        provider.expect_create().never();
        let use_case = use_case(
            accounts_linking(Ok(Some(linked()))),
            payments,
            provider,
            false,
        );

        let outcome = use_case.execute(command(cabinet()), None).await;
        assert!(
            matches!(
                outcome,
                Err(StartPaymentError::Store(StoreError::Unavailable(_)))
            ),
            "{outcome:?}"
        );
    }

    /// The use case on ports that fail at one step, and the payer it is run for.
    type Step = fn() -> (StartPayment, Payer);

    #[tokio::test]
    async fn a_store_down_at_any_step_is_reported() {
        let steps: [(&str, Step); 3] = [
            ("linked account", || {
                let (payments, provider) =
                    (MockPaymentRepository::new(), MockPaymentProvider::new());
                let accounts = accounts_linking(Err(down()));
                (use_case(accounts, payments, provider, false), cabinet())
            }),
            ("account", || {
                let (payments, provider) =
                    (MockPaymentRepository::new(), MockPaymentProvider::new());
                let accounts = accounts_finding(Err(down()));
                (
                    use_case(accounts, payments, provider, false),
                    anonymous(None, None),
                )
            }),
            ("attach", || {
                let mut payments = payments_creating();
                payments
                    .expect_attach_provider()
                    .times(1)
                    .returning(|_, _, _, _| Err(down()));
                let accounts = accounts_linking(Ok(Some(linked())));
                let provider = provider_answering(Ok(created()));
                (use_case(accounts, payments, provider, false), cabinet())
            }),
        ];
        for (step, failing) in steps {
            let (use_case, payer) = failing();
            let outcome = use_case.execute(command(payer), None).await;
            assert!(
                matches!(outcome, Err(StartPaymentError::Store(ref e)) if *e == down()),
                "{step}: {outcome:?}"
            );
        }
    }

    fn from_network() -> Payer {
        Payer::Anonymous {
            email: None,
            phone: None,
            network: Some(ClientNetwork::from(
                "2001:db8:1:2::7".parse::<std::net::IpAddr>().unwrap(),
            )),
        }
    }

    /// A counter that gives `state` for the network's key (once).
    fn counting(state: Result<LimitState, StoreError>) -> MockAttemptCounter {
        let mut counter = MockAttemptCounter::new();
        counter
            .expect_acquire()
            .withf(|key, limit, at| {
                key == "payments:ip:2001:db8:1:2::/64"
                    && *limit == Settings::default().limits.anonymous_payments_per_network
                    && *at == now()
            })
            .times(1)
            .return_const(state);
        counter
    }

    fn counted_use_case(
        accounts: MockAccountRepository,
        payments: MockPaymentRepository,
        provider: MockPaymentProvider,
        counter: MockAttemptCounter,
    ) -> StartPayment {
        StartPayment::new(
            // An anonymous payer's profile is never read: any call fails the test.
            Arc::new(MockUserRepository::new()),
            Arc::new(MockNoticeSettings::new()),
            Arc::new(accounts),
            Arc::new(payments),
            Arc::new(provider),
            Arc::new(counter),
            testing::clock(),
            testing::random(),
            &Settings::default(),
        )
    }

    #[tokio::test]
    async fn an_anonymous_payment_is_counted_per_client_network() {
        let use_case = counted_use_case(
            accounts_finding(Ok(Some(account()))),
            payments_attaching(),
            provider_answering(Ok(created())),
            counting(Ok(LimitState::Allowed)),
        );
        let payment = use_case
            .execute(command(from_network()), None)
            .await
            .unwrap();
        assert_eq!(payment.user_id, None);
    }

    #[tokio::test]
    async fn a_network_over_the_limit_creates_nothing_and_looks_up_no_account() {
        let wait = TimeDelta::minutes(35);
        let use_case = counted_use_case(
            MockAccountRepository::new(),
            MockPaymentRepository::new(),
            MockPaymentProvider::new(),
            counting(Ok(LimitState::Exceeded { retry_after: wait })),
        );
        let outcome = use_case.execute(command(from_network()), None).await;
        assert!(
            matches!(outcome, Err(StartPaymentError::TooManyRequests { retry_after }) if retry_after == wait),
            "{outcome:?}"
        );
    }

    #[tokio::test]
    async fn an_unknown_account_counts_too() {
        let use_case = counted_use_case(
            accounts_finding(Ok(None)),
            MockPaymentRepository::new(),
            MockPaymentProvider::new(),
            counting(Ok(LimitState::Allowed)),
        );
        let outcome = use_case.execute(command(from_network()), None).await;
        assert!(
            matches!(outcome, Err(StartPaymentError::AccountNotFound)),
            "{outcome:?}"
        );
    }
}
