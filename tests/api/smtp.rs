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
    /// What in this message breaks the rules every message musubi sends
    /// keeps: `Auto-Submitted: auto-generated` (RFC 3834), header lines
    /// folded within 78 octets wherever they can be (RFC 5322 §2.1.1), a calendar part named
    /// `invite.ics` whose `method=` is its METHOD (RFC 6047 §2.4).
    pub fn format_problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let end = self
            .data
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .unwrap_or(self.data.len());
        for line in self.data[..end].split(|b| *b == b'\n') {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            // A line may pass 78 octets only when it is one token that
            // cannot be folded (an address of 76 characters, say).
            let foldable = line
                .trim_ascii_start()
                .iter()
                .any(|b| *b == b' ' || *b == b'\t');
            if line.len() > 78 && foldable {
                problems.push(format!(
                    "header line of {} octets: {}",
                    line.len(),
                    String::from_utf8_lossy(line)
                ));
            }
        }
        let parsed = self.parsed();
        if parsed.header_raw("Auto-Submitted").map(str::trim) != Some("auto-generated") {
            problems.push("no Auto-Submitted: auto-generated".to_owned());
        }
        for part in parsed.parts.iter() {
            let Some(ct) = mail_parser::MimeHeaders::content_type(part) else {
                continue;
            };
            if ct.ctype() != "text" || ct.subtype() != Some("calendar") {
                continue;
            }
            if ct.attribute("name") != Some("invite.ics") {
                problems.push(format!("calendar part named {:?}", ct.attribute("name")));
            }
            let method = ct.attribute("method").unwrap_or_default();
            let body = part.text_contents().unwrap_or_default();
            if method.is_empty() || !body.contains(&format!("\r\nMETHOD:{method}\r\n")) {
                problems.push(format!(
                    "calendar part's method={method:?} is not its METHOD"
                ));
            }
        }
        problems
    }

    pub fn parsed(&self) -> mail_parser::Message<'_> {
        mail_parser::MessageParser::default()
            .parse(&self.data)
            .expect("a MIME message")
    }

    /// The guest's manage link in the plain-text part (`…/registrations/<token>`),
    /// without its `?lang=` (which every link in mail has).
    pub fn manage_link(&self) -> String {
        let parsed = self.parsed();
        let text = parsed.body_text(0).expect("a text part");
        let link = text
            .split_whitespace()
            .find(|w| w.contains("/registrations/") && !w.contains("/unsubscribe"))
            .unwrap_or_else(|| panic!("no manage link in: {text}"));
        without_lang(link)
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

/// A link from a message without the `?lang=` every such link carries.
pub fn without_lang(link: &str) -> String {
    let (path, query) = link
        .split_once('?')
        .unwrap_or_else(|| panic!("{link} has no ?lang="));
    assert!(
        query == "lang=ja" || query == "lang=en",
        "{link}: the reader's language"
    );
    path.to_owned()
}

#[derive(Default)]
struct State {
    received: Mutex<Vec<Received>>,
    /// Answers for the next end-of-DATA replies, used up in order.
    replies: Mutex<VecDeque<String>>,
    /// While set, connections are closed at once (the server is "down").
    down: AtomicBool,
    /// What broke the format rules, per message (`Received::format_problems`).
    malformed: Mutex<Vec<String>>,
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

    /// What arrived; panics when any message broke the rules every
    /// message keeps (`Received::format_problems`), so that every test
    /// reading mail checks them.
    pub fn received(&self) -> Vec<Received> {
        let malformed = self.state.malformed.lock().unwrap().clone();
        assert!(malformed.is_empty(), "malformed mail: {malformed:#?}");
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
                    let received = Received {
                        mail_from: mail_from.clone(),
                        rcpt_to: rcpt_to.clone(),
                        data,
                    };
                    let problems = received.format_problems();
                    if !problems.is_empty() {
                        state
                            .malformed
                            .lock()
                            .unwrap()
                            .push(format!("{}: {problems:?}", received.subject()));
                    }
                    state.received.lock().unwrap().push(received);
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
