//! Every user-facing string, in Japanese and English. Lookups of unknown keys
//! return the key itself (so a missing text is visible, not blank) and the
//! unit tests check that every key used in templates and code exists.

mod day;
mod messages;
mod partnering;
mod timefmt;

use std::collections::HashMap;
use std::sync::OnceLock;

pub use timefmt::{format_day_label, format_instant, format_range, format_time_short, month_title};

use crate::domain::Language;

fn table() -> &'static HashMap<&'static str, (&'static str, &'static str)> {
    static TABLE: OnceLock<HashMap<&'static str, (&'static str, &'static str)>> = OnceLock::new();
    TABLE.get_or_init(|| {
        messages::MESSAGES
            .iter()
            .chain(partnering::MESSAGES)
            .chain(day::MESSAGES)
            .map(|(k, ja, en)| (*k, (*ja, *en)))
            .collect()
    })
}

/// The message `key` in `lang`; an unknown key is shown as itself.
pub fn t(lang: Language, key: &str) -> &str {
    match table().get(key) {
        Some((ja, en)) => match lang {
            Language::Ja => ja,
            Language::En => en,
        },
        None => {
            tracing::warn!(key, "missing i18n key");
            key
        }
    }
}

/// The message `key` with its `{name}` slots filled from `args`.
/// Filled in one pass, so a value that itself contains `{name}` (an event
/// titled "… {when}") is kept as typed.
pub fn format(lang: Language, key: &str, args: &[(&str, String)]) -> String {
    let template = t(lang, key);
    let mut text = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        text.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let slot = after.find('}').and_then(|close| {
            let name = &after[..close];
            args.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, value)| (value, close))
        });
        match slot {
            Some((value, close)) => {
                text.push_str(value);
                rest = &after[close + 1..];
            }
            None => {
                text.push('{');
                rest = after;
            }
        }
    }
    text.push_str(rest);
    text
}

pub fn has_key(key: &str) -> bool {
    table().contains_key(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_filled_once_and_values_kept_as_typed() {
        let args = [
            ("room", "Hall {event}".to_owned()),
            ("event", "Forum {when}".to_owned()),
            ("when", "Tue 2 Dec".to_owned()),
        ];
        assert_eq!(
            format(Language::En, "conflict.room_booked", &args),
            "Hall {event} is already booked at this time by \"Forum {when}\" (Tue 2 Dec)."
        );
        // A slot without a value stays visible rather than vanishing.
        assert_eq!(
            format(Language::En, "conflict.room_booked", &[])
                .matches('{')
                .count(),
            3
        );
    }

    #[test]
    fn every_message_has_both_languages_and_keys_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for (key, ja, en) in messages::MESSAGES
            .iter()
            .chain(partnering::MESSAGES)
            .chain(day::MESSAGES)
        {
            assert!(seen.insert(key), "duplicate key {key}");
            assert!(
                !ja.trim().is_empty() && !en.trim().is_empty(),
                "{key} lacks a translation"
            );
        }
    }

    #[test]
    fn placeholders_are_filled() {
        let text = format(
            Language::En,
            "invalid.too_long",
            &[("max", "200".into()), ("actual", "201".into())],
        );
        assert!(text.contains("200") && !text.contains('{'), "{text}");
        let ja = format(
            Language::Ja,
            "invalid.too_long",
            &[("max", "200".into()), ("actual", "201".into())],
        );
        assert!(ja.contains("200") && ja.contains("文字"), "{ja}");
    }

    /// Every key used in templates and code exists, so no page or mail
    /// shows a raw key: the arguments of `t("…")`, `Invalid::new("…")` and
    /// `Field::new("…")` (its label `field.…`), and every string literal in
    /// the code shaped like a key of a known group (`reminder.in_days`).
    /// Keys that are put together at run time are listed by their types
    /// (`label_key`, `MailKind::text_keys`) and checked in their tests.
    #[test]
    fn keys_used_in_templates_and_code_exist() {
        let roots = [
            concat!(env!("CARGO_MANIFEST_DIR"), "/templates"),
            concat!(env!("CARGO_MANIFEST_DIR"), "/src"),
        ];
        let groups: std::collections::HashSet<&str> = messages::MESSAGES
            .iter()
            .filter_map(|(k, _, _)| k.split('.').next())
            .collect();
        let is_key = |s: &str| {
            s.contains('.')
                && !s.ends_with(".html")
                && !s.ends_with(".txt")
                && s.split('.').all(|part| {
                    !part.is_empty()
                        && part
                            .chars()
                            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
                })
        };
        let mut missing = Vec::new();
        let mut checked = 0;
        let mut stack: Vec<std::path::PathBuf> = roots.iter().map(Into::into).collect();
        while let Some(path) = stack.pop() {
            if path.is_dir() {
                stack.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
                continue;
            }
            if path.ends_with("messages.rs") || path.ends_with("i18n/mod.rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            let mut used = Vec::new();
            for (pattern, prefix) in [
                ("t(\"", ""),
                ("tr(\"", ""),
                ("Invalid::new(\"", ""),
                ("Field::new(\"", "field."),
            ] {
                for piece in text.split(pattern).skip(1) {
                    let key = piece.split('"').next().unwrap_or_default();
                    if prefix.is_empty() && !key.contains('.') || key.contains(' ') {
                        continue;
                    }
                    used.push(format!("{prefix}{key}"));
                }
            }
            if path.extension().is_some_and(|e| e == "rs") {
                for literal in text.split('"').skip(1).step_by(2) {
                    // (A label prefix such as "registration.status" is not a key.)
                    let prefix = format!("{literal}.");
                    let is_prefix = messages::MESSAGES
                        .iter()
                        .any(|(k, _, _)| k.starts_with(&prefix));
                    if is_key(literal)
                        && !is_prefix
                        && groups.contains(literal.split('.').next().unwrap())
                    {
                        used.push(literal.to_owned());
                    }
                }
            }
            for key in used {
                checked += 1;
                if !has_key(&key) {
                    missing.push(format!("{}: {key}", path.display()));
                }
            }
        }
        assert!(
            checked > 300,
            "only {checked} keys found: is the scan broken?"
        );
        assert!(
            missing.is_empty(),
            "missing i18n keys:\n{}",
            missing.join("\n")
        );
    }
}
