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

/// The join link of an online or hybrid event: https only (the link is a
/// guest's key to the room, so it never travels in clear text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinUrl(String);

impl JoinUrl {
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let site = Website::parse(input)?;
        if site.as_str().starts_with("https://") {
            Ok(Self(site.0))
        } else {
            Err(Invalid::new("invalid.https_only"))
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
    fn join_links_are_https_only() {
        assert_eq!(
            JoinUrl::parse(" https://zoom.us/j/123?pwd=abc ")
                .unwrap()
                .as_str(),
            "https://zoom.us/j/123?pwd=abc"
        );
        for bad in [
            "http://zoom.us/j/1",
            "javascript:alert(1)",
            "zoom.us/j/1",
            "",
        ] {
            assert!(JoinUrl::parse(bad).is_err(), "{bad:?}");
        }
    }

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
