//! Spreadsheets for organizers: CSV as Excel in Japan opens it (UTF-8 with a
//! byte-order mark, CRLF line ends) and XLSX. A cell that starts like a
//! formula is defused in both, so a guest's name never runs in Excel.

use rust_xlsxwriter::{Format, Workbook};

/// The text of a cell as it may be shown to a spreadsheet: a leading
/// formula sign (ASCII or full width) gets an apostrophe in front.
pub fn defused(value: &str) -> String {
    if value.starts_with(['=', '+', '-', '@', '\t', '\r', '＝', '＋', '－', '＠']) {
        format!("'{value}")
    } else {
        value.to_owned()
    }
}

/// One CSV cell: quoted when needed, and never read as a formula.
fn cell(value: &str) -> String {
    let value = defused(value);
    // `;` too: Excel in some locales splits on it.
    if value.contains([',', ';', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

/// A CSV document: UTF-8 with a byte-order mark, CRLF line ends.
pub fn csv(rows: &[Vec<String>]) -> String {
    let mut out = String::from("\u{FEFF}");
    for row in rows {
        out.push_str(&row.iter().map(|v| cell(v)).collect::<Vec<_>>().join(","));
        out.push_str("\r\n");
    }
    out
}

/// An XLSX workbook of one sheet: the first row bold and frozen, every
/// cell text (so that a postal code or a phone number keeps its zeros).
pub fn xlsx(sheet_name: &str, rows: &[Vec<String>]) -> anyhow::Result<Vec<u8>> {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    // Sheet names: at most 31 characters, none of []:*?/\ .
    let name: String = sheet_name
        .chars()
        .filter(|c| !"[]:*?/\\".contains(*c))
        .take(31)
        .collect();
    if !name.is_empty() {
        sheet.set_name(name)?;
    }
    let bold = Format::new().set_bold();
    let mut widths: Vec<usize> = Vec::new();
    for (r, row) in rows.iter().enumerate() {
        for (c, value) in row.iter().enumerate() {
            let (r16, c16) = (u32::try_from(r)?, u16::try_from(c)?);
            let value = defused(value);
            if r == 0 {
                sheet.write_string_with_format(r16, c16, &value, &bold)?;
            } else {
                sheet.write_string(r16, c16, &value)?;
            }
            // Wide characters take two columns' width.
            let width: usize = value
                .chars()
                .map(|ch| if ch.is_ascii() { 1 } else { 2 })
                .sum();
            if widths.len() <= c {
                widths.resize(c + 1, 0);
            }
            widths[c] = widths[c].max(width);
        }
    }
    for (c, width) in widths.iter().enumerate() {
        sheet.set_column_width(u16::try_from(c)?, (*width).clamp(6, 50) as f64 + 1.0)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    Ok(workbook.save_to_buffer()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_escapes_and_defuses_formulas() {
        let out = csv(&[vec![
            "a,b".into(),
            "say \"hi\"".into(),
            "=HYPERLINK(1)".into(),
            "大阪\n本社".into(),
        ]]);
        assert_eq!(
            out,
            "\u{FEFF}\"a,b\",\"say \"\"hi\"\"\",'=HYPERLINK(1),\"大阪\n本社\"\r\n"
        );
    }

    #[test]
    fn xlsx_is_a_zip_workbook() {
        let bytes = xlsx("参加者", &[vec!["名前".into()], vec!["=1+1".into()]]).unwrap();
        assert_eq!(&bytes[..2], b"PK");
    }
}
