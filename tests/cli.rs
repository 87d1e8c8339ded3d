//! The `vodokanal` binary's command line from outside, on a temporary SQLite database: the
//! settings' one-line errors, migrate, import-registry, export (and their summaries on standard
//! error), reconcile-payments, readings void, and serve with the demo, the sandbox and its
//! graceful stop.
#![expect(
    clippy::unwrap_used,
    reason = "a test that can't set up fails the test loudly"
)]

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use sqlx::Connection;
use vodokanal_e2e::{Backend, Deployment, demo};

const REGISTRY: &str = "\
account_number;address;debt;balance_as_of;meter_number;meter_service;verification_due;last_reading;last_reading_date
123456;г. Иваново, ул. Лежневская, д. 1;1234.50;2026-10-31;ВСХ-0011234;cold_water;2030-01-15;123.456;2026-10-25
123456;г. Иваново, ул. Лежневская, д. 1;1234.50;2026-10-31;ВГВ-0022345;hot_water;;;
777777;Адрес;abc;2026-10-31;;;;;
654321;\"г. Иваново, ул. Парижской Коммуны; д. 5\";-10.00;2026-10-31;;;;;
";

async fn sqlite() -> Deployment {
    Deployment::new(Backend::Sqlite).await
}

/// The SQLite file of `deployment`: there once a command has opened the database.
fn database_file(deployment: &Deployment) -> PathBuf {
    let url = deployment.database_url();
    PathBuf::from(url.strip_prefix("sqlite://").unwrap())
}

/// `text` written to `name` in the deployment's folder: the file's path.
fn write(deployment: &Deployment, name: &str, text: &str) -> String {
    let file = deployment.dir().join(name);
    std::fs::write(&file, text).unwrap();
    file.to_str().unwrap().to_owned()
}

/// `name` in the deployment's folder.
fn path(deployment: &Deployment, name: &str) -> String {
    deployment.dir().join(name).to_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_bad_setting_is_one_line_and_exit_code_1() {
    let deployment = sqlite().await;
    let exit = deployment
        .try_run(&["serve"], &[("VODOKANAL_READING_WINDOW", "15-")])
        .await;
    assert_eq!(exit.code, Some(1));
    assert_eq!(
        exit.stderr,
        "error: VODOKANAL_READING_WINDOW: reading window must be written FROM-TO, e.g. 15-25 (got \"15-\")\n"
    );
    assert!(
        !database_file(&deployment).exists(),
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
        for command in ["serve", "reconcile-payments"] {
            let settings = [("VODOKANAL_PAYMENTS", provider), (given, "s3cret")];
            let exit = deployment.try_run(&[command], &settings).await;
            assert_eq!(exit.code, Some(1));
            assert_eq!(
                exit.stderr,
                format!("error: {missing}: required with VODOKANAL_PAYMENTS={provider}\n")
            );
        }
    }
    assert!(!database_file(&deployment).exists());
}

#[tokio::test]
async fn the_payees_bank_details_are_all_or_none_and_checked_at_start() {
    let deployment = sqlite().await;
    let exit = deployment
        .try_run(&["serve"], &[("VODOKANAL_PAYEE_NAME", "МУП «Водоканал»")])
        .await;
    assert_eq!(exit.code, Some(1));
    assert_eq!(
        exit.stderr,
        "error: VODOKANAL_PAYEE_ACCOUNT: the payee's bank details are all or none: missing \
         VODOKANAL_PAYEE_ACCOUNT, VODOKANAL_PAYEE_BANK, VODOKANAL_PAYEE_BIC, \
         VODOKANAL_PAYEE_CORR_ACCOUNT, VODOKANAL_PAYEE_INN, VODOKANAL_PAYEE_KPP\n"
    );

    // The README's example with the settlement account's control key spoilt.
    let settings = [
        ("VODOKANAL_PAYEE_NAME", "МУП «Водоканал»"),
        ("VODOKANAL_PAYEE_ACCOUNT", "40702810700000012345"),
        ("VODOKANAL_PAYEE_BANK", "ПАО «Банк Пример»"),
        ("VODOKANAL_PAYEE_BIC", "042406999"),
        ("VODOKANAL_PAYEE_CORR_ACCOUNT", "30101810900000000999"),
        ("VODOKANAL_PAYEE_INN", "3702012348"),
        ("VODOKANAL_PAYEE_KPP", "370201001"),
    ];
    let exit = deployment.try_run(&["serve"], &settings).await;
    assert_eq!(exit.code, Some(1));
    assert_eq!(
        exit.stderr,
        "error: VODOKANAL_PAYEE_ACCOUNT: the control key does not match the BIC 042406999 \
         (got \"40702810700000012345\"): check both\n"
    );
    assert!(
        !database_file(&deployment).exists(),
        "nothing starts before the configuration is whole"
    );
}

#[tokio::test]
async fn an_unreachable_database_is_one_line_and_exit_code_1() {
    let url = "postgres://app:s3cret@127.0.0.1:1/vodokanal";
    let exit = sqlite()
        .await
        .try_run(&["migrate"], &[("VODOKANAL_DATABASE_URL", url)])
        .await;
    assert_eq!(exit.code, Some(1));
    let message = exit.stderr;
    assert!(
        message.starts_with(
            "error: VODOKANAL_DATABASE_URL: the database postgres://app:***@127.0.0.1:1/vodokanal can't be used: "
        ),
        "{message}"
    );
    assert_eq!(message.lines().count(), 1, "{message}");
    assert!(!message.contains("s3cret"));
}

#[tokio::test]
async fn smsru_without_its_api_id_does_not_start_and_never_prints_it() {
    let deployment = sqlite().await;
    let exit = deployment
        .try_run(&["serve"], &[("VODOKANAL_SMS", "smsru")])
        .await;
    assert_eq!(exit.code, Some(1));
    assert_eq!(
        exit.stderr,
        "error: VODOKANAL_SMSRU_API_ID: required with VODOKANAL_SMS=smsru: the api_id from the SMS.ru cabinet\n"
    );

    let settings = [
        ("VODOKANAL_SMS", "smsru"),
        ("VODOKANAL_SMSRU_API_ID", "s3cret-api-id"),
        ("VODOKANAL_SMSRU_URL", "sms.ru"),
    ];
    let exit = deployment.try_run(&["serve"], &settings).await;
    assert_eq!(exit.code, Some(1));
    let message = exit.stderr;
    assert!(
        message.starts_with("error: VODOKANAL_SMSRU_URL: "),
        "{message}"
    );
    assert!(!message.contains("s3cret-api-id"), "{message}");
    assert!(
        !database_file(&deployment).exists(),
        "nothing starts before the configuration is whole"
    );
}

#[tokio::test]
async fn migrate_creates_the_database_and_can_run_twice() {
    let deployment = sqlite().await;
    for _ in 0..2 {
        let stdout = deployment.run("migrate", &[]).await;
        assert!(stdout.starts_with("migrations applied"), "{stdout}");
    }
    assert!(database_file(&deployment).exists());
}

#[tokio::test]
async fn import_registry_reports_counts_and_rejected_lines_and_is_idempotent() {
    let deployment = sqlite().await;
    let file = write(&deployment, "registry.csv", REGISTRY);

    let first = deployment.run_args(&["import-registry", &file], &[]).await;
    assert_eq!(
        first,
        "inserted: 3\nupdated: 0\nrejected: 1\n\
         line 4: debt: amount is not a number of roubles with at most two decimals\n"
    );

    let second = deployment.run_args(&["import-registry", &file], &[]).await;
    assert!(second.starts_with("inserted: 0\nupdated: 3\nrejected: 1\n"));

    let missing = deployment
        .try_run(&["import-registry", "no-such.csv"], &[])
        .await;
    assert_eq!(missing.code, Some(1));
    assert!(
        missing
            .stderr
            .starts_with("error: no-such.csv can't be read: ")
    );
    assert_eq!(missing.stderr.lines().count(), 1);
}

#[tokio::test]
async fn exports_write_csv_to_stdout_or_to_a_file() {
    let deployment = sqlite().await;
    let readings = deployment
        .run_args(&["export", "readings", "--period", "2026-11"], &[])
        .await;
    assert_eq!(
        readings,
        "account_number;meter_number;period;value;previous_value;consumption;submitted_at;source;full_name;phone\n"
    );

    let out = path(&deployment, "payments.csv");
    let payments = deployment
        .run_args(
            &[
                "export",
                "payments",
                "--from",
                "2026-11-01",
                "--to",
                "2026-11-30",
                "--out",
                &out,
            ],
            &[],
        )
        .await;
    assert_eq!(payments, "");
    assert!(
        std::fs::read_to_string(&out)
            .unwrap()
            .starts_with("id;account_number;purpose;amount;status;")
    );
    assert!(!Path::new(&format!("{out}.partial")).exists());
    // Personal data: readable by its owner only, also when it replaces a file open to all.
    let mode = |path: &str| {
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(path).unwrap().permissions())
            & 0o777
    };
    assert_eq!(mode(&out), 0o600);
    std::fs::set_permissions(&out, std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();
    deployment
        .run_args(
            &["export", "readings", "--period", "2026-11", "--out", &out],
            &[],
        )
        .await;
    assert_eq!(mode(&out), 0o600);

    let visits = deployment
        .run_args(&["export", "visit-requests", "--status", "new"], &[])
        .await;
    assert!(visits.starts_with("id;kind;account_number;"), "{visits}");
}

/// The one line of `log` that holds `start`: an INFO line that ends with `end`.
fn assert_summary(log: &str, start: &str, end: &str) {
    let lines: Vec<&str> = log.lines().filter(|l| l.contains(start)).collect();
    assert_eq!(lines.len(), 1, "{log}");
    assert!(
        lines[0].contains(" INFO ") && lines[0].ends_with(end),
        "{log}"
    );
}

#[tokio::test]
async fn import_and_export_log_a_summary_and_keep_standard_output_as_it_was() {
    let deployment = sqlite().await;
    let file = write(&deployment, "registry.csv", REGISTRY);
    // Standard error is a pipe here, not a terminal: the progress goes to the log.
    let info = [("VODOKANAL_LOG", "info")];
    let import = deployment.try_run(&["import-registry", &file], &info).await;
    assert_eq!(import.code, Some(0), "{}", import.stderr);
    assert_eq!(
        import.stdout,
        "inserted: 3\nupdated: 0\nrejected: 1\n\
         line 4: debt: amount is not a number of roubles with at most two decimals\n"
    );
    assert_summary(
        &import.stderr,
        "the registry was imported in ",
        " s: 4 rows, inserted 3, updated 0, rejected 1",
    );

    // Two readings subscribers gave in December, put straight into the database.
    let mut database = sqlx::SqliteConnection::connect(deployment.database_url())
        .await
        .unwrap();
    for (id, meter) in [
        ("00000000-0000-4000-8000-000000000001", "ВСХ-0011234"),
        ("00000000-0000-4000-8000-000000000002", "ВГВ-0022345"),
    ] {
        sqlx::query(
            "INSERT INTO readings (id, account_number, meter_number, period, value_litres, \
             submitted_at, source, warnings) \
             VALUES (?, '123456', ?, 202612, 500000, '2026-12-20T09:00:00.000000Z', 'cabinet', '')",
        )
        .bind(id)
        .bind(meter)
        .execute(&mut database)
        .await
        .unwrap();
    }
    database.close().await.unwrap();

    let export = deployment
        .try_run(&["export", "readings", "--period", "2026-12"], &info)
        .await;
    assert_eq!(export.code, Some(0), "{}", export.stderr);
    assert!(
        export
            .stdout
            .starts_with("account_number;meter_number;period;"),
        "{}",
        export.stdout
    );
    assert_eq!(export.stdout.lines().count(), 3, "{}", export.stdout);
    assert_summary(
        &export.stderr,
        "the readings export was written in ",
        " s: 2 rows",
    );

    let out = path(&deployment, "readings.csv");
    let to_file = deployment
        .try_run(
            &["export", "readings", "--period", "2026-12", "--out", &out],
            &info,
        )
        .await;
    assert_eq!(to_file.code, Some(0), "{}", to_file.stderr);
    assert_eq!(to_file.stdout, "");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), export.stdout);
    assert_summary(
        &to_file.stderr,
        "the readings export was written in ",
        " s: 2 rows",
    );
}

#[tokio::test]
async fn a_failed_export_leaves_no_file() {
    let deployment = sqlite().await;
    let out = path(&deployment, "readings.csv");
    let bad = deployment
        .try_run(
            &["export", "readings", "--period", "2026-13", "--out", &out],
            &[],
        )
        .await;
    assert_eq!(bad.code, Some(1));
    assert!(
        bad.stderr.starts_with("error: --period: "),
        "{}",
        bad.stderr
    );
    assert!(!Path::new(&out).exists());

    let nowhere = path(&deployment, "no/such/folder/readings.csv");
    let unwritable = deployment
        .try_run(
            &[
                "export", "readings", "--period", "2026-11", "--out", &nowhere,
            ],
            &[],
        )
        .await;
    assert_eq!(unwritable.code, Some(1));
    assert!(!Path::new(&nowhere).exists());
    assert!(!Path::new(&format!("{nowhere}.partial")).exists());

    let backwards = deployment
        .try_run(
            &[
                "export",
                "payments",
                "--from",
                "2026-11-30",
                "--to",
                "2026-11-01",
            ],
            &[],
        )
        .await;
    assert_eq!(backwards.code, Some(1));
    assert_eq!(
        backwards.stderr,
        "error: --to: 2026-11-01 is before --from 2026-11-30\n"
    );
}

#[tokio::test]
async fn reconcile_payments_reports_and_exits() {
    let stdout = sqlite().await.run("reconcile-payments", &[]).await;
    assert_eq!(
        stdout,
        "checked: 0\nsucceeded: 0\ncanceled: 0\nstill pending: 0\nfailed: 0\n"
    );
}

#[cfg(unix)]
#[tokio::test]
async fn serve_loads_the_demo_pays_through_the_sandbox_and_stops_on_sigterm() {
    let server = sqlite().await.start().await;

    let body = json!({"account_number": demo::ACCOUNT, "purpose": "water", "amount": "100.00"});
    let payment = server
        .api("POST", "/public/payments", None, &body)
        .await
        .expect(201)
        .json();
    let id = payment["id"].as_str().unwrap();
    assert_eq!(
        payment["confirmation_url"],
        format!("{}/sandbox/pay/{id}", server.base_url())
    );
    let sandbox = format!("/sandbox/pay/{id}");

    let page = server
        .request("GET", &sandbox)
        .send()
        .await
        .expect(200)
        .body;
    assert!(page.contains("100.00 ₽") && page.contains("Оплатить") && page.contains("Отменить"));

    let paid = server.request("POST", &sandbox).form("result=succeeded");
    let page = paid.send().await.expect(200).body;
    assert!(page.contains("Платёж проведён"), "{page}");
    let status = server.get(&format!("/payments/{id}"), None).await["status"].clone();
    assert_eq!(status, "succeeded");

    // A second choice changes nothing.
    let canceled = server.request("POST", &sandbox).form("result=canceled");
    let page = canceled.send().await.body;
    assert!(page.contains("Платёж проведён"), "{page}");

    // The background sender delivers the queued SMS.
    server
        .request_registration("8 910 984-50-03", "a@example.ru", true)
        .await
        .expect(202);
    let text = server.next_sms(demo::PHONE_E164).await;
    assert!(!text.is_empty());

    server
        .request("GET", "/sandbox/pay/not-a-payment")
        .send()
        .await
        .expect(404);

    // The web client at `/`, the API's own 404 for what is not its route.
    let page = server.request("GET", "/").send().await.expect(200).body;
    assert!(page.contains("/assets/js/app.js"), "{page}");
    let problem = server
        .api("GET", "/no-such-route", None, &Value::Null)
        .await
        .expect(404);
    assert_eq!(problem.code(), "not_found");

    assert_eq!(server.terminate().await, Some(0));
}

#[tokio::test]
async fn the_demo_is_loaded_once() {
    let deployment = sqlite().await;
    drop(deployment.start().await);
    // The demo is there: importing it again updates every row and inserts none.
    let file = write(&deployment, "demo.csv", demo::REGISTRY);
    let stdout = deployment.run_args(&["import-registry", &file], &[]).await;
    assert_eq!(stdout, "inserted: 0\nupdated: 7\nrejected: 0\n");
    drop(deployment.start().await);
}

#[tokio::test]
async fn readings_void_voids_a_reading_once_and_refuses_a_missing_one() {
    let deployment = sqlite().await;
    let file = write(&deployment, "registry.csv", REGISTRY);
    deployment.run_args(&["import-registry", &file], &[]).await;

    // The registry's reading of October is the one reading there is.
    let void = async |meter: &str, period: &str| {
        let reason = "показание передал посторонний";
        let args = [
            "readings", "void", "--meter", meter, "--period", period, "--reason", reason,
        ];
        deployment
            .try_run(&args, &[("VODOKANAL_LOG", "info")])
            .await
    };
    let voided = void("ВСХ-0011234", "2026-10").await;
    assert_eq!(voided.code, Some(0), "{}", voided.stderr);
    assert_eq!(
        voided.stdout,
        "voided: meter ВСХ-0011234 period 2026-10 value 123.456 source registry\n"
    );
    let log = voided.stderr;
    assert!(
        log.contains("WARN") && log.contains("reading voided by the operator"),
        "{log}"
    );

    let again = void("ВСХ-0011234", "2026-10").await;
    assert_eq!(again.code, Some(1));
    assert_eq!(
        again
            .stderr
            .lines()
            .filter(|line| line.starts_with("error: "))
            .collect::<Vec<_>>(),
        ["error: meter ВСХ-0011234 has no reading of 2026-10 to void"]
    );
    let unknown = void("ВСХ-0000000", "2026-10").await;
    assert_eq!(unknown.code, Some(1));
    let bad_period = void("ВСХ-0011234", "2026-13").await;
    assert_eq!(bad_period.code, Some(1));
    assert!(bad_period.stderr.starts_with("error: --period: "));

    let no_reason = deployment
        .try_run(
            &[
                "readings",
                "void",
                "--meter",
                "ВСХ-0011234",
                "--period",
                "2026-10",
                "--reason",
                "  ",
            ],
            &[],
        )
        .await;
    assert_eq!(no_reason.code, Some(1));
    assert_eq!(no_reason.stderr, "error: --reason: the reason is empty\n");
}
