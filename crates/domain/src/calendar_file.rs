//! Calendar files (iCalendar, RFC 5545) a phone's calendar imports: the reading window as a
//! monthly all-day event, and a booked visit as a timed one.
//!
//! The text rules: every line ends with CRLF; a line longer than 75 octets is folded (CRLF
//! and one space), never inside a UTF-8 character; a TEXT value escapes `\`, `;`, `,` and
//! newlines. A timed event is written in the utility's zone (`DTSTART;TZID=Europe/Moscow:…`)
//! with a `VTIMEZONE` of one `STANDARD` part, which is the whole truth for a zone whose offset
//! does not change in the year around the event (every Russian zone since 2014). For a zone
//! with daylight saving time (or any change of offset near the event) one `STANDARD` part
//! would be false, so the times are written in UTC (`DTSTART:20261208T060000Z`) with no
//! `TZID` and no `VTIMEZONE`: the calendar shows them in its own zone, at the right instant.

use std::fmt::Write as _;

use chrono::{
    DateTime, Datelike, Days, NaiveDate, NaiveDateTime, Offset, TimeDelta, TimeZone, Utc,
};
use chrono_tz::{OffsetName, Tz};

use crate::reading::ReadingWindow;

/// The longest line, in octets, before it is folded (CRLF not counted).
const LINE_OCTETS: usize = 75;
const PRODID: &str = "-//vodokanal//subscriber cabinet//RU";

/// When an event takes place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    /// Whole days in the utility's calendar: `first` to `last`, both included.
    AllDay { first: NaiveDate, last: NaiveDate },
    /// Wall-clock times in the utility's zone, `end` after `start`.
    Timed {
        start: NaiveDateTime,
        end: NaiveDateTime,
    },
}

/// A reminder shown by the calendar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alarm {
    /// How long after the event's start (for an all-day event, after its midnight).
    pub after_start: TimeDelta,
    pub text: String,
}

/// One `VEVENT`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Stable: the same thing always gets the same UID, so a second import updates it.
    pub uid: String,
    pub summary: String,
    pub description: Option<String>,
    pub location: Option<String>,
    pub when: When,
    /// Repeats every month on the same day (`RRULE:FREQ=MONTHLY`); a month without that day
    /// has no instance (RFC 5545 3.3.10).
    pub monthly: bool,
    pub alarm: Option<Alarm>,
}

/// A whole `VCALENDAR` file's text for `events` in the zone `tz`, stamped `stamp`.
pub fn calendar_file(events: &[Event], tz: Tz, stamp: DateTime<Utc>) -> String {
    let zone = zone_for(events, tz);
    let mut lines = vec![
        "BEGIN:VCALENDAR".to_owned(),
        "VERSION:2.0".to_owned(),
        format!("PRODID:{PRODID}"),
        "CALSCALE:GREGORIAN".to_owned(),
        "METHOD:PUBLISH".to_owned(),
    ];
    if let Zone::Fixed(offset) = zone {
        lines.extend(timezone(tz, offset, events));
    }
    for event in events {
        lines.extend(vevent(event, tz, zone, stamp));
    }
    lines.push("END:VCALENDAR".to_owned());
    let mut text = String::new();
    for line in &lines {
        text.push_str(&fold(line));
    }
    text
}

/// How timed events are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Zone {
    /// With `TZID` and a one-part `VTIMEZONE`: the offset in seconds east of UTC.
    Fixed(i32),
    /// In UTC.
    Utc,
}

/// `Fixed` when the zone's offset is the same a year either side of every timed event (and
/// there is at least one), else `Utc`.
fn zone_for(events: &[Event], tz: Tz) -> Zone {
    let mut offset = None;
    for event in events {
        let When::Timed { start, .. } = event.when else {
            continue;
        };
        let at = instant(tz, start);
        for days in (-366..=366).step_by(30).chain([366]) {
            let probe = at + TimeDelta::days(days);
            let seconds = tz
                .offset_from_utc_datetime(&probe.naive_utc())
                .fix()
                .local_minus_utc();
            if *offset.get_or_insert(seconds) != seconds {
                return Zone::Utc;
            }
        }
    }
    offset.map_or(Zone::Utc, Zone::Fixed)
}

/// The instant of a wall-clock time in `tz` (the earlier one when it is ambiguous, the time
/// as UTC when it does not exist there).
fn instant(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    tz.from_local_datetime(&local)
        .earliest()
        .map_or_else(|| local.and_utc(), |at| at.with_timezone(&Utc))
}

fn timezone(tz: Tz, offset: i32, events: &[Event]) -> Vec<String> {
    let offset = utc_offset(offset);
    let name = events.iter().find_map(|event| match event.when {
        When::Timed { start, .. } => tz
            .offset_from_utc_datetime(&instant(tz, start).naive_utc())
            .abbreviation()
            .map(str::to_owned),
        When::AllDay { .. } => None,
    });
    let mut lines = vec![
        "BEGIN:VTIMEZONE".to_owned(),
        format!("TZID:{}", tz.name()),
        "BEGIN:STANDARD".to_owned(),
        "DTSTART:19700101T000000".to_owned(),
        format!("TZOFFSETFROM:{offset}"),
        format!("TZOFFSETTO:{offset}"),
    ];
    if let Some(name) = name {
        lines.push(format!("TZNAME:{}", escape(&name)));
    }
    lines.extend(["END:STANDARD".to_owned(), "END:VTIMEZONE".to_owned()]);
    lines
}

/// `+0300`, `-0330`, `+0545`.
fn utc_offset(seconds: i32) -> String {
    let sign = if seconds < 0 { '-' } else { '+' };
    let minutes = seconds.unsigned_abs() / 60;
    format!("{sign}{:02}{:02}", minutes / 60, minutes % 60)
}

fn vevent(event: &Event, tz: Tz, zone: Zone, stamp: DateTime<Utc>) -> Vec<String> {
    let mut lines = vec![
        "BEGIN:VEVENT".to_owned(),
        format!("UID:{}", escape(&event.uid)),
        format!("DTSTAMP:{}", utc(stamp)),
    ];
    match event.when {
        When::AllDay { first, last } => {
            let end = last.checked_add_days(Days::new(1)).unwrap_or(last);
            lines.push(format!("DTSTART;VALUE=DATE:{}", date(first)));
            lines.push(format!("DTEND;VALUE=DATE:{}", date(end)));
        }
        When::Timed { start, end } => {
            for (name, at) in [("DTSTART", start), ("DTEND", end)] {
                lines.push(match zone {
                    Zone::Fixed(_) => format!("{name};TZID={}:{}", tz.name(), local(at)),
                    Zone::Utc => format!("{name}:{}", utc(instant(tz, at))),
                });
            }
        }
    }
    if event.monthly {
        lines.push("RRULE:FREQ=MONTHLY".to_owned());
    }
    lines.push(format!("SUMMARY:{}", escape(&event.summary)));
    if let Some(description) = &event.description {
        lines.push(format!("DESCRIPTION:{}", escape(description)));
    }
    if let Some(location) = &event.location {
        lines.push(format!("LOCATION:{}", escape(location)));
    }
    // The reading window takes no time; a visit does: the subscriber must be at home.
    lines.push(match event.when {
        When::AllDay { .. } => "TRANSP:TRANSPARENT".to_owned(),
        When::Timed { .. } => "TRANSP:OPAQUE".to_owned(),
    });
    if let Some(alarm) = &event.alarm {
        lines.extend([
            "BEGIN:VALARM".to_owned(),
            "ACTION:DISPLAY".to_owned(),
            format!("TRIGGER:{}", duration(alarm.after_start)),
            format!("DESCRIPTION:{}", escape(&alarm.text)),
            "END:VALARM".to_owned(),
        ]);
    }
    lines.push("END:VEVENT".to_owned());
    lines
}

fn date(day: NaiveDate) -> String {
    day.format("%Y%m%d").to_string()
}

fn local(at: NaiveDateTime) -> String {
    at.format("%Y%m%dT%H%M%S").to_string()
}

fn utc(at: DateTime<Utc>) -> String {
    at.format("%Y%m%dT%H%M%SZ").to_string()
}

/// A DURATION value: `PT9H`, `-PT15M`, `PT1H30M`, `PT0S`.
fn duration(delta: TimeDelta) -> String {
    let sign = if delta < TimeDelta::zero() { "-" } else { "" };
    let seconds = delta.num_seconds().unsigned_abs();
    let (hours, minutes, seconds) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    let mut text = format!("{sign}PT");
    if hours > 0 {
        let _ = write!(text, "{hours}H");
    }
    if minutes > 0 {
        let _ = write!(text, "{minutes}M");
    }
    if seconds > 0 || (hours == 0 && minutes == 0) {
        let _ = write!(text, "{seconds}S");
    }
    text
}

/// A TEXT value escaped (RFC 5545 3.3.11): `\` `;` `,` get a backslash, a line break (CRLF,
/// LF or a lone CR) becomes `\n`.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push_str("\\n");
            }
            other => out.push(other),
        }
    }
    out
}

/// One content line folded (RFC 5545 3.1): at most 75 octets a line, the continuation lines
/// starting with a space (counted in their 75), never splitting a UTF-8 character; every
/// line ends with CRLF.
pub fn fold(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + line.len() / 32 + 2);
    let mut room = LINE_OCTETS;
    for c in line.chars() {
        let octets = c.len_utf8();
        if octets > room {
            out.push_str("\r\n ");
            room = LINE_OCTETS - 1;
        }
        out.push(c);
        room -= octets;
    }
    out.push_str("\r\n");
    out
}

/// The reading window as calendar spans, each repeated monthly from the first month, from
/// `today`'s on, that has its first day: the days `from..=to`, and when the window reaches
/// past day 28 (not every month has days 29 to 31), the days up to 28 as one span and each
/// later day as a span of its own. A month without such a day then has no event on it, which
/// is the window itself: it ends with a short month (`ReadingWindow`). `15-25` is one span;
/// `25-31` is 25-28, 29, 30 and 31; `30-31` is 30 and 31.
pub fn reading_window_spans(
    window: ReadingWindow,
    today: NaiveDate,
) -> Vec<(NaiveDate, NaiveDate)> {
    let (from, to) = (u32::from(window.from_day()), u32::from(window.to_day()));
    let mut spans = Vec::new();
    if from <= 28 {
        spans.push((from, to.min(28)));
    }
    spans.extend((from.max(29)..=to).map(|day| (day, day)));
    spans
        .into_iter()
        .filter_map(|(first, last)| {
            let month = first_month_with_day(today, first)?;
            Some((month.with_day(first)?, month.with_day(last)?))
        })
        .collect()
}

/// The first day of the first month from `today`'s on that has the day `day`.
fn first_month_with_day(today: NaiveDate, day: u32) -> Option<NaiveDate> {
    let mut month = today.with_day(1)?;
    for _ in 0..12 {
        if month.with_day(day).is_some() {
            return Some(month);
        }
        month = month.checked_add_months(chrono::Months::new(1))?;
    }
    None
}

#[cfg(test)]
mod tests {
    use chrono::NaiveTime;

    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
        day(y, m, d).and_time(NaiveTime::from_hms_opt(h, min, 0).unwrap())
    }

    fn stamp() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-12-07T10:15:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    fn visit() -> Event {
        Event {
            uid: "0190a0b0-0000-7000-8000-000000000001@cabinet.vodokanal.example".into(),
            summary: "Приемка ИПУ".into(),
            description: Some(
                "Лицевой счет 100001, счетчик ВСХ-0011234.\nКонтактный центр: +7 (4932) 93-01-08"
                    .into(),
            ),
            location: Some("г. Иваново, ул. Лежневская, д. 1; кв. 2".into()),
            when: When::Timed {
                start: at(2026, 12, 8, 9, 30),
                end: at(2026, 12, 8, 10, 0),
            },
            monthly: false,
            alarm: None,
        }
    }

    #[test]
    fn a_visit_in_a_zone_without_daylight_saving_is_written_in_it() {
        let text = calendar_file(&[visit()], chrono_tz::Europe::Moscow, stamp());
        let expected = "BEGIN:VCALENDAR\r\n\
            VERSION:2.0\r\n\
            PRODID:-//vodokanal//subscriber cabinet//RU\r\n\
            CALSCALE:GREGORIAN\r\n\
            METHOD:PUBLISH\r\n\
            BEGIN:VTIMEZONE\r\n\
            TZID:Europe/Moscow\r\n\
            BEGIN:STANDARD\r\n\
            DTSTART:19700101T000000\r\n\
            TZOFFSETFROM:+0300\r\n\
            TZOFFSETTO:+0300\r\n\
            TZNAME:MSK\r\n\
            END:STANDARD\r\n\
            END:VTIMEZONE\r\n\
            BEGIN:VEVENT\r\n\
            UID:0190a0b0-0000-7000-8000-000000000001@cabinet.vodokanal.example\r\n\
            DTSTAMP:20261207T101500Z\r\n\
            DTSTART;TZID=Europe/Moscow:20261208T093000\r\n\
            DTEND;TZID=Europe/Moscow:20261208T100000\r\n\
            SUMMARY:Приемка ИПУ\r\n\
            DESCRIPTION:Лицевой счет 100001\\, счетчик ВСХ-0011234.\r\n \
            \\nКонтактный центр: +7 (4932) 93-01-08\r\n\
            LOCATION:г. Иваново\\, ул. Лежневская\\, д. 1\\; кв. 2\r\n\
            TRANSP:OPAQUE\r\n\
            END:VEVENT\r\n\
            END:VCALENDAR\r\n";
        assert_eq!(text, expected);
    }

    #[test]
    fn a_zone_with_daylight_saving_gets_utc_times_and_no_vtimezone() {
        // 09:30 in Berlin in December is 08:30 UTC; in July it would be 07:30.
        let text = calendar_file(&[visit()], chrono_tz::Europe::Berlin, stamp());
        assert!(!text.contains("VTIMEZONE"), "{text}");
        assert!(!text.contains("TZID"), "{text}");
        assert!(text.contains("\r\nDTSTART:20261208T083000Z\r\n"), "{text}");
        assert!(text.contains("\r\nDTEND:20261208T090000Z\r\n"), "{text}");
        let july = Event {
            when: When::Timed {
                start: at(2027, 7, 8, 9, 30),
                end: at(2027, 7, 8, 10, 0),
            },
            ..visit()
        };
        let text = calendar_file(&[july], chrono_tz::Europe::Berlin, stamp());
        assert!(text.contains("\r\nDTSTART:20270708T073000Z\r\n"), "{text}");
    }

    #[test]
    fn a_zone_that_changed_its_offset_within_a_year_of_the_event_gets_utc_times() {
        // Moscow went from +04 to +03 on 26 October 2014.
        let event = Event {
            when: When::Timed {
                start: at(2014, 12, 1, 9, 0),
                end: at(2014, 12, 1, 9, 30),
            },
            ..visit()
        };
        let text = calendar_file(&[event], chrono_tz::Europe::Moscow, stamp());
        assert!(text.contains("\r\nDTSTART:20141201T060000Z\r\n"), "{text}");
        assert!(!text.contains("VTIMEZONE"));
    }

    #[test]
    fn other_fixed_offsets_are_written_with_their_sign_and_minutes() {
        assert_eq!(utc_offset(3 * 3600), "+0300");
        assert_eq!(utc_offset(-(3 * 3600 + 1800)), "-0330");
        assert_eq!(utc_offset(5 * 3600 + 45 * 60), "+0545");
        let text = calendar_file(&[visit()], chrono_tz::Asia::Kamchatka, stamp());
        assert!(text.contains("\r\nTZOFFSETTO:+1200\r\n"), "{text}");
        assert!(
            text.contains("\r\nDTSTART;TZID=Asia/Kamchatka:20261208T093000\r\n"),
            "{text}"
        );
    }

    #[test]
    fn the_reading_window_is_a_monthly_all_day_event_with_a_morning_alarm() {
        let event = Event {
            uid: "reading-window-15-25@cabinet.vodokanal.example".into(),
            summary: "Передать показания ИПУ".into(),
            description: Some("https://cabinet.vodokanal.example/#/readings".into()),
            location: None,
            when: When::AllDay {
                first: day(2026, 12, 15),
                last: day(2026, 12, 25),
            },
            monthly: true,
            alarm: Some(Alarm {
                after_start: TimeDelta::hours(9),
                text: "Передать показания ИПУ".into(),
            }),
        };
        let text = calendar_file(&[event], chrono_tz::Europe::Moscow, stamp());
        let expected = "BEGIN:VCALENDAR\r\n\
            VERSION:2.0\r\n\
            PRODID:-//vodokanal//subscriber cabinet//RU\r\n\
            CALSCALE:GREGORIAN\r\n\
            METHOD:PUBLISH\r\n\
            BEGIN:VEVENT\r\n\
            UID:reading-window-15-25@cabinet.vodokanal.example\r\n\
            DTSTAMP:20261207T101500Z\r\n\
            DTSTART;VALUE=DATE:20261215\r\n\
            DTEND;VALUE=DATE:20261226\r\n\
            RRULE:FREQ=MONTHLY\r\n\
            SUMMARY:Передать показания ИПУ\r\n\
            DESCRIPTION:https://cabinet.vodokanal.example/#/readings\r\n\
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
    fn a_long_cyrillic_line_folds_at_75_octets_between_characters() {
        let line = format!("DESCRIPTION:{}", "Показания".repeat(12));
        let folded = fold(&line);
        assert!(folded.ends_with("\r\n"));
        let parts: Vec<&str> = folded.trim_end_matches("\r\n").split("\r\n").collect();
        assert!(parts.len() > 2, "{parts:?}");
        for (i, part) in parts.iter().enumerate() {
            assert!(part.len() <= 75, "line {i} has {} octets", part.len());
            if i > 0 {
                assert!(part.starts_with(' '));
            }
        }
        // "DESCRIPTION:" is 12 octets, then 31 two-octet letters fit (74 octets): the 32nd
        // would make 76, so it starts the next line.
        assert_eq!(parts[0].len(), 74);
        // Unfolding gives the line back.
        assert_eq!(folded.replace("\r\n ", "").trim_end_matches("\r\n"), line);
    }

    #[test]
    fn a_short_line_is_left_whole_and_an_exact_fit_is_not_folded() {
        assert_eq!(fold("VERSION:2.0"), "VERSION:2.0\r\n");
        let exact = "X".repeat(75);
        assert_eq!(fold(&exact), format!("{exact}\r\n"));
        let over = "X".repeat(76);
        assert_eq!(fold(&over), format!("{}\r\n X\r\n", "X".repeat(75)));
        // A four-octet character at the edge moves whole.
        let edge = format!("{}😀", "X".repeat(73));
        assert_eq!(fold(&edge), format!("{}\r\n 😀\r\n", "X".repeat(73)));
    }

    #[test]
    fn text_escapes_backslash_semicolon_comma_and_line_breaks() {
        assert_eq!(escape(r"a\b;c,d"), r"a\\b\;c\,d");
        assert_eq!(escape("one\ntwo\r\nthree\rfour"), r"one\ntwo\nthree\nfour");
        assert_eq!(escape("Приемка: ИПУ"), "Приемка: ИПУ");
    }

    #[test]
    fn durations() {
        assert_eq!(duration(TimeDelta::hours(9)), "PT9H");
        assert_eq!(duration(TimeDelta::minutes(-15)), "-PT15M");
        assert_eq!(duration(TimeDelta::minutes(90)), "PT1H30M");
        assert_eq!(duration(TimeDelta::zero()), "PT0S");
    }

    fn window(text: &str) -> ReadingWindow {
        text.parse().unwrap()
    }

    #[test]
    fn a_window_within_day_28_is_one_span_of_the_current_month() {
        assert_eq!(
            reading_window_spans(window("15-25"), day(2026, 12, 7)),
            [(day(2026, 12, 15), day(2026, 12, 25))]
        );
        assert_eq!(
            reading_window_spans(window("1-28"), day(2027, 2, 28)),
            [(day(2027, 2, 1), day(2027, 2, 28))]
        );
    }

    #[test]
    fn a_window_past_day_28_gives_each_later_day_its_own_span() {
        assert_eq!(
            reading_window_spans(window("25-31"), day(2026, 12, 7)),
            [
                (day(2026, 12, 25), day(2026, 12, 28)),
                (day(2026, 12, 29), day(2026, 12, 29)),
                (day(2026, 12, 30), day(2026, 12, 30)),
                (day(2026, 12, 31), day(2026, 12, 31)),
            ]
        );
        // In February 2027 (28 days) the days 29 to 31 start in March.
        assert_eq!(
            reading_window_spans(window("30-31"), day(2027, 2, 10)),
            [
                (day(2027, 3, 30), day(2027, 3, 30)),
                (day(2027, 3, 31), day(2027, 3, 31)),
            ]
        );
        // In April (30 days) day 31 starts in May.
        assert_eq!(
            reading_window_spans(window("29-31"), day(2027, 4, 1)),
            [
                (day(2027, 4, 29), day(2027, 4, 29)),
                (day(2027, 4, 30), day(2027, 4, 30)),
                (day(2027, 5, 31), day(2027, 5, 31)),
            ]
        );
    }
}
