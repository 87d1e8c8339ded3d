//! Accounts and their links to users.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use vodokanal_app::StoreError;
use vodokanal_app::ports::{
    AccountRepository, AccountSnapshot, LatestReading, LinkError, LinkNotice, NewSms, Paid,
    SmsPurpose,
};
use vodokanal_domain::{
    Account, AccountNumber, Label, LinkedAccount, PaymentStatus, Phone, UserId,
};

use super::{InMemoryStore, LinkRow, State, foreign_key};

impl State {
    /// What the cabinet shows of a link, as [`AccountRepository::snapshot`] reads it.
    fn snapshot(&self, link: &LinkRow) -> Option<AccountSnapshot> {
        let linked = self.linked_account(link)?;
        let number = &linked.account.number;
        let since = linked
            .account
            .balance_as_of
            .and_time(chrono::NaiveTime::MIN)
            .and_utc();
        let mut paid: Vec<Paid> = self
            .payments
            .iter()
            .filter(|p| &p.account_number == number && p.status == PaymentStatus::Succeeded)
            .filter_map(|p| {
                p.paid_at.filter(|at| *at >= since).map(|paid_at| Paid {
                    amount: p.amount,
                    paid_at,
                })
            })
            .collect();
        paid.sort_by_key(|p| p.paid_at);
        let last_readings = linked
            .account
            .meters
            .iter()
            .filter_map(|meter| {
                self.readings
                    .iter()
                    .filter(|r| r.meter_number == meter.number && r.voided.is_none())
                    .max_by_key(|r| r.period)
                    .map(|r| LatestReading {
                        meter: r.meter_number.clone(),
                        value: r.value,
                        submitted_at: r.submitted_at,
                    })
            })
            .collect();
        let others = self
            .links
            .iter()
            .filter(|l| &l.account_number == number && l.user_id != link.user_id)
            .count();
        Some(AccountSnapshot {
            linked,
            paid,
            last_readings,
            other_holders: u32::try_from(others).unwrap_or(u32::MAX),
        })
    }
}

#[async_trait]
impl AccountRepository for InMemoryStore {
    async fn find(&self, number: &AccountNumber) -> Result<Option<Account>, StoreError> {
        Ok(self.state.lock().await.account(number))
    }

    async fn linked(&self, user: UserId) -> Result<Vec<LinkedAccount>, StoreError> {
        let state = self.state.lock().await;
        let mut links: Vec<&LinkRow> = state.links.iter().filter(|l| l.user_id == user).collect();
        links.sort_by_key(|l| l.linked_at);
        Ok(links
            .into_iter()
            .filter_map(|l| state.linked_account(l))
            .collect())
    }

    async fn linked_one(
        &self,
        user: UserId,
        number: &AccountNumber,
    ) -> Result<Option<LinkedAccount>, StoreError> {
        let state = self.state.lock().await;
        Ok(state
            .links
            .iter()
            .find(|l| l.user_id == user && &l.account_number == number)
            .and_then(|l| state.linked_account(l)))
    }

    async fn snapshot(
        &self,
        user: UserId,
        number: &AccountNumber,
    ) -> Result<Option<AccountSnapshot>, StoreError> {
        let state = self.state.lock().await;
        Ok(state
            .links
            .iter()
            .find(|l| l.user_id == user && &l.account_number == number)
            .and_then(|l| state.snapshot(l)))
    }

    async fn snapshots(&self, user: UserId) -> Result<Vec<AccountSnapshot>, StoreError> {
        let state = self.state.lock().await;
        let mut links: Vec<&LinkRow> = state.links.iter().filter(|l| l.user_id == user).collect();
        links.sort_by_key(|l| l.linked_at);
        Ok(links
            .into_iter()
            .filter_map(|l| state.snapshot(l))
            .collect())
    }

    async fn link(
        &self,
        user: UserId,
        number: &AccountNumber,
        label: Option<Label>,
        at: DateTime<Utc>,
        notice: Option<LinkNotice>,
    ) -> Result<(), LinkError> {
        let mut state = self.state.lock().await;
        if state
            .links
            .iter()
            .any(|l| l.user_id == user && &l.account_number == number)
        {
            return Err(LinkError::AlreadyLinked);
        }
        if !state.user_exists(user) {
            return Err(foreign_key("account_links.user_id").into());
        }
        if !state.accounts.contains_key(number) {
            return Err(foreign_key("account_links.account_number").into());
        }
        if let Some(notice) = notice {
            let holders: Vec<Phone> = state
                .links
                .iter()
                .filter(|l| &l.account_number == number && l.user_id != user)
                .filter_map(|l| state.users.iter().find(|u| u.id == l.user_id))
                .map(|u| u.phone.clone())
                .collect();
            for phone in holders {
                state.queue(NewSms {
                    phone,
                    text: notice.text.clone(),
                    purpose: SmsPurpose::AccountLinked,
                    client_ip: None,
                    created_at: notice.created_at,
                    expires_at: notice.expires_at,
                });
            }
        }
        state.links.push(LinkRow {
            user_id: user,
            account_number: number.clone(),
            label,
            linked_at: at,
        });
        Ok(())
    }

    async fn other_holders(&self, user: UserId, number: &AccountNumber) -> Result<u32, StoreError> {
        let state = self.state.lock().await;
        let count = state
            .links
            .iter()
            .filter(|l| &l.account_number == number && l.user_id != user)
            .count();
        Ok(u32::try_from(count).unwrap_or(u32::MAX))
    }

    async fn relabel(
        &self,
        user: UserId,
        number: &AccountNumber,
        label: Option<Label>,
    ) -> Result<bool, StoreError> {
        let mut state = self.state.lock().await;
        Ok(
            match state
                .links
                .iter_mut()
                .find(|l| l.user_id == user && &l.account_number == number)
            {
                Some(link) => {
                    link.label = label;
                    true
                }
                None => false,
            },
        )
    }

    async fn unlink(&self, user: UserId, number: &AccountNumber) -> Result<bool, StoreError> {
        let mut state = self.state.lock().await;
        let before = state.links.len();
        state
            .links
            .retain(|l| !(l.user_id == user && &l.account_number == number));
        Ok(state.links.len() < before)
    }
}
