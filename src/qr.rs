//! QR codes of check-in links: SVG for pages, PNG for mail (mail programs
//! show inline PNG attachments but not inline SVG). The PNG is written here
//! (three chunks) and compressed with flate2: each module is a block of
//! identical rows, so with PNG's "Up" filter the image shrinks to about a
//! kilobyte, which keeps every confirmation mail small and quick to send.
//!
//! The mask is chosen here too. The `qrcode` crate's own choice scores the
//! eight masks through boxed closures and costs about a millisecond a code,
//! half the time of a confirmation mail; the same four penalty rules
//! (ISO/IEC 18004 §7.8.3) over a flat array take microseconds.

use qrcode::canvas::{Canvas, MaskPattern};
use qrcode::{Color, EcLevel};

/// Pixels per module in the PNG, and the quiet zone in modules.
const SCALE: usize = 6;
const QUIET: usize = 4;
const EC: EcLevel = EcLevel::M;

const MASKS: [MaskPattern; 8] = [
    MaskPattern::Checkerboard,
    MaskPattern::HorizontalLines,
    MaskPattern::VerticalLines,
    MaskPattern::DiagonalLines,
    MaskPattern::LargeCheckerboard,
    MaskPattern::Fields,
    MaskPattern::Diamonds,
    MaskPattern::Meadow,
];

/// The modules of a code, row by row (`true` = dark), and its width.
struct Code {
    dark: Vec<bool>,
    width: usize,
}

fn code(text: &str) -> anyhow::Result<Code> {
    let failed = |e: qrcode::types::QrError| anyhow::anyhow!("making a QR code: {e}");
    let bits = qrcode::bits::encode_auto(text.as_bytes(), EC).map_err(failed)?;
    let version = bits.version();
    let (data, ec) =
        qrcode::ec::construct_codewords(&bits.into_bytes(), version, EC).map_err(failed)?;
    let mut canvas = Canvas::new(version, EC);
    canvas.draw_all_functional_patterns();
    canvas.draw_data(&data, &ec);
    let width = usize::try_from(version.width())?;
    let best = MASKS
        .iter()
        .map(|mask| {
            let mut masked = canvas.clone();
            masked.apply_mask(*mask);
            let dark: Vec<bool> = masked
                .into_colors()
                .into_iter()
                .map(|c| c == Color::Dark)
                .collect();
            (penalty(&dark, width), dark)
        })
        .min_by_key(|(score, _)| *score)
        .map(|(_, dark)| dark)
        .expect("eight masks");
    Ok(Code { dark: best, width })
}

/// The penalty of a masked code; the mask with the lowest is used. Codes
/// up to 100 modules wide (version 21; a check-in link needs about 5) are
/// scored a row at a time as bits, a few word operations per row instead of
/// a branch per module: on random-looking modules those branches are
/// mispredicted half the time, which made scoring the eight masks cost more
/// than writing the rest of a confirmation mail.
fn penalty(dark: &[bool], width: usize) -> usize {
    if width > 100 {
        return penalty_by_module(dark, width);
    }
    let mut rows = vec![0u128; width];
    let mut columns = vec![0u128; width];
    for (y, row) in dark.chunks(width).enumerate() {
        for (x, d) in row.iter().enumerate() {
            rows[y] |= u128::from(*d) << x;
            columns[x] |= u128::from(*d) << y;
        }
    }
    let ones = |n: usize| (1u128 << n) - 1;
    let full = ones(width);
    let mut score = 0;
    for line in rows.iter().chain(&columns) {
        // N1: a run of L ≥ 5 of one colour costs L - 2: one for each of its
        // L - 4 windows of five, plus 2 for the run (counted at its start).
        for same in [*line, !line & full] {
            let fives = same & same >> 1 & same >> 2 & same >> 3 & same >> 4;
            score +=
                fives.count_ones() as usize + 2 * (fives & !(fives << 1)).count_ones() as usize;
        }
        // N3: dark light dark dark dark light dark starting at x (x + 6 in
        // the code), with four light modules before or after it; outside
        // the code counts as light.
        let b = *line;
        let light = !b;
        let finder =
            b & light >> 1 & b >> 2 & b >> 3 & b >> 4 & light >> 5 & b >> 6 & ones(width - 6);
        let before =
            (light << 1 | 1) & (light << 2 | 0b11) & (light << 3 | 0b111) & (light << 4 | 0b1111);
        let after = light >> 7 & light >> 8 & light >> 9 & light >> 10;
        score += 40 * (finder & (before | after)).count_ones() as usize;
    }
    // N2: each 2×2 block of one colour: 3.
    for pair in rows.windows(2) {
        let (r, n) = (pair[0], pair[1]);
        let blocks = !(r ^ r >> 1) & !(n ^ n >> 1) & !(r ^ n) & ones(width - 1);
        score += 3 * blocks.count_ones() as usize;
    }
    // N4: 10 for each full 5% that dark modules stray from half.
    let dark_count: usize = rows.iter().map(|r| r.count_ones() as usize).sum();
    score + 10 * (dark_count * 100 / dark.len()).abs_diff(50) / 5
}

/// The same rules a module at a time: for codes too wide for the bits, and
/// the reference the bit version is tested against.
fn penalty_by_module(dark: &[bool], width: usize) -> usize {
    let columns: Vec<bool> = (0..width * width)
        .map(|i| dark[(i % width) * width + i / width])
        .collect();
    let mut score = 0;
    for line in dark.chunks(width).chain(columns.chunks(width)) {
        score += line_penalty(line);
    }
    for (row, below) in dark.chunks(width).zip(dark.chunks(width).skip(1)) {
        for x in 0..width - 1 {
            let c = row[x];
            if row[x + 1] == c && below[x] == c && below[x + 1] == c {
                score += 3;
            }
        }
    }
    let dark_count = dark.iter().filter(|d| **d).count();
    score + 10 * (dark_count * 100 / dark.len()).abs_diff(50) / 5
}

/// N1 and N3 of one row or column.
fn line_penalty(line: &[bool]) -> usize {
    const FINDER: [bool; 7] = [true, false, true, true, true, false, true];
    let mut score = 0;
    // N1: five or more modules of one colour in a row: 3 + (run - 5).
    let mut run = 1;
    for pair in line.windows(2) {
        if pair[0] == pair[1] {
            run += 1;
        } else {
            if run >= 5 {
                score += run - 2;
            }
            run = 1;
        }
    }
    if run >= 5 {
        score += run - 2;
    }
    // N3: 1:1:3:1:1 (dark light dark dark dark light dark) with four light
    // modules on either side (outside the code counts as light): 40 each.
    let light = |from: usize, to: usize| {
        line[from.min(line.len())..to.min(line.len())]
            .iter()
            .all(|d| !d)
    };
    for (j, window) in line.windows(7).enumerate() {
        if window == FINDER && (light(j.saturating_sub(4), j) || light(j + 7, j + 11)) {
            score += 40;
        }
    }
    score
}

/// An `<svg>` of the code, `size` CSS pixels wide, with a text alternative.
pub fn svg(text: &str, label: &str) -> anyhow::Result<String> {
    let Code { dark, width } = code(text)?;
    let side = width + 2 * QUIET;
    let mut path = String::new();
    for (i, is_dark) in dark.iter().enumerate() {
        if *is_dark {
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
    let Code { dark, width } = code(text)?;
    let side = (width + 2 * QUIET) * SCALE;
    let row_bytes = side.div_ceil(8);
    // Each module row becomes SCALE pixel rows: the first sent as is (filter
    // byte 0; 1 bit per pixel, 1 = white), the others as "Up" (filter 2,
    // all zeros: the same as the row above). The quiet zone is white.
    let white_row = vec![0xFFu8; row_bytes];
    let mut raw = Vec::with_capacity((row_bytes + 1) * side);
    let mut push_rows = |row: &[u8]| {
        raw.push(0);
        raw.extend_from_slice(row);
        for _ in 1..SCALE {
            raw.push(2);
            raw.extend(std::iter::repeat_n(0, row_bytes));
        }
    };
    for _ in 0..QUIET {
        push_rows(&white_row);
    }
    for modules in dark.chunks(width) {
        let mut row = white_row.clone();
        for (mx, _) in modules.iter().enumerate().filter(|(_, d)| **d) {
            let start = (mx + QUIET) * SCALE;
            for px in start..start + SCALE {
                row[px / 8] &= !(0x80 >> (px % 8));
            }
        }
        push_rows(&row);
    }
    for _ in 0..QUIET {
        push_rows(&white_row);
    }
    let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
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

    /// The PNG's pixels, inflated and unfiltered (1 bit each, 1 = white).
    fn pixels(png: &[u8]) -> (usize, Vec<u8>) {
        let side = u32::from_be_bytes(png[16..20].try_into().unwrap()) as usize;
        let idat_len = u32::from_be_bytes(png[33..37].try_into().unwrap()) as usize;
        let mut raw = Vec::new();
        std::io::Read::read_to_end(
            &mut flate2::read::ZlibDecoder::new(&png[41..41 + idat_len]),
            &mut raw,
        )
        .unwrap();
        let row_bytes = side.div_ceil(8);
        let mut rows: Vec<Vec<u8>> = Vec::new();
        for chunk in raw.chunks(row_bytes + 1) {
            let row = match chunk[0] {
                0 => chunk[1..].to_vec(),
                2 => rows
                    .last()
                    .unwrap()
                    .iter()
                    .zip(&chunk[1..])
                    .map(|(a, b)| a.wrapping_add(*b))
                    .collect(),
                f => panic!("filter {f}"),
            };
            rows.push(row);
        }
        let grey = (0..side * side)
            .map(|i| {
                let (x, y) = (i % side, i / side);
                if rows[y][x / 8] & (0x80 >> (x % 8)) != 0 {
                    255
                } else {
                    0
                }
            })
            .collect();
        (side, grey)
    }

    fn decode(side: usize, grey: &[u8]) -> String {
        let mut image =
            rqrr::PreparedImage::prepare_from_greyscale(side, side, |x, y| grey[y * side + x]);
        let grids = image.detect_grids();
        assert_eq!(grids.len(), 1, "one code in the image");
        grids[0].decode().unwrap().1
    }

    /// A scanner reads back every link from the mail's PNG: short and long
    /// links (several versions), so every mask the penalty picks is tried.
    #[test]
    fn png_scans_back_to_its_link() {
        let mut masks = std::collections::HashSet::new();
        for n in 0..40 {
            let link = format!(
                "https://events.link-j.example/check-in/{}",
                "k3Jx9_-Q".repeat(1 + n % 8)
            ) + &n.to_string();
            let (side, grey) = pixels(&png(&link).unwrap());
            assert_eq!(decode(side, &grey), link);
            let Code { dark, width } = code(&link).unwrap();
            masks.insert(format!("{width}:{}", penalty(&dark, width)));
        }
        assert!(
            masks.len() > 8,
            "codes of several sizes and masks: {masks:?}"
        );
    }

    /// The penalty picks the mask with the fewest look-alike patterns: a
    /// code made with it never scores above one made with a fixed mask.
    #[test]
    fn chosen_mask_scores_no_worse_than_any_other() {
        let link = "https://musubi.example/check-in/AbCdEfGhIjKlMnOpQrStUvWx";
        let Code { dark, width } = code(link).unwrap();
        let best = penalty(&dark, width);
        let bits = qrcode::bits::encode_auto(link.as_bytes(), EC).unwrap();
        let version = bits.version();
        let (data, ec) = qrcode::ec::construct_codewords(&bits.into_bytes(), version, EC).unwrap();
        let mut canvas = Canvas::new(version, EC);
        canvas.draw_all_functional_patterns();
        canvas.draw_data(&data, &ec);
        let scores: Vec<usize> = MASKS
            .iter()
            .map(|mask| {
                let mut masked = canvas.clone();
                masked.apply_mask(*mask);
                let dark: Vec<bool> = masked
                    .into_colors()
                    .into_iter()
                    .map(|c| c == Color::Dark)
                    .collect();
                penalty(&dark, width)
            })
            .collect();
        assert_eq!(Some(&best), scores.iter().min());
        assert!(
            scores.iter().any(|s| *s > best),
            "the masks differ: {scores:?}"
        );
    }

    /// The bit version scores like the module-at-a-time one, on random
    /// grids and on real codes of every size up to the limit.
    #[test]
    fn bit_penalty_matches_the_module_penalty() {
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let mut random = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for width in [7, 21, 25, 37, 57, 64, 65, 99, 100] {
            for density in [2, 3, 7] {
                let dark: Vec<bool> = (0..width * width)
                    .map(|_| random() % density == 0)
                    .collect();
                assert_eq!(
                    penalty(&dark, width),
                    penalty_by_module(&dark, width),
                    "width {width}"
                );
            }
        }
        for n in [1, 40, 200, 600] {
            let Code { dark, width } = code(&"x".repeat(n)).unwrap();
            assert_eq!(
                penalty(&dark, width),
                penalty_by_module(&dark, width),
                "width {width}"
            );
        }
        // A finder-like run with light on one side only, at the edges.
        let mut dark = vec![false; 11 * 11];
        for (x, d) in [true, false, true, true, true, false, true]
            .into_iter()
            .enumerate()
        {
            dark[x] = d;
            dark[5 * 11 + 4 + x] = d;
        }
        assert_eq!(penalty(&dark, 11), penalty_by_module(&dark, 11));
    }

    #[test]
    fn penalty_counts_runs_blocks_and_balance() {
        // 7×7, all light: N1 7 rows + 7 columns of a 7-run (5 each), N2 36
        // blocks (3 each), N4 fully light (10 × 10).
        assert_eq!(penalty(&[false; 49], 7), 14 * 5 + 36 * 3 + 100);
        assert_eq!(penalty_by_module(&[false; 49], 7), 14 * 5 + 36 * 3 + 100);
    }

    #[test]
    fn svg_escapes_its_label() {
        let svg = svg("https://x.example/a", "QR <\"x\">").unwrap();
        assert!(svg.starts_with("<svg") && svg.contains("aria-label=\"QR &lt;&quot;x&quot;>\""));
    }
}
