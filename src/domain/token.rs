use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};

use super::Invalid;

/// A secret bearer value (API token, session, CSRF): 256 random bits,
/// base64url. Only its hash is stored; the value itself is never logged.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

/// SHA-256 of a token, hex: what the database keeps. A fast hash is right
/// here because tokens carry 256 bits of entropy, unlike passwords.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenHash(String);

impl Token {
    const BYTES: usize = 32;

    pub fn generate() -> Self {
        let mut bytes = [0u8; Self::BYTES];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        Self(URL_SAFE_NO_PAD.encode(bytes))
    }

    /// A token from 256 bits made elsewhere (a keyed hash).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(URL_SAFE_NO_PAD.encode(bytes))
    }

    pub fn parse(input: &str) -> Result<Self, Invalid> {
        match URL_SAFE_NO_PAD.decode(input.trim()) {
            Ok(bytes) if bytes.len() == Self::BYTES => Ok(Self(input.trim().to_owned())),
            _ => Err(Invalid::new("invalid.token")),
        }
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn hash(&self) -> TokenHash {
        TokenHash(hex_encode(&Sha256::digest(self.0.as_bytes())))
    }

    /// Constant-time comparison, for checks against a value the client sent.
    pub fn matches(&self, other: &str) -> bool {
        let (a, b) = (self.0.as_bytes(), other.as_bytes());
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

impl TokenHash {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn hex_encode(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_tokens_are_unique_parse_back_and_hash_stably() {
        let a = Token::generate();
        let b = Token::generate();
        assert_ne!(a.expose(), b.expose());
        assert_eq!(a.expose().len(), 43);
        let again = Token::parse(a.expose()).unwrap();
        assert_eq!(again.hash(), a.hash());
        assert_eq!(a.hash().as_str().len(), 64);
        assert!(a.matches(a.expose()));
        assert!(!a.matches(b.expose()));
        assert!(!format!("{a:?}").contains(a.expose()));
    }

    #[test]
    fn malformed_tokens_are_refused() {
        for bad in ["", "short", "!!!!", &"A".repeat(44)] {
            assert!(Token::parse(bad).is_err(), "{bad:?}");
        }
    }
}
