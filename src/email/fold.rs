//! Header lines within 78 octets (RFC 5322 §2.1.1, §2.2.3). lettre folds
//! a value only between the words it writes itself, so a display name in
//! encoded words followed by its `<address>` can run past 78 octets; this
//! folds such lines again at their whitespace, where folding is allowed
//! in every field (between tokens, inside quoted strings and comments).

/// Header lines stay within this many octets.
pub const LINE: usize = 78;

/// `message` with every header line longer than [`LINE`] folded at its
/// last whitespace that keeps it within the limit. A line without such a
/// place (one long token) is left as it is.
pub fn headers(message: Vec<u8>) -> Vec<u8> {
    let end = match message.windows(4).position(|w| w == b"\r\n\r\n") {
        Some(at) => at + 2,
        None => return message,
    };
    let head = &message[..end];
    if head.split(|b| *b == b'\n').all(|l| l.len() <= LINE + 1) {
        return message;
    }
    let mut out = Vec::with_capacity(message.len() + 64);
    for line in head.split_inclusive(|b| *b == b'\n') {
        let mut rest = line.strip_suffix(b"\r\n").unwrap_or(line);
        while rest.len() > LINE {
            // The last space or tab that leaves at least one octet before
            // it (a continuation line's own leading whitespace does not count).
            // Past the line's own leading whitespace, so that no line of
            // only whitespace is left (RFC 5322 §3.2.2).
            let lead = rest
                .iter()
                .take_while(|b| **b == b' ' || **b == b'\t')
                .count()
                .max(1);
            let Some(at) = rest[lead.min(LINE)..=LINE]
                .iter()
                .rposition(|b| *b == b' ' || *b == b'\t')
                .map(|i| i + lead.min(LINE))
            else {
                break;
            };
            out.extend_from_slice(&rest[..at]);
            out.extend_from_slice(b"\r\n");
            rest = &rest[at..];
        }
        out.extend_from_slice(rest);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(&message[end..]);
    out
}

/// A URL in angle brackets as a header value folded within [`LINE`]
/// octets, the header's name taking `name_len` octets of the first line.
/// RFC 2369 §2: whitespace inside the brackets is ignored, so a long URL
/// (List-Unsubscribe with its token) may be folded anywhere in it.
pub fn bracketed_url(name_len: usize, url: &str) -> String {
    let text = format!("<{url}>");
    let mut out = String::with_capacity(text.len() + 8);
    // "Name: " on the first line, " " at the start of every further one.
    let mut room = LINE.saturating_sub(name_len + 2);
    let mut rest = text.as_str();
    while rest.len() > room {
        // At most `room` octets, never inside a character (a URL is ASCII
        // once serialized, but this must not panic if one is not).
        let mut end = room;
        while !rest.is_char_boundary(end) {
            end -= 1;
        }
        // Break after a '/', '?', '&' or '=' when one is near the end.
        let window = &rest[..end];
        let at = window
            .rfind(['/', '?', '&', '='])
            .map(|i| i + 1)
            .filter(|i| *i > room / 2)
            .unwrap_or(end);
        if at == 0 {
            break;
        }
        out.push_str(&rest[..at]);
        out.push_str("\r\n ");
        rest = &rest[at..];
        room = LINE - 1;
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(bytes: &[u8]) -> Vec<String> {
        String::from_utf8(bytes.to_vec())
            .unwrap()
            .split("\r\n")
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn long_lines_fold_at_whitespace_and_unfold_to_the_same_value() {
        let from = format!(
            "From: =?utf-8?b?{}?= <musubi@events.example.org>",
            "4".repeat(60)
        );
        let message = format!("{from}\r\nTo: a@b\r\n\r\nbody\r\n");
        let folded = headers(message.clone().into_bytes());
        let text = String::from_utf8(folded.clone()).unwrap();
        assert!(lines(&folded).iter().all(|l| l.len() <= LINE), "{text}");
        assert_eq!(text.replace("\r\n ", " "), message);
        assert!(text.ends_with("\r\n\r\nbody\r\n"));
        // A continuation line's own indent is not a place to fold.
        let indented = format!("X-Long: a\r\n   {}\r\n\r\n", "b".repeat(90));
        let folded = String::from_utf8(headers(indented.clone().into_bytes())).unwrap();
        assert!(
            folded
                .split("\r\n")
                .all(|l| l.is_empty() || !l.trim().is_empty()),
            "{folded:?}"
        );
        // Nothing to do: the same bytes.
        let short = b"To: a@b\r\n\r\nbody".to_vec();
        assert_eq!(headers(short.clone()), short);
    }

    #[test]
    fn a_bracketed_url_folds_within_the_limit() {
        let url = format!(
            "https://musubi.example.org/registrations/{}/unsubscribe?lang=en",
            "x".repeat(43)
        );
        let value = bracketed_url("List-Unsubscribe".len(), &url);
        let line = format!("List-Unsubscribe: {value}");
        assert!(line.split("\r\n").all(|l| l.len() <= LINE), "{line}");
        assert_eq!(value.replace("\r\n ", ""), format!("<{url}>"));
        // Not ASCII: folded on character boundaries, nothing lost.
        let wide = format!("https://例え.example/{}", "予定".repeat(40));
        let value = bracketed_url(16, &wide);
        assert_eq!(value.replace("\r\n ", ""), format!("<{wide}>"));
    }
}
