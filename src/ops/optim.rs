//! Adam and RMSprop updates with Keras' semantics, one dispatch per
//! parameter buffer (`shaders/optim.wgsl`; reference: `cpu::optim`).

use super::{grid_1d, same_len};
use crate::error::{shape_err, Result};
use crate::gpu::{Gpu, Program, Tensor};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Optimizer {
    Adam {
        lr: f32,
        beta1: f32,
        beta2: f32,
        eps: f32,
    },
    Rmsprop {
        lr: f32,
        rho: f32,
        eps: f32,
    },
}

impl Optimizer {
    /// Keras' Adam defaults with the DCGAN paper's lr = 2e-4 and β₁ = 0.5.
    pub fn adam(lr: f32) -> Optimizer {
        Optimizer::Adam {
            lr,
            beta1: 0.5,
            beta2: 0.999,
            eps: 1e-7,
        }
    }

    /// Keras' RMSprop defaults (the seed's optimiser): ρ = 0.9, ε = 1e-7.
    pub fn rmsprop(lr: f32) -> Optimizer {
        Optimizer::Rmsprop {
            lr,
            rho: 0.9,
            eps: 1e-7,
        }
    }

    /// Number of state tensors per parameter (Adam: m and v; RMSprop: v).
    pub fn state_count(&self) -> usize {
        match self {
            Optimizer::Adam { .. } => 2,
            Optimizer::Rmsprop { .. } => 1,
        }
    }
}

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    len: u32,
    lr: f32,
    beta1: f32,
    beta2: f32,
    eps: f32,
    _pad: [u32; 3],
}

/// Records one update of `param` from `grad`. `state` holds the optimiser's
/// tensors (Adam: [m, v]; RMSprop: [v]); `counter[0] + 1` is Adam's step t.
pub fn step(
    gpu: &Gpu,
    prog: &mut Program,
    opt: &Optimizer,
    param: &Tensor,
    grad: &Tensor,
    state: &[Tensor],
    counter: &Tensor,
) -> Result<()> {
    let op = "optimizer step";
    if state.len() != opt.state_count() {
        return shape_err(
            op,
            format!(
                "{opt:?} needs {} state tensors, got {}",
                opt.state_count(),
                state.len()
            ),
        );
    }
    let mut named = vec![("param", param), ("grad", grad)];
    named.extend(state.iter().map(|s| ("state", s)));
    let len = same_len(op, &named)?;
    match *opt {
        Optimizer::Adam {
            lr,
            beta1,
            beta2,
            eps,
        } => prog.dispatch(
            gpu,
            ("optim", "adam"),
            &Params {
                len: len as u32,
                lr,
                beta1,
                beta2,
                eps,
                _pad: [0; 3],
            },
            &[param, grad, &state[0], &state[1], counter],
            grid_1d(len),
        ),
        Optimizer::Rmsprop { lr, rho, eps } => prog.dispatch(
            gpu,
            ("optim", "rmsprop"),
            &Params {
                len: len as u32,
                lr,
                beta1: rho,
                beta2: 0.0,
                eps,
                _pad: [0; 3],
            },
            &[param, grad, &state[0]],
            grid_1d(len),
        ),
    }
}
