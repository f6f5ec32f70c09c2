//! Tokens in guests' links (manage page, personal feed, unsubscribe) are
//! derived from one secret key with HMAC-SHA256, so that the mail worker can
//! put them in any later message while the database keeps only their SHA-256.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

use crate::config::SecretKey;
use crate::db::{self, DbConn};
use crate::domain::{AttendeeId, RegistrationId, Token, UserId};
use crate::error::AppError;

const STORED_KEY: &str = "link_tokens";

#[derive(Clone)]
pub struct LinkKeys {
    key: Vec<u8>,
}

impl std::fmt::Debug for LinkKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LinkKeys(<redacted>)")
    }
}

impl LinkKeys {
    /// The configured key, or the one kept in the database (created on first use).
    pub fn load(conn: &mut DbConn, configured: Option<&SecretKey>) -> Result<Self, AppError> {
        if let Some(key) = configured {
            return Ok(Self {
                key: key.bytes().to_vec(),
            });
        }
        let mut fresh = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut fresh);
        let stored = db::keys::get_or_insert(conn, STORED_KEY, &STANDARD.encode(fresh))?;
        let key = STANDARD
            .decode(stored.trim())
            .map_err(|e| anyhow::anyhow!("the stored link key is not base64: {e}"))?;
        Ok(Self { key })
    }

    fn derive(&self, purpose: &str, parts: &[&str]) -> Token {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(purpose.as_bytes());
        for part in parts {
            mac.update(&[0]);
            mac.update(part.as_bytes());
        }
        Token::from_bytes(mac.finalize().into_bytes().into())
    }

    /// The token of a registration's manage page (and its one-click unsubscribe).
    pub fn registration(&self, registration_id: &RegistrationId) -> Token {
        self.derive("registration", &[registration_id.as_str()])
    }

    /// The token of a registration's check-in link (the QR code the guest
    /// shows at the reception): it opens nothing but the check-in page,
    /// and only an organizer's session can check in with it.
    pub fn check_in(&self, registration_id: &RegistrationId) -> Token {
        self.derive("check-in", &[registration_id.as_str()])
    }

    /// The token of a meeting attendee's own page (and its unsubscribe
    /// link); a new generation retires the old link.
    pub fn attendee(&self, attendee_id: &AttendeeId, generation: i32) -> Token {
        self.derive("attendee", &[attendee_id.as_str(), &generation.to_string()])
    }

    /// The token of an organizer's staff calendar; a new generation retires the old URL.
    pub fn staff_feed(&self, user_id: &UserId, generation: i32) -> Token {
        self.derive("staff-feed", &[user_id.as_str(), &generation.to_string()])
    }

    /// The token of a guest's personal feed; a new generation retires the old URL.
    pub fn feed(&self, email_key: &str, generation: i32) -> Token {
        self.derive("feed", &[email_key, &generation.to_string()])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_stable_per_input_and_differ_by_purpose_and_key() {
        let a = LinkKeys { key: vec![1; 32] };
        let b = LinkKeys { key: vec![2; 32] };
        assert_eq!(
            a.registration(&"r1".into()).expose(),
            a.registration(&"r1".into()).expose()
        );
        assert_ne!(
            a.registration(&"r1".into()).expose(),
            a.registration(&"r2".into()).expose()
        );
        assert_ne!(
            a.registration(&"r1".into()).expose(),
            b.registration(&"r1".into()).expose()
        );
        assert_ne!(
            a.feed("x@example.jp", 1).expose(),
            a.feed("x@example.jp", 2).expose()
        );
        assert_eq!(a.feed("x@example.jp", 1).expose().len(), 43);
        assert!(Token::parse(a.feed("x@example.jp", 1).expose()).is_ok());
    }
}
