//! Seeded random fills on the GPU (`shaders/random.wgsl`; reference:
//! `cpu::rng`).

use super::counter::RngSource;
use super::{fits_u32, grid_1d};
use crate::error::Result;
use crate::gpu::{Gpu, Program, Tensor};

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    len: u32,
    seed: u32,
    salt: u32,
    _pad: u32,
    a: f32,
    b: f32,
    _pad1: [u32; 2],
}

fn fill(
    gpu: &Gpu,
    prog: &mut Program,
    entry: &'static str,
    rng: RngSource,
    out: &Tensor,
    a: f32,
    b: f32,
) -> Result<()> {
    let len = fits_u32(entry, out.len())?;
    let params = Params {
        len,
        seed: rng.seed,
        salt: rng.salt,
        _pad: 0,
        a,
        b,
        _pad1: [0; 2],
    };
    prog.dispatch(
        gpu,
        ("random", entry),
        &params,
        &[out, rng.counter],
        grid_1d(gpu, out.len()),
    )
}

/// Records out ~ U[lo, hi).
pub fn uniform(
    gpu: &Gpu,
    prog: &mut Program,
    rng: RngSource,
    out: &Tensor,
    lo: f32,
    hi: f32,
) -> Result<()> {
    fill(gpu, prog, "fill_uniform", rng, out, lo, hi)
}

/// Records out ~ N(mean, std²).
pub fn normal(
    gpu: &Gpu,
    prog: &mut Program,
    rng: RngSource,
    out: &Tensor,
    mean: f32,
    std: f32,
) -> Result<()> {
    fill(gpu, prog, "fill_normal", rng, out, mean, std)
}

/// The layout `shaders/random.wgsl` mirrors.
pub(crate) fn mirror() -> crate::gpu::mirror::Mirror {
    crate::wgsl_mirror!(Params, "random", "Params", [len, seed, salt, a, b])
}
