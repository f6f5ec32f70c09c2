//! Settings: config/default.toml (embedded, so the binary runs from any
//! directory), then the file named in `MUSUBI_CONFIG`, then `MUSUBI_*`
//! environment variables. Each value is checked at start-up; a bad one stops
//! the service with a one-line message naming the setting.

use std::net::SocketAddr;

use serde::Deserialize;

mod values;

pub use values::{DatabaseUrl, SecretKey, SmtpUrl};

const DEFAULTS: &str = include_str!("../../config/default.toml");

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
    /// Where notices for the organizers go (an attendee declined a meeting).
    pub organizer_email: String,
    /// Where guests write with questions: linked from every form and mail
    /// footer, and the Reply-To of every message.
    pub contact_email: String,
    /// The privacy notice linked from forms and mail; None: the built-in
    /// notice at `/privacy`.
    pub privacy_url: Option<String>,
    /// Where mail goes: an SMTP server, or .eml files in `mail_dir`.
    pub mail: MailSettings,
    /// Derives the tokens in guests' links; stored in the database when not set.
    pub secret_key: Option<SecretKey>,
    /// Registration POSTs per client address and minute; 0 turns the limit off.
    pub rate_limit_per_minute: u32,
    /// Whether `serve` runs the outbox worker itself (`musubi worker` runs it alone).
    pub run_worker: bool,
    /// Password hashes computed at once (each on its own thread with its
    /// own memory); sign-ins beyond that are answered 503 at once.
    pub password_hashers: usize,
    /// Failed sign-ins per account or client address within
    /// `login_window` before further tries are refused (429); 0: no lockout.
    pub login_max_failures: u32,
    pub login_window: std::time::Duration,
    /// How long a request waits for a database connection before 503.
    pub db_timeout: std::time::Duration,
    /// Reverse proxies whose `X-Forwarded-For`/`Forwarded` is believed.
    pub trusted_proxies: Vec<crate::domain::network::Network>,
}

/// How the outbox worker delivers mail.
#[derive(Debug, Clone)]
pub struct MailSettings {
    pub smtp_url: Option<SmtpUrl>,
    pub mail_dir: std::path::PathBuf,
    pub max_attempts: i32,
    /// The first retry waits about this long; each further one twice as long.
    pub retry_base: std::time::Duration,
    pub poll_interval: std::time::Duration,
    /// Messages sent at the same time.
    pub concurrency: usize,
    /// Signs every message when `dkim_domain`, `dkim_selector` and
    /// `dkim_key_file` are set.
    pub dkim: Option<std::sync::Arc<crate::email::dkim::DkimSigner>>,
}

impl Settings {
    /// The host of `base_url`, for UIDs and default addresses.
    pub fn host(&self) -> String {
        host_of(&self.base_url)
    }

    /// The privacy notice: the configured page, or the built-in one.
    pub fn privacy_url(&self) -> String {
        self.privacy_url
            .clone()
            .unwrap_or_else(|| format!("{}/privacy", self.base_url))
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
    organizer_email: String,
    #[serde(default)]
    contact_email: String,
    #[serde(default)]
    privacy_url: String,
    smtp_url: String,
    #[serde(default)]
    dkim_domain: String,
    #[serde(default)]
    dkim_selector: String,
    #[serde(default)]
    dkim_key_file: String,
    mail_dir: String,
    mail_max_attempts: String,
    mail_retry_base_ms: String,
    mail_concurrency: String,
    worker_poll_ms: String,
    secret_key: String,
    rate_limit_per_minute: String,
    run_worker: String,
    password_hashers: String,
    login_max_failures: String,
    login_window_minutes: String,
    db_timeout_ms: String,
    trusted_proxies: String,
}

/// A whole number within `range`, or the setting's error.
fn number<T>(
    setting: &str,
    raw: &str,
    range: std::ops::RangeInclusive<T>,
) -> Result<T, SettingsError>
where
    T: std::str::FromStr + PartialOrd + std::fmt::Display,
{
    raw.trim()
        .parse::<T>()
        .ok()
        .filter(|n| range.contains(n))
        .ok_or_else(|| {
            SettingsError::new(
                setting,
                format!(
                    "'{raw}' is not a number from {} to {}",
                    range.start(),
                    range.end()
                ),
            )
        })
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
                "mail_from",
                "organizer_email",
                "contact_email",
                "privacy_url",
                "smtp_url",
                "dkim_domain",
                "dkim_selector",
                "dkim_key_file",
                "mail_dir",
                "mail_max_attempts",
                "mail_retry_base_ms",
                "mail_concurrency",
                "worker_poll_ms",
                "secret_key",
                "rate_limit_per_minute",
                "run_worker",
                "password_hashers",
                "login_max_failures",
                "login_window_minutes",
                "db_timeout_ms",
                "trusted_proxies",
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
        let mail_from = address("mail_from", &raw.mail_from)?
            .unwrap_or_else(|| format!("musubi@{}", host_of(&base_url)));
        let organizer_email =
            address("organizer_email", &raw.organizer_email)?.unwrap_or_else(|| mail_from.clone());
        let contact_email = address("contact_email", &raw.contact_email)?
            .unwrap_or_else(|| organizer_email.clone());
        let privacy_url = match raw.privacy_url.trim() {
            "" => None,
            given => Some(
                crate::domain::Website::parse(given)
                    .map_err(|_| {
                        SettingsError::new(
                            "privacy_url",
                            format!("'{given}' is not an http(s) URL"),
                        )
                    })?
                    .as_str()
                    .to_owned(),
            ),
        };
        let smtp_url = match raw.smtp_url.trim() {
            "" => None,
            given => Some(SmtpUrl::parse(given).map_err(|m| SettingsError::new("smtp_url", m))?),
        };
        let dkim = match (
            raw.dkim_domain.trim(),
            raw.dkim_selector.trim(),
            raw.dkim_key_file.trim(),
        ) {
            ("", "", "") => None,
            (domain, selector, file)
                if !domain.is_empty() && !selector.is_empty() && !file.is_empty() =>
            {
                Some(
                    crate::email::dkim::DkimSigner::load(
                        domain,
                        selector,
                        std::path::Path::new(file),
                    )
                    .map(std::sync::Arc::new)
                    .map_err(|m| SettingsError::new("dkim_key_file", m))?,
                )
            }
            (domain, selector, _) => {
                let missing = if domain.is_empty() {
                    "dkim_domain"
                } else if selector.is_empty() {
                    "dkim_selector"
                } else {
                    "dkim_key_file"
                };
                return Err(SettingsError::new(
                    missing,
                    "DKIM signing needs dkim_domain, dkim_selector and dkim_key_file together",
                ));
            }
        };
        let mail = MailSettings {
            smtp_url,
            dkim,
            mail_dir: std::path::PathBuf::from(match raw.mail_dir.trim() {
                "" => "data/mail",
                dir => dir,
            }),
            max_attempts: number("mail_max_attempts", &raw.mail_max_attempts, 1..=50)?,
            retry_base: std::time::Duration::from_millis(number(
                "mail_retry_base_ms",
                &raw.mail_retry_base_ms,
                1..=86_400_000,
            )?),
            concurrency: number("mail_concurrency", &raw.mail_concurrency, 1..=64)?,
            poll_interval: std::time::Duration::from_millis(number(
                "worker_poll_ms",
                &raw.worker_poll_ms,
                10..=600_000,
            )?),
        };
        let secret_key = match raw.secret_key.trim() {
            "" => None,
            key if key.len() < 32 => {
                return Err(SettingsError::new(
                    "secret_key",
                    "must be at least 32 characters (e.g. `openssl rand -base64 32`)",
                ));
            }
            key => Some(SecretKey::new(key.as_bytes().to_vec())),
        };
        let run_worker = match raw.run_worker.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => true,
            "false" | "0" | "no" => false,
            other => {
                return Err(SettingsError::new(
                    "run_worker",
                    format!("'{other}' is not true or false"),
                ));
            }
        };
        Ok(Self {
            database_url,
            bind,
            base_url,
            log: raw.log,
            workers,
            pool_size,
            mail_from,
            organizer_email,
            contact_email,
            privacy_url,
            mail,
            secret_key,
            rate_limit_per_minute: number(
                "rate_limit_per_minute",
                &raw.rate_limit_per_minute,
                0..=1_000_000,
            )?,
            run_worker,
            password_hashers: match number("password_hashers", &raw.password_hashers, 0..=64)? {
                0 => std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get),
                n => n,
            },
            login_max_failures: number("login_max_failures", &raw.login_max_failures, 0..=10_000)?,
            login_window: std::time::Duration::from_secs(
                60 * number::<u64>("login_window_minutes", &raw.login_window_minutes, 1..=1440)?,
            ),
            db_timeout: std::time::Duration::from_millis(number(
                "db_timeout_ms",
                &raw.db_timeout_ms,
                100..=60_000,
            )?),
            trusted_proxies: raw
                .trusted_proxies
                .split(',')
                .filter(|s| !s.trim().is_empty())
                .map(crate::domain::network::Network::parse)
                .collect::<Result<_, _>>()
                .map_err(|m| SettingsError::new("trusted_proxies", m))?,
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

/// An email address setting: None when empty, an error naming the
/// setting when it is not an address.
fn address(setting: &str, given: &str) -> Result<Option<String>, SettingsError> {
    match given.trim() {
        "" => Ok(None),
        given => crate::domain::EmailAddress::parse(given)
            .map(|a| Some(a.as_str().to_owned()))
            .map_err(|_| SettingsError::new(setting, format!("'{given}' is not an email address"))),
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
