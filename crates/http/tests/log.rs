//! The request log line: method, route template, status, latency and request id; no phone,
//! e-mail or account number in clear. In its own test binary, so that the global subscriber
//! it installs sees every event.
#![expect(clippy::unwrap_used, reason = "tests fail loudly")]

use std::io::Write;
use std::sync::{Arc, Mutex};

use serde_json::json;

#[expect(dead_code, reason = "the harness serves the router tests too")]
#[path = "api/harness.rs"]
mod harness;

use harness::{App, EMAIL, METER};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn the_request_log_names_the_route_and_no_personal_data() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    tracing::subscriber::set_global_default(subscriber).unwrap();

    let app = App::new().await;
    let token = app.register().await;
    app.post(
        "/api/v1/public/readings",
        None,
        json!({"full_name": "Иванов Иван", "phone": "+79161234567", "meter_number": METER, "value": "101"}),
    )
    .await;
    app.get("/api/v1/accounts/123456", Some(&token)).await;

    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(log.contains("route=\"/api/v1/public/readings\""), "{log}");
    assert!(log.contains("route=\"/api/v1/accounts/{number}\""), "{log}");
    assert!(log.contains("status=201"), "{log}");
    assert!(log.contains("latency_ms="), "{log}");
    assert!(log.contains("request_id="), "{log}");
    assert!(log.contains("method=POST"), "{log}");
    for secret in [
        "9109845003",
        "9161234567",
        EMAIL,
        "Иванов",
        "123456\"",
        "/accounts/123456",
    ] {
        assert!(!log.contains(secret), "{secret} in the log:\n{log}");
    }
}
