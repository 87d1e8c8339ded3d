//! The `vodokanal` binary from outside, on a temporary SQLite database: the settings' one-line
//! errors, migrate, import-registry, export, reconcile-payments, and serve with its graceful
//! stop.
#![expect(
    clippy::unwrap_used,
    reason = "a test helper that can't set up fails the test loudly"
)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const REGISTRY: &str = "\
account_number;address;debt;balance_as_of;meter_number;meter_service;verification_due;last_reading;last_reading_date
123456;г. Иваново, ул. Лежневская, д. 1;1234.50;2026-10-31;ВСХ-0011234;cold_water;2030-01-15;123.456;2026-10-25
123456;г. Иваново, ул. Лежневская, д. 1;1234.50;2026-10-31;ВГВ-0022345;hot_water;;;
777777;Адрес;abc;2026-10-31;;;;;
654321;\"г. Иваново, ул. Парижской Коммуны; д. 5\";-10.00;2026-10-31;;;;;
";

struct Workspace {
    dir: tempfile::TempDir,
}

impl Workspace {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn database_url(&self) -> String {
        format!("sqlite://{}", self.path("test.db").display())
    }

    /// The binary with no `VODOKANAL_*` variable of the caller's environment, on this
    /// workspace's database.
    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_vodokanal"));
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("VODOKANAL_") {
                command.env_remove(name);
            }
        }
        command
            .env("VODOKANAL_DATABASE_URL", self.database_url())
            .env("VODOKANAL_LOG", "warn")
            .current_dir(self.dir.path())
            .args(args);
        command
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

#[test]
fn a_bad_setting_is_one_line_and_exit_code_1() {
    let workspace = Workspace::new();
    let output = workspace
        .command(&["serve"])
        .env("VODOKANAL_READING_WINDOW", "15-")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stderr(&output),
        "error: VODOKANAL_READING_WINDOW: reading window must be written FROM-TO, e.g. 15-25 (got \"15-\")\n"
    );
    assert!(
        !workspace.path("test.db").exists(),
        "nothing starts before the configuration is whole"
    );

    for (provider, given, missing) in [
        (
            "yookassa",
            "VODOKANAL_YOOKASSA_SECRET_KEY",
            "VODOKANAL_YOOKASSA_SHOP_ID",
        ),
        (
            "tbank",
            "VODOKANAL_TBANK_PASSWORD",
            "VODOKANAL_TBANK_TERMINAL_KEY",
        ),
    ] {
        for command in [&["serve"][..], &["reconcile-payments"][..]] {
            let output = workspace
                .command(command)
                .env("VODOKANAL_PAYMENTS", provider)
                .env(given, "s3cret")
                .output()
                .unwrap();
            assert_eq!(output.status.code(), Some(1));
            assert_eq!(
                stderr(&output),
                format!("error: {missing}: required with VODOKANAL_PAYMENTS={provider}\n")
            );
        }
    }
    assert!(!workspace.path("test.db").exists());
}

#[test]
fn an_unreachable_database_is_one_line_and_exit_code_1() {
    let workspace = Workspace::new();
    let output = workspace
        .command(&["migrate"])
        .env(
            "VODOKANAL_DATABASE_URL",
            "postgres://app:s3cret@127.0.0.1:1/vodokanal",
        )
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    assert!(
        message.starts_with(
            "error: VODOKANAL_DATABASE_URL: the database postgres://app:***@127.0.0.1:1/vodokanal can't be used: "
        ),
        "{message}"
    );
    assert_eq!(message.lines().count(), 1, "{message}");
    assert!(!message.contains("s3cret"));
}

#[test]
fn smsru_without_its_api_id_does_not_start_and_never_prints_it() {
    let workspace = Workspace::new();
    let output = workspace
        .command(&["serve"])
        .env("VODOKANAL_SMS", "smsru")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stderr(&output),
        "error: VODOKANAL_SMSRU_API_ID: required with VODOKANAL_SMS=smsru: the api_id from the SMS.ru cabinet\n"
    );

    let output = workspace
        .command(&["serve"])
        .env("VODOKANAL_SMS", "smsru")
        .env("VODOKANAL_SMSRU_API_ID", "s3cret-api-id")
        .env("VODOKANAL_SMSRU_URL", "sms.ru")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    assert!(
        message.starts_with("error: VODOKANAL_SMSRU_URL: "),
        "{message}"
    );
    assert!(!message.contains("s3cret-api-id"), "{message}");
    assert!(
        !workspace.path("test.db").exists(),
        "nothing starts before the configuration is whole"
    );
}

#[test]
fn migrate_creates_the_database_and_can_run_twice() {
    let workspace = Workspace::new();
    for _ in 0..2 {
        let output = workspace.run(&["migrate"]);
        assert!(output.status.success(), "{}", stderr(&output));
        assert!(stdout(&output).starts_with("migrations applied"));
    }
    assert!(workspace.path("test.db").exists());
}

#[test]
fn import_registry_reports_counts_and_rejected_lines_and_is_idempotent() {
    let workspace = Workspace::new();
    let file = workspace.path("registry.csv");
    std::fs::write(&file, REGISTRY).unwrap();
    let file = file.to_str().unwrap();

    let first = workspace.run(&["import-registry", file]);
    assert!(first.status.success(), "{}", stderr(&first));
    assert_eq!(
        stdout(&first),
        "inserted: 3\nupdated: 0\nrejected: 1\n\
         line 4: debt: amount is not a number of roubles with at most two decimals\n"
    );

    let second = workspace.run(&["import-registry", file]);
    assert!(second.status.success(), "{}", stderr(&second));
    assert!(stdout(&second).starts_with("inserted: 0\nupdated: 3\nrejected: 1\n"));

    let missing = workspace.run(&["import-registry", "no-such.csv"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(stderr(&missing).starts_with("error: no-such.csv can't be read: "));
    assert_eq!(stderr(&missing).lines().count(), 1);
}

#[test]
fn exports_write_csv_to_stdout_or_to_a_file() {
    let workspace = Workspace::new();
    let readings = workspace.run(&["export", "readings", "--period", "2026-11"]);
    assert!(readings.status.success(), "{}", stderr(&readings));
    assert_eq!(
        stdout(&readings),
        "account_number;meter_number;period;value;previous_value;consumption;submitted_at;source;full_name;phone\n"
    );

    let out = workspace.path("payments.csv");
    let payments = workspace.run(&[
        "export",
        "payments",
        "--from",
        "2026-11-01",
        "--to",
        "2026-11-30",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(payments.status.success(), "{}", stderr(&payments));
    assert_eq!(stdout(&payments), "");
    assert!(
        std::fs::read_to_string(&out)
            .unwrap()
            .starts_with("id;account_number;purpose;amount;status;")
    );
    assert!(!workspace.path("payments.csv.partial").exists());
    // Personal data: readable by its owner only, also when it replaces a file open to all.
    let mode = |path: &Path| {
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(path).unwrap().permissions())
            & 0o777
    };
    assert_eq!(mode(&out), 0o600);
    std::fs::set_permissions(&out, std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();
    let again = workspace.run(&[
        "export",
        "readings",
        "--period",
        "2026-11",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(again.status.success(), "{}", stderr(&again));
    assert_eq!(mode(&out), 0o600);

    let visits = workspace.run(&["export", "visit-requests", "--status", "new"]);
    assert!(visits.status.success(), "{}", stderr(&visits));
    assert!(stdout(&visits).starts_with("id;kind;account_number;"));
}

#[test]
fn a_failed_export_leaves_no_file() {
    let workspace = Workspace::new();
    let out = workspace.path("readings.csv");
    let bad = workspace.run(&[
        "export",
        "readings",
        "--period",
        "2026-13",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(stderr(&bad).starts_with("error: --period: "));
    assert!(!out.exists());

    let nowhere = workspace.path("no/such/folder/readings.csv");
    let unwritable = workspace.run(&[
        "export",
        "readings",
        "--period",
        "2026-11",
        "--out",
        nowhere.to_str().unwrap(),
    ]);
    assert_eq!(unwritable.status.code(), Some(1));
    assert!(!nowhere.exists());
    assert!(!Path::new(&format!("{}.partial", nowhere.display())).exists());

    let backwards = workspace.run(&[
        "export",
        "payments",
        "--from",
        "2026-11-30",
        "--to",
        "2026-11-01",
    ]);
    assert_eq!(backwards.status.code(), Some(1));
    assert_eq!(
        stderr(&backwards),
        "error: --to: 2026-11-01 is before --from 2026-11-30\n"
    );
}

#[test]
fn reconcile_payments_reports_and_exits() {
    let workspace = Workspace::new();
    let output = workspace.run(&["reconcile-payments"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        "checked: 0\nsucceeded: 0\ncanceled: 0\nstill pending: 0\nfailed: 0\n"
    );
}

/// A port nothing listens on right now.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A bare HTTP/1.1 exchange: the status code and the body.
fn http(port: u16, method: &str, path: &str, body: &str) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    let content_type = if body.starts_with('{') {
        "application/json"
    } else {
        "application/x-www-form-urlencoded"
    };
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\
         Content-Type: {content_type}\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let status = response.split(' ').nth(1)?.parse().ok()?;
    let body = response.split_once("\r\n\r\n")?.1.to_owned();
    Some((status, body))
}

struct Server {
    child: Child,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(workspace: &Workspace) -> Server {
    let port = free_port();
    let child = workspace
        .command(&["serve"])
        .env("VODOKANAL_LISTEN", format!("127.0.0.1:{port}"))
        .env("VODOKANAL_PUBLIC_URL", format!("http://127.0.0.1:{port}"))
        .env("VODOKANAL_DEMO", "on")
        .env("VODOKANAL_SMS_OUTBOX", workspace.path("outbox.jsonl"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let server = Server { child, port };
    let deadline = Instant::now() + Duration::from_secs(30);
    while http(port, "GET", "/health/ready", "").map(|(status, _)| status) != Some(200) {
        assert!(Instant::now() < deadline, "the server did not become ready");
        std::thread::sleep(Duration::from_millis(100));
    }
    server
}

fn field(json: &str, name: &str) -> String {
    let start = json.find(&format!("\"{name}\":\"")).unwrap() + name.len() + 4;
    json[start..].split('"').next().unwrap().to_owned()
}

#[cfg(unix)]
#[test]
fn serve_loads_the_demo_pays_through_the_sandbox_and_stops_on_sigterm() {
    let workspace = Workspace::new();
    let mut server = start(&workspace);
    let port = server.port;

    let (status, payment) = http(
        port,
        "POST",
        "/api/v1/public/payments",
        r#"{"account_number": "100001", "purpose": "water", "amount": "100.00"}"#,
    )
    .unwrap();
    assert_eq!(status, 201, "{payment}");
    let id = field(&payment, "id");
    assert_eq!(
        field(&payment, "confirmation_url"),
        format!("http://127.0.0.1:{port}/sandbox/pay/{id}")
    );

    let (status, page) = http(port, "GET", &format!("/sandbox/pay/{id}"), "").unwrap();
    assert_eq!(status, 200);
    assert!(page.contains("100.00 ₽") && page.contains("Оплатить") && page.contains("Отменить"));

    let (status, page) = http(
        port,
        "POST",
        &format!("/sandbox/pay/{id}"),
        "result=succeeded",
    )
    .unwrap();
    assert_eq!(status, 200);
    assert!(page.contains("Платёж проведён"), "{page}");

    let (_, payment) = http(port, "GET", &format!("/api/v1/payments/{id}"), "").unwrap();
    assert_eq!(field(&payment, "status"), "succeeded");

    // A second choice changes nothing.
    let (_, page) = http(
        port,
        "POST",
        &format!("/sandbox/pay/{id}"),
        "result=canceled",
    )
    .unwrap();
    assert!(page.contains("Платёж проведён"), "{page}");

    let (status, _) = http(
        port,
        "POST",
        "/api/v1/auth/registration",
        r#"{"phone": "8 910 984-50-03", "email": "a@example.ru", "consent_personal_data": true}"#,
    )
    .unwrap();
    assert_eq!(status, 202);
    // The background sender delivers the queued SMS within about a second.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    let outbox = loop {
        let outbox = std::fs::read_to_string(workspace.path("outbox.jsonl")).unwrap_or_default();
        if !outbox.is_empty() || std::time::Instant::now() > deadline {
            break outbox;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    assert!(
        outbox.starts_with("{\"to\":\"+79109845003\",\"text\":\""),
        "{outbox}"
    );

    let (status, _) = http(port, "GET", "/sandbox/pay/not-a-payment", "").unwrap();
    assert_eq!(status, 404);

    // The web client at `/`, the API's own 404 for what is not its route.
    let (status, page) = http(port, "GET", "/", "").unwrap();
    assert_eq!(status, 200);
    assert!(page.contains("/assets/js/app.js"), "{page}");
    let (status, problem) = http(port, "GET", "/api/v1/no-such-route", "").unwrap();
    assert_eq!(status, 404);
    assert_eq!(field(&problem, "code"), "not_found");

    let killed = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "the server did not stop");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(0));
}

#[test]
fn the_demo_is_loaded_once() {
    let workspace = Workspace::new();
    drop(start(&workspace));
    // The demo is there: importing it again updates every row and inserts none.
    let file = workspace.path("demo.csv");
    std::fs::write(&file, vodokanal_server::demo::REGISTRY).unwrap();
    let output = workspace.run(&["import-registry", file.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(stdout(&output), "inserted: 0\nupdated: 7\nrejected: 0\n");
    drop(start(&workspace));
}

#[test]
fn readings_void_voids_a_reading_once_and_refuses_a_missing_one() {
    let workspace = Workspace::new();
    let file = workspace.path("registry.csv");
    std::fs::write(&file, REGISTRY).unwrap();
    let imported = workspace.run(&["import-registry", file.to_str().unwrap()]);
    assert!(imported.status.success(), "{}", stderr(&imported));

    // The registry's reading of October is the one reading there is.
    let void = |meter: &str, period: &str| {
        workspace
            .command(&[
                "readings",
                "void",
                "--meter",
                meter,
                "--period",
                period,
                "--reason",
                "показание передал посторонний",
            ])
            .env("VODOKANAL_LOG", "info")
            .output()
            .unwrap()
    };
    let voided = void("ВСХ-0011234", "2026-10");
    assert!(voided.status.success(), "{}", stderr(&voided));
    assert_eq!(
        stdout(&voided),
        "voided: meter ВСХ-0011234 period 2026-10 value 123.456 source registry\n"
    );
    let log = stderr(&voided);
    assert!(
        log.contains("WARN") && log.contains("reading voided by the operator"),
        "{log}"
    );

    let again = void("ВСХ-0011234", "2026-10");
    assert_eq!(again.status.code(), Some(1));
    assert_eq!(
        stderr(&again)
            .lines()
            .filter(|line| line.starts_with("error: "))
            .collect::<Vec<_>>(),
        ["error: meter ВСХ-0011234 has no reading of 2026-10 to void"]
    );
    let unknown = void("ВСХ-0000000", "2026-10");
    assert_eq!(unknown.status.code(), Some(1));
    let bad_period = void("ВСХ-0011234", "2026-13");
    assert_eq!(bad_period.status.code(), Some(1));
    assert!(stderr(&bad_period).starts_with("error: --period: "));

    let no_reason = workspace.run(&[
        "readings",
        "void",
        "--meter",
        "ВСХ-0011234",
        "--period",
        "2026-10",
        "--reason",
        "  ",
    ]);
    assert_eq!(no_reason.status.code(), Some(1));
    assert_eq!(stderr(&no_reason), "error: --reason: the reason is empty\n");
}
