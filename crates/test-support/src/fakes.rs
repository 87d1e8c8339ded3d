//! Fakes of the machine and the outside providers: a stopped clock, counting randomness, a
//! plain-text hasher, an SMS gateway, a mail sender and a push sender that keep what they
//! send, a payment provider that reports success, and a switchable database ping.

use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use vodokanal_app::StoreError;
use vodokanal_app::ports::{
    Clock, CreatedPayment, HashError, Mail, MailError, MailSender, Notification, NotificationError,
    PasswordHasher, PaymentProvider, PaymentRequest, ProviderError, ProviderReport, PushError,
    PushMessage, PushSender, Random, SmsError, SmsGateway, StoreHealth, Verification,
};
use vodokanal_domain::PushSubscription;
use vodokanal_domain::payment::{Outcome, ReceiptContact};
use vodokanal_domain::{LoginPassword, MobilePhone, Money, OneTimeCode, Password, PasswordHash};

use crate::builders::now;

/// A lock that a panicked test left behind is still read: the fakes keep plain records.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A clock stopped at its instant.
#[derive(Debug)]
pub struct FixedClock(pub DateTime<Utc>);

impl Default for FixedClock {
    /// Stopped at [`now`].
    fn default() -> Self {
        Self(now())
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}

/// Ids and tokens from a counter; the code is always 123456.
#[derive(Debug)]
pub struct CountingRandom(AtomicU8);

impl Default for CountingRandom {
    fn default() -> Self {
        Self(AtomicU8::new(1))
    }
}

impl Random for CountingRandom {
    fn one_time_code(&self) -> OneTimeCode {
        OneTimeCode::from_number(123_456)
    }
    fn token_bytes(&self) -> [u8; 32] {
        [self.0.fetch_add(1, Ordering::SeqCst); 32]
    }
    fn id_bytes(&self) -> [u8; 16] {
        [self.0.fetch_add(1, Ordering::SeqCst); 16]
    }
}

/// A hasher that keeps the password in clear behind a prefix: fast, and enough to tell right
/// from wrong.
#[derive(Debug)]
pub struct PlainHasher;

#[async_trait]
impl PasswordHasher for PlainHasher {
    async fn hash(&self, password: &Password) -> Result<PasswordHash, HashError> {
        Ok(PasswordHash::from_phc(format!(
            "plain:{}",
            password.expose()
        )))
    }
    async fn verify(
        &self,
        password: &LoginPassword,
        hash: &PasswordHash,
    ) -> Result<Verification, HashError> {
        if hash.as_phc() == format!("plain:{}", password.expose()) {
            Ok(Verification::Valid {
                needs_rehash: false,
            })
        } else {
            Ok(Verification::Invalid)
        }
    }
    async fn verify_dummy(&self, _password: &LoginPassword) -> Result<(), HashError> {
        Ok(())
    }
}

/// An SMS gateway that keeps every SMS: (phone, text), in the order sent.
#[derive(Debug, Default)]
pub struct Outbox(pub Mutex<Vec<(String, String)>>);

#[async_trait]
impl SmsGateway for Outbox {
    async fn send(
        &self,
        to: &MobilePhone,
        text: &str,
        _client_ip: Option<IpAddr>,
    ) -> Result<(), SmsError> {
        lock(&self.0).push((to.phone().to_string(), text.to_owned()));
        Ok(())
    }
}

/// A mail sender that keeps every mail, in the order sent.
#[derive(Debug, Default)]
pub struct Mailbox(pub Mutex<Vec<Mail>>);

impl Mailbox {
    pub fn mails(&self) -> Vec<Mail> {
        lock(&self.0).clone()
    }
}

#[async_trait]
impl MailSender for Mailbox {
    async fn send(&self, mail: &Mail) -> Result<(), MailError> {
        lock(&self.0).push(mail.clone());
        Ok(())
    }
}

/// A push sender that keeps every message with its endpoint; an endpoint ending in `/gone`
/// is gone (410).
#[derive(Debug, Default)]
pub struct PushInbox(pub Mutex<Vec<(String, PushMessage)>>);

impl PushInbox {
    /// The VAPID key it shows (the RFC 8292 example's).
    pub const KEY: &'static str =
        "BA1Hxzyi1RUM1b5wjxsn7nGxAszw2u61m164i3MrAIxHF6YK5h4SDYic-dRuU_RCPCfA5aq9ojSwk5Y2EmClBPs";

    pub fn messages(&self) -> Vec<(String, PushMessage)> {
        lock(&self.0).clone()
    }
}

#[async_trait]
impl PushSender for PushInbox {
    fn public_key(&self) -> String {
        Self::KEY.to_owned()
    }

    async fn send(&self, to: &PushSubscription, message: &PushMessage) -> Result<(), PushError> {
        if to.endpoint().ends_with("/gone") {
            return Err(PushError::Gone);
        }
        lock(&self.0).push((to.endpoint().to_owned(), message.clone()));
        Ok(())
    }
}

/// The sandbox provider: a notification's body is the provider's payment id, `forged` is
/// untrusted, `refund` is irrelevant; every payment reports success at [`now`].
#[derive(Debug, Default)]
pub struct FakeProvider {
    /// When set, creating a payment fails as unavailable.
    pub down: AtomicBool,
    /// The provider's id and the amount of each payment created, in order.
    pub created: Mutex<Vec<(String, Money)>>,
    /// The receipt contact of each payment asked for, in order.
    pub receipt_contacts: Mutex<Vec<Option<ReceiptContact>>>,
}

#[async_trait]
impl PaymentProvider for FakeProvider {
    fn name(&self) -> &'static str {
        "sandbox"
    }
    async fn create(&self, request: &PaymentRequest) -> Result<CreatedPayment, ProviderError> {
        lock(&self.receipt_contacts).push(request.receipt_contact.clone());
        if self.down.load(Ordering::SeqCst) {
            return Err(ProviderError::Unavailable("down".into()));
        }
        let id = format!("sb-{}", request.payment_id);
        lock(&self.created).push((id.clone(), request.amount));
        Ok(CreatedPayment {
            provider_payment_id: id,
            confirmation_url: format!("http://127.0.0.1:8080/sandbox/pay/{}", request.payment_id),
        })
    }
    async fn report(&self, provider_payment_id: &str) -> Result<ProviderReport, ProviderError> {
        let created = lock(&self.created);
        let (_, amount) = created
            .iter()
            .find(|(id, _)| id == provider_payment_id)
            .ok_or(ProviderError::UnknownPayment)?;
        Ok(ProviderReport {
            outcome: Some(Outcome::Succeeded { paid_at: now() }),
            amount: *amount,
        })
    }
    fn read_notification(&self, notification: &Notification) -> Result<String, NotificationError> {
        match String::from_utf8_lossy(&notification.body).as_ref() {
            "forged" => Err(NotificationError::Untrusted("bad signature".into())),
            "refund" => Err(NotificationError::Irrelevant),
            "" => Err(NotificationError::Malformed("empty".into())),
            id => Ok(id.to_owned()),
        }
    }
}

/// The database's ping, switchable.
#[derive(Debug, Default)]
pub struct Health {
    pub down: AtomicBool,
}

#[async_trait]
impl StoreHealth for Health {
    async fn ping(&self) -> Result<(), StoreError> {
        if self.down.load(Ordering::SeqCst) {
            Err(StoreError::Unavailable("no answer".into()))
        } else {
            Ok(())
        }
    }
}
