use std::sync::Arc;

use crate::config::Settings;
use crate::db::Pool;
use crate::service::keys::LinkKeys;
use crate::service::passwords::PasswordChecker;

use super::feed_cache::FeedCache;
use super::rate_limit::RateLimiter;

/// What every handler shares (`web::Data<AppState>`).
#[derive(Clone)]
pub struct AppState {
    pub pool: Pool,
    pub settings: Settings,
    pub feeds: Arc<FeedCache>,
    pub keys: LinkKeys,
    /// Registrations per client address (see [`RateLimiter`]).
    pub limiter: Arc<RateLimiter>,
    /// The bounded password hashing threads of sign-in.
    pub passwords: PasswordChecker,
}
