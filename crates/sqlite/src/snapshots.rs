//! `AccountRepository::snapshot` and `snapshots` on SQLite: a linked account as the cabinet
//! shows it, in one statement.

use serde_json::Value;
use sqlx::sqlite::SqliteRow;
use vodokanal_app::StoreError;
use vodokanal_app::ports::{AccountSnapshot, LatestReading, Paid};
use vodokanal_domain::{AccountNumber, Balance, LinkedAccount, Meter, MeterNumber, Money, UserId};

use crate::codec::{
    corrupt, get, get_date, get_instant, parse, parse_date, parse_instant, parse_optional, to_value,
};
use crate::store_error;

/// The user's linked accounts (one, with `?2`, or all) with, as JSON arrays, the meters in
/// number order, each `[number, service, verification_due, litres, submitted_at]` with its
/// last live reading (or nulls), and the succeeded payments from the start (UTC) of the
/// balance day, each `[kopecks, paid_at]`, oldest first; and the count of the other holders.
/// Instants are stored as RFC 3339 UTC text, so `balance_as_of || 'T00:00:00'` compares as
/// the start of that day.
const SNAPSHOTS: &str = "SELECT a.number, a.address, a.balance_kopecks, a.balance_as_of, \
         l.label, l.linked_at, \
         (SELECT json_group_array(json_array(m.number, m.service, m.verification_due, \
                 r.value_litres, r.submitted_at) ORDER BY m.number) \
          FROM meters m \
          LEFT JOIN readings r ON r.meter_number = m.number AND r.voided_at IS NULL \
              AND r.period = (SELECT max(period) FROM readings \
                              WHERE meter_number = m.number AND voided_at IS NULL) \
          WHERE m.account_number = a.number) AS meters, \
         (SELECT json_group_array(json_array(p.amount_kopecks, p.paid_at) \
                 ORDER BY p.paid_at, p.id) \
          FROM payments p \
          WHERE p.account_number = a.number AND p.status = 'succeeded' \
              AND p.paid_at >= a.balance_as_of || 'T00:00:00') AS paid, \
         (SELECT count(*) FROM account_links o \
          WHERE o.account_number = l.account_number AND o.user_id <> l.user_id) \
             AS other_holders \
     FROM account_links l JOIN accounts a ON a.number = l.account_number \
     WHERE l.user_id = ?1 AND (?2 IS NULL OR l.account_number = ?2) \
     ORDER BY l.linked_at, l.rowid";

/// Runs [`SNAPSHOTS`] on `executor` (the readers' pool).
pub(crate) async fn snapshots<'e>(
    executor: impl sqlx::SqliteExecutor<'e>,
    user: UserId,
    number: Option<&AccountNumber>,
) -> Result<Vec<AccountSnapshot>, StoreError> {
    sqlx::query(SNAPSHOTS)
        .bind(user.to_string())
        .bind(number.map(AccountNumber::as_str))
        .fetch_all(executor)
        .await
        .map_err(store_error)?
        .iter()
        .map(snapshot)
        .collect()
}

fn json_array(row: &SqliteRow, column: &str) -> Result<Vec<Value>, StoreError> {
    let text: String = get(row, column)?;
    match serde_json::from_str(&text).map_err(|e| corrupt(column, e))? {
        Value::Array(items) => Ok(items),
        _ => Err(corrupt(column, "not a JSON array")),
    }
}

/// The elements of a JSON array of `n` elements.
fn tuple(column: &str, item: &Value, n: usize) -> Result<Vec<Value>, StoreError> {
    match item {
        Value::Array(fields) if fields.len() == n => Ok(fields.clone()),
        _ => Err(corrupt(column, "an element of the wrong shape")),
    }
}

fn text<'v>(column: &str, value: &'v Value) -> Result<&'v str, StoreError> {
    value.as_str().ok_or_else(|| corrupt(column, "not text"))
}

fn integer(column: &str, value: &Value) -> Result<i64, StoreError> {
    value
        .as_i64()
        .ok_or_else(|| corrupt(column, "not an integer"))
}

fn snapshot(row: &SqliteRow) -> Result<AccountSnapshot, StoreError> {
    let mut meters = Vec::new();
    let mut last_readings = Vec::new();
    for item in json_array(row, "meters")? {
        let [number, service, due, litres, at] = <[Value; 5]>::try_from(tuple("meters", &item, 5)?)
            .map_err(|_| corrupt("meters", "an element of the wrong shape"))?;
        let number: MeterNumber = text("meters.number", &number)?
            .parse()
            .map_err(|e| corrupt("meters.number", e))?;
        let verification_due = match due {
            Value::Null => None,
            due => Some(parse_date(
                "verification_due",
                text("verification_due", &due)?,
            )?),
        };
        if !litres.is_null() {
            last_readings.push(LatestReading {
                meter: number.clone(),
                value: to_value("value_litres", integer("value_litres", &litres)?)?,
                submitted_at: parse_instant("submitted_at", text("submitted_at", &at)?)?,
            });
        }
        meters.push(Meter {
            number,
            service: text("meters.service", &service)?
                .parse()
                .map_err(|e| corrupt("meters.service", e))?,
            verification_due,
        });
    }
    let paid = json_array(row, "paid")?
        .iter()
        .map(|item| {
            let fields = tuple("paid", item, 2)?;
            let kopecks = u64::try_from(integer("amount_kopecks", &fields[0])?)
                .map_err(|e| corrupt("amount_kopecks", e))?;
            Ok(Paid {
                amount: Money::from_kopecks(kopecks).map_err(|e| corrupt("amount_kopecks", e))?,
                paid_at: parse_instant("paid_at", text("paid_at", &fields[1])?)?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    let kopecks: i64 = get(row, "balance_kopecks")?;
    let others: i64 = get(row, "other_holders")?;
    Ok(AccountSnapshot {
        linked: LinkedAccount {
            account: vodokanal_domain::Account {
                number: parse(row, "number")?,
                address: get(row, "address")?,
                balance: Balance::from_kopecks(kopecks)
                    .map_err(|e| corrupt("balance_kopecks", e))?,
                balance_as_of: get_date(row, "balance_as_of")?,
                meters,
            },
            label: parse_optional(row, "label")?,
            linked_at: get_instant(row, "linked_at")?,
        },
        paid,
        last_readings,
        other_holders: u32::try_from(others).map_err(|e| corrupt("other_holders", e))?,
    })
}
