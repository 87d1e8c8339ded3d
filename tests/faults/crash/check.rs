//! Each write of a load against what the database holds: an acknowledged write is there
//! exactly once with the values sent and the id it was answered with; a refused one left
//! nothing; an unanswered one is there at most once, whole (a batch of readings all or none);
//! and nothing is there that no write asked for.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

use serde_json::Value;
use vodokanal_e2e::Response;
use vodokanal_e2e::load::{Fleet, Outcome, Sent, What};

use crate::store::{PaymentRow, ReadingRow, Snapshot, VisitRow};

/// A write, and the answer to its retry under its key when its own answer was lost.
#[derive(Debug)]
pub struct Fate {
    pub sent: Sent,
    pub retry: Option<Response>,
}

impl Fate {
    /// The last answer it got.
    pub fn answer(&self) -> Option<&Response> {
        self.retry.as_ref().or_else(|| self.sent.response())
    }
}

/// What the check counted.
#[derive(Debug, Default)]
pub struct Counts {
    pub sent: usize,
    /// Answered 2xx, at first or on the retry under their key.
    pub acknowledged: usize,
    /// The acknowledged ones found in the database as acknowledged.
    pub found: usize,
    /// Answered 4xx (a limit), and so not written.
    pub refused: usize,
    /// Without an answer at first (the server died under them).
    pub lost: usize,
    /// Of those, retried under their key.
    pub retried: usize,
    /// Of the lost ones without a key, those the server had stored.
    pub stored_unanswered: usize,
    /// Payments started by a request whose process died before the provider's answer: pending,
    /// without a provider id (reconciliation cancels them).
    pub abandoned_payments: usize,
}

impl Counts {
    pub fn line(&self) -> String {
        format!(
            "requests sent {}, acknowledged {}, found {}; refused {}; lost {} (retried under \
             their key {}, stored without an answer {}); payments abandoned by a dead process {}",
            self.sent,
            self.acknowledged,
            self.found,
            self.refused,
            self.lost,
            self.retried,
            self.stored_unanswered,
            self.abandoned_payments
        )
    }
}

/// The rows of the snapshot, by what a write names.
struct Index<'a> {
    readings: HashMap<&'a str, Vec<&'a ReadingRow>>,
    payments: HashMap<(&'a str, i64), Vec<&'a PaymentRow>>,
    visits: HashMap<&'a str, Vec<&'a VisitRow>>,
    users: HashMap<&'a str, &'a str>,
    /// Ids of the rows some write accounts for.
    seen: HashSet<&'a str>,
}

/// Checks every fate against the snapshot: the counts, and every problem found.
pub fn check(fleet: &Fleet, fates: &[Fate], snapshot: &Snapshot) -> (Counts, Vec<String>) {
    let mut index = Index {
        readings: HashMap::new(),
        payments: HashMap::new(),
        visits: HashMap::new(),
        users: snapshot
            .users
            .iter()
            .map(|(id, phone)| (phone.as_str(), id.as_str()))
            .collect(),
        seen: HashSet::new(),
    };
    for row in &snapshot.readings {
        index.readings.entry(&row.meter).or_default().push(row);
    }
    for row in &snapshot.payments {
        index
            .payments
            .entry((&row.account, row.kopecks))
            .or_default()
            .push(row);
    }
    for row in &snapshot.visits {
        if let Some(notes) = &row.notes {
            index.visits.entry(notes).or_default().push(row);
        }
    }
    let mut counts = Counts {
        sent: fates.len(),
        ..Counts::default()
    };
    let mut problems = Vec::new();
    for fate in fates {
        let write = &fate.sent.write;
        let lost = matches!(fate.sent.outcome, Outcome::Lost);
        counts.lost += usize::from(lost);
        counts.retried += usize::from(fate.retry.is_some());
        let user = index
            .users
            .get(fleet.subscribers[write.client].phone.as_str())
            .map(|id| (*id).to_owned());
        let verdict = match fate.answer() {
            Some(answer) if (200..300).contains(&answer.status) => {
                counts.acknowledged += 1;
                let found = acknowledged(&mut index, &write.what, user.as_deref(), answer);
                counts.found += usize::from(found.is_ok());
                found
            }
            Some(answer) if answer.status < 500 => {
                counts.refused += 1;
                refused(&mut index, &write.what)
            }
            Some(answer) => Err(format!("answered {}: {}", answer.status, answer.body)),
            None => match unanswered(&mut index, &write.what, user.as_deref()) {
                Ok(stored) => {
                    counts.stored_unanswered += usize::from(stored);
                    Ok(())
                }
                Err(problem) => Err(problem),
            },
        };
        if let What::CabinetPayment {
            account, kopecks, ..
        }
        | What::PublicPayment {
            account, kopecks, ..
        } = &write.what
        {
            let rows = payments(&index, account, *kopecks);
            let abandoned = rows
                .iter()
                .filter(|row| row.provider_payment_id.is_none())
                .count();
            counts.abandoned_payments += abandoned;
            let verdict_rows = rows.len();
            for row in rows {
                index.seen.insert(&row.id);
            }
            // Only a request whose process died may leave a payment beside the one answered.
            if !lost && verdict_rows > 1 && verdict.is_ok() {
                problems.push(format!(
                    "write {} ({:?}): answered at once, yet {verdict_rows} payments stored",
                    write.id, write.what
                ));
            }
        }
        if let Err(problem) = verdict {
            problems.push(format!(
                "write {} ({:?}, key {:?}, {}): {problem}",
                write.id,
                write.what,
                write.key,
                describe(fate)
            ));
        }
    }
    let phantoms = phantoms(&index, snapshot);
    problems.extend(phantoms);
    (counts, problems)
}

fn describe(fate: &Fate) -> String {
    let mut text = match fate.sent.response() {
        Some(response) => format!("answered {}", response.status),
        None => "lost".to_owned(),
    };
    if let Some(retry) = &fate.retry {
        let _ = write!(text, ", retried: {} {}", retry.status, retry.body);
    }
    text
}

fn payments<'a>(index: &Index<'a>, account: &str, kopecks: u64) -> Vec<&'a PaymentRow> {
    let kopecks = i64::try_from(kopecks).unwrap();
    index
        .payments
        .get(&(account, kopecks))
        .cloned()
        .unwrap_or_default()
}

/// The ids an answer gives: the reading of each meter of a batch, or the one resource's id.
fn answered_ids(answer: &Response) -> Result<HashMap<String, String>, String> {
    let json: Value =
        serde_json::from_str(&answer.body).map_err(|_| format!("not JSON: {}", answer.body))?;
    let id = |item: &Value| item["id"].as_str().map(str::to_owned);
    match &json {
        Value::Array(items) => items
            .iter()
            .map(|item| {
                item["meter_number"]
                    .as_str()
                    .map(str::to_owned)
                    .zip(id(item))
                    .ok_or_else(|| format!("a reading without meter or id: {item}"))
            })
            .collect(),
        _ => Ok(HashMap::from([(
            String::new(),
            id(&json).ok_or_else(|| format!("no id: {json}"))?,
        )])),
    }
}

/// An acknowledged write is in the database once, with the values sent and its answer's id.
fn acknowledged(
    index: &mut Index<'_>,
    what: &What,
    user: Option<&str>,
    answer: &Response,
) -> Result<(), String> {
    let ids = answered_ids(answer)?;
    match what {
        What::CabinetReadings { readings, .. } => {
            for (meter, _) in readings {
                let id = ids
                    .get(meter)
                    .ok_or_else(|| format!("the answer has no reading of {meter}"))?;
                one_reading(index, what, meter, user, Some(id))?;
            }
            Ok(())
        }
        What::AnonymousReading { meter, .. } => one_reading(index, what, meter, None, ids.get("")),
        What::CabinetPayment {
            account, kopecks, ..
        }
        | What::PublicPayment {
            account, kopecks, ..
        } => {
            let rows = payments(index, account, *kopecks);
            let complete: Vec<_> = rows
                .iter()
                .filter(|row| row.provider_payment_id.is_some())
                .collect();
            let [row] = complete.as_slice() else {
                return Err(format!(
                    "{} payments with a provider id, of {} rows",
                    complete.len(),
                    rows.len()
                ));
            };
            if Some(&row.id) != ids.get("") {
                return Err(format!("answered {:?}, stored {}", ids.get(""), row.id));
            }
            payment_values(row, what, user)
        }
        What::Visit { notes, .. } => {
            let rows = index
                .visits
                .get(notes.as_str())
                .cloned()
                .unwrap_or_default();
            let [row] = rows.as_slice() else {
                return Err(format!("{} visit requests", rows.len()));
            };
            index.seen.insert(&row.id);
            if Some(&row.id) != ids.get("") {
                return Err(format!("answered {:?}, stored {}", ids.get(""), row.id));
            }
            visit_values(row, what, user)
        }
    }
}

/// The one reading of `meter` (no other, voided or live), with the values of `what` and, when
/// given, the id `id`.
fn one_reading(
    index: &mut Index<'_>,
    what: &What,
    meter: &str,
    user: Option<&str>,
    id: Option<&String>,
) -> Result<(), String> {
    let rows = index.readings.get(meter).cloned().unwrap_or_default();
    let [row] = rows.as_slice() else {
        return Err(format!("{} readings of {meter}", rows.len()));
    };
    index.seen.insert(&row.id);
    if let Some(id) = id
        && row.id != *id
    {
        return Err(format!("answered {id}, stored {}", row.id));
    }
    let expected = match what {
        What::CabinetReadings { account, readings } => {
            let litres = readings
                .iter()
                .find(|(m, _)| m == meter)
                .map(|(_, litres)| *litres);
            (account, litres, "cabinet", user, None, None)
        }
        What::AnonymousReading {
            account,
            litres,
            full_name,
            phone,
            ..
        } => (
            account,
            Some(*litres),
            "anonymous",
            None,
            Some(full_name.as_str()),
            Some(phone.as_str()),
        ),
        _ => unreachable!("a reading of a write that is no reading"),
    };
    let stored = (
        &row.account,
        u64::try_from(row.litres).ok(),
        row.source.as_str(),
        row.user_id.as_deref(),
        row.submitter_name.as_deref(),
        row.submitter_phone.as_deref(),
    );
    if stored != expected || row.voided {
        return Err(format!("stored {row:?}, expected {expected:?}"));
    }
    Ok(())
}

fn payment_values(row: &PaymentRow, what: &What, user: Option<&str>) -> Result<(), String> {
    let (purpose, user) = match what {
        What::CabinetPayment { purpose, .. } => (purpose, user),
        What::PublicPayment { purpose, .. } => (purpose, None),
        _ => unreachable!("a payment of a write that is no payment"),
    };
    if row.purpose != *purpose || row.user_id.as_deref() != user || row.status != "pending" {
        return Err(format!("stored {row:?}, expected {purpose}, user {user:?}"));
    }
    Ok(())
}

fn visit_values(row: &VisitRow, what: &What, user: Option<&str>) -> Result<(), String> {
    let What::Visit {
        kind,
        account,
        meter,
        phone,
        date,
        time,
        ..
    } = what
    else {
        unreachable!("a visit request of a write that is no visit request")
    };
    let ok = row.kind == *kind
        && row.account == *account
        && row.meter == *meter
        && row.phone == *phone
        && row.date == *date
        && row.time == *time
        && row.status == "new"
        && row.user_id.as_deref() == user;
    if ok {
        Ok(())
    } else {
        Err(format!("stored {row:?}, expected {what:?}, user {user:?}"))
    }
}

/// A refused write left nothing.
fn refused(index: &mut Index<'_>, what: &What) -> Result<(), String> {
    let stored = match what {
        What::CabinetReadings { readings, .. } => readings
            .iter()
            .map(|(meter, _)| index.readings.get(meter.as_str()).map_or(0, Vec::len))
            .sum(),
        What::AnonymousReading { meter, .. } => {
            index.readings.get(meter.as_str()).map_or(0, Vec::len)
        }
        What::CabinetPayment {
            account, kopecks, ..
        }
        | What::PublicPayment {
            account, kopecks, ..
        } => payments(index, account, *kopecks).len(),
        What::Visit { notes, .. } => index.visits.get(notes.as_str()).map_or(0, Vec::len),
    };
    if stored == 0 {
        Ok(())
    } else {
        Err(format!("refused, yet {stored} rows stored"))
    }
}

/// An unanswered write is stored at most once, whole and with the values sent: whether it
/// was.
fn unanswered(index: &mut Index<'_>, what: &What, user: Option<&str>) -> Result<bool, String> {
    match what {
        What::CabinetReadings { readings, .. } => {
            let stored = readings
                .iter()
                .filter(|(meter, _)| index.readings.contains_key(meter.as_str()))
                .count();
            if stored == 0 {
                return Ok(false);
            }
            if stored != readings.len() {
                return Err(format!(
                    "{stored} of the batch's {} readings stored",
                    readings.len()
                ));
            }
            for (meter, _) in readings {
                one_reading(index, what, meter, user, None)?;
            }
            Ok(true)
        }
        What::AnonymousReading { meter, .. } => {
            if !index.readings.contains_key(meter.as_str()) {
                return Ok(false);
            }
            one_reading(index, what, meter, None, None)?;
            Ok(true)
        }
        What::CabinetPayment {
            account, kopecks, ..
        }
        | What::PublicPayment {
            account, kopecks, ..
        } => match payments(index, account, *kopecks).as_slice() {
            [] => Ok(false),
            [row] => payment_values(row, what, user).map(|()| true),
            rows => Err(format!("{} payments", rows.len())),
        },
        What::Visit { notes, .. } => {
            let rows = index
                .visits
                .get(notes.as_str())
                .cloned()
                .unwrap_or_default();
            match rows.as_slice() {
                [] => Ok(false),
                [row] => {
                    index.seen.insert(&row.id);
                    visit_values(row, what, user).map(|()| true)
                }
                rows => Err(format!("{} visit requests", rows.len())),
            }
        }
    }
}

/// Rows no write accounts for: a write stored twice under another name, or from nowhere.
fn phantoms(index: &Index<'_>, snapshot: &Snapshot) -> Vec<String> {
    let readings = snapshot
        .readings
        .iter()
        .map(|row| (&row.id, format!("{row:?}")));
    let payments = snapshot
        .payments
        .iter()
        .map(|row| (&row.id, format!("{row:?}")));
    let visits = snapshot
        .visits
        .iter()
        .map(|row| (&row.id, format!("{row:?}")));
    readings
        .chain(payments)
        .chain(visits)
        .filter(|(id, _)| !index.seen.contains(id.as_str()))
        .map(|(_, row)| format!("a row no write asked for: {row}"))
        .collect()
}

/// Every answered idempotency record answers with resources that exist.
pub fn records(snapshot: &Snapshot) -> Vec<String> {
    let readings: HashSet<&str> = snapshot.readings.iter().map(|r| r.id.as_str()).collect();
    let payments: HashSet<&str> = snapshot.payments.iter().map(|r| r.id.as_str()).collect();
    let visits: HashSet<&str> = snapshot.visits.iter().map(|r| r.id.as_str()).collect();
    let mut problems = Vec::new();
    for record in &snapshot.records {
        let Some(body) = &record.body else { continue };
        let Ok(json) = serde_json::from_slice::<Value>(body) else {
            problems.push(format!("record of {}: not JSON", record.endpoint));
            continue;
        };
        let items = match &json {
            Value::Array(items) => items.clone(),
            other => vec![other.clone()],
        };
        let table = if record.endpoint.ends_with("/readings") {
            &readings
        } else if record.endpoint.ends_with("/payments") {
            &payments
        } else {
            &visits
        };
        for item in items {
            let id = item["id"].as_str().unwrap_or_default();
            if !table.contains(id) {
                problems.push(format!(
                    "the record of {} ({:?}) answers with {id}, which is not stored",
                    record.endpoint, record.status
                ));
            }
        }
    }
    problems
}
