//! Crashes under load, against the built binary on SQLite and PostgreSQL (issue 15, points 1
//! and 2): 16 clients write cabinet and anonymous readings, cabinet and public payments and
//! visit requests, half of them under an `Idempotency-Key` (`vodokanal_e2e::load`), while the
//! server is killed with SIGKILL three times at random moments and restarted on the same
//! database, or stopped with SIGTERM. Afterwards the database, read directly, holds every
//! acknowledged write exactly once with the values sent, a retry of each unanswered write under
//! its key gives one result, nothing is half-written, and the store passes its integrity checks
//! (`crash/check.rs`, `crash/store.rs`).
//!
//! The moments are drawn from a seed, printed at the start: `FAULTS_SEED=<seed>` repeats them.
#![expect(
    clippy::unwrap_used,
    clippy::panic,
    reason = "a test that can't go on fails loudly"
)]

#[path = "crash/check.rs"]
mod check;
#[path = "crash/store.rs"]
mod store;

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use vodokanal_e2e::load::{self, Fleet, Load, Outcome, Plan, Rng, Sent, Target, Write};
use vodokanal_e2e::{Backend, Deployment, Response, Server};

use check::{Counts, Fate};
use store::Store;

/// The load's size: 16 clients, each with 150 meters to read in the cabinet and as many to
/// read anonymously (more than a run uses; a client that runs out pays and books instead).
const PLAN: Plan = Plan {
    clients: 16,
    meters_per_client: 150,
};

/// How often the server is killed in a run.
const KILLS: usize = 3;

/// How long the load runs before each kill (after the server came back): drawn from this range.
const BEFORE_KILL: (Duration, Duration) = (Duration::from_secs(1), Duration::from_secs(3));

/// How long the load runs on the last server before it stops.
const AFTER_LAST_START: Duration = Duration::from_millis(1500);

/// `VODOKANAL_IDEMPOTENCY_LEASE`: its least value, so that a retry takes over the claim a killed
/// process left without an answer soon.
const LEASE: Duration = Duration::from_secs(15);

/// How long after a lease has passed a retry may still find its key in progress.
const RETRY_MARGIN: Duration = Duration::from_secs(20);

/// The promise: after SIGTERM the process exits 0 within 10 s. A correctness deadline,
/// not a speed threshold; a server that keeps its promise exits well within it.
const EXIT_PROMISE: Duration = Duration::from_secs(10);

/// How soon after SIGTERM a new connection must be refused (the listener closes at once; this
/// bounds the wait generously).
const REFUSED_WITHIN: Duration = Duration::from_secs(5);

/// How many acknowledged writes under a key are sent again to see their answer replayed.
const REPLAYS: usize = 40;

/// The seed of this run: `FAULTS_SEED`, else from the clock.
fn seed() -> u64 {
    std::env::var("FAULTS_SEED").map_or_else(
        |_| Rng::clock_seed(),
        |seed| {
            seed.parse()
                .unwrap_or_else(|_| panic!("FAULTS_SEED={seed} is not a number"))
        },
    )
}

/// The server's settings: the load's, and the shortest idempotency lease.
fn settings() -> Vec<(&'static str, &'static str)> {
    let mut settings = load::SETTINGS.to_vec();
    settings.push(("VODOKANAL_IDEMPOTENCY_LEASE", "15"));
    settings
}

fn addr(server: &Server) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], server.port()))
}

/// A deployment with the load's registry imported.
async fn deployment(backend: Backend) -> Deployment {
    let deployment = Deployment::new(backend).await;
    let csv = deployment.dir().join("registry.csv");
    std::fs::write(&csv, PLAN.registry_csv()).unwrap();
    deployment
        .run_args(&["import-registry", csv.to_str().unwrap()], &[])
        .await;
    deployment
}

/// Sends a lost write under its key again until it is answered other than "in progress" (a
/// dead process's claim holds until its lease has passed, `deadline` bounds the wait), then once
/// more: the second answer must repeat the first byte for byte (one result, not two).
async fn retry(write: &Write, server: &Server, deadline: Instant, context: &str) -> Response {
    let response = loop {
        let response = write.request(addr(server)).send().await;
        if response.status == 409 && response.code() == "idempotency_request_in_progress" {
            assert!(
                Instant::now() < deadline,
                "{context}: write {} under its key still in progress when its claim should be free",
                write.id
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
            continue;
        }
        break response;
    };
    let again = write.request(addr(server)).send().await;
    assert_eq!(
        (again.status, &again.body),
        (response.status, &response.body),
        "{context}: write {} retried twice under its key: two results",
        write.id
    );
    response
}

/// The fate of every write: each lost one under a key retried (see [`retry`]).
async fn retry_lost(
    server: &Server,
    sent: Vec<Sent>,
    deadline: Instant,
    context: &str,
) -> Vec<Fate> {
    let mut fates = Vec::with_capacity(sent.len());
    for sent in sent {
        let retry = match (&sent.outcome, &sent.write.key) {
            (Outcome::Lost, Some(_)) => Some(retry(&sent.write, server, deadline, context).await),
            _ => None,
        };
        fates.push(Fate { sent, retry });
    }
    fates
}

/// Some acknowledged writes under a key, sent again: the first answer again, byte for byte.
async fn replays(server: &Server, fates: &[Fate], context: &str) -> usize {
    let mut replayed = 0;
    for fate in fates
        .iter()
        .filter(|fate| fate.sent.write.key.is_some() && fate.retry.is_none())
        .filter(|fate| fate.sent.response().is_some_and(|r| r.status == 201))
        .take(REPLAYS)
    {
        let first = fate.sent.response().unwrap();
        let again = fate.sent.write.request(addr(server)).send().await;
        assert_eq!(
            (again.status, &again.body),
            (first.status, &first.body),
            "{context}: write {} replayed after the crashes",
            fate.sent.write.id
        );
        replayed += 1;
    }
    replayed
}

/// Reads the database and checks every write and the store's integrity; fails the test with
/// every problem found.
async fn verify(
    deployment: &Deployment,
    backend: Backend,
    fleet: &Fleet,
    fates: &[Fate],
    context: &str,
) -> Counts {
    let store = Store::open(deployment, backend).await;
    let snapshot = store.snapshot().await;
    let mut problems = store.integrity().await;
    store.close().await;
    let (counts, found) = check::check(fleet, fates, &snapshot);
    problems.extend(found);
    problems.extend(check::records(&snapshot));
    // The load is made to be accepted: anything but a 201 or a limit's 429 is a wrong load or
    // a server bug (a 5xx above all).
    for fate in fates {
        if let Some(answer) = fate.answer()
            && answer.status != 201
            && answer.status != 429
        {
            problems.push(format!(
                "write {} answered {}: {}",
                fate.sent.write.id, answer.status, answer.body
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "{context}: {} problems ({}):\n{}",
        problems.len(),
        counts.line(),
        problems.join("\n")
    );
    assert!(
        counts.acknowledged > 0,
        "{context}: nothing was acknowledged"
    );
    counts
}

/// 1. kill -9 under load, three times, each at a random moment, the server restarted on the same
///    database after each.
async fn kill_9_under_load(backend: Backend) {
    let began = Instant::now();
    let seed = seed();
    let context = format!("kill -9 under load on {backend:?}, FAULTS_SEED={seed}");
    eprintln!("{context}");
    let mut rng = Rng::new(seed);
    let deployment = deployment(backend).await;
    let settings = settings();
    let mut server = deployment.start_with(&settings).await;
    let fleet = Arc::new(Fleet::prepare(&server, &PLAN).await);
    let target = Target::new(server.port());

    let load = Load::start(&fleet, &target, seed);
    let mut last_kill = Instant::now();
    for _ in 0..KILLS {
        tokio::time::sleep(rng.between(BEFORE_KILL.0, BEFORE_KILL.1)).await;
        server.kill();
        last_kill = Instant::now();
        server = deployment.start_with(&settings).await;
        target.set(server.port());
    }
    tokio::time::sleep(AFTER_LAST_START).await;
    let refusals = load.refusals();
    let sent = load.stop().await;

    let fates = retry_lost(&server, sent, last_kill + LEASE + RETRY_MARGIN, &context).await;
    let replayed = replays(&server, &fates, &context).await;
    let counts = verify(&deployment, backend, &fleet, &fates, &context).await;
    eprintln!(
        "{context}: {}; kills {KILLS}; connections refused while down {refusals}; replays {replayed}; \
         {:.1} s",
        counts.line(),
        began.elapsed().as_secs_f64()
    );
}

/// A request held in flight: its head and half its body sent, the rest when told.
struct Held {
    stream: TcpStream,
    rest: Vec<u8>,
    started: Instant,
}

impl Held {
    async fn begin(write: &Write, addr: SocketAddr) -> Self {
        let body = write.body.to_string().into_bytes();
        let mut head = format!(
            "POST {} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n",
            write.path,
            body.len()
        );
        if let Some(token) = &write.token {
            let _ = write!(head, "Authorization: Bearer {token}\r\n");
        }
        if let Some(key) = &write.key {
            let _ = write!(head, "Idempotency-Key: {key}\r\n");
        }
        head.push_str("\r\n");
        let started = Instant::now();
        let mut stream = TcpStream::connect(addr).await.unwrap();
        let half = body.len() / 2;
        stream.write_all(head.as_bytes()).await.unwrap();
        stream.write_all(&body[..half]).await.unwrap();
        stream.flush().await.unwrap();
        Self {
            stream,
            rest: body[half..].to_vec(),
            started,
        }
    }

    /// Sends the rest of the body and reads the answer: its status and body.
    async fn finish(mut self) -> (Response, Instant) {
        self.stream.write_all(&self.rest).await.unwrap();
        let mut raw = Vec::new();
        tokio::time::timeout(Duration::from_secs(20), self.stream.read_to_end(&mut raw))
            .await
            .unwrap_or_else(|_| panic!("no answer to the request held in flight"))
            .unwrap();
        let raw = String::from_utf8(raw).unwrap();
        let (head, body) = raw
            .split_once("\r\n\r\n")
            .unwrap_or_else(|| panic!("not HTTP: {raw}"));
        assert!(
            !head.to_ascii_lowercase().contains("transfer-encoding"),
            "{head}"
        );
        let status = head.split(' ').nth(1).unwrap().parse().unwrap();
        let response = Response {
            status,
            headers: Vec::new(),
            body: body.to_owned(),
        };
        (response, self.started)
    }
}

/// How long after now a connection to `addr` is first refused; `None` when none is within
/// [`REFUSED_WITHIN`]. Each connection that is taken is closed at once, before any request.
async fn refused_after(addr: SocketAddr) -> Option<Duration> {
    let since = Instant::now();
    while since.elapsed() < REFUSED_WITHIN {
        match TcpStream::connect(addr).await {
            Err(_) => return Some(since.elapsed()),
            Ok(stream) => drop(stream),
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    None
}

/// 2. SIGTERM under load: a request in flight completes, new connections are refused, the
///    process exits 0 within 10 s, and nothing acknowledged is lost.
async fn sigterm_under_load(backend: Backend) {
    let began = Instant::now();
    let seed = seed();
    let context = format!("SIGTERM under load on {backend:?}, FAULTS_SEED={seed}");
    eprintln!("{context}");
    let mut rng = Rng::new(seed);
    let deployment = deployment(backend).await;
    let settings = settings();
    let server = deployment.start_with(&settings).await;
    let fleet = Arc::new(Fleet::prepare(&server, &PLAN).await);
    let target = Target::new(server.port());

    let load = Load::start(&fleet, &target, seed);
    tokio::time::sleep(rng.between(BEFORE_KILL.0, BEFORE_KILL.1)).await;
    // Write 0 (the load's start at 1): a visit request whose body is still coming when the
    // signal comes.
    let held_write = fleet.visit_request(0, 0, Some(format!("held-{seed:x}")));
    let address = addr(&server);
    let held = Held::begin(&held_write, address).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let signalled = Instant::now();
    let (code, (refused, (held_answer, held_started))) = tokio::join!(server.terminate(), async {
        let refused = refused_after(address).await;
        (refused, held.finish().await)
    });
    let exited_after = signalled.elapsed();
    assert_eq!(code, Some(0), "{context}: the exit code after SIGTERM");
    assert!(
        exited_after <= EXIT_PROMISE,
        "{context}: the server took {exited_after:?} to exit after SIGTERM"
    );
    let refused = refused.unwrap_or_else(|| {
        panic!("{context}: new connections still taken {REFUSED_WITHIN:?} after SIGTERM")
    });
    assert_eq!(
        held_answer.status, 201,
        "{context}: the request in flight at SIGTERM: {}",
        held_answer.body
    );

    let server = deployment.start_with(&settings).await;
    target.set(server.port());
    tokio::time::sleep(AFTER_LAST_START).await;
    let mut sent = load.stop().await;
    let (completed, cut) = sent
        .iter()
        .filter(|sent| sent.started < signalled && sent.ended > signalled)
        .fold((0, 0), |(completed, cut), sent| match sent.outcome {
            Outcome::Answered(_) => (completed + 1, cut),
            Outcome::Lost => (completed, cut + 1),
        });
    sent.push(Sent {
        write: held_write,
        outcome: Outcome::Answered(held_answer),
        started: held_started,
        ended: Instant::now(),
    });
    // A graceful stop leaves no claim behind: a retry never finds its key in progress.
    let fates = retry_lost(&server, sent, Instant::now(), &context).await;
    let counts = verify(&deployment, backend, &fleet, &fates, &context).await;
    // What the stop cut off (a connection it never took) it never began: nothing of it stored.
    assert_eq!(
        counts.stored_unanswered, 0,
        "{context}: a request without an answer was stored: the stop cut off work it began"
    );
    eprintln!(
        "{context}: {}; in flight at the signal {} (answered {}, never taken {}); new \
         connections refused {:.0} ms after the signal; exited 0 after {:.1} s; {:.1} s",
        counts.line(),
        completed + cut + 1,
        completed + 1,
        cut,
        refused.as_secs_f64() * 1000.0,
        exited_after.as_secs_f64(),
        began.elapsed().as_secs_f64()
    );
}

/// A client that stalls mid-body can't hold the stop past the promise: what is still in flight
/// when the drain ends is cut off (its transaction never began), and the process exits 0.
async fn a_stalled_client_does_not_hold_the_stop(backend: Backend) {
    let deployment = deployment(backend).await;
    let server = deployment.start_with(&settings()).await;
    let stalled = Write {
        id: 0,
        client: 0,
        what: load::What::AnonymousReading {
            account: "100001".to_owned(),
            meter: "ВСХ-0011234".to_owned(),
            litres: 130_000,
            full_name: "Иванов Иван".to_owned(),
            phone: "+79109845003".to_owned(),
        },
        path: "/api/v1/public/readings".to_owned(),
        token: None,
        forwarded_for: None,
        key: None,
        body: serde_json::json!({
            "full_name": "Иванов Иван",
            "phone": "+79109845003",
            "meter_number": "ВСХ-0011234",
            "value": "130",
        }),
    };
    let _held = Held::begin(&stalled, addr(&server)).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let signalled = Instant::now();
    let code = server.terminate().await;
    let exited_after = signalled.elapsed();
    assert_eq!(code, Some(0), "{backend:?}: the exit code after SIGTERM");
    assert!(
        exited_after <= EXIT_PROMISE,
        "{backend:?}: a stalled client held the stop for {exited_after:?}"
    );
}

vodokanal_e2e::journeys!(
    kill_9_under_load,
    sigterm_under_load,
    a_stalled_client_does_not_hold_the_stop
);
