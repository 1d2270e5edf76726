//! Deterministic sums (`shaders/reduce.wgsl`; reference: `cpu::reduce`).

use super::fits_u32;
use crate::error::{shape_err, Result};
use crate::gpu::{Gpu, Program, Tensor};

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    rows: u32,
    cols: u32,
    scale: f32,
    _pad: u32,
}

/// Records out[c] = scale · Σ_r x[r, c], viewing x as [x.len() / cols, cols].
pub fn sum_columns(
    gpu: &Gpu,
    prog: &mut Program,
    x: &Tensor,
    out: &Tensor,
    scale: f32,
) -> Result<()> {
    let op = "sum_columns";
    let cols = out.len();
    if !x.len().is_multiple_of(cols) {
        return shape_err(
            op,
            format!(
                "x {:?} cannot be split into columns of out {:?}",
                x.shape(),
                out.shape()
            ),
        );
    }
    if cols > gpu.max_workgroups() as usize {
        return shape_err(op, format!("{cols} columns exceed the workgroup limit"));
    }
    let params = Params {
        rows: fits_u32(op, x.len() / cols)?,
        cols: cols as u32,
        scale,
        _pad: 0,
    };
    prog.dispatch(
        gpu,
        ("reduce", "sum_columns"),
        &params,
        &[x, out],
        [cols as u32, 1, 1],
    )
}

/// Records out = Σ_r x[r, ..] for x viewed as [rows, out.len()], one
/// invocation per output (few rows, many columns: split-K slices).
pub fn sum_slices(gpu: &Gpu, prog: &mut Program, x: &Tensor, out: &Tensor) -> Result<()> {
    let op = "sum_slices";
    let cols = out.len();
    if !x.len().is_multiple_of(cols) {
        return shape_err(
            op,
            format!(
                "x {:?} is not a whole number of out {:?}",
                x.shape(),
                out.shape()
            ),
        );
    }
    let params = Params {
        rows: fits_u32(op, x.len() / cols)?,
        cols: fits_u32(op, cols)?,
        scale: 1.0,
        _pad: 0,
    };
    prog.dispatch(
        gpu,
        ("reduce", "sum_rows_per_column"),
        &params,
        &[x, out],
        super::grid_1d(gpu, cols),
    )
}

/// The layout `shaders/reduce.wgsl` mirrors.
pub(crate) fn mirror() -> crate::gpu::mirror::Mirror {
    crate::wgsl_mirror!(Params, "reduce", "Params", [rows, cols, scale])
}
