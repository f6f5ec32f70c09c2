use super::Invalid;

/// A closed set of values stored as snake_case text; each has an i18n label
/// under `<prefix>.<value>`.
macro_rules! text_enum {
    ($(#[$doc:meta])* $name:ident, $code:literal, $label:literal { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn parse(input: &str) -> Result<Self, Invalid> {
                match input.trim() {
                    $($text => Ok($name::$variant),)+
                    "" => Err(Invalid::new("invalid.required")),
                    _ => Err(Invalid::new($code).with("allowed", [$($text),+].join(", "))),
                }
            }

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// The i18n key of its human label.
            pub fn label_key(self) -> &'static str {
                match self { $($name::$variant => concat!($label, ".", $text)),+ }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

text_enum!(
    /// What an organization is, for listing and filtering.
    OrganizationKind, "invalid.choice", "organization_kind" {
        Organizer => "organizer",
        Company => "company",
        ResearchInstitute => "research_institute",
        Government => "government",
    }
);

text_enum!(
    /// The format of an event; also its iCal CATEGORIES.
    EventKind, "invalid.choice", "event_kind" {
        Seminar => "seminar",
        Networking => "networking",
        Partnering => "partnering",
        BusinessMeeting => "business_meeting",
    }
);

text_enum!(
    /// Lifecycle: only published and cancelled events are public.
    EventStatus, "invalid.choice", "event_status" {
        Draft => "draft",
        Published => "published",
        Cancelled => "cancelled",
    }
);

impl EventStatus {
    pub fn is_public(self) -> bool {
        !matches!(self, EventStatus::Draft)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_names_the_allowed_values() {
        for kind in EventKind::ALL {
            assert_eq!(EventKind::parse(kind.as_str()).unwrap(), *kind);
        }
        let err = EventKind::parse("party").unwrap_err();
        assert_eq!(err.code, "invalid.choice");
        assert!(err.args[0].1.contains("business_meeting"));
        assert_eq!(
            OrganizationKind::Government.label_key(),
            "organization_kind.government"
        );
        assert!(!EventStatus::Draft.is_public());
    }
}
