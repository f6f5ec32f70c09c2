use super::Invalid;

/// Unicode's Bidi_Control characters: embedding, override and isolate
/// controls (U+202A–U+202E, U+2066–U+2069) and the marks U+200E, U+200F,
/// U+061C. Not "control" to Unicode, but they reorder what a reader sees
/// (a name that displays as another, a link that reads backwards).
fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}'
    )
}

/// Rejects control characters (bidirectional controls among them);
/// `allow_newlines` admits LF and TAB (after CRLF and lone CR are folded to
/// LF) for multi-line text such as descriptions.
fn clean(input: &str, max_chars: usize, allow_newlines: bool) -> Result<String, Invalid> {
    let normalized = if allow_newlines {
        input.replace("\r\n", "\n").replace('\r', "\n")
    } else {
        input.to_owned()
    };
    let trimmed = normalized.trim();
    if trimmed.chars().any(|c| {
        c.is_control() && !(allow_newlines && (c == '\n' || c == '\t'))
            // U+2028/2029 break lines in some clients without being "control".
            || c == '\u{2028}'
            || c == '\u{2029}'
            || is_bidi_control(c)
    }) {
        return Err(Invalid::new("invalid.control_characters"));
    }
    let count = trimmed.chars().count();
    if count > max_chars {
        return Err(Invalid::new("invalid.too_long")
            .with("max", max_chars)
            .with("actual", count));
    }
    Ok(trimmed.to_owned())
}

macro_rules! text_type {
    ($(#[$doc:meta])* $name:ident, max = $max:expr, allow_empty = $empty:expr, multiline = $multi:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $name(String);

        impl $name {
            pub const MAX_CHARS: usize = $max;

            pub fn parse(input: &str) -> Result<Self, Invalid> {
                let value = clean(input, $max, $multi)?;
                if !$empty && value.is_empty() {
                    return Err(Invalid::new("invalid.required"));
                }
                Ok(Self(value))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_inner(self) -> String {
                self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

text_type!(
    /// A one-line, non-empty name or title (organizations, venues, events).
    Name, max = 200, allow_empty = false, multiline = false
);
text_type!(
    /// A room's name, short enough for a badge.
    RoomName, max = 100, allow_empty = false, multiline = false
);
text_type!(
    /// A short one-line label ("Zoom", "Microsoft Teams").
    Label, max = 60, allow_empty = false, multiline = false
);
text_type!(
    /// Free multi-line text; may be empty.
    Description, max = 10_000, allow_empty = true, multiline = true
);

/// Number of people a room or an event holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Capacity(i32);

impl Capacity {
    pub const MAX: i64 = 100_000;

    pub fn parse(value: i64) -> Result<Self, Invalid> {
        if !(1..=Self::MAX).contains(&value) {
            return Err(Invalid::new("invalid.capacity").with("max", Self::MAX));
        }
        Ok(Self(value as i32))
    }

    /// Form fields arrive as text.
    pub fn parse_text(input: &str) -> Result<Self, Invalid> {
        input
            .trim()
            .parse::<i64>()
            .map_err(|_| Invalid::new("invalid.number"))
            .and_then(Self::parse)
    }

    pub fn get(self) -> i32 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded_in_characters_not_bytes() {
        assert_eq!(Name::parse("  結び  ").unwrap().as_str(), "結び");
        // 200 three-byte characters are fine: the limit counts characters.
        assert!(Name::parse(&"大".repeat(200)).is_ok());
        let err = Name::parse(&"大".repeat(201)).unwrap_err();
        assert_eq!(err.code, "invalid.too_long");
        assert_eq!(Name::parse("   ").unwrap_err().code, "invalid.required");
    }

    #[test]
    fn control_characters_and_line_breaks_are_refused_in_names() {
        for bad in [
            "a\r\nBcc: x@example.com",
            "a\nb",
            "a\u{0}b",
            "a\u{1b}[31m",
            "a\u{2028}b",
            // "Evil\u{202E}gpj.exe" displays as "Evilexe.jpg".
            "Evil\u{202E}gpj.exe",
            "a\u{202A}b",
            "a\u{202B}b",
            "a\u{202C}b",
            "a\u{202D}b",
            "a\u{2066}b",
            "a\u{2067}b",
            "a\u{2068}b",
            "a\u{2069}b",
            "a\u{200E}b",
            "a\u{200F}b",
            "a\u{061C}b",
        ] {
            assert_eq!(
                Name::parse(bad).unwrap_err().code,
                "invalid.control_characters",
                "{bad:?}"
            );
        }
    }

    #[test]
    fn descriptions_refuse_bidirectional_controls_too() {
        assert_eq!(
            Description::parse("一行目\n\u{2067}二行目")
                .unwrap_err()
                .code,
            "invalid.control_characters"
        );
        // Ordinary right-to-left text is fine; only the controls are refused.
        assert!(Name::parse("شركة أوساكا").is_ok());
    }

    #[test]
    fn descriptions_keep_newlines_but_fold_cr() {
        let d = Description::parse("一行目\r\n二行目\rthird").unwrap();
        assert_eq!(d.as_str(), "一行目\n二行目\nthird");
        assert!(Description::parse("").is_ok());
        assert!(Description::parse("bell\u{7}").is_err());
    }

    #[test]
    fn capacity_is_positive_and_bounded() {
        assert_eq!(Capacity::parse(40).unwrap().get(), 40);
        assert!(Capacity::parse(0).is_err());
        assert!(Capacity::parse(-3).is_err());
        assert!(Capacity::parse(100_001).is_err());
        assert_eq!(Capacity::parse_text(" 12 ").unwrap().get(), 12);
        assert_eq!(
            Capacity::parse_text("twelve").unwrap_err().code,
            "invalid.number"
        );
    }
}
