//! «Уведомления», push subscriptions, the e-mail's verification and the unsubscribe link, over
//! the router on the in-memory store, the mail and push fakes.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use vodokanal_app::notices::PushHosts;

use crate::harness::{App, EMAIL, settings};

const P256DH: &str =
    "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
const AUTH: &str = "BTBZMqHH6r4Tts7J_aSIgg";
const ENDPOINT: &str = "https://fcm.googleapis.com/fcm/send/browser-1";

async fn app() -> App {
    let mut settings = settings();
    settings.notices.push_hosts = PushHosts::default();
    App::with(settings, vodokanal_http::HttpConfig::default(), |_| {}).await
}

fn topic<'a>(settings: &'a Value, name: &str) -> &'a Value {
    settings["topics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["topic"] == name)
        .unwrap()
}

/// The token of the verification link the mail fake received last.
fn link_token(app: &App, marker: &str) -> String {
    let mails = app.mail.mails();
    let text = &mails.last().unwrap().text;
    let start = text.find(marker).unwrap() + marker.len();
    text[start..]
        .split(|c: char| c.is_whitespace())
        .next()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn a_new_address_gets_its_link_and_is_verified_by_it() {
    let app = app().await;
    let token = app.register().await;
    let profile = app.get("/api/v1/profile", Some(&token)).await;
    assert_eq!(profile.json()["email_verified"], false);
    app.deliver().await;
    let mails = app.mail.mails();
    assert_eq!(mails.len(), 1, "the registration's link");
    assert_eq!(mails[0].to.as_str(), EMAIL);
    assert_eq!(mails[0].subject, "Подтвердите адрес электронной почты");
    assert_eq!(mails[0].unsubscribe, None);
    let link = link_token(&app, "#/email/verify?token=");

    let forged = app
        .post("/api/v1/email/verify", None, json!({"token": "AAAA"}))
        .await;
    assert_eq!(forged.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(forged.json()["code"], "link_invalid");
    let verified = app
        .post("/api/v1/email/verify", None, json!({"token": link}))
        .await;
    assert_eq!(verified.status, StatusCode::NO_CONTENT);
    let profile = app.get("/api/v1/profile", Some(&token)).await;
    assert_eq!(profile.json()["email_verified"], true);
    let again = app
        .call(
            Method::POST,
            "/api/v1/profile/email/verify",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.json()["code"], "email_already_verified");
}

#[tokio::test]
async fn a_second_link_waits_for_the_pause() {
    let app = app().await;
    let token = app.register().await;
    let first = app
        .call(
            Method::POST,
            "/api/v1/profile/email/verify",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(first.status, StatusCode::ACCEPTED);
    assert_eq!(first.json()["resend_after"], 180);
    let second = app
        .call(
            Method::POST,
            "/api/v1/profile/email/verify",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(second.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(second.headers.contains_key("retry-after"));
    let anonymous = app
        .call(Method::POST, "/api/v1/profile/email/verify", None, None)
        .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_channels_start_without_sms_and_are_set_per_topic() {
    let app = app().await;
    let token = app.register().await;
    let settings = app.get("/api/v1/profile/notifications", Some(&token)).await;
    assert_eq!(settings.status, StatusCode::OK);
    let body = settings.json();
    assert_eq!(body["email_verified"], false);
    assert!(
        body["push"]["public_key"]
            .as_str()
            .is_some_and(|k| !k.is_empty())
    );
    let topics: Vec<&str> = body["topics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["topic"].as_str().unwrap())
        .collect();
    assert_eq!(topics, ["readings", "verification", "payments", "debt"]);
    assert_eq!(topic(&body, "debt")["channels"], json!(["email", "push"]));
    assert_eq!(topic(&body, "debt")["title"], "Задолженность");

    let set = app
        .call(
            Method::PUT,
            "/api/v1/profile/notifications",
            Some(&token),
            Some(json!({"topics": [{"topic": "debt", "channels": ["sms"]},
                                   {"topic": "payments", "channels": []}]})),
        )
        .await;
    assert_eq!(set.status, StatusCode::OK, "{:?}", set.json());
    let stored = app
        .get("/api/v1/profile/notifications", Some(&token))
        .await
        .json();
    assert_eq!(topic(&stored, "debt")["channels"], json!(["sms"]));
    assert_eq!(topic(&stored, "payments")["channels"], json!([]));
    assert_eq!(
        topic(&stored, "readings")["channels"],
        json!(["email", "push"])
    );

    let bad = app
        .call(
            Method::PUT,
            "/api/v1/profile/notifications",
            Some(&token),
            Some(json!({"topics": [{"topic": "weather", "channels": ["pigeon"]}]})),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let body = bad.json();
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["topics[0].topic", "topics[0].channels[0]"]);
}

#[tokio::test]
async fn a_browser_subscribes_once_and_strange_hosts_are_refused() {
    let app = app().await;
    let token = app.register().await;
    let subscription = json!({"endpoint": ENDPOINT, "expirationTime": null,
                              "keys": {"p256dh": P256DH, "auth": AUTH}});
    for _ in 0..2 {
        let kept = app
            .post(
                "/api/v1/profile/push-subscriptions",
                Some(&token),
                subscription.clone(),
            )
            .await;
        assert_eq!(kept.status, StatusCode::NO_CONTENT, "{:?}", kept.json());
    }
    let settings = app
        .get("/api/v1/profile/notifications", Some(&token))
        .await
        .json();
    assert_eq!(settings["push"]["subscriptions"], 1);

    let inside = json!({"endpoint": "http://169.254.169.254/latest", "keys": {"p256dh": P256DH, "auth": AUTH}});
    let refused = app
        .post("/api/v1/profile/push-subscriptions", Some(&token), inside)
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.json()["code"], "push_endpoint_not_allowed");

    let broken = json!({"endpoint": ENDPOINT, "keys": {"p256dh": AUTH, "auth": AUTH}});
    let invalid = app
        .post("/api/v1/profile/push-subscriptions", Some(&token), broken)
        .await;
    assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(invalid.json()["errors"][0]["field"], "keys.p256dh");
    let keyless = app
        .post(
            "/api/v1/profile/push-subscriptions",
            Some(&token),
            json!({"endpoint": ENDPOINT}),
        )
        .await;
    assert_eq!(keyless.json()["errors"][0]["field"], "keys");

    let removed = app
        .call(
            Method::DELETE,
            "/api/v1/profile/push-subscriptions",
            Some(&token),
            Some(json!({"endpoint": ENDPOINT})),
        )
        .await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT);
    let settings = app
        .get("/api/v1/profile/notifications", Some(&token))
        .await
        .json();
    assert_eq!(settings["push"]["subscriptions"], 0);
}

#[tokio::test]
async fn the_unsubscribe_link_turns_its_topic_off_without_a_session() {
    let app = app().await;
    let token = app.register().await;
    app.deliver().await;
    let link = link_token(&app, "#/email/verify?token=");
    app.post("/api/v1/email/verify", None, json!({"token": link}))
        .await;
    // A debt notice's mail carries the unsubscribe links; the token is the profile's and
    // the topic's, so one minted for this test's user by the server's own key is the same.
    let key = vodokanal_app::notices::LinkKey::new(&settings().code_key);
    let profile = app.get("/api/v1/profile", Some(&token)).await.json();
    let user = app
        .stores
        .users
        .by_email(&profile["email"].as_str().unwrap().parse().unwrap())
        .await
        .unwrap()
        .unwrap()
        .id;
    let unsubscribe = key.unsubscribe_token(user, vodokanal_domain::NoticeTopic::Debt);
    let path = format!("/api/v1/notices/unsubscribe?token={unsubscribe}");
    let done = app
        .call_raw(
            Method::POST,
            &path,
            None,
            Some("List-Unsubscribe=One-Click"),
            &[("content-type", "application/x-www-form-urlencoded")],
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{:?}", done.json());
    assert_eq!(
        done.json(),
        json!({"topic": "debt", "title": "Задолженность"})
    );
    let stored = app
        .get("/api/v1/profile/notifications", Some(&token))
        .await
        .json();
    assert_eq!(topic(&stored, "debt")["channels"], json!([]));
    assert_eq!(
        topic(&stored, "payments")["channels"],
        json!(["email", "push"])
    );

    let forged = app
        .call(
            Method::POST,
            "/api/v1/notices/unsubscribe?token=AAAA",
            None,
            None,
        )
        .await;
    assert_eq!(forged.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(forged.json()["code"], "link_invalid");
    let missing = app
        .call(Method::POST, "/api/v1/notices/unsubscribe", None, None)
        .await;
    assert_eq!(missing.json()["errors"][0]["field"], "token");
}

#[tokio::test]
async fn a_debt_notice_goes_once_by_mail_and_to_each_browser_and_a_gone_one_is_dropped() {
    let mut settings = settings();
    settings.notices.push_hosts = PushHosts::default();
    settings.notices.debt_threshold = Some("1000".parse().unwrap());
    let app = App::with(settings, vodokanal_http::HttpConfig::default(), |_| {}).await;
    let token = app.with_account().await;
    app.deliver().await;
    let link = link_token(&app, "#/email/verify?token=");
    app.post("/api/v1/email/verify", None, json!({"token": link}))
        .await;
    for endpoint in [ENDPOINT, "https://fcm.googleapis.com/fcm/send/gone"] {
        let kept = app
            .post(
                "/api/v1/profile/push-subscriptions",
                Some(&token),
                json!({"endpoint": endpoint, "keys": {"p256dh": P256DH, "auth": AUTH}}),
            )
            .await;
        assert_eq!(kept.status, StatusCode::NO_CONTENT);
    }
    // The harness's clock is at 12:00 in Moscow: nothing waits for the morning.
    let now = crate::harness::now();
    for _ in 0..2 {
        app.use_cases
            .plan_notices
            .execute(vodokanal_app::notices::Scope::All, now)
            .await
            .unwrap();
        app.deliver().await;
    }
    let debts: Vec<_> = app
        .mail
        .mails()
        .into_iter()
        .filter(|m| m.subject == "Задолженность по лицевому счету")
        .collect();
    assert_eq!(debts.len(), 1, "one mail, however often planned");
    assert!(debts[0].text.contains("1234,50 ₽"), "{}", debts[0].text);
    assert!(
        debts[0]
            .unsubscribe
            .as_deref()
            .is_some_and(|u| u.contains("/api/v1/notices/unsubscribe?token="))
    );
    let pushes = app.push.messages();
    assert_eq!(
        pushes.len(),
        1,
        "the live browser once; the gone one took none"
    );
    assert_eq!(pushes[0].0, ENDPOINT);
    assert_eq!(
        pushes[0].1.url,
        format!("/#/accounts/{}/pay", crate::harness::ACCOUNT)
    );
    let settings = app
        .get("/api/v1/profile/notifications", Some(&token))
        .await
        .json();
    assert_eq!(
        settings["push"]["subscriptions"], 1,
        "the gone subscription is dropped"
    );
}
