//! The sender against a push service stand-in on loopback
//! (`vodokanal_test_support::push_endpoint`): it checks each request as a push service would
//! (the VAPID JWT's ES256 signature with the `k=` key, its claims, the headers) and decrypts the
//! body with the subscription's private key and auth.
#![expect(clippy::unwrap_used, reason = "tests fail loudly")]

use std::time::{Duration, SystemTime, UNIX_EPOCH};
use vodokanal_test_support::logs;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use tokio::net::TcpListener;
use vodokanal_app::Secret;
use vodokanal_app::ports::{PushError, PushMessage, PushSender};
use vodokanal_domain::PushSubscription;
use vodokanal_push::{WebPushSender, WebPushSetupError, generate_vapid_keys};
use vodokanal_test_support::push_endpoint::{PushEndpoint as StandIn, StatusCode};

const SUBJECT: &str = "mailto:push@vodokanal.example";

fn sender() -> WebPushSender {
    let (private, _) = generate_vapid_keys();
    WebPushSender::new(&private, SUBJECT, reqwest::Client::new()).unwrap()
}

fn message() -> PushMessage {
    PushMessage {
        title: "Визит техника завтра".to_owned(),
        body: "Мастер придёт 8 декабря с 9:00 до 13:00, ул. Ленина, 1 — «поверка» ИПУ".to_owned(),
        url: "/#/visits".to_owned(),
        topic: "visit-42".to_owned(),
        ttl_seconds: 3600,
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Runs `future` with its log captured, and checks that the log never shows the endpoint's
/// `token`.
async fn logged<F: Future>(token: &str, future: F) -> (F::Output, String) {
    let (output, log) = logs::logged(future).await;
    assert!(!log.contains(token), "the endpoint in the log:\n{log}");
    (output, log)
}

#[tokio::test]
async fn a_message_reaches_the_browser_encrypted_and_signed() {
    let stand_in = StandIn::start().await;
    let sender = sender();
    let before = now();
    let (sent, log) = logged(
        stand_in.token(),
        sender.send(&stand_in.subscription(), &message()),
    )
    .await;
    sent.unwrap();
    assert!(log.contains("host=127.0.0.1"), "{log}");
    assert!(log.contains("push message accepted"), "{log}");

    let received = stand_in.received();
    assert_eq!(received.len(), 1);
    let received = &received[0];
    let message = message();
    assert_eq!(
        received.payload,
        serde_json::json!({"title": message.title, "body": message.body, "url": message.url})
    );
    assert_eq!(received.aud, format!("http://{}", stand_in.addr()).as_str());
    assert_eq!(received.sub, SUBJECT);
    assert!(received.exp > before, "exp {} is past", received.exp);
    assert!(
        received.exp <= now() + 24 * 3600,
        "exp {} is beyond 24 h",
        received.exp
    );
    assert_eq!(received.k, sender.public_key());
    assert_eq!(received.ttl, "3600");
    assert_eq!(received.topic.as_deref(), Some("visit-42"));
    assert_eq!(received.urgency, "normal");
    assert_eq!(received.content_encoding, "aes128gcm");
}

#[tokio::test]
async fn no_topic_no_topic_header() {
    let stand_in = StandIn::start().await;
    let message = PushMessage {
        topic: String::new(),
        ttl_seconds: 0,
        ..message()
    };
    sender()
        .send(&stand_in.subscription(), &message)
        .await
        .unwrap();
    let received = stand_in.received();
    assert_eq!(received[0].topic, None);
    assert_eq!(received[0].ttl, "0");
}

#[tokio::test]
async fn the_push_services_answers_are_mapped() {
    let stand_in = StandIn::start().await;
    let sender = sender();
    let cases = [
        (StatusCode::ACCEPTED, Ok(())),
        (StatusCode::GONE, Err("gone")),
        (StatusCode::NOT_FOUND, Err("gone")),
        (StatusCode::TOO_MANY_REQUESTS, Err("unavailable")),
        (StatusCode::INTERNAL_SERVER_ERROR, Err("unavailable")),
        (StatusCode::SERVICE_UNAVAILABLE, Err("unavailable")),
        (StatusCode::BAD_REQUEST, Err("rejected")),
        (StatusCode::FORBIDDEN, Err("rejected")),
        (StatusCode::PAYLOAD_TOO_LARGE, Err("rejected")),
    ];
    for (index, (status, expected)) in cases.into_iter().enumerate() {
        stand_in.answer_with(
            status,
            "subscription https://push.example/wpush/v2/x unknown",
        );
        let (result, _) = logged(
            stand_in.token(),
            sender.send(&stand_in.subscription(), &message()),
        )
        .await;
        // The stand-in checked the request before answering with `status`.
        assert_eq!(stand_in.received().len(), index + 1, "{status}: {result:?}");
        let kind = result.as_ref().copied().map_err(|e| match e {
            PushError::Gone => "gone",
            PushError::Unavailable(_) => "unavailable",
            PushError::Rejected(_) => "rejected",
        });
        assert_eq!(kind, expected, "{status}: {result:?}");
        if let Err(PushError::Unavailable(reason) | PushError::Rejected(reason)) = &result {
            assert!(reason.contains(status.as_str()), "{reason}");
            assert!(reason.contains("unknown"), "{reason}");
        }
    }
}

#[tokio::test]
async fn an_unreachable_or_silent_service_is_unavailable() {
    let sender = sender().with_timeout(Duration::from_millis(300));
    let stand_in = StandIn::start().await;
    let subscription = stand_in.subscription();
    let keys = (subscription.p256dh_text(), subscription.auth_text());

    // Nobody listens on the port.
    let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let closed_addr = closed.local_addr().unwrap();
    drop(closed);
    let to = PushSubscription::new(
        &format!("http://{closed_addr}/wpush/v2/{}", stand_in.token()),
        &keys.0,
        &keys.1,
    )
    .unwrap();
    let (result, log) = logged(stand_in.token(), sender.send(&to, &message())).await;
    let Err(PushError::Unavailable(reason)) = result else {
        panic!("{result:?}")
    };
    assert!(reason.contains("can't be reached"), "{reason}");
    assert!(!reason.contains(stand_in.token()), "{reason}");
    assert!(log.contains("can't be reached"), "{log}");

    // A listener that never answers.
    let silent = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let silent_addr = silent.local_addr().unwrap();
    let to = PushSubscription::new(
        &format!("http://{silent_addr}/wpush/v2/{}", stand_in.token()),
        &keys.0,
        &keys.1,
    )
    .unwrap();
    let (result, _) = logged(stand_in.token(), sender.send(&to, &message())).await;
    let Err(PushError::Unavailable(reason)) = result else {
        panic!("{result:?}")
    };
    assert!(reason.contains("did not answer within 300ms"), "{reason}");
    drop(silent);
}

#[tokio::test]
async fn what_no_push_service_would_take_is_refused_before_sending() {
    let stand_in = StandIn::start().await;
    let sender = sender();
    let too_long = PushMessage {
        body: "в".repeat(2000),
        ..message()
    };
    let bad_topic = PushMessage {
        topic: "визит".to_owned(),
        ..message()
    };
    for message in [too_long, bad_topic] {
        let result = sender.send(&stand_in.subscription(), &message).await;
        assert!(matches!(result, Err(PushError::Rejected(_))), "{result:?}");
    }
    assert!(stand_in.received().is_empty());

    // The largest body that fits: 4096 bytes encrypted.
    let json_overhead = serde_json::json!({"title": "", "body": "", "url": ""})
        .to_string()
        .len();
    let fits = PushMessage {
        title: String::new(),
        body: "x".repeat(4096 - 86 - 17 - json_overhead),
        url: String::new(),
        ..message()
    };
    sender.send(&stand_in.subscription(), &fits).await.unwrap();
    let over = PushMessage {
        body: format!("{}x", fits.body),
        ..fits
    };
    let result = sender.send(&stand_in.subscription(), &over).await;
    assert!(matches!(result, Err(PushError::Rejected(_))), "{result:?}");
    assert_eq!(stand_in.received().len(), 1);
}

#[test]
fn keys_round_trip_and_bad_settings_are_refused() {
    let (private, public) = generate_vapid_keys();
    assert_eq!(private.expose().len(), 43);
    assert_eq!(URL_SAFE_NO_PAD.decode(&public).unwrap()[0], 0x04);
    assert_eq!(public.len(), 87);
    let client = reqwest::Client::new;
    let sender = WebPushSender::new(&private, SUBJECT, client()).unwrap();
    assert_eq!(sender.public_key(), public);
    assert!(!format!("{sender:?}").contains(private.expose()));
    // Padded, as some tools print it.
    let padded = Secret::new(format!("{}=", private.expose()));
    assert_eq!(
        WebPushSender::new(&padded, "https://vodokanal.example", client())
            .unwrap()
            .public_key(),
        public
    );

    // The RFC 8291 example's sender key, as web-push prints keys: a known public key.
    let known = Secret::new("yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw");
    assert_eq!(
        WebPushSender::new(&known, SUBJECT, client())
            .unwrap()
            .public_key(),
        "BP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A8"
    );

    let zero = URL_SAFE_NO_PAD.encode([0u8; 32]);
    let order_or_more = URL_SAFE_NO_PAD.encode([0xffu8; 32]);
    let short = URL_SAFE_NO_PAD.encode([1u8; 31]);
    for bad in [
        "",
        "not base64!",
        zero.as_str(),
        order_or_more.as_str(),
        short.as_str(),
        public.as_str(),
    ] {
        assert_eq!(
            WebPushSender::new(&Secret::new(bad), SUBJECT, client()).unwrap_err(),
            WebPushSetupError::PrivateKey,
            "{bad}"
        );
    }
    for bad in [
        "",
        "push@vodokanal.example",
        "http://vodokanal.example",
        "mailto:",
    ] {
        assert_eq!(
            WebPushSender::new(&private, bad, client()).unwrap_err(),
            WebPushSetupError::Subject,
            "{bad}"
        );
    }
    let error = WebPushSender::new(&Secret::new("abc"), SUBJECT, client()).unwrap_err();
    assert!(error.to_string().contains("VODOKANAL_VAPID_PRIVATE_KEY"));
}
