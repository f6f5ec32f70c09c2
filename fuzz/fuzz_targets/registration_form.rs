//! HTML form bodies as the pages receive them (after the CSRF field is
//! taken off): parsing and validation answer Ok or a validation error,
//! and never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use musubi::error::AppError;
use musubi::service::events::{EventFields, TimeInput};
use musubi::service::fields::from_form;
use musubi::service::registrations::RegistrationFields;

fuzz_target!(|data: &[u8]| {
    // The public registration form.
    if let Ok(fields) = from_form::<RegistrationFields>(data) {
        expect_validation(fields.validate().map(drop));
    }
    // The admin event form: wall-clock times in the event's zone.
    if let Ok(fields) = from_form::<EventFields>(data) {
        expect_validation(fields.validate(TimeInput::WallClock).map(drop));
    }
});

/// Bad input is a 422 naming its fields, never anything else.
fn expect_validation(result: Result<(), AppError>) {
    match result {
        Ok(()) => {}
        Err(AppError::Validation(errors)) => assert!(!errors.is_empty()),
        Err(other) => panic!("validation answered {other:?}"),
    }
}
