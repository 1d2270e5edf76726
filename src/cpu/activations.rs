//! Reference for `shaders/activations.wgsl`.

pub use crate::spec::activation::Activation;

const SELU_ALPHA: f64 = 1.6732632423543772;
const SELU_SCALE: f64 = 1.0507009873554805;

pub fn apply(act: Activation, v: f64) -> f64 {
    match act {
        Activation::LeakyRelu(a) => {
            if v > 0.0 {
                v
            } else {
                a as f64 * v
            }
        }
        Activation::Selu => {
            SELU_SCALE
                * if v > 0.0 {
                    v
                } else {
                    SELU_ALPHA * (v.exp() - 1.0)
                }
        }
        Activation::Tanh => v.tanh(),
    }
}

/// f'(v); at the kink of ReLU-like functions, the right-hand side's
/// convention of the shader (x > 0 → slope 1).
pub fn derivative(act: Activation, v: f64) -> f64 {
    match act {
        Activation::LeakyRelu(a) => {
            if v > 0.0 {
                1.0
            } else {
                a as f64
            }
        }
        Activation::Selu => SELU_SCALE * if v > 0.0 { 1.0 } else { SELU_ALPHA * v.exp() },
        Activation::Tanh => 1.0 - v.tanh().powi(2),
    }
}

pub fn forward(act: Activation, x: &[f64]) -> Vec<f64> {
    x.iter().map(|&v| apply(act, v)).collect()
}

pub fn backward(act: Activation, x: &[f64], dy: &[f64]) -> Vec<f64> {
    x.iter()
        .zip(dy)
        .map(|(&v, &g)| g * derivative(act, v))
        .collect()
}
