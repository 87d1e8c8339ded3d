//! GET `/profile/history.csv`: «Скачать историю», the subscriber's readings and payments of
//! every account linked to them now, as one file for a spreadsheet.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use vodokanal_domain::{Payment, PaymentStatus, Reading, ReadingSource, UserId, UtilityCalendar};

use crate::ports::{
    AccountRepository, Clock, ExportSink, PaymentRepository, ReadingRepository, SinkError,
};
use crate::{Settings, StoreError};

/// The most readings, and the most payments, of one account in the file: the newest. Fifty
/// years of monthly readings of four meters are 2,400; past this bound the oldest are left
/// out and a WARN line says so.
pub const MAX_ROWS_PER_ACCOUNT: u32 = 5_000;

/// The header: one row per reading or payment, `Запись` says which.
pub const COLUMNS: [&str; 11] = [
    "Дата",
    "Лицевой счет",
    "Запись",
    "Счетчик",
    "Период",
    "Показание, м³",
    "Расход, м³",
    "Источник",
    "Назначение платежа",
    "Сумма, руб.",
    "Статус",
];

const MONTHS: [&str; 12] = [
    "январь",
    "февраль",
    "март",
    "апрель",
    "май",
    "июнь",
    "июль",
    "август",
    "сентябрь",
    "октябрь",
    "ноябрь",
    "декабрь",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DownloadHistoryCommand {
    pub user_id: UserId,
}

#[derive(Debug, thiserror::Error)]
pub enum DownloadHistoryError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Sink(#[from] SinkError),
}

/// Writes the header and then every reading (voided ones included, marked «Аннулировано») and
/// every payment of each account linked to the user now, oldest first, into `sink`: what the
/// cabinet's screens show of them, up to [`MAX_ROWS_PER_ACCOUNT`] of each per account. Dates
/// are local to the utility (`07.12.2026 01:25`), numbers have a decimal comma (`123,456`,
/// `1234,50`: a Russian spreadsheet reads them as numbers), codes are in words. An anonymous
/// reading's name and phone never appear. Returns the number of rows (the header not counted).
#[derive(Debug)]
pub struct DownloadHistory {
    accounts: Arc<dyn AccountRepository>,
    readings: Arc<dyn ReadingRepository>,
    payments: Arc<dyn PaymentRepository>,
    clock: Arc<dyn Clock>,
    calendar: UtilityCalendar,
}

/// A row and the instant it sorts by.
struct Row {
    at: DateTime<Utc>,
    fields: Vec<String>,
}

impl DownloadHistory {
    pub fn new(
        accounts: Arc<dyn AccountRepository>,
        readings: Arc<dyn ReadingRepository>,
        payments: Arc<dyn PaymentRepository>,
        clock: Arc<dyn Clock>,
        settings: &Settings,
    ) -> Self {
        Self {
            accounts,
            readings,
            payments,
            clock,
            calendar: settings.calendar,
        }
    }

    pub async fn execute(
        &self,
        command: DownloadHistoryCommand,
        sink: &mut dyn ExportSink,
    ) -> Result<u64, DownloadHistoryError> {
        let mut rows = Vec::new();
        for linked in self.accounts.linked(command.user_id).await? {
            let number = &linked.account.number;
            let readings = self
                .readings
                .history(number, MAX_ROWS_PER_ACCOUNT + 1, None)
                .await?;
            let payments = self
                .payments
                .history(number, MAX_ROWS_PER_ACCOUNT + 1)
                .await?;
            if readings.len() > MAX_ROWS_PER_ACCOUNT as usize
                || payments.len() > MAX_ROWS_PER_ACCOUNT as usize
            {
                tracing::warn!(
                    account = %number,
                    bound = MAX_ROWS_PER_ACCOUNT,
                    "the history file leaves out the account's oldest readings or payments"
                );
            }
            let bound = MAX_ROWS_PER_ACCOUNT as usize;
            rows.extend(readings.iter().take(bound).map(|r| self.reading_row(r)));
            rows.extend(payments.iter().take(bound).map(|p| self.payment_row(p)));
        }
        // Stable: within one instant, an account's readings before its payments.
        rows.sort_by_key(|row| row.at);
        sink.write_row(&COLUMNS.map(str::to_owned)).await?;
        for row in &rows {
            sink.write_row(&row.fields).await?;
        }
        sink.finish().await?;
        Ok(rows.len() as u64)
    }

    /// The file's name: `vodokanal-history-2026-12-07.csv`, today's date in the utility's zone.
    pub fn file_name(&self) -> String {
        format!(
            "vodokanal-history-{}.csv",
            self.calendar.today(self.clock.now()).format("%Y-%m-%d")
        )
    }

    fn local(&self, at: DateTime<Utc>) -> String {
        self.calendar.local(at).format("%d.%m.%Y %H:%M").to_string()
    }

    fn reading_row(&self, reading: &Reading) -> Row {
        let period = reading.period;
        let month = MONTHS
            .get(usize::from(period.month()).saturating_sub(1))
            .copied()
            .unwrap_or_default();
        Row {
            at: reading.submitted_at,
            fields: vec![
                if reading.source == ReadingSource::Registry {
                    // The registry gives a date only (stored as its midnight UTC).
                    reading.submitted_at.format("%d.%m.%Y").to_string()
                } else {
                    self.local(reading.submitted_at)
                },
                reading.account_number.to_string(),
                "Показание".to_owned(),
                reading.meter_number.to_string(),
                format!("{month} {}", period.year()),
                decimal_comma(&reading.value.to_string()),
                reading
                    .consumption
                    .map(|c| decimal_comma(&c.to_string()))
                    .unwrap_or_default(),
                source(reading.source).to_owned(),
                String::new(),
                String::new(),
                if reading.voided.is_some() {
                    "Аннулировано"
                } else {
                    "Принято"
                }
                .to_owned(),
            ],
        }
    }

    fn payment_row(&self, payment: &Payment) -> Row {
        Row {
            at: payment.created_at,
            fields: vec![
                self.local(payment.created_at),
                payment.account_number.to_string(),
                "Платеж".to_owned(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                payment.purpose.title().to_owned(),
                decimal_comma(&payment.amount.to_string()),
                status(payment.status).to_owned(),
            ],
        }
    }
}

/// `123.456` → `123,456`.
fn decimal_comma(number: &str) -> String {
    number.replace('.', ",")
}

/// As the web client words it.
fn source(source: ReadingSource) -> &'static str {
    match source {
        ReadingSource::Cabinet => "личный кабинет",
        ReadingSource::Anonymous => "без регистрации",
        ReadingSource::Registry => "данные водоканала",
    }
}

/// As the web client words it.
fn status(status: PaymentStatus) -> &'static str {
    match status {
        PaymentStatus::Pending => "Ожидает оплаты",
        PaymentStatus::Succeeded => "Оплачен",
        PaymentStatus::Canceled => "Отменён",
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;
    use mockall::predicate::eq;
    use vodokanal_domain::{
        AccountNumber, AnonymousSubmitter, LinkedAccount, PaymentPurpose, Voided,
    };

    use super::*;
    use crate::accounts::view::fixtures::linked;
    use crate::payments::fixtures::payment;
    use crate::ports::{MockAccountRepository, MockPaymentRepository, MockReadingRepository};
    use crate::readings::fixtures::reading;
    use crate::registry::export::test_sink::{VecSink, row};
    use crate::testing::{account_number, clock, meter_number, now, user_id};

    fn other_number() -> AccountNumber {
        "654321".parse().unwrap()
    }

    fn two_accounts() -> Vec<LinkedAccount> {
        let mut other = linked(None);
        other.account.number = other_number();
        vec![linked(None), other]
    }

    fn use_case(
        readings: MockReadingRepository,
        payments: MockPaymentRepository,
    ) -> DownloadHistory {
        let mut accounts = MockAccountRepository::new();
        accounts
            .expect_linked()
            .with(eq(user_id()))
            .return_once(|_| Ok(two_accounts()));
        DownloadHistory::new(
            Arc::new(accounts),
            Arc::new(readings),
            Arc::new(payments),
            clock(),
            &Settings::default(),
        )
    }

    #[tokio::test]
    async fn writes_both_accounts_readings_and_payments_oldest_first() {
        let mut voided = reading(meter_number(), "120.5", now() - TimeDelta::days(40));
        voided.voided = Some(Voided {
            at: now(),
            reason: "ошибка".parse().unwrap(),
        });
        let mut anonymous = reading(meter_number(), "123.456", now() - TimeDelta::days(2));
        anonymous.source = ReadingSource::Anonymous;
        anonymous.consumption = Some("2.956".parse().unwrap());
        anonymous.submitter = Some(AnonymousSubmitter {
            full_name: "Петров Петр".parse().unwrap(),
            phone: "+79161234567".parse().unwrap(),
        });
        let mut readings = MockReadingRepository::new();
        readings
            .expect_history()
            .withf(|number, limit, before| {
                *number == account_number()
                    && *limit == MAX_ROWS_PER_ACCOUNT + 1
                    && before.is_none()
            })
            .return_once(move |_, _, _| Ok(vec![anonymous, voided]));
        readings
            .expect_history()
            .withf(|number, _, _| *number == other_number())
            .return_once(|_, _, _| Ok(vec![]));
        let mut payments = MockPaymentRepository::new();
        payments
            .expect_history()
            .with(eq(account_number()), eq(MAX_ROWS_PER_ACCOUNT + 1))
            .return_once(|_, _| Ok(vec![]));
        let mut paid = payment();
        paid.account_number = other_number();
        paid.purpose = PaymentPurpose::TemporaryWaterSupply;
        paid.amount = "1234.50".parse().unwrap();
        paid.status = PaymentStatus::Succeeded;
        payments
            .expect_history()
            .with(eq(other_number()), eq(MAX_ROWS_PER_ACCOUNT + 1))
            .return_once(move |_, _| Ok(vec![paid]));

        let mut sink = VecSink::default();
        let written = use_case(readings, payments)
            .execute(DownloadHistoryCommand { user_id: user_id() }, &mut sink)
            .await
            .unwrap();

        assert_eq!(written, 3);
        assert!(sink.finished);
        let use_case = use_case(MockReadingRepository::new(), MockPaymentRepository::new());
        assert_eq!(use_case.file_name(), "vodokanal-history-2026-11-16.csv");
        let meter = meter_number().to_string();
        assert_eq!(
            sink.rows,
            [
                COLUMNS.map(str::to_owned).to_vec(),
                // 2026-10-07T09:00Z is 12:00 in Moscow.
                row(&[
                    "07.10.2026 12:00",
                    "123456",
                    "Показание",
                    &meter,
                    "октябрь 2026",
                    "120,500",
                    "",
                    "личный кабинет",
                    "",
                    "",
                    "Аннулировано",
                ]),
                row(&[
                    "14.11.2026 12:00",
                    "123456",
                    "Показание",
                    &meter,
                    "ноябрь 2026",
                    "123,456",
                    "2,956",
                    "без регистрации",
                    "",
                    "",
                    "Принято",
                ]),
                row(&[
                    "16.11.2026 11:00",
                    "654321",
                    "Платеж",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "Временный водопровод",
                    "1234,50",
                    "Оплачен",
                ]),
            ]
        );
        let all = sink.rows.concat().join(";");
        assert!(!all.contains("Петров") && !all.contains("79161234567"));
    }

    #[tokio::test]
    async fn a_user_without_accounts_gets_the_header_only() {
        let mut accounts = MockAccountRepository::new();
        accounts.expect_linked().return_once(|_| Ok(vec![]));
        let use_case = DownloadHistory::new(
            Arc::new(accounts),
            Arc::new(MockReadingRepository::new()),
            Arc::new(MockPaymentRepository::new()),
            clock(),
            &Settings::default(),
        );
        let mut sink = VecSink::default();
        let written = use_case
            .execute(DownloadHistoryCommand { user_id: user_id() }, &mut sink)
            .await
            .unwrap();
        assert_eq!(written, 0);
        assert_eq!(sink.rows, [COLUMNS.map(str::to_owned).to_vec()]);
    }

    #[tokio::test]
    async fn a_store_failure_writes_nothing() {
        let mut accounts = MockAccountRepository::new();
        accounts
            .expect_linked()
            .return_once(|_| Err(StoreError::Unavailable("down".into())));
        let use_case = DownloadHistory::new(
            Arc::new(accounts),
            Arc::new(MockReadingRepository::new()),
            Arc::new(MockPaymentRepository::new()),
            clock(),
            &Settings::default(),
        );
        let mut sink = VecSink::default();
        let result = use_case
            .execute(DownloadHistoryCommand { user_id: user_id() }, &mut sink)
            .await;
        assert!(matches!(result, Err(DownloadHistoryError::Store(_))));
        assert!(sink.rows.is_empty());
    }
}
