//! A network's parameters in one GPU buffer. Each named tensor is a view at
//! a 64-element (256-byte) aligned offset, so a layer binds its own weights
//! while the optimiser updates the whole network in one dispatch; gradients
//! and optimiser state use the same layout in buffers of their own.

use crate::error::{Error, Result};
use crate::gpu::{Gpu, Program, Tensor};
use crate::ops::counter::RngSource;
use crate::ops::random;

/// How a parameter starts (Keras' defaults for its layer).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Init {
    /// Glorot uniform: U(±√(6 / (fan_in + fan_out))).
    Glorot {
        fan_in: usize,
        fan_out: usize,
    },
    Zeros,
    /// Batch norm [γ, β]: γ = 1, β = 0.
    GammaBeta,
    /// Batch norm running statistics [μ, σ²]: μ = 0, σ² = 1 (Keras').
    MeanVariance,
    /// All ones: power iteration's start vector (any vector not orthogonal
    /// to the top singular vector converges).
    Ones,
}

/// A tensor on the CPU: (name, shape, values).
pub type NamedTensor = (String, Vec<usize>, Vec<f32>);

#[derive(Clone, Debug)]
pub struct ParamSpec {
    pub name: &'static str,
    pub shape: Vec<usize>,
    pub init: Init,
}

impl ParamSpec {
    pub fn new(name: &'static str, shape: &[usize], init: Init) -> ParamSpec {
        ParamSpec {
            name,
            shape: shape.to_vec(),
            init,
        }
    }
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

pub struct ParamSet {
    pub specs: Vec<ParamSpec>,
    offsets: Vec<usize>,
    pub values: Tensor,
    pub grads: Tensor,
    /// Optimiser state buffers (Adam: m, v; RMSprop: v), same layout.
    pub state: Vec<Tensor>,
}

const ALIGN: usize = 64;

/// Each tensor's offset in a parameter set's buffers, each starting on a
/// 256-byte boundary (so that it can be bound alone), and the buffers'
/// length: a multiple of 64 elements, which the optimiser updates as vec4s.
pub fn layout(specs: &[ParamSpec]) -> (Vec<usize>, usize) {
    let mut offsets = Vec::with_capacity(specs.len());
    let mut len = 0;
    for s in specs {
        offsets.push(len);
        len += s.len().div_ceil(ALIGN) * ALIGN;
    }
    (offsets, len)
}

impl ParamSet {
    pub fn new(
        gpu: &Gpu,
        label: &str,
        specs: Vec<ParamSpec>,
        state_count: usize,
    ) -> Result<ParamSet> {
        let (offsets, len) = layout(&specs);
        let state = (0..state_count)
            .map(|k| gpu.zeros(&format!("{label} optimiser state {k}"), &[len]))
            .collect::<Result<_>>()?;
        Ok(ParamSet {
            values: gpu.zeros(&format!("{label} parameters"), &[len])?,
            grads: gpu.zeros(&format!("{label} gradients"), &[len])?,
            specs,
            offsets,
            state,
        })
    }

    fn index(&self, name: &str) -> usize {
        self.specs
            .iter()
            .position(|s| s.name == name)
            .unwrap_or_else(|| panic!("no parameter named {name}"))
    }

    /// Parameter `name`'s view of `buffer`, a buffer in this set's layout.
    pub fn view_of(&self, buffer: &Tensor, name: &str) -> Tensor {
        let i = self.index(name);
        buffer
            .view(self.offsets[i], &self.specs[i].shape)
            .expect("parameter views are aligned and in range by construction")
    }

    /// The parameter tensor `name`.
    pub fn value(&self, name: &str) -> Tensor {
        self.view_of(&self.values, name)
    }

    pub fn grad(&self, name: &str) -> Tensor {
        self.view_of(&self.grads, name)
    }

    /// Records the initialisation: Glorot draws on the GPU (seeded, one salt
    /// per tensor); constants are written from the CPU.
    pub fn record_init(
        &self,
        gpu: &Gpu,
        prog: &mut Program,
        seed: u32,
        counter: &Tensor,
    ) -> Result<()> {
        for (i, s) in self.specs.iter().enumerate() {
            if let Init::Glorot { fan_in, fan_out } = s.init {
                let limit = (6.0 / (fan_in + fan_out) as f64).sqrt() as f32;
                let rng = RngSource {
                    seed,
                    salt: crate::model::salt::INIT + i as u32,
                    counter,
                };
                random::uniform(gpu, prog, rng, &self.value(s.name), -limit, limit)?;
            }
        }
        self.write_constant_inits(gpu)
    }

    /// Writes every parameter whose initial value is a constant.
    pub fn write_constant_inits(&self, gpu: &Gpu) -> Result<()> {
        for s in &self.specs {
            let half = s.len() / 2;
            let values: Vec<f32> = match s.init {
                Init::Glorot { .. } => continue,
                Init::Zeros => vec![0.0; s.len()],
                Init::Ones => vec![1.0; s.len()],
                Init::GammaBeta => (0..s.len()).map(|j| f32::from(j < half)).collect(),
                Init::MeanVariance => (0..s.len()).map(|j| f32::from(j >= half)).collect(),
            };
            gpu.write(&self.value(s.name), &values)?;
        }
        Ok(())
    }

    /// Every parameter as (name, shape, values).
    pub async fn download(&self, gpu: &Gpu, buffer: &Tensor) -> Result<Vec<NamedTensor>> {
        let all: Vec<f32> = gpu.download(buffer).await?;
        Ok(self
            .specs
            .iter()
            .zip(&self.offsets)
            .map(|(s, &o)| {
                (
                    s.name.to_string(),
                    s.shape.clone(),
                    all[o..o + s.len()].to_vec(),
                )
            })
            .collect())
    }

    /// Overwrites parameter `name` of `buffer` (values, grads or a state).
    pub fn upload(&self, gpu: &Gpu, buffer: &Tensor, name: &str, data: &[f32]) -> Result<()> {
        let Some(i) = self.specs.iter().position(|s| s.name == name) else {
            return Err(Error::Config(format!("unknown parameter {name}")));
        };
        if data.len() != self.specs[i].len() {
            return Err(Error::Config(format!(
                "parameter {name} has {} values, expected shape {:?}",
                data.len(),
                self.specs[i].shape
            )));
        }
        gpu.write(&self.view_of(buffer, name), data)
    }
}
