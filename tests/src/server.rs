//! The `vodokanal` binary started on a free port over a [`Deployment`]: the database and the
//! folder (SMS outbox, log) that outlive a restart of the server. When the deployment goes, its
//! logs are searched for the personal data its tests sent and received ([`crate::pii`]).

use std::collections::HashMap;
use std::fs::OpenOptions;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tempfile::TempDir;

use crate::database::{Backend, PgDatabase};
use crate::http::{Request, Response};
use crate::pii::{Kind, Pii};
use crate::{code_in, demo, e164};

/// How long a server may take to answer `/health/ready` after it started.
const READY_TIMEOUT: Duration = Duration::from_secs(30);

/// How long an SMS may take to reach the outbox file: the server's sender looks every second.
const SMS_TIMEOUT: Duration = Duration::from_secs(15);

/// What the servers and the one-shot commands log: every line any of them may write, so that
/// the scan for personal data reads all of them.
const LOG_EVERYTHING: &str = "debug,vodokanal=trace";

/// The `vodokanal` binary: `E2E_VODOKANAL_BINARY` when set (the soak runs a release build),
/// else the one of the same profile as the running test executable.
fn binary() -> PathBuf {
    if let Some(path) = std::env::var_os("E2E_VODOKANAL_BINARY") {
        return PathBuf::from(path);
    }
    let exe = std::env::current_exe().unwrap();
    // target/<profile>/deps/<test>-<hash>
    let profile_dir = exe.parent().and_then(Path::parent).unwrap();
    let binary = profile_dir.join(format!("vodokanal{}", std::env::consts::EXE_SUFFIX));
    assert!(
        binary.exists(),
        "{} is missing: build it first with `cargo build -p vodokanal-server` (or run the \
         whole workspace's tests)",
        binary.display()
    );
    binary
}

/// A port nothing listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[derive(Debug)]
enum Database {
    Sqlite(String),
    Postgres(PgDatabase),
}

#[derive(Debug)]
struct Inner {
    database: Database,
    dir: TempDir,
    /// How many SMS to each phone the test has taken (`Server::next_sms`).
    taken: Mutex<HashMap<String, usize>>,
    /// The personal data sent and received, searched for in the logs when this goes.
    pii: Arc<Pii>,
}

/// The last server is gone (killed and waited for): its logs must hold none of the personal
/// data. Not while the test already fails, so that its own message stays the one shown.
impl Drop for Inner {
    fn drop(&mut self) {
        if std::thread::panicking() {
            return;
        }
        if let Err(found) = self.pii.scan(self.dir.path()) {
            panic!("{found}");
        }
    }
}

/// A database and a folder for one test; shared by the servers started on it, and gone (the
/// PostgreSQL database dropped, the folder removed) when the last of them is dropped.
#[derive(Debug, Clone)]
pub struct Deployment(Arc<Inner>);

impl Deployment {
    /// A fresh SQLite file or PostgreSQL database, and an empty folder.
    pub async fn new(backend: Backend) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let database = match backend {
            Backend::Sqlite => Database::Sqlite(format!(
                "sqlite://{}",
                dir.path().join("db.sqlite").display()
            )),
            Backend::Postgres => Database::Postgres(PgDatabase::create().await),
        };
        Self(Arc::new(Inner {
            database,
            dir,
            taken: Mutex::default(),
            pii: Arc::default(),
        }))
    }

    /// Records a personal datum the test sent or received some other way than through
    /// [`Server::request`], so that the logs are searched for it too.
    pub fn remember(&self, kind: Kind, value: &str) {
        self.0.pii.remember(kind, value);
    }

    /// How many forms of each kind of personal datum are recorded so far.
    pub fn recorded(&self) -> std::collections::BTreeMap<Kind, usize> {
        self.0.pii.counts()
    }

    /// Searches the logs now for the personal data recorded so far (done anyway when the
    /// deployment goes): the number of log lines read; fails the test on a hit, naming the kind
    /// of datum and the line, never the datum.
    pub fn check_logs(&self) -> usize {
        self.0
            .pii
            .scan(self.dir())
            .unwrap_or_else(|found| panic!("{found}"))
    }

    /// [`Deployment::check_logs`] without failing: the hits.
    pub fn scan_logs(&self) -> Result<usize, String> {
        self.0.pii.scan(self.dir())
    }

    /// What `VODOKANAL_DATABASE_URL` is set to.
    pub fn database_url(&self) -> &str {
        match &self.0.database {
            Database::Sqlite(url) => url,
            Database::Postgres(database) => database.url(),
        }
    }

    /// The folder: the SMS outbox, the servers' log, the current directory of the server.
    pub fn dir(&self) -> &Path {
        self.0.dir.path()
    }

    /// The SMS outbox file (`VODOKANAL_SMS_OUTBOX`).
    pub fn outbox(&self) -> PathBuf {
        self.dir().join("outbox.jsonl")
    }

    /// What the servers and the one-shot commands wrote to standard error (at the most verbose
    /// level, `VODOKANAL_LOG=debug,vodokanal=trace`, unless the test set another; `refused`
    /// starts at `warn`).
    pub fn log(&self) -> PathBuf {
        self.dir().join("server.log")
    }

    /// Starts the server with the demo registry and waits until it is ready.
    pub async fn start(&self) -> Server {
        self.start_with(&[]).await
    }

    /// Starts the server with more settings (`("VODOKANAL_READING_WINDOW", "1-2")`, ...) and
    /// waits until it is ready. No `VODOKANAL_*` variable of the test's own environment leaks in.
    pub async fn start_with(&self, settings: &[(&str, &str)]) -> Server {
        let port = free_port();
        let mut command = self.serve(port, settings);
        let mut server = Server {
            child: command.spawn().unwrap(),
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            deployment: self.clone(),
        };
        server.wait_until_ready().await;
        server
    }

    /// Starts `serve` with `settings` (over the defaults of [`Deployment::start_with`]) and
    /// waits for it to refuse: its exit code and what it wrote to standard error. Fails the
    /// test when the server starts instead.
    pub async fn refused(&self, settings: &[(&str, &str)]) -> (Option<i32>, String) {
        let quiet: Vec<(&str, &str)> = std::iter::once(("VODOKANAL_LOG", "warn"))
            .chain(settings.iter().copied())
            .collect();
        let mut command = self.serve(free_port(), &quiet);
        let before = std::fs::read_to_string(self.log())
            .unwrap_or_default()
            .len();
        let mut child = command.spawn().unwrap();
        let deadline = Instant::now() + READY_TIMEOUT;
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() >= deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("the server did not refuse to start within {READY_TIMEOUT:?}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        let log = std::fs::read_to_string(self.log()).unwrap_or_default();
        (
            status.code(),
            log.get(before..).unwrap_or_default().to_owned(),
        )
    }

    /// Runs a one-shot command (`reconcile-payments`, ...) on this deployment's database with
    /// `settings`, to its end: its standard output; fails the test when it does not succeed.
    pub async fn run(&self, subcommand: &str, settings: &[(&str, &str)]) -> String {
        self.run_args(&[subcommand], settings).await
    }

    /// Runs a one-shot command with its arguments (`["readings", "void", "--meter", ...]`) on
    /// this deployment's database with `settings`, to its end: its standard output; fails the
    /// test when it does not succeed.
    pub async fn run_args(&self, args: &[&str], settings: &[(&str, &str)]) -> String {
        let (subcommand, rest) = args.split_first().unwrap();
        let subcommand = *subcommand;
        let mut command = self.command(subcommand);
        command
            .args(rest)
            .env("VODOKANAL_LOG", LOG_EVERYTHING)
            .envs(settings.iter().copied());
        let output = tokio::task::spawn_blocking(move || command.output())
            .await
            .unwrap()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        assert!(
            output.status.success(),
            "`vodokanal {subcommand}` failed ({}): {stdout} {}",
            output.status,
            std::fs::read_to_string(self.log()).unwrap_or_default()
        );
        stdout
    }

    /// Runs a one-shot command with its arguments and `settings` to its end, whatever its
    /// outcome: its exit code and what it wrote (standard error here, not in the log).
    pub async fn try_run(&self, args: &[&str], settings: &[(&str, &str)]) -> Exit {
        let (subcommand, rest) = args.split_first().unwrap();
        let mut command = self.command(subcommand);
        command
            .args(rest)
            .envs(settings.iter().copied())
            .stderr(Stdio::piped());
        let output = tokio::task::spawn_blocking(move || command.output())
            .await
            .unwrap()
            .unwrap();
        Exit {
            code: output.status.code(),
            stdout: String::from_utf8(output.stdout).unwrap(),
            stderr: String::from_utf8(output.stderr).unwrap(),
        }
    }

    /// `serve` on `port` with the demo registry, the outbox and `settings` over them.
    fn serve(&self, port: u16, settings: &[(&str, &str)]) -> Command {
        let mut command = self.command("serve");
        command
            .env("VODOKANAL_LISTEN", format!("127.0.0.1:{port}"))
            .env("VODOKANAL_PUBLIC_URL", format!("http://127.0.0.1:{port}"))
            .env("VODOKANAL_DEMO", "on")
            .env("VODOKANAL_SMS_OUTBOX", self.outbox())
            .env("VODOKANAL_LOG", LOG_EVERYTHING)
            .envs(settings.iter().copied())
            .stdout(Stdio::null());
        command
    }

    /// The binary with `subcommand` and this deployment's database, in its folder, standard
    /// error appended to the log (at `warn`: `serve` and `run` log everything); no
    /// `VODOKANAL_*` variable of the test's own environment leaks in.
    fn command(&self, subcommand: &str) -> Command {
        let mut command = Command::new(binary());
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("VODOKANAL_") {
                command.env_remove(name);
            }
        }
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log())
            .unwrap();
        command
            .arg(subcommand)
            .env("VODOKANAL_DATABASE_URL", self.database_url())
            .env("VODOKANAL_LOG", "warn")
            .current_dir(self.dir())
            .stdin(Stdio::null())
            .stderr(log);
        command
    }
}

/// How a one-shot command ended ([`Deployment::try_run`]).
#[derive(Debug)]
pub struct Exit {
    /// `None` when a signal ended it.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

/// A running server; killed on drop.
#[derive(Debug)]
pub struct Server {
    child: Child,
    addr: SocketAddr,
    deployment: Deployment,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// A server on a new deployment of `backend`.
    pub async fn start(backend: Backend) -> Self {
        Deployment::new(backend).await.start().await
    }

    async fn wait_until_ready(&mut self) {
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            if let Some(response) = self.request("GET", "/health/ready").try_send().await
                && response.status == 200
            {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "the server exited ({status}) before it was ready: {}",
                    self.log_text()
                );
            }
            assert!(
                Instant::now() < deadline,
                "the server was not ready within {READY_TIMEOUT:?}: {}",
                self.log_text()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Sends SIGTERM and waits for the server to exit: its exit code. Fails the test when it
    /// does not stop.
    #[cfg(unix)]
    pub async fn terminate(mut self) -> Option<i32> {
        let sent = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code();
            }
            assert!(
                Instant::now() < deadline,
                "the server did not stop within {READY_TIMEOUT:?}: {}",
                self.log_text()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Kills the server with SIGKILL (no chance to finish anything) and reaps it.
    pub fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(self.deployment.log()).unwrap_or_default()
    }

    /// What the server runs on, to restart a server on the same data.
    pub fn deployment(&self) -> &Deployment {
        &self.deployment
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// `http://127.0.0.1:<port>`, as `VODOKANAL_PUBLIC_URL` says.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A request to a path from the server's root (`/api/v1/...`, `/sandbox/pay/...`).
    pub fn request(&self, method: &str, path: &str) -> Request {
        Request::new(self.addr, method, path).recorded_in(self.deployment.0.pii.clone())
    }

    /// One exchange under `/api/v1` with an optional Bearer token and a JSON body
    /// (`Value::Null`: no body).
    pub async fn api(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: &Value,
    ) -> Response {
        self.request(method, &format!("/api/v1{path}"))
            .bearer(token)
            .json(body)
            .send()
            .await
    }

    /// `GET /api/v1{path}`: the JSON of its 200 answer; fails the test on another status.
    pub async fn get(&self, path: &str, token: Option<&str>) -> Value {
        self.api("GET", path, token, &Value::Null)
            .await
            .expect(200)
            .json()
    }

    /// The debt of the demo account, as the cabinet of `token` shows it.
    pub async fn demo_debt(&self, token: &str) -> String {
        self.get(&format!("/accounts/{}", crate::demo::ACCOUNT), Some(token))
            .await["debt"]
            .as_str()
            .unwrap_or_else(|| panic!("the demo account has no debt"))
            .to_owned()
    }

    /// The texts of the SMS sent to `phone` (E.164) so far, oldest first. The server sends
    /// them in the background (the SMS outbox): see [`Server::next_sms`] to wait for one.
    pub fn sms_to(&self, phone: &str) -> Vec<String> {
        let Ok(outbox) = std::fs::read_to_string(self.deployment.outbox()) else {
            return Vec::new();
        };
        let texts: Vec<String> = outbox
            .lines()
            .map(|line| serde_json::from_str::<Value>(line).unwrap())
            .filter(|sms| sms["to"] == phone)
            .map(|sms| sms["text"].as_str().unwrap().to_owned())
            .collect();
        if !texts.is_empty() {
            self.deployment.remember(Kind::Phone, phone);
        }
        for text in &texts {
            if let Some((_, rest)) = text.split_once(": ") {
                let code: String = rest.chars().take_while(char::is_ascii_digit).collect();
                self.deployment.remember(Kind::SmsCode, &code);
            }
        }
        texts
    }

    /// Waits for an SMS to `phone` (E.164) that the test has not taken yet, and takes it (and
    /// any before it): its text. Fails the test after a while.
    pub async fn next_sms(&self, phone: &str) -> String {
        let deadline = Instant::now() + SMS_TIMEOUT;
        loop {
            let texts = self.sms_to(phone);
            {
                let mut taken = self.deployment.0.taken.lock().unwrap();
                let taken = taken.entry(phone.to_owned()).or_default();
                if texts.len() > *taken {
                    *taken = texts.len();
                    return texts.last().unwrap().clone();
                }
            }
            assert!(
                Instant::now() < deadline,
                "no new SMS to {phone} within {SMS_TIMEOUT:?}: {texts:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The code of the next SMS to `phone` (E.164): the 6 digits after ": ".
    pub async fn last_code(&self, phone: &str) -> String {
        code_in(&self.next_sms(phone).await)
    }

    /// `POST /auth/registration`: the response.
    pub async fn request_registration(&self, phone: &str, email: &str, consent: bool) -> Response {
        self.api(
            "POST",
            "/auth/registration",
            None,
            &json!({"phone": phone, "email": email, "consent_personal_data": consent}),
        )
        .await
    }

    /// Registers a subscriber through the SMS code and returns the token.
    pub async fn register(&self, phone: &str, email: &str, password: &str) -> String {
        self.request_registration(phone, email, true)
            .await
            .expect(202);
        let code = self.last_code(&e164(phone)).await;
        self.confirm_registration(phone, &code, password).await
    }

    /// `POST /auth/registration/confirm` with the SMS code: the token; fails the test unless
    /// that succeeds.
    pub async fn confirm_registration(&self, phone: &str, code: &str, password: &str) -> String {
        let response = self
            .api(
                "POST",
                "/auth/registration/confirm",
                None,
                &json!({"phone": phone, "code": code, "password": password}),
            )
            .await
            .expect(201);
        response.json()["token"].as_str().unwrap().to_owned()
    }

    /// Logs in: the response.
    pub async fn login(&self, login: &str, password: &str) -> Response {
        self.api(
            "POST",
            "/auth/login",
            None,
            &json!({"login": login, "password": password}),
        )
        .await
    }

    /// Registers the demo subscriber and links the demo account; returns the token.
    pub async fn linked_subscriber(&self) -> String {
        let token = self
            .register(demo::PHONE, demo::EMAIL, demo::PASSWORD)
            .await;
        self.link_demo_account(&token).await;
        token
    }

    /// Links the demo account to the subscriber of `token`; fails the test unless that
    /// succeeds.
    pub async fn link_demo_account(&self, token: &str) {
        self.api(
            "POST",
            "/accounts",
            Some(token),
            &json!({"account_number": demo::ACCOUNT, "meter_last4": demo::LAST4}),
        )
        .await
        .expect(201);
    }

    /// Logs in and returns the token; fails the test unless that succeeds.
    pub async fn token(&self, login: &str, password: &str) -> String {
        let response = self.login(login, password).await.expect(200);
        response.json()["token"].as_str().unwrap().to_owned()
    }
}
