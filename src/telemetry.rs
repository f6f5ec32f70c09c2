//! Logging: `tracing` to stderr, filtered by `MUSUBI_LOG`.

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber once; later calls (tests start many apps)
/// keep the first.
pub fn init(filter: &str) {
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}
