//! Values only meetings have.

use super::Invalid;

/// The languages an interpreter works between, e.g. `ja-en`: two
/// different ISO 639 codes (two or three lowercase letters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LanguagePair(String);

impl LanguagePair {
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let s = input.trim().to_ascii_lowercase();
        let code =
            |c: &str| (2..=3).contains(&c.len()) && c.bytes().all(|b| b.is_ascii_lowercase());
        match s.split_once('-') {
            Some((a, b)) if code(a) && code(b) && a != b => Ok(Self(s)),
            _ => Err(Invalid::new("invalid.language_pair")),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The two codes, e.g. `("ja", "en")`.
    pub fn languages(&self) -> (&str, &str) {
        self.0.split_once('-').unwrap_or((&self.0, ""))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_different_language_codes() {
        assert_eq!(LanguagePair::parse(" JA-en ").unwrap().as_str(), "ja-en");
        assert_eq!(
            LanguagePair::parse("ja-deu").unwrap().languages(),
            ("ja", "deu")
        );
        for bad in [
            "ja",
            "ja-ja",
            "japanese-english",
            "ja_en",
            "j-en",
            "ja-en-de",
            "",
        ] {
            assert!(LanguagePair::parse(bad).is_err(), "{bad:?}");
        }
    }
}
