//! Reference for `shaders/optim.wgsl`.

use crate::spec::optim::Optimizer;

/// One update at step t (1-based). `state` is [m, v] for Adam, [v] for
/// RMSprop.
pub fn step(opt: &Optimizer, param: &mut [f64], grad: &[f64], state: &mut [Vec<f64>], t: u32) {
    match *opt {
        Optimizer::Adam {
            lr,
            beta1,
            beta2,
            eps,
        } => {
            let (b1, b2) = (beta1 as f64, beta2 as f64);
            let alpha = lr as f64 * (1.0 - b2.powi(t as i32)).sqrt() / (1.0 - b1.powi(t as i32));
            let (m, v) = state.split_at_mut(1);
            for i in 0..param.len() {
                m[0][i] = b1 * m[0][i] + (1.0 - b1) * grad[i];
                v[0][i] = b2 * v[0][i] + (1.0 - b2) * grad[i] * grad[i];
                param[i] -= alpha * m[0][i] / (v[0][i].sqrt() + eps as f64);
            }
        }
        Optimizer::Rmsprop { lr, rho, eps } => {
            let rho = rho as f64;
            for i in 0..param.len() {
                state[0][i] = rho * state[0][i] + (1.0 - rho) * grad[i] * grad[i];
                param[i] -= lr as f64 * grad[i] / (state[0][i] + eps as f64).sqrt();
            }
        }
    }
}
