//! The notices (issue 17, docs/notices.md) over the binary, by real channels on loopback: mail
//! to an SMTP server that keeps what arrives, web push to a stand-in push service that decrypts
//! it, SMS to the outbox file. The server's time is the tests' clock (`VODOKANAL_TEST_CLOCK`),
//! moved forward by rewriting its file; `vodokanal notices plan` plans at once what the server
//! would plan within minutes, run from two processes at the same moment. On PostgreSQL a second
//! server on the same database sends too. Each notice must arrive once by each channel.

use std::collections::BTreeSet;
use std::fmt::Debug;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use mail_parser::MessageParser;
use serde_json::json;
use vodokanal_e2e::demo::{ACCOUNT, EMAIL, LAST4, PASSWORD, PHONE, PHONE_E164};
use vodokanal_e2e::pii::Kind;
use vodokanal_e2e::{Backend, Deployment, Server};
use vodokanal_test_support::push_endpoint::{self, PushEndpoint};
use vodokanal_test_support::smtp::{Options, SmtpServer};

/// The secret every process of a deployment shares: a link minted by one opens in another.
const SECRET: &str = "0b7e2c9d4f6a8135e7c0d2b4f6a8c1e3d5f7a9b2c4e6f8a0d3c5e7f9b1a2c4d6";

/// How long something the server sends may take to arrive before the test fails: the sender
/// looks every second, the server plans payments every 10 s. Generous: CI machines are slow.
const ARRIVAL_TIMEOUT: Duration = Duration::from_secs(60);

/// How long the test watches for a copy after what it waited for arrived: a few rounds of
/// every sender.
const SETTLE: Duration = Duration::from_secs(3);

const VERIFY_EMAIL: &str = "Подтвердите адрес электронной почты";
const READINGS: &str = "Пора передать показания";
const VERIFICATION: &str = "Скоро поверка счетчика";
const DEBT: &str = "Задолженность по лицевому счету";
const PAID: &str = "Оплата прошла";

/// What has arrived once each step is done: per title, how many mails, pushes and SMS. By
/// morning (the verification and the debt), as the window opens (the readings), after the
/// payment.
const ARRIVED: [(&str, usize, usize, usize); 5] = [
    (VERIFY_EMAIL, 1, 0, 0),
    (VERIFICATION, 2, 2, 0),
    (DEBT, 1, 1, 0),
    (READINGS, 3, 3, 3),
    (PAID, 1, 1, 0),
];

/// Account 100003: both meters' verification is due 2027-02-10.
const DUE_ACCOUNT: &str = "100003";
const DUE_METERS: [&str; 2] = ["ВСХ-0044567", "ВГВ-0055678"];
/// Account 100004: a debt of 5870.00, above the threshold.
const DEBTOR: &str = "100004";

/// A mail as the SMTP server received it, parsed.
#[derive(Debug, Clone)]
struct Letter {
    /// The envelope.
    from: String,
    to: Vec<String>,
    subject: String,
    text: String,
    message_id: String,
    list_unsubscribe: Option<String>,
    list_unsubscribe_post: Option<String>,
}

impl Letter {
    /// The query of the link in the text that goes to `route` (`#/email/verify`, ...),
    /// decoded.
    fn link_query(&self, route: &str) -> Vec<(String, String)> {
        query_after(&self.text, &format!("{route}?"))
            .unwrap_or_else(|| panic!("no link to {route} in {}", self.text))
    }
}

/// The decoded query that follows `prefix` in `text`, up to the next blank.
fn query_after(text: &str, prefix: &str) -> Option<Vec<(String, String)>> {
    let (_, rest) = text.split_once(prefix)?;
    let query = rest.split_whitespace().next().unwrap_or_default();
    Some(
        form_urlencoded::parse(query.as_bytes())
            .map(|(name, value)| (name.into_owned(), value.into_owned()))
            .collect(),
    )
}

/// The value of `name` in a decoded query.
fn param<'a>(query: &'a [(String, String)], name: &str) -> &'a str {
    query
        .iter()
        .find(|(n, _)| n == name)
        .map_or_else(|| panic!("no {name} in {query:?}"), |(_, v)| v.as_str())
}

/// The account a notice's text names: `Лицевой счет 100001: ...`, `..., лицевой счет 100001.`
fn account_in(body: &str) -> String {
    let (_, rest) = body
        .split_once("ицевой счет ")
        .unwrap_or_else(|| panic!("no account in {body}"));
    rest.chars().take_while(char::is_ascii_digit).collect()
}

/// One deployment with its servers (two on PostgreSQL), the mailbox and the browser's push
/// service, and the tests' clock.
struct World {
    deployment: Deployment,
    servers: Vec<Server>,
    smtp: SmtpServer,
    push: PushEndpoint,
    clock: PathBuf,
    settings: Vec<(&'static str, String)>,
    vapid_public: String,
}

impl World {
    async fn start(backend: Backend, now: &str) -> Self {
        let smtp = SmtpServer::start(Options::default()).await;
        let push = PushEndpoint::start().await;
        let (vapid_private, vapid_public) = vodokanal_push::generate_vapid_keys();
        let deployment = Deployment::new(backend).await;
        deployment.remember(Kind::PushEndpoint, push.token());
        let clock = deployment.dir().join("clock");
        set_clock(&clock, now);
        let settings = vec![
            ("VODOKANAL_SECRET", SECRET.to_owned()),
            ("VODOKANAL_READING_WINDOW", "15-25".to_owned()),
            ("VODOKANAL_DEBT_THRESHOLD", "5000".to_owned()),
            (
                "VODOKANAL_SMTP_URL",
                format!("smtp://127.0.0.1:{}", smtp.port()),
            ),
            (
                "VODOKANAL_MAIL_FROM",
                "Водоканал <noreply@vodokanal.test>".to_owned(),
            ),
            (
                "VODOKANAL_VAPID_PRIVATE_KEY",
                vapid_private.expose().to_owned(),
            ),
            (
                "VODOKANAL_VAPID_SUBJECT",
                "mailto:it@vodokanal.test".to_owned(),
            ),
            ("VODOKANAL_PUSH_HOSTS", "127.0.0.1".to_owned()),
            ("VODOKANAL_TEST_CLOCK", clock.display().to_string()),
        ];
        let mut world = Self {
            deployment,
            servers: Vec::new(),
            smtp,
            push,
            clock,
            settings,
            vapid_public,
        };
        let processes = if backend == Backend::Postgres { 2 } else { 1 };
        for _ in 0..processes {
            let server = world.deployment.start_with(&world.settings()).await;
            world.servers.push(server);
        }
        world
    }

    fn settings(&self) -> Vec<(&str, &str)> {
        self.settings
            .iter()
            .map(|(name, value)| (*name, value.as_str()))
            .collect()
    }

    /// The server the subscriber talks to.
    fn server(&self) -> &Server {
        &self.servers[0]
    }

    /// Moves the servers' time to `now` (RFC 3339); it runs on from there.
    fn set_clock(&self, now: &str) {
        set_clock(&self.clock, now);
    }

    /// `vodokanal notices plan` from two processes at once, with the servers' settings.
    async fn plan(&self) {
        let settings = self.settings();
        let args = ["notices", "plan"];
        tokio::join!(
            self.deployment.run_args(&args, &settings),
            self.deployment.run_args(&args, &settings),
        );
    }

    /// Every mail received so far, oldest first.
    fn letters(&self) -> Vec<Letter> {
        self.smtp
            .received()
            .iter()
            .map(|received| {
                let message = MessageParser::default()
                    .parse(&received.data)
                    .unwrap_or_else(|| panic!("not a mail: {received:?}"));
                let header = |name: &str| message.header_raw(name).map(|v| v.trim().to_owned());
                Letter {
                    from: received.from.clone(),
                    to: received.to.clone(),
                    subject: message.subject().unwrap_or_default().to_owned(),
                    text: message
                        .body_text(0)
                        .unwrap_or_default()
                        .replace("\r\n", "\n"),
                    message_id: message.message_id().unwrap_or_default().to_owned(),
                    list_unsubscribe: header("List-Unsubscribe"),
                    list_unsubscribe_post: header("List-Unsubscribe-Post"),
                }
            })
            .collect()
    }

    fn letters_titled(&self, subject: &str) -> Vec<Letter> {
        self.letters()
            .into_iter()
            .filter(|letter| letter.subject == subject)
            .collect()
    }

    /// The decrypted pushes titled `title`.
    fn pushes_titled(&self, title: &str) -> Vec<push_endpoint::Received> {
        self.push
            .received()
            .into_iter()
            .filter(|push| push.payload["title"] == title)
            .collect()
    }

    /// The SMS to the subscriber that start with `title`.
    fn sms_titled(&self, title: &str) -> Vec<String> {
        self.server()
            .sms_to(PHONE_E164)
            .into_iter()
            .filter(|text| text.starts_with(title))
            .collect()
    }

    /// Waits until `found` finds `count` of what it looks for (`what`); fails the test after
    /// [`ARRIVAL_TIMEOUT`], saying what arrived.
    async fn arrive<T: Debug>(
        &self,
        what: &str,
        count: usize,
        found: impl Fn(&Self) -> Vec<T>,
    ) -> Vec<T> {
        let deadline = Instant::now() + ARRIVAL_TIMEOUT;
        loop {
            let items = found(self);
            if items.len() >= count {
                return items;
            }
            assert!(
                Instant::now() < deadline,
                "{count} {what}: not within {ARRIVAL_TIMEOUT:?}; found {items:?}; every mail: \
                 {:?}; every push: {:?}; the push stand-in refused: {:?}; the log: {}",
                self.letters(),
                self.push.received(),
                self.push.refused(),
                std::fs::read_to_string(self.deployment.log()).unwrap_or_default()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn letters_arrive(&self, subject: &str, count: usize) -> Vec<Letter> {
        let what = format!("mail «{subject}»");
        self.arrive(&what, count, |world| world.letters_titled(subject))
            .await
    }

    async fn pushes_arrive(&self, title: &str, count: usize) -> Vec<push_endpoint::Received> {
        let what = format!("push «{title}»");
        self.arrive(&what, count, |world| world.pushes_titled(title))
            .await
    }

    async fn sms_arrive(&self, title: &str, count: usize) -> Vec<String> {
        let what = format!("SMS «{title}»");
        self.arrive(&what, count, |world| world.sms_titled(title))
            .await
    }

    /// After a few more rounds of every sender: each notice arrived once by each channel, as
    /// `expected` counts them per title (mail, push, SMS), and nothing else arrived.
    async fn assert_once(&self, expected: &[(&str, usize, usize, usize)]) {
        tokio::time::sleep(SETTLE).await;
        for &(title, mails, pushes, sms) in expected {
            assert_eq!(
                self.letters_titled(title).len(),
                mails,
                "mail «{title}»: {:?}",
                self.letters()
            );
            assert_eq!(
                self.pushes_titled(title).len(),
                pushes,
                "push «{title}»: {:?}",
                self.push.received()
            );
            assert_eq!(self.sms_titled(title).len(), sms, "SMS «{title}»");
        }
        let letters = self.letters();
        let total: usize = expected.iter().map(|(_, mails, _, _)| mails).sum();
        assert_eq!(letters.len(), total, "{letters:?}");
        for letter in &letters {
            assert_eq!(letter.from, "noreply@vodokanal.test", "{letter:?}");
            assert_eq!(letter.to, [EMAIL], "{letter:?}");
        }
        let ids: BTreeSet<&str> = letters.iter().map(|l| l.message_id.as_str()).collect();
        assert_eq!(ids.len(), letters.len(), "a Message-ID twice: {letters:?}");
        let total: usize = expected.iter().map(|(_, _, pushes, _)| pushes).sum();
        assert_eq!(
            self.push.received().len(),
            total,
            "{:?}",
            self.push.received()
        );
        let topics: BTreeSet<Option<String>> =
            self.push.received().into_iter().map(|p| p.topic).collect();
        assert_eq!(topics.len(), total, "a Topic twice");
        assert!(self.push.refused().is_empty(), "{:?}", self.push.refused());
    }
}

/// Writes the tests' clock whole (a new file renamed over the old one): a server never reads
/// half of it. Its modification time is the instant `now` holds.
fn set_clock(path: &Path, now: &str) {
    let next = path.with_extension("next");
    std::fs::write(&next, now).unwrap();
    std::fs::rename(&next, path).unwrap();
}

/// Every push is the stand-in's decrypted JSON with a `Topic` and a day's `TTL`, signed with
/// the server's VAPID key.
fn assert_pushes_well_formed(world: &World, pushes: &[push_endpoint::Received]) {
    for push in pushes {
        assert_eq!(push.k, world.vapid_public);
        assert_eq!(push.sub, "mailto:it@vodokanal.test");
        assert_eq!(push.ttl, "86400");
        assert_eq!(push.content_encoding, "aes128gcm");
        assert!(push.topic.is_some(), "{push:?}");
        assert!(push.payload["body"].is_string(), "{push:?}");
    }
}

/// Step 1: registers, verifies the e-mail by the mail's link, links 100001, 100003 and 100004,
/// subscribes the stand-in's push and turns SMS on for the readings. The session's token.
async fn subscriber(world: &World) -> String {
    let server = world.server();
    let token = server.register(PHONE, EMAIL, PASSWORD).await;
    let session = Some(token.as_str());
    assert_eq!(
        server.get("/profile", session).await["email_verified"],
        false
    );

    let letters = world.letters_arrive(VERIFY_EMAIL, 1).await;
    let verification = &letters[0];
    assert_eq!(verification.list_unsubscribe, None, "{verification:?}");
    let query = verification.link_query("/#/email/verify");
    let link = param(&query, "token");
    world.deployment.remember(Kind::LinkToken, link);
    server
        .api("POST", "/email/verify", None, &json!({"token": link}))
        .await
        .expect(204);
    assert_eq!(
        server.get("/profile", session).await["email_verified"],
        true
    );

    for (account, last4) in [(ACCOUNT, LAST4), (DUE_ACCOUNT, "4567"), (DEBTOR, "6789")] {
        server
            .api(
                "POST",
                "/accounts",
                session,
                &json!({"account_number": account, "meter_last4": last4}),
            )
            .await
            .expect(201);
    }
    server
        .api(
            "POST",
            "/profile/push-subscriptions",
            session,
            &world.push.subscription_json(),
        )
        .await
        .expect(204);
    let notifications = server
        .api(
            "PUT",
            "/profile/notifications",
            session,
            &json!({"topics": [{"topic": "readings", "channels": ["email", "push", "sms"]}]}),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(notifications["email_verified"], true);
    assert_eq!(notifications["push"]["public_key"], world.vapid_public);
    assert_eq!(notifications["push"]["subscriptions"], 1);
    assert_eq!(notifications["topics"][0]["topic"], "readings");
    assert_eq!(
        notifications["topics"][0]["channels"],
        json!(["email", "push", "sms"])
    );
    token
}

/// Step 3 of the brief, first here (time only moves forward): at 22:30 in Moscow the
/// verification reminders and the debt go by mail at once, their pushes wait for 9:00.
async fn verification_by_night_then_push_by_morning(world: &World) {
    world.set_clock("2027-01-11T19:30:00Z");
    world.plan().await;

    let letters = world.letters_arrive(VERIFICATION, DUE_METERS.len()).await;
    let mut meters = BTreeSet::new();
    for letter in &letters {
        let query = letter.link_query("/#/visits/new/meter_verification");
        assert_eq!(param(&query, "account"), DUE_ACCOUNT, "{letter:?}");
        let meter = param(&query, "meter");
        assert!(
            letter.text.contains(&format!("Счетчик {meter} (")),
            "{letter:?}"
        );
        assert!(letter.text.contains("10.02.2027"), "{letter:?}");
        assert!(letter.list_unsubscribe.is_some(), "{letter:?}");
        meters.insert(meter.to_owned());
    }
    assert_eq!(meters, DUE_METERS.map(str::to_owned).into());
    let debt = world.letters_arrive(DEBT, 1).await;
    assert_eq!(account_in(&debt[0].text), DEBTOR, "{:?}", debt[0]);
    assert!(debt[0].text.contains("5870,00 ₽"), "{:?}", debt[0]);

    // Night: the mails went, the pushes wait.
    tokio::time::sleep(SETTLE).await;
    assert_eq!(
        world.push.received().len(),
        0,
        "{:?}",
        world.push.received()
    );

    world.set_clock("2027-01-12T06:00:30Z");
    let pushes = world.pushes_arrive(VERIFICATION, DUE_METERS.len()).await;
    assert_pushes_well_formed(world, &pushes);
    let mut meters = BTreeSet::new();
    for push in &pushes {
        let url = push.payload["url"].as_str().unwrap();
        let query = query_after(url, "/#/visits/new/meter_verification?")
            .unwrap_or_else(|| panic!("{url}"));
        assert_eq!(param(&query, "account"), DUE_ACCOUNT);
        meters.insert(param(&query, "meter").to_owned());
    }
    assert_eq!(meters, DUE_METERS.map(str::to_owned).into());
    let debt = world.pushes_arrive(DEBT, 1).await;
    assert_eq!(debt[0].payload["url"], format!("/#/accounts/{DEBTOR}/pay"));

    world.assert_once(&ARRIVED[..3]).await;
}

/// The window's first day, 10:00 in Moscow: one reminder per account by each channel, and
/// planning again sends nothing again.
async fn the_reading_window_opens(world: &World) {
    world.set_clock("2027-01-15T07:00:00Z");
    world.plan().await;

    let accounts: BTreeSet<String> = [ACCOUNT, DUE_ACCOUNT, DEBTOR].map(str::to_owned).into();
    let letters = world.letters_arrive(READINGS, accounts.len()).await;
    let named: BTreeSet<String> = letters.iter().map(|l| account_in(&l.text)).collect();
    assert_eq!(named, accounts);
    for letter in &letters {
        let unsubscribe = letter.list_unsubscribe.as_deref().unwrap_or_default();
        assert!(
            unsubscribe.starts_with("<http://127.0.0.1:")
                && unsubscribe.contains("/api/v1/notices/unsubscribe?token="),
            "{letter:?}"
        );
        assert_eq!(
            letter.list_unsubscribe_post.as_deref(),
            Some("List-Unsubscribe=One-Click")
        );
        let account = account_in(&letter.text);
        assert!(
            letter
                .text
                .contains(&format!("/#/accounts/{account}/readings")),
            "{letter:?}"
        );
    }
    let pushes = world.pushes_arrive(READINGS, accounts.len()).await;
    assert_pushes_well_formed(world, &pushes);
    let named: BTreeSet<String> = pushes
        .iter()
        .map(|p| account_in(p.payload["body"].as_str().unwrap()))
        .collect();
    assert_eq!(named, accounts);
    let texts = world.sms_arrive(READINGS, accounts.len()).await;
    let named: BTreeSet<String> = texts.iter().map(|t| account_in(t)).collect();
    assert_eq!(named, accounts);

    world.plan().await;
    world.assert_once(&ARRIVED[..4]).await;
}

/// The debt mail's `List-Unsubscribe`, posted as a mail client does (RFC 8058): the debt's
/// channels are off.
async fn one_click_unsubscribe(world: &World, session: &str) {
    let debt = world.letters_titled(DEBT);
    let header = debt[0].list_unsubscribe.as_deref().unwrap();
    let url = header.trim_start_matches('<').trim_end_matches('>');
    let (_, token) = url.split_once("?token=").unwrap();
    world.deployment.remember(Kind::LinkToken, token);
    let path = &url[url.find("/api/v1/").unwrap()..];
    let answer = world
        .server()
        .request("POST", path)
        .form("List-Unsubscribe=One-Click")
        .send()
        .await
        .expect(200)
        .json();
    assert_eq!(answer["topic"], "debt", "{answer}");
    let notifications = world
        .server()
        .get("/profile/notifications", Some(session))
        .await;
    let topics = notifications["topics"].as_array().unwrap();
    let debt = topics.iter().find(|t| t["topic"] == "debt").unwrap();
    assert_eq!(debt["channels"], json!([]), "{notifications}");
    let readings = topics.iter().find(|t| t["topic"] == "readings").unwrap();
    assert_eq!(readings["channels"], json!(["email", "push", "sms"]));
}

/// A payment from the cabinet, settled on the sandbox page: «Оплата прошла» once, by mail and
/// push (the payments' defaults), planned by the server itself.
async fn a_payment_is_announced(world: &World, session: &str) {
    let server = world.server();
    let payment = server
        .api(
            "POST",
            &format!("/accounts/{ACCOUNT}/payments"),
            Some(session),
            &json!({"purpose": "water", "amount": "234.50"}),
        )
        .await
        .expect(201)
        .json();
    let page = format!("/sandbox/pay/{}", payment["id"].as_str().unwrap());
    server
        .request("POST", &page)
        .form("result=succeeded")
        .send()
        .await
        .expect(200);

    let letters = world.letters_arrive(PAID, 1).await;
    assert!(letters[0].text.contains("234,50 ₽"), "{:?}", letters[0]);
    assert_eq!(account_in(&letters[0].text), ACCOUNT);
    let pushes = world.pushes_arrive(PAID, 1).await;
    assert_eq!(pushes[0].payload["url"], "/#/payments");
    world.assert_once(&ARRIVED).await;
}

async fn notices_arrive_once_by_each_channel(backend: Backend) {
    // Outside the reading window, no verification due within 30 days.
    let world = World::start(backend, "2027-01-05T09:00:00Z").await;
    let session = subscriber(&world).await;
    verification_by_night_then_push_by_morning(&world).await;
    the_reading_window_opens(&world).await;
    one_click_unsubscribe(&world, &session).await;
    a_payment_is_announced(&world, &session).await;
    world.deployment.check_logs();
}

vodokanal_e2e::journeys!(notices_arrive_once_by_each_channel);
