//! GET `/accounts`: the caller's linked accounts.

use vodokanal_domain::UserId;

use super::view::{AccountView, AccountViews};
use crate::StoreError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListAccountsCommand {
    pub user_id: UserId,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ListAccountsError {
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl AccountViews {
    /// GET `/accounts`: the caller's linked accounts, in the order they were linked.
    pub async fn list(
        &self,
        command: ListAccountsCommand,
    ) -> Result<Vec<AccountView>, ListAccountsError> {
        let linked = self.accounts.linked(command.user_id).await?;
        let mut views = Vec::with_capacity(linked.len());
        for one in linked {
            views.push(self.build(command.user_id, one.account, one.label).await?);
        }
        Ok(views)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::Settings;
    use crate::accounts::view::fixtures::{expected_view, label, linked, over, views};
    use crate::ports::{MockAccountRepository, MockPaymentRepository, MockReadingRepository};
    use crate::testing::down;
    use crate::testing::user_id;

    #[tokio::test]
    async fn every_linked_account_is_listed_in_order() {
        let mut accounts = MockAccountRepository::new();
        let mut second = linked(None);
        second.account.number = "654321".parse().unwrap();
        second.account.meters.clear();
        accounts
            .expect_linked()
            .withf(|user| *user == user_id())
            .times(1)
            .return_once(move |_| Ok(vec![linked(Some(label())), second]));
        let mut payments = MockPaymentRepository::new();
        payments
            .expect_succeeded_since()
            .times(2)
            .returning(|number, _| {
                Ok(if number.as_str() == "123456" {
                    vec!["300.00".parse().unwrap()]
                } else {
                    vec![]
                })
            });
        // The second account has 3 other holders, the first none.
        accounts
            .expect_other_holders()
            .withf(|user, _| *user == user_id())
            .returning(|_, number| Ok(if number.as_str() == "654321" { 3 } else { 0 }));
        let views = AccountViews::new(
            Arc::new(accounts),
            Arc::new(crate::accounts::view::fixtures::readings_with_last()),
            Arc::new(payments),
            &Settings::default(),
        );
        let listed = views
            .list(ListAccountsCommand { user_id: user_id() })
            .await
            .unwrap();
        assert_eq!(listed.len(), 2);
        assert_eq!(listed[1].other_holders, 3);
        assert_eq!(listed[0], expected_view(Some(label())));
        assert_eq!(listed[1].account.number.as_str(), "654321");
        assert_eq!(listed[1].debt.to_string(), "1000.00");
        assert!(listed[1].last_readings.is_empty());
    }

    #[tokio::test]
    async fn a_user_without_accounts_gets_an_empty_list() {
        let mut accounts = MockAccountRepository::new();
        accounts.expect_linked().returning(|_| Ok(vec![]));
        let views = AccountViews::new(
            Arc::new(accounts),
            Arc::new(MockReadingRepository::new()),
            Arc::new(MockPaymentRepository::new()),
            &Settings::default(),
        );
        let listed = views.list(ListAccountsCommand { user_id: user_id() }).await;
        assert_eq!(listed, Ok(vec![]));
    }

    /// The use case on ports that fail at one step.
    type Step = fn() -> AccountViews;

    #[tokio::test]
    async fn a_store_down_at_any_step_is_reported() {
        let steps: [(&str, Step); 2] = [
            ("accounts", || {
                let mut accounts = MockAccountRepository::new();
                accounts.expect_linked().returning(|_| Err(down()));
                over(accounts, &views())
            }),
            ("payments", || {
                let mut accounts = MockAccountRepository::new();
                accounts
                    .expect_linked()
                    .returning(|_| Ok(vec![linked(None)]));
                let mut payments = MockPaymentRepository::new();
                payments
                    .expect_succeeded_since()
                    .returning(|_, _| Err(down()));
                AccountViews::new(
                    Arc::new(accounts),
                    Arc::new(MockReadingRepository::new()),
                    Arc::new(payments),
                    &Settings::default(),
                )
            }),
        ];
        for (step, failing) in steps {
            let listed = failing()
                .list(ListAccountsCommand { user_id: user_id() })
                .await;
            assert_eq!(listed, Err(ListAccountsError::Store(down())), "{step}");
        }
    }
}
