//! Conv2d and Conv2dTranspose as im2col/col2im plus matrix products
//! (`shaders/conv.wgsl` and the matmul shaders; reference: `cpu::conv`).
//! On subgroup adapters the products whose image side has 4 (or 8)
//! channels per tap gather im2col inside the kernel instead of
//! materialising it (`conv_*` in `shaders/matmul_subgroup.wgsl`).
//!
//! Layout: activations NHWC, kernels exactly as Keras stores them (Conv2D
//! `[kh, kw, in, out]`, Conv2DTranspose `[kh, kw, out, in]`), so a kernel
//! flattened row-major is the [kh·kw·c, ·] matrix the products need and
//! weights move to and from Keras without any permutation (see
//! `crate::model::keras`).

use super::matmul::{matmul, tn_product, Operand, Params as MatmulParams};
use super::reduce::sum_columns;
use super::{fits_u32, grid_1d};
use crate::error::{shape_err, Result};
use crate::gpu::{Gpu, Program, Tensor};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Padding {
    /// TensorFlow's "same": output = ⌈input / stride⌉, total padding
    /// max((out-1)·stride + k - in, 0), the smaller half before.
    Same,
    /// No padding: output = ⌊(input - k) / stride⌋ + 1.
    Valid,
}

/// How patches tile an NHWC image (see `shaders/conv.wgsl`). For a
/// convolution the image is its input; for a transposed convolution the
/// image is its output and the patch grid its input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Geometry {
    pub n: usize,
    pub h: usize,
    pub w: usize,
    pub c: usize,
    pub oh: usize,
    pub ow: usize,
    pub kh: usize,
    pub kw: usize,
    pub stride: usize,
    pub pad_top: usize,
    pub pad_left: usize,
}

impl Geometry {
    /// Rows of the column matrix: one per patch.
    pub fn rows(&self) -> usize {
        self.n * self.oh * self.ow
    }
    /// Columns of the column matrix: kh · kw · c.
    pub fn cols(&self) -> usize {
        self.kh * self.kw * self.c
    }
    pub fn image_shape(&self) -> [usize; 4] {
        [self.n, self.h, self.w, self.c]
    }
}

/// One spatial dimension: (output size, padding before) for a convolution.
fn conv_dim(
    layer: &str,
    size: usize,
    k: usize,
    stride: usize,
    padding: Padding,
) -> Result<(usize, usize)> {
    match padding {
        Padding::Same => {
            let out = size.div_ceil(stride);
            let total = ((out - 1) * stride + k).saturating_sub(size);
            Ok((out, total / 2))
        }
        Padding::Valid => {
            if k > size {
                return shape_err(
                    layer,
                    format!(
                        "kernel {k} is larger than the unpadded input {size} (padding \"valid\")"
                    ),
                );
            }
            Ok(((size - k) / stride + 1, 0))
        }
    }
}

fn check_common(
    layer: &str,
    batch: usize,
    hw: (usize, usize),
    in_c: usize,
    out_c: usize,
    k: (usize, usize),
    stride: usize,
) -> Result<()> {
    if stride == 0 {
        return shape_err(layer, "stride must be at least 1");
    }
    if batch == 0 || hw.0 == 0 || hw.1 == 0 || in_c == 0 || out_c == 0 || k.0 == 0 || k.1 == 0 {
        return shape_err(
            layer,
            format!(
                "zero-sized dimension: batch {batch}, input {}x{}, channels {in_c} -> {out_c}, kernel {}x{}",
                hw.0, hw.1, k.0, k.1
            ),
        );
    }
    Ok(())
}

/// A convolution layer's static description: channels, kernel, stride,
/// padding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConvSpec {
    pub in_c: usize,
    pub out_c: usize,
    pub kernel: (usize, usize),
    pub stride: usize,
    pub padding: Padding,
}

/// Geometry of a Conv2d reading `[batch, h, w, spec.in_c]`.
pub fn conv2d_geometry(
    layer: &str,
    batch: usize,
    (h, w): (usize, usize),
    spec: &ConvSpec,
) -> Result<Geometry> {
    let ConvSpec {
        in_c,
        out_c,
        kernel: (kh, kw),
        stride,
        padding,
    } = *spec;
    check_common(layer, batch, (h, w), in_c, out_c, (kh, kw), stride)?;
    let (oh, pad_top) = conv_dim(layer, h, kh, stride, padding)?;
    let (ow, pad_left) = conv_dim(layer, w, kw, stride, padding)?;
    Ok(Geometry {
        n: batch,
        h,
        w,
        c: in_c,
        oh,
        ow,
        kh,
        kw,
        stride,
        pad_top,
        pad_left,
    })
}

/// Geometry of a Conv2dTranspose reading `[batch, h, w, in_c]` and writing
/// `out_c` channels: the geometry of the convolution it is the adjoint of.
/// Keras' output size: "same" h·stride, "valid" h·stride + max(k - stride, 0).
pub fn conv2d_transpose_geometry(
    layer: &str,
    batch: usize,
    (h, w): (usize, usize),
    spec: &ConvSpec,
) -> Result<Geometry> {
    let ConvSpec {
        in_c,
        out_c,
        kernel: (kh, kw),
        stride,
        padding,
    } = *spec;
    check_common(layer, batch, (h, w), in_c, out_c, (kh, kw), stride)?;
    let dim = |size: usize, k: usize| match padding {
        Padding::Same => (size * stride, (k.saturating_sub(stride)) / 2),
        Padding::Valid => (size * stride + k.saturating_sub(stride), 0),
    };
    let (big_h, pad_top) = dim(h, kh);
    let (big_w, pad_left) = dim(w, kw);
    Ok(Geometry {
        n: batch,
        h: big_h,
        w: big_w,
        c: out_c,
        oh: h,
        ow: w,
        kh,
        kw,
        stride,
        pad_top,
        pad_left,
    })
}

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    n: u32,
    h: u32,
    w: u32,
    c: u32,
    oh: u32,
    ow: u32,
    kh: u32,
    kw: u32,
    stride: u32,
    pad_top: u32,
    pad_left: u32,
    _pad: u32,
}

fn params(g: &Geometry) -> Params {
    Params {
        n: g.n as u32,
        h: g.h as u32,
        w: g.w as u32,
        c: g.c as u32,
        oh: g.oh as u32,
        ow: g.ow as u32,
        kh: g.kh as u32,
        kw: g.kw as u32,
        stride: g.stride as u32,
        pad_top: g.pad_top as u32,
        pad_left: g.pad_left as u32,
        _pad: 0,
    }
}

fn expect(op: &str, what: &str, t: &Tensor, len: usize) -> Result<()> {
    if t.len() != len {
        return shape_err(
            op,
            format!("{what} {:?} should have {len} elements", t.shape()),
        );
    }
    Ok(())
}

/// Records col = im2col(image).
pub fn im2col(
    gpu: &Gpu,
    prog: &mut Program,
    g: &Geometry,
    image: &Tensor,
    col: &Tensor,
) -> Result<()> {
    let op = "im2col";
    expect(op, "image", image, g.n * g.h * g.w * g.c)?;
    expect(op, "col", col, g.rows() * g.cols())?;
    fits_u32(op, col.len())?;
    prog.dispatch(
        gpu,
        ("conv", "im2col"),
        &params(g),
        &[image, col],
        grid_1d(col.len()),
    )
}

/// Records image = col2im(col) (+ bias per channel).
pub fn col2im(
    gpu: &Gpu,
    prog: &mut Program,
    g: &Geometry,
    col: &Tensor,
    bias: Option<&Tensor>,
    image: &Tensor,
) -> Result<()> {
    let op = "col2im";
    expect(op, "image", image, g.n * g.h * g.w * g.c)?;
    expect(op, "col", col, g.rows() * g.cols())?;
    fits_u32(op, col.len())?;
    if g.c.is_multiple_of(4) {
        let groups = grid_1d(image.len() / 4);
        return match bias {
            None => prog.dispatch_at(
                gpu,
                ("conv", "col2im_vec4"),
                &params(g),
                &[(5, col), (6, image)],
                groups,
            ),
            Some(b) => {
                expect(op, "bias", b, g.c)?;
                prog.dispatch_at(
                    gpu,
                    ("conv", "col2im_bias_vec4"),
                    &params(g),
                    &[(5, col), (6, image), (7, b)],
                    groups,
                )
            }
        };
    }
    let groups = grid_1d(image.len());
    match bias {
        None => prog.dispatch(gpu, ("conv", "col2im"), &params(g), &[col, image], groups),
        Some(b) => {
            expect(op, "bias", b, g.c)?;
            prog.dispatch(
                gpu,
                ("conv", "col2im_bias"),
                &params(g),
                &[col, image, b],
                groups,
            )
        }
    }
}

/// Whether `im2col(image) · B[cols, n]` can skip materialising im2col: the
/// implicit product needs the subgroup kernels and 4-channel vec4 runs.
fn implicit_nn(gpu: &Gpu, g: &Geometry, n: usize) -> bool {
    gpu.subgroup_matmul && g.c.is_multiple_of(4) && n.is_multiple_of(4)
}

/// The same for `im2col(image)ᵀ · D[rows, n]`, whose 8-row blocks are 8
/// channels of one tap.
fn implicit_tn(gpu: &Gpu, g: &Geometry, n: usize) -> bool {
    gpu.subgroup_matmul && g.c.is_multiple_of(8) && n.is_multiple_of(4)
}

fn implicit_params(g: &Geometry, m: usize, n: usize, k: usize) -> MatmulParams {
    MatmulParams {
        m: m as u32,
        n: n as u32,
        k: k as u32,
        h: g.h as u32,
        w: g.w as u32,
        c4: (g.c / 4) as u32,
        oh: g.oh as u32,
        ow: g.ow as u32,
        kh: g.kh as u32,
        kw: g.kw as u32,
        stride: g.stride as u32,
        pad_top: g.pad_top as u32,
        pad_left: g.pad_left as u32,
        ..Default::default()
    }
}

/// Records out[rows, n] = im2col(image) · b[cols, n] (+ bias), gathering
/// im2col's entries from the image inside the product.
fn implicit_product(
    gpu: &Gpu,
    prog: &mut Program,
    g: &Geometry,
    image: &Tensor,
    b: &Tensor,
    bias: Option<&Tensor>,
    out: &Tensor,
) -> Result<()> {
    let n = out.len() / g.rows();
    let params = implicit_params(g, g.rows(), n, g.cols());
    let groups = [n.div_ceil(64) as u32, g.rows().div_ceil(64) as u32, 1];
    match bias {
        None => prog.dispatch(
            gpu,
            ("matmul_subgroup", "conv_nn"),
            &params,
            &[image, b, out],
            groups,
        ),
        Some(bias) => prog.dispatch(
            gpu,
            ("matmul_subgroup", "conv_nn_bias"),
            &params,
            &[image, b, out, bias],
            groups,
        ),
    }
}

/// Records out[cols, n] = im2col(image)ᵀ · d[rows, n] (split over the
/// patches when the output alone would not fill the device).
fn implicit_product_t(
    gpu: &Gpu,
    prog: &mut Program,
    g: &Geometry,
    image: &Tensor,
    d: &Tensor,
    out: &Tensor,
) -> Result<()> {
    let n = d.len() / g.rows();
    let params = implicit_params(g, g.cols(), n, g.rows());
    tn_product(gpu, prog, params, out, |p, params, target, groups| {
        p.dispatch(
            gpu,
            ("matmul_subgroup", "conv_tn"),
            params,
            &[image, d, target],
            groups,
        )
    })
}

/// Records out[rows, n] = im2col(image) · b[cols, n] (+ bias): gathered
/// inside the product where `implicit_nn` allows, else read from `col`,
/// which then must hold im2col(image).
#[allow(clippy::too_many_arguments)]
fn im2col_product(
    gpu: &Gpu,
    prog: &mut Program,
    g: &Geometry,
    image: &Tensor,
    col: &Tensor,
    b: &Tensor,
    bias: Option<&Tensor>,
    out: &Tensor,
) -> Result<()> {
    let n = b.len() / g.cols();
    if implicit_nn(gpu, g, n) {
        return implicit_product(gpu, prog, g, image, b, bias, out);
    }
    let col = col.reshape(&[g.rows(), g.cols()])?;
    matmul(
        gpu,
        prog,
        Operand::plain(&col),
        Operand::plain(&as_2d(b, n)?),
        bias,
        &as_2d(out, n)?,
    )
}

/// Records out[cols, n] = im2col(image)ᵀ · d[rows, n], gathered where
/// `implicit_tn` allows, else from `col` as above.
fn im2col_t_product(
    gpu: &Gpu,
    prog: &mut Program,
    g: &Geometry,
    image: &Tensor,
    col: &Tensor,
    d: &Tensor,
    out: &Tensor,
) -> Result<()> {
    let n = d.len() / g.rows();
    if implicit_tn(gpu, g, n) {
        return implicit_product_t(gpu, prog, g, image, d, out);
    }
    let col = col.reshape(&[g.rows(), g.cols()])?;
    matmul(
        gpu,
        prog,
        Operand::transposed(&col),
        Operand::plain(&as_2d(d, n)?),
        None,
        &as_2d(out, n)?,
    )
}

fn as_2d(t: &Tensor, cols: usize) -> Result<Tensor> {
    t.reshape(&[t.len() / cols, cols])
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
