//! [`SmtpMailSender`]: mail through an SMTP server, with lettre on tokio and rustls.
//!
//! Each message is `multipart/alternative` (text/plain, then text/html, both UTF-8), its subject
//! encoded per RFC 2047, its `Message-ID` `<{id}@{the From domain}>`, and, for a notice the
//! subscriber can opt out of, `List-Unsubscribe` with `List-Unsubscribe-Post` (RFC 8058).
//!
//! One connection per message, no pool: mail is rare here, and a send cut by its deadline then
//! leaves no connection half-way through a transaction for the next message to reuse. lettre's
//! own timeout covers only the connection, so the whole send runs under a deadline.
//!
//! A permanent refusal (5xx) is `Rejected`, except the refusals of our credentials or of the
//! connection's security (530, 534, 535, 538), which concern every message until the operator
//! acts: those, 4xx, timeouts, TLS and connection failures are `Unavailable`.

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use lettre::message::header::{Header, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use tracing::{info, warn};
use vodokanal_app::Secret;
use vodokanal_app::ports::{Mail, MailError, MailSender};
use vodokanal_domain::Email;

/// How to reach the SMTP server and whom the mail is from.
#[derive(Debug, Clone)]
pub struct SmtpConfig {
    /// `smtp://user:pass@host:port` (no TLS; credentials percent-encoded),
    /// `smtp://…?tls=required` (STARTTLS, port 587 by default), `smtps://…` (implicit TLS,
    /// port 465 by default); a path names the client in `EHLO`. A secret: it holds the password.
    pub url: Secret,
    /// The From mailbox: `Водоканал <noreply@vodokanal.example>` or a bare address.
    pub from: String,
    /// The most one message may take, connection and TLS included.
    pub timeout: Duration,
    /// PEM certificates trusted besides the system's roots (a relay under a private CA).
    pub extra_roots_pem: Option<Vec<u8>>,
}

impl SmtpConfig {
    /// The defaults: 10 s per message, the system's roots.
    pub fn new(url: impl Into<Secret>, from: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            from: from.into(),
            timeout: Duration::from_secs(10),
            extra_roots_pem: None,
        }
    }
}

/// The sender can't be built. No variant repeats the URL: it may hold a password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SmtpSetupError {
    #[error("the SMTP URL is not usable: {0}")]
    Url(String),
    #[error("the From address is not a mailbox (`Name <user@domain>` or `user@domain`): {0}")]
    From(String),
    #[error("the extra TLS roots are not usable: {0}")]
    Roots(String),
}

/// How the connection is secured, as the URL says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Security {
    None,
    Opportunistic,
    StartTls,
    Implicit,
}

/// Sends through an SMTP server: see the module documentation.
pub struct SmtpMailSender {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    /// The right part of every `Message-ID`.
    domain: String,
    timeout: Duration,
    /// `host:port` and the security, for `Debug`: never the credentials.
    server: String,
    security: Security,
}

impl fmt::Debug for SmtpMailSender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpMailSender")
            .field("server", &self.server)
            .field("security", &self.security)
            .field("from", &self.from.to_string())
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl SmtpMailSender {
    /// Parses the URL and the From mailbox; connects to nothing yet.
    pub fn new(config: SmtpConfig) -> Result<Self, SmtpSetupError> {
        let SmtpConfig {
            url: secret_url,
            from,
            timeout,
            extra_roots_pem,
        } = config;
        let url =
            url::Url::parse(secret_url.expose()).map_err(|e| SmtpSetupError::Url(e.to_string()))?;
        let tls = url
            .query_pairs()
            .find(|(key, _)| key == "tls")
            .map(|(_, value)| value.into_owned());
        let security = match (url.scheme(), tls.as_deref()) {
            ("smtp", None) => Security::None,
            ("smtp", Some("opportunistic")) => Security::Opportunistic,
            ("smtp", Some("required")) => Security::StartTls,
            ("smtps", None) => Security::Implicit,
            (scheme, tls) => {
                return Err(SmtpSetupError::Url(format!(
                    "`{scheme}://` with tls={tls:?}: use smtp://, smtp://…?tls=required or smtps://"
                )));
            }
        };
        let host = url
            .host_str()
            .ok_or_else(|| SmtpSetupError::Url("no host".into()))?
            .to_owned();
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(secret_url.expose())
            .map_err(|e| SmtpSetupError::Url(e.to_string()))?
            .timeout(Some(timeout));
        if let Some(pem) = &extra_roots_pem {
            let root =
                Certificate::from_pem(pem).map_err(|e| SmtpSetupError::Roots(e.to_string()))?;
            let parameters = TlsParameters::builder(host.clone())
                .add_root_certificate(root)
                .build_rustls()
                .map_err(|e| SmtpSetupError::Roots(e.to_string()))?;
            builder = match security {
                Security::None => builder,
                Security::Opportunistic => builder.tls(Tls::Opportunistic(parameters)),
                Security::StartTls => builder.tls(Tls::Required(parameters)),
                Security::Implicit => builder.tls(Tls::Wrapper(parameters)),
            };
        }
        let from: Mailbox = from
            .parse()
            .map_err(|e: lettre::address::AddressError| SmtpSetupError::From(e.to_string()))?;
        let domain = from.email.domain().to_owned();
        let transport = builder.build();
        // lettre's defaults: SMTP, submission, submissions.
        let port = url.port().unwrap_or(match security {
            Security::None => 25,
            Security::Opportunistic | Security::StartTls => 587,
            Security::Implicit => 465,
        });
        let server = format!("{host}:{port}");
        if security == Security::None && url.password().is_some() {
            warn!(server = %server, "the SMTP password goes unencrypted: prefer smtps:// or ?tls=required");
        }
        Ok(Self {
            transport,
            from,
            domain,
            timeout,
            server,
            security,
        })
    }

    /// The message as it goes on the wire; refused for good when it can't be built.
    fn message(&self, mail: &Mail) -> Result<Message, MailError> {
        if mail.id.is_empty()
            || !mail
                .id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        {
            return Err(MailError::Rejected(
                "the message id is not letters, digits, `.` and `-`".into(),
            ));
        }
        let to: Address = mail
            .to
            .as_str()
            .parse()
            .map_err(|_| MailError::Rejected("the recipient is not an SMTP address".into()))?;
        let mut builder = Message::builder()
            .from(self.from.clone())
            .to(Mailbox::new(None, to))
            .subject(mail.subject.clone())
            .message_id(Some(format!("<{}@{}>", mail.id, self.domain)));
        if let Some(url) = &mail.unsubscribe {
            if url.is_empty()
                || !url
                    .bytes()
                    .all(|b| b.is_ascii_graphic() && b != b'<' && b != b'>')
            {
                return Err(MailError::Rejected(
                    "the unsubscribe address is not a plain URL".into(),
                ));
            }
            builder = builder
                .header(ListUnsubscribe(url.clone()))
                .header(ListUnsubscribePost);
        }
        builder
            .multipart(MultiPart::alternative_plain_html(
                mail.text.clone(),
                mail.html.clone(),
            ))
            .map_err(|e| MailError::Rejected(format!("the message can't be built: {e}")))
    }
}

#[async_trait]
impl MailSender for SmtpMailSender {
    async fn send(&self, mail: &Mail) -> Result<(), MailError> {
        let masked = mail.to.masked();
        let message = self.message(mail).inspect_err(|e| {
            warn!(to = %masked, id = %mail.id, error = %e, "mail not sent");
        })?;
        let outcome = tokio::time::timeout(self.timeout, self.transport.send(message)).await;
        let error = match outcome {
            Ok(Ok(_)) => {
                info!(to = %masked, id = %mail.id, server = %self.server, "mail sent");
                return Ok(());
            }
            Ok(Err(e)) => classify(&e, &mail.to),
            Err(_) => MailError::Unavailable(format!(
                "the SMTP server did not finish within {:?}",
                self.timeout
            )),
        };
        warn!(to = %masked, id = %mail.id, server = %self.server, error = %error, "mail not sent");
        Err(error)
    }
}

/// The refusals of our credentials or of the connection's security (RFC 4954): permanent for
/// the server, but they concern every message until the operator acts.
const REFUSALS_OF_US: [u16; 4] = [530, 534, 535, 538];

/// lettre's error as the port's, with the recipient masked wherever the server echoed it.
fn classify(error: &lettre::transport::smtp::Error, to: &Email) -> MailError {
    let text = error.to_string().replace(to.as_str(), &to.masked());
    let code = error.status().map(u16::from);
    if error.is_permanent() && !code.is_some_and(|c| REFUSALS_OF_US.contains(&c)) {
        MailError::Rejected(text)
    } else {
        MailError::Unavailable(text)
    }
}

/// `List-Unsubscribe: <URL>`: the one-click address of a notice.
#[derive(Debug, Clone)]
struct ListUnsubscribe(String);

impl Header for ListUnsubscribe {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe")
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self(
            s.trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .to_owned(),
        ))
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), format!("<{}>", self.0))
    }
}

/// `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058).
#[derive(Debug, Clone)]
struct ListUnsubscribePost;

impl Header for ListUnsubscribePost {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe-Post")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self)
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "List-Unsubscribe=One-Click".to_owned())
    }
}

#[cfg(test)]
mod tests;
