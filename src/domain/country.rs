use super::Invalid;

/// ISO 3166-1 alpha-2 officially assigned codes.
const CODES: &str = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ \
CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR \
GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP \
KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT \
MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW \
SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG \
UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW";

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
        if code.len() == 2 && CODES.split(' ').any(|c| c == code) {
            let b = code.as_bytes();
            Ok(Self([b[0], b[1]]))
        } else {
            Err(Invalid::new("invalid.country"))
        }
    }

    pub fn as_str(&self) -> &str {
        // Both bytes come from CODES, which is ASCII.
        std::str::from_utf8(&self.0).unwrap_or("??")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knows_all_assigned_codes() {
        assert_eq!(CODES.split(' ').count(), 249);
        assert_eq!(Country::parse("jp").unwrap().as_str(), "JP");
        assert_eq!(Country::parse("DE").unwrap().as_str(), "DE");
        for bad in ["", "J", "JPN", "XX", "UK", "日本"] {
            assert!(Country::parse(bad).is_err(), "{bad:?}");
        }
    }
}
