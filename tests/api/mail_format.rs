//! What every message is as mail clients and filters read it: signed with
//! DKIM when configured (verified by dkimpy, an independent implementation),
//! header lines within 78 octets with long Japanese names, and (in the
//! test SMTP server, for every test) Auto-Submitted and a named invite.

use std::process::Command;
use std::sync::Arc;

use chrono::{Duration, Utc};
use musubi::email::dkim::DkimSigner;

use crate::helpers::{Backend, spawn_app_with};
use crate::registrations::{event_with_capacity, guest, register};

/// Sends what is due now, then what is due a second after the day-before
/// reminder of `event`.
async fn send_through_the_day_before(app: &crate::helpers::TestApp, event: &serde_json::Value) {
    app.worker.run_until_idle(Utc::now()).await.unwrap();
    let reminder = crate::mail::starts_at(event) - Duration::days(1) + Duration::seconds(1);
    app.worker.run_until_idle(reminder).await.unwrap();
}

/// A private key made by openssl as an operator would: `genrsa
/// -traditional` (PKCS#1, what opendkim-genkey writes), `genpkey` RSA
/// (PKCS#8) or `genpkey` Ed25519.
fn openssl_key(dir: &std::path::Path, kind: &str) -> std::path::PathBuf {
    let path = dir.join(format!("{kind}.pem"));
    let args: Vec<&str> = match kind {
        "rsa-pkcs1" => vec!["genrsa", "-traditional", "-out"],
        "rsa-pkcs8" => vec![
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
        ],
        "ed25519" => vec!["genpkey", "-algorithm", "ed25519", "-out"],
        other => panic!("{other}"),
    };
    let mut command = Command::new("openssl");
    command.args(&args).arg(&path);
    if kind == "rsa-pkcs1" {
        command.arg("2048");
    }
    let out = command.output().expect("openssl runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    path
}

/// dkimpy's verdict on `message` with the key `signer` publishes.
fn dkimpy_verifies(dir: &std::path::Path, signer: &DkimSigner, message: &[u8]) -> bool {
    let python = std::env::var("MUSUBI_ICAL_PYTHON")
        .expect("MUSUBI_ICAL_PYTHON is not set: run scripts/test, which installs dkimpy");
    let file = dir.join("message.eml");
    std::fs::write(&file, message).unwrap();
    let (name, value) = signer.dns_record();
    let out = Command::new(python)
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tools/mail-check/dkim_verify.py"
        ))
        .arg(&file)
        .arg(&name)
        .arg(&value)
        .output()
        .expect("python runs");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        said.contains("verifies") || said.contains("does NOT verify"),
        "dkimpy failed to run: {said}"
    );
    if !out.status.success() {
        eprintln!("dkimpy: {said}");
    }
    out.status.success()
}

/// The message without its first header (the DKIM-Signature musubi put in front).
fn without_signature(message: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(message);
    assert!(text.starts_with("DKIM-Signature:"), "{text}");
    let mut lines = text.split_inclusive("\r\n").peekable();
    lines.next();
    while lines.peek().is_some_and(|l| l.starts_with(' ')) {
        lines.next();
    }
    lines.collect::<String>().into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_are_dkim_signed_and_dkimpy_verifies_them() {
    let dir = tempfile::tempdir().unwrap();
    let pkcs1 = openssl_key(dir.path(), "rsa-pkcs1");
    let signer = Arc::new(DkimSigner::load("link-j-west.example", "musubi2026", &pkcs1).unwrap());
    let configured = signer.clone();
    let app = spawn_app_with(Backend::Sqlite, move |s| s.mail.dkim = Some(configured)).await;
    let event = event_with_capacity(&app, "partnering-day", 10, 3).await;
    let mut long = guest(
        "kanemoto.yoshiko@international-regenerative-medicine.example.com",
        "金本 佳子（国際再生医療研究機構 大阪事務所 シニアリサーチフェロー）",
    );
    long["organization"] = serde_json::json!("国際再生医療研究機構");
    register(&app, "partnering-day", &long).await;
    // With the reminder a day before: it carries List-Unsubscribe, which
    // RFC 8058 wants signed.
    send_through_the_day_before(&app, &event).await;
    let mail = app.smtp.received();
    assert_eq!(mail.len(), 2, "confirmation and reminder");
    for m in &mail {
        let text = String::from_utf8_lossy(&m.data);
        let header = text.split("\r\n\r\n").next().unwrap();
        assert!(
            header.starts_with("DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;"),
            "{header}"
        );
        assert!(
            header.contains("d=link-j-west.example;") && header.contains("s=musubi2026;"),
            "{header}"
        );
        assert!(
            dkimpy_verifies(dir.path(), &signer, &m.data),
            "{}",
            m.subject()
        );
        // A changed header or body no longer verifies: the check can fail.
        let tampered = text.replacen("Message-ID: <", "Message-ID: <x", 1);
        assert_ne!(tampered, text);
        assert!(!dkimpy_verifies(dir.path(), &signer, tampered.as_bytes()));
        let appended = format!("{text}P.S. not from musubi\r\n");
        assert!(!dkimpy_verifies(dir.path(), &signer, appended.as_bytes()));
        // A second From or Subject put above the signed ones (verifiers
        // read the bottom-most): refused, since each is signed once more
        // than it occurs.
        let (signature, rest) = text.split_at(text.find("\r\nFrom: ").unwrap() + 2);
        for added in [
            "From: attacker@evil.example\r\n",
            "Subject: Payment needed\r\n",
        ] {
            let forged = format!("{signature}{added}{rest}");
            assert!(
                !dkimpy_verifies(dir.path(), &signer, forged.as_bytes()),
                "{added}"
            );
        }
    }
    let reminder = String::from_utf8_lossy(&mail[1].data).into_owned();
    let header = reminder
        .split("\r\n\r\n")
        .next()
        .unwrap()
        .replace("\r\n ", "");
    assert!(
        header.contains("list-unsubscribe:list-unsubscribe-post"),
        "{header}"
    );

    // The other key forms an operator may have, on the same message.
    let unsigned = without_signature(&mail[0].data);
    for kind in ["rsa-pkcs8", "ed25519"] {
        let key = openssl_key(dir.path(), kind);
        let other = DkimSigner::load("link-j-west.example", "musubi2026", &key).unwrap();
        let signed = other.sign(&unsigned, Utc::now().timestamp());
        let text = String::from_utf8_lossy(&signed);
        let header = text.split("\r\n\r\n").next().unwrap();
        assert!(header.lines().all(|l| l.len() <= 78), "{header}");
        assert!(dkimpy_verifies(dir.path(), &other, &signed), "{kind}");
        // Signed by one key, checked against another: refused.
        assert!(!dkimpy_verifies(dir.path(), &signer, &signed), "{kind}");
    }
    // The record an operator publishes.
    let (name, value) = signer.dns_record();
    assert_eq!(name, "musubi2026._domainkey.link-j-west.example");
    assert!(value.starts_with("v=DKIM1; k=rsa; p=MIIBIjAN"), "{value}");
}

#[test]
fn a_bad_dkim_key_stops_start_up_with_the_setting_named() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("short.pem");
    let out = Command::new("openssl")
        .args(["genrsa", "-traditional", "-out"])
        .arg(&key)
        .arg("1024")
        .output()
        .unwrap();
    assert!(out.status.success());
    let err = DkimSigner::load("link-j-west.example", "s1", &key).unwrap_err();
    assert!(err.contains("2048 to 4096"), "{err}");
    let err =
        DkimSigner::load("link-j-west.example", "s1", &dir.path().join("missing.pem")).unwrap_err();
    assert!(err.contains("cannot read"), "{err}");
}

/// SpamAssassin's verdict on each message (`spamassassin -L -t`: local
/// tests only, no network): its score and the rules that hit with their
/// points, as its report lists them.
fn spamassassin(mail: &[crate::smtp::Received]) -> Vec<(f64, Vec<(f64, String)>)> {
    // All at once: each start reads SpamAssassin's rules for a second or two.
    let children: Vec<std::process::Child> = mail
        .iter()
        .map(|m| {
            let mut child = Command::new("spamassassin")
                .args(["-L", "-t"])
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .spawn()
                .expect(
                    "spamassassin is installed (.ci/run installs it: apt-get install spamassassin)",
                );
            use std::io::Write;
            child.stdin.take().unwrap().write_all(&m.data).unwrap();
            child
        })
        .collect();
    children
        .into_iter()
        .map(|child| {
            let out = child.wait_with_output().unwrap();
            let text = String::from_utf8_lossy(&out.stdout).replace("\n\t", " ");
            let status = text
                .lines()
                .find(|l| l.starts_with("X-Spam-Status:"))
                .unwrap_or_else(|| panic!("no X-Spam-Status: {text}"));
            let score: f64 = status
                .split("score=")
                .nth(1)
                .and_then(|s| s.split_whitespace().next())
                .and_then(|s| s.parse().ok())
                .unwrap_or_else(|| panic!("{status}"));
            // The report's table: " 1.4 HTML_IMAGE_ONLY_28    BODY: HTML: images with …".
            let report = text
                .split("Content analysis details:")
                .nth(1)
                .unwrap_or_default();
            let rules = report
                .lines()
                .filter_map(|line| {
                    let mut words = line.split_whitespace();
                    let points = words.next()?.parse::<f64>().ok()?;
                    let name = words.next()?;
                    name.bytes()
                        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
                        .then(|| (points, name.to_owned()))
                })
                .collect();
            (score, rules)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_message_scores_on_spamassassins_content_rules() {
    use crate::meetings::{boston, meeting, osaka};
    let app = crate::helpers::spawn_app(Backend::Sqlite).await;
    let event = event_with_capacity(&app, "partnering-day", 1, 3).await;
    // A confirmation (QR code and invite) in Japanese, a waitlist notice in
    // English, both reminders, a cancellation and a promotion.
    let (_, hanako) = register(
        &app,
        "partnering-day",
        &guest("hanako@osaka-bio.example.jp", "山田 花子"),
    )
    .await;
    let mut john = guest("john@boston-bio.example.com", "John Miller");
    john["language"] = serde_json::json!("en");
    john["time_zone"] = serde_json::json!("America/New_York");
    register(&app, "partnering-day", &john).await;
    send_through_the_day_before(&app, &event).await;
    let manage = hanako["manage_url"].as_str().unwrap();
    let page = app.browse(manage).await;
    app.press(&format!("{manage}/cancel"), &page).await;
    app.worker.run_until_idle(Utc::now()).await.unwrap();
    // A business meeting's invite with an online link.
    app.api_post(
        "/api/v1/meetings",
        &meeting(
            "2031-11-03T08:00:00+09:00",
            "2031-11-03T09:00:00+09:00",
            serde_json::json!({ "online_url": "https://meet.example.com/osaka-boston" }),
            serde_json::json!([
                osaka("kenji@pref.osaka.example", "山田 健二"),
                boston("dana@crv.example", "Dana Whitfield")
            ]),
        ),
    )
    .await;
    app.worker.run_until_idle(Utc::now()).await.unwrap();
    let mail = app.smtp.received();
    let kinds: Vec<String> = mail.iter().map(|m| m.subject()).collect();
    assert!(mail.len() >= 7, "{kinds:#?}");
    let verdicts = spamassassin(&mail);
    for ((score, rules), subject) in verdicts.into_iter().zip(&kinds) {
        // Informational rules (HTML_MESSAGE) count 0.001 and show as 0.0.
        let scoring: Vec<&(f64, String)> =
            rules.iter().filter(|(points, _)| *points > 0.0).collect();
        assert!(
            scoring.is_empty() && score < 0.1,
            "{subject}: score {score}, {rules:?}"
        );
    }
}
