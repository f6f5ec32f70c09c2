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

use qrcode::canvas::{Canvas, MaskPattern, Module};
use qrcode::{Color, EcLevel};

/// Pixels per module in the PNG (a check-in link of 37 modules and its
/// quiet zone make 180 px, the size the mail shows it at), and the quiet
/// zone in modules.
const SCALE: usize = 4;
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
    let best = if width <= MAX_BITS_WIDTH {
        best_mask_by_bits(&canvas, width)
    } else {
        MASKS
            .into_iter()
            .min_by_key(|mask| penalty_by_module(&masked(&canvas, *mask), width))
            .unwrap_or(MaskPattern::Checkerboard)
    };
    Ok(Code {
        dark: masked(&canvas, best),
        width,
    })
}

/// The modules with `mask` applied (and its format information drawn).
fn masked(canvas: &Canvas, mask: MaskPattern) -> Vec<bool> {
    let mut canvas = canvas.clone();
    canvas.apply_mask(mask);
    canvas
        .into_colors()
        .into_iter()
        .map(|c| c == Color::Dark)
        .collect()
}

/// Codes up to this many modules wide (version 21; a check-in link needs
/// about 5) are scored a row at a time as the bits of a `u128`.
const MAX_BITS_WIDTH: usize = 100;

/// The mask with the lowest penalty, each applied to rows of bits: the
/// data modules (those the mask flips) XOR the mask's pattern. Format
/// information, which differs per mask, is left light while scoring (30 of
/// the 1,000 or more modules); the chosen mask then draws it.
fn best_mask_by_bits(canvas: &Canvas, width: usize) -> MaskPattern {
    // Rows and columns of the modules as drawn, and of those a mask flips.
    let (mut base, mut data) = (Lines::new(width), Lines::new(width));
    for y in 0..width {
        for x in 0..width {
            let (dark, flipped) = match canvas.get(x as i16, y as i16) {
                Module::Unmasked(c) => (c == Color::Dark, true),
                Module::Empty => (false, true),
                Module::Masked(c) => (c == Color::Dark, false),
            };
            base.set(x, y, dark);
            data.set(x, y, flipped);
        }
    }
    let patterns = mask_patterns(width);
    let mut masked = Lines::new(width);
    let best = (0..MASKS.len())
        .min_by_key(|&m| {
            let pattern = &patterns[m];
            for (i, line) in masked.rows.iter_mut().enumerate() {
                *line = base.rows[i] ^ (pattern.rows[i] & data.rows[i]);
            }
            for (i, line) in masked.columns.iter_mut().enumerate() {
                *line = base.columns[i] ^ (pattern.columns[i] & data.columns[i]);
            }
            penalty_of_lines(&masked, width)
        })
        .unwrap_or(0);
    MASKS[best]
}

/// A square of modules as bits, by row (bit x of row y) and by column
/// (bit y of column x), so that both directions are scored the same way.
struct Lines {
    rows: Vec<u128>,
    columns: Vec<u128>,
}

impl Lines {
    fn new(width: usize) -> Self {
        Self {
            rows: vec![0; width],
            columns: vec![0; width],
        }
    }

    fn set(&mut self, x: usize, y: usize, on: bool) {
        self.rows[y] |= u128::from(on) << x;
        self.columns[x] |= u128::from(on) << y;
    }
}

/// The eight masks' patterns for codes of `width`, made once per width
/// (a check-in link always has the same length, so nearly always once).
fn mask_patterns(width: usize) -> std::sync::Arc<Vec<Lines>> {
    type Cache = std::sync::Mutex<Vec<(usize, std::sync::Arc<Vec<Lines>>)>>;
    static CACHE: Cache = std::sync::Mutex::new(Vec::new());
    let mut cache = CACHE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some((_, patterns)) = cache.iter().find(|(w, _)| *w == width) {
        return patterns.clone();
    }
    let patterns = std::sync::Arc::new(
        MASKS
            .iter()
            .map(|mask| {
                let flips = mask_function(*mask);
                let mut lines = Lines::new(width);
                for y in 0..width {
                    for x in 0..width {
                        lines.set(x, y, flips(x, y));
                    }
                }
                lines
            })
            .collect::<Vec<_>>(),
    );
    cache.push((width, patterns.clone()));
    patterns
}

/// ISO/IEC 18004 Table 10: where each mask flips a module (x column, y row).
fn mask_function(mask: MaskPattern) -> fn(usize, usize) -> bool {
    match mask {
        MaskPattern::Checkerboard => |x, y| (x + y) % 2 == 0,
        MaskPattern::HorizontalLines => |_, y| y % 2 == 0,
        MaskPattern::VerticalLines => |x, _| x % 3 == 0,
        MaskPattern::DiagonalLines => |x, y| (x + y) % 3 == 0,
        MaskPattern::LargeCheckerboard => |x, y| (y / 2 + x / 3) % 2 == 0,
        MaskPattern::Fields => |x, y| (x * y) % 2 + (x * y) % 3 == 0,
        MaskPattern::Diamonds => |x, y| ((x * y) % 2 + (x * y) % 3) % 2 == 0,
        MaskPattern::Meadow => |x, y| ((x + y) % 2 + (x * y) % 3) % 2 == 0,
    }
}

/// The penalty of a masked code (ISO/IEC 18004 §7.8.3): a module at a
/// time beyond `MAX_BITS_WIDTH`, else as rows of bits.
#[cfg(test)]
fn penalty(dark: &[bool], width: usize) -> usize {
    if width > MAX_BITS_WIDTH {
        return penalty_by_module(dark, width);
    }
    let rows: Vec<u128> = dark
        .chunks(width)
        .map(|row| {
            row.iter()
                .enumerate()
                .fold(0, |r, (x, d)| r | u128::from(*d) << x)
        })
        .collect();
    penalty_of_rows(&rows, width)
}

/// The penalty of rows of bits (bit x of row y = the module at x, y): a few
/// word operations per row instead of a branch per module, which on
/// random-looking modules is mispredicted half the time (that made scoring
/// the eight masks cost more than writing the rest of a confirmation mail).
#[cfg(test)]
fn penalty_of_rows(rows: &[u128], width: usize) -> usize {
    let mut lines = Lines::new(width);
    for (y, row) in rows.iter().enumerate() {
        for x in 0..width {
            lines.set(x, y, row >> x & 1 == 1);
        }
    }
    penalty_of_lines(&lines, width)
}

fn penalty_of_lines(lines: &Lines, width: usize) -> usize {
    let (rows, columns) = (&lines.rows, &lines.columns);
    let ones = |n: usize| (1u128 << n) - 1;
    let full = ones(width);
    let mut score = 0;
    for line in rows.iter().chain(columns.iter()) {
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
    score + 10 * (dark_count * 100 / (width * width)).abs_diff(50) / 5
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
    let idat = deflate(&raw)?;
    let side = u32::try_from(side)?;
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&side.to_be_bytes());
    ihdr.extend_from_slice(&side.to_be_bytes());
    ihdr.extend_from_slice(&[1, 0, 0, 0, 0]); // depth 1, grayscale
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &idat);
    chunk(&mut out, b"IEND", &[]);
    Ok(out)
}

/// The zlib stream of `raw`. Each thread keeps its compressor: a new one
/// allocates and clears its tables every time, which cost more than the
/// compression itself.
fn deflate(raw: &[u8]) -> anyhow::Result<Vec<u8>> {
    thread_local! {
        static ZLIB: std::cell::RefCell<flate2::Compress> =
            std::cell::RefCell::new(flate2::Compress::new(flate2::Compression::fast(), true));
    }
    ZLIB.with_borrow_mut(|zlib| {
        zlib.reset();
        let mut out = Vec::with_capacity(raw.len() / 4 + 64);
        loop {
            let read = usize::try_from(zlib.total_in())?;
            let status =
                zlib.compress_vec(&raw[read..], &mut out, flate2::FlushCompress::Finish)?;
            if status == flate2::Status::StreamEnd {
                return Ok(out);
            }
            out.reserve(out.capacity().max(64));
        }
    })
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
    fn chosen_mask_is_the_best_or_close_to_it() {
        // Scored with the format information left out, the mask chosen is
        // the one the full rules choose, or within a few percent of it.
        let mut exact = 0;
        for n in 0..60 {
            let link = format!(
                "https://musubi.example/check-in/{}{n}",
                "AbCdEfGh-_".repeat(1 + n % 5)
            );
            let Code { dark, width } = code(&link).unwrap();
            let chosen = penalty(&dark, width);
            let bits = qrcode::bits::encode_auto(link.as_bytes(), EC).unwrap();
            let version = bits.version();
            let (data, ec) =
                qrcode::ec::construct_codewords(&bits.into_bytes(), version, EC).unwrap();
            let mut canvas = Canvas::new(version, EC);
            canvas.draw_all_functional_patterns();
            canvas.draw_data(&data, &ec);
            let scores: Vec<usize> = MASKS
                .iter()
                .map(|m| penalty(&masked(&canvas, *m), width))
                .collect();
            let best = *scores.iter().min().unwrap();
            assert!(
                scores.iter().any(|s| *s > best),
                "the masks differ: {scores:?}"
            );
            assert!(
                chosen * 100 <= best * 105,
                "{link}: chose {chosen}, best {best}"
            );
            exact += usize::from(chosen == best);
        }
        assert!(exact >= 45, "the best mask in {exact} of 60");
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
