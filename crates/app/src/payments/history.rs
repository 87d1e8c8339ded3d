//! The account's payments: `GET /accounts/{number}/payments`.

use std::sync::Arc;

use vodokanal_domain::{AccountNumber, Payment, UserId};

use crate::StoreError;
use crate::ports::{AccountRepository, PaymentRepository};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentHistoryCommand {
    pub user_id: UserId,
    pub account_number: AccountNumber,
    /// At most this many, the newest.
    pub limit: u32,
}

#[derive(Debug, thiserror::Error)]
pub enum PaymentHistoryError {
    /// The account is not linked to the user.
    #[error("the account is not linked to the user")]
    NotFound,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Lists the payments of an account linked to the user, newest first: all of the account's
/// payments, including anonymous ones and those of other subscribers linked to it, since the
/// debt shown depends on all of them.
#[derive(Debug)]
pub struct PaymentHistory {
    accounts: Arc<dyn AccountRepository>,
    payments: Arc<dyn PaymentRepository>,
}

impl PaymentHistory {
    pub fn new(accounts: Arc<dyn AccountRepository>, payments: Arc<dyn PaymentRepository>) -> Self {
        Self { accounts, payments }
    }

    pub async fn execute(
        &self,
        command: PaymentHistoryCommand,
    ) -> Result<Vec<Payment>, PaymentHistoryError> {
        self.accounts
            .linked_one(command.user_id, &command.account_number)
            .await?
            .ok_or(PaymentHistoryError::NotFound)?;
        Ok(self
            .payments
            .history(&command.account_number, command.limit)
            .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payments::fixtures::payment;
    use crate::ports::{MockAccountRepository, MockPaymentRepository};
    use crate::testing::down;
    use crate::testing::{account, account_number, now, user_id};
    use mockall::predicate::eq;
    use vodokanal_domain::LinkedAccount;

    fn accounts(result: Result<Option<LinkedAccount>, StoreError>) -> MockAccountRepository {
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

    fn command() -> PaymentHistoryCommand {
        PaymentHistoryCommand {
            user_id: user_id(),
            account_number: account_number(),
            limit: 20,
        }
    }

    #[tokio::test]
    async fn a_linked_accounts_payments_are_listed_as_the_store_orders_them() {
        let mut newer = payment();
        newer.created_at = now();
        let listed = vec![newer, payment()];
        let answer = listed.clone();
        let mut payments = MockPaymentRepository::new();
        payments
            .expect_history()
            .with(eq(account_number()), eq(20))
            .times(1)
            .return_once(move |_, _| Ok(answer));
        let use_case =
            PaymentHistory::new(Arc::new(accounts(Ok(Some(linked())))), Arc::new(payments));

        assert_eq!(use_case.execute(command()).await.unwrap(), listed);
    }

    #[tokio::test]
    async fn an_account_not_linked_is_not_found() {
        let mut payments = MockPaymentRepository::new();
        payments.expect_history().never();
        let use_case = PaymentHistory::new(Arc::new(accounts(Ok(None))), Arc::new(payments));

        let outcome = use_case.execute(command()).await;
        assert!(
            matches!(outcome, Err(PaymentHistoryError::NotFound)),
            "{outcome:?}"
        );
    }

    /// The use case on ports that fail at one step.
    type Step = fn() -> PaymentHistory;

    #[tokio::test]
    async fn a_store_down_at_any_step_is_reported() {
        let steps: [(&str, Step); 2] = [
            ("link check", || {
                let payments = MockPaymentRepository::new();
                PaymentHistory::new(Arc::new(accounts(Err(down()))), Arc::new(payments))
            }),
            ("history", || {
                let mut payments = MockPaymentRepository::new();
                payments
                    .expect_history()
                    .times(1)
                    .returning(|_, _| Err(down()));
                PaymentHistory::new(Arc::new(accounts(Ok(Some(linked())))), Arc::new(payments))
            }),
        ];
        for (step, failing) in steps {
            let outcome = failing().execute(command()).await;
            assert!(
                matches!(outcome, Err(PaymentHistoryError::Store(ref e)) if *e == down()),
                "{step}: {outcome:?}"
            );
        }
    }
}
