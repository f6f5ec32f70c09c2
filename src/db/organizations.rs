use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConn;
use super::schema::organizations;
use crate::domain::OrganizationId;
use crate::domain::OrganizationKind;

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = organizations)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub struct Organization {
    pub id: OrganizationId,
    pub slug: String,
    pub name_ja: String,
    pub name_en: String,
    pub kind: OrganizationKind,
    pub country: String,
    pub time_zone: String,
    pub website: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = organizations)]
pub struct NewOrganization<'a> {
    pub id: &'a OrganizationId,
    pub slug: &'a str,
    pub name_ja: &'a str,
    pub name_en: &'a str,
    pub kind: OrganizationKind,
    pub country: &'a str,
    pub time_zone: &'a str,
    pub website: Option<&'a str>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, AsChangeset)]
#[diesel(table_name = organizations, treat_none_as_null = true)]
pub struct OrganizationChanges<'a> {
    pub slug: &'a str,
    pub name_ja: &'a str,
    pub name_en: &'a str,
    pub kind: OrganizationKind,
    pub country: &'a str,
    pub time_zone: &'a str,
    pub website: Option<&'a str>,
    pub updated_at: NaiveDateTime,
}

pub fn list(conn: &mut DbConn) -> QueryResult<Vec<Organization>> {
    organizations::table
        .order(organizations::name_en.asc())
        .select(Organization::as_select())
        .load(conn)
}

pub fn find_by_slug(conn: &mut DbConn, slug: &str) -> QueryResult<Option<Organization>> {
    organizations::table
        .filter(organizations::slug.eq(slug))
        .select(Organization::as_select())
        .first(conn)
        .optional()
}

pub fn find_by_slugs(conn: &mut DbConn, slugs: &[&str]) -> QueryResult<Vec<Organization>> {
    organizations::table
        .filter(organizations::slug.eq_any(slugs))
        .select(Organization::as_select())
        .load(conn)
}

pub fn slug_taken(
    conn: &mut DbConn,
    slug: &str,
    except_id: Option<&OrganizationId>,
) -> QueryResult<bool> {
    let mut query = organizations::table
        .filter(organizations::slug.eq(slug))
        .select(organizations::id)
        .into_boxed();
    if let Some(id) = except_id {
        query = query.filter(organizations::id.ne(id));
    }
    Ok(query.first::<String>(conn).optional()?.is_some())
}

pub fn insert(conn: &mut DbConn, new: &NewOrganization<'_>) -> QueryResult<()> {
    diesel::insert_into(organizations::table)
        .values(new)
        .execute(conn)
        .map(drop)
}

pub fn update(
    conn: &mut DbConn,
    id: &OrganizationId,
    changes: &OrganizationChanges<'_>,
) -> QueryResult<()> {
    diesel::update(organizations::table.find(id))
        .set(changes)
        .execute(conn)
        .map(drop)
}

pub fn count(conn: &mut DbConn) -> QueryResult<i64> {
    organizations::table.count().get_result(conn)
}
