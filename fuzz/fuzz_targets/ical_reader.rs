//! The iCalendar reader (what calendars mail back: REPLY, COUNTER,
//! REFRESH) on arbitrary text: it never panics, and what it accepts stays
//! within its bounds, begins with VCALENDAR and has upper-case names.
#![no_main]

use libfuzzer_sys::fuzz_target;
use musubi::ical::parse::{self, Component, MAX_COMPONENTS, MAX_DEPTH};

fn check(c: &Component, depth: usize, count: &mut usize) {
    assert!(depth <= MAX_DEPTH);
    *count += 1;
    assert!(*count <= MAX_COMPONENTS);
    assert_eq!(c.name, c.name.to_ascii_uppercase());
    for p in &c.properties {
        assert!(!p.name.is_empty() && p.name == p.name.to_ascii_uppercase());
        // Folds are undone: no line break is left in a value but a bare CR.
        assert!(!p.value.contains('\n'));
        let _ = p.text();
    }
    for child in &c.components {
        check(child, depth + 1, count);
    }
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(cal) = parse::calendar(&text) {
        assert_eq!(cal.name, "VCALENDAR");
        check(&cal, 1, &mut 0);
    }
});
