//! GET `/reading-window.ics`: «Добавить в календарь» beside the reading window.

use std::fmt::Write as _;
use std::sync::Arc;

use chrono::TimeDelta;
use vodokanal_domain::calendar_file::{Alarm, Event, When, calendar_file, reading_window_spans};
use vodokanal_domain::{ReadingWindow, UtilityCalendar};

use crate::Settings;
use crate::ports::Clock;

/// What the events are called (the guide has no wording for the window; «Передать показания»
/// is its own for the action).
pub const SUMMARY: &str = "Передать показания ИПУ";
/// The alarm rings this long after the window's first day begins: 09:00 local.
const ALARM_AFTER: TimeDelta = TimeDelta::hours(9);

/// The reading window as a calendar file (RFC 5545): all-day events from the window's first
/// day of the current month (the utility's calendar) to its last, repeated monthly, with an
/// alarm at 09:00 on the first day. A window past day 28 is split so that a short month ends
/// it (`reading_window_spans`). The description links the web client's readings screen.
/// `None` when no window is configured (readings are taken any day).
#[derive(Debug)]
pub struct ReadingWindowCalendar {
    clock: Arc<dyn Clock>,
    window: Option<ReadingWindow>,
    calendar: UtilityCalendar,
    host: String,
    readings_url: String,
}

impl ReadingWindowCalendar {
    pub fn new(clock: Arc<dyn Clock>, settings: &Settings) -> Self {
        Self {
            clock,
            window: settings.reading_policy.window,
            calendar: settings.calendar,
            host: settings.public_host().to_owned(),
            readings_url: format!("{}/#/readings", settings.public_url.trim_end_matches('/')),
        }
    }

    pub fn execute(&self) -> Option<String> {
        let window = self.window?;
        let now = self.clock.now();
        let (from, to) = (window.from_day(), window.to_day());
        let mut description =
            format!("Показания приборов учета принимаются с {from} по {to} число месяца");
        if to > 28 {
            description.push_str(" (в коротком месяце — по его последний день)");
        }
        let _ = write!(description, ".\nПередать показания: {}", self.readings_url);
        let events: Vec<Event> = reading_window_spans(window, self.calendar.today(now))
            .into_iter()
            .enumerate()
            .map(|(i, (first, last))| Event {
                uid: format!(
                    "reading-window-{from}-{to}-{}@{}",
                    first.format("%d"),
                    self.host
                ),
                summary: SUMMARY.to_owned(),
                description: Some(description.clone()),
                location: None,
                when: When::AllDay { first, last },
                monthly: true,
                alarm: (i == 0).then(|| Alarm {
                    after_start: ALARM_AFTER,
                    text: SUMMARY.to_owned(),
                }),
            })
            .collect();
        Some(calendar_file(&events, self.calendar.time_zone(), now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::clock;

    fn use_case(window: Option<&str>) -> ReadingWindowCalendar {
        let mut settings = Settings {
            public_url: "https://cabinet.vodokanal.example/".into(),
            ..Settings::default()
        };
        settings.reading_policy.window = window.map(|w| w.parse().unwrap());
        ReadingWindowCalendar::new(clock(), &settings)
    }

    #[test]
    fn no_window_no_file() {
        assert_eq!(use_case(None).execute(), None);
    }

    #[test]
    fn the_window_of_the_current_month_repeats_monthly() {
        let text = use_case(Some("15-25")).execute().unwrap();
        let expected = "BEGIN:VCALENDAR\r\n\
            VERSION:2.0\r\n\
            PRODID:-//vodokanal//subscriber cabinet//RU\r\n\
            CALSCALE:GREGORIAN\r\n\
            METHOD:PUBLISH\r\n\
            BEGIN:VEVENT\r\n\
            UID:reading-window-15-25-15@cabinet.vodokanal.example\r\n\
            DTSTAMP:20261116T090000Z\r\n\
            DTSTART;VALUE=DATE:20261115\r\n\
            DTEND;VALUE=DATE:20261126\r\n\
            RRULE:FREQ=MONTHLY\r\n\
            SUMMARY:Передать показания ИПУ\r\n\
            DESCRIPTION:Показания приборов учета принимаю\r\n \
            тся с 15 по 25 число месяца.\\nПередать показ\r\n \
            ания: https://cabinet.vodokanal.example/#/readings\r\n\
            TRANSP:TRANSPARENT\r\n\
            BEGIN:VALARM\r\n\
            ACTION:DISPLAY\r\n\
            TRIGGER:PT9H\r\n\
            DESCRIPTION:Передать показания ИПУ\r\n\
            END:VALARM\r\n\
            END:VEVENT\r\n\
            END:VCALENDAR\r\n";
        assert_eq!(text, expected);
    }

    #[test]
    fn a_window_to_the_months_end_is_split_and_alarms_once() {
        let text = use_case(Some("25-31")).execute().unwrap();
        let unfolded = text.replace("\r\n ", "");
        for uid in ["25", "29", "30", "31"] {
            assert!(
                unfolded.contains(&format!(
                    "\r\nUID:reading-window-25-31-{uid}@cabinet.vodokanal.example\r\n"
                )),
                "{uid}"
            );
        }
        assert_eq!(unfolded.matches("BEGIN:VEVENT").count(), 4);
        assert_eq!(unfolded.matches("RRULE:FREQ=MONTHLY").count(), 4);
        assert_eq!(unfolded.matches("BEGIN:VALARM").count(), 1);
        assert!(
            unfolded.contains("\r\nDTSTART;VALUE=DATE:20261125\r\nDTEND;VALUE=DATE:20261129\r\n")
        );
        assert!(unfolded.contains("в коротком месяце — по его последний день"));
    }
}
