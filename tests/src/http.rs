//! A small HTTP/1.1 client: one request per connection (`Connection: close`), any headers,
//! and the answer's status, headers and body (de-chunked).

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::pii::Pii;

/// How long one exchange may take before the test fails.
const EXCHANGE_TIMEOUT: Duration = Duration::from_secs(20);

/// A request to send: built with [`Request::new`] (or `Server::request`), then [`send`].
///
/// [`send`]: Request::send
#[derive(Debug, Clone)]
pub struct Request {
    addr: SocketAddr,
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    /// Where the personal data sent and received are recorded (a server's deployment).
    pii: Option<Arc<Pii>>,
}

impl Request {
    /// `method path` (the path from the server's root, with the query) to `addr`.
    pub fn new(addr: SocketAddr, method: &str, path: &str) -> Self {
        Self {
            addr,
            method: method.to_owned(),
            path: path.to_owned(),
            headers: Vec::new(),
            body: Vec::new(),
            pii: None,
        }
    }

    /// Records the personal data this request sends and its answer returns in `pii`, for the
    /// scan of the logs.
    #[must_use]
    pub(crate) fn recorded_in(mut self, pii: Arc<Pii>) -> Self {
        self.pii = Some(pii);
        self
    }

    /// Adds a header (sent as given; `Host`, `Connection` and `Content-Length` are set by
    /// [`Request::send`]).
    #[must_use]
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// `Authorization: Bearer <token>`, when there is a token.
    #[must_use]
    pub fn bearer(self, token: Option<&str>) -> Self {
        match token {
            Some(token) => self.header("Authorization", &format!("Bearer {token}")),
            None => self,
        }
    }

    /// `Idempotency-Key: <key>`.
    #[must_use]
    pub fn idempotency_key(self, key: &str) -> Self {
        self.header("Idempotency-Key", key)
    }

    /// A body of any type.
    #[must_use]
    pub fn body(mut self, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self.header("Content-Type", content_type)
    }

    /// A JSON body; `Value::Null` sends none.
    #[must_use]
    pub fn json(self, body: &Value) -> Self {
        if body.is_null() {
            self
        } else {
            self.body("application/json", body.to_string())
        }
    }

    /// A form body (`application/x-www-form-urlencoded`), such as `result=succeeded`.
    #[must_use]
    pub fn form(self, body: &str) -> Self {
        self.body("application/x-www-form-urlencoded", body)
    }

    /// Sends the request and reads the whole answer; fails the test when there is none.
    pub async fn send(self) -> Response {
        self.try_send().await.unwrap_or_else(|| {
            panic!(
                "no HTTP answer to {} {} from {}",
                self.method, self.path, self.addr
            )
        })
    }

    /// Sends the request; `None` when the server does not answer in time or the answer is not
    /// HTTP.
    pub async fn try_send(&self) -> Option<Response> {
        self.exchange().await.ok()
    }

    /// Sends the request and tells why there is no answer: the connection was refused (nothing
    /// reached the server), or the request went out and no whole answer came back (the
    /// connection broke, the answer took too long, or it is shorter than its `Content-Length`).
    /// The personal data of a request made by a [`crate::Server`] is recorded for the log scan.
    pub async fn exchange(&self) -> Result<Response, NoAnswer> {
        if let Some(pii) = &self.pii {
            pii.request(&self.headers, &self.body);
        }
        let Ok(stream) = TcpStream::connect(self.addr).await else {
            return Err(NoAnswer::Refused);
        };
        let response = self.over(stream).await.ok_or(NoAnswer::Lost)?;
        if let Some(pii) = &self.pii {
            pii.response(&response.body);
        }
        let declared = response
            .header("content-length")
            .and_then(|length| length.parse::<usize>().ok());
        match declared {
            Some(length) if length != response.body.len() => Err(NoAnswer::Lost),
            _ => Ok(response),
        }
    }

    async fn over(&self, mut stream: TcpStream) -> Option<Response> {
        let mut head = format!(
            "{} {} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: {}\r\n",
            self.method,
            self.path,
            self.addr,
            self.body.len()
        );
        for (name, value) in &self.headers {
            let _ = write!(head, "{name}: {value}\r\n");
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes()).await.ok()?;
        stream.write_all(&self.body).await.ok()?;
        let mut raw = Vec::new();
        tokio::time::timeout(EXCHANGE_TIMEOUT, stream.read_to_end(&mut raw))
            .await
            .ok()?
            .ok()?;
        Response::parse(&raw)
    }
}

/// Why an exchange ([`Request::exchange`]) got no answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoAnswer {
    /// The connection was refused: nothing reached the server.
    Refused,
    /// The request may have reached the server, but no whole answer came back.
    Lost,
}

/// An answer: the status, the headers (names lower-cased) and the body.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Response {
    fn parse(raw: &[u8]) -> Option<Self> {
        let end = raw.windows(4).position(|window| window == b"\r\n\r\n")?;
        let head = std::str::from_utf8(&raw[..end]).ok()?;
        let body = &raw[end + 4..];
        let mut lines = head.split("\r\n");
        let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
        let headers: Vec<(String, String)> = lines
            .filter_map(|line| line.split_once(':'))
            .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
            .collect();
        let chunked = headers.iter().any(|(name, value)| {
            name == "transfer-encoding" && value.eq_ignore_ascii_case("chunked")
        });
        let body = if chunked {
            dechunk(body)?
        } else {
            body.to_vec()
        };
        Some(Self {
            status,
            headers,
            body: String::from_utf8(body).ok()?,
        })
    }

    /// The first header of that name (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(header, _)| header.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// The `Content-Type`, or "".
    pub fn content_type(&self) -> &str {
        self.header("content-type").unwrap_or_default()
    }

    /// `Retry-After` in seconds; fails the test when it is missing or not a number.
    pub fn retry_after(&self) -> u64 {
        let value = self
            .header("retry-after")
            .unwrap_or_else(|| panic!("no Retry-After on {} {}", self.status, self.body));
        value
            .parse()
            .unwrap_or_else(|_| panic!("Retry-After is not seconds: {value}"))
    }

    /// The body as JSON; fails the test when it is not JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|error| panic!("not JSON ({error}): {} {}", self.status, self.body))
    }

    /// The problem's `code`, or "" when there is none.
    pub fn code(&self) -> String {
        self.json()["code"].as_str().unwrap_or_default().to_owned()
    }

    /// The `field` of each of a `validation_failed` problem's `errors`.
    pub fn fields(&self) -> Vec<String> {
        self.json()["errors"]
            .as_array()
            .map(|errors| {
                errors
                    .iter()
                    .filter_map(|error| error["field"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Checks that this is the problem `code` with `status`, as `application/problem+json`.
    pub fn assert_problem(&self, status: u16, code: &str) {
        assert_eq!(
            (self.status, self.code().as_str()),
            (status, code),
            "{}",
            self.body
        );
        assert!(
            self.content_type().starts_with("application/problem+json"),
            "{}: {}",
            self.content_type(),
            self.body
        );
    }

    /// Checks the status, showing the body when it is not the expected one; returns `self`.
    #[expect(
        clippy::return_self_not_must_use,
        reason = "an assertion, whose result a journey may ignore"
    )]
    pub fn expect(self, status: u16) -> Self {
        assert_eq!(self.status, status, "{}", self.body);
        self
    }
}

fn dechunk(mut body: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = body.windows(2).position(|window| window == b"\r\n")?;
        let size = std::str::from_utf8(&body[..line_end]).ok()?;
        let size = usize::from_str_radix(size.split(';').next()?.trim(), 16).ok()?;
        if size == 0 {
            return Some(out);
        }
        let rest = &body[line_end + 2..];
        out.extend_from_slice(rest.get(..size)?);
        body = rest.get(size + 2..)?;
    }
}
