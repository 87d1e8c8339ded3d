//! How each domain value object is read from a request field: the Russian message when it is
//! missing, and the code and message when it is bad. One place for every text a subscriber
//! sees about a field.

use chrono::{NaiveDate, NaiveTime};
use vodokanal_app::auth::{LoginName, LoginNameError};

use vodokanal_domain::{
    AccountNumber, Channel, Email, EmailError, FullName, FullNameError, Label, LabelError,
    LoginPassword, MeterLast4, MeterNumber, MobilePhone, Money, MoneyError, Notes, NotesError,
    NoticeTopic, OneTimeCode, Password, PasswordError, PaymentPurpose, Phone, PhoneError,
    ReadingValue, ReadingValueError, VisitKind,
};

/// Why a field's text is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub code: &'static str,
    pub message: String,
}

fn invalid(message: &str) -> Invalid {
    Invalid {
        code: "invalid",
        message: message.to_owned(),
    }
}

fn coded(code: &'static str, message: &str) -> Invalid {
    Invalid {
        code,
        message: message.to_owned(),
    }
}

/// A value object read from the text of a request field.
pub trait FieldValue: Sized {
    /// The message when the field is missing.
    const REQUIRED: &'static str;
    /// Whether a JSON number is taken too, read from its text (never through `f64`).
    const DECIMAL: bool = false;
    fn parse_field(text: &str) -> Result<Self, Invalid>;
}

const PHONE_FORMAT: &str = "Введите номер телефона в формате +7 XXX XXX-XX-XX";

fn phone_error(error: &PhoneError) -> Invalid {
    match error {
        PhoneError::Empty | PhoneError::InvalidCharacters | PhoneError::NotRussian => {
            invalid(PHONE_FORMAT)
        }
        PhoneError::NotMobile => coded(
            "not_mobile",
            "Укажите российский мобильный номер: +7 9XX XXX-XX-XX",
        ),
    }
}

impl FieldValue for Phone {
    const REQUIRED: &'static str = "Укажите номер телефона";
    fn parse_field(text: &str) -> Result<Self, Invalid> {
        text.parse().map_err(|error| phone_error(&error))
    }
}

impl FieldValue for MobilePhone {
    const REQUIRED: &'static str = "Укажите номер мобильного телефона";
    fn parse_field(text: &str) -> Result<Self, Invalid> {
        text.parse().map_err(|error| phone_error(&error))
    }
}

fn email_error(error: &EmailError) -> Invalid {
    match error {
        EmailError::Empty | EmailError::Malformed => {
            invalid("Введите адрес электронной почты в формате name@example.ru")
        }
        EmailError::TooLong => coded("too_long", "Слишком длинный адрес электронной почты"),
    }
}

impl FieldValue for Email {
    const REQUIRED: &'static str = "Укажите адрес электронной почты";
    fn parse_field(text: &str) -> Result<Self, Invalid> {
        text.parse().map_err(|error| email_error(&error))
    }
}

impl FieldValue for LoginName {
    const REQUIRED: &'static str = "Укажите телефон или адрес электронной почты";
    fn parse_field(text: &str) -> Result<Self, Invalid> {
        LoginName::parse(text).map_err(|error| match error {
            LoginNameError::Email(error) => email_error(&error),
            LoginNameError::Phone(_) => {
                invalid("Введите телефон в формате +7 XXX XXX-XX-XX или адрес электронной почты")
            }
        })
    }
}

fn password_error(error: &PasswordError) -> Invalid {
    match error {
        PasswordError::TooShort => coded("too_short", "Пароль должен быть не короче 8 символов"),
        PasswordError::TooLong => coded("too_long", "Пароль должен быть не длиннее 128 символов"),
        PasswordError::TooCommon => coded(
            "too_common",
            "Этот пароль слишком распространён. Придумайте другой",
        ),
    }
}

impl FieldValue for Password {
    const REQUIRED: &'static str = "Придумайте пароль";
    fn parse_field(text: &str) -> Result<Self, Invalid> {
        Password::try_from(text.to_owned()).map_err(|error| password_error(&error))
    }
}

impl FieldValue for LoginPassword {
    const REQUIRED: &'static str = "Введите пароль";
    fn parse_field(text: &str) -> Result<Self, Invalid> {
        LoginPassword::try_from(text.to_owned()).map_err(|error| match error {
            PasswordError::TooShort => coded("required", "Введите пароль"),
            PasswordError::TooLong | PasswordError::TooCommon => password_error(&error),
        })
    }
}

impl FieldValue for OneTimeCode {
    const REQUIRED: &'static str = "Введите код подтверждения";
    fn parse_field(text: &str) -> Result<Self, Invalid> {
        text.parse()
            .map_err(|_| invalid("Код подтверждения состоит из 6 цифр"))
    }
}

impl FieldValue for AccountNumber {
    const REQUIRED: &'static str = "Укажите номер лицевого счёта";
    fn parse_field(text: &str) -> Result<Self, Invalid> {
        text.parse()
            .map_err(|_| invalid("Номер лицевого счёта состоит из 4–20 цифр"))
    }
}

impl FieldValue for MeterNumber {
    const REQUIRED: &'static str = "Укажите номер счётчика";
    fn parse_field(text: &str) -> Result<Self, Invalid> {
        text.parse().map_err(|_| {
            invalid("Номер счётчика может содержать буквы, цифры, «-», «/» и «.», до 30 символов")
        })
    }
}

impl FieldValue for MeterLast4 {
    const REQUIRED: &'static str = "Укажите последние 4 цифры номера счётчика";
    fn parse_field(text: &str) -> Result<Self, Invalid> {
        text.parse()
            .map_err(|_| invalid("Укажите ровно 4 последние цифры номера счётчика"))
    }
}

impl FieldValue for Label {
    const REQUIRED: &'static str = "Укажите название";
    fn parse_field(text: &str) -> Result<Self, Invalid> {
        text.parse().map_err(|error| match error {
            LabelError::TooLong => coded("too_long", "Название не длиннее 50 символов"),
            LabelError::ControlCharacters | LabelError::Empty => {
                invalid("Название содержит недопустимые символы")
            }
        })
    }
}

impl FieldValue for FullName {
    const REQUIRED: &'static str = "Укажите фамилию, имя и отчество";
    fn parse_field(text: &str) -> Result<Self, Invalid> {
        text.parse().map_err(|error| match error {
            FullNameError::Empty => coded("required", "Укажите фамилию, имя и отчество"),
            FullNameError::TooLong => coded("too_long", "Слишком длинное имя: до 150 символов"),
            FullNameError::InvalidCharacters => {
                invalid("Имя может содержать только буквы, пробелы, дефисы, апострофы и точки")
            }
        })
    }
}

impl FieldValue for Notes {
    const REQUIRED: &'static str = "Добавьте комментарий";
    fn parse_field(text: &str) -> Result<Self, Invalid> {
        text.parse().map_err(|error| match error {
            NotesError::Empty => coded("required", "Добавьте комментарий"),
            NotesError::TooLong => coded("too_long", "Комментарий не длиннее 500 символов"),
        })
    }
}

impl FieldValue for Money {
    const REQUIRED: &'static str = "Укажите сумму";
    const DECIMAL: bool = true;
    fn parse_field(text: &str) -> Result<Self, Invalid> {
        text.parse().map_err(|error| match error {
            MoneyError::Empty | MoneyError::Malformed => invalid(
                "Укажите сумму в рублях, не более двух знаков после точки, например 1234.50",
            ),
            MoneyError::NotPositive => coded("not_positive", "Сумма должна быть больше нуля"),
            MoneyError::TooLarge => coded("too_large", "Сумма не может превышать 1 000 000 ₽"),
        })
    }
}

impl FieldValue for ReadingValue {
    const REQUIRED: &'static str = "Укажите показание счётчика";
    const DECIMAL: bool = true;
    fn parse_field(text: &str) -> Result<Self, Invalid> {
        text.parse().map_err(|error| match error {
            ReadingValueError::Empty | ReadingValueError::Malformed => invalid(
                "Укажите показание в кубометрах, не более трёх знаков после точки, например 123.456",
            ),
            ReadingValueError::TooLarge => {
                coded("too_large", "Показание должно быть меньше 1 000 000 м³")
            }
        })
    }
}

impl FieldValue for PaymentPurpose {
    const REQUIRED: &'static str = "Выберите назначение платежа";
    fn parse_field(text: &str) -> Result<Self, Invalid> {
        text.parse().map_err(|_| {
            invalid("Назначение платежа: water, temporary_water_supply, court или heating")
        })
    }
}

impl FieldValue for NoticeTopic {
    const REQUIRED: &'static str = "Укажите вид уведомлений";
    fn parse_field(text: &str) -> Result<Self, Invalid> {
        text.parse()
            .map_err(|_| invalid("Вид уведомлений: readings, verification, payments или debt"))
    }
}

impl FieldValue for Channel {
    const REQUIRED: &'static str = "Укажите способ уведомления";
    fn parse_field(text: &str) -> Result<Self, Invalid> {
        text.parse()
            .map_err(|_| invalid("Способ уведомления: email, push или sms"))
    }
}

/// A key of a push subscription as the document shows it: URL-safe base64, at most
/// [`PushText::MAX`] characters, `=` padding allowed. Its length and point are the domain's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushText(pub String);

impl PushText {
    pub const MAX: usize = 128;
}

impl FieldValue for PushText {
    const REQUIRED: &'static str = "Подписка на push-уведомления неполна";
    fn parse_field(text: &str) -> Result<Self, Invalid> {
        let unpadded = text.trim_end_matches('=');
        let ok = !unpadded.is_empty()
            && text.len() <= Self::MAX
            && text.len() - unpadded.len() <= 2
            && unpadded
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if ok {
            Ok(Self(text.to_owned()))
        } else {
            Err(invalid("Ключ подписки должен быть в формате base64url"))
        }
    }
}

/// A push service's endpoint as the document shows it: `http://` or `https://` and 1 to 1000
/// characters that are not whitespace. Whether it is a push service the server posts to is the
/// use case's rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushEndpoint(pub String);

impl FieldValue for PushEndpoint {
    const REQUIRED: &'static str = "Подписка на push-уведомления неполна: нет адреса";
    fn parse_field(text: &str) -> Result<Self, Invalid> {
        let rest = text
            .strip_prefix("https://")
            .or_else(|| text.strip_prefix("http://"))
            .unwrap_or_default();
        let length = rest.chars().count();
        if (1..=1000).contains(&length) && !rest.chars().any(char::is_whitespace) {
            Ok(Self(text.to_owned()))
        } else {
            Err(invalid(
                "Адрес push-сервиса должен быть ссылкой http:// или https://",
            ))
        }
    }
}

/// A verification or unsubscribe link's token: URL-safe base64, at most 128 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkToken(pub String);

impl FieldValue for LinkToken {
    const REQUIRED: &'static str = "Ссылка неполна: откройте ее из письма целиком";
    fn parse_field(text: &str) -> Result<Self, Invalid> {
        let ok = !text.is_empty()
            && text.len() <= 128
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if ok {
            Ok(Self(text.to_owned()))
        } else {
            Err(invalid("Ссылка неполна: откройте ее из письма целиком"))
        }
    }
}

impl FieldValue for VisitKind {
    const REQUIRED: &'static str = "Выберите вид визита";
    fn parse_field(text: &str) -> Result<Self, Invalid> {
        text.parse()
            .map_err(|_| invalid("Вид визита: meter_acceptance или meter_verification"))
    }
}

impl FieldValue for NaiveDate {
    const REQUIRED: &'static str = "Укажите дату";
    fn parse_field(text: &str) -> Result<Self, Invalid> {
        NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
            .map_err(|_| invalid("Укажите дату в формате ГГГГ-ММ-ДД"))
    }
}

impl FieldValue for NaiveTime {
    const REQUIRED: &'static str = "Укажите время";
    fn parse_field(text: &str) -> Result<Self, Invalid> {
        NaiveTime::parse_from_str(text.trim(), "%H:%M")
            .map_err(|_| invalid("Укажите время в формате ЧЧ:ММ"))
    }
}

const RETURN_URL_MESSAGE: &str = "Адрес возврата должен быть ссылкой http:// или https://";

/// A `return_url`: an absolute `http(s)` URL of at most 2048 characters, without user
/// credentials; whether its origin is allowed is [`ReturnOrigins`]'s to say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnUrl {
    text: String,
    origin: url::Origin,
}

impl ReturnUrl {
    /// The URL as the client wrote it.
    pub fn into_string(self) -> String {
        self.text
    }

    pub(super) fn parse(text: &str) -> Result<Self, Invalid> {
        let plain = text.len() <= 2048
            && (text.starts_with("https://") || text.starts_with("http://"))
            && !text.chars().any(|c| c.is_control() || c.is_whitespace());
        let parsed = url::Url::parse(text).ok().filter(|url| {
            plain && url.host().is_some() && url.username().is_empty() && url.password().is_none()
        });
        match parsed {
            Some(url) => Ok(Self {
                text: text.to_owned(),
                origin: url.origin(),
            }),
            None => Err(invalid(RETURN_URL_MESSAGE)),
        }
    }
}

/// The origins a `return_url` may lead to: the public URL's (`VODOKANAL_PUBLIC_URL`) and
/// those of `VODOKANAL_RETURN_ORIGINS`, compared by scheme, host and port; so that a payment
/// link can't send the payer on to a look-alike page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnOrigins(Vec<url::Origin>);

impl ReturnOrigins {
    /// The origins of `public_url` and of each of `others`; text that is no URL is left out
    /// (the server checks both at start-up).
    pub fn new<'a>(public_url: &'a str, others: impl IntoIterator<Item = &'a String>) -> Self {
        let origins = std::iter::once(public_url)
            .chain(others.into_iter().map(String::as_str))
            .filter_map(|text| url::Url::parse(text).ok())
            .map(|url| url.origin())
            .filter(url::Origin::is_tuple)
            .collect();
        Self(origins)
    }

    pub fn allows(&self, url: &ReturnUrl) -> bool {
        self.0.contains(&url.origin)
    }
}
