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
    let room_name = |lang: Language| {
        room.map(|(r, v)| {
            format!(
                "{} {}",
                lang.pick(&v.name_ja, &v.name_en),
                lang.pick(&r.name_ja, &r.name_en)
            )
        })
        .unwrap_or_else(|| room_id.to_string())
    };
    let (starts, ends, zone) = other.interval();
    let when = |lang: Language| {
        crate::i18n::format_range(
            lang,
            to_utc(starts),
            to_utc(ends),
            TimeZone::from_stored(zone),
        )
    };
    let holder = |lang: Language| match other {
        BookedBy::Event(e) => lang.pick(&e.title_ja, &e.title_en).to_owned(),
        BookedBy::Meeting(m) => format!(
            "{} ({})",
            lang.pick(&m.title_ja, &m.title_en),
            crate::i18n::t(lang, "conflict.a_meeting")
        ),
    };
    let both = |f: &dyn Fn(Language) -> String| (f(Language::Ja), f(Language::En));
    let (room_ja, room_en) = both(&room_name);
    let (event_ja, event_en) = both(&holder);
    let (when_ja, when_en) = both(&when);
    Err(AppError::conflict(
        Some(field),
        Invalid::new("conflict.room_booked")
            .with_both("room", room_ja, room_en)
            .with_both("event", event_ja, event_en)
            .with_both("when", when_ja, when_en),
    ))
}
