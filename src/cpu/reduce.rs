//! Reference for `shaders/reduce.wgsl`.

/// out[c] = Σ_r x[r, c] for x viewed as [len / cols, cols].
pub fn sum_columns(x: &[f64], cols: usize) -> Vec<f64> {
    let mut out = vec![0.0; cols];
    for (i, v) in x.iter().enumerate() {
        out[i % cols] += v;
    }
    out
}

pub fn sum_all(x: &[f64]) -> f64 {
    x.iter().sum()
}
