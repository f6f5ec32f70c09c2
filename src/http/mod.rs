//! What the HTML pages (`routes/`) and the JSON API (`api/`) share: the
//! application state, who the client is, the rate limit, the security
//! middleware and the feed cache. Neither side imports the other.

pub mod client;
pub mod encoding;
pub mod feed_cache;
pub mod hardening;
pub mod rate_limit;
mod state;

pub use client::client_ip;
pub use state::AppState;
