//! Setting values that parse themselves and never print a secret: the
//! database URL, the SMTP relay URL and the service key.

use std::path::PathBuf;

/// Where the data lives. Displays with any password redacted.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite(PathBuf),
    Postgres(String),
}

impl DatabaseUrl {
    pub fn parse(input: &str) -> Result<Self, String> {
        let s = input.trim();
        if s.is_empty() {
            return Err(
                "is empty; use a file path, sqlite://path or postgres://user@host/db".into(),
            );
        }
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            let url =
                url::Url::parse(s).map_err(|e| format!("is not a valid PostgreSQL URL ({e})"))?;
            if url.host_str().is_none_or(str::is_empty) && !s.contains("host=") {
                return Err("names no PostgreSQL host".into());
            }
            return Ok(Self::Postgres(s.to_owned()));
        }
        if let Some(path) = s.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err("sqlite:// needs a file path after it".into());
            }
            return Ok(Self::Sqlite(PathBuf::from(path)));
        }
        if let Some((scheme, _)) = s.split_once("://") {
            return Err(format!(
                "has the unsupported scheme '{scheme}'; use a file path, sqlite://path or postgres://user@host/db"
            ));
        }
        Ok(Self::Sqlite(PathBuf::from(s)))
    }

    pub fn backend_name(&self) -> &'static str {
        match self {
            Self::Sqlite(_) => "sqlite",
            Self::Postgres(_) => "postgres",
        }
    }
}

impl std::fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Sqlite(path) => write!(f, "sqlite://{}", path.display()),
            Self::Postgres(s) => match url::Url::parse(s) {
                Ok(mut url) => {
                    if url.password().is_some() {
                        let _ = url.set_password(Some("***"));
                    }
                    write!(f, "{url}")
                }
                Err(_) => f.write_str("postgres://<unparsable>"),
            },
        }
    }
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DatabaseUrl({self})")
    }
}

/// An `smtp://` or `smtps://` URL; may hold a password, so never printed whole.
#[derive(Clone)]
pub struct SmtpUrl(String);

impl SmtpUrl {
    /// An `smtp://` or `smtps://` URL with a host.
    pub fn parse(given: &str) -> Result<Self, String> {
        url::Url::parse(given)
            .ok()
            .filter(|u| matches!(u.scheme(), "smtp" | "smtps") && u.host_str().is_some())
            .map(|_| Self(given.to_owned()))
            .ok_or_else(|| {
                format!(
                    "{:?} is not an smtp:// or smtps:// URL with a host",
                    Self(given.to_owned())
                )
            })
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for SmtpUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shown = url::Url::parse(&self.0)
            .map(|mut u| {
                if u.password().is_some() {
                    let _ = u.set_password(Some("***"));
                }
                u.to_string()
            })
            .unwrap_or_else(|_| "<invalid>".into());
        write!(f, "SmtpUrl({shown})")
    }
}

/// The service's secret for link tokens.
#[derive(Clone)]
pub struct SecretKey(Vec<u8>);

impl SecretKey {
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }

    pub fn bytes(&self) -> &[u8] {
        &self.0
    }
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}
