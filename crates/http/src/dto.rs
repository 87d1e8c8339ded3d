//! The JSON shapes of the contract: response bodies built from the use cases' outputs, and the
//! request bodies, each declared once by `request_body!` ([`crate::extract::RequestBody`]) as the document shows it and
//! the handler receives it. Field names are the contract's, byte for byte.

use chrono::{DateTime, NaiveDate, NaiveTime, SecondsFormat, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use vodokanal_app::accounts::AccountView;
use vodokanal_app::auth::{CodeRequested, LoginName, SignedIn};
use vodokanal_app::info::InfoView;
use vodokanal_app::notices::NotificationsView;
use vodokanal_app::profile::Profile;
use vodokanal_app::readings::AnonymousReceipt;
use vodokanal_domain::{
    AccountNumber, Channel, ConsumptionSeries, Email, FullName, Label, LoginPassword, MeterLast4,
    MeterNumber, MobilePhone, Money, Notes, NoticeTopic, OneTimeCode, Password, Payee, Payment,
    PaymentPurpose, Phone, Reading, ReadingSource, ReadingValue, ReadingWarning, VisitKind,
    VisitRequest,
};

use crate::extract::{
    Clearable, ConsentGiven, FieldRead, Form, LinkToken, PushEndpoint, PushText, ReturnUrl,
    request_body,
};

/// RFC 3339 with offset (`Z`), with as many fraction digits as needed.
pub fn instant(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

fn hh_mm(time: NaiveTime) -> String {
    time.format("%H:%M").to_string()
}

fn date(day: NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}

// ---- responses -------------------------------------------------------------------------

#[derive(Debug, Serialize, ToSchema)]
pub struct HoursDto {
    /// e.g. "Пн-Пт".
    pub days: String,
    /// `HH:MM`.
    pub opens: String,
    pub closes: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ContactCenterDto {
    pub address: String,
    pub hours: Vec<HoursDto>,
    pub phones: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentPurposeDto {
    /// `water`, `temporary_water_supply`, `court` or `heating`.
    pub code: String,
    pub title: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReadingWindowDto {
    pub from_day: u8,
    pub to_day: u8,
}

/// The utility's bank details (реквизиты), as on every paper bill: what a payment QR code
/// carries, for those who type them into their bank's app.
#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentQrDto {
    /// The payee (`Name`).
    #[schema(example = "МУП «Водоканал»")]
    pub name: String,
    /// The settlement account (`PersonalAcc`), 20 digits.
    #[schema(example = "40702810600000012345")]
    pub account: String,
    /// The bank (`BankName`).
    pub bank: String,
    /// 9 digits.
    #[schema(example = "042406999")]
    pub bic: String,
    /// The bank's correspondent account (`CorrespAcc`), 20 digits.
    #[schema(example = "30101810900000000999")]
    pub correspondent_account: String,
    /// 10 digits.
    #[schema(example = "3702012348")]
    pub inn: String,
    /// 9 characters.
    #[schema(example = "370201001")]
    pub kpp: String,
}

impl From<&Payee> for PaymentQrDto {
    fn from(payee: &Payee) -> Self {
        Self {
            name: payee.name().to_string(),
            account: payee.account().to_string(),
            bank: payee.bank().to_string(),
            bic: payee.bic().to_string(),
            correspondent_account: payee.correspondent_account().to_string(),
            inn: payee.inn().to_string(),
            kpp: payee.kpp().to_string(),
        }
    }
}

/// A payment purpose's code, as a query parameter (`GET .../payment-qr?purpose=`).
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PaymentPurposeCode {
    Water,
    TemporaryWaterSupply,
    Court,
    Heating,
}

/// The payment QR code's image format (`GET .../payment-qr?format=`).
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum QrImageFormat {
    Svg,
    Png,
}

/// GET `/info`.
#[derive(Debug, Serialize, ToSchema)]
pub struct InfoDto {
    pub contact_center: ContactCenterDto,
    pub payment_purposes: Vec<PaymentPurposeDto>,
    pub readings_help: String,
    pub payments_help: String,
    /// `null`: readings are taken any day.
    pub reading_window: Option<ReadingWindowDto>,
    /// The utility's time zone (IANA, e.g. `Europe/Moscow`): clients show every date and time
    /// in it, whatever the device's own zone.
    #[schema(example = "Europe/Moscow")]
    pub timezone: String,
    /// Extension (issue 18): the bank details when payment by QR code is on (`GET
    /// .../payment-qr`), `null` when it is off and the client hides it.
    pub payment_qr: Option<PaymentQrDto>,
}

impl From<InfoView> for InfoDto {
    fn from(view: InfoView) -> Self {
        Self {
            contact_center: ContactCenterDto {
                address: view.contact_center.address,
                hours: view
                    .contact_center
                    .hours
                    .into_iter()
                    .map(|line| HoursDto {
                        days: line.days,
                        opens: hh_mm(line.opens),
                        closes: hh_mm(line.closes),
                    })
                    .collect(),
                phones: view.contact_center.phones,
            },
            payment_purposes: view
                .payment_purposes
                .into_iter()
                .map(|purpose| PaymentPurposeDto {
                    code: purpose.code().to_owned(),
                    title: purpose.title().to_owned(),
                })
                .collect(),
            readings_help: view.readings_help,
            payments_help: view.payments_help,
            reading_window: view.reading_window.map(|window| ReadingWindowDto {
                from_day: window.from_day(),
                to_day: window.to_day(),
            }),
            timezone: view.timezone,
            payment_qr: view.payment_qr.as_ref().map(PaymentQrDto::from),
        }
    }
}

/// A meter reading.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReadingDto {
    #[schema(format = Uuid)]
    pub id: String,
    /// `null` in the answer to an anonymous caller (v1.1): a meter number reveals no account.
    pub account_number: Option<String>,
    pub meter_number: String,
    /// Cubic metres, three decimals: `"123.456"`.
    #[schema(example = "123.456")]
    pub value: String,
    /// `null` for a first reading, and in the answer to an anonymous caller (v1.1).
    pub previous_value: Option<String>,
    /// `null` for a first reading, and in the answer to an anonymous caller (v1.1).
    pub consumption: Option<String>,
    /// `YYYY-MM`.
    #[schema(example = "2026-11")]
    pub period: String,
    #[schema(format = DateTime)]
    pub submitted_at: String,
    /// `cabinet`, `anonymous` or `registry`.
    pub source: String,
    /// e.g. `consumption_unusually_high`.
    pub warnings: Vec<String>,
    /// When the operator voided the reading (v1.1): it no longer counts as the base of the
    /// next reading and is not sent to billing. `null` for a live reading.
    #[schema(format = DateTime)]
    pub voided_at: Option<String>,
}

fn warning_codes(warnings: &[ReadingWarning]) -> Vec<String> {
    warnings
        .iter()
        .map(|warning| warning.code().to_owned())
        .collect()
}

impl From<&Reading> for ReadingDto {
    fn from(reading: &Reading) -> Self {
        Self {
            id: reading.id.to_string(),
            account_number: Some(reading.account_number.to_string()),
            meter_number: reading.meter_number.to_string(),
            value: reading.value.to_string(),
            previous_value: reading.previous_value.map(|value| value.to_string()),
            consumption: reading.consumption.map(|value| value.to_string()),
            period: reading.period.to_string(),
            submitted_at: instant(reading.submitted_at),
            source: reading.source.code().to_owned(),
            warnings: warning_codes(&reading.warnings),
            voided_at: reading.voided.as_ref().map(|voided| instant(voided.at)),
        }
    }
}

/// One period of a meter's consumption series.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConsumptionPointDto {
    /// `YYYY-MM`.
    #[schema(example = "2026-11")]
    pub period: String,
    /// The meter's live reading of the period, cubic metres with three decimals; `null`: no
    /// reading, a gap.
    #[schema(example = "123.456")]
    pub value: Option<String>,
    /// `value` less the meter's latest live reading of an earlier period, cubic metres with
    /// three decimals; `null` when either is missing (a gap, a first reading) or `value` is
    /// below it. Never negative.
    #[schema(example = "4.500")]
    pub consumption: Option<String>,
    /// How many months `consumption` covers: 1 when its base is the previous period's reading,
    /// more after periods without a reading; `null` without a consumption.
    #[schema(example = 1, minimum = 1)]
    pub spans_periods: Option<u32>,
}

/// One meter's consumption series: a point per period of the series, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeterConsumptionDto {
    pub meter_number: String,
    /// `cold_water` or `hot_water`.
    pub service: String,
    pub points: Vec<ConsumptionPointDto>,
}

/// A linked account's consumption at a glance: the 12 periods ending with the current one.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConsumptionDto {
    /// The current period (the utility's calendar): the last of `periods`.
    #[schema(example = "2026-12")]
    pub current_period: String,
    /// The series' 12 periods, oldest first.
    pub periods: Vec<String>,
    /// One series per meter of the account, in the account's order.
    pub meters: Vec<MeterConsumptionDto>,
}

impl From<&ConsumptionSeries> for ConsumptionDto {
    fn from(series: &ConsumptionSeries) -> Self {
        Self {
            current_period: series.current.to_string(),
            periods: series.periods.iter().map(ToString::to_string).collect(),
            meters: series
                .meters
                .iter()
                .map(|meter| MeterConsumptionDto {
                    meter_number: meter.meter.number.to_string(),
                    service: meter.meter.service.code().to_owned(),
                    points: meter
                        .points
                        .iter()
                        .map(|point| ConsumptionPointDto {
                            period: point.period.to_string(),
                            value: point.value.map(|v| v.to_string()),
                            consumption: point.consumption.map(|c| c.to_string()),
                            spans_periods: point.spans_periods,
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}

/// The answer to an anonymous caller: no account, no previous value, no consumption.
impl From<&AnonymousReceipt> for ReadingDto {
    fn from(receipt: &AnonymousReceipt) -> Self {
        Self {
            id: receipt.id.to_string(),
            account_number: None,
            meter_number: receipt.meter_number.to_string(),
            value: receipt.value.to_string(),
            previous_value: None,
            consumption: None,
            period: receipt.period.to_string(),
            submitted_at: instant(receipt.submitted_at),
            source: ReadingSource::Anonymous.code().to_owned(),
            warnings: warning_codes(&receipt.warnings),
            voided_at: None,
        }
    }
}

/// A payment.
#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentDto {
    #[schema(format = Uuid)]
    pub id: String,
    pub account_number: String,
    pub purpose: String,
    /// Roubles, two decimals: `"1234.50"`.
    #[schema(example = "1234.50")]
    pub amount: String,
    /// `pending`, `succeeded` or `canceled`.
    pub status: String,
    /// Where the payer confirms the payment.
    pub confirmation_url: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub paid_at: Option<String>,
}

impl From<&Payment> for PaymentDto {
    fn from(payment: &Payment) -> Self {
        Self {
            id: payment.id.to_string(),
            account_number: payment.account_number.to_string(),
            purpose: payment.purpose.code().to_owned(),
            amount: payment.amount.to_string(),
            status: payment.status.code().to_owned(),
            confirmation_url: payment.confirmation_url.clone(),
            created_at: instant(payment.created_at),
            paid_at: payment.paid_at.map(instant),
        }
    }
}

/// The 202 answer of a code request.
#[derive(Debug, Serialize, ToSchema)]
pub struct CodeSentDto {
    /// Seconds before a new code may be asked for.
    pub resend_after: i64,
    /// Seconds the code lives.
    pub expires_in: i64,
}

impl From<CodeRequested> for CodeSentDto {
    fn from(sent: CodeRequested) -> Self {
        Self {
            resend_after: sent.resend_after,
            expires_in: sent.expires_in,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserDto {
    /// E.164: `+79109845003`.
    pub phone: String,
    pub email: String,
}

/// A new session.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionDto {
    /// The bearer token.
    pub token: String,
    #[schema(format = DateTime)]
    pub expires_at: String,
    pub user: UserDto,
}

impl From<&SignedIn> for SessionDto {
    fn from(signed_in: &SignedIn) -> Self {
        Self {
            token: signed_in.token.expose().to_owned(),
            expires_at: instant(signed_in.expires_at),
            user: UserDto {
                phone: signed_in.user.phone.to_string(),
                email: signed_in.user.email.to_string(),
            },
        }
    }
}

/// GET `/profile`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProfileDto {
    pub phone: String,
    pub email: String,
    #[schema(format = DateTime)]
    pub created_at: String,
    /// Extension (notices): whether the address was verified by the link sent to it.
    pub email_verified: bool,
}

impl From<&Profile> for ProfileDto {
    fn from(profile: &Profile) -> Self {
        let user = &profile.user;
        Self {
            phone: user.phone.to_string(),
            email: user.email.to_string(),
            created_at: instant(user.created_at),
            email_verified: profile.email_verified,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LastReadingDto {
    pub value: String,
    #[schema(format = Date)]
    pub date: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MeterDto {
    pub meter_number: String,
    /// `cold_water` or `hot_water`.
    pub service: String,
    pub last_reading: Option<LastReadingDto>,
    #[schema(format = Date)]
    pub verification_due: Option<String>,
}

/// A linked account.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountDto {
    pub account_number: String,
    pub label: Option<String>,
    pub address: String,
    /// Roubles owed (negative: overpaid), two decimals.
    #[schema(example = "1000.00")]
    pub debt: String,
    #[schema(format = Date)]
    pub balance_as_of: String,
    pub meters: Vec<MeterDto>,
    /// How many other profiles linked the same account (a count only; v1.1). Each of them was
    /// told by SMS when this profile linked it.
    #[schema(example = 0, minimum = 0)]
    pub other_holders: u32,
}

impl From<&AccountView> for AccountDto {
    fn from(view: &AccountView) -> Self {
        Self {
            account_number: view.account.number.to_string(),
            label: view.label.as_ref().map(ToString::to_string),
            address: view.account.address.clone(),
            debt: view.debt.to_string(),
            balance_as_of: date(view.account.balance_as_of),
            other_holders: view.other_holders,
            meters: view
                .meters()
                .map(|(meter, last)| MeterDto {
                    meter_number: meter.number.to_string(),
                    service: meter.service.code().to_owned(),
                    last_reading: last.map(|last| LastReadingDto {
                        value: last.value.to_string(),
                        date: date(last.date),
                    }),
                    verification_due: meter.verification_due.map(date),
                })
                .collect(),
        }
    }
}

/// A visit request.
#[derive(Debug, Serialize, ToSchema)]
pub struct VisitRequestDto {
    #[schema(format = Uuid)]
    pub id: String,
    /// `meter_acceptance` or `meter_verification`.
    pub kind: String,
    pub account_number: String,
    pub meter_number: Option<String>,
    pub phone: String,
    #[schema(format = Date)]
    pub visit_date: String,
    /// `HH:MM`.
    pub visit_time: String,
    pub notes: Option<String>,
    /// `new`, `scheduled`, `done` or `canceled`.
    pub status: String,
    #[schema(format = DateTime)]
    pub created_at: String,
}

impl From<&VisitRequest> for VisitRequestDto {
    fn from(visit: &VisitRequest) -> Self {
        Self {
            id: visit.id.to_string(),
            kind: visit.kind.code().to_owned(),
            account_number: visit.account_number.to_string(),
            meter_number: visit.meter_number.as_ref().map(ToString::to_string),
            phone: visit.phone.to_string(),
            visit_date: date(visit.slot.date()),
            visit_time: hh_mm(visit.slot.time()),
            notes: visit.notes.as_ref().map(ToString::to_string),
            status: visit.status.code().to_owned(),
            created_at: instant(visit.created_at),
        }
    }
}

/// `GET /health/*`.
#[derive(Debug, Serialize, ToSchema)]
pub struct HealthDto {
    /// `ok` or `unavailable`.
    pub status: String,
}

// ---- requests ----------------------------------------------------------------------------
// Each is the document's schema and what the handler receives (`crate::request_body!`): a
// field's type says how it is read.

const READINGS_REQUIRED: &str = "Укажите показания счётчиков";

request_body! {
    pub struct AnonymousReadingRequest {
        #[schema(schema_with = crate::fields::full_name)]
        pub full_name: FullName,
        /// Any common Russian form: `+7 (910) 984-50-03`, `89109845003`, ...
        #[schema(schema_with = crate::fields::phone)]
        pub phone: Phone,
        #[schema(schema_with = crate::fields::meter_number)]
        pub meter_number: MeterNumber,
        #[schema(schema_with = crate::fields::reading_value)]
        pub value: ReadingValue,
    }
}

request_body! {
    pub struct AnonymousPaymentRequest {
        #[schema(schema_with = crate::fields::account_number)]
        pub account_number: AccountNumber,
        #[schema(schema_with = crate::fields::payment_purpose)]
        pub purpose: PaymentPurpose,
        #[schema(schema_with = crate::fields::amount)]
        pub amount: Money,
        #[schema(schema_with = crate::fields::optional_email)]
        pub email: Option<Email>,
        /// Where the payer returns after paying: on the origin of the server's public URL or of
        /// one of `VODOKANAL_RETURN_ORIGINS`, else 422.
        #[schema(schema_with = crate::fields::return_url)]
        pub return_url: Option<ReturnUrl>,
    }
}

request_body! {
    pub struct RegistrationRequest {
        #[schema(schema_with = crate::fields::mobile_phone)]
        pub phone: MobilePhone,
        #[schema(schema_with = crate::fields::email)]
        pub email: Email,
        /// Must be `true`.
        #[schema(schema_with = crate::fields::consent)]
        pub consent_personal_data: ConsentGiven,
    }
}

request_body! {
    pub struct RegistrationConfirmRequest {
        #[schema(schema_with = crate::fields::phone)]
        pub phone: Phone,
        /// 6 digits from the SMS.
        #[schema(schema_with = crate::fields::code)]
        pub code: OneTimeCode,
        /// 8 to 128 characters, not a commonly used one.
        #[schema(schema_with = crate::fields::new_password)]
        pub password: Password,
    }
}

request_body! {
    pub struct LoginRequest {
        /// A phone or an e-mail.
        #[schema(schema_with = crate::fields::login)]
        pub login: LoginName,
        #[schema(schema_with = crate::fields::password)]
        pub password: LoginPassword,
    }
}

request_body! {
    pub struct PasswordResetRequest {
        #[schema(schema_with = crate::fields::mobile_phone)]
        pub phone: MobilePhone,
    }
}

request_body! {
    pub struct PasswordResetConfirmRequest {
        #[schema(schema_with = crate::fields::phone)]
        pub phone: Phone,
        #[schema(schema_with = crate::fields::code)]
        pub code: OneTimeCode,
        #[schema(schema_with = crate::fields::new_password)]
        pub new_password: Password,
    }
}

request_body! {
    pub struct ChangePasswordRequest {
        #[schema(schema_with = crate::fields::password)]
        pub current_password: LoginPassword,
        #[schema(schema_with = crate::fields::new_password)]
        pub new_password: Password,
    }
}

request_body! {
    pub struct DeleteProfileRequest {
        #[schema(schema_with = crate::fields::password)]
        pub password: LoginPassword,
    }
}

request_body! {
    pub struct LinkAccountRequest {
        #[schema(schema_with = crate::fields::account_number)]
        pub account_number: AccountNumber,
        #[schema(schema_with = crate::fields::meter_last4)]
        pub meter_last4: MeterLast4,
        /// At most 50 characters.
        #[schema(schema_with = crate::fields::label)]
        pub label: Option<Label>,
    }
}

request_body! {
    pub struct RelabelAccountRequest {
        /// `null` or `""` clears the label.
        #[schema(schema_with = crate::fields::label)]
        pub label: Clearable<Label>,
    }
}

request_body! {
    pub struct MeterReadingRequest {
        #[schema(schema_with = crate::fields::meter_number)]
        pub meter_number: MeterNumber,
        #[schema(schema_with = crate::fields::reading_value)]
        pub value: ReadingValue,
    }
}

request_body! {
    pub struct SubmitReadingsRequest {
        /// One reading per meter, at least one.
        #[schema(min_items = 1)]
        pub readings: Vec<MeterReadingRequest>,
    }
}

/// An empty list is read: the use case refuses it, naming `readings`.
impl FieldRead for Vec<MeterReadingRequest> {
    fn read(form: &mut Form<'_>, name: &str) -> Option<Self> {
        form.list(name, READINGS_REQUIRED)
    }
}

request_body! {
    pub struct CabinetPaymentRequest {
        #[schema(schema_with = crate::fields::payment_purpose)]
        pub purpose: PaymentPurpose,
        #[schema(schema_with = crate::fields::amount)]
        pub amount: Money,
        /// Where the payer returns after paying: on the origin of the server's public URL or of
        /// one of `VODOKANAL_RETURN_ORIGINS`, else 422.
        #[schema(schema_with = crate::fields::return_url)]
        pub return_url: Option<ReturnUrl>,
    }
}

request_body! {
    pub struct BookVisitRequest {
        /// `meter_acceptance` or `meter_verification`.
        #[schema(schema_with = crate::fields::visit_kind)]
        pub kind: VisitKind,
        #[schema(schema_with = crate::fields::account_number)]
        pub account_number: AccountNumber,
        #[schema(schema_with = crate::fields::optional_meter_number)]
        pub meter_number: Option<MeterNumber>,
        #[schema(schema_with = crate::fields::phone)]
        pub phone: Phone,
        #[schema(schema_with = crate::fields::date)]
        pub visit_date: NaiveDate,
        /// `HH:MM`.
        #[schema(schema_with = crate::fields::time)]
        pub visit_time: NaiveTime,
        #[schema(schema_with = crate::fields::notes)]
        pub notes: Option<Notes>,
    }
}

// ---- notices (issue 17; docs/api-extensions.md) -------------------------------------------

/// One topic of «Уведомления» and its channels.
#[derive(Debug, Serialize, ToSchema)]
pub struct TopicChannelsDto {
    /// `readings`, `verification`, `payments` or `debt`.
    pub topic: &'static str,
    pub title: &'static str,
    /// `email`, `push`, `sms`.
    pub channels: Vec<&'static str>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PushSettingsDto {
    /// The VAPID public key (URL-safe base64) for `applicationServerKey`; null: push is off.
    pub public_key: Option<String>,
    /// How many browsers of the subscriber receive push messages.
    pub subscriptions: u32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationsDto {
    pub email_verified: bool,
    pub push: PushSettingsDto,
    /// Every topic, in a fixed order.
    pub topics: Vec<TopicChannelsDto>,
}

impl From<&NotificationsView> for NotificationsDto {
    fn from(view: &NotificationsView) -> Self {
        Self {
            email_verified: view.email_verified,
            push: PushSettingsDto {
                public_key: view.push_public_key.clone(),
                subscriptions: view.push_subscriptions,
            },
            topics: NoticeTopic::ALL
                .into_iter()
                .map(|topic| TopicChannelsDto {
                    topic: topic.code(),
                    title: topic.title(),
                    channels: view
                        .preferences
                        .channels(topic)
                        .iter()
                        .map(Channel::code)
                        .collect(),
                })
                .collect(),
        }
    }
}

/// A verification link was queued.
#[derive(Debug, Serialize, ToSchema)]
pub struct EmailLinkSentDto {
    /// Seconds until another link may be asked for.
    pub resend_after: i64,
}

/// What the unsubscribe link turned off.
#[derive(Debug, Serialize, ToSchema)]
pub struct UnsubscribedDto {
    pub topic: &'static str,
    pub title: &'static str,
}

const TOPICS_REQUIRED: &str = "Укажите виды уведомлений";
const CHANNELS_REQUIRED: &str = "Укажите способы уведомления (пустой список: никаких)";

request_body! {
    pub struct TopicChannelsRequest {
        #[schema(schema_with = crate::fields::notice_topic)]
        pub topic: NoticeTopic,
        #[schema(schema_with = crate::fields::channels)]
        pub channels: Vec<Channel>,
    }
}

impl FieldRead for Vec<Channel> {
    fn read(form: &mut Form<'_>, name: &str) -> Option<Self> {
        form.strings(name, CHANNELS_REQUIRED)
    }
}

request_body! {
    pub struct NotificationsRequest {
        /// The topics to set; a topic not listed keeps its channels; listed twice, the last
        /// counts.
        pub topics: Vec<TopicChannelsRequest>,
    }
}

impl FieldRead for Vec<TopicChannelsRequest> {
    fn read(form: &mut Form<'_>, name: &str) -> Option<Self> {
        form.list(name, TOPICS_REQUIRED)
    }
}

request_body! {
    pub struct PushKeysRequest {
        /// The browser's P-256 public key: 65 bytes in URL-safe base64.
        #[schema(schema_with = crate::fields::push_p256dh)]
        pub p256dh: PushText,
        /// The browser's authentication secret: 16 bytes in URL-safe base64.
        #[schema(schema_with = crate::fields::push_auth)]
        pub auth: PushText,
    }
}

impl FieldRead for PushKeysRequest {
    fn read(form: &mut Form<'_>, name: &str) -> Option<Self> {
        form.object(name, "Подписка на push-уведомления неполна: нет ключей")
    }
}

request_body! {
    /// The browser's `PushSubscription.toJSON()`.
    pub struct PushSubscriptionRequest {
        /// The push service's URL for this browser.
        #[schema(schema_with = crate::fields::push_endpoint)]
        pub endpoint: PushEndpoint,
        pub keys: PushKeysRequest,
    }
}

request_body! {
    pub struct PushUnsubscribeRequest {
        #[schema(schema_with = crate::fields::push_endpoint)]
        pub endpoint: PushEndpoint,
    }
}

request_body! {
    pub struct VerifyEmailRequest {
        /// The `token` of the link in the mail.
        #[schema(schema_with = crate::fields::link_token)]
        pub token: LinkToken,
    }
}
