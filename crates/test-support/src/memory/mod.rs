//! In-memory fakes of every store port: one [`InMemoryStore`] holding all the tables behind
//! one `tokio::sync::Mutex`, so that every port method is atomic as the contract asks. The
//! fake enforces what the databases' constraints enforce (unique phone and e-mail, one live
//! reading per meter and period, the foreign keys, the cascades on deleting a user), so a use case
//! tested against it meets the same refusals as in production.

mod accounts;
mod attempts;
mod codes;
mod health;
mod housekeeping;
mod idempotency;
mod meters;
mod notices;
mod outbox;
mod payments;
mod readings;
mod registry;
mod sessions;
mod users;
mod visits;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use tokio::sync::Mutex;
use vodokanal_app::StoreError;
use vodokanal_app::idempotency::{Answer, ClaimToken, IdempotencyRecordKey, StoredResponse};
use vodokanal_app::ports::{Limit, LimitState, NewSms, OutboxEntry, SmsState};
use vodokanal_domain::{
    Account, AccountNumber, Balance, CodePurpose, Label, LinkedAccount, Meter, MeterNumber,
    Payment, PendingCode, Period, Phone, Reading, Session, User, UserId, VisitRequest,
};

use crate::Stores;

#[derive(Debug, Clone)]
struct AccountRow {
    address: String,
    balance: Balance,
    balance_as_of: NaiveDate,
}

#[derive(Debug, Clone)]
struct MeterRow {
    account_number: AccountNumber,
    meter: Meter,
}

#[derive(Debug, Clone)]
struct LinkRow {
    user_id: UserId,
    account_number: AccountNumber,
    label: Option<Label>,
    linked_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
struct IdempotencyRow {
    fingerprint: [u8; 32],
    created_at: DateTime<Utc>,
    token: ClaimToken,
    response: Option<StoredResponse>,
}

type IdempotencyKeyParts = (String, String, String);

fn key_parts(key: &IdempotencyRecordKey) -> IdempotencyKeyParts {
    (key.caller.clone(), key.endpoint.clone(), key.key.clone())
}

#[derive(Debug, Default)]
struct State {
    users: Vec<User>,
    sessions: HashMap<[u8; 32], Session>,
    codes: HashMap<(String, &'static str), PendingCode>,
    accounts: BTreeMap<AccountNumber, AccountRow>,
    meters: BTreeMap<MeterNumber, MeterRow>,
    /// In the order they were linked.
    links: Vec<LinkRow>,
    /// In the order they were first stored.
    readings: Vec<Reading>,
    payments: Vec<Payment>,
    visits: Vec<VisitRequest>,
    idempotency: HashMap<IdempotencyKeyParts, IdempotencyRow>,
    attempts: Vec<(String, DateTime<Utc>)>,
    /// The SMS outbox, in the order queued; ids count from 1.
    outbox: Vec<OutboxEntry>,
    /// The last outbox id given.
    outbox_id: i64,
    /// Notice preferences, push subscriptions, e-mail verifications, notices and deliveries.
    notice_tables: notices::NoticeTables,
}

fn foreign_key(what: &str) -> StoreError {
    StoreError::Corrupt(format!("foreign key violated: {what}"))
}

impl State {
    /// `ClaimLost` unless the answer's request still holds its claim, unanswered.
    fn check_answer(&self, answer: Option<&Answer>) -> Result<(), StoreError> {
        let Some(answer) = answer else { return Ok(()) };
        match self.idempotency.get(&key_parts(&answer.claim.record)) {
            Some(row) if row.token == answer.claim.token && row.response.is_none() => Ok(()),
            _ => Err(StoreError::ClaimLost),
        }
    }

    /// Stores an answer [`State::check_answer`] passed.
    fn put_answer(&mut self, answer: Option<&Answer>) {
        if let Some(answer) = answer
            && let Some(row) = self.idempotency.get_mut(&key_parts(&answer.claim.record))
        {
            row.response = Some(answer.response.clone());
        }
    }

    fn user_exists(&self, id: UserId) -> bool {
        self.users.iter().any(|u| u.id == id)
    }

    fn account(&self, number: &AccountNumber) -> Option<Account> {
        let row = self.accounts.get(number)?;
        Some(Account {
            number: number.clone(),
            address: row.address.clone(),
            balance: row.balance,
            balance_as_of: row.balance_as_of,
            meters: self
                .meters
                .values()
                .filter(|m| &m.account_number == number)
                .map(|m| m.meter.clone())
                .collect(),
        })
    }

    fn linked_account(&self, link: &LinkRow) -> Option<LinkedAccount> {
        Some(LinkedAccount {
            account: self.account(&link.account_number)?,
            label: link.label.clone(),
            linked_at: link.linked_at,
        })
    }

    fn check_reading(&self, reading: &Reading) -> Result<(), StoreError> {
        if !self.meters.contains_key(&reading.meter_number) {
            return Err(foreign_key("readings.meter_number"));
        }
        if let Some(user) = reading.user_id
            && !self.user_exists(user)
        {
            return Err(foreign_key("readings.user_id"));
        }
        Ok(())
    }

    /// The live (not voided) reading of the meter and period.
    fn live_reading(&mut self, meter: &MeterNumber, period: Period) -> Option<&mut Reading> {
        self.readings
            .iter_mut()
            .find(|r| &r.meter_number == meter && r.period == period && r.voided.is_none())
    }

    /// Replaces the live reading of the meter and period, or adds it.
    fn put_reading(&mut self, reading: Reading) {
        match self.live_reading(&reading.meter_number, reading.period) {
            Some(existing) => *existing = reading,
            None => self.readings.push(reading),
        }
    }

    fn queue(&mut self, message: NewSms) {
        self.outbox_id += 1;
        self.outbox.push(OutboxEntry {
            id: self.outbox_id,
            phone: message.phone,
            text: message.text,
            purpose: message.purpose,
            client_ip: message.client_ip,
            state: SmsState::Pending,
            attempts: 0,
            created_at: message.created_at,
            next_attempt_at: message.created_at,
            expires_at: message.expires_at,
            last_error: None,
            sent_at: None,
        });
    }

    fn count_attempts(&self, key: &str, limit: Limit, now: DateTime<Utc>) -> LimitState {
        let since = now - limit.window;
        let counted: Vec<DateTime<Utc>> = self
            .attempts
            .iter()
            .filter(|(k, at)| k == key && *at > since)
            .map(|(_, at)| *at)
            .collect();
        if u32::try_from(counted.len()).unwrap_or(u32::MAX) < limit.max {
            return LimitState::Allowed;
        }
        let oldest = counted.into_iter().min().unwrap_or(now);
        LimitState::Exceeded {
            retry_after: oldest + limit.window - now,
        }
    }
}

/// Every store port in memory. Clones share the same data.
#[derive(Debug, Clone, Default)]
pub struct InMemoryStore {
    state: Arc<Mutex<State>>,
}

impl InMemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// This store as the bundle of ports.
    pub fn stores(&self) -> Stores {
        Stores {
            users: Arc::new(self.clone()),
            sessions: Arc::new(self.clone()),
            codes: Arc::new(self.clone()),
            accounts: Arc::new(self.clone()),
            meters: Arc::new(self.clone()),
            readings: Arc::new(self.clone()),
            payments: Arc::new(self.clone()),
            visits: Arc::new(self.clone()),
            registry: Arc::new(self.clone()),
            idempotency: Arc::new(self.clone()),
            attempts: Arc::new(self.clone()),
            outbox: Arc::new(self.clone()),
            health: Arc::new(self.clone()),
            housekeeping: Arc::new(self.clone()),
            notices: Arc::new(self.clone()),
            notice_settings: Arc::new(self.clone()),
        }
    }
}

/// A fresh, empty in-memory store as the bundle of ports.
pub fn in_memory_stores() -> Stores {
    InMemoryStore::new().stores()
}

fn code_key(phone: &Phone, purpose: CodePurpose) -> (String, &'static str) {
    (phone.as_str().to_owned(), purpose.code())
}
