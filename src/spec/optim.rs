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

    /// The same optimiser with learning rate `lr`.
    pub fn with_lr(self, lr: f32) -> Optimizer {
        match self {
            Optimizer::Adam {
                beta1, beta2, eps, ..
            } => Optimizer::Adam {
                lr,
                beta1,
                beta2,
                eps,
            },
            Optimizer::Rmsprop { rho, eps, .. } => Optimizer::Rmsprop { lr, rho, eps },
        }
    }

    /// Number of state tensors per parameter (Adam: m and v; RMSprop: v).
    pub fn state_count(&self) -> usize {
        match self {
            Optimizer::Adam { .. } => 2,
            Optimizer::Rmsprop { .. } => 1,
        }
    }

    /// Checks every hyper-parameter is usable: a finite, positive learning
    /// rate and ε, decay rates in [0, 1). The message names the value.
    pub fn validate(&self) -> Result<(), String> {
        let (lr, eps, rates): (f32, f32, Vec<(&str, f32)>) = match *self {
            Optimizer::Adam {
                lr,
                beta1,
                beta2,
                eps,
            } => (lr, eps, vec![("beta1", beta1), ("beta2", beta2)]),
            Optimizer::Rmsprop { lr, rho, eps } => (lr, eps, vec![("rho", rho)]),
        };
        if !(lr.is_finite() && lr > 0.0) {
            return Err(format!("learning rate {lr} must be finite and above 0"));
        }
        if !(eps.is_finite() && eps > 0.0) {
            return Err(format!("epsilon {eps} must be finite and above 0"));
        }
        for (name, r) in rates {
            if !(0.0..1.0).contains(&r) {
                return Err(format!("{name} {r} must be in [0, 1)"));
            }
        }
        Ok(())
    }
}
