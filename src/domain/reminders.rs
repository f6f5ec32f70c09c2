use super::Invalid;

/// When reminders go out: minutes before an event's start, largest first,
/// without repeats. Stored as `1440,60`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReminderOffsets(Vec<i32>);

impl ReminderOffsets {
    pub const MAX_COUNT: usize = 5;
    /// 30 days.
    pub const MAX_MINUTES: i32 = 43_200;

    /// One day and one hour before the start.
    pub fn standard() -> Self {
        Self(vec![1440, 60])
    }

    pub fn new(minutes: impl IntoIterator<Item = i64>) -> Result<Self, Invalid> {
        let mut offsets = Vec::new();
        for m in minutes {
            if !(1..=i64::from(Self::MAX_MINUTES)).contains(&m) {
                return Err(Invalid::new("invalid.reminder_offset")
                    .with("max", Self::MAX_MINUTES)
                    .with("value", m));
            }
            let m = m as i32;
            if !offsets.contains(&m) {
                offsets.push(m);
            }
        }
        if offsets.len() > Self::MAX_COUNT {
            return Err(Invalid::new("invalid.reminder_count").with("max", Self::MAX_COUNT));
        }
        offsets.sort_unstable_by(|a, b| b.cmp(a));
        Ok(Self(offsets))
    }

    /// `1440, 60` (commas or spaces); empty means no reminders.
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let mut minutes = Vec::new();
        for part in input
            .split([',', ' ', '、'])
            .filter(|p| !p.trim().is_empty())
        {
            let m = part.trim().parse::<i64>().map_err(|_| {
                Invalid::new("invalid.reminder_offset_number").with("value", part.trim())
            })?;
            minutes.push(m);
        }
        Self::new(minutes)
    }

    /// Reads the stored form; anything unreadable counts as the standard.
    pub fn from_stored(stored: &str) -> Self {
        Self::parse(stored).unwrap_or_else(|_| Self::standard())
    }

    pub fn minutes(&self) -> &[i32] {
        &self.0
    }

    pub fn to_stored(&self) -> String {
        self.0
            .iter()
            .map(i32::to_string)
            .collect::<Vec<_>>()
            .join(",")
    }
}

impl Default for ReminderOffsets {
    fn default() -> Self {
        Self::standard()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sorts_and_dedups_minutes() {
        let r = ReminderOffsets::parse(" 60, 1440 ,60").unwrap();
        assert_eq!(r.minutes(), &[1440, 60]);
        assert_eq!(r.to_stored(), "1440,60");
        assert_eq!(ReminderOffsets::parse("").unwrap().minutes(), &[] as &[i32]);
        assert_eq!(
            ReminderOffsets::from_stored("1440,60"),
            ReminderOffsets::standard()
        );
    }

    #[test]
    fn refuses_nonsense() {
        assert_eq!(
            ReminderOffsets::parse("0").unwrap_err().code,
            "invalid.reminder_offset"
        );
        assert_eq!(
            ReminderOffsets::parse("soon").unwrap_err().code,
            "invalid.reminder_offset_number"
        );
        assert_eq!(
            ReminderOffsets::parse("1,2,3,4,5,6").unwrap_err().code,
            "invalid.reminder_count"
        );
        assert!(ReminderOffsets::parse("43201").is_err());
    }
}
