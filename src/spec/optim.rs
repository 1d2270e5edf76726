//! The optimisers' hyper-parameters, shared by the update shader's op
//! (`ops::optim`) and its reference (`cpu::optim`).

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
