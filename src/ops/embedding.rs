//! Class conditioning (`shaders/embedding.wgsl`; reference:
//! `cpu::embedding`): rows of a per-class table added to a batch, the
//! projection of a batch onto its classes' rows, and the table's gradients.

use super::grid::folded;
use super::{fits_u32, grid_1d};
use crate::error::{shape_err, Result};
use crate::gpu::{Gpu, Program, Tensor};

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    batch: u32,
    width: u32,
    classes: u32,
    _pad: u32,
}

/// (classes, width) of `table` [classes, width], checked against a batch
/// of `labels.len()` samples whose rows `rows` ([batch, …]) hold `width`
/// elements each, and against a per-sample `scale` if given.
fn check(
    op: &str,
    table: &Tensor,
    labels: &Tensor,
    rows: &Tensor,
    scale: Option<&Tensor>,
) -> Result<Params> {
    let ts = table.shape();
    if ts.len() != 2 || ts[0] == 0 || ts[1] == 0 {
        return shape_err(op, format!("table {ts:?} is not [classes, width]"));
    }
    let (classes, width) = (ts[0], ts[1]);
    let batch = labels.len();
    if rows.len() != batch * width {
        return shape_err(
            op,
            format!(
                "{:?} is not {batch} rows of {width}, as {batch} labels and table {ts:?} need",
                rows.shape()
            ),
        );
    }
    if let Some(s) = scale.filter(|s| s.len() != batch) {
        return shape_err(
            op,
            format!("scale {:?} is not one value per label ({batch})", s.shape()),
        );
    }
    fits_u32(op, rows.len().max(table.len()))?;
    Ok(Params {
        batch: batch as u32,
        width: width as u32,
        classes: classes as u32,
        _pad: 0,
    })
}

/// Records out[b, f] += s_b · table[labels[b], f], with s_b = scale[b]
/// where given, else 1.
pub fn add_class_rows(
    gpu: &Gpu,
    prog: &mut Program,
    table: &Tensor,
    labels: &Tensor,
    scale: Option<&Tensor>,
    out: &Tensor,
) -> Result<()> {
    let params = check("add_class_rows", table, labels, out, scale)?;
    let grid = grid_1d(gpu, out.len());
    match scale {
        None => prog.dispatch_at(
            gpu,
            ("embedding", "add_class_rows"),
            &params,
            &[(1, table), (2, labels), (5, out)],
            grid,
        ),
        Some(scale) => prog.dispatch_at(
            gpu,
            ("embedding", "add_scaled_class_rows"),
            &params,
            &[(1, table), (2, labels), (4, scale), (5, out)],
            grid,
        ),
    }
}

/// Records table_grad[c, f] = Σ_{b: labels[b] = c} s_b · rows[b, f], with
/// s_b = scale[b] where given, else 1: the gradient of the table from that
/// of [`add_class_rows`]'s output (`rows`), or, scaled by the gradient of
/// [`projection`]'s output, from the projection.
pub fn class_rows_gradient(
    gpu: &Gpu,
    prog: &mut Program,
    rows: &Tensor,
    labels: &Tensor,
    scale: Option<&Tensor>,
    table_grad: &Tensor,
) -> Result<()> {
    let params = check("class_rows_gradient", table_grad, labels, rows, scale)?;
    let grid = grid_1d(gpu, table_grad.len());
    match scale {
        None => prog.dispatch_at(
            gpu,
            ("embedding", "class_rows_gradient"),
            &params,
            &[(2, labels), (3, rows), (5, table_grad)],
            grid,
        ),
        Some(scale) => prog.dispatch_at(
            gpu,
            ("embedding", "scaled_class_rows_gradient"),
            &params,
            &[(2, labels), (3, rows), (4, scale), (5, table_grad)],
            grid,
        ),
    }
}

/// Records out[b] += ⟨table[labels[b]], rows[b]⟩ for rows [batch, width]
/// and out [batch] (or [batch, 1]).
pub fn projection(
    gpu: &Gpu,
    prog: &mut Program,
    table: &Tensor,
    labels: &Tensor,
    rows: &Tensor,
    out: &Tensor,
) -> Result<()> {
    let op = "projection";
    let params = check(op, table, labels, rows, None)?;
    if out.len() != labels.len() {
        return shape_err(
            op,
            format!(
                "out {:?} is not one value per label ({})",
                out.shape(),
                labels.len()
            ),
        );
    }
    prog.dispatch_at(
        gpu,
        ("embedding", op),
        &params,
        &[(1, table), (2, labels), (3, rows), (5, out)],
        folded(labels.len(), gpu.max_workgroups() as usize),
    )
}

/// The layout `shaders/embedding.wgsl` mirrors.
pub(crate) fn mirror() -> crate::gpu::mirror::Mirror {
    crate::wgsl_mirror!(Params, "embedding", "Params", [batch, width, classes])
}
