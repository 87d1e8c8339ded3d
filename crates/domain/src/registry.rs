//! One row of the billing system's registry: an account and one of its meters.
//!
//! Columns, in order: `account_number;address;debt;balance_as_of;meter_number;meter_service;
//! verification_due;last_reading;last_reading_date`. An account without meters has one row
//! with the meter columns empty. Reading the CSV is the adapters' job; the rules of a row are
//! here.

use chrono::NaiveDate;

use crate::account::AccountNumber;
use crate::meter::{MeterNumber, MeterService};
use crate::money::Balance;
use crate::reading::ReadingValue;

/// The header row, also used by the exports' conventions.
pub const COLUMNS: [&str; 9] = [
    "account_number",
    "address",
    "debt",
    "balance_as_of",
    "meter_number",
    "meter_service",
    "verification_due",
    "last_reading",
    "last_reading_date",
];

const MAX_ADDRESS_CHARS: usize = 300;

/// Why a registry row is rejected; shown to the operator with the line number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistryRowError {
    #[error("expected {} columns, found {found}", COLUMNS.len())]
    ColumnCount { found: usize },
    #[error("{column}: {reason}")]
    Field {
        column: &'static str,
        reason: String,
    },
}

fn field_error(column: &'static str, reason: impl std::fmt::Display) -> RegistryRowError {
    RegistryRowError::Field {
        column,
        reason: reason.to_string(),
    }
}

/// A meter as the registry lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryMeter {
    pub number: MeterNumber,
    pub service: MeterService,
    pub verification_due: Option<NaiveDate>,
    /// The last reading the billing system knows, and its date.
    pub last_reading: Option<(ReadingValue, NaiveDate)>,
}

/// A valid registry row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryRecord {
    pub account_number: AccountNumber,
    pub address: String,
    /// Positive: the subscriber owes the utility.
    pub balance: Balance,
    pub balance_as_of: NaiveDate,
    pub meter: Option<RegistryMeter>,
}

fn parse_date(column: &'static str, text: &str) -> Result<NaiveDate, RegistryRowError> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| field_error(column, format!("{text:?} is not a date YYYY-MM-DD")))
}

fn optional(text: &str) -> Option<&str> {
    let trimmed = text.trim();
    (!trimmed.is_empty()).then_some(trimmed)
}

impl RegistryRecord {
    /// Builds a record from the fields of one CSV row (already unquoted).
    pub fn parse<S: AsRef<str>>(fields: &[S]) -> Result<Self, RegistryRowError> {
        let [
            account,
            address,
            debt,
            as_of,
            meter,
            service,
            due,
            reading,
            reading_date,
        ] = fields
        else {
            return Err(RegistryRowError::ColumnCount {
                found: fields.len(),
            });
        };
        let account_number = account
            .as_ref()
            .parse::<AccountNumber>()
            .map_err(|e| field_error("account_number", e))?;
        let address = address.as_ref().trim().to_owned();
        if address.is_empty() {
            return Err(field_error("address", "is empty"));
        }
        if address.chars().count() > MAX_ADDRESS_CHARS {
            return Err(field_error(
                "address",
                format!("is longer than {MAX_ADDRESS_CHARS} characters"),
            ));
        }
        let balance = debt
            .as_ref()
            .parse::<Balance>()
            .map_err(|e| field_error("debt", e))?;
        let balance_as_of = parse_date("balance_as_of", as_of.as_ref().trim())?;

        let meter_number = optional(meter.as_ref());
        let service = optional(service.as_ref());
        let due = optional(due.as_ref());
        let reading = optional(reading.as_ref());
        let reading_date = optional(reading_date.as_ref());
        let Some(meter_number) = meter_number else {
            if service.or(due).or(reading).or(reading_date).is_some() {
                return Err(field_error(
                    "meter_number",
                    "is empty while other meter columns are set",
                ));
            }
            return Ok(Self {
                account_number,
                address,
                balance,
                balance_as_of,
                meter: None,
            });
        };
        let number = meter_number
            .parse::<MeterNumber>()
            .map_err(|e| field_error("meter_number", e))?;
        let service = service
            .ok_or_else(|| field_error("meter_service", "is empty"))?
            .parse::<MeterService>()
            .map_err(|e| field_error("meter_service", e))?;
        let verification_due = due.map(|d| parse_date("verification_due", d)).transpose()?;
        let last_reading = match (reading, reading_date) {
            (None, None) => None,
            (Some(value), Some(date)) => Some((
                value
                    .parse::<ReadingValue>()
                    .map_err(|e| field_error("last_reading", e))?,
                parse_date("last_reading_date", date)?,
            )),
            (Some(_), None) => {
                return Err(field_error(
                    "last_reading_date",
                    "is empty while last_reading is set",
                ));
            }
            (None, Some(_)) => {
                return Err(field_error(
                    "last_reading",
                    "is empty while last_reading_date is set",
                ));
            }
        };
        Ok(Self {
            account_number,
            address,
            balance,
            balance_as_of,
            meter: Some(RegistryMeter {
                number,
                service,
                verification_due,
                last_reading,
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn row(line: &str) -> Result<RegistryRecord, RegistryRowError> {
        RegistryRecord::parse(&line.split(';').collect::<Vec<_>>())
    }

    #[test]
    fn parses_a_full_row() {
        let record = row("123456;г. Иваново, ул. Лежневская, д. 1;1234.50;2026-10-31;ВСХ-0011234;cold_water;2030-01-15;123.456;2026-10-25").unwrap();
        assert_eq!(record.account_number.as_str(), "123456");
        assert_eq!(record.balance.to_string(), "1234.50");
        let meter = record.meter.unwrap();
        assert_eq!(meter.number.as_str(), "ВСХ-0011234");
        assert_eq!(meter.service, MeterService::ColdWater);
        assert_eq!(meter.last_reading.unwrap().0.to_string(), "123.456");
    }

    #[test]
    fn an_account_without_meters_has_empty_meter_columns() {
        let record = row("123456;Адрес;-10.00;2026-10-31;;;;;").unwrap();
        assert_eq!(record.meter, None);
        assert_eq!(record.balance.kopecks(), -1000);
    }

    #[test]
    fn bad_rows_say_which_column_and_why() {
        let cases = [
            ("1;2;3", "expected 9 columns, found 3"),
            (
                "12;Адрес;0;2026-10-31;;;;;",
                "account_number: account number must be 4 to 20 digits long",
            ),
            ("123456; ;0;2026-10-31;;;;;", "address: is empty"),
            (
                "123456;Адрес;abc;2026-10-31;;;;;",
                "debt: amount is not a number of roubles with at most two decimals",
            ),
            (
                "123456;Адрес;0;31.10.2026;;;;;",
                "balance_as_of: \"31.10.2026\" is not a date YYYY-MM-DD",
            ),
            (
                "123456;Адрес;0;2026-10-31;;cold_water;;;",
                "meter_number: is empty while other meter columns are set",
            ),
            (
                "123456;Адрес;0;2026-10-31;M1;gas;;;",
                "meter_service: meter service must be cold_water or hot_water",
            ),
            (
                "123456;Адрес;0;2026-10-31;M1;;;;",
                "meter_service: is empty",
            ),
            (
                "123456;Адрес;0;2026-10-31;M1;hot_water;;12;",
                "last_reading_date: is empty while last_reading is set",
            ),
            (
                "123456;Адрес;0;2026-10-31;M1;hot_water;;-1;2026-10-01",
                "last_reading: reading is not a number of cubic metres with at most three decimals",
            ),
        ];
        for (line, expected) in cases {
            assert_eq!(row(line).unwrap_err().to_string(), expected, "{line}");
        }
    }

    proptest! {
        #[test]
        fn arbitrary_fields_never_panic(fields in proptest::collection::vec("\\PC*", 0..12)) {
            let _ = RegistryRecord::parse(&fields);
        }
    }
}
