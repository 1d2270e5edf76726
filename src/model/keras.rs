//! Weight layout and Keras. Every kernel is stored exactly as Keras stores
//! it, and activations are NHWC like Keras' default `channels_last`, so a
//! trained model moves to the seed's Keras model without permuting any
//! array. The whole mapping is this table: (our name, Keras layer and
//! weight, shape in both).
//!
//! | ours                       | Keras (seed model)                         | shape            |
//! |----------------------------|--------------------------------------------|------------------|
//! | generator/dense.kernel     | Dense `kernel`                             | [latent, h/4·w/4·128] |
//! | generator/dense.bias       | Dense `bias`                               | [h/4·w/4·128]    |
//! | generator/bn1.gamma_beta   | BatchNormalization `gamma` (row 0), `beta` (row 1) | [2, 128] |
//! | generator/bn1.running      | `moving_mean` (row 0), `moving_variance` (row 1)   | [2, 128] |
//! | generator/deconv1.kernel   | Conv2DTranspose `kernel` [kh, kw, out, in] | [5, 5, 64, 128]  |
//! | generator/deconv1.bias     | Conv2DTranspose `bias`                     | [64]             |
//! | generator/bn2.*            | second BatchNormalization, as bn1          | [2, 64]          |
//! | generator/deconv2.kernel   | Conv2DTranspose `kernel`                   | [5, 5, 1, 64]    |
//! | generator/deconv2.bias     | Conv2DTranspose `bias`                     | [1]              |
//! | discriminator/conv1.kernel | Conv2D `kernel` [kh, kw, in, out]          | [5, 5, 1, 64]    |
//! | discriminator/conv1.bias   | Conv2D `bias`                              | [64]             |
//! | discriminator/conv2.kernel | Conv2D `kernel`                            | [5, 5, 64, 128]  |
//! | discriminator/conv2.bias   | Conv2D `bias`                              | [128]            |
//! | discriminator/dense.kernel | Dense `kernel` after Flatten of NHWC       | [h/4·w/4·128, 1] |
//! | discriminator/dense.bias   | Dense `bias`                               | [1]              |
//!
//! The generator's Reshape and the discriminator's Flatten are row-major
//! over (h, w, c) in both, so the dense kernels need no reordering either.

use super::params::NamedTensor;

/// One exported array: Keras layer (in the seed model's order), weight name,
/// and the values in Keras' layout.
pub struct KerasWeight {
    pub layer: &'static str,
    pub weight: &'static str,
    pub shape: Vec<usize>,
    pub values: Vec<f32>,
}

/// Splits our tensors into the arrays Keras' `set_weights` takes, in the
/// seed model's layer order. `tensors` are (our name, shape, values).
pub fn to_keras(tensors: &[NamedTensor]) -> Vec<KerasWeight> {
    let find = |name: &str| {
        tensors
            .iter()
            .find(|(n, _, _)| n == name)
            .unwrap_or_else(|| panic!("no tensor {name} to export"))
    };
    let whole = |layer, weight, name: &str| {
        let (_, s, v) = find(name);
        KerasWeight {
            layer,
            weight,
            shape: s.clone(),
            values: v.clone(),
        }
    };
    let rows = |layer, names: [&'static str; 2], name: &str| {
        let (_, s, v) = find(name);
        let c = s[1];
        names
            .iter()
            .enumerate()
            .map(|(r, w)| KerasWeight {
                layer,
                weight: w,
                shape: vec![c],
                values: v[r * c..(r + 1) * c].to_vec(),
            })
            .collect::<Vec<_>>()
    };
    let mut out = vec![
        whole("generator.dense", "kernel", "generator/dense.kernel"),
        whole("generator.dense", "bias", "generator/dense.bias"),
    ];
    for (bn, deconv) in [("bn1", "deconv1"), ("bn2", "deconv2")] {
        let layer: &'static str = if bn == "bn1" {
            "generator.batch_normalization_1"
        } else {
            "generator.batch_normalization_2"
        };
        out.extend(rows(
            layer,
            ["gamma", "beta"],
            &format!("generator/{bn}.gamma_beta"),
        ));
        out.extend(rows(
            layer,
            ["moving_mean", "moving_variance"],
            &format!("generator/{bn}.running"),
        ));
        let dl: &'static str = if deconv == "deconv1" {
            "generator.conv2d_transpose_1"
        } else {
            "generator.conv2d_transpose_2"
        };
        out.push(whole(dl, "kernel", &format!("generator/{deconv}.kernel")));
        out.push(whole(dl, "bias", &format!("generator/{deconv}.bias")));
    }
    for (ours, keras) in [
        ("conv1", "discriminator.conv2d_1"),
        ("conv2", "discriminator.conv2d_2"),
        ("dense", "discriminator.dense"),
    ] {
        out.push(whole(
            keras,
            "kernel",
            &format!("discriminator/{ours}.kernel"),
        ));
        out.push(whole(keras, "bias", &format!("discriminator/{ours}.bias")));
    }
    out
}
