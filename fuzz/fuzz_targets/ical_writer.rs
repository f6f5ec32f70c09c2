//! The iCalendar writer on arbitrary text: every physical line is at most
//! 75 octets, ends in CRLF and is filled before it is folded (so folds fall
//! on UTF-8 boundaries, never earlier than needed); no bare CR or LF gets
//! through; unfolding and unescaping give the input back.
//!
//! Input: up to three UTF-8 parts separated by 0xFF (a byte UTF-8 never
//! uses): a TEXT value, a parameter value and a raw value. With one part,
//! it is used for all three.
#![no_main]

use libfuzzer_sys::fuzz_target;
use musubi::ical::Writer;
use musubi::ical::writer::{escape_text, param_value};

fuzz_target!(|data: &[u8]| {
    let parts: Vec<String> = data
        .split(|b| *b == 0xFF)
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .collect();
    let part = |i: usize| parts.get(i).unwrap_or(&parts[0]).as_str();
    let (text, param, raw) = (part(0), part(1), part(2));

    check_text(text);
    check_param(param, text);
    check_raw(raw);
    check_stream(text, param, raw);
});

/// What `escape_text` keeps of a value: line breaks (CR, LF, CRLF) become
/// LF, other control characters except tab are dropped.
fn text_kept(value: &str) -> String {
    let mut out = String::new();
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push('\n');
            }
            '\n' | '\t' => out.push(c),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// What `param_value` keeps: as for TEXT, but tab is dropped too.
fn param_kept(value: &str) -> String {
    text_kept(value).replace('\t', "")
}

fn check_text(value: &str) {
    let mut w = Writer::new();
    w.text("DESCRIPTION", &[], value);
    let out = w.finish();
    let lines = physical_lines(&out);
    assert_eq!(lines.len(), 1, "one logical line: {out:?}");
    let body = lines[0]
        .strip_prefix("DESCRIPTION:")
        .unwrap_or_else(|| panic!("name kept: {out:?}"));
    assert_eq!(
        unescape_text(body),
        text_kept(value),
        "TEXT round trip of {value:?} via {out:?}"
    );
    assert_eq!(escape_text(value), body, "text() writes escape_text()");
    if !value.contains(|c: char| c.is_control() && c != '\t' && c != '\n') {
        assert_eq!(unescape_text(body), value, "clean text comes back as is");
    }
}

fn check_param(value: &str, text: &str) {
    let encoded = param_value(value);
    assert!(!encoded.contains(['\r', '\n']), "{encoded:?}");
    let inner = match encoded.strip_prefix('"') {
        Some(rest) => rest
            .strip_suffix('"')
            .unwrap_or_else(|| panic!("quote closed: {encoded:?}")),
        None => {
            assert!(
                !encoded.is_empty() && !encoded.contains([':', ';', ',']),
                "unquoted value needs no quotes: {encoded:?}"
            );
            &encoded
        }
    };
    assert!(!inner.contains('"'), "no DQUOTE inside: {encoded:?}");
    assert_eq!(
        unescape_param(inner),
        param_kept(value),
        "RFC 6868 round trip"
    );

    // In a content line, the parameter ends where the value starts.
    let mut w = Writer::new();
    w.text(
        "ATTENDEE",
        &[("CN", value), ("X-NOTE", text)],
        "mailto:a@example.org",
    );
    let out = w.finish();
    let lines = physical_lines(&out);
    assert_eq!(lines.len(), 1, "{out:?}");
    let (params, val) = split_content_line(&lines[0], "ATTENDEE");
    assert_eq!(
        params,
        vec![
            ("CN".to_owned(), param_kept(value)),
            ("X-NOTE".to_owned(), param_kept(text)),
        ]
    );
    assert_eq!(unescape_text(&val), "mailto:a@example.org");
}

fn check_raw(value: &str) {
    let mut w = Writer::new();
    w.raw("URL", &[], value);
    let out = w.finish();
    let lines = physical_lines(&out);
    assert_eq!(lines.len(), 1, "a raw value never adds a line: {out:?}");
    let expected: String = value.chars().filter(|c| *c != '\r' && *c != '\n').collect();
    assert_eq!(lines[0], format!("URL:{expected}"));
}

fn check_stream(text: &str, param: &str, raw: &str) {
    let mut w = Writer::new();
    w.begin("VCALENDAR");
    w.begin("VEVENT");
    w.text("SUMMARY", &[("LANGUAGE", "ja")], text);
    w.text("LOCATION", &[("ALTREP", param)], text);
    w.raw("X-RAW", &[], raw);
    w.end("VEVENT");
    w.end("VCALENDAR");
    let out = w.finish();
    let lines = physical_lines(&out);
    let names: Vec<&str> = lines
        .iter()
        .map(|l| l.split([':', ';']).next().unwrap_or_default())
        .collect();
    assert_eq!(
        names,
        [
            "BEGIN", "BEGIN", "SUMMARY", "LOCATION", "X-RAW", "END", "END"
        ],
        "{out:?}"
    );
}

/// Checks the physical layout and returns the unfolded logical lines.
fn physical_lines(out: &str) -> Vec<String> {
    let bytes = out.as_bytes();
    assert!(out.ends_with("\r\n"), "ends in CRLF: {out:?}");
    for (i, b) in bytes.iter().enumerate() {
        match b {
            b'\r' => assert_eq!(bytes.get(i + 1), Some(&b'\n'), "bare CR at {i}: {out:?}"),
            b'\n' => assert!(i > 0 && bytes[i - 1] == b'\r', "bare LF at {i}: {out:?}"),
            _ => {}
        }
    }
    let physical: Vec<&[u8]> = bytes[..bytes.len() - 2]
        .split(|b| *b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .collect();
    let mut logical: Vec<String> = Vec::new();
    for (i, line) in physical.iter().enumerate() {
        assert!(
            line.len() <= 75,
            "{} octets: {:?}",
            line.len(),
            String::from_utf8_lossy(line)
        );
        // Each physical line is whole UTF-8: no character was split by a fold.
        let line = std::str::from_utf8(line)
            .unwrap_or_else(|e| panic!("fold split a character: {e} in {out:?}"));
        if let Some(next) = physical.get(i + 1) {
            if next.first() == Some(&b' ') {
                // Folded only when the next character would not have fitted.
                let next = std::str::from_utf8(&next[1..]).expect("checked when reached");
                let width = next.chars().next().map_or(0, char::len_utf8);
                assert!(
                    line.len() + width > 75,
                    "folded early ({} + {width} octets): {out:?}",
                    line.len()
                );
            }
        }
        match line.strip_prefix(' ') {
            Some(rest) if i > 0 => logical.last_mut().expect("i > 0").push_str(rest),
            _ => logical.push(line.to_owned()),
        }
    }
    logical
}

/// TEXT unescaping (RFC 5545 3.3.11); any other backslash is a bug here.
fn unescape_text(escaped: &str) -> String {
    let mut out = String::new();
    let mut chars = escaped.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('\\') => out.push('\\'),
                Some(';') => out.push(';'),
                Some(',') => out.push(','),
                Some('n') | Some('N') => out.push('\n'),
                other => panic!("bad escape \\{other:?} in {escaped:?}"),
            }
        } else {
            assert!(c != ';' && c != ',', "unescaped {c:?} in {escaped:?}");
            out.push(c);
        }
    }
    out
}

/// RFC 6868 decoding: ^^ ^' ^n; a lone caret stays.
fn unescape_param(encoded: &str) -> String {
    let mut out = String::new();
    let mut chars = encoded.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '^' {
            match chars.peek() {
                Some('^') => out.push('^'),
                Some('\'') => out.push('"'),
                Some('n') => out.push('\n'),
                _ => {
                    out.push('^');
                    continue;
                }
            }
            chars.next();
        } else {
            out.push(c);
        }
    }
    out
}

/// Splits `NAME;K=V;K="V":value` into its decoded parameters and value.
fn split_content_line(line: &str, name: &str) -> (Vec<(String, String)>, String) {
    let mut rest = line
        .strip_prefix(name)
        .unwrap_or_else(|| panic!("starts with {name}: {line:?}"));
    let mut params = Vec::new();
    while let Some(after) = rest.strip_prefix(';') {
        let (key, after) = after
            .split_once('=')
            .unwrap_or_else(|| panic!("parameter has '=': {line:?}"));
        let (value, after) = if let Some(quoted) = after.strip_prefix('"') {
            let end = quoted
                .find('"')
                .unwrap_or_else(|| panic!("closing quote: {line:?}"));
            (&quoted[..end], &quoted[end + 1..])
        } else {
            let end = after
                .find([';', ':'])
                .unwrap_or_else(|| panic!("parameter ends: {line:?}"));
            assert!(!after[..end].contains(','), "unquoted comma: {line:?}");
            (&after[..end], &after[end..])
        };
        params.push((key.to_owned(), unescape_param(value)));
        rest = after;
    }
    let value = rest
        .strip_prefix(':')
        .unwrap_or_else(|| panic!("value follows the parameters: {line:?}"));
    (params, value.to_owned())
}
