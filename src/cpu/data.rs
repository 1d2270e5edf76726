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

/// Labels order[start .. start + count] of a byte label set, as floats.
pub fn gather_labels(labels: &[u8], order: &[u32], start: usize, count: usize) -> Vec<f64> {
    order[start..start + count]
        .iter()
        .map(|&i| labels[i as usize] as f64)
        .collect()
}
