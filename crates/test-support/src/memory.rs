//! In-memory fakes of every store port: one [`InMemoryStore`] holding all the tables behind
//! one `tokio::sync::Mutex`, so that every port method is atomic as the contract asks. The
//! fake enforces what the databases' constraints enforce (unique phone and e-mail, one live
//! reading per meter and period, the foreign keys, the cascades on deleting a user), so a use case
//! tested against it meets the same refusals as in production.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use futures::stream::{self, BoxStream, StreamExt};
use tokio::sync::Mutex;
use vodokanal_app::StoreError;
use vodokanal_app::idempotency::{
    Answer, Caller, ClaimToken, Claimed, IdempotencyRecordKey, StoredResponse,
};
use vodokanal_app::ports::{
    AccountRepository, AttemptCounter, Claim, ClaimCutoffs, CodeRepository, CreateUserError,
    Housekeeping, IdempotencyStore, Limit, LimitState, LinkError, LinkNotice, LocatedMeter,
    MeterRepository, NewSms, OutboxEntry, PaymentCursor, PaymentRepository, PurgeCutoffs, Purged,
    ReadingRepository, RegistryStore, Saved, SessionRepository, SmsOutbox, SmsOutcome, SmsPurpose,
    SmsState, UpsertCounts, UserRepository, VisitRequestRepository,
};
use vodokanal_domain::payment::Outcome;
use vodokanal_domain::{
    Account, AccountNumber, Balance, CodePurpose, Email, Label, LinkedAccount, Meter, MeterNumber,
    Money, PasswordHash, Payment, PaymentId, PaymentStatus, PendingCode, Period, Phone, Reading,
    ReadingId, ReadingSource, RegistryRecord, Session, Settlement, TokenDigest, User, UserId,
    VisitRequest, VisitStatus, Voided,
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
        }
    }
}

/// A fresh, empty in-memory store as the bundle of ports.
pub fn in_memory_stores() -> Stores {
    InMemoryStore::new().stores()
}

#[async_trait]
impl UserRepository for InMemoryStore {
    async fn create(&self, user: &User) -> Result<(), CreateUserError> {
        let mut state = self.state.lock().await;
        if state.users.iter().any(|u| u.phone == user.phone) {
            return Err(CreateUserError::PhoneTaken);
        }
        if state.users.iter().any(|u| u.email == user.email) {
            return Err(CreateUserError::EmailTaken);
        }
        if state.user_exists(user.id) {
            return Err(StoreError::Corrupt("duplicate user id".into()).into());
        }
        state.users.push(user.clone());
        Ok(())
    }

    async fn by_id(&self, id: UserId) -> Result<Option<User>, StoreError> {
        let state = self.state.lock().await;
        Ok(state.users.iter().find(|u| u.id == id).cloned())
    }

    async fn by_phone(&self, phone: &Phone) -> Result<Option<User>, StoreError> {
        let state = self.state.lock().await;
        Ok(state.users.iter().find(|u| &u.phone == phone).cloned())
    }

    async fn by_email(&self, email: &Email) -> Result<Option<User>, StoreError> {
        let state = self.state.lock().await;
        Ok(state.users.iter().find(|u| &u.email == email).cloned())
    }

    async fn set_password_hash(&self, id: UserId, hash: &PasswordHash) -> Result<(), StoreError> {
        let mut state = self.state.lock().await;
        if let Some(user) = state.users.iter_mut().find(|u| u.id == id) {
            user.password_hash = hash.clone();
        }
        Ok(())
    }

    async fn replace_password(
        &self,
        id: UserId,
        hash: &PasswordHash,
        keep: Option<TokenDigest>,
    ) -> Result<(), StoreError> {
        let mut state = self.state.lock().await;
        if let Some(user) = state.users.iter_mut().find(|u| u.id == id) {
            user.password_hash = hash.clone();
        }
        state
            .sessions
            .retain(|digest, s| s.user_id != id || keep.is_some_and(|k| &k.0 == digest));
        Ok(())
    }

    async fn delete(&self, id: UserId) -> Result<(), StoreError> {
        let mut state = self.state.lock().await;
        state.users.retain(|u| u.id != id);
        state.sessions.retain(|_, s| s.user_id != id);
        state.links.retain(|l| l.user_id != id);
        for reading in &mut state.readings {
            if reading.user_id == Some(id) {
                reading.user_id = None;
            }
        }
        for payment in &mut state.payments {
            if payment.user_id == Some(id) {
                payment.user_id = None;
                payment.receipt_contact = None;
            }
        }
        let caller = Caller::User(id).to_string();
        state.idempotency.retain(|(c, _, _), _| *c != caller);
        for visit in &mut state.visits {
            if visit.user_id == Some(id) {
                visit.user_id = None;
            }
        }
        Ok(())
    }
}

#[async_trait]
impl SessionRepository for InMemoryStore {
    async fn create(&self, session: &Session) -> Result<(), StoreError> {
        let mut state = self.state.lock().await;
        if !state.user_exists(session.user_id) {
            return Err(foreign_key("sessions.user_id"));
        }
        if state.sessions.contains_key(&session.digest.0) {
            return Err(StoreError::Corrupt("duplicate session digest".into()));
        }
        state.sessions.insert(session.digest.0, session.clone());
        Ok(())
    }

    async fn create_if_password(
        &self,
        session: &Session,
        verified: &PasswordHash,
    ) -> Result<bool, StoreError> {
        let mut state = self.state.lock().await;
        let current = state
            .users
            .iter()
            .find(|user| user.id == session.user_id)
            .map(|user| &user.password_hash);
        if current != Some(verified) {
            return Ok(false);
        }
        if state.sessions.contains_key(&session.digest.0) {
            return Err(StoreError::Corrupt("duplicate session digest".into()));
        }
        state.sessions.insert(session.digest.0, session.clone());
        Ok(true)
    }

    async fn find(&self, digest: &TokenDigest) -> Result<Option<Session>, StoreError> {
        let state = self.state.lock().await;
        Ok(state.sessions.get(&digest.0).cloned())
    }

    async fn revoke(&self, digest: &TokenDigest) -> Result<(), StoreError> {
        self.state.lock().await.sessions.remove(&digest.0);
        Ok(())
    }
}

fn code_key(phone: &Phone, purpose: CodePurpose) -> (String, &'static str) {
    (phone.as_str().to_owned(), purpose.code())
}

#[async_trait]
impl CodeRepository for InMemoryStore {
    async fn put(&self, code: &PendingCode) -> Result<(), StoreError> {
        let mut state = self.state.lock().await;
        state
            .codes
            .insert(code_key(&code.phone, code.purpose), code.clone());
        Ok(())
    }

    async fn find(
        &self,
        phone: &Phone,
        purpose: CodePurpose,
    ) -> Result<Option<PendingCode>, StoreError> {
        let state = self.state.lock().await;
        Ok(state.codes.get(&code_key(phone, purpose)).cloned())
    }

    async fn record_try(&self, phone: &Phone, purpose: CodePurpose) -> Result<u32, StoreError> {
        let mut state = self.state.lock().await;
        Ok(match state.codes.get_mut(&code_key(phone, purpose)) {
            Some(code) => {
                code.failed_attempts += 1;
                code.failed_attempts
            }
            None => 0,
        })
    }

    async fn consume(&self, phone: &Phone, purpose: CodePurpose) -> Result<bool, StoreError> {
        let mut state = self.state.lock().await;
        Ok(state.codes.remove(&code_key(phone, purpose)).is_some())
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

#[async_trait]
impl MeterRepository for InMemoryStore {
    async fn find(&self, number: &MeterNumber) -> Result<Option<LocatedMeter>, StoreError> {
        let state = self.state.lock().await;
        Ok(state.meters.get(number).map(|row| LocatedMeter {
            account_number: row.account_number.clone(),
            meter: row.meter.clone(),
        }))
    }
}

/// Newest first: by submission time, then by id.
fn newest_first(readings: &mut [Reading]) {
    readings.sort_by(|a, b| {
        b.submitted_at
            .cmp(&a.submitted_at)
            .then_with(|| b.id.cmp(&a.id))
    });
}

#[async_trait]
impl ReadingRepository for InMemoryStore {
    async fn last_before(
        &self,
        meter: &MeterNumber,
        period: Period,
    ) -> Result<Option<Reading>, StoreError> {
        let state = self.state.lock().await;
        Ok(state
            .readings
            .iter()
            .filter(|r| &r.meter_number == meter && r.period < period && r.voided.is_none())
            .max_by_key(|r| r.period)
            .cloned())
    }

    async fn last_for_meter(&self, meter: &MeterNumber) -> Result<Option<Reading>, StoreError> {
        let state = self.state.lock().await;
        Ok(state
            .readings
            .iter()
            .filter(|r| &r.meter_number == meter && r.voided.is_none())
            .max_by_key(|r| r.period)
            .cloned())
    }

    async fn save_all(
        &self,
        readings: &[Reading],
        answer: Option<Answer>,
    ) -> Result<(), StoreError> {
        let mut state = self.state.lock().await;
        // Check everything before changing anything: all or none.
        for reading in readings {
            state.check_reading(reading)?;
        }
        state.check_answer(answer.as_ref())?;
        for reading in readings {
            state.put_reading(reading.clone());
        }
        state.put_answer(answer.as_ref());
        Ok(())
    }

    async fn save(&self, reading: &Reading, answer: Option<Answer>) -> Result<Saved, StoreError> {
        let mut state = self.state.lock().await;
        state.check_reading(reading)?;
        if let Some(existing) = state.live_reading(&reading.meter_number, reading.period)
            && !reading.source.replaces(existing.source)
        {
            return Ok(Saved::NotReplaced);
        }
        state.check_answer(answer.as_ref())?;
        state.put_reading(reading.clone());
        state.put_answer(answer.as_ref());
        Ok(Saved::Stored)
    }

    async fn void(
        &self,
        meter: &MeterNumber,
        period: Period,
        voided: &Voided,
    ) -> Result<Option<Reading>, StoreError> {
        let mut state = self.state.lock().await;
        Ok(state.live_reading(meter, period).map(|reading| {
            reading.voided = Some(voided.clone());
            reading.clone()
        }))
    }

    async fn history(
        &self,
        account: &AccountNumber,
        limit: u32,
        before: Option<DateTime<Utc>>,
    ) -> Result<Vec<Reading>, StoreError> {
        let state = self.state.lock().await;
        let mut found: Vec<Reading> = state
            .readings
            .iter()
            .filter(|r| &r.account_number == account && before.is_none_or(|b| r.submitted_at < b))
            .cloned()
            .collect();
        newest_first(&mut found);
        found.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        Ok(found)
    }

    fn export(&self, period: Period) -> BoxStream<'static, Result<Reading, StoreError>> {
        let state = Arc::clone(&self.state);
        stream::once(async move {
            let state = state.lock().await;
            let mut found: Vec<Reading> = state
                .readings
                .iter()
                .filter(|r| {
                    r.period == period && r.source != ReadingSource::Registry && r.voided.is_none()
                })
                .cloned()
                .collect();
            found.sort_by(|a, b| {
                a.submitted_at
                    .cmp(&b.submitted_at)
                    .then_with(|| a.id.cmp(&b.id))
            });
            stream::iter(found.into_iter().map(Ok))
        })
        .flatten()
        .boxed()
    }
}

#[async_trait]
impl PaymentRepository for InMemoryStore {
    async fn create(&self, payment: &Payment) -> Result<(), StoreError> {
        let mut state = self.state.lock().await;
        if !state.accounts.contains_key(&payment.account_number) {
            return Err(foreign_key("payments.account_number"));
        }
        if let Some(user) = payment.user_id
            && !state.user_exists(user)
        {
            return Err(foreign_key("payments.user_id"));
        }
        if state.payments.iter().any(|p| {
            p.id == payment.id
                || (p.provider == payment.provider
                    && p.provider_payment_id.is_some()
                    && p.provider_payment_id == payment.provider_payment_id)
        }) {
            return Err(StoreError::Corrupt("duplicate payment".into()));
        }
        state.payments.push(payment.clone());
        Ok(())
    }

    async fn find(&self, id: PaymentId) -> Result<Option<Payment>, StoreError> {
        let state = self.state.lock().await;
        Ok(state.payments.iter().find(|p| p.id == id).cloned())
    }

    async fn find_by_provider_id(
        &self,
        provider: &str,
        provider_payment_id: &str,
    ) -> Result<Option<Payment>, StoreError> {
        let state = self.state.lock().await;
        Ok(state
            .payments
            .iter()
            .find(|p| {
                p.provider == provider
                    && p.provider_payment_id.as_deref() == Some(provider_payment_id)
            })
            .cloned())
    }

    async fn attach_provider(
        &self,
        id: PaymentId,
        provider_payment_id: &str,
        confirmation_url: &str,
        answer: Option<Answer>,
    ) -> Result<(), StoreError> {
        let mut state = self.state.lock().await;
        state.check_answer(answer.as_ref())?;
        if let Some(payment) = state.payments.iter_mut().find(|p| p.id == id) {
            payment.provider_payment_id = Some(provider_payment_id.to_owned());
            payment.confirmation_url = Some(confirmation_url.to_owned());
        }
        state.put_answer(answer.as_ref());
        Ok(())
    }

    async fn settle(
        &self,
        id: PaymentId,
        outcome: Outcome,
    ) -> Result<Option<Settlement>, StoreError> {
        let mut state = self.state.lock().await;
        Ok(state
            .payments
            .iter_mut()
            .find(|p| p.id == id)
            .map(|payment| payment.settle(outcome)))
    }

    async fn history(
        &self,
        account: &AccountNumber,
        limit: u32,
    ) -> Result<Vec<Payment>, StoreError> {
        let state = self.state.lock().await;
        let mut found: Vec<Payment> = state
            .payments
            .iter()
            .filter(|p| &p.account_number == account)
            .cloned()
            .collect();
        found.sort_by(|a, b| {
            b.created_at
                .cmp(&a.created_at)
                .then_with(|| b.id.cmp(&a.id))
        });
        found.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        Ok(found)
    }

    async fn succeeded_since(
        &self,
        account: &AccountNumber,
        since: DateTime<Utc>,
    ) -> Result<Vec<Money>, StoreError> {
        let state = self.state.lock().await;
        Ok(state
            .payments
            .iter()
            .filter(|p| {
                &p.account_number == account
                    && p.status == PaymentStatus::Succeeded
                    && p.paid_at.is_some_and(|paid| paid >= since)
            })
            .map(|p| p.amount)
            .collect())
    }

    async fn pending_created_before(
        &self,
        before: DateTime<Utc>,
        after: Option<PaymentCursor>,
        limit: u32,
    ) -> Result<Vec<Payment>, StoreError> {
        let state = self.state.lock().await;
        let after = after.map(|after| (after.created_at, after.id));
        let mut found: Vec<Payment> = state
            .payments
            .iter()
            .filter(|p| p.status == PaymentStatus::Pending && p.created_at < before)
            .filter(|p| after.is_none_or(|after| (p.created_at, p.id) > after))
            .cloned()
            .collect();
        found.sort_by(|a, b| {
            a.created_at
                .cmp(&b.created_at)
                .then_with(|| a.id.cmp(&b.id))
        });
        found.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        Ok(found)
    }

    fn export(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> BoxStream<'static, Result<Payment, StoreError>> {
        let state = Arc::clone(&self.state);
        stream::once(async move {
            let state = state.lock().await;
            let mut found: Vec<Payment> = state
                .payments
                .iter()
                .filter(|p| p.created_at >= from && p.created_at < to)
                .cloned()
                .collect();
            found.sort_by(|a, b| {
                a.created_at
                    .cmp(&b.created_at)
                    .then_with(|| a.id.cmp(&b.id))
            });
            stream::iter(found.into_iter().map(Ok))
        })
        .flatten()
        .boxed()
    }
}

#[async_trait]
impl VisitRequestRepository for InMemoryStore {
    async fn create(
        &self,
        request: &VisitRequest,
        answer: Option<Answer>,
    ) -> Result<(), StoreError> {
        let mut state = self.state.lock().await;
        if !state.accounts.contains_key(&request.account_number) {
            return Err(foreign_key("visit_requests.account_number"));
        }
        if let Some(user) = request.user_id
            && !state.user_exists(user)
        {
            return Err(foreign_key("visit_requests.user_id"));
        }
        if state.visits.iter().any(|v| v.id == request.id) {
            return Err(StoreError::Corrupt("duplicate visit request".into()));
        }
        state.check_answer(answer.as_ref())?;
        state.visits.push(request.clone());
        state.put_answer(answer.as_ref());
        Ok(())
    }

    async fn for_user(&self, user: UserId) -> Result<Vec<VisitRequest>, StoreError> {
        let state = self.state.lock().await;
        let mut found: Vec<VisitRequest> = state
            .visits
            .iter()
            .filter(|v| v.user_id == Some(user))
            .cloned()
            .collect();
        found.sort_by(|a, b| {
            b.created_at
                .cmp(&a.created_at)
                .then_with(|| b.id.cmp(&a.id))
        });
        Ok(found)
    }

    fn export(
        &self,
        status: Option<VisitStatus>,
    ) -> BoxStream<'static, Result<VisitRequest, StoreError>> {
        let state = Arc::clone(&self.state);
        stream::once(async move {
            let state = state.lock().await;
            let mut found: Vec<VisitRequest> = state
                .visits
                .iter()
                .filter(|v| status.is_none_or(|s| v.status == s))
                .cloned()
                .collect();
            found.sort_by(|a, b| {
                a.created_at
                    .cmp(&b.created_at)
                    .then_with(|| a.id.cmp(&b.id))
            });
            stream::iter(found.into_iter().map(Ok))
        })
        .flatten()
        .boxed()
    }
}

/// The `registry` reading a registry row carries, if any.
fn registry_reading(row: &RegistryRecord, id: ReadingId) -> Option<Reading> {
    let meter = row.meter.as_ref()?;
    let (value, date) = meter.last_reading?;
    Some(Reading {
        id,
        account_number: row.account_number.clone(),
        meter_number: meter.number.clone(),
        value,
        previous_value: None,
        consumption: None,
        period: Period::containing(date),
        submitted_at: date.and_time(NaiveTime::MIN).and_utc(),
        source: ReadingSource::Registry,
        warnings: Vec::new(),
        user_id: None,
        submitter: None,
        voided: None,
    })
}

#[async_trait]
impl RegistryStore for InMemoryStore {
    async fn upsert(&self, rows: &[RegistryRecord]) -> Result<UpsertCounts, StoreError> {
        let mut state = self.state.lock().await;
        let mut counts = UpsertCounts::default();
        // "New" means absent before this call, whatever the order of the rows.
        let new_account =
            |state: &State, row: &RegistryRecord| !state.accounts.contains_key(&row.account_number);
        let flags: Vec<bool> = rows
            .iter()
            .map(|row| {
                new_account(&state, row)
                    && row
                        .meter
                        .as_ref()
                        .is_none_or(|m| !state.meters.contains_key(&m.number))
            })
            .collect();
        for (row, inserted) in rows.iter().zip(flags) {
            if inserted {
                counts.inserted += 1;
            } else {
                counts.updated += 1;
            }
            state.accounts.insert(
                row.account_number.clone(),
                AccountRow {
                    address: row.address.clone(),
                    balance: row.balance,
                    balance_as_of: row.balance_as_of,
                },
            );
            let Some(meter) = row.meter.as_ref() else {
                continue;
            };
            state.meters.insert(
                meter.number.clone(),
                MeterRow {
                    account_number: row.account_number.clone(),
                    meter: Meter {
                        number: meter.number.clone(),
                        service: meter.service,
                        verification_due: meter.verification_due,
                    },
                },
            );
            let Some((_, date)) = meter.last_reading else {
                continue;
            };
            let period = Period::containing(date);
            let existing = state.live_reading(&meter.number, period);
            // A subscriber's reading of the same period is never replaced by the registry's.
            if existing
                .as_ref()
                .is_some_and(|r| !ReadingSource::Registry.replaces(r.source))
            {
                continue;
            }
            // The registry's reading keeps its id when the same registry comes again.
            let id = existing.map_or_else(crate::builders::reading_id, |r| r.id);
            if let Some(reading) = registry_reading(row, id) {
                state.put_reading(reading);
            }
        }
        Ok(counts)
    }
}

#[async_trait]
impl IdempotencyStore for InMemoryStore {
    async fn claim(
        &self,
        claim: &Claimed,
        fingerprint: &[u8; 32],
        now: DateTime<Utc>,
        cutoffs: ClaimCutoffs,
    ) -> Result<Claim, StoreError> {
        let mut state = self.state.lock().await;
        let parts = key_parts(&claim.record);
        let fresh = IdempotencyRow {
            fingerprint: *fingerprint,
            created_at: now,
            token: claim.token,
            response: None,
        };
        let Some(existing) = state.idempotency.get_mut(&parts) else {
            state.idempotency.insert(parts, fresh);
            return Ok(Claim::Started);
        };
        if existing.created_at < cutoffs.expired_before {
            *existing = fresh;
            return Ok(Claim::Started);
        }
        if &existing.fingerprint != fingerprint {
            return Ok(Claim::Mismatch);
        }
        Ok(match &existing.response {
            Some(response) => Claim::Completed(response.clone()),
            None if existing.created_at < cutoffs.abandoned_before => {
                *existing = fresh;
                Claim::TakenOver
            }
            None => Claim::InProgress,
        })
    }

    async fn complete(&self, answer: &Answer) -> Result<(), StoreError> {
        let mut state = self.state.lock().await;
        state.check_answer(Some(answer))?;
        state.put_answer(Some(answer));
        Ok(())
    }

    async fn release(&self, claim: &Claimed) -> Result<(), StoreError> {
        let mut state = self.state.lock().await;
        let parts = key_parts(&claim.record);
        if state
            .idempotency
            .get(&parts)
            .is_some_and(|row| row.token == claim.token && row.response.is_none())
        {
            state.idempotency.remove(&parts);
        }
        Ok(())
    }
}

#[async_trait]
impl AttemptCounter for InMemoryStore {
    async fn check(
        &self,
        key: &str,
        limit: Limit,
        now: DateTime<Utc>,
    ) -> Result<LimitState, StoreError> {
        Ok(self.state.lock().await.count_attempts(key, limit, now))
    }

    async fn record(&self, key: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
        self.state.lock().await.attempts.push((key.to_owned(), now));
        Ok(())
    }

    async fn acquire(
        &self,
        key: &str,
        limit: Limit,
        now: DateTime<Utc>,
    ) -> Result<LimitState, StoreError> {
        let mut state = self.state.lock().await;
        let found = state.count_attempts(key, limit, now);
        if found == LimitState::Allowed {
            state.attempts.push((key.to_owned(), now));
        }
        Ok(found)
    }

    async fn release(&self, key: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        let mut state = self.state.lock().await;
        if let Some(found) = state
            .attempts
            .iter()
            .position(|(k, counted)| k == key && *counted == at)
        {
            state.attempts.remove(found);
        }
        Ok(())
    }

    async fn clear(&self, key: &str) -> Result<(), StoreError> {
        self.state.lock().await.attempts.retain(|(k, _)| k != key);
        Ok(())
    }
}

#[async_trait]
impl SmsOutbox for InMemoryStore {
    async fn store_code(
        &self,
        code: &PendingCode,
        message: Option<NewSms>,
    ) -> Result<(), StoreError> {
        let mut state = self.state.lock().await;
        state
            .codes
            .insert(code_key(&code.phone, code.purpose), code.clone());
        if let Some(message) = message {
            state.queue(message);
        }
        Ok(())
    }

    async fn claim(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<OutboxEntry>, StoreError> {
        let mut state = self.state.lock().await;
        let mut due: Vec<&mut OutboxEntry> = state
            .outbox
            .iter_mut()
            .filter(|m| {
                m.state == SmsState::Pending && m.next_attempt_at <= now && m.expires_at > now
            })
            .collect();
        due.sort_by_key(|m| (m.next_attempt_at, m.id));
        Ok(due
            .into_iter()
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
            .map(|m| {
                m.attempts += 1;
                m.next_attempt_at = lease_until;
                m.clone()
            })
            .collect())
    }

    async fn record(&self, id: i64, outcome: &SmsOutcome) -> Result<(), StoreError> {
        let mut state = self.state.lock().await;
        if let Some(m) = state.outbox.iter_mut().find(|m| m.id == id) {
            match outcome {
                SmsOutcome::Sent { at } => {
                    m.state = SmsState::Sent;
                    m.sent_at = Some(*at);
                    m.text = String::new();
                }
                SmsOutcome::Retry { at, error } => {
                    m.next_attempt_at = *at;
                    m.last_error = Some(error.clone());
                }
                SmsOutcome::Failed { error } => {
                    m.state = SmsState::Failed;
                    m.last_error = Some(error.clone());
                    m.text = String::new();
                }
            }
        }
        Ok(())
    }

    async fn expire(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        let mut state = self.state.lock().await;
        let mut expired = 0;
        for m in &mut state.outbox {
            if m.state == SmsState::Pending && m.expires_at <= now {
                m.state = SmsState::Failed;
                m.last_error = Some(EXPIRED.into());
                m.text = String::new();
                expired += 1;
            }
        }
        Ok(expired)
    }

    async fn to_phone(&self, phone: &Phone) -> Result<Vec<OutboxEntry>, StoreError> {
        let state = self.state.lock().await;
        Ok(state
            .outbox
            .iter()
            .filter(|m| &m.phone == phone)
            .cloned()
            .collect())
    }
}

/// What an expired message's `last_error` says.
const EXPIRED: &str = "expired before the gateway took it";

/// Keeps the values `keep` accepts and counts the others, dropped.
fn purge<K, V>(map: &mut HashMap<K, V>, mut keep: impl FnMut(&V) -> bool) -> u64 {
    let before = map.len();
    map.retain(|_, value| keep(value));
    u64::try_from(before - map.len()).unwrap_or(u64::MAX)
}

#[async_trait]
impl Housekeeping for InMemoryStore {
    async fn purge_expired(&self, cutoffs: PurgeCutoffs) -> Result<Purged, StoreError> {
        let mut state = self.state.lock().await;
        let before = state.attempts.len();
        state
            .attempts
            .retain(|(_, at)| *at >= cutoffs.attempts_before);
        let outbox_before = state.outbox.len();
        state
            .outbox
            .retain(|m| m.expires_at >= cutoffs.outbox_before);
        Ok(Purged {
            sessions: purge(&mut state.sessions, |s| {
                s.expires_at >= cutoffs.expired_before
            }),
            codes: purge(&mut state.codes, |c| c.expires_at >= cutoffs.expired_before),
            idempotency_records: purge(&mut state.idempotency, |r| {
                r.created_at >= cutoffs.idempotency_before
            }),
            attempts: u64::try_from(before - state.attempts.len()).unwrap_or(u64::MAX),
            outbox: u64::try_from(outbox_before - state.outbox.len()).unwrap_or(u64::MAX),
        })
    }
}

/// The fake always answers.
#[async_trait]
impl vodokanal_app::ports::StoreHealth for InMemoryStore {
    async fn ping(&self) -> Result<(), StoreError> {
        Ok(())
    }
}
