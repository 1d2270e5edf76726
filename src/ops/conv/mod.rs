//! Conv2d and Conv2dTranspose as im2col/col2im plus matrix products
//! (reference: `cpu::conv`; geometry: `spec::conv`). Each layer's products
//! are chosen in `implicit.rs`: on subgroup adapters the products whose
//! image side has 4 (or 8) channels per tap gather im2col inside the kernel
//! (`shaders/conv_implicit.wgsl`); the others materialise it with
//! `im2col.rs` (`shaders/conv.wgsl`) and run the matmul kernels. The
//! adjoint products (a Conv2d's input gradient, a Conv2dTranspose's
//! forward pass) likewise sum each pixel's taps straight from the patches
//! there, instead of a product into a column matrix and col2im.
//!
//! Layout: activations NHWC, kernels exactly as Keras stores them (Conv2D
//! `[kh, kw, in, out]`, Conv2DTranspose `[kh, kw, out, in]`), so a kernel
//! flattened row-major is the [kh·kw·c, ·] matrix the products need and
//! weights move to and from Keras without any permutation (see
//! `crate::model::keras`).

mod chunks;
mod im2col;
mod implicit;

pub use chunks::col_workspace;
pub(crate) use im2col::mirror;
pub use im2col::{col2im, col2im_bias_activation, col2im_through, im2col, Cols, Through};

use super::dropout::{check_rate, leaky_relu_dropout_forward, LeakyReluDropoutForward};
use super::matmul::{matmul, Operand};
use super::reduce::sum_columns;
use crate::error::{shape_err, Error, Result};
use crate::gpu::{Gpu, Program, Tensor};
use crate::spec::activation::Activation;
use crate::spec::conv::Geometry;
use chunks::{Chunk, ColChunks};
use implicit::{
    adjoint_product, as_2d, im2col_product, im2col_t_product, implicit_adjoint, implicit_nn,
    implicit_product_leaky_relu_dropout, implicit_tn, weight_and_bias_grads, AdjointStore,
};

/// Whether a Conv2d layer of geometry `g` with `out_c` outputs gathers
/// im2col inside both of its products (the forward pass and the weight
/// gradient), so that it never materialises the column matrix.
pub fn gathers_im2col(gpu: &Gpu, g: &Geometry, out_c: usize) -> bool {
    implicit_nn(gpu, g, out_c) && implicit_tn(gpu, g, out_c)
}

/// The column workspace a Conv2d layer's forward pass and weight gradient
/// use (`Conv2dTensors::col`): [`col_workspace`], or one element where the
/// layer gathers im2col ([`gathers_im2col`]): 40 MB for the
/// discriminator's second convolution in a batch-64 training step (128
/// images). A workspace too small for a pass that does use it fails with a
/// named error, not garbage.
pub fn forward_col_workspace(gpu: &Gpu, label: &str, g: &Geometry, out_c: usize) -> Result<Tensor> {
    if gathers_im2col(gpu, g, out_c) {
        return gpu.zeros(label, &[1]);
    }
    col_workspace(gpu, label, g, out_c)
}

/// The column workspace of a layer's adjoint product (`Conv2dGrads::dcol`
/// for a Conv2d's input gradient, `Conv2dTensors::col` for a
/// Conv2dTranspose's forward pass), `k` the patches' channels: one element
/// where that product sums straight from the patches (`conv_t_*`), which
/// it does unless its store must pass through tanh's gradient
/// (`through_tanh`); 40 MB for the discriminator's second convolution in a
/// batch-64 training step.
pub fn adjoint_col_workspace(
    gpu: &Gpu,
    label: &str,
    g: &Geometry,
    k: usize,
    through_tanh: bool,
) -> Result<Tensor> {
    if implicit_adjoint(gpu, g, k) && !through_tanh {
        return gpu.zeros(label, &[1]);
    }
    col_workspace(gpu, label, g, k)
}

/// The convolution's output before the activation for
/// [`conv2d_forward_leaky_relu_dropout`] (`Conv2dTensors::y`), [n, oh, ow,
/// out_c]: one element where the product's store applies LeakyReLU →
/// dropout, which never writes it.
pub fn pre_activation_workspace(
    gpu: &Gpu,
    label: &str,
    g: &Geometry,
    out_c: usize,
) -> Result<Tensor> {
    if implicit_nn(gpu, g, out_c) {
        return gpu.zeros(label, &[1]);
    }
    gpu.zeros(label, &[g.n, g.oh, g.ow, out_c])
}

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
/// kernel `w` [kh, kw, in, out], bias `b` [out]; `col` is the column
/// workspace (see [`col_workspace`]), which keeps im2col(x) from forward
/// for the weight gradient when the layer fits one chunk.
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
    if implicit_nn(gpu, g, out_c) {
        return im2col_product(gpu, prog, g, t.x, t.col, t.w, Some(t.b), t.y);
    }
    ColChunks::new(gpu, g, out_c)?.for_each(|c| {
        let (x, col) = (c.image_side(t.x)?, c.col(t.col)?);
        im2col(gpu, prog, &c.g, &x, &col)?;
        im2col_product(
            gpu,
            prog,
            &c.g,
            &x,
            &col,
            t.w,
            Some(t.b),
            &c.patch_side(t.y)?,
        )
    })
}

/// A discriminator block's forward pass: the convolution, then LeakyReLU →
/// dropout (`then`) into `out`, with the signed dropout factor into
/// `then.factor`. Where the product gathers im2col (`implicit_nn`), one
/// dispatch whose store applies both and leaves `t.y` alone; elsewhere the
/// convolution into `t.y`, then `leaky_relu_dropout_forward` from it.
pub fn conv2d_forward_leaky_relu_dropout(
    gpu: &Gpu,
    prog: &mut Program,
    g: &Geometry,
    out_c: usize,
    t: &Conv2dTensors,
    then: LeakyReluDropoutForward,
    out: &Tensor,
) -> Result<()> {
    let layer = "conv2d forward → LeakyReLU → dropout";
    check_kernel(layer, t.w, [g.kh, g.kw, g.c, out_c], t.b, out_c)?;
    expect(layer, "out", out, g.rows() * out_c)?;
    expect(layer, "factor", then.factor, g.rows() * out_c)?;
    check_rate(layer, then.rate)?;
    if implicit_nn(gpu, g, out_c) {
        let operands = (t.x, t.w, t.b);
        return implicit_product_leaky_relu_dropout(gpu, prog, g, operands, &then, out);
    }
    conv2d_forward(gpu, prog, g, out_c, t)?;
    let LeakyReluDropoutForward {
        alpha,
        rate,
        rng,
        factor,
    } = then;
    leaky_relu_dropout_forward(gpu, prog, alpha, rate, rng, t.y, factor, out)
}

/// Gradients of a Conv2d layer: `dw`, `db` and `dx`, each when wanted (the
/// first layer of the discriminator needs no dx; the generator's batch norm
/// makes the bias gradient of the transposed convolution before it);
/// `dcol` is a column workspace (see [`col_workspace`]), read only for
/// `dx`. With `dx_through`, `dx` is the gradient at the input of that
/// activation below the layer instead, applied as `dx` is stored (Conv2d
/// only).
pub struct Conv2dGrads<'a> {
    pub dy: &'a Tensor,
    pub dw: Option<&'a Tensor>,
    pub db: Option<&'a Tensor>,
    pub dcol: &'a Tensor,
    pub dx: Option<&'a Tensor>,
    pub dx_through: Option<Through<'a>>,
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
    let chunks = ColChunks::new(gpu, g, out_c)?;
    // The bias gradient comes out of the weight gradient's product where it
    // can, else from a pass of its own.
    let (dw, db) = match (d.dw, d.db) {
        (Some(dw), Some(db)) if weight_and_bias_grads(gpu, prog, g, t.x, d.dy, (dw, db))? => {
            (None, None)
        }
        grads => grads,
    };
    if let Some(dw) = dw {
        if implicit_tn(gpu, g, out_c) {
            im2col_t_product(gpu, prog, g, t.x, t.col, d.dy, dw)?;
        } else {
            // The forward pass left im2col(x) in `col` only when it
            // materialised it whole.
            let refill = !chunks.whole() || implicit_nn(gpu, g, out_c);
            chunks.sum_into(gpu, prog, dw, |prog, c, target| {
                let (x, col) = (c.image_side(t.x)?, c.col(t.col)?);
                if refill {
                    im2col(gpu, prog, &c.g, &x, &col)?;
                }
                im2col_t_product(gpu, prog, &c.g, &x, &col, &c.patch_side(d.dy)?, target)
            })?;
        }
    }
    if let Some(db) = db {
        sum_columns(gpu, prog, &as_2d(d.dy, out_c)?, db, 1.0)?;
    }
    if let Some(dx) = d.dx {
        let w = as_2d(t.w, out_c)?;
        let store = match d.dx_through {
            None => Some(AdjointStore::Plain),
            Some(Through::LeakyReluDropout(l)) => Some(AdjointStore::LeakyReluDropoutGrad(l)),
            Some(Through::Tanh { .. }) => None,
        };
        if let Some(store) = store.filter(|_| implicit_adjoint(gpu, g, out_c)) {
            return adjoint_product(gpu, prog, g, (d.dy, &w), store, dx);
        }
        chunks.for_each(|c| {
            let dcol = patches_times_kernel_t(gpu, prog, c, d.dy, &w, d.dcol)?;
            let dx = c.image_side(dx)?;
            match d.dx_through {
                None => col2im(gpu, prog, &c.g, &dcol, None, &dx),
                Some(through) => {
                    let saved = c.image_side(through.saved())?;
                    col2im_through(gpu, prog, &c.g, &dcol, through.with_saved(&saved), &dx)
                }
            }
        })?;
    }
    Ok(())
}

/// Records chunk `c`'s column matrix = its rows of `patches` [.., k] ·
/// `w`ᵀ (`w` the kernel as [kh·kw·c, k]) into the start of the workspace
/// `col`, and returns that view: the product col2im then sums onto the
/// image (a convolution's input gradient, a transposed convolution's
/// forward). Where the columns are at most 32 and no multiple of 4 (a
/// one-channel kernel's 25 taps) and the subgroup kernels run, it computes
/// the transpose, w · patchesᵀ, whose 25 rows fill 32-row workgroups
/// (`matmul_nt_32`) where 25 columns filled 25 of 64; the same bits, since
/// each entry is the same dot products in the same order.
fn patches_times_kernel_t(
    gpu: &Gpu,
    prog: &mut Program,
    c: &Chunk,
    patches: &Tensor,
    w: &Tensor,
    col: &Tensor,
) -> Result<Cols> {
    let col = c.col(col)?;
    let (taps, k) = (w.shape()[0], w.shape()[1]);
    let rows = as_2d(&c.patch_side(patches)?, k)?;
    let by_tap = gpu.subgroup_matmul
        && taps <= 32
        && !taps.is_multiple_of(4)
        && k.is_multiple_of(4)
        && rows.shape()[0].is_multiple_of(4);
    if by_tap {
        let col = col.reshape(&[taps, rows.shape()[0]])?;
        let (w, rows) = (Operand::plain(w), Operand::transposed(&rows));
        matmul(gpu, prog, w, rows, None, &col)?;
        return Ok(Cols::ByTap(col));
    }
    let (rows, w) = (Operand::plain(&rows), Operand::transposed(w));
    matmul(gpu, prog, rows, w, None, &col)?;
    Ok(Cols::ByPatch(col))
}

/// Conv2dTranspose: `x` [n, h, w, in] → `y` [n, H, W, out] with kernel `w`
/// [kh, kw, out, in] (Keras' layout), bias [out]; `col` is the column
/// workspace of the adjoint convolution described by `g`.
pub fn conv2d_transpose_forward(
    gpu: &Gpu,
    prog: &mut Program,
    g: &Geometry,
    in_c: usize,
    t: &Conv2dTensors,
) -> Result<()> {
    transpose_forward(gpu, prog, g, in_c, t, None)
}

/// [`conv2d_transpose_forward`] with the activation `act` (SELU or tanh)
/// applied into `out` in the same pass; `t.y` keeps the pre-activation the
/// backward pass needs.
pub fn conv2d_transpose_forward_activation(
    gpu: &Gpu,
    prog: &mut Program,
    g: &Geometry,
    in_c: usize,
    t: &Conv2dTensors,
    (act, out): (Activation, &Tensor),
) -> Result<()> {
    expect("conv2d_transpose forward", "activation", out, t.y.len())?;
    transpose_forward(gpu, prog, g, in_c, t, Some((act, out)))
}

fn transpose_forward(
    gpu: &Gpu,
    prog: &mut Program,
    g: &Geometry,
    in_c: usize,
    t: &Conv2dTensors,
    activation: Option<(Activation, &Tensor)>,
) -> Result<()> {
    let layer = "conv2d_transpose forward";
    check_kernel(layer, t.w, [g.kh, g.kw, g.c, in_c], t.b, g.c)?;
    expect(layer, "x", t.x, g.rows() * in_c)?;
    let w = as_2d(t.w, in_c)?;
    if implicit_adjoint(gpu, g, in_c) {
        let store = match activation {
            None => AdjointStore::Bias(t.b),
            Some((act, out)) => AdjointStore::BiasActivation(t.b, act, out),
        };
        return adjoint_product(gpu, prog, g, (t.x, &w), store, t.y);
    }
    ColChunks::new(gpu, g, in_c)?.for_each(|c| {
        let col = patches_times_kernel_t(gpu, prog, c, t.x, &w, t.col)?;
        let y = c.image_side(t.y)?;
        match activation {
            None => col2im(gpu, prog, &c.g, &col, Some(t.b), &y),
            Some((act, out)) => {
                let out = c.image_side(out)?;
                col2im_bias_activation(gpu, prog, &c.g, &col, t.b, act, &y, &out)
            }
        }
    })
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
    if d.dx_through.is_some() {
        return Err(Error::Argument {
            op: layer.to_string(),
            msg: "its input gradient cannot pass through an activation (dx_through)".to_string(),
        });
    }
    let chunks = ColChunks::new(gpu, g, in_c)?;
    // im2col(dy) is materialised only for a product that cannot gather it:
    // once for both when it fits one binding, else a chunk at a time.
    let gathered_dw = implicit_tn(gpu, g, in_c);
    let gathered_dx = implicit_nn(gpu, g, in_c);
    let once =
        chunks.whole() && ((d.dw.is_some() && !gathered_dw) || (d.dx.is_some() && !gathered_dx));
    if once {
        im2col(gpu, prog, g, d.dy, d.dcol)?;
    }
    let chunk_cols = |prog: &mut Program, c: &Chunk| -> Result<(Tensor, Tensor)> {
        let (dy, col) = (c.image_side(d.dy)?, c.col(d.dcol)?);
        if !once {
            im2col(gpu, prog, &c.g, &dy, &col)?;
        }
        Ok((dy, col))
    };
    if let Some(dw) = d.dw {
        if gathered_dw {
            im2col_t_product(gpu, prog, g, d.dy, d.dcol, t.x, dw)?;
        } else {
            chunks.sum_into(gpu, prog, dw, |prog, c, target| {
                let (dy, col) = chunk_cols(prog, c)?;
                im2col_t_product(gpu, prog, &c.g, &dy, &col, &c.patch_side(t.x)?, target)
            })?;
        }
    }
    if let Some(db) = d.db {
        sum_columns(gpu, prog, &as_2d(d.dy, g.c)?, db, 1.0)?;
    }
    if let Some(dx) = d.dx {
        if gathered_dx {
            im2col_product(gpu, prog, g, d.dy, d.dcol, t.w, None, dx)?;
        } else {
            chunks.for_each(|c| {
                let (dy, col) = chunk_cols(prog, c)?;
                im2col_product(gpu, prog, &c.g, &dy, &col, t.w, None, &c.patch_side(dx)?)
            })?;
        }
    }
    Ok(())
}
