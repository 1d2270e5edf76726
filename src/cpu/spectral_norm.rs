//! Reference for `shaders/spectral_norm.wgsl`, on W [rows, cols] row-major.

/// The result of one power-iteration step.
pub struct PowerStep {
    /// The new left vector, Wᵀv / ‖Wᵀv‖ [cols].
    pub u: Vec<f64>,
    /// W u / ‖W u‖ [rows], from the old u.
    pub v: Vec<f64>,
    /// ‖Wᵀv‖ = vᵀ W u: the estimate of the largest singular value.
    pub sigma: f64,
}

const EPS: f64 = 1e-12;

fn norm(x: &[f64]) -> f64 {
    x.iter().map(|a| a * a).sum::<f64>().sqrt().max(EPS)
}

/// One power-iteration step from `u`.
pub fn power_iteration(w: &[f64], rows: usize, u: &[f64]) -> PowerStep {
    let cols = u.len();
    let wu: Vec<f64> = (0..rows)
        .map(|i| (0..cols).map(|j| w[i * cols + j] * u[j]).sum())
        .collect();
    let n = norm(&wu);
    let v: Vec<f64> = wu.iter().map(|a| a / n).collect();
    let wtv: Vec<f64> = (0..cols)
        .map(|j| (0..rows).map(|i| w[i * cols + j] * v[i]).sum())
        .collect();
    let sigma = norm(&wtv);
    PowerStep {
        u: wtv.iter().map(|a| a / sigma).collect(),
        v,
        sigma,
    }
}

/// W / σ.
pub fn normalize(w: &[f64], sigma: f64) -> Vec<f64> {
    w.iter().map(|a| a / sigma).collect()
}

/// dL/dW from g = dL/d(W/σ), with u and v held constant:
/// (g - ⟨g, W/σ⟩ v uᵀ) / σ.
pub fn backward(g: &[f64], w_sn: &[f64], step: &PowerStep) -> Vec<f64> {
    let dot: f64 = g.iter().zip(w_sn).map(|(a, b)| a * b).sum();
    let cols = step.u.len();
    g.iter()
        .enumerate()
        .map(|(k, gk)| (gk - dot * step.v[k / cols] * step.u[k % cols]) / step.sigma)
        .collect()
}
