use super::Invalid;

use super::Language;
use super::country_table::COUNTRIES;

/// (code, Japanese name, reading, English name, zones).
type Row = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static [&'static str],
);

/// A country as its ISO 3166-1 alpha-2 code, uppercase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Country([u8; 2]);

impl Country {
    pub const JAPAN: Country = Country(*b"JP");

    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let code = input.trim().to_ascii_uppercase();
        if code.is_empty() {
            return Err(Invalid::new("invalid.required"));
        }
        if code.len() == 2 && COUNTRIES.iter().any(|c| c.0 == code) {
            let b = code.as_bytes();
            Ok(Self([b[0], b[1]]))
        } else {
            Err(Invalid::new("invalid.country"))
        }
    }

    pub fn as_str(&self) -> &str {
        // Both bytes come from the table's codes, which are ASCII.
        std::str::from_utf8(&self.0).unwrap_or("??")
    }

    fn row(&self) -> &'static Row {
        // Only `parse` makes a Country, from a code of the table.
        static UNKNOWN: Row = ("??", "?", "?", "?", &[]);
        COUNTRIES
            .iter()
            .find(|c| c.0.as_bytes() == self.0)
            .unwrap_or(&UNKNOWN)
    }

    /// The short name in `lang`: 韓国 / South Korea.
    pub fn name(&self, lang: Language) -> &'static str {
        match lang {
            Language::Ja => self.row().1,
            Language::En => self.row().3,
        }
    }

    /// The country's zones in the tz database: the one most of its people
    /// live in first, then the database's order (empty for uninhabited
    /// territories).
    pub fn zones(&self) -> &'static [&'static str] {
        self.row().4
    }

    /// Every country as (code, name) for a form's select: Japan first, then
    /// the rest in the order of `lang` (五十音順 by reading in Japanese).
    pub fn choices(lang: Language) -> Vec<(&'static str, &'static str)> {
        let mut rows: Vec<_> = COUNTRIES.iter().filter(|c| c.0 != "JP").collect();
        match lang {
            Language::Ja => rows.sort_by(|a, b| a.2.cmp(b.2)),
            Language::En => rows.sort_by_key(|c| sort_key_en(c.3)),
        }
        let japan = Self::JAPAN;
        std::iter::once((japan.as_str_static(), japan.name(lang)))
            .chain(rows.into_iter().map(|c| {
                (
                    c.0,
                    match lang {
                        Language::Ja => c.1,
                        Language::En => c.3,
                    },
                )
            }))
            .collect()
    }

    /// Every zone of every country, sorted, each once.
    pub fn all_zones() -> Vec<&'static str> {
        let mut zones: Vec<&'static str> =
            COUNTRIES.iter().flat_map(|c| c.4.iter().copied()).collect();
        zones.sort_unstable();
        zones.dedup();
        zones
    }

    fn as_str_static(&self) -> &'static str {
        self.row().0
    }
}

/// English names sort without accents (Åland with the A's, Côte d'Ivoire
/// with the C's).
fn sort_key_en(name: &str) -> String {
    name.chars()
        .map(|c| match c {
            'Å' | 'Ä' | 'Á' => 'A',
            'Ç' => 'C',
            'É' => 'E',
            'ô' => 'o',
            'é' => 'e',
            'ü' => 'u',
            other => other,
        })
        .collect::<String>()
        .to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knows_all_assigned_codes() {
        assert_eq!(COUNTRIES.len(), 249);
        assert_eq!(Country::parse("jp").unwrap().as_str(), "JP");
        assert_eq!(Country::parse("DE").unwrap().as_str(), "DE");
        for bad in ["", "J", "JPN", "XX", "UK", "日本"] {
            assert!(Country::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn names_zones_and_choices() {
        let de = Country::parse("DE").unwrap();
        assert_eq!(
            (de.name(Language::Ja), de.name(Language::En)),
            ("ドイツ", "Germany")
        );
        assert_eq!(de.zones()[0], "Europe/Berlin");
        assert_eq!(Country::parse("KR").unwrap().name(Language::Ja), "韓国");
        assert_eq!(Country::parse("US").unwrap().zones()[0], "America/New_York");
        for lang in Language::ALL {
            let choices = Country::choices(lang);
            assert_eq!(choices.len(), 249);
            assert_eq!(choices[0].0, "JP", "Japan first");
            let names: Vec<_> = choices.iter().map(|c| c.1).collect();
            let pos = |n: &str| names.iter().position(|x| *x == n).unwrap();
            match lang {
                // 五十音順: アイスランド … イギリス … カナダ … 韓国 … ドイツ
                Language::Ja => assert!(
                    pos("アイスランド") < pos("イギリス")
                        && pos("カナダ") < pos("韓国")
                        && pos("韓国") < pos("ドイツ")
                ),
                Language::En => assert!(
                    pos("Afghanistan") == 1
                        && pos("Åland Islands") < pos("Albania")
                        && pos("Germany") < pos("Ghana")
                ),
            }
        }
        // Every zone of the table is one the server knows.
        for (code, ..) in COUNTRIES {
            for zone in Country::parse(code).unwrap().zones() {
                assert!(super::super::TimeZone::parse(zone).is_ok(), "{zone}");
            }
        }
    }
}
