//! Integration tests: the real service on a random port, on SQLite and on
//! PostgreSQL (`MUSUBI_TEST_POSTGRES_URL`), driven over HTTP.

mod helpers;
mod smtp;

mod admin;
mod booking;
mod browser;
mod calendar_copies;
mod cli;
mod events_api;
mod feeds;
mod guest_pages;
mod health;
mod ical_roundtrip;
mod mail;
mod mail_format;
mod meetings;
mod migrations;
mod on_the_day;
mod openapi;
mod organizations_api;
mod outage;
mod pages;
mod partnering;
mod payloads;
mod registration_pages;
mod registrations;
mod security;
mod venues_api;
