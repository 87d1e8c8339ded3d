use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::sqlite::SqliteRow;
use vodokanal_app::StoreError;
use vodokanal_app::ports::{
    AccountRepository, AccountSnapshot, LinkError, LinkNotice, LocatedMeter, MeterRepository,
    SmsPurpose,
};
use vodokanal_domain::{
    Account, AccountNumber, Balance, Label, LinkedAccount, Meter, MeterNumber, UserId,
};

use crate::codec::{
    corrupt, get, get_date, get_instant, get_optional_date, instant, parse, parse_optional,
};
use crate::{sqlite_port, store_error};

sqlite_port!(
    /// `AccountRepository` on SQLite.
    SqliteAccountRepository
);

sqlite_port!(
    /// `MeterRepository` on SQLite.
    SqliteMeterRepository
);

fn meter(row: &SqliteRow) -> Result<Meter, StoreError> {
    Ok(Meter {
        number: parse(row, "number")?,
        service: parse(row, "service")?,
        verification_due: get_optional_date(row, "verification_due")?,
    })
}

/// An account without its meters.
fn account(row: &SqliteRow) -> Result<Account, StoreError> {
    let kopecks: i64 = get(row, "balance_kopecks")?;
    Ok(Account {
        number: parse(row, "number")?,
        address: get(row, "address")?,
        balance: Balance::from_kopecks(kopecks).map_err(|e| corrupt("balance_kopecks", e))?,
        balance_as_of: get_date(row, "balance_as_of")?,
        meters: Vec::new(),
    })
}

const ACCOUNT_COLUMNS: &str = "a.number, a.address, a.balance_kopecks, a.balance_as_of";
const METER_COLUMNS: &str = "m.number, m.account_number, m.service, m.verification_due";

impl SqliteAccountRepository {
    /// The linked accounts of the user (one or all), with their meters, in link order.
    async fn links(
        &self,
        user: UserId,
        number: Option<&AccountNumber>,
    ) -> Result<Vec<LinkedAccount>, StoreError> {
        let user_id = user.to_string();
        let number = number.map(|n| n.as_str().to_owned());
        let rows = sqlx::query(&format!(
            "SELECT {ACCOUNT_COLUMNS}, l.label, l.linked_at \
             FROM account_links l JOIN accounts a ON a.number = l.account_number \
             WHERE l.user_id = ? AND (?2 IS NULL OR l.account_number = ?2) \
             ORDER BY l.linked_at, l.rowid"
        ))
        .bind(&user_id)
        .bind(&number)
        .fetch_all(&self.reads)
        .await
        .map_err(store_error)?;
        let meter_rows = sqlx::query(&format!(
            "SELECT {METER_COLUMNS} FROM account_links l \
             JOIN meters m ON m.account_number = l.account_number \
             WHERE l.user_id = ? AND (?2 IS NULL OR l.account_number = ?2) \
             ORDER BY m.number"
        ))
        .bind(&user_id)
        .bind(&number)
        .fetch_all(&self.reads)
        .await
        .map_err(store_error)?;
        let mut meters: HashMap<String, Vec<Meter>> = HashMap::new();
        for row in &meter_rows {
            let owner: String = get(row, "account_number")?;
            meters.entry(owner).or_default().push(meter(row)?);
        }
        rows.iter()
            .map(|row| {
                let mut found = account(row)?;
                found.meters = meters.remove(found.number.as_str()).unwrap_or_default();
                Ok(LinkedAccount {
                    account: found,
                    label: parse_optional(row, "label")?,
                    linked_at: get_instant(row, "linked_at")?,
                })
            })
            .collect()
    }
}

/// The primary key of `account_links`, as SQLite's message names it.
fn link_error(error: sqlx::Error) -> LinkError {
    if let sqlx::Error::Database(db) = &error
        && db.is_unique_violation()
        && db.message().contains("account_links.")
    {
        return LinkError::AlreadyLinked;
    }
    LinkError::Store(store_error(error))
}

#[async_trait]
impl AccountRepository for SqliteAccountRepository {
    #[tracing::instrument(skip_all, fields(meter = %number))]
    async fn find(&self, number: &AccountNumber) -> Result<Option<Account>, StoreError> {
        let Some(row) = sqlx::query(&format!(
            "SELECT {ACCOUNT_COLUMNS} FROM accounts a WHERE a.number = ?"
        ))
        .bind(number.as_str())
        .fetch_optional(&self.reads)
        .await
        .map_err(store_error)?
        else {
            return Ok(None);
        };
        let mut found = account(&row)?;
        let meter_rows = sqlx::query(&format!(
            "SELECT {METER_COLUMNS} FROM meters m WHERE m.account_number = ? ORDER BY m.number"
        ))
        .bind(number.as_str())
        .fetch_all(&self.reads)
        .await
        .map_err(store_error)?;
        found.meters = meter_rows.iter().map(meter).collect::<Result<_, _>>()?;
        Ok(Some(found))
    }

    #[tracing::instrument(skip_all, fields(user = %user))]
    async fn linked(&self, user: UserId) -> Result<Vec<LinkedAccount>, StoreError> {
        self.links(user, None).await
    }

    #[tracing::instrument(skip_all, fields(user = %user, account = %number))]
    async fn linked_one(
        &self,
        user: UserId,
        number: &AccountNumber,
    ) -> Result<Option<LinkedAccount>, StoreError> {
        Ok(self.links(user, Some(number)).await?.pop())
    }

    #[tracing::instrument(skip_all, fields(user = %user, account = %number))]
    async fn snapshot(
        &self,
        user: UserId,
        number: &AccountNumber,
    ) -> Result<Option<AccountSnapshot>, StoreError> {
        Ok(crate::snapshots::snapshots(&self.reads, user, Some(number))
            .await?
            .pop())
    }

    #[tracing::instrument(skip_all, fields(user = %user))]
    async fn snapshots(&self, user: UserId) -> Result<Vec<AccountSnapshot>, StoreError> {
        crate::snapshots::snapshots(&self.reads, user, None).await
    }

    /// The link and its notices in one `BEGIN IMMEDIATE` transaction: the holders read are
    /// those at the moment of the link.
    #[tracing::instrument(skip_all, fields(user = %user))]
    async fn link(
        &self,
        user: UserId,
        number: &AccountNumber,
        label: Option<Label>,
        at: DateTime<Utc>,
        notice: Option<LinkNotice>,
    ) -> Result<(), LinkError> {
        let mut tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(store_error)?;
        sqlx::query(
            "INSERT INTO account_links (user_id, account_number, label, linked_at) \
             VALUES (?, ?, ?, ?)",
        )
        .bind(user.to_string())
        .bind(number.as_str())
        .bind(label.as_ref().map(Label::as_str))
        .bind(instant(at))
        .execute(&mut *tx)
        .await
        .map_err(link_error)?;
        if let Some(notice) = notice {
            sqlx::query(
                "INSERT INTO sms_outbox (phone, text, purpose, created_at, next_attempt_at, \
                     expires_at) \
                 SELECT u.phone, ?, ?, ?, ?, ? FROM account_links l \
                 JOIN users u ON u.id = l.user_id \
                 WHERE l.account_number = ? AND l.user_id <> ? \
                 ORDER BY l.linked_at, l.rowid",
            )
            .bind(&notice.text)
            .bind(SmsPurpose::AccountLinked.code())
            .bind(instant(notice.created_at))
            .bind(instant(notice.created_at))
            .bind(instant(notice.expires_at))
            .bind(number.as_str())
            .bind(user.to_string())
            .execute(&mut *tx)
            .await
            .map_err(store_error)?;
        }
        tx.commit().await.map_err(store_error)?;
        Ok(())
    }

    #[tracing::instrument(skip_all, fields(user = %user, account = %number))]
    async fn other_holders(&self, user: UserId, number: &AccountNumber) -> Result<u32, StoreError> {
        let count: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM account_links WHERE account_number = ? AND user_id <> ?",
        )
        .bind(number.as_str())
        .bind(user.to_string())
        .fetch_one(&self.reads)
        .await
        .map_err(store_error)?;
        u32::try_from(count).map_err(|e| corrupt("other_holders", e))
    }

    #[tracing::instrument(skip_all, fields(user = %user))]
    async fn relabel(
        &self,
        user: UserId,
        number: &AccountNumber,
        label: Option<Label>,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE account_links SET label = ? WHERE user_id = ? AND account_number = ?",
        )
        .bind(label.as_ref().map(Label::as_str))
        .bind(user.to_string())
        .bind(number.as_str())
        .execute(&self.pool)
        .await
        .map_err(store_error)?;
        Ok(done.rows_affected() > 0)
    }

    #[tracing::instrument(skip_all, fields(user = %user))]
    async fn unlink(&self, user: UserId, number: &AccountNumber) -> Result<bool, StoreError> {
        let done =
            sqlx::query("DELETE FROM account_links WHERE user_id = ? AND account_number = ?")
                .bind(user.to_string())
                .bind(number.as_str())
                .execute(&self.pool)
                .await
                .map_err(store_error)?;
        Ok(done.rows_affected() > 0)
    }
}

#[async_trait]
impl MeterRepository for SqliteMeterRepository {
    #[tracing::instrument(skip_all, fields(meter = %number))]
    async fn find(&self, number: &MeterNumber) -> Result<Option<LocatedMeter>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {METER_COLUMNS} FROM meters m WHERE m.number = ?"
        ))
        .bind(number.as_str())
        .fetch_optional(&self.reads)
        .await
        .map_err(store_error)?;
        row.as_ref()
            .map(|row| {
                Ok(LocatedMeter {
                    account_number: parse(row, "account_number")?,
                    meter: meter(row)?,
                })
            })
            .transpose()
    }
}
