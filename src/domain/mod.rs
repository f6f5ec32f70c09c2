//! Pure domain types: no I/O. Each is a newtype with a private field and a
//! `parse` that returns `Result`, so that unchecked input cannot reach db/,
//! email/ or ical/.

/// Stores a type as its text on both backends (diesel `ToSql`/`FromSql`
/// over `Text`): written as `as_str()`, read back through
/// `from_stored(String) -> Result<Self, String>` (an error names the value).
macro_rules! stored_as_text {
    ($name:ty) => {
        impl<DB: diesel::backend::Backend> diesel::serialize::ToSql<diesel::sql_types::Text, DB>
            for $name
        where
            str: diesel::serialize::ToSql<diesel::sql_types::Text, DB>,
        {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, DB>,
            ) -> diesel::serialize::Result {
                self.as_str().to_sql(out)
            }
        }

        impl<DB: diesel::backend::Backend> diesel::deserialize::FromSql<diesel::sql_types::Text, DB>
            for $name
        where
            String: diesel::deserialize::FromSql<diesel::sql_types::Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> diesel::deserialize::Result<Self> {
                Self::from_stored(String::from_sql(bytes)?).map_err(Into::into)
            }
        }
    };
}

mod country;
mod country_table;
mod email;
pub mod holidays;
mod ids;
mod kinds;
mod language;
mod meeting;
pub mod network;
mod partnering;
mod reminders;
mod slug;
mod text;
mod time;
mod token;
mod website;

pub use country::Country;
pub use email::{EmailAddress, ascii_form};
pub use ids::{
    ApiTokenId, AttendeeId, EventId, MeetingId, OrganizationId, OutboxId, RegistrationId,
    RequestId, RoomId, TableId, UserId, VenueId, WindowId,
};
pub use kinds::{
    Attendance, Category, EventKind, EventStatus, MailKind, MeetingStatus, OrganizationKind,
    OutboxStatus, PartStat, RegistrationStatus, RequestStatus,
};
pub use language::Language;
pub use meeting::LanguagePair;
pub use partnering::{Categories, Priority, Slot, SlotPlan, Window};
pub use reminders::ReminderOffsets;
pub use slug::Slug;
pub use text::{Capacity, Description, Label, Name, RoomName};
pub use time::{MAX_YEAR, MIN_YEAR, Schedule, TimeZone, parse_bound, parse_instant};
pub use token::{Token, TokenHash};
pub use website::{JoinUrl, Website};

/// Why a value was refused. `code` is an i18n key (`invalid.*`) so that the
/// message can be shown in Japanese or English; `args` fill its `{name}` slots.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub code: &'static str,
    pub args: Vec<(&'static str, String)>,
    /// Slots whose value depends on the language (a room's or an event's
    /// name): (name, Japanese, English).
    pub localized: Vec<(&'static str, String, String)>,
}

impl Invalid {
    pub fn new(code: &'static str) -> Self {
        Self {
            code,
            args: Vec::new(),
            localized: Vec::new(),
        }
    }

    pub fn with(mut self, name: &'static str, value: impl ToString) -> Self {
        self.args.push((name, value.to_string()));
        self
    }

    /// A slot filled in the message's language.
    pub fn with_both(mut self, name: &'static str, ja: impl ToString, en: impl ToString) -> Self {
        self.localized.push((name, ja.to_string(), en.to_string()));
        self
    }

    pub fn message(&self, lang: Language) -> String {
        let mut args = self.args.clone();
        args.extend(
            self.localized
                .iter()
                .map(|(name, ja, en)| (*name, lang.pick(ja, en).to_owned())),
        );
        crate::i18n::format(lang, self.code, &args)
    }
}

impl std::fmt::Display for Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message(Language::En))
    }
}

impl std::error::Error for Invalid {}

/// A refused value together with the input field it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub problem: Invalid,
}

/// Collects every field error of one input so that a form or an API client
/// learns all problems at once, not one per round trip.
#[derive(Debug, Default)]
pub struct Validator {
    errors: Vec<FieldError>,
}

impl Validator {
    pub fn new() -> Self {
        Self::default()
    }

    /// Keeps the value, or records the problem under `field` and returns None.
    pub fn check<T>(&mut self, field: &str, result: Result<T, Invalid>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(problem) => {
                self.add(field, problem);
                None
            }
        }
    }

    pub fn add(&mut self, field: &str, problem: Invalid) {
        self.errors.push(FieldError {
            field: field.to_owned(),
            problem,
        });
    }

    /// A required field: missing input is reported as `invalid.required`.
    pub fn require<T>(&mut self, field: &str, value: Option<T>) -> Option<T> {
        if value.is_none() {
            self.add(field, Invalid::new("invalid.required"));
        }
        value
    }

    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }

    pub fn finish(self) -> Result<(), Vec<FieldError>> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(self.errors)
        }
    }
}
