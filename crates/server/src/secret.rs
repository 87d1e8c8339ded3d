//! Values that must never reach a log: [`Secret`] and the [`DatabaseUrl`] that may carry a
//! password.

use std::fmt;

pub use vodokanal_app::Secret;

/// Where the data lives, chosen by the URL's scheme.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// `sqlite://FILE` or `sqlite::memory:`: the embedded default, the file created if missing.
    Sqlite(String),
    /// `postgres://…` or `postgresql://…`; may hold a password.
    Postgres(Secret),
}

impl DatabaseUrl {
    /// The URL as the driver needs it.
    pub fn expose(&self) -> &str {
        match self {
            Self::Sqlite(url) => url,
            Self::Postgres(url) => url.expose(),
        }
    }

    /// The URL fit for a log or an error message: the password, if any, replaced by `***`.
    pub fn redacted(&self) -> String {
        match self {
            Self::Sqlite(url) => url.clone(),
            Self::Postgres(url) => redact_password(url.expose()),
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({})", self.redacted())
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// `scheme://user:password@host/…` becomes `scheme://user:***@host/…`; a URL without a
/// password is kept. Query parameters (`?password=…`) are dropped altogether.
fn redact_password(url: &str) -> String {
    let url = url.split_once('?').map_or(url, |(base, _)| base);
    let Some((scheme, rest)) = url.split_once("://") else {
        return "<redacted>".to_owned();
    };
    let (authority, path) = rest.split_once('/').map_or((rest, ""), |(a, p)| (a, p));
    let authority = match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _password)) => format!("{user}:***@{host}"),
            None => format!("{userinfo}@{host}"),
        },
        None => authority.to_owned(),
    };
    if path.is_empty() && !rest.contains('/') {
        format!("{scheme}://{authority}")
    } else {
        format!("{scheme}://{authority}/{path}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_password_never_shows() {
        let url = DatabaseUrl::Postgres(Secret::new("postgres://app:s3cret@db:5432/vodokanal"));
        assert_eq!(url.redacted(), "postgres://app:***@db:5432/vodokanal");
        assert!(!format!("{url:?}").contains("s3cret"));
        assert!(!url.to_string().contains("s3cret"));
        let url = DatabaseUrl::Postgres(Secret::new("postgres://db/x?password=s3cret"));
        assert_eq!(url.redacted(), "postgres://db/x");
        let url = DatabaseUrl::Postgres(Secret::new("postgres://app@db"));
        assert_eq!(url.redacted(), "postgres://app@db");
        let url = DatabaseUrl::Sqlite("sqlite://vodokanal.db".into());
        assert_eq!(url.redacted(), "sqlite://vodokanal.db");
    }
}
