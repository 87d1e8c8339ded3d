//! How the OpenAPI document shows each request field: the exact text its value object reads
//! (`crate::extract::FieldValue`), as a JSON Schema pattern (in the ECMA-262 and Python
//! dialects alike), lengths and examples. A client generated from the document, or a fuzzer,
//! then sends what the server takes, and the server refuses what the document refuses.
//!
//! Letters are written as the Latin and Cyrillic alphabets: the server takes any Unicode letter
//! in a name, a meter number or an e-mail; the document promises the two a subscriber uses.

use utoipa::openapi::schema::{
    AnyOfBuilder, Array, ArrayBuilder, KnownFormat, Object, ObjectBuilder, SchemaFormat,
    SchemaType, Type,
};
use utoipa::openapi::{RefOr, Schema};

/// The whitespace `str::trim` takes off (Unicode `White_Space`, less U+0085 which Python's and
/// ECMA's classes disagree on).
const WS: &str =
    "\\t\\n\\u000b\\u000c\\r \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
/// The letters the document promises.
const LETTERS: &str = "A-Za-z\\u0401\\u0410-\\u044f\\u0451";
/// The separators a phone may carry between its digits.
const PHONE_SEPARATORS: &str = "[ ()\\u00a0-]";

fn ws() -> String {
    format!("[{WS}]*")
}

/// A string schema with `pattern` (anchored here) and an example.
fn text(pattern: &str, example: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(format!("^(?:{pattern})$")))
        .examples([serde_json::Value::from(example)])
}

/// The same schema, also `null` (an optional field: absent, `null` and blank are alike).
fn nullable(builder: ObjectBuilder) -> Object {
    builder
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .build()
}

/// A phone whose national number starts with one of `first`: `+7`, `7`, `8` or nothing before
/// 10 digits, with spaces, dashes, brackets or no-break spaces between them.
fn phone_pattern(first: &str) -> String {
    let sep = PHONE_SEPARATORS;
    let ws = ws();
    format!("{ws}(?:\\+{sep}*7{sep}*|{sep}*(?:[78]{sep}*)?)[{first}](?:{sep}*[0-9]){{9}}{sep}*{ws}")
}

/// Any Russian number (`Phone`): a national number that starts with 3, 4, 8 or 9.
pub fn phone() -> Object {
    text(&phone_pattern("3489"), "+7 (910) 984-50-03")
        .description(Some(
            "A Russian number in any common form: `+7 (910) 984-50-03`, `89109845003`, `9109845003`",
        ))
        .build()
}

/// A Russian mobile number (`MobilePhone`): a national number that starts with 9.
pub fn mobile_phone() -> Object {
    text(&phone_pattern("9"), "+7 (910) 984-50-03")
        .description(Some(
            "A Russian mobile number in any common form: `+7 (910) 984-50-03`, `89109845003`",
        ))
        .build()
}

fn email_builder() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Email)))
        .max_length(Some(254))
        .examples([serde_json::Value::from("ivan.petrov@example.ru")])
}

pub fn email() -> Object {
    email_builder().build()
}

/// An optional e-mail: also `null` or blank.
pub fn optional_email() -> RefOr<Schema> {
    AnyOfBuilder::new()
        .item(email_builder())
        .item(blank())
        .item(ObjectBuilder::new().schema_type(Type::Null))
        .into()
}

/// `""` or whitespace: what an optional field takes as absent.
fn blank() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(format!("^{}$", ws())))
}

/// A login: a phone or an e-mail.
pub fn login() -> RefOr<Schema> {
    AnyOfBuilder::new()
        .item(phone())
        .item(email())
        .description(Some("A phone (any common form) or an e-mail"))
        .into()
}

/// A new password: 8 to 128 characters, not a commonly used one (which the document can't
/// list: 422 `too_common`).
pub fn new_password() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(8))
        .max_length(Some(128))
        .description(Some(
            "8 to 128 characters, not one of the commonly used passwords (else 422 `too_common`)",
        ))
        .build()
}

/// A password to check: 1 to 128 characters.
pub fn password() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(1))
        .max_length(Some(128))
        .build()
}

/// 6 digits from the SMS.
pub fn code() -> Object {
    let ws = ws();
    text(&format!("{ws}[0-9]{{6}}{ws}"), "123456")
        .description(Some("The 6 digits from the SMS"))
        .build()
}

/// 4 to 20 digits, spaces and dashes left out.
pub fn account_number() -> Object {
    text("[ -]*(?:[0-9][ -]*){4,20}", "100001")
        .description(Some("4 to 20 digits; spaces and dashes are left out"))
        .build()
}

/// The last 4 digits of one of the account's meters.
pub fn meter_last4() -> Object {
    let ws = ws();
    text(&format!("{ws}[0-9]{{4}}{ws}"), "1234")
        .description(Some("The last 4 digits of one of the account's meters"))
        .build()
}

fn meter_number_builder() -> ObjectBuilder {
    let ws = ws();
    text(
        &format!("{ws}(?:[0-9{LETTERS}/.-]{ws}){{1,30}}"),
        "ВСХ-0011234",
    )
    .description(Some(
        "Up to 30 letters, digits, `-`, `/` and `.`; whitespace is left out, letters are read in upper case",
    ))
}

pub fn meter_number() -> Object {
    meter_number_builder().build()
}

pub fn optional_meter_number() -> RefOr<Schema> {
    AnyOfBuilder::new()
        .item(meter_number_builder())
        .item(blank())
        .item(ObjectBuilder::new().schema_type(Type::Null))
        .into()
}

/// A full name: letters, spaces, dashes, apostrophes and dots, at least one letter; whitespace
/// runs are read as one space.
pub fn full_name() -> Object {
    let other = format!("[{WS}'\\u2019.-]");
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(format!(
            "^{other}*[{LETTERS}](?:[{LETTERS}]|{other})*$"
        )))
        .max_length(Some(150))
        .examples([serde_json::Value::from("Петров Иван Сергеевич")])
        .build()
}

/// Control characters (Unicode `Cc`).
const CONTROLS: &str = "\\u0000-\\u001f\\u007f-\\u009f";

/// A label: up to 50 characters, no control characters; `null`, `""` or blanks clear it.
pub fn label() -> Object {
    nullable(
        ObjectBuilder::new()
            .pattern(Some(format!("^[^{CONTROLS}]*$")))
            .max_length(Some(50))
            .examples([serde_json::Value::from("Дом")]),
    )
}

/// Notes: up to 500 characters; control characters other than line breaks are dropped, and
/// some other character must be left.
pub fn notes() -> Object {
    let ws = ws();
    nullable(
        ObjectBuilder::new()
            .pattern(Some(format!(
                "^(?:{ws}|[\\s\\S]*[^{CONTROLS}{WS}][\\s\\S]*)$"
            )))
            .max_length(Some(500))
            .examples([serde_json::Value::from("Домофон 12")]),
    )
}

/// A decimal a client may send as a JSON string or number (`"123.456"` or `123.456`): the
/// server reads the number's text, never a float, so both are exact.
fn decimal(description: &str, pattern: &str, example: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Number]))
        .description(Some(description))
        .pattern(Some(format!("^{ws}(?:{pattern}){ws}$", ws = ws())))
        .examples([serde_json::Value::from(example)])
}

/// A reading in cubic metres: 0 to 999999.999, at most three decimals (`.` or `,`).
pub fn reading_value() -> Object {
    decimal(
        "Cubic metres: a JSON string or number with at most three decimals (`.` or `,` in a \
         string), 0 <= value < 1000000",
        "0*[0-9]{1,6}(?:[.,][0-9]{1,3})?",
        "123.456",
    )
    .minimum(Some(0))
    .exclusive_maximum(Some(1_000_000))
    .multiple_of(Some(0.001))
    .build()
}

/// An amount in roubles: 0.01 to 1000000.00, at most two decimals (`.` or `,`).
pub fn amount() -> Object {
    decimal(
        "Roubles: a JSON string or number with at most two decimals (`.` or `,` in a string), \
         0 < amount <= 1000000",
        "\\+?(?:0{0,7}[1-9][0-9]{0,5}(?:[.,][0-9]{1,2})?|0{1,7}[.,](?:[1-9][0-9]?|0[1-9])|0{0,6}1000000(?:[.,]0{1,2})?)",
        "1234.50",
    )
    .exclusive_minimum(Some(0))
    .maximum(Some(1_000_000))
    .multiple_of(Some(0.01))
    .build()
}

fn one_of(codes: &[&str], description: &str) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(codes.iter().copied()))
        .description(Some(description))
        .build()
}

pub fn payment_purpose() -> Object {
    one_of(
        &["water", "temporary_water_supply", "court", "heating"],
        "What is paid for",
    )
}

pub fn visit_kind() -> Object {
    one_of(
        &["meter_acceptance", "meter_verification"],
        "`meter_acceptance` or `meter_verification`",
    )
}

/// `true`: the subscriber's consent; anything else is 422.
pub fn consent() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::Boolean)
        .enum_values(Some([true]))
        .description(Some("Must be `true`"))
        .build()
}

pub fn date() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Date)))
        .build()
}

/// `HH:MM`, 24 hours.
pub fn time() -> Object {
    let ws = ws();
    text(
        &format!("{ws}(?:[01]?[0-9]|2[0-3]):{ws}[0-5]?[0-9]{ws}"),
        "10:00",
    )
    .description(Some("`HH:MM`, in the utility's time zone"))
    .build()
}

/// Where the payer returns after paying; also `null` or blank.
pub fn return_url() -> RefOr<Schema> {
    AnyOfBuilder::new()
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .format(Some(SchemaFormat::Custom("uri".to_owned())))
                .max_length(Some(2048)),
        )
        .item(blank())
        .item(ObjectBuilder::new().schema_type(Type::Null))
        .description(Some(
            "Where the payer returns after paying: an http(s) URL on the origin of the server's \
             public URL or of one of `VODOKANAL_RETURN_ORIGINS`, else 422",
        ))
        .into()
}

pub fn notice_topic() -> Object {
    one_of(
        &["readings", "verification", "payments", "debt"],
        "A topic of «Уведомления»",
    )
}

pub fn channels() -> Array {
    ArrayBuilder::new()
        .items(one_of(&["email", "push", "sms"], "A channel"))
        .description(Some("The channels; `[]` for none"))
        .build()
}

/// URL-safe base64 of `bytes` bytes, padded or not.
fn base64url(bytes: usize, example: &str) -> Object {
    let chars = (bytes * 8).div_ceil(6);
    text(&format!("[A-Za-z0-9_-]{{{chars}}}={{0,2}}"), example).build()
}

pub fn push_p256dh() -> Object {
    base64url(
        65,
        "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4",
    )
}

pub fn push_auth() -> Object {
    base64url(16, "BTBZMqHH6r4Tts7J_aSIgg")
}

pub fn push_endpoint() -> Object {
    text(
        "https?://[^\\s]{1,1000}",
        "https://fcm.googleapis.com/fcm/send/dGVzdA",
    )
    .build()
}

pub fn link_token() -> Object {
    text(
        "[A-Za-z0-9_-]{1,128}",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    )
    .build()
}
