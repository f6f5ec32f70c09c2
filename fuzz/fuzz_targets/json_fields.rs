//! JSON bodies as the API receives them: registrations, events (create,
//! and a merge patch over an event), parsed and validated. Never a panic;
//! a refusal is always a validation error.
#![no_main]

use libfuzzer_sys::fuzz_target;
use musubi::error::AppError;
use musubi::service::events::{EventFields, TimeInput};
use musubi::service::fields::{from_json, merge_patch};
use musubi::service::registrations::RegistrationFields;

fuzz_target!(|data: &[u8]| {
    // POST /api/v1/events/{slug}/registrations
    expect_validation(from_json::<RegistrationFields>(data).and_then(|f| f.validate().map(drop)));
    // POST /api/v1/events
    expect_validation(
        from_json::<EventFields>(data).and_then(|f| f.validate(TimeInput::Rfc3339).map(drop)),
    );
    // PATCH /api/v1/events/{slug}: the patch over the stored event's fields.
    let current = EventFields {
        slug: Some("kansai-bio-2026".into()),
        title_ja: Some("関西バイオ交流会".into()),
        title_en: Some("Kansai Bio Mixer".into()),
        kind: Some("seminar".into()),
        starts_at: Some("2026-12-01T18:00:00+09:00".into()),
        ends_at: Some("2026-12-01T20:00:00+09:00".into()),
        time_zone: Some("Asia/Tokyo".into()),
        capacity: Some("40".into()),
        organizer_slugs: vec!["link-j-west".into()],
        ..EventFields::default()
    };
    expect_validation(
        merge_patch(&current, data).and_then(|f| f.validate(TimeInput::Rfc3339).map(drop)),
    );
});

/// Bad input is a 422 naming its fields, never anything else.
fn expect_validation(result: Result<(), AppError>) {
    match result {
        Ok(()) => {}
        Err(AppError::Validation(errors)) => assert!(!errors.is_empty()),
        Err(other) => panic!("validation answered {other:?}"),
    }
}
