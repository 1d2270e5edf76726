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
    let seed_features = sh * sw * shape.seed_channels();
    let dense_g = 2.0 * (b * shape.latent * seed_features) as f64;
    // A transposed convolution's product runs over its input pixels.
    let deconvs: f64 = (0..shape.blocks)
        .map(|i| conv_product(&shape.gen_deconv(i), b * (sh << i) * (sw << i)))
        .sum();
    let gen_fwd = dense_g + deconvs;
    let per_image_convs: Vec<f64> = (0..shape.blocks)
        .map(|i| {
            let (h, w) = shape.disc_hw(i + 1);
            conv_product(&shape.disc_conv(i), h * w)
        })
        .collect();
    let convs: f64 = per_image_convs.iter().sum();
    let per_image_dense = 2.0 * shape.disc_flat() as f64;
    let disc_fwd = |n: f64| n * (convs + per_image_dense);
    let bf = b as f64;
    // D step: G forward, D forward on 2B, D backward on 2B (weights for all
    // layers, input gradients for all but the first convolution and for
    // dense).
    let d_step = gen_fwd
        + disc_fwd(2.0 * bf)
        + 2.0 * bf * (2.0 * convs - per_image_convs[0] + 2.0 * per_image_dense);
    // G step: G forward, D forward on B, D input gradients, G backward
    // (weights for every layer, input gradients for every deconvolution).
    let g_step = gen_fwd + disc_fwd(bf) + bf * (convs + per_image_dense) + dense_g + 2.0 * deconvs;
    d_step + g_step
}
