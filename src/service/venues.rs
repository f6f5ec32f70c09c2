use serde::{Deserialize, Serialize};

use super::fields::opt_text;
use super::organizations::{incomplete, unreachable_validation};
use crate::db::venues::{self as vdb, NewRoom, NewVenue, Room, RoomChanges, Venue, VenueChanges};
use crate::db::{self, DbConn, write_tx};
use crate::domain::{
    Capacity, Description, FieldError, Invalid, Name, RoomId, RoomName, Slug, TimeZone, Validator,
    VenueId,
};
use crate::error::AppError;

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = VenueInput)]
#[serde(deny_unknown_fields)]
pub struct VenueFields {
    #[serde(default, deserialize_with = "opt_text")]
    pub slug: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub name_ja: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub name_en: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub address_ja: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub address_en: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub area: Option<String>,
    /// How to get there (stations, exits, entrances), shown on the venue page.
    #[serde(default, deserialize_with = "opt_text")]
    #[schema(example = "京阪中之島線「中之島駅」6番出口から徒歩3分")]
    pub access_ja: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    #[schema(
        example = "3 minutes' walk from exit 6 of Nakanoshima Station (Keihan Nakanoshima Line)"
    )]
    pub access_en: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    #[schema(example = "Asia/Tokyo")]
    pub time_zone: Option<String>,
    /// Rooms to create with a new venue (API only); ignored on update.
    #[serde(default)]
    pub rooms: Vec<RoomFields>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = RoomInput)]
#[serde(deny_unknown_fields)]
pub struct RoomFields {
    #[serde(default, deserialize_with = "opt_text")]
    pub name_ja: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub name_en: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    #[schema(value_type = Option<i64>, minimum = 1, maximum = 100000)]
    pub capacity: Option<String>,
}

#[derive(Debug, Clone)]
pub struct VenueInput {
    pub slug: Slug,
    pub name_ja: Name,
    pub name_en: Name,
    pub address_ja: Name,
    pub address_en: Name,
    pub area: Name,
    pub access_ja: Description,
    pub access_en: Description,
    pub time_zone: TimeZone,
    pub rooms: Vec<RoomInput>,
}

#[derive(Debug, Clone)]
pub struct RoomInput {
    pub name_ja: RoomName,
    pub name_en: RoomName,
    pub capacity: Capacity,
}

fn text(o: &Option<String>) -> String {
    o.clone().unwrap_or_default()
}

impl RoomFields {
    fn check(&self, v: &mut Validator, prefix: &str) -> Option<RoomInput> {
        let name_ja = v.check(
            &format!("{prefix}name_ja"),
            RoomName::parse(&text(&self.name_ja)),
        );
        let name_en = v.check(
            &format!("{prefix}name_en"),
            RoomName::parse(&text(&self.name_en)),
        );
        let capacity = v.check(
            &format!("{prefix}capacity"),
            Capacity::parse_text(&text(&self.capacity)),
        );
        Some(RoomInput {
            name_ja: name_ja?,
            name_en: name_en?,
            capacity: capacity?,
        })
    }

    pub fn validate(&self) -> Result<RoomInput, AppError> {
        let mut v = Validator::new();
        let room = self.check(&mut v, "");
        v.finish().map_err(AppError::Validation)?;
        room.ok_or_else(|| AppError::Validation(incomplete()))
    }

    pub fn of(r: &Room) -> Self {
        Self {
            name_ja: Some(r.name_ja.clone()),
            name_en: Some(r.name_en.clone()),
            capacity: Some(r.capacity.to_string()),
        }
    }
}

impl TryFrom<VenueFields> for VenueInput {
    type Error = Vec<FieldError>;

    fn try_from(f: VenueFields) -> Result<Self, Self::Error> {
        let mut v = Validator::new();
        let slug = v.check("slug", Slug::parse(&text(&f.slug)));
        let name_ja = v.check("name_ja", Name::parse(&text(&f.name_ja)));
        let name_en = v.check("name_en", Name::parse(&text(&f.name_en)));
        let address_ja = v.check("address_ja", Name::parse(&text(&f.address_ja)));
        let address_en = v.check("address_en", Name::parse(&text(&f.address_en)));
        let area = v.check("area", Name::parse(&text(&f.area)));
        let access_ja = v.check("access_ja", Description::parse(&text(&f.access_ja)));
        let access_en = v.check("access_en", Description::parse(&text(&f.access_en)));
        let time_zone = v.check(
            "time_zone",
            f.time_zone
                .as_deref()
                .map_or(Ok(TimeZone::TOKYO), TimeZone::parse),
        );
        let rooms: Vec<Option<RoomInput>> = f
            .rooms
            .iter()
            .enumerate()
            .map(|(i, r)| r.check(&mut v, &format!("rooms[{i}].")))
            .collect();
        v.finish()?;
        match (
            slug, name_ja, name_en, address_ja, address_en, area, access_ja, access_en, time_zone,
        ) {
            (
                Some(slug),
                Some(name_ja),
                Some(name_en),
                Some(address_ja),
                Some(address_en),
                Some(area),
                Some(access_ja),
                Some(access_en),
                Some(time_zone),
            ) => Ok(Self {
                slug,
                name_ja,
                name_en,
                address_ja,
                address_en,
                area,
                access_ja,
                access_en,
                time_zone,
                rooms: rooms.into_iter().flatten().collect(),
            }),
            _ => unreachable_validation(),
        }
    }
}

impl VenueFields {
    pub fn of(v: &Venue) -> Self {
        Self {
            slug: Some(v.slug.clone()),
            name_ja: Some(v.name_ja.clone()),
            name_en: Some(v.name_en.clone()),
            address_ja: Some(v.address_ja.clone()),
            address_en: Some(v.address_en.clone()),
            area: Some(v.area.clone()),
            access_ja: Some(v.access_ja.clone()).filter(|s| !s.is_empty()),
            access_en: Some(v.access_en.clone()).filter(|s| !s.is_empty()),
            time_zone: Some(v.time_zone.clone()),
            rooms: Vec::new(),
        }
    }

    pub fn validate(self) -> Result<VenueInput, AppError> {
        VenueInput::try_from(self).map_err(AppError::Validation)
    }
}

/// A venue with its rooms.
#[derive(Debug, Clone)]
pub struct VenueWithRooms {
    pub venue: Venue,
    pub rooms: Vec<Room>,
}

fn slug_conflict() -> AppError {
    AppError::conflict(Some("slug"), Invalid::new("conflict.slug_taken"))
}

fn insert_room(
    conn: &mut DbConn,
    venue_id: &VenueId,
    room: &RoomInput,
) -> Result<RoomId, AppError> {
    let now = db::now();
    let id = RoomId::generate();
    vdb::insert_room(
        conn,
        &NewRoom {
            id: &id,
            venue_id,
            name_ja: room.name_ja.as_str(),
            name_en: room.name_en.as_str(),
            capacity: room.capacity.get(),
            created_at: now,
            updated_at: now,
        },
    )?;
    Ok(id)
}

#[tracing::instrument(skip(conn, input), fields(slug = %input.slug))]
pub fn create(conn: &mut DbConn, input: &VenueInput) -> Result<VenueWithRooms, AppError> {
    write_tx(conn, |conn| {
        db::data_version::touch(conn)?;
        if vdb::slug_taken(conn, input.slug.as_str(), None)? {
            return Err(slug_conflict());
        }
        let now = db::now();
        let id = VenueId::generate();
        vdb::insert(
            conn,
            &NewVenue {
                id: &id,
                slug: input.slug.as_str(),
                name_ja: input.name_ja.as_str(),
                name_en: input.name_en.as_str(),
                address_ja: input.address_ja.as_str(),
                address_en: input.address_en.as_str(),
                area: input.area.as_str(),
                access_ja: input.access_ja.as_str(),
                access_en: input.access_en.as_str(),
                time_zone: input.time_zone.name(),
                created_at: now,
                updated_at: now,
            },
        )?;
        for room in &input.rooms {
            insert_room(conn, &id, room)?;
        }
        get(conn, input.slug.as_str())
    })
}

#[tracing::instrument(skip(conn, input))]
pub fn update(
    conn: &mut DbConn,
    slug: &str,
    input: &VenueInput,
) -> Result<VenueWithRooms, AppError> {
    write_tx(conn, |conn| {
        db::data_version::touch(conn)?;
        let current = vdb::find_by_slug(conn, slug)?.ok_or(AppError::NotFound)?;
        if vdb::slug_taken(conn, input.slug.as_str(), Some(&current.id))? {
            return Err(slug_conflict());
        }
        vdb::update(
            conn,
            &current.id,
            &VenueChanges {
                slug: input.slug.as_str(),
                name_ja: input.name_ja.as_str(),
                name_en: input.name_en.as_str(),
                address_ja: input.address_ja.as_str(),
                address_en: input.address_en.as_str(),
                area: input.area.as_str(),
                access_ja: input.access_ja.as_str(),
                access_en: input.access_en.as_str(),
                time_zone: input.time_zone.name(),
                updated_at: db::now(),
            },
        )?;
        get(conn, input.slug.as_str())
    })
}

#[tracing::instrument(skip(conn, room))]
pub fn add_room(conn: &mut DbConn, venue_slug: &str, room: &RoomInput) -> Result<Room, AppError> {
    write_tx(conn, |conn| {
        db::data_version::touch(conn)?;
        let venue = vdb::find_by_slug(conn, venue_slug)?.ok_or(AppError::NotFound)?;
        let id = insert_room(conn, &venue.id, room)?;
        vdb::find_room(conn, &id)?.ok_or(AppError::NotFound)
    })
}

#[tracing::instrument(skip(conn, room))]
pub fn update_room(
    conn: &mut DbConn,
    room_id: &RoomId,
    room: &RoomInput,
) -> Result<Room, AppError> {
    write_tx(conn, |conn| {
        db::data_version::touch(conn)?;
        vdb::find_room(conn, room_id)?.ok_or(AppError::NotFound)?;
        vdb::update_room(
            conn,
            room_id,
            &RoomChanges {
                name_ja: room.name_ja.as_str(),
                name_en: room.name_en.as_str(),
                capacity: room.capacity.get(),
                updated_at: db::now(),
            },
        )?;
        vdb::find_room(conn, room_id)?.ok_or(AppError::NotFound)
    })
}

pub fn get(conn: &mut DbConn, slug: &str) -> Result<VenueWithRooms, AppError> {
    let venue = vdb::find_by_slug(conn, slug)?.ok_or(AppError::NotFound)?;
    let rooms = vdb::rooms_of(conn, &[&venue.id])?;
    Ok(VenueWithRooms { venue, rooms })
}

pub fn list(conn: &mut DbConn) -> Result<Vec<VenueWithRooms>, AppError> {
    let venues = vdb::list(conn)?;
    let ids: Vec<&VenueId> = venues.iter().map(|v| &v.id).collect();
    let mut rooms = vdb::rooms_of(conn, &ids)?;
    Ok(venues
        .into_iter()
        .map(|venue| {
            let (mine, rest): (Vec<Room>, Vec<Room>) =
                rooms.drain(..).partition(|r| r.venue_id == venue.id);
            rooms = rest;
            VenueWithRooms { venue, rooms: mine }
        })
        .collect())
}

pub fn get_room(conn: &mut DbConn, room_id: &RoomId) -> Result<Room, AppError> {
    vdb::find_room(conn, room_id)?.ok_or(AppError::NotFound)
}

pub fn venue_slug(conn: &mut DbConn, venue_id: &VenueId) -> Result<String, AppError> {
    Ok(vdb::slug_of(conn, venue_id)?)
}
