//! Inverted dropout with a counter-based mask (`shaders/dropout.wgsl`;
//! reference: `cpu::dropout`), alone or after a LeakyReLU in one pass
//! (reference: `cpu::activations` then `cpu::dropout`).

use super::counter::RngSource;
use super::{grid_1d, same_len};
use crate::error::{shape_err, Error, Result};
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
    alpha: f32,
    cols: u32,
    _pad: u32,
}

/// A LeakyReLU → dropout pair's forward pass, for the convolution before
/// it to apply in its store (`ops::conv::conv2d_forward_leaky_relu_dropout`):
/// the slope below zero, the dropout rate and stream, and where the signed
/// factor goes.
#[derive(Clone, Copy)]
pub struct LeakyReluDropoutForward<'a> {
    pub alpha: f32,
    pub rate: f32,
    pub rng: RngSource<'a>,
    pub factor: &'a Tensor,
}

/// A LeakyReLU → dropout pair's backward pass, for the kernel that makes
/// its input gradient to apply in its store: the factor
/// [`leaky_relu_dropout_forward`] stored and the slope below zero.
#[derive(Clone, Copy)]
pub struct LeakyReluDropout<'a> {
    pub factor: &'a Tensor,
    pub alpha: f32,
}

pub(crate) fn check_rate(op: &str, rate: f32) -> Result<()> {
    if !(0.0..1.0).contains(&rate) {
        return Err(Error::Argument {
            op: op.to_string(),
            msg: format!("rate {rate} is not in [0, 1)"),
        });
    }
    Ok(())
}

fn params(len: usize, rate: f32, rng: Option<&RngSource>, alpha: f32) -> Params {
    Params {
        len: len as u32,
        threshold: threshold(rate),
        scale: scale(rate),
        seed: rng.map_or(0, |r| r.seed),
        salt: rng.map_or(0, |r| r.salt),
        alpha,
        cols: 0,
        _pad: 0,
    }
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
    check_rate(op, rate)?;
    prog.dispatch(
        gpu,
        ("dropout", "dropout_forward"),
        &params(len, rate, Some(&rng), 0.0),
        &[x, mask, y, rng.counter],
        grid_1d(gpu, len),
    )
}

/// Records y = dropout(LeakyReLU(x) with slope `alpha` below zero) in one
/// pass, storing in `factor` the dropout factor signed as x, which
/// [`leaky_relu_dropout_backward`] needs instead of x and the mask.
#[allow(clippy::too_many_arguments)]
pub fn leaky_relu_dropout_forward(
    gpu: &Gpu,
    prog: &mut Program,
    alpha: f32,
    rate: f32,
    rng: RngSource,
    x: &Tensor,
    factor: &Tensor,
    y: &Tensor,
) -> Result<()> {
    let op = "leaky_relu_dropout forward";
    let len = same_len(op, &[("x", x), ("factor", factor), ("y", y)])?;
    check_rate(op, rate)?;
    prog.dispatch(
        gpu,
        ("dropout", "leaky_relu_dropout_forward"),
        &params(len, rate, Some(&rng), alpha),
        &[x, factor, y, rng.counter],
        grid_1d(gpu, len),
    )
}

/// Records the gradient at the LeakyReLU's input, dx, from dy at the
/// dropout's output and the signed `factor` the forward pass stored.
pub fn leaky_relu_dropout_backward(
    gpu: &Gpu,
    prog: &mut Program,
    alpha: f32,
    factor: &Tensor,
    dy: &Tensor,
    dx: &Tensor,
) -> Result<()> {
    let len = same_len(
        "leaky_relu_dropout backward",
        &[("factor", factor), ("dy", dy), ("dx", dx)],
    )?;
    prog.dispatch(
        gpu,
        ("dropout", "leaky_relu_dropout_backward"),
        &params(len, 0.0, None, alpha),
        &[dy, factor, dx],
        grid_1d(gpu, len),
    )
}

/// Records dx = the gradient at LeakyReLU's input where the gradient at
/// dropout's output is the input gradient of a dense layer with one output:
/// d_out [rows, 1] · kernelᵀ (`kernel` [cols, 1]), into dx [rows, cols].
pub fn dense_leaky_relu_dropout_backward(
    gpu: &Gpu,
    prog: &mut Program,
    through: LeakyReluDropout,
    d_out: &Tensor,
    kernel: &Tensor,
    dx: &Tensor,
) -> Result<()> {
    let op = "dense → LeakyReLU → dropout backward";
    let len = same_len(op, &[("factor", through.factor), ("dx", dx)])?;
    let (rows, cols) = (d_out.len(), kernel.len());
    if rows * cols != len {
        return shape_err(
            op,
            format!(
                "d_out {:?} and kernel {:?} give {} elements, dx {:?} has {len}",
                d_out.shape(),
                kernel.shape(),
                rows * cols,
                dx.shape()
            ),
        );
    }
    let params = Params {
        cols: cols as u32,
        ..params(len, 0.0, None, through.alpha)
    };
    if cols.is_multiple_of(4) {
        return prog.dispatch_at(
            gpu,
            ("dropout", "dense_leaky_relu_dropout_backward_vec4"),
            &params,
            &[(1, d_out), (6, through.factor), (7, dx), (8, kernel)],
            grid_1d(gpu, len / 4),
        );
    }
    prog.dispatch_at(
        gpu,
        ("dropout", "dense_leaky_relu_dropout_backward"),
        &params,
        &[(1, d_out), (2, through.factor), (3, dx), (5, kernel)],
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
    prog.dispatch(
        gpu,
        ("dropout", "dropout_backward"),
        &params(len, 0.0, None, 0.0),
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
        [len, threshold, scale, seed, salt, alpha, cols]
    )
}
