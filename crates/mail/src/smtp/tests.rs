//! The setup's errors and the message as built, without a server (see `tests/smtp.rs`).

use super::*;

const FROM: &str = "Водоканал <noreply@vodokanal.example>";

fn setup(url: &str, from: &str) -> Result<SmtpMailSender, SmtpSetupError> {
    SmtpMailSender::new(SmtpConfig::new(url, from))
}

fn mail(id: &str, unsubscribe: Option<&str>) -> Mail {
    Mail {
        to: "ivan@example.ru".parse().unwrap(),
        subject: "Подтвердите адрес электронной почты".into(),
        text: "Текст".into(),
        html: "<p>Текст</p>".into(),
        unsubscribe: unsubscribe.map(str::to_owned),
        id: id.into(),
    }
}

fn wire(message: &Message) -> String {
    String::from_utf8(message.formatted()).unwrap()
}

#[test]
fn each_form_of_the_url_is_accepted() {
    for (url, security) in [
        ("smtp://relay.example", (Security::None, "relay.example:25")),
        (
            "smtp://u:p@relay.example:2525?tls=required",
            (Security::StartTls, "relay.example:2525"),
        ),
        (
            "smtp://relay.example?tls=opportunistic",
            (Security::Opportunistic, "relay.example:587"),
        ),
        (
            "smtps://u:p@relay.example",
            (Security::Implicit, "relay.example:465"),
        ),
    ] {
        let sender = setup(url, FROM).unwrap();
        assert_eq!((sender.security, sender.server.as_str()), security, "{url}");
    }
}

#[test]
fn a_bad_url_is_a_setup_error_that_never_repeats_the_password() {
    for url in [
        "not a url",
        "http://u:hunter2@relay.example",
        "smtp://u:hunter2@relay.example?tls=always",
        "smtps://u:hunter2@relay.example?tls=required",
        "smtp://u:hunter2@:25",
    ] {
        let error = setup(url, FROM).unwrap_err();
        assert!(matches!(error, SmtpSetupError::Url(_)), "{url}: {error:?}");
        assert!(!error.to_string().contains("hunter2"), "{error}");
    }
}

#[test]
fn a_bad_from_is_a_setup_error() {
    for from in ["", "noreply", "Водоканал <noreply>", "a@b@c"] {
        let error = setup("smtp://relay.example", from).unwrap_err();
        assert!(
            matches!(error, SmtpSetupError::From(_)),
            "{from}: {error:?}"
        );
    }
}

#[test]
fn a_bad_extra_root_is_a_setup_error() {
    let config = SmtpConfig {
        extra_roots_pem: Some(b"-----BEGIN CERTIFICATE-----\nnope\n".to_vec()),
        ..SmtpConfig::new("smtps://relay.example", FROM)
    };
    let error = SmtpMailSender::new(config).unwrap_err();
    assert!(matches!(error, SmtpSetupError::Roots(_)), "{error:?}");
}

#[test]
fn debug_shows_the_server_never_the_credentials() {
    let sender = setup(
        "smtp://mailer:hunter2@relay.example:2525?tls=required",
        FROM,
    )
    .unwrap();
    let debug = format!("{sender:?}");
    assert!(debug.contains("relay.example:2525"), "{debug}");
    assert!(debug.contains("StartTls"), "{debug}");
    assert!(!debug.contains("hunter2"), "{debug}");
    assert!(!debug.contains("mailer"), "{debug}");
}

#[test]
fn the_message_id_is_the_mails_id_at_the_from_domain() {
    let sender = setup("smtp://relay.example", FROM).unwrap();
    let message = sender.message(&mail("verify.42-a", None)).unwrap();
    let wire = wire(&message);
    assert!(
        wire.contains("Message-ID: <verify.42-a@vodokanal.example>\r\n"),
        "{wire}"
    );
    assert!(!wire.contains("List-Unsubscribe"), "{wire}");
}

#[test]
fn a_notice_carries_both_list_headers() {
    let sender = setup("smtp://relay.example", FROM).unwrap();
    let message = sender
        .message(&mail("n-1", Some("https://lk.example/u?t=a-b_c%20d")))
        .unwrap();
    let wire = wire(&message);
    assert!(
        wire.contains("List-Unsubscribe: <https://lk.example/u?t=a-b_c%20d>\r\n"),
        "{wire}"
    );
    assert!(
        wire.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"),
        "{wire}"
    );
}

#[test]
fn an_id_or_unsubscribe_address_that_would_break_a_header_is_rejected() {
    let sender = setup("smtp://relay.example", FROM).unwrap();
    for id in ["", "a b", "a@b", "a>b", "ид", "a\r\nBcc: x@y.ru"] {
        let outcome = sender.message(&mail(id, None));
        assert!(
            matches!(outcome, Err(MailError::Rejected(_))),
            "{id:?}: {outcome:?}"
        );
    }
    for url in [
        "",
        "https://lk.example/u x",
        "https://lk.example/u>",
        "https://lk.example/u\r\nBcc: x@y.ru",
        "https://лк.example/u",
    ] {
        let outcome = sender.message(&mail("n-1", Some(url)));
        assert!(
            matches!(outcome, Err(MailError::Rejected(_))),
            "{url:?}: {outcome:?}"
        );
    }
}
