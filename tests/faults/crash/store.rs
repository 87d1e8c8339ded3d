//! The database of a deployment read directly (sqlx), after the load: the rows the writes
//! leave, and the store's own integrity checks.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgPool, PgPoolOptions, PgRow};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions, SqliteRow};
use sqlx::{FromRow, Postgres, Sqlite};
use vodokanal_e2e::{Backend, Deployment};

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, FromRow)]
pub struct ReadingRow {
    pub id: String,
    pub account: String,
    pub meter: String,
    pub litres: i64,
    pub source: String,
    pub user_id: Option<String>,
    pub submitter_name: Option<String>,
    pub submitter_phone: Option<String>,
    pub voided: bool,
}

#[derive(Debug, Clone, FromRow)]
pub struct PaymentRow {
    pub id: String,
    pub account: String,
    pub purpose: String,
    pub kopecks: i64,
    pub status: String,
    pub provider_payment_id: Option<String>,
    pub user_id: Option<String>,
}

#[derive(Debug, Clone, FromRow)]
pub struct VisitRow {
    pub id: String,
    pub kind: String,
    pub account: String,
    pub meter: Option<String>,
    pub phone: String,
    pub date: String,
    pub time: String,
    pub notes: Option<String>,
    pub status: String,
    pub user_id: Option<String>,
}

/// An `Idempotency-Key` record: its endpoint, and its answer once there is one.
#[derive(Debug, Clone, FromRow)]
pub struct RecordRow {
    pub endpoint: String,
    pub status: Option<i64>,
    pub body: Option<Vec<u8>>,
}

/// What the writes left: the readings given (not the registry's), payments, visit requests,
/// users (id, phone) and idempotency records.
#[derive(Debug)]
pub struct Snapshot {
    pub readings: Vec<ReadingRow>,
    pub payments: Vec<PaymentRow>,
    pub visits: Vec<VisitRow>,
    pub users: Vec<(String, String)>,
    pub records: Vec<RecordRow>,
}

/// A query in each dialect.
struct Sql {
    sqlite: &'static str,
    postgres: &'static str,
}

impl Sql {
    const fn both(sql: &'static str) -> Self {
        Self {
            sqlite: sql,
            postgres: sql,
        }
    }
}

#[derive(Debug)]
pub enum Store {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Each rule a store must keep whatever crashed: a count of the rows that break it, 0 when kept.
const INVARIANTS: &[(&str, &str)] = &[
    (
        "readings of a meter the registry lacks",
        "SELECT count(*) FROM readings r \
         WHERE NOT EXISTS (SELECT 1 FROM meters m WHERE m.number = r.meter_number)",
    ),
    (
        "meters of an account the registry lacks",
        "SELECT count(*) FROM meters m \
         WHERE NOT EXISTS (SELECT 1 FROM accounts a WHERE a.number = m.account_number)",
    ),
    (
        "payments of an account the registry lacks",
        "SELECT count(*) FROM payments p \
         WHERE NOT EXISTS (SELECT 1 FROM accounts a WHERE a.number = p.account_number)",
    ),
    (
        "visit requests of an account the registry lacks",
        "SELECT count(*) FROM visit_requests v \
         WHERE NOT EXISTS (SELECT 1 FROM accounts a WHERE a.number = v.account_number)",
    ),
    (
        "links of a user or an account that does not exist",
        "SELECT count(*) FROM account_links l \
         WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.id = l.user_id) \
            OR NOT EXISTS (SELECT 1 FROM accounts a WHERE a.number = l.account_number)",
    ),
    (
        "sessions of a user that does not exist",
        "SELECT count(*) FROM sessions s \
         WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.id = s.user_id)",
    ),
    (
        "readings of a user that does not exist",
        "SELECT count(*) FROM readings r WHERE r.user_id IS NOT NULL \
         AND NOT EXISTS (SELECT 1 FROM users u WHERE u.id = r.user_id)",
    ),
    (
        "payments of a user that does not exist",
        "SELECT count(*) FROM payments p WHERE p.user_id IS NOT NULL \
         AND NOT EXISTS (SELECT 1 FROM users u WHERE u.id = p.user_id)",
    ),
    (
        "visit requests of a user that does not exist",
        "SELECT count(*) FROM visit_requests v WHERE v.user_id IS NOT NULL \
         AND NOT EXISTS (SELECT 1 FROM users u WHERE u.id = v.user_id)",
    ),
    (
        "meters and periods with more than one live reading",
        "SELECT count(*) FROM (SELECT meter_number, period FROM readings \
         WHERE voided_at IS NULL GROUP BY meter_number, period HAVING count(*) > 1) AS twice",
    ),
    (
        "cabinet readings without their subscriber, anonymous ones without name and phone",
        "SELECT count(*) FROM readings WHERE (source = 'cabinet' AND user_id IS NULL) \
         OR (source = 'anonymous' AND (submitter_name IS NULL OR submitter_phone IS NULL))",
    ),
    (
        "payments with a provider id but no confirmation URL, or the other way round",
        "SELECT count(*) FROM payments \
         WHERE (provider_payment_id IS NULL) <> (confirmation_url IS NULL)",
    ),
    (
        "succeeded payments without the time they were paid",
        "SELECT count(*) FROM payments WHERE status = 'succeeded' AND paid_at IS NULL",
    ),
    (
        "idempotency claims left without an answer",
        "SELECT count(*) FROM idempotency_records WHERE response_status IS NULL",
    ),
];

impl Store {
    /// Connects to the deployment's database.
    pub async fn open(deployment: &Deployment, backend: Backend) -> Self {
        let url = deployment.database_url();
        match backend {
            Backend::Sqlite => {
                let options = SqliteConnectOptions::from_str(url)
                    .unwrap()
                    .create_if_missing(false);
                let pool = SqlitePoolOptions::new()
                    .max_connections(1)
                    .acquire_timeout(CONNECT_TIMEOUT)
                    .connect_with(options)
                    .await
                    .unwrap();
                Self::Sqlite(pool)
            }
            Backend::Postgres => {
                let pool = PgPoolOptions::new()
                    .max_connections(1)
                    .acquire_timeout(CONNECT_TIMEOUT)
                    .connect(url)
                    .await
                    .unwrap();
                Self::Postgres(pool)
            }
        }
    }

    async fn rows<T>(&self, sql: &Sql) -> Vec<T>
    where
        T: Send + Unpin + for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow>,
    {
        match self {
            Self::Sqlite(pool) => sqlx::query_as::<Sqlite, T>(sql.sqlite)
                .fetch_all(pool)
                .await
                .unwrap_or_else(|error| panic!("{}: {error}", sql.sqlite)),
            Self::Postgres(pool) => sqlx::query_as::<Postgres, T>(sql.postgres)
                .fetch_all(pool)
                .await
                .unwrap_or_else(|error| panic!("{}: {error}", sql.postgres)),
        }
    }

    /// Everything the writes left.
    pub async fn snapshot(&self) -> Snapshot {
        Snapshot {
            readings: self
                .rows(&Sql {
                    sqlite: "SELECT id, account_number AS account, meter_number AS meter, \
                             value_litres AS litres, source, user_id, submitter_name, \
                             submitter_phone, voided_at IS NOT NULL AS voided \
                             FROM readings WHERE source <> 'registry'",
                    postgres: "SELECT id::text, account_number AS account, meter_number AS meter, \
                               value_litres AS litres, source, user_id::text, submitter_name, \
                               submitter_phone, voided_at IS NOT NULL AS voided \
                               FROM readings WHERE source <> 'registry'",
                })
                .await,
            payments: self
                .rows(&Sql {
                    sqlite: "SELECT id, account_number AS account, purpose, \
                             amount_kopecks AS kopecks, status, provider_payment_id, user_id \
                             FROM payments",
                    postgres: "SELECT id::text, account_number AS account, purpose, \
                               amount_kopecks AS kopecks, status, provider_payment_id, \
                               user_id::text FROM payments",
                })
                .await,
            visits: self
                .rows(&Sql {
                    sqlite: "SELECT id, kind, account_number AS account, meter_number AS meter, \
                             phone, visit_date AS date, visit_time AS time, notes, status, \
                             user_id FROM visit_requests",
                    postgres: "SELECT id::text, kind, account_number AS account, \
                               meter_number AS meter, phone, visit_date::text AS date, \
                               to_char(visit_time, 'HH24:MI') AS time, notes, status, \
                               user_id::text FROM visit_requests",
                })
                .await,
            users: self
                .rows(&Sql {
                    sqlite: "SELECT id, phone FROM users",
                    postgres: "SELECT id::text, phone FROM users",
                })
                .await,
            records: self
                .rows(&Sql {
                    sqlite: "SELECT endpoint, response_status AS status, response_body AS body \
                             FROM idempotency_records",
                    postgres: "SELECT endpoint, response_status::bigint AS status, \
                               response_body AS body FROM idempotency_records",
                })
                .await,
        }
    }

    /// The store's own checks: on SQLite `PRAGMA integrity_check` and `foreign_key_check`; on
    /// both, [`INVARIANTS`]. Each broken one, described.
    pub async fn integrity(&self) -> Vec<String> {
        let mut broken = Vec::new();
        if let Self::Sqlite(_) = self {
            let check: Vec<(String,)> = self.rows(&Sql::both("PRAGMA integrity_check")).await;
            if check.iter().map(|(line,)| line.as_str()).ne(["ok"]) {
                broken.push(format!("PRAGMA integrity_check: {check:?}"));
            }
            let foreign: Vec<(String, Option<i64>, String, i64)> =
                self.rows(&Sql::both("PRAGMA foreign_key_check")).await;
            if !foreign.is_empty() {
                broken.push(format!("PRAGMA foreign_key_check: {foreign:?}"));
            }
        }
        for (rule, sql) in INVARIANTS {
            let (count,): (i64,) = self.rows(&Sql::both(sql)).await.into_iter().next().unwrap();
            if count != 0 {
                broken.push(format!("{count} {rule}"));
            }
        }
        broken
    }

    pub async fn close(self) {
        match self {
            Self::Sqlite(pool) => pool.close().await,
            Self::Postgres(pool) => pool.close().await,
        }
    }
}
