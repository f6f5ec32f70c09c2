use super::Invalid;

/// An email address in the common `local@domain` form. The domain is
/// lowercased; the local part is kept as given (it may be case-sensitive).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EmailAddress(String);

impl EmailAddress {
    pub const MAX_LEN: usize = 254;

    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let s = input.trim();
        let invalid = || Invalid::new("invalid.email");
        if s.is_empty() {
            return Err(Invalid::new("invalid.required"));
        }
        if s.len() > Self::MAX_LEN {
            return Err(Invalid::new("invalid.too_long")
                .with("max", Self::MAX_LEN)
                .with("actual", s.chars().count()));
        }
        let (local, domain) = s.rsplit_once('@').ok_or_else(invalid)?;
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local
                .chars()
                .all(|c| c.is_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c));
        let domain_ok = domain.len() <= 253
            && domain.contains('.')
            && domain.split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label.chars().all(|c| c.is_alphanumeric() || c == '-')
            });
        if !local_ok || !domain_ok {
            return Err(invalid());
        }
        // A local part beyond ASCII needs a relay with SMTPUTF8, which the
        // mailer cannot count on: the message would fail for good after the
        // guest has left. (Most often it is a full-width ａｂｃ typed with
        // the Japanese input on.) A domain in Japanese is kept as typed and
        // sent in its ASCII (punycode) form, which every relay takes.
        if !local.is_ascii() {
            return Err(Invalid::new("invalid.email_ascii"));
        }
        let address = format!("{local}@{}", domain.to_lowercase());
        // What the mailer will not take must not be accepted here either.
        match ascii_form(&address) {
            Some(ascii) if ascii.parse::<lettre::Address>().is_ok() => Ok(Self(address)),
            _ => Err(invalid()),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The address as an SMTP envelope carries it: the domain in its ASCII
/// (punycode) form. None when the domain has none.
pub fn ascii_form(address: &str) -> Option<String> {
    let (local, domain) = address.rsplit_once('@')?;
    match url::Host::parse(domain) {
        Ok(url::Host::Domain(ascii)) => Some(format!("{local}@{ascii}")),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_addresses_and_lowercases_the_domain() {
        assert_eq!(
            EmailAddress::parse(" Taro.Yamada+events@LINK-J.example.JP ")
                .unwrap()
                .as_str(),
            "Taro.Yamada+events@link-j.example.jp"
        );
    }

    #[test]
    fn refuses_malformed_and_injected_addresses() {
        for bad in [
            "",
            "no-at-sign",
            "a@b",
            "@example.com",
            "a@.example.com",
            "a..b@example.com",
            "a b@example.com",
            "a@example.com\r\nBcc: x@evil.test",
            "a@exa_mple.com",
            "<a@example.com>",
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad:?}");
        }
    }

    /// Every address accepted is one the mailer takes and any relay can
    /// deliver: ASCII only, a Japanese domain in its punycode form.
    #[test]
    fn accepted_addresses_are_ones_the_mailer_takes() {
        let japanese_domain = EmailAddress::parse("info@例え.JP").unwrap();
        assert_eq!(japanese_domain.as_str(), "info@例え.jp");
        assert_eq!(
            ascii_form(japanese_domain.as_str()).as_deref(),
            Some("info@xn--r8jz45g.jp")
        );
        for typed_in_full_width in ["ｈａｎａｋｏ@example.jp", "山田@example.jp"] {
            let refused = EmailAddress::parse(typed_in_full_width).unwrap_err();
            assert_eq!(refused.code, "invalid.email_ascii");
        }
        for ok in [
            "a.b+c@osaka-bio.example.jp",
            "x@例え.jp",
            "o'brien@example.ie",
        ] {
            let address = ascii_form(EmailAddress::parse(ok).unwrap().as_str()).unwrap();
            assert!(address.is_ascii());
            assert!(address.parse::<lettre::Address>().is_ok());
        }
    }
}
