//! Reading iCalendar objects that come back (RFC 5545 §3.1): the iTIP
//! REPLY, COUNTER and REFRESH messages calendars send to an invite's
//! ORGANIZER. Only the structure: unfolded content lines with their
//! parameters, grouped into components. Untrusted input, so every count
//! is bounded and nothing is interpreted beyond the grammar.

/// At most this many content lines, components and nesting levels are read;
/// beyond that the object is refused (a message of 500 VEVENTs is fine,
/// one of 500,000 lines is not).
pub const MAX_LINES: usize = 20_000;
pub const MAX_COMPONENTS: usize = 2_000;
pub const MAX_DEPTH: usize = 8;

/// One property: `NAME;PARAM=value:value`, the name and parameter names
/// in upper case, values as written (quotes around parameter values removed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Property {
    pub name: String,
    pub params: Vec<(String, Vec<String>)>,
    pub value: String,
}

impl Property {
    /// The first value of a parameter, by its (upper-case) name.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, v)| v.first())
            .map(String::as_str)
    }

    /// The value as TEXT (RFC 5545 §3.3.11): `\n`, `\,`, `\;`, `\\` undone.
    pub fn text(&self) -> String {
        let mut out = String::with_capacity(self.value.len());
        let mut chars = self.value.chars();
        while let Some(c) = chars.next() {
            if c != '\\' {
                out.push(c);
                continue;
            }
            match chars.next() {
                Some('n' | 'N') => out.push('\n'),
                Some(other) => out.push(other),
                None => {}
            }
        }
        out
    }
}

/// A component (`BEGIN:NAME` … `END:NAME`) with its properties and the
/// components inside it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Component {
    pub name: String,
    pub properties: Vec<Property>,
    pub components: Vec<Component>,
}

impl Component {
    /// The first property of that name.
    pub fn property(&self, name: &str) -> Option<&Property> {
        self.properties.iter().find(|p| p.name == name)
    }

    /// The components inside of that name.
    pub fn children<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Component> + 'a {
        self.components.iter().filter(move |c| c.name == name)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("line {0}: not a content line")]
    Line(usize),
    #[error("line {0}: END:{1} without its BEGIN")]
    Unbalanced(usize, String),
    #[error("the object ends inside {0}")]
    Unterminated(String),
    #[error("no VCALENDAR")]
    NoCalendar,
    #[error("more than {0} lines, components or levels")]
    TooLarge(usize),
}

/// The VCALENDAR of `text`: its first top-level component, which must be
/// a VCALENDAR (anything after it is ignored).
pub fn calendar(text: &str) -> Result<Component, ParseError> {
    let mut stack: Vec<Component> = Vec::new();
    let mut components = 0usize;
    for (i, line) in unfold(text).enumerate() {
        let number = i + 1;
        if number > MAX_LINES {
            return Err(ParseError::TooLarge(MAX_LINES));
        }
        if line.trim().is_empty() {
            continue;
        }
        let property = content_line(&line).ok_or(ParseError::Line(number))?;
        match property.name.as_str() {
            "BEGIN" => {
                components += 1;
                if components > MAX_COMPONENTS {
                    return Err(ParseError::TooLarge(MAX_COMPONENTS));
                }
                if stack.len() >= MAX_DEPTH {
                    return Err(ParseError::TooLarge(MAX_DEPTH));
                }
                if stack.is_empty() && !property.value.eq_ignore_ascii_case("VCALENDAR") {
                    return Err(ParseError::NoCalendar);
                }
                stack.push(Component {
                    name: property.value.to_ascii_uppercase(),
                    ..Default::default()
                });
            }
            "END" => {
                let name = property.value.to_ascii_uppercase();
                let done = match stack.pop() {
                    Some(c) if c.name == name => c,
                    _ => return Err(ParseError::Unbalanced(number, name)),
                };
                match stack.last_mut() {
                    Some(parent) => parent.components.push(done),
                    None => return Ok(done),
                }
            }
            _ => match stack.last_mut() {
                Some(current) => current.properties.push(property),
                // Lines before BEGIN:VCALENDAR.
                None => return Err(ParseError::NoCalendar),
            },
        }
    }
    match stack.pop() {
        Some(open) => Err(ParseError::Unterminated(open.name)),
        None => Err(ParseError::NoCalendar),
    }
}

/// Logical lines: a line break followed by a space or tab continues the
/// line before (RFC 5545 §3.1). CRLF and bare LF both end a line.
fn unfold(text: &str) -> impl Iterator<Item = String> + '_ {
    let mut lines = text
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .peekable();
    std::iter::from_fn(move || {
        let mut line = lines.next()?.to_owned();
        while let Some(next) = lines.peek() {
            match next.strip_prefix([' ', '\t']) {
                Some(rest) => {
                    line.push_str(rest);
                    lines.next();
                }
                None => break,
            }
        }
        Some(line)
    })
}

/// `name *(";" param) ":" value` (RFC 5545 §3.1); None when it is not one.
fn content_line(line: &str) -> Option<Property> {
    let name_end = line.find([';', ':'])?;
    let name = &line[..name_end];
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return None;
    }
    let mut params = Vec::new();
    let mut rest = &line[name_end..];
    while let Some(after) = rest.strip_prefix(';') {
        let eq = after.find('=')?;
        let param_name = &after[..eq];
        if param_name.is_empty()
            || !param_name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            return None;
        }
        let mut values = Vec::new();
        let mut cursor = &after[eq + 1..];
        loop {
            let (value, remaining) = match cursor.strip_prefix('"') {
                Some(quoted) => {
                    let close = quoted.find('"')?;
                    (&quoted[..close], &quoted[close + 1..])
                }
                None => {
                    let end = cursor.find([',', ';', ':'])?;
                    (&cursor[..end], &cursor[end..])
                }
            };
            values.push(value.to_owned());
            match remaining.strip_prefix(',') {
                Some(more) => cursor = more,
                None => {
                    cursor = remaining;
                    break;
                }
            }
        }
        params.push((param_name.to_ascii_uppercase(), values));
        rest = cursor;
    }
    let value = rest.strip_prefix(':')?;
    Some(Property {
        name: name.to_ascii_uppercase(),
        params,
        value: value.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const OUTLOOK_REPLY: &str = "BEGIN:VCALENDAR\r\nMETHOD:REPLY\r\nPRODID:Microsoft Exchange Server 2010\r\nVERSION:2.0\r\nBEGIN:VTIMEZONE\r\nTZID:Eastern Standard Time\r\nBEGIN:STANDARD\r\nDTSTART:16010101T020000\r\nTZOFFSETFROM:-0400\r\nTZOFFSETTO:-0500\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\nBEGIN:VEVENT\r\nATTENDEE;PARTSTAT=DECLINED;CN=\"Whitfield, Dana\":mailto:dana@crv.exam\r\n ple\r\nCOMMENT;LANGUAGE=en-US:Sorry\\, I am travelling\\nthat week.\r\nSUMMARY;LANGUAGE=en-US:Declined: Meeting\r\nDTSTART;TZID=Asia/Tokyo:20311103T080000\r\nUID:meeting-1@musubi.example\r\nSEQUENCE:2\r\nX-MICROSOFT-CDO-REPLYTIME:20311020T101500Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

    #[test]
    fn an_outlook_reply_reads_with_its_folds_quotes_and_escapes() {
        let cal = calendar(OUTLOOK_REPLY).unwrap();
        assert_eq!(cal.name, "VCALENDAR");
        assert_eq!(cal.property("METHOD").unwrap().value, "REPLY");
        let events: Vec<_> = cal.children("VEVENT").collect();
        assert_eq!(events.len(), 1);
        let attendee = events[0].property("ATTENDEE").unwrap();
        assert_eq!(attendee.value, "mailto:dana@crv.example");
        assert_eq!(attendee.param("PARTSTAT"), Some("DECLINED"));
        assert_eq!(attendee.param("CN"), Some("Whitfield, Dana"));
        assert_eq!(
            events[0].property("COMMENT").unwrap().text(),
            "Sorry, I am travelling\nthat week."
        );
        assert_eq!(events[0].property("SEQUENCE").unwrap().value, "2");
        assert_eq!(cal.children("VTIMEZONE").count(), 1);
    }

    #[test]
    fn broken_and_oversized_objects_are_refused() {
        assert_eq!(calendar(""), Err(ParseError::NoCalendar));
        assert_eq!(
            calendar("BEGIN:VEVENT\r\nEND:VEVENT\r\n"),
            Err(ParseError::NoCalendar)
        );
        assert_eq!(
            calendar("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\n"),
            Err(ParseError::Unterminated("VEVENT".into()))
        );
        assert!(matches!(
            calendar("BEGIN:VCALENDAR\r\nEND:VEVENT\r\n"),
            Err(ParseError::Unbalanced(2, _))
        ));
        assert_eq!(
            calendar("BEGIN:VCALENDAR\r\nno colon here\r\nEND:VCALENDAR\r\n"),
            Err(ParseError::Line(2))
        );
        assert_eq!(
            calendar("BEGIN:VCALENDAR\r\nX;P=\"unclosed:v\r\nEND:VCALENDAR\r\n"),
            Err(ParseError::Line(2))
        );
        let many = format!(
            "BEGIN:VCALENDAR\r\n{}END:VCALENDAR\r\n",
            "BEGIN:VEVENT\r\nUID:x\r\nEND:VEVENT\r\n".repeat(MAX_COMPONENTS)
        );
        assert_eq!(calendar(&many), Err(ParseError::TooLarge(MAX_COMPONENTS)));
        let deep = format!("BEGIN:VCALENDAR\r\n{}", "BEGIN:X\r\n".repeat(MAX_DEPTH));
        assert_eq!(calendar(&deep), Err(ParseError::TooLarge(MAX_DEPTH)));
        // Five hundred VEVENTs are read (and the caller refuses them).
        let five_hundred = format!(
            "BEGIN:VCALENDAR\r\n{}END:VCALENDAR\r\n",
            "BEGIN:VEVENT\r\nUID:x\r\nEND:VEVENT\r\n".repeat(500)
        );
        assert_eq!(
            calendar(&five_hundred).unwrap().children("VEVENT").count(),
            500
        );
    }

    #[test]
    fn what_musubi_writes_reads_back() {
        let mut w = super::super::writer::Writer::new();
        w.begin("VCALENDAR");
        w.raw("METHOD", &[], "REQUEST");
        w.begin("VEVENT");
        w.raw(
            "ATTENDEE",
            &[("CN", "山田, 健二"), ("PARTSTAT", "NEEDS-ACTION")],
            "mailto:kenji@pref.osaka.example",
        );
        w.text(
            "SUMMARY",
            &[],
            &"大阪スタートアップとの商談; 再生医療, ".repeat(6),
        );
        w.end("VEVENT");
        w.end("VCALENDAR");
        let cal = calendar(&w.finish()).unwrap();
        let event = cal.children("VEVENT").next().unwrap();
        assert_eq!(
            event.property("ATTENDEE").unwrap().param("CN"),
            Some("山田, 健二")
        );
        assert_eq!(
            event.property("SUMMARY").unwrap().text(),
            "大阪スタートアップとの商談; 再生医療, ".repeat(6)
        );
    }
}
