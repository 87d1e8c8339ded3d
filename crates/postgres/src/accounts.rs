//! The registry's accounts with their meters, subscribers' links to them, and meters by number.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::postgres::PgRow;
use tracing::instrument;
use vodokanal_app::StoreError;
use vodokanal_app::ports::{
    AccountRepository, AccountSnapshot, LatestReading, LinkError, LinkNotice, LocatedMeter,
    MeterRepository, Paid, SmsPurpose,
};
use vodokanal_domain::{
    Account, AccountNumber, Label, LinkedAccount, Meter, MeterNumber, Money, UserId,
};

use crate::error::{store_error, violated_unique};
use crate::pg_store;
use crate::rows::{corrupt, get, parse, parse_optional, reading_value, unsigned};

pg_store!(
    /// `AccountRepository` on PostgreSQL: `accounts`, `meters` and `account_links`.
    PgAccountRepository
);

pg_store!(
    /// `MeterRepository` on PostgreSQL: the `meters` table.
    PgMeterRepository
);

fn meter_from_row(row: &PgRow) -> Result<Meter, StoreError> {
    Ok(Meter {
        number: parse(row, "number")?,
        service: parse(row, "service")?,
        verification_due: get(row, "verification_due")?,
    })
}

/// An account without its meters, from `number, address, balance_kopecks, balance_as_of`.
fn account_from_row(row: &PgRow) -> Result<Account, StoreError> {
    let kopecks: i64 = get(row, "balance_kopecks")?;
    Ok(Account {
        number: parse(row, "number")?,
        address: get(row, "address")?,
        balance: vodokanal_domain::Balance::from_kopecks(kopecks)
            .map_err(|e| corrupt("balance_kopecks", e))?,
        balance_as_of: get(row, "balance_as_of")?,
        meters: Vec::new(),
    })
}

const ACCOUNT_COLUMNS: &str = "a.number, a.address, a.balance_kopecks, a.balance_as_of";

/// The meters of account `a` as parallel arrays in number order (`NULL` for none), for a
/// `CROSS JOIN LATERAL`.
const METER_ARRAYS: &str = "SELECT array_agg(m.number ORDER BY m.number) AS numbers, \
     array_agg(m.service ORDER BY m.number) AS services, \
     array_agg(m.verification_due ORDER BY m.number) AS dues \
     FROM meters m WHERE m.account_number = a.number";

impl PgAccountRepository {
    /// The user's linked accounts (one or all) with their meters, in one statement.
    async fn linked_where(
        &self,
        user: UserId,
        number: Option<&AccountNumber>,
    ) -> Result<Vec<LinkedAccount>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {ACCOUNT_COLUMNS}, l.label, l.linked_at, m.numbers, m.services, m.dues \
             FROM account_links l \
             JOIN accounts a ON a.number = l.account_number \
             CROSS JOIN LATERAL ({METER_ARRAYS}) m \
             WHERE l.user_id = $1 AND ($2::text IS NULL OR l.account_number = $2) \
             ORDER BY l.linked_at, l.account_number"
        ))
        .bind(user.as_uuid())
        .bind(number.map(AccountNumber::as_str))
        .fetch_all(&self.pool)
        .await
        .map_err(store_error)?;
        rows.iter()
            .map(|row| {
                let mut account = account_from_row(row)?;
                account.meters = meters_from_arrays(row)?;
                Ok(LinkedAccount {
                    account,
                    label: parse_optional::<Label>(row, "label")?,
                    linked_at: get(row, "linked_at")?,
                })
            })
            .collect()
    }
}

/// The meters of a row's parallel arrays `numbers`, `services`, `dues`, in their order.
fn meters_from_arrays(row: &PgRow) -> Result<Vec<Meter>, StoreError> {
    let numbers: Vec<String> = array(row, "numbers")?;
    let services: Vec<String> = array(row, "services")?;
    let dues: Vec<Option<chrono::NaiveDate>> = array(row, "dues")?;
    if services.len() != numbers.len() || dues.len() != numbers.len() {
        return Err(corrupt("numbers", "arrays of different lengths"));
    }
    numbers
        .into_iter()
        .zip(services)
        .zip(dues)
        .map(|((number, service), verification_due)| {
            Ok(Meter {
                number: number.parse().map_err(|e| corrupt("meters.number", e))?,
                service: service.parse().map_err(|e| corrupt("meters.service", e))?,
                verification_due,
            })
        })
        .collect()
}

/// The user's linked accounts (one, with `$2`, or all) as the cabinet shows them, in one
/// statement: the meters with each one's last live reading as parallel arrays in meter order,
/// the succeeded payments from the start (UTC) of the balance day as parallel arrays, and the
/// count of the other holders. Every part is an index probe: `account_links` by its key,
/// `meters` by account, `readings` by the live `(meter_number, period)` index, `payments` by
/// `(account_number, created_at)`, the other holders by `account_links(account_number)`.
const SNAPSHOTS: &str = "SELECT a.number, a.address, a.balance_kopecks, a.balance_as_of, \
         l.label, l.linked_at, m.numbers, m.services, m.dues, m.read_litres, m.read_at, \
         p.amounts, p.paid_at, \
         (SELECT count(*) FROM account_links o \
          WHERE o.account_number = l.account_number AND o.user_id <> l.user_id) AS other_holders \
     FROM account_links l \
     JOIN accounts a ON a.number = l.account_number \
     CROSS JOIN LATERAL ( \
         SELECT array_agg(m.number ORDER BY m.number) AS numbers, \
             array_agg(m.service ORDER BY m.number) AS services, \
             array_agg(m.verification_due ORDER BY m.number) AS dues, \
             array_agg(r.value_litres ORDER BY m.number) AS read_litres, \
             array_agg(r.submitted_at ORDER BY m.number) AS read_at \
         FROM meters m \
         LEFT JOIN LATERAL ( \
             SELECT value_litres, submitted_at FROM readings \
             WHERE meter_number = m.number AND voided_at IS NULL \
             ORDER BY period DESC LIMIT 1 \
         ) r ON true \
         WHERE m.account_number = a.number \
     ) m \
     CROSS JOIN LATERAL ( \
         SELECT array_agg(amount_kopecks ORDER BY paid_at, id) AS amounts, \
             array_agg(paid_at ORDER BY paid_at, id) AS paid_at \
         FROM payments \
         WHERE account_number = a.number AND status = 'succeeded' \
             AND paid_at >= a.balance_as_of::timestamp AT TIME ZONE 'UTC' \
     ) p \
     WHERE l.user_id = $1 AND ($2::text IS NULL OR l.account_number = $2) \
     ORDER BY l.linked_at, l.account_number";

/// A column of parallel arrays; `NULL` (no element at all) is empty.
fn array<'r, T>(row: &'r PgRow, column: &str) -> Result<Vec<T>, StoreError>
where
    Vec<T>: sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>,
{
    Ok(get::<Option<Vec<T>>>(row, column)?.unwrap_or_default())
}

/// One row of [`SNAPSHOTS`].
fn snapshot_from_row(row: &PgRow) -> Result<AccountSnapshot, StoreError> {
    let mut account = account_from_row(row)?;
    account.meters = meters_from_arrays(row)?;
    let read_litres: Vec<Option<i64>> = array(row, "read_litres")?;
    let read_at: Vec<Option<DateTime<Utc>>> = array(row, "read_at")?;
    let amounts: Vec<i64> = array(row, "amounts")?;
    let paid_at: Vec<DateTime<Utc>> = array(row, "paid_at")?;
    if read_litres.len() != account.meters.len()
        || read_at.len() != account.meters.len()
        || amounts.len() != paid_at.len()
    {
        return Err(corrupt("read_litres", "arrays of different lengths"));
    }
    let mut last_readings = Vec::new();
    for (meter, (litres, at)) in account
        .meters
        .iter()
        .zip(read_litres.into_iter().zip(read_at))
    {
        if let (Some(litres), Some(submitted_at)) = (litres, at) {
            last_readings.push(LatestReading {
                meter: meter.number.clone(),
                value: reading_value("value_litres", litres)?,
                submitted_at,
            });
        }
    }
    let paid = amounts
        .into_iter()
        .zip(paid_at)
        .map(|(kopecks, paid_at)| {
            let amount = Money::from_kopecks(unsigned("amount_kopecks", kopecks)?)
                .map_err(|e| corrupt("amount_kopecks", e))?;
            Ok(Paid { amount, paid_at })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    let others: i64 = get(row, "other_holders")?;
    Ok(AccountSnapshot {
        linked: LinkedAccount {
            account,
            label: parse_optional::<Label>(row, "label")?,
            linked_at: get(row, "linked_at")?,
        },
        paid,
        last_readings,
        other_holders: u32::try_from(others).map_err(|e| corrupt("other_holders", e))?,
    })
}

impl PgAccountRepository {
    async fn snapshots_where(
        &self,
        user: UserId,
        number: Option<&AccountNumber>,
    ) -> Result<Vec<AccountSnapshot>, StoreError> {
        sqlx::query(SNAPSHOTS)
            .bind(user.as_uuid())
            .bind(number.map(AccountNumber::as_str))
            .fetch_all(&self.pool)
            .await
            .map_err(store_error)?
            .iter()
            .map(snapshot_from_row)
            .collect()
    }
}

#[async_trait]
impl AccountRepository for PgAccountRepository {
    #[instrument(level = "debug", skip_all, fields(user = %user, account = %number))]
    async fn snapshot(
        &self,
        user: UserId,
        number: &AccountNumber,
    ) -> Result<Option<AccountSnapshot>, StoreError> {
        Ok(self.snapshots_where(user, Some(number)).await?.pop())
    }

    #[instrument(level = "debug", skip_all, fields(user = %user))]
    async fn snapshots(&self, user: UserId) -> Result<Vec<AccountSnapshot>, StoreError> {
        self.snapshots_where(user, None).await
    }

    #[instrument(level = "debug", skip_all, fields(account = %number))]
    async fn find(&self, number: &AccountNumber) -> Result<Option<Account>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {ACCOUNT_COLUMNS}, m.numbers, m.services, m.dues FROM accounts a \
             CROSS JOIN LATERAL ({METER_ARRAYS}) m WHERE a.number = $1"
        ))
        .bind(number.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(store_error)?;
        let Some(row) = row else { return Ok(None) };
        let mut account = account_from_row(&row)?;
        account.meters = meters_from_arrays(&row)?;
        Ok(Some(account))
    }

    #[instrument(level = "debug", skip_all, fields(user = %user))]
    async fn linked(&self, user: UserId) -> Result<Vec<LinkedAccount>, StoreError> {
        self.linked_where(user, None).await
    }

    #[instrument(level = "debug", skip_all, fields(user = %user, account = %number))]
    async fn linked_one(
        &self,
        user: UserId,
        number: &AccountNumber,
    ) -> Result<Option<LinkedAccount>, StoreError> {
        Ok(self.linked_where(user, Some(number)).await?.pop())
    }

    /// The link and its notices in one transaction. The notices go to the holders this
    /// transaction sees; a holder linking at the same instant is told by its own link.
    #[instrument(level = "debug", skip_all, fields(user = %user, account = %number))]
    async fn link(
        &self,
        user: UserId,
        number: &AccountNumber,
        label: Option<Label>,
        at: DateTime<Utc>,
        notice: Option<LinkNotice>,
    ) -> Result<(), LinkError> {
        let mut tx = self.pool.begin().await.map_err(store_error)?;
        let inserted = sqlx::query(
            "INSERT INTO account_links (user_id, account_number, label, linked_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(user.as_uuid())
        .bind(number.as_str())
        .bind(label.as_ref().map(Label::as_str))
        .bind(at)
        .execute(&mut *tx)
        .await;
        match inserted {
            Ok(_) => {}
            Err(e) if violated_unique(&e) == Some("account_links_pkey") => {
                return Err(LinkError::AlreadyLinked);
            }
            Err(e) => return Err(LinkError::Store(store_error(e))),
        }
        if let Some(notice) = notice {
            sqlx::query(
                "INSERT INTO sms_outbox (phone, text, purpose, created_at, next_attempt_at, \
                     expires_at) \
                 SELECT u.phone, $1, $2, $3, $3, $4 FROM account_links l \
                 JOIN users u ON u.id = l.user_id \
                 WHERE l.account_number = $5 AND l.user_id <> $6 \
                 ORDER BY l.linked_at, l.user_id",
            )
            .bind(&notice.text)
            .bind(SmsPurpose::AccountLinked.code())
            .bind(notice.created_at)
            .bind(notice.expires_at)
            .bind(number.as_str())
            .bind(user.as_uuid())
            .execute(&mut *tx)
            .await
            .map_err(store_error)?;
        }
        tx.commit().await.map_err(store_error)?;
        Ok(())
    }

    #[instrument(level = "debug", skip_all, fields(user = %user, account = %number))]
    async fn other_holders(&self, user: UserId, number: &AccountNumber) -> Result<u32, StoreError> {
        let count: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM account_links WHERE account_number = $1 AND user_id <> $2",
        )
        .bind(number.as_str())
        .bind(user.as_uuid())
        .fetch_one(&self.pool)
        .await
        .map_err(store_error)?;
        u32::try_from(count).map_err(|e| corrupt("other_holders", e))
    }

    #[instrument(level = "debug", skip_all, fields(user = %user, account = %number))]
    async fn relabel(
        &self,
        user: UserId,
        number: &AccountNumber,
        label: Option<Label>,
    ) -> Result<bool, StoreError> {
        let updated = sqlx::query(
            "UPDATE account_links SET label = $3 WHERE user_id = $1 AND account_number = $2",
        )
        .bind(user.as_uuid())
        .bind(number.as_str())
        .bind(label.as_ref().map(Label::as_str))
        .execute(&self.pool)
        .await
        .map_err(store_error)?;
        Ok(updated.rows_affected() > 0)
    }

    #[instrument(level = "debug", skip_all, fields(user = %user, account = %number))]
    async fn unlink(&self, user: UserId, number: &AccountNumber) -> Result<bool, StoreError> {
        let deleted =
            sqlx::query("DELETE FROM account_links WHERE user_id = $1 AND account_number = $2")
                .bind(user.as_uuid())
                .bind(number.as_str())
                .execute(&self.pool)
                .await
                .map_err(store_error)?;
        Ok(deleted.rows_affected() > 0)
    }
}

#[async_trait]
impl MeterRepository for PgMeterRepository {
    #[instrument(level = "debug", skip_all, fields(meter = %number))]
    async fn find(&self, number: &MeterNumber) -> Result<Option<LocatedMeter>, StoreError> {
        sqlx::query(
            "SELECT account_number, number, service, verification_due FROM meters \
             WHERE number = $1",
        )
        .bind(number.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(store_error)?
        .as_ref()
        .map(|row| {
            Ok(LocatedMeter {
                account_number: parse(row, "account_number")?,
                meter: meter_from_row(row)?,
            })
        })
        .transpose()
    }
}
