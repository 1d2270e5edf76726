//! The exponential moving average of a parameter buffer
//! (`shaders/ema.wgsl`; reference: `cpu::ema`): the generator that
//! `--ema` samples from.

use super::{grid_1d, same_len};
use crate::error::{shape_err, Result};
use crate::gpu::{Gpu, Program, Tensor};

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    len: u32,
    decay: f32,
    warmup: u32,
    _pad: u32,
}

/// How the average's decay is chosen at each update.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Decay {
    /// d = min(decay, (1 + t)/(10 + t)) at the counter's step t.
    WarmUp(f32),
    /// d = 0: the average becomes a copy of the parameters.
    Copy,
}

/// Records average ← d·average + (1-d)·param over whole buffers.
pub fn update(
    gpu: &Gpu,
    prog: &mut Program,
    decay: Decay,
    param: &Tensor,
    average: &Tensor,
    counter: &Tensor,
) -> Result<()> {
    let op = "ema";
    let len = same_len(op, &[("param", param), ("average", average)])?;
    let (decay, warmup) = match decay {
        Decay::WarmUp(d) if (0.0..1.0).contains(&d) => (d, 1),
        Decay::WarmUp(d) => return shape_err(op, format!("decay {d} is not in [0, 1)")),
        Decay::Copy => (0.0, 0),
    };
    prog.dispatch(
        gpu,
        ("ema", "ema"),
        &Params {
            len: len as u32,
            decay,
            warmup,
            _pad: 0,
        },
        &[param, average, counter],
        grid_1d(gpu, len),
    )
}

/// The layout `shaders/ema.wgsl` mirrors.
pub(crate) fn mirror() -> crate::gpu::mirror::Mirror {
    crate::wgsl_mirror!(Params, "ema", "Params", [len, decay, warmup])
}
