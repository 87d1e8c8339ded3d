//! What the remote providers' adapters share: the HTTP client with its timeout, the retries of
//! a request that is safe to repeat, and the reading of a reply. Nothing here logs a body or a
//! header: bodies carry tokens and receipt contacts, headers carry credentials.

use std::time::Duration;

use reqwest::{Client, RequestBuilder, StatusCode};
use serde::de::DeserializeOwned;
use tracing::warn;
use vodokanal_app::ports::ProviderError;

/// How a provider is called: each attempt may take `timeout` (connecting included); a
/// transport failure, a timeout, a 5xx or a 202 ("still processing") is tried again at most
/// `retries` more times, after `backoff`, then twice that, and so on.
///
/// The defaults (4 s, 2 retries, 250 ms) keep the worst case of one call (about 12.8 s) under
/// the HTTP layer's 15 s request timeout, so a payer waiting on `create` gets the provider's
/// answer, not a timeout of our own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpPolicy {
    pub timeout: Duration,
    pub retries: u32,
    pub backoff: Duration,
}

impl Default for HttpPolicy {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(4),
            retries: 2,
            backoff: Duration::from_millis(250),
        }
    }
}

/// The HTTP client of an adapter can't be built (the TLS backend failed to start).
#[derive(Debug, thiserror::Error)]
#[error("the payment provider's HTTP client can't be built: {0}")]
pub struct BuildError(String);

/// A reply, read whole.
#[derive(Debug)]
pub(crate) struct Reply {
    pub status: StatusCode,
    pub body: Vec<u8>,
}

impl Reply {
    /// The body as `T`. An unreadable body is `Unavailable` (the result is unknown, as after a
    /// timeout); the message gives the position only, never the text, which may hold personal
    /// data.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, ProviderError> {
        serde_json::from_slice(&self.body).map_err(|e| {
            ProviderError::Unavailable(format!(
                "unreadable reply (HTTP {}): {:?} error at line {} column {}",
                self.status.as_u16(),
                e.classify(),
                e.line(),
                e.column()
            ))
        })
    }
}

/// The client and the policy.
#[derive(Debug, Clone)]
pub(crate) struct Api {
    client: Client,
    policy: HttpPolicy,
}

impl Api {
    pub fn new(policy: HttpPolicy) -> Result<Self, BuildError> {
        let client = Client::builder()
            .timeout(policy.timeout)
            .connect_timeout(policy.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("vodokanal/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| BuildError(e.to_string()))?;
        Ok(Self { client, policy })
    }

    /// Sends the request `build` makes, the same each time (the same body and headers, so the
    /// same idempotence key), until a reply that is not worth repeating or the retries are
    /// spent; then a transport failure, a timeout, a 202 or a 5xx is `Unavailable`.
    pub async fn send(
        &self,
        build: impl Fn(&Client) -> RequestBuilder,
    ) -> Result<Reply, ProviderError> {
        let mut attempt = 0_u32;
        loop {
            let cause = match self.attempt(build(&self.client)).await {
                Ok(reply) if !repeatable(reply.status) => return Ok(reply),
                Ok(reply) => format!("HTTP {}", reply.status.as_u16()),
                Err(cause) => cause,
            };
            if attempt >= self.policy.retries {
                return Err(ProviderError::Unavailable(format!(
                    "{cause} (after {} attempts)",
                    attempt + 1
                )));
            }
            let wait = self
                .policy
                .backoff
                .saturating_mul(2_u32.saturating_pow(attempt));
            attempt += 1;
            warn!(attempt, %cause, "the payment provider did not answer; trying again");
            tokio::time::sleep(wait).await;
        }
    }

    async fn attempt(&self, request: RequestBuilder) -> Result<Reply, String> {
        let response = request.send().await.map_err(|e| transport(&e))?;
        let status = response.status();
        let body = response.bytes().await.map_err(|e| transport(&e))?;
        Ok(Reply {
            status,
            body: body.to_vec(),
        })
    }
}

/// Worth sending again: the provider failed or is still working on it.
fn repeatable(status: StatusCode) -> bool {
    status.is_server_error() || status == StatusCode::ACCEPTED
}

fn transport(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        "timed out".to_owned()
    } else if error.is_connect() {
        "can't connect".to_owned()
    } else {
        format!("transport failure: {error}")
    }
}

/// The error of a reply that is neither a success nor repeatable, by its status class: 429 is
/// `Unavailable` (try later; not repeated at once, which would only prolong the limit), any
/// other status `Rejected` (an operator must act: credentials, parameters, the base URL).
pub(crate) fn refused(status: StatusCode, detail: &str) -> ProviderError {
    let message = if detail.is_empty() {
        format!("HTTP {}", status.as_u16())
    } else {
        format!("HTTP {}: {detail}", status.as_u16())
    };
    if status == StatusCode::TOO_MANY_REQUESTS {
        ProviderError::Unavailable(message)
    } else {
        ProviderError::Rejected(message)
    }
}

/// `text` cut to at most `max` characters (the providers count characters, not bytes).
pub(crate) fn at_most(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_by_status_class() {
        assert_eq!(
            refused(StatusCode::TOO_MANY_REQUESTS, ""),
            ProviderError::Unavailable("HTTP 429".into())
        );
        assert_eq!(
            refused(StatusCode::UNAUTHORIZED, "invalid_credentials"),
            ProviderError::Rejected("HTTP 401: invalid_credentials".into())
        );
        assert!(repeatable(StatusCode::BAD_GATEWAY));
        assert!(repeatable(StatusCode::ACCEPTED));
        assert!(!repeatable(StatusCode::OK));
        assert!(!repeatable(StatusCode::TOO_MANY_REQUESTS));
    }

    #[test]
    fn texts_are_cut_by_characters() {
        assert_eq!(at_most("Вода, л/с 123456", 4), "Вода");
        assert_eq!(at_most("abc", 10), "abc");
    }

    #[test]
    fn an_unreadable_reply_never_repeats_its_text() {
        let reply = Reply {
            status: StatusCode::OK,
            body: br#"{"email": "secret@example.ru""#.to_vec(),
        };
        let Err(ProviderError::Unavailable(message)) = reply.json::<serde_json::Value>() else {
            panic!("expected Unavailable");
        };
        assert!(!message.contains("secret"), "{message}");
        assert!(
            message.starts_with("unreadable reply (HTTP 200): Eof error"),
            "{message}"
        );
    }
}
