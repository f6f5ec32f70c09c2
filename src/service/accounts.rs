//! Organizer accounts: argon2id passwords, API tokens and login sessions.
//! Only hashes of tokens are stored.

use anyhow::Context;
use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, SaltString, rand_core::OsRng};
use chrono::Duration;

use crate::db::logins::{self, Scope};
use crate::db::users::{self as udb, ApiToken, NewApiToken, NewSession, NewUser, User};
use crate::db::{self, DbConn, Pool, write_tx};
use crate::domain::{ApiTokenId, EmailAddress, Invalid, Name, Token, UserId, Validator};
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
            // A reset ends every session and API token of the account:
            // whoever knew the old password may have opened them.
            Some(existing) => {
                udb::update_password(conn, &existing.id, name.as_str(), &hash)?;
                udb::delete_sessions_of(conn, &existing.id)?;
                udb::delete_api_tokens(conn, &existing.id, None)?;
            }
            None => udb::insert(
                conn,
                &NewUser {
                    id: &UserId::generate(),
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
                id: &ApiTokenId::generate(),
                user_id: &user.id,
                token_hash: token.hash().as_str(),
                created_at: db::now(),
            },
        )?;
        Ok(token)
    })
}

/// How often a token's last use is written down.
const TOKEN_USE_PRECISION: Duration = Duration::minutes(1);

pub fn user_by_api_token(conn: &mut DbConn, token: &str) -> Result<Option<User>, AppError> {
    let Ok(token) = Token::parse(token) else {
        return Ok(None);
    };
    let Some((user, api_token)) = udb::user_by_api_token(conn, token.hash().as_str())? else {
        return Ok(None);
    };
    let now = db::now();
    if api_token
        .last_used_at
        .is_none_or(|t| t < now - TOKEN_USE_PRECISION)
    {
        write_tx(conn, |conn| {
            udb::touch_api_token(conn, &api_token.id, now, now - TOKEN_USE_PRECISION)
        })?;
    }
    Ok(Some(user))
}

/// A user's API tokens (ids, creation, last use; never the secret).
pub fn tokens_of(conn: &mut DbConn, email: &str) -> Result<(User, Vec<ApiToken>), AppError> {
    let user = user_by_email(conn, email)?;
    let tokens = udb::api_tokens_of(conn, &user.id)?;
    Ok((user, tokens))
}

/// The API tokens of a signed-in user (the admin page).
pub fn own_tokens(conn: &mut DbConn, user: &User) -> Result<Vec<ApiToken>, AppError> {
    Ok(udb::api_tokens_of(conn, &user.id)?)
}

fn user_by_email(conn: &mut DbConn, email: &str) -> Result<User, AppError> {
    let email = EmailAddress::parse(email).map_err(|p| AppError::field("email", p))?;
    udb::find_by_email(conn, email.as_str())?.ok_or(AppError::NotFound)
}

/// What to revoke.
#[derive(Debug, Clone)]
pub enum Revoke {
    /// One token, by its id.
    Token(ApiTokenId),
    /// Every token of the account with this email.
    AllOf(String),
}

/// Revokes API tokens; how many were deleted (a token id that does not
/// exist is NotFound).
pub fn revoke_tokens(conn: &mut DbConn, what: &Revoke) -> Result<usize, AppError> {
    write_tx(conn, |conn| match what {
        Revoke::Token(id) => {
            let token = udb::find_api_token(conn, id)?.ok_or(AppError::NotFound)?;
            Ok(udb::delete_api_tokens(conn, &token.user_id, Some(id))?)
        }
        Revoke::AllOf(email) => {
            let user = user_by_email(conn, email)?;
            Ok(udb::delete_api_tokens(conn, &user.id, None)?)
        }
    })
}

/// Revokes one of `user`'s own tokens (the admin page).
pub fn revoke_own_token(conn: &mut DbConn, user: &User, id: &ApiTokenId) -> Result<(), AppError> {
    match write_tx(conn, |conn| {
        udb::delete_api_tokens(conn, &user.id, Some(id))
    })? {
        0 => Err(AppError::NotFound),
        _ => Ok(()),
    }
}

/// "Sign out everywhere": ends every session of the user.
pub fn sign_out_everywhere(conn: &mut DbConn, user: &User) -> Result<usize, AppError> {
    Ok(write_tx(conn, |conn| {
        udb::delete_sessions_of(conn, &user.id)
    })?)
}

/// The lockout rule: more than `max_failures` failed sign-ins within
/// `window`, for one account or from one address, refuse further tries
/// until the window has passed; 0 turns it off.
#[derive(Debug, Clone, Copy)]
pub struct LoginPolicy {
    pub max_failures: u32,
    pub window: Duration,
}

impl LoginPolicy {
    pub fn from_settings(settings: &crate::config::Settings) -> Self {
        Self {
            max_failures: settings.login_max_failures,
            window: Duration::from_std(settings.login_window).unwrap_or(Duration::minutes(15)),
        }
    }
}

/// What failures of a sign-in count against: the email as typed
/// (normalized, whether or not it has an account, so that unknown and
/// known accounts behave alike) and the client's address.
fn login_subjects(email: &str, address: Option<std::net::IpAddr>) -> Vec<(Scope, String)> {
    let account: String = email.trim().to_lowercase().chars().take(320).collect();
    let mut subjects = vec![(Scope::Account, account)];
    if let Some(ip) = address {
        subjects.push(match crate::domain::network::counted_as(ip) {
            network @ std::net::IpAddr::V6(_) => (Scope::Address, format!("{network}/64")),
            v4 => (Scope::Address, v4.to_string()),
        });
    }
    subjects
}

/// How long until the lockout of any subject ends, if one is active.
fn locked_for(
    conn: &mut DbConn,
    policy: LoginPolicy,
    subjects: &[(Scope, String)],
    now: chrono::NaiveDateTime,
) -> Result<Option<Duration>, AppError> {
    if policy.max_failures == 0 {
        return Ok(None);
    }
    let mut longest: Option<Duration> = None;
    for (scope, subject) in subjects {
        let recent = logins::recent(
            conn,
            *scope,
            subject,
            now - policy.window,
            i64::from(policy.max_failures) + 1,
        )?;
        // Locked while more than max_failures lie in the window; it opens
        // when the oldest of the newest max_failures + 1 leaves it.
        if recent.len() > policy.max_failures as usize
            && let Some(oldest) = recent.last()
        {
            let left = *oldest + policy.window - now;
            longest = Some(longest.map_or(left, |l| l.max(left)));
        }
    }
    Ok(longest)
}

/// Checks a password and opens a session: `Ok(Some(token))`, or `Ok(None)`
/// for a wrong email or password (alike in answer and in time: an unknown
/// email is hashed against a dummy). An active lockout is `RateLimited`
/// with its remaining time, whatever the password; no free hashing thread
/// is `Busy`. No database connection is held while hashing.
#[tracing::instrument(skip(pool, checker, password))]
pub async fn login(
    pool: &Pool,
    checker: &super::passwords::PasswordChecker,
    policy: LoginPolicy,
    email: &str,
    password: String,
    address: Option<std::net::IpAddr>,
) -> Result<Option<Token>, AppError> {
    // A place on a hashing thread first: when all are taken the attempt is
    // refused before it costs a database round.
    let admission = checker.admit().map_err(|_| AppError::Busy)?;
    let subjects = login_subjects(email, address);
    let parsed = EmailAddress::parse(email).ok();
    let now = db::now();
    let lookup = subjects.clone();
    // The lockout check and the counting of this attempt as a failure are
    // one transaction, serialized per subject: concurrent attempts cannot
    // all pass the check before any is counted. A success takes its count back.
    let (user, counted) = super::run(pool, move |conn| {
        write_tx(conn, |conn| {
            let mut counted = Vec::new();
            if policy.max_failures > 0 {
                for (scope, subject) in &lookup {
                    logins::lock_subject(conn, *scope, subject)?;
                }
                if let Some(left) = locked_for(conn, policy, &lookup, now)? {
                    tracing::warn!(?address, "sign-in refused: locked out");
                    return Err(AppError::RateLimited(Some(
                        left.to_std().unwrap_or_default(),
                    )));
                }
                logins::purge(conn, now - policy.window)?;
                for (scope, subject) in &lookup {
                    counted.push(logins::record(conn, *scope, subject, now)?);
                }
            }
            let user = match parsed {
                Some(email) => udb::find_by_email(conn, email.as_str())?,
                None => None,
            };
            Ok((user, counted))
        })
    })
    .await?;
    let hash = user
        .as_ref()
        .map_or_else(|| dummy_hash().to_owned(), |u| u.password_hash.clone());
    let matches = admission
        .verify(password, hash)
        .await
        .map_err(|_| AppError::Busy)?;
    // Security events for the operator: from where sign-ins fail, who
    // signed in (never the password or the session token).
    let user = match (user, matches) {
        (Some(user), true) => user,
        _ => {
            tracing::warn!(?address, "sign-in failed");
            return Ok(None);
        }
    };
    tracing::info!(user = %user.id, ?address, "signed in");
    let token = Token::generate();
    let token_hash = token.hash().as_str().to_owned();
    let now = db::now();
    super::run(pool, move |conn| {
        write_tx(conn, |conn| {
            logins::forget(conn, &counted)?;
            logins::clear(conn, Scope::Account, &subjects[0].1)?;
            udb::insert_session(
                conn,
                &NewSession {
                    id: &db::new_id(),
                    token_hash: &token_hash,
                    user_id: &user.id,
                    created_at: now,
                    expires_at: now + Duration::hours(SESSION_HOURS),
                },
            )
            .context("storing session")?;
            Ok::<_, AppError>(())
        })
    })
    .await?;
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

/// Computes the dummy hash at start-up rather than in the first sign-in
/// with an unknown email (which would then take twice as long, and on a
/// request thread).
pub fn prepare_sign_in() {
    dummy_hash();
}

/// An argon2id hash of a random string, verified against when the email is
/// unknown; made once per process so its parameters match real hashes.
fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| hash_password(Token::generate().expose()).unwrap_or_default())
}
