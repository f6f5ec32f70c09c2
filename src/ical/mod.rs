//! iCalendar (RFC 5545) output: the line writer, VTIMEZONE generation and
//! the feed builder.

pub mod feed;
pub mod meeting;
pub mod vtimezone;
pub mod writer;

pub use writer::Writer;
