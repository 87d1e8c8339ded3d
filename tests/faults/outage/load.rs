//! The load of the outage tests: a few clients of one linked subscriber, each sending one
//! request after another (reads of the account, payments, cabinet readings, readiness probes)
//! and recording every exchange with when it was sent and how long it took.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::task::JoinHandle;
use vodokanal_e2e::demo::{ACCOUNT, COLD, HOT};
use vodokanal_e2e::{Request, Response, Server};

/// Clients sending at once.
pub const CLIENTS: usize = 8;

/// The pause of a client between two requests: enough load, on two shared cores.
const PAUSE: Duration = Duration::from_millis(25);

/// What a request did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `GET /accounts/{ACCOUNT}`.
    Read,
    /// `POST /accounts/{ACCOUNT}/payments` of 1.00.
    Pay,
    /// `GET /health/ready`.
    Ready,
    /// `POST /accounts/{ACCOUNT}/readings` of one meter with a value in thousandths; each meter
    /// has one client, whose values only grow.
    Reading { meter: &'static str, value: u64 },
}

impl Op {
    pub fn writes(self) -> bool {
        matches!(self, Self::Pay | Self::Reading { .. })
    }
}

/// One request and its answer (`None`: none came).
#[derive(Debug, Clone)]
pub struct Exchange {
    pub op: Op,
    /// When it was sent, from the start of the load.
    pub sent: Duration,
    pub took: Duration,
    pub answer: Option<Response>,
}

impl Exchange {
    /// When its answer came (or the client gave up), from the start of the load.
    pub fn ended(&self) -> Duration {
        self.sent + self.took
    }

    pub fn status(&self) -> Option<u16> {
        self.answer.as_ref().map(|answer| answer.status)
    }

    pub fn succeeded(&self) -> bool {
        self.status()
            .is_some_and(|status| (200..300).contains(&status))
    }

    /// A 503 `service_unavailable` problem with a `Retry-After` of whole seconds.
    pub fn unavailable(&self) -> bool {
        self.answer.as_ref().is_some_and(|answer| {
            answer.status == 503
                && answer
                    .content_type()
                    .starts_with("application/problem+json")
                && answer.code() == "service_unavailable"
                && answer
                    .header("retry-after")
                    .and_then(|after| after.parse::<u64>().ok())
                    .is_some_and(|after| after >= 1)
        })
    }

    pub fn describe(&self) -> String {
        let answer = self.answer.as_ref().map_or_else(
            || "no answer".to_owned(),
            |answer| format!("{} {}", answer.status, answer.body),
        );
        format!(
            "{:?} sent at {:.1?}, took {:.1?}: {answer}",
            self.op, self.sent, self.took
        )
    }
}

/// The load running against a server.
pub struct Load {
    started: Instant,
    stop: Arc<AtomicBool>,
    log: Arc<Mutex<Vec<Exchange>>>,
    clients: Vec<JoinHandle<()>>,
}

impl Load {
    /// Starts [`CLIENTS`] clients of the subscriber of `token` against `server`.
    pub fn start(server: &Server, token: &str) -> Self {
        let started = Instant::now();
        let stop = Arc::new(AtomicBool::new(false));
        let log = Arc::new(Mutex::new(Vec::new()));
        let addr = SocketAddr::from(([127, 0, 0, 1], server.port()));
        let clients = (0..CLIENTS)
            .map(|client| {
                let client = Client {
                    number: client,
                    addr,
                    token: token.to_owned(),
                    started,
                    stop: stop.clone(),
                    log: log.clone(),
                };
                tokio::spawn(client.run())
            })
            .collect();
        Self {
            started,
            stop,
            log,
            clients,
        }
    }

    /// The time since the load started.
    pub fn now(&self) -> Duration {
        self.started.elapsed()
    }

    /// The exchanges that have ended so far.
    pub fn exchanges(&self) -> Vec<Exchange> {
        self.log.lock().unwrap().clone()
    }

    /// Stops the clients after their request in flight: every exchange, in the order they
    /// ended.
    pub async fn stop(self) -> Vec<Exchange> {
        self.stop.store(true, Ordering::Relaxed);
        for client in self.clients {
            client.await.unwrap();
        }
        self.log.lock().unwrap().clone()
    }
}

struct Client {
    number: usize,
    addr: SocketAddr,
    token: String,
    started: Instant,
    stop: Arc<AtomicBool>,
    log: Arc<Mutex<Vec<Exchange>>>,
}

impl Client {
    async fn run(self) {
        let mut n: usize = 0;
        while !self.stop.load(Ordering::Relaxed) {
            let op = self.op(n);
            n += 1;
            let request = self.request(op);
            let sent = self.started.elapsed();
            let answer = request.try_send().await;
            let took = self.started.elapsed().saturating_sub(sent);
            self.log.lock().unwrap().push(Exchange {
                op,
                sent,
                took,
                answer,
            });
            tokio::time::sleep(PAUSE).await;
        }
    }

    /// Client 0 submits the cold water meter's readings, client 1 the hot one's, each between
    /// its reads; the others read, pay and probe.
    fn op(&self, n: usize) -> Op {
        let value = u64::try_from(n).unwrap_or_default();
        match (self.number, n % 2) {
            (0, 0) => Op::Reading {
                meter: COLD,
                value: 124_000 + value,
            },
            (1, 0) => Op::Reading {
                meter: HOT,
                value: 46_000 + value,
            },
            (0 | 1, _) => Op::Read,
            (client, _) => [Op::Read, Op::Pay, Op::Ready, Op::Pay][(n + client) % 4],
        }
    }

    fn request(&self, op: Op) -> Request {
        let token = Some(self.token.as_str());
        match op {
            Op::Read => {
                Request::new(self.addr, "GET", &format!("/api/v1/accounts/{ACCOUNT}")).bearer(token)
            }
            Op::Pay => Request::new(
                self.addr,
                "POST",
                &format!("/api/v1/accounts/{ACCOUNT}/payments"),
            )
            .bearer(token)
            .json(&json!({"purpose": "water", "amount": "1.00"})),
            Op::Ready => Request::new(self.addr, "GET", "/health/ready"),
            Op::Reading { meter, value } => Request::new(
                self.addr,
                "POST",
                &format!("/api/v1/accounts/{ACCOUNT}/readings"),
            )
            .bearer(token)
            .json(&json!({"readings": [{"meter_number": meter, "value": thousandths(value)}]})),
        }
    }
}

/// `124.005` for 124005.
pub fn thousandths(value: u64) -> String {
    format!("{}.{:03}", value / 1000, value % 1000)
}
