//! The closed sets of musubi: kinds and statuses. Each is stored as its
//! snake_case text on both backends (diesel `ToSql`/`FromSql` over `Text`,
//! the idea of vaultwarden's `impl_FromToSqlText!`); a stored value that is
//! not one of the set is an error when read, never silently another value.

use diesel::sql_types::Text;

use super::Invalid;

/// A closed set of values stored as snake_case text; each has an i18n label
/// under `<prefix>.<value>`.
macro_rules! text_enum {
    ($(#[$doc:meta])* $name:ident, $code:literal, $label:literal { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
            diesel::AsExpression, diesel::FromSqlRow,
            serde::Serialize, serde::Deserialize, utoipa::ToSchema,
        )]
        #[diesel(sql_type = Text)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        stored_as_text!($name);

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

            /// A stored value; one outside the set is an error.
            fn from_stored(stored: String) -> Result<Self, String> {
                Self::ALL
                    .iter()
                    .find(|v| v.as_str() == stored)
                    .copied()
                    .ok_or_else(|| format!("{stored:?} is not a stored {}", stringify!($name)))
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

text_enum!(
    /// Where a guest stands.
    RegistrationStatus, "invalid.choice", "registration.status" {
        Confirmed => "confirmed",
        Waitlisted => "waitlisted",
        Cancelled => "cancelled",
    }
);

text_enum!(
    /// How guests take part in an event: at the venue, online (a join link
    /// and no room), or both.
    Attendance, "invalid.choice", "attendance" {
        InPerson => "in_person",
        Online => "online",
        Hybrid => "hybrid",
    }
);

text_enum!(
    /// The kinds of mail musubi sends to guests; the subject and opening of
    /// each are `mail.<kind>.subject` and `mail.<kind>.intro`.
    MailKind, "invalid.choice", "mail" {
        Confirmed => "confirmed",
        Waitlisted => "waitlisted",
        Promoted => "promoted",
        Changed => "changed",
        EventCancelled => "event_cancelled",
        RegistrationCancelled => "registration_cancelled",
        Reminder => "reminder",
        // To a guest who registered again: their link, at most once an hour.
        AlreadyRegistered => "already_registered",
        // To a meeting attendee: the first invite (iTIP REQUEST).
        MeetingInvite => "meeting_invite",
        // A new REQUEST: a new time or place, or a changed attendee list.
        MeetingUpdated => "meeting_updated",
        // The meeting was cancelled (CANCEL to every attendee).
        MeetingCancelled => "meeting_cancelled",
        // This attendee was taken off the list (CANCEL for their copy).
        MeetingRemoved => "meeting_removed",
        MeetingReminder => "meeting_reminder",
        // To the organizer address: an attendee declined.
        MeetingDeclined => "meeting_declined",
        // Partnering: to the recipient of a meeting request.
        PartneringRequest => "partnering_request",
        // To the requester: the other side accepted, or declined.
        PartneringAccepted => "partnering_accepted",
        PartneringDeclined => "partnering_declined",
        // To both sides: the deadline passed with the request unanswered.
        PartneringExpired => "partnering_expired",
        // To the other side: a request was withdrawn (or cancelled by an organizer).
        PartneringCancelled => "partnering_cancelled",
    }
);

impl MailKind {
    /// The i18n keys of its subject and its opening paragraph (put
    /// together here; every kind's are checked in the tests below).
    pub fn text_keys(self) -> (String, String) {
        let kind = self.label_key();
        (format!("{kind}.subject"), format!("{kind}.intro"))
    }
}

text_enum!(
    /// A business meeting takes place or not; cancelled is final.
    MeetingStatus, "invalid.choice", "meeting_status" {
        Confirmed => "confirmed",
        Cancelled => "cancelled",
    }
);

text_enum!(
    /// An attendee's answer to a meeting invite (iCalendar PARTSTAT).
    PartStat, "invalid.choice", "partstat" {
        NeedsAction => "needs_action",
        Accepted => "accepted",
        Tentative => "tentative",
        Declined => "declined",
    }
);

impl PartStat {
    /// The iCalendar value (RFC 5545 3.2.12).
    pub fn ical(self) -> &'static str {
        match self {
            PartStat::NeedsAction => "NEEDS-ACTION",
            PartStat::Accepted => "ACCEPTED",
            PartStat::Tentative => "TENTATIVE",
            PartStat::Declined => "DECLINED",
        }
    }
}

text_enum!(
    /// A partnering meeting request: asked, then answered, or left to
    /// expire at the deadline, or withdrawn. Only accepted ones are scheduled.
    RequestStatus, "invalid.choice", "request_status" {
        Pending => "pending",
        Accepted => "accepted",
        Declined => "declined",
        Expired => "expired",
        Cancelled => "cancelled",
    }
);

text_enum!(
    /// What a partnering participant offers or seeks (the fixed list).
    Category, "invalid.choice", "category" {
        Therapeutics => "therapeutics",
        MedicalDevices => "medical_devices",
        Diagnostics => "diagnostics",
        DigitalHealth => "digital_health",
        RegenerativeMedicine => "regenerative_medicine",
        DrugDiscoveryServices => "drug_discovery_services",
        Investment => "investment",
        AcademicResearch => "academic_research",
        Other => "other",
    }
);

text_enum!(
    /// Where a message of the outbox is: waiting (`pending`), claimed by a
    /// worker (`sending`), done (`sent`, or `skipped` when it no longer
    /// applied), refused for good (`failed`) or out of attempts (`dead`).
    OutboxStatus, "invalid.choice", "outbox.status" {
        Pending => "pending",
        Sending => "sending",
        Sent => "sent",
        Skipped => "skipped",
        Failed => "failed",
        Dead => "dead",
    }
);

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

    /// Every label and mail text of every value exists in both languages
    /// (keys put together from a value are listed here, as the i18n scan
    /// cannot see them).
    #[test]
    fn every_value_has_its_texts() {
        let mut keys: Vec<&str> = Vec::new();
        keys.extend(OrganizationKind::ALL.iter().map(|v| v.label_key()));
        keys.extend(EventKind::ALL.iter().map(|v| v.label_key()));
        keys.extend(EventStatus::ALL.iter().map(|v| v.label_key()));
        keys.extend(RegistrationStatus::ALL.iter().map(|v| v.label_key()));
        keys.extend(Attendance::ALL.iter().map(|v| v.label_key()));
        keys.extend(OutboxStatus::ALL.iter().map(|v| v.label_key()));
        keys.extend(MailKind::ALL.iter().map(|v| v.label_key()));
        keys.extend(MeetingStatus::ALL.iter().map(|v| v.label_key()));
        keys.extend(PartStat::ALL.iter().map(|v| v.label_key()));
        let mail: Vec<String> = MailKind::ALL
            .iter()
            .flat_map(|kind| {
                let (subject, intro) = kind.text_keys();
                [subject, intro]
            })
            .collect();
        assert!(mail.contains(&"mail.already_registered.intro".to_owned()));
        keys.extend(mail.iter().map(String::as_str));
        let missing: Vec<_> = keys.iter().filter(|k| !crate::i18n::has_key(k)).collect();
        assert!(missing.is_empty(), "{missing:?}");
    }
}
