//! The sandbox provider's pay page, `/sandbox/pay/{id}`: what a real provider's checkout is
//! for YooKassa, served by the server itself when `VODOKANAL_PAYMENTS=sandbox`.
//!
//! `GET` shows the payment (amount, purpose, account) with "Оплатить" and "Отменить";
//! `POST` with the form field `result=succeeded` or `result=canceled` records the payer's
//! choice with [`SandboxProvider::decide`] and then settles the payment through
//! `SettlePayment`, the same path a provider's notification takes (it asks the provider,
//! here the sandbox, for the state). The page then shows the result with a link back, and
//! once settled, returns to the payment's `return_url` by itself after a few seconds (a
//! `Refresh` header).
//!
//! Every page of it says first, in large letters, that it is a test payment and no money
//! moves ([`NO_MONEY`]): a sandbox that reached production must not pass for a checkout.
//!
//! It lives in the server rather than in `vodokanal-http` because it exists only with the
//! sandbox provider, which only the composition root knows.

use std::fmt::Write as _;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tracing::warn;
use vodokanal_app::UseCases;
use vodokanal_app::payments::{
    GetPaymentStatusCommand, GetPaymentStatusError, PaymentRef, SettlePaymentCommand,
};
use vodokanal_app::ports::Clock;
use vodokanal_domain::{Payment, PaymentId, PaymentStatus};
use vodokanal_payments::SandboxProvider;

/// What the page needs.
#[derive(Debug, Clone)]
pub struct SandboxPage {
    pub sandbox: Arc<SandboxProvider>,
    /// Built on [`SandboxPage::sandbox`] as the payment provider.
    pub use_cases: Arc<UseCases>,
    pub clock: Arc<dyn Clock>,
    /// Where "back" goes when the sandbox no longer knows the payment's return URL.
    pub public_url: String,
}

/// The page's routes.
pub fn router(page: SandboxPage) -> Router {
    Router::new()
        .route("/sandbox/pay/{id}", get(show).post(decide))
        .layer(DefaultBodyLimit::max(1024))
        .with_state(page)
}

async fn show(State(page): State<SandboxPage>, Path(id): Path<String>) -> Response {
    match page.find(&id).await {
        Ok(payment) => page.render(&payment, None),
        Err(response) => response,
    }
}

async fn decide(State(page): State<SandboxPage>, Path(id): Path<String>, body: Bytes) -> Response {
    let payment = match page.find(&id).await {
        Ok(payment) => payment,
        Err(response) => return response,
    };
    let succeeded = match form_field(&body, "result").as_deref() {
        Some("succeeded") => true,
        Some("canceled") => false,
        _ => {
            return html(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Неверный запрос",
                "<p>Ожидается поле result со значением succeeded или canceled.</p>",
            );
        }
    };
    let provider_payment_id = payment.id.to_string();
    if page
        .sandbox
        .decide(&provider_payment_id, succeeded, page.clock.now())
        .is_err()
    {
        return page.render(&payment, Some(FORGOTTEN));
    }
    let settled = page
        .use_cases
        .settle_payment
        .execute(SettlePaymentCommand {
            payment: PaymentRef::Ours(payment.id),
        })
        .await;
    if let Err(error) = settled {
        warn!(payment_id = %payment.id, %error, "a sandbox payment could not be settled");
        return unavailable("Платёж не проведён");
    }
    match page.find(&id).await {
        Ok(payment) => page.render(&payment, None),
        Err(response) => response,
    }
}

/// How long the result stays on screen before the page returns to the payer's app.
const RETURN_AFTER_SECONDS: u32 = 3;

/// The `Refresh` header (HTML's "refresh" pragma as a header; every browser follows it).
const REFRESH: HeaderName = HeaderName::from_static("refresh");

const FORGOTTEN: &str = "Песочница не помнит этот платёж: сервер перезапускался после его \
    создания. Создайте новый платёж.";

impl SandboxPage {
    /// The payment, if it is one of the sandbox's; else the "not found" page.
    async fn find(&self, id: &str) -> Result<Payment, Response> {
        let not_found = || {
            html(
                StatusCode::NOT_FOUND,
                "Платёж не найден",
                "<p>Такого платежа нет.</p>",
            )
        };
        let id: PaymentId = id.parse().map_err(|_| not_found())?;
        let found = self
            .use_cases
            .payment_status
            .execute(GetPaymentStatusCommand { id })
            .await;
        match found {
            Ok(payment) if payment.provider == SandboxProvider::NAME => Ok(payment),
            Ok(_) | Err(GetPaymentStatusError::NotFound) => Err(not_found()),
            Err(GetPaymentStatusError::Store(error)) => {
                warn!(payment_id = %id, %error, "the sandbox page can't read the payment");
                Err(unavailable("Сервис недоступен"))
            }
        }
    }

    fn render(&self, payment: &Payment, notice: Option<&str>) -> Response {
        let id = payment.id.to_string();
        let known = self.sandbox.payment(&id);
        let back = known.as_ref().map_or_else(
            || format!("{}/payments/{id}", self.public_url),
            |p| p.return_url.clone(),
        );
        let mut body = String::new();
        let _ = write!(
            body,
            "<dl><dt>Сумма</dt><dd>{amount} ₽</dd><dt>Назначение</dt><dd>{purpose}</dd>\
             <dt>Лицевой счёт</dt><dd>{account}</dd></dl>",
            amount = escape(&payment.amount.to_string()),
            purpose = escape(payment.purpose.title()),
            account = escape(&payment.account_number.to_string()),
        );
        if let Some(notice) = notice {
            let _ = write!(body, "<p class=\"notice\">{}</p>", escape(notice));
        }
        let title = match payment.status {
            PaymentStatus::Pending if known.is_some() => {
                body.push_str(
                    "<form method=\"post\">\
                     <button name=\"result\" value=\"succeeded\">Оплатить</button> \
                     <button name=\"result\" value=\"canceled\">Отменить</button></form>",
                );
                "Оплата"
            }
            PaymentStatus::Pending => {
                if notice.is_none() {
                    let _ = write!(body, "<p class=\"notice\">{}</p>", escape(FORGOTTEN));
                }
                "Платёж не проведён"
            }
            PaymentStatus::Succeeded => "Платёж проведён",
            PaymentStatus::Canceled => "Платёж отменён",
        };
        let settled = payment.status != PaymentStatus::Pending;
        if settled {
            body.push_str("<p>Через несколько секунд вы вернётесь туда, откуда начали оплату.</p>");
        }
        if settled || known.is_none() {
            let _ = write!(body, "<p><a href=\"{}\">Вернуться</a></p>", escape(&back));
        }
        let mut response = html(StatusCode::OK, title, &body);
        // Back to the payer's app once the payment is settled, as a provider's checkout does
        // (the web client then asks the API for the payment's state).
        if settled
            && let Ok(refresh) =
                HeaderValue::from_str(&format!("{RETURN_AFTER_SECONDS}; url={back}"))
        {
            response.headers_mut().insert(REFRESH, refresh);
        }
        response
    }
}

/// A field of an `application/x-www-form-urlencoded` body (values here are plain ASCII words,
/// so only `+` needs undoing).
fn form_field(body: &[u8], name: &str) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?;
    text.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        (key == name).then(|| value.replace('+', " "))
    })
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// 503 with `Retry-After: 60`, as the page says ("через минуту").
fn unavailable(title: &str) -> Response {
    let mut response = html(
        StatusCode::SERVICE_UNAVAILABLE,
        title,
        "<p>Сервис временно недоступен. Попробуйте ещё раз через минуту.</p>",
    );
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
    response
}

/// The banner at the top of every page.
pub const NO_MONEY: &str = "Тестовая оплата: деньги не списываются";

fn html(status: StatusCode, title: &str, body: &str) -> Response {
    let page = format!(
        "<!doctype html>\n<html lang=\"ru\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} — песочница оплаты</title>\
         <style>body{{font-family:sans-serif;max-width:28rem;margin:2rem auto;padding:0 1rem}}\
         dt{{color:#666}}dd{{margin:0 0 .5rem;font-size:1.2rem}}button{{font-size:1.1rem;padding:.5rem 1rem}}\
         .notice{{color:#a00}}\
         .sandbox{{font-size:1.8rem;font-weight:bold;color:#a00;border:3px solid #a00;\
         padding:.75rem;text-align:center}}</style></head>\
         <body><p class=\"sandbox\" role=\"alert\">{no_money}</p><h1>{title}</h1>{body}</body></html>\n",
        title = escape(title),
        no_money = NO_MONEY,
    );
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        page,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_fields_are_read() {
        assert_eq!(
            form_field(b"result=succeeded", "result").as_deref(),
            Some("succeeded")
        );
        assert_eq!(
            form_field(b"x=1&result=canceled", "result").as_deref(),
            Some("canceled")
        );
        assert_eq!(form_field(b"results=canceled", "result"), None);
        assert_eq!(form_field(&[0xff, 0xfe], "result"), None);
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(
            escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }

    #[tokio::test]
    async fn every_page_says_first_that_no_money_moves() {
        for response in [
            html(StatusCode::OK, "Оплата", "<p>x</p>"),
            unavailable("Сервис недоступен"),
        ] {
            let bytes = axum::body::to_bytes(response.into_body(), 64 * 1024)
                .await
                .unwrap();
            let page = String::from_utf8(bytes.to_vec()).unwrap();
            let banner = page.find(NO_MONEY).unwrap();
            assert!(banner < page.find("<h1>").unwrap(), "{page}");
            assert!(page.contains("class=\"sandbox\""), "{page}");
        }
    }

    #[test]
    fn unavailable_asks_to_retry_in_a_minute() {
        let response = unavailable("Сервис недоступен");
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()[header::RETRY_AFTER], "60");
    }
}
