//! The step counter (`shaders/lib/counter.wgsl`): eight bytes on the GPU
//! that the training loop rewrites before every step. The random fills,
//! dropout, the optimiser and the batch gather read it, so the recorded step
//! program never has to be recorded again. `RngSource` names a random
//! stream: the run's seed, a salt and this counter.

use crate::error::Result;
use crate::gpu::{Gpu, Tensor};

#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct StepCounter {
    /// Training steps done before this one: the random streams' counter
    /// (and Adam's t - 1).
    pub step: u32,
    /// Position in the epoch's shuffled order of this step's first image.
    pub batch_start: u32,
}

impl StepCounter {
    /// A counter tensor on the GPU holding `self`.
    pub fn upload(self, gpu: &Gpu, label: &str) -> Result<Tensor> {
        let t = gpu.zeros(label, &[std::mem::size_of::<StepCounter>() / 4])?;
        self.write(gpu, &t)?;
        Ok(t)
    }

    /// Overwrites counter tensor `t`; ordered before the next submit.
    pub fn write(self, gpu: &Gpu, t: &Tensor) -> Result<()> {
        gpu.write(t, bytemuck::cast_slice::<StepCounter, u32>(&[self]))
    }
}

/// Where a kernel's random numbers come from: the run's seed, a salt that
/// tells this kernel's draws from every other's, and the step counter
/// tensor (its `step` is the counter the draws use; `shaders/lib/rng.wgsl`).
#[derive(Clone, Copy, Debug)]
pub struct RngSource<'a> {
    pub seed: u32,
    pub salt: u32,
    pub counter: &'a Tensor,
}

/// The layout `shaders/lib/counter.wgsl` mirrors.
pub(crate) fn mirror() -> crate::gpu::mirror::Mirror {
    crate::wgsl_mirror!(StepCounter, "random", "StepCounter", [step, batch_start])
}
