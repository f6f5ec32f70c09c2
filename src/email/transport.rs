//! Delivery: SMTP through lettre's async transport (pooled connections), or
//! .eml files when no SMTP server is configured.

use std::path::PathBuf;
use std::time::Duration;

use lettre::transport::smtp::AsyncSmtpTransport;
use lettre::{AsyncTransport, Message, Tokio1Executor};

use crate::config::MailSettings;

/// Why a message was not delivered, and whether trying again may help.
#[derive(Debug, Clone)]
pub struct SendError {
    /// SMTP 4xx, a refused or broken connection, a timeout: retry later.
    pub transient: bool,
    pub message: String,
}

#[derive(Clone)]
enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Files(PathBuf),
}

#[derive(Clone)]
pub struct Mailer {
    transport: Transport,
}

const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

impl Mailer {
    pub fn new(settings: &MailSettings) -> anyhow::Result<Self> {
        let transport = match &settings.smtp_url {
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
            Transport::Files(dir) => format!(".eml files in {}", dir.display()),
        }
    }

    pub async fn send(&self, message: &Message, file_name: &str) -> Result<(), SendError> {
        match &self.transport {
            Transport::Smtp(smtp) => smtp.send(message.clone()).await.map(drop).map_err(|e| {
                // 5xx is final; everything else (4xx, connection, timeout, TLS) may pass later.
                let transient = !e.is_permanent();
                SendError {
                    transient,
                    message: one_line(&e.to_string()),
                }
            }),
            Transport::Files(dir) => {
                let path = dir.join(format!("{file_name}.eml"));
                let write = async {
                    tokio::fs::create_dir_all(dir).await?;
                    let tmp = dir.join(format!(".{file_name}.eml.tmp"));
                    tokio::fs::write(&tmp, message.formatted()).await?;
                    tokio::fs::rename(&tmp, &path).await
                };
                write.await.map_err(|e| SendError {
                    transient: true,
                    message: format!("writing {}: {e}", path.display()),
                })
            }
        }
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}
