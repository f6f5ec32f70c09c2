use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConn;
use super::schema::{rooms, venues};
use crate::domain::{RoomId, VenueId};

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = venues)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub struct Venue {
    pub id: VenueId,
    pub slug: String,
    pub name_ja: String,
    pub name_en: String,
    pub address_ja: String,
    pub address_en: String,
    pub area: String,
    pub time_zone: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// How to get there (stations, entrances), shown on the venue page.
    pub access_ja: String,
    pub access_en: String,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = venues)]
pub struct NewVenue<'a> {
    pub id: &'a VenueId,
    pub slug: &'a str,
    pub name_ja: &'a str,
    pub name_en: &'a str,
    pub address_ja: &'a str,
    pub address_en: &'a str,
    pub area: &'a str,
    pub time_zone: &'a str,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub access_ja: &'a str,
    pub access_en: &'a str,
}

#[derive(Debug, AsChangeset)]
#[diesel(table_name = venues)]
pub struct VenueChanges<'a> {
    pub slug: &'a str,
    pub name_ja: &'a str,
    pub name_en: &'a str,
    pub address_ja: &'a str,
    pub address_en: &'a str,
    pub area: &'a str,
    pub time_zone: &'a str,
    pub updated_at: NaiveDateTime,
    pub access_ja: &'a str,
    pub access_en: &'a str,
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = rooms)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub struct Room {
    pub id: RoomId,
    pub venue_id: VenueId,
    pub name_ja: String,
    pub name_en: String,
    pub capacity: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = rooms)]
pub struct NewRoom<'a> {
    pub id: &'a RoomId,
    pub venue_id: &'a VenueId,
    pub name_ja: &'a str,
    pub name_en: &'a str,
    pub capacity: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, AsChangeset)]
#[diesel(table_name = rooms)]
pub struct RoomChanges<'a> {
    pub name_ja: &'a str,
    pub name_en: &'a str,
    pub capacity: i32,
    pub updated_at: NaiveDateTime,
}

pub fn list(conn: &mut DbConn) -> QueryResult<Vec<Venue>> {
    venues::table
        .order(venues::name_en.asc())
        .select(Venue::as_select())
        .load(conn)
}

pub fn find_by_slug(conn: &mut DbConn, slug: &str) -> QueryResult<Option<Venue>> {
    venues::table
        .filter(venues::slug.eq(slug))
        .select(Venue::as_select())
        .first(conn)
        .optional()
}

pub fn slug_taken(conn: &mut DbConn, slug: &str, except_id: Option<&VenueId>) -> QueryResult<bool> {
    let mut query = venues::table
        .filter(venues::slug.eq(slug))
        .select(venues::id)
        .into_boxed();
    if let Some(id) = except_id {
        query = query.filter(venues::id.ne(id));
    }
    Ok(query.first::<String>(conn).optional()?.is_some())
}

pub fn insert(conn: &mut DbConn, new: &NewVenue<'_>) -> QueryResult<()> {
    diesel::insert_into(venues::table)
        .values(new)
        .execute(conn)
        .map(drop)
}

pub fn update(conn: &mut DbConn, id: &VenueId, changes: &VenueChanges<'_>) -> QueryResult<()> {
    diesel::update(venues::table.find(id))
        .set(changes)
        .execute(conn)
        .map(drop)
}

/// Rooms of the given venues, ordered by name.
pub fn rooms_of(conn: &mut DbConn, venue_ids: &[&VenueId]) -> QueryResult<Vec<Room>> {
    rooms::table
        .filter(rooms::venue_id.eq_any(venue_ids))
        .order(rooms::name_en.asc())
        .select(Room::as_select())
        .load(conn)
}

pub fn find_room(conn: &mut DbConn, id: &RoomId) -> QueryResult<Option<Room>> {
    rooms::table
        .find(id)
        .select(Room::as_select())
        .first(conn)
        .optional()
}

pub fn rooms_by_ids(conn: &mut DbConn, ids: &[&RoomId]) -> QueryResult<Vec<(Room, Venue)>> {
    rooms::table
        .inner_join(venues::table)
        .filter(rooms::id.eq_any(ids))
        .select((Room::as_select(), Venue::as_select()))
        .load(conn)
}

pub fn all_rooms(conn: &mut DbConn) -> QueryResult<Vec<(Room, Venue)>> {
    rooms::table
        .inner_join(venues::table)
        .order((venues::name_en.asc(), rooms::name_en.asc()))
        .select((Room::as_select(), Venue::as_select()))
        .load(conn)
}

pub fn insert_room(conn: &mut DbConn, new: &NewRoom<'_>) -> QueryResult<()> {
    diesel::insert_into(rooms::table)
        .values(new)
        .execute(conn)
        .map(drop)
}

pub fn update_room(conn: &mut DbConn, id: &RoomId, changes: &RoomChanges<'_>) -> QueryResult<()> {
    diesel::update(rooms::table.find(id))
        .set(changes)
        .execute(conn)
        .map(drop)
}

pub fn count(conn: &mut DbConn) -> QueryResult<i64> {
    venues::table.count().get_result(conn)
}

pub fn slug_of(conn: &mut DbConn, venue_id: &VenueId) -> QueryResult<String> {
    venues::table
        .find(venue_id)
        .select(venues::slug)
        .first(conn)
}
