//! `SmtpMailSender` against a real SMTP server on loopback (`vodokanal_test_support::smtp`):
//! what arrives, parsed back with mail-parser, and how the server's refusals come back as
//! `MailError`.
#![expect(clippy::unwrap_used, reason = "tests fail loudly")]

use std::sync::Arc;
use std::time::Duration;
use vodokanal_test_support::logs::logged;

use mail_parser::{MessageParser, MimeHeaders};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::crypto::ring;
use tokio_rustls::rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use vodokanal_app::ports::{Mail, MailError, MailSender};
use vodokanal_mail::{SmtpConfig, SmtpMailSender};
use vodokanal_test_support::smtp::{
    self, AuthMechanism, Options, Security, SmtpServer, closed_port, silent_server,
};

const FROM: &str = "Водоканал <noreply@vodokanal.example>";
const TO: &str = "ivan.petrov@example.ru";
const MASKED: &str = "iv***@example.ru";
const SUBJECT: &str = "Подтвердите адрес электронной почты";
const TEXT: &str = "Здравствуйте!\n\nЧтобы подтвердить адрес, откройте ссылку:\nhttps://lk.vodokanal.example/email/confirm?token=abc123\n\nВодоканал";
const HTML: &str = "<p>Здравствуйте!</p><p>Чтобы подтвердить адрес, откройте <a href=\"https://lk.vodokanal.example/email/confirm?token=abc123\">ссылку</a>.</p>";
const UNSUBSCRIBE: &str = "https://lk.vodokanal.example/unsubscribe?token=u-987";
const USER: &str = "cabinet@vodokanal.example";
const PASSWORD: &str = "p@ss:w/rd";
/// `PASSWORD` as it goes in the URL.
const PASSWORD_IN_URL: &str = "p%40ss%3Aw%2Frd";

fn mail(unsubscribe: Option<&str>) -> Mail {
    Mail {
        to: TO.parse().unwrap(),
        subject: SUBJECT.into(),
        text: TEXT.into(),
        html: HTML.into(),
        unsubscribe: unsubscribe.map(str::to_owned),
        id: "email-confirm.0192-abc".into(),
    }
}

fn sender(url: &str) -> SmtpMailSender {
    SmtpMailSender::new(SmtpConfig::new(url, FROM)).unwrap()
}

fn plain_url(server: &SmtpServer) -> String {
    format!("smtp://127.0.0.1:{}", server.port())
}

fn with_credentials(scheme: &str, port: u16, query: &str) -> String {
    let user = USER.replace('@', "%40");
    format!("{scheme}://{user}:{PASSWORD_IN_URL}@127.0.0.1:{port}{query}")
}

fn auth_options(mechanisms: Vec<AuthMechanism>) -> Options {
    Options {
        auth: Some((USER.into(), PASSWORD.into(), mechanisms)),
        ..Options::default()
    }
}

/// The one message the server took, parsed.
fn only_message(server: &SmtpServer) -> smtp::Received {
    let received = server.received();
    assert_eq!(received.len(), 1, "{received:?}");
    received.into_iter().next().unwrap()
}

/// A self-signed certificate for `127.0.0.1` and `localhost`: the acceptor and the
/// certificate's PEM for the client to trust.
fn self_signed() -> (TlsAcceptor, Vec<u8>) {
    let certified =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
            .unwrap();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
        certified.signing_key.serialize_der(),
    ));
    let config = ServerConfig::builder_with_provider(Arc::new(ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![certified.cert.der().clone()], key)
        .unwrap();
    (
        TlsAcceptor::from(Arc::new(config)),
        certified.cert.pem().into_bytes(),
    )
}

#[tokio::test]
async fn a_notice_arrives_whole_with_its_one_click_unsubscribe() {
    let server = SmtpServer::start(Options::default()).await;

    sender(&plain_url(&server))
        .send(&mail(Some(UNSUBSCRIBE)))
        .await
        .unwrap();

    let received = only_message(&server);
    assert_eq!(received.from, "noreply@vodokanal.example");
    assert_eq!(received.to, vec![TO.to_owned()]);
    assert_eq!(received.auth, None);
    let message = MessageParser::default().parse(&received.data).unwrap();

    let from = message.from().unwrap().first().unwrap();
    assert_eq!(from.name(), Some("Водоканал"));
    assert_eq!(from.address(), Some("noreply@vodokanal.example"));
    let to = message.to().unwrap().first().unwrap();
    assert_eq!(to.address(), Some(TO));

    assert_eq!(message.subject(), Some(SUBJECT));
    let raw_subject = message.header_raw("Subject").unwrap();
    assert!(raw_subject.is_ascii(), "{raw_subject}");
    assert!(raw_subject.contains("=?utf-8?"), "{raw_subject}");

    assert_eq!(
        message.message_id(),
        Some("email-confirm.0192-abc@vodokanal.example")
    );
    assert_eq!(
        message.header_raw("List-Unsubscribe").map(str::trim),
        Some(format!("<{UNSUBSCRIBE}>").as_str())
    );
    assert_eq!(
        message.header_raw("List-Unsubscribe-Post").map(str::trim),
        Some("List-Unsubscribe=One-Click")
    );

    let content_type = message.content_type().unwrap();
    assert_eq!(content_type.ctype(), "multipart");
    assert_eq!(content_type.subtype(), Some("alternative"));
    let text_part = message.text_bodies().next().unwrap();
    let text_type = text_part.content_type().unwrap();
    assert_eq!(
        (text_type.ctype(), text_type.subtype()),
        ("text", Some("plain"))
    );
    assert_eq!(
        text_type.attribute("charset").map(str::to_lowercase),
        Some("utf-8".to_owned())
    );
    let html_part = message.html_bodies().next().unwrap();
    let html_type = html_part.content_type().unwrap();
    assert_eq!(
        (html_type.ctype(), html_type.subtype()),
        ("text", Some("html"))
    );
    assert_eq!(message.body_text(0).unwrap().replace("\r\n", "\n"), TEXT);
    assert_eq!(message.body_html(0).unwrap().replace("\r\n", "\n"), HTML);
}

#[tokio::test]
async fn mail_the_subscriber_cannot_opt_out_of_has_no_list_headers() {
    let server = SmtpServer::start(Options::default()).await;

    sender(&plain_url(&server)).send(&mail(None)).await.unwrap();

    let received = only_message(&server);
    let message = MessageParser::default().parse(&received.data).unwrap();
    assert_eq!(message.subject(), Some(SUBJECT));
    assert_eq!(message.header_raw("List-Unsubscribe"), None);
    assert_eq!(message.header_raw("List-Unsubscribe-Post"), None);
}

#[tokio::test]
async fn the_log_names_the_recipient_masked_and_the_message_id_only() {
    let server = SmtpServer::start(Options::default()).await;

    let (outcome, log) = logged(sender(&plain_url(&server)).send(&mail(Some(UNSUBSCRIBE)))).await;

    outcome.unwrap();
    assert!(log.contains("mail sent"), "{log}");
    assert!(log.contains(MASKED), "{log}");
    assert!(log.contains("email-confirm.0192-abc"), "{log}");
    for secret in [TO, "Здравствуйте", "abc123", "u-987", "Подтвердите"] {
        assert!(!log.contains(secret), "{secret} in the log:\n{log}");
    }
}

#[tokio::test]
async fn auth_plain_sends_the_credentials_of_the_url() {
    let server = SmtpServer::start(auth_options(vec![AuthMechanism::Plain])).await;

    sender(&with_credentials("smtp", server.port(), ""))
        .send(&mail(None))
        .await
        .unwrap();

    let received = only_message(&server);
    assert_eq!(received.auth, Some((USER.to_owned(), PASSWORD.to_owned())));
}

#[tokio::test]
async fn auth_login_when_the_server_offers_only_login() {
    let server = SmtpServer::start(auth_options(vec![AuthMechanism::Login])).await;

    sender(&with_credentials("smtp", server.port(), ""))
        .send(&mail(None))
        .await
        .unwrap();

    let received = only_message(&server);
    assert_eq!(received.auth, Some((USER.to_owned(), PASSWORD.to_owned())));
}

#[tokio::test]
async fn a_wrong_password_is_unavailable_not_rejected() {
    let server = SmtpServer::start(auth_options(vec![AuthMechanism::Plain])).await;
    let port = server.port();

    let outcome = sender(&format!("smtp://someone:wrong@127.0.0.1:{port}"))
        .send(&mail(None))
        .await;

    assert!(
        matches!(&outcome, Err(MailError::Unavailable(e)) if e.contains("535")),
        "{outcome:?}"
    );
    assert!(server.received().is_empty());
}

#[tokio::test]
async fn a_recipient_refused_for_good_is_rejected_and_its_address_masked() {
    let server = SmtpServer::start(Options {
        rcpt: Some((550, "5.1.1 <{to}>: Recipient address rejected".into())),
        ..Options::default()
    })
    .await;

    let (outcome, log) = logged(sender(&plain_url(&server)).send(&mail(None))).await;

    let Err(MailError::Rejected(error)) = &outcome else {
        panic!("{outcome:?}");
    };
    assert!(error.contains("550"), "{error}");
    assert!(error.contains(MASKED), "{error}");
    assert!(!error.contains(TO), "{error}");
    assert!(!log.contains(TO), "{log}");
    assert!(log.contains("mail not sent"), "{log}");
    assert!(server.received().is_empty());
}

#[tokio::test]
async fn a_recipient_refused_for_now_is_unavailable() {
    let server = SmtpServer::start(Options {
        rcpt: Some((451, "4.3.0 Try again later".into())),
        ..Options::default()
    })
    .await;

    let outcome = sender(&plain_url(&server)).send(&mail(None)).await;

    assert!(
        matches!(&outcome, Err(MailError::Unavailable(e)) if e.contains("451")),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn a_closed_port_is_unavailable() {
    let port = closed_port().await;

    let outcome = sender(&format!("smtp://127.0.0.1:{port}"))
        .send(&mail(None))
        .await;

    assert!(
        matches!(outcome, Err(MailError::Unavailable(_))),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn a_server_that_never_answers_is_unavailable_at_the_deadline() {
    let port = silent_server().await;
    let config = SmtpConfig {
        timeout: Duration::from_millis(300),
        ..SmtpConfig::new(format!("smtp://127.0.0.1:{port}"), FROM)
    };

    let outcome = SmtpMailSender::new(config).unwrap().send(&mail(None)).await;

    assert!(
        matches!(&outcome, Err(MailError::Unavailable(e)) if e.contains("did not finish")),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn starttls_then_auth_with_a_trusted_certificate() {
    let (acceptor, certificate) = self_signed();
    let server = SmtpServer::start(Options {
        security: Security::StartTls(acceptor),
        ..auth_options(vec![AuthMechanism::Plain, AuthMechanism::Login])
    })
    .await;
    let config = SmtpConfig {
        extra_roots_pem: Some(certificate),
        ..SmtpConfig::new(
            with_credentials("smtp", server.port(), "?tls=required"),
            FROM,
        )
    };

    SmtpMailSender::new(config)
        .unwrap()
        .send(&mail(Some(UNSUBSCRIBE)))
        .await
        .unwrap();

    let received = only_message(&server);
    assert!(received.tls);
    assert_eq!(received.auth, Some((USER.to_owned(), PASSWORD.to_owned())));
    let message = MessageParser::default().parse(&received.data).unwrap();
    assert_eq!(message.subject(), Some(SUBJECT));
}

#[tokio::test]
async fn implicit_tls_with_a_trusted_certificate() {
    let (acceptor, certificate) = self_signed();
    let server = SmtpServer::start(Options {
        security: Security::Implicit(acceptor),
        ..auth_options(vec![AuthMechanism::Plain])
    })
    .await;
    let config = SmtpConfig {
        extra_roots_pem: Some(certificate),
        ..SmtpConfig::new(with_credentials("smtps", server.port(), ""), FROM)
    };

    SmtpMailSender::new(config)
        .unwrap()
        .send(&mail(None))
        .await
        .unwrap();

    let received = only_message(&server);
    assert!(received.tls);
    assert_eq!(received.auth, Some((USER.to_owned(), PASSWORD.to_owned())));
}

#[tokio::test]
async fn an_untrusted_certificate_is_unavailable_and_nothing_is_sent() {
    let (acceptor, _) = self_signed();
    let server = SmtpServer::start(Options {
        security: Security::StartTls(acceptor),
        ..auth_options(vec![AuthMechanism::Plain])
    })
    .await;

    let outcome = sender(&with_credentials("smtp", server.port(), "?tls=required"))
        .send(&mail(None))
        .await;

    assert!(
        matches!(outcome, Err(MailError::Unavailable(_))),
        "{outcome:?}"
    );
    assert!(server.received().is_empty());
}

#[tokio::test]
async fn required_starttls_refuses_a_server_without_it() {
    let server = SmtpServer::start(Options::default()).await;

    let outcome = sender(&format!("smtp://127.0.0.1:{}?tls=required", server.port()))
        .send(&mail(None))
        .await;

    assert!(
        matches!(outcome, Err(MailError::Unavailable(_))),
        "{outcome:?}"
    );
    assert!(server.received().is_empty());
}
