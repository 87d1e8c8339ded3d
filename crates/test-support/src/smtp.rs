//! An SMTP server on loopback that keeps what arrives: mailin's protocol engine (the parser and
//! state machine of the `mailin-embedded` server) driven over tokio sockets, with AUTH
//! PLAIN/LOGIN, STARTTLS or implicit TLS (the caller brings the certificate), and scripted
//! refusals. The mail crate's tests and the black-box journeys (`tests/`) both use it.
#![expect(
    clippy::unwrap_used,
    clippy::missing_panics_doc,
    reason = "test support: a server that can't be set up fails the test"
)]

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

pub use mailin::AuthMechanism;
use mailin::{Action, Handler, Response, Session, SessionBuilder};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
pub use tokio_rustls::TlsAcceptor;

/// One message as the server took it.
#[derive(Debug, Clone)]
pub struct Received {
    /// The envelope: `MAIL FROM` and every accepted `RCPT TO`.
    pub from: String,
    pub to: Vec<String>,
    /// The message as it arrived (dot-unstuffed by mailin).
    pub data: Vec<u8>,
    /// The user and password the session authenticated with, if it did.
    pub auth: Option<(String, String)>,
    /// Whether the session ran over TLS.
    pub tls: bool,
}

/// How the connection is secured.
#[derive(Clone)]
pub enum Security {
    Plain,
    StartTls(TlsAcceptor),
    Implicit(TlsAcceptor),
}

impl std::fmt::Debug for Security {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Plain => "Plain",
            Self::StartTls(_) => "StartTls",
            Self::Implicit(_) => "Implicit",
        })
    }
}

/// What the server accepts.
#[derive(Debug, Clone)]
pub struct Options {
    pub security: Security,
    /// Required credentials and the mechanisms offered for them; `None`: no AUTH.
    pub auth: Option<(String, String, Vec<AuthMechanism>)>,
    /// The answer to every `RCPT TO`, when not 250.
    pub rcpt: Option<(u16, String)>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            security: Security::Plain,
            auth: None,
            rcpt: None,
        }
    }
}

/// A running server; it stops with the test's runtime.
#[derive(Debug)]
pub struct SmtpServer {
    pub addr: SocketAddr,
    received: Arc<Mutex<Vec<Received>>>,
}

impl SmtpServer {
    pub async fn start(options: Options) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let received = Arc::new(Mutex::new(Vec::new()));
        let mut builder = SessionBuilder::new("mx.test");
        if matches!(options.security, Security::StartTls(_)) {
            builder.enable_start_tls();
        }
        if let Some((_, _, mechanisms)) = &options.auth {
            for mechanism in mechanisms {
                builder.enable_auth(mechanism.clone());
            }
            // Plain: loopback only, and mailin offers AUTH before TLS only when told to.
            // Implicit: mailin knows TLS only through STARTTLS; here it is on from the start.
            if !matches!(options.security, Security::StartTls(_)) {
                builder.insecure_enable_plaintext_auth();
            }
        }
        let store = received.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, peer)) = listener.accept().await else {
                    return;
                };
                let tls = Arc::new(AtomicBool::new(matches!(
                    options.security,
                    Security::Implicit(_)
                )));
                let handler = Recorder {
                    options: options.clone(),
                    received: store.clone(),
                    current: None,
                    auth: None,
                    tls: tls.clone(),
                };
                let builder = builder.clone();
                let security = options.security.clone();
                tokio::spawn(async move {
                    let _ = serve(stream, peer.ip(), &builder, handler, security, &tls).await;
                });
            }
        });
        Self { addr, received }
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Every message taken so far.
    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}

/// A port where nothing listens: bound, then released.
pub async fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap().port()
}

/// A server that accepts connections and never says a word.
pub async fn silent_server() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    port
}

async fn serve(
    stream: TcpStream,
    peer: IpAddr,
    builder: &SessionBuilder,
    handler: Recorder,
    security: Security,
    tls: &AtomicBool,
) -> io::Result<()> {
    let mut session = builder.build(peer, handler);
    match security {
        Security::Implicit(acceptor) => {
            let stream = acceptor.accept(stream).await?;
            converse(&mut session, &mut BufReader::new(stream), true).await?;
        }
        Security::Plain | Security::StartTls(_) => {
            let mut reader = BufReader::new(stream);
            if converse(&mut session, &mut reader, true).await? == Next::UpgradeTls {
                let Security::StartTls(acceptor) = security else {
                    return Ok(());
                };
                let stream = acceptor.accept(reader.into_inner()).await?;
                session.tls_active();
                tls.store(true, Ordering::SeqCst);
                converse(&mut session, &mut BufReader::new(stream), false).await?;
            }
        }
    }
    Ok(())
}

#[derive(Debug, PartialEq, Eq)]
enum Next {
    Done,
    UpgradeTls,
}

/// Reads lines into the session and writes its answers until it closes or asks for TLS.
async fn converse<S>(
    session: &mut Session<Recorder>,
    stream: &mut BufReader<S>,
    greet: bool,
) -> io::Result<Next>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    if greet {
        answer(stream, &session.greeting()).await?;
    }
    let mut line = Vec::with_capacity(256);
    loop {
        line.clear();
        if stream.read_until(b'\n', &mut line).await? == 0 {
            return Ok(Next::Done);
        }
        let response = session.process(&line);
        match response.action {
            Action::NoReply => {}
            Action::Reply => answer(stream, &response).await?,
            Action::Close => {
                answer(stream, &response).await?;
                return Ok(Next::Done);
            }
            Action::UpgradeTls => {
                answer(stream, &response).await?;
                return Ok(Next::UpgradeTls);
            }
        }
    }
}

async fn answer<S>(stream: &mut BufReader<S>, response: &Response) -> io::Result<()>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut bytes = Vec::new();
    response.write_to(&mut bytes)?;
    stream.get_mut().write_all(&bytes).await?;
    stream.get_mut().flush().await
}

/// The handler of one connection: checks the credentials, refuses as scripted, and records
/// each message.
struct Recorder {
    options: Options,
    received: Arc<Mutex<Vec<Received>>>,
    current: Option<Received>,
    auth: Option<(String, String)>,
    tls: Arc<AtomicBool>,
}

impl Recorder {
    fn check(&mut self, user: &str, password: &str) -> Response {
        match &self.options.auth {
            Some((u, p, _)) if u == user && p == password => {
                self.auth = Some((user.to_owned(), password.to_owned()));
                mailin::response::AUTH_OK
            }
            _ => mailin::response::INVALID_CREDENTIALS,
        }
    }
}

impl Handler for Recorder {
    fn rcpt(&mut self, to: &str) -> Response {
        match &self.options.rcpt {
            Some((code, text)) => Response::custom(*code, text.replace("{to}", to)),
            None => mailin::response::OK,
        }
    }

    fn data_start(&mut self, _domain: &str, from: &str, _is8bit: bool, to: &[String]) -> Response {
        self.current = Some(Received {
            from: from.to_owned(),
            to: to.to_vec(),
            data: Vec::new(),
            auth: self.auth.clone(),
            tls: self.tls.load(Ordering::SeqCst),
        });
        mailin::response::OK
    }

    fn data(&mut self, buf: &[u8]) -> io::Result<()> {
        if let Some(current) = &mut self.current {
            current.data.extend_from_slice(buf);
        }
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        if let Some(current) = self.current.take() {
            self.received.lock().unwrap().push(current);
        }
        mailin::response::OK
    }

    fn auth_plain(&mut self, _authorization: &str, user: &str, password: &str) -> Response {
        self.check(user, password)
    }

    fn auth_login(&mut self, user: &str, password: &str) -> Response {
        self.check(user, password)
    }
}
