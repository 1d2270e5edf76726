//! im2col and col2im (`shaders/conv.wgsl`): the data movements that turn a
//! convolution and its transpose into matrix products where the implicit
//! products of `implicit.rs` cannot gather from the image directly.

use super::expect;
use crate::error::{Error, Result};
use crate::gpu::{Gpu, Program, Tensor};
use crate::ops::dropout::LeakyReluDropout;
use crate::ops::{fits_u32, grid_1d};
use crate::spec::activation::Activation;
use crate::spec::conv::Geometry;

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
    activation: u32,
    alpha: f32,
    by_tap: u32,
    _pad: [u32; 2],
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
        activation: 0,
        alpha: 0.0,
        by_tap: 0,
        _pad: [0; 2],
    }
}

/// A column matrix for col2im, and how it is laid out.
pub enum Cols {
    /// [patches, kh·kw·c], as im2col writes it.
    ByPatch(Tensor),
    /// [kh·kw·c, patches]: where the columns are few (a one-channel
    /// kernel's 25 taps) the product that makes them runs better with them
    /// as its rows. Only the scalar kernels read this layout.
    ByTap(Tensor),
}

impl Cols {
    fn tensor(&self) -> &Tensor {
        match self {
            Cols::ByPatch(t) | Cols::ByTap(t) => t,
        }
    }

    fn by_tap(&self) -> bool {
        matches!(self, Cols::ByTap(_))
    }

    /// The checks and the Params every col2im kernel shares; whether the
    /// vec4 kernels can run (channels in 4s, columns by patch).
    fn params(&self, op: &str, g: &Geometry, image: &Tensor) -> Result<(Params, bool)> {
        expect(op, "image", image, g.n * g.h * g.w * g.c)?;
        expect(op, "col", self.tensor(), g.rows() * g.cols())?;
        fits_u32(op, self.tensor().len())?;
        let p = Params {
            by_tap: self.by_tap() as u32,
            ..params(g)
        };
        Ok((p, g.c.is_multiple_of(4) && !self.by_tap()))
    }
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
        grid_1d(gpu, col.len()),
    )
}

/// Records image = col2im(col) (+ bias per channel).
pub fn col2im(
    gpu: &Gpu,
    prog: &mut Program,
    g: &Geometry,
    cols: &Cols,
    bias: Option<&Tensor>,
    image: &Tensor,
) -> Result<()> {
    let op = "col2im";
    let (p, vec4) = cols.params(op, g, image)?;
    let col = cols.tensor();
    if let Some(b) = bias {
        expect(op, "bias", b, g.c)?;
    }
    if vec4 {
        let groups = grid_1d(gpu, image.len() / 4);
        return match bias {
            None => prog.dispatch_at(
                gpu,
                ("conv", "col2im_vec4"),
                &p,
                &[(5, col), (6, image)],
                groups,
            ),
            Some(b) => prog.dispatch_at(
                gpu,
                ("conv", "col2im_bias_vec4"),
                &p,
                &[(5, col), (6, image), (7, b)],
                groups,
            ),
        };
    }
    let groups = grid_1d(gpu, image.len());
    match bias {
        None => prog.dispatch(gpu, ("conv", "col2im"), &p, &[col, image], groups),
        Some(b) => prog.dispatch(gpu, ("conv", "col2im_bias"), &p, &[col, image, b], groups),
    }
}

/// Records image = col2im(col) + bias and out = act(image) in one pass: the
/// generator's transposed convolutions with their SELU or tanh.
#[allow(clippy::too_many_arguments)]
pub fn col2im_bias_activation(
    gpu: &Gpu,
    prog: &mut Program,
    g: &Geometry,
    cols: &Cols,
    bias: &Tensor,
    act: Activation,
    image: &Tensor,
    out: &Tensor,
) -> Result<()> {
    let op = "col2im with activation";
    let (p, vec4) = cols.params(op, g, image)?;
    let col = cols.tensor();
    expect(op, "out", out, image.len())?;
    expect(op, "bias", bias, g.c)?;
    let p = Params {
        activation: activation_code(op, act)?,
        ..p
    };
    if vec4 {
        return prog.dispatch_at(
            gpu,
            ("conv", "col2im_bias_activation_vec4"),
            &p,
            &[(5, col), (6, image), (7, bias), (8, out)],
            grid_1d(gpu, image.len() / 4),
        );
    }
    prog.dispatch_at(
        gpu,
        ("conv", "col2im_bias_activation"),
        &p,
        &[(1, col), (2, image), (3, bias), (4, out)],
        grid_1d(gpu, image.len()),
    )
}

/// The code of `act` in the kernels that apply an activation as they store
/// a transposed convolution (`activate` in `shaders/lib/activation.wgsl`).
pub(super) fn activation_code(op: &str, act: Activation) -> Result<u32> {
    match act {
        Activation::Selu => Ok(1),
        Activation::Tanh => Ok(2),
        Activation::LeakyRelu(_) => Err(Error::Argument {
            op: op.to_string(),
            msg: format!("{act:?}: a transposed convolution's store applies SELU or tanh"),
        }),
    }
}

/// The activation below a convolution that its input gradient passes
/// through as col2im stores it, so that the gradient lands at that
/// activation's input.
#[derive(Clone, Copy)]
pub enum Through<'a> {
    /// A discriminator block's LeakyReLU → dropout pair.
    LeakyReluDropout(LeakyReluDropout<'a>),
    /// The generator's tanh, with its input: in the generator's step, the
    /// discriminator's input gradient goes on into the generator.
    Tanh { pre: &'a Tensor },
}

impl<'a> Through<'a> {
    /// The tensor the epilogue reads per image element.
    pub(crate) fn saved(&self) -> &'a Tensor {
        match self {
            Through::LeakyReluDropout(l) => l.factor,
            Through::Tanh { pre } => pre,
        }
    }

    /// The same with `saved` (a chunk's view of it) instead.
    pub(crate) fn with_saved(self, saved: &'a Tensor) -> Through<'a> {
        match self {
            Through::LeakyReluDropout(l) => {
                Through::LeakyReluDropout(LeakyReluDropout { factor: saved, ..l })
            }
            Through::Tanh { .. } => Through::Tanh { pre: saved },
        }
    }
}

/// Records image = the gradient at the input of the activation `through`
/// from col2im(col), the gradient at its output: a convolution's input
/// gradient, passed on through the layer below.
pub fn col2im_through(
    gpu: &Gpu,
    prog: &mut Program,
    g: &Geometry,
    cols: &Cols,
    through: Through,
    image: &Tensor,
) -> Result<()> {
    let op = "col2im through an activation's gradient";
    let (p, vec4) = cols.params(op, g, image)?;
    let col = cols.tensor();
    expect(
        op,
        "the activation's saved tensor",
        through.saved(),
        image.len(),
    )?;
    let through = match through {
        Through::LeakyReluDropout(l) => l,
        Through::Tanh { pre } => {
            return prog.dispatch_at(
                gpu,
                ("conv", "col2im_tanh_backward"),
                &p,
                &[(1, col), (2, image), (9, pre)],
                grid_1d(gpu, image.len()),
            )
        }
    };
    let p = Params {
        alpha: through.alpha,
        ..p
    };
    if vec4 {
        return prog.dispatch_at(
            gpu,
            ("conv", "col2im_leaky_relu_dropout_vec4"),
            &p,
            &[(5, col), (6, image), (10, through.factor)],
            grid_1d(gpu, image.len() / 4),
        );
    }
    prog.dispatch_at(
        gpu,
        ("conv", "col2im_leaky_relu_dropout"),
        &p,
        &[(1, col), (2, image), (9, through.factor)],
        grid_1d(gpu, image.len()),
    )
}

/// The layout `shaders/conv.wgsl` mirrors.
pub(crate) fn mirror() -> crate::gpu::mirror::Mirror {
    crate::wgsl_mirror!(
        Params,
        "conv",
        "Params",
        [n, h, w, c, oh, ow, kh, kw, stride, pad_top, pad_left, activation, alpha, by_tap]
    )
}
