//! [`AppState`]: the use cases the handlers call (built by the server's composition root), and
//! the HTTP layer's own configuration ([`HttpConfig`]).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use ipnet::IpNet;

use crate::extract::ReturnOrigins;
use vodokanal_app::ports::StoreHealth;
use vodokanal_app::{Settings, UseCases};

/// The HTTP layer's own settings (the server reads them from its configuration).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpConfig {
    /// Proxies whose `X-Forwarded-For` is believed (`VODOKANAL_TRUSTED_PROXIES`); none by default.
    pub trusted_proxies: Vec<IpNet>,
    /// Origins allowed by CORS, e.g. `https://lk.vodokanal.example`; none by default (no CORS).
    pub cors_origins: Vec<String>,
    /// A request that takes longer gets 503 `service_unavailable`.
    pub request_timeout: Duration,
    /// The largest request body, 64 KiB.
    pub body_limit: usize,
    /// Origins besides the public URL's that a payment's `return_url` may lead to
    /// (`VODOKANAL_RETURN_ORIGINS`); none by default.
    pub return_origins: Vec<String>,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            trusted_proxies: Vec::new(),
            cors_origins: Vec::new(),
            request_timeout: Duration::from_secs(15),
            body_limit: 64 * 1024,
            return_origins: Vec::new(),
        }
    }
}

/// What every handler gets: the use cases, the store's health check (`/health/ready`) and the
/// HTTP configuration. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub(crate) use_cases: Arc<UseCases>,
    pub(crate) health: Arc<dyn StoreHealth>,
    pub(crate) config: Arc<HttpConfig>,
    pub(crate) return_origins: Arc<ReturnOrigins>,
}

impl fmt::Debug for AppState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppState")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// The handlers' state: `use_cases` as built, the store's `health`, and the return URLs
    /// allowed besides the public URL of `settings`.
    pub fn new(
        use_cases: Arc<UseCases>,
        health: Arc<dyn StoreHealth>,
        settings: &Settings,
        config: HttpConfig,
    ) -> Self {
        Self {
            use_cases,
            health,
            return_origins: Arc::new(ReturnOrigins::new(
                &settings.public_url,
                &config.return_origins,
            )),
            config: Arc::new(config),
        }
    }
}
