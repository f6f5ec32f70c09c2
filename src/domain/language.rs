use super::Invalid;

/// The two languages musubi speaks; Japanese is the default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Language {
    #[default]
    Ja,
    En,
}

impl Language {
    pub const ALL: [Language; 2] = [Language::Ja, Language::En];

    pub fn parse(input: &str) -> Result<Self, Invalid> {
        match input.trim() {
            "ja" => Ok(Language::Ja),
            "en" => Ok(Language::En),
            _ => Err(Invalid::new("invalid.choice").with("allowed", "ja, en")),
        }
    }

    /// Picks the first supported language of an Accept-Language header,
    /// honouring q-values (`en-GB;q=0.9, ja;q=0.8` → en).
    pub fn from_accept_language(header: &str) -> Option<Self> {
        let mut ranked: Vec<(f32, usize, Language)> = header
            .split(',')
            .enumerate()
            .filter_map(|(position, part)| {
                let mut pieces = part.trim().split(';');
                let tag = pieces.next()?.trim().to_ascii_lowercase();
                let q = pieces
                    .find_map(|p| {
                        p.trim()
                            .strip_prefix("q=")
                            .and_then(|v| v.parse::<f32>().ok())
                    })
                    .unwrap_or(1.0);
                let primary = tag.split('-').next()?;
                let lang = match primary {
                    "ja" => Language::Ja,
                    "en" => Language::En,
                    _ => return None,
                };
                (q > 0.0).then_some((q, position, lang))
            })
            .collect();
        ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        ranked.first().map(|r| r.2)
    }

    /// The language of a page for a browser's Accept-Language: Japanese or
    /// English as it prefers; a browser that asks for neither belongs to
    /// an overseas visitor and gets English. An empty header or `*` says
    /// nothing, and musubi's default (Japanese) stands.
    pub fn negotiate(header: &str) -> Self {
        if let Some(lang) = Self::from_accept_language(header) {
            return lang;
        }
        let says_something = header
            .split(',')
            .map(|part| part.split(';').next().unwrap_or("").trim())
            .any(|tag| !tag.is_empty() && tag != "*");
        if says_something {
            Language::En
        } else {
            Language::default()
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Language::Ja => "ja",
            Language::En => "en",
        }
    }

    /// The message key of the language's own name.
    pub fn label_key(self) -> &'static str {
        match self {
            Language::Ja => "language.ja",
            Language::En => "language.en",
        }
    }

    pub fn other(self) -> Self {
        match self {
            Language::Ja => Language::En,
            Language::En => Language::Ja,
        }
    }

    /// Picks the text in this language from a ja/en pair, falling back to
    /// the other one when this one is empty.
    pub fn pick<'a>(self, ja: &'a str, en: &'a str) -> &'a str {
        match self {
            Language::Ja if !ja.is_empty() => ja,
            Language::En if !en.is_empty() => en,
            Language::Ja => en,
            Language::En => ja,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_respects_quality() {
        assert_eq!(
            Language::from_accept_language("en-GB;q=0.9, ja;q=0.95"),
            Some(Language::Ja)
        );
        assert_eq!(
            Language::from_accept_language("de-DE, en-US;q=0.7, ja;q=0.3"),
            Some(Language::En)
        );
        assert_eq!(Language::from_accept_language("fr, de"), None);
        assert_eq!(Language::negotiate("fr-FR, de;q=0.8"), Language::En);
        assert_eq!(Language::negotiate("ja-JP"), Language::Ja);
        assert_eq!(Language::negotiate(""), Language::Ja);
        assert_eq!(Language::negotiate("*"), Language::Ja);
        assert_eq!(Language::from_accept_language("en;q=0"), None);
    }

    #[test]
    fn pick_falls_back_to_the_other_language() {
        assert_eq!(Language::En.pick("中之島", ""), "中之島");
        assert_eq!(Language::Ja.pick("中之島", "Nakanoshima"), "中之島");
    }
}
