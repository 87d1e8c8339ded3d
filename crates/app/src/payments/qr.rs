//! Paying by any bank's QR code (GOST R 56042-2014): `GET /accounts/{number}/payment-qr`
//! (cabinet) and `GET /public/payment-qr` (without registration). The use case answers the
//! code's text; the image is the adapter's.

use std::sync::Arc;

use chrono::TimeDelta;
use tracing::info;
use vodokanal_domain::{
    AccountNumber, ClientNetwork, Money, Payee, PaymentOrder, PaymentPurpose, UserId,
};

use crate::ports::{AccountRepository, AttemptCounter, Clock, Limit, LimitState};
use crate::{Settings, StoreError};

/// The scope of the per-network limit key of anonymous QR codes.
const LIMIT_SCOPE: &str = "payment_qr";

/// Who asks for the code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QrRequester {
    /// A subscriber in the cabinet: the account must be linked to them.
    Cabinet { user_id: UserId },
    /// Anyone who knows the account number: the account must exist in the registry; codes are
    /// counted per client network when it is known.
    Anonymous { network: Option<ClientNetwork> },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentQrCommand {
    pub requester: QrRequester,
    pub account_number: AccountNumber,
    pub purpose: PaymentPurpose,
    pub amount: Money,
}

#[derive(Debug, thiserror::Error)]
pub enum PaymentQrError {
    /// The server has no bank details (`VODOKANAL_PAYEE_*`): no QR codes.
    #[error("the payee's bank details are not configured")]
    NotConfigured,
    /// The account is not linked to the cabinet user.
    #[error("the account is not linked to the user")]
    NotFound,
    /// An anonymous code for an account the registry does not know.
    #[error("the registry has no such account")]
    AccountNotFound,
    /// Too many anonymous codes from this client network; another may be had after
    /// `retry_after`.
    #[error("too many anonymous payment QR codes from this network")]
    TooManyRequests { retry_after: TimeDelta },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Answers the ST00012 text of a payment to the utility's bank details: the payee from the
/// settings, the account as `PersAcc`, the amount as `Sum` in kopecks.
///
/// An anonymous request is counted per client network before the account is looked up, so
/// that unknown accounts count too: the code is no free oracle of which account numbers exist
/// (its own limit, `anonymous_payment_qr_per_network`, 20 an hour by default).
#[derive(Debug)]
pub struct PaymentQr {
    accounts: Arc<dyn AccountRepository>,
    counter: Arc<dyn AttemptCounter>,
    clock: Arc<dyn Clock>,
    payee: Option<Payee>,
    anonymous_limit: Limit,
}

impl PaymentQr {
    pub fn new(
        accounts: Arc<dyn AccountRepository>,
        counter: Arc<dyn AttemptCounter>,
        clock: Arc<dyn Clock>,
        settings: &Settings,
    ) -> Self {
        Self {
            accounts,
            counter,
            clock,
            payee: settings.payee.clone(),
            anonymous_limit: settings.limits.anonymous_payment_qr_per_network,
        }
    }

    /// Whether codes are on (the payee's bank details are configured).
    pub fn enabled(&self) -> bool {
        self.payee.is_some()
    }

    pub async fn execute(&self, command: PaymentQrCommand) -> Result<String, PaymentQrError> {
        let payee = self.payee.as_ref().ok_or(PaymentQrError::NotConfigured)?;
        match &command.requester {
            QrRequester::Cabinet { user_id } => {
                self.accounts
                    .linked_one(*user_id, &command.account_number)
                    .await?
                    .ok_or(PaymentQrError::NotFound)?;
            }
            QrRequester::Anonymous { network } => {
                if let Some(network) = network {
                    let key = network.limit_key(LIMIT_SCOPE);
                    let now = self.clock.now();
                    if let LimitState::Exceeded { retry_after } = self
                        .counter
                        .acquire(&key, self.anonymous_limit, now)
                        .await?
                    {
                        info!(network = %network, "anonymous payment QR refused: too many from the network");
                        return Err(PaymentQrError::TooManyRequests { retry_after });
                    }
                }
                self.accounts
                    .find(&command.account_number)
                    .await?
                    .ok_or(PaymentQrError::AccountNotFound)?;
            }
        }
        let order = PaymentOrder {
            payee,
            account_number: command.account_number,
            purpose: command.purpose,
            amount: command.amount,
        };
        Ok(order.text())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::ports::{MockAccountRepository, MockAttemptCounter};
    use crate::testing::{account, account_number, accounts_finding, down, now, user_id};
    use mockall::predicate::eq;
    use vodokanal_domain::{LinkedAccount, PayeeDetails};

    pub(crate) fn payee() -> Payee {
        Payee::new(PayeeDetails {
            name: "МУП «Водоканал»".parse().unwrap(),
            account: "40702810600000012345".parse().unwrap(),
            bank: "ПАО «Банк Пример»".parse().unwrap(),
            bic: "042406999".parse().unwrap(),
            correspondent_account: "30101810900000000999".parse().unwrap(),
            inn: "3702012348".parse().unwrap(),
            kpp: "370201001".parse().unwrap(),
        })
        .unwrap()
    }

    fn use_case(
        accounts: MockAccountRepository,
        counter: MockAttemptCounter,
        payee: Option<Payee>,
    ) -> PaymentQr {
        let settings = Settings {
            payee,
            ..Settings::default()
        };
        PaymentQr::new(
            Arc::new(accounts),
            Arc::new(counter),
            crate::testing::clock(),
            &settings,
        )
    }

    fn command(requester: QrRequester) -> PaymentQrCommand {
        PaymentQrCommand {
            requester,
            account_number: account_number(),
            purpose: PaymentPurpose::Water,
            amount: "1234.50".parse().unwrap(),
        }
    }

    fn cabinet() -> QrRequester {
        QrRequester::Cabinet { user_id: user_id() }
    }

    fn network() -> ClientNetwork {
        ClientNetwork::from("203.0.113.7".parse::<std::net::IpAddr>().unwrap())
    }

    fn from_network() -> QrRequester {
        QrRequester::Anonymous {
            network: Some(network()),
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

    fn linked() -> LinkedAccount {
        LinkedAccount {
            account: account(),
            label: None,
            linked_at: now(),
        }
    }

    fn counting(state: Result<LimitState, StoreError>) -> MockAttemptCounter {
        let mut counter = MockAttemptCounter::new();
        counter
            .expect_acquire()
            .withf(|key, limit, at| {
                key == "payment_qr:ip:203.0.113.7"
                    && *limit == Settings::default().limits.anonymous_payment_qr_per_network
                    && *at == now()
            })
            .times(1)
            .return_const(state);
        counter
    }

    #[tokio::test]
    async fn a_linked_account_gets_the_text_of_its_payment() {
        let use_case = use_case(
            accounts_linking(Ok(Some(linked()))),
            MockAttemptCounter::new(),
            Some(payee()),
        );
        let text = use_case.execute(command(cabinet())).await.unwrap();
        assert!(text.starts_with("ST00012|Name=МУП «Водоканал»|"), "{text}");
        assert!(
            text.ends_with(
                "|PersAcc=123456|Sum=123450|Purpose=Вода, лицевой счет 123456|TechCode=02"
            ),
            "{text}"
        );
    }

    #[tokio::test]
    async fn an_account_not_linked_is_not_found() {
        let use_case = use_case(
            accounts_linking(Ok(None)),
            MockAttemptCounter::new(),
            Some(payee()),
        );
        let outcome = use_case.execute(command(cabinet())).await;
        assert!(
            matches!(outcome, Err(PaymentQrError::NotFound)),
            "{outcome:?}"
        );
    }

    #[tokio::test]
    async fn without_a_payee_nothing_is_looked_up_or_counted() {
        // The strict mocks fail on any call.
        let use_case = use_case(
            MockAccountRepository::new(),
            MockAttemptCounter::new(),
            None,
        );
        assert!(!use_case.enabled());
        for requester in [cabinet(), from_network()] {
            let outcome = use_case.execute(command(requester)).await;
            assert!(
                matches!(outcome, Err(PaymentQrError::NotConfigured)),
                "{outcome:?}"
            );
        }
    }

    #[tokio::test]
    async fn an_anonymous_code_is_counted_and_needs_a_known_account() {
        let use_case = use_case(
            accounts_finding(Ok(Some(account()))),
            counting(Ok(LimitState::Allowed)),
            Some(payee()),
        );
        let text = use_case.execute(command(from_network())).await.unwrap();
        assert!(text.contains("|PersAcc=123456|"), "{text}");

        let use_case = use_case_unknown();
        let outcome = use_case.execute(command(from_network())).await;
        assert!(
            matches!(outcome, Err(PaymentQrError::AccountNotFound)),
            "{outcome:?}"
        );
    }

    /// An unknown account, counted too.
    fn use_case_unknown() -> PaymentQr {
        use_case(
            accounts_finding(Ok(None)),
            counting(Ok(LimitState::Allowed)),
            Some(payee()),
        )
    }

    #[tokio::test]
    async fn a_network_over_the_limit_looks_up_no_account() {
        let wait = TimeDelta::minutes(12);
        let use_case = use_case(
            MockAccountRepository::new(),
            counting(Ok(LimitState::Exceeded { retry_after: wait })),
            Some(payee()),
        );
        let outcome = use_case.execute(command(from_network())).await;
        assert!(
            matches!(outcome, Err(PaymentQrError::TooManyRequests { retry_after }) if retry_after == wait),
            "{outcome:?}"
        );
    }

    #[tokio::test]
    async fn a_store_down_is_reported() {
        let cases = [
            (
                accounts_linking(Err(down())),
                MockAttemptCounter::new(),
                cabinet(),
            ),
            (
                MockAccountRepository::new(),
                counting(Err(down())),
                from_network(),
            ),
            (
                accounts_finding(Err(down())),
                MockAttemptCounter::new(),
                QrRequester::Anonymous { network: None },
            ),
        ];
        for (accounts, counter, requester) in cases {
            let outcome = use_case(accounts, counter, Some(payee()))
                .execute(command(requester))
                .await;
            assert!(
                matches!(outcome, Err(PaymentQrError::Store(ref e)) if *e == down()),
                "{outcome:?}"
            );
        }
    }
}
