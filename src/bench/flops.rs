//! The FLOP model of one training step, counted from the model's layer
//! shapes (matrix products only: they are >99% of the arithmetic).

use crate::model::ModelShape;
use crate::spec::conv::ConvSpec;

/// FLOPs of one pass of a convolution's product over `patches` rows:
/// 2 · patches · (kh · kw · in) · out, whichever direction it runs.
fn conv_product(spec: &ConvSpec, patches: usize) -> f64 {
    let (kh, kw) = spec.kernel;
    2.0 * patches as f64 * (kh * kw * spec.in_c * spec.out_c) as f64
}

/// The FLOPs of one training step at batch `b`.
pub fn step_flops(shape: &ModelShape, b: usize) -> f64 {
    let (sh, sw) = shape.seed_hw();
    let deconv1 = shape.gen_deconv1();
    let seed_features = sh * sw * deconv1.in_c;
    let dense_g = 2.0 * (b * shape.latent * seed_features) as f64;
    // A transposed convolution's product runs over its input pixels.
    let deconv1 = conv_product(&deconv1, b * sh * sw);
    let deconv2 = conv_product(&shape.gen_deconv2(), b * 4 * sh * sw);
    let gen_fwd = dense_g + deconv1 + deconv2;
    let ((h1, w1), (h2, w2)) = shape.disc_hw();
    let per_image_conv1 = conv_product(&shape.disc_conv1(), h1 * w1);
    let per_image_conv2 = conv_product(&shape.disc_conv2(), h2 * w2);
    let per_image_dense = 2.0 * shape.disc_flat() as f64;
    let disc_fwd = |n: f64| n * (per_image_conv1 + per_image_conv2 + per_image_dense);
    let bf = b as f64;
    // D step: G forward, D forward on 2B, D backward on 2B (weights for all
    // layers, input gradients for conv2 and dense).
    let d_step = gen_fwd
        + disc_fwd(2.0 * bf)
        + 2.0 * bf * (2.0 * per_image_conv2 + per_image_conv1 + 2.0 * per_image_dense);
    // G step: G forward, D forward on B, D input gradients, G backward
    // (weights for every layer, input gradients for both deconvolutions).
    let g_step = gen_fwd
        + disc_fwd(bf)
        + bf * (per_image_conv2 + per_image_conv1 + per_image_dense)
        + dense_g
        + 2.0 * deconv1
        + 2.0 * deconv2;
    d_step + g_step
}
