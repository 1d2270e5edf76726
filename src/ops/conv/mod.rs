//! Conv2d and Conv2dTranspose as im2col/col2im plus matrix products
//! (reference: `cpu::conv`; geometry: `spec::conv`). Each layer's products
//! are chosen in `implicit.rs`: on subgroup adapters the products whose
//! image side has 4 (or 8) channels per tap gather im2col inside the kernel
//! (`shaders/conv_implicit.wgsl`); the others materialise it with
//! `im2col.rs` (`shaders/conv.wgsl`) and run the matmul kernels.
//!
//! Layout: activations NHWC, kernels exactly as Keras stores them (Conv2D
//! `[kh, kw, in, out]`, Conv2DTranspose `[kh, kw, out, in]`), so a kernel
//! flattened row-major is the [kh·kw·c, ·] matrix the products need and
//! weights move to and from Keras without any permutation (see
//! `crate::model::keras`).

mod im2col;
mod implicit;

pub(crate) use im2col::mirror;
pub use im2col::{col2im, im2col};

use super::matmul::{matmul, Operand};
use super::reduce::sum_columns;
use crate::error::{shape_err, Result};
use crate::gpu::{Gpu, Program, Tensor};
use crate::spec::conv::Geometry;
use implicit::{as_2d, im2col_product, im2col_t_product, implicit_nn, implicit_tn};

pub(super) fn expect(op: &str, what: &str, t: &Tensor, len: usize) -> Result<()> {
    if t.len() != len {
        return shape_err(
            op,
            format!("{what} {:?} should have {len} elements", t.shape()),
        );
    }
    Ok(())
}

fn check_kernel(
    layer: &str,
    w: &Tensor,
    expected: [usize; 4],
    bias: &Tensor,
    out_c: usize,
) -> Result<()> {
    if w.shape() != expected {
        return shape_err(
            layer,
            format!(
                "kernel has shape {:?}, the layer needs {expected:?}",
                w.shape()
            ),
        );
    }
    expect(layer, "bias", bias, out_c)
}

/// Tensors of a Conv2d layer: `x` [n, h, w, in] → `y` [n, oh, ow, out],
/// kernel `w` [kh, kw, in, out], bias `b` [out]; `col` is the im2col
/// workspace [rows, cols], kept from forward for the weight gradient.
pub struct Conv2dTensors<'a> {
    pub x: &'a Tensor,
    pub w: &'a Tensor,
    pub b: &'a Tensor,
    pub col: &'a Tensor,
    pub y: &'a Tensor,
}

pub fn conv2d_forward(
    gpu: &Gpu,
    prog: &mut Program,
    g: &Geometry,
    out_c: usize,
    t: &Conv2dTensors,
) -> Result<()> {
    let layer = "conv2d forward";
    check_kernel(layer, t.w, [g.kh, g.kw, g.c, out_c], t.b, out_c)?;
    expect(layer, "y", t.y, g.rows() * out_c)?;
    if !implicit_nn(gpu, g, out_c) {
        im2col(gpu, prog, g, t.x, t.col)?;
    }
    im2col_product(gpu, prog, g, t.x, t.col, t.w, Some(t.b), t.y)
}

/// Gradients of a Conv2d layer: `dw`, `db`, and `dx` when wanted (the first
/// layer of the discriminator needs none); `dcol` is a [rows, cols]
/// workspace.
pub struct Conv2dGrads<'a> {
    pub dy: &'a Tensor,
    pub dw: Option<(&'a Tensor, &'a Tensor)>,
    pub dcol: &'a Tensor,
    pub dx: Option<&'a Tensor>,
}

pub fn conv2d_backward(
    gpu: &Gpu,
    prog: &mut Program,
    g: &Geometry,
    out_c: usize,
    t: &Conv2dTensors,
    d: &Conv2dGrads,
) -> Result<()> {
    let layer = "conv2d backward";
    expect(layer, "dy", d.dy, g.rows() * out_c)?;
    let dy = as_2d(d.dy, out_c)?;
    if let Some((dw, db)) = d.dw {
        // The forward pass left im2col(x) in `col` unless it gathered it.
        if implicit_nn(gpu, g, out_c) && !implicit_tn(gpu, g, out_c) {
            im2col(gpu, prog, g, t.x, t.col)?;
        }
        im2col_t_product(gpu, prog, g, t.x, t.col, &dy, dw)?;
        sum_columns(gpu, prog, &dy, db, 1.0)?;
    }
    if let Some(dx) = d.dx {
        let dcol = d.dcol.reshape(&[g.rows(), g.cols()])?;
        matmul(
            gpu,
            prog,
            Operand::plain(&dy),
            Operand::transposed(&as_2d(t.w, out_c)?),
            None,
            &dcol,
        )?;
        col2im(gpu, prog, g, &dcol, None, dx)?;
    }
    Ok(())
}

/// Conv2dTranspose: `x` [n, h, w, in] → `y` [n, H, W, out] with kernel `w`
/// [kh, kw, out, in] (Keras' layout), bias [out]; `col` is the [rows, cols]
/// workspace of the adjoint convolution described by `g`.
pub fn conv2d_transpose_forward(
    gpu: &Gpu,
    prog: &mut Program,
    g: &Geometry,
    in_c: usize,
    t: &Conv2dTensors,
) -> Result<()> {
    let layer = "conv2d_transpose forward";
    check_kernel(layer, t.w, [g.kh, g.kw, g.c, in_c], t.b, g.c)?;
    expect(layer, "x", t.x, g.rows() * in_c)?;
    let col = t.col.reshape(&[g.rows(), g.cols()])?;
    matmul(
        gpu,
        prog,
        Operand::plain(&as_2d(t.x, in_c)?),
        Operand::transposed(&as_2d(t.w, in_c)?),
        None,
        &col,
    )?;
    col2im(gpu, prog, g, &col, Some(t.b), t.y)
}

/// Gradients of a Conv2dTranspose; `dcol` holds im2col(dy).
pub fn conv2d_transpose_backward(
    gpu: &Gpu,
    prog: &mut Program,
    g: &Geometry,
    in_c: usize,
    t: &Conv2dTensors,
    d: &Conv2dGrads,
) -> Result<()> {
    let layer = "conv2d_transpose backward";
    expect(layer, "dy", d.dy, g.n * g.h * g.w * g.c)?;
    // im2col(dy) is materialised once, only if a product cannot gather it.
    let gathered_dw = implicit_tn(gpu, g, in_c);
    let gathered_dx = implicit_nn(gpu, g, in_c);
    if (d.dw.is_some() && !gathered_dw) || (d.dx.is_some() && !gathered_dx) {
        im2col(gpu, prog, g, d.dy, d.dcol)?;
    }
    if let Some((dw, db)) = d.dw {
        im2col_t_product(gpu, prog, g, d.dy, d.dcol, t.x, dw)?;
        sum_columns(gpu, prog, &as_2d(d.dy, g.c)?, db, 1.0)?;
    }
    if let Some(dx) = d.dx {
        im2col_product(gpu, prog, g, d.dy, d.dcol, t.w, None, dx)?;
    }
    Ok(())
}
