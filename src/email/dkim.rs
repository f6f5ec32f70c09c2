//! DKIM signatures (RFC 6376) on outgoing mail: relaxed/relaxed
//! canonicalization, `rsa-sha256` (RFC 8301) or `ed25519-sha256`
//! (RFC 8463), with the key from a PEM file.
//!
//! Signed here rather than with lettre's signer so that the
//! DKIM-Signature header folds within 78 octets like every other header
//! (lettre writes its `h=` and `b=` tags on one line each), and so that
//! RSA signing is ring's (blinded, constant-time) rather than the `rsa`
//! crate's (RUSTSEC-2023-0071).

use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use ring::signature::{Ed25519KeyPair, KeyPair, RSA_PKCS1_SHA256, RsaKeyPair};
use rustls_pki_types::PrivateKeyDer;
use rustls_pki_types::pem::PemObject;
use sha2::{Digest, Sha256};

/// The header fields signed when a message has them (RFC 6376 §5.4.1);
/// RFC 8058 §4 asks for both List-Unsubscribe fields to be signed.
const SIGNED: [&str; 11] = [
    "from",
    "reply-to",
    "to",
    "subject",
    "date",
    "message-id",
    "mime-version",
    "content-type",
    "auto-submitted",
    "list-unsubscribe",
    "list-unsubscribe-post",
];

/// Header lines stay within this many octets (RFC 5322 §2.1.1).
const LINE: usize = 78;

enum Key {
    Rsa(RsaKeyPair),
    Ed25519(Ed25519KeyPair),
}

/// Signs messages for one domain and selector.
pub struct DkimSigner {
    domain: String,
    selector: String,
    key: Key,
    /// RSA blinding's randomness, made once.
    rng: ring::rand::SystemRandom,
}

impl std::fmt::Debug for DkimSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DkimSigner")
            .field("domain", &self.domain)
            .field("selector", &self.selector)
            .field("algorithm", &self.algorithm())
            .finish_non_exhaustive()
    }
}

impl DkimSigner {
    /// The signer of `domain` with the key in `path`: a PEM file with an
    /// RSA key (PKCS#1 `BEGIN RSA PRIVATE KEY` as `openssl genrsa` and
    /// `opendkim-genkey` write it, or PKCS#8 `BEGIN PRIVATE KEY`) or an
    /// Ed25519 key (PKCS#8, `openssl genpkey -algorithm ed25519`).
    pub fn load(domain: &str, selector: &str, path: &Path) -> Result<Self, String> {
        let pem =
            std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        Self::from_pem(domain, selector, &pem).map_err(|e| format!("{}: {e}", path.display()))
    }

    pub fn from_pem(domain: &str, selector: &str, pem: &[u8]) -> Result<Self, String> {
        let label = |s: &str| {
            !s.is_empty()
                && s.split('.').all(|part| {
                    !part.is_empty()
                        && part.len() <= 63
                        && part
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
                })
        };
        if !label(domain) || !domain.contains('.') {
            return Err(format!("'{domain}' is not a domain name like example.org"));
        }
        if !label(selector) {
            return Err(format!("'{selector}' is not a selector like musubi2026"));
        }
        let der = PrivateKeyDer::from_pem_slice(pem).map_err(|_| {
            "no private key in PEM form (BEGIN RSA PRIVATE KEY or BEGIN PRIVATE KEY)".to_owned()
        })?;
        let rejected = |e: ring::error::KeyRejected| format!("the key was refused: {e}");
        let key = match &der {
            PrivateKeyDer::Pkcs1(k) => Key::Rsa(
                RsaKeyPair::from_der(k.secret_pkcs1_der())
                    .map_err(|e| format!("{} (RSA keys of 2048 to 4096 bits)", rejected(e)))?,
            ),
            PrivateKeyDer::Pkcs8(k) => {
                let bytes = k.secret_pkcs8_der();
                match RsaKeyPair::from_pkcs8(bytes) {
                    Ok(rsa) => Key::Rsa(rsa),
                    Err(rsa_error) => Key::Ed25519(
                        Ed25519KeyPair::from_pkcs8_maybe_unchecked(bytes).map_err(|_| {
                            format!(
                                "{} (an RSA key of 2048 to 4096 bits or an Ed25519 key)",
                                rejected(rsa_error)
                            )
                        })?,
                    ),
                }
            }
            _ => return Err("an EC key; DKIM signs with RSA or Ed25519".to_owned()),
        };
        Ok(Self {
            domain: domain.to_ascii_lowercase(),
            selector: selector.to_owned(),
            key,
            rng: ring::rand::SystemRandom::new(),
        })
    }

    fn algorithm(&self) -> &'static str {
        match self.key {
            Key::Rsa(_) => "rsa-sha256",
            Key::Ed25519(_) => "ed25519-sha256",
        }
    }

    /// The TXT record to publish at `<selector>._domainkey.<domain>`.
    pub fn dns_record(&self) -> (String, String) {
        let (k, public) = match &self.key {
            Key::Rsa(k) => ("rsa", rsa_spki(k.public().as_ref())),
            Key::Ed25519(k) => ("ed25519", k.public_key().as_ref().to_vec()),
        };
        (
            format!("{}._domainkey.{}", self.selector, self.domain),
            format!("v=DKIM1; k={k}; p={}", BASE64.encode(public)),
        )
    }

    /// `message` (headers, an empty line, the body; CRLF line ends, as
    /// lettre formats it) with a DKIM-Signature header in front.
    pub fn sign(&self, message: &[u8], unix_time: i64) -> Vec<u8> {
        let (head, body) = match message.windows(4).position(|w| w == b"\r\n\r\n") {
            Some(at) => (&message[..at + 2], &message[at + 4..]),
            None => (message, &b""[..]),
        };
        let fields = header_fields(head);
        let body_hash = BASE64.encode(Sha256::digest(relaxed_body(body)));
        // Each signed name once per occurrence, taken bottom-up (§5.4.2),
        // and once more for a field that is not there (nothing is hashed
        // for it): a From, Subject or List-Unsubscribe added above the
        // signed ones no longer verifies (§8.15).
        let mut names = Vec::new();
        let mut hashed = Vec::new();
        for name in SIGNED {
            let mut present = false;
            for (field_name, value) in fields.iter().rev() {
                if field_name.eq_ignore_ascii_case(name) {
                    names.push(name);
                    hashed.extend_from_slice(&relaxed_header(name, value));
                    present = true;
                }
            }
            if present {
                names.push(name);
            }
        }
        let mut header = Folded::new("DKIM-Signature:");
        header.tag(&format!("v=1; a={};", self.algorithm()));
        header.tag("c=relaxed/relaxed;");
        header.tag(&format!("d={};", self.domain));
        header.tag(&format!("s={};", self.selector));
        header.tag(&format!("t={unix_time};"));
        header.list("h=", &names, ':', ";");
        header.tag(&format!("bh={body_hash};"));
        header.tag("b=");
        // The signature covers this header with an empty b= (§3.7), without
        // the final CRLF.
        let unsigned = header.text.clone();
        let (name, value) = unsigned.split_once(':').expect("a field name");
        let mut canonical = relaxed_header(name, value.as_bytes());
        canonical.truncate(canonical.len() - 2);
        hashed.extend_from_slice(&canonical);
        let signature = match &self.key {
            Key::Rsa(key) => {
                let mut out = vec![0; key.public().modulus_len()];
                key.sign(&RSA_PKCS1_SHA256, &self.rng, &hashed, &mut out)
                    .expect("RSA signing of an in-memory buffer");
                out
            }
            // RFC 8463 §3: Ed25519 signs the SHA-256 hash.
            Key::Ed25519(key) => key.sign(&Sha256::digest(&hashed)).as_ref().to_vec(),
        };
        header.chunks(&BASE64.encode(signature));
        let mut out = Vec::with_capacity(header.text.len() + 2 + message.len());
        out.extend_from_slice(header.text.as_bytes());
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(message);
        out
    }
}

/// A header value written tag by tag, starting a new line whenever the
/// next piece would pass 78 octets.
struct Folded {
    text: String,
    line: usize,
}

impl Folded {
    fn new(name: &str) -> Self {
        Self {
            text: name.to_owned(),
            line: name.len(),
        }
    }

    fn piece(&mut self, piece: &str, space: bool) {
        let width = piece.len() + usize::from(space);
        if self.line + width > LINE {
            self.text.push_str("\r\n ");
            self.line = 1;
        } else if space {
            self.text.push(' ');
            self.line += 1;
        }
        self.text.push_str(piece);
        self.line += piece.len();
    }

    fn tag(&mut self, tag: &str) {
        self.piece(tag, true);
    }

    /// `prefix` and the items joined by `separator`, folding after a
    /// separator where needed (FWS is allowed there, RFC 6376 §3.5).
    fn list(&mut self, prefix: &str, items: &[&str], separator: char, end: &str) {
        let last = items.len().saturating_sub(1);
        for (i, item) in items.iter().enumerate() {
            let mut piece = if i == 0 {
                format!("{prefix}{item}")
            } else {
                item.to_string()
            };
            piece.push_str(if i == last { end } else { "" });
            if i < last {
                piece.push(separator);
            }
            self.piece(&piece, i == 0);
        }
    }

    /// Base64 text folded across lines (FWS is allowed anywhere in it).
    fn chunks(&mut self, text: &str) {
        let mut rest = text;
        while !rest.is_empty() {
            if self.line >= LINE {
                self.text.push_str("\r\n ");
                self.line = 1;
            }
            let take = (LINE - self.line).min(rest.len());
            self.text.push_str(&rest[..take]);
            self.line += take;
            rest = &rest[take..];
        }
    }
}

/// The header fields of `head` (CRLF line ends): (name, value with its folds).
fn header_fields(head: &[u8]) -> Vec<(&str, Vec<u8>)> {
    let mut fields: Vec<(&str, Vec<u8>)> = Vec::new();
    let text = head.strip_suffix(b"\r\n").unwrap_or(head);
    for line in text.split(|b| *b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        match (line.first(), fields.last_mut()) {
            (Some(b' ' | b'\t'), Some((_, value))) => {
                value.extend_from_slice(b"\r\n");
                value.extend_from_slice(line);
            }
            _ => {
                let Some(colon) = line.iter().position(|b| *b == b':') else {
                    continue;
                };
                let Ok(name) = std::str::from_utf8(&line[..colon]) else {
                    continue;
                };
                fields.push((name.trim(), line[colon + 1..].to_vec()));
            }
        }
    }
    fields
}

/// RFC 6376 §3.4.2: lower-case name, unfolded value with runs of
/// whitespace as one space and none at either end, then CRLF.
fn relaxed_header(name: &str, value: &[u8]) -> Vec<u8> {
    let mut out = name.trim().to_ascii_lowercase().into_bytes();
    out.push(b':');
    let value_start = out.len();
    let mut space = false;
    for &b in value {
        match b {
            b'\r' | b'\n' => {}
            b' ' | b'\t' => space = true,
            _ => {
                if space && out.len() > value_start {
                    out.push(b' ');
                }
                space = false;
                out.push(b);
            }
        }
    }
    out.extend_from_slice(b"\r\n");
    out
}

/// RFC 6376 §3.4.4: no whitespace at line ends, runs of it as one space,
/// no empty lines at the end, and a final CRLF unless the body is empty.
fn relaxed_body(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len());
    let mut empty_lines = 0;
    let text = body.strip_suffix(b"\r\n").unwrap_or(body);
    if body.is_empty() {
        return out;
    }
    for line in text.split(|b| *b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let mut canonical = Vec::with_capacity(line.len());
        let mut space = false;
        for &b in line {
            if b == b' ' || b == b'\t' {
                space = true;
            } else {
                if space {
                    canonical.push(b' ');
                }
                space = false;
                canonical.push(b);
            }
        }
        if canonical.is_empty() {
            empty_lines += 1;
            continue;
        }
        for _ in 0..empty_lines {
            out.extend_from_slice(b"\r\n");
        }
        empty_lines = 0;
        out.extend_from_slice(&canonical);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// An RSA public key as ring gives it (PKCS#1 RSAPublicKey DER) wrapped
/// in a SubjectPublicKeyInfo, the form DKIM's `p=` carries (RFC 6376 §3.6.1).
fn rsa_spki(pkcs1: &[u8]) -> Vec<u8> {
    fn der(tag: u8, content: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        let len = content.len();
        if len < 0x80 {
            out.push(len as u8);
        } else {
            let bytes: Vec<u8> = len
                .to_be_bytes()
                .into_iter()
                .skip_while(|b| *b == 0)
                .collect();
            out.push(0x80 | bytes.len() as u8);
            out.extend_from_slice(&bytes);
        }
        out.extend_from_slice(content);
        out
    }
    // AlgorithmIdentifier { rsaEncryption, NULL }
    const RSA_ALGORITHM: [u8; 15] = [
        0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
    ];
    let mut bits = vec![0u8];
    bits.extend_from_slice(pkcs1);
    let mut content = RSA_ALGORITHM.to_vec();
    content.extend_from_slice(&der(0x03, &bits));
    der(0x30, &content)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relaxed_canonicalization_follows_rfc_6376_examples() {
        // RFC 6376 §3.4.5.
        let head = b"A: X\r\nB : Y\t\r\n\tZ  \r\nSubject: Re:  hi\r\n";
        let fields = header_fields(head);
        assert_eq!(relaxed_header(fields[0].0, &fields[0].1), b"a:X\r\n");
        assert_eq!(relaxed_header(fields[1].0, &fields[1].1), b"b:Y Z\r\n");
        assert_eq!(
            relaxed_header(fields[2].0, &fields[2].1),
            b"subject:Re: hi\r\n"
        );
        assert_eq!(relaxed_body(b" C \r\nD \t E\r\n\r\n\r\n"), b" C\r\nD E\r\n");
        assert_eq!(relaxed_body(b""), b"");
        assert_eq!(relaxed_body(b"\r\n\r\n"), b"");
    }

    #[test]
    fn bad_keys_and_names_are_refused_with_a_reason() {
        let err = DkimSigner::from_pem("example.org", "s1", b"not a key").unwrap_err();
        assert!(err.contains("PEM"), "{err}");
        let err = DkimSigner::from_pem("localhost", "s1", b"").unwrap_err();
        assert!(err.contains("domain"), "{err}");
        let err = DkimSigner::from_pem("example.org", "a b", b"").unwrap_err();
        assert!(err.contains("selector"), "{err}");
    }
}
