//! Binary cross-entropy on logits with the discriminator's metrics
//! (`shaders/loss.wgsl`; reference: `cpu::loss`).

use super::same_len;
use crate::error::{shape_err, Result};
use crate::gpu::{Gpu, Program, Tensor};

/// Floats per metrics slot: mean loss, accuracy, mean σ(z) over label-1
/// samples, mean σ(z) over label-0 samples, number of calls, 3 spare.
pub const SLOT: usize = 8;

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    n: u32,
    slot: u32,
    _pad: [u32; 2],
}

/// Records grad = d(mean BCE)/d logits and adds the batch's statistics to
/// `metrics[slot * SLOT ..]`.
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
        slot: (slot * SLOT) as u32,
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
