//! Inverted dropout with a counter-based mask (`shaders/dropout.wgsl`;
//! reference: `cpu::dropout`).

use super::counter::RngSource;
use super::{grid_1d, same_len};
use crate::error::{Error, Result};
use crate::gpu::{Gpu, Program, Tensor};
use crate::spec::dropout::{scale, threshold};

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    len: u32,
    threshold: u32,
    scale: f32,
    seed: u32,
    salt: u32,
    _pad: [u32; 3],
}

/// Records y = x · mask, mask[i] ∈ {0, 1/(1-rate)}, and stores the mask.
pub fn forward(
    gpu: &Gpu,
    prog: &mut Program,
    rate: f32,
    rng: RngSource,
    x: &Tensor,
    mask: &Tensor,
    y: &Tensor,
) -> Result<()> {
    let op = "dropout forward";
    let len = same_len(op, &[("x", x), ("mask", mask), ("y", y)])?;
    if !(0.0..1.0).contains(&rate) {
        return Err(Error::Argument {
            op: op.to_string(),
            msg: format!("rate {rate} is not in [0, 1)"),
        });
    }
    let params = Params {
        len: len as u32,
        threshold: threshold(rate),
        scale: scale(rate),
        seed: rng.seed,
        salt: rng.salt,
        _pad: [0; 3],
    };
    prog.dispatch(
        gpu,
        ("dropout", "dropout_forward"),
        &params,
        &[x, mask, y, rng.counter],
        grid_1d(gpu, len),
    )
}

/// Records dx = dy · mask with the mask the forward pass stored.
pub fn backward(
    gpu: &Gpu,
    prog: &mut Program,
    mask: &Tensor,
    dy: &Tensor,
    dx: &Tensor,
) -> Result<()> {
    let len = same_len(
        "dropout backward",
        &[("mask", mask), ("dy", dy), ("dx", dx)],
    )?;
    let params = Params {
        len: len as u32,
        threshold: 0,
        scale: 0.0,
        seed: 0,
        salt: 0,
        _pad: [0; 3],
    };
    prog.dispatch(
        gpu,
        ("dropout", "dropout_backward"),
        &params,
        &[dy, mask, dx],
        grid_1d(gpu, len),
    )
}

/// The layout `shaders/dropout.wgsl` mirrors.
pub(crate) fn mirror() -> crate::gpu::mirror::Mirror {
    crate::wgsl_mirror!(
        Params,
        "dropout",
        "Params",
        [len, threshold, scale, seed, salt]
    )
}
