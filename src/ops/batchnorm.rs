//! Batch normalisation over NHWC channels (`shaders/batchnorm.wgsl`;
//! reference: `cpu::batchnorm`). γ and β live together in one [2, C]
//! parameter tensor, and so do their gradients.

use super::grid_1d;
use crate::error::{shape_err, Error, Result};
use crate::gpu::{Gpu, Program, Tensor};

/// Keras' BatchNormalization defaults.
pub const EPS: f32 = 1e-3;
pub const MOMENTUM: f32 = 0.99;

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    rows: u32,
    channels: u32,
    eps: f32,
    momentum: f32,
    update_running: u32,
    _pad: [u32; 3],
}

/// Checks shapes: `per_channel` tensors hold 2 values per channel,
/// `like_x` tensors as many as x.
fn params(
    gpu: &Gpu,
    op: &str,
    x: &Tensor,
    gamma_beta: &Tensor,
    per_channel: &[(&str, &Tensor)],
    like_x: &[(&str, &Tensor)],
) -> Result<Params> {
    if !gamma_beta.len().is_multiple_of(2) || gamma_beta.is_empty() {
        return shape_err(
            op,
            format!("gamma_beta {:?} must be [2, channels]", gamma_beta.shape()),
        );
    }
    let c = gamma_beta.len() / 2;
    if !x.len().is_multiple_of(c) {
        return shape_err(
            op,
            format!("x {:?} does not have {c} channels last", x.shape()),
        );
    }
    let expected = per_channel
        .iter()
        .map(|(n, t)| (n, t, 2 * c))
        .chain(like_x.iter().map(|(n, t)| (n, t, x.len())));
    for (name, t, want) in expected {
        if t.len() != want {
            return shape_err(
                op,
                format!(
                    "{name} {:?} should have {want} elements (x {:?}, {c} channels)",
                    t.shape(),
                    x.shape()
                ),
            );
        }
    }
    if c > gpu.max_workgroups() as usize {
        return Err(Error::DeviceLimit {
            op: op.to_string(),
            msg: format!(
                "{c} channels exceed this device's {} workgroups per dimension",
                gpu.max_workgroups()
            ),
        });
    }
    Ok(Params {
        rows: (x.len() / c) as u32,
        channels: c as u32,
        eps: EPS,
        momentum: MOMENTUM,
        update_running: 0,
        _pad: [0; 3],
    })
}

/// Training mode: batch statistics into `stats` ([μ, 1/√(σ²+ε)] per
/// channel, kept for backward), optionally folded into `running` ([μ, σ²]),
/// then y = γ x̂ + β.
#[allow(clippy::too_many_arguments)]
pub fn forward_train(
    gpu: &Gpu,
    prog: &mut Program,
    x: &Tensor,
    gamma_beta: &Tensor,
    stats: &Tensor,
    running: &Tensor,
    update_running: bool,
    y: &Tensor,
) -> Result<()> {
    let op = "batchnorm forward";
    let mut p = params(
        gpu,
        op,
        x,
        gamma_beta,
        &[("stats", stats), ("running", running)],
        &[("y", y)],
    )?;
    p.update_running = update_running as u32;
    if p.channels.is_multiple_of(4) {
        return prog.dispatch_at(
            gpu,
            ("batchnorm", "bn_forward_vec4"),
            &p,
            &[(9, x), (2, stats), (3, gamma_beta), (4, running), (12, y)],
            [p.channels / 4, 1, 1],
        );
    }
    prog.dispatch_at(
        gpu,
        ("batchnorm", "bn_forward"),
        &p,
        &[(1, x), (2, stats), (3, gamma_beta), (4, running), (7, y)],
        [p.channels, 1, 1],
    )
}

/// Inference mode: normalise with the running statistics.
pub fn forward_inference(
    gpu: &Gpu,
    prog: &mut Program,
    x: &Tensor,
    gamma_beta: &Tensor,
    running: &Tensor,
    y: &Tensor,
) -> Result<()> {
    let op = "batchnorm inference";
    let p = params(gpu, op, x, gamma_beta, &[("running", running)], &[("y", y)])?;
    prog.dispatch_at(
        gpu,
        ("batchnorm", "bn_normalize_running"),
        &p,
        &[(1, x), (2, running), (3, gamma_beta), (4, y)],
        grid_1d(gpu, x.len()),
    )
}

/// The SELU in front of a batch norm in the generator's blocks after the
/// first, for the backward pass to go through: x = SELU(pre), and pre is a
/// transposed convolution's output, whose bias gradient the pass also
/// makes.
#[derive(Clone, Copy)]
pub struct ThroughSelu<'a> {
    pub pre: &'a Tensor,
    pub bias_grad: &'a Tensor,
}

/// Backward: [dγ, dβ] into `dgamma_beta`, and dx. Through `selu`, `dx` gets
/// the gradient at `selu.pre` instead, and `selu.bias_grad` its sum per
/// channel, in the same pass.
#[allow(clippy::too_many_arguments)]
pub fn backward(
    gpu: &Gpu,
    prog: &mut Program,
    x: &Tensor,
    stats: &Tensor,
    gamma_beta: &Tensor,
    dy: &Tensor,
    dgamma_beta: &Tensor,
    selu: Option<ThroughSelu>,
    dx: &Tensor,
) -> Result<()> {
    let op = "batchnorm backward";
    let mut same = vec![("dy", dy), ("dx", dx)];
    same.extend(selu.map(|s| ("SELU input", s.pre)));
    let per_channel = [("stats", stats), ("dgamma_beta", dgamma_beta)];
    let p = params(gpu, op, x, gamma_beta, &per_channel, &same)?;
    if let Some(s) = selu {
        if s.bias_grad.len() != p.channels as usize {
            return shape_err(
                op,
                format!(
                    "bias_grad {:?} should have one element per channel ({})",
                    s.bias_grad.shape(),
                    p.channels
                ),
            );
        }
    }
    // Channels in 4s: the vec4 kernels, a workgroup per 4 channels.
    let vec4 = p.channels.is_multiple_of(4);
    let (x_at, dy_at, pre_at, dx_at, groups) = match vec4 {
        true => (9, 10, 11, 12, p.channels / 4),
        false => (1, 5, 6, 7, p.channels),
    };
    let mut args = vec![
        (x_at, x),
        (2, stats),
        (3, gamma_beta),
        (4, dgamma_beta),
        (dy_at, dy),
        (dx_at, dx),
    ];
    if let Some(s) = selu {
        args.extend([(pre_at, s.pre), (8, s.bias_grad)]);
    }
    let entry = match (selu, vec4) {
        (None, false) => "bn_backward",
        (Some(_), false) => "bn_backward_selu",
        (None, true) => "bn_backward_vec4",
        (Some(_), true) => "bn_backward_selu_vec4",
    };
    prog.dispatch_at(gpu, ("batchnorm", entry), &p, &args, [groups, 1, 1])
}

/// The layout `shaders/batchnorm.wgsl` mirrors.
pub(crate) fn mirror() -> crate::gpu::mirror::Mirror {
    crate::wgsl_mirror!(
        Params,
        "batchnorm",
        "Params",
        [rows, channels, eps, momentum, update_running]
    )
}
