//! The one check that keeps a room from being held twice at overlapping
//! times, by events or meetings.

use chrono::{DateTime, Utc};

use crate::db::bookings::{self, BookedBy, Holder};
use crate::db::venues::{Room, Venue};
use crate::db::{self, DbConn, to_utc};
use crate::domain::{Invalid, Language, RoomId, TimeZone};
use crate::error::AppError;

/// Locks the rooms and refuses with 409 when one is held over
/// [starts_at, ends_at) by anything but `except`, naming the room, what
/// holds it and when. (Only organizers book rooms, so naming a meeting
/// here reveals it to no one who could not see it anyway.)
pub fn ensure_rooms_free(
    conn: &mut DbConn,
    room_ids: &[&RoomId],
    rooms: &[(Room, Venue)],
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    except: Option<Holder<'_>>,
    field: &'static str,
) -> Result<(), AppError> {
    bookings::lock_rooms(conn, room_ids)?;
    let clashes = bookings::overlapping(
        conn,
        room_ids,
        db::from_utc(starts_at),
        db::from_utc(ends_at),
        except,
    )?;
    let Some((room_id, other)) = clashes.first() else {
        return Ok(());
    };
    let room = rooms.iter().find(|(r, _)| &r.id == room_id);
    let room_name = room
        .map(|(r, v)| format!("{} {}", v.name_en, r.name_en))
        .unwrap_or_else(|| room_id.to_string());
    let (starts, ends, zone) = other.interval();
    let when = crate::i18n::format_range(
        Language::En,
        to_utc(starts),
        to_utc(ends),
        TimeZone::from_stored(zone),
    );
    let holder = match other {
        BookedBy::Event(e) => format!("{} ({})", e.title_en, e.slug),
        BookedBy::Meeting(m) => format!("{} (meeting {})", m.title_en, m.id),
    };
    Err(AppError::conflict(
        Some(field),
        Invalid::new("conflict.room_booked")
            .with("room", room_name)
            .with("event", holder)
            .with("when", when),
    ))
}
