//! GET `/visit-requests/{id}/calendar.ics`: «Добавить в календарь» on a booked visit.

use std::fmt::Write as _;
use std::sync::Arc;

use chrono::{NaiveDate, NaiveDateTime, TimeDelta};
use vodokanal_domain::calendar_file::{Event, When, calendar_file};
use vodokanal_domain::visit::SLOT_MINUTES;
use vodokanal_domain::{UserId, UtilityCalendar, VisitRequestId};

use crate::Settings;
use crate::StoreError;
use crate::ports::{AccountRepository, Clock, VisitRequestRepository};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VisitCalendarCommand {
    pub user_id: UserId,
    pub visit_id: VisitRequestId,
}

/// The calendar file of a visit, and the visit's date (for the file's name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisitCalendarFile {
    pub date: NaiveDate,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VisitCalendarError {
    /// No such visit request of the user (another user's is the same answer).
    #[error("no such visit request of the user")]
    NotFound,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The calendar file (RFC 5545) of one of the user's visit requests: «Приемка ИПУ» or
/// «Сверка ИПУ» at its date and time in the utility's zone, for the slot's 30 minutes, at the
/// account's address, with the account and meter numbers and the contact center's first
/// phone in the description; UID `<visit id>@<public host>`, the same on every download.
#[derive(Debug)]
pub struct VisitCalendar {
    visits: Arc<dyn VisitRequestRepository>,
    accounts: Arc<dyn AccountRepository>,
    clock: Arc<dyn Clock>,
    calendar: UtilityCalendar,
    host: String,
    phone: Option<String>,
}

impl VisitCalendar {
    pub fn new(
        visits: Arc<dyn VisitRequestRepository>,
        accounts: Arc<dyn AccountRepository>,
        clock: Arc<dyn Clock>,
        settings: &Settings,
    ) -> Self {
        Self {
            visits,
            accounts,
            clock,
            calendar: settings.calendar,
            host: settings.public_host().to_owned(),
            phone: settings.contact_center.phones.first().cloned(),
        }
    }

    pub async fn execute(
        &self,
        command: VisitCalendarCommand,
    ) -> Result<VisitCalendarFile, VisitCalendarError> {
        let visit = self
            .visits
            .for_user(command.user_id)
            .await?
            .into_iter()
            .find(|visit| visit.id == command.visit_id)
            .ok_or(VisitCalendarError::NotFound)?;
        let address = self
            .accounts
            .find(&visit.account_number)
            .await?
            .map(|account| account.address);
        let mut description = format!("Лицевой счет {}.", visit.account_number);
        if let Some(meter) = &visit.meter_number {
            let _ = write!(description, "\nСчетчик {meter}.");
        }
        if let Some(phone) = &self.phone {
            let _ = write!(description, "\nКонтактный центр: {phone}.");
        }
        let start = NaiveDateTime::new(visit.slot.date(), visit.slot.time());
        let event = Event {
            uid: format!("{}@{}", visit.id, self.host),
            summary: visit.kind.title().to_owned(),
            description: Some(description),
            location: address,
            when: When::Timed {
                start,
                end: start + TimeDelta::minutes(i64::from(SLOT_MINUTES)),
            },
            monthly: false,
            alarm: None,
        };
        Ok(VisitCalendarFile {
            date: visit.slot.date(),
            text: calendar_file(&[event], self.calendar.time_zone(), self.clock.now()),
        })
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveTime;
    use mockall::predicate::eq;
    use vodokanal_domain::{VisitKind, VisitRequest, VisitSlot, VisitStatus};

    use super::*;
    use crate::ports::{MockAccountRepository, MockVisitRequestRepository};
    use crate::testing::{account, account_number, clock, meter_number, now, phone, user_id};

    fn visit() -> VisitRequest {
        VisitRequest {
            id: VisitRequestId::from_random_bytes([5; 16]),
            kind: VisitKind::MeterVerification,
            account_number: account_number(),
            meter_number: Some(meter_number()),
            phone: phone(),
            slot: VisitSlot::restore(
                NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
                NaiveTime::from_hms_opt(9, 30, 0).unwrap(),
            ),
            notes: None,
            status: VisitStatus::New,
            created_at: now(),
            user_id: Some(user_id()),
        }
    }

    fn use_case(accounts: MockAccountRepository) -> VisitCalendar {
        let mut visits = MockVisitRequestRepository::new();
        visits
            .expect_for_user()
            .with(eq(user_id()))
            .return_once(|_| Ok(vec![visit()]));
        let settings = Settings {
            public_url: "https://cabinet.vodokanal.example/".into(),
            ..Settings::default()
        };
        VisitCalendar::new(Arc::new(visits), Arc::new(accounts), clock(), &settings)
    }

    #[tokio::test]
    async fn a_visit_is_its_half_hour_at_the_address_in_the_utility_zone() {
        let mut accounts = MockAccountRepository::new();
        accounts
            .expect_find()
            .with(eq(account_number()))
            .return_once(|_| Ok(Some(account())));
        let file = use_case(accounts)
            .execute(VisitCalendarCommand {
                user_id: user_id(),
                visit_id: visit().id,
            })
            .await
            .unwrap();
        assert_eq!(file.date, visit().slot.date());
        let unfolded = file.text.replace("\r\n ", "");
        for line in [
            format!("UID:{}@cabinet.vodokanal.example", visit().id),
            "DTSTAMP:20261116T090000Z".to_owned(),
            "DTSTART;TZID=Europe/Moscow:20261120T093000".to_owned(),
            "DTEND;TZID=Europe/Moscow:20261120T100000".to_owned(),
            "SUMMARY:Сверка ИПУ".to_owned(),
            format!(
                "DESCRIPTION:Лицевой счет {}.\\nСчетчик {}.\\nКонтактный центр: +7 (4932) 93-01-08.",
                account_number(),
                meter_number()
            ),
            "LOCATION:г. Иваново\\, ул. Лежневская\\, д. 1\\, кв. 2".to_owned(),
            "TZID:Europe/Moscow".to_owned(),
        ] {
            assert!(
                unfolded.contains(&format!("\r\n{line}\r\n")),
                "{line} in {unfolded}"
            );
        }
    }

    #[tokio::test]
    async fn another_users_or_an_unknown_visit_is_not_found() {
        let text = use_case(MockAccountRepository::new())
            .execute(VisitCalendarCommand {
                user_id: user_id(),
                visit_id: VisitRequestId::from_random_bytes([6; 16]),
            })
            .await;
        assert_eq!(text, Err(VisitCalendarError::NotFound));
    }
}
