//! A small SMTP server for the tests: real SMTP over TCP on loopback, which
//! keeps what it receives and can be told to refuse (4xx/5xx) or to be down.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

#[derive(Debug, Clone)]
pub struct Received {
    pub mail_from: String,
    pub rcpt_to: Vec<String>,
    pub data: Vec<u8>,
}

impl Received {
    pub fn parsed(&self) -> mail_parser::Message<'_> {
        mail_parser::MessageParser::default()
            .parse(&self.data)
            .expect("a MIME message")
    }

    /// The guest's manage link in the plain-text part (`…/registrations/<token>`).
    pub fn manage_link(&self) -> String {
        let parsed = self.parsed();
        let text = parsed.body_text(0).expect("a text part");
        text.split_whitespace()
            .find(|w| w.contains("/registrations/") && !w.contains("/unsubscribe"))
            .unwrap_or_else(|| panic!("no manage link in: {text}"))
            .to_owned()
    }

    pub fn subject(&self) -> String {
        self.parsed().subject().unwrap_or_default().to_owned()
    }

    pub fn is_to(&self, address: &str) -> bool {
        self.rcpt_to
            .iter()
            .any(|r| r.trim_matches(['<', '>']).eq_ignore_ascii_case(address))
    }
}

#[derive(Default)]
struct State {
    received: Mutex<Vec<Received>>,
    /// Answers for the next end-of-DATA replies, used up in order.
    replies: Mutex<VecDeque<String>>,
    /// While set, connections are closed at once (the server is "down").
    down: AtomicBool,
    /// How many times DATA was answered, whatever the answer.
    attempts: Mutex<usize>,
    /// Waits this long before answering DATA (a slow server).
    delay_ms: std::sync::atomic::AtomicU64,
}

#[derive(Clone)]
pub struct SmtpSink {
    pub port: u16,
    state: Arc<State>,
}

impl SmtpSink {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(State::default());
        let shared = state.clone();
        tokio::spawn(async move {
            loop {
                let Ok((socket, _)) = listener.accept().await else {
                    continue;
                };
                let state = shared.clone();
                tokio::spawn(async move {
                    if state.down.load(Ordering::SeqCst) {
                        drop(socket);
                        return;
                    }
                    let _ = session(socket, state).await;
                });
            }
        });
        Self { port, state }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// The next `times` messages are answered with `reply` (e.g. "451 4.3.0 later").
    pub fn refuse_next(&self, times: usize, reply: &str) {
        let mut replies = self.state.replies.lock().unwrap();
        for _ in 0..times {
            replies.push_back(reply.to_owned());
        }
    }

    pub fn set_delay(&self, delay: Duration) {
        self.state
            .delay_ms
            .store(delay.as_millis() as u64, Ordering::SeqCst);
    }

    pub fn set_down(&self, down: bool) {
        self.state.down.store(down, Ordering::SeqCst);
    }

    pub fn received(&self) -> Vec<Received> {
        self.state.received.lock().unwrap().clone()
    }

    pub fn data_attempts(&self) -> usize {
        *self.state.attempts.lock().unwrap()
    }

    /// Waits until at least `n` messages arrived (or panics after `within`).
    pub async fn wait_for(&self, n: usize, within: Duration) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            if tokio::time::Instant::now() > deadline {
                panic!("expected {n} messages, got {}", got.len());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

async fn session(socket: tokio::net::TcpStream, state: Arc<State>) -> std::io::Result<()> {
    let (read, mut write) = socket.into_split();
    let mut lines = BufReader::new(read);
    write.write_all(b"220 test-sink ESMTP ready\r\n").await?;
    let mut mail_from = String::new();
    let mut rcpt_to = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        if state.down.load(Ordering::SeqCst) {
            // Going down drops open connections too.
            return Ok(());
        }
        let command = line.trim_end().to_owned();
        let upper = command.to_ascii_uppercase();
        if upper.starts_with("EHLO") {
            write
                .write_all(
                    b"250-test-sink\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 SIZE 10485760\r\n",
                )
                .await?;
        } else if upper.starts_with("HELO") {
            write.write_all(b"250 test-sink\r\n").await?;
        } else if upper.starts_with("MAIL FROM:") {
            mail_from = command[10..].trim().to_owned();
            rcpt_to.clear();
            write.write_all(b"250 2.1.0 OK\r\n").await?;
        } else if upper.starts_with("RCPT TO:") {
            rcpt_to.push(command[8..].trim().to_owned());
            write.write_all(b"250 2.1.5 OK\r\n").await?;
        } else if upper == "DATA" {
            write.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await?;
            let mut data = Vec::new();
            loop {
                let mut raw = Vec::new();
                if lines.read_until(b'\n', &mut raw).await? == 0 {
                    return Ok(());
                }
                if raw == b".\r\n" {
                    break;
                }
                // Undo dot-stuffing (RFC 5321 §4.5.2).
                let content = if raw.starts_with(b"..") {
                    &raw[1..]
                } else {
                    &raw[..]
                };
                data.extend_from_slice(content);
            }
            let delay = state.delay_ms.load(Ordering::SeqCst);
            if delay > 0 {
                tokio::time::sleep(Duration::from_millis(delay)).await;
            }
            *state.attempts.lock().unwrap() += 1;
            let scripted = state.replies.lock().unwrap().pop_front();
            match scripted {
                Some(reply) => {
                    write.write_all(format!("{reply}\r\n").as_bytes()).await?;
                }
                None => {
                    state.received.lock().unwrap().push(Received {
                        mail_from: mail_from.clone(),
                        rcpt_to: rcpt_to.clone(),
                        data,
                    });
                    write.write_all(b"250 2.0.0 queued\r\n").await?;
                }
            }
        } else if upper == "RSET" {
            mail_from.clear();
            rcpt_to.clear();
            write.write_all(b"250 2.0.0 OK\r\n").await?;
        } else if upper == "NOOP" {
            write.write_all(b"250 2.0.0 OK\r\n").await?;
        } else if upper == "QUIT" {
            write.write_all(b"221 2.0.0 bye\r\n").await?;
            return Ok(());
        } else {
            write.write_all(b"502 5.5.2 not implemented\r\n").await?;
        }
    }
}
