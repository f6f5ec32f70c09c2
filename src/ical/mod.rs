//! iCalendar (RFC 5545): the line writer, VTIMEZONE generation, the feed
//! builder, and the reader of what calendars send back.

pub mod feed;
pub mod meeting;
pub mod parse;
pub mod vtimezone;
pub mod writer;

pub use writer::Writer;
