//! QR codes of check-in links: SVG for pages, PNG for mail (mail programs
//! show inline PNG attachments but not inline SVG). The PNG is written here
//! (three chunks) and compressed with flate2: each module is a block of
//! identical rows, so with PNG's "Up" filter the image shrinks to about a
//! kilobyte, which keeps every confirmation mail small and quick to send.

use qrcode::{Color, EcLevel, QrCode};

/// Pixels per module in the PNG, and the quiet zone in modules.
const SCALE: usize = 6;
const QUIET: usize = 4;

fn code(text: &str) -> anyhow::Result<QrCode> {
    QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)
        .map_err(|e| anyhow::anyhow!("making a QR code: {e}"))
}

/// An `<svg>` of the code, `size` CSS pixels wide, with a text alternative.
pub fn svg(text: &str, label: &str) -> anyhow::Result<String> {
    let code = code(text)?;
    let width = code.width();
    let colors = code.to_colors();
    let side = width + 2 * QUIET;
    let mut path = String::new();
    for (i, color) in colors.iter().enumerate() {
        if *color == Color::Dark {
            let (x, y) = (i % width + QUIET, i / width + QUIET);
            path.push_str(&format!("M{x} {y}h1v1h-1z"));
        }
    }
    let label = label
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('"', "&quot;");
    Ok(format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {side} {side}" class="qr" role="img" aria-label="{label}" shape-rendering="crispEdges"><rect width="{side}" height="{side}" fill="#fff"/><path d="{path}" fill="#000"/></svg>"##
    ))
}

/// A black-and-white PNG of the code.
pub fn png(text: &str) -> anyhow::Result<Vec<u8>> {
    let code = code(text)?;
    let width = code.width();
    let colors = code.to_colors();
    let side = (width + 2 * QUIET) * SCALE;
    let row_bytes = side.div_ceil(8);
    // Each row: a filter byte, then 1 bit per pixel, 1 = white (grayscale,
    // depth 1). A row like the one above it is sent as "Up" (all zeros).
    let mut raw = Vec::with_capacity((row_bytes + 1) * side);
    let mut previous: Option<Vec<u8>> = None;
    for py in 0..side {
        let mut row = vec![0xFFu8; row_bytes];
        let my = py / SCALE;
        for px in 0..side {
            let mx = px / SCALE;
            let dark = (QUIET..QUIET + width).contains(&mx)
                && (QUIET..QUIET + width).contains(&my)
                && colors[(my - QUIET) * width + (mx - QUIET)] == Color::Dark;
            if dark {
                row[px / 8] &= !(0x80 >> (px % 8));
            }
        }
        if previous.as_ref() == Some(&row) {
            raw.push(2);
            raw.extend(std::iter::repeat_n(0, row_bytes));
        } else {
            raw.push(0);
            raw.extend_from_slice(&row);
            previous = Some(row);
        }
    }
    let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut zlib, &raw)?;
    let side = u32::try_from(side)?;
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&side.to_be_bytes());
    ihdr.extend_from_slice(&side.to_be_bytes());
    ihdr.extend_from_slice(&[1, 0, 0, 0, 0]); // depth 1, grayscale
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &zlib.finish()?);
    chunk(&mut out, b"IEND", &[]);
    Ok(out)
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let start = out.len();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32fast::hash(&out[start..]);
    out.extend_from_slice(&crc.to_be_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn png_has_its_signature_size_and_chunks() {
        let png = png("https://musubi.example/check-in/abc").unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        assert_eq!(&png[12..16], b"IHDR");
        let side = u32::from_be_bytes(png[16..20].try_into().unwrap());
        assert_eq!(side % SCALE as u32, 0);
        assert!(side >= ((21 + 2 * QUIET) * SCALE) as u32);
        assert_eq!(&png[png.len() - 8..png.len() - 4], b"IEND");
        assert!(png.len() < 2_000, "compressed: {} bytes", png.len());
        // The image data inflates to one filter byte and the pixels per row.
        let idat_len = u32::from_be_bytes(png[33..37].try_into().unwrap()) as usize;
        assert_eq!(&png[37..41], b"IDAT");
        let mut raw = Vec::new();
        std::io::Read::read_to_end(
            &mut flate2::read::ZlibDecoder::new(&png[41..41 + idat_len]),
            &mut raw,
        )
        .unwrap();
        let side = side as usize;
        assert_eq!(raw.len(), side * (side.div_ceil(8) + 1));
    }

    #[test]
    fn svg_escapes_its_label() {
        let svg = svg("https://x.example/a", "QR <\"x\">").unwrap();
        assert!(svg.starts_with("<svg") && svg.contains("aria-label=\"QR &lt;&quot;x&quot;>\""));
    }
}
