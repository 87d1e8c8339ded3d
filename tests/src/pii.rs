//! The personal data a test sent or received, and the scan of the servers' logs for it
//! (issue 15, point 6): every request through [`crate::Request`] from a [`crate::Server`] is
//! recorded (the JSON fields `phone`, `email`, `login`, `password`, `current_password`,
//! `new_password`, `code`, `full_name`, at any depth; the bearer token), so is every answer's
//! `token`, `phone` and `email`, and every SMS the test reads from the outbox (its phone and
//! code), and whatever a test remembers itself (`Deployment::remember`: a link's token, a push
//! endpoint's). When a [`crate::Deployment`] goes, every `*.log` file of its folder is searched for
//! each datum, a phone in each of its forms: a hit fails the test, naming the kind of datum and
//! the line, never the datum.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;
use std::sync::Mutex;

use serde_json::Value;

/// What a datum is: named in a failure instead of the datum itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Phone,
    Email,
    Login,
    Password,
    SmsCode,
    Token,
    FullName,
    /// The token of an e-mail's verification or unsubscribe link.
    LinkToken,
    /// The capability part of a browser's push endpoint.
    PushEndpoint,
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Phone => "phone",
            Self::Email => "e-mail",
            Self::Login => "login",
            Self::Password => "password",
            Self::SmsCode => "SMS code",
            Self::Token => "session token",
            Self::FullName => "full name",
            Self::LinkToken => "link token",
            Self::PushEndpoint => "push endpoint",
        })
    }
}

/// Shorter values are left out: a 6-digit code is the shortest datum, and shorter garbage
/// (`"a"`, `"b"`) would match words of any log line.
const MIN_CHARS: usize = 6;

/// The request fields that hold personal data, and what they hold.
fn field_kind(name: &str) -> Option<Kind> {
    Some(match name {
        "phone" => Kind::Phone,
        "email" => Kind::Email,
        "login" => Kind::Login,
        "password" | "current_password" | "new_password" => Kind::Password,
        "code" => Kind::SmsCode,
        "full_name" => Kind::FullName,
        _ => return None,
    })
}

/// Every datum of one deployment, each in the forms to search for.
#[derive(Debug, Default)]
pub struct Pii(Mutex<Data>);

#[derive(Debug, Default, Clone)]
struct Data {
    /// Each datum as sent (and lower-cased, for an e-mail), but phones.
    texts: BTreeMap<String, Kind>,
    /// The 10 digits of each phone's national number, found in any form
    /// (`+7 (910) 984-50-03`, `8 910 984 50 03`, `79109845003`, `9109845003`, ...).
    phones: BTreeSet<String>,
}

impl Pii {
    /// Records a datum: a phone (or a login that is one) in every form it may be logged in.
    pub fn remember(&self, kind: Kind, value: &str) {
        let value = value.trim();
        let mut data = self.0.lock().unwrap();
        if matches!(kind, Kind::Phone | Kind::Login)
            && let Some(national) = national_number(value)
        {
            data.phones.insert(national);
            return;
        }
        let mut forms = vec![value.to_owned()];
        if matches!(kind, Kind::Email | Kind::Login) {
            forms.push(value.to_lowercase());
        }
        if kind == Kind::FullName {
            forms.push(value.split_whitespace().collect::<Vec<_>>().join(" "));
        }
        for form in forms {
            if form.chars().count() >= MIN_CHARS {
                data.texts.entry(form).or_insert(kind);
            }
        }
    }

    /// How many data (phones) or forms (the others) of each kind are recorded.
    pub fn counts(&self) -> BTreeMap<Kind, usize> {
        let data = self.0.lock().unwrap();
        let mut counts = BTreeMap::new();
        for kind in data.texts.values() {
            *counts.entry(*kind).or_default() += 1;
        }
        if !data.phones.is_empty() {
            counts.insert(Kind::Phone, data.phones.len());
        }
        counts
    }

    /// Records what a request carries: its bearer token and the personal fields of its JSON
    /// body.
    pub fn request(&self, headers: &[(String, String)], body: &[u8]) {
        for (name, value) in headers {
            if name.eq_ignore_ascii_case("authorization")
                && let Some(token) = value.strip_prefix("Bearer ")
            {
                self.remember(Kind::Token, token);
            }
        }
        if let Ok(json) = serde_json::from_slice::<Value>(body) {
            self.fields(&json, &field_kind);
        }
    }

    /// Records what an answer carries: a session's token, a phone, an e-mail.
    pub fn response(&self, body: &str) {
        if let Ok(json) = serde_json::from_str::<Value>(body) {
            self.fields(&json, &|name| match name {
                "token" => Some(Kind::Token),
                "phone" => Some(Kind::Phone),
                "email" => Some(Kind::Email),
                _ => None,
            });
        }
    }

    fn fields(&self, json: &Value, kind_of: &dyn Fn(&str) -> Option<Kind>) {
        match json {
            Value::Object(fields) => {
                for (name, value) in fields {
                    match (kind_of(name), value) {
                        (Some(kind), Value::String(text)) => self.remember(kind, text),
                        _ => self.fields(value, kind_of),
                    }
                }
            }
            Value::Array(items) => {
                for item in items {
                    self.fields(item, kind_of);
                }
            }
            _ => {}
        }
    }

    /// Searches every `*.log` file of `dir` for every datum: the number of lines read, or what
    /// was found where (kinds and lines only).
    pub fn scan(&self, dir: &Path) -> Result<usize, String> {
        let data = self.0.lock().unwrap().clone();
        let mut logs: Vec<_> = std::fs::read_dir(dir)
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .map(|entry| entry.path())
                    .filter(|path| path.extension().is_some_and(|ext| ext == "log"))
                    .collect()
            })
            .unwrap_or_default();
        logs.sort();
        let mut lines_read = 0;
        let mut hits = Vec::new();
        for log in &logs {
            let text =
                String::from_utf8_lossy(&std::fs::read(log).unwrap_or_default()).into_owned();
            let name = log.file_name().unwrap_or_default().to_string_lossy();
            for (number, line) in text.lines().enumerate() {
                lines_read += 1;
                if is_migration(line) {
                    continue;
                }
                let lower = line.to_lowercase();
                let digits = joined_digits(line);
                for national in &data.phones {
                    if contains_phone(&digits, national) {
                        hits.push(format!("{} at {name}:{}", Kind::Phone, number + 1));
                    }
                }
                for (form, kind) in &data.texts {
                    let haystack = if matches!(kind, Kind::Email | Kind::Login) {
                        &lower
                    } else {
                        line
                    };
                    if contains_word(haystack, form) {
                        hits.push(format!("{kind} at {name}:{}", number + 1));
                    }
                }
            }
        }
        if hits.is_empty() {
            Ok(lines_read)
        } else {
            let total = hits.len();
            hits.truncate(20);
            Err(format!(
                "personal data in the log ({total} found; the data are not shown): {}",
                hits.join(", ")
            ))
        }
    }
}

/// A migration's SQL as sqlx logs it at start-up (each file opens with a `--` comment), in the
/// text or the JSON format: the repository's own text, whose examples (an E.164
/// `+79109845003`) may equal a test's datum.
fn is_migration(line: &str) -> bool {
    (line.contains(" summary=\"-- ") && line.contains(" db.statement="))
        || (line.contains("\"summary\":\"-- ") && line.contains("\"db.statement\":"))
}

/// The 10 digits of a Russian phone's national number, in whatever form it is written.
fn national_number(text: &str) -> Option<String> {
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    match digits.len() {
        10 => Some(digits),
        11 if digits.starts_with('7') || digits.starts_with('8') => Some(digits[1..].to_owned()),
        _ => None,
    }
}

/// What may stand between the digits of a phone.
fn is_phone_separator(c: char) -> bool {
    matches!(c, ' ' | '-' | '(' | ')' | '\u{a0}')
}

/// The line with the separators between two digits (or after a `+`) taken out:
/// `+7 (910) 984-50-03` is `+79109845003`, while `user 9109845003` stays as it is.
fn joined_digits(line: &str) -> String {
    let chars: Vec<char> = line.chars().collect();
    let mut out = String::with_capacity(line.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if is_phone_separator(c) {
            let end = (i..chars.len())
                .find(|&j| !is_phone_separator(chars[j]))
                .unwrap_or(chars.len());
            let joins = out.ends_with(|c: char| c.is_ascii_digit() || c == '+')
                && chars.get(end).is_some_and(char::is_ascii_digit);
            if !joins {
                out.extend(&chars[i..end]);
            }
            i = end;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// Whether the national number stands in `digits` alone or after `7`, `8` or `+7`, with no
/// other letter or digit around it.
fn contains_phone(digits: &str, national: &str) -> bool {
    digits.match_indices(national).any(|(at, _)| {
        let mut before = digits[..at].chars().rev();
        let after = digits[at + national.len()..].chars().next();
        let starts = match before.next() {
            None => true,
            Some('7' | '8') => !before.next().is_some_and(char::is_alphanumeric),
            Some(c) => !c.is_alphanumeric(),
        };
        starts && !after.is_some_and(char::is_alphanumeric)
    })
}

/// Whether `needle` occurs in `haystack` with no letter or digit right before or after it, so
/// that a code is not found inside a longer number (a timestamp's microseconds, a UUID).
fn contains_word(haystack: &str, needle: &str) -> bool {
    haystack.match_indices(needle).any(|(at, _)| {
        let before = haystack[..at].chars().next_back();
        let after = haystack[at + needle.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

#[cfg(test)]
mod tests {
    use std::panic::AssertUnwindSafe;

    use super::*;
    use crate::{Backend, Deployment, demo};

    /// The scan is not vacuous: a registration records every kind of datum it sends and
    /// receives, the server's log is read, and a phone planted in it fails the test when the
    /// deployment goes.
    #[tokio::test]
    async fn a_phone_planted_in_a_servers_log_fails_the_test() {
        let deployment = Deployment::new(Backend::Sqlite).await;
        let server = deployment.start().await;
        server
            .register(demo::PHONE, demo::EMAIL, demo::PASSWORD)
            .await;
        let recorded = deployment.recorded();
        for kind in [
            Kind::Phone,
            Kind::Email,
            Kind::Password,
            Kind::SmsCode,
            Kind::Token,
        ] {
            assert!(
                recorded.contains_key(&kind),
                "no {kind} recorded: {recorded:?}"
            );
        }
        let lines = deployment.check_logs();
        assert!(lines > 10, "the server logged only {lines} lines");

        drop(server);
        let log = std::fs::read_to_string(deployment.log()).unwrap();
        std::fs::write(
            deployment.log(),
            format!("{log}2026-12-07T06:00:00Z INFO sent to 8 910 984-50-03\n"),
        )
        .unwrap();
        let found = deployment.scan_logs().unwrap_err();
        assert!(
            found.contains(&format!("phone at server.log:{}", lines + 1)),
            "{found}"
        );
        assert!(!found.contains("984"), "{found}");
        let dropped = std::panic::catch_unwind(AssertUnwindSafe(move || drop(deployment)));
        assert!(dropped.is_err(), "the deployment went without a failure");
    }

    #[test]
    fn a_phone_is_found_in_any_of_its_forms_and_not_shown() {
        let dir = tempfile::tempdir().unwrap();
        let pii = Pii::default();
        pii.remember(Kind::Phone, "+7 (910) 984-50-03");
        for (line, found) in [
            ("INFO registered +79109845003", true),
            ("phone=89109845003 ok", true),
            ("user 9109845003,", true),
            ("\"+7 (910) 984-50-03\"", true),
            ("masked +7910***5003", false),
            ("id 19109845003", false),
            ("to 8 910 984-50-03.", true),
            ("(+7-910-984-50-03)", true),
            ("uuid a9109845003b", false),
        ] {
            std::fs::write(
                dir.path().join("server.log"),
                format!("first line\n{line}\n"),
            )
            .unwrap();
            let scanned = pii.scan(dir.path());
            assert_eq!(scanned.is_err(), found, "{line}: {scanned:?}");
            if let Err(message) = scanned {
                assert!(message.contains("phone at server.log:2"), "{message}");
                assert!(!message.contains("984"), "{message}");
            }
        }
    }

    #[test]
    fn codes_are_found_as_whole_words_only() {
        let dir = tempfile::tempdir().unwrap();
        let pii = Pii::default();
        pii.remember(Kind::SmsCode, "293194");
        std::fs::write(
            dir.path().join("server.log"),
            "2026-12-07T05:55:27.293194Z INFO id=dde5e56e-1293194b\n",
        )
        .unwrap();
        assert_eq!(pii.scan(dir.path()), Ok(1));
        std::fs::write(
            dir.path().join("other.log"),
            "x DEBUG summary=\"-- Users\" db.statement=\"-- 293194\"\ncode: 293194.\n",
        )
        .unwrap();
        let message = pii.scan(dir.path()).unwrap_err();
        assert!(message.contains("SMS code at other.log:2"), "{message}");
    }

    #[test]
    fn a_migration_is_skipped_in_the_json_format_too() {
        let dir = tempfile::tempdir().unwrap();
        let pii = Pii::default();
        pii.remember(Kind::Phone, "+79109845003");
        std::fs::write(
            dir.path().join("server.log"),
            concat!(
                r#"{"level":"DEBUG","target":"sqlx::query","db.statement":"-- E.164 `+79109845003`","summary":"-- Users …"}"#,
                "\n",
                r#"{"level":"INFO","message":"code sent","phone":"+79109845003"}"#,
                "\n",
            ),
        )
        .unwrap();
        let message = pii.scan(dir.path()).unwrap_err();
        assert!(message.contains("(1 found"), "{message}");
        assert!(message.contains("phone at server.log:2"), "{message}");
    }

    #[test]
    fn requests_and_answers_are_read_for_data() {
        let pii = Pii::default();
        pii.request(
            &[("Authorization".to_owned(), "Bearer tok-123456".to_owned())],
            r#"{"login": "IVAN@example.ru", "password": "secret-1", "readings": [{"full_name": "Петров  Иван"}], "code": "12"}"#.as_bytes(),
        );
        pii.response(r#"{"token": "tok-abcdef", "user": {"phone": "+79109845003"}}"#);
        let counts = pii.counts();
        assert_eq!(counts.get(&Kind::Token), Some(&2));
        assert_eq!(
            counts.get(&Kind::Login),
            Some(&2),
            "as sent and lower-cased"
        );
        assert_eq!(counts.get(&Kind::Phone), Some(&1), "one national number");
        assert_eq!(counts.get(&Kind::Password), Some(&1));
        assert_eq!(counts.get(&Kind::FullName), Some(&2));
        assert_eq!(counts.get(&Kind::SmsCode), None, "too short to search for");
    }
}
