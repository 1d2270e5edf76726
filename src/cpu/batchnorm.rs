//! Reference for `shaders/batchnorm.wgsl` (Keras' BatchNormalization over
//! the last axis).

pub use crate::ops::batchnorm::{EPS, MOMENTUM};

pub struct BnForward {
    pub y: Vec<f64>,
    pub mean: Vec<f64>,
    /// biased batch variance
    pub var: Vec<f64>,
}

/// Training mode over x viewed as [rows, c]; gamma_beta is [γ (c), β (c)].
pub fn forward_train(x: &[f64], gamma_beta: &[f64]) -> BnForward {
    let c = gamma_beta.len() / 2;
    let rows = (x.len() / c) as f64;
    let mut mean = vec![0.0; c];
    for (i, v) in x.iter().enumerate() {
        mean[i % c] += v / rows;
    }
    let mut var = vec![0.0; c];
    for (i, v) in x.iter().enumerate() {
        var[i % c] += (v - mean[i % c]).powi(2) / rows;
    }
    let y = x
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let ch = i % c;
            gamma_beta[ch] * (v - mean[ch]) / (var[ch] + EPS as f64).sqrt() + gamma_beta[c + ch]
        })
        .collect();
    BnForward { y, mean, var }
}

/// Inference mode with running [μ (c), σ² (c)].
pub fn forward_inference(x: &[f64], gamma_beta: &[f64], running: &[f64]) -> Vec<f64> {
    let c = gamma_beta.len() / 2;
    x.iter()
        .enumerate()
        .map(|(i, v)| {
            let ch = i % c;
            gamma_beta[ch] * (v - running[ch]) / (running[c + ch] + EPS as f64).sqrt()
                + gamma_beta[c + ch]
        })
        .collect()
}

/// running ← momentum · running + (1 - momentum) · batch, for [μ, σ²].
pub fn update_running(running: &mut [f64], mean: &[f64], var: &[f64]) {
    let c = mean.len();
    let m = MOMENTUM as f64;
    for ch in 0..c {
        running[ch] = m * running[ch] + (1.0 - m) * mean[ch];
        running[c + ch] = m * running[c + ch] + (1.0 - m) * var[ch];
    }
}

/// Gradients in training mode: (dx, [dγ, dβ]).
pub fn backward(x: &[f64], gamma_beta: &[f64], dy: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let c = gamma_beta.len() / 2;
    let f = forward_train(x, gamma_beta);
    let m = (x.len() / c) as f64;
    let inv_std: Vec<f64> = f
        .var
        .iter()
        .map(|v| 1.0 / (v + EPS as f64).sqrt())
        .collect();
    let xhat: Vec<f64> = x
        .iter()
        .enumerate()
        .map(|(i, v)| (v - f.mean[i % c]) * inv_std[i % c])
        .collect();
    let mut dgb = vec![0.0; 2 * c];
    for i in 0..x.len() {
        dgb[i % c] += dy[i] * xhat[i];
        dgb[c + i % c] += dy[i];
    }
    let dx = (0..x.len())
        .map(|i| {
            let ch = i % c;
            gamma_beta[ch] * inv_std[ch] / m * (m * dy[i] - dgb[c + ch] - xhat[i] * dgb[ch])
        })
        .collect();
    (dx, dgb)
}
