//! Binary cross-entropy on logits with the discriminator's metrics
//! (`shaders/loss.wgsl`; reference: `cpu::loss`).

use super::same_len;
use crate::error::{shape_err, Result};
use crate::gpu::{Gpu, Program, Tensor};

/// One slot of the metrics buffer: every call adds its batch's statistics,
/// and the reader divides by `calls` (mirror of `LossMetrics` in
/// `shaders/loss.wgsl`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct LossMetrics {
    /// Mean loss over the batch.
    pub loss: f32,
    /// Fraction of logits on the side of their label.
    pub accuracy: f32,
    /// Mean σ(z) over label-1 samples: D(x) for real images.
    pub mean_sigmoid_positive: f32,
    /// Mean σ(z) over label-0 samples: D(G(z)) for generated images.
    pub mean_sigmoid_negative: f32,
    pub calls: f32,
    _pad: [f32; 3],
}

/// Floats per metrics slot.
pub const SLOT: usize = std::mem::size_of::<LossMetrics>() / 4;

impl LossMetrics {
    /// The slots of a downloaded metrics buffer.
    pub fn slots(raw: &[f32]) -> &[LossMetrics] {
        bytemuck::cast_slice(raw)
    }
}

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    n: u32,
    slot: u32,
    _pad: [u32; 2],
}

/// Records grad = d(mean BCE)/d logits and adds the batch's statistics to
/// slot `slot` of `metrics` (a tensor of [`LossMetrics`]).
pub fn bce_with_logits(
    gpu: &Gpu,
    prog: &mut Program,
    logits: &Tensor,
    labels: &Tensor,
    grad: &Tensor,
    metrics: &Tensor,
    slot: usize,
) -> Result<()> {
    let op = "bce_with_logits";
    let n = same_len(
        op,
        &[("logits", logits), ("labels", labels), ("grad", grad)],
    )?;
    if metrics.len() < (slot + 1) * SLOT {
        return shape_err(
            op,
            format!(
                "metrics {:?} has no slot {slot} of {SLOT} floats",
                metrics.shape()
            ),
        );
    }
    let params = Params {
        n: n as u32,
        slot: slot as u32,
        _pad: [0; 2],
    };
    prog.dispatch(
        gpu,
        ("loss", "bce_with_logits"),
        &params,
        &[logits, labels, grad, metrics],
        [1, 1, 1],
    )
}

/// The layout `shaders/loss.wgsl` mirrors.
pub(crate) fn mirror() -> crate::gpu::mirror::Mirror {
    crate::wgsl_mirror!(Params, "loss", "Params", [n, slot])
}

/// The layout of the metrics slots that `shaders/loss.wgsl` mirrors.
pub(crate) fn metrics_mirror() -> crate::gpu::mirror::Mirror {
    crate::wgsl_mirror!(
        LossMetrics,
        "loss",
        "LossMetrics",
        [
            loss,
            accuracy,
            mean_sigmoid_positive,
            mean_sigmoid_negative,
            calls
        ]
    )
}
