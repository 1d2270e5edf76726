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
//! | generator/bn3.*, deconv3.*, discriminator/conv3.* | images past 32 px only: a third block each (no layer in the seed model) | as the blocks before, channels doubled away from the image |
//! | generator/dense.class_kernel | `--conditional` only: Dense's `kernel` rows for a one-hot class joined to z (no layer in the seed model) | [classes, h/4·w/4·128] |
//! | discriminator/projection.class_rows | `--conditional` only: the projection's class embedding (no layer in the seed model) | [classes, h/4·w/4·128] |
//!
//! The generator's Reshape and the discriminator's Flatten are row-major
//! over (h, w, c) in both, so the dense kernels need no reordering either.

use super::names;
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
    let gen = |param: &str| names::param(names::GENERATOR, param);
    let disc = |param: &str| names::param(names::DISCRIMINATOR, param);
    let mut out = vec![
        whole("generator.dense", "kernel", &gen("dense.kernel")),
        whole("generator.dense", "bias", &gen("dense.bias")),
    ];
    let generator_blocks = [
        (
            1,
            "generator.batch_normalization_1",
            "generator.conv2d_transpose_1",
        ),
        (
            2,
            "generator.batch_normalization_2",
            "generator.conv2d_transpose_2",
        ),
    ];
    for (i, bn, deconv) in generator_blocks {
        out.extend(rows(
            bn,
            ["gamma", "beta"],
            &gen(&format!("bn{i}.gamma_beta")),
        ));
        out.extend(rows(
            bn,
            ["moving_mean", "moving_variance"],
            &names::running(i),
        ));
        out.push(whole(deconv, "kernel", &gen(&format!("deconv{i}.kernel"))));
        out.push(whole(deconv, "bias", &gen(&format!("deconv{i}.bias"))));
    }
    for (ours, keras) in [
        ("conv1", "discriminator.conv2d_1"),
        ("conv2", "discriminator.conv2d_2"),
        ("dense", "discriminator.dense"),
    ] {
        out.push(whole(keras, "kernel", &disc(&format!("{ours}.kernel"))));
        out.push(whole(keras, "bias", &disc(&format!("{ours}.bias"))));
    }
    out
}
