//! The losses on logits with their metrics (`shaders/loss.wgsl`;
//! reference: `cpu::loss`): binary cross-entropy or the hinge loss for the
//! GAN, softmax cross-entropy for the classifier that `eval` uses.

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
    classes: u32,
    kind: u32,
}

/// The metrics tensor has a slot `slot`, or the error names it.
fn check_slot(op: &str, metrics: &Tensor, slot: usize) -> Result<()> {
    if metrics.len() < (slot + 1) * SLOT {
        return shape_err(
            op,
            format!(
                "metrics {:?} has no slot {slot} of {SLOT} floats",
                metrics.shape()
            ),
        );
    }
    Ok(())
}

/// The binary losses on one logit per sample (`binary_loss` in
/// `shaders/loss.wgsl`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryKind {
    /// Binary cross-entropy of σ(z) against labels 0/1.
    Bce,
    /// The discriminator's hinge loss max(0, 1 - t·z), t = ±1 for labels 1
    /// and 0.
    HingeDiscriminator,
    /// The generator's hinge-GAN loss, -z (labels only feed the metrics).
    HingeGenerator,
}

/// Records grad = d(mean loss)/d logits for the binary loss `kind` and adds
/// the batch's statistics to slot `slot` of `metrics` (a tensor of
/// [`LossMetrics`]).
#[allow(clippy::too_many_arguments)]
pub fn binary_loss(
    gpu: &Gpu,
    prog: &mut Program,
    kind: BinaryKind,
    logits: &Tensor,
    labels: &Tensor,
    grad: &Tensor,
    metrics: &Tensor,
    slot: usize,
) -> Result<()> {
    let op = "binary_loss";
    let n = same_len(
        op,
        &[("logits", logits), ("labels", labels), ("grad", grad)],
    )?;
    check_slot(op, metrics, slot)?;
    let params = Params {
        n: n as u32,
        slot: slot as u32,
        classes: 1,
        kind: kind as u32,
    };
    prog.dispatch(
        gpu,
        ("loss", "binary_loss"),
        &params,
        &[logits, labels, grad, metrics],
        [1, 1, 1],
    )
}

/// Records grad = d(mean softmax cross-entropy)/d logits for logits
/// [n, classes] and labels [n] (class indices as floats), and adds the
/// batch's loss and accuracy to slot `slot` of `metrics` (the sigmoid
/// means stay untouched).
pub fn softmax_cross_entropy(
    gpu: &Gpu,
    prog: &mut Program,
    logits: &Tensor,
    labels: &Tensor,
    grad: &Tensor,
    metrics: &Tensor,
    slot: usize,
) -> Result<()> {
    let op = "softmax_cross_entropy";
    let &[n, classes] = logits.shape() else {
        return shape_err(
            op,
            format!("logits {:?} are not [n, classes]", logits.shape()),
        );
    };
    if classes == 0 || labels.len() != n || grad.shape() != logits.shape() {
        return shape_err(
            op,
            format!(
                "logits {:?}, labels {:?} and grad {:?} do not match",
                logits.shape(),
                labels.shape(),
                grad.shape()
            ),
        );
    }
    check_slot(op, metrics, slot)?;
    let params = Params {
        n: n as u32,
        slot: slot as u32,
        classes: classes as u32,
        kind: 0,
    };
    prog.dispatch(
        gpu,
        ("loss", "softmax_cross_entropy"),
        &params,
        &[logits, labels, grad, metrics],
        [1, 1, 1],
    )
}

/// The layout `shaders/loss.wgsl` mirrors.
pub(crate) fn mirror() -> crate::gpu::mirror::Mirror {
    crate::wgsl_mirror!(Params, "loss", "Params", [n, slot, classes, kind])
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
