//! Reference for `shaders/ema.wgsl`.

/// The decay of the update after `t` steps: min(decay, (1 + t)/(10 + t)).
pub fn warmed_up_decay(decay: f64, t: u32) -> f64 {
    decay.min((1.0 + t as f64) / (10.0 + t as f64))
}

/// average ← d·average + (1-d)·param.
pub fn update(average: &mut [f64], param: &[f64], d: f64) {
    for (a, &p) in average.iter_mut().zip(param) {
        *a = d * *a + (1.0 - d) * p;
    }
}
