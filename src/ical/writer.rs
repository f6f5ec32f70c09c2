//! RFC 5545 content lines: CRLF endings, folding at 75 octets without
//! splitting a UTF-8 character, TEXT escaping and parameter quoting
//! (RFC 6868 caret encoding).

/// Builds an iCalendar stream line by line.
#[derive(Debug, Default)]
pub struct Writer {
    out: String,
}

impl Writer {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn begin(&mut self, component: &str) {
        self.raw("BEGIN", &[], component);
    }

    pub fn end(&mut self, component: &str) {
        self.raw("END", &[], component);
    }

    /// A property whose value is already in its iCalendar form (dates,
    /// numbers, URIs, fixed words).
    pub fn raw(&mut self, name: &str, params: &[(&str, &str)], value: &str) {
        let mut line = String::with_capacity(name.len() + value.len() + 16);
        line.push_str(name);
        for (key, param) in params {
            line.push(';');
            line.push_str(key);
            line.push('=');
            line.push_str(&param_value(param));
        }
        line.push(':');
        // A value never carries a bare line break into the stream.
        line.extend(value.chars().filter(|c| *c != '\r' && *c != '\n'));
        fold_into(&line, &mut self.out);
    }

    /// A TEXT property: the value is escaped.
    pub fn text(&mut self, name: &str, params: &[(&str, &str)], value: &str) {
        self.raw(name, params, &escape_text(value));
    }

    /// Lines another writer made (already folded, CRLF-terminated).
    pub fn lines(&mut self, written: &str) {
        self.out.push_str(written);
    }

    pub fn finish(self) -> String {
        self.out
    }
}

/// Escapes a TEXT value: backslash, semicolon, comma and line breaks (CR,
/// LF or CRLF become `\n`); other control characters except tab are dropped.
pub fn escape_text(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push_str("\\n");
            }
            '\n' => out.push_str("\\n"),
            '\t' => out.push(c),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// A parameter value: RFC 6868 caret encoding for `^`, `"` and line
/// breaks, then quoted when it holds `:`, `;` or `,` (which RFC 5545
/// requires), a space or `=` (which some readers split or trim unquoted),
/// or is empty.
pub fn param_value(value: &str) -> String {
    let mut encoded = String::with_capacity(value.len());
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '^' => encoded.push_str("^^"),
            '"' => encoded.push_str("^'"),
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                encoded.push_str("^n");
            }
            '\n' => encoded.push_str("^n"),
            c if c.is_control() => {}
            c => encoded.push(c),
        }
    }
    if encoded.is_empty() || encoded.contains([':', ';', ',', ' ', '=']) {
        format!("\"{encoded}\"")
    } else {
        encoded
    }
}

/// Writes one logical line folded to at most 75 octets per physical line
/// (continuations start with a space), ending in CRLF.
fn fold_into(line: &str, out: &mut String) {
    let mut start = 0;
    let mut limit = 75;
    while line.len() - start > limit {
        let mut end = start + limit;
        while !line.is_char_boundary(end) {
            end -= 1;
        }
        out.push_str(&line[start..end]);
        out.push_str("\r\n ");
        start = end;
        // The leading space of a continuation counts toward its 75 octets.
        limit = 74;
    }
    out.push_str(&line[start..]);
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(f: impl FnOnce(&mut Writer)) -> String {
        let mut w = Writer::new();
        f(&mut w);
        w.finish()
    }

    /// Unfolds and checks every physical line is at most 75 octets and ends in CRLF.
    fn unfold(text: &str) -> String {
        assert!(text.ends_with("\r\n"));
        for physical in text.split("\r\n").filter(|l| !l.is_empty()) {
            assert!(
                physical.len() <= 75,
                "{} octets: {physical:?}",
                physical.len()
            );
        }
        assert!(
            !text.replace("\r\n", "").contains(['\r', '\n']),
            "no bare CR or LF"
        );
        text.replace("\r\n ", "")
    }

    #[test]
    fn folds_without_splitting_characters_of_any_width() {
        for (sample, width) in [("é", 2), ("日", 3), ("𠮷", 4), ("a", 1)] {
            let value: String = std::iter::repeat_n(sample, 200).collect();
            let text = written(|w| w.text("SUMMARY", &[], &value));
            // Each physical line is valid UTF-8 on its own (we split on &str
            // boundaries) and the whole unfolds back to the original.
            assert_eq!(
                unfold(&text),
                format!("SUMMARY:{value}\r\n"),
                "width {width}"
            );
            let lines: Vec<&str> = text.split("\r\n").filter(|l| !l.is_empty()).collect();
            for physical in &lines[..lines.len() - 1] {
                assert!(physical.len() > 75 - width, "lines are filled: {physical}");
            }
            assert!(lines[1..].iter().all(|l| l.starts_with(' ')));
        }
        let exact = written(|w| w.raw("X", &[], &"a".repeat(73)));
        assert_eq!(
            exact,
            format!("X:{}\r\n", "a".repeat(73)),
            "75 octets fit on one line"
        );
    }

    #[test]
    fn escapes_text_and_never_lets_a_cr_through() {
        assert_eq!(
            escape_text("a\\b;c,d\ne\r\nf\rg"),
            "a\\\\b\\;c\\,d\\ne\\nf\\ng"
        );
        assert_eq!(escape_text("bell\u{7}tab\tend"), "belltab\tend");
        let text = written(|w| w.text("DESCRIPTION", &[], "line one\r\nline two\rthree"));
        assert_eq!(text, "DESCRIPTION:line one\\nline two\\nthree\r\n");
        let injected = written(|w| w.raw("URL", &[], "https://x.example/\r\nATTACH:evil"));
        assert_eq!(injected.matches("\r\n").count(), 1, "{injected:?}");
    }

    #[test]
    fn quotes_parameters_per_rfc_6868() {
        assert_eq!(param_value("Asia/Tokyo"), "Asia/Tokyo");
        assert_eq!(param_value("大阪府"), "大阪府");
        assert_eq!(
            param_value("LINK-J WEST × 大阪府"),
            "\"LINK-J WEST × 大阪府\""
        );
        assert_eq!(param_value("<%= 7*7 %>"), "\"<%= 7*7 %>\"");
        assert_eq!(param_value("Osaka, Japan"), "\"Osaka, Japan\"");
        assert_eq!(param_value("The \"Best\" Co."), "\"The ^'Best^' Co.\"");
        assert_eq!(param_value("a^b\nc"), "a^^b^nc");
        assert_eq!(param_value("x:y\"z"), "\"x:y^'z\"");
        let line = written(|w| {
            w.raw(
                "ORGANIZER",
                &[("CN", "Dr. \"Kenji\"; Osaka")],
                "mailto:k@example.org",
            )
        });
        assert_eq!(
            line,
            "ORGANIZER;CN=\"Dr. ^'Kenji^'; Osaka\":mailto:k@example.org\r\n"
        );
    }
}
