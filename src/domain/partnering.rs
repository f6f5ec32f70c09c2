//! Partnering-day values: categories a profile offers or seeks, request
//! priorities, and the slots cut from the meeting windows.

use chrono::{DateTime, Duration, Utc};

use super::{Category, Invalid};

/// A set of categories, in the fixed list's order; stored comma-separated.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Categories(Vec<Category>);

impl Categories {
    /// From codes (a form's checkboxes or a JSON list); unknown ones are an error.
    pub fn parse<S: AsRef<str>>(codes: &[S]) -> Result<Categories, Invalid> {
        let mut set = Vec::new();
        for code in codes {
            let c = Category::parse(code.as_ref())?;
            if !set.contains(&c) {
                set.push(c);
            }
        }
        set.sort();
        Ok(Categories(set))
    }

    /// From the stored text; an unknown code there is an error.
    pub fn from_stored(stored: &str) -> Result<Categories, String> {
        let codes: Vec<&str> = stored.split(',').filter(|c| !c.is_empty()).collect();
        Categories::parse(&codes).map_err(|_| format!("{stored:?} is not a stored category list"))
    }

    pub fn to_stored(&self) -> String {
        self.0
            .iter()
            .map(|c| c.as_str())
            .collect::<Vec<_>>()
            .join(",")
    }

    pub fn iter(&self) -> impl Iterator<Item = Category> + '_ {
        self.0.iter().copied()
    }

    pub fn contains(&self, c: Category) -> bool {
        self.0.contains(&c)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The categories in both sets.
    pub fn common(&self, other: &Categories) -> Vec<Category> {
        self.iter().filter(|c| other.contains(*c)).collect()
    }
}

/// How much a request matters to the organizers: 1 (least) to 5, default 3.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Priority(u8);

impl Priority {
    pub const DEFAULT: Priority = Priority(3);

    pub fn parse(n: i64) -> Result<Priority, Invalid> {
        if (1..=5).contains(&n) {
            Ok(Priority(n as u8))
        } else {
            Err(Invalid::new("invalid.priority"))
        }
    }

    pub fn get(self) -> u8 {
        self.0
    }
}

/// A span of time in which meetings are held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}

/// One meeting slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}

/// The slots of a partnering day: each window cut into slots of
/// `slot_minutes`, with `gap_minutes` between them, in time order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotPlan {
    pub slots: Vec<Slot>,
}

impl SlotPlan {
    /// At most this many slots (a long day of 5-minute slots).
    pub const MAX_SLOTS: usize = 200;

    pub fn cut(windows: &[Window], slot_minutes: i64, gap_minutes: i64) -> SlotPlan {
        let mut windows = windows.to_vec();
        windows.sort_by_key(|w| w.starts_at);
        let (len, step) = (
            Duration::minutes(slot_minutes),
            Duration::minutes(slot_minutes + gap_minutes),
        );
        let mut slots = Vec::new();
        for w in windows {
            let mut start = w.starts_at;
            while start + len <= w.ends_at && slots.len() <= Self::MAX_SLOTS {
                slots.push(Slot {
                    starts_at: start,
                    ends_at: start + len,
                });
                start += step;
            }
        }
        SlotPlan { slots }
    }

    /// The index of the slot starting at `at`.
    pub fn index_of(&self, at: DateTime<Utc>) -> Option<usize> {
        self.slots.iter().position(|s| s.starts_at == at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        // 13:00 JST is 04:00 UTC.
        Utc.with_ymd_and_hms(2026, 12, 8, h - 9, m, 0).unwrap()
    }

    #[test]
    fn windows_are_cut_into_slots_with_gaps() {
        let plan = SlotPlan::cut(
            &[
                Window {
                    starts_at: at(15, 30),
                    ends_at: at(17, 30),
                },
                Window {
                    starts_at: at(13, 0),
                    ends_at: at(15, 0),
                },
            ],
            25,
            5,
        );
        // 13:00, 13:30, 14:00, 14:30 (ends 14:55), then 15:30 … 17:00.
        assert_eq!(plan.slots.len(), 8);
        assert_eq!(plan.slots[0].starts_at, at(13, 0));
        assert_eq!(plan.slots[3].ends_at, at(14, 55));
        assert_eq!(plan.slots[4].starts_at, at(15, 30));
        assert_eq!(plan.index_of(at(16, 0)), Some(5));
        assert_eq!(plan.index_of(at(16, 5)), None);
    }

    #[test]
    fn categories_are_a_sorted_set_and_unknown_ones_are_refused() {
        let c = Categories::parse(&["investment", "therapeutics", "investment"]).unwrap();
        assert_eq!(c.to_stored(), "therapeutics,investment");
        assert_eq!(Categories::from_stored(&c.to_stored()).unwrap(), c);
        assert!(Categories::parse(&["cosmetics"]).is_err());
        assert!(Categories::from_stored("").unwrap().is_empty());
        let d = Categories::parse(&["investment", "diagnostics"]).unwrap();
        assert_eq!(c.common(&d), vec![Category::Investment]);
        assert!(Priority::parse(0).is_err() && Priority::parse(6).is_err());
        assert_eq!(Priority::parse(5).unwrap().get(), 5);
    }
}
