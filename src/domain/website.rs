use super::Invalid;

/// An http(s) URL, as a public website link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Website(String);

impl Website {
    pub const MAX_LEN: usize = 500;

    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let s = input.trim();
        if s.len() > Self::MAX_LEN {
            return Err(Invalid::new("invalid.too_long")
                .with("max", Self::MAX_LEN)
                .with("actual", s.chars().count()));
        }
        match url::Url::parse(s) {
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.host_str().is_some() => {
                Ok(Self(url.to_string()))
            }
            _ => Err(Invalid::new("invalid.url")),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_http_and_https_with_a_host() {
        assert_eq!(
            Website::parse("https://www.link-j.org/west")
                .unwrap()
                .as_str(),
            "https://www.link-j.org/west"
        );
        for bad in [
            "javascript:alert(1)",
            "ftp://x.example",
            "not a url",
            "https://",
        ] {
            assert!(Website::parse(bad).is_err(), "{bad:?}");
        }
    }
}
