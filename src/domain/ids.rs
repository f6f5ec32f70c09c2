//! Typed ids (the idea of lemmy's `newtypes.rs`): an event's id cannot be
//! passed where a room's is meant. Stored as text (UUIDs) on both backends.

use diesel::sql_types::Text;

macro_rules! id_type {
    ($($(#[$doc:meta])* $name:ident),+ $(,)?) => {$(
        $(#[$doc])*
        #[derive(
            Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord,
            diesel::AsExpression, diesel::FromSqlRow,
            serde::Serialize, serde::Deserialize, utoipa::ToSchema,
        )]
        #[diesel(sql_type = Text)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// A new random id.
            pub fn generate() -> Self {
                Self(uuid::Uuid::new_v4().to_string())
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        /// An id as it came in (a path, a form): only ever compared with
        /// stored ids, so any text will do; an unknown one finds nothing.
        impl From<String> for $name {
            fn from(s: String) -> Self {
                Self(s)
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                Self(s.to_owned())
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        stored_as_text!($name);

        impl $name {
            fn from_stored(stored: String) -> Result<Self, String> {
                Ok(Self(stored))
            }
        }
    )+};
}

id_type!(
    OrganizationId,
    VenueId,
    RoomId,
    EventId,
    RegistrationId,
    /// A message of the outbox.
    OutboxId,
    UserId,
    /// An organizer's API token (its id, never its secret).
    ApiTokenId,
    /// A business meeting (or, later, a partnering meeting).
    MeetingId,
    /// One attendee of one meeting.
    AttendeeId,
    /// A partnering meeting request.
    RequestId,
    /// A partnering table (in a room, or online).
    TableId,
    /// A window of partnering meeting time.
    WindowId,
);
