//! Organizer accounts: argon2id passwords, API tokens and login sessions.
//! Only hashes of tokens are stored.

use anyhow::Context;
use argon2::Argon2;
use argon2::password_hash::{
    PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng,
};
use chrono::Duration;

use crate::db::users::{self as udb, NewApiToken, NewSession, NewUser, User};
use crate::db::{self, DbConn, write_tx};
use crate::domain::{EmailAddress, Invalid, Name, Token, Validator};
use crate::error::AppError;

pub const MIN_PASSWORD_CHARS: usize = 12;
pub const SESSION_HOURS: i64 = 12;

fn hash_password(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default() // argon2id, v19, OWASP-recommended parameters
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing password: {e}"))
}

fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// Creates an organizer account, or sets a new name and password when the
/// email already has one (so the command doubles as a password reset).
#[tracing::instrument(skip(conn, password))]
pub fn create_user(
    conn: &mut DbConn,
    email: &str,
    name: &str,
    password: &str,
) -> Result<User, AppError> {
    let mut v = Validator::new();
    let email = v.check("email", EmailAddress::parse(email));
    let name = v.check("name", Name::parse(name));
    if password.chars().count() < MIN_PASSWORD_CHARS {
        v.add(
            "password",
            Invalid::new("invalid.password_short").with("min", MIN_PASSWORD_CHARS),
        );
    }
    v.finish().map_err(AppError::Validation)?;
    let (Some(email), Some(name)) = (email, name) else {
        return Err(AppError::Validation(super::organizations::incomplete()));
    };
    let hash = hash_password(password)?;
    write_tx(conn, |conn| {
        match udb::find_by_email(conn, email.as_str())? {
            Some(existing) => udb::update_password(conn, &existing.id, name.as_str(), &hash)?,
            None => udb::insert(
                conn,
                &NewUser {
                    id: &db::new_id(),
                    email: email.as_str(),
                    name: name.as_str(),
                    password_hash: &hash,
                    created_at: db::now(),
                },
            )?,
        }
        udb::find_by_email(conn, email.as_str())?.ok_or(AppError::NotFound)
    })
}

/// Issues an API bearer token for an existing user; the token is shown once.
#[tracing::instrument(skip(conn))]
pub fn create_token(conn: &mut DbConn, email: &str) -> Result<Token, AppError> {
    let email = EmailAddress::parse(email).map_err(|p| AppError::field("email", p))?;
    write_tx(conn, |conn| {
        let user = udb::find_by_email(conn, email.as_str())?.ok_or(AppError::NotFound)?;
        let token = Token::generate();
        udb::insert_api_token(
            conn,
            &NewApiToken {
                id: &db::new_id(),
                user_id: &user.id,
                token_hash: token.hash().as_str(),
                created_at: db::now(),
            },
        )?;
        Ok(token)
    })
}

pub fn user_by_api_token(conn: &mut DbConn, token: &str) -> Result<Option<User>, AppError> {
    let Ok(token) = Token::parse(token) else {
        return Ok(None);
    };
    Ok(udb::user_by_api_token(conn, token.hash().as_str())?)
}

/// Checks a password and opens a session. A wrong email costs the same
/// hashing work as a wrong password, so timing does not reveal accounts.
#[tracing::instrument(skip(conn, password))]
pub fn login(conn: &mut DbConn, email: &str, password: &str) -> Result<Option<Token>, AppError> {
    let user = match EmailAddress::parse(email) {
        Ok(email) => udb::find_by_email(conn, email.as_str())?,
        Err(_) => None,
    };
    let Some(user) = user else {
        let _ = verify_password(password, dummy_hash());
        return Ok(None);
    };
    if !verify_password(password, &user.password_hash) {
        return Ok(None);
    }
    let token = Token::generate();
    let now = db::now();
    write_tx(conn, |conn| {
        udb::insert_session(
            conn,
            &NewSession {
                id: &db::new_id(),
                token_hash: token.hash().as_str(),
                user_id: &user.id,
                created_at: now,
                expires_at: now + Duration::hours(SESSION_HOURS),
            },
        )
        .context("storing session")
    })?;
    Ok(Some(token))
}

pub fn user_by_session(conn: &mut DbConn, token: &str) -> Result<Option<User>, AppError> {
    let Ok(token) = Token::parse(token) else {
        return Ok(None);
    };
    Ok(udb::user_by_session(
        conn,
        token.hash().as_str(),
        db::now(),
    )?)
}

pub fn logout(conn: &mut DbConn, token: &str) -> Result<(), AppError> {
    let Ok(token) = Token::parse(token) else {
        return Ok(());
    };
    Ok(udb::delete_session(conn, token.hash().as_str(), db::now())?)
}

/// An argon2id hash of a random string, verified against when the email is
/// unknown; made once per process so its parameters match real hashes.
fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| hash_password(Token::generate().expose()).unwrap_or_default())
}
