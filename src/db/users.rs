use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConn;
use super::schema::{api_tokens, sessions, users};
use crate::domain::{ApiTokenId, UserId};

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = users)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub struct User {
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub password_hash: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    pub id: &'a UserId,
    pub email: &'a str,
    pub name: &'a str,
    pub password_hash: &'a str,
    pub created_at: NaiveDateTime,
}

/// An API token as organizers see it: never its secret.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = api_tokens)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub struct ApiToken {
    pub id: ApiTokenId,
    pub user_id: UserId,
    pub created_at: NaiveDateTime,
    pub last_used_at: Option<NaiveDateTime>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = api_tokens)]
pub struct NewApiToken<'a> {
    pub id: &'a ApiTokenId,
    pub user_id: &'a UserId,
    pub token_hash: &'a str,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = sessions)]
pub struct NewSession<'a> {
    pub id: &'a str,
    pub token_hash: &'a str,
    pub user_id: &'a UserId,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

pub fn find_by_email(conn: &mut DbConn, email: &str) -> QueryResult<Option<User>> {
    users::table
        .filter(users::email.eq(email))
        .select(User::as_select())
        .first(conn)
        .optional()
}

pub fn insert(conn: &mut DbConn, new: &NewUser<'_>) -> QueryResult<()> {
    diesel::insert_into(users::table)
        .values(new)
        .execute(conn)
        .map(drop)
}

pub fn update_password(
    conn: &mut DbConn,
    id: &UserId,
    name: &str,
    password_hash: &str,
) -> QueryResult<()> {
    diesel::update(users::table.find(id))
        .set((users::name.eq(name), users::password_hash.eq(password_hash)))
        .execute(conn)
        .map(drop)
}

pub fn insert_api_token(conn: &mut DbConn, new: &NewApiToken<'_>) -> QueryResult<()> {
    diesel::insert_into(api_tokens::table)
        .values(new)
        .execute(conn)
        .map(drop)
}

pub fn user_by_api_token(
    conn: &mut DbConn,
    token_hash: &str,
) -> QueryResult<Option<(User, ApiToken)>> {
    api_tokens::table
        .inner_join(users::table)
        .filter(api_tokens::token_hash.eq(token_hash))
        .select((User::as_select(), ApiToken::as_select()))
        .first(conn)
        .optional()
}

/// Notes a token's use, unless it was noted since `stale_before` (so a
/// busy client does not turn every read into a write).
pub fn touch_api_token(
    conn: &mut DbConn,
    id: &ApiTokenId,
    now: NaiveDateTime,
    stale_before: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(
        api_tokens::table.filter(api_tokens::id.eq(id)).filter(
            api_tokens::last_used_at
                .is_null()
                .or(api_tokens::last_used_at.lt(stale_before)),
        ),
    )
    .set(api_tokens::last_used_at.eq(now))
    .execute(conn)
    .map(drop)
}

pub fn api_tokens_of(conn: &mut DbConn, user_id: &UserId) -> QueryResult<Vec<ApiToken>> {
    api_tokens::table
        .filter(api_tokens::user_id.eq(user_id))
        .order(api_tokens::created_at.asc())
        .select(ApiToken::as_select())
        .load(conn)
}

pub fn find_api_token(conn: &mut DbConn, id: &ApiTokenId) -> QueryResult<Option<ApiToken>> {
    api_tokens::table
        .find(id)
        .select(ApiToken::as_select())
        .first(conn)
        .optional()
}

/// Deletes one token (`Some(id)`) or all of a user's; how many went.
pub fn delete_api_tokens(
    conn: &mut DbConn,
    user_id: &UserId,
    id: Option<&ApiTokenId>,
) -> QueryResult<usize> {
    let mut query = diesel::delete(api_tokens::table)
        .filter(api_tokens::user_id.eq(user_id))
        .into_boxed();
    if let Some(id) = id {
        query = query.filter(api_tokens::id.eq(id));
    }
    query.execute(conn)
}

/// Ends every session of a user; how many there were.
pub fn delete_sessions_of(conn: &mut DbConn, user_id: &UserId) -> QueryResult<usize> {
    diesel::delete(sessions::table.filter(sessions::user_id.eq(user_id))).execute(conn)
}

pub fn insert_session(conn: &mut DbConn, new: &NewSession<'_>) -> QueryResult<()> {
    diesel::insert_into(sessions::table)
        .values(new)
        .execute(conn)
        .map(drop)
}

pub fn user_by_session(
    conn: &mut DbConn,
    token_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<User>> {
    sessions::table
        .inner_join(users::table)
        .filter(sessions::token_hash.eq(token_hash))
        .filter(sessions::expires_at.gt(now))
        .select(User::as_select())
        .first(conn)
        .optional()
}

/// Ends one session and sweeps expired ones.
pub fn delete_session(conn: &mut DbConn, token_hash: &str, now: NaiveDateTime) -> QueryResult<()> {
    diesel::delete(
        sessions::table.filter(
            sessions::token_hash
                .eq(token_hash)
                .or(sessions::expires_at.le(now)),
        ),
    )
    .execute(conn)
    .map(drop)
}

/// The generation of an organizer's staff calendar, created at 1 when missing.
pub fn staff_feed_generation(
    conn: &mut DbConn,
    user_id: &UserId,
    token_hash_of: impl Fn(i32) -> String,
    now: NaiveDateTime,
) -> QueryResult<i32> {
    use super::schema::staff_feeds;
    let insert = diesel::insert_into(staff_feeds::table)
        .values((
            staff_feeds::user_id.eq(user_id),
            staff_feeds::generation.eq(1),
            staff_feeds::token_hash.eq(token_hash_of(1)),
            staff_feeds::updated_at.eq(now),
        ))
        .on_conflict_do_nothing();
    per_backend!(conn, |c| insert.execute(c))?;
    staff_feeds::table
        .find(user_id)
        .select(staff_feeds::generation)
        .first(conn)
}

/// Moves an organizer's staff calendar to a new generation; the old URL stops working.
pub fn rotate_staff_feed(
    conn: &mut DbConn,
    user_id: &UserId,
    token_hash_of: impl Fn(i32) -> String,
    now: NaiveDateTime,
) -> QueryResult<i32> {
    use super::schema::staff_feeds;
    let next = staff_feed_generation(conn, user_id, &token_hash_of, now)? + 1;
    diesel::update(staff_feeds::table.find(user_id))
        .set((
            staff_feeds::generation.eq(next),
            staff_feeds::token_hash.eq(token_hash_of(next)),
            staff_feeds::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(next)
}

/// The organizer whose staff calendar has this token.
pub fn user_of_staff_feed(conn: &mut DbConn, token_hash: &str) -> QueryResult<Option<UserId>> {
    use super::schema::staff_feeds;
    staff_feeds::table
        .filter(staff_feeds::token_hash.eq(token_hash))
        .select(staff_feeds::user_id)
        .first(conn)
        .optional()
}
