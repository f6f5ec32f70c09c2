//! Delivery: SMTP through lettre's async transport (pooled connections), or
//! .eml files when no SMTP server is configured.

use std::path::PathBuf;
use std::time::Duration;

use std::sync::{Arc, Mutex};

use lettre::address::Envelope;
use lettre::transport::smtp::AsyncSmtpTransport;
use lettre::transport::smtp::client::AsyncSmtpConnection;
use lettre::transport::smtp::extension::ClientId;
use lettre::{AsyncTransport, Message, Tokio1Executor};

use crate::config::MailSettings;

/// Why a message was not delivered, and whether trying again may help.
#[derive(Debug, Clone)]
pub struct SendError {
    /// SMTP 4xx, a refused or broken connection, a timeout: retry later.
    pub transient: bool,
    /// The server's reply code, when it answered.
    pub reply_code: Option<String>,
    pub message: String,
}

/// A message ready to go out: its envelope and its bytes, formatted where
/// it was composed (off the thread that keeps the SMTP sessions going).
#[derive(Clone)]
pub struct Outgoing {
    pub envelope: Envelope,
    pub bytes: Vec<u8>,
}

/// The bytes hold the recipient's links (their secrets): never logged.
impl std::fmt::Debug for Outgoing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outgoing")
            .field("bytes", &self.bytes.len())
            .finish_non_exhaustive()
    }
}

impl Outgoing {
    /// The message's bytes, its header lines folded within 78 octets and,
    /// with a signer, a DKIM signature in front (its t= the clock's time,
    /// whatever time the worker was asked to act at).
    pub fn new(message: &Message, dkim: Option<&super::dkim::DkimSigner>) -> Self {
        let bytes = super::fold::headers(message.formatted());
        Self {
            envelope: message.envelope().clone(),
            bytes: match dkim {
                Some(signer) => signer.sign(&bytes, chrono::Utc::now().timestamp()),
                None => bytes,
            },
        }
    }
}

#[derive(Clone)]
enum Transport {
    /// TLS or authenticated SMTP: lettre's pooled transport.
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// Plain SMTP to a relay (e.g. a local postfix): our own pool of
    /// connections with TCP_NODELAY. lettre writes the end-of-data dot in a
    /// separate small packet, which Nagle's algorithm holds back until the
    /// server's delayed ACK (40 ms on Linux): one message per 40 ms per
    /// connection without it.
    Relay(Arc<RelayPool>),
    Files(PathBuf),
}

/// Idle connections to a plain SMTP relay.
struct RelayPool {
    host: String,
    port: u16,
    idle: Mutex<Vec<AsyncSmtpConnection>>,
    max_idle: usize,
}

impl RelayPool {
    async fn connect(&self) -> Result<AsyncSmtpConnection, SendError> {
        let stream = tokio::time::timeout(
            SMTP_TIMEOUT,
            tokio::net::TcpStream::connect((self.host.as_str(), self.port)),
        )
        .await
        .map_err(|_| transient("connecting to the SMTP relay timed out"))?
        .map_err(|e| transient(&format!("connecting to the SMTP relay: {e}")))?;
        stream
            .set_nodelay(true)
            .map_err(|e| transient(&e.to_string()))?;
        timed(AsyncSmtpConnection::connect_with_transport(
            Box::new(stream),
            &ClientId::default(),
        ))
        .await
    }

    async fn send(&self, message: &Outgoing) -> Result<(), SendError> {
        let (envelope, bytes) = (&message.envelope, &message.bytes);
        let reused = self.idle.lock().ok().and_then(|mut idle| idle.pop());
        let (mut conn, was_reused) = match reused {
            Some(conn) => (conn, true),
            None => (self.connect().await?, false),
        };
        let mut result = timed(conn.send(envelope, bytes)).await;
        if was_reused && result.as_ref().is_err_and(|e| e.reply_code.is_none()) {
            // The relay closed an idle connection: try once on a new one.
            conn = self.connect().await?;
            result = timed(conn.send(envelope, bytes)).await;
        }
        result?;
        if let Ok(mut idle) = self.idle.lock()
            && idle.len() < self.max_idle
        {
            idle.push(conn);
        }
        Ok(())
    }
}

/// Runs an SMTP step with the timeout; classifies lettre's error.
async fn timed<T>(
    f: impl std::future::Future<Output = Result<T, lettre::transport::smtp::Error>>,
) -> Result<T, SendError> {
    match tokio::time::timeout(SMTP_TIMEOUT, f).await {
        Ok(result) => result.map_err(|e| classify(&e)),
        Err(_) => Err(transient("the SMTP server did not answer in time")),
    }
}

fn classify(e: &lettre::transport::smtp::Error) -> SendError {
    SendError {
        // 5xx is final; everything else (4xx, connection, timeout, TLS) may pass later.
        transient: !e.is_permanent(),
        reply_code: e.status().map(|c| c.to_string()),
        message: one_line(&e.to_string()),
    }
}

fn transient(text: &str) -> SendError {
    SendError {
        transient: true,
        reply_code: None,
        message: text.to_owned(),
    }
}

#[derive(Clone)]
pub struct Mailer {
    transport: Transport,
}

const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

impl Mailer {
    pub fn new(settings: &MailSettings) -> anyhow::Result<Self> {
        let transport = match &settings.smtp_url {
            Some(url) if is_plain_relay(url.expose()) => {
                let parsed = url::Url::parse(url.expose())?;
                Transport::Relay(Arc::new(RelayPool {
                    host: parsed.host_str().unwrap_or("localhost").to_owned(),
                    port: parsed.port().unwrap_or(25),
                    idle: Mutex::new(Vec::new()),
                    max_idle: settings.concurrency,
                }))
            }
            Some(url) => {
                let builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose())
                    .map_err(|e| {
                        anyhow::anyhow!("invalid setting smtp_url (MUSUBI_SMTP_URL): {e}")
                    })?;
                Transport::Smtp(builder.timeout(Some(SMTP_TIMEOUT)).build())
            }
            None => Transport::Files(settings.mail_dir.clone()),
        };
        Ok(Self { transport })
    }

    /// Where mail goes, for the log (no credentials).
    pub fn describe(&self) -> String {
        match &self.transport {
            Transport::Smtp(_) => "SMTP".into(),
            Transport::Relay(pool) => format!("SMTP relay {}:{}", pool.host, pool.port),
            Transport::Files(dir) => format!(".eml files in {}", dir.display()),
        }
    }

    pub async fn send(&self, message: &Outgoing, file_name: &str) -> Result<(), SendError> {
        match &self.transport {
            Transport::Smtp(smtp) => smtp
                .send_raw(&message.envelope, &message.bytes)
                .await
                .map(drop)
                .map_err(|e| classify(&e)),
            Transport::Relay(pool) => pool.send(message).await,
            Transport::Files(dir) => {
                let path = dir.join(format!("{file_name}.eml"));
                let write = async {
                    tokio::fs::create_dir_all(dir).await?;
                    let tmp = dir.join(format!(".{file_name}.eml.tmp"));
                    tokio::fs::write(&tmp, &message.bytes).await?;
                    tokio::fs::rename(&tmp, &path).await
                };
                write
                    .await
                    .map_err(|e| transient(&format!("writing {}: {e}", path.display())))
            }
        }
    }
}

/// `smtp://host[:port]` without credentials or TLS parameters.
fn is_plain_relay(url: &str) -> bool {
    url::Url::parse(url).is_ok_and(|u| {
        u.scheme() == "smtp"
            && u.username().is_empty()
            && u.password().is_none()
            && u.query().is_none()
    })
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}
