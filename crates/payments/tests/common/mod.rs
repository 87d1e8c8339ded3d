//! What the provider tests share: a payment request, a fast HTTP policy, and the requests a
//! mock server received.

#![allow(dead_code, reason = "each test binary uses a part")]

use std::net::IpAddr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::Value;
use vodokanal_app::ports::{Notification, PaymentRequest};
use vodokanal_domain::{PaymentId, PaymentPurpose, ReceiptContact};
use vodokanal_payments::HttpPolicy;
use wiremock::MockServer;
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

pub const PAYMENT_ID: [u8; 16] = [7; 16];

pub fn payment_id() -> String {
    PaymentId::from_random_bytes(PAYMENT_ID).to_string()
}

/// 1500.00 roubles of water for account 123456, without a receipt.
pub fn request() -> PaymentRequest {
    PaymentRequest {
        payment_id: PaymentId::from_random_bytes(PAYMENT_ID),
        account_number: "123456".parse().unwrap(),
        purpose: PaymentPurpose::Water,
        amount: "1500.00".parse().unwrap(),
        description: "Вода, л/с 123456".into(),
        return_url: "https://lk.example/payments/x".into(),
        receipt_contact: None,
    }
}

pub fn with_email() -> PaymentRequest {
    PaymentRequest {
        receipt_contact: Some(ReceiptContact::Email("payer@example.ru".parse().unwrap())),
        ..request()
    }
}

pub fn with_phone() -> PaymentRequest {
    PaymentRequest {
        receipt_contact: Some(ReceiptContact::Phone("+79109845003".parse().unwrap())),
        ..request()
    }
}

/// Two retries without waiting, and a timeout generous enough for a loaded machine.
pub fn policy() -> HttpPolicy {
    HttpPolicy {
        timeout: Duration::from_secs(5),
        retries: 2,
        backoff: Duration::from_millis(1),
    }
}

/// A timeout far below the mock's delay.
pub fn impatient() -> HttpPolicy {
    HttpPolicy {
        timeout: Duration::from_millis(100),
        ..policy()
    }
}

/// A reply held longer than [`impatient`] waits.
pub fn late(reply: ResponseTemplate) -> ResponseTemplate {
    reply.set_delay(Duration::from_secs(3))
}

pub fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

pub fn notification(body: &str, from: Option<&str>) -> Notification {
    Notification {
        body: body.as_bytes().to_vec(),
        remote_addr: from.map(|ip| ip.parse::<IpAddr>().unwrap()),
    }
}

/// Answers every `method` request to `route` with `reply`, expecting `times` of them.
pub async fn answer(
    server: &MockServer,
    verb: &str,
    route: &str,
    reply: ResponseTemplate,
    times: u64,
) {
    Mock::given(method(verb))
        .and(path(route))
        .respond_with(reply)
        .expect(times)
        .mount(server)
        .await;
}

/// The bodies of the requests the server received, as JSON.
pub async fn bodies(server: &MockServer) -> Vec<Value> {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect()
}

/// One header of every request the server received.
pub async fn headers(server: &MockServer, name: &str) -> Vec<String> {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| {
            r.headers
                .get(name)
                .map(|v| v.to_str().unwrap().to_owned())
                .unwrap_or_default()
        })
        .collect()
}

/// A URL on which nothing listens: a port the system gave and took back.
pub fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}/v3")
}
