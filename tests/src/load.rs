//! Mixed write load against a running server: N concurrent clients, each a subscriber with an
//! account and meters of its own, submitting cabinet readings, anonymous readings, cabinet and
//! public payments and visit requests (about half under an `Idempotency-Key`) until stopped,
//! and recording every request sent with its key, body and outcome ([`Sent`]).
//!
//! Every write can be told apart from every other in the database: each meter is read once (a
//! second reading of a meter in a period would replace the first), each amount is paid once,
//! each visit request's notes carry its number. Anonymous writes come from addresses of their
//! own (`X-Forwarded-For` from a trusted 127.0.0.1, see [`SETTINGS`]), so that the per-network
//! limits of `docs/security.md` refuse none of them.
//!
//! The server may die and come back on another port ([`Target`]): a refused connection (nothing
//! reached the server) is tried again with the same request; an exchange that breaks after the
//! request went out is recorded as [`Outcome::Lost`], and the client goes on with a new write.
//!
//! ```text
//! deployment.run_args(&["import-registry", csv], &[]); // csv: Plan::registry_csv
//! let server = deployment.start_with(load::SETTINGS).await;
//! let fleet = Arc::new(Fleet::prepare(&server, &plan).await);
//! let sent = Load::run_for(&fleet, &Target::new(server.port()), seed, duration).await;
//! ```

use std::collections::HashSet;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};
use tokio::task::JoinSet;

use crate::http::{NoAnswer, Request, Response};
use crate::{Server, e164};

/// The settings a server under this load needs: 127.0.0.1 is a trusted proxy, so that each
/// anonymous write may come from an address of its own.
pub const SETTINGS: &[(&str, &str)] = &[("VODOKANAL_TRUSTED_PROXIES", "127.0.0.1")];

/// How long a client waits before it tries a refused connection again.
const REFUSED_PAUSE: Duration = Duration::from_millis(25);

/// How long a client waits after an exchange that broke.
const LOST_PAUSE: Duration = Duration::from_millis(10);

/// The most a client waits for its server to come back (connections refused) before it stops.
const REFUSED_TIMEOUT: Duration = Duration::from_secs(30);

/// A small seeded pseudo-random generator (`SplitMix64`): the same seed, the same choices.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// A seed from the clock, for a run that does not choose one.
    pub fn clock_seed() -> u64 {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        now.as_secs() ^ u64::from(now.subsec_nanos()).rotate_left(32)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// A duration between `from` and `to`, to the millisecond.
    pub fn between(&mut self, from: Duration, to: Duration) -> Duration {
        let span = u64::try_from(to.saturating_sub(from).as_millis()).unwrap_or(u64::MAX);
        from + Duration::from_millis(self.below(span.saturating_add(1)))
    }
}

/// How big the world of the load is: its subscribers, and the meters each may read.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    /// Concurrent clients, one subscriber each.
    pub clients: usize,
    /// Meters on each subscriber's account, for cabinet readings, and as many on an account
    /// of each client's that nobody links, for anonymous readings: a client that has read all
    /// of its meters sends payments and visit requests only.
    pub meters_per_client: usize,
}

impl Plan {
    /// The account client `client` links.
    pub fn account(client: usize) -> String {
        (710_000 + client).to_string()
    }

    /// The account nobody links whose meters client `client` reads anonymously, and to which
    /// it pays without registration.
    pub fn public_account(client: usize) -> String {
        (720_000 + client).to_string()
    }

    /// The meters of an account: `L710003-0000`, `L710003-0001`, ...
    pub fn meters(&self, account: &str) -> Vec<String> {
        (0..self.meters_per_client)
            .map(|meter| format!("L{account}-{meter:04}"))
            .collect()
    }

    /// The registry to import before the server starts: every account with its meters, no
    /// meter with a last reading (so that any value is accepted and no anonymous consumption
    /// is capped).
    pub fn registry_csv(&self) -> String {
        let mut csv = String::from(
            "account_number;address;debt;balance_as_of;meter_number;meter_service;\
             verification_due;last_reading;last_reading_date\n",
        );
        for client in 0..self.clients {
            for account in [Self::account(client), Self::public_account(client)] {
                for meter in self.meters(&account) {
                    let _ = writeln!(
                        csv,
                        "{account};г. Иваново, ул. Нагрузочная, д. {client};1000.00;2026-10-31;\
                         {meter};cold_water;;;"
                    );
                }
            }
        }
        csv
    }
}

/// A subscriber of the load: a phone (E.164), a session, an account linked, its meters.
#[derive(Debug, Clone)]
pub struct Subscriber {
    pub phone: String,
    pub token: String,
    pub account: String,
    pub meters: Vec<String>,
    /// The meters of [`Plan::public_account`] of the same client.
    pub anonymous_meters: Vec<String>,
}

/// The subscribers of a load and the day their visits are booked for.
#[derive(Debug)]
pub struct Fleet {
    pub plan: Plan,
    pub subscribers: Vec<Subscriber>,
    /// `YYYY-MM-DD`: a weekday at least two days ahead, when the contact center works.
    pub visit_date: String,
}

impl Fleet {
    /// Registers a subscriber per client (the codes from the SMS outbox) and links its account;
    /// `server` runs with [`SETTINGS`] over the registry of `plan`. Fails the test when a step
    /// fails.
    pub async fn prepare(server: &Server, plan: &Plan) -> Self {
        let phones: Vec<String> = (0..plan.clients)
            .map(|client| format!("+7916555{client:04}"))
            .collect();
        for (client, phone) in phones.iter().enumerate() {
            server
                .request("POST", "/api/v1/auth/registration")
                .header("X-Forwarded-For", &setup_address(client))
                .json(&json!({
                    "phone": phone,
                    "email": format!("load{client}@example.ru"),
                    "consent_personal_data": true,
                }))
                .send()
                .await
                .expect(202);
        }
        let mut confirms = JoinSet::new();
        for (client, phone) in phones.iter().enumerate() {
            let code = server.last_code(phone).await;
            let request = server
                .request("POST", "/api/v1/auth/registration/confirm")
                .json(&json!({
                    "phone": phone,
                    "code": code,
                    "password": format!("Нагрузка-{client}-чистая-вода"),
                }));
            confirms.spawn(async move { (client, request.send().await) });
        }
        let mut tokens = vec![String::new(); plan.clients];
        while let Some(confirmed) = confirms.join_next().await {
            let (client, response) = confirmed.unwrap();
            response.expect(201).json()["token"]
                .as_str()
                .unwrap()
                .clone_into(&mut tokens[client]);
        }
        let mut links = JoinSet::new();
        for (client, token) in tokens.iter().enumerate() {
            let request = server
                .request("POST", "/api/v1/accounts")
                .bearer(Some(token))
                .json(&json!({"account_number": Plan::account(client), "meter_last4": "0000"}));
            links.spawn(async move { request.send().await.expect(201) });
        }
        while let Some(linked) = links.join_next().await {
            linked.unwrap();
        }
        let subscribers = phones
            .into_iter()
            .zip(tokens)
            .enumerate()
            .map(|(client, (phone, token))| Subscriber {
                phone,
                token,
                account: Plan::account(client),
                meters: plan.meters(&Plan::account(client)),
                anonymous_meters: plan.meters(&Plan::public_account(client)),
            })
            .collect();
        Self {
            plan: *plan,
            subscribers,
            visit_date: weekday_ahead(),
        }
    }

    /// A visit request of `client`'s subscriber, its notes naming `id`: a write that needs no
    /// meter of its own.
    pub fn visit_request(&self, client: usize, id: u64, key: Option<String>) -> Write {
        let subscriber = &self.subscribers[client];
        let time = format!(
            "{:02}:{:02}",
            9 + id % 8,
            if id.is_multiple_of(2) { 0 } else { 30 }
        );
        let (kind, meter) = if id.is_multiple_of(3) {
            ("meter_verification", Some(subscriber.meters[0].clone()))
        } else {
            ("meter_acceptance", None)
        };
        let notes = format!("Нагрузка, запрос {id}");
        let mut body = json!({
            "kind": kind,
            "account_number": subscriber.account,
            "phone": subscriber.phone,
            "visit_date": self.visit_date,
            "visit_time": time,
            "notes": notes,
        });
        if let Some(meter) = &meter {
            body["meter_number"] = json!(meter);
        }
        Write {
            id,
            client,
            what: What::Visit {
                kind: kind.to_owned(),
                account: subscriber.account.clone(),
                meter,
                phone: subscriber.phone.clone(),
                date: self.visit_date.clone(),
                time,
                notes,
            },
            path: "/api/v1/visit-requests".to_owned(),
            token: Some(subscriber.token.clone()),
            forwarded_for: None,
            key,
            body,
        }
    }
}

/// A client's address for its setup requests, so that registrations of many clients do not
/// meet the code limit per network.
fn setup_address(client: usize) -> String {
    format!("10.250.{}.{}", client / 256, client % 256)
}

/// An address of its own for write `id`.
fn write_address(id: u64) -> String {
    format!(
        "10.{}.{}.{}",
        (id >> 16) & 0xFF,
        (id >> 8) & 0xFF,
        id & 0xFF
    )
}

/// The first Monday to Friday at least two days after today in Moscow (UTC+3 all year), so that
/// "today" may turn over during a run.
fn weekday_ahead() -> String {
    let seconds = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let today = i64::try_from((seconds + 3 * 3600) / 86_400).unwrap();
    // 1970-01-01 was a Thursday: (days + 3) % 7 is 0 on Mondays.
    let day = (today + 2..today + 9)
        .find(|day| (day + 3).rem_euclid(7) < 5)
        .unwrap();
    let (year, month, date) = civil(day);
    format!("{year:04}-{month:02}-{date:02}")
}

/// The date `days` after 1970-01-01 (H. Hinnant's `civil_from_days`).
fn civil(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// What a write asks the server to store, to find it in the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum What {
    /// `POST /accounts/{account}/readings`: each meter with its value in litres.
    CabinetReadings {
        account: String,
        readings: Vec<(String, u64)>,
    },
    /// `POST /public/readings`; `phone` in E.164.
    AnonymousReading {
        account: String,
        meter: String,
        litres: u64,
        full_name: String,
        phone: String,
    },
    /// `POST /accounts/{account}/payments`.
    CabinetPayment {
        account: String,
        purpose: String,
        kopecks: u64,
    },
    /// `POST /public/payments`.
    PublicPayment {
        account: String,
        purpose: String,
        kopecks: u64,
    },
    /// `POST /visit-requests`; `phone` in E.164.
    Visit {
        kind: String,
        account: String,
        meter: Option<String>,
        phone: String,
        date: String,
        time: String,
        notes: String,
    },
}

/// One write request, as sent (and as sent again under its key).
#[derive(Debug, Clone)]
pub struct Write {
    /// Unique in a load; it makes the amount, the notes and the key.
    pub id: u64,
    /// The client (and subscriber) that sent it.
    pub client: usize,
    pub what: What,
    /// From the server's root: `/api/v1/...`.
    pub path: String,
    pub token: Option<String>,
    pub forwarded_for: Option<String>,
    pub key: Option<String>,
    pub body: Value,
}

impl Write {
    /// The request to a server at `addr`.
    pub fn request(&self, addr: SocketAddr) -> Request {
        let mut request = Request::new(addr, "POST", &self.path).bearer(self.token.as_deref());
        if let Some(address) = &self.forwarded_for {
            request = request.header("X-Forwarded-For", address);
        }
        if let Some(key) = &self.key {
            request = request.idempotency_key(key);
        }
        request.json(&self.body)
    }
}

/// How a sent write ended.
#[derive(Debug, Clone)]
pub enum Outcome {
    Answered(Response),
    /// The request went out (whole or in part) and no whole answer came back: the server may
    /// or may not have stored it.
    Lost,
}

/// A write that reached a server, and how it ended.
#[derive(Debug, Clone)]
pub struct Sent {
    pub write: Write,
    pub outcome: Outcome,
    /// When its last exchange began and ended.
    pub started: Instant,
    pub ended: Instant,
}

impl Sent {
    /// The answer, if one came.
    pub fn response(&self) -> Option<&Response> {
        match &self.outcome {
            Outcome::Answered(response) => Some(response),
            Outcome::Lost => None,
        }
    }
}

/// Where the server listens now: the load follows a server restarted on another port.
#[derive(Debug, Clone)]
pub struct Target(Arc<Mutex<SocketAddr>>);

impl Target {
    /// A server on 127.0.0.1 at `port`.
    pub fn new(port: u16) -> Self {
        Self(Arc::new(Mutex::new(SocketAddr::from((
            [127, 0, 0, 1],
            port,
        )))))
    }

    pub fn set(&self, port: u16) {
        *self.0.lock().unwrap() = SocketAddr::from(([127, 0, 0, 1], port));
    }

    pub fn get(&self) -> SocketAddr {
        *self.0.lock().unwrap()
    }
}

/// The mix, in parts of [`MIX_TOTAL`]: cabinet readings, anonymous readings, cabinet payments,
/// public payments, visit requests.
const MIX: [u64; 5] = [25, 20, 20, 15, 20];
const MIX_TOTAL: u64 = 100;

/// The names anonymous readings are given with.
const NAMES: [&str; 4] = [
    "Иванов Иван Иванович",
    "Петрова Анна Сергеевна",
    "Сидоров Пётр",
    "Кузнецова-Белова Мария",
];

const PURPOSES: [&str; 4] = ["water", "temporary_water_supply", "court", "heating"];

/// One client's own state: its random choices and the meters it has read.
#[derive(Debug)]
struct Client {
    index: usize,
    fleet: Arc<Fleet>,
    rng: Rng,
    seed: u64,
    meters_read: usize,
    anonymous_read: usize,
}

impl Client {
    /// The next write, under a key about half of the time.
    fn next(&mut self, id: u64) -> Write {
        let key = (self.rng.below(2) == 0).then(|| format!("load-{:x}-{id}", self.seed));
        let mut pick = self.rng.below(MIX_TOTAL);
        let kind = MIX
            .iter()
            .position(|&part| {
                let hit = pick < part;
                pick = pick.saturating_sub(part);
                hit
            })
            .unwrap_or(4);
        let subscriber = &self.fleet.subscribers[self.index];
        let meters_left = subscriber.meters.len() - self.meters_read;
        let anonymous_left = subscriber.anonymous_meters.len() - self.anonymous_read;
        match kind {
            0 if meters_left > 0 => self.cabinet_readings(id, key),
            1 if anonymous_left > 0 => self.anonymous_reading(id, key),
            0..=2 => self.payment(id, key, false),
            3 => self.payment(id, key, true),
            _ => self.fleet.visit_request(self.index, id, key),
        }
    }

    /// A value from 1.000 to 999.999 m³, in litres.
    fn litres(&mut self) -> u64 {
        1_000 + self.rng.below(999_000)
    }

    fn cabinet_readings(&mut self, id: u64, key: Option<String>) -> Write {
        let subscriber = &self.fleet.subscribers[self.index];
        let left = subscriber.meters.len() - self.meters_read;
        let count = usize::try_from(1 + self.rng.below(2)).unwrap().min(left);
        let meters = subscriber.meters[self.meters_read..self.meters_read + count].to_vec();
        self.meters_read += count;
        let readings: Vec<(String, u64)> = meters
            .into_iter()
            .map(|meter| (meter, self.litres()))
            .collect();
        let subscriber = &self.fleet.subscribers[self.index];
        let body = json!({
            "readings": readings
                .iter()
                .map(|(meter, litres)| json!({"meter_number": meter, "value": cubic_metres(*litres)}))
                .collect::<Vec<_>>(),
        });
        Write {
            id,
            client: self.index,
            what: What::CabinetReadings {
                account: subscriber.account.clone(),
                readings,
            },
            path: format!("/api/v1/accounts/{}/readings", subscriber.account),
            token: Some(subscriber.token.clone()),
            forwarded_for: None,
            key,
            body,
        }
    }

    fn anonymous_reading(&mut self, id: u64, key: Option<String>) -> Write {
        let litres = self.litres();
        let full_name = NAMES[usize::try_from(self.rng.below(4)).unwrap()].to_owned();
        let subscriber = &self.fleet.subscribers[self.index];
        let meter = subscriber.anonymous_meters[self.anonymous_read].clone();
        self.anonymous_read += 1;
        let phone = format!("+7915{:07}", id % 10_000_000);
        Write {
            id,
            client: self.index,
            body: json!({
                "full_name": full_name,
                "phone": phone,
                "meter_number": meter,
                "value": cubic_metres(litres),
            }),
            what: What::AnonymousReading {
                account: Plan::public_account(self.index),
                meter,
                litres,
                full_name,
                phone: e164(&phone),
            },
            path: "/api/v1/public/readings".to_owned(),
            token: None,
            forwarded_for: Some(write_address(id)),
            key,
        }
    }

    /// A payment of an amount no other write of the load pays: 100 roubles and `id` kopecks.
    fn payment(&mut self, id: u64, key: Option<String>, public: bool) -> Write {
        let purpose = PURPOSES[usize::try_from(self.rng.below(4)).unwrap()].to_owned();
        let kopecks = 10_000 + id;
        let amount = format!("{}.{:02}", kopecks / 100, kopecks % 100);
        let subscriber = &self.fleet.subscribers[self.index];
        if public {
            let account = Plan::public_account(self.index);
            Write {
                id,
                client: self.index,
                body: json!({"account_number": account, "purpose": purpose, "amount": amount}),
                what: What::PublicPayment {
                    account,
                    purpose,
                    kopecks,
                },
                path: "/api/v1/public/payments".to_owned(),
                token: None,
                forwarded_for: Some(write_address(id)),
                key,
            }
        } else {
            Write {
                id,
                client: self.index,
                body: json!({"purpose": purpose, "amount": amount}),
                what: What::CabinetPayment {
                    account: subscriber.account.clone(),
                    purpose,
                    kopecks,
                },
                path: format!("/api/v1/accounts/{}/payments", subscriber.account),
                token: Some(subscriber.token.clone()),
                forwarded_for: None,
                key,
            }
        }
    }
}

/// `123.456` of 123456 litres.
fn cubic_metres(litres: u64) -> String {
    format!("{}.{:03}", litres / 1000, litres % 1000)
}

/// A load running: its clients write until [`Load::stop`].
#[derive(Debug)]
pub struct Load {
    stop: Arc<AtomicBool>,
    refusals: Arc<AtomicU64>,
    clients: JoinSet<Vec<Sent>>,
}

impl Load {
    /// Starts one client per subscriber of `fleet` against `target`; `seed` decides every
    /// client's choices. Write ids start at 1.
    pub fn start(fleet: &Arc<Fleet>, target: &Target, seed: u64) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let refusals = Arc::new(AtomicU64::new(0));
        let ids = Arc::new(AtomicU64::new(1));
        let mut clients = JoinSet::new();
        for index in 0..fleet.subscribers.len() {
            let client = Client {
                index,
                fleet: Arc::clone(fleet),
                rng: Rng::new(seed ^ (0xC1_1E_27 * (u64::try_from(index).unwrap() + 1))),
                seed,
                meters_read: 0,
                anonymous_read: 0,
            };
            clients.spawn(run(
                client,
                target.clone(),
                Arc::clone(&ids),
                Arc::clone(&stop),
                Arc::clone(&refusals),
            ));
        }
        Self {
            stop,
            refusals,
            clients,
        }
    }

    /// Runs a load for `duration`: every write sent.
    pub async fn run_for(
        fleet: &Arc<Fleet>,
        target: &Target,
        seed: u64,
        duration: Duration,
    ) -> Vec<Sent> {
        let load = Self::start(fleet, target, seed);
        tokio::time::sleep(duration).await;
        load.stop().await
    }

    /// Connections refused so far (each tried again with the same request).
    pub fn refusals(&self) -> u64 {
        self.refusals.load(Ordering::Relaxed)
    }

    /// Stops the clients after their exchanges in flight: every write sent, by id.
    pub async fn stop(mut self) -> Vec<Sent> {
        self.stop.store(true, Ordering::Relaxed);
        let mut sent = Vec::new();
        while let Some(client) = self.clients.join_next().await {
            sent.extend(client.unwrap());
        }
        sent.sort_by_key(|sent| sent.write.id);
        let ids: HashSet<u64> = sent.iter().map(|sent| sent.write.id).collect();
        assert_eq!(ids.len(), sent.len(), "a write id was used twice");
        sent
    }
}

/// A client's loop: a write, sent until a connection takes it, then the next.
async fn run(
    mut client: Client,
    target: Target,
    ids: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    refusals: Arc<AtomicU64>,
) -> Vec<Sent> {
    let mut sent = Vec::new();
    'writes: while !stop.load(Ordering::Relaxed) {
        let write = client.next(ids.fetch_add(1, Ordering::Relaxed));
        let refused_since = Instant::now();
        loop {
            let started = Instant::now();
            match write.request(target.get()).exchange().await {
                Ok(response) => {
                    sent.push(Sent {
                        write,
                        outcome: Outcome::Answered(response),
                        started,
                        ended: Instant::now(),
                    });
                    break;
                }
                Err(NoAnswer::Lost) => {
                    sent.push(Sent {
                        write,
                        outcome: Outcome::Lost,
                        started,
                        ended: Instant::now(),
                    });
                    tokio::time::sleep(LOST_PAUSE).await;
                    break;
                }
                Err(NoAnswer::Refused) => {
                    refusals.fetch_add(1, Ordering::Relaxed);
                    // Nothing reached the server: the write is dropped when the load stops.
                    if stop.load(Ordering::Relaxed) || refused_since.elapsed() > REFUSED_TIMEOUT {
                        break 'writes;
                    }
                    tokio::time::sleep(REFUSED_PAUSE).await;
                }
            }
        }
    }
    sent
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(civil(0), (1970, 1, 1));
        assert_eq!(civil(20_794), (2026, 12, 7));
        assert_eq!(civil(11_016), (2000, 2, 29));
    }

    #[test]
    fn the_same_seed_makes_the_same_choices() {
        let (mut a, mut b) = (Rng::new(7), Rng::new(7));
        let first: Vec<u64> = (0..5).map(|_| a.below(100)).collect();
        assert_eq!(first, (0..5).map(|_| b.below(100)).collect::<Vec<_>>());
        let span = Rng::new(1).between(Duration::from_secs(1), Duration::from_secs(2));
        assert!((Duration::from_secs(1)..=Duration::from_secs(2)).contains(&span));
    }
}
