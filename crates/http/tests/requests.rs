//! Every request body, read through the real reader (`JsonBody::parse`, then `read`, as the
//! extractor does): valid domain values, rendered as the JSON a client sends (phones in every
//! common form, decimals as strings and as numbers, optional fields absent, `null` or blank),
//! are read back equal; any JSON object is read without a panic, and a refusal names a field.
#![expect(clippy::unwrap_used, reason = "tests fail loudly")]

use axum::body::Bytes;
use chrono::{Days, NaiveDate, NaiveTime};
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{Map, Value, json};
use vodokanal_app::auth::LoginName;
use vodokanal_domain::{
    AccountNumber, Email, FullName, Label, LoginPassword, MeterLast4, MeterNumber, MobilePhone,
    Money, Notes, OneTimeCode, Password, PaymentPurpose, Phone, ReadingValue, VisitKind,
};
use vodokanal_http::Problem;
use vodokanal_http::dto::{
    AnonymousPaymentRequest, AnonymousReadingRequest, BookVisitRequest, CabinetPaymentRequest,
    ChangePasswordRequest, DeleteProfileRequest, LinkAccountRequest, LoginRequest,
    PasswordResetConfirmRequest, PasswordResetRequest, RegistrationConfirmRequest,
    RegistrationRequest, RelabelAccountRequest, SubmitReadingsRequest,
};
use vodokanal_http::extract::{Clearable, JsonBody, RequestBody, ReturnOrigins, ReturnUrl};

const PUBLIC_URL: &str = "http://127.0.0.1:8080";

fn parse<T: RequestBody>(body: &Value) -> Result<T, Problem> {
    let origins = ReturnOrigins::new(PUBLIC_URL, std::iter::empty());
    JsonBody::parse(Bytes::from(body.to_string()))?.read::<T>(&origins)
}

/// A value and the JSON a client may send for it.
type Sent<T> = (T, Value);

// ---- values and their renderings -------------------------------------------------------

/// A phone's 10 national digits, starting with `first`, in any common form.
fn phone_text(first: &'static str) -> impl Strategy<Value = (String, String)> {
    (
        proptest::string::string_regex(&format!("[{first}][0-9]{{9}}")).unwrap(),
        0..7_usize,
    )
        .prop_map(|(n, form)| {
            let text = match form {
                0 => format!("+7{n}"),
                1 => format!("8{n}"),
                2 => format!("7{n}"),
                3 => n.clone(),
                4 => format!("+7 ({}) {}-{}-{}", &n[..3], &n[3..6], &n[6..8], &n[8..]),
                5 => format!(" 8 {} {} {} {} ", &n[..3], &n[3..6], &n[6..8], &n[8..]),
                _ => format!("8({}){}\u{a0}{}", &n[..3], &n[3..6], &n[6..]),
            };
            (text, format!("+7{n}"))
        })
}

fn phone() -> impl Strategy<Value = Sent<Phone>> {
    phone_text("3489").prop_map(|(text, e164)| (e164.parse().unwrap(), json!(text)))
}

fn mobile_phone() -> impl Strategy<Value = Sent<MobilePhone>> {
    phone_text("9").prop_map(|(text, e164)| (e164.parse().unwrap(), json!(text)))
}

/// An e-mail, sent in any case and with blanks around it.
fn email() -> impl Strategy<Value = Sent<Email>> {
    (
        "[a-z0-9]{1,10}(\\.[a-z0-9_+-]{1,8})?@[a-z0-9]{1,10}(-[a-z0-9]{1,5})?\\.(ru|com|рф)",
        any::<bool>(),
    )
        .prop_map(|(email, loud)| {
            let text = if loud {
                format!(" {} ", email.to_uppercase())
            } else {
                email.clone()
            };
            (email.parse().unwrap(), json!(text))
        })
}

/// A password: 8 to 128 characters, not a common one.
fn password() -> impl Strategy<Value = Sent<Password>> {
    "[a-zA-Zа-яА-Я0-9 !@#%*.,-]{8,64}".prop_filter_map("a common password", |text| {
        Password::try_from(text.clone())
            .ok()
            .map(|password| (password, json!(text)))
    })
}

fn login_password() -> impl Strategy<Value = Sent<LoginPassword>> {
    "[a-zA-Zа-яА-Я0-9 !@#%*.,-]{1,128}"
        .prop_map(|text| (LoginPassword::try_from(text.clone()).unwrap(), json!(text)))
}

fn code() -> impl Strategy<Value = Sent<OneTimeCode>> {
    "[0-9]{6}".prop_map(|text| (text.parse().unwrap(), json!(text)))
}

/// An account number, with spaces or dashes between groups of its digits.
fn account_number() -> impl Strategy<Value = Sent<AccountNumber>> {
    ("[0-9]{4,20}", 0..3_usize).prop_map(|(digits, form)| {
        let text = match form {
            0 => digits.clone(),
            1 => digits
                .as_bytes()
                .chunks(3)
                .map(|chunk| std::str::from_utf8(chunk).unwrap())
                .collect::<Vec<_>>()
                .join("-"),
            _ => format!(" {} {} ", &digits[..2], &digits[2..]),
        };
        (digits.parse().unwrap(), json!(text))
    })
}

/// A meter number, sent in lower case or with blanks: read in upper case, without them.
fn meter_number() -> impl Strategy<Value = Sent<MeterNumber>> {
    ("[А-ЯA-Z]{1,4}-[0-9]{1,10}(/[0-9]{1,3})?", 0..3_usize).prop_map(|(number, form)| {
        let text = match form {
            0 => number.clone(),
            1 => number.to_lowercase(),
            _ => number.replace('-', " - "),
        };
        (number.parse().unwrap(), json!(text))
    })
}

fn meter_last4() -> impl Strategy<Value = Sent<MeterLast4>> {
    "[0-9]{4}".prop_map(|text| (text.parse().unwrap(), json!(text)))
}

fn full_name() -> impl Strategy<Value = Sent<FullName>> {
    (
        "[А-ЯЁ][а-яё]{1,12}( [А-ЯЁ][а-яё'-]{1,12}){1,2}",
        any::<bool>(),
    )
        .prop_map(|(name, spaced)| {
            let text = if spaced {
                format!("  {}\t", name.replace(' ', "   "))
            } else {
                name.clone()
            };
            (name.parse().unwrap(), json!(text))
        })
}

fn label() -> impl Strategy<Value = Sent<Label>> {
    "[a-zA-Zа-яА-Я0-9«»№-]([a-zA-Zа-яА-Я0-9 «»№-]{0,48}[a-zA-Zа-яА-Я0-9«»№-])?"
        .prop_map(|text| (text.parse().unwrap(), json!(text)))
}

fn notes() -> impl Strategy<Value = Sent<Notes>> {
    "[a-zA-Zа-яА-Я0-9.,!?-]([a-zA-Zа-яА-Я0-9 .,!?\n-]{0,300}[a-zA-Zа-яА-Я0-9.,!?-])?"
        .prop_map(|text| (text.parse().unwrap(), json!(text)))
}

/// A decimal with `scale` digits after the point at most, rendered as a JSON string (with `.`
/// or `,`) or a JSON number, with or without trailing zeros.
fn decimal(units: u64, scale: u32, form: usize) -> Value {
    let unit = 10_u64.pow(scale);
    let (whole, fraction) = (units / unit, units % unit);
    let digits = format!("{fraction:0width$}", width = scale as usize);
    let text = match form % 3 {
        0 if fraction == 0 => whole.to_string(),
        1 => format!("{whole}.{digits}"),
        _ => format!("{whole}.{}", digits.trim_end_matches('0')),
    };
    let text = text.trim_end_matches('.').to_owned();
    if form >= 3 {
        serde_json::from_str(&text).unwrap()
    } else if form == 2 {
        json!(text.replace('.', ","))
    } else {
        json!(text)
    }
}

fn reading_value() -> impl Strategy<Value = Sent<ReadingValue>> {
    (0..1_000_000_000_u64, 0..6_usize).prop_map(|(litres, form)| {
        (
            ReadingValue::from_litres(litres).unwrap(),
            decimal(litres, 3, form),
        )
    })
}

fn money() -> impl Strategy<Value = Sent<Money>> {
    (1..=100_000_000_u64, 0..6_usize).prop_map(|(kopecks, form)| {
        (
            Money::from_kopecks(kopecks).unwrap(),
            decimal(kopecks, 2, form),
        )
    })
}

fn purpose() -> impl Strategy<Value = Sent<PaymentPurpose>> {
    select(PaymentPurpose::ALL.to_vec()).prop_map(|purpose| (purpose, json!(purpose.code())))
}

fn visit_kind() -> impl Strategy<Value = Sent<VisitKind>> {
    select(VisitKind::ALL.to_vec()).prop_map(|kind| (kind, json!(kind.code())))
}

fn visit_date() -> impl Strategy<Value = Sent<NaiveDate>> {
    (0..20_000_u64).prop_map(|days| {
        let day = NaiveDate::from_ymd_opt(2000, 1, 1).unwrap() + Days::new(days);
        (day, json!(day.format("%Y-%m-%d").to_string()))
    })
}

fn visit_time() -> impl Strategy<Value = Sent<NaiveTime>> {
    (0..24_u32, 0..60_u32).prop_map(|(hour, minute)| {
        let time = NaiveTime::from_hms_opt(hour, minute, 0).unwrap();
        (time, json!(time.format("%H:%M").to_string()))
    })
}

/// A `return_url` on the public URL's origin: read as the client wrote it.
fn return_url() -> impl Strategy<Value = Sent<String>> {
    "/[a-z0-9/-]{0,20}(\\?id=[0-9]{1,5})?".prop_map(|path| {
        let text = format!("{PUBLIC_URL}{path}");
        (text.clone(), json!(text))
    })
}

/// An optional field as sent: absent, `null`, blank, or the value.
fn optional<T: std::fmt::Debug + Clone>(
    value: impl Strategy<Value = Sent<T>>,
) -> impl Strategy<Value = (Option<T>, Option<Value>)> {
    (value, 0..5_usize).prop_map(|((value, sent), form)| match form {
        0 => (None, None),
        1 => (None, Some(Value::Null)),
        2 => (None, Some(json!(""))),
        3 => (None, Some(json!("  "))),
        _ => (Some(value), Some(sent)),
    })
}

/// A JSON object of `fields`, leaving out the absent ones.
fn object(fields: &[(&str, Option<Value>)]) -> Value {
    let mut object = Map::new();
    for (name, value) in fields {
        if let Some(value) = value {
            object.insert((*name).to_owned(), value.clone());
        }
    }
    Value::Object(object)
}

// ---- round trips ---------------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn anonymous_readings_round_trip(
        (name, name_sent) in full_name(),
        (phone, phone_sent) in phone(),
        (meter, meter_sent) in meter_number(),
        (value, value_sent) in reading_value(),
    ) {
        let body = json!({"full_name": name_sent, "phone": phone_sent, "meter_number": meter_sent, "value": value_sent});
        let read: AnonymousReadingRequest = parse(&body).unwrap();
        prop_assert_eq!(read.full_name, name);
        prop_assert_eq!(read.phone, phone);
        prop_assert_eq!(read.meter_number, meter);
        prop_assert_eq!(read.value, value);
    }

    #[test]
    fn anonymous_payments_round_trip(
        (account, account_sent) in account_number(),
        (purpose, purpose_sent) in purpose(),
        (amount, amount_sent) in money(),
        (email, email_sent) in optional(email()),
        (url, url_sent) in optional(return_url()),
    ) {
        let body = object(&[
            ("account_number", Some(account_sent)),
            ("purpose", Some(purpose_sent)),
            ("amount", Some(amount_sent)),
            ("email", email_sent),
            ("return_url", url_sent),
        ]);
        let read: AnonymousPaymentRequest = parse(&body).unwrap();
        prop_assert_eq!(read.account_number, account);
        prop_assert_eq!(read.purpose, purpose);
        prop_assert_eq!(read.amount, amount);
        prop_assert_eq!(read.email, email);
        prop_assert_eq!(read.return_url.map(ReturnUrl::into_string), url);
    }

    #[test]
    fn registrations_round_trip(
        (phone, phone_sent) in mobile_phone(),
        (email, email_sent) in email(),
        (code, code_sent) in code(),
        (password, password_sent) in password(),
        (other, other_sent) in phone(),
    ) {
        let body = json!({"phone": phone_sent, "email": email_sent, "consent_personal_data": true});
        let read: RegistrationRequest = parse(&body).unwrap();
        prop_assert_eq!(read.phone, phone);
        prop_assert_eq!(read.email, email);

        let body = json!({"phone": other_sent, "code": code_sent, "password": password_sent});
        let read: RegistrationConfirmRequest = parse(&body).unwrap();
        prop_assert_eq!(read.phone, other);
        prop_assert!(read.code == code);
        prop_assert!(read.password == password);
    }

    #[test]
    fn logins_round_trip(
        by_phone in any::<bool>(),
        (phone, phone_sent) in phone(),
        (email, email_sent) in email(),
        (password, password_sent) in login_password(),
    ) {
        let (login, login_sent) = if by_phone {
            (LoginName::Phone(phone), phone_sent)
        } else {
            (LoginName::Email(email), email_sent)
        };
        let read: LoginRequest = parse(&json!({"login": login_sent, "password": password_sent})).unwrap();
        prop_assert_eq!(read.login, login);
        prop_assert!(read.password == password);
    }

    #[test]
    fn password_resets_and_changes_round_trip(
        (mobile, mobile_sent) in mobile_phone(),
        (phone, phone_sent) in phone(),
        (code, code_sent) in code(),
        (new, new_sent) in password(),
        (current, current_sent) in login_password(),
    ) {
        let read: PasswordResetRequest = parse(&json!({"phone": mobile_sent})).unwrap();
        prop_assert_eq!(read.phone, mobile);

        let body = json!({"phone": phone_sent, "code": code_sent, "new_password": new_sent});
        let read: PasswordResetConfirmRequest = parse(&body).unwrap();
        prop_assert_eq!(read.phone, phone);
        prop_assert!(read.code == code);
        prop_assert!(read.new_password == new);

        let body = json!({"current_password": current_sent, "new_password": new_sent});
        let read: ChangePasswordRequest = parse(&body).unwrap();
        prop_assert!(read.current_password == current);
        prop_assert!(read.new_password == new);

        let read: DeleteProfileRequest = parse(&json!({"password": current_sent})).unwrap();
        prop_assert!(read.password == current);
    }

    #[test]
    fn account_links_and_labels_round_trip(
        (account, account_sent) in account_number(),
        (last4, last4_sent) in meter_last4(),
        (label, label_sent) in optional(label()),
    ) {
        let body = object(&[
            ("account_number", Some(account_sent)),
            ("meter_last4", Some(last4_sent)),
            ("label", label_sent.clone()),
        ]);
        let read: LinkAccountRequest = parse(&body).unwrap();
        prop_assert_eq!(read.account_number, account);
        prop_assert_eq!(read.meter_last4, last4);
        prop_assert_eq!(&read.label, &label);

        // The key is required here: absent is refused, naming it.
        let relabel = parse::<RelabelAccountRequest>(&object(&[("label", label_sent.clone())]));
        if label_sent.is_some() {
            prop_assert_eq!(relabel.unwrap().label, Clearable(label));
        } else {
            prop_assert_eq!(fields(&relabel.unwrap_err()), ["label"]);
        }
    }

    #[test]
    fn readings_round_trip(
        readings in prop::collection::vec((meter_number(), reading_value()), 1..6),
    ) {
        let sent: Vec<Value> = readings
            .iter()
            .map(|((_, meter), (_, value))| json!({"meter_number": meter, "value": value}))
            .collect();
        let read: SubmitReadingsRequest = parse(&json!({"readings": sent})).unwrap();
        prop_assert_eq!(read.readings.len(), readings.len());
        for (read, ((meter, _), (value, _))) in read.readings.into_iter().zip(readings) {
            prop_assert_eq!(read.meter_number, meter);
            prop_assert_eq!(read.value, value);
        }
    }

    #[test]
    fn cabinet_payments_round_trip(
        (purpose, purpose_sent) in purpose(),
        (amount, amount_sent) in money(),
        (url, url_sent) in optional(return_url()),
    ) {
        let body = object(&[
            ("purpose", Some(purpose_sent)),
            ("amount", Some(amount_sent)),
            ("return_url", url_sent),
        ]);
        let read: CabinetPaymentRequest = parse(&body).unwrap();
        prop_assert_eq!(read.purpose, purpose);
        prop_assert_eq!(read.amount, amount);
        prop_assert_eq!(read.return_url.map(ReturnUrl::into_string), url);
    }

    #[test]
    fn visit_requests_round_trip(
        (kind, kind_sent) in visit_kind(),
        (account, account_sent) in account_number(),
        (meter, meter_sent) in optional(meter_number()),
        (phone, phone_sent) in phone(),
        (day, day_sent) in visit_date(),
        (time, time_sent) in visit_time(),
        (notes, notes_sent) in optional(notes()),
    ) {
        let body = object(&[
            ("kind", Some(kind_sent)),
            ("account_number", Some(account_sent)),
            ("meter_number", meter_sent),
            ("phone", Some(phone_sent)),
            ("visit_date", Some(day_sent)),
            ("visit_time", Some(time_sent)),
            ("notes", notes_sent),
        ]);
        let read: BookVisitRequest = parse(&body).unwrap();
        prop_assert_eq!(read.kind, kind);
        prop_assert_eq!(read.account_number, account);
        prop_assert_eq!(read.meter_number, meter);
        prop_assert_eq!(read.phone, phone);
        prop_assert_eq!(read.visit_date, day);
        prop_assert_eq!(read.visit_time, time);
        prop_assert_eq!(read.notes, notes);
    }
}

// ---- any object ----------------------------------------------------------------------------

fn fields(problem: &Problem) -> Vec<String> {
    problem
        .errors
        .iter()
        .map(|error| error.field.clone())
        .collect()
}

/// Any JSON value, a few levels deep.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |x| x.is_finite())
            .prop_map(Value::from),
        "[0-9]{0,8}([.,][0-9]{0,4})?".prop_map(Value::from),
        ".{0,12}".prop_map(Value::from),
        "[+ ()0-9-]{0,18}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map("[a-z_]{1,8}", inner, 0..4)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

/// Every field name of every request body.
const NAMES: &[&str] = &[
    "full_name",
    "phone",
    "meter_number",
    "value",
    "account_number",
    "purpose",
    "amount",
    "email",
    "return_url",
    "consent_personal_data",
    "code",
    "password",
    "login",
    "new_password",
    "current_password",
    "meter_last4",
    "label",
    "readings",
    "kind",
    "visit_date",
    "visit_time",
    "notes",
];

/// An object with some of the request fields (and some other keys), each of any value.
fn any_object() -> impl Strategy<Value = Value> {
    (
        prop::collection::btree_map(select(NAMES), any_json(), 0..8),
        prop::collection::btree_map("[a-z]{1,6}", any_json(), 0..2),
    )
        .prop_map(|(known, other)| {
            let mut object: Map<String, Value> = other.into_iter().collect();
            for (name, value) in known {
                object.insert(name.to_owned(), value);
            }
            Value::Object(object)
        })
}

/// Reads `body` as `T`: never a panic; a refusal is a `validation_failed` naming only fields
/// of `T` (an item of `readings` as `readings[i]` or `readings[i].field`).
fn reads_or_names<T: RequestBody>(body: &Value, names: &[&str]) -> Result<(), TestCaseError> {
    if let Err(problem) = parse::<T>(body) {
        prop_assert_eq!(problem.code.code(), "validation_failed");
        prop_assert!(!problem.errors.is_empty(), "nothing named for {}", body);
        for field in fields(&problem) {
            let name = field.split(['[', '.']).next().unwrap_or_default();
            prop_assert!(names.contains(&name), "{} is not a field: {}", field, body);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_object_is_read_or_refused_naming_a_field(body in any_object()) {
        reads_or_names::<AnonymousReadingRequest>(&body, &["full_name", "phone", "meter_number", "value"])?;
        reads_or_names::<AnonymousPaymentRequest>(&body, &["account_number", "purpose", "amount", "email", "return_url"])?;
        reads_or_names::<RegistrationRequest>(&body, &["phone", "email", "consent_personal_data"])?;
        reads_or_names::<RegistrationConfirmRequest>(&body, &["phone", "code", "password"])?;
        reads_or_names::<LoginRequest>(&body, &["login", "password"])?;
        reads_or_names::<PasswordResetRequest>(&body, &["phone"])?;
        reads_or_names::<PasswordResetConfirmRequest>(&body, &["phone", "code", "new_password"])?;
        reads_or_names::<ChangePasswordRequest>(&body, &["current_password", "new_password"])?;
        reads_or_names::<DeleteProfileRequest>(&body, &["password"])?;
        reads_or_names::<LinkAccountRequest>(&body, &["account_number", "meter_last4", "label"])?;
        reads_or_names::<RelabelAccountRequest>(&body, &["label"])?;
        reads_or_names::<SubmitReadingsRequest>(&body, &["readings"])?;
        reads_or_names::<CabinetPaymentRequest>(&body, &["purpose", "amount", "return_url"])?;
        reads_or_names::<BookVisitRequest>(&body, &["kind", "account_number", "meter_number", "phone", "visit_date", "visit_time", "notes"])?;
    }

    /// One bad field in an otherwise valid body is named, and only it.
    #[test]
    fn a_bad_field_is_named(
        (value, _) in reading_value(),
        bad in prop_oneof![
            Just(json!(true)),
            Just(json!({})),
            Just(json!([1])),
            Just(json!("")),
            Just(json!("-1")),
            Just(json!("12.3456")),
            Just(json!(1e300)),
            Just(json!("1e3")),
            "[a-z ]{1,10}".prop_map(Value::from),
        ],
        field in 0..4_usize,
    ) {
        let mut body = json!({
            "full_name": "Петров Иван",
            "phone": "+7 (910) 984-50-03",
            "meter_number": "ВСХ-0011234",
            "value": value.to_string(),
        });
        let name = ["full_name", "phone", "meter_number", "value"][field];
        body[name] = bad.clone();
        match parse::<AnonymousReadingRequest>(&body) {
            Err(problem) => prop_assert_eq!(fields(&problem), [name]),
            // Some garbage is a valid value of some fields (a name of letters, a meter number).
            Ok(read) => prop_assert!(
                matches!(name, "full_name" | "meter_number") && bad.is_string(),
                "{} read from {}: {:?}", name, bad, read
            ),
        }
    }
}
