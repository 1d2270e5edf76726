//! The products of a convolution layer, each either implicit (im2col
//! gathered from the image inside the product, `shaders/conv_implicit.wgsl`,
//! on subgroup adapters where the channels come in vec4 runs or the image
//! has one channel) or through a materialised column matrix and the matmul
//! kernels.

use super::im2col::activation_code;
use crate::error::Result;
use crate::gpu::{Gpu, Program, Tensor};
use crate::ops::dropout::{LeakyReluDropout, LeakyReluDropoutForward};
use crate::ops::matmul::{
    dispatch_product, dispatch_product_of, flops, matmul, tn_product, Operand,
    Params as MatmulParams,
};
use crate::spec::activation::Activation;
use crate::spec::conv::Geometry;
use crate::spec::dropout::{scale, threshold};

/// Whether `im2col(image) · B[cols, n]` can skip materialising im2col: the
/// implicit product needs the subgroup kernels and 4-channel vec4 runs, or
/// a one-channel image read pixel by pixel.
pub(super) fn implicit_nn(gpu: &Gpu, g: &Geometry, n: usize) -> bool {
    gpu.subgroup_matmul && (g.c.is_multiple_of(4) || g.c == 1) && n.is_multiple_of(4)
}

/// The same for `im2col(image)ᵀ · D[rows, n]`, whose 8-row blocks are 8
/// channels of one tap (or 8 taps of a one-channel image).
pub(super) fn implicit_tn(gpu: &Gpu, g: &Geometry, n: usize) -> bool {
    gpu.subgroup_matmul && (g.c.is_multiple_of(8) || g.c == 1) && n.is_multiple_of(4)
}

/// Whether col2im(P · Wᵀ), for P [patches, k], can be summed straight from
/// P without the column matrix (`conv_t_*`): the subgroup kernels, the
/// image's channels and k in vec4s.
pub(super) fn implicit_adjoint(gpu: &Gpu, g: &Geometry, k: usize) -> bool {
    gpu.subgroup_matmul && g.c.is_multiple_of(4) && k.is_multiple_of(4)
}

/// What the adjoint product stores with its sums.
pub(super) enum AdjointStore<'a> {
    /// The sums (a convolution's input gradient).
    Plain,
    /// + bias (a transposed convolution's forward pass).
    Bias(&'a Tensor),
    /// + bias into the image, and the activation of that into `out`.
    BiasActivation(&'a Tensor, Activation, &'a Tensor),
    /// Through LeakyReLU → dropout's gradient (the layer below's).
    LeakyReluDropoutGrad(LeakyReluDropout<'a>),
}

/// Records image [n, h, w, c] = col2im(patches · wᵀ) for `g`, the
/// convolution from the image to the patches, with `patches` [rows, k]
/// and `w` [cols, k], then `store`'s epilogue: what `col2im` does after a
/// `matmul` into the column matrix, in one product that sums each pixel's
/// taps straight from the patches. Where `implicit_adjoint` allows.
pub(super) fn adjoint_product(
    gpu: &Gpu,
    prog: &mut Program,
    g: &Geometry,
    (patches, w): (&Tensor, &Tensor),
    store: AdjointStore,
    image: &Tensor,
) -> Result<()> {
    let op = "adjoint convolution";
    let k = patches.len() / g.rows();
    super::expect(op, "patches", patches, g.rows() * k)?;
    super::expect(op, "w", w, g.cols() * k)?;
    super::expect(op, "image", image, g.n * g.h * g.w * g.c)?;
    let mut params = implicit_params(g, g.n * g.h * g.w, g.c, k);
    let mut args = vec![(1, patches), (2, w), (3, image)];
    let entry = match store {
        AdjointStore::Plain => "conv_t",
        AdjointStore::Bias(bias) => {
            super::expect(op, "bias", bias, g.c)?;
            args.push((4, bias));
            "conv_t_bias"
        }
        AdjointStore::BiasActivation(bias, act, out) => {
            super::expect(op, "bias", bias, g.c)?;
            super::expect(op, "out", out, image.len())?;
            params.activation = activation_code(op, act)?;
            args.extend([(4, bias), (8, out)]);
            "conv_t_bias_activation"
        }
        AdjointStore::LeakyReluDropoutGrad(l) => {
            super::expect(op, "the dropout's factor", l.factor, image.len())?;
            params.alpha = l.alpha;
            args.push((6, l.factor));
            "conv_t_leaky_relu_dropout_grad"
        }
    };
    // Each workgroup takes 64 pixels of one class of (row, column)
    // remainders mod the stride, the classes interleaved along y; class 0
    // is the largest.
    let s = g.stride;
    let class_rows = g.n * g.h.div_ceil(s) * g.w.div_ceil(s);
    let groups = [
        g.c.div_ceil(64) as u32,
        (class_rows.div_ceil(64) * s * s) as u32,
        1,
    ];
    // The FLOPs of the product it replaces: only the taps that land on a
    // pixel are summed, the same multiply-adds.
    let done = flops(g.rows(), g.cols(), k);
    dispatch_product_of(
        gpu,
        prog,
        ("conv_implicit", entry),
        &params,
        &args,
        groups,
        done,
    )
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
    // A one-channel image is bound as scalars (binding 5).
    let one = g.c == 1;
    let image_binding = if one { 5 } else { 1 };
    let mut args = vec![(image_binding, image), (2, b), (3, out)];
    args.extend(bias.map(|bias| (4, bias)));
    let entry = match (one, bias.is_some()) {
        (false, false) => "conv_nn",
        (false, true) => "conv_nn_bias",
        (true, false) => "conv1_nn",
        (true, true) => "conv1_nn_bias",
    };
    dispatch_product(gpu, prog, ("conv_implicit", entry), &params, &args, groups)
}

/// Records out = dropout(LeakyReLU(im2col(image) · b[cols, n] + bias)) and
/// the signed dropout factor, in the implicit product's store: a
/// discriminator block's forward pass where `implicit_nn` allows.
pub(super) fn implicit_product_leaky_relu_dropout(
    gpu: &Gpu,
    prog: &mut Program,
    g: &Geometry,
    (image, b, bias): (&Tensor, &Tensor, &Tensor),
    then: &LeakyReluDropoutForward,
    out: &Tensor,
) -> Result<()> {
    let n = out.len() / g.rows();
    let params = MatmulParams {
        alpha: then.alpha,
        drop_seed: then.rng.seed,
        drop_salt: then.rng.salt,
        drop_threshold: threshold(then.rate),
        drop_scale: scale(then.rate),
        ..implicit_params(g, g.rows(), n, g.cols())
    };
    let groups = [n.div_ceil(64) as u32, g.rows().div_ceil(64) as u32, 1];
    let (image_binding, entry) = match g.c {
        1 => (5, "conv1_nn_bias_leaky_relu_dropout"),
        _ => (1, "conv_nn_bias_leaky_relu_dropout"),
    };
    let args = [
        (image_binding, image),
        (2, b),
        (3, out),
        (4, bias),
        (6, then.factor),
        (7, then.rng.counter),
    ];
    dispatch_product(gpu, prog, ("conv_implicit", entry), &params, &args, groups)
}

/// Records out[cols, n] = im2col(image)ᵀ · d[rows, n] (split over the
/// patches when the output alone would not fill the device); with
/// `ones_row`, out[cols + 1, n] has Σ_rows d as its last row.
fn implicit_product_t(
    gpu: &Gpu,
    prog: &mut Program,
    g: &Geometry,
    image: &Tensor,
    d: &Tensor,
    out: &Tensor,
    ones_row: bool,
) -> Result<()> {
    let n = d.len() / g.rows();
    let params = MatmulParams {
        ones_row: ones_row as u32,
        ..implicit_params(g, g.cols() + ones_row as usize, n, g.rows())
    };
    let (image_binding, entry) = if g.c == 1 {
        (5, "conv1_tn")
    } else {
        (1, "conv_tn")
    };
    // conv1_tn's workgroups cover 32 rows of C, not 64.
    let rows = if g.c == 1 { 32 } else { 64 };
    tn_product(gpu, prog, params, rows, out, |p, params, target, groups| {
        dispatch_product(
            gpu,
            p,
            ("conv_implicit", entry),
            params,
            &[(image_binding, image), (2, d), (3, target)],
            groups,
        )
    })
}

/// Records out[rows, n] = im2col(image) · b[cols, n] (+ bias): gathered
/// inside the product where `implicit_nn` allows, else read from `col`,
/// which then must hold im2col(image).
#[allow(clippy::too_many_arguments)]
pub(super) fn im2col_product(
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
pub(super) fn im2col_t_product(
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
        return implicit_product_t(gpu, prog, g, image, d, out, false);
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

/// Records a layer's weight gradient dw[cols, n] = im2col(image)ᵀ · d and
/// its bias gradient db[n] = Σ_rows d as one gathered product, where
/// `implicit_tn` allows and db follows dw in memory (as in a parameter
/// set); returns false, recording nothing, elsewhere.
pub(super) fn weight_and_bias_grads(
    gpu: &Gpu,
    prog: &mut Program,
    g: &Geometry,
    image: &Tensor,
    d: &Tensor,
    (dw, db): (&Tensor, &Tensor),
) -> Result<bool> {
    let n = db.len();
    match dw.followed_by(db) {
        Some(both) if implicit_tn(gpu, g, n) && dw.len() == g.cols() * n => {
            implicit_product_t(gpu, prog, g, image, d, &both, true)?;
            Ok(true)
        }
        _ => Ok(false),
    }
}

pub(super) fn as_2d(t: &Tensor, cols: usize) -> Result<Tensor> {
    t.reshape(&[t.len() / cols, cols])
}
