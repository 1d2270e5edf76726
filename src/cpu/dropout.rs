//! Reference for `shaders/dropout.wgsl`.

use super::rng;
use crate::spec::dropout::{scale, threshold};

/// (y, mask) with mask[i] = 1/(1-rate) where draw i ≥ rate·2³², else 0.
pub fn forward(x: &[f64], rate: f32, seed: u32, salt: u32, counter: u32) -> (Vec<f64>, Vec<f64>) {
    let k = rng::key(seed, salt, counter);
    let t = threshold(rate);
    let scale = scale(rate) as f64;
    let mask: Vec<f64> = (0..x.len() as u32)
        .map(|i| if rng::draw_u32(k, i) >= t { scale } else { 0.0 })
        .collect();
    let y = x.iter().zip(&mask).map(|(a, m)| a * m).collect();
    (y, mask)
}

pub fn backward(mask: &[f64], dy: &[f64]) -> Vec<f64> {
    mask.iter().zip(dy).map(|(m, g)| m * g).collect()
}
