//! Reference for `shaders/embedding.wgsl`. Labels are class indices held
//! as floats, as the GPU gathers them; a label outside [0, classes)
//! selects no row.

/// The class of `label` in a table of `classes` rows, if it is one.
fn class(label: f64, classes: usize) -> Option<usize> {
    (label >= 0.0 && label < classes as f64).then_some(label as usize)
}

/// out[b, f] += s_b · table[labels[b], f], with s_b = scale[b] where given,
/// else 1; `table` is [classes, width].
pub fn add_class_rows(
    table: &[f64],
    width: usize,
    labels: &[f64],
    scale: Option<&[f64]>,
    out: &mut [f64],
) {
    let classes = table.len() / width;
    for (b, &label) in labels.iter().enumerate() {
        let Some(c) = class(label, classes) else {
            continue;
        };
        let s = scale.map_or(1.0, |s| s[b]);
        for f in 0..width {
            out[b * width + f] += s * table[c * width + f];
        }
    }
}

/// The table's gradient [classes, width]: Σ_{b: labels[b] = c} s_b ·
/// rows[b, f].
pub fn class_rows_gradient(
    rows: &[f64],
    width: usize,
    labels: &[f64],
    scale: Option<&[f64]>,
    classes: usize,
) -> Vec<f64> {
    let mut grad = vec![0.0; classes * width];
    for (b, &label) in labels.iter().enumerate() {
        let Some(c) = class(label, classes) else {
            continue;
        };
        let s = scale.map_or(1.0, |s| s[b]);
        for f in 0..width {
            grad[c * width + f] += s * rows[b * width + f];
        }
    }
    grad
}

/// ⟨table[labels[b]], rows[b]⟩ for every sample b.
pub fn projection(table: &[f64], width: usize, labels: &[f64], rows: &[f64]) -> Vec<f64> {
    let classes = table.len() / width;
    labels
        .iter()
        .enumerate()
        .map(|(b, &label)| match class(label, classes) {
            Some(c) => (0..width)
                .map(|f| table[c * width + f] * rows[b * width + f])
                .sum(),
            None => 0.0,
        })
        .collect()
}
