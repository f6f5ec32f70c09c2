//! Property: every text the iCal writer writes reads back as the same value
//! in two parsers musubi did not write (Python icalendar and ical.js):
//! escaping, RFC 6868 parameter quoting and folding on UTF-8 boundaries
//! lose nothing, whatever the characters and wherever a fold falls.

use musubi::ical::Writer;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use crate::feeds::parse_independently;

/// Characters that matter to the format, Japanese, emoji and the rest of
/// Unicode; no control characters but the line breaks and tab that
/// descriptions may hold (the domain types refuse the others).
///
/// (This found that Python icalendar 6.3 read `\\\,` as `,` instead of
/// `\,`; 7.3 reads it right, so the tests use 7.3.)
fn text(max: usize, line_breaks: bool) -> impl Strategy<Value = String> {
    let special: Vec<char> = if line_breaks {
        vec![';', ',', '\\', '"', ':', '^', '\n', '\r', '\t', ' ', '=']
    } else {
        vec![';', ',', '\\', '"', ':', '^', ' ', '=', '\'']
    };
    let piece = prop_oneof![
        3 => proptest::sample::select(special).prop_map(|c| c.to_string()),
        3 => "[ぁ-んァ-ヶ一-龥ー、。「」]{1,6}",
        2 => "[a-zA-Z0-9.@/-]{1,8}",
        1 => "[😀-🙏🚀-🛿]{1,2}",
        1 => any::<char>()
            .prop_filter("no control characters", |c| !c.is_control())
            .prop_map(|c| c.to_string()),
    ];
    // Trimmed, as every domain text type stores it.
    proptest::collection::vec(piece, 0..max).prop_map(|p| p.concat().trim().to_owned())
}

/// What a reader should get back: line breaks as LF (CRLF and CR are one
/// break in the format).
fn expected(s: &str) -> String {
    s.replace("\r\n", "\n").replace('\r', "\n")
}

fn calendar(cases: &[(String, String, String)]) -> String {
    let mut w = Writer::new();
    w.begin("VCALENDAR");
    w.raw("VERSION", &[], "2.0");
    w.raw("PRODID", &[], "-//musubi//roundtrip//EN");
    for (i, (summary, description, cn)) in cases.iter().enumerate() {
        w.begin("VEVENT");
        w.raw("UID", &[], &format!("case-{i}@musubi.test"));
        w.raw("DTSTAMP", &[], "20311202T050000Z");
        w.raw("DTSTART", &[], "20311202T050000Z");
        w.raw("DTEND", &[], "20311202T080000Z");
        w.text("SUMMARY", &[], summary);
        w.text("DESCRIPTION", &[], description);
        w.text("LOCATION", &[], cn);
        w.raw(
            "ATTENDEE",
            &[("CN", cn.as_str()), ("PARTSTAT", "ACCEPTED")],
            &format!("mailto:guest{i}@example.jp"),
        );
        w.end("VEVENT");
    }
    w.end("VCALENDAR");
    w.finish()
}

#[test]
fn every_written_text_reads_back_the_same_in_independent_parsers() {
    let mut runner = TestRunner::new(Config {
        cases: 6,
        failure_persistence: None,
        ..Config::default()
    });
    let batch = proptest::collection::vec((text(60, false), text(400, true), text(40, false)), 40);
    runner
        .run(&batch, |cases| {
            let ics = calendar(&cases);
            for line in ics.split("\r\n") {
                prop_assert!(line.len() <= 75, "line of {} octets", line.len());
            }
            let (python, icaljs) = parse_independently(&ics);
            prop_assert_eq!(&python["errors"], &serde_json::json!([]));
            for (i, (summary, description, cn)) in cases.iter().enumerate() {
                let py = &python["events"][i];
                let js = &icaljs["events"][i];
                prop_assert_eq!(py["summary"].as_str(), Some(summary.as_str()));
                prop_assert_eq!(js["summary"].as_str(), Some(summary.as_str()));
                let description = expected(description);
                prop_assert_eq!(py["description"].as_str(), Some(description.as_str()));
                prop_assert_eq!(js["description"].as_str(), Some(description.as_str()));
                prop_assert_eq!(py["location"].as_str(), Some(cn.as_str()));
                prop_assert_eq!(js["location"].as_str(), Some(cn.as_str()));
                // RFC 5545 has no escapes in parameter values: a backslash
                // is itself, and musubi writes it so. Both parsers treat it
                // as an escape there (Python icalendar 7.3 drops it before
                // `\\`, `:`, `;`, `,`; ical.js before `;`), so names with a
                // backslash (vanishingly rare in a person's name) are
                // compared in the TEXT properties above only.
                if !cn.contains('\\') {
                    prop_assert_eq!(py["attendees"][0]["cn"].as_str(), Some(cn.as_str()));
                    prop_assert_eq!(js["attendees"][0]["cn"].as_str(), Some(cn.as_str()));
                }
            }
            Ok(())
        })
        .unwrap();
}
