//! What a convolution computes, independent of how: padding, the layer's
//! description and the patch geometry that both the GPU ops
//! (`ops::conv`) and the CPU reference (`cpu::conv`) follow. Tests pin it
//! to hand-worked values for every layer of the model, so a mistake here
//! cannot hide behind both sides sharing it.

use crate::error::{shape_err, Result};
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

/// Checks a layer reading `[batch, h, w, spec.in_c]`.
fn check_common(layer: &str, batch: usize, (h, w): (usize, usize), spec: &ConvSpec) -> Result<()> {
    let ConvSpec {
        in_c,
        out_c,
        kernel: (kh, kw),
        stride,
        ..
    } = *spec;
    if stride == 0 {
        return shape_err(layer, "stride must be at least 1");
    }
    if [batch, h, w, in_c, out_c, kh, kw].contains(&0) {
        return shape_err(
            layer,
            format!(
                "zero-sized dimension: batch {batch}, input {h}x{w}, channels {in_c} -> {out_c}, kernel {kh}x{kw}"
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
    check_common(layer, batch, (h, w), spec)?;
    let (kh, kw) = spec.kernel;
    let (oh, pad_top) = conv_dim(layer, h, kh, spec.stride, spec.padding)?;
    let (ow, pad_left) = conv_dim(layer, w, kw, spec.stride, spec.padding)?;
    Ok(Geometry {
        n: batch,
        h,
        w,
        c: spec.in_c,
        oh,
        ow,
        kh,
        kw,
        stride: spec.stride,
        pad_top,
        pad_left,
    })
}

/// Geometry of a Conv2dTranspose reading `[batch, h, w, in_c]` and writing
/// `out_c` channels: the geometry of the convolution it is the adjoint of,
/// whose image is the output and whose patch grid is the input. Keras'
/// output size: "same" h·stride, "valid" h·stride + max(k - stride, 0).
pub fn conv2d_transpose_geometry(
    layer: &str,
    batch: usize,
    (h, w): (usize, usize),
    spec: &ConvSpec,
) -> Result<Geometry> {
    check_common(layer, batch, (h, w), spec)?;
    let (kh, kw) = spec.kernel;
    let stride = spec.stride;
    let dim = |size: usize, k: usize| match spec.padding {
        Padding::Same => (size * stride, (k.saturating_sub(stride)) / 2),
        Padding::Valid => (size * stride + k.saturating_sub(stride), 0),
    };
    let (big_h, pad_top) = dim(h, kh);
    let (big_w, pad_left) = dim(w, kw);
    Ok(Geometry {
        n: batch,
        h: big_h,
        w: big_w,
        c: spec.out_c,
        oh: h,
        ow: w,
        kh,
        kw,
        stride,
        pad_top,
        pad_left,
    })
}
