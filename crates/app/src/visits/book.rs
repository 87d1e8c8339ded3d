//! POST `/visit-requests`: book a technician's visit on a day after today, within the contact
//! center's working hours.

use std::sync::Arc;

use chrono::{NaiveDate, NaiveTime};
use vodokanal_domain::{
    AccountNumber, MeterNumber, Notes, Phone, UserId, UtilityCalendar, VisitKind, VisitRequest,
    VisitRequestId, VisitSlot, VisitSlotError, VisitStatus, WorkingHours,
};

use crate::idempotency::{Answering, answer_for};
use crate::ports::{AccountRepository, Clock, Random, VisitRequestRepository};
use crate::{Settings, StoreError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookVisitCommand {
    pub user_id: UserId,
    pub kind: VisitKind,
    pub account_number: AccountNumber,
    pub meter_number: Option<MeterNumber>,
    /// Where the technician calls; any phone, not only the account holder's.
    pub phone: Phone,
    pub date: NaiveDate,
    pub time: NaiveTime,
    pub notes: Option<Notes>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BookVisitError {
    /// The account is not linked to the caller.
    #[error("the account is not linked to the user")]
    NotFound,
    /// The account has no such meter.
    #[error("the account has no such meter")]
    MeterNotFound,
    /// The slot is not after today, too far ahead, on a day off, outside the working hours or
    /// not on a half-hour boundary.
    #[error("the visit time is unavailable: {0}")]
    SlotUnavailable(VisitSlotError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Books a visit for one of the caller's accounts.
#[derive(Debug)]
pub struct BookVisit {
    accounts: Arc<dyn AccountRepository>,
    visits: Arc<dyn VisitRequestRepository>,
    random: Arc<dyn Random>,
    clock: Arc<dyn Clock>,
    calendar: UtilityCalendar,
    working_hours: WorkingHours,
}

impl BookVisit {
    pub fn new(
        accounts: Arc<dyn AccountRepository>,
        visits: Arc<dyn VisitRequestRepository>,
        random: Arc<dyn Random>,
        clock: Arc<dyn Clock>,
        settings: &Settings,
    ) -> Self {
        Self {
            accounts,
            visits,
            random,
            clock,
            calendar: settings.calendar,
            working_hours: settings.working_hours.clone(),
        }
    }

    /// The account, then the meter, then the slot (in the utility's local "today").
    pub async fn execute(
        &self,
        command: BookVisitCommand,
        answering: Option<&Answering<VisitRequest>>,
    ) -> Result<VisitRequest, BookVisitError> {
        let linked = self
            .accounts
            .linked_one(command.user_id, &command.account_number)
            .await?
            .ok_or(BookVisitError::NotFound)?;
        if let Some(number) = &command.meter_number
            && !linked
                .account
                .meters
                .iter()
                .any(|meter| meter.number == *number)
        {
            return Err(BookVisitError::MeterNotFound);
        }
        let now = self.clock.now();
        let slot = VisitSlot::new(
            command.date,
            command.time,
            self.calendar.today(now),
            &self.working_hours,
        )
        .map_err(BookVisitError::SlotUnavailable)?;
        let request = VisitRequest {
            id: VisitRequestId::from_random_bytes(self.random.id_bytes()),
            kind: command.kind,
            account_number: command.account_number,
            meter_number: command.meter_number,
            phone: command.phone,
            slot,
            notes: command.notes,
            status: VisitStatus::New,
            created_at: now,
            user_id: Some(command.user_id),
        };
        let answer = answer_for(answering, &request);
        self.visits.create(&request, answer).await?;
        tracing::info!(
            user = %command.user_id,
            phone = %request.phone.masked(),
            kind = request.kind.code(),
            "visit booked"
        );
        Ok(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::view::fixtures::{hot_meter_number, linked};
    use crate::ports::{MockAccountRepository, MockVisitRequestRepository};
    use crate::testing::down;
    use crate::testing::{account_number, clock, meter_number, now, phone, random, user_id};
    use chrono::{DateTime, Utc};

    fn date(day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, day).unwrap()
    }

    fn at(hour: u32, minute: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(hour, minute, 0).unwrap()
    }

    /// Tuesday 17 November at 10:00, for the given meter.
    fn command(meter: Option<MeterNumber>) -> BookVisitCommand {
        BookVisitCommand {
            user_id: user_id(),
            kind: VisitKind::MeterAcceptance,
            account_number: account_number(),
            meter_number: meter,
            phone: phone(),
            date: date(17),
            time: at(10, 0),
            notes: Some("Домофон не работает".parse().unwrap()),
        }
    }

    fn linked_account() -> MockAccountRepository {
        let mut accounts = MockAccountRepository::new();
        accounts
            .expect_linked_one()
            .withf(|user, number| *user == user_id() && *number == account_number())
            .times(1)
            .returning(|_, _| Ok(Some(linked(None))));
        accounts
    }

    fn book(accounts: MockAccountRepository, visits: MockVisitRequestRepository) -> BookVisit {
        BookVisit::new(
            Arc::new(accounts),
            Arc::new(visits),
            random(),
            clock(),
            &Settings::default(),
        )
    }

    fn expected(meter: Option<MeterNumber>) -> VisitRequest {
        VisitRequest {
            id: VisitRequestId::from_random_bytes([9; 16]),
            kind: VisitKind::MeterAcceptance,
            account_number: account_number(),
            meter_number: meter,
            phone: phone(),
            slot: VisitSlot::restore(date(17), at(10, 0)),
            notes: Some("Домофон не работает".parse().unwrap()),
            status: VisitStatus::New,
            created_at: now(),
            user_id: Some(user_id()),
        }
    }

    #[tokio::test]
    async fn a_visit_for_a_meter_of_the_account_is_booked_as_new() {
        let mut visits = MockVisitRequestRepository::new();
        visits
            .expect_create()
            .withf(|request, _| *request == expected(Some(meter_number())))
            .times(1)
            .returning(|_, _| Ok(()));
        let outcome = book(linked_account(), visits)
            .execute(command(Some(meter_number())), None)
            .await;
        assert_eq!(outcome, Ok(expected(Some(meter_number()))));
    }

    #[tokio::test]
    async fn a_visit_without_a_meter_is_booked() {
        let mut visits = MockVisitRequestRepository::new();
        visits
            .expect_create()
            .withf(|request, _| *request == expected(None))
            .times(1)
            .returning(|_, _| Ok(()));
        let outcome = book(linked_account(), visits)
            .execute(command(None), None)
            .await;
        assert_eq!(outcome, Ok(expected(None)));
    }

    #[tokio::test]
    async fn an_account_not_linked_to_the_caller_is_not_found() {
        let mut accounts = MockAccountRepository::new();
        accounts.expect_linked_one().returning(|_, _| Ok(None));
        let outcome = book(accounts, MockVisitRequestRepository::new())
            .execute(command(None), None)
            .await;
        assert_eq!(outcome, Err(BookVisitError::NotFound));
    }

    #[tokio::test]
    async fn a_meter_of_another_account_is_not_found() {
        let outcome = book(linked_account(), MockVisitRequestRepository::new())
            .execute(command(Some(hot_meter_number())), None)
            .await;
        assert_eq!(outcome, Err(BookVisitError::MeterNotFound));
    }

    #[tokio::test]
    async fn today_is_not_bookable() {
        let outcome = book(linked_account(), MockVisitRequestRepository::new())
            .execute(
                BookVisitCommand {
                    date: date(16),
                    ..command(None)
                },
                None,
            )
            .await;
        assert_eq!(
            outcome,
            Err(BookVisitError::SlotUnavailable(
                VisitSlotError::NotAfterToday
            ))
        );
    }

    #[tokio::test]
    async fn a_time_outside_the_working_hours_is_unavailable() {
        let outcome = book(linked_account(), MockVisitRequestRepository::new())
            .execute(
                BookVisitCommand {
                    time: at(18, 30),
                    ..command(None)
                },
                None,
            )
            .await;
        assert_eq!(
            outcome,
            Err(BookVisitError::SlotUnavailable(
                VisitSlotError::OutsideHours
            ))
        );
    }

    #[tokio::test]
    async fn sunday_is_unavailable() {
        let outcome = book(linked_account(), MockVisitRequestRepository::new())
            .execute(
                BookVisitCommand {
                    date: date(22),
                    ..command(None)
                },
                None,
            )
            .await;
        assert_eq!(
            outcome,
            Err(BookVisitError::SlotUnavailable(VisitSlotError::DayOff))
        );
    }

    #[tokio::test]
    async fn today_is_the_utilitys_local_day() {
        // 22:00 UTC on 16 November is already 17 November in Moscow: the 17th is today.
        let late = DateTime::parse_from_rfc3339("2026-11-16T22:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let use_case = BookVisit::new(
            Arc::new(linked_account()),
            Arc::new(MockVisitRequestRepository::new()),
            random(),
            crate::testing::clock_at(late),
            &Settings::default(),
        );
        assert_eq!(
            use_case.execute(command(None), None).await,
            Err(BookVisitError::SlotUnavailable(
                VisitSlotError::NotAfterToday
            ))
        );
    }

    /// The use case on ports that fail at one step.
    type Step = fn() -> BookVisit;

    #[tokio::test]
    async fn a_store_down_at_any_step_is_reported() {
        let steps: [(&str, Step); 2] = [
            ("account", || {
                let mut accounts = MockAccountRepository::new();
                accounts.expect_linked_one().returning(|_, _| Err(down()));
                book(accounts, MockVisitRequestRepository::new())
            }),
            ("visit", || {
                let mut visits = MockVisitRequestRepository::new();
                visits
                    .expect_create()
                    .times(1)
                    .returning(|_, _| Err(down()));
                book(linked_account(), visits)
            }),
        ];
        for (step, failing) in steps {
            let outcome = failing().execute(command(None), None).await;
            assert_eq!(outcome, Err(BookVisitError::Store(down())), "{step}");
        }
    }
}
