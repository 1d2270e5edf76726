//! One full training step on the GPU against the CPU reference `cpu::model`,
//! natively and in a browser through WebGPU (`scripts/web-test.sh`).

use gan_gpu::cpu::model::CpuGan;
use gan_gpu::data::{images_from_bytes, labels_from_bytes, Classes, Images};
use gan_gpu::gpu::{AdapterChoice, Gpu};
use gan_gpu::model::names;
use gan_gpu::spec::optim::Optimizer;
use gan_gpu::train::checkpoint::trainer_tensors;
use gan_gpu::train::{epoch_order, FakeBatchNorm, GanLoss, TrainConfig, Trainer, TrainingSet};
use std::collections::BTreeMap;
use std::path::Path;
use wasm_bindgen_test::wasm_bindgen_test;

wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

/// The shipped test set, compiled in so that the browser needs no files.
const TEST_IMAGES: &[u8] = include_bytes!("../assets/fashion-mnist/t10k-images-idx3-ubyte.gz");
const TEST_LABELS: &[u8] = include_bytes!("../assets/fashion-mnist/t10k-labels-idx1-ubyte.gz");

fn images(n: usize) -> Images {
    let mut im = images_from_bytes(Path::new("t10k-images-idx3-ubyte.gz"), TEST_IMAGES).unwrap();
    im.truncate(n);
    im
}

async fn tensor_map(t: &Trainer) -> BTreeMap<String, Vec<f32>> {
    let tensors = trainer_tensors(t).await.unwrap();
    tensors.into_iter().map(|(n, _, v)| (n, v)).collect()
}

fn rms(v: &[f64]) -> f64 {
    let mean_square = v.iter().map(|x| x * x).sum::<f64>() / v.len() as f64;
    mean_square.sqrt().max(1e-30)
}

/// "generator/dense.kernel" → "optimizer/generator/{k}/dense.kernel".
fn state_key(name: &str, k: usize) -> String {
    let (net, param) = name.split_once('/').unwrap();
    gan_gpu::model::names::optimizer_state(net, k, param)
}

/// One full step (noise, G, D on fake + real, D update, G through D, G
/// update) on the GPU against `cpu::model` in f64, from the same weights.
async fn one_step_matches_reference(optimizer: Optimizer, recipe: impl Fn(&mut TrainConfig)) {
    one_step_on(images(16), optimizer, recipe).await;
}

/// [`one_step_matches_reference`] on the 16 images `im`.
async fn one_step_on(im: Images, optimizer: Optimizer, recipe: impl Fn(&mut TrainConfig)) {
    one_step_on_device(AdapterChoice::default(), im, optimizer, recipe).await;
}

/// [`one_step_on`] on the adapter `choice` opens.
async fn one_step_on_device(
    choice: AdapterChoice,
    mut im: Images,
    optimizer: Optimizer,
    recipe: impl Fn(&mut TrainConfig),
) {
    let (batch, count) = (4, 16);
    let mut cfg = TrainConfig {
        epochs: 1,
        batch_size: batch,
        latent_dim: 100,
        optimizer,
        seed: 7,
        data: "t10k-images-idx3-ubyte.gz".into(),
        limit: Some(count),
        log_every: 1,
        fake_batch_norm: FakeBatchNorm::Batch,
        label_smoothing: 0.0,
        disc_lr: None,
        loss: GanLoss::Bce,
        ema: None,
        spectral_norm: false,
        movie_every: None,
        conditional: false,
        image_size: None,
        channels: None,
    };
    recipe(&mut cfg);
    if cfg.channels == Some(3) {
        // Three different channels from each grey image.
        im.pixels = im
            .pixels
            .iter()
            .flat_map(|&p| [p, 255 - p, p / 2])
            .collect();
        im.channels = 3;
    }
    let gpu = Gpu::new(&choice).await.unwrap_or_else(|e| panic!("{e}"));
    let classes = cfg.conditional.then(|| {
        let path = Path::new("t10k-labels-idx1-ubyte.gz");
        let labels = labels_from_bytes(path, TEST_LABELS, 10_000, 10).unwrap();
        let mut classes = Classes::named(labels.values);
        classes.truncate(count);
        classes
    });
    let data = TrainingSet {
        images: im.clone(),
        classes: classes.clone(),
    };
    let mut t = Trainer::new(gpu, cfg.clone(), data).unwrap();
    let before = tensor_map(&t).await;
    let as64 = |m: &BTreeMap<String, Vec<f32>>| {
        m.iter()
            .map(|(k, v)| (k.clone(), v.iter().map(|&x| x as f64).collect()))
            .collect()
    };
    let mut reference = CpuGan::new(t.shape, &cfg, as64(&before));
    let order = epoch_order(cfg.seed, 0, count);
    let real = gan_gpu::cpu::data::gather_images(&im.pixels, &order, 0, batch, im.image_len());
    t.step().unwrap();
    let m = t.read_metrics().await.unwrap();
    let after = tensor_map(&t).await;
    let batch_classes: Option<Vec<f64>> = classes.map(|c| {
        let of = |i: &u32| c.labels[*i as usize] as f64;
        order[..batch].iter().map(of).collect()
    });
    let (d_loss, g_loss) = reference.train_step(&real, batch_classes.as_deref(), 0);
    // Losses: f32 forward passes through ~1600-term sums.
    assert!(
        (m.d_loss - d_loss).abs() < 1e-4 && (m.g_loss - g_loss).abs() < 1e-4,
        "losses GPU {m:?} vs CPU D {d_loss} G {g_loss}"
    );

    let lr_of = |o: Optimizer| match o {
        Optimizer::Adam { lr, .. } | Optimizer::Rmsprop { lr, .. } => lr as f64,
    };
    let mut checked = 0;
    for (name, got) in &after {
        let want = &reference.tensors[name];
        let got64: Vec<f64> = got.iter().map(|&x| x as f64).collect();
        if name.starts_with("optimizer/") || name.ends_with(".running") || name.ends_with(".sn_u") {
            // Moments are (scaled) gradients and their squares, after a
            // forward and backward pass through the whole GAN in f32:
            // 2e-3 of the tensor's RMS. (Running statistics and spectral
            // normalisation's vectors are held to the same bar.)
            let floor = rms(want);
            let worst = got64
                .iter()
                .zip(want)
                .map(|(g, w)| (g - w).abs() / (w.abs() + floor))
                .fold(0.0, f64::max);
            assert!(worst < 2e-3, "{name}: relative error {worst:.2e}");
        } else {
            // A parameter moves by about ±lr in one step (Adam and RMSprop
            // both normalise by the gradient's size), so compare the update
            // to within 1% of lr. Where the gradient is at rounding-noise
            // level (below 1e-4 of its tensor's RMS) its sign is noise too;
            // such elements may differ, and must be rare. The generator's
            // gradients pass through the discriminator after its update,
            // so their noise grows with D's step: the bar scales with
            // lr_D / lr_G where D's is the larger. With spectral
            // normalisation (a power iteration and W / σ more in f32 in
            // each D pass) one of G's 204,800 deconv1 weights, its gradient
            // at 2.5e-4 of the tensor's RMS and 12× Adam's ε, lands 1.07% of
            // lr apart (measured: the only element past 1% in that step),
            // so the generator's bar is 3× wider there.
            let (lr_d, lr_g) = (lr_of(cfg.disc_optimizer()), lr_of(cfg.optimizer));
            let sn = if cfg.spectral_norm { 3.0 } else { 1.0 };
            let (lr, noise) = match name.starts_with("discriminator/") {
                true => (lr_d, 1e-4),
                false => (lr_g, 1e-4 * sn * (lr_d / lr_g).max(1.0)),
            };
            let start = &before[name];
            // The average generator's tensors move with the trained ones'.
            let trained = name.replacen(names::GENERATOR_EMA, names::GENERATOR, 1);
            let first_state = &reference.tensors[&state_key(&trained, 0)];
            let grad_mag: Vec<f64> = match optimizer {
                Optimizer::Adam { beta1, .. } => first_state
                    .iter()
                    .map(|m| (m / (1.0 - beta1 as f64)).abs())
                    .collect(),
                Optimizer::Rmsprop { rho, .. } => first_state
                    .iter()
                    .map(|v| (v / (1.0 - rho as f64)).sqrt())
                    .collect(),
            };
            let g_rms = rms(&grad_mag);
            let mut noisy = 0;
            for i in 0..got.len() {
                let (d_gpu, d_cpu) = (got64[i] - start[i] as f64, want[i] - start[i] as f64);
                if (d_gpu - d_cpu).abs() > 0.01 * lr {
                    assert!(grad_mag[i] < noise * g_rms, "{name}[{i}]: GPU update {d_gpu:e}, CPU update {d_cpu:e}, gradient {:e} (rms {g_rms:e})", grad_mag[i]);
                    noisy += 1;
                }
            }
            assert!(
                noisy * 1000 <= got.len().max(1000),
                "{name}: {noisy} of {} updates differ",
                got.len()
            );
        }
        checked += 1;
    }
    assert_eq!(checked, reference.tensors.len());
}

#[wasm_bindgen_test(unsupported = pollster::test)]
async fn one_step_matches_cpu_reference_adam() {
    one_step_matches_reference(Optimizer::adam(2e-4), |_| {}).await;
}

#[wasm_bindgen_test(unsupported = pollster::test)]
async fn one_step_matches_cpu_reference_rmsprop() {
    one_step_matches_reference(Optimizer::rmsprop(1e-3), |_| {}).await;
}

/// `--recipe seed`: RMSprop, and the discriminator's fake batch from the
/// generator with its running statistics.
#[wasm_bindgen_test(unsupported = pollster::test)]
async fn one_step_matches_cpu_reference_seed_recipe() {
    one_step_matches_reference(Optimizer::rmsprop(1e-3), |c| {
        c.fake_batch_norm = FakeBatchNorm::Running
    })
    .await;
}

/// One-sided label smoothing: real images' target 0.9.
#[wasm_bindgen_test(unsupported = pollster::test)]
async fn one_step_matches_cpu_reference_label_smoothing() {
    one_step_matches_reference(Optimizer::adam(2e-4), |c| c.label_smoothing = 0.1).await;
}

/// Two time-scale learning rates: D at 4e-4, G at 2e-4. (With label
/// smoothing as well, a few of the generator's first batch-norm γ
/// gradients, sums over only 4 samples at 0.4–1.5% of their tensor's RMS,
/// come out of the f32 step a few percent apart from f64, past this test's
/// noise bar; each option alone stays within it.)
#[wasm_bindgen_test(unsupported = pollster::test)]
async fn one_step_matches_cpu_reference_two_time_scales() {
    one_step_matches_reference(Optimizer::adam(2e-4), |c| c.disc_lr = Some(4e-4)).await;
}

/// The hinge loss for both networks.
#[wasm_bindgen_test(unsupported = pollster::test)]
async fn one_step_matches_cpu_reference_hinge_loss() {
    one_step_matches_reference(Optimizer::adam(2e-4), |c| c.loss = GanLoss::Hinge).await;
}

/// The generator's moving average: its first update (decay 0.1 after the
/// warm-up) moves it 90% of the way to the trained weights, so an average
/// left behind fails the update check.
#[wasm_bindgen_test(unsupported = pollster::test)]
async fn one_step_matches_cpu_reference_ema() {
    one_step_matches_reference(Optimizer::adam(2e-4), |c| c.ema = Some(0.999)).await;
}

/// Spectral normalisation of D's kernels: two power-iteration steps (D's
/// pass and G's) and the gradient through W / σ.
#[wasm_bindgen_test(unsupported = pollster::test)]
async fn one_step_matches_cpu_reference_spectral_norm() {
    one_step_matches_reference(Optimizer::adam(2e-4), |c| c.spectral_norm = true).await;
}

/// A class-conditional GAN on the default recipe (RMSprop, the fake batch
/// in inference mode): the generator's class rows and the
/// discriminator's projection, for the real batch's classes.
#[wasm_bindgen_test(unsupported = pollster::test)]
async fn one_step_matches_cpu_reference_conditional() {
    one_step_matches_reference(Optimizer::rmsprop(1e-3), |c| {
        c.fake_batch_norm = FakeBatchNorm::Running;
        c.conditional = true;
    })
    .await;
}

/// RGB images: the generator's last layer makes three channels and the
/// discriminator's first reads them.
#[wasm_bindgen_test(unsupported = pollster::test)]
async fn one_step_matches_cpu_reference_rgb() {
    one_step_matches_reference(Optimizer::rmsprop(1e-3), |c| c.channels = Some(3)).await;
}

/// Storage bindings capped at 1.7 MB: the 8 images D sees make a 2.5 MB
/// column matrix in conv2, so its products run in chunks of 5 and 3 images,
/// as batch 256 does under lavapipe's 128 MiB (G's 4 images stay whole;
/// `tests/ops/conv.rs` chunks the transposed convolution). Where conv2's
/// weight gradient reads the column matrix (no subgroup kernels), the two
/// chunks' partial gradients, 0.8 MB each, must fit one binding too. (A
/// latent size of 16 keeps G's dense kernel, one binding, under the cap.)
#[wasm_bindgen_test(unsupported = pollster::test)]
async fn one_step_matches_cpu_reference_chunked_column_matrices() {
    let cap = 1_700_000;
    let col_bytes_per_image = 7 * 7 * (5 * 5 * 64) * 4;
    assert!(5 * col_bytes_per_image <= cap && 8 * col_bytes_per_image > cap);
    assert!(2 * (5 * 5 * 64 * 128 * 4) <= cap);
    let choice = AdapterChoice {
        max_storage_binding: Some(cap as u64),
        ..Default::default()
    };
    one_step_on_device(choice, images(16), Optimizer::rmsprop(1e-3), |c| {
        c.latent_dim = 16;
        c.fake_batch_norm = FakeBatchNorm::Running;
    })
    .await;
}

/// A 64×64 model: three stride-2 blocks per network (one more than the
/// seed's, for the doubling past 32 px), on synthetic images.
#[wasm_bindgen_test(unsupported = pollster::test)]
async fn one_step_matches_cpu_reference_three_blocks() {
    let side = 64;
    assert_eq!(
        gan_gpu::model::ModelShape::new(100, side, side)
            .unwrap()
            .blocks,
        3
    );
    let im = Images {
        count: 16,
        height: side,
        width: side,
        channels: 1,
        pixels: (0..16 * side * side)
            .map(|i| (i * 31 % 251) as u8)
            .collect(),
    };
    one_step_on(im, Optimizer::rmsprop(1e-3), |_| {}).await;
}
