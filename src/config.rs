//! Settings: config/default.toml (embedded, so the binary runs from any
//! directory), then the file named in `MUSUBI_CONFIG`, then `MUSUBI_*`
//! environment variables. Each value is checked at start-up; a bad one stops
//! the service with a one-line message naming the setting.

use std::net::SocketAddr;
use std::path::PathBuf;

use serde::Deserialize;

const DEFAULTS: &str = include_str!("../config/default.toml");

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

#[derive(Debug, Clone)]
pub struct Settings {
    pub database_url: DatabaseUrl,
    pub bind: SocketAddr,
    /// Without a trailing slash.
    pub base_url: String,
    pub log: String,
    pub workers: usize,
    pub pool_size: u32,
    /// The sender of mail and the ORGANIZER of calendar entries.
    pub mail_from: String,
}

impl Settings {
    /// The host of `base_url`, for UIDs and default addresses.
    pub fn host(&self) -> String {
        host_of(&self.base_url)
    }

    /// Whether cookies may carry the Secure flag (the service is served over https).
    pub fn secure_cookies(&self) -> bool {
        self.base_url.starts_with("https://")
    }
}

/// A setting that could not be used; displays as one line.
#[derive(Debug, thiserror::Error)]
#[error("invalid setting {setting} (MUSUBI_{env}): {message}")]
pub struct SettingsError {
    pub setting: String,
    env: String,
    message: String,
}

impl SettingsError {
    fn new(setting: &str, message: impl Into<String>) -> Self {
        Self {
            setting: setting.to_owned(),
            env: setting.to_ascii_uppercase(),
            message: message.into(),
        }
    }
}

#[derive(Deserialize)]
struct RawSettings {
    database_url: String,
    bind: String,
    base_url: String,
    log: String,
    workers: String,
    pool_size: String,
    mail_from: String,
}

impl Settings {
    /// Loads defaults, the `MUSUBI_CONFIG` file, then the environment.
    pub fn load() -> Result<Self, SettingsError> {
        let mut builder = config::Config::builder()
            .add_source(config::File::from_str(DEFAULTS, config::FileFormat::Toml));
        if let Ok(path) = std::env::var("MUSUBI_CONFIG") {
            if !std::path::Path::new(&path).is_file() {
                return Err(SettingsError::new(
                    "config",
                    format!("file '{path}' does not exist"),
                ));
            }
            builder = builder.add_source(config::File::with_name(&path).required(true));
        }
        let loaded = builder
            .add_source(config::Environment::with_prefix("MUSUBI"))
            .build()
            .map_err(|e| SettingsError::new("config", one_line(&e.to_string())))?;
        let raw: RawSettings = loaded.try_deserialize().map_err(|e| {
            let text = e.to_string();
            let setting = [
                "database_url",
                "bind",
                "base_url",
                "log",
                "workers",
                "pool_size",
            ]
            .into_iter()
            .find(|name| text.contains(name))
            .unwrap_or("config");
            SettingsError::new(setting, one_line(&text))
        })?;
        Self::from_raw(raw)
    }

    fn from_raw(raw: RawSettings) -> Result<Self, SettingsError> {
        let database_url = DatabaseUrl::parse(&raw.database_url)
            .map_err(|m| SettingsError::new("database_url", m))?;
        let bind = raw.bind.trim().parse::<SocketAddr>().map_err(|_| {
            SettingsError::new(
                "bind",
                format!("'{}' is not an address like 127.0.0.1:8080", raw.bind),
            )
        })?;
        let base_url = {
            let url = url::Url::parse(raw.base_url.trim())
                .ok()
                .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
                .ok_or_else(|| {
                    SettingsError::new(
                        "base_url",
                        format!("'{}' is not an http(s) URL", raw.base_url),
                    )
                })?;
            url.as_str().trim_end_matches('/').to_owned()
        };
        tracing_subscriber::EnvFilter::try_new(&raw.log).map_err(|e| {
            SettingsError::new("log", format!("'{}' is not a log filter ({e})", raw.log))
        })?;
        let workers = raw
            .workers
            .trim()
            .parse::<usize>()
            .ok()
            .filter(|n| *n <= 256)
            .ok_or_else(|| {
                SettingsError::new(
                    "workers",
                    format!("'{}' is not a number from 0 to 256", raw.workers),
                )
            })?;
        let pool_size = raw
            .pool_size
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=256).contains(n))
            .ok_or_else(|| {
                SettingsError::new(
                    "pool_size",
                    format!("'{}' is not a number from 1 to 256", raw.pool_size),
                )
            })?;
        let mail_from = match raw.mail_from.trim() {
            "" => format!("musubi@{}", host_of(&base_url)),
            given => crate::domain::EmailAddress::parse(given)
                .map_err(|_| {
                    SettingsError::new("mail_from", format!("'{given}' is not an email address"))
                })?
                .as_str()
                .to_owned(),
        };
        Ok(Self {
            database_url,
            bind,
            base_url,
            log: raw.log,
            workers,
            pool_size,
            mail_from,
        })
    }

    /// Settings for a given database with every other value at its default,
    /// as tests and the command line tools use them.
    pub fn with_database(database_url: DatabaseUrl) -> Self {
        let raw: RawSettings = config::Config::builder()
            .add_source(config::File::from_str(DEFAULTS, config::FileFormat::Toml))
            .build()
            .and_then(|c| c.try_deserialize())
            .expect("embedded defaults are valid");
        let mut settings = Self::from_raw(raw).expect("embedded defaults are valid");
        settings.database_url = database_url;
        settings
    }
}

/// The host of a base URL (validated to have one when settings load).
fn host_of(base_url: &str) -> String {
    url::Url::parse(base_url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_else(|| "localhost".into())
}

/// Collapses a message onto one line (for start-up errors).
pub(crate) fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_urls_pick_the_backend() {
        assert_eq!(
            DatabaseUrl::parse("data/musubi.db").unwrap(),
            DatabaseUrl::Sqlite("data/musubi.db".into())
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite:///var/lib/musubi.db").unwrap(),
            DatabaseUrl::Sqlite("/var/lib/musubi.db".into())
        );
        assert!(matches!(
            DatabaseUrl::parse("postgres://musubi@127.0.0.1/musubi").unwrap(),
            DatabaseUrl::Postgres(_)
        ));
        assert!(
            DatabaseUrl::parse("mysql://root@localhost/x")
                .unwrap_err()
                .contains("'mysql'")
        );
        assert!(DatabaseUrl::parse("").is_err());
        assert!(DatabaseUrl::parse("sqlite://").is_err());
    }

    #[test]
    fn passwords_never_show() {
        let url = DatabaseUrl::parse("postgres://musubi:s3cret@db.example/musubi").unwrap();
        assert!(!url.to_string().contains("s3cret"));
        assert!(!format!("{url:?}").contains("s3cret"));
    }

    #[test]
    fn defaults_are_valid() {
        let s = Settings::with_database(DatabaseUrl::Sqlite("x.db".into()));
        assert_eq!(s.bind.to_string(), "127.0.0.1:8080");
        assert_eq!(s.base_url, "http://127.0.0.1:8080");
        assert!(!s.secure_cookies());
    }
}
