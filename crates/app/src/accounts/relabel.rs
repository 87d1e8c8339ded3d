//! PATCH `/accounts/{number}`: the subscriber's own label for a linked account.

use std::sync::Arc;

use vodokanal_domain::{AccountNumber, Label, UserId};

use super::view::{AccountView, AccountViews};
use crate::ports::{AccountRepository, PaymentRepository, ReadingRepository};
use crate::{Settings, StoreError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelabelAccountCommand {
    pub user_id: UserId,
    pub number: AccountNumber,
    /// `None` clears the label (the contract's `null` or `""`).
    pub label: Option<Label>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RelabelAccountError {
    /// The account is not linked to the caller.
    #[error("the account is not linked to the user")]
    NotFound,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Sets or clears the label of one of the caller's accounts.
#[derive(Debug)]
pub struct RelabelAccount {
    accounts: Arc<dyn AccountRepository>,
    views: AccountViews,
}

impl RelabelAccount {
    pub fn new(
        accounts: Arc<dyn AccountRepository>,
        readings: Arc<dyn ReadingRepository>,
        payments: Arc<dyn PaymentRepository>,
        settings: &Settings,
    ) -> Self {
        Self {
            views: AccountViews::new(accounts.clone(), readings, payments, settings),
            accounts,
        }
    }

    /// Relabels, then answers with the account as stored (`NotFound` as well when it was
    /// unlinked in between).
    pub async fn execute(
        &self,
        command: RelabelAccountCommand,
    ) -> Result<AccountView, RelabelAccountError> {
        if !self
            .accounts
            .relabel(command.user_id, &command.number, command.label)
            .await?
        {
            return Err(RelabelAccountError::NotFound);
        }
        let linked = self
            .accounts
            .linked_one(command.user_id, &command.number)
            .await?
            .ok_or(RelabelAccountError::NotFound)?;
        Ok(self
            .views
            .build(command.user_id, linked.account, linked.label)
            .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::view::fixtures::{expected_view, holders, label, linked, views};
    use crate::ports::{MockAccountRepository, MockPaymentRepository, MockReadingRepository};
    use crate::testing::down;
    use crate::testing::{account_number, user_id};

    fn relabel(accounts: MockAccountRepository) -> RelabelAccount {
        RelabelAccount {
            accounts: Arc::new(accounts),
            views: views(),
        }
    }

    fn command(label: Option<Label>) -> RelabelAccountCommand {
        RelabelAccountCommand {
            user_id: user_id(),
            number: account_number(),
            label,
        }
    }

    fn relabelling(to: Option<Label>, found: bool) -> MockAccountRepository {
        let mut accounts = MockAccountRepository::new();
        accounts
            .expect_relabel()
            .withf(move |user, number, label| {
                *user == user_id() && *number == account_number() && *label == to
            })
            .times(1)
            .returning(move |_, _, _| Ok(found));
        accounts
    }

    #[tokio::test]
    async fn a_new_label_is_stored_and_shown() {
        let mut accounts = relabelling(Some(label()), true);
        accounts
            .expect_linked_one()
            .withf(|user, number| *user == user_id() && *number == account_number())
            .times(1)
            .returning(|_, _| Ok(Some(linked(Some(label())))));
        let view = relabel(accounts)
            .execute(command(Some(label())))
            .await
            .unwrap();
        assert_eq!(view, expected_view(Some(label())));
    }

    #[tokio::test]
    async fn no_label_clears_it() {
        let mut accounts = relabelling(None, true);
        accounts
            .expect_linked_one()
            .returning(|_, _| Ok(Some(linked(None))));
        let view = relabel(accounts).execute(command(None)).await.unwrap();
        assert_eq!(view.label, None);
    }

    #[tokio::test]
    async fn an_account_not_linked_to_the_caller_is_not_found() {
        let outcome = relabel(relabelling(Some(label()), false))
            .execute(command(Some(label())))
            .await;
        assert_eq!(outcome, Err(RelabelAccountError::NotFound));
    }

    #[tokio::test]
    async fn an_account_unlinked_meanwhile_is_not_found() {
        let mut accounts = relabelling(None, true);
        accounts.expect_linked_one().returning(|_, _| Ok(None));
        let outcome = relabel(accounts).execute(command(None)).await;
        assert_eq!(outcome, Err(RelabelAccountError::NotFound));
    }

    /// The use case on ports that fail at one step.
    type Step = fn() -> RelabelAccount;

    #[tokio::test]
    async fn a_store_down_at_any_step_is_reported() {
        let steps: [(&str, Step); 2] = [
            ("relabel", || {
                let mut accounts = MockAccountRepository::new();
                accounts.expect_relabel().returning(|_, _, _| Err(down()));
                relabel(accounts)
            }),
            ("view", || {
                let mut accounts = relabelling(None, true);
                accounts
                    .expect_linked_one()
                    .returning(|_, _| Ok(Some(linked(None))));
                let mut payments = MockPaymentRepository::new();
                payments
                    .expect_succeeded_since()
                    .returning(|_, _| Err(down()));
                RelabelAccount {
                    accounts: Arc::new(accounts),
                    views: AccountViews::new(
                        holders(0),
                        Arc::new(MockReadingRepository::new()),
                        Arc::new(payments),
                        &Settings::default(),
                    ),
                }
            }),
        ];
        for (step, failing) in steps {
            let outcome = failing().execute(command(None)).await;
            assert_eq!(outcome, Err(RelabelAccountError::Store(down())), "{step}");
        }
    }
}
