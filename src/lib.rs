//! musubi: the event and collaboration scheduler of LINK-J WEST and the
//! Osaka Prefectural Government. The binary is a thin wrapper around
//! [`cli::main`]; the integration tests link this crate.

pub mod api;
pub mod cli;
pub mod config;
pub mod db;
pub mod demo;
pub mod domain;
pub mod email;
pub mod error;
pub mod http;
pub mod i18n;
pub mod ical;
pub mod jobs;
pub mod qr;
pub mod routes;
pub mod scheduling;
pub mod service;
pub mod startup;
pub mod telemetry;
