use super::Invalid;

/// URL identifier of an organization, venue or event: lowercase ASCII letters,
/// digits and single hyphens, 1–80 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Slug(String);

/// Path words that would collide with fixed routes such as `/admin/events/new`.
const RESERVED: &[&str] = &["new", "edit", "admin", "api"];

impl Slug {
    pub const MAX_CHARS: usize = 80;

    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let s = input.trim();
        if s.is_empty() {
            return Err(Invalid::new("invalid.required"));
        }
        if s.len() > Self::MAX_CHARS {
            return Err(Invalid::new("invalid.too_long")
                .with("max", Self::MAX_CHARS)
                .with("actual", s.chars().count()));
        }
        let well_formed = s
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !s.starts_with('-')
            && !s.ends_with('-')
            && !s.contains("--");
        if !well_formed {
            return Err(Invalid::new("invalid.slug"));
        }
        if RESERVED.contains(&s) {
            return Err(Invalid::new("invalid.slug_reserved"));
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Slug {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_kebab_case() {
        assert_eq!(
            Slug::parse("osaka-bio-night-2026").unwrap().as_str(),
            "osaka-bio-night-2026"
        );
    }

    #[test]
    fn refuses_everything_else() {
        for bad in [
            "",
            "Osaka",
            "a b",
            "a--b",
            "-a",
            "a-",
            "中之島",
            "a/b",
            "a.ics",
            "new",
            &"a".repeat(81),
        ] {
            assert!(Slug::parse(bad).is_err(), "{bad:?}");
        }
    }
}
