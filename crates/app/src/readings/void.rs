//! `vodokanal readings void --meter M --period P --reason TEXT`: the operator takes a wrong
//! reading out of the checks, the account's base and the export. The reading is kept with its
//! reason and time, shown in the subscriber's history as voided, and the period is free for a
//! new reading.

use std::sync::Arc;

use vodokanal_domain::{MeterNumber, Period, Reading, VoidReason, Voided};

use crate::StoreError;
use crate::ports::{Clock, ReadingRepository};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoidReadingCommand {
    pub meter_number: MeterNumber,
    pub period: Period,
    pub reason: VoidReason,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VoidReadingError {
    /// The meter has no live reading of the period (none at all, or it is voided already).
    #[error("meter {meter_number} has no reading of {period} to void")]
    NotFound {
        meter_number: MeterNumber,
        period: Period,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Voids a meter's reading of a period.
#[derive(Debug)]
pub struct VoidReading {
    readings: Arc<dyn ReadingRepository>,
    clock: Arc<dyn Clock>,
}

impl VoidReading {
    pub fn new(readings: Arc<dyn ReadingRepository>, clock: Arc<dyn Clock>) -> Self {
        Self { readings, clock }
    }

    /// The voided reading, logged at WARN (the reason stays in the database: it is the
    /// operator's free text).
    pub async fn execute(&self, command: VoidReadingCommand) -> Result<Reading, VoidReadingError> {
        let voided = Voided {
            at: self.clock.now(),
            reason: command.reason,
        };
        let reading = self
            .readings
            .void(&command.meter_number, command.period, &voided)
            .await?
            .ok_or(VoidReadingError::NotFound {
                meter_number: command.meter_number,
                period: command.period,
            })?;
        tracing::warn!(
            reading = %reading.id,
            meter = %reading.meter_number,
            period = %reading.period,
            value = %reading.value,
            source = reading.source.code(),
            "reading voided by the operator"
        );
        Ok(reading)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::MockReadingRepository;
    use crate::readings::fixtures::reading;
    use crate::testing::down;
    use crate::testing::{clock, meter_number, now};

    fn command() -> VoidReadingCommand {
        VoidReadingCommand {
            meter_number: meter_number(),
            period: "2026-11".parse().unwrap(),
            reason: "показание передал посторонний".parse().unwrap(),
        }
    }

    fn voided() -> Voided {
        Voided {
            at: now(),
            reason: command().reason,
        }
    }

    #[tokio::test]
    async fn the_periods_reading_is_voided_now_with_its_reason() {
        let mut readings = MockReadingRepository::new();
        let kept = Reading {
            voided: Some(voided()),
            ..reading(meter_number(), "999999.999", now())
        };
        let returned = kept.clone();
        readings
            .expect_void()
            .withf(|meter, period, how| {
                *meter == meter_number()
                    && *period == "2026-11".parse::<Period>().unwrap()
                    && *how == voided()
            })
            .times(1)
            .return_once(move |_, _, _| Ok(Some(returned)));
        let outcome = VoidReading::new(Arc::new(readings), clock())
            .execute(command())
            .await;
        assert_eq!(outcome, Ok(kept));
    }

    #[tokio::test]
    async fn no_reading_to_void_is_not_found() {
        let mut readings = MockReadingRepository::new();
        readings.expect_void().returning(|_, _, _| Ok(None));
        let outcome = VoidReading::new(Arc::new(readings), clock())
            .execute(command())
            .await;
        assert_eq!(
            outcome,
            Err(VoidReadingError::NotFound {
                meter_number: meter_number(),
                period: "2026-11".parse().unwrap(),
            })
        );
    }

    #[tokio::test]
    async fn a_failing_store_is_reported() {
        let mut readings = MockReadingRepository::new();
        readings.expect_void().returning(|_, _, _| Err(down()));
        let outcome = VoidReading::new(Arc::new(readings), clock())
            .execute(command())
            .await;
        assert_eq!(
            outcome,
            Err(VoidReadingError::Store(StoreError::Unavailable(
                "down".into()
            )))
        );
    }
}
