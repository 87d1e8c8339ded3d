//! The soak: the fault suite's mixed load (`vodokanal_e2e::load`: 16 subscribers writing
//! readings, payments and visit requests, anonymous readings and payments besides) against the
//! built `vodokanal` for a while, printing the server's resident memory and open file
//! descriptors every minute, then what was sent and answered. Run by `scripts/soak.sh`; not a
//! test: it asserts nothing, it measures.
//!
//! `soak [--minutes N] [--every SECONDS] [--postgres]`: 10 minutes, every 60 s, on SQLite by
//! default.
#![expect(
    clippy::unwrap_used,
    clippy::panic,
    clippy::print_stdout,
    clippy::cast_precision_loss,
    reason = "a measuring tool: a broken setup stops it loudly, its output is the report, and \
              its figures are printed to one decimal"
)]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use vodokanal_e2e::load::{self, Fleet, Load, Plan, Rng, Target};
use vodokanal_e2e::{Backend, Deployment};

const PLAN: Plan = Plan {
    clients: 16,
    meters_per_client: 150,
};

struct Options {
    minutes: u64,
    every: u64,
    backend: Backend,
}

fn options() -> Options {
    let mut options = Options {
        minutes: 10,
        every: 60,
        backend: Backend::Sqlite,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut number = || -> u64 {
            args.next()
                .and_then(|value| value.parse().ok())
                .unwrap_or_else(|| panic!("{arg} takes a whole number"))
        };
        match arg.as_str() {
            "--minutes" => options.minutes = number(),
            "--every" => options.every = number().max(1),
            "--postgres" => options.backend = Backend::Postgres,
            _ => {
                panic!("unknown argument {arg}: soak [--minutes N] [--every SECONDS] [--postgres]")
            }
        }
    }
    options
}

/// `VmRSS` of a process, in KiB.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Open file descriptors of a process.
fn open_fds(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, Iterator::count)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let options = options();
    let deployment = Deployment::new(options.backend).await;
    let csv = deployment.dir().join("registry.csv");
    std::fs::write(&csv, PLAN.registry_csv()).unwrap();
    deployment
        .run_args(&["import-registry", csv.to_str().unwrap()], &[])
        .await;
    let settings: Vec<(&str, &str)> = load::SETTINGS
        .iter()
        .copied()
        .chain([("VODOKANAL_LOG", "info")])
        .collect();
    let server = deployment.start_with(&settings).await;
    let pid = server.pid();
    let fleet = Arc::new(Fleet::prepare(&server, &PLAN).await);
    let target = Target::new(server.port());
    let seed = Rng::clock_seed();
    println!(
        "soak: {:?}, {} minutes, {} clients, seed {seed}",
        options.backend, options.minutes, PLAN.clients
    );
    println!("minute  rss_mib  open_fds");
    let load = Load::start(&fleet, &target, seed);
    let began = Instant::now();
    let until = Duration::from_secs(options.minutes * 60);
    let every = Duration::from_secs(options.every);
    let mut peak = 0;
    loop {
        let rss = rss_kib(pid);
        peak = peak.max(rss);
        println!(
            "{:>6.1}  {:>7.1}  {:>8}",
            began.elapsed().as_secs_f64() / 60.0,
            rss as f64 / 1024.0,
            open_fds(pid)
        );
        if began.elapsed() >= until {
            break;
        }
        tokio::time::sleep(every.min(until.saturating_sub(began.elapsed()))).await;
    }
    let sent = load.stop().await;
    let mut statuses: BTreeMap<String, usize> = BTreeMap::new();
    for request in &sent {
        let status = request
            .response()
            .map_or_else(|| "no answer".to_owned(), |r| r.status.to_string());
        *statuses.entry(status).or_default() += 1;
    }
    let seconds = began.elapsed().as_secs_f64();
    println!(
        "sent {} writes in {seconds:.0} s ({:.0}/s); answers: {statuses:?}; peak rss {:.1} MiB",
        sent.len(),
        sent.len() as f64 / seconds,
        peak as f64 / 1024.0
    );
    drop(server);
}
