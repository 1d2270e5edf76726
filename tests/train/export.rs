//! The Keras export of the weights.

use crate::common::*;
use gan_gpu::spec::optim::Optimizer;
use gan_gpu::train::checkpoint::trainer_tensors;
use gan_gpu::train::Trainer;

/// Our tensors map onto the seed's Keras model one to one, in Keras'
/// layer order and shapes (`model::keras`).
#[test]
fn weights_export_in_keras_layout() {
    let t = Trainer::new(gpu(), config(2, Optimizer::adam(2e-4), 4, 1), images(4)).unwrap();
    let tensors = gan_gpu::gpu::block_on(trainer_tensors(&t)).unwrap();
    let keras = gan_gpu::model::keras::to_keras(&tensors);
    let got: Vec<(&str, &str, Vec<usize>)> = keras
        .iter()
        .map(|w| (w.layer, w.weight, w.shape.clone()))
        .collect();
    let want: Vec<(&str, &str, Vec<usize>)> = vec![
        ("generator.dense", "kernel", vec![100, 6272]),
        ("generator.dense", "bias", vec![6272]),
        ("generator.batch_normalization_1", "gamma", vec![128]),
        ("generator.batch_normalization_1", "beta", vec![128]),
        ("generator.batch_normalization_1", "moving_mean", vec![128]),
        (
            "generator.batch_normalization_1",
            "moving_variance",
            vec![128],
        ),
        (
            "generator.conv2d_transpose_1",
            "kernel",
            vec![5, 5, 64, 128],
        ),
        ("generator.conv2d_transpose_1", "bias", vec![64]),
        ("generator.batch_normalization_2", "gamma", vec![64]),
        ("generator.batch_normalization_2", "beta", vec![64]),
        ("generator.batch_normalization_2", "moving_mean", vec![64]),
        (
            "generator.batch_normalization_2",
            "moving_variance",
            vec![64],
        ),
        ("generator.conv2d_transpose_2", "kernel", vec![5, 5, 1, 64]),
        ("generator.conv2d_transpose_2", "bias", vec![1]),
        ("discriminator.conv2d_1", "kernel", vec![5, 5, 1, 64]),
        ("discriminator.conv2d_1", "bias", vec![64]),
        ("discriminator.conv2d_2", "kernel", vec![5, 5, 64, 128]),
        ("discriminator.conv2d_2", "bias", vec![128]),
        ("discriminator.dense", "kernel", vec![6272, 1]),
        ("discriminator.dense", "bias", vec![1]),
    ];
    assert_eq!(got, want);
    // Fresh weights: γ = 1, β = 0, moving mean 0 and variance 1 (Keras'
    // initial values); values are copied, not reordered.
    let find = |l: &str, w: &str| {
        &keras
            .iter()
            .find(|k| k.layer == l && k.weight == w)
            .unwrap()
            .values
    };
    assert!(find("generator.batch_normalization_1", "gamma")
        .iter()
        .all(|&v| v == 1.0));
    assert!(find("generator.batch_normalization_1", "moving_variance")
        .iter()
        .all(|&v| v == 1.0));
    let ours = &tensors
        .iter()
        .find(|(n, _, _)| n == "generator/deconv1.kernel")
        .unwrap()
        .2;
    assert_eq!(find("generator.conv2d_transpose_1", "kernel"), ours);
    // Glorot-uniform bounds: √(6 / (fan_in + fan_out)) with Keras' fans.
    let limit = (6.0f32 / (25.0 * 64.0 + 25.0 * 128.0)).sqrt();
    assert!(ours.iter().all(|v| v.abs() <= limit) && ours.iter().any(|v| v.abs() > 0.9 * limit));
}
