//! Reference for `shaders/data.wgsl`.

/// Images order[start .. start + count] of a byte data set, scaled to [-1, 1].
pub fn gather_images(
    bytes: &[u8],
    order: &[u32],
    start: usize,
    count: usize,
    pixels: usize,
) -> Vec<f64> {
    let mut out = Vec::with_capacity(count * pixels);
    for &img in &order[start..start + count] {
        let base = img as usize * pixels;
        out.extend(
            bytes[base..base + pixels]
                .iter()
                .map(|&b| b as f64 / 127.5 - 1.0),
        );
    }
    out
}

/// `gather_images` with image b moved by (dx, dy), each in [-max_shift,
/// max_shift], from draw b of the stream `key` (`cpu::rng`): the pixel at
/// (y, x) is the source's (y - dy, x - dx), black (-1) past its edge.
pub fn gather_images_shifted(
    bytes: &[u8],
    order: &[u32],
    start: usize,
    count: usize,
    (h, w): (usize, usize),
    max_shift: u32,
    key: u32,
) -> Vec<f64> {
    let span = 2 * max_shift + 1;
    let mut out = Vec::with_capacity(count * h * w);
    for (b, &img) in order[start..start + count].iter().enumerate() {
        let r = super::rng::draw_u32(key, b as u32);
        let dx = (r % span) as i64 - max_shift as i64;
        let dy = (r / span % span) as i64 - max_shift as i64;
        let base = img as usize * h * w;
        for y in 0..h as i64 {
            for x in 0..w as i64 {
                let (sy, sx) = (y - dy, x - dx);
                let inside = (0..h as i64).contains(&sy) && (0..w as i64).contains(&sx);
                let byte = if inside {
                    bytes[base + sy as usize * w + sx as usize]
                } else {
                    0
                };
                out.push(byte as f64 / 127.5 - 1.0);
            }
        }
    }
    out
}

/// Labels order[start .. start + count] of a byte label set, as floats.
pub fn gather_labels(labels: &[u8], order: &[u32], start: usize, count: usize) -> Vec<f64> {
    order[start..start + count]
        .iter()
        .map(|&i| labels[i as usize] as f64)
        .collect()
}
